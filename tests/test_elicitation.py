"""Unit and property tests of the online-SGD engine (:mod:`w2s.kernels.gauss_rng`, :mod:`w2s.kernels.elicitation`,
:mod:`w2s.kernels.elicitation` (part 2)) and of the overlap ODEs (:mod:`w2s.theory.elicitation`)."""

from __future__ import annotations

import math

import mpmath as mp
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from w2s.kernels import gauss_rng as G
from w2s.kernels.elicitation import gram_chain, gram_state, initial_state
from w2s.kernels.elicitation import (log_record_steps, online_sgd, online_sgd_numpy, random_orthonormal,
                             random_start_in_subspace)
from w2s.theory import elicitation as E

H = E.hermite_link


# ----- the in-kernel Gaussian generator ---------------------------------------------------------------------------

def test_ziggurat_normals_pass_moment_and_ks_tests():
    """2e6 draws: mean, variance, skewness and excess kurtosis within 5 standard errors of N(0, 1); the KS
    test (scipy) does not reject at the 1e-3 level, nor for the tails |x| > 3.65 (the exponential-rejection tail)."""
    x = G.normals(np.random.default_rng(11), 2_000_000)
    n = x.size
    assert abs(x.mean()) < 5 / math.sqrt(n)
    assert abs(x.var() - 1) < 5 * math.sqrt(2 / n)
    assert abs(stats.skew(x)) < 5 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(x)) < 5 * math.sqrt(24 / n)
    assert stats.kstest(x, "norm").pvalue > 1e-3
    tail = np.abs(x[np.abs(x) > G._R])
    expected = 2 * stats.norm.sf(G._R) * n
    assert abs(tail.size - expected) < 5 * math.sqrt(expected)
    cond = stats.truncnorm(G._R, np.inf)
    assert stats.kstest(tail, cond.cdf).pvalue > 1e-3


@numba.njit(cache=True)
def _chi2_many(s, nu, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = G.chi2(s, nu)
    return out


@pytest.mark.parametrize("nu", [0.5, 1.0, 2.5, 7.0, 1e5])
def test_chi2_draws_pass_ks(nu):
    y = _chi2_many(G.stream_states(np.random.default_rng(3), 1)[0], nu, 100_000)
    assert stats.kstest(y, "chi2", args=(nu,)).pvalue > 1e-3


def test_streams_are_reproducible_and_never_zero():
    a = G.stream_states(np.random.default_rng(5), 100)
    b = G.stream_states(np.random.default_rng(5), 100)
    assert np.array_equal(a, b) and np.all(a.any(axis=1))
    assert np.array_equal(G.normals(np.random.default_rng(1), 50), G.normals(np.random.default_rng(1), 50))
    with pytest.raises(ValueError, match="rng"):
        G.stream_states(np.random.SeedSequence(0), 1)


# ----- the full kernel --------------------------------------------------------------------------------------------

def _setup(d=40, r=6, p=3, seed=1):
    rng = np.random.default_rng(seed)
    U = random_orthonormal(d, r, rng)
    theta = U[:, 0]
    xi = rng.standard_normal(d)
    xi -= U @ (U.T @ xi)
    xi /= np.linalg.norm(xi)
    dirs = np.stack([theta, 0.5 * theta + math.sqrt(0.75) * xi, xi])
    W0 = random_start_in_subspace(U, p, rng)
    W0[-1] = dirs[1]
    return U, dirs, W0


CONFIGS = [dict(), dict(U="U", tau_x=0.3), dict(U="U", tau=0.3, transform=(-1.0, 0.0, 1.0)),
           dict(loss="squared", update="plain", tau=0.2, eta=0.002), dict(batch=3), dict(U="U", batch=2, loss="squared")]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_kernel_matches_the_numpy_reference_on_the_same_stream(cfg):
    U, dirs, W0 = _setup()
    cfg = dict(cfg)
    if cfg.get("U") == "U":
        cfg["U"] = U
    kw = dict(steps=300, eta=cfg.pop("eta", 0.01), act=H(2), link=H(2), record_steps=[0, 7, 300], reps=3, **cfg)
    assert np.all(np.isfinite(online_sgd(W0, np.ones(3), dirs, rng=np.random.default_rng(9), **kw)))
    a = np.array([1.0, -0.5, 2.0])
    o1 = online_sgd(W0, a, dirs, rng=np.random.default_rng(9), **kw)
    o2 = online_sgd_numpy(W0, a, dirs, rng=np.random.default_rng(9), source="stream", **kw)
    assert np.allclose(o1, o2, rtol=0, atol=1e-11)


def test_kernel_is_bit_for_bit_reproducible_for_any_thread_count():
    U, dirs, W0 = _setup()
    kw = dict(steps=200, eta=0.02, act=H(2), link=H(2), record_steps=[200], reps=8, U=U, tau_x=0.1)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        o1 = online_sgd(W0, np.ones(3), dirs, rng=np.random.default_rng(4), **kw)
        c1 = gram_chain(initial_state(W0, dirs, U), p=3, d=40, r=6, a=np.ones(3), rng=np.random.default_rng(4),
                        **{k: v for k, v in kw.items() if k != "U"})
        numba.set_num_threads(before)
        o2 = online_sgd(W0, np.ones(3), dirs, rng=np.random.default_rng(4), **kw)
        c2 = gram_chain(initial_state(W0, dirs, U), p=3, d=40, r=6, a=np.ones(3), rng=np.random.default_rng(4),
                        **{k: v for k, v in kw.items() if k != "U"})
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(o1, o2) and np.array_equal(c1, c2)


_BATCH_CASES = {
    "isotropic-spherical-correlation-transform": dict(
        kind="iso", kw=dict(update="spherical", loss="correlation", tau=0.3, transform=(-0.5, 1.0, 0.3))),
    "subspace-leakage-plain-squared": dict(kind="sub", kw=dict(update="plain", loss="squared", tau=0.3, tau_x=0.3)),
    "subspace-no-leakage-spherical": dict(kind="sub", kw=dict(update="spherical", loss="correlation", tau=0.0)),
    "hit-level-per-replicate-starts": dict(kind="hit", kw=dict(update="spherical", loss="correlation")),
    # one neuron, one direction, nothing in the complement: the fused one-pass path (_chain_block_one)
    "one-neuron-plain-squared-noisy": dict(kind="one", kw=dict(update="plain", loss="squared", tau=0.4, a=[0.7],
                                                               transform=(-0.5, 1.0, 0.3), record_norms=True)),
    "one-neuron-subspace-no-leakage-rank-deficient-start": dict(
        kind="one-sub", kw=dict(update="spherical", loss="correlation", tau=0.2, a=[1.0], record_norms=True)),
}


@pytest.mark.parametrize("case", sorted(_BATCH_CASES))
def test_batched_chain_is_the_serial_chain_bit_for_bit_for_any_block_and_thread_count(case):
    """The lock-step chain (docs/elicitation.md §3) does each lane's operations in the serial chain's order and reads
    the lane's own stream: the same numbers, for every block size (with partial blocks) and thread count."""
    cfg = _BATCH_CASES[case]
    U, dirs, W0 = _setup()
    reps = 13  # not a multiple of any block below: the last block is partial
    if cfg["kind"] == "hit":
        rng0 = np.random.default_rng(5)
        m0 = rng0.uniform(0.05, 0.3, reps)
        Sp = np.stack([gram_state(np.array([[m, math.sqrt(1 - m * m)], [1.0, 0.0]]))[0] for m in m0])
        state, extra = (Sp, np.zeros_like(Sp)), dict(p=1, d=64, a=[1.0], steps=3000, eta=0.3 / 64,
                                                     record_steps=np.arange(0, 3001, 7), hit_level=0.5,
                                                     record_hit=True)
    elif cfg["kind"] == "iso":
        state = gram_state(np.array([[0.2, 0.5, 0.84], [0.6, 0.8, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        extra = dict(p=2, d=40, a=np.ones(2), steps=400, eta=0.02, record_steps=[0, 100, 400])
    elif cfg["kind"] == "one":
        state = gram_state(np.array([[0.3, 0.9], [1.0, 0.0]]))
        extra = dict(p=1, d=40, steps=400, eta=0.002, record_steps=[0, 100, 400])  # no divergence (no NaN)
    elif cfg["kind"] == "one-sub":  # lanes start on theta (m = 1): the 2 x 2 Gram matrix has rank 1
        Sp = np.stack([gram_state(np.array([[m, math.sqrt(1 - m * m)], [1.0, 0.0]]))[0]
                       for m in np.r_[1.0, np.linspace(0.1, 0.9, reps - 1)]])
        state = (Sp, np.zeros_like(Sp))
        extra = dict(p=1, d=48, r=12, tau_x=0.0, steps=300, eta=0.05, record_steps=[0, 1, 300])
    else:
        state = initial_state(W0, dirs, U)
        extra = dict(p=3, d=40, r=6, a=np.ones(3), steps=400, eta=0.01, record_steps=[0, 100, 400])
    kw = dict(act=H(2), link=H(2), reps=reps, **cfg["kw"], **extra)
    ref = gram_chain(state, rng=np.random.default_rng(3), block=0, **kw)
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            for block in (1, 4, 64):
                got = gram_chain(state, rng=np.random.default_rng(3), block=block, **kw)
                if cfg["kind"] == "hit":  # lanes that hit leave the block's active region: same numbers
                    assert np.array_equal(got[1], ref[1]) and (ref[1] > 0).sum() >= 5
                    assert np.array_equal(got[0], ref[0], equal_nan=True)
                else:
                    assert np.array_equal(got, ref)
    finally:
        numba.set_num_threads(before)


def test_zero_learning_rate_keeps_every_overlap():
    U, dirs, W0 = _setup()
    o = online_sgd(W0, np.ones(3), dirs, steps=50, eta=0.0, act=H(2), link=H(2), record_steps=[0, 50], U=U,
                   rng=np.random.default_rng(0))
    assert np.allclose(o[0, 0], o[0, 1], atol=1e-14)
    c = gram_chain(initial_state(W0, dirs, U), p=3, d=40, r=6, steps=50, eta=0.0, act=H(2), link=H(2), a=np.ones(3),
                   record_steps=[0, 50], rng=np.random.default_rng(0))
    assert np.allclose(c[0, 0], c[0, 1], atol=1e-14)


def test_plain_updates_on_the_subspace_keep_the_orthogonal_part_exactly():
    """P3' (docs/elicitation.md §2.6): inputs confined to V_kappa and plain updates leave every neuron's component
    outside V_kappa unchanged, whatever the loss (the chain's S_perp is invariant bit for bit; the overlaps move only by
    the rounding-level part of xi inside V_kappa)."""
    U, dirs, W0 = _setup()
    kw = dict(steps=400, eta=0.01, act=H(2), link=H(2), record_steps=[0, 400], loss="squared", update="plain",
              tau=0.3, reps=4)
    o = online_sgd(W0, np.ones(3), dirs, U=U, rng=np.random.default_rng(2), **kw)
    assert np.allclose(o[:, 1, :, 2], o[:, 0, :, 2], atol=1e-12)  # <w_j, xi>
    assert not np.allclose(o[:, 1, :, 0], o[:, 0, :, 0], atol=1e-3)  # while the V_kappa part moves
    c = gram_chain(initial_state(W0, dirs, U), p=3, d=40, r=6, a=np.ones(3), rng=np.random.default_rng(2), **kw)
    assert np.allclose(c[:, 1, :, 2], c[:, 0, :, 2], rtol=0, atol=1e-15)  # xi's part in V_kappa is rounding
    sph = online_sgd(W0, np.ones(3), dirs, U=U, rng=np.random.default_rng(2),
                     **{**kw, "update": "spherical", "loss": "correlation"})
    assert not np.allclose(sph[:, 1, 2, 2], sph[:, 0, 2, 2], atol=1e-3)  # normalisation breaks it


def test_log_record_grid():
    g = log_record_steps(10 ** 6, 40)
    assert g[0] == 0 and g[-1] == 10 ** 6 and np.all(np.diff(g) > 0) and 30 <= g.size <= 41
    o = online_sgd(np.eye(1, 8), [1.0], np.eye(1, 8), steps=1000, eta=0.0, act=H(2), link=H(2),
                   record_steps=log_record_steps(1000, 10), rng=np.random.default_rng(0))
    assert o.shape[1] == log_record_steps(1000, 10).size
    with pytest.raises(ValueError, match="num"):
        log_record_steps(10, 0)


def test_kernel_rejects_bad_input():
    U, dirs, W0 = _setup()
    base = dict(steps=5, eta=0.1, act=H(2), link=H(2), record_steps=[0, 5], rng=np.random.default_rng(0))
    for bad, match in [(dict(loss="hinge"), "loss"), (dict(update="adam"), "update"), (dict(eta=-1.0), "eta"),
                       (dict(tau=-0.1), "tau"), (dict(record_steps=[3, 2]), "record_steps"),
                       (dict(record_steps=[0, 6]), "record_steps"), (dict(batch=0), "batch"), (dict(reps=0), "reps"),
                       (dict(U=U[:, :3] * 2), "orthonormal"), (dict(act=[np.nan]), "act")]:
        with pytest.raises(ValueError, match=match):
            online_sgd(W0, np.ones(3), dirs, **{**base, **bad})
    with pytest.raises(ValueError, match="theta"):
        online_sgd(W0, np.ones(3), 2 * dirs, **base)
    with pytest.raises(ValueError, match="a must"):
        online_sgd(W0, np.ones(2), dirs, **base)


# ----- the Gram chain ----------------------------------------------------------------------------------------------

def test_initial_state_from_vectors_and_from_coordinates_agree():
    U, dirs, W0 = _setup()
    Sp, Sq = initial_state(W0, dirs, U)
    V = np.vstack([W0, dirs])
    assert np.allclose(Sp + Sq, V @ V.T, atol=1e-12)
    par, perp = V @ U, V - (V @ U) @ U.T
    Sp2, Sq2 = gram_state(par, perp)
    assert np.allclose(Sp, Sp2, atol=1e-12) and np.allclose(Sq, Sq2, atol=1e-12)


def test_w2s_chain_does_not_depend_on_the_ambient_dimension():
    """Without leakage the W2S dynamics never leaves V_kappa: the chain's output is identical bit for bit for
    d = 100 and d = 10^6 (the claim 'W2S is governed by r, not d' is exact)."""
    st_ = gram_state(np.array([[0.3, math.sqrt(0.91)], [1.0, 0.0]]))
    kw = dict(p=1, r=50, steps=500, eta=0.004, act=H(2), link=H(2), a=[1.0], record_steps=[500], reps=4)
    a = gram_chain(st_, d=100, rng=np.random.default_rng(1), **kw)
    b = gram_chain(st_, d=10 ** 6, rng=np.random.default_rng(1), **kw)
    assert np.array_equal(a, b)


def test_subspace_of_full_dimension_is_the_isotropic_chain():
    """r = d (edge regime): inputs on the whole space are isotropic inputs; same draws, same output."""
    st_ = gram_state(np.array([[0.3, math.sqrt(0.91)], [1.0, 0.0]]))
    kw = dict(p=1, d=64, steps=300, eta=0.004, act=H(2), link=H(2), a=[1.0], record_steps=[300], reps=4)
    assert np.array_equal(gram_chain(st_, r=64, rng=np.random.default_rng(1), **kw),
                          gram_chain(st_, rng=np.random.default_rng(1), **kw))


def test_hitting_steps_are_consistent_with_the_records():
    st_ = gram_state(np.array([[0.3, math.sqrt(0.91)], [1.0, 0.0]]))
    o, hits = gram_chain(st_, p=1, d=200, steps=20000, eta=0.2 / 200, act=H(2), link=H(2), a=[1.0],
                         record_steps=np.arange(20001), rng=np.random.default_rng(0), reps=5, hit_level=0.5)
    for rep in range(5):
        m = np.abs(o[rep, :, 0, 0])
        assert hits[rep] > 0 and m[hits[rep]] >= 0.5 and np.all(m[: hits[rep]] < 0.5)


def test_chain_rejects_bad_input():
    st_ = gram_state(np.array([[0.3, math.sqrt(0.91)], [1.0, 0.0]]))
    base = dict(p=1, d=10, steps=5, eta=0.1, act=H(2), link=H(2), a=[1.0], record_steps=[5],
                rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="d must"):
        gram_chain(st_, **{**base, "d": 1})
    with pytest.raises(ValueError, match="r must"):
        gram_chain(st_, **{**base, "r": 11})
    with pytest.raises(ValueError, match="positive semidefinite"):
        gram_chain((np.array([[1.0, 2.0], [2.0, 1.0]]), np.zeros((2, 2))), **base)
    with pytest.raises(ValueError, match="unit norm"):
        gram_chain((4 * st_[0], st_[1]), **base)
    with pytest.raises(ValueError, match="hit_level"):
        gram_chain(st_, **base, hit_level=1.5)
    with pytest.raises(ValueError, match="S_perp"):
        gram_chain((st_[0], np.eye(2)), **base)


# ----- theory: the overlap ODE ------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(p=st.integers(1, 5), m=st.floats(-0.99, 0.99))
def test_small_delta_drift_is_the_population_law(p, m):
    """delta -> 0, g = sigma = h_p: the drift is p m^(p-1) (1 - m^2) (docs/elicitation.md §2.2; Stein's lemma)."""
    lab = E.Labels(tuple(H(p)), tuple(H(p)))
    assert E.drift(m, lab, 1e-12) / 1e-12 == pytest.approx(p * m ** (p - 1) * (1 - m * m), abs=1e-7)


def test_expectations_match_mpmath():
    """Tensor Gauss-Hermite (exact for polynomials) against mpmath quadrature (after integrating the independent
    part of l out by hand), with weak-label noise and a transform: agreement to 1e-9 relative."""
    lab = E.Labels(tuple(H(3)), tuple(H(2)), (-1.09, 0.0, 1.0), 0.3)
    m = 0.37
    E1, E2, Q = E.expectations(m, lab)
    mp.mp.dps = 15
    s = mp.sqrt(1 - m * m)
    g = lambda z: (z ** 3 - 3 * z) / mp.sqrt(6)  # noqa: E731
    t2, c = mp.mpf("0.09"), mp.mpf("1.09")  # tau^2 and E y_w^2
    F1 = lambda z: g(z) ** 2 + t2 - c  # noqa: E731  E_zeta[(g + tau zeta)^2] - c
    F2 = lambda z: g(z) ** 4 + 6 * g(z) ** 2 * t2 + 3 * t2 ** 2 - 2 * c * (g(z) ** 2 + t2) + c * c  # noqa: E731
    # sigma' = sqrt(2) l with l = m z + s z2, z2 independent: integrate z2 out by hand, then 1-D mpmath quadrature
    def e1d(f):
        return mp.quad(lambda z: f(z) * mp.exp(-z * z / 2), [-mp.inf, 0, mp.inf]) / mp.sqrt(2 * mp.pi)

    r2 = mp.sqrt(2)
    assert float(e1d(lambda z: r2 * F1(z) * (m * m * z * z + s * s))) == pytest.approx(E1, rel=1e-9)
    assert float(e1d(lambda z: r2 * m * F1(z) * z * z)) == pytest.approx(E2, rel=1e-9)
    assert float(e1d(lambda z: 2 * F2(z) * (m * m * z * z + s * s))) == pytest.approx(Q, rel=1e-9)


def test_ode_rhs_matches_the_monte_carlo_average_of_one_step():
    """E[m' - m] * D_eff / delta-scaling from 10^6 single steps of the exact chain at D_eff = 10^5 against the
    drift F(m): within 5 Monte-Carlo standard errors (the O(1/D) bias is 1e-5 relative, negligible)."""
    lab = E.Labels(tuple(H(2)), tuple(H(2)), (0.0, 1.0), 0.3)
    D, delta, m = 10 ** 5, 0.5, 0.4
    st_ = gram_state(np.array([[m, math.sqrt(1 - m * m)], [1.0, 0.0]]))
    o = gram_chain(st_, p=1, d=D, steps=1, eta=delta / D, act=H(2), link=H(2), tau=0.3, a=[1.0], record_steps=[1],
                   rng=np.random.default_rng(7), reps=1_000_000)[:, 0, 0, 0]
    dm = (o - m) * D
    assert abs(dm.mean() - E.drift(m, lab, delta)) < 5 * dm.std() / 1000


def test_planar_closed_form_and_retention():
    lab = E.Labels(tuple(H(2)), tuple(H(2)))
    t = np.linspace(0, 1.5, 7)  # m <= 0.985: R = cos(arccos rho - arccos m) is ill-conditioned as m -> 1
    tiny = 1e-8
    m = E.alignment_trajectory(t / tiny, 0.3, lab, tiny)
    assert np.allclose(m, E.planar_alignment(t, 0.3), atol=1e-6)
    m, R = E.retention_trajectory(t / tiny, 0.3, lab, tiny)
    assert np.allclose(R, E.planar_retention(m, 0.3), atol=1e-6)
    # late time: R(inf) = rho (delta -> 0) and rho m* at finite delta
    m, R = E.retention_trajectory([0, 200.0], 0.3, lab, 0.2)
    assert R[-1] == pytest.approx(0.3 * E.fixed_point(lab, 0.2), rel=1e-6)


def test_edge_regimes_rho_zero_and_one():
    lab = E.Labels(tuple(H(2)), tuple(H(2)))
    t = np.linspace(0, 4, 5)
    # rho = 0: the saddle; m stays 0 and R only decays through the noise term, R = exp(-delta^2 Q0 t / 2)
    m, R = E.retention_trajectory(t, 0.0, lab, 0.3)
    _, _, Q0 = E.expectations(0.0, lab)
    assert np.allclose(m, 0, atol=1e-12) and np.allclose(R, np.exp(-0.09 * Q0 * t / 2), rtol=1e-7)
    # rho = 1: the neuron is theta; R = m, both relaxing to the noise floor m*
    m, R = E.retention_trajectory([0, 100.0], 1.0, lab, 0.3)
    assert np.allclose(m, R) and m[-1] == pytest.approx(E.fixed_point(lab, 0.3), rel=1e-6)
    # zero learning rate is outside the stated range (delta > 0)
    with pytest.raises(ValueError, match="delta"):
        E.alignment_trajectory(t, 0.4, lab, 0.0)
    # T = identity by default
    assert E.drift(0.3, E.Labels(tuple(H(2)), tuple(H(2)), (0.0, 1.0)), 0.2) == E.drift(0.3, lab, 0.2)


def test_hitting_constant_matches_a_direct_ode_integration():
    """K_0 (the deterministic part of K*) against solving the ODE from m = eps: t(eps -> 1/2) - log(1/eps)/lambda."""
    lab = E.Labels(tuple(H(2)), tuple(H(2)))
    delta = 0.3
    lam, Q1 = E.escape_rate(lab, delta)
    assert lam == pytest.approx(2 * delta - delta ** 2, rel=1e-8)  # F'(0) = 2 delta - delta^2 E[u^2]/2, E u^2 = 2
    assert Q1 == pytest.approx(10.0, rel=1e-10)  # E[h_2(z)^2 2 l^2 z^2] = 2 E[h_2^2 z^2] = 10
    K = E.hitting_time_constant(lab, delta)
    s2 = 1 + delta ** 2 * Q1 / (2 * lam)
    K0 = K + (0.5 * math.log(s2) + E.EULER_LOG_ABS_NORMAL) / lam
    eps = 1e-6
    ts = np.linspace(0, 60, 600001)
    m = E.alignment_trajectory(ts, eps, lab, delta)
    t_hit = np.interp(0.5, m, ts)
    assert t_hit - math.log(1 / eps) / lam == pytest.approx(K0, abs=1e-3)


def test_theory_rejects_bad_input():
    lab = E.Labels(tuple(H(2)), tuple(H(2)))
    with pytest.raises(ValueError, match="m0"):
        E.alignment_trajectory([1.0], 1.5, lab, 0.1)
    with pytest.raises(ValueError, match="delta"):
        E.alignment_trajectory([1.0], 0.5, lab, -0.1)
    with pytest.raises(ValueError, match=r"t \(times\) must"):
        E.alignment_trajectory([2.0, 1.0], 0.5, lab, 0.1)
    with pytest.raises(ValueError, match="link"):
        E.Labels((), tuple(H(2)))
    with pytest.raises(ValueError, match="tau"):
        E.Labels(tuple(H(2)), tuple(H(2)), tau=-1.0)
    with pytest.raises(ValueError, match="not linearly unstable"):
        E.hitting_time_constant(E.Labels(tuple(H(3)), tuple(H(3))), 0.1)
    # the asymptotic K* needs the level below the noise floor m* (h_2: 0.729 at delta = 0.3, 0.443 at 0.9)
    E.hitting_time_constant(lab, 0.3, 0.5)
    with pytest.raises(ValueError, match="noise floor"):
        E.hitting_time_constant(lab, 0.9, 0.5)
    with pytest.raises(ValueError, match="k"):
        E.hermite_link(-1)


def test_plain_update_ode_confinement_and_one_step_drift():
    """P3' ODE: without leakage the private part b is exactly constant; with leakage its drift matches the
    Monte-Carlo mean of 10^6 single plain steps of the exact chain (r = 10^4, d = 4 r) within 5 SE."""
    lab = E.Labels(tuple(H(2)), tuple(H(2)), (0.0, 1.0), 0.3)
    _, b = E.plain_update_trajectory([0.0, 5.0], 0.5, lab, 0.2, 0.0, 4.0)
    assert b[1] == pytest.approx(b[0], abs=1e-12)
    # state after some training: A, C, m, b chosen freely (the drift is a function of them)
    A, C, m, b0, tx, delta, r = 0.7, 0.5, 0.6, 0.4, 0.3, 0.2, 10 ** 4
    cpar, cperp = 1 + tx ** 2, tx ** 2
    var_l = cpar * A + cperp * C
    Eul, Eut, _ = E.plain_update_moments(var_l, cpar * m, cpar, lab)
    det = var_l * cpar - (cpar * m) ** 2
    El = (cpar * Eul - cpar * m * Eut) / det
    e = math.sqrt(A - m * m)
    c_rest = math.sqrt(C - b0 * b0)
    st_ = gram_state(np.array([[m, e, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
                     np.array([[b0, c_rest], [0.0, 0.0], [1.0, 0.0]]))
    o = gram_chain(st_, p=1, d=4 * r, r=r, tau_x=tx, steps=1, eta=delta / r, act=H(2), link=H(2), tau=0.3, a=[1.0],
                   loss="squared", update="plain", record_steps=[1], rng=np.random.default_rng(3),
                   reps=1_000_000)[:, 0, 0, 1]
    db = (o - b0) * r
    assert abs(db.mean() - delta * cperp * El * b0) < 5 * db.std() / 1000


# ----- transformed weak labels: finite-D drift of the spherical chain ---------------------------------------------

def _tl_labels(tau=0.5):
    return E.Labels(tuple(H(3)), tuple(H(2)), E.weak_label_transform("square", H(3), tau), tau)


def test_square_transform_centres_the_weak_label():
    """T(y) = y^2 - E y_w^2 with E y_w^2 = E h_3^2 + tau^2 = 1 + tau^2; F1 = E_zeta T has mean 0 and a He_2 part."""
    T = E.weak_label_transform("square", H(3), 0.5)
    assert T == pytest.approx((-1.25, 0.0, 1.0), abs=1e-14)
    assert E.weak_label_transform("identity", H(3)) == (0.0, 1.0)
    lab = _tl_labels()
    assert E.expectations(0.0, lab)[0] == pytest.approx(0.0, abs=1e-12)
    lam, _ = E.escape_rate(lab, 1e-9)
    assert lam / 1e-9 == pytest.approx(6 * math.sqrt(2), rel=1e-6)  # 2 x (He_2 coefficient 3) x sqrt(2)


def test_finite_size_drift_tends_to_the_ode_and_its_quadrature_has_converged():
    lab = _tl_labels()
    for m in (0.1, 0.4, 0.8):
        assert E.spherical_step_drift(m, lab, 0.01, 1e14) == pytest.approx(E.drift(m, lab, 0.01), rel=1e-7)
        ref = E._step_drift_grid(np.array([m]), lab, 0.01, 2048.0, n=160, nz=60)[0]
        # 1e-7 of F_D is below 1e-4 of the correction F_D - F_inf (~1e-3 F_D), far below what a ladder resolves
        assert E.spherical_step_drift(m, lab, 0.01, 2048) == pytest.approx(ref, rel=1e-7)
    # the heavy tail: at D = 2048 the exact step drifts well above the ODE (the noise term is cut off)
    assert E.spherical_step_drift(0.5, lab, 0.01, 2048) - E.drift(0.5, lab, 0.01) > 1e-3
    c = E.heavy_tail_correction([5.0, 20.0], 0.3, lab, 0.01, 2048)
    assert np.all(c > 0) and np.all(E.heavy_tail_correction([5.0, 20.0], 0.3, lab, 0.01, 2 ** 20) < c / 50)


def test_finite_size_drift_matches_the_monte_carlo_mean_of_one_exact_step():
    """F_D(m) against the mean of 10^6 single steps of the exact chain at D = 1024: within 5 SE, while the ODE drift
    F_inf(m) (the D -> inf limit) is more than 4 SE away (5.2 with this seed), so the test tells them apart."""
    lab = _tl_labels()
    D, delta, m = 1024, 0.01, 0.5
    st_ = gram_state(np.array([[m, math.sqrt(1 - m * m)], [1.0, 0.0]]))
    o = gram_chain(st_, p=1, d=16 * D, r=D, steps=1, eta=delta / D, act=H(2), link=H(3),
                   transform=np.array(lab.transform), tau=0.5, a=[1.0], record_steps=[1],
                   rng=np.random.default_rng(11), reps=1_000_000)[:, 0, 0, 0]
    dm = (o - m) * D
    se = dm.std() / 1000
    assert abs(dm.mean() - E.spherical_step_drift(m, lab, delta, D)) < 5 * se
    assert abs(dm.mean() - E.drift(m, lab, delta)) > 4 * se


def test_plain_update_state_starts_where_told_and_keeps_a_neuron_at_zero_rate_of_change_initially():
    lab = _tl_labels()
    A, m = E.plain_update_state([0.0, 1e-9], 0.3, lab, 0.005)
    assert A[0] == 1.0 and m[0] == 0.3 and abs(m[1] - 0.3) < 1e-8


def test_transforms_and_parameters_outside_their_range_are_rejected():
    with pytest.raises(ValueError, match="transform"):
        E.weak_label_transform("cube", H(3))
    with pytest.raises(ValueError, match="transform"):
        E.Labels(tuple(H(3)), tuple(H(2)), transform=np.tanh)
    with pytest.raises(ValueError, match="transform"):
        E.Labels(tuple(H(3)), tuple(H(2)), transform="square")
    lab = _tl_labels()
    with pytest.raises(ValueError, match="rho"):
        E.retention_trajectory([1.0], 1.2, lab, 0.1)
    with pytest.raises(ValueError, match="delta"):
        E.spherical_step_drift(0.3, lab, -0.01, 1024)
    with pytest.raises(ValueError, match="delta"):
        E.plain_update_state([1.0], 0.3, lab, 0.0)
    with pytest.raises(ValueError, match="D"):
        E.finite_size_alignment([1.0], 0.3, lab, 0.01, 1.0)
    st_ = gram_state(np.array([[0.3, math.sqrt(0.91)], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="r must"):
        gram_chain(st_, p=1, d=16, r=32, steps=1, eta=0.1, act=H(2), link=H(3), a=[1.0], record_steps=[1],
                   rng=np.random.default_rng(0))


def test_cli_predict_reports_bad_input_in_one_line(capsys):
    from w2s.validation.cli import main

    assert main(["predict", "elicit.alignment.w2s.transformed-labels", "delta=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "delta" in err[0]
    assert main(["predict", "elicit.retention.sft", "rhos=(1.5, 0.3)"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rho" in err[0]


def test_offtarget_risk_closed_forms_quadrature_and_monte_carlo():
    """docs/elicitation.md §2.8: the h_2 closed forms, the general Gram-matrix path against the vectorised one-neuron
    path, a Monte-Carlo check of the refit readout with two neurons, and bad input."""
    from w2s.theory import elicitation as E
    for v, c in ((1.4, 0.5), (0.7, -0.3), (1.0, 1.0)):
        fixed = 1 - 2 * c * c + (3 * v * v - 2 * v + 1) / 2
        refit = 1 - c ** 4 / ((3 * v * v - 2 * v + 1) / 2)
        assert E.offtarget_risk([[v, c], [c, 1]], H(2), H(2)) == pytest.approx(fixed, abs=1e-12)
        assert E.offtarget_risk([[v, c], [c, 1]], H(2), H(2), readout="refit") == pytest.approx(refit, abs=1e-12)
        for ro in E.READOUTS:
            assert float(E.offtarget_risk_one_neuron(v, c, H(3), H(2), readout=ro)) == pytest.approx(
                E.offtarget_risk([[v, c], [c, 1]], H(3), H(2), readout=ro), abs=1e-12)
        for a in (0.5, -1.5, 3.0):  # a pre-trained second layer other than 1 (fixed readout: quadratic in a)
            assert float(E.offtarget_risk_one_neuron(v, c, H(3), H(2), a=a)) == pytest.approx(
                E.offtarget_risk([[v, c], [c, 1]], H(3), H(2), a=[a]), abs=1e-12)
    V = np.array([[1.1, 0.2, 0.1], [-0.3, 0.9, 0.4], [1.0, 0.0, 0.0]])  # w_1, w_2, theta_k
    G = V @ V.T
    x = np.random.default_rng(0).standard_normal((400_000, 3))
    l = x @ V.T
    feats = np.stack([np.polyval(H(2)[::-1], l[:, 0]), np.polyval(H(2)[::-1], l[:, 1])], axis=1)
    yk = np.polyval(H(3)[::-1], l[:, 2])
    coef = np.linalg.lstsq(feats, yk, rcond=None)[0]
    mc = np.mean((yk - feats @ coef) ** 2)
    assert E.offtarget_risk(G, H(3), H(2), readout="refit") == pytest.approx(mc, abs=0.01)
    mc_fixed = np.mean((yk - feats.mean(axis=1)) ** 2)
    assert E.offtarget_risk(G, H(3), H(2)) == pytest.approx(mc_fixed, rel=0.02)
    with pytest.raises(ValueError, match="readout"):
        E.offtarget_risk(G, H(2), H(2), readout="best")
    with pytest.raises(ValueError, match="unit norm"):
        E.offtarget_risk(2 * G, H(2), H(2))
    with pytest.raises(ValueError, match="rho"):
        E.plain_update_offtarget_risk([1.0], 1.5, E.Labels(link=tuple(H(2)), act=tuple(H(2))), 0.2, 0.3, 4.0)
    with pytest.raises(ValueError, match="level"):
        E.plain_update_matched_risk(0.5, 0.6, E.Labels(link=tuple(H(2)), act=tuple(H(2))), 0.2, 0.3, 4.0)


def test_offtarget_difference_scales_are_the_mean_risk_rounded_down():
    from w2s.theory import elicitation as E
    from w2s.validation.claims import elicitation as CE
    for (kind, rho), scales in CE._OT_DIFF_SCALE.items():
        if kind == "times":
            p = dict(CE._OT, rho=rho, times=CE._OT_TIMES)
            lab, t = CE.labels(p), np.array(CE._OT_TIMES)
            args = (rho, lab, p["delta"], p["tau_x"], p["nu"])
            mins = [(E.plain_update_offtarget_risk(t, *args, protocol="w2s", readout=ro)
                     + E.plain_update_offtarget_risk(t / p["nu"], *args, protocol="sft", readout=ro)) / 2
                    for ro in E.READOUTS]
        else:
            r = CE._ot_matched_predict(dict(CE._OT, rho=rho, level=CE._OT_LEVEL))
            mins = [[(r[2] + r[3]) / 2], [(r[5] + r[6]) / 2]]
        for got, want in zip(scales, mins):
            assert np.all(np.array(got) <= np.array(want)) and np.all(np.array(got) >= np.array(want) - 0.01)


def test_record_norms_and_record_hit():
    st_ = gram_state(np.array([[0.3, math.sqrt(0.91)], [1.0, 0.0]]))
    kw = dict(p=1, d=200, steps=20000, eta=0.2 / 200, act=H(2), link=H(2), a=[1.0], rng=np.random.default_rng(0),
              reps=5, hit_level=0.5)
    o, hits = gram_chain(st_, record_steps=np.arange(20001), record_norms=True, **kw)
    o2, hits2 = gram_chain(st_, record_steps=[0], record_norms=True, record_hit=True,
                           **{**kw, "rng": np.random.default_rng(0)})
    assert np.array_equal(hits, hits2) and np.allclose(o[:, 0, 0, 1], 1.0)  # unit norm under spherical updates
    for rep in range(5):
        assert np.array_equal(o2[rep, -1], o[rep, hits[rep]])
    with pytest.raises(ValueError, match="record_hit"):
        gram_chain(st_, record_steps=[0], record_hit=True, **{**kw, "hit_level": None})


# ----- steps to alignment at information exponent 3 (docs/elicitation.md §2.9) ----------------------------------------

def _h(k_link, k_act, tau=0.0, transform=(0.0, 1.0)):
    return E.Labels(link=tuple(E.hermite_link(k_link)), act=tuple(E.hermite_link(k_act)), tau=tau,
                    transform=tuple(transform))


def test_information_exponent_of_the_three_protocols():
    link = E.hermite_link(3)
    square = E.weak_label_transform("square", link, 0.5)
    assert E.information_exponent(_h(3, 3)) == 3
    assert E.information_exponent(_h(3, 3, 0.5)) == 3
    assert E.information_exponent(_h(3, 2, 0.5, square)) == 2  # T lowers the exponent
    assert E.information_exponent(_h(2, 2)) == 2
    c = E.correlation_drift_coefficients(_h(3, 3, 0.5))
    assert c[3] == pytest.approx(1.0, abs=1e-12) and np.allclose(c[:3], 0.0, atol=1e-12)  # Phi(m) = m^3
    # the population drift (1 - m^2) Phi'(m) against the exact quadrature of E2 - m E1
    for m in (-0.7, 0.1, 0.55):
        E1, E2, _ = E.expectations(m, _h(3, 3, 0.5))
        assert (1 - m * m) * 3 * m * m == pytest.approx(E2 - m * E1, abs=1e-12)


def test_high_exponent_escape_against_an_mpmath_double_integral():
    """K is the double integral kappa int Phi_N(y) int_0^inf exp(kappa (G(y - u) - G(y))) du dy: evaluated here
    directly by mpmath (no ODE), it must agree with the Radau integration of w' = 1 - kappa G' w."""
    lab = _h(3, 3, 0.5)
    k, K, c1 = E.high_exponent_escape(lab, 1.0, 0.5)
    _, _, Q0 = E.expectations(0.0, lab)
    _, Q1 = E.escape_rate(lab, 1.0)
    assert (Q0, Q1) == (pytest.approx(3 * 1.25), pytest.approx(3 * (7 + 0.25)))  # E[h_3'^2] = 3, E[h_3^2 z^2] = 7
    # 10 digits, tanh-sinh of degree <= 5 on each piece: within 2e-8 of the 12-digit, full-degree value (measured;
    # a quarter of its time), far inside the 1e-6 the assertion allows
    with mp.workdps(10):
        kap = mp.mpf(2) / Q1
        G = lambda y: y ** 3 - mp.mpf(Q0) * y ** 2 / 4  # noqa: E731  (delta0 = 1, A = 3)
        inner = lambda y: mp.quad(lambda u: mp.exp(kap * (G(y - u) - G(y))),  # noqa: E731
                                  [0, y, mp.inf] if y > 0 else [0, 1, mp.inf], maxdegree=5)
        ref = kap * mp.quad(lambda y: mp.ncdf(y) * inner(y), [-mp.inf, -2, 0, 2, mp.inf], maxdegree=5)
    assert k == 3
    assert K == pytest.approx(float(ref), rel=1e-6)
    # c1 in closed form for P = 3 m^2 (1 - m^2): (artanh(l)/3 - 1/(3 l)) / delta0
    for delta0, level in ((1.0, 0.5), (0.5, 0.3)):
        _, _, c1 = E.high_exponent_escape(lab, delta0, level)
        assert c1 == pytest.approx((math.atanh(level) / 3 - 1 / (3 * level)) / delta0, rel=1e-9)


def test_high_exponent_escape_limits_and_bad_input():
    lab = _h(3, 3)
    Ks = [E.high_exponent_escape(lab, d0)[1] for d0 in (0.5, 1.0, 2.0)]
    assert Ks[0] > Ks[1] > Ks[2] > 0  # a larger step size explodes sooner
    # second-layer weight a: the SDE depends on a only through A = 3 a, Q0, Q1 ~ a^2; delta0 a is the same law
    lab2 = E.Labels(link=lab.link, act=lab.act, a=2.0)
    assert E.high_exponent_escape(lab2, 0.5)[1] == pytest.approx(Ks[1], rel=1e-7)
    with pytest.raises(ValueError, match="k >= 3"):
        E.high_exponent_escape(_h(2, 2), 1.0)
    with pytest.raises(ValueError, match="even k"):
        E.high_exponent_escape(_h(4, 4), 1.0)
    mixed = E.Labels(link=tuple(np.r_[E.hermite_link(3), 0.0] + E.hermite_link(4)),
                     act=tuple(np.r_[E.hermite_link(3), 0.0] + E.hermite_link(4)))
    with pytest.raises(ValueError, match="c_4"):
        E.high_exponent_escape(mixed, 1.0)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="delta0"):
            E.high_exponent_escape(lab, bad)
    with pytest.raises(ValueError, match="level"):
        E.high_exponent_escape(lab, 1.0, 1.0)


def test_finite_size_hitting_shift_vanishes_as_D_grows():
    link = E.hermite_link(3)
    lab = _h(3, 2, 0.5, E.weak_label_transform("square", link, 0.5))
    K = E.hitting_time_constant(lab, 0.005, 0.5)
    assert E.hitting_time_constant(lab, 0.005, 0.5, D=1e12) == pytest.approx(K, abs=1e-4)
    shifts = [abs(E.finite_size_hitting_shift(lab, 0.01, 0.5, D)) for D in (1024, 16384, 1e8)]
    assert shifts[0] > shifts[1] > shifts[2] and shifts[2] < 1e-3


def test_high_exponent_escape_mirror_image_and_higher_exponents():
    """A negative second-layer weight flips the drift (c_3 < 0): the law of the mirror image, the same (K, c1)."""
    lab = _h(3, 3, 0.5)
    neg = E.Labels(link=lab.link, act=lab.act, tau=lab.tau, a=-1.0)
    assert E.high_exponent_escape(neg, 1.0) == pytest.approx(E.high_exponent_escape(lab, 1.0), rel=1e-9)
    with pytest.raises(ValueError, match="only k = 3"):
        E.high_exponent_escape(_h(5, 5), 1.0)


def test_plain_update_chain_redraws_diverged_replicates():
    """At D = 32 the plain squared-loss chain overflows in about 1.5% of replicates: the claim's simulator returns
    only finite replicates, its first draw is the unconditioned chain (those rows equal where it did not diverge),
    and it is deterministic given the generator."""
    from w2s.validation.claims import elicitation as C

    from w2s.validation.registry import builtin_registry

    p = builtin_registry()["elicit.p3.sft-plain-updates"].params
    raw = C._p3_draws(p, 32, np.random.default_rng(1), 2000, "sft")
    bad = ~np.all(np.isfinite(raw), axis=1)
    assert bad.sum() > 5
    out = C._p3_simulate(p, 32, np.random.default_rng(1), 2000, "sft")
    assert np.all(np.isfinite(out)) and np.array_equal(out[~bad], raw[~bad])
    assert np.array_equal(out, C._p3_simulate(p, 32, np.random.default_rng(1), 2000, "sft"))


def test_planar_retention_rho_range():
    """rho is a cosine: [-1, 1] accepted at both ends, beyond refused."""
    E.planar_retention(0.5, -1.0)
    E.planar_retention(0.5, 1.0)
    for bad in (-1.5, 1.5):
        with pytest.raises(ValueError, match="rho="):
            E.planar_retention(0.5, bad)


def test_the_fused_one_neuron_block_is_taken_exactly_where_it_applies():
    """The dispatch of gram_chain: the fused block for p = q = 1 with nothing in the complement; the general block
    as soon as there is a second neuron or direction, inputs outside the subspace, or a non-zero S_perp."""
    from w2s.kernels.elicitation import _fused_one

    zero, perp = np.zeros((3, 2, 2)), np.zeros((3, 2, 2))
    perp[1, 0, 0] = 0.1
    assert _fused_one(1, 1, 0.0, 0, zero) and _fused_one(1, 1, 0.0, 100, zero)  # isotropic; subspace, tau_x = 0
    assert not _fused_one(2, 1, 0.0, 0, np.zeros((3, 3, 3))) and not _fused_one(1, 2, 0.0, 0, np.zeros((3, 3, 3)))
    assert not _fused_one(1, 1, 0.3, 100, zero)  # leakage: inputs in the complement
    assert not _fused_one(1, 1, 0.0, 100, perp)  # a start with a component in the complement


def test_escape_slope_against_direct_quadrature_and_the_constant_K():
    """T'(x) = -kappa int_0^inf exp(kappa (G(x - u) - G(x))) du evaluated by scipy's quad (no ODE), inside the
    Radau range and on the asymptotic branches; and K = E T(mu0) = -int Phi(x) T'(x) dx (by parts) from the slope
    alone must be high_exponent_escape's K, computed by a different route."""
    from scipy import integrate

    lab = _h(3, 3, 0.5)
    _, _, Q0 = E.expectations(0.0, lab)
    _, Q1 = E.escape_rate(lab, 1.0)
    kap = 2.0 / Q1
    G = lambda y: y ** 3 - Q0 * y ** 2 / 4  # noqa: E731  (delta0 = 1, A = 3)
    xs = np.array([-11.0, -4.0, -0.5, 0.0, 1.5, 6.0, 40.0])
    direct = []
    for x in xs:
        f = lambda u, x=x: math.exp(kap * (G(x - u) - G(x)))  # noqa: E731
        brk = max(x, 1.0)
        s = min(brk, 30.0 / (kap * max(3 * x * x - Q0 * x / 2, 1.0)))  # the integrand's decay length near u = 0
        direct.append(-kap * sum(integrate.quad(f, lo, hi, limit=200)[0]
                                 for lo, hi in ((0.0, s), (s, brk), (brk, np.inf)) if hi > lo))
    assert E.high_exponent_escape_slope(lab, 1.0, xs) == pytest.approx(np.array(direct), rel=1e-6)
    # asymptotic branches: T' = -1 / G'(x) (1 + O(x^-3)) beyond [-12, 200], continuous with the ODE at the seams
    for x in (-12.0, 200.0):
        a, b = E.high_exponent_escape_slope(lab, 1.0, [x - 1e-9, x + 1e-9])
        assert a == pytest.approx(b, rel=2e-3)
    _, K, _ = E.high_exponent_escape(lab, 1.0, 0.5)
    # one vectorised evaluation on a fine grid (Simpson, h = 0.01); Phi(-12) ~ 1e-33 drops the left tail, and
    # beyond x = 200 Phi = 1 and T' = -1 / G'(x) to O(x^-3): the right tail is that integral (~0.0017)
    grid = np.linspace(-12.0, 200.0, 21201)
    Kq = -integrate.simpson(stats.norm.cdf(grid) * E.high_exponent_escape_slope(lab, 1.0, grid), x=grid)
    Kq += integrate.quad(lambda x: 1.0 / (3 * x * x - Q0 * x / 2), 200.0, np.inf)[0]
    assert Kq == pytest.approx(K, rel=1e-5)
    # the mirror image: a negative second-layer weight flips the slope's sign and argument
    neg = E.Labels(link=lab.link, act=lab.act, tau=lab.tau, a=-1.0)
    assert E.high_exponent_escape_slope(neg, 1.0, -xs) == pytest.approx(-np.array(direct), rel=1e-6)


def _hit3(proto="w2s"):
    from w2s.validation.claims import elicitation as C

    return C, C._HIT_3[proto]


def test_control_leaves_the_chain_unchanged_bit_for_bit():
    C, p = _hit3()
    D = 48
    q = dict(p, delta=p["delta0"] / math.sqrt(D))
    budget = 40.0 * D * D
    raw = C.hit_steps(q, D, np.random.default_rng(3), 300, budget)
    steps, cv = C.hit_steps(q, D, np.random.default_rng(3), 300, budget, control=C.hit3_control(p, D))
    assert np.array_equal(raw, steps) and cv.shape == raw.shape and np.all(np.isfinite(cv)) and np.any(cv != 0)


@pytest.mark.parametrize("proto", ["sft", "w2s"])
def test_control_martingale_has_mean_zero_and_an_uncentred_one_does_not(proto, monkeypatch):
    """E[C] = 0 within 4 SE (a false alarm at 6e-5) on 12000 replicates at D = 24; with the Gauss-Hermite centring
    removed (no nodes: the raw increments w(m) F, whose mean is the drift) the same draws give a mean many SE from
    zero. The second half fails if the centring is not what makes C a martingale."""
    from w2s.kernels import elicitation as K

    C, p = _hit3(proto)
    _, c = C.hit3_draws(p, 24, np.random.default_rng(5), 12000)
    z = c.mean() / (c.std(ddof=1) / math.sqrt(c.size))
    assert abs(z) < 4.0
    monkeypatch.setattr(K, "_control_nodes", lambda deg: (np.zeros(0), np.zeros(0)))
    _, c = C.hit3_draws(p, 24, np.random.default_rng(5), 12000)
    z = c.mean() / (c.std(ddof=1) / math.sqrt(c.size))
    assert abs(z) > 10.0


def test_control_variate_reduces_the_variance_of_the_hitting_time():
    """Var(tau) / Var(tau - C) measured 6.6 at D = 160 (2000 replicates); at 400 replicates the ratio's sampling
    error is ~10%, so > 3 fails only if the weight or the martingale is wrong (an uncorrelated C makes it < 1)."""
    C, p = _hit3()
    tau, c = C.hit3_draws(p, 160, np.random.default_rng(7), 400)
    assert tau.var() / (tau - c).var() > 3.0


def test_control_rejects_bad_input():
    C, p = _hit3()
    D = 24
    q = dict(p, delta=p["delta0"] / math.sqrt(D))
    rng = np.random.default_rng(0)
    for bad in ((0.0, 1.0), (1.0, 0.0, np.ones(5)), (0.0, 1.0, np.ones(1)), (0.0, 1.0, [1.0, np.nan]), "x"):
        with pytest.raises(ValueError, match="control"):
            C.hit_steps(q, D, rng, 10, 1000, control=bad)
    # not the fused one-neuron chain (block = 0 runs the serial general chain): refused, not ignored
    with pytest.raises(ValueError, match="control is available"):
        gram_chain(C._uniform_start(D, rng, 4), p=1, steps=10, a=[1.0], record_steps=[0], rng=rng, reps=4,
                   block=0, control=C.hit3_control(p, D), **C.chain_args(q, D))
