"""Certify the misfit_gain claims (docs/misfit_gain.md).

Every claim is certified, passes the power check and rejects its declared falsifier (the generated tests of
:mod:`w2s.validation.family_checks`); the tests below feed plausible wrong formulas through the certifier. The
exact draw-by-draw identities (projection identity, convex-class inequality, non-realizable bound) are tested in
tests/test_misfit_gain.py.
"""

import dataclasses

from w2s.validation.family_checks import family_tests, rerun
from w2s.validation.registry import builtin_registry

globals().update(family_tests("misfit_gain"))  # certified, power check, falsifier rejected: every claim


def test_wrong_slack_formulas_are_rejected(run):
    """(n - k - 1) read as n; the constant 2 read as 1 (the slack taken as ||f_hat - f_pop||^2 alone, without the
    factor 2 of the polarisation); for ReLU features the constant without its factor 2: all REJECTED."""
    reg = builtin_registry()
    exact = reg["misfit.slack.gaussian-features.exact"]
    large = reg["misfit.slack.gaussian-features.large-n"]
    relu = reg["misfit.slack.relu-features.large-n"]
    wrong = [
        dataclasses.replace(exact, id=exact.id + ".n", predict=lambda p: [2 * p["k"] * p["misfit"] / p["n"], 0.0]),
        dataclasses.replace(large, id=large.id + ".k-misfit", predict=lambda p: p["k"] * p["misfit"]),
        dataclasses.replace(large, id=large.id + ".k+1", predict=lambda p: 2 * (p["k"] + 1) * p["misfit"]),
        dataclasses.replace(relu, id=relu.id + ".half", predict=lambda p: 0.5 * relu.predict(p)),
    ]
    res = rerun(wrong, run)
    assert [r.verdict for r in res.results] == ["REJECTED"] * 4
