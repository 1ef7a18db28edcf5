r"""Simulators and projections of the misfit-gain model (docs/misfit_gain.md §1, §3).

* :func:`random_features`: a random-feature map ``h(x) = act(A x)`` (``tanh`` or ``relu``) of Gaussian inputs.
* :func:`project`: the W2S student, the ``L2(P_M)`` projection of a weak model onto a class of heads on the strong
  features, by scipy: ``"subspace"`` (``numpy.linalg.lstsq``), ``"cone"`` (non-negative coefficients,
  ``scipy.optimize.nnls``), ``"ball"`` (``||c|| <= radius``: the KKT multiplier of ``min ||Z c - f||^2 + mu
  ||c||^2`` by ``scipy.optimize.brentq``, exact to rounding) and ``"simplex"`` (``c >= 0``, ``sum c = 1``:
  ``scipy.optimize.minimize``, SLSQP with the analytic gradient).
* :func:`gaussian_slack_draws`: the finite-sample slack of the least-squares student with explicit Gaussian
  features (docs §2.3).
* :func:`measure_slack_draws`: the same slack when training samples are drawn from a fixed empirical measure
  (e.g. random features of ``M`` Gaussian inputs), the measure then being the population (docs §2.4).
"""

from __future__ import annotations

import numpy as np
from numba import prange
from scipy.optimize import brentq, minimize, nnls

from ._jit import pjit
from .gauss_rng import stream_states, uniform
from .rng import bartlett_factors

__all__ = ["CLASSES", "random_features", "project", "gaussian_slack_draws", "gaussian_slack_bartlett",
           "measure_slack_draws"]

CLASSES = ("subspace", "cone", "ball", "simplex")


def _gen(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def random_features(X, A, activation: str = "tanh") -> np.ndarray:
    """``act(X A^T)`` for inputs ``X (M, p)`` and weights ``A (k, p)``; ``activation`` in ``{"tanh", "relu"}``."""
    H = np.asarray(X, float) @ np.asarray(A, float).T
    if activation == "tanh":
        return np.tanh(H)
    if activation == "relu":
        return np.maximum(H, 0.0)
    raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")


def project(Z, f, cls: str = "subspace", radius: float = 1.0) -> np.ndarray:
    """Coefficients ``c`` of the projection of ``f`` onto ``{Z c : c in class}`` in the empirical ``L2`` norm."""
    Z, f = np.asarray(Z, float), np.asarray(f, float)
    if cls == "subspace":
        return np.linalg.lstsq(Z, f, rcond=None)[0]
    if cls == "cone":
        return nnls(Z, f)[0]
    if cls == "ball":
        if not radius > 0:
            raise ValueError(f"radius={radius} must be > 0")
        c = np.linalg.lstsq(Z, f, rcond=None)[0]
        if np.linalg.norm(c) <= radius:
            return c
        U, s, Vt = np.linalg.svd(Z, full_matrices=False)
        uf = U.T @ f

        def coef(mu):  # ridge solution (Z^T Z + mu I)^-1 Z^T f in the SVD basis
            return Vt.T @ (s * uf / (s**2 + mu))

        hi = s[0] * np.linalg.norm(uf) / radius  # ||coef(hi)|| <= ||Z^T f|| / hi <= radius
        mu = brentq(lambda m: np.linalg.norm(coef(m)) - radius, 0.0, hi, xtol=1e-15, rtol=8.9e-16, maxiter=500)
        return coef(mu)
    if cls == "simplex":
        k = Z.shape[1]
        G, h = Z.T @ Z / Z.shape[0], Z.T @ f / Z.shape[0]  # scaled by 1/M: an O(1) objective for SLSQP's ftol
        res = minimize(lambda c: 0.5 * c @ G @ c - h @ c, np.full(k, 1.0 / k), jac=lambda c: G @ c - h,
                       method="SLSQP", bounds=[(0.0, None)] * k,
                       constraints=[{"type": "eq", "fun": lambda c: np.sum(c) - 1.0, "jac": lambda c: np.ones(k)}],
                       options={"ftol": 1e-14, "maxiter": 1000})
        # status 8 ("positive directional derivative") means SLSQP cannot improve further at this ftol: accepted
        # when the point is feasible; the KKT solve on SLSQP's support then removes its remaining tolerance
        if res.status not in (0, 8) or np.any(res.x < -1e-8) or abs(np.sum(res.x) - 1.0) > 1e-8:
            raise RuntimeError(f"simplex projection did not converge: {res.message}")
        return _simplex_polish(G, h, np.clip(res.x, 0.0, None))
    raise ValueError(f"cls must be one of {CLASSES}, got {cls!r}")


def _simplex_polish(G, h, c, tol=1e-10):
    """Exact minimiser of ``c^T G c / 2 - h^T c`` on the face of the simplex spanned by the support of ``c``
    (the KKT linear system), kept when it is feasible and its multipliers certify optimality; else ``c``."""
    S = np.flatnonzero(c > 1e-9)
    m = S.size
    A = np.zeros((m + 1, m + 1))
    A[:m, :m], A[:m, m], A[m, :m] = G[np.ix_(S, S)], 1.0, 1.0
    try:
        sol = np.linalg.solve(A, np.r_[h[S], 1.0])
    except np.linalg.LinAlgError:
        return c
    out = np.zeros_like(c)
    out[S] = sol[:m]
    grad = G @ out - h + sol[m]  # >= 0 off the support at the optimum (multipliers of c_i >= 0)
    if np.all(out >= 0.0) and np.all(grad >= -tol * (1.0 + np.abs(h).max())):
        return out
    return c


def _lstsq_batch(Phi, y):
    Q, R = np.linalg.qr(Phi)
    return np.linalg.solve(R, np.einsum("rij,ri->rj", Q, y)[:, :, None])[:, :, 0]


def gaussian_slack_draws(*, k: int, n: int, misfit: float, b, rng: np.random.Generator, reps: int) -> np.ndarray:
    """``(reps, 3)``: slack, ``2||f_hat - f_pop||^2`` and the cross term ``2 <f_pop - f*, f_hat - f_pop>``.

    Strong features ``z ~ N(0, I_k)`` (population ``Sigma = I``), target ``f* = 0`` (any ``f*`` in the span gives
    the same slack: only ``b = c_pop - c*`` enters), weak model ``f_w = z^T b + sqrt(misfit) xi`` with ``xi ~ N(0,
    1)`` independent of ``z``; the student is least squares on ``n`` samples ``(z_i, f_w(x_i))``."""
    _gen(rng)
    b = np.asarray(b, float)
    if b.shape != (k,) or n < k + 2 or misfit < 0 or reps < 1:
        raise ValueError(f"need b of shape ({k},), n >= k + 2, misfit >= 0, reps >= 1; got {b.shape}, {n}, {misfit}, {reps}")
    Z = rng.standard_normal((reps, n, k))
    y = Z @ b + np.sqrt(misfit) * rng.standard_normal((reps, n))
    delta = _lstsq_batch(Z, y) - b
    own, cross = 2.0 * np.sum(delta**2, 1), 2.0 * delta @ b
    return np.column_stack([own + cross, own, cross])


def gaussian_slack_bartlett(*, k: int, n: int, misfit: float, b, rng: np.random.Generator, reps: int) -> np.ndarray:
    """The law of :func:`gaussian_slack_draws` in ``O(k^2)`` per replicate: with the residual independent of the
    Gaussian features, ``c_hat - c_pop = (Z^T Z)^-1 Z^T r ~ sqrt(misfit) L^-T g`` given the Bartlett factor ``L`` of
    ``Z^T Z ~ Wishart_k(n, I)`` and ``g ~ N(0, I_k)`` (docs §3)."""
    _gen(rng)
    b = np.asarray(b, float)
    if b.shape != (k,) or n < k + 2 or misfit < 0 or reps < 1:
        raise ValueError(f"need b of shape ({k},), n >= k + 2, misfit >= 0, reps >= 1; got {b.shape}, {n}, {misfit}, {reps}")
    L = bartlett_factors(rng, n, k, reps)
    g = rng.standard_normal((reps, k, 1))
    delta = np.sqrt(misfit) * np.linalg.solve(np.swapaxes(L, 1, 2), g)[:, :, 0]
    own, cross = 2.0 * np.sum(delta**2, 1), 2.0 * delta @ b
    return np.column_stack([own + cross, own, cross])


@pjit
def _resample_gram(states, Z, f, n, G, h):
    """Per replicate ``r``: ``G_r = sum_i z_{j_i} z_{j_i}^T`` and ``h_r = sum_i z_{j_i} f_{j_i}`` over ``n`` indices
    ``j_i`` drawn uniformly from the rows (own xoshiro256** stream per replicate)."""
    M, k = Z.shape
    for r in prange(states.shape[0]):
        s = states[r]
        for a in range(k):
            h[r, a] = 0.0
            for c in range(k):
                G[r, a, c] = 0.0
        for _ in range(n):
            j = min(int(uniform(s) * M), M - 1)
            fj = f[j]
            for a in range(k):
                za = Z[j, a]
                h[r, a] += za * fj
                for c in range(a, k):
                    G[r, a, c] += za * Z[j, c]
        for a in range(k):
            for c in range(a):
                G[r, a, c] = G[r, c, a]


def resample_gram_reference(states, Z, f, n):
    """Plain-numpy twin of the resampling kernel on the same streams (tests: equality; benchmarks: speed)."""
    M, k = Z.shape
    G, h = np.empty((states.shape[0], k, k)), np.empty((states.shape[0], k))
    for r in range(states.shape[0]):
        s = states[r].copy()
        j = np.array([min(int(uniform(s) * M), M - 1) for _ in range(n)])
        G[r], h[r] = Z[j].T @ Z[j], Z[j].T @ f[j]
    return G, h


def measure_slack_draws(Z, f_w, c_star, *, n: int, rng: np.random.Generator, reps: int, c_pop=None) -> np.ndarray:
    """``(reps, 3)`` as :func:`gaussian_slack_draws`, training samples drawn uniformly with replacement from the rows
    of ``Z`` (the population is their empirical measure; ``f* = Z c_star``, ``Sigma = Z^T Z / M``). ``c_pop``, the
    population least-squares coefficients of ``f_w``, may be passed to save its solve."""
    _gen(rng)
    Z, f_w, c_star = np.asarray(Z, float), np.asarray(f_w, float), np.asarray(c_star, float)
    M, k = Z.shape
    if n < k + 2 or reps < 1:
        raise ValueError(f"need n >= k + 2 = {k + 2} and reps >= 1, got n={n}, reps={reps}")
    Sigma = Z.T @ Z / M
    c_pop = np.linalg.lstsq(Z, f_w, rcond=None)[0] if c_pop is None else np.asarray(c_pop, float)
    G, h = np.empty((reps, k, k)), np.empty((reps, k))
    _resample_gram(stream_states(rng, reps), np.ascontiguousarray(Z), np.ascontiguousarray(f_w), int(n), G, h)
    # normal equations (k <= a few dozen, n >> k: well conditioned), batched over replicates
    delta = np.linalg.solve(G, h[:, :, None])[:, :, 0] - c_pop
    own = 2.0 * np.einsum("ri,ij,rj->r", delta, Sigma, delta)
    cross = 2.0 * delta @ (Sigma @ (c_pop - c_star))
    return np.column_stack([own + cross, own, cross])
