"""Declarations and name occurrences of a policy file and the baseline it extends: what hover,
completion and navigation look names up in."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from policydsl.source import Span
from policydsl.syntax import ast

#: declaration class → (kind word, the attribute holding its declared name)
DECLARED = {
    ast.ClauseDecl: ("clause", "clause"),
    ast.EnumDecl: ("enum", "name"),
    ast.GroupDecl: ("group", "name"),
    ast.FactDecl: ("fact", "path"),
    ast.ParamDecl: ("param", "name"),
    ast.PeriodDecl: ("period", "name"),
    ast.CapabilityDecl: ("capability", "name"),
    ast.ActionDecl: ("action", "name"),
    ast.LetDecl: ("let", "name"),
    ast.ScenarioDecl: ("scenario", "clause"),
    ast.RuleDecl: ("rule", "name"),
    ast.FactsDecl: ("facts", "name"),
}


@attrs.frozen
class Symbol:
    """One declared name: its kind, the declaration, and the span of the name itself."""

    name: str
    kind: str
    decl: object
    span: Span
    origin: str  # "document" | "baseline"


def text_of(node: ast.Name | ast.Path) -> str:
    return node.text if isinstance(node, ast.Name) else ".".join(node.segments)


def declarations(policy: ast.Policy | None, origin: str) -> list[Symbol]:
    """Every name `policy` declares (enum values as kind `value`), in source order."""
    out: list[Symbol] = []
    for d in policy.declarations if policy is not None else ():
        entry = DECLARED.get(type(d))
        if entry is None:
            continue
        kind, attr = entry
        node = getattr(d, attr)
        out.append(Symbol(text_of(node), kind, d, node.span, origin))
        if isinstance(d, ast.EnumDecl):
            out.extend(Symbol(v.text, "value", d, v.span, origin) for v in d.values)
    return out


def occurrences(policy: ast.Policy | None) -> Iterator[tuple[str, Span]]:
    """Every name written in `policy` (declared or used), with its span."""
    if policy is None:
        return
    for node in ast.iter_nodes(policy):
        if isinstance(node, (ast.Name, ast.Path)) and node.span is not None:
            yield text_of(node), node.span
        elif isinstance(node, ast.NameValue) and node.span is not None:
            yield node.name, node.span


@attrs.frozen
class Index:
    """The symbols a document sees: its own, then its baseline's (for a merchant file)."""

    document: ast.Policy | None
    baseline: ast.Policy | None
    symbols: tuple[Symbol, ...]

    @classmethod
    def build(cls, document: ast.Policy | None, baseline: ast.Policy | None) -> "Index":
        return cls(document, baseline, tuple(declarations(document, "document") + declarations(baseline, "baseline")))

    def lookup(self, name: str, kinds: tuple[str, ...] = ()) -> list[Symbol]:
        return [s for s in self.symbols if s.name == name and (not kinds or s.kind in kinds)]

    def of_kind(self, *kinds: str) -> list[Symbol]:
        """Symbols of these kinds, each name once (the document's declaration first)."""
        seen: set[tuple[str, str]] = set()
        out = []
        for s in self.symbols:
            if s.kind in kinds and (s.kind, s.name) not in seen:
                seen.add((s.kind, s.name))
                out.append(s)
        return out

    def first(self, name: str, *kinds: str) -> Symbol | None:
        found = self.lookup(name, kinds)
        return found[0] if found else None

    def enum_of_fact(self, path: str) -> ast.EnumDecl | None:
        fact = self.first(path, "fact")
        if fact is None:
            return None
        enum = self.first(fact.decl.type.name.text, "enum")
        return enum.decl if enum is not None else None
