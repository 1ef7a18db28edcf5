"""Cost per replicate of the full (d x d eigendecomposition) and reduced (bidiagonal Laguerre) ridge simulators,
same run, and their fitted cost exponents (see test_bench_ridge.py for conventions).

One replicate = draw + exact R_t and R_s over a 4 x 4 ridge grid, fresh student, n_t = 2d, n_s = d/2. The full
simulator is timed at d = 128 ... 2048 (O(d^3) flops; the measured exponent stays near 2.3-2.4 up to
d = 2048 on 2 cores because LAPACK/BLAS efficiency still rises with size), the reduced one at
d = 10^2 ... 10^5 (target <= 2; it is O(d) per ridge value). The ratio at d = 1024 is reported too.
"""

from __future__ import annotations

import numpy as np

from w2s.kernels.laguerre import reduced_ridge_w2s
from w2s.kernels.rng import generator
from w2s.kernels.ridge import ridge_w2s

LAM = np.logspace(-2, 1, 4)
FULL_D = {128: 20, 256: 10, 512: 4, 1024: 2, 2048: 2}
REDUCED_D = {100: 400, 1000: 200, 10_000: 40, 100_000: 6}
_T: dict = {}


def _per_rep(sim, d, reps, timed):
    fn = timed(lambda rng: sim(d, 2 * d, max(1, d // 2), LAM, LAM, rng=rng))
    rng = generator(0, f"bench.laguerre.{d}")
    fn(rng)  # warm-up (numba cache, BLAS threads)
    fn.seconds.clear()
    for _ in range(reps):
        fn(rng)
    return float(np.median(fn.seconds))


def _slope(ds, ts):
    return float(np.polyfit(np.log(ds), np.log(ts), 1)[0])


def test_full_simulator_cost(timed, report):
    t = {d: _per_rep(ridge_w2s, d, r, timed) for d, r in FULL_D.items()}
    _T["full"] = t
    slope = _slope(list(t), list(t.values()))
    report("full simulator, s per replicate: " + ", ".join(f"d={d}: {v:.4f}" for d, v in t.items())
           + f"; fitted exponent (d=1024..2048) {_slope([1024, 2048], [t[1024], t[2048]]):.2f}, "
           f"(d=512..1024) {_slope([512, 1024], [t[512], t[1024]]):.2f}, overall {slope:.2f}")


def test_reduced_simulator_cost(timed, report):
    t = {d: _per_rep(reduced_ridge_w2s, d, r, timed) for d, r in REDUCED_D.items()}
    slope = _slope([10_000, 100_000], [t[10_000], t[100_000]])
    report("reduced simulator, s per replicate: " + ", ".join(f"d={d}: {v:.5f}" for d, v in t.items())
           + f"; fitted exponent (d=1e4..1e5) {slope:.2f}")
    red_1024 = _per_rep(reduced_ridge_w2s, 1024, 200, timed)
    if "full" in _T:
        report(f"d=1024: full {_T['full'][1024]:.4f} s vs reduced {red_1024:.5f} s per replicate: "
               f"{_T['full'][1024] / red_1024:.0f}x")
    assert slope <= 2.0


def test_spiked_reduced_vs_full(timed, report):
    """Spiked weighted ridge (rank-one penalty), one replicate with a 4 x 4 x 4 (lam_t, lam_s, g_s) grid, d = 1024."""
    from w2s.kernels.laguerre import reduced_spiked_w2s
    from w2s.kernels.weighted_ridge import spiked_w2s

    d, g = 1024, np.linspace(0.0, 1.0, 4)
    full, red = timed(spiked_w2s), timed(reduced_spiked_w2s)
    rng = generator(0, "bench.spiked")
    for _ in range(3):
        full(d, 2 * d, d // 2, LAM, LAM, g, zeta=0.7, rng=rng)
        red(d, 2 * d, d // 2, LAM, LAM, g, zeta=0.7, rng=rng)
    report(f"spiked weighted ridge, d={d}: full {full.best:.4f} s vs reduced {red.best:.5f} s per replicate "
           f"(best of 3): {full.best / red.best:.0f}x")
    assert full.best > red.best


def test_student_kernel_lanes_vs_one_solve_per_pair(timed, record_ratios):
    """The reduced ridge student's risks for 4 teacher vectors x 7 lam_s (the largest ridge group): one elimination
    per lam_s with the substitutions side by side, against one tridiagonal solve per pair (the same numbers to the
    bit), at m = 1025 (in cache) and m = 65537 (d = 131072, n_s = d/2)."""
    from w2s.kernels.laguerre import _student_kernel, _student_kernel_reference, bidiagonal, tridiagonal

    lam_s = np.array([0.2, 1.0, 0.05, 3.0, 0.5, 0.1, 2.0])
    ratios, rows = {}, []
    for d, rounds in ((2048, 200), (131072, 5)):
        rng = generator(0, f"bench.student.{d}")
        diag, off = tridiagonal(*bidiagonal(d, d // 2, rng), d // 2)
        V = rng.standard_normal((4, diag.size))
        new, ref = timed(_student_kernel), timed(_student_kernel_reference)
        assert np.array_equal(new(diag, off, V, 1.0, lam_s), ref(diag, off, V, 1.0, lam_s))
        for _ in range(rounds):
            new(diag, off, V, 1.0, lam_s)
            ref(diag, off, V, 1.0, lam_s)
        ratios[f"m={diag.size}"] = ref.best / new.best
        rows.append(f"m={diag.size}: lanes {new.best * 1e3:.2f} ms, per pair {ref.best * 1e3:.2f} ms "
                    f"({ratios[f'm={diag.size}']:.1f}x)")
    record_ratios("reduced ridge student kernel, 4 x 7 pairs", ratios, rows)


def test_conditional_vs_reduced_information_per_second(timed, record_ratios):
    """The conditional simulator (docs/ridge.md §3.4) against the reduced one, fresh student, n_t = 2d, n_s = d/2,
    4 x 4 grid: seconds per replicate, and resolution per second, ``(sd_red^2 t_red) / (sd_cond^2 t_cond)`` for the
    teacher and student risks at (lam_t, lam_s) = (0.01, 0.1) -- how many times fewer CPU seconds the conditional one
    needs for the same standard error. 400 replicates of each at d = 2048 (the sd ratio itself is estimated to
    about 5%)."""
    from w2s.kernels.laguerre import conditional_ridge_w2s

    d, reps = 2048, 400
    red, cond = timed(reduced_ridge_w2s), timed(conditional_ridge_w2s)
    out = {"red": [], "cond": []}
    r1, r2 = generator(0, "bench.cond.red"), generator(0, "bench.cond.cond")
    for _ in range(reps):
        out["red"].append(red(d, 2 * d, d // 2, LAM, LAM, rng=r1))
        out["cond"].append(cond(d, 2 * d, d // 2, LAM, LAM, rng=r2))
    t_red, t_cond = float(np.median(red.seconds)), float(np.median(cond.seconds))
    sd = {k: (np.std([o.R_t[0] for o in v]), np.std([o.R_s[0, 1] for o in v])) for k, v in out.items()}
    ratios = {"seconds per replicate": t_red / t_cond,
              "R_t resolution per second": sd["red"][0] ** 2 * t_red / (sd["cond"][0] ** 2 * t_cond),
              "R_s resolution per second": sd["red"][1] ** 2 * t_red / (sd["cond"][1] ** 2 * t_cond)}
    rows = [f"d={d}: reduced {t_red * 1e3:.2f} ms, conditional {t_cond * 1e3:.2f} ms per replicate; sd ratio "
            f"R_t {sd['red'][0] / sd['cond'][0]:.0f}, R_s {sd['red'][1] / sd['cond'][1]:.0f}"]
    record_ratios("conditional vs reduced ridge simulator", ratios, rows)
    assert ratios["R_t resolution per second"] > 100 and ratios["R_s resolution per second"] > 100
