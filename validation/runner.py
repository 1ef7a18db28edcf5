"""Run claims: split every rung into seeded blocks, execute them through an executor, assemble the statistics.

Randomness. Block ``b`` of rung ``d`` of simulation ``key`` draws from
``Generator(PCG64(SeedSequence(seed, spawn_key=(crc32(key), d, b))))`` (:mod:`w2s.kernels.rng`). Blocks have a
fixed size, so the draws of a run depend only on ``(seed, key, ladder)`` — not on the executor, the order of
execution, or which other claims are in the run — and a run is reproducible bit for bit. Claims that share a
simulation (:class:`~w2s.validation.registry.SharedSimulation`) share its blocks: it is simulated once.

Executors. :class:`LocalExecutor` runs blocks in this process, one after another (BLAS and numba use the
cores); :class:`ProcessExecutor` spreads them over forked worker processes (``w2s certify --jobs N``). Any object with a ``map(fn, tasks)`` method yielding ``(task, result, seconds)`` can replace it — a
process pool or a distributed engine — without touching the claims: a :class:`Task` carries everything needed
to compute its block.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from w2s.kernels.rng import generator

from .registry import Claim
from .stats import DEFAULT_FAMILY_ALPHA, MIN_REPS, ComponentCheck, bonferroni_z, check_component, rung_stats

__all__ = ["BLOCK_SIZE", "Task", "SimulationError", "Executor", "LocalExecutor", "ProcessExecutor", "ClaimResult", "RunResult", "run_claims", "plan"]

#: Replicates per seeded block. Fixed, so that results do not depend on how blocks are scheduled.
BLOCK_SIZE = 50


@dataclass(frozen=True)
class Task:
    """One seeded block of replicates of one simulation at one dimension."""

    sim_key: str
    d: int
    block: int
    reps: int
    seed: int
    claim: Claim  #: any claim using this simulation (they all produce the same raw output)

    @property
    def key(self) -> tuple:
        return (self.sim_key, self.d, self.block, self.reps, self.seed)

    def timed(self) -> tuple[object, float]:
        """``(raw output, seconds)``: what every executor yields for this task."""
        t0 = time.perf_counter()
        out = self()
        return out, time.perf_counter() - t0

    def __call__(self):
        """Raw simulator output, or a :class:`SimulationError` (a failing block must not abort the run)."""
        rng = generator(self.seed, self.sim_key, self.d, self.block)
        try:
            return self.claim.run_simulation(self.d, rng, self.reps)
        except Exception as exc:
            return SimulationError(f"simulation failed at d={self.d}: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class SimulationError:
    message: str


class Executor(Protocol):
    def map(self, tasks: list[Task]) -> Iterator[tuple[Task, object, float]]:
        """Execute tasks, yielding ``(task, raw result, seconds)`` in any order."""


class LocalExecutor:
    """Serial in-process execution."""

    def map(self, tasks: list[Task]) -> Iterator[tuple[Task, object, float]]:
        for task in tasks:
            yield (task, *task.timed())


_FORKED_TASKS: list = []


def _limit_blas_threads() -> None:
    """Worker initializer: one BLAS thread per process, so that ``jobs`` processes do not oversubscribe cores."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _run_forked(index: int):
    return _FORKED_TASKS[index].timed()


class ProcessExecutor:
    """Blocks spread over ``jobs`` forked worker processes (POSIX ``fork``), one BLAS thread each.

    Workers inherit the task list through ``fork``, so claims need not be picklable (they may hold lambdas);
    only the raw results travel back. Results are identical to :class:`LocalExecutor`'s: every block draws from
    its own seeded generator, whichever process runs it.
    """

    def __init__(self, jobs: int):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
        self.jobs = jobs

    def map(self, tasks: list[Task]) -> Iterator[tuple[Task, object, float]]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        global _FORKED_TASKS
        _FORKED_TASKS = list(tasks)
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: run in process
            yield from LocalExecutor().map(tasks)
            return
        try:
            with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_limit_blas_threads) as pool:
                with warnings.catch_warnings():
                    # Python >= 3.12 warns that fork() in a threaded process may deadlock; the workers only run
                    # numpy/numba code with BLAS re-initialised to one thread (threadpoolctl) after the fork.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    futures = {pool.submit(_run_forked, i): i for i in range(len(tasks))}
                for fut in as_completed(futures):
                    out, dt = fut.result()
                    yield tasks[futures[fut]], out, dt
        finally:
            _FORKED_TASKS = []


@dataclass
class ClaimResult:
    claim: Claim
    tier: str
    components: list[ComponentCheck]
    seconds: float
    falsifier_rejected: bool
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.components) and all(c.passed for c in self.components)

    @property
    def power(self) -> float:
        """Smallest component probability of rejecting the declared falsifier (nan without components)."""
        return min((c.power for c in self.components), default=float("nan"))

    @property
    def resolution(self) -> float:
        """Worst (largest) component resolution."""
        return max((c.resolution for c in self.components), default=float("nan"))

    @property
    def detectable(self) -> float:
        """Worst (largest) component error detected with 99% power, relative to its scale."""
        return max((c.detectable for c in self.components), default=float("nan"))

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        return "CERTIFIED" if self.passed else "REJECTED"

    def to_dict(self) -> dict:
        return {
            **self.claim.describe(),
            "tier": self.tier,
            "ladder": self.claim.ladder(self.tier).to_dict(),
            "verdict": self.verdict,
            "passed": self.passed,
            "falsifier_power": self.power,
            "falsifier_rejected": self.falsifier_rejected,
            "resolution": self.resolution,
            "detectable_99": self.detectable,
            "seconds": self.seconds,
            "error": self.error,
            "checks": [c.to_dict() for c in self.components],
        }


@dataclass
class RunResult:
    results: list[ClaimResult]
    tier: str
    seed: int
    family_alpha: float
    z_crit: float
    n_tests: int
    seconds: float
    block_size: int = BLOCK_SIZE

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def __getitem__(self, claim_id: str) -> ClaimResult:
        for r in self.results:
            if r.claim.id == claim_id:
                return r
        raise KeyError(claim_id)


def plan(claims: Iterable[Claim], tier: str, seed: int) -> tuple[list[Task], dict[str, list[tuple]]]:
    """Unique tasks of a run and, per claim, the task keys it needs (shared simulations deduplicated)."""
    tasks: dict[tuple, Task] = {}
    needs: dict[str, list[tuple]] = {}
    for claim in claims:
        ladder = claim.ladder(tier)
        keys = []
        for d, reps in zip(ladder.d, ladder.reps):
            n_blocks = -(-int(reps) // BLOCK_SIZE)
            for b in range(n_blocks):
                r = min(BLOCK_SIZE, int(reps) - b * BLOCK_SIZE)
                t = Task(claim.sim_key, int(d), b, r, int(seed), claim)
                tasks.setdefault(t.key, t)
                keys.append(t.key)
        needs[claim.id] = keys
    # large blocks first: a progress bar then estimates the remaining time conservatively
    ordered = sorted(tasks.values(), key=lambda t: (-t.d, t.sim_key, t.block))
    return ordered, needs


def run_claims(claims: list[Claim], *, tier: str = "fast", seed: int = 0, executor: Executor | None = None,
               family_alpha: float = DEFAULT_FAMILY_ALPHA, on_task: Callable[[Task, float], None] | None = None,
               n_tests: int | None = None) -> RunResult:
    """Simulate every rung of every claim and certify each claim against its prediction.

    ``z_crit`` is the Bonferroni critical value over all components of ``claims`` (or over ``n_tests`` tests
    when given, e.g. to certify a subset at the level of the whole registry).
    """
    if not claims:
        raise ValueError("no claims to run")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    t_start = time.perf_counter()
    executor = executor or LocalExecutor()
    m = n_tests if n_tests is not None else sum(len(c.components) for c in claims)
    z_crit = bonferroni_z(m, family_alpha)
    fit_p_min = family_alpha / m

    tasks, needs = plan(claims, tier, seed)
    raw: dict[tuple, object] = {}
    secs: dict[tuple, float] = {}
    errors: dict[tuple, str] = {}
    for task, out, dt in executor.map(tasks):
        if isinstance(out, SimulationError):
            errors[task.key] = out.message
        raw[task.key] = out
        secs[task.key] = dt
        if on_task is not None:
            on_task(task, dt)

    results = []
    for claim in claims:
        keys = needs[claim.id]
        seconds = float(sum(secs.get(k, 0.0) for k in keys))
        failed = [errors[k] for k in keys if k in errors]
        if failed:
            results.append(ClaimResult(claim, tier, [], seconds, False, error=failed[0]))
            continue
        try:
            results.append(_certify(claim, tier, keys, raw, z_crit, fit_p_min, seconds))
        except Exception as exc:  # a broken claim must not hide the others' certificates
            results.append(ClaimResult(claim, tier, [], seconds, False, error=f"{type(exc).__name__}: {exc}"))
    return RunResult(results, tier, int(seed), family_alpha, z_crit, m, time.perf_counter() - t_start)


def _certify(claim: Claim, tier: str, keys: list[tuple], raw: dict, z_crit: float, fit_p_min: float,
             seconds: float) -> ClaimResult:
    pred = claim.prediction()
    ladder = claim.ladder(tier)
    by_d: dict[int, list[np.ndarray]] = {}
    for k in keys:
        by_d.setdefault(k[1], []).append(claim.observe(raw[k]))
    checks = []
    for j, name in enumerate(claim.components):
        rungs = []
        for d, reps in zip(ladder.d, ladder.reps):
            samples = np.concatenate(by_d[int(d)], axis=0)[:, j]
            if samples.size != reps:
                raise ValueError(f"rung d={d}: got {samples.size} replicates, expected {reps}")
            if samples.size < MIN_REPS:
                raise ValueError(f"rung d={d}: {samples.size} replicates < {MIN_REPS} (the Gaussian "
                                 "approximation of the rung mean is not trusted below that)")
            rungs.append(rung_stats(int(d), samples))
        checks.append(check_component(
            name, float(pred[j]), rungs, alpha=claim.finite_size, z_crit=z_crit, fit_p_min=fit_p_min,
            scale=None if claim.scale is None else claim.scale[j],
            sign_required=bool(claim.sign[j]) if claim.sign is not None else False, falsifier=claim.falsifier))
    # the falsifier moves each prediction by `falsifier` times its resolution scale (|prediction| unless the
    # claim gives one, so that a prediction of exactly 0 is perturbed too), away from 0
    falsified = all(c.rejects(c.prediction + np.copysign(claim.falsifier * c.scale, c.prediction or 1.0))
                    for c in checks)
    return ClaimResult(claim, tier, checks, seconds, bool(falsified))
