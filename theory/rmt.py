r"""Marchenko–Pastur quantities for ridge regression, computed without catastrophic cancellation.

Documentation: ``docs/ridge.md`` §2.1 (standard random-matrix results: Marchenko & Pastur 1967;
Dobriban & Wager 2018, arXiv 1507.03003; Hastie, Montanari, Rosset & Tibshirani 2022, arXiv 1903.08560).
Provenance: DERIVED (standard).

Conventions (``docs/conventions.md``): ``gamma = d / n``, sample covariance ``Sigma_hat = X^T X / n`` for an ``n x d``
matrix with i.i.d. N(0, 1) entries, ridge ``lam > 0`` with the 1/n loss normalisation. In the proportional
limit the spectrum of ``Sigma_hat`` follows the Marchenko–Pastur law ``mu_MP(gamma)``.

Quantities (all limits of normalised traces, ``tr_d = tr / d``):

* ``m(-lam)  = int dmu/(x+lam)      = lim tr_d (Sigma_hat + lam)^{-1}``  (Stieltjes transform at ``-lam``)
* ``m'(-lam) = int dmu/(x+lam)^2    = -d m(-lam) / d lam``
* ``kappa``: positive root of ``kappa^2 + (1-gamma-lam) kappa - lam = 0``, i.e. ``lam = kappa (1 - gamma/(1+kappa))``
* ``tau1 = lim tr_d Sigma_hat (Sigma_hat+lam)^{-1} = 1/(1+kappa)``
* ``tau2 = lim tr_d Sigma_hat^2 (Sigma_hat+lam)^{-2}``
* ``v    = lim tr_d Sigma_hat (Sigma_hat+lam)^{-2}``, ``c = gamma v``.

Numerical method. Writing ``u = 1 + kappa``, the quadratic gives the two identities

    u - gamma   = lam u / kappa                              (A)
    u^2 - gamma = u (u - gamma) + gamma (u - 1) = lam u^2 / kappa + gamma kappa   (B)

whose right-hand sides are sums of positive terms. Every quantity is then a ratio of positive terms:

    m   = kappa / (lam u)          (= 1/(u - gamma))
    m'  = m^2 u^2 / D              with D = u^2 - gamma from (B)
    v   = 1 / D,   c = gamma / D
    tau1 = 1/u,  1 - tau1 = kappa/u
    tau2 = (1 + c kappa^2) / u^2

and ``kappa`` itself is taken from the root formula that avoids subtracting nearly equal numbers
(``2 lam / (b + sqrt(b^2 + 4 lam))`` when ``b = 1 - gamma - lam >= 0``). The result is accurate to a few ulps
for ``lam`` in [1e-10, 1e10] and ``gamma`` in [1e-4, 1e4], including ``gamma = 1`` and ``lam -> 0``, where the
textbook expression for ``m`` is 0/0. ``tests/test_rmt.py`` checks this against the mpmath twins of
``theory/mpref.py``, which use the textbook formulas at 80 significant digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import LAM_RANGE, as_output, check_gamma, check_lam

__all__ = [
    "MPQuantities",
    "mp_quantities",
    "kappa",
    "stieltjes",
    "stieltjes_deriv",
    "tau1",
    "tau2",
    "v_trace",
    "c_factor",
    "mp_edges",
    "mp_integral",
]


@dataclass(frozen=True)
class MPQuantities:
    """All Marchenko–Pastur ridge quantities at ``(lam, gamma)`` (arrays broadcast together)."""

    lam: np.ndarray
    gamma: np.ndarray
    kappa: np.ndarray
    u: np.ndarray  #: 1 + kappa
    u_minus_gamma: np.ndarray  #: u - gamma = lam u / kappa
    D: np.ndarray  #: u^2 - gamma = lam u^2/kappa + gamma kappa

    @property
    def m(self):
        return self.kappa / (self.lam * self.u)

    @property
    def m_deriv(self):
        m = self.m
        return m * m * self.u * self.u / self.D

    @property
    def tau1(self):
        return 1.0 / self.u

    @property
    def one_minus_tau1(self):
        return self.kappa / self.u

    @property
    def v(self):
        return 1.0 / self.D

    @property
    def c(self):
        return self.gamma / self.D

    @property
    def tau2(self):
        return (1.0 + self.c * self.kappa**2) / self.u**2


def _kappa_raw(lam: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    b = 1.0 - gamma - lam
    disc = np.sqrt(b * b + 4.0 * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        k_pos = 2.0 * lam / (disc + b)  # stable when b >= 0
    k_neg = 0.5 * (disc - b)  # stable when b < 0
    return np.where(b >= 0.0, k_pos, k_neg)


def mp_quantities(lam, gamma, *, _checked: bool = False) -> MPQuantities:
    """Compute :class:`MPQuantities` at ``lam`` in [1e-10, 1e10], ``gamma`` in [1e-4, 1e4] (broadcast)."""
    if not _checked:
        lam = check_lam("lam", lam)
        gamma = check_gamma("gamma", gamma)
    lam, gamma = np.broadcast_arrays(np.asarray(lam, float), np.asarray(gamma, float))
    k = _kappa_raw(lam, gamma)
    u = 1.0 + k
    umg = lam * u / k
    D = umg * u + gamma * k
    return MPQuantities(lam=lam, gamma=gamma, kappa=k, u=u, u_minus_gamma=umg, D=D)


def kappa(lam, gamma):
    r"""Effective regularisation ``kappa(lam, gamma)``: positive root of ``k^2 + (1-gamma-lam) k - lam = 0``.

    docs/ridge.md §2.1. Limits: ``kappa -> max(0, gamma - 1)`` as ``lam -> 0`` (``~sqrt(lam)`` at
    ``gamma = 1``); ``kappa ~ lam`` as ``lam -> inf`` or ``gamma -> 0``.
    """
    return as_output(mp_quantities(lam, gamma).kappa)


def stieltjes(lam, gamma):
    r"""Marchenko–Pastur Stieltjes transform ``m(-lam; gamma) = int dmu_MP(x) / (x + lam)``.

    Positive root of ``gamma lam m^2 + (1 - gamma + lam) m - 1 = 0`` (docs/ridge.md §2.1), computed as
    ``kappa / (lam (1 + kappa))``. Includes the atom of mass ``1 - 1/gamma`` at 0 when ``gamma > 1``.
    """
    return as_output(mp_quantities(lam, gamma).m)


def stieltjes_deriv(lam, gamma):
    r"""``m'(-lam) = int dmu_MP(x) / (x + lam)^2 = -d m(-lam)/d lam`` (docs/ridge.md §2.1), computed as ``m^2 u^2 / (u^2 - gamma)``."""
    return as_output(mp_quantities(lam, gamma).m_deriv)


def tau1(lam, gamma):
    r"""``tau1 = lim tr_d[Sigma_hat (Sigma_hat + lam)^{-1}] = 1 - lam m = 1/(1 + kappa)`` (docs/ridge.md §2.1)."""
    return as_output(mp_quantities(lam, gamma).tau1)


def tau2(lam, gamma):
    r"""``tau2 = lim tr_d[Sigma_hat^2 (Sigma_hat + lam)^{-2}] = 1 - 2 lam m + lam^2 m' = p^2 + c (1-p)^2`` (docs/ridge.md §2.1)."""
    return as_output(mp_quantities(lam, gamma).tau2)


def v_trace(lam, gamma):
    r"""``v = lim tr_d[Sigma_hat (Sigma_hat + lam)^{-2}] = m - lam m' = 1/((1+kappa)^2 - gamma)`` (docs/ridge.md §2.1)."""
    return as_output(mp_quantities(lam, gamma).v)


def c_factor(lam, gamma):
    r"""``c = gamma p^2 / (1 - gamma p^2) = gamma v`` with ``p = 1/(1+kappa)`` (docs/ridge.md §2.1)."""
    return as_output(mp_quantities(lam, gamma).c)


def mp_edges(gamma: float) -> tuple[float, float]:
    """Support ``[a, b] = [(1 - sqrt(gamma))^2, (1 + sqrt(gamma))^2]`` of the continuous part of ``mu_MP``.

    ``1 - sqrt(gamma)`` is evaluated as ``(1 - gamma)/(1 + sqrt(gamma))``, accurate also for ``gamma`` near 1.
    """
    g = float(check_gamma("gamma", gamma))
    s = np.sqrt(g)
    return ((1.0 - g) / (1.0 + s)) ** 2, (1.0 + s) ** 2


def mp_integral(f, gamma: float, *, x_scale: float | None = None) -> float:
    r"""``int f(x) dmu_MP(x; gamma)`` for ``f`` smooth on ``(0, inf)`` (vectorised ``f``).

    The continuous part has density ``sqrt((b-x)(x-a)) / (2 pi gamma x)`` on ``[a, b]``; for ``gamma > 1`` the
    atom ``(1 - 1/gamma) f(0)`` is added. With ``x = a + 2 h sin^2(s/2)``, ``h = (b - a)/2``, ``s`` in
    ``[0, pi]`` (``s = 0`` is the lower edge ``a``), the integral becomes

        int_0^pi f(x(s)) h^2 sin^2(s) / (2 pi gamma x(s)) ds,   sin^2(s) = 4 sin^2(s/2) cos^2(s/2),

    whose integrand has no square-root singularity, stays finite when ``a = 0`` (``gamma = 1``), and is
    evaluated without cancellation near the lower edge (``x`` is a sum of non-negative terms). Functions such
    as ``1/(x + lam)`` vary on the scale ``x ~ lam`` near a hard edge (``a ~ 0``, i.e. ``gamma`` near 1), where
    the integrand can peak sharply at ``s ~ sqrt(lam / h)``; ``[0, pi]`` is therefore split at geometric
    breakpoints from ``s ~ 0.1 sqrt(x_scale / h)`` upwards (``x_scale``: the smallest scale of ``f``, e.g. the
    smallest ridge; default 1e-10) and each piece is integrated by adaptive Gauss–Kronrod
    (``scipy.integrate.quad``) to a relative tolerance of 1e-12.
    """
    from scipy import integrate

    g = float(check_gamma("gamma", gamma))
    a, b = mp_edges(g)
    h = 0.5 * (b - a)

    def integrand(s):
        c, q = np.sin(0.5 * s), np.cos(0.5 * s)  # cos(t/2) and sin(t/2) for the usual angle t = pi - s
        x = a + 2.0 * h * c * c
        return f(x) * h * h * 4.0 * q * q * c * c / (2.0 * np.pi * g * x)

    scale = LAM_RANGE[0] if x_scale is None else float(x_scale)
    s_min = min(np.pi, 0.1 * np.sqrt(max(scale, 1e-300) / h))
    breaks = [0.0]
    s_k = s_min
    while s_k < np.pi:
        breaks.append(s_k)
        s_k *= 10.0
    breaks.append(np.pi)
    cont = 0.0
    for lo, hi in zip(breaks[:-1], breaks[1:]):
        val, _err = integrate.quad(lambda s: float(integrand(np.asarray(s))), lo, hi,
                                   epsabs=0.0, epsrel=1e-12, limit=200)
        cont += val
    atom = (1.0 - 1.0 / g) * float(f(np.asarray(0.0))) if g > 1.0 else 0.0
    return cont + atom
