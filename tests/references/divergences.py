"""Reference values for tests/divergences.rs, printed as Rust array rows.

Run: python3 tests/references/divergences.py   (mpmath 1.3, scipy 1.17; no klfit code involved)

1. Nearly equal pairs: p and q as decimal strings (what a file holds); KL(p‖q), KL(q‖p) and
   JS(p, q) of those decimals, exactly as written, by mpmath at 50 digits.
2. JS: scipy.spatial.distance.jensenshannon(p, q) ** 2 (base e), which is JS in nats, for pairs
   that are not close (scipy's sums of p·ln(p/m) lose relative accuracy when JS is tiny).
"""
from mpmath import mp, mpf, log
from scipy.spatial.distance import jensenshannon
import random

mp.dps = 50

def kl(a, b):
    return sum(x * log(x / y) for x, y in zip(a, b) if x > 0)

def js(a, b):
    m = [(x + y) / 2 for x, y in zip(a, b)]
    return (kl(a, m) + kl(b, m)) / 2

rng = random.Random(20261205)
print("// (p, q, KL(p‖q), KL(q‖p), JS(p, q))")
cases = 0
while cases < 20:
    k = rng.randint(2, 6)
    cuts = sorted(rng.sample(range(1, 1000000), k - 1))
    p = [b - a for a, b in zip([0] + cuts, cuts + [1000000])]
    scale = 10 ** rng.randint(6, 9)
    p = [x * scale for x in p]              # p_i = p[i] / (1e6 · scale), exactly
    q = list(p)
    # Move mass between categories by 1e-6 to 1e-3 of the smaller one: close enough to cancel
    # in Σ p ln(p/q), far enough apart that their f64 roundings (1e-16) leave KL good to 1e-9.
    for _ in range(k):
        i, j = rng.sample(range(k), 2)
        d = int(min(q[i], q[j]) * 10 ** rng.uniform(-6, -3))
        q[i] += d
        q[j] -= d
    if q == p or min(q) <= 0 or any(0 < abs(a - b) < 1.5e-6 * b for a, b in zip(p, q)):
        continue
    cases += 1
    from decimal import Decimal, getcontext
    getcontext().prec = 60
    den = 10 ** 6 * scale
    ps = [format(Decimal(x) / Decimal(den), 'f') for x in p]
    qs = [format(Decimal(x) / Decimal(den), 'f') for x in q]
    pm, qm = [mpf(x) for x in ps], [mpf(x) for x in qs]
    n = lambda v: mp.nstr(v, 20, min_fixed=-1, max_fixed=-1)
    print('    (&[{}], &[{}], {}, {}, {}),'.format(
        ', '.join('"%s"' % x for x in ps), ', '.join('"%s"' % x for x in qs),
        n(kl(pm, qm)), n(kl(qm, pm)), n(js(pm, qm))))

print("// (p, q, scipy's jensenshannon(p, q)**2)")
for case in range(10):
    k = rng.randint(2, 8)
    p = [rng.randint(0, 20) for _ in range(k)]
    q = [rng.randint(0, 20) for _ in range(k)]
    if sum(p) == 0 or sum(q) == 0:
        continue
    js = float(jensenshannon(p, q)) ** 2   # scipy normalises counts itself
    print('    (&[{}], &[{}], {!r}),'.format(', '.join(map(str, p)), ', '.join(map(str, q)), js))
