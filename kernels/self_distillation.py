r"""Ridge self-distillation at finite ``d`` (docs/self_distillation.md §3): the teacher ridge, the student refitted to
mixed labels ``xi * X beta_lam + (1 - xi) * y`` with the same ridge, and the coefficients of its risk in ``xi``.

Two simulators, drawn only from the ``numpy.random.Generator`` passed in:

* :func:`draw_problem` + :func:`mixed_label_quadratic` / :func:`student_on_mixed_labels`: the full model (explicit
  ``n x d`` design, ``O(n d^2)``), used by the tests to check the conditional identities draw by draw;
* :func:`reduced_self_distillation`: exact in law, ``O(d)`` per replicate and ridge value, for the ladders. It uses
  the bidiagonal (Dumitriu–Edelman) model of :mod:`w2s.kernels.laguerre`: ``X = U B V^T`` with ``V e_1 = e_1``, so
  with ``beta* = r e_1`` (rotation invariance) and ``eps' = U^T eps ~ N(0, sigma2 I)`` independent of ``B``, every
  quantity is computed in the coordinates ``V^T`` from the tridiagonal ``T = B^T B / n`` (which is ``V^T S V``) and
  ``h = V^T X^T y / n = r T e_1 + B^T eps' / n``. Each ridge solve is a banded Cholesky solve
  (:func:`scipy.linalg.solveh_banded`).

In both, for each ridge ``lam``:

* ``R = ||beta_lam - beta*||^2``, ``R' = 2 <beta_lam - beta*, g>`` and ``c = ||g||^2`` with the exact derivative
  ``g = d beta_lam / d lam = -(S + lam)^{-1} beta_lam`` (one more solve);
* from the literal student ``beta_S(xi) = (S + lam)^{-1} X^T (xi X beta_lam + (1 - xi) y) / n``, written as
  ``beta_lam + xi delta`` with ``delta = (S + lam)^{-1} (S beta_lam - X^T y / n)``: the coefficients
  ``A1 = 2 <beta_lam - beta*, delta>`` and ``A2 = ||delta||^2`` of ``R(xi) = R + A1 xi + A2 xi^2``, its minimiser
  ``-A1 / (2 A2)`` and its gain ``A1^2 / (4 A2)``. These are computed without using ``g``: that ``A1 = lam R'`` and
  ``A2 = lam^2 c`` is the identity the tests check draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solveh_banded

from .laguerre import teacher_model

__all__ = [
    "QuadraticSample",
    "draw_problem",
    "student_on_mixed_labels",
    "mixed_label_quadratic",
    "reduced_self_distillation",
    "reduced_self_distillation_numpy",
]


@dataclass(frozen=True)
class QuadraticSample:
    """Per ridge value (arrays of the grid's shape): the teacher's ``R``, ``R'``, ``c`` (from the derivative) and the
    literal student's ``A1``, ``A2`` (from the mixed labels)."""

    lam: np.ndarray
    risk: np.ndarray
    risk_deriv: np.ndarray
    curvature: np.ndarray
    A1: np.ndarray
    A2: np.ndarray

    @property
    def xi_star(self):
        """Minimiser of the literal student's risk in ``xi``."""
        return -self.A1 / (2.0 * self.A2)

    @property
    def gain(self):
        """``R(0) - min_xi R(xi)`` of the literal student."""
        return self.A1**2 / (4.0 * self.A2)

    def risk_at(self, xi):
        """``R(xi)`` of the literal student: one trailing axis over ``xi`` added to the fields' shape."""
        xi = np.asarray(xi, float)
        return self.risk[..., None] + self.A1[..., None] * xi + self.A2[..., None] * xi**2


def _check_int(name, value, lo=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def _check_lams(lam) -> np.ndarray:
    lam = np.atleast_1d(np.asarray(lam, float))
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(f"lam must be a non-empty 1-D grid of finite values > 0, got {lam!r}")
    return lam


def _check_noise(sigma2, r2):
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    if not (np.isfinite(r2) and r2 > 0):
        raise ValueError(f"r2 must be finite and > 0, got {r2!r}")


def draw_problem(d: int, n: int, *, sigma2: float, r2: float, rng: np.random.Generator):
    """``(X, y, beta*)``: ``X`` ``n x d`` standard Gaussian, ``beta*`` uniform on the sphere of radius ``sqrt(r2)``,
    ``y = X beta* + eps`` with ``eps ~ N(0, sigma2)``. Draws ``X``, then ``beta*``, then ``eps``."""
    d, n = _check_int("d", d), _check_int("n", n)
    _check_noise(sigma2, r2)
    X = rng.standard_normal((n, d))
    b = rng.standard_normal(d)
    beta = np.sqrt(r2) * b / np.linalg.norm(b)
    y = X @ beta + np.sqrt(sigma2) * rng.standard_normal(n)
    return X, y, beta


def _ridge(X, y, lam):
    n, d = X.shape
    return np.linalg.solve(X.T @ X / n + lam * np.eye(d), X.T @ y / n)


def student_on_mixed_labels(X, y, lam: float, xi: float) -> np.ndarray:
    """The student of the full model, literally: ridge ``lam`` on the labels ``xi * X beta_lam + (1 - xi) * y``."""
    lam = float(_check_lams(lam)[0])
    teacher = _ridge(X, y, lam)
    return _ridge(X, xi * (X @ teacher) + (1.0 - xi) * y, lam)


def mixed_label_quadratic(X, y, beta_star, lam) -> QuadraticSample:
    """:class:`QuadraticSample` of the full model (explicit design; module docstring)."""
    lam = _check_lams(lam)
    n, d = X.shape
    S = X.T @ X / n
    h = X.T @ y / n
    out = {k: np.empty(lam.size) for k in ("risk", "risk_deriv", "curvature", "A1", "A2")}
    for i, l in enumerate(lam):
        M = S + l * np.eye(d)
        b = np.linalg.solve(M, h)
        e = b - beta_star
        g = -np.linalg.solve(M, b)
        delta = np.linalg.solve(M, S @ b - h)
        out["risk"][i], out["risk_deriv"][i], out["curvature"][i] = e @ e, 2.0 * e @ g, g @ g
        out["A1"][i], out["A2"][i] = 2.0 * e @ delta, delta @ delta
    return QuadraticSample(lam=lam, **out)


def _tri_mul(diag, off, v):
    out = diag * v
    out[:-1] += off * v[1:]
    out[1:] += off * v[:-1]
    return out


def _quadratic_from_model(diag, off, h, r, lam, solve):
    e1 = np.zeros(diag.size)
    e1[0] = r
    out = np.empty((5, lam.size))
    for i, l in enumerate(lam):
        b = solve(diag, off, l, h)
        e = b - e1
        g = -solve(diag, off, l, b)
        delta = solve(diag, off, l, _tri_mul(diag, off, b) - h)
        out[:, i] = e @ e, 2.0 * e @ g, g @ g, 2.0 * e @ delta, delta @ delta
    return out


def _banded_solve(diag, off, lam, rhs):
    """``(T + lam I)^{-1} rhs`` by LAPACK's banded Cholesky (``T + lam`` is positive definite for ``lam > 0``)."""
    if diag.size == 1:
        return rhs / (diag + lam)
    ab = np.empty((2, diag.size))
    ab[0, 0] = 0.0
    ab[0, 1:] = off
    ab[1] = diag + lam
    return solveh_banded(ab, rhs, check_finite=False)


def _dense_solve(diag, off, lam, rhs):
    """Plain-numpy reference: the dense ``(T + lam I)`` solved by ``numpy.linalg.solve``."""
    M = np.diag(diag + lam) + np.diag(off, 1) + np.diag(off, -1)
    return np.linalg.solve(M, rhs)


def _reduced(d, n, lam, sigma2, r2, rng, reps, solve):
    d, n = _check_int("d", d), _check_int("n", n)
    reps = _check_int("reps", reps)
    lam = _check_lams(lam)
    _check_noise(sigma2, r2)
    r = float(np.sqrt(r2))
    out = np.empty((5, reps, lam.size))
    for j in range(reps):
        diag, off, h = teacher_model(d, n, sigma2, r, rng)  # the ridge teacher's bidiagonal model
        out[:, j] = _quadratic_from_model(diag, off, h, r, lam, solve)
    return QuadraticSample(np.broadcast_to(lam, (reps, lam.size)), *out)


def reduced_self_distillation(d: int, n: int, lam, *, sigma2: float, r2: float, rng: np.random.Generator,
                              reps: int) -> QuadraticSample:
    """``reps`` independent draws of the exact-in-law reduced model (module docstring); fields of shape
    ``(reps, len(lam))``. Cost ``O(d)`` per replicate and ridge value."""
    return _reduced(d, n, lam, sigma2, r2, rng, reps, _banded_solve)


def reduced_self_distillation_numpy(d: int, n: int, lam, *, sigma2: float, r2: float, rng: np.random.Generator,
                                    reps: int) -> QuadraticSample:
    """The same draws as :func:`reduced_self_distillation`, solved densely with numpy (reference for tests and the
    benchmark; ``O(d^3)``)."""
    return _reduced(d, n, lam, sigma2, r2, rng, reps, _dense_solve)
