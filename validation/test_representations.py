"""Certify the representations claims (Xue, Li & Mirzasoleiman 2025; docs/representations.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below run deliberately wrong formulas end to end.
"""

import dataclasses

import numpy as np

from w2s.kernels.representations import simulate_w2s
from w2s.theory import representations as T
from w2s.validation.claims import representations as RC
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import Ladder, builtin_registry

FAMILY = "representations"
_CHECKS = family_tests(FAMILY)
globals().update(_CHECKS)  # certified, power check, falsifier rejected, for every claim
IDS = _CHECKS["IDS"]

#: A shorter ladder for the wrong variants (they must be rejected; certifying needs the claim's own ladder).
SHORT = {"fast": Ladder(d=(200, 400, 800), reps=(300, 300, 300))}


def test_family_has_the_required_claims():
    assert {"repr.w2s-errors.population-limit.nested", "repr.w2s-errors.population-limit.misaligned",
            "repr.prediction-gap.simulation-minus-formula", "repr.error-split.population-limit",
            "repr.w2s-beats-weak.misaligned", "repr.gram-simulator.exact-in-law",
            "repr.label-free-metric.frobenius.population-limit"} <= set(IDS)
    assert all(i.startswith("repr.") for i in IDS)


def test_wrong_formulas_are_rejected_end_to_end(run):
    """(★) with P_w and P_s swapped, and (★) times 1.03, must come out REJECTED from the full pipeline; so must a
    population limit 3% off."""
    claim = builtin_registry()["repr.prediction-gap.simulation-minus-formula"]
    As, a = RC.strong_matrix(), RC.label_direction()
    Aw = RC.weak_of(RC.NESTED)

    def variant(name, formula):
        def simulate(p, n, rng, reps):
            out = np.empty(reps)
            for r in range(reps):
                d = simulate_w2s(Aw, As, a, sigma2=p["sigma2"], gamma_w=p["gamma_w"], gamma_s=p["gamma_s"],
                                    beta_w=RC.NESTED["beta_w"], beta_s=p["beta_s"], n_tilde=n, n_hat=n, D=n * n,
                                    rng=rng)
                out[r] = d.pred_gap[0] - formula(d.Z_hat @ Aw.T, d.Z_hat @ As.T, d.y_hat, RC.reg_w(p, 1e-3),
                                                 RC.reg_s(p))
            return out
        return dataclasses.replace(claim, id=claim.id + name, simulate=simulate, components=("PredGap(sim)-formula",),
                                   predict=lambda p: 0.0, scale=(claim.scale[0],), ladders=SHORT)

    swapped = variant(".Pw-Ps-swapped", lambda Hw, Hs, y, rw, rs: T.prediction_gap(Hs, Hw, y, rs, rw))
    scaled = variant(".times-1.03", lambda Hw, Hs, y, rw, rs: 1.03 * T.prediction_gap(Hw, Hs, y, rw, rs))
    right = variant(".right", lambda Hw, Hs, y, rw, rs: T.prediction_gap(Hw, Hs, y, rw, rs))
    res = rerun([swapped, scaled, right], run)
    assert res.results[0].verdict == "REJECTED"
    assert res.results[1].verdict == "REJECTED"
    assert res.results[2].verdict == "CERTIFIED"  # the same short ladder certifies the right formula



def test_wrong_population_limits_are_rejected_end_to_end(run):
    """A population limit 3% off, and smoothers built with beta alone (forgetting the implicit ridge gamma of the
    non-principal part), must come out REJECTED (one run: the two variants share the simulation)."""
    pop = builtin_registry()["repr.w2s-errors.population-limit.nested"]
    off = dataclasses.replace(pop, id=pop.id + ".wrong-by-3pct",
                              predict=lambda p: np.asarray(pop.predict(p), float) * 1.03)

    def predict(p):
        P = RC.population(dict(p, gamma_w=1e-12, gamma_s=1e-12), RC.NESTED)
        return [P.pred_gap, P.err_w, P.err_sc, P.err_w2s]

    slip = dataclasses.replace(pop, id=pop.id + ".gamma-dropped", predict=predict)
    res = rerun([off, slip], run)
    assert [r.verdict for r in res.results] == ["REJECTED", "REJECTED"]


def test_reversed_ranking_is_rejected_end_to_end(run):
    """The ranking with the weak models' order reversed (each adjacent difference of metric and W2S error with the
    opposite sign), and a ranking where only the W2S errors are reversed (the metric then orders the models against
    their errors), must both come out REJECTED from the full pipeline (one shared draw per claim)."""
    from w2s.validation.claims.representations import _rank_predict, ranking_values
    claim = builtin_registry()["repr.label-free-metric.ranks-weak-models"]

    def err_reversed(p):
        v = ranking_values(p).copy()
        v[:, 2] = v[::-1, 2]
        return _rank_predict(p, v)

    wrong = [dataclasses.replace(claim, id=claim.id + ".reversed",
                                 predict=lambda p: _rank_predict(p, ranking_values(p)[::-1])),
             dataclasses.replace(claim, id=claim.id + ".errors-reversed", predict=err_reversed)]
    results = rerun(wrong, run).results
    assert [r.verdict for r in results] == ["REJECTED", "REJECTED"]
