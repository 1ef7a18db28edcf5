"""Tests of ``w2s.theory.misfit_gain`` and ``w2s.kernels.misfit_gain`` (docs/misfit_gain.md): the projection
identity on the empirical measure (to rounding), the convex-class inequality (cone, ball, simplex by scipy) and the
non-realizable bound (to optimiser tolerance), misfit 0, the slack constants, the resampling kernel against its
plain twin, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.kernels import misfit_gain as K
from w2s.kernels.gauss_rng import stream_states
from w2s.kernels.rng import generator
from w2s.theory import misfit_gain as T


def _measure(seed, M=600, p=6, k_s=8, k_w=4, act="tanh"):
    g = generator(seed, "tests:misfit")
    X = g.standard_normal((M, p))
    Z = K.random_features(X, 1.5 * g.standard_normal((k_s, p)) / np.sqrt(p), act)
    H = K.random_features(X, 1.5 * g.standard_normal((k_w, p)) / np.sqrt(p), act)
    return g, Z, H


def _d(f, h):
    return float(np.mean((f - h) ** 2))


@given(st.integers(0, 10**6), st.sampled_from(["tanh", "relu"]))
@settings(max_examples=40)
def test_projection_identity_to_rounding(seed, act):
    """Linear heads, f* in the span: err_sw = err_w - misfit on the empirical measure, to ~1e-12 relative."""
    g, Z, H = _measure(seed, act=act)
    f_star = Z @ g.standard_normal(Z.shape[1])
    f_w = H @ g.standard_normal(H.shape[1]) + 0.3 * g.standard_normal(Z.shape[0])
    f_sw = Z @ K.project(Z, f_w, "subspace")
    err_w, err_sw, misfit = _d(f_w, f_star), _d(f_sw, f_star), _d(f_sw, f_w)
    # rounding of sums of M = 600 squares of O(1) terms: ~1e-13 relative; 1e-10 leaves room, and a non-projection
    # (e.g. a ridge fit) misses by >1e-3
    assert abs(err_sw - (err_w - misfit)) <= 1e-10 * err_w
    f_ridge = Z @ np.linalg.solve(Z.T @ Z + 0.5 * Z.shape[0] * np.eye(Z.shape[1]), Z.T @ f_w)
    assert abs(_d(f_ridge, f_star) - (err_w - _d(f_ridge, f_w))) > 1e-3 * err_w


def _in_class(g, k):
    return g.dirichlet(np.ones(k))  # in the simplex, hence in the cone and in the unit ball


@given(st.integers(0, 10**6), st.sampled_from(["cone", "ball", "simplex"]))
@settings(max_examples=30)
def test_convex_class_inequality(seed, cls):
    """err_sw <= err_w - misfit for the projection onto a convex class containing f*; the slack is >= 0 up to the
    optimiser's tolerance (NNLS and the KKT root are exact to rounding; SLSQP with ftol 1e-15: 1e-9 relative)."""
    g, Z, H = _measure(seed)
    f_star = Z @ _in_class(g, Z.shape[1])
    f_w = H @ g.standard_normal(H.shape[1]) + Z @ g.normal(0, 0.5, Z.shape[1])
    c = K.project(Z, f_w, cls, radius=1.0)
    f_sw = Z @ c
    err_w, err_sw, misfit = _d(f_w, f_star), _d(f_sw, f_star), _d(f_sw, f_w)
    assert err_sw <= err_w - misfit + 1e-9 * err_w
    # the projection is optimal: no member of the class along the segment to f* is closer to f_w
    for t in (1e-3, 0.1, 0.5):
        assert _d((1 - t) * f_sw + t * f_star, f_w) >= misfit * (1 - 1e-9)
    if cls == "cone":
        assert np.all(c >= 0)
    if cls == "ball":
        assert np.linalg.norm(c) <= 1.0 + 1e-12
    if cls == "simplex":
        assert np.all(c >= -1e-12) and abs(c.sum() - 1) < 1e-9


@given(st.integers(0, 10**6), st.sampled_from(["subspace", "cone", "simplex"]))
@settings(max_examples=30)
def test_nonrealizable_bound(seed, cls):
    """f* outside the class: err_sw <= err_w - misfit + 2 sqrt(eps misfit), eps = d(f_s, f*), f_s the projection
    of f*; the plain Pythagorean bound fails for some draws (the extra term is needed)."""
    g, Z, H = _measure(seed)
    f_star = Z @ _in_class(g, Z.shape[1]) + 0.5 * H[:, 0]
    f_w = H @ g.standard_normal(H.shape[1]) + Z @ g.normal(0, 0.5, Z.shape[1])
    f_sw = Z @ K.project(Z, f_w, cls)
    f_s = Z @ K.project(Z, f_star, cls)
    err_w, err_sw, misfit, eps = _d(f_w, f_star), _d(f_sw, f_star), _d(f_sw, f_w), _d(f_s, f_star)
    assert eps > 0
    assert err_sw <= T.nonrealizable_bound(err_w=err_w, misfit=misfit, eps=eps) + 1e-9 * err_w


def test_nonrealizable_bound_is_tight_for_aligned_residuals():
    """Subspace, weak residual parallel to f*'s residual: equality in Cauchy-Schwarz."""
    g, Z, H = _measure(5)
    r = H[:, 0] - Z @ np.linalg.lstsq(Z, H[:, 0], rcond=None)[0]
    f_star, f_w = Z @ np.ones(Z.shape[1]) + 0.3 * r, Z @ np.zeros(Z.shape[1]) + 1.1 * r
    f_sw = Z @ K.project(Z, f_w)
    eps = _d(Z @ K.project(Z, f_star), f_star)
    bound = T.nonrealizable_bound(err_w=_d(f_w, f_star), misfit=_d(f_sw, f_w), eps=eps)
    assert _d(f_sw, f_star) == pytest.approx(bound, rel=1e-10)


@given(st.integers(0, 10**6), st.sampled_from(K.CLASSES))
@settings(max_examples=20)
def test_misfit_zero_when_the_weak_model_is_in_the_class(seed, cls):
    g, Z, _ = _measure(seed)
    f_w = Z @ _in_class(g, Z.shape[1])
    f_sw = Z @ K.project(Z, f_w, cls, radius=1.0)
    assert _d(f_sw, f_w) <= 1e-12 * np.mean(f_w**2)
    assert T.gaussian_slack(k=5, n=40, misfit=0.0) == 0.0
    o = K.gaussian_slack_draws(k=3, n=10, misfit=0.0, b=np.ones(3), rng=generator(seed), reps=4)
    assert np.allclose(o, 0.0, atol=1e-12)  # the fit reproduces f_w exactly: no slack at all


def test_slack_constant_reduces_to_the_gaussian_one():
    """Independent Gaussian residual on Gaussian features: C = 2 E[q r^2] = 2 k misfit (up to the measure's
    sampling error, ~1% at M = 2e5)."""
    g = generator(0, "tests:misfit:gauss")
    M, k = 200_000, 4
    Z = g.standard_normal((M, k))
    r = g.standard_normal(M)
    r -= Z @ np.linalg.lstsq(Z, r, rcond=None)[0]
    f_star = Z @ np.ones(k)
    f_w = f_star + Z @ np.r_[0.2, 0, 0, 0] + r
    C = T.slack_constant(Z, f_w, f_star)
    assert C == pytest.approx(2 * k * np.mean(r**2), rel=0.02)
    with pytest.raises(ValueError, match="span"):
        T.slack_constant(Z, f_w, f_star + r)


def test_resampling_kernel_equals_its_plain_twin():
    g = generator(1, "tests:misfit:kernel")
    Z, f = g.standard_normal((300, 4)), g.standard_normal(300)
    st_ = stream_states(g, 16)
    G, h = np.empty((16, 4, 4)), np.empty((16, 4))
    K._resample_gram(st_.copy(), Z, f, 50, G, h)
    G2, h2 = K.resample_gram_reference(st_, Z, f, 50)
    np.testing.assert_allclose(G, G2, rtol=1e-12, atol=1e-12 * np.abs(G2).max())  # summation order only
    np.testing.assert_allclose(h, h2, rtol=1e-12, atol=1e-12)


def test_exact_gaussian_slack_and_reduced_sampler_in_law():
    """Explicit draws and the Bartlett sampler both match 2 k m/(n - k - 1) within 4.5 SE (fixed seeds)."""
    exact = T.gaussian_slack(k=4, n=20, misfit=0.8)
    for fn, reps in ((K.gaussian_slack_draws, 40000), (K.gaussian_slack_bartlett, 40000)):
        o = fn(k=4, n=20, misfit=0.8, b=np.r_[0.3, 0, 0, 0], rng=generator(2, fn.__name__), reps=reps)
        assert abs(o[:, 0].mean() - exact) < 4.5 * o[:, 0].std() / np.sqrt(reps), fn.__name__
        assert abs(o[:, 2].mean()) < 4.5 * o[:, 2].std() / np.sqrt(reps)


@pytest.mark.parametrize("call, match", [
    (lambda: T.gaussian_slack(k=5, n=6, misfit=1.0), "n=6 is outside"),
    (lambda: T.gaussian_slack(k=0, n=6, misfit=1.0), "k=0 is outside"),
    (lambda: T.gaussian_slack(k=5, n=40, misfit=-1.0), "misfit=-1 is outside"),
    (lambda: T.nonrealizable_bound(err_w=1.0, misfit=0.5, eps=float("inf")), "eps"),
    (lambda: K.project(np.eye(3), np.ones(3), "sphere"), "cls must be one of"),
    (lambda: K.random_features(np.eye(2), np.eye(2), "gelu"), "activation"),
    (lambda: K.gaussian_slack_draws(k=3, n=4, misfit=1.0, b=np.ones(3), rng=generator(0), reps=2), "n >= k"),
    (lambda: T.gaussian_slack(k=3, n=4, misfit=1.0), "n=4 is outside"),
    (lambda: T.gaussian_slack(k=3, n=1_000_000_001, misfit=1.0), "n=1e\\+09 is outside"),
    (lambda: T.population(np.ones(4), np.ones(4), np.ones(4)), "Z must be"),
    (lambda: T.population(np.ones((4, 2, 1)), np.ones(4), np.ones(4)), "Z must be"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_population_quantities_by_hand():
    """A three-point measure with one feature z = (1, 1, 2): f_w = (1, 2, 3) projects to c_pop = 9/6, f_pop =
    (1.5, 1.5, 3), misfit = 1/6; f* = (0, 0, 1) has c* = 1/3, eps = 1/9, err_w = 3 and err_sw = 17/6."""
    Z = np.array([[1.0], [1.0], [2.0]])
    P = T.population(Z, np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0]))
    assert P["c_pop"][0] == pytest.approx(1.5, rel=1e-14) and P["c_star"][0] == pytest.approx(1 / 3, rel=1e-14)
    assert P["misfit"] == pytest.approx(1 / 6, rel=1e-13) and P["eps"] == pytest.approx(1 / 9, rel=1e-13)
    assert P["err_w"] == pytest.approx(3.0, rel=1e-14) and P["err_sw"] == pytest.approx(17 / 6, rel=1e-13)
    assert P["Sigma"][0, 0] == pytest.approx(2.0, rel=1e-14)


def test_gaussian_slack_at_the_smallest_sample():
    """n = k + 2 is the documented smallest sample (the inverse-Wishart mean is finite from there): 2 k m."""
    assert T.gaussian_slack(k=3, n=5, misfit=0.5) == pytest.approx(3.0, rel=1e-15)


def test_measure_needs_more_points_than_features():
    """M <= k is refused, with both numbers in the message (M = 2 < k = 3, and M = k = 3)."""
    with pytest.raises(ValueError, match=r"more points than features \(M=2, k=3\)"):
        T.population(np.ones((2, 3)), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"\(M=3, k=3\)"):
        T.population(np.eye(3), np.ones(3), np.ones(3))
