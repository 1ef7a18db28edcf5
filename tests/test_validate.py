"""The argument checks shared by the closed forms (w2s.theory._validate): ends open or closed as asked, and the
message names the parameter, the offending value and the interval with its brackets."""

import math

import numpy as np
import pytest

from w2s.theory._validate import as_output, check_array, check_scalar


@pytest.mark.parametrize("kw, value, ok", [
    (dict(), 0.0, True), (dict(), 1.0, True),
    (dict(lo_open=True), 0.0, False), (dict(hi_open=True), 1.0, False),
    (dict(lo_open=True, hi_open=True), 0.5, True), (dict(), 1.0 + 1e-12, False), (dict(), -1e-300, False),
])
def test_ends_are_open_or_closed_as_asked(kw, value, ok):
    if ok:
        assert check_scalar("x", value, 0.0, 1.0, **kw) == value
    else:
        with pytest.raises(ValueError, match="x="):
            check_scalar("x", value, 0.0, 1.0, **kw)


@pytest.mark.parametrize("kw, value, text", [
    (dict(hi_open=True), 1.0, "x=1 is outside the allowed range [0, 1)"),
    (dict(lo_open=True), 0.0, "x=0 is outside the allowed range (0, 1]"),
    (dict(lo_open=True, hi_open=True), 2.0, "x=2 is outside the allowed range (0, 1)"),
])
def test_message_gives_the_interval(kw, value, text):
    with pytest.raises(ValueError) as err:
        check_scalar("x", value, 0.0, 1.0, **kw)
    assert str(err.value) == text


def test_infinite_ends_and_non_numbers():
    with pytest.raises(ValueError) as err:
        check_scalar("x", -1.0, 0.0, math.inf)
    assert str(err.value) == "x=-1 is outside the allowed range [0, inf]"
    with pytest.raises(ValueError) as err:
        check_scalar("x", 1.0, -math.inf, 0.0)
    assert str(err.value) == "x=1 is outside the allowed range [-inf, 0]"
    with pytest.raises(ValueError, match="y must be a number"):
        check_scalar("y", "a", 0.0, 1.0)
    with pytest.raises(ValueError, match="z is empty; expected a number in"):
        check_array("z", [], 0.0, 1.0)
    with pytest.raises(ValueError, match="z must be finite"):
        check_array("z", [0.5, float("nan")], 0.0, 1.0)
    assert isinstance(as_output(np.float64(2.0)), float) and as_output(np.ones(2)).shape == (2,)


def test_documented_ranges_of_lam_and_gamma():
    """The stated range of the random-matrix closed forms, lam in [1e-10, 1e10] and gamma in [1e-4, 1e4]
    (w2s.theory.rmt): the ends are accepted, one part in 1e10 beyond them refused."""
    from w2s.theory._validate import check_gamma, check_lam

    check_lam("lam", [1e-10, 1e10])
    check_gamma("gamma", [1e-4, 1e4])
    for bad in (1e10 + 1.0, 1e-10 * (1 - 1e-10)):
        with pytest.raises(ValueError, match="lam="):
            check_lam("lam", bad)
    for bad in (1e4 * (1 + 1e-10), 1e-4 * (1 - 1e-10)):
        with pytest.raises(ValueError, match="gamma="):
            check_gamma("gamma", bad)
