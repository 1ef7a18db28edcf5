r"""Online SGD on the first layer of a two-layer network, with fresh Gaussian inputs every step (numba).

Model (the proposed model of docs/elicitation.md §1, in its general form; simulators: §3):

* **Network:** ``f(x) = (1/p) sum_j a_j sigma(<w_j, x>)``; only the first-layer rows ``w_j`` (``W``, shape
  ``(p, d)``) are trained, the second layer ``a`` is fixed. ``sigma`` is a polynomial given by its power-basis
  coefficients ``act`` (e.g. the normalised Hermite polynomial ``h_{p*}`` from
  :func:`w2s.theory.gaussian.hermite_normalised_coeffs`).
* **Inputs:** ``x ~ N(0, I_d)`` (``U=None``), or ``x = U z + tau_x xi`` with ``U`` (``d x r``, orthonormal
  columns), ``z ~ N(0, I_r)`` and isotropic leakage ``xi ~ N(0, I_d)``: the inputs concentrated on ``span U``.
* **Labels:** ``z_* = <theta, x>`` with ``theta = dirs[0]`` (unit norm); the target ``y = g(z_*)`` with ``g`` the
  polynomial ``link``; the weak label ``y_w = y + tau zeta`` (``zeta ~ N(0, 1)`` fresh each step; ``tau = 0``: the
  target itself); the label trained on ``y~ = T(y_w)`` with ``T`` the polynomial ``transform`` (identity
  ``(0, 1)``; e.g. ``(-E y^2, 0, 1)`` for ``T(y) = y^2 - E y^2``).
* **Per-neuron update direction** (the ``1/p`` of ``f`` is absorbed into ``eta``):
  ``u_j = a_j y~ sigma'(<w_j, x>)`` for the correlation loss ``L = -y~ f(x)``, and
  ``u_j = a_j (y~ - f(x)) sigma'(<w_j, x>)`` for the squared loss ``L = (f(x) - y~)^2 / 2``.
* **Update:** ``"plain"``: ``w_j <- w_j + eta u_j x``; ``"spherical"``:
  ``w_j <- normalise(w_j + eta u_j (I - w_j w_j^T) x)`` (rows of ``W0`` are normalised first). With a minibatch
  of ``batch`` fresh inputs the ``u_j x`` terms are averaged over the batch.
* **Recorded:** the overlaps ``W dirs^T`` (``p x q``) after each step count in ``record_steps`` (0 = the start),
  never the weight history.

Time convention of the theory (:mod:`w2s.theory.elicitation`): ``eta = delta / D_eff`` and
``t = steps / D_eff`` with ``D_eff = d`` (isotropic) or ``r`` (inputs on ``span U``).

Randomness: one xoshiro256** stream per replicate (:mod:`w2s.kernels.gauss_rng`), its state drawn from the
caller's ``Generator`` before the parallel loop, so the result is identical bit for bit for any number of numba
threads. Per step a replicate draws, in this order: the input (``d`` normals if isotropic; else ``r`` normals,
then ``d`` more if ``tau_x > 0``), then the weak-label noise (one normal, if ``tau > 0``), for each batch member.
:func:`online_sgd_numpy` follows the same model in plain numpy, step by step; with ``source="stream"`` it reads
the very same normals, which makes it an exact reference for the kernel.

Part 2. Online SGD with fresh Gaussian inputs as an exact Markov chain on Gram matrices: cost per step independent of d.
------------------------------------------------------------------------------------------------------------------------
The model is that of :func:`online_sgd` (part 1) with ``batch = 1``. Track the ``k = p + q`` vectors
``v = (w_1, ..., w_p, dirs_1, ..., dirs_q)``. Every update has the form ``v_i <- alpha_i v_i + beta_i x``
(``alpha = 1, beta = 0`` for the fixed directions), with coefficients that depend on the step's input only through
the local fields ``l_i = <v_i, x>``, the weak-label noise and ``|x|^2``:

* plain: ``alpha_j = 1``, ``beta_j = eta u_j``;
* spherical: ``w_j <- (w_j (1 - eta u_j l_j) + eta u_j x) / N_j`` with
  ``N_j^2 = |w_j|^2 (1 - eta u_j l_j)^2 + 2 (1 - eta u_j l_j) eta u_j l_j + eta^2 u_j^2 |x|^2`` (the norm of the
  unnormalised vector, expanded), so ``alpha_j = (1 - eta u_j l_j) / N_j`` and ``beta_j = eta u_j / N_j``;

and ``u_j`` is a polynomial in ``(l, zeta)`` (part 1 above). Hence the Gram matrix
``S_ij = <v_i, v_j>`` updates as

    S'_ij = alpha_i alpha_j S_ij + alpha_i beta_j l_i + beta_i alpha_j l_j + beta_i beta_j |x|^2.        (1)

**Why this is exact in law (derivation).** Let ``x ~ N(0, I_d)`` be independent of the past and ``V`` the ``k x d``
matrix of the tracked vectors. Write ``S = L L^T`` with ``L`` ``k x s`` of rank ``s = rank S`` (semidefinite
Cholesky), so ``V = L Q^T`` for some ``Q`` (``d x s``) with orthonormal columns. Then ``g = Q^T x ~ N(0, I_s)``,
``l = V x = L g`` and ``|x|^2 = |g|^2 + |(I - Q Q^T) x|^2`` where the last term is ``chi^2(d - s)`` and
independent of ``g``. So ``(l, |x|^2)`` given the past has a law that depends on ``S`` alone, and by (1) so does
``S'``: the sequence ``S_0, S_1, ...`` is a Markov chain whose transition is sampled exactly by drawing ``g`` and
one chi-square. Nothing is approximated: at every finite ``d`` the chain has the law of the ``d``-dimensional SGD.

**Inputs on a subspace with leakage.** For ``x = U z + tau_x xi`` (``U`` ``d x r`` orthonormal), split every
vector into its parts in ``span U`` and in its complement: ``v = v^par + v^perp``. The parts of ``x`` are
independent, ``x^par ~ N(0, (1 + tau_x^2) P_U)`` (an ``r``-dimensional isotropic Gaussian with variance
``c_par^2 = 1 + tau_x^2``) and ``x^perp ~ N(0, tau_x^2 (I - P_U))`` (``d - r`` dimensions, variance ``tau_x^2``),
and ``<v^par_i, v^perp_j> = 0`` always. The update ``v <- alpha v + beta x`` acts on each part with the same
coefficients, so the pair ``(S^par, S^perp)`` is a Markov chain: per part, ``l^b = c_b L_b g_b`` and
``|x^b|^2 = c_b^2 (|g_b|^2 + chi^2(dim_b - rank S^b))``, ``l = l^par + l^perp``, ``|x|^2`` the sum, and (1) per part
with the part's fields. Isotropic inputs are the case ``r = d`` (no complement). With ``tau_x = 0`` the
complement receives nothing: under plain updates ``S^perp`` is exactly invariant (docs/elicitation.md §2.6, P3').

Cost per step: two ``k x k`` Cholesky factorisations and ``O(k^2)`` updates, plus ``2k + 1`` normals and at most
two chi-square draws: independent of ``d``. Randomness: one xoshiro256** stream per replicate
(:mod:`w2s.kernels.gauss_rng`), bit-for-bit reproducible for any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import ijit, jit, pjit
from .gauss_rng import chi2, fill_normal, gamma_core, normal, stream_states

__all__ = ['online_sgd', 'online_sgd_numpy', 'log_record_steps', 'random_orthonormal', 'random_start_in_subspace', 'check_sgd_args', 'LOSSES', 'UPDATES', 'gram_chain', 'initial_state', 'gram_state']


LOSSES = ("correlation", "squared")
UPDATES = ("spherical", "plain")


# ----- argument checks (shared with the Gram-matrix chain) ---------------------------------------------------------

def _poly(name, c):
    c = np.ascontiguousarray(np.atleast_1d(np.asarray(c, dtype=float)))
    if c.ndim != 1 or c.size == 0 or not np.all(np.isfinite(c)):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite power-basis coefficients, got {c!r}")
    return c


def _deriv(c):
    return np.ascontiguousarray(c[1:] * np.arange(1, c.size)) if c.size > 1 else np.zeros(1)


def _record(record_steps, steps):
    rs = np.ascontiguousarray(np.atleast_1d(np.asarray(record_steps)))
    if rs.ndim != 1 or rs.size == 0 or not np.issubdtype(rs.dtype, np.integer):
        raise ValueError("record_steps must be a non-empty 1-D array of integers")
    rs = rs.astype(np.int64)
    if np.any(np.diff(rs) <= 0) or rs[0] < 0 or rs[-1] > steps:
        raise ValueError(f"record_steps must be strictly increasing integers in [0, steps = {steps}], got {rs}")
    return rs


def check_sgd_args(*, p, q, steps, eta, act, link, transform, tau, tau_x, loss, update, record_steps, reps, a):
    """Validate the arguments common to :func:`online_sgd` and :func:`gram_chain`;
    returns ``(act, dact, link, transform, a, record_steps, loss_code, update_code)`` in kernel form."""
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps}")
    if not np.isfinite(eta) or eta < 0:
        raise ValueError(f"eta must be finite and >= 0, got {eta}")
    if not np.isfinite(tau) or tau < 0:
        raise ValueError(f"tau (weak-label noise sd) must be finite and >= 0, got {tau}")
    if not np.isfinite(tau_x) or tau_x < 0:
        raise ValueError(f"tau_x (input leakage sd) must be finite and >= 0, got {tau_x}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if update not in UPDATES:
        raise ValueError(f"update must be one of {UPDATES}, got {update!r}")
    if int(reps) != reps or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps}")
    if p < 1 or q < 1:
        raise ValueError(f"need at least one neuron and one recorded direction, got p = {p}, q = {q}")
    act = _poly("act", act)
    a = np.ascontiguousarray(np.asarray(a, dtype=float).reshape(-1))
    if a.size != p or not np.all(np.isfinite(a)):
        raise ValueError(f"a must hold p = {p} finite second-layer weights, got shape {a.shape}")
    return (act, _deriv(act), _poly("link", link), _poly("transform", transform), a,
            _record(record_steps, int(steps)), LOSSES.index(loss), UPDATES.index(update))


def _unit_rows(name, M):
    n = np.linalg.norm(M, axis=-1)
    if np.any(n == 0) or not np.all(np.isfinite(M)):
        raise ValueError(f"{name} must have finite, non-zero rows")
    return n


# ----- helpers for starts and record grids ------------------------------------------------------------------------

def log_record_steps(steps: int, num: int = 50) -> np.ndarray:
    """Step 0 and about ``num`` log-spaced step counts up to ``steps`` (unique, increasing int64): the recording
    grid for long runs, so that memory grows like ``num``, never like ``steps``."""
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    if int(num) != num or num < 1:
        raise ValueError(f"num must be a positive integer, got {num}")
    return np.unique(np.r_[0, np.round(np.geomspace(1, int(steps), int(num))).astype(np.int64)])


def random_orthonormal(d: int, r: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random ``d x r`` matrix with orthonormal columns (QR of a Gaussian matrix, signs fixed)."""
    if int(r) < 1 or int(d) < int(r):
        raise ValueError(f"need 1 <= r <= d, got d = {d}, r = {r}")
    Q, R = np.linalg.qr(rng.standard_normal((int(d), int(r))))
    return Q * np.sign(np.diag(R))


def random_start_in_subspace(U: np.ndarray, p: int, rng: np.random.Generator) -> np.ndarray:
    """``p`` unit vectors uniform on the unit sphere of ``span U`` (rows of a ``p x d`` array)."""
    U = np.asarray(U, float)
    if U.ndim != 2 or U.shape[1] > U.shape[0]:
        raise ValueError(f"U must be d x r with r <= d, got shape {U.shape}")
    g = rng.standard_normal((int(p), U.shape[1]))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return g @ U.T


# ----- the kernel --------------------------------------------------------------------------------------------------

@ijit
def _horner(c, x):
    v = 0.0
    for i in range(c.shape[0] - 1, -1, -1):
        v = v * x + c[i]
    return v


@jit
def _draw_input(s, x, U, zr, xi, tau_x):
    """One fresh input into ``x``: isotropic when ``U`` has no columns, else ``U z + tau_x xi`` (``xi`` scratch)."""
    d = x.shape[0]
    r = U.shape[1]
    if r == 0:
        fill_normal(s, x)
        return
    fill_normal(s, zr)
    for i in range(d):
        acc = 0.0
        for k in range(r):
            acc += U[i, k] * zr[k]
        x[i] = acc
    if tau_x > 0.0:
        fill_normal(s, xi)
        for i in range(d):
            x[i] += tau_x * xi[i]


@jit
def _one_replicate(s, W, a, dirs, U, tau_x, tau, act, dact, link, transform, loss, update, steps, eta,
                   record_steps, batch, out):
    p, d = W.shape
    q = dirs.shape[0]
    X = np.empty((batch, d))
    zr = np.empty(U.shape[1])
    xi = np.empty(d if (U.shape[1] > 0 and tau_x > 0.0) else 0)
    ell = np.empty((batch, p))
    u = np.empty((batch, p))
    step_w = eta / batch
    k = 0
    for step in range(steps + 1):
        if k < record_steps.shape[0] and record_steps[k] == step:
            for j in range(p):
                for m in range(q):
                    acc = 0.0
                    for i in range(d):
                        acc += W[j, i] * dirs[m, i]
                    out[k, j, m] = acc
            k += 1
        if step == steps:
            break
        for b in range(batch):
            x = X[b]
            _draw_input(s, x, U, zr, xi, tau_x)
            zs = 0.0
            for i in range(d):
                zs += dirs[0, i] * x[i]
            yw = _horner(link, zs)
            if tau > 0.0:
                yw += tau * normal(s)
            yt = _horner(transform, yw)
            f = 0.0
            for j in range(p):
                acc = 0.0
                for i in range(d):
                    acc += W[j, i] * x[i]
                ell[b, j] = acc
                if loss == 1:
                    f += a[j] * _horner(act, acc)
            if loss == 1:
                yt = yt - f / p
            for j in range(p):
                u[b, j] = a[j] * yt * _horner(dact, ell[b, j])
        for j in range(p):
            # batch members added one after another, each a contiguous axpy over i (the same operations in the
            # same order per entry as summing over b innermost, without the stride-d reads of X)
            if update == 0:  # spherical: w + eta mean_b u_b (x_b - ell_b w), then normalise
                c = 0.0
                for b in range(batch):
                    c += u[b, j] * ell[b, j]
                shrink = 1.0 - step_w * c
                if batch == 1:
                    cb = step_w * u[0, j]
                    nrm = 0.0
                    for i in range(d):
                        v = shrink * W[j, i] + cb * X[0, i]
                        W[j, i] = v
                        nrm += v * v
                else:
                    for i in range(d):
                        W[j, i] = shrink * W[j, i]
                    for b in range(batch):
                        cb = step_w * u[b, j]
                        for i in range(d):
                            W[j, i] += cb * X[b, i]
                    nrm = 0.0
                    for i in range(d):
                        nrm += W[j, i] * W[j, i]
                inv = 1.0 / np.sqrt(nrm)
                for i in range(d):
                    W[j, i] *= inv
            else:
                for b in range(batch):
                    cb = step_w * u[b, j]
                    for i in range(d):
                        W[j, i] += cb * X[b, i]


@pjit
def _online_sgd_kernel(states, W0, a, dirs, U, tau_x, tau, act, dact, link, transform, loss, update, steps, eta,
                       record_steps, batch, out):
    reps = out.shape[0]
    per_rep_start = W0.shape[0] == reps and W0.ndim == 3
    for rep in numba.prange(reps):
        W = W0[rep].copy() if per_rep_start else W0[0].copy()
        s = states[rep].copy()
        _one_replicate(s, W, a, dirs, U, tau_x, tau, act, dact, link, transform, loss, update, steps, eta,
                       record_steps, batch, out[rep])


def _prepare(W0, dirs, U, reps, update):
    W0 = np.asarray(W0, dtype=float)
    if W0.ndim == 2:
        W0 = W0[None]
    if W0.ndim != 3 or W0.shape[0] not in (1, reps):
        raise ValueError(f"W0 must be (p, d) or (reps, p, d), got shape {np.shape(W0)}")
    p, d = W0.shape[1:]
    dirs = np.ascontiguousarray(np.asarray(dirs, dtype=float))
    if dirs.ndim == 1:
        dirs = dirs[None]
    if dirs.ndim != 2 or dirs.shape[1] != d:
        raise ValueError(f"dirs must be (q, d) with d = {d}, got shape {dirs.shape}")
    if abs(np.linalg.norm(dirs[0]) - 1.0) > 1e-10:
        raise ValueError("dirs[0] (theta, the target direction) must have unit norm")
    if U is None:
        U = np.zeros((d, 0))
    else:
        U = np.ascontiguousarray(np.asarray(U, dtype=float))
        if U.ndim != 2 or U.shape[0] != d or not 1 <= U.shape[1] <= d:
            raise ValueError(f"U must be d x r with d = {d} and 1 <= r <= d, got shape {U.shape}")
        if not np.allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-10):
            raise ValueError("U must have orthonormal columns")
    n = _unit_rows("W0", W0)
    if update == "spherical":
        W0 = W0 / n[..., None]
    return np.ascontiguousarray(W0), dirs, U, p, d


def _checked(W0, a, dirs, U, *, batch, reps, update, **kw):
    """The checks shared by :func:`online_sgd` and its numpy reference: arrays in kernel form."""
    if int(batch) != batch or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch}")
    W0, dirs, U, p, d = _prepare(W0, dirs, U, int(reps), update)
    return W0, dirs, U, p, d, check_sgd_args(p=p, q=dirs.shape[0], reps=reps, update=update, a=a, **kw)


def online_sgd(W0, a, dirs, *, steps, eta, act, link, transform=(0.0, 1.0), tau=0.0, U=None, tau_x=0.0,
               loss="correlation", update="spherical", record_steps, rng, reps=1, batch=1):
    """Run ``reps`` independent online-SGD trajectories; returns overlaps ``(reps, len(record_steps), p, q)``.

    ``W0`` is ``(p, d)`` (the same start for every replicate) or ``(reps, p, d)``; ``a`` the ``p`` second-layer
    weights; ``dirs`` ``(q, d)`` the directions whose overlaps are recorded, ``dirs[0] = theta`` (unit norm).
    ``rng`` (a ``numpy.random.Generator``) seeds one stream per replicate. Model and conventions: module docstring.
    Cost per step: about ``4 p d`` flops plus ``d`` Gaussian draws (plus ``2 d r`` for inputs on ``span U``).
    """
    W0, dirs, U, p, d, (act, dact, link, transform, a, rs, lc, uc) = _checked(
        W0, a, dirs, U, steps=steps, eta=eta, act=act, link=link, transform=transform, tau=tau, tau_x=tau_x,
        loss=loss, update=update, record_steps=record_steps, reps=reps, batch=batch)
    states = stream_states(rng, int(reps))
    out = np.empty((int(reps), rs.size, p, dirs.shape[0]))
    _online_sgd_kernel(states, W0, a, dirs, U, float(tau_x), float(tau), act, dact, link, transform, lc, uc,
                       int(steps), float(eta), rs, int(batch), out)
    return out


def online_sgd_numpy(W0, a, dirs, *, steps, eta, act, link, transform=(0.0, 1.0), tau=0.0, U=None, tau_x=0.0,
                     loss="correlation", update="spherical", record_steps, rng, reps=1, batch=1, source="numpy"):
    """Plain-numpy per-step reference for :func:`online_sgd` (same arguments and output).

    ``source="numpy"`` draws every input with ``rng.standard_normal`` (the reference loop of the benchmarks);
    ``source="stream"`` reads the kernel's own per-replicate normal streams in the kernel's order, so the result
    agrees with :func:`online_sgd` for the same ``rng`` state up to floating-point rounding.
    """
    if source not in ("numpy", "stream"):
        raise ValueError(f"source must be 'numpy' or 'stream', got {source!r}")
    W0, dirs, U, p, d, (act, dact, link, transform, a, rs, lc, uc) = _checked(
        W0, a, dirs, U, steps=steps, eta=eta, act=act, link=link, transform=transform, tau=tau, tau_x=tau_x,
        loss=loss, update=update, record_steps=record_steps, reps=reps, batch=batch)
    P = np.polynomial.polynomial.polyval
    r = U.shape[1]
    states = stream_states(rng, int(reps)) if source == "stream" else None
    out = np.empty((int(reps), rs.size, p, dirs.shape[0]))
    for rep in range(int(reps)):
        W = (W0[rep] if W0.shape[0] > 1 else W0[0]).copy()
        s = states[rep].copy() if states is not None else None

        def draw(n):
            if s is None:
                return rng.standard_normal(n)
            buf = np.empty(n)
            fill_normal(s, buf)
            return buf

        k = 0
        for step in range(int(steps) + 1):
            if k < rs.size and rs[k] == step:
                out[rep, k] = W @ dirs.T
                k += 1
            if step == steps:
                break
            grads = np.zeros((p, d))
            shrink = np.zeros(p)
            for _ in range(int(batch)):
                if r == 0:
                    x = draw(d)
                else:
                    x = U @ draw(r)
                    if tau_x > 0:
                        x = x + tau_x * draw(d)
                yw = P(dirs[0] @ x, link)
                if tau > 0:
                    yw = yw + tau * draw(1)[0]
                yt = P(yw, transform)
                ell = W @ x
                if lc == 1:
                    yt = yt - np.dot(a, P(ell, act)) / p
                u = a * yt * P(ell, dact)
                grads += np.outer(u, x)
                shrink += u * ell
            if uc == 0:
                W = W * (1.0 - eta / batch * shrink)[:, None] + eta / batch * grads
                W /= np.linalg.norm(W, axis=1, keepdims=True)
            else:
                W = W + eta / batch * grads
    return out


# ----- the exact reduced chain (see the module docstring, part 2) ---------------------------------------------


#: A pivot below ``_RANK_TOL`` times its diagonal entry counts as zero (the vector lies in the span of the
#: previous ones, e.g. an off-target neuron started exactly on its feature direction).
_RANK_TOL = 1e-13


def initial_state(W0, dirs, U=None):
    """``(S_par, S_perp)`` for explicit vectors: neurons ``W0`` (``p x d``) then ``dirs`` (``q x d``), split by
    ``span U`` (``U=None``: isotropic inputs, everything in the first part)."""
    V = np.vstack([np.atleast_2d(np.asarray(W0, float)), np.atleast_2d(np.asarray(dirs, float))])
    if U is None:
        return gram_state(V)
    U = np.asarray(U, float)
    par = V @ U
    perp = V - par @ U.T
    return V @ U @ (U.T @ V.T), perp @ perp.T


def gram_state(par, perp=None):
    """``(S_par, S_perp)`` from coordinates: ``par`` (``k x m1``) in an orthonormal basis of ``span U`` and
    ``perp`` (``k x m2``) in one of its complement. Only inner products matter, so low-dimensional coordinates
    describe vectors of any ambient dimension ``d`` (the chain needs ``m1 <= r`` and ``m2 <= d - r``)."""
    par = np.atleast_2d(np.asarray(par, float))
    S_par = par @ par.T
    if perp is None:
        return S_par, np.zeros_like(S_par)
    perp = np.atleast_2d(np.asarray(perp, float))
    if perp.shape[0] != par.shape[0]:
        raise ValueError("par and perp must describe the same vectors (same number of rows)")
    return S_par, perp @ perp.T


@ijit
def _semidef_cholesky(S, L):
    """``S = L L^T`` for a PSD ``S``; a column whose pivot is (numerically) zero is left at zero. Returns the rank."""
    k = S.shape[0]
    rank = 0
    for j in range(k):
        dj = S[j, j]
        for m in range(j):
            dj -= L[j, m] * L[j, m]
        for i in range(k):
            L[i, j] = 0.0
        if dj <= _RANK_TOL * max(S[j, j], 1e-300):
            continue
        ljj = np.sqrt(dj)
        L[j, j] = ljj
        for i in range(j + 1, k):
            acc = S[i, j]
            for m in range(j):
                acc -= L[i, m] * L[j, m]
            L[i, j] = acc / ljj
        rank += 1
    return rank


@ijit
def _fields(s, S, L, g, c, dim, ell, active):
    """Draw this part's local fields into ``ell`` (scale ``c``); returns ``|x^part|^2``."""
    k = S.shape[0]
    if not active:
        for i in range(k):
            ell[i] = 0.0
        return 0.0
    for i in range(k):
        g[i] = normal(s)
    rank = _semidef_cholesky(S, L)
    sq = 0.0
    for m in range(k):
        if L[m, m] != 0.0:
            sq += g[m] * g[m]
    for i in range(k):
        acc = 0.0
        for m in range(i + 1):
            if L[m, m] != 0.0:
                acc += L[i, m] * g[m]
        ell[i] = c * acc
    return c * c * (sq + chi2(s, float(dim - rank)))


@ijit
def _update_part(S, alpha, beta, ell, xsq):
    k = S.shape[0]
    for i in range(k):
        for j in range(i, k):
            v = (alpha[i] * alpha[j] * S[i, j] + alpha[i] * beta[j] * ell[i] + beta[i] * alpha[j] * ell[j]
                 + beta[i] * beta[j] * xsq)
            S[i, j] = v
            S[j, i] = v


@jit
def _chain_replicate(s, Sp, Sq, p, q, dim_par, dim_perp, c_par, c_perp, a, tau, act, dact, link, transform, loss,
                     update, steps, eta, record_steps, out, hit_level):
    # internal order: dirs first (fixed, well conditioned), then neurons
    k = p + q
    L = np.empty((k, k))
    g = np.empty(k)
    lp = np.empty(k)
    lq = np.empty(k)
    alpha = np.ones(k)
    beta = np.zeros(k)
    perp_active = c_perp > 0.0 and dim_perp > 0
    kk = 0
    for step in range(steps + 1):
        if kk < record_steps.shape[0] and record_steps[kk] == step:
            for j in range(p):
                for m in range(q):
                    out[kk, j, m] = Sp[q + j, m] + Sq[q + j, m]
                if out.shape[2] > q:  # record_norms
                    out[kk, j, q] = Sp[q + j, q + j] + Sq[q + j, q + j]
            kk += 1
        if step == steps:
            break
        xsq_p = _fields(s, Sp, L, g, c_par, dim_par, lp, True)
        xsq_q = _fields(s, Sq, L, g, c_perp, dim_perp, lq, perp_active)
        xsq = xsq_p + xsq_q
        yw = _horner(link, lp[0] + lq[0])
        if tau > 0.0:
            yw += tau * normal(s)
        yt = _horner(transform, yw)
        if loss == 1:
            f = 0.0
            for j in range(p):
                f += a[j] * _horner(act, lp[q + j] + lq[q + j])
            yt = yt - f / p
        for j in range(p):
            i = q + j
            lj = lp[i] + lq[i]
            u = a[j] * yt * _horner(dact, lj)
            if update == 0:
                sh = 1.0 - eta * u * lj
                b = eta * u
                nsq = sh * sh * (Sp[i, i] + Sq[i, i]) + 2.0 * sh * b * lj + b * b * xsq
                inv = 1.0 / np.sqrt(nsq)
                alpha[i] = sh * inv
                beta[i] = b * inv
            else:
                alpha[i] = 1.0
                beta[i] = eta * u
        _update_part(Sp, alpha, beta, lp, xsq_p)
        if perp_active or update == 0:
            _update_part(Sq, alpha, beta, lq, xsq_q)
        if hit_level > 0.0 and abs(Sp[q, 0] + Sq[q, 0]) >= hit_level:
            if kk < record_steps.shape[0] and record_steps[kk] == step + 1:  # the hitting state itself
                for j in range(p):
                    for m in range(q):
                        out[kk, j, m] = Sp[q + j, m] + Sq[q + j, m]
                    if out.shape[2] > q:
                        out[kk, j, q] = Sp[q + j, q + j] + Sq[q + j, q + j]
            if out.shape[0] > record_steps.shape[0]:  # record_hit: the hitting state in the extra last slot
                nr = record_steps.shape[0]
                for j in range(p):
                    for m in range(q):
                        out[nr, j, m] = Sp[q + j, m] + Sq[q + j, m]
                    if out.shape[2] > q:
                        out[nr, j, q] = Sp[q + j, q + j] + Sq[q + j, q + j]
            return step + 1
    return -1


@pjit
def _gram_chain_kernel(states, Sp0, Sq0, p, q, dim_par, dim_perp, c_par, c_perp, a, tau, act, dact, link, transform,
                       loss, update, steps, eta, record_steps, out, hit_level, hits):
    per_rep = 1 if (Sp0.shape[0] == out.shape[0] and Sp0.shape[0] > 1) else 0
    for rep in numba.prange(out.shape[0]):
        s = states[rep].copy()
        i0 = rep * per_rep
        h = _chain_replicate(s, Sp0[i0].copy(), Sq0[i0].copy(), p, q, dim_par, dim_perp, c_par, c_perp, a, tau, act, dact, link,
                         transform, loss, update, steps, eta, record_steps, out[rep], hit_level)
        hits[rep] = h


# ----- the same chain, many replicates in lock-step (structure of arrays) -----------------------------------------
#
# The serial chain above is latency-bound: within one replicate every step is a chain of dependent operations (a
# Cholesky column needs the previous one; the update needs the normalisation, which needs the fields). Replicates are
# independent, so a block of ``B`` of them is advanced in lock-step with the replicate index innermost in every
# arithmetic loop (arrays ``(k, k, B)``): the Cholesky factorisations, fields, labels, square roots, divisions and
# Gram updates of the block are elementwise over the lanes, which the compiler turns into SIMD code and the CPU
# overlaps. Only the draws stay per lane (each lane reads its own xoshiro256** stream, in the same order as the
# serial chain: the normals and chi-square of the parallel part, then those of the complement, then the label
# noise). Every lane does exactly the operations of the serial chain in the same order (no reassociation, no
# fused multiply-add), so the result is the serial chain's bit for bit, whatever the block size or thread count.


@ijit
def _block_cholesky(S, L, rank, dj, piv, nb):
    """Lane-wise semidefinite Cholesky of ``S[:, :, b]`` into ``L`` (as :func:`_semidef_cholesky`); ranks into ``rank``."""
    k = S.shape[0]
    for b in range(nb):
        rank[b] = 0
    for j in range(k):
        for b in range(nb):
            dj[b] = S[j, j, b]
        for m in range(j):
            for b in range(nb):
                dj[b] -= L[j, m, b] * L[j, m, b]
        for i in range(k):
            for b in range(nb):
                L[i, j, b] = 0.0
        for b in range(nb):
            ok = dj[b] > _RANK_TOL * max(S[j, j, b], 1e-300)
            piv[b] = np.sqrt(dj[b]) if ok else 0.0
            L[j, j, b] = piv[b]
            rank[b] += 1 if ok else 0
        for i in range(j + 1, k):
            for b in range(nb):
                dj[b] = S[i, j, b]
            for m in range(j):
                for b in range(nb):
                    dj[b] -= L[i, m, b] * L[j, m, b]
            for b in range(nb):
                L[i, j, b] = dj[b] / piv[b] if piv[b] != 0.0 else 0.0


@ijit
def _block_fields(L, g, c, ell, sq, nb):
    """``ell[i, b] = c sum_{m <= i, L_mm != 0} L[i, m, b] g[m, b]`` and ``sq[b] = sum_{L_mm != 0} g[m, b]^2``."""
    k = L.shape[0]
    for b in range(nb):
        sq[b] = 0.0
    for m in range(k):
        for b in range(nb):
            if L[m, m, b] != 0.0:
                sq[b] += g[m, b] * g[m, b]
    for i in range(k):
        for b in range(nb):
            ell[i, b] = 0.0
        for m in range(i + 1):
            for b in range(nb):
                if L[m, m, b] != 0.0:
                    ell[i, b] += L[i, m, b] * g[m, b]
        for b in range(nb):
            ell[i, b] = c * ell[i, b]


@ijit
def _block_update(S, alpha, beta, ell, xsq, nb):
    k = S.shape[0]
    for i in range(k):
        for j in range(i, k):
            Sij = S[i, j]
            for b in range(nb):
                Sij[b] = (alpha[i, b] * alpha[j, b] * Sij[b] + alpha[i, b] * beta[j, b] * ell[i, b]
                          + beta[i, b] * alpha[j, b] * ell[j, b] + beta[i, b] * beta[j, b] * xsq[b])
    for i in range(k):  # the lower triangle: a plain copy (a separate loop, so the one above has one store stream)
        for j in range(i + 1, k):
            for b in range(nb):
                S[j, i, b] = S[i, j, b]


@ijit
def _block_horner(c, x, v, nb):
    """``v[b] = sum_i c[i] x[b]^i`` lane by lane (Horner, the coefficient loop outermost so the lane loop vectorises)."""
    n = c.shape[0]
    for b in range(nb):
        v[b] = 0.0
    for i in range(n - 1, -1, -1):
        ci = c[i]
        for b in range(nb):
            v[b] = v[b] * x[b] + ci


@jit
def _chain_block(st, Sp, Sq, p, q, dim_par, dim_perp, c_par, c_perp, a, tau, act, dact, link, transform, loss,
                 update, steps, eta, record_steps, out, hit_level, hits, nb):
    """Advance the ``nb`` lanes of one block (states ``st[b]``, Gram stacks ``Sp[:, :, b]``, ``Sq[:, :, b]``) in
    lock-step; ``out[b]`` and ``hits[b]`` as in :func:`_chain_replicate`. A lane that has hit the level stops
    drawing and leaves the active region: at the next step it is swapped with the last active lane (its Gram
    matrices, stream and output index ``rep`` travel with it), so that a block whose replicates have mostly hit runs
    only its live lanes. Each lane still does the serial chain's operations on its own stream: results do not
    change."""
    k = p + q
    B = Sp.shape[2]
    Lp = np.zeros((k, k, B))
    Lq = np.zeros((k, k, B))
    gp = np.zeros((k, B))
    gq = np.zeros((k, B))
    lp = np.zeros((k, B))
    lq = np.zeros((k, B))
    alpha = np.ones((k, B))
    beta = np.zeros((k, B))
    rp = np.zeros(B, np.int64)
    rq = np.zeros(B, np.int64)
    xp = np.zeros(B)
    xq = np.zeros(B)
    sq = np.zeros(B)
    xsq = np.zeros(B)
    zeta = np.zeros(B)
    yt = np.zeros(B)
    w1 = np.zeros(B)
    w2 = np.zeros(B)
    fsum = np.zeros(B)
    live = np.ones(B, np.bool_)
    perp_active = c_perp > 0.0 and dim_perp > 0
    perp_zero = True
    for i in range(k):
        for j in range(k):
            for b in range(nb):
                if Sq[i, j, b] != 0.0:
                    perp_zero = False
    rep = np.arange(B)
    for b in range(nb):
        hits[b] = -1
    nlive = nb
    nact = nb  # lanes [0, nact) are advanced; those that hit leave at the next step
    kk = 0
    for step in range(steps + 1):
        if kk < record_steps.shape[0] and record_steps[kk] == step:
            for b in range(nact):
                r = rep[b]
                if live[b] or hits[r] == step:
                    for j in range(p):
                        for m in range(q):
                            out[r, kk, j, m] = Sp[q + j, m, b] + Sq[q + j, m, b]
                        if out.shape[3] > q:  # record_norms
                            out[r, kk, j, q] = Sp[q + j, q + j, b] + Sq[q + j, q + j, b]
            kk += 1
        if step == steps or nlive == 0:
            break
        if nact > nlive:
            b = 0
            while b < nact:
                if live[b]:
                    b += 1
                    continue
                e = nact - 1
                if e != b:
                    for i in range(k):
                        for j in range(k):
                            t = Sp[i, j, b]
                            Sp[i, j, b] = Sp[i, j, e]
                            Sp[i, j, e] = t
                            t = Sq[i, j, b]
                            Sq[i, j, b] = Sq[i, j, e]
                            Sq[i, j, e] = t
                    for i in range(st.shape[1]):
                        ts = st[b, i]
                        st[b, i] = st[e, i]
                        st[e, i] = ts
                    ti = rep[b]
                    rep[b] = rep[e]
                    rep[e] = ti
                    live[b] = live[e]
                    live[e] = False
                nact -= 1
        _block_cholesky(Sp, Lp, rp, w1, w2, nact)
        if perp_active:
            _block_cholesky(Sq, Lq, rq, w1, w2, nact)
        for b in range(nact):  # the draws, lane by lane, in the serial chain's order
            s = st[b]
            if live[b]:
                for i in range(k):
                    gp[i, b] = normal(s)
                xp[b] = chi2(s, float(dim_par - rp[b]))
                if perp_active:
                    for i in range(k):
                        gq[i, b] = normal(s)
                    xq[b] = chi2(s, float(dim_perp - rq[b]))
                if tau > 0.0:
                    zeta[b] = normal(s)
            else:
                for i in range(k):
                    gp[i, b] = 0.0
                    gq[i, b] = 0.0
                xp[b] = 0.0
                xq[b] = 0.0
                zeta[b] = 0.0
        _block_fields(Lp, gp, c_par, lp, sq, nact)
        for b in range(nact):
            xp[b] = c_par * c_par * (sq[b] + xp[b])
        if perp_active:
            _block_fields(Lq, gq, c_perp, lq, sq, nact)
            for b in range(nact):
                xq[b] = c_perp * c_perp * (sq[b] + xq[b])
        for b in range(nact):
            xsq[b] = xp[b] + xq[b]
            w1[b] = lp[0, b] + lq[0, b]
        _block_horner(link, w1, w2, nact)
        if tau > 0.0:
            for b in range(nact):
                w2[b] += tau * zeta[b]
        _block_horner(transform, w2, yt, nact)
        if loss == 1:
            for b in range(nact):
                fsum[b] = 0.0
            for j in range(p):
                for b in range(nact):
                    w1[b] = lp[q + j, b] + lq[q + j, b]
                _block_horner(act, w1, w2, nact)
                for b in range(nact):
                    fsum[b] += a[j] * w2[b]
            for b in range(nact):
                yt[b] = yt[b] - fsum[b] / p
        for j in range(p):
            i = q + j
            for b in range(nact):
                w1[b] = lp[i, b] + lq[i, b]
            _block_horner(dact, w1, w2, nact)
            for b in range(nact):
                lj = w1[b]
                u = a[j] * yt[b] * w2[b]
                if update == 0:
                    sh = 1.0 - eta * u * lj
                    bb = eta * u
                    nsq = sh * sh * (Sp[i, i, b] + Sq[i, i, b]) + 2.0 * sh * bb * lj + bb * bb * xsq[b]
                    inv = 1.0 / np.sqrt(nsq)
                    alpha[i, b] = sh * inv
                    beta[i, b] = bb * inv
                else:
                    alpha[i, b] = 1.0
                    beta[i, b] = eta * u
                if not live[b]:
                    alpha[i, b] = 1.0
                    beta[i, b] = 0.0
        _block_update(Sp, alpha, beta, lp, xp, nact)
        if perp_active or (update == 0 and not perp_zero):  # an all-zero S_perp stays zero without inputs there
            _block_update(Sq, alpha, beta, lq, xq, nact)
        if hit_level > 0.0:
            for b in range(nact):
                if live[b] and abs(Sp[q, 0, b] + Sq[q, 0, b]) >= hit_level:
                    r = rep[b]
                    live[b] = False
                    hits[r] = step + 1
                    nlive -= 1
                    if out.shape[1] > record_steps.shape[0]:  # record_hit
                        nr = record_steps.shape[0]
                        for j in range(p):
                            for m in range(q):
                                out[r, nr, j, m] = Sp[q + j, m, b] + Sq[q + j, m, b]
                            if out.shape[3] > q:
                                out[r, nr, j, q] = Sp[q + j, q + j, b] + Sq[q + j, q + j, b]


@pjit
def _gram_chain_batched_kernel(states, Sp0, Sq0, p, q, dim_par, dim_perp, c_par, c_perp, a, tau, act, dact, link,
                               transform, loss, update, steps, eta, record_steps, out, hit_level, hits, block, one,
                               cv_w, cv_lo, cv_inv, cv_x, cv_o, cv):
    n = out.shape[0]
    k = p + q
    per_rep = 1 if (Sp0.shape[0] == n and n > 1) else 0
    nblocks = (n + block - 1) // block
    for ib in numba.prange(nblocks):
        lo = ib * block
        nb = min(block, n - lo)
        st = states[lo:lo + nb].copy()
        Sp = np.empty((k, k, block))
        Sq = np.empty((k, k, block))
        for b in range(block):
            i0 = (lo + min(b, nb - 1)) * per_rep
            for i in range(k):
                for j in range(k):
                    Sp[i, j, b] = Sp0[i0, i, j]
                    Sq[i, j, b] = Sq0[i0, i, j]
        if one:
            _chain_block_one(st, Sp, p, dim_par, c_par, a, tau, act, dact, link, transform, loss, update, steps, eta,
                             record_steps, out[lo:lo + nb], hit_level, hits[lo:lo + nb], nb,
                             cv_w, cv_lo, cv_inv, cv_x, cv_o, cv[lo:lo + nb])
        else:
            _chain_block(st, Sp, Sq, p, q, dim_par, dim_perp, c_par, c_perp, a, tau, act, dact, link, transform,
                         loss, update, steps, eta, record_steps, out[lo:lo + nb], hit_level, hits[lo:lo + nb], nb)


@ijit
def _cv_increment(m, u, yt0, e0, e1, g0, l10, l11, c_par, a0, p, act, dact, loss, update, cv_w, cv_lo, cv_inv, cv_x,
                  cv_o):
    """``w(m) (F - E_g1 F)`` for one step, ``F = u (l_theta - cm l_w)`` (``cm = m`` spherical, ``0`` plain) with
    the chain's own ``u``. ``E_g1`` is the mean over the step's second normal ``g1`` (the neuron's own direction,
    ``l_w = c_par (l10 g0 + l11 g1)``) by Gauss-Hermite nodes ``cv_x`` and weights ``cv_o``: exact, ``F`` being a
    polynomial in ``g1`` of degree < 2 len(cv_x); ``yt0`` is the label term of ``u`` without the residual.
    ``w`` is interpolated linearly in the table ``cv_w`` on the grid ``cv_lo + i / cv_inv``, zero outside it."""
    pos = (m - cv_lo) * cv_inv
    nw = cv_w.shape[0]
    if not (pos >= 0.0 and pos < nw - 1.0) or l11 == 0.0:
        return 0.0
    i = int(pos)
    wgt = cv_w[i] + (pos - i) * (cv_w[i + 1] - cv_w[i])
    cm = m if update == 0 else 0.0
    mean = 0.0
    for n in range(cv_x.shape[0]):
        en = c_par * (l10 * g0 + l11 * cv_x[n])
        yt = yt0
        if loss == 1:
            yt = yt - a0 * _horner(act, en) / p
        mean += cv_o[n] * (yt * _horner(dact, en) * (e0 - cm * en))
    return wgt * (u * (e0 - cm * e1) - a0 * mean)


@jit
def _chain_block_one(st, Sp, p, dim_par, c_par, a, tau, act, dact, link, transform, loss, update, steps, eta,
                     record_steps, out, hit_level, hits, nb, cv_w, cv_lo, cv_inv, cv_x, cv_o, cv):
    """:func:`_chain_block` for one neuron and one direction in one part (``p = q = 1``, ``S_perp = 0``, no
    inputs in the complement): the commonest chain (alignment from a start, hitting times). The 2 x 2 Gram
    matrix lives in three scalars per lane and a lane's whole step is one pass (Cholesky, draws, fields, label,
    update), with the lanes interleaved so that the processor overlaps their dependency chains; a lane that has
    hit leaves the index of live lanes. Every lane does the general block's operations in its order,
    including its additions of the (zero) complement's terms: the result is :func:`_chain_block`'s bit for bit
    (``tests/test_elicitation.py``).

    With a weight table ``cv_w`` (non-empty) each lane also accumulates into ``cv[b]`` the control martingale of
    :func:`gram_chain` (``control=``); it only reads the chain's quantities, so the chain itself is unchanged."""
    B = Sp.shape[2]
    use_cv = cv_w.shape[0] > 1
    for b in range(nb):
        cv[b] = 0.0
    s00 = np.empty(B)
    s01 = np.empty(B)  # upper triangle (read by the update)
    s10 = np.empty(B)  # lower triangle (read by the Cholesky factorisation); equal to s01 after one step
    s11 = np.empty(B)
    live = np.zeros(B, np.bool_)
    for b in range(nb):
        s00[b] = Sp[0, 0, b]
        s01[b] = Sp[0, 1, b]
        s10[b] = Sp[1, 0, b]
        s11[b] = Sp[1, 1, b]
        live[b] = True
        hits[b] = -1
    nlive = nb
    idx = np.arange(B)  # lanes [idx[0], ..., idx[nidx - 1]] are live
    nidx = nb
    a0 = a[0]
    # the chi-square of the unseen directions has dim_par - 2 degrees of freedom unless the Gram matrix is singular:
    # its Marsaglia-Tsang constants once (chi2(s, nu) = 2 gamma(nu / 2), as gauss_rng.chi2 computes them per call)
    a2 = 0.5 * float(dim_par - 2)
    fast2 = a2 >= 1.0
    dd2 = a2 - 1.0 / 3.0
    c2 = 1.0 / np.sqrt(9.0 * dd2) if fast2 else 0.0
    rec_norms = out.shape[3] > 1
    rec_hit = out.shape[1] > record_steps.shape[0]
    nr = record_steps.shape[0]
    kk = 0
    for step in range(steps + 1):
        if kk < nr and record_steps[kk] == step:
            for b in range(nb):
                if live[b] or hits[b] == step:
                    out[b, kk, 0, 0] = s10[b] + 0.0
                    if rec_norms:
                        out[b, kk, 0, 1] = s11[b] + 0.0
            kk += 1
        if step == steps or nlive == 0:
            break
        if nlive < nidx:  # drop the lanes that hit at the last step from the index of live lanes
            j = 0
            for t in range(nidx):
                if live[idx[t]]:
                    idx[j] = idx[t]
                    j += 1
            nidx = j
        for t in range(nidx):
            b = idx[t]
            s = st[b]
            # semidefinite Cholesky of [[s00, s01], [s10, s11]] (as _block_cholesky)
            d0 = s00[b]
            ok = d0 > _RANK_TOL * max(s00[b], 1e-300)
            l00 = (1.0 if d0 == 1.0 else np.sqrt(d0)) if ok else 0.0  # theta has unit norm: sqrt(1) = 1 exactly
            rank = 1 if ok else 0
            l10 = (s10[b] if l00 == 1.0 else s10[b] / l00) if l00 != 0.0 else 0.0
            d1 = s11[b]
            d1 -= l10 * l10
            ok = d1 > _RANK_TOL * max(s11[b], 1e-300)
            l11 = np.sqrt(d1) if ok else 0.0
            rank += 1 if ok else 0
            # the draws, in the serial chain's order
            g0 = normal(s)
            g1 = normal(s)
            xp = 2.0 * gamma_core(s, dd2, c2) if (rank == 2 and fast2) else chi2(s, float(dim_par - rank))
            zeta = normal(s) if tau > 0.0 else 0.0
            # fields (as _block_fields)
            sq = 0.0
            if l00 != 0.0:
                sq += g0 * g0
            if l11 != 0.0:
                sq += g1 * g1
            e0 = 0.0
            if l00 != 0.0:
                e0 += l00 * g0
            e0 = c_par * e0
            e1 = 0.0
            if l00 != 0.0:
                e1 += l10 * g0
            if l11 != 0.0:
                e1 += l11 * g1
            e1 = c_par * e1
            xp = c_par * c_par * (sq + xp)
            xsq = xp + 0.0
            # label, transform, residual, derivative (Horner, in _block_horner's order)
            v = _horner(link, e0 + 0.0)
            if tau > 0.0:
                v += tau * zeta
            yt = _horner(transform, v)
            yt0 = yt
            lj = e1 + 0.0
            if loss == 1:
                fsum = 0.0
                fsum += a0 * _horner(act, lj)
                yt = yt - fsum / p
            u = a0 * yt * _horner(dact, lj)
            if use_cv:
                cv[b] += _cv_increment(s01[b], u, yt0, e0, lj, g0, l10, l11, c_par, a0, p, act, dact, loss, update,
                                       cv_w, cv_lo, cv_inv, cv_x, cv_o)
            if update == 0:
                sh = 1.0 - eta * u * lj
                bb = eta * u
                nsq = sh * sh * (s11[b] + 0.0) + 2.0 * sh * bb * lj + bb * bb * xsq
                inv = 1.0 / np.sqrt(nsq)
                al = sh * inv
                be = bb * inv
            else:
                al = 1.0
                be = eta * u
            # Gram update (as _block_update, with alpha = 1, beta = 0 for the direction)
            n00 = 1.0 * 1.0 * s00[b] + 1.0 * 0.0 * e0 + 0.0 * 1.0 * e0 + 0.0 * 0.0 * xp
            n01 = 1.0 * al * s01[b] + 1.0 * be * e0 + 0.0 * al * e1 + 0.0 * be * xp
            n11 = al * al * s11[b] + al * be * e1 + be * al * e1 + be * be * xp
            s00[b] = n00
            s01[b] = n01
            s10[b] = n01
            s11[b] = n11
            if hit_level > 0.0 and abs(n01 + 0.0) >= hit_level:
                live[b] = False
                hits[b] = step + 1
                nlive -= 1
                if rec_hit:
                    out[b, nr, 0, 0] = n01 + 0.0
                    if rec_norms:
                        out[b, nr, 0, 1] = n11 + 0.0


def _fused_one(p, q, c_perp, dim_perp, Sq) -> bool:
    """Whether a chain takes :func:`_chain_block_one`: one neuron, one direction, and nothing in the complement
    (no inputs there and ``S_perp = 0``)."""
    return bool(p == 1 and q == 1 and not (c_perp > 0.0 and dim_perp > 0) and not np.any(Sq != 0))


def _reorder(S, p, q):
    """Public order (neurons, dirs) -> internal order (dirs, neurons), as a stack ``(n, k, k)``."""
    perm = np.r_[np.arange(p, p + q), np.arange(p)]
    return np.ascontiguousarray(S[..., perm, :][..., :, perm].reshape(-1, p + q, p + q))


def gram_chain(state, *, p, d, r=None, steps, eta, act, link, transform=(0.0, 1.0), tau=0.0, tau_x=0.0, a,
               loss="correlation", update="spherical", record_steps, rng, reps=1, hit_level=None, block=64,
               record_norms=False, record_hit=False, control=None):
    """Run ``reps`` independent copies of the exact Gram-matrix chain; returns overlaps
    ``(reps, len(record_steps), p, q)``, interchangeable with :func:`online_sgd` at equal ``d``.

    ``state = (S_par, S_perp)`` (:func:`initial_state` or :func:`gram_state`), ordered neurons then directions,
    or stacks ``(reps, k, k)`` of per-replicate starts;
    ``dirs[0]`` (index ``p``) is ``theta`` and must have unit norm. ``r=None``: isotropic inputs in dimension
    ``d`` (``S_perp`` must be zero); otherwise inputs on an ``r``-dimensional subspace with leakage ``tau_x``.
    Under ``"spherical"`` updates the neurons are normalised first, as in ``online_sgd``.

    ``hit_level`` (in ``(0, 1]``): also stop each replicate at the first step after which
    ``|<w_1, theta>| >= hit_level`` and return ``(overlaps, hit_steps)`` (``-1``: not reached within ``steps``);
    records after the hitting step are NaN.

    ``record_hit`` (with ``hit_level``): one more record after those of ``record_steps``, the state at the hitting
    step (NaN where the level is not reached).

    ``record_norms``: also record each neuron's squared norm ``|w_j|^2`` as a last column (``q + 1`` columns).

    ``block``: replicates advanced in lock-step per thread (structure of arrays, default 64); ``block=0`` runs the
    serial one-replicate-at-a-time chain. The result is the same bit for bit for every ``block`` and thread count
    (the lanes do the serial chain's operations in its order and read their own streams).

    ``control=(lo, hi, w)`` (one neuron and one direction in one part, ``block > 0``): also return, as a last
    output, each replicate's control martingale

        C = sum_{k < T} w(m_k) (F_k - E[F_k | past, g0_k, zeta_k]),     F_k = u_k (l_theta,k - c m_k l_w,k),

    with ``T`` the hitting step (or ``steps``), ``m_k`` the overlap before step ``k``, ``u_k`` the update
    direction of the step and ``l`` its fields (``c = 1`` spherical, ``0`` plain: ``eta F_k`` is the step's
    first-order change of ``m``), ``w`` the weight function tabulated by ``w`` on the uniform grid from ``lo`` to
    ``hi`` (linear interpolation, zero outside). The conditional mean is over the step's one normal ``g1`` that
    enters only the neuron's field, exactly (Gauss-Hermite, ``F`` is a polynomial in ``g1``). Each term has mean
    zero given the past and ``T <= steps``, so ``E[C] = 0`` exactly at every ``d`` (optional stopping), whatever
    ``w``: ``hits - C`` estimates the mean hitting step without bias, with less variance when ``w`` approximates
    the derivative of the mean remaining time (docs/elicitation.md §3.3). The chain's draws and outputs are those
    without ``control``, bit for bit.
    """
    if int(block) != block or block < 0:
        raise ValueError(f"block must be a non-negative integer (0: the serial chain), got {block}")
    if hit_level is not None and not 0.0 < hit_level <= 1.0:
        raise ValueError(f"hit_level must lie in (0, 1], got {hit_level}")
    Sp, Sq = (np.array(M, dtype=float) for M in state)
    k = Sp.shape[-1]
    if Sp.ndim == 2:
        Sp = Sp[None]
    if Sq.ndim == 2:
        Sq = np.broadcast_to(Sq, Sp.shape).copy()
    if (Sp.ndim != 3 or Sp.shape[1:] != (k, k) or Sq.shape != Sp.shape or Sp.shape[0] not in (1, int(reps))
            or not (np.all(np.isfinite(Sp)) and np.all(np.isfinite(Sq)))):
        raise ValueError("state must be two finite k x k Gram matrices (k = p + q), or stacks of reps of them; got "
                         f"shapes {np.shape(state[0])}, {np.shape(state[1])}")
    if not np.allclose(Sp, Sp.transpose(0, 2, 1)) or not np.allclose(Sq, Sq.transpose(0, 2, 1)):
        raise ValueError("state Gram matrices must be symmetric")
    if int(p) != p or not 1 <= p < k:
        raise ValueError(f"p (neurons) must be an integer in [1, k - 1] = [1, {k - 1}], got {p}")
    p = int(p)
    q = k - p
    if int(d) != d or d < k:
        raise ValueError(f"d must be an integer >= k = {k} (the number of tracked vectors), got {d}")
    if r is None:
        if np.any(Sq != 0):
            raise ValueError("isotropic inputs (r=None) need S_perp = 0: everything lies in one part")
        dim_par, dim_perp, c_par, c_perp = int(d), 0, 1.0, 0.0
    else:
        if int(r) != r or not 1 <= r <= d:
            raise ValueError(f"r must be an integer in [1, d = {d}], got {r}")
        dim_par, dim_perp = int(r), int(d) - int(r)
        c_par, c_perp = float(np.sqrt(1.0 + tau_x ** 2)), float(tau_x)
    for M, name in ((Sp, "S_par"), (Sq, "S_perp")):
        if np.linalg.eigvalsh(M).min() < -1e-10 * max(1.0, np.abs(M).max()):
            raise ValueError(f"{name} must be positive semidefinite (a Gram matrix)")
    diag = np.diagonal(Sp, axis1=1, axis2=2) + np.diagonal(Sq, axis1=1, axis2=2)
    if np.any(diag[:, :p] <= 0):
        raise ValueError("every neuron must be a non-zero vector")
    if np.any(np.abs(diag[:, p] - 1.0) > 1e-10):
        raise ValueError("dirs[0] (theta, index p of the state) must have unit norm")
    act, dact, link, transform, a, rs, lc, uc = check_sgd_args(
        p=p, q=q, steps=steps, eta=eta, act=act, link=link, transform=transform, tau=tau, tau_x=tau_x, loss=loss,
        update=update, record_steps=record_steps, reps=reps, a=a)
    if update == "spherical":
        nrm = np.sqrt(np.concatenate([diag[:, :p], np.ones((diag.shape[0], q))], axis=1))
        Sp = Sp / (nrm[:, :, None] * nrm[:, None, :])
        Sq = Sq / (nrm[:, :, None] * nrm[:, None, :])
    states = stream_states(rng, int(reps))
    if record_hit and hit_level is None:
        raise ValueError("record_hit needs a hit_level")
    out = np.full((int(reps), rs.size + (1 if record_hit else 0), p, q + (1 if record_norms else 0)), np.nan)
    hits = np.empty(int(reps), np.int64)
    cv_args = _control_args(control, block, p, q, c_perp, dim_perp, Sq, act, lc, uc, int(reps))
    args = (states, _reorder(Sp, p, q), _reorder(Sq, p, q), p, q, dim_par, dim_perp, c_par, c_perp, a, float(tau), act,
            dact, link, transform, lc, uc, int(steps), float(eta), rs, out, 0.0 if hit_level is None else float(hit_level),
            hits)
    if int(block) == 0:
        _gram_chain_kernel(*args)
    else:
        _gram_chain_batched_kernel(*args, int(block), _fused_one(p, q, c_perp, dim_perp, Sq), *cv_args)
    res = (out,) if hit_level is None else (out, hits)
    if control is not None:
        res = res + (cv_args[-1],)
    return res[0] if len(res) == 1 else res


def _control_args(control, block, p, q, c_perp, dim_perp, Sq, act, loss, update, reps):
    """Kernel arguments of ``gram_chain(control=...)``: ``(w, lo, 1/step, nodes, weights, out)``; empty arrays
    when ``control`` is None."""
    if control is None:
        e = np.zeros(0)
        return e, 0.0, 0.0, e, e, np.zeros(max(reps, 1))
    try:
        lo, hi, w = control
        lo, hi = float(lo), float(hi)
        w = np.ascontiguousarray(np.asarray(w, dtype=float).reshape(-1))
    except (TypeError, ValueError):
        raise ValueError("control must be (lo, hi, weights): a grid from lo to hi and the weights on it") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi) or w.size < 2 or not np.all(np.isfinite(w)):
        raise ValueError(f"control needs finite lo < hi and at least 2 finite weights, got lo = {lo}, hi = {hi}, "
                         f"{w.size} weights")
    if int(block) == 0 or not _fused_one(p, q, c_perp, dim_perp, Sq):
        raise ValueError("control is available for one neuron and one direction with no inputs in the complement "
                         "(p = 1, q = 1, tau_x = 0 or isotropic inputs), with block > 0")
    # F is a polynomial in g1 of degree deg(sigma') + (1 if spherical) + (deg(sigma) if squared loss)
    deg = max(act.size - 2, 0) + (1 if update == 0 else 0) + (act.size - 1 if loss == 1 else 0)
    x, o = _control_nodes(deg)
    return w, lo, (w.size - 1) / (hi - lo), x, o, np.zeros(reps)


def _control_nodes(deg):
    """Gauss-Hermite nodes and weights (probabilists', weights summing to 1) exact for polynomials of degree
    ``deg`` in a standard normal: they give the conditional mean of the control's increment in closed form, which
    is what centres it (docs/elicitation.md §3.3)."""
    x, o = np.polynomial.hermite_e.hermegauss(deg // 2 + 1)
    return x, o / o.sum()
