r"""Simulators of the transfer model of Somerstep et al. (model in :mod:`w2s.theory.transfer`,
docs/transfer.md §1; simulators: §3): naive ridge-to-source over a ``lam`` grid, the convex-hull estimator (scipy NNLS;
exactly, batched over replicates from streamed sufficient statistics), OLS, and exact Bayesian ICL posteriors over many
replicates (numba, log space).

Coordinates: concepts ``beta_k = e_k`` (``k = 0..K-1``), target ``k*``, weak bias ``beta^w = b e_K`` (so ``d >= K + 1``).
Features: ``Unif[-1, 1]^d`` (``c = 1/3``) or ``N(0, I_d)`` (``c = 1``). Weak labels ``Y' = x_{k*} + b x_K + eps``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.optimize import nnls

from ._jit import jit
from .gauss_rng import fill_normal, fill_uniform_pm1, stream_states
from .rng import bartlett_factors

__all__ = ["DESIGNS", "draw_features", "weak_labels", "naive_errors", "convex_hull_error", "convex_hull_weights",
           "simplex_ls_weights", "simplex_ls_weights_batch", "hull_grams", "hull_fit_errors", "gaussian_grams",
           "hull_weights_gaussian_reduced", "ols_error",
           "icl_posteriors", "icl_posteriors_numpy", "posterior_weights", "refine_then_ols_error",
           "tilt_normaliser", "icl_misalignment_is", "icl_log_misalignment"]

DESIGNS = ("uniform", "gaussian")


def _check_int(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    return int(v)


def draw_features(n: int, d: int, design: str, rng: np.random.Generator) -> np.ndarray:
    """``n x d`` features: ``Unif[-1, 1]`` or standard Gaussian entries."""
    n, d = _check_int("n", n, 1), _check_int("d", d, 1)
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    return rng.uniform(-1.0, 1.0, (n, d)) if design == "uniform" else rng.standard_normal((n, d))


def weak_labels(X: np.ndarray, k_star: int, K: int, b: float, sigma2: float, rng: np.random.Generator) -> np.ndarray:
    """``Y' = x_{k*} + b x_K + eps`` (biased weak model; ``b = 0``: unbiased)."""
    if X.shape[1] < K + 1:
        raise ValueError(f"d must be >= K + 1 = {K + 1} (the bias direction is e_K), got {X.shape[1]}")
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    return X[:, k_star] + b * X[:, K] + math.sqrt(sigma2) * rng.standard_normal(X.shape[0])


def naive_errors(X, Y, beta_P: np.ndarray, beta_Q: np.ndarray, lam) -> np.ndarray:
    """``||beta_lam - beta_Q||^2`` for every ``lam`` of the grid, ``beta_lam = (S + lam I)^{-1}(X^T Y/n + lam beta_P)``,
    from one eigendecomposition of ``S = X^T X / n`` (exact; ``lam = 0`` needs ``n >= d``)."""
    n = X.shape[0]
    lam = np.atleast_1d(np.asarray(lam, float))
    if np.any(lam < 0) or not np.all(np.isfinite(lam)):
        raise ValueError(f"lam must be finite and >= 0, got {lam!r}")
    s, V = np.linalg.eigh(X.T @ X / n)
    g = V.T @ (X.T @ Y / n)
    p = V.T @ beta_P
    q = V.T @ beta_Q
    coef = (g[None, :] + lam[:, None] * p[None, :]) / (s[None, :] + lam[:, None])
    return np.sum((coef - q[None, :]) ** 2, axis=1)


#: Weight of the penalty row enforcing sum(w) = 1 in the NNLS form of the simplex-constrained least squares. The
#: constrained minimiser is then exact up to a sum violation of order (residual scale)/M^2 ~ 1e-10, far below the
#: O(1/n) errors being measured.
SIMPLEX_PENALTY = 1e5


def convex_hull_error(X, Y, K: int, k_star: int) -> float:
    """``||beta_C - beta_Q||^2`` for least squares over ``conv{e_0, ..., e_{K-1}}``: ``beta = sum_k w_k e_k`` with
    ``w >= 0``, ``sum w = 1``, solved by :func:`scipy.optimize.nnls` on the Cholesky form of the ``K x K`` normal
    equations plus a penalty row for the sum (exact to ~1e-10, see :data:`SIMPLEX_PENALTY`)."""
    w = convex_hull_weights(X, Y, K)
    w[k_star] -= 1.0
    return float(w @ w)


def convex_hull_weights(X, Y, K: int) -> np.ndarray:
    """The simplex weights ``w`` of the convex-hull least-squares fit of :func:`convex_hull_error`."""
    n = X.shape[0]
    Z = X[:, :K]
    return simplex_ls_weights(Z.T @ Z / n, Z.T @ Y / n)


def simplex_ls_weights(G: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``argmin_w w^T G w - 2 h^T w`` over the simplex ``w >= 0, sum w = 1`` (``G`` positive definite): the
    convex-hull least squares from its sufficient statistics ``G = Z^T Z/n``, ``h = Z^T Y/n``, by NNLS on the
    Cholesky form plus the penalty row of :data:`SIMPLEX_PENALTY`."""
    K = G.shape[0]
    R = np.linalg.cholesky(G).T  # G = R^T R
    A = np.vstack([R, SIMPLEX_PENALTY * np.ones((1, K))])
    rhs = np.concatenate([np.linalg.solve(R.T, h), [SIMPLEX_PENALTY]])
    w, _ = nnls(A, rhs, maxiter=50 * K)
    return w


#: Largest number of concepts for which :func:`simplex_ls_weights_batch` enumerates the simplex's faces (``2^K - 1``).
FACE_ENUMERATION_MAX_K = 10


@functools.lru_cache(maxsize=None)
def _face_masks(K: int) -> np.ndarray:
    """``(2^K - 1, K)`` booleans: the vertex sets of the simplex's faces."""
    return np.array([[bool(mask >> k & 1) for k in range(K)] for mask in range(1, 2 ** K)])


#: Entries of the face systems held at once by :func:`simplex_ls_weights_batch` (32 MB): problems are solved in
#: groups of ``FACE_BATCH_ENTRIES // ((2^K - 1) (K + 1)^2)`` (3758 at K = 5).
FACE_BATCH_ENTRIES = 2 ** 22


def simplex_ls_weights_batch(G: np.ndarray, h: np.ndarray) -> np.ndarray:
    """:func:`simplex_ls_weights` for a stack of problems, ``G`` of shape ``(reps, K, K)`` (each positive definite),
    ``h`` of shape ``(reps, K)``: ``(reps, K)`` weights, exact (no penalty row).

    Why not one scipy NNLS per problem: a call costs ~50 us of Python and validation for a 6 x 5 problem, which is
    the whole cost of a replicate at small ``n``. Method: the objective ``w^T G w - 2 h^T w`` is strictly convex, so
    its minimiser ``w*`` over the simplex lies in the relative interior of exactly one face ``F*`` (a support ``S``),
    and there it is the minimiser over the affine hull of ``F*`` (``sum_S w = 1``, ``w`` zero off ``S``), the
    solution of the KKT system ``[[2 G_SS, 1], [1^T, 0]] [w_S; mu] = [2 h_S; 1]``. Every face whose affine minimiser
    has ``w_S >= 0`` gives a feasible point, so ``w*`` is the feasible affine minimiser of least objective. All
    ``2^K - 1`` faces are solved in one batched call, each system written at the full size ``K + 1`` with the
    identity on the vertices off its face (so their weights are exactly 0), and the best feasible face is kept.
    Cross-checked against scipy NNLS (:func:`simplex_ls_weights`) in tests/test_transfer.py. ``K`` at most
    :data:`FACE_ENUMERATION_MAX_K`."""
    G = np.asarray(G, float)
    h = np.asarray(h, float)
    if G.ndim != 3 or G.shape[1] != G.shape[2] or h.shape != G.shape[:2]:
        raise ValueError(f"G must be (reps, K, K) and h (reps, K), got {G.shape} and {h.shape}")
    reps, K = h.shape
    if not 1 <= K <= FACE_ENUMERATION_MAX_K:
        raise ValueError(f"K must be in [1, {FACE_ENUMERATION_MAX_K}], got {K}")
    if not (np.all(np.isfinite(G)) and np.all(np.isfinite(h))):
        raise ValueError("G and h must be finite")
    act = _face_masks(K)  # (F, K)
    both = act[:, :, None] & act[:, None, :]
    off_face = np.zeros((act.shape[0], K + 1, K + 1))
    off_face[:, :K, :K] = np.eye(K) * ~act[:, None, :]
    off_face[:, :K, K] = act
    off_face[:, K, :K] = act
    out = np.empty((reps, K))
    step = max(1, FACE_BATCH_ENTRIES // off_face.size)
    for lo in range(0, reps, step):
        g, hh = G[lo:lo + step], h[lo:lo + step]
        A = np.broadcast_to(off_face, (g.shape[0],) + off_face.shape).copy()  # (r, F, K + 1, K + 1)
        A[:, :, :K, :K] += 2.0 * g[:, None] * both
        rhs = np.zeros((g.shape[0], act.shape[0], K + 1, 1))
        rhs[:, :, :K, 0] = 2.0 * hh[:, None] * act
        rhs[:, :, K, 0] = 1.0
        w = np.linalg.solve(A, rhs)[:, :, :K, 0]  # (r, F, K), exactly 0 off each face
        f = np.einsum("rfi,rij,rfj->rf", w, g, w) - 2.0 * np.einsum("ri,rfi->rf", hh, w)
        f = np.where(np.all(w >= 0.0, axis=2), f, np.inf)
        out[lo:lo + step] = w[np.arange(g.shape[0]), np.argmin(f, axis=1)]
    return out


#: Rows drawn per pass of :func:`_hull_grams_kernel` before they are accumulated.
HULL_CHUNK = 512


@jit
def _accumulate_gram(buf, c, acc):
    """``acc[i, j] += sum_k buf[i, k] buf[j, k]`` over the first ``c`` columns, ``j >= i``: four interleaved partial
    sums per entry (``k`` mod 4, added as ``(s0 + s1) + (s2 + s3)``), a fixed order on every machine; about twice as
    fast as a BLAS product of these 7 x 512 blocks."""
    m = buf.shape[0]
    for i in range(m):
        bi = buf[i]
        for j in range(i, m):
            bj = buf[j]
            s0 = s1 = s2 = s3 = 0.0
            k = 0
            while k + 4 <= c:
                s0 += bi[k] * bj[k]
                s1 += bi[k + 1] * bj[k + 1]
                s2 += bi[k + 2] * bj[k + 2]
                s3 += bi[k + 3] * bj[k + 3]
                k += 4
            while k < c:
                s0 += bi[k] * bj[k]
                k += 1
            acc[i, j] += (s0 + s1) + (s2 + s3)


@jit
def _hull_grams_kernel(n, K, gaussian, states, out):
    m = K + 2
    buf = np.empty((m, HULL_CHUNK))
    acc = np.empty((m, m))
    for r in range(states.shape[0]):
        s = states[r]
        acc[:, :] = 0.0
        done = 0
        while done < n:
            c = min(HULL_CHUNK, n - done)
            for k in range(K + 1):  # the K + 1 feature coordinates, then the noise, row of buf by row
                if gaussian:
                    fill_normal(s, buf[k, :c])
                else:
                    fill_uniform_pm1(s, buf[k, :c])
            fill_normal(s, buf[K + 1, :c])
            _accumulate_gram(buf, c, acc)
            done += c
        for i in range(m):
            for j in range(i, m):
                out[r, i, j] = acc[i, j]
                out[r, j, i] = acc[i, j]


def hull_grams(n: int, K: int, design: str, rng: np.random.Generator, reps: int) -> np.ndarray:
    """``(reps, K + 2, K + 2)`` Gram matrices ``V^T V`` of ``V = [x_0 .. x_K, eps]``: ``n`` rows of the ``K + 1``
    feature coordinates the convex-hull fit sees (``Unif[-1, 1]`` or ``N(0, 1)`` entries, :data:`DESIGNS`) and a
    standard normal noise, the fit's sufficient statistics (``Z^T Z``, ``Z^T x_K``, ``Z^T eps``; ``Z`` the ``K``
    concept coordinates). The rows are drawn in chunks of :data:`HULL_CHUNK` and accumulated in numba (xoshiro256**
    streams, one per replicate, from ``rng``: :mod:`w2s.kernels.gauss_rng`), so nothing of size ``n`` is stored: the
    same law as :func:`draw_features` + :func:`weak_labels`, other draws."""
    n, K, reps = _check_int("n", n, 1), _check_int("K", K, 1), _check_int("reps", reps, 0)
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    out = np.empty((reps, K + 2, K + 2))
    _hull_grams_kernel(n, K, design == "gaussian", stream_states(rng, reps), out)
    return out


def hull_fit_errors(W: np.ndarray, n: int, K: int, b: float, sigma2: float, k_star: int = 0) -> np.ndarray:
    """``(reps,)`` errors ``||beta_C - beta_Q||^2`` of the convex-hull fit from the Grams ``W`` of :func:`hull_grams`,
    with weak labels ``Y' = x_{k*} + b x_K + sqrt(sigma2) eps``: ``G = W_ZZ/n``, ``h = (W_Z,k* + b W_ZK +
    sqrt(sigma2) W_Z,eps)/n``, solved by :func:`simplex_ls_weights_batch`."""
    n, K = _check_int("n", n, 1), _check_int("K", K, 1)
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    if not np.isfinite(b):
        raise ValueError(f"b must be finite, got {b!r}")
    if not 0 <= k_star < K:
        raise ValueError(f"k_star must be in [0, {K - 1}], got {k_star!r}")
    W = np.asarray(W, float)
    if W.ndim != 3 or W.shape[1:] != (K + 2, K + 2):
        raise ValueError(f"W must be (reps, {K + 2}, {K + 2}), got {W.shape}")
    G = W[:, :K, :K] / n
    h = (W[:, :K, k_star] + b * W[:, :K, K] + math.sqrt(sigma2) * W[:, :K, K + 1]) / n
    w = simplex_ls_weights_batch(G, h)
    w[:, k_star] -= 1.0
    return np.sum(w * w, axis=1)


def gaussian_grams(n: int, m: int, rng: np.random.Generator, reps: int) -> np.ndarray:
    """``(reps, m, m)`` independent draws of ``W = X^T X`` for ``X`` an ``n x m`` matrix of iid ``N(0, 1)`` entries,
    exactly, in ``O(m^2)`` per draw whatever ``n``: ``W ~ Wishart_m(n, I)`` is ``L L^T`` with Bartlett's lower
    triangular ``L``, ``L_ii = sqrt(chi2_{n - i})``, ``L_ij ~ N(0, 1)`` (``i > j``) independent. Needs ``n >= m``."""
    n, m, reps = _check_int("n", n, 1), _check_int("m", m, 1), _check_int("reps", reps, 0)
    if n < m:
        raise ValueError(f"n must be >= m = {m} (a full-rank Gram), got {n}")
    L = bartlett_factors(rng, n, m, reps)
    return L @ np.swapaxes(L, 1, 2)


def hull_weights_gaussian_reduced(n: int, K: int, b: float, sigma2: float, ts, rng: np.random.Generator,
                                  reps: int) -> np.ndarray:
    """``(reps, len(ts), K)`` convex-hull weights of the Gaussian design (``x ~ N(0, I)``) with weak labels
    ``Y_t = (1 + t) x_0 + b x_K + sqrt(sigma2) eps`` (target ``k* = 0``), for every ``t`` of ``ts`` on the same
    draw, from the exact law of the sufficient statistics: the estimator sees the data only through
    ``Z^T Z``, ``Z^T x_K`` and ``Z^T eps`` (``Z`` the ``K`` concept coordinates), blocks of the Gram of
    ``[x_0 .. x_K, eps]``, which is ``Wishart_{K+2}(n, I)`` (:func:`gaussian_grams`). Same law as
    :func:`draw_features` + :func:`weak_labels` + :func:`convex_hull_weights` (``Y_t = Y_0 + t x_0``); other draws.
    The fits by :func:`simplex_ls_weights_batch`."""
    K = _check_int("K", K, 1)
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    if not np.isfinite(b):
        raise ValueError(f"b must be finite, got {b!r}")
    ts = np.atleast_1d(np.asarray(ts, float))
    W = gaussian_grams(n, K + 2, rng, reps) / n
    out = np.empty((reps, ts.size, K))
    G = W[:, :K, :K]
    base = b * W[:, :K, K] + math.sqrt(sigma2) * W[:, :K, K + 1]
    for j, t in enumerate(ts):
        out[:, j] = simplex_ls_weights_batch(G, (1.0 + t) * G[:, :, 0] + base)
    return out


def ols_error(X, Y, beta_Q) -> float:
    """``||beta_OLS - beta_Q||^2`` (unconstrained least squares on the weak labels)."""
    beta = np.linalg.lstsq(X, Y, rcond=None)[0]
    return float(np.sum((beta - beta_Q) ** 2))


@jit
def _posteriors(Z, E, log_prior, k_star, b, sigma, n_grid):
    """Log-space posteriors over concepts after the first ``n`` examples, for every ``n`` in ``n_grid``.

    ``Z``: (reps, n_max, K + 1) feature coordinates along the concepts and the bias direction; ``E``: (reps, n_max)
    standard normals. Returns ``(M, R)``: misalignment ``1 - pi_{k*}`` and ``pi_k / pi_{k*}`` (reps, G, K)."""
    reps, n_max, K1 = Z.shape
    K = K1 - 1
    G = n_grid.size
    M = np.empty((reps, G))
    R = np.empty((reps, G, K))
    ll = np.empty(K)
    inv2s2 = 1.0 / (2.0 * sigma * sigma)
    for r in range(reps):
        for k in range(K):
            ll[k] = log_prior[k]
        g = 0
        for i in range(n_max + 1):
            while g < G and n_grid[g] == i:
                top = ll[0]
                for k in range(1, K):
                    if ll[k] > top:
                        top = ll[k]
                tot = 0.0
                for k in range(K):
                    tot += math.exp(ll[k] - top)
                M[r, g] = 1.0 - math.exp(ll[k_star] - top) / tot
                for k in range(K):
                    R[r, g, k] = math.exp(ll[k] - ll[k_star])
                g += 1
            if i == n_max:
                break
            y = Z[r, i, k_star] + b * Z[r, i, K] + sigma * E[r, i]
            for k in range(K):
                res = y - Z[r, i, k]
                ll[k] -= res * res * inv2s2
    return M, R



@jit
def _log_misalignment(Z, E, log_prior, k_star, b, sigma, n_grid):
    """``log(1 - pi_{k*})`` after the first ``n`` examples for every ``n`` of ``n_grid``, in log space (a log-sum-exp
    over the competitors minus one over all concepts), so that it does not underflow when ``1 - pi_{k*}`` is far
    below the smallest double. Same inputs as :func:`_posteriors`."""
    reps, n_max, K1 = Z.shape
    K = K1 - 1
    G = n_grid.size
    L = np.empty((reps, G))
    ll = np.empty(K)
    inv2s2 = 1.0 / (2.0 * sigma * sigma)
    for r in range(reps):
        for k in range(K):
            ll[k] = log_prior[k]
        g = 0
        for i in range(n_max + 1):
            while g < G and n_grid[g] == i:
                top, top_c = ll[0], -np.inf
                for k in range(K):
                    if ll[k] > top:
                        top = ll[k]
                    if k != k_star and ll[k] > top_c:
                        top_c = ll[k]
                tot, comp = 0.0, 0.0
                for k in range(K):
                    tot += math.exp(ll[k] - top)
                    if k != k_star:
                        comp += math.exp(ll[k] - top_c)
                L[r, g] = (top_c + math.log(comp)) - (top + math.log(tot))
                g += 1
            if i == n_max:
                break
            y = Z[r, i, k_star] + b * Z[r, i, K] + sigma * E[r, i]
            for k in range(K):
                res = y - Z[r, i, k]
                ll[k] -= res * res * inv2s2
    return L

def _icl_inputs(reps, n_grid, K, design, rng):
    reps = _check_int("reps", reps, 1)
    n_grid = np.asarray(n_grid, dtype=np.int64)
    if n_grid.ndim != 1 or n_grid.size == 0 or np.any(n_grid < 0) or np.any(np.diff(n_grid) <= 0):
        raise ValueError(f"n_grid must be a non-empty increasing grid of integers >= 0, got {n_grid!r}")
    K = _check_int("K", K, 1)
    n_max = int(n_grid[-1])
    Z = draw_features(reps * max(n_max, 1), K + 1, design, rng).reshape(reps, max(n_max, 1), K + 1)
    E = rng.standard_normal((reps, max(n_max, 1)))
    return reps, n_grid, K, Z, E


def _check_posterior_args(alpha_P, k_star, b, sigma2):
    a = np.asarray(alpha_P, float)
    if a.ndim != 1 or np.any(a <= 0) or abs(a.sum() - 1) > 1e-9:
        raise ValueError(f"alpha_P must be a probability vector with positive entries, got {alpha_P!r}")
    if isinstance(k_star, bool) or not isinstance(k_star, (int, np.integer)) or not 0 <= k_star < a.size:
        raise ValueError(f"k_star must be an index in [0, {a.size - 1}], got {k_star!r}")
    if not (np.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be finite and > 0, got {sigma2!r}")
    if not np.isfinite(b):
        raise ValueError(f"b must be finite, got {b!r}")
    return a


def icl_posteriors(reps: int, n_grid, alpha_P, k_star: int, b: float, sigma2: float, design: str,
                   rng: np.random.Generator):
    """Exact Bayesian ICL posteriors (docs/transfer.md §2.4) for ``reps`` independent replicates, each a stream of
    weak-labelled examples, read at every ``n_ICL`` in ``n_grid``: ``(M, R)`` as in :func:`_posteriors`. Only the
    ``K + 1`` feature coordinates along the concepts and the bias enter the likelihood, so they are the only ones drawn
    (exact in law for every ``d >= K + 1``). Draws: features, then noise."""
    a = _check_posterior_args(alpha_P, k_star, b, sigma2)
    reps, n_grid, K, Z, E = _icl_inputs(reps, n_grid, a.size, design, rng)
    return _posteriors(Z, E, np.log(a), int(k_star), float(b), math.sqrt(sigma2), n_grid)


def icl_posteriors_numpy(reps: int, n_grid, alpha_P, k_star: int, b: float, sigma2: float, design: str,
                         rng: np.random.Generator):
    """Plain-numpy reference for :func:`icl_posteriors` (same draws, vectorised over replicates)."""
    a = _check_posterior_args(alpha_P, k_star, b, sigma2)
    reps, n_grid, K, Z, E = _icl_inputs(reps, n_grid, a.size, design, rng)
    sigma = math.sqrt(sigma2)
    y = Z[:, :, k_star] + b * Z[:, :, K] + sigma * E
    inc = -((y[:, :, None] - Z[:, :, :K]) ** 2) / (2 * sigma2)  # (reps, n_max, K)
    cum = np.concatenate([np.zeros((reps, 1, K)), np.cumsum(inc, axis=1)], axis=1) + np.log(a)
    L = cum[:, n_grid, :]
    L = L - L.max(axis=2, keepdims=True)
    P = np.exp(L)
    P /= P.sum(axis=2, keepdims=True)
    return 1.0 - P[:, :, k_star], np.exp(cum[:, n_grid, :] - cum[:, n_grid, k_star][:, :, None])


def icl_log_misalignment(reps: int, n_grid, alpha_P, k_star: int, b: float, sigma2: float, design: str,
                         rng: np.random.Generator) -> np.ndarray:
    """``log(1 - pi_{k*})`` of the exact ICL posterior (docs/transfer.md §2.4) after ``n`` examples, for every ``n``
    of ``n_grid``: ``(reps, len(n_grid))``, computed in log space throughout (no underflow at any ``n_ICL``). The same
    draws as :func:`icl_posteriors` for the same ``rng`` state; tests check ``exp`` of it against its ``M``."""
    a = _check_posterior_args(alpha_P, k_star, b, sigma2)
    reps, n_grid, K, Z, E = _icl_inputs(reps, n_grid, a.size, design, rng)
    return _log_misalignment(Z, E, np.log(a), k_star, float(b), math.sqrt(sigma2), n_grid)


def posterior_weights(R: np.ndarray) -> np.ndarray:
    """Posterior weights ``pi`` (``..., K``) from the ratios ``pi_k / pi_{k*}`` returned by :func:`icl_posteriors`."""
    R = np.asarray(R, dtype=float)
    return R / R.sum(axis=-1, keepdims=True)


def refine_then_ols_error(pi: np.ndarray, X: np.ndarray, k_star: int) -> float:
    """ICL refinement followed by fine-tuning (docs/transfer.md §2.7): the strong model labels the queries ``X``
    (``n x d``) with its posterior-mean prediction ``sum_k pi_k beta_k^T x`` and is refit by OLS on them; returns
    ``||beta_hat - beta_Q||^2`` (``beta_k = e_k``). With ``n >= d`` the refit recovers ``sum_k pi_k beta_k`` exactly,
    so the error equals ``(1 - pi_{k*})^2 + sum_{k != k*} pi_k^2`` (docs/transfer.md §2.7)."""
    pi = np.asarray(pi, dtype=float)
    d = X.shape[1]
    if pi.ndim != 1 or pi.size > d:
        raise ValueError(f"pi must be a vector of at most d = {d} concept weights, got shape {pi.shape}")
    beta = np.zeros(d)
    beta[: pi.size] = pi
    labels = X @ beta
    fit = np.linalg.lstsq(X, labels, rcond=None)[0]
    target = np.zeros(d)
    target[k_star] = 1.0
    return float(np.sum((fit - target) ** 2))


@jit
def _seed_numba(seed):
    np.random.seed(seed)


@jit
def _is_kernel(reps, n_grid, log_prior_odds, b, sigma, lam, log_mgf, q_max):
    """Importance-sampled misalignment, uniform design, k* = 0 (see :func:`icl_misalignment_is`)."""
    K1 = log_prior_odds.size  # competitors 1..K-1 stored at 0..K-2
    G = n_grid.size
    n_max = n_grid[G - 1]
    s2 = sigma * sigma
    out = np.empty((reps, G))
    S = np.empty(K1)  # running sums of Delta^{(k)} over the examples
    x = np.empty(K1 + 2)  # x_0 (target), x_1..x_{K-1} (competitors), x_K (bias direction)
    for r in range(reps):
        j = np.random.randint(K1)  # mixture component: tilt against competitor j
        for k in range(K1):
            S[k] = 0.0
        g = 0
        for i in range(n_max + 1):
            while g < G and n_grid[g] == i:
                # M = sum_k e^{L_k} / (1 + sum_k e^{L_k}), L_k = log-prior-odds - S_k; weight = exp(n log m) / mean_k exp(-lam S_k)
                top = 0.0
                for k in range(K1):
                    L = log_prior_odds[k] - S[k]
                    if L > top:
                        top = L
                num = 0.0
                for k in range(K1):
                    num += math.exp(log_prior_odds[k] - S[k] - top)
                M = num / (math.exp(-top) + num)
                mn = -lam * S[0]
                for k in range(1, K1):
                    if -lam * S[k] > mn:
                        mn = -lam * S[k]
                mix = 0.0
                for k in range(K1):
                    mix += math.exp(-lam * S[k] - mn)
                mix /= K1
                out[r, g] = M * math.exp(i * log_mgf - mn) / mix
                g += 1
            if i == n_max:
                break
            # draw one example from the proposal tilted against competitor j: (x_0, x_j) by rejection on q(u)
            while True:
                a0 = 2.0 * np.random.random() - 1.0
                aj = 2.0 * np.random.random() - 1.0
                u = a0 - aj
                sarg = lam * u * b / s2
                shs = 1.0 if abs(sarg) < 1e-12 else math.sinh(sarg) / sarg
                q = math.exp(-lam * (1.0 - lam) * u * u / (2.0 * s2)) * shs
                if np.random.random() * q_max <= q:
                    break
            for k in range(K1):
                x[k + 1] = 2.0 * np.random.random() - 1.0
            x[0] = a0
            x[j + 1] = aj
            # w = x_K | u: density prop. to exp(-sarg w) on [-1, 1]
            v = np.random.random()
            if abs(sarg) < 1e-12:
                w = 2.0 * v - 1.0
            else:
                w = -math.log(math.exp(sarg) - v * (math.exp(sarg) - math.exp(-sarg))) / sarg
            eps = -lam * u + sigma * np.random.standard_normal()
            y = x[0] + b * w + eps
            for k in range(K1):
                r0 = y - x[0]
                rk = y - x[k + 1]
                S[k] += (rk * rk - r0 * r0) / (2.0 * s2)
    return out


def _tilt_weight(u: np.ndarray, lam: float, b: float, sigma2: float) -> np.ndarray:
    """``q(u) = E[exp(-lam Delta) | u]`` for one example: the Gaussian noise contributes ``exp(lam^2 u^2/(2 sigma2))``
    (``E[exp(t eps)] = exp(t^2 sigma2/2)``) and the uniform bias coordinate ``sinh(s)/s``, ``s = lam u b/sigma2``."""
    s = lam * u * b / sigma2
    shs = np.where(np.abs(s) < 1e-12, 1.0, np.sinh(s) / np.where(s == 0, 1.0, s))
    return np.exp(-lam * (1.0 - lam) * u * u / (2.0 * sigma2)) * shs


def tilt_normaliser(lam: float, b: float, sigma2: float, nodes: int = 200) -> float:
    """``E[exp(-lam Delta)]`` of one example under the untilted model, by a 2-D Gauss–Legendre rule over
    ``(x_0, x_j) in [-1, 1]^2`` of :func:`_tilt_weight` (smooth integrand: the rule converges geometrically). Computed
    here from the sampling model itself, not taken from the theory, so that the importance weights do not inherit a
    possible error of the closed form they are used to test."""
    z, w = np.polynomial.legendre.leggauss(nodes)
    U = z[:, None] - z[None, :]
    return float(np.sum(np.outer(w, w) * _tilt_weight(U, lam, b, sigma2)) / 4.0)


def icl_misalignment_is(reps: int, n_grid, alpha_P, b: float, sigma2: float, lam: float,
                        rng: np.random.Generator) -> np.ndarray:
    r"""Unbiased importance-sampling estimates of ``E[M_n]`` (``M = 1 - pi_{k*}``, ``k* = 0``, uniform design):
    ``(reps, len(n_grid))`` values whose means are ``E[M_n]``, with a relative variance that grows only like
    ``sqrt(n)`` instead of ``1/E[M_n]``.

    Proposal: pick a competitor ``j`` uniformly, then tilt every example by ``exp(-lam Delta^{(j)})`` with
    ``Delta^{(k)} = ((y - x_k)^2 - (y - x_0)^2)/(2 sigma2)`` (the log-likelihood-ratio increment against ``k``,
    docs/transfer.md §2.4): ``(x_0, x_j)`` by rejection on :func:`_tilt_weight` ``q(u)``, ``u = x_0 - x_j``; the bias
    coordinate ``w`` from the density ``∝ exp(-s w)`` on ``[-1, 1]``; the noise from ``N(-lam u, sigma2)``; the other
    coordinates untouched. The weight of the first ``n`` examples against the mixture of the ``K - 1`` tilts is
    ``Z^n / mean_k exp(-lam S_k)``, ``S_k = sum_i Delta_i^{(k)}``, with the one-example normaliser ``Z``
    (:func:`tilt_normaliser`). Any ``lam`` in ``[0, 1]`` gives unbiased estimates; the Chernoff maximiser minimises
    the variance. Reproducible: numba's generator is seeded from ``rng``.
    """
    reps = _check_int("reps", reps, 1)
    n_grid = np.asarray(n_grid, dtype=np.int64)
    if n_grid.ndim != 1 or n_grid.size == 0 or np.any(n_grid < 0) or np.any(np.diff(n_grid) <= 0):
        raise ValueError(f"n_grid must be a non-empty increasing grid of integers >= 0, got {n_grid!r}")
    a = _check_posterior_args(alpha_P, 0, b, sigma2)
    if a.size < 2:
        raise ValueError("importance sampling of the misalignment needs K >= 2 concepts")
    if not (0.0 <= lam <= 1.0):
        raise ValueError(f"lam must be in [0, 1], got {lam!r}")
    sigma = math.sqrt(sigma2)
    q_max = 1.01 * float(np.max(_tilt_weight(np.linspace(-2.0, 2.0, 4001), lam, b, sigma2)))  # margin over the grid
    Z = tilt_normaliser(lam, b, sigma2)
    _seed_numba(int(rng.integers(2**31 - 1)))
    log_odds = np.log(a[1:]) - np.log(a[0])
    return _is_kernel(reps, n_grid, log_odds, float(b), sigma, float(lam), math.log(Z), q_max)
