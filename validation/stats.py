r"""Convergence statistics: does a ladder of finite-d simulations converge to the predicted limit?

The statistical model (``shared/CERTIFICATION.md``)
--------------------------------------------------
A claim predicts ``Q_inf``; at dimension ``d`` the simulated quantity ``Q_d`` has mean

    E[Q_d] = Q_inf + a d^(-alpha) + o(d^(-alpha))

with a claim-specific finite-size exponent ``alpha`` (e.g. 1 for smooth functionals of Marchenko–Pastur
spectra). Each rung of the ladder gives the mean ``ybar_d`` of ``R_d`` independent replicates and its standard
error ``se_d = sd_d / sqrt(R_d)``; for ``R_d >= 20`` the mean is Gaussian to good accuracy (CLT), so

    ybar_d ~ N(Q + a d^(-alpha), se_d^2),  independent across rungs.

1. **Extrapolation.** Weighted least squares of ``ybar_d`` on ``[1, d^(-alpha)]`` with weights ``1/se_d^2``
   (the Gauss–Markov / maximum-likelihood estimator under the model above). The intercept ``Q_hat`` estimates
   ``Q_inf``; its standard error ``SE_hat = sqrt([(X^T W X)^{-1}]_{00})`` is exact under the model (no
   rescaling by the residuals: the ``se_d`` are measured, not guessed).
2. **Goodness of fit.** ``chi2 = sum_d (ybar_d - fit_d)^2 / se_d^2`` has ``n_rungs - 2`` degrees of freedom
   under the model. A small p-value means the finite-size model is wrong (e.g. a missing ``d^(-2 alpha)`` term
   at small ``d``): the claim is then *not* certified and the report says so, rather than hiding it by
   inflating errors.
3. **Test of the prediction.** ``z = (Q_hat - Q_inf) / SE_hat`` is standard normal when the prediction is
   right. Certified when ``|z| <= z_crit``, with ``z_crit`` the Bonferroni two-sided critical value for a
   family-wise false-alarm rate ``alpha_family`` over all components of all claims of the run
   (:func:`bonferroni_z`). The goodness-of-fit test uses the same per-test level.
4. **Shrinking discrepancy.** The raw discrepancy ``|ybar_d - Q_inf|`` at the largest ``d`` must not exceed that
   at the smallest ``d`` by more than ``z_crit`` joint standard errors (a wrong limit with a lucky extrapolation
   would typically fail here).

   ``alpha = 0`` declares a quantity whose mean is exact at every size (an identity in law, such as a
   martingale's mean, or an exact reduced simulator against the full one): the model is then ``E[Q_d] = Q``,
   step 1 is the inverse-variance weighted mean of the rungs, and step 2 tests that the rungs agree
   (``n_rungs - 1`` degrees of freedom).
5. **Resolution.** ``res = z_crit * SE_hat / scale`` (``scale = |Q_inf|`` unless the claim gives one): the
   smallest relative error of the prediction this run would detect. A certificate is quoted with it.
6. **Power check.** The same data must reject the prediction scaled by ``(1 + 3 res)``: then
   ``|z'| ~ 3 z_crit``; failing this means the statistics cannot tell the claim from its perturbation.
7. **Sign components** (e.g. ``R_s - R_t``, whose sign is the claim): additionally ``|Q_hat| / SE_hat >= z_crit``
   with the predicted sign, i.e. the sign itself is resolved by the data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats as sps

__all__ = [
    "DEFAULT_FAMILY_ALPHA",
    "bonferroni_z",
    "RungStats",
    "Fit",
    "ComponentCheck",
    "rung_stats",
    "fit_extrapolation",
    "check_component",
]

#: Family-wise false-alarm rate of a certification run (per run, over all tested components).
DEFAULT_FAMILY_ALPHA = 0.01

#: Fewest replicates per rung for which the Gaussian approximation of a rung mean is accepted.
MIN_REPS = 20


def bonferroni_z(n_tests: int, family_alpha: float = DEFAULT_FAMILY_ALPHA) -> float:
    """Two-sided critical value ``Phi^{-1}(1 - alpha / (2 m))`` for ``m = n_tests`` simultaneous z-tests."""
    if n_tests < 1:
        raise ValueError(f"n_tests must be >= 1, got {n_tests}")
    if not 0 < family_alpha < 1:
        raise ValueError(f"family_alpha must be in (0, 1), got {family_alpha}")
    return float(sps.norm.isf(family_alpha / (2.0 * n_tests)))


@dataclass(frozen=True)
class RungStats:
    """Per-rung summary of one component."""

    d: int
    reps: int
    mean: float
    se: float
    sd: float

    def to_dict(self) -> dict:
        return asdict(self)


def rung_stats(d: int, samples: np.ndarray) -> RungStats:
    """Mean, standard error and standard deviation of one component's replicates at dimension ``d``."""
    x = np.asarray(samples, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise ValueError("a rung needs at least 2 replicates of a scalar component")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"non-finite simulated values at d={d}")
    sd = float(np.std(x, ddof=1))
    return RungStats(int(d), int(x.size), float(np.mean(x)), sd / np.sqrt(x.size), sd)


@dataclass(frozen=True)
class Fit:
    """Weighted least-squares fit ``ybar_d = q_hat + a d^(-alpha)``."""

    alpha: float
    q_hat: float
    se_hat: float
    a: float
    se_a: float
    chi2: float
    dof: int
    p_value: float  #: goodness of fit; nan when dof = 0

    def to_dict(self) -> dict:
        return asdict(self)


def fit_extrapolation(d, mean, se, alpha: float) -> Fit:
    """WLS extrapolation to ``d = inf`` (see the module docstring, step 1-2)."""
    d = np.asarray(d, dtype=float)
    y = np.asarray(mean, dtype=float)
    s = np.asarray(se, dtype=float)
    if alpha < 0:
        raise ValueError(f"finite-size exponent alpha must be >= 0, got {alpha}")
    exact = alpha == 0
    if d.size < (1 if exact else 2):
        raise ValueError("extrapolation needs at least 2 rungs (1 for a quantity exact at every size)")
    if np.any(s <= 0) or not np.all(np.isfinite(s)):
        raise ValueError("standard errors must be finite and > 0 (are all replicates identical?)")
    X = np.ones((d.size, 1)) if exact else np.column_stack([np.ones_like(d), d ** (-alpha)])
    w = 1.0 / s**2
    XtW = X.T * w
    cov = np.linalg.inv(XtW @ X)
    beta = cov @ (XtW @ y)
    resid = y - X @ beta
    chi2 = float(np.sum(w * resid**2))
    dof = int(d.size - X.shape[1])
    p = float(sps.chi2.sf(chi2, dof)) if dof > 0 else float("nan")
    a, a_se = (0.0, 0.0) if exact else (float(beta[1]), float(np.sqrt(cov[1, 1])))
    return Fit(float(alpha), float(beta[0]), float(np.sqrt(cov[0, 0])), a, a_se, chi2, dof, p)


@dataclass(frozen=True)
class ComponentCheck:
    """Verdict on one component of a claim."""

    name: str
    prediction: float
    fit: Fit
    rungs: list[RungStats]
    z: float
    z_crit: float
    resolution: float
    scale: float
    fit_ok: bool
    shrink_ok: bool
    sign_required: bool
    sign_ok: bool
    power_z: float  #: z of the (1 + 3 res)-perturbed prediction
    power_ok: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return abs(self.z) <= self.z_crit and self.fit_ok and self.shrink_ok and self.sign_ok

    def z_against(self, prediction: float) -> float:
        """z-score of an alternative prediction against the same extrapolation."""
        return (self.fit.q_hat - prediction) / self.fit.se_hat

    def rejects(self, prediction: float) -> bool:
        """Would this data reject ``prediction``?"""
        return abs(self.z_against(prediction)) > self.z_crit

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("fit", "rungs")}
        out["fit"] = self.fit.to_dict()
        out["rungs"] = [r.to_dict() for r in self.rungs]
        out["passed"] = self.passed
        return out


def check_component(name: str, prediction: float, rungs: list[RungStats], *, alpha: float, z_crit: float,
                    fit_p_min: float, scale: float | None = None, sign_required: bool = False) -> ComponentCheck:
    """Run steps 1-7 of the module docstring on one component."""
    if not np.isfinite(prediction):
        raise ValueError(f"prediction for {name!r} is not finite: {prediction}")
    rungs = sorted(rungs, key=lambda r: r.d)
    fit = fit_extrapolation([r.d for r in rungs], [r.mean for r in rungs], [r.se for r in rungs], alpha)
    z = (fit.q_hat - prediction) / fit.se_hat
    sc = abs(prediction) if scale is None else float(scale)
    if sc <= 0:
        raise ValueError(f"component {name!r}: prediction is 0, so the claim must give a resolution scale")
    res = z_crit * fit.se_hat / sc
    reasons = []
    fit_ok = fit.dof == 0 or fit.p_value >= fit_p_min
    if not fit_ok:
        reasons.append(f"finite-size model d^-{alpha:g} rejected (chi2={fit.chi2:.2f}, dof={fit.dof}, "
                       f"p={fit.p_value:.2g})")
    lo, hi = rungs[0], rungs[-1]
    grow = abs(hi.mean - prediction) - abs(lo.mean - prediction)
    shrink_ok = grow <= z_crit * np.hypot(hi.se, lo.se)
    if not shrink_ok:
        reasons.append(f"discrepancy grows along the ladder ({abs(lo.mean - prediction):.3g} at d={lo.d} -> "
                       f"{abs(hi.mean - prediction):.3g} at d={hi.d})")
    sign_ok = True
    if sign_required:
        sign_ok = bool(np.sign(fit.q_hat) == np.sign(prediction) and abs(fit.q_hat) / fit.se_hat >= z_crit)
        if not sign_ok:
            reasons.append(f"sign not resolved: {fit.q_hat:.4g} +- {fit.se_hat:.2g} (predicted {prediction:.4g})")
    if abs(z) > z_crit:
        reasons.append(f"|z| = {abs(z):.2f} > {z_crit:.2f}")
    perturbed = prediction + np.copysign(3.0 * res * sc, prediction if prediction != 0 else 1.0)
    power_z = (fit.q_hat - perturbed) / fit.se_hat
    power_ok = abs(power_z) > z_crit
    return ComponentCheck(name, float(prediction), fit, list(rungs), float(z), float(z_crit), float(res), float(sc),
                          bool(fit_ok), bool(shrink_ok), bool(sign_required), bool(sign_ok), float(power_z),
                          bool(power_ok), reasons)
