"""KL misfit (docs/kl_misfit.md): identity (b) draw by draw to the optimiser's tolerance, inequality (a) and its
equality case, the bias-variance identity (c) pointwise with bootstrap teachers, edge regimes (misfit 0, one class),
the theory's Newton fit against the kernel's L-BFGS-B, and bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.kernels import kl_misfit as K
from w2s.kernels.rng import generator
from w2s.theory import kl_misfit as T


def budget(n: int) -> int:
    return max(3, round(n * settings().max_examples / 200))


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """The fits multiply N x 7 matrices: threaded BLAS only adds overhead (and contention on a shared machine)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def inst(seed=0, **kw):
    return K.draw_instance(generator(seed, "kl_misfit:instance"), **kw)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("N", [200, 3000])
def test_identity_b_holds_per_draw_to_the_optimisers_tolerance(seed, N):
    """KL(w||*) - KL(w||sw) - KL(sw||*) = -<Theta - Theta*, grad> exactly, so |residual| <= ||Theta - Theta*|| ||grad||
    <= sqrt(dim) pgtol ||Theta - Theta*|| (L-BFGS-B stops at max|grad| <= pgtol); plus 1e-13 for rounding of the sums."""
    I = inst(seed)
    rng = np.random.default_rng(seed + N)
    pop = K.population(I)
    for _ in range(2):
        o = K.sample_replicate(I, N, rng, pop)
        assert abs(o["residual"]) <= o["residual_bound"] + 1e-13
        dim = (I.K - 1) * (I.theta_star.shape[1])
        theta_gap = o["residual_bound"]  # = ||dTheta|| ||grad||
        assert theta_gap <= np.sqrt(dim) * K.PGTOL * 1e3  # ||dTheta|| is O(10) here: the bound is ~1e-7


def test_residual_is_minus_the_gradient_pairing():
    """The residual equals -<Theta - Theta*, grad L(Theta)> to rounding, also far from the optimum."""
    I = inst(0)
    x = K.sample_inputs(I, 500, np.random.default_rng(1))
    H, P_star, P_w, _, _ = I.heads(x)
    theta = I.theta_star + 0.3 * np.random.default_rng(2).standard_normal(I.theta_star.shape)
    F = K._softmax_last0(H @ theta.T)[0]
    grad = ((F - P_w)[:, :-1].T @ H) / len(x)
    res = K.kl_mean(P_w, P_star) - K.kl_mean(P_w, F) - K.kl_mean(F, P_star)
    np.testing.assert_allclose(res, -np.sum((theta - I.theta_star) * grad), rtol=1e-10, atol=1e-14)
    assert abs(res) > 1e-3  # and it is not zero there: the identity needs the fit


def test_theory_newton_fit_agrees_with_the_kernels_lbfgs():
    I = inst(0)
    x = K.sample_inputs(I, 2000, np.random.default_rng(4))
    H, P_star, P_w, G, _ = I.heads(x)
    w = np.full(len(x), 1.0 / len(x))
    th_t, F_t = T.fit_forward_ce(H, P_w, w)
    th_k, F_k, _ = K.fit_forward_ce(H, P_w)
    np.testing.assert_allclose(th_t, th_k, atol=1e-6)
    f = T.forward_ce(H, P_star, P_w, w)
    assert abs(f.kl_sw_star - f.gain_by_identity) < 1e-9  # Newton's gradient is ~1e-12
    a_t, _ = T.fit_reverse_mixture(G, P_w, w)
    a_k, _ = K.fit_reverse_mixture(G, P_w)
    np.testing.assert_allclose(a_t, a_k, atol=1e-5)


def test_misfit_zero_when_the_teacher_is_in_the_class():
    I = inst(0).with_teacher_in_class()
    o = K.sample_replicate(I, 2000, np.random.default_rng(5))
    assert o["misfit"] < 1e-12
    np.testing.assert_allclose(o["kl_sw_star"], o["kl_w_star"], atol=1e-10)


@settings(max_examples=budget(12))
@given(seed=st.integers(0, 10_000), rho=st.floats(0.0, 1.0), N=st.integers(30, 600))
def test_inequality_a_holds_on_every_measure(seed, rho, N):
    """Gap >= 0 for any teacher and sample (the fit's KKT conditions); SLSQP's tolerance leaves ~1e-9."""
    I = dataclasses.replace(inst(seed), rho=rho)
    H, _, P_w, G, P_star_a = I.heads(K.sample_inputs(I, N, np.random.default_rng(seed)))
    r = T.reverse_mixture(G, I.alpha_star, P_w, np.full(N, 1.0 / N))
    assert r.gap >= -1e-8
    if np.all(r.alpha > 1e-6):  # interior student: equality
        assert abs(r.gap) < 1e-6


def test_inequality_a_is_an_equality_when_the_teacher_is_in_the_mixture_class():
    I = inst(1)
    x = K.sample_inputs(I, 800, np.random.default_rng(6))
    _, _, _, G, _ = I.heads(x)
    P_w = np.einsum("j,njk->nk", np.array([0.1, 0.2, 0.3, 0.4]), G)
    r = T.reverse_mixture(G, I.alpha_star, P_w, np.full(len(x), 1.0 / len(x)))
    assert abs(r.gap) < 1e-7 and r.kl_sw_w < 1e-8


@pytest.mark.parametrize("B", [2, 7])
def test_bias_variance_identity_c_pointwise_with_bootstrap_teachers(B):
    """E_T KL(y||f_T) = KL(y||f_bar) + E_T KL(f_bar||f_T) at every x with the dual (geometric) mean, and the inherited
    variance is -log Z, independent of y; with the arithmetic mean the same identity fails; in the other orientation
    the arithmetic mean is the right one. Exact algebra: 1e-12 absolute."""
    I = inst(0)
    rng = np.random.default_rng(B)
    x_tr, x_ev = K.sample_inputs(I, 300, rng), K.sample_inputs(I, 200, rng)
    P_T = K.bootstrap_teachers(I, x_tr, x_ev, B, rng)
    for y in (I.heads(x_ev)[1], T.softmax(rng.standard_normal((200, I.K)))):
        bv = T.bias_variance(P_T, y)
        np.testing.assert_allclose(bv.risk_forward, bv.bias_forward + bv.variance_forward, atol=1e-12)
        np.testing.assert_allclose(bv.variance_forward, -bv.log_partition, atol=1e-12)
        np.testing.assert_allclose(bv.risk_reverse, bv.bias_reverse + bv.variance_reverse, atol=1e-12)
        # the plausible mix-up: the arithmetic mean in the forward orientation
        f_tilde = P_T.mean(0)
        wrong = T._kl_rows(y, f_tilde) + T._kl_rows(f_tilde[None], P_T).mean(0)
        assert np.max(np.abs(bv.risk_forward - wrong)) > 1e-4
    np.testing.assert_allclose(T.dual_mean(P_T), np.exp(np.log(P_T).mean(0) - bv.log_partition[:, None]), atol=1e-14)
    assert np.all(bv.log_partition <= 1e-15)


def test_one_class_is_rejected_as_degenerate():
    with pytest.raises(ValueError, match="K >= 2"):
        T.kl(np.ones((4, 1)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="K must be an integer >= 2"):
        K.draw_instance(np.random.default_rng(0), K=1)


@pytest.mark.parametrize("p,q,match", [
    (np.full((3, 2), 0.6), np.full((3, 2), 0.5), "sum to 1"),
    (np.array([[1.2, -0.2]]), np.array([[0.5, 0.5]]), r"\[0, 1\]"),
    (np.full((3, 2), 0.5), np.full((4, 2), 0.5), "same shape")])
def test_bad_probabilities(p, q, match):
    with pytest.raises(ValueError, match=match):
        T.kl(p, q)


def test_kl_orientation_and_zero_mass():
    p, q = np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])
    assert T.kl(p, q) != pytest.approx(T.kl(q, p))
    assert T.kl(np.array([[1.0, 0.0]]), q) == pytest.approx(np.log(2.0))
    assert T.kl(q, np.array([[1.0, 0.0]])) == np.inf


def test_cli_predict_gives_one_line_on_bad_input(capsys):
    from w2s.validation.cli import main

    assert main(["predict", "klm.forward-ce.gain-equals-misfit", "instance_seed=-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "instance_seed" in err[0]
    assert main(["predict", "klm.forward-ce.gain-equals-misfit", "K=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "K" in err[0]


def test_gauss_hermite_2d_moments_and_strong_features_by_hand():
    """The tensor rule integrates the moments of N(0, I_2) exactly (E x1^2 = 1, E x1^4 = 3, E x1^2 x2^2 = 1,
    E x1 x2 = 0) with order^2 nodes and weights summing to 1; the strong features are (1, tanh(x W^T + b))."""
    X, W = T.gauss_hermite_2d(6)
    assert X.shape == (36, 2) and W.shape == (36,) and W.sum() == pytest.approx(1.0, rel=1e-15)
    for f, m in ((X[:, 0] ** 2, 1.0), (X[:, 1] ** 4, 3.0), (X[:, 0] ** 2 * X[:, 1] ** 2, 1.0), (X[:, 0] * X[:, 1], 0.0)):
        assert W @ f == pytest.approx(m, abs=1e-13)
    x = np.array([[0.5, -1.0], [0.0, 2.0]])
    Wm, b = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([0.1, -0.2])
    h = T.strong_features(x, Wm, b)
    np.testing.assert_allclose(h, [[1.0, np.tanh(-1.4), np.tanh(-1.2)], [1.0, np.tanh(4.1), np.tanh(1.8)]],
                               rtol=1e-15)


def test_reverse_mixture_refuses_components_of_the_wrong_rank():
    P = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match="G must have shape"):
        T.fit_reverse_mixture(np.full((4, 2, 3, 3), 1 / 3), P, np.full(4, 0.25))


def test_newton_polish_finishes_an_early_stop_and_refuses_a_singular_one(monkeypatch):
    """fit_forward_ce polishes with plain Newton steps when trust-exact stops above the tolerance. Simulated here by
    an optimiser that stops at the optimum moved by 1e-4: the steps bring the gradient under 1e-10 and give the
    optimum; when the Hessian cannot be solved the polish stops and the fit raises RuntimeError."""
    from scipy import optimize

    I = inst(0)
    x = K.sample_inputs(I, 400, np.random.default_rng(4))
    H, _, P_w, _, _ = I.heads(x)
    w = np.full(len(x), 1.0 / len(x))
    theta_opt, _ = T.fit_forward_ce(H, P_w, w)
    real = optimize.minimize

    def early_stop(*args, **kw):
        res = real(*args, **kw)
        res.x = res.x + 1e-4
        return res

    monkeypatch.setattr(T.optimize, "minimize", early_stop)
    theta, _ = T.fit_forward_ce(H, P_w, w)
    np.testing.assert_allclose(theta, theta_opt, atol=1e-8)

    def singular(*args, **kw):
        raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setattr(T.np.linalg, "solve", singular)
    with pytest.raises(RuntimeError, match="did not converge"):
        T.fit_forward_ce(H, P_w, w)


def test_residual_bound_by_hand_and_bias_variance_shapes():
    """||Theta - Theta*|| ||grad|| = 5 x 2 = 10; teacher draws must come as (B, N, K), also when a 2-D stack happens
    to match a 1-D target."""
    assert T.forward_identity_residual_bound([[3.0, 4.0]], [[0.0, 0.0]], [[0.0, 2.0]]) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="P_T must have shape"):
        T.bias_variance(np.full((4, 3), 1 / 3), np.full(3, 1 / 3))
