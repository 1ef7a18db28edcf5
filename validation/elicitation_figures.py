"""Figures for the elicitation family (Awano & Suzuki 2026; PROPOSED model of awano_suzuki_elicitation.md).

Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each a small seeded simulation on the exact Gram
chain (seconds). ODE curves from :mod:`w2s.theory.elicitation`; points are means with 2-SE bars.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from w2s.kernels.gram_chain import gram_chain, gram_state
from w2s.kernels.rng import generator
from w2s.theory import elicitation as E

from .plotting import pyplot, save


def _lab(k_link, k_act, tau=0.0):
    return E.Labels(link=tuple(E.hermite_link(k_link)), act=tuple(E.hermite_link(k_act)), tau=tau)


def _chain_m(lab, delta, m0, D, times, rng, reps, subspace):
    state = gram_state(np.array([[m0, math.sqrt(1 - m0 * m0)], [1.0, 0.0]]))
    rec = np.unique(np.array([round(t * D) for t in times], np.int64))
    geo = dict(d=16 * D, r=D) if subspace else dict(d=D)
    o = gram_chain(state, p=1, steps=int(rec[-1]), eta=delta / D, act=np.array(lab.act), link=np.array(lab.link),
                   tau=lab.tau, a=[1.0], record_steps=rec, rng=rng, reps=reps, **geo)[:, :, 0, 0]
    return rec / D, o


def _band(ax, t, o, color, label, absval=False):
    o = np.abs(o) if absval else o
    ax.errorbar(t, o.mean(0), yerr=2 * o.std(0, ddof=1) / math.sqrt(o.shape[0]), fmt="o", ms=3, capsize=2,
                color=color, label=label)


def alignment_curves(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.0), dpi=110)
    ax = axes[0]
    t_th = np.linspace(0, 20, 200)
    cases = [("W2S, h_2, delta = 0.2", _lab(2, 2), 0.2, 0.3, True, np.linspace(0, 4, 9), "C0"),
             ("W2S weak labels, h_3, delta = 0.05", _lab(3, 3, 0.5), 0.05, 0.4, True, np.linspace(0, 20, 9), "C1"),
             ("SFT, h_3, delta = 0.05", _lab(3, 3), 0.05, 0.4, False, np.linspace(0, 20, 9), "C2")]
    for name, lab, delta, m0, sub, times, col in cases:
        tt = t_th[t_th <= times[-1]]
        ax.plot(tt, E.alignment_trajectory(tt, m0, lab, delta), color=col, lw=1, label=f"ODE: {name}")
        for D, mk in ((256, "s"), (4096, "o")):
            rng = generator(seed, f"figure:elicit:align:{name}:{D}")
            t, o = _chain_m(lab, delta, m0, D, times, rng, 200 if D == 256 else 40, sub)
            ax.errorbar(t, np.abs(o).mean(0) if lab.link[2] != 0 else o.mean(0),
                        yerr=2 * o.std(0, ddof=1) / math.sqrt(o.shape[0]), fmt=mk, ms=3, color=col, capsize=2,
                        alpha=0.8, label=f"D_eff = {D}" if col == "C0" else None)
    ax.set_xlabel("t = steps / D_eff")
    ax.set_ylabel("target alignment m(t)")
    ax.set_title("P1: overlap ODE vs exact chain (squares D_eff = 256, circles 4096)", fontsize=8)
    ax.legend(fontsize=6)
    # W2S vs SFT at equal ambient d, in raw steps
    ax = axes[1]
    lab = _lab(2, 2)
    d, r, delta = 1024, 32, 0.2
    for name, D, col in ((f"W2S (inputs on V, r = {r})", r, "C0"), (f"SFT (isotropic, d = {d})", d, "C2")):
        times = np.linspace(0, 6, 25)
        rng = generator(seed, f"figure:elicit:steps:{name}")
        t, o = _chain_m(lab, delta, 0.3, D, times, rng, 100, D == r)
        _band(ax, t * D, o, col, name + " (chain)", absval=True)
        ax.plot(times * D, E.alignment_trajectory(times, 0.3, lab, delta), color=col, lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("SGD steps")
    ax.set_ylabel("m")
    ax.set_title(f"Same link h_2, same eta * D_eff = {delta}: W2S needs d/r = {d // r}x fewer steps", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "elicitation_alignment.png")
    return [(path, "Elicitation (Awano & Suzuki, proposed model): target alignment m(t). Left: the ODE (population "
                   "drift plus the normalisation's noise term) against the exact Gram chain at D_eff = 256 and 4096. "
                   "Right: at ambient d = 1024, W2S with inputs on an r = 32 task subspace aligns in d/r fewer steps.")]


def retention_curves(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    lab = _lab(2, 2)
    delta, D = 0.2, 2048
    times = np.linspace(0, 10, 21)
    t_th = np.linspace(0, 10, 200)
    for k, rho in enumerate((0.0, 0.3, 0.6, 0.9)):
        m, R = E.retention_trajectory(t_th, rho, lab, delta)
        ax.plot(t_th, R, color=f"C{k}", lw=1, label=f"ODE R(t), rho = {rho}")
        if rho > 0:
            ax.plot(t_th, E.planar_retention(np.asarray(E.retention_trajectory(t_th * delta / 1e-4, rho, lab, 1e-4)[0]),
                                             rho), color=f"C{k}", lw=0.8, ls=":")
        state = gram_state(np.array([[rho, math.sqrt(1 - rho * rho)], [1.0, 0.0], [rho, math.sqrt(1 - rho * rho)]]))
        rec = np.array([round(t * D) for t in times], np.int64)
        rng = generator(seed, f"figure:elicit:retention:{rho}")
        o = gram_chain(state, p=1, d=D, steps=int(rec[-1]), eta=delta / D, act=np.array(lab.act),
                       link=np.array(lab.link), a=[1.0], record_steps=rec, rng=rng, reps=60)
        _band(ax, times, o[:, :, 0, 1], f"C{k}", None)
    ax.set_xlabel("t = steps / d")
    ax.set_ylabel("retention R(t) = <w, theta_k>")
    ax.set_title(f"P2: SFT forgets correlated features (delta = {delta}, d = {D}); dotted: planar delta -> 0 law "
                 "vs delta t", fontsize=7)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "elicitation_retention.png")
    return [(path, "Elicitation: SFT retention of an off-target neuron started on theta_k with <theta_k, theta> = rho. "
                   "Solid: the two-overlap ODE (R -> rho m*); points: exact chain at d = 2048; dotted: the planar "
                   "law cos(arccos rho - arccos m) of the delta -> 0 limit, in time delta t / 0.2. rho = 0 is the "
                   "saddle that noise escapes.")]


def steps_to_alignment(run, figdir: Path, seed: int):
    from w2s.kernels.sgd import online_sgd, random_orthonormal, random_start_in_subspace

    from .elicitation_claims import _HIT, hitting_times, labels

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.0), dpi=110)
    lab, delta = labels(_HIT), _HIT["delta"]
    lam, _ = E.escape_rate(lab, delta)
    K = E.hitting_time_constant(lab, delta, _HIT["level"])
    law = lambda D: D * (np.log(D) / (2 * lam) + K)  # noqa: E731
    reps, r = 100, 32

    def steps_of(params, D, key):
        st = D * hitting_times(params, int(D), generator(seed, f"figure:elicit:hit:{key}:{D}"), reps)
        return st.mean(), 2 * st.std(ddof=1) / math.sqrt(reps)

    ds = np.array([64, 256, 1024, 4096, 16384])
    sft = np.array([steps_of(dict(_HIT, inputs="isotropic"), d, "sft") for d in ds])
    w2s = steps_of(_HIT, r, "w2s")  # the W2S chain never reads d: one value for every d
    ax = axes[0]
    ax.errorbar(ds, sft[:, 0], yerr=sft[:, 1], fmt="o", ms=4, capsize=2, color="C2", label="SFT (isotropic), chain")
    ax.errorbar(ds, np.full(ds.size, w2s[0]), yerr=w2s[1], fmt="s", ms=4, capsize=2, color="C0",
                label=f"W2S (inputs on V, r = {r}), chain")
    # the full d-dimensional kernel for W2S at small d: first recorded step with |m| >= 1/2
    kd, kmean = [], []
    for d in (64, 256, 1024):
        rng = generator(seed, f"figure:elicit:hit:kernel:{d}")
        U = random_orthonormal(d, r, rng)
        W0 = np.stack([random_start_in_subspace(U, 1, rng) for _ in range(40)])
        steps = int(law(r) * 4)
        rec = np.arange(0, steps + 1, 2)
        o = online_sgd(W0, [1.0], U[:, :1].T, steps=steps, eta=delta / r, act=np.array(lab.act),
                       link=np.array(lab.link), U=U, record_steps=rec, rng=rng, reps=40)[:, :, 0, 0]
        hit = np.argmax(np.abs(o) >= _HIT["level"], axis=1)
        kd.append(d)
        kmean.append(rec[hit].mean())
    ax.plot(kd, kmean, "x", color="k", ms=7, label="W2S, full d-dimensional kernel (40 runs)")
    dc = np.geomspace(48, 3e4, 100)
    ax.plot(dc, law(dc), "C2-", lw=1, label="d (log d / (2 lambda) + K*)")
    ax.axhline(law(r), color="C0", lw=1, label="r (log r / (2 lambda) + K*)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ambient dimension d")
    ax.set_ylabel("SGD steps until |m| >= 1/2")
    ax.set_title(f"P1: SFT is governed by d, W2S by r (h_2, delta = {delta})", fontsize=8)
    ax.legend(fontsize=6)
    ax = axes[1]
    rs = np.array([16, 64, 256, 1024, 4096])
    w = np.array([steps_of(_HIT, rr, "w2s-r") for rr in rs])
    ax.errorbar(rs, w[:, 0], yerr=w[:, 1], fmt="s", ms=4, capsize=2, color="C0", label="W2S, chain (any d >= r)")
    rc = np.geomspace(12, 6000, 100)
    ax.plot(rc, law(rc), "C0-", lw=1, label="r (log r / (2 lambda) + K*)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("task-subspace dimension r")
    ax.set_ylabel("SGD steps until |m| >= 1/2")
    ax.set_title(f"W2S steps against r (lambda = {lam:.2f}, K* = {K:.3f})", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "elicitation_steps_to_alignment.png")
    return [(path, "Elicitation: SGD steps until |m| >= 1/2 from a uniform random start (log-log). Left: against the "
                   "ambient d, SFT follows d (log d/(2 lambda) + K*) while W2S (inputs on an r = 32 task subspace) "
                   "is flat in d (chain; crosses: the full d-dimensional kernel). Right: W2S against r.")]


def retention_vs_rho(run, figdir: Path, seed: int):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    lab = _lab(2, 2)
    rhos = np.linspace(0.1, 0.9, 9)
    D, t_late = 512, 15.0
    for k, delta in enumerate((0.2, 0.05)):
        mstar = E.fixed_point(lab, delta)
        R_sim, se = [], []
        for rho in rhos:
            state = gram_state(np.array([[rho, math.sqrt(1 - rho * rho)], [1.0, 0.0], [rho, math.sqrt(1 - rho ** 2)]]))
            rng = generator(seed, f"figure:elicit:rho:{delta}:{rho:.2f}")
            T = t_late * 0.2 / delta
            o = gram_chain(state, p=1, d=D, steps=int(T * D), eta=delta / D, act=np.array(lab.act),
                           link=np.array(lab.link), a=[1.0], record_steps=[int(T * D)], rng=rng, reps=30)
            R_sim.append(o[:, 0, 0, 1].mean())
            se.append(o[:, 0, 0, 1].std(ddof=1) / math.sqrt(30))
        ax.errorbar(rhos, R_sim, yerr=2 * np.array(se), fmt="o", ms=4, color=f"C{k}", capsize=2,
                    label=f"SFT, delta = {delta}, t = {t_late * 0.2 / delta:g} (chain, d = {D})")
        ax.plot([0, 1], [0, mstar], color=f"C{k}", lw=1, label=f"ODE limit R = rho m* (m* = {mstar:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="delta -> 0: R(inf) = rho (spec P2)")
    ax.set_xlabel("rho = <theta_k, theta>")
    ax.set_ylabel("late-time retention R")
    ax.set_title("P2: what SFT keeps of a correlated feature", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "elicitation_retention_vs_rho.png")
    return [(path, "Elicitation: late-time SFT retention against the correlation rho: R -> rho m*, which tends to "
                   "rho (forgetting 1 - rho) as delta -> 0.")]


def p3_retention(run, figdir: Path, seed: int):
    """P3 investigation (shown, not certified): W2S retention of a correlated off-target feature."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.0), dpi=110)
    lab = _lab(2, 2)
    d, r, rho, delta = 1024, 32, 0.5, 0.1
    s = math.sqrt(1 - rho * rho)
    # coordinates: par = (theta, e1) in V_kappa, perp = (xi,) outside; vectors: neuron on theta_k, theta, theta_k
    par = np.array([[rho, 0.0], [1.0, 0.0], [rho, 0.0]])
    perp = np.array([[s], [0.0], [s]])
    runs = [("W2S, plain updates, tau_x = 0", dict(r=r, tau_x=0.0, update="plain", loss="squared"), "C0", "-"),
            ("W2S, plain, leakage tau_x = 0.1", dict(r=r, tau_x=0.1, update="plain", loss="squared"), "C0", "--"),
            ("W2S, plain, leakage tau_x = 0.3", dict(r=r, tau_x=0.3, update="plain", loss="squared"), "C0", ":"),
            ("W2S, spherical (spec §3)", dict(r=r, tau_x=0.0, update="spherical", loss="correlation"), "C1", "-"),
            ("SFT, plain (isotropic)", dict(r=None, update="plain", loss="squared"), "C2", "-"),
            ("SFT, spherical (isotropic)", dict(r=None, update="spherical", loss="correlation"), "C2", "--")]
    times = np.linspace(0, 8, 17)
    for name, kw, col, ls in runs:
        D = r if kw.get("r") else d
        state = gram_state(par, perp) if kw.get("r") else gram_state(np.hstack([par, perp]))
        rec = np.array([round(t * D) for t in times], np.int64)
        rng = generator(seed, f"figure:elicit:p3:{name}")
        o = gram_chain(state, p=1, d=d, steps=int(rec[-1]), eta=delta / D, act=np.array(lab.act),
                       link=np.array(lab.link), a=[1.0], record_steps=rec, rng=rng, reps=60, **kw)
        m = o[:, :, 0, 0]
        private = (o[:, :, 0, 1] - rho * m) / s  # <w, xi>: the feature's part outside V_kappa
        axes[0].plot(rec, np.nanmean(private, 0), color=col, ls=ls, label=name)
        if kw["update"] == "plain":  # the derived P3' ODE (certified as elicit.p3.*)
            proto = "w2s" if kw.get("r") else "sft"
            _, b_ode = E.plain_update_trajectory(times, rho, lab, delta, kw.get("tau_x", 0.0), d / r, proto)
            axes[0].plot(rec, b_ode, "k", ls=ls, lw=0.6, marker=".", ms=3)
        axes[1].plot(rec, np.nanmean(m, 0), color=col, ls=ls, label=name)
    axes[0].set_xscale("symlog", linthresh=10)
    axes[1].set_xscale("symlog", linthresh=10)
    axes[0].set_xlabel("SGD steps")
    axes[1].set_xlabel("SGD steps")
    axes[0].set_ylabel(f"<w, xi>: private part of theta_k (starts at {s:.3f})")
    axes[1].set_ylabel("<w, theta> (same neuron)")
    axes[0].set_title(f"P3: rho = {rho}, r = {r}, d = {d}; black: plain-update ODE (certified as elicit.p3.*)",
                      fontsize=8)
    axes[0].legend(fontsize=6)
    path = save(fig, figdir / "elicitation_p3_retention.png")
    return [(path, "Elicitation P3 investigation: an off-target neuron started on theta_k = "
                   "rho theta + sqrt(1 - rho^2) xi, xi outside V_kappa. With plain updates and inputs confined to "
                   "V_kappa the xi-component is exactly invariant (gradient confinement, spec P3'), so W2S keeps the "
                   "feature's private part; leakage tau_x erodes it; spherical W2S and SFT do not keep it. Black "
                   "dotted lines: the derived plain-update ODE for b(t) (certified as elicit.p3.*).")]
