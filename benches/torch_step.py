"""The step `klfit bench` times, written with PyTorch eager on the CPU, for the README's comparison.

One step, as `klfit bench` and `numpy_step.py` run it: the SGD update of f32 logits on the
cross-entropy with soft targets (autograd, `torch.optim.SGD`), then the record: log q in f64 and
CE and KL as two sums, read back as Python floats. Prints one JSON line per K, like `klfit bench`.

    python3 benches/torch_step.py [--threads N] 11 1000 100000 1000000
"""
import json
import sys
import time

import torch


def counts(k):
    """`klfit bench`'s data: ⌈10^6 / (i + 1)⌉ for category i, 0 for every tenth one."""
    i = torch.arange(k, dtype=torch.float64)
    c = torch.ceil(1e6 / (i + 1))
    c[9::10] = 0
    return c


def microseconds_per_step(k, seconds=2.0):
    c = counts(k)
    p = c / c.sum()
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

    for _ in range(10):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return (time.perf_counter() - start) / n * 1e6, n


args = sys.argv[1:]
if args[:1] == ["--threads"]:
    torch.set_num_threads(int(args[1]))
    args = args[2:]
for k in map(int, args or ["11", "1000", "100000", "1000000"]):
    us, n = microseconds_per_step(k)
    engine = f"torch {torch.__version__} eager, {torch.get_num_threads()} threads"
    print(json.dumps({"categories": k, "optimizer": "sgd", "dtype": "f32", "engine": engine, "us_per_step": us, "steps": n}))
