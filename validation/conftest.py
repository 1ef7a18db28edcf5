"""Fixtures of the certification tests: one certification run of every built-in claim per session.

All built-in claims are run together, exactly as ``w2s certify --tier T --seed S`` runs them, so the Bonferroni
critical value (over every component of every claim) and the random draws are the same as the CLI's.
"""

import pytest

from w2s.validation.registry import builtin_registry
from w2s.validation.runner import run_claims


@pytest.fixture(scope="session")
def tier(request):
    return request.config.getoption("--tier")


@pytest.fixture(scope="session")
def certification(request, tier):
    seed = request.config.getoption("--seed")
    return run_claims(list(builtin_registry()), tier=tier, seed=seed)
