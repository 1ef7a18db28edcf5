r"""Registered claims: representations shape W2S generalisation (Xue, Li & Mirzasoleiman, ICML 2025, arXiv 2502.00620).

Every prediction is **derived under the setup of docs/representations.md §1** (the form of (★) is RECONSTRUCTED,
the synthetic model PROPOSED in its §1.3); none is quoted as the paper's theorem. Formulas and
their population limits: :mod:`w2s.theory.representations`; simulator: :mod:`w2s.kernels.representations`.

Model (docs/representations.md §1.3; ``Q = I``: the latent is rotation invariant, so the orthogonal frame is the
canonical one): ``p = 12``, ``a = (1, ..., 1)/sqrt(12)``, ``sigma2 = 0.09``; strong principal part ``A_s =
diag(linspace(2, 0.6, 9))`` on ``e_1..e_9``; weak principal part ``A_w = diag(2, 1.5, 1, 0.8)`` on ``e_1..e_4`` (the
*nested* weak model of docs/representations.md §1.3); ``gamma~_w = gamma^_s = 0.05``, ``beta_w = beta_s = 1e-3``. A
second, *misaligned* weak model replaces ``e_k`` by ``cos(pi/6) e_k - sin(pi/6) e_{9+k}`` (``k = 1, 2, 3``): part of its
error lies outside the strong span and is corrected.

Joint ladder: the framework's axis ``d`` is the split size ``n = n~ = n^``, with ``D = n^2`` non-principal
dimensions, so that ``n -> inf`` and ``D/n = n -> inf`` together (the non-isotropy ``delta ~ 2 sqrt(n/D) = 2/sqrt(n)``).
Test errors are exact expectations over fresh points (no test set; kernels module docstring).

Certified:

* ``repr.w2s-errors.population-limit.*``: the simulated ``PredGap``, ``Err_w``, ``Err_sc``, ``Err_w2s`` converge to
  the population limits ``||R_s(I - R_w)a||^2``, ``||(I - R_w)a||^2 + sigma2``, ... (nested and misaligned weak
  model);
* ``repr.prediction-gap.simulation-minus-formula``: per replicate, simulation minus the finite-sample formula on
  the same W2S split ((★) and the three error identities of docs/representations.md §2.3) tends to 0;
* ``repr.error-split.population-limit``: inherited (= (★)), corrected and cross parts of the weak error;
* ``repr.w2s-beats-weak.misaligned``: ``Err_w - Err_w2s > 0`` (sign resolved) and the PGR;
* ``repr.gram-simulator.exact-in-law``: the tridiagonal simulator against the Bartlett-Gram and the explicit-feature
  simulators (exact at every size);
* ``repr.label-free-metric.frobenius.population-limit``: the label-free metric (Frobenius variant) converges to
  ``||R_s (I - R_w)||_F^2`` for each of ten weak models.

Shown, not certified (figures): predicted against measured PredGap across n; the label-free metric ``||P_s(I -
P_w)||_op`` and its Frobenius variant against ``Err_w2s`` and the Spearman rank correlations over a family of ten weak
models. The rank correlations themselves are not certified: per replicate they tend to 1 (for (★) against the simulated
gap) with a variance that vanishes faster than any power, so the ladder model ``E = Q + a n^-alpha`` with Gaussian rung
means does not apply. The operator norm's population limit has nearly degenerate top singular values in this family
(e.g. 0.971 vs 0.961 for the nested model), so its finite-``n`` bias is not ``O(1/n)``: no certificate is claimed for
it. The exact identity ``inherited + corrected + cross = ||e_w||^2/n`` has zero variance and is a unit test, not a
statistical claim. Not simulated: the W2S model's in-sample fit to the weak labels (docs/representations.md §2.3,
"regardless of overfitting").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from w2s.kernels.representations import simulate_w2s
from w2s.kernels.rng import generator
from w2s.theory import representations as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, SharedSimulation, Shown


SOURCE = "Xue, Li & Mirzasoleiman 2025, arXiv 2502.00620 (ICML 2025); docs/representations.md"
PROV = ("DERIVED under the setup of docs/representations.md §1 (form of §2.2 RECONSTRUCTED, §1.3 model "
        "PROPOSED)")
FAMILY = "representations"
P_LAT = 12
WEAK_SCALES = (2.0, 1.5, 1.0, 0.8)


def label_direction(p: int = P_LAT) -> np.ndarray:
    return np.ones(p) / np.sqrt(p)


def strong_matrix(p: int = P_LAT, scales=None) -> np.ndarray:
    """Strong principal part ``diag(scales)`` on ``e_1..e_9`` (default ``linspace(2, 0.6, 9)``)."""
    scales = np.linspace(2.0, 0.6, 9) if scales is None else np.asarray(scales, float)
    A = np.zeros((scales.size, p))
    A[:, :scales.size] = np.diag(scales)
    return A


def weak_matrix(dirs, scales, p: int = P_LAT, theta: float = 0.0, sign: float = -1.0) -> np.ndarray:
    """Rows ``scale_k (cos(theta) e_{dir_k} + sign sin(theta) e_{9 + k})`` for the first ``min(3, r)`` rows when
    ``theta != 0`` (leaning out of the strong span), ``scale_k e_{dir_k}`` otherwise (0-based ``dir_k``)."""
    A = np.zeros((len(dirs), p))
    for k, (j, s) in enumerate(zip(dirs, scales)):
        if theta and k < 3:
            A[k, j] = s * np.cos(theta)
            A[k, 9 + k] = sign * s * np.sin(theta)
        else:
            A[k, j] = s
    return A


NESTED = dict(dirs=(0, 1, 2, 3), scales=WEAK_SCALES, theta=0.0, beta_w=1e-3)
MISALIGNED = dict(dirs=(0, 1, 2, 3), scales=WEAK_SCALES, theta=np.pi / 6, beta_w=1e-3)

#: Weak models of the ranking figure: rank, directions, lean out of the strong span, ridge.
WEAK_FAMILY = (
    ("nested r=4", NESTED),
    ("nested r=2", dict(dirs=(0, 1), scales=(2.0, 1.5), theta=0.0, beta_w=1e-3)),
    ("nested r=6", dict(dirs=tuple(range(6)), scales=tuple(np.linspace(2, 0.8, 6)), theta=0.0, beta_w=1e-3)),
    ("nested r=8", dict(dirs=tuple(range(8)), scales=tuple(np.linspace(2, 0.8, 8)), theta=0.0, beta_w=1e-3)),
    ("e5..e8", dict(dirs=(4, 5, 6, 7), scales=WEAK_SCALES, theta=0.0, beta_w=1e-3)),
    ("lean pi/6", MISALIGNED),
    ("lean pi/3", dict(MISALIGNED, theta=np.pi / 3)),
    ("nested r=4, beta 0.3", dict(NESTED, beta_w=0.3)),
    ("nested r=4, beta 1", dict(NESTED, beta_w=1.0)),
    ("lean pi/6, beta 0.3", dict(MISALIGNED, beta_w=0.3)),
)


def weak_of(spec) -> np.ndarray:
    return weak_matrix(spec["dirs"], spec["scales"], theta=spec["theta"])


_BASE = dict(p=P_LAT, sigma2=0.09, gamma_w=0.05, gamma_s=0.05, beta_s=1e-3, D_over_n2=1.0)


def reg_w(p, beta_w):
    return beta_w + p["gamma_w"]  # gamma~_w = D s_w^2 / n~ = gamma_w by construction of s_w^2


def reg_s(p):
    return p["beta_s"] + p["gamma_s"]


def population(p, spec) -> T.W2SFormulas:
    return T.population_limits(weak_of(spec), strong_matrix(p["p"], p.get("strong_scales")), label_direction(p["p"]),
                               p["sigma2"],
                               reg_w(p, spec["beta_w"]), reg_s(p))


def simulate_family(p, n, rng, reps, weak_specs, method="tridiagonal", D=None, data_rng=None, formulas=True):
    """``reps`` replicates of the docs/representations.md §1.3 model with the weak models ``weak_specs`` sharing every
    draw; per replicate the simulated quantities and the finite-sample formulas on the same W2S split. Returns a dict
    of ``(reps, k)`` arrays (``err_sc``, ``f_err_sc``: ``(reps,)``)."""
    k = len(weak_specs)
    Aws = [weak_of(s) for s in weak_specs]
    As, a = strong_matrix(p["p"], p.get("strong_scales")), label_direction(p["p"])
    D = int(round(p["D_over_n2"] * n * n)) if D is None else D
    keys = ("pred_gap", "err_w", "err_w2s", "f_pred_gap", "f_err_w", "f_err_sc", "f_err_w2s", "f_corrected",
            "f_cross", "metric_op", "metric_frob")
    out = {key: np.empty((reps, k)) for key in keys}
    out["err_sc"] = np.empty(reps)
    for r in range(reps):
        draw = simulate_w2s(Aws, As, a, sigma2=p["sigma2"], gamma_w=p["gamma_w"], gamma_s=p["gamma_s"],
                            beta_w=[s["beta_w"] for s in weak_specs], beta_s=p["beta_s"], n_tilde=n, n_hat=n, D=D,
                            rng=rng, method=method, data_rng=data_rng)
        out["pred_gap"][r], out["err_w"][r], out["err_w2s"][r] = draw.pred_gap, draw.err_w, draw.err_w2s
        out["err_sc"][r] = draw.err_sc
        if not formulas:
            continue
        Hs = draw.Z_hat @ As.T
        for j, (A, s) in enumerate(zip(Aws, weak_specs)):
            f = T.w2s_formulas(draw.Z_hat @ A.T, Hs, draw.y_hat, reg_w(p, s["beta_w"]), reg_s(p))
            for key in keys[3:]:
                out[key][r, j] = getattr(f, key[2:] if key.startswith("f_") else key)
    return out


def _shared_fn(p, n, rng, reps):
    return simulate_family(p, n, rng, reps, (NESTED, MISALIGNED))


SHARED = SharedSimulation("representations.nested+misaligned", _shared_fn, _BASE)

SETUP = ("ladder axis d = split size n = n~ = n^ (weak training split and W2S split), D = n^2 non-principal "
         "dimensions (D/n = n grows with n); p = 12, a = 1/sqrt(12), sigma2 = 0.09, A_s = diag(linspace(2, 0.6, 9)) "
         "on e_1..e_9, A_w = diag(2, 1.5, 1, 0.8) on e_1..e_4 (nested) or leaning out of the strong span by pi/6 "
         "(misaligned), gamma = 0.05, beta_w = beta_s = 1e-3; exact test expectations; tridiagonal Gram simulator")
LADDERS = {"fast": Ladder(d=(200, 400, 800, 1600, 3200), reps=(1000, 1000, 1000, 1000, 1000)),
           "full": Ladder(d=(200, 400, 800, 1600, 3200, 6400), reps=(2000, 2000, 2000, 2000, 2000, 1000))}
FS_REASON = ("two O(1/n) sources on this joint ladder: finite-n ridge on a fixed-rank principal part (smooth "
             "functionals of a sample covariance of fixed dimension: mean corrections O(r/n)), and the non-principal "
             "part, whose Gram is gamma n I + O(gamma n sqrt(n/D)) with mean exactly gamma n I, so that its mean "
             "effect "
             "is second order, O(n/D) = O(1/n) for D = n^2, like its test-time contribution s^2 c^T G c; the "
             "chi-square test of the fit checks the exponent")


def _pop_vec(p, spec):
    P = population(p, spec)
    return [P.pred_gap, P.err_w, P.err_sc, P.err_w2s]


_COMP4 = ("PredGap", "Err_w", "Err_sc", "Err_w2s")
for _j, (_name, _spec) in enumerate((("nested", NESTED), ("misaligned", MISALIGNED))):
    REGISTRY.add(Claim(
        id=f"repr.w2s-errors.population-limit.{_name}",
        title=f"W2S prediction gap and test errors converge to their population limits ({_name} weak model)",
        statement=("As n = n~ = n^ -> inf with D/n -> inf: E_x[(f_w2s - f_sc)^2] -> ||R_s (I - R_w) a||^2, "
                   "Err_w -> ||(I - R_w) a||^2 + sigma2, Err_sc -> ||(I - R_s) a||^2 + sigma2, Err_w2s -> "
                   "||(I - R_s R_w) a||^2 + sigma2, with R = A^T (A A^T + (beta + gamma) I)^{-1} A the population "
                   "ridge operator of a principal representation A z."),
        source=SOURCE + " §2.2-2.3, §2.5", provenance=PROV, params=dict(_BASE, weak=_name),
        predict=lambda p, _s=_spec: _pop_vec(p, _s),
        simulate=SHARED.observe(lambda o, _j=_j: np.column_stack(
            [o["pred_gap"][:, _j], o["err_w"][:, _j], o["err_sc"], o["err_w2s"][:, _j]])),
        ladders=LADDERS, components=_COMP4, finite_size=1.0, finite_size_reason=FS_REASON, family=FAMILY,
        setup=SETUP))


def _zero4(p):
    return [0.0, 0.0, 0.0, 0.0]


REGISTRY.add(Claim(
    id="repr.prediction-gap.simulation-minus-formula",
    title=("(★): the prediction gap equals ||P_s (I - P_w) y^||^2/n^ on the same split (and the three error "
           "identities)"),
    statement=("Per replicate, the simulated E_x[(f_w2s - f_sc)^2] minus ||P_s (I - P_w) y^||^2/n^, and Err_w, Err_sc, "
               "Err_w2s minus ||(I - P_w) y^||^2/n^, ||(I - P_s) y^||^2/n^, ||y^ - P_s P_w y^||^2/n^ (smoothers "
               "P = K_P (K_P + (beta + gamma) I)^{-1}, K_P = H^ H^^T/n^ on the W2S split), tend to 0 as n^ = n~ -> inf "
               "with D/n^ -> inf (nested weak model; resolution relative to the population values)."),
    source=SOURCE + " §2.2 (★), §2.3", provenance=PROV, params=dict(_BASE, weak="nested"), predict=_zero4,
    simulate=SHARED.observe(lambda o: np.column_stack(
        [o["pred_gap"][:, 0] - o["f_pred_gap"][:, 0], o["err_w"][:, 0] - o["f_err_w"][:, 0],
         o["err_sc"] - o["f_err_sc"][:, 0], o["err_w2s"][:, 0] - o["f_err_w2s"][:, 0]])),
    ladders=LADDERS, components=tuple(f"{c}(sim)-formula" for c in _COMP4),
    scale=tuple(_pop_vec(_BASE, NESTED)), finite_size=1.0,
    finite_size_reason=("both sides converge to the population limit with O(1/n) mean corrections (an in-sample "
                        "residual is optimistic, a test error pessimistic, each by O(r/n)); " + FS_REASON),
    falsifier=0.05, family=FAMILY, setup=SETUP))


def _split_predict(p):
    P = population(p, NESTED)
    return [P.pred_gap, P.corrected, P.cross]


REGISTRY.add(Claim(
    id="repr.error-split.population-limit",
    title="The weak error on the W2S split splits into an inherited part (★) and a corrected part",
    statement=("e_w = (I - P_w) y^ = P_s e_w (inherited, = (★)) + (I - P_s) e_w (corrected: never reproduced by the "
               "W2S model at test time). As n^ -> inf: ||P_s e_w||^2/n^ -> ||R_s (I - R_w) a||^2, "
               "||(I - P_s) e_w||^2/n^ "
               "-> ||(I - R_s)(I - R_w) a||^2 + sigma2 (all label noise is corrected), and the cross term 2 <P_s e_w, "
               "(I - P_s) e_w>/n^ -> 2 a^T (I - R_w) R_s (I - R_s) (I - R_w) a (nested weak model)."),
    source=SOURCE + " §2.3 (error correction, derived reading of the abstract)", provenance=PROV,
    params=dict(_BASE, weak="nested"), predict=_split_predict,
    simulate=SHARED.observe(lambda o: np.column_stack(
        [o["f_pred_gap"][:, 0], o["f_corrected"][:, 0], o["f_cross"][:, 0]])),
    ladders=LADDERS, components=("inherited", "corrected", "cross"), finite_size=1.0,
    finite_size_reason="smooth functionals of the W2S split's fixed-dimension sample covariance: O(1/n) mean "
    "corrections (no D dependence: the regularisers beta + gamma are exact by construction)",
    family=FAMILY, setup=SETUP))


def _pgr_predict(p):
    P = population(p, MISALIGNED)
    return [P.err_w - P.err_w2s, P.pgr]


REGISTRY.add(Claim(
    id="repr.w2s-beats-weak.misaligned",
    title="A weak model whose errors lie outside the strong span is beaten by its W2S student (PGR > 0)",
    statement=("Misaligned weak model (three of its directions lean out of the strong span by pi/6): Err_w - Err_w2s "
               "-> ||(I - R_w) a||^2 - ||(I - R_s R_w) a||^2 > 0 (sign resolved) and PGR = (Err_w - Err_w2s)/(Err_w - "
               "Err_sc) -> its population value (per replicate ratio)."),
    source=SOURCE + " §2.3 (criterion, PGR)", provenance=PROV, params=dict(_BASE, weak="misaligned"),
    predict=_pgr_predict,
    simulate=SHARED.observe(lambda o: np.column_stack(
        [o["err_w"][:, 1] - o["err_w2s"][:, 1],
         (o["err_w"][:, 1] - o["err_w2s"][:, 1]) / (o["err_w"][:, 1] - o["err_sc"])])),
    ladders=LADDERS, components=("Err_w-Err_w2s", "PGR"), sign=(True, False), finite_size=1.0,
    finite_size_reason=FS_REASON + "; the PGR is a smooth ratio of such means (denominator bounded away from 0)",
    falsifier=0.2, family=FAMILY, setup=SETUP))


# ----- label-free metric, Frobenius variant, across the weak family (docs/representations.md §2.4) --------------------

def _frob_predict(p):
    return [population(p, s).metric_frob for _, s in WEAK_FAMILY]


def _frob_simulate(p, n, rng, reps):
    """The metric needs the representations on D^ only: Z^ (n x p) Gaussian, no labels, no non-principal part."""
    As = strong_matrix(p["p"])
    Aws = [weak_of(s) for _, s in WEAK_FAMILY]
    out = np.empty((reps, len(Aws)))
    for r in range(reps):
        Z = rng.standard_normal((n, p["p"]))
        Hs = Z @ As.T
        for j, (A, (_, s)) in enumerate(zip(Aws, WEAK_FAMILY)):
            out[r, j] = T.label_free_metric(Z @ A.T, Hs, reg_w(p, s["beta_w"]), reg_s(p))[1]
    return out


REGISTRY.add(Claim(
    id="repr.label-free-metric.frobenius.population-limit",
    title="The label-free metric ||P_s (I - P_w)||_F^2 converges to ||R_s (I - R_w)||_F^2 for ten weak models",
    statement=("For each weak model of the ranking family (rank 2-8, directions inside or leaning out of the strong "
               "span, beta_w up to 1), ||P_s (I - P_w)||_F^2 computed from the representations on D^ alone tends to "
               "||R_s (I - R_w)||_F^2 as n^ -> inf. These limits order the weak models as their population Err_w2s "
               "does up to two near-ties (Spearman 0.96; figure representations_metric_vs_error). The operator norm is "
               "shown only: its limit is the same 0.9707 for seven of the ten models (a strong direction missed "
               "entirely; docs/representations.md §2.4), with near-degenerate top singular values."),
    source=SOURCE + " §2.4 (metric RECONSTRUCTED; Frobenius variant un-normalised)", provenance=PROV,
    params=dict(_BASE, weak="ranking family"), predict=_frob_predict, simulate=_frob_simulate,
    ladders={"fast": Ladder(d=(200, 400, 800, 1600, 3200), reps=(200, 200, 200, 200, 200)),
             "full": Ladder(d=(200, 400, 800, 1600, 3200, 6400), reps=(800, 800, 800, 800, 800, 400))},
    components=tuple(f"||.||_F^2 {name}" for name, _ in WEAK_FAMILY), finite_size=1.0,
    finite_size_reason=("a smooth function of the fixed-dimension sample covariance Z^T Z/n (mean correction "
                        "O(p/n)); no labels and no non-principal part enter"),
    family=FAMILY, setup=("ladder axis = n^; the W2S split's latents only (representations A z on D^); model as the "
                          "other repr claims; weak family WEAK_FAMILY of w2s.validation.claims.representations")))


# ----- the tridiagonal simulator against the Bartlett-Gram and explicit-feature simulators --------------------------

def _law_simulate(p, n, rng, reps):
    """Per replicate, the three simulators see the same latents and label noise (common random numbers: each
    marginal law is exact, so the mean difference stays 0 while its variance drops) and independent non-principal
    parts."""
    out = np.empty((reps, 4))
    for r in range(reps):
        seed = int(rng.integers(2**63))
        t, g, e = (simulate_family(p, n, rng, 1, (NESTED,), method=m, formulas=False,
                                   data_rng=np.random.default_rng(seed)) for m in ("tridiagonal", "gram", "explicit"))
        out[r] = [t["pred_gap"][0, 0] - g["pred_gap"][0, 0], t["err_w2s"][0, 0] - g["err_w2s"][0, 0],
                  t["pred_gap"][0, 0] - e["pred_gap"][0, 0], t["err_w2s"][0, 0] - e["err_w2s"][0, 0]]
    return out


_POP_N = population(_BASE, NESTED)
REGISTRY.add(Claim(
    id="repr.gram-simulator.exact-in-law",
    title="The tridiagonal (O(n)) simulator has the law of the Bartlett-Gram and explicit-feature simulators",
    statement=("At every n and D: E[PredGap] and E[Err_w2s] of the tridiagonal simulator (conditional Gaussian cross "
               "term, Dumitriu-Edelman frame) equal those of the Bartlett-decomposition Gram simulator over D~ ∪ D^ "
               "and "
               "of explicit D-dimensional features (independent draws; difference predicted 0; resolution relative "
               "to the population values)."),
    source=SOURCE + " §3 (simulation in kernel form)", provenance="DERIVED (identities in law; kernels module "
    "docstring) in the model of docs/representations.md §1.3", params=dict(_BASE, weak="nested"),
    predict=lambda p: [0.0] * 4, simulate=_law_simulate,
    ladders={"fast": Ladder(d=(24, 48), reps=(1000, 1000)), "full": Ladder(d=(24, 48, 96), reps=(2000, 2000, 1000))},
    components=("PredGap(tri-gram)", "Err_w2s(tri-gram)", "PredGap(tri-explicit)", "Err_w2s(tri-explicit)"),
    scale=(_POP_N.pred_gap, _POP_N.err_w2s) * 2, finite_size=0.0,
    finite_size_reason="identities in law: the difference of means is 0 at every size", falsifier=0.05,
    family=FAMILY, setup=("ladder axis = n = n~ = n^ (small: the reference simulators cost O(n^3) and O(n^2 D)), "
                          "D = n^2; nested weak model, otherwise as the other repr claims")))


# ----- the label-free metric ranks weak models as their W2S errors do (docs/representations.md §2.6) ----------------

#: strong scales chosen so that the population ridge operator R_s has the well-separated eigenvalues 0.95, 0.85, ...,
#: 0.15 on e_1..e_9 (s_j^2 = reg_s R_j/(1 - R_j))
RANK_R_S = tuple(np.linspace(0.95, 0.15, 9))
_RANK = dict(_BASE, strong_scales=tuple(float(np.sqrt(0.051 * r / (1 - r))) for r in RANK_R_S))
#: weak models: nested of rank 1..8 with scale 2 on e_1..e_r; in this order the population operator norm is
#: R_s,(r+1) (gaps 0.1, top singular gap of R_s(I - R_w) 0.1: no near-degeneracy), and Frobenius norm and Err_w2s fall
RANK_FAMILY = tuple((f"rank {r}", dict(dirs=tuple(range(r)), scales=(2.0,) * r, theta=0.0, beta_w=1e-3))
                    for r in range(1, 9))
_RANK_KEYS = (("op", "metric_op"), ("frob", "metric_frob"), ("err_w2s", "err_w2s"))


def ranking_values(p) -> np.ndarray:
    """Population ``(||R_s(I - R_w)||_op, ||R_s(I - R_w)||_F^2, Err_w2s)`` per weak model of RANK_FAMILY: ``(8, 3)``."""
    return np.array([[getattr(population(p, s), attr) for _, attr in _RANK_KEYS] for _, s in RANK_FAMILY])


def _rank_predict(p, values=None):
    v = ranking_values(p) if values is None else values
    return list((v[:-1] - v[1:]).ravel())  # per adjacent pair (rank r, rank r + 1): op, frob, err_w2s differences


def _rank_simulate(p, n, rng, reps):
    out = simulate_family(p, n, rng, reps, [s for _, s in RANK_FAMILY])
    v = np.stack([out["metric_op"], out["metric_frob"], out["err_w2s"]], axis=2)  # (reps, 8, 3)
    return (v[:, :-1] - v[:, 1:]).reshape(reps, -1)


#: shared so that the claim and its deliberately wrong variants (validation/test_representations.py) see one draw
RANK_SIM = SharedSimulation("representations.rank-family",
                            lambda p, n, rng, reps: {"diff": _rank_simulate(p, n, rng, reps)},
                            dict(_RANK, weak="rank family"))
_RANK_PRED = _rank_predict(_RANK)
#: the differences share every draw (common random numbers), so their sd per replicate is 0.003-0.04 against means
#: 0.036-0.10; a 1/n extrapolation from n = 200 resolves each to about 7-8% (measured at seeds 0-3), so a 20% error of
#: a difference is the declared falsifier, and every sign is resolved by many standard errors
RANK_FALSIFIER = 0.2
REGISTRY.add(Claim(
    id="repr.label-free-metric.ranks-weak-models",
    title="The label-free metric orders eight weak models as their W2S errors do (operator and Frobenius norms)",
    statement=("For nested weak models of rank 1..8 against a strong model whose ridge operator has eigenvalues 0.95, "
               "0.85, ..., 0.15, the population differences of ||P_s(I - P_w)||_op, of ||P_s(I - P_w)||_F^2 and of "
               "Err_w2s between consecutive ranks are all positive and their signs are resolved: both metrics order "
               "the weak models as their W2S errors do, pair by pair (adjacent pairs; the other pairs follow by "
               "transitivity)."),
    source=SOURCE + " §2.4, §2.6 (metric RECONSTRUCTED)", provenance=PROV + "; ranking family proposed here",
    params=dict(_RANK, weak="rank family"), predict=_rank_predict, simulate=RANK_SIM.observe(lambda raw: raw["diff"]),
    # Eight times the first ladder's replicates (200 ... 40; the claim costs ~1.5 CPU s per 400 replicates): the
    # operator norm is a maximum over singular values 0.1 apart, so its differences are skewed, and with 40-200
    # replicates a rung's mean scattered by 2-4 of its SEs; the fit variants then gave a systematic error 2-3 times the
    # statistical one and the falsifier was detected with power 0.15 in the first calibration seed.
    ladders={"fast": Ladder(d=(200, 400, 800, 1600), reps=(1600, 800, 480, 320)),
             "full": Ladder(d=(200, 400, 800, 1600, 3200), reps=(3200, 1600, 960, 640, 320))},
    components=tuple(f"{k}(r={r})-{k}(r={r + 1})" for r in range(1, 8) for k, _ in _RANK_KEYS),
    sign=(True,) * (3 * 7), finite_size=1.0, finite_size_reason=FS_REASON, falsifier=RANK_FALSIFIER,
    family=FAMILY, setup=SETUP.replace("A_s = diag(linspace(2, 0.6, 9))", "A_s with R_s = diag(0.95, 0.85, ..., 0.15)")
    .replace("A_w = diag(2, 1.5, 1, 0.8) on e_1..e_4 (nested) or leaning out of the strong span by pi/6 "
             "(misaligned)", "A_w = 2 I on e_1..e_r, r = 1..8")))

REGISTRY.add_shown(Shown(
    id="repr.shown.operator-norm-metric",
    title="The label-free metric ||P_s(I - P_w)||_op ranks weak models by W2S error",
    reason=("its population limit has nearly degenerate top singular values in this family (0.971 vs 0.961 for the "
            "nested model; 0.9707 for seven of ten weak models), so its finite-n bias is not O(1/n); mean "
            "per-replicate Spearman with Err_w2s 0.61 (Frobenius variant 0.96, whose limit is certified). Missing for a "
            "pairwise ranking certificate: a weak-model family of >= 8 models whose operator-norm limits differ by "
            ">= 0.02 (five resolutions at n = 3200) with a top singular gap of R_s(I - R_w) >= 0.05 each, so that the "
            "pairwise differences are smooth O(1/n) statistics, and the W2S-error differences of the same pairs as "
            "sign components; no real-data check is shipped (scikit-learn is not a dependency)"),
    family=FAMILY, figure="representations_metric_vs_error.png"))
REGISTRY.add_shown(Shown(
    id="repr.shown.rank-correlations",
    title="Spearman((★), simulated PredGap) -> 1 and Spearman(metric, Err_w2s) high across weak models",
    reason=("per replicate the rank correlation of (★) with the simulated gap is 0.987 and tends to 1 with a variance "
            "that vanishes faster than any power of n: the ladder model E = Q + a n^-alpha with Gaussian rung means "
            "does not apply"),
    family=FAMILY, figure="representations_predgap_scatter.png"))




# ==============================================================================================================
# Figures for the representations family (Xue et al. 2025; docs/representations.md): formula against
# simulation, and the label-free metric against the W2S error across weak models (shown, not certified).
#
# Makers: ``maker(run, figdir, seed) -> [(path, caption), ...]``, each with a small seeded simulation (seconds).
# ==============================================================================================================


SPECS = [s for _, s in WEAK_FAMILY]
NAMES = [name for name, _ in WEAK_FAMILY]


def predgap_scatter(run, figdir: Path, seed: int):
    """(★) on the W2S split against the simulated prediction gap, per replicate, for every weak model."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.6), dpi=110)
    hi = 0.0
    for k, n in enumerate((100, 400, 1600)):
        o = simulate_family(_BASE, n, generator(seed, f"figure:repr:scatter:{n}"), 12, SPECS)
        ax.plot(o["f_pred_gap"].ravel(), o["pred_gap"].ravel(), "o", ms=2.5, alpha=0.6, color=f"C{k}",
                label=f"n = {n}, D = n^2")
        hi = max(hi, o["pred_gap"].max(), o["f_pred_gap"].max())
    pops = [population(_BASE, s).pred_gap for s in SPECS]
    ax.plot(pops, pops, "k+", ms=9, label="population limits ||R_s(I - R_w)a||^2")
    ax.plot([0, hi], [0, hi], "k--", lw=0.8, label="identity")
    ax.set_xlabel("(★) ||P_s (I - P_w) y^||^2 / n^  (same split)")
    ax.set_ylabel("simulated E_x[(f_w2s - f_sc)^2]")
    ax.set_title("Prediction gap: formula vs simulation, 10 weak models x 12 replicates", fontsize=8)
    ax.legend(fontsize=7)
    path = save(fig, figdir / "representations_predgap_scatter.png")
    return [(path, "Representations (Xue et al.): the formula (★) on the W2S split against the simulated prediction "
                   "gap, per replicate, for ten weak models, at n = 100, 400, 1600 (D = n^2). The points close in on "
                   "the identity as n grows (certified: repr.prediction-gap.simulation-minus-formula for the nested "
                   "model).")]


def metric_vs_error(run, figdir: Path, seed: int):
    """Label-free metric against Err_w2s across the weak family, with Spearman correlations (shown only)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=110)
    n, reps = 800, 40
    o = simulate_family(_BASE, n, generator(seed, "figure:repr:metric"), reps, SPECS)
    m_op, m_fr, e2 = o["metric_op"].mean(0), o["metric_frob"].mean(0), o["err_w2s"].mean(0)
    rho_op = np.mean([spearmanr(o["metric_op"][r], o["err_w2s"][r])[0] for r in range(reps)])
    rho_fr = np.mean([spearmanr(o["metric_frob"][r], o["err_w2s"][r])[0] for r in range(reps)])
    rho_star = np.mean([spearmanr(o["f_pred_gap"][r], o["pred_gap"][r])[0] for r in range(reps)])
    pops = [population(_BASE, s) for s in SPECS]
    rho_pop = spearmanr([P.metric_op for P in pops], [P.err_w2s for P in pops])[0]
    for ax, m, lab, rho in ((axes[0], m_op, "||P_s (I - P_w)||_op", rho_op),
                            (axes[1], m_fr, "||P_s (I - P_w)||_F^2", rho_fr)):
        ax.plot(m, e2, "o", ms=5)
        for x, y, name in zip(m, e2, NAMES):
            ax.annotate(name, (x, y), fontsize=6, xytext=(3, 2), textcoords="offset points")
        ax.set_xlabel(f"label-free metric {lab}")
        ax.set_ylabel("Err_w2s (simulated, mean)")
        ax.set_title(f"Spearman per replicate, mean: {rho:.2f}", fontsize=8)
    fig.suptitle(f"n = {n}, D = n^2, {reps} replicates; Spearman((★), PredGap_sim) = {rho_star:.3f}; population "
                 f"Spearman(M_op, Err_w2s) = {rho_pop:.2f}", fontsize=8)
    path = save(fig, figdir / "representations_metric_vs_error.png")
    return [(path, f"Representations, shown not certified: the label-free metric against the W2S test error across ten "
                   f"weak models (rank, directions, lean out of the strong span, ridge). Mean per-replicate Spearman: "
                   f"operator norm {rho_op:.2f}, Frobenius {rho_fr:.2f}; (★) against the simulated prediction gap "
                   f"{rho_star:.3f}. The operator norm saturates near 1 for weak models that miss a strong direction "
                   f"entirely (docs/representations.md §2.4).")]


# ----- real-data check: scikit-learn's bundled digits (shown only; optional extra "examples") ---------------------

DIGITS_WEAK = tuple(("pca", k) for k in (2, 4, 8, 16, 32)) + tuple(("random projection", k) for k in (4, 8, 16, 32))


def digits_check(seed: int):
    """The label-free metric from real representations against the measured W2S test error, per weak model.

    Data: the 1797 8x8 digits bundled with scikit-learn, target ``y`` = the digit's value, standardised. Splits:
    weak training (D~), W2S (D^) and test, a third each (seeded permutation). Strong representation: 512 random
    Fourier features of the standardised pixels (RBF, ``gamma = 1/64``); weak ones: the top-``k`` pixel principal
    components (fitted on D~) or ``k`` Gaussian random projections of the pixels. Heads: ridge with the ``1/n`` loss
    and ``reg = 0.01 tr(K)/n`` for each representation's centred kernel ``K = H H^T/n`` on its training split; the
    metric uses the same ``reg`` on D^ (docs/representations.md §2.4, §2.7). Returns ``(names, metric_op,
    metric_frob, err_w2s)`` or ``None`` with a one-line reason when scikit-learn is absent."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.decomposition import PCA
        from sklearn.kernel_approximation import RBFSampler
    except ImportError:
        return None
    rng = generator(seed, "figure:repr:digits")
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / np.maximum(X.std(0), 1e-12)
    y = (y - y.mean()) / y.std()
    idx = rng.permutation(len(y))
    tr, w2s, te = np.array_split(idx, 3)
    strong = RBFSampler(gamma=1.0 / 64, n_components=512, random_state=int(rng.integers(2**31))).fit(X[tr])

    def ridge(H, t, reg):
        mu = H.mean(0)
        Hc = H - mu
        theta = np.linalg.solve(Hc.T @ Hc / len(t) + reg * np.eye(H.shape[1]), Hc.T @ (t - t.mean()) / len(t))
        return lambda G: (G - mu) @ theta + t.mean()

    def reg_of(H):
        Hc = H - H.mean(0)
        return 0.01 * np.sum(Hc * Hc) / len(H)

    Hs = strong.transform(X)
    reg_s = reg_of(Hs[w2s])
    names, m_op, m_fr, err = [], [], [], []
    for kind, k in DIGITS_WEAK:
        if kind == "pca":
            Hw = PCA(n_components=k, random_state=0).fit(X[tr]).transform(X)
        else:
            Hw = X @ rng.standard_normal((X.shape[1], k)) / np.sqrt(X.shape[1])
        reg_w = reg_of(Hw[tr])
        f_w = ridge(Hw[tr], y[tr], reg_w)
        f_w2s = ridge(Hs[w2s], f_w(Hw[w2s]), reg_s)
        err.append(float(np.mean((f_w2s(Hs[te]) - y[te]) ** 2)))
        Hwc, Hsc = Hw[w2s] - Hw[w2s].mean(0), Hs[w2s] - Hs[w2s].mean(0)
        op, fr = T.label_free_metric(Hwc, Hsc, reg_w, reg_s)
        names.append(f"{kind} {k}")
        m_op.append(op)
        m_fr.append(fr)
    return names, np.array(m_op), np.array(m_fr), np.array(err)


def digits_metric_vs_error(run, figdir: Path, seed: int):
    out = digits_check(seed)
    if out is None:
        import sys
        print("representations_digits_metric.png skipped: scikit-learn is not installed (pip install "
              "'w2s-certify[examples]')", file=sys.stderr)
        return []
    names, m_op, m_fr, err = out
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=110)
    for ax, m, label in ((axes[0], m_op, "||P_s(I - P_w)||_op"), (axes[1], m_fr, "||P_s(I - P_w)||_F^2")):
        rho = spearmanr(m, err)[0]
        for i, name in enumerate(names):
            ax.plot(m[i], err[i], "o" if name.startswith("pca") else "s", color="C0" if name.startswith("pca") else "C1")
            ax.annotate(name, (m[i], err[i]), fontsize=6)
        ax.set_xlabel(label)
        ax.set_ylabel("measured Err_w2s (test MSE, standardised digit value)")
        ax.set_title(f"digits: Spearman(metric, Err_w2s) = {rho:.2f}", fontsize=8)
    path = save(fig, figdir / "representations_digits_metric.png")
    return [(path, "Representations, shown only: the label-free metric from real representations of scikit-learn's "
                   "digits (weak: pixel PCA and random projections; strong: 512 random Fourier features) against the "
                   "measured W2S test error, with the Spearman correlations across the nine weak models.")]


REGISTRY.add_shown(Shown(
    id="repr.shown.digits-real-data",
    title="On real representations (scikit-learn digits) the label-free metric tracks the measured W2S error",
    reason=("one data set of 1797 images split in three: no dimension ladder, hence no limit to certify; measured "
            "across nine weak models (pixel PCA k = 2..32, random projections k = 4..32; strong: 512 random Fourier "
            "features), Spearman(metric, Err_w2s) = 0.87, 0.92, 0.82, 0.98 (operator norm) and 0.88, 0.93, 0.92, "
            "0.98 (Frobenius) at seeds 0-3; needs the optional extra 'examples' (scikit-learn)"),
    family=FAMILY, figure="representations_digits_metric.png"))


# ----- figures of the family, drawn into the report --------------------------------------------------------------
for _maker in (predgap_scatter, metric_vs_error, digits_metric_vs_error):
    REGISTRY.add_figure(FAMILY, _maker)
