"""In-file policy tests: run `test` blocks, compare expectations, measure clause coverage."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from policydsl import ast, ir
from policydsl.decision import Decision
from policydsl.evaluator import evaluate, outcome
from policydsl.facts import FactsInputError, validate
from policydsl.semantics import TestCase
from policydsl.source import Span


@attrs.frozen
class TestResult:
    title: str
    span: Span
    failures: tuple[str, ...]
    decision: Decision | None = None
    fired: tuple[str, ...] = ()

    __test__ = False

    @property
    def passed(self) -> bool:
        return not self.failures


@attrs.frozen
class Coverage:
    clauses_tested: tuple[str, ...]
    clauses_untested: tuple[str, ...]
    rules_never_fired: tuple[str, ...]


def run_test(ps: ir.PolicySet, case: TestCase) -> TestResult:
    try:
        facts = validate(case.facts, ps)
    except FactsInputError as exc:
        return TestResult(case.title, case.span,
                          tuple(f"invalid test facts: [{d.code}] {d.message}" for d in exc.diagnostics))
    decision = evaluate(ps, facts)
    fired = tuple(r.name for r in outcome(ps, facts).fired)
    failures = [f for e in case.expectations if (f := _check(e, decision)) is not None]
    return TestResult(case.title, case.span, tuple(failures), decision, fired)


def _check(e: ast.Expectation, d: Decision) -> str | None:
    if isinstance(e, ast.ExpectAction):
        got = d.modality(e.action.text)
        if got != e.modality:
            return f"expected {e.modality} {e.action.text}, got {got or 'no'} {e.action.text}"
    elif isinstance(e, ast.ExpectAbsent):
        got = d.modality(e.action.text)
        if got is not None:
            return f"expected no {e.action.text}, got {got} {e.action.text}"
    elif isinstance(e, ast.ExpectScenario):
        if e.clause.text not in d.scenario:
            return f"expected scenario {e.clause.text}, got scenario [{', '.join(d.scenario)}]"
    elif isinstance(e, ast.ExpectExtension):
        got = d.extension.eligible if d.extension else False
        if got != e.eligible:
            why = d.extension.why if d.extension else "no capability"
            return f"expected extension {'eligible' if e.eligible else 'ineligible'}, got " \
                   f"{'eligible' if got else 'ineligible'} ({why})"
    elif isinstance(e, ast.ExpectConflict):
        if not any(c.action == e.action.text for c in d.conflicts):
            listed = ", ".join(f"{c.modality} {c.action}" for c in d.conflicts) or "none"
            return f"expected a conflict on {e.action.text}, got conflicts [{listed}]"
    elif isinstance(e, ast.ExpectEscalation):
        if (d.escalation is not None) != e.present:
            return "expected escalation, got none" if e.present else "expected no escalation, got escalation"
    else:
        raise AssertionError(f"the test runner has no check for {type(e).__name__}")
    return None


def coverage(ps: ir.PolicySet, results: Sequence[TestResult]) -> Coverage:
    """A clause is tested when a passing test's decision cites it or reports it as the scenario;
    capability clauses count when a test checks the extension."""
    cited: set[str] = set()
    fired: set[str] = set()
    for r in results:
        if r.decision is None or not r.passed:
            continue
        fired.update(r.fired)
        cited.update(r.decision.scenario)
        for a in r.decision.actions:
            cited.update(a.cites)
        for rule_name in r.fired:
            cited.update(ps.rule(rule_name).cites)
        for p in ps.periods:
            if any(pe.name == p.name for pe in r.decision.periods):
                cited.update(p.cites)
                length = getattr(p, "length", None)
                if isinstance(length, ir.ParamInt):
                    cited.update(ps.param(length.name).cites)
        if r.decision.extension is not None:
            for cap in ps.capabilities:
                cited.update(cap.cites)
        for c in r.decision.conflicts:
            cited.update(c.cites)
        if r.decision.escalation is not None:
            cited.update(r.decision.escalation.cites)
    clauses = [c for c, _ in ps.clauses]
    return Coverage(clauses_tested=tuple(c for c in clauses if c in cited),
                    clauses_untested=tuple(c for c in clauses if c not in cited),
                    rules_never_fired=tuple(r.name for r in ps.rules if r.name not in fired))
