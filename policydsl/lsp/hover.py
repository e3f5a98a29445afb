"""Hover: what the name under the cursor means — a clause's paraphrase, an action's polarity and
the modalities the baseline gives it, a fact's type, a parameter's value and direction."""

from __future__ import annotations

from lsprotocol import types

from policydsl.lsp.convert import lsp_column, word_at
from policydsl.lsp.symbols import Index, Symbol
from policydsl.source import Span
from policydsl.syntax import ast

MAX_LINES = 8


def literal_text(lit: ast.Literal) -> str:
    return str(lit.value) if isinstance(lit, ast.IntLit) else f"{lit.amount} {lit.unit}"


def excerpt(span: Span | None) -> str:
    """The source of a declaration (its first MAX_LINES lines)."""
    if span is None:
        return ""
    lines = [span.source.line_text(n) for n in range(span.line, min(span.end_line, span.line + MAX_LINES - 1) + 1)]
    if span.end_line > span.line + MAX_LINES - 1:
        lines.append("  …")
    return "\n".join(lines)


def where(s: Symbol) -> str:
    return "the baseline" if s.origin == "baseline" else "this file"


def describe(s: Symbol, index: Index) -> str:
    """Markdown for one declared name."""
    d = s.decl
    if s.kind == "clause":
        return f"**clause {s.name}** ({where(s)}): {d.title}"
    if s.kind == "scenario":
        return f"**scenario {s.name}** ({where(s)}): holds when\n```policy\n{excerpt(d.span)}\n```"
    if s.kind == "action":
        needs = f", needs capability `{d.needs.text}`" if d.needs is not None else ""
        head = f"**action {s.name}**: {d.polarity}{needs} ({where(s)})"
        return head + "\n\n" + baseline_modalities(s.name, index)
    if s.kind == "fact":
        t = d.type
        kind = t.name.text + ("?" if t.optional else "")
        extra = "; may be omitted (absent means null)" if d.omittable else ""
        enum = index.first(t.name.text, "enum")
        values = f"\n\nvalues: {', '.join(v.text for v in enum.decl.values)}" if enum is not None else ""
        return f"**fact {s.name}**: `{kind}`{' (nullable)' if t.optional else ''}{extra}{values}"
    if s.kind == "param":
        return describe_param(s, index)
    if s.kind == "value":
        return f"**{s.name}**: a value of enum `{d.name.text}` ({where(s)})"
    if s.kind == "rule":
        cites = ", ".join(c.text for c in d.cites) or "nothing"
        titles = [f"- {c.text}: {cl.decl.title}" for c in d.cites if (cl := index.first(c.text, "clause"))]
        return f"**rule {s.name}** ({where(s)}), cites {cites}\n" + "\n".join(titles) + \
            f"\n```policy\n{excerpt(d.span)}\n```"
    return f"**{s.kind} {s.name}** ({where(s)})\n```policy\n{excerpt(d.span)}\n```"


def describe_param(s: Symbol, index: Index) -> str:
    d = s.decl
    direction = {"increase": "may only increase (a merchant may raise it, never lower it)",
                 "decrease": "may only decrease (a merchant may lower it, never raise it)"}.get(
        d.direction or "", "fixed (a merchant cannot change it)")
    per = f", per `{'.'.join(d.per.segments)}`" if d.per is not None else ""
    out = f"**param {s.name}** = {literal_text(d.default)} ({where(s)}): {direction}{per}"
    if index.document is not None and s.origin == "baseline":
        sets = [f"- `{literal_text(x.value)}`" + (f" for `{x.for_value.text}`" if x.for_value else "")
                for x in index.document.declarations if isinstance(x, ast.SetDecl) and x.name.text == s.name]
        if sets:
            out += "\n\nthis file sets:\n" + "\n".join(sets)
    return out


def baseline_modalities(action: str, index: Index) -> str:
    """The modalities the baseline's rules give `action`, each with its rule and clauses."""
    base = index.baseline if index.baseline is not None else index.document
    lines = []
    for d in base.declarations if base is not None else ():
        if isinstance(d, ast.RuleDecl):
            for e in d.effects:
                if e.action.text == action:
                    lines.append(f"- `{e.modality}` by rule `{d.name.text}` ({', '.join(c.text for c in d.cites)})")
    if not lines:
        return "the baseline gives it no modality"
    return "baseline modalities:\n" + "\n".join(lines)


def in_comment(row: str, index: int) -> bool:
    """Whether code point `index` of a line is inside a `#` comment (a `#` outside a string)."""
    quoted = False
    for i, ch in enumerate(row[:index]):
        if ch == '"' and (i == 0 or row[i - 1] != "\\"):
            quoted = not quoted
        elif ch == "#" and not quoted:
            return True
    return False


def hover(text: str, index: Index, pos: types.Position) -> types.Hover | None:
    found = word_at(text, pos.line, pos.character)
    if found is None:
        return None
    word, start, end = found
    row = text.split("\n")[pos.line]
    if in_comment(row, start):
        return None
    symbols = index.lookup(word)
    if not symbols:
        return None
    seen: set[str] = set()
    parts = []
    for s in symbols:
        if s.kind not in seen:
            seen.add(s.kind)
            parts.append(describe(s, index))
    rng = types.Range(start=types.Position(line=pos.line, character=lsp_column(row, start)),
                      end=types.Position(line=pos.line, character=lsp_column(row, end)))
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
                       range=rng)
