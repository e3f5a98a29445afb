"""What every part of the analysis shares: the results it returns, name scopes, type
words and small conversions of AST values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from policydsl import ir
from policydsl.diagnostics import Diagnostic, did_you_mean
from policydsl.source import Span
from policydsl.syntax import ast

BUILTIN_TYPES = ("bool", "count", "days", "timestamp")  # `days`: a whole number of days (a count with a unit)
HOURS_PER = {"hours": 1, "days": 24}
DAYS_PER = {"days": 1}
MONTHS_PER = {"months": 1, "years": 12}  # Civil Code months and years (ir.CalendarPeriod)

PLATFORM_ONLY = {
    ast.TimezoneDecl: "the time zone",
    ast.NowDecl: "the evaluation instant (`now`)",
    ast.EnumDecl: "enums",
    ast.GroupDecl: "groups",
    ast.FactDecl: "facts",
    ast.RequireDecl: "fact orderings",
    ast.ParamDecl: "parameters",
    ast.ActionDecl: "actions",
    ast.RemedyDecl: "remedy subsumption",
    ast.EscalationDecl: "escalation to the platform (N1)",
}


@attrs.frozen(kw_only=True)
class TestCase:
    """An in-file test, resolved: complete facts as JSON-like data and checked expectations."""

    title: str
    origin: str  # "platform" | "merchant"
    facts: dict[str, Any] = attrs.field(eq=False)
    expectations: tuple[ast.Expectation, ...]
    span: Span = attrs.field(eq=False, repr=False)

    __test__ = False


@attrs.frozen
class Analysis:
    policy_set: ir.PolicySet | None
    diagnostics: tuple[Diagnostic, ...]
    tests: tuple[TestCase, ...] = ()

    @property
    def ok(self) -> bool:
        return self.policy_set is not None


@attrs.define
class Scope:
    """What one file can see while its conditions are lowered."""

    origin: str
    lets: dict[str, ast.LetDecl]
    scenarios: dict[str, ast.ScenarioDecl]
    periods: set[str]
    lowered_lets: dict[str, ir.Cond] = attrs.Factory(dict)
    visiting: set[str] = attrs.Factory(set)


def describe_fact(f: ir.Fact) -> str:
    base = {"enum": f"an enum (`{f.enum}`)", "bool": "a bool", "count": "a count",
            "timestamp": "a timestamp"}[f.kind] if f.unit is None else f"a number of {f.unit}"
    return base + (" or null" if f.nullable else "")


def literal_kind(lit: ast.Literal) -> str:
    if isinstance(lit, ast.IntLit):
        return "count"
    return "hours" if lit.unit == "hours" else "months" if lit.unit in MONTHS_PER else "days"


def literal_value(lit: ast.Literal) -> int:
    if isinstance(lit, ast.IntLit):
        return lit.value
    return lit.amount * MONTHS_PER.get(lit.unit, 1)


def want_phrase(kind: str | None) -> str:
    return {"days": "a duration in days", "hours": "a duration in hours", "months": "a duration in months",
            "count": "a count",
            "number": "a number"}.get(kind or "", str(kind))


def compatible(a: str, b: str) -> bool:
    """Whether operands of kinds `a` and `b` compare: the same kind, or a count and a bare number.
    A duration (days, hours, months) never compares with a bare number or a count: the unit is
    written (`30 days`), and a fact that counts days is declared `days`."""
    return a == b or {a, b} == {"count", "number"}


def compare_hint(a: str, b: str) -> str | None:
    """How to fix a comparison of kinds `a` and `b` that do not compare."""
    kinds = {a, b}
    if "timestamp" in kinds:
        return "periods are tested with `within p` / `expired p`"
    if "number" in kinds and kinds & {"days", "hours", "months"}:
        unit = next(k for k in ("days", "hours", "months") if k in kinds)
        return f"write the unit: `N {unit}`"
    if kinds == {"count", "days"}:
        return "a count is not a duration; declare a fact that counts days with type `days`"
    if "count" in kinds and kinds & {"hours", "months"}:
        return "a count is not a duration; compare it with a number such as `3`"
    if len(kinds & {"days", "hours", "months"}) == 2:
        return "durations compare only in the same unit (days, hours, or months and years)"
    return None


def value_hint(name: str, values: Iterable[str]) -> str:
    """'did you mean `x`?' for a near miss, else the values there are (an enum's are few)."""
    values = tuple(values)
    listed = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
    return did_you_mean(name, values) or f"expected one of {listed}"


def to_days(d: ast.Duration) -> int:
    return d.amount * DAYS_PER.get(d.unit, 0) if d.unit != "hours" else d.amount // 24


def to_hours(d: ast.Duration) -> int:
    return d.amount * HOURS_PER.get(d.unit, 0)


def window(d: ast.Duration) -> tuple[int, str]:
    """A capability's window: exact hours, or Civil Code months (`1 year` = 12 months)."""
    if d.unit in MONTHS_PER:
        return d.amount * MONTHS_PER[d.unit], "months"
    return to_hours(d), "hours"


def value_of(v: ast.Value) -> Any:
    if isinstance(v, ast.NullValue):
        return None
    if isinstance(v, ast.NameValue):
        return v.name
    if isinstance(v, ast.StringValue):
        return v.text
    return v.value
