"""Certify the ridge teacher -> student claims (Moniri & Hassani 2025, Part (a); spec moniri_hassani.md §1).

Each claim must (1) be certified, (2) pass the power check — the same data reject the prediction scaled by
(1 + 3 resolution) — and (3) reject its declared falsifier, the prediction perturbed by ``claim.falsifier``
(5% for the risks). A last test runs a deliberately wrong prediction end to end through the certifier.
"""

import dataclasses

import numpy as np
import pytest

from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims

RIDGE_IDS = [c.id for c in builtin_registry().select("ridge.*")]


def _explain(result):
    lines = [f"{result.claim.id}: {result.verdict} {result.error or ''}"]
    for c in result.components:
        lines.append(f"  {c.name}: pred {c.prediction:.6g} hat {c.fit.q_hat:.6g} +- {c.fit.se_hat:.2g} z {c.z:+.2f} "
                     f"res {c.resolution:.3g} p_fit {c.fit.p_value:.3g} {c.reasons}")
    return "\n".join(lines)


@pytest.mark.parametrize("claim_id", RIDGE_IDS)
def test_claim_is_certified(certification, claim_id):
    result = certification[claim_id]
    assert result.passed, _explain(result)


@pytest.mark.parametrize("claim_id", RIDGE_IDS)
def test_power_check_rejects_perturbed_prediction(certification, claim_id):
    result = certification[claim_id]
    assert result.power_ok, _explain(result)
    for c in result.components:
        # moved by 3 resolutions (in units of the component's scale, away from 0), as in stats.check_component
        assert c.rejects(c.prediction + np.copysign(3 * c.resolution * c.scale, c.prediction or 1.0)), _explain(result)


@pytest.mark.parametrize("claim_id", RIDGE_IDS)
def test_declared_falsifier_is_rejected(certification, claim_id):
    result = certification[claim_id]
    assert result.falsifier_rejected, (
        f"the run cannot tell the prediction from itself x (1 + {result.claim.falsifier}):\n" + _explain(result))


def test_certifier_rejects_a_wrong_prediction_end_to_end(certification):
    """A 5% error in a closed form must come out REJECTED from the full pipeline (same draws, same z_crit)."""
    claim = builtin_registry()["ridge.same-inputs-student.gamma>1"]
    wrong = dataclasses.replace(claim, id=claim.id + ".wrong-by-5pct",
                                predict=lambda p: np.asarray(claim.predict(p), float) * 1.05)
    run = run_claims([wrong], tier=certification.tier, seed=certification.seed, n_tests=certification.n_tests)
    assert run.results[0].verdict == "REJECTED"
    assert not run.passed
