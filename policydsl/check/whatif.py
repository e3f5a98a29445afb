"""What would change it: the smallest changes to complete facts under which an action gets a
modality (or loses it) (docs/semantics.md §7).

Smallest means fewest facts changed. The solver first decides whether any facts at all give the
wanted modality (none: no change can do it). Then it tries the facts the wanted modality reads,
one at a time, then two, …, each time leaving those facts unknown and the others as given
(`policydsl.check.known`); the first size with a solution gives the alternatives (at most
`MAX_ALTERNATIVES`). Within one, a changed timestamp moves to the nearest day that works, in each
direction that works (binary search over days, each step a solver call), and then to that day's
last instant (moving earlier) or first instant (moving later) where the facts allow it; a
changed count moves to the nearest value. Every alternative is replayed through the evaluator.
"""

from __future__ import annotations

import difflib
import itertools
from typing import Any

import attrs

from policydsl import ir
from policydsl.check.encode import US_PER_DAY, Undecidable, tod_var, uses_exact_time
from policydsl.check.known import Known, Pinned, day_end, day_start, flatten
from policydsl.check.logic import (BoolAtom, DiffAtom, EnumAtom, Formula, NullAtom, atoms_of, conj, neg,
                                   satisfiable, simplify)
from policydsl.check.modality import DecisionEncoder, describe
from policydsl.check.witness import decide, witness
from policydsl.compile.runtime import local_day, nest
from policydsl.diagnostics import Diagnostic, PolicyDslError, Severity
from policydsl.evaluate.facts import FactsInputError, validate
from policydsl.gcpause import gc_paused
from policydsl.source import Source

MAX_ALTERNATIVES = 5
MONTH_SLACK = 3  # days a changed timestamp moves further where the calendar's month lengths need it
MAX_SUBSETS = 2000  # sets of facts tried before the search is cut short (PD521)
SPAN_DAYS = 3_700_000
COUNT_REACH = 1_000_000  # how far above its value a changed count is searched  # more than the days between the years 0001 and 9999


@attrs.frozen
class _Step:
    """One changed timestamp (its local day) or count in a plan, or a nullable fact made null
    (`value` None), with the literal it adds to the query."""

    path: str
    timestamp: bool
    direction: int
    value: int | None
    literal: Formula
    tod: int | None = None  # the time of day, µs after local midnight (sets with hour-precise periods)

    @property
    def nearest(self) -> str | None:
        if not self.timestamp:
            return None
        return "latest" if self.direction < 0 else "earliest"

    def constraints(self, pin: Pinned) -> list[tuple[str, str, int]]:
        if self.value is None:
            return []
        if self.timestamp:
            pins = [(tod_var(self.path), "0", self.tod), ("0", tod_var(self.path), -self.tod)] \
                if self.tod is not None else []
            return pin.day_bounds(self.path, self.value, self.value) + pins
        return [(self.path, "0", self.value), ("0", self.path, -self.value)]


@attrs.frozen
class Change:
    fact: str
    before: Any
    after: Any
    nearest: str | None = None  # "latest" (moved earlier) / "earliest" (moved later) for a timestamp


@attrs.frozen
class Alternative:
    changes: tuple[Change, ...]
    decision: tuple[tuple[str, str], ...]  # the replayed decision's actions
    facts: dict[str, Any] = attrs.field(eq=False)


@attrs.frozen
class WhyResult:
    action: str
    modality: str | None
    negate: bool
    current: str | None
    status: str  # "already" | "changed" | "impossible" | "not_found"
    alternatives: tuple[Alternative, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def found(self) -> bool:
        return self.status in ("already", "changed")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (docs/semantics.md §7)."""
        return {"action": self.action, "wanted": {"modality": self.modality, "not": self.negate},
                "current": self.current, "status": self.status,
                "alternatives": [{"changes": [{"fact": c.fact, "from": c.before, "to": c.after,
                                               **({"nearest": c.nearest} if c.nearest else {})} for c in a.changes],
                                  "decision": [{"action": x, "modality": m} for x, m in a.decision],
                                  "facts": a.facts} for a in self.alternatives],
                "diagnostics": [{"code": d.code, "severity": d.severity.value, "message": d.message}
                                for d in self.diagnostics]}

    def to_text(self) -> str:
        wanted = describe(self.modality, self.action)
        if self.negate:
            wanted = f"{self.action} given at all" if self.modality is None else f"not {wanted}"
        lines = [f"now: {describe(self.current, self.action)}; wanted: {wanted}"]
        if self.status == "already":
            lines.append("already so: nothing to change")
        elif self.status == "impossible":
            lines.append("no change of facts gives it")
        elif self.status == "not_found":
            lines.append("no change found within the search's bounds")
        for i, a in enumerate(self.alternatives, 1):
            lines.append(f"{i}. change {len(a.changes)} fact(s):")
            for c in a.changes:
                lines.append(f"     {c.fact}: {_show(c.before)} → {_show(c.after)}{_nearest_text(c)}")
            lines.append(f"   decision: {', '.join(describe(m, x) for x, m in a.decision)}")
        lines += [f"{d.severity.value}[{d.code}]: {d.message}" for d in self.diagnostics]
        return "\n".join(lines)


def _nearest_text(c: Change) -> str:
    if c.nearest == "latest":
        return " (the latest instant that gives it)"
    if c.nearest == "earliest":
        return " (the earliest instant that gives it)"
    return ""


def _show(value: Any) -> str:
    return "null" if value is None else "true" if value is True else "false" if value is False else str(value)


#: The modalities `why` may aim at (None with `negate`: lose the modality the action has now).
MODALITIES = ("must", "should", "may", "must_not", None)


def why(ps: ir.PolicySet, data: Any, action: str, modality: str | None, negate: bool = False,
        source: Source | None = None) -> WhyResult:
    """The smallest changes to `data` (complete facts) under which `action` gets `modality` (with
    `negate`: any other modality). Raises FactsInputError for bad facts, PolicyDslError (PD522) for an
    action the policy set does not declare."""
    names = [a.name for a in ps.actions]
    if action not in names:
        close = difflib.get_close_matches(action, names, n=1)
        raise PolicyDslError([Diagnostic(code="PD522", message=f"unknown action `{action}`",
                                         hint=f"did you mean `{close[0]}`?" if close else
                                         f"actions: {', '.join(names)}")])
    if modality not in MODALITIES:
        raise PolicyDslError([Diagnostic(code="PD522", message=f"unknown modality `{modality}`",
                                         hint="a modality is one of must, should, may, must_not")])
    values = validate(data, ps, source)
    raw = flatten(data)
    now = decide(ps, data).get(action)
    if (now == modality) != negate:
        return WhyResult(action, modality, negate, now, "already", ())
    with gc_paused():
        try:
            return _Search(ps, values, raw, action, modality, negate, now).run()
        except Undecidable as exc:
            return WhyResult(action, modality, negate, now, "not_found", (), (Diagnostic(
                code="PD523", message=f"cannot decide what would change it: {exc.reason}", span=exc.span),))


@attrs.define
class _Search:
    ps: ir.PolicySet
    values: dict[str, Any]
    raw: dict[str, Any]
    action: str
    modality: str | None
    negate: bool
    now: str | None
    target: Formula = attrs.field(init=False)
    diags: list[Diagnostic] = attrs.Factory(list)

    def __attrs_post_init__(self) -> None:
        wanted = DecisionEncoder(self.ps).modality_is(self.action, self.modality)
        self.target = neg(wanted) if self.negate else wanted

    def accept(self, _facts: dict[str, Any], decision: dict[str, str]) -> bool:
        return (decision.get(self.action) == self.modality) != self.negate

    def pinned(self, free: tuple[str, ...]) -> Pinned:
        known = Known({p: v for p, v in self.values.items() if p not in free},
                      {p: v for p, v in self.raw.items() if p not in free}, free)
        return Pinned(self.ps, known)

    def result(self, status: str, alternatives: list[Alternative]) -> WhyResult:
        diags = tuple({(d.code, d.message): d for d in self.diags}.values())  # each warning once
        return WhyResult(self.action, self.modality, self.negate, self.now, status, tuple(alternatives), diags)

    def run(self) -> WhyResult:
        every = tuple(f.path for f in self.ps.facts)
        whole = self.pinned(every)
        if not satisfiable(self.target, whole.domains):
            return self.result("impossible", [])
        candidates = self.relevant()
        tried = 0
        for k in range(1, len(candidates) + 1):
            hits = []
            for subset in itertools.combinations(candidates, k):
                tried += 1
                if tried > MAX_SUBSETS:
                    self.diags.append(Diagnostic(code="PD521", severity=Severity.WARNING, message=(
                        f"search cut short: {MAX_SUBSETS} sets of facts tried; a change of more than {k - 1} "
                        f"fact(s) would be needed")))
                    return self.result("not_found", [])
                pin = self.pinned(subset)
                if satisfiable(simplify(self.target, pin.assignment), pin.domains):
                    hits.append(subset)
            if hits:
                out: list[Alternative] = []
                for subset in hits:
                    out += self.alternatives(subset)
                    if len(out) >= MAX_ALTERNATIVES:
                        break
                if not out:
                    continue
                return self.result("changed", out[:MAX_ALTERNATIVES])
        return self.result("not_found", [])

    def relevant(self) -> list[str]:
        """The facts the wanted modality reads (every timestamp, if it reads one: orderings tie them)."""
        read: set[str] = set()
        for a in atoms_of(self.target):
            if isinstance(a, (BoolAtom, NullAtom, EnumAtom)):
                read.add(a.path)
            elif isinstance(a, DiffAtom):
                for var in (a.u, a.v):
                    if var.startswith(("days:", "tod:", "months:")):
                        read.add(var.split(":")[1])
                        read.add(self.ps.now)
                    elif var != "0":
                        read.add(var)
        if any(self.ps.fact(p).kind == "timestamp" for p in read):
            read |= {f.path for f in self.ps.facts if f.kind == "timestamp"}
        return [f.path for f in self.ps.facts if f.path in read]

    # ---- one set of changed facts -------------------------------------------------------------
    def alternatives(self, subset: tuple[str, ...]) -> list[Alternative]:
        pin = self.pinned(subset)
        target = simplify(self.target, pin.assignment)
        plans: list[list[_Step]] = [[]]
        for path in subset:
            fact = self.ps.fact(path)
            if fact.kind not in ("timestamp", "count") or self.values[path] is None:
                continue
            grown = []
            for plan in plans:
                fixed = [c for step in plan for c in step.constraints(pin)]
                lits = [step.literal for step in plan]
                present = neg(NullAtom(path)) if fact.nullable else True
                for direction in (-1, 1):
                    value = self.nearest(pin, conj([target, *lits, present]), path, direction, fixed)
                    if value is not None:
                        grown.append([*plan, _Step(path, fact.kind == "timestamp", direction, value, present)])
                if fact.nullable and satisfiable(conj([target, *lits, NullAtom(path)]), pin.with_constraints(fixed)):
                    grown.append([*plan, _Step(path, False, 0, None, NullAtom(path))])
            plans = grown or plans
        if uses_exact_time(self.ps):
            plans = [self.times_of_day(pin, target, plan) for plan in plans]
        out = []
        for plan in plans:
            query = conj([target, *(step.literal for step in plan)])
            got = witness(pin, query, self.accept, [c for step in plan for c in step.constraints(pin)])
            for slack in range(1, MONTH_SLACK + 1):  # the calendar's month lengths may need a day or so more
                if got != "months":
                    break
                plan = [attrs.evolve(step, value=step.value + step.direction * slack) if step.timestamp else step
                        for step in plan]
                got = witness(pin, query, self.accept, [c for step in plan for c in step.constraints(pin)])
            if got is None or got == "months":
                if got == "months":
                    self.diags.append(_months_warning())
                continue
            facts, _ = got
            for step in plan:
                facts = self.snap(facts, step.path, step.nearest)
            decision = decide(self.ps, facts)
            assert self.accept(facts, decision), f"a `why` answer does not replay in the evaluator: {facts}"
            changed = flatten(facts)
            changes = tuple(Change(p, self.raw.get(p), changed.get(p),
                                   next((step.nearest for step in plan if step.path == p), None))
                            for p in subset if changed.get(p) != self.raw.get(p))
            alt = Alternative(changes, tuple(sorted(decision.items(), key=lambda kv: self._order(kv[0]))), facts)
            if alt not in out:
                out.append(alt)
        return out

    def _order(self, action: str) -> int:
        return [a.name for a in self.ps.actions].index(action)

    def nearest(self, pin: Pinned, target: Formula, path: str, direction: int, fixed: list) -> int | None:
        """The nearest value of `path` (a timestamp's local day, or a count) in `direction` (−1
        earlier/lower, +1 later/higher) at which `target` can hold; None if there is none."""
        timestamp = self.ps.fact(path).kind == "timestamp"
        if timestamp and pin.reference is None:
            return None
        origin = local_day(self.values[path], self.ps.timezone_minutes) if timestamp else self.values[path]

        def within(d: int) -> list:
            lo, hi = (origin - d, origin - 1) if direction < 0 else (origin + 1, origin + d)
            if timestamp:
                return pin.day_bounds(path, lo, hi)
            return [(path, "0", hi), ("0", path, -max(lo, 0))]

        def ok(d: int) -> bool:
            return satisfiable(target, pin.with_constraints([*fixed, *within(d)]))

        top = SPAN_DAYS if timestamp else origin if direction < 0 else COUNT_REACH
        if top < 1 or not ok(top):
            return None
        lo, hi = 1, top
        while lo < hi:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid + 1
        return origin + direction * lo

    def times_of_day(self, pin: Pinned, target: Formula, plan: list[_Step]) -> list[_Step]:
        """For hour-precise sets: each changed timestamp's time of day on its day, the latest (moved
        earlier) or earliest (moved later) that still gives the wanted modality (binary search, µs)."""
        out = list(plan)
        for i, step in enumerate(out):
            if not step.timestamp or step.value is None:
                continue
            query = conj([target, *(s.literal for s in out)])
            fixed = [c for s in out for c in s.constraints(pin)]
            var = tod_var(step.path)

            def ok(t: int) -> bool:  # a time of day at or after t (latest) / at or before t (earliest) works
                bound = ("0", var, -t) if step.direction < 0 else (var, "0", t)
                return satisfiable(query, pin.with_constraints([*fixed, bound]))

            lo, hi = 0, US_PER_DAY - 1
            if step.direction < 0:  # the largest t with ok(t)
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
            else:  # the smallest t with ok(t)
                while lo < hi:
                    mid = (lo + hi) // 2
                    lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
            out[i] = attrs.evolve(step, tod=lo)
        return out

    def snap(self, facts: dict[str, Any], path: str, nearest: str | None) -> dict[str, Any]:
        """Move a changed timestamp to the last (or first) instant of its day, where valid and still wanted."""
        if nearest is None:
            return facts
        flat = flatten(facts)
        day = local_day(validate(facts, self.ps)[path], self.ps.timezone_minutes)
        tz = self.ps.timezone_minutes
        flat[path] = day_end(day, tz) if nearest == "latest" else day_start(day, tz)
        moved = nest(flat)
        try:
            if self.accept(moved, decide(self.ps, moved)):
                return moved
        except FactsInputError:
            pass
        return facts


def _months_warning() -> Diagnostic:
    return Diagnostic(code="PD520", severity=Severity.WARNING, message=(
        "a month or year period counts from a changed timestamp: for one set of changed facts no calendar dates "
        "near the nearest day were found that give the month lengths needed; that alternative is left out"))


__all__ = ["Alternative", "Change", "WhyResult", "why"]
