"""Certify the random_features claims (docs/random_features.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests); the
tests below feed plausible mistakes of the closed form through the whole pipeline and require REJECTED.
"""

import dataclasses

import numpy as np

from w2s.theory import random_features as T
from w2s.validation.claims.random_features import problem
from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

globals().update(family_tests("random_features"))  # certified, power check, falsifier rejected: every claim


def _verdict(claim, run):
    return rerun([claim], run).results[0].verdict


def test_wrong_closed_forms_are_rejected_end_to_end(run):
    """Two slips: eta = lr (the loss's missing 1/2 forgotten), and the M_ST -> inf limit K_S = I used at finite
    width (the closed form without the actual K_S)."""
    claim = builtin_registry()["rf.student.closed-form-vs-sgd.m_te=16"]

    def lr_slip(p):
        P = problem(p)
        return list(T.student_losses(lam=P["lam"], beta_star=P["beta_star"], beta_t=P["beta_t"], K_S=P["K_S"],
                                     eta=p["lr"], steps=P["record"]) / P["L_te"])

    def identity_kernel(p):
        P = problem(p)
        return list(T.student_losses(lam=P["lam"], beta_star=P["beta_star"], beta_t=P["beta_t"],
                                     K_S=np.eye(P["d"]), eta=P["eta"], steps=P["record"]) / P["L_te"])

    for name, fn in (("eta=lr", lr_slip), ("K_S=I", identity_kernel)):
        assert _verdict(dataclasses.replace(claim, id=f"{claim.id}.{name}", predict=fn), run) == "REJECTED"
