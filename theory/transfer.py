r"""Transfer-learning view of W2S (Somerstep et al., ICLR 2025, arXiv 2405.16236).

Every statement here is DERIVED in the model RECONSTRUCTED in docs/transfer.md §1 (the exact statements of the
paper's results were not available; nothing is quoted as its theorem). Model and normalisation:

* features ``x`` with ``E[x x^T] = c I_d``: ``c = 1/3`` for ``Unif[-1, 1]^d`` (``design="uniform"``), ``c = 1`` for
  ``N(0, I_d)`` (``design="gaussian"``);
* ``K`` orthonormal concepts ``beta_k``; source prior ``alpha^P``; target ``beta_Q = beta_{k*}``;
  ``beta_P = sum_k alpha^P_k beta_k``;
* weak labels ``Y' = (beta_Q + beta^w)^T x + eps``, ``eps ~ N(0, sigma2)``, bias ``beta^w`` orthogonal to every
  concept (``||beta^w||^2 = b2``; ``b2 = 0`` is the unbiased weak model);
* errors in parameter space, ``||beta_hat - beta_Q||^2`` (multiply by ``c`` for prediction risk);
* ``eps_P^2 = ||beta_P - beta_Q||^2``, ``eps_Q'^2 = b2``.

Naive fine-tuning (docs/transfer.md §2.2): ``beta_lam = (S + lam I)^{-1}(X^T Y'/n + lam beta_P)``; population limit ``a
beta_Q' + (1 - a) beta_P`` with ``a = c/(c + lam)``; bias ``a^2 eps_Q'^2 + (1-a)^2 eps_P^2 >= H = eps_P^2
eps_Q'^2/(eps_P^2 + eps_Q'^2)``, with equality at ``lam* = c eps_Q'^2/eps_P^2``.

Convex hull (docs/transfer.md §2.3): ``n E||beta_C - beta_Q||^2 -> (sigma2 + c b2) delta / c`` with ``delta`` the
statistical dimension of the tangent cone of ``conv{beta_k}`` at the vertex ``beta_{k*}``, ``T = cone{e_k - e_1 : k =
2..K}`` (coordinates in the concept basis). Projection onto ``T`` (derived here from the KKT conditions): with ``t``
solving ``t = g_1 + sum_{k>=2} (g_k - t)_+``, the weights are ``w_k = (g_k - t)_+`` and ``||Pi_T g||^2 = (sum w)^2 + sum
w^2``; ``delta = E||Pi_T g||^2`` is evaluated by Monte Carlo with a stated standard error
(:func:`statistical_dimension`).

ICL refinement (docs/transfer.md §2.4-2.5): posterior ``pi_k(D) ∝ alpha^P_k prod_i N(Y'_i; beta_k^T x_i, sigma2)``;
misalignment ``M = 1 - pi_{k*}``. Log-odds increment against competitor ``k``: ``Delta = (u^2 + 2u(beta^w^T x + eps))/(2
sigma2)``, ``u = (beta_{k*} - beta_k)^T x``. Chernoff mean rate ``r* = sup_{lam in [0,1]} -log E[exp(-lam Delta)]`` and,
since all competitors are at the same distance, ``-(1/n) log E[M] -> r*``. With ``s = lam u b / sigma2``: ``E[exp(-lam
Delta) | u] = exp(-lam (1 - lam) u^2 / (2 sigma2)) E_w[exp(-s w)]`` where ``w = beta^w^T x / b``; ``E_w = sinh(s)/s``
for a uniform design (``w ~ Unif[-1, 1]``) and ``exp(s^2/2)`` for a Gaussian one. ``u`` has the triangular density
``(2 - |u|)/4`` on ``[-2, 2]`` (uniform design) or is ``N(0, 2)`` (Gaussian): one 1-D integral (:func:`chernoff_rate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize

from ._validate import check_scalar

__all__ = ["DESIGNS", "second_moment", "biases", "naive_floor", "naive_lambda_star", "naive_bias",
           "naive_bias_target", "naive_floor_target", "hull_target_bias", "hull_target_variance",
           "naive_mse", "project_vertex_cone", "statistical_dimension", "convex_hull_limit", "chernoff_rate",
           "ChernoffRate", "typical_rate", "refined_excess_risk"]

DESIGNS = ("uniform", "gaussian")


def second_moment(design: str) -> float:
    """``c`` with ``E[x x^T] = c I``: 1/3 for ``Unif[-1, 1]^d``, 1 for ``N(0, I)``."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    return 1.0 / 3.0 if design == "uniform" else 1.0


def _check_prior(alpha_P, k_star: int) -> np.ndarray:
    a = np.asarray(alpha_P, dtype=float)
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)) or np.any(a < 0) or abs(a.sum() - 1.0) > 1e-9:
        raise ValueError(f"alpha_P must be a probability vector (non-negative, summing to 1), got {alpha_P!r}")
    if isinstance(k_star, bool) or not isinstance(k_star, (int, np.integer)) or not 0 <= k_star < a.size:
        raise ValueError(f"k_star must be an index in [0, {a.size - 1}], got {k_star!r}")
    return a


def biases(alpha_P, k_star: int, b2: float) -> tuple[float, float]:
    """``(eps_P^2, eps_Q'^2) = (||alpha^P - e_{k*}||^2, b2)`` (orthonormal concepts; docs/transfer.md §2.1)."""
    a = _check_prior(alpha_P, k_star)
    b2 = check_scalar("b2", b2, 0.0, 1e10)
    e = a.copy()
    e[k_star] -= 1.0
    return float(e @ e), b2


def naive_floor(alpha_P, k_star: int, b2: float) -> float:
    """``H = eps_P^2 eps_Q'^2/(eps_P^2 + eps_Q'^2)`` (0 when either bias is 0), docs/transfer.md §2.2."""
    eP, eQ = biases(alpha_P, k_star, b2)
    return 0.0 if eP == 0.0 or eQ == 0.0 else eP * eQ / (eP + eQ)


def naive_lambda_star(alpha_P, k_star: int, b2: float, design: str = "uniform") -> float:
    """``lam* = c eps_Q'^2 / eps_P^2`` (docs/transfer.md §2.2); raises if ``eps_P = 0`` (then every ``lam`` is
    optimal)."""
    eP, eQ = biases(alpha_P, k_star, b2)
    if eP == 0.0:
        raise ValueError("eps_P^2 = 0 (the source prior is already the target): lam* is not unique")
    return second_moment(design) * eQ / eP


def naive_bias(lam, alpha_P, k_star: int, b2: float, design: str = "uniform"):
    """Population squared bias ``a^2 eps_Q'^2 + (1 - a)^2 eps_P^2``, ``a = c/(c + lam)``, ``lam >= 0``."""
    eP, eQ = biases(alpha_P, k_star, b2)
    lam = np.asarray(lam, dtype=float)
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"lam must be finite and >= 0, got {lam!r}")
    c = second_moment(design)
    a = c / (c + lam)
    out = a * a * eQ + (1.0 - a) ** 2 * eP
    return float(out) if out.ndim == 0 else out


def naive_mse(lam, n: int, d: int, alpha_P, k_star: int, b2: float, sigma2: float, design: str = "uniform"):
    """Finite-``n`` approximation (docs/transfer.md §2.2): bias ``+ sigma2 d c / ((c + lam)^2 n)`` (first order in
    ``d/n``). The weak bias ``beta^w`` lies in the feature space, so the unconstrained fit can represent it: it is part
    of the target ``beta_Q'`` of the fit, not noise (unlike for the convex-hull estimator)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d must be an integer >= 1, got {d!r}")
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    c = second_moment(design)
    lam = np.asarray(lam, dtype=float)
    var = sigma2 * d * c / ((c + lam) ** 2 * n)
    return naive_bias(lam, alpha_P, k_star, b2, design) + var


def project_vertex_cone(g: np.ndarray) -> np.ndarray:
    """``||Pi_T g||^2`` for rows ``g`` (``m x K``, coordinate 0 = the vertex ``k*``) and
    ``T = cone{e_k - e_0}`` (module docstring; exact, by sorting)."""
    g = np.atleast_2d(np.asarray(g, dtype=float))
    g1, rest = g[:, 0], -np.sort(-g[:, 1:], axis=1)  # competitors in decreasing order
    m, K1 = rest.shape
    # t = g1 + sum_{k<=j} (g_k - t) for the active set of the j largest: t = (g1 + S_j)/(1 + j); pick the j that
    # is self-consistent (g_j > t >= g_{j+1}); j = 0 (t = g1) when g1 >= max competitor.
    cs = np.cumsum(rest, axis=1)
    j = np.arange(1, K1 + 1)
    t_j = (g1[:, None] + cs) / (1.0 + j)
    nxt = np.concatenate([rest[:, 1:], np.full((m, 1), -np.inf)], axis=1)
    ok = (rest > t_j) & (t_j >= nxt)
    t = np.where(ok.any(axis=1), np.sum(np.where(ok, t_j, 0.0), axis=1) / np.maximum(ok.sum(axis=1), 1), g1)
    t = np.where(rest[:, 0] <= g1, g1, t)
    w = np.maximum(rest - t[:, None], 0.0)
    W = w.sum(axis=1)
    return W * W + np.sum(w * w, axis=1)


def statistical_dimension(K: int, samples: int = 2_000_000, seed: int = 20250101) -> tuple[float, float]:
    """``(delta, standard error)`` of the tangent cone of the ``K``-simplex at a vertex, by Monte Carlo over
    ``samples`` Gaussian vectors (a fixed seed: the value is a constant of the theory, reproducible)."""
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1 or K > 1000:
        raise ValueError(f"K must be an integer in [1, 1000], got {K!r}")
    if K == 1:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    vals = np.concatenate([project_vertex_cone(rng.standard_normal((min(samples, 200_000), K)))
                           for _ in range(max(1, samples // 200_000))])
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(vals.size))


def convex_hull_limit(K: int, sigma2: float, b2: float, design: str = "uniform", samples: int = 2_000_000):
    """``(lim n E||beta_C - beta_Q||^2, standard error)`` = ``(sigma2 + c b2) delta / c`` (docs/transfer.md §2.3)."""
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    b2 = check_scalar("b2", b2, 0.0, 1e10)
    c = second_moment(design)
    delta, se = statistical_dimension(K, samples)
    f = (sigma2 + c * b2) / c
    return f * delta, f * se


@dataclass(frozen=True)
class ChernoffRate:
    """``r* = -log E[exp(-lam* Delta)]`` at the maximising ``lam*``; ``converged``: the optimiser's status."""

    rate: float
    lam: float
    converged: bool


def _mgf(lam: float, sigma2: float, b: float, design: str) -> float:
    s2 = sigma2

    def inner(u):
        quad_part = math.exp(-lam * (1.0 - lam) * u * u / (2.0 * s2))
        s = lam * u * b / s2
        if design == "uniform":
            ew = 1.0 if abs(s) < 1e-12 else math.sinh(s) / s
        else:
            ew = math.exp(0.5 * s * s)
        return quad_part * ew

    if design == "uniform":
        val = integrate.quad(lambda u: inner(u) * (2.0 - u) / 2.0, 0.0, 2.0, epsabs=1e-14, epsrel=1e-12)[0]
    else:  # u ~ N(0, 2); the integrand is even, exp(kappa u^2) times the density, finite iff 4 kappa < 1
        kappa = -lam * (1.0 - lam) / (2.0 * s2) + 0.5 * (lam * b / s2) ** 2
        if 4.0 * kappa >= 1.0:
            return math.inf
        # one exponent (the two factors separately overflow at large u although their product is small)
        dens = lambda u: math.exp((kappa - 0.25) * u * u) / math.sqrt(4.0 * math.pi)  # noqa: E731
        val = 2.0 * integrate.quad(dens, 0.0, np.inf, epsabs=1e-14, epsrel=1e-12)[0]
    return val


def chernoff_rate(sigma2: float, b2: float, design: str = "uniform") -> ChernoffRate:
    """Chernoff mean rate of the misalignment (docs/transfer.md §2.5; derived in the module docstring):
    ``r* = sup_{lam in [0, 1]} -log E[exp(-lam Delta)]``. ``sigma2 > 0``; ``b2 >= 0`` (``b2 = 0``: unbiased weak
    model, then ``lam* = 1/2`` by symmetry)."""
    sigma2 = check_scalar("sigma2", sigma2, 1e-6, 1e6)
    b2 = check_scalar("b2", b2, 0.0, 1e4)
    second_moment(design)
    b = math.sqrt(b2)
    res = optimize.minimize_scalar(lambda lam: math.log(_mgf(lam, sigma2, b, design)), bounds=(0.0, 1.0),
                                   method="bounded", options={"xatol": 1e-10})
    return ChernoffRate(float(-res.fun), float(res.x), bool(res.success))


def typical_rate(sigma2: float, design: str = "uniform") -> float:
    r"""Typical (almost-sure) rate of the misalignment, ``(1/n) log M -> -min_k mu_k`` with
    ``mu_k = E[Delta^{(k)}] = c ||beta_k - beta_{k*}||^2/(2 sigma2) = c/sigma2`` for orthonormal concepts
    (docs/transfer.md §2.6: the weak bias cancels in the drift). Convergence is slow, ``O(n^{-1/2})``; certified as a
    doubling-window slope of ``log M`` (claim ``transfer.typical-rate.biased``)."""
    sigma2 = check_scalar("sigma2", sigma2, 1e-6, 1e6)
    return second_moment(design) / sigma2


def refined_excess_risk(pi) -> float:
    """Excess risk ``||sum_k pi_k beta_k - beta_{k*}||^2 = (1 - pi_{k*})^2 + sum_{k != k*} pi_k^2`` of fine-tuning on
    posterior-mean refined labels (``k* = 0``; docs/transfer.md §2.7), for posterior weights ``pi``."""
    pi = np.asarray(pi, dtype=float)
    if pi.ndim != 1 or pi.size < 1 or np.any(pi < 0) or abs(pi.sum() - 1.0) > 1e-9:
        raise ValueError(f"pi must be a probability vector, got {pi!r}")
    return float((1.0 - pi[0]) ** 2 + np.sum(pi[1:] ** 2))


# ----- the paper's weaker assumption: a weak bias with a component along the target (docs/transfer.md §2.8) ---------

def _check_t(t, K: int | None = None):
    lo = -1e10 if K is None else -K / (K - 1.0)
    return check_scalar("t", t, lo, 1e10)


def naive_bias_target(lam, alpha_P, k_star: int, b2: float, t: float, design: str = "uniform"):
    r"""Population squared bias of ridge-to-source when the weak bias is ``beta^w = t beta_{k*} + b e_K``, orthogonal
    to the non-target concepts only: ``a^2 eps_Q'^2 + (1 - a)^2 eps_P^2 + 2 a (1 - a) kappa`` with
    ``eps_Q'^2 = t^2 + b2``, ``kappa = <beta^w, beta_P - beta_Q> = t (alpha^P_{k*} - 1)`` and ``a = c/(c + lam)``
    (docs/transfer.md §2.8). ``t = 0`` is :func:`naive_bias`."""
    eP, _ = biases(alpha_P, k_star, b2)
    t = _check_t(t)
    lam = np.asarray(lam, dtype=float)
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"lam must be finite and >= 0, got {lam!r}")
    eQ = t * t + b2
    kappa = t * (float(np.asarray(alpha_P, float)[k_star]) - 1.0)
    c = second_moment(design)
    a = c / (c + lam)
    out = a * a * eQ + (1.0 - a) ** 2 * eP + 2.0 * a * (1.0 - a) * kappa
    return float(out) if out.ndim == 0 else out


def naive_floor_target(alpha_P, k_star: int, b2: float, t: float, design: str = "uniform") -> tuple[float, float]:
    r"""``(H, lam*)``: the smallest population bias of ridge-to-source over ``lam >= 0`` with a weak bias that has a
    component ``t`` along the target (docs/transfer.md §2.8). The bias is the squared distance from ``beta_Q`` to the
    point ``a beta_Q' + (1 - a) beta_P`` of the segment, minimised at
    ``a* = (eps_P^2 - kappa)/(eps_P^2 + eps_Q'^2 - 2 kappa)``, where

        H = (eps_P^2 eps_Q'^2 - kappa^2) / (eps_P^2 + eps_Q'^2 - 2 kappa),   lam* = c (1 - a*)/a*,

    when ``0 < a* <= 1``; ``a* > 1`` gives ``H = eps_Q'^2`` at ``lam* = 0``, and ``a* <= 0`` (``kappa >= eps_P^2``)
    gives ``H = eps_P^2`` as ``lam -> inf`` (``lam* = inf``). ``kappa = 0`` is the orthogonal case of §2.2.
    Raises if ``beta_Q' = beta_P`` (then every ``lam`` gives the same bias)."""
    eP, _ = biases(alpha_P, k_star, b2)
    t = _check_t(t)
    eQ = t * t + b2
    kappa = t * (float(np.asarray(alpha_P, float)[k_star]) - 1.0)
    den = eP + eQ - 2.0 * kappa
    if den <= 0.0:
        raise ValueError("the weak model's concept equals the source's (eps_P^2 + eps_Q'^2 - 2 kappa = 0): no unique lam*")
    a = (eP - kappa) / den
    c = second_moment(design)
    if a > 1.0:
        return eQ, 0.0
    if a <= 0.0:
        return eP, math.inf
    return (eP * eQ - kappa * kappa) / den, c * (1.0 - a) / a


def hull_target_bias(K: int, t: float) -> float:
    r"""Population squared bias of the convex-hull estimator when the weak concept is ``(1 + t) beta_{k*} + b e_K``
    (docs/transfer.md §2.8): the projection of ``(1 + t) e_{k*}`` on the simplex is the vertex for ``t >= 0`` (bias
    removed) and ``(1 + t (K-1)/K) e_{k*} + (-t/K) sum_{k != k*} e_k`` for ``-K/(K-1) <= t < 0``, at squared distance
    ``t^2 (K - 1)/K``: the hull removes the part of the target shortfall along the all-ones direction (orthogonal to the
    hull's directions) and keeps its part inside them. ``b`` enters only as noise. ``K >= 2``, ``t >= -K/(K-1)``."""
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"K must be an integer >= 2, got {K!r}")
    t = _check_t(t, K)
    return 0.0 if t >= 0 else t * t * (K - 1) / K


def hull_target_variance(K: int, sigma2: float, b2: float, t: float) -> float:
    r"""``lim n E||beta_C - w*||^2 = (sigma2 + b2 + t^2/K)(K - 1)`` for the Gaussian design (``c = 1``) and
    ``-K/(K-1) < t < 0`` (docs/transfer.md §2.8): ``w*`` is in the relative interior of the simplex, where the
    constrained fit is least squares on the ``K - 1`` hull directions; the label's misfit ``(t/K) sum_k x_k``, the bias
    ``b x_K`` and the noise are independent of those directions' features (isotropic Gaussian design), so they add
    as noise, and ``E tr((Z^T Z)^{-1}) = (K - 1)/(n - K)`` for Gaussian ``Z``."""
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"K must be an integer >= 2, got {K!r}")
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    b2 = check_scalar("b2", b2, 0.0, 1e10)
    t = check_scalar("t", t, -K / (K - 1.0), 0.0, lo_open=True, hi_open=True)
    return (sigma2 + b2 + t * t / K) * (K - 1)
