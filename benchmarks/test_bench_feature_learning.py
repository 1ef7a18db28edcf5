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


def test_banded_top_eigenpair_vs_lapack(timed, report):
    """The compiled bisection + inverse iteration of :func:`~w2s.kernels.feature_learning.top_eigenpair_banded`
    against the same algorithm on LAPACK ``dpbtrf``/``dpbtrs`` (one Python call per factorisation), on the
    pentadiagonal ``B^T B`` of the BBP claims at ``d = 1024`` (``m = 513``). Measured on a quiet 2-core machine:
    about 5x; the assertion guards against losing the gain (at least 2x)."""
    from w2s.kernels.feature_learning import (gram_bands_entries, spiked_band_entries, top_eigenpair_banded,
                                              top_eigenpair_banded_lapack)
    ab = gram_bands_entries(*spiked_band_entries(1024, 512, 0.0, generator(0, "bench.bbp")))
    top_eigenpair_banded(ab, np.random.default_rng(0))  # compile / load cache
    ref, ker = timed(top_eigenpair_banded_lapack), timed(top_eigenpair_banded)
    for _ in range(20):
        l_ref, x_ref = ref(ab, np.random.default_rng(1))
        lam, x = ker(ab, np.random.default_rng(1))
    assert lam == pytest.approx(l_ref, rel=1e-12) and abs(x @ x_ref) == pytest.approx(1.0, abs=1e-10)
    ratio = ref.best / ker.best
    report(f"top eigenpair of a pentadiagonal B^T B (m = {ab.shape[1]}): LAPACK loop {ref.best * 1e3:.3f} ms, compiled "
           f"{ker.best * 1e3:.3f} ms (best of 20): {ratio:.1f}x")
    assert ratio > 2
