"""``family_checks.rerun``: a wrong variant that keeps a claim's simulation is judged on that claim's own draws, a
variant with its own simulation draws its own (``MemoryBlocks`` never hands one simulation's blocks to another)."""

import dataclasses

import numpy as np

from w2s.validation import family_checks as F
from w2s.validation.registry import Claim, Ladder
from w2s.validation.runner import BLOCK_SIZE, run_claims

def _toy(params, d, rng, reps):
    return params["q"] + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)


def _other(params, d, rng, reps):
    return params["q"] + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)


BLOCKS = 4 * -(-400 // BLOCK_SIZE)  #: blocks of one run of CLAIM's ladder

CLAIM = Claim(id="rerun.toy", title="toy", statement="toy", source="test", provenance="test", params={"q": 1.0},
              predict=lambda p: p["q"], simulate=_toy, falsifier=0.2,
              ladders={"fast": Ladder(d=(64, 128, 256, 512), reps=(400, 400, 400, 400))})


def _family_run(blocks):
    return run_claims([CLAIM], tier="fast", seed=3, store=blocks)


def test_a_wrong_prediction_is_judged_on_the_family_runs_draws(monkeypatch):
    blocks = F.MemoryBlocks()
    monkeypatch.setattr(F, "FAMILY_BLOCKS", blocks)
    run = _family_run(blocks)
    assert run.results[0].verdict == "CERTIFIED"
    wrong = dataclasses.replace(CLAIM, id="rerun.toy.wrong", predict=lambda p: 1.3 * p["q"])
    right = dataclasses.replace(CLAIM, id="rerun.toy.again")
    res = F.rerun([wrong, right], run)
    assert (res.blocks_simulated, res.blocks_loaded) == (0, 2 * BLOCKS)  # both judged on the stored blocks
    assert [r.claim.id for r in res.results] == ["rerun.toy.wrong", "rerun.toy.again"]
    assert [r.verdict for r in res.results] == ["REJECTED", "CERTIFIED"]
    # the same draws: the same estimates as the family run, component by component
    assert res.results[1].components[0].fit.q_hat == run.results[0].components[0].fit.q_hat


def test_a_variant_with_its_own_simulation_draws_its_own(monkeypatch):
    blocks = F.MemoryBlocks()
    monkeypatch.setattr(F, "FAMILY_BLOCKS", blocks)
    run = _family_run(blocks)
    for variant in (dataclasses.replace(CLAIM, id="rerun.toy.sim", simulate=_other),
                    dataclasses.replace(CLAIM, id="rerun.toy.params", params={"q": 2.0},
                                        predict=lambda p: p["q"])):
        res = F.rerun([variant], run)
        assert (res.blocks_simulated, res.blocks_loaded) == (BLOCKS, 0)  # simulated again
        assert res.results[0].verdict == "CERTIFIED"
    # a changed ladder is a new simulation too
    longer = dataclasses.replace(CLAIM, id="rerun.toy.ladder",
                                 ladders={"fast": Ladder(d=(64, 128, 256, 512), reps=(500, 400, 400, 400))})
    assert F.rerun([longer], run).blocks_simulated > 0
