r"""Weak-to-strong classification with min-norm interpolators in the bilevel model (docs/benign_overfitting.md §3).

Strong inputs ``x ~ N(0, diag(lam))``, label ``y = sign(x_1)`` (coordinate 1 is favoured). The weak model sees the
coordinates ``S`` (the first ``s_w`` coordinates, coordinate 1 among them) and ``T`` (``d_w - s_w`` coordinates
after ``max(s, s_w)``), rescaled to its own bilevel spectrum (weak favoured eigenvalue on ``S``, unfavoured on ``T``). Teacher: min-norm interpolation (MNI) of ``n`` clean labels on weak features; student: MNI of
``m`` fresh strong inputs labelled by the teacher's signs. Test error of a linear classifier ``w`` is exact for
Gaussian inputs: ``arccos(rho)/pi`` with ``rho = w_1 sqrt(lam_1) / ||w||_Sigma``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mni", "classifier_error", "w2s_errors"]


def mni(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Minimum-l2-norm interpolator ``X^T (X X^T)^{-1} y`` (``n < d``), by Cholesky of the Gram matrix."""
    G = X @ X.T
    c = np.linalg.cholesky(G)
    return X.T @ np.linalg.solve(c.T, np.linalg.solve(c, y))


def classifier_error(w: np.ndarray, lam: np.ndarray) -> float:
    """``P(sign(<w, x>) != sign(x_1))`` for ``x ~ N(0, diag(lam))``."""
    rho = w[0] * np.sqrt(lam[0]) / np.sqrt(np.sum(lam * w * w))
    return float(np.arccos(np.clip(rho, -1.0, 1.0)) / np.pi)


def w2s_errors(*, d, s, lam_hi, lam_lo, d_w, s_w, lam_hi_w, lam_lo_w, n, m, rng: np.random.Generator):
    """``(teacher error, student error)`` of one draw (module docstring)."""
    if not (1 <= s < d and 1 <= s_w < d_w and max(s, s_w) + d_w - s_w <= d):
        raise ValueError("sizes must satisfy 1 <= s < d, 1 <= s_w < d_w and max(s, s_w) + d_w - s_w <= d")
    lam = np.concatenate([np.full(s, lam_hi), np.full(d - s, lam_lo)])
    idx = np.concatenate([np.arange(s_w), max(s, s_w) + np.arange(d_w - s_w)])
    scale = np.sqrt(np.concatenate([np.full(s_w, lam_hi_w), np.full(d_w - s_w, lam_lo_w)]) / lam[idx])

    def draw(k):
        return rng.standard_normal((k, d)) * np.sqrt(lam)

    X = draw(n)
    w_t = mni(X[:, idx] * scale, np.sign(X[:, 0]))
    lam_w = lam[idx] * scale**2
    err_t = classifier_error(w_t, lam_w)
    Xs = draw(m)
    w_s = mni(Xs, np.sign((Xs[:, idx] * scale) @ w_t))
    return err_t, classifier_error(w_s, lam)
