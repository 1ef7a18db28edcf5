"""Certification report: ``report.md`` (for people), ``report.json`` (for machines) and PNG figures."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from .plotting import pyplot, save
from .registry import Registry
from .runner import ClaimResult, RunResult, plan

__all__ = ["write_report", "versions", "safe_name", "run_profile", "merit"]

_PACKAGES = ("w2s-certify", "numpy", "numba", "scipy", "mpmath", "matplotlib", "rich")


def versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def safe_name(claim_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", claim_id.replace("<", "lt").replace(">", "gt"))


def convergence_figure(result: ClaimResult, path: Path | None = None):
    """The convergence figure of one claim: written to ``path`` (and closed), or returned as a matplotlib
    ``Figure`` when ``path`` is None (notebooks).

    Left: |mean_d - prediction| vs d (log-log, SE bars; lower bars clipped at 90% of the point so they stay
    on a log axis) with the fitted |Q_hat - Q + a d^-alpha|. Right: the signed discrepancy against d^-alpha,
    where the weighted fit is a straight line whose intercept at d = inf (x = 0) is the extrapolated
    discrepancy, drawn with two bars: +- z_crit stat (thick, statistical only) and +- z_crit sqrt(stat^2 + sys^2)
    (thin, wide caps; the systematic error of the extrapolation included). The intercepts of the model variants
    that define sys (without the smallest rung, with a d^-2alpha term) are the small crosses beside it. The claim
    is certified (as far as z goes) when the thin bar covers 0."""
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.0, 4.0), dpi=110)
    for k, c in enumerate(result.components):
        color = f"C{k % 10}"
        d = np.array([r.d for r in c.rungs], float)
        dev = np.array([r.mean for r in c.rungs]) - c.prediction
        se = np.array([r.se for r in c.rungs])
        lower = np.minimum(se, 0.9 * np.abs(dev))
        ax.errorbar(d, np.abs(dev), yerr=[lower, se], fmt="o", ms=4, capsize=3, color=color, label=c.name)
        dd = np.geomspace(d[0], d[-1] * 4, 100)
        fitted = c.fit.q_hat - c.prediction + c.fit.a * dd ** (-c.fit.alpha)
        ax.plot(dd, np.abs(fitted), "-", color=color, alpha=0.6, lw=1)
        if c.fit.alpha == 0:  # exact at every size: the weighted mean over rungs, drawn right of the ladder
            bx.errorbar(d, dev, yerr=se, fmt="o", ms=4, capsize=3, color=color, label=c.name)
            bx.axhline(c.fit.q_hat - c.prediction, color=color, alpha=0.6, lw=1)
            _limit_bars(bx, d[-1] * 2.0, c, color, offset=d[-1] * 0.15)
            bx.set_xscale("log")
            continue
        x = d ** (-c.fit.alpha)
        bx.errorbar(x, dev, yerr=se, fmt="o", ms=4, capsize=3, color=color, label=c.name)
        xx = np.linspace(0.0, x.max() * 1.05, 50)
        bx.plot(xx, c.fit.q_hat - c.prediction + c.fit.a * xx, "-", color=color, alpha=0.6, lw=1)
        _limit_bars(bx, 0.0, c, color, offset=0.02 * x.max())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("|simulated mean - prediction|")
    ax.legend(fontsize=6, loc="best")
    bx.axhline(0.0, color="k", lw=0.8)
    alpha = result.components[0].fit.alpha if result.components else 1.0
    bx.set_xlabel("size d (square: weighted mean over rungs; exact at every size)" if alpha == 0
                  else f"d^-{alpha:g}  (x = 0 is d = infinity)")
    bx.set_ylabel("simulated mean - prediction")
    bx.set_title("squares: extrapolated discrepancy, thick bar +- z_crit stat,\nthin bar +- z_crit sqrt(stat^2 + "
                 "sys^2); crosses: model variants", fontsize=7)
    fig.suptitle(f"{result.claim.id}: {result.verdict}", fontsize=9)
    if path is None:
        fig.tight_layout()
        return fig
    return save(fig, path)


def _limit_bars(ax, x0: float, c, color: str, offset: float) -> None:
    """The extrapolated discrepancy at ``x0`` with its statistical (thick) and total (thin) z_crit bars, and the
    model variants' intercepts (crosses, at ``x0 - offset``)."""
    y0 = c.fit.q_hat - c.prediction
    ax.errorbar([x0], [y0], yerr=[c.z_crit * c.se_total], fmt="none", elinewidth=0.8, capsize=7, color=color,
                alpha=0.8)
    ax.errorbar([x0], [y0], yerr=[c.z_crit * c.stat], fmt="s", ms=5, elinewidth=2.5, capsize=3, color=color,
                alpha=0.8)
    for v in c.variants:
        ax.plot([x0 - offset], [v.fit.q_hat - c.prediction], "x", ms=4, color=color, alpha=0.8)


def _pm(x: float, stat: float, sys: float) -> str:
    """``Q_hat ± stat ± sys`` (the systematic part omitted when the model is exact at every size)."""
    return f"{x:.5g} ± {stat:.2g} ± {sys:.2g}"


def _fmt(x: float, se: float | None = None) -> str:
    if se is None:
        return f"{x:.6g}"
    return f"{x:.5g} ± {se:.2g}"


_FIGURE_JOBS: list = []  # (kind, key, label, callable) of the figures being made, inherited by forked workers


def _figure_job(i: int):
    return _FIGURE_JOBS[i][3]()


def _make_figures(run: RunResult, figdir: Path, registry: Registry | None, jobs: int, progress):
    """Yield ``(kind, key, result)`` for every figure, in a fixed order: one convergence figure per certified claim
    (result: its path), then each family's figure makers (result: ``[(path, caption), ...]``). With ``jobs > 1``
    they are drawn in ``jobs`` forked processes (each figure is independent and draws its randomness from
    ``run.seed``, so the files are the same whatever ``jobs``)."""
    global _FIGURE_JOBS
    work = []
    for r in run.results:
        if r.components:
            p = figdir / f"convergence_{safe_name(r.claim.id)}.png"
            work.append(("convergence", r.claim.id, None, lambda r=r, p=p: (convergence_figure(r, p), p)[1]))
    for fam in sorted({r.claim.family for r in run.results if r.claim.family}):
        for maker in (registry.figures.get(fam, []) if registry else []):
            work.append(("family", fam, maker.__name__, lambda maker=maker: list(maker(run, figdir, run.seed))))
    ctx = None
    if jobs > 1 and len(work) > 1:
        import multiprocessing
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: draw them here
            pass
    if ctx is None:
        for kind, key, label, make in work:
            if progress and label:
                progress(f"figure {label}")
            yield kind, key, make()
        return
    from concurrent.futures import ProcessPoolExecutor

    _FIGURE_JOBS = work
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            # the slow family figures (some simulate) first; results are yielded in the fixed order
            order = sorted(range(len(work)), key=lambda i: work[i][0] != "family")
            futures = {i: pool.submit(_figure_job, i) for i in order}
            for i, (kind, key, label, _) in enumerate(work):
                if progress and label:
                    progress(f"figure {label}")
                yield kind, key, futures[i].result()
    finally:
        _FIGURE_JOBS = []


def write_report(run: RunResult, out_dir: str | Path, registry: Registry | None = None, *, figures: bool = True,
                 progress=None, jobs: int = 1) -> dict[str, Path]:
    """Write report.md, report.json and figures under ``out_dir``; return the paths written. ``jobs > 1`` draws
    the figures in that many forked processes (same files)."""
    out = Path(out_dir)
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    conv: dict[str, str] = {}
    family_figs: list[tuple[str, str, str]] = []
    if figures:
        for kind, key, made in _make_figures(run, figdir, registry, jobs, progress):
            if kind == "convergence":
                conv[key] = str(Path(made).relative_to(out))
            else:
                family_figs.extend((key, str(Path(p).relative_to(out)), caption) for p, caption in made)

    meta = {
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "tier": run.tier,
        "seed": run.seed,
        "family_alpha": run.family_alpha,
        "n_tests": run.n_tests,
        "z_crit": run.z_crit,
        "block_size": run.block_size,
        "seeding": "block b of rung d of simulation KEY uses SeedSequence(seed, spawn_key=(crc32(KEY), d, b))",
        "wall_seconds": run.seconds,
        "all_certified": run.passed,
        "versions": versions(),
    }
    families = {r.claim.family for r in run.results}
    doc = {"meta": meta, "claims": [r.to_dict() for r in run.results],
           "shown_not_certified": [s.describe() for s in (registry.shown.values() if registry is not None else [])
                                   if s.family in families],
           "figures": {"convergence": conv, "family": [{"family": f, "path": p, "caption": c}
                                                       for f, p, c in family_figs]}}
    doc["profile"] = run_profile(run)
    doc["merit"] = merit(run)
    paths["json"] = out / "report.json"
    paths["json"].write_text(json.dumps(doc, indent=1, default=_json_default))
    paths["md"] = out / "report.md"
    paths["md"].write_text(_markdown(run, meta, conv, family_figs, registry))
    return paths


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, float) and not np.isfinite(o):
        return None
    return str(o)


def _markdown(run: RunResult, meta: dict, conv: dict, family_figs: list, registry: Registry | None = None) -> str:
    n_ok = sum(r.passed for r in run.results)
    lines = [
        "# w2s-certify report",
        "",
        f"{n_ok} of {len(run.results)} claims certified — tier `{run.tier}`, seed {run.seed}, "
        f"wall time {run.seconds:.1f} s, generated {meta['generated']}.",
        "",
        f"Statistics: per-rung means with standard errors over independent replicates; weighted least-squares "
        f"extrapolation E[Q_d] = Q + a d^-alpha; a claim is certified when every component has |z| <= "
        f"z_crit = {run.z_crit:.3f} (Bonferroni over {run.n_tests} components, family-wise alpha = "
        f"{run.family_alpha}), an acceptable fit (p >= {run.family_alpha / run.n_tests:.2g}), a discrepancy that "
        "does not grow along the ladder, (for sign components) a resolved sign, and enough power: the "
        "probability that this ladder rejects the prediction when the truth is the claim's declared falsifier "
        "(prediction moved by falsifier x scale) is at least 0.99. The extrapolated limit is quoted as "
        "Q_hat ± stat ± sys: *stat* is the weighted fit's standard error, *sys* the systematic error of the "
        "extrapolation (the spread of the intercepts of the fit without the smallest rung and of the fit with an "
        "extra d^-2alpha term, beyond what their statistical errors explain; 0 for quantities exact at every "
        "size); z and every test use sqrt(stat^2 + sys^2). *Detectable* is the smallest relative error of the "
        "prediction this run detects with 99% power; *power* the probability of rejecting the falsifier; "
        "*rejected* whether this run's data do reject it. Method: docs/statistics.md.",
        "",
        "| claim | component | prediction | extrapolated ± stat ± sys | z | detectable (99%) | falsifier | power "
        "| verdict | rejected | s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in run.results:
        if not r.components:
            lines.append(f"| `{r.claim.id}` | — | — | — | — | — | — | — | {r.verdict} | — | {r.seconds:.1f} |")
            continue
        for i, c in enumerate(r.components):
            head = f"`{r.claim.id}`" if i == 0 else ""
            verdict, rejected, secs = ((r.verdict, "yes" if r.falsifier_rejected else "NO", f"{r.seconds:.1f}")
                                       if i == 0 else ("", "", ""))
            power = f"{c.power:.3f}" + ("" if c.power_sufficient else " **< 0.99**")
            lines.append(f"| {head} | {c.name} | {_fmt(c.prediction)} | {_pm(c.fit.q_hat, c.stat, c.sys)} | "
                         f"{c.z:+.2f} | {100 * c.detectable:.2g}% | {100 * r.claim.falsifier:g}% | {power} | "
                         f"{verdict} | {rejected} | {secs} |")
    shown = [s for s in (registry.shown.values() if registry is not None else [])
             if s.family in {r.claim.family for r in run.results}]
    if shown:
        lines += ["", "## Shown, not certified", "",
                  "Statements the figures show but no certificate covers (no derived prediction, or no statistics "
                  "that apply); listed so that no reader mistakes them for certified claims.", ""]
        lines += [f"- `{s.id}` — {s.title}. *Why not certified:* {s.reason}"
                  + (f" (figure `{s.figure}`)" if s.figure else "") for s in shown]
    if family_figs:
        lines += ["", "## Figures", ""]
        for _fam, p, caption in family_figs:
            lines += [f"![{caption}]({p})", "", f"*{caption}*", ""]
    lines += ["", "## Claims", ""]
    for r in run.results:
        c = r.claim
        lines += [f"### `{c.id}` — {r.verdict}", "", f"**{c.title}**", "", c.statement, "",
                  f"- Source: {c.source}", f"- Provenance: {c.provenance}"]
        if c.setup:
            lines.append(f"- Setup: {c.setup}")
        params = ", ".join(f"{k}={v}" for k, v in c.params.items())
        lad = c.ladder(r.tier)
        lines += [f"- Parameters: {params}", f"- Ladder ({r.tier}): d = {list(lad.d)}, replicates = {list(lad.reps)}",
                  (f"- Finite-size model: exact at every size — {c.finite_size_reason}" if c.finite_size == 0 else
                   f"- Finite-size model: a d^-{c.finite_size:g} — {c.finite_size_reason}"),
                  f"- Simulation time: {r.seconds:.1f} s (shared simulations counted in each claim using them)"]
        if r.error:
            lines += ["", f"**Error:** {r.error}"]
        for comp in r.components:
            f = comp.fit
            variants = "; ".join(f"{v.label}: {v.fit.q_hat:.6g} (shift {v.shift:+.2g} ± {v.se_shift:.2g})"
                                 for v in comp.variants)
            lines += ["", f"Component `{comp.name}`: prediction {_fmt(comp.prediction)}, extrapolated "
                          f"{_pm(f.q_hat, comp.stat, comp.sys)} (stat, sys), z = {comp.z:+.2f}, detectable with "
                          f"99% power {100 * comp.detectable:.2g}%, falsifier power {comp.power:.4f}, "
                          f"fit chi2 = {f.chi2:.2f} on {f.dof} dof (p = {f.p_value:.3g}), a = {f.a:.3g} ± {f.se_a:.2g}"
                          + (f"; model variants: {variants}" if variants else "")
                          + (f"; **{'; '.join(comp.reasons)}**" if comp.reasons else ""),
                      "", "| d | replicates | mean | SE | mean - prediction |", "|---|---|---|---|---|"]
            for rs in comp.rungs:
                lines.append(f"| {rs.d} | {rs.reps} | {rs.mean:.6g} | {rs.se:.2g} | {rs.mean - comp.prediction:+.3g} |")
        if c.id in conv:
            lines += ["", f"![convergence of {c.id}]({conv[c.id]})"]
        lines.append("")
    lines += _profile_markdown(run)
    lines += ["## Environment", "", "```", json.dumps(meta["versions"], indent=1), "```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Run profile and figure of merit (kept apart from the statistics columns above)
# ---------------------------------------------------------------------------------------------------------------

def _block_cost(run: RunResult, key: tuple) -> tuple[float, float | None]:
    return run.block_seconds.get(key, 0.0), run.block_cpu_seconds.get(key)


def run_profile(run: RunResult) -> dict:
    """Where the simulation time went: per simulation (``sim_key``; shared simulations once) and per rung, the
    blocks, replicates, wall seconds, CPU seconds (user + system of the process that ran each block; ``None``
    when the executor does not report it) and replicates per CPU second; totals per family.

    Wall seconds of blocks run in parallel add up to more than the run's wall time; on a machine shared with
    other work they are inflated by the wait for a core, CPU seconds much less so."""
    by_key = {r.claim.sim_key: r.claim for r in run.results}
    users: dict[str, list[str]] = {}
    for r in run.results:
        users.setdefault(r.claim.sim_key, []).append(r.claim.id)
    sims: dict[str, dict] = {}
    for key in run.block_seconds:
        sim_key, d, _block, reps = key[0], int(key[1]), key[2], int(key[3])
        wall, cpu = _block_cost(run, key)
        e = sims.setdefault(sim_key, {"sim_key": sim_key, "family": by_key[sim_key].family if sim_key in by_key
                                      else "", "claims": users.get(sim_key, []), "rungs": {}})
        rung = e["rungs"].setdefault(d, {"d": d, "blocks": 0, "replicates": 0, "wall_seconds": 0.0,
                                         "cpu_seconds": 0.0, "_cpu_known": True})
        rung["blocks"] += 1
        rung["replicates"] += reps
        rung["wall_seconds"] += wall
        if cpu is None:
            rung["_cpu_known"] = False
        else:
            rung["cpu_seconds"] += cpu
    out = []
    for e in sims.values():
        rungs = []
        for d in sorted(e["rungs"]):
            rg = e["rungs"][d]
            known = rg.pop("_cpu_known")
            if not known:
                rg["cpu_seconds"] = None
            rg["cpu_seconds_per_replicate"] = rg["cpu_seconds"] / rg["replicates"] if known else None
            rungs.append(rg)
        known = all(rg["cpu_seconds"] is not None for rg in rungs)
        cpu = sum(rg["cpu_seconds"] for rg in rungs) if known else None
        wall = sum(rg["wall_seconds"] for rg in rungs)
        reps = sum(rg["replicates"] for rg in rungs)
        out.append({**{k: e[k] for k in ("sim_key", "family", "claims")},
                    "blocks": sum(rg["blocks"] for rg in rungs), "replicates": reps, "wall_seconds": wall,
                    "cpu_seconds": cpu, "replicates_per_cpu_second": reps / cpu if cpu else None,
                    "replicates_per_wall_second": reps / wall if wall > 0 else None, "rungs": rungs})
    out.sort(key=lambda e: -(e["cpu_seconds"] if e["cpu_seconds"] is not None else e["wall_seconds"]))
    fams: dict[str, dict] = {}
    for e in out:
        f = fams.setdefault(e["family"], {"family": e["family"], "simulations": 0, "blocks": 0, "replicates": 0,
                                          "wall_seconds": 0.0, "cpu_seconds": 0.0})
        f["simulations"] += 1
        f["blocks"] += e["blocks"]
        f["replicates"] += e["replicates"]
        f["wall_seconds"] += e["wall_seconds"]
        f["cpu_seconds"] = None if (f["cpu_seconds"] is None or e["cpu_seconds"] is None) \
            else f["cpu_seconds"] + e["cpu_seconds"]
    tot_cpu = [e["cpu_seconds"] for e in out]
    return {"note": "seconds of simulation blocks (shared simulations counted once); cpu = user + system of the "
                    "process that ran the block (time.process_time), wall = its elapsed time",
            "run_wall_seconds": run.seconds,
            "simulation_wall_seconds": sum(e["wall_seconds"] for e in out),
            "simulation_cpu_seconds": None if any(c is None for c in tot_cpu) else sum(tot_cpu),
            "families": sorted(fams.values(), key=lambda f: f["family"]), "simulations": out}


def merit(run: RunResult) -> list[dict]:
    """Per claim, the figure of merit ``resolution^2 x seconds`` (lower is better): resolution is set by the
    standard error of the extrapolated limit, ``SE^2 ~ sum_d sd_d^2 / R_d``, so more replicates lower
    ``resolution^2`` in proportion to the seconds they cost and the product stays constant; it changes only
    with a cheaper simulator or a better allocation of replicates over the ladder. Seconds are the CPU seconds
    of every block the claim needs (a shared simulation counted in full for each claim using it: the cost of
    certifying that claim alone), or the wall seconds when the executor does not report CPU time. Sorted worst
    first."""
    rows = []
    for r in run.results:
        if not r.components:
            continue
        keys = [k for k in plan([r.claim], r.tier, run.seed)[1][r.claim.id] if k in run.block_seconds]
        walls = [run.block_seconds[k] for k in keys]
        cpus = [run.block_cpu_seconds.get(k) for k in keys]
        cpu = None if any(c is None for c in cpus) else float(sum(cpus))
        seconds = cpu if cpu is not None else float(sum(walls))
        worst = max(r.components, key=lambda c: c.resolution)
        res = float(r.resolution)
        rows.append({"claim": r.claim.id, "family": r.claim.family, "sim_key": r.claim.sim_key,
                     "resolution": res, "worst_component": worst.name, "seconds": seconds,
                     "seconds_kind": "cpu" if cpu is not None else "wall", "wall_seconds": float(sum(walls)),
                     "resolution2_x_seconds": res * res * seconds if np.isfinite(res) else None})
    rows.sort(key=lambda e: -(e["resolution2_x_seconds"] or 0.0))
    return rows


def _profile_markdown(run: RunResult) -> list[str]:
    prof, rows = run_profile(run), merit(run)
    if not prof["simulations"]:
        return []
    cpu = prof["simulation_cpu_seconds"]
    lines = ["## Run profile", "",
             f"Simulation: {prof['simulation_wall_seconds']:.1f} s wall summed over blocks"
             + (f", {cpu:.1f} CPU s" if cpu is not None else "") + f"; run wall time {run.seconds:.1f} s. "
             "CPU seconds are user + system of the process that ran each block (shared simulations once).", "",
             "| family | simulations | blocks | replicates | wall s | CPU s |", "|---|---|---|---|---|---|"]
    for f in prof["families"]:
        c = f"{f['cpu_seconds']:.1f}" if f["cpu_seconds"] is not None else "—"
        lines.append(f"| {f['family'] or '—'} | {f['simulations']} | {f['blocks']} | {f['replicates']} | "
                     f"{f['wall_seconds']:.1f} | {c} |")
    lines += ["", "| simulation | blocks | replicates | wall s | CPU s | replicates / CPU s |", "|---|---|---|---|---|---|"]
    for e in prof["simulations"]:
        c = f"{e['cpu_seconds']:.2f}" if e["cpu_seconds"] is not None else "—"
        rate = f"{e['replicates_per_cpu_second']:.3g}" if e["replicates_per_cpu_second"] else "—"
        lines.append(f"| `{e['sim_key']}` | {e['blocks']} | {e['replicates']} | {e['wall_seconds']:.2f} | {c} | "
                     f"{rate} |")
    lines += ["", "### Figure of merit: resolution^2 x seconds", "",
              "Constant under more replicates (resolution^2 falls as 1/replicates); lower is better. Seconds: "
              "CPU seconds of the blocks the claim needs (a shared simulation in full).", "",
              "| claim | resolution | seconds | resolution^2 x s |", "|---|---|---|---|"]
    for m in rows:
        v = m["resolution2_x_seconds"]
        lines.append(f"| `{m['claim']}` | {100 * m['resolution']:.3g}% | {m['seconds']:.2f} ({m['seconds_kind']}) | "
                     + (f"{v:.3g}" if v is not None else "—") + " |")
    lines.append("")
    return lines
