"""Run claims: split every rung into seeded blocks, execute them through an executor, assemble the statistics.

Randomness. Block ``b`` of rung ``d`` of simulation ``key`` draws from
``Generator(PCG64(SeedSequence(seed, spawn_key=(crc32(key), d, b))))`` (:mod:`w2s.kernels.rng`). Blocks have a
fixed size, so the draws of a run depend only on ``(seed, key, ladder)`` — not on the executor, the order of
execution, or which other claims are in the run — and a run is reproducible bit for bit. Claims that share a
simulation (:class:`~w2s.validation.registry.SharedSimulation`) share its blocks: it is simulated once.

Executors. :class:`LocalExecutor` runs blocks in this process, one after another (BLAS and numba use the
cores); :class:`ProcessExecutor` spreads them over forked worker processes (``w2s certify --jobs N``) and
survives a killed worker (the lost blocks are retried on a fresh pool);
:class:`~w2s.validation.dask_executor.DaskExecutor` runs them on a Dask cluster. Any object with a
``map(tasks)`` method yielding ``(task, result, seconds)`` can replace them without touching the claims: a
:class:`Task` carries everything needed to compute its block, and pickles (a built-in claim by its id, which the
receiving process resolves in its own registry; any other claim by value).

Store. With a :class:`~w2s.validation.store.BlockStore`, every finished block is written to disk as soon as it
arrives, and blocks already there are loaded instead of simulated (``w2s certify --resume``): a stored block holds
the simulator's raw output exactly, so a resumed run's statistics equal an uninterrupted run's bit for bit.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from w2s.kernels.rng import generator

from .registry import REGISTRY, USER_MODULE_PREFIX, Claim, builtin_registry
from .stats import DEFAULT_FAMILY_ALPHA, MIN_REPS, ComponentCheck, bonferroni_z, check_component, rung_stats

__all__ = ["BLOCK_SIZE", "Task", "BlockSeconds", "claim_modules", "SimulationError", "Executor", "LocalExecutor", "ProcessExecutor", "ClaimResult", "RunResult", "run_claims", "plan"]

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
        """``(raw output, seconds)``: what every executor yields for this task. ``seconds`` is the block's wall
        time, a :class:`BlockSeconds` that also carries the CPU seconds of the process running it."""
        c0, t0 = time.process_time(), time.perf_counter()
        out = self()
        return out, BlockSeconds(time.perf_counter() - t0, time.process_time() - c0)

    def __call__(self):
        """Raw simulator output, or a :class:`SimulationError` (a failing block must not abort the run)."""
        rng = generator(self.seed, self.sim_key, self.d, self.block)
        try:
            return self.claim.run_simulation(self.d, rng, self.reps)
        except Exception as exc:
            return SimulationError(f"simulation failed at d={self.d}: {type(exc).__name__}: {exc}")

    def __reduce__(self):
        # A built-in claim travels as its id and is looked up in the receiving process's registry (its callables
        # may be lambdas, which plain pickle refuses); any other claim travels by value, pickled by cloudpickle
        # with the module of a user's claims file included, so the file need not exist where it is unpickled.
        args = (self.sim_key, self.d, self.block, self.reps, self.seed)
        if _is_builtin(self.claim):
            return _builtin_task, (self.claim.id, *args)
        payload = _pickled_claim(self.claim)
        if payload is None:
            return Task, (*args, self.claim)
        return _unpickled_task, (payload, *args)


_PICKLED: dict[int, tuple[Claim, bytes]] = {}  # id(claim) -> (claim, cloudpickle bytes); the claim is kept alive


def _pickled_claim(claim: Claim) -> bytes | None:
    """cloudpickle bytes of a claim (cached), its user modules pickled by value; None without cloudpickle."""
    hit = _PICKLED.get(id(claim))
    if hit is not None and hit[0] is claim:
        return hit[1]
    try:
        import cloudpickle
    except ImportError:
        return None
    for name in claim_modules(claim):
        if name.startswith(USER_MODULE_PREFIX) and name in sys.modules:
            cloudpickle.register_pickle_by_value(sys.modules[name])
    data = cloudpickle.dumps(claim)
    _PICKLED[id(claim)] = (claim, data)
    return data


_UNPICKLED: dict[bytes, Claim] = {}


def _unpickled_task(payload: bytes, sim_key: str, d: int, block: int, reps: int, seed: int) -> Task:
    import pickle

    claim = _UNPICKLED.get(payload)
    if claim is None:
        claim = _UNPICKLED[payload] = pickle.loads(payload)
    return Task(sim_key, d, block, reps, seed, claim)


def claim_modules(claim: Claim) -> set[str]:
    """Names of the modules that define a claim's callables (``predict``, ``simulate`` and, for a shared
    simulation, its function and selector)."""
    fns = [claim.predict, claim.simulate]
    shared = getattr(claim.simulate, "shared", None)
    if shared is not None:
        fns += [shared.fn, claim.simulate.select]
    names = set()
    for fn in fns:
        while hasattr(fn, "func"):  # functools.partial
            fn = fn.func
        names.add(getattr(fn, "__module__", None) or "")
    return names


def _is_builtin(claim: Claim) -> bool:
    """Registered by a module of this package (so any process with the same installation can look it up by id)."""
    return REGISTRY.claims.get(claim.id) is claim and all(m.startswith("w2s.") for m in claim_modules(claim))


def _builtin_task(claim_id: str, sim_key: str, d: int, block: int, reps: int, seed: int) -> Task:
    return Task(sim_key, d, block, reps, seed, builtin_registry()[claim_id])


class BlockSeconds(float):
    """Wall seconds of one block (a ``float``), with the CPU seconds (``time.process_time``: user + system, all
    threads of the process that ran it) in ``.cpu``. On a machine shared with other work the wall time is
    inflated by waiting for a core; the CPU time is much less so, and is what the run profile reports next to it.
    An executor that yields a plain float instead is fine: its ``cpu`` is then unknown (``None``)."""

    def __new__(cls, wall: float, cpu: float | None = None):
        obj = super().__new__(cls, wall)
        obj.cpu = cpu
        return obj

    def __reduce__(self):  # travels back from worker processes
        return (BlockSeconds, (float(self), self.cpu))


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


def _run_forked(indices: tuple[int, ...]):
    return [_FORKED_TASKS[i].timed() for i in indices]


#: Blocks of one simulation and rung measured below this many wall seconds go to a worker in chunks of about this
#: much work (at most :data:`CHUNK_MAX` blocks): a submission costs the main process about 0.5 ms (queueing,
#: pickling, waking a worker), which is comparable to a small block's own time.
CHUNK_SECONDS = 0.05
CHUNK_MAX = 16


class ProcessExecutor:
    """Blocks spread over ``jobs`` forked worker processes (POSIX ``fork``), one BLAS thread each.

    Workers inherit the task list through ``fork``, so claims need not be picklable (they may hold lambdas);
    only the raw results travel back. Results are identical to :class:`LocalExecutor`'s: every block draws from
    its own seeded generator, whichever process runs it.

    Small blocks travel in chunks: once a block of a simulation's rung has taken less than
    :data:`CHUNK_SECONDS`, the next blocks of that rung go to a worker together (about that much work per
    submission, at most :data:`CHUNK_MAX` blocks), which keeps the main process's per-submission cost off the
    critical path; results are yielded per block as before. At most ``2 jobs`` submissions are in flight.

    A worker that dies (killed, out of memory) breaks the pool and costs the blocks in flight; they are retried on
    a fresh pool, each on its own first (so a block that kills its worker every time is identified and charged
    alone), and a block lost ``max_attempts`` times becomes a :class:`SimulationError` (its claim's verdict is
    ERROR) instead of ending the run.
    """

    def __init__(self, jobs: int, max_attempts: int = 3):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
        self.jobs = jobs
        self.max_attempts = max_attempts
        self.pools_started = 0  #: fresh pools started by the last map (1 when no worker died)
        self.submissions = 0  #: worker submissions of the last map (a chunk of small blocks counts once)

    def map(self, tasks: list[Task]) -> Iterator[tuple[Task, object, float]]:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        global _FORKED_TASKS
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: run in process
            yield from LocalExecutor().map(tasks)
            return
        _FORKED_TASKS = list(tasks)
        pending = deque((i, 0) for i in range(len(tasks)))  # (task index, times lost with a dead worker)
        self.pools_started = 0
        self.submissions = 0
        block_wall: dict[tuple, float] = {}  # (sim_key, d) -> wall seconds of its last finished block
        alone: set[int] = set()  # blocks whose chunk failed as a whole: each is run again on its own

        def take() -> tuple[int, ...]:
            i, lost_before = pending.popleft()
            group = (tasks[i].sim_key, tasks[i].d)
            est = block_wall.get(group)
            if lost_before or i in alone or est is None or est >= CHUNK_SECONDS:
                return (i,)
            chunk = [i]
            limit = min(CHUNK_MAX, max(1, int(CHUNK_SECONDS / max(est, 1e-6))))
            while (pending and len(chunk) < limit and pending[0][1] == 0 and pending[0][0] not in alone
                   and (tasks[pending[0][0]].sim_key, tasks[pending[0][0]].d) == group):
                chunk.append(pending.popleft()[0])
            return tuple(chunk)

        try:
            while pending:
                lost: list[tuple[int, int]] = []
                pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_limit_blas_threads)
                self.pools_started += 1
                inflight: dict = {}
                try:
                    while pending or inflight:
                        # blocks being retried run alone; the others fill a window of 2 jobs
                        window = 1 if pending and pending[0][1] > 0 else 2 * self.jobs
                        while pending and len(inflight) < window and not (inflight and pending[0][1] > 0):
                            lost_before = pending[0][1]
                            chunk = take()
                            with warnings.catch_warnings():
                                # Python >= 3.12 warns that fork() in a threaded process may deadlock; the workers
                                # only run numpy/numba code with BLAS re-initialised to one thread after the fork.
                                warnings.simplefilter("ignore", DeprecationWarning)
                                inflight[pool.submit(_run_forked, chunk)] = (chunk, lost_before)
                                self.submissions += 1
                        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                        broken = False
                        for fut in done:
                            chunk, lost_before = inflight.pop(fut)
                            try:
                                results = fut.result()
                            except BrokenProcessPool:
                                lost.extend((i, lost_before) for i in chunk)
                                broken = True
                                continue
                            except Exception as exc:  # e.g. a result that cannot be sent back
                                if len(chunk) > 1:  # find the block it came from: each again on its own
                                    alone.update(chunk)
                                    pending.extendleft((i, 0) for i in reversed(chunk))
                                    continue
                                results = [(SimulationError(f"block failed at d={tasks[chunk[0]].d}: "
                                                            f"{type(exc).__name__}: {exc}"), 0.0)]
                            for i, (out, dt) in zip(chunk, results):
                                block_wall[(tasks[i].sim_key, tasks[i].d)] = float(dt)
                                yield tasks[i], out, dt
                        if broken:
                            for chunk, lost_before in inflight.values():
                                lost.extend((i, lost_before) for i in chunk)
                            break
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)
                for i, lost_before in sorted(lost, reverse=True):
                    if lost_before + 1 >= self.max_attempts:
                        yield tasks[i], SimulationError(
                            f"block d={tasks[i].d} #{tasks[i].block}: its worker process died "
                            f"{lost_before + 1} times"), 0.0
                    else:
                        pending.appendleft((i, lost_before + 1))
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
    blocks_loaded: int = 0  #: blocks taken from the block store instead of simulated
    blocks_simulated: int = 0
    #: per block (``Task.key``): wall seconds and CPU seconds (``None`` when the executor does not report them)
    block_seconds: dict = field(default_factory=dict)
    block_cpu_seconds: dict = field(default_factory=dict)

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
               n_tests: int | None = None, store=None) -> RunResult:
    """Simulate every rung of every claim and certify each claim against its prediction.

    ``z_crit`` is the Bonferroni critical value over all components of ``claims`` (or over ``n_tests`` tests
    when given, e.g. to certify a subset at the level of the whole registry). With ``store``
    (:class:`~w2s.validation.store.BlockStore`), blocks found there are loaded instead of simulated and every
    simulated block is stored as soon as it arrives.
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
    cpu: dict[tuple, float | None] = {}
    errors: dict[tuple, str] = {}
    missing = tasks
    if store is not None:
        store.begin()
        missing = []
        for task in tasks:
            hit = store.load(task)
            if hit is None:
                missing.append(task)
                continue
            raw[task.key], secs[task.key] = hit
            if on_task is not None:
                on_task(task, secs[task.key])
    for task, out, dt in executor.map(missing):
        if isinstance(out, SimulationError):
            errors[task.key] = out.message
        elif store is not None:
            store.save(task, out, dt)
        raw[task.key] = out
        secs[task.key] = float(dt)
        cpu[task.key] = getattr(dt, "cpu", None)
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
    return RunResult(results, tier, int(seed), family_alpha, z_crit, m, time.perf_counter() - t_start,
                     blocks_loaded=len(tasks) - len(missing), blocks_simulated=len(missing),
                     block_seconds=secs, block_cpu_seconds=cpu)


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
