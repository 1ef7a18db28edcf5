"""Registered claims: Transfer learning and refinement, Somerstep et al. (placeholder: no claim registered yet)."""
