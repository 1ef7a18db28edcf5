"""Gaussian expectations and Hermite expansions (w2s.theory.gaussian) against mpmath and exact identities."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from w2s.theory import gaussian as G


@pytest.mark.parametrize("k", range(0, 9))
def test_normalised_hermite_is_orthonormal(k):
    for j in range(0, 9):
        val = G.gauss_expect(lambda z: G.hermite_normalised(j, z) * G.hermite_normalised(k, z))
        assert val == pytest.approx(1.0 if j == k else 0.0, abs=1e-12)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 8])
def test_power_coefficients_match_recurrence(k):
    z = np.linspace(-3, 3, 11)
    coeffs = G.hermite_normalised_coeffs(k)
    assert np.polynomial.polynomial.polyval(z, coeffs) == pytest.approx(G.hermite_normalised(k, z), abs=1e-10)


@pytest.mark.parametrize("f, f_mp", [
    (np.tanh, mp.tanh),
    (lambda z: np.exp(0.5 * z) * np.sin(z), lambda z: mp.exp(z / 2) * mp.sin(z)),
])
def test_quadrature_against_mpmath(f, f_mp):
    assert G.gauss_expect(f) == pytest.approx(float(G.gauss_expect_mp(f_mp)), abs=1e-10)


def test_kinked_integrand_converges_algebraically():
    """ReLU^3 has a jump in its third derivative: Gauss–Hermite converges only algebraically (documented)."""
    ref = float(G.gauss_expect_mp(lambda z: max(z, 0) ** 3))
    errs = [abs(G.gauss_expect(lambda z: np.maximum(z, 0.0) ** 3, order=o) - ref) for o in (50, 100, 200)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-5


def test_he3_squared_expansion_and_information_exponent():
    """docs/elicitation.md: He_3^2 = He_6 + 9 He_4 + 18 He_2 + 6, so T(y) = y^2 - E y^2 has IE 2."""
    c = G.hermite_coefficients(lambda z: G.hermite(3, z) ** 2, 8)
    expect = np.zeros(9)
    for k, a in ((6, 1.0), (4, 9.0), (2, 18.0), (0, 6.0)):
        expect[k] = a * math.sqrt(math.factorial(k))
    assert c == pytest.approx(expect, abs=1e-9)
    assert G.information_exponent(lambda z: G.hermite_normalised(3, z)) == 3
    assert G.information_exponent(lambda z: G.hermite_normalised(3, z) ** 2 - 1.0) == 2
    with pytest.raises(ValueError, match="kmax"):
        G.information_exponent(lambda z: np.ones_like(z))
    # the search runs up to and including kmax: an exponent equal to kmax is found, one above is not
    assert G.information_exponent(lambda z: G.hermite_normalised(5, z), kmax=5) == 5
    with pytest.raises(ValueError, match="kmax"):
        G.information_exponent(lambda z: G.hermite_normalised(6, z), kmax=5)


@given(st.floats(-1.0, 1.0), st.integers(1, 4), st.integers(1, 4))
def test_mehler_formula(rho, j, k):
    val = G.gauss_expect2(lambda a, b: G.hermite_normalised(j, a) * G.hermite_normalised(k, b), rho)
    assert val == pytest.approx(rho**k if j == k else 0.0, abs=1e-10)


@pytest.mark.parametrize("bad", [{"k": -1}, {"k": 2.5}, {"k": 201}])
def test_bad_degree(bad):
    with pytest.raises(ValueError, match="degree k"):
        G.hermite(bad["k"], 0.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="rho"):
        G.gauss_expect2(lambda a, b: a * b, 1.5)
    with pytest.raises(ValueError, match="order"):
        G.gauss_expect(np.tanh, order=1)
    with pytest.raises(ValueError, match="not finite"):
        G.gauss_expect(lambda z: np.exp(z**4))
    with pytest.raises(ValueError, match="dps"):
        G.gauss_expect_mp(mp.tanh, dps=5)


def test_single_hermite_coefficient_and_shape_checks():
    """c_3(z^3) = E[z^3 (z^3 - 3z)]/sqrt 6 = (15 - 9)/sqrt 6 = sqrt 6 and c_1(z^3) = E[z^4] = 3, by the one-coefficient
    routine (the vector routine is tested above); an integrand that does not keep the grid's shape is refused."""
    assert G.hermite_coefficient(lambda z: z**3, 3) == pytest.approx(np.sqrt(6.0), rel=1e-13)
    assert G.hermite_coefficient(lambda z: z**3, 1) == pytest.approx(3.0, rel=1e-13)
    assert G.hermite_coefficient(lambda z: z**3, 2) == pytest.approx(0.0, abs=1e-13)
    with pytest.raises(ValueError, match="same shape"):
        G.gauss_expect2(lambda a, b: 1.0, 0.5)
    with pytest.raises(ValueError, match="same shape"):
        G.gauss_expect(lambda z: 1.0)


def test_cached_nodes_are_read_only():
    """gauss_nodes returns the cached arrays themselves: both are read-only, so that a caller cannot corrupt every
    later quadrature of the process by writing into them."""
    z, w = G.gauss_nodes(20)
    for a in (z, w):
        with pytest.raises(ValueError):
            a[0] = 0.0
