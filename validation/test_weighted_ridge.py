"""Certify the weighted-ridge claims (Moniri & Hassani 2025, Part (b); docs/weighted_ridge.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below run deliberately wrong closed forms end to end.
"""

import dataclasses

import numpy as np

from w2s.theory import weighted_ridge as T
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

FAMILY = "weighted_ridge"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]


def test_family_has_the_required_claims():
    assert sum(i.startswith("wridge.spiked.") for i in IDS) >= 4
    assert any(i.startswith("wridge.general.") for i in IDS)
    assert any("aligned-beats" in i for i in IDS) and any("zeta-c" in i for i in IDS)


def test_spike_ignored_is_rejected_end_to_end(run):
    """Predicting the spiked student with the Part (a) formula (g_s = 1, i.e. ignoring the spike) must fail."""
    claim = builtin_registry()["wridge.spiked.gs<1.zeta=0.8"]

    def wrong(p):
        return [T.weighted_teacher_risk(p["lam_t"], p["gamma_t"], p["zeta"], p["g_t"], p["sigma2"], p["r2"])] + [
            T.weighted_student_risk(p["lam_t"], p["gamma_t"], p["lam_s"], p["gamma_s"], 1.0, p["zeta"], p["sigma2"],
                                    p["r2"], p["g_t"]) for _g in p["g_s"]]

    bad = dataclasses.replace(claim, id=claim.id + ".spike-ignored", predict=wrong)
    out = rerun([bad], run)
    assert out.results[0].verdict == "REJECTED"
    # and a 3% error in the spiked formula itself
    off = dataclasses.replace(claim, id=claim.id + ".wrong-by-3pct",
                              predict=lambda p: np.asarray(claim.predict(p), float) * 1.03)
    assert rerun([off], run).results[0].verdict == "REJECTED"
