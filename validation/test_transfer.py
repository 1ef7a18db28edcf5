"""Certify the transfer claims (Somerstep et al. 2025; docs/transfer.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below run deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np

from w2s.theory import transfer as T
from w2s.validation.family_checks import family_tests
from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims

FAMILY = "transfer"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]


def test_family_has_the_required_claims():
    assert {"transfer.naive-fine-tuning-floor", "transfer.convex-hull-limit.biased",
            "transfer.convex-hull-limit.unbiased", "transfer.bayes-weights.martingale",
            "transfer.misalignment-rate.biased", "transfer.misalignment-rate.unbiased"} <= set(IDS)


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
