"""Tests of ``w2s.theory.weighted_ridge`` (Moniri & Hassani 2025, Part (b); docs/weighted_ridge.md).

* the spiked closed forms against the 80-digit referee ``w2s.theory.mpref`` (Stieltjes route, term by term as
  printed in docs/weighted_ridge.md §2.2) over the stated range;
* exact reductions: ``g_s = 1`` or ``zeta = 0`` give Part (a); ``Gamma = I`` in the general equivalent gives Part (a);
  the general equivalent with an explicit ``d x d`` spike tends to the spiked formula at rate ``1/d``;
* the optimality statements of docs/weighted_ridge.md §2.3 (``g_s = 0`` optimal; the ``gamma_s -> 0`` ratio), Tables R6 and R7;
* edge regimes (``zeta`` in {0, 1}, ``g`` in {0, 1}, ``gamma_s`` at and around 1) and ``ValueError`` on bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.theory import mpref, ridge, rmt
from w2s.theory import weighted_ridge as W


def budget(n: int) -> int:
    return max(5, round(n * settings().max_examples / 200))


def log_uniform(lo, hi):
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: min(max(10.0**e, lo), hi))


LAM = log_uniform(1e-10, 1e10)
GAMMA = st.one_of(log_uniform(1e-4, 1e4), st.sampled_from([1.0, 1.0 - 1e-9, 1.0 + 1e-9]))
UNIT = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
SIGMA2 = st.one_of(st.just(0.0), log_uniform(1e-3, 1e3))
R2 = log_uniform(1e-3, 1e3)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


# Floating-point route vs 80-digit route: each risk is a sum of O(10) non-negative terms evaluated in a
# cancellation-free form, so the relative error is a modest multiple of eps times the conditioning of kappa,
# which near lam -> 0 at gamma = 1 grows like 1/sqrt(lam) <= 1e5: 1e-9 leaves a 1e2 margin.
TOL_MP = 1e-9


@given(LAM, GAMMA, LAM, GAMMA, UNIT, UNIT, SIGMA2, R2, UNIT)
@settings(max_examples=budget(150))
def test_spiked_student_against_mpmath(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2, r2, g_t):
    got = W.weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2, r2, g_t)
    ref = float(mpref.weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2, r2, g_t))
    assert rel(got, ref) < TOL_MP
    got_t = W.weighted_teacher_risk(lam_t, gamma_t, zeta, g_t, sigma2, r2)
    assert rel(got_t, float(mpref.weighted_teacher_risk(lam_t, gamma_t, zeta, g_t, sigma2, r2))) < TOL_MP


@given(LAM, GAMMA, LAM, GAMMA, UNIT, UNIT, SIGMA2, R2)
@settings(max_examples=budget(100))
def test_no_spike_or_no_alignment_is_part_a(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2, r2):
    """docs/weighted_ridge.md §2.2: g_s = 1 or zeta = 0 recovers Part (a) (same algebra: equal to rounding)."""
    a = ridge.student_risk(lam_t, gamma_t, lam_s, gamma_s, sigma2, r2)
    assert rel(W.weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, 1.0, zeta, sigma2, r2), a) < 1e-12
    assert rel(W.weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, g_s, 0.0, sigma2, r2), a) < 1e-12
    assert rel(W.weighted_teacher_risk(lam_t, gamma_t, zeta, 1.0, sigma2, r2),
               ridge.teacher_risk(lam_t, gamma_t, sigma2, r2)) < 1e-12


@pytest.mark.parametrize("row, R_t, R_s", [
    ((1, 1, 0.8, 0.5, 0.5, 1.0, 0.5, 0.05), 0.4142135624, 0.3871272218),
    ((1, 0.5, 0.9, 1.0, 2.0, 2.0, 0.5, 0.0), 0.7071067812, 0.5868066959),
    ((1, 1, 0.7, 0.2, 0.5, 1.0, 2.0, 0.1), 0.4839970320, 0.4965955726),
])
def test_table_r6(row, R_t, R_s):
    r2, s2, z, lt, gt, ls, gs, g = row
    assert W.weighted_teacher_risk(lt, gt, z, 1.0, s2, r2) == pytest.approx(R_t, abs=1e-9)
    assert W.weighted_student_risk(lt, gt, ls, gs, g, z, s2, r2) == pytest.approx(R_s, abs=1e-9)


@pytest.mark.parametrize("gamma_t, row", [(0.5, (0.0, 0.0, 0.782, 0.802, 0.824)),
                                          (2.0, (0.0, 0.0, 0.674, 0.699, 0.727))])
def test_table_r7_zeta_c(gamma_t, row):
    got = [W.zeta_c(gamma_t, gs) for gs in (0.5, 1.0, 1.5, 2.0, 4.0)]
    assert got == pytest.approx(row, abs=0.5e-3)  # the table prints 3 decimals


def test_zeta_c_is_a_root_and_edges():
    zc = W.zeta_c(2.0, 2.0)
    R_star = ridge.optimal_teacher_risk(2.0)
    assert W.optimal_aligned_student(2.0, 2.0, 2.0, zc).R_s == pytest.approx(R_star, rel=1e-8)
    assert W.optimal_aligned_student(2.0, 2.0, 2.0, zc - 0.01).R_s > R_star
    assert W.optimal_aligned_student(2.0, 2.0, 2.0, zc + 0.01).R_s < R_star
    assert W.zeta_c(1.0, 1.0) == 0.0 and W.zeta_c(1.0, 0.999) == 0.0
    assert 0.0 < W.zeta_c(1.0, 1.001) < W.zeta_c(1.0, 1.5)
    with pytest.raises(ValueError, match="sigma2 = 0"):
        W.zeta_c(1.0, 2.0, sigma2=0.0)
    with pytest.raises(ValueError, match="gamma_s"):
        W.zeta_c(1.0, -2.0)


@given(log_uniform(1e-3, 1e3), st.floats(0.0, 1.0), SIGMA2.filter(lambda s: s > 0), R2)
@settings(max_examples=budget(100))
def test_infinite_data_ratio(gamma_t, zeta, sigma2, r2):
    """docs/weighted_ridge.md §2.3: R_s*/R_t* = 1 - zeta^4 p_t (1-p_t)/(1 - zeta^2 p_t) <= 1, = 1 only at zeta = 0."""
    lam_t = sigma2 * gamma_t / r2
    R_t = ridge.optimal_teacher_risk(gamma_t, sigma2, r2)
    lam_s, R_s = W.optimal_aligned_student_infinite_data(lam_t, gamma_t, zeta, sigma2, r2)
    ratio = W.aligned_ratio_infinite_data(gamma_t, zeta, sigma2, r2)
    assert ratio == pytest.approx(R_s / R_t, rel=1e-9)
    assert ratio <= 1.0 + 1e-15
    if zeta == 0.0:
        assert ratio == pytest.approx(1.0, abs=1e-15)
    # R_s* is the minimum over (lam_s, g_s): no grid point beats it
    grid = np.geomspace(1e-6, 1e6, 61)
    for g in (0.0, 0.5, 1.0):
        vals = W.weighted_student_risk(lam_t, gamma_t, grid, 1e-4, g, zeta, sigma2, r2)
        # gamma_s = 1e-4 stands in for gamma_s -> 0: its c_s = O(1e-4) terms move the risk by < 1e-3 relative
        assert np.all(vals >= R_s * (1 - 1e-3))


@given(LAM, GAMMA, LAM, GAMMA, st.floats(0.0, 1.0), SIGMA2, R2)
@settings(max_examples=budget(100))
def test_zero_spike_penalty_is_optimal(lam_t, gamma_t, lam_s, gamma_s, zeta, sigma2, r2):
    """Derived in the module docstring: at fixed lam_s the risk decreases as g_s -> 0 (isotropic teacher)."""
    gs = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    vals = W.weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, gs, zeta, sigma2, r2)
    assert np.all(np.diff(vals) >= -1e-12 * np.abs(vals[:-1]))


def test_general_with_identity_is_part_a():
    for k in (1, 2, 5):
        res = W.general_risks(0.3, 0.7, np.eye(k), 0.4, 1.5, np.eye(k), 2.0 * np.eye(k) / k, 0.5)
        assert res.R_t == pytest.approx(ridge.teacher_risk(0.3, 0.7, 0.5, 2.0), rel=1e-12)
        assert res.R_s == pytest.approx(ridge.student_risk(0.3, 0.7, 0.4, 1.5, 0.5, 2.0), rel=1e-12)
        assert res.kappa_t.converged and res.kappa_t.kappa == pytest.approx(rmt.kappa(0.3, 0.7), rel=1e-12)


def test_general_reduces_to_spiked_at_rate_one_over_d():
    """An explicit d x d spike moves the normalised traces by O(1/d): the general equivalent tends to docs/weighted_ridge.md §2.2's
    spiked formula, and doubling d halves the difference (up to O(1/d^2))."""
    z, gs, gt = 0.6, 0.3, 0.5
    spiked = (W.weighted_teacher_risk(0.3, 0.7, z, gt), W.weighted_student_risk(0.3, 0.7, 0.4, 1.5, gs, z, g_t=gt))
    diffs = []
    for d in (200, 400):
        Gt = np.diag(np.r_[gt, np.ones(d - 1)])
        Gs = np.diag(np.r_[gs, np.ones(d - 1)])
        b = np.zeros(d)
        b[0], b[1] = z, math.sqrt(1 - z * z)
        res = W.general_risks(0.3, 0.7, Gt, 0.4, 1.5, Gs, np.outer(b, b))
        diffs.append(np.array([res.R_t, res.R_s]) - spiked)
    assert np.all(np.abs(diffs[1]) < 5e-3)
    assert np.allclose(diffs[0] / diffs[1], 2.0, rtol=0.05)


def test_solve_kappa_edges():
    assert W.solve_kappa(1e-10, 1.0, [1.0]).kappa == pytest.approx(rmt.kappa(1e-10, 1.0), rel=1e-9)
    assert W.solve_kappa(1e10, 1e-4, [1.0]).kappa == pytest.approx(rmt.kappa(1e10, 1e-4), rel=1e-12)
    # a penalty that vanishes on half the space, gamma < 2: finite root
    sol = W.solve_kappa(0.1, 1.5, [0.0, 1.0])
    assert sol.converged and abs(sol.residual) < 1e-12
    with pytest.raises(ValueError, match="no root"):
        W.solve_kappa(0.1, 3.0, [0.0, 1.0])  # (1/n) tr P -> gamma/2 > 1 as kappa -> inf
    with pytest.raises(ValueError, match="must not be zero"):
        W.solve_kappa(0.1, 0.5, [0.0, 0.0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(g_s=-0.1), "g_s"), (dict(g_s=1.5), "g_s"), (dict(zeta=1.01), "zeta"), (dict(zeta=float("nan")), "zeta"),
    (dict(lam_s=0.0), "lam_s"), (dict(gamma_s=0.0), "gamma_s"), (dict(sigma2=-1.0), "sigma2"), (dict(r2=0.0), "r2"),
    (dict(g_t=2.0), "g_t"),
])
def test_bad_input(kwargs, match):
    base = dict(lam_t=0.5, gamma_t=0.5, lam_s=1.0, gamma_s=0.5, g_s=0.1, zeta=0.5)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        W.weighted_student_risk(**base)


def test_bad_matrices():
    with pytest.raises(ValueError, match="square"):
        W.general_risks(0.1, 0.5, np.ones((2, 3)), 0.1, 0.5, np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        W.general_risks(0.1, 0.5, np.array([[1.0, 0.5], [0.0, 1.0]]), 0.1, 0.5, np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="same shape"):
        W.general_risks(0.1, 0.5, np.eye(3), 0.1, 0.5, np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="semi-definite"):
        W.general_risks(0.1, 0.5, np.eye(2), 0.1, 0.5, np.eye(2), -np.eye(2))


@pytest.mark.parametrize("lam, gamma, g", [(0.1, 0.5, 0.0), (1.0, 2.0, 0.3), (1e-6, 0.999, 1.0), (50.0, 1e3, 0.7)])
def test_spiked_factors_are_the_resolvent_factors(lam, gamma, g):
    """p = 1/(1 + kappa), p^u = 1/(1 + kappa g), c = gamma p^2/(1 - gamma p^2), kappa from w2s.theory.rmt."""
    kappa = float(rmt.mp_quantities(lam, gamma).kappa)
    p, pu, c = W.spiked_factors(lam, gamma, g)
    assert p == pytest.approx(1.0 / (1.0 + kappa), rel=1e-13)
    assert pu == pytest.approx(1.0 / (1.0 + kappa * g), rel=1e-13)
    assert c == pytest.approx(gamma * p**2 / (1.0 - gamma * p**2), rel=1e-12)


@pytest.mark.parametrize("lam_t, gamma_t, gamma_s, zeta", [(0.3, 2.0, 2.0, 0.6), (2.0, 0.5, 1.5, 0.9), (0.05, 1.0, 3.0, 0.2)])
def test_optimal_aligned_student_is_a_minimum_beyond_the_grid(lam_t, gamma_t, gamma_s, zeta):
    """The optimum is refined below the 241-point log grid (spacing 0.15 in log lam): no lam_s on a 2001-point grid
    within +-0.2 of it does better (the best grid value alone is worse by 3e-6 to 8e-5 relative here)."""
    opt = W.optimal_aligned_student(lam_t, gamma_t, gamma_s, zeta)
    xs = np.log(opt.lam_s) + np.linspace(-0.2, 0.2, 2001)
    fine = W.weighted_student_risk(lam_t, gamma_t, np.exp(xs), gamma_s, 0.0, zeta)
    assert opt.R_s <= float(np.min(fine)) + 1e-10 * abs(opt.R_s)
    assert opt.converged


def test_optimal_aligned_student_at_the_edge_of_its_range():
    """A useless teacher (lam_t -> 0 at gamma_t = 1, sigma2 = 1e6): the student shrinks all the way, and the optimum
    is reported at the edge of the search range itself, lam_s = 1e6, flagged converged."""
    opt = W.optimal_aligned_student(1e-10, 1.0, 2.0, 0.0, 1e6, 1.0)
    assert opt.lam_s == float(np.clip(math.exp(W._LOG_LAM[1]), *W.LAM_RANGE)) and opt.converged


def test_defaults_are_the_documented_normalisation():
    """docs/conventions.md: sigma2 = r2 = 1, and the isotropic teacher (zeta = 0, g_t = 1) unless given."""
    import inspect

    want = {"sigma2": 1.0, "r2": 1.0, "g_t": 1.0}
    seen = 0
    for n, f in vars(W).items():
        if inspect.isfunction(f) and not n.startswith("_") and f.__module__ == W.__name__:
            for p, v in want.items():
                if p in inspect.signature(f).parameters:
                    assert inspect.signature(f).parameters[p].default == v, f"{n}({p}=...)"
                    seen += 1
    assert seen >= 10
