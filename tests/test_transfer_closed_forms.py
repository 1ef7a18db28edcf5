"""Closed forms of ``w2s.theory.transfer`` against independent evaluations (written to kill the mutants that
survived ``tests/test_transfer.py``; see the mutation-testing section of docs/statistics.md)."""

import math

import numpy as np
import pytest
from scipy import optimize

from w2s.theory import transfer as T


def _cone_projection_nnls(g):
    """``||Pi_T g||^2`` for ``T = cone{e_k - e_0}`` by non-negative least squares (independent of the sorting)."""
    K = g.size
    A = np.zeros((K, K - 1))
    A[0, :] = -1.0
    A[np.arange(1, K), np.arange(K - 1)] = 1.0
    w, _ = optimize.nnls(A, g)
    p = A @ w
    return float(p @ p)


@pytest.mark.parametrize("K", [2, 3, 5, 8])
def test_vertex_cone_projection_matches_nnls(K):
    """Random rows, rows with the vertex ahead of every competitor, and rows with ties: exact up to rounding."""
    rng = np.random.default_rng(K)
    g = rng.standard_normal((200, K))
    g[:20, 0] = g[:20, 1:].max(axis=1) + 0.5  # vertex ahead: projection 0
    g[20:40, 2 % K] = g[20:40, 1]  # ties among competitors
    got = T.project_vertex_cone(g)
    ref = np.array([_cone_projection_nnls(row) for row in g])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    assert np.all(got[:20] == 0.0)


def test_statistical_dimension_and_its_standard_error():
    """K = 5 (the claims' value 1.2929 +- 0.0013 at 2e6 samples): with 4e5 samples the estimate is within 4 of its
    standard errors, and that error is sd/sqrt(N) ~ 3e-3 (not, e.g., a power of sd)."""
    delta, se = T.statistical_dimension(5, samples=400_000)
    assert 1e-3 < se < 1e-2
    assert abs(delta - 1.2929) < 4 * math.hypot(se, 0.0013)
    assert T.statistical_dimension(1) == (0.0, 0.0)
    with pytest.raises(ValueError, match="K must be an integer"):
        T.statistical_dimension(True)


@pytest.mark.parametrize("design", ["uniform", "gaussian"])
def test_convex_hull_limit_formula(design):
    c = T.second_moment(design)
    delta, se = T.statistical_dimension(5, samples=200_000)
    for sigma2, b2 in ((1.0, 0.0), (0.5, 2.0), (2.0, 0.3)):
        val, val_se = T.convex_hull_limit(5, sigma2, b2, design, samples=200_000)
        f = (sigma2 + c * b2) / c
        assert val == pytest.approx(f * delta, rel=1e-12)
        assert val_se == pytest.approx(f * se, rel=1e-12)
    assert np.isfinite(T.convex_hull_limit(5, 1e10, 0.0, samples=200_000)[0])  # the upper end is allowed


@pytest.mark.parametrize("lam, sigma2, b2", [(0.3, 1.0, 1.0), (0.5, 2.0, 0.5), (0.8, 0.7, 0.2), (0.5, 1.0, 0.0)])
def test_gaussian_design_mgf_is_a_gaussian_integral(lam, sigma2, b2):
    """For the Gaussian design, u ~ N(0, 2) and the integrand is exp(kappa u^2) with kappa = -lam (1 - lam) /
    (2 sigma2) + lam^2 b2 / (2 sigma2^2), so E = (1 - 4 kappa)^(-1/2) exactly (needs 4 kappa < 1)."""
    kappa = -lam * (1 - lam) / (2 * sigma2) + lam**2 * b2 / (2 * sigma2**2)
    assert 4 * kappa < 1
    exact = 1.0 / math.sqrt(1.0 - 4.0 * kappa)
    assert T._mgf(lam, sigma2, math.sqrt(b2), "gaussian") == pytest.approx(exact, rel=1e-9)
    rate = T.chernoff_rate(sigma2, b2, "gaussian")
    assert rate.converged and rate.rate > 0


def test_input_checks_at_their_boundaries():
    U = [0.2, 0.2, 0.2, 0.2, 0.2]
    assert np.isfinite(T.naive_mse(0.1, 100, 1, U, 0, 1.0, 0.0))  # d = 1 and sigma2 = 0 are allowed
    for bad_d in (0, True):
        with pytest.raises(ValueError, match="d must be an integer"):
            T.naive_mse(0.1, 100, bad_d, U, 0, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"k_star must be an index in \[0, 4\]"):
        T.naive_bias(0.1, U, 7, 1.0)
    with pytest.raises(ValueError, match="sigma2"):
        T.typical_rate(0.0)
    with pytest.raises(ValueError, match="probability vector"):
        T.refined_excess_risk([1.2, -0.2])


def _mgf_uniform_mp(lam, sigma2, b):
    """E[exp(-lam Delta)] for the uniform design at any sigma2, by mpmath over the triangular law of u on [-2, 2]."""
    import mpmath as mp

    with mp.workdps(30):
        def f(u):
            s = lam * u * b / sigma2
            ew = mp.sinh(s) / s if s != 0 else mp.mpf(1)
            return mp.exp(-lam * (1 - lam) * u * u / (2 * sigma2)) * ew * (2 - abs(u)) / 4
        return float(mp.quad(f, [-2, 0, 2]))


@pytest.mark.parametrize("lam, sigma2, b2", [(0.3, 2.0, 1.0), (0.6, 0.5, 0.3), (0.5, 3.0, 4.0)])
def test_uniform_design_mgf_at_any_noise_level(lam, sigma2, b2):
    """The referee of tests/test_transfer.py is at sigma2 = 1, where u b / sigma2 and u b sigma2 agree."""
    assert T._mgf(lam, sigma2, math.sqrt(b2), "uniform") == pytest.approx(_mgf_uniform_mp(lam, sigma2, math.sqrt(b2)),
                                                                          rel=1e-9)


def test_refined_excess_risk_needs_a_vector():
    with pytest.raises(ValueError, match="probability vector"):
        T.refined_excess_risk(1.0)
    assert T.refined_excess_risk([1.0, 0.0]) == 0.0


def test_statistical_dimension_uses_exactly_the_asked_samples():
    """Below one batch (200000), the estimate is the mean of exactly ``samples`` projections of the seeded draws."""
    from w2s.theory.transfer import project_vertex_cone, statistical_dimension

    vals = project_vertex_cone(np.random.default_rng(7).standard_normal((1000, 4)))
    delta, se = statistical_dimension(4, samples=1000, seed=7)
    assert delta == vals.mean() and se == pytest.approx(vals.std(ddof=1) / np.sqrt(1000), rel=1e-12)
