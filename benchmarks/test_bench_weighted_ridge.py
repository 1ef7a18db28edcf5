"""Performance of the spiked weighted-ridge kernel (pytest-benchmark; see test_bench_ridge.py for conventions).

1. Speed ratio, same run: :func:`~w2s.kernels.weighted_ridge.spiked_w2s` (two eigendecompositions, then
   Sherman–Morrison: O(k) per (lam_t, lam_s) and O(1) per extra g_s) against
   :func:`~w2s.kernels.weighted_ridge.spiked_w2s_direct` (one ``numpy.linalg.solve`` per grid point, 4 + 512
   solves), d = 400, n_t = n_s = 800, a 4 x 8 x 16 ``(lam_t, lam_s, g_s)`` grid, same draws. Target: at least
   ``TARGET_RATIO`` (``W2S_BENCH_MIN_RATIO_WRIDGE`` overrides it).
2. Marginal cost of the g_s grid: the kernel with 1 and with 64 values of g_s.
"""

from __future__ import annotations

import os

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.weighted_ridge import spiked_w2s, spiked_w2s_direct

TARGET_RATIO = float(os.environ.get("W2S_BENCH_MIN_RATIO_WRIDGE", "10"))
D, N = 400, 800
LAM_T = np.logspace(-2, 1, 4)
LAM_S = np.logspace(-2, 1, 8)
G_S = np.linspace(0.0, 1.0, 16)
KW = dict(zeta=0.7, sigma2=1.0, r2=1.0)
_TIMES: dict = {}


def test_reference_direct_solves(benchmark, timed, report):
    fn = timed(spiked_w2s_direct)
    out = benchmark.pedantic(fn, args=(D, N, N, LAM_T, LAM_S, G_S), kwargs=dict(KW, rng=generator(0, "bench.wr")),
                             rounds=1)
    _TIMES["direct"] = (fn, out)
    report(f"weighted ridge reference (numpy.linalg.solve per grid point, 516 solves), d={D}: {fn.mean:.3f} s")


def test_spiked_kernel_ratio(benchmark, timed, report):
    spiked_w2s(8, 16, 16, [0.1], [0.1], [0.5], zeta=0.5, rng=generator(0, "warm-up"))  # compile / load cache
    fn = timed(lambda: spiked_w2s(D, N, N, LAM_T, LAM_S, G_S, rng=generator(0, "bench.wr"), **KW))
    out = benchmark.pedantic(fn, rounds=5)
    if "direct" not in _TIMES:
        ref = timed(spiked_w2s_direct)
        _TIMES["direct"] = (ref, ref(D, N, N, LAM_T, LAM_S, G_S, rng=generator(0, "bench.wr"), **KW))
    ref, ref_out = _TIMES["direct"]
    np.testing.assert_allclose(out.R_s, ref_out.R_s, rtol=1e-8)
    ratio = ref.mean / fn.mean
    benchmark.extra_info.update(d=D, n=N, grid="4x8x16", kernel_seconds=fn.mean, reference_seconds=ref.mean,
                                ratio=ratio, target_ratio=TARGET_RATIO)
    report(f"spiked kernel, 4x8x16 grid, d={D}: {fn.mean:.3f} s (best {fn.best:.3f} s); ratio {ratio:.1f}x "
           f"against per-point solves (target >= {TARGET_RATIO:g}x)")
    assert ratio >= TARGET_RATIO


def test_g_grid_marginal_cost(timed, report):
    spiked_w2s(8, 16, 16, [0.1], [0.1], [0.5], zeta=0.5, rng=generator(0, "warm-up"))
    times = {}
    for G in (1, 64):
        fn = timed(lambda: spiked_w2s(D, N, N, LAM_T, LAM_S, np.linspace(0, 1, G), rng=generator(0, "b"), **KW))
        for _ in range(5):
            fn()
        times[G] = fn.best
    report(f"spiked kernel, g_s grid of 1 vs 64 values (4x8 lam grid, d={D}): {times[1]:.3f} s vs "
           f"{times[64]:.3f} s (best of 5)")
    assert times[64] < 1.5 * times[1]
