r"""Surrogate-to-target distillation in ridgeless regression (Ildiz et al. 2025, arXiv 2410.18837): closed forms
derived under the setup of docs/surrogate_distillation.md §1.

Model. ``x ~ N(0, Sigma)``, ``Sigma = diag(lam)`` (``lam``: the ``p`` eigenvalues), target ``beta_star`` (in the
eigenbasis). The target model is the minimum-l2-norm interpolator (``p > n``) or least squares (``p < n``) on ``n``
samples with labels ``x^T theta + z``, ``z ~ N(0, sigma2)``, of a surrogate ``theta``. Its risk is the excess risk
``R(theta) = E ||beta_hat - beta_star||_Sigma^2`` (add ``sigma2`` for the test MSE).

Deterministic equivalent (``p > n``; docs §2.1): ``tau > 0`` solves ``sum_i lam_i / (lam_i + tau) = n``,
``zeta_i = lam_i/(lam_i + tau)``, ``df2 = sum zeta_i^2``, ``kappa = 1/(1 - df2/n)``, and

    R(theta) ~ sum_i lam_i [(zeta_i^2 + (kappa - 1)(1 - zeta_i)^2) theta_i^2 - 2 zeta_i beta_i theta_i + beta_i^2]
               + sigma2 (kappa - 1).

Under-parameterised (``n > p + 1``), exactly at every size: ``R(theta) = ||theta - beta_star||_Sigma^2 +
sigma2 p/(n - p - 1)`` (the inverse-Wishart mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.optimize import brentq

from ._validate import check_array, check_nonneg, check_scalar

__all__ = ["DE", "power_law", "two_level", "solve_de", "risk", "optimal_surrogate", "optimal_mask",
           "amplified", "risk_underparameterised", "risk_exponent", "scaling_constants", "scaling_target"]


@dataclass(frozen=True)
class DE:
    """The deterministic-equivalent quantities of one spectrum at sample size ``n`` (docs §2.1)."""

    n: int
    tau: float
    zeta: np.ndarray
    df2: float
    kappa: float
    converged: bool


def power_law(p: int, alpha: float) -> np.ndarray:
    """``lam_i = i^-alpha``, ``i = 1..p``."""
    p = _check_int("p", p, 1)
    alpha = check_scalar("alpha", alpha, 0.0, 10.0, lo_open=True)
    return np.arange(1, p + 1, dtype=float) ** -alpha


def two_level(p: int, frac: float, lam_hi: float, lam_lo: float) -> np.ndarray:
    """``lam_i = lam_hi`` for the first ``round(frac p)`` coordinates, ``lam_lo`` for the rest."""
    p = _check_int("p", p, 1)
    frac = check_scalar("frac", frac, 0.0, 1.0)
    lam_hi = check_scalar("lam_hi", lam_hi, 1e-12, 1e12)
    lam_lo = check_scalar("lam_lo", lam_lo, 1e-12, 1e12)
    k = int(round(frac * p))
    return np.concatenate([np.full(k, lam_hi), np.full(p - k, lam_lo)])


def _check_int(name, value, lo, hi=10**9):
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if v != value or not lo <= v <= hi:
        raise ValueError(f"{name}={value!r} is outside the allowed range: integers in [{lo}, {hi}]")
    return v


def _check_lam(lam):
    return check_array("lam", lam, 1e-300, 1e12, lo_open=True).ravel()


def solve_de(lam, n: int) -> DE:
    """``tau`` from ``sum_i lam_i/(lam_i + tau) = n`` by Brent's method (needs ``n < p``), and ``zeta``, ``df2``,
    ``kappa``. The left side decreases from ``p`` (tau -> 0) to 0, so the root is unique and bracketed."""
    lam = _check_lam(lam)
    n = _check_int("n", n, 1)
    if n >= lam.size:
        raise ValueError(f"n={n} is outside the allowed range for the over-parameterised deterministic equivalent: "
                         f"1 <= n < p = {lam.size} (use risk_underparameterised for n > p + 1)")

    def f(log_tau):
        return float(np.sum(lam / (lam + np.exp(log_tau)))) - n

    lo, hi = np.log(lam.min()) - 60.0, np.log(lam.sum() / n) + 5.0
    root, info = brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500, full_output=True)
    tau = float(np.exp(root))
    zeta = lam / (lam + tau)
    df2 = float(np.sum(zeta**2))
    return DE(n, tau, zeta, df2, 1.0 / (1.0 - df2 / n), bool(info.converged))


def _coef(de: DE):
    """Per-coordinate quadratic coefficient ``zeta^2 + (kappa - 1)(1 - zeta)^2`` of the DE risk."""
    return de.zeta**2 + (de.kappa - 1.0) * (1.0 - de.zeta) ** 2


def _vectors(lam, beta_star, theta=None):
    lam = _check_lam(lam)
    b = check_array("beta_star", beta_star, -1e12, 1e12).ravel()
    if b.shape != lam.shape:
        raise ValueError(f"beta_star must have the p = {lam.size} entries of lam, got {b.size}")
    if theta is None:
        return lam, b
    t = check_array("theta", theta, -1e12, 1e12).ravel()
    if t.shape != lam.shape:
        raise ValueError(f"theta must have the p = {lam.size} entries of lam, got {t.size}")
    return lam, b, t


def risk(*, lam, beta_star, theta, n: int, sigma2: float = 0.0) -> float:
    """Deterministic equivalent of ``E||beta_hat - beta_star||_Sigma^2`` for a min-norm target on ``n`` samples
    labelled by the surrogate ``theta`` with noise variance ``sigma2`` (``p > n``; docs §2.1)."""
    lam, b, t = _vectors(lam, beta_star, theta)
    sigma2 = float(check_nonneg("sigma2", sigma2))
    de = solve_de(lam, n)
    return float(np.sum(lam * (_coef(de) * t**2 - 2.0 * de.zeta * b * t + b**2)) + sigma2 * (de.kappa - 1.0))


def risk_underparameterised(*, lam, beta_star, theta, n: int, sigma2: float = 0.0) -> float:
    """Exact ``E||beta_hat - beta_star||_Sigma^2`` of least squares for ``n > p + 1`` (docs §2.4): the signal is
    recovered exactly, ``||theta - beta_star||_Sigma^2``, plus ``sigma2 E tr((Z^T Z)^{-1}) = sigma2 p/(n-p-1)``."""
    lam, b, t = _vectors(lam, beta_star, theta)
    sigma2 = float(check_nonneg("sigma2", sigma2))
    n = _check_int("n", n, 1)
    p = lam.size
    if n <= p + 1:
        raise ValueError(f"n={n} is outside the allowed range n > p + 1 = {p + 1} of the under-parameterised risk")
    return float(np.sum(lam * (t - b) ** 2) + sigma2 * p / (n - p - 1))


def optimal_surrogate(*, lam, beta_star, n: int) -> np.ndarray:
    """Minimiser of the DE risk over surrogates (docs §2.2): ``theta_i = beta_i zeta_i / (zeta_i^2 + (kappa - 1)
    (1 - zeta_i)^2)``; amplifies coordinate ``i`` exactly when ``lam_i > (kappa - 1) tau``. For ``n > p`` the
    optimum is ``beta_star`` itself (docs §2.4)."""
    lam, b = _vectors(lam, beta_star)
    n = _check_int("n", n, 1)
    if n > lam.size:
        return b.copy()
    de = solve_de(lam, n)
    return b * de.zeta / _coef(de)


def optimal_mask(*, lam, n: int) -> np.ndarray:
    """The optimal 0-1 mask (``theta_i in {0, beta_i}``) of the DE risk (docs §2.3): keep ``i`` iff
    ``kappa (1 - zeta_i)^2 < 1`` (the coordinate's DE cost with ``theta_i = beta_i`` is ``lam_i beta_i^2 kappa
    (1 - zeta_i)^2``, with ``theta_i = 0`` it is ``lam_i beta_i^2``)."""
    de = solve_de(lam, n)
    return de.kappa * (1.0 - de.zeta) ** 2 < 1.0


def amplified(*, lam, n: int) -> np.ndarray:
    """Coordinates the optimal surrogate amplifies: ``lam_i > (kappa - 1) tau``."""
    de = solve_de(lam, n)
    return np.asarray(lam) > (de.kappa - 1.0) * de.tau


# ----- scaling law: lam_i = i^-alpha, lam_i beta_i^2 = i^-beta, p = c n (docs §2.5) -------------------------------

def _check_scaling(alpha, beta, c):
    alpha = check_scalar("alpha", alpha, 0.0, 10.0, lo_open=True)
    beta = check_scalar("beta", beta, 1.0, 2.0 * alpha + 1.0, lo_open=True, hi_open=True)
    c = check_scalar("p_over_n", c, 1.0, 1e6, lo_open=True)
    return alpha, beta, c


def scaling_target(p: int, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``(lam, beta_star)`` with ``lam_i = i^-alpha`` and ``lam_i beta_i^2 = i^-beta`` (``beta_i > 0``)."""
    lam = power_law(p, alpha)
    beta = check_scalar("beta", beta, 0.0, 100.0)
    return lam, np.sqrt(np.arange(1, lam.size + 1, dtype=float) ** -beta / lam)


def risk_exponent(*, alpha: float, beta: float, p_over_n: float = 2.0) -> float:
    """The exponent ``e`` of ``R ~ C n^-e`` for gold labels and for the optimal surrogate alike: ``e = beta - 1``
    (``1 < beta < 2 alpha + 1``, ``p = c n``, no label noise; docs §2.5)."""
    alpha, beta, _ = _check_scaling(alpha, beta, p_over_n)
    return beta - 1.0


def scaling_constants(*, alpha: float, beta: float, p_over_n: float = 2.0) -> dict:
    """The constants ``C`` of ``R ~ C n^-(beta - 1)`` for gold labels and the optimal surrogate (docs §2.5).

    With ``x = i/n`` in ``(0, c]`` the DE becomes: ``u = tau n^alpha`` solves ``int_0^c dx/(1 + u x^alpha) = 1``;
    ``zeta(x) = 1/(1 + u x^alpha)``; ``kappa = 1/(1 - int_0^c zeta^2)``; ``C_gold = kappa int_0^c x^-beta
    (1 - zeta)^2``; ``C_opt = int_0^c x^-beta (kappa - 1)(1 - zeta)^2 / (zeta^2 + (kappa - 1)(1 - zeta)^2)``;
    the optimal mask keeps ``x < x_m`` (``kappa (1 - zeta(x_m))^2 = 1``): ``C_mask = kappa int_0^x_m x^-beta
    (1 - zeta)^2 + int_x_m^c x^-beta``.
    """
    alpha, beta, c = _check_scaling(alpha, beta, p_over_n)
    quad = dict(limit=400, epsabs=0.0, epsrel=1e-11)

    def mass(u):
        return integrate.quad(lambda x: 1.0 / (1.0 + u * x**alpha), 0.0, c, **quad)[0] - 1.0

    # mass(u) decreases from c - 1 > 0 (u -> 0) to -1 (u -> inf); bracket it by doubling from u = 1
    lo, hi = 1.0, 1.0
    while mass(lo) < 0:
        lo /= 4.0
    while mass(hi) > 0:
        hi *= 4.0
    u, info = brentq(mass, lo, hi, xtol=1e-300, rtol=1e-14, maxiter=500, full_output=True)

    def zeta(x):
        return 1.0 / (1.0 + u * x**alpha)

    df2 = integrate.quad(lambda x: zeta(x) ** 2, 0.0, c, **quad)[0]
    kappa = 1.0 / (1.0 - df2)
    # integrands ~ x^(2 alpha - beta) at 0 (integrable since beta < 2 alpha + 1); written with (1 - zeta) =
    # u x^alpha zeta to avoid cancellation
    gold = kappa * integrate.quad(lambda x: x ** (2 * alpha - beta) * (u * zeta(x)) ** 2, 0.0, c, **quad)[0]

    def opt_integrand(x):
        z = zeta(x)
        om = u * x**alpha * z
        return x ** (2 * alpha - beta) * (u * z) ** 2 * (kappa - 1.0) / (z * z + (kappa - 1.0) * om * om)

    opt = integrate.quad(opt_integrand, 0.0, c, **quad)[0]
    # the optimal mask keeps x < x_m, where kappa (1 - zeta)^2 = 1, i.e. u x^alpha = s/(1 - s), s = kappa^-1/2
    s = kappa**-0.5
    x_m = min(c, (s / ((1.0 - s) * u)) ** (1.0 / alpha))
    kept = kappa * integrate.quad(lambda x: x ** (2 * alpha - beta) * (u * zeta(x)) ** 2, 0.0, x_m, **quad)[0]
    mask = kept + (x_m ** (1.0 - beta) - c ** (1.0 - beta)) / (beta - 1.0)
    return {"u": float(u), "kappa": float(kappa), "C_gold": float(gold), "C_opt": float(opt), "C_mask": float(mask),
            "x_mask": float(x_m), "ratio": float(opt / gold), "converged": bool(info.converged)}
