"""Parse trees → AST: one method per grammar rule, each node with its source span.

Constructs the grammar accepts only to reject them with a targeted message raise
`SyntaxProblem`; problems the builder can report and go on from (PD103, PD104, PD106)
are collected in `AstBuilder.problems`."""

from __future__ import annotations

import re

from lark import Token, Transformer, v_args

from policydsl.syntax import ast
from policydsl.diagnostics import Diagnostic
from policydsl.source import Source, Span, point

from policydsl.syntax.grammar import MAX_INT_DIGITS

class SyntaxProblem(Exception):
    """A construct the grammar accepts only to reject it with a targeted message."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic



def _unquote(raw: str) -> str:
    """Decode a double-quoted policy string: \\" \\\\ \\n \\t \\uXXXX escapes."""
    body = raw[1:-1]
    if "\\" not in body:
        return body  # no escapes: no copy, whatever the length
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in '"\\':
            out.append(nxt)
        elif nxt == "n":
            out.append("\n")
        elif nxt == "t":
            out.append("\t")
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
            code = int(body[i + 2:i + 6], 16)
            i += 6
            low = body[i + 2:i + 6] if body[i:i + 2] == "\\u" else ""
            if 0xD800 <= code <= 0xDBFF and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low):
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)  # a surrogate pair
                i += 6
            elif 0xD800 <= code <= 0xDFFF:
                raise ValueError(f"`\\u{code:04x}` is half of a surrogate pair, not a character; write the "
                                 f"character itself, or both halves")
            out.append(chr(code))
            continue
        else:
            raise ValueError(f"unknown escape `\\{nxt}`")
        i += 2
    return "".join(out)


_UNITS = {"hour": "hours", "hours": "hours", "day": "days", "days": "days", "month": "months", "months": "months",
          "year": "years", "years": "years"}


@v_args(meta=True)
class AstBuilder(Transformer):
    """Lark tree → AST nodes. Every grammar rule has a method; a missing one raises."""

    def __init__(self, source: Source) -> None:
        super().__init__(visit_tokens=False)
        self.source = source
        # Constructs the grammar accepts only to reject (PD103, PD104): every one is recorded
        # and a placeholder keeps the transform going, so all of them are reported.
        self.problems: list[Diagnostic] = []

    # -- helpers
    def span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return point(self.source, 1, 1)
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, tok: Token) -> Span:
        return Span(self.source, tok.line, tok.column, tok.end_line, tok.end_column)

    def name(self, tok: Token) -> ast.Name:
        return ast.Name(text=str(tok), span=self.tspan(tok))

    def string(self, tok: Token) -> str:
        try:
            return _unquote(str(tok))
        except ValueError as exc:
            self.problems.append(Diagnostic(code="PD103", message=f"invalid string literal: {exc}",
                                            span=self.tspan(tok),
                                            hint="escapes are \\\" \\\\ \\n \\t and \\uXXXX"))
            return str(tok)[1:-1]

    def integer(self, tok: Token) -> int:
        """A whole-number token's value; one of more than MAX_INT_DIGITS digits is PD106 (0 stands in)."""
        digits = str(tok).lstrip("+-")
        if len(digits) <= MAX_INT_DIGITS:
            return int(str(tok))
        shown = digits if len(digits) <= 30 else f"{digits[:12]}…{digits[-6:]}"
        self.problems.append(Diagnostic(code="PD106", message=f"the number {shown} is out of range: it has "
                                                              f"{len(digits)} digits, more than {MAX_INT_DIGITS}",
                                        span=self.tspan(tok),
                                        hint="durations, counts and limits in a policy are far smaller; "
                                             "write the value you mean"))
        return 0

    def __default__(self, data, children, meta):
        raise AssertionError(f"grammar rule `{data}` has no AST mapping")

    # -- top level
    def start(self, meta, c):
        return ast.Policy(header=c[0], declarations=tuple(c[1:]), span=self.span(meta))

    def declarations_only(self, meta, c):
        return tuple(c)

    def header(self, meta, c):
        return c[0]

    def platform_header(self, meta, c):
        return ast.PlatformHeader(name=self.string(c[0]), version=self.string(c[1]), span=self.span(meta))

    def merchant_header(self, meta, c):
        return ast.MerchantHeader(name=self.string(c[0]), version=self.string(c[1]),
                                  extends=self.string(c[2]), span=self.span(meta))

    def timezone_decl(self, meta, c):
        return ast.TimezoneDecl(offset=self.string(c[0]), span=self.span(meta))

    def now_decl(self, meta, c):
        return ast.NowDecl(path=c[0], span=self.span(meta))

    def clause_decl(self, meta, c):
        return ast.ClauseDecl(clause=self.name(c[0]), title=self.string(c[1]), span=self.span(meta))

    def name_list(self, meta, c):
        return tuple(self.name(t) for t in c)

    def enum_decl(self, meta, c):
        return ast.EnumDecl(name=self.name(c[0]), values=c[1], span=self.span(meta))

    def group_decl(self, meta, c):
        return ast.GroupDecl(name=self.name(c[0]), enum=self.name(c[1]), members=c[2], span=self.span(meta))

    def fact_decl(self, meta, c):
        return ast.FactDecl(path=c[0], type=c[1], omittable=c[2] is not None, span=self.span(meta))

    def omittable(self, meta, c):
        return True

    def type_ref(self, meta, c):
        return ast.TypeRef(name=self.name(c[0]), optional=c[1] is not None, span=self.span(meta))

    def require_decl(self, meta, c):
        return ast.RequireDecl(left=c[0], op=str(c[1]), right=c[2], span=self.span(meta))

    def param_decl(self, meta, c):
        name, default, direction, per, cites = c
        return ast.ParamDecl(name=self.name(name), default=default, direction=direction, per=per,
                             cites=cites or (), span=self.span(meta))

    def direction(self, meta, c):
        return str(c[0])

    def per_fact(self, meta, c):
        return c[0]

    def set_decl(self, meta, c):
        name, for_value, value, cites = c
        return ast.SetDecl(name=self.name(name), for_value=for_value, value=value, span=self.span(meta),
                           cites=cites or ())

    def for_value(self, meta, c):
        return self.name(c[0])

    def period_decl(self, meta, c):
        name, cites, body = c
        return ast.PeriodDecl(name=self.name(name), cites=cites or (), body=body, span=self.span(meta))

    def calendar_period(self, meta, c):
        length, anchor, guard, joins = c
        return ast.CalendarPeriod(length=length, anchor=anchor, guard=guard, joins=joins, span=self.span(meta))

    def exact_period(self, meta, c):
        length, anchor, guard, joins = c
        return ast.ExactPeriod(length=length, anchor=anchor, guard=guard, joins=joins, span=self.span(meta))

    def best_period(self, meta, c):
        return ast.BestPeriod(members=c[0], joins=c[1], span=self.span(meta))

    def length_param(self, meta, c):
        return ast.LengthParam(name=self.name(c[0]), span=self.span(meta))

    def length_fact(self, meta, c):
        return ast.LengthFact(path=c[0], unit=_UNITS[str(c[1])], span=self.span(meta))

    def length_const(self, meta, c):
        return ast.LengthConst(duration=c[0], span=self.span(meta))

    def period_guard(self, meta, c):
        return ast.Guard(kind=str(c[0]), condition=c[1], span=self.span(meta))

    def joins(self, meta, c):
        return self.name(c[0])

    def capability_decl(self, meta, c):
        name, cites, *items = c
        return ast.CapabilityDecl(name=self.name(name), cites=cites or (), items=tuple(items), span=self.span(meta))

    def cap_times(self, meta, c):
        return ast.CapTimes(count=self.integer(c[0]), counted_by=c[1], span=self.span(meta))

    def cap_each(self, meta, c):
        return ast.CapEach(duration=c[0], span=self.span(meta))

    def cap_within(self, meta, c):
        return ast.CapWithin(duration=c[0], anchor=c[1], span=self.span(meta))

    def cap_when(self, meta, c):
        return ast.CapWhen(condition=c[0], span=self.span(meta))

    def action_decl(self, meta, c):
        return ast.ActionDecl(name=self.name(c[0]), polarity=str(c[1]),
                              needs=None if c[2] is None else self.name(c[2]), span=self.span(meta))

    def remedy_decl(self, meta, c):
        return ast.RemedyDecl(chain=tuple(self.name(t) for t in c), span=self.span(meta))

    def let_decl(self, meta, c):
        return ast.LetDecl(name=self.name(c[0]), condition=c[1], span=self.span(meta))

    def scenario_decl(self, meta, c):
        return ast.ScenarioDecl(clause=self.name(c[0]), condition=c[1], span=self.span(meta))

    def rule_decl(self, meta, c):
        name, cites, overrides, replaces, condition, *effects = c
        return ast.RuleDecl(name=self.name(name), cites=cites or (), overrides=overrides or (),
                            replaces=replaces or (), condition=condition, effects=tuple(effects),
                            span=self.span(meta))

    def cites(self, meta, c):
        return tuple(self.name(t) for t in c)

    def overrides(self, meta, c):
        return tuple(self.name(t) for t in c)

    def replaces(self, meta, c):
        return tuple(self.name(t) for t in c)

    def escalation_decl(self, meta, c):
        cites, condition, rulings = c
        return ast.EscalationDecl(cites=cites or (), condition=condition, rulings=rulings, span=self.span(meta))

    def effect(self, meta, c):
        return ast.Effect(modality=str(c[0]), action=self.name(c[1]), span=self.span(meta))

    # -- conditions
    def any_of(self, meta, c):
        return c[0] if len(c) == 1 else ast.AnyOf(items=tuple(c), span=self.span(meta))

    def all_of(self, meta, c):
        return c[0] if len(c) == 1 else ast.AllOf(items=tuple(c), span=self.span(meta))

    def negation(self, meta, c):
        return ast.Not(item=c[0], span=self.span(meta))

    def truth(self, meta, c):
        return ast.Truth(path=c[0], span=self.span(meta))

    def comparison(self, meta, c):
        return ast.Comparison(left=c[0], op=str(c[1]), right=c[2], span=self.span(meta))

    def bad_equals(self, meta, c):
        self.problems.append(Diagnostic(code="PD104", message="`=` is assignment; conditions compare with `==`",
                                        span=self.span(meta), hint="write `==` to test equality"))
        return ast.Constant(value=False, span=self.span(meta))

    def membership(self, meta, c):
        return ast.Membership(path=c[0], negated=False, values=c[1], span=self.span(meta))

    def non_membership(self, meta, c):
        return ast.Membership(path=c[0], negated=True, values=c[1], span=self.span(meta))

    def is_null(self, meta, c):
        return ast.IsNull(path=c[0], negated=False, span=self.span(meta))

    def is_not_null(self, meta, c):
        return ast.IsNull(path=c[0], negated=True, span=self.span(meta))

    def within(self, meta, c):
        return ast.Within(period=self.name(c[0]), span=self.span(meta))

    def expired(self, meta, c):
        return ast.Expired(period=self.name(c[0]), span=self.span(meta))

    def available(self, meta, c):
        return ast.Available(capability=self.name(c[0]), span=self.span(meta))

    def in_scenario(self, meta, c):
        return ast.InScenario(clause=self.name(c[0]), span=self.span(meta))

    def constant(self, meta, c):
        return ast.Constant(value=str(c[0]) == "true", span=self.span(meta))

    def int_operand(self, meta, c):
        return ast.IntLit(value=self.integer(c[0]), span=self.span(meta))

    def duration_operand(self, meta, c):
        return c[0]

    def set_literal(self, meta, c):
        return ast.SetLiteral(values=c[0], span=self.span(meta))

    def set_name(self, meta, c):
        return ast.SetName(name=self.name(c[0]), span=self.span(meta))

    # -- tests
    def facts_decl(self, meta, c):
        return ast.FactsDecl(name=self.name(c[0]), values=c[1], span=self.span(meta))

    def test_decl(self, meta, c):
        title, base, values, *expectations = c
        return ast.TestDecl(title=self.string(title), base=None if base is None else self.name(base),
                            values=values, expectations=tuple(expectations), span=self.span(meta))

    def fact_values(self, meta, c):
        return tuple(v for v in c if v is not None)

    def fact_value(self, meta, c):
        return ast.FactValue(path=c[0], value=c[1], span=self.span(meta))

    def string_value(self, meta, c):
        return ast.StringValue(text=self.string(c[0]), span=self.span(meta))

    def int_value(self, meta, c):
        return ast.IntValue(value=self.integer(c[0]), span=self.span(meta))

    def bool_value(self, meta, c):
        return ast.BoolValue(value=str(c[0]) == "true", span=self.span(meta))

    def null_value(self, meta, c):
        return ast.NullValue(span=self.span(meta))

    def name_value(self, meta, c):
        return ast.NameValue(name=str(c[0]), span=self.span(meta))

    def expect_action(self, meta, c):
        return ast.ExpectAction(modality=str(c[0]), action=self.name(c[1]), span=self.span(meta))

    def expect_absent(self, meta, c):
        return ast.ExpectAbsent(action=self.name(c[0]), span=self.span(meta))

    def expect_scenario(self, meta, c):
        return ast.ExpectScenario(clause=self.name(c[0]), span=self.span(meta))

    def expect_extension(self, meta, c):
        return ast.ExpectExtension(eligible=str(c[0]) == "eligible", span=self.span(meta))

    def expect_conflict(self, meta, c):
        return ast.ExpectConflict(action=self.name(c[0]), span=self.span(meta))

    def expect_escalation(self, meta, c):
        return ast.ExpectEscalation(present=True, span=self.span(meta))

    def expect_no_escalation(self, meta, c):
        return ast.ExpectEscalation(present=False, span=self.span(meta))

    # -- lexical
    def path(self, meta, c):
        return ast.Path(segments=tuple(str(t) for t in c), span=self.span(meta))

    def int_literal(self, meta, c):
        return ast.IntLit(value=self.integer(c[0]), span=self.span(meta))

    def duration(self, meta, c):
        return ast.Duration(amount=self.integer(c[0]), unit=_UNITS[str(c[1])], span=self.span(meta))
