r"""Replicates where they buy the most resolution per second: re-allocate a claim's replicates over its ladder.

The certifier fits ``E[Q_d] = Q + a d^-alpha`` by weighted least squares with weights ``w_d = R_d / sd_d^2``
(``R_d`` replicates, per-replicate standard deviation ``sd_d``); the variance of the extrapolated limit is

    V(R) = [(X^T W X)^{-1}]_{00} = S_xx / (S_1 S_xx - S_x^2),   S_1 = sum w_d, S_x = sum w_d x_d, S_xx = sum w_d x_d^2,

with ``x_d = d^-alpha`` (``V = 1 / S_1`` for a quantity exact at every size, ``alpha = 0``), and the resolution
is ``z_crit sqrt(V) / |Q|``. The cost of a ladder is ``sum_d c_d R_d`` with ``c_d`` the CPU seconds of one
replicate at ``d``. For every simulation (its claims share one ladder) this minimises the cost subject to
``V_j(R) <= margin x V_j(R_today)`` for every component ``j`` of every claim using it (no resolution worse than
today's), over the same dimensions ``d``, with ``R_d`` between ``lower`` and ``upper_factor x R_today``; a
convex problem (each ``V_j`` is convex in ``R`` where defined), solved by ``scipy.optimize.minimize`` (SLSQP),
then rounded up to whole blocks.

``sd_d`` and ``c_d`` come from ``benchmarks/profile_tier.py``: a few replicates per rung, so each is fitted across
the rungs by a straight line in ``log d`` (``sd_d = b d^beta``; ``c_d = k d^kappa``), which pools the rungs' noise
and is what the self-averaging quantities here do. The margin (default 0.8: a predicted 10% better standard error)
covers what remains of the estimation error.

Usage::

    python benchmarks/allocate.py PROFILE.json [--families ridge,...] [--min-saving 5] [--out proposal.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np
from scipy.optimize import minimize


def _loglin(d, y):
    """Fit ``log y = c + e log d``; returns a callable ``d -> y``."""
    d, y = np.asarray(d, float), np.asarray(y, float)
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() == 0:
        return lambda x: np.zeros_like(np.asarray(x, float))
    if ok.sum() == 1:
        return lambda x: np.full_like(np.asarray(x, float), y[ok][0])
    e, c = np.polyfit(np.log(d[ok]), np.log(y[ok]), 1)
    return lambda x: np.exp(c + e * np.log(np.asarray(x, float)))


def variance(R, sd, x, exact: bool) -> float:
    w = np.asarray(R, float) / np.asarray(sd, float) ** 2
    s1 = w.sum()
    if exact:
        return 1.0 / s1
    sx, sxx = (w * x).sum(), (w * x * x).sum()
    return sxx / (s1 * sxx - sx * sx)


def allocate_sim(d, R0, cost, sds, alphas, *, margin=0.8, lower=100, upper_factor=8.0, block=50):
    """New replicate counts for one simulation. ``sds``: list of per-rung sd arrays (one per claim component),
    ``alphas``: the finite-size exponent of each; returns ``(R_new, predicted variance ratios new/today)``."""
    d = np.asarray(d, float)
    R0 = np.asarray(R0, float)
    cost = np.asarray(cost, float)
    cons = []
    targets = []
    for sd, alpha in zip(sds, alphas):
        x = d ** (-alpha) if alpha > 0 else np.zeros_like(d)
        v0 = variance(R0, sd, x, alpha == 0)
        targets.append((sd, x, alpha == 0, v0))
        # log-form constraint, better scaled: log(margin v0) - log V(R) >= 0
        cons.append({"type": "ineq", "fun": lambda r, sd=sd, x=x, ex=alpha == 0, v0=v0:
                     math.log(margin * v0) - math.log(max(variance(r, sd, x, ex), 1e-300))})
    lo = np.minimum(R0, float(lower))
    hi = R0 * upper_factor
    scale = cost * R0
    res = minimize(lambda r: float(cost @ r) / float(scale.sum()), R0, method="SLSQP",
                   bounds=list(zip(lo, hi)), constraints=cons, options={"maxiter": 500, "ftol": 1e-10})
    R = np.clip(res.x if res.success else R0, lo, hi)
    # whole blocks, rounded up (never below today's count where today's is not a whole block and R is close)
    R = np.maximum(np.ceil(R / block) * block, lo).astype(int)
    # guard: if rounding or a failed solve left a constraint violated, scale up until it holds
    for _ in range(100):
        ratios = [variance(R, sd, x, ex) / v0 for sd, x, ex, v0 in targets]
        if max(ratios) <= margin + 1e-12:
            break
        R = np.minimum(np.ceil(R * 1.05 / block) * block, hi).astype(int)
    if float(cost @ R) >= float(cost @ R0) or max(ratios) > margin + 1e-12:
        return R0.astype(int), [1.0] * len(targets)
    return R, ratios


def propose(profile: dict, families: set[str] | None, margin: float, min_saving: float) -> dict:
    from w2s.validation.registry import builtin_registry

    reg = builtin_registry()
    tier = profile["tier"]
    by_sim: dict[str, list] = {}
    for r in profile["rungs"]:
        by_sim.setdefault(r["sim_key"], []).append(r)
    out = []
    for sim_key, rungs in by_sim.items():
        fam = rungs[0]["family"]
        if families and fam not in families:
            continue
        rungs.sort(key=lambda r: r["d"])
        d = np.array([r["d"] for r in rungs], float)
        R0 = np.array([r["replicates"] for r in rungs], float)
        cost = _loglin(d, [r["cpu_seconds_per_replicate"] for r in rungs])(d)
        claims = [reg[c] for c in rungs[0]["sd"]]
        sds, alphas, labels = [], [], []
        for c in claims:
            if any(not isinstance(r["sd"][c.id], dict) for r in rungs):
                continue
            for comp in c.components:
                raw = [r["sd"][c.id][comp] for r in rungs]
                sds.append(np.maximum(_loglin(d, raw)(d), 1e-300))
                alphas.append(c.finite_size)
                labels.append(f"{c.id}:{comp}")
        if not sds or any(np.all(s <= 1e-300) for s in sds):
            continue
        R, ratios = allocate_sim(d, R0, cost, sds, alphas, margin=margin)
        before, after = float(cost @ R0), float(cost @ R)
        saving = before - after
        out.append({"sim_key": sim_key, "family": fam, "claims": [c.id for c in claims], "d": d.astype(int).tolist(),
                    "reps_today": R0.astype(int).tolist(), "reps_new": R.tolist(),
                    "cpu_seconds_today": before, "cpu_seconds_new": after, "saving_cpu_seconds": saving,
                    "apply": saving >= min_saving,
                    "variance_ratio_new_over_today": dict(zip(labels, [float(x) for x in ratios]))})
    out.sort(key=lambda e: -e["saving_cpu_seconds"])
    return {"tier": tier, "margin": margin, "simulations": out,
            "saving_cpu_seconds": sum(e["saving_cpu_seconds"] for e in out if e["apply"])}


def predicted_merit(profile: dict) -> list[dict]:
    """Per claim, the resolution its ladder is predicted to reach (``z_crit sqrt(V) / scale`` from the sampled spread,
    ``z_crit`` Bonferroni over every component of the builtin registry) and ``resolution^2 x CPU seconds`` (a shared
    simulation counted in full for each claim using it), worst first: the figure of merit of the report, before
    a run."""
    from w2s.validation.registry import builtin_registry
    from w2s.validation.stats import DEFAULT_FAMILY_ALPHA, bonferroni_z

    reg = builtin_registry()
    z = bonferroni_z(sum(len(c.components) for c in reg.select(None)), DEFAULT_FAMILY_ALPHA)
    by_sim: dict[str, list] = {}
    for r in profile["rungs"]:
        by_sim.setdefault(r["sim_key"], []).append(r)
    rows = []
    for sim_key, rungs in by_sim.items():
        rungs.sort(key=lambda r: r["d"])
        d = np.array([r["d"] for r in rungs], float)
        R = np.array([r["replicates"] for r in rungs], float)
        secs = float(sum(r["estimated_cpu_seconds"] for r in rungs))
        for cid in rungs[0]["sd"]:
            c = reg[cid]
            if any(not isinstance(r["sd"][cid], dict) for r in rungs):
                continue
            pred = np.atleast_1d(np.asarray(c.prediction(), float))
            worst, comp = -1.0, ""
            for j, name in enumerate(c.components):
                sd = np.maximum(_loglin(d, [r["sd"][cid][name] for r in rungs])(d), 1e-300)
                x = d ** (-c.finite_size) if c.finite_size > 0 else np.zeros_like(d)
                scale = c.scale[j] if c.scale is not None else abs(pred[j])
                res = z * math.sqrt(variance(R, sd, x, c.finite_size == 0)) / scale if scale else math.inf
                if res > worst:
                    worst, comp = res, name
            rows.append({"claim": cid, "family": c.family, "worst_component": comp, "predicted_resolution": worst,
                         "cpu_seconds": secs, "resolution2_x_seconds": worst * worst * secs,
                         "top_rung_share_of_seconds": rungs[-1]["estimated_cpu_seconds"] / secs if secs else None})
    rows.sort(key=lambda e: -e["resolution2_x_seconds"])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Re-allocate replicates over the ladders (module docstring).")
    ap.add_argument("profile")
    ap.add_argument("--families", default="", help="comma-separated families to re-allocate (default: all)")
    ap.add_argument("--margin", type=float, default=0.8)
    ap.add_argument("--min-saving", type=float, default=5.0, help="apply only where >= this many CPU s saved")
    ap.add_argument("--out", default=None)
    ap.add_argument("--merit", action="store_true", help="print the predicted resolution^2 x seconds per claim")
    args = ap.parse_args(argv)
    if args.merit:
        for m in predicted_merit(json.load(open(args.profile))):
            print(f"{m['claim'][:60]:60s} {100 * m['predicted_resolution']:8.3g}% {m['cpu_seconds']:8.1f} s "
                  f"{m['resolution2_x_seconds']:10.3g}  ({m['worst_component']}; top rung "
                  f"{100 * (m['top_rung_share_of_seconds'] or 0):.0f}% of the seconds)")
        return 0
    fams = {f for f in args.families.split(",") if f} or None
    prop = propose(json.load(open(args.profile)), fams, args.margin, args.min_saving)
    for e in prop["simulations"]:
        flag = "APPLY" if e["apply"] else "     "
        print(f"{flag} {e['sim_key'][:58]:58s} {e['cpu_seconds_today']:7.1f} -> {e['cpu_seconds_new']:7.1f} CPU s  "
              f"{e['reps_today']} -> {e['reps_new']}  worst V ratio "
              f"{max(e['variance_ratio_new_over_today'].values()):.2f}")
    print(f"saving (applied rows): {prop['saving_cpu_seconds']:.1f} CPU s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(prop, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
