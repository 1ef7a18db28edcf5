"""Certification (``w2s.validation``): claims registry, convergence statistics, runner, report and CLI.

Joins :mod:`w2s.theory` (predictions) and :mod:`w2s.kernels` (simulators); ``pytest validation/`` certifies
every registered claim.
"""
