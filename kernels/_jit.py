"""One place for the JIT policy of every numba kernel in :mod:`w2s.kernels`."""

from __future__ import annotations

import os

import numba

# The parallel kernels run inside worker processes that the certifier forks (validation.runner.ProcessExecutor).
# numba's default OpenMP layer (GNU libgomp) terminates a forked child that touches it once the parent has used it,
# e.g. after a test ran a parallel kernel in the pytest process; the "workqueue" layer is fork-safe. It is chosen
# here, before the first parallel launch, unless the user set NUMBA_THREADING_LAYER explicitly. (workqueue does not
# allow two Python threads to run parallel kernels at the same time; nothing here does.)
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

__all__ = ["jit", "ijit", "pjit"]

_POLICY = dict(
    cache=True,  # compiled code is stored beside the source: tests and CLI runs do not pay the JIT cost twice
    nogil=True,  # kernels release the GIL: they never hold up other Python threads
    error_model="numpy",  # division by zero gives inf/nan as in numpy instead of raising: no hidden branches
    fastmath=False,  # no reassociation: results must match the numpy references to ~1e-12
)


def jit(fn):
    """``numba.njit`` with the project's policy (serial kernel)."""
    return numba.njit(**_POLICY)(fn)


def ijit(fn):
    """``jit`` inlined into its callers at the numba IR level: for small helpers called in hot loops with array
    arguments, where a real call would cost two atomic reference-count updates per array (tens of ns)."""
    return numba.njit(inline="always", **_POLICY)(fn)


def pjit(fn):
    """``numba.njit(parallel=True)`` with the same policy, for kernels whose ``prange`` iterations are independent
    and write disjoint outputs (so the result does not depend on the number of threads)."""
    return numba.njit(parallel=True, **_POLICY)(fn)
