"""The favourability checker: is a merchant policy ever stricter than the platform baseline?
For a platform baseline: which of its rules never fire or never change a decision. The same
solver decides requests with unknown facts (`partial`) and what would change a decision
(`whatif`)."""

from policydsl.check.favourability import CheckResult, check_merchant, check_platform

__all__ = ["CheckResult", "check_merchant", "check_platform"]
