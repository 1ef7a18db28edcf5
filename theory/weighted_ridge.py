r"""Weighted ridge teacher -> weighted ridge student (Moniri & Hassani 2025, arXiv 2505.18346, Part (b)).

Every formula here is DERIVED under the weighted-ridge setup (``docs/weighted_ridge.md`` §1, RECONSTRUCTED): the
paper's own statement, and in particular its parametrisation of the spike, were not available; nothing here is
quoted as a theorem of the paper.

Setup and normalisation (docs/weighted_ridge.md §1, docs/ridge.md §1)
----------------------------------------------------------------------
* ``x ~ N(0, I_d)``, ``y = x^T beta* + eps``, ``eps ~ N(0, sigma2)``, ``||beta*||^2 = r2``; aspect ratios
  ``gamma_t = d/n_t``, ``gamma_s = d/n_s``.
* Weighted ridge with the ``1/n`` loss: ``beta_hat = argmin (1/n)||y - X beta||^2 + lam beta^T Gamma beta
  = (S + lam Gamma)^{-1} X^T y / n``, ``S = X^T X / n``; ``Gamma`` positive semi-definite and bounded.
* The student sees fresh inputs labelled noiselessly by the teacher:
  ``beta_s = (S_s + lam_s Gamma_s)^{-1} S_s beta_t``.
* Spiked penalty: ``Gamma_s = I - (1 - g_s) u u^T`` with a unit "pre-trained direction" ``u`` and
  ``g_s in [0, 1]`` (penalty ``g_s`` along ``u``, 1 elsewhere); alignment ``zeta = <u, beta*>/||beta*|| in [0, 1]``.
  The teacher is isotropic (``g_t = 1``) unless ``g_t`` is given, in which case it is spiked along the same ``u``.
* Risks are excess risks ``||beta_hat - beta*||^2`` (add ``sigma2`` for the test MSE).

General deterministic equivalent (docs/weighted_ridge.md §2.1)
---------------------------------------------------------------
``kappa`` solves ``lam = kappa (1 - (1/n) tr P)`` with ``P = (I + kappa Gamma)^{-1}``; for bounded ``M``,
``c(M) = ((1/n) tr(M P^2)) / (1 - (1/n) tr P^2)``. Then ``R_t ~ ||(I - P_t) beta*||^2 + c_t(I) E_t`` with
``E_t = ||(I - P_t) beta*||^2 + sigma2``, and the student formula of docs/weighted_ridge.md §2.1 (see
:func:`general_risks`). The fixed point is solved with :func:`scipy.optimize.brentq`: ``f(kappa) =
kappa - (1/n) tr(kappa P) - lam`` is convex in ``kappa`` with ``f(0) = -lam < 0`` and ``f -> +inf``, so it has
exactly one positive root, which the bracket contains.

Spiked specialisation (docs/weighted_ridge.md §2.2)
----------------------------------------------------
A rank-one spike does not move the bulk traces, so ``kappa_s = kappa(lam_s, gamma_s)`` is the Marchenko–Pastur
value of Part (a); ``p = 1/(1 + kappa)`` on ``u^perp`` and ``p^u = 1/(1 + kappa g)`` along ``u``; ``c = gamma p^2 /
(1 - gamma p^2)``. With ``E_t = r2 [zeta^2 (1 - p_t^u)^2 + (1 - zeta^2)(1 - p_t)^2] + sigma2``:

    R_s = r2 [zeta^2 (1 - p_t^u p_s^u)^2 + (1 - zeta^2)(1 - p_t p_s)^2] + p_s^2 c_t E_t
          + c_s [ r2 (zeta^2 (p_t^u)^2 (1 - p_s^u)^2 + (1 - zeta^2) p_t^2 (1 - p_s)^2) + (1 - p_s)^2 c_t E_t ]

(``g_t = 1`` gives ``p_t^u = p_t``, the isotropic teacher of docs/weighted_ridge.md §1). ``g_s = 1`` or ``zeta = 0`` recovers
Part (a) exactly (:func:`w2s.theory.ridge.student_risk`).

Optimal aligned student (docs/weighted_ridge.md §2.3-2.4)
----------------------------------------------------------
* For fixed ``lam_s`` the risk is a convex quadratic in ``q = p_s^u`` whose unconstrained minimiser is
  ``q* = (1 + c_s p_t)/(p_t (1 + c_s)) >= 1`` (isotropic teacher): hence ``g_s = 0`` is optimal at every
  ``lam_s`` and every ``gamma_s`` (derived here; docs/weighted_ridge.md §2.3).
* ``gamma_s -> 0``: bulk factor ``p_s* = (1 - zeta^2) r2 p_t / ((1 - zeta^2) r2 p_t^2 + c_t E_t)`` (clipped to 1,
  i.e. ``lam_s >= 0``), ``R_s* = zeta^2 r2 (1 - p_t)^2 + (1-zeta^2) r2 c_t E_t / ((1-zeta^2) r2 p_t^2 + c_t E_t)``;
  against the optimally tuned teacher ``R_s*/R_t* = 1 - zeta^4 p_t (1 - p_t)/(1 - zeta^2 p_t) < 1`` for every
  ``zeta != 0``.
* Finite ``gamma_s``: with ``g_s = 0``, ``min_{lam_s} R_s(zeta)`` decreases in ``zeta`` (its ``zeta^2``
  coefficient ``r2 (1-p_t)^2 - r2 [(1 - p_t p_s)^2 + c_s p_t^2 (1 - p_s)^2]`` is ``<= 0``), equals ``R_t*`` in the
  limit ``lam_s -> 0`` at ``zeta = 0`` when ``gamma_s <= 1`` (so ``zeta_c = 0`` there) and tends to
  ``r2 (1-p_t)^2 < R_t*`` at ``zeta = 1``; for ``gamma_s > 1`` the critical alignment ``zeta_c`` is the unique
  root of ``min_{lam_s} R_s(zeta) = R_t*`` (:func:`zeta_c`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._validate import (GAMMA_RANGE, LAM_RANGE, as_output, check_array, check_gamma, check_lam, check_nonneg, check_pos,
                        check_scalar)
from .rmt import mp_quantities
from .ridge import optimal_teacher_lambda

__all__ = [
    "KappaSolution",
    "solve_kappa",
    "c_functional",
    "GeneralRisks",
    "general_risks",
    "spiked_factors",
    "weighted_teacher_risk",
    "weighted_student_risk",
    "optimal_aligned_student_infinite_data",
    "aligned_ratio_infinite_data",
    "OptimalAlignedStudent",
    "optimal_aligned_student",
    "zeta_c",
]


# ---------------------------------------------------------------------------------------------------------------
# General (arbitrary Gamma) deterministic equivalent, docs/weighted_ridge.md §2.1
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KappaSolution:
    """Root of ``lam = kappa (1 - gamma mean_i 1/(1 + kappa g_i))`` with its convergence status."""

    kappa: float
    converged: bool
    iterations: int
    residual: float


def _check_penalty_eigs(name: str, g) -> np.ndarray:
    g = np.asarray(check_array(name, g, 0.0, 1e10), float).ravel()
    if not np.any(g > 0):
        raise ValueError(f"{name}: the penalty matrix must not be zero")
    return g


def solve_kappa(lam: float, gamma: float, g) -> KappaSolution:
    r"""Solve ``lam = kappa (1 - (1/n) tr P)``, ``P = (I + kappa Gamma)^{-1}``, from the eigenvalues ``g`` of
    ``Gamma`` (``(1/n) tr = gamma (1/d) tr``). docs/weighted_ridge.md §2.1. Raises ``ValueError`` if the solver does not converge.
    """
    lam = check_scalar("lam", lam, *LAM_RANGE)
    gamma = check_scalar("gamma", gamma, *GAMMA_RANGE)
    g = _check_penalty_eigs("Gamma eigenvalues", g)

    def f(k):
        return k - gamma * np.mean(k / (1.0 + k * g)) - lam

    hi = max(1.0, 2.0 * lam, gamma)
    while f(hi) <= 0:
        hi *= 4.0
        if hi > 1e30:
            raise ValueError(f"kappa fixed point: no root below 1e30 (lam={lam}, gamma={gamma}); is Gamma "
                             "singular on a large subspace with gamma >= 1?")
    k, res = optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500,
                             full_output=True, disp=False)
    if not res.converged:
        raise ValueError(f"kappa fixed point did not converge ({res.flag}) at lam={lam}, gamma={gamma}")
    return KappaSolution(float(k), True, int(res.iterations), float(f(k)))


def c_functional(M, P, gamma: float) -> float:
    r"""``c(M) = ((1/n) tr(M P^2)) / (1 - (1/n) tr P^2)`` with ``(1/n) tr = gamma (1/d) tr`` (docs/weighted_ridge.md §2.1)."""
    d = P.shape[0]
    P2 = P @ P
    den = 1.0 - gamma * np.trace(P2) / d
    if den <= 0:
        raise ValueError("c(M): 1 - (1/n) tr P^2 <= 0 (the fixed point is not the stable root)")
    return float(gamma * np.trace(M @ P2) / d / den)


@dataclass(frozen=True)
class GeneralRisks:
    """Deterministic equivalents of the teacher and student excess risks, with the fixed points used."""

    R_t: float
    R_s: float
    kappa_t: KappaSolution
    kappa_s: KappaSolution


def _resolvent_factor(Gamma: np.ndarray, kappa: float) -> np.ndarray:
    w, V = np.linalg.eigh(Gamma)
    return (V / (1.0 + kappa * w)) @ V.T


def _check_matrix(name: str, M) -> np.ndarray:
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] < 1:
        raise ValueError(f"{name} must be a square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{name} must be finite")
    if not np.allclose(M, M.T, rtol=0, atol=1e-12 * max(1.0, np.abs(M).max())):
        raise ValueError(f"{name} must be symmetric")
    return 0.5 * (M + M.T)


def general_risks(lam_t: float, gamma_t: float, Gamma_t, lam_s: float, gamma_s: float, Gamma_s, B,
                  sigma2: float = 1.0) -> GeneralRisks:
    r"""Deterministic equivalents of ``R_t`` and ``R_s`` for arbitrary (also non-commuting) penalties (docs/weighted_ridge.md §2.1).

    ``Gamma_t``, ``Gamma_s``: ``k x k`` symmetric PSD penalty matrices; ``B``: ``k x k`` second moment of the target,
    ``B = beta* beta*^T`` for a fixed target or ``r2 I / k`` for ``beta*`` uniform on the sphere of radius
    ``sqrt(r2)``. Normalised traces are ``(1/n) tr = gamma (1/k) tr``. Two uses:

    * finite ``d``: pass the ``d x d`` matrices themselves (``k = d``);
    * a structure repeated in ``d/k`` identical blocks (e.g. 2x2 rotations): pass one block and ``B`` per block
      normalised as above; the traces, hence the prediction, do not depend on ``d``.

    With ``E_t = tr((I-P_t)^2 B) + sigma2``:
    ``R_t = tr((I - P_t)^2 B) + c_t(I) E_t``;
    ``R_s = tr(P_t P_s^2 P_t B) + c_t(P_s^2) E_t - 2 tr(P_s P_t B) + tr B
    + c_s(I) [tr(P_t (I-P_s)^2 P_t B) + c_t((I-P_s)^2) E_t]``.
    """
    Gt = _check_matrix("Gamma_t", Gamma_t)
    Gs = _check_matrix("Gamma_s", Gamma_s)
    B = _check_matrix("B", B)
    if Gt.shape != Gs.shape or Gt.shape != B.shape:
        raise ValueError(f"Gamma_t, Gamma_s and B must have the same shape, got {Gt.shape}, {Gs.shape}, {B.shape}")
    sigma2 = float(check_nonneg("sigma2", sigma2))
    if np.linalg.eigvalsh(B).min() < -1e-12 * max(1.0, np.abs(B).max()):
        raise ValueError("B must be positive semi-definite")
    kt = solve_kappa(lam_t, gamma_t, _check_penalty_eigs("Gamma_t eigenvalues", np.linalg.eigvalsh(Gt).clip(0)))
    ks = solve_kappa(lam_s, gamma_s, _check_penalty_eigs("Gamma_s eigenvalues", np.linalg.eigvalsh(Gs).clip(0)))
    k = Gt.shape[0]
    I = np.eye(k)
    Pt = _resolvent_factor(Gt, kt.kappa)
    Ps = _resolvent_factor(Gs, ks.kappa)
    Qt, Qs = I - Pt, I - Ps
    bias_t = float(np.trace(Qt @ Qt @ B))
    Et = bias_t + sigma2
    R_t = bias_t + c_functional(I, Pt, gamma_t) * Et
    R_s = (np.trace(Pt @ Ps @ Ps @ Pt @ B) + c_functional(Ps @ Ps, Pt, gamma_t) * Et
           - 2.0 * np.trace(Ps @ Pt @ B) + np.trace(B)
           + c_functional(I, Ps, gamma_s) * (np.trace(Pt @ Qs @ Qs @ Pt @ B) + c_functional(Qs @ Qs, Pt, gamma_t) * Et))
    return GeneralRisks(float(R_t), float(R_s), kt, ks)


# ---------------------------------------------------------------------------------------------------------------
# Spiked specialisation, docs/weighted_ridge.md §2.2
# ---------------------------------------------------------------------------------------------------------------

def _check_g(name, g):
    return check_array(name, g, 0.0, 1.0)


def _check_zeta(zeta):
    return check_array("zeta", zeta, 0.0, 1.0)


def spiked_factors(lam, gamma, g):
    r"""``(p, p^u, c)``: bulk factor ``1/(1+kappa)``, spike factor ``1/(1 + kappa g)`` and ``c = gamma p^2/(1 - gamma
    p^2)`` of a ridge with penalty ``I - (1 - g) u u^T`` (docs/weighted_ridge.md §2.2; ``kappa`` = Marchenko–Pastur value)."""
    q = mp_quantities(check_lam("lam", lam), check_gamma("gamma", gamma), _checked=True)
    g = _check_g("g", g)
    return as_output(1.0 / q.u), as_output(1.0 / (1.0 + q.kappa * g)), as_output(q.c)


def _spiked(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2, r2, g_t):
    qt = mp_quantities(check_lam("lam_t", lam_t), check_gamma("gamma_t", gamma_t), _checked=True)
    qs = mp_quantities(check_lam("lam_s", lam_s), check_gamma("gamma_s", gamma_s), _checked=True)
    g_s = _check_g("g_s", g_s)
    g_t = _check_g("g_t", g_t)
    z2 = _check_zeta(zeta) ** 2
    s2 = check_nonneg("sigma2", sigma2)
    r2 = check_pos("r2", r2)
    # 1 - p and 1 - p^u in cancellation-free form: kappa/(1+kappa), kappa g/(1 + kappa g)
    pt, ps = 1.0 / qt.u, 1.0 / qs.u
    ptu, psu = 1.0 / (1.0 + qt.kappa * g_t), 1.0 / (1.0 + qs.kappa * g_s)
    qt_bulk, qs_bulk = qt.kappa / qt.u, qs.kappa / qs.u
    qt_u, qs_u = qt.kappa * g_t * ptu, qs.kappa * g_s * psu
    Et = r2 * (z2 * qt_u**2 + (1.0 - z2) * qt_bulk**2) + s2
    R_t = r2 * (z2 * qt_u**2 + (1.0 - z2) * qt_bulk**2) + qt.c * Et
    one_u = qt_u + qs_u - qt_u * qs_u  # 1 - p_t^u p_s^u
    one_b = qt_bulk + qs_bulk - qt_bulk * qs_bulk  # 1 - p_t p_s
    R_s = (r2 * (z2 * one_u**2 + (1.0 - z2) * one_b**2) + ps**2 * qt.c * Et
           + qs.c * (r2 * (z2 * ptu**2 * qs_u**2 + (1.0 - z2) * pt**2 * qs_bulk**2) + qs_bulk**2 * qt.c * Et))
    return R_t, R_s


def weighted_teacher_risk(lam_t, gamma_t, zeta=0.0, g_t=1.0, sigma2=1.0, r2=1.0):
    r"""Teacher excess risk with penalty ``I - (1 - g_t) u u^T`` (docs/weighted_ridge.md §2.1-2.2, derived under the weighted-ridge setup):
    ``R_t = r2 [zeta^2 (1 - p_t^u)^2 + (1 - zeta^2)(1 - p_t)^2] + c_t E_t``, ``E_t`` = that bias ``+ sigma2``.
    ``g_t = 1`` (default) is the isotropic teacher of Part (a)."""
    return as_output(_spiked(lam_t, gamma_t, 1.0, 1.0, 1.0, zeta, sigma2, r2, g_t)[0])


def weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2=1.0, r2=1.0, g_t=1.0):
    r"""Student excess risk with spiked penalty ``Gamma_s = I - (1 - g_s) u u^T``, alignment
    ``zeta = <u, beta*>/||beta*||`` (docs/weighted_ridge.md §2.2, derived under the weighted-ridge setup; formula in the module docstring).

    The teacher is isotropic plain ridge by default (``g_t = 1``); ``g_t < 1`` spikes the teacher along the same
    ``u``. Arguments broadcast. Ranges: ``lam`` in [1e-10, 1e10], ``gamma`` in [1e-4, 1e4], ``g`` and ``zeta`` in
    [0, 1], ``sigma2 >= 0``, ``r2 > 0``.
    """
    return as_output(_spiked(lam_t, gamma_t, lam_s, gamma_s, g_s, zeta, sigma2, r2, g_t)[1])


# ---------------------------------------------------------------------------------------------------------------
# Optimal aligned student, docs/weighted_ridge.md §2.3-2.4
# ---------------------------------------------------------------------------------------------------------------

def optimal_aligned_student_infinite_data(lam_t, gamma_t, zeta, sigma2=1.0, r2=1.0):
    r"""``gamma_s -> 0`` optimum over ``g_s in [0, 1]`` and ``lam_s >= 0`` (docs/weighted_ridge.md §2.3, isotropic teacher).

    Returns ``(lam_s*, R_s*)`` with ``g_s* = 0``. ``lam_s* = 1/p_s* - 1`` with
    ``p_s* = min(1, (1-zeta^2) r2 p_t / ((1-zeta^2) r2 p_t^2 + c_t E_t))``; ``lam_s* = inf`` at ``zeta = 1``.
    """
    qt = mp_quantities(check_lam("lam_t", lam_t), check_gamma("gamma_t", gamma_t), _checked=True)
    z2 = _check_zeta(zeta) ** 2
    s2 = check_nonneg("sigma2", sigma2)
    r2 = check_pos("r2", r2)
    pt = 1.0 / qt.u
    bias = qt.kappa / qt.u
    cE = qt.c * (r2 * bias**2 + s2)
    den = (1.0 - z2) * r2 * pt**2 + cE
    with np.errstate(divide="ignore", invalid="ignore"):
        ps = np.minimum(1.0, np.where(den > 0, (1.0 - z2) * r2 * pt / den, 1.0))
        lam_s = np.where(ps > 0, 1.0 / ps - 1.0, np.inf)
    R = z2 * r2 * bias**2 + (1.0 - z2) * r2 * (1.0 - ps * pt) ** 2 + ps**2 * cE
    return as_output(lam_s), as_output(R)


def aligned_ratio_infinite_data(gamma_t, zeta, sigma2=1.0, r2=1.0):
    r"""``R_s*/R_t* = 1 - zeta^4 p_t (1 - p_t)/(1 - zeta^2 p_t)`` at ``lam_t = lam_t* = sigma2 gamma_t / r2``
    (docs/weighted_ridge.md §2.3, derived under the weighted-ridge setup, isotropic teacher, ``gamma_s -> 0``). ``< 1`` for every ``zeta > 0``."""
    lam_t = optimal_teacher_lambda(gamma_t, sigma2, r2)
    qt = mp_quantities(check_lam("lam_t* = sigma2 gamma_t / r2", lam_t), check_gamma("gamma_t", gamma_t),
                       _checked=True)
    z2 = _check_zeta(zeta) ** 2
    pt = 1.0 / qt.u
    return as_output(1.0 - z2 * z2 * pt * (qt.kappa / qt.u) / (1.0 - z2 * pt))


@dataclass(frozen=True)
class OptimalAlignedStudent:
    """Optimal ``(lam_s, g_s = 0)`` at finite ``gamma_s`` and its risk; ``converged`` is the optimiser's status."""

    lam_s: float
    g_s: float
    R_s: float
    converged: bool


_LOG_LAM = (math.log(LAM_RANGE[0]), math.log(1e6))


def optimal_aligned_student(lam_t, gamma_t, gamma_s, zeta, sigma2=1.0, r2=1.0) -> OptimalAlignedStudent:
    r"""Minimise ``R_s`` over ``g_s in [0, 1]`` and ``lam_s in [1e-10, 1e6]`` at finite ``gamma_s`` (isotropic
    teacher). ``g_s = 0`` is optimal at every ``lam_s`` (module docstring), leaving a 1-D minimisation in
    ``log lam_s``: a dense log-grid locates the basin, then bounded Brent refines it (docs/weighted_ridge.md §2.3, derived here).
    """
    for name, v in (("lam_t", lam_t), ("gamma_t", gamma_t), ("gamma_s", gamma_s), ("zeta", zeta),
                    ("sigma2", sigma2), ("r2", r2)):
        if np.ndim(v) != 0:
            raise ValueError(f"{name} must be a scalar here")
    weighted_student_risk(lam_t, gamma_t, 1.0, gamma_s, 0.0, zeta, sigma2, r2)  # validates every argument

    def f(x):
        lam_s = np.clip(np.exp(x), *LAM_RANGE)
        return weighted_student_risk(lam_t, gamma_t, lam_s, gamma_s, 0.0, zeta, sigma2, r2)

    grid = np.linspace(*_LOG_LAM, 241)
    vals = f(grid)
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    if i in (0, grid.size - 1):
        return OptimalAlignedStudent(float(np.clip(math.exp(grid[i]), *LAM_RANGE)), 0.0, float(vals[i]), True)
    res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10, "maxiter": 500})
    x, fx = (res.x, res.fun) if res.fun <= vals[i] else (grid[i], vals[i])
    return OptimalAlignedStudent(float(np.clip(math.exp(x), *LAM_RANGE)), 0.0, float(fx), bool(res.success))


def zeta_c(gamma_t, gamma_s, sigma2=1.0, r2=1.0) -> float:
    r"""Critical alignment above which the optimised spiked student beats the optimally tuned isotropic teacher.

    ``G(zeta) = min_{lam_s, g_s} R_s(zeta) - R_t*`` at ``lam_t = lam_t* = sigma2 gamma_t / r2``
    (docs/weighted_ridge.md §2.4 and Table R7 in §2.5, derived under the weighted-ridge setup). ``G`` decreases in
    ``zeta``; for ``gamma_s <= 1``, ``G(0) = 0`` (the ``lam_s -> 0`` student reproduces the teacher), so
    ``zeta_c = 0``; for ``gamma_s > 1`` the unique root in ``(0, 1)`` is found with :func:`scipy.optimize.brentq`. Raises ``ValueError`` when no alignment lets the
    student win (e.g. ``sigma2 = 0``, where the optimal teacher is exact).
    """
    gamma_t = check_scalar("gamma_t", gamma_t, 1e-4, 1e4)
    gamma_s = check_scalar("gamma_s", gamma_s, 1e-4, 1e4)
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    r2 = check_scalar("r2", r2, 0.0, 1e10, lo_open=True)
    lam_t = sigma2 * gamma_t / r2
    if not LAM_RANGE[0] <= lam_t <= LAM_RANGE[1]:
        raise ValueError(f"zeta_c: the optimal teacher ridge lam_t* = sigma2 gamma_t / r2 = {lam_t:g} is outside "
                         f"[{LAM_RANGE[0]:g}, {LAM_RANGE[1]:g}] (sigma2 = 0 makes the optimal teacher exact: no "
                         "student beats it)")
    R_star = float(weighted_teacher_risk(lam_t, gamma_t, 0.0, 1.0, sigma2, r2))

    def G(z):
        return optimal_aligned_student(lam_t, gamma_t, gamma_s, z, sigma2, r2).R_s - R_star

    if gamma_s <= 1.0:
        return 0.0
    g0, g1 = G(0.0), G(1.0)
    if not g1 < 0.0:
        raise ValueError(f"zeta_c: no alignment in [0, 1] lets the student beat the optimal teacher "
                         f"(gamma_t={gamma_t}, gamma_s={gamma_s}, sigma2={sigma2}, r2={r2})")
    if g0 <= 0.0:
        return 0.0
    z, res = optimize.brentq(G, 0.0, 1.0, xtol=1e-12, full_output=True, disp=False)
    if not res.converged:
        raise ValueError(f"zeta_c: root finding did not converge ({res.flag})")
    return float(z)
