"""The favourability checker: is a merchant policy ever stricter than the platform baseline?
For a platform baseline: which of its rules never fire or never change a decision."""

from policydsl.check.favourability import CheckResult, check_merchant, check_platform

__all__ = ["CheckResult", "check_merchant", "check_platform"]
