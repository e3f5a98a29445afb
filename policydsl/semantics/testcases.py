"""In-file tests: resolve facts blocks and expectations; report test facts `eval` would reject (PD216)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


from policydsl import ir
from policydsl.compile.runtime import FactsError, nest, validate_slow
from policydsl.diagnostics import did_you_mean
from policydsl.source import Span
from policydsl.syntax import ast
from policydsl.semantics.common import TestCase, describe_fact, value_hint, value_of


class TestLowering:
    """A part of the analyzer (mixed into `analyzer._Analyzer`); see its docstring."""

    # ---- tests -------------------------------------------------------------------------------
    def lower_tests(self, policy_set: ir.PolicySet | None) -> list[TestCase]:
        """The in-file tests with their complete facts; facts a test could not run on (a missing
        fact, a timestamp without offset, …) are PD216 here, at the value given, naming the PD4xx
        code `policydsl eval` would give them, so `check` catches them. Values already reported
        (PD207/PD208/PD210, …) are not checked again."""
        fixtures: dict[str, dict[str, Any]] = {}
        where: dict[str, dict[str, Span]] = {}  # facts block -> fact path -> the value's span
        broken: set[str] = set()  # facts blocks with errors of their own
        for name, d in self.fixtures.items():
            before = len(self.diags)
            fixtures[name] = self.fact_values(d.values)
            where[name] = {fv.path.dotted: fv.value.span for fv in d.values}
            if len(self.diags) > before:
                broken.add(name)
        out = []
        for d, origin in self.tests:
            facts: dict[str, Any] = {}
            spans: dict[str, Span] = {}
            if d.base is not None:
                if d.base.text not in fixtures:
                    self.unknown("PD215", "facts block", d.base.text, d.base.span, fixtures)
                    continue
                facts.update(fixtures[d.base.text])
                spans.update(where[d.base.text])
            before = len(self.diags)
            facts.update(self.fact_values(d.values or ()))
            spans.update({fv.path.dotted: fv.value.span for fv in d.values or ()})
            if policy_set is not None and len(self.diags) == before and not (d.base and d.base.text in broken):
                self.check_test_facts(policy_set, d, facts, spans)
            for e in d.expectations:
                if isinstance(e, (ast.ExpectAction, ast.ExpectAbsent)) and e.action.text not in self.actions:
                    self.unknown("PD202", "action", e.action.text, e.action.span, self.actions)
                elif isinstance(e, ast.ExpectScenario) and e.clause.text not in self.scopes[origin].scenarios:
                    self.error("PD203", f"no scenario is declared for clause `{e.clause.text}`", e.clause.span,
                               did_you_mean(e.clause.text, self.scopes[origin].scenarios))
                elif isinstance(e, ast.ExpectExtension) and not self.capabilities:
                    self.error("PD213", "no capability is declared, so there is no extension to expect", e.span)
                elif isinstance(e, ast.ExpectConflict) and e.action.text not in self.actions:
                    self.unknown("PD202", "action", e.action.text, e.action.span, self.actions)
                elif isinstance(e, ast.ExpectEscalation) and not self.escalations:
                    self.error("PD213", "no escalation is declared, so there is none to expect", e.span)
            out.append(TestCase(title=d.title, origin=origin, facts=nest(facts), expectations=d.expectations,
                                span=d.span))
        return out

    def check_test_facts(self, ps: ir.PolicySet, d: ast.TestDecl, facts: dict[str, Any],
                         spans: dict[str, Span]) -> None:
        try:
            validate_slow(nest(facts), ir.fact_spec(ps), ir.ordering_spec(ps), ps.timezone_minutes)
        except FactsError as exc:
            for e in exc.errors:
                self.error("PD216", f'test "{d.title}" cannot run on its facts ({e["code"]}): {e["message"]}',
                           spans.get(e["fact"] or "", d.span), e["hint"])

    def fact_values(self, values: Iterable[ast.FactValue]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        given: set[str] = set()
        for fv in values:
            if fv.path.dotted in given:
                self.error("PD207", f"`{fv.path.dotted}` is given twice in this block", fv.path.span,
                           "give each fact once")
                continue
            given.add(fv.path.dotted)
            fact = self.facts.get(fv.path.dotted)
            if fact is None:
                self.unknown("PD210", "fact in test data", fv.path.dotted, fv.path.span, self.facts)
                continue
            v = fv.value
            if isinstance(v, ast.NameValue) and fact.kind == "enum" and v.name not in fact.values:
                self.error("PD206", f"`{v.name}` is not a value of `{fact.path}`", v.span,
                           value_hint(v.name, fact.values))
                continue
            expected = {"enum": (ast.NameValue, ast.StringValue), "bool": (ast.BoolValue,),
                        "count": (ast.IntValue,), "timestamp": (ast.StringValue,)}[fact.kind]
            if not isinstance(v, expected) and not (fact.nullable and isinstance(v, ast.NullValue)):
                self.error("PD208", f"`{fact.path}` is {describe_fact(fact)}; this value is not", v.span)
                continue
            out[fact.path] = value_of(v)
        return out
