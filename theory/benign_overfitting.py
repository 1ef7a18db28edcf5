r"""Benign-overfitting phases of weak-to-strong classification (Wu & Sahai 2025, arXiv 2410.04638): the bilevel
spiked model and the success conditions as stated in public reviews, under the setup of docs/benign_overfitting.md
§1. Nothing here is a derived finite-n prediction: the conditions are asymptotic (convergence is logarithmic).

Bilevel model with ``n`` samples: ``d = n^p`` features, ``s = n^r`` favoured ones with eigenvalue ``a d/s``, the
rest ``(1 - a) d/(d - s)``, ``a = n^-q`` (``p > 1``, ``q, r > 0``, ``q + r < p``). The weak model has its own
``(p_w, q_w, r_w)``; the student interpolates ``m = n^u`` weak labels.
"""

from __future__ import annotations

from ._validate import check_scalar

__all__ = ["bilevel", "condition_1", "condition_2", "condition_3", "student_succeeds", "teacher_random_guessing"]


def _exps(p, q, r, name=""):
    p = check_scalar(f"p{name}", p, 1.0, 10.0, lo_open=True)
    q = check_scalar(f"q{name}", q, 0.0, p, lo_open=True)
    r = check_scalar(f"r{name}", r, 0.0, p, lo_open=True)
    if q + r >= p:
        raise ValueError(f"q{name} + r{name} = {q + r:g} is outside the allowed range: q + r < p = {p:g}")
    return p, q, r


def bilevel(n: int, p: float, q: float, r: float) -> dict:
    """``d, s, lam_hi = a d/s, lam_lo = (1 - a) d/(d - s)`` at ``n`` (``d``, ``s`` rounded)."""
    p, q, r = _exps(p, q, r)
    if int(n) != n or n < 2:
        raise ValueError(f"n={n!r} is outside the allowed range: integers >= 2")
    d, s, a = int(round(n**p)), max(1, int(round(n**r))), n**-q
    return {"d": d, "s": s, "a": a, "lam_hi": a * d / s, "lam_lo": (1 - a) * d / (d - s)}


def condition_1(*, u, p, q, r, p_w, q_w, r_w) -> bool:
    """``u + min(1 - r, p + 1 - 2(q + r)) > q_w + r_w > (p_w + 1)/2``."""
    p, q, r = _exps(p, q, r)
    p_w, q_w, r_w = _exps(p_w, q_w, r_w, "_w")
    u = check_scalar("u", u, 0.0, 10.0, lo_open=True)
    return bool(u + min(1 - r, p + 1 - 2 * (q + r)) > q_w + r_w > (p_w + 1) / 2)


def condition_2(*, p, q, r, q_w, r_w) -> bool:
    """``p + 1 > q + r + q_w + r_w``."""
    p, q, r = _exps(p, q, r)
    return bool(p + 1 > q + r + q_w + r_w)


def condition_3(*, u, p, q, r, q_w, r_w) -> bool:
    """``u < (p + 1 + q + r - (q_w + r_w))/2``."""
    p, q, r = _exps(p, q, r)
    u = check_scalar("u", u, 0.0, 10.0, lo_open=True)
    return bool(u < (p + 1 + q + r - (q_w + r_w)) / 2)


def teacher_random_guessing(*, p_w, q_w, r_w) -> bool:
    """The weak teacher's clean-label MNI is asymptotically random guessing: ``q_w + r_w > (p_w + 1)/2``."""
    p_w, q_w, r_w = _exps(p_w, q_w, r_w, "_w")
    return bool(q_w + r_w > (p_w + 1) / 2)


def student_succeeds(*, u, p, q, r, p_w, q_w, r_w) -> bool:
    """Conditions 1-3 together: the student's error -> 0 while the teacher guesses at random."""
    return (condition_1(u=u, p=p, q=q, r=r, p_w=p_w, q_w=q_w, r_w=r_w)
            and condition_2(p=p, q=q, r=r, q_w=q_w, r_w=r_w) and condition_3(u=u, p=p, q=q, r=r, q_w=q_w, r_w=r_w))
