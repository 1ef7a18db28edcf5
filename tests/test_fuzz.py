"""Fuzzed input to the command line and the public API: every user error ends in one line on stderr and exit status
2 (CLI) or a ``ValueError`` (API), never a traceback; predictions at in-range parameters are finite; a broken user
simulator yields an ERROR verdict for its claim only.

Example budgets follow the hypothesis profile (``tests/conftest.py``): ``ci`` (default) a few hundred examples,
``thorough`` 10^4 (``HYPOTHESIS_PROFILE=thorough pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from w2s.validation.cli import main
from w2s.validation.registry import builtin_registry

REG = builtin_registry()
IDS = sorted(REG.claims)


def _run(argv) -> tuple[int, str, str]:
    """``main(argv)`` as a user runs it: warnings are not errors there (pytest makes them errors), and this checks
    exit statuses and messages, not warnings."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _assert_user_error_or_ok(code, out, err):
    assert code in (0, 2), (code, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    if code == 2:
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        assert lines, "exit 2 without a message"
        if not err.startswith("usage:"):  # argparse prints usage + one error line
            assert len(lines) == 1, err


_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1e-12, 1e12, 7.0, -1.0, 0.5, 2.0]),
    st.integers(min_value=-10**6, max_value=10**6),
)
_value_text = st.one_of(
    _numbers.map(repr),
    _numbers.map(str),
    st.text(max_size=12),
    st.sampled_from(["", "[]", "[0.1]", "(1, 2)", "[0.1, 1e9]", "None", "True", "'x'", "\"gaussian\"", "gaussian",
                     "uniform", "{}", "1e999", "-inf", "nan", "[nan]", "0x10", "1_000", "[[1]]"]),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(cid=st.sampled_from(IDS), data=st.data())
def test_predict_with_random_assignments(cid, data):
    """``w2s predict CLAIM k=v``: random keys (mostly the claim's own) and random value strings."""
    claim = REG[cid]
    keys = list(claim.params) or ["x"]
    key = data.draw(st.one_of(st.sampled_from(keys), st.text(max_size=6)), label="key")
    text = data.draw(_value_text, label="value")
    code, out, err = _run(["predict", cid, f"{key}={text}", "--json"])
    _assert_user_error_or_ok(code, out, err)
    if code == 0:
        pred = json.loads(out)["prediction"]
        assert pred and all(isinstance(v, float) and math.isfinite(v) for v in pred.values()), out


def _in_range(value, draw):
    """A random value near a numeric default (factor in [0.8, 1.25], sign kept), else the default."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return value
    f = draw(st.floats(min_value=0.8, max_value=1.25))
    if isinstance(value, int):
        return max(1, int(round(value * f))) if value > 0 else value
    return value * f


@given(cid=st.sampled_from(IDS), data=st.data())
def test_predictions_at_random_in_range_parameters_are_finite(cid, data):
    """Every registered claim, every numeric parameter moved by up to 25%: finite numbers, or a ValueError that
    names a parameter (the move left the allowed range); never a NaN."""
    claim = REG[cid]
    params = {k: _in_range(v, data.draw) for k, v in claim.params.items()}
    try:
        pred = claim.prediction(params)
    except ValueError as exc:
        assert str(exc)
        assume(False)
    assert np.all(np.isfinite(pred)), (cid, params, pred)


@given(pattern=st.one_of(st.text(max_size=20), st.sampled_from(["*", "ridge.*", "[", "**", "?", "elicit", "]["])))
def test_list_with_random_patterns(pattern):
    assume(not pattern.startswith("-"))
    code, out, err = _run(["list", pattern, "--json"])
    _assert_user_error_or_ok(code, out, err)
    if code == 0:
        assert json.loads(out)


@given(text=st.one_of(st.text(max_size=200),
                      st.sampled_from(["def predict(p):\n  return 1\n", "import numpy as np\nx = (", "CLAIMS = [1]\n",
                                       "raise RuntimeError('x')\n", "CLAIMS = None\n", "1/0\n", "import sys; sys.exit(3)\n",
                                       "from w2s.validation.registry import Ladder\nLADDER = Ladder((1,), (1,))\n"])))
@settings(max_examples=max(20, settings().max_examples // 4))
def test_malformed_claims_files(tmp_path_factory, text):
    """A claims file with a syntax error, a failing import or nonsense content: one line naming the file, exit 2."""
    path = tmp_path_factory.mktemp("claims") / "conj.py"
    path.write_text(text)
    code, out, err = _run(["list", "--claims", str(path), "--json"])
    assume(code != 0 or "CLAIMS" in text or "predict" in text)  # a file that defines nothing harmful may be fine
    _assert_user_error_or_ok(code, out, err)
    if code == 2:
        assert str(path) in err


def test_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\n\ndef predict(params:\n    return 1\n")
    code, _, err = _run(["certify", "--claims", str(path), "--quiet"])
    assert code == 2 and "Traceback" not in err
    assert f"{path}:3: syntax error" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, expect", [
    (["predict", "transfer.convex-hull-limit.biased", "K=7"], "n*MSE"),
    (["predict", "transfer.convex-hull-limit.biased", "K=7.0"], "n*MSE"),
    (["predict", "transfer.convex-hull-limit.biased", "design=gaussian"], "n*MSE"),
    (["predict", "transfer.convex-hull-limit.biased", "design=\"gaussian\""], "n*MSE"),
    (["predict", "wridge.spiked.gs>1.zeta=0.7.g-grid", "g_s=[0.1]"], "R_s(g_s=0.1) ="),
    (["predict", "wridge.spiked.gs>1.zeta=0.7.g-grid", "g_s=[0.1, 0.5]"], "R_s(g_s=0.5) ="),
])
def test_assignments_a_new_user_writes(argv, expect):
    code, out, err = _run(argv)
    assert code == 0, err
    assert expect in out


def test_grid_override_labels_follow_the_parameters():
    code, out, _ = _run(["predict", "wridge.spiked.gs>1.zeta=0.7.g-grid", "g_s=[0.1, 0.5]", "--json"])
    assert code == 0 and list(json.loads(out)["prediction"]) == ["R_t", "R_s(g_s=0.1)", "R_s(g_s=0.5)"]
    code, _, err = _run(["predict", "transfer.convex-hull-limit.biased", "K=7.5"])
    assert code == 2 and "K must be an integer" in err


BROKEN = textwrap.dedent('''
    import numpy as np
    from w2s.validation.registry import Claim, Ladder

    LAD = {"fast": Ladder((32, 64, 128, 256), (800, 400, 200, 100))}

    def good(params, d, rng, reps):
        return 0.5 + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)

    def wrong_shape(params, d, rng, reps):
        return np.zeros((reps, 3))

    def nan(params, d, rng, reps):
        x = good(params, d, rng, reps)
        x[0] = np.nan
        return x

    def raises(params, d, rng, reps):
        raise FloatingPointError("the user's kernel diverged")

    def short(params, d, rng, reps):
        return good(params, d, rng, reps)[:-1]

    CLAIMS = [Claim(id=f"user.fuzz.{fn.__name__}", title="t", statement="s", source="me", provenance="CONJECTURE",
                    params={}, predict=lambda p: 0.5, simulate=fn, ladders=LAD, falsifier=0.3)
              for fn in (good, wrong_shape, nan, raises, short)]
''')


def test_broken_user_simulators_are_errors_of_their_claims_only(tmp_path):
    path = tmp_path / "broken_sims.py"
    path.write_text(BROKEN)
    out = tmp_path / "report"
    code, stdout, err = _run(["certify", "user.fuzz.", "--claims", str(path), "--out", str(out), "--quiet",
                              "--jobs", "1"])
    assert code == 1 and "Traceback" not in err
    doc = json.loads((out / "report.json").read_text())
    verdicts = {c["id"]: (c["verdict"], c["error"]) for c in doc["claims"]}
    assert verdicts["user.fuzz.good"][0] == "CERTIFIED"
    for name, message in (("wrong_shape", "shape"), ("nan", "non-finite"), ("raises", "diverged"),
                          ("short", "replicates")):
        verdict, error = verdicts[f"user.fuzz.{name}"]
        assert verdict == "ERROR" and message in error, (name, error)
    assert (out / "report.md").exists() and "ERROR" in (out / "report.md").read_text()
