"""Certify the self_distillation claims (docs/self_distillation.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below feed plausible wrong closed forms through the certifier. The
wrong claims keep their claim's simulation, so they are all run together and each simulation is drawn once, with
the same draws and ``z_crit`` as the family's certification run.
"""

import dataclasses

import numpy as np
import pytest

from w2s.theory import self_distillation as T
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

FAMILY = "self_distillation"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]

UNDER = "selfdistill.optimal-mixing.gamma=0.5.under-regularised"
OVER = "selfdistill.optimal-mixing.gamma=0.5.over-regularised"
GAMMA2 = "selfdistill.optimal-mixing.gamma=2.under-regularised"
PARABOLA = "selfdistill.risk-parabola.gamma=0.5.lam=0.05"


def _limit(p):
    return T.limit(lam=p["lam"], gamma=p["gamma"], sigma2=p["sigma2"], r2=p["r2"])


def _replace(cid, **override):
    """The claim's prediction with some components replaced by a wrong formula (a function of the limit)."""
    claim = builtin_registry()[cid]

    def predict(p):
        out = np.asarray(claim.predict(p), float).copy()
        for j, name in enumerate(claim.components):
            if name in override:
                out[j] = float(override[name](_limit(p)))
        return out
    return claim, predict


def _parabola_without_lam(p):
    L, xi = _limit(p), np.asarray(p["xi_grid"], float)
    return L.risk + xi * L.risk_deriv + xi**2 * L.curvature


#: tag -> (claim, wrong predict, what the mistake is)
WRONG = {
    "xi-sign-flipped.under": (*_replace(UNDER, **{"xi*": lambda L: -L.xi_star}), "xi* = +R'/(2 lam c)"),
    "xi-sign-flipped.over": (*_replace(OVER, **{"xi*": lambda L: -L.xi_star}), "xi* = +R'/(2 lam c)"),
    "xi-without-lam": (*_replace(UNDER, **{"xi*": lambda L: -L.risk_deriv / (2 * L.curvature)}),
                       "xi* = -R'/(2 c): the lam of the step xi lam dropped"),
    "gain-without-4c": (*_replace(GAMMA2, gain=lambda L: L.risk_deriv**2), "gain R'^2 without its 1/(4c)"),
    "gain-over-2c": (*_replace(GAMMA2, gain=lambda L: L.risk_deriv**2 / (2 * L.curvature)), "gain R'^2/(2c)"),
    "parabola-without-lam": (builtin_registry()[PARABOLA], _parabola_without_lam,
                             "R(xi) = R + xi R' + xi^2 c: the derivative in lam taken as one in xi"),
}


@pytest.fixture(scope="module")
def wrong_run(run):
    claims = [dataclasses.replace(c, id=f"{c.id}.{tag}", predict=f) for tag, (c, f, _) in WRONG.items()]
    out = rerun(claims, run)
    return {tag: res for tag, res in zip(WRONG, out.results)}


def test_family_has_the_required_claims():
    assert {UNDER, OVER, GAMMA2, PARABOLA} <= set(IDS)


@pytest.mark.parametrize("tag", sorted(WRONG))
def test_a_plausible_wrong_formula_is_rejected_end_to_end(wrong_run, tag):
    res = wrong_run[tag]
    assert res.verdict == "REJECTED", f"{WRONG[tag][2]} was not rejected"
