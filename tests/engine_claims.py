"""Cheap user claims for the executor and store tests, written to a claims file per test (``claims_file``).

The file defines, as a user would: a plain claim (``NS.toy``), two claims sharing one simulation whose raw
output is a dict (``NS.a``, ``NS.b``), and a claim whose simulator raises (``NS.broken``), with
lambdas as predictions (so the claims only travel to other processes by value). ``kill`` makes the simulator of
``NS.toy`` SIGKILL the process running it at ``d = 64``: ``"once"`` (the first time, recorded by creating the
file ``marker``) or ``"always"``; never in the process that wrote the file. ``sleep`` adds seconds per block (of the toy and the pair).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

TEMPLATE = textwrap.dedent('''
    import os
    import signal
    import time

    import numpy as np
    from w2s.validation.registry import Claim, Ladder, SharedSimulation

    KILL = {kill!r}
    MARKER = {marker!r}
    PARENT = {parent}
    SLEEP = {sleep!r}


    def _maybe_die(d):
        if KILL is None or d != 64 or os.getpid() == PARENT:
            return
        if KILL == "once":
            try:
                os.close(os.open(MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)


    def toy(params, d, rng, reps):
        _maybe_die(d)
        if SLEEP:
            time.sleep(SLEEP)
        return params["q"] + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)


    def pair(params, d, rng, reps):
        if SLEEP:
            time.sleep(SLEEP)
        z = rng.standard_normal((reps, 2))
        return {{"a": params["a"] + 1.0 / d + z[:, 0] / np.sqrt(d), "b": params["b"] + z[:, 1] / np.sqrt(d)}}


    def broken(params, d, rng, reps):
        raise RuntimeError("simulator bug")


    PAIR = SharedSimulation("{ns}.pair", pair, {{"a": 1.0, "b": 2.0}})
    LADDER = {{"fast": Ladder((32, 64, 128, 256), (200, 150, 100, 100))}}
    # falsifier 0.5: these 550-replicate ladders resolve a 50% error with power >= 0.99 (intercept SE ~ 0.02 against
    # a shift of 0.25 or more), not the default 5%, which the falsifier-power check would (rightly) call unresolved
    COMMON = dict(title="t", statement="s", source="test", provenance="CONJECTURE (test file)", ladders=LADDER,
                  falsifier=0.5)
    CLAIMS = [
        Claim(id="{ns}.toy", params={{"q": 0.5}}, predict=lambda p: p["q"], simulate=toy, **COMMON),
        Claim(id="{ns}.a", params={{}}, predict=lambda p: 1.0, simulate=PAIR.observe(lambda raw: raw["a"]),
              **COMMON),
        Claim(id="{ns}.b", params={{}}, predict=lambda p: 2.0, simulate=PAIR.observe(lambda raw: raw["b"]),
              **COMMON),
        Claim(id="{ns}.broken", params={{}}, predict=lambda p: 0.0, simulate=broken, **COMMON),
    ]
''')

def claims_file(directory: Path, kill: str | None = None, sleep: float = 0.0, ns: str = "user.e") -> Path:
    """Write the claims file into ``directory``; returns its path (the kill marker is ``directory/marker``).
    Claim ids start with ``ns`` (tests that load files into the global registry use their own)."""
    path = Path(directory) / "engine_claims.py"
    path.write_text(TEMPLATE.format(kill=kill, marker=str(Path(directory) / "marker"), parent=os.getpid(),
                                    sleep=sleep, ns=ns))
    return path


def statistics(run) -> str:
    """Everything statistical of a :class:`RunResult` (verdicts, errors, every rung, fit and test), as JSON text
    (floats written exactly), without timings."""
    return json.dumps([{"id": r.claim.id, "verdict": r.verdict, "error": r.error,
                        "falsifier_rejected": r.falsifier_rejected,
                        "checks": [c.to_dict() for c in r.components]} for r in run.results],
                      sort_keys=True, default=repr)


def report_statistics(path: Path) -> str:
    """The statistics in a ``report.json``: its claims without timings, and the run's z_crit and seed."""
    doc = json.loads(Path(path).read_text())

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("seconds", "wall_seconds")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    meta = {k: doc["meta"].get(k) for k in ("seed", "tier", "z_crit", "n_tests", "family_alpha")}
    return json.dumps({"meta": meta, "claims": strip(doc["claims"])}, sort_keys=True)
