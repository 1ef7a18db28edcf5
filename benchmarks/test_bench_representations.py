"""Speed of the representation-model simulators (see test_bench_ridge.py for conventions), same run, same model:
explicit D-dimensional non-principal features against the Bartlett Gram-block draw and the tridiagonal
(Dumitriu-Edelman) route, at n~ = n^ = 100 and D = 40000; and the Gram routes' cost across D (it must not grow)."""

from __future__ import annotations

import numpy as np

from w2s.kernels.representations import simulate_w2s
from w2s.kernels.rng import generator

P = 12
A_S = np.zeros((9, P))
A_S[:, :9] = np.diag(np.linspace(2.0, 0.6, 9))
A_W = np.zeros((4, P))
A_W[:, :4] = np.diag([2.0, 1.5, 1.0, 0.8])
A = np.ones(P) / np.sqrt(P)
KW = dict(sigma2=0.09, gamma_w=0.05, gamma_s=0.05, beta_w=1e-3, beta_s=1e-3, n_tilde=100, n_hat=100)


def _sim(method, D, reps):
    rng = generator(0, "bench.representations", method, D)
    return [simulate_w2s(A_W, A_S, A, D=D, rng=rng, method=method, **KW).err_w2s[0] for _ in range(reps)]


def test_gram_simulators_vs_explicit_features(timed, report):
    for m in ("tridiagonal", "gram", "explicit"):
        _sim(m, 400, 2)  # compile / cache, warm BLAS
    D, reps = 40_000, 5
    tri, gram, expl = timed(_sim), timed(_sim), timed(_sim)
    for _ in range(3):
        e_t, e_g, e_e = tri("tridiagonal", D, reps), gram("gram", D, reps), expl("explicit", D, reps)
    # same law: the errors agree to within their spread (the exact-in-law claim certifies the means)
    assert abs(np.mean(e_t) - np.mean(e_e)) < 0.5 and abs(np.mean(e_g) - np.mean(e_e)) < 0.5
    big = timed(_sim)
    for _ in range(3):
        big("gram", 10_000_000, reps)
    report(f"representation simulator, n~ = n^ = 100, D = {D}, {reps} replicates (best of 3): explicit features "
           f"{expl.best:.3f} s, Bartlett Gram {gram.best:.4f} s ({expl.best / gram.best:.0f}x), tridiagonal "
           f"{tri.best:.4f} s ({expl.best / tri.best:.0f}x); Bartlett Gram at D = 1e7: {big.best:.4f} s")
    assert expl.best / gram.best > 5.0 and expl.best / tri.best > 5.0
    assert big.best < 5 * gram.best + 0.05  # the Gram draw's cost does not grow with D
