"""Run the blocks of a certification on a Dask distributed cluster (``w2s certify --scheduler ADDRESS``, or
``--executor dask --jobs N`` for a local cluster of ``N`` worker processes).

Requires the ``dask`` extra (``pip install 'w2s-certify[dask]'``); this module imports ``distributed`` only when an
executor is made, and :func:`require_distributed` turns its absence into one clear error.

* **Same answer.** A block draws only from its own seeded generator (:mod:`w2s.validation.runner`), so which
  worker runs it, in which order, and how often it is retried do not change the results.
* **Bounded graphs.** At most ``window`` blocks (default: 4 per worker thread, at least 16) are submitted at once;
  each finished block is replaced by the next one (a sliding window over ``as_completed``), and results stream
  back in the order they finish.
* **Workers set up once.** A worker plugin limits BLAS to one thread and numba to one thread when a worker
  joins, not per block; a worker imports the built-in claims on its first built-in block, and numba loads each
  kernel from its on-disk cache on its first call in that process (``cache=True``), never per block.
* **Claims travel.** A built-in claim is sent as its id and looked up in the worker's registry; the workers'
  package source must therefore be the very same as the client's (checked when connecting, by
  :func:`~w2s.validation.store.version_stamp`). A claim from a user's ``--claims FILE`` is pickled by value
  (its module is registered with ``cloudpickle.register_pickle_by_value``), so the file need not exist on the
  workers; it may use lambdas (:meth:`~w2s.validation.runner.Task.__reduce__`).
* **Faults.** A worker that dies costs only its blocks in flight: the scheduler reruns them elsewhere. A block that
  keeps killing workers (``distributed.scheduler.allowed-failures``) or cannot be unpickled on a worker becomes a
  :class:`~w2s.validation.runner.SimulationError`, i.e. its claim's ERROR verdict; so does a simulator that raises.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterator

from .runner import SimulationError, Task

__all__ = ["DaskUnavailable", "require_distributed", "DaskExecutor"]

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 10.0


class DaskUnavailable(ValueError):
    """The Dask executor was asked for but cannot be used (extra not installed, scheduler unreachable)."""


def require_distributed():
    """The ``distributed`` module, or :class:`DaskUnavailable` saying which extra to install."""
    try:
        import distributed
    except ImportError:
        raise DaskUnavailable("the Dask executor needs dask[distributed]: pip install 'w2s-certify[dask]'") from None
    return distributed


def _setup_worker_process() -> None:
    """Once per worker process: one BLAS thread and one numba thread (the workers are the parallelism)."""
    import os

    os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # effective when numba is not imported yet in this process
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _run_block(task: Task) -> tuple[object, float]:
    """Worker side of one block: ``(raw output or SimulationError, seconds)``."""
    _single_numba_thread()
    return task.timed()


_NUMBA_THREAD_SET: set[int] = set()


def _single_numba_thread() -> None:
    # numba's thread count is per calling thread: set it once for each worker thread that runs blocks
    import threading

    ident = threading.get_ident()
    if ident not in _NUMBA_THREAD_SET:
        try:
            import numba

            numba.set_num_threads(1)
        except Exception:  # pragma: no cover - numba without a threading layer
            pass
        _NUMBA_THREAD_SET.add(ident)


def _worker_stamp() -> str:
    from .store import version_stamp

    return version_stamp()


def _make_plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class W2SWorkerSetup(WorkerPlugin):
        name = "w2s-worker-setup"

        def setup(self, worker):
            _setup_worker_process()

    return W2SWorkerSetup()


class DaskExecutor:
    """Blocks on a Dask cluster: an existing one at ``scheduler`` (an address such as ``tcp://host:8786``), or a
    ``LocalCluster`` of ``jobs`` worker processes (one thread each) started here. Use as a context manager (or
    call :meth:`close`): it connects on entry and shuts a cluster it started down on exit.
    """

    def __init__(self, scheduler: str | None = None, jobs: int | None = None, window: int | None = None,
                 connect_timeout: float | None = None):
        if (scheduler is None) == (jobs is None):
            raise ValueError("DaskExecutor needs exactly one of scheduler (an address) or jobs (local workers)")
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
            raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
        if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
            raise ValueError(f"window must be an integer >= 1, got {window!r}")
        require_distributed()
        self.scheduler = scheduler
        self.jobs = jobs
        self.window = window
        self.connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else float(connect_timeout)
        self.client = None
        self.cluster = None
        self.notes: list[str] = []  #: remarks about the cluster for the user (e.g. multi-threaded workers)

    # -- connection ------------------------------------------------------------------------------------------
    def __enter__(self) -> "DaskExecutor":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        import logging

        from distributed import Client, LocalCluster

        if self.client is not None:
            return
        if self.scheduler is not None:
            try:
                self._probe(self.scheduler)
                self.client = Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise DaskUnavailable(f"cannot reach the Dask scheduler at {self.scheduler!r}: {first}") from None
        else:
            self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
                                        # no dashboard; the scheduler's HTTP routes on a free port, not 8787
                                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                        env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                                             "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
            self.client = Client(self.cluster, set_as_default=False)
        try:
            self.client.register_plugin(_make_plugin())
            self._check_workers()
        except BaseException:
            self.close()
            raise

    def _probe(self, address: str) -> None:
        """Fail fast on a malformed address or a closed TCP port (before a Client retries until its timeout)."""
        import socket

        from distributed.comm.addressing import parse_address, parse_host_port

        scheme, loc = parse_address(address)
        if scheme == "tcp":
            host, port = parse_host_port(loc)
            socket.create_connection((host, port), timeout=self.connect_timeout).close()

    def _check_workers(self) -> None:
        from .store import version_stamp

        mine = version_stamp()
        stamps = self.client.run(_worker_stamp)
        other = {w: s for w, s in stamps.items() if s != mine}
        if other:
            w, s = next(iter(other.items()))
            raise DaskUnavailable(f"worker {w} runs w2s-certify {s}, this client {mine}: install the same source "
                                  "on every worker")
        threads = self.client.nthreads()
        multi = {w: n for w, n in threads.items() if n > 1}
        if multi:
            self.notes.append(f"{len(multi)} of {len(threads)} workers run several threads; the numba kernels "
                              "expect one thread per worker process (dask worker ... --nthreads 1)")

    def close(self) -> None:
        import logging

        quiet = self.cluster is not None  # the cluster started here: its shutdown chatter is not the user's concern
        levels = {}
        if quiet:
            for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.core"):
                levels[name] = logging.getLogger(name).level
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            if self.client is not None:
                self.client.close()
                self.client = None
            if self.cluster is not None:
                self.cluster.close()
                self.cluster = None
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)

    @property
    def nthreads(self) -> int:
        """Worker threads of the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values())) if self.client is not None else 1

    # -- execution -------------------------------------------------------------------------------------------
    def map(self, tasks: list[Task]) -> Iterator[tuple[Task, object, float]]:
        from distributed import as_completed

        self.connect()
        if not tasks:
            return
        window = self.window or max(16, 4 * self.nthreads)
        it = iter(tasks)
        inflight: dict = {}
        ac = as_completed(loop=self.client.loop)

        def submit(task: Task) -> None:
            try:
                fut = self.client.submit(_run_block, task, pure=False)
            except Exception as exc:  # the claim cannot be serialised
                done_now.append((task, SimulationError(f"block d={task.d} cannot be sent to the cluster: "
                                                       f"{type(exc).__name__}: {exc}"), 0.0))
                return
            inflight[fut] = task
            ac.add(fut)

        done_now: list = []
        for task in islice(it, window):
            submit(task)
        while inflight or done_now:
            while done_now:
                yield done_now.pop()
                nxt = next(it, None)
                if nxt is not None:
                    submit(nxt)
            if not inflight:
                continue
            fut = next(ac)
            task = inflight.pop(fut)
            try:
                out, dt = fut.result()
            except Exception as exc:  # worker died too often, or the block could not be unpickled there
                first = (str(exc).strip().splitlines() or [""])[0]
                out, dt = SimulationError(f"block d={task.d} #{task.block} failed on the cluster: "
                                          f"{type(exc).__name__}: {first}"), 0.0
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                submit(nxt)
            yield task, out, dt
