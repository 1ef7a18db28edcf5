"""The three checks every certified claim must pass, as pytest tests generated for one claim family.

A family's test file (``validation/test_<family>.py``) calls :func:`family_tests` and adds its own end-to-end
tests (deliberately wrong closed forms must come out REJECTED)::

    globals().update(family_tests("transfer"))

The generated tests use the ``certify_family`` fixture (``validation/conftest.py``): the family is run once per
session, with the same draws and Bonferroni ``z_crit`` as the full ``w2s certify`` run. For every claim:

1. it is certified;
2. falsifier power: for every component, the probability that a run of this ladder rejects the prediction when the
   truth is the claim's declared falsifier (``claim.falsifier`` times the scale, with the total error
   ``sqrt(stat^2 + sys^2)``) is at least :data:`~w2s.validation.stats.POWER_MIN`, as in
   :func:`w2s.validation.stats.check_component`; a falsifier too fine for the ladder fails here;
3. this run's data reject the declared falsifier.
"""

from __future__ import annotations

import pytest

from .registry import builtin_registry
from .stats import POWER_MIN, rejection_power

__all__ = ["explain", "family_tests", "rerun_executor"]

#: Worker processes of end-to-end reruns (deliberately wrong claims); set from ``--jobs`` by the root conftest.
RERUN_JOBS = 1


def rerun_executor():
    """The executor for a test's own certification runs (``--jobs`` forked workers, as the family run): wrong claims
    draw their own replicates, and in one process they would cost the suite several minutes."""
    from .runner import LocalExecutor, ProcessExecutor

    return ProcessExecutor(RERUN_JOBS) if RERUN_JOBS > 1 else LocalExecutor()


def explain(result) -> str:
    """A failure message with every component's numbers."""
    lines = [f"{result.claim.id}: {result.verdict} {result.error or ''}"]
    for c in result.components:
        lines.append(f"  {c.name}: pred {c.prediction:.6g} hat {c.fit.q_hat:.6g} +- {c.stat:.2g} (stat) +- "
                     f"{c.sys:.2g} (sys) z {c.z:+.2f} power {c.power:.3f} detectable {c.detectable:.3g} "
                     f"p_fit {c.fit.p_value:.3g} {c.reasons}")
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
    def test_falsifier_is_detected_with_power(run, claim_id):
        result = run[claim_id]
        assert result.components, explain(result)
        for c in result.components:
            delta = result.claim.falsifier * c.scale
            assert c.power == pytest.approx(rejection_power(delta, c.se_total, c.z_crit, c.stat), rel=1e-12)
            assert c.power >= POWER_MIN, (
                f"{c.name}: the falsifier {result.claim.falsifier} x scale is rejected with probability "
                f"{c.power:.3f} < {POWER_MIN}; 99% power needs {c.detectable:.3g} x scale\n" + explain(result))

    @pytest.mark.parametrize("claim_id", ids)
    def test_declared_falsifier_is_rejected(run, claim_id):
        result = run[claim_id]
        assert result.falsifier_rejected, (
            f"the run cannot tell the prediction from itself moved by {result.claim.falsifier} x scale:\n"
            + explain(result))

    return {"IDS": ids, "run": run, "test_claim_is_certified": test_claim_is_certified,
            "test_falsifier_is_detected_with_power": test_falsifier_is_detected_with_power,
            "test_declared_falsifier_is_rejected": test_declared_falsifier_is_rejected}
