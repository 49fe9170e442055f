"""The step `klfit bench` times, written with numpy, for the README's comparison.

One step, on `klfit bench`'s data: the SGD update of f32 logits with the gradient softmax(θ) − p, then the record: log q in
f64 and CE and KL as two sums. Prints one JSON line per K, like `klfit bench`.

    OPENBLAS_NUM_THREADS=1 python3 benches/numpy_step.py 11 1000 100000 1000000
"""
import json
import sys

import numpy as np

from timing import counts, microseconds_per_step


def step_for(k):
    """One step on K categories of `klfit bench`'s data, from θ = 0."""
    p = np.array(counts(k), np.float64)
    p /= p.sum()
    observed = p > 0
    log_p = np.log(p, out=np.zeros_like(p), where=observed)  # 0 outside the support
    p32 = p.astype(np.float32)
    theta, lr = np.zeros(k, np.float32), np.float32(1.0)

    def step():
        e = np.exp(theta - theta.max())
        theta[:] -= lr * (e / e.sum() - p32)  # the update, in f32
        t = theta.astype(np.float64)  # the record, in f64
        log_q = t - (t.max() + np.log(np.exp(t - t.max()).sum()))
        return -(p * log_q).sum(), (p * (log_p - log_q)).sum()

    return step


for k in map(int, sys.argv[1:] or ["11", "1000", "100000", "1000000"]):
    us, n = microseconds_per_step(step_for(k))
    print(json.dumps({"categories": k, "engine": "numpy " + np.__version__, "us_per_step": us, "steps": n}))
