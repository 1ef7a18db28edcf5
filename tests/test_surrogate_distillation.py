"""Closed forms and simulator of surrogate_distillation: edge regimes, a high-precision referee, bad input, the
sign-averaged estimator against plain min-norm draws."""

import itertools

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from w2s.kernels import surrogate_distillation as K
from w2s.theory import surrogate_distillation as T


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small designs: one BLAS thread (a multi-threaded BLAS on a busy machine is many times slower here)."""
    with threadpool_limits(1):
        yield


def _tau_mp(lam, n):
    lam = [mp.mpf(x) for x in lam]
    f = lambda lt: mp.fsum(x / (x + mp.e**lt) for x in lam) - n  # noqa: E731  (decreasing in log tau)
    lo, hi = mp.log(min(lam)) - 60, mp.log(mp.fsum(lam) / n) + 5
    for _ in range(160):  # bisection: 2^-160 of a bracket of width ~ 100 is far below 40 digits' needs
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize("alpha,p,n", [(0.5, 50, 10), (1.5, 200, 60), (3.0, 40, 39), (1.0, 30, 1)])
def test_tau_against_mpmath(alpha, p, n):
    mp.mp.dps = 40
    lam = T.power_law(p, alpha)
    de = T.solve_de(lam, n)
    assert de.converged
    # brentq on log tau with rtol 4 eps: a few ulps of log tau, i.e. ~1e-13 relative in tau
    assert abs(de.tau / float(mp.e ** _tau_mp(lam, n)) - 1) < 1e-12


@settings(max_examples=25)
@given(level=st.floats(1e-3, 1e3), p=st.integers(3, 300), frac=st.floats(0.05, 0.95))
def test_one_eigenvalue_level_gives_no_gain(level, p, frac):
    """Isotropic spectrum: zeta = n/p, kappa = 1/(1 - n/p) and theta_opt = beta* (no gain without anisotropy)."""
    n = max(1, min(p - 1, int(frac * p)))
    lam = np.full(p, level)
    de = T.solve_de(lam, n)
    assert np.allclose(de.zeta, n / p, rtol=1e-10) and np.isclose(de.kappa, 1 / (1 - n / p), rtol=1e-9)
    b = np.linspace(-1, 1, p)
    assert np.allclose(T.optimal_surrogate(lam=lam, beta_star=b, n=n), b, rtol=1e-8, atol=1e-12)


@settings(max_examples=20)
@given(p=st.integers(4, 200), alpha=st.floats(0.3, 3.0))
def test_n_equal_p_plus_minus_one(p, alpha):
    """n = p - 1 is the last over-parameterised size (kappa large but finite); n = p + 1 is refused (the
    least-squares risk is infinite there); n = p + 2 is the first exact under-parameterised size."""
    lam, b = T.power_law(p, alpha), np.ones(p)
    de = T.solve_de(lam, p - 1)
    assert np.isfinite(de.kappa) and de.kappa > 1
    with pytest.raises(ValueError, match="n="):
        T.risk_underparameterised(lam=lam, beta_star=b, theta=b, n=p + 1)
    with pytest.raises(ValueError, match="n="):
        T.solve_de(lam, p)
    assert T.risk_underparameterised(lam=lam, beta_star=b, theta=b, n=p + 2, sigma2=1.0) == pytest.approx(p)


def test_optimal_surrogate_minimises_the_de_risk_and_amplifies_above_the_threshold():
    lam, b = T.scaling_target(300, 1.5, 2.0)
    n = 100
    th = T.optimal_surrogate(lam=lam, beta_star=b, n=n)
    r0 = T.risk(lam=lam, beta_star=b, theta=th, n=n)
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert T.risk(lam=lam, beta_star=b, theta=th * (1 + 0.05 * rng.standard_normal(300)), n=n) > r0
    amp = T.amplified(lam=lam, n=n)
    assert np.all((th / b > 1) == amp) and amp[0] and not amp[-1]
    keep = T.optimal_mask(lam=lam, n=n)
    r_mask = T.risk(lam=lam, beta_star=b, theta=b * keep, n=n)
    for flip in (keep.argmin(), keep.sum() - 1):  # flipping a boundary coordinate of the mask costs
        k2 = keep.copy()
        k2[flip] = ~k2[flip]
        assert T.risk(lam=lam, beta_star=b, theta=b * k2, n=n) >= r_mask


def test_scaling_constants_are_the_large_n_limit_of_the_de():
    c = T.scaling_constants(alpha=1.5, beta=2.0, p_over_n=3.0)
    n = 20000
    lam, b = T.scaling_target(3 * n, 1.5, 2.0)
    th = T.optimal_surrogate(lam=lam, beta_star=b, n=n)
    for key, theta in (("C_gold", b), ("C_opt", th), ("C_mask", b * T.optimal_mask(lam=lam, n=n))):
        # the DE approaches its scaling limit as 1 + a/n with |a| < 1 here: 1e-4 at n = 2e4
        assert n * T.risk(lam=lam, beta_star=b, theta=theta, n=n) == pytest.approx(c[key], rel=1e-4)


def test_sign_averaged_estimator_is_the_sign_and_noise_average_of_min_norm_draws():
    """For one design, r(theta) equals the exact average over all 2^p sign flips of (beta*, theta) of the min-norm
    risk, with the noise averaged analytically: an identity, checked to 1e-12."""
    p, n, sigma2 = 7, 4, 0.3
    lam = T.power_law(p, 1.0)
    rng = np.random.default_rng(3)
    b, th = rng.standard_normal(p), rng.standard_normal(p)
    D = K.draw_diagonals(lam, n, np.random.default_rng(5))
    X = np.random.default_rng(5).standard_normal((n, p)) * np.sqrt(lam)
    P = np.linalg.pinv(X) @ X
    H = np.linalg.pinv(X)
    noise = np.trace(H.T @ (lam[:, None] * H))
    total = 0.0
    for s in itertools.product((-1.0, 1.0), repeat=p):
        s = np.array(s)
        e = P @ (s * th) - s * b
        total += e @ (lam * e)
    assert K.sign_averaged_risk(D, lam, b, th, sigma2) == pytest.approx(total / 2**p + sigma2 * noise, rel=1e-12)


@pytest.mark.parametrize("n", [30, 130])
def test_kernel_matches_the_plain_numpy_reference(n):
    lam = T.power_law(60 if n == 30 else 100, 1.2)
    a = K.draw_diagonals(lam, n, np.random.default_rng(1))
    r = K.draw_diagonals_numpy(lam, n, np.random.default_rng(1))
    assert np.allclose(a.P, r.P, rtol=1e-9) and np.allclose(a.PSP, r.PSP, rtol=1e-8) and np.isclose(a.t, r.t, rtol=1e-8)


@pytest.mark.parametrize("n", [30, 130])
def test_noiseless_draw_skips_only_the_noise_factor(n):
    """``noise=False``: the same draws and fields bit for bit, the noiseless risk unchanged; a noisy risk refuses it."""
    lam = T.power_law(60 if n == 30 else 100, 1.2)
    b = np.sqrt(T.power_law(lam.size, 0.7) / lam)
    th = np.vstack([b, 0.5 * b])
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    a, z = K.draw_diagonals(lam, n, rng_a), K.draw_diagonals(lam, n, rng_b, noise=False)
    assert np.array_equal(a.P, z.P) and np.array_equal(a.PSP, z.PSP) and np.isfinite(a.t) and np.isnan(z.t)
    assert rng_a.random() == rng_b.random()  # the same draws consumed
    assert np.array_equal(K.sign_averaged_risk(a, lam, b, th), K.sign_averaged_risk(z, lam, b, th))
    with pytest.raises(ValueError, match="sigma2"):
        K.sign_averaged_risk(z, lam, b, th, 0.1)


def test_sign_averaged_mean_matches_direct_draws_in_law():
    """Mean of the sign-averaged estimator against 1000 direct label draws (t-test at 4.5 SE)."""
    p, n, sigma2 = 20, 8, 0.1
    lam, b = T.scaling_target(p, 1.5, 2.0)
    th = T.optimal_surrogate(lam=lam, beta_star=b, n=n)
    rng = np.random.default_rng(11)
    rb = np.array([K.sign_averaged_risk(K.draw_diagonals(lam, n, rng), lam, b, th, sigma2) for _ in range(300)])
    direct = np.array([K.risk_direct(lam, b, th, n, sigma2, rng) for _ in range(1000)])
    se = np.hypot(rb.std() / np.sqrt(rb.size), direct.std() / np.sqrt(direct.size))
    assert abs(rb.mean() - direct.mean()) < 4.5 * se


@pytest.mark.parametrize("call,match", [
    (lambda: T.power_law(0, 1.0), "p="),
    (lambda: T.power_law(10, -1.0), "alpha="),
    (lambda: T.solve_de(T.power_law(10, 1.0), 10), "n=10"),
    (lambda: T.risk(lam=[1.0, 0.5, 0.1], beta_star=[1, 1, 1], theta=[1, 1, 1], n=1, sigma2=-1), "sigma2="),
    (lambda: T.risk(lam=[1.0, -0.5, 0.1], beta_star=[1, 1, 1], theta=[1, 1, 1], n=1), "lam="),
    (lambda: T.risk(lam=[1.0, 0.5, 0.1], beta_star=[1, 1], theta=[1, 1, 1], n=1), "beta_star"),
    (lambda: T.risk_exponent(alpha=1.0, beta=3.5), "beta="),
    (lambda: T.scaling_constants(alpha=1.0, beta=2.0, p_over_n=0.5), "p_over_n="),
    (lambda: K.draw_diagonals([1.0, 0.5], 3, np.random.default_rng(0)), "n=3"),
    (lambda: T.two_level(4, 0.5, 1.0, 1e12 + 1.0), "lam_lo="),
    (lambda: T.risk(lam=[1.0, 1e12 + 1.0, 0.1], beta_star=[1, 1, 1], theta=[1, 1, 1], n=1), "lam="),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("p, frac", [(1, 0.0), (1, 1.0), (7, 0.3), (10, 0.5), (5, 1.0)])
def test_two_level_has_p_entries_round_frac_p_of_them_high(p, frac):
    lam = T.two_level(p, frac, 2.0, 0.5)
    k = int(round(frac * p))
    assert lam.shape == (p,) and np.all(lam[:k] == 2.0) and np.all(lam[k:] == 0.5)


def test_noise_term_isotropic_by_hand():
    """Isotropic spectrum (p = 8 unit eigenvalues, n = 6): zeta = n/p = 3/4, df2 = n^2/p, kappa = 1/(1 - n/p) = 4,
    and the noise adds sigma2 (kappa - 1) = sigma2 n/(p - n) = 3 sigma2 to the risk, whatever the target. kappa >= 2
    here, where kappa - 1 and (kappa mod 1) differ."""
    lam, b = np.ones(8), np.linspace(-1.0, 1.0, 8)
    de = T.solve_de(lam, 6)
    assert de.kappa == pytest.approx(4.0, rel=1e-12) and de.tau == pytest.approx(8 / 6 - 1, rel=1e-10)
    r0 = T.risk(lam=lam, beta_star=b, theta=b, n=6)
    assert T.risk(lam=lam, beta_star=b, theta=b, n=6, sigma2=0.5) - r0 == pytest.approx(1.5, rel=1e-10)


def test_scaling_constants_default_aspect_ratio_is_two():
    assert T.risk_exponent(alpha=1.5, beta=2.0) == pytest.approx(1.0, rel=1e-15)  # beta - 1, at the default p/n
    assert T.scaling_constants(alpha=1.5, beta=2.0) == T.scaling_constants(alpha=1.5, beta=2.0, p_over_n=2.0)
    assert T.scaling_constants(alpha=1.5, beta=2.0) != T.scaling_constants(alpha=1.5, beta=2.0, p_over_n=3.0)
