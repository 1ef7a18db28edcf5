r"""Ridge teacher -> ridge student: asymptotic excess risks, optimal ridges and the W2S phase diagram.

Paper: B. Moniri and H. Hassani, "On the Mechanisms of Weak-to-Strong Generalization: A Theoretical
Perspective", arXiv 2505.18346 (NeurIPS 2025), Part (a). Documentation: ``docs/ridge.md``.
Provenance: every formula here is DERIVED under the ridge setup (docs/ridge.md §1, RECONSTRUCTED from the
abstract) and checked by simulation in ``w2s.validation``; none is copied from the paper, whose statements were not
available. A result certified by this suite reads "derived under the ridge setup (docs/ridge.md)".

The ridge setup and normalisation
---------------------------------
* Inputs ``x ~ N(0, I_d)``; labels ``y = x^T beta* + eps``, ``eps ~ N(0, sigma2)``; ``||beta*||^2 = r2``.
* Ratios ``gamma_t = d/n_t``, ``gamma_s = d/n_s``; proportional limit ``d, n_t, n_s -> inf``.
* Ridge with the 1/n loss: ``beta_hat = argmin (1/n)||y - X beta||^2 + lam ||beta||^2
  = (Sigma_hat + lam I)^{-1} X^T y / n``. (A paper without the 1/n factor has ``lam_paper = n lam``.)
* Teacher: ``beta_t = ridge(X_t, y_t; lam_t)`` on ``n_t`` samples.
* Student: **fresh** inputs ``X_s`` (``n_s`` rows), **noiseless** teacher labels ``X_s beta_t``:
  ``beta_s = (Sigma_s + lam_s)^{-1} Sigma_s beta_t``.
* All risks are **excess** risks ``R(beta) = ||beta - beta*||^2``; add ``sigma2`` for the test MSE.

Notation: ``p = 1/(1+kappa)`` and ``c = gamma p^2/(1 - gamma p^2)`` from :mod:`w2s.theory.rmt`.

Parameter ranges: ``lam_t, lam_s`` in [1e-10, 1e10]; ``gamma_t, gamma_s`` in [1e-4, 1e4]; ``sigma2`` in
[0, 1e10]; ``r2`` in (0, 1e10]. Out-of-range or non-finite input raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._validate import (
    GAMMA_RANGE,
    LAM_RANGE,
    as_output,
    check_array,
    check_gamma,
    check_lam,
    check_nonneg,
    check_pos,
    check_scalar,
)
from .rmt import mp_integral, mp_quantities

__all__ = [
    "teacher_risk",
    "teacher_risk_ridgeless",
    "teacher_moments",
    "student_risk",
    "student_risk_infinite_data",
    "student_risk_interpolating",
    "optimal_teacher_lambda",
    "optimal_teacher_risk",
    "optimal_student_lambda_infinite_data",
    "optimal_student_risk_infinite_data",
    "OptimalStudent",
    "optimal_student",
    "rho",
    "theta",
    "rho_star",
    "rho_argmax",
    "w2s_boundary",
    "lambda_c",
    "student_risk_same_inputs",
]


def _noise_signal(sigma2, r2):
    return check_nonneg("sigma2", sigma2), check_pos("r2", r2)


def _teacher(lam_t, gamma_t, sigma2, r2):
    """(MPQuantities, E_t, B_t) for the teacher; see :func:`teacher_moments`."""
    q = mp_quantities(check_lam("lam_t", lam_t), check_gamma("gamma_t", gamma_t), _checked=True)
    s2, r2 = _noise_signal(sigma2, r2)
    E = r2 * (q.kappa / q.u) ** 2 + s2
    B = r2 / q.u**2 + q.c * E
    return q, E, B, s2, r2


def teacher_risk(lam_t, gamma_t, sigma2=1.0, r2=1.0):
    r"""Asymptotic teacher excess risk ``R_t = lim ||beta_t - beta*||^2``.

    Formula (docs/ridge.md §2.2, derived under the ridge setup; Dobriban & Wager 2018, Hastie et al. 2022):

        R_t = r2 lam_t^2 m'_t + sigma2 gamma_t (m_t - lam_t m'_t)
            = (r2 (1-p_t)^2 + sigma2 gamma_t p_t^2) / (1 - gamma_t p_t^2)
            = (r2 kappa_t^2 + sigma2 gamma_t) / ((1+kappa_t)^2 - gamma_t)      (evaluated form)

    Limits: ``lam_t -> inf`` gives ``r2`` (the null predictor); ridgeless: :func:`teacher_risk_ridgeless`.
    """
    q, _E, _B, s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    return as_output((r2 * q.kappa**2 + s2 * q.gamma) / q.D)


def teacher_risk_ridgeless(gamma_t, sigma2=1.0, r2=1.0):
    r"""Ridgeless (min-norm) teacher risk, the ``lam_t -> 0`` limit (docs/ridge.md §2.2, derived under the ridge setup).

    ``gamma_t < 1``: ``sigma2 gamma_t / (1 - gamma_t)``; ``gamma_t > 1``: ``r2 (1 - 1/gamma_t) + sigma2/(gamma_t - 1)``;
    ``gamma_t = 1``: ``+inf`` when ``sigma2 > 0`` (the interpolation peak), ``0`` when ``sigma2 = 0``.
    """
    g = check_gamma("gamma_t", gamma_t)
    s2, r2 = _noise_signal(sigma2, r2)
    g, s2, r2 = np.broadcast_arrays(g, s2, r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        under = s2 * g / (1.0 - g)
        over = r2 * (1.0 - 1.0 / g) + s2 / (g - 1.0)
    at_one = np.where(s2 > 0, np.inf, 0.0)
    return as_output(np.where(g < 1.0, under, np.where(g > 1.0, over, at_one)))


def teacher_moments(lam_t, gamma_t, sigma2=1.0, r2=1.0):
    r"""Limits of ``(<beta*, beta_t>, ||beta_t||^2) = (r2 tau1_t, B_t)`` (docs/ridge.md §2.2).

    ``B_t = r2 p_t^2 + c_t E_t = r2 tau2_t + sigma2 gamma_t v_t`` with ``E_t = r2 (1-p_t)^2 + sigma2``.
    """
    q, _E, B, _s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    return as_output(r2 * q.tau1), as_output(B)


def _student_from(qt, Et, Bt, r2, qs):
    """``R_s = r2 (1 - p_s p_t)^2 + p_s^2 c_t E_t + c_s (1-p_s)^2 B_t`` in cancellation-free form."""
    # 1 - p_s p_t = (u_s u_t - 1)/(u_s u_t) = (k_s + k_t + k_s k_t)/(u_s u_t)
    one_minus = (qs.kappa + qt.kappa + qs.kappa * qt.kappa) / (qs.u * qt.u)
    return r2 * one_minus**2 + qt.c * Et / qs.u**2 + qs.c * (qs.kappa / qs.u) ** 2 * Bt


def student_risk(lam_t, gamma_t, lam_s, gamma_s, sigma2=1.0, r2=1.0):
    r"""Asymptotic student excess risk ``R_s = lim ||beta_s - beta*||^2`` (fresh inputs, noiseless teacher labels).

    Formula (docs/ridge.md §2.3; derived under the ridge setup):

        R_s = r2 (1 - 2 tau1_s tau1_t) + tau2_s B_t
            = r2 (1 - p_s p_t)^2 + p_s^2 c_t E_t + c_s (1 - p_s)^2 B_t

    (double-shrinkage bias; teacher variance and bias after the student's shrinkage; the student's own
    finite-sample fluctuation). Derivation: ``beta_s = A_s beta_t`` with ``A_s`` orthogonally invariant and
    independent of ``(beta_t, beta*)``, so ``a^T A_s b -> tau1_s a^T b`` and ``a^T A_s^2 b -> tau2_s a^T b``.
    Limits: ``gamma_s < 1, lam_s -> 0`` gives ``R_t``; ``gamma_s > 1, lam_s -> 0``: :func:`student_risk_interpolating`;
    ``gamma_s -> 0``: :func:`student_risk_infinite_data`.
    """
    qt, Et, Bt, _s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    qs = mp_quantities(check_lam("lam_s", lam_s), check_gamma("gamma_s", gamma_s), _checked=True)
    return as_output(_student_from(qt, Et, Bt, r2, qs))


def student_risk_infinite_data(lam_t, gamma_t, lam_s, sigma2=1.0, r2=1.0):
    r"""Student risk as ``gamma_s -> 0`` (infinite student data): ``beta_s = beta_t / (1 + lam_s)`` and

        R_s = r2 (1 - p_s p_t)^2 + p_s^2 c_t E_t,   p_s = 1/(1 + lam_s)

    (docs/ridge.md §2.3, derived under the ridge setup). ``lam_s`` may be 0 here (then ``R_s = R_t``).
    """
    qt, Et, _Bt, _s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    ls = _check_lam_nonneg("lam_s", lam_s)
    ps = 1.0 / (1.0 + ls)
    one_minus = (ls + qt.kappa + ls * qt.kappa) * ps / qt.u
    return as_output(r2 * one_minus**2 + ps**2 * qt.c * Et)


def _check_lam_nonneg(name, value):
    return check_nonneg(name, value, LAM_RANGE[1])


def student_risk_interpolating(lam_t, gamma_t, gamma_s, sigma2=1.0, r2=1.0):
    r"""Min-norm interpolating student (``gamma_s > 1``, ``lam_s -> 0``): ``R_s = r2 (1 - 2 tau1_t/gamma_s) + B_t/gamma_s``.

    docs/ridge.md §2.3, derived under the ridge setup. Requires ``gamma_s`` in (1, 1e4].
    """
    check_array("gamma_s", gamma_s, 1.0, GAMMA_RANGE[1], lo_open=True)
    qt, _Et, Bt, _s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    gs = np.asarray(gamma_s, float)
    return as_output(r2 * (1.0 - 2.0 * qt.tau1 / gs) + Bt / gs)


def optimal_teacher_lambda(gamma_t, sigma2=1.0, r2=1.0):
    r"""Optimal teacher ridge ``lam_t* = sigma2 gamma_t / r2`` (docs/ridge.md §2.2; the Bayes ridge for ``beta* ~ N(0, r2 I/d)``)."""
    g = check_gamma("gamma_t", gamma_t)
    s2, r2 = _noise_signal(sigma2, r2)
    return as_output(s2 * g / r2)


def optimal_teacher_risk(gamma_t, sigma2=1.0, r2=1.0):
    r"""``R_t* = r2 (1 - p_t*) = r2 lam_t* m(-lam_t*)`` at ``lam_t* = sigma2 gamma_t / r2`` (docs/ridge.md §2.2). Needs ``sigma2 > 0``."""
    check_array("sigma2", sigma2, 0.0, 1e10, lo_open=True)
    lam = optimal_teacher_lambda(gamma_t, sigma2, r2)
    q = mp_quantities(check_lam("lam_t* = sigma2*gamma_t/r2", lam), np.asarray(gamma_t, float), _checked=True)
    return as_output(np.asarray(r2, float) * q.kappa / q.u)


def optimal_student_lambda_infinite_data(lam_t, gamma_t, sigma2=1.0, r2=1.0):
    r"""Minimiser of :func:`student_risk_infinite_data` over ``lam_s`` (docs/ridge.md §2.3, derived under the ridge setup):

        lam_s* = B_t / (r2 tau1_t) - 1 = v_t (sigma2 gamma_t - r2 lam_t) / (r2 (1 - lam_t m_t)),

    positive iff ``lam_t < lam_t*``. A non-positive value means no shrinkage helps (the constrained optimum is 0).
    """
    qt, _Et, _Bt, s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    # second form: no cancellation except the sign-carrying factor (sigma2 gamma_t - r2 lam_t)
    return as_output(qt.v * (s2 * qt.gamma - r2 * qt.lam) / (r2 * qt.tau1))


def optimal_student_risk_infinite_data(lam_t, gamma_t, sigma2=1.0, r2=1.0):
    r"""``R_s* = r2 - r2^2 tau1_t^2 / B_t = r2 c_t E_t / B_t`` (docs/ridge.md §2.3), the optimum over ``lam_s`` of any sign.

    Attained at a positive ``lam_s`` iff ``lam_t < lam_t*``.
    """
    qt, Et, Bt, _s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    return as_output(r2 * qt.c * Et / Bt)


@dataclass(frozen=True)
class OptimalStudent:
    """Result of :func:`optimal_student`."""

    lam_s: float  #: minimiser (``LAM_RANGE[0]`` when the infimum is the ``lam_s -> 0`` limit)
    risk: float  #: minimal student excess risk
    interior: bool  #: False when the minimum sits at the lower edge of the lam_s range (lam_s -> 0)
    lam_t: float
    gamma_t: float
    gamma_s: float
    sigma2: float
    r2: float


def optimal_student(lam_t, gamma_t, gamma_s, sigma2=1.0, r2=1.0) -> OptimalStudent:
    r"""Optimal student ridge at finite ``gamma_s`` (docs/ridge.md §2.6, derived under the ridge setup).

    As a function of ``u_s = 1 + kappa_s``,
    ``R_s = r2 - 2 r2 tau1_t / u_s + B_t (u_s (1 + gamma_s) - 2 gamma_s) / (u_s (u_s^2 - gamma_s))``; there is no
    simple closed form for the minimiser. We minimise :func:`student_risk` over ``log lam_s`` on
    ``[log 1e-10, log 1e10]``: a 401-point grid locates the basin, bounded Brent refines it to ``xatol = 1e-12``.
    For ``gamma_s -> 0`` use :func:`optimal_student_lambda_infinite_data` (closed form).
    """
    lt = check_scalar("lam_t", lam_t, *LAM_RANGE)
    gt = check_scalar("gamma_t", gamma_t, *GAMMA_RANGE)
    gs = check_scalar("gamma_s", gamma_s, *GAMMA_RANGE)
    s2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    rr = check_scalar("r2", r2, 0.0, 1e10, lo_open=True)
    qt, Et, Bt, _s2, _r2 = _teacher(lt, gt, s2, rr)
    lo, hi = np.log(LAM_RANGE[0]), np.log(LAM_RANGE[1])

    def risk(loglam):
        qs = mp_quantities(np.clip(np.exp(loglam), *LAM_RANGE), gs, _checked=True)
        return _student_from(qt, Et, Bt, rr, qs)

    grid = np.linspace(lo, hi, 401)
    vals = risk(grid)
    i = int(np.argmin(vals))
    if i == 0:
        return OptimalStudent(LAM_RANGE[0], float(vals[0]), False, lt, gt, gs, s2, rr)
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(lambda x: float(risk(x)), bounds=(a, b), method="bounded",
                                   options={"xatol": 1e-12})
    x, fx = (res.x, float(res.fun)) if res.fun <= vals[i] else (grid[i], float(vals[i]))
    return OptimalStudent(float(np.clip(np.exp(x), *LAM_RANGE)), fx, True, lt, gt, gs, s2, rr)


def rho(lam, gamma):
    r"""``rho(lam, gamma) = (1 - tau2)/(1 - tau1) = 2 - lam m'/m = (2 gamma - u(u+1))/(gamma - u^2)`` (docs/ridge.md §2.4).

    Evaluated as ``1 + (u - gamma)/(u^2 - gamma)`` with both brackets from the cancellation-free identities of
    :mod:`w2s.theory.rmt`. Range: ``gamma < 1``: decreasing from 2 to 1; ``gamma > 1``: 1 at both ends, maximal
    at ``lam = gamma - 1``. Symmetries: ``rho(lam) = rho((gamma-1)^2/lam)`` for ``gamma > 1``;
    ``rho(lam) + rho((1-gamma)^2/lam) = 3`` for ``gamma < 1``.
    """
    q = mp_quantities(check_lam("lam", lam), check_gamma("gamma", gamma), _checked=True)
    return as_output(1.0 + q.u_minus_gamma / q.D)


def theta(lam_t, gamma_t, sigma2=1.0, r2=1.0):
    r"""Teacher statistic ``theta(lam_t) = 2 r2 tau1_t / B_t`` (docs/ridge.md §2.4).

    The student (ridge ``lam_s > 0``) beats the teacher iff ``rho(lam_s, gamma_s) > theta(lam_t)``, because
    ``R_s - R_t = (1 - tau1_s) [2 r2 tau1_t - rho(lam_s, gamma_s) B_t]``. ``theta < 2`` iff ``lam_t < lam_t*``.
    """
    qt, _Et, Bt, _s2, r2 = _teacher(lam_t, gamma_t, sigma2, r2)
    return as_output(2.0 * r2 * qt.tau1 / Bt)


def rho_star(gamma_s):
    r"""``rho*(gamma_s) = sup_{lam_s > 0} rho(lam_s, gamma_s)`` (docs/ridge.md §2.4, derived and checked numerically).

    ``gamma_s < 1``: 2 (not attained, ``lam_s -> 0``); ``gamma_s = 1``: 3/2 (``lam_s -> 0``);
    ``gamma_s > 1``: ``1 + 1/(2 (gamma_s + sqrt(gamma_s (gamma_s - 1))))`` at ``lam_s = gamma_s - 1``.
    """
    g = check_gamma("gamma_s", gamma_s)
    with np.errstate(invalid="ignore"):
        over = 1.0 + 0.5 / (g + np.sqrt(g * np.maximum(g - 1.0, 0.0)))
    return as_output(np.where(g < 1.0, 2.0, np.where(g == 1.0, 1.5, over)))


def rho_argmax(gamma_s):
    r"""Maximiser ``lam_s = gamma_s - 1`` of ``rho(., gamma_s)`` for ``gamma_s > 1`` (docs/ridge.md §2.4). Needs ``gamma_s > 1``."""
    g = check_array("gamma_s", gamma_s, 1.0, GAMMA_RANGE[1], lo_open=True)
    return as_output(g - 1.0)


def w2s_boundary(lam_t, gamma_t, gamma_s, sigma2=1.0, r2=1.0) -> np.ndarray:
    r"""Student ridges where ``R_s = R_t`` for a given teacher: the W2S boundary in the ``(lam_t, lam_s)`` plane.

    docs/ridge.md §2.5 (verified numerically; derived under the ridge setup): solve for ``u = 1 + kappa_s``

        (theta - 1) u^2 - u + (2 - theta) gamma_s = 0,   u > max(1, gamma_s),

    then ``lam_s = (u - 1)(1 - gamma_s/u)``. Returns the sorted roots (0, 1 or 2 of them). ``gamma_s < 1``:
    one root ``lam_bar`` when ``lam_t < lam_t*`` (W2S for ``0 < lam_s < lam_bar``); ``gamma_s > 1``: two roots
    ``lam_- < lam_+`` with ``lam_- lam_+ = (gamma_s - 1)^2`` (W2S for ``lam_- < lam_s < lam_+``), or none.
    When ``theta < 1`` every ``lam_s`` wins and no root exists.
    """
    th = float(theta(check_scalar("lam_t", lam_t, *LAM_RANGE), gamma_t, sigma2, r2))
    gs = check_scalar("gamma_s", gamma_s, *GAMMA_RANGE)
    a = th - 1.0
    disc = 1.0 - 4.0 * a * (2.0 - th) * gs  # discriminant of the quadratic in u (shift-invariant)
    if disc < 0:
        return np.array([])
    # lam_s = (u - 1)(u - gs)/u. Near u = 1 or u = gs (small lam_s) the differences u - 1, u - gs of a computed
    # root lose digits, so solve directly for k = u - 1 and w = u - gs (same quadratic, shifted):
    #   a k^2 + (2 theta - 3) k + (theta - 2)(1 - gs) = 0,   a w^2 + (2 a gs - 1) w + a gs (gs - 1) = 0.
    # Both root pairs come out sorted, and a shift preserves order, so the i-th k and i-th w are the same root.
    k = _quadratic_roots(a, 2.0 * th - 3.0, (th - 2.0) * (1.0 - gs), disc)
    w = _quadratic_roots(a, 2.0 * a * gs - 1.0, a * gs * (gs - 1.0), disc)
    ok = np.isfinite(k) & np.isfinite(w) & (k > 0.0) & (w > 0.0)  # u > max(1, gs)
    k, w = k[ok], w[ok]
    lam_s = k * w / (1.0 + k)
    return np.sort(lam_s)


def _quadratic_roots(a: float, b: float, c: float, disc: float) -> np.ndarray:
    """Sorted real roots of ``a x^2 + b x + c`` (``disc = b^2 - 4ac >= 0`` given), without cancellation."""
    if a == 0.0:
        return np.array([-c / b]) if b != 0.0 else np.array([])
    q = -0.5 * (b + np.copysign(np.sqrt(disc), b))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        roots = np.array([q / a, c / q]) if q != 0.0 else np.array([-b / (2.0 * a)] * 2)
    return np.sort(roots)


def lambda_c(gamma_s, gamma_t, sigma2=1.0, r2=1.0) -> float:
    r"""Threshold teacher ridge ``lam_c(gamma_s)``: some ``lam_s > 0`` gives ``R_s < R_t`` iff ``lam_t < lam_c``.

    docs/ridge.md §2.5 (derived under the ridge setup): ``lam_c`` solves ``rho*(gamma_s) = theta(lam_t)`` on ``(0, lam_t*]``;
    ``lam_c = lam_t* = sigma2 gamma_t / r2`` for ``gamma_s < 1``; ``lam_c = 0`` when ``theta(lam_t) >= rho*`` for
    all ``lam_t > 0`` (no W2S for any teacher ridge). ``theta`` increases on ``(0, lam_t*]`` (checked on a grid
    here; a ``RuntimeError`` is raised if not), so the root is unique; it is found by Brent's method to
    ``xtol = 1e-14`` relative.
    """
    gs = check_scalar("gamma_s", gamma_s, *GAMMA_RANGE)
    gt = check_scalar("gamma_t", gamma_t, *GAMMA_RANGE)
    s2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    rr = check_scalar("r2", r2, 0.0, 1e10, lo_open=True)
    lstar = s2 * gt / rr
    if lstar <= LAM_RANGE[0]:
        return 0.0
    lstar = min(lstar, LAM_RANGE[1])
    if gs < 1.0:
        return lstar
    target = float(rho_star(gs))
    grid = np.geomspace(LAM_RANGE[0], lstar, 200)
    th = theta(grid, gt, s2, rr)
    if np.any(np.diff(th) < -1e-12 * np.abs(th[1:])):
        raise RuntimeError(f"theta is not increasing on (0, lam_t*] at gamma_t={gt}; lambda_c is ambiguous")
    if th[0] >= target:
        return 0.0
    if th[-1] < target:  # only when lam_t* > 1e10 was clipped: the root lies beyond the supported range
        raise ValueError(f"lambda_c lies above lam = {LAM_RANGE[1]:g} (lam_t* = sigma2*gamma_t/r2 = "
                         f"{s2 * gt / rr:g}): outside the supported ridge range; reduce sigma2*gamma_t/r2")
    def f(x):  # exp(log(.)) may step outside [1e-10, lam_t*] by an ulp: clip back
        return float(theta(np.clip(np.exp(x), grid[0], lstar), gt, s2, rr)) - target

    root = optimize.brentq(f, np.log(grid[0]), np.log(lstar), xtol=1e-14, rtol=1e-14)
    return float(np.clip(np.exp(root), grid[0], lstar))


def student_risk_same_inputs(lam_t, lam_s, gamma, sigma2=1.0, r2=1.0):
    r"""Student risk when the student reuses the teacher's inputs (``X_s = X_t``; docs/ridge.md §2.7, derived under the ridge setup).

    ``beta_s = (Sigma + lam_s)^{-1} Sigma (Sigma + lam_t)^{-1} X^T y / n`` is a spectral filter of the teacher's
    data, so

        R_s = r2 int (1 - x^2/((x+lam_s)(x+lam_t)))^2 dmu_MP + sigma2 gamma int x^3/((x+lam_s)^2 (x+lam_t)^2) dmu_MP,

    evaluated by :func:`w2s.theory.rmt.mp_integral` (rel. tol. 1e-12, refined near the lower edge at the scale of
    ``min(lam_s, lam_t)``), with the bias filter written as
    ``(lam_s lam_t + x (lam_s + lam_t)) / ((x+lam_s)(x+lam_t))`` so that it never cancels.
    """
    ls = check_scalar("lam_s", lam_s, *LAM_RANGE)
    lt = check_scalar("lam_t", lam_t, *LAM_RANGE)
    g = check_scalar("gamma", gamma, *GAMMA_RANGE)
    s2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    rr = check_scalar("r2", r2, 0.0, 1e10, lo_open=True)

    def integrand(x):
        den = (x + ls) * (x + lt)
        bias = (ls * lt + x * (ls + lt)) / den
        return rr * bias * bias + s2 * g * x**3 / (den * den)

    return mp_integral(integrand, g, x_scale=min(ls, lt))

