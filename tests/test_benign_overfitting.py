"""Conditions and simulator of benign_overfitting: bad input, the exact error of a linear classifier, MNI."""

import numpy as np
import pytest

from w2s.kernels import benign_overfitting as K
from w2s.theory import benign_overfitting as T


def test_classifier_error_is_exact_against_monte_carlo():
    rng = np.random.default_rng(0)
    lam = np.array([4.0, 1.0, 0.5])
    w = np.array([1.0, -2.0, 0.3])
    X = rng.standard_normal((200000, 3)) * np.sqrt(lam)
    mc = np.mean(np.sign(X @ w) != np.sign(X[:, 0]))
    assert abs(mc - K.classifier_error(w, lam)) < 4.5 * np.sqrt(0.25 / 200000)


def test_mni_interpolates_with_minimum_norm():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 20)), rng.standard_normal(5)
    w = K.mni(X, y)
    assert np.allclose(X @ w, y) and np.allclose(w, np.linalg.pinv(X) @ y)


def test_bilevel_spectrum_has_trace_d():
    b = T.bilevel(64, 2.0, 0.3, 0.4)
    assert b["s"] * b["lam_hi"] + (b["d"] - b["s"]) * b["lam_lo"] == pytest.approx(b["d"])


@pytest.mark.parametrize("call,match", [
    (lambda: T.bilevel(1, 2.0, 0.1, 0.1), "n="),
    (lambda: T.bilevel(10, 0.9, 0.1, 0.1), "p="),
    (lambda: T.bilevel(10, 2.0, 1.5, 0.75), r"q \+ r = 2\.25 "),
    (lambda: T.condition_3(u=-1, p=2.0, q=0.1, r=0.1, q_w=0.9, r_w=0.5), "u="),
    (lambda: T.teacher_random_guessing(p_w=1.6, q_w=1.0, r_w=0.7), r"q_w \+ r_w"),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----- the success conditions against an exact twin written from docs/benign_overfitting.md §2.1 -----------------
# Exponents are dyadic (multiples of 1/16), so every sum, difference and halving in the conditions is exact in
# floating point and the twin in Fractions decides the same strict inequalities, boundaries included.

from fractions import Fraction as Fr  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402


def _twin(u, p, q, r, p_w, q_w, r_w):
    c1 = u + min(1 - r, p + 1 - 2 * (q + r)) > q_w + r_w > (p_w + 1) / 2
    c2 = p + 1 > q + r + q_w + r_w
    c3 = u < (p + 1 + q + r - (q_w + r_w)) / 2
    return c1, c2, c3, q_w + r_w > (p_w + 1) / 2


@st.composite
def _exponents(draw):
    p = Fr(draw(st.integers(17, 64)), 16)                       # p in (1, 4]
    q = Fr(draw(st.integers(1, int(p * 16) - 2)), 16)
    r = Fr(draw(st.integers(1, int((p - q) * 16) - 1)), 16)     # q + r < p
    return p, q, r


@given(_exponents(), _exponents(), st.integers(1, 64))
@settings(max_examples=300, deadline=None)
def test_conditions_match_an_exact_twin(strong, weak, u16):
    (p, q, r), (p_w, q_w, r_w), u = strong, weak, Fr(u16, 16)
    c1, c2, c3, guess = _twin(u, p, q, r, p_w, q_w, r_w)
    f = {k: float(v) for k, v in dict(u=u, p=p, q=q, r=r, p_w=p_w, q_w=q_w, r_w=r_w).items()}
    assert T.condition_1(**f) is c1
    assert T.condition_2(p=f["p"], q=f["q"], r=f["r"], q_w=f["q_w"], r_w=f["r_w"]) is c2
    assert T.condition_3(u=f["u"], p=f["p"], q=f["q"], r=f["r"], q_w=f["q_w"], r_w=f["r_w"]) is c3
    assert T.teacher_random_guessing(p_w=f["p_w"], q_w=f["q_w"], r_w=f["r_w"]) is guess
    assert T.student_succeeds(**f) is (c1 and c2 and c3)


def test_conditions_are_strict_at_their_boundaries():
    """Each inequality exactly at equality is False, and a sixteenth inside it is True (strong p = 2, q = r = 1/4;
    weak p_w = 2, q_w + r_w = 7/4 > 3/2)."""
    base = dict(p=2.0, q=0.25, r=0.25, q_w=1.0, r_w=0.75)
    # condition 3: u < (3 + 1/2 - 7/4)/2 = 7/8
    assert not T.condition_3(u=0.875, **base) and T.condition_3(u=0.8125, **base)
    # condition 2: p + 1 > q + r + q_w + r_w, equality at r_w = 2.25 - ... with q_w + r_w = 2.5
    assert not T.condition_2(p=2.0, q=0.25, r=0.25, q_w=1.25, r_w=1.25)
    assert T.condition_2(p=2.0, q=0.25, r=0.25, q_w=1.25, r_w=1.1875)
    # condition 1, left: u + min(3/4, 2) > 7/4 needs u > 1
    assert not T.condition_1(u=1.0, p_w=2.0, **base) and T.condition_1(u=1.0625, p_w=2.0, **base)
    # condition 1, right: q_w + r_w > (p_w + 1)/2, equality at p_w = 2.5
    assert not T.condition_1(u=3.0, p_w=2.5, **base) and T.condition_1(u=3.0, p_w=2.4375, **base)
    assert not T.teacher_random_guessing(p_w=2.5, q_w=1.0, r_w=0.75)


def test_bilevel_exact_values_and_documented_ranges():
    """d = n^p, s = n^r (rounded), a = n^-q at n = 16, p = 2, q = 1/2, r = 1/4: d = 256, s = 2, a = 1/4; the
    favoured eigenvalue a d/s = 32, the others (1 - a) d/(d - s) = 192/254. The documented open ends are refused
    and just inside them accepted."""
    b = T.bilevel(16, 2.0, 0.5, 0.25)
    assert (b["d"], b["s"], b["a"]) == (256, 2, 0.25)
    assert b["lam_hi"] == pytest.approx(32.0, rel=1e-15) and b["lam_lo"] == pytest.approx(192 / 254, rel=1e-15)
    assert T.bilevel(16, 1.5, 0.25, 0.5)["s"] == 4
    for bad in (dict(p=1.0), dict(q=0.0), dict(r=0.0), dict(p=10.5)):
        with pytest.raises(ValueError):
            T.bilevel(16, **{**dict(p=2.0, q=0.5, r=0.25), **bad})
    args = dict(p=2.0, q=0.25, r=0.25, q_w=1.0, r_w=0.75)
    assert T.condition_3(u=0.5, **args) and T.condition_3(u=1e-9, **args)  # u in (0, 10]
    for u in (0.0, 10.5):
        with pytest.raises(ValueError, match="u="):
            T.condition_3(u=u, **args)
