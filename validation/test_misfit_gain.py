"""Certify the misfit_gain claims (docs/misfit_gain.md)."""

from w2s.validation.family_checks import family_tests

globals().update(family_tests("misfit_gain"))
