"""The ``w2s`` command line: listing, predictions, user conjectures, reports, and bad input (exit status 2)."""

import json
import textwrap

import pytest

from w2s.validation.cli import main
from w2s.validation.registry import Registry, load_claims_file

RISK = "ridge.risk.gamma_s<1.under-regularised-teacher"

USER_FILE = textwrap.dedent('''
    """E[Q_d] = 0.5 + 1/d: a toy conjecture defined by predict() and simulate()."""
    import numpy as np
    from w2s.validation.registry import Ladder

    ID = "user.toy-{tag}"
    PARAMS = {{"q": 0.5}}
    LADDER = Ladder((32, 64, 128, 256), (800, 400, 200, 100))
    {falsifier_line}

    def predict(params):
        return params["q"] * {factor}

    def simulate(params, d, rng, reps):
        return params["q"] + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)
''')


def _user_file(tmp_path, tag="ok", factor=1.0, falsifier=0.25):
    """A toy conjecture; with 1600 draws its extrapolated SE is ~0.01 (2% of 0.5), so 99% power needs a falsifier
    of ~15%; ``falsifier=None`` leaves the default 5%, too fine for this ladder."""
    p = tmp_path / f"toy_{tag}.py"
    line = "" if falsifier is None else f"FALSIFIER = {falsifier}"
    p.write_text(USER_FILE.format(tag=tag, factor=factor, falsifier_line=line))
    return p


def test_list_json(capsys):
    assert main(["list", "ridge.*", "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    ids = {c["id"] for c in claims}
    assert RISK in ids
    paper = [c for c in claims if c["source"].startswith("Moniri")]  # (not the simulator/sampler certificates)
    assert paper and all("DERIVED under the ridge setup (docs/ridge.md" in c["provenance"] for c in paper)


def test_list_table(capsys):
    assert main(["list"]) == 0
    assert "ridge.risk" in capsys.readouterr().out


def test_predict_default_and_override(capsys):
    assert main(["predict", RISK, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["prediction"]["R_t"] == pytest.approx(0.7338428937, abs=1e-9)
    assert main(["predict", RISK, "lam_t=0.5", "sigma2=1"]) == 0
    text = capsys.readouterr().out
    assert "R_t = 0.41421356" in text  # optimal teacher: R_t* = sqrt(2) - 1 at gamma_t = 0.5


@pytest.mark.parametrize("argv, message", [
    (["predict", "no.such.claim"], "unknown claim"),
    (["predict", RISK, "lam_t"], "malformed parameter"),
    (["predict", RISK, "=3"], "malformed parameter"),
    (["predict", RISK, "foo=1"], "unknown parameter 'foo'"),
    (["predict", RISK, "lam_t=abc"], "cannot parse"),
    (["predict", RISK, "lam_t=-1"], "lam_t=-1 is outside the allowed range"),
    (["predict", RISK, "gamma_s=nan"], "gamma_s must be finite"),
    (["predict", RISK, "sigma2=inf"], "sigma2 must be finite"),
    (["certify", "no-match-anywhere"], "no claim matches"),
    (["list", "--claims", "/nonexistent/file.py"], "claims file not found"),
])
def test_user_errors_exit_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["certify", "--tier", "huge"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["certify", "--seed", "-3"])
    assert exc.value.code == 2


def test_user_conjecture_certified_with_report(tmp_path, capsys):
    f = _user_file(tmp_path)
    out = tmp_path / "report"
    code = main(["certify", "user.toy-ok", "--claims", str(f), "--out", str(out), "--seed", "4", "--quiet"])
    assert code == 0, capsys.readouterr()
    doc = json.loads((out / "report.json").read_text())
    assert doc["meta"]["seed"] == 4 and doc["meta"]["all_certified"]
    (claim,) = doc["claims"]
    assert claim["verdict"] == "CERTIFIED" and claim["falsifier_power"] >= 0.99
    assert [r["d"] for r in claim["checks"][0]["rungs"]] == [32, 64, 128, 256]
    assert "numpy" in doc["meta"]["versions"]
    md = (out / "report.md").read_text()
    assert "user.toy-ok" in md and "CERTIFIED" in md
    assert any(p.name.startswith("convergence_") for p in (out / "figures").iterdir())


def test_falsifier_too_fine_for_the_ladder_is_not_certified(tmp_path, capsys):
    """The right formula, but the default 5% falsifier is below what 1600 draws can detect with 99% power: exit 1,
    and the report and the summary say why."""
    f = _user_file(tmp_path, tag="fine", falsifier=None)
    out = tmp_path / "r"
    assert main(["certify", "user.toy-fine", "--claims", str(f), "--out", str(out), "--quiet", "--no-figures"]) == 1
    doc = json.loads((out / "report.json").read_text())
    (check,) = doc["claims"][0]["checks"]
    assert abs(check["z"]) <= check["z_crit"] and check["power"] < 0.99 and not check["power_sufficient"]
    assert "falsifier 0.05 x scale rejected with probability" in " ".join(check["reasons"])
    assert "falsifier" in capsys.readouterr().out


def test_wrong_user_conjecture_exits_1(tmp_path):
    f = _user_file(tmp_path, tag="wrong", factor=1.05)
    assert main(["certify", "user.toy-wrong", "--claims", str(f), "--out", str(tmp_path / "r"), "--quiet",
                 "--no-figures"]) == 1


def test_claims_file_with_claims_list(tmp_path):
    p = tmp_path / "many.py"
    p.write_text(textwrap.dedent('''
        import numpy as np
        from w2s.validation.registry import Claim, Ladder
        def sim(params, d, rng, reps):
            return rng.standard_normal(reps) / np.sqrt(d) + 1.0
        CLAIMS = [Claim(id=f"user.many.{i}", title="t", statement="s", source="me", provenance="CONJECTURE",
                        params={}, predict=lambda p: 1.0, simulate=sim,
                        ladders={"fast": Ladder((16, 32), (50, 50))}) for i in range(2)]
    '''))
    reg = Registry()
    added = load_claims_file(p, reg)
    assert [c.id for c in added] == ["user.many.0", "user.many.1"]


def test_claims_file_without_claims_is_an_error(tmp_path):
    p = tmp_path / "empty.py"
    p.write_text("x = 1\n")
    with pytest.raises(ValueError, match="neither CLAIMS nor predict"):
        load_claims_file(p, Registry())
