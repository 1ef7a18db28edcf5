"""A third-party claims package for w2s-certify: importing it registers its claims (entry point ``w2s.claims``).

The claim: for ``X`` with i.i.d. standard normal entries (``n x d``, ``gamma = d/n < 1``), the normalised trace of
the inverse sample covariance converges, ``E[tr((X^T X / n)^{-1}) / d] -> 1/(1 - gamma)``. (Exactly, the mean is
``n/(n - d - 1)``, an inverse-Wishart moment, so the leading finite-size correction is ``O(1/d)``.)
"""

import numpy as np

from w2s.validation.registry import REGISTRY, Claim, Ladder


def predict(params):
    gamma = params["gamma"]
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma}")
    return 1.0 / (1.0 - gamma)


def simulate(params, d, rng, reps):
    n = round(d / params["gamma"])
    out = np.empty(reps)
    for r in range(reps):
        X = rng.standard_normal((n, d))
        out[r] = np.trace(np.linalg.inv(X.T @ X / n)) / d
    return out


REGISTRY.add(Claim(
    id="example.inverse-wishart-trace.gamma=0.25",
    title="Normalised trace of the inverse sample covariance tends to 1/(1 - gamma)",
    statement="E[tr((X^T X/n)^{-1})/d] -> 1/(1 - gamma) as d -> infinity with d/n = gamma fixed",
    source="standard inverse-Wishart moment", provenance="DERIVED (standard)",
    params={"gamma": 0.25}, predict=predict, simulate=simulate,
    ladders={"fast": Ladder(d=(8, 16, 32, 64), reps=(800, 400, 200, 100))},
    finite_size=1.0, finite_size_reason="the exact mean n/(n - d - 1) = 1/(1 - gamma - 1/n) has an O(1/d) correction",
    falsifier=0.05, family="example", setup="n = round(d / gamma)"))
