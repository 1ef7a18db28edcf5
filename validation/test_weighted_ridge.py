"""Certify the weighted-ridge claims (Moniri & Hassani 2025, Part (b); spec moniri_hassani.md §2).

Each claim must be certified, pass the power check (the same data reject the prediction scaled by
``1 + 3 resolution``) and reject its declared falsifier; a last test runs a deliberately wrong closed form (the
spike factor ``p^u = 1/(1 + kappa g)`` replaced by the bulk factor, i.e. the spike ignored) end to end.
"""

import dataclasses

import numpy as np
import pytest

from w2s.theory import weighted_ridge as T
from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims

FAMILY = "weighted-ridge"
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
    assert sum(i.startswith("wridge.spiked.") for i in IDS) >= 4
    assert any(i.startswith("wridge.general.") for i in IDS)
    assert any("aligned-beats" in i for i in IDS) and any("zeta-c" in i for i in IDS)


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


def test_spike_ignored_is_rejected_end_to_end(run):
    """Predicting the spiked student with the Part (a) formula (g_s = 1, i.e. ignoring the spike) must fail."""
    claim = builtin_registry()["wridge.spiked.gs<1.zeta=0.8"]

    def wrong(p):
        return [T.weighted_teacher_risk(p["lam_t"], p["gamma_t"], p["zeta"], p["g_t"], p["sigma2"], p["r2"])] + [
            T.weighted_student_risk(p["lam_t"], p["gamma_t"], p["lam_s"], p["gamma_s"], 1.0, p["zeta"], p["sigma2"],
                                    p["r2"], p["g_t"]) for _g in p["g_s"]]

    bad = dataclasses.replace(claim, id=claim.id + ".spike-ignored", predict=wrong)
    out = run_claims([bad], tier=run.tier, seed=run.seed, n_tests=run.n_tests)
    assert out.results[0].verdict == "REJECTED"
    # and a 3% error in the spiked formula itself
    off = dataclasses.replace(claim, id=claim.id + ".wrong-by-3pct",
                              predict=lambda p: np.asarray(claim.predict(p), float) * 1.03)
    assert run_claims([off], tier=run.tier, seed=run.seed, n_tests=run.n_tests).results[0].verdict == "REJECTED"
