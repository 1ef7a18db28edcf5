"""Figures for the ridge family (Moniri & Hassani 2025, Part (a)): simulation points over theory curves.

Each maker has the signature ``maker(run, figdir, seed) -> [(path, caption), ...]`` and runs its own small
simulation (seeded from the run's seed and the figure's name), so the figures are reproducible and cost a few
seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.ridge import ridge_w2s
from w2s.theory import ridge as T

from .plotting import pyplot, save

FIG_D = 256  #: dimension of the simulation points in the figures
FIG_REPS = 40  #: replicates per figure simulation (points carry 2 SE bars)


def _simulate_grid(gamma_t, gamma_s, sigma2, lam_t, lam_s, rng, d=FIG_D, reps=FIG_REPS):
    n_t, n_s = round(d / gamma_t), round(d / gamma_s)
    Rt = np.empty((reps, len(lam_t)))
    Rs = np.empty((reps, len(lam_t), len(lam_s)))
    for r in range(reps):
        out = ridge_w2s(d, n_t, n_s, lam_t, lam_s, sigma2=sigma2, r2=1.0, rng=rng)
        Rt[r], Rs[r] = out.R_t, out.R_s
    return Rt, Rs


def risk_vs_student_ridge(run, figdir: Path, seed: int):
    """R_s and R_t versus lam_s for several lam_t (gamma_s < 1 and > 1)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    gamma_t, sigma2 = 0.5, 1.0
    lam_star = float(T.optimal_teacher_lambda(gamma_t, sigma2))
    lam_t = np.array([0.05, lam_star, 2.0])
    lam_s_sim = np.geomspace(0.02, 20, 10)
    lam_s_th = np.geomspace(1e-3, 100, 300)
    for ax, gamma_s in zip(axes, (0.5, 2.0)):
        rng = generator(seed, f"figure:risk_vs_lam_s:{gamma_s}")
        Rt, Rs = _simulate_grid(gamma_t, gamma_s, sigma2, lam_t, lam_s_sim, rng)
        for i, lt in enumerate(lam_t):
            color = f"C{i}"
            th = T.student_risk(lt, gamma_t, lam_s_th, gamma_s, sigma2)
            ax.plot(lam_s_th, th, color=color, lw=1.5,
                    label=f"R_s, lam_t = {lt:g}" + (" (= lam_t*)" if lt == lam_star else ""))
            ax.axhline(float(T.teacher_risk(lt, gamma_t, sigma2)), color=color, ls="--", lw=1)
            m, se = Rs[:, i, :].mean(0), Rs[:, i, :].std(0, ddof=1) / np.sqrt(Rs.shape[0])
            ax.errorbar(lam_s_sim, m, yerr=2 * se, fmt="o", ms=4, color=color, capsize=2)
            ax.plot([lam_s_sim[0]], [Rt[:, i].mean()], marker="s", color=color, ms=5)
        ax.set_xscale("log")
        ax.set_xlabel("student ridge lam_s")
        ax.set_ylabel("excess risk")
        ax.set_title(f"gamma_t = {gamma_t:g}, gamma_s = {gamma_s:g}, sigma2 = {sigma2:g}, r2 = 1", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("Student risk vs student ridge: theory (lines), simulation at d = "
                 f"{FIG_D} ({FIG_REPS} replicates, 2 SE bars); dashed: teacher risk R_t", fontsize=9)
    path = save(fig, figdir / "ridge_risk_vs_lam_s.png")
    return [(path, "Ridge (Part a): R_s vs lam_s for lam_t below, at and above lam_t* (dashed: R_t). With n_s > d "
                   "(left) the student wins for small lam_s iff lam_t < lam_t*; with d > n_s (right) the window "
                   "is an interval around lam_s = gamma_s - 1 and needs lam_t < lam_c < lam_t*.")]


def phase_diagram(run, figdir: Path, seed: int):
    """Sign of R_s - R_t over the (lam_t, lam_s) plane with the closed-form boundary and simulated points."""
    plt = pyplot()
    gamma_t, sigma2 = 2.0, 1.0
    lam_star = float(T.optimal_teacher_lambda(gamma_t, sigma2))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), dpi=110)
    lt_th = np.geomspace(1e-2, 1e2, 160)
    ls_th = np.geomspace(1e-2, 1e2, 160)
    lt_sim = np.geomspace(0.02, 50, 9)
    ls_sim = np.geomspace(0.02, 50, 9)
    for ax, gamma_s in zip(axes, (0.5, 2.0)):
        LT, LS = np.meshgrid(lt_th, ls_th, indexing="ij")
        gap = T.student_risk(LT, gamma_t, LS, gamma_s, sigma2) - T.teacher_risk(LT, gamma_t, sigma2)
        ax.contourf(lt_th, ls_th, (gap < 0).T.astype(float), levels=[-0.5, 0.5, 1.5],
                    colors=["#f3d6d6", "#d6ecd6"], alpha=0.9)
        # closed-form boundary
        pts = [(lt, ls) for lt in lt_th for ls in T.w2s_boundary(lt, gamma_t, gamma_s, sigma2)]
        if pts:
            bl = np.array(pts)
            ax.plot(bl[:, 0], bl[:, 1], "k.", ms=1.5, label="closed-form boundary R_s = R_t")
        ax.axvline(lam_star, color="k", ls="--", lw=1, label=f"lam_t* = {lam_star:g}")
        lc = T.lambda_c(gamma_s, gamma_t, sigma2)
        if gamma_s >= 1 and lc > 0:
            ax.axvline(lc, color="C3", ls=":", lw=1.2, label=f"lam_c(gamma_s) = {lc:.3g}")
        rng = generator(seed, f"figure:phase:{gamma_s}")
        Rt, Rs = _simulate_grid(gamma_t, gamma_s, sigma2, lt_sim, ls_sim, rng, d=200, reps=30)
        diff = Rs - Rt[:, :, None]
        m = diff.mean(0)
        se = diff.std(0, ddof=1) / np.sqrt(diff.shape[0])
        win = m < 0
        resolved = np.abs(m) > 2 * se
        LTs, LSs = np.meshgrid(lt_sim, ls_sim, indexing="ij")
        ax.scatter(LTs[win & resolved], LSs[win & resolved], marker="o", c="g", s=22, label="sim: student wins")
        ax.scatter(LTs[~win & resolved], LSs[~win & resolved], marker="x", c="r", s=22, label="sim: teacher wins")
        ax.scatter(LTs[~resolved], LSs[~resolved], marker=".", c="gray", s=22, label="sim: within 2 SE")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("teacher ridge lam_t")
        ax.set_ylabel("student ridge lam_s")
        ax.set_title(f"gamma_t = {gamma_t:g}, gamma_s = {gamma_s:g} (green: R_s < R_t in theory)", fontsize=9)
        ax.legend(fontsize=6, loc="lower left")
    fig.suptitle("W2S phase diagram: theory regions and boundary; simulated sign of R_s - R_t at d = 200 "
                 "(30 replicates)", fontsize=9)
    path = save(fig, figdir / "ridge_phase_diagram.png")
    return [(path, "Ridge (Part a): (lam_t, lam_s) phase diagram. Left, n_s > d: W2S iff lam_t < lam_t*, for "
                   "0 < lam_s < lam_bar(lam_t). Right, d > n_s: W2S iff lam_t < lam_c(gamma_s) < lam_t*, in an "
                   "interval of lam_s with lam_- lam_+ = (gamma_s - 1)^2.")]


def lambda_c_curve(run, figdir: Path, seed: int):
    """Threshold lam_c(gamma_s)/lam_t* against gamma_s (closed form; no simulation)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4), dpi=110)
    gs = np.geomspace(0.1, 50, 200)
    for gamma_t, sigma2 in ((0.5, 1.0), (2.0, 1.0), (1.0, 0.25)):
        ls = float(T.optimal_teacher_lambda(gamma_t, sigma2))
        ax.plot(gs, [T.lambda_c(g, gamma_t, sigma2) / ls for g in gs], label=f"gamma_t = {gamma_t:g}, sigma2 = {sigma2:g}")
    ax.axvline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("gamma_s = d / n_s")
    ax.set_ylabel("lam_c(gamma_s) / lam_t*")
    ax.set_title("W2S threshold: jump at gamma_s = 1 (rho* drops from 2 to 3/2)", fontsize=9)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "ridge_lambda_c.png")
    return [(path, "Ridge (Part a): threshold teacher ridge lam_c(gamma_s), relative to lam_t*, from the closed "
                   "form (certified at two points by the w2s-threshold claims).")]
