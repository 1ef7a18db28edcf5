"""Finite-d simulators: numba-compiled hot loops with small pure-Python wrappers. No theory in here."""
