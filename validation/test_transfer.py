"""Certify the transfer claims (Somerstep et al. 2025; docs/transfer.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below run deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np

from w2s.theory import transfer as T
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

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
    assert rerun([slip], run).results[0].verdict == "REJECTED"
    floor = builtin_registry()["transfer.naive-fine-tuning-floor"]
    off = dataclasses.replace(floor, id=floor.id + ".wrong-by-3pct",
                              predict=lambda p: np.asarray(floor.predict(p), float) * 1.03)
    assert rerun([off], run).results[0].verdict == "REJECTED"


def test_exact_bias_removal_is_rejected_in_the_paper_setting(run):
    """With a weak bias that has a component t < 0 along the target, assuming the convex hull still removes the bias
    exactly (the orthogonal-case statement of docs/transfer.md §2.3), and the naive floor with the cross term kappa
    dropped (the orthogonal formula with eps_Q'^2 = t^2 + b^2), must both be REJECTED end to end; so must the hull's
    variance constant with K in place of K - 1 (25% off, near the claim's 20% falsifier)."""
    hull = builtin_registry()["transfer.paper-setting.convex-hull"]

    def exact_removal(p):
        v = list(hull.predict(p))
        v[1:3] = [0.0, 0.0]
        return v

    naive = builtin_registry()["transfer.paper-setting.naive-floor"]

    def no_kappa(p):
        a = np.full(p["K"], 1.0 / p["K"])
        return [T.naive_floor(a, 0, p["b2"] + t * t) for t in p["ts"]]

    def variance_with_K(p):  # (sigma2 + b^2 + t^2/K) K instead of (K - 1): 25% off at K = 5
        v = list(hull.predict(p))
        n_t = len(p["ts"])
        v[1 + n_t:] = [x * p["K"] / (p["K"] - 1) for x in v[1 + n_t:]]
        return v

    for claim, predict in ((hull, exact_removal), (hull, variance_with_K), (naive, no_kappa)):
        # resolution scales of the right claim (a predicted 0 has no relative scale of its own)
        wrong = dataclasses.replace(claim, id=f"{claim.id}.{predict.__name__}", predict=predict,
                                    scale=tuple(abs(v) for v in claim.prediction()))
        assert rerun([wrong], run).results[0].verdict == "REJECTED"


def test_wrong_typical_rate_is_rejected_end_to_end(run):
    """The mean (Chernoff) rate r* in place of the typical rate, and a typical rate 3% off, must be REJECTED."""
    claim = builtin_registry()["transfer.typical-rate.biased"]
    wrong = [dataclasses.replace(claim, id=claim.id + ".chernoff-rate",
                                 predict=lambda p: T.chernoff_rate(p["sigma2"], p["b2"], p["design"]).rate),
             dataclasses.replace(claim, id=claim.id + ".wrong-by-3pct", predict=lambda p: 1.03 * claim.predict(p))]
    results = rerun(wrong, run).results
    assert [r.verdict for r in results] == ["REJECTED", "REJECTED"]
