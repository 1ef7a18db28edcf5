r"""Claims of the intrinsic-dimension family (Dong et al. 2025, arXiv 2502.05075; docs/intrinsic_dimension.md).

Every prediction is DERIVED under the setup of docs/intrinsic_dimension.md §1 (a RECONSTRUCTED instance of the
paper's model: ridgeless regression on weak and strong feature subspaces of isotropic Gaussian inputs). Closed
forms: :mod:`w2s.theory.intrinsic_dimension`; simulators: :mod:`w2s.kernels.intrinsic_dimension`.

Geometry (the canonical frame of :func:`w2s.theory.intrinsic_dimension.canonical_subspaces`): ``d_s = 10``,
``d_w = 20``, principal cosines squared ``cos2`` of the strong space against the weak one; ``nested`` (all 1,
``d_sw = 10``), ``partial`` (five 1s, five 0s, ``d_sw = 5``) and ``fractional`` (``d_sw = 6.681``, the value of
docs §6's check); the target ``beta* = e_1`` lies in the intersection, except in the ``biased`` case
(``beta* = 0.6 e_1 + 0.5 e_10 + 0.3 e_31``: partly outside the weak space and partly outside both).

Certified:

* ``intrinsic-dim.exact-risks.*``: the exact finite-sample risks of teacher, W2S student and ceiling (exact at
  every size: one rung of batch means of the exact reduced sampler);
* ``intrinsic-dim.exact-risks.explicit-simulator.biased``: the same forms from explicit Gaussian inputs in
  ``D = 31`` and ``62`` dimensions (least squares by QR): the reduced sampler's law and the ``D``-invariance;
* ``intrinsic-dim.large-n-N.joint-ladder``: ``n ER_w -> sigma2 d_w``, ``n ER_c -> sigma2 d_s``,
  ``n ER_w2s -> sigma2 d_sw`` and the shrunk discrepancy ``n N E||beta_w2s - P_s beta_w||^2 -> sigma2 d_s (d_w -
  d_sw)`` along ``n``, ``N = 0.4 n``;
* ``intrinsic-dim.pgr-limit.*``: ``n [(ER_w - ER_w2s) - PGR_inf (ER_w - ER_c)] -> 0`` with ``PGR_inf = (d_w - d_sw)
  / (d_w - d_s)``, on the same draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.kernels.intrinsic_dimension import simulate_bartlett, simulate_explicit
from w2s.kernels.rng import generator
from w2s.theory import intrinsic_dimension as T
from w2s.validation.plotting import pyplot, save
from w2s.validation.registry import REGISTRY, Claim, Ladder, SharedSimulation, Shown

FAMILY = "intrinsic_dimension"
SOURCE = "Dong, Li, Li, Lee, Lei 2025, arXiv 2502.05075; docs/intrinsic_dimension.md"
PROV = "DERIVED under the setup of docs/intrinsic_dimension.md §1 (setup RECONSTRUCTED)"

#: Inner replicates averaged into one observation: the runner's blocks hold 50 observations, and a resolution
#: of a few 0.1% needs ~1e5 draws, so one observation is the mean of BATCH independent draws (still iid).
BATCH = 500

D_S, D_W = 10, 20
GEOMETRIES = {
    "nested": (1.0,) * 10,
    "partial": (1.0,) * 5 + (0.0,) * 5,
    "fractional": (1.0, 1.0, 1.0, 0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.181),
}
M = D_S + D_W + 1  # dimension of the canonical frame


def target(kind: str) -> tuple[float, ...]:
    """``beta*`` in the canonical frame: ``e_1`` (in the intersection) or the biased target."""
    b = np.zeros(M)
    if kind == "shared":
        b[0] = 1.0
    else:  # 0.6 e_1 + 0.5 e_10 (strong only, for cos2_10 < 1) + 0.3 e_31 (outside both)
        b[0], b[D_S - 1], b[M - 1] = 0.6, 0.5, 0.3
    return tuple(b)


def frame(p):
    V_s, V_w = T.canonical_subspaces(int(p["d_s"]), int(p["d_w"]), p["cos2"])
    beta = np.asarray(p["beta"], float)
    if beta.shape != (V_s.shape[0],):
        raise ValueError(f"beta must have d_s + d_w + 1 = {V_s.shape[0]} entries, got {beta.shape[0]}")
    return V_s, V_w, beta


def risks(p, n=None, N=None) -> T.Risks:
    V_s, V_w, beta = frame(p)
    return T.excess_risks(d_s=p["d_s"], d_w=p["d_w"], d_sw=T.overlap_dim(V_s, V_w), n=p["n"] if n is None else n,
                          N=p["N"] if N is None else N, sigma2=p["sigma2"], **T.bias_terms(V_s, V_w, beta))


def _batched(fn, p, rng, reps, batch=BATCH, **kw):
    """``(reps, 5)`` means of ``batch`` draws each."""
    V_s, V_w, beta = frame(p)
    out = fn(V_s, V_w, beta, sigma2=p["sigma2"], rng=rng, reps=reps * batch, **kw)
    return out.reshape(reps, batch, -1).mean(1)


# ----- exact finite-sample risks -------------------------------------------------------------------------------------

def _exact_predict(p):
    r = risks(p)
    return [r.teacher, r.w2s, r.ceiling]


def _exact_simulate(p, d, rng, reps):
    return _batched(simulate_bartlett, p, rng, reps, n=int(p["n"]), N=int(p["N"]))[:, :3]


EXACT_POINTS = [("nested", "nested", "shared"), ("partial", "partial", "shared"),
                ("fractional", "fractional", "shared"), ("biased", "fractional", "biased")]

for _name, _geo, _tgt in EXACT_POINTS:
    _p = dict(d_s=D_S, d_w=D_W, cos2=GEOMETRIES[_geo], beta=target(_tgt), n=100, N=40, sigma2=1.0)
    _r = risks(_p)
    REGISTRY.add(Claim(
        id=f"intrinsic-dim.exact-risks.{_name}",
        title=f"Exact finite-sample risks of teacher, W2S student and strong ceiling ({_name}: d_sw = "
              f"{sum(GEOMETRIES[_geo]):.3f}{', biased target' if _tgt == 'biased' else ''})",
        statement=("E||beta_w - beta*||^2 = bias_w + (sigma2 + bias_w) d_w/(n - d_w - 1); E||beta_c - beta*||^2 = bias_s "
                   "+ (sigma2 + bias_s) d_s/(n - d_s - 1); E||beta_w2s - beta*||^2 = bias_s + bias_sw + (sigma2 + "
                   "bias_w) d_sw/(n - d_w - 1) + [bias_disc + (sigma2 + bias_w)(d_w - d_sw)/(n - d_w - 1)] d_s/(N - "
                   "d_s - 1): the student keeps the teacher's variance on the overlap and shrinks the rest by "
                   f"d_s/(N - d_s - 1). Here ER_w = {_r.teacher:.4f}, ER_w2s = {_r.w2s:.4f}, ER_c = {_r.ceiling:.4f}."),
        source=SOURCE + " §2.1-2.3", provenance=PROV + "; exact inverse-Wishart moments", params=_p,
        predict=_exact_predict, simulate=_exact_simulate,
        ladders={"fast": Ladder(d=(100,), reps=(300,)), "full": Ladder(d=(100,), reps=(1200,))},
        components=("ER_w", "ER_w2s", "ER_c"), finite_size=0.0,
        finite_size_reason="an exact finite-sample expectation (inverse-Wishart mean): one rung suffices",
        falsifier=0.05, family=FAMILY,
        setup=(f"ladder axis = n (one rung, n = 100, N = 40, sigma2 = 1); d_s = 10, d_w = 20, cos2 = {GEOMETRIES[_geo]}; "
               f"beta* = {'e_1' if _tgt == 'shared' else '0.6 e_1 + 0.5 e_10 + 0.3 e_31'}; exact reduced sampler "
               f"(Bartlett factors), each observation the mean of {BATCH} draws")))


def _explicit_simulate(p, D, rng, reps):
    return _batched(simulate_explicit, p, rng, reps, batch=10, n=int(p["n"]), N=int(p["N"]), D=int(D))[:, :3]


_PB = dict(d_s=D_S, d_w=D_W, cos2=GEOMETRIES["fractional"], beta=target("biased"), n=100, N=40, sigma2=1.0)
REGISTRY.add(Claim(
    id="intrinsic-dim.exact-risks.explicit-simulator.biased",
    title="The exact risks from explicit Gaussian inputs in D = 31 and 62 dimensions (biased target)",
    statement=("The forms of intrinsic-dim.exact-risks.biased hold for explicit least-squares fits on Gaussian inputs in "
               "R^D, whatever D: this checks the reduced sampler's independence steps and the rotation/D-invariance."),
    source=SOURCE + " §2.1-2.3, §3", provenance=PROV + "; exact inverse-Wishart moments", params=_PB,
    predict=_exact_predict, simulate=_explicit_simulate,
    ladders={"fast": Ladder(d=(31, 62), reps=(150, 150)), "full": Ladder(d=(31, 62, 124), reps=(400, 400, 400))},
    components=("ER_w", "ER_w2s", "ER_c"), finite_size=0.0,
    finite_size_reason="exact at every n and every D >= 31: the rungs (D) must agree", falsifier=0.10,
    family=FAMILY, setup=("ladder axis = ambient dimension D (Haar-rotated frame); n = 100, N = 40, sigma2 = 1; "
                          "least squares by batched QR; each observation the mean of 10 draws")))


# ----- large n, N: joint ladder, and the PGR limit ----------------------------------------------------------------

RATIO_N = 0.4  # N = 0.4 n along the joint ladder


def _ladder_raw(p, n, rng, reps):
    N = int(round(RATIO_N * n))
    o = _batched(simulate_bartlett, p, rng, reps, n=int(n), N=N)
    return {"n": np.full(reps, float(n)), "N": np.full(reps, float(N)), "draws": o}


def asymptotic_observe(p, raw):
    """Per observation: ``(n ER_w, n ER_c, n ER_w2s, n N disc) / sigma2``."""
    o, n, N = raw["draws"], raw["n"][:, None], raw["N"][:, None]
    return np.column_stack([n[:, 0] * o[:, 0], n[:, 0] * o[:, 2], n[:, 0] * o[:, 1], (n * N)[:, 0] * o[:, 4]]) / p["sigma2"]


def pgr_observe(p, raw, pgr_inf):
    """Per observation: ``n [(ER_w - ER_w2s) - pgr_inf (ER_w - ER_c)] / sigma2`` (mean -> 0 iff PGR -> pgr_inf)."""
    o, n = raw["draws"], raw["n"]
    return n * ((o[:, 0] - o[:, 1]) - pgr_inf * (o[:, 0] - o[:, 2])) / p["sigma2"]


def _asym_predict(p):
    V_s, V_w, _ = frame(p)
    d_sw = T.overlap_dim(V_s, V_w)
    return [p["d_w"], p["d_s"], d_sw, p["d_s"] * (p["d_w"] - d_sw)]


def _pgr_inf(p):
    V_s, V_w, _ = frame(p)
    return T.pgr_limit(d_s=p["d_s"], d_w=p["d_w"], d_sw=T.overlap_dim(V_s, V_w))


JOINT = {"fast": Ladder(d=(800, 1600, 3200, 6400), reps=(100, 100, 100, 100)),
         "full": Ladder(d=(800, 1600, 3200, 6400, 12800, 25600), reps=(300, 300, 300, 300, 300, 300))}
_FS_REASON = ("n/(n - d - 1) = 1 + (d + 1)/n + O(n^-2) and N = 0.4 n: a 1/n correction; the ladder starts at "
              "n = 800 so that the O(n^-2) term ((d_s + 1)^2/N^2 = 0.1% for the shrunk part) stays below the errors")

for _geo in ("fractional", "partial"):
    _p = dict(d_s=D_S, d_w=D_W, cos2=GEOMETRIES[_geo], beta=target("shared"), sigma2=1.0)
    _shared = SharedSimulation(f"intrinsic-dim.joint-ladder.{_geo}", _ladder_raw, _p)
    _d_sw = sum(GEOMETRIES[_geo])
    if _geo == "fractional":
        REGISTRY.add(Claim(
            id="intrinsic-dim.large-n-N.joint-ladder",
            title="Large n, N: the student keeps sigma2 d_sw/n and shrinks the discrepancy by d_s/N",
            statement=("Along n -> inf with N = 0.4 n: n ER_w -> sigma2 d_w, n ER_c -> sigma2 d_s, n ER_w2s -> sigma2 d_sw, "
                       "and the student's own error on the discrepancy, E||beta_w2s - P_s beta_w||^2 ~ (sigma2/n)(d_s/N)"
                       "(d_w - d_sw), i.e. n N E||beta_w2s - P_s beta_w||^2 -> sigma2 d_s (d_w - d_sw) (the large-n, N "
                       "form ER_w2s ~ (sigma2/n)[d_sw + (d_s/N)(d_w - d_sw)])."),
            source=SOURCE + " §2.4", provenance=PROV, params=_p, predict=_asym_predict,
            simulate=_shared.observe(lambda raw, _p=_p: asymptotic_observe(_p, raw)), ladders=JOINT,
            components=("n ER_w", "n ER_c", "n ER_w2s", "n N disc"), finite_size=1.0, finite_size_reason=_FS_REASON,
            falsifier=0.05, family=FAMILY,
            setup=(f"ladder axis = n, N = 0.4 n; d_s = 10, d_w = 20, d_sw = {_d_sw:.3f}; beta* = e_1, sigma2 = 1; exact "
                   f"reduced sampler, each observation the mean of {BATCH} draws")))
    _pinf = (D_W - _d_sw) / (D_W - D_S)
    REGISTRY.add(Claim(
        id=f"intrinsic-dim.pgr-limit.{_geo}",
        title=f"PGR -> (d_w - d_sw)/(d_w - d_s) = {_pinf:.4f} ({_geo} overlap: the student beats the strong ceiling)",
        statement=("As n, N -> inf (N = 0.4 n), PGR = (ER_w - ER_w2s)/(ER_w - ER_c) -> (d_w - d_sw)/(d_w - d_s), "
                   "certified as n[(ER_w - ER_w2s) - PGR_inf (ER_w - ER_c)]/sigma2 -> 0 on the same draws; its scale "
                   "is n(ER_w - ER_c)/sigma2 -> d_w - d_s, so the falsifier moves PGR_inf by 0.05. PGR > 1 here: "
                   "the overlap d_sw < d_s makes the W2S student better than the strong model trained on gold labels."),
        source=SOURCE + " §2.5", provenance=PROV, params=_p, predict=lambda p: 0.0,
        simulate=_shared.observe(lambda raw, _p=_p: pgr_observe(_p, raw, _pgr_inf(_p))), ladders=JOINT,
        components=("n[gain - PGR_inf gap]",), scale=(float(D_W - D_S),), finite_size=1.0,
        finite_size_reason=_FS_REASON, falsifier=0.05, family=FAMILY,
        setup=f"as intrinsic-dim.large-n-N.joint-ladder; d_sw = {_d_sw:.3f}"))


REGISTRY.add_shown(Shown(
    id="intrinsic-dim.shown.pgr-curves",
    title="Finite-n PGR against the overlap d_sw and against N, with simulated points",
    reason=("a ratio of expectations, not a mean of per-draw quantities: the certificates cover its numerator and "
            "denominator (exact-risks.*) and its limit (pgr-limit.*); the curves between are the exact forms"),
    family=FAMILY, figure="intrinsic_dimension_pgr.png"))


# ----- figures -----------------------------------------------------------------------------------------------------

def pgr_figure(run, figdir: Path, seed: int):
    """PGR against the overlap (at two N) and against N (at three overlaps), exact forms with simulated points."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.0), dpi=110)
    n, reps = 100, 4000
    rng = generator(seed, "figure:intrinsic_dimension:pgr")

    def sim_pgr(k, N):
        c2 = np.clip(np.r_[1.0, np.full(D_S - 1, (k - 1.0) / (D_S - 1))], 0, 1)
        p = dict(d_s=D_S, d_w=D_W, cos2=tuple(c2), beta=target("shared"), n=n, N=N, sigma2=1.0)
        V_s, V_w, beta = frame(p)
        o = simulate_bartlett(V_s, V_w, beta, n=n, N=N, sigma2=1.0, rng=rng, reps=reps).mean(0)
        return (o[0] - o[1]) / (o[0] - o[2])

    ks = np.linspace(1.0, float(D_S), 40)
    for N, col in ((40, "C0"), (400, "C1")):
        axes[0].plot(ks, [T.pgr(d_s=D_S, d_w=D_W, d_sw=k, n=n, N=N, sigma2=1.0) for k in ks], color=col,
                     label=f"exact, N = {N}")
        kk = np.arange(1, D_S + 1, 3)
        axes[0].plot(kk, [sim_pgr(k, N) for k in kk], "o", color=col, ms=4)
    axes[0].plot(ks, [(D_W - k) / (D_W - D_S) for k in ks], "k--", lw=0.8, label="limit (d_w - d_sw)/(d_w - d_s)")
    axes[0].set_xlabel("overlap d_sw = ||V_s^T V_w||_F^2")
    axes[0].set_ylabel("PGR")
    axes[0].legend(fontsize=7)
    Ns = np.unique(np.geomspace(D_S + 3, 2000, 40).astype(int))
    for k, col in ((2.0, "C2"), (5.0, "C3"), (8.0, "C4")):
        axes[1].plot(Ns, [T.pgr(d_s=D_S, d_w=D_W, d_sw=k, n=n, N=int(N), sigma2=1.0) for N in Ns], color=col,
                     label=f"d_sw = {k:g}")
        axes[1].plot([20, 80, 320], [sim_pgr(k, N) for N in (20, 80, 320)], "o", color=col, ms=4)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("N (teacher-labelled samples)")
    axes[1].set_ylabel("PGR")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"d_s = {D_S}, d_w = {D_W}, n = {n}, sigma2 = 1; points: exact reduced sampler, {reps} draws", fontsize=8)
    path = save(fig, figdir / "intrinsic_dimension_pgr.png")
    return [(path, "Intrinsic dimension (Dong et al.): PGR against the overlap d_sw (left, N = 40 and 400) and against N "
                   "(right), exact finite-sample forms (lines) with simulated ratios of means (points). Smaller overlap "
                   "means more of the teacher's error lies where the student shrinks it; PGR > 1 beats the ceiling.")]


REGISTRY.add_figure(FAMILY, pgr_figure)
