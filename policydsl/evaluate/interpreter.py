"""The reference evaluator: interprets the IR of a policy set on validated facts.

Semantics (README, "Evaluation"):
1. Periods: a calendar period of N days is open while the local date of `now`
   is at most the local date of its anchor plus N; an exact period while
   `now <= anchor + length`. A null anchor means the period has not started
   (the request is inside it); a null length fact or a false guard means the
   period does not apply. `most favourable of` takes the latest deadline.
2. Rules fire when their condition holds. A fired rule suppresses the rules it
   `overrides`. Among the remaining rules, each action takes the modality most
   favourable to the buyer (ties keep every rule's cites).
3. G3: for a merchant set, wherever the merchant's effective modality for an
   action (remedy subsumption counted) is less favourable than the baseline's,
   the baseline entry applies and the void merchant rule is reported.

The compiled engine (policydsl.compile.codegen) must agree with this module exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from policydsl import ir
from policydsl.ir import g3
from policydsl.evaluate.decision import ActionEntry, Conflict, Decision, EscalationEntry, Extension, Override, PeriodEntry
from policydsl.compile.runtime import (US_PER_DAY, US_PER_HOUR, end_of_local_day, local_day, month_deadline, stamp,
                                       trace_fired, trace_gives, trace_scenario, trace_suppressed, why_after_window,
                                       why_all_used, why_available, why_condition_not_met)


@attrs.frozen
class PeriodState:
    applies: bool
    started: bool
    deadline: int | None  # last microsecond inside
    within: bool
    expired: bool
    length: int
    unit: str


NOT_APPLICABLE = PeriodState(False, False, None, False, False, 0, "days")


@attrs.frozen
class Outcome:
    """Everything one policy set concludes from one set of facts, before G3."""

    scenarios: tuple[str, ...]
    fired: tuple[ir.Rule, ...]
    suppressed: dict[str, tuple[str, ...]]  # rule name -> the fired rules that override it, in set order
    chosen: dict[str, tuple[str, tuple[ir.Rule, ...]]]  # action -> (modality, rules giving it)
    periods: dict[str, PeriodState]
    run: "_Run"


class _Run:
    """One evaluation: facts plus memoised period states."""

    def __init__(self, ps: ir.PolicySet, facts: Mapping[str, Any]) -> None:
        self.ps = ps
        self.facts = facts
        self.tz = ps.timezone_minutes
        self.now = facts[ps.now]
        self.states: dict[str, PeriodState] = {}
        self.capabilities: dict[str, Extension] = {}

    def term(self, t: ir.IntTerm) -> int | None:
        if isinstance(t, ir.Const):
            return t.value
        if isinstance(t, ir.FactInt):
            return self.facts[t.path]
        if not isinstance(t, ir.ParamInt):
            raise AssertionError(f"the interpreter has no case for the term {type(t).__name__}")
        param = self.ps.param(t.name)
        return param.value_for(self.facts[param.per] if param.per else None)

    def cond(self, c: ir.Cond) -> bool:
        kind = type(c)
        if kind is ir.And:
            return all(self.cond(i) for i in c.items)
        if kind is ir.Or:
            return any(self.cond(i) for i in c.items)
        if kind is ir.NotCond:
            return not self.cond(c.item)
        if kind is ir.BoolFact:
            return self.facts[c.path] is True
        if kind is ir.EnumIn:
            return self.facts[c.path] in c.values
        if kind is ir.IsNull:
            return self.facts[c.path] is None
        if kind is ir.Compare:
            left, right = self.term(c.left), self.term(c.right)
            return left is not None and right is not None and compare(left, c.op, right)
        if kind is ir.Within:
            return self.period(c.period).within
        if kind is ir.Expired:
            return self.period(c.period).expired
        if kind is ir.Available:
            return self.capability(c.capability).eligible
        if kind is ir.TrueCond:
            return True
        if kind is ir.FalseCond:
            return False
        raise AssertionError(f"evaluator has no case for {kind.__name__}")

    def capability(self, name: str) -> Extension:
        """Whether the capability can be used for this request, how many uses remain, and why."""
        state = self.capabilities.get(name)
        if state is None:
            state = self.capabilities[name] = capability_state(self.ps, self.ps.capability(name), self)
        return state

    def period(self, name: str) -> PeriodState:
        state = self.states.get(name)
        if state is None:
            state = self.states[name] = self.compute_period(self.ps.period(name))
        return state

    def compute_period(self, p: ir.Period) -> PeriodState:
        if isinstance(p, ir.BestPeriod):
            members = [self.period(m) for m in p.members]
            applicable = [m for m in members if m.applies]
            if not applicable:
                return NOT_APPLICABLE
            best = max(applicable, key=lambda m: (not m.started, m.deadline or 0))
            if not best.started:
                return PeriodState(True, False, None, True, False, best.length, best.unit)
            return PeriodState(True, True, best.deadline, best.within, not best.within, best.length, best.unit)
        if not self.cond(p.guard):
            return NOT_APPLICABLE
        length = self.term(p.length)
        unit = p.unit
        if length is None:
            return NOT_APPLICABLE
        anchor = self.facts[p.anchor]
        if anchor is None:
            return PeriodState(True, False, None, True, False, length, unit)
        if isinstance(p, ir.CalendarPeriod) and p.unit == "months":
            deadline = month_deadline(anchor, length, self.tz)
        elif isinstance(p, ir.CalendarPeriod):
            deadline = end_of_local_day(local_day(anchor, self.tz) + length, self.tz)
        else:
            deadline = anchor + length * (US_PER_HOUR if unit == "hours" else US_PER_DAY)
        within = self.now <= deadline
        return PeriodState(True, True, deadline, within, not within, length, unit)


def compare(left: int, op: str, right: int) -> bool:
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == ">=":
        return left >= right
    return left > right


def outcome(ps: ir.PolicySet, facts: Mapping[str, Any]) -> Outcome:
    """Fire the rules of one policy set (no G3)."""
    run = _Run(ps, facts)
    scenarios = tuple(s.clause for s in ps.scenarios if run.cond(s.condition))
    fired = tuple(r for r in ps.rules if run.cond(r.condition))
    suppressed: dict[str, tuple[str, ...]] = {}
    for r in fired:
        for victim in r.overrides:
            suppressed[victim] = suppressed.get(victim, ()) + (r.name,)
    chosen: dict[str, tuple[str, tuple[ir.Rule, ...]]] = {}
    for r in fired:
        if r.name in suppressed:
            continue
        for e in r.effects:
            polarity = ps.action(e.action).polarity
            current = chosen.get(e.action)
            rank = ir.modality_rank(polarity, e.modality)
            if current is None or rank > ir.modality_rank(polarity, current[0]):
                chosen[e.action] = (e.modality, (r,))
            elif rank == ir.modality_rank(polarity, current[0]):
                chosen[e.action] = (current[0], current[1] + (r,))
    for p in ps.periods:
        run.period(p.name)
    return Outcome(scenarios, fired, suppressed, chosen, dict(run.states), run)


def effective_rank(ps: ir.PolicySet, chosen: Mapping[str, tuple[str, Any]], action: str) -> int:
    """How favourable the decision is on `action`, counting stronger remedies that cover it (G3)."""
    return g3.effective_rank(ps, lambda a: chosen[a][0] if a in chosen else None, action)


def evaluate(ps: ir.PolicySet, facts: Mapping[str, Any], *, enforce_baseline: bool = True) -> Decision:
    """Decide one request. `facts` must come from `policydsl.evaluate.facts.validate`."""
    mine = outcome(ps, facts)
    chosen = dict(mine.chosen)
    overridden: list[Override] = []
    if ps.baseline is not None and enforce_baseline:
        base = outcome(ps.baseline, facts)
        for action in ps.actions:
            name = action.name
            floor = effective_rank(ps.baseline, base.chosen, name)
            if effective_rank(ps, mine.chosen, name) >= floor:
                continue
            base_entry = base.chosen.get(name)
            if not g3.restores_own_entry(ir.modality_rank(action.polarity, base_entry[0] if base_entry else None),
                                         floor):
                continue  # the baseline grants a stronger remedy covering it; that one is restored

            clause = cites_of(base_entry[1]) if base_entry else ()
            culprits = void_merchant_rules(ps, mine, base, name)
            overridden.append(Override(rule=", ".join(culprits) or "merchant policy", clause=clause, action=name,
                                       merchant=mine.chosen[name][0] if name in mine.chosen else None,
                                       baseline=base_entry[0] if base_entry else None))
            if base_entry is None:
                chosen.pop(name, None)
            else:
                chosen[name] = base_entry
    actions = tuple(ActionEntry(a.name, chosen[a.name][0], cites_of(chosen[a.name][1]), chosen[a.name][1][0].source)
                    for a in ps.actions if a.name in chosen)
    extension = mine.run.capability(ps.capabilities[0].name) if ps.capabilities else None
    return Decision(scenario=mine.scenarios, actions=actions, periods=_periods(ps, mine), extension=extension,
                    overridden=tuple(overridden), trace=_trace(ps, mine, facts),
                    conflicts=_conflicts(ps, actions, mine.run), escalation=_escalation(ps, mine.run))


def _conflicts(ps: ir.PolicySet, actions: tuple[ActionEntry, ...], run: _Run) -> tuple[Conflict, ...]:
    """Duties the platform cannot carry out: `must A` where A needs a capability that is unavailable."""
    out = []
    for entry in actions:
        needs = ps.action(entry.action).needs
        if entry.modality == "must" and needs is not None:
            state = run.capability(needs)
            if not state.eligible:
                out.append(Conflict(entry.action, entry.modality, needs, state.why, ps.capability(needs).cites))
    return tuple(out)


def _escalation(ps: ir.PolicySet, run: _Run) -> EscalationEntry | None:
    esc = ps.escalation
    if esc is None or not run.cond(esc.condition):
        return None
    return EscalationEntry(esc.rulings, esc.cites)


def cites_of(rules: tuple[ir.Rule, ...]) -> tuple[str, ...]:
    """The clauses the rules cite, first seen first (a decision entry's `cites`)."""
    out: list[str] = []
    for r in rules:
        out.extend(c for c in r.cites if c not in out)
    return tuple(out)


def void_merchant_rules(ps: ir.PolicySet, mine: Outcome, base: Outcome, action: str) -> list[str]:
    """Why `action` is less favourable in the merchant set than in the baseline, as names (G3's
    order of blame, `policydsl.ir.g3`): merchant rules that replaced, or fired and overrode, a
    fired baseline rule giving `action` or a covering remedy; else merchant rules that gave
    `action` the harsher modality themselves; else the merchant's settings and periods."""
    assert ps.baseline is not None
    base_fired = {r.name for r in base.fired}
    mine_fired = {r.name for r in mine.fired}
    names: set[str] = set()
    for v in g3.victims(ps, action):
        if v.rule in base_fired:
            names |= {o for o in v.overridden_by if o in mine_fired}
            if v.replaced_by is not None:
                names.add(v.replaced_by)
    if not names and action in mine.chosen:
        floor = effective_rank(ps.baseline, base.chosen, action)
        modality, givers = mine.chosen[action]
        if ir.modality_rank(ps.action(action).polarity, modality) < floor:
            names = {r.name for r in givers if r.source == ir.MERCHANT}
    if names:
        return sorted(names)
    return g3.settings_blamed(ps)


def _periods(ps: ir.PolicySet, o: Outcome) -> tuple[PeriodEntry, ...]:
    out = []
    for p in ps.periods:
        st = o.periods[p.name]
        if not st.applies:
            continue
        deadline = stamp(st.deadline, ps.timezone_minutes) if st.deadline is not None else None
        out.append(PeriodEntry(p.name, st.length, st.unit, deadline, st.expired, p.source))
    return tuple(out)


def window_end(ps: ir.PolicySet, cap: ir.Capability, anchor: int) -> int:
    """The last microsecond of the capability's window after `anchor`."""
    if cap.within_unit == "months":
        return month_deadline(anchor, cap.within, ps.timezone_minutes)
    return anchor + cap.within * US_PER_HOUR


def capability_state(ps: ir.PolicySet, cap: ir.Capability, run: _Run) -> Extension:
    """Eligible, uses remaining, and why: the first failing check (condition false, none
    remaining, request after the window) or the uses left and the window's end."""
    facts = run.facts
    used = facts[cap.counted_by] if cap.counted_by else 0
    remaining = max(0, cap.max_times - used)
    anchor = facts[cap.anchor]
    limit = window_end(ps, cap, anchor) if anchor is not None else None
    cite = f" ({', '.join(cap.cites)})" if cap.cites else ""
    if not run.cond(cap.when):
        return Extension(False, remaining, why_condition_not_met(cite))
    if remaining == 0:
        return Extension(False, 0, why_all_used(cap.max_times, cite))
    if limit is None or facts[ps.now] > limit:
        until = stamp(limit, ps.timezone_minutes) if limit is not None else "an unknown time"
        return Extension(False, remaining, why_after_window(until, cite))
    return Extension(True, remaining, why_available(remaining, cap.max_times, cap.each_days,
                                                    stamp(limit, ps.timezone_minutes), cite))


def _trace(ps: ir.PolicySet, o: Outcome, facts: Mapping[str, Any]) -> tuple[str, ...]:
    lines = [trace_scenario(s) for s in o.scenarios]
    for r in o.fired:
        read = ", ".join(f"{p}={_show(facts[p], ps, p)}" for p in r.reads)
        status = (trace_suppressed(", ".join(o.suppressed[r.name])) if r.name in o.suppressed
                  else trace_gives(tuple((e.modality, e.action) for e in r.effects)))
        lines.append(trace_fired(r.source, r.name) + read + status)
    return tuple(lines)


def _show(value: Any, ps: ir.PolicySet, path: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if ps.fact(path).kind == "timestamp":
        return stamp(value, ps.timezone_minutes)
    return str(value)
