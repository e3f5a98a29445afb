"""One normalisation pass over the IR: conditions, integer terms, periods and capabilities
become canonical, hashable keys with every name resolved against their policy set.

Parameters are resolved to constants or per-value tables, constant comparisons folded,
`and`/`or` flattened and de-duplicated, double negations removed. Equal keys mean equal
values on every facts, which is what lets the code generator compute each shared
sub-condition once (and compare a merchant set's decision with its baseline's only where
they can differ). Malformed IR (a name it does not declare, an unknown unit) raises
`IRError` here, before any code is written.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator

from policydsl.ir import nodes as ir


class IRError(Exception):
    """The IR references something it does not declare, or holds a value no stage knows."""


COMPARE = {"<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">=": operator.ge,
           ">": operator.gt}

# Conditions, integer terms and periods become hashable tuples with names resolved against
# their policy set: equal keys mean equal values on every facts, so each is computed once.

Key = tuple
TRUE_K: Key = ("T",)
FALSE_K: Key = ("F",)


class Normalizer:
    """The normalisation of one policy set (the set itself, or its baseline): keys, memoised."""

    def __init__(self, ps: ir.PolicySet, facts: dict[str, ir.Fact]) -> None:
        self.ps = ps
        self.facts = facts
        self.periods = {p.name: p for p in ps.periods}
        self.params = {p.name: p for p in ps.params}
        self.actions = {a.name: a for a in ps.actions}
        self.capabilities = {c.name: c for c in ps.capabilities}
        self.covers = dict(ps.covers)
        self.period_keys: dict[str, Key] = {}
        self.visiting: list[str] = []

    def fact(self, path: str) -> str:
        if path not in self.facts:
            raise IRError(f"the IR reads `{path}`, which is not a declared fact")
        return path

    def term(self, t: ir.IntTerm) -> Key:
        if type(t) is ir.Const:
            return ("const", t.value)
        if type(t) is ir.FactInt:
            return ("fact", self.fact(t.path))
        if type(t) is ir.ParamInt:
            param = self.params.get(t.name)
            if param is None:
                raise IRError(f"the IR reads parameter `{t.name}`, which is not declared")
            if param.per is None:
                return ("const", param.value)
            self.fact(param.per)
            table: dict[str, int] = {}
            for key, value in param.by_value:
                table.setdefault(key, value)
            if not table:
                return ("const", param.value)
            return ("per", param.per, tuple(table.items()), param.value)
        raise IRError(f"normalisation has no case for the term {type(t).__name__}")

    def cond(self, c: ir.Cond) -> Key:
        kind = type(c)
        if kind is ir.TrueCond:
            return TRUE_K
        if kind is ir.FalseCond:
            return FALSE_K
        if kind is ir.And:
            return all_of(self.cond(i) for i in c.items)
        if kind is ir.Or:
            return any_of(self.cond(i) for i in c.items)
        if kind is ir.NotCond:
            return negate(self.cond(c.item))
        if kind is ir.BoolFact:
            return ("bool", self.fact(c.path))
        if kind is ir.EnumIn:
            return ("in", self.fact(c.path), tuple(dict.fromkeys(c.values))) if c.values else FALSE_K
        if kind is ir.IsNull:
            return ("null", self.fact(c.path))
        if kind is ir.Compare:
            if c.op not in COMPARE:
                raise IRError(f"unknown comparison `{c.op}`")
            left, right = self.term(c.left), self.term(c.right)
            if left[0] == right[0] == "const":
                return TRUE_K if COMPARE[c.op](left[1], right[1]) else FALSE_K
            return ("cmp", left, c.op, right)
        if kind is ir.Within:
            return ("within", self.period(c.period))
        if kind is ir.Expired:
            return ("expired", self.period(c.period))
        if kind is ir.Available:
            return ("avail", self.capability(c.capability))
        raise IRError(f"normalisation has no case for the condition {kind.__name__}")

    def capability(self, name: str) -> Key:
        cap = self.capabilities.get(name)
        if cap is None:
            raise IRError(f"the IR refers to capability `{name}`, which is not declared")
        if cap.within_unit not in ir.WINDOW_UNITS:
            raise IRError(f"capability `{name}` has unknown window unit `{cap.within_unit}`")
        counted = self.fact(cap.counted_by) if cap.counted_by else None
        return ("cap", cap.max_times, counted, cap.within, cap.within_unit, self.fact(cap.anchor), self.cond(cap.when))

    def period(self, name: str) -> Key:
        if name in self.period_keys:
            return self.period_keys[name]
        p = self.periods.get(name)
        if p is None:
            raise IRError(f"the IR refers to period `{name}`, which is not declared")
        if name in self.visiting:
            raise IRError(f"period `{name}` is defined in terms of itself")
        self.visiting.append(name)
        if type(p) is ir.BestPeriod:
            key: Key = ("best", tuple(self.period(m) for m in p.members))
        elif type(p) is ir.CalendarPeriod:
            if p.unit not in ir.CALENDAR_UNITS:
                raise IRError(f"period `{name}` has unknown unit `{p.unit}`")
            key = ("cal", self.term(p.length), self.fact(p.anchor), self.cond(p.guard), p.unit)
        elif type(p) is ir.ExactPeriod:
            if p.unit not in ("hours", "days"):
                raise IRError(f"period `{name}` has unknown unit `{p.unit}`")
            key = ("exact", self.term(p.length), p.unit, self.fact(p.anchor), self.cond(p.guard))
        else:
            raise IRError(f"normalisation has no case for the period {type(p).__name__}")
        self.visiting.pop()
        self.period_keys[name] = key
        return key


def all_of(items: Iterator[Key]) -> Key:
    """The key of a conjunction: nested `and`s flattened, duplicates and `true` dropped (in
    linear time: a policy may hold a 10,000-way condition)."""
    out: dict[Key, None] = {}
    for k in items:
        if k == FALSE_K:
            return FALSE_K
        if k[0] == "and":
            out.update(dict.fromkeys(k[1:]))
        elif k != TRUE_K:
            out[k] = None
    keys = tuple(out)
    return TRUE_K if not keys else keys[0] if len(keys) == 1 else ("and", *keys)


def any_of(items: Iterator[Key]) -> Key:
    """The key of a disjunction: nested `or`s flattened, duplicates and `false` dropped."""
    out: dict[Key, None] = {}
    for k in items:
        if k == TRUE_K:
            return TRUE_K
        if k[0] == "or":
            out.update(dict.fromkeys(k[1:]))
        elif k != FALSE_K:
            out[k] = None
    keys = tuple(out)
    return FALSE_K if not keys else keys[0] if len(keys) == 1 else ("or", *keys)


def negate(k: Key) -> Key:
    if k == TRUE_K:
        return FALSE_K
    if k == FALSE_K:
        return TRUE_K
    return k[1] if k[0] == "not" else ("not", k)


def children(key: Key) -> tuple[Key, ...]:
    tag = key[0]
    if tag in ("and", "or"):
        return key[1:]
    if tag == "not":
        return (key[1],)
    if tag in ("within", "expired", "avail"):
        return (key[1],)
    if tag == "cap":
        return (key[6],)
    if tag == "best":
        return key[1]
    if tag == "cal":
        return (key[3],)
    if tag == "exact":
        return (key[4],)
    return ()
