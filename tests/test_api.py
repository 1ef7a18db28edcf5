"""The Python API (``w2s.validation.api``, docs/python-api.md): claims, predictions, certification of a user's
claim from a notebook, the per-rung table and the convergence figure — with the same statistics as the CLI."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from w2s.validation import api
from w2s.validation.registry import Claim, Ladder


def _mean_claim(prediction=0.5, cid="user.api.uniform-mean"):
    return Claim(id=cid, title="mean of U(0,1) + 1/d", statement="E[U + 1/d] -> 1/2", source="test",
                 provenance="DERIVED (elementary)", params={"shift": 0.0},
                 predict=lambda p: prediction + p["shift"],
                 simulate=lambda p, d, rng, reps: rng.uniform(size=reps) + 1.0 / d + p["shift"],
                 # 1600 draws per rung: 99% power against the 10% falsifier needs SE <~ 0.008 (400 gave 93%)
                 ladders={"fast": Ladder(d=(8, 16, 32, 64), reps=(1600, 1600, 1600, 1600))}, finite_size=1.0,
                 finite_size_reason="exact 1/d shift", falsifier=0.1, family="user")


def test_claims_and_predict_match_the_registry():
    found = api.claims("ridge.")
    assert found and all(c.id.startswith("ridge.") or "ridge." in c.id for c in found)
    claim = found[0]
    assert api.predict(claim.id) == {k: float(v) for k, v in zip(claim.components, claim.prediction())}
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        api.predict(claim.id, nope=1.0)
    with pytest.raises(KeyError, match="unknown claim"):
        api.predict("no.such.claim")


def test_certify_a_users_claim_from_python(tmp_path):
    run = api.certify(_mean_claim(), seed=4)
    res = run["user.api.uniform-mean"]
    assert run.passed and res.verdict == "CERTIFIED"
    rows = api.rung_table(run)
    assert [r["d"] for r in rows] == [8, 16, 32, 64] and all(r["reps"] == 1600 for r in rows)
    assert rows[0]["mean"] == pytest.approx(0.5 + 1 / 8, abs=5 * rows[0]["se"])
    fig = api.convergence_figure(res)
    assert len(fig.axes) == 2
    assert api.convergence_figure(res, tmp_path / "c.png").is_file()
    paths = api.write_report(run, tmp_path / "rep", figures=False)
    assert json.loads(paths["json"].read_text())["claims"][0]["verdict"] == "CERTIFIED"


def test_the_api_rejects_a_wrong_prediction_and_matches_the_runner():
    """A 10% error is REJECTED; the same seed gives the same statistics through the API and the runner, for any
    number of jobs."""
    from w2s.validation.runner import run_claims

    wrong = _mean_claim(0.55, cid="user.api.wrong")
    assert api.certify(wrong, seed=4)["user.api.wrong"].verdict == "REJECTED"
    a = api.certify([_mean_claim()], seed=9, jobs=2)["user.api.uniform-mean"].components[0]
    b = run_claims([_mean_claim()], seed=9)["user.api.uniform-mean"].components[0]
    assert (a.fit.q_hat, a.fit.se_hat, a.z) == (b.fit.q_hat, b.fit.se_hat, b.z)


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="no claim matches"):
        api.certify("no-such-claim-anywhere")
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        api.certify(_mean_claim(), jobs=0)
    with pytest.raises(ValueError, match="seed"):
        api.certify(_mean_claim(), seed=-1)
    broken = dataclasses.replace(_mean_claim(), id="user.api.broken",
                                 simulate=lambda p, d, rng, reps: np.full(reps, np.nan) if d > 8 else rng.uniform(size=reps))
    res = api.certify(broken, seed=1)["user.api.broken"]
    assert res.verdict != "CERTIFIED"
    with pytest.raises(ValueError, match="no statistics to draw"):
        api.convergence_figure(dataclasses.replace(res, components=[], error="x"))


def test_predict_bad_sizes_and_times_are_value_errors_naming_the_parameter():
    """Inputs the fuzzer found: a size that int() would truncate to 0, scalar, empty and huge time grids."""
    for J in (1e-300, 0, -3, 2.5, float("nan")):
        with pytest.raises(ValueError, match=r"J must be an integer in \[1, 256\]"):
            api.predict("klm.forward-ce.gain-equals-misfit", J=J)
    # sizes whose population arrays would not fit in memory (J = 1e6 asked for 24 GB in a fuzzing run)
    for name, v in (("J", 10**6), ("K", 65), ("m", 513), ("M", 10**6 + 1)):
        with pytest.raises(ValueError, match=rf"{name} must be an integer in \["):
            api.predict("klm.forward-ce.gain-equals-misfit", **{name: v})
    with pytest.raises(ValueError, match="M x J x K"):
        api.predict("klm.forward-ce.gain-equals-misfit", M=10**6, J=256, K=3)
    for times in ([], [2e40], "a", [2.0, 1.0]):
        with pytest.raises(ValueError, match=r"t \(times\)"):
            api.predict("elicit.alignment.w2s.p2", times=times)


def test_predict_labels_follow_overridden_times():
    assert api.predict("elicit.alignment.w2s.p2", times=0) == {"m(t=0)": 0.3}
    out = api.predict("elicit.alignment.w2s.p2", times=[0.5, 3.0])
    assert list(out) == ["m(t=0.5)", "m(t=3)"]
    assert out["m(t=3)"] == pytest.approx(api.predict("elicit.alignment.w2s.p2", times=[3.0])["m(t=3)"], rel=1e-8)
