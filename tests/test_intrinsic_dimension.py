"""Tests of ``w2s.theory.intrinsic_dimension`` and ``w2s.kernels.intrinsic_dimension`` (docs/intrinsic_dimension.md):
the closed forms against an mpmath twin and their edge regimes (identical subspaces, nearly orthogonal ones with a
biased target, N -> d_s + 1), geometry helpers, the numba reduced sampler against its plain twin (equality) and
against the explicit simulator (in law), and bad input."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.kernels import intrinsic_dimension as K
from w2s.kernels.rng import generator
from w2s.theory import intrinsic_dimension as T


def _mp_risks(d_s, d_w, d_sw, n, N, sigma2, bias_w=0, bias_s=0, bias_sw=0, bias_disc=0):
    """mpmath twin of :func:`T.excess_risks` (50 digits), written from docs §2 independently."""
    mp.mp.dps = 50
    f = mp.mpf
    s2w, s2s = f(sigma2) + f(bias_w), f(sigma2) + f(bias_s)
    t = f(bias_w) + s2w * d_w / (f(n) - d_w - 1)
    c = f(bias_s) + s2s * d_s / (f(n) - d_s - 1)
    w = (f(bias_s) + f(bias_sw) + s2w * f(d_sw) / (f(n) - d_w - 1)
         + (f(bias_disc) + s2w * (d_w - f(d_sw)) / (f(n) - d_w - 1)) * d_s / (f(N) - d_s - 1))
    return t, w, c


geo = st.integers(1, 30).flatmap(lambda d_s: st.tuples(
    st.just(d_s), st.integers(d_s, 40), st.floats(0.0, 1.0), st.integers(0, 500), st.integers(0, 500)))


@given(geo, st.floats(0.0, 10.0), st.floats(0.0, 2.0), st.floats(0.0, 1.0))
@settings(max_examples=150)
def test_closed_forms_against_mpmath(g, sigma2, bias_w, frac):
    d_s, d_w, t, dn, dN = g
    d_sw = t * d_s
    n, N = d_w + 2 + dn, d_s + 2 + dN
    kw = dict(bias_w=bias_w, bias_s=0.5 * bias_w, bias_sw=frac * bias_w, bias_disc=0.3 * bias_w)
    r = T.excess_risks(d_s=d_s, d_w=d_w, d_sw=d_sw, n=n, N=N, sigma2=sigma2, **kw)
    ref = _mp_risks(d_s, d_w, d_sw, n, N, sigma2, **kw)
    # a handful of float operations on O(1) terms: relative error within 1e-14
    for a, b in zip((r.teacher, r.w2s, r.ceiling), ref):
        assert a == pytest.approx(float(b), rel=1e-14, abs=1e-300)
    assert r.w2s == pytest.approx(kw["bias_s"] + r.inherited + r.discrepancy, rel=1e-14)


def test_spec_check_numbers():
    """docs §6: D = 60, d_s = 10, d_w = 20, d_sw = 6.681, n = 100, N = 40, sigma = 1."""
    r = T.excess_risks(d_s=10, d_w=20, d_sw=6.681, n=100, N=40, sigma2=1.0)
    assert (round(r.teacher, 4), round(r.w2s, 4), round(r.ceiling, 4)) == (0.2532, 0.1427, 0.1124)
    assert T.asymptotic_w2s_risk(d_s=10, d_w=20, d_sw=6.681, n=100, N=40, sigma2=1.0) == pytest.approx(0.1, abs=5e-4)


@given(st.integers(1, 30), st.integers(0, 200), st.integers(0, 200), st.floats(0.01, 5.0))
@settings(max_examples=100)
def test_identical_subspaces_student_equals_teacher(d, dn, dN, sigma2):
    """V_s = V_w: nothing lies on the discrepancy, the student reproduces the teacher (and the ceiling)."""
    r = T.excess_risks(d_s=d, d_w=d, d_sw=d, n=d + 2 + dn, N=d + 2 + dN, sigma2=sigma2)
    assert r.discrepancy == 0.0
    assert r.w2s == pytest.approx(r.teacher, rel=1e-14) and r.ceiling == pytest.approx(r.teacher, rel=1e-14)
    with pytest.raises(ValueError, match="d_s must differ from d_w"):
        T.pgr_limit(d_s=d, d_w=d, d_sw=d)


@given(st.floats(0.0, 1e-6), st.floats(0.0, 3.0), st.floats(0.0, 1.0))
@settings(max_examples=80)
def test_nearly_orthogonal_with_biased_target(d_sw, b, sigma2):
    """d_sw -> 0, beta* along the weak space only: the student inherits almost none of the teacher's variance; its
    error is the target's part outside V_s plus the shrunk discrepancy, and it tends to ||beta*||^2 as N grows."""
    r = T.excess_risks(d_s=5, d_w=10, d_sw=d_sw, n=50, N=10**7, sigma2=sigma2, bias_w=0.0, bias_s=b, bias_sw=0.0,
                       bias_disc=b)
    assert r.inherited == pytest.approx(0.0, abs=1e-5)
    assert r.w2s == pytest.approx(b, abs=1e-5 * (1 + b))


def test_student_error_blows_up_as_N_approaches_d_s_plus_1():
    vals = [T.excess_risks(d_s=10, d_w=20, d_sw=5, n=100, N=N, sigma2=1.0).w2s for N in (13, 12)]
    assert vals[1] > vals[0] > 0
    assert vals[1] == pytest.approx(0.25316455696 * 5 / 20 + 15 / 79 * 10, rel=1e-9)  # d_s/(N - d_s - 1) = 10
    with pytest.raises(ValueError, match="N=11 is outside"):
        T.excess_risks(d_s=10, d_w=20, d_sw=5, n=100, N=11, sigma2=1.0)


@given(st.floats(0.0, 10.0))
def test_pgr_tends_to_its_limit(d_sw):
    lim = T.pgr_limit(d_s=10, d_w=20, d_sw=d_sw)
    assert T.pgr(d_s=10, d_w=20, d_sw=d_sw, n=10**9, N=10**9, sigma2=1.0) == pytest.approx(lim, abs=1e-6)


@pytest.mark.parametrize("kw, match", [
    (dict(d_sw=11.0), "d_sw=11 is outside"), (dict(n=21), "n=21 is outside"), (dict(sigma2=float("nan")), "sigma2"),
    (dict(d_s=2.5), "d_s=2.5 must be an integer"), (dict(bias_sw=0.5, bias_w=0.1), "bias_sw=0.5 is outside"),
])
def test_bad_input_names_the_parameter(kw, match):
    base = dict(d_s=10, d_w=20, d_sw=5.0, n=100, N=40, sigma2=1.0)
    with pytest.raises(ValueError, match=match):
        T.excess_risks(**{**base, **kw})


def test_geometry_helpers():
    c2 = (1.0, 0.5, 0.25, 0.0)
    V_s, V_w = T.canonical_subspaces(4, 6, c2)
    assert np.allclose(V_s.T @ V_s, np.eye(4)) and np.allclose(V_w.T @ V_w, np.eye(6))
    assert T.overlap_dim(V_s, V_w) == pytest.approx(1.75, abs=1e-12)
    assert np.sum((V_s.T @ V_w) ** 2) == pytest.approx(1.75, abs=1e-12)
    Q = np.linalg.qr(generator(0, "t").standard_normal((V_s.shape[0],) * 2))[0]
    assert T.overlap_dim(Q @ V_s, Q @ V_w) == pytest.approx(1.75, abs=1e-12)  # rotation invariant
    for bad in ((V_s[:, 0], V_w), (V_s, V_w[:, 0]), (V_s[:-1], V_w)):  # either one a vector, or rows differing
        with pytest.raises(ValueError, match="V_s and V_w must be matrices"):
            T.overlap_dim(*bad)
    beta = np.zeros(V_s.shape[0])
    beta[0] = 1.0
    assert T.bias_terms(V_s, V_w, beta) == pytest.approx(dict(bias_w=0, bias_s=0, bias_sw=0, bias_disc=0), abs=1e-15)
    beta[1] = 1.0  # on e_2: cos^2 = 0.5 with the weak space
    b = T.bias_terms(V_s, V_w, beta)
    assert b["bias_w"] == pytest.approx(0.5) and b["bias_s"] == pytest.approx(0.0, abs=1e-15)
    assert b["bias_sw"] == pytest.approx(0.25) and b["bias_disc"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="cos2"):
        T.canonical_subspaces(4, 6, (1.0, 2.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="d_s=7 must be <= d_w=6"):
        T.canonical_subspaces(7, 6, (1.0,) * 7)


def _model(biased):
    V_s, V_w = T.canonical_subspaces(3, 5, (1.0, 0.6, 0.2))
    beta = np.zeros(V_s.shape[0])
    beta[0] = 1.0
    if biased:
        beta[2], beta[-1] = 0.5, 0.4
    return V_s, V_w, beta


@pytest.mark.parametrize("biased", [False, True])
def test_kernel_equals_its_plain_twin(biased):
    V_s, V_w, beta = _model(biased)
    kw = dict(n=12, N=7, sigma2=0.7, reps=64)
    a = K.simulate_bartlett(V_s, V_w, beta, rng=generator(3, "eq"), **kw)
    b = K.simulate_bartlett_python(V_s, V_w, beta, rng=generator(3, "eq"), **kw)
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


def test_reduced_samplers_and_explicit_agree_in_law_with_the_exact_forms():
    """Means of the three simulators at a small model, each within 4.5 standard errors of the exact forms (a
    fixed seed: deterministic; 4.5 SE over 15 comparisons has a false-alarm rate ~1e-4)."""
    V_s, V_w, beta = _model(True)
    r = T.excess_risks(d_s=3, d_w=5, d_sw=T.overlap_dim(V_s, V_w), n=12, N=8, sigma2=0.7,
                       **T.bias_terms(V_s, V_w, beta))
    exact = np.array(r.as_tuple())
    for fn, reps, extra in ((K.simulate_bartlett, 40000, {}), (K.simulate_bartlett_numpy, 40000, {}),
                            (K.simulate_explicit, 8000, {"D": 15})):
        o = fn(V_s, V_w, beta, n=12, N=8, sigma2=0.7, rng=generator(1, "law", fn.__name__), reps=reps, **extra)
        z = (o.mean(0) - exact) / (o.std(0) / np.sqrt(reps))
        assert np.all(np.abs(z) < 4.5), (fn.__name__, z)


def test_simulators_reject_bad_input():
    V_s, V_w, beta = _model(False)
    with pytest.raises(ValueError, match="n=6 must be"):
        K.simulate_bartlett(V_s, V_w, beta, n=6, N=8, sigma2=1.0, rng=generator(0), reps=2)
    with pytest.raises(ValueError, match="orthonormal"):
        K.simulate_bartlett(2 * V_s, V_w, beta, n=12, N=8, sigma2=1.0, rng=generator(0), reps=2)
    with pytest.raises(ValueError, match="rng"):
        K.simulate_explicit(V_s, V_w, beta, n=12, N=8, sigma2=1.0, rng=0, reps=2)
    with pytest.raises(ValueError, match="D=3 must be"):
        K.simulate_explicit(V_s, V_w, beta, n=12, N=8, sigma2=1.0, rng=generator(0), reps=2, D=3)


def test_bias_terms_refuses_a_target_of_the_wrong_length():
    V = np.eye(5)[:, :2]
    with pytest.raises(ValueError, match="beta_star must have 5 entries"):
        T.bias_terms(V, V, np.ones(4))


def test_canonical_frame_has_room_for_a_target_outside_both():
    """The canonical frame lives in R^(d_s + d_w + 1): orthonormal columns with the asked principal cosines, and the
    last axis e_m orthogonal to both spaces (a target there has bias 1 for both)."""
    cos2 = np.array([0.3, 0.9])
    V_s, V_w = T.canonical_subspaces(2, 3, cos2)
    assert V_s.shape == (6, 2) and V_w.shape == (6, 3)
    np.testing.assert_allclose(V_w.T @ V_w, np.eye(3), atol=1e-15)
    np.testing.assert_allclose(np.sort(np.linalg.svd(V_s.T @ V_w, compute_uv=False) ** 2), np.sort(cos2), atol=1e-14)
    e_m = np.zeros(6)
    e_m[-1] = 1.0
    assert np.all(V_s.T @ e_m == 0) and np.all(V_w.T @ e_m == 0)
    b = T.bias_terms(V_s, V_w, e_m)
    assert b["bias_w"] == pytest.approx(1.0) and b["bias_s"] == pytest.approx(1.0)
