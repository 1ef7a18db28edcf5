"""Same answer on every engine: in-process, forked workers, a Dask cluster (a ``LocalCluster`` and a
``dask scheduler`` + ``dask worker`` started here), with workers killed mid-run; and the one-line errors when
Dask is missing or its scheduler unreachable."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from w2s.validation.cli import main
from w2s.validation.registry import Registry, builtin_registry, load_claims_file
from w2s.validation.runner import LocalExecutor, ProcessExecutor, plan, run_claims

_spec = importlib.util.spec_from_file_location("engine_claims", Path(__file__).with_name("engine_claims.py"))
engine_claims = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine_claims)

#: Built-in claims with cheap blocks: a shared simulation with dict output (ridge), a numba kernel with a
#: parallel loop (feature learning), a plain array output (transfer). Their smallest-d blocks are compared.
BUILTIN_SUBSET = ("ridge.same-inputs-student.gamma<1", "fl.teacher-alignment.relu.he2.gamma=2",
                  "transfer.convex-hull-limit.biased")


def _user_claims(tmp_path, **kw):
    return load_claims_file(engine_claims.claims_file(tmp_path, **kw), Registry())


def _builtin_tasks(per_claim=2):
    reg = builtin_registry()
    tasks, _ = plan([reg[c] for c in BUILTIN_SUBSET], "fast", 7)
    out = []
    for cid in BUILTIN_SUBSET:
        key = reg[cid].sim_key
        mine = sorted((t for t in tasks if t.sim_key == key), key=lambda t: (t.d, t.block))
        out += mine[:per_claim]
    return out


def _raw_equal(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_raw_equal(a[k], b[k]) for k in a)
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _blocks(executor, tasks):
    return {t.key: out for t, out, _ in executor.map(tasks)}


def test_task_pickles_builtin_claims_by_id_and_user_claims_by_value(tmp_path):
    import pickle

    (task,) = _builtin_tasks(per_claim=1)[:1]
    data = pickle.dumps(task)
    assert len(data) < 300 and pickle.loads(data).claim is task.claim  # an id, resolved in the registry
    claims = _user_claims(tmp_path)
    tasks, _ = plan(claims, "fast", 0)
    for user_task in (next(t for t in tasks if t.sim_key == key) for key in ("claim:user.e.toy", "shared:user.e.pair")):
        clone = pickle.loads(pickle.dumps(user_task))
        assert clone.claim is not user_task.claim and clone.claim.id == user_task.claim.id
        assert _raw_equal(clone(), user_task())


def test_process_executor_same_blocks_as_local():
    tasks = _builtin_tasks()
    local = _blocks(LocalExecutor(), tasks)
    forked = _blocks(ProcessExecutor(2), tasks)
    assert local.keys() == forked.keys() and all(_raw_equal(local[k], forked[k]) for k in local)


def test_process_executor_survives_a_killed_worker(tmp_path):
    """A fork worker SIGKILLed mid-run breaks the pool; the lost blocks are retried on a fresh pool and the
    statistics equal the in-process run's."""
    claims = _user_claims(tmp_path, kill="once")
    reference = engine_claims.statistics(run_claims(claims, seed=3))  # never killed: this is the test process
    ex = ProcessExecutor(2)
    run = run_claims(claims, seed=3, executor=ex)
    assert (tmp_path / "marker").exists() and ex.pools_started >= 2  # a worker did die
    assert engine_claims.statistics(run) == reference
    assert run["user.e.toy"].verdict == "CERTIFIED" and run["user.e.broken"].verdict == "ERROR"


def test_process_executor_gives_up_on_a_block_that_always_kills(tmp_path):
    claims = _user_claims(tmp_path, kill="always")
    run = run_claims(claims, seed=3, executor=ProcessExecutor(2, max_attempts=2))
    assert run["user.e.toy"].verdict == "ERROR" and "died 2 times" in run["user.e.toy"].error
    assert run["user.e.a"].verdict == "CERTIFIED" and run["user.e.b"].verdict == "CERTIFIED"


# -- without dask ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("option", [["--executor", "dask"], ["--scheduler", "tcp://127.0.0.1:8786"]])
def test_dask_options_without_dask_name_the_extra(tmp_path, capsys, monkeypatch, option):
    for name in [m for m in sys.modules if m == "distributed" or m.startswith(("distributed.", "dask"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    monkeypatch.setitem(sys.modules, "dask", None)
    f = engine_claims.claims_file(tmp_path, ns="user.nodask")
    out = tmp_path / "report"
    assert main(["certify", "user.nodask.toy", "--claims", str(f), "--out", str(out), "--quiet", *option]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "pip install 'w2s-certify[dask]'" in err
    assert not out.exists()


# -- with dask ---------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    f = engine_claims.claims_file(tmp_path, ns="user.unreachable")
    out = tmp_path / "report"
    code = main(["certify", "user.unreachable.toy", "--claims", str(f), "--out", str(out), "--quiet",
                 "--scheduler", f"tcp://127.0.0.1:{_free_port()}"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err
    assert not out.exists()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """Address of a ``dask scheduler`` with two ``dask worker`` processes (one thread each, with nannies, which
    restart a killed worker), started as a user would on the loopback."""
    pytest.importorskip("distributed")
    from distributed import Client

    d = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "dask"]
    logs = [open(d / "scheduler.log", "w"), open(d / "worker.log", "w")]
    procs = [subprocess.Popen([*cmd, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=logs[0], env=env, cwd=d)]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    raise RuntimeError(f"dask scheduler did not start: {(d / 'scheduler.log').read_text()[-2000:]}")
                time.sleep(0.2)
        procs.append(subprocess.Popen([*cmd, "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard", "--local-directory", str(d)],
                                      stdout=subprocess.DEVNULL, stderr=logs[1], env=env, cwd=d))
        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in logs:
            f.close()


def test_dask_same_blocks_as_local(scheduler):
    from w2s.validation.dask_executor import DaskExecutor

    tasks = _builtin_tasks()
    local = _blocks(LocalExecutor(), tasks)
    with DaskExecutor(scheduler=scheduler, window=2) as ex:  # a window smaller than the task list
        remote = _blocks(ex, tasks)
    assert local.keys() == remote.keys() and all(_raw_equal(local[k], remote[k]) for k in local)


def test_dask_same_statistics_and_survives_a_killed_worker(tmp_path, scheduler):
    """User claims (lambdas, a shared dict simulation, a raising simulator) on the cluster, one worker SIGKILLed
    mid-run: the scheduler reruns its blocks and the statistics equal the in-process run's; the raising
    simulator is that claim's ERROR."""
    from w2s.validation.dask_executor import DaskExecutor

    claims = _user_claims(tmp_path, kill="once")
    reference = engine_claims.statistics(run_claims(claims, seed=5))
    with DaskExecutor(scheduler=scheduler) as ex:
        run = run_claims(claims, seed=5, executor=ex)
    assert (tmp_path / "marker").exists()  # a worker did die
    assert engine_claims.statistics(run) == reference
    assert run["user.e.toy"].verdict == "CERTIFIED" and run["user.e.broken"].verdict == "ERROR"
    assert "simulator bug" in run["user.e.broken"].error


def test_cli_same_report_on_local_process_dask_and_scheduler(tmp_path, scheduler):
    """`w2s certify` with --executor local / process / dask --jobs 2 (a LocalCluster) / --scheduler ADDRESS."""
    f = engine_claims.claims_file(tmp_path, ns="user.cli")
    stats = {}
    for name, option in [("local", ["--executor", "local"]), ("process", ["--jobs", "2"]),
                         ("dask", ["--executor", "dask", "--jobs", "2"]), ("scheduler", ["--scheduler", scheduler])]:
        out = tmp_path / name
        code = main(["certify", "user.cli.", "--claims", str(f), "--out", str(out), "--quiet", "--no-figures",
                     "--seed", "2", *option])
        assert code == 1  # user.e.broken is an ERROR
        stats[name] = engine_claims.report_statistics(out / "report.json")
    assert stats["process"] == stats["local"] and stats["dask"] == stats["local"]
    assert stats["scheduler"] == stats["local"]


def test_small_blocks_travel_in_chunks_with_the_same_results():
    """Blocks faster than CHUNK_SECONDS go to the workers several per submission (fewer submissions than blocks),
    and every block's output is still the one computed in process."""
    reg = builtin_registry()
    tasks, _ = plan([reg["transfer.convex-hull-limit.biased"]], "fast", 3)
    tasks = [t for t in tasks if t.d == min(t.d for t in tasks)][:120]  # ~2 ms blocks of one rung
    ex = ProcessExecutor(2)
    got = _blocks(ex, tasks)
    assert ex.submissions < len(tasks) / 3, ex.submissions
    ref = _blocks(LocalExecutor(), tasks[::10])
    assert all(_raw_equal(got[k], v) for k, v in ref.items()) and len(got) == len(tasks)
