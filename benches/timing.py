"""What `numpy_step.py` and `torch_step.py` share: `klfit bench`'s data and its way of timing."""
import math
import time


def counts(k):
    """`klfit bench`'s data: ⌈10^6 / (i + 1)⌉ for category i, 0 for every tenth one (a list)."""
    return [0 if i % 10 == 9 else math.ceil(1e6 / (i + 1)) for i in range(k)]


def microseconds_per_step(step, seconds=2.0):
    """Runs `step` 10 times to warm up, then for at least `seconds`: (µs per step, steps)."""
    for _ in range(10):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return (time.perf_counter() - start) / n * 1e6, n
