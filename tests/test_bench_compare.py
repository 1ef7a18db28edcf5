"""benchmarks/compare.py on synthetic pytest-benchmark JSON: a ratio that fell by more than the tolerance is
flagged (exit 1), one within it is not (exit 0), unreadable input is exit 2; and the committed baseline parses."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("w2s_bench_compare", ROOT / "benchmarks" / "compare.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


compare = _load()


def _results(path: Path, ratios: dict[str, dict[str, float]]) -> Path:
    doc = {"machine_info": {}, "benchmarks": [
        {"name": name, "fullname": f"benchmarks/x.py::{name}", "stats": {"min": 1.0},
         "extra_info": {"ratios": rows, "seconds": 0.1}} for name, rows in ratios.items()]
        + [{"name": "no_ratios", "extra_info": {"seconds": 1.0}}]}
    path.write_text(json.dumps(doc))
    return path


def test_a_ratio_that_fell_by_more_than_20_percent_is_flagged(tmp_path, capsys):
    base = _results(tmp_path / "base.json", {"test_a": {"row 1": 10.0, "row 2": 2.0}, "test_b": {"row 3": 1.5}})
    new = _results(tmp_path / "new.json", {"test_a": {"row 1": 7.9, "row 2": 2.5}, "test_b": {"row 3": 1.5}})
    assert compare.main([str(new), str(base)]) == 1
    out = capsys.readouterr().out
    flagged = [line for line in out.splitlines() if line.endswith("FELL")]
    assert len(flagged) == 1 and "row 1" in flagged[0]


def test_within_tolerance_and_gains_pass(tmp_path, capsys):
    base = _results(tmp_path / "base.json", {"test_a": {"row 1": 10.0, "row 2": 2.0}})
    new = _results(tmp_path / "new.json", {"test_a": {"row 1": 8.1, "row 2": 20.0, "row new": 1.0}})
    assert compare.main([str(new), str(base)]) == 0
    out = capsys.readouterr().out
    assert "FELL" not in out and "new row (no baseline): test_a / row new" in out


def test_tolerance_is_a_parameter_and_boundary_is_strict(tmp_path):
    base = _results(tmp_path / "base.json", {"t": {"r": 10.0}})
    new = _results(tmp_path / "new.json", {"t": {"r": 9.0}})  # fell by 10%
    assert compare.main([str(new), str(base), "--tolerance", "0.05"]) == 1
    assert compare.main([str(new), str(base), "--tolerance", "0.1"]) == 0  # exactly 10%: not "more than"
    rows, _, _ = compare.compare({("t", "r"): 7.99}, {("t", "r"): 10.0}, 0.2)
    assert rows[0][-1] is True


def test_missing_rows_are_listed_not_flagged(tmp_path, capsys):
    base = _results(tmp_path / "base.json", {"t": {"r": 10.0, "gone": 3.0}})
    new = _results(tmp_path / "new.json", {"t": {"r": 10.0}})
    assert compare.main([str(new), str(base)]) == 0
    assert "missing in new results: t / gone" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["not json", json.dumps({"no": "benchmarks"}),
                                     json.dumps({"benchmarks": [{"name": "x", "extra_info": {"ratios": [1]}}]})])
def test_bad_input_is_exit_2_with_one_line(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = _results(tmp_path / "good.json", {"t": {"r": 1.0}})
    assert compare.main([str(bad), str(good)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("compare: ")


def test_committed_baseline_has_ratios_and_compares_with_itself():
    base = compare.newest_baseline()
    ratios = compare.load_ratios(base)
    assert ratios, f"{base} has no ratios"
    assert compare.main([str(base), str(base)]) == 0
