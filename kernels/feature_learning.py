r"""Two-layer networks ``f(x) = a^T sigma(W x) / sqrt(N)``: one-step gradients and full-batch GD, and samplers of
the two-index model of Moniri & Hassani Part (c) (model stated in :mod:`w2s.theory.feature_learning`).

Gradient of the squared loss ``L(W) = (1/2n) sum_i (y_i - f(x_i))^2`` with respect to ``W`` (``N x d``):

    dL/dW = -(1/n) C^T X,   C_ij = r_i a_j sigma'(<w_j, x_i>) / sqrt(N),   r_i = y_i - f(x_i).

The pre-activations ``X W^T`` and the product ``C^T X`` are BLAS calls; the activation, its derivative, the
network output and ``C`` are one fused numba pass over the ``n x N`` pre-activations (:func:`_fused`; for tanh the
transcendental itself is numpy's vectorised ufunc, applied in place, and the pass derives ``sigma' = 1 - t^2``).
Activations by name: ``"relu"``, ``"tanh"``, ``"he2"`` (``(z^2 - 1)/sqrt 2``), ``"linear"``.
"""

from __future__ import annotations

import math

import numpy as np

import numba

from ._jit import jit, pjit

__all__ = ["ACTIVATIONS", "one_step_gradient", "one_step_gradient_numpy", "gd_overlaps", "two_index_data",
           "learned_direction", "student_one_step", "student_multi_step",
           "spiked_band", "spiked_band_entries", "gram_bands", "gram_bands_entries", "top_eigenpair_banded",
           "top_eigenpair_banded_lapack", "spiked_top_singular", "spiked_top_singular_dense"]

ACTIVATIONS = ("relu", "tanh", "he2", "linear")
_CODE = {name: i for i, name in enumerate(ACTIVATIONS)}
_SQRT2 = math.sqrt(2.0)


@jit
def _act(code, z):
    """``(sigma(z), sigma'(z))`` for the polynomial/piecewise activations; for tanh, ``z`` is already ``tanh(pre)``
    (computed by numpy's vectorised ufunc, several times faster than a scalar libm call per entry) and the
    derivative is ``1 - t^2``."""
    if code == 0:
        return (z, 1.0) if z > 0.0 else (0.0, 0.0)
    if code == 1:
        return z, 1.0 - z * z
    if code == 2:
        return (z * z - 1.0) / _SQRT2, _SQRT2 * z
    return z, 1.0


@pjit
def _fused(pre, a, y, code):
    """``C`` (n x N) and the outputs ``f`` (n,) from the pre-activations in one pass (rows in parallel: each row
    writes only its own outputs, so the result does not depend on the number of threads)."""
    n, N = pre.shape
    scale = 1.0 / math.sqrt(N)
    C = np.empty((n, N))
    f = np.empty(n)
    for i in numba.prange(n):
        s = 0.0
        for j in range(N):
            v, dv = _act(code, pre[i, j])
            s += a[j] * v
            C[i, j] = a[j] * dv  # times r_i / sqrt(N) below, once r_i is known
        s *= scale
        f[i] = s
        r = (y[i] - s) * scale
        for j in range(N):
            C[i, j] *= r
    return C, f


def _check(W, a, X, y, act):
    W = np.ascontiguousarray(W, dtype=float)
    a = np.ascontiguousarray(a, dtype=float)
    X = np.ascontiguousarray(X, dtype=float)
    y = np.ascontiguousarray(y, dtype=float)
    if act not in _CODE:
        raise ValueError(f"act must be one of {ACTIVATIONS}, got {act!r}")
    if W.ndim != 2 or X.ndim != 2 or a.shape != (W.shape[0],) or X.shape[1] != W.shape[1] or y.shape != (X.shape[0],):
        raise ValueError(f"shapes must be W (N, d), a (N,), X (n, d), y (n,); got {W.shape}, {a.shape}, {X.shape}, "
                         f"{y.shape}")
    for name, v in (("W", W), ("a", a), ("X", X), ("y", y)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must be finite")
    return W, a, X, y


def one_step_gradient(W, a, X, y, act: str = "relu") -> np.ndarray:
    """``dL/dW`` (``N x d``) of the squared loss ``(1/2n) sum (y - f)^2`` (module docstring)."""
    W, a, X, y = _check(W, a, X, y, act)
    pre = X @ W.T
    if act == "tanh":
        np.tanh(pre, out=pre)
    C, _f = _fused(pre, a, y, _CODE[act])
    return -(C.T @ X) / X.shape[0]


def one_step_gradient_numpy(W, a, X, y, act: str = "relu") -> np.ndarray:
    """Plain-numpy reference for :func:`one_step_gradient` (vectorised, unfused)."""
    W, a, X, y = _check(W, a, X, y, act)
    pre = X @ W.T
    if act == "relu":
        s, ds = np.maximum(pre, 0.0), (pre > 0).astype(float)
    elif act == "tanh":
        s = np.tanh(pre)
        ds = 1.0 - s * s
    elif act == "he2":
        s, ds = (pre * pre - 1.0) / _SQRT2, _SQRT2 * pre
    else:
        s, ds = pre, np.ones_like(pre)
    N = W.shape[0]
    r = y - s @ a / np.sqrt(N)
    return -((r[:, None] * ds * a[None, :]).T @ X) / (X.shape[0] * np.sqrt(N))


def gd_overlaps(W0, a, X, y, *, eta: float, steps: int, act: str = "relu", dirs) -> np.ndarray:
    """Full-batch GD ``W <- W - eta dL/dW`` for ``steps`` steps; returns the normalised overlaps
    ``<w_j, u_k>/||w_j||`` (``(steps + 1, N, K)``, step 0 included) with the unit rows of ``dirs`` (``K x d``)."""
    W, a, X, y = _check(W0, a, X, y, act)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if not (np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be finite and >= 0, got {eta!r}")
    dirs = np.asarray(dirs, float)
    W = W.copy()
    out = np.empty((steps + 1, W.shape[0], dirs.shape[0]))
    for t in range(steps + 1):
        out[t] = (W @ dirs.T) / np.linalg.norm(W, axis=1)[:, None]
        if t < steps:
            W -= eta * one_step_gradient(W, a, X, y, act)
    return out


def two_index_data(d: int, n: int, g_e, g_h, *, sigma2: float, rng: np.random.Generator):
    """``X`` (n x d) and ``y = g_e(x_1) + g_h(x_2) + eps``: the two-index model with ``u_e = e_1``, ``u_h = e_2``
    (the input law is rotation invariant, so this is the general case). ``g_e, g_h`` are vectorised callables."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    X = rng.standard_normal((n, d))
    y = g_e(X[:, 0]) + g_h(X[:, 1]) + np.sqrt(sigma2) * rng.standard_normal(n)
    return X, y


def _chi2(df: int, rng: np.random.Generator) -> float:
    return float(rng.chisquare(df)) if df > 0 else 0.0


def learned_direction(d: int, n: int, g_e, g_h, *, sigma2: float, rng: np.random.Generator):
    r"""Exact-in-law reduced draw of ``v = X^T y / n`` for the two-index model (``u_e = e_1``, ``u_h = e_2``):
    returns ``(<v, u_e>, <v, u_h>, ||v||^2)`` in ``O(n)``, without the ``n x d`` design.

    Derivation: ``y`` depends on ``X`` only through its first two columns ``z_e, z_h``, so ``<v, u_e> = z_e^T y/n`` and
    ``<v, u_h> = z_h^T y/n``; the other ``d - 2`` columns are independent of ``y``, so given ``y`` their part
    ``X_perp^T y / n`` is ``N(0, (||y||^2/n^2) I_{d-2})`` and its squared norm is ``(||y||^2/n^2) chi^2_{d-2}``.
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    Z = rng.standard_normal((n, 2))
    y = g_e(Z[:, 0]) + g_h(Z[:, 1]) + np.sqrt(sigma2) * rng.standard_normal(n)
    ve, vh = Z[:, 0] @ y / n, Z[:, 1] @ y / n
    return ve, vh, ve * ve + vh * vh + (y @ y) / (n * n) * _chi2(d - 2, rng)


def student_one_step(d: int, n_t: int, n_s: int, g_e, g_h, phi, *, sigma2: float, rho_h: float, eta: float,
                     rng: np.random.Generator) -> np.ndarray:
    r"""Exact-in-law reduced draw of the student quantities (model of :mod:`w2s.theory.feature_learning`):
    ``[<v_s,u_e>, <v_s,u_h>, ||v_s||^2, <w',u_e>, <w',u_h>, ||w'||^2]``, in ``O(n_t + n_s)``.

    The teacher's ``w_t = v_t/||v_t||`` comes from :func:`learned_direction`: ``w_t = rho_e u_e + rho_2 u_h + rho_3 f_3``
    with ``f_3`` a unit vector orthogonal to ``u_e, u_h`` (uniform there, independent of the student). The student
    neuron's ``xi`` is uniform on the unit sphere orthogonal to ``u_e, u_h``, independent of ``f_3``: ``xi = c f_3 +
    sqrt(1-c^2) f_4`` with ``c`` the first coordinate of a uniform unit vector of ``R^{d-2}``. In the basis
    ``(u_e, u_h, f_3, f_4, ...)`` the student's labels ``phi(<w_t, x>)`` depend on three input coordinates; the
    fourth and the remaining ``d - 4`` enter ``v_s = X_s^T y~ / n_s`` as in :func:`learned_direction`.
    """
    if d < 4:
        raise ValueError(f"d must be >= 4 for the reduced student draw, got {d}")
    if not 0.0 <= rho_h <= 1.0:
        raise ValueError(f"rho_h must be in [0, 1], got {rho_h!r}")
    if not (np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be finite and >= 0, got {eta!r}")
    ve, vh, v2 = learned_direction(d, n_t, g_e, g_h, sigma2=sigma2, rng=rng)
    nv = np.sqrt(v2)
    r1, r2 = ve / nv, vh / nv
    r3 = np.sqrt(max(0.0, 1.0 - r1 * r1 - r2 * r2))
    g = rng.standard_normal()
    c = g / np.sqrt(g * g + _chi2(d - 3, rng))
    Z = rng.standard_normal((n_s, 4))
    yt = phi(r1 * Z[:, 0] + r2 * Z[:, 1] + r3 * Z[:, 2])
    v = Z.T @ yt / n_s
    vs2 = v @ v + (yt @ yt) / (n_s * n_s) * _chi2(d - 4, rng)
    v_xi = c * v[2] + np.sqrt(1.0 - c * c) * v[3]
    s = np.sqrt(1.0 - rho_h * rho_h)
    w_e, w_h = eta * v[0], rho_h + eta * v[1]
    w2 = 1.0 + 2.0 * eta * (rho_h * v[1] + s * v_xi) + eta * eta * vs2
    return np.array([v[0], v[1], vs2, w_e, w_h, w2])


def student_multi_step(d: int, n_t: int, n_s: int, g_e, g_h, phi, *, sigma2: float, rho_h: float, eta: float,
                       steps: int, rng: np.random.Generator) -> np.ndarray:
    r"""Exact-in-law reduced draw of a unit student neuron trained for ``steps`` steps on teacher labels, a fresh batch
    of ``n_s`` inputs per step, renormalised after each step: ``w_{k+1} = (w_k + eta v_k)/||w_k + eta v_k||``,
    ``v_k = X_k^T phi(X_k w_t)/n_s`` (model of :func:`w2s.theory.feature_learning.multi_step_overlaps`). Returns the
    ``(steps + 1, 2)`` normalised overlaps ``(<w_k, u_e>, <w_k, u_h>)``, ``k = 0..steps``, in ``O(n_t + steps n_s)``.

    Reduction: the teacher ``w_t = r_1 u_e + r_2 u_h + r_3 f_3`` comes from :func:`learned_direction` and the neuron
    ``w_0 = rho_h u_h + sqrt(1 - rho_h^2)(c f_3 + sqrt(1 - c^2) f_4)`` as in :func:`student_one_step`. A fresh batch
    depends on ``X_k`` through ``z = X_k w_t`` (labels ``phi(z)``) and an independent Gaussian part orthogonal to
    ``w_t``: ``v_k = a_k w_t + b_k P_perp g_k`` with ``a_k = z^T phi(z)/n_s``, ``b_k = ||phi(z)||/n_s`` and
    ``g_k ~ N(0, I_d)``. Only inner products enter, so ``g_k`` is kept as its four coordinates on
    ``(u_e, u_h, f_3, f_4)`` plus its remainder in the other ``d - 4`` dimensions, and the remainders of all steps are
    drawn jointly through their Gram matrix (Bartlett: row ``k`` of a lower-triangular factor with
    ``chi_{d-4-k}`` on the diagonal and standard normals below). ``tests/test_kernels_feature_learning.py`` tests it
    against explicit designs.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if d < 4 + steps:
        raise ValueError(f"d must be >= 4 + steps for the reduced multi-step draw, got d={d}, steps={steps}")
    if not 0.0 <= rho_h <= 1.0:
        raise ValueError(f"rho_h must be in [0, 1], got {rho_h!r}")
    if not (np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be finite and >= 0, got {eta!r}")
    ve, vh, v2 = learned_direction(d, n_t, g_e, g_h, sigma2=sigma2, rng=rng)
    nv = np.sqrt(v2)
    wt = np.zeros(4 + steps)
    wt[0], wt[1] = ve / nv, vh / nv
    wt[2] = np.sqrt(max(0.0, 1.0 - wt[0] ** 2 - wt[1] ** 2))
    g = rng.standard_normal()
    c = g / np.sqrt(g * g + _chi2(d - 3, rng))
    s = np.sqrt(1.0 - rho_h * rho_h)
    w = np.zeros(4 + steps)
    w[1], w[2], w[3] = rho_h, s * c, s * np.sqrt(1.0 - c * c)
    out = np.empty((steps + 1, 2))
    out[0] = w[0], w[1]
    for k in range(steps):
        z = rng.standard_normal(n_s)
        y = phi(z)
        a, b = float((z * y).sum()) / n_s, np.sqrt(float((y * y).sum())) / n_s  # no BLAS call: no thread start-up
        gk = np.zeros(4 + steps)
        gk[:4] = rng.standard_normal(4)
        gk[4:4 + k] = rng.standard_normal(k)           # Bartlett row k: normals below the diagonal
        gk[4 + k] = np.sqrt(_chi2(d - 4 - k, rng))     # ... and chi_{d-4-k} on it
        gk -= wt * (wt @ gk)
        w = w + eta * (a * wt + b * gk)
        w /= np.sqrt(w @ w)
        out[k + 1] = w[0], w[1]
    return out


def _check_spiked(d, N, theta):
    for name, v in (("d", d), ("N", N)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {v!r}")
    if not (np.isfinite(theta) and theta >= 0):
        raise ValueError(f"theta must be finite and >= 0, got {theta!r}")


def spiked_band(d: int, N: int, theta: float, rng: np.random.Generator):
    r"""``T + theta e_1 e_1^T`` as a sparse ``N x min(d, N + 1)`` matrix with ``T`` equal in law to ``U^T W_0 V`` for
    ``W_0`` with i.i.d. ``N(0, 1/d)`` entries and orthogonal ``U, V`` that fix ``e_1``.

    Reduction (derived here): a Householder reflection of columns ``2..d`` collapses row 1 to ``(g, chi_{d-1})``, one
    of rows ``2..N`` collapses column 1 to ``(g, chi_{N-1})``; the remaining block is again i.i.d. Gaussian and
    independent of what was fixed, so recursing gives ``T[i, i] ~ N(0, 1)``, ``T[i, i+1] ~ chi_{d-1-i}``,
    ``T[i+1, i] ~ chi_{N-1-i}`` (0-based, all over ``sqrt(d)``), independent. As ``U, V`` fix ``e_1``, the rank-one
    part ``theta p q^T`` (rotated to ``p = e_1``, ``q = e_1``) becomes ``theta e_1 e_1^T`` and the overlap of a right
    singular vector with ``q`` is its first coordinate."""
    from scipy import sparse
    diag, sup, sub, cols = spiked_band_entries(d, N, theta, rng)
    m = diag.size
    rows = np.concatenate([np.arange(m), np.arange(sup.size), np.arange(1, sub.size + 1)])
    cidx = np.concatenate([np.arange(m), np.arange(1, sup.size + 1), np.arange(sub.size)])
    vals = np.concatenate([diag, sup, sub])
    return sparse.csr_matrix((vals, (rows, cidx)), shape=(N, cols))


def spiked_band_entries(d: int, N: int, theta: float, rng: np.random.Generator):
    """The nonzero entries of :func:`spiked_band`'s matrix, drawn in the same order (same draws): ``(diag, sup, sub,
    cols)`` with ``B[i, i] = diag[i]``, ``B[i, i+1] = sup[i]``, ``B[i+1, i] = sub[i]`` (already over ``sqrt(d)``) and
    ``cols`` the number of columns; :func:`gram_bands_entries` turns them into the bands of ``B^T B`` without a
    sparse matrix (the replicate loops of the claims call this tens of thousands of times)."""
    _check_spiked(d, N, theta)
    m = min(N, d)
    cols = min(d, N + 1)
    diag = rng.standard_normal(m)
    diag[0] += theta * np.sqrt(d)
    sup = np.sqrt(rng.chisquare(np.arange(d - 1, d - 1 - min(m, cols - 1), -1)))    # T[i, i+1], i < cols - 1
    sub = np.sqrt(rng.chisquare(np.arange(N - 1, N - 1 - min(m, N - 1), -1)))       # T[i+1, i], i < N - 1
    r = 1.0 / np.sqrt(d)
    return diag * r, sup * r, sub * r, cols


@jit
def gram_bands_entries(diag, sup, sub, cols):
    """The bands of ``B^T B`` (storage of :func:`gram_bands`) from the entries of :func:`spiked_band_entries`: row
    ``i`` of ``B`` holds ``B[i, i-1], B[i, i], B[i, i+1]``, and each row adds its pairwise products to the three upper
    diagonals."""
    ab = np.zeros((3, cols))
    nrows = max(diag.size, sup.size, sub.size + 1)
    vals = np.zeros(3)
    for i in range(nrows):
        vals[0] = sub[i - 1] if 1 <= i <= sub.size else 0.0
        vals[1] = diag[i] if i < diag.size else 0.0
        vals[2] = sup[i] if i < sup.size else 0.0
        for a in range(3):
            ja = i - 1 + a
            if ja < 0 or ja >= cols or vals[a] == 0.0:
                continue
            for b in range(a, 3):
                jb = i - 1 + b
                if jb >= cols:
                    continue
                ab[2 - (b - a), jb] += vals[a] * vals[b]
    return ab


def gram_bands(B) -> np.ndarray:
    """The three upper diagonals of the pentadiagonal ``B^T B`` (``B`` from :func:`spiked_band`), in the upper banded
    storage of :func:`scipy.linalg.cholesky_banded` (row 2: diagonal, row 1: first, row 0: second superdiagonal)."""
    M = (B.T @ B).tocsr()
    m = M.shape[0]
    ab = np.zeros((3, m))
    ab[2] = M.diagonal(0)
    ab[1, 1:] = M.diagonal(1)
    ab[0, 2:] = M.diagonal(2)
    return ab


@jit
def _penta_factor(a0, a1, a2, lam, u0, u1, u2):
    """Cholesky ``U^T U`` of ``lam I - M`` (``M`` pentadiagonal in upper banded rows ``a0, a1, a2``) into ``u0, u1,
    u2`` (the same storage); False, as soon as a pivot is not positive, when ``lam I - M`` is not positive definite
    (the test of LAPACK ``dpbtrf``)."""
    m = a2.size
    for j in range(m):
        c0 = -a0[j] / u2[j - 2] if j >= 2 else 0.0
        c1 = (-a1[j] - (u1[j - 1] * c0 if j >= 2 else 0.0)) / u2[j - 1] if j >= 1 else 0.0
        piv = lam - a2[j] - c1 * c1 - c0 * c0
        if not piv > 0.0:
            return False
        u0[j] = c0
        u1[j] = c1
        u2[j] = math.sqrt(piv)
    return True


@jit
def _penta_solve(u0, u1, u2, x):
    """``x <- (U^T U)^-1 x`` for the factor of :func:`_penta_factor`, in place."""
    m = u2.size
    for j in range(m):
        s = x[j]
        if j >= 1:
            s -= u1[j] * x[j - 1]
        if j >= 2:
            s -= u0[j] * x[j - 2]
        x[j] = s / u2[j]
    for j in range(m - 1, -1, -1):
        s = x[j]
        if j + 1 < m:
            s -= u1[j + 1] * x[j + 1]
        if j + 2 < m:
            s -= u0[j + 2] * x[j + 2]
        x[j] = s / u2[j]


@jit
def _top_eigenpair_penta(a0, a1, a2, x, rtol):
    m = a2.size
    lo = -np.inf
    hi = 0.0
    for j in range(m):
        rad = abs(a1[j]) + abs(a0[j])
        if j + 1 < m:
            rad += abs(a1[j + 1])
        if j + 2 < m:
            rad += abs(a0[j + 2])
        lo = max(lo, a2[j])
        hi = max(hi, a2[j] + rad)
    hi = hi * (1 + 1e-12) + 1e-300
    u0, u1, u2 = np.empty(m), np.empty(m), np.empty(m)
    f0, f1, f2 = np.empty(m), np.empty(m), np.empty(m)
    while not _penta_factor(a0, a1, a2, hi, f0, f1, f2):  # the Gershgorin bound is an upper bound; rounding only
        hi *= 1 + 1e-12
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if _penta_factor(a0, a1, a2, mid, u0, u1, u2):
            hi = mid
            f0[:], f1[:], f2[:] = u0, u1, u2
        else:
            lo = mid
    for _ in range(4):
        _penta_solve(f0, f1, f2, x)
        x /= np.sqrt(np.sum(x * x))
    q = 0.0
    for j in range(m):
        mx = a2[j] * x[j]
        if j >= 1:
            mx += a1[j] * x[j - 1]
        if j + 1 < m:
            mx += a1[j + 1] * x[j + 1]
        if j >= 2:
            mx += a0[j] * x[j - 2]
        if j + 2 < m:
            mx += a0[j + 2] * x[j + 2]
        q += x[j] * mx
    return q


def top_eigenpair_banded(ab: np.ndarray, rng: np.random.Generator, *, rtol: float = 1e-10) -> tuple[float, np.ndarray]:
    r"""Largest eigenvalue and its unit eigenvector of a symmetric positive semi-definite pentadiagonal matrix ``M``
    (upper banded storage ``ab``, as :func:`scipy.linalg.cholesky_banded`). ``lam > lambda_max`` iff ``lam I - M`` is
    positive definite, which a banded Cholesky factorisation decides in ``O(m)``: bisection between the largest
    diagonal entry (a lower bound) and the Gershgorin bound brackets ``lambda_max`` to relative ``rtol``; inverse
    iteration with the factor at the upper end of the bracket, from a start drawn from ``rng``, then converges by a
    factor ``rtol lambda / gap`` per solve (the gap below the top eigenvalue is of order ``d^-2/3`` or more here), and
    the Rayleigh quotient gives the eigenvalue to rounding.

    The whole loop (about 35 factorisations) is one compiled call; :func:`top_eigenpair_banded_lapack` is the same
    algorithm on LAPACK's ``dpbtrf``/``dpbtrs``, one Python call per factorisation (its reference in the tests: same
    draws, same result to rounding; 5-10x slower at ``m <= 1024``, see ``benchmarks/``)."""
    ab = np.asarray(ab, dtype=float)
    if ab.ndim != 2 or ab.shape[0] != 3 or ab.shape[1] < 1:
        raise ValueError(f"ab must be a 3 x m upper banded array with m >= 1, got shape {ab.shape}")
    if not (0 < rtol < 1):
        raise ValueError(f"rtol must be in (0, 1), got {rtol}")
    x = rng.standard_normal(ab.shape[1])
    lam = _top_eigenpair_penta(np.ascontiguousarray(ab[0]), np.ascontiguousarray(ab[1]),
                               np.ascontiguousarray(ab[2]), x, float(rtol))
    return float(lam), x


def top_eigenpair_banded_lapack(ab: np.ndarray, rng: np.random.Generator, *, rtol: float = 1e-10) -> tuple[float, np.ndarray]:
    r"""Reference for :func:`top_eigenpair_banded`: the same bisection and inverse iteration with LAPACK's banded
    Cholesky factorisation and solve (``dpbtrf``/``dpbtrs`` through :mod:`scipy.linalg.lapack`), one Python call per
    factorisation (about 25 us each at ``m = 512``, most of it call overhead)."""
    from scipy.linalg.lapack import dpbtrf, dpbtrs
    m = ab.shape[1]
    diag = ab[2]
    rad = np.abs(ab[1]) + np.abs(ab[0])
    rad[:-1] += np.abs(ab[1, 1:])
    rad[:-2] += np.abs(ab[0, 2:])
    lo, hi = float(diag.max()), float((diag + rad).max()) * (1 + 1e-12) + 1e-300
    neg = -ab

    def factor(lam):
        neg[2] = lam - diag
        c, info = dpbtrf(neg, lower=0)
        return c if info == 0 else None

    c_hi = factor(hi)
    while c_hi is None:  # the Gershgorin bound is an upper bound; rounding only
        hi *= 1 + 1e-12
        c_hi = factor(hi)
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        c = factor(mid)
        if c is None:
            lo = mid
        else:
            hi, c_hi = mid, c
    x = rng.standard_normal(m)
    for _ in range(4):
        x, info = dpbtrs(c_hi, x, lower=0)
        if info != 0:
            raise RuntimeError(f"banded solve failed (info={info})")
        x /= np.linalg.norm(x)
    Mx = ab[2] * x
    Mx[:-1] += ab[1, 1:] * x[1:]
    Mx[1:] += ab[1, 1:] * x[:-1]
    Mx[:-2] += ab[0, 2:] * x[2:]
    Mx[2:] += ab[0, 2:] * x[:-2]
    return float(x @ Mx), x


def spiked_top_singular(d: int, N: int, theta: float, rng: np.random.Generator) -> tuple[float, float]:
    r"""``(sigma_1, <r_1, q>^2)`` of ``W_0 + theta p q^T`` (``W_0``: ``N x d``, i.i.d. ``N(0, 1/d)``), exactly in law
    through :func:`spiked_band`: the top eigenpair of the pentadiagonal ``B^T B`` by :func:`top_eigenpair_banded`
    (``O(min(N, d))`` per bisection step)."""
    B = spiked_band(d, N, theta, rng)
    lam, x = top_eigenpair_banded(gram_bands(B), rng)
    return float(np.sqrt(max(lam, 0.0))), float(x[0] ** 2)


def spiked_top_singular_dense(d: int, N: int, theta: float, rng: np.random.Generator) -> tuple[float, float]:
    """Reference for :func:`spiked_top_singular`: the explicit ``N x d`` matrix with ``p = q = e_1`` and a dense SVD."""
    _check_spiked(d, N, theta)
    W = rng.standard_normal((N, d)) / np.sqrt(d)
    W[0, 0] += theta
    _u, s, vt = np.linalg.svd(W, full_matrices=False)
    return float(s[0]), float(vt[0, 0] ** 2)
