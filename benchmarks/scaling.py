"""Parallel scaling of the executors: the same blocks on 1 and 2 Dask workers (a ``LocalCluster`` of worker
processes, one thread each) and on 1 and 2 forked workers (``ProcessExecutor``), in blocks per second, with the
parallel efficiency ``rate(2 workers) / (2 rate(1 worker))``; and the cost of the block store (bytes per block,
seconds per block written and read). Every engine's raw results are checked to be bit-identical.

    python benchmarks/scaling.py                       # ridge risk blocks, d = 512 and 2048 (65 and 145 ms each)
    python benchmarks/scaling.py --pattern 'wridge.*' --d 1024 --blocks 32 --repeat 3
    python benchmarks/scaling.py --scheduler tcp://host:8786   # also time an existing cluster

Workers are warmed up (built-in claims imported, numba kernels loaded from their cache) before timing, and a
cluster's start-up is not timed: the rates are those of a long run. On a machine shared with other work the
efficiency is depressed by the other load; ``--repeat`` reports every repetition and the best.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np


def _equal(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _warm(task) -> None:
    task()


def _time(executor, tasks) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = {t.key: raw for t, raw, _ in executor.map(tasks)}
    return time.perf_counter() - t0, out


def main() -> None:
    from w2s.validation.dask_executor import DaskExecutor
    from w2s.validation.registry import builtin_registry
    from w2s.validation.runner import ProcessExecutor, plan
    from w2s.validation.store import BlockStore, run_manifest

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pattern", default="ridge.risk.gamma_s<1.under-regularised-teacher")
    ap.add_argument("--d", type=int, nargs="+", default=[512, 2048], help="rungs whose blocks are timed")
    ap.add_argument("--blocks", type=int, default=48, help="blocks per timing (largest d first)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="also time the cluster at this address")
    args = ap.parse_args()

    reg = builtin_registry()
    claims = reg.select(args.pattern)
    if not claims:
        raise SystemExit(f"no claim matches {args.pattern!r}")
    tasks, _ = plan(claims, "fast", 0)
    tasks = [t for t in tasks if t.d in args.d][: args.blocks]
    if not tasks:
        raise SystemExit(f"no block at d in {args.d}")
    t0 = time.perf_counter()
    serial = {t.key: t() for t in tasks}
    serial_s = time.perf_counter() - t0
    per_block = serial_s / len(tasks)
    print(f"{len(tasks)} blocks of {sorted({t.sim_key for t in tasks})} at d in {sorted({t.d for t in tasks})}; "
          f"in process {per_block * 1e3:.0f} ms per block")

    rates: dict[str, list[float]] = {}

    def record(name, executor):
        dt, out = _time(executor, tasks)
        assert out.keys() == serial.keys() and all(_equal(out[k], serial[k]) for k in out), f"{name}: results differ"
        rates.setdefault(name, []).append(len(tasks) / dt)

    engines = []
    for n in (1, 2):
        ex = DaskExecutor(jobs=n)
        ex.connect()
        ex.client.run(_warm, tasks[-1])
        engines.append((f"dask {n} worker{'s' * (n > 1)}", ex))
    if args.scheduler:
        ex = DaskExecutor(scheduler=args.scheduler)
        ex.connect()
        ex.client.run(_warm, tasks[-1])
        engines.append((f"cluster {args.scheduler} ({ex.nthreads} threads)", ex))
    engines += [("process 1 worker", ProcessExecutor(1)), ("process 2 workers", ProcessExecutor(2))]
    try:
        for _ in range(args.repeat):
            for name, ex in engines:
                record(name, ex)
    finally:
        for _, ex in engines:
            if isinstance(ex, DaskExecutor):
                ex.close()

    print(f"{'engine':<40s} {'blocks/s (each repetition)':<32s} best   efficiency 1 -> 2 (best; median)")
    for name, r in rates.items():
        line = f"{name:<40s} {', '.join(f'{x:.2f}' for x in r):<32s} {max(r):5.2f}"
        if name.endswith("2 workers"):
            one = rates[name.replace("2 workers", "1 worker")]
            eff_best = max(r) / (2 * max(one))
            eff_med = statistics.median(r) / (2 * statistics.median(one))
            line += f"  {100 * eff_best:.0f}%; {100 * eff_med:.0f}%"
        print(line)

    # the store: bytes per block, and the time to write and read one
    with tempfile.TemporaryDirectory() as tmp:
        store = BlockStore(tmp).open(run_manifest(claims, "fast", 0))
        store.begin()
        t0 = time.perf_counter()
        for t in tasks:
            store.save(t, serial[t.key], 0.0)
        write = (time.perf_counter() - t0) / len(tasks)
        t0 = time.perf_counter()
        for t in tasks:
            assert _equal(store.load(t)[0], serial[t.key])
        read = (time.perf_counter() - t0) / len(tasks)
        sizes = [store.file(t).stat().st_size for t in tasks]
    print(f"store: {statistics.mean(sizes):.0f} bytes per block ({tasks[0].reps} replicates), write "
          f"{write * 1e3:.2f} ms, read + verify {read * 1e3:.2f} ms per block "
          f"({100 * write / per_block:.2f}% of a {per_block * 1e3:.0f} ms block)")


if __name__ == "__main__":
    main()
