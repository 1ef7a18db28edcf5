"""Speed of the numba online-SGD student against the plain-numpy version, same run and same normals: M_TE = 16
(d = 64), batch 256, 108 steps, 8 replicates."""

import numpy as np

from w2s.kernels.random_features import features, sgd_student, sgd_student_numpy
from w2s.kernels.rng import generator
from w2s.theory.random_features import authors_problem, teacher


def test_sgd_kernel_vs_numpy(timed, report):
    pr = authors_problem(16)
    rng = generator(0, "bench.rf.features")
    W_T, W_S = features(pr["d"], 16, rng), features(pr["d"], pr["m_st"], rng)
    bt, _ = teacher(lam=pr["lam"], beta_star=pr["beta_star"], W_T=W_T)
    args = (pr["lam"], pr["beta_star"], bt, W_S @ W_S.T, np.ones((2, pr["d"])))
    kw = dict(eta=0.2, batch=256, record=[27, 108], reps=8)
    sgd_student(*args, rng=generator(0, "warm"), eta=0.2, batch=2, record=[1, 2], reps=1)  # compile / cache
    ker, ref = timed(sgd_student), timed(sgd_student_numpy)
    for _ in range(3):
        a = ker(*args, rng=generator(0, "bench.rf"), **kw)
        b = ref(*args, rng=generator(0, "bench.rf"), **kw)
    assert np.allclose(a[0], b[0], rtol=1e-9)
    report(f"random-feature SGD student (d = 64, B = 256, 108 steps, 8 reps): numba {ker.best:.3f} s, numpy "
           f"{ref.best:.3f} s (best of 3): {ref.best / ker.best:.1f}x")
    assert ref.best / ker.best > 1.0
