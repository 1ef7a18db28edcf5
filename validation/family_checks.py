"""The three checks every certified claim must pass, as pytest tests generated for one claim family.

A family's test file (``validation/test_<family>.py``) calls :func:`family_tests` and adds its own end-to-end
tests (deliberately wrong closed forms must come out REJECTED)::

    globals().update(family_tests("transfer"))

The generated tests use the ``certify_family`` fixture (``validation/conftest.py``): the family is run once per
session, with the same draws and Bonferroni ``z_crit`` as the full ``w2s certify`` run. For every claim:

1. it is certified;
2. power check: the same data reject the prediction moved by 3 resolutions (in units of the component's scale,
   away from 0), as in :func:`w2s.validation.stats.check_component`;
3. it rejects its declared falsifier (``claim.falsifier`` times the scale).
"""

from __future__ import annotations

import numpy as np
import pytest

from .registry import builtin_registry

__all__ = ["explain", "family_tests"]


def explain(result) -> str:
    """A failure message with every component's numbers."""
    lines = [f"{result.claim.id}: {result.verdict} {result.error or ''}"]
    for c in result.components:
        lines.append(f"  {c.name}: pred {c.prediction:.6g} hat {c.fit.q_hat:.6g} +- {c.fit.se_hat:.2g} z {c.z:+.2f} "
                     f"res {c.resolution:.3g} p_fit {c.fit.p_value:.3g} {c.reasons}")
    return "\n".join(lines)


def family_tests(family: str) -> dict:
    """``{"run": fixture, "test_...": test, ...}`` for the built-in claims of ``family``."""
    ids = [c.id for c in builtin_registry().family(family)]
    if not ids:
        raise LookupError(f"no built-in claim in family {family!r}")

    @pytest.fixture(scope="module")
    def run(certify_family):
        return certify_family(family)

    @pytest.mark.parametrize("claim_id", ids)
    def test_claim_is_certified(run, claim_id):
        result = run[claim_id]
        assert result.passed, explain(result)

    @pytest.mark.parametrize("claim_id", ids)
    def test_power_check_rejects_perturbed_prediction(run, claim_id):
        result = run[claim_id]
        assert result.power_ok, explain(result)
        for c in result.components:
            assert c.rejects(c.prediction + np.copysign(3 * c.resolution * c.scale, c.prediction or 1.0)), explain(result)

    @pytest.mark.parametrize("claim_id", ids)
    def test_declared_falsifier_is_rejected(run, claim_id):
        result = run[claim_id]
        assert result.falsifier_rejected, (
            f"the run cannot tell the prediction from itself moved by {result.claim.falsifier} x scale:\n"
            + explain(result))

    return {"IDS": ids, "run": run, "test_claim_is_certified": test_claim_is_certified,
            "test_power_check_rejects_perturbed_prediction": test_power_check_rejects_perturbed_prediction,
            "test_declared_falsifier_is_rejected": test_declared_falsifier_is_rejected}
