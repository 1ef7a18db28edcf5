r"""Feature elicitation by online SGD (Awano & Suzuki 2026, arXiv 2605.12908): the ``d -> infinity`` overlap ODEs.

No formula of the paper was available (docs/elicitation.md §6). Everything here is DERIVED in the proposed model
(docs/elicitation.md §1), in the general form simulated by :mod:`w2s.kernels.elicitation`; nothing
is the paper's theorem.

Model and normalisation
-----------------------
* One first-layer neuron ``w`` (unit norm: spherical updates), second-layer weight ``a`` (fixed), activation
  ``sigma`` (a polynomial, e.g. the normalised Hermite ``h_{p*}``, so that ``E[h_k(z) h_k(z')] = rho^k``).
* Target direction ``theta`` (unit); label ``y~ = T(g(<theta, x>) + tau zeta)``: link ``g``, weak-label noise
  ``tau zeta``, transform ``T`` (polynomials as power-basis coefficients; ``T`` = identity by default).
* Inputs ``x ~ N(0, P)`` with ``P`` the projection on an ``D_eff``-dimensional space containing ``theta`` and
  ``w``: ``D_eff = d`` for SFT (isotropic inputs), ``D_eff = r`` for W2S (inputs on ``V_kappa``, no leakage).
* Correlation loss and spherical update ``w <- normalise(w + eta u (I - w w^T) x)``, ``u = a y~ sigma'(<w, x>)``
  (the ``1/p`` of the network output absorbed into ``eta``).
* Scaling: ``eta = delta / D_eff`` and ``t = steps / D_eff``.

The ODE (derivation)
--------------------
For a fixed vector ``v`` let ``m_v = <w, v>``. With ``l = <w, x>`` and ``l_v = <v, x>``, one step gives
``<w', v> = (m_v (1 - eta u l) + eta u l_v) / N`` with ``N^2 = 1 - (eta u l)^2 + eta^2 u^2 |x|^2``. Since
``|x|^2 = D_eff (1 + O(D_eff^-1/2))`` and ``eta = delta / D_eff``, ``1/N = 1 - delta^2 u^2 / (2 D_eff) + O(D_eff^-2)``,
so the expected change per step is ``(1/D_eff) [delta E u (l_v - m_v l) - (delta^2/2) m_v E u^2] + O(D_eff^-2)``
and its variance ``O(D_eff^-2)``. Over ``D_eff`` steps per unit time the fluctuations average out (law of large
numbers for the martingale part, of order ``D_eff^-1/2``), and ``m_v`` follows

    dm_v/dt = delta a E[y~ sigma'(l) (l_v - m_v l)] - (delta^2 / 2) a^2 m_v E[y~^2 sigma'(l)^2],        (ODE)

the population drift plus the noise correction that the normalisation adds. The expectations are over the
Gaussian vector ``(l, l_theta, l_v)`` whose covariance is the Gram matrix of ``(w, theta, P v)``. Writing
``l_v = A l + B l_theta + (independent)`` with ``(A, B)`` from the ``2 x 2`` covariance of ``(l, l_theta)``, every
expectation reduces to three two-dimensional ones,
``E1 = E[F1(l_theta) sigma'(l) l]``, ``E2 = E[F1(l_theta) sigma'(l) l_theta]`` and
``Q = E[F2(l_theta) sigma'(l)^2]`` with ``F1(z) = E_zeta T(g(z) + tau zeta)`` and ``F2(z) = E_zeta T(...)^2``;
all integrands are polynomials, so tensor Gauss-Hermite quadrature of sufficient order is **exact**
(:func:`expectations`; mpmath referee in the tests). Corrections at finite ``D_eff`` are ``O(1/D_eff)`` in the
mean (the second-order effect of ``O(D_eff^-1/2)`` fluctuations), so a ladder in ``D_eff`` is extrapolated with
``alpha = 1``.

Checks of the derivation: for ``g = sigma = h_{p*}``, ``T`` = identity, ``tau = 0`` and ``delta -> 0`` (time
``delta t``), Stein's lemma gives ``E1 = E2 m``... concretely the drift is ``p* m^(p*-1) (1 - m^2)``
(docs/elicitation.md §2.2, P1), reproduced by :func:`drift` (tests). At ``p = p* = 2``, ``d = 100``,
``eta = 1e-3`` (``delta = 0.1``) the fixed point of (ODE) is ``m ~ 0.87``, within the plateau of 0.86-0.90
observed in SGD runs (docs/elicitation.md §2.4).

Quantities
----------
* :func:`alignment_trajectory` -- ``m(t)`` (P1) for W2S or SFT: same ODE, different ``D_eff`` and labels.
* :func:`retention_trajectory` -- an off-target neuron started at ``theta_k`` with ``<theta_k, theta> = rho``
  (P2): the pair ``(m, R)`` with ``R = <w, theta_k>``. For ``delta -> 0`` the motion is planar and
  ``R = cos(arccos rho - arccos m)`` (docs/elicitation.md §2.2, P2; :func:`planar_retention`); the noise term shrinks
  both overlaps by the same factor, which the full ODE keeps.
* :func:`escape_rate` and :func:`hitting_time_constant` -- the steps-to-alignment law from a random start
  (derived here, docs/elicitation.md §2.5): ``E[t_hit] = log(D_eff) / (2 lambda) + K* + o(1)`` (docstrings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import hermite_e as He
from numpy.polynomial import polynomial as Pw
from scipy.integrate import quad, solve_ivp

from ._validate import check_scalar
from .gaussian import DEFAULT_ORDER, hermite_coefficients

__all__ = ["Labels", "expectations", "drift", "alignment_trajectory", "retention_trajectory", "planar_retention",
           "planar_alignment", "fixed_point", "escape_rate", "hitting_time_constant", "hermite_link",
           "plain_update_moments", "plain_update_trajectory", "EULER_LOG_ABS_NORMAL", "TRANSFORMS", "weak_label_transform",
           "spherical_step_drift", "finite_size_alignment", "heavy_tail_correction", "plain_update_state",
           "READOUTS", "offtarget_risk", "offtarget_risk_one_neuron", "plain_update_offtarget_risk",
           "plain_update_matched_risk"]

#: ``E log|Z|`` for ``Z ~ N(0, 1)``: ``-(gamma_Euler + log 2) / 2``.
EULER_LOG_ABS_NORMAL = -(np.euler_gamma + math.log(2.0)) / 2.0


def hermite_link(k: int) -> np.ndarray:
    """Power-basis coefficients of the normalised Hermite polynomial ``h_k = He_k / sqrt(k!)``."""
    if int(k) != k or k < 0 or k > 30:
        raise ValueError(f"k (Hermite degree) must be an integer in [0, 30], got {k}")
    e = np.zeros(int(k) + 1)
    e[-1] = 1.0 / math.sqrt(math.factorial(int(k)))
    return He.herme2poly(e)


def _coeffs(name, c):
    if callable(c) or isinstance(c, str):
        raise ValueError(f"{name} must be a polynomial given by its power-basis coefficients (a non-empty 1-D array "
                         f"of finite numbers); got {c!r}: non-polynomial transforms are not supported")
    try:
        c = np.atleast_1d(np.asarray(c, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite power-basis coefficients, got {c!r}") from None
    if c.ndim != 1 or c.size == 0 or not np.all(np.isfinite(c)):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite power-basis coefficients, got {c!r}")
    return c


@dataclass(frozen=True)
class Labels:
    """The label model: link ``g``, weak-label noise sd ``tau``, transform ``T`` (power-basis coefficients),
    the activation ``sigma`` and the second-layer weight ``a``."""

    link: tuple
    act: tuple
    transform: tuple = (0.0, 1.0)
    tau: float = 0.0
    a: float = 1.0

    def __post_init__(self):
        _coeffs("link", self.link)
        _coeffs("act", self.act)
        _coeffs("transform", self.transform)
        check_scalar("tau", self.tau, 0.0, 1e6)
        check_scalar("a", self.a, -1e6, 1e6)

    @property
    def degree(self) -> int:
        g, s, T = (len(_coeffs("", c)) - 1 for c in (self.link, self.act, self.transform))
        return max(1, 2 * g * T + 2 * max(s - 1, 0) + 2)


def _label_moments(lab: Labels, z: np.ndarray):
    """``F1(z) = E_zeta T(g(z) + tau zeta)`` and ``F2(z) = E_zeta T(...)^2`` by exact Gauss-Hermite in zeta."""
    g = Pw.polyval(z, _coeffs("link", lab.link))
    T = _coeffs("transform", lab.transform)
    if lab.tau == 0:
        v = Pw.polyval(g, T)
        return v, v * v
    n = max(2, (len(T) - 1) + 1)
    zn, wn = He.hermegauss(n + 1)
    wn = wn / wn.sum()
    v = Pw.polyval(g[..., None] + lab.tau * zn, T)
    return v @ wn, (v * v) @ wn


def expectations(m: float, lab: Labels):
    """``(E1, E2, Q)`` at overlap ``m = <w, theta>`` (module docstring), exact by tensor Gauss-Hermite."""
    m = check_scalar("m", m, -1.0, 1.0)
    n = lab.degree // 2 + 2
    z, w = He.hermegauss(n)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    lt = z1
    ell = m * z1 + math.sqrt(max(0.0, 1.0 - m * m)) * z2
    F1, F2 = _label_moments(lab, lt)
    ds = Pw.polyval(ell, Pw.polyder(_coeffs("act", lab.act)))
    return (float(np.sum(W * F1 * ds * ell)), float(np.sum(W * F1 * ds * lt)), float(np.sum(W * F2 * ds * ds)))


def _rates(m, c_v, m_v, lab, delta):
    """``dm_v/dt`` for a vector ``v`` with ``<v, theta> = c_v`` (as seen by the inputs) and ``<w, v> = m_v``."""
    E1, E2, Q = expectations(m, lab)
    # l_v = A l + B l_theta + indep, with Cov(l, l_theta) = [[1, m], [m, 1]]
    det = 1.0 - m * m
    if det > 1e-14:
        A = (m_v - m * c_v) / det
        B = (c_v - m * m_v) / det
        Euv = A * E1 + B * E2
    else:  # l = sign(m) l_theta: l_v's part along them is m_v l
        Euv = m_v * E1
    return delta * lab.a * (Euv - m_v * E1) - 0.5 * delta * delta * lab.a * lab.a * m_v * Q


def drift(m: float, lab: Labels, delta: float = 1.0) -> float:
    """Right-hand side of (ODE) for the target overlap ``m`` (``v = theta``)."""
    check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    return _rates(m, 1.0, m, lab, delta)


#: Largest time of a trajectory (in units of D_eff steps): beyond it the ODE solvers' step control fails.
T_MAX = 1e12


def _ivp(rhs, t, y0):
    """The solution of ``y' = rhs(t, y)``, ``y(0) = y0``, at the checked times ``t`` (``(len(y0), len(t))``; scipy
    ``solve_ivp``, LSODA, rtol 1e-10); all times 0 return the start."""
    if t[-1] == 0.0:
        return np.repeat(np.asarray(y0, float)[:, None], t.size, axis=1)
    tu, inv = np.unique(t, return_inverse=True)  # repeated times are allowed
    sol = solve_ivp(rhs, (0.0, float(tu[-1])), y0, t_eval=tu, method="LSODA", rtol=1e-10, atol=1e-12)
    if not sol.success:
        raise RuntimeError(f"ODE integration failed: {sol.message}")
    return sol.y[:, inv]


def _check_times(t):
    try:
        t = np.atleast_1d(np.asarray(t, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"t (times) must be a non-empty sequence of numbers in [0, {T_MAX:g}], got {t!r}") from None
    if (t.ndim != 1 or t.size == 0 or np.any(~np.isfinite(t)) or np.any(t < 0) or np.any(t > T_MAX)
            or np.any(np.diff(t) < 0)):
        raise ValueError(f"t (times) must be a non-empty, non-decreasing sequence of numbers in [0, {T_MAX:g}], "
                         f"got {t}")
    return t


def alignment_trajectory(t, m0: float, lab: Labels, delta: float) -> np.ndarray:
    """``m(t)`` solving (ODE) from ``m(0) = m0`` (scipy ``solve_ivp``, LSODA, rtol 1e-10)."""
    m0 = check_scalar("m0", m0, -1.0, 1.0)
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    t = _check_times(t)
    return _ivp(lambda _, y: [drift(float(np.clip(y[0], -1, 1)), lab, delta)], t, [m0])[0]


def retention_trajectory(t, rho: float, lab: Labels, delta: float, m0: float | None = None):
    """``(m(t), R(t))`` for an off-target neuron started on ``theta_k`` (``<theta_k, theta> = rho``, so
    ``m(0) = rho`` and ``R(0) = 1`` unless ``m0`` is given): ``dR/dt`` is (ODE) with ``v = theta_k``,
    ``c_v = rho``. Valid for SFT (isotropic inputs) and for W2S when ``theta_k`` is replaced by its projection on
    ``V_kappa`` in ``c_v`` (here ``theta_k = rho theta + sqrt(1 - rho^2) xi`` with ``xi`` outside the input space
    sees ``c_v = rho`` either way)."""
    rho = check_scalar("rho", rho, -1.0, 1.0)
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    t = _check_times(t)
    m0 = rho if m0 is None else check_scalar("m0", m0, -1.0, 1.0)

    def rhs(_, y):
        m = float(np.clip(y[0], -1, 1))
        return [_rates(m, 1.0, m, lab, delta), _rates(m, rho, float(y[1]), lab, delta)]

    y = _ivp(rhs, t, [m0, 1.0])
    return y[0], y[1]


def planar_retention(m, rho):
    """``R = cos(arccos rho - arccos m)``: retention of a neuron moving in ``span{theta_k, theta}`` (docs/elicitation.md
    §2.2)."""
    rho = check_scalar("rho", rho, -1.0, 1.0)
    m = np.clip(np.asarray(m, float), -1.0, 1.0)
    return np.cos(np.arccos(rho) - np.arccos(m))


def planar_alignment(t, rho: float, p_star: int = 2):
    """Closed form of the noiseless ODE ``dm/dt = 2 m (1 - m^2)`` (``p* = 2``, time ``delta t``):
    ``m / sqrt(1 - m^2) = rho / sqrt(1 - rho^2) e^{2t}`` (docs/elicitation.md §2.2)."""
    if p_star != 2:
        raise ValueError(f"the closed form exists for p_star = 2 only, got {p_star}")
    rho = check_scalar("rho", rho, -1.0, 1.0, lo_open=True, hi_open=True)
    k = rho / math.sqrt(1 - rho * rho) * np.exp(2.0 * _check_times(t))
    return k / np.sqrt(1.0 + k * k)


def fixed_point(lab: Labels, delta: float, m_start: float = 0.9) -> float:
    """The stable fixed point ``m* > 0`` of (ODE): the noise floor below 1 (brentq on the drift)."""
    from scipy.optimize import brentq

    f = lambda m: drift(m, lab, delta)  # noqa: E731
    hi = 1.0
    if f(hi) >= 0:
        return 1.0
    lo = m_start
    while f(lo) <= 0:
        lo /= 2
        if lo < 1e-8:
            raise ValueError("no positive fixed point: the drift is not positive near 0")
    return brentq(f, lo, hi, xtol=1e-14)


def escape_rate(lab: Labels, delta: float) -> tuple[float, float]:
    """``(lambda, Q1)`` at the saddle ``m = 0``: ``lambda = dF/dm(0)`` the linear growth rate of (ODE) and
    ``Q1 = a^2 E[y~^2 sigma'(l)^2 l_theta^2]`` (at ``m = 0``) the per-unit-time variance of ``sqrt(D_eff) m``
    divided by ``delta^2``. ``lambda > 0`` needs an effective information exponent ``p* = 2`` (or 1)."""
    h = 1e-5
    lam = (drift(h, lab, delta) - drift(-h, lab, delta)) / (2 * h)
    n = lab.degree // 2 + 3
    z, w = He.hermegauss(n)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    F1, F2 = _label_moments(lab, z1)
    ds = Pw.polyval(z2, Pw.polyder(_coeffs("act", lab.act)))
    Q1 = float(np.sum(np.outer(w, w) * F2 * ds * ds * z1 * z1)) * lab.a ** 2
    return float(lam), Q1


def hitting_time_constant(lab: Labels, delta: float, level: float = 0.5, D: float | None = None) -> float:
    r"""``K*`` in ``E[t_hit] = log(D_eff) / (2 lambda) + K* + o(1)`` for the first time ``|m| >= level`` from a
    uniformly random start on the sphere of the input space (derived here; docs/elicitation.md §2.5).

    Derivation. Near the saddle, ``m`` obeys the linear SDE ``dm = lambda m dt + delta sqrt(Q1 / D) dB``. From
    ``m(0) ~ N(0, 1/D)`` (the first coordinate of a uniform unit vector), ``m(t) ~ e^{lambda t} A / sqrt(D)``
    for ``1 << t``, with ``A ~ N(0, s^2)``, ``s^2 = 1 + delta^2 Q1 / (2 lambda)``. Once ``|m|`` is of order 1 the
    dynamics is the deterministic (ODE) (fluctuations ``O(D^-1/2)``); from ``m = eps`` it reaches ``level`` after
    ``log(1/eps)/lambda + K_0`` with ``K_0 = int_0^level (1/F(m) - 1/(lambda m)) dm + log(level)/lambda``. Matching
    the two phases, ``t_hit = log(sqrt(D) / |A|) / lambda + K_0`` and
    ``E[t_hit] - log(D)/(2 lambda) -> K_0 - (log s + E log|Z|) / lambda`` with ``E log|Z| = -(gamma + log 2)/2``.
    The ODE drift ``F`` is odd in ``m`` for an even activation and link, so ``|m|`` is what is tracked.

    ``D`` given: the same construction with the finite-``D`` drift ``F_D`` of :func:`spherical_step_drift` in place
    of ``F`` (its rate ``lambda_D = F_D'(0)`` and its ``K_0``), the mean-field hitting law of the chain at that size
    (see :func:`finite_size_hitting_shift`).
    """
    level = check_scalar("level", level, 0.0, 1.0, lo_open=True, hi_open=True)
    lam, Q1 = escape_rate(lab, delta)
    F = lambda m: drift(m, lab, delta)  # noqa: E731
    if D is not None:
        corr = _finite_size_drift_spline(lab, delta, check_scalar("D", D, 3.0, 1e300))
        F = lambda m: drift(m, lab, delta) + float(corr(m))  # noqa: E731
        lam = _finite_size_rate(lam, corr)
    if lam <= 0:
        raise ValueError(f"the saddle at m = 0 is not linearly unstable (lambda = {lam:g}); K* needs p* <= 2")
    if D is None and fixed_point(lab, delta) <= level:
        raise ValueError(f"level = {level} lies above the noise floor m* = {fixed_point(lab, delta):.4f}")
    integrand = lambda m: 1.0 / F(m) - 1.0 / (lam * m)  # noqa: E731
    # the integrand is O(m) near 0 (the drift is odd); below m_lo, where the subtraction loses digits, its
    # integral is taken as the trapezoid m_lo * integrand(m_lo) / 2 (error O(m_lo^3))
    m_lo = 1e-3
    K0 = (quad(integrand, m_lo, level, limit=200, epsabs=1e-12, epsrel=1e-11)[0] + 0.5 * m_lo * integrand(m_lo)
          + math.log(level) / lam)
    s2 = 1.0 + delta * delta * Q1 / (2.0 * lam)
    return K0 - (0.5 * math.log(s2) + EULER_LOG_ABS_NORMAL) / lam


def _finite_size_rate(lam: float, corr) -> float:
    """``lambda_D = F_D'(0)``: the rate ``lambda`` plus the slope at 0 of the spline ``F_D - F_inf``."""
    return lam + float(corr(1e-4) - corr(-1e-4)) / 2e-4


def finite_size_hitting_shift(lab: Labels, delta: float, level: float, D: float) -> float:
    """``[log D / (2 lambda_D) + K_D] - [log D / (2 lambda) + K*]``: the part of the finite-size bias of the mean
    hitting time that the finite-``D`` drift ``F_D`` (:func:`spherical_step_drift`) causes, for a heavy-tailed label
    (:func:`hitting_time_constant` with and without ``D``), to be subtracted before a ``1/D`` extrapolation; what
    remains is the effect of the fluctuations, ``O(1/D)`` as for light-tailed labels. For ``T(h_3)`` at ``delta =
    0.01`` it is 0.74 time units at ``D = 1024`` and 0.07 at ``D = 16384`` (decaying like ``D^-0.8``). Memoised."""
    key = ("hit", lab, float(delta), float(level), float(D))
    if key not in _FS_CACHE:
        lam, _ = escape_rate(lab, delta)
        lam_D = _finite_size_rate(lam, _finite_size_drift_spline(lab, delta, D))
        _FS_CACHE[key] = (math.log(D) / (2 * lam_D) + hitting_time_constant(lab, delta, level, D)
                          - math.log(D) / (2 * lam) - hitting_time_constant(lab, delta, level))
    return _FS_CACHE[key]


# ----- P3': plain (unnormalised) updates, inputs on V_kappa with leakage ------------------------------------------

def plain_update_moments(var_l: float, cov: float, var_t: float, lab: Labels, loss: str = "squared"):
    """``(E[u l], E[u l_theta], E[u^2])`` for ``(l, l_theta)`` Gaussian with variances ``var_l``, ``var_t`` and
    covariance ``cov``; ``u = a (y~ - a sigma(l)) sigma'(l)`` (squared loss, one neuron) or ``a y~ sigma'(l)``
    (correlation loss). Exact tensor Gauss-Hermite quadrature (polynomial integrands)."""
    if loss not in ("squared", "correlation"):
        raise ValueError(f"loss must be 'squared' or 'correlation', got {loss!r}")
    var_l = check_scalar("var_l", var_l, 0.0, 1e12, lo_open=True)
    var_t = check_scalar("var_t", var_t, 0.0, 1e12, lo_open=True)
    st = math.sqrt(var_t)
    rest = var_l - cov * cov / var_t
    if rest < -1e-12 * var_l:
        raise ValueError(f"(var_l, cov, var_t) = ({var_l}, {cov}, {var_t}) is not a covariance")
    n = lab.degree + 4
    z, w = He.hermegauss(n)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    lt = st * z1
    ell = (cov / st) * z1 + math.sqrt(max(rest, 0.0)) * z2
    F1, F2 = _label_moments(lab, lt)
    act = _coeffs("act", lab.act)
    ds = Pw.polyval(ell, Pw.polyder(act))
    a = lab.a
    if loss == "squared":
        sg = a * Pw.polyval(ell, act)
        r1 = F1 - sg  # E[y~ - a sigma | l, l_theta]
        r2 = F2 - 2.0 * sg * F1 + sg * sg  # E[(y~ - a sigma)^2 | l, l_theta]
    else:
        r1, r2 = F1, F2
    return (float(np.sum(W * a * r1 * ds * ell)), float(np.sum(W * a * r1 * ds * lt)),
            float(np.sum(W * a * a * r2 * ds * ds)))


def plain_update_trajectory(t, rho: float, lab: Labels, delta: float, tau_x: float, nu: float,
                            protocol: str = "w2s", loss: str = "squared"):
    r"""P3' in the ODE limit: an off-target neuron started on ``theta_k = rho theta + sqrt(1 - rho^2) xi`` under
    **plain** online SGD (docs/elicitation.md §2.6, P3'); returns ``(m, b)`` at times ``t``: ``m = <w, theta>`` and the
    retained private part ``b = <w, xi>``.

    ``protocol="w2s"``: inputs ``x = U z + tau_x xi'`` on the ``r``-dimensional ``V_kappa`` (which contains
    ``theta``; ``xi`` is orthogonal to it) with isotropic leakage, ``d = nu r``, ``eta = delta / r``,
    ``t = steps / r``, ``r -> inf``. ``protocol="sft"``: isotropic inputs in dimension ``d`` (``xi`` among them),
    ``eta = delta / d``, ``t = steps / d`` (``tau_x`` and ``nu`` unused).

    Derivation (derived here; docs/elicitation.md §2.6). A plain step adds ``eta u x``. With the input covariance
    ``Sigma = (1 + tau_x^2) P_V + tau_x^2 (I - P_V)`` and Gaussian integration by parts,
    ``E[u x] = E[d u/d l] Sigma w + E[d u/d l_theta] Sigma theta``, where ``(l, l_theta)`` has variances
    ``(1 + tau_x^2) A + tau_x^2 C`` and ``1 + tau_x^2`` and covariance ``(1 + tau_x^2) m``; ``A = |P_V w|^2`` and
    ``C = |(I - P_V) w|^2``. The two Stein coefficients follow from ``(E[u l], E[u l_theta])`` by solving with that
    covariance. Linear overlaps have no second-order term under plain updates; the squared norms gain
    ``eta^2 E[u^2] |x^part|^2`` with ``|P_V x|^2 ~ (1 + tau_x^2) r`` and ``|(I - P_V) x|^2 ~ tau_x^2 (nu - 1) r``.
    Per unit time (``r`` steps):

        dm/dt = delta (1 + tau_x^2) (E_l m + E_t),        db/dt = delta tau_x^2 E_l b,
        dA/dt = 2 delta (1 + tau_x^2) (E_l A + E_t m) + delta^2 (1 + tau_x^2) E[u^2],
        dC/dt = 2 delta tau_x^2 E_l C + delta^2 tau_x^2 (nu - 1) E[u^2].

    At ``tau_x = 0``, ``b`` and ``C`` are constant (gradient confinement); leakage makes ``b`` decay (for the squared
    loss ``E_l`` contains ``-a^2 E[sigma'(l)^2] < 0``). For SFT the same equations hold with ``tau_x = 0``,
    ``nu = 1`` and ``xi`` inside the input space: ``db/dt = delta E_l b``.
    """
    rho = check_scalar("rho", rho, -1.0, 1.0)
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    tau_x = check_scalar("tau_x", tau_x, 0.0, 1e3)
    nu = check_scalar("nu", nu, 1.0, 1e12)
    if protocol not in ("w2s", "sft"):
        raise ValueError(f"protocol must be 'w2s' or 'sft', got {protocol!r}")
    t = _check_times(t)
    s = math.sqrt(1.0 - rho * rho)
    if protocol == "sft":
        tau_x, nu = 0.0, 1.0
        y0 = [1.0, 0.0, rho, s]  # A = |w|^2 (everything is "in V"), C = 0
    else:
        y0 = [rho * rho, s * s, rho, s]
    y = _plain_solve(t, y0, lab, delta, tau_x, nu, protocol, loss)
    return y[2], y[3]


def plain_update_state(t, m0: float, lab: Labels, delta: float, loss: str = "squared", A0: float = 1.0):
    """Plain-update W2S in the ODE limit for a neuron inside ``V_kappa`` (no leakage): ``(A(t), m(t))`` with
    ``A = |w|^2`` and ``m = <w, theta>`` from ``A(0) = A0``, ``m(0) = m0`` (same equations as
    :func:`plain_update_trajectory` with ``tau_x = 0``; nothing outside ``V_kappa`` moves). The normalised
    alignment is ``m / sqrt(A)``."""
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    A0 = check_scalar("A0", A0, 0.0, 1e12, lo_open=True)
    m0 = check_scalar("m0", m0, -math.sqrt(A0), math.sqrt(A0))
    y = _plain_solve(_check_times(t), [A0, 0.0, m0, 0.0], lab, delta, 0.0, 1.0, "w2s", loss)
    return y[0], y[2]


def _plain_solve(t, y0, lab, delta, tau_x, nu, protocol, loss):
    return _ivp(_plain_rhs(lab, delta, tau_x, nu, protocol, loss), t, y0)


def _plain_rhs(lab, delta, tau_x, nu, protocol, loss):
    """Right-hand side of the four-variable plain-update ODE in ``(A, C, m, b)`` (docs/elicitation.md §2.6)."""
    cpar, cperp = 1.0 + tau_x ** 2, tau_x ** 2
    b_gain = cpar if protocol == "sft" else cperp

    def rhs(_, y):
        A, C, m, b = y
        var_l = cpar * A + cperp * C
        Eul, Eut, Eu2 = plain_update_moments(var_l, cpar * m, cpar, lab, loss)
        det = var_l * cpar - (cpar * m) ** 2
        if det > 1e-12 * var_l * cpar:
            El = (cpar * Eul - cpar * m * Eut) / det
            Et = (var_l * Eut - cpar * m * Eul) / det
        else:  # l is a multiple of l_theta (w's V-part along theta, no leakage): u depends on l_theta alone
            El, Et = 0.0, Eut / cpar
        return [2 * delta * cpar * (El * A + Et * m) + delta ** 2 * cpar * Eu2,
                2 * delta * cperp * El * C + delta ** 2 * cperp * (nu - 1.0) * Eu2,
                delta * cpar * (El * m + Et),
                delta * b_gain * El * b]

    return rhs


# ----- transformed weak labels -----------------------------------------------------------------------------------

#: Supported label transforms of :func:`weak_label_transform`: the identity and the centred square.
TRANSFORMS = ("identity", "square")


def weak_label_transform(name: str, link, tau: float = 0.0) -> tuple:
    """Power-basis coefficients of a named transform ``T`` of the weak label ``y_w = g(z) + tau zeta``.

    ``"identity"``: ``T(y) = y``. ``"square"``: ``T(y) = y^2 - E y_w^2`` with ``E y_w^2 = E g(z)^2 + tau^2`` (exact
    Gauss-Hermite for the polynomial ``g``), the centred square that lowers the information exponent of
    ``h_3 = He_3/sqrt(6)`` from 3 to 2: ``h_3^2 = (He_6 + 9 He_4 + 18 He_2 + 6)/6`` has a ``He_2`` part. Only
    polynomial transforms enter the exact quadratures, so any other name raises ``ValueError``."""
    if name not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS} (polynomial transforms), got {name!r}")
    tau = check_scalar("tau", tau, 0.0, 1e6)
    if name == "identity":
        return (0.0, 1.0)
    g = _coeffs("link", link)
    z, w = He.hermegauss(len(g) + 2)
    second = float(np.sum(w / w.sum() * Pw.polyval(z, g) ** 2)) + tau * tau
    return (-second, 0.0, 1.0)


def spherical_step_drift(m: float, lab: Labels, delta: float, D: float) -> float:
    r"""Mean change of ``m = <w, theta>`` per unit time (``D`` steps) of the spherical chain at finite ``D = D_eff``:
    ``F_D(m) = D E[m' - m]``, the exact one-step mean, with ``|x_perp|^2`` at its mean (docs: finite size of
    heavy-tailed labels).

    Derivation. In the basis ``(w, e)`` of ``span{w, theta}`` write ``l = <w, x> = g1`` and
    ``l_theta = m g1 + s g2`` (``s = sqrt(1 - m^2)``), and ``X = |x|^2 - l^2 = g2^2 + chi^2(D - 2)``. With
    ``b = eta u = delta u / D``, the spherical step is ``w' = (w (1 - b l) + b x) / N``, ``N^2 = 1 + b^2 X``, so

        m' - m = (b s g2 - m (N - 1)) / N,     N - 1 = b^2 X / (1 + N)                                      (exact)

    Expanding ``1/N`` in ``b^2 X ~ delta^2 u^2 / D`` gives the limit drift of (ODE) plus terms
    ``delta^(2k) E[u^(2k)] D^(1-k)``. For a transformed label (``u`` a polynomial of degree 7 in Gaussians for
    ``T(h_3)`` with ``sigma = h_2``) the moments grow so fast that this series is useful only for
    ``D >> delta^2 E[u^(2k+2)] / E[u^(2k)]`` (about ``5 10^3`` at ``delta = 0.005``): in between, the steps whose jump
    ``delta |u| / sqrt(D)`` is of order one are cut off by the normalisation, the noise term is smaller than
    ``(delta^2/2) m E[u^2]``, and the overlap lies above the ODE by an amount that decays more slowly than
    ``1/D`` (a local exponent between 0 and 1). ``F_D`` keeps this effect whole. The chi-square's relative
    fluctuation ``sqrt(2/D)`` enters the mean at ``O(1/D)`` and is left to the fitted ``a/D``.

    The expectation over ``(g1, g2, zeta)`` is a tensor Gauss-Hermite sum (80 x 80 nodes, 30 for ``zeta``); the
    integrand is bounded and smooth, and the nodes resolve the tail region where ``b^2 X ~ 1`` (tests: against more
    nodes, and ``F_D -> drift`` as ``D -> inf``).
    """
    m = check_scalar("m", m, -1.0, 1.0)
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    D = check_scalar("D", D, 3.0, 1e300)
    return float(_step_drift_grid(np.array([m]), lab, delta, D)[0])


def _step_drift_grid(ms, lab, delta, D, n=80, nz=30):
    z, w = He.hermegauss(n)
    w = w / w.sum()
    if lab.tau > 0:
        zz, wz = He.hermegauss(nz)
        wz = wz / wz.sum()
    else:
        zz, wz = np.zeros(1), np.ones(1)
    g1, g2, ze = z[:, None, None], z[None, :, None], zz[None, None, :]
    W = w[:, None, None] * w[None, :, None] * wz[None, None, :]
    link, T = _coeffs("link", lab.link), _coeffs("transform", lab.transform)
    dact = Pw.polyder(_coeffs("act", lab.act))
    ds = Pw.polyval(g1, dact)
    X = g2 * g2 + (D - 2.0)
    out = np.empty(len(ms))
    for i, m in enumerate(ms):
        s = math.sqrt(max(0.0, 1.0 - m * m))
        u = lab.a * Pw.polyval(Pw.polyval(m * g1 + s * g2, link) + lab.tau * ze, T) * ds
        b = (delta / D) * u
        N = np.sqrt(1.0 + b * b * X)
        out[i] = D * float(np.sum(W * (b * s * g2 - m * b * b * X / (1.0 + N)) / N))
    return out


_FS_CACHE: dict = {}


def _finite_size_drift_spline(lab, delta, D):
    """``F_D - F_inf`` tabulated on 41 points of ``[-1, 1]`` and interpolated by a cubic spline (memoised)."""
    from scipy.interpolate import CubicSpline

    key = (lab, float(delta), float(D))
    if key not in _FS_CACHE:
        grid = np.linspace(-1.0, 1.0, 41)
        diff = _step_drift_grid(grid, lab, delta, D) - np.array([drift(float(m), lab, delta) for m in grid])
        _FS_CACHE[key] = CubicSpline(grid, diff)
    return _FS_CACHE[key]


def finite_size_alignment(t, m0: float, lab: Labels, delta: float, D: float) -> np.ndarray:
    """``m(t)`` solving ``dm/dt = F_D(m)`` (:func:`spherical_step_drift`), the mean-field trajectory of the spherical
    chain at finite ``D``. ``F_D - F_inf`` is tabulated on 41 points of ``[-1, 1]`` and interpolated by a cubic
    spline (it is smooth and three orders of magnitude smaller than ``F_inf``, which is kept exact)."""
    m0 = check_scalar("m0", m0, -1.0, 1.0)
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    D = check_scalar("D", D, 3.0, 1e300)
    t = _check_times(t)
    corr = _finite_size_drift_spline(lab, delta, D)
    return _ivp(lambda _, y: [drift(float(np.clip(y[0], -1, 1)), lab, delta) + float(corr(np.clip(y[0], -1, 1)))],
                t, [m0])[0]


def heavy_tail_correction(t, m0: float, lab: Labels, delta: float, D: float) -> np.ndarray:
    """``c_D(t) = m_D(t) - m(t)``: the finite-``D`` mean-field trajectory (:func:`finite_size_alignment`) minus the
    ``D -> inf`` one (:func:`alignment_trajectory`); the part of the finite-size bias of the spherical chain that the
    normalisation of heavy-tailed steps causes, to be subtracted before a ``1/D`` extrapolation (memoised: a ladder
    rung asks for it once per block of replicates)."""
    t = _check_times(t)
    key = ("c", tuple(t), float(m0), lab, float(delta), float(D))
    if key not in _FS_CACHE:
        _FS_CACHE[key] = finite_size_alignment(t, m0, lab, delta, D) - alignment_trajectory(t, m0, lab, delta)
    return _FS_CACHE[key].copy()


# ----- retention as a capability: the off-target task's risk --------------------------------------------------------

READOUTS = ("fixed", "refit")


def _pair_expectation(P1, P2, vx, vy, c):
    """``E[P1(X) P2(Y)]`` for ``(X, Y)`` centred Gaussian with variances ``vx, vy`` and covariance ``c`` (power-basis
    polynomials; tensor Gauss-Hermite with enough nodes to be exact)."""
    n = (len(P1) + len(P2)) // 2 + 2
    z, w = He.hermegauss(n)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    sx = math.sqrt(max(vx, 0.0))
    if sx == 0.0:
        X, Y = 0.0 * z1, math.sqrt(max(vy, 0.0)) * z2
    else:
        X = sx * z1
        Y = (c / sx) * z1 + math.sqrt(max(vy - c * c / vx, 0.0)) * z2
    return float(np.sum(W * Pw.polyval(X, P1) * Pw.polyval(Y, P2)))


def offtarget_risk(gram, link, act, a=None, readout: str = "fixed") -> float:
    r"""Risk of the off-target task ``k`` for the current first layer (docs/elicitation.md §2.8).

    ``gram``: the ``(p + 1) x (p + 1)`` Gram matrix of ``(w_1, ..., w_p, theta_k)`` (``|theta_k| = 1``); the task's
    reward is ``g(<theta_k, x>)`` (``link``) on isotropic inputs ``x ~ N(0, I_d)``, the network's features are
    ``sigma(<w_j, x>)`` (``act``). ``readout="fixed"``: the pre-trained second layer ``a`` (default all ones) is kept,
    ``f = (1/p) sum_j a_j sigma(<w_j, x>)`` and the risk is ``E (g - f)^2``; ``readout="refit"``: the best linear head
    over the current features, risk ``E g^2 - b^T G^+ b`` with ``G_ij = E sigma_i sigma_j`` and ``b_j = E g sigma_j``
    (least squares, so a singular ``G`` is allowed). Every expectation involves two fields at a time, whose law is
    fixed by the Gram matrix: exact tensor Gauss-Hermite quadrature (polynomial integrands). For
    ``g = sigma = h_2`` and one neuron with ``|w|^2 = v``, ``<w, theta_k> = c``:
    fixed ``1 - 2 c^2 + (3 v^2 - 2 v + 1) / 2``, refit ``1 - c^4 / ((3 v^2 - 2 v + 1) / 2)``."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    G0 = np.asarray(gram, float)
    if G0.ndim != 2 or G0.shape[0] != G0.shape[1] or G0.shape[0] < 2 or not np.all(np.isfinite(G0)):
        raise ValueError(f"gram must be a finite (p + 1) x (p + 1) Gram matrix with p >= 1, got shape {G0.shape}")
    if not np.allclose(G0, G0.T) or np.linalg.eigvalsh(G0).min() < -1e-10 * max(1.0, np.abs(G0).max()):
        raise ValueError("gram must be symmetric positive semidefinite (a Gram matrix)")
    if abs(G0[-1, -1] - 1.0) > 1e-10:
        raise ValueError(f"theta_k (the last vector of gram) must have unit norm, got |theta_k|^2 = {G0[-1, -1]}")
    p = G0.shape[0] - 1
    g, s = _coeffs("link", link), _coeffs("act", act)
    a = np.ones(p) if a is None else np.asarray(a, float).reshape(-1)
    if a.size != p or not np.all(np.isfinite(a)):
        raise ValueError(f"a must hold p = {p} finite second-layer weights, got {a!r}")
    Egg = _pair_expectation(g, g, 1.0, 1.0, 1.0)
    b = np.array([_pair_expectation(g, s, 1.0, G0[j, j], G0[-1, j]) for j in range(p)])
    G = np.array([[_pair_expectation(s, s, G0[i, i], G0[j, j], G0[i, j]) for j in range(p)] for i in range(p)])
    if readout == "fixed":
        return float(Egg - 2.0 * (a @ b) / p + (a @ G @ a) / p ** 2)
    coef = np.linalg.lstsq(G, b, rcond=None)[0]
    return float(Egg - b @ coef)


def plain_update_offtarget_risk(t, rho: float, lab: Labels, delta: float, tau_x: float, nu: float,
                                protocol: str = "w2s", readout: str = "fixed", loss: str = "squared") -> np.ndarray:
    """The off-target task's risk along the plain-update ODE (docs/elicitation.md §2.8): the neuron of
    :func:`plain_update_trajectory` (started on ``theta_k = rho theta + sqrt(1 - rho^2) xi``), the task's reward
    ``g(<theta_k, x>)`` with the target's link, risk :func:`offtarget_risk` of ``|w|^2 = A + C`` and
    ``<w, theta_k> = rho m + sqrt(1 - rho^2) b``, at the protocol's own times ``t`` (``steps / D_eff``)."""
    rho = check_scalar("rho", rho, -1.0, 1.0)
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    if protocol not in ("w2s", "sft"):
        raise ValueError(f"protocol must be 'w2s' or 'sft', got {protocol!r}")
    delta = check_scalar("delta", delta, 0.0, 1e3, lo_open=True)
    tau_x = check_scalar("tau_x", tau_x, 0.0, 1e3)
    nu = check_scalar("nu", nu, 1.0, 1e12)
    t = _check_times(t)
    s = math.sqrt(1.0 - rho * rho)
    if protocol == "sft":
        y0, tau_x, nu = [1.0, 0.0, rho, s], 0.0, 1.0
    else:
        y0 = [rho * rho, s * s, rho, s]
    A, C, m, b = _plain_solve(t, y0, lab, delta, tau_x, nu, protocol, loss)
    return np.array([offtarget_risk([[A[i] + C[i], rho * m[i] + s * b[i]], [rho * m[i] + s * b[i], 1.0]],
                                    lab.link, lab.act, [lab.a], readout) for i in range(len(t))])


def plain_update_matched_risk(level: float, rho: float, lab: Labels, delta: float, tau_x: float, nu: float,
                              protocol: str = "w2s", readout: str = "fixed", loss: str = "squared", t_max=200.0):
    """Comparison at matched target performance (docs/elicitation.md §2.8): the first time ``t_hit`` (the protocol's
    own unit) at which the target overlap ``m = <w, theta>`` of the plain-update ODE reaches ``level``, and the
    off-target risk then; ``(t_hit, risk)``. A ``ValueError`` if ``m`` stays below ``level`` up to ``t_max``."""
    level = check_scalar("level", level, 0.0, 1e3, lo_open=True)
    rho = check_scalar("rho", rho, -1.0, 1.0)
    if rho >= level:
        raise ValueError(f"level must exceed m(0) = rho = {rho}, got {level}")
    s = math.sqrt(1.0 - rho * rho)
    y0, tx, nn = ([1.0, 0.0, rho, s], 0.0, 1.0) if protocol == "sft" else ([rho * rho, s * s, rho, s], tau_x, nu)
    hit = lambda _, y: y[2] - level  # noqa: E731 -- scipy's event: m(t) = level
    hit.terminal, hit.direction = True, 1.0
    sol = solve_ivp(_plain_rhs(lab, delta, tx, nn, protocol, loss), (0.0, float(t_max)), y0, method="LSODA",
                    rtol=1e-10, atol=1e-12, events=hit)
    if not sol.success or sol.t_events[0].size == 0:
        raise ValueError(f"m(t) stays below level = {level} up to t_max = {t_max} ({protocol})")
    th = float(sol.t_events[0][0])
    return th, float(plain_update_offtarget_risk([th], rho, lab, delta, tau_x, nu, protocol, readout, loss)[0])


def offtarget_risk_one_neuron(v, c, link, act, a: float = 1.0, readout: str = "fixed") -> np.ndarray:
    """:func:`offtarget_risk` for one neuron, vectorised over arrays ``v = |w|^2`` and ``c = <w, theta_k>`` (the same
    exact quadrature; used on per-replicate simulation states)."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    v, c = np.broadcast_arrays(np.asarray(v, float), np.asarray(c, float))
    g, s = _coeffs("link", link), _coeffs("act", act)
    n = (2 * max(len(g), len(s))) // 2 + 2
    z, w = He.hermegauss(n)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    sv = np.sqrt(np.maximum(v, 0.0))[..., None, None]
    cc = c[..., None, None]
    safe = np.where(sv > 0, sv, 1.0)
    L = np.where(sv > 0, safe * z1, 0.0)
    Z = np.where(sv > 0, (cc / safe) * z1 + np.sqrt(np.maximum(1.0 - cc * cc / safe ** 2, 0.0)) * z2, z2)
    sig, gk = Pw.polyval(L, s), Pw.polyval(Z, g)
    Egg = float(np.sum(W * Pw.polyval(z1, g) ** 2))
    b = np.sum(W * gk * sig, axis=(-1, -2))
    G = np.sum(W * sig * sig, axis=(-1, -2))
    if readout == "fixed":
        return Egg - 2.0 * a * b + a * a * G
    return Egg - np.where(G > 0, b * b / np.where(G > 0, G, 1.0), 0.0)


# ----- steps to alignment for an information exponent k >= 3 (docs/elicitation.md §2.9) ---------------------------

def correlation_drift_coefficients(lab: Labels) -> np.ndarray:
    r"""``c_j = a f_j s_j`` (``j = 0 .. degree``) of the population overlap ``Phi(m) = E[F1(l_theta) sigma(l)] =
    sum_j c_j m^j`` (``f_j``, ``s_j``: the normalised-Hermite coefficients of ``F1 = E_zeta T(g + tau zeta)`` and of
    ``sigma``). The population drift of (ODE) is ``P(m) = (1 - m^2) Phi'(m)``; the information exponent is the
    smallest ``j >= 1`` with ``c_j != 0``. Exact Gauss-Hermite projections (polynomials of degree below the order)."""
    act = _coeffs("act", lab.act)
    kmax = len(act) - 1
    order = max(DEFAULT_ORDER, lab.degree + 4)
    f = hermite_coefficients(lambda z: _label_moments(lab, z)[0], kmax, order)
    s = hermite_coefficients(lambda z: Pw.polyval(z, act), kmax, order)
    return lab.a * f * s


def information_exponent(lab: Labels, tol: float = 1e-12) -> int:
    """The smallest ``j >= 1`` whose coefficient in :func:`correlation_drift_coefficients` is non-zero (relative to
    the largest); a ``ValueError`` when the label carries no signal the activation sees."""
    c = correlation_drift_coefficients(lab)
    big = np.max(np.abs(c[1:])) if c.size > 1 else 0.0
    for j in range(1, c.size):
        if abs(c[j]) > tol * big and big > 0:
            return j
    raise ValueError("the label and the activation share no Hermite component of degree >= 1: no drift")


def _escape_sde(lab: Labels, delta0: float):
    """The escape SDE of :func:`high_exponent_escape`: ``(k, c, A, Q0, kappa, G')`` (``c`` the drift coefficients,
    of the mirror image ``m -> -m`` when ``c_k < 0``); a ``ValueError`` where the law is not implemented."""
    c = correlation_drift_coefficients(lab)
    k = information_exponent(lab)
    if k < 3:
        raise ValueError(f"the information exponent is {k}: this law needs k >= 3 (k <= 2: hitting_time_constant)")
    if k % 2 == 0:
        raise ValueError(f"the information exponent is {k}: even k >= 4 (explosion to both sides) is not implemented")
    if k > 3:
        raise ValueError(f"the information exponent is {k}: only k = 3 is implemented (for odd k >= 5 the correction "
                         "c1 needs c_(k+1) = c_(k+2) = ... = c_(2k-3) = 0)")
    if k + 1 < c.size and abs(c[k + 1]) > 1e-12 * abs(c[k]):
        raise ValueError(f"the coefficient c_{k + 1} = {c[k + 1]:g} does not vanish: the first correction is then "
                         "D^(-(k-2)/2) log D, not implemented")
    if c[k] < 0:  # the mirror image m -> -m: c_j -> (-1)^j c_j, explosion towards +inf
        c = c * (-1.0) ** np.arange(c.size)
    A = k * c[k]
    _, _, Q0 = expectations(0.0, lab)
    _, Q1 = escape_rate(lab, 1.0)
    Q0 *= lab.a ** 2
    kappa = 2.0 / (delta0 * delta0 * Q1)

    def dG(y):
        return delta0 * A * y ** (k - 1) - delta0 * delta0 * Q0 * y / 2.0

    return k, c, A, Q0, kappa, dG


def _escape_w(kappa, dG, y_end):
    """``w(y) = int_0^inf exp(kappa (G(y - u) - G(y))) du`` on ``[-12, y_end]``, as the dense solution of
    ``w' = 1 - kappa G'(y) w`` started on its slow manifold ``1 / (kappa G')`` (Radau: stiff where ``G' > 0``), with
    the running integral ``kappa int Phi_N w`` as its second component."""
    from scipy.special import ndtr

    y0 = -12.0
    rhs = lambda y, s: [1.0 - kappa * dG(y) * s[0], kappa * ndtr(y) * s[0]]  # noqa: E731
    jac = lambda y, s: [[-kappa * dG(y), 0.0], [kappa * ndtr(y), 0.0]]  # noqa: E731
    sol = solve_ivp(rhs, (y0, y_end), [1.0 / (kappa * dG(y0)), 0.0], method="Radau", jac=jac, rtol=1e-11,
                    atol=1e-14, dense_output=True)
    if not sol.success:
        raise RuntimeError(f"escape-time integration failed: {sol.message}")
    return sol


def high_exponent_escape_slope(lab: Labels, delta0: float, x) -> np.ndarray:
    r"""``T'(x)``: the derivative of the mean explosion time ``T(x)`` of the escape SDE of
    :func:`high_exponent_escape` from ``mu(0) = x`` (derived here; docs/elicitation.md §3.3), in units of
    ``tau = steps / D^2`` per unit of ``mu = sqrt(D) m``:

        T'(x) = -kappa w(x),     w(x) = int_0^inf exp(kappa (G(x - u) - G(x))) du,

    (differentiate ``T(x) = kappa int_x^inf w(y) dy``). Ito's formula on ``T(mu)`` with ``L T = -1`` gives
    ``tau_explode = T(mu(0)) + int_0^tau T'(mu) delta0 sqrt(Q1) dW``: the martingale part of the explosion time,
    which a control variate subtracts. For ``x < -12`` and ``x > 200``, ``w = 1 / (kappa G'(x)) (1 + O(x^-3))``.
    When ``c_k < 0`` the escape is towards ``-inf`` (the mirror image): ``T'(x) = kappa w(-x)``.
    """
    delta0 = check_scalar("delta0", delta0, 0.0, 1e3, lo_open=True)
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite")
    k, c, A, Q0, kappa, dG = _escape_sde(lab, delta0)
    mirror = correlation_drift_coefficients(lab)[k] < 0
    if mirror:
        x = -x
    Y = 200.0
    sol = _escape_w(kappa, dG, Y)
    inside = (x >= -12.0) & (x <= Y)
    w = np.empty_like(x)
    w[inside] = sol.sol(x[inside])[0] if np.any(inside) else w[inside]
    w[~inside] = 1.0 / (kappa * dG(x[~inside]))
    return kappa * w if mirror else -kappa * w


def high_exponent_escape(lab: Labels, delta0: float, level: float = 0.5) -> tuple[int, float, float]:
    r"""Steps to alignment for an information exponent ``k >= 3`` (derived here; docs/elicitation.md §2.9):
    ``(k, K, c1)`` with

        E[steps_hit] = D^(k-1) (K + c1 D^(-(k-2)/2) + o(D^(-(k-2)/2)))      at  eta = delta0 D^(-(k-2)/2) / D,

    from a uniform random start on the sphere of the ``D = D_eff``-dimensional input space, until ``|m| >= level``.

    Why the step size must shrink. At ``eta = delta / D`` with ``delta`` fixed, (ODE) near ``m = 0`` is
    ``dm/dt = delta A m^(k-1) - (delta^2 / 2) Q0 m`` (``A = k c_k``, ``Q0 = a^2 E[y~^2 sigma'(l)^2]`` at ``m = 0``):
    for ``k >= 3`` the noise term wins below ``m ~ delta``, while the start is ``m ~ D^(-1/2)``, so escape needs a
    fluctuation across a barrier ``~ sqrt(D)`` standard deviations high: exponentially many steps. With
    ``delta = delta0 D^(-(k-2)/2)`` both terms act at ``m ~ D^(-1/2)``.

    The escape SDE. With ``mu = sqrt(D) m`` and ``tau = steps / D^(k-1)``, (ODE) and the per-step variance
    ``eta^2 Q1`` of ``m`` (``Q1`` of :func:`escape_rate`) give, as ``D -> inf``,

        d mu = (delta0 A mu^(k-1) - (delta0^2 / 2) Q0 mu) d tau + delta0 sqrt(Q1) dW,     mu(0) ~ N(0, 1),

    which explodes in finite time. ``K`` is its mean explosion time: for odd ``k`` (``A > 0``; ``A < 0`` is the
    mirror image ``m -> -m``) the mean first passage to ``+inf`` from ``x`` is
    ``T(x) = kappa int_x^inf dy int_-inf^y exp(kappa (G(z) - G(y))) dz`` with ``kappa = 2 / (delta0^2 Q1)`` and
    ``G(y) = delta0 A y^k / k - delta0^2 Q0 y^2 / 4``; averaging over ``mu(0)`` (Fubini) gives
    ``K = kappa int Phi_N(y) int_0^inf exp(kappa (G(y - u) - G(y))) du dy``.

    The leading correction. Once ``m`` is of order one the motion is the deterministic ``dm/dt = delta P(m)``, which
    reaches ``level`` rather than infinity, with the full ``P(m)`` rather than its leading term: in units of
    ``tau`` this shifts the mean by ``c1 D^(-(k-2)/2)``,
    ``c1 = (1/delta0) [int_0^level (1/P(m) - 1/(A m^(k-1))) dm - level^(2-k) / (A (k - 2))]``, finite when the
    next coefficient ``c_(k+1)`` vanishes (as for ``h_3`` labels with an ``h_3`` activation, where
    ``P = 3 m^2 (1 - m^2)``); a ``ValueError`` otherwise. The noise term and the finite-``D`` law of ``mu(0)`` enter
    at ``O(D^-(k-2))``.

    Implemented for ``k = 3``; even ``k`` (explosion to both sides) and odd ``k >= 5`` (whose ``c1`` needs more
    vanishing coefficients) are a ``ValueError``.
    """
    delta0 = check_scalar("delta0", delta0, 0.0, 1e3, lo_open=True)
    level = check_scalar("level", level, 0.0, 1.0, lo_open=True, hi_open=True)
    k, c, A, Q0, kappa, dG = _escape_sde(lab, delta0)

    # K = kappa int Phi_N(y) w(y) dy with w(y) = int_0^inf exp(kappa (G(y - u) - G(y))) du, which solves
    # w' = 1 - kappa G'(y) w (stiff and attracting where G' > 0): integrated with it from y = -12 (Phi_N < 2e-33;
    # w starts on its slow manifold 1/(kappa G')) to y = Y, and the tail int_Y^inf Phi_N w ~ int_Y^inf dy / G'(y)
    # (w = 1/(kappa G') (1 + O(y^-k)) there) by quadrature.
    Y = 200.0
    sol = _escape_w(kappa, dG, Y)
    tail = quad(lambda y: 1.0 / dG(y), Y, math.inf, epsabs=0.0, epsrel=1e-12)[0]
    K = float(sol.y[1, -1]) + tail

    def P(m):  # the population drift (of the mirror image when c_k < 0)
        return (1.0 - m * m) * sum(j * c[j] * m ** (j - 1) for j in range(1, c.size))

    integrand = lambda m: 1.0 / P(m) - 1.0 / (A * m ** (k - 1))  # noqa: E731
    m_lo = 1e-3
    I = quad(integrand, m_lo, level, limit=200, epsabs=1e-13, epsrel=1e-11)[0] + m_lo * integrand(m_lo)
    c1 = (I - level ** (2 - k) / (A * (k - 2))) / delta0
    return k, float(K), float(c1)
