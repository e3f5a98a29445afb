"""Source text → AST. Loads the shipped Lark grammar, builds nodes with spans,
and turns Lark's exceptions into diagnostics written for policy authors."""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path as FsPath

import attrs
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import PatternStr

from policydsl import ast
from policydsl.diagnostics import Diagnostic, did_you_mean
from policydsl.source import Source, Span, point

GRAMMAR_FILE = "policy.lark"
MAX_SYNTAX_ERRORS = 20
#: The name of the shipped platform baseline (policies/platform/after_sales.policy), used in hints
#: that show a merchant header; a test keeps it equal to the shipped file's name.
SHIPPED_BASELINE = "wechat-channels-after-sales"
#: The most digits a number in a policy may have. Larger numbers are out of range: beyond any
#: count an order has, any span of the years 0001–9999 (even in microseconds), and the 64-bit
#: integers of other runtimes of the IR; Python would not even convert one of 4,300 digits.
MAX_INT_DIGITS = 18


def grammar_text() -> str:
    """The grammar shipped in the wheel (policydsl/grammar), or the checkout's grammar/ folder."""
    packaged = resources.files("policydsl").joinpath("grammar").joinpath(GRAMMAR_FILE)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = FsPath(__file__).resolve().parent.parent / "grammar" / GRAMMAR_FILE
    return checkout.read_text(encoding="utf-8")


@functools.cache
def parser() -> Lark:
    """The LALR parser, built once per process."""
    # cache=True keeps the LALR tables in the temp directory, keyed by the grammar text and
    # these options: building them takes ~0.5 s, loading them ~20 ms (every CLI run pays this).
    return Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True, start=["start", "declarations_only"], cache=True)


# ---- AST building --------------------------------------------------------------

class _SyntaxProblem(Exception):
    """A construct the grammar accepts only to reject it with a targeted message."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic



def _unquote(raw: str) -> str:
    """Decode a double-quoted policy string: \\" \\\\ \\n \\t \\uXXXX escapes."""
    body = raw[1:-1]
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
class _ToAst(Transformer):
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
        name, for_value, value = c
        return ast.SetDecl(name=self.name(name), for_value=for_value, value=value, span=self.span(meta))

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


# ---- syntax errors ---------------------------------------------------------------

_FRIENDLY = {
    "NAME": "a name",
    "CLAUSE_ID": "a clause ID such as `S3.1`",
    "STRING": "a quoted string",
    "INT": "a whole number",
    "SIGNED_INT": "a whole number",
    "MODALITY": "a modality (`must`, `should`, `may`, `must_not`)",
    "COMPARE": "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
    "UNIT": "a unit (`hours`, `days`, `months`, `years`)",
    "BOOL": "`true` or `false`",
    "POLARITY": "`pro_buyer` or `pro_merchant`",
    "DIRECTION": "`increase` or `decrease`",
    "GUARD": "`when` or `unless`",
    "ELIGIBILITY": "`eligible` or `ineligible`",
    "OPTIONAL": "`?`",
    "$END": "the end of the file",
    "<declaration>": "a declaration (`rule`, `param`, `period`, `test`, …)",
}

_DECLARATION_KEYWORDS = ("timezone", "now", "clause", "enum", "group", "fact", "require", "param", "set",
                         "period", "capability", "action", "remedy", "let", "scenario", "rule", "escalation", "facts",
                         "test")
# Where parsing resumes after a syntax error: a declaration keyword at the start of a line
# (not indented: an indented `scenario S1.1 and …` continues a condition).
_RESUME = re.compile(r"^(?:%s)\b" % "|".join(_DECLARATION_KEYWORDS), re.MULTILINE)


def _describe_terminal(name: str) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    for term in parser().terminals:
        if term.name == name and isinstance(term.pattern, PatternStr):
            return f"`{term.pattern.value}`"
    return name.lower()


def _expected_phrase(expected: set[str]) -> str:
    if "COMPARE" in expected:  # `=` is accepted after an operand only to be rejected with a hint (PD104)
        expected = expected - {"EQUAL"}
    keywords = {e for e in expected if _describe_terminal(e).strip("`") in _DECLARATION_KEYWORDS}
    if len(keywords) >= 5:
        expected = (expected - keywords) | {"<declaration>"}
    names = sorted({_describe_terminal(e) for e in expected})
    if len(names) > 8:
        names = names[:8] + ["…"]
    if len(names) == 1:
        return names[0]
    return "one of " + ", ".join(names)


def _syntax_diagnostic(exc: UnexpectedInput, source: Source, offset_line: int, part: str) -> Diagnostic:
    """The diagnostic for a Lark error in `part`, the source text from line offset_line + 1 on."""
    line = exc.line + offset_line if exc.line and exc.line > 0 else max(1, source.text.count("\n") + 1)
    column = exc.column if exc.column and exc.column > 0 else 1
    if isinstance(exc, UnexpectedCharacters):
        ch = part[exc.pos_in_stream] if exc.pos_in_stream < len(part) else "?"
        hint = None
        if ch == "'":
            hint = "strings are written in double quotes: \"…\""
        elif ch == '"':
            hint = "a string must close with `\"` on the line it starts on; write a line break as `\\n`"
        elif ch in "&|":
            hint = "combine conditions with `and`, `or` and `not`"
        elif ch == "/" and part[exc.pos_in_stream:exc.pos_in_stream + 2] == "//":
            hint = "comments start with `#`"
        elif not ch.isascii():
            hint = "names are ASCII (`a-z`, `0-9`, `_`); Unicode belongs in \"strings\" and # comments"
        elif ch.isupper():
            hint = "names are lower_case; clause IDs such as `S3.1` start with a capital letter"
        return Diagnostic(code="PD100", message=f"unexpected character `{ch}`",
                          span=point(source, line, column), hint=hint)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        tok = exc.token
        swallowed = _keyword_taken_as_value(source, part, offset_line, tok)
        if swallowed is not None:
            return swallowed
        expected = set(exc.accepts or exc.expected)
        if expected == {"EXTENDS"} and not did_you_mean(str(tok), ["extends"]):
            no_extends = _merchant_header_without_extends(source, part, offset_line, tok.start_pos, "PD101")
            if no_extends is not None:
                return no_extends
        hint = _token_hint(str(tok), tok.type, expected)
        width = max(1, len(str(tok))) if "\n" not in str(tok) else 1
        return Diagnostic(code="PD101", message=f"unexpected `{tok}`; expected {_expected_phrase(expected)}",
                          span=point(source, line, column, width), hint=hint)
    expected = set(getattr(exc, "expected", None) or ())
    if expected == {"EXTENDS"}:
        no_extends = _merchant_header_without_extends(source, part, offset_line, len(part), "PD102")
        if no_extends is not None:
            return no_extends
    text_lines = source.text.rstrip("\n").split("\n")  # lines as the parser counts them
    last = len(text_lines)
    return Diagnostic(code="PD102",
                      message="the file ends in the middle of a declaration"
                              + (f"; expected {_expected_phrase(expected)}" if expected else ""),
                      span=point(source, last, len(text_lines[-1]) + 1),
                      hint="finish the last declaration" if expected else None)


_STRING_RE = r'"(?:[^"\\\n]|\\.)*"'
_MERCHANT_HEADER = re.compile(rf"\bmerchant\s+policy\s+{_STRING_RE}\s+version\s+{_STRING_RE}")


def _merchant_header_without_extends(source: Source, text: str, offset_line: int, before: int,
                                     code: str) -> Diagnostic | None:
    """PD101/PD102 at the end of a merchant header that lacks `extends`, rather than at whatever
    follows it (usually the first declaration, on a later line); None if the header is not found."""
    found = None
    for m in _MERCHANT_HEADER.finditer(text, 0, before):
        found = m
    if found is None:
        return None
    end = found.end()
    line = text.count("\n", 0, end) + 1 + offset_line
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    message = "the merchant policy header has no `extends`: a merchant policy names the baseline it extends"
    if code == "PD102":
        message = "the file ends in the middle of the merchant policy header, which has no `extends`"
    return Diagnostic(code=code, message=message, span=point(source, line, column),
                      hint=f"write `extends \"{SHIPPED_BASELINE}\"` after the version: "
                           f"`{found.group()} extends \"{SHIPPED_BASELINE}\"`")


# An operator, then a keyword that the contextual lexer read as a name: `when x > \n then must a`.
_OPERATOR_THEN_KEYWORD = re.compile(
    r"(==|!=|<=|>=|<|>|\bin|\band|\bor|\bnot)\s*\b(then|when|cites|overrides|replaces|and|or)\s*$")
_CONNECTIVES = ("and", "or", "not")


def _keyword_taken_as_value(source: Source, text: str, offset_line: int, tok: Token) -> Diagnostic | None:
    """PD101 at a keyword that stands where a comparison's right-hand side is missing. After an
    operator only a value is expected, so the keyword was read as a name and the error would
    otherwise surface one token later, at something that is fine."""
    start = getattr(tok, "start_pos", None)
    if start is None:
        return None
    found = _OPERATOR_THEN_KEYWORD.search(text, 0, start)
    if found is None:
        return None
    line = text.count("\n", 0, found.start(2)) + 1 + offset_line
    column = found.start(2) - (text.rfind("\n", 0, found.start(2)) + 1) + 1
    operator, keyword = found.group(1), found.group(2)
    if operator in _CONNECTIVES:
        message = f"`{operator}` has no condition after it: `{keyword}` is a keyword, not a condition"
        hint = f"finish the condition after `{operator}`, or remove `{operator}`"
    else:
        message = f"`{operator}` has nothing to compare with: `{keyword}` is a keyword, not a value"
        hint = f"write the value after `{operator}`, e.g. `order.extensions_used < 3`"
    return Diagnostic(code="PD101", message=message, span=point(source, line, column, len(keyword)), hint=hint)


def _token_hint(text: str, token_type: str, expected: set[str]) -> str | None:
    keyword_expected = {t for t in expected if any(t == term.name and isinstance(term.pattern, PatternStr)
                                                   for term in parser().terminals)}
    if text != text.lower():
        lower = text.lower()
        words = {str(term.pattern.value) for term in parser().terminals
                 if term.name in keyword_expected and isinstance(term.pattern, PatternStr)}
        if "MODALITY" in expected:
            words |= {"must", "should", "may", "must_not"}
        if lower in words:
            return f"keywords are lower case: write `{lower}`"
        if "NAME" in expected and lower.isidentifier():
            return f"names are lower_case (`{lower}`); clause IDs such as `S3.1` start with a capital letter"
    if "THEN" in expected and token_type == "MODALITY":
        return "a rule's effects follow `then`: `when <condition> then must <action>`"
    if token_type == "NAME":
        words = [str(term.pattern.value) for term in parser().terminals
                 if term.name in keyword_expected and isinstance(term.pattern, PatternStr)]
        if "MODALITY" in expected:
            words += ["must", "should", "may", "must_not"]
        suggestion = did_you_mean(text, words)
        if suggestion:
            return suggestion
    if text == "=" and "COMPARE" in expected:
        return "conditions compare with `==`"
    if text in ("&&", "||", "!"):
        return "combine conditions with `and`, `or` and `not`"
    return None


@attrs.frozen
class ParseResult:
    policy: ast.Policy | None
    diagnostics: tuple[Diagnostic, ...]


def parse(text: str, name: str = "<string>") -> ParseResult:
    """Parse one policy file. Never raises on bad input: problems come back as diagnostics."""
    source = Source(name, text)
    if not _COMMENT.sub("", text).strip():
        return ParseResult(None, (_empty_file(source),))
    diagnostics: list[Diagnostic] = []
    comments: list[ast.Comment] = []
    policy = _parse_part(source, text, "start", 0, diagnostics, comments)
    if diagnostics:
        return ParseResult(None, tuple(diagnostics))
    assert isinstance(policy, ast.Policy)
    return ParseResult(attrs.evolve(policy, comments=tuple(comments)), ())


_COMMENT = re.compile(r"#[^\n]*")


def _empty_file(source: Source) -> Diagnostic:
    """PD102 for a file with nothing but blanks and comments: say what a policy starts with."""
    what = "the file is empty" if not source.text.strip() else "the file holds only comments"
    return Diagnostic(code="PD102", message=f"{what}: a policy starts with a `platform` or `merchant` policy header",
                      span=point(source, 1, 1),
                      hint=f'write `platform policy "NAME" version "V"` for a platform baseline, or '
                           f'`merchant policy "NAME" version "V" extends "{SHIPPED_BASELINE}"` for a merchant policy')


def _parse_part(source: Source, text: str, start: str, line_offset: int,
                diagnostics: list[Diagnostic], comments: list[ast.Comment]) -> object | None:
    """Parse `text` (a suffix of the source beginning at line_offset+1); after a syntax error,
    resume at the next line that starts a declaration so that later errors are reported too."""
    while True:
        try:
            tree = parser().parse(text, start=start)
        except UnexpectedInput as exc:
            diagnostics.extend(_problems_before(source, text, start, line_offset, exc))
            diagnostics.append(_syntax_diagnostic(exc, source, line_offset, text))
            if len(diagnostics) >= MAX_SYNTAX_ERRORS:
                return None
            error_line = (exc.line or 1)
            if error_line > 1 and exc.column == 1 and _RESUME.match(text, _line_start(text, error_line)):
                error_line -= 1  # the unexpected token begins a declaration: resume right there
            resume = _next_declaration(text, error_line)
            if resume is None:
                return None
            skipped_lines = text[:resume].count("\n")
            line_offset += skipped_lines
            text = text[resume:]
            start = "declarations_only"
            continue
        break
    if line_offset:
        tree = _shift_lines(tree, line_offset)
    if start == "start":
        comments.extend(_comments(source, text))
    transformer = _ToAst(source)
    try:
        result = transformer.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _SyntaxProblem):
            diagnostics.append(exc.orig_exc.diagnostic)
            return None
        raise
    diagnostics.extend(transformer.problems)
    return None if transformer.problems else result


def _problems_before(source: Source, text: str, start: str, line_offset: int,
                     exc: UnexpectedInput) -> list[Diagnostic]:
    """PD103/PD104 problems in the declarations before the one holding a syntax error.

    They are found while building the AST, which a failed parse never reaches, so the
    declarations that precede the failing one are parsed and built on their own."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if exc.line is not None and 1 <= exc.line <= len(line_starts):
        error_pos = line_starts[exc.line - 1]
    else:
        error_pos = len(text)
    last = None
    for match in _RESUME.finditer(text):
        if match.start() > error_pos:
            break
        last = match
    if last is None or not text[:last.start()].strip():
        return []
    try:
        tree = parser().parse(text[:last.start()], start=start)
    except UnexpectedInput:
        return []
    if line_offset:
        tree = _shift_lines(tree, line_offset)
    transformer = _ToAst(source)
    try:
        transformer.transform(tree)
    except VisitError:
        return []
    return transformer.problems


def _line_start(text: str, line: int) -> int:
    """The offset at which 1-based `line` of `text` begins."""
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


def _next_declaration(text: str, after_line: int) -> int | None:
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if after_line >= len(line_starts):
        return None
    match = _RESUME.search(text, line_starts[after_line])
    return match.start() if match else None


def _shift_lines(tree: Tree, offset: int) -> Tree:
    for sub in tree.iter_subtrees():
        if not sub.meta.empty:
            sub.meta.line += offset
            sub.meta.end_line += offset
        for child in sub.children:
            if isinstance(child, Token) and child.line is not None:
                child.line += offset
                child.end_line += offset
    return tree


# A string literal or a comment, whichever starts first: `#` inside a string is not a comment.
# Same patterns as the grammar's STRING and COMMENT terminals.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def _comments(source: Source, text: str) -> list[ast.Comment]:
    """Every `#` comment of a text that parsed (so every string in it is terminated).

    A scan rather than `Lark.lex`, which builds a new lexer (and, with interegular installed,
    checks every pair of terminals for collisions) on each call: most of the time of a parse."""
    out = []
    line, line_start, pos = 1, 0, 0
    for m in _STRING_OR_COMMENT.finditer(text):
        if not m.group().startswith("#"):
            continue
        newlines = text.count("\n", pos, m.start())
        if newlines:
            line += newlines
            line_start = text.rfind("\n", 0, m.start()) + 1
        pos = m.start()
        column = m.start() - line_start + 1
        out.append(ast.Comment(text=m.group(), span=Span(source, line, column, line, column + len(m.group()))))
    return out
