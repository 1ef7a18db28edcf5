"""Tests of ``w2s.kernels.laguerre``: the bidiagonal Laguerre model against full Gaussian matrices (KS tests),
the tridiagonal solver against numpy, the reduced ridge simulator against the full one in law, the conditional
simulator against the reduced one in mean (with a negative control), edge sizes and bad input. (The convergence to Marchenko–Pastur and the agreement in law are also certified, with power checks,
by the ``ridge.laguerre-spectrum.*`` and ``ridge.reduced-simulator.*`` claims.)"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import stats

from w2s.kernels import laguerre as L
from w2s.kernels.ridge import ridge_w2s
from w2s.validation.claims.ridge import choose_simulator

# KS tests on fixed seeds: under the null each p-value is uniform, so p > 1e-3 fails by chance with probability
# 1e-3 per test; the seeds are fixed, so the outcome is reproducible.
P_MIN = 1e-3


@pytest.mark.parametrize("d, n", [(5, 12), (6, 3), (4, 4)])
def test_bidiagonal_eigenvalues_match_full_gaussian_matrices(d, n):
    rng = np.random.default_rng(11)
    reps = 3000
    red = np.array([L.laguerre_eigenvalues(d, n, rng) for _ in range(reps)])
    full = np.array([np.linalg.eigvalsh((X := rng.standard_normal((n, d))).T @ X / n) for _ in range(reps)])
    full = np.maximum(full, 0.0)
    for stat in (lambda e: e[:, -1], lambda e: e[:, d - min(n, d)], lambda e: e.sum(1), lambda e: (e**2).sum(1)):
        assert stats.ks_2samp(stat(red), stat(full)).pvalue > P_MIN
    assert np.all(red[:, : d - min(n, d)] == 0.0)


def test_spectrum_trace_is_exact_in_mean():
    """E[(1/d) tr X^T X / n] = 1 exactly: the sum of the chi^2 entries over n d."""
    rng = np.random.default_rng(2)
    tr = [L.laguerre_eigenvalues(50, 30, rng).mean() for _ in range(2000)]
    # sd of (1/d) tr S is sqrt(2/(n d)) = 0.026 per draw; 5 SE of the mean of 2000 draws is 0.003
    assert np.mean(tr) == pytest.approx(1.0, abs=5 * np.sqrt(2 / 1500) / np.sqrt(2000))


@pytest.mark.parametrize("m", [1, 2, 7, 200])
def test_tridiagonal_solve_and_product(m):
    rng = np.random.default_rng(m)
    diag, off = rng.uniform(0.5, 2, m), rng.uniform(-0.5, 0.5, max(m - 1, 0))
    T = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    b = rng.standard_normal(m)
    for lam in (1e-8, 0.3, 1e6):
        assert np.allclose(L._tri_solve(diag, off, lam, b), np.linalg.solve(T + lam * np.eye(m), b), rtol=1e-10,
                           atol=1e-14)
    assert np.allclose(L._tri_mul(diag, off, b), T @ b, rtol=1e-13)


@pytest.mark.parametrize("m, L_t, L_s", [(1, 1, 1), (2, 3, 2), (7, 4, 7), (5000, 5, 2), (40000, 4, 7)])
def test_student_kernel_is_one_solve_per_pair_to_the_last_bit(m, L_t, L_s):
    """The lane-interleaved student kernel (one elimination per lam_s, substitutions side by side) against one
    tridiagonal solve per pair: equal bit for bit, including ridge values from 1e-8 to 1e6."""
    rng = np.random.default_rng(m + L_t)
    diag, off = rng.uniform(0.5, 2, m), rng.uniform(-0.5, 0.5, max(m - 1, 0))
    V = rng.standard_normal((L_t, m))
    lam_s = np.array([1e-8, 0.3, 1e6, 0.05, 2.0, 0.7, 5.0][:L_s])
    assert np.array_equal(L._student_kernel(diag, off, V, 0.9, lam_s),
                          L._student_kernel_reference(diag, off, V, 0.9, lam_s))


@pytest.mark.parametrize("d, n_t, n_s, student", [(6, 12, 3, "fresh"), (6, 3, 12, "fresh"), (5, 5, 5, "fresh"),
                                                  (6, 3, None, "same"), (6, 12, None, "infinite")])
def test_reduced_simulator_agrees_in_law_with_full(d, n_t, n_s, student):
    """Means of R_t, R_s over 4000 independent draws of each simulator: |z| < 4.5 (Bonferroni over the 30
    comparisons of this test at a 1e-3 family rate is 4.2)."""
    lam_t, lam_s = [0.05, 1.0], [0.2, 3.0]
    rng = np.random.default_rng(7)
    reps = 4000
    a = [L.reduced_ridge_w2s(d, n_t, n_s, lam_t, lam_s, sigma2=0.6, r2=1.5, rng=rng, student=student)
         for _ in range(reps)]
    b = [ridge_w2s(d, n_t, n_s, lam_t, lam_s, sigma2=0.6, r2=1.5, rng=rng, student=student) for _ in range(reps)]
    for key in ("R_t", "R_s"):
        A = np.array([getattr(x, key).ravel() for x in a])
        B = np.array([getattr(x, key).ravel() for x in b])
        z = (A.mean(0) - B.mean(0)) / np.sqrt(A.var(0, ddof=1) / reps + B.var(0, ddof=1) / reps)
        assert np.all(np.abs(z) < 4.5), (key, z)


def test_reduced_edge_sizes_and_reproducibility():
    for d, n_t, n_s in [(1, 1, 1), (2, 1, 1), (1, 5, 5), (3, 1, 7)]:
        out = L.reduced_ridge_w2s(d, n_t, n_s, [0.1], [0.1], rng=np.random.default_rng(0))
        assert np.all(np.isfinite(out.R_t)) and np.all(np.isfinite(out.R_s)) and np.all(out.R_s >= 0)
    x = L.reduced_ridge_w2s(300, 150, 600, [0.1, 1.0], [0.5], rng=np.random.default_rng(4))
    y = L.reduced_ridge_w2s(300, 150, 600, [0.1, 1.0], [0.5], rng=np.random.default_rng(4))
    assert np.array_equal(x.R_s, y.R_s)


def test_zero_noise_huge_teacher_data_recovers_target():
    """sigma2 = 0, n_t >> d, tiny lam_t: the teacher is beta* up to O(lam); the student on n_s >> d too."""
    out = L.reduced_ridge_w2s(20, 20000, 20000, [1e-9], [1e-9], sigma2=0.0, rng=np.random.default_rng(1))
    assert out.R_t[0] < 1e-14 and out.R_s[0, 0] < 1e-14


@pytest.mark.parametrize("kwargs, match", [
    (dict(lam_t=[0.0]), "lam_t"), (dict(lam_s=[-1.0]), "lam_s"), (dict(student="x"), "student"),
    (dict(sigma2=-1.0), "sigma2"), (dict(r2=0.0), "r2"), (dict(d=0), "d must"), (dict(n_s=None), "n_s"),
])
def test_reduced_bad_input(kwargs, match):
    base = dict(d=10, n_t=20, n_s=20, lam_t=[0.1], lam_s=[0.1])
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        L.reduced_ridge_w2s(base.pop("d"), base.pop("n_t"), base.pop("n_s"), base.pop("lam_t"), base.pop("lam_s"),
                            rng=np.random.default_rng(0), **base)


def test_simulator_choice():
    p = dict(lam_t_grid=(0.1,), lam_s_grid=(0.2,))
    assert choose_simulator(p) == "conditional"
    assert choose_simulator(dict(p, student="infinite")) == "conditional"
    assert choose_simulator(dict(p, student="same")) == "reduced"
    assert choose_simulator(dict(p, simulator="reduced")) == "reduced"
    assert choose_simulator(dict(p, lam_t_grid=(0.0,))) == "full"
    assert choose_simulator(dict(p, design="uniform")) == "full"
    assert choose_simulator(dict(p, simulator="full")) == "full"
    with pytest.raises(ValueError, match="simulator"):
        choose_simulator(dict(p, simulator="fast"))


@pytest.mark.parametrize("d, n_t, n_s, g_t", [(8, 16, 4, 0.3), (8, 4, 16, 1.0), (6, 6, None, 0.0)])
def test_reduced_spiked_agrees_in_law_with_full(d, n_t, n_s, g_t):
    """Means over 4000 independent draws of each simulator, 2 x 2 x 2 grid: |z| < 4.5 (Bonferroni over the 27
    comparisons of this test at a 1e-3 family rate is 4.2)."""
    from w2s.kernels.weighted_ridge import spiked_w2s

    rng = np.random.default_rng(8)
    kw = dict(zeta=0.7, g_t=g_t, sigma2=0.6, r2=1.3)
    reps = 4000
    a = [L.reduced_spiked_w2s(d, n_t, n_s, [0.1, 1.0], [0.3, 2.0], [0.0, 1.0], rng=rng, **kw) for _ in range(reps)]
    b = [spiked_w2s(d, n_t, n_s, [0.1, 1.0], [0.3, 2.0], [0.0, 1.0], rng=rng, **kw) for _ in range(reps)]
    for key in ("R_t", "R_s"):
        A = np.array([getattr(x, key).ravel() for x in a])
        B = np.array([getattr(x, key).ravel() for x in b])
        z = (A.mean(0) - B.mean(0)) / np.sqrt(A.var(0, ddof=1) / reps + B.var(0, ddof=1) / reps)
        assert np.all(np.abs(z) < 4.5), (key, z)


def test_reduced_spiked_edges_and_consistency():
    # the smallest sizes (m = 2 active coordinates, one-row student) stay finite and non-negative
    out = L.reduced_spiked_w2s(3, 1, 1, [0.1], [0.1], [0.0, 1.0], zeta=1.0, rng=np.random.default_rng(0))
    assert np.all(np.isfinite(out.R_s)) and np.all(out.R_s >= 0)
    x = L.reduced_spiked_w2s(500, 250, 1000, [0.2], [0.5], [0.3], zeta=0.5, rng=np.random.default_rng(2))
    y = L.reduced_spiked_w2s(500, 250, 1000, [0.2], [0.5], [0.3], zeta=0.5, rng=np.random.default_rng(2))
    assert np.array_equal(x.R_s, y.R_s)
    with pytest.raises(ValueError, match="> 0"):
        L.reduced_spiked_w2s(10, 10, 10, [0.0], [0.1], [0.5], zeta=0.5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="zeta"):
        L.reduced_spiked_w2s(10, 10, 10, [0.1], [0.1], [0.5], zeta=1.5, rng=np.random.default_rng(0))


@pytest.mark.parametrize("d, n_t, n_s", [(3, 1, 1), (40, 80, 20), (60, 30, None), (200, 100, 400), (5, 2, 50)])
def test_alignments_on_common_draws_equal_one_call_per_alignment(d, n_t, n_s):
    """Element k of the multi-alignment simulator is one call at zetas[k] from the same seed, bit for bit, and the
    generator advances as by one call; a wrong alignment (another zeta) gives other risks."""
    zetas, lam_s = [0.0, 0.45, 1.0], [[0.2, 1.5], [0.7], [0.3, 0.9, 4.0]]
    kw = dict(g_t=0.4, sigma2=0.8, r2=1.2)
    rng = np.random.default_rng(11)
    got = L.reduced_spiked_w2s_alignments(d, n_t, n_s, [0.1, 2.0], lam_s, [0.0, 0.6], zetas=zetas, rng=rng, **kw)
    for k, (z, ls) in enumerate(zip(zetas, lam_s)):
        one = np.random.default_rng(11)
        ref = L.reduced_spiked_w2s(d, n_t, n_s, [0.1, 2.0], ls, [0.0, 0.6], zeta=z, rng=one, **kw)
        assert np.array_equal(got[k].R_t, ref.R_t) and np.array_equal(got[k].R_s, ref.R_s)
        assert rng.bit_generator.state == one.bit_generator.state
    other = L.reduced_spiked_w2s(d, n_t, n_s, [0.1, 2.0], lam_s[1], [0.0, 0.6], zeta=0.5,
                                 rng=np.random.default_rng(11), **kw)
    assert not np.array_equal(other.R_s, got[1].R_s)
    with pytest.raises(ValueError, match="zetas"):
        L.reduced_spiked_w2s_alignments(d, n_t, n_s, [0.1], [[0.1]], [0.5], zetas=[0.1, 0.2],
                                        rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="zeta"):
        L.reduced_spiked_w2s_alignments(d, n_t, n_s, [0.1], [[0.1]], [0.5], zetas=[1.5], rng=np.random.default_rng(0))


# ----- the conditional simulator (docs/ridge.md §3.4) ------------------------------------------------------------
@pytest.mark.parametrize("d, n", [(1, 1), (1, 5), (5, 1), (7, 20), (20, 7), (8, 9), (9, 8), (8, 8), (300, 150),
                                  (150, 300)])
def test_resolvent_traces_are_the_eigenvalue_sums(d, n):
    """tau_1, tau_2 from the LDL pivots equal sum 1/(x + lam), sum 1/(x + lam)^2 over the non-zero eigenvalues of
    X^T X / n (dense eigensolver of the padded tridiagonal T), to rounding, from lam = 1e-8 to 1e4."""
    rng = np.random.default_rng(d * 1000 + n)
    alpha, beta = L.bidiagonal(d, n, rng)
    dg, of = L.nonzero_tridiagonal(alpha, beta, n, d)
    assert dg.size == min(n, d)
    T = np.diag(L.tridiagonal(alpha, beta, n)[0]) + np.diag(L.tridiagonal(alpha, beta, n)[1], 1)
    ev = np.linalg.eigvalsh(T + np.triu(T, 1).T)
    ev = np.sort(ev)[ev.size - min(n, d):]  # the non-zero ones (T has one rounding-level zero when d > n)
    lam = np.array([1e-8, 0.1, 1.0, 37.0, 1e4])
    t1, t2 = L.resolvent_traces(dg, of, lam)
    np.testing.assert_allclose(t1, [np.sum(1 / (ev + x)) for x in lam], rtol=1e-10)
    np.testing.assert_allclose(t2, [np.sum(1 / (ev + x) ** 2) for x in lam], rtol=1e-10)


def test_resolvent_traces_bad_input():
    with pytest.raises(ValueError, match="lam"):
        L.resolvent_traces([1.0, 2.0], [0.1], [0.0])
    with pytest.raises(ValueError, match="off"):
        L.resolvent_traces([1.0, 2.0], [0.1, 0.2], [1.0])


def _means(sim, reps, seed, **kw):
    rng = np.random.default_rng(seed)
    out = [sim(rng=rng, **kw) for _ in range(reps)]
    return np.array([o.R_t for o in out]), np.array([o.R_s.ravel() for o in out])


def _z(a, b):
    return (a.mean(0) - b.mean(0)) / np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))


COND_CASES = [(6, 12, 3, "fresh"), (7, 3, 14, "fresh"), (8, 4, None, "infinite")]
COND_GRID = dict(lam_t=[0.1, 1.0], lam_s=[0.3, 2.0], r2=1.5)


@functools.lru_cache(maxsize=None)
def _reduced_draws(d, n_t, n_s, student):
    return _means(L.reduced_ridge_w2s, 6000, 1, d=d, n_t=n_t, n_s=n_s, sigma2=0.6, student=student, **COND_GRID)


@pytest.mark.parametrize("d, n_t, n_s, student", COND_CASES)
def test_conditional_simulator_is_unbiased_for_the_reduced_one(d, n_t, n_s, student):
    """Means over 6000 reduced and 1500 conditional draws on a 2 x 2 grid: |z| < 4.5 (Bonferroni over the 18
    comparisons of this test at a 1e-3 family rate is 4.2). The conditional draws spread 4-9 times less at these d.
    (``ridge.conditional-simulator.*`` certify the same with power checks, at d up to 64.)"""
    red = _reduced_draws(d, n_t, n_s, student)
    cond = _means(L.conditional_ridge_w2s, 1500, 2, d=d, n_t=n_t, n_s=n_s, sigma2=0.6, student=student, **COND_GRID)
    for a, b in zip(red, cond):
        assert np.all(np.abs(_z(a, b)) < 4.5), _z(a, b)
        assert np.all(b.std(0) < a.std(0))


def test_the_unbiasedness_test_catches_a_wrong_conditional_formula():
    """Negative control of the test above: the conditional simulator with the noise variance 20% too low (the error
    a wrong noise trace would make; a shift of about 8 standard errors of R_t here) is caught at the same sizes and
    threshold."""
    red = _reduced_draws(6, 12, 3, "fresh")
    cond = _means(L.conditional_ridge_w2s, 1500, 2, d=6, n_t=12, n_s=3, sigma2=0.48, student="fresh", **COND_GRID)
    assert np.max(np.abs(_z(red[0], cond[0]))) > 4.5


def test_conditional_simulator_spreads_as_one_over_d():
    """The point of it: at d = 2048 (gamma_t = 0.5, gamma_s = 2) the reduced risks' sd is tens of times the conditional
    ones' (measured 26-88 at d = 512 and 116-322 at d = 8192 on this group), and d * sd stays bounded."""
    kw = dict(n_t=4096, n_s=1024, lam_t=[0.1], lam_s=[0.2], sigma2=1.0, r2=1.0, student="fresh")
    red = _means(L.reduced_ridge_w2s, 200, 3, d=2048, **kw)
    cond = _means(L.conditional_ridge_w2s, 200, 4, d=2048, **kw)
    for a, b in zip(red, cond):
        assert np.all(a.std(0) > 20 * b.std(0))
        assert np.all(2048 * b.std(0) < 5.0)


def test_conditional_simulator_limits_and_reproducibility():
    rng = np.random.default_rng
    # noiseless teacher with huge data: the teacher recovers beta* (R_t -> 0), the student on huge data copies it
    out = L.conditional_ridge_w2s(20, 10**6, 10**6, [1e-9], [1e-9], sigma2=0.0, rng=rng(1))
    assert out.R_t[0] < 1e-10 and out.R_s[0, 0] < 1e-10
    # lam_t -> infinity: the teacher predicts 0, R_t = r2, and so does every student
    out = L.conditional_ridge_w2s(30, 60, 15, [1e12], [0.5], r2=2.0, rng=rng(2))
    assert out.R_t[0] == pytest.approx(2.0, rel=1e-9) and out.R_s[0, 0] == pytest.approx(2.0, rel=1e-9)
    # d = n (square teacher design) and d = 1 are in range
    for d, n in ((16, 16), (1, 1), (1, 3)):
        o = L.conditional_ridge_w2s(d, n, n, [0.1, 1.0], [0.2], rng=rng(3))
        assert np.all(np.isfinite(o.R_t)) and np.all(np.isfinite(o.R_s)) and np.all(o.R_s > 0)
    a = L.conditional_ridge_w2s(300, 150, 600, [0.1, 1.0], [0.5], rng=rng(4))
    b = L.conditional_ridge_w2s(300, 150, 600, [0.1, 1.0], [0.5], rng=rng(4))
    assert np.array_equal(a.R_t, b.R_t) and np.array_equal(a.R_s, b.R_s)
    none = L.conditional_ridge_w2s(300, 150, None, [0.1, 1.0], rng=rng(4), student="none")
    assert np.array_equal(none.R_t, a.R_t) and none.R_s is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(lam_t=[0.0]), "lam_t"), (dict(lam_s=[0.0]), "lam_s"), (dict(student="same"), "student"),
    (dict(sigma2=-1.0), "sigma2"), (dict(r2=0.0), "r2"), (dict(d=0), "d must"), (dict(n_s=None), "n_s"),
    (dict(n_t=1.5), "n_t"),
])
def test_conditional_bad_input(kwargs, match):
    base = dict(d=10, n_t=20, n_s=20, lam_t=[0.1], lam_s=[0.1])
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        L.conditional_ridge_w2s(base.pop("d"), base.pop("n_t"), base.pop("n_s"), base.pop("lam_t"), base.pop("lam_s"),
                                rng=np.random.default_rng(0), **base)
