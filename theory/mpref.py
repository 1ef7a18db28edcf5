r"""High-precision mpmath "twins" of the Part (a) closed forms: the referee for the tests, nothing else.

Used only in tests (``tests/test_rmt.py``, ``tests/test_ridge_theory.py``). No production code path may import
it, and it imports nothing from :mod:`w2s.kernels` or from the numpy closed forms it referees.

Paper: Moniri & Hassani 2025, arXiv 2505.18346, Part (a). Documentation: ``docs/ridge.md`` §2.1 (Marchenko–Pastur
quantities), §2.2 (teacher risk), §2.3 (student risk, infinite student data), §2.4 (``rho``, ``theta``, ``rho*``),
§2.6 (student risk as a function of ``lam_s``) and §2.7 (student reusing the teacher's inputs); the spiked
weighted-ridge twins follow ``docs/weighted_ridge.md`` §2.2.

Independent route. :mod:`w2s.theory.rmt` and :mod:`w2s.theory.ridge` evaluate everything from
``kappa`` through cancellation-free ratios of positive terms in double precision. The twins here instead
use the *textbook* expressions of docs/ridge.md §2, evaluated at 80 significant digits (``mp.workdps(80)``), where the
cancellations those expressions suffer (at most ~20 digits over the stated range ``lam`` in [1e-10, 1e10],
``gamma`` in [1e-4, 1e4]) are harmless:

* ``m(-lam; gamma)`` from the root formula
  ``(-(1-gamma+lam) + sqrt((1-gamma+lam)^2 + 4 gamma lam)) / (2 gamma lam)``;
* ``m' = (gamma m^2 + m) / (2 gamma lam m + 1 - gamma + lam)`` (implicit differentiation of the quadratic);
* ``kappa`` from its own quadratic's root formula (not from ``m``);
* ``tau1 = 1 - lam m``, ``tau2 = 1 - 2 lam m + lam^2 m'``, ``v = m - lam m'``, ``c = gamma v``;
* ``R_t = r2 lam^2 m' + sigma2 gamma (m - lam m')``, ``B_t = r2 tau2_t + sigma2 gamma_t v_t``,
  ``R_s = r2 (1 - 2 tau1_s tau1_t) + tau2_s B_t``;
* ``rho = 2 - lam m'/m``, ``theta = 2 r2 tau1_t / B_t``, ``rho*`` from its closed form;
* the same-inputs student risk (docs/ridge.md §2.7) by ``mpmath.quad`` (tanh-sinh) directly over the Marchenko–Pastur density
  ``sqrt((b-x)(x-a)) / (2 pi gamma x)`` on ``[a, b]`` plus the atom ``(1 - 1/gamma) f(0)`` when ``gamma > 1``.

All functions take Python floats (converted exactly to ``mpf``) and return ``mpmath.mpf``; compare with
``float(...)`` or relative differences computed in mpmath.
"""

from __future__ import annotations

import mpmath
from mpmath import mp, mpf

__all__ = [
    "DPS",
    "stieltjes",
    "stieltjes_deriv",
    "kappa",
    "tau1",
    "tau2",
    "v_trace",
    "c_factor",
    "teacher_risk",
    "teacher_norm2",
    "student_risk",
    "student_risk_infinite_data",
    "rho",
    "theta",
    "rho_star",
    "student_risk_same_inputs",
    "weighted_student_risk",
    "weighted_teacher_risk",
    "rel_err",
]

#: Working precision (significant decimal digits) of every twin.
DPS = 80


def _m(lam: mpf, gamma: mpf) -> mpf:
    b = 1 - gamma + lam
    return (-b + mpmath.sqrt(b * b + 4 * gamma * lam)) / (2 * gamma * lam)


def _mprime(lam: mpf, gamma: mpf, m: mpf) -> mpf:
    return (gamma * m * m + m) / (2 * gamma * lam * m + 1 - gamma + lam)


def _traces(lam: float, gamma: float):
    """(m, m', tau1, tau2, v) at the current working precision, from the textbook formulas."""
    L, g = mpf(lam), mpf(gamma)
    m = _m(L, g)
    mp_ = _mprime(L, g, m)
    t1 = 1 - L * m
    t2 = 1 - 2 * L * m + L * L * mp_
    v = m - L * mp_
    return m, mp_, t1, t2, v


def stieltjes(lam: float, gamma: float) -> mpf:
    """``m(-lam; gamma)``, textbook root formula (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        return +_m(mpf(lam), mpf(gamma))


def stieltjes_deriv(lam: float, gamma: float) -> mpf:
    """``m'(-lam) = (gamma m^2 + m)/(2 gamma lam m + 1 - gamma + lam)`` (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        L, g = mpf(lam), mpf(gamma)
        return +_mprime(L, g, _m(L, g))


def kappa(lam: float, gamma: float) -> mpf:
    """Positive root of ``k^2 + (1-gamma-lam) k - lam = 0``, textbook root formula (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        L, g = mpf(lam), mpf(gamma)
        b = 1 - g - L
        return (-b + mpmath.sqrt(b * b + 4 * L)) / 2


def tau1(lam: float, gamma: float) -> mpf:
    """``tau1 = 1 - lam m`` (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        return +_traces(lam, gamma)[2]


def tau2(lam: float, gamma: float) -> mpf:
    """``tau2 = 1 - 2 lam m + lam^2 m'`` (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        return +_traces(lam, gamma)[3]


def v_trace(lam: float, gamma: float) -> mpf:
    """``v = m - lam m'`` (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        return +_traces(lam, gamma)[4]


def c_factor(lam: float, gamma: float) -> mpf:
    """``c = gamma v`` (docs/ridge.md §2.1)."""
    with mp.workdps(DPS):
        return mpf(gamma) * _traces(lam, gamma)[4]


def teacher_risk(lam_t: float, gamma_t: float, sigma2: float = 1.0, r2: float = 1.0) -> mpf:
    """``R_t = r2 lam^2 m' + sigma2 gamma (m - lam m')`` (docs/ridge.md §2.2)."""
    with mp.workdps(DPS):
        m, mp_, _t1, _t2, _v = _traces(lam_t, gamma_t)
        L = mpf(lam_t)
        return mpf(r2) * L * L * mp_ + mpf(sigma2) * mpf(gamma_t) * (m - L * mp_)


def _teacher_norm2(lam_t, gamma_t, sigma2, r2):
    _m_, _mp, t1, t2, v = _traces(lam_t, gamma_t)
    return t1, mpf(r2) * t2 + mpf(sigma2) * mpf(gamma_t) * v


def teacher_norm2(lam_t: float, gamma_t: float, sigma2: float = 1.0, r2: float = 1.0) -> mpf:
    """``B_t = lim ||beta_t||^2 = r2 tau2_t + sigma2 gamma_t v_t`` (docs/ridge.md §2.2)."""
    with mp.workdps(DPS):
        return +_teacher_norm2(lam_t, gamma_t, sigma2, r2)[1]


def student_risk(lam_t: float, gamma_t: float, lam_s: float, gamma_s: float,
                 sigma2: float = 1.0, r2: float = 1.0) -> mpf:
    """``R_s = r2 (1 - 2 tau1_s tau1_t) + tau2_s B_t`` (docs/ridge.md §2.3, first form)."""
    with mp.workdps(DPS):
        t1t, Bt = _teacher_norm2(lam_t, gamma_t, sigma2, r2)
        _m_, _mp, t1s, t2s, _v = _traces(lam_s, gamma_s)
        return mpf(r2) * (1 - 2 * t1s * t1t) + t2s * Bt


def student_risk_infinite_data(lam_t: float, gamma_t: float, lam_s: float,
                               sigma2: float = 1.0, r2: float = 1.0) -> mpf:
    """``gamma_s -> 0``: ``tau1_s = p_s``, ``tau2_s = p_s^2`` with ``p_s = 1/(1+lam_s)``, so
    ``R_s = r2 (1 - 2 p_s tau1_t) + p_s^2 B_t`` (docs/ridge.md §2.3)."""
    with mp.workdps(DPS):
        t1t, Bt = _teacher_norm2(lam_t, gamma_t, sigma2, r2)
        ps = 1 / (1 + mpf(lam_s))
        return mpf(r2) * (1 - 2 * ps * t1t) + ps * ps * Bt


def rho(lam: float, gamma: float) -> mpf:
    """``rho = 2 - lam m'/m`` (docs/ridge.md §2.4)."""
    with mp.workdps(DPS):
        m, mp_, _t1, _t2, _v = _traces(lam, gamma)
        return 2 - mpf(lam) * mp_ / m


def theta(lam_t: float, gamma_t: float, sigma2: float = 1.0, r2: float = 1.0) -> mpf:
    """``theta = 2 r2 tau1_t / B_t`` (docs/ridge.md §2.4)."""
    with mp.workdps(DPS):
        t1t, Bt = _teacher_norm2(lam_t, gamma_t, sigma2, r2)
        return 2 * mpf(r2) * t1t / Bt


def rho_star(gamma_s: float) -> mpf:
    """``sup_lam rho``: 2 (``gamma_s < 1``), 3/2 (``= 1``), ``1 + 1/(2 (g + sqrt(g (g-1))))`` (``> 1``); docs/ridge.md §2.4."""
    with mp.workdps(DPS):
        g = mpf(gamma_s)
        if g < 1:
            return mpf(2)
        if g == 1:
            return mpf(3) / 2
        return 1 + 1 / (2 * (g + mpmath.sqrt(g * (g - 1))))


def student_risk_same_inputs(lam_t: float, lam_s: float, gamma: float, sigma2: float = 1.0,
                             r2: float = 1.0, *, dps: int = DPS) -> mpf:
    r"""Same-inputs student risk (docs/ridge.md §2.7) by tanh-sinh quadrature directly over the MP law:

        R_s = int [ r2 (1 - x^2/((x+lam_s)(x+lam_t)))^2 + sigma2 gamma x^3/((x+lam_s)^2 (x+lam_t)^2) ] dmu_MP(x)

    with density ``sqrt((b-x)(x-a))/(2 pi gamma x)`` on ``[a, b]`` and atom ``(1 - 1/gamma) f(0)`` for
    ``gamma > 1``. The filter is written in the textbook form ``1 - x^2/(...)`` (cancellation is harmless at this
    precision). The interval is split at ``a + lam_t``, ``a + lam_s`` (where the integrand varies on the scale
    of the ridges) and at the midpoint, so tanh-sinh sees only its endpoint square-root singularities.
    ``dps`` (default :data:`DPS` = 80) sets the working precision; at moderate ridges (``>= 1e-3``) one call
    takes well under a second and agrees with a 30-digit evaluation to ~1e-18.
    """
    with mp.workdps(dps):
        Lt, Ls, g = mpf(lam_t), mpf(lam_s), mpf(gamma)
        s2, rr = mpf(sigma2), mpf(r2)
        sg = mpmath.sqrt(g)
        a, b = (1 - sg) ** 2, (1 + sg) ** 2

        def f(x):
            den = (x + Ls) * (x + Lt)
            return rr * (1 - x * x / den) ** 2 + s2 * g * x**3 / (den * den)

        def integrand(x):
            return f(x) * mpmath.sqrt((b - x) * (x - a)) / (2 * mpmath.pi * g * x)

        pts = sorted({a, b, (a + b) / 2, *(a + L for L in (Lt, Ls) if a + L < b)})
        cont = mpmath.quad(integrand, pts)
        atom = (1 - 1 / g) * f(mpf(0)) if g > 1 else mpf(0)
        return cont + atom


def rel_err(approx, exact) -> float:
    """``|approx - exact| / |exact|`` computed in mpmath (``exact`` must be non-zero)."""
    with mp.workdps(DPS):
        e = mpf(exact)
        return float(abs(mpf(approx) - e) / abs(e))


def _spiked_parts(lam: float, gamma: float, g: float):
    """``(p, p^u, c)`` of a ridge with penalty ``I - (1-g) u u^T``, from the Stieltjes route: ``p = 1 - lam m``,
    ``kappa = lam m / (1 - lam m)`` (docs/ridge.md §2.1: ``lam m = kappa/(1+kappa)``), ``c = gamma v`` (docs/weighted_ridge.md §2.2)."""
    _m_, _mp, t1, _t2, v = _traces(lam, gamma)
    kap = (1 - t1) / t1
    return t1, 1 / (1 + kap * mpf(g)), mpf(gamma) * v


def weighted_teacher_risk(lam_t: float, gamma_t: float, zeta: float = 0.0, g_t: float = 1.0, sigma2: float = 1.0,
                          r2: float = 1.0) -> mpf:
    """Spiked teacher risk ``r2 [zeta^2 (1-p^u)^2 + (1-zeta^2)(1-p)^2] + c E_t`` (docs/weighted_ridge.md §2.2), textbook form."""
    with mp.workdps(DPS):
        pt, ptu, ct = _spiked_parts(lam_t, gamma_t, g_t)
        z2, R2 = mpf(zeta) ** 2, mpf(r2)
        bias = R2 * (z2 * (1 - ptu) ** 2 + (1 - z2) * (1 - pt) ** 2)
        return bias + ct * (bias + mpf(sigma2))


def weighted_student_risk(lam_t: float, gamma_t: float, lam_s: float, gamma_s: float, g_s: float, zeta: float,
                          sigma2: float = 1.0, r2: float = 1.0, g_t: float = 1.0) -> mpf:
    """Spiked student risk of docs/weighted_ridge.md §2.2, term by term as printed there."""
    with mp.workdps(DPS):
        pt, ptu, ct = _spiked_parts(lam_t, gamma_t, g_t)
        ps, psu, cs = _spiked_parts(lam_s, gamma_s, g_s)
        z2, R2 = mpf(zeta) ** 2, mpf(r2)
        Et = R2 * (z2 * (1 - ptu) ** 2 + (1 - z2) * (1 - pt) ** 2) + mpf(sigma2)
        return (R2 * (z2 * (1 - ptu * psu) ** 2 + (1 - z2) * (1 - pt * ps) ** 2) + ps**2 * ct * Et
                + cs * (R2 * (z2 * ptu**2 * (1 - psu) ** 2 + (1 - z2) * pt**2 * (1 - ps) ** 2) + (1 - ps) ** 2 * ct * Et))
