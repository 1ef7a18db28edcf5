"""Tests of ``w2s.theory.transfer`` and ``w2s.kernels.transfer`` (Somerstep et al. 2025;
docs/transfer.md): closed forms, the vertex-cone projection against scipy NNLS, the Chernoff rate against
mpmath, the posterior kernel against numpy, edge regimes and bad input."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls

from w2s.kernels import transfer as K
from w2s.kernels import transfer as K_  # the same module, for tests whose parameter is the number of concepts K
from w2s.theory import transfer as T

U5 = np.full(5, 0.2)


def test_spec_section_2_numbers():
    assert T.biases(U5, 0, 1.0) == pytest.approx((0.8, 1.0))  # persona example: (K - 1)/K
    assert T.naive_floor(U5, 0, 1.0) == pytest.approx(4 / 9)
    assert T.naive_lambda_star(U5, 0, 1.0) == pytest.approx(5 / 12)
    assert T.naive_mse(5 / 12, 2000, 30, U5, 0, 1.0, 1.0) == pytest.approx(0.4444 + 0.0089, abs=2e-4)


@given(st.floats(0.0, 1e3), st.floats(0.01, 10.0), st.integers(2, 8))
@settings(max_examples=80)
def test_floor_is_a_lower_bound(lam, b2, Kc):
    a = np.full(Kc, 1.0 / Kc)
    assert T.naive_bias(lam, a, 0, b2) >= T.naive_floor(a, 0, b2) * (1 - 1e-12)


def test_edge_regimes():
    # no weak bias: the floor is 0 and lam* = 0; the convex hull then has only sigma2 as noise
    assert T.naive_floor(U5, 0, 0.0) == 0.0 and T.naive_lambda_star(U5, 0, 0.0) == 0.0
    # prior concentrated on k*: eps_P = 0, floor 0, lam* undefined
    e = np.zeros(5)
    e[0] = 1.0
    assert T.naive_floor(e, 0, 1.0) == 0.0
    with pytest.raises(ValueError, match="not unique"):
        T.naive_lambda_star(e, 0, 1.0)
    # K = 1: the hull is a point, delta = 0
    assert T.statistical_dimension(1) == (0.0, 0.0)
    assert T.convex_hull_limit(1, 1.0, 1.0)[0] == 0.0


def test_vertex_cone_projection_matches_nnls():
    rng = np.random.default_rng(0)
    for Kc in (2, 3, 5, 8):
        G = rng.standard_normal((300, Kc))
        A = np.zeros((Kc, Kc - 1))
        A[0, :] = -1.0
        A[1:, :] = np.eye(Kc - 1)
        ref = []
        for g in G:
            w, _ = nnls(A, g)
            ref.append(np.sum((A @ w) ** 2))
        assert np.allclose(T.project_vertex_cone(G), ref, atol=1e-12)


def test_statistical_dimension_k2_is_one_half():
    """K = 2: the cone is a ray, delta = E[(g . r)_+^2] = 1/2 exactly."""
    delta, se = T.statistical_dimension(2, samples=400_000)
    assert abs(delta - 0.5) < 5 * se


def _mgf_mp(lam, b):
    """E[exp(-lam Delta)] for the uniform design by mpmath (triangular u, sinh(s)/s), independent route."""
    with mp.workdps(30):
        def f(u):
            s = lam * u * b
            ew = mp.sinh(s) / s if s != 0 else mp.mpf(1)
            return mp.exp(-lam * (1 - lam) * u * u / 2) * ew * (2 - abs(u)) / 4
        return mp.quad(f, [-2, 0, 2])


@pytest.mark.parametrize("b2, reference", [(1.0, 0.0601), (0.0, 0.0789)])
def test_chernoff_rate(b2, reference):
    r = T.chernoff_rate(1.0, b2)
    assert r.converged
    assert r.rate == pytest.approx(float(-mp.log(_mgf_mp(r.lam, math.sqrt(b2)))), rel=1e-10)
    # the reference values of docs/transfer.md §2.5 came from 2e6 Monte-Carlo draws and a 101-point lam grid:
    # agreement to 0.3%
    assert r.rate == pytest.approx(reference, rel=3e-3)
    assert T.chernoff_rate(1.0, 4.0).rate < T.chernoff_rate(1.0, 1.0).rate < r.rate + 1  # worse weak model: slower


def test_posterior_kernel_matches_numpy():
    args = (200, [0, 1, 5, 17], U5, 2, 0.7, 0.5, "gaussian")
    M1, R1 = K.icl_posteriors(*args, np.random.default_rng(4))
    M2, R2 = K.icl_posteriors_numpy(*args, np.random.default_rng(4))
    assert np.allclose(M1, M2, atol=1e-12) and np.allclose(R1, R2, rtol=1e-10)
    assert np.all(M1[:, 0] == pytest.approx(0.8))  # n_ICL = 0: the prior


def test_estimators_exact_on_noiseless_data():
    rng = np.random.default_rng(1)
    X = K.draw_features(400, 8, "uniform", rng)
    Y = K.weak_labels(X, 1, 5, 0.0, 0.0, rng)
    assert K.convex_hull_error(X, Y, 5, 1) < 1e-12
    beta_Q = np.eye(8)[1]
    assert K.naive_errors(X, Y, np.full(8, 0.1), beta_Q, [0.0])[0] < 1e-20
    assert K.ols_error(X, Y, beta_Q) < 1e-20


@pytest.mark.parametrize("call, match", [
    (lambda: T.biases([0.5, 0.6], 0, 1.0), "probability"),
    (lambda: T.biases(U5, 7, 1.0), "k_star"),
    (lambda: T.biases(U5, 0, -1.0), "b2"),
    (lambda: T.second_moment("laplace"), "design"),
    (lambda: T.naive_bias(-1.0, U5, 0, 1.0), "lam"),
    (lambda: T.chernoff_rate(0.0, 1.0), "sigma2"),
    (lambda: T.statistical_dimension(0), "K must"),
    (lambda: K.icl_posteriors(10, [3, 2], U5, 0, 0.0, 1.0, "uniform", np.random.default_rng(0)), "increasing"),
    (lambda: K.icl_posteriors(10, [1], U5, 0, 0.0, 0.0, "uniform", np.random.default_rng(0)), "sigma2"),
    (lambda: K.weak_labels(np.ones((3, 4)), 0, 5, 1.0, 1.0, np.random.default_rng(0)), "K \\+ 1"),
    (lambda: K.draw_features(3, 4, "laplace", np.random.default_rng(0)), "design"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_refinement_then_ols_matches_the_bracket():
    rng = np.random.default_rng(6)
    X = K.draw_features(100, 12, "uniform", rng)
    pi = np.array([0.7, 0.1, 0.1, 0.05, 0.05])
    assert K.refine_then_ols_error(pi, X, 0) == pytest.approx(0.3**2 + 0.01 + 0.01 + 0.0025 + 0.0025, rel=1e-10)
    _M, R = K.icl_posteriors(3, [0, 4], U5, 0, 0.0, 1.0, "uniform", rng)
    assert np.allclose(K.posterior_weights(R).sum(-1), 1.0)
    with pytest.raises(ValueError, match="concept weights"):
        K.refine_then_ols_error(np.ones(20) / 20, X, 0)


def test_importance_sampling_is_unbiased_and_reproducible():
    """Against plain Monte Carlo at n_ICL = 8, 32 (where plain MC is precise): |z| < 4."""
    lam = T.chernoff_rate(1.0, 1.0).lam
    assert K.tilt_normaliser(lam, 1.0, 1.0) == pytest.approx(math.exp(-T.chernoff_rate(1.0, 1.0).rate), rel=1e-12)
    Y = K.icl_misalignment_is(20000, [8, 32], U5, 1.0, 1.0, lam, np.random.default_rng(0))
    M, _ = K.icl_posteriors(100000, [8, 32], U5, 0, 1.0, 1.0, "uniform", np.random.default_rng(1))
    z = (Y.mean(0) - M.mean(0)) / np.sqrt(Y.var(0) / 20000 + M.var(0) / 100000)
    assert np.all(np.abs(z) < 4), z
    # any tilt is unbiased (only the variance changes): lam = 0 is plain sampling with unit weights
    Y0 = K.icl_misalignment_is(20000, [8], U5, 1.0, 1.0, 0.0, np.random.default_rng(2))
    assert abs(Y0.mean() - M.mean(0)[0]) < 4 * np.sqrt(Y0.var() / 20000 + M.var(0)[0] / 100000)
    a = K.icl_misalignment_is(50, [4, 9], U5, 0.5, 1.0, 0.3, np.random.default_rng(5))
    b = K.icl_misalignment_is(50, [4, 9], U5, 0.5, 1.0, 0.3, np.random.default_rng(5))
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="lam"):
        K.icl_misalignment_is(5, [4], U5, 0.5, 1.0, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="K >= 2"):
        K.icl_misalignment_is(5, [4], [1.0], 0.5, 1.0, 0.3, np.random.default_rng(0))


def test_typical_rate_and_refined_risk():
    assert T.typical_rate(1.0) == pytest.approx(1 / 3)  # docs/transfer.md §2.6: mu = 1/3 for the uniform design
    assert T.typical_rate(2.0, "gaussian") == pytest.approx(0.5)
    pi = np.array([0.7, 0.1, 0.1, 0.05, 0.05])
    X = K.draw_features(60, 10, "gaussian", np.random.default_rng(0))
    assert T.refined_excess_risk(pi) == pytest.approx(K.refine_then_ols_error(pi, X, 0), rel=1e-10)
    # the bracket of docs/transfer.md §2.7: (1 - pi*)^2 K/(K-1) <= risk <= 2 (1 - pi*)^2
    assert 0.09 * 5 / 4 <= T.refined_excess_risk(pi) <= 2 * 0.09
    with pytest.raises(ValueError, match="probability"):
        T.refined_excess_risk([0.5, 0.6])


# ----- a weak bias with a component along the target (docs/transfer.md §2.8) ---------------------------------------

@given(st.floats(-3.0, 3.0), st.floats(0.0, 4.0), st.floats(0.0, 0.9))
@settings(max_examples=60)
def test_target_component_floor_is_the_minimum_over_lam(t, b2, a_star):
    alpha = np.array([a_star] + [(1 - a_star) / 4] * 4)
    if abs(t) < 1e-9 and b2 == 0.0:
        return
    try:
        H, lam = T.naive_floor_target(alpha, 0, b2, t, "gaussian")
    except ValueError:
        return
    grid = np.concatenate([[0.0], np.geomspace(1e-4, 1e4, 4000)])
    vals = T.naive_bias_target(grid, alpha, 0, b2, t, "gaussian")
    assert H <= vals.min() + 1e-9
    assert H == pytest.approx(min(vals.min(), T.biases(alpha, 0, b2)[0]), abs=1e-5)


def test_target_component_reduces_to_the_orthogonal_case():
    a = np.full(5, 0.2)
    assert T.naive_floor_target(a, 0, 1.0, 0.0)[0] == pytest.approx(T.naive_floor(a, 0, 1.0), rel=1e-14)
    assert T.naive_floor_target(a, 0, 1.0, 0.0, "gaussian")[1] == pytest.approx(
        T.naive_lambda_star(a, 0, 1.0, "gaussian"), rel=1e-14)
    assert T.hull_target_bias(5, 0.3) == 0.0


@pytest.mark.parametrize("t", [-0.2, -0.5, -1.0, -1.2])
def test_hull_target_bias_is_the_simplex_projection(t):
    """Projection of (1 + t) e_0 on the simplex by NNLS with a sum penalty row, against the closed form."""
    K = 5
    x = np.zeros(K)
    x[0] = 1 + t
    A = np.vstack([np.eye(K), 1e6 * np.ones((1, K))])
    w, _ = nnls(A, np.concatenate([x, [1e6]]))
    e = w.copy()
    e[0] -= 1
    assert e @ e == pytest.approx(T.hull_target_bias(K, t), abs=1e-8)


def test_hull_target_variance_finite_n():
    """Gaussian design, interior minimiser: n E||w - w*||^2 against (sigma2 + b2 + t^2/K)(K - 1) n/(n - K)."""
    rng = np.random.default_rng(11)
    K, t, n, reps = 5, -1.0, 400, 4000
    w_star = np.full(K, -t / K)
    w_star[0] = 1 + t * (K - 1) / K
    vals = []
    for _ in range(reps):
        X = rng.standard_normal((n, K + 1))
        Y = (1 + t) * X[:, 0] + X[:, K] + rng.standard_normal(n)
        w = _hull_weights(X, Y, K)
        vals.append(n * np.sum((w - w_star) ** 2))
    pred = T.hull_target_variance(K, 1.0, 1.0, t) * n / (n - K)
    assert abs(np.mean(vals) - pred) < 4 * np.std(vals) / np.sqrt(reps)


def _hull_weights(X, Y, K_):
    from w2s.kernels import transfer as KT
    return KT.convex_hull_weights(X, Y, K_)


@pytest.mark.parametrize("call, match", [
    (lambda: T.naive_floor_target(np.full(5, 0.2), 0, 1.0, float("nan")), "t"),
    (lambda: T.naive_bias_target(-1.0, np.full(5, 0.2), 0, 1.0, 0.5), "lam"),
    (lambda: T.hull_target_bias(5, -2.0), "t"),
    (lambda: T.hull_target_bias(1, -0.5), "K"),
    (lambda: T.hull_target_variance(5, 1.0, 1.0, 0.5), "t"),
    (lambda: T.hull_target_variance(5, -1.0, 1.0, -0.5), "sigma2"),
])
def test_target_component_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_log_misalignment_matches_the_posterior_kernel():
    """The log-space kernel on the same draws as icl_posteriors: exp(log M) = M where M is representable, and finite
    where M underflows."""
    a = np.full(5, 0.2)
    L = K.icl_log_misalignment(200, [0, 5, 40, 3000], a, 0, 1.0, 1.0, "uniform", np.random.default_rng(4))
    M, _R = K.icl_posteriors(200, [0, 5, 40, 3000], a, 0, 1.0, 1.0, "uniform", np.random.default_rng(4))
    assert np.allclose(np.exp(L[:, :3]), M[:, :3], rtol=1e-6)
    assert np.allclose(L[:, 0], math.log(0.8), rtol=1e-12)
    assert np.all(np.isfinite(L[:, 3])) and np.all(L[:, 3] < -700)


def test_gaussian_grams_are_wishart():
    """X^T X with iid N(0, 1) entries: E W = n I, Var W_ii = 2n, Var W_ij = n, and tr W ~ chi2_{n m} (a wrong degree
    of freedom, n - 1, would move the mean of tr W by 95 of its standard errors)."""
    from w2s.kernels.rng import generator
    n, m, reps = 9, 4, 40000
    W = K.gaussian_grams(n, m, generator(3, "wishart"), reps)
    assert W.shape == (reps, m, m) and np.allclose(W, np.swapaxes(W, 1, 2))
    mean, var = W.mean(0), W.var(0)
    se_mean = np.sqrt(np.where(np.eye(m, dtype=bool), 2 * n, n) / reps)
    assert np.all(np.abs(mean - n * np.eye(m)) < 4.5 * se_mean)
    # tr W ~ chi2_{n m}: mean n m = 36, sd sqrt(2 n m) / sqrt(reps) = 0.042; dof n - 1 would give 32 (95 sd away)
    tr = np.trace(W, axis1=1, axis2=2)
    assert abs(tr.mean() - n * m) < 4.5 * np.sqrt(2 * n * m / reps)
    assert np.allclose(var, np.where(np.eye(m, dtype=bool), 2 * n, n), rtol=0.06)
    with pytest.raises(ValueError, match="n must be >= m"):
        K.gaussian_grams(3, 4, generator(0), 1)


def _hull_samples(reduced, n, reps, seed, ts=(0.0, -0.5), sigma2=1.0):
    from w2s.kernels.rng import generator
    rng = generator(seed, "hull-law")
    if reduced:
        W = K.hull_weights_gaussian_reduced(n, 5, 1.0, sigma2, ts, rng, reps)
    else:
        W = np.empty((reps, len(ts), 5))
        for r in range(reps):
            X = K.draw_features(n, 6, "gaussian", rng)
            Y = K.weak_labels(X, 0, 5, 1.0, 1.0, rng)
            for j, t in enumerate(ts):
                W[r, j] = K.convex_hull_weights(X, Y + t * X[:, 0], 5)
    e = W.copy()
    e[:, :, 0] -= 1.0
    err = n * np.sum(e**2, axis=2)  # (reps, len(ts)): n ||w - e_0||^2
    # the atom at 0 (the fit at the vertex) is exact in the batched fit and ~1e-20 under NNLS's penalty row
    return np.where(err < 1e-12, 0.0, err)


def test_reduced_gaussian_hull_sampler_agrees_in_law_with_explicit_draws():
    """Two independent samples of n ||w - e_0||^2 (t = 0, -0.5) at n = 60: means within 4 joint SE and two-sample
    KS p > 1e-3. The same test on a reduced sampler that drops the noise column (sigma2 = 0) must fail: the test
    can tell a wrong law at this size."""
    from scipy import stats as sps
    n, reps = 60, 3000
    ref = _hull_samples(False, n, reps, 1)

    def agrees(sample):
        z = (sample.mean(0) - ref.mean(0)) / np.sqrt((sample.var(0) + ref.var(0)) / reps)
        ks = [sps.ks_2samp(sample[:, j], ref[:, j]).pvalue for j in range(ref.shape[1])]
        return bool(np.all(np.abs(z) < 4) and min(ks) > 1e-3)

    assert agrees(_hull_samples(True, n, reps, 2))
    assert not agrees(_hull_samples(True, n, reps, 2, sigma2=0.0))


# ----- the streamed convex-hull simulator (hull_grams, simplex_ls_weights_batch, hull_fit_errors) --------------------

def _random_simplex_problems(K, reps, seed):
    """Positive-definite G and h spread so that the minimiser lies at vertices, on edges and inside the simplex."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((reps, K + 3, K))
    G = np.einsum("rij,rik->rjk", A, A) / (K + 3)
    scale = rng.choice([0.03, 0.3, 1.0, 3.0], size=(reps, 1))
    return G, G[:, :, 0] + scale * rng.standard_normal((reps, K))


@pytest.mark.parametrize("K", [1, 2, 3, 5, 7])
def test_batched_simplex_fit_is_scipy_nnls(K):
    """Face enumeration against scipy's NNLS with the penalty row (exact to ~1e-9): the same minimiser on every
    problem, over supports of every size (vertices, edges, interiors are all represented)."""
    G, h = _random_simplex_problems(K, 400, K)
    wb = K_.simplex_ls_weights_batch(G, h)
    ws = np.array([K_.simplex_ls_weights(G[r], h[r]) for r in range(len(h))])
    assert np.abs(wb - ws).max() < 1e-7
    assert np.all(wb >= 0) and np.allclose(wb.sum(1), 1.0, atol=1e-12)
    supports = set((wb > 0).sum(1).tolist())
    assert K == 1 or (1 in supports and K in supports or len(supports) >= min(K, 3))


def test_batched_simplex_fit_takes_the_least_objective_not_the_first_feasible_face():
    """w = e_0 is feasible (a vertex is always its own face's minimiser) but not optimal when h points inside:
    a solver that kept the first feasible face would return it."""
    G = np.eye(3)[None]
    h = np.array([[0.4, 0.3, 0.3]])
    assert np.allclose(K_.simplex_ls_weights_batch(G, h), [[0.4, 0.3, 0.3]], atol=1e-14)


@pytest.mark.parametrize("call, match", [
    (lambda: K_.simplex_ls_weights_batch(np.eye(2)[None], np.zeros((1, 3))), "G must be"),
    (lambda: K_.simplex_ls_weights_batch(np.eye(11)[None], np.zeros((1, 11))), "K must be in"),
    (lambda: K_.simplex_ls_weights_batch(np.full((1, 2, 2), np.nan), np.zeros((1, 2))), "finite"),
    (lambda: K_.hull_grams(10, 5, "laplace", np.random.default_rng(0), 2), "design"),
    (lambda: K_.hull_grams(0, 5, "uniform", np.random.default_rng(0), 2), "n must be"),
    (lambda: K_.hull_fit_errors(np.zeros((2, 7, 7)), 10, 5, 1.0, -1.0), "sigma2"),
    (lambda: K_.hull_fit_errors(np.zeros((2, 6, 6)), 10, 5, 1.0, 1.0), "W must be"),
    (lambda: K_.hull_fit_errors(np.zeros((2, 7, 7)), 10, 5, 1.0, 1.0, k_star=5), "k_star"),
])
def test_streamed_hull_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("design, c, m4", [("uniform", 1 / 3, 1 / 5), ("gaussian", 1.0, 3.0)])
def test_hull_grams_moments(design, c, m4):
    """E W/n = diag(c, ..., c, 1) and the per-row variances: Var(x_i^2) = m4 - c^2, Var(x_i x_j) = c^2,
    Var(x_i eps) = c, Var(eps^2) = 2 (a design on [0, 1) would put 1/4 off the diagonal, 1000 SE away)."""
    from w2s.kernels.rng import generator
    n, K, reps = 7, 3, 40000
    W = K_.hull_grams(n, K, design, generator(5, "hull-grams"), reps)
    assert W.shape == (reps, K + 2, K + 2) and np.array_equal(W, np.swapaxes(W, 1, 2))
    d = np.full(K + 2, c)
    d[-1] = 1.0
    var_row = np.outer(d, d)
    var_row[np.diag_indices(K + 2)] = np.r_[np.full(K + 1, m4 - c * c), 2.0]
    se = np.sqrt(n * var_row / reps)
    assert np.all(np.abs(W.mean(0) - n * np.diag(d)) < 4.5 * se)
    assert np.allclose(W.var(0), n * var_row, rtol=0.08)


def test_streamed_hull_error_agrees_in_law_with_explicit_draws():
    """n ||beta_C - beta_Q||^2 at n = 40 (uniform design, biased weak model): hull_grams + hull_fit_errors against
    draw_features + weak_labels + convex_hull_error, means within 4 joint SE and two-sample KS p > 1e-3. The
    negative control, the noise dropped (sigma2 = 0 in the streamed fit), must fail at the same size. The law has an
    atom at 0 (the fit at the target vertex), exact in the face enumeration and ~1e-20 under the penalty row of the
    NNLS form: both are rounded to 0 below 1e-12 before the KS test."""
    from scipy import stats as sps
    from w2s.kernels.rng import generator
    n, K, reps = 40, 5, 4000
    rng = generator(7, "hull-explicit")
    ref = np.empty(reps)
    for r in range(reps):
        X = K_.draw_features(n, K + 1, "uniform", rng)
        ref[r] = n * K_.convex_hull_error(X, K_.weak_labels(X, 0, K, 1.0, 1.0, rng), K, 0)
    ref[ref < 1e-12] = 0.0
    W = K_.hull_grams(n, K, "uniform", generator(8, "hull-streamed"), reps)

    def agrees(sample):
        sample = np.where(sample < 1e-12, 0.0, sample)
        z = (sample.mean() - ref.mean()) / np.sqrt((sample.var() + ref.var()) / reps)
        return bool(abs(z) < 4 and sps.ks_2samp(sample, ref).pvalue > 1e-3)

    assert agrees(n * K_.hull_fit_errors(W, n, K, 1.0, 1.0))
    assert not agrees(n * K_.hull_fit_errors(W, n, K, 1.0, 0.0))


def test_fill_uniform_pm1_is_two_uniforms_minus_one():
    from w2s.kernels import gauss_rng as G
    s = np.repeat(G.stream_states(np.random.default_rng(3), 1), 2, axis=0)  # two copies of one stream
    out = np.empty(1000)
    G.fill_uniform_pm1(s[0], out)
    ref = np.array([2.0 * G.uniform(s[1]) - 1.0 for _ in range(1000)])
    assert np.array_equal(out, ref) and np.array_equal(s[0], s[1])
    assert out.min() >= -1.0 and out.max() < 1.0
