"""The canonical layout of a policy file, behind `policydsl fmt`.

`format_policy` prints an AST; `format_source` parses text and prints it, or
returns the syntax diagnostics. The output reparses to an equal AST (comments
included), ends with one newline, and formatting it again changes nothing.

Layout
    The header, then one declaration per line. Rules print `rule NAME cites …`,
    `  when COND` and `  then …` on three lines; tests `test "…"`, `  given …` and
    `  expect …`; a `facts` block one `path: value,` a line; a capability one item a
    line. Lines are kept within MAX_WIDTH columns where possible: lists wrap (aligned
    after their opening word or brace), condition chains break before `and` / `or`
    (nested chains two columns deeper), and a long period puts its `when`/`unless`
    guard and `joins` on lines of their own. Runs of consecutive one-line `clause` and
    `scenario` declarations align their clause IDs; runs of consecutive lines with
    trailing comments align the comments.

Conditions
    Printed with the fewest parentheses that reparse to the same tree
    (or < and < not < atom): a chain nested in a chain of the same kind keeps its
    parentheses, because `a and b and c` parses to one flat `AllOf`.

Blank lines
    One blank line separates declarations of different groups (timezone/now, clauses,
    enums and groups, facts, requires, params and sets, periods, actions, remedies,
    lets, scenarios, rules) and surrounds every header, capability, facts and test
    block. Where the source had blank lines between two printed things (declaration or
    own-line comment), one is kept.

Comments
    Every comment of `Policy.comments` is printed once, in source order, with trailing
    whitespace removed:

    - a comment inside a declaration's extent (between its first and last token)
      moves to its own line just before that declaration;
    - otherwise a comment on the line where a declaration (or the header) ends stays
      at the end of that line;
    - otherwise it goes on its own line before the next declaration that starts after
      it, or at the end of the file when none does.

    Placing comments needs spans; when the header, a declaration or a comment has none
    (an AST built in code), every comment goes at the end of the file.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from policydsl.syntax import ast
from policydsl.diagnostics import Diagnostic
from policydsl.source import Span
from policydsl.syntax import parse

MAX_WIDTH = 100


@attrs.frozen
class FormatResult:
    """`output` is the formatted text, or None when the input has syntax errors."""

    output: str | None
    diagnostics: tuple[Diagnostic, ...]
    changed: bool


def format_source(text: str, name: str = "<string>") -> FormatResult:
    """Parse and format one policy file. Never raises on bad input: errors come back as diagnostics."""
    parsed = parse(text, name)
    if parsed.policy is None:
        return FormatResult(output=None, diagnostics=parsed.diagnostics, changed=False)
    output = format_policy(parsed.policy)
    return FormatResult(output=output, diagnostics=parsed.diagnostics, changed=output != text)


def format_policy(policy: ast.Policy) -> str:
    """The canonical text of `policy`. Raises TypeError on a node class it has no renderer for,
    and AssertionError on a tree no source parses to (an `and`/`or` chain of one item)."""
    return "\n".join(_render(_entries(policy))) + "\n"


def quote(text: str) -> str:
    """A policy string literal for `text`: escapes `"` `\\` newline, tab, and control or
    line-separator characters (as \\uXXXX); every other character is written as is."""
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def node_types() -> frozenset[type]:
    """Every AST class the formatter has a renderer for."""
    return frozenset(_TEXT) | frozenset(_LINES) | frozenset(_PERIOD_STARTS) | {ast.Policy}


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch


# ---- the sequence of printed things ------------------------------------------------------

_Item = ast.Header | ast.Declaration


@attrs.frozen
class _Entry:
    """One printed unit: the header, a declaration or an own-line comment."""

    node: _Item | ast.Comment
    trailing: ast.Comment | None = None
    blank_before: bool = False


@attrs.frozen
class _Placement:
    """Where each comment goes: before item i, at the end of item i's last line, or at the end."""

    leading: tuple[tuple[ast.Comment, ...], ...]
    trailing: tuple[ast.Comment | None, ...]
    end: tuple[ast.Comment, ...]


def _entries(policy: ast.Policy) -> list[_Entry]:
    """Items and comments in output order, each marked with whether a blank line precedes it."""
    items: list[_Item] = [policy.header, *policy.declarations]
    placement = _place_comments(items, policy.comments)
    blank_lines = _blank_lines(policy.span)
    entries: list[_Entry] = []
    for index, item in enumerate(items):
        block = [_Entry(c) for c in placement.leading[index]] + [_Entry(item, placement.trailing[index])]
        separated = index > 0 and _separated(items[index - 1], item)
        entries.extend(_with_blank(entries, block, blank_lines, separated))
    entries.extend(_with_blank(entries, [_Entry(c) for c in placement.end], blank_lines, False))
    return entries


def _with_blank(before: list[_Entry], block: list[_Entry], blank_lines: frozenset[int],
                separated: bool) -> list[_Entry]:
    """`block` with blank_before set: from the source, and before its first entry if `separated`."""
    out: list[_Entry] = []
    previous = before[-1] if before else None
    for position, entry in enumerate(block):
        blank = previous is not None and (_blank_between(previous.node.span, entry.node.span, blank_lines)
                                          or (position == 0 and separated))
        out.append(attrs.evolve(entry, blank_before=blank))
        previous = entry
    return out


def _blank_lines(span: Span | None) -> frozenset[int]:
    """The 1-based numbers of the whitespace-only lines of the source, if known."""
    if span is None:
        return frozenset()
    lines = span.source.text.split("\n")
    return frozenset(number for number, line in enumerate(lines, 1) if not line.strip(" \t\f\r"))


def _blank_between(first: Span | None, second: Span | None, blank_lines: frozenset[int]) -> bool:
    if first is None or second is None:
        return False
    return any(line in blank_lines for line in range(first.end_line + 1, second.line))


_GROUPS: dict[type, str] = {
    ast.TimezoneDecl: "setting", ast.NowDecl: "setting", ast.ClauseDecl: "clause",
    ast.EnumDecl: "enum", ast.GroupDecl: "enum", ast.FactDecl: "fact", ast.RequireDecl: "require",
    ast.ParamDecl: "param", ast.SetDecl: "param", ast.PeriodDecl: "period", ast.ActionDecl: "action",
    ast.RemedyDecl: "remedy", ast.LetDecl: "let", ast.ScenarioDecl: "scenario", ast.RuleDecl: "rule",
}


def _separated(previous: _Item, item: _Item) -> bool:
    """Whether a blank line always separates these consecutive items (classes not in _GROUPS are blocks)."""
    group = _GROUPS.get(type(item))
    return group is None or _GROUPS.get(type(previous)) != group


def _place_comments(items: Sequence[_Item], comments: Sequence[ast.Comment]) -> _Placement:
    """Attach each comment to an item, by position (see the module docstring)."""
    leading: list[list[ast.Comment]] = [[] for _ in items]
    trailing: list[ast.Comment | None] = [None] * len(items)
    if any(node.span is None for node in (*items, *comments)):
        return _Placement(tuple(map(tuple, leading)), tuple(trailing), tuple(comments))
    starts = [(item.span.line, item.span.column) for item in items]
    ends = [(item.span.end_line, item.span.end_column) for item in items]
    end: list[ast.Comment] = []
    for comment in comments:
        at = (comment.span.line, comment.span.column)
        following = bisect.bisect_left(starts, at)  # the first item that starts after the comment
        finished = bisect.bisect_right(ends, at) - 1  # the last item that ends before it
        if following > 0 and ends[following - 1] > at:
            leading[following - 1].append(comment)
        elif finished >= 0 and ends[finished][0] == comment.span.line:
            trailing[finished] = comment
        elif following < len(items):
            leading[following].append(comment)
        else:
            end.append(comment)
    return _Placement(tuple(map(tuple, leading)), tuple(trailing), tuple(end))


# ---- from entries to lines -----------------------------------------------------------------

def _render(entries: Sequence[_Entry]) -> list[str]:
    """The output lines: each entry's lines, blank lines, aligned keys and trailing comments."""
    blocks = _align_keys(entries, [_entry_lines(entry.node) for entry in entries])
    rows: list[tuple[str, str | None]] = []
    for entry, block in zip(entries, blocks):
        if entry.blank_before:
            rows.append(("", None))
        rows.extend((line, None) for line in block[:-1])
        rows.append((block[-1], None if entry.trailing is None else _text(entry.trailing)))
    return _align_comments(rows)


def _entry_lines(node: _Item | ast.Comment) -> list[str]:
    if isinstance(node, ast.Comment):
        return [_text(node)]
    renderer = _LINES.get(type(node))
    if renderer is None:
        raise TypeError(f"the formatter has no renderer for declaration class {type(node).__name__}")
    return renderer(node)


_KEYED = (ast.ClauseDecl, ast.ScenarioDecl)


def _align_keys(entries: Sequence[_Entry], blocks: list[list[str]]) -> list[list[str]]:
    """Pad the clause IDs of consecutive one-line `clause` (or `scenario`) declarations to one width."""
    runs: list[list[int]] = []
    for index, (entry, block) in enumerate(zip(entries, blocks)):
        if not isinstance(entry.node, _KEYED) or len(block) != 1:
            continue
        if (runs and runs[-1][-1] == index - 1 and type(entries[index - 1].node) is type(entry.node)
                and not entry.blank_before):
            runs[-1].append(index)
        else:
            runs.append([index])
    aligned = list(blocks)
    for run in runs:
        width = max(len(blocks[i][0].split(" ", 2)[1]) for i in run)
        for i in run:
            keyword, key, rest = blocks[i][0].split(" ", 2)
            aligned[i] = [f"{keyword} {key.ljust(width)} {rest}"]
    return aligned


def _align_comments(rows: Sequence[tuple[str, str | None]]) -> list[str]:
    """Lines with their trailing comments; comments on consecutive lines start in one column."""
    out: list[str] = []
    for commented, run in itertools.groupby(rows, key=lambda row: row[1] is not None):
        group = list(run)
        width = max(len(code) for code, _ in group) + 2
        out.extend(f"{code.ljust(width)}{comment}" if commented else code for code, comment in group)
    return out


# ---- line helpers ------------------------------------------------------------------------------

def _fill(head: str, words: Sequence[str], indent: int) -> list[str]:
    """`head` and `words` joined by spaces, wrapped before MAX_WIDTH; continuation lines start at
    `indent`. The first word always stays on the head's line."""
    lines = [head]
    for position, word in enumerate(words):
        if position > 0 and len(lines[-1]) + 1 + len(word) > MAX_WIDTH:
            lines.append(" " * indent + word)
        else:
            lines[-1] += " " + word
    return lines


def _commas(items: Sequence[str]) -> list[str]:
    return [item + "," for item in items[:-1]] + list(items[-1:])


def _braced(items: Sequence[str]) -> list[str]:
    """Words of `{ a, b }` (or `{}`), for _fill."""
    if not items:
        return ["{}"]
    words = _commas(items)
    words[0] = "{ " + words[0]
    words[-1] += " }"
    return words


def _names(names: Sequence[ast.Name]) -> list[str]:
    return [name.text for name in names]


def _listed(keyword: str, names: Sequence[ast.Name]) -> list[str]:
    """Words of `keyword a, b`, or none when `names` is empty."""
    return [keyword, *_commas(_names(names))] if names else []


# ---- conditions -----------------------------------------------------------------------------------

_OR, _AND, _NOT, _ATOM = range(4)
_LEVELS: dict[type, int] = {ast.AnyOf: _OR, ast.AllOf: _AND, ast.Not: _NOT}


def _condition(cond: ast.Condition, min_level: int = _OR) -> str:
    """`cond` on one line, parenthesized when it binds more loosely than `min_level`."""
    text = _text(cond)
    return f"({text})" if _LEVELS.get(type(cond), _ATOM) < min_level else text


def _condition_lines(cond: ast.Condition, column: int, indent: int, min_level: int = _OR,
                     tail: int = 0) -> list[str]:
    """`cond` starting at `column`, with `tail` more characters to follow its last line; when too
    long, chains break before `and`/`or` onto lines that start with `indent` spaces (continuation
    lines include their indentation)."""
    flat = _condition(cond, min_level)
    if column + len(flat) + tail <= MAX_WIDTH:
        return [flat]
    if isinstance(cond, ast.Not):
        inner = _condition_lines(cond.item, column + len("not "), indent + 2, _NOT, tail)
        return ["not " + inner[0], *inner[1:]]
    if isinstance(cond, (ast.AnyOf, ast.AllOf)):
        return _chain_lines(cond, column, indent, _LEVELS[type(cond)] < min_level, tail)
    return [flat]


def _chain_lines(cond: ast.AnyOf | ast.AllOf, column: int, indent: int, parenthesized: bool,
                 tail: int) -> list[str]:
    keyword, item_level = ("or", _AND) if isinstance(cond, ast.AnyOf) else ("and", _NOT)
    opener, closer = ("(", ")") if parenthesized else ("", "")
    lines = _condition_lines(cond.items[0], column + len(opener), indent + 2, item_level)
    lines[0] = opener + lines[0]
    prefix = " " * indent + keyword + " "
    for position, item in enumerate(cond.items[1:], 2):
        item_tail = tail + len(closer) if position == len(cond.items) else 0
        sub = _condition_lines(item, len(prefix), indent + 2, item_level, item_tail)
        lines += [prefix + sub[0], *sub[1:]]
    lines[-1] += closer
    return lines


def _prefixed(prefix: str, cond: ast.Condition, indent: int, tail: int = 0) -> list[str]:
    """`prefix` followed by `cond`, laid out after it, with `tail` characters to follow."""
    lines = _condition_lines(cond, len(prefix), indent, tail=tail)
    return [prefix + lines[0], *lines[1:]]


def _chain_text(keyword: str, item_level: int, items: Sequence[ast.Condition]) -> str:
    assert len(items) >= 2, f"an `{keyword}` chain needs two or more items, got {len(items)}"
    return f" {keyword} ".join(_condition(item, item_level) for item in items)


# ---- one-line text of nodes -------------------------------------------------------------------------

def _text(node: Any) -> str:
    """The one-line text of an inline node; TypeError for a class without a renderer."""
    renderer = _TEXT.get(type(node))
    if renderer is None:
        raise TypeError(f"the formatter has no renderer for node class {type(node).__name__}")
    return renderer(node)


def _duration(d: ast.Duration) -> str:
    assert d.unit in ast.DURATION_UNITS, f"unknown duration unit {d.unit!r}"
    return f"{d.amount} {d.unit[:-1] if d.amount == 1 else d.unit}"


def _cap_times(c: ast.CapTimes) -> str:
    counted = "" if c.counted_by is None else f" counted by {_text(c.counted_by)}"
    return f"at most {c.count} times{counted}"


def _membership(m: ast.Membership) -> str:
    return f"{_text(m.path)} {'not in' if m.negated else 'in'} {_text(m.values)}"


_TEXT: dict[type, Callable[[Any], str]] = {
    # leaves
    ast.Name: lambda n: n.text,
    ast.Path: lambda p: p.dotted,
    ast.IntLit: lambda i: str(i.value),
    ast.Duration: _duration,
    ast.Comment: lambda c: c.text.rstrip(),
    # conditions
    ast.AnyOf: lambda c: _chain_text("or", _AND, c.items),
    ast.AllOf: lambda c: _chain_text("and", _NOT, c.items),
    ast.Not: lambda c: "not " + _condition(c.item, _NOT),
    ast.Truth: lambda c: _text(c.path),
    ast.Comparison: lambda c: f"{_text(c.left)} {c.op} {_text(c.right)}",
    ast.SetLiteral: lambda s: "{" + ", ".join(_names(s.values)) + "}",
    ast.SetName: lambda s: _text(s.name),
    ast.Membership: _membership,
    ast.IsNull: lambda c: f"{_text(c.path)} is {'not ' if c.negated else ''}null",
    ast.Within: lambda c: f"within {_text(c.period)}",
    ast.Expired: lambda c: f"expired {_text(c.period)}",
    ast.InScenario: lambda c: f"scenario {_text(c.clause)}",
    ast.Available: lambda c: f"available {_text(c.capability)}",
    ast.Constant: lambda c: "true" if c.value else "false",
    # parts of declarations
    ast.TypeRef: lambda t: _text(t.name) + ("?" if t.optional else ""),
    ast.LengthParam: lambda n: _text(n.name),
    ast.LengthFact: lambda n: f"{_text(n.path)} {n.unit}",
    ast.LengthConst: lambda n: _duration(n.duration),
    ast.Guard: lambda g: f"{g.kind} {_condition(g.condition)}",
    ast.CapTimes: _cap_times,
    ast.CapEach: lambda c: f"{_duration(c.duration)} each",
    ast.CapWithin: lambda c: f"within {_duration(c.duration)} after {_text(c.anchor)}",
    ast.CapWhen: lambda c: f"only when {_condition(c.condition)}",
    ast.Effect: lambda e: f"{e.modality} {_text(e.action)}",
    ast.StringValue: lambda v: quote(v.text),
    ast.IntValue: lambda v: str(v.value),
    ast.BoolValue: lambda v: "true" if v.value else "false",
    ast.NullValue: lambda v: "null",
    ast.NameValue: lambda v: v.name,
    ast.FactValue: lambda f: f"{_text(f.path)}: {_text(f.value)}",
    ast.ExpectAction: lambda e: f"{e.modality} {_text(e.action)}",
    ast.ExpectAbsent: lambda e: f"no {_text(e.action)}",
    ast.ExpectScenario: lambda e: f"scenario {_text(e.clause)}",
    ast.ExpectExtension: lambda e: "extension " + ("eligible" if e.eligible else "ineligible"),
    ast.ExpectConflict: lambda e: f"conflict {_text(e.action)}",
    ast.ExpectEscalation: lambda e: "escalation" if e.present else "no escalation",
}


# ---- declarations ---------------------------------------------------------------------------------

_PERIOD_STARTS: dict[type, Callable[[Any], str]] = {
    ast.CalendarPeriod: lambda b: f"{_text(b.length)} from the day after {_text(b.anchor)}",
    ast.ExactPeriod: lambda b: f"{_text(b.length)} after {_text(b.anchor)}",
    ast.BestPeriod: lambda b: "most favourable of " + ", ".join(_names(b.members)),
}


def _period(d: ast.PeriodDecl) -> list[str]:
    body = d.body
    start = _PERIOD_STARTS.get(type(body))
    if start is None:
        raise TypeError(f"the formatter has no renderer for period class {type(body).__name__}")
    head = f"period {d.name.text}"
    words = [*_listed("cites", d.cites), "=", *start(body).split(" ")]
    guard = None if isinstance(body, ast.BestPeriod) else body.guard
    joins = [] if body.joins is None else [f"joins {body.joins.text}"]
    flat = " ".join([head, *words, *([] if guard is None else [_text(guard)]), *joins])
    if len(flat) <= MAX_WIDTH:
        return [flat]
    lines = _fill(head, words, 4)
    if guard is not None:
        lines += _prefixed(f"  {guard.kind} ", guard.condition, 4)
    return lines + ["  " + j for j in joins]


def _capability(d: ast.CapabilityDecl) -> list[str]:
    lines = _fill(f"capability {d.name.text}", _listed("cites", d.cites), 4)
    lines[-1] += ":"
    for position, item in enumerate(d.items, 1):
        comma = "," if position < len(d.items) else ""
        if isinstance(item, ast.CapWhen):
            item_lines = _prefixed("  only when ", item.condition, 4, len(comma))
        else:
            item_lines = ["  " + _text(item)]
        lines += [*item_lines[:-1], item_lines[-1] + comma]
    return lines


def _param(d: ast.ParamDecl) -> list[str]:
    words = [_text(d.default)]
    if d.direction is not None:
        words.append(f"may only {d.direction}")
    if d.per is not None:
        words.append(f"per {_text(d.per)}")
    return _fill(f"param {d.name.text} =", words + _listed("cites", d.cites), 4)


def _set(d: ast.SetDecl) -> list[str]:
    for_value = "" if d.for_value is None else f" for {d.for_value.text}"
    return _fill(f"set {d.name.text}{for_value} = {_text(d.value)}", list(_listed("cites", d.cites)), 4)


def _rule(d: ast.RuleDecl) -> list[str]:
    words = [*_listed("cites", d.cites), *_listed("overrides", d.overrides), *_listed("replaces", d.replaces)]
    return [*_fill(f"rule {d.name.text}", words, 4),
            *_prefixed("  when ", d.condition, 4),
            *_fill("  then", _commas([_text(e) for e in d.effects]), len("  then "))]


def _escalation(d: ast.EscalationDecl) -> list[str]:
    return [*_fill("escalation", _listed("cites", d.cites), 4),
            *_prefixed("  when ", d.condition, 4),
            *_fill("  rulings", _commas(_names(d.rulings)), len("  rulings "))]


def _facts(d: ast.FactsDecl) -> list[str]:
    if not d.values:
        return [f"facts {d.name.text} {{}}"]
    return [f"facts {d.name.text} {{", *(f"  {_text(v)}," for v in d.values), "}"]


def _test(d: ast.TestDecl) -> list[str]:
    given = "  given" + ("" if d.base is None else f" {d.base.text}")
    given_lines = [given] if d.values is None else _fill(given, _braced([_text(v) for v in d.values]),
                                                         len(given) + len(" { "))
    return [f"test {quote(d.title)}", *given_lines,
            *_fill("  expect", _commas([_text(e) for e in d.expectations]), len("  expect "))]


def _enum(d: ast.EnumDecl) -> list[str]:
    head = f"enum {d.name.text}"
    return _fill(head, _braced(_names(d.values)), len(head) + len(" { "))


def _group(d: ast.GroupDecl) -> list[str]:
    head = f"group {d.name.text} = {d.enum.text}"
    return _fill(head, _braced(_names(d.members)), len(head) + len(" { "))


def _merchant_header(h: ast.MerchantHeader) -> str:
    return f"merchant policy {quote(h.name)} version {quote(h.version)} extends {quote(h.extends)}"


_LINES: dict[type, Callable[[Any], list[str]]] = {
    ast.PlatformHeader: lambda h: [f"platform policy {quote(h.name)} version {quote(h.version)}"],
    ast.MerchantHeader: lambda h: [_merchant_header(h)],
    ast.TimezoneDecl: lambda d: [f"timezone {quote(d.offset)}"],
    ast.NowDecl: lambda d: [f"now {_text(d.path)}"],
    ast.ClauseDecl: lambda d: [f"clause {d.clause.text} {quote(d.title)}"],
    ast.EnumDecl: _enum,
    ast.GroupDecl: _group,
    ast.FactDecl: lambda d: [f"fact {_text(d.path)}: {_text(d.type)}" + (" may be omitted" if d.omittable else "")],
    ast.RequireDecl: lambda d: [f"require {_text(d.left)} {d.op} {_text(d.right)}"],
    ast.ParamDecl: _param,
    ast.SetDecl: _set,
    ast.PeriodDecl: _period,
    ast.CapabilityDecl: _capability,
    ast.ActionDecl: lambda d: [f"action {d.name.text}: {d.polarity}" + (f" needs {d.needs.text}" if d.needs else "")],
    ast.RemedyDecl: lambda d: _fill(f"remedy {d.chain[0].text}", [f"> {n.text}" for n in d.chain[1:]], 2),
    ast.LetDecl: lambda d: _prefixed(f"let {d.name.text} = ", d.condition, 2),
    ast.ScenarioDecl: lambda d: _prefixed(f"scenario {d.clause.text} = ", d.condition, 2),
    ast.RuleDecl: _rule,
    ast.EscalationDecl: _escalation,
    ast.FactsDecl: _facts,
    ast.TestDecl: _test,
}
