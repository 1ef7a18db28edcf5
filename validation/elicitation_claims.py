"""Registered claims: Online SGD and feature elicitation, Awano & Suzuki (placeholder: no claim registered yet)."""
