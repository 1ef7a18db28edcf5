"""The claims registry: families, one-rung ladders for exact quantities, and the built-in modules."""

from __future__ import annotations

import numpy as np
import pytest

from w2s.validation.registry import Claim, Ladder, builtin_families, builtin_registry
from w2s.validation.runner import run_claims


def test_every_builtin_claim_has_a_family_and_a_source():
    reg = builtin_registry()
    fams = {c.family for c in reg if not c.id.startswith("user.")}
    # every discovered family registers claims or (a family that only shows, e.g. benign_overfitting) shown records
    assert fams | {s.family for s in reg.shown.values()} == set(builtin_families())
    assert {"ridge", "weighted_ridge", "feature_learning", "transfer"} <= fams
    for c in reg:
        if c.id.startswith("user."):  # claims files loaded by other tests share the registry
            continue
        assert c.family and c.source and c.provenance, c.id
        assert c.finite_size == 0 or c.finite_size_reason, c.id
    assert all(c.family == "transfer" for c in reg.family("transfer"))


def _exact_claim(prediction, ladder):
    return Claim(id="t.exact", title="t", statement="s", source="s", provenance="p", params={},
                 predict=lambda p: prediction, simulate=lambda p, d, rng, reps: rng.standard_normal(reps),
                 ladders={"fast": ladder}, finite_size=0.0, scale=(1.0,), family="t")


def test_one_rung_ladders_only_for_exact_quantities():
    one = Ladder(d=(10,), reps=(400,))
    _exact_claim(0.0, one)  # fine: exact at every size
    with pytest.raises(ValueError, match=">= 2 rungs to extrapolate"):
        Claim(id="t.bad", title="t", statement="s", source="s", provenance="p", params={},
              predict=lambda p: 0.0, simulate=lambda p, d, rng, reps: np.zeros(reps), ladders={"fast": one})
    with pytest.raises(ValueError, match="finite_size"):
        Claim(id="t.bad", title="t", statement="s", source="s", provenance="p", params={},
              predict=lambda p: 0.0, simulate=lambda p, d, rng, reps: np.zeros(reps), ladders={"fast": one},
              finite_size=-1.0)


def test_zero_prediction_is_certified_and_its_falsifier_rejected():
    """A standard-normal mean with prediction 0: certified; the falsifier (0 + 0.05 x scale) is far outside the
    resolution of 4 x 4000 draws (SE 0.008), so it is rejected; a prediction of 0.2 is REJECTED."""
    lad = Ladder(d=(1, 2, 3, 4), reps=(4000, 4000, 4000, 4000))
    good = run_claims([_exact_claim(0.0, lad)], seed=3).results[0]
    assert good.passed and good.power >= 0.99
    from dataclasses import replace
    claim = replace(_exact_claim(0.0, lad), falsifier=0.2)
    assert run_claims([claim], seed=3).results[0].falsifier_rejected
    assert run_claims([_exact_claim(0.2, lad)], seed=3).results[0].verdict == "REJECTED"


def test_shown_statements_are_listed_apart_from_claims(capsys):
    """Statements shown in figures but not certified are registered as such, named in `w2s list` under their own
    heading, and never share an id with a claim."""
    from w2s.validation.cli import main

    reg = builtin_registry()
    assert reg.shown, "the built-in families record what they only show"
    families = set(builtin_families())
    for item in reg.shown.values():
        assert item.id not in reg.claims and item.family in families and item.reason
    assert main(["list", "elicit.*"]) == 0
    out = capsys.readouterr().out
    assert "NOT certified" in out and "elicit.shown.w2s-retention-under-correlation" in out
