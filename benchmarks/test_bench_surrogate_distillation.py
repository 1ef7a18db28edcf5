"""Speed of the design diagonals (triangular solves, O(n^2 p)) against the plain numpy version that forms the p x p
projection, same run and same draws: p = 960, n = 320."""

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.surrogate_distillation import draw_diagonals, draw_diagonals_numpy
from w2s.theory.surrogate_distillation import power_law


def test_diagonals_vs_explicit_projection(timed, report):
    lam = power_law(960, 1.5)
    ker, ref = timed(draw_diagonals), timed(draw_diagonals_numpy)
    for _ in range(3):
        a = ker(lam, 320, generator(0, "bench.distill"))
        b = ref(lam, 320, generator(0, "bench.distill"))
    assert np.allclose(a.P, b.P, rtol=1e-8) and np.allclose(a.PSP, b.PSP, rtol=1e-7)
    report(f"surrogate distillation diagonals (p = 960, n = 320): kernel {ker.best:.3f} s, explicit projection "
           f"{ref.best:.3f} s (best of 3): {ref.best / ker.best:.1f}x")
    assert ref.best / ker.best > 1.0
