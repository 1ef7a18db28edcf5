"""Certify the intrinsic_dimension claims (docs/intrinsic_dimension.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below feed plausible wrong formulas through the certifier.
"""

import dataclasses

from w2s.theory import intrinsic_dimension as T
from w2s.validation.claims import intrinsic_dimension as C
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

globals().update(family_tests("intrinsic_dimension"))  # certified, power check, falsifier rejected: every claim


def _verdicts(run, claims):
    return [r.verdict for r in rerun(claims, run).results]


def _wrong_exact(claim, name, transform):
    """The exact claim with its prediction recomputed from risks evaluated by ``transform(p) -> Risks``."""
    def predict(p):
        r = transform(p)
        return [r.teacher, r.w2s, r.ceiling]
    return dataclasses.replace(claim, id=claim.id + name, predict=predict)


def test_wrong_exact_forms_are_rejected(run):
    """(n - d - 1) replaced by n (the asymptotic sigma2 d/n read as exact); d_s/(N - d_s - 1) replaced by d_s/N; the
    bias terms dropped for the biased target: each must come out REJECTED."""
    reg = builtin_registry()
    frac, biased = reg["intrinsic-dim.exact-risks.fractional"], reg["intrinsic-dim.exact-risks.biased"]

    def plain_n(p):  # n - d - 1 -> n everywhere (N - d_s - 1 -> N too)
        V_s, V_w, _ = C.frame(p)
        d_sw = T.overlap_dim(V_s, V_w)
        n, N, s2 = p["n"], p["N"], p["sigma2"]
        return T.Risks(s2 * p["d_w"] / n, s2 / n * (d_sw + (p["d_w"] - d_sw) * p["d_s"] / N), s2 * p["d_s"] / n, 0, 0)

    def plain_N(p):  # only the student's shrinkage d_s/(N - d_s - 1) -> d_s/N
        r = C.risks(p)
        V_s, V_w, _ = C.frame(p)
        d_sw = T.overlap_dim(V_s, V_w)
        shrunk = p["sigma2"] * (p["d_w"] - d_sw) / (p["n"] - p["d_w"] - 1)
        return T.Risks(r.teacher, r.inherited + shrunk * p["d_s"] / p["N"], r.ceiling, 0, 0)

    def no_bias(p):
        V_s, V_w, _ = C.frame(p)
        return T.excess_risks(d_s=p["d_s"], d_w=p["d_w"], d_sw=T.overlap_dim(V_s, V_w), n=p["n"], N=p["N"],
                              sigma2=p["sigma2"])

    wrong = [_wrong_exact(frac, ".n-for-n-d-1", plain_n), _wrong_exact(frac, ".N-for-N-d_s-1", plain_N),
             _wrong_exact(biased, ".bias-dropped", no_bias), frac]
    assert _verdicts(run, wrong) == ["REJECTED", "REJECTED", "REJECTED", "CERTIFIED"]


def test_dropped_shrinkage_and_wrong_pgr_are_rejected(run):
    """Along the joint ladder: the student inheriting the whole teacher variance (shrinkage d_s/N dropped: n ER_w2s ->
    d_w) or shrinking the discrepancy by d_w/N instead of d_s/N; and PGR limits (d_w - d_sw)/d_w and d_sw/d_s."""
    reg = builtin_registry()
    asym, pgr = reg["intrinsic-dim.large-n-N.joint-ladder"], reg["intrinsic-dim.pgr-limit.fractional"]

    def shifted(i, value):
        def predict(p):
            v = list(asym.predict(p))
            v[i] = value(p)
            return v
        return predict

    no_shrink = dataclasses.replace(asym, id=asym.id + ".no-shrinkage", predict=shifted(2, lambda p: p["d_w"]))
    d_w_over_N = dataclasses.replace(asym, id=asym.id + ".d_w-over-N",
                                     predict=shifted(3, lambda p: p["d_w"] * (p["d_w"] - sum(p["cos2"]))))
    p = pgr.params
    d_sw = sum(p["cos2"])
    wrong_pgr = [dataclasses.replace(pgr, id=pgr.id + f".{name}",
                                     simulate=pgr.simulate.shared.observe(lambda raw, v=v: C.pgr_observe(p, raw, v)))
                 for name, v in (("over-d_w", (p["d_w"] - d_sw) / p["d_w"]), ("d_sw-over-d_s", d_sw / p["d_s"]))]
    assert _verdicts(run, [no_shrink, d_w_over_N, *wrong_pgr]) == ["REJECTED"] * 4
