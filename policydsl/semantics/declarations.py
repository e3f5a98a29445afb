"""Pass 1: collect every declaration into name tables, reporting duplicates and misplaced ones."""

from __future__ import annotations

import re
from typing import Any

import attrs

from policydsl import ir
from policydsl.source import Span
from policydsl.syntax import ast
from policydsl.semantics.common import BUILTIN_TYPES, PLATFORM_ONLY, describe_fact, literal_kind, value_hint, want_phrase


class DeclarationCollector:
    """A part of the analyzer (mixed into `analyzer._Analyzer`); see its docstring."""

    # ---- pass 1: collect declarations ------------------------------------------------------
    def collect(self, policy: ast.Policy, origin: str) -> None:
        for decl in policy.declarations:
            if origin == ir.MERCHANT and type(decl) in PLATFORM_ONLY:
                what = PLATFORM_ONLY[type(decl)]
                self.error("PD209", f"a merchant policy cannot declare {what}; only the platform can", decl.span,
                           "merchants tune what the platform declares tunable with `set`, and add rules")
                continue
            handler = getattr(self, f"collect_{type(decl).__name__}")
            handler(decl, origin)

    def add_unique(self, table: dict, key: str, value: Any, kind: str, span: Span | None) -> bool:
        if key in table:
            self.error("PD207", f"{kind} `{key}` is declared twice", span, "give it a different name, or remove one")
            return False
        table[key] = value
        return True

    def collect_TimezoneDecl(self, d: ast.TimezoneDecl, origin: str) -> None:
        m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", d.offset, re.ASCII)
        if not m or int(m.group(2)) > 23 or int(m.group(3)) > 59:
            self.error("PD213", f"invalid time zone `{d.offset}`", d.span, "write a fixed UTC offset such as \"+08:00\"")
            return
        sign = -1 if m.group(1) == "-" else 1
        self.timezone_minutes = sign * (int(m.group(2)) * 60 + int(m.group(3)))

    def collect_NowDecl(self, d: ast.NowDecl, origin: str) -> None:
        self.now_decl = d

    def collect_ClauseDecl(self, d: ast.ClauseDecl, origin: str) -> None:
        if self.add_unique(self.clauses, d.clause.text, d, "clause", d.clause.span):
            self.clause_origin[d.clause.text] = origin

    def collect_EnumDecl(self, d: ast.EnumDecl, origin: str) -> None:
        if d.name.text in BUILTIN_TYPES:
            self.error("PD207", f"`{d.name.text}` is a built-in type", d.name.span)
            return
        seen: dict[str, None] = {}
        for v in d.values:
            self.add_unique(seen, v.text, None, "enum value", v.span)
        self.add_unique(self.enums, d.name.text, tuple(seen), "enum", d.name.span)

    def collect_GroupDecl(self, d: ast.GroupDecl, origin: str) -> None:
        values = self.enums.get(d.enum.text)
        if values is None:
            self.unknown("PD206", "enum", d.enum.text, d.enum.span, self.enums)
            return
        members = []
        for m in d.members:
            if m.text not in values:
                self.error("PD206", f"`{m.text}` is not a value of enum `{d.enum.text}`", m.span,
                           value_hint(m.text, values))
            else:
                members.append(m.text)
        self.add_unique(self.groups, d.name.text, (d.enum.text, tuple(members)), "group", d.name.span)

    def collect_FactDecl(self, d: ast.FactDecl, origin: str) -> None:
        type_name = d.type.name.text
        if type_name == "days":  # a whole number of days: evaluated as a count, typed as a duration
            fact = ir.Fact(path=d.path.dotted, kind="count", nullable=d.type.optional, unit="days")
        elif type_name in BUILTIN_TYPES:
            fact = ir.Fact(path=d.path.dotted, kind=type_name, nullable=d.type.optional)
        elif type_name in self.enums:
            fact = ir.Fact(path=d.path.dotted, kind="enum", nullable=d.type.optional, enum=type_name,
                           values=self.enums[type_name])
        else:
            self.unknown("PD206", "type", type_name, d.type.name.span, [*BUILTIN_TYPES, *self.enums])
            self.untyped_facts.add(d.path.dotted)
            return
        if d.omittable:
            if not d.type.optional:
                self.error("PD208", f"fact `{d.path.dotted}` may be omitted, so it must be nullable (absent means "
                                    f"null)", d.type.span, f"write `{type_name}?`")
                return
            fact = attrs.evolve(fact, optional=True)
        if len(d.path.segments) < 2:
            self.error("PD201", f"fact `{d.path.dotted}` needs a dotted path such as `order.{d.path.dotted}`", d.path.span,
                       "facts live under a JSON object: order.…, request.…")
            return
        prefixes = {".".join(d.path.segments[:i]) for i in range(1, len(d.path.segments))}
        clash = [p for p in self.facts if p in prefixes or p.startswith(d.path.dotted + ".")]
        if clash:
            self.error("PD207", f"fact `{d.path.dotted}` overlaps fact `{clash[0]}`", d.path.span)
            return
        self.add_unique(self.facts, d.path.dotted, fact, "fact", d.path.span)

    def collect_RequireDecl(self, d: ast.RequireDecl, origin: str) -> None:
        for p in (d.left, d.right):
            f = self.fact_ref(p)
            if f is not None and f.kind != "timestamp":
                self.error("PD208", f"`require` orders timestamps; `{p.dotted}` is {describe_fact(f)}", p.span)
                return
        if d.op not in ("<=", "<"):
            self.error("PD208", f"`require` takes `<` or `<=`, not `{d.op}`", d.span,
                       "write the earlier fact first: `require order.paid_at <= request.at`")
            return
        self.orderings.append(ir.Ordering(left=d.left.dotted, op=d.op, right=d.right.dotted, span=d.span))

    def collect_ParamDecl(self, d: ast.ParamDecl, origin: str) -> None:
        kind = literal_kind(d.default)
        self.check_cites(d.cites)
        if self.add_unique(self.params, d.name.text, d, "parameter", d.name.span):
            self.param_kinds[d.name.text] = kind

    def collect_SetDecl(self, d: ast.SetDecl, origin: str) -> None:
        self.check_cites(d.cites)
        param = self.params.get(d.name.text)
        if param is None:
            self.unknown("PD204", "parameter", d.name.text, d.name.span, self.params)
            return
        if param.direction is None:
            self.error("PD209", f"parameter `{d.name.text}` is fixed by the platform and cannot be set", d.name.span,
                       "only parameters declared `may only increase` or `may only decrease` are tunable")
            return
        key = None
        if d.for_value is not None:
            if param.per is None:
                self.error("PD209", f"parameter `{d.name.text}` is not set per value", d.for_value.span,
                           f"drop `for {d.for_value.text}`")
                return
            fact = self.facts.get(param.per.dotted)
            if fact is not None and d.for_value.text not in fact.values:
                self.error("PD206", f"`{d.for_value.text}` is not a value of `{param.per.dotted}`", d.for_value.span,
                           value_hint(d.for_value.text, fact.values))
                return
            key = d.for_value.text
        want, got = self.param_kinds.get(d.name.text), literal_kind(d.value)
        if want != got and not (want == "days" and got == "days"):
            unit = {"days": "days", "hours": "hours", "months": "months"}.get(want or "")
            amount = getattr(d.value, "value", None)
            self.error("PD208", f"parameter `{d.name.text}` is {want_phrase(want)}; this value is {want_phrase(got)}",
                       d.value.span, f"write the unit: `{amount} {unit}`"
                       if unit and isinstance(amount, int) else None)
            return
        if (d.name.text, key) in self.sets:
            self.error("PD207", f"parameter `{d.name.text}`" + (f" for `{key}`" if key else "") + " is set twice",
                       d.span)
            return
        self.sets[(d.name.text, key)] = d

    def collect_PeriodDecl(self, d: ast.PeriodDecl, origin: str) -> None:
        self.check_cites(d.cites)
        self.add_unique(self.periods, d.name.text, (d, origin), "period", d.name.span)

    def collect_CapabilityDecl(self, d: ast.CapabilityDecl, origin: str) -> None:
        self.check_cites(d.cites)
        if origin == ir.MERCHANT:
            if d.name.text not in self.capabilities:
                self.unknown("PD204", "capability", d.name.text, d.name.span, self.capabilities)
                return
            self.claim_decls.append(d)  # lowered with the rules, then compared with the ceiling (PD303)
            return
        self.add_unique(self.capabilities, d.name.text, d, "capability", d.name.span)

    def collect_ActionDecl(self, d: ast.ActionDecl, origin: str) -> None:
        self.add_unique(self.actions, d.name.text, d, "action", d.name.span)

    def collect_EscalationDecl(self, d: ast.EscalationDecl, origin: str) -> None:
        self.check_cites(d.cites)
        if self.escalations:
            self.error("PD207", "escalation is declared twice", d.span, "merge the two into one declaration")
            return
        self.escalations.append(d)

    def collect_RemedyDecl(self, d: ast.RemedyDecl, origin: str) -> None:
        self.remedies.append(d)

    def collect_LetDecl(self, d: ast.LetDecl, origin: str) -> None:
        table = self.lets_of(origin)
        if origin == ir.MERCHANT and d.name.text in self.lets_of(ir.PLATFORM):
            self.error("PD207", f"`{d.name.text}` is already defined by the platform", d.name.span)
            return
        self.add_unique(table, d.name.text, d, "name", d.name.span)

    def collect_ScenarioDecl(self, d: ast.ScenarioDecl, origin: str) -> None:
        table = self.scenarios_of(origin)
        if origin == ir.MERCHANT and d.clause.text in self.scenarios_of(ir.PLATFORM):
            self.error("PD207", f"scenario `{d.clause.text}` is already defined by the platform", d.clause.span)
            return
        self.add_unique(table, d.clause.text, d, "scenario", d.clause.span)

    def collect_RuleDecl(self, d: ast.RuleDecl, origin: str) -> None:
        self.check_cites(d.cites)
        if d.name.text in self.rules:
            hint = (f"to replace the platform rule, name yours differently and add `replaces {d.name.text}`"
                    if origin == ir.MERCHANT and self.rules[d.name.text][1] == ir.PLATFORM else None)
            self.error("PD207", f"rule `{d.name.text}` is declared twice", d.name.span, hint)
            return
        self.rules[d.name.text] = (d, origin)

    def collect_FactsDecl(self, d: ast.FactsDecl, origin: str) -> None:
        self.add_unique(self.fixtures, d.name.text, d, "facts block", d.name.span)

    def collect_TestDecl(self, d: ast.TestDecl, origin: str) -> None:
        self.tests.append((d, origin))
