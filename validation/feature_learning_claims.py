"""Registered claims: One-step feature learning, Moniri & Hassani Part (c) (placeholder: no claim registered yet)."""
