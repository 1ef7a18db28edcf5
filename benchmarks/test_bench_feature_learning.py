"""Speed of the fused numba one-step gradient against the plain-numpy gradient, same run (see
test_bench_ridge.py for conventions): N = 512 hidden units, d = 512, n = 4096 samples, tanh and ReLU.

Both are bound by the two BLAS products ``X W^T`` and ``C^T X`` (2 n N d flops each, about 70% of the time on 2
cores), which the benchmark times separately as the floor; the fused pass only replaces numpy's several
elementwise passes and temporaries. Measured on a quiet 2-core machine: ratio about 1.0 (no gain, no loss); the
assertion guards against a regression (kernel at most 1.3 times the numpy time)."""

from __future__ import annotations

import numpy as np
import pytest

from w2s.kernels.rng import generator
from w2s.kernels.feature_learning import one_step_gradient, one_step_gradient_numpy

N, D, NS = 512, 512, 4096


@pytest.fixture(scope="module")
def problem():
    rng = generator(0, "bench.two_layer")
    W = rng.standard_normal((N, D)) / np.sqrt(D)
    return W, rng.choice([-1.0, 1.0], N), rng.standard_normal((NS, D)), rng.standard_normal(NS)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_fused_gradient_vs_numpy(problem, timed, report, act):
    one_step_gradient(*[x[:4] if x.ndim == 1 else x[:4, :4] for x in problem], act)  # compile / load cache
    ref, ker = timed(one_step_gradient_numpy), timed(one_step_gradient)
    for _ in range(5):
        g_ref = ref(*problem, act)
        g = ker(*problem, act)
    assert np.allclose(g, g_ref, rtol=1e-10, atol=1e-13)
    W, a, X, y = problem
    gemm = timed(lambda: (X @ W.T, X.T @ X[:, :N]))
    for _ in range(5):
        gemm()
    ratio = ref.best / ker.best
    report(f"one-step gradient ({act}, N={N}, d={D}, n={NS}): numpy {ref.best:.4f} s, fused numba {ker.best:.4f} s "
           f"(best of 5): {ratio:.2f}x; the two GEMMs alone: {gemm.best:.4f} s")
    assert ratio > 1 / 1.3
