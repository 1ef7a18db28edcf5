"""Fixtures of the certification tests: one certification run per claim family per session.

A family's claims are run exactly as ``w2s certify --tier T --seed S`` runs them: the random draws of a claim depend
only on ``(seed, simulation key, ladder)``, and the Bonferroni critical value is taken over every component of
every built-in claim (``n_tests``), so a family certified here gets the same draws, the same ``z_crit`` and hence
the same verdicts as in the full CLI run. Running one family's test file therefore simulates only that family.
"""

import pytest

from w2s.validation.family_checks import FAMILY_BLOCKS
from w2s.validation.registry import builtin_families, builtin_registry
from w2s.validation.runner import LocalExecutor, ProcessExecutor, run_claims


@pytest.fixture(scope="session")
def tier(request):
    return request.config.getoption("--tier")


@pytest.fixture(scope="session")
def n_tests():
    """Number of tested components in a full ``w2s certify`` run of the built-in families (the Bonferroni family;
    claims that other tests load from files or packages into the shared registry are not counted)."""
    families = set(builtin_families())
    return sum(len(c.components) for c in builtin_registry() if c.family in families)


@pytest.fixture(scope="session")
def certify_family(request, tier, n_tests):
    """``certify_family(name)`` -> the :class:`RunResult` of that family's claims (run once per session)."""
    seed = request.config.getoption("--seed")
    jobs = request.config.getoption("--jobs")
    if jobs < 1:
        raise pytest.UsageError(f"--jobs must be >= 1, got {jobs}")
    executor = ProcessExecutor(jobs) if jobs > 1 else LocalExecutor()
    cache = {}

    def run(family: str):
        if family not in cache:
            claims = builtin_registry().family(family)
            if not claims:
                raise LookupError(f"no built-in claim in family {family!r}")
            # blocks kept in memory: the end-to-end tests judge wrong formulas on these draws (family_checks.rerun)
            cache[family] = run_claims(claims, tier=tier, seed=seed, n_tests=n_tests, executor=executor,
                                       store=FAMILY_BLOCKS)
        return cache[family]

    return run
