"""Shared pytest configuration: hypothesis profiles.

Profiles (select with the environment variable ``HYPOTHESIS_PROFILE``; default ``ci``):

* ``ci``  -- derandomised (a fixed, reproducible sequence of examples), no example database, no deadline
  (mpmath referees are slow and timings on shared CI runners are noisy), 200 examples per test unless a test
  sets its own budget, failing examples printed as reproduction blobs.
* ``dev`` -- randomised, 500 examples per test, for a deeper local search.
* ``thorough`` -- randomised, 10^4 examples per test (on demand: ``HYPOTHESIS_PROFILE=thorough pytest
  tests/test_fuzz.py``; minutes to hours).

Tests that set their own ``max_examples`` scale it by ``settings().max_examples / 200`` so that ``dev`` also
searches them more deeply (see ``budget`` in the test modules).

Warning filters are deliberately not set here: ``pyproject.toml`` sets ``filterwarnings = error``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    print_blob=True,
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=500,
    print_blob=True,
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=10_000,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
