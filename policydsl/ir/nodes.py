"""The normalised intermediate representation (IR) of a checked policy set.

Produced once per policy set by `policydsl.semantics`, then shared by the
evaluator, the favourability checker and the code generator, none of which
walks the AST. Names are resolved, `let`s and scenario references are inlined,
durations are normalised (calendar periods count days, exact periods count
hours), and merchant parameter settings are merged into parameter tables.
"""

from __future__ import annotations

from typing import Union

import attrs

from policydsl.source import Span

MODALITIES = ("must_not", "may", "should", "must")
POLARITIES = ("pro_buyer", "pro_merchant")
PLATFORM, MERCHANT = "platform", "merchant"


def _span() -> Span | None:
    return attrs.field(eq=False, repr=False, default=None)


frozen = attrs.frozen


# ---- integer terms -----------------------------------------------------------

@frozen
class Const:
    value: int


@frozen
class FactInt:
    """A count fact; null makes any comparison with it false."""

    path: str


@frozen
class ParamInt:
    """A parameter's value, looked up in the set's parameter table (maybe per category)."""

    name: str


IntTerm = Union[Const, FactInt, ParamInt]


# ---- conditions ----------------------------------------------------------------

@frozen
class TrueCond:
    pass


@frozen
class FalseCond:
    pass


@frozen
class And:
    items: tuple["Cond", ...]


@frozen
class Or:
    items: tuple["Cond", ...]


@frozen
class NotCond:
    item: "Cond"


@frozen
class BoolFact:
    path: str


@frozen
class EnumIn:
    """The enum fact's value is one of `values` (in declaration order)."""

    path: str
    values: tuple[str, ...]


@frozen
class IsNull:
    path: str


COMPARE_OPS = ("<", "<=", "==", "!=", ">=", ">")


@frozen
class Compare:
    left: IntTerm
    op: str
    right: IntTerm


@frozen
class Within:
    """The request is inside the period (or the period has not started yet)."""

    period: str


@frozen
class Expired:
    """The period applies and the request is after its deadline."""

    period: str


@frozen
class Available:
    """The capability can be used for this request (its condition holds, uses remain, and the
    request falls in its window)."""

    capability: str


Cond = Union[TrueCond, FalseCond, And, Or, NotCond, BoolFact, EnumIn, IsNull, Compare, Within, Expired, Available]

TRUE = TrueCond()
FALSE = FalseCond()


# ---- declarations ------------------------------------------------------------------

FACT_KINDS = ("enum", "bool", "count", "timestamp")


@frozen
class Fact:
    path: str
    kind: str
    nullable: bool
    enum: str | None = None
    values: tuple[str, ...] = ()
    optional: bool = False  # may be omitted from the facts JSON (absent = null)
    unit: str | None = None  # "days" for a fact of type `days`: a count (kind "count") of whole days


@frozen
class Ordering:
    """`require left op right` between timestamp facts (op is `<=` or `<`)."""

    left: str
    op: str
    right: str
    span: Span | None = _span()


PARAM_KINDS = ("days", "hours", "months", "count")


@frozen
class Param:
    """A parameter with the platform default and the values in force for this set."""

    name: str
    kind: str
    direction: str | None  # "increase", "decrease" or None (not tunable)
    platform_default: int
    value: int  # the value in force (the merchant's setting, or the default)
    per: str | None = None  # enum fact path for per-value settings
    by_value: tuple[tuple[str, int], ...] = ()  # per-value settings in force
    source: str = PLATFORM  # who set `value`
    value_sources: tuple[tuple[str, str], ...] = ()
    cites: tuple[str, ...] = ()
    span: Span | None = _span()
    set_spans: tuple[tuple[str | None, Span], ...] = attrs.field(default=(), eq=False, repr=False)

    def value_for(self, key: str | None) -> int:
        for k, v in self.by_value:
            if k == key:
                return v
        return self.value


CALENDAR_UNITS = ("days", "months")


@frozen
class CalendarPeriod:
    """Counted as the PRC Civil Code counts periods (arts. 201–202): the anchor's local day is
    not counted, and the period is inside through 24:00 local time of its last day, which is
    local_date(anchor) + N days, or for `unit` "months" the date N months after it (the
    month's last day where that date does not exist)."""

    name: str
    length: IntTerm
    anchor: str
    guard: Cond
    source: str = PLATFORM
    cites: tuple[str, ...] = ()
    span: Span | None = _span()
    unit: str = "days"  # "days" | "months" (a year is 12 months)


@frozen
class ExactPeriod:
    """Inside while now <= anchor + length (`unit` is "hours" or "days", a day being 24 hours)."""

    name: str
    length: IntTerm
    unit: str
    anchor: str
    guard: Cond
    source: str = PLATFORM
    cites: tuple[str, ...] = ()
    span: Span | None = _span()


@frozen
class BestPeriod:
    """The applicable member with the latest deadline governs (G2c)."""

    name: str
    members: tuple[str, ...]
    source: str = PLATFORM
    cites: tuple[str, ...] = ()
    span: Span | None = _span()


Period = Union[CalendarPeriod, ExactPeriod, BestPeriod]


WINDOW_UNITS = ("hours", "months")


@frozen
class Capability:
    """A platform capability such as N3's extension: `max_times` uses (counted by a count fact),
    `each_days` each, available while `when` holds and the request is inside the window of
    `within` `within_unit` after `anchor` (hours: exact; months: a calendar window, counted
    as `CalendarPeriod` counts months)."""

    name: str
    max_times: int
    counted_by: str | None
    each_days: int
    within: int
    within_unit: str
    anchor: str
    when: Cond
    cites: tuple[str, ...] = ()
    span: Span | None = _span()


@frozen
class CapabilityClaim:
    """What a merchant policy states about a platform capability (checked against its ceiling)."""

    name: str
    max_times: int | None
    counted_by: str | None
    each_hours: int | None
    within: int | None
    within_unit: str | None
    anchor: str | None
    when: Cond | None
    span: Span | None = _span()


@frozen
class Action:
    name: str
    polarity: str
    needs: str | None = None  # a capability; `must` while it is unavailable is a conflict


@frozen
class Escalation:
    """N1: where `condition` holds, the buyer may escalate and the platform may make `rulings`."""

    condition: Cond
    rulings: tuple[str, ...]
    cites: tuple[str, ...] = ()
    span: Span | None = _span()


@frozen
class Scenario:
    clause: str
    condition: Cond
    source: str = PLATFORM


@frozen
class Effect:
    action: str
    modality: str
    span: Span | None = _span()


@frozen
class Rule:
    name: str
    source: str
    cites: tuple[str, ...]
    overrides: tuple[str, ...]
    condition: Cond
    effects: tuple[Effect, ...]
    reads: tuple[str, ...]  # fact paths the condition reads, for the trace
    span: Span | None = _span()
    replaces: tuple[str, ...] = ()  # baseline rules this merchant rule removed from the set


@frozen
class PolicySet:
    """A platform baseline, optionally with one merchant policy applied on top."""

    name: str
    version: str
    timezone_minutes: int
    now: str
    facts: tuple[Fact, ...]
    orderings: tuple[Ordering, ...]
    params: tuple[Param, ...]
    periods: tuple[Period, ...]
    capabilities: tuple[Capability, ...]
    actions: tuple[Action, ...]
    covers: tuple[tuple[str, tuple[str, ...]], ...]  # action -> actions that cover it (stronger remedies)
    clauses: tuple[tuple[str, str], ...]
    scenarios: tuple[Scenario, ...]
    rules: tuple[Rule, ...]
    capability_claims: tuple[CapabilityClaim, ...] = ()
    merchant: str | None = None
    escalation: Escalation | None = None
    baseline: "PolicySet | None" = attrs.field(default=None, eq=False, repr=False)

    _lookup: dict[str, dict] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_lookup", {
            "fact": {f.path: f for f in self.facts},
            "param": {p.name: p for p in self.params},
            "period": {p.name: p for p in self.periods},
            "action": {a.name: a for a in self.actions},
            "capability": {c.name: c for c in self.capabilities},
            "rule": {r.name: r for r in self.rules},
            "covers": dict(self.covers),
            "overriders": {},
        })
        for r in self.rules:
            for victim in r.overrides:
                self._lookup["overriders"].setdefault(victim, []).append(r)

    def fact(self, path: str) -> Fact:
        return self._lookup["fact"][path]

    def param(self, name: str) -> Param:
        return self._lookup["param"][name]

    def period(self, name: str) -> Period:
        return self._lookup["period"][name]

    def action(self, name: str) -> Action:
        return self._lookup["action"][name]

    def capability(self, name: str) -> Capability:
        return self._lookup["capability"][name]

    def rule(self, name: str) -> Rule:
        return self._lookup["rule"][name]

    def overriders(self, name: str) -> list[Rule]:
        """The rules that name rule `name` in their `overrides`, in set order."""
        return self._lookup["overriders"].get(name, [])

    def covered_by(self, action: str) -> tuple[str, ...]:
        """`action` itself and every action whose grant covers it (remedy subsumption)."""
        return self._lookup["covers"].get(action, (action,))


def modality_rank(polarity: str, modality: str | None) -> int:
    """How favourable a modality is to the buyer (higher is better); None = action absent.

    pro_buyer:    must_not 0 < absent 1 < may 2 < should 3 < must 4
    pro_merchant: must 0 < should 1 < may 2 < absent 3 < must_not 4
    """
    if polarity == "pro_buyer":
        return {"must_not": 0, None: 1, "may": 2, "should": 3, "must": 4}[modality]
    return {"must": 0, "should": 1, "may": 2, None: 3, "must_not": 4}[modality]


def walk_cond(cond: Cond):
    """Every condition node below and including `cond`."""
    stack = [cond]
    while stack:
        c = stack.pop()
        yield c
        if isinstance(c, (And, Or)):
            stack.extend(c.items)
        elif isinstance(c, NotCond):
            stack.append(c.item)


def walk_policy_conditions(ps: PolicySet):
    """Every top-level condition of a set: periods' guards, capabilities, scenarios, rules, escalation."""
    for p in ps.periods:
        if not isinstance(p, BestPeriod):
            yield p.guard
    for c in ps.capabilities:
        yield c.when
    for s in ps.scenarios:
        yield s.condition
    for r in ps.rules:
        yield r.condition
    if ps.escalation is not None:
        yield ps.escalation.condition


def fact_spec(ps: PolicySet) -> tuple[tuple[str, str, bool, tuple[str, ...], bool], ...]:
    """The declared facts as `policydsl.compile.runtime.validate_slow` reads them:
    (path, kind, nullable, enum values, optional), in declaration order."""
    return tuple((f.path, f.kind, f.nullable, f.values, f.optional) for f in ps.facts)


def ordering_spec(ps: PolicySet) -> tuple[tuple[str, str, str], ...]:
    """The `require` orderings as `validate_slow` reads them: (left, op, right)."""
    return tuple((o.left, o.op, o.right) for o in ps.orderings)
