"""Speed of the online-SGD engine, all in one run (see test_bench_ridge.py for conventions).

One replicate (one thread), p = 2 neurons, q = 2 recorded directions, isotropic inputs, spherical updates,
correlation loss, link and activation h_2. Steps per second at d = 256, 1024, 4096 for

(a) the plain-numpy per-step loop (:func:`w2s.kernels.elicitation.online_sgd_numpy`, inputs from numpy's Generator),
(b) the numba kernel (:func:`w2s.kernels.elicitation.online_sgd`, in-kernel xoshiro256** + ziggurat normals),
(c) the input-drawing floor: numpy's ``Generator.standard_normal`` drawing the same number of normals in bulk
    (no per-step overhead at all: the best numpy can do), and
(d) the arithmetic floor: a numba loop doing only the step's ``4 p d`` flops (p dot products and p axpys) on a
    fixed input, no drawing.

Targets: the kernel within 2x of max(c, d) and well ahead of (a); the exact Gram chain
(:func:`w2s.kernels.elicitation.gram_chain`) with a cost per step that does not grow with d (d = 10^3 ... 10^6);
the batched chain (replicates in lock-step) at least 3x the serial chain and 100x the kernel at d = 1024.

Measured on the 2-core machine: the kernel draws its normals at about 1.7 ns each (register-resident xoshiro256**
and ziggurat), so it runs at 0.65-0.7 of numpy's bulk drawing floor (faster than the floor) and 3-14x ahead of the
numpy loop. The chain costs about 150-200 ns a step (p = 2, q = 2: a 4 x 4 Cholesky factorisation, four normals
and a chi-square), flat in d; its advantage grows linearly in d: about 25-35x at d = 1024 (short of the 100x first
aimed for there, because the kernel became 3x faster than the numpy floor) and about 100x from d ~ 4096 on,
10^4x at d = 10^6. The batched chain (64 replicates in lock-step) costs about 50 ns of CPU time a replicate-step
(6.5-10 M steps/s of wall time on the shared machine), flat in d: 2.7-3.6x the serial chain and 145-155x the kernel at
d = 1024 (580-600x at d = 4096) in two runs; its floor is the per-lane draws (four normals and a chi-square, about
22 ns), which stay sequential. The assertions guard these measured levels with a margin for a loaded machine."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from w2s.kernels.elicitation import gram_chain, gram_state
from w2s.kernels.rng import generator
from w2s.kernels.elicitation import online_sgd, online_sgd_numpy
from w2s.theory.elicitation import hermite_link

P = 2
H2 = hermite_link(2)


def _problem(d):
    rng = generator(0, f"bench.sgd.{d}")
    W0 = rng.standard_normal((P, d))
    W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
    dirs = np.zeros((2, d))
    dirs[0, 0] = dirs[1, 1] = 1.0
    return W0, dirs


@numba.njit(cache=True)
def _arith_floor(W, x, steps, eta):
    p, d = W.shape
    acc = 0.0
    for _ in range(steps):
        for j in range(p):
            s = 0.0
            for i in range(d):
                s += W[j, i] * x[i]
            c = eta * s
            for i in range(d):
                W[j, i] += c * x[i]
            acc += s
    return acc


@pytest.mark.parametrize("d", [256, 1024, 4096])
def test_kernel_against_numpy_loop_and_floors(d, timed, report):
    W0, dirs = _problem(d)
    steps = max(2000, 4_000_000 // d)
    kw = dict(eta=0.1 / d, act=H2, link=H2, record_steps=[0, steps])
    online_sgd(W0, np.ones(P), dirs, steps=10, rng=np.random.default_rng(0), **{**kw, "record_steps": [10]})
    ker = timed(lambda: online_sgd(W0, np.ones(P), dirs, steps=steps, rng=np.random.default_rng(1), **kw))
    ref_steps = max(200, steps // 20)
    ref = timed(lambda: online_sgd_numpy(W0, np.ones(P), dirs, steps=ref_steps, rng=np.random.default_rng(1),
                                         **{**kw, "record_steps": [0, ref_steps]}))
    rng = np.random.default_rng(2)
    draw = timed(lambda: rng.standard_normal((steps, d)))
    x = np.random.default_rng(3).standard_normal(d) / np.sqrt(d)
    _arith_floor(W0.copy(), x, 2, 1e-9)
    arith = timed(lambda: _arith_floor(W0.copy(), x, steps, 1e-9))
    with numba.parallel_chunksize(0):
        for _ in range(3):
            ker()
            draw()
            arith()
        ref()
    per = {name: t.best / n for name, t, n in (("kernel", ker, steps), ("numpy loop", ref, ref_steps),
                                               ("draw floor", draw, steps), ("arith floor", arith, steps))}
    floor = max(per["draw floor"], per["arith floor"])
    report(f"online SGD d={d}, p={P}: steps/s numpy loop {1 / per['numpy loop']:,.0f}, kernel "
           f"{1 / per['kernel']:,.0f}, numpy input-drawing floor {1 / per['draw floor']:,.0f}, arithmetic floor "
           f"(4pd flops) {1 / per['arith floor']:,.0f}; kernel / max(floors) = {per['kernel'] / floor:.2f}, "
           f"kernel vs numpy loop {per['numpy loop'] / per['kernel']:.1f}x")
    assert per["kernel"] <= 2.0 * floor
    assert per["numpy loop"] >= 2.0 * per["kernel"]


def test_gram_chain_cost_does_not_grow_with_d(timed, report):
    """Steps per second per replicate, one thread: the serial chain (``block=0``, one replicate at a time) and the
    batched chain (64 replicates in lock-step, the default) at d = 10^3 ... 10^6, and the full kernel at d = 1024
    and 4096, all in this run."""
    st = gram_state(np.array([[0.3, np.sqrt(0.91), 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    reps = 64
    steps = 20_000
    per = {"serial": {}, "batched": {}}
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for name, block in (("serial", 0), ("batched", 64)):
            for d in (10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6):
                kw = dict(p=P, d=d, eta=0.1 / d, act=H2, link=H2, a=np.ones(P), record_steps=[0, steps], reps=reps,
                          block=block)
                gram_chain(st, steps=10, rng=np.random.default_rng(0), **{**kw, "record_steps": [10]})
                t = timed(lambda: gram_chain(st, steps=steps, rng=np.random.default_rng(1), **kw))
                for _ in range(3):
                    t()
                per[name][d] = t.best / (steps * reps)
        kern = {}
        for dk in (1024, 4096):
            W0, dirs = _problem(dk)
            ksteps = 4_000_000 // dk
            ker = timed(lambda: online_sgd(W0, np.ones(P), dirs, steps=ksteps, eta=0.1 / dk, act=H2, link=H2,
                                           record_steps=[0, ksteps], rng=np.random.default_rng(1)))
            for _ in range(3):
                ker()
            kern[dk] = ker.best / ksteps
    finally:
        numba.set_num_threads(before)
    speedup = float(np.median([per["serial"][d] / per["batched"][d] for d in per["serial"]]))  # both flat in d
    ratios = {dk: kern[dk] / per["batched"][10 ** 3] for dk in kern}
    growth = {name: v[10 ** 6] / v[10 ** 3] for name, v in per.items()}
    report("Gram chain (p=2, q=2), steps/s per replicate, one thread: "
           + "; ".join(f"{name} " + ", ".join(f"d={d:.0e} {1 / s:,.0f}" for d, s in v.items()) for name, v in per.items())
           + f"; batched / serial (median over d) {speedup:.1f}x; full kernel steps/s " + ", ".join(f"d={d} {1 / s:,.0f}" for d, s in kern.items())
           + "; batched chain / full kernel " + ", ".join(f"{r:,.0f}x at d = {d}" for d, r in ratios.items())
           + "; cost(d=1e6)/cost(d=1e3): " + ", ".join(f"{k} {g:.2f}" for k, g in growth.items()))
    assert speedup >= 2.5
    assert ratios[1024] >= 60 and ratios[4096] >= 200
    assert max(growth.values()) < 1.5
