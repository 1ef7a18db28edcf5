"""One place for the JIT policy of every numba kernel in :mod:`w2s.kernels`."""

from __future__ import annotations

import numba

__all__ = ["jit", "pjit"]

_POLICY = dict(
    cache=True,  # compiled code is stored beside the source: tests and CLI runs do not pay the JIT cost twice
    nogil=True,  # kernels release the GIL: they never hold up other Python threads
    error_model="numpy",  # division by zero gives inf/nan as in numpy instead of raising: no hidden branches
    fastmath=False,  # no reassociation: results must match the numpy references to ~1e-12
)


def jit(fn):
    """``numba.njit`` with the project's policy (serial kernel)."""
    return numba.njit(**_POLICY)(fn)


def pjit(fn):
    """``numba.njit(parallel=True)`` with the same policy, for kernels whose ``prange`` iterations are independent
    and write disjoint outputs (so the result does not depend on the number of threads)."""
    return numba.njit(parallel=True, **_POLICY)(fn)
