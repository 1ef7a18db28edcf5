r"""Benign-overfitting phases of weak-to-strong classification (Wu & Sahai 2025, arXiv 2410.04638;
docs/benign_overfitting.md): shown, not certified.

The success conditions (as stated in public reviews; :mod:`w2s.theory.benign_overfitting`) are asymptotic, and the
errors converge logarithmically in ``n``, so there is no finite-``n`` prediction to extrapolate. The family shows the
phase diagram in the ``(u, q_w + r_w)`` plane with simulated outcomes, and the student's error along ``n`` at points
well inside the success region and the failure region.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.benign_overfitting import w2s_errors
from w2s.kernels.rng import generator
from w2s.theory import benign_overfitting as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Shown

FAMILY = "benign_overfitting"
STRONG = dict(p=2.0, q=0.1, r=0.1)
WEAK = dict(p_w=1.6, q_w=0.9, r_w=0.5)
#: points (u, label): inside the success region, and outside condition 1 (too few weak labels) and condition 3
POINTS = ((0.7, "success"), (0.3, "fails condition 1"), (1.3, "fails condition 3"))
FIGURE = "bo_phases.png"


def simulate_point(u: float, ns, rng: np.random.Generator, reps: int, weak=None) -> np.ndarray:
    """``(len(ns), 2, 2)``: mean and standard error of the (teacher, student) test errors at each ``n``."""
    weak = weak or WEAK
    out = np.empty((len(ns), 2, 2))
    for j, n in enumerate(ns):
        b = T.bilevel(n, STRONG["p"], STRONG["q"], STRONG["r"])
        bw = T.bilevel(n, weak["p_w"], weak["q_w"], weak["r_w"])
        e = np.array([w2s_errors(d=b["d"], s=b["s"], lam_hi=b["lam_hi"], lam_lo=b["lam_lo"], d_w=bw["d"],
                                 s_w=bw["s"], lam_hi_w=bw["lam_hi"], lam_lo_w=bw["lam_lo"], n=n,
                                 m=max(2, int(round(n**u))), rng=rng) for _ in range(reps)])
        out[j, 0], out[j, 1] = e.mean(0), e.std(0, ddof=1) / np.sqrt(reps)
    return out


REGISTRY.add_shown(Shown(
    id="bo.shown.phase-diagram",
    title=("W2S with min-norm interpolators in the bilevel model: the student succeeds inside conditions 1-3 while "
           "its teacher guesses at random, and fails outside"),
    reason=("asymptotic phases only: the errors converge logarithmically in n and the conditions are read from "
            "public reviews, not derived here; no finite-n prediction exists to certify"),
    family=FAMILY, figure=FIGURE))


def phases(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    us, ss = np.linspace(0.05, 2.0, 140), np.linspace(1.31, 1.59, 100)
    ok = np.array([[T.student_succeeds(u=u, **STRONG, p_w=WEAK["p_w"], q_w=s - WEAK["r_w"], r_w=WEAK["r_w"])
                    for u in us] for s in ss])
    ax.contourf(us, ss, ok.astype(float), levels=[-0.5, 0.5, 1.5], colors=["#f4d6d6", "#d6f0d6"])
    ns = (32, 64, 128)
    rng = generator(seed, "figure:bo:phases")
    for k, (u, label) in enumerate(POINTS):
        sim = simulate_point(u, ns, rng, 6)
        s_pt = WEAK["q_w"] + WEAK["r_w"]
        trend = sim[-1, 0, 1] - sim[0, 0, 1]
        ax.plot(u, s_pt, marker="v" if trend < 0 else "^", ms=9, color=f"C{k}",
                label=f"u = {u}: {label} (student error {sim[0, 0, 1]:.2f} -> {sim[-1, 0, 1]:.2f})")
        ax2.errorbar(ns, sim[:, 0, 1], yerr=2 * sim[:, 1, 1], fmt="o-", color=f"C{k}", capsize=2,
                     label=f"student, u = {u} ({label})")
        if k == 0:
            ax2.errorbar(ns, sim[:, 0, 0], yerr=2 * sim[:, 1, 0], fmt="s--", color="grey", capsize=2,
                         label="weak teacher (random guessing asymptotically)")
    ax.set_xlabel("u (m = n^u weak labels)")
    ax.set_ylabel("q_w + r_w")
    ax.set_title("Conditions 1-3 (green: student succeeds); markers: simulated trend n = 32 -> 128", fontsize=8)
    ax.legend(fontsize=6)
    ax2.axhline(0.5, color="k", ls=":", lw=0.8)
    ax2.set_xscale("log", base=2)
    ax2.set_xlabel("n (d = n^2)")
    ax2.set_ylabel("test error")
    ax2.set_title("Errors along n, 6 draws (2 SE); convergence is logarithmic", fontsize=8)
    ax2.legend(fontsize=6)
    path = save(fig, figdir / FIGURE)
    return [(path, "Benign-overfitting W2S (shown, not certified): the phase diagram of conditions 1-3 in the "
                   "(u, q_w + r_w) plane with the simulated trend at three points, and the errors along n.")]


REGISTRY.add_figure(FAMILY, phases)
