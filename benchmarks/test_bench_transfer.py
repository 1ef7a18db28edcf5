"""Speed of the numba ICL-posterior kernel against the vectorised numpy version, same run and same draws (see
test_bench_ridge.py for conventions): 20000 replicates, K = 5, n_ICL read at 0, 8, ..., 128."""

from __future__ import annotations

import numpy as np

from w2s.kernels.rng import generator
from w2s.kernels.transfer import icl_posteriors, icl_posteriors_numpy

ARGS = (20000, np.arange(0, 129, 8), np.full(5, 0.2), 0, 1.0, 1.0, "uniform")


def test_posterior_kernel_vs_numpy(timed, report):
    icl_posteriors(2, [0, 1], np.full(5, 0.2), 0, 1.0, 1.0, "uniform", generator(0, "warm"))  # compile / cache
    ker, ref = timed(icl_posteriors), timed(icl_posteriors_numpy)
    for _ in range(3):
        M1, _ = ker(*ARGS, generator(0, "bench.transfer"))
        M2, _ = ref(*ARGS, generator(0, "bench.transfer"))
    assert np.allclose(M1, M2, atol=1e-12)
    # both include drawing the 20000 x 128 x 6 inputs with numpy's Generator; the draws alone:
    draw = timed(lambda: (generator(0, "b").uniform(-1, 1, (20000 * 128, 6)), generator(0, "c").standard_normal((20000, 128))))
    for _ in range(3):
        draw()
    report(f"ICL posteriors (20000 replicates, n_ICL <= 128, K = 5): numba {ker.best:.3f} s, numpy {ref.best:.3f} s "
           f"(best of 3): {ref.best / ker.best:.1f}x; input draws alone {draw.best:.3f} s")
    assert ref.best / ker.best > 1.0


def test_streamed_convex_hull_vs_explicit(timed, record_ratios):
    """n * MSE of the convex hull (K = 5, uniform design, biased weak model) per replicate: the streamed simulator
    (hull_grams + the batched face-enumeration fit) against explicit draws + scipy NNLS, at n = 250 and 16000
    (small n: the fit's cost; large n: the draws'). Different draws of one law, so only the times are compared."""
    from w2s.kernels.transfer import convex_hull_error, draw_features, hull_fit_errors, hull_grams, weak_labels

    def streamed(n, reps, rng):
        return n * hull_fit_errors(hull_grams(n, 5, "uniform", rng, reps), n, 5, 1.0, 1.0)

    def explicit(n, reps, rng):
        out = np.empty(reps)
        for r in range(reps):
            X = draw_features(n, 6, "uniform", rng)
            out[r] = n * convex_hull_error(X, weak_labels(X, 0, 5, 1.0, 1.0, rng), 5, 0)
        return out

    streamed(50, 2, generator(0, "warm"))  # compile / cache
    ratios, rows = {}, []
    for n, reps in ((250, 2000), (16000, 60)):
        new, ref = timed(streamed), timed(explicit)
        for _ in range(3):
            new(n, reps, generator(0, f"bench.hull.{n}"))
            ref(n, reps, generator(0, f"bench.hull.{n}"))
        ratios[f"n={n}"] = ref.best / new.best
        rows.append(f"n={n}: streamed {new.best / reps * 1e6:.0f} us, explicit {ref.best / reps * 1e6:.0f} us per "
                    f"replicate ({ratios[f'n={n}']:.1f}x)")
    record_ratios("convex hull, streamed vs explicit + NNLS", ratios, rows)
