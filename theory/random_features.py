r"""Random-feature teacher and random-feature student, linear case (Medvedev et al. 2025, arXiv 2503.02877): closed
forms derived under the setup of docs/random_features.md §1.

Model. ``x ~ N(0, Sigma)``, ``Sigma = diag(lam)`` in ``R^d``, noiseless target ``y = <beta_star, x>``. A linear
random-feature model with feature matrix ``W`` (``d x M``, entries ``N(0, 1/M)``) predicts ``<W a, x>``. The loss is
the squared error without a 1/2, ``L(beta) = E(<beta - beta_star, x>)^2 = ||beta - beta_star||_Sigma^2``.

* Teacher: population least squares over its ``M_TE`` features: ``beta_T = W_T (W_T^T Sigma W_T)^{-1} W_T^T Sigma
  beta_star``, ``L_TE = ||beta_T - beta_star||_Sigma^2``.
* Student: ``M_ST`` features, gradient descent from 0 on the teacher's labels with learning rate ``lr`` on ``a``;
  in ``beta = W_S a`` coordinates ``beta_{k+1} = beta_k - eta K_S Sigma (beta_k - beta_T)`` with ``K_S = W_S W_S^T`` and
  ``eta = 2 lr`` (the loss has no 1/2), hence ``beta_S(k) = [I - (I - eta K_S Sigma)^k] beta_T``.
* Gradient-flow limit ``M_ST -> inf`` (``K_S -> I``, time ``t = eta k``): ``beta_S(t) = (I - e^{-t Sigma}) beta_T``.

Stable iff ``eta mu_max < 2`` with ``mu`` the eigenvalues of ``Sigma^{1/2} K_S Sigma^{1/2}``.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_array, check_scalar

__all__ = ["authors_problem", "teacher", "student_losses", "gradient_flow_losses", "early_stopped_ratio",
           "stability_limit"]


def _int(name, v, lo, hi=10**7):
    try:
        iv = int(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {v!r}") from None
    if iv != v or not lo <= iv <= hi:
        raise ValueError(f"{name}={v!r} is outside the allowed range: integers in [{lo}, {hi}]")
    return iv


def authors_problem(m_te: int, *, alpha: float = 1.5, beta: float = 1.0) -> dict:
    """The linear experiment's data model (docs §1.2): ``d = round(M^1.5)``, ``K = round(M^0.5)`` eigenvalues 1 and
    ``d - K`` eigenvalues ``1/M``; ``beta_star = M^(alpha/2)`` on the top ``K`` coordinates and ``M^((1 - beta)/2)``
    on the rest; the student's width ``M_ST = round(d^1.25)``."""
    m = _int("m_te", m_te, 1, 4096)
    alpha = check_scalar("alpha", alpha, -10.0, 10.0)
    beta = check_scalar("beta", beta, -10.0, 10.0)
    d, k = int(round(m**1.5)), int(round(m**0.5))
    lam = np.concatenate([np.ones(k), np.full(d - k, 1.0 / m)])
    b = np.concatenate([np.full(k, m ** (alpha / 2)), np.full(d - k, m ** ((1 - beta) / 2))])
    return {"d": d, "K": k, "m_te": m, "m_st": int(round(d**1.25)), "lam": lam, "beta_star": b}


def _lam_beta(lam, beta_star):
    lam = check_array("lam", lam, 0.0, 1e12, lo_open=True).ravel()
    b = check_array("beta_star", beta_star, -1e12, 1e12).ravel()
    if b.shape != lam.shape:
        raise ValueError(f"beta_star must have the d = {lam.size} entries of lam, got {b.size}")
    return lam, b


def teacher(*, lam, beta_star, W_T) -> tuple[np.ndarray, float]:
    """``(beta_T, L_TE)`` of the population least-squares teacher on the features ``W_T`` (``d x M_TE``)."""
    lam, b = _lam_beta(lam, beta_star)
    W = np.asarray(W_T, float)
    if W.ndim != 2 or W.shape[0] != lam.size or not np.all(np.isfinite(W)):
        raise ValueError(f"W_T must be a finite (d, M_TE) matrix with d = {lam.size}, got shape {W.shape}")
    A = W.T @ (lam[:, None] * W)
    coef = np.linalg.lstsq(A, W.T @ (lam * b), rcond=None)[0]
    bt = W @ coef
    e = bt - b
    return bt, float(e @ (lam * e))


def _spectral(lam, K_S):
    s = np.sqrt(lam)
    K = np.asarray(K_S, float)
    if K.shape != (lam.size, lam.size) or not np.all(np.isfinite(K)):
        raise ValueError(f"K_S must be a finite (d, d) matrix with d = {lam.size}, got shape {K.shape}")
    mu, U = np.linalg.eigh(s[:, None] * K * s[None, :])
    return np.clip(mu, 0.0, None), U, s


def stability_limit(*, lam, K_S) -> float:
    """The largest stable step: ``2 / mu_max``."""
    lam = check_array("lam", lam, 0.0, 1e12, lo_open=True).ravel()
    mu, _, _ = _spectral(lam, K_S)
    return float(2.0 / mu.max())


#: entries of one block of the (steps x d) loss computation (32 MB of float64)
_BLOCK_ENTRIES = 1 << 22


def student_losses(*, lam, beta_star, beta_t, K_S, eta: float, steps) -> np.ndarray:
    """``L_ST(k) = ||beta_S(k) - beta_star||_Sigma^2`` at each ``k`` in ``steps`` (docs §2.2), from one symmetric
    eigendecomposition of ``Sigma^{1/2} K_S Sigma^{1/2} = U diag(mu) U^T``: with ``c = U^T Sigma^{1/2} beta_T`` and
    ``a = U^T Sigma^{1/2} (beta_T - beta_star)``, ``L(k) = ||a - (1 - eta mu)^k c||^2``."""
    lam, b = _lam_beta(lam, beta_star)
    bt = check_array("beta_t", beta_t, -1e12, 1e12).ravel()
    if bt.shape != lam.shape:
        raise ValueError(f"beta_t must have the d = {lam.size} entries of lam")
    steps = np.asarray(steps)
    if steps.ndim != 1 or np.any(steps < 0) or np.any(steps != np.round(steps)):
        raise ValueError("steps must be a 1-D array of non-negative integers")
    mu, U, s = _spectral(lam, K_S)
    lim = 2.0 / mu.max()
    eta = check_scalar("eta", eta, 0.0, lim, lo_open=True)
    c = U.T @ (s * bt)
    a = U.T @ (s * (bt - b))
    k = steps.astype(float)
    out = np.empty(k.size)
    # in row blocks of at most _BLOCK_ENTRIES entries: the memory of a (steps x d) array, which at the documented
    # max_steps = 1e7 of early_stopped_ratio would be 5 GB per temporary at d = 64, stays about 32 MB; each row is
    # the same arithmetic (and the same pairwise sum) as in one array, so the losses are unchanged to the bit
    rows = max(1, _BLOCK_ENTRIES // mu.size)
    for i in range(0, k.size, rows):
        f = (1.0 - eta * mu)[None, :] ** k[i:i + rows, None]
        out[i:i + rows] = np.sum((a[None, :] - f * c[None, :]) ** 2, axis=1)
    return out


def gradient_flow_losses(*, lam, beta_star, beta_t, times) -> np.ndarray:
    """The ``M_ST -> inf`` limit (``K_S = I``), gradient flow: ``L(t) = sum_i lam_i ((beta_T - beta_star)_i -
    e^{-t lam_i} beta_T,i)^2``."""
    lam, b = _lam_beta(lam, beta_star)
    bt = np.asarray(beta_t, float)
    t = check_array("times", times, 0.0, 1e15).ravel()
    return np.sum(lam * ((bt - b)[None, :] - np.exp(-t[:, None] * lam[None, :]) * bt[None, :]) ** 2, axis=1)


def early_stopped_ratio(*, lam, beta_star, beta_t, K_S, eta: float, max_steps: int) -> tuple[float, int, float]:
    """``(min_k L_ST(k) / L_TE, argmin k, L_ST(max_steps) / L_TE)`` over ``k <= max_steps``."""
    lam, b = _lam_beta(lam, beta_star)
    max_steps = _int("max_steps", max_steps, 1, 10**7)
    e = np.asarray(beta_t, float) - b
    L_te = float(e @ (lam * e))
    L = student_losses(lam=lam, beta_star=b, beta_t=beta_t, K_S=K_S, eta=eta, steps=np.arange(max_steps + 1))
    k = int(np.argmin(L))
    return float(L[k] / L_te), k, float(L[-1] / L_te)
