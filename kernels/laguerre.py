r"""Laguerre (Wishart) ensembles in bidiagonal form, and an exact reduced ridge simulator built on them.

Bidiagonal model (Dumitriu & Edelman 2002, real case)
-----------------------------------------------------
Householder bidiagonalisation of an ``n x d`` matrix ``X`` with i.i.d. ``N(0, 1)`` entries: a left reflection maps
column 1 to ``(||x_1||, 0, ..., 0)`` (``chi_n``), leaving the other columns i.i.d. Gaussian; a right reflection
acting on coordinates ``2..d`` maps the rest of row 1 to ``(chi_{d-1}, 0, ..., 0)``; recurse on the
``(n-1) x (d-1)`` block. Hence ``X = U B V^T`` with ``U, V`` orthogonal, ``V e_1 = e_1`` (every right reflection
fixes ``e_1``), and ``B`` upper bidiagonal with independent entries

    B_ii = alpha_i ~ chi_{n-i+1}  (i <= min(n, d)),     B_{i,i+1} = beta_i ~ chi_{d-i}  (i <= min(n, d-1)).

``S = X^T X / n = V T V^T`` with the tridiagonal ``T = B^T B / n``: ``T_jj = (alpha_j^2 + beta_{j-1}^2)/n``,
``T_{j,j+1} = alpha_j beta_j / n``. Only the leading ``m = min(d, n + 1)`` coordinates of ``T`` are non-zero.
Moreover ``U`` depends on ``X`` alone, so for noise ``eps ~ N(0, sigma2 I_n)`` independent of ``X``,
``eps' = U^T eps`` is again ``N(0, sigma2 I_n)`` and independent of ``B``; and by invariance of the Gaussian
``X -> X R`` for rotations ``R`` fixing ``e_1``, the restriction of ``V`` to ``e_1^perp`` is Haar distributed and
independent of ``B``.

Spectrum sampler: the eigenvalues of ``S`` are those of ``T`` (:func:`laguerre_eigenvalues`, LAPACK's MRRR
tridiagonal solver through :func:`scipy.linalg.eigvalsh_tridiagonal`, ``O(m^2)``).

Exact reduced ridge simulator (no ``d x d`` matrix, ``O(d)`` per ridge value)
----------------------------------------------------------------------------
The design is rotation invariant, so take ``beta* = r e_1`` (``r^2 = r2``). In the coordinates ``V^T``:

* ``beta*`` stays ``r e_1`` (``V e_1 = e_1``);
* ``X^T y / n = V B^T (r B e_1 + eps') / n``, i.e. ``g = r T e_1 + B^T eps' / n``;
* the teacher is ``a(lam_t) = (T + lam_t I)^{-1} g`` (a tridiagonal solve), and
  ``R_t = ||a - r e_1||^2`` exactly (coordinates beyond ``m`` are zero in both);
* a student that refits the teacher's inputs (``S_s = S_t``): ``(T + lam_s)^{-1} T a``; with infinite data:
  ``a / (1 + lam_s)``;
* a student on fresh inputs has its own, independent bidiagonal model ``(T_s, V_s)``. In its coordinates
  ``beta*`` is again ``r e_1`` and every vector ``v`` of the teacher's span maps to ``v_1 e_1 + H c_perp(v)``, where
  ``c_perp`` are the coordinates of ``v`` in an orthonormal basis of ``span{a(lam_t)} ∩ e_1^perp`` (Gram–Schmidt,
  ``L_t`` vectors) and ``H`` is a Haar ``(d-1) x L_t`` frame of ``e_1^perp`` (Gaussian matrix times the inverse
  Cholesky factor of its Gram matrix), independent of ``T_s``; then ``b = (T_s + lam_s)^{-1} T_s v`` and
  ``R_s = ||b - r e_1||^2``.

Every step is an identity in law, so the simulator is exact at every finite ``d`` (not an approximation); its
cost per replicate is ``O(d (L_t L_s + L_t^2))`` against ``O(d^3)`` for the full simulator of
:mod:`w2s.kernels.ridge`. It assumes isotropic Gaussian inputs and Gaussian noise.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigvalsh_tridiagonal

from ._jit import jit
from .ridge import RidgeW2SSample, _check_grid, _check_size

__all__ = [
    "reduced_spiked_w2s_alignments",
    "bidiagonal",
    "tridiagonal",
    "teacher_model",
    "laguerre_eigenvalues",
    "reduced_ridge_w2s",
    "conditional_ridge_w2s",
    "nonzero_tridiagonal",
    "resolvent_traces",
    "STUDENTS",
]

STUDENTS = ("fresh", "same", "infinite", "none")


def bidiagonal(d: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha, beta)`` of the upper bidiagonal model of an ``n x d`` Gaussian matrix, padded to length
    ``m = min(d, n + 1)`` (``alpha``) and ``m - 1`` (``beta``); missing entries are 0. Draws ``alpha`` then ``beta``."""
    d = _check_size("d", d)
    n = _check_size("n", n)
    m = min(d, n + 1)
    k = min(n, d)
    alpha = np.zeros(m)
    alpha[:k] = np.sqrt(rng.chisquare(n - np.arange(k)))  # chi_{n}, chi_{n-1}, ..., chi_{n-k+1}
    kb = min(n, d - 1)
    beta = np.zeros(max(m - 1, 0))
    if kb > 0:
        beta[:kb] = np.sqrt(rng.chisquare(d - 1 - np.arange(kb)))  # chi_{d-1}, ..., chi_{d-kb}
    return alpha, beta


def tridiagonal(alpha: np.ndarray, beta: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal and off-diagonal of ``T = B^T B / n`` for the upper bidiagonal ``B`` = (``alpha``, ``beta``)."""
    diag = alpha * alpha
    diag[1:] += beta * beta
    return diag / n, alpha[:-1] * beta / n


def laguerre_eigenvalues(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Eigenvalues of ``X^T X / n`` for an ``n x d`` standard Gaussian ``X`` (ascending, length ``d``: the
    ``d - min(n, d)`` zero eigenvalues of a wide design included), exact in law, in ``O(d^2)``."""
    alpha, beta = bidiagonal(d, n, rng)
    diag, off = tridiagonal(alpha, beta, n)
    if diag.size == 1:
        ev = diag.copy()
    else:
        ev = eigvalsh_tridiagonal(diag, off, lapack_driver="stemr")
    ev = np.maximum(ev, 0.0)
    if n < d:  # rank n: T has m = n + 1 rows with one (rounding-level) zero eigenvalue; pad the others
        ev[np.argmin(ev)] = 0.0
        ev = np.concatenate([np.zeros(d - ev.size), ev])
    return np.sort(ev)


@jit
def _tri_solve(diag, off, lam, rhs):
    """Solve ``(T + lam I) x = rhs`` for symmetric tridiagonal ``T`` (diag, off); ``T + lam I`` is positive
    definite for ``lam > 0``, so elimination without pivoting (Thomas / LDL^T) is backward stable."""
    m = diag.size
    c = np.empty(m)
    x = np.empty(m)
    piv = diag[0] + lam
    x[0] = rhs[0] / piv
    for i in range(1, m):
        c[i - 1] = off[i - 1] / piv
        piv = diag[i] + lam - off[i - 1] * c[i - 1]
        x[i] = (rhs[i] - off[i - 1] * x[i - 1]) / piv
    for i in range(m - 2, -1, -1):
        x[i] -= c[i] * x[i + 1]
    return x


@jit
def _tri_mul(diag, off, v):
    m = diag.size
    out = diag * v
    for i in range(m - 1):
        out[i] += off[i] * v[i + 1]
        out[i + 1] += off[i] * v[i]
    return out


@jit
def _risk_to_e1(x, r):
    s = 0.0
    for i in range(x.size):
        t = x[i] - (r if i == 0 else 0.0)
        s += t * t
    return s


@jit
def _teacher_kernel(diag, off, g, r, lam_t):
    m = diag.size
    A = np.empty((lam_t.size, m))
    R = np.empty(lam_t.size)
    for i in range(lam_t.size):
        A[i] = _tri_solve(diag, off, lam_t[i], g)
        R[i] = _risk_to_e1(A[i], r)
    return A, R


@jit
def _factor_lanes(diag, off, lam):
    """The elimination of :func:`_tri_solve` for every ``lam[p]`` at once: multipliers ``c[p]`` (``m - 1``) and
    pivots ``piv[p]`` (``m``), the lanes interleaved so that their division chains overlap (the same operations
    per ridge value, so the same numbers as :func:`_tri_solve`)."""
    m = diag.size
    P = lam.size
    c = np.empty((P, max(m - 1, 0)))
    piv = np.empty((P, m))
    pv = np.empty(P)
    for p in range(P):
        pv[p] = diag[0] + lam[p]
        piv[p, 0] = pv[p]
    for i in range(1, m):
        o = off[i - 1]
        dg = diag[i]
        for p in range(P):
            cc = o / pv[p]
            c[p, i - 1] = cc
            pv[p] = dg + lam[p] - o * cc
            piv[p, i] = pv[p]
    return c, piv


@jit
def _student_kernel(diag, off, V, r, lam_s):
    """``R_s[i, j] = ||(T + lam_s[j])^{-1} T V[i] - r e_1||^2`` for the student-coordinate vectors ``V[i]``.

    Each ``lam_s[j]`` is factored once (:func:`_factor_lanes`) and its substitutions run over all ``V[i]`` side by
    side: the operations of one :func:`_tri_solve` per pair, in its order, so the risks are those of ``L x L_s``
    separate solves to the last bit (tests/test_laguerre.py), at a fraction of the division latency."""
    L, m = V.shape
    Ls = lam_s.size
    H = np.empty((m, L))
    for i in range(L):
        H[:, i] = _tri_mul(diag, off, V[i])
    c, piv = _factor_lanes(diag, off, lam_s)
    X = np.empty((m, L))
    R = np.empty((L, Ls))
    acc = np.empty(L)
    for j in range(Ls):
        pj = piv[j]
        cj = c[j]
        pv = pj[0]
        for i in range(L):
            X[0, i] = H[0, i] / pv
        for k in range(1, m):
            o = off[k - 1]
            pv = pj[k]
            for i in range(L):
                X[k, i] = (H[k, i] - o * X[k - 1, i]) / pv
        for k in range(m - 2, -1, -1):
            cc = cj[k]
            for i in range(L):
                X[k, i] -= cc * X[k + 1, i]
        for i in range(L):
            acc[i] = 0.0
        for k in range(m):  # ascending, as _risk_to_e1
            e = r if k == 0 else 0.0
            for i in range(L):
                t = X[k, i] - e
                acc[i] += t * t
        for i in range(L):
            R[i, j] = acc[i]
    return R


@jit
def _student_kernel_reference(diag, off, V, r, lam_s):
    """One :func:`_tri_solve` per pair ``(V[i], lam_s[j])``: the reference :func:`_student_kernel` must equal."""
    L, m = V.shape
    R = np.empty((L, lam_s.size))
    for i in range(L):
        h = _tri_mul(diag, off, V[i])
        for j in range(lam_s.size):
            R[i, j] = _risk_to_e1(_tri_solve(diag, off, lam_s[j], h), r)
    return R


def _haar_frame(rows: int, cols: int, keep: int, rng: np.random.Generator) -> np.ndarray:
    """First ``keep`` rows of a Haar-distributed ``rows x cols`` orthonormal frame: ``G (G^T G)^{-1/2}``-type
    orthonormalisation by the inverse Cholesky factor (``G`` Gaussian; ``O(rows cols^2)``)."""
    G = rng.standard_normal((rows, cols))
    Rf = np.linalg.cholesky(G.T @ G).T  # G = Q Rf with Q orthonormal, Rf upper triangular
    return np.linalg.solve(Rf.T, G[:keep].T).T  # rows of Q = G Rf^{-1}


def teacher_model(d: int, n_t: int, sigma2: float, r: float, rng: np.random.Generator):
    """The teacher's tridiagonal ``T`` (``diag``, ``off``) and right-hand side ``g = r T e_1 + B^T eps'/n_t`` in its
    bidiagonal coordinates (module docstring). Draws: the bidiagonal, then the noise."""
    alpha, beta = bidiagonal(d, n_t, rng)
    diag, off = tridiagonal(alpha, beta, n_t)
    m = diag.size
    k = min(n_t, d)
    eps = np.sqrt(sigma2) * rng.standard_normal(k)
    g = np.zeros(m)
    g[0] = r * diag[0]
    if m > 1:
        g[1] = r * off[0]
    bt_eps = np.zeros(m)
    bt_eps[:k] = alpha[:k] * eps
    kb = min(k, m - 1)
    bt_eps[1:kb + 1] += beta[:kb] * eps[:kb]
    return diag, off, g + bt_eps / n_t


def _check_teacher_args(d, n_t, lam_t, sigma2, r2, simulator: str):
    """The checks both ridge simulators of this module make of their teacher's arguments; ``(d, n_t, lam_t)``
    normalised."""
    d = _check_size("d", d)
    n_t = _check_size("n_t", n_t)
    lam_t = _check_grid("lam_t", lam_t)
    if np.any(lam_t <= 0):
        raise ValueError(f"lam_t must be > 0 for the {simulator} simulator")
    if not (np.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be finite and >= 0, got {sigma2!r}")
    if not (np.isfinite(r2) and r2 > 0):
        raise ValueError(f"r2 must be finite and > 0, got {r2!r}")
    return d, n_t, lam_t


def reduced_ridge_w2s(d: int, n_t: int, n_s: int | None, lam_t, lam_s=None, *, sigma2: float = 1.0,
                      r2: float = 1.0, rng: np.random.Generator, student: str = "fresh") -> RidgeW2SSample:
    """Exact-in-law reduced counterpart of :func:`w2s.kernels.ridge.ridge_w2s` (module docstring): same model,
    same output, ``O(d)`` per ridge value. Ridge values must be ``> 0``. Draw order: teacher bidiagonal, noise,
    student bidiagonal, Haar frame."""
    if student not in STUDENTS:
        raise ValueError(f"student must be one of {STUDENTS}, got {student!r}")
    d, n_t, lam_t = _check_teacher_args(d, n_t, lam_t, sigma2, r2, "reduced")
    r = float(np.sqrt(r2))
    diag, off, g = teacher_model(d, n_t, sigma2, r, rng)
    A, R_t = _teacher_kernel(diag, off, g, r, lam_t)
    if student == "none":
        return RidgeW2SSample(lam_t, np.empty(0), R_t, None)
    lam_s = _check_grid("lam_s", lam_s)
    if np.any(lam_s <= 0):
        raise ValueError("lam_s must be > 0 for the reduced simulator")
    if student == "infinite":
        R_s = np.array([[_risk_to_e1(a / (1.0 + ls), r) for ls in lam_s] for a in A])
        return RidgeW2SSample(lam_t, lam_s, R_t, R_s)
    if student == "same":
        return RidgeW2SSample(lam_t, lam_s, R_t, _student_kernel(diag, off, A, r, lam_s))
    if n_s is None:
        raise ValueError("student='fresh' needs n_s")
    n_s = _check_size("n_s", n_s)
    a_s, b_s = bidiagonal(d, n_s, rng)
    diag_s, off_s = tridiagonal(a_s, b_s, n_s)
    m_s = diag_s.size
    # teacher vectors' components along e_1, and coordinates in an orthonormal basis of their e_1^perp parts
    first = A[:, 0].copy()
    P = A[:, 1:]
    L = A.shape[0]
    V = np.zeros((L, m_s))
    V[:, 0] = first
    if d > 1 and m_s > 1:
        Q, Rq = np.linalg.qr(P.T)  # P^T = Q Rq, Q: (m-1) x L orthonormal; vectors = Rq^T in that basis
        rank = Q.shape[1]
        H = _haar_frame(d - 1, rank, m_s - 1, rng)  # leading m_s - 1 rows of a Haar frame of e_1^perp
        V[:, 1:] = Rq.T @ H.T
    return RidgeW2SSample(lam_t, lam_s, R_t, _student_kernel(diag_s, off_s, V, r, lam_s))


# ---------------------------------------------------------------------------------------------------------------
# Conditional (Rao-Blackwellised) ridge simulator: the risks averaged over everything but the two spectra
# ---------------------------------------------------------------------------------------------------------------

def nonzero_tridiagonal(alpha: np.ndarray, beta: np.ndarray, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``(diag, off)`` of a ``k x k`` positive definite tridiagonal, ``k = min(n, d)``, whose eigenvalues are the
    non-zero eigenvalues of ``S = X^T X / n`` for the bidiagonal ``(alpha, beta)`` of :func:`bidiagonal`:
    ``T = B^T B / n`` itself when ``d <= n``, the dual ``B B^T / n`` (``n x n``) when ``d > n``."""
    k = min(int(n), int(d))
    if d <= n:
        return tridiagonal(alpha, beta, n)
    a = alpha[:k]
    b = beta[:k]  # d > n: B is n x (n + 1), B_ii = alpha_i, B_{i,i+1} = beta_i
    return (a * a + b * b) / n, b[:-1] * a[1:] / n


@jit
def _resolvent_traces(diag, off, lam):
    m = diag.size
    P = lam.size
    t1 = np.zeros(P)
    t2 = np.zeros(P)
    piv = np.empty(P)
    u = np.empty(P)
    v = np.empty(P)
    for p in range(P):
        piv[p] = diag[0] + lam[p]
        u[p] = 1.0 / piv[p]
        v[p] = 0.0
        t1[p] = u[p]
        t2[p] = u[p] * u[p]
    for i in range(1, m):
        b2 = off[i - 1] * off[i - 1]
        dg = diag[i]
        for p in range(P):
            q = b2 / piv[p]  # b^2 / piv_{i-1}
            pv = dg + lam[p] - q
            d1 = 1.0 + q * u[p]  # piv_i'
            d2 = q * (v[p] - 2.0 * u[p] * u[p])  # piv_i''
            piv[p] = pv
            u[p] = d1 / pv
            v[p] = d2 / pv
            t1[p] += u[p]
            t2[p] += u[p] * u[p] - v[p]
    return t1, t2


def resolvent_traces(diag, off, lam) -> tuple[np.ndarray, np.ndarray]:
    """``tau_1 = tr (T + lam)^{-1}`` and ``tau_2 = tr (T + lam)^{-2}`` for a symmetric positive semidefinite
    tridiagonal ``T`` (``diag``, ``off``) at every ``lam > 0`` of a grid, in ``O(m)`` each, without eigenvalues.

    The ``LDL^T`` pivots ``piv_i(lam) = T_ii + lam - T_{i-1,i}^2 / piv_{i-1}`` give ``log det (T + lam) =
    sum_i log piv_i``; hence ``tau_1 = sum_i piv_i' / piv_i`` and ``tau_2 = -d tau_1 / d lam = sum_i (piv_i' /
    piv_i)^2 - piv_i'' / piv_i``, with the derivatives carried along the same recursion
    (``piv_i' = 1 + q u_{i-1}``, ``piv_i'' = q (v_{i-1} - 2 u_{i-1}^2)``, ``q = T_{i-1,i}^2 / piv_{i-1}``,
    ``u = piv'/piv >= 0``, ``v = piv''/piv <= 0``): every term of ``tau_2`` is non-negative, so nothing cancels.
    The elimination of a positive definite tridiagonal needs no pivoting (backward stable)."""
    diag = np.ascontiguousarray(diag, dtype=float)
    off = np.ascontiguousarray(off, dtype=float)
    lam = np.atleast_1d(np.asarray(lam, dtype=float))
    if diag.ndim != 1 or diag.size < 1 or off.shape != (diag.size - 1,):
        raise ValueError(f"diag must be 1-D (m >= 1) and off of length m - 1; got {diag.shape} and {off.shape}")
    if lam.ndim != 1 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(f"lam must be a 1-D grid of finite values > 0, got {lam!r}")
    return _resolvent_traces(diag, off, lam)


def _spectral_moments(d: int, n: int, lam: np.ndarray, rng: np.random.Generator):
    """For one ``n x d`` Gaussian design (its bidiagonal drawn from ``rng``): ``k = min(n, d)`` and the traces
    ``tau_1, tau_2`` of ``(S_+ + lam)^{-1}``, ``(S_+ + lam)^{-2}`` over the ``k`` non-zero eigenvalues of ``S``."""
    alpha, beta = bidiagonal(d, n, rng)
    diag, off = nonzero_tridiagonal(alpha, beta, n, d)
    t1, t2 = _resolvent_traces(diag, off, lam)
    return min(n, d), t1, t2


def conditional_ridge_w2s(d: int, n_t: int, n_s: int | None, lam_t, lam_s=None, *, sigma2: float = 1.0,
                          r2: float = 1.0, rng: np.random.Generator, student: str = "fresh") -> RidgeW2SSample:
    r"""The risks of :func:`reduced_ridge_w2s` averaged over the noise, the direction of ``beta*`` relative to each
    design and the frame between the two designs, given the two spectra (docs/ridge.md §3.4): the same model
    (isotropic Gaussian inputs, ``beta*`` uniform on the sphere of radius ``sqrt(r2)``, noise variance ``sigma2``,
    excess risk ``||beta - beta*||^2``), the same expectations at every finite ``d`` (a conditional expectation is
    unbiased), and the spread of a linear spectral statistic, ``O(1/d)`` per replicate instead of ``O(1/sqrt(d))``.

    With ``S_t = X_t^T X_t / n_t`` (``k_t = min(n_t, d)`` non-zero eigenvalues), ``tau_j = tr (S_t+ + lam_t)^{-j}``
    over those, and ``r^2 = r2``:

    * ``E[R_t | S_t] = r^2 ((d - k_t) + lam_t^2 tau_2) / d + (sigma2 / n_t) (tau_1 - lam_t tau_2)``;
    * ``E[a_1 | S_t] = r (k_t - lam_t tau_1) / d`` (the teacher's component along ``beta*``) and
      ``E[|a|^2 | S_t] = r^2 (k_t - 2 lam_t tau_1 + lam_t^2 tau_2) / d + (sigma2 / n_t) (tau_1 - lam_t tau_2)``;
    * fresh student, ``M = (S_s + lam_s)^{-1} S_s``, ``t_j = tr M^j`` (``t_1 = k_s - lam_s s_1``, ``t_2 = k_s -
      2 lam_s s_1 + lam_s^2 s_2`` with ``s_j`` the student's ``tau_j``):
      ``E[R_s | S_t, S_s] = E[|a|^2 | S_t] t_2 / d - 2 r E[a_1 | S_t] t_1 / d + r^2``;
    * infinite student data (``b = a / (1 + lam_s)``):
      ``E[R_s | S_t] = E[|a|^2 | S_t] / (1 + lam_s)^2 - 2 r E[a_1 | S_t] / (1 + lam_s) + r^2``.

    Ridge values must be ``> 0``; ``student`` is ``"fresh"``, ``"infinite"`` or ``"none"`` (a student refitting the
    teacher's inputs needs traces with two poles: use :func:`reduced_ridge_w2s`). Draws: the teacher's bidiagonal,
    then the student's. The formulas lose about ``eps lam / x_min`` in relative accuracy (``x_min`` the smallest
    non-zero eigenvalue), negligible for ridge values up to ``10^6`` times it.
    """
    if student not in ("fresh", "infinite", "none"):
        raise ValueError(f"student must be one of ('fresh', 'infinite', 'none') for the conditional simulator, got "
                         f"{student!r} (a student on the teacher's inputs: reduced_ridge_w2s)")
    d, n_t, lam_t = _check_teacher_args(d, n_t, lam_t, sigma2, r2, "conditional")
    if student != "none":
        lam_s = _check_grid("lam_s", lam_s)
        if np.any(lam_s <= 0):
            raise ValueError("lam_s must be > 0 for the conditional simulator")
    if student == "fresh":
        if n_s is None:
            raise ValueError("student='fresh' needs n_s")
        n_s = _check_size("n_s", n_s)
    r = float(np.sqrt(r2))
    k_t, t1, t2 = _spectral_moments(d, n_t, lam_t, rng)
    noise = (sigma2 / n_t) * (t1 - lam_t * t2)
    R_t = r2 * ((d - k_t) + lam_t * lam_t * t2) / d + noise
    if student == "none":
        return RidgeW2SSample(lam_t, np.empty(0), R_t, None)
    a1 = r * (k_t - lam_t * t1) / d
    a2 = r2 * (k_t - 2.0 * lam_t * t1 + lam_t * lam_t * t2) / d + noise
    if student == "infinite":
        c = 1.0 / (1.0 + lam_s)
        return RidgeW2SSample(lam_t, lam_s, R_t, np.outer(a2, c * c) - 2.0 * r * np.outer(a1, c) + r2)
    k_s, s1, s2 = _spectral_moments(d, n_s, lam_s, rng)
    m1 = (k_s - lam_s * s1) / d
    m2 = (k_s - 2.0 * lam_s * s1 + lam_s * lam_s * s2) / d
    return RidgeW2SSample(lam_t, lam_s, R_t, np.outer(a2, m2) - 2.0 * r * np.outer(a1, m1) + r2)


# ---------------------------------------------------------------------------------------------------------------
# Weighted ridge with a rank-one spike Gamma = I - (1 - g) u u^T, reduced (docs/weighted_ridge.md §3.3)
# ---------------------------------------------------------------------------------------------------------------

@jit
def _spiked_reduced_student(diag, off, V, w, u_null2, r, lam_s, g_s):
    """``R_s[i, j, l]`` for student-coordinate teacher vectors ``V[i]`` (active part), spike ``u`` with active part
    ``w`` and null-space norm^2 ``u_null2``; ``beta* = r e_1`` (active). Sherman-Morrison with tridiagonal solves:
    ``x0 = (T + lam)^{-1} T v`` (no null part), ``A^{-1} u = ((T + lam)^{-1} w, u_null / lam)``."""
    L, m = V.shape
    out = np.empty((L, lam_s.size, g_s.size))
    for j in range(lam_s.size):
        lam = lam_s[j]
        Au = _tri_solve(diag, off, lam, w)
        uAu = 0.0
        Au2 = 0.0
        for k in range(m):
            uAu += w[k] * Au[k]
            Au2 += Au[k] * Au[k]
        uAu += u_null2 / lam
        Au2 += u_null2 / (lam * lam)
        for i in range(L):
            x0 = _tri_solve(diag, off, lam, _tri_mul(diag, off, V[i]))
            ux0 = 0.0
            base = 0.0
            cross = 0.0
            for k in range(m):
                ux0 += w[k] * x0[k]
                dk = x0[k] - (r if k == 0 else 0.0)
                base += dk * dk
                cross += Au[k] * dk
            for l in range(g_s.size):
                c = lam * (1.0 - g_s[l])
                alpha = c * ux0 / (1.0 - c * uAu)
                out[i, j, l] = base + 2.0 * alpha * cross + alpha * alpha * Au2
    return out


def reduced_spiked_w2s(d: int, n_t: int, n_s: int | None, lam_t, lam_s, g_s, *, zeta: float, g_t: float = 1.0,
                       sigma2: float = 1.0, r2: float = 1.0, rng: np.random.Generator):
    r"""Exact-in-law reduced counterpart of :func:`w2s.kernels.weighted_ridge.spiked_w2s` (same model and output).

    Derivation (extends the module docstring): in the teacher's bidiagonal coordinates ``beta* = r e_1`` and the
    spike is ``u = zeta e_1 + sqrt(1 - zeta^2) h`` with ``h`` uniform on the unit sphere of ``e_1^perp`` (``V`` is Haar
    there, independent of ``T``); only ``h``'s leading ``m - 1`` coordinates and the norm of the rest matter, so
    ``h`` is drawn as a Gaussian vector whose tail is one chi-square. Vectors are written as (``m`` active
    coordinates, one coefficient on the unit null-space direction ``n = u_null/|u_null|``). Teacher: Sherman–Morrison
    on ``T + lam I - c u u^T`` (``c = lam (1 - g_t)``) with tridiagonal solves; its null part is a multiple of ``n``.
    Student on fresh inputs: ``e_1`` stays fixed and the ``e_1^perp`` parts of ``{u, beta_t(lam_t)}`` map through a Haar
    frame into the student's bidiagonal coordinates; its spiked solve is again Sherman–Morrison
    (:func:`_spiked_reduced_student`). Infinite student data: ``beta_s = beta_t/(1 + lam) + u (u . beta_t)
    (1/(1 + lam g) - 1/(1 + lam))``. Ridge values must be ``> 0``.
    """
    return reduced_spiked_w2s_alignments(d, n_t, n_s, lam_t, [lam_s], g_s, zetas=[zeta], g_t=g_t, sigma2=sigma2,
                                         r2=r2, rng=rng)[0]


def reduced_spiked_w2s_alignments(d: int, n_t: int, n_s: int | None, lam_t, lam_s, g_s, *, zetas, g_t: float = 1.0,
                                  sigma2: float = 1.0, r2: float = 1.0, rng: np.random.Generator) -> list:
    """:func:`reduced_spiked_w2s` at several alignments ``zetas[k]`` (student ridge grid ``lam_s[k]``) on common
    random numbers: the draws do not depend on ``zeta``, so they are made once, and element ``k`` is bit for bit what
    :func:`reduced_spiked_w2s` returns at ``zeta = zetas[k]``, ``lam_s = lam_s[k]`` from a generator in ``rng``'s
    state (``tests/test_laguerre.py``). ``rng`` advances as by one such call."""
    from .weighted_ridge import SpikedSample, check_spiked_args

    if len(zetas) < 1 or len(lam_s) != len(zetas):
        raise ValueError(f"zetas must be non-empty with one lam_s grid each, got {len(zetas)} alignments and "
                         f"{len(lam_s)} grids")
    args = [check_spiked_args(d, n_t, n_s, lam_t, ls, g_s, g_t, z, sigma2, r2) for ls, z in zip(lam_s, zetas)]
    d, n_t, n_s, lam_t, _ls, g_s, g_t, _z = args[0]
    r = float(np.sqrt(r2))
    # the draws, in this order: teacher bidiagonal and noise, the spike's sphere direction, student bidiagonal, frame
    diag, off, g = teacher_model(d, n_t, sigma2, r, rng)
    m = diag.size
    hg = rng.standard_normal(m - 1)
    tail = float(rng.chisquare(d - m)) if d > m else 0.0
    if n_s is not None:
        a_s, b_s = bidiagonal(d, n_s, rng)
        diag_s, off_s = tridiagonal(a_s, b_s, n_s)
        m_s = diag_s.size
        if m_s > 1:  # the QR below (of an m x (1 + L_t) matrix) has min(m, 1 + L_t) columns whatever zeta is
            H = _haar_frame(d - 1, min(m, 1 + lam_t.size), m_s - 1, rng)
    hn = np.sqrt(hg @ hg + tail)
    x0s = [_tri_solve(diag, off, lam, g) for lam in lam_t]
    e1 = np.zeros(m + 1)
    e1[0] = r
    out = []
    for (_d, _nt, _ns, _lt, lam_s_k, _gs, _gt, zeta) in args:
        # spike u = zeta e_1 + sqrt(1 - zeta^2) h, h uniform on the sphere of e_1^perp: active coords 2..m, null norm
        s = np.sqrt(1.0 - zeta * zeta)
        u_act = np.empty(m)
        u_act[0] = zeta
        u_act[1:] = s * hg / hn
        u_null = s * np.sqrt(tail) / hn  # coefficient on the unit null direction n
        # teacher vectors (L_t, m + 1): active part and coefficient on n
        Bt = np.empty((lam_t.size, m + 1))
        for i, lam in enumerate(lam_t):
            x0 = x0s[i]
            Au = _tri_solve(diag, off, lam, u_act)
            c = lam * (1.0 - g_t)
            alpha = c * (u_act @ x0) / (1.0 - c * (u_act @ Au + u_null * u_null / lam))
            Bt[i, :m] = x0 + alpha * Au
            Bt[i, m] = alpha * u_null / lam
        R_t = np.sum((Bt - e1) ** 2, axis=1)
        u_full = np.concatenate([u_act, [u_null]])
        if n_s is None:
            R_s = np.empty((lam_t.size, lam_s_k.size, g_s.size))
            ub = Bt @ u_full
            for j, ls in enumerate(lam_s_k):
                for l, gg in enumerate(g_s):
                    Bs = Bt / (1.0 + ls) + np.outer(ub * (1.0 / (1.0 + ls * gg) - 1.0 / (1.0 + ls)), u_full)
                    R_s[:, j, l] = np.sum((Bs - e1) ** 2, axis=1)
            out.append(SpikedSample(lam_t, lam_s_k, g_s, R_t, R_s))
            continue
        vecs = np.vstack([u_full, Bt])  # (1 + L_t, m + 1)
        Vs = np.zeros((vecs.shape[0], m_s))
        Vs[:, 0] = vecs[:, 0]
        if m_s > 1:
            _, Rq = np.linalg.qr(vecs[:, 1:].T)  # e_1^perp parts in an orthonormal basis
            Vs[:, 1:] = Rq.T @ H.T
        w = Vs[0]
        u_null2 = max(0.0, 1.0 - float(w @ w))
        R_s = _spiked_reduced_student(diag_s, off_s, np.ascontiguousarray(Vs[1:]), w, u_null2, r, lam_s_k, g_s)
        out.append(SpikedSample(lam_t, lam_s_k, g_s, R_t, R_s))
    return out
