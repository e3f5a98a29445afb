"""Completion: the names and keywords that fit where the cursor is, read from the words before
it on its line (the file may not parse while it is being typed)."""

from __future__ import annotations

import re

from lsprotocol import types

from policydsl.lsp.convert import code_point_index
from policydsl.lsp.symbols import Index, Symbol

K = types.CompletionItemKind
DECLARATION_WORDS = ("clause", "enum", "group", "fact", "require", "param", "set", "period", "capability", "action",
                     "remedy", "let", "scenario", "rule", "escalation", "facts", "test", "timezone", "now")
MODALITIES = ("must", "should", "may", "must_not")
CONDITION_WORDS = ("not", "within", "expired", "available", "scenario", "true", "false")
EXPECT_WORDS = MODALITIES + ("no", "scenario", "extension", "conflict", "escalation")
TYPE_WORDS = ("bool", "count", "days", "timestamp")
KIND_ICON = {"fact": K.Field, "action": K.Function, "value": K.EnumMember, "clause": K.Reference,
             "scenario": K.Reference, "param": K.Variable, "period": K.Event, "let": K.Variable, "rule": K.Method,
             "capability": K.Module, "group": K.Enum, "enum": K.Enum, "facts": K.Struct}


def keyword_items(words: tuple[str, ...]) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=w, kind=K.Keyword) for w in words]


def symbol_items(symbols: list[Symbol], index: Index) -> list[types.CompletionItem]:
    out = []
    for s in symbols:
        out.append(types.CompletionItem(label=s.name, kind=KIND_ICON.get(s.kind, K.Text), detail=detail(s, index)))
    return out


def detail(s: Symbol, index: Index) -> str:
    d = s.decl
    if s.kind == "fact":
        return f"fact: {d.type.name.text}{'?' if d.type.optional else ''}"
    if s.kind == "action":
        return f"action: {d.polarity}"
    if s.kind in ("clause", "scenario"):
        clause = index.first(s.name, "clause")
        return f"clause: {clause.decl.title}" if clause is not None else s.kind
    if s.kind == "value":
        return f"enum {d.name.text}"
    return s.kind


def enum_values(index: Index, fact: str) -> list[Symbol]:
    enum = index.enum_of_fact(fact)
    if enum is None:
        return []
    return [s for s in index.of_kind("value") if s.decl is enum]


def _condition(index: Index) -> list[types.CompletionItem]:
    return symbol_items(index.of_kind("fact", "let"), index) + keyword_items(CONDITION_WORDS)


def completions(text: str, index: Index, pos: types.Position) -> list[types.CompletionItem]:
    """Candidates for the cursor at `pos`; the client filters them by the word typed so far."""
    lines = text.split("\n")
    row = lines[pos.line].rstrip("\r") if pos.line < len(lines) else ""
    before = row[:code_point_index(row, pos.character)]
    before = re.sub(r"[\w.]*$", "", before)  # drop the word being typed
    if "#" in before:
        return []
    stripped = before.rstrip()
    words = re.findall(r"[\w.]+|[^\w\s]+", stripped)
    last = words[-1] if words else ""
    if not stripped:
        if before == "":  # a declaration starts in the first column
            return keyword_items(DECLARATION_WORDS)
        return keyword_items(("when", "then", "given", "expect", "and", "or")) + _condition(index)
    if last in MODALITIES or last in ("no", "conflict"):
        return symbol_items(index.of_kind("action"), index)
    if re.search(r"\b(cites|scenario)(\s+[\w.]+\s*,)*\s*$", stripped) or (last == "scenario"):
        return symbol_items(index.of_kind("clause"), index)
    if re.search(r"\b(overrides|replaces)(\s+\w+\s*,)*\s*$", stripped):
        return symbol_items(index.of_kind("rule"), index)
    if re.search(r"\bexpect\b", stripped) and last in ("expect", ","):
        return keyword_items(EXPECT_WORDS)
    if re.search(r"\bthen\b", stripped) and last in ("then", ","):
        return keyword_items(MODALITIES)
    if last in ("set", "param"):
        return symbol_items(index.of_kind("param"), index)
    if m := re.search(r"\bset\s+(\w+)\s+for\s*$", stripped):
        param = index.first(m.group(1), "param")
        per = param.decl.per if param is not None else None
        return symbol_items(enum_values(index, ".".join(per.segments)), index) if per is not None else []
    if last in ("within", "expired", "joins"):
        return symbol_items(index.of_kind("period"), index)
    if last == "available":
        return symbol_items(index.of_kind("capability"), index)
    if last == "given":
        return symbol_items(index.of_kind("facts"), index)
    if m := re.search(r"([\w.]+)\s*(==|!=)\s*$", stripped):
        return symbol_items(enum_values(index, m.group(1)), index)
    if m := re.search(r"([\w.]+)\s+(?:not\s+)?in\s*\{[^}]*$", stripped):
        return symbol_items(enum_values(index, m.group(1)), index)
    if m := re.search(r"([\w.]+)\s+(?:not\s+)?in\s*$", stripped):
        return symbol_items(index.of_kind("group"), index)
    if m := re.search(r"([\w.]+)\s*:\s*$", stripped):
        if re.match(r"\s*fact\b", before):
            return keyword_items(TYPE_WORDS) + symbol_items(index.of_kind("enum"), index)
        values = enum_values(index, m.group(1))
        return symbol_items(values, index) if values else keyword_items(("true", "false", "null"))
    if last in ("when", "and", "or", "not", "(", "unless") or stripped.endswith("{") or last == ",":
        if last in ("{", ",") and re.search(r"\b(given|facts)\b", stripped) or stripped.endswith("{"):
            return symbol_items(index.of_kind("fact"), index)
        return _condition(index)
    return _condition(index) + symbol_items(index.of_kind("action"), index)
