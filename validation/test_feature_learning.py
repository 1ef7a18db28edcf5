"""Certify the one-step feature-learning claims (Moniri & Hassani 2025, Part (c); docs/feature_learning.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below run deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np

from w2s.theory import feature_learning as T
from w2s.validation.family_checks import family_tests
from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims

FAMILY = "feature_learning"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]


def test_family_has_the_required_claims():
    assert sum(i.startswith("fl.teacher-alignment.") and not i.endswith(".rate") for i in IDS) >= 3
    assert any(i.startswith("fl.student.") for i in IDS)


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
