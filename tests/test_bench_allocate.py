"""benchmarks/allocate.py: the WLS variance of the extrapolated limit, and an allocation that never costs more
and never leaves a component's predicted variance above the margin."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from w2s.validation.stats import fit_extrapolation

_spec = importlib.util.spec_from_file_location(
    "w2s_bench_allocate", Path(__file__).resolve().parents[1] / "benchmarks" / "allocate.py")
allocate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(allocate)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 0.5])
def test_variance_is_the_certifier_s_standard_error_squared(alpha):
    d = np.array([64.0, 128, 256, 512])
    R = np.array([4000, 2000, 1000, 500])
    sd = np.array([1.0, 0.7, 0.5, 0.35])
    fit = fit_extrapolation(d, np.ones(4), sd / np.sqrt(R), alpha)
    x = d ** (-alpha) if alpha > 0 else np.zeros_like(d)
    assert allocate.variance(R, sd, x, alpha == 0) == pytest.approx(fit.se_hat ** 2, rel=1e-10)


def test_allocation_is_cheaper_and_keeps_every_variance_under_the_margin():
    d = np.array([512.0, 2048, 8192, 32768])
    R0 = np.array([1000, 1000, 1000, 5000])  # most replicates on the most expensive rung
    cost = 1e-6 * d  # O(d) per replicate
    sds = [np.array([1.0, 1.0, 1.0, 1.0]), np.array([0.5, 0.4, 0.3, 0.2])]
    R, ratios = allocate.allocate_sim(d, R0, cost, sds, [1.0, 1.0], margin=0.8)
    assert cost @ R < cost @ R0 and max(ratios) <= 0.8 + 1e-12
    for sd, ratio in zip(sds, ratios):
        x = d ** -1.0
        assert allocate.variance(R, sd, x, False) / allocate.variance(R0, sd, x, False) == pytest.approx(ratio)


def test_no_saving_means_today_s_ladder():
    d = np.array([100.0, 200])
    R0 = np.array([100, 100])
    R, ratios = allocate.allocate_sim(d, R0, np.array([1.0, 1.0]), [np.ones(2)], [1.0], margin=0.5, lower=100)
    assert R.tolist() == [100, 100] and ratios == [1.0]
