"""The three checks every certified claim must pass, as pytest tests generated for one claim family.

A family's test file (``validation/test_<family>.py``) calls :func:`family_tests` and adds its own end-to-end
tests (deliberately wrong closed forms must come out REJECTED)::

    globals().update(family_tests("transfer"))

The generated tests use the ``certify_family`` fixture (``validation/conftest.py``): the family is run once per
session, with the same draws and Bonferroni ``z_crit`` as the full ``w2s certify`` run. For every claim:

1. it is certified;
2. falsifier power: for every component, the probability that a run of this ladder rejects the prediction when the
   truth is the claim's declared falsifier (``claim.falsifier`` times the scale, with the total error
   ``sqrt(stat^2 + sys^2)``) is at least :data:`~w2s.validation.stats.POWER_MIN`, as in
   :func:`w2s.validation.stats.check_component`; a falsifier too fine for the ladder fails here;
3. this run's data reject the declared falsifier.
"""

from __future__ import annotations

import dataclasses

import pytest

from .registry import builtin_registry
from .stats import POWER_MIN, rejection_power

__all__ = ["explain", "family_tests", "rerun", "rerun_executor", "MemoryBlocks", "FAMILY_BLOCKS"]

#: Worker processes of end-to-end reruns (deliberately wrong claims); set from ``--jobs`` by the root conftest.
RERUN_JOBS = 1


def rerun_executor():
    """The executor for a test's own certification runs (``--jobs`` forked workers, as the family run): claims that
    draw their own replicates would cost the suite several minutes in one process."""
    from .runner import LocalExecutor, ProcessExecutor

    return ProcessExecutor(RERUN_JOBS) if RERUN_JOBS > 1 else LocalExecutor()


def _draw_identity(claim) -> tuple:
    """What a claim's raw blocks depend on besides the task key: the simulator object and its parameters."""
    from .store import _canonical, _jsonable

    shared = getattr(claim.simulate, "shared", None)
    if shared is not None:
        return (shared, _canonical(_jsonable(dict(shared.params))))
    return (claim.simulate, _canonical(_jsonable(dict(claim.params))))


class MemoryBlocks:
    """The raw blocks of this process's certification runs, kept in memory (the ``store`` interface of
    :func:`~w2s.validation.runner.run_claims`: ``begin``, ``load``, ``save``). A block is found again only for the
    same task key (simulation key, ``d``, block, replicates, seed) and the same simulator object with the same
    parameters, so a claim whose simulation changed never sees another simulation's draws."""

    def __init__(self):
        self._blocks: dict[tuple, tuple[object, float]] = {}

    def begin(self) -> None:
        pass

    def load(self, task):
        return self._blocks.get((task.key, _draw_identity(task.claim)))

    def save(self, task, raw, seconds) -> bool:
        self._blocks[(task.key, _draw_identity(task.claim))] = (raw, float(seconds))
        return True


#: the blocks of the family runs of this pytest process (``validation/conftest.py``), for :func:`rerun`
FAMILY_BLOCKS = MemoryBlocks()


def rerun(claims, run):
    """Certify variants of a family's claims (deliberately wrong predictions, finite-size models, falsifiers) as
    ``w2s certify`` would, at the family run's tier, seed and Bonferroni ``n_tests``; the :class:`RunResult`.

    A variant that keeps a certified claim's simulation (the same simulator object, parameters and ladder) is judged
    on that claim's own draws, the very data that certified the right formula: it is run under the original's id,
    so that its blocks are the family run's (:data:`FAMILY_BLOCKS`), and its result carries the variant again.
    A variant with a simulation of its own draws its own replicates, as any new claim would."""
    from .runner import RunResult, run_claims

    def kw():
        return dict(tier=run.tier, seed=run.seed, n_tests=run.n_tests, store=FAMILY_BLOCKS,
                    executor=rerun_executor())

    claims = list(claims)
    # certified claims with a simulation of their own, by what their draws depend on (shared simulations need no
    # renaming: their key is the shared simulation's, so the store finds their blocks directly)
    certified = {}
    for r in run.results:
        if r.claim.sim_key.startswith("claim:"):
            certified.setdefault((_draw_identity(r.claim), r.claim.ladder(run.tier)), r.claim)
    slots: list = [None] * len(claims)
    fresh = []
    seconds, loaded, simulated = 0.0, 0, 0
    for i, c in enumerate(claims):
        same = certified.get((_draw_identity(c), c.ladder(run.tier)))
        if same is None:
            fresh.append(i)
            continue
        res = run_claims([dataclasses.replace(c, id=same.id)], **kw())
        seconds, loaded = seconds + res.seconds, loaded + res.blocks_loaded
        simulated += res.blocks_simulated
        slots[i] = dataclasses.replace(res.results[0], claim=c)
    if fresh:
        res = run_claims([claims[i] for i in fresh], **kw())
        seconds, loaded = seconds + res.seconds, loaded + res.blocks_loaded
        simulated += res.blocks_simulated
        for i, r in zip(fresh, res.results):
            slots[i] = r
    return RunResult(slots, run.tier, run.seed, run.family_alpha, run.z_crit, run.n_tests, seconds,
                     blocks_loaded=loaded, blocks_simulated=simulated)


def explain(result) -> str:
    """A failure message with every component's numbers."""
    lines = [f"{result.claim.id}: {result.verdict} {result.error or ''}"]
    for c in result.components:
        lines.append(f"  {c.name}: pred {c.prediction:.6g} hat {c.fit.q_hat:.6g} +- {c.stat:.2g} (stat) +- "
                     f"{c.sys:.2g} (sys) z {c.z:+.2f} power {c.power:.3f} detectable {c.detectable:.3g} "
                     f"p_fit {c.fit.p_value:.3g} {c.reasons}")
    return "\n".join(lines)


def family_tests(family: str) -> dict:
    """``{"run": fixture, "test_...": test, ...}`` for the built-in claims of ``family``."""
    ids = [c.id for c in builtin_registry().family(family)]
    if not ids:
        raise LookupError(f"no built-in claim in family {family!r}")

    @pytest.fixture(scope="module")
    def run(certify_family):
        return certify_family(family)

    @pytest.mark.parametrize("claim_id", ids)
    def test_claim_is_certified(run, claim_id):
        result = run[claim_id]
        assert result.passed, explain(result)

    @pytest.mark.parametrize("claim_id", ids)
    def test_falsifier_is_detected_with_power(run, claim_id):
        result = run[claim_id]
        assert result.components, explain(result)
        for c in result.components:
            delta = result.claim.falsifier * c.scale
            assert c.power == pytest.approx(rejection_power(delta, c.se_total, c.z_crit, c.stat), rel=1e-12)
            assert c.power >= POWER_MIN, (
                f"{c.name}: the falsifier {result.claim.falsifier} x scale is rejected with probability "
                f"{c.power:.3f} < {POWER_MIN}; 99% power needs {c.detectable:.3g} x scale\n" + explain(result))

    @pytest.mark.parametrize("claim_id", ids)
    def test_declared_falsifier_is_rejected(run, claim_id):
        result = run[claim_id]
        assert result.falsifier_rejected, (
            f"the run cannot tell the prediction from itself moved by {result.claim.falsifier} x scale:\n"
            + explain(result))

    return {"IDS": ids, "run": run, "test_claim_is_certified": test_claim_is_certified,
            "test_falsifier_is_detected_with_power": test_falsifier_is_detected_with_power,
            "test_declared_falsifier_is_rejected": test_declared_falsifier_is_rejected}
