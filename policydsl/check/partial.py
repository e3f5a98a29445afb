"""Partial decisions: what a policy set decides when some facts are unknown (docs/semantics.md §6).

Facts left out of the JSON (or null where the fact is not nullable) are unknown; every
completion of them is a possible request. Decided by the solver over the facts' formulas
(`policydsl.check.modality`), with the known facts pinned (`policydsl.check.known`):

- certain: each action whose modality is the same in every completion (for each action and
  modality, is there a completion giving it?);
- possible: the distinct decisions (on the actions that are not certain), found one model at a
  time, each blocked once found; each with its witness facts replayed through the evaluator and
  a condition on the unknowns (a cover by cubes, each shrunk to the literals it needs);
- ask: for each unknown fact, its values (enum and bool values, null, ranges of counts and of
  days split where a constraint on it changes) and which modalities remain possible for each
  undecided action under each; a fact is listed when they differ or (enum and bool facts)
  when changing it alone changes an action in some completion, which actions it decides
  first. For an unknown timestamp the ranges' first instants are where the decision changes.
"""

from __future__ import annotations

from typing import Any

import attrs

from policydsl import ir
from policydsl.check.conditions import Literal, cube_constraints, render_cube
from policydsl.check.encode import Undecidable, month_span
from policydsl.check.known import Known, Pinned, day_end, day_start, read_partial
from policydsl.check.logic import (And, BoolAtom, DiffAtom, EnumAtom, Formula, Not, NullAtom, Or, atoms_of, conj,
                                   ZERO, disj, neg, satisfiable, simplify, solve)
from policydsl.check.modality import MODALITIES, DecisionEncoder, describe
from policydsl.check.witness import witness
from policydsl.diagnostics import Diagnostic, Severity
from policydsl.gcpause import gc_paused
from policydsl.source import Source

MAX_DECISIONS = 32  # distinct possible decisions listed (PD521 beyond)
MAX_CUBES = 8  # alternatives in one decision's condition (PD521 beyond)


@attrs.frozen
class Possible:
    """One possible decision on the undecided actions, the condition on the unknowns that yields
    it (alternatives, each a mapping fact → constraint), and witness facts that replay to it."""

    actions: tuple[tuple[str, str | None], ...]
    condition: tuple[tuple[tuple[str, dict[str, Any]], ...], ...]
    witness: dict[str, Any] = attrs.field(eq=False)


@attrs.frozen
class Ask:
    """An unknown fact that can change an action: the actions it decides, and for each group of
    its values the modalities still possible for each of them (`changes_at`: timestamps only)."""

    fact: str
    decides: tuple[str, ...]
    values: tuple[tuple[tuple[str, ...], tuple[tuple[str, tuple[str | None, ...]], ...]], ...]
    changes_at: tuple[str, ...] = ()
    ranges: bool = False  # the values are ranges (a count or a timestamp), in order


@attrs.frozen
class PartialResult:
    unknown: tuple[str, ...]
    certain: tuple[tuple[str, str | None], ...]  # every action decided alike in every completion
    undecided: tuple[str, ...]
    possible: tuple[Possible, ...]
    ask: tuple[Ask, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (docs/semantics.md §6)."""
        return {
            "unknown": list(self.unknown),
            "certain": [{"action": a, "modality": m} for a, m in self.certain if m is not None],
            "certain_absent": [a for a, m in self.certain if m is None],
            "undecided": list(self.undecided),
            "possible": [{"actions": [{"action": a, "modality": m} for a, m in p.actions],
                          "when": [dict(c) for c in p.condition], "witness": p.witness} for p in self.possible],
            "ask": [{"fact": q.fact, "decides": list(q.decides),
                     "values": [{"values": list(vs), "then": [{"action": a, "modalities": list(ms)} for a, ms in th]}
                                for vs, th in q.values],
                     **({"changes_at": list(q.changes_at)} if q.changes_at else {})} for q in self.ask],
            "diagnostics": [{"code": d.code, "severity": d.severity.value, "message": d.message}
                            for d in self.diagnostics],
        }

    def to_text(self) -> str:
        lines = [f"unknown: {', '.join(self.unknown) or '(none)'}", "certain:"]
        lines += [f"  {describe(m, a)}" for a, m in self.certain if m is not None] or ["  (nothing)"]
        if self.undecided:
            lines.append(f"undecided: {', '.join(self.undecided)}")
        lines.append(f"possible decisions: {len(self.possible)}")
        for i, p in enumerate(self.possible, 1):
            lines.append(f"  {i}. {', '.join(describe(m, a) for a, m in p.actions) or '(as certain)'}")
            for cube in p.condition:
                lines.append(f"     when {render_cube(cube)}")
        if self.ask:
            lines.append("ask:")
            for q in self.ask:
                lines.append(f"  {q.fact} (decides {', '.join(q.decides)}):")
                for k, (vs, then) in enumerate(q.values):
                    last = k == len(q.values) - 1 and len(q.values) > 1 and len(vs) > 1
                    label = "otherwise" if last and not q.ranges else ", ".join(vs)
                    lines.append(f"    {label} → {'; '.join(_mods(ms, a) for a, ms in then)}")
                if q.changes_at:
                    lines.append(f"    the decision changes at {', '.join(q.changes_at)}")
        lines += [f"{d.severity.value}[{d.code}]: {d.message}" for d in self.diagnostics]
        return "\n".join(lines)


def _mods(ms: tuple[str | None, ...], action: str) -> str:
    return " or ".join(m or "no" for m in ms) + f" {action}"


def partial(ps: ir.PolicySet, data: Any, source: Source | None = None) -> PartialResult:
    """Decide `data` (facts JSON with some facts left out); raises FactsInputError for bad facts."""
    known = read_partial(data, ps, source)
    with gc_paused():
        try:
            return _Partial(ps, known).run()
        except Undecidable as exc:
            return PartialResult(known.unknown, (), (), (), (), (Diagnostic(
                code="PD523", message=f"cannot decide with unknown facts: {exc.reason}", span=exc.span),))


@attrs.define
class _Partial:
    ps: ir.PolicySet
    known: Known
    pin: Pinned = attrs.field(init=False)
    de: DecisionEncoder = attrs.field(init=False)
    diags: list[Diagnostic] = attrs.Factory(list)

    def __attrs_post_init__(self) -> None:
        self.pin = Pinned(self.ps, self.known)
        self.de = DecisionEncoder(self.ps)

    def f(self, formula: Formula) -> Formula:
        return simplify(formula, self.pin.assignment)

    def run(self) -> PartialResult:
        actions = [a.name for a in self.ps.actions]
        mods = {a: tuple(m for m in MODALITIES if satisfiable(self.f(self.de.modality_is(a, m)), self.pin.domains))
                for a in actions}
        certain = tuple((a, ms[0]) for a, ms in mods.items() if len(ms) == 1)
        undecided = tuple(a for a, ms in mods.items() if len(ms) > 1)
        possible = self.possible(undecided)
        ask = self.ask(undecided, mods) if undecided else ()
        diags = tuple({(d.code, d.message): d for d in self.diags}.values())  # each warning once
        return PartialResult(self.known.unknown, certain, undecided, tuple(possible), tuple(ask), diags)

    # ---- the possible decisions --------------------------------------------------------------
    def possible(self, undecided: tuple[str, ...]) -> list[Possible]:
        found: list[dict[str, str | None]] = []
        out: list[Possible] = []
        while True:
            blocks = conj(neg(self.de.decision_is(d)) for d in found)
            got = witness(self.pin, self.f(blocks),
                          lambda _, dec: {a: dec.get(a) for a in undecided} not in found)
            if got is None:
                break
            if got == "months":
                self.diags.append(_months_warning())
                break
            if len(found) >= MAX_DECISIONS:
                self.diags.append(_cut_warning(f"more than {MAX_DECISIONS} decisions are possible; the first "
                                               f"{MAX_DECISIONS} are listed"))
                break
            facts, decision = got
            d = {a: decision.get(a) for a in undecided}
            found.append(d)
            out.append(Possible(tuple(d.items()), self.cover(self.f(self.de.decision_is(d))), facts))
        return out

    def cover(self, target: Formula) -> tuple[tuple[tuple[str, dict[str, Any]], ...], ...]:
        """Cubes of literals over the unknowns whose union is exactly where `target` holds."""
        domains = self.pin.domains
        cubes: list[list[Literal]] = []
        while True:
            model = solve(conj([target, *(neg(_cube(c)) for c in cubes)]), domains)
            if model is None:
                break
            if len(cubes) >= MAX_CUBES:
                self.diags.append(_cut_warning(f"a decision's condition has more than {MAX_CUBES} alternatives; "
                                               f"the first {MAX_CUBES} are shown"))
                break
            lits = list(model.atoms.items())
            i = 0
            while i < len(lits):
                trial = lits[:i] + lits[i + 1:]
                if not satisfiable(conj([_cube(trial), neg(target)]), domains):
                    lits = trial
                else:
                    i += 1
            cubes.append(lits)
        return tuple(tuple(cube_constraints(self.pin, c)) for c in cubes)

    # ---- the ask list ----------------------------------------------------------------------------
    def ask(self, undecided: tuple[str, ...], mods: dict[str, tuple[str | None, ...]]) -> list[Ask]:
        formulas = {(a, m): self.f(self.de.modality_is(a, m)) for a in undecided for m in mods[a]}
        diffs = [a for a in atoms_of(disj(formulas.values())) if isinstance(a, DiffAtom)]
        bounded = sorted({var.split(":")[1] for a in diffs for var in (a.u, a.v)
                          if var.startswith("months:") and var.split(":")[1] in self.known.unknown})
        if bounded:
            self.diags.append(Diagnostic(code="PD520", severity=Severity.WARNING, message=(
                f"a month or year period counts from the unknown {', '.join(f'`{b}`' for b in bounded)}: its month "
                f"lengths are only bounded (shortest to longest month), so an action may be listed as undecided, and "
                f"its ranges in the ask list may be off, by that difference; every listed decision is replayed")))
        out = []
        for path in self.known.unknown:
            classes = self.classes(path, diffs)
            rows = []
            for label, restrict, extra in classes:
                domains = self.pin.with_constraints(extra)
                then = tuple((a, tuple(m for m in mods[a] if satisfiable(conj([restrict, formulas[(a, m)]]), domains)))
                             for a in undecided)
                if any(ms for _, ms in then):
                    rows.append((label, then))
            if self.ps.fact(path).kind in ("count", "timestamp"):
                rows = _merge_ranges(rows)
            decides = tuple(a for i, a in enumerate(undecided) if len({r[1][i][1] for r in rows}) > 1)
            if self.ps.fact(path).kind in ("bool", "enum"):  # exactly: does this fact alone ever change it?
                decides = tuple(a for a in undecided if a in decides or self.alone_changes(path, a, mods[a]))
            if not decides:
                continue
            groups: dict[tuple, list[str]] = {}
            for label, then in rows:
                key = tuple((a, ms) for a, ms in then if a in decides)
                groups.setdefault(key, []).append(_label_text(self.ps, path, label))
            ranges = self.ps.fact(path).kind in ("count", "timestamp")
            ordered = list(groups.items()) if ranges else sorted(groups.items(), key=lambda kv: len(kv[1]))
            changes = tuple(day_start(label[1][0], self.ps.timezone_minutes) for label, _ in rows[1:]
                            if label[0] == "days" and label[1][0] is not None)
            out.append(Ask(path, decides, tuple((tuple(vs), key) for key, vs in ordered), changes, ranges))
        return sorted(out, key=lambda q: (-len(q.decides), q.fact))

    def alone_changes(self, path: str, action: str, mods: tuple[str | None, ...]) -> bool:
        """Whether two completions that differ only in the enum or bool fact `path` give `action`
        different modalities: one solver call over the decision and a copy of it in which `path`
        is a second fact of the same kind (the other unknowns shared)."""
        twin = f"{path}'"
        parts = []
        for m in mods:
            mine = self.f(self.de.modality_is(action, m))
            parts.append(conj([mine, neg(_renamed(mine, path, twin))]))
        domains = attrs.evolve(self.pin.domains, enums={**self.pin.domains.enums, twin: self.pin.domains.enums[path]}) \
            if path in self.pin.domains.enums else self.pin.domains
        return satisfiable(disj(parts), domains)

    def classes(self, path: str, diffs: list[DiffAtom]) -> list[tuple[Any, Formula, list]]:
        """(label, formula, extra constraints) for each value class of the unknown fact `path`."""
        fact = self.ps.fact(path)
        present: Formula = neg(NullAtom(path)) if fact.nullable else True
        out: list[tuple[Any, Formula, list]] = []
        if fact.kind == "bool":
            out += [(("value", v), conj([present, BoolAtom(path) if v else neg(BoolAtom(path))]), [])
                    for v in (True, False)]
        elif fact.kind == "enum":
            out += [(("value", v), conj([present, EnumAtom(path, frozenset([v]))]), []) for v in fact.values]
        else:
            symbol = path if fact.kind == "count" else f"day:{path}"
            if fact.kind == "timestamp" and self.pin.reference is None:
                return []
            cuts = set()
            for a in diffs:
                for u, v, c in ((a.u, a.v, a.c), (a.v, a.u, -a.c - 1)):
                    for uu, vv, cc in _month_free(u, v, c, self.known.unknown):
                        b = self.pin.bound(uu, vv, cc)
                        if b is not None and b[0] == symbol:
                            cuts.add(b[2] + 1 if b[1] == "<=" else b[2])
            lowest = 0 if fact.kind == "count" else None
            edges = sorted(x for x in cuts if lowest is None or x > lowest)
            starts = [lowest, *edges]
            for i, lo in enumerate(starts):
                hi = edges[i] - 1 if i < len(edges) else None
                if fact.kind == "count":
                    extra = [(path, "0", hi)] if hi is not None else []
                    extra += [("0", path, -lo)] if lo is not None else []
                else:
                    extra = self.pin.day_bounds(path, lo, hi)
                kind = "count" if fact.kind == "count" else "days"
                out.append(((kind, (lo, hi)), present, extra))
        if fact.nullable:
            out.append((("value", None), NullAtom(path), []))
        return out


def _month_free(u: str, v: str, c: int, unknown: tuple[str, ...]) -> list[tuple[str, str, int]]:
    """`u − v <= c` where a side counts the days of some months from an unknown timestamp (its
    length only bounded, PD520): the constraint at the shortest and at the longest length, so
    that the ask list still splits that timestamp's range where the decision can change."""
    for var, sign in ((v, 1), (u, -1)):
        if var.startswith("months:"):
            anchor, n = var[7:].rsplit(":", 1)
            if anchor in unknown:
                other = u if sign == 1 else v
                spans = month_span(int(n))
                return [(other, ZERO, c + s) for s in spans] if sign == 1 else [(ZERO, other, c - s) for s in spans]
    return [(u, v, c)]


def _merge_ranges(rows: list) -> list:
    """Adjacent ranges with the same outcome become one."""
    out: list = []
    for label, then in rows:
        if out and label[0] in ("count", "days") and out[-1][0][0] == label[0] and out[-1][1] == then:
            (kind, (lo, _)), _ = out[-1]
            out[-1] = ((kind, (lo, label[1][1])), then)
        else:
            out.append((label, then))
    return out


def _label_text(ps: ir.PolicySet, path: str, label: Any) -> str:
    kind, value = label
    if kind == "value":
        return "null" if value is None else ("true" if value is True else "false" if value is False else str(value))
    lo, hi = value
    if kind == "count":
        return f"{lo}" if lo == hi else f"{lo}–{hi}" if hi is not None else f"{lo} or more"
    tz = ps.timezone_minutes
    if lo is None and hi is None:
        return "any time"
    if lo is None:
        return f"at or before {day_end(hi, tz)}"
    if hi is None:
        return f"at or after {day_start(lo, tz)}"
    return f"from {day_start(lo, tz)} to {day_end(hi, tz)}"


def _renamed(f: Formula, path: str, twin: str) -> Formula:
    """`f` with the bool, null and enum atoms of fact `path` read from fact `twin` instead."""
    memo: dict[int, Formula] = {}

    def go(node: Formula) -> Formula:
        if node is True or node is False:
            return node
        done = memo.get(id(node))
        if done is not None:
            return done
        if isinstance(node, (And, Or)):
            items = [go(i) for i in node.items]
            out: Formula = (conj(items) if isinstance(node, And) else disj(items))
        elif isinstance(node, Not):
            out = neg(go(node.item))
        elif isinstance(node, BoolAtom) and node.path == path:
            out = BoolAtom(twin)
        elif isinstance(node, NullAtom) and node.path == path:
            out = NullAtom(twin)
        elif isinstance(node, EnumAtom) and node.path == path:
            out = EnumAtom(twin, node.values)
        else:
            out = node
        memo[id(node)] = out
        return out

    return go(f)


def _cube(lits: list[Literal]) -> Formula:
    return conj(atom if value else neg(atom) for atom, value in lits)


def _months_warning() -> Diagnostic:
    return Diagnostic(code="PD520", severity=Severity.WARNING,
                      message="a month or year period counted from an unknown timestamp: the search could not find "
                              "calendar dates for every possible decision; the decisions listed are each replayed, "
                              "others may exist")


def _cut_warning(message: str) -> Diagnostic:
    return Diagnostic(code="PD521", severity=Severity.WARNING, message=f"search cut short: {message}")
