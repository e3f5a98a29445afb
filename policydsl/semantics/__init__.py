"""Stage 2, semantics: names, types and lowering, AST → IR.

`analyze(platform, merchant)` resolves every name, checks every type, reports all
problems as diagnostics (PD2xx), and lowers a well-formed policy set to the IR.

    analyzer.py      the driver: two passes, every error of a run reported
    declarations.py  pass 1: name tables, duplicates, platform-only declarations
    lowering.py      pass 2: parameters, periods (and their cycles), capabilities, rules → IR
    conditions.py    `when` clauses, `let`s and scenarios: names, types, lowering
    testcases.py     in-file tests: facts blocks, expectations, PD216
    lints.py         warnings about well-formed policies (PD307, PD308, PD310)
    common.py        results (Analysis, TestCase), scopes and small value helpers
"""

from policydsl.semantics.analyzer import analyze
from policydsl.semantics.common import Analysis, TestCase

__all__ = ["Analysis", "TestCase", "analyze"]
