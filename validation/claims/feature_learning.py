r"""Registered claims for one-step feature learning (Moniri & Hassani 2025, arXiv 2505.18346, Part (c)).

Every prediction is DERIVED under the reconstructed two-index setup of ``docs/feature_learning.md`` §1 as stated in
:mod:`w2s.theory.feature_learning` (model in one place there). What is **certified**: the alignment of the
learned direction ``v = X^T y / n`` (the rank-one direction of the first gradient step) with ``u_e`` and ``u_h``
for the teacher at three (gamma, link) points; the student's learned direction on labels of the teacher's
single-index readout; and the hard overlap a pre-trained student neuron retains after one step along it. What is
only **shown** (figures, no prediction): several GD steps on a two-layer network, and the top singular vector of
``W_0 + eta G``.

Finite-size model: ``E[Q_d] = Q + a/d``. Each quantity is a smooth function (ratio) of empirical averages whose
fluctuations are ``O(d^{-1/2})``; the mean of the ratio then has an ``O(1/d)`` bias (delta method), and the squared
overlap with ``u_h`` has mean ``E[z_h^2 y^2]/(n ||v||^2) = O(1/d)`` exactly at leading order. The chi-square test
re-checks the model. Measured: at ``d <= 512`` the squared ``u_h`` overlap (about ``3.8/d`` for a He_3 hard link)
still carries a visible ``1/d^2`` term, which biased a two-term extrapolation; the simulators are therefore the
exact-in-law reduced draws of :mod:`w2s.kernels.feature_learning` (``O(n)`` per replicate, no ``n x d`` design; they are
tested against explicit designs in tests/test_kernels_feature_learning.py), and the ladders run from ``d = 1024`` to
65536 (fast) and 262144 (full), where ``1/d^2`` terms are below the resolution.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.feature_learning import gd_overlaps, learned_direction, student_one_step, two_index_data
from w2s.kernels.rng import generator
from w2s.theory import feature_learning as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, Shown


SOURCE = "Moniri & Hassani 2025, arXiv 2505.18346, Part (c); docs/feature_learning.md"
FINITE_SIZE_REASON = ("ratio of empirical averages with O(d^-1/2) fluctuations: O(1/d) bias of the mean "
                      "(module docstring of w2s.validation.claims.feature_learning)")
FAST = Ladder(d=(1024, 4096, 16384, 65536), reps=(4000, 2000, 1000, 500))
FULL = Ladder(d=(1024, 4096, 16384, 65536, 262144), reps=(8000, 4000, 2000, 1000, 300))
LADDERS = {"fast": FAST, "full": FULL}


def _n(d, gamma):
    return max(1, round(d / gamma))


def _cos2(v, k):
    return v[k] ** 2 / (v @ v)


# ----- teacher: alignment of v = X^T y / n ------------------------------------------------------------------------

def _teacher_predict(p):
    return list(T.teacher_alignment(p["g_e"], p["g_h"], p["gamma"], p["sigma2"]))


def _teacher_simulate(p, d, rng, reps):
    ge, gh = T.link(p["g_e"]), T.link(p["g_h"])
    out = np.empty((reps, 2))
    for r in range(reps):
        ve, vh, v2 = learned_direction(d, _n(d, p["gamma"]), ge, gh, sigma2=p["sigma2"], rng=rng)
        out[r] = ve * ve / v2, vh * vh / v2
    return out


def _rate_predict(p):
    return T.hard_overlap_rate(p["g_e"], p["g_h"], p["gamma"], p["sigma2"])


def _rate_simulate(p, d, rng, reps):
    ge, gh = T.link(p["g_e"]), T.link(p["g_h"])
    out = np.empty(reps)
    for r in range(reps):
        _ve, vh, v2 = learned_direction(d, _n(d, p["gamma"]), ge, gh, sigma2=p["sigma2"], rng=rng)
        out[r] = d * vh * vh / v2
    return out


#: d cos^2(v, u_h) is (to leading order) a scaled chi^2_1 variable: its relative sd per draw is sqrt(2) at every
#: d, so a fixed budget resolves it to about 5-6% (four times the replicates of the alignment ladders, weighted to
#: small d where a draw is cheap and the 1/d correction is already small); a 20% error in the rate is rejected.
#: The replicates are 4x what the statistical error alone needs: the total error includes the systematic error of
#: the extrapolation, whose d^-2 variant is ~1.9x noisier than the main fit, and 99% power against the 20%
#: falsifier must survive its fluctuations (falsifier/stat ~ 10 at 1x failed the power check in ~15% of seeds,
#: ~20 at 4x in ~1.5%).
RATE_LADDERS = {"fast": Ladder(d=(1024, 2048, 4096, 8192), reps=(64000, 32000, 16000, 8000)),
                "full": Ladder(d=(1024, 2048, 4096, 8192, 16384), reps=(128000, 64000, 32000, 16000, 8000))}
RATE_FALSIFIER = 0.2
SETUP_T = ("x ~ N(0, I_d), u_e = e_1, u_h = e_2, n = round(d/gamma); v = X^T y / n, drawn exactly in law without the "
           "design (w2s.kernels.feature_learning.learned_direction)")


def _teacher_claim(cid, **params):
    e = T.teacher_alignment(params["g_e"], params["g_h"], params["gamma"], params["sigma2"])[0]
    REGISTRY.add(Claim(
        id=cid, title=f"Teacher's one-step direction aligns with the easy direction only ({params['g_e']} easy link)",
        statement=("cos^2(X^T y/n, u_e) -> c_e^2/(c_e^2 + c_h^2 + gamma E[y^2]) and cos^2(X^T y/n, u_h) -> 0 for a hard "
                   "link of information exponent >= 2 (the u_h component is certified as a vanishing limit, its "
                   "resolution relative to the u_e alignment; its 1/d rate is the companion claim *.rate)."),
        source=SOURCE, provenance="DERIVED under the two-index setup (docs/feature_learning.md §2.2)",
        params=params, predict=_teacher_predict, simulate=_teacher_simulate, ladders=LADDERS,
        components=("cos2(v,u_e)", "cos2(v,u_h)"), scale=(e, e), finite_size=1.0,
        finite_size_reason=FINITE_SIZE_REASON, family="feature_learning", setup=SETUP_T))
    REGISTRY.add(Claim(
        id=cid + ".rate", title="The overlap with the hard direction vanishes at rate 1/d, with a closed-form constant",
        statement="d cos^2(X^T y/n, u_h) -> gamma E[z_h^2 y^2] / (c_e^2 + gamma E[y^2])  (c_h = 0).",
        source=SOURCE, provenance="DERIVED here under the two-index setup (docs/feature_learning.md §2.3; "
        "w2s.theory.feature_learning.hard_overlap_rate)", params=params, predict=_rate_predict,
        simulate=_rate_simulate, ladders=RATE_LADDERS, components=("d*cos2(v,u_h)",), finite_size=1.0,
        finite_size_reason=FINITE_SIZE_REASON, family="feature_learning", falsifier=RATE_FALSIFIER, setup=SETUP_T))


_teacher_claim("fl.teacher-alignment.linear.he2.gamma=0.5", g_e="linear", g_h="he2", gamma=0.5, sigma2=0.25)
_teacher_claim("fl.teacher-alignment.tanh.he3.gamma=1", g_e="tanh", g_h="he3", gamma=1.0, sigma2=0.25)
_teacher_claim("fl.teacher-alignment.relu.he2.gamma=2", g_e="relu", g_h="he2", gamma=2.0, sigma2=0.0)


# ----- student on teacher labels, and the retained pre-trained hard overlap -----------------------------------------

def _student_predict(p):
    cs = T.student_alignment(p["g_e"], p["g_h"], p["gamma_t"], p["phi"], p["gamma_s"], p["sigma2"])
    h, hn, en = T.retained_overlaps(p["g_e"], p["g_h"], p["gamma_t"], p["phi"], p["gamma_s"], p["rho_h"], p["eta"],
                                    p["sigma2"])
    return [cs, 0.0, h, hn, en]


def _student_simulate(p, d, rng, reps):
    ge, gh, phi = T.link(p["g_e"]), T.link(p["g_h"]), T.link(p["phi"])
    out = np.empty((reps, 5))
    for r in range(reps):
        ve, vh, v2, we, wh, w2 = student_one_step(d, _n(d, p["gamma_t"]), _n(d, p["gamma_s"]), ge, gh, phi,
                                                  sigma2=p["sigma2"], rho_h=p["rho_h"], eta=p["eta"], rng=rng)
        nw = np.sqrt(w2)
        out[r] = ve * ve / v2, vh * vh / v2, wh, wh / nw, we / nw
    return out


_SP = dict(g_e="linear", g_h="he3", gamma_t=1.0, sigma2=0.25, phi="tanh", gamma_s=0.5, rho_h=0.8, eta=1.0)
_SCALE = _student_predict(_SP)
REGISTRY.add(Claim(
    id="fl.student.teacher-labels.retains-hard-spike",
    title="The student learns the easy direction from the teacher and keeps its pre-trained hard direction",
    statement=("Student on labels phi(<w_t, x>) of the teacher's learned direction: cos^2(v_s, u_e) -> cos^2(v_t, u_e) "
               "c_phi^2/(c_phi^2 + gamma_s E[phi^2]) (never above the teacher's), cos^2(v_s, u_h) -> 0; a neuron "
               "w = rho_h u_h + sqrt(1 - rho_h^2) xi updated once along v_s keeps <w', u_h> -> rho_h, with normalised "
               "overlaps rho_h/sqrt(1 + eta^2 ||v_s||^2) on u_h and eta <v_s, u_e>/sqrt(1 + eta^2 ||v_s||^2) on u_e."),
    source=SOURCE, provenance="DERIVED under the two-index setup (docs/feature_learning.md §2.4-2.5; student readout: "
    "the single-index simplification of docs/feature_learning.md §1)",
    params=_SP, predict=_student_predict, simulate=_student_simulate, ladders=LADDERS,
    components=("cos2(v_s,u_e)", "cos2(v_s,u_h)", "<w',u_h>", "<w',u_h>/|w'|", "<w',u_e>/|w'|"),
    scale=(_SCALE[0], _SCALE[0], _SCALE[2], _SCALE[3], _SCALE[4]), finite_size=1.0,
    finite_size_reason=FINITE_SIZE_REASON, family="feature_learning",
    setup=("teacher v_t = X_t^T y / n_t (n_t = round(d/gamma_t)), w_t = v_t/|v_t|; student X_s fresh "
           "(n_s = round(d/gamma_s)), labels phi(X_s w_t); xi uniform unit vector orthogonal to u_e, u_h; drawn "
           "exactly in law without the designs (w2s.kernels.feature_learning.student_one_step)")))


REGISTRY.add_shown(Shown(
    id="fl.shown.several-gd-steps",
    title="Overlaps of a two-layer network's first layer over several full-batch GD steps",
    reason="no closed form was derived for more than one step (docs/feature_learning.md §2 stops at the first step)",
    family="feature_learning", figure="fl_overlaps_vs_steps.png"))
REGISTRY.add_shown(Shown(
    id="fl.shown.top-singular-vector",
    title="Alignment of the top singular vector of W_0 + eta G (rather than the learned direction X^T y / n)",
    reason="a BBP-type effect depending on eta whose threshold and overlap were not derived here",
    family="feature_learning"))




# ==============================================================================================================
# Figures for one-step feature learning (Moniri & Hassani 2025, Part (c)): theory curves with simulation points
# (certified), and several full-batch GD steps of a two-layer network (shown only: no prediction past one step).
#
# Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each with its own seeded simulation (seconds).
# ==============================================================================================================


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


# ----- figures of the family, drawn into the report --------------------------------------------------------------
for _maker in (alignment_vs_gamma, overlaps_vs_gd_steps):
    REGISTRY.add_figure("feature_learning", _maker)
