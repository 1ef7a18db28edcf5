"""`w2s calibrate`: the same claims under many seeds, failure counts and the family-wise false-alarm rate."""

import dataclasses
import json
import textwrap

import numpy as np
import pytest
from scipy import stats as sps

from w2s.kernels.rng import generator
from w2s.validation.calibration import (
    CALIBRATION_SEED_BASE,
    calibrate,
    calibration_seeds,
    clopper_pearson,
    write_calibration,
)
from w2s.validation.cli import main
from w2s.validation.registry import Claim, Ladder

LADDER = Ladder((32, 64, 128, 256), (2000, 1000, 500, 250))


def _sim(params, d, rng, reps):
    return params["q"] + params["a"] / d + rng.standard_normal(reps) / np.sqrt(d)


def _claim(cid, factor=1.0):
    return Claim(id=cid, title="synthetic", statement="E Q_d = q + a/d", source="test", provenance="test",
                 params={"q": 0.8, "a": 1.5}, predict=lambda p: p["q"] * factor, simulate=_sim,
                 ladders={"fast": LADDER}, falsifier=0.3)


def test_calibration_seeds_never_meet_certification_seeds():
    seeds = calibration_seeds(5)
    assert seeds == [CALIBRATION_SEED_BASE + k for k in range(5)] and min(seeds) == 2**32
    first = {s: generator(s, "claim:x", 64, 0).random(4).tolist() for s in [0, 1, 2, 3] + seeds}
    assert len({tuple(v) for v in first.values()}) == len(first)
    # 2^32 + k is not k: the second 32-bit entropy word differs
    assert first[CALIBRATION_SEED_BASE] != first[0]
    with pytest.raises(ValueError, match="seeds"):
        calibration_seeds(0)


def test_clopper_pearson_matches_beta_quantiles():
    lo, hi = clopper_pearson(0, 20)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-9)  # 0.168
    lo, hi = clopper_pearson(3, 20)
    assert lo == pytest.approx(sps.beta.ppf(0.025, 3, 18), rel=1e-9)
    assert hi == pytest.approx(sps.beta.ppf(0.975, 4, 17), rel=1e-9)
    with pytest.raises(ValueError):
        clopper_pearson(5, 3)


def test_correct_claim_rarely_fails_and_biased_claim_fails_often():
    """Ten seeds: the correct claim fails at the designed rate (a few per cent at most), the claim whose
    prediction is 3% off (about 6 statistical errors at this ladder) fails in nearly every seed."""
    good, biased = _claim("cal.good"), _claim("cal.biased", factor=1.03)
    seen = []
    res = calibrate([good, biased], calibration_seeds(10), on_seed=lambda r: seen.append(r.n_seeds))
    assert seen == list(range(1, 11))  # partial results after every seed
    assert res.complete and res.n_seeds == 10
    assert res.failures("cal.good") <= 1
    assert res.failures("cal.biased") >= 9
    assert res.failed_checks("cal.biased").get("z", 0) >= 9
    assert res.family_failures >= 9
    rate, lo, hi = res.family_rate()
    assert lo <= rate <= hi and lo > 0.5


def test_write_calibration_json_and_markdown(tmp_path):
    res = calibrate([_claim("cal.good")], calibration_seeds(2))
    paths = write_calibration(res, tmp_path)
    doc = json.loads(paths["json"].read_text())
    assert doc["seeds_done"] == [2**32, 2**32 + 1] and doc["complete"]
    assert doc["claims"][0]["id"] == "cal.good" and "family_rate_ci95" in doc
    assert "Clopper" in paths["md"].read_text()


TOY = textwrap.dedent('''
    import numpy as np
    from w2s.validation.registry import Ladder
    ID = "user.cal-toy"
    PARAMS = {"q": 0.5}
    LADDER = Ladder((32, 64, 128, 256), (800, 400, 200, 100))
    FALSIFIER = 0.3
    def predict(params):
        return params["q"]
    def simulate(params, d, rng, reps):
        return params["q"] + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)
''')


def test_cli_calibrate_writes_report(tmp_path, capsys):
    f = tmp_path / "toy.py"
    f.write_text(TOY)
    out = tmp_path / "cal"
    assert main(["calibrate", "user.cal-toy", "--claims", str(f), "--seeds", "3", "--out", str(out), "--quiet",
                 "--jobs", "1"]) == 0
    doc = json.loads((out / "calibration.json").read_text())
    assert len(doc["runs"]) == 3 and doc["claims"][0]["id"] == "user.cal-toy"
    assert "family-wise false-alarm rate" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["calibrate", "--seeds", "0"], ["calibrate"], ["certify", "--seed", str(2**32)]])
def test_cli_calibrate_bad_input_exits_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def _cal(tmp_path, *extra, out="cal", toy=TOY):
    f = tmp_path / "toy.py"
    f.write_text(toy)
    return main(["calibrate", "user.cal-toy", "--claims", str(f), "--out", str(tmp_path / out), "--quiet",
                 "--jobs", "1", *extra])


def test_cli_calibrate_resume_continues_the_same_seeds_bit_for_bit(tmp_path):
    """2 seeds, then --resume to 5: the same runs as 5 seeds at once (seed by seed), wall time accumulated."""
    assert _cal(tmp_path, "--seeds", "2") == 0
    first = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert not first["complete"] or first["seeds_planned"] == first["seeds_done"]
    assert first["identity"]["stamp"] and list(first["identity"]["claims"]) == ["user.cal-toy"]
    assert _cal(tmp_path, "--seeds", "5", "--resume") == 0
    resumed = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert _cal(tmp_path, "--seeds", "5", out="once") == 0
    once = json.loads((tmp_path / "once" / "calibration.json").read_text())
    assert resumed["seeds_done"] == once["seeds_done"] == [2**32 + k for k in range(5)] and resumed["complete"]
    assert resumed["runs"][:2] == first["runs"]
    assert [r["failed"] for r in resumed["runs"]] == [r["failed"] for r in once["runs"]]
    assert resumed["wall_seconds"] >= first["wall_seconds"]
    assert resumed["identity"] == once["identity"]


TOY2 = TOY.replace('ID = "user.cal-toy"', 'ID = "user.cal-toy2"')


def test_cli_calibrate_resume_reruns_only_changed_claims(tmp_path, capsys):
    """Two claims files; one is edited between the runs: --resume reruns that claim at the seeds done (its new
    verdicts equal a calibration of the edited file from scratch) and keeps the other's verdicts."""
    f1, f2 = tmp_path / "toy.py", tmp_path / "toy2.py"
    f1.write_text(TOY)
    f2.write_text(TOY2)
    argv = ["calibrate", "user.cal-toy", "--claims", str(f1), "--claims", str(f2), "--quiet", "--jobs", "1"]
    assert main([*argv, "--seeds", "3", "--out", str(tmp_path / "cal")]) == 0
    before = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    wrong = TOY.replace("return params[\"q\"]\n", "return params[\"q\"] * 1.2\n")  # a claim now far off
    assert wrong != TOY
    f1.write_text(wrong)
    assert main([*argv, "--seeds", "4", "--out", str(tmp_path / "cal"), "--resume"]) == 0
    after = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert main([*argv, "--seeds", "4", "--out", str(tmp_path / "once")]) == 0
    once = json.loads((tmp_path / "once" / "calibration.json").read_text())
    assert after["seeds_done"] == once["seeds_done"] and len(after["runs"]) == 4
    assert [r["failed"] for r in after["runs"]] == [r["failed"] for r in once["runs"]]
    assert all("user.cal-toy" in r["failed"] for r in after["runs"])  # the edited claim is now rejected
    assert [r.get("rerun") for r in after["runs"][:3]] == [["user.cal-toy"]] * 3 and "rerun" not in after["runs"][3]
    assert [r["claims"]["user.cal-toy2"] for r in after["runs"][:3]] == [r["claims"]["user.cal-toy2"]
                                                                        for r in before["runs"]]
    assert after["identity"]["claims"] == once["identity"]["claims"] != before["identity"]["claims"]


def test_cli_calibrate_refuses_what_would_change_every_verdict_and_never_overwrites(tmp_path, capsys):
    assert _cal(tmp_path, "--seeds", "1") == 0
    capsys.readouterr()
    # an existing calibration is not overwritten without --resume
    assert _cal(tmp_path, "--seeds", "2") == 2 and "--resume" in capsys.readouterr().err
    path = tmp_path / "cal" / "calibration.json"
    doc = json.loads(path.read_text())
    for edit, extra, msg in [(("libraries", {"numpy": "0.0"}), (), "library"),
                             (None, ("--alpha", "0.05"), "level"), (None, ("--tier", "full"), "tier"),
                             (("claims", {}), (), "older version"),
                             (None, ("--seeds", "1", "--out", str(tmp_path / "none")), "no calibration")]:
        d = json.loads(json.dumps(doc))
        if edit:
            d["identity"][edit[0]] = edit[1]
        path.write_text(json.dumps(d))
        assert _cal(tmp_path, "--seeds", "2", "--resume", *extra) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1, err
    path.write_text("{not json")
    assert _cal(tmp_path, "--seeds", "2", "--resume") == 2
    assert "not a calibration file" in capsys.readouterr().err
    assert path.read_text() == "{not json"  # untouched


def test_cli_calibrate_resume_with_a_new_claim_redecides_the_kept_verdicts(tmp_path):
    """A claim added between the runs changes the Bonferroni family: --resume runs only the new claim at the seeds
    done, decides the kept one again at the new z_crit from its stored measures, and equals a calibration of both
    from scratch, seed for seed."""
    f1, f2 = tmp_path / "toy.py", tmp_path / "toy2.py"
    f1.write_text(TOY)
    f2.write_text(TOY2)
    one = ["calibrate", "--claims", str(f1), "--quiet", "--jobs", "1", "user.cal-toy"]
    both = ["calibrate", "--claims", str(f1), "--claims", str(f2), "--quiet", "--jobs", "1", "user.cal-toy"]
    assert main([*one, "--seeds", "3", "--out", str(tmp_path / "cal")]) == 0
    before = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert before["identity"]["n_tests"] == 1
    assert main([*both, "--seeds", "3", "--out", str(tmp_path / "cal"), "--resume"]) == 0
    after = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert main([*both, "--seeds", "3", "--out", str(tmp_path / "once")]) == 0
    once = json.loads((tmp_path / "once" / "calibration.json").read_text())
    assert after["identity"]["n_tests"] == once["identity"]["n_tests"] == 2 and after["z_crit"] == once["z_crit"]
    assert [r["failed"] for r in after["runs"]] == [r["failed"] for r in once["runs"]]
    assert all(r["rerun"] == ["user.cal-toy2"] and r["rejudged_at_n_tests"] == 2 for r in after["runs"])
    assert [r["measures"] for r in after["runs"]] == [r["measures"] for r in once["runs"]]


def test_rejudge_decides_as_the_run_does_at_any_level():
    """Stored measures, decided at another n_tests, give the checks a run at that n_tests fails (and the same at
    the run's own level), on claims built to fail different checks."""
    from w2s.validation.calibration import _failed_checks, rejudge
    from w2s.validation.runner import run_claims

    # stat = 0.4% of the prediction: 1.6% off is z ~ 4 (z_crit = 2.6 at m = 1 ... 6.1 at m = 1e6); a 3% falsifier
    # has 99% power at m <= 40 and not at m = 1e6
    claims = [_claim("j.good"), _claim("j.off", factor=1.016),
              dataclasses.replace(_claim("j.fine"), falsifier=0.03)]
    seen = set()
    for seed in range(6):
        base = run_claims(claims, seed=seed, n_tests=3)
        for m in (1, 3, 40, 10**6):
            other = run_claims(claims, seed=seed, n_tests=m)
            for a, b in zip(base.results, other.results):
                meas = [c.measures() for c in a.components]
                assert rejudge(meas, other.z_crit, 0.01 / m) == _failed_checks(b)
                seen.add((a.claim.id, m, tuple(_failed_checks(b))))
    outcomes = {}
    for cid, m, checks in seen:
        outcomes.setdefault(cid, set()).add(checks)
    assert any(len(v) > 1 for v in outcomes.values())  # the level changes some verdicts: the test has teeth
    assert any("power" in c for v in outcomes.values() for c in v) and any("z" in c for v in outcomes.values() for c in v)


def test_resume_reports_the_level_with_every_partial_result():
    """The partial results written while changed claims are rerun at the seeds done carry the Bonferroni level of
    their verdicts (they once read z_crit = nan over 0 components until the first new seed)."""
    c = _claim("cal.level")
    first = calibrate([c], calibration_seeds(2))
    changed = dataclasses.replace(c, params={"q": 0.8, "a": 1.6})  # a new source hash: rerun at both seeds
    seen, reruns = [], []
    res = calibrate([changed], calibration_seeds(2), resume=first,
                    on_seed=lambda r: seen.append((r.z_crit, r.n_tests)), on_rerun=lambda ids, s: reruns.append(s))
    assert reruns == calibration_seeds(2) and np.isfinite(res.z_crit) and res.n_tests == 1
    assert seen == [(res.z_crit, 1)] * 2
