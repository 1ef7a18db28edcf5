"""Closed-form asymptotic predictions (``w2s.theory``). Imports nothing from ``w2s.kernels``.

* :mod:`~w2s.theory.rmt` — Marchenko–Pastur quantities for ridge (Dobriban & Wager 2018, arXiv 1507.03003);
* :mod:`~w2s.theory.ridge` — ridge teacher -> ridge student (Moniri & Hassani 2025, arXiv 2505.18346, Part (a));
* :mod:`~w2s.theory.mpref` — mpmath twins, the high-precision referee used only in tests.
"""
