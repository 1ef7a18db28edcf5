"""Tests of ``w2s.kernels.feature_learning``: the fused numba gradient against a plain numpy gradient (to 1e-10) and
finite differences, GD bookkeeping, the reduced draws against explicit designs in law, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from w2s.kernels import feature_learning as K
from w2s.theory import feature_learning as F


@pytest.mark.parametrize("act", K.ACTIVATIONS)
@pytest.mark.parametrize("N, d, n", [(1, 1, 1), (50, 30, 200), (7, 100, 20)])
def test_gradient_matches_numpy(act, N, d, n):
    rng = np.random.default_rng(N * d + n)
    W = rng.standard_normal((N, d)) / np.sqrt(d)
    a = rng.standard_normal(N)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    g1, g2 = K.one_step_gradient(W, a, X, y, act), K.one_step_gradient_numpy(W, a, X, y, act)
    assert np.allclose(g1, g2, rtol=1e-10, atol=1e-12)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    W, a, X, y = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((9, 3)), rng.standard_normal(9)

    def loss(W):
        return 0.5 * np.mean((y - np.tanh(X @ W.T) @ a / 2.0) ** 2)

    G = K.one_step_gradient(W, a, X, y, "tanh")
    for (i, j) in [(0, 0), (2, 1), (3, 2)]:
        E = np.zeros_like(W)
        E[i, j] = 1e-6
        # central difference: error O(h^2 |L'''|) ~ 1e-12, rounding ~ eps |L| / h ~ 1e-10
        assert G[i, j] == pytest.approx((loss(W + E) - loss(W - E)) / 2e-6, abs=1e-8)


def test_gd_overlaps_zero_steps_and_zero_rate():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((5, 8))
    X, y = rng.standard_normal((30, 8)), rng.standard_normal(30)
    out = K.gd_overlaps(W, np.ones(5), X, y, eta=0.0, steps=3, act="relu", dirs=np.eye(8)[:2])
    assert out.shape == (4, 5, 2) and np.allclose(out[0], out[3])
    assert np.allclose(out[0], W[:, :2] / np.linalg.norm(W, axis=1)[:, None])


def test_reduced_learned_direction_in_law():
    """Means of (<v,u_e>, <v,u_h>, ||v||^2) from 6000 reduced and 6000 explicit draws at d = 30: |z| < 4."""
    rng = np.random.default_rng(3)
    ge, gh = F.link("tanh"), F.link("he3")
    N = 6000
    a = np.array([K.learned_direction(30, 20, ge, gh, sigma2=0.3, rng=rng) for _ in range(N)])
    b = []
    for _ in range(N):
        X, y = K.two_index_data(30, 20, ge, gh, sigma2=0.3, rng=rng)
        v = X.T @ y / 20
        b.append((v[0], v[1], v @ v))
    b = np.array(b)
    z = (a.mean(0) - b.mean(0)) / np.sqrt(a.var(0) / N + b.var(0) / N)
    assert np.all(np.abs(z) < 4), z


def test_reduced_student_in_law():
    """The reduced student draw against an explicit simulation (designs, w_t, xi) at d = 12."""
    rng = np.random.default_rng(5)
    ge, gh, phi = F.link("linear"), F.link("he3"), F.link("tanh")
    N, d, nt, ns, rho, eta = 5000, 12, 12, 24, 0.8, 1.0
    a = np.array([K.student_one_step(d, nt, ns, ge, gh, phi, sigma2=0.25, rho_h=rho, eta=eta, rng=rng)
                  for _ in range(N)])
    b = []
    for _ in range(N):
        X, y = K.two_index_data(d, nt, ge, gh, sigma2=0.25, rng=rng)
        wt = X.T @ y
        wt /= np.linalg.norm(wt)
        Xs = rng.standard_normal((ns, d))
        vs = Xs.T @ phi(Xs @ wt) / ns
        xi = rng.standard_normal(d)
        xi[:2] = 0
        xi /= np.linalg.norm(xi)
        w1 = rho * np.eye(d)[1] + np.sqrt(1 - rho**2) * xi + eta * vs
        b.append((vs[0], vs[1], vs @ vs, w1[0], w1[1], w1 @ w1))
    b = np.array(b)
    z = (a.mean(0) - b.mean(0)) / np.sqrt(a.var(0) / N + b.var(0) / N)
    assert np.all(np.abs(z) < 4), z


@pytest.mark.parametrize("call, match", [
    (lambda: K.one_step_gradient(np.ones((2, 3)), np.ones(2), np.ones((4, 3)), np.ones(4), "gelu"), "act"),
    (lambda: K.one_step_gradient(np.ones((2, 3)), np.ones(3), np.ones((4, 3)), np.ones(4)), "shapes"),
    (lambda: K.one_step_gradient(np.ones((2, 3)), np.ones(2), np.full((4, 3), np.nan), np.ones(4)), "finite"),
    (lambda: K.gd_overlaps(np.ones((2, 3)), np.ones(2), np.ones((4, 3)), np.ones(4), eta=-1.0, steps=1,
                           dirs=np.eye(3)), "eta"),
    (lambda: K.learned_direction(1, 5, np.tanh, np.tanh, sigma2=0.0, rng=np.random.default_rng(0)), "d must"),
    (lambda: K.two_index_data(5, 0, np.tanh, np.tanh, sigma2=0.0, rng=np.random.default_rng(0)), "n must"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_reduced_multi_step_in_law():
    """The reduced multi-step draw against explicit designs (a fresh batch per step, renormalised neuron) at d = 14."""
    rng = np.random.default_rng(7)
    ge, gh, phi = F.link("linear"), F.link("he3"), F.link("tanh")
    N, d, nt, ns, rho, eta, steps = 4000, 14, 14, 28, 0.8, 0.7, 4
    a = np.array([K.student_multi_step(d, nt, ns, ge, gh, phi, sigma2=0.25, rho_h=rho, eta=eta, steps=steps, rng=rng)
                  for _ in range(N)]).reshape(N, -1)
    b = []
    for _ in range(N):
        X, y = K.two_index_data(d, nt, ge, gh, sigma2=0.25, rng=rng)
        wt = X.T @ y
        wt /= np.linalg.norm(wt)
        xi = rng.standard_normal(d)
        xi[:2] = 0
        w = rho * np.eye(d)[1] + np.sqrt(1 - rho**2) * xi / np.linalg.norm(xi)
        row = [w[0], w[1]]
        for _k in range(steps):
            Xs = rng.standard_normal((ns, d))
            w = w + eta * Xs.T @ phi(Xs @ wt) / ns
            w /= np.linalg.norm(w)
            row += [w[0], w[1]]
        b.append(row)
    b = np.array(b)
    sd = np.sqrt(a.var(0) / N + b.var(0) / N)
    z = np.where(sd > 0, (a.mean(0) - b.mean(0)) / np.where(sd > 0, sd, 1), 0.0)
    assert np.all(np.abs(z) < 4), z


def test_spiked_band_in_law_and_eigenpair():
    """Band reduction + banded eigen-solver against dense SVDs of explicit matrices (d = 40, N = 20 and N = 60)."""
    rng = np.random.default_rng(3)
    for N in (20, 60):
        for theta in (0.4, 1.5):
            a = np.array([K.spiked_top_singular(40, N, theta, rng) for _ in range(3000)])
            b = np.array([K.spiked_top_singular_dense(40, N, theta, rng) for _ in range(3000)])
            z = (a.mean(0) - b.mean(0)) / np.sqrt(a.var(0) / 3000 + b.var(0) / 3000)
            assert np.all(np.abs(z) < 4), (N, theta, z)
    B = K.spiked_band(30, 12, 0.7, rng)
    dense = B.toarray()
    lam, x = K.top_eigenpair_banded(K.gram_bands(B), rng)
    w, v = np.linalg.eigh(dense.T @ dense)
    assert lam == pytest.approx(w[-1], rel=1e-12) and abs(x @ v[:, -1]) == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("d, N", [(30, 12), (12, 30), (2, 2), (7, 3), (3, 7), (10, 9), (9, 10), (10, 11), (300, 150)])
def test_band_entries_and_compiled_eigenpair_match_references(d, N):
    """The sparse-free path (entries -> bands -> compiled eigenpair) equals the sparse matrix + LAPACK path: same
    draws, the Gram bands identical, the eigenpair to rounding (a wrong band index or pivot would break it at once)."""
    for theta in (0.0, 0.8, 3.0):
        B = K.spiked_band(d, N, theta, np.random.default_rng(d * N))
        diag, sup, sub, cols = K.spiked_band_entries(d, N, theta, np.random.default_rng(d * N))
        assert np.array_equal(B.toarray(), _dense_from_entries(diag, sup, sub, N, cols))
        ab = K.gram_bands_entries(diag, sup, sub, cols)
        np.testing.assert_array_equal(ab, K.gram_bands(B))
        dense = B.toarray()
        w = np.linalg.eigvalsh(dense.T @ dense)
        lam, x = K.top_eigenpair_banded(ab, np.random.default_rng(1))
        lam_ref, x_ref = K.top_eigenpair_banded_lapack(ab, np.random.default_rng(1))
        assert lam == pytest.approx(lam_ref, rel=1e-12) and lam == pytest.approx(w[-1], rel=1e-10)
        assert abs(x @ x_ref) == pytest.approx(1.0, abs=1e-10)


def _dense_from_entries(diag, sup, sub, N, cols):
    M = np.zeros((N, cols))
    M[np.arange(diag.size), np.arange(diag.size)] = diag
    M[np.arange(sup.size), np.arange(1, sup.size + 1)] = sup
    M[np.arange(1, sub.size + 1), np.arange(sub.size)] = sub
    return M


@pytest.mark.parametrize("call, match", [
    (lambda: K.student_multi_step(6, 5, 5, np.tanh, np.tanh, np.tanh, sigma2=0.0, rho_h=0.5, eta=1.0, steps=4,
                                  rng=np.random.default_rng(0)), "d must"),
    (lambda: K.spiked_band(1, 5, 1.0, np.random.default_rng(0)), "d must"),
    (lambda: K.spiked_band(5, 5, -1.0, np.random.default_rng(0)), "theta"),
    (lambda: K.spiked_band_entries(5, 1, 1.0, np.random.default_rng(0)), "N must"),
    (lambda: K.top_eigenpair_banded(np.ones((2, 4)), np.random.default_rng(0)), "ab must"),
    (lambda: K.top_eigenpair_banded(np.ones((3, 4)), np.random.default_rng(0), rtol=0.0), "rtol"),
])
def test_new_kernels_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
