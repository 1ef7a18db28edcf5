"""Exactness of the spectral ridge grid kernel (:mod:`w2s.kernels.ridge`).

The kernel (one eigendecomposition per design, numba loops over the ridge grids) must reproduce, on the same
drawn problem, the plain-numpy reference that solves one linear system per ridge value (per pair for the
student), for every student variant and for primal (``n >= d``) and dual (``n < d``) designs.

Tolerance of the comparison with the reference: ``1e-10`` relative, except where the reference itself cannot
be that accurate. ``numpy.linalg.solve`` is backward stable, so its forward error is ``O(eps * kappa)`` with
``kappa = cond(S + lam I)``; for a rank-deficient design and ``lam = 1e-6`` that is ``~1e-9``. At such points
the allowed error is ``REF_SLACK * eps * kappa`` (see :func:`_reference_rtol`), and the kernel's own accuracy
is checked instead against a 40-digit ``mpmath`` computation (:func:`test_kernel_matches_40_digit_truth`).
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

from w2s.kernels.ridge import (
    RidgeProblem,
    design_eig,
    draw_problem,
    ridge_w2s,
    ridge_w2s_direct,
    ridge_w2s_from_problem,
    student_risk_grid,
    teacher_risk_grid,
)
from w2s.kernels.rng import generator
from w2s.validation.registry import Ladder

EPS = np.finfo(float).eps
RTOL = 1e-10
#: forward-error allowance of the LU reference, in units of eps * cond(S + lam I)
REF_SLACK = 10.0
SIGMA2, R2 = 0.6, 1.7

# (d, n_t, n_s): teacher and student each primal (n > d), dual (n < d) and square (n == d)
SHAPES = [
    (24, 48, 48), (24, 48, 12), (24, 48, 24),
    (24, 12, 48), (24, 12, 12), (24, 12, 24),
    (24, 24, 48), (24, 24, 12), (24, 24, 24),
    (61, 150, 40), (5, 3, 200),
]
GRIDS = {
    "wide": ([1e-6, 1e-3, 0.1, 1.0, 10.0, 1e3], [1e-6, 0.01, 1.0, 1e3]),
    "dense": (np.logspace(-6, 3, 13), np.logspace(-6, 3, 11)),
    "unsorted": ([3.0, 1e-6, 250.0, 0.02], [1e3, 0.5, 1e-6]),
    "single": ([0.7], [2.0]),
}
STUDENT_VARIANTS = ("fresh", "same", "infinite")


def _problem(d, n_t, n_s, student, seed=0, sigma2=SIGMA2, r2=R2):
    rng = generator(seed, "test_kernels_ridge", d, n_t, n_s or 0)
    return draw_problem(d, n_t, n_s if student == "fresh" else None, sigma2=sigma2, r2=r2, rng=rng)


def _kappa(S: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Condition number of ``S + lam I`` for each ``lam`` (``S`` symmetric PSD)."""
    s = np.clip(np.linalg.eigvalsh(S), 0.0, None)
    lam = np.asarray(lam, float)
    with np.errstate(divide="ignore"):
        return (s.max() + lam) / (s.min() + lam)


def _reference_rtol(problem: RidgeProblem, lam_t, lam_s, student):
    """Per-entry relative tolerances ``(rtol_t (L_t,), rtol_s (L_t, L_s))`` of the comparison with the LU reference."""
    X_t = problem.X_t
    S_t = X_t.T @ X_t / X_t.shape[0]
    k_t = _kappa(S_t, lam_t)
    if student == "fresh":
        S_s = problem.X_s.T @ problem.X_s / problem.X_s.shape[0]
        k_s = _kappa(S_s, lam_s)
    elif student == "same":
        k_s = _kappa(S_t, lam_s)
    else:
        k_s = np.ones(np.size(lam_s))
    rtol_t = np.maximum(RTOL, REF_SLACK * EPS * k_t)
    rtol_s = np.maximum(RTOL, REF_SLACK * EPS * (k_t[:, None] + k_s[None, :]))
    return rtol_t, rtol_s


def _assert_rel(actual, desired, rtol, what):
    actual, desired = np.asarray(actual), np.asarray(desired)
    assert actual.shape == desired.shape, what
    assert np.all(np.isfinite(actual)), f"{what}: non-finite kernel output"
    err = np.abs(actual - desired) / np.abs(desired)
    bad = err > rtol
    tol = np.broadcast_to(rtol, err.shape)
    assert not bad.any(), (f"{what}: max relative error {err.max():.3e} (tolerance {tol[bad].min():.1e})"
                           f" at {np.argwhere(bad)[:5].tolist()}")


# ---------------------------------------------------------------------------------------------------------
# Kernel == per-lambda numpy.linalg.solve reference
# ---------------------------------------------------------------------------------------------------------
def _cases():
    seen = set()
    for (d, n_t, n_s), grid, student in itertools.product(SHAPES, GRIDS, STUDENT_VARIANTS):
        if student != "fresh":
            n_s = None  # the same-inputs and infinite-data students ignore n_s
        if (d, n_t, n_s, grid, student) in seen:
            continue
        seen.add((d, n_t, n_s, grid, student))
        yield pytest.param(d, n_t, n_s, grid, student, id=f"{student}-d{d}-nt{n_t}-ns{n_s}-{grid}")


@pytest.mark.parametrize("d, n_t, n_s, grid, student", list(_cases()))
def test_grid_kernel_matches_direct_solves(d, n_t, n_s, grid, student):
    lam_t, lam_s = (np.asarray(g, float) for g in GRIDS[grid])
    problem = _problem(d, n_t, n_s, student)
    fast = ridge_w2s_from_problem(problem, lam_t, lam_s, student=student)
    ref = ridge_w2s_direct(problem, lam_t, lam_s, student=student)
    assert fast.R_t.shape == (lam_t.size,) and fast.R_s.shape == (lam_t.size, lam_s.size)
    np.testing.assert_array_equal(fast.lam_t, lam_t)
    np.testing.assert_array_equal(fast.lam_s, lam_s)
    rtol_t, rtol_s = _reference_rtol(problem, lam_t, lam_s, student)
    _assert_rel(fast.R_t, ref.R_t, rtol_t, "teacher risk")
    _assert_rel(fast.R_s, ref.R_s, rtol_s, "student risk")


def test_reference_tolerance_is_1e10_wherever_the_reference_is_well_conditioned():
    """The eps*kappa allowance only kicks in for rank-deficient designs at tiny ridge (here only lam = 1e-6)."""
    problem = _problem(24, 48, 48, "fresh")
    lam = np.array(GRIDS["wide"][0])
    rtol_t, rtol_s = _reference_rtol(problem, lam, lam, "fresh")
    assert np.all(rtol_t == RTOL) and np.all(rtol_s == RTOL)
    dual = _problem(24, 12, 12, "fresh")
    rtol_t, _ = _reference_rtol(dual, lam, lam, "fresh")
    assert np.all(rtol_t[lam >= 1e-3] == RTOL) and rtol_t[0] > RTOL


@pytest.mark.parametrize("student", STUDENT_VARIANTS)
def test_zero_ridge_with_full_rank_designs_matches_direct(student):
    """lam = 0 is allowed (and exact) when both designs have n > d."""
    lam_t, lam_s = np.array([0.0, 0.1, 1e3]), np.array([0.0, 1e-6, 1.0])
    problem = _problem(20, 60, 50, student)
    fast = ridge_w2s_from_problem(problem, lam_t, lam_s, student=student)
    ref = ridge_w2s_direct(problem, lam_t, lam_s, student=student)
    rtol_t, rtol_s = _reference_rtol(problem, lam_t, lam_s, student)
    _assert_rel(fast.R_t, ref.R_t, rtol_t, "teacher risk")
    _assert_rel(fast.R_s, ref.R_s, rtol_s, "student risk")


def test_ridge_w2s_is_draw_problem_then_grid_kernel():
    """``ridge_w2s`` = ``draw_problem`` from the same generator state + ``ridge_w2s_from_problem``."""
    lam_t, lam_s = GRIDS["wide"]
    for student in STUDENT_VARIANTS:
        a = ridge_w2s(30, 45, 20, lam_t, lam_s, sigma2=SIGMA2, r2=R2, rng=generator(5, "x"), student=student)
        problem = draw_problem(30, 45, 20 if student == "fresh" else None, sigma2=SIGMA2, r2=R2,
                               rng=generator(5, "x"))
        b = ridge_w2s_from_problem(problem, lam_t, lam_s, student=student)
        np.testing.assert_array_equal(a.R_t, b.R_t)
        np.testing.assert_array_equal(a.R_s, b.R_s)


# ---------------------------------------------------------------------------------------------------------
# Independent computations: explicit beta_hat, and 40-digit arithmetic
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d, n_t, n_s, lt, ls",
                         [(30, 70, 50, 0.3, 0.05), (30, 16, 18, 0.02, 2.0), (30, 30, 90, 5.0, 1e-3)])
def test_explicit_beta_hat_fresh_student(d, n_t, n_s, lt, ls):
    """Excess risk as ||beta_hat - beta*||^2 with beta_hat from the normal equations (Cholesky, no eigh)."""
    problem = _problem(d, n_t, n_s, "fresh", seed=3)
    X, y, Xs, beta = problem.X_t, problem.y_t, problem.X_s, problem.beta_star
    A = X.T @ X + n_t * lt * np.eye(d)  # (X^T X / n + lt) scaled by n: same solution
    L = np.linalg.cholesky(A)
    beta_t = np.linalg.solve(L.T, np.linalg.solve(L, X.T @ y))
    # student on noiseless labels X_s beta_t
    beta_s = np.linalg.solve(Xs.T @ Xs + n_s * ls * np.eye(d), Xs.T @ (Xs @ beta_t))
    out = ridge_w2s_from_problem(problem, [lt], [ls], student="fresh")
    np.testing.assert_allclose(out.R_t[0], np.sum((beta_t - beta) ** 2), rtol=1e-10)
    np.testing.assert_allclose(out.R_s[0, 0], np.sum((beta_s - beta) ** 2), rtol=1e-10)


def test_explicit_beta_hat_same_and_infinite_students():
    problem = _problem(25, 40, None, "same", seed=4)
    X, y, beta = problem.X_t, problem.y_t, problem.beta_star
    n = X.shape[0]
    lt, ls = 0.2, 0.7
    S = X.T @ X / n
    beta_t = np.linalg.solve(S + lt * np.eye(25), X.T @ y / n)
    beta_same = np.linalg.solve(S + ls * np.eye(25), S @ beta_t)
    same = ridge_w2s_from_problem(problem, [lt], [ls], student="same")
    inf = ridge_w2s_from_problem(problem, [lt], [ls], student="infinite")
    np.testing.assert_allclose(same.R_s[0, 0], np.sum((beta_same - beta) ** 2), rtol=1e-10)
    np.testing.assert_allclose(inf.R_s[0, 0], np.sum((beta_t / (1 + ls) - beta) ** 2), rtol=1e-10)


def test_dual_ridgeless_teacher_is_min_norm_interpolator():
    """lam_t = 0 with n_t < d (the reference cannot do it): beta_t = pinv(X) y; same-inputs student at lam_s = 0
    refits it exactly; a fresh dual student at lam_s = 0 projects it on its own row space."""
    problem = _problem(40, 15, 25, "fresh", seed=2)
    X, y, Xs, beta = problem.X_t, problem.y_t, problem.X_s, problem.beta_star
    beta_t = np.linalg.pinv(X) @ y
    r_t = np.sum((beta_t - beta) ** 2)
    fresh = ridge_w2s_from_problem(problem, [0.0], [0.0], student="fresh")
    same = ridge_w2s_from_problem(problem, [0.0], [0.0], student="same")
    np.testing.assert_allclose(fresh.R_t[0], r_t, rtol=1e-10)
    np.testing.assert_allclose(same.R_s[0, 0], r_t, rtol=1e-10)
    beta_s = np.linalg.pinv(Xs) @ (Xs @ beta_t)
    np.testing.assert_allclose(fresh.R_s[0, 0], np.sum((beta_s - beta) ** 2), rtol=1e-10)


def _mp_risks(problem: RidgeProblem, lt: float, ls: float, student: str) -> tuple[float, float]:
    """Teacher/student excess risk by Gaussian elimination in 40-digit arithmetic (exact inputs: the float64 data)."""
    with mpmath.workdps(40):
        X = mpmath.matrix(problem.X_t.tolist())
        y = mpmath.matrix(problem.y_t.tolist())
        beta = mpmath.matrix(problem.beta_star.tolist())
        n, d = problem.X_t.shape
        S = X.T * X / n
        eye = mpmath.eye(d)
        beta_t = mpmath.lu_solve(S + mpmath.mpf(lt) * eye, X.T * y / n)
        if student == "fresh":
            Xs = mpmath.matrix(problem.X_s.tolist())
            S = Xs.T * Xs / problem.X_s.shape[0]
        beta_s = mpmath.lu_solve(S + mpmath.mpf(ls) * eye, S * beta_t)
        r_t = mpmath.fsum((beta_t[i] - beta[i]) ** 2 for i in range(d))
        r_s = mpmath.fsum((beta_s[i] - beta[i]) ** 2 for i in range(d))
        return float(r_t), float(r_s)


@pytest.mark.parametrize("d, n_t, n_s, student", [(14, 6, 9, "fresh"), (14, 7, None, "same"), (14, 28, 5, "fresh")])
def test_kernel_matches_40_digit_truth(d, n_t, n_s, student):
    """At lam = 1e-6 with rank-deficient designs (where the float64 reference is only ~1e-9 accurate) the
    kernel is still accurate to 1e-10 relative."""
    problem = _problem(d, n_t, n_s, student, seed=7)
    lt, ls = 1e-6, 1e-6
    r_t, r_s = _mp_risks(problem, lt, ls, student)
    out = ridge_w2s_from_problem(problem, [lt], [ls], student=student)
    np.testing.assert_allclose(out.R_t[0], r_t, rtol=RTOL)
    np.testing.assert_allclose(out.R_s[0, 0], r_s, rtol=RTOL)


# ---------------------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("student", STUDENT_VARIANTS)
def test_same_seed_bit_identical_different_seed_different(student):
    lam_t, lam_s = GRIDS["dense"]

    def run(seed):
        return ridge_w2s(32, 20, 50, lam_t, lam_s, sigma2=SIGMA2, r2=R2, rng=generator(seed, "repro"), student=student)

    a, b, c = run(11), run(11), run(12)
    assert np.array_equal(a.R_t, b.R_t) and np.array_equal(a.R_s, b.R_s)
    assert not np.array_equal(a.R_t, c.R_t) and not np.array_equal(a.R_s, c.R_s)


def test_draw_problem_reproducible_and_draw_order_fixed():
    kw = dict(sigma2=SIGMA2, r2=R2)
    a = draw_problem(17, 9, 30, rng=generator(1, "draw"), **kw)
    b = draw_problem(17, 9, 30, rng=generator(1, "draw"), **kw)
    c = draw_problem(17, 9, 30, rng=generator(2, "draw"), **kw)
    for field in ("beta_star", "X_t", "y_t", "X_s"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
        assert not np.array_equal(getattr(a, field), getattr(c, field)), field
    # beta*, X_t and the noise come before X_s: a problem without a student shares them bit for bit
    no_student = draw_problem(17, 9, None, rng=generator(1, "draw"), **kw)
    assert no_student.X_s is None
    for field in ("beta_star", "X_t", "y_t"):
        assert np.array_equal(getattr(a, field), getattr(no_student, field)), field


# ---------------------------------------------------------------------------------------------------------
# draw_problem and design_eig
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d, n_t, n_s, r2", [(1, 1, 1, 0.3), (13, 40, 7, 1.0), (50, 20, 80, 4.5)])
def test_draw_problem_shapes_and_signal_norm(d, n_t, n_s, r2):
    p = draw_problem(d, n_t, n_s, sigma2=0.8, r2=r2, rng=generator(0, "shapes", d))
    assert p.beta_star.shape == (d,) and p.X_t.shape == (n_t, d) and p.y_t.shape == (n_t,) and p.X_s.shape == (n_s, d)
    assert abs(p.beta_star @ p.beta_star - r2) <= 1e-12 * r2
    assert draw_problem(d, n_t, None, sigma2=0.8, r2=r2, rng=generator(0, "shapes", d)).X_s is None


def test_draw_problem_noiseless_labels():
    p = draw_problem(12, 30, None, sigma2=0.0, r2=2.0, rng=generator(0, "noiseless"))
    assert np.array_equal(p.y_t, p.X_t @ p.beta_star)


@pytest.mark.parametrize("n, d", [(60, 20), (20, 20), (8, 20), (1, 6)])
def test_design_eig_orthonormal_eigenpairs(n, d):
    X = generator(0, "eig", n, d).standard_normal((n, d))
    s, V = design_eig(X)
    k = min(n, d)
    assert s.shape == (k,) and V.shape == (d, k)
    assert np.all(s >= 0)
    np.testing.assert_allclose(V.T @ V, np.eye(k), rtol=0, atol=1e-10)
    S = X.T @ X / n
    np.testing.assert_allclose(S @ V, V * s[None, :], rtol=0, atol=1e-10 * s.max())
    # the eigenpairs span the whole range of S: S = V diag(s) V^T
    np.testing.assert_allclose((V * s) @ V.T, S, rtol=0, atol=1e-10 * s.max())


def _rank_deficient_dual(seed):
    """n = 4 < d = 10 with a repeated row: rank 3."""
    rng = generator(seed, "rankdef")
    base = rng.standard_normal((3, 10))
    X = np.vstack([base, base[:1]])
    beta = rng.standard_normal(10)
    return RidgeProblem(beta, X, X @ beta + rng.standard_normal(4), None)


@pytest.mark.parametrize("seed", range(5))
def test_design_eig_dual_drops_null_directions(seed):
    """A rank-deficient dual design keeps only the directions with data; V stays orthonormal."""
    X = _rank_deficient_dual(seed).X_t
    s, V = design_eig(X)
    assert s.shape == (3,) and V.shape == (10, 3) and np.all(s > 0)
    np.testing.assert_allclose(V.T @ V, np.eye(3), rtol=0, atol=1e-10)
    S = X.T @ X / 4
    np.testing.assert_allclose((V * s) @ V.T, S, rtol=0, atol=1e-10 * s.max())


@pytest.mark.parametrize("seed", range(5))
def test_rank_deficient_dual_design_near_ridgeless(seed):
    """Ridgeless (and lam = 1e-8) risk of a rank-deficient dual design is the min-norm interpolator's."""
    p = _rank_deficient_dual(seed)
    beta_mn = np.linalg.pinv(p.X_t) @ p.y_t
    r_mn = np.sum((beta_mn - p.beta_star) ** 2)
    out = ridge_w2s_from_problem(p, [0.0, 1e-8], [0.0], student="same")
    np.testing.assert_allclose(out.R_t, r_mn, rtol=1e-6)
    np.testing.assert_allclose(out.R_s[:, 0], r_mn, rtol=1e-6)
    ref = ridge_w2s_direct(p, [1e-8, 0.1], [0.5], student="same")
    got = ridge_w2s_from_problem(p, [1e-8, 0.1], [0.5], student="same")
    np.testing.assert_allclose(got.R_t, ref.R_t, rtol=1e-6)
    np.testing.assert_allclose(got.R_s, ref.R_s, rtol=1e-6)


def test_risk_grid_wrappers_accept_lists():
    R = teacher_risk_grid([1.0, 2.0], [1.0, 4.0], [0.5, 0.25], 0.1, [0.0, 1.0])
    # lam = 0: g/s = (1, 0.5); lam = 1: g/(s + 1) = (0.5, 0.4)
    np.testing.assert_allclose(R, [(1 - 0.5) ** 2 + (0.5 - 0.25) ** 2 + 0.1,
                                   (0.5 - 0.5) ** 2 + (0.4 - 0.25) ** 2 + 0.1])
    Rs = student_risk_grid([[1.0], [2.0]], [1.0, 1.0], [0.0, 0.0], 0.0, [1.0])
    np.testing.assert_allclose(Rs, [[0.25 + 1.0]])


# ---------------------------------------------------------------------------------------------------------
# Edge regimes
# ---------------------------------------------------------------------------------------------------------
def test_noiseless_ridgeless_overdetermined_teacher_recovers_beta():
    lam = np.array([0.0, 1e-12, 1e-9])
    p = draw_problem(20, 80, None, sigma2=0.0, r2=1.0, rng=generator(0, "noiseless-ridgeless"))
    R_t = ridge_w2s_from_problem(p, lam, student="none").R_t
    assert R_t[0] < 1e-20
    assert R_t[1] < 1e-18 and R_t[2] < 1e-14


@pytest.mark.parametrize("student", STUDENT_VARIANTS)
def test_huge_ridge_gives_null_predictor_risk(student):
    r2 = 1.7
    out = ridge_w2s(24, 12, 30, [1e9], [1e9, 0.5], sigma2=1.0, r2=r2, rng=generator(0, "huge"), student=student)
    np.testing.assert_allclose(out.R_t, r2, rtol=1e-7)
    np.testing.assert_allclose(out.R_s, r2, rtol=1e-7)


@pytest.mark.parametrize("n_t", [10, 30, 60])
def test_infinite_student_without_ridge_is_the_teacher(n_t):
    lam_t = np.array([1e-4, 0.1, 1.0, 30.0])
    out = ridge_w2s(30, n_t, None, lam_t, [0.0, 1.0], sigma2=1.0, r2=1.0, rng=generator(0, "inf", n_t),
                    student="infinite")
    np.testing.assert_allclose(out.R_s[:, 0], out.R_t, rtol=1e-14)
    assert np.all(out.R_s[:, 1] != out.R_t)


def test_student_none_has_no_student_grid():
    out = ridge_w2s(10, 20, None, [0.1, 1.0], sigma2=1.0, r2=1.0, rng=generator(0, "none"), student="none")
    assert out.R_s is None and out.R_t.shape == (2,) and out.lam_s.size == 0


# ---------------------------------------------------------------------------------------------------------
# Input validation: ValueError naming the offending parameter
# ---------------------------------------------------------------------------------------------------------
def _call(**overrides):
    kw = dict(d=8, n_t=12, n_s=10, lam_t=[0.1, 1.0], lam_s=[0.5], sigma2=1.0, r2=1.0, rng=generator(0, "bad"),
              student="fresh")
    kw.update(overrides)
    return ridge_w2s(kw.pop("d"), kw.pop("n_t"), kw.pop("n_s"), kw.pop("lam_t"), kw.pop("lam_s"), **kw)


@pytest.mark.parametrize("overrides, match", [
    (dict(d=0), r"^d must"),
    (dict(d=-3), r"^d must"),
    (dict(d=2.0), r"^d must"),
    (dict(d=True), r"^d must"),
    (dict(n_t=0), r"^n_t must"),
    (dict(n_t=-5), r"^n_t must"),
    (dict(n_s=-1), r"^n_s must"),
    (dict(n_s=0), r"^n_s must"),
    (dict(lam_t=[0.1, -1.0]), r"^lam_t must"),
    (dict(lam_t=[np.nan]), r"^lam_t must"),
    (dict(lam_t=[np.inf]), r"^lam_t must"),
    (dict(lam_t=[]), r"^lam_t must"),
    (dict(lam_t=[[0.1, 1.0]]), r"^lam_t must"),
    (dict(lam_s=[-1e-9]), r"^lam_s must"),
    (dict(lam_s=[1.0, np.nan]), r"^lam_s must"),
    (dict(lam_s=None), r"^lam_s must"),
    (dict(student="unknown"), r"^student must"),
    (dict(student="Fresh"), r"^student must"),
    (dict(sigma2=-0.1), r"^sigma2 must"),
    (dict(sigma2=np.nan), r"^sigma2 must"),
    (dict(sigma2=np.inf), r"^sigma2 must"),
    (dict(r2=0.0), r"^r2 must"),
    (dict(r2=-1.0), r"^r2 must"),
    (dict(r2=np.nan), r"^r2 must"),
])
def test_bad_input_raises_value_error_naming_the_parameter(overrides, match):
    with pytest.raises(ValueError, match=match):
        _call(**overrides)


def test_from_problem_validates_student_and_grids():
    problem = _problem(8, 12, 10, "fresh")
    with pytest.raises(ValueError, match="^student must"):
        ridge_w2s_from_problem(problem, [0.1], [0.1], student="teacher")
    with pytest.raises(ValueError, match="^lam_t must"):
        ridge_w2s_from_problem(problem, [-0.1], [0.1])
    with pytest.raises(ValueError, match="^lam_s must"):
        ridge_w2s_from_problem(problem, [0.1], [float("nan")])
    no_student = _problem(8, 12, None, "same")
    with pytest.raises(ValueError, match="n_s"):
        ridge_w2s_from_problem(no_student, [0.1], [0.1], student="fresh")


def test_replicate_counts_are_validated_by_the_ladder():
    """The kernels draw one replicate per call (no ``reps`` argument); replicate counts enter through a Ladder."""
    with pytest.raises(ValueError, match="replicates"):
        Ladder(d=(8, 16), reps=(-1, 10))
    with pytest.raises(ValueError, match="replicates"):
        Ladder(d=(8, 16), reps=(10, 0))
