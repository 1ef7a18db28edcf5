r"""Online SGD of a linear random-feature student on a teacher's labels (model of docs/random_features.md §1).

The student ``f(x) = <W_S a, x>`` sees at step ``k`` a fresh batch of ``B`` inputs ``x ~ N(0, diag(lam))`` labelled by
the teacher ``<beta_T, x>`` and takes one SGD step on the mean squared error (no 1/2) with learning rate ``lr``; in
``beta = W_S a`` coordinates this is ``beta <- beta - (eta/B) K_S sum_b x_b <x_b, beta - beta_T>`` with ``eta = 2 lr``
and ``K_S = W_S W_S^T``: ``O(B d + d^2)`` per step instead of ``O(B d M_ST)`` (the same iterates exactly).

:func:`sgd_student` is the numba kernel (replicates in parallel, each with its own xoshiro256** stream from
:func:`w2s.kernels.gauss_rng.stream_states`, so the output does not depend on the thread count);
:func:`sgd_student_numpy` is the plain-numpy reference fed with the same normals.
Output per replicate and recorded step: the loss ``||beta - beta_star||_Sigma^2`` and the projection
``<beta - beta_T, Sigma g>`` on a given direction ``g`` (a linear functional, whose mean is that of the
deterministic gradient-descent path exactly, at every ``B``).
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import pjit
from .gauss_rng import fill_normal, stream_states

__all__ = ["features", "sgd_student", "sgd_student_numpy"]


def features(d: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """A ``d x m`` feature matrix with i.i.d. ``N(0, 1/m)`` entries."""
    if int(d) < 1 or int(m) < 1:
        raise ValueError(f"d and m must be >= 1, got d={d}, m={m}")
    return rng.standard_normal((int(d), int(m))) / np.sqrt(m)


def _check(lam, beta_star, beta_t, K_S, G, eta, batch, record):
    lam = np.ascontiguousarray(lam, float)
    d = lam.size
    arrs = [np.ascontiguousarray(a, float) for a in (beta_star, beta_t, K_S, G)]
    if arrs[0].shape != (d,) or arrs[1].shape != (d,) or arrs[2].shape != (d, d):
        raise ValueError("shapes must be lam (d,), beta_star (d,), beta_t (d,), K_S (d, d)")
    if arrs[3].ndim != 2 or arrs[3].shape[1] != d:
        raise ValueError("G must be (n_record, d): one direction per recorded step")
    if not eta > 0:
        raise ValueError(f"eta={eta!r} is outside the allowed range (0, 2/mu_max)")
    if int(batch) < 1:
        raise ValueError(f"batch={batch!r} is outside the allowed range: integers >= 1")
    rec = np.ascontiguousarray(record, np.int64)
    if rec.ndim != 1 or rec.size != arrs[3].shape[0] or np.any(np.diff(rec) <= 0) or rec.size and rec[0] < 0:
        raise ValueError("record must be increasing non-negative steps, one per row of G")
    return lam, *arrs, rec


@pjit
def _sgd(lam, beta_star, beta_t, K, G, eta, B, record, states):
    reps = states.shape[0]
    d = lam.size
    nrec = record.size
    loss = np.empty((reps, nrec))
    proj = np.empty((reps, nrec))
    sq = np.sqrt(lam)
    for r in numba.prange(reps):
        s = states[r].copy()
        beta = np.zeros(d)
        g = np.empty(d)
        z = np.empty(d)
        j = 0
        k = 0
        while j < nrec:
            if k == record[j]:
                L = 0.0
                P = 0.0
                for i in range(d):
                    e = beta[i] - beta_star[i]
                    L += lam[i] * e * e
                    P += (beta[i] - beta_t[i]) * lam[i] * G[j, i]
                loss[r, j] = L
                proj[r, j] = P
                j += 1
                continue
            for i in range(d):
                g[i] = 0.0
            for b in range(B):
                fill_normal(s, z)
                res = 0.0
                for i in range(d):
                    z[i] *= sq[i]
                    res += z[i] * (beta[i] - beta_t[i])
                for i in range(d):
                    g[i] += res * z[i]
            c = eta / B
            for i in range(d):
                acc = 0.0
                for l in range(d):
                    acc += K[i, l] * g[l]
                beta[i] -= c * acc
            k += 1
    return loss, proj


def sgd_student(lam, beta_star, beta_t, K_S, G, *, eta: float, batch: int, record, rng: np.random.Generator,
                reps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(loss, proj)``, each ``(reps, len(record))`` (module docstring), drawn only from ``rng``."""
    lam, b, bt, K, G, rec = _check(lam, beta_star, beta_t, K_S, G, eta, batch, record)
    return _sgd(lam, b, bt, K, G, float(eta), int(batch), rec, stream_states(rng, int(reps)))


def sgd_student_numpy(lam, beta_star, beta_t, K_S, G, *, eta: float, batch: int, record, rng: np.random.Generator,
                      reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference of :func:`sgd_student` with the same draws (each batch's normals from the replicate's
    stream, in the same order), the update written with matrix products."""
    lam, b, bt, K, G, rec = _check(lam, beta_star, beta_t, K_S, G, eta, batch, record)
    states = stream_states(rng, int(reps))
    d, B = lam.size, int(batch)
    loss = np.empty((int(reps), rec.size))
    proj = np.empty_like(loss)
    for r in range(int(reps)):
        s = states[r].copy()
        beta = np.zeros(d)
        k = 0
        for j, kr in enumerate(rec):
            while k < kr:
                z = np.empty(B * d)
                fill_normal(s, z)
                X = z.reshape(B, d) * np.sqrt(lam)
                beta = beta - (eta / B) * (K @ (X.T @ (X @ (beta - bt))))
                k += 1
            loss[r, j] = (beta - b) @ (lam * (beta - b))
            proj[r, j] = (beta - bt) @ (lam * G[j])
    return loss, proj
