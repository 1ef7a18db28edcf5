r"""Misfit and gain in W2S (Charikar, Pabbaraju, Shiragur 2024, arXiv 2405.15116): closed forms derived under the
setup of docs/misfit_gain.md §1.

Distances are squared ``L2(P)`` distances ``d_P(f, g) = E_{x~P} (f(x) - g(x))^2`` (no 1/2). A strong representation
``z = h_s(x) in R^k`` with a class of heads ``F_s`` (a subspace for linear heads; a convex set such as a cone, a
ball or a simplex of coefficients); target ``f*``; weak model ``f_w``; W2S student ``f_sw = argmin_{f in F_s}
d_P(f, f_w)``. ``err_w = d_P(f_w, f*)``, ``err_sw = d_P(f_sw, f*)``, ``misfit = d_P(f_sw, f_w)``.

* Linear heads, ``f* in span``: ``err_sw = err_w - misfit`` (Pythagoras); convex class: ``err_sw <= err_w -
  misfit`` (docs §2.1).
* Non-realizable, ``eps = d_P(f_s, f*)`` with ``f_s`` the projection of ``f*``: ``err_sw <= err_w - misfit +
  2 sqrt(eps misfit)`` (docs §2.2; :func:`nonrealizable_bound`).
* Finite sample, linear heads, ``f* in span``: the student fit by least squares on ``n`` weakly labelled samples has
  ``slack = err(f_hat) - [err_w - misfit(f_hat)] = 2 <f_hat - f*, f_hat - f_pop>_P >= ...`` with mean
  ``2 k m / (n - k - 1)`` exactly when the features are Gaussian and the weak model's residual off the span is
  independent of them (:func:`gaussian_slack`, docs §2.3), and ``C / n + O(n^-2)`` in general with
  ``C = 2 E_P[q r (r - (f_pop - f*))]``, ``q = z^T Sigma^-1 z`` (:func:`slack_constant`, docs §2.4).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_nonneg, check_scalar

__all__ = ["gaussian_slack", "gaussian_slack_limit", "nonrealizable_bound", "population", "slack_constant"]


def _int(name, v, lo):
    x = check_scalar(name, v, lo, 1e9)
    if x != round(x):
        raise ValueError(f"{name}={x:g} must be an integer in [{lo:g}, 1e+09]")
    return x


def gaussian_slack(*, k, n, misfit) -> float:
    """Exact ``E[slack]`` of the least-squares student on ``n`` samples, ``2 k misfit / (n - k - 1)`` (docs §2.3):
    Gaussian strong features of dimension ``k``, weak residual off the span independent of them with variance
    ``misfit`` (the population misfit). Needs ``n >= k + 2`` (the inverse-Wishart mean is infinite below)."""
    k = _int("k", k, 1)
    n = _int("n", n, k + 2)
    misfit = float(check_nonneg("misfit", misfit))
    return float(2.0 * k * misfit / (n - k - 1.0))


def gaussian_slack_limit(*, k, misfit) -> float:
    """``lim n E[slack] = 2 k misfit`` (docs §2.3)."""
    return float(2.0 * _int("k", k, 1) * check_nonneg("misfit", misfit))


def nonrealizable_bound(*, err_w, misfit, eps) -> float:
    """``err_w - misfit + 2 sqrt(eps misfit)``, an upper bound on ``err_sw`` for a convex class (docs §2.2)."""
    err_w = float(check_nonneg("err_w", err_w))
    misfit = float(check_nonneg("misfit", misfit))
    eps = float(check_nonneg("eps", eps))
    return float(err_w - misfit + 2.0 * np.sqrt(eps * misfit))


def _measure(Z, f_w, f_star):
    Z, f_w, f_star = np.asarray(Z, float), np.asarray(f_w, float), np.asarray(f_star, float)
    if Z.ndim != 2 or f_w.shape != (Z.shape[0],) or f_star.shape != (Z.shape[0],):
        raise ValueError(f"Z must be (M, k) and f_w, f_star (M,); got {Z.shape}, {f_w.shape}, {f_star.shape}")
    if Z.shape[0] <= Z.shape[1]:
        raise ValueError(f"the measure needs more points than features (M={Z.shape[0]}, k={Z.shape[1]})")
    return Z, f_w, f_star


def population(Z, f_w, f_star) -> dict:
    """Projection quantities on the empirical measure of the rows of ``Z``: ``Sigma = Z^T Z / M``, the population
    coefficients ``c_pop`` of ``f_w`` and ``c_star`` of ``f*`` (least squares), ``err_w``, ``misfit``, ``err_sw``
    and ``eps`` (the squared distance of ``f*`` to the span)."""
    Z, f_w, f_star = _measure(Z, f_w, f_star)
    M = Z.shape[0]
    c_pop = np.linalg.lstsq(Z, f_w, rcond=None)[0]
    c_star = np.linalg.lstsq(Z, f_star, rcond=None)[0]
    f_pop = Z @ c_pop
    return {"Sigma": Z.T @ Z / M, "c_pop": c_pop, "c_star": c_star, "err_w": float(np.mean((f_w - f_star) ** 2)),
            "misfit": float(np.mean((f_pop - f_w) ** 2)), "err_sw": float(np.mean((f_pop - f_star) ** 2)),
            "eps": float(np.mean((Z @ c_star - f_star) ** 2))}


def slack_constant(Z, f_w, f_star) -> float:
    """``C = lim n E[slack] = 2 E_P[q r (r - (f_pop - f*))]`` for training samples drawn from the empirical measure
    of the rows of ``Z`` (docs §2.4): ``r = f_w - f_pop`` the weak model's residual off the span, ``q = z^T
    Sigma^-1 z`` the leverage, ``f* = Z c*`` realizable. Derivation: ``c_hat - c_pop = S^-1 g`` with
    ``S = Z_n^T Z_n / n``, ``g = Z_n^T r / n``; ``E[delta^T Sigma delta] = E[q r^2] / n + O(n^-2)`` and ``E[delta] =
    -Sigma^-1 E[z q r] / n + O(n^-2)``."""
    Z, f_w, f_star = _measure(Z, f_w, f_star)
    P = population(Z, f_w, f_star)
    if P["eps"] > 1e-20 * max(1.0, float(np.mean(f_star**2))):
        raise ValueError(f"f_star must lie in the span of the features (eps = {P['eps']:.3g} > 0)")
    f_pop = Z @ P["c_pop"]
    r = f_w - f_pop
    q = np.einsum("ij,ij->i", Z @ np.linalg.inv(P["Sigma"]), Z)
    return float(2.0 * np.mean(q * r * (r - (f_pop - f_star))))
