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


def test_a_biased_conditional_simulator_is_rejected_end_to_end(run):
    """The certificate of the conditional simulator can fail: the same claim run on a conditional simulator whose
    noise variance is 20% low (what a wrong noise trace would do)
    must come out REJECTED, on its own draws."""
    from w2s.kernels.laguerre import conditional_ridge_w2s, reduced_ridge_w2s

    claim = builtin_registry()["ridge.conditional-simulator.unbiased.n>d"]

    def biased(p, d, rng, reps):
        n_t, n_s = max(1, round(d / p["gamma_t"])), max(1, round(d / p["gamma_s"]))
        out = np.empty((reps, 2))
        for r in range(reps):
            a = conditional_ridge_w2s(d, n_t, n_s, [p["lam_t"]], [p["lam_s"]], sigma2=0.8 * p["sigma2"], r2=p["r2"],
                                      rng=rng)
            b = reduced_ridge_w2s(d, n_t, n_s, [p["lam_t"]], [p["lam_s"]], sigma2=p["sigma2"], r2=p["r2"], rng=rng)
            out[r] = (a.R_t[0] - b.R_t[0], a.R_s[0, 0] - b.R_s[0, 0])
        return out

    wrong = dataclasses.replace(claim, id=claim.id + ".noise-20pct-low", simulate=biased)
    result = rerun([wrong], run)
    assert result.results[0].verdict == "REJECTED"
    assert not result.passed
