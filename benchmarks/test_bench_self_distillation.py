"""Speed of the reduced self-distillation simulator (banded Cholesky solves, O(d) per ridge value) against the same
draws solved densely with numpy (O(d^3)), same run (see test_bench_ridge.py for conventions): d = 256, n = 512, two
ridge values, 4 replicates."""

from __future__ import annotations

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.self_distillation import reduced_self_distillation, reduced_self_distillation_numpy

KW = dict(sigma2=0.5, r2=1.0, reps=4)


def test_reduced_self_distillation_vs_dense_numpy(timed, report):
    ker, ref = timed(reduced_self_distillation), timed(reduced_self_distillation_numpy)
    for _ in range(3):
        a = ker(256, 512, [0.05, 1.0], rng=generator(0, "bench.self_distillation"), **KW)
        b = ref(256, 512, [0.05, 1.0], rng=generator(0, "bench.self_distillation"), **KW)
    np.testing.assert_allclose(a.xi_star, b.xi_star, rtol=1e-9)
    report(f"self-distillation reduced model (d = 256, 4 replicates, 2 ridges): banded {ker.best:.4f} s, dense numpy "
           f"{ref.best:.4f} s (best of 3): {ref.best / ker.best:.1f}x")
    assert ref.best / ker.best > 1.0
