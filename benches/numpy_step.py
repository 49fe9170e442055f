"""The step `klfit bench` times, written with numpy, for the README's comparison.

One step: the SGD update of f32 logits with the gradient softmax(θ) − p, then the record: log q in
f64 and CE and KL as two sums. Prints one JSON line per K, like `klfit bench`.

    OPENBLAS_NUM_THREADS=1 python3 benches/numpy_step.py 11 1000 100000 1000000
"""
import json
import sys
import time

import numpy as np


def microseconds_per_step(k, seconds=2.0):
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 1000, k).astype(np.float64)
    p = counts / counts.sum()
    log_p, p32 = np.log(p), p.astype(np.float32)
    theta, lr = np.zeros(k, np.float32), np.float32(1.0)

    def step():
        e = np.exp(theta - theta.max())
        theta[:] -= lr * (e / e.sum() - p32)  # the update, in f32
        t = theta.astype(np.float64)  # the record, in f64
        log_q = t - (t.max() + np.log(np.exp(t - t.max()).sum()))
        return -(p * log_q).sum(), (p * (log_p - log_q)).sum()

    for _ in range(10):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return (time.perf_counter() - start) / n * 1e6, n


for k in map(int, sys.argv[1:] or ["11", "1000", "100000", "1000000"]):
    us, n = microseconds_per_step(k)
    print(json.dumps({"categories": k, "engine": "numpy " + np.__version__, "us_per_step": us, "steps": n}))
