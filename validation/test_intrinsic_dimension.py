"""Certify the intrinsic_dimension claims (docs/intrinsic_dimension.md)."""

from w2s.validation.family_checks import family_tests

globals().update(family_tests("intrinsic_dimension"))
