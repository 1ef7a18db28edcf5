r"""Convergence statistics: does a ladder of finite-d simulations converge to the predicted limit?

The method is described, with its derivations, in ``docs/statistics.md``; this docstring is its summary.

The statistical model
---------------------
A claim predicts ``Q_inf``; at dimension ``d`` the simulated quantity ``Q_d`` has mean

    E[Q_d] = Q_inf + a d^(-alpha) + o(d^(-alpha))

with a claim-specific finite-size exponent ``alpha`` (e.g. 1 for smooth functionals of Marchenko–Pastur
spectra). Each rung of the ladder gives the mean ``ybar_d`` of ``R_d`` independent replicates and its standard
error ``se_d = sd_d / sqrt(R_d)``; for ``R_d >= 20`` the mean is Gaussian to good accuracy (CLT), so

    ybar_d ~ N(Q + a d^(-alpha), se_d^2),  independent across rungs.

1. **Extrapolation.** Weighted least squares of ``ybar_d`` on ``[1, d^(-alpha)]`` with weights ``1/se_d^2``
   (the Gauss–Markov / maximum-likelihood estimator under the model above). The intercept ``Q_hat`` estimates
   ``Q_inf``; its statistical standard error ``stat = sqrt([(X^T W X)^{-1}]_{00})`` is exact under the model
   (no rescaling by the residuals: the ``se_d`` are measured, not guessed).
2. **Goodness of fit.** ``chi2 = sum_d (ybar_d - fit_d)^2 / se_d^2`` has ``n_rungs - 2`` degrees of freedom
   under the model. A small p-value means the finite-size model is wrong: the claim is then *not* certified.
3. **Systematic error of the extrapolation.** The model is an asymptotic expansion truncated after one term; a
   neglected ``d^(-2 alpha)`` term, or a smallest rung outside the asymptotic regime, shifts ``Q_hat`` by an
   amount ``stat`` does not show, and that the chi-square test at a Bonferroni level catches only when gross.
   As continuum extrapolations in lattice field theory do, the same data are refitted with variants of the model:

   * ``k = 1``: the model without the smallest rung (``n_rungs >= 3``);
   * ``k = 2``: the model with an extra term ``b d^(-2 alpha)`` (``n_rungs >= 4``, so one degree of freedom
     is left).

   Each variant's intercept ``q_k`` (with statistical error ``s_k``) is linear and unbiased under the main model,
   and ``Q_hat`` is the efficient (minimum-variance) such estimator, so ``Cov(Q_hat, q_k - Q_hat) = 0`` and

       Var(q_k - Q_hat) = s_k^2 - stat^2        (exactly, under the main model),

   so the shift ``Delta_k = q_k - Q_hat`` has a known statistical noise ``sigma_k = sqrt(s_k^2 - stat^2)``, and
   the systematic error is the largest shift beyond two such standard deviations (:data:`SYS_NOISE_Z`):

       sys = max_k max(0, |Delta_k| - 2 sigma_k).

   A shift within its own noise (95% two-sided) counts nothing (a variant that is merely noisier than the main
   fit, as the ``d^(-2 alpha)`` fit is, by 1.5-3 times, does not inflate the error); a real shift
   ``b >> sigma_k`` counts ``b - O(sigma_k)``. The unbiased estimate of ``b^2``, ``max(0, Delta_k^2 - sigma_k^2)``, would count noise
   more: its square root is ``sigma_k sqrt(chi2_1 - 1)`` under the model, which often exceeds ``sigma_k`` and,
   through the power requirement of step 6, fails correct claims at random (``docs/statistics.md`` gives the
   numbers). ``alpha = 0`` (exact at every size): ``sys = 0``.
   The total error is ``SE = sqrt(stat^2 + sys^2)``; a certificate is quoted as ``Q_hat +- stat +- sys``.
4. **Test of the prediction.** ``z = (Q_hat - Q_inf) / SE`` is standard normal (or narrower, since ``sys >= 0``)
   when the prediction is right. Certified when ``|z| <= z_crit``, with ``z_crit`` the Bonferroni two-sided
   critical value for a family-wise false-alarm rate ``alpha_family`` over all components of all claims of the
   run (:func:`bonferroni_z`). The goodness-of-fit test uses the same per-test level.
5. **Shrinking discrepancy.** The raw discrepancy ``|ybar_d - Q_inf|`` at the largest ``d`` must not exceed that
   at the smallest ``d`` by more than ``z_crit`` joint standard errors.

   ``alpha = 0`` declares a quantity whose mean is exact at every size (an identity in law, such as a
   martingale's mean, or an exact reduced simulator against the full one): the model is then ``E[Q_d] = Q``,
   step 1 is the inverse-variance weighted mean of the rungs, and step 2 tests that the rungs agree
   (``n_rungs - 1`` degrees of freedom).
6. **Power against the declared falsifier.** Every claim declares a falsifier: the prediction moved by
   ``delta = falsifier x scale`` (``scale = |Q_inf|`` unless the claim gives one). If the truth were the
   falsifier, this run would reject ``Q_inf`` when ``|Q_hat - Q_inf| > z_crit SE``. The threshold ``z_crit SE``
   is this run's: ``sys`` is a function of the variants' shifts ``Delta_k``, which do not move with the truth
   (differences of intercepts) and are independent of ``Q_hat`` under the model (jointly Gaussian with zero
   covariance, step 3); so, given the run's ``sys``, ``Q_hat ~ N(Q_inf +- delta, stat^2)`` and the rejection
   probability is exactly

       P = Phi((delta - z_crit SE)/stat) + Phi((-delta - z_crit SE)/stat)

   (``= Phi(delta/SE - z_crit) + Phi(-delta/SE - z_crit)`` when ``sys = 0``; using ``SE`` for the noise as well
   would understate it whenever ``sys > 0``, and fail correct claims at random through the noise of ``sys``).
   Certified only when ``P >= 0.99`` (:data:`POWER_MIN`): a claim whose falsifier is too fine for its ladder
   fails, and says so. The report gives, per component, the smallest relative error detected with 99% power
   (``delta_99 / scale`` with ``P(delta_99) = 0.99``; about ``(z_crit SE + 2.33 stat) / scale``), and the
   *resolution* ``z_crit SE / scale`` (the error detected with probability one half).
7. **Sign components** (e.g. ``R_s - R_t``, whose sign is the claim): additionally ``|Q_hat| / SE >= z_crit``
   with the predicted sign, i.e. the sign itself is resolved by the data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize as spo
from scipy import stats as sps

__all__ = [
    "DEFAULT_FAMILY_ALPHA",
    "POWER_MIN",
    "bonferroni_z",
    "RungStats",
    "Fit",
    "Variant",
    "ComponentCheck",
    "rung_stats",
    "fit_extrapolation",
    "fit_variants",
    "systematic_error",
    "rejection_power",
    "detectable_shift",
    "check_component",
    "CHECKS",
    "judge",
]

#: Family-wise false-alarm rate of a certification run (per run, over all tested components).
DEFAULT_FAMILY_ALPHA = 0.01

#: Fewest replicates per rung for which the Gaussian approximation of a rung mean is accepted.
MIN_REPS = 20

#: Required probability that a run rejects the prediction when the truth is the claim's declared falsifier.
POWER_MIN = 0.99


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
    """Weighted least-squares fit ``ybar_d = q_hat + a d^(-alpha) [+ b d^(-2 alpha)]`` over rungs ``d >= d_min``."""

    alpha: float
    q_hat: float
    se_hat: float  #: statistical standard error of the intercept
    a: float
    se_a: float
    chi2: float
    dof: int
    p_value: float  #: goodness of fit; nan when dof = 0
    terms: int = 1  #: correction terms d^(-k alpha), k = 1..terms (0 when alpha = 0)
    d_min: int = 0  #: smallest rung used
    b: float = 0.0  #: coefficient of d^(-2 alpha) when terms = 2

    def to_dict(self) -> dict:
        return asdict(self)


def fit_extrapolation(d, mean, se, alpha: float, terms: int = 1) -> Fit:
    """WLS extrapolation to ``d = inf`` (module docstring, steps 1-2), with ``terms`` correction terms.

    The columns are ``(d_min/d)^(k alpha)`` (in ``(0, 1]``; rescaling a column leaves the intercept unchanged)
    and the whitened system is solved by QR, so that the two-term fit stays well conditioned when ``d`` spans
    several decades.
    """
    d = np.asarray(d, dtype=float)
    y = np.asarray(mean, dtype=float)
    s = np.asarray(se, dtype=float)
    if alpha < 0:
        raise ValueError(f"finite-size exponent alpha must be >= 0, got {alpha}")
    if terms not in (1, 2):
        raise ValueError(f"terms must be 1 or 2, got {terms}")
    exact = alpha == 0
    n_par = 1 if exact else 1 + terms
    if d.size < n_par:
        raise ValueError("extrapolation needs at least 2 rungs (1 for a quantity exact at every size, 3 for "
                         "two correction terms)")
    if np.any(s <= 0) or not np.all(np.isfinite(s)):
        raise ValueError("standard errors must be finite and > 0 (are all replicates identical?)")
    d0 = float(d.min())
    x = (d0 / d) ** alpha
    X = np.column_stack([x**k for k in range(n_par)])
    sw = 1.0 / s
    q, r = np.linalg.qr(X * sw[:, None])
    beta = np.linalg.solve(r, q.T @ (y * sw))
    rinv = np.linalg.inv(r)
    cov = rinv @ rinv.T
    resid = y - X @ beta
    chi2 = float(np.sum((resid * sw) ** 2))
    dof = int(d.size - n_par)
    p = float(sps.chi2.sf(chi2, dof)) if dof > 0 else float("nan")
    if exact:
        a = a_se = b = 0.0
    else:  # back to the units of E[Q_d] = Q + a d^-alpha + b d^-2alpha
        a, a_se = float(beta[1] * d0**alpha), float(np.sqrt(cov[1, 1]) * d0**alpha)
        b = float(beta[2] * d0 ** (2 * alpha)) if terms == 2 else 0.0
    return Fit(float(alpha), float(beta[0]), float(np.sqrt(cov[0, 0])), a, a_se, chi2, dof, p,
               0 if exact else terms, int(d0), b)


@dataclass(frozen=True)
class Variant:
    """A refit of the same data with a variant of the finite-size model (module docstring, step 3)."""

    label: str
    fit: Fit
    shift: float  #: q_k - Q_hat
    se_shift: float  #: sqrt(s_k^2 - stat^2), the standard deviation of the shift under the main model
    excess: float  #: max(0, |shift| - SYS_NOISE_Z se_shift), the shift beyond what its statistical noise explains

    def to_dict(self) -> dict:
        return {"label": self.label, "fit": self.fit.to_dict(), "shift": self.shift, "se_shift": self.se_shift,
                "excess": self.excess}


#: A variant's shift within this many standard deviations of its own statistical noise (95% two-sided) is explained
#: by that noise and counts nothing in the systematic error. One standard deviation (the first choice) let the noise
#: of the shifts through: on the fast tier's rung statistics (seed 7), a Monte Carlo of the shifts under the model
#: (no bias) failed the power requirement of some component in 31% of runs (0.37 expected failures per run), 1.8%
#: with two; for a real missing d^(-2 alpha) term the two choices fail a correct limit equally often (within 3
#: points, tests/test_stats.py and docs/statistics.md section 2).
SYS_NOISE_Z = 2.0


def fit_variants(d, mean, se, alpha: float, main: Fit | None = None) -> list[Variant]:
    """The variants of step 3 that the ladder allows: without the smallest rung (``>= 3`` rungs), and with an
    extra ``d^(-2 alpha)`` term (``>= 4`` rungs). None for ``alpha = 0``."""
    d = np.asarray(d, dtype=float)
    y = np.asarray(mean, dtype=float)
    s = np.asarray(se, dtype=float)
    if alpha == 0:
        return []
    main = main or fit_extrapolation(d, y, s, alpha)
    order = np.argsort(d)
    d, y, s = d[order], y[order], s[order]
    fits = []
    if d.size >= 3:
        fits.append((f"without d={int(d[0])}", fit_extrapolation(d[1:], y[1:], s[1:], alpha)))
    if d.size >= 4:
        fits.append((f"+ d^-{2 * alpha:g} term", fit_extrapolation(d, y, s, alpha, terms=2)))
    out = []
    for label, f in fits:
        shift = f.q_hat - main.q_hat
        var = max(0.0, f.se_hat**2 - main.se_hat**2)  # >= 0 exactly; max() only guards rounding
        sigma = float(np.sqrt(var))
        out.append(Variant(label, f, float(shift), sigma, max(0.0, abs(float(shift)) - SYS_NOISE_Z * sigma)))
    return out


def systematic_error(variants: list[Variant]) -> float:
    """``sys = max_k max(0, |shift_k| - SYS_NOISE_Z se_shift_k)`` (0 without variants)."""
    return max((v.excess for v in variants), default=0.0)


def rejection_power(delta: float, se: float, z_crit: float, stat: float | None = None) -> float:
    """Probability that the test ``|Q_hat - Q| > z_crit se`` rejects when ``Q_hat ~ N(Q + delta, stat^2)``:
    ``Phi((delta - z_crit se)/stat) + Phi((-delta - z_crit se)/stat)`` (module docstring, step 6). ``se`` is the
    total error ``sqrt(stat^2 + sys^2)`` that sets the threshold; ``stat`` (default ``se``: no systematic term)
    the noise of ``Q_hat``. With ``stat = se`` this is ``Phi(delta/se - z_crit) + Phi(-delta/se - z_crit)``."""
    if not se > 0:
        raise ValueError(f"se must be > 0, got {se}")
    stat = se if stat is None else stat
    if not 0 < stat <= se * (1 + 1e-12):
        raise ValueError(f"stat must be in (0, se = {se}], got {stat}")
    t = abs(delta)
    return float(sps.norm.cdf((t - z_crit * se) / stat) + sps.norm.cdf((-t - z_crit * se) / stat))


def detectable_shift(se: float, z_crit: float, power: float = POWER_MIN, stat: float | None = None) -> float:
    """Smallest shift ``delta >= 0`` with :func:`rejection_power` ``= power`` (about ``z_crit se + z_power stat``)."""
    if not 2 * sps.norm.sf(z_crit) < power < 1:
        raise ValueError(f"power must be in (test level, 1), got {power}")
    stat = se if stat is None else stat
    hi = z_crit * se + (sps.norm.isf(1 - power) + 1.0) * stat
    return float(spo.brentq(lambda x: rejection_power(x, se, z_crit, stat) - power, 0.0, hi, xtol=1e-12 * hi))


@dataclass(frozen=True)
class ComponentCheck:
    """Verdict on one component of a claim."""

    name: str
    prediction: float
    fit: Fit
    rungs: list[RungStats]
    z: float  #: (Q_hat - prediction) / se_total
    z_crit: float
    sys: float  #: systematic error of the extrapolation (step 3)
    resolution: float  #: z_crit se_total / scale
    scale: float
    fit_ok: bool
    shrink_ok: bool
    sign_required: bool
    sign_ok: bool
    falsifier: float  #: declared falsifier, relative to scale
    power: float  #: probability that a run rejects the falsifier (step 6)
    detectable: float  #: smallest relative error (units of scale) detected with probability POWER_MIN
    variants: list[Variant] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def stat(self) -> float:
        """Statistical standard error of the extrapolated limit."""
        return self.fit.se_hat

    @property
    def se_total(self) -> float:
        """``sqrt(stat^2 + sys^2)``: the error used by every test."""
        return float(np.hypot(self.fit.se_hat, self.sys))

    @property
    def power_sufficient(self) -> bool:
        return self.power >= POWER_MIN

    @property
    def passed(self) -> bool:
        return (abs(self.z) <= self.z_crit and self.fit_ok and self.shrink_ok and self.sign_ok
                and self.power_sufficient)

    def measures(self) -> dict:
        """What :func:`judge` decides from: the numbers of the data, independent of the level (``z``, the fit's
        degrees of freedom and p-value, the discrepancy's growth and its joint SE, the sign's match and ``|Q_hat| /
        SE``, the falsifier shift ``delta``, ``SE`` and ``stat``)."""
        return _measure(self.z, self.prediction, self.fit, self.rungs, self.se_total, self.sign_required,
                        self.falsifier * self.scale)

    def z_against(self, prediction: float) -> float:
        """z-score of an alternative prediction against the same extrapolation (total error)."""
        return (self.fit.q_hat - prediction) / self.se_total

    def rejects(self, prediction: float) -> bool:
        """Would this data reject ``prediction``?"""
        return abs(self.z_against(prediction)) > self.z_crit

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("fit", "rungs", "variants")}
        out["stat"] = self.stat
        out["se_total"] = self.se_total
        out["fit"] = self.fit.to_dict()
        out["variants"] = [v.to_dict() for v in self.variants]
        out["rungs"] = [r.to_dict() for r in self.rungs]
        out["power_sufficient"] = self.power_sufficient
        out["passed"] = self.passed
        return out


def _measure(z, prediction, fit, rungs, se_tot, sign_required, delta) -> dict:
    lo, hi = rungs[0], rungs[-1]
    return {"z": float(z), "fit_dof": int(fit.dof), "fit_p": float(fit.p_value),
            "grow": float(abs(hi.mean - prediction) - abs(lo.mean - prediction)), "grow_se": float(np.hypot(hi.se, lo.se)),
            "sign_required": bool(sign_required), "sign_match": bool(np.sign(fit.q_hat) == np.sign(prediction)),
            "sign_t": float(abs(fit.q_hat) / se_tot), "delta": float(delta), "se_total": float(se_tot),
            "stat": float(fit.se_hat)}


#: The checks of :func:`judge`, in order: the z-test, goodness of fit, shrinking discrepancy, resolved sign, power.
CHECKS = ("z", "fit", "shrink", "sign", "power")


def judge(m: dict, z_crit: float, fit_p_min: float) -> dict[str, bool]:
    """Pass/fail of each check of :data:`CHECKS` from a component's measured numbers ``m``
    (:meth:`ComponentCheck.measures`: what the data say, whatever the level) at the critical value ``z_crit`` and
    the goodness-of-fit level ``fit_p_min``. :func:`check_component` decides with it, and a calibration re-decides
    stored components with it when the Bonferroni family changes."""
    se, stat = m["se_total"], m["stat"]
    return {
        "z": abs(m["z"]) <= z_crit,
        "fit": m["fit_dof"] == 0 or m["fit_p"] >= fit_p_min,
        "shrink": m["grow"] <= z_crit * m["grow_se"],
        "sign": (not m["sign_required"]) or (m["sign_match"] and m["sign_t"] >= z_crit),
        "power": rejection_power(m["delta"], se, z_crit, stat) >= POWER_MIN,
    }


def check_component(name: str, prediction: float, rungs: list[RungStats], *, alpha: float, z_crit: float,
                    fit_p_min: float, scale: float | None = None, sign_required: bool = False,
                    falsifier: float = 0.05) -> ComponentCheck:
    """Run steps 1-7 of the module docstring on one component (``falsifier`` relative to the scale, as
    :attr:`Claim.falsifier <w2s.validation.registry.Claim.falsifier>`)."""
    if not np.isfinite(prediction):
        raise ValueError(f"prediction for {name!r} is not finite: {prediction}")
    if not (np.isfinite(falsifier) and falsifier > 0):
        raise ValueError(f"falsifier for {name!r} must be finite and > 0, got {falsifier}")
    rungs = sorted(rungs, key=lambda r: r.d)
    d, mean, se = [r.d for r in rungs], [r.mean for r in rungs], [r.se for r in rungs]
    fit = fit_extrapolation(d, mean, se, alpha)
    variants = fit_variants(d, mean, se, alpha, fit)
    sys_err = systematic_error(variants)
    se_tot = float(np.hypot(fit.se_hat, sys_err))
    z = (fit.q_hat - prediction) / se_tot
    sc = abs(prediction) if scale is None else float(scale)
    if sc <= 0:
        raise ValueError(f"component {name!r}: prediction is 0, so the claim must give a resolution scale")
    res = z_crit * se_tot / sc
    lo, hi = rungs[0], rungs[-1]
    measured = _measure(z, prediction, fit, rungs, se_tot, sign_required, falsifier * sc)
    ok = judge(measured, z_crit, fit_p_min)
    fit_ok, shrink_ok, sign_ok = ok["fit"], ok["shrink"], ok["sign"]
    reasons = []
    if not fit_ok:
        reasons.append(f"finite-size model d^-{alpha:g} rejected (chi2={fit.chi2:.2f}, dof={fit.dof}, "
                       f"p={fit.p_value:.2g})")
    if not shrink_ok:
        reasons.append(f"discrepancy grows along the ladder ({abs(lo.mean - prediction):.3g} at d={lo.d} -> "
                       f"{abs(hi.mean - prediction):.3g} at d={hi.d})")
    if not sign_ok:
        reasons.append(f"sign not resolved: {fit.q_hat:.4g} +- {se_tot:.2g} (predicted {prediction:.4g})")
    if not ok["z"]:
        reasons.append(f"|z| = {abs(z):.2f} > {z_crit:.2f}")
    power = rejection_power(falsifier * sc, se_tot, z_crit, fit.se_hat)
    detect = detectable_shift(se_tot, z_crit, stat=fit.se_hat) / sc
    if not ok["power"]:
        reasons.append(f"falsifier {falsifier:g} x scale rejected with probability {power:.3f} < {POWER_MIN} "
                       f"(99% power needs {detect:.3g} x scale)")
    return ComponentCheck(name, float(prediction), fit, list(rungs), float(z), float(z_crit), float(sys_err),
                          float(res), float(sc), bool(fit_ok), bool(shrink_ok), bool(sign_required), bool(sign_ok),
                          float(falsifier), float(power), float(detect), variants, reasons)
