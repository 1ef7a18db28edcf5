"""Tests of ``w2s.theory.representations`` and ``w2s.kernels.representations`` (Xue et al. 2025;
docs/representations.md): the factored smoothers against dense matrices, exact identities, projection and rank-0
limits, identical representations, the Wishart draws against their moments and against explicit features, the
exact test-error formula against explicit test points, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.kernels import representations as K
from w2s.kernels.rng import generator
from w2s.theory import representations as T

P = 12
A_S = np.zeros((9, P))
A_S[:, :9] = np.diag(np.linspace(2.0, 0.6, 9))
A_W = np.zeros((4, P))
A_W[:, :4] = np.diag([2.0, 1.5, 1.0, 0.8])
A_VEC = np.ones(P) / np.sqrt(P)


def _dense(H, reg):
    n = H.shape[0]
    Kp = H @ H.T / n
    return Kp @ np.linalg.inv(Kp + reg * np.eye(n))


def _problem(seed, n=30, rw=3, rs=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, rw)), rng.standard_normal((n, rs)), rng.standard_normal(n)


@given(st.integers(0, 10_000), st.integers(2, 40), st.integers(0, 6), st.integers(1, 8),
       st.floats(1e-4, 10.0), st.floats(1e-4, 10.0))
@settings(max_examples=60)
def test_formulas_match_dense_smoothers(seed, n, rw, rs, reg_w, reg_s):
    Hw, Hs, y = _problem(seed, n, rw, rs)
    Pw = _dense(Hw, reg_w) if rw else np.zeros((n, n))
    Ps = _dense(Hs, reg_s)
    f = T.w2s_formulas(Hw, Hs, y, reg_w, reg_s)
    I = np.eye(n)
    M = Ps @ (I - Pw)
    tol = dict(rel=1e-8, abs=1e-10)
    assert f.pred_gap == pytest.approx(np.sum((M @ y) ** 2) / n, **tol)
    assert f.err_w == pytest.approx(np.sum(((I - Pw) @ y) ** 2) / n, **tol)
    assert f.err_sc == pytest.approx(np.sum(((I - Ps) @ y) ** 2) / n, **tol)
    assert f.err_w2s == pytest.approx(np.sum((y - Ps @ Pw @ y) ** 2) / n, **tol)
    assert f.metric_op == pytest.approx(np.linalg.norm(M, 2), rel=1e-7, abs=1e-9)
    assert f.metric_frob == pytest.approx(np.sum(M * M), rel=1e-7, abs=1e-9)
    # exact split of the weak error (an identity of vectors) and the triangle bound of docs/representations.md §2.3
    assert f.pred_gap + f.corrected + f.cross == pytest.approx(f.err_w, rel=1e-10, abs=1e-12)
    assert f.err_w2s <= (np.sqrt(f.err_sc) + np.sqrt(f.pred_gap)) ** 2 * (1 + 1e-12) + 1e-15


def test_ridge_smoother_dense_form():
    Hw, _, _ = _problem(3)
    assert np.allclose(T.ridge_smoother(Hw, 0.2), _dense(Hw, 0.2), atol=1e-12)


def test_projection_limit():
    """reg -> 0: the smoothers become orthogonal projections, the cross term of Err_w2s vanishes and
    Err_w2s = Err_sc + PredGap (docs/representations.md §2.3)."""
    Hw, Hs, y = _problem(7, n=40, rw=3, rs=6)
    f = T.w2s_formulas(Hw, Hs, y, 1e-11, 1e-11)
    Qw, _ = np.linalg.qr(Hw)
    Qs, _ = np.linalg.qr(Hs)
    e = y - Qw @ (Qw.T @ y)
    assert f.pred_gap == pytest.approx(np.sum((Qs @ (Qs.T @ e)) ** 2) / 40, rel=1e-8)
    assert f.err_w2s == pytest.approx(f.err_sc + f.pred_gap, rel=1e-8)
    assert f.cross == pytest.approx(0.0, abs=1e-9)
    # with exact projections and r_s > r_w the operator norm saturates at 1 (docs/representations.md §2.4)
    assert f.metric_op == pytest.approx(1.0, abs=1e-6)


def test_rank_zero_weak_model():
    """r_w = 0: P_w = 0, so (★) = ||P_s y||^2/n, Err_w = ||y||^2/n = Err_w2s; population: R_w = 0."""
    _, Hs, y = _problem(11)
    f = T.w2s_formulas(np.zeros((30, 0)), Hs, y, 0.1, 0.1)
    Ps = _dense(Hs, 0.1)
    assert f.pred_gap == pytest.approx(np.sum((Ps @ y) ** 2) / 30, rel=1e-10)
    assert f.err_w == pytest.approx(y @ y / 30, rel=1e-12) and f.err_w2s == pytest.approx(f.err_w, rel=1e-12)
    pop = T.population_limits(np.zeros((0, P)), A_S, A_VEC, 0.09, 0.05, 0.05)
    assert pop.err_w == pytest.approx(1.09) and pop.err_w2s == pytest.approx(1.09)
    Rs = T.population_operator(A_S, 0.05)
    assert pop.pred_gap == pytest.approx(np.sum((Rs @ A_VEC) ** 2))


def test_identical_representations():
    """h_w = h_s with equal regularisers: P_s (I - P_w) = P (I - P), whose eigenvalues f (1 - f) vanish in the
    projection limit: PredGap = 0 and the metric is 0 there."""
    _, Hs, y = _problem(5)
    f = T.w2s_formulas(Hs, Hs, y, 1e-11, 1e-11)
    assert f.pred_gap == pytest.approx(0.0, abs=1e-18) and f.metric_op == pytest.approx(0.0, abs=1e-9)
    pop = T.population_limits(A_S, A_S, A_VEC, 0.09, 1e-11, 1e-11)
    assert pop.pred_gap == pytest.approx(0.0, abs=1e-18)
    g = T.w2s_formulas(Hs, Hs, y, 0.3, 0.3)  # ridge: small but not zero, bounded by max f (1 - f) <= 1/4
    assert 0 < g.metric_op <= 0.25 + 1e-12


def test_population_limits_identities():
    pop = T.population_limits(A_W, A_S, A_VEC, 0.09, 0.051, 0.051)
    assert pop.pred_gap + pop.corrected + pop.cross == pytest.approx(pop.err_w, rel=1e-12)
    Rw, Rs = T.population_operator(A_W, 0.051), T.population_operator(A_S, 0.051)
    I = np.eye(P)
    cross2 = 2 * ((I - Rs) @ A_VEC) @ (Rs @ (I - Rw) @ A_VEC)
    assert pop.err_w2s == pytest.approx(pop.err_sc + pop.pred_gap + cross2, rel=1e-12)
    # diagonal model: R = diag(s^2/(s^2 + reg)) on the principal coordinates
    assert np.allclose(np.diag(Rs)[:9], np.linspace(2, 0.6, 9) ** 2 / (np.linspace(2, 0.6, 9) ** 2 + 0.051))
    assert np.allclose(np.diag(Rs)[9:], 0.0)
    # population value for the nested weak model of docs/representations.md §1.3 (a = 1/sqrt(12))
    assert pop.pred_gap == pytest.approx(0.3655920, rel=1e-6)


def test_sample_formulas_approach_population_limits():
    """n = 20000: the formulas are within a few standard deviations (~ 1/sqrt(n)) of their population limits."""
    rng = np.random.default_rng(0)
    n = 20000
    Z = rng.standard_normal((n, P))
    y = Z @ A_VEC + 0.3 * rng.standard_normal(n)
    f = T.w2s_formulas(Z @ A_W.T, Z @ A_S.T, y, 0.051, 0.051)
    pop = T.population_limits(A_W, A_S, A_VEC, 0.09, 0.051, 0.051)
    for key in ("pred_gap", "err_w", "err_sc", "err_w2s", "corrected", "cross"):
        assert getattr(f, key) == pytest.approx(getattr(pop, key), abs=0.03), key


def test_pgr_and_projection_criterion():
    assert T.pgr(1.0, 0.7, 0.4) == pytest.approx(0.5)
    assert np.allclose(T.pgr([1.0, 2.0], [0.7, 2.0], [0.4, 1.0]), [0.5, 0.0])
    with pytest.raises(ValueError, match="err_w must differ"):
        T.pgr(1.0, 0.5, 1.0)
    # nested spans: (I - P_s)(I - P_w) = I - P_s, so W2S cannot strictly beat the weak model
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((200, P))
    y = Z @ A_VEC
    assert not T.beats_weak_projection(Z @ A_W.T, Z @ A_S.T, y)
    # a weak model that mixes in directions outside the strong span, on labels inside it, is beaten
    Aw = np.zeros((3, P))
    for k in range(3):
        Aw[k, k], Aw[k, 9 + k] = 1.0, 1.0
    y_in = Z[:, :9].sum(1)
    assert T.beats_weak_projection(Z @ Aw.T, Z @ A_S.T, y_in)


def test_implicit_ridge():
    assert T.implicit_ridge(10_000, 0.05 * 100 / 10_000, 100) == pytest.approx(0.05)


@pytest.mark.parametrize("call, match", [
    (lambda: T.w2s_formulas(np.ones((5, 2)), np.ones((5, 2)), np.ones(5), 0.0, 0.1), "reg_w"),
    (lambda: T.w2s_formulas(np.ones((5, 2)), np.ones((5, 2)), np.ones(5), 0.1, -1.0), "reg_s"),
    (lambda: T.w2s_formulas(np.ones((4, 2)), np.ones((5, 2)), np.ones(5), 0.1, 0.1), "H_w must have 5 rows"),
    (lambda: T.w2s_formulas(np.ones((5, 2)), np.ones((5, 2)), np.full(5, np.nan), 0.1, 0.1), "y must be"),
    (lambda: T.w2s_formulas(np.ones(5), np.ones((5, 2)), np.ones(5), 0.1, 0.1), "H_w must be a 2-D"),
    (lambda: T.population_limits(A_W, A_S[:, :5], A_VEC, 0.09, 0.1, 0.1), "A_s must have 12 columns"),
    (lambda: T.population_limits(A_W, A_S, A_VEC, -0.1, 0.1, 0.1), "sigma2"),
    (lambda: T.population_operator(A_S, np.inf), "reg"),
    (lambda: T.implicit_ridge(0, 1.0, 10), "D must be"),
    (lambda: T.implicit_ridge(10, 1.0, 2.5), "n must be"),
])
def test_bad_input_theory(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----- kernels ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, D", [("bartlett", 9), ("explicit", 9), ("tridiagonal", 9), ("explicit", 4),
                                       ("tridiagonal", 4)])
def test_wishart_moments(method, D):
    """Wishart(D, s2 I_N): E W = D s2 I, Var W_ij = D s2^2 (1 + delta_ij); for the tridiagonal form (a rotated W)
    the rotation-invariant moments E tr W = N D s2 and E tr W^2 = s2^2 D N (D + N + 1). D = 4 < N: singular."""
    N, s2, reps = 6, 0.5, 20000
    rng = generator(0, "test:wishart", method, D)
    if method == "tridiagonal":
        tr, tr2 = np.empty(reps), np.empty(reps)
        for r in range(reps):
            d, o = K.wishart_tridiagonal(N, D, s2, rng)
            tr[r] = d.sum()
            tr2[r] = np.sum(d * d) + 2 * np.sum(o * o)
        for x, m in ((tr, N * D * s2), (tr2, s2**2 * D * N * (D + N + 1))):
            assert abs(x.mean() - m) < 5 * x.std() / np.sqrt(reps)
        return
    W = np.array([K.wishart_bartlett(N, D, s2, rng) if method == "bartlett" else K.wishart_explicit(N, D, s2, rng)[0]
                  for _ in range(reps)])
    mean, var = W.mean(0), W.var(0)
    exp_mean = D * s2 * np.eye(N)
    exp_var = D * s2**2 * (1 + np.eye(N))
    se_mean = np.sqrt(exp_var / reps)
    assert np.all(np.abs(mean - exp_mean) < 5 * se_mean)
    assert np.all(np.abs(var / exp_var - 1) < 0.1)  # relative sd of a variance estimate ~ sqrt(2/reps)-ish x kurtosis


def test_tridiagonal_spectrum_matches_bartlett():
    """Same eigenvalue law: mean of the sorted eigenvalues agrees between the two exact draws."""
    N, D, s2, reps = 5, 8, 1.0, 6000
    rng = generator(0, "test:wishart:spectrum")
    eb = np.array([np.linalg.eigvalsh(K.wishart_bartlett(N, D, s2, rng)) for _ in range(reps)])
    et = []
    for _ in range(reps):
        d, o = K.wishart_tridiagonal(N, D, s2, rng)
        et.append(np.linalg.eigvalsh(np.diag(d) + np.diag(o, 1) + np.diag(o, -1)))
    et = np.array(et)
    se = np.sqrt(eb.var(0) / reps + et.var(0) / reps)
    assert np.all(np.abs(eb.mean(0) - et.mean(0)) < 5 * se)


def test_woodbury_tridiagonal_solve_matches_dense():
    rng = np.random.default_rng(4)
    n, r = 50, 4
    d, o = K.wishart_tridiagonal(n, 80, 0.1, rng)
    Tm = np.diag(d) + np.diag(o, 1) + np.diag(o, -1)
    H = rng.standard_normal((n, r))
    Y = rng.standard_normal((n, 3))
    X = K._Gram(d, o).solve(H, 0.7, Y)
    assert np.allclose((H @ H.T + Tm + 0.7 * np.eye(n)) @ X, Y, atol=1e-10)
    assert np.allclose(K._Gram(d, o).quad(X, Y), X.T @ Tm @ Y, atol=1e-10)
    assert np.allclose(K._Gram(dense=Tm).solve(H, 0.7, Y), X, atol=1e-10)


def test_methods_agree_without_non_principal_part():
    """gamma -> 0: the non-principal part vanishes and the three routes, fed the same data, give the same numbers."""
    kw = dict(sigma2=0.09, gamma_w=1e-12, gamma_s=1e-12, beta_w=1e-3, beta_s=1e-3, n_tilde=30, n_hat=40, D=200)
    out = [K.simulate_w2s(A_W, A_S, A_VEC, rng=np.random.default_rng(1), method=m, data_rng=np.random.default_rng(9),
                          **kw) for m in K.METHODS]
    for o in out[1:]:
        assert np.allclose(o.err_w, out[0].err_w, rtol=1e-8) and np.allclose(o.pred_gap, out[0].pred_gap, rtol=1e-7)
        assert o.err_sc == pytest.approx(out[0].err_sc, rel=1e-8)


def test_exact_test_error_against_explicit_test_points():
    """Primal ridge on explicit features [A z, u] (independent code), evaluated on 200000 fresh test points,
    against the exact expectation ||b - a||^2 + sigma2 + s^2 c^T G c used by the simulator."""
    rng = np.random.default_rng(3)
    n, D, beta, sigma2, gamma = 40, 300, 1e-3, 0.09, 0.05
    s2 = gamma * n / D
    Z = rng.standard_normal((n, P))
    y = Z @ A_VEC + np.sqrt(sigma2) * rng.standard_normal(n)
    U = np.sqrt(s2) * rng.standard_normal((n, D))
    H = np.hstack([Z @ A_W.T, U])
    theta = np.linalg.solve(H.T @ H / n + beta * np.eye(H.shape[1]), H.T @ y / n)
    c = np.linalg.solve(H @ H.T + n * beta * np.eye(n), y)  # kernel form, docs/representations.md §3
    assert np.allclose(H.T @ c, theta, atol=1e-8)
    b = A_W.T @ (A_W @ Z.T @ c)
    exact = np.sum((b - A_VEC) ** 2) + sigma2 + s2 * c @ (U @ U.T) @ c
    m = 200_000
    Zt = rng.standard_normal((m, P))
    err = (np.hstack([Zt @ A_W.T, np.sqrt(s2) * rng.standard_normal((m, D))]) @ theta
           - Zt @ A_VEC - np.sqrt(sigma2) * rng.standard_normal(m)) ** 2
    assert abs(err.mean() - exact) < 5 * err.std() / np.sqrt(m)


def test_gram_simulator_against_explicit_features_small_D():
    """Mean test errors of the tridiagonal and Bartlett simulators against explicit features at small D."""
    kw = dict(sigma2=0.09, gamma_w=0.05, gamma_s=0.05, beta_w=1e-3, beta_s=1e-3, n_tilde=15, n_hat=15, D=40)
    res = {}
    for m in K.METHODS:
        rng = generator(0, "test:repr:methods", m)
        res[m] = np.array([[d.pred_gap[0], d.err_w[0], d.err_w2s[0], d.err_sc] for d in
                           (K.simulate_w2s(A_W, A_S, A_VEC, rng=rng, method=m, **kw) for _ in range(3000))])
    for m in ("tridiagonal", "gram"):
        se = np.sqrt(res[m].var(0) / 3000 + res["explicit"].var(0) / 3000)
        assert np.all(np.abs(res[m].mean(0) - res["explicit"].mean(0)) < 4.5 * se), m


def test_several_weak_models_share_draws():
    kw = dict(sigma2=0.09, gamma_w=0.05, gamma_s=0.05, beta_s=1e-3, n_tilde=50, n_hat=60, D=2500)
    both = K.simulate_w2s([A_W, A_W[:2]], A_S, A_VEC, beta_w=[1e-3, 0.1], rng=np.random.default_rng(0), **kw)
    assert both.err_w.shape == (2,) and both.pred_gap.shape == (2,) and both.Z_hat.shape == (60, P)


@pytest.mark.parametrize("kw, match", [
    (dict(method="dense"), "method must be"),
    (dict(beta_s=0.0), "beta_s"),
    (dict(beta_w=-1.0), "beta_w"),
    (dict(n_hat=0), "n_hat"),
    (dict(D=10, method="gram"), "D >= N"),
    (dict(A_s=np.ones((3, 5))), "A_s must be"),
    (dict(A_w=np.ones((3, 5))), r"A_w\[0\]"),
    (dict(sigma2=np.nan), "sigma2"),
])
def test_bad_input_kernels(kw, match):
    args = dict(A_w=A_W, A_s=A_S, a=A_VEC, sigma2=0.09, gamma_w=0.05, gamma_s=0.05, beta_w=1e-3, beta_s=1e-3,
                n_tilde=20, n_hat=20, D=400, rng=np.random.default_rng(0))
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        K.simulate_w2s(args.pop("A_w"), args.pop("A_s"), args.pop("a"), **args)


def test_rank_zero_strong_representation_and_input_checks():
    """A strong representation with no columns has P_s = 0: both label-free norms are 0, against an explicit
    smoother product. A non-numeric matrix is refused with a ValueError naming it (not numpy's TypeError), and the
    regularisation's documented upper end 1e8 is accepted, one beyond refused."""
    rng = np.random.default_rng(2)
    H_w = rng.standard_normal((30, 3))
    assert T.label_free_metric(H_w, np.zeros((30, 0)), 0.1, 0.1) == (0.0, 0.0)
    H_s = rng.standard_normal((30, 2))
    P_s, P_w = T.ridge_smoother(H_s, 0.1), T.ridge_smoother(H_w, 0.1)
    op, fro = T.label_free_metric(H_w, H_s, 0.1, 0.1)
    M = P_s @ (np.eye(30) - P_w)
    assert op == pytest.approx(np.linalg.norm(M, 2), rel=1e-10) and fro == pytest.approx(np.sum(M * M), rel=1e-10)
    with pytest.raises(ValueError, match="H must be a 2-D array of numbers"):
        T.ridge_smoother({"a": 1}, 0.1)
    T.population_operator(np.eye(2), 1e8)
    with pytest.raises(ValueError, match="reg="):
        T.population_operator(np.eye(2), 1e8 + 1.0)


def test_population_limits_refuse_a_non_finite_label_direction():
    with pytest.raises(ValueError, match="a must be a finite 1-D array"):
        T.population_limits(np.eye(2), np.eye(2), [1.0, float("nan")], 0.1, 0.1, 0.1)
