"""Compare the same-run speed ratios of a new benchmark results file with a stored baseline.

Usage::

    pytest benchmarks/ --benchmark-json=new.json
    python benchmarks/compare.py new.json [benchmarks/baselines/BASELINE.json] [--tolerance 0.2]

Absolute times do not transfer between machines (or between a quiet and a busy one); ratios measured in the
same run mostly do. Every benchmark may store its ratios in ``extra_info["ratios"]`` (a mapping from a row
label to ``ours / reference``, higher is better for us); this script pairs the rows of the two files by
``(benchmark name, row label)`` and flags each ratio that fell by more than ``tolerance`` (default 20%):
``new < (1 - tolerance) * baseline``. Exit status: 0 when nothing fell, 1 when a ratio fell, 2 on bad input
(unreadable file, no ratios in either file). Rows present in only one file are listed, not flagged.
Without a baseline argument the newest file under ``benchmarks/baselines/`` is used.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

BASELINES = Path(__file__).resolve().parent / "baselines"


def load_ratios(path: str | Path) -> dict[tuple[str, str], float]:
    """``{(benchmark name, row label): ratio}`` from a pytest-benchmark JSON file (``--benchmark-json``)."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read benchmark results {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise ValueError(f"{path} is not a pytest-benchmark results file (no 'benchmarks' list)")
    out: dict[tuple[str, str], float] = {}
    for b in doc["benchmarks"]:
        ratios = (b.get("extra_info") or {}).get("ratios") or {}
        if not isinstance(ratios, dict):
            raise ValueError(f"{path}: extra_info.ratios of {b.get('name')!r} must be a mapping")
        for label, value in ratios.items():
            if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
                out[(str(b.get("name")), str(label))] = float(value)
    return out


def compare(new: dict, base: dict, tolerance: float = 0.2) -> tuple[list[tuple], list, list]:
    """Rows ``(name, label, baseline, new, new/baseline, fell)`` for the common keys; keys only in new / only
    in the baseline."""
    if not 0.0 < tolerance < 1.0:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    rows = []
    for key in sorted(set(new) & set(base)):
        change = new[key] / base[key]
        rows.append((*key, base[key], new[key], change, change < 1.0 - tolerance))
    return rows, sorted(set(new) - set(base)), sorted(set(base) - set(new))


def newest_baseline() -> Path:
    files = sorted(BASELINES.glob("*.json"), key=lambda p: p.name)
    if not files:
        raise ValueError(f"no baseline under {BASELINES}")
    return files[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Flag same-run speed ratios that fell against a baseline.")
    ap.add_argument("new", help="results of this run (pytest benchmarks/ --benchmark-json=FILE)")
    ap.add_argument("baseline", nargs="?", help="stored results (default: newest file in benchmarks/baselines/)")
    ap.add_argument("--tolerance", type=float, default=0.2, help="flag a ratio that fell by more than this (0.2)")
    args = ap.parse_args(argv)
    try:
        base_path = Path(args.baseline) if args.baseline else newest_baseline()
        new, base = load_ratios(args.new), load_ratios(base_path)
        if not new and not base:
            raise ValueError("neither file has any ratios (extra_info.ratios)")
        rows, only_new, only_base = compare(new, base, args.tolerance)
    except ValueError as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    print(f"baseline: {base_path}")
    print(f"{'benchmark':60s} {'row':34s} {'baseline':>9s} {'new':>9s} {'change':>7s}")
    for name, label, b, n, change, fell in rows:
        print(f"{name[:60]:60s} {label[:34]:34s} {b:9.3g} {n:9.3g} {change:7.2f}" + ("  FELL" if fell else ""))
    for key in only_new:
        print(f"new row (no baseline): {key[0]} / {key[1]}")
    for key in only_base:
        print(f"missing in new results: {key[0]} / {key[1]}")
    fell = [r for r in rows if r[-1]]
    if fell:
        print(f"{len(fell)} ratio(s) fell by more than {100 * args.tolerance:g}% against the baseline")
        return 1
    print(f"{len(rows)} ratio(s) compared; none fell by more than {100 * args.tolerance:g}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
