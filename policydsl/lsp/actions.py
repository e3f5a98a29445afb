"""Edits the server offers: quick fixes carried by its diagnostics (a did-you-mean replacement,
raising a lowered parameter back to the baseline's value) and whole-document formatting."""

from __future__ import annotations

from lsprotocol import types

from policydsl.lsp.convert import lsp_column
from policydsl.syntax.formatter import format_source


def _range(data: dict) -> types.Range:
    return types.Range(start=types.Position(**data["start"]), end=types.Position(**data["end"]))


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def code_actions(uri: str, published: list[types.Diagnostic], wanted: types.Range) -> list[types.CodeAction]:
    """A quick fix for each fix of a published diagnostic that touches `wanted`. The server's own
    copy of its diagnostics is read, so clients that do not echo `data` back still get them."""
    out = []
    for diag in published:
        if not _overlaps(diag.range, wanted) or not isinstance(diag.data, dict):
            continue
        for fix in diag.data.get("fixes", ()):
            edit = types.TextEdit(range=_range(fix["range"]), new_text=fix["newText"])
            out.append(types.CodeAction(title=fix["title"], kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                                        is_preferred=True,
                                        edit=types.WorkspaceEdit(changes={uri: [edit]})))
    return out


def formatting(text: str, name: str) -> list[types.TextEdit] | None:
    """One edit replacing the document with `policydsl fmt`'s layout; [] when it is formatted
    already, None when it does not parse (nothing to format)."""
    result = format_source(text, name)
    if result.output is None:
        return None
    if not result.changed:
        return []
    lines = text.split("\n")
    end = types.Position(line=len(lines) - 1, character=lsp_column(lines[-1], len(lines[-1])))
    return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end),
                           new_text=result.output)]
