"""Repository-wide pytest options (must live at the root so that pytest sees them at start-up)."""

import os


def pytest_addoption(parser):
    parser.addoption("--tier", choices=("fast", "full"), default="fast",
                     help="certification tier for validation/ (fast: default, minutes; full: large d, opt-in)")
    parser.addoption("--seed", type=int, default=0, help="root seed of the certification run in validation/")
    parser.addoption("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                     help="worker processes for the simulations of validation/ (default: cores, at most 4; "
                          "verdicts do not depend on it)")


def pytest_configure(config):
    from w2s.validation import family_checks

    family_checks.RERUN_JOBS = max(1, int(config.getoption("--jobs")))
