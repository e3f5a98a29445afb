"""Positions, ranges and diagnostics in LSP terms. Spans count 1-based lines and code points;
LSP counts 0-based lines and code units of the encoding agreed at `initialize` (UTF-16, the
protocol's default, unless the client prefers UTF-8 or UTF-32)."""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol import types

from policydsl.diagnostics import Diagnostic, Severity
from policydsl.lsp.documents import Analysis
from policydsl.lsp.symbols import Index
from policydsl.source import Source, Span
from policydsl.syntax import ast


#: the position encoding agreed at `initialize` ("utf-16", the protocol's default, "utf-8" or "utf-32")
_ENCODING = ["utf-16"]


def set_position_encoding(name: str | None) -> None:
    _ENCODING[0] = name if name in ("utf-8", "utf-16", "utf-32") else "utf-16"


def _units(ch: str) -> int:
    """How many code units of the agreed encoding one code point takes."""
    encoding = _ENCODING[0]
    if encoding == "utf-32":
        return 1
    if encoding == "utf-8":
        return len(ch.encode("utf-8"))
    return 2 if ord(ch) > 0xFFFF else 1


def lsp_column(line_text: str, index: int) -> int:
    """The LSP offset (in the agreed encoding's code units) of code point `index` (0-based) of a line."""
    return sum(_units(ch) for ch in line_text[:index])


def code_point_index(line_text: str, character: int) -> int:
    """The code point index of LSP offset `character` (agreed encoding's code units) of a line."""
    units = 0
    for i, ch in enumerate(line_text):
        if units >= character:
            return i
        units += _units(ch)
    return len(line_text)


def position(source: Source, line: int, column: int) -> types.Position:
    text = source.line_text(line)
    return types.Position(line=max(line - 1, 0), character=lsp_column(text, max(column - 1, 0)))


def span_range(span: Span) -> types.Range:
    return types.Range(start=position(span.source, span.line, span.column),
                       end=position(span.source, span.end_line, span.end_column))


def uri_of(file: str) -> str:
    """A file URI for a span's file name (a path; a relative one is taken from the working directory)."""
    return Path(file).resolve().as_uri()


def location(span: Span) -> types.Location:
    return types.Location(uri=uri_of(span.file), range=span_range(span))


def word_at(text: str, line: int, character: int) -> tuple[str, int, int] | None:
    """The name (`order.category`, `S3.1`, `reopen_after_sales`) under an LSP position, with its
    code point start and end in the 0-based `line`; None off a name."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    row = lines[line].rstrip("\r")
    at = code_point_index(row, character)
    start = at
    while start > 0 and (row[start - 1].isalnum() or row[start - 1] in "_."):
        start -= 1
    end = at
    while end < len(row) and (row[end].isalnum() or row[end] in "_."):
        end += 1
    word = row[start:end].strip(".")
    if not word:
        return None
    return word, start, end


# ---- diagnostics ------------------------------------------------------------------------------

SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning}

#: `data` of an LSP diagnostic: the quick fixes the server offers for it, as
#: {"title": …, "range": {start, end}, "newText": …} (actions.py turns them into code actions)


def _did_you_mean(hint: str | None) -> str | None:
    if hint and hint.startswith("did you mean `") and hint.endswith("`?"):
        return hint[len("did you mean `"):-2]
    return None


def _baseline_element(d: Diagnostic, index: Index) -> Span | None:
    """The baseline declaration a PD30x violation undercuts: the parameter a setting lowers, else the
    baseline rule citing the clause that gives the action, else the clause itself."""
    rule = str(d.data.get("rule") or "")
    if rule.startswith("set "):
        param = index.first(rule.split()[1], "param")
        return param.span if param is not None and param.origin == "baseline" else None
    clauses = [c.strip() for c in str(d.data.get("clause") or "").split(",") if c.strip()]
    action = d.data.get("action")
    for s in index.of_kind("rule"):
        if s.origin == "baseline" and any(e.action.text == action for e in s.decl.effects) \
                and clauses and clauses[0] in {c.text for c in s.decl.cites}:
            return s.span
    for c in clauses:
        clause = index.first(c, "clause")
        if clause is not None and clause.origin == "baseline":
            return clause.span
    return None


def _raise_fix(d: Diagnostic, analysis: Analysis, index: Index) -> dict | None:
    """For a PD302 setting that lowers a parameter: put the baseline's value back."""
    rule = str(d.data.get("rule") or "")
    if d.code != "PD302" or not rule.startswith("set ") or d.span is None or analysis.policy is None:
        return None
    name = rule.split()[1]
    param = index.first(name, "param")
    if param is None or param.origin != "baseline" or param.decl.default.span is None:
        return None
    default = param.decl.default.span
    value_text = default.source.line_text(default.line)[default.column - 1:default.end_column - 1] \
        if default.line == default.end_line else None
    for decl in analysis.policy.declarations:
        if isinstance(decl, ast.SetDecl) and decl.name.text == name and decl.span is not None \
                and decl.span.line == d.span.line and decl.value.span is not None and value_text:
            return {"title": f"Raise `{name}` to the baseline's {value_text}",
                    "range": _range_json(span_range(decl.value.span)), "newText": value_text}
    return None


def _range_json(r: types.Range) -> dict:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def lsp_diagnostic(d: Diagnostic, analysis: Analysis, index: Index) -> types.Diagnostic:
    """One policydsl diagnostic as an LSP diagnostic: code, severity, range in this document (the top
    of the file for one about another file), notes and the counterexample as relatedInformation,
    quick fixes in `data`."""
    here = d.span is not None and d.span.file == analysis.name
    rng = span_range(d.span) if here else types.Range(start=types.Position(line=0, character=0),
                                                     end=types.Position(line=0, character=0))
    message = d.message if here or d.span is None else f"{d.span}: {d.message}"
    if d.hint:
        message += f"\nhint: {d.hint}"
    own = types.Location(uri=analysis.uri, range=rng)
    related: list[types.DiagnosticRelatedInformation] = []
    if d.span is not None and not here:
        related.append(types.DiagnosticRelatedInformation(location=location(d.span), message=d.message))
    if d.code.startswith("PD3") and d.data.get("counterexample") is not None:
        target = _baseline_element(d, index)
        where = location(target) if target is not None else own
        related.append(types.DiagnosticRelatedInformation(
            location=where, message=f"baseline: {d.data.get('baseline')} {d.data.get('action')} "
                                    f"({d.data.get('clause')}); merchant: {d.data.get('merchant')}"))
        example = json.dumps(d.data["counterexample"], ensure_ascii=False, separators=(",", ":"))
        related.append(types.DiagnosticRelatedInformation(location=own, message=f"counterexample: {example}"))
    related.extend(types.DiagnosticRelatedInformation(location=own, message=n)
                   for n in d.notes if not n.startswith("counterexample: "))
    fixes = []
    replacement = _did_you_mean(d.hint)
    if replacement is not None and here:
        fixes.append({"title": f"Replace with `{replacement}`", "range": _range_json(rng), "newText": replacement})
    raise_fix = _raise_fix(d, analysis, index)
    if raise_fix is not None:
        fixes.append(raise_fix)
    return types.Diagnostic(range=rng, message=message, severity=SEVERITY[d.severity], code=d.code,
                            source="policydsl", related_information=related or None,
                            data={"fixes": fixes} if fixes else None)


def lsp_diagnostics(analysis: Analysis, index: Index) -> list[types.Diagnostic]:
    from policydsl.diagnostics import sorted_diagnostics

    return [lsp_diagnostic(d, analysis, index) for d in sorted_diagnostics(analysis.diagnostics)]
