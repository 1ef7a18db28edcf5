r"""Gaussian expectations and Hermite expansions, shared by the single- and multi-index theories.

Conventions (``docs/conventions.md`` §1.6): Hermite polynomials are the probabilists'
``He_k`` (``He_0 = 1``, ``He_1 = z``, ``He_{k+1} = z He_k - k He_{k-1}``), orthogonal under ``N(0, 1)`` with
``E[He_j(Z) He_k(Z)] = k! delta_jk``; the *normalised* ``h_k = He_k / sqrt(k!)`` are orthonormal. The Hermite
coefficient of ``f`` is ``c_k(f) = E[f(Z) h_k(Z)]`` (so ``f = sum_k c_k h_k`` in ``L^2(N(0,1))``), and its
information exponent is the smallest ``k >= 1`` with ``c_k != 0``. For a pair ``(Z_1, Z_2)`` of standard normals
with correlation ``rho``, Mehler's formula gives ``E[f(Z_1) g(Z_2)] = sum_k c_k(f) c_k(g) rho^k``.

Sources: Hermite expansions and Mehler's formula (the bilinear generating function of the ``He_k``, e.g. Abramowitz
& Stegun, Handbook of Mathematical Functions, eq. 22.12.8 and ch. 22); the information exponent as defined by Ben
Arous, Gheissari & Jagannath (JMLR 2021, arXiv 2003.10409), as used in ``docs/elicitation.md`` and
``docs/feature_learning.md``.

Quadrature: Gauss–Hermite (probabilists' weight ``exp(-z^2/2)``, :func:`numpy.polynomial.hermite_e.hermegauss`)
with ``order`` nodes is exact for polynomials of degree ``<= 2 order - 1``; for smooth non-polynomial ``f`` the
error decays quickly with ``order`` (functions with kinks, e.g. ReLU, converge only algebraically: pass a larger
``order`` or use :func:`gauss_expect_mp`). :func:`gauss_expect_mp` is the high-precision referee (mpmath
``quad`` on the real line, split at 0), used in the tests and for edge regimes.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import mpmath as mp
import numpy as np
from numpy.polynomial import hermite_e as _He

from ._validate import check_scalar

__all__ = [
    "hermite",
    "hermite_normalised",
    "hermite_normalised_coeffs",
    "gauss_nodes",
    "gauss_expect",
    "gauss_expect2",
    "hermite_coefficient",
    "hermite_coefficients",
    "information_exponent",
    "gauss_expect_mp",
    "DEFAULT_ORDER",
]

#: Default number of Gauss–Hermite nodes: exact for polynomials of degree <= 199.
DEFAULT_ORDER = 100


def _check_degree(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 or k > 200:
        raise ValueError(f"Hermite degree k must be an integer in [0, 200], got {k!r}")
    return int(k)


def _check_order(order) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 2 or order > 300:
        raise ValueError(f"quadrature order must be an integer in [2, 300] (numpy's Gauss–Hermite weights underflow beyond), got {order!r}")
    return int(order)


def hermite(k: int, z):
    """Probabilists' Hermite polynomial ``He_k(z)`` (three-term recurrence, stable for moderate ``|z|``)."""
    k = _check_degree(k)
    z = np.asarray(z, dtype=float)
    h_prev, h = np.ones_like(z), z.copy()
    if k == 0:
        return h_prev
    for j in range(1, k):
        h_prev, h = h, z * h - j * h_prev
    return h


def hermite_normalised(k: int, z):
    """``h_k(z) = He_k(z) / sqrt(k!)``: orthonormal under ``N(0, 1)``."""
    k = _check_degree(k)
    return hermite(k, z) / math.sqrt(math.factorial(k))


def hermite_normalised_coeffs(k: int) -> np.ndarray:
    """Power-basis coefficients ``[a_0, ..., a_k]`` of ``h_k(z) = sum_i a_i z^i`` (for polynomial kernels)."""
    k = _check_degree(k)
    e = np.zeros(k + 1)
    e[k] = 1.0
    return _He.herme2poly(e) / math.sqrt(math.factorial(k))


@lru_cache(maxsize=32)
def _nodes(order: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = _He.hermegauss(order)
    w = w / math.sqrt(2.0 * math.pi)  # weights of the N(0, 1) probability measure
    z.setflags(write=False)
    w.setflags(write=False)
    return z, w


def gauss_nodes(order: int = DEFAULT_ORDER) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``z_i`` and weights ``w_i`` (summing to 1) with ``E[f(Z)] ~ sum_i w_i f(z_i)``, ``Z ~ N(0, 1)``."""
    return _nodes(_check_order(order))


def _finite(value, what: str):
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} is not finite: the integrand overflows or is undefined on the quadrature nodes")
    return value


def gauss_expect(f: Callable, order: int = DEFAULT_ORDER) -> float:
    """``E[f(Z)]`` for ``Z ~ N(0, 1)``; ``f`` must accept a numpy array (vectorised)."""
    z, w = gauss_nodes(order)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below as a ValueError instead
        vals = np.asarray(f(z), dtype=float)
    if vals.shape != z.shape:
        raise ValueError(f"f must map an array of shape {z.shape} to the same shape, got {vals.shape}")
    return float(_finite(np.dot(w, vals), "E[f(Z)]"))


def gauss_expect2(f: Callable, rho: float, order: int = 60) -> float:
    """``E[f(Z_1, Z_2)]`` for standard normals with correlation ``rho`` in ``[-1, 1]`` (tensor Gauss–Hermite).

    ``Z_1 = X``, ``Z_2 = rho X + sqrt(1 - rho^2) Y`` with ``X, Y`` independent; ``f(z1, z2)`` is vectorised.
    """
    rho = check_scalar("rho", rho, lo=-1.0, hi=1.0)
    z, w = gauss_nodes(order)
    X, Y = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    Z2 = rho * X + math.sqrt(max(0.0, 1.0 - rho * rho)) * Y
    vals = np.asarray(f(X, Z2), dtype=float)
    if vals.shape != X.shape:
        raise ValueError(f"f must map arrays of shape {X.shape} to the same shape, got {vals.shape}")
    return float(_finite(np.sum(W * vals), "E[f(Z1, Z2)]"))


def hermite_coefficient(f: Callable, k: int, order: int = DEFAULT_ORDER) -> float:
    """``c_k(f) = E[f(Z) h_k(Z)]``: the ``k``-th normalised Hermite coefficient of ``f``."""
    k = _check_degree(k)
    z, w = gauss_nodes(order)
    return float(_finite(np.dot(w, np.asarray(f(z), float) * hermite_normalised(k, z)), f"c_{k}(f)"))


def hermite_coefficients(f: Callable, kmax: int, order: int = DEFAULT_ORDER) -> np.ndarray:
    """``[c_0(f), ..., c_kmax(f)]``."""
    kmax = _check_degree(kmax)
    z, w = gauss_nodes(order)
    fz = np.asarray(f(z), float)
    out = np.empty(kmax + 1)
    for k in range(kmax + 1):
        out[k] = np.dot(w, fz * hermite_normalised(k, z))
    return _finite(out, "Hermite coefficients")


def information_exponent(f: Callable, kmax: int = 12, tol: float = 1e-10, order: int = DEFAULT_ORDER) -> int:
    """Smallest ``k >= 1`` with ``|c_k(f)| > tol * ||f||_2``; raises if none up to ``kmax`` (e.g. ``f`` even
    and constant, or an exponent above ``kmax``)."""
    c = hermite_coefficients(f, kmax, order)
    norm = math.sqrt(max(gauss_expect(lambda z: np.asarray(f(z), float) ** 2, order), 0.0))
    for k in range(1, kmax + 1):
        if abs(c[k]) > tol * max(norm, 1e-300):
            return k
    raise ValueError(f"no non-zero Hermite coefficient of degree 1..{kmax} (tol={tol}): increase kmax")


def gauss_expect_mp(f: Callable, dps: int = 30) -> mp.mpf:
    """High-precision referee: ``E[f(Z)]`` by mpmath quadrature of ``f(z) phi(z)`` on ``(-inf, 0] + [0, inf)``.

    ``f`` takes and returns mpmath numbers. Used in the tests to check the Gauss–Hermite rules.
    """
    if isinstance(dps, bool) or not isinstance(dps, int) or not 15 <= dps <= 200:
        raise ValueError(f"dps must be an integer in [15, 200], got {dps!r}")
    with mp.workdps(dps):
        phi = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
        return mp.quad(lambda z: f(z) * phi(z), [-mp.inf, 0, mp.inf])
