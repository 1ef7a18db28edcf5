r"""Ridge self-distillation (Dang, Patil & Rinaldo 2026, arXiv 2602.17565): the student on mixed labels, its risk
as a quadratic in the mixing weight, the optimal weight and the gain, conditional on the data and in the
proportional limit. Closed forms derived under the setup of docs/self_distillation.md §1.

Setup and normalisation (docs/self_distillation.md §1)
------------------------------------------------------
* Inputs ``x ~ N(0, I_d)``, labels ``y = X beta* + eps``, ``eps ~ N(0, sigma2 I_n)``, ``||beta*||^2 = r2``;
  ``gamma = d / n``.
* Teacher: ridge with the 1/n loss, ``beta_lam = (S + lam I)^{-1} X^T y / n`` with ``S = X^T X / n``.
* Student: the same ridge ``lam`` on the same inputs, fitted to the mixed labels
  ``xi * X beta_lam + (1 - xi) * y``; then ``beta_S(xi) = beta_lam + xi lam g`` with
  ``g = d beta_lam / d lam = -(S + lam I)^{-1} beta_lam``.
* Risk: excess risk ``R(beta) = ||beta - beta*||^2`` (add ``sigma2`` for the test MSE); ``R(lam)`` is the
  teacher's, ``R'(lam) = dR/dlam = 2 <beta_lam - beta*, g>``, and ``c = ||g||^2``.

Conditional on the data (exact, docs §2.1): ``R(xi) = R(lam) + xi lam R'(lam) + xi^2 lam^2 c``, hence
``xi* = -R'(lam) / (2 lam c)``, ``R(xi*) = R(lam) - R'(lam)^2 / (4 c)`` and ``sign(xi*) = -sign(R'(lam))``
(:func:`mixing_quadratic`).

Proportional limit (docs §2.2): with ``kappa``, ``u = 1 + kappa`` and ``D = u^2 - gamma`` of
:mod:`w2s.theory.rmt`, the Marchenko–Pastur moments

    I1 = int x/(x+lam)^3 dmu = u^3 / D^3,
    I3 = int x/(x+lam)^4 dmu = u^4 (u^2 + gamma) / D^5,
    I2 = int x^2/(x+lam)^4 dmu = I1 - lam I3 = u^4 ((u - gamma)^2 + gamma kappa^2) / D^5

(``u - gamma = lam u / kappa``, a ratio of positive terms) give ``R = (r2 kappa^2 + sigma2 gamma) / D``,
``R' = 2 (r2 lam - sigma2 gamma) I1`` and ``c = r2 I2 + sigma2 gamma I3``. In particular
``sign(R') = sign(lam - lam*)`` with ``lam* = sigma2 gamma / r2``: the optimal weight is positive for an
under-regularised teacher and negative for an over-regularised one, and the gain vanishes only at ``lam*``.

Parameter ranges: ``lam`` in [1e-10, 1e10], ``gamma`` in [1e-4, 1e4], ``sigma2`` in [0, 1e10], ``r2`` in
(0, 1e10], ``xi`` finite in [-1e6, 1e6]. Out-of-range or non-finite input raises ``ValueError`` naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_output, check_array, check_gamma, check_lam, check_nonneg, check_pos
from .rmt import mp_quantities

__all__ = [
    "MixingQuadratic",
    "mixing_quadratic",
    "SelfDistillationLimit",
    "limit",
    "teacher_risk",
    "risk_derivative",
    "curvature",
    "optimal_xi",
    "improvement",
    "student_risk",
    "optimal_student_risk",
    "optimal_teacher_lambda",
    "mp_moments",
]

XI_RANGE = (-1e6, 1e6)


@dataclass(frozen=True)
class MixingQuadratic:
    """The student's risk as a quadratic in ``xi`` and its minimiser (docs §2.1)."""

    risk: np.ndarray  #: R(lam), the teacher's risk (xi = 0)
    risk_deriv: np.ndarray  #: R'(lam)
    curvature: np.ndarray  #: c = ||d beta_lam / d lam||^2
    lam: np.ndarray

    @property
    def xi_star(self):
        """``-R'(lam) / (2 lam c)``."""
        return -self.risk_deriv / (2.0 * self.lam * self.curvature)

    @property
    def improvement(self):
        """``R(lam) - R(xi*) = R'(lam)^2 / (4 c)``."""
        return self.risk_deriv**2 / (4.0 * self.curvature)

    @property
    def optimal_risk(self):
        return self.risk - self.improvement

    def at(self, xi):
        """``R(xi) = R(lam) + xi lam R'(lam) + xi^2 lam^2 c``."""
        xi = np.asarray(xi, float)
        return self.risk + xi * self.lam * self.risk_deriv + xi**2 * self.lam**2 * self.curvature


def mixing_quadratic(*, risk, risk_deriv, curvature, lam) -> MixingQuadratic:
    """The quadratic of docs §2.1 from ``R(lam)``, ``R'(lam)``, ``c > 0`` and ``lam`` (conditional on the data:
    pass the per-draw values; in the limit: :func:`limit`). Arrays broadcast."""
    risk = check_nonneg("risk", risk, hi=np.inf)
    risk_deriv = check_array("risk_deriv", risk_deriv, -np.inf, np.inf)
    curvature = check_array("curvature", curvature, 0.0, np.inf, lo_open=True)
    lam = check_lam("lam", lam)
    return MixingQuadratic(*np.broadcast_arrays(risk, risk_deriv, curvature, lam))


def mp_moments(lam, gamma):
    r"""``(I1, I2, I3) = int (x/(x+lam)^3, x^2/(x+lam)^4, x/(x+lam)^4) dmu_MP(x; gamma)`` (docs §2.2).

    Derived from ``v = int x/(x+lam)^2 dmu = 1/D`` by differentiating in ``lam`` with ``lam`` as a function of
    ``kappa`` (``dkappa/dlam = u^2 / D``); every expression is a ratio of positive terms (no cancellation at
    ``lam -> 0`` nor ``lam -> inf``). The atom of ``mu_MP`` at 0 (``gamma > 1``) does not contribute.
    """
    q = mp_quantities(check_lam("lam", lam), check_gamma("gamma", gamma), _checked=True)
    u, D, k, g = q.u, q.D, q.kappa, q.gamma
    I1 = (u / D) ** 3
    I3 = u**4 * (u * u + g) / D**5
    I2 = u**4 * (q.u_minus_gamma**2 + g * k * k) / D**5
    return as_output(I1), as_output(I2), as_output(I3)


@dataclass(frozen=True)
class SelfDistillationLimit(MixingQuadratic):
    """:class:`MixingQuadratic` in the proportional limit, with its parameters."""

    gamma: np.ndarray = None
    sigma2: np.ndarray = None
    r2: np.ndarray = None


def limit(*, lam, gamma, sigma2=1.0, r2=1.0) -> SelfDistillationLimit:
    """``R(lam)``, ``R'(lam)`` and ``c`` as ``d, n -> inf`` with ``d / n = gamma`` (docs §2.2)."""
    lam = check_lam("lam", lam)
    gamma = check_gamma("gamma", gamma)
    sigma2 = check_nonneg("sigma2", sigma2)
    r2 = check_pos("r2", r2)
    lam, gamma, sigma2, r2 = np.broadcast_arrays(lam, gamma, sigma2, r2)
    q = mp_quantities(lam, gamma, _checked=True)
    I1, I2, I3 = (np.asarray(x, float) for x in mp_moments(lam, gamma))
    risk = (r2 * q.kappa**2 + sigma2 * gamma) / q.D
    deriv = 2.0 * (r2 * lam - sigma2 * gamma) * I1
    curv = r2 * I2 + sigma2 * gamma * I3
    return SelfDistillationLimit(risk, deriv, curv, lam, gamma, sigma2, r2)


def teacher_risk(*, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of the teacher's excess risk ``R(lam)`` (= the student at ``xi = 0``; equals
    :func:`w2s.theory.ridge.teacher_risk`)."""
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).risk)


def risk_derivative(*, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of ``R'(lam) = 2 (r2 lam - sigma2 gamma) u^3 / D^3``: its sign is that of ``lam - sigma2 gamma / r2``."""
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).risk_deriv)


def curvature(*, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of ``c = ||(S + lam)^{-1} beta_lam||^2 = r2 I2 + sigma2 gamma I3``."""
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).curvature)


def optimal_xi(*, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of the optimal mixing weight ``xi* = -R'(lam) / (2 lam c)``; ``sign(xi*) = -sign(R'(lam))``.

    ``lam -> 0``: ``xi*`` grows like ``1/lam`` (the step ``xi* lam`` stays finite); ``lam -> inf``:
    ``xi* ~ -lam r2 / (r2 (1 + gamma) + sigma2 gamma)``.
    """
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).xi_star)


def improvement(*, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of the gain ``R(lam) - R(xi*) = R'(lam)^2 / (4 c)`` (0 only at ``lam* = sigma2 gamma / r2``)."""
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).improvement)


def student_risk(*, xi, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of the student's excess risk ``R(xi) = R + xi lam R' + xi^2 lam^2 c`` (``xi = 0``: the teacher)."""
    xi = check_array("xi", xi, *XI_RANGE)
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).at(xi))


def optimal_student_risk(*, lam, gamma, sigma2=1.0, r2=1.0):
    """Limit of ``R(xi*) = R(lam) - R'(lam)^2 / (4 c)``.

    ``lam -> inf``: ``r2 gamma (r2 + sigma2) / (r2 (1 + gamma) + sigma2 gamma)``, the risk of the best rescaling
    of ``X^T y / n`` (the teacher shrinks to the matched filter, the student rescales it).
    """
    return as_output(limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2).optimal_risk)


def optimal_teacher_lambda(*, gamma, sigma2=1.0, r2=1.0):
    """``lam* = sigma2 gamma / r2``, where ``R'(lam*) = 0`` and self-distillation gains nothing (``sigma2 > 0``)."""
    gamma = check_gamma("gamma", gamma)
    sigma2 = check_array("sigma2", sigma2, 0.0, 1e10, lo_open=True)
    r2 = check_pos("r2", r2)
    return as_output(sigma2 * gamma / r2)
