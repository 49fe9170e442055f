"""The step `klfit bench` times, written with PyTorch eager on the CPU, for the README's comparison.

One step, as `klfit bench` and `numpy_step.py` run it: the SGD update of f32 logits on the
cross-entropy with soft targets (autograd, `torch.optim.SGD`), then the record: log q in f64 and
CE and KL as two sums, read back as Python floats. Prints one JSON line per K, like `klfit bench`.

    python3 benches/torch_step.py [--threads N] 11 1000 100000 1000000
"""
import json
import sys

import torch

from timing import counts, microseconds_per_step


def step_for(k):
    """One step on K categories of `klfit bench`'s data, from θ = 0."""
    p = torch.tensor(counts(k), dtype=torch.float64)
    p = p / p.sum()
    observed = p > 0
    log_p = torch.where(observed, p.log(), torch.zeros_like(p))
    p32 = p.float()
    theta = torch.zeros(k, dtype=torch.float32, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=1.0)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(theta[None], p32[None])  # the update, in f32
        loss.backward()
        optimizer.step()
        with torch.no_grad():  # the record, in f64
            log_q = torch.log_softmax(theta.double(), 0)
            ce = -(p * log_q).sum()
            kl = (p[observed] * (log_p[observed] - log_q[observed])).sum()
            return ce.item(), kl.item()

    return step


args = sys.argv[1:]
if args[:1] == ["--threads"]:
    torch.set_num_threads(int(args[1]))
    args = args[2:]
for k in map(int, args or ["11", "1000", "100000", "1000000"]):
    us, n = microseconds_per_step(step_for(k))
    engine = f"torch {torch.__version__} eager, {torch.get_num_threads()} threads"
    print(json.dumps({"categories": k, "optimizer": "sgd", "dtype": "f32", "engine": engine, "us_per_step": us, "steps": n}))
