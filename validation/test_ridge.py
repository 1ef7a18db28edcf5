"""Certify the ridge teacher -> student claims (Moniri & Hassani 2025, Part (a); docs/ridge.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below run deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np

from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

FAMILY = "ridge"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]


def test_certifier_rejects_a_wrong_prediction_end_to_end(run):
    """A 5% error in a closed form must come out REJECTED from the full pipeline (same draws, same z_crit)."""
    claim = builtin_registry()["ridge.same-inputs-student.gamma>1"]
    wrong = dataclasses.replace(claim, id=claim.id + ".wrong-by-5pct",
                                predict=lambda p: np.asarray(claim.predict(p), float) * 1.05)
    run = rerun([wrong], run)
    assert run.results[0].verdict == "REJECTED"
    assert not run.passed
