r"""Registered claims for the transfer-learning view of W2S (Somerstep et al., ICLR 2025, arXiv 2405.16236).

Every prediction is DERIVED in the model RECONSTRUCTED in ``shared/theory/somerstep_refinement.md`` §1 (model and
normalisation in :mod:`w2s.theory.transfer`); none is the paper's own statement. The ladder axis ``d`` of the
framework is the **sample size** ``n`` here (the feature dimension is fixed, ``d_feat = 30``), or ``n_ICL`` for the
posterior identity; each claim's ``setup`` says which.

Certified: the naive fine-tuning floor and its attainment at ``lam*`` (spec §2, B1), the floor as a lower bound
on a ``lam`` grid (signs resolved), the convex-hull limit for a biased and an unbiased weak model (§3, B2), and the
martingale identity of the Bayes weights (§5), and the Chernoff mean rate ``r*`` of the misalignment (§4, B3).
For the rate, plain Monte Carlo is not enough: the windowed slopes of ``-log E[M]`` stay about 7% above ``r*`` up
to ``n_ICL = 128``, where ``E[M] ~ 2e-4``. Importance sampling (exponential tilting against a mixture of the
competitors, :func:`w2s.kernels.transfer.icl_misalignment_is`) reaches ``n_ICL = 4096`` (``E[M] ~ 1e-107``), where
the slope's ``(log 2)/(2n)`` correction (Bahadur–Rao; the fitted coefficient matches it) is small and a ``1/n``
extrapolation pins ``r*``. Shown only: the typical
rate and the excess risk after refinement (figures).
"""

from __future__ import annotations

import numpy as np

from w2s.kernels.transfer import (convex_hull_error, draw_features, icl_misalignment_is, icl_posteriors, naive_errors,
                                  weak_labels)
from w2s.theory import transfer as T

from .registry import REGISTRY, Claim, Ladder, Shown

SOURCE = "Somerstep et al. 2025, arXiv 2405.16236 (ICLR 2025); spec somerstep_refinement.md"
D_FEAT = 30
K = 5


def _prior(p):
    return np.full(p["K"], 1.0 / p["K"])


# ----- naive fine-tuning floor (spec §2) ---------------------------------------------------------------------------

def _naive_lams(p):
    return (T.naive_lambda_star(_prior(p), 0, p["b2"], p["design"]),) + tuple(p["lam_grid"])


def _naive_predict(p):
    a = _prior(p)
    H = T.naive_floor(a, 0, p["b2"])
    return [H] + [float(T.naive_bias(lam, a, 0, p["b2"], p["design"])) - H for lam in p["lam_grid"]]


def _naive_simulate(p, n, rng, reps):
    a = _prior(p)
    d = p["d_feat"]
    beta_P = np.zeros(d)
    beta_P[: p["K"]] = a
    beta_Q = np.zeros(d)
    beta_Q[0] = 1.0
    lams = np.array(_naive_lams(p))
    H = T.naive_floor(a, 0, p["b2"])
    out = np.empty((reps, lams.size))
    for r in range(reps):
        X = draw_features(n, d, p["design"], rng)
        Y = weak_labels(X, 0, p["K"], np.sqrt(p["b2"]), p["sigma2"], rng)
        e = naive_errors(X, Y, beta_P, beta_Q, lams)
        out[r, 0] = e[0]
        out[r, 1:] = e[1:] - H
    return out


_NP = dict(K=K, b2=1.0, sigma2=1.0, design="uniform", d_feat=D_FEAT, lam_grid=(0.0, 0.1, 1.0, 10.0))
REGISTRY.add(Claim(
    id="transfer.naive-fine-tuning-floor",
    title="Naive fine-tuning cannot escape both biases: floor eps_P^2 eps_Q'^2/(eps_P^2 + eps_Q'^2), attained at lam*",
    statement=("Ridge-to-source on biased weak labels: as n -> inf, MSE(lam*) -> H = eps_P^2 eps_Q'^2/(eps_P^2 + "
               "eps_Q'^2) with lam* = c eps_Q'^2/eps_P^2, and MSE(lam) - H -> a^2 eps_Q'^2 + (1-a)^2 eps_P^2 - H > 0 "
               "(a = c/(c + lam)) at lam = 0, 0.1, 1, 10, whose signs are resolved: the floor bounds the grid."),
    source=SOURCE + " §2 (Proposition 3.2, form RECONSTRUCTED)", provenance="DERIVED in the model of "
    "somerstep_refinement.md §1-2", params=_NP, predict=_naive_predict, simulate=_naive_simulate,
    ladders={"fast": Ladder(d=(2000, 4000, 8000, 16000), reps=(4000, 2000, 1000, 500)),
             "full": Ladder(d=(2000, 4000, 8000, 16000, 32000, 64000), reps=(8000, 4000, 2000, 1000, 500, 250))},
    components=("MSE(lam*)",) + tuple(f"MSE({lam:g})-H" for lam in _NP["lam_grid"]),
    sign=(False,) + (True,) * len(_NP["lam_grid"]), finite_size=1.0,
    finite_size_reason="the estimation variance adds sigma2 d c/((c + lam)^2 n) to the bias: an O(1/n) "
    "correction (spec §2); at lam = 0 the next term is O(d^2/n^2) (E tr S^-1 has d/(n - d)-type corrections), which "
    "rejected the 1/n model on a ladder starting at n = 500 = 17 d, hence n >= 2000", family="transfer",
    setup=("ladder axis = sample size n; K = 5 orthonormal concepts e_k, uniform source prior, target k* = 0, weak bias "
           "b e_K with b^2 = 1, X ~ Unif[-1,1]^30 (c = 1/3), sigma2 = 1; the lam grid shares each draw")))


# ----- convex-hull estimator (spec §3) -----------------------------------------------------------------------------

def _hull_predict(p):
    return T.convex_hull_limit(p["K"], p["sigma2"], p["b2"], p["design"])[0]


def _hull_simulate(p, n, rng, reps):
    out = np.empty(reps)
    for r in range(reps):
        X = draw_features(n, p["K"] + 1, p["design"], rng)
        Y = weak_labels(X, 0, p["K"], np.sqrt(p["b2"]), p["sigma2"], rng)
        out[r] = n * convex_hull_error(X, Y, p["K"], 0)
    return out


HULL_LADDERS = {"fast": Ladder(d=(250, 1000, 4000, 16000), reps=(16000, 16000, 12000, 8000)),
                "full": Ladder(d=(250, 1000, 4000, 16000, 64000), reps=(32000, 32000, 24000, 16000, 8000))}

for _name, _b2 in (("biased", 1.0), ("unbiased", 0.0)):
    REGISTRY.add(Claim(
        id=f"transfer.convex-hull-limit.{_name}",
        title=f"The concepts' convex hull removes the weak bias ({_name} weak model)",
        statement=("n E||beta_C - beta_Q||^2 -> (sigma2 + c ||beta^w||^2) delta / c, with delta the statistical "
                   "dimension of the tangent cone of the concepts' simplex at the target vertex (K = 5: delta = "
                   "1.2929 +- 0.0013 by 2e6-sample Monte Carlo, a 0.1% uncertainty far below the resolution); the "
                   "bias ||beta^w||^2 survives only as extra noise."),
        source=SOURCE + " §3 (Proposition 3.4, form RECONSTRUCTED)",
        provenance="DERIVED in the model of somerstep_refinement.md §1, §3",
        params=dict(K=K, b2=_b2, sigma2=1.0, design="uniform"), predict=_hull_predict, simulate=_hull_simulate,
        ladders=HULL_LADDERS, components=("n*MSE",), finite_size=1.0,
        finite_size_reason=("for large n the estimate lies in the vertex's neighbourhood, where the simplex is its "
                            "tangent cone; the design Gram matrix S = c I + O(n^-1/2) perturbs the projection's "
                            "mean at second order: O(1/n)"), family="transfer",
        setup=("ladder axis = sample size n; only the K + 1 feature coordinates along the concepts and the bias enter "
               "the estimator, so only they are drawn (exact for any d); simplex-constrained least squares by "
               "scipy NNLS (w2s.kernels.transfer.convex_hull_error)")))


# ----- Bayes weights: martingale identity (spec §5) ----------------------------------------------------------------

def _mart_predict(p):
    return [1.0] * (p["K"] - 1)


def _mart_simulate(p, n_icl, rng, reps):
    _M, R = icl_posteriors(reps, [n_icl], _prior(p), 0, 0.0, p["sigma2"], p["design"], rng)
    return R[:, 0, 1:]


REGISTRY.add(Claim(
    id="transfer.bayes-weights.martingale",
    title="ICL posterior weights: E[pi_k / pi_k*] = 1 under the correct model (uniform prior)",
    statement=("With an unbiased weak model and uniform prior, pi_k/pi_k* is a likelihood ratio under the true "
               "concept k*, a mean-one martingale in n_ICL: E[pi_k/pi_k*] = 1 for every k and n_ICL (checks that the "
               "log-space posterior weights are computed correctly)."),
    source=SOURCE + " §5", provenance="DERIVED (exact identity) in the model of somerstep_refinement.md §4-5",
    params=dict(K=K, sigma2=1.0, design="uniform"), predict=_mart_predict, simulate=_mart_simulate,
    ladders={"fast": Ladder(d=(1, 2, 4), reps=(20000, 20000, 40000)),
             "full": Ladder(d=(1, 2, 4, 6), reps=(40000, 40000, 80000, 160000))},
    components=tuple(f"E(pi_{k}/pi_0)" for k in range(1, K)), finite_size=0.0,
    finite_size_reason="exact identity at every n_ICL (the variance grows exponentially in n_ICL, so the ladder "
    "stays short)", family="transfer",
    setup="ladder axis = n_ICL; K = 5, uniform prior, b = 0, sigma2 = 1, X ~ Unif[-1,1] (numba posterior kernel)"))


# ----- Chernoff mean rate of the misalignment (spec §4, B3) ---------------------------------------------------------

#: Importance-sampled replicates per batch. One batch gives one slope estimate; the relative sd of a single
#: weighted replicate is about 2-2.5 at n_ICL = 512-1024, so the log of a batch mean is biased by about
#: CV^2/(2 B) = 0.006 (divided by n in the slope: 1e-5, 0.02% of r*), and the split-half jackknife removes the
#: leading term of that bias.
IS_BATCH = 500


def _rate_predict(p):
    return T.chernoff_rate(p["sigma2"], p["b2"], "uniform").rate


def _rate_simulate(p, n, rng, reps):
    """Per batch: the jackknifed slope -(log E_hat[M_2n] - log E_hat[M_n]) / n from IS_BATCH importance-sampled
    replicates (w2s.kernels.transfer.icl_misalignment_is; tilt at the theory's lam*, which affects only the
    variance: the weights' normaliser is computed by the kernel from the sampling model itself)."""
    lam = T.chernoff_rate(p["sigma2"], p["b2"], "uniform").lam
    out = np.empty(reps)

    def slope(Y):
        m = Y.mean(0)
        return -(np.log(m[1]) - np.log(m[0])) / n

    for r in range(reps):
        Y = icl_misalignment_is(IS_BATCH, [n, 2 * n], _prior(p), np.sqrt(p["b2"]), p["sigma2"], lam, rng)
        h = IS_BATCH // 2
        out[r] = 2.0 * slope(Y) - 0.5 * (slope(Y[:h]) + slope(Y[h:]))
    return out


for _name, _b2 in (("biased", 1.0), ("unbiased", 0.0)):
    REGISTRY.add(Claim(
        id=f"transfer.misalignment-rate.{_name}",
        title=f"ICL refinement: the mean misalignment decays at the Chernoff rate r* ({_name} weak model)",
        statement=("-(1/n_ICL) log E[1 - pi_k*] -> r* = sup_{lam in [0,1]} -log E[exp(-lam Delta)] (a 1-D integral; "
                   "0.0600 for |beta^w|^2 = 1, 0.0787 unbiased: the rate falls as the weak model worsens). Certified "
                   "as the doubling-window slope (log E[M_n] - log E[M_2n])/n, extrapolated in 1/n."),
        source=SOURCE + " §4 (Theorem 4.3's structure RECONSTRUCTED; rate DERIVED)",
        provenance="DERIVED in the model of somerstep_refinement.md §4 (prediction 2)",
        params=dict(K=K, b2=_b2, sigma2=1.0), predict=_rate_predict, simulate=_rate_simulate,
        ladders={"fast": Ladder(d=(256, 512, 1024, 2048), reps=(30, 30, 20, 20)),
                 "full": Ladder(d=(256, 512, 1024, 2048, 4096), reps=(60, 60, 40, 40, 20))},
        components=("slope",), finite_size=1.0,
        finite_size_reason=("Bahadur-Rao: log E[M_n] = -r* n - (1/2) log n + C + O(1/n), so the doubling-window "
                            "slope is r* + (log 2)/(2n) + O(1/n^2); measured n (slope - r*) = 0.348 at n = 256 "
                            "against (log 2)/2 = 0.347, but 0.20-0.23 at n = 64, where the 1/n^2 term still shows "
                            "(the chi-square test rejected a ladder starting there), hence n >= 256"), family="transfer",
        setup=("ladder axis = n_ICL (window [n, 2n]); each replicate is a batch of 500 importance-sampled posterior "
               "runs (K = 5, uniform prior, k* = 0, X ~ Unif[-1,1], sigma2 = 1)")))


REGISTRY.add_shown(Shown(
    id="transfer.shown.typical-rate",
    title="The typical (almost-sure) decay rate of the ICL misalignment, (1/n) log M -> -c/sigma2",
    reason="its convergence is O(n^-1/2) with a slowly decaying bias, too slow for the ladders in reach",
    family="transfer", figure="transfer_misalignment.png"))
REGISTRY.add_shown(Shown(
    id="transfer.shown.refined-excess-risk",
    title="Excess risk of fine-tuning on posterior-mean refined labels",
    reason="shown as a function of the simulated posterior weights; its limit in n_ICL was not derived as a "
           "separate prediction",
    family="transfer", figure="transfer_refined_risk.png"))


def _register_figures():
    from . import transfer_figures as F

    for maker in (F.mse_vs_lambda, F.hull_rate, F.misalignment_decay, F.refined_excess_risk):
        REGISTRY.add_figure("transfer", maker)


_register_figures()
