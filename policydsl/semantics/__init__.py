"""Names, types and lowering: AST → IR.

`analyze(platform, merchant)` resolves every name, checks every type, reports
all problems as diagnostics (PD2xx), and lowers a well-formed policy set to
the normalised IR of `policydsl.ir`.
"""

from policydsl.semantics.analyzer import Analysis, TestCase, analyze

__all__ = ["Analysis", "TestCase", "analyze"]
