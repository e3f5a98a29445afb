"""Resolve names, check types and lower a platform policy (plus an optional merchant policy) to IR.

The analyzer walks each declaration once. It never stops at the first problem:
every error is recorded as a diagnostic and analysis goes on with a placeholder,
so one run reports everything it can. A policy set is produced only when no
error was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

from policydsl import ast, ir
from policydsl.diagnostics import Diagnostic, did_you_mean
from policydsl.facts import nest
from policydsl.runtime import FactsError, validate_slow
from policydsl.source import Span

BUILTIN_TYPES = ("bool", "count", "timestamp")
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
class _Scope:
    """What one file can see while its conditions are lowered."""

    origin: str
    lets: dict[str, ast.LetDecl]
    scenarios: dict[str, ast.ScenarioDecl]
    periods: set[str]
    lowered_lets: dict[str, ir.Cond] = attrs.Factory(dict)
    visiting: set[str] = attrs.Factory(set)


class _Analyzer:
    def __init__(self, platform: ast.Policy, merchant: ast.Policy | None) -> None:
        self.platform = platform
        self.merchant = merchant
        self.diags: list[Diagnostic] = []
        self.timezone_minutes = 0
        self.now: str | None = None
        self.clauses: dict[str, ast.ClauseDecl] = {}
        self.clause_origin: dict[str, str] = {}
        self.enums: dict[str, tuple[str, ...]] = {}
        self.groups: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.facts: dict[str, ir.Fact] = {}
        self.untyped_facts: set[str] = set()  # declared with an unknown type: already reported, so not unknown
        self.orderings: list[ir.Ordering] = []
        self.params: dict[str, ast.ParamDecl] = {}
        self.param_kinds: dict[str, str] = {}
        self.sets: dict[tuple[str, str | None], ast.SetDecl] = {}
        self.periods: dict[str, tuple[ast.PeriodDecl, str]] = {}
        self.capabilities: dict[str, ast.CapabilityDecl] = {}
        self.claim_decls: list[ast.CapabilityDecl] = []
        self.actions: dict[str, ast.ActionDecl] = {}
        self.remedies: list[ast.RemedyDecl] = []
        self.escalations: list[ast.EscalationDecl] = []
        self.rules: dict[str, tuple[ast.RuleDecl, str]] = {}
        self.fixtures: dict[str, ast.FactsDecl] = {}
        self.tests: list[tuple[ast.TestDecl, str]] = []
        self.scopes: dict[str, _Scope] = {}
        self.replaced: dict[str, str] = {}  # platform rule -> the merchant rule replacing it
        self.now_decl: ast.NowDecl | None = None
        self.pending_cites: list[ast.Name] = []  # checked once every clause is collected
        self.lets: dict[str, dict[str, ast.LetDecl]] = {ir.PLATFORM: {}, ir.MERCHANT: {}}
        self.scenarios: dict[str, dict[str, ast.ScenarioDecl]] = {ir.PLATFORM: {}, ir.MERCHANT: {}}

    # ---- reporting ---------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code=code, message=message, span=span, hint=hint))

    def unknown(self, code: str, kind: str, name: str, span: Span | None, candidates: Iterable[str]) -> None:
        if name in self.untyped_facts:
            return  # its declaration's PD206 is the one error worth reading
        self.error(code, f"unknown {kind} `{name}`", span, did_you_mean(name, candidates))

    # ---- entry ---------------------------------------------------------------------
    def run(self) -> Analysis:
        if not isinstance(self.platform.header, ast.PlatformHeader):
            self.error("PD212", f"`{self.platform.name}` is a merchant policy; a baseline must be a platform policy",
                       self.platform.header.span)
            return Analysis(None, tuple(self.diags))
        self.collect(self.platform, ir.PLATFORM)
        if self.merchant is not None:
            header = self.merchant.header
            if not isinstance(header, ast.MerchantHeader):
                self.error("PD212", "expected a merchant policy here", header.span)
            elif header.extends != self.platform.name:
                self.error("PD212", f"this policy extends `{header.extends}`, but the baseline loaded is "
                                    f"`{self.platform.name}`", header.span,
                           "pass the right baseline with --baseline, or fix the `extends` name")
            else:
                self.collect(self.merchant, ir.MERCHANT)
        self.check_platform_basics()
        self.scopes[ir.PLATFORM] = self.scope_for(ir.PLATFORM)
        self.scopes[ir.MERCHANT] = self.scope_for(ir.MERCHANT)
        policy_set = self.lower()
        tests = self.lower_tests(policy_set)
        errors = [d for d in self.diags if d.is_error]
        return Analysis(None if errors else policy_set, tuple(self.diags), tuple(tests) if not errors else ())

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
        if type_name in BUILTIN_TYPES:
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

    # ---- name tables by origin ----------------------------------------------------------
    def lets_of(self, origin: str) -> dict[str, ast.LetDecl]:
        return self.lets[origin]

    def scenarios_of(self, origin: str) -> dict[str, ast.ScenarioDecl]:
        return self.scenarios[origin]

    def scope_for(self, origin: str) -> _Scope:
        lets = dict(self.lets_of(ir.PLATFORM))
        scenarios = dict(self.scenarios_of(ir.PLATFORM))
        periods = {n for n, (_, o) in self.periods.items() if o == ir.PLATFORM}
        if origin == ir.MERCHANT:
            lets.update(self.lets_of(ir.MERCHANT))
            scenarios.update(self.scenarios_of(ir.MERCHANT))
            periods = set(self.periods)
        return _Scope(origin=origin, lets=lets, scenarios=scenarios, periods=periods)

    # ---- checks shared by many declarations ------------------------------------------------
    def check_cites(self, cites: tuple[ast.Name, ...]) -> None:
        # Clause declarations may come later in the file; cites are checked after collection.
        self.pending_cites.extend(cites)

    def fact_ref(self, path: ast.Path) -> ir.Fact | None:
        fact = self.facts.get(path.dotted)
        if fact is None:
            self.unknown("PD201", "fact", path.dotted, path.span, self.facts)
        return fact

    def check_platform_basics(self) -> None:
        for c in self.pending_cites:
            if c.text not in self.clauses:
                self.unknown("PD203", "clause", c.text, c.span, self.clauses)
        now_decl = self.now_decl
        if now_decl is None:
            self.error("PD213", "a platform policy must say which fact is the evaluation instant",
                       self.platform.header.span, "add `now request.at`")
        else:
            f = self.fact_ref(now_decl.path)
            if f is not None and (f.kind != "timestamp" or f.nullable):
                self.error("PD208", f"`now` needs a non-null timestamp fact; `{now_decl.path.dotted}` is "
                                    f"{describe_fact(f)}", now_decl.path.span)
            elif f is not None:
                self.now = f.path
        for p in self.params.values():
            if p.per is not None:
                f = self.fact_ref(p.per)
                if f is not None and f.kind != "enum":
                    self.error("PD208", f"`per` needs an enum fact; `{p.per.dotted}` is {describe_fact(f)}",
                               p.per.span)

    # ---- pass 2: lower to IR --------------------------------------------------------------
    def lower(self) -> ir.PolicySet | None:
        params = tuple(self.lower_param(d) for d in self.params.values())
        periods = tuple(p for p in (self.lower_period(d, o) for d, o in self.periods.values()) if p is not None)
        periods = self.apply_joins(periods)
        self.check_period_cycles(periods)
        capabilities = tuple(c for c in (self.lower_capability(d) for d in self.capabilities.values()) if c)
        actions = tuple(self.lower_action(d) for d in self.actions.values())
        escalation = self.lower_escalation()
        covers = self.lower_remedies()
        scenarios = []
        for origin in (ir.PLATFORM, ir.MERCHANT):
            scope = self.scopes[origin]
            for clause, d in self.scenarios_of(origin).items():
                if clause not in self.clauses:
                    self.unknown("PD203", "clause", clause, d.clause.span, self.clauses)
                scenarios.append(ir.Scenario(clause=clause, condition=self.cond(d.condition, scope), source=origin))
        lowered = [self.lower_rule(d, o) for d, o in self.rules.values()]
        rules = tuple(r for r in lowered if r.name not in self.replaced)
        if any(d.is_error for d in self.diags) or self.now is None:
            return None
        return ir.PolicySet(
            name=self.platform.name,
            version=self.platform.header.version,
            timezone_minutes=self.timezone_minutes,
            now=self.now,
            facts=tuple(self.facts.values()),
            orderings=tuple(self.orderings),
            params=params,
            periods=periods,
            capabilities=capabilities,
            actions=actions,
            covers=covers,
            clauses=tuple((k, d.title) for k, d in self.clauses.items()),
            scenarios=tuple(scenarios),
            rules=rules,
            capability_claims=tuple(self.lower_claim(d) for d in self.claim_decls),
            merchant=self.merchant.name if self.merchant is not None else None,
            escalation=escalation,
        )

    def lower_action(self, d: ast.ActionDecl) -> ir.Action:
        needs = None
        if d.needs is not None:
            if d.needs.text in self.capabilities:
                needs = d.needs.text
            else:
                self.unknown("PD204", "capability", d.needs.text, d.needs.span, self.capabilities)
        return ir.Action(name=d.name.text, polarity=d.polarity, needs=needs)

    def lower_escalation(self) -> ir.Escalation | None:
        if not self.escalations:
            return None
        d = self.escalations[0]
        rulings = tuple(dict.fromkeys(n.text for n in d.rulings))
        if len(rulings) < len(d.rulings):
            self.error("PD207", "a ruling is listed twice", d.span)
        return ir.Escalation(condition=self.cond(d.condition, self.scopes[ir.PLATFORM]), rulings=rulings,
                             cites=tuple(c.text for c in d.cites), span=d.span)

    def lower_param(self, d: ast.ParamDecl) -> ir.Param:
        kind = self.param_kinds[d.name.text]
        default = literal_value(d.default)
        base = self.sets.get((d.name.text, None))
        value = literal_value(base.value) if base else default
        by_value = tuple((k, literal_value(s.value)) for (n, k), s in self.sets.items()
                         if n == d.name.text and k is not None)
        return ir.Param(name=d.name.text, kind=kind, direction=d.direction, platform_default=default, value=value,
                        per=d.per.dotted if d.per else None, by_value=by_value,
                        source=ir.MERCHANT if base else ir.PLATFORM,
                        cites=tuple(c.text for c in d.cites), span=d.span,
                        set_spans=tuple((k, s.span) for (n, k), s in self.sets.items() if n == d.name.text))

    def length_term(self, length: ast.Length, calendar: bool) -> tuple[ir.IntTerm, str] | None:
        """The period length as an IR term and its unit ("days" or "hours")."""
        if isinstance(length, ast.LengthConst):
            dur = length.duration
            if dur.unit in MONTHS_PER:
                return ir.Const(dur.amount * MONTHS_PER[dur.unit]), "months"
            if dur.unit == "hours":
                if calendar:
                    self.error("PD208", "a calendar period counts whole days, not hours", dur.span,
                               "use `N hours after X` for an hour-precise period")
                    return None
                return ir.Const(dur.amount), "hours"
            return ir.Const(dur.amount * DAYS_PER[dur.unit]), "days"
        if isinstance(length, ast.LengthParam):
            if length.name.text not in self.params:
                self.unknown("PD204", "parameter", length.name.text, length.name.span, self.params)
                return None
            kind = self.param_kinds[length.name.text]
            if kind == "count" or (calendar and kind == "hours"):
                self.error("PD208", f"parameter `{length.name.text}` is {want_phrase(kind)}; a "
                                    f"{'calendar ' if calendar else ''}period needs {want_phrase('days')}",
                           length.name.span)
                return None
            return ir.ParamInt(length.name.text), kind
        fact = self.fact_ref(length.path)
        if fact is None:
            return None
        if fact.kind != "count":
            self.error("PD208", f"a period length needs a count fact; `{fact.path}` is {describe_fact(fact)}",
                       length.path.span)
            return None
        if length.unit == "years" or (calendar and length.unit == "hours"):
            self.error("PD208", f"a length read from a fact counts days{'' if calendar else ' or hours'}"
                                f"{' or months' if length.unit == 'years' else ''}", length.span)
            return None
        return ir.FactInt(fact.path), length.unit

    def lower_period(self, d: ast.PeriodDecl, origin: str) -> ir.Period | None:
        body = d.body
        cites = tuple(c.text for c in d.cites)
        scope = self.scopes[origin]
        if isinstance(body, ast.BestPeriod):
            members = []
            for m in body.members:
                if m.text not in scope.periods:
                    self.unknown("PD205", "period", m.text, m.span, scope.periods)
                elif m.text == d.name.text:
                    self.error("PD214", f"period `{m.text}` cannot include itself", m.span)
                else:
                    members.append(m.text)
            return ir.BestPeriod(name=d.name.text, members=tuple(members), source=origin, cites=cites, span=d.span)
        calendar = isinstance(body, ast.CalendarPeriod)
        length = self.length_term(body.length, calendar)
        anchor = self.fact_ref(body.anchor)
        if anchor is not None and anchor.kind != "timestamp":
            self.error("PD208", f"a period starts at a timestamp fact; `{anchor.path}` is {describe_fact(anchor)}",
                       body.anchor.span)
            anchor = None
        guard: ir.Cond = ir.TRUE
        if body.guard is not None:
            guard = self.cond(body.guard.condition, scope)
            if body.guard.kind == "unless":
                guard = ir.NotCond(guard)
        if length is None or anchor is None:
            return None
        term, unit = length
        if calendar or unit == "months":  # months and years are always counted as the Civil Code does
            return ir.CalendarPeriod(name=d.name.text, length=term, anchor=anchor.path, guard=guard, source=origin,
                                     cites=cites, span=d.span, unit="months" if unit == "months" else "days")
        return ir.ExactPeriod(name=d.name.text, length=term, unit=unit, anchor=anchor.path, guard=guard,
                              source=origin, cites=cites, span=d.span)

    def apply_joins(self, periods: tuple[ir.Period, ...]) -> tuple[ir.Period, ...]:
        """`joins best` adds a period to a `most favourable of` period (G2c: promised periods count too)."""
        extra: dict[str, list[str]] = {}
        for name, (d, origin) in self.periods.items():
            joins = getattr(d.body, "joins", None)
            if joins is None:
                continue
            target = self.periods.get(joins.text)
            if target is None or (origin == ir.PLATFORM and target[1] == ir.MERCHANT):
                self.unknown("PD205", "period", joins.text, joins.span, self.periods)
            elif not isinstance(target[0].body, ast.BestPeriod):
                self.error("PD208", f"period `{joins.text}` is not a `most favourable of` period; nothing can join it",
                           joins.span)
            elif joins.text == name:
                self.error("PD214", f"period `{name}` cannot join itself", joins.span)
            else:
                extra.setdefault(joins.text, []).append(name)
        out = []
        for p in periods:
            if isinstance(p, ir.BestPeriod) and p.name in extra:
                p = attrs.evolve(p, members=p.members + tuple(m for m in extra[p.name] if m not in p.members))
            out.append(p)
        return tuple(out)

    def check_period_cycles(self, periods: tuple[ir.Period, ...]) -> None:
        """PD214 for periods whose state depends on itself: through `most favourable of` members
        (with `joins`) and through `when`/`unless` guards that test a period (`within p`,
        `expired p`, or a scenario or `let` that does)."""
        depends = {p.name: _period_dependencies(p) for p in periods}
        done: set[str] = set()
        for start in depends:
            path: list[str] = []
            on_path: set[str] = set()

            def visit(name: str) -> list[str] | None:
                if name in on_path:
                    return path[path.index(name):] + [name]
                if name in done or name not in depends:
                    return None
                path.append(name)
                on_path.add(name)
                for nxt in depends[name]:
                    cycle = visit(nxt)
                    if cycle is not None:
                        return cycle
                path.pop()
                on_path.discard(name)
                done.add(name)
                return None

            cycle = visit(start)
            if cycle is not None:
                named = [self.periods[n] for n in cycle[:-1] if n in self.periods]
                blamed = next((d for d, origin in named if origin == ir.MERCHANT), named[0][0])
                self.error("PD214", "periods are defined in terms of each other: "
                           + " → ".join(f"`{n}`" for n in cycle), blamed.span,
                           "a period's `when`/`unless` guard cannot test a period it joins or is a member of")
                done.update(cycle)

    def lower_capability(self, d: ast.CapabilityDecl) -> ir.Capability | None:
        times = [i for i in d.items if isinstance(i, ast.CapTimes)]
        each = [i for i in d.items if isinstance(i, ast.CapEach)]
        within = [i for i in d.items if isinstance(i, ast.CapWithin)]
        when = [i for i in d.items if isinstance(i, ast.CapWhen)]
        if len(times) != 1 or len(each) != 1 or len(within) != 1 or len(when) > 1:
            self.error("PD213", f"capability `{d.name.text}` needs exactly one each of `at most N times`, "
                                "`N days each` and `within D after X` (and at most one `only when`)", d.span)
            return None
        counted_by = None
        if times[0].counted_by is not None:
            f = self.fact_ref(times[0].counted_by)
            if f is not None and (f.kind != "count" or f.nullable):
                self.error("PD208", f"`counted by` needs a non-null count fact; `{f.path}` is {describe_fact(f)}",
                           times[0].counted_by.span)
            counted_by = times[0].counted_by.dotted
        anchor = self.fact_ref(within[0].anchor)
        if anchor is not None and (anchor.kind != "timestamp" or anchor.nullable):
            self.error("PD208", f"`within … after` needs a non-null timestamp fact; `{anchor.path}` is "
                                f"{describe_fact(anchor)}", within[0].anchor.span)
        if each[0].duration.unit != "days":
            self.error("PD208", "extensions are granted in whole days", each[0].duration.span,
                       "write the length in days, e.g. `7 days each`")
            return None
        cond = self.cond(when[0].condition, self.scopes[ir.PLATFORM]) if when else ir.TRUE
        return ir.Capability(name=d.name.text, max_times=times[0].count, counted_by=counted_by,
                             each_days=to_days(each[0].duration), within=window(within[0].duration)[0],
                             within_unit=window(within[0].duration)[1],
                             anchor=within[0].anchor.dotted, when=cond, cites=tuple(c.text for c in d.cites),
                             span=d.span)

    def lower_claim(self, d: ast.CapabilityDecl) -> ir.CapabilityClaim:
        """What a merchant file states about a platform capability, each part as written (its
        facts resolved, each part at most once); the checker compares it with the platform's."""
        for kind, words in ((ast.CapTimes, "`at most N times`"), (ast.CapEach, "`N days each`"),
                            (ast.CapWithin, "`within … after`"), (ast.CapWhen, "`only when`")):
            repeated = [i for i in d.items if isinstance(i, kind)][1:]
            if repeated:
                self.error("PD213", f"capability `{d.name.text}` states {words} more than once", repeated[0].span)
        times = next((i for i in d.items if isinstance(i, ast.CapTimes)), None)
        each = next((i for i in d.items if isinstance(i, ast.CapEach)), None)
        within = next((i for i in d.items if isinstance(i, ast.CapWithin)), None)
        when = next((i for i in d.items if isinstance(i, ast.CapWhen)), None)
        for path in (times.counted_by if times else None, within.anchor if within else None):
            if path is not None:
                self.fact_ref(path)
        return ir.CapabilityClaim(
            name=d.name.text,
            max_times=times.count if times else None,
            counted_by=times.counted_by.dotted if times and times.counted_by else None,
            each_hours=to_hours(each.duration) if each else None,
            within=window(within.duration)[0] if within else None,
            within_unit=window(within.duration)[1] if within else None,
            anchor=within.anchor.dotted if within else None,
            when=self.cond(when.condition, self.scopes[ir.MERCHANT]) if when else None,
            span=d.span)

    def lower_remedies(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        stronger: dict[str, set[str]] = {}
        for d in self.remedies:
            ok = True
            for n in d.chain:
                a = self.actions.get(n.text)
                if a is None:
                    self.unknown("PD202", "action", n.text, n.span, self.actions)
                    ok = False
                elif a.polarity != "pro_buyer":
                    self.error("PD208", f"remedy `{n.text}` must be a pro_buyer action", n.span)
                    ok = False
            if not ok:
                continue
            for hi, lo in zip(d.chain, d.chain[1:]):
                stronger.setdefault(lo.text, set()).add(hi.text)
        order = list(self.actions)
        covers = []
        circular: list[str] = []
        for action in order:
            seen: set[str] = set()
            stack = list(stronger.get(action, ()))
            while stack:
                a = stack.pop()
                if a not in seen:
                    seen.add(a)
                    stack.extend(stronger.get(a, ()))
            if action in seen:
                circular.append(action)
                continue
            if seen:
                covers.append((action, (action, *[a for a in order if a in seen])))
        if circular:
            # One error per cycle, at the first `remedy` line with a step between two of its actions.
            reported: set[frozenset[str]] = set()
            for d in self.remedies:
                steps = [(hi.text, lo.text) for hi, lo in zip(d.chain, d.chain[1:])]
                if not any(hi in circular and lo in circular for hi, lo in steps):
                    continue
                names = tuple(dict.fromkeys(n.text for n in d.chain if n.text in circular))
                if frozenset(names) in reported:
                    continue
                reported.add(frozenset(names))
                listed = " and ".join(f"`{a}`" for a in names)
                self.error("PD214", f"remedy order is circular: {listed} "
                                    f"{'covers itself' if len(names) == 1 else 'cover each other'}", d.span,
                           "a remedy chain runs from the strongest remedy to the weakest")
        return tuple(covers)

    def lower_rule(self, d: ast.RuleDecl, origin: str) -> ir.Rule:
        scope = self.scopes[origin]
        cond = self.cond(d.condition, scope)
        effects = []
        seen: set[str] = set()
        for e in d.effects:
            if e.action.text not in self.actions:
                self.unknown("PD202", "action", e.action.text, e.action.span, self.actions)
            elif e.action.text in seen:
                self.error("PD207", f"rule `{d.name.text}` gives `{e.action.text}` two modalities", e.span)
            else:
                seen.add(e.action.text)
                effects.append(ir.Effect(action=e.action.text, modality=e.modality))
        overrides = []
        for o in d.overrides:
            target = self.rules.get(o.text)
            if target is None or (origin == ir.PLATFORM and target[1] == ir.MERCHANT):
                self.unknown("PD211", "rule", o.text, o.span, [n for n, (_, og) in self.rules.items()
                                                             if origin == ir.MERCHANT or og == ir.PLATFORM])
            elif o.text == d.name.text:
                self.error("PD214", f"rule `{o.text}` cannot override itself", o.span)
            else:
                overrides.append(o.text)
        replaces = []
        for o in d.replaces:
            target = self.rules.get(o.text)
            if origin == ir.PLATFORM:
                self.error("PD209", "only a merchant policy can replace rules; the platform uses `overrides`", o.span)
            elif target is None or target[1] != ir.PLATFORM:
                self.unknown("PD211", "platform rule", o.text, o.span,
                             [n for n, (_, og) in self.rules.items() if og == ir.PLATFORM])
            elif o.text in self.replaced:
                self.error("PD207", f"rule `{o.text}` is already replaced by `{self.replaced[o.text]}`", o.span)
            else:
                self.replaced[o.text] = d.name.text
                replaces.append(o.text)
        return ir.Rule(name=d.name.text, source=origin, cites=tuple(c.text for c in d.cites),
                       overrides=tuple(overrides), condition=cond, effects=tuple(effects),
                       reads=self.reads(cond), span=d.span, replaces=tuple(replaces))

    def reads(self, cond: ir.Cond) -> tuple[str, ...]:
        """Fact paths a condition reads (through periods and per-value parameters too), sorted."""
        out: set[str] = set()
        seen_periods: set[str] = set()

        def term(t: ir.IntTerm) -> None:
            if isinstance(t, ir.FactInt):
                out.add(t.path)
            elif isinstance(t, ir.ParamInt):
                p = self.params.get(t.name)
                if p is not None and p.per is not None:
                    out.add(p.per.dotted)

        def visit(c: ir.Cond) -> None:
            for node in ir.walk_cond(c):
                if isinstance(node, (ir.BoolFact, ir.EnumIn, ir.IsNull)):
                    out.add(node.path)
                elif isinstance(node, ir.Compare):
                    term(node.left)
                    term(node.right)
                elif isinstance(node, (ir.Within, ir.Expired)):
                    period(node.period)
                elif isinstance(node, ir.Available):
                    capability(node.capability)

        def capability(name: str) -> None:
            d = self.capabilities.get(name)
            if d is None:
                return
            if self.now:
                out.add(self.now)
            for item in d.items:
                if isinstance(item, ast.CapTimes) and item.counted_by is not None:
                    out.add(item.counted_by.dotted)
                elif isinstance(item, ast.CapWithin):
                    out.add(item.anchor.dotted)
                elif isinstance(item, ast.CapWhen):
                    visit(self.cond(item.condition, self.scopes[ir.PLATFORM], report=False))

        def period(name: str) -> None:
            if name in seen_periods or name not in self.periods:
                return
            seen_periods.add(name)
            d, origin = self.periods[name]
            if self.now:
                out.add(self.now)
            body = d.body
            if isinstance(body, ast.BestPeriod):
                for m in body.members:
                    period(m.text)
                for other, (od, _) in self.periods.items():
                    if getattr(od.body, "joins", None) is not None and od.body.joins.text == name:
                        period(other)
                return
            out.add(body.anchor.dotted)
            if isinstance(body.length, ast.LengthFact):
                out.add(body.length.path.dotted)
            elif isinstance(body.length, ast.LengthParam):
                term(ir.ParamInt(body.length.name.text))
            if body.guard is not None:
                visit(self.cond(body.guard.condition, self.scopes[origin], report=False))

        visit(cond)
        return tuple(sorted(out))

    # ---- conditions ------------------------------------------------------------------------
    def cond(self, c: ast.Condition, scope: _Scope, report: bool = True) -> ir.Cond:
        if not report:
            saved = self.diags
            self.diags = []
            try:
                return self.cond(c, scope)
            finally:
                self.diags = saved
        method = getattr(self, f"cond_{type(c).__name__}", None)
        if method is None:
            raise AssertionError(f"no lowering for condition node {type(c).__name__}")
        return method(c, scope)

    def cond_AnyOf(self, c: ast.AnyOf, scope: _Scope) -> ir.Cond:
        return ir.Or(tuple(self.cond(i, scope) for i in c.items))

    def cond_AllOf(self, c: ast.AllOf, scope: _Scope) -> ir.Cond:
        return ir.And(tuple(self.cond(i, scope) for i in c.items))

    def cond_Not(self, c: ast.Not, scope: _Scope) -> ir.Cond:
        return ir.NotCond(self.cond(c.item, scope))

    def cond_Constant(self, c: ast.Constant, scope: _Scope) -> ir.Cond:
        return ir.TRUE if c.value else ir.FALSE

    def cond_Truth(self, c: ast.Truth, scope: _Scope) -> ir.Cond:
        path = c.path
        if len(path.segments) == 1 and path.dotted in scope.lets:
            return self.let(path.dotted, path.span, scope)
        fact = self.facts.get(path.dotted)
        if fact is None:
            self.unknown("PD201", "fact or name", path.dotted, path.span, [*self.facts, *scope.lets])
            return ir.FALSE
        if fact.kind != "bool":
            self.error("PD208", f"`{fact.path}` is {describe_fact(fact)}, not a condition", path.span,
                       f"compare it, for example `{fact.path} == …`" if fact.kind == "enum" else None)
            return ir.FALSE
        return ir.BoolFact(fact.path)

    def let(self, name: str, span: Span | None, scope: _Scope) -> ir.Cond:
        if name in scope.lowered_lets:
            return scope.lowered_lets[name]
        if name in scope.visiting:
            self.error("PD214", f"`{name}` is defined in terms of itself", span)
            return ir.FALSE
        scope.visiting.add(name)
        lowered = self.cond(scope.lets[name].condition, scope)
        scope.visiting.discard(name)
        scope.lowered_lets[name] = lowered
        return lowered

    def cond_InScenario(self, c: ast.InScenario, scope: _Scope) -> ir.Cond:
        clause = c.clause.text
        if clause not in scope.scenarios:
            self.error("PD203", f"no scenario is declared for clause `{clause}`", c.clause.span,
                       did_you_mean(clause, scope.scenarios))
            return ir.FALSE
        key = "scenario " + clause
        if key in scope.lowered_lets:
            return scope.lowered_lets[key]
        if key in scope.visiting:
            self.error("PD214", f"scenario `{clause}` is defined in terms of itself", c.span)
            return ir.FALSE
        scope.visiting.add(key)
        lowered = self.cond(scope.scenarios[clause].condition, scope)
        scope.visiting.discard(key)
        scope.lowered_lets[key] = lowered
        return lowered

    def cond_Within(self, c: ast.Within, scope: _Scope) -> ir.Cond:
        return ir.Within(c.period.text) if self.period_ref(c.period, scope) else ir.FALSE

    def cond_Expired(self, c: ast.Expired, scope: _Scope) -> ir.Cond:
        return ir.Expired(c.period.text) if self.period_ref(c.period, scope) else ir.FALSE

    def cond_Available(self, c: ast.Available, scope: _Scope) -> ir.Cond:
        if c.capability.text not in self.capabilities:
            self.unknown("PD204", "capability", c.capability.text, c.capability.span, self.capabilities)
            return ir.FALSE
        return ir.Available(c.capability.text)

    def period_ref(self, name: ast.Name, scope: _Scope) -> bool:
        if name.text not in scope.periods:
            self.unknown("PD205", "period", name.text, name.span, scope.periods)
            return False
        return True

    def cond_IsNull(self, c: ast.IsNull, scope: _Scope) -> ir.Cond:
        fact = self.fact_ref(c.path)
        if fact is None:
            return ir.FALSE
        if not fact.nullable:
            self.error("PD208", f"`{fact.path}` is never null (its type is not marked `?`)", c.path.span)
            return ir.FALSE
        atom = ir.IsNull(fact.path)
        return ir.NotCond(atom) if c.negated else atom

    def enum_fact(self, path: ast.Path, what: str) -> ir.Fact | None:
        fact = self.fact_ref(path)
        if fact is not None and fact.kind != "enum":
            self.error("PD208", f"{what} needs an enum fact; `{fact.path}` is {describe_fact(fact)}", path.span)
            return None
        return fact

    def enum_values(self, fact: ir.Fact, names: Iterable[ast.Name]) -> list[str]:
        out = []
        for n in names:
            if n.text not in fact.values:
                self.error("PD206", f"`{n.text}` is not a value of `{fact.path}` (enum `{fact.enum}`)", n.span,
                           value_hint(n.text, fact.values))
            else:
                out.append(n.text)
        return out

    def cond_Membership(self, c: ast.Membership, scope: _Scope) -> ir.Cond:
        fact = self.enum_fact(c.path, "`in`")
        if fact is None:
            return ir.FALSE
        if isinstance(c.values, ast.SetLiteral):
            chosen = set(self.enum_values(fact, c.values.values))
        else:
            group = self.groups.get(c.values.name.text)
            if group is None:
                self.unknown("PD206", "group", c.values.name.text, c.values.name.span, self.groups)
                return ir.FALSE
            if group[0] != fact.enum:
                self.error("PD208", f"group `{c.values.name.text}` holds `{group[0]}` values; `{fact.path}` is "
                                    f"{describe_fact(fact)}", c.values.name.span)
                return ir.FALSE
            chosen = set(group[1])
        atom = ir.EnumIn(fact.path, tuple(v for v in fact.values if v in chosen))
        return ir.NotCond(atom) if c.negated else atom

    def cond_Comparison(self, c: ast.Comparison, scope: _Scope) -> ir.Cond:
        left, right = self.operand(c.left), self.operand(c.right)
        if left is None or right is None:
            return ir.FALSE
        # enum fact against a bare value name
        for a, b, b_node in ((left, right, c.right), (right, left, c.left)):
            if a[0] == "enum" and b[0] == "name":
                if c.op not in ("==", "!="):
                    self.error("PD208", f"enum values compare with `==` or `!=`, not `{c.op}`", c.span)
                    return ir.FALSE
                fact = a[1]
                values = self.enum_values(fact, [ast.Name(text=b[1], span=b_node.span)])
                if not values:
                    return ir.FALSE
                atom = ir.EnumIn(fact.path, (values[0],))
                return atom if c.op == "==" else ir.NotCond(atom)
        for side, node in ((left, c.left), (right, c.right)):
            if side[0] == "name":
                self.unknown("PD201", "fact, parameter or value", side[1], node.span,
                             [*self.facts, *self.params])
                return ir.FALSE
        numeric = {"count", "days", "hours", "months", "number"}
        if left[0] not in numeric or right[0] not in numeric or not compatible(left[0], right[0]):
            self.error("PD208", f"cannot compare {left[2]} with {right[2]}", c.span,
                       "periods are tested with `within p` / `expired p`" if "timestamp" in (left[0], right[0])
                       else None)
            return ir.FALSE
        return ir.Compare(left[1], c.op, right[1])

    def operand(self, node: ast.Operand) -> tuple[str, Any, str] | None:
        """(kind, IR term or fact or name, description) for a comparison operand."""
        if isinstance(node, ast.IntLit):
            return "number", ir.Const(node.value), f"the number {node.value}"
        if isinstance(node, ast.Duration):
            if node.unit == "hours":
                return "hours", ir.Const(node.amount), "a duration in hours"
            if node.unit in MONTHS_PER:
                return "months", ir.Const(node.amount * MONTHS_PER[node.unit]), "a duration in months"
            return "days", ir.Const(node.amount * DAYS_PER[node.unit]), "a duration in days"
        fact = self.facts.get(node.dotted)
        if fact is not None:
            if fact.kind == "count":
                return "count", ir.FactInt(fact.path), f"`{fact.path}` (a count)"
            if fact.kind == "enum":
                return "enum", fact, f"`{fact.path}` (an enum)"
            return fact.kind, fact, f"`{fact.path}` ({describe_fact(fact)})"
        if len(node.segments) == 1 and node.dotted in self.params:
            kind = self.param_kinds[node.dotted]
            return kind, ir.ParamInt(node.dotted), f"parameter `{node.dotted}` ({want_phrase(kind)})"
        if len(node.segments) == 1:
            return "name", node.dotted, node.dotted
        self.unknown("PD201", "fact", node.dotted, node.span, self.facts)
        return None

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


# ---- small helpers ----------------------------------------------------------------

def describe_fact(f: ir.Fact) -> str:
    base = {"enum": f"an enum (`{f.enum}`)", "bool": "a bool", "count": "a count",
            "timestamp": "a timestamp"}[f.kind]
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
    if "number" in (a, b) or a == b:
        return True
    return {a, b} == {"count", "days"}


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


def analyze(platform: ast.Policy, merchant: ast.Policy | None = None) -> Analysis:
    """Resolve and type-check a platform policy, optionally with a merchant policy on top."""
    analysis = _Analyzer(platform, merchant).run()
    if analysis.policy_set is not None and merchant is not None:
        base = _Analyzer(platform, None).run()
        ps = attrs.evolve(analysis.policy_set, baseline=base.policy_set)
        analysis = attrs.evolve(analysis, policy_set=ps)
    return analysis


def _period_dependencies(p: ir.Period) -> list[str]:
    """The periods whose state `p`'s state reads: its members, and the periods its guard tests."""
    if isinstance(p, ir.BestPeriod):
        return list(p.members)
    tested = (c.period for c in ir.walk_cond(p.guard) if isinstance(c, (ir.Within, ir.Expired)))
    return list(dict.fromkeys(tested))
