"""Figures for the representations family (Xue et al. 2025; spec xue_representations.md): formula against
simulation, and the label-free metric against the W2S error across weak models (shown, not certified).

Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each with a small seeded simulation (seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from w2s.kernels.rng import generator

from .plotting import pyplot, save
from .representation_claims import _BASE, WEAK_FAMILY, population, simulate_family

SPECS = [s for _, s in WEAK_FAMILY]
NAMES = [name for name, _ in WEAK_FAMILY]


def predgap_scatter(run, figdir: Path, seed: int):
    """(★) on the W2S split against the simulated prediction gap, per replicate, for every weak model."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.6), dpi=110)
    hi = 0.0
    for k, n in enumerate((100, 400, 1600)):
        o = simulate_family(_BASE, n, generator(seed, f"figure:repr:scatter:{n}"), 12, SPECS)
        ax.plot(o["f_pred_gap"].ravel(), o["pred_gap"].ravel(), "o", ms=2.5, alpha=0.6, color=f"C{k}",
                label=f"n = {n}, D = n^2")
        hi = max(hi, o["pred_gap"].max(), o["f_pred_gap"].max())
    pops = [population(_BASE, s).pred_gap for s in SPECS]
    ax.plot(pops, pops, "k+", ms=9, label="population limits ||R_s(I - R_w)a||^2")
    ax.plot([0, hi], [0, hi], "k--", lw=0.8, label="identity")
    ax.set_xlabel("(★) ||P_s (I - P_w) y^||^2 / n^  (same split)")
    ax.set_ylabel("simulated E_x[(f_w2s - f_sc)^2]")
    ax.set_title("Prediction gap: formula vs simulation, 10 weak models x 12 replicates", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "representations_predgap_scatter.png")
    return [(path, "Representations (Xue et al.): the formula (★) on the W2S split against the simulated prediction "
                   "gap, per replicate, for ten weak models, at n = 100, 400, 1600 (D = n^2). The points close in on "
                   "the identity as n grows (certified: repr.prediction-gap.simulation-minus-formula for the nested "
                   "model).")]


def metric_vs_error(run, figdir: Path, seed: int):
    """Label-free metric against Err_w2s across the weak family, with Spearman correlations (shown only)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=110)
    n, reps = 800, 40
    o = simulate_family(_BASE, n, generator(seed, "figure:repr:metric"), reps, SPECS)
    m_op, m_fr, e2 = o["metric_op"].mean(0), o["metric_frob"].mean(0), o["err_w2s"].mean(0)
    rho_op = np.mean([spearmanr(o["metric_op"][r], o["err_w2s"][r])[0] for r in range(reps)])
    rho_fr = np.mean([spearmanr(o["metric_frob"][r], o["err_w2s"][r])[0] for r in range(reps)])
    rho_star = np.mean([spearmanr(o["f_pred_gap"][r], o["pred_gap"][r])[0] for r in range(reps)])
    pops = [population(_BASE, s) for s in SPECS]
    rho_pop = spearmanr([P.metric_op for P in pops], [P.err_w2s for P in pops])[0]
    for ax, m, lab, rho in ((axes[0], m_op, "||P_s (I - P_w)||_op", rho_op),
                            (axes[1], m_fr, "||P_s (I - P_w)||_F^2", rho_fr)):
        ax.plot(m, e2, "o", ms=5)
        for x, y, name in zip(m, e2, NAMES):
            ax.annotate(name, (x, y), fontsize=6, xytext=(3, 2), textcoords="offset points")
        ax.set_xlabel(f"label-free metric {lab}")
        ax.set_ylabel("Err_w2s (simulated, mean)")
        ax.set_title(f"Spearman per replicate, mean: {rho:.2f}", fontsize=8)
    fig.suptitle(f"n = {n}, D = n^2, {reps} replicates; Spearman((★), PredGap_sim) = {rho_star:.3f}; population "
                 f"Spearman(M_op, Err_w2s) = {rho_pop:.2f}", fontsize=8)
    path = save(fig, figdir / "representations_metric_vs_error.png")
    return [(path, f"Representations, shown not certified: the label-free metric against the W2S test error across ten "
                   f"weak models (rank, directions, lean out of the strong span, ridge). Mean per-replicate Spearman: "
                   f"operator norm {rho_op:.2f}, Frobenius {rho_fr:.2f}; (★) against the simulated prediction gap "
                   f"{rho_star:.3f}. The operator norm saturates near 1 for weak models that miss a strong direction "
                   f"entirely (spec §3 caution).")]
