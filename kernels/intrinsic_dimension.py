r"""Simulators of the intrinsic-dimension W2S model (docs/intrinsic_dimension.md §1, §3): a weak OLS teacher on
``V_w^T x``, its OLS student on ``V_s^T x`` trained on teacher labels, and the strong OLS ceiling.

Every simulator returns an array ``(reps, 5)`` with columns :data:`COLUMNS`: the excess risks
``||beta - beta*||^2`` (exact for isotropic Gaussian inputs) of teacher, W2S student and ceiling, and the two parts
of the student's error, ``inherited = ||P_s(beta_w - beta*)||^2`` and ``discrepancy = ||beta_w2s - P_s beta_w||^2``.

* :func:`simulate_explicit`: the reference. Inputs ``x ~ N(0, I_D)`` are drawn, the subspaces are rotated into
  ``R^D`` by a Haar-random isometry (one per block), and the three least-squares fits are solved by
  ``numpy.linalg.lstsq``. Cost ``O((n + N) D)`` draws per replicate.
* :func:`simulate_bartlett`: an exact reduced sampler, numba, ``O(d_w^2)`` per replicate whatever ``n, N, D``.
  (i) For isotropic Gaussian ``x``, the part ``(I - P_w) x`` is independent of ``V_w^T x``, so the labels
  ``y = x^T beta* + eps`` are, for the teacher, its own linear model plus independent noise of variance
  ``sigma2 + ||(I - P_w) beta*||^2``. (ii) Given the Gram matrix ``W = Phi^T Phi ~ Wishart_d(n, I)``, the OLS error
  ``W^-1 Phi^T noise`` is ``N(0, s2 W^-1)``, i.e. ``sqrt(s2) L^-T g`` with ``W = L L^T`` (Bartlett: ``L`` lower
  triangular, ``L_ii^2 ~ chi2(n - i + 1)``, ``L_ij ~ N(0, 1)`` below the diagonal) and ``g ~ N(0, I_d)``. (iii) The
  student's labels ``x^T beta_w`` are its model ``V_s^T x`` times ``V_s^T beta_w`` plus the independent part
  ``x^T (I - P_s) beta_w``: the same two steps with ``N`` samples and noise ``||(I - P_s) beta_w||^2``.
  Each replicate draws from its own xoshiro256** stream (:func:`w2s.kernels.gauss_rng.stream_states`).
* :func:`simulate_bartlett_python`: the same reduced sampler in plain numpy, consuming the very same streams
  (equal to the kernel to rounding; tests), and :func:`simulate_bartlett_numpy`, the reduced sampler vectorised
  over replicates with a numpy ``Generator`` (same law, other draws; benchmarks).
"""

from __future__ import annotations

import numpy as np

from numba import prange

from ._jit import jit, pjit
from .gauss_rng import chi2, normal, stream_states
from .rng import bartlett_factors

__all__ = ["COLUMNS", "simulate_explicit", "simulate_bartlett", "simulate_bartlett_python", "simulate_bartlett_numpy"]

COLUMNS = ("teacher", "w2s", "ceiling", "inherited", "discrepancy")


def _check(V_s, V_w, beta, n, N, sigma2, reps, rng):
    V_s, V_w, beta = np.asarray(V_s, float), np.asarray(V_w, float), np.asarray(beta, float)
    if V_s.ndim != 2 or V_w.ndim != 2 or V_s.shape[0] != V_w.shape[0] or beta.shape != (V_s.shape[0],):
        raise ValueError(f"V_s (m x d_s), V_w (m x d_w) and beta (m,) must share m; got {V_s.shape}, {V_w.shape}, "
                         f"{beta.shape}")
    for name, V in (("V_s", V_s), ("V_w", V_w)):
        if not np.allclose(V.T @ V, np.eye(V.shape[1]), atol=1e-10):
            raise ValueError(f"{name} must have orthonormal columns")
    d_s, d_w = V_s.shape[1], V_w.shape[1]
    if int(n) != n or n < max(d_s, d_w) + 2:
        raise ValueError(f"n={n} must be an integer >= max(d_s, d_w) + 2 = {max(d_s, d_w) + 2}")
    if int(N) != N or N < d_s + 2:
        raise ValueError(f"N={N} must be an integer >= d_s + 2 = {d_s + 2}")
    if not np.isfinite(sigma2) or sigma2 < 0:
        raise ValueError(f"sigma2={sigma2} must be finite and >= 0")
    if int(reps) < 1:
        raise ValueError(f"reps={reps} must be >= 1")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return V_s, V_w, beta, int(n), int(N), float(sigma2), int(reps)


def _frame(V_s, V_w, beta, sigma2):
    """Per-model constants of the reduced sampler."""
    th_s, th_w = V_s.T @ beta, V_w.T @ beta
    bias_s = max(float(beta @ beta - th_s @ th_s), 0.0)  # ||(I - P_s) beta*||^2
    bias_w = max(float(beta @ beta - th_w @ th_w), 0.0)
    C = V_s.T @ V_w  # d_s x d_w: V_s^T beta_w = C theta_w
    return th_s, th_w, C, bias_s, sigma2 + bias_w, sigma2 + bias_s


# ----- explicit reference ------------------------------------------------------------------------------------------

def simulate_explicit(V_s, V_w, beta, *, n: int, N: int, sigma2: float, rng: np.random.Generator, reps: int,
                      D: int | None = None) -> np.ndarray:
    """``(reps, 5)`` (:data:`COLUMNS`) from explicit Gaussian inputs in ``R^D`` (``D >= m``, default ``m``)."""
    V_s, V_w, beta, n, N, sigma2, reps = _check(V_s, V_w, beta, n, N, sigma2, reps, rng)
    m = V_s.shape[0]
    D = m if D is None else int(D)
    if D < m:
        raise ValueError(f"D={D} must be >= m={m} (the dimension of the frame holding V_s, V_w, beta)")
    Q, R = np.linalg.qr(rng.standard_normal((D, m)))  # Haar isometry R^m -> R^D (signs fixed by diag(R))
    Q = Q * np.sign(np.diag(R))
    Vs, Vw, b = Q @ V_s, Q @ V_w, Q @ beta
    X = rng.standard_normal((reps, n, D))
    y = X @ b + np.sqrt(sigma2) * rng.standard_normal((reps, n))
    X2 = rng.standard_normal((reps, N, D))
    beta_w = _lstsq(X @ Vw, y) @ Vw.T
    beta_c = _lstsq(X @ Vs, y) @ Vs.T
    beta_sw = _lstsq(X2 @ Vs, np.einsum("rij,rj->ri", X2, beta_w)) @ Vs.T
    ps_bw = (beta_w @ Vs) @ Vs.T
    ps_b = Vs @ (Vs.T @ b)
    return np.column_stack([np.sum((beta_w - b) ** 2, 1), np.sum((beta_sw - b) ** 2, 1), np.sum((beta_c - b) ** 2, 1),
                            np.sum((ps_bw - ps_b) ** 2, 1), np.sum((beta_sw - ps_bw) ** 2, 1)])


def _lstsq(Phi, y):
    """Least-squares coefficients for a batch ``Phi (reps, m, d)``, ``y (reps, m)``: QR of each design
    (``numpy.linalg.qr`` is batched), then the triangular system; no normal equations."""
    Q, R = np.linalg.qr(Phi)
    return np.linalg.solve(R, np.einsum("rij,ri->rj", Q, y)[:, :, None])[:, :, 0]


# ----- reduced sampler: numba kernel -------------------------------------------------------------------------------

@jit  # a real call, not inlined: its three inlined copies (each with the RNG's inlined draws) took the parallel
# kernel's compilation to ~100 s; the call costs nanoseconds against the O(d^2) draws of one call
def _bartlett_solve(s, L, g, d, m):
    """Draw ``L`` (Bartlett factor of ``Wishart_d(m, I)``, its first ``d x d`` block) and ``g ~ N(0, I_d)`` from the
    stream ``s``, in this order (diagonal and sub-diagonal row by row, then ``g``), and overwrite ``g`` with
    ``L^-T g`` (back substitution)."""
    for i in range(d):
        L[i, i] = np.sqrt(chi2(s, float(m - i)))
        for j in range(i):
            L[i, j] = normal(s)
    for i in range(d):
        g[i] = normal(s)
    for i in range(d - 1, -1, -1):
        acc = g[i]
        for k in range(i + 1, d):
            acc -= L[k, i] * g[k]
        g[i] = acc / L[i, i]


@pjit
def _bartlett_kernel(states, th_s, th_w, C, bias_s, bias_w, s2w, s2s, n, N, out):
    reps = states.shape[0]
    d_s, d_w = C.shape
    for r in prange(reps):
        s = states[r]
        L = np.zeros((d_w, d_w))
        g = np.empty(d_w)
        theta = np.empty(d_w)
        u = np.empty(d_s)
        # teacher: theta_w = th_w + sqrt(s2w) L^-T g with L L^T ~ Wishart_{d_w}(n, I)
        _bartlett_solve(s, L, g, d_w, n)
        er_w = bias_w
        nb = 0.0
        for j in range(d_w):
            dj = np.sqrt(s2w) * g[j]
            theta[j] = th_w[j] + dj
            er_w += dj * dj
            nb += theta[j] * theta[j]
        # V_s^T beta_w = C theta_w; ||(I - P_s) beta_w||^2 = ||theta_w||^2 - ||C theta_w||^2
        pu = 0.0
        inh = 0.0
        for i in range(d_s):
            acc = 0.0
            for j in range(d_w):
                acc += C[i, j] * theta[j]
            u[i] = acc
            pu += acc * acc
            inh += (acc - th_s[i]) ** 2
        r2 = max(nb - pu, 0.0)
        # student: V_s^T beta_w2s = C theta_w + sqrt(r2) L_s^-T g' with L_s L_s^T ~ Wishart_{d_s}(N, I)
        _bartlett_solve(s, L, g, d_s, N)
        er_sw = bias_s
        disc = 0.0
        for i in range(d_s):
            e = np.sqrt(r2) * g[i]
            disc += e * e
            er_sw += (u[i] + e - th_s[i]) ** 2
        # ceiling: V_s^T beta_c = th_s + sqrt(s2s) L_c^-T g'' with L_c L_c^T ~ Wishart_{d_s}(n, I)
        _bartlett_solve(s, L, g, d_s, n)
        er_c = bias_s
        for i in range(d_s):
            er_c += s2s * g[i] * g[i]
        out[r, 0] = er_w
        out[r, 1] = er_sw
        out[r, 2] = er_c
        out[r, 3] = inh
        out[r, 4] = disc


def simulate_bartlett(V_s, V_w, beta, *, n: int, N: int, sigma2: float, rng: np.random.Generator,
                      reps: int) -> np.ndarray:
    """``(reps, 5)`` (:data:`COLUMNS`) from the exact reduced sampler (module docstring), one stream per replicate."""
    V_s, V_w, beta, n, N, sigma2, reps = _check(V_s, V_w, beta, n, N, sigma2, reps, rng)
    th_s, th_w, C, bias_s, s2w, s2s = _frame(V_s, V_w, beta, sigma2)
    out = np.empty((reps, 5))
    _bartlett_kernel(stream_states(rng, reps), th_s, th_w, np.ascontiguousarray(C), bias_s, s2w - sigma2, s2w, s2s,
                     n, N, out)
    return out


def _solve_python(s, d, m):
    L = np.zeros((d, d))
    for i in range(d):
        L[i, i] = np.sqrt(chi2(s, float(m - i)))
        for j in range(i):
            L[i, j] = normal(s)
    g = np.array([normal(s) for _ in range(d)])
    return np.linalg.solve(L.T, g)


def simulate_bartlett_python(V_s, V_w, beta, *, n: int, N: int, sigma2: float, rng: np.random.Generator,
                             reps: int) -> np.ndarray:
    """The reduced sampler written plainly (matrices, ``numpy.linalg.solve``) on the same per-replicate streams as
    :func:`simulate_bartlett`: equal to it to rounding (slow; for tests)."""
    V_s, V_w, beta, n, N, sigma2, reps = _check(V_s, V_w, beta, n, N, sigma2, reps, rng)
    d_s, d_w = V_s.shape[1], V_w.shape[1]
    th_s, th_w, C, bias_s, s2w, s2s = _frame(V_s, V_w, beta, sigma2)
    states = stream_states(rng, reps)
    out = np.empty((reps, 5))
    for r in range(reps):
        s = states[r].copy()
        beta_w = V_w @ (th_w + np.sqrt(s2w) * _solve_python(s, d_w, n))
        ps_bw = V_s @ (V_s.T @ beta_w)
        r2 = max(float(np.sum((beta_w - ps_bw) ** 2)), 0.0)
        beta_sw = ps_bw + V_s @ (np.sqrt(r2) * _solve_python(s, d_s, N))
        beta_c = V_s @ (th_s + np.sqrt(s2s) * _solve_python(s, d_s, n))
        out[r] = (np.sum((beta_w - beta) ** 2), np.sum((beta_sw - beta) ** 2), np.sum((beta_c - beta) ** 2),
                  np.sum((ps_bw - V_s @ th_s) ** 2), np.sum((beta_sw - ps_bw) ** 2))
    return out


def _bartlett_batch(rng, reps, d, m):
    """``L^-T g`` for ``reps`` independent Bartlett factors of ``Wishart_d(m, I)``, vectorised (numpy Generator)."""
    L = bartlett_factors(rng, m, d, reps)
    g = rng.standard_normal((reps, d, 1))
    return np.linalg.solve(np.swapaxes(L, 1, 2), g)[:, :, 0]


def simulate_bartlett_numpy(V_s, V_w, beta, *, n: int, N: int, sigma2: float, rng: np.random.Generator,
                            reps: int) -> np.ndarray:
    """The reduced sampler vectorised over replicates with numpy (same law as :func:`simulate_bartlett`, other draws)."""
    V_s, V_w, beta, n, N, sigma2, reps = _check(V_s, V_w, beta, n, N, sigma2, reps, rng)
    d_s, d_w = V_s.shape[1], V_w.shape[1]
    th_s, th_w, C, bias_s, s2w, s2s = _frame(V_s, V_w, beta, sigma2)
    theta = th_w + np.sqrt(s2w) * _bartlett_batch(rng, reps, d_w, n)
    u = theta @ C.T
    r2 = np.maximum(np.sum(theta**2, 1) - np.sum(u**2, 1), 0.0)
    e = np.sqrt(r2)[:, None] * _bartlett_batch(rng, reps, d_s, N)
    ec = np.sqrt(s2s) * _bartlett_batch(rng, reps, d_s, n)
    return np.column_stack([s2w - sigma2 + np.sum((theta - th_w) ** 2, 1), bias_s + np.sum((u + e - th_s) ** 2, 1),
                            bias_s + np.sum(ec**2, 1), np.sum((u - th_s) ** 2, 1), np.sum(e**2, 1)])
