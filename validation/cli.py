"""The ``w2s`` command line: list claims, evaluate predictions, certify claims against simulation.

Exit status: 0 when every selected claim is certified (or the command succeeded), 1 when some claim is not
certified, 2 for a usage error (unknown claim, malformed ``k=v``, out-of-range parameter), with one clear line
on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import math
import os
import sys
import time

from .executors import add_engine_options, describe_executor, open_executor, open_store
from .registry import PLUGIN_ERRORS, Claim, default_registry, load_claims_file
from .runner import ProcessExecutor
from .stats import DEFAULT_FAMILY_ALPHA


#: Default worker processes: the machine's cores, at most 4 (each worker holds ~250 MiB at the fast tier).
DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))


class UsageError(Exception):
    """A user error: printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="w2s",
        description="Certify weak-to-strong generalization theorems: simulate finite-d systems along a ladder "
                    "of dimensions and test, with statistics, that they converge to the closed-form prediction.",
        epilog="Examples:\n  w2s list\n  w2s predict ridge.risk.gamma_s<1.under-regularised-teacher lam_t=0.1\n"
               "  w2s certify 'ridge.risk*' --seed 1 --out my-report\n  w2s certify --claims my_conjecture.py user.\n"
               "  w2s calibrate 'transfer.*' --seeds 20",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    claims_help = "Python file defining extra claims (CLAIMS = [...] or predict()/simulate()); repeatable"

    pl = sub.add_parser("list", help="list the registered claims with their provenance")
    pl.add_argument("pattern", nargs="?", help="glob (e.g. 'ridge.risk*') or substring of claim ids")
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    pl.add_argument("--markdown", action="store_true",
                    help="the claims catalogue as Markdown, by family (docs/claims.md is generated this way)")
    pl.add_argument("--claims", action="append", default=[], metavar="FILE", help=claims_help)

    pp = sub.add_parser("predict", help="evaluate a claim's closed-form prediction")
    pp.add_argument("claim", help="claim id (see `w2s list`)")
    pp.add_argument("assignments", nargs="*", metavar="k=v", help="override a parameter, e.g. lam_t=0.1")
    pp.add_argument("--json", action="store_true", help="machine-readable output")
    pp.add_argument("--claims", action="append", default=[], metavar="FILE", help=claims_help)

    pc = sub.add_parser("certify", help="simulate the ladders and certify claims; writes a report directory")
    pc.add_argument("pattern", nargs="?", help="glob or substring of claim ids (default: all claims)")
    pc.add_argument("--tier", choices=("fast", "full"), default="fast",
                    help="fast: minutes on 2 cores (default); full: larger d, more replicates")
    pc.add_argument("--seed", type=_certify_seed, default=0,
                    help="root seed in [0, 2^32) (default 0); runs are reproducible")
    pc.add_argument("--out", default="w2s-report", help="report directory (default ./w2s-report)")
    pc.add_argument("--alpha", type=_alpha, default=DEFAULT_FAMILY_ALPHA,
                    help=f"family-wise false-alarm rate of the run (default {DEFAULT_FAMILY_ALPHA})")
    add_engine_options(pc)  # --jobs, --executor, --scheduler, --store, --resume, --no-store
    pc.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    pc.add_argument("--claims", action="append", default=[], metavar="FILE", help=claims_help)
    pc.add_argument("--quiet", action="store_true", help="no progress bar")

    pk = sub.add_parser("calibrate", help="certify the claims under K independent seeds and measure the false-alarm "
                                          "rate (per claim and family-wise, with a Clopper-Pearson interval)")
    pk.add_argument("pattern", nargs="?", help="glob or substring of claim ids (default: all claims)")
    pk.add_argument("--seeds", type=_pos_int, required=True, metavar="K",
                    help="number of seeds; seed k is 2^32 + k, disjoint from every `w2s certify --seed`")
    pk.add_argument("--tier", choices=("fast", "full"), default="fast", help="ladder tier (default fast)")
    pk.add_argument("--out", default="w2s-calibration",
                    help="directory of calibration.json and calibration.md, rewritten after every seed "
                         "(default ./w2s-calibration)")
    pk.add_argument("--alpha", type=_alpha, default=DEFAULT_FAMILY_ALPHA,
                    help=f"family-wise false-alarm rate of each run (default {DEFAULT_FAMILY_ALPHA})")
    pk.add_argument("--resume", action="store_true",
                    help="continue the calibration in --out, also to a larger --seeds: verdicts of unchanged claims "
                         "are kept, claims whose source changed (or new ones) are rerun at the seeds done, then the "
                         "missing seeds run (claims added or removed: the kept verdicts are decided again at the new "
                         "Bonferroni level); refused if the tier, --alpha or a numerical library changed")
    add_engine_options(pk, store=False)  # --jobs, --executor, --scheduler
    pk.add_argument("--claims", action="append", default=[], metavar="FILE", help=claims_help)
    pk.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _certify_seed(text: str) -> int:
    from .calibration import MAX_CERTIFY_SEED

    v = _nonneg_int(text)
    if v > MAX_CERTIFY_SEED:
        raise argparse.ArgumentTypeError(f"seed must be in [0, 2^32), got {text!r} (larger seeds are calibration "
                                         "seeds, see `w2s calibrate`)")
    return v


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


def _pos_int(text: str) -> int:
    v = _nonneg_int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return v


def _alpha(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"alpha must be in (0, 1), got {text!r}")
    return v


def _registry(files):
    reg = default_registry().copy() if files else default_registry()
    for _, message in PLUGIN_ERRORS:
        print(f"w2s: warning: {message}", file=sys.stderr)
    for f in files:
        try:
            load_claims_file(f, reg)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return reg


def _select(reg, pattern):
    claims = reg.select(pattern)
    if not claims:
        raise UsageError(f"no claim matches {pattern!r}; see `w2s list`")
    return claims


def parse_assignments(claim: Claim, assignments: list[str]) -> dict:
    """``k=v`` strings to a parameter dict, typed like the claim's defaults."""
    params = dict(claim.params)
    for a in assignments:
        if "=" not in a or a.startswith("="):
            raise UsageError(f"malformed parameter {a!r}: expected k=v, e.g. lam_t=0.1")
        key, text = a.split("=", 1)
        key = key.strip()
        if key not in params:
            allowed = ", ".join(params) or "(none)"
            raise UsageError(f"unknown parameter {key!r} for claim {claim.id}; allowed: {allowed}")
        params[key] = _parse_value(key, params[key], text)
    return params


def _parse_value(key: str, default, text: str):
    """One ``k=v`` value, typed like the default: integral numbers stay integers for an integer parameter (``K=7``,
    ``K=7.0``), a string parameter takes the text as it is (``design=gaussian``; quotes optional), anything else is
    a Python literal (``g_s=[0.1, 1]``)."""
    try:
        if isinstance(default, bool):
            low = text.strip().lower()
            if low in ("true", "false", "1", "0"):
                return low in ("true", "1")
            raise ValueError
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            value = float(text)
            if isinstance(default, int) and value.is_integer() and abs(value) < 2**53:
                return int(value)
            return value
        if isinstance(default, str):
            stripped = text.strip()
            if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
                return ast.literal_eval(stripped)
            return text
        if default is None and text.strip().lower() == "none":
            return None
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise UsageError(f"parameter {key}: cannot parse {text!r} as a value") from None


def _cmd_list(args) -> int:
    reg = _registry(args.claims)
    claims = _select(reg, args.pattern)
    if args.json:
        print(json.dumps([c.describe() for c in claims], indent=1, default=str))
        return 0
    if args.markdown:
        from .catalogue import catalogue_markdown

        print(catalogue_markdown(claims, reg.select_shown(args.pattern)), end="")
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(claims)} claims", show_lines=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("provenance", overflow="fold")
    for c in claims:
        table.add_row(escape(c.id), escape(c.title), escape(c.provenance))
    console = Console(width=max(Console().width, 140))
    console.print(table)
    shown = reg.select_shown(args.pattern)
    if shown:
        extra = Table(title=f"{len(shown)} statements shown in figures, NOT certified", show_lines=False)
        extra.add_column("id", no_wrap=True)
        extra.add_column("title", overflow="fold")
        extra.add_column("why not certified", overflow="fold")
        for item in shown:
            extra.add_row(escape(item.id), escape(item.title), escape(item.reason))
        console.print(extra)
    return 0


def _cmd_predict(args) -> int:
    reg = _registry(args.claims)
    try:
        claim = reg[args.claim]
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    params = parse_assignments(claim, args.assignments)
    try:
        pred = claim.prediction(params)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{claim.id}: {exc}") from None
    except (ArithmeticError, LookupError, RuntimeError) as exc:  # a closed form that does not check this input
        raise UsageError(f"{claim.id}: cannot evaluate the prediction at these parameters "
                         f"({type(exc).__name__}: {exc})") from None
    labels = claim.labels(params)
    if len(labels) != len(pred):
        labels = tuple(f"component {k}" for k in range(len(pred)))
    values = {name: float(v) for name, v in zip(labels, pred)}
    if not all(math.isfinite(v) for v in values.values()):
        bad = ", ".join(k for k, v in values.items() if not math.isfinite(v))
        raise UsageError(f"{claim.id}: the prediction is not finite at these parameters ({bad})")
    if args.json:
        print(json.dumps({"claim": claim.id, "params": {k: v for k, v in params.items()},
                          "prediction": values, "provenance": claim.provenance}, indent=1, default=str))
    else:
        print(f"{claim.id}  ({claim.provenance})")
        for name, v in values.items():
            print(f"  {name} = {v:.12g}")
    return 0


def _cmd_certify(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.markup import escape
    from rich.table import Table

    from .report import write_report
    from .runner import plan, run_claims

    reg = _registry(args.claims)
    claims = _select(reg, args.pattern)
    console = Console(stderr=True)
    tasks, _ = plan(claims, args.tier, args.seed)
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        try:  # checked before anything is simulated or written
            store = open_store(args, claims, args.tier, args.seed, args.out,
                               warn=lambda msg: console.print(f"w2s: warning: {escape(msg)}", highlight=False))
            executor = stack.enter_context(open_executor(args))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if store is not None:
            store.begin()
        where = f"{describe_executor(executor)}" + (f", store {store.path}" if store is not None else "")
        console.print(f"[bold]w2s certify[/bold]: {len(claims)} claims, tier {args.tier}, seed {args.seed}, "
                      f"{len(tasks)} simulation blocks ({escape(where)})")
        for note in getattr(executor, "notes", []):
            console.print(f"w2s: note: {escape(note)}", highlight=False)
        if store is not None and store.discarded:
            console.print(f"w2s: note: discarded {store.discarded} blocks of an earlier run in {store.path} "
                          "(--resume continues a run instead)", highlight=False)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=console, disable=args.quiet, transient=False) as progress:
            bar = progress.add_task("simulating", total=len(tasks))

            def on_task(task, seconds):
                progress.update(bar, advance=1, description=f"simulating d={task.d:<5d} {task.sim_key[:40]:<40s}")

            run = run_claims(claims, tier=args.tier, seed=args.seed, family_alpha=args.alpha, on_task=on_task,
                             executor=executor, store=store)
            progress.update(bar, description="writing report")
            # figures in as many processes as the blocks ran in (a Dask cluster's workers are not used for them)
            fig_jobs = executor.jobs if isinstance(executor, ProcessExecutor) else 1
            paths = write_report(run, args.out, reg, figures=not args.no_figures, jobs=fig_jobs)
    if store is not None and args.resume:
        console.print(f"resumed: {run.blocks_loaded} of {len(tasks)} blocks loaded from {store.path}, "
                      f"{run.blocks_simulated} simulated", highlight=False)
    wall = time.perf_counter() - t0

    table = Table(title=f"certification ({args.tier} tier, seed {args.seed}, z_crit = {run.z_crit:.2f})")
    for col in ("claim", "component", "prediction", "extrapolated ± stat ± sys", "z", "detectable", "power",
                "verdict", "s"):
        table.add_column(col, overflow="fold", justify="right" if col in ("z", "power", "s") else "left")
    for r in run.results:
        if not r.components:
            table.add_row(escape(r.claim.id), "—", "—", "—", "—", "—", "—",
                          f"[red]{r.verdict}[/red]: {escape(str(r.error))}", f"{r.seconds:.1f}")
            continue
        for i, c in enumerate(r.components):
            verdict = ("[green]CERTIFIED[/green]" if r.passed else "[red]REJECTED[/red]") if i == 0 else ""
            if not c.passed:
                verdict += f" [red]{escape('; '.join(c.reasons))}[/red]"
            table.add_row(escape(r.claim.id) if i == 0 else "", escape(c.name), f"{c.prediction:.5g}",
                          f"{c.fit.q_hat:.5g} ± {c.stat:.2g} ± {c.sys:.2g}", f"{c.z:+.2f}",
                          f"{100 * c.detectable:.2g}%", f"{c.power:.3f}", verdict, f"{r.seconds:.1f}" if i == 0 else "")
    out = Console(width=max(Console().width, 160))
    out.print(table)
    n_ok = sum(r.passed for r in run.results)
    out.print(f"{n_ok}/{len(run.results)} certified in {wall:.1f} s. Report: {paths['md']} and {paths['json']}")
    return 0 if run.passed else 1


def _cmd_calibrate(args) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.table import Table

    from .calibration import (calibrate, calibration_identity, calibration_seeds, check_resumable, load_calibration,
                              stale_claims, write_calibration)
    from .runner import plan

    reg = _registry(args.claims)
    claims = _select(reg, args.pattern)
    seeds = calibration_seeds(args.seeds)
    previous = None
    if args.resume:
        path = Path(args.out) / "calibration.json"
        if not path.is_file():
            raise UsageError(f"--resume: no calibration to continue in {args.out} ({path} does not exist)")
        try:
            previous = load_calibration(path)
            identity = calibration_identity(claims, args.tier, args.alpha)
            check_resumable(previous, identity, seeds)
        except ValueError as exc:
            raise UsageError(f"--resume: {exc}") from None
    elif (Path(args.out) / "calibration.json").exists():
        raise UsageError(f"{args.out} already holds a calibration: pass --resume to continue it, or another --out")
    console = Console(stderr=True)
    n_blocks = len(plan(claims, args.tier, seeds[0])[0])
    n_todo = len(seeds) - (len(previous.runs) if previous else 0)
    stale = stale_claims(previous, identity) if previous else []
    n_rerun = len(plan([c for c in claims if c.id in set(stale)], args.tier, seeds[0])[0]) * len(previous.runs) \
        if stale else 0
    resumed = (f", {len(previous.runs)} done, {n_todo} to run"
               + (f", {len(stale)} changed claims to rerun at the seeds done" if stale else "")) if previous else ""
    console.print(f"[bold]w2s calibrate[/bold]: {len(claims)} claims, tier {args.tier}, {len(seeds)} seeds "
                  f"(2^32 + 0..{len(seeds) - 1}{resumed}), {n_blocks} simulation blocks per seed; results in "
                  f"{args.out}")
    with contextlib.ExitStack() as stack:
        try:
            executor = stack.enter_context(open_executor(args))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        progress = stack.enter_context(Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=console, disable=args.quiet, transient=False))
        bar = progress.add_task("simulating", total=n_blocks * max(n_todo, 0) + n_rerun)
        state = {"seed": len(previous.runs) if previous else 0, "what": "seed"}

        def on_task(task, seconds):
            label = state["what"] if state["what"] != "seed" else f"seed {state['seed'] + 1}/{len(seeds)}"
            progress.update(bar, advance=1, description=f"{label} d={task.d:<5d} {task.sim_key[:32]:<32s}")

        def on_rerun(ids, seed):
            state["what"] = f"rerun {len(ids)} at {seed - seeds[0]}"

        def on_seed(result):
            state["seed"], state["what"] = result.n_seeds, "seed"
            write_calibration(result, args.out)

        result = calibrate(claims, seeds, tier=args.tier, executor=executor, family_alpha=args.alpha,
                           on_task=on_task, on_seed=on_seed, resume=previous, on_rerun=on_rerun)
    paths = write_calibration(result, args.out)
    rate, lo, hi = result.family_rate()
    table = Table(title=f"calibration ({args.tier} tier, {result.n_seeds} seeds, z_crit = {result.z_crit:.2f})")
    for col in ("claim", "failures", "failed checks"):
        table.add_column(col, overflow="fold")
    for cid in result.claim_ids:
        k = result.failures(cid)
        checks = ", ".join(f"{n} x{m}" for n, m in sorted(result.failed_checks(cid).items()))
        table.add_row(escape(cid), f"[red]{k}[/red]" if k else "0", escape(checks))
    out = Console(width=max(Console().width, 120))
    out.print(table)
    out.print(f"family-wise false-alarm rate {result.family_failures}/{result.n_seeds} = {rate:.3g}, 95% "
              f"Clopper-Pearson interval [{lo:.3g}, {hi:.3g}] (design: <= {2 * args.alpha:g} from the z and fit "
              f"tests). Report: {paths['md']} and {paths['json']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list(args)
        if args.command == "predict":
            return _cmd_predict(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args)
        return _cmd_certify(args)
    except UsageError as exc:
        print(f"w2s: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("w2s: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
