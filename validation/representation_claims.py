"""Registered claims: Representations and W2S, Xue et al. (placeholder: no claim registered yet)."""
