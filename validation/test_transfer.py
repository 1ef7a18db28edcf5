"""Certify the transfer claims (Somerstep et al. 2025; spec somerstep_refinement.md).

Each claim must be certified, pass the power check (the same data reject the prediction scaled by
``1 + 3 resolution``) and reject its declared falsifier; a last test runs deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np
import pytest

from w2s.theory import transfer as T
from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims

FAMILY = "transfer"
IDS = [c.id for c in builtin_registry().family(FAMILY)]


@pytest.fixture(scope="module")
def run(certify_family):
    return certify_family(FAMILY)


def _explain(result):
    lines = [f"{result.claim.id}: {result.verdict} {result.error or ''}"]
    for c in result.components:
        lines.append(f"  {c.name}: pred {c.prediction:.6g} hat {c.fit.q_hat:.6g} +- {c.fit.se_hat:.2g} z {c.z:+.2f} "
                     f"res {c.resolution:.3g} p_fit {c.fit.p_value:.3g} {c.reasons}")
    return "\n".join(lines)


def test_family_has_the_required_claims():
    assert {"transfer.naive-fine-tuning-floor", "transfer.convex-hull-limit.biased",
            "transfer.convex-hull-limit.unbiased", "transfer.bayes-weights.martingale",
            "transfer.misalignment-rate.biased", "transfer.misalignment-rate.unbiased"} <= set(IDS)


@pytest.mark.parametrize("claim_id", IDS)
def test_claim_is_certified(run, claim_id):
    result = run[claim_id]
    assert result.passed, _explain(result)


@pytest.mark.parametrize("claim_id", IDS)
def test_power_check_rejects_perturbed_prediction(run, claim_id):
    result = run[claim_id]
    assert result.power_ok, _explain(result)
    for c in result.components:
        # moved by 3 resolutions (in units of the component's scale, away from 0), as in stats.check_component
        assert c.rejects(c.prediction + np.copysign(3 * c.resolution * c.scale, c.prediction or 1.0)), _explain(result)


@pytest.mark.parametrize("claim_id", IDS)
def test_declared_falsifier_is_rejected(run, claim_id):
    result = run[claim_id]
    assert result.falsifier_rejected, (
        f"the run cannot tell the prediction from itself x (1 + {result.claim.falsifier}):\n" + _explain(result))


def test_wrong_predictions_are_rejected_end_to_end(run):
    """The convex-hull limit without the bias's noise contribution (sigma2 delta / c: the biased weak model treated
    as unbiased) and a floor 3% off must come out REJECTED from the full pipeline."""
    claim = builtin_registry()["transfer.convex-hull-limit.biased"]
    slip = dataclasses.replace(claim, id=claim.id + ".bias-noise-dropped",
                               predict=lambda p: T.convex_hull_limit(p["K"], p["sigma2"], 0.0, p["design"])[0])
    assert run_claims([slip], tier=run.tier, seed=run.seed, n_tests=run.n_tests).results[0].verdict == "REJECTED"
    floor = builtin_registry()["transfer.naive-fine-tuning-floor"]
    off = dataclasses.replace(floor, id=floor.id + ".wrong-by-3pct",
                              predict=lambda p: np.asarray(floor.predict(p), float) * 1.03)
    assert run_claims([off], tier=run.tier, seed=run.seed, n_tests=run.n_tests).results[0].verdict == "REJECTED"
