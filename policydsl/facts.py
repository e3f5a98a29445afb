"""Facts: validate one after-sales request (JSON) against the policy set's declared facts.

Every problem is a PD4xx diagnostic that names the fact path and what was
expected; nothing is defaulted. Valid facts become a flat mapping from fact
path to a Python value (timestamps as epoch microseconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from policydsl import ir
from policydsl.diagnostics import Diagnostic, PolicyDslError, did_you_mean
from policydsl.source import Source, Span, point
from policydsl.timeutil import TimestampError, format_timestamp, parse_timestamp

FlatFacts = dict[str, Any]


class FactsInputError(PolicyDslError):
    """Facts that cannot be decided on; carries every PD4xx diagnostic found."""


def load_json(text: str, source: Source) -> Any:
    """Parse JSON text; a syntax error becomes PD401 at its line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsInputError([Diagnostic(code="PD401", message=f"facts are not valid JSON: {exc.msg}",
                                          span=point(source, exc.lineno, exc.colno),
                                          hint="facts are one JSON object, or JSON Lines (one object a line)")])
    except RecursionError:
        raise FactsInputError([Diagnostic(code="PD401", message="facts are not valid JSON: nested too deeply",
                                          span=point(source, 1, 1))])
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise FactsInputError([Diagnostic(code="PD401", message=f"facts are not valid JSON: {exc}",
                                          span=point(source, 1, 1))])


class _Locator:
    """Finds where a fact path's key sits in the JSON text, for diagnostics."""

    def __init__(self, source: Source | None, first_line: int = 1) -> None:
        self.source = source
        self.first_line = first_line

    def span(self, path: str) -> Span | None:
        if self.source is None:
            return None
        text = self.source.text
        pos = 0
        found = -1
        key = ""
        for segment in path.split("."):
            m = re.compile(r'"%s"\s*:' % re.escape(segment)).search(text, pos)
            if m is None:
                break
            found, pos, key = m.start(), m.end(), segment
        if found < 0:
            return point(self.source, self.first_line, 1)
        line = text.count("\n", 0, found) + 1
        column = found - (text.rfind("\n", 0, found) + 1) + 1
        return point(self.source, line, column, len(key) + 2)  # the key found, with its quotes


def validate(data: Any, policy_set: ir.PolicySet, source: Source | None = None) -> FlatFacts:
    """Check `data` against the declared facts; raise FactsInputError listing every problem."""
    loc = _Locator(source)
    diags: list[Diagnostic] = []

    def err(code: str, path: str, message: str, hint: str | None = None) -> None:
        diags.append(Diagnostic(code=code, message=message, span=loc.span(path), hint=hint))

    if not isinstance(data, Mapping):
        raise FactsInputError([Diagnostic(code="PD404", message=f"facts must be a JSON object, got {kind_of(data)}",
                                          span=point(source, 1, 1) if source else None)])
    flat: dict[str, Any] = {}
    declared = {f.path: f for f in policy_set.facts}
    prefixes = {".".join(p.split(".")[:i]) for p in declared for i in range(1, p.count(".") + 1)}

    def walk(node: Mapping, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in declared:
                flat[path] = value
            elif path in prefixes:
                if isinstance(value, Mapping):
                    walk(value, path + ".")
                else:
                    err("PD404", path, f"`{path}` must be a JSON object holding facts, got {kind_of(value)}")
            else:
                err("PD403", path, f"unknown fact `{path}`",
                    did_you_mean(path, [*declared, *prefixes]) or "remove it; only declared facts are accepted")

    walk(data, "")
    out: FlatFacts = {}
    for path, fact in declared.items():
        if path not in flat:
            err("PD402", path, f"missing fact `{path}` ({expected_phrase(fact)})")
            continue
        value = flat[path]
        if value is None:
            if fact.nullable:
                out[path] = None
            else:
                err("PD404", path, f"`{path}` must be {expected_phrase(fact)}, got null")
            continue
        if fact.kind == "bool":
            if type(value) is bool:
                out[path] = value
            else:
                err("PD404", path, f"`{path}` must be true or false, got {kind_of(value)}")
        elif fact.kind == "count":
            if type(value) is not int:
                err("PD404", path, f"`{path}` must be a whole number, got {kind_of(value)}")
            elif value < 0:
                err("PD407", path, f"`{path}` must be 0 or more, got {value}")
            else:
                out[path] = value
        elif fact.kind == "enum":
            if not isinstance(value, str):
                err("PD404", path, f"`{path}` must be a string, one of {', '.join(fact.values)}; got {kind_of(value)}")
            elif value not in fact.values:
                err("PD405", path, f"`{path}` has no value `{value}`; expected one of {', '.join(fact.values)}",
                    did_you_mean(value, fact.values))
            else:
                out[path] = value
        elif fact.kind == "timestamp":
            if not isinstance(value, str):
                err("PD404", path, f"`{path}` must be an RFC 3339 timestamp string, got {kind_of(value)}")
                continue
            try:
                instant = parse_timestamp(value)
                format_timestamp(instant, policy_set.timezone_minutes)  # it can be written in the policy's zone
            except TimestampError as exc:
                err("PD406", path, f"`{path}`: {exc}", "write e.g. 2026-10-01T12:00:00+08:00")
            except OverflowError:
                err("PD406", path, f"`{path}`: {value} falls outside the years 0001–9999 in the policy's time zone",
                    "write e.g. 2026-10-01T12:00:00+08:00")
            else:
                out[path] = instant
    if not diags:
        for o in policy_set.orderings:
            left, right = out.get(o.left), out.get(o.right)
            if left is None or right is None:
                continue
            if left > right or (o.op == "<" and left == right):
                tz = policy_set.timezone_minutes
                err("PD408", o.right, f"contradictory facts: `{o.right}` ({format_timestamp(right, tz)}) is before "
                                      f"`{o.left}` ({format_timestamp(left, tz)})",
                    f"the policy requires {o.left} {o.op} {o.right}")
    if diags:
        raise FactsInputError(diags)
    return out


def expected_phrase(fact: ir.Fact) -> str:
    base = {"bool": "true or false", "count": "a whole number ≥ 0",
            "timestamp": "an RFC 3339 timestamp with offset",
            "enum": "one of " + ", ".join(fact.values)}[fact.kind]
    return base + (", or null" if fact.nullable else "")


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"order.paid_at": x} → {"order": {"paid_at": x}}, keys in first-seen order."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out
