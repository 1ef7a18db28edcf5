r"""Softmax heads on fixed features at finite sample size (docs/kl_misfit.md §3): the instance, the empirical
students of statements (a) and (b), and bootstrap-trained teachers for (c). Randomness only from the
``numpy.random.Generator`` passed in.

Instance (:func:`draw_instance`): the population is the uniform measure on ``M`` atoms drawn once from ``N(0, I_2)``
(so that population expectations are exact finite sums, :mod:`w2s.theory.kl_misfit` evaluates them with weights
``1/M``); a sample is ``N`` i.i.d. draws from it (:func:`sample_inputs`). Strong features ``h(x) = (1, tanh(x W^T + b))``
(``m`` units); ``K`` classes, heads with the last class's logit fixed at 0. Target of (b): ``f* = softmax(Theta* h)``
(in the softmax-linear class). Teacher: ``f_w = (1 - rho) softmax(A (1, x)) + rho softmax(B h)``, a mixture of a
linear head on the raw input and a random strong head (outside the softmax-linear class). Target of (a): the mixture
``sum_j alpha*_j softmax(Theta_j h)`` of ``J`` strong heads.

Students on the empirical measure of ``N`` points (weights ``1/N``):

* (b) :func:`fit_forward_ce`: ``argmin_Theta (1/N) sum_i CE(f_w(x_i), softmax(Theta h_i))`` by L-BFGS-B
  (``scipy.optimize.minimize``) on the analytic gradient ``(1/N) sum_i (f_Theta(x_i) - f_w(x_i)) h_i^T``, stopped at
  ``max |grad| <= pgtol``;
* (a) :func:`fit_reverse_mixture`: ``argmin_{alpha in simplex} (1/N) sum_i KL(sum_j alpha_j g_j(x_i) || f_w(x_i))``
  by SLSQP on the analytic gradient;
* (c) :func:`bootstrap_teachers`: ``B`` softmax heads on the raw-input features ``(1, x)``, each fitted (L-BFGS-B)
  to one-hot labels drawn from ``f*`` on a bootstrap resample of a labelled set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = [
    "Instance",
    "draw_instance",
    "fit_forward_ce",
    "fit_reverse_mixture",
    "kl_mean",
    "sample_inputs",
    "sample_replicate",
    "sample_replicates",
    "Population",
    "population",
    "OUTPUTS",
    "bootstrap_teachers",
    "PGTOL",
]

#: Projected-gradient tolerance of the L-BFGS-B fits (max-norm of the gradient at the stop).
PGTOL = 1e-8


def _softmax_last0(Z):
    """Softmax of logits ``(N, K-1)`` with a last logit 0 appended; returns ``(probabilities, log-probabilities)``."""
    Z = np.concatenate([Z, np.zeros((Z.shape[0], 1))], axis=1)
    Z = Z - Z.max(axis=1, keepdims=True)
    logF = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return np.exp(logF), logF


@dataclass(frozen=True)
class Instance:
    """A fixed instance of the model of the module docstring (arrays; see :func:`draw_instance`)."""

    W: np.ndarray  #: (m, 2) strong-feature weights
    b: np.ndarray  #: (m,) strong-feature biases
    theta_star: np.ndarray  #: (K-1, m+1) target head of (b)
    A: np.ndarray  #: (K-1, 3) teacher's linear head on (1, x)
    B: np.ndarray  #: (K-1, m+1) teacher's strong head
    rho: float  #: teacher's mixing weight on B
    thetas: np.ndarray  #: (J, K-1, m+1) mixture components of (a)
    alpha_star: np.ndarray  #: (J,) target mixture weights of (a)
    atoms: np.ndarray  #: (M, 2) the population: uniform on these points (drawn once from N(0, I_2))

    @property
    def K(self) -> int:
        return self.theta_star.shape[0] + 1

    def features(self, x):
        """``h(x) = (1, tanh(x W^T + b))``, ``(N, m+1)``."""
        return np.column_stack([np.ones(x.shape[0]), np.tanh(x @ self.W.T + self.b)])

    def heads(self, x):
        """``(H, f*, f_w, G, f*_a)`` at the points ``x`` ``(N, 2)``: features, target of (b), teacher, the mixture
        components ``(N, J, K)`` and the target of (a)."""
        x = np.asarray(x, float)
        H = self.features(x)
        P_star = _softmax_last0(H @ self.theta_star.T)[0]
        lin = np.column_stack([np.ones(x.shape[0]), x])
        P_w = (1.0 - self.rho) * _softmax_last0(lin @ self.A.T)[0] + self.rho * _softmax_last0(H @ self.B.T)[0]
        G = np.stack([_softmax_last0(H @ t.T)[0] for t in self.thetas], axis=1)
        return H, P_star, P_w, G, np.einsum("j,njk->nk", self.alpha_star, G)

    def with_teacher_in_class(self) -> "Instance":
        """The same instance with the teacher replaced by the strong head ``softmax(B h)`` (misfit 0 in (b))."""
        return Instance(self.W, self.b, self.theta_star, self.A, self.B, 1.0, self.thetas, self.alpha_star, self.atoms)


def draw_instance(rng: np.random.Generator, *, K: int = 3, m: int = 6, J: int = 4, M: int = 1000, rho: float = 0.4,
                  alpha_star=(0.4, 0.3, 0.2, 0.1), scale_teacher: float = 4.0) -> Instance:
    """Draw an :class:`Instance`: ``W`` (sd 1), ``b`` (sd 0.5), ``Theta*`` (sd 1), ``A`` (sd ``scale_teacher``), ``B``
    (sd 2), the ``J`` components (sd 1.5), then the ``M`` atoms of the population, in this order."""
    for name, v, lo in (("K", K, 2), ("m", m, 1), ("J", J, 1), ("M", M, 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho={rho!r} is outside the allowed range [0, 1]")
    a = np.asarray(alpha_star, float)
    if a.shape != (J,) or np.any(a < 0) or abs(a.sum() - 1.0) > 1e-12:
        raise ValueError(f"alpha_star must be a probability vector of length J = {J}, got {alpha_star!r}")
    W = rng.standard_normal((m, 2))
    b = 0.5 * rng.standard_normal(m)
    theta_star = rng.standard_normal((K - 1, m + 1))
    A = scale_teacher * rng.standard_normal((K - 1, 3))
    B = 2.0 * rng.standard_normal((K - 1, m + 1))
    thetas = 1.5 * rng.standard_normal((J, K - 1, m + 1))
    atoms = rng.standard_normal((M, 2))
    return Instance(W, b, theta_star, A, B, float(rho), thetas, a, atoms)


def sample_inputs(inst: Instance, N: int, rng: np.random.Generator) -> np.ndarray:
    """``N`` i.i.d. draws from the population (uniform on the instance's atoms), ``(N, 2)``."""
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    return inst.atoms[rng.integers(0, inst.atoms.shape[0], int(N))]


def _weights(weights, n):
    return np.full(n, 1.0 / n) if weights is None else np.asarray(weights, float)


def kl_mean(P, Q, weights=None) -> float:
    """``sum_i w_i KL(P_i||Q_i)`` for probability rows (``w_i = 1/N`` by default; plain numpy; ``0 log 0 = 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(P > 0, P * (np.log(P) - np.log(Q)), 0.0)
    return float(_weights(weights, P.shape[0]) @ t.sum(axis=1))


def _ce_and_grad(theta, H, P, w):
    p = H.shape[1]
    K = P.shape[1]
    F, logF = _softmax_last0(H @ theta.reshape(K - 1, p).T)
    loss = -float(w @ (P * logF).sum(axis=1))
    grad = (((F - P)[:, :-1] * w[:, None]).T @ H).reshape(-1)
    return loss, grad


def fit_forward_ce(H, P_w, weights=None, *, pgtol: float = PGTOL, theta0=None):
    """Student of (b) on the measure with ``weights`` (default ``1/N``) by L-BFGS-B (module docstring), started at
    ``theta0`` (default 0). Returns ``(Theta (K-1, p), probabilities, gradient)``; raises ``RuntimeError`` when
    L-BFGS-B stops with ``max |grad| > pgtol`` (no convergence)."""
    H = np.asarray(H, float)
    P = np.asarray(P_w, float)
    w = _weights(weights, H.shape[0])
    K, p = P.shape[1], H.shape[1]
    x0 = np.zeros((K - 1) * p) if theta0 is None else np.asarray(theta0, float).reshape(-1)
    res = optimize.minimize(_ce_and_grad, x0, args=(H, P, w), jac=True, method="L-BFGS-B",
                            options={"gtol": pgtol, "ftol": 0.0, "maxiter": 5000, "maxcor": 30})
    _, grad = _ce_and_grad(res.x, H, P, w)
    if np.max(np.abs(grad)) > pgtol:
        raise RuntimeError(f"L-BFGS-B stopped with max|grad| = {np.max(np.abs(grad)):.3g} > pgtol = {pgtol:g} "
                           f"({res.message})")
    theta = res.x.reshape(K - 1, p)
    return theta, _softmax_last0(H @ theta.T)[0], grad.reshape(K - 1, p)


def _mixture_obj(alpha, G, logP, w):
    F = np.einsum("j,njk->nk", alpha, G)
    L = np.log(F) - logP
    return float(w @ (F * L).sum(axis=1)), np.einsum("n,njk,nk->j", w, G, L + 1.0)


def fit_reverse_mixture(G, P_w, weights=None, *, alpha0=None):
    """Student of (a) on the measure with ``weights`` (default ``1/N``) by SLSQP (module docstring), started at
    ``alpha0`` (default uniform). Returns ``(alpha, probabilities)``."""
    G = np.asarray(G, float)
    P = np.asarray(P_w, float)
    w = _weights(weights, P.shape[0])
    J = G.shape[1]
    a0 = np.full(J, 1.0 / J) if alpha0 is None else np.asarray(alpha0, float)
    res = optimize.minimize(_mixture_obj, a0, args=(G, np.log(P), w), jac=True, method="SLSQP",
                            bounds=[(0.0, 1.0)] * J,
                            constraints=[{"type": "eq", "fun": lambda a: a.sum() - 1.0, "jac": lambda a: np.ones(J)}],
                            options={"ftol": 1e-14, "maxiter": 1000})
    if not res.success:
        raise RuntimeError(f"SLSQP did not converge: {res.message}")
    alpha = np.clip(res.x, 0.0, None)
    alpha /= alpha.sum()
    return alpha, np.einsum("j,njk->nk", alpha, G)


#: Names of the per-replicate outputs of :func:`sample_replicate`.
OUTPUTS = ("kl_w_star", "misfit", "kl_sw_star", "kl_star_w", "kl_sw_w", "kl_star_sw", "residual", "residual_bound",
           "a_kl_star_w", "a_kl_star_sw", "a_kl_sw_w")


@dataclass(frozen=True)
class Population:
    """The heads at the instance's atoms and the population students (the starting points of the empirical fits)."""

    H: np.ndarray
    P_star: np.ndarray
    P_w: np.ndarray
    G: np.ndarray
    P_star_a: np.ndarray
    theta0: np.ndarray
    alpha0: np.ndarray


def population(inst: Instance) -> Population:
    """Heads at the atoms, and both students fitted on the population (uniform weights on the atoms)."""
    H, P_star, P_w, G, P_star_a = inst.heads(inst.atoms)
    theta0, _, _ = fit_forward_ce(H, P_w)
    alpha0, _ = fit_reverse_mixture(G, P_w)
    return Population(H, P_star, P_w, G, P_star_a, theta0, alpha0)


def sample_replicate(inst: Instance, N: int, rng: np.random.Generator, pop: Population | None = None) -> dict:
    """One replicate: the empirical measure of ``N`` i.i.d. draws from the population, both students, every KL of
    statements (a) and (b) on it, and the residual of identity (b) with its a-posteriori bound
    ``||Theta - Theta*||_F ||grad||_F``.

    Exact reduction: every quantity is a function of the empirical measure, which puts mass ``c_a / N`` on atom ``a``
    with multinomial counts ``c ~ Multinomial(N, 1/M)`` (the law of the counts of ``N`` i.i.d. uniform draws); the
    fits therefore run on the ``M`` atoms with these weights, at a cost independent of ``N``. The fits start at the
    population students (``pop``), which changes the iterations, not the optimum (strictly convex objectives)."""
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    pop = population(inst) if pop is None else pop
    M = inst.atoms.shape[0]
    c = rng.multinomial(int(N), np.full(M, 1.0 / M))
    keep = c > 0
    w = c[keep] / float(N)
    H, P_star, P_w, G, P_star_a = pop.H[keep], pop.P_star[keep], pop.P_w[keep], pop.G[keep], pop.P_star_a[keep]
    theta, F, grad = fit_forward_ce(H, P_w, w, theta0=pop.theta0)
    out = dict(kl_w_star=kl_mean(P_w, P_star, w), misfit=kl_mean(P_w, F, w), kl_sw_star=kl_mean(F, P_star, w),
               kl_star_w=kl_mean(P_star, P_w, w), kl_sw_w=kl_mean(F, P_w, w), kl_star_sw=kl_mean(P_star, F, w))
    out["residual"] = out["kl_w_star"] - out["misfit"] - out["kl_sw_star"]
    out["residual_bound"] = float(np.linalg.norm(theta - inst.theta_star) * np.linalg.norm(grad))
    _alpha, Fa = fit_reverse_mixture(G, P_w, w, alpha0=pop.alpha0)
    out.update(a_kl_star_w=kl_mean(P_star_a, P_w, w), a_kl_star_sw=kl_mean(P_star_a, Fa, w),
               a_kl_sw_w=kl_mean(Fa, P_w, w))
    return out


def sample_replicates(inst: Instance, N: int, rng: np.random.Generator, reps: int) -> dict[str, np.ndarray]:
    """``reps`` independent replicates of :func:`sample_replicate` as arrays, one entry per name of ``OUTPUTS``."""
    pop = population(inst)
    rows = [sample_replicate(inst, N, rng, pop) for _ in range(int(reps))]
    return {k: np.array([r[k] for r in rows]) for k in OUTPUTS}


def bootstrap_teachers(inst: Instance, x_train, x_eval, B: int, rng: np.random.Generator) -> np.ndarray:
    """Statement (c)'s random teacher: one-hot labels drawn from ``f*`` at ``x_train``, then ``B`` bootstrap resamples,
    each fitted by a softmax head on ``(1, x)`` (L-BFGS-B); returns the heads at ``x_eval``, ``(B, N_eval, K)``.
    Draws the labels, then the resample indices of each teacher in turn."""
    x_train = np.asarray(x_train, float)
    x_eval = np.asarray(x_eval, float)
    _, P_star, _, _, _ = inst.heads(x_train)
    n, K = P_star.shape
    labels = (rng.random(n)[:, None] > np.cumsum(P_star, axis=1)).sum(axis=1)
    Y = np.eye(K)[np.minimum(labels, K - 1)]
    lin_tr = np.column_stack([np.ones(n), x_train])
    lin_ev = np.column_stack([np.ones(x_eval.shape[0]), x_eval])
    out = np.empty((B, x_eval.shape[0], K))
    for t in range(B):
        idx = rng.integers(0, n, n)
        theta, _, _ = fit_forward_ce(lin_tr[idx], Y[idx])
        out[t] = _softmax_last0(lin_ev @ theta.T)[0]
    return out
