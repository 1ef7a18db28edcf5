"""Tests of ``w2s.theory.rmt`` (Marchenko–Pastur ridge quantities, docs/ridge.md §2.1).

The referee is ``w2s.theory.mpref``: the textbook root formulas of docs/ridge.md §2.1 evaluated at 80 significant digits, an
independent route from the cancellation-free double-precision forms of ``rmt``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from w2s.theory import mpref, rmt

LAM_LO, LAM_HI = 1e-10, 1e10
GAMMA_LO, GAMMA_HI = 1e-4, 1e4


def budget(n: int) -> int:
    """``n`` examples under the ``ci`` profile (200 by default), scaled up proportionally under ``dev``."""
    return max(5, round(n * settings().max_examples / 200))


def log_uniform(lo: float, hi: float):
    """Floats log-uniform on ``[lo, hi]`` (uniform exponent, result clipped to the interval against rounding)."""
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: min(max(10.0**e, lo), hi))


LAM = log_uniform(LAM_LO, LAM_HI)
GAMMA = log_uniform(GAMMA_LO, GAMMA_HI)

#: Edges of the stated range and the interpolation point gamma = 1 (where the textbook m is 0/0 as lam -> 0).
EDGE_LAMS = (LAM_LO, LAM_HI, 1.0, 1e-5)
EDGE_GAMMAS = (1.0, 1.0 + 1e-12, 1.0 - 1e-12, GAMMA_LO, GAMMA_HI, 0.5, 2.0)


def with_edge_examples(test):
    """Add every (lam, gamma) pair of ``EDGE_LAMS x EDGE_GAMMAS`` as an explicit hypothesis ``@example``."""
    for lam in EDGE_LAMS:
        for gamma in EDGE_GAMMAS:
            test = example(lam=lam, gamma=gamma)(test)
    return test


RMT_QUANTITIES = ("kappa", "stieltjes", "stieltjes_deriv", "tau1", "tau2", "v_trace", "c_factor")


# ---------------------------------------------------------------------------------------------------------------
# Closed forms vs the 80-digit referee over the whole stated range
# ---------------------------------------------------------------------------------------------------------------

# Tolerance 1e-10 relative. The numpy forms are ratios and sums of positive terms built from kappa, whose root
# formula never subtracts nearly equal numbers: each quantity carries a few ulps (measured worst case over 3000
# log-uniform points plus the edges: 1.1e-15, for m'). The only non-benign step is kappa's square root when the
# discriminant (1-gamma-lam)^2 + 4 lam is near its minimum (gamma + lam ~ 1, lam tiny), where the absolute
# rounding of b = 1-gamma-lam is amplified by at most 1/sqrt(4 lam) <= 5e4, i.e. ~1e-11 relative in the worst
# case; 1e-10 leaves room for that and is still 5-6 orders below any formula-level error (a textbook
# evaluation in double precision fails by up to ~1e-1 here, e.g. m at gamma = 1e-4, lam = 1e10).
RMT_RTOL = 1e-10


@pytest.mark.parametrize("name", RMT_QUANTITIES)
@settings(max_examples=budget(200))
@with_edge_examples
@given(lam=LAM, gamma=GAMMA)
def test_closed_form_matches_mpmath_referee(name, lam, gamma):
    got = getattr(rmt, name)(lam, gamma)
    ref = getattr(mpref, name)(lam, gamma)
    assert type(got) is float
    assert got > 0.0
    assert mpref.rel_err(got, ref) <= RMT_RTOL, (name, lam, gamma, got, ref)


def test_referee_at_gamma_one_small_lam():
    # At gamma = 1 the quadratic gives kappa = (lam + sqrt(lam^2 + 4 lam))/2 = sqrt(lam) + lam/2 + lam^{3/2}/8
    # + O(lam^{5/2}), and m = kappa/(lam (1+kappa)). This pins the referee itself (independently of rmt) at the
    # point where its textbook formula for m is 0/0 as lam -> 0.
    lam = 1e-10
    with mpref.mp.workdps(mpref.DPS):
        L = mpref.mpf(lam)
        k = mpref.kappa(lam, 1.0)
        assert abs(k - (mpref.mpmath.sqrt(L) + L / 2 + L**1.5 / 8)) <= 1e-25
        assert mpref.rel_err(mpref.stieltjes(lam, 1.0), k / (L * (1 + k))) <= 1e-60


def test_textbook_double_precision_would_fail():
    # Why the stable forms (and an 80-digit referee) are needed: the textbook m evaluated in double precision at
    # a corner of the range loses ~12 digits to cancellation, while rmt agrees with the referee.
    lam, gamma = 1e10, 1e-4
    b = 1.0 - gamma + lam
    m_textbook = (-b + math.sqrt(b * b + 4.0 * gamma * lam)) / (2.0 * gamma * lam)
    assert mpref.rel_err(m_textbook, mpref.stieltjes(lam, gamma)) > 1e-4
    assert mpref.rel_err(rmt.stieltjes(lam, gamma), mpref.stieltjes(lam, gamma)) <= RMT_RTOL


@settings(max_examples=budget(100))
@with_edge_examples
@given(lam=LAM, gamma=GAMMA)
def test_internal_pieces_match_referee(lam, gamma):
    # MPQuantities exposes u - gamma = 1/m, D = u^2 - gamma = 1/v and 1 - tau1 = lam m, which ridge.py uses
    # directly (rho = 1 + (u-gamma)/D, the student risk's 1 - p_s). Same tolerance and reason as above.
    q = rmt.mp_quantities(lam, gamma)
    with mpref.mp.workdps(mpref.DPS):
        m, v = mpref.stieltjes(lam, gamma), mpref.v_trace(lam, gamma)
        assert mpref.rel_err(float(q.u_minus_gamma), 1 / m) <= RMT_RTOL
        assert mpref.rel_err(float(q.D), 1 / v) <= RMT_RTOL
        assert mpref.rel_err(float(q.one_minus_tau1), lam * m) <= RMT_RTOL
        assert mpref.rel_err(float(q.u), 1 + mpref.kappa(lam, gamma)) <= RMT_RTOL


# ---------------------------------------------------------------------------------------------------------------
# Vectorisation
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RMT_QUANTITIES)
def test_broadcasting_and_scalar_output(name):
    f = getattr(rmt, name)
    lam = np.array([[1e-10], [0.3], [1e10]])
    gamma = np.array([1e-4, 0.5, 1.0, 7.0])
    out = f(lam, gamma)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4) and out.dtype == np.float64
    for i in range(3):
        for j in range(4):
            assert out[i, j] == f(float(lam[i, 0]), float(gamma[j]))
    # scalars (Python or numpy, or 0-d arrays) give a Python float
    for args in [(0.3, 0.5), (np.float64(0.3), np.float32(0.5)), (np.array(0.3), 0.5), (1, 2)]:
        assert type(f(*args)) is float
    # lists are accepted like arrays
    assert f([0.1, 0.2], 0.5).shape == (2,)


def test_mp_quantities_broadcast_shapes():
    q = rmt.mp_quantities(np.array([0.1, 1.0, 10.0]), np.array([[0.5], [2.0]]))
    for arr in (q.lam, q.gamma, q.kappa, q.m, q.m_deriv, q.tau1, q.tau2, q.v, q.c):
        assert np.shape(arr) == (2, 3)


# ---------------------------------------------------------------------------------------------------------------
# Limits and monotonicity (verified numerically before being asserted)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [1e-4, 0.1, 0.5, 0.9, 1.1, 2.0, 10.0, 1e4])
def test_ridgeless_limits(gamma):
    # docs/ridge.md §2.1: lam -> 0 gives kappa -> max(0, gamma-1), tau1 -> min(1, 1/gamma), c -> gamma/(1-gamma) or
    # 1/(gamma-1). The corrections are O(lam gamma/(1-gamma)^2) <= 1.1e-8 at lam = 1e-10, |1-gamma| >= 0.1.
    lam = 1e-10
    if gamma < 1:
        assert rmt.kappa(lam, gamma) <= 2 * lam / (1 - gamma)
        assert math.isclose(rmt.tau1(lam, gamma), 1.0, rel_tol=1e-8)
        assert math.isclose(rmt.c_factor(lam, gamma), gamma / (1 - gamma), rel_tol=1e-7)
    else:
        assert math.isclose(rmt.kappa(lam, gamma), gamma - 1, rel_tol=1e-7)
        assert math.isclose(rmt.tau1(lam, gamma), 1 / gamma, rel_tol=1e-7)
        assert math.isclose(rmt.c_factor(lam, gamma), 1 / (gamma - 1), rel_tol=1e-7)


@pytest.mark.parametrize("gamma", [1e-4, 0.5, 1.0, 2.0, 1e4])
def test_large_lambda_limits(gamma):
    # lam -> inf: kappa = lam + gamma - (gamma-1)/lam + ..., m ~ 1/lam, tau1 ~ 1/lam, tau2 ~ E[x^2]/lam^2
    # = (1+gamma)/lam^2; the relative corrections are O((1+gamma)/lam) <= 1e-6 at lam = 1e10.
    lam = 1e10
    assert math.isclose(rmt.kappa(lam, gamma), lam + gamma, rel_tol=1e-14)
    assert math.isclose(rmt.stieltjes(lam, gamma) * lam, 1.0, rel_tol=1e-9)
    assert math.isclose(rmt.tau1(lam, gamma) * lam, 1.0, rel_tol=1e-5)
    assert math.isclose(rmt.tau2(lam, gamma) * lam**2, 1.0 + gamma, rel_tol=1e-5)


def test_gamma_one_sqrt_scaling():
    # At gamma = 1, kappa ~ sqrt(lam) and m ~ lam^{-1/2} as lam -> 0 (the interpolation peak).
    for lam in (1e-10, 1e-8, 1e-6):
        assert math.isclose(rmt.kappa(lam, 1.0), math.sqrt(lam), rel_tol=2 * math.sqrt(lam))
        assert math.isclose(rmt.stieltjes(lam, 1.0) * math.sqrt(lam), 1.0, rel_tol=2 * math.sqrt(lam))


MONO_GAMMAS = [*np.geomspace(GAMMA_LO, GAMMA_HI, 33), 1.0 - 1e-12, 1.0, 1.0 + 1e-12]


@pytest.mark.parametrize(
    ("name", "direction"),
    [("stieltjes", -1), ("stieltjes_deriv", -1), ("kappa", +1), ("tau1", -1), ("tau2", -1), ("v_trace", -1)],
)
def test_monotone_in_lambda(name, direction):
    # Mathematically strict; asserted non-strictly in floating point because at the range edges the change
    # between grid points can fall below one ulp (e.g. kappa ~ gamma - 1 + lam gamma/(gamma-1) at gamma = 1e4,
    # lam ~ 1e-10). Non-strict monotonicity over the whole grid still excludes any rounding reversal.
    lam = np.geomspace(LAM_LO, LAM_HI, 4001)
    for gamma in MONO_GAMMAS:
        y = getattr(rmt, name)(lam, gamma)
        assert np.all(direction * np.diff(y) >= 0.0), (name, gamma)
        # strict on the interior of the range, away from saturation
        mid = getattr(rmt, name)(np.geomspace(1e-3, 1e3, 201), gamma)
        assert np.all(direction * np.diff(mid) > 0.0), (name, gamma)


def test_kappa_increasing_in_gamma():
    # lam = kappa (1 - gamma/(1+kappa)): at fixed lam a larger gamma needs a larger kappa.
    gamma = np.geomspace(GAMMA_LO, GAMMA_HI, 4001)
    for lam in np.geomspace(LAM_LO, LAM_HI, 21):
        assert np.all(np.diff(rmt.kappa(lam, gamma)) >= 0.0)


def test_bounds():
    # 0 < tau2 <= tau1 <= 1 (x^2/(x+lam)^2 <= x/(x+lam) <= 1), kappa >= lam, and 0 < c.
    lam = np.geomspace(LAM_LO, LAM_HI, 401)[:, None]
    gamma = np.array(MONO_GAMMAS)[None, :]
    t1, t2 = rmt.tau1(lam, gamma), rmt.tau2(lam, gamma)
    assert np.all((t2 > 0) & (t2 <= t1 * (1 + 1e-15)) & (t1 <= 1.0))
    assert np.all(rmt.kappa(lam, gamma) >= lam * (1 - 1e-15))
    assert np.all(rmt.c_factor(lam, gamma) > 0)


# ---------------------------------------------------------------------------------------------------------------
# mp_edges / mp_integral
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [1e-4, 0.01, 0.5, 1.0, 2.0, 100.0, 1e4])
def test_mp_integral_moments_and_stieltjes(gamma):
    # Moments of Marchenko-Pastur: mass 1, mean 1, second moment 1 + gamma; and int dmu/(x+lam) = m(-lam).
    # mp_integral runs each piece at rel. tol 1e-12 and the pieces of a positive integrand add up, so 1e-12
    # bounds the total; 1e-11 for the sharply peaked 1/(x + 1e-10) at gamma = 1 (measured ~1e-14).
    assert math.isclose(rmt.mp_integral(lambda x: np.ones_like(x), gamma), 1.0, rel_tol=1e-12)
    assert math.isclose(rmt.mp_integral(lambda x: x, gamma), 1.0, rel_tol=1e-12)
    assert math.isclose(rmt.mp_integral(lambda x: x * x, gamma), 1.0 + gamma, rel_tol=1e-12)
    for lam in (1e-2, 1.0, 1e2):
        val = rmt.mp_integral(lambda x: 1.0 / (x + lam), gamma)
        assert mpref.rel_err(val, mpref.stieltjes(lam, gamma)) <= 1e-12
        val2 = rmt.mp_integral(lambda x: 1.0 / (x + lam) ** 2, gamma)
        assert mpref.rel_err(val2, mpref.stieltjes_deriv(lam, gamma)) <= 1e-12
    # tiny ridges: the integrand peaks at x ~ lam near a hard edge; x_scale tells the quadrature where
    for lam in (1e-10, 1e-6):
        val = rmt.mp_integral(lambda x: 1.0 / (x + lam), gamma, x_scale=lam)
        assert mpref.rel_err(val, mpref.stieltjes(lam, gamma)) <= 1e-11


@pytest.mark.parametrize("gamma", [1e-4, 0.25, 1.0, 4.0, 1e4])
def test_mp_edges(gamma):
    a, b = rmt.mp_edges(gamma)
    s = math.sqrt(gamma)
    assert math.isclose(a, (1 - s) ** 2, rel_tol=1e-15, abs_tol=1e-300)
    assert math.isclose(b, (1 + s) ** 2, rel_tol=1e-15)
    assert 0.0 <= a < b


# ---------------------------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------------------------

BAD_LAMS = [-1.0, 0.0, 1e-11, 1e11, float("nan"), float("inf"), -float("inf")]
BAD_GAMMAS = [-1.0, 0.0, 1e-5, 1e5, float("nan"), float("inf")]


@pytest.mark.parametrize("name", (*RMT_QUANTITIES, "mp_quantities"))
@pytest.mark.parametrize("bad", BAD_LAMS)
def test_bad_lambda_raises_naming_it(name, bad):
    with pytest.raises(ValueError, match=r"^lam\b"):
        getattr(rmt, name)(bad, 0.5)
    with pytest.raises(ValueError, match=r"^lam\b"):
        getattr(rmt, name)(np.array([0.1, bad]), 0.5)  # one bad entry in an array


@pytest.mark.parametrize("name", (*RMT_QUANTITIES, "mp_quantities"))
@pytest.mark.parametrize("bad", BAD_GAMMAS)
def test_bad_gamma_raises_naming_it(name, bad):
    with pytest.raises(ValueError, match=r"^gamma\b"):
        getattr(rmt, name)(0.1, bad)


@pytest.mark.parametrize("bad", BAD_GAMMAS)
def test_mp_edges_and_integral_bad_gamma(bad):
    with pytest.raises(ValueError, match=r"^gamma\b"):
        rmt.mp_edges(bad)
    with pytest.raises(ValueError, match=r"^gamma\b"):
        rmt.mp_integral(lambda x: x, bad)


def test_empty_input_raises():
    with pytest.raises(ValueError, match=r"^lam\b"):
        rmt.kappa([], 0.5)


def test_non_number_string_names_parameter():
    with pytest.raises(ValueError, match=r"^lam\b"):
        rmt.kappa("abc", 0.5)


def test_referee_is_independent():
    # mpref must not import the code it referees (rmt, ridge), the kernels, or anything else of the package.
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(mpref))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported <= {"__future__", "mpmath"}, imported
