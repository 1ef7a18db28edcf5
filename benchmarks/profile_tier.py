"""Estimate where a tier's simulation time goes without running the whole tier, and the per-rung spread that
sets each claim's resolution.

For every rung ``(simulation, d)`` of the selected claims this runs the first ``--reps`` replicates (fewer, at
least ``--min-reps``, where they would cost more than ``--budget`` CPU seconds) of its first seeded block (the draws a
certification run makes first), in this process with one BLAS and one numba thread (as a worker of
``w2s certify --jobs N`` runs them, without the threads' spin-waiting), and records the CPU seconds per replicate
(``time.process_time``: unlike wall time it is not inflated by other work waiting for the same cores) and the
per-replicate standard deviation of every component of every claim using the rung. The rung's estimated cost is
``replicates x CPU seconds per replicate``; summed over rungs it estimates the tier's simulation CPU seconds, and
divided by the cores (blocks are independent and spread evenly over ``--jobs`` workers) its wall time on a quiet
machine.

Usage::

    python benchmarks/profile_tier.py [PATTERN] [--tier full] [--reps 20] [--out profile.json]

The JSON output (per rung: blocks, replicates, sampled replicates, CPU seconds per replicate, component standard
deviations) is the input of the ladder allocation in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

import numpy as np


def profile(pattern: str | None, tier: str, reps: int, seed: int = 0, budget: float = 0.5,
            last_families: tuple[str, ...] = (), min_reps: int = 4, skip_families: tuple[str, ...] = (),
            on_rung=None) -> dict:
    import numba
    from threadpoolctl import threadpool_limits

    from w2s.validation.registry import builtin_registry
    from w2s.validation.runner import Task, plan

    claims = [c for c in builtin_registry().select(pattern) if c.family not in skip_families]
    tasks, _needs = plan(claims, tier, seed)
    rungs: dict[tuple, list] = defaultdict(list)
    for t in tasks:
        rungs[(t.sim_key, t.d)].append(t)
    users = defaultdict(list)
    for c in claims:
        users[c.sim_key].append(c)
    out = []
    numba.set_num_threads(1)
    with threadpool_limits(1):
        last = set(last_families)
        order = sorted(rungs.items(), key=lambda kv: (users[kv[0][0]][0].family in last, kv[0][0], kv[0][1]))
        for (sim_key, d), ts in order:
            first = min(ts, key=lambda t: t.block)
            warm = Task(sim_key, d, first.block, 2, seed, first.claim)
            warm()  # numba's cache load / compilation: not counted
            c0 = time.process_time()
            warm()
            per_rep = (time.process_time() - c0) / 2
            # the first k replicates of the rung's first block (its generator, fewer draws): k = reps, or fewer
            # (at least 4) where they would cost more than budget CPU seconds
            k = int(max(min_reps, min(reps, budget / max(per_rep, 1e-9))))
            k = min(k, first.reps)
            if k <= 2:  # the timed second call is the sample
                raws, cpu, reps_done = [warm()], per_rep * 2, 2
            else:
                sample = Task(sim_key, d, first.block, k, seed, first.claim)
                c0 = time.process_time()
                raws = [sample()]
                cpu = time.process_time() - c0
                reps_done = sample.reps
            sds = {}
            for claim in users[sim_key]:
                try:
                    x = np.concatenate([claim.observe(r) for r in raws], axis=0)
                except Exception as exc:  # a failing block is reported, not hidden
                    sds[claim.id] = f"error: {exc}"
                    continue
                sds[claim.id] = dict(zip(claim.components, np.std(x, axis=0, ddof=1).tolist()))
            total = sum(t.reps for t in ts)
            out.append({"sim_key": sim_key, "family": users[sim_key][0].family, "d": d, "blocks": len(ts),
                        "replicates": total, "sampled_replicates": reps_done,
                        "cpu_seconds_per_replicate": cpu / reps_done,
                        "estimated_cpu_seconds": total * cpu / reps_done, "sd": sds})
            if on_rung is not None:
                on_rung(out)
            print(f"{sim_key[:60]:60s} d={d:>8d} reps={total:>7d} {1e3 * cpu / reps_done:9.3f} ms/rep -> "
                  f"{total * cpu / reps_done:8.1f} s", file=sys.stderr, flush=True)
    fam = defaultdict(float)
    for r in out:
        fam[r["family"]] += r["estimated_cpu_seconds"]
    return {"tier": tier, "pattern": pattern, "replicates_sampled_per_rung": reps,
            "cpu_budget_per_rung": budget, "estimated_cpu_seconds": sum(fam.values()), "families": dict(sorted(fam.items())), "rungs": out}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pattern", nargs="?", default=None)
    ap.add_argument("--tier", default="full", choices=("fast", "full"))
    ap.add_argument("--reps", type=int, default=20, help="replicates sampled per rung (default 20)")
    ap.add_argument("--budget", type=float, default=0.5, help="CPU seconds sampled per rung at most (0.5)")
    ap.add_argument("--last", default="", help="comma-separated families profiled last")
    ap.add_argument("--skip", default="", help="comma-separated families not profiled")
    ap.add_argument("--min-reps", type=int, default=4, help="replicates sampled per rung at least (4)")
    ap.add_argument("--out", default=None, help="write the profile as JSON here")
    args = ap.parse_args(argv)
    if args.reps < 2 or args.min_reps < 2:
        print("profile_tier: --reps and --min-reps must be >= 2", file=sys.stderr)
        return 2
    def partial(rungs):  # the rungs measured so far, rewritten after each rung
        if args.out:
            with open(args.out + ".partial", "w") as fh:
                json.dump({"tier": args.tier, "rungs": rungs}, fh)

    prof = profile(args.pattern, args.tier, args.reps, budget=args.budget,
                   last_families=tuple(f for f in args.last.split(",") if f), min_reps=args.min_reps,
                   skip_families=tuple(f for f in args.skip.split(",") if f), on_rung=partial)
    text = json.dumps(prof, indent=1)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    for f, s in prof["families"].items():
        print(f"{f:20s} {s:9.1f} CPU s")
    print(f"{'total':20s} {prof['estimated_cpu_seconds']:9.1f} CPU s; on 2 quiet cores about "
          f"{prof['estimated_cpu_seconds'] / 2 / 60:.1f} min of simulation wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
