"""Lark's exceptions → diagnostics in a policy author's words (PD101 and friends)."""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from policydsl.diagnostics import Diagnostic, did_you_mean
from policydsl.source import Source, point

from policydsl.syntax.grammar import SHIPPED_BASELINE, parser

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
    end = _end_of_code(source.text)  # just after the last token: trailing comments and blanks do not count
    line = source.text.count("\n", 0, end) + 1
    column = end - (source.text.rfind("\n", 0, end) + 1) + 1
    return Diagnostic(code="PD102",
                      message="the file ends in the middle of a declaration"
                              + (f"; expected {_expected_phrase(expected)}" if expected else ""),
                      span=point(source, line, column),
                      hint="finish the last declaration" if expected else None)


# A string literal or a comment, whichever starts first: `#` inside a string is not a comment.
# Same patterns as the grammar's STRING and COMMENT terminals.
_STRING_OR_COMMENT = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|#[^\n]*')


def _end_of_code(text: str) -> int:
    """The offset just after the last character that is neither blank nor in a comment."""
    end = pos = 0
    for m in [*_STRING_OR_COMMENT.finditer(text), None]:
        gap = text[pos:m.start() if m else len(text)]
        if gap.strip():
            end = pos + len(gap.rstrip())
        if m is None:
            break
        if not m.group().startswith("#"):
            end = m.end()
        pos = m.end()
    return end


_STRING_RE = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
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
