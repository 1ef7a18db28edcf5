"""Argument checking shared by the closed forms (no formulas here; the formulas and their sources, e.g. arXiv
2505.18346, are in the modules that call it): a clear ``ValueError`` naming the parameter and its range."""

from __future__ import annotations

import math

import numpy as np

#: Stated range of validity of the closed forms (see ``theory/rmt.py``).
LAM_RANGE = (1e-10, 1e10)
GAMMA_RANGE = (1e-4, 1e4)


def check_array(name: str, value, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False):
    """Return ``value`` as a float array after checking every entry is finite and inside ``[lo, hi]``.

    ``lo_open``/``hi_open`` make the corresponding end exclusive. Raises ``ValueError`` naming ``name``.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty; expected a number in {_interval(lo, hi, lo_open, hi_open)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    bad_lo = arr <= lo if lo_open else arr < lo
    bad_hi = arr >= hi if hi_open else arr > hi
    if np.any(bad_lo | bad_hi):
        bad = float(arr[bad_lo | bad_hi].ravel()[0])
        raise ValueError(f"{name}={bad:g} is outside the allowed range {_interval(lo, hi, lo_open, hi_open)}")
    return arr


def check_scalar(name: str, value, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> float:
    """Scalar version of :func:`check_array`; also rejects non-numbers."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    check_array(name, x, lo, hi, lo_open=lo_open, hi_open=hi_open)
    return x


def check_lam(name: str, value):
    return check_array(name, value, *LAM_RANGE)


def check_gamma(name: str, value):
    return check_array(name, value, *GAMMA_RANGE)


def check_pos(name: str, value, hi: float = 1e10):
    """Strictly positive, finite, at most ``hi`` (used for r2)."""
    return check_array(name, value, 0.0, hi, lo_open=True)


def check_nonneg(name: str, value, hi: float = 1e10):
    """Non-negative, finite, at most ``hi`` (used for sigma2)."""
    return check_array(name, value, 0.0, hi)


def _interval(lo, hi, lo_open, hi_open) -> str:
    return f"{'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}{')' if hi_open else ']'}"


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def as_output(x):
    """Return a Python float for 0-d results, the array otherwise."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x
