r"""Simulator of the synthetic representation model of docs/representations.md §1.3 (Xue, Li & Mirzasoleiman
2025, arXiv 2502.00620): ridge heads on weak and strong representations with a principal and a high-dimensional
non-principal part, trained in kernel form, without ever forming ``D``-dimensional features.

Model (docs/representations.md §1.3, PROPOSED there)
----------------------------------------------------
Latent ``z ~ N(0, I_p)``, label ``y = <a, z> + eps`` with ``eps ~ N(0, sigma2)``. A representation is
``h(x) = (A z, u)``: principal part ``A z`` (``A``: ``r x p``) and non-principal part ``u ~ N(0, s^2 I_D)``,
independent of ``z`` and of the other model's non-principal part, with ``s_w^2 = gamma_w n~ / D`` (weak) and
``s_s^2 = gamma_s n^ / D`` (strong), so the implicit ridges are ``gamma~_w = D s_w^2/n~ = gamma_w`` and
``gamma^_s = gamma_s``. Several weak models in one call share the data splits and one non-principal part (they
differ in ``A_w`` and ``beta_w``): common random numbers for comparing them.

Heads (docs/representations.md §3, "Heads in kernel form"), with unnormalised kernels ``K = H H^T + G`` (principal Gram
plus non-principal Gram ``G = U U^T``):

* weak: ``alpha = (K~ + n~ beta_w I)^{-1} y~`` on ``D~``; ``f_w(x) = K(x, D~) alpha``;
* W2S and strong ceiling: ``(K^ + n^ beta_s I)^{-1}`` applied to ``f_w(D^)`` and to ``y^``.

Exact test errors (no test set)
-------------------------------
A head ``f(x) = K(x, T) c`` on a training set ``T`` has principal coefficient ``b = A^T H_T^T c`` (in ``z``-space)
and non-principal weight ``v = U_T^T c``. A fresh point's non-principal part is independent ``N(0, s^2 I_D)``, so

    E_{x, y}[(f(x) - y)^2] = ||b - a||^2 + sigma2 + s^2 c^T G_T c        (exact),

and ``E[(f_w2s - f_sc)^2] = ||b_w2s - b_sc||^2 + s_s^2 d^T G^ d`` with ``d = c_w2s - c_sc``. Errors are therefore
exact conditional expectations over the test distribution; no test points are drawn.

The non-principal Gram blocks, exactly and at a cost independent of ``D``
-------------------------------------------------------------------------
``G = U U^T`` over ``N`` points is Wishart(``D``, ``s^2 I_N``). Three routes, equal in law (tests and the claim
``repr.gram-simulator.exact-in-law`` compare them):

* ``method="explicit"``: the features ``U`` are drawn (``N x D``): the reference, ``O(N^2 D)``; the weak
  features are drawn on ``D~ ∪ D^`` and the cross-kernel ``G(D^, D~)`` is formed from them.
* ``method="gram"``: Bartlett decomposition over ``D~ ∪ D^`` jointly (``D >= N``): ``G = s^2 L L^T`` with ``L``
  lower triangular, ``L_ii = chi_{D-i+1}``, ``L_ij ~ N(0, 1)`` (``i > j``). The Cholesky factor of a
  Wishart(``D``, ``I``) matrix has exactly this law, so no rotation is needed. ``O(N^3)``.
* ``method="tridiagonal"`` (default, used by the claims): two identities in law make the cost ``O(n r^2)``.
  (i) The cross-kernel enters only through ``U^ v`` with ``v = U~^T alpha`` fixed by ``D~``; as ``U^`` is
  independent of ``D~``, ``U^ v ~ N(0, s^2 ||v||^2 I)`` with ``||v||^2 = alpha^T G~ alpha`` (jointly over weak
  models: covariance ``s^2 alpha_j^T G~ alpha_k``). (ii) By Dumitriu–Edelman bidiagonalisation
  (:func:`w2s.kernels.laguerre.bidiagonal` applied to ``U^T``), ``G = s^2 V T V^T`` with ``T`` tridiagonal
  (independent ``chi`` entries) and ``V`` orthogonal, independent of the data ``(Z, eps)`` of that split. The
  Gaussian rows are rotation invariant, so ``(V^T Z, V^T eps)`` has the law of ``(Z, eps)``: the split can be
  simulated directly in the frame where ``G = s^2 T``. The ridge solves are then tridiagonal plus rank
  ``r`` (Woodbury; a numba Thomas solve), and every quantity above is invariant under that rotation, including
  the sample formulas of :mod:`w2s.theory.representations` evaluated on the returned ``(Z^, y^)``.

Every route returns the W2S split's latent ``Z^`` and labels ``y^`` (in its own frame for ``tridiagonal``) so the
finite-sample formulas (★) can be evaluated on the very same draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ._jit import jit
from .laguerre import bidiagonal

__all__ = ["METHODS", "W2SDraw", "wishart_bartlett", "wishart_explicit", "wishart_tridiagonal", "simulate_w2s"]

METHODS = ("tridiagonal", "gram", "explicit")


def _check_int(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    return int(v)


def _check_nonneg(name, v, *, positive=False):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {v!r}") from None
    if not np.isfinite(x) or x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be finite and {'> 0' if positive else '>= 0'}, got {v!r}")
    return x


# ----- Wishart(D, s^2 I_N) draws ----------------------------------------------------------------------------------

def wishart_explicit(N: int, D: int, s2: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(G, U)``: explicit features ``U`` (``N x D``, i.i.d. ``N(0, s2)``) and their Gram ``G = U U^T``."""
    N, D = _check_int("N", N, 1), _check_int("D", D, 1)
    U = np.sqrt(_check_nonneg("s2", s2)) * rng.standard_normal((N, D))
    return U @ U.T, U


def wishart_bartlett(N: int, D: int, s2: float, rng: np.random.Generator) -> np.ndarray:
    """``G ~ Wishart(D, s2 I_N)`` by the Bartlett decomposition ``G = s2 L L^T`` (``D >= N``), ``O(N^3)`` whatever
    ``D``: ``L_ii = chi_{D-i+1}`` (``i = 1..N``), ``L_ij ~ N(0, 1)`` below the diagonal."""
    N, D = _check_int("N", N, 1), _check_int("D", D, 1)
    s2 = _check_nonneg("s2", s2)
    if D < N:
        raise ValueError(f"the Bartlett draw needs D >= N (a non-singular Wishart), got D={D} < N={N}")
    L = np.tril(rng.standard_normal((N, N)), -1)
    L[np.diag_indices(N)] = np.sqrt(rng.chisquare(D - np.arange(N)))
    return s2 * (L @ L.T)


def wishart_tridiagonal(N: int, D: int, s2: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(diag, off)`` of ``s2 T`` with ``G = V (s2 T) V^T`` for some orthogonal ``V`` (module docstring, route
    (ii)); padded with zeros when ``D < N`` (rank ``D``). ``O(N)``."""
    N, D = _check_int("N", N, 1), _check_int("D", D, 1)
    s2 = _check_nonneg("s2", s2)
    alpha, beta = bidiagonal(N, D, rng)  # bidiagonal model of the D x N matrix U^T: U U^T = V B^T B V^T
    m = alpha.size
    diag = np.zeros(N)
    off = np.zeros(N - 1)
    diag[:m] = alpha * alpha
    diag[1:m] += beta * beta
    off[: m - 1] = alpha[:-1] * beta
    return s2 * diag, s2 * off


# ----- solves: (H H^T + G + c I) X = Y -----------------------------------------------------------------------------

@jit
def _tri_solve_multi(diag, off, c, B):
    """Solve ``(T + c I) X = B`` for a symmetric tridiagonal ``T`` (``diag``, ``off``) and every column of ``B``;
    ``T + c I`` is positive definite (``T`` is a Gram matrix, ``c > 0``), so elimination without pivoting (Thomas,
    i.e. ``LDL^T``) is backward stable."""
    m, k = B.shape
    cc = np.empty(m)
    piv = np.empty(m)
    piv[0] = diag[0] + c
    for i in range(1, m):
        cc[i - 1] = off[i - 1] / piv[i - 1]
        piv[i] = diag[i] + c - off[i - 1] * cc[i - 1]
    X = np.empty((m, k))
    for j in range(k):
        X[0, j] = B[0, j] / piv[0]
        for i in range(1, m):
            X[i, j] = (B[i, j] - off[i - 1] * X[i - 1, j]) / piv[i]
        for i in range(m - 2, -1, -1):
            X[i, j] -= cc[i] * X[i + 1, j]
    return X


@jit
def _tri_quad(diag, off, X, Y):
    """``X^T T Y`` for a symmetric tridiagonal ``T``."""
    m, kx = X.shape
    ky = Y.shape[1]
    out = np.zeros((kx, ky))
    for a in range(kx):
        for b in range(ky):
            s = 0.0
            for i in range(m):
                t = diag[i] * Y[i, b]
                if i > 0:
                    t += off[i - 1] * Y[i - 1, b]
                if i < m - 1:
                    t += off[i] * Y[i + 1, b]
                s += X[i, a] * t
            out[a, b] = s
    return out


class _Gram:
    """A non-principal Gram block: tridiagonal (``diag``, ``off``) or dense ``G``."""

    def __init__(self, diag=None, off=None, dense=None):
        self.diag, self.off, self.dense = diag, off, dense

    def solve(self, H: np.ndarray, c: float, Y: np.ndarray) -> np.ndarray:
        """``(H H^T + G + c I)^{-1} Y`` (``Y``: ``n x k``)."""
        if self.dense is not None:
            M = H @ H.T + self.dense
            M[np.diag_indices_from(M)] += c
            return cho_solve(cho_factor(M, lower=True), Y)
        r = H.shape[1]
        S = _tri_solve_multi(self.diag, self.off, c, np.ascontiguousarray(np.column_stack([Y, H])))
        SY, SH = S[:, : Y.shape[1]], S[:, Y.shape[1]:]
        if r == 0:
            return SY
        cap = np.eye(r) + H.T @ SH  # Woodbury: (M + H H^T)^{-1} = M^{-1} - M^{-1} H (I + H^T M^{-1} H)^{-1} H^T M^{-1}
        return SY - SH @ np.linalg.solve(cap, H.T @ SY)

    def quad(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``X^T G Y``."""
        if self.dense is not None:
            return X.T @ self.dense @ Y
        return _tri_quad(self.diag, self.off, np.ascontiguousarray(X), np.ascontiguousarray(Y))


@dataclass(frozen=True)
class W2SDraw:
    """One replicate: exact test errors (label noise included) for ``k`` weak models, and the W2S split."""

    err_w: np.ndarray  #: (k,) weak models' test MSE
    err_w2s: np.ndarray  #: (k,) W2S models' test MSE
    pred_gap: np.ndarray  #: (k,) E_x[(f_w2s - f_sc)^2]
    err_sc: float  #: strong ceiling's test MSE
    Z_hat: np.ndarray  #: (n^, p) latents of the W2S split (in the simulator's frame)
    y_hat: np.ndarray  #: (n^,) true labels on the W2S split


def _weak_list(A_w, beta_w, p):
    mats = [np.atleast_2d(np.asarray(A, float)) if np.asarray(A).size else np.zeros((0, p)) for A in
            (A_w if isinstance(A_w, (list, tuple)) else [A_w])]
    for j, A in enumerate(mats):
        if A.ndim != 2 or A.shape[1] != p or not np.all(np.isfinite(A)):
            raise ValueError(f"A_w[{j}] must be a finite r_w x p matrix with p = {p}, got shape {A.shape}")
    betas = np.broadcast_to(np.asarray(beta_w, float), (len(mats),)).copy()
    if not np.all(np.isfinite(betas)) or np.any(betas <= 0):
        raise ValueError(f"beta_w must be finite and > 0, got {beta_w!r}")
    return mats, betas


def simulate_w2s(A_w, A_s, a, *, sigma2: float, gamma_w: float, gamma_s: float, beta_w, beta_s: float,
                 n_tilde: int, n_hat: int, D: int, rng: np.random.Generator,
                 method: str = "tridiagonal", data_rng: np.random.Generator | None = None) -> W2SDraw:
    """One replicate of the docs/representations.md §1.3 model (module docstring). ``A_w``: one ``r_w x p`` matrix or a
    list of them (weak models sharing the draws; ``beta_w`` a scalar or one value per weak model); ``A_s``: ``r_s x p``;
    ``a``: label direction in ``R^p``. The latents and label noise are drawn from ``data_rng`` when given (else
    from ``rng``): two methods given equally seeded ``data_rng`` see the same data (common random numbers; in
    the tridiagonal frame the same numbers stand for the rotated data, which has the same law)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    a = np.asarray(a, float)
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)):
        raise ValueError(f"a must be a finite 1-D array, got shape {a.shape}")
    p = a.size
    A_s = np.atleast_2d(np.asarray(A_s, float))
    if A_s.shape[1] != p or not np.all(np.isfinite(A_s)):
        raise ValueError(f"A_s must be a finite r_s x p matrix with p = {p}, got shape {A_s.shape}")
    weak, betas = _weak_list(A_w, beta_w, p)
    sigma2 = _check_nonneg("sigma2", sigma2)
    gamma_w = _check_nonneg("gamma_w", gamma_w)
    gamma_s = _check_nonneg("gamma_s", gamma_s)
    beta_s = _check_nonneg("beta_s", beta_s, positive=True)
    nt, nh, D = _check_int("n_tilde", n_tilde, 1), _check_int("n_hat", n_hat, 1), _check_int("D", D, 1)
    s2w, s2s = gamma_w * nt / D, gamma_s * nh / D
    sd = np.sqrt(sigma2)
    k = len(weak)

    # weak models on D~ (and the weak non-principal features on D^ where they are drawn)
    drng = rng if data_rng is None else data_rng
    Zt = drng.standard_normal((nt, p))
    yt = Zt @ a + sd * drng.standard_normal(nt)
    if method == "tridiagonal":
        Gw = _Gram(*wishart_tridiagonal(nt, D, s2w, rng))
    elif method == "gram":
        Wfull = wishart_bartlett(nt + nh, D, s2w, rng)
        Gw = _Gram(dense=Wfull[:nt, :nt].copy())
    else:
        Wfull, Uw = wishart_explicit(nt + nh, D, s2w, rng)
        Gw = _Gram(dense=Wfull[:nt, :nt].copy())
    alphas = np.empty((nt, k))
    b_w = np.empty((p, k))
    for j, (A, bw) in enumerate(zip(weak, betas)):
        H = Zt @ A.T
        al = Gw.solve(H, nt * bw, yt[:, None])[:, 0]
        alphas[:, j] = al
        b_w[:, j] = A.T @ (H.T @ al)
    Q = Gw.quad(alphas, alphas)  # alpha_j^T G~ alpha_k
    err_w = np.sum((b_w - a[:, None]) ** 2, axis=0) + sigma2 + s2w * np.diag(Q)

    # the W2S split: weak labels f_w(D^) and true labels
    Zh = drng.standard_normal((nh, p))
    yh = Zh @ a + sd * drng.standard_normal(nh)
    if method == "tridiagonal":
        # cross term U^ v_j: jointly Gaussian, covariance s_w^2 alpha_j^T G~ alpha_k (route (i))
        C = s2w * Q
        w, V = np.linalg.eigh((C + C.T) / 2)
        cross = rng.standard_normal((nh, k)) @ (V * np.sqrt(np.maximum(w, 0.0))).T
    else:
        cross = Wfull[nt:, :nt] @ alphas
    f_w = Zh @ b_w + cross
    if method == "tridiagonal":
        Gs = _Gram(*wishart_tridiagonal(nh, D, s2s, rng))
    elif method == "gram":
        Gs = _Gram(dense=wishart_bartlett(nh, D, s2s, rng))
    else:
        Gs = _Gram(dense=wishart_explicit(nh, D, s2s, rng)[0])
    Hs = Zh @ A_s.T
    coef = Gs.solve(Hs, nh * beta_s, np.column_stack([f_w, yh]))  # (nh, k + 1): W2S heads, then the ceiling
    b = A_s.T @ (Hs.T @ coef)
    Qs = Gs.quad(coef, coef)
    err = np.sum((b - a[:, None]) ** 2, axis=0) + sigma2 + s2s * np.diag(Qs)
    db = b[:, :k] - b[:, k:]
    gap = np.sum(db * db, axis=0) + s2s * (np.diag(Qs)[:k] - 2 * Qs[:k, k] + Qs[k, k])
    return W2SDraw(err_w, err[:k], gap, float(err[k]), Zh, yh)
