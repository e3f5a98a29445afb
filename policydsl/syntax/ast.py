"""The typed abstract syntax tree of a policy file.

Every node is a frozen attrs class. Children are tuples; there are no parent
pointers. Each node carries a `span`, which is excluded from equality and
hashing, so the same policy laid out differently parses to equal trees.
"""

from __future__ import annotations

from typing import Union

import attrs

from policydsl.source import Span


def _span() -> Span:
    return attrs.field(eq=False, repr=False, default=None)  # type: ignore[return-value]


node = attrs.frozen(kw_only=True)


# ---- leaves ----------------------------------------------------------------

@node
class Name:
    """An identifier or clause ID as written, with its position."""

    text: str
    span: Span = _span()


@node
class Path:
    """A dotted reference such as `order.paid_at` (or a bare `name`)."""

    segments: tuple[str, ...]
    span: Span = _span()

    @property
    def dotted(self) -> str:
        return ".".join(self.segments)


@node
class IntLit:
    value: int
    span: Span = _span()


DURATION_UNITS = ("hours", "days", "months", "years")


@node
class Duration:
    """`7 days`, `48 hours`, `3 months`, `1 year`; `unit` is always the plural form."""

    amount: int
    unit: str
    span: Span = _span()


Literal = Union[IntLit, Duration]


@node
class Comment:
    text: str
    span: Span = _span()


# ---- conditions -------------------------------------------------------------

@node
class AnyOf:
    items: tuple["Condition", ...]
    span: Span = _span()


@node
class AllOf:
    items: tuple["Condition", ...]
    span: Span = _span()


@node
class Not:
    item: "Condition"
    span: Span = _span()


@node
class Truth:
    """A bool fact or a `let` name used as a condition."""

    path: Path
    span: Span = _span()


Operand = Union[Path, IntLit, Duration]


@node
class Comparison:
    left: Operand
    op: str
    right: Operand
    span: Span = _span()


@node
class SetLiteral:
    values: tuple[Name, ...]
    span: Span = _span()


@node
class SetName:
    name: Name
    span: Span = _span()


@node
class Membership:
    path: Path
    negated: bool
    values: SetLiteral | SetName
    span: Span = _span()


@node
class IsNull:
    path: Path
    negated: bool
    span: Span = _span()


@node
class Within:
    period: Name
    span: Span = _span()


@node
class Expired:
    period: Name
    span: Span = _span()


@node
class Available:
    """`available CAPABILITY`: the capability can be used for this request."""

    capability: Name
    span: Span = _span()


@node
class InScenario:
    clause: Name
    span: Span = _span()


@node
class Constant:
    value: bool
    span: Span = _span()


Condition = Union[AnyOf, AllOf, Not, Truth, Comparison, Membership, IsNull, Within, Expired, Available,
                  InScenario, Constant]


# ---- headers ------------------------------------------------------------------

@node
class PlatformHeader:
    name: str
    version: str
    span: Span = _span()


@node
class MerchantHeader:
    name: str
    version: str
    extends: str
    span: Span = _span()


Header = Union[PlatformHeader, MerchantHeader]


# ---- declarations -------------------------------------------------------------

@node
class TimezoneDecl:
    offset: str
    span: Span = _span()


@node
class NowDecl:
    path: Path
    span: Span = _span()


@node
class ClauseDecl:
    clause: Name
    title: str
    span: Span = _span()


@node
class EnumDecl:
    name: Name
    values: tuple[Name, ...]
    span: Span = _span()


@node
class GroupDecl:
    name: Name
    enum: Name
    members: tuple[Name, ...]
    span: Span = _span()


@node
class TypeRef:
    name: Name
    optional: bool
    span: Span = _span()


@node
class FactDecl:
    path: Path
    type: TypeRef
    omittable: bool = False  # `may be omitted`: absent from the facts JSON means null
    span: Span = _span()


@node
class RequireDecl:
    """An ordering between two timestamp facts; input that breaks it is contradictory."""

    left: Path
    op: str
    right: Path
    span: Span = _span()


@node
class ParamDecl:
    name: Name
    default: Literal
    direction: str | None  # "increase" | "decrease" | None (fixed)
    per: Path | None
    cites: tuple[Name, ...]
    span: Span = _span()


@node
class SetDecl:
    name: Name
    for_value: Name | None
    value: Literal
    span: Span = _span()
    cites: tuple[Name, ...] = ()  # the merchant's own clauses the setting encodes


@node
class LengthParam:
    name: Name
    span: Span = _span()


@node
class LengthFact:
    path: Path
    unit: str
    span: Span = _span()


@node
class LengthConst:
    duration: Duration
    span: Span = _span()


Length = Union[LengthParam, LengthFact, LengthConst]


@node
class Guard:
    kind: str  # "when" | "unless"
    condition: Condition
    span: Span = _span()


@node
class CalendarPeriod:
    """`N days from the day after X`: whole local calendar days, day 1 is the day after X."""

    length: Length
    anchor: Path
    guard: Guard | None
    joins: Name | None
    span: Span = _span()


@node
class ExactPeriod:
    """`48 hours after X`: an exact instant, X plus the duration."""

    length: Length
    anchor: Path
    guard: Guard | None
    joins: Name | None
    span: Span = _span()


@node
class BestPeriod:
    """`most favourable of a, b, c`: the applicable member with the latest deadline governs."""

    members: tuple[Name, ...]
    joins: Name | None
    span: Span = _span()


PeriodBody = Union[CalendarPeriod, ExactPeriod, BestPeriod]


@node
class PeriodDecl:
    name: Name
    cites: tuple[Name, ...]
    body: PeriodBody
    span: Span = _span()


@node
class CapTimes:
    count: int
    counted_by: Path | None
    span: Span = _span()


@node
class CapEach:
    duration: Duration
    span: Span = _span()


@node
class CapWithin:
    duration: Duration
    anchor: Path
    span: Span = _span()


@node
class CapWhen:
    condition: Condition
    span: Span = _span()


CapabilityItem = Union[CapTimes, CapEach, CapWithin, CapWhen]


@node
class CapabilityDecl:
    name: Name
    cites: tuple[Name, ...]
    items: tuple[CapabilityItem, ...]
    span: Span = _span()


@node
class ActionDecl:
    name: Name
    polarity: str  # "pro_buyer" | "pro_merchant"
    needs: Name | None = None  # a capability without which a `must` cannot be carried out
    span: Span = _span()


@node
class RemedyDecl:
    """`remedy a > b > c`: granting a covers b, granting b covers c."""

    chain: tuple[Name, ...]
    span: Span = _span()


@node
class LetDecl:
    name: Name
    condition: Condition
    span: Span = _span()


@node
class ScenarioDecl:
    clause: Name
    condition: Condition
    span: Span = _span()


@node
class Effect:
    modality: str
    action: Name
    span: Span = _span()


@node
class RuleDecl:
    name: Name
    cites: tuple[Name, ...]
    overrides: tuple[Name, ...]
    condition: Condition
    effects: tuple[Effect, ...]
    replaces: tuple[Name, ...] = ()
    span: Span = _span()


@node
class StringValue:
    text: str
    span: Span = _span()


@node
class IntValue:
    value: int
    span: Span = _span()


@node
class BoolValue:
    value: bool
    span: Span = _span()


@node
class NullValue:
    span: Span = _span()


@node
class NameValue:
    name: str
    span: Span = _span()


Value = Union[StringValue, IntValue, BoolValue, NullValue, NameValue]


@node
class FactValue:
    path: Path
    value: Value
    span: Span = _span()


@node
class EscalationDecl:
    """N1: when `condition` holds the buyer may escalate, and the platform may make these rulings."""

    cites: tuple[Name, ...]
    condition: Condition
    rulings: tuple[Name, ...]
    span: Span = _span()


@node
class FactsDecl:
    name: Name
    values: tuple[FactValue, ...]
    span: Span = _span()


@node
class ExpectAction:
    modality: str
    action: Name
    span: Span = _span()


@node
class ExpectAbsent:
    action: Name
    span: Span = _span()


@node
class ExpectScenario:
    clause: Name
    span: Span = _span()


@node
class ExpectExtension:
    eligible: bool
    span: Span = _span()


@node
class ExpectConflict:
    """`conflict ACTION`: the decision reports a duty on ACTION the platform cannot carry out."""

    action: Name
    span: Span = _span()


@node
class ExpectEscalation:
    """`escalation` / `no escalation`: whether the decision says the platform may intervene."""

    present: bool
    span: Span = _span()


Expectation = Union[ExpectAction, ExpectAbsent, ExpectScenario, ExpectExtension, ExpectConflict, ExpectEscalation]


@node
class TestDecl:
    title: str
    base: Name | None
    values: tuple[FactValue, ...] | None
    expectations: tuple[Expectation, ...]
    span: Span = _span()

    __test__ = False  # not a pytest class


Declaration = Union[TimezoneDecl, NowDecl, ClauseDecl, EnumDecl, GroupDecl, FactDecl, RequireDecl,
                    ParamDecl, SetDecl, PeriodDecl, CapabilityDecl, ActionDecl, RemedyDecl,
                    LetDecl, ScenarioDecl, RuleDecl, EscalationDecl, FactsDecl, TestDecl]


@node
class Policy:
    """One parsed policy file."""

    header: Header
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = ()
    span: Span = _span()

    @property
    def is_merchant(self) -> bool:
        return isinstance(self.header, MerchantHeader)

    @property
    def name(self) -> str:
        return self.header.name


def iter_nodes(root: object):
    """Every AST node below and including `root`, depth first, in field order."""
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(reversed(item))
            continue
        if not attrs.has(type(item)):
            continue
        yield item
        children = [getattr(item, f.name) for f in attrs.fields(type(item)) if f.name != "span"]
        stack.extend(reversed(children))
