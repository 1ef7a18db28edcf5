"""Explicit, reproducible randomness: every random draw comes from a ``numpy.random.Generator`` that is built
from a ``SeedSequence`` whose entropy is the user's seed and whose spawn key names the experiment.

A run is reproducible bit for bit from ``(seed, key)``: the key is hashed with CRC-32 (stable across Python
processes, unlike ``hash``), so the stream of a block of replicates does not depend on the order in which blocks
are executed, on the executor, or on which other claims are in the run.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["bartlett_factors", "stable_hash", "seed_sequence", "generator"]


def stable_hash(text: str) -> int:
    """32-bit CRC of ``text`` (UTF-8): a process-independent integer for a ``SeedSequence`` spawn key."""
    return zlib.crc32(text.encode("utf-8")) & 0xFFFFFFFF


def seed_sequence(seed: int, *key: int | str) -> np.random.SeedSequence:
    """``SeedSequence(seed, spawn_key=key)``, strings in ``key`` replaced by :func:`stable_hash`."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    spawn_key = tuple(stable_hash(k) if isinstance(k, str) else int(k) for k in key)
    return np.random.SeedSequence(int(seed), spawn_key=spawn_key)


def generator(seed: int, *key: int | str) -> np.random.Generator:
    """A PCG64 ``Generator`` seeded by :func:`seed_sequence`."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *key)))


def bartlett_factors(rng: np.random.Generator, n: int, m: int, reps: int) -> np.ndarray:
    """``(reps, m, m)`` Bartlett factors ``L`` of ``Wishart_m(n, I)`` (``L L^T ~ Wishart``): lower triangular,
    ``L_ii = sqrt(chi2_{n - i})``, ``L_ij ~ N(0, 1)`` below the diagonal, drawn from ``rng`` in that order."""
    L = np.zeros((reps, m, m))
    idx = np.arange(m)
    L[:, idx, idx] = np.sqrt(rng.chisquare(n - idx, size=(reps, m)))
    low = np.tril_indices(m, -1)
    L[:, low[0], low[1]] = rng.standard_normal((reps, low[0].size))
    return L
