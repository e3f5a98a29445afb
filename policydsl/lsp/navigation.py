"""Go to definition and find references: declared names of the file and of the baseline it
extends (a merchant rule's `replaces`/`overrides` jumps into the baseline file)."""

from __future__ import annotations

from lsprotocol import types

from policydsl.lsp.convert import location, word_at
from policydsl.lsp.symbols import Index, occurrences

#: kinds a name can be defined as, most specific first (a clause ID is both a clause and,
#: with `scenario`, a scenario; both definitions are offered)
ORDER = ("rule", "action", "fact", "param", "period", "let", "capability", "enum", "group", "value", "facts",
         "clause", "scenario")


def definition(text: str, index: Index, pos: types.Position) -> list[types.Location]:
    found = word_at(text, pos.line, pos.character)
    if found is None:
        return []
    symbols = sorted(index.lookup(found[0]), key=lambda s: (ORDER.index(s.kind), s.origin != "document"))
    return [location(s.span) for s in symbols]


def references(text: str, index: Index, pos: types.Position, include_declaration: bool) -> list[types.Location]:
    """Every place the name under the cursor is written, in this file and (for a name the baseline
    declares, or in the baseline itself) in the baseline file."""
    found = word_at(text, pos.line, pos.character)
    if found is None:
        return []
    word = found[0]
    symbols = index.lookup(word)
    if not symbols:
        return []
    declared_at = {(s.span.file, s.span.line, s.span.column) for s in symbols}
    policies = [index.document]
    if index.baseline is not None and any(s.origin == "baseline" for s in symbols):
        policies.append(index.baseline)
    out = []
    for policy in policies:
        for name, span in occurrences(policy):
            if name != word:
                continue
            if not include_declaration and (span.file, span.line, span.column) in declared_at:
                continue
            out.append(location(span))
    return out
