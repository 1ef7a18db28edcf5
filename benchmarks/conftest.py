"""Shared helpers of the benchmarks: a timing recorder that works with and without ``--benchmark-disable``,
and a results section printed at the end of the run (visible without ``-s``)."""

from __future__ import annotations

import time

import pytest

_LINES = pytest.StashKey[list]()


class Timed:
    """Wrap ``fn`` so that every call's wall time (``time.perf_counter``) is recorded in ``self.seconds``.

    pytest-benchmark keeps its own statistics, but not when disabled (it then calls the function once and
    keeps none); the speed ratios and scaling fits are computed from these recorded times in both modes.
    """

    def __init__(self, fn):
        self.fn = fn
        self.seconds: list[float] = []

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        out = self.fn(*args, **kwargs)
        self.seconds.append(time.perf_counter() - t0)
        return out

    @property
    def mean(self) -> float:
        return sum(self.seconds) / len(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)


@pytest.fixture
def timed():
    """The :class:`Timed` wrapper class."""
    return Timed


@pytest.fixture
def report(request):
    """``report(line)``: print ``line`` now and again in the "w2s benchmark results" section of the summary."""
    lines = request.config.stash.setdefault(_LINES, [])

    def emit(line: str) -> None:
        print(line)
        lines.append(line)

    return emit


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(_LINES, [])
    if lines:
        terminalreporter.section("w2s benchmark results")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def record_ratios(benchmark, report):
    """``record_ratios(title, ratios, rows)``: store ``{row label: ours-over-reference speed ratio}`` in the
    benchmark's ``extra_info["ratios"]`` (read by ``benchmarks/compare.py``), print ``title: rows``, and fail
    unless every ratio is above 1 (ours faster than the reference measured in the same run)."""

    def record(title: str, ratios: dict[str, float], rows: list[str]) -> None:
        benchmark.extra_info["ratios"] = dict(ratios)
        benchmark.pedantic(lambda: None, rounds=1)
        report(f"{title}: " + "; ".join(rows))
        assert min(ratios.values()) > 1.0, ratios

    return record
