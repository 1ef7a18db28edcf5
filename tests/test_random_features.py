"""Closed forms and the SGD kernel of random_features: edge regimes, bad input, kernel against numpy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2s.kernels import random_features as K
from w2s.kernels.rng import generator
from w2s.theory import random_features as T


def _setup(m_te, m_st, seed=0):
    pr = T.authors_problem(m_te)
    rng = generator(seed, "test:rf")
    W_T, W_S = K.features(pr["d"], m_te, rng), K.features(pr["d"], m_st, rng)
    bt, L_te = T.teacher(lam=pr["lam"], beta_star=pr["beta_star"], W_T=W_T)
    return pr, bt, L_te, W_S @ W_S.T


def test_closed_form_matches_the_gd_recursion():
    pr, bt, _L, KS = _setup(8, 50)
    lam, b, eta = pr["lam"], pr["beta_star"], 0.2
    beta, losses = np.zeros(pr["d"]), []
    for _ in range(31):
        losses.append((beta - b) @ (lam * (beta - b)))
        beta = beta - eta * KS @ (lam * (beta - bt))
    assert np.allclose(T.student_losses(lam=lam, beta_star=b, beta_t=bt, K_S=KS, eta=eta, steps=np.arange(31)),
                       losses, rtol=1e-10)


def test_early_stopping_is_necessary_for_full_rank_K_S():
    """Full-rank K_S (M_ST > d): L_ST(k) -> L_TE as k -> inf; at k* the student is strictly better."""
    pr, bt, L_te, KS = _setup(8, 50)
    L = T.student_losses(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=KS, eta=0.2, steps=[10**6])
    assert L[0] == pytest.approx(L_te, rel=1e-9)
    r, k, _ = T.early_stopped_ratio(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=KS, eta=0.2,
                                    max_steps=400)
    assert r < 0.9 and 0 < k < 400


def test_m_st_equal_m_te_gives_a_rank_deficient_kernel_that_does_not_recover_the_teacher():
    pr, bt, L_te, KS = _setup(8, 8)
    assert np.linalg.matrix_rank(KS) == 8 < pr["d"]
    L = T.student_losses(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=KS, eta=0.2, steps=[10**6])
    assert L[0] > L_te * (1 + 1e-6)


@settings(max_examples=20)
@given(frac=st.floats(0.5, 0.999))
def test_eta_up_to_the_stability_limit(frac):
    """Below 2/mu_max the path stays bounded and converges to the teacher; at or above it eta is refused."""
    pr, bt, L_te, KS = _setup(4, 13)
    lim = T.stability_limit(lam=pr["lam"], K_S=KS)
    L = T.student_losses(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=KS, eta=frac * lim,
                         steps=[10**7])
    assert np.isfinite(L[0]) and L[0] == pytest.approx(L_te, rel=1e-6, abs=1e-12)
    with pytest.raises(ValueError, match="eta="):
        T.student_losses(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=KS, eta=lim * 1.0001, steps=[1])


def test_gradient_flow_is_the_wide_student_limit():
    pr, bt, _L, _KS = _setup(4, 13)
    t = np.array([0.0, 1.0, 5.0, 20.0])
    eta = 1e-3
    L = T.student_losses(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=np.eye(pr["d"]), eta=eta,
                         steps=(t / eta).astype(int))
    # (1 - eta lam)^(t/eta) = e^(-t lam) (1 + O(eta t lam^2)): 1e-2 relative at t = 20
    assert np.allclose(L, T.gradient_flow_losses(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, times=t),
                       rtol=1e-2)


def test_sgd_kernel_matches_the_numpy_reference():
    pr, bt, _L, KS = _setup(4, 13)
    G = np.ones((3, pr["d"]))
    args = (pr["lam"], pr["beta_star"], bt, KS, G)
    kw = dict(eta=0.2, batch=7, record=[0, 3, 11], reps=5)
    a = K.sgd_student(*args, rng=generator(1, "k"), **kw)
    r = K.sgd_student_numpy(*args, rng=generator(1, "k"), **kw)
    assert np.allclose(a[0], r[0], rtol=1e-10) and np.allclose(a[1], r[1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: T.authors_problem(0), "m_te="),
    (lambda: T.authors_problem(4097), "m_te=4097"),
    (lambda: T.teacher(lam=[1.0, -1.0], beta_star=[1, 1], W_T=np.ones((2, 1))), "lam="),
    (lambda: T.teacher(lam=[1.0, 1.0], beta_star=[1, 1], W_T=np.ones((3, 1))), "W_T"),
    (lambda: T.student_losses(lam=[1.0], beta_star=[1.0], beta_t=[1.0], K_S=[[1.0]], eta=-0.1, steps=[1]), "eta="),
    (lambda: T.early_stopped_ratio(lam=[1.0], beta_star=[1.0], beta_t=[0.5], K_S=[[1.0]], eta=0.1, max_steps=0),
     "max_steps="),
    (lambda: K.sgd_student([1.0], [1.0], [1.0], [[1.0]], np.ones((1, 1)), eta=0.1, batch=0, record=[1],
                           rng=generator(0, "x"), reps=1), "batch="),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_authors_problem_exact_values_and_documented_ranges():
    """M = 4: d = 8, K = 2 eigenvalues 1 and six 1/4; beta* = 4^(alpha/2) = 2^1.5 on the top two (alpha = 1.5) and
    4^0 = 1 elsewhere (beta = 1); M_ST = round(8^1.25) = 13. M = 1 is the smallest (d = K = 1). The documented ends
    of alpha and beta (+-10) are accepted, beyond refused; a zero eigenvalue is refused (lam > 0)."""
    p = T.authors_problem(4)
    assert (p["d"], p["K"], p["m_st"]) == (8, 2, 13)
    np.testing.assert_allclose(p["lam"], [1, 1] + [0.25] * 6, rtol=1e-15)
    np.testing.assert_allclose(p["beta_star"], [2**1.5] * 2 + [1.0] * 6, rtol=1e-15)
    one = T.authors_problem(1)
    assert (one["d"], one["K"]) == (1, 1)
    top = T.authors_problem(4096)  # the largest documented M: d = 4096^1.5 = 262144
    assert (top["d"], top["K"]) == (262144, 64)
    for name in ("alpha", "beta"):
        T.authors_problem(4, **{name: -10.0})
        T.authors_problem(4, **{name: 10.0})
        for bad in (-10.5, 10.5):
            with pytest.raises(ValueError, match=f"{name}="):
                T.authors_problem(4, **{name: bad})
    with pytest.raises(ValueError, match="lam="):
        T.teacher(lam=[1.0, 0.0], beta_star=[1, 1], W_T=np.ones((2, 1)))
    with pytest.raises(ValueError, match="lam="):
        T.stability_limit(lam=[1.0, 0.0], K_S=np.eye(2))
    assert T.stability_limit(lam=[1.0, 0.5], K_S=np.diag([2.0, 1.0])) == pytest.approx(1.0, rel=1e-14)  # 2/mu_max


def test_teacher_at_d_above_the_small_integer_cache_and_the_beta_t_range():
    """d = 300 (sizes compared by value, not identity): with M_TE = d features spanning R^d the teacher recovers
    beta* exactly (L_TE = 0). beta_t's range ends at +-1e12."""
    rng = np.random.default_rng(5)
    d = 300
    lam, b = rng.uniform(0.5, 2.0, d), rng.standard_normal(d)
    bt, loss = T.teacher(lam=lam, beta_star=b, W_T=rng.standard_normal((d, d)))
    np.testing.assert_allclose(bt, b, atol=1e-8)
    assert loss == pytest.approx(0.0, abs=1e-14)
    with pytest.raises(ValueError, match="beta_t="):
        T.student_losses(lam=[1.0], beta_star=[1.0], beta_t=[1e12 + 1.0], K_S=[[1.0]], eta=0.1, steps=[1])


def test_student_losses_in_blocks_are_the_one_array_losses_to_the_bit(monkeypatch):
    """The (steps x d) computation runs in row blocks (memory); each row's arithmetic is that of one array."""
    pr, bt, _, K_S = _setup(8, 40)
    kw = dict(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=K_S, eta=0.2)
    steps = np.arange(0, 3001, 7)
    whole = T.student_losses(**kw, steps=steps)
    monkeypatch.setattr(T, "_BLOCK_ENTRIES", 5 * pr["d"] + 3)  # blocks of 5 rows, the last one short
    np.testing.assert_array_equal(T.student_losses(**kw, steps=steps), whole)
    monkeypatch.setattr(T, "_BLOCK_ENTRIES", 1)  # one row at a time
    np.testing.assert_array_equal(T.student_losses(**kw, steps=steps), whole)


def test_early_stopping_over_many_steps_stays_within_its_block_memory():
    """max_steps = 4 10^5 at d = 64: one (steps x d) array per temporary would be 205 MB; the blocks keep the peak
    to the 3 MB of the losses themselves plus a few 32 MB blocks (measured with tracemalloc, which sees numpy)."""
    import tracemalloc

    pr, bt, _, K_S = _setup(16, 64)
    tracemalloc.start()
    try:
        r, k, end = T.early_stopped_ratio(lam=pr["lam"], beta_star=pr["beta_star"], beta_t=bt, K_S=K_S, eta=0.2,
                                          max_steps=400_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0 < r <= end and 0 <= k <= 400_000
    assert peak < 150e6, peak


def test_claims_refuse_feature_matrices_beyond_memory_and_keep_a_bounded_cache():
    """The claims build d x M_ST features (8 M^3.375 bytes): M_TE above 256 is refused with the parameter named,
    and predictions at many parameters keep at most _CACHE_SIZE problems (w2s predict, fuzzing)."""
    from w2s.validation.claims import random_features as C

    base = dict(m_te=8, feature_seed=0, lr=0.1, k_end=50)
    for bad in (257, 600, 8.5, True, "8"):
        with pytest.raises(ValueError, match=r"m_te must be an integer in \[1, 256\]"):
            C.problem({**base, "m_te": bad})
    C._CACHE.clear()
    for i in range(C._CACHE_SIZE + 4):
        C.problem({**base, "lr": 0.05 + 0.001 * i})
    assert len(C._CACHE) == C._CACHE_SIZE and (8, 0, 0.05 + 0.001 * 11, 50) in C._CACHE
    assert C.problem(base) is C.problem(base)  # still a cache
