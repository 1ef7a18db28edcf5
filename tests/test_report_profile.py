"""The run profile and the resolution^2 x seconds figure of merit in report.json / report.md."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from w2s.validation.registry import Claim, Ladder
from w2s.validation.report import merit, run_profile, write_report
from w2s.validation.runner import BLOCK_SIZE, BlockSeconds, LocalExecutor, ProcessExecutor, run_claims


def _sim(params, d, rng, reps):
    t0 = time.process_time()
    while time.process_time() - t0 < 1e-3:  # a measurable CPU cost per block
        pass
    return params["q"] + params["a"] / d + rng.standard_normal(reps) / np.sqrt(d)


LADDER = Ladder((32, 64, 128), (120, 100, 50))


def _claim(cid="synthetic.profile"):
    return Claim(id=cid, title="synthetic", statement="E Q_d = q + a/d", source="test", provenance="test",
                 params={"q": 0.8, "a": 1.5}, predict=lambda p: p["q"], simulate=_sim, ladders={"fast": LADDER},
                 family="synthetic")


def test_block_seconds_carry_cpu_time_and_survive_pickling():
    import pickle

    b = BlockSeconds(2.5, 1.25)
    c = pickle.loads(pickle.dumps(b))
    assert float(c) == 2.5 and c.cpu == 1.25 and isinstance(c, float)
    assert BlockSeconds(1.0).cpu is None


@pytest.mark.parametrize("executor", [LocalExecutor(), ProcessExecutor(2)], ids=["local", "processes"])
def test_profile_counts_blocks_replicates_and_cpu_seconds(executor):
    run = run_claims([_claim()], seed=1, executor=executor)
    prof = run_profile(run)
    (sim,) = prof["simulations"]
    n_blocks = sum(-(-r // BLOCK_SIZE) for r in LADDER.reps)
    assert sim["blocks"] == n_blocks == len(run.block_seconds)
    assert sim["replicates"] == sum(LADDER.reps)
    assert [r["d"] for r in sim["rungs"]] == list(LADDER.d)
    assert [r["replicates"] for r in sim["rungs"]] == list(LADDER.reps)
    # every block burnt >= 1 ms of CPU; CPU seconds are reported and consistent with the rate
    assert sim["cpu_seconds"] >= n_blocks * 1e-3
    assert sim["replicates_per_cpu_second"] == pytest.approx(sim["replicates"] / sim["cpu_seconds"])
    assert prof["families"][0]["family"] == "synthetic"
    assert prof["simulation_cpu_seconds"] == pytest.approx(sim["cpu_seconds"])


def test_merit_is_resolution_squared_times_seconds():
    run = run_claims([_claim(), _claim("synthetic.other")], seed=2)
    rows = merit(run)
    assert len(rows) == 2
    for row in rows:
        r = run[row["claim"]]
        assert row["resolution"] == pytest.approx(r.resolution)
        assert row["seconds_kind"] == "cpu"
        assert row["resolution2_x_seconds"] == pytest.approx(r.resolution ** 2 * row["seconds"])
    assert rows[0]["resolution2_x_seconds"] >= rows[1]["resolution2_x_seconds"]  # worst first


def test_an_executor_without_cpu_times_falls_back_to_wall_seconds():
    class PlainFloats:
        def map(self, tasks):
            for t in tasks:
                out, secs = t.timed()
                yield t, out, float(secs)

    run = run_claims([_claim()], seed=1, executor=PlainFloats())
    prof = run_profile(run)
    assert prof["simulations"][0]["cpu_seconds"] is None and prof["simulation_cpu_seconds"] is None
    (row,) = merit(run)
    assert row["seconds_kind"] == "wall" and row["seconds"] == pytest.approx(row["wall_seconds"])


def test_report_json_and_markdown_have_the_profile_and_merit(tmp_path):
    run = run_claims([_claim()], seed=1)
    paths = write_report(run, tmp_path, figures=False)
    doc = json.loads(paths["json"].read_text())
    assert list(doc)[-2:] == ["profile", "merit"]
    assert doc["merit"][0]["claim"] == "synthetic.profile"
    md = paths["md"].read_text()
    assert "## Run profile" in md and "resolution^2 x seconds" in md


def test_figures_drawn_in_worker_processes_are_the_ones_drawn_here(tmp_path):
    """``write_report(jobs=2)`` draws the figures in forked processes: the same files, byte for byte, listed in the
    same order in report.json, as ``jobs=1`` (a family maker that draws from the run's seed included)."""
    from w2s.validation.plotting import pyplot, save
    from w2s.validation.registry import Registry

    def maker(run, figdir, seed):
        rng = np.random.default_rng(seed)
        fig, ax = pyplot().subplots()
        ax.plot(rng.standard_normal(20))
        p = figdir / "synthetic_family.png"
        save(fig, p)
        return [(p, "a family figure")]

    reg = Registry()
    for cid in ("synthetic.a", "synthetic.b", "synthetic.c"):
        reg.add(_claim(cid))
    reg.add_figure("synthetic", maker)
    run = run_claims(list(reg.claims.values()), executor=LocalExecutor())
    docs, files = [], []
    for jobs in (1, 2):
        write_report(run, tmp_path / f"j{jobs}", reg, jobs=jobs)
        docs.append(json.loads((tmp_path / f"j{jobs}" / "report.json").read_text())["figures"])
        files.append({p.name: p.read_bytes() for p in sorted((tmp_path / f"j{jobs}" / "figures").iterdir())})
    assert docs[0] == docs[1] and len(docs[0]["convergence"]) == 3 and len(docs[0]["family"]) == 1
    assert files[0] == files[1] and len(files[0]) == 4
