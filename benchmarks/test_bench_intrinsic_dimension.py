"""Speed of the intrinsic-dimension simulators, same run, same model (d_s = 10, d_w = 20, n = 100, N = 40): the numba
Bartlett kernel against the same reduced sampler vectorised in numpy and against explicit Gaussian inputs."""

from __future__ import annotations

import numpy as np

from w2s.kernels import intrinsic_dimension as K
from w2s.kernels.rng import generator
from w2s.theory.intrinsic_dimension import canonical_subspaces

V_S, V_W = canonical_subspaces(10, 20, (1.0, 1.0, 1.0, 0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.181))
BETA = np.zeros(V_S.shape[0])
BETA[0] = 1.0
KW = dict(n=100, N=40, sigma2=1.0)


def _run(fn, reps):
    return fn(V_S, V_W, BETA, rng=generator(0, "bench.intrinsic_dimension", fn.__name__), reps=reps, **KW)


def test_bartlett_kernel_vs_numpy_and_explicit(timed, report):
    for fn in (K.simulate_bartlett, K.simulate_bartlett_numpy, K.simulate_explicit):
        _run(fn, 50)  # compile / warm up
    reps = 5000
    kern, vec, expl = timed(_run), timed(_run), timed(_run)
    for _ in range(3):
        a, b = kern(K.simulate_bartlett, reps), vec(K.simulate_bartlett_numpy, reps)
        c = expl(K.simulate_explicit, reps // 10)
    # same law: the W2S risk means agree within their spread
    assert abs(a[:, 1].mean() - b[:, 1].mean()) < 5 * a[:, 1].std() / np.sqrt(reps)
    per_rep = expl.best / (reps // 10)
    report(f"intrinsic_dimension, {reps} replicates (best of 3): numba Bartlett {kern.best:.4f} s, numpy Bartlett "
           f"{vec.best:.4f} s ({vec.best / kern.best:.1f}x), explicit inputs {per_rep * reps:.3f} s per {reps} "
           f"({per_rep * reps / kern.best:.0f}x)")
    assert vec.best > kern.best and per_rep * reps > 5 * kern.best
