"""Reproducible randomness: :mod:`w2s.kernels.rng` and the seeded blocks of :mod:`w2s.validation.runner`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

from w2s.kernels.rng import generator, seed_sequence, stable_hash
from w2s.validation.registry import Claim, Ladder
from w2s.validation.runner import BLOCK_SIZE, LocalExecutor, Task, plan, run_claims


# ---------------------------------------------------------------------------------------------------------
# stable_hash / seed_sequence / generator
# ---------------------------------------------------------------------------------------------------------
def test_stable_hash_is_crc32_with_known_values():
    assert stable_hash("hello") == 907060870 == 0x3610A686
    assert stable_hash("") == 0
    assert stable_hash("shared:ridge.gt=2.gs=2.s2=1") == zlib.crc32(b"shared:ridge.gt=2.gs=2.s2=1")
    # UTF-8, not the platform encoding
    assert stable_hash("\u03bb_t") == zlib.crc32("\u03bb_t".encode("utf-8"))
    assert 0 <= stable_hash("any key") < 2**32


def test_stable_hash_independent_of_python_hash_seed():
    code = ("from w2s.kernels.rng import stable_hash, generator; "
            "print(stable_hash('claim:x'), generator(3, 'claim:x', 64, 2).integers(2**62))")
    outs = set()
    for hash_seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        outs.add(res.stdout.strip())
    here = f"{stable_hash('claim:x')} {generator(3, 'claim:x', 64, 2).integers(2**62)}"
    assert outs == {here}


def test_seed_sequence_entropy_and_spawn_key():
    ss = seed_sequence(7, "ridge", 64, 3)
    assert ss.entropy == 7
    assert ss.spawn_key == (stable_hash("ridge"), 64, 3)
    # a string key is exactly its CRC32 as an integer key
    a = seed_sequence(7, "ridge", 64).generate_state(8)
    b = seed_sequence(7, stable_hash("ridge"), 64).generate_state(8)
    assert np.array_equal(a, b)
    assert seed_sequence(7).spawn_key == ()
    assert seed_sequence(np.int64(7), "k").entropy == 7


def test_generator_reproducible_bit_for_bit():
    x = generator(2024, "sim", 128, 0).standard_normal(1000)
    y = generator(2024, "sim", 128, 0).standard_normal(1000)
    assert np.array_equal(x, y)
    assert isinstance(generator(0).bit_generator, np.random.PCG64)
    np.testing.assert_array_equal(seed_sequence(2024, "sim", 128, 0).generate_state(4),
                                  seed_sequence(2024, "sim", 128, 0).generate_state(4))


@pytest.mark.parametrize("other", [
    (2024, "sim", 128, 1),   # another block
    (2024, "sim", 256, 0),   # another dimension
    (2024, "sim2", 128, 0),  # another simulation
    (2025, "sim", 128, 0),   # another seed
    (2024, "sim", 0, 128),   # key order matters
    (2024, "sim", 128),      # shorter key
    (2024,),                 # no key
])
def test_different_keys_give_different_streams(other):
    x = generator(2024, "sim", 128, 0).standard_normal(64)
    y = generator(*other).standard_normal(64)
    assert not np.array_equal(x, y)
    assert np.abs(np.corrcoef(x, y)[0, 1]) < 0.5


@pytest.mark.parametrize("seed", [-1, 1.5, 2.0, "3", None, np.float64(1.0)])
def test_bad_seed_raises(seed):
    with pytest.raises(ValueError, match="seed"):
        seed_sequence(seed, "k")
    with pytest.raises(ValueError, match="seed"):
        generator(seed)


# ---------------------------------------------------------------------------------------------------------
# Runner: plan() and Task execution are deterministic functions of (seed, key, ladder)
# ---------------------------------------------------------------------------------------------------------
def _simulate(params, d, rng, reps):
    """Two components: a mean-mu Gaussian with O(1/d) bias and variance 1/d, and its square."""
    x = params["mu"] + 1.0 / d + rng.standard_normal(reps) / np.sqrt(d)
    return np.column_stack([x, x * x])


def _claim(cid="test.rng.toy", mu=1.5):
    return Claim(
        id=cid, title="toy", statement="toy Gaussian mean", source="tests/test_rng.py", provenance="TEST",
        params={"mu": mu}, predict=lambda p: [p["mu"], p["mu"] ** 2], simulate=_simulate,
        ladders={"fast": Ladder(d=(8, 16, 32), reps=(2 * BLOCK_SIZE + 20, BLOCK_SIZE, 40))},
        components=("x", "x^2"))


def test_plan_is_deterministic_and_splits_into_fixed_blocks():
    claim = _claim()
    tasks1, needs1 = plan([claim], "fast", 3)
    tasks2, needs2 = plan([claim], "fast", 3)
    assert tasks1 == tasks2 and needs1 == needs2
    assert [t.key for t in tasks1] == [t.key for t in tasks2]
    # per rung: ceil(reps / BLOCK_SIZE) blocks, all BLOCK_SIZE but the last, summing to reps
    ladder = claim.ladder("fast")
    for d, reps in zip(ladder.d, ladder.reps):
        blocks = sorted((t for t in tasks1 if t.d == d), key=lambda t: t.block)
        assert [t.block for t in blocks] == list(range(-(-reps // BLOCK_SIZE)))
        assert sum(t.reps for t in blocks) == reps
        assert all(t.reps == BLOCK_SIZE for t in blocks[:-1])
    assert all(t.seed == 3 and t.sim_key == "claim:test.rng.toy" for t in tasks1)
    assert sorted(needs1[claim.id]) == sorted(t.key for t in tasks1)
    # a new claim object with equal content gives the same keys
    assert [t.key for t in plan([_claim()], "fast", 3)[0]] == [t.key for t in tasks1]
    assert [t.key for t in plan([claim], "fast", 4)[0]] != [t.key for t in tasks1]


def test_executing_a_task_twice_is_bit_identical():
    claim = _claim()
    tasks, _ = plan([claim], "fast", 3)
    again, _ = plan([claim], "fast", 3)
    for t1, t2 in zip(tasks, again):
        out1, out2, out3 = t1(), t1(), t2()
        assert out1.shape == (t1.reps, 2)
        assert np.array_equal(out1, out2) and np.array_equal(out1, out3)
    # blocks, dimensions and seeds draw different numbers
    outs = [t() for t in tasks]
    for a, b in zip(outs, outs[1:]):
        n = min(len(a), len(b))
        assert not np.array_equal(a[:n], b[:n])
    other_seed = Task(tasks[0].sim_key, tasks[0].d, tasks[0].block, tasks[0].reps, 4, claim)
    assert not np.array_equal(other_seed(), outs[0])


def test_task_draws_from_the_documented_generator():
    claim = _claim()
    task = plan([claim], "fast", 9)[0][0]
    expected = _simulate(claim.params, task.d, generator(9, task.sim_key, task.d, task.block), task.reps)
    assert np.array_equal(task(), expected)


class _ReversedExecutor:
    """Runs the tasks in reverse order (the draws must not depend on execution order)."""

    def map(self, tasks):
        return LocalExecutor().map(list(reversed(tasks)))


def _comparable(result):
    """Everything in a run result but the timings, as a JSON string (NaN-safe equality)."""
    out = [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in result.results]
    return json.dumps(out, sort_keys=True, default=str)


def test_run_claims_reproducible_and_independent_of_execution_order():
    claim = _claim()
    a = run_claims([claim], tier="fast", seed=5)
    b = run_claims([claim], tier="fast", seed=5)
    c = run_claims([claim], tier="fast", seed=5, executor=_ReversedExecutor())
    assert a.results[0].error is None and a.results[0].components
    assert _comparable(a) == _comparable(b) == _comparable(c)
    d = run_claims([claim], tier="fast", seed=6)
    assert _comparable(d) != _comparable(a)


def test_run_claims_independent_of_other_claims_in_the_run():
    """A claim's draws depend on its own key only: adding another claim changes its samples not at all."""
    claim, other = _claim(), _claim("test.rng.other", mu=-0.5)
    alone = run_claims([claim], tier="fast", seed=1, n_tests=4)
    together = run_claims([other, claim], tier="fast", seed=1)
    assert together.n_tests == 4
    ca, ct = alone[claim.id], together[claim.id]
    for x, y in zip(ca.components, ct.components):
        assert x.fit.q_hat == y.fit.q_hat and x.fit.se_hat == y.fit.se_hat
        assert [r.mean for r in x.rungs] == [r.mean for r in y.rungs]
