"""Tests of ``w2s.kernels.weighted_ridge``: the Sherman–Morrison grid kernel and the whitened general solve
against one ``numpy.linalg.solve`` per grid point on the same draws (to 1e-10), reproducibility, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from w2s.kernels import weighted_ridge as K

LAM_T, LAM_S, G_S = [0.05, 0.5, 3.0], [0.1, 1.0, 10.0], [0.0, 0.2, 1.0]


@pytest.mark.parametrize("d, n_t, n_s", [(40, 80, 20), (40, 20, 80), (30, 30, 30), (2, 1, 1)])
@pytest.mark.parametrize("g_t", [1.0, 0.3, 0.0])
def test_spiked_matches_direct_solves(d, n_t, n_s, g_t):
    kw = dict(zeta=0.7, g_t=g_t, sigma2=0.5, r2=2.0)
    a = K.spiked_w2s(d, n_t, n_s, LAM_T, LAM_S, G_S, rng=np.random.default_rng(3), **kw)
    b = K.spiked_w2s_direct(d, n_t, n_s, LAM_T, LAM_S, G_S, rng=np.random.default_rng(3), **kw)
    # both are exact; the difference is rounding in solves whose condition number is <= (s_max + lam)/lam ~ 1e2
    assert np.allclose(a.R_t, b.R_t, rtol=1e-10, atol=1e-12)
    assert np.allclose(a.R_s, b.R_s, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("zeta", [0.0, 1.0])
def test_spiked_edge_alignments(zeta):
    a = K.spiked_w2s(20, 40, 10, LAM_T, LAM_S, G_S, zeta=zeta, rng=np.random.default_rng(1))
    b = K.spiked_w2s_direct(20, 40, 10, LAM_T, LAM_S, G_S, zeta=zeta, rng=np.random.default_rng(1))
    assert np.allclose(a.R_s, b.R_s, rtol=1e-10, atol=1e-12)
    if zeta == 0.0:  # beta* orthogonal to u: the spike still changes the fit, but g_s has no systematic role
        assert np.all(np.isfinite(a.R_s))


def test_infinite_student_is_the_exact_shrinkage():
    rng = np.random.default_rng(5)
    a = K.spiked_w2s(30, 60, None, [0.5], [2.0], [0.0, 0.5, 1.0], zeta=0.6, rng=rng)
    rng = np.random.default_rng(5)
    u = np.eye(30)[0]
    beta = np.zeros(30)
    beta[0], beta[1] = 0.6, 0.8
    X = rng.standard_normal((60, 30))
    y = X @ beta + rng.standard_normal(60)
    bt = np.linalg.solve(X.T @ X / 60 + 0.5 * np.eye(30), X.T @ y / 60)
    for m, g in enumerate([0.0, 0.5, 1.0]):
        bs = np.linalg.solve(np.eye(30) + 2.0 * (np.eye(30) - (1 - g) * np.outer(u, u)), bt)
        assert a.R_s[0, 0, m] == pytest.approx(np.sum((bs - beta) ** 2), rel=1e-12)


@pytest.mark.parametrize("d, n_t, n_s", [(40, 60, 30), (20, 10, 40)])
def test_general_matches_direct_solves(d, n_t, n_s):
    Gt = K.block_rotation_penalty(d, [0.5, 2.0], 0.0)
    Gs = K.block_rotation_penalty(d, [0.3, 1.5], 0.7)
    assert not np.allclose(Gt @ Gs, Gs @ Gt)  # the stringent, non-commuting case
    a = K.general_weighted_w2s(d, n_t, n_s, LAM_T, LAM_S, Gt, Gs, sigma2=0.7, rng=np.random.default_rng(2))
    b = K.general_weighted_w2s_direct(d, n_t, n_s, LAM_T, LAM_S, Gt, Gs, sigma2=0.7, rng=np.random.default_rng(2))
    assert np.allclose(a[0], b[0], rtol=1e-10) and np.allclose(a[1], b[1], rtol=1e-10)


@pytest.mark.parametrize("lam_t, lam_s", [([0.4], [0.6]), ([0.1, 2.0], [0.3, 5.0])], ids=["one-pair", "four-pairs"])
@pytest.mark.parametrize("d, n_t, n_s", [(40, 80, 20), (20, 10, 40)])
def test_general_few_pairs_by_cholesky_matches_the_eigendecomposition(d, n_t, n_s, lam_t, lam_s, monkeypatch):
    """A few pairs take the Cholesky path; forcing the eigendecomposition path gives the same risks, same draws."""
    Gt = K.block_rotation_penalty(d, [0.5, 2.0], 0.0)
    Gs = K.block_rotation_penalty(d, [0.3, 1.5], 0.7)
    a = K.general_weighted_w2s(d, n_t, n_s, lam_t, lam_s, Gt, Gs, sigma2=0.7, rng=np.random.default_rng(4))
    monkeypatch.setattr(K, "_FEW_PAIRS", 0)
    b = K.general_weighted_w2s(d, n_t, n_s, lam_t, lam_s, Gt, Gs, sigma2=0.7, rng=np.random.default_rng(4))
    c = K.general_weighted_w2s_direct(d, n_t, n_s, lam_t, lam_s, Gt, Gs, sigma2=0.7, rng=np.random.default_rng(4))
    for x in (b, c):
        assert np.allclose(a[0], x[0], rtol=1e-10) and np.allclose(a[1], x[1], rtol=1e-10)


def test_reproducible_bit_for_bit():
    a = K.spiked_w2s(32, 64, 16, LAM_T, LAM_S, G_S, zeta=0.5, rng=np.random.default_rng(9))
    b = K.spiked_w2s(32, 64, 16, LAM_T, LAM_S, G_S, zeta=0.5, rng=np.random.default_rng(9))
    assert np.array_equal(a.R_s, b.R_s) and np.array_equal(a.R_t, b.R_t)


@pytest.mark.parametrize("kwargs, match", [
    (dict(g_s=[1.5]), "g_s"), (dict(g_s=[]), "g_s"), (dict(zeta=-0.1), "zeta"), (dict(g_t=2.0), "g_t"),
    (dict(lam_s=[0.0]), "> 0"), (dict(lam_t=[-1.0]), "lam_t"), (dict(d=1), "d must"), (dict(n_s=0), "n_s"),
    (dict(sigma2=-1.0), "sigma2"), (dict(r2=0.0), "r2"),
])
def test_bad_input(kwargs, match):
    base = dict(d=10, n_t=20, n_s=20, lam_t=[0.1], lam_s=[0.1], g_s=[0.5], zeta=0.5)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        K.spiked_w2s(base.pop("d"), base.pop("n_t"), base.pop("n_s"), base.pop("lam_t"), base.pop("lam_s"),
                     base.pop("g_s"), rng=np.random.default_rng(0), **base)


def test_block_penalty_errors():
    with pytest.raises(ValueError, match="even"):
        K.block_rotation_penalty(5, [1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="positive"):
        K.block_rotation_penalty(4, [0.0, 2.0], 0.1)
