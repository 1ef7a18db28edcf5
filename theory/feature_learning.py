r"""One-step feature learning in a two-index model (Moniri & Hassani 2025, arXiv 2505.18346, Part (c)).

DERIVED under the reconstructed two-index setup of ``docs/feature_learning.md`` §1-2 (the paper's own
architecture, step size and alignment definition were not available; nothing here is the paper's theorem).

Model (stated once; used by the simulators of :mod:`w2s.kernels.feature_learning` and the claims)
-------------------------------------------------------------------------------------------
* Inputs ``x ~ N(0, I_d)``; orthonormal ``u_e, u_h``; target
  ``y = g_e(<u_e, x>) + g_h(<u_h, x>) + eps``, ``eps ~ N(0, sigma2)``. The easy link ``g_e`` has information
  exponent 1 (``c_e = E[g_e'(z)] = E[z g_e(z)] != 0``), the hard link ``g_h`` exponent >= 2 (``c_h = 0``).
* Two-layer network ``f(x) = a^T sigma(W x) / sqrt(N)``. One gradient step on ``W`` from ``W_0`` with ``n = d/gamma``
  samples on the squared loss ``(1/2n) sum (y - f)^2``: at initialisation the gradient is, to leading order,
  rank one, ``G ~ -(mu_1(sigma)/sqrt(N)) a v^T`` with the **learned direction** ``v = X^T y / n`` (docs/feature_learning.md §2.1). The
  claims certify statements about ``v`` (and about neurons updated along it) and, separately, about the top
  singular vector of ``W_0 + eta G_1`` (whose overlap is smaller: a BBP-type transition in ``eta``, §2.8).
* Teacher: ``v_t = X_t^T y / n_t`` (``gamma_t = d/n_t``).
* Student on teacher labels: the teacher's refit network is represented by its leading single-index part,
  ``y~ = phi(<w_t, x>)`` with ``w_t = v_t/||v_t||`` and a readout link ``phi`` (a simplification made here, since
  the paper's refit was not available: the spiked first layer makes the refit teacher a function of
  ``<w_t, x>`` plus a bulk part that the one-step direction averages out). Student direction
  ``v_s = X_s^T y~ / n_s`` on fresh inputs (``gamma_s = d/n_s``).
* Student neuron with a pre-trained spike along the hard direction: ``w = rho_h u_h + sqrt(1 - rho_h^2) xi``
  (``xi`` a uniform unit vector orthogonal to ``u_e, u_h``), updated once along the learned direction,
  ``w' = w + eta v_s``.

Predictions (d, n -> infinity, gamma fixed)
-------------------------------------------
* ``<v, u_k> -> c_k = E[g_k'(z)]`` and ``||v||^2 -> c_e^2 + c_h^2 + gamma E[y^2]`` (docs/feature_learning.md §2.2), so
  ``cos^2(v, u_e) -> c_e^2 / (c_e^2 + c_h^2 + gamma E[y^2])`` and ``cos^2(v, u_h) -> 0`` (``c_h = 0``); here
  ``E[y^2] = E[g_e^2] + E[g_h^2] + 2 E[g_e] E[g_h] + sigma2``. The squared overlap with ``u_h`` has mean
  ``E[z_h^2 y^2] / (n ||v||^2) = O(1/d)``.
* Student (derived here by the same Stein identity: ``E[x phi(<w_t, x>)] = E[phi'(z)] w_t`` for unit ``w_t``):
  ``<v_s, u_e> -> c_phi cos(v_t, u_e)``, ``||v_s||^2 -> c_phi^2 + gamma_s E[phi(z)^2]``, hence
  ``cos^2(v_s, u_e) -> cos^2(v_t, u_e) c_phi^2 / (c_phi^2 + gamma_s E[phi^2])``: never above the teacher's
  alignment (data processing, docs/feature_learning.md §2.4).
* Retention: ``<v_s, u_h> -> 0`` and ``<v_s, xi> -> 0``, so the updated neuron keeps its unnormalised hard
  overlap, ``<w', u_h> -> rho_h``, and after normalisation
  ``<w', u_h>/||w'|| -> rho_h / sqrt(1 + eta^2 ||v_s||^2)`` while ``<w', u_e>/||w'|| -> eta <v_s, u_e> /
  sqrt(1 + eta^2 ||v_s||^2)``: one step imports the easy direction and shrinks, but does not erase, the
  pre-trained hard one.

Gaussian expectations: adaptive quadrature on the two half-lines (kinks of piecewise links sit at 0), checked
against the mpmath referee :func:`w2s.theory.gaussian.gauss_expect_mp` in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import integrate

from ._validate import check_scalar
from .gaussian import hermite_normalised

__all__ = ["LINKS", "link", "LinkMoments", "link_moments", "teacher_alignment", "hard_overlap_rate",
           "student_alignment", "retained_overlaps", "multi_step_overlaps", "hard_half_step",
           "spiked_singular_limits", "bbp_threshold", "top_singular_alignment",
           "subcritical_overlap_rate"]


def _he(k):
    return lambda z: hermite_normalised(k, z)


#: Named links (vectorised callables). "he2"/"he3" are the unit-variance Hermite polynomials (exponents 2, 3).
LINKS: dict[str, Callable] = {
    "linear": lambda z: np.asarray(z, float),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "he1+he2": lambda z: hermite_normalised(1, z) + hermite_normalised(2, z),
    "he2": _he(2),
    "he3": _he(3),
    "zero": lambda z: np.zeros_like(np.asarray(z, float)),
}


def link(name: str) -> Callable:
    """The named link function (see :data:`LINKS`)."""
    if name not in LINKS:
        raise ValueError(f"unknown link {name!r}; allowed: {sorted(LINKS)}")
    return LINKS[name]


@dataclass(frozen=True)
class LinkMoments:
    """``c = E[z g(z)] = E[g'(z)]``, ``m1 = E[g(z)]``, ``m2 = E[g(z)^2]`` under ``z ~ N(0, 1)``."""

    c: float
    m1: float
    m2: float


def _expect(h: Callable) -> float:
    """``E[h(Z)]``: adaptive quadrature of ``h phi`` on each half-line, split at 0 where the kinks of piecewise links
    (ReLU) sit; Gauss–Hermite would converge only algebraically there (error ~1e-3 for E[ReLU] at 200 nodes)."""
    def f(z):
        return float(h(np.asarray(z, float))) * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)

    lo = integrate.quad(f, -np.inf, 0.0, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    hi = integrate.quad(f, 0.0, np.inf, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    out = lo + hi
    if not math.isfinite(out):
        raise ValueError("a Gaussian moment of the link is not finite")
    return out


def link_moments(g: str | Callable) -> LinkMoments:
    """Gaussian moments of a link (adaptive quadrature split at 0; mpmath referee in the tests)."""
    f = link(g) if isinstance(g, str) else g
    return LinkMoments(_expect(lambda z: z * f(z)), _expect(f), _expect(lambda z: f(z) ** 2))


def _check_gamma(name, gamma):
    return check_scalar(name, gamma, 1e-4, 1e4)


def teacher_alignment(g_e: str | Callable, g_h: str | Callable, gamma: float, sigma2: float = 0.0) -> tuple[float, float]:
    r"""``(cos^2(v, u_e), cos^2(v, u_h))`` limits for ``v = X^T y / n`` (docs/feature_learning.md §2.2; module docstring).

    ``gamma = d/n`` in [1e-4, 1e4], ``sigma2 >= 0``. Raises ``ValueError`` if the target is identically zero.
    """
    gamma = _check_gamma("gamma", gamma)
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    e, h = link_moments(g_e), link_moments(g_h)
    Ey2 = e.m2 + h.m2 + 2.0 * e.m1 * h.m1 + sigma2
    den = e.c**2 + h.c**2 + gamma * Ey2
    if den <= 0:
        raise ValueError("the target y is identically zero (g_e = g_h = 0 and sigma2 = 0): no learned direction")
    return e.c**2 / den, h.c**2 / den


def hard_overlap_rate(g_e, g_h, gamma: float, sigma2: float = 0.0) -> float:
    r"""``lim d E[cos^2(v, u_h)] = gamma E[z_h^2 y^2] / (c_e^2 + gamma E[y^2])`` for a hard link with ``c_h = 0``
    (derived here: ``<v, u_h> = z_h^T y / n`` has mean ``c_h = 0`` and variance ``E[z_h^2 y^2]/n``, while ``||v||^2``
    concentrates). ``E[z_h^2 y^2] = E[g_e^2] + E[z^2 g_h^2] + 2 E[g_e] E[z^2 g_h] + sigma2``. The overlap with
    ``u_h`` therefore vanishes exactly at rate ``1/d``."""
    gamma = _check_gamma("gamma", gamma)
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    fe = link(g_e) if isinstance(g_e, str) else g_e
    fh = link(g_h) if isinstance(g_h, str) else g_h
    e, h = link_moments(fe), link_moments(fh)
    if abs(h.c) > 1e-12 * max(1.0, math.sqrt(h.m2)):
        raise ValueError(f"hard_overlap_rate needs a hard link with E[g_h'(z)] = 0, got {h.c:g}")
    z2h2 = _expect(lambda z: z * z * fh(z) ** 2)
    z2h1 = _expect(lambda z: z * z * fh(z))
    Ez2y2 = e.m2 + z2h2 + 2.0 * e.m1 * z2h1 + sigma2
    Ey2 = e.m2 + h.m2 + 2.0 * e.m1 * h.m1 + sigma2
    return gamma * Ez2y2 / (e.c**2 + gamma * Ey2)


def student_alignment(g_e, g_h, gamma_t: float, phi, gamma_s: float, sigma2: float = 0.0) -> float:
    r"""Limit of ``cos^2(v_s, u_e)`` for the student on labels ``phi(<w_t, x>)`` (module docstring, derived here):
    ``cos^2(v_t, u_e) c_phi^2 / (c_phi^2 + gamma_s E[phi^2])``."""
    rho2, _ = teacher_alignment(g_e, g_h, gamma_t, sigma2)
    gamma_s = _check_gamma("gamma_s", gamma_s)
    p = link_moments(phi)
    den = p.c**2 + gamma_s * p.m2
    if den <= 0:
        raise ValueError("the readout phi is identically zero: the student sees no signal")
    return rho2 * p.c**2 / den


def retained_overlaps(g_e, g_h, gamma_t: float, phi, gamma_s: float, rho_h: float, eta: float,
                      sigma2: float = 0.0) -> tuple[float, float, float]:
    r"""``(<w', u_h>, <w', u_h>/||w'||, <w', u_e>/||w'||)`` limits for ``w' = w + eta v_s`` with
    ``w = rho_h u_h + sqrt(1 - rho_h^2) xi`` (module docstring, derived here). ``eta >= 0``, ``rho_h`` in [0, 1].
    The sign of ``<v_s, u_e>`` is that of ``c_phi c_e`` (``cos(v_t, u_e)`` has the sign of ``c_e``)."""
    rho_h = check_scalar("rho_h", rho_h, 0.0, 1.0)
    eta = check_scalar("eta", eta, 0.0, 1e6)
    rho2, _ = teacher_alignment(g_e, g_h, gamma_t, sigma2)
    gamma_s = _check_gamma("gamma_s", gamma_s)
    p, e = link_moments(phi), link_moments(g_e)
    vs_ue = p.c * math.copysign(math.sqrt(rho2), e.c)
    vs2 = p.c**2 + gamma_s * p.m2
    norm = math.sqrt(1.0 + eta * eta * vs2)
    return rho_h, rho_h / norm, eta * vs_ue / norm


# ----- several steps with a fresh batch each (docs/feature_learning.md §2.7) -----------------------------------------

def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= 10**6:
        raise ValueError(f"steps must be an integer in [0, 1e6], got {steps!r}")
    return int(steps)


def _step_constants(g_e, g_h, gamma_t, phi, gamma_s, sigma2):
    """``(rho_e, c_phi, s2)``: the teacher direction's signed overlap with ``u_e``, ``E[phi'(z)]`` and the limit of
    ``||v_s||^2 = c_phi^2 + gamma_s E[phi^2]`` (docs/feature_learning.md §2.4)."""
    rho2, _ = teacher_alignment(g_e, g_h, gamma_t, sigma2)
    gamma_s = _check_gamma("gamma_s", gamma_s)
    p, e = link_moments(phi), link_moments(g_e)
    s2 = p.c**2 + gamma_s * p.m2
    if s2 <= 0:
        raise ValueError("the readout phi is identically zero: the student sees no signal")
    return math.copysign(math.sqrt(rho2), e.c), p.c, s2


def multi_step_overlaps(g_e, g_h, gamma_t: float, phi, gamma_s: float, rho_h: float, eta: float, steps: int,
                        sigma2: float = 0.0) -> np.ndarray:
    r"""Limits of the overlaps of a unit student neuron trained for ``steps`` steps on teacher labels, a fresh batch
    of ``n_s = d/gamma_s`` inputs at every step, renormalised after each step (docs/feature_learning.md §2.7):
    ``w_{k+1} = (w_k + eta v_k)/||w_k + eta v_k||`` with ``v_k = X_k^T phi(X_k w_t)/n_s``, started from
    ``w_0 = rho_h u_h + sqrt(1 - rho_h^2) xi``.

    Returns a ``(steps + 1, 3)`` array with rows ``k = 0..steps`` and columns ``(<w_k,u_e>, <w_k,u_h>, <w_k,w_t>)``.
    Each step is the one-step map of §2.5 applied to the unit neuron ``w_k``: the fresh batch gives
    ``v_k -> c_phi w_t + (isotropic part of squared norm gamma_s E[phi^2], orthogonal in the limit to w_k)``, so with
    ``q_k = <w_k, w_t>`` and ``N_k = 1 + 2 eta c_phi q_k + eta^2 (c_phi^2 + gamma_s E[phi^2])``:

        q_{k+1} = (q_k + eta c_phi)/sqrt(N_k),  m_e^{k+1} = (m_e^k + eta c_phi rho_e)/sqrt(N_k),
        m_h^{k+1} = m_h^k / sqrt(N_k),

    with ``q_0 = m_e^0 = 0``, ``m_h^0 = rho_h`` and ``rho_e = cos(v_t, u_e)`` (sign of ``c_e``). ``steps = 1`` is
    :func:`retained_overlaps`. ``rho_h`` in [0, 1], ``eta`` in [0, 1e6], ``steps`` an integer in [0, 1e6].
    """
    rho_h = check_scalar("rho_h", rho_h, 0.0, 1.0)
    eta = check_scalar("eta", eta, 0.0, 1e6)
    steps = _check_steps(steps)
    rho_e, c, s2 = _step_constants(g_e, g_h, gamma_t, phi, gamma_s, sigma2)
    out = np.empty((steps + 1, 3))
    me, mh, q = 0.0, rho_h, 0.0
    out[0] = me, mh, q
    for k in range(steps):
        norm = math.sqrt(1.0 + 2.0 * eta * c * q + eta * eta * s2)
        me, mh, q = (me + eta * c * rho_e) / norm, mh / norm, (q + eta * c) / norm
        out[k + 1] = me, mh, q
    return out


def hard_half_step(g_e, g_h, gamma_t: float, phi, gamma_s: float, eta: float, sigma2: float = 0.0) -> int:
    r"""The first step ``k`` at which the normalised hard overlap of :func:`multi_step_overlaps` falls below half its
    start, ``m_h^k < rho_h / 2`` (it does not depend on ``rho_h > 0``: ``m_h^k = rho_h prod_{j<k} N_j^{-1/2}``).
    Every ``N_j >= 1 + eta^2 ||v_s||^2 > 1`` once ``c_phi q_j >= 0`` (true for ``j >= 1``), so the overlap decays at
    least geometrically and the step exists for ``eta > 0``. ``eta`` in (0, 1e6]."""
    eta = check_scalar("eta", eta, 0.0, 1e6, lo_open=True)
    rho_e, c, s2 = _step_constants(g_e, g_h, gamma_t, phi, gamma_s, sigma2)
    mh, q = 1.0, 0.0
    for k in range(1, 10**6 + 1):
        norm = math.sqrt(1.0 + 2.0 * eta * c * q + eta * eta * s2)
        mh, q = mh / norm, (q + eta * c) / norm
        if mh < 0.5:
            return k
    raise ValueError(f"eta={eta:g} is too small: the hard overlap stays above half its start for 1e6 steps")


# ----- top singular vector of W_0 + eta G: a BBP-type transition (docs/feature_learning.md §2.8) ---------------------

def spiked_singular_limits(theta: float, psi: float) -> tuple[float, float, float]:
    r"""Top singular value and squared overlaps of the top singular vectors of ``W = X + theta p q^T``, ``X`` an
    ``N x d`` matrix of i.i.d. ``N(0, 1/d)`` entries, unit ``p`` (in R^N) and ``q`` (in R^d), ``N/d -> psi``
    (Benaych-Georges & Nadakuditi 2012, rectangular case; docs/feature_learning.md §2.8):

    * ``theta > psi^(1/4)``: ``sigma_1 -> sqrt((1 + theta^2)(psi + theta^2))/theta``,
      ``<r_1, q>^2 -> 1 - (psi + theta^2)/(theta^2 (theta^2 + 1))`` (right vector, in R^d),
      ``<l_1, p>^2 -> 1 - psi (1 + theta^2)/(theta^2 (theta^2 + psi))`` (left vector, in R^N);
    * ``theta <= psi^(1/4)``: ``sigma_1 -> 1 + sqrt(psi)`` (the bulk edge) and both overlaps -> 0.

    Returns ``(sigma_1, <r_1, q>^2, <l_1, p>^2)``. ``theta`` in [0, 1e6], ``psi`` in [1e-4, 1e4].
    """
    theta = check_scalar("theta", theta, 0.0, 1e6)
    psi = check_scalar("psi", psi, 1e-4, 1e4)
    if theta <= psi**0.25:
        return 1.0 + math.sqrt(psi), 0.0, 0.0
    t2 = theta * theta
    return (math.sqrt((1.0 + t2) * (psi + t2)) / theta, 1.0 - (psi + t2) / (t2 * (t2 + 1.0)),
            1.0 - psi * (1.0 + t2) / (t2 * (t2 + psi)))


def _spike_strength(g_e, g_h, gamma, act, sigma2):
    """``(|mu_1(act)| ||v||_inf, cos^2(v, u_e))``: the operator norm of the rank-one part of the step per unit of
    ``eta``, and the learned direction's alignment (docs/feature_learning.md §2.2, §2.8)."""
    gamma = _check_gamma("gamma", gamma)
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    mu1 = link_moments(act).c
    if abs(mu1) < 1e-12:
        raise ValueError(f"act={act!r} has first Hermite coefficient mu_1 = 0: the step has no rank-one part")
    e, h = link_moments(g_e), link_moments(g_h)
    v2 = e.c**2 + h.c**2 + gamma * (e.m2 + h.m2 + 2.0 * e.m1 * h.m1 + sigma2)
    if v2 <= 0:
        raise ValueError("the target y is identically zero (g_e = g_h = 0 and sigma2 = 0): no learned direction")
    return abs(mu1) * math.sqrt(v2), e.c**2 / v2


def bbp_threshold(g_e, g_h, gamma: float, act, psi: float, sigma2: float = 0.0) -> float:
    r"""The step size ``eta_c = psi^(1/4) / (|mu_1(act)| ||v||_inf)`` above which the top right singular vector of
    ``W_0 + eta G_1`` carries an O(1) overlap with the learned direction (docs/feature_learning.md §2.8)."""
    psi = check_scalar("psi", psi, 1e-4, 1e4)
    s, _ = _spike_strength(g_e, g_h, gamma, act, sigma2)
    return psi**0.25 / s


def top_singular_alignment(g_e, g_h, gamma: float, act, eta: float, psi: float,
                           sigma2: float = 0.0) -> tuple[float, float, float]:
    r"""Limits of ``(cos^2(r_1, v), cos^2(r_1, u_e), sigma_1)`` for the top right singular vector ``r_1`` of
    ``W_1 = W_0 + eta G_1``: ``W_0`` has i.i.d. ``N(0, 1/d)`` entries (``N x d``, ``N/d = psi``), ``G_1 =
    (mu_1/sqrt(N)) a v^T`` is the rank-one part of the first step (docs/feature_learning.md §2.1) with ``a`` in
    ``{-1, 1}^N`` and ``v = X^T y/n``. So ``W_1 = W_0 + theta p q^T`` with ``theta = eta |mu_1| ||v||`` and
    :func:`spiked_singular_limits` applies; the part of ``r_1`` orthogonal to ``q = v/||v||`` is uniform there (right
    rotation invariance of ``W_0``), hence ``cos^2(r_1, u_e) -> <r_1, q>^2 cos^2(v, u_e)``. ``eta`` in [0, 1e6]."""
    eta = check_scalar("eta", eta, 0.0, 1e6)
    psi = check_scalar("psi", psi, 1e-4, 1e4)
    s, align = _spike_strength(g_e, g_h, gamma, act, sigma2)
    sigma1, right, _left = spiked_singular_limits(eta * s, psi)
    return right, right * align, sigma1


def subcritical_overlap_rate(theta: float, psi: float) -> float:
    r"""``lim d E[<r_1, q>^2] = (1 + theta^2/psi) / (1 - theta^2/sqrt(psi))^2`` below the threshold
    ``theta < psi^(1/4)`` (derived here, docs/feature_learning.md §2.8): the top eigenvector of ``W^T W`` is the top
    noise mode ``b_1`` plus a correction from the rank-two perturbation, and to leading order
    ``<r_1, q> = [(I - H C)^{-1} f]_2`` with ``f = (s_1 <a_1, p>, <b_1, q>)``, ``C = theta [[0, 1], [1, theta]]`` and
    ``H = diag(1/sqrt(psi), 1/(1 + sqrt(psi)))`` the resolvent quadratic forms at the bulk edge. It equals 1 at
    ``theta = 0`` (a uniform vector) and diverges at the threshold. ``theta`` in [0, psi^(1/4)), ``psi`` in
    [1e-4, 1e4]."""
    psi = check_scalar("psi", psi, 1e-4, 1e4)
    theta = check_scalar("theta", theta, 0.0, psi**0.25, hi_open=True)
    t2 = theta * theta
    return (1.0 + t2 / psi) / (1.0 - t2 / math.sqrt(psi)) ** 2
