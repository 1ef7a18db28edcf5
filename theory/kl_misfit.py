r"""Misfit and gain beyond the squared loss (Mulgund & Pabbaraju 2025, arXiv 2501.19105; Xu et al. 2025, arXiv
2505.24313): KL identities for softmax heads on fixed features. Closed forms derived under the setup of
docs/kl_misfit.md §1.

Notation: a *measure* is a set of points ``x_i`` with weights ``w_i >= 0`` summing to one (an empirical measure,
``w_i = 1/N``, or a Gauss–Hermite rule for the population); a *head* gives class probabilities ``f(x_i)`` as the rows
of an ``N x K`` matrix; ``KL(p||q) = sum_i w_i sum_k p_ik log(p_ik / q_ik)``. ``f*`` is the target, ``f_w`` the
teacher, ``f_sw`` the student trained on the teacher's soft labels.

Statements (docs/kl_misfit.md §2), each for any measure:

(b) Forward cross-entropy on soft labels, softmax-linear class ``{softmax(Theta h(x))}`` on fixed features ``h``
    (containing a constant), ``f*`` in the class: the student ``f_sw = argmin_Theta sum_i w_i CE(f_w(x_i),
    f_Theta(x_i))`` satisfies ``KL(f_sw||f*) = KL(f_w||f*) - KL(f_w||f_sw)`` exactly; at an approximate stationary
    point ``Theta`` the residual ``KL(f_w||f*) - KL(f_w||f_sw) - KL(f_sw||f*)`` equals ``-<Theta - Theta*, grad>``
    (:func:`forward_identity_residual_bound`). The mismatched orientation ``KL(f*||f_sw) <= KL(f*||f_w) -
    KL(f_sw||f_w)`` is *not* implied and fails in the instance of docs §4.

(a) Reverse KL over a mixture class ``C = {sum_j alpha_j g_j : alpha in the simplex}`` (convex in probability
    space), ``f*`` in ``C``: ``f_sw = argmin_{f in C} KL(f||f_w)`` satisfies ``KL(f*||f_sw) <= KL(f*||f_w) -
    KL(f_sw||f_w)``; the gap is the directional derivative ``sum_j alpha*_j nu_j`` of the KKT multipliers of the
    simplex's active bounds, 0 when ``alpha_sw`` is interior.

(c) Bias–variance with a random teacher ``f_T`` (one row of heads per draw ``T``): with the *dual* (normalised
    geometric) mean ``f_bar ∝ exp(E_T log f_T)``, for any target ``y``: ``E_T KL(y||f_T) = KL(y||f_bar) +
    E_T KL(f_bar||f_T)`` pointwise in ``x``, and the inherited variance ``E_T KL(f_bar||f_T) = -log sum_k
    exp(E_T log f_T,k)`` does not depend on ``y``. In the other orientation the *arithmetic* mean ``f_tilde = E_T f_T``
    gives ``E_T KL(f_T||y) = KL(f_tilde||y) + E_T KL(f_T||f_tilde)``. (:func:`bias_variance`.)

Inputs are validated: probabilities must be finite, non-negative and rows must sum to one (within 1e-9); ``K >= 2``
classes (a one-class head is the constant 1 and every KL is 0: rejected as degenerate); ``ValueError`` names the
argument and the allowed range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._validate import check_scalar

__all__ = [
    "ROW_SUM_TOL",
    "softmax",
    "check_probabilities",
    "check_weights",
    "kl",
    "gauss_hermite_2d",
    "strong_features",
    "fit_forward_ce",
    "forward_identity_residual_bound",
    "fit_reverse_mixture",
    "ForwardCE",
    "forward_ce",
    "ReverseMixture",
    "reverse_mixture",
    "BiasVariance",
    "bias_variance",
    "dual_mean",
]

#: Largest accepted ``|sum_k p_ik - 1|`` of a probability row.
ROW_SUM_TOL = 1e-9


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum (no overflow)."""
    z = np.asarray(logits, float)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def check_probabilities(name: str, p) -> np.ndarray:
    """``p`` as a float array ``(..., K)`` of probability rows with ``K >= 2``, or ``ValueError`` naming ``name``."""
    try:
        p = np.asarray(p, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of probabilities, got {p!r}") from None
    if p.ndim < 1 or p.shape[-1] < 2:
        raise ValueError(f"{name} needs K >= 2 classes in its last axis (a one-class head is constant and every KL "
                         f"is 0), got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must hold finite probabilities in [0, 1]")
    dev = float(np.max(np.abs(p.sum(axis=-1) - 1.0)))
    if dev > ROW_SUM_TOL:
        raise ValueError(f"{name}: rows must sum to 1 (|sum - 1| <= {ROW_SUM_TOL:g}), found a deviation of {dev:.3g}")
    return p


def check_weights(weights, n: int) -> np.ndarray:
    """Weights of a measure on ``n`` points: finite, ``>= 0``, summing to 1 (within 1e-12)."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or abs(w.sum() - 1.0) > 1e-12:
        raise ValueError("weights must be finite, >= 0 and sum to 1 (within 1e-12)")
    return w


def _kl_rows(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return t.sum(axis=-1)


def kl(p, q, weights=None) -> float:
    """``KL(p||q) = sum_i w_i sum_k p_ik log(p_ik/q_ik)`` (uniform weights by default); ``inf`` if ``q`` misses mass
    of ``p``."""
    p = check_probabilities("p", p)
    q = check_probabilities("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    rows = _kl_rows(p, q).reshape(-1)
    w = np.full(rows.size, 1.0 / rows.size) if weights is None else check_weights(weights, rows.size)
    return float(w @ rows)


def gauss_hermite_2d(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss–Hermite rule for ``x ~ N(0, I_2)``: ``order^2`` nodes ``(M, 2)`` and weights summing to 1.

    Exact for polynomials of degree ``<= 2 order - 1`` in each coordinate; for the analytic integrands of this
    module (softmax of ``tanh`` features) the error falls geometrically in ``order`` (tests compare orders 48/64).
    """
    order = int(check_scalar("order", order, 2, 400))
    t, w = np.polynomial.hermite_e.hermegauss(order)  # weight exp(-t^2/2)
    w = w / w.sum()
    X = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1).reshape(-1, 2)
    W = np.outer(w, w).reshape(-1)
    return X, W / W.sum()


def strong_features(x, W, b) -> np.ndarray:
    """``h(x) = (1, tanh(x W^T + b))``: a constant and ``m`` tanh units (``W`` ``m x p``, ``b`` ``(m,)``)."""
    x = np.asarray(x, float)
    return np.column_stack([np.ones(x.shape[0]), np.tanh(x @ np.asarray(W, float).T + np.asarray(b, float))])


def _logits(theta, H, K):
    """Logits ``(N, K)`` of a softmax-linear head with the last class's logit fixed at 0 (identifiable)."""
    Z = np.zeros((H.shape[0], K))
    Z[:, :-1] = H @ theta.reshape(K - 1, H.shape[1]).T
    return Z


def _forward_parts(theta, H, P, w):
    K = P.shape[1]
    Z = _logits(theta, H, K)
    Z -= Z.max(axis=1, keepdims=True)
    logf = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    F = np.exp(logf)
    loss = -float(w @ (P * logf).sum(axis=1))
    R = (F - P)[:, :-1] * w[:, None]
    grad = (R.T @ H).reshape(-1)
    return loss, grad, F


def _forward_hessian(theta, H, P, w):
    K, p = P.shape[1], H.shape[1]
    F = softmax(_logits(theta, H, K))[:, :-1]
    Hes = np.zeros((K - 1, p, K - 1, p))
    Hw = H * w[:, None]
    for a in range(K - 1):
        for c in range(K - 1):
            s = F[:, a] * ((a == c) - F[:, c])
            Hes[a, :, c, :] = (Hw * s[:, None]).T @ H
    return Hes.reshape((K - 1) * p, (K - 1) * p)


def fit_forward_ce(H, P_w, weights) -> tuple[np.ndarray, np.ndarray]:
    """Population (or any weighted-measure) student of (b): ``argmin_Theta sum_i w_i CE(P_w[i], softmax(Theta h_i))``
    by Newton's method with the exact Hessian (``scipy.optimize.minimize``, ``trust-exact``; strictly convex when the
    features have full rank). Returns ``(Theta, probabilities)``; ``Theta`` is ``(K-1) x p`` (last logit 0).

    Raises ``RuntimeError`` when the gradient norm at the stop exceeds ``1e-9`` (rounding of the weighted sums
    leaves ~1e-12). A gradient ``g`` moves the KLs by ``O(|g|^2)`` and identity (b) by at most
    ``||Theta - Theta*|| |g|`` (:func:`forward_identity_residual_bound`): ~1e-9, far below any resolution here."""
    H = np.asarray(H, float)
    P = check_probabilities("P_w", P_w)
    w = check_weights(weights, H.shape[0])
    K, p = P.shape[1], H.shape[1]
    res = optimize.minimize(lambda t: _forward_parts(t, H, P, w)[:2], np.zeros((K - 1) * p), jac=True,
                            hess=lambda t: _forward_hessian(t, H, P, w), method="trust-exact",
                            options={"gtol": 1e-11, "maxiter": 500})
    x = res.x
    _, grad, F = _forward_parts(x, H, P, w)
    for _ in range(4):  # trust-exact may stop on rounding just above the tolerance: plain Newton steps polish it
        if np.linalg.norm(grad) <= 1e-10:
            break
        try:
            x_new = x - np.linalg.solve(_forward_hessian(x, H, P, w), grad)
        except np.linalg.LinAlgError:
            break
        _, g_new, F_new = _forward_parts(x_new, H, P, w)
        if np.linalg.norm(g_new) >= np.linalg.norm(grad):
            break
        x, grad, F = x_new, g_new, F_new
    res.x = x
    if np.linalg.norm(grad) > 1e-9:
        raise RuntimeError(f"forward cross-entropy fit did not converge: |grad| = {np.linalg.norm(grad):.3g} "
                           f"({res.message})")
    return res.x.reshape(K - 1, p), F


def forward_identity_residual_bound(theta, theta_star, grad) -> float:
    r"""Bound on the residual of identity (b) at an approximate stationary point: the residual is exactly
    ``-<Theta - Theta*, grad L(Theta)>`` (docs §2.1), so ``|residual| <= ||Theta - Theta*||_F ||grad||_F``.

    With L-BFGS-B stopped at ``max_j |grad_j| <= pgtol``, ``||grad||_F <= sqrt(dim) pgtol``: the tolerance of the
    identity is ``sqrt(dim) pgtol ||Theta - Theta*||_F`` (plus rounding of the sums, ~1e-15 relative)."""
    d = np.asarray(theta, float) - np.asarray(theta_star, float)
    return float(np.linalg.norm(d) * np.linalg.norm(np.asarray(grad, float)))


def _mixture_parts(alpha, G, P, w):
    F = np.einsum("j,njk->nk", alpha, G)
    L = np.log(F) - np.log(P)
    val = float(w @ (F * L).sum(axis=1))
    grad = np.einsum("n,njk,nk->j", w, G, L + 1.0)
    return val, grad


def fit_reverse_mixture(G, P_w, weights) -> tuple[np.ndarray, np.ndarray]:
    """Student of (a): ``argmin_{alpha in simplex} sum_i w_i KL(sum_j alpha_j G[i, j] || P_w[i])`` (convex) by
    ``scipy.optimize.minimize`` (SLSQP, analytic gradient, ``ftol = 1e-15``). ``G`` is ``(N, J, K)``: the mixture's
    component heads. Returns ``(alpha, probabilities)``."""
    G = check_probabilities("G", G)
    P = check_probabilities("P_w", P_w)
    if G.ndim != 3 or G.shape[0] != P.shape[0] or G.shape[2] != P.shape[1]:
        raise ValueError(f"G must have shape (N, J, K) matching P_w {P.shape}, got {G.shape}")
    w = check_weights(weights, P.shape[0])
    J = G.shape[1]
    res = optimize.minimize(lambda a: _mixture_parts(a, G, P, w), np.full(J, 1.0 / J), jac=True, method="SLSQP",
                            bounds=[(0.0, 1.0)] * J,
                            constraints=[{"type": "eq", "fun": lambda a: a.sum() - 1.0, "jac": lambda a: np.ones(J)}],
                            options={"ftol": 1e-15, "maxiter": 1000})
    if not res.success:
        raise RuntimeError(f"reverse-KL mixture fit did not converge: {res.message}")
    alpha = np.clip(res.x, 0.0, None)
    alpha /= alpha.sum()
    return alpha, np.einsum("j,njk->nk", alpha, G)


@dataclass(frozen=True)
class ForwardCE:
    """The KLs of statement (b) on one measure: forward CE student, softmax-linear target."""

    kl_w_star: float  #: KL(f_w||f*), the teacher's error
    misfit: float  #: KL(f_w||f_sw)
    kl_sw_star: float  #: KL(f_sw||f*), evaluated directly
    kl_star_w: float  #: KL(f*||f_w) (mismatched orientation)
    kl_sw_w: float  #: KL(f_sw||f_w)
    kl_star_sw: float  #: KL(f*||f_sw)

    @property
    def gain_by_identity(self) -> float:
        """``KL(f_w||f*) - KL(f_w||f_sw)``: the student's error predicted by identity (b)."""
        return self.kl_w_star - self.misfit

    @property
    def mismatched_bound(self) -> float:
        """``KL(f*||f_w) - KL(f_sw||f_w)``: the bound the mismatched orientation would give on ``KL(f*||f_sw)``."""
        return self.kl_star_w - self.kl_sw_w

    @property
    def violation(self) -> float:
        """``KL(f*||f_sw) - (KL(f*||f_w) - KL(f_sw||f_w))``; > 0 means the mismatched orientation fails."""
        return self.kl_star_sw - self.mismatched_bound


def forward_ce(H, P_star, P_w, weights) -> ForwardCE:
    """Statement (b) on a measure: fit the forward-CE student (:func:`fit_forward_ce`) and evaluate every KL."""
    P_star = check_probabilities("P_star", P_star)
    P_w = check_probabilities("P_w", P_w)
    _theta, F = fit_forward_ce(H, P_w, weights)
    return ForwardCE(kl(P_w, P_star, weights), kl(P_w, F, weights), kl(F, P_star, weights),
                     kl(P_star, P_w, weights), kl(F, P_w, weights), kl(P_star, F, weights))


@dataclass(frozen=True)
class ReverseMixture:
    """The KLs of statement (a) on one measure: reverse-KL student over a mixture class, target in the class."""

    alpha: np.ndarray  #: the student's mixture weights
    kl_star_w: float  #: KL(f*||f_w)
    kl_star_sw: float  #: KL(f*||f_sw)
    kl_sw_w: float  #: KL(f_sw||f_w), the misfit in the training orientation

    @property
    def gap(self) -> float:
        """``KL(f*||f_w) - KL(f*||f_sw) - KL(f_sw||f_w) >= 0``."""
        return self.kl_star_w - self.kl_star_sw - self.kl_sw_w


def reverse_mixture(G, alpha_star, P_w, weights) -> ReverseMixture:
    """Statement (a) on a measure: target ``f* = sum_j alpha*_j G[:, j]``, student by :func:`fit_reverse_mixture`."""
    G = check_probabilities("G", G)
    a = np.asarray(alpha_star, float)
    if a.shape != (G.shape[1],) or np.any(a < 0) or abs(a.sum() - 1.0) > 1e-12:
        raise ValueError(f"alpha_star must be a probability vector of length J = {G.shape[1]}")
    P_star = np.einsum("j,njk->nk", a, G)
    alpha, F = fit_reverse_mixture(G, P_w, weights)
    return ReverseMixture(alpha, kl(P_star, P_w, weights), kl(P_star, F, weights), kl(F, P_w, weights))


def dual_mean(P_T) -> np.ndarray:
    """Normalised geometric mean over the first axis (the draws ``T``): ``f_bar ∝ exp(mean_T log f_T)``."""
    P_T = check_probabilities("P_T", P_T)
    L = np.log(P_T).mean(axis=0)
    L -= L.max(axis=-1, keepdims=True)
    E = np.exp(L)
    return E / E.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class BiasVariance:
    """Pointwise (per ``x``) terms of statement (c), arrays over the points."""

    risk_forward: np.ndarray  #: E_T KL(y||f_T)
    bias_forward: np.ndarray  #: KL(y||f_bar), f_bar the dual (geometric) mean
    variance_forward: np.ndarray  #: E_T KL(f_bar||f_T) = -log sum_k exp(E_T log f_T,k)
    log_partition: np.ndarray  #: log sum_k exp(E_T log f_T,k) (<= 0)
    risk_reverse: np.ndarray  #: E_T KL(f_T||y)
    bias_reverse: np.ndarray  #: KL(f_tilde||y), f_tilde the arithmetic mean
    variance_reverse: np.ndarray  #: E_T KL(f_T||f_tilde)


def bias_variance(P_T, y) -> BiasVariance:
    """Terms of statement (c) for teacher draws ``P_T`` ``(B, N, K)`` and target ``y`` ``(N, K)`` (``y > 0``)."""
    P_T = check_probabilities("P_T", P_T)
    y = check_probabilities("y", y)
    if P_T.ndim != 3 or P_T.shape[1:] != y.shape:
        raise ValueError(f"P_T must have shape (B, N, K) with (N, K) = {y.shape}, got {P_T.shape}")
    logT = np.log(P_T)
    m = logT.mean(axis=0)
    top = m.max(axis=-1, keepdims=True)
    logZ = (top + np.log(np.exp(m - top).sum(axis=-1, keepdims=True)))[..., 0]
    f_bar = np.exp(m - logZ[..., None])
    f_tilde = P_T.mean(axis=0)
    return BiasVariance(
        risk_forward=_kl_rows(y[None], P_T).mean(axis=0),
        bias_forward=_kl_rows(y, f_bar),
        variance_forward=_kl_rows(f_bar[None], P_T).mean(axis=0),
        log_partition=logZ,
        risk_reverse=_kl_rows(P_T, y[None]).mean(axis=0),
        bias_reverse=_kl_rows(f_tilde, y),
        variance_reverse=_kl_rows(P_T, f_tilde[None]).mean(axis=0))
