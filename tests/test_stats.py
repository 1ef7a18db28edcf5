"""The certifier's statistics on synthetic ladders whose truth is known exactly."""

import numpy as np
import pytest
from scipy import stats as sps

from w2s.validation.registry import Claim, Ladder
from w2s.validation.runner import run_claims
from w2s.validation.stats import (
    POWER_MIN,
    RungStats,
    bonferroni_z,
    check_component,
    detectable_shift,
    fit_extrapolation,
    fit_variants,
    rejection_power,
    rung_stats,
)

D = np.array([32, 64, 128, 256, 512])


def _rungs(rng, q=1.0, a=2.0, alpha=1.0, reps=400, sd0=1.0, b=0.0):
    """Rung means drawn from ybar ~ N(q + a d^-alpha + b d^-2alpha, sd^2/reps) with sd = sd0/sqrt(d)."""
    out = []
    for d in D:
        x = q + a * d ** (-alpha) + b * d ** (-2 * alpha) + sd0 / np.sqrt(d) * rng.standard_normal(reps)
        out.append(rung_stats(int(d), x))
    return out


def test_bonferroni_values():
    assert bonferroni_z(1, 0.05) == pytest.approx(1.959964, abs=1e-6)
    assert bonferroni_z(10, 0.05) == pytest.approx(sps.norm.isf(0.0025))
    assert bonferroni_z(20) > bonferroni_z(10)
    with pytest.raises(ValueError, match="n_tests"):
        bonferroni_z(0)
    with pytest.raises(ValueError, match="family_alpha"):
        bonferroni_z(3, 1.5)


def test_fit_is_exact_on_noiseless_model():
    y = 0.7 + 3.0 / D
    fit = fit_extrapolation(D, y, np.full(D.size, 1e-3), alpha=1.0)
    assert fit.q_hat == pytest.approx(0.7, abs=1e-12)
    assert fit.a == pytest.approx(3.0, abs=1e-9)
    assert fit.chi2 == pytest.approx(0.0, abs=1e-12)
    assert fit.dof == D.size - 2


def test_z_is_standard_normal_under_the_model():
    """Coverage of |z| <= 1.96 over 600 synthetic ladders is 95% within binomial error (4 sigma band)."""
    rng = np.random.default_rng(1234)
    zs, ps = [], []
    for _ in range(600):
        rungs = _rungs(rng, reps=100)
        fit = fit_extrapolation([r.d for r in rungs], [r.mean for r in rungs], [r.se for r in rungs], 1.0)
        zs.append((fit.q_hat - 1.0) / fit.se_hat)
        ps.append(fit.p_value)
    cover = np.mean(np.abs(zs) <= 1.959964)
    assert abs(cover - 0.95) <= 4 * np.sqrt(0.95 * 0.05 / 600)
    # goodness-of-fit p-values are uniform under the model (KS test at 1e-3)
    assert sps.kstest(ps, "uniform").pvalue > 1e-3


def test_wrong_finite_size_exponent_is_flagged_by_the_fit():
    rng = np.random.default_rng(5)
    rungs = _rungs(rng, a=3.0, alpha=0.5, reps=4000)  # true correction d^-1/2
    chk = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3)
    assert not chk.fit_ok
    assert not chk.passed
    assert any("finite-size model" in r for r in chk.reasons)


def test_true_prediction_passes_and_perturbed_fails():
    rng = np.random.default_rng(7)
    rungs = _rungs(rng, reps=2000)
    chk = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3)
    assert chk.passed and chk.power_sufficient
    assert chk.rejects(1.05)
    wrong = check_component("q", 1.05, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3)
    assert not wrong.passed


def test_sign_component_needs_a_resolved_sign():
    rng = np.random.default_rng(8)
    rungs = _rungs(rng, q=0.001, a=0.0, reps=50)  # tiny effect: sign not resolvable
    chk = check_component("gap", 0.001, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, sign_required=True)
    assert not chk.sign_ok and not chk.passed
    chk2 = check_component("gap", -0.001, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, scale=1.0)
    assert chk2.sign_ok  # not required


def test_growing_discrepancy_is_flagged():
    # means moving away from the prediction as d grows (a limit different from the one predicted)
    rungs = [RungStats(int(d), 1000, 1.0 + 0.2 * np.log(d), 1e-3, 0.03) for d in D]
    chk = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=0.0)
    assert not chk.shrink_ok


def test_zero_prediction_needs_a_scale():
    rng = np.random.default_rng(9)
    rungs = _rungs(rng, q=0.0)
    with pytest.raises(ValueError, match="scale"):
        check_component("q", 0.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3)
    chk = check_component("q", 0.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, scale=1.0)
    assert np.isfinite(chk.resolution)


def test_rung_stats_rejects_bad_samples():
    with pytest.raises(ValueError):
        rung_stats(10, np.array([1.0]))
    with pytest.raises(ValueError, match="non-finite"):
        rung_stats(10, np.array([1.0, np.nan, 2.0]))


# ---- the runner on a synthetic claim ----------------------------------------------------------------------------
def _sim(params, d, rng, reps):
    return params["q"] + params["a"] / d + rng.standard_normal(reps) / np.sqrt(d)


#: 99% power against a 10% falsifier needs (z_crit + 2.33) SE <= 0.08, i.e. SE <~ 0.015 with z_crit ~ 2.8:
#: 8000 .. 1000 replicates give an extrapolated SE ~ 0.003 (resolution ~ 1%, 99%-power error ~ 2-5% with sys).
LADDER = Ladder((32, 64, 128, 256), (8000, 4000, 2000, 1000))


def _claim(pred_factor=1.0, simulate=_sim, cid="synthetic.q"):
    return Claim(id=cid, title="synthetic", statement="E Q_d = q + a/d", source="test", provenance="test",
                 params={"q": 0.8, "a": 1.5}, predict=lambda p: p["q"] * pred_factor, simulate=simulate,
                 ladders={"fast": LADDER}, falsifier=0.1)


def test_runner_certifies_truth_and_rejects_five_percent_error():
    run = run_claims([_claim(), _claim(1.05, cid="synthetic.wrong")], seed=3)
    good = run["synthetic.q"]
    assert good.passed and good.falsifier_rejected and good.power >= POWER_MIN
    assert run["synthetic.wrong"].verdict == "REJECTED"
    assert run.z_crit == pytest.approx(bonferroni_z(2))


def test_runner_is_reproducible_bit_for_bit():
    a = run_claims([_claim()], seed=11)["synthetic.q"].components[0]
    b = run_claims([_claim()], seed=11)["synthetic.q"].components[0]
    c = run_claims([_claim()], seed=12)["synthetic.q"].components[0]
    assert [r.mean for r in a.rungs] == [r.mean for r in b.rungs]
    assert [r.mean for r in a.rungs] != [r.mean for r in c.rungs]


def test_runner_reports_simulation_errors_without_crashing():
    def broken(params, d, rng, reps):
        raise RuntimeError("boom")

    run = run_claims([_claim(simulate=broken, cid="synthetic.broken"), _claim()], seed=0)
    assert run["synthetic.broken"].verdict == "ERROR"
    assert "boom" in run["synthetic.broken"].error
    assert run["synthetic.q"].passed
    assert not run.passed


def test_runner_rejects_wrong_output_shape():
    def two_cols(params, d, rng, reps):
        return rng.standard_normal((reps, 2))

    run = run_claims([_claim(simulate=two_cols, cid="synthetic.shape")], seed=0)
    assert run.results[0].verdict == "ERROR"
    assert "shape" in run.results[0].error


def test_claim_validation():
    with pytest.raises(ValueError, match="fast"):
        Claim(id="x", title="", statement="", source="", provenance="", params={}, predict=lambda p: 0,
              simulate=_sim, ladders={"full": LADDER})
    with pytest.raises(ValueError, match="ladder"):
        Ladder((64, 32), (10, 10))
    with pytest.raises(ValueError, match="seed"):
        run_claims([_claim()], seed=-1)


def test_process_executor_gives_the_same_results_as_local():
    from w2s.validation.runner import ProcessExecutor

    claims = [_claim(), _claim(1.05, cid="synthetic.wrong")]
    local = run_claims(claims, seed=21)
    forked = run_claims(claims, seed=21, executor=ProcessExecutor(2))
    for cid in ("synthetic.q", "synthetic.wrong"):
        a, b = local[cid].components[0], forked[cid].components[0]
        assert [(r.mean, r.se) for r in a.rungs] == [(r.mean, r.se) for r in b.rungs]
        assert local[cid].verdict == forked[cid].verdict
    with pytest.raises(ValueError, match="jobs"):
        ProcessExecutor(0)


def test_exact_at_every_size_is_a_weighted_mean():
    """finite_size = 0: the fit is the inverse-variance weighted mean, with n_rungs - 1 dof (one rung allowed)."""
    fit = fit_extrapolation([10, 20, 40], [1.0, 2.0, 4.0], [1.0, 1.0, 2.0], alpha=0.0)
    w = np.array([1.0, 1.0, 0.25])
    assert fit.q_hat == pytest.approx(np.sum(w * [1.0, 2.0, 4.0]) / w.sum())
    assert fit.se_hat == pytest.approx(1 / np.sqrt(w.sum()))
    assert fit.dof == 2 and fit.a == 0.0
    one = fit_extrapolation([10], [3.0], [0.5], alpha=0.0)
    assert (one.q_hat, one.se_hat, one.dof) == (3.0, 0.5, 0)
    with pytest.raises(ValueError, match="at least 2 rungs"):
        fit_extrapolation([10], [3.0], [0.5], alpha=1.0)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        fit_extrapolation([10, 20], [3.0, 3.0], [0.5, 0.5], alpha=-1.0)


# ---- power against the declared falsifier -----------------------------------------------------------------------
def test_rejection_power_formula():
    """P(delta = 0) is the per-test level 2 Phi(-z_crit); P grows with delta/SE; delta_99 solves P = 0.99 and is
    about (z_crit + z_0.99) SE when the far tail is negligible."""
    z = 3.0
    assert rejection_power(0.0, 1.0, z) == pytest.approx(2 * sps.norm.sf(z), rel=1e-12)
    assert rejection_power(0.3, 0.1, z) == pytest.approx(sps.norm.cdf(0.0) + sps.norm.cdf(-6.0), rel=1e-12)
    assert rejection_power(-0.3, 0.1, z) == rejection_power(0.3, 0.1, z)
    grid = [rejection_power(x, 1.0, z) for x in np.linspace(0, 10, 41)]
    assert np.all(np.diff(grid) > 0)
    d99 = detectable_shift(0.2, z)
    assert rejection_power(d99, 0.2, z) == pytest.approx(0.99, abs=1e-9)
    assert d99 == pytest.approx((z + sps.norm.isf(0.01)) * 0.2, rel=1e-6)
    # with a systematic term: threshold z_crit SE, noise stat
    assert rejection_power(0.5, 0.1, z, stat=0.05) == pytest.approx(sps.norm.cdf(4.0) + sps.norm.cdf(-16.0), rel=1e-12)
    assert rejection_power(0.5, 0.1, z, stat=0.1) == rejection_power(0.5, 0.1, z)
    d99s = detectable_shift(0.2, z, stat=0.1)
    assert rejection_power(d99s, 0.2, z, stat=0.1) == pytest.approx(0.99, abs=1e-9)
    assert d99s == pytest.approx(z * 0.2 + sps.norm.isf(0.01) * 0.1, rel=1e-6) and d99s < d99
    with pytest.raises(ValueError, match="se"):
        rejection_power(1.0, 0.0, z)
    with pytest.raises(ValueError, match="stat"):
        rejection_power(1.0, 0.1, z, stat=0.2)


def test_rejection_power_is_the_rejection_rate_under_the_falsifier(monkeypatch):
    """Monte Carlo: ladders simulated with the truth moved by the falsifier are rejected at the rate P. sys is a
    function of the variants' shifts, which are independent of Q_hat under the model, so P (threshold z_crit SE,
    noise stat) is the exact conditional rejection probability: its mean is the rejection rate, also among the
    ladders where sys > 0. The formula with SE as the noise as well understates it there (its mean falls short of
    the rate by many standard errors): that is what the check must not use. The identity holds whatever rule turns
    the shifts into sys; the test uses the one-sigma rule (SYS_NOISE_Z = 1), under which sys > stat/2 in a fifth of
    the ladders, so that the conditional statement is tested where it differs from the naive one."""
    import w2s.validation.stats as stats_module

    monkeypatch.setattr(stats_module, "SYS_NOISE_Z", 1.0)
    z_crit = 2.5
    for delta, n, lo, hi in ((0.012, 1000, 0.2, 0.8), (0.02, 1500, 0.7, 0.95)):
        rng = np.random.default_rng(31)
        rejected, powers, naive, has_sys = [], [], [], []
        for _ in range(n):
            rungs = _rungs(rng, q=1.0 + delta, reps=100)
            chk = check_component("q", 1.0, rungs, alpha=1.0, z_crit=z_crit, fit_p_min=0.0, falsifier=delta)
            rejected.append(abs(chk.z) > z_crit)
            powers.append(chk.power)
            naive.append(rejection_power(delta, chk.se_total, z_crit))
            has_sys.append(chk.sys > 0.5 * chk.stat)
        rejected, powers, naive, has_sys = map(np.asarray, (rejected, powers, naive, has_sys))
        assert has_sys.sum() > 0.1 * n
        sel = has_sys if delta > 0.015 else np.ones(n, bool)
        p_mean = float(np.mean(powers[sel]))
        assert lo < p_mean < hi  # the interesting range, where the check has teeth
        assert abs(np.mean(rejected[sel]) - p_mean) <= 4 * np.sqrt(p_mean * (1 - p_mean) / sel.sum())
    assert np.mean(naive[has_sys]) < p_mean - 0.03  # SE as the noise too: 0.80 against the rate 0.85


def test_falsifier_too_fine_for_the_ladder_fails_and_says_so():
    rng = np.random.default_rng(7)
    rungs = _rungs(rng, reps=2000)
    ok = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, falsifier=0.05)
    assert ok.passed and ok.power > 0.999
    fine = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, falsifier=0.2 * ok.detectable)
    assert not fine.power_sufficient and not fine.passed
    assert abs(fine.z) <= fine.z_crit  # the prediction itself is fine: only the power check fails
    assert any("falsifier" in r and "probability" in r for r in fine.reasons)
    edge = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, falsifier=ok.detectable * 1.001)
    assert edge.power_sufficient
    with pytest.raises(ValueError, match="falsifier"):
        check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-3, falsifier=0.0)


def test_runner_fails_a_claim_whose_falsifier_is_too_fine():
    from dataclasses import replace

    run = run_claims([replace(_claim(), falsifier=1e-4)], seed=3)
    (res,) = run.results
    assert res.verdict == "REJECTED" and res.power < POWER_MIN
    assert "falsifier" in " ".join(res.components[0].reasons)


# ---- systematic error of the extrapolation ----------------------------------------------------------------------
def test_two_term_fit_is_exact_on_noiseless_model():
    d = np.array([32, 64, 128, 256, 512, 1024])
    y = 0.7 + 3.0 / d - 50.0 / d**2
    fit = fit_extrapolation(d, y, np.full(d.size, 1e-4), alpha=1.0, terms=2)
    assert fit.q_hat == pytest.approx(0.7, abs=1e-12)
    assert (fit.a, fit.b) == (pytest.approx(3.0, rel=1e-8), pytest.approx(-50.0, rel=1e-8))
    assert fit.dof == d.size - 3 and fit.terms == 2


def test_variant_shift_variance_is_the_difference_of_variances():
    """Under the main model, Var(q_k - Q_hat) = s_k^2 - stat^2 for both variants (efficient estimator): the
    empirical variance of the shifts over 1500 synthetic ladders matches within its sampling error (chi2 on 1499
    dof: relative sd sqrt(2/1500) = 3.7%, band of 4 sd)."""
    rng = np.random.default_rng(11)
    shifts, predicted = [[], []], [[], []]
    for _ in range(1500):
        rungs = _rungs(rng, reps=100)
        vs = fit_variants([r.d for r in rungs], [r.mean for r in rungs], [r.se for r in rungs], 1.0)
        assert [v.label for v in vs] == ["without d=32", "+ d^-2 term"]
        for k, v in enumerate(vs):
            shifts[k].append(v.shift)
            predicted[k].append(v.se_shift**2)
    for k in range(2):
        assert np.var(shifts[k]) / np.mean(predicted[k]) == pytest.approx(1.0, abs=4 * np.sqrt(2 / 1500))


def test_systematic_error_covers_a_missing_second_order_term():
    """E[Q_d] = 1 + 2/d - 50/d^2, fitted with the one-term model: the intercept is biased by many statistical SEs
    (z_stat ~ 4.5) and the chi-square test at 1e-3 does not see it (p ~ 1e-5 .. 1e-2 depending on the draw, here
    passed with p_min 1e-6); the variants' spread becomes sys and brings z back to O(1)."""
    rng = np.random.default_rng(5)
    rungs = _rungs(rng, b=-50.0, reps=4000)
    chk = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-6)
    z_stat = (chk.fit.q_hat - 1.0) / chk.stat
    assert abs(z_stat) > 3.0
    assert chk.sys > 2 * chk.stat
    assert abs(chk.z) <= 3.0 and chk.passed


def test_systematic_error_is_small_under_the_model():
    """Without a missing term, sys is noise in the shifts minus its expectation: coverage of |z| <= 1.96 with the
    total error is at least the nominal 95% (the test is conservative, never anti-conservative), and sys is 0 in
    a good fraction of ladders."""
    rng = np.random.default_rng(13)
    zs, zero = [], 0
    for _ in range(800):
        chk = check_component("q", 1.0, _rungs(rng, reps=100), alpha=1.0, z_crit=3.0, fit_p_min=0.0)
        zs.append(chk.z)
        zero += chk.sys == 0.0
    cover = np.mean(np.abs(zs) <= 1.959964)
    assert cover >= 0.95 - 4 * np.sqrt(0.95 * 0.05 / 800)
    assert zero / 800 > 0.3


def test_exact_quantities_have_no_systematic_error():
    rng = np.random.default_rng(3)
    rungs = _rungs(rng, a=0.0, alpha=0.0)
    chk = check_component("q", 1.0, rungs, alpha=0.0, z_crit=3.0, fit_p_min=1e-3)
    assert chk.variants == [] and chk.sys == 0.0 and chk.se_total == chk.stat


def test_variants_need_enough_rungs():
    d, y, s = [32, 64], [1.1, 1.05], [0.01, 0.01]
    assert fit_variants(d, y, s, 1.0) == []
    assert [v.label for v in fit_variants(d + [128], y + [1.02], s + [0.01], 1.0)] == ["without d=32"]


def test_systematic_error_does_not_swallow_a_wrong_limit():
    """The same curved ladder as above with a limit 2% off: sys absorbs the curvature, not the error (REJECTED)."""
    rng = np.random.default_rng(5)
    rungs = _rungs(rng, b=-50.0, reps=4000)
    right = check_component("q", 1.0, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-6)
    wrong = check_component("q", 1.02, rungs, alpha=1.0, z_crit=3.0, fit_p_min=1e-6)
    assert right.passed and not wrong.passed
    assert wrong.sys == right.sys  # sys depends on the data only, not on the prediction
    assert abs(wrong.z) > 3.0
