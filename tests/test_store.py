"""The block store: exact round trip, keys that change with everything that determines a block, corrupted blocks
detected and recomputed, a run killed with SIGKILL and resumed to the same statistics, and bad input (another
run's store, an unwritable path) refused with one line, exit status 2, nothing overwritten."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from w2s.validation.cli import main
from w2s.validation.registry import Registry, load_claims_file
from w2s.validation.runner import LocalExecutor, plan, run_claims
from w2s.validation.store import BlockStore, CorruptBlockWarning, run_manifest

_spec = importlib.util.spec_from_file_location("engine_claims", Path(__file__).with_name("engine_claims.py"))
engine_claims = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine_claims)


def _claims(tmp_path, **kw):
    return load_claims_file(engine_claims.claims_file(tmp_path, **kw), Registry())


def _store(path, claims, seed=0, resume=False):
    store = BlockStore(path).open(run_manifest(claims, "fast", seed), resume=resume)
    store.begin()
    return store


def _tree(path: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(path).iterdir()) if p.is_file()}


def test_round_trip_is_exact_for_arrays_and_dicts(tmp_path):
    claims = _claims(tmp_path)
    store = _store(tmp_path / "s", claims)
    tasks, _ = plan(claims, "fast", 0)
    for raw in (np.array([1.0, np.nan, -0.0, 1e-300]), np.arange(6, dtype=np.int32).reshape(3, 2),
                {"a": np.array([np.pi]), "b": np.array([[1, 2]], dtype=np.int8)}):
        assert store.save(tasks[0], raw, 0.25)
        back, seconds = store.load(tasks[0])
        items = raw.items() if isinstance(raw, dict) else [("", raw)]
        for k, a in items:
            b = back[k] if k else back
            assert b.dtype == a.dtype and b.shape == a.shape and b.tobytes() == a.tobytes()
        assert seconds == 0.25
    assert not store.save(tasks[1], np.array([object()]), 0.0)  # not storable without pickle: not stored
    assert store.load(tasks[1]) is None


def test_key_changes_with_everything_that_determines_a_block(tmp_path):
    claims = _claims(tmp_path)
    store = _store(tmp_path / "s", claims)
    tasks, _ = plan(claims, "fast", 0)
    files = {store.file(t) for t in tasks}
    assert len(files) == len(tasks)  # d, block, reps and simulation key all enter the key
    other_seed = _store(tmp_path / "s", claims, seed=1)
    assert other_seed.file(plan(claims, "fast", 1)[0][0]) not in files
    other = tmp_path / "other"
    other.mkdir()
    changed = (engine_claims.claims_file(other).read_text().replace('{"q": 0.5}', '{"q": 0.25}'))
    (other / "engine_claims.py").write_text(changed)
    claims2 = load_claims_file(other / "engine_claims.py", Registry())
    store2 = _store(tmp_path / "s2", claims2)
    toy = [t for t in tasks if t.sim_key == "claim:user.e.toy"][0]
    toy2 = [t for t in plan(claims2, "fast", 0)[0] if t.key == toy.key][0]
    assert store2.file(toy2).name != store.file(toy).name  # another parameter (and another source file)


def test_corrupted_block_is_detected_and_recomputed(tmp_path):
    claims = _claims(tmp_path)
    reference = engine_claims.statistics(run_claims(claims, seed=4))
    store = _store(tmp_path / "s", claims, seed=4)
    first = run_claims(claims, seed=4, store=store)
    assert first.blocks_simulated == len(store) + 11  # every block stored but the raising claim's 11
    blocks = sorted(store.path.glob("*.npz"))
    flipped, truncated = blocks[0], blocks[1]
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit inside the arrays
    flipped.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:100])
    resumed_store = _store(tmp_path / "s", claims, seed=4, resume=True)
    with pytest.warns(CorruptBlockWarning, match="corrupt") as record:
        again = run_claims(claims, seed=4, store=resumed_store)
    assert len(record) == 2 and resumed_store.corrupt == 2
    assert again.blocks_simulated == 2 + 11 and again.blocks_loaded == len(blocks) - 2
    assert engine_claims.statistics(again) == engine_claims.statistics(first) == reference
    final = _store(tmp_path / "s", claims, seed=4, resume=True)
    assert all(final.load(t) is not None for t in plan(claims, "fast", 4)[0] if "broken" not in t.sim_key)


def test_killed_run_resumes_to_the_same_statistics(tmp_path, capsys):
    """`w2s certify` in a subprocess, SIGKILLed once some blocks are stored, then `--resume`d: only the missing
    blocks are simulated and the report's statistics equal an uninterrupted run's."""
    f = engine_claims.claims_file(tmp_path, sleep=0.05, ns="user.resume")
    out = tmp_path / "killed"
    argv = ["certify", "user.resume.", "--claims", str(f), "--seed", "9", "--quiet", "--no-figures", "--jobs", "1"]
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from w2s.validation.cli import main; "
                             "sys.exit(main(sys.argv[1:]))", *argv, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((out / "blocks").glob("*.npz"))) < 5:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no block stored"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    n_stored = len(list((out / "blocks").glob("*.npz")))
    assert not (out / "report.json").exists() and 5 <= n_stored < 22
    assert main([*argv, "--out", str(out), "--resume"]) == 1  # user.resume.broken is an ERROR
    err = capsys.readouterr().err
    assert f"resumed: {n_stored} of 33 blocks loaded" in err
    assert main([*argv, "--out", str(tmp_path / "whole"), "--no-store"]) == 1
    assert (engine_claims.report_statistics(out / "report.json")
            == engine_claims.report_statistics(tmp_path / "whole" / "report.json"))


def _one_line_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_resume_of_another_run_is_refused_and_nothing_overwritten(tmp_path, capsys):
    f = engine_claims.claims_file(tmp_path, ns="user.mismatch")
    out = tmp_path / "r"
    base = ["certify", "user.mismatch.", "--claims", str(f), "--quiet", "--no-figures", "--jobs", "1",
            "--out", str(out)]
    assert main([*base, "--seed", "1"]) == 1
    capsys.readouterr()
    before = {**_tree(out), **_tree(out / "blocks")}
    _one_line_exit_2(capsys, [*base, "--seed", "2", "--resume"], "with seed 1, not 2")
    _one_line_exit_2(capsys, [*base, "--seed", "1", "--tier", "full", "--resume"], "with tier 'fast', not 'full'")
    original = (out / "blocks" / "manifest.json").read_bytes()
    manifest = json.loads(original)
    (out / "blocks" / "manifest.json").write_text(json.dumps({**manifest, "stamp": "0.0.1+src.0123456789abcdef"}))
    _one_line_exit_2(capsys, [*base, "--seed", "1", "--resume"], "written by w2s-certify '0.0.1+src.")
    claims = manifest["claims"]
    (out / "blocks" / "manifest.json").write_text(json.dumps({**manifest, "claims": {**claims, "user.mismatch.a": "0"}}))
    _one_line_exit_2(capsys, [*base, "--seed", "1", "--resume"], "other parameters or source of user.mismatch.a")
    (out / "blocks" / "manifest.json").write_bytes(original)
    assert {**_tree(out), **_tree(out / "blocks")} == before
    _one_line_exit_2(capsys, [*base[:-1], str(tmp_path / "empty"), "--resume"], "no block store in")


def test_unwritable_store_is_refused(tmp_path, capsys):
    f = engine_claims.claims_file(tmp_path, ns="user.readonly")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    base = ["certify", "user.readonly.", "--claims", str(f), "--quiet", "--no-figures", "--jobs", "1",
            "--out", str(tmp_path / "r")]
    _one_line_exit_2(capsys, [*base, "--store", str(blocker / "blocks")], "cannot write the block store")
    assert not (tmp_path / "r").exists() and blocker.read_text() == "not a directory"
    if os.geteuid() != 0:  # permission bits do not bind root
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            _one_line_exit_2(capsys, [*base, "--store", str(ro / "blocks")], "cannot write the block store")
        finally:
            ro.chmod(0o700)


def test_rerun_without_resume_starts_afresh(tmp_path, capsys):
    f = engine_claims.claims_file(tmp_path, ns="user.fresh")
    base = ["certify", "user.fresh.", "--claims", str(f), "--quiet", "--no-figures", "--jobs", "1",
            "--out", str(tmp_path / "r")]
    assert main(base) == 1
    n = len(list((tmp_path / "r" / "blocks").glob("*.npz")))
    assert main([*base, "--seed", "3"]) == 1
    assert f"discarded {n} blocks of an earlier run" in capsys.readouterr().err
    assert len(list((tmp_path / "r" / "blocks").glob("*.npz"))) == n
