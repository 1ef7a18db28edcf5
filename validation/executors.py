"""Command-line options that choose where blocks run (executor) and where finished blocks are kept (store),
shared by every command that simulates (``w2s certify`` and friends): :func:`add_engine_options` adds them to a
parser, :func:`open_executor` and :func:`open_store` turn the parsed arguments into the objects that
:func:`~w2s.validation.runner.run_claims` takes.

Executors: ``local`` (this process), ``process`` (forked workers, ``--jobs N``), ``dask`` (a ``LocalCluster`` of
``--jobs N`` worker processes, or the cluster at ``--scheduler ADDRESS``). Default: ``process`` when ``--jobs`` > 1,
else ``local``. The results are the same for every choice.
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .runner import LocalExecutor, ProcessExecutor

__all__ = ["DEFAULT_JOBS", "EXECUTORS", "add_engine_options", "open_executor", "open_store", "describe_executor"]

#: Default worker processes: the machine's cores, at most 4 (each worker holds ~250 MiB at the fast tier).
DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))
EXECUTORS = ("local", "process", "dask")


def _pos_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return v


def add_engine_options(parser: argparse.ArgumentParser, store: bool = True) -> None:
    """Add ``--jobs``, ``--executor``, ``--scheduler`` and (with ``store``) ``--store``, ``--resume``,
    ``--no-store`` to ``parser``."""
    g = parser.add_argument_group("execution")
    g.add_argument("--jobs", type=_pos_int, default=DEFAULT_JOBS,
                   help=f"worker processes, one BLAS thread each (default here: {DEFAULT_JOBS} = cores, at most 4; "
                        "1 runs in process); the results do not depend on it")
    g.add_argument("--executor", choices=EXECUTORS, default=None,
                   help="local: this process; process: --jobs forked workers; dask: a local Dask cluster of --jobs "
                        "workers (needs the dask extra). Default: process if --jobs > 1, else local")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the blocks on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://host:8786); "
                        "needs the dask extra")
    if store:
        g.add_argument("--store", metavar="DIR", default=None,
                       help="block store: every finished block is written there at once (default: OUT/blocks)")
        g.add_argument("--resume", action="store_true",
                       help="continue an interrupted run: load the blocks in the store, simulate only the missing")
        g.add_argument("--no-store", action="store_true", help="keep no block store")


@contextmanager
def open_executor(args) -> Iterator[object]:
    """The executor chosen by ``args`` (closed on exit). Raises ``ValueError`` with one line for bad choices, a
    missing dask extra or an unreachable scheduler."""
    kind = args.executor
    if args.scheduler is not None:
        if kind not in (None, "dask"):
            raise ValueError(f"--scheduler runs on Dask; it cannot be combined with --executor {kind}")
        kind = "dask"
    if kind is None:
        kind = "process" if args.jobs > 1 else "local"
    if kind == "local":
        yield LocalExecutor()
    elif kind == "process":
        yield ProcessExecutor(args.jobs)
    else:
        from .dask_executor import DaskExecutor, require_distributed

        require_distributed()
        ex = DaskExecutor(scheduler=args.scheduler) if args.scheduler else DaskExecutor(jobs=args.jobs)
        with ex:
            yield ex


def describe_executor(executor) -> str:
    """A few words for the progress header, e.g. ``"2 forked workers"``."""
    if isinstance(executor, LocalExecutor):
        return "in process"
    if isinstance(executor, ProcessExecutor):
        return f"{executor.jobs} forked workers"
    if getattr(executor, "client", None) is not None:
        where = executor.scheduler or "a local Dask cluster"
        return f"Dask, {executor.nthreads} worker threads at {where}"
    return type(executor).__name__


def open_store(args, claims, tier: str, seed: int, out: str | os.PathLike, warn=None):
    """The :class:`~w2s.validation.store.BlockStore` chosen by ``args`` (``None`` with ``--no-store``), opened
    for this run. Raises ``ValueError`` (one line) for an unwritable path or a ``--resume`` that does not match."""
    from .store import BlockStore, run_manifest

    if getattr(args, "no_store", False):
        if getattr(args, "resume", False):
            raise ValueError("--resume needs the block store; drop --no-store")
        return None
    path = Path(args.store) if getattr(args, "store", None) else Path(out) / "blocks"
    return BlockStore(path, warn=warn).open(run_manifest(claims, tier, seed), resume=getattr(args, "resume", False))
