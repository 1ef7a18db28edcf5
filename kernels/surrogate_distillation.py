r"""Exact finite-size draws of a min-norm (or least-squares) target trained on surrogate labels (model of
docs/surrogate_distillation.md §1): ``x ~ N(0, diag(lam))``, labels ``x^T theta + z``, ``z ~ N(0, sigma2)``.

Estimator (docs §3). For one design ``X = Z diag(sqrt(lam))`` (``n x p``, ``Z`` i.i.d. N(0, 1)) the target is
``beta_hat = P theta + X^T G^{-1} z`` with ``G = X X^T`` and ``P = X^T G^{-1} X`` (``p > n``), or ``beta_hat = theta +
(X^T X)^{-1} X^T z`` (``n > p``). The law of ``X`` is invariant under sign flips of its columns, so averaging the
risk over ``theta -> D theta``, ``beta_star -> D beta_star`` (``D`` a random diagonal sign matrix) and over ``z`` keeps
the mean over designs and leaves, for ``p > n``,

    r(theta) = sum_i [theta_i^2 (P Sigma P)_ii - 2 lam_i beta_i theta_i P_ii + lam_i beta_i^2] + sigma2 t,
    t = tr(G^{-1} X Sigma X^T G^{-1}),

so one design gives the risk of every diagonal surrogate through the two vectors ``diag P``, ``diag(P Sigma P)``
and the scalar ``t``, with a far smaller variance than one label draw. With the Cholesky factor ``G = L L^T`` and
``A = L^{-1} X``: ``P_ii = ||A e_i||^2``, ``M = A Sigma A^T``, ``(P Sigma P)_ii = <A e_i, M A e_i>``,
``t = ||M^{1/2} L^{-1}||_F^2 = sum (L^{-1} * M L^{-1})``; cost ``O(n^2 p)`` (BLAS). For ``n > p``: ``P = I`` and
``t = tr(Sigma (X^T X)^{-1}) = tr((Z^T Z)^{-1})``.

:func:`risk_direct` is the plain reference: one label draw, the min-norm solution by ``numpy.linalg.lstsq``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve, cholesky, solve_triangular

__all__ = ["Diagonals", "draw_diagonals", "draw_diagonals_numpy", "sign_averaged_risk", "risk_direct"]


@dataclass(frozen=True)
class Diagonals:
    """What one design contributes to the risk of any diagonal surrogate."""

    P: np.ndarray  #: diag of the projection onto the row space of X (ones when n > p)
    PSP: np.ndarray  #: diag of P Sigma P (lam when n > p)
    t: float  #: noise factor: the risk's sigma2 coefficient (NaN when drawn with ``noise=False``)


def _check(lam, n, rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    lam = np.asarray(lam, dtype=float).ravel()
    if lam.size < 1 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError("lam must be a non-empty array of finite positive eigenvalues")
    if int(n) != n or n < 1 or n in (lam.size, lam.size + 1):
        raise ValueError(f"n={n!r} is outside the allowed range: integers n >= 1 with n < p or n > p + 1 "
                         f"(p = {lam.size})")
    return lam, int(n)


def draw_diagonals(lam, n: int, rng: np.random.Generator, noise: bool = True) -> Diagonals:
    """One design's :class:`Diagonals` (module docstring), drawn only from ``rng``. ``noise=False`` skips the
    noise factor ``t`` (NaN then; about a fifth of the work at ``p > n``): for noiseless labels, where
    :func:`sign_averaged_risk` with ``sigma2 = 0`` does not read it. The draws and the other fields are the same."""
    lam, n = _check(lam, n, rng)
    p = lam.size
    X = rng.standard_normal((n, p)) * np.sqrt(lam)
    if n > p + 1:
        if not noise:
            return Diagonals(np.ones(p), lam.copy(), float("nan"))
        Z = X / np.sqrt(lam)
        c = cho_factor(Z.T @ Z, lower=True)
        return Diagonals(np.ones(p), lam.copy(), float(np.trace(cho_solve(c, np.eye(p)))))
    L = cholesky(X @ X.T, lower=True)
    A = solve_triangular(L, X, lower=True)
    M = (A * lam) @ A.T
    P, PSP = np.einsum("ij,ij->j", A, A), np.einsum("ij,ij->j", M @ A, A)
    if not noise:
        return Diagonals(P, PSP, float("nan"))
    Li = solve_triangular(L, np.eye(n), lower=True)
    return Diagonals(P, PSP, float(np.sum(Li * (M @ Li))))


def draw_diagonals_numpy(lam, n: int, rng: np.random.Generator) -> Diagonals:
    """Plain reference of :func:`draw_diagonals` (same draws): the ``p x p`` projection formed explicitly."""
    lam, n = _check(lam, n, rng)
    p = lam.size
    X = rng.standard_normal((n, p)) * np.sqrt(lam)
    if n > p + 1:
        return Diagonals(np.ones(p), lam.copy(), float(np.trace(np.linalg.inv(X.T @ X) * lam)))
    Gi = np.linalg.inv(X @ X.T)
    P = X.T @ Gi @ X
    H = X.T @ Gi
    return Diagonals(np.diag(P).copy(), np.diag(P @ (lam[:, None] * P)).copy(), float(np.trace(H.T @ (lam[:, None] * H))))


def sign_averaged_risk(diag: Diagonals, lam, beta_star, thetas, sigma2: float = 0.0) -> np.ndarray:
    """``r(theta)`` of the module docstring for each row of ``thetas`` (``(k, p)`` or ``(p,)``); ``sigma2 > 0``
    needs the noise factor (a :class:`Diagonals` drawn with ``noise=True``)."""
    lam = np.asarray(lam, float)
    b = np.asarray(beta_star, float)
    th = np.atleast_2d(np.asarray(thetas, float))
    out = th**2 @ diag.PSP - 2.0 * th @ (lam * b * diag.P) + float(lam @ b**2)
    if sigma2 != 0.0:  # (adding 0 * t would change no positive risk)
        if not np.isfinite(diag.t):
            raise ValueError(f"sigma2={sigma2!r} > 0 needs the noise factor: draw the design with noise=True")
        out = out + sigma2 * diag.t
    return out if np.ndim(thetas) > 1 else float(out[0])


def risk_direct(lam, beta_star, theta, n: int, sigma2: float, rng: np.random.Generator) -> float:
    """One draw of ``||beta_hat - beta_star||_Sigma^2`` with explicit noisy labels and the min-norm least-squares
    solution (``numpy.linalg.lstsq``): the plain reference of the sign-averaged estimator."""
    lam, n = _check(lam, n, rng)
    X = rng.standard_normal((n, lam.size)) * np.sqrt(lam)
    y = X @ np.asarray(theta, float) + np.sqrt(sigma2) * rng.standard_normal(n)
    e = np.linalg.lstsq(X, y, rcond=None)[0] - np.asarray(beta_star, float)
    return float(e @ (lam * e))
