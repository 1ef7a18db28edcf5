"""Certify the one-step feature-learning claims (Moniri & Hassani 2025, Part (c); spec moniri_hassani.md §3).

Each claim must be certified, pass the power check (the same data reject the prediction moved by 3 resolutions)
and reject its declared falsifier; a last test runs deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np
import pytest

from w2s.theory import feature_learning as T
from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims

FAMILY = "feature-learning"
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
    assert sum(i.startswith("fl.teacher-alignment.") and not i.endswith(".rate") for i in IDS) >= 3
    assert any(i.startswith("fl.student.") for i in IDS)


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


def test_wrong_alignment_is_rejected_end_to_end(run):
    """Dropping the gamma E[y^2] term's noise contribution (a plausible slip: ||v||^2 -> c_e^2 + gamma E[g^2])
    and a 3% error in the alignment must both come out REJECTED from the full pipeline."""
    claim = builtin_registry()["fl.teacher-alignment.linear.he2.gamma=0.5"]
    slip = dataclasses.replace(claim, id=claim.id + ".noise-dropped",
                               predict=lambda p: list(T.teacher_alignment(p["g_e"], p["g_h"], p["gamma"], 0.0)))
    assert run_claims([slip], tier=run.tier, seed=run.seed, n_tests=run.n_tests).results[0].verdict == "REJECTED"
    off = dataclasses.replace(claim, id=claim.id + ".wrong-by-3pct",
                              predict=lambda p: np.asarray(claim.predict(p), float) * np.array([1.03, 1.0]))
    assert run_claims([off], tier=run.tier, seed=run.seed, n_tests=run.n_tests).results[0].verdict == "REJECTED"
