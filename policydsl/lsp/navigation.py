"""Go to definition and find references: declared names of the file and of the baseline it
extends (a merchant rule's `replaces`/`overrides` jumps into the baseline file); the file's
outline (document symbols)."""

from __future__ import annotations

from lsprotocol import types

from policydsl.lsp.convert import location, span_range, word_at
from policydsl.lsp.symbols import Index, declarations, occurrences
from policydsl.syntax import ast

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


SYMBOL_KIND = {"clause": types.SymbolKind.String, "enum": types.SymbolKind.Enum, "group": types.SymbolKind.Enum,
               "fact": types.SymbolKind.Field, "param": types.SymbolKind.Constant, "period": types.SymbolKind.Event,
               "capability": types.SymbolKind.Module, "action": types.SymbolKind.Function,
               "let": types.SymbolKind.Variable, "scenario": types.SymbolKind.Boolean, "rule": types.SymbolKind.Method,
               "facts": types.SymbolKind.Struct, "value": types.SymbolKind.EnumMember}


def outline(policy: ast.Policy | None) -> list[types.DocumentSymbol]:
    """The file's declarations in source order (enum values under their enum; `set`s and tests
    by what they set and their title)."""
    out: list[types.DocumentSymbol] = []
    for s in declarations(policy, "document"):
        if s.kind == "value" or s.decl.span is None:
            continue
        children = [types.DocumentSymbol(name=v.text, kind=types.SymbolKind.EnumMember, range=span_range(v.span),
                                         selection_range=span_range(v.span))
                    for v in getattr(s.decl, "values", ()) if s.kind == "enum"]
        out.append(types.DocumentSymbol(name=s.name, detail=s.kind, kind=SYMBOL_KIND[s.kind],
                                        range=span_range(s.decl.span), selection_range=span_range(s.span),
                                        children=children or None))
    for d in policy.declarations if policy is not None else ():
        if isinstance(d, ast.SetDecl) and d.span is not None:
            name = f"set {d.name.text}" + (f" for {d.for_value.text}" if d.for_value else "")
            out.append(types.DocumentSymbol(name=name, detail="setting", kind=types.SymbolKind.Constant,
                                            range=span_range(d.span), selection_range=span_range(d.name.span)))
        elif isinstance(d, ast.TestDecl) and d.span is not None:
            out.append(types.DocumentSymbol(name=f"test {d.title}", detail="test", kind=types.SymbolKind.Event,
                                            range=span_range(d.span), selection_range=span_range(d.span)))
    return sorted(out, key=lambda x: (x.range.start.line, x.range.start.character))
