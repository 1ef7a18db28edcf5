r"""Online SGD with fresh Gaussian inputs as an exact Markov chain on Gram matrices: cost per step independent of d.

The model is that of :mod:`w2s.kernels.sgd` with ``batch = 1``. Track the ``k = p + q`` vectors
``v = (w_1, ..., w_p, dirs_1, ..., dirs_q)``. Every update has the form ``v_i <- alpha_i v_i + beta_i x``
(``alpha = 1, beta = 0`` for the fixed directions), with coefficients that depend on the step's input only through
the local fields ``l_i = <v_i, x>``, the weak-label noise and ``|x|^2``:

* plain: ``alpha_j = 1``, ``beta_j = eta u_j``;
* spherical: ``w_j <- (w_j (1 - eta u_j l_j) + eta u_j x) / N_j`` with
  ``N_j^2 = |w_j|^2 (1 - eta u_j l_j)^2 + 2 (1 - eta u_j l_j) eta u_j l_j + eta^2 u_j^2 |x|^2`` (the norm of the
  unnormalised vector, expanded), so ``alpha_j = (1 - eta u_j l_j) / N_j`` and ``beta_j = eta u_j / N_j``;

and ``u_j`` is a polynomial in ``(l, zeta)`` (module docstring of :mod:`w2s.kernels.sgd`). Hence the Gram matrix
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
complement receives nothing: under plain updates ``S^perp`` is exactly invariant (spec §4, P3').

Cost per step: two ``k x k`` Cholesky factorisations and ``O(k^2)`` updates, plus ``2k + 1`` normals and at most
two chi-square draws: independent of ``d``. Randomness: one xoshiro256** stream per replicate
(:mod:`w2s.kernels.gauss_rng`), bit-for-bit reproducible for any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import ijit, jit, pjit
from .gauss_rng import chi2, normal, stream_states
from .sgd import _horner, check_sgd_args

__all__ = ["gram_chain", "initial_state", "gram_state"]

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


def _reorder(S, p, q):
    """Public order (neurons, dirs) -> internal order (dirs, neurons), as a stack ``(n, k, k)``."""
    perm = np.r_[np.arange(p, p + q), np.arange(p)]
    return np.ascontiguousarray(S[..., perm, :][..., :, perm].reshape(-1, p + q, p + q))


def gram_chain(state, *, p, d, r=None, steps, eta, act, link, transform=(0.0, 1.0), tau=0.0, tau_x=0.0, a,
               loss="correlation", update="spherical", record_steps, rng, reps=1, hit_level=None):
    """Run ``reps`` independent copies of the exact Gram-matrix chain; returns overlaps
    ``(reps, len(record_steps), p, q)``, interchangeable with :func:`w2s.kernels.sgd.online_sgd` at equal ``d``.

    ``state = (S_par, S_perp)`` (:func:`initial_state` or :func:`gram_state`), ordered neurons then directions,
    or stacks ``(reps, k, k)`` of per-replicate starts;
    ``dirs[0]`` (index ``p``) is ``theta`` and must have unit norm. ``r=None``: isotropic inputs in dimension
    ``d`` (``S_perp`` must be zero); otherwise inputs on an ``r``-dimensional subspace with leakage ``tau_x``.
    Under ``"spherical"`` updates the neurons are normalised first, as in ``online_sgd``.

    ``hit_level`` (in ``(0, 1]``): also stop each replicate at the first step after which
    ``|<w_1, theta>| >= hit_level`` and return ``(overlaps, hit_steps)`` (``-1``: not reached within ``steps``);
    records after the hitting step are NaN.
    """
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
    out = np.full((int(reps), rs.size, p, q), np.nan)
    hits = np.empty(int(reps), np.int64)
    _gram_chain_kernel(states, _reorder(Sp, p, q), _reorder(Sq, p, q), p, q, dim_par, dim_perp, c_par, c_perp, a,
                       float(tau), act, dact, link, transform, lc, uc, int(steps), float(eta), rs, out,
                       0.0 if hit_level is None else float(hit_level), hits)
    return out if hit_level is None else (out, hits)
