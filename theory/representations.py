r"""Representations shape W2S generalisation (Xue, Li & Mirzasoleiman, ICML 2025, arXiv 2502.00620).

Every statement here is **derived under the setup of docs/representations.md §1**; the paper's text was not
available, so nothing is quoted as its theorem (the form of (★) is RECONSTRUCTED, docs/representations.md §6).

Finite-sample formulas (docs/representations.md §2.1-2.4)
--------------------------------------------------------
On the W2S split ``D^`` (``n`` points) each model has a principal representation ``H`` (``n x r``; rows
``Pi_V h(x_i)``), the principal kernel ``K_P = H H^T / n`` and the ridge smoother

    P = K_P (K_P + reg I)^{-1},   reg_w = beta_w + gamma~_w,   reg_s = beta_s + gamma^_s,

where ``gamma = D s^2 / n`` is the implicit ridge of an isotropic non-principal part of dimension ``D`` and variance
``s^2`` on a split of ``n`` points (:func:`implicit_ridge`; ``gamma~_w`` from the weak model's training split
``D~``, ``gamma^_s`` from ``D^``). With ``y`` the labels on ``D^`` and ``e_w = (I - P_w) y``:

* prediction gap (★) ``||P_s e_w||^2 / n`` (the *inherited* part of the weak error);
* ``Err_w ~ ||e_w||^2/n``, ``Err_sc ~ ||(I - P_s) y||^2/n``, ``Err_w2s ~ ||y - P_s P_w y||^2/n``;
* *corrected* part ``||(I - P_s) e_w||^2/n`` and the cross term ``2 <P_s e_w, (I - P_s) e_w>/n``; the three add
  up to ``||e_w||^2/n`` exactly (an identity of vectors, ``e_w = P_s e_w + (I - P_s) e_w``);
* label-free metric ``M = ||P_s (I - P_w)||_op`` and the Frobenius variant ``||P_s (I - P_w)||_F^2``. The
  normalised variant ``||.||_F^2 / n`` vanishes like ``r_s / n``; it orders weak models at a fixed ``n`` exactly
  as ``||.||_F^2`` does, which is what is reported here (normalisation UNKNOWN, docs/representations.md §2.4);
* ``PGR = (Err_w - Err_w2s)/(Err_w - Err_sc)``.

All are computed from the thin SVD of ``H`` (``P = U diag(s^2/(s^2 + n reg)) U^T``): ``O(n r^2)``, no ``n x n``
matrix (:func:`ridge_smoother` builds it for tests).

Population limits (derived here, docs/representations.md §2.5)
--------------------------------------------------------------
In the synthetic model of docs/representations.md §1.3 the latent is ``z ~ N(0, I_p)``, ``y = <a, z> + eps`` (``Var eps
= sigma2``) and the principal representations are ``A z`` (``A``: ``r x p``), so ``H = Z A^T``. As ``n -> inf``, ``H^T H
/ n -> A A^T`` and ``Z^T v / n -> E[z v]``, hence ``P v`` acts on functions of ``z`` as the population ridge operator

    R(A, reg) = A^T (A A^T + reg I)^{-1} A      (p x p, symmetric, eigenvalues in [0, 1)),

and ``P y -> Z R a``. Therefore (with ``R_w = R(A_w, reg_w)``, ``R_s = R(A_s, reg_s)``)

    (★)      -> ||R_s (I - R_w) a||^2,
    Err_w    -> ||(I - R_w) a||^2 + sigma2,          Err_sc -> ||(I - R_s) a||^2 + sigma2,
    Err_w2s  -> ||(I - R_s R_w) a||^2 + sigma2,
    corrected -> ||(I - R_s)(I - R_w) a||^2 + sigma2,  cross -> 2 a^T (I - R_w) R_s (I - R_s) (I - R_w) a,

and ``M -> ||R_s (I - R_w)||_op``, ``||P_s (I - P_w)||_F^2 -> ||R_s (I - R_w)||_F^2``. The same limits hold for
the test errors of the trained heads when also ``D / n -> inf`` (the non-principal Gram is then ``gamma n I`` up to
``O(sqrt(n/D))``, and the non-principal part of a fresh point contributes ``O(n/D)``): this is what the
``repr.*`` claims certify. Label noise ``sigma2`` is included in every error (docs/representations.md §1.1: ``Err`` is
the test MSE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import check_scalar

__all__ = ["implicit_ridge", "population_operator", "ridge_smoother", "W2SFormulas", "w2s_formulas",
           "prediction_gap", "label_free_metric", "population_limits", "pgr", "beats_weak_projection"]

REG_RANGE = (1e-12, 1e8)


def _check_reg(name: str, reg) -> float:
    return check_scalar(name, reg, *REG_RANGE)


def _check_matrix(name: str, M, *, rows: int | None = None, cols: int | None = None) -> np.ndarray:
    try:
        M = np.asarray(M, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a 2-D array of numbers, got {type(M).__name__}") from None
    if M.ndim == 1 and cols is not None and M.size == 0:
        M = M.reshape(0, cols)
    if M.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{name} must be finite")
    if rows is not None and M.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows (one per point of the W2S split), got {M.shape[0]}")
    if cols is not None and M.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns (the latent dimension p), got {M.shape[1]}")
    return M


def _check_labels(y) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size < 1 or not np.all(np.isfinite(y)):
        raise ValueError(f"y must be a finite 1-D array of labels with >= 1 entry, got shape {y.shape}")
    return y


def implicit_ridge(D: int, s2: float, n: int) -> float:
    """``gamma = D s^2 / n``: the extra ridge of an isotropic non-principal part (dimension ``D``, variance ``s^2``)
    on a split of ``n`` points (docs/representations.md §1.2)."""
    for name, v in (("D", D), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    s2 = check_scalar("s2", s2, 0.0, 1e10)
    return D * s2 / n


def population_operator(A, reg: float) -> np.ndarray:
    """``R(A, reg) = A^T (A A^T + reg I)^{-1} A`` (``p x p``), the ``n -> inf`` limit of the smoother of a principal
    representation ``A z`` (module docstring). A matrix with 0 rows (rank-0 representation) gives ``R = 0``."""
    A = _check_matrix("A", A)
    reg = _check_reg("reg", reg)
    if A.shape[0] == 0:
        return np.zeros((A.shape[1], A.shape[1]))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (Vt.T * (s * s / (s * s + reg))) @ Vt


def _factors(H: np.ndarray, reg: float) -> tuple[np.ndarray, np.ndarray]:
    """``(U, f)`` with ``P = U diag(f) U^T``, from the thin SVD of ``H`` (``f = s^2/(s^2 + n reg)``)."""
    n = H.shape[0]
    if H.shape[1] == 0:
        return np.zeros((n, 0)), np.zeros(0)
    Qf, Rf = np.linalg.qr(H, mode="reduced")  # O(n r^2); the SVD of the small factor gives H's
    Ur, s, _ = np.linalg.svd(Rf)
    return Qf @ Ur, s * s / (s * s + n * reg)


def _apply(U: np.ndarray, f: np.ndarray, v: np.ndarray) -> np.ndarray:
    return U @ (f * (U.T @ v))


def ridge_smoother(H, reg: float) -> np.ndarray:
    """Dense ``n x n`` smoother ``K_P (K_P + reg I)^{-1}``, ``K_P = H H^T / n`` (docs/representations.md §2.1); for
    tests and small ``n`` (the formulas use the factored form)."""
    H = _check_matrix("H", H)
    U, f = _factors(H, _check_reg("reg", reg))
    return (U * f) @ U.T


@dataclass(frozen=True)
class W2SFormulas:
    """The finite-sample formulas of docs/representations.md §2.1-2.4 on one W2S split (or their population limits),
    with the regularisers they were computed at."""

    pred_gap: float  #: (★) ||P_s (I - P_w) y||^2 / n  (= inherited part)
    err_w: float  #: ||(I - P_w) y||^2 / n
    err_sc: float  #: ||(I - P_s) y||^2 / n
    err_w2s: float  #: ||y - P_s P_w y||^2 / n
    corrected: float  #: ||(I - P_s)(I - P_w) y||^2 / n
    cross: float  #: 2 <P_s e_w, (I - P_s) e_w> / n; pred_gap + corrected + cross = err_w
    metric_op: float  #: ||P_s (I - P_w)||_op (label-free)
    metric_frob: float  #: ||P_s (I - P_w)||_F^2 (label-free)
    reg_w: float
    reg_s: float

    @property
    def inherited(self) -> float:
        return self.pred_gap

    @property
    def pgr(self) -> float:
        return pgr(self.err_w, self.err_w2s, self.err_sc)


def _metrics(Us, fs, Uw, fw) -> tuple[float, float]:
    """``||P_s (I - P_w)||_op`` and ``||.||_F^2``: ``P_s (I - P_w) = U_s M`` with the ``r_s x n`` matrix
    ``M = D_s (U_s^T - (U_s^T U_w) D_w U_w^T)`` and orthonormal ``U_s``, so both norms are ``M``'s (an SVD of a thin
    matrix, ``O(n r_s^2)``; accurate to rounding even when the norm is near 0)."""
    if fs.size == 0:
        return 0.0, 0.0
    M = fs[:, None] * (Us.T - ((Us.T @ Uw) * fw) @ Uw.T)
    sv = np.linalg.svd(np.linalg.qr(M.T, mode="r"), compute_uv=False)  # M^T = Q R: same singular values as R
    return float(sv[0]), float(np.sum(M * M))


def w2s_formulas(H_w, H_s, y, reg_w: float, reg_s: float) -> W2SFormulas:
    """Every finite-sample formula of docs/representations.md §2.1-2.4 on the W2S split: ``H_w`` (``n x r_w``) and
    ``H_s`` (``n x r_s``) the principal representations, ``y`` the true labels, ``reg_w = beta_w + gamma~_w`` and
    ``reg_s = beta_s + gamma^_s`` (the kernel normalisation ``K_P = H H^T / n`` of docs/representations.md §2.1)."""
    y = _check_labels(y)
    n = y.size
    H_w = _check_matrix("H_w", H_w, rows=n)
    H_s = _check_matrix("H_s", H_s, rows=n)
    reg_w, reg_s = _check_reg("reg_w", reg_w), _check_reg("reg_s", reg_s)
    Uw, fw = _factors(H_w, reg_w)
    Us, fs = _factors(H_s, reg_s)
    e_w = y - _apply(Uw, fw, y)
    inh = _apply(Us, fs, e_w)
    cor = e_w - inh
    r_sc = y - _apply(Us, fs, y)
    r_w2s = r_sc + inh  # y - P_s P_w y = (I - P_s) y + P_s (I - P_w) y
    m_op, m_fr = _metrics(Us, fs, Uw, fw)
    return W2SFormulas(float(inh @ inh) / n, float(e_w @ e_w) / n, float(r_sc @ r_sc) / n, float(r_w2s @ r_w2s) / n,
                       float(cor @ cor) / n, 2.0 * float(inh @ cor) / n, m_op, m_fr, reg_w, reg_s)


def prediction_gap(H_w, H_s, y, reg_w: float, reg_s: float) -> float:
    """(★) ``||P_s (I - P_w) y||^2 / n`` (docs/representations.md §2.2)."""
    return w2s_formulas(H_w, H_s, y, reg_w, reg_s).pred_gap


def label_free_metric(H_w, H_s, reg_w: float, reg_s: float) -> tuple[float, float]:
    """``(||P_s (I - P_w)||_op, ||P_s (I - P_w)||_F^2)`` from the representations alone (docs/representations.md
    §2.4)."""
    H_w = _check_matrix("H_w", H_w)
    H_s = _check_matrix("H_s", H_s, rows=H_w.shape[0])
    Uw, fw = _factors(H_w, _check_reg("reg_w", reg_w))
    Us, fs = _factors(H_s, _check_reg("reg_s", reg_s))
    return _metrics(Us, fs, Uw, fw)


def population_limits(A_w, A_s, a, sigma2: float, reg_w: float, reg_s: float) -> W2SFormulas:
    """The ``n -> inf`` limits of :func:`w2s_formulas` in the model of docs/representations.md §1.3 (module docstring):
    principal parts ``A_w z`` (``r_w x p``, ``r_w = 0`` allowed) and ``A_s z`` (``r_s x p``), label
    ``y = <a, z> + eps``, ``Var eps = sigma2``."""
    a = np.asarray(a, dtype=float)
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)):
        raise ValueError(f"a must be a finite 1-D array (the label direction in R^p), got shape {a.shape}")
    p = a.size
    A_w = _check_matrix("A_w", A_w, cols=p)
    A_s = _check_matrix("A_s", A_s, cols=p)
    sigma2 = check_scalar("sigma2", sigma2, 0.0, 1e10)
    Rw, Rs = population_operator(A_w, reg_w), population_operator(A_s, reg_s)
    I = np.eye(p)
    ew = (I - Rw) @ a
    inh = Rs @ ew
    cor = ew - inh
    rsc = (I - Rs) @ a
    rw2s = a - Rs @ (Rw @ a)
    O = Rs @ (I - Rw)
    sv = np.linalg.svd(O, compute_uv=False)
    return W2SFormulas(float(inh @ inh), float(ew @ ew) + sigma2, float(rsc @ rsc) + sigma2,
                       float(rw2s @ rw2s) + sigma2, float(cor @ cor) + sigma2, 2.0 * float(inh @ cor),
                       float(sv[0]) if sv.size else 0.0, float(np.sum(sv * sv)), float(reg_w), float(reg_s))


def pgr(err_w, err_w2s, err_sc):
    """Performance gap recovered ``(Err_w - Err_w2s)/(Err_w - Err_sc)`` (docs/representations.md §2.3); needs
    ``Err_w != Err_sc``."""
    ew, e2, es = (np.asarray(x, dtype=float) for x in (err_w, err_w2s, err_sc))
    den = ew - es
    if np.any(den == 0) or not np.all(np.isfinite(den)):
        raise ValueError("err_w must differ from err_sc (the PGR of a weak model as good as the ceiling is undefined)")
    out = (ew - e2) / den
    return float(out) if out.ndim == 0 else out


def beats_weak_projection(H_w, H_s, y) -> bool:
    """Projection-limit criterion of docs/representations.md §2.3: W2S beats the weak model iff
    ``||(I - P_s) y||^2 < ||(I - P_s)(I - P_w) y||^2`` with ``P`` the orthogonal projections onto the column spans."""
    y = _check_labels(y)
    n = y.size
    H_w = _check_matrix("H_w", H_w, rows=n)
    H_s = _check_matrix("H_s", H_s, rows=n)

    def proj(H):
        if H.shape[1] == 0:
            return np.zeros((n, 0))
        U, s, _ = np.linalg.svd(H, full_matrices=False)
        return U[:, s > s[0] * max(n, H.shape[1]) * np.finfo(float).eps] if s.size else U

    Qw, Qs = proj(H_w), proj(H_s)
    rs = y - Qs @ (Qs.T @ y)
    ew = y - Qw @ (Qw.T @ y)
    rsw = ew - Qs @ (Qs.T @ ew)
    # Nested spans give ||(I - P_s) y||^2 = ||(I - P_s)(I - P_w) y||^2 exactly, and then the two floating-point
    # sums differ only by rounding (each projection costs O(n eps ||y||^2)): a strict win must exceed that.
    rounding = 64.0 * n * np.finfo(float).eps * float(y @ y)
    return bool(rsw @ rsw - rs @ rs > rounding)
