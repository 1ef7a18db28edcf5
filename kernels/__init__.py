"""Finite-d simulators (``w2s.kernels``): numba-compiled hot loops and LAPACK/BLAS calls behind small Python
wrappers, seeded only through ``numpy.random.Generator``. No theory in here; imports nothing from ``w2s.theory``.
"""
