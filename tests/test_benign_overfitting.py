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
    (lambda: T.bilevel(10, 2.0, 1.5, 0.6), r"q \+ r"),
    (lambda: T.condition_3(u=-1, p=2.0, q=0.1, r=0.1, q_w=0.9, r_w=0.5), "u="),
    (lambda: T.teacher_random_guessing(p_w=1.6, q_w=1.0, r_w=0.7), r"q_w \+ r_w"),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
