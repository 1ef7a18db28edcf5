"""Tests of ``w2s.theory.feature_learning`` (Moniri & Hassani 2025, Part (c); docs/feature_learning.md §2):
Gaussian moments against mpmath, closed forms, edge regimes (gamma -> 0, pure-hard target, zero noise) and
bad input."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.theory import feature_learning as F
from w2s.theory.gaussian import gauss_expect_mp

MP_LINKS = {"linear": lambda z: z, "tanh": mp.tanh, "relu": lambda z: max(z, 0),
            "he2": lambda z: (z * z - 1) / mp.sqrt(2), "he3": lambda z: (z**3 - 3 * z) / mp.sqrt(6)}


@pytest.mark.parametrize("name", sorted(MP_LINKS))
def test_link_moments_against_mpmath(name):
    g = MP_LINKS[name]
    m = F.link_moments(name)
    # adaptive quadrature split at the kink (requested accuracy 1e-12 relative, 1e-14 absolute)
    tol = 1e-10
    assert m.c == pytest.approx(float(gauss_expect_mp(lambda z: z * g(z))), abs=tol)
    assert m.m1 == pytest.approx(float(gauss_expect_mp(g)), abs=tol)
    assert m.m2 == pytest.approx(float(gauss_expect_mp(lambda z: g(z) ** 2)), abs=tol)


def test_spec_check_value():
    """docs/feature_learning.md §2.2: linear easy link, 0.471 predicted; recovered with gamma = 0.5, He_2 hard link, sigma2 = 0.25."""
    assert F.teacher_alignment("linear", "he2", 0.5, 0.25)[0] == pytest.approx(8 / 17, rel=1e-12)


@given(st.sampled_from(["linear", "tanh", "relu", "he1+he2"]), st.sampled_from(["he2", "he3", "zero"]),
       st.floats(1e-4, 1e4), st.floats(0.0, 10.0))
@settings(max_examples=60)
def test_alignment_bounds_and_monotonicity(ge, gh, gamma, sigma2):
    e, h = F.teacher_alignment(ge, gh, gamma, sigma2)
    assert 0.0 < e <= 1.0 and abs(h) < 1e-20
    e2, _ = F.teacher_alignment(ge, gh, min(gamma * 2, 1e4), sigma2)
    assert e2 <= e + 1e-15  # fewer samples per dimension: less alignment


def test_gamma_to_zero_and_pure_targets():
    # gamma -> 0: cos^2 -> c_e^2 / (c_e^2 + c_h^2) = 1 when c_h = 0
    assert F.teacher_alignment("tanh", "he3", 1e-4, 1.0)[0] == pytest.approx(1.0, abs=1e-3)
    # pure-hard target: nothing to learn in one step
    assert F.teacher_alignment("zero", "he2", 1.0, 0.5)[0] == 0.0
    # zero noise and a linear target: 1/(1 + gamma)
    assert F.teacher_alignment("linear", "zero", 0.7, 0.0)[0] == pytest.approx(1 / 1.7, rel=1e-12)
    with pytest.raises(ValueError, match="identically zero"):
        F.teacher_alignment("zero", "zero", 1.0, 0.0)


def test_hard_overlap_rate_closed_form():
    """He_3 hard link, tanh easy link: E[z^2 He_3^2/6] = (105 - 90 + 27)/6 = 7."""
    e = F.link_moments("tanh")
    expect = 1.0 * (e.m2 + 7.0 + 0.25) / (e.c**2 + 1.0 * (e.m2 + 1.0 + 0.25))
    assert F.hard_overlap_rate("tanh", "he3", 1.0, 0.25) == pytest.approx(expect, rel=1e-10)
    with pytest.raises(ValueError, match="hard link"):
        F.hard_overlap_rate("tanh", "linear", 1.0)


def test_student_never_beats_teacher_alignment_and_retention():
    for phi in ("linear", "tanh", "relu"):
        for gs in (1e-3, 0.5, 4.0):
            assert F.student_alignment("linear", "he3", 1.0, phi, gs, 0.25) <= F.teacher_alignment(
                "linear", "he3", 1.0, 0.25)[0] + 1e-15
    h, hn, en = F.retained_overlaps("linear", "he3", 1.0, "tanh", 0.5, 0.8, 0.0)
    assert (h, hn, en) == (0.8, 0.8, 0.0)  # eta = 0: nothing moves
    h, hn, en = F.retained_overlaps("linear", "he3", 1.0, "tanh", 0.5, 0.8, 1.0, 0.25)
    assert h == 0.8 and 0 < hn < 0.8 and en > 0
    assert hn**2 + en**2 <= 1.0


@pytest.mark.parametrize("call, match", [
    (lambda: F.teacher_alignment("linear", "he2", 0.0), "gamma"),
    (lambda: F.teacher_alignment("linear", "he2", 1.0, -1.0), "sigma2"),
    (lambda: F.teacher_alignment("cubic", "he2", 1.0), "unknown link"),
    (lambda: F.retained_overlaps("linear", "he2", 1.0, "tanh", 1.0, 1.5, 1.0), "rho_h"),
    (lambda: F.retained_overlaps("linear", "he2", 1.0, "tanh", 1.0, 0.5, -1.0), "eta"),
    (lambda: F.student_alignment("linear", "he2", 1.0, "zero", 1.0), "identically zero"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_math_constants():
    assert math.isclose(F.link_moments("he3").m2, 1.0, rel_tol=1e-12)
    assert np.isclose(F.link_moments("relu").c, 0.5, atol=1e-5)


# ----- several steps, and the top singular vector (docs/feature_learning.md §2.7-2.8) --------------------------------

_MS = ("linear", "he3", 1.0, "tanh", 0.5)


def test_multi_step_first_step_is_the_one_step_formula():
    ov = F.multi_step_overlaps(*_MS, 0.8, 0.7, 3, 0.25)
    h, hn, en = F.retained_overlaps(*_MS, 0.8, 0.7, 0.25)
    assert ov[0].tolist() == [0.0, 0.8, 0.0]
    assert ov[1, 1] == pytest.approx(hn, rel=1e-14) and ov[1, 0] == pytest.approx(en, rel=1e-14)


@given(st.floats(0.0, 1.0), st.floats(0.01, 5.0), st.integers(1, 30))
@settings(max_examples=40)
def test_multi_step_invariants(rho_h, eta, steps):
    ov = F.multi_step_overlaps(*_MS, rho_h, eta, steps, 0.25)
    rho_e = math.sqrt(F.teacher_alignment("linear", "he3", 1.0, 0.25)[0])
    assert np.allclose(ov[:, 0], rho_e * ov[:, 2], rtol=1e-12, atol=1e-15)   # m_e = rho_e q from q_0 = m_e^0 = 0
    assert np.all(np.diff(ov[:, 1]) <= 0)                                      # the hard overlap only decays
    assert np.all(ov[:, 0] ** 2 + ov[:, 1] ** 2 <= 1 + 1e-12)                  # overlaps of a unit vector
    k = F.hard_half_step("linear", "he3", 1.0, "tanh", 0.5, eta, 0.25)
    full = F.multi_step_overlaps(*_MS, 1.0, eta, k, 0.25)[:, 1]
    assert full[k] < 0.5 <= full[k - 1]


def test_multi_step_documented_range_and_default():
    """The documented ends of the step count are accepted (0 steps: only the start; 1e6 steps: the recursion is
    O(steps)) and one step beyond is refused; ``sigma2`` defaults to noiseless labels (0), which the noisy result
    differs from."""
    assert F.multi_step_overlaps(*_MS, 0.6, 0.5, 0, 0.25).tolist() == [[0.0, 0.6, 0.0]]
    long = F.multi_step_overlaps(*_MS, 0.6, 1e-6, 10**6, 0.25)
    assert long.shape == (10**6 + 1, 3) and np.all(np.isfinite(long))
    with pytest.raises(ValueError, match="steps"):
        F.multi_step_overlaps(*_MS, 0.6, 0.5, 10**6 + 1, 0.25)
    assert np.array_equal(F.multi_step_overlaps(*_MS, 0.6, 0.5, 3), F.multi_step_overlaps(*_MS, 0.6, 0.5, 3, 0.0))
    assert not np.allclose(F.multi_step_overlaps(*_MS, 0.6, 0.5, 3), F.multi_step_overlaps(*_MS, 0.6, 0.5, 3, 0.25))


def test_multi_step_zero_rate_keeps_the_neuron():
    assert np.array_equal(F.multi_step_overlaps(*_MS, 0.6, 0.0, 4)[:, 1], np.full(5, 0.6))


def test_bbp_limits_continuous_at_the_threshold_and_symmetric():
    for psi in (0.1, 0.5, 1.0, 3.0):
        tc = psi**0.25
        s, r, l = F.spiked_singular_limits(tc * (1 + 1e-9), psi)
        assert r < 1e-7 and l < 1e-7 and s == pytest.approx(1 + math.sqrt(psi), rel=1e-7)
        # transposing swaps the roles: right overlap at psi equals the left overlap at 1/psi with theta/sqrt(psi)
        th = 2.0 * tc
        assert F.spiked_singular_limits(th, psi)[1] == pytest.approx(
            F.spiked_singular_limits(th / math.sqrt(psi), 1 / psi)[2], rel=1e-12)
    assert F.spiked_singular_limits(1e5, 0.5)[1] == pytest.approx(1.0, abs=1e-9)


def test_subcritical_rate_edges():
    assert F.subcritical_overlap_rate(0.0, 0.5) == 1.0
    assert F.subcritical_overlap_rate(0.5**0.25 * (1 - 1e-6), 0.5) > 1e10


@pytest.mark.parametrize("call, match", [
    (lambda: F.multi_step_overlaps(*_MS, 1.2, 0.5, 3), "rho_h"),
    (lambda: F.multi_step_overlaps(*_MS, 0.5, -1.0, 3), "eta"),
    (lambda: F.multi_step_overlaps(*_MS, 0.5, 0.5, -1), "steps"),
    (lambda: F.multi_step_overlaps(*_MS, 0.5, 0.5, 2.5), "steps"),
    (lambda: F.hard_half_step("linear", "he3", 1.0, "tanh", 0.5, 0.0), "eta"),
    (lambda: F.spiked_singular_limits(-1.0, 0.5), "theta"),
    (lambda: F.spiked_singular_limits(1.0, 0.0), "psi"),
    (lambda: F.subcritical_overlap_rate(0.9, 0.5), "theta"),
    (lambda: F.bbp_threshold("linear", "he2", 0.5, "he2", 0.5), "mu_1"),
    (lambda: F.top_singular_alignment("linear", "he2", 0.5, "tanh", 1.0, 1e5), "psi"),
])
def test_new_closed_forms_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----- exact values on polynomial links (found by mutation testing: the cross term E[g_e] E[g_h] and the student,
# BBP and rate formulas had no direct test) ------------------------------------------------------------------------
# g_e(z) = z + 1/2: c = 1, m1 = 1/2, m2 = 5/4.  g_h(z) = z^2: c = 0, m1 = 1, m2 = 3.  E[y^2] = 5/4 + 3 + 2 (1/2)(1) + sigma2.
_GE = lambda z: z + 0.5  # noqa: E731
_GH = lambda z: z * z  # noqa: E731
_GH0 = lambda z: z * z - 1.0  # noqa: E731  (hard: c = 0, m1 = 0, m2 = 2; E[z^2 g] = 2, E[z^2 g^2] = 10)


@pytest.mark.parametrize("gamma, sigma2", [(0.5, 0.0), (2.0, 0.25)])
def test_teacher_and_student_alignment_exact_on_polynomial_links(gamma, sigma2):
    Ey2 = 1.25 + 3.0 + 1.0 + sigma2
    ce, ch = F.teacher_alignment(_GE, _GH, gamma, sigma2)
    assert ce == pytest.approx(1.0 / (1.0 + gamma * Ey2), rel=1e-10) and ch == pytest.approx(0.0, abs=1e-12)
    # readout phi(z) = 2 z + 1: c_phi = 2, E[phi^2] = 5
    gs = 1.5
    assert F.student_alignment(_GE, _GH, gamma, lambda z: 2.0 * z + 1.0, gs, sigma2) == pytest.approx(
        ce * 4.0 / (4.0 + 5.0 * gs), rel=1e-10)


@pytest.mark.parametrize("gamma, sigma2", [(0.5, 0.0), (2.0, 0.25)])
def test_hard_overlap_rate_exact_on_polynomial_links(gamma, sigma2):
    """g_h = z^2 - 1: E[z_h^2 y^2] = 5/4 + 10 + 2 (1/2)(2) + sigma2, E[y^2] = 5/4 + 2 + sigma2; g_h = z^2 (hard too,
    with mean 1): E[z_h^2 y^2] = 5/4 + 15 + 2 (1/2)(3) + sigma2, E[y^2] = 5/4 + 3 + 2 (1/2)(1) + sigma2."""
    want = gamma * (13.25 + sigma2) / (1.0 + gamma * (3.25 + sigma2))
    assert F.hard_overlap_rate(_GE, _GH0, gamma, sigma2) == pytest.approx(want, rel=1e-10)
    want = gamma * (19.25 + sigma2) / (1.0 + gamma * (5.25 + sigma2))
    assert F.hard_overlap_rate(_GE, _GH, gamma, sigma2) == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("gamma, psi, sigma2, mu1", [(0.5, 0.5, 0.0, 3.0), (2.0, 3.0, 0.25, 0.5)])
def test_bbp_threshold_and_top_singular_alignment_exact(gamma, psi, sigma2, mu1):
    """g_e(z) = 2 z + 1/2 (c_e = 2, E g_e = 1/2, E g_e^2 = 17/4), g_h = z^2: ||v||^2 -> c_e^2 + c_h^2 + gamma E[y^2]
    = 4 + gamma (17/4 + 3 + 1 + sigma2); with act(z) = mu1 z the spike is theta = mu1 eta ||v||."""
    ge = lambda z: 2.0 * z + 0.5  # noqa: E731
    v2 = 4.0 + gamma * (4.25 + 3.0 + 1.0 + sigma2)
    act = lambda z, _m=mu1: _m * z  # noqa: E731
    eta_c = F.bbp_threshold(ge, _GH, gamma, act, psi, sigma2)
    assert eta_c == pytest.approx(psi**0.25 / (mu1 * math.sqrt(v2)), rel=1e-10)
    for eta in (0.5 * eta_c, 2.0 * eta_c):
        right, right_e, sigma1 = F.top_singular_alignment(ge, _GH, gamma, act, eta, psi, sigma2)
        s1, r, _l = F.spiked_singular_limits(mu1 * eta * math.sqrt(v2), psi)
        assert (right, sigma1) == (pytest.approx(r, rel=1e-10), pytest.approx(s1, rel=1e-10))
        assert right_e == pytest.approx(r * 4.0 / v2, rel=1e-10)  # cos^2(v, u_e) = c_e^2/||v||^2
    assert F.top_singular_alignment(ge, _GH, gamma, act, 0.5 * eta_c, psi, sigma2)[:2] == (0.0, 0.0)


def test_spiked_singular_limits_below_threshold_and_at_the_range_edge():
    assert F.spiked_singular_limits(0.5, 1.0) == (2.0, 0.0, 0.0)  # theta < psi^(1/4): the bulk edge, no overlap
    assert F.spiked_singular_limits(0.9, 16.0) == (5.0, 0.0, 0.0)
    s1, r, l = F.spiked_singular_limits(1e6, 1.0)  # the largest allowed theta
    assert s1 == pytest.approx(1e6, rel=1e-9) and r == pytest.approx(1.0, abs=1e-9) and l == pytest.approx(1.0, abs=1e-9)


def test_hard_half_step_needs_a_positive_step():
    with pytest.raises(ValueError, match="eta"):
        F.hard_half_step("linear", "he3", 1.0, "tanh", 0.5, 0.0, 0.25)
