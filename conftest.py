"""Repository-wide pytest options (must live at the root so that pytest sees them at start-up).

Test files run in two pytest-xdist worker processes (``-n auto`` in ``pyproject.toml``; the count comes from
:func:`pytest_xdist_auto_num_workers`), one whole file per worker at a time (:func:`pytest_xdist_make_scheduler`):
a family's certification run is a session fixture of its file, so splitting a file between workers would simulate
the family twice. ``pytest -n 0`` runs everything in one process; a run of ``benchmarks/`` always does
(pytest-benchmark times nothing under xdist).
"""

import os
from pathlib import Path

import pytest

#: at most this many test workers: each certification test already runs ``--jobs`` simulation processes
MAX_TEST_WORKERS = 2


def pytest_addoption(parser):
    parser.addoption("--tier", choices=("fast", "full"), default="fast",
                     help="certification tier for validation/ (fast: default, minutes; full: large d, opt-in)")
    parser.addoption("--seed", type=int, default=0, help="root seed of the certification run in validation/")
    parser.addoption("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                     help="worker processes for the simulations of validation/ (default: cores, at most 4; "
                          "verdicts do not depend on it)")


def _benchmark_run(config) -> bool:
    bench = (Path(str(config.rootpath)) / "benchmarks").resolve()
    for arg in config.args:
        path = Path(str(config.invocation_params.dir), arg.split("::")[0]).resolve()
        if path == bench or bench in path.parents:
            return True
    return False


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """Test workers for ``-n auto``: the cores, at most :data:`MAX_TEST_WORKERS`; none (one process) for benchmarks."""
    if _benchmark_run(config):
        return 0
    return max(1, min(MAX_TEST_WORKERS, os.cpu_count() or 1))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Whole test files to a worker (xdist's ``loadfile``): a file's session fixtures are computed once. Replaces
    only the default of ``-n`` (``load``); another ``--dist`` given on the command line is kept."""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadFileScheduling

    return LoadFileScheduling(config, log)


def pytest_configure(config):
    from w2s.validation import family_checks

    family_checks.RERUN_JOBS = max(1, int(config.getoption("--jobs")))
