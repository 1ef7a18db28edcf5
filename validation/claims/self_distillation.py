r"""Claims of self_distillation (docs/self_distillation.md): the ridge student on mixed labels
``xi * teacher + (1 - xi) * y``, in the proportional limit.

Conditional on the data the student's risk is exactly the quadratic ``R + xi lam R' + xi^2 lam^2 c`` (checked
draw by draw, to rounding, in ``tests/test_self_distillation.py``); the claims here certify the ``d -> inf``
limits of the literal student's risk curve, of its minimiser ``xi*`` and gain, and the sign rule
``sign(xi*) = -sign(R'(lam))`` on both sides of ``lam* = sigma2 gamma / r2`` (signs as sign components).

Simulation: the exact-in-law reduced model :func:`w2s.kernels.self_distillation.reduced_self_distillation` (``O(d)``
per replicate and ridge); the simulated ``xi*`` and gain are those of the literal student (the minimiser of its
risk in ``xi``), not the closed form applied to simulated ``R'`` and ``c``. One :class:`SharedSimulation` per
``gamma`` holds every ridge value its claims need (common random numbers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.self_distillation import reduced_self_distillation
from w2s.theory import self_distillation as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, SharedSimulation

FAMILY = "self_distillation"
SOURCE = "Dang, Patil & Rinaldo 2026, arXiv 2602.17565 (adjacent to W2S); docs/self_distillation.md"
PROVENANCE = "DERIVED under the setup of docs/self_distillation.md §1 (setup RECONSTRUCTED)"
FINITE_SIZE_REASON = ("smooth spectral functionals of a Wishart matrix and quadratic forms in the noise, and ratios "
                      "of them (xi* = -A1/(2 A2)): O(1/d) bias of the mean (delta method)")

#: Per-replicate sd * sqrt(d) measured at gamma = 0.5: 4.8 for xi* at lam = 0.05, 1.9 at lam = 1, below 1.5 for
#: the risks and the gains. A replicate costs O(d), so every rung costs about the same and the ladder reaches
#: d = 16384. Measured on a ladder with 3.75 times these replicates: resolutions 0.1-0.6% (seed 0); here they are
#: about twice that, 0.2-1.2%, so the 5% falsifier is rejected at >= 4 resolutions (>= 17 standard errors), and a
#: 5% component stays rejectable as long as its resolution is below 0.05 z_crit / (z_crit + 4.5) ~ 2.4%.
LADDERS = {"fast": Ladder(d=(512, 2048, 8192, 16384), reps=(800, 400, 200, 100)),
           "full": Ladder(d=(512, 2048, 8192, 32768, 131072), reps=(3200, 1600, 800, 300, 80))}

SIGMA2, R2 = 0.5, 1.0
GROUPS = {0.5: (0.05, 1.0), 2.0: (0.2,)}  #: gamma -> ridge grid of the shared simulation
XI_GRID = (-1.0, 0.0, 1.0, 2.0, 3.0, 4.0)


def _simulate(p, d, rng, reps):
    lam = np.asarray(p["lam_grid"], float)
    q = reduced_self_distillation(d, max(1, round(d / p["gamma"])), lam, sigma2=p["sigma2"], r2=p["r2"], rng=rng,
                                  reps=reps)
    return {"risk": q.risk, "risk_deriv": q.risk_deriv, "curvature": q.curvature, "xi_star": q.xi_star,
            "gain": q.gain, "risk_xi": q.risk_at(np.asarray(XI_GRID))}


SHARED = {g: SharedSimulation(f"self_distillation:gamma={g:g}", _simulate,
                              dict(gamma=g, lam_grid=lams, sigma2=SIGMA2, r2=R2))
          for g, lams in GROUPS.items()}


def _limit(p):
    return T.limit(lam=p["lam"], gamma=p["gamma"], sigma2=p["sigma2"], r2=p["r2"])


def _optimal_predict(p):
    L = _limit(p)
    return [float(L.risk_deriv), float(L.xi_star), float(L.improvement), float(L.optimal_risk)]


def _optimal_select(j):
    def select(raw):
        return np.column_stack([raw["risk_deriv"][:, j], raw["xi_star"][:, j], raw["gain"][:, j],
                                raw["risk"][:, j] - raw["gain"][:, j]])
    return select


for _gamma, _lam, _side in ((0.5, 0.05, "under-regularised"), (0.5, 1.0, "over-regularised"),
                            (2.0, 0.2, "under-regularised")):
    _j = GROUPS[_gamma].index(_lam)
    _sign = "positive" if _lam < SIGMA2 * _gamma / R2 else "negative"
    REGISTRY.add(Claim(
        id=f"selfdistill.optimal-mixing.gamma={_gamma:g}.{_side}",
        title=(f"Self-distillation, {_side} teacher (lam = {_lam:g}, lam* = {SIGMA2 * _gamma / R2:g}): the optimal "
               f"mixing weight xi* is {_sign}, opposite to R'(lam), and the student gains R'^2/(4c)"),
        statement=("Ridge student on the labels xi * X beta_lam + (1 - xi) * y, same ridge lam: as d, n -> inf with "
                   "d/n = gamma, R'(lam) -> 2 (r2 lam - sigma2 gamma) I1, the literal student's minimiser "
                   "xi* -> -R'/(2 lam c) and its gain R(0) - R(xi*) -> R'^2/(4 c), with c = r2 I2 + sigma2 gamma I3 "
                   "(Marchenko-Pastur moments, docs §2.2); sign(xi*) = -sign(R'(lam)), and the gain is > 0 "
                   "(signs resolved)."),
        source=SOURCE + " §2", provenance=PROVENANCE,
        params=dict(lam=_lam, gamma=_gamma, sigma2=SIGMA2, r2=R2),
        predict=_optimal_predict, simulate=SHARED[_gamma].observe(_optimal_select(_j)), ladders=LADDERS,
        components=("R'(lam)", "xi*", "gain", "R(xi*)"), sign=(True, True, True, False),
        finite_size=1.0, finite_size_reason=FINITE_SIZE_REASON, falsifier=0.05, family=FAMILY,
        setup=(f"n = round(d / gamma); x ~ N(0, I_d), ||beta*||^2 = r2 = {R2:g}, sigma2 = {SIGMA2:g}, 1/n ridge loss; "
               "xi* and gain from the literal student's risk in xi (reduced bidiagonal model, exact in law)")))


def _parabola_predict(p):
    return T.student_risk(xi=np.asarray(p["xi_grid"], float), lam=p["lam"], gamma=p["gamma"], sigma2=p["sigma2"],
                          r2=p["r2"])


REGISTRY.add(Claim(
    id="selfdistill.risk-parabola.gamma=0.5.lam=0.05",
    title="Self-distillation: the student's risk R(xi) is the parabola R + xi lam R' + xi^2 lam^2 c (xi = 0: the ridge "
          "teacher)",
    statement=("For xi in {-1, 0, 1, 2, 3, 4}, the excess risk of the ridge student on mixed labels converges to "
               "R(lam) + xi lam R'(lam) + xi^2 lam^2 c with the limits of docs §2.2; at xi = 0 it is the teacher's "
               "ridge risk (r2 kappa^2 + sigma2 gamma)/((1 + kappa)^2 - gamma)."),
    source=SOURCE + " §2", provenance=PROVENANCE,
    params=dict(lam=0.05, gamma=0.5, sigma2=SIGMA2, r2=R2, xi_grid=XI_GRID),
    predict=_parabola_predict, simulate=SHARED[0.5].observe(lambda raw: raw["risk_xi"][:, 0, :]), ladders=LADDERS,
    components=tuple(f"R(xi={x:g})" for x in XI_GRID), finite_size=1.0, finite_size_reason=FINITE_SIZE_REASON,
    falsifier=0.05, family=FAMILY,
    setup=(f"n = round(d / gamma); sigma2 = {SIGMA2:g}, r2 = {R2:g}; the literal student's risk at each xi, "
           "all from the same draws")))


# ----- figure ------------------------------------------------------------------------------------------------------

def risk_parabola(run, figdir: Path, seed: int):
    """R(xi) against xi for an under- and an over-regularised teacher: the limit parabola with simulation points."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    gamma, d, reps = 0.5, 1024, 200
    xi_line = np.linspace(-2.5, 4.5, 200)
    xi_pts = np.arange(-2.0, 4.01, 1.0)
    for k, lam in enumerate((0.05, 1.0)):
        q = reduced_self_distillation(d, round(d / gamma), [lam], sigma2=SIGMA2, r2=R2, reps=reps,
                                      rng=generator(seed, f"figure:self_distillation:parabola:{lam:g}"))
        vals = q.risk_at(xi_pts)[:, 0, :]
        ax.errorbar(xi_pts, vals.mean(0), yerr=2 * vals.std(0, ddof=1) / np.sqrt(reps), fmt="o", ms=4,
                    color=f"C{k}", capsize=2, label=f"simulation d = {d}, lam = {lam:g}")
        L = T.limit(lam=lam, gamma=gamma, sigma2=SIGMA2, r2=R2)
        ax.plot(xi_line, L.at(xi_line), color=f"C{k}", lw=1, label=f"limit, lam = {lam:g}")
        ax.plot([float(L.xi_star)], [float(L.optimal_risk)], "*", ms=11, color=f"C{k}",
                label=f"xi* = {float(L.xi_star):.3f}")
    ax.axvline(0.0, color="k", lw=0.6, ls=":")
    ax.set_xlabel("mixing weight xi (labels xi * teacher + (1 - xi) * y)")
    ax.set_ylabel("student excess risk ||beta_S(xi) - beta*||^2")
    ax.set_title(f"Ridge self-distillation, gamma = {gamma:g}, sigma2 = {SIGMA2:g} (lam* = {SIGMA2 * gamma / R2:g})",
                 fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "self_distillation_parabola.png")
    return [(path, "Self-distillation: the student's risk against the mixing weight xi for an under-regularised "
                   "(lam = 0.05 < lam*) and an over-regularised (lam = 1 > lam*) ridge teacher; lines: the limit "
                   "parabola R + xi lam R' + xi^2 lam^2 c, points: simulation (mean +- 2 SE), stars: the optimum "
                   "xi* = -R'/(2 lam c), positive below lam* and negative above.")]


REGISTRY.add_figure(FAMILY, risk_parabola)
