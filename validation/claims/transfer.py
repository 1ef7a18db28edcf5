r"""Registered claims for the transfer-learning view of W2S (Somerstep et al., ICLR 2025, arXiv 2405.16236).

Every prediction is DERIVED in the model RECONSTRUCTED in docs/transfer.md §1 (model and normalisation in
:mod:`w2s.theory.transfer`); none is the paper's own statement. The ladder axis ``d`` of the
framework is the **sample size** ``n`` here (the feature dimension is fixed, ``d_feat = 30``), or ``n_ICL`` for the
posterior identity; each claim's ``setup`` says which.

Certified: the naive fine-tuning floor and its attainment at ``lam*`` (docs/transfer.md §2.2), the floor as a lower
bound on a ``lam`` grid (signs resolved), the convex-hull limit for a biased and an unbiased weak model (§2.3), the
martingale identity of the Bayes weights (§2.4), and the Chernoff mean rate ``r*`` of the misalignment (§2.5).
For the rate, plain Monte Carlo is not enough: the windowed slopes of ``-log E[M]`` stay about 7% above ``r*`` up
to ``n_ICL = 128``, where ``E[M] ~ 2e-4``. Importance sampling (exponential tilting against a mixture of the
competitors, :func:`w2s.kernels.transfer.icl_misalignment_is`) reaches ``n_ICL = 4096`` (``E[M] ~ 1e-107``), where
the slope's ``(log 2)/(2n)`` correction (Bahadur–Rao; the fitted coefficient matches it) is small and a ``1/n``
extrapolation pins ``r*``. Also certified: the typical rate ``(1/n) log M -> -c/sigma2`` (log-space kernel, window
slope, ``n^-1/2`` correction), and the paper's setting (identity covariance, a weak bias with a target component;
docs/transfer.md §2.8). Shown only: the excess risk after refinement (figure).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.transfer import (draw_features, hull_fit_errors, hull_grams, hull_weights_gaussian_reduced,
                                  icl_log_misalignment, icl_misalignment_is, icl_posteriors, naive_errors,
                                  posterior_weights, refine_then_ols_error, weak_labels)
from w2s.theory import transfer as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, Shown


SOURCE = "Somerstep et al. 2025, arXiv 2405.16236 (ICLR 2025); docs/transfer.md"
D_FEAT = 30
K = 5


def _prior(p):
    return np.full(p["K"], 1.0 / p["K"])


# ----- naive fine-tuning floor (docs/transfer.md §2.2) ----------------------------------------------------------------

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
    source=SOURCE + " §2.2 (the paper's naive fine-tuning bound, form RECONSTRUCTED)",
    provenance="DERIVED in the reconstructed model (docs/transfer.md §1, §2.2)",
    params=_NP, predict=_naive_predict, simulate=_naive_simulate,
    # twice the replicates of the statistical need: MSE(0.1)-H had falsifier/stat ~ 15, and 99% power against it
    # failed in ~3% of seeds once the extrapolation's systematic error joins the total error
    ladders={"fast": Ladder(d=(2000, 4000, 8000, 16000), reps=(8000, 4000, 2000, 1000)),
             "full": Ladder(d=(2000, 4000, 8000, 16000, 32000, 64000), reps=(16000, 8000, 4000, 2000, 1000, 500))},
    components=("MSE(lam*)",) + tuple(f"MSE({lam:g})-H" for lam in _NP["lam_grid"]),
    sign=(False,) + (True,) * len(_NP["lam_grid"]), finite_size=1.0,
    finite_size_reason="the estimation variance adds sigma2 d c/((c + lam)^2 n) to the bias: an O(1/n) "
    "correction (docs/transfer.md §2.2); at lam = 0 the next term is O(d^2/n^2) (E tr S^-1 has d/(n - d)-type "
    "corrections), which rejected the 1/n model on a ladder starting at n = 500 = 17 d, hence n >= 2000",
    family="transfer",
    setup=("ladder axis = sample size n; K = 5 orthonormal concepts e_k, uniform source prior, target k* = 0, weak bias "
           "b e_K with b^2 = 1, X ~ Unif[-1,1]^30 (c = 1/3), sigma2 = 1; the lam grid shares each draw")))


# ----- convex-hull estimator (docs/transfer.md §2.3) ------------------------------------------------------------------

def _hull_predict(p):
    return T.convex_hull_limit(p["K"], p["sigma2"], p["b2"], p["design"])[0]


def _hull_simulate(p, n, rng, reps):
    W = hull_grams(int(n), p["K"], p["design"], rng, reps)
    return n * hull_fit_errors(W, int(n), p["K"], np.sqrt(p["b2"]), p["sigma2"], 0)


#: 4x the replicates of the original design: falsifier/stat ~ 11. With the power computed exactly given the run's sys
#: (validation.stats, step 6), a Monte Carlo of the fit variants under the model gives random power failures in 0.7%
#: of seeds (one in 5 calibration seeds with the former power formula). Six rungs n = 250 ... 8000 would give 0.03%,
#: but cost 1.4x in CPU (the per-replicate NNLS overhead dominates at small n): not taken, to keep the test suite's time.
HULL_LADDERS = {"fast": Ladder(d=(250, 1000, 4000, 16000), reps=(64000, 64000, 48000, 32000)),
                "full": Ladder(d=(250, 1000, 4000, 16000, 64000), reps=(128000, 128000, 96000, 64000, 16000))}

for _name, _b2 in (("biased", 1.0), ("unbiased", 0.0)):
    REGISTRY.add(Claim(
        id=f"transfer.convex-hull-limit.{_name}",
        title=f"The concepts' convex hull removes the weak bias ({_name} weak model)",
        statement=("n E||beta_C - beta_Q||^2 -> (sigma2 + c ||beta^w||^2) delta / c, with delta the statistical "
                   "dimension of the tangent cone of the concepts' simplex at the target vertex (K = 5: delta = "
                   "1.2929 +- 0.0013 by 2e6-sample Monte Carlo, a 0.1% uncertainty far below the resolution); the "
                   "bias ||beta^w||^2 survives only as extra noise."),
        source=SOURCE + " §2.3 (the paper's convex-hull result, form RECONSTRUCTED)",
        provenance="DERIVED in the reconstructed model (docs/transfer.md §1, §2.3)",
        params=dict(K=K, b2=_b2, sigma2=1.0, design="uniform"), predict=_hull_predict, simulate=_hull_simulate,
        ladders=HULL_LADDERS, components=("n*MSE",), finite_size=1.0,
        finite_size_reason=("for large n the estimate lies in the vertex's neighbourhood, where the simplex is its "
                            "tangent cone; the design Gram matrix S = c I + O(n^-1/2) perturbs the projection's "
                            "mean at second order: O(1/n)"), family="transfer",
        setup=("ladder axis = sample size n; only the K + 1 feature coordinates along the concepts and the bias enter "
               "the estimator, so only they are drawn (exact for any d), row by row into the fit's sufficient "
               "statistics (w2s.kernels.transfer.hull_grams); simplex-constrained least squares by enumerating "
               "the simplex's faces (w2s.kernels.transfer.simplex_ls_weights_batch, equal to scipy NNLS to 1e-9)")))


# ----- the paper's setting: identity covariance (c = 1) and a weak bias with a target component (docs/transfer.md §2.8)

PAPER_TS = (0.0, -0.5, 0.5)  # target components of the weak bias beta^w = t beta_k* + b e_K, b^2 = 1
_PP = dict(K=K, b2=1.0, sigma2=1.0, design="gaussian", d_feat=D_FEAT, ts=PAPER_TS)


def _ts(p):
    try:
        return tuple(float(t) for t in np.atleast_1d(np.asarray(p["ts"], float)))
    except (TypeError, ValueError):
        raise ValueError(f"ts must be a number or a list of numbers (target components of the weak bias), got "
                         f"{p['ts']!r}") from None


def _paper_naive_predict(p):
    return [T.naive_floor_target(_prior(p), 0, p["b2"], t, p["design"])[0] for t in _ts(p)]


def _paper_naive_simulate(p, n, rng, reps):
    """One design and noise draw per replicate, shared by every t (Y_t = Y_0 + t x_k*), each at its own lam*_t."""
    a, d = _prior(p), p["d_feat"]
    beta_P = np.zeros(d)
    beta_P[: p["K"]] = a
    beta_Q = np.zeros(d)
    beta_Q[0] = 1.0
    lams = [T.naive_floor_target(a, 0, p["b2"], t, p["design"])[1] for t in _ts(p)]
    out = np.empty((reps, len(lams)))
    for r in range(reps):
        X = draw_features(n, d, p["design"], rng)
        Y = weak_labels(X, 0, p["K"], np.sqrt(p["b2"]), p["sigma2"], rng)
        for j, (t, lam) in enumerate(zip(_ts(p), lams)):
            out[r, j] = naive_errors(X, Y + t * X[:, 0], beta_P, beta_Q, [lam])[0]
    return out


REGISTRY.add(Claim(
    id="transfer.paper-setting.naive-floor",
    title="Identity-covariance features, weak bias orthogonal to the non-target concepts only: the naive floor",
    statement=("Gaussian features (c = 1, the prediction MSE equals the parameter error). With beta^w = t beta_k* + "
               "b e_K (b^2 = 1): min over lam of the limiting MSE is H = (eps_P^2 eps_Q'^2 - kappa^2)/(eps_P^2 + "
               "eps_Q'^2 - 2 kappa), eps_Q'^2 = t^2 + b^2, kappa = t (alpha_k* - 1), attained at lam* = c(1 - a*)/a*; "
               "certified at t = 0 (the orthogonal floor 0.444), t = -0.5 (0.672) and t = +0.5 (0.295)."),
    source=SOURCE + " §2.8 (the paper's setting as described in public reviews)",
    provenance="DERIVED in the reconstructed model with the weaker orthogonality (docs/transfer.md §2.8)",
    params=_PP, predict=_paper_naive_predict, simulate=_paper_naive_simulate,
    ladders={"fast": Ladder(d=(2000, 4000, 8000, 16000), reps=(400, 200, 100, 50)),
             "full": Ladder(d=(2000, 4000, 8000, 16000, 32000), reps=(6400, 3200, 1600, 800, 400))},
    components=tuple(f"MSE(lam*) t={t:g}" for t in PAPER_TS), finite_size=1.0,
    finite_size_reason="the estimation variance sigma2 d c/((c + lam)^2 n) at lam* > 0: O(1/n) (docs/transfer.md §2.2)",
    family="transfer",
    setup=("ladder axis = sample size n; K = 5 concepts e_k, uniform source prior, k* = 0, weak labels "
           "(1 + t) x_0 + x_K + eps, X ~ N(0, I_30) (c = 1), sigma2 = 1; one draw shared by the three t")))


HULL_TS = (-0.5, -1.0)
#: n MSE and n |w - w*|^2 are chi^2-type variables (relative sd about 1.4 per draw): on the reduced sampler's ladder
#: they are detected with 99% power from 4-8% (seeds 0, 1 and two calibration seeds), the MSE components from 0.1%;
#: a 20% error is the declared falsifier (2.5 times the coarsest 99%-power error; the c = 1 limit is half the
#: c = 1/3 one, and an exact bias removal misses the t < 0 bias entirely). It was 40% on the explicit sampler's
#: budget, where those components were resolved to 9-19% only.
PAPER_HULL_FALSIFIER = 0.2


def _w_star(p, t):
    """The population minimiser over the simplex for the weak concept (1 + t) e_k*, t < 0 (docs/transfer.md §2.8)."""
    w = np.full(p["K"], -t / p["K"])
    w[0] = 1.0 + t * (p["K"] - 1) / p["K"]
    return w


def _paper_hull_predict(p):
    if p["design"] != "gaussian":
        raise ValueError(f"design must be 'gaussian' for this claim (the variance constant needs c = 1), got "
                         f"{p['design']!r}")
    c0 = T.convex_hull_limit(p["K"], p["sigma2"], p["b2"], p["design"])[0]
    return ([c0] + [T.hull_target_bias(p["K"], t) for t in _ts(p)]
            + [T.hull_target_variance(p["K"], p["sigma2"], p["b2"], t) for t in _ts(p)])


def _paper_hull_simulate(p, n, rng, reps):
    """On the exact reduced sampler of the Gaussian design (the estimator's sufficient statistics drawn from their
    Wishart law, O(1) per replicate whatever n: w2s.kernels.transfer.hull_weights_gaussian_reduced)."""
    ts = _ts(p)
    W = hull_weights_gaussian_reduced(int(n), p["K"], np.sqrt(p["b2"]), p["sigma2"], (0.0,) + ts, rng, reps)
    e = W.copy()
    e[:, :, 0] -= 1.0
    err = np.sum(e**2, axis=2)  # ||w - e_0||^2 per t
    out = np.empty((reps, 1 + 2 * len(ts)))
    out[:, 0] = n * err[:, 0]
    out[:, 1:1 + len(ts)] = err[:, 1:]
    for j, t in enumerate(ts):
        out[:, 1 + len(ts) + j] = n * np.sum((W[:, 1 + j] - _w_star(p, t)) ** 2, axis=1)
    return out


REGISTRY.add(Claim(
    id="transfer.paper-setting.convex-hull",
    title="Identity-covariance features: the convex hull's limit, and what it leaves of a target component of the bias",
    statement=("Gaussian features (c = 1): n E||beta_C - beta_Q||^2 -> (sigma2 + b^2) delta (b^2 = 1, orthogonal "
               "bias); with beta^w = t beta_k* + b e_K and t < 0 the hull keeps the bias t^2 (K - 1)/K (the part of the "
               "shortfall inside the hull's directions) and n E||beta_C - w*||^2 -> (sigma2 + b^2 + t^2/K)(K - 1) "
               "around the interior minimiser w*; certified at t = -0.5 and -1 (for t >= 0 the vertex is recovered)."),
    source=SOURCE + " §2.8 (the paper's setting as described in public reviews)",
    provenance="DERIVED in the reconstructed model with the weaker orthogonality (docs/transfer.md §2.3, §2.8)",
    params=dict(_PP, ts=HULL_TS), predict=_paper_hull_predict, simulate=_paper_hull_simulate,
    falsifier=PAPER_HULL_FALSIFIER,
    # The reduced sampler costs the same at every n (a few us a replicate: three batched simplex fits), so the ladder
    # starts at n = 4000 and goes to 2.6e5 with equal replicates. The explicit sampler's ladder (n = 2000 ... 16000,
    # 3000 ... 400 replicates) left n*MSE t=0 at stat 0.117 against a falsifier of 1.03: the fit variants' shifts
    # (0.14-0.18) took the 99% power below 0.99 in 2 of 5 calibration seeds.
    ladders={"fast": Ladder(d=(4000, 16000, 64000, 256000), reps=(6000, 6000, 6000, 6000)),
             "full": Ladder(d=(4000, 16000, 64000, 256000, 1024000), reps=(24000, 24000, 24000, 24000, 24000))},
    components=("n*MSE t=0",) + tuple(f"MSE t={t:g}" for t in HULL_TS) + tuple(f"n*|w-w*|^2 t={t:g}" for t in HULL_TS),
    finite_size=1.0,
    finite_size_reason=("t = 0: as transfer.convex-hull-limit; t < 0: the minimiser is interior, the fit is least "
                        "squares on the K - 1 hull directions with E tr((Z^T Z)^-1) = (K - 1)/(n - K) (a K/n "
                        "correction) and the constraint active with probability exponentially small in n (ladder "
                        "from n = 4000: w*_k = -t/K is 5 sd of a coordinate away from 0 at t = -0.5)"),
    family="transfer",
    setup=("ladder axis = sample size n; K = 5, k* = 0, only the K + 1 coordinates along the concepts and the bias "
           "drawn, X ~ N(0, I) (c = 1), weak labels (1 + t) x_0 + x_K + eps, sigma2 = 1; one draw shared by the t; "
           "exact reduced sampler: the Gram of [x_0 .. x_K, eps] drawn as Wishart_{K+2}(n, I) (Bartlett)")))


# ----- Bayes weights: martingale identity (docs/transfer.md §2.4) -----------------------------------------------------

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
    source=SOURCE + " §2.4",
    provenance="DERIVED (exact identity) in the reconstructed model (docs/transfer.md §1, §2.4)",
    params=dict(K=K, sigma2=1.0, design="uniform"), predict=_mart_predict, simulate=_mart_simulate,
    # (E(pi_4/pi_0) had 97% power against the 5% falsifier with half these replicates)
    ladders={"fast": Ladder(d=(1, 2, 4), reps=(40000, 40000, 80000)),
             "full": Ladder(d=(1, 2, 4, 6), reps=(80000, 80000, 160000, 160000))},
    components=tuple(f"E(pi_{k}/pi_0)" for k in range(1, K)), finite_size=0.0,
    finite_size_reason="exact identity at every n_ICL (the variance grows exponentially in n_ICL, so the ladder "
    "stays short)", family="transfer",
    setup="ladder axis = n_ICL; K = 5, uniform prior, b = 0, sigma2 = 1, X ~ Unif[-1,1] (numba posterior kernel)"))


# ----- Chernoff mean rate of the misalignment (docs/transfer.md §2.5) -------------------------------------------------

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
        source=SOURCE + " §2.5 (structure of the paper's refinement bound RECONSTRUCTED; rate DERIVED)",
        provenance="DERIVED in the reconstructed model (docs/transfer.md §1, §2.5)",
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


def _typical_predict(p):
    return T.typical_rate(p["sigma2"], p["design"])


def _typical_simulate(p, n, rng, reps):
    """Per replicate, the doubling-window slope -(log M_2n - log M_n)/n of one posterior trajectory, with log M
    computed in log space (w2s.kernels.transfer.icl_log_misalignment; M itself underflows beyond n c/sigma2 ~ 708)."""
    L = icl_log_misalignment(reps, [n, 2 * n], _prior(p), 0, np.sqrt(p["b2"]), p["sigma2"], p["design"], rng)
    return -(L[:, 1] - L[:, 0]) / n


REGISTRY.add(Claim(
    id="transfer.typical-rate.biased",
    title="ICL refinement: the typical misalignment decays at rate c/sigma2, the weak bias cancelling",
    statement=("(1/n_ICL) log(1 - pi_k*) -> -c/sigma2 almost surely (1/3 for the uniform design, sigma2 = 1), whatever "
               "the weak bias orthogonal to the concepts: certified as the per-trajectory doubling-window slope "
               "-(log M_2n - log M_n)/n -> c/sigma2 for |beta^w|^2 = 1, with its n^-1/2 correction."),
    source=SOURCE + " §2.6", provenance="DERIVED in the reconstructed model (docs/transfer.md §1, §2.6)",
    params=dict(K=K, b2=1.0, sigma2=1.0, design="uniform"), predict=_typical_predict, simulate=_typical_simulate,
    ladders={"fast": Ladder(d=(256, 1024, 4096, 16384), reps=(8192, 2048, 512, 128)),
             "full": Ladder(d=(256, 1024, 4096, 16384, 65536), reps=(32768, 8192, 2048, 512, 128))},
    components=("-(log M_2n - log M_n)/n",), finite_size=0.5,
    finite_size_reason=("log M = -min_k S_k + O(1), S_k the log-odds random walk against competitor k: the minimum of "
                        "K - 1 correlated walks sits O(sqrt n) below its drift, so the window slope has an n^-1/2 "
                        "correction (measured coefficient about -0.32), and the O(1) terms cancel in the window"),
    family="transfer",
    setup=("ladder axis = n_ICL; K = 5, uniform prior, b^2 = 1, sigma2 = 1, X ~ Unif[-1,1] (c = 1/3); one trajectory "
           "per replicate read at n and 2n; log-space posterior kernel")))
REGISTRY.add_shown(Shown(
    id="transfer.shown.refined-excess-risk",
    title="Excess risk of fine-tuning on posterior-mean refined labels",
    reason=("shown as a function of the simulated posterior weights; its limit in n_ICL is 0 and its decay "
            "exponent lies between r* and 2 r* (the risk is between (1 - pi_k*)^2 K/(K-1) and 2 (1 - pi_k*)^2, "
            "docs/transfer.md §2.7), but -(1/n) log E[(1 - pi_k*)^2] is a different Chernoff exponent "
            "(the tilt of the squared misalignment) that was not derived, and plain Monte Carlo reads it only to "
            "n_ICL ~ 128"),
    family="transfer", figure="transfer_refined_risk.png"))




# ==============================================================================================================
# Figures for the transfer family (Somerstep et al. 2025): theory with simulation points.
#
# Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each with a small seeded simulation (seconds).
# ==============================================================================================================


K, D = 5, 30
PRIOR = np.full(K, 1.0 / K)


def mse_vs_lambda(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    lam_th = np.geomspace(1e-3, 100, 200)
    lam_sim = np.geomspace(1e-2, 30, 12)
    beta_P = np.zeros(D)
    beta_P[:K] = PRIOR
    beta_Q = np.zeros(D)
    beta_Q[0] = 1.0
    H = T.naive_floor(PRIOR, 0, 1.0)
    for k, n in enumerate((500, 4000)):
        rng = generator(seed, f"figure:transfer:mse:{n}")
        errs = np.array([naive_errors(*(lambda X: (X, weak_labels(X, 0, K, 1.0, 1.0, rng)))(
            draw_features(n, D, "uniform", rng)), beta_P, beta_Q, lam_sim) for _ in range(40)])
        ax.errorbar(lam_sim, errs.mean(0), yerr=2 * errs.std(0, ddof=1) / np.sqrt(40), fmt="o", ms=4, color=f"C{k}",
                    capsize=2, label=f"simulation, n = {n}")
        ax.plot(lam_th, T.naive_mse(lam_th, n, D, PRIOR, 0, 1.0, 1.0), color=f"C{k}", lw=1)
    ax.plot(lam_th, T.naive_bias(lam_th, PRIOR, 0, 1.0), "k--", lw=1, label="n -> inf (bias)")
    ax.axhline(H, color="r", lw=1, label=f"floor H = {H:.3f}")
    ax.axvline(T.naive_lambda_star(PRIOR, 0, 1.0), color="r", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("lam (ridge toward the source beta_P)")
    ax.set_ylabel("||beta_lam - beta_Q||^2")
    ax.set_title("Naive fine-tuning on biased weak labels (K = 5, |beta^w| = 1, d = 30)", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "transfer_mse_vs_lambda.png")
    return [(path, "Transfer (Somerstep et al.): error of ridge-to-source fine-tuning against lam, with the floor "
                   "eps_P^2 eps_Q'^2/(eps_P^2 + eps_Q'^2) reached only at lam* (dotted) as n grows.")]


def hull_rate(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    ns = np.array([250, 500, 1000, 2000, 4000, 8000])
    for k, b2 in enumerate((1.0, 0.0)):
        rng = generator(seed, f"figure:transfer:hull:{b2}")
        m, se = [], []
        for n in ns:
            vals = _hull_simulate(dict(K=K, b2=b2, sigma2=1.0, design="uniform"), int(n), rng, 400)
            m.append(np.mean(vals))
            se.append(np.std(vals, ddof=1) / np.sqrt(len(vals)))
        ax.errorbar(ns, m, yerr=2 * np.array(se), fmt="o", ms=4, color=f"C{k}", capsize=2,
                    label=f"convex hull, |beta^w|^2 = {b2:g}")
        ax.axhline(T.convex_hull_limit(K, 1.0, b2)[0], color=f"C{k}", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("n ||beta_C - beta_Q||^2")
    ax.set_title("Convex-hull estimator: n MSE -> (sigma2 + c |beta^w|^2) delta / c (lines)", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "transfer_hull_rate.png")
    return [(path, "Transfer: the convex-hull estimator's n MSE against n for a biased and an unbiased weak model; "
                   "the bias is removed and only inflates the noise. OLS on the same labels keeps the bias |beta^w|^2 "
                   "= 1 (not shown: n MSE grows linearly).")]


def misalignment_decay(run, figdir: Path, seed: int):
    """-log E[M] against n_ICL (plain Monte Carlo) with the predicted Chernoff slope (certified by importance
    sampling at larger n_ICL by the transfer.misalignment-rate claims)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    ns = np.arange(0, 129, 8)
    for k, b2 in enumerate((1.0, 0.0)):
        M, _R = icl_posteriors(60000, ns, PRIOR, 0, np.sqrt(b2), 1.0, "uniform",
                               generator(seed, f"figure:transfer:icl:{b2}"))
        Mm = M.mean(0)
        ax.plot(ns, -np.log(Mm), "o", ms=4, color=f"C{k}", label=f"simulation, |beta^w|^2 = {b2:g}")
        r = T.chernoff_rate(1.0, b2).rate
        ax.plot(ns, -np.log(Mm[4]) + r * (ns - ns[4]), color=f"C{k}", lw=1, label=f"slope r* = {r:.4f}")
    ax.set_xlabel("n_ICL")
    ax.set_ylabel("-log E[1 - pi_k*]")
    ax.set_title("ICL refinement: misalignment decays exponentially at the Chernoff rate r*", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "transfer_misalignment.png")
    return [(path, "Transfer: -log E[misalignment] against n_ICL (plain Monte Carlo, 60000 replicates) with lines of "
                   "the Chernoff slope r*. Up to n_ICL = 128 the slopes read about 7% above r* (the (log 2)/(2n)-type "
                   "Bahadur-Rao correction); the claims transfer.misalignment-rate.* certify r* by importance "
                   "sampling up to n_ICL = 4096.")]


def refined_excess_risk(run, figdir: Path, seed: int):
    """Shown: excess risk after ICL refinement + OLS fine-tuning against n_ICL (docs/transfer.md §2.7)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    ns = np.arange(0, 97, 8)
    Xq = draw_features(200, D, "uniform", generator(seed, "figure:transfer:refine:queries"))
    for k, b2 in enumerate((1.0, 0.0)):
        _M, R = icl_posteriors(4000, ns, PRIOR, 0, np.sqrt(b2), 1.0, "uniform",
                               generator(seed, f"figure:transfer:refine:{b2}"))
        P = posterior_weights(R)
        risk = (1 - P[:, :, 0]) ** 2 + np.sum(P[:, :, 1:] ** 2, axis=2)
        check = refine_then_ols_error(P[0, -1], Xq, 0)  # the OLS refit reproduces the closed form exactly
        assert abs(check - risk[0, -1]) < 1e-8 * max(1.0, risk[0, -1])
        ax.semilogy(ns, risk.mean(0), "o-", ms=4, color=f"C{k}", label=f"refine + OLS, |beta^w|^2 = {b2:g}")
        r = T.chernoff_rate(1.0, b2).rate
        ax.semilogy(ns, risk.mean(0)[2] * np.exp(-r * (ns - ns[2])), ":", color=f"C{k}",
                    label=f"slope -r* = -{r:.3f} (for reference)")
    ax.axhline(T.naive_floor(PRIOR, 0, 1.0), color="r", lw=1, label="naive fine-tuning floor (|beta^w|^2 = 1)")
    ax.set_xlabel("n_ICL")
    ax.set_ylabel("E||beta_hat - beta_Q||^2 after refinement")
    ax.set_title("ICL refinement then fine-tuning: excess risk decays exponentially (shown)", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "transfer_refined_risk.png")
    return [(path, "Transfer, shown only: excess risk of ICL refinement followed by OLS fine-tuning on the refined "
                   "labels, against n_ICL (4000 replicates). It drops below the naive fine-tuning floor after a few "
                   "examples and keeps decaying exponentially (shown; only the misalignment's rate is certified).")]


# ----- figures of the family, drawn into the report --------------------------------------------------------------
for _maker in (mse_vs_lambda, hull_rate, misalignment_decay, refined_excess_risk):
    REGISTRY.add_figure("transfer", _maker)
