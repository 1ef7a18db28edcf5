r"""Registered claims: online SGD and feature elicitation (Awano & Suzuki 2026, arXiv 2605.12908).

No formula of the paper was available: every prediction is DERIVED in the proposed model of docs/elicitation.md §1 (ODEs
of :mod:`w2s.theory.elicitation`, docs/elicitation.md §2), none is the paper's theorem. The simulator is the exact
Gram-matrix chain (:func:`w2s.kernels.elicitation.gram_chain`), which has the law of the ``d``-dimensional online SGD at
every ``d`` (certified against the full kernel by the ``elicit.engine.*`` claims), so the ladders reach ``D_eff = 2^11``
(fast) and ``2^20 ~ 10^6`` (full).

Time convention: ``eta = delta / D_eff``, ``t = steps / D_eff``; ``D_eff = r`` for W2S (inputs on the
``r``-dimensional task subspace ``V_kappa``, no leakage: the dynamics never leaves ``V_kappa``, so ``d`` does not
enter at all) and ``D_eff = d`` for SFT (isotropic inputs). The ladder axis ``d`` of the framework is ``D_eff``.

Certified (P1, P2 of docs/elicitation.md §2): the alignment trajectories ``m(t)`` at three times for W2S (link ``h_2``,
and link ``h_3`` on noisy weak labels) and SFT (raw link ``h_3``); the SFT retention ``R(t)`` of off-target neurons with
correlation ``rho = 0.3, 0.6`` together with their alignment; the steps-to-alignment law ``E[t_hit] = log(D_eff)/(2
lambda) + K*`` from a random start.

P3 (W2S retains correlated off-target features), investigated: the proposed spherical model does not reproduce it
(docs/elicitation.md §2.6). In the variant with plain (unnormalised) updates and inputs confined to ``V_kappa``, the
component of every neuron outside ``V_kappa`` is exactly invariant (gradient confinement, docs/elicitation.md §2.6; a
unit test checks it in both kernels). Certified there (``elicit.p3.*``): the target alignment and the retained private
part ``b(t) = <w, xi>`` of a correlated feature follow a derived four-variable ODE, under W2S with leakage (``b`` decays
only through the leakage, at rate ``delta tau_x^2 E_l``) and under SFT (``b`` is forgotten). Shown, not certified: the
paper's notion of retention, the off-target task's risk (no prediction derived); see the figure
``elicitation_p3_retention``.

Certified (docs/elicitation.md §2.7): W2S on the transformed weak label ``T(y) = y^2 - E y^2`` of a link ``h_3`` (the
exponent lowered from 3 to 2), in the spherical model and with plain updates. The transformed label is heavy-tailed:
a step's jump ``delta |u| / sqrt(D_eff)`` is cut off by the normalisation, which lifts the spherical overlap above the
ODE by an amount decaying more slowly than ``1/D_eff`` (this made the first ladder drift). That part of the bias is
derived from the exact one-step mean ``F_D`` and subtracted; the rest is ``O(1/D_eff)``.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from w2s.kernels.elicitation import (gram_chain, gram_state, initial_state, online_sgd, random_orthonormal,
                                     random_start_in_subspace)
from w2s.kernels.rng import generator
from w2s.theory import elicitation as E
from w2s.theory.elicitation import hermite_link
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, Shown


SOURCE = "Awano & Suzuki 2026, arXiv 2605.12908; docs/elicitation.md"
PROVENANCE = "DERIVED in the proposed model (docs/elicitation.md §1; ODE of w2s.theory.elicitation, §2.1)"

#: Fast ladder in D_eff, replicates ~ 1/D_eff (equal cost per rung); full ladder to 2^20. Twice the replicates
#: that the statistical error alone needs, so that 99% power against the 5% falsifier survives the systematic error
#: of the extrapolation (the late-time overlaps had falsifier/stat ~ 17, failing the power check in ~1% of seeds).
FAST = Ladder(d=(256, 512, 1024, 2048), reps=(3200, 1600, 800, 400))
FULL = Ladder(d=(256, 1024, 4096, 16384, 65536, 262144, 1048576), reps=(2560, 640, 160, 80, 40, 20, 20))

FS_REASON = ("the overlaps are smooth functions of averages over D_eff steps per unit time: the per-step "
             "fluctuations (O(D_eff^-1/2) after O(1) time) have mean zero and move the mean at second order, and "
             "|x|^2 / D_eff = 1 + O(D_eff^-1/2) likewise: O(1/D_eff)")


def labels(p) -> E.Labels:
    """The label model of a claim's parameters (normalised Hermite link and activation, polynomial transform)."""
    link = E.hermite_link(p["link_k"])
    if "transform_name" in p:
        transform = E.weak_label_transform(p["transform_name"], link, p.get("tau", 0.0))
    else:
        transform = tuple(p.get("transform", (0.0, 1.0)))
    return E.Labels(link=tuple(link), act=tuple(E.hermite_link(p["act_k"])), transform=tuple(transform),
                    tau=p.get("tau", 0.0))


def chain_args(p, D):
    """Keyword arguments of :func:`gram_chain` for the inputs of a claim at ``D_eff = D``."""
    lab = labels(p)
    if p["inputs"] == "subspace":  # W2S: inputs on V_kappa (r = D), ambient d = 16 r (never read: no leakage)
        geo = dict(d=16 * D, r=D, tau_x=0.0)
    else:
        geo = dict(d=D, r=None)
    return dict(geo, eta=p["delta"] / D, act=np.array(lab.act), link=np.array(lab.link),
                transform=np.array(lab.transform), tau=lab.tau)


# ----- P1: alignment trajectories --------------------------------------------------------------------------------

def _m_labels(p):
    """Component labels ``m(t=...)`` at (possibly overridden) ``times``."""
    return tuple(f"m(t={t:g})" for t in np.atleast_1d(np.asarray(p["times"], float)))


def _align_predict(p):
    return E.alignment_trajectory(p["times"], p["m0"], labels(p), p["delta"])


def _align_simulate(p, D, rng, reps):
    m0 = p["m0"]
    state = gram_state(np.array([[m0, math.sqrt(1 - m0 * m0)], [1.0, 0.0]]))
    rec = np.array([round(t * D) for t in p["times"]], np.int64)
    out = gram_chain(state, p=1, steps=int(rec[-1]), a=[1.0], record_steps=rec, rng=rng, reps=reps,
                     **chain_args(p, D))[:, :, 0, 0]
    return np.abs(out) if p["even"] else out


def _tl_simulate(p, D, rng, reps, correct=True):
    """``m(t) - c_D(t)`` (``|m|`` for even laws) on the exact chain (spherical): the finite-D drift's part of the bias
    (w2s.theory.elicitation.heavy_tail_correction) subtracted."""
    raw = _align_simulate(p, D, rng, reps)
    if not correct:
        return raw
    return raw - E.heavy_tail_correction(p["times"], p["m0"], labels(p), p["delta"], D)[None, :]


_ALIGN = {
    "w2s.p2": dict(inputs="subspace", link_k=2, act_k=2, delta=0.2, m0=0.3, times=(1.0, 2.0, 4.0), even=True,
                   what="W2S, link h_2 (p* = 2), inputs on V_kappa"),
    # h_3 links: times up to t = 10 (see the note at the claims below)
    "w2s.p3-weak": dict(inputs="subspace", link_k=3, act_k=3, tau=0.5, delta=0.05, m0=0.4, times=(5.0, 7.5, 10.0),
                        even=False, what="W2S on noisy weak labels, link h_3 (p* = 3), weak-label noise tau = 0.5, "
                                         "inputs on V_kappa"),
    "sft.p3": dict(inputs="isotropic", link_k=3, act_k=3, delta=0.05, m0=0.4, times=(5.0, 7.5, 10.0), even=False,
                   what="SFT, raw link h_3 (p = 3), isotropic inputs, activation h_3"),
}

for _name, _p in _ALIGN.items():
    REGISTRY.add(Claim(
        id=f"elicit.alignment.{_name}",
        title=f"Target alignment m(t) follows the overlap ODE ({_p['what']})",
        statement=("With eta = delta/D_eff and t = steps/D_eff, the overlap m(t) = <w, theta> of spherical online "
                   "SGD on the correlation loss converges as D_eff -> inf to the ODE dm/dt = delta E[u (l_theta - m "
                   "l)] - (delta^2/2) m E[u^2] (population drift plus the normalisation's noise term; for delta -> 0 "
                   "it is p* m^(p*-1)(1 - m^2), docs/elicitation.md §2.2), at three times from a fixed m(0)."),
        source=SOURCE + " §2.1-2.2 (P1)", provenance=PROVENANCE, params=_p, predict=_align_predict,
        # h_3 links (degree-5 steps u): the normalisation's finite-D drift decays more slowly than 1/D (at t = 20:
        # 0.023 at D = 256, 0.010 at 1024; a 1/D fit extrapolated it to +0.006, z = 4.7 in one calibration seed, and
        # z = +2.9, +3.5 at t = 5, 10 for SFT at seed 0); it is derived and subtracted as for the transformed label
        # (docs/elicitation.md §2.7). At t = 20 the subtraction overshoots (z = -1.8 ... -3.2 at five seeds: as for
        # the transformed label, the late-time fluctuations' own bias is not derived), so the times stop at t = 10,
        # where the corrected z scatter around 0 (mean -0.4 over five seeds and two claims). For h_2 the drift's
        # part is O(1/D) (-0.0007 at D = 256, -0.0002 at 1024) and left to the fit.
        simulate=_tl_simulate if _p["link_k"] == 3 else _align_simulate, ladders={"fast": FAST, "full": FULL},
        components=tuple(f"m(t={t:g})" for t in _p["times"]), component_names=_m_labels, finite_size=1.0,
        finite_size_reason=(FS_REASON if _p["link_k"] != 3 else
                            "the finite-D drift F_D of the normalisation (derived, docs/elicitation.md §2.7) is "
                            "subtracted; what remains, " + FS_REASON),
        family="elicitation",
        setup=(f"ladder axis = D_eff ({'r, the dimension of V_kappa' if _p['inputs'] == 'subspace' else 'd'}); "
               f"delta = {_p['delta']}, m(0) = {_p['m0']}; one neuron; exact Gram chain"
               + ("; |m| recorded (the law is symmetric under w -> -w)" if _p["even"] else ""))))


# ----- P2: SFT retention of correlated off-target features ----------------------------------------------------------

_RET = dict(inputs="isotropic", link_k=2, act_k=2, delta=0.2, rhos=(0.3, 0.6), times=(1.0, 3.0, 8.0))


def _ret_predict(p):
    out = []
    for rho in p["rhos"]:
        m, R = E.retention_trajectory(p["times"], rho, labels(p), p["delta"])
        out += list(m) + list(R)
    return out


def _ret_simulate(p, D, rng, reps):
    rhos = p["rhos"]
    k = len(rhos)
    dirs = np.zeros((k + 1, k + 1))
    dirs[0, 0] = 1.0
    for j, rho in enumerate(rhos):
        dirs[j + 1, 0] = rho
        dirs[j + 1, j + 1] = math.sqrt(1 - rho * rho)
    state = gram_state(np.vstack([dirs[1:], dirs]))  # neuron j starts on its feature theta_kj
    rec = np.array([round(t * D) for t in p["times"]], np.int64)
    o = gram_chain(state, p=k, steps=int(rec[-1]), a=np.ones(k), record_steps=rec, rng=rng, reps=reps,
                   **chain_args(p, D))
    cols = []
    for j in range(k):
        cols += [o[:, :, j, 0], o[:, :, j, j + 1]]
    return np.concatenate(cols, axis=1)


REGISTRY.add(Claim(
    id="elicit.retention.sft",
    title="SFT forgets correlated off-target features: retention R(t) follows the ODE, R -> rho m* (rho m* -> rho "
          "as delta -> 0)",
    statement=("An off-target neuron started on theta_k, <theta_k, theta> = rho, trained by SFT (isotropic inputs, "
               "link h_2): (m(t), R(t) = <w, theta_k>) converge to the two-overlap ODE. For delta -> 0 the motion is "
               "planar and R = cos(arccos rho - arccos m) -> rho (docs/elicitation.md §2.2); at finite delta the "
               "noise term shrinks both overlaps alike and R -> rho m*, with m* the noise floor (0.80 at delta = "
               "0.2)."),
    source=SOURCE + " §2.3 (P2)", provenance=PROVENANCE, params=_RET, predict=_ret_predict, simulate=_ret_simulate,
    ladders={"fast": FAST, "full": FULL},
    components=tuple(f"{q}(rho={rho:g},t={t:g})" for rho in _RET["rhos"] for q in ("m", "R") for t in _RET["times"]),
    finite_size=1.0, finite_size_reason=FS_REASON, family="elicitation",
    setup=("ladder axis = d (SFT, isotropic inputs); delta = 0.2; two off-target neurons (rho = 0.3, 0.6) trained "
           "together (the correlation loss decouples them); exact Gram chain")))


# ----- P1: steps to alignment from a random start -----------------------------------------------------------------

_HIT = dict(inputs="subspace", link_k=2, act_k=2, delta=0.3, level=0.5, even=True)


def _hit_predict(p):
    return E.hitting_time_constant(labels(p), p["delta"], p["level"])


def hitting_times(p, D, rng, reps):
    """``t_hit = steps / D`` until ``|m| >= level`` from uniform random starts on the sphere of the input space
    (exact Gram chain, per-replicate starts: :func:`hit_steps`); shared by the claim and its figure."""
    lam, _ = E.escape_rate(labels(p), p["delta"])
    return hit_steps(p, D, rng, reps, int((math.log(D) / (2 * lam) + 40.0 / lam) * D)) / D


def _hit_simulate(p, D, rng, reps):
    lam, _ = E.escape_rate(labels(p), p["delta"])
    return hitting_times(p, D, rng, reps) - math.log(D) / (2 * lam)


REGISTRY.add(Claim(
    id="elicit.steps-to-alignment.p2",
    title="Steps to alignment from a random start: E[t_hit] = log(D_eff)/(2 lambda) + K* (W2S: D_eff = r; SFT: d)",
    statement=("From a uniform random start on the sphere of the input space, the first time |m| >= 1/2 satisfies "
               "E[t_hit] - log(D_eff)/(2 lambda) -> K* (derived: linear escape from the saddle at rate lambda = "
               "F'(0) with Gaussian amplitude of variance 1 + delta^2 Q1/(2 lambda), then the deterministic ODE); in "
               "steps, T = D_eff (log(D_eff)/(2 lambda) + K*): D_eff log D_eff as in docs/elicitation.md §2.5, with "
               "D_eff = r for W2S whatever d, and d for SFT."),
    source=SOURCE + " §2.5 (P1: T ~ D_eff log D_eff for p* = 2)",
    provenance=PROVENANCE + "; the constant K* is derived in w2s.theory.elicitation.hitting_time_constant",
    params=_HIT, predict=_hit_predict, simulate=_hit_simulate,
    # Four rungs (so that both model variants of the systematic error exist) and more replicates at the top: with
    # three rungs and a D^-1/2 model the fit without the smallest rung moved the intercept by 5 standard errors
    # (sys = 3.5 stat) and the 0.5 falsifier had 2% power; with 1/D the fits agree (variant shifts < 0.4 sigma).
    ladders={"fast": Ladder(d=(256, 512, 1024, 2048), reps=(8000, 6000, 4000, 3000)),
             "full": Ladder(d=(256, 1024, 4096, 16384, 65536), reps=(8000, 4000, 2000, 1000, 500))},
    components=("t_hit - log(D)/(2 lambda)",), scale=(1.0,), falsifier=0.5, finite_size=1.0,
    finite_size_reason=("the escape amplitude is Gaussian only as D -> inf and the crossing of the level carries "
                        "O(D^-1/2) fluctuations of m; both have mean zero to leading order (the sphere's marginal "
                        "is even), so they enter E[t_hit] at second order, O(1/D), as does the 1/D_eff resolution of "
                        "the hitting step"),
    family="elicitation",
    setup=("ladder axis = D_eff = r (W2S: inputs on V_kappa; d never enters); delta = 0.3, link = activation = h_2; "
           "hitting step / D_eff (resolution 1/D_eff); scale = 1 time unit (the e-folding time is 1/lambda = 1.96)")))


# ----- the sample-complexity advantage: steps to m = 1/2 for W2S on T(y), SFT on raw h_3, W2S on raw h_3 ------------

def _uniform_start(D, rng, reps):
    """Per-replicate start Gram matrices of a neuron uniform on the sphere of the ``D``-dimensional input space:
    ``m(0)`` is the first coordinate of a uniform unit vector."""
    g1 = rng.standard_normal(reps)
    m0 = g1 / np.sqrt(g1 * g1 + rng.chisquare(D - 1, reps))
    Sp = np.empty((reps, 2, 2))
    Sp[:, 0, 0] = Sp[:, 1, 1] = 1.0
    Sp[:, 0, 1] = Sp[:, 1, 0] = m0
    return Sp, np.zeros_like(Sp)


def hit_steps(p, D, rng, reps, budget, control=None):
    """Raw SGD steps until ``|m| >= level`` from uniform random starts (exact Gram chain, at most ``budget``
    steps); ``p["delta"]`` is the step-size constant at this ``D`` (``eta = delta / D``). With ``control``
    (``gram_chain``'s weight table): ``(steps, C)`` with ``C`` the chain's control martingale (mean 0)."""
    res = gram_chain(_uniform_start(D, rng, reps), p=1, steps=int(budget), a=[1.0], record_steps=[0], rng=rng,
                     reps=reps, hit_level=p["level"], control=control, **chain_args(p, D))
    hits = res[1]
    if np.any(hits < 0):
        raise RuntimeError(f"{np.sum(hits < 0)} replicates did not reach |m| = {p['level']} in {int(budget)} steps")
    return hits.astype(float) if control is None else (hits.astype(float), res[2])


#: W2S on T(y_w) of h_3 (tau = 0.5), activation h_2: exponent 2, D_eff = r. delta = 0.005 keeps the noise floor
#: (m* = 0.73) well above the level and the heavy tail's finite-D drift small (its shift of the law is 0.05 time
#: units at r = 1024, 0.05 at 4096, against the scale 1/lambda = 25); at delta = 0.01 (m* = 0.59) it was -1.6 at
#: r = 1024 and -0.6 at 16384, decaying like r^-0.4.
_HIT_T = dict(inputs="subspace", link_k=3, act_k=2, tau=0.5, transform_name="square", delta=0.005, level=0.5,
              even=True)
#: SFT on the raw gold label h_3 (activation h_3, isotropic inputs) and W2S on the raw weak label h_3 + 0.5 zeta
#: (inputs on V_kappa): exponent 3, eta = delta0 D^-1/2 / D.
_HIT_3 = {"sft": dict(inputs="isotropic", link_k=3, act_k=3, tau=0.0, delta0=1.0, level=0.5, even=False),
          "w2s": dict(inputs="subspace", link_k=3, act_k=3, tau=0.5, delta0=1.0, level=0.5, even=False)}


def _hit_t_simulate(p, D, rng, reps):
    lam, _ = E.escape_rate(labels(p), p["delta"])
    return (hitting_times(p, D, rng, reps) - math.log(D) / (2 * lam)
            - E.finite_size_hitting_shift(labels(p), p["delta"], p["level"], D))


_LAM_T = E.escape_rate(labels(_HIT_T), _HIT_T["delta"])[0]

REGISTRY.add(Claim(
    id="elicit.steps-to-alignment.w2s.transformed-labels",
    title=("Steps to m = 1/2 for W2S on T(y) = y^2 - E y^2 of h_3 (exponent lowered to 2): "
           "r (log r / (2 lambda) + K*)"),
    statement=("W2S on the centred square of the noisy weak label of h_3 (tau = 0.5), activation h_2, inputs on "
               "V_kappa (D_eff = r), eta = delta / r, from a uniform random start: the first time |m| >= 1/2 "
               "satisfies E[t_hit] - log(r)/(2 lambda) -> K* (t = steps / r), the law of "
               "elicit.steps-to-alignment.p2 with the transformed label's rate lambda = F'(0) and constant K* "
               "(w2s.theory.elicitation.hitting_time_constant): r log r steps, whatever d. The heavy tail's "
               "finite-r drift F_D is derived and its shift of the law subtracted (finite_size_hitting_shift)."),
    source=SOURCE + " §2.5 (P1), §2.7 (transforms), §2.9 (the three protocols)",
    provenance=PROVENANCE + "; K* and the finite-r shift derived in docs/elicitation.md §2.5, §2.9",
    params=_HIT_T, predict=lambda p: E.hitting_time_constant(labels(p), p["delta"], p["level"]),
    simulate=_hit_t_simulate,
    # per-replicate sd of t_hit ~ 1.1/lambda = 28: 4000 ... 500 replicates resolve the intercept to ~0.75 time
    # units, falsifier/stat ~ 17. With half of them (stat ~ 1.06, falsifier/stat ~ 12) the noise of the fit
    # variants' shifts (sys = 2.8 = 2.7 stat at one seed, rung means 2.3 sd apart) took the 99% power to 0.42 in
    # 1 of 5 calibration seeds.
    ladders={"fast": Ladder(d=(512, 1024, 2048, 4096), reps=(4000, 2000, 1000, 500)),
             "full": Ladder(d=(512, 2048, 8192, 16384), reps=(4000, 1000, 500, 250))},
    components=("t_hit - log(r)/(2 lambda)",), scale=(1.0 / _LAM_T,), falsifier=0.5, finite_size=1.0,
    finite_size_reason=("as elicit.steps-to-alignment.p2 (the Gaussian escape amplitude, the O(r^-1/2) fluctuations "
                        "at the crossing and the 1/r resolution of the hitting step enter at O(1/r)), once the "
                        "shift of the law by the heavy-tailed step's finite-r drift is subtracted"),
    family="elicitation",
    setup=("ladder axis = D_eff = r (inputs on V_kappa, d = 16 r never read); delta = 0.005, tau = 0.5, link h_3, "
           "activation h_2, T(y) = y^2 - 1.25, level 1/2; scale = the e-folding time 1/lambda (the falsifier moves "
           "the law by half of it); exact Gram chain, per-replicate uniform starts")))


@functools.lru_cache(maxsize=None)
def _escape3(lab, delta0, level):
    return E.high_exponent_escape(lab, delta0, level)  # ~1 s: once per process, not once per block


def _hit3_predict(p):
    _, K, _ = _escape3(labels(p), p["delta0"], p["level"])
    return K


#: The grid of the control's weight in mu = sqrt(D) m: below -12 the weight is < 1.4% of its peak, above 40 (m
#: beyond the level 1/2 for D <= 6400) < 0.1%; zero outside costs efficiency only, never bias.
_MU_GRID = np.linspace(-12.0, 40.0, 521)


@functools.lru_cache(maxsize=None)
def _escape3_slope(lab, delta0):
    return E.high_exponent_escape_slope(lab, delta0, _MU_GRID)


def hit3_control(p, D):
    """The control of the exponent-3 hitting time at ``D``: ``gram_chain``'s weight ``w(m) = T'(sqrt(D) m)
    sqrt(D) eta`` with ``T'`` the escape SDE's :func:`~w2s.theory.elicitation.high_exponent_escape_slope` and
    ``eta = delta0 D^-3/2``, so that ``C`` is, to leading order, the martingale part of ``tau = steps / D^2``
    (docs/elicitation.md §3.3). Any weight leaves ``E[C] = 0``: this one makes ``tau - C`` vary little."""
    w = _escape3_slope(labels(p), p["delta0"]) * (p["delta0"] / D)
    return (_MU_GRID[0] / math.sqrt(D), _MU_GRID[-1] / math.sqrt(D), w)


def hit3_draws(p, D, rng, reps):
    """``(tau, C)``: the exponent-3 hitting times ``steps / D^2`` from uniform starts and their control
    martingale (:func:`hit3_control`), on the same draws."""
    _, K, _ = _escape3(labels(p), p["delta0"], p["level"])
    q = dict(p, delta=p["delta0"] / math.sqrt(D))
    steps, C = hit_steps(q, D, rng, reps, budget=40.0 * K * D * D, control=hit3_control(p, D))
    return steps / (D * D), C


def _hit3_simulate(p, D, rng, reps):
    _, _, c1 = _escape3(labels(p), p["delta0"], p["level"])
    tau, C = hit3_draws(p, D, rng, reps)
    return tau - C - c1 / math.sqrt(D)


for _proto, _p in _HIT_3.items():
    _who = ("SFT on the raw gold label h_3 (isotropic inputs, D_eff = d)" if _proto == "sft" else
            "W2S on the raw weak label h_3 + 0.5 zeta without a transform (inputs on V_kappa, D_eff = r)")
    REGISTRY.add(Claim(
        id=f"elicit.steps-to-alignment.{_proto}.p3-raw",
        title=(f"Steps to m = 1/2 at information exponent 3, {_who}: D_eff^2 K at the step size eta = "
               "delta0 D_eff^-3/2 it needs"),
        statement=(f"{_who}, activation h_3, spherical online SGD on the correlation loss from a uniform random "
                   "start. At eta = delta/D_eff with delta fixed the noise term traps m near 0 (escape takes "
                   "exponentially many steps); at eta = delta0 D_eff^-1/2 / D_eff, tau = steps / D_eff^2 satisfies "
                   "E[tau_hit] = K + c1 D_eff^-1/2 + O(1/D_eff), with K the mean explosion time of the escape SDE "
                   "d mu = (delta0 A mu^2 - delta0^2 Q0 mu / 2) d tau + delta0 sqrt(Q1) dW, mu(0) ~ N(0, 1) and c1 "
                   "the deterministic phase's correction (w2s.theory.elicitation.high_exponent_escape; "
                   "docs/elicitation.md §2.9): D_eff^2 steps, against D_eff log D_eff at exponent 2. Estimated "
                   "by tau_hit - C with C the chain's exactly centred control martingale (E[C] = 0 at every D, "
                   "certified as elicit.engine.control-martingale.mean-zero.*; docs/elicitation.md §3.3)."),
        source=SOURCE + " §2.9 (steps to alignment at information exponent >= 3)",
        provenance=PROVENANCE + "; the escape SDE, K and c1 derived in docs/elicitation.md §2.9, the control §3.3",
        params=_p, predict=_hit3_predict, simulate=_hit3_simulate,
        # The per-replicate sd of tau_hit is ~0.95 K (intrinsic: the start explains 5% of the variance); the
        # control C (the escape SDE's T'(mu) times the overlap's martingale increments) removes most of it: the
        # variance of tau_hit - C is smaller by 6.6, 9.8, 14.6, 19.6 at D = 160, 320, 640, 1280 (measured, w2s;
        # the ratio grows as the SDE becomes exact), at 1.55 times the cost a replicate. Replicates are therefore
        # spent where they are cheap (D^2 steps each): 1600 ... 100 resolve K to ~1.3% (stat), better than the raw
        # estimator's 8000 ... 600 at a quarter of the CPU time; the declared falsifier is 20% of K. The ladder
        # starts at D = 160: from D = 128 the O(1/D) term's large coefficient (~30 against K = 0.75) left an
        # O(1/D^2) curvature that the fit variants turned into a systematic error of 0.046 at one of four seeds.
        ladders={"fast": Ladder(d=(160, 320, 640, 1280), reps=(1600, 800, 300, 100)),
                 "full": Ladder(d=(160, 320, 640, 1280, 2560), reps=(1600, 800, 300, 100, 50))},
        components=("steps/D^2 - c1 D^-1/2",), falsifier=0.2, finite_size=1.0,
        finite_size_reason=("the D^-1/2 correction of the deterministic phase (level 1/2 instead of explosion, the "
                            "full drift 3 m^2 (1 - m^2) instead of 3 m^2) is derived and subtracted; the noise term "
                            "in that phase, the finite-D law of the start and the discreteness of the steps "
                            "(jumps of mu of order 1/D) are O(1/D)"),
        family="elicitation",
        setup=(f"ladder axis = D_eff ({'d, isotropic inputs' if _proto == 'sft' else 'r; inputs on V_kappa, d = 16 r never read'}); "
               f"delta0 = 1 (eta = D_eff^-3/2), link = activation = h_3, label noise tau = {_p['tau']}, level 1/2; "
               "exact Gram chain, per-replicate uniform starts; the falsifier moves K by 20%")))


# ----- P3': gradient confinement under plain updates (the investigated variant) -----------------------------------

_P3 = dict(link_k=2, act_k=2, tau=0.3, delta=0.2, rho=0.5, tau_x=0.3, nu=4.0)
#: SFT forgets b within t ~ 5 (b(10) = 0.03 would be resolved only to ~4%): earlier times for it
_P3_TIMES = {"w2s": (2.0, 5.0, 10.0), "sft": (1.0, 3.0, 6.0)}


def _p3_predict(p, protocol):
    m, b = E.plain_update_trajectory(p["times"], p["rho"], labels(p), p["delta"], p["tau_x"], p["nu"], protocol)
    return list(m) + list(b)


def _p3_simulate(p, D, rng, reps, protocol):
    """Replicates of ``(m(t), b(t))`` on the event that the chain does not diverge: plain squared-loss SGD with a
    quadratic activation overflows after a rare large fluctuation (non-finite overlaps), and such a replicate is
    drawn again from the same generator (deterministic given the seed). The certified mean is thus the mean given no
    divergence, whose probability tends to 1 (measured: about 1 in 20 000 runs at D = 256, 1 in 50 000 at D = 512,
    none seen at 1024); :func:`_p3_draws` is one unconditioned draw."""
    out = _p3_draws(p, D, rng, reps, protocol)
    bad = ~np.all(np.isfinite(out), axis=1)
    for _ in range(20):
        if not bad.any():
            break
        out[bad] = _p3_draws(p, D, rng, int(bad.sum()), protocol)
        bad = ~np.all(np.isfinite(out), axis=1)
    if not bad.any():
        return out
    raise RuntimeError(f"plain-update chain kept diverging at D={D}: {int(bad.sum())} of {reps} replicates after "
                       "20 redraws")


def _p3_draws(p, D, rng, reps, protocol):
    rho = p["rho"]
    s = math.sqrt(1 - rho * rho)
    lab = labels(p)
    rec = np.array([round(t * D) for t in p["times"]], np.int64)
    kw = dict(p=1, steps=int(rec[-1]), eta=p["delta"] / D, act=np.array(lab.act), link=np.array(lab.link),
              tau=lab.tau, a=[1.0], loss="squared", update="plain", record_steps=rec, rng=rng, reps=reps)
    if protocol == "w2s":  # tracked: neuron on theta_k, theta, xi; theta in V_kappa (r = D), xi outside
        st = gram_state(np.array([[rho, 0.0], [1.0, 0.0], [0.0, 0.0]]), np.array([[s], [0.0], [1.0]]))
        o = gram_chain(st, d=int(p["nu"] * D), r=D, tau_x=p["tau_x"], **kw)
    else:  # SFT: isotropic inputs in d = D, xi one of their directions
        o = gram_chain(gram_state(np.array([[rho, s], [1.0, 0.0], [0.0, 1.0]])), d=D, **kw)
    return np.concatenate([o[:, :, 0, 0], o[:, :, 0, 1]], axis=1)


for _proto, _what, _lad in (
        ("w2s", "W2S: inputs on V_kappa (r = D_eff, d = 4 r) with leakage tau_x = 0.3",
         {"fast": Ladder(d=(1024, 2048, 4096, 8192), reps=(1200, 600, 300, 150)),
          "full": Ladder(d=(1024, 4096, 16384, 65536, 262144), reps=(2400, 600, 150, 40, 20))}),
        ("sft", "SFT: isotropic inputs (D_eff = d)",
         # 4x the replicates of the statistical need: b(t=6) had falsifier/stat ~ 13, and 99% power against it
         # failed in ~4% of seeds once the extrapolation's systematic error joins the total error
         {"fast": Ladder(d=(512, 1024, 2048, 4096), reps=(6400, 3200, 1600, 800)),
          "full": Ladder(d=(512, 2048, 8192, 32768, 131072), reps=(3200, 800, 200, 80, 20))})):
    REGISTRY.add(Claim(
        id=f"elicit.p3.{_proto}-plain-updates",
        title=f"Plain-update SGD: target alignment m(t) and the retained private part b(t) of a correlated "
              f"feature follow the derived ODE ({_what})",
        statement=("An off-target neuron started on theta_k = rho theta + sqrt(1 - rho^2) xi (rho = 0.5; xi outside "
                   "V_kappa) is trained by plain (unnormalised) online SGD on the squared loss with noisy weak labels. "
                   "(m, b) = (<w, theta>, <w, xi>) converge to the four-variable ODE of "
                   "w2s.theory.elicitation.plain_update_trajectory (Stein's lemma with the input covariance; derived "
                   "here, docs/elicitation.md §2.6): under W2S b decays only through the leakage, db/dt = delta "
                   "tau_x^2 E_l b (exactly constant at tau_x = 0), under SFT db/dt = delta E_l b and the private "
                   "part is forgotten."),
        source=SOURCE + " §2.6 (P3, P3')",
        provenance=("DERIVED here in the investigated variant (plain updates) of the proposed model "
                    "(docs/elicitation.md §2.6)"),
        params=dict(_P3, protocol=_proto, times=_P3_TIMES[_proto]), predict=lambda p, _pr=_proto: _p3_predict(p, _pr),
        simulate=lambda p, D, rng, reps, _pr=_proto: _p3_simulate(p, D, rng, reps, _pr), ladders=_lad,
        components=tuple(f"{q}(t={t:g})" for q in ("m", "b") for t in _P3_TIMES[_proto]), finite_size=1.0,
        finite_size_reason=FS_REASON + ("; plain squared-loss SGD with a quadratic activation diverges after a "
                                        "large fluctuation, rarely and ever more rarely as D_eff grows (a diverged "
                                        "replicate is drawn again: the mean given no divergence is certified), and "
                                        "the ladder starts late: "
                                        + ("W2S diverged in 8 of 4000 runs at r = 256, 1 of 20 000 at r = 512, none "
                                           "of 20 000 at r = 1024" if _proto == "w2s" else
                                           "SFT diverged in about 1 of 20 000 runs at d = 256 and 1 of about 50 000 "
                                           "at d = 512 (a calibration seed)")),
        family="elicitation",
        setup=("ladder axis = D_eff; delta = 0.2, link = activation = h_2, weak-label noise 0.3, squared loss, plain "
               "updates, one neuron; exact Gram chain" + (", d = 4 r, tau_x = 0.3" if _proto == "w2s" else ""))))


# ----- retention as a capability: the off-target task's risk under plain updates ----------------------------------
#
# The neuron of the P3' claims (started on theta_k = rho theta + sqrt(1 - rho^2) xi, xi outside V_kappa) is now
# scored as a capability: the risk of the off-target task k (reward g(<theta_k, x>), the target's link h_2, isotropic
# inputs) with (i) the pre-trained second layer kept and (ii) the best linear readout refit on the current feature
# (docs/elicitation.md §2.8). W2S (inputs on V_kappa, r = D, d = nu D, leakage tau_x) and SFT (isotropic inputs) run in
# the same ambient dimension d = nu D for the same number of raw steps, each with its own step size delta / D_eff:
# W2S time t = steps / r, SFT time t / nu.

_OT = dict(_P3)
_OT_TIMES = (1.0, 2.0, 5.0)  # W2S time units; SFT has run t / nu of its own
_OT_LEVEL = 0.8  # matched target performance: each protocol stopped when m = <w, theta> first reaches it
OT_FAST = Ladder(d=(1024, 2048, 4096, 8192), reps=(1200, 600, 300, 150))
# The equal-steps risk claims: with 1200/600/300/150 replicates the SFT - W2S differences resolve 3.9% of their
# scale at the suite's z_crit (~4.1), so the 5% falsifier sits only ~5.3 SE away and is rejected with probability
# Phi(5.3 - 4.1) ~ 0.88 < 0.99. Twice the replicates make it ~7.4 SE (power ~ 0.9997).
OT_FAST_RISK = Ladder(d=(1024, 2048, 4096, 8192), reps=(2400, 1200, 600, 300))
OT_FULL = Ladder(d=(1024, 4096, 16384, 65536), reps=(4800, 1200, 300, 80))
OT_FS_REASON = ("the risk is a polynomial in the neuron's overlaps (|w|^2, <w, theta_k>), which follow the plain-update "
                "ODE with O(D^-1/2) mean-zero fluctuations: their second-order effect on the mean is O(1/D); the SFT "
                "chain runs in d = nu D with the same scaling; the W2S ladder starts at r = 1024 for the reason of "
                "elicit.p3.w2s-plain-updates (rare divergence of plain squared-loss SGD after a large fluctuation)")


#: Resolution scales of the difference components: a difference is resolved on the scale of the two risks it compares,
#: their mean (rounded down to two digits; tests/test_elicitation.py recomputes them), so that the falsifier moves it
#: by 5% of that mean; None: the component's own |prediction|.
_OT_DIFF_SCALE = {("times", 0.3): ((0.29, 0.74, 1.41), (0.21, 0.37, 0.60)),
                  ("times", 0.6): ((0.29, 0.52, 0.80), (0.17, 0.27, 0.44)),
                  ("matched", 0.3): ((1.65,), (0.75,)), ("matched", 0.6): ((0.69,), (0.48,))}


def _ot_states(rho):
    s = math.sqrt(1 - rho * rho)
    w2s = gram_state(np.array([[rho, 0.0], [1.0, 0.0], [0.0, 0.0]]), np.array([[s], [0.0], [1.0]]))
    sft = gram_state(np.array([[rho, s], [1.0, 0.0], [0.0, 1.0]]))
    return w2s, sft


def _ot_chain(p, D, rng, reps, protocol, steps, **extra):
    """One protocol's chain at rung D (W2S: r = D in d = nu D; SFT: isotropic d = nu D); records (m, b, |w|^2)."""
    lab = labels(p)
    d = int(p["nu"] * D)
    w2s, sft = _ot_states(p["rho"])
    kw = dict(p=1, d=d, steps=int(steps), act=np.array(lab.act), link=np.array(lab.link), tau=lab.tau, a=[1.0],
              loss="squared", update="plain", rng=rng, reps=reps, record_norms=True, **extra)
    if protocol == "w2s":
        return gram_chain(w2s, r=D, tau_x=p["tau_x"], eta=p["delta"] / D, **kw)
    return gram_chain(sft, eta=p["delta"] / d, **kw)


def _ot_risk(p, o, readout):
    """Per-replicate off-target risk from records ``(..., m, b, |w|^2)`` of one neuron."""
    rho = p["rho"]
    lab = labels(p)
    c = rho * o[..., 0] + math.sqrt(1 - rho * rho) * o[..., 1]
    return E.offtarget_risk_one_neuron(o[..., 2], c, lab.link, lab.act, lab.a, readout)


def _ot_predict(p):
    lab = labels(p)
    t = np.array(p["times"])
    args = (p["rho"], lab, p["delta"], p["tau_x"], p["nu"])
    out = {}
    for ro in E.READOUTS:
        out["w2s", ro] = E.plain_update_offtarget_risk(t, *args, protocol="w2s", readout=ro)
        out["sft", ro] = E.plain_update_offtarget_risk(t / p["nu"], *args, protocol="sft", readout=ro)
    return (list(out["w2s", "fixed"]) + list(out["sft", "fixed"]) + list(out["sft", "fixed"] - out["w2s", "fixed"])
            + list(out["sft", "refit"] - out["w2s", "refit"]))


def _ot_simulate(p, D, rng, reps):
    rec = np.array([round(t * D) for t in p["times"]], np.int64)
    res = {}
    for proto in ("w2s", "sft"):
        o = _ot_chain(p, D, rng, reps, proto, rec[-1], record_steps=rec)[:, :, 0, :]
        for ro in E.READOUTS:
            res[proto, ro] = _ot_risk(p, o, ro)
    return np.concatenate([res["w2s", "fixed"], res["sft", "fixed"], res["sft", "fixed"] - res["w2s", "fixed"],
                           res["sft", "refit"] - res["w2s", "refit"]], axis=1)


def _ot_matched_predict(p):
    return list(_ot_matched_cached(tuple(sorted(p.items()))))


@functools.lru_cache(maxsize=16)
def _ot_matched_cached(items):
    p = dict(items)
    lab = labels(p)
    args = (p["level"], p["rho"], lab, p["delta"], p["tau_x"], p["nu"])
    r = {(pr, ro): E.plain_update_matched_risk(*args, protocol=pr, readout=ro) for pr in ("w2s", "sft")
         for ro in E.READOUTS}
    return [r["w2s", "fixed"][0], r["sft", "fixed"][0] * p["nu"], r["w2s", "fixed"][1], r["sft", "fixed"][1],
            r["sft", "fixed"][1] - r["w2s", "fixed"][1], r["w2s", "refit"][1], r["sft", "refit"][1],
            r["sft", "refit"][1] - r["w2s", "refit"][1]]


def _ot_matched_simulate(p, D, rng, reps):
    pred = _ot_matched_predict(p)
    res = {}
    for proto, t_raw in (("w2s", pred[0]), ("sft", pred[1])):
        steps = int(3 * t_raw * D)  # three times the ODE's hitting step count: every replicate gets there
        o, hits = _ot_chain(p, D, rng, reps, proto, steps, record_steps=[0], hit_level=p["level"], record_hit=True)
        if np.any(hits < 0):
            raise RuntimeError(f"{proto}: {int(np.sum(hits < 0))} replicates did not reach m = {p['level']}")
        h = o[:, -1, 0, :]
        res[proto] = (hits / D, _ot_risk(p, h, "fixed"), _ot_risk(p, h, "refit"))
    w, s = res["w2s"], res["sft"]
    return np.stack([w[0], s[0], w[1], s[1], s[1] - w[1], w[2], s[2], s[2] - w[2]], axis=1)


# rho = 0.3 starts its ladders at r = 2048: on r = 1024 ... 8192 the extrapolation of SFT - W2S at t = 1 carried a
# systematic error (0.0032, from the fit variants: curvature beyond 1/D at r = 1024) larger than its statistical one
# (0.0020), and the 5% falsifier was detected with power 0.63 < 0.99; from r = 2048 the variants agree (power 1.000
# at seeds 0-3). More replicates would not have removed a systematic error.
_OT_LADDERS = {0.3: {"risk": Ladder(d=(2048, 4096, 8192, 16384), reps=(2400, 1200, 600, 300)),
                     "matched": Ladder(d=(2048, 4096, 8192, 16384), reps=(1200, 600, 300, 150)),
                     "full": Ladder(d=(2048, 8192, 32768, 131072), reps=(4800, 1200, 300, 80))},
               0.6: {"risk": OT_FAST_RISK, "matched": OT_FAST, "full": OT_FULL}}

for _rho in (0.3, 0.6):
    REGISTRY.add(Claim(
        id=f"elicit.offtarget-risk.plain-updates.rho={_rho:g}",
        title=(f"The off-target task's risk (rho = {_rho:g}) under plain-update W2S and SFT, same network, same raw "
               "steps: the derived trajectories and the sign of SFT risk - W2S risk, pre-trained and refit readouts"),
        statement=("The neuron pre-trained on theta_k = rho theta + sqrt(1 - rho^2) xi is fine-tuned by plain online SGD "
                   "(squared loss, noisy weak labels) under W2S (inputs on V_kappa, r = D_eff, leakage tau_x = 0.3) or "
                   "SFT (isotropic inputs), both in d = 4 r for the same number of raw steps. The risk of the off-target "
                   "task g(<theta_k, x>) (isotropic inputs) with the pre-trained readout, and the difference SFT - W2S "
                   "with the pre-trained and with the refit readout, follow the plain-update ODE mapped through the "
                   "exact Gaussian risk (w2s.theory.elicitation.plain_update_offtarget_risk; docs/elicitation.md §2.8). "
                   "At equal raw steps SFT has barely moved (its time is t / 4) while W2S has learnt the target: "
                   "SFT - W2S < 0."),
        source=SOURCE + " §2.8",
        provenance=("DERIVED here in the investigated variant (plain updates) of the proposed model "
                    "(docs/elicitation.md §2.6, §2.8)"),
        params=dict(_OT, rho=_rho, times=_OT_TIMES), predict=_ot_predict, simulate=_ot_simulate,
        ladders={"fast": _OT_LADDERS[_rho]["risk"], "full": _OT_LADDERS[_rho]["full"]},
        components=(tuple(f"R_w2s(t={t:g})" for t in _OT_TIMES) + tuple(f"R_sft(t={t:g})" for t in _OT_TIMES)
                    + tuple(f"R_sft-R_w2s(t={t:g})" for t in _OT_TIMES)
                    + tuple(f"refit:R_sft-R_w2s(t={t:g})" for t in _OT_TIMES)),
        sign=(False,) * 6 + (True,) * 6, scale=(None,) * 6 + sum(_OT_DIFF_SCALE["times", _rho], ()),
        finite_size=1.0, finite_size_reason=OT_FS_REASON, family="elicitation",
        setup=("ladder axis = r = D_eff of W2S; d = 4 r for both protocols; same raw steps (t r); delta = 0.2 "
               "(eta = delta / r for W2S, delta / d for SFT), link = activation = h_2, weak-label noise 0.3, squared "
               "loss, plain updates, one neuron; exact Gram chain (batched)")))
    REGISTRY.add(Claim(
        id=f"elicit.offtarget-risk.matched-target.rho={_rho:g}",
        title=(f"At matched target performance (m = <w, theta> first reaches {_OT_LEVEL:g}), rho = {_rho:g}: the "
               "hitting steps of W2S and SFT, the off-target risk then, and the sign of SFT risk - W2S risk"),
        statement=("Each protocol of elicit.offtarget-risk.plain-updates is stopped at the first step at which the "
                   f"target overlap reaches {_OT_LEVEL:g}. The mean hitting steps (in units of r) and the off-target "
                   "risks at that step (pre-trained and refit readouts) follow the plain-update ODE's first passage "
                   "(w2s.theory.elicitation.plain_update_matched_risk; docs/elicitation.md §2.8). SFT needs several "
                   "times more steps, and with the readout refit it has forgotten more of the off-target task: "
                   "refit SFT - W2S > 0."),
        source=SOURCE + " §2.8",
        provenance=("DERIVED here in the investigated variant (plain updates) of the proposed model "
                    "(docs/elicitation.md §2.6, §2.8)"),
        params=dict(_OT, rho=_rho, level=_OT_LEVEL), predict=_ot_matched_predict, simulate=_ot_matched_simulate,
        ladders={"fast": _OT_LADDERS[_rho]["matched"], "full": _OT_LADDERS[_rho]["full"]},
        components=("steps_w2s/r", "steps_sft/r", "R_w2s", "R_sft", "R_sft-R_w2s", "refit:R_w2s", "refit:R_sft",
                    "refit:R_sft-R_w2s"),
        sign=(False, False, False, False, True, False, False, True),
        scale=(None,) * 4 + _OT_DIFF_SCALE["matched", _rho][0] + (None,) * 2 + _OT_DIFF_SCALE["matched", _rho][1],
        finite_size=1.0,
        finite_size_reason=(OT_FS_REASON + "; the first passage of a level crossed with a non-zero speed moves by the "
                            "O(D^-1/2) fluctuation at that time (mean zero) plus O(1/D)"),
        family="elicitation",
        setup=("as elicit.offtarget-risk.plain-updates; each replicate stopped at its hitting step (hit_level = "
               f"{_OT_LEVEL:g}, at most three times the ODE's hitting step count)")))


# ----- transformed weak labels: T(y) = y^2 - E y^2 on a link h_3 (exponent 3 lowered to 2) ------------------------

#: W2S on the centred square of the noisy weak label of h_3, activation h_2 (effective exponent p* = 2).
_TL = dict(inputs="subspace", link_k=3, act_k=2, tau=0.5, transform_name="square", m0=0.3, even=True)
# Times up to t = 10: at t = 20 the chain lay 1% (4 sigma in 1 of 9 calibration seeds) below the limit at every
# rung, flat in D. The per-replicate sd of m(20) falls only like D^-0.2 between D = 1024 and 16384 (not D^-1/2: the
# heavy-tailed steps), so the bias the fluctuations put into the mean is not O(1/D) there, and that part is not
# derived. Up to t = 10 the fluctuations are smaller and the 1/D model passes its fit test.
_TL_SPH = dict(_TL, delta=0.01, times=(5.0, 7.5, 10.0))
_TL_PLAIN = dict(_TL, delta=0.005, times=(10.0, 20.0, 40.0), even=False)

# Eight times the replicates of the first ladder (reps = 320 ... 20). With 20 at the top rung, m(t=20) (sd 0.03-0.06
# per replicate) had a statistical error ~0.004 and the fit variants' spread (the systematic error, itself noisy at
# that SE) reached 0.005: the 5% falsifier was detected with power < 0.99 in 1 of 2 calibration seeds, and still in
# 1 of 6 with four times the replicates (stat 0.003, sys 0.005, power 0.96). Each rung costs the same (D x reps).
TL_FAST = Ladder(d=(1024, 2048, 4096, 8192, 16384), reps=(2560, 1280, 640, 320, 160))
TL_FULL = Ladder(d=(1024, 4096, 16384, 65536, 262144, 1048576), reps=(1280, 320, 80, 40, 20, 20))

TL_FS_REASON = (
    "the transformed label is heavy-tailed (u = T(y) sigma'(l) is a degree-7 polynomial in Gaussians, E u^4 / (E u^2)^2 "
    "~ 3 10^4): the expansion of the normalisation in delta^2 u^2 / D_eff has terms delta^(2k) E[u^(2k)] D_eff^(1-k) "
    "that are ordered only for D_eff >> 10^4, and below that the steps whose jump delta |u| / sqrt(D_eff) is of order "
    "one are cut off, so the overlap lies above the ODE by an amount decaying more slowly than 1/D_eff (local exponent "
    "0.5-0.7 on the fast ladder). Derived and subtracted: c_D(t) = m_D(t) - m(t) with m_D the mean-field trajectory of "
    "the exact one-step mean F_D(m) (w2s.theory.elicitation.spherical_step_drift); what remains is the O(1/D_eff) "
    "effect of the O(D_eff^-1/2) fluctuations and of the chi-square |x|^2")


REGISTRY.add(Claim(
    id="elicit.alignment.w2s.transformed-labels",
    title="W2S on the transformed weak label T(y) = y^2 - E y^2 of h_3 (exponent 3 lowered to 2): m(t) follows the "
          "overlap ODE",
    statement=("The weak label y_w = h_3(<theta, x>) + tau zeta (tau = 0.5) is transformed by T(y) = y^2 - E y_w^2, "
               "which has a He_2 part (h_3^2 = (He_6 + 9 He_4 + 18 He_2 + 6)/6), and the strong model's neuron "
               "(activation h_2) is trained by spherical online SGD on the correlation loss with inputs on V_kappa "
               "(D_eff = r). With eta = delta/r and t = steps/r, m(t) converges to the overlap ODE (population "
               "drift plus the normalisation's noise term, with E[u^2] of the degree-7 polynomial u = T(y) sigma'(l)); "
               "the finite-size bias of the heavy-tailed steps is derived (F_D) and subtracted, the rest is O(1/r)."),
    source=SOURCE + " §2.7 (transforms, finite size of heavy-tailed steps), §2.1 (P1)",
    provenance=PROVENANCE + "; the finite-D drift F_D is derived in docs/elicitation.md §2.7",
    params=_TL_SPH, predict=_align_predict, simulate=_tl_simulate, ladders={"fast": TL_FAST, "full": TL_FULL},
    components=tuple(f"m(t={t:g})" for t in _TL_SPH["times"]), component_names=_m_labels, finite_size=1.0,
    finite_size_reason=TL_FS_REASON,
    family="elicitation",
    setup=("ladder axis = D_eff = r (inputs on V_kappa, d = 16 r never read); delta = 0.01, m(0) = 0.3, tau = 0.5, "
           "link h_3, activation h_2, T(y) = y^2 - 1.25; |m| recorded (T makes the law symmetric under theta -> "
           "-theta); c_D(t) subtracted per rung; exact Gram chain")))


def _tl_plain_predict(p):
    return E.plain_update_state(p["times"], p["m0"], labels(p), p["delta"], "squared")[1]


def _tl_plain_simulate(p, D, rng, reps):
    m0 = p["m0"]
    lab = labels(p)
    state = gram_state(np.array([[m0, math.sqrt(1 - m0 * m0)], [1.0, 0.0]]))
    rec = np.array([round(t * D) for t in p["times"]], np.int64)
    return gram_chain(state, p=1, d=16 * D, r=D, tau_x=0.0, steps=int(rec[-1]), eta=p["delta"] / D,
                      act=np.array(lab.act), link=np.array(lab.link), transform=np.array(lab.transform), tau=lab.tau,
                      a=[1.0], loss="squared", update="plain", record_steps=rec, rng=rng, reps=reps)[:, :, 0, 0]


REGISTRY.add(Claim(
    id="elicit.alignment.w2s.transformed-labels.plain-updates",
    title="W2S on the transformed weak label of h_3 with plain updates (squared loss): m(t) follows the plain-update "
          "ODE",
    statement=("Same labels as elicit.alignment.w2s.transformed-labels (T(y) = y^2 - E y_w^2 of h_3 + 0.5 zeta), one "
               "neuron (activation h_2) in V_kappa with |w(0)| = 1, plain (unnormalised) online SGD on the squared "
               "loss, inputs on V_kappa: m(t) = <w, theta> converges to the plain-update ODE "
               "(w2s.theory.elicitation.plain_update_state: Stein's lemma, exact in the mean step, the second moment "
               "only in |w|^2)."),
    source=SOURCE + " §2.7 (transforms), §2.6 (P3')",
    provenance=("DERIVED here in the investigated variant (plain updates) of the proposed model "
                "(docs/elicitation.md §2.6, §2.7)"),
    params=_TL_PLAIN, predict=_tl_plain_predict, simulate=_tl_plain_simulate,
    # four times the first ladder's replicates (320 ... 40), for the same reason as TL_FAST: the 5% falsifier was
    # detected with power < 0.99 in 1 of 8 calibration seeds with 40 replicates at the top rung
    ladders={"fast": Ladder(d=(1024, 2048, 4096, 8192), reps=(1280, 640, 320, 160)),
             "full": Ladder(d=(1024, 4096, 16384, 65536, 262144), reps=(1280, 320, 80, 40, 20))},
    components=tuple(f"m(t={t:g})" for t in _TL_PLAIN["times"]), component_names=_m_labels, finite_size=1.0,
    finite_size_reason=("plain updates have no normalisation: the mean step is exact in (|w|^2, m) and the heavy tail "
                        "enters only the O(D_eff^-1/2) fluctuations, whose effect on the mean is O(1/D_eff)"),
    family="elicitation",
    setup=("ladder axis = D_eff = r; delta = 0.005, m(0) = 0.3, |w(0)| = 1, tau = 0.5, link h_3, activation h_2, "
           "T(y) = y^2 - 1.25, squared loss, plain updates; exact Gram chain")))


REGISTRY.add_shown(Shown(
    id="elicit.shown.w2s-retention-under-correlation",
    title=("W2S preserves off-target features correlated with the target (the paper's claim, in general; "
           "docs/elicitation.md §2.6, §2.8)"),
    reason=("narrowed: in the investigated variant (plain updates, one pre-trained neuron, link h_2) the off-target "
            "task's risk IS certified (elicit.offtarget-risk.*: at matched target overlap SFT has forgotten more "
            "with the readout refit, for rho = 0.3 and 0.6; with the pre-trained readout W2S is worse at rho = 0.3 "
            "and better at rho = 0.6), and so is the private part b(t) (elicit.p3.*). Not derived: the spherical "
            "model (which does not retain, P3), an off-target group of several neurons whose subspace V_k meets "
            "V_kappa beyond theta, and links other than h_2 for the off-target task"),
    family="elicitation", figure="elicitation_p3_retention.png"))





# ==============================================================================================================
# Registered claims: the full online-SGD kernel agrees in law with its exact reduced Gram-matrix chain.
#
# :func:`w2s.kernels.elicitation.online_sgd` moves ``d``-dimensional vectors; :func:`w2s.kernels.elicitation.gram_chain`
# samples the Markov chain of their Gram matrix with ``O(k^3)`` work per step, exactly in law (derivation in its
# module docstring). If either had a bug (a wrong update, a missing chi-square, a wrong leakage split), the means or
# the variances of the recorded overlaps would differ at equal ``d``. Each replicate runs two independent full
# trajectories ``X1, X2`` and two chain trajectories ``Y1, Y2`` from the same start; its components are
#
# * ``X1 - Y1`` (mean 0 exactly: equal means), and
# * ``(X1 - X2)^2 / 2 - (Y1 - Y2)^2 / 2`` (mean 0 exactly: equal variances),
#
# for each recorded overlap. ``finite_size = 0``: the identity holds at every ``d``, the rungs are pooled and their
# agreement is chi-square tested. The resolution scales are an overlap of 0.1 for the means and the variance itself
# (measured once, seed 0, 20 000 chain replicates, geometric mean of the two fast rungs; only a unit) for the
# variances. The falsifier (0.3 of the scale: a mean shifted by 0.03, a variance off by 30%) must be rejected; the
# fast tier resolves about 0.01 in the means and 8-14% in the variances (8 000 replicates, each four trajectories).
# ==============================================================================================================


SOURCE = "Awano & Suzuki 2026, arXiv 2605.12908; docs/elicitation.md §1 (model), §3 (simulators); kernels only"


def _geometry(p, d):
    """Start vectors, recorded directions and (for subspace inputs) U, fixed by the claim (seeded by d)."""
    rng = np.random.default_rng(1000 + d)
    r = p["r"] if p["inputs"] == "subspace" else d
    U = random_orthonormal(d, r, rng)
    theta, e1 = U[:, 0], U[:, 1]
    xi = rng.standard_normal(d)
    if p["inputs"] == "subspace":
        xi -= U @ (U.T @ xi)  # the off-target feature's private part lies outside V_kappa
    else:
        xi -= theta * (theta @ xi) + e1 * (e1 @ xi)
    xi /= np.linalg.norm(xi)
    rho, m0 = p["rho"], p["m0"]
    theta_k = rho * theta + math.sqrt(1 - rho * rho) * xi
    W0 = np.stack([m0 * theta + math.sqrt(1 - m0 * m0) * e1, theta_k])
    dirs = np.stack([theta, theta_k])
    return W0, dirs, (U if p["inputs"] == "subspace" else None)


def _common(p, d):
    return dict(steps=int(p["t_max"] * d), eta=p["delta"] / d, act=hermite_link(p["act_k"]),
                link=hermite_link(p["link_k"]), transform=p["transform"], tau=p["tau"], tau_x=p["tau_x"],
                loss=p["loss"], update=p["update"], record_steps=[round(t * d) for t in p["times"]])


def _select(o):
    """Recorded overlaps: the target neuron's m = <w_0, theta> and the off-target neuron's R = <w_1, theta_k>."""
    return np.concatenate([o[:, :, 0, 0], o[:, :, 1, 1]], axis=1)


def _simulate(p, d, rng, reps):
    W0, dirs, U = _geometry(p, d)
    kw = _common(p, d)
    X = [_select(online_sgd(W0, np.ones(2), dirs, U=U, rng=rng, reps=reps, **kw)) for _ in range(2)]
    st = initial_state(W0, dirs, U)
    Y = [_select(gram_chain(st, p=2, d=d, r=(p["r"] if U is not None else None), a=np.ones(2), rng=rng, reps=reps,
                            **kw)) for _ in range(2)]
    return np.concatenate([X[0] - Y[0], 0.5 * (X[0] - X[1]) ** 2 - 0.5 * (Y[0] - Y[1]) ** 2], axis=1)


_CONFIGS = {
    "isotropic-spherical": dict(
        inputs="isotropic", r=None, link_k=2, act_k=2, transform=(-0.5, 1.0, 0.3), tau=0.3, tau_x=0.0, loss="correlation",
        update="spherical", delta=0.3, m0=0.3, rho=0.5, times=(0.5, 2.0), t_max=2.0,
        var_units=(0.0136, 0.0405, 0.0340, 0.0418),
        what="SFT geometry: isotropic inputs, spherical updates, correlation loss, link h_2, noisy weak labels "
             "(tau = 0.3) through T(y) = 0.3 y^2 + y - 0.5"),
    "subspace-leakage-plain-squared": dict(
        inputs="subspace", r=8, link_k=2, act_k=2, transform=(0.0, 1.0), tau=0.3, tau_x=0.3, loss="squared",
        update="plain", delta=0.1, m0=0.3, rho=0.5, times=(0.5, 2.0), t_max=2.0,
        var_units=(0.0018, 0.0058, 0.0009, 0.0033),
        what="W2S geometry: inputs on an r = 8 subspace with leakage tau_x = 0.3, noisy weak labels (tau = 0.3), "
             "squared loss (neurons coupled through f), plain updates"),
}

for _name, _p in _CONFIGS.items():
    comps = tuple(f"mean:{q}(t={t:g})" for q in ("m", "R") for t in _p["times"]) + \
        tuple(f"var:{q}(t={t:g})" for q in ("m", "R") for t in _p["times"])
    REGISTRY.add(Claim(
        id=f"elicit.engine.agrees-in-law.{_name}",
        title=f"Full online-SGD kernel and exact Gram chain agree in law ({_p['what']})",
        statement=("At equal d the recorded overlaps of the d-dimensional online SGD (numba kernel) and of the "
                   "Gram-matrix chain have equal means and variances at every recorded time: the chain is exact in "
                   "law (derivation in w2s.kernels.elicitation)."),
        source=SOURCE, provenance="DERIVED (exact identity in law; w2s.kernels.elicitation module docstring, part 2)",
        params=_p, predict=lambda p: [0.0] * 8, simulate=_simulate,
        ladders={"fast": Ladder(d=(24, 48), reps=(4000, 4000)), "full": Ladder(d=(24, 48, 96), reps=(12000, 8000, 6000))},
        components=comps, scale=(0.1,) * 4 + tuple(_p["var_units"]), falsifier=0.3, finite_size=0.0,
        finite_size_reason="an identity in law at every d", family="elicitation",
        setup=("ladder axis = d (both simulators at the same d); two neurons: one at overlap m0 = 0.3 with theta, one "
               "started on an off-target feature theta_k with <theta_k, theta> = 0.5; eta = delta/D_eff")))


# The control martingale of the exponent-3 hitting times (gram_chain(control=...)): E[C] = 0 at every D by
# construction (each step's term is centred given the past; optional stopping at the hitting step). Certified where
# it is used, with the claims' own weights and chains, at small D (cheap: D^2 steps a replicate): a control whose
# centring were wrong would shift the certified E[tau_hit] by E[C]. The falsifier 0.04 is 5% of K ~ 0.76, a quarter
# of the hitting claims' own 20% falsifier. 99% power at z_crit ~ 4.2 needs SE <= 0.04 / (4.2 + 2.33) = 0.0061:
# 8000 + 6000 + 3000 replicates gave SE = 0.0066 (power 0.97, measured at two seeds), so the fast ladder spends
# more where a replicate is cheap (D^2 steps each: the D = 24 rung is 16 times cheaper than D = 96): 16000 + 8000 +
# 3000 replicates, SE ~ 0.0066 (17000 / 27000)^1/2 = 0.0052, for 1.2 times the cost.

def _control_mean_simulate(p, D, rng, reps):
    return hit3_draws(p, D, rng, reps)[1][:, None]


for _proto, _p in _HIT_3.items():
    REGISTRY.add(Claim(
        id=f"elicit.engine.control-martingale.mean-zero.{_proto}.p3-raw",
        title=(f"The hitting-time control martingale of elicit.steps-to-alignment.{_proto}.p3-raw has mean zero at "
               "every D"),
        statement=("The control C = sum_{k < T} w(m_k) (F_k - E[F_k | past, g0_k, zeta_k]) that the exponent-3 "
                   "steps-to-alignment laws subtract from the hitting time (F_k the update's first-order change of "
                   "the overlap, its mean over the step's one normal that enters only the neuron's field taken "
                   "exactly) has E[C] = 0 at every D, so tau_hit - C is unbiased for E[tau_hit]."),
        source=SOURCE + " §3.3 (control variate)",
        provenance="DERIVED (a stopped martingale; w2s.kernels.elicitation.gram_chain, docs/elicitation.md §3.3)",
        params=_p, predict=lambda p: [0.0], simulate=_control_mean_simulate,
        ladders={"fast": Ladder(d=(24, 48, 96), reps=(16000, 8000, 3000)),
                 "full": Ladder(d=(24, 48, 96, 192), reps=(16000, 12000, 6000, 2000))},
        components=("C",), scale=(1.0,), falsifier=0.04, finite_size=0.0,
        finite_size_reason="a stopped martingale: mean zero at every D", family="elicitation",
        setup=("the claim's chain and weights (w(m) = T'(sqrt(D) m) delta0 / D, T' of the escape SDE) at small D; "
               "C in units of tau = steps / D^2")))


# ==============================================================================================================
# Figures for the elicitation family (Awano & Suzuki 2026; proposed model of docs/elicitation.md).
#
# Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each a small seeded simulation on the exact Gram
# chain (seconds). ODE curves from :mod:`w2s.theory.elicitation`; points are means with 2-SE bars.
# ==============================================================================================================


def _lab(k_link, k_act, tau=0.0):
    return E.Labels(link=tuple(E.hermite_link(k_link)), act=tuple(E.hermite_link(k_act)), tau=tau)


def _chain_m(lab, delta, m0, D, times, rng, reps, subspace):
    state = gram_state(np.array([[m0, math.sqrt(1 - m0 * m0)], [1.0, 0.0]]))
    rec = np.unique(np.array([round(t * D) for t in times], np.int64))
    geo = dict(d=16 * D, r=D) if subspace else dict(d=D)
    o = gram_chain(state, p=1, steps=int(rec[-1]), eta=delta / D, act=np.array(lab.act), link=np.array(lab.link),
                   transform=np.array(lab.transform), tau=lab.tau, a=[1.0], record_steps=rec, rng=rng, reps=reps,
                   **geo)[:, :, 0, 0]
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
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="delta -> 0: R(inf) = rho (P2)")
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
            ("W2S, spherical", dict(r=r, tau_x=0.0, update="spherical", loss="correlation"), "C1", "-"),
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
                   "V_kappa the xi-component is exactly invariant (gradient confinement, P3'), so W2S keeps the "
                   "feature's private part; leakage tau_x erodes it; spherical W2S and SFT do not keep it. Black "
                   "dotted lines: the derived plain-update ODE for b(t) (certified as elicit.p3.*).")]


def transformed_label_curves(run, figdir: Path, seed: int):
    """Alignment against raw SGD steps (log axis): W2S on T(y), W2S on the raw weak label, SFT on the raw label."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    r, d, delta, m0 = 512, 2048, 0.01, 0.3
    lab_t = labels(_TL_SPH)
    lab_w = _lab(3, 3, 0.5)
    lab_s = _lab(3, 3)
    times = np.geomspace(0.25, 40.0, 12)
    cases = [(f"W2S on T(y_w) (act h_2, r = {r})", lab_t, r, True, "C0"),
             (f"W2S on raw y_w (act h_3, r = {r})", lab_w, r, True, "C1"),
             (f"SFT on raw y (act h_3, d = {d})", lab_s, d, False, "C2")]
    for name, lab, D, sub, col in cases:
        rng = generator(seed, f"figure:elicit:transformed:{name}")
        t, o = _chain_m(lab, delta, m0, D, times, rng, 40, sub)
        o = np.abs(o) if lab is lab_t else o
        mu, se = o.mean(0), o.std(0, ddof=1) / math.sqrt(o.shape[0])
        ax.fill_between(t * D, mu - 2 * se, mu + 2 * se, color=col, alpha=0.25, lw=0)
        ax.plot(t * D, mu, "o", ms=3, color=col)
        tt = np.geomspace(times[0], times[-1], 120)
        ax.plot(tt * D, E.alignment_trajectory(tt, m0, lab, delta), color=col, lw=1, label=name)
        if lab is lab_t:  # the finite-D mean field of the heavy-tailed steps (what the certificate subtracts)
            ax.plot(tt * D, E.finite_size_alignment(tt, m0, lab, delta, D), color=col, lw=1, ls="--",
                    label=f"same, mean field of the exact step at r = {r}")
    ax.set_xscale("log")
    ax.set_xlabel("SGD steps")
    ax.set_ylabel("target alignment m")
    ax.set_title(f"Link h_3, tau = 0.5, delta = {delta}: lines ODE, bands chain mean +- 2 SE (40 runs)", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "elicitation_transformed_labels.png")
    return [(path, "Elicitation: W2S on the centred square T(y) = y^2 - E y^2 of the weak label of h_3 (exponent 2) "
                   "against W2S and SFT on raw labels (exponent 3), from m(0) = 0.3, in raw SGD steps; lines: the "
                   "overlap ODE (dashed: the mean field of the exact finite-r step, which the heavy tail lifts above the ODE), "
                   "bands: the exact chain (mean +- 2 SE). The transformed label learns at rate 6 sqrt(2) "
                   "delta near m = 0 but its heavy tail sets a low noise floor m* = 0.59 at this delta.")]



def offtarget_risk_curves(run, figdir: Path, seed: int):
    """The off-target task's risk (docs/elicitation.md §2.8): against raw steps for W2S and SFT at rho = 0.3, 0.6, and
    at matched target performance against rho."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0), dpi=110)
    D = 1024
    cols = {"w2s": "C0", "sft": "C2"}
    t_w = np.linspace(0.0, 24.0, 25)
    for rho, ls in ((0.3, "-"), (0.6, "--")):
        p = dict(_OT, rho=rho)
        lab = labels(p)
        args = (rho, lab, p["delta"], p["tau_x"], p["nu"])
        rec = np.array([round(t * D) for t in t_w], np.int64)
        for proto in ("w2s", "sft"):
            tt = t_w if proto == "w2s" else t_w / p["nu"]
            axes[0].plot(rec, E.plain_update_offtarget_risk(tt, *args, protocol=proto, readout="refit"),
                         color=cols[proto], ls=ls, label=f"{proto.upper()}, rho = {rho:g} (ODE)")
            o = _ot_chain(p, D, generator(seed, f"figure:elicit:offtarget:{proto}:{rho}"), 60, proto, rec[-1],
                          record_steps=rec)[:, :, 0, :]
            axes[0].plot(rec[::3], np.nanmean(_ot_risk(p, o, "refit"), 0)[::3], "o", color=cols[proto], ms=3)
    axes[0].set_xlabel(f"raw SGD steps (r = {D}, d = 4 r)")
    axes[0].set_ylabel("off-target risk, readout refit")
    axes[0].set_title("equal steps: W2S moves the neuron sooner", fontsize=8)
    axes[0].legend(fontsize=6)
    rhos = np.linspace(0.1, 0.7, 13)
    for proto in ("w2s", "sft"):
        for ro, ls in (("refit", "-"), ("fixed", ":")):
            lab = labels(_OT)
            vals = [E.plain_update_matched_risk(_OT_LEVEL, r_, lab, _OT["delta"], _OT["tau_x"], _OT["nu"], proto, ro)[1]
                    for r_ in rhos]
            axes[1].plot(rhos, vals, color=cols[proto], ls=ls, label=f"{proto.upper()}, readout {ro} (ODE)")
    for rho in (0.3, 0.6):
        x = _ot_matched_simulate(dict(_OT, rho=rho, level=_OT_LEVEL), D, generator(seed, f"figure:elicit:matched:{rho}"), 60)
        axes[1].plot([rho, rho], [np.mean(x[:, 5]), np.mean(x[:, 6])], "o", color="k", ms=3)
    axes[1].set_xlabel("rho = <theta_k, theta>")
    axes[1].set_ylabel(f"off-target risk when m first reaches {_OT_LEVEL:g}")
    axes[1].set_title("matched target performance: SFT has forgotten more (refit)", fontsize=8)
    axes[1].legend(fontsize=6)
    path = save(fig, figdir / "elicitation_offtarget_risk.png")
    return [(path, "Elicitation: the off-target task's risk (reward h_2(<theta_k, x>), isotropic inputs) for the neuron "
                   "pre-trained on theta_k, fine-tuned by plain-update W2S (r, leakage 0.3) or SFT in the same d = 4 r. "
                   "Left: against raw steps, readout refit; lines: the plain-update ODE through the exact Gaussian "
                   "risk, points: the exact chain (60 replicates). Right: when the target overlap first reaches 0.8, "
                   "against rho (solid: readout refit, dotted: pre-trained readout; black points: the chain, refit, "
                   "W2S below SFT). Certified as elicit.offtarget-risk.*.")]


# ----- figures of the family, drawn into the report --------------------------------------------------------------
def steps_three_protocols(run, figdir: Path, seed: int):
    """Steps to m = 1/2 for W2S on T(y), SFT on raw h_3 and W2S on raw h_3 (log-log), the derived laws and the chain;
    right: the ratio SFT / (W2S with T) against d."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), dpi=110)
    lab_t, delta = labels(_HIT_T), _HIT_T["delta"]
    lam, _ = E.escape_rate(lab_t, delta)
    Kt = E.hitting_time_constant(lab_t, delta, _HIT_T["level"])
    law_t = lambda D: D * (np.log(D) / (2 * lam) + Kt)  # noqa: E731
    laws3 = {}
    for proto, p in _HIT_3.items():
        _, K, c1 = _escape3(labels(p), p["delta0"], p["level"])
        laws3[proto] = (lambda D, K=K, c1=c1: D * D * (K + c1 / np.sqrt(D)))
    reps = 60

    def sim(proto, D):
        rng = generator(seed, f"figure:elicit:three:{proto}:{D}")
        if proto == "w2s-T":
            st = D * hitting_times(_HIT_T, int(D), rng, reps)
        else:
            p = _HIT_3[proto]
            q = dict(p, delta=p["delta0"] / math.sqrt(D))
            st = hit_steps(q, int(D), rng, reps, budget=40.0 * laws3[proto](D))
        return st.mean(), 2 * st.std(ddof=1) / math.sqrt(reps)

    ax = axes[0]
    Ds = np.array([64, 128, 256, 512, 1024])
    Dc = np.geomspace(48, 1500, 100)
    for proto, col, name in (("w2s-T", "C0", "W2S on T(y), exponent 2 (D_eff = r)"),
                             ("sft", "C2", "SFT on raw h_3, exponent 3 (D_eff = d)"),
                             ("w2s", "C1", "W2S on raw h_3 + 0.5 zeta, exponent 3 (D_eff = r)")):
        pts = np.array([sim(proto, D) for D in Ds])
        ax.errorbar(Ds, pts[:, 0], yerr=pts[:, 1], fmt="o", ms=4, capsize=2, color=col, label=name + ", chain")
        ax.plot(Dc, law_t(Dc) if proto == "w2s-T" else laws3[proto](Dc), color=col, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("effective dimension D_eff")
    ax.set_ylabel("SGD steps until |m| >= 1/2")
    ax.set_title("lines: D (log D / (2 lambda) + K*) and D^2 (K + c1 D^-1/2); eta = 0.005/D and D^-3/2", fontsize=8)
    ax.legend(fontsize=6)
    ax = axes[1]
    dc = np.geomspace(64, 1e5, 100)
    for r, ls in ((32, "-"), (256, "--")):
        ax.plot(dc, laws3["sft"](dc) / law_t(r), "C3", ls=ls, lw=1, label=f"SFT(d) / W2S with T(r = {r})")
        ax.plot(dc, dc / r, "k", ls=ls, lw=0.7, label=f"d / r (r = {r})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ambient dimension d")
    ax.set_ylabel("ratio of steps")
    ax.set_title("the advantage grows like d^2 / (r log r), far faster than d / r", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "elicitation_steps_three_protocols.png")
    return [(path, "Elicitation: the sample-complexity advantage (docs/elicitation.md §2.9). Left: SGD steps until "
                   "|m| >= 1/2 from a uniform random start against each protocol's effective dimension (log-log): "
                   "W2S on the transformed weak label (exponent 2) needs r (log r / (2 lambda) + K*) steps, SFT and W2S "
                   "on raw h_3 labels (exponent 3) D^2 (K + c1 D^-1/2) at the step size D^-3/2 they need; points: "
                   "the exact chain (60 runs, +- 2 SE), lines: the certified laws. Right: the ratio of SFT's steps "
                   "in dimension d to W2S-with-T's in r, against d / r.")]


for _maker in (alignment_curves, retention_curves, steps_to_alignment, retention_vs_rho, p3_retention,
               transformed_label_curves, offtarget_risk_curves, steps_three_protocols):
    REGISTRY.add_figure("elicitation", _maker)
