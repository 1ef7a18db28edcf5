r"""Claims of surrogate-to-target distillation (Ildiz et al. 2025, arXiv 2410.18837; docs/surrogate_distillation.md).

Every prediction is DERIVED under the setup of docs/surrogate_distillation.md §1 (min-norm target on ``n`` samples
of ``x ~ N(0, diag(lam))`` labelled by a surrogate ``theta``). The simulator gives, per design, the sign-averaged
risk of any diagonal surrogate (:mod:`w2s.kernels.surrogate_distillation`), so all surrogates of a claim share
their designs (common random numbers).

Ladders run in ``p`` with ``p/n`` fixed (``d`` below is ``p``; for the scaling law it is ``n``). Finite-size model:
``E[Q] = Q_inf + a/p``. Reason: the deterministic equivalent is a smooth function of the empirical spectral measure
of ``X X^T``, whose mean differs from its limit by ``O(1/n)`` for Gaussian designs; for the power law the
discreteness of the spectrum adds an Euler–Maclaurin ``O(1/n)`` term (and ``n^-(2 alpha - beta + 1)``, here
``n^-2``); the sign-averaged estimator's relative standard deviation is ``O(1/n)`` (measured: 2.7% at ``n = 100``,
0.3% at ``n = 800``), so the log of a ratio of two draws has an ``O(1/n^2)`` Jensen bias. The chi-square test
re-checks the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.surrogate_distillation import draw_diagonals, sign_averaged_risk
from w2s.theory._validate import check_nonneg, check_pos
from w2s.theory import surrogate_distillation as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, SharedSimulation

FAMILY = "surrogate_distillation"
SOURCE = "Ildiz, Gozeten, Taga, Mondelli, Oymak 2025, arXiv 2410.18837; docs/surrogate_distillation.md"
FS_REASON = ("smooth spectral functional of X X^T: O(1/n) bias, plus an O(1/n) Euler-Maclaurin term for the power "
             "law (docs/surrogate_distillation.md §3)")

#: ladders in p at p/n fixed. The sign-averaged risk has relative sd ~ 2.7/n (n = p/3 here), so 40 designs at
#: p = 240 resolve about 0.5%; the falsifier (5% of a risk) is then >= 20 SE beyond z_crit (measured, seeds 0-3).
P_FAST = Ladder(d=(240, 480, 960), reps=(40, 20, 20))
P_FULL = Ladder(d=(240, 480, 960, 1920), reps=(160, 80, 40, 20))


# ----- the two-level spectrum (a proportional limit: the DE does not depend on p) ----------------------------------

TWO_LEVEL = dict(gamma=3.0, frac=0.1, lam_hi=1.0, lam_lo=0.01, r2_hi=1.0, r2_lo=0.5, sigma2=0.1)


def two_level_problem(prm, p):
    """``(lam, beta_star, n)``: ``round(frac p)`` eigenvalues ``lam_hi`` carrying signal energy ``r2_hi``, the rest
    ``lam_lo`` carrying ``r2_lo`` (``||beta_star||_Sigma^2 = r2_hi + r2_lo``, spread evenly), ``n = round(p/gamma)``."""
    gamma = check_pos("gamma", prm["gamma"])
    for name in ("r2_hi", "r2_lo"):
        check_nonneg(name, prm[name])
    lam = T.two_level(p, prm["frac"], prm["lam_hi"], prm["lam_lo"])
    k = int(round(prm["frac"] * p))
    if not 0 < k < p:
        raise ValueError(f"frac must leave both levels non-empty at p = {p} (0 < round(frac p) < p), got {prm['frac']}")
    b = np.concatenate([np.full(k, np.sqrt(prm["r2_hi"] / (prm["lam_hi"] * k))),
                        np.full(p - k, np.sqrt(prm["r2_lo"] / (prm["lam_lo"] * (p - k))))])
    return lam, b, int(round(p / gamma))


def _surrogates(lam, b, n):
    """Gold labels, the optimal surrogate and the optimal 0-1 mask, as rows."""
    return np.vstack([b, T.optimal_surrogate(lam=lam, beta_star=b, n=n), b * T.optimal_mask(lam=lam, n=n)])


def _two_level_sim(prm, p, rng, reps):
    lam, b, n = two_level_problem(prm, p)
    th = _surrogates(lam, b, n)
    amp = T.amplified(lam=lam, n=n)
    out = np.empty((reps, 3))
    line = np.empty((reps, 2))
    for r in range(reps):
        D = draw_diagonals(lam, n, rng)
        out[r] = sign_averaged_risk(D, lam, b, th, prm["sigma2"])
        line[r] = _line_minimisers(D, lam, b, th[1], amp)
    return {"risk": out, "line": line}


def _line_minimisers(D, lam, b, base, amp):
    """Minimiser ``t*`` of the sampled risk along ``base + t delta`` for ``delta`` = ``base`` on the amplified and
    on the shrunk coordinates (the sampled risk is quadratic in ``t``: ``t* = -G/H``)."""
    out = []
    for keep in (amp, ~amp):
        delta = base * keep
        G = np.sum(delta * (base * D.PSP - lam * b * D.P))
        H = np.sum(delta**2 * D.PSP)
        out.append(-G / H)
    return out


def _two_level_predict(prm):
    lam, b, n = two_level_problem(prm, 1000)  # the DE is p-free for a two-level spectrum with integer blocks
    return [T.risk(lam=lam, beta_star=b, theta=t, n=n, sigma2=prm["sigma2"]) for t in _surrogates(lam, b, n)]


SHARED_2L = SharedSimulation("surrogate_distillation.two-level", _two_level_sim, TWO_LEVEL)
SETUP_2L = ("p = d, n = round(p/gamma); lam = lam_hi on round(frac p) coordinates, lam_lo on the rest; signal energy "
            "r2_hi and r2_lo spread evenly; sign-averaged risk of each design (w2s.kernels.surrogate_distillation)")

REGISTRY.add(Claim(
    id="distill.risk.two-level",
    title="Risk of the min-norm target for gold labels, the optimal surrogate and the optimal mask (two-level spectrum)",
    statement=("E||beta_hat - beta*||_Sigma^2 -> sum_i lam_i[(zeta_i^2 + (kappa-1)(1-zeta_i)^2) theta_i^2 - 2 zeta_i "
               "beta_i theta_i + beta_i^2] + sigma2 (kappa - 1) for theta = beta* (gold labels), theta_opt and the "
               "optimal 0-1 mask (which drops the low-eigenvalue block here)."),
    source=SOURCE + " §2.1-2.3", provenance="DERIVED under the setup of docs/surrogate_distillation.md §1",
    params=TWO_LEVEL, predict=_two_level_predict, simulate=SHARED_2L.observe(lambda raw: raw["risk"]),
    ladders={"fast": P_FAST, "full": P_FULL}, components=("R(beta*)", "R(theta_opt)", "R(mask)"),
    finite_size=1.0, finite_size_reason=FS_REASON, falsifier=0.05, family=FAMILY, setup=SETUP_2L))


def _gain_predict(prm):
    r = _two_level_predict(prm)
    return [r[0] - r[1]]


REGISTRY.add(Claim(
    id="distill.optimal-surrogate-beats-gold-labels",
    title="The optimal surrogate's labels beat gold labels at the same n and the same label noise",
    statement="R(beta*) - R(theta_opt) > 0, with its deterministic-equivalent value (two-level spectrum).",
    source=SOURCE + " §2.2", provenance="DERIVED under the setup of docs/surrogate_distillation.md §1",
    params=TWO_LEVEL, predict=_gain_predict,
    simulate=SHARED_2L.observe(lambda raw: raw["risk"][:, :1] - raw["risk"][:, 1:2]),
    ladders={"fast": P_FAST, "full": P_FULL}, components=("R(beta*)-R(theta_opt)",), sign=(True,),
    finite_size=1.0, finite_size_reason=FS_REASON, falsifier=0.2, family=FAMILY, setup=SETUP_2L))


def optimality_claim(cid: str, surrogate=None, register: bool = True) -> Claim:
    """"theta_opt minimises the risk": along ``theta + t delta`` (``delta`` = theta on the amplified, resp. the
    shrunk, coordinates) the sampled risk is minimised at ``t = 0``. ``surrogate(lam, beta_star, n)`` gives the
    base point (default: :func:`w2s.theory.surrogate_distillation.optimal_surrogate`); a wrong formula moves ``t*``
    away from 0, which the end-to-end tests use. The registered claim (default surrogate) shares the draws of
    ``distill.risk.two-level``."""
    shared = surrogate is None
    surrogate = surrogate or (lambda lam, b, n: T.optimal_surrogate(lam=lam, beta_star=b, n=n))

    def sim(prm, p, rng, reps):
        lam, b, n = two_level_problem(prm, p)
        base = surrogate(lam, b, n)
        amp = T.amplified(lam=lam, n=n)
        return np.array([_line_minimisers(draw_diagonals(lam, n, rng, noise=False), lam, b, base, amp)
                         for _ in range(reps)])

    claim = Claim(
        id=cid, title="The optimal surrogate is a minimiser: amplify above lam > (kappa - 1) tau, shrink below",
        statement=("The finite-n risk along theta_opt + t delta is minimised at t* -> 0, for delta = theta_opt on "
                   "the amplified coordinates (lam_i > (kappa-1) tau) and on the shrunk ones (t in units of delta)."),
        source=SOURCE + " §2.2", provenance="DERIVED under the setup of docs/surrogate_distillation.md §1",
        params=TWO_LEVEL, predict=lambda prm: [0.0, 0.0],
        simulate=SHARED_2L.observe(lambda raw: raw["line"]) if shared else sim, ladders={"fast": P_FAST, "full": P_FULL},
        components=("t*(amplified)", "t*(shrunk)"), scale=(1.0, 1.0), finite_size=1.0,
        finite_size_reason=FS_REASON + "; t* is a ratio of such functionals",
        falsifier=0.05, family=FAMILY, setup=SETUP_2L + "; t in units of delta (scale 1)")
    return REGISTRY.add(claim) if register else claim


optimality_claim("distill.optimal-surrogate-is-a-minimiser")


# ----- under-parameterised (n > p + 1): exact at every size, the optimum is beta* -------------------------------------

UNDER = dict(alpha=1.5, beta=2.0, n_over_p=2.0, sigma2=0.1)


def _under_problem(prm, p):
    lam, b = T.scaling_target(p, prm["alpha"], prm["beta"])
    n = int(round(prm["n_over_p"] * p))
    # the surrogate that would be optimal with p/2 samples (amplify and shrink), used at n > p
    return lam, b, n, np.vstack([b, T.optimal_surrogate(lam=lam, beta_star=b, n=p // 2)])


def _under_predict(prm):
    lam, b, n, th = _under_problem(prm, 40)
    return [T.risk_underparameterised(lam=lam, beta_star=b, theta=t, n=n, sigma2=prm["sigma2"]) for t in th]


def _under_sim(prm, p, rng, reps):
    lam, b, n, th = _under_problem(prm, p)
    return np.array([sign_averaged_risk(draw_diagonals(lam, n, rng), lam, b, th, prm["sigma2"]) for _ in range(reps)])


REGISTRY.add(Claim(
    id="distill.underparameterised.optimum-is-the-target",
    title="With more samples than features the optimal surrogate is beta* itself: no gain from distillation",
    statement=("n > p + 1: E||beta_hat - beta*||_Sigma^2 = ||theta - beta*||_Sigma^2 + sigma2 p/(n - p - 1) exactly "
               "(minimised by theta = beta*); certified for beta* and for the surrogate that is optimal with p/2 "
               "samples, which loses ||theta - beta*||_Sigma^2 here."),
    source=SOURCE + " §2.4", provenance="DERIVED under the setup of docs/surrogate_distillation.md §1 (exact)",
    params=UNDER, predict=_under_predict, simulate=_under_sim,
    ladders={"fast": Ladder(d=(40,), reps=(400,)), "full": Ladder(d=(40,), reps=(1600,))},
    components=("R(beta*)", "R(theta_opt at n = p/2)"), finite_size=0.0,
    finite_size_reason="exact at every size: the inverse-Wishart mean E tr((Z^T Z)^-1) = p/(n - p - 1)",
    falsifier=0.05, family=FAMILY, setup="p = d = 40, n = n_over_p p; power-law spectrum"))


# ----- the power-law spectrum: the risks scaled by n^(beta - 1) converge to the scaling constants ------------------

POWER = dict(alpha=1.5, beta=2.0, p_over_n=3.0)


def _power_predict(prm):
    c = T.scaling_constants(alpha=prm["alpha"], beta=prm["beta"], p_over_n=prm["p_over_n"])
    return [c["C_gold"], c["C_opt"], c["C_mask"]]


def _power_sim(prm, p, rng, reps):
    lam, b = T.scaling_target(p, prm["alpha"], prm["beta"])
    n = int(round(p / prm["p_over_n"]))
    th = _surrogates(lam, b, n)
    return np.array([sign_averaged_risk(draw_diagonals(lam, n, rng, noise=False), lam, b, th) for _ in range(reps)]) \
        * n ** (prm["beta"] - 1.0)


REGISTRY.add(Claim(
    id="distill.risk.power-law",
    title="Risk of the min-norm target for gold labels, the optimal surrogate and the optimal mask (power law)",
    statement=("lam_i = i^-alpha, lam_i beta_i^2 = i^-beta, p = c n, no label noise: n^(beta-1) R -> C_gold, C_opt, "
               "C_mask, the deterministic equivalent's scaling limits (u = tau n^alpha from int_0^c dx/(1 + u "
               "x^alpha) = 1)."),
    source=SOURCE + " §2.1-2.3, §2.5", provenance="DERIVED under the setup of docs/surrogate_distillation.md §1",
    params=POWER, predict=_power_predict, simulate=_power_sim, ladders={"fast": P_FAST, "full": P_FULL},
    components=("n^(b-1) R(beta*)", "n^(b-1) R(theta_opt)", "n^(b-1) R(mask)"), finite_size=1.0,
    finite_size_reason=FS_REASON, falsifier=0.05, family=FAMILY,
    setup="p = d, n = round(p/p_over_n); lam_i = i^-alpha, beta_i = i^((alpha - beta)/2); sigma2 = 0"))


# ----- the scaling law: the exponent in n is the same with gold labels and the optimal surrogate --------------------

SCALING = dict(alpha=2.0, beta=2.0, p_over_n=2.0, ratio=2.0)


def _scaling_predict(prm):
    e = T.risk_exponent(alpha=prm["alpha"], beta=prm["beta"], p_over_n=prm["p_over_n"])
    c = T.scaling_constants(alpha=prm["alpha"], beta=prm["beta"], p_over_n=prm["p_over_n"])
    return [e, e, 0.0, 1.0 - c["ratio"]]


def _scaling_sim(prm, n, rng, reps):
    """Per replicate: independent designs at ``n`` and ``ratio n`` (``p = p_over_n n``); the local exponents
    ``-log(R(ratio n)/R(n))/log(ratio)`` with gold labels and with the optimal surrogate, their difference, and the
    gain ``1 - R_opt(n)/R_gold(n)``."""
    sizes = (int(n), int(round(prm["ratio"] * n)))
    probs = []
    for m in sizes:
        lam, b = T.scaling_target(int(round(prm["p_over_n"] * m)), prm["alpha"], prm["beta"])
        probs.append((lam, b, m, np.vstack([b, T.optimal_surrogate(lam=lam, beta_star=b, n=m)])))
    out = np.empty((reps, 4))
    lr = np.log(prm["ratio"])
    for r in range(reps):
        R = [sign_averaged_risk(draw_diagonals(lam, m, rng, noise=False), lam, b, th) for lam, b, m, th in probs]
        e = -np.log(R[1] / R[0]) / lr
        out[r] = e[0], e[1], e[0] - e[1], 1.0 - R[0][1] / R[0][0]
    return out


REGISTRY.add(Claim(
    id="distill.scaling-law.same-exponent-better-constant",
    title="Distillation from the optimal surrogate keeps the risk's exponent in n and improves its constant",
    statement=("lam_i = i^-alpha, lam_i beta_i^2 = i^-beta, p = c n: the local exponent -dlog R/dlog n -> beta - 1 "
               "for gold labels and for the optimal surrogate (difference -> 0), while R_opt/R_gold -> C_opt/C_gold "
               "< 1 (the gain 1 - C_opt/C_gold > 0 is a sign component)."),
    source=SOURCE + " §2.5", provenance="DERIVED under the setup of docs/surrogate_distillation.md §1",
    params=SCALING, predict=_scaling_predict, simulate=_scaling_sim,
    ladders={"fast": Ladder(d=(50, 100, 200), reps=(200, 100, 30)),
             "full": Ladder(d=(50, 100, 200, 400, 800), reps=(400, 200, 80, 30, 20))},
    components=("exponent(gold)", "exponent(theta_opt)", "difference", "1 - R_opt/R_gold"),
    scale=(1.0, 1.0, 1.0, None), sign=(False, False, False, True), finite_size=1.0,
    finite_size_reason=("the deterministic equivalent's local exponent is beta - 1 + O(1/n) (Euler-Maclaurin; "
                        "measured 0.9912, 0.9956, 0.9978 at n = 100, 200, 400), the draws add an O(1/n^2) Jensen bias"),
    falsifier=0.05, family=FAMILY,
    setup="d = n; independent designs at n and ratio n, p = p_over_n n; no label noise; exponents scaled by 1"))


# ----- figures --------------------------------------------------------------------------------------------------

def risk_vs_n(run, figdir: Path, seed: int):
    """Risk against n on the power law: DE curves for gold labels, the optimal surrogate and the mask, with
    simulated points; the scaling law's slope beta - 1 as a guide."""
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    prm = POWER
    ns = np.unique(np.geomspace(50, 10000, 25).astype(int))
    labels = ("gold labels (beta*)", "optimal surrogate", "optimal 0-1 mask")
    curves = np.array([_surrogate_de(prm, n) for n in ns])
    rng = generator(seed, "figure:distill:risk-vs-n")
    n_sim = np.array([50, 100, 200, 400])
    sims = []
    for n in n_sim:
        p = int(round(prm["p_over_n"] * n))
        lam, b = T.scaling_target(p, prm["alpha"], prm["beta"])
        th = _surrogates(lam, b, n)
        sims.append(np.mean([sign_averaged_risk(draw_diagonals(lam, n, rng, noise=False), lam, b, th)
                             for _ in range(10)], axis=0))
    sims = np.array(sims)
    for k, lab in enumerate(labels):
        ax.loglog(ns, curves[:, k], color=f"C{k}", label=lab)
        ax.loglog(n_sim, sims[:, k], "o", color=f"C{k}", ms=4)
    ax.loglog(ns, curves[0, 0] * (ns / ns[0]) ** -(prm["beta"] - 1), "k:", lw=0.8, label="slope -(beta - 1)")
    ax.set_xlabel("n (p = 3 n)")
    ax.set_ylabel("excess risk")
    ax.set_title("lam_i = i^-1.5, lam_i beta_i^2 = i^-2: DE (lines), simulation (10 designs)", fontsize=8)
    ax.legend(fontsize=7)
    lam, b, n = two_level_problem(TWO_LEVEL, 600)
    lam_p, b_p = T.scaling_target(600, prm["alpha"], prm["beta"])
    for lam_, b_, n_, lab in ((lam_p, b_p, 200, "power law, p = 600, n = 200"),):
        de = T.solve_de(lam_, n_)
        th = T.optimal_surrogate(lam=lam_, beta_star=b_, n=n_)
        ax2.semilogx(lam_, th / b_, label=lab)
        ax2.axvline((de.kappa - 1) * de.tau, color="k", ls=":", lw=0.8, label="lam = (kappa - 1) tau")
    ax2.axhline(1.0, color="grey", lw=0.5)
    ax2.set_xlabel("eigenvalue lam_i")
    ax2.set_ylabel("theta_opt,i / beta*_i")
    ax2.set_title("The optimal surrogate amplifies above (kappa - 1) tau and shrinks below", fontsize=8)
    ax2.legend(fontsize=7)
    path = save(fig, figdir / "distill_risk_vs_n.png")
    return [(path, "Surrogate distillation: risk of the min-norm target against n for gold labels, the optimal "
                   "surrogate and the optimal mask (power law; same slope, lower constant), and the optimal "
                   "surrogate's amplification profile against the eigenvalue.")]


def _surrogate_de(prm, n):
    p = int(round(prm["p_over_n"] * n))
    lam, b = T.scaling_target(p, prm["alpha"], prm["beta"])
    return [T.risk(lam=lam, beta_star=b, theta=t, n=n) for t in _surrogates(lam, b, n)]


REGISTRY.add_figure(FAMILY, risk_vs_n)
