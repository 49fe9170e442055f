"""KL(p‖q) of the demo run (income data, 10 free logits from 0, SGD with lr 1) at steps 0, 250 and
500, on the exact trajectory: every step θ ← θ − (q − p) and KL = Σ p ln(p/q) in 60-digit
arithmetic (mpmath 1.3). The counts are the demo's (plots/distribution.csv).

Run: python3 tests/references/demo_kl.py
"""
from mpmath import mp, mpf, log, exp, fsum

mp.dps = 60
counts = [1376, 1012, 769, 556, 397, 288, 249, 168, 117, 68]
N = sum(counts)
p = [mpf(c) / N for c in counts]
theta = [mpf(0)] * len(p)


def softmax(t):
    m = max(t)
    e = [exp(x - m) for x in t]
    s = fsum(e)
    return [x / s for x in e]


for step in range(501):
    q = softmax(theta)
    if step in (0, 250, 500):
        print(step, mp.nstr(fsum(pi * log(pi / qi) for pi, qi in zip(p, q)), 20))
    theta = [t - (qi - pi) for t, qi, pi in zip(theta, q, p)]
