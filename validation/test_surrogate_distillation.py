"""Certify the surrogate_distillation claims (docs/surrogate_distillation.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests); the
tests below feed plausible mistakes through the whole pipeline and require REJECTED.
"""

import dataclasses

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from w2s.theory import surrogate_distillation as T
from w2s.validation.claims.surrogate_distillation import optimality_claim
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

globals().update(family_tests("surrogate_distillation"))  # certified, power check, falsifier rejected: every claim


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The end-to-end runs simulate in this process: one BLAS thread, as in the certifier's worker processes (the
    designs are small, and a multi-threaded BLAS on a busy machine is many times slower)."""
    with threadpool_limits(1):
        yield


def _verdict(claim, run):
    return rerun([claim], run).results[0].verdict


def test_a_wrong_optimal_surrogate_formula_is_rejected_end_to_end(run):
    """kappa instead of kappa - 1 in the denominator of theta_opt (the slip of writing the ridgeless variance
    factor for its excess): the sampled risk is then not minimised at the proposed surrogate."""
    def wrong(lam, b, n):
        de = T.solve_de(lam, n)
        return b * de.zeta / (de.zeta**2 + de.kappa * (1.0 - de.zeta) ** 2)

    claim = optimality_claim("distill.optimal-surrogate-is-a-minimiser.kappa-slip", surrogate=wrong, register=False)
    assert _verdict(claim, run) == "REJECTED"


def test_a_wrong_exponent_is_rejected_end_to_end(run):
    """The exponent of tau instead of the risk's ((beta - 1)/alpha: n and tau^-1/alpha confused), and the right
    exponent 3% off."""
    claim = builtin_registry()["distill.scaling-law.same-exponent-better-constant"]

    def predict(p):
        e = (p["beta"] - 1.0) / p["alpha"]
        return [e, e, 0.0, claim.predict(p)[3]]

    assert _verdict(dataclasses.replace(claim, id=claim.id + ".tau-exponent", predict=predict), run) == "REJECTED"
    # the 3% error against the certified run's own extrapolation (same data, same z_crit)
    result = run[claim.id]
    for c in result.components[:2]:
        assert c.rejects(1.03 * c.prediction)


def test_the_risk_without_the_variance_inflation_is_rejected_end_to_end(run):
    """The DE risk with kappa = 1 in the theta^2 coefficient (dropping (kappa - 1)(1 - zeta)^2) is rejected."""
    claim = builtin_registry()["distill.risk.two-level"]

    def predict(p):
        from w2s.validation.claims.surrogate_distillation import _surrogates, two_level_problem
        lam, b, n = two_level_problem(p, 1000)
        de = T.solve_de(lam, n)
        return [float(np.sum(lam * (de.zeta**2 * t**2 - 2 * de.zeta * b * t + b**2)) + p["sigma2"] * (de.kappa - 1))
                for t in _surrogates(lam, b, n)]

    assert _verdict(dataclasses.replace(claim, id=claim.id + ".no-inflation", predict=predict), run) == "REJECTED"
