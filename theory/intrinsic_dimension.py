r"""Intrinsic-dimension view of W2S (Dong, Li, Li, Lee, Lei 2025, arXiv 2502.05075): exact finite-sample excess
risks of a weak teacher, its W2S student and the strong ceiling, derived under the setup of
docs/intrinsic_dimension.md §1.

Setup. Inputs ``x ~ N(0, I_D)``; strong and weak feature subspaces ``V_s`` (``D x d_s``) and ``V_w`` (``D x d_w``)
with orthonormal columns; target ``f*(x) = x^T beta*``, labels ``y = f*(x) + eps`` with ``eps ~ N(0, sigma2)``.
Teacher: OLS on ``V_w^T x`` from ``n`` labelled samples. W2S student: OLS on ``V_s^T x`` from ``N`` fresh samples
labelled by the teacher. Strong ceiling: OLS on ``V_s^T x`` from ``n`` labelled samples. Excess risk
``ER(beta) = ||beta - beta*||^2`` (isotropic inputs), averaged over every draw. Overlap
``d_sw = ||V_s^T V_w||_F^2 = tr(P_s P_w) = sum_j cos^2(theta_j)`` (principal angles ``theta_j``).

Bias terms of a target outside the intersection of the two subspaces (all ``>= 0``; 0 when ``beta*`` lies in
``range(V_s) ∩ range(V_w)``):

* ``bias_w = ||(I - P_w) beta*||^2`` and ``bias_s = ||(I - P_s) beta*||^2``;
* ``bias_sw = ||P_s (I - P_w) beta*||^2`` (the teacher's bias that the student inherits);
* ``bias_disc = ||(I - P_s) P_w beta*||^2`` (the part of the teacher's target the student cannot represent; it acts
  as label noise for the student).

Exact forms (docs §2.1-2.3; inverse-Wishart mean ``E[W^-1] = I / (m - d - 1)`` for ``W ~ Wishart_d(m, I)``):

    ER_w   = bias_w + (sigma2 + bias_w) d_w / (n - d_w - 1)
    ER_c   = bias_s + (sigma2 + bias_s) d_s / (n - d_s - 1)
    ER_w2s = bias_s + bias_sw + (sigma2 + bias_w) d_sw / (n - d_w - 1)
             + [bias_disc + (sigma2 + bias_w) (d_w - d_sw) / (n - d_w - 1)] d_s / (N - d_s - 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import subspace_angles

from ._validate import check_nonneg, check_scalar

__all__ = ["Risks", "excess_risks", "asymptotic_w2s_risk", "pgr", "pgr_limit", "overlap_dim", "bias_terms",
           "canonical_subspaces"]

#: Largest dimension accepted (the closed forms hold for any size; this only catches typos such as 1e30).
DIM_MAX = 1e9


def _dim(name: str, value, lo: float = 1.0) -> float:
    v = check_scalar(name, value, lo, DIM_MAX)
    if v != round(v):
        raise ValueError(f"{name}={v:g} must be an integer in [{lo:g}, {DIM_MAX:g}]")
    return v


def _check_geometry(d_s, d_w, d_sw):
    d_s, d_w = _dim("d_s", d_s), _dim("d_w", d_w)
    d_sw = check_scalar("d_sw", d_sw, 0.0, min(d_s, d_w))
    return d_s, d_w, d_sw


def _check_sizes(n, N, d_s, d_w):
    # E[W^-1] is finite only for m > d + 1 samples: n > max(d_s, d_w) + 1 and N > d_s + 1
    n = _dim("n", n, max(d_s, d_w) + 2.0)
    N = _dim("N", N, d_s + 2.0)
    return n, N


def _check_bias(bias_w, bias_s, bias_sw, bias_disc):
    bias_w, bias_s = float(check_nonneg("bias_w", bias_w)), float(check_nonneg("bias_s", bias_s))
    bias_sw = float(check_scalar("bias_sw", bias_sw, 0.0, bias_w))  # ||P_s (I-P_w) b||^2 <= ||(I-P_w) b||^2
    bias_disc = float(check_nonneg("bias_disc", bias_disc))
    return bias_w, bias_s, bias_sw, bias_disc


@dataclass(frozen=True)
class Risks:
    """Exact expected excess risks (docs/intrinsic_dimension.md §2) and the two parts of the student's error."""

    teacher: float
    w2s: float
    ceiling: float
    inherited: float  #: E||P_s(beta_w - beta*)||^2: the teacher's error on the strong span, kept by the student
    discrepancy: float  #: E||beta_w2s - P_s beta_w||^2: the student's own estimation error, shrunk by d_s/(N-d_s-1)

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        return (self.teacher, self.w2s, self.ceiling, self.inherited, self.discrepancy)


def excess_risks(*, d_s, d_w, d_sw, n, N, sigma2, bias_w=0.0, bias_s=0.0, bias_sw=0.0, bias_disc=0.0) -> Risks:
    """Exact finite-sample excess risks of teacher, W2S student and strong ceiling (module docstring, docs §2.1-2.3).

    ``n`` labelled samples (teacher and ceiling), ``N`` teacher-labelled samples (student); requires
    ``n >= max(d_s, d_w) + 2`` and ``N >= d_s + 2`` (the inverse-Wishart mean is infinite below). ``sigma2`` is the
    label-noise variance; the ``bias_*`` terms are 0 for a target in the intersection of the two subspaces.
    """
    d_s, d_w, d_sw = _check_geometry(d_s, d_w, d_sw)
    n, N = _check_sizes(n, N, d_s, d_w)
    sigma2 = float(check_nonneg("sigma2", sigma2))
    bias_w, bias_s, bias_sw, bias_disc = _check_bias(bias_w, bias_s, bias_sw, bias_disc)
    s2w = sigma2 + bias_w  # the teacher's effective noise: label noise plus the part of f* it cannot represent
    s2s = sigma2 + bias_s
    teacher = bias_w + s2w * d_w / (n - d_w - 1.0)
    ceiling = bias_s + s2s * d_s / (n - d_s - 1.0)
    kept = s2w * d_sw / (n - d_w - 1.0)
    disc = (bias_disc + s2w * (d_w - d_sw) / (n - d_w - 1.0)) * d_s / (N - d_s - 1.0)
    inherited = bias_sw + kept
    w2s = bias_s + inherited + disc
    return Risks(float(teacher), float(w2s), float(ceiling), float(inherited), float(disc))


def asymptotic_w2s_risk(*, d_s, d_w, d_sw, n, N, sigma2) -> float:
    """Large-``n, N`` form of the W2S risk for a target in the intersection (docs §2.4):
    ``(sigma2 / n) [d_sw + (d_s / N) (d_w - d_sw)]``; relative error ``O(1/n + 1/N)`` against :func:`excess_risks`."""
    d_s, d_w, d_sw = _check_geometry(d_s, d_w, d_sw)
    n = check_scalar("n", n, 1.0, np.inf, hi_open=True)
    N = check_scalar("N", N, 1.0, np.inf, hi_open=True)
    sigma2 = float(check_nonneg("sigma2", sigma2))
    return float(sigma2 / n * (d_sw + d_s / N * (d_w - d_sw)))


def pgr(*, d_s, d_w, d_sw, n, N, sigma2) -> float:
    """Performance-gap recovered ``(ER_w - ER_w2s) / (ER_w - ER_c)`` at finite ``n, N`` (target in the intersection;
    docs §2.5); needs ``ER_w != ER_c``, i.e. ``d_s != d_w`` here, and ``sigma2 > 0``."""
    check_scalar("sigma2", sigma2, 0.0, 1e10, lo_open=True)
    if _dim("d_s", d_s) == _dim("d_w", d_w):
        raise ValueError("d_s must differ from d_w for the PGR (its denominator ER_w - ER_c is 0)")
    r = excess_risks(d_s=d_s, d_w=d_w, d_sw=d_sw, n=n, N=N, sigma2=sigma2)
    return float((r.teacher - r.w2s) / (r.teacher - r.ceiling))


def pgr_limit(*, d_s, d_w, d_sw) -> float:
    """``lim_{n, N -> inf} PGR = (d_w - d_sw) / (d_w - d_s)`` (docs §2.5); ``d_s != d_w``. It exceeds 1 (the student
    beats the strong ceiling) when ``d_sw < d_s``."""
    d_s, d_w, d_sw = _check_geometry(d_s, d_w, d_sw)
    if d_s == d_w:
        raise ValueError("d_s must differ from d_w for the PGR limit (its denominator d_w - d_s is 0)")
    return float((d_w - d_sw) / (d_w - d_s))


def overlap_dim(V_s, V_w) -> float:
    """``d_sw = ||V_s^T V_w||_F^2 = sum_j cos^2(theta_j)`` from the principal angles of the two column spaces
    (``scipy.linalg.subspace_angles``; the columns need not be orthonormal, only of full rank)."""
    V_s, V_w = np.asarray(V_s, float), np.asarray(V_w, float)
    if V_s.ndim != 2 or V_w.ndim != 2 or V_s.shape[0] != V_w.shape[0]:
        raise ValueError(f"V_s and V_w must be matrices with the same number of rows, got {V_s.shape}, {V_w.shape}")
    return float(np.sum(np.cos(subspace_angles(V_s, V_w)) ** 2))


def _proj(V):
    Q, _ = np.linalg.qr(V)
    return Q @ Q.T


def bias_terms(V_s, V_w, beta_star) -> dict:
    """``{bias_w, bias_s, bias_sw, bias_disc}`` (module docstring) for subspaces ``V_s``, ``V_w`` and a target."""
    V_s, V_w, b = np.asarray(V_s, float), np.asarray(V_w, float), np.asarray(beta_star, float)
    if b.shape != (V_s.shape[0],):
        raise ValueError(f"beta_star must have {V_s.shape[0]} entries, got shape {b.shape}")
    Ps, Pw = _proj(V_s), _proj(V_w)
    rw, rs = b - Pw @ b, b - Ps @ b
    pwb = Pw @ b
    return {"bias_w": float(rw @ rw), "bias_s": float(rs @ rs), "bias_sw": float(np.sum((Ps @ rw) ** 2)),
            "bias_disc": float(np.sum((pwb - Ps @ pwb) ** 2))}


def canonical_subspaces(d_s: int, d_w: int, cos2) -> tuple[np.ndarray, np.ndarray]:
    """``(V_s, V_w)`` in ``R^m``, ``m = d_s + d_w + 1``, with principal cosines squared ``cos2`` (``d_s`` entries):
    ``V_s = [e_1 .. e_{d_s}]``; the first ``d_s`` columns of ``V_w`` are ``c_j e_j + s_j e_{d_s + j}``
    (``c_j = sqrt(cos2_j)``), the other ``d_w - d_s`` are ``e_{2 d_s + 1} .. e_{d_s + d_w}``; ``e_m`` is orthogonal to
    both (room for a target outside both). Every configuration of two subspaces with these principal angles is a
    rotation of this one, and the risks are rotation invariant. Needs ``d_s <= d_w``."""
    d_s, d_w = int(_dim("d_s", d_s)), int(_dim("d_w", d_w))
    if d_s > d_w:
        raise ValueError(f"d_s={d_s} must be <= d_w={d_w} for the canonical frame (the strong space is the smaller)")
    c2 = check_nonneg("cos2", cos2, hi=1.0)
    if c2.shape != (d_s,):
        raise ValueError(f"cos2 must have d_s={d_s} entries in [0, 1], got shape {c2.shape}")
    m = d_s + d_w + 1
    V_s = np.zeros((m, d_s))
    V_s[:d_s, :d_s] = np.eye(d_s)
    V_w = np.zeros((m, d_w))
    for j in range(d_s):
        V_w[j, j] = np.sqrt(c2[j])
        V_w[d_s + j, j] = np.sqrt(1.0 - c2[j])
    for j in range(d_s, d_w):
        V_w[d_s + j, j] = 1.0
    return V_s, V_w
