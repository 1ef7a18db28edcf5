"""Certify the kl_misfit claims (docs/kl_misfit.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`). The tests below feed plausible wrong statements through the certifier, all in
one run (they share the family's simulation, drawn once, with the same draws and ``z_crit`` as the certification
run): above all the negative control, the identity with both KL orientations reversed.
"""

import dataclasses

import numpy as np
import pytest

from w2s.validation.claims.kl_misfit import SHARED, predictions
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

FAMILY = "kl_misfit"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]

FORWARD = "klm.forward-ce.gain-equals-misfit"
MISMATCHED = "klm.forward-ce.mismatched-orientation-fails"
REVERSE = "klm.reverse-kl.mixture-pythagorean-inequality"


def _claim(base, tag, components, select, predict):
    claim = builtin_registry()[base]
    return dataclasses.replace(claim, id=f"{claim.id}.{tag}", components=components, sign=None,
                               simulate=SHARED.observe(select), predict=predict)


#: tag -> (claim, what the mistake is)
WRONG = {
    # the negative control: the identity of (b) with both KL orientations reversed
    "mismatched-identity": (_claim(
        MISMATCHED, "mismatched-identity", ("KL(*||sw)",), lambda r: r["kl_star_sw"],
        lambda p: predictions(p)[0].mismatched_bound),
        "KL(f*||f_sw) = KL(f*||f_w) - KL(f_sw||f_w) under forward-CE training"),
    "misfit-reversed": (_claim(
        FORWARD, "misfit-reversed", ("KL(sw||*)",), lambda r: r["kl_sw_star"],
        lambda p: predictions(p)[0].kl_w_star - predictions(p)[0].kl_sw_w),
        "KL(f_sw||f*) = KL(f_w||f*) - KL(f_sw||f_w): the misfit in the other orientation"),
    "error-reversed": (_claim(
        FORWARD, "error-reversed", ("KL(sw||*)",), lambda r: r["kl_sw_star"],
        lambda p: predictions(p)[0].kl_star_w - predictions(p)[0].misfit),
        "KL(f_sw||f*) = KL(f*||f_w) - KL(f_w||f_sw): the teacher's error in the other orientation"),
    "reverse-as-equality": (dataclasses.replace(
        builtin_registry()[REVERSE], id=REVERSE + ".as-equality",
        predict=lambda p: [predictions(p)[1].kl_star_sw, predictions(p)[1].kl_sw_w, 0.0], scale=(1.0, 1.0, 0.1)),
        "(a) stated as an equality (gap 0)"),
}


@pytest.fixture(scope="module")
def wrong_run(run):
    out = rerun([c for c, _ in WRONG.values()], run)
    return dict(zip(WRONG, out.results))


def test_family_has_the_required_claims():
    assert {FORWARD, MISMATCHED, REVERSE} <= set(IDS)


@pytest.mark.parametrize("tag", sorted(WRONG))
def test_a_plausible_wrong_statement_is_rejected_end_to_end(wrong_run, tag):
    res = wrong_run[tag]
    assert res.error is None, res.error
    assert res.verdict == "REJECTED", f"{WRONG[tag][1]} was not rejected"


def test_the_negative_control_is_rejected_by_the_data_not_by_its_sign(wrong_run, run):
    """The mismatched identity fails by many resolutions: |z| far beyond z_crit, with the prediction below the data."""
    c = wrong_run["mismatched-identity"].components[0]
    assert c.z > run.z_crit + 4.5
    ok = run[MISMATCHED].components
    assert ok[1].fit.q_hat > 0 and ok[1].fit.q_hat / ok[1].fit.se_hat > run.z_crit + 4.5
    assert np.isclose(c.prediction, ok[0].prediction - ok[1].prediction)
