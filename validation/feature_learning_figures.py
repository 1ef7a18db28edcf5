"""Figures for one-step feature learning (Moniri & Hassani 2025, Part (c)): theory curves with simulation points
(certified), and several full-batch GD steps of a two-layer network (shown only: no prediction past one step).

Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each with its own seeded simulation (seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.two_layer import gd_overlaps, two_index_data
from w2s.theory import feature_learning as T

from .plotting import pyplot, save

FIG_D = 400
FIG_REPS = 20


def alignment_vs_gamma(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    gammas = np.geomspace(0.1, 10, 60)
    g_sim = np.array([0.2, 0.5, 1.0, 2.0, 5.0])
    for k, (ge, gh, s2) in enumerate((("linear", "he2", 0.25), ("tanh", "he3", 0.25), ("relu", "he2", 0.0))):
        color = f"C{k}"
        ax.plot(gammas, [T.teacher_alignment(ge, gh, g, s2)[0] for g in gammas], color=color,
                label=f"easy {ge}, hard {gh}, sigma2 {s2:g}")
        rng = generator(seed, f"figure:fl:{ge}")
        m, se = [], []
        for g in g_sim:
            vals = []
            for _ in range(FIG_REPS):
                X, y = two_index_data(FIG_D, round(FIG_D / g), T.link(ge), T.link(gh), sigma2=s2, rng=rng)
                v = X.T @ y
                vals.append(v[0] ** 2 / (v @ v))
            m.append(np.mean(vals))
            se.append(np.std(vals, ddof=1) / np.sqrt(FIG_REPS))
        ax.errorbar(g_sim, m, yerr=2 * np.array(se), fmt="o", ms=4, color=color, capsize=2)
    ax.set_xscale("log")
    ax.set_xlabel("gamma = d / n")
    ax.set_ylabel("cos^2(X^T y / n, u_e)")
    ax.set_title(f"One-step learned direction: theory (lines), simulation d = {FIG_D} ({FIG_REPS} reps, 2 SE)",
                 fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "fl_alignment_vs_gamma.png")
    return [(path, "Feature learning (Part c): alignment of the one-step direction with the easy direction u_e "
                   "against gamma = d/n, for three easy links (certified at one gamma each; the overlap with the "
                   "hard direction u_h vanishes and is certified too).")]


def overlaps_vs_gd_steps(run, figdir: Path, seed: int):
    """A student two-layer network with a pre-trained u_h spike, trained by full-batch GD on teacher labels."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    rng = generator(seed, "figure:fl:gd")
    d, N, n_t, n_s, steps = 200, 16, 200, 400, 60
    X, y = two_index_data(d, n_t, T.link("linear"), T.link("he3"), sigma2=0.25, rng=rng)
    w_t = X.T @ y
    w_t /= np.linalg.norm(w_t)
    Xs = rng.standard_normal((n_s, d))
    ys = np.tanh(Xs @ w_t)
    W0 = rng.standard_normal((N, d)) / np.sqrt(d)
    W0 = 0.6 * W0 / np.linalg.norm(W0, axis=1)[:, None]
    W0[:, 1] += 0.8  # pre-trained spike along u_h = e_2
    a = rng.choice([-1.0, 1.0], N)
    ov = gd_overlaps(W0, a, Xs, ys, eta=0.25 * np.sqrt(N), steps=steps, act="tanh", dirs=np.eye(d)[:2])
    t = np.arange(steps + 1)
    for k, name in enumerate(("u_e (easy)", "u_h (hard, pre-trained)")):
        m = np.abs(ov[:, :, k]).mean(1)
        ax.plot(t, m, marker="o", ms=3, label=f"mean |overlap| with {name}")
    ax.axvline(1, color="k", ls=":", lw=0.8)
    ax.set_xlabel("full-batch GD steps on teacher labels")
    ax.set_ylabel("normalised overlap <w_j, u>/|w_j|")
    ax.set_title(f"Student (N = {N}, d = {d}, n_s = {n_s}, tanh, eta = sqrt(N)/4): one step certified, more shown", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "fl_overlaps_vs_steps.png")
    return [(path, "Feature learning (Part c), shown only: overlaps of a pre-trained student's neurons with u_e and "
                   "u_h over full-batch GD steps on teacher labels. The first step (dotted) is what the claims "
                   "certify; later steps illustrate how continued training on teacher labels can erode the "
                   "pre-trained hard direction.")]
