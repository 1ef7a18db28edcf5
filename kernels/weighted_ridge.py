r"""Exact finite-d simulation of weighted ridge: a rank-one spiked penalty over whole ``(lam, g)`` grids, and
arbitrary (also non-commuting) penalty matrices in the whitened basis.

Model (isotropic Gaussian design, ``1/n`` loss): ``beta = (S + lam Gamma)^{-1} X^T y / n`` with ``S = X^T X / n``;
the student refits fresh inputs labelled noiselessly by the teacher, ``beta_s = (S_s + lam_s Gamma_s)^{-1} S_s
beta_t``. Output: exact excess risks ``||beta - beta*||^2``.

Rank-one spike ``Gamma = I - (1 - g) u u^T`` (Sherman–Morrison)
---------------------------------------------------------------
With ``A = S + lam I`` and ``c = lam (1 - g)``: ``(A - c u u^T)^{-1} = A^{-1} + c A^{-1} u u^T A^{-1} /
(1 - c u^T A^{-1} u)``, so for a right-hand side ``h``

    beta = x0 + alpha A^{-1} u,   x0 = A^{-1} h,   alpha = c (u^T x0) / (1 - c u^T A^{-1} u).

From one eigendecomposition ``S = W diag(q) W^T`` (``W``: ``d x k`` orthonormal, the range of ``S``),
``A^{-1} v = W diag(1/(q + lam)) W^T v + (v - W W^T v) / lam``. For the student, ``h = S_s beta_t`` lies in the
range of ``W``; with ``a = W^T beta_t``, ``e = W^T beta*``, ``w = W^T u`` every term of
``||beta_s - beta*||^2 = ||x0 - beta*||^2 + 2 alpha <A^{-1} u, x0 - beta*> + alpha^2 ||A^{-1} u||^2`` is a sum over
the ``k`` eigen-directions plus the null-space scalars ``||u_perp||^2 = 1 - ||w||^2`` and
``<u_perp, beta*> = <u, beta*> - <w, e>``: ``O(k)`` per ``(lam_t, lam_s)`` and ``O(1)`` per extra ``g_s``
(:func:`_spiked_student_kernel`). The teacher (spiked along the same ``u`` with ``g_t``) is formed explicitly
(``O(d k)`` per ``lam_t``), since the student needs its coefficients.

Spike-direction quantities fluctuate more than bulk ones: an ``O(1)`` share ``zeta^2`` of the signal sits in the
single direction ``u``, so ``<u, beta_t>`` carries a fluctuation of order ``d^{-1/2}`` that is not averaged over
``d`` directions (docs/weighted_ridge.md §3.4); the validation ladders give the spiked claims more replicates.

General penalties (whitened basis)
----------------------------------
For ``Gamma`` positive definite, ``(S + lam Gamma)^{-1} = Gamma^{-1/2} (M + lam I)^{-1} Gamma^{-1/2}`` with
``M = Gamma^{-1/2} S Gamma^{-1/2} = Z diag(mu) Z^T``: one ``d x d`` eigendecomposition per design serves the whole
``lam`` grid (:func:`general_weighted_w2s`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import jit
from .ridge import _check_grid, _check_size, design_eig

__all__ = [
    "SpikedSample",
    "spiked_w2s",
    "spiked_w2s_direct",
    "general_weighted_w2s",
    "general_weighted_w2s_direct",
    "block_rotation_penalty",
]


@dataclass(frozen=True)
class SpikedSample:
    """One replicate: ``R_t[i]`` at ``lam_t[i]``; ``R_s[i, j, l]`` at ``(lam_t[i], lam_s[j], g_s[l])``."""

    lam_t: np.ndarray
    lam_s: np.ndarray
    g_s: np.ndarray
    R_t: np.ndarray
    R_s: np.ndarray


def _check_unit_interval(name: str, g) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(g, dtype=float))
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"{name} must be a non-empty 1-D grid of values in [0, 1], got {g!r}")
    return arr


@jit
def _spiked_student_kernel(a, q, e, w, w_perp2, ub_perp, beta_perp2, lam_s, g_s):
    """``R_s[i, j, l]`` for teacher coefficients ``a[i] = W^T beta_t(lam_t[i])`` (module docstring)."""
    L_t, k = a.shape
    L_s, G = lam_s.size, g_s.size
    out = np.empty((L_t, L_s, G))
    for i in range(L_t):
        for j in range(L_s):
            lam = lam_s[j]
            x0r = 0.0  # ||x0 - beta*||^2 restricted to range(W)
            ux0 = 0.0  # u^T x0
            uAu = 0.0  # u^T A^{-1} u (range part)
            au_r = 0.0  # <A^{-1}u, x0 - beta*> (range part)
            Au2 = 0.0  # ||A^{-1}u||^2 (range part)
            for m in range(k):
                inv = 1.0 / (q[m] + lam)
                x0m = q[m] * a[i, m] * inv
                diff = x0m - e[m]
                x0r += diff * diff
                ux0 += w[m] * x0m
                uAu += w[m] * w[m] * inv
                au_r += w[m] * inv * diff
                Au2 += w[m] * w[m] * inv * inv
            # null-space parts: x0 has none; A^{-1} u_perp = u_perp / lam
            uAu += w_perp2 / lam
            au_r -= ub_perp / lam
            Au2 += w_perp2 / (lam * lam)
            base = x0r + beta_perp2
            for l in range(G):
                c = lam * (1.0 - g_s[l])
                alpha = c * ux0 / (1.0 - c * uAu)
                out[i, j, l] = base + 2.0 * alpha * au_r + alpha * alpha * Au2
    return out


def _spiked_teacher(X, y, u, beta, lam_t, g_t):
    """Teacher vectors ``(L_t, d)`` with penalty ``I - (1 - g_t) u u^T`` (Sherman–Morrison, module docstring)."""
    n = X.shape[0]
    s, V = design_eig(X)
    h = V.T @ (X.T @ y) / n  # X^T y / n lies in range(V)
    w = V.T @ u
    u_perp = u - V @ w
    out = np.empty((lam_t.size, u.size))
    for i, lam in enumerate(lam_t):
        inv = 1.0 / (s + lam)
        x0 = V @ (h * inv)
        Au = V @ (w * inv) + u_perp / lam
        c = lam * (1.0 - g_t)
        alpha = c * (u @ x0) / (1.0 - c * (u @ Au))
        out[i] = x0 + alpha * Au
    return out


def check_spiked_args(d, n_t, n_s, lam_t, lam_s, g_s, g_t, zeta, sigma2, r2):
    """Validated ``(d, n_t, n_s, lam_t, lam_s, g_s, g_t, zeta)`` of a spiked simulation (shared by the full and the
    reduced simulators); ``ValueError`` naming the parameter otherwise."""
    d = _check_size("d", d, 2)
    n_t = _check_size("n_t", n_t)
    n_s = None if n_s is None else _check_size("n_s", n_s)
    lam_t = _check_grid("lam_t", lam_t)
    lam_s = _check_grid("lam_s", lam_s)
    if np.any(lam_t <= 0) or np.any(lam_s <= 0):
        raise ValueError("lam_t and lam_s must be > 0 (the spiked penalty may be singular along u)")
    g_s = _check_unit_interval("g_s", g_s)
    g_t = float(_check_unit_interval("g_t", g_t)[0])
    zeta = float(_check_unit_interval("zeta", zeta)[0])
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    if not (np.isfinite(r2) and r2 > 0):
        raise ValueError(f"r2 must be finite and > 0, got {r2!r}")
    return d, n_t, n_s, lam_t, lam_s, g_s, g_t, zeta


def _spike_and_target(d: int, zeta: float, r2: float):
    """``u = e_1`` and ``beta* = sqrt(r2) (zeta e_1 + sqrt(1 - zeta^2) e_2)``."""
    u = np.zeros(d)
    u[0] = 1.0
    beta = np.zeros(d)
    beta[0], beta[1] = np.sqrt(r2) * zeta, np.sqrt(r2) * np.sqrt(1.0 - zeta * zeta)
    return u, beta


def spiked_w2s(d: int, n_t: int, n_s: int | None, lam_t, lam_s, g_s, *, zeta: float, g_t: float = 1.0,
               sigma2: float = 1.0, r2: float = 1.0, rng: np.random.Generator) -> SpikedSample:
    """One replicate of the spiked weighted-ridge teacher -> student problem over the ``(lam_t, lam_s, g_s)`` grid.

    ``u = e_1`` and ``beta* = sqrt(r2) (zeta e_1 + sqrt(1 - zeta^2) e_2)`` (docs/weighted_ridge.md §3.1; the design is
    rotation invariant, so this is the general case in law). Draw order: ``X_t``, noise, ``X_s``.
    ``n_s=None`` is the infinite-data student ``beta_s = (I + lam_s Gamma_s)^{-1} beta_t`` (no ``X_s`` drawn).
    """
    d, n_t, n_s, lam_t, lam_s, g_s, g_t, zeta = check_spiked_args(d, n_t, n_s, lam_t, lam_s, g_s, g_t, zeta, sigma2,
                                                                   r2)
    u, beta = _spike_and_target(d, zeta, r2)
    X_t = rng.standard_normal((n_t, d))
    y_t = X_t @ beta + np.sqrt(sigma2) * rng.standard_normal(n_t)
    B_t = _spiked_teacher(X_t, y_t, u, beta, lam_t, g_t)
    R_t = np.sum((B_t - beta) ** 2, axis=1)
    if n_s is None:  # infinite student data: S_s = I, beta_s = (I + lam_s Gamma_s)^{-1} beta_t
        R_s = np.empty((lam_t.size, lam_s.size, g_s.size))
        for j, ls in enumerate(lam_s):
            for m, g in enumerate(g_s):
                Bs = B_t / (1.0 + ls)
                Bs[:, 0] = B_t[:, 0] / (1.0 + ls * g)  # u = e_1
                R_s[:, j, m] = np.sum((Bs - beta) ** 2, axis=1)
        return SpikedSample(lam_t, lam_s, g_s, R_t, R_s)
    X_s = rng.standard_normal((n_s, d))
    q, W = design_eig(X_s)
    a = B_t @ W
    e = W.T @ beta
    w = W.T @ u
    R_s = _spiked_student_kernel(np.ascontiguousarray(a), q, e, w, float(1.0 - w @ w), float(u @ beta - w @ e),
                                 float(beta @ beta - e @ e), lam_s, g_s)
    return SpikedSample(lam_t, lam_s, g_s, R_t, R_s)


def spiked_w2s_direct(d: int, n_t: int, n_s: int, lam_t, lam_s, g_s, *, zeta: float, g_t: float = 1.0,
                      sigma2: float = 1.0, r2: float = 1.0, rng: np.random.Generator) -> SpikedSample:
    """Plain-numpy reference for :func:`spiked_w2s`: one ``numpy.linalg.solve`` per grid point (same draws)."""
    lam_t = _check_grid("lam_t", lam_t)
    lam_s = _check_grid("lam_s", lam_s)
    g_s = _check_unit_interval("g_s", g_s)
    u, beta = _spike_and_target(d, zeta, r2)
    X_t = rng.standard_normal((n_t, d))
    y_t = X_t @ beta + np.sqrt(sigma2) * rng.standard_normal(n_t)
    X_s = rng.standard_normal((n_s, d))
    S_t, S_s = X_t.T @ X_t / n_t, X_s.T @ X_s / n_s
    uu = np.outer(u, u)
    eye = np.eye(d)
    R_t = np.empty(lam_t.size)
    R_s = np.empty((lam_t.size, lam_s.size, g_s.size))
    for i, lt in enumerate(lam_t):
        bt = np.linalg.solve(S_t + lt * (eye - (1.0 - g_t) * uu), X_t.T @ y_t / n_t)
        R_t[i] = np.sum((bt - beta) ** 2)
        rhs = S_s @ bt
        for j, ls in enumerate(lam_s):
            for m, g in enumerate(g_s):
                bs = np.linalg.solve(S_s + ls * (eye - (1.0 - g) * uu), rhs)
                R_s[i, j, m] = np.sum((bs - beta) ** 2)
    return SpikedSample(lam_t, lam_s, g_s, R_t, R_s)


def block_rotation_penalty(d: int, eigs, angle: float) -> np.ndarray:
    """``d x d`` block-diagonal penalty: ``d/2`` copies of ``R(angle) diag(eigs) R(angle)^T`` (``d`` even).

    Two such penalties with different angles do not commute, yet every normalised trace equals that of one 2x2
    block, so the deterministic equivalent does not depend on ``d``.
    """
    d = _check_size("d", d, 2)
    if d % 2:
        raise ValueError(f"d must be even for a 2x2 block structure, got {d}")
    eigs = np.asarray(eigs, float)
    if eigs.shape != (2,) or not np.all(np.isfinite(eigs)) or np.any(eigs <= 0):
        raise ValueError(f"eigs must be two positive numbers, got {eigs!r}")
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    block = (R * eigs) @ R.T
    return np.kron(np.eye(d // 2), block)


def _inv_sqrt(G: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(G)
    if w.min() <= 0:
        raise ValueError("the penalty matrix must be positive definite for the whitened solve")
    return (V / np.sqrt(w)) @ V.T


#: Up to this many ``(lam_t, lam_s)`` pairs (all > 0), :func:`general_weighted_w2s` solves each system by a Cholesky
#: factorisation (``d^3/3`` flops each) instead of whitening and eigendecomposing both designs (four ``d x d``
#: eigendecompositions and six ``d x d`` products, which only pay off over a grid); same draws, same risks.
_FEW_PAIRS = 4


def _general_by_cholesky(X_t, y_t, X_s, beta, lam_t, lam_s, Gamma_t, Gamma_s):
    """Risks of :func:`general_weighted_w2s` by one Cholesky solve per ridge value (``S + lam Gamma`` is positive
    definite for ``lam > 0`` and a positive-definite ``Gamma``)."""
    from scipy.linalg import cho_factor, cho_solve

    n_t, n_s = X_t.shape[0], X_s.shape[0]
    S_t = X_t.T @ X_t / n_t
    rhs = X_t.T @ y_t / n_t
    B_t = np.stack([cho_solve(cho_factor(S_t + lt * Gamma_t), rhs) for lt in lam_t])  # (L_t, d)
    R_t = np.sum((B_t - beta) ** 2, axis=1)
    S_s = X_s.T @ X_s / n_s
    targets = S_s @ B_t.T  # (d, L_t)
    R_s = np.empty((lam_t.size, lam_s.size))
    for j, ls in enumerate(lam_s):
        Bs = cho_solve(cho_factor(S_s + ls * Gamma_s), targets)
        R_s[:, j] = np.sum((Bs - beta[:, None]) ** 2, axis=0)
    return R_t, R_s


def general_weighted_w2s(d: int, n_t: int, n_s: int, lam_t, lam_s, Gamma_t: np.ndarray, Gamma_s: np.ndarray, *,
                         sigma2: float = 1.0, r2: float = 1.0, rng: np.random.Generator):
    """One replicate with arbitrary positive-definite penalties: ``(R_t (L_t,), R_s (L_t, L_s))``.

    ``beta*`` uniform on the sphere of radius ``sqrt(r2)``; draw order ``beta*``, ``X_t``, noise, ``X_s``. Each design
    is whitened by its penalty and eigendecomposed once (module docstring).
    """
    d = _check_size("d", d)
    n_t = _check_size("n_t", n_t)
    n_s = _check_size("n_s", n_s)
    lam_t = _check_grid("lam_t", lam_t)
    lam_s = _check_grid("lam_s", lam_s)
    for name, G in (("Gamma_t", Gamma_t), ("Gamma_s", Gamma_s)):
        if np.shape(G) != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {np.shape(G)}")
    beta = rng.standard_normal(d)
    beta *= np.sqrt(r2) / np.linalg.norm(beta)
    X_t = rng.standard_normal((n_t, d))
    y_t = X_t @ beta + np.sqrt(sigma2) * rng.standard_normal(n_t)
    X_s = rng.standard_normal((n_s, d))
    if lam_t.size * lam_s.size <= _FEW_PAIRS and lam_t.min() > 0 and lam_s.min() > 0:
        return _general_by_cholesky(X_t, y_t, X_s, beta, lam_t, lam_s, Gamma_t, Gamma_s)
    Ht, Hs = _inv_sqrt(Gamma_t), _inv_sqrt(Gamma_s)
    mt, Zt = np.linalg.eigh(Ht @ (X_t.T @ X_t / n_t) @ Ht)
    rhs = Zt.T @ (Ht @ (X_t.T @ y_t / n_t))
    B_t = ((Ht @ Zt) @ (rhs[:, None] / (mt[:, None] + lam_t[None, :]))).T  # (L_t, d)
    R_t = np.sum((B_t - beta) ** 2, axis=1)
    S_s = X_s.T @ X_s / n_s
    ms, Zs = np.linalg.eigh(Hs @ S_s @ Hs)
    C = (Zs.T @ (Hs @ (S_s @ B_t.T)))  # (d, L_t)
    HZ = Hs @ Zs
    R_s = np.empty((lam_t.size, lam_s.size))
    for j, ls in enumerate(lam_s):
        Bs = HZ @ (C / (ms[:, None] + ls))
        R_s[:, j] = np.sum((Bs - beta[:, None]) ** 2, axis=0)
    return R_t, R_s


def general_weighted_w2s_direct(d: int, n_t: int, n_s: int, lam_t, lam_s, Gamma_t, Gamma_s, *,
                                sigma2: float = 1.0, r2: float = 1.0, rng: np.random.Generator):
    """Plain-numpy reference for :func:`general_weighted_w2s` (one solve per grid point, same draws)."""
    lam_t = _check_grid("lam_t", lam_t)
    lam_s = _check_grid("lam_s", lam_s)
    beta = rng.standard_normal(d)
    beta *= np.sqrt(r2) / np.linalg.norm(beta)
    X_t = rng.standard_normal((n_t, d))
    y_t = X_t @ beta + np.sqrt(sigma2) * rng.standard_normal(n_t)
    X_s = rng.standard_normal((n_s, d))
    S_t, S_s = X_t.T @ X_t / n_t, X_s.T @ X_s / n_s
    R_t = np.empty(lam_t.size)
    R_s = np.empty((lam_t.size, lam_s.size))
    for i, lt in enumerate(lam_t):
        bt = np.linalg.solve(S_t + lt * Gamma_t, X_t.T @ y_t / n_t)
        R_t[i] = np.sum((bt - beta) ** 2)
        for j, ls in enumerate(lam_s):
            R_s[i, j] = np.sum((np.linalg.solve(S_s + ls * Gamma_s, S_s @ bt) - beta) ** 2)
    return R_t, R_s
