"""The favourability checker: is a merchant policy ever stricter than the platform baseline?"""

from policydsl.check.favourability import CheckResult, check_merchant

__all__ = ["CheckResult", "check_merchant"]
