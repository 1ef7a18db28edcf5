"""Registered claims: Weighted ridge, Moniri & Hassani Part (b) (placeholder: no claim registered yet)."""
