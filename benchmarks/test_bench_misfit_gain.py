"""Speed of the resampling kernel of the misfit-gain family (Gram matrices of n rows drawn from a fixed measure),
same run, same draws: the numba kernel against its plain-numpy twin (index gather and matrix products)."""

from __future__ import annotations

import numpy as np

from w2s.kernels import misfit_gain as K
from w2s.kernels.gauss_rng import stream_states
from w2s.kernels.rng import generator


def test_resample_kernel_vs_numpy(timed, report):
    g = generator(0, "bench.misfit_gain")
    Z, f = g.standard_normal((20000, 6)), g.standard_normal(20000)
    reps, n = 200, 1600

    def kernel(states):
        G, h = np.empty((states.shape[0], 6, 6)), np.empty((states.shape[0], 6))
        K._resample_gram(states.copy(), Z, f, n, G, h)
        return G

    kernel(stream_states(g, 2))  # compile
    st = stream_states(g, reps)
    kern, ref = timed(kernel), timed(K.resample_gram_reference)
    for _ in range(3):
        G = kern(st)
        G2, _h = ref(st, Z, f, n)
    np.testing.assert_allclose(G, G2, rtol=1e-12, atol=1e-12 * np.abs(G2).max())
    report(f"misfit_gain resampled Gram, {reps} replicates of n = {n} rows (best of 3): numba {kern.best:.4f} s, "
           f"plain numpy {ref.best:.3f} s ({ref.best / kern.best:.0f}x)")
    assert ref.best > kern.best
