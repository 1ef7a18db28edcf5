"""The certifier's statistics on synthetic ladders whose truth is known exactly."""

import numpy as np
import pytest
from scipy import stats as sps

from w2s.validation.registry import Claim, Ladder
from w2s.validation.runner import run_claims
from w2s.validation.stats import (
    RungStats,
    bonferroni_z,
    check_component,
    fit_extrapolation,
    rung_stats,
)

D = np.array([32, 64, 128, 256, 512])


def _rungs(rng, q=1.0, a=2.0, alpha=1.0, reps=400, sd0=1.0):
    """Rung means drawn from the exact model ybar ~ N(q + a d^-alpha, sd^2/reps) with sd = sd0/sqrt(d)."""
    out = []
    for d in D:
        x = q + a * d ** (-alpha) + sd0 / np.sqrt(d) * rng.standard_normal(reps)
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
    assert chk.passed and chk.power_ok
    assert chk.rejects(1.0 * (1 + 3 * chk.resolution))
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


LADDER = Ladder((32, 64, 128, 256), (2000, 1000, 500, 250))


def _claim(pred_factor=1.0, simulate=_sim, cid="synthetic.q"):
    return Claim(id=cid, title="synthetic", statement="E Q_d = q + a/d", source="test", provenance="test",
                 params={"q": 0.8, "a": 1.5}, predict=lambda p: p["q"] * pred_factor, simulate=simulate,
                 ladders={"fast": LADDER})


def test_runner_certifies_truth_and_rejects_five_percent_error():
    run = run_claims([_claim(), _claim(1.05, cid="synthetic.wrong")], seed=3)
    assert run["synthetic.q"].passed and run["synthetic.q"].power_ok and run["synthetic.q"].falsifier_rejected
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
