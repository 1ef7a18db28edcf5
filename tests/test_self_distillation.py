"""Ridge self-distillation (docs/self_distillation.md): the conditional identities draw by draw, the limits against an
mpmath referee, the edge regimes (xi = 0, lam -> 0, lam -> inf), bad input, and the reduced simulator against the full
one (same algebra; same law)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from w2s.kernels import self_distillation as K
from w2s.theory import ridge, rmt
from w2s.theory import self_distillation as T


def budget(n: int) -> int:
    return max(5, round(n * settings().max_examples / 200))


def log_uniform(lo, hi):
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: min(max(10.0**e, lo), hi))


# ----- conditional on the data: exact per draw ---------------------------------------------------------------------

@pytest.mark.parametrize("d,n", [(30, 60), (40, 20), (25, 25)])
@pytest.mark.parametrize("lam", [1e-3, 0.05, 1.0, 30.0])
def test_the_literal_students_risk_is_the_quadratic_per_draw(d, n, lam):
    """Ridge on the mixed labels, solved literally, has risk R + xi lam R' + xi^2 lam^2 c (R' and c from the exact
    derivative of the teacher); its minimiser is -R'/(2 lam c) and the gain R'^2/(4c): to rounding (1e-9 relative:
    the solves of condition number up to (s_max + lam)/lam ~ 1e4 lose ~4 digits)."""
    rng = np.random.default_rng(d * 1000 + n)
    X, y, beta = K.draw_problem(d, n, sigma2=0.5, r2=1.0, rng=rng)
    q = K.mixed_label_quadratic(X, y, beta, [lam])
    Q = T.mixing_quadratic(risk=q.risk, risk_deriv=q.risk_deriv, curvature=q.curvature, lam=lam)
    xis = np.array([-2.0, -0.3, 0.0, 0.7, 1.0, 2.5])
    direct = np.array([np.sum((K.student_on_mixed_labels(X, y, lam, xi) - beta) ** 2) for xi in xis])
    np.testing.assert_allclose(Q.at(xis), direct, rtol=1e-9)
    np.testing.assert_allclose(q.A1, lam * q.risk_deriv, rtol=1e-9)
    np.testing.assert_allclose(q.A2, lam**2 * q.curvature, rtol=1e-9)
    best = optimize.minimize_scalar(lambda xi: np.sum((K.student_on_mixed_labels(X, y, lam, xi) - beta) ** 2),
                                    bracket=(-1.0, 1.0), tol=1e-12)
    assert abs(best.x - float(Q.xi_star[0])) <= 1e-5 * max(1.0, abs(best.x))
    np.testing.assert_allclose(direct[2] - best.fun, Q.improvement, rtol=1e-7, atol=1e-14)
    assert np.sign(Q.xi_star) == -np.sign(q.risk_deriv)  # the sign rule, per draw
    # the derivative is the derivative: a central difference of the teacher's risk. Its error is truncation,
    # ~(h/s)^2 with s = max(lam, the smallest non-zero eigenvalue) the scale on which R(lam) bends, plus rounding,
    # ~eps cond R / h with cond <= (s_max + lam)/lam ~ 4e3 at lam = 1e-3 (d > n). h = 1e-4 lam keeps both below
    # ~1e-6 of R' at every case here (measured: <= 4e-7); h = 1e-6 lam let rounding reach 2e-5 at lam = 1e-3, d > n.
    h = 1e-4 * lam
    Rp = np.sum((K.student_on_mixed_labels(X, y, lam + h, 0.0) - beta) ** 2)
    Rm = np.sum((K.student_on_mixed_labels(X, y, lam - h, 0.0) - beta) ** 2)
    np.testing.assert_allclose((Rp - Rm) / (2 * h), q.risk_deriv, rtol=1e-5, atol=1e-9)


def test_reduced_model_uses_the_same_algebra_as_the_full_one():
    """The dense-numpy reference and the banded solver agree on the same draws (to rounding)."""
    a = K.reduced_self_distillation(64, 128, [0.05, 1.0], sigma2=0.5, r2=1.0, rng=np.random.default_rng(3), reps=20)
    b = K.reduced_self_distillation_numpy(64, 128, [0.05, 1.0], sigma2=0.5, r2=1.0, rng=np.random.default_rng(3),
                                          reps=20)
    for f in ("risk", "risk_deriv", "curvature", "A1", "A2"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("d,n", [(24, 48), (24, 12)])
def test_reduced_simulator_matches_the_full_one_in_law(d, n):
    """Means of R, R', c, xi*, gain: full (explicit design) and reduced simulators agree within 4.5 joint SE
    (a two-sample z test per quantity, fixed seeds: deterministic)."""
    lam = 0.2
    rng = np.random.default_rng(7)
    full = []
    for _ in range(3000):
        X, y, beta = K.draw_problem(d, n, sigma2=0.5, r2=1.0, rng=rng)
        q = K.mixed_label_quadratic(X, y, beta, [lam])
        full.append([q.risk[0], q.risk_deriv[0], q.curvature[0], q.xi_star[0], q.gain[0]])
    full = np.array(full)
    q = K.reduced_self_distillation(d, n, [lam], sigma2=0.5, r2=1.0, rng=np.random.default_rng(8), reps=3000)
    red = np.column_stack([q.risk[:, 0], q.risk_deriv[:, 0], q.curvature[:, 0], q.xi_star[:, 0], q.gain[:, 0]])
    z = (full.mean(0) - red.mean(0)) / np.sqrt(full.var(0, ddof=1) / len(full) + red.var(0, ddof=1) / len(red))
    assert np.all(np.abs(z) < 4.5), z


def test_a_wrong_reduced_model_is_caught_by_the_in_law_test():
    """The in-law test can fail: the reduced model with the noise doubled is told apart from the full one."""
    d, n, lam = 24, 48, 0.2
    rng = np.random.default_rng(7)
    full = np.array([K.mixed_label_quadratic(*K.draw_problem(d, n, sigma2=0.5, r2=1.0, rng=rng), [lam]).risk[0]
                     for _ in range(3000)])
    red = K.reduced_self_distillation(d, n, [lam], sigma2=1.0, r2=1.0, rng=np.random.default_rng(8), reps=3000).risk[:, 0]
    assert abs(full.mean() - red.mean()) / np.sqrt(full.var() / 3000 + red.var() / 3000) > 4.5


# ----- the limits ----------------------------------------------------------------------------------------------------

def _mp_moments(lam, gamma):
    """mpmath referee: the three moments by tanh-sinh quadrature over the Marchenko-Pastur density (30 digits)."""
    with mpmath.workdps(30):
        g, l = mpmath.mpf(gamma), mpmath.mpf(lam)
        a, b = (1 - mpmath.sqrt(g)) ** 2, (1 + mpmath.sqrt(g)) ** 2

        def integral(f):
            dens = lambda x: mpmath.sqrt((b - x) * (x - a)) / (2 * mpmath.pi * g * x)
            return mpmath.quad(lambda x: f(x) * dens(x), [a, (a + b) / 2, b])
        return [float(integral(lambda x: x / (x + l) ** 3)), float(integral(lambda x: x**2 / (x + l) ** 4)),
                float(integral(lambda x: x / (x + l) ** 4))]


@settings(max_examples=budget(25))
@given(lam=log_uniform(1e-2, 1e2), gamma=st.sampled_from([0.1, 0.5, 0.9, 1.5, 3.0]))
def test_moments_against_mpmath(lam, gamma):
    """1e-9 relative: the referee's quadrature is converged to ~1e-20; the closed forms are ratios of positive terms."""
    np.testing.assert_allclose(T.mp_moments(lam, gamma), _mp_moments(lam, gamma), rtol=1e-9)


@settings(max_examples=budget(100))
@given(lam=log_uniform(1e-8, 1e8), gamma=log_uniform(1e-3, 1e3), sigma2=st.floats(0.0, 5.0), r2=st.floats(0.1, 5.0))
def test_limits_are_consistent(lam, gamma, sigma2, r2):
    """xi = 0 is the plain ridge teacher (w2s.theory.ridge); R' is the derivative of R; the sign rule; gain >= 0."""
    L = T.limit(lam=lam, gamma=gamma, sigma2=sigma2, r2=r2)
    np.testing.assert_allclose(T.student_risk(xi=0.0, lam=lam, gamma=gamma, sigma2=sigma2, r2=r2),
                               ridge.teacher_risk(lam, gamma, sigma2, r2), rtol=1e-13)
    assert L.curvature > 0 and L.improvement >= 0
    assert L.optimal_risk <= L.risk * (1 + 1e-12)
    if L.risk_deriv != 0:
        assert np.sign(L.xi_star) == -np.sign(L.risk_deriv)
    assert np.sign(L.risk_deriv) == np.sign(r2 * lam - sigma2 * gamma) or r2 * lam == sigma2 * gamma


@pytest.mark.parametrize("gamma", [0.3, 2.0])
@pytest.mark.parametrize("lam", [1e-3, 0.1, 3.0])
def test_risk_derivative_is_the_derivative_of_the_ridge_risk(gamma, lam):
    h = 1e-5 * lam
    num = (ridge.teacher_risk(lam + h, gamma, 0.4, 1.3) - ridge.teacher_risk(lam - h, gamma, 0.4, 1.3)) / (2 * h)
    np.testing.assert_allclose(T.risk_derivative(lam=lam, gamma=gamma, sigma2=0.4, r2=1.3), num, rtol=1e-7)


def test_no_gain_at_the_optimal_teacher_ridge():
    lam = T.optimal_teacher_lambda(gamma=0.5, sigma2=0.5, r2=1.0)
    assert abs(T.risk_derivative(lam=lam, gamma=0.5, sigma2=0.5, r2=1.0)) < 1e-15
    assert T.improvement(lam=lam, gamma=0.5, sigma2=0.5, r2=1.0) < 1e-30


@pytest.mark.parametrize("gamma", [0.2, 0.5, 0.8])
def test_ridgeless_limit(gamma):
    """lam -> 0 (gamma < 1): xi* ~ 1/lam while the step xi* lam and the gain stay finite, with the closed forms
    R' -> -2 sigma2 gamma/(1-gamma)^3 and c -> r2/(1-gamma)^3 + sigma2 gamma (1+gamma)/(1-gamma)^5."""
    s2, r2 = 0.5, 1.0
    R1 = -2 * s2 * gamma / (1 - gamma) ** 3
    c0 = r2 / (1 - gamma) ** 3 + s2 * gamma * (1 + gamma) / (1 - gamma) ** 5
    L = T.limit(lam=1e-10, gamma=gamma, sigma2=s2, r2=r2)
    # at lam = 1e-10 the O(lam) corrections are ~ lam/(1-gamma)^3 relative (2e-8 at gamma = 0.8): rtol 1e-6
    np.testing.assert_allclose([L.risk_deriv, L.curvature], [R1, c0], rtol=1e-6)
    np.testing.assert_allclose(L.xi_star * 1e-10, -R1 / (2 * c0), rtol=1e-6)
    np.testing.assert_allclose(L.improvement, R1**2 / (4 * c0), rtol=1e-6)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 4.0])
def test_heavy_ridge_limit(gamma):
    """lam -> inf: the teacher shrinks to 0 (R -> r2), xi* ~ -lam r2/(r2 (1 + gamma) + sigma2 gamma), and the student
    is the best rescaling of X^T y/n."""
    s2, r2 = 0.5, 1.2
    L = T.limit(lam=1e8, gamma=gamma, sigma2=s2, r2=r2)
    np.testing.assert_allclose(L.risk, r2, rtol=1e-6)
    np.testing.assert_allclose(L.xi_star / 1e8, -r2 / (r2 * (1 + gamma) + s2 * gamma), rtol=1e-6)
    np.testing.assert_allclose(L.optimal_risk, r2 * gamma * (r2 + s2) / (r2 * (1 + gamma) + s2 * gamma), rtol=1e-6)


@pytest.mark.parametrize("kw,name", [
    (dict(lam=0.0, gamma=0.5), "lam"), (dict(lam=0.1, gamma=-1.0), "gamma"), (dict(lam=0.1, gamma=0.5, sigma2=-1.0), "sigma2"),
    (dict(lam=0.1, gamma=0.5, r2=0.0), "r2"), (dict(lam=float("nan"), gamma=0.5), "lam")])
def test_bad_input_names_the_parameter(kw, name):
    with pytest.raises(ValueError, match=name):
        T.optimal_xi(**kw)


def test_bad_xi_and_bad_simulator_input():
    with pytest.raises(ValueError, match="xi"):
        T.student_risk(xi=float("inf"), lam=0.1, gamma=0.5)
    with pytest.raises(ValueError, match="curvature"):
        T.mixing_quadratic(risk=1.0, risk_deriv=0.1, curvature=0.0, lam=0.1)
    with pytest.raises(ValueError, match="lam"):
        K.reduced_self_distillation(8, 16, [0.0], sigma2=1.0, r2=1.0, rng=np.random.default_rng(0), reps=2)
    with pytest.raises(ValueError, match="reps"):
        K.reduced_self_distillation(8, 16, [0.1], sigma2=1.0, r2=1.0, rng=np.random.default_rng(0), reps=0)


def test_cli_predict_gives_one_line_on_bad_input(capsys):
    from w2s.validation.cli import main

    assert main(["predict", "selfdistill.optimal-mixing.gamma=0.5.under-regularised", "lam=-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lam" in err[0]


def test_documented_defaults_sigma2_r2_one():
    """Every public risk defaults to sigma2 = r2 = ||beta*||^2 = 1 (docs/self_distillation.md §1): the
    defaults give what the explicit values give, and other values give something else."""
    kw = dict(lam=0.3, gamma=0.7)
    for f, extra in ((T.student_risk, dict(xi=0.5)), (T.improvement, {}), (T.optimal_student_risk, {})):
        default = f(**kw, **extra)
        assert default == f(**kw, **extra, sigma2=1.0, r2=1.0)
        assert default != pytest.approx(f(**kw, **extra, sigma2=1.0, r2=2.0), rel=1e-6)
        assert default != pytest.approx(f(**kw, **extra, sigma2=2.0, r2=1.0), rel=1e-6)
    assert T.optimal_teacher_lambda(gamma=0.7) == pytest.approx(0.7, rel=1e-15)
