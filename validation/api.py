"""The Python API, for notebooks and scripts: the same registry, statistics and executors as the ``w2s`` command.

::

    from w2s.validation import api

    api.claims("ridge.risk*")                      # registered claims matching a glob or substring
    api.predict("ridge.optimal-student-ridge.gamma_s=0.5", lam_t=0.3)   # {component: value}
    run = api.certify("transfer.*", seed=1, jobs=2)  # a RunResult
    run.passed, run["transfer.naive-fine-tuning-floor"].verdict
    api.rung_table(run)                             # one dict per (claim, component, rung)
    fig = api.convergence_figure(run["transfer.naive-fine-tuning-floor"])
    api.write_report(run, "my-report")             # report.md, report.json, figures

``certify`` also takes :class:`~w2s.validation.registry.Claim` objects, so a conjecture defined in a notebook cell
is certified exactly as a built-in one. Bad input raises ``ValueError`` naming the argument. See
``docs/python-api.md``.
"""

from __future__ import annotations

import math

from pathlib import Path
from typing import Any, Iterable

from .registry import Claim, Registry, default_registry, load_claims_file
from .runner import ClaimResult, LocalExecutor, ProcessExecutor, RunResult, run_claims
from .stats import DEFAULT_FAMILY_ALPHA

__all__ = ["claims", "predict", "certify", "rung_table", "convergence_figure", "write_report", "registry"]


def registry(claims_files: Iterable[str | Path] = ()) -> Registry:
    """The registry the CLI uses (built-in families and installed claims packages), plus any claims files."""
    claims_files = list(claims_files)
    reg = default_registry().copy() if claims_files else default_registry()
    for f in claims_files:
        load_claims_file(f, reg)
    return reg


def claims(pattern: str | None = None) -> list[Claim]:
    """Registered claims whose id matches ``pattern`` (a glob if it has ``*?[``, else a substring; all if None)."""
    return registry().select(pattern)


def _resolve(selection) -> list[Claim]:
    if isinstance(selection, Claim):
        return [selection]
    if selection is None or isinstance(selection, str):
        found = registry().select(selection)
        if not found:
            raise ValueError(f"claims: no claim matches {selection!r}; see api.claims() or `w2s list`")
        return found
    out: list[Claim] = []
    for item in selection:
        out += _resolve(item)
    if not out:
        raise ValueError("claims: the selection is empty")
    return list({c.id: c for c in out}.values())


def predict(claim: str | Claim, **params: Any) -> dict[str, float]:
    """The claim's closed-form prediction, ``{component: value}``, with parameters overridden by keyword."""
    c = claim if isinstance(claim, Claim) else registry()[claim]
    unknown = sorted(set(params) - set(c.params))
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r} for claim {c.id}; allowed: {', '.join(c.params) or '(none)'}")
    merged = {**c.params, **params}
    try:
        values = c.prediction(merged)
    except (ArithmeticError, LookupError, RuntimeError) as exc:  # a closed form that does not check this input
        raise ValueError(f"{c.id}: cannot evaluate the prediction at these parameters ({type(exc).__name__}: "
                         f"{exc})") from None
    names = c.labels(merged)
    if len(names) != len(values):  # a grid parameter changed the number of components: positional labels
        names = tuple(f"component {k}" for k in range(len(values)))
    out = {name: float(v) for name, v in zip(names, values)}
    bad = [k for k, v in out.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"{c.id}: the prediction is not finite at these parameters ({', '.join(bad)})")
    return out


def certify(selection=None, *, tier: str = "fast", seed: int = 0, jobs: int = 1,
            family_alpha: float = DEFAULT_FAMILY_ALPHA, n_tests: int | None = None, executor=None,
            store=None) -> RunResult:
    """Simulate the ladders of the selected claims and certify them (as ``w2s certify``).

    ``selection``: a pattern (glob or substring of claim ids; None for all), a :class:`Claim`, or a list of
    either. ``jobs`` worker processes (1: in this process), or any ``executor`` (e.g. a
    :class:`~w2s.validation.dask_executor.DaskExecutor`); the result does not depend on either. ``store``: a
    :class:`~w2s.validation.store.BlockStore`, opened for this run, to keep and reuse finished blocks. The
    Bonferroni critical value covers the components of the selection, or ``n_tests`` tests when given.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    selected = _resolve(selection)
    if executor is None:
        executor = ProcessExecutor(jobs) if jobs > 1 else LocalExecutor()
    return run_claims(selected, tier=tier, seed=seed, executor=executor, family_alpha=family_alpha, n_tests=n_tests,
                      store=store)


def rung_table(run: RunResult) -> list[dict]:
    """One row per (claim, component, rung): mean, SE, replicates, the prediction, the extrapolated limit and the
    verdict (ready for ``pandas.DataFrame(rows)``)."""
    rows = []
    for r in run.results:
        for c in r.components:
            for rung in c.rungs:
                rows.append({"claim": r.claim.id, "component": c.name, "d": rung.d, "reps": rung.reps,
                             "mean": rung.mean, "se": rung.se, "prediction": c.prediction,
                             "q_hat": c.fit.q_hat, "se_hat": c.fit.se_hat, "sys": c.sys, "se_total": c.se_total,
                             "z": c.z, "power": c.power, "verdict": r.verdict})
    return rows


def convergence_figure(result: ClaimResult, path: str | Path | None = None):
    """The claim's convergence figure as a matplotlib ``Figure`` (or written to ``path``, which is returned)."""
    from .report import convergence_figure as draw

    if not result.components:
        raise ValueError(f"result: claim {result.claim.id} has no statistics to draw ({result.verdict}: {result.error})")
    return draw(result, None if path is None else Path(path))


def write_report(run: RunResult, out_dir: str | Path, *, figures: bool = True) -> dict[str, Path]:
    """``report.md``, ``report.json`` and the figures of ``run`` under ``out_dir`` (as ``w2s certify --out``)."""
    from .report import write_report as write

    return write(run, out_dir, registry(), figures=figures)
