"""IR → logic formulas: what a policy set decides, as formulas over the facts.

Integer variables:
  `days:<anchor>`         local day of `now` minus local day of the anchor timestamp
  `<count fact>`          the value of a count fact
  `months:<anchor>:<n>`   the days from the anchor's local date to the date n calendar
                          months later (Civil Code); bounded by the least and greatest
                          such length over the 400-year Gregorian cycle (`month_span`)
  `tod:<timestamp fact>`  the local time of day of a timestamp, in µs (0 … one day − 1);
                          only for sets with exact (hour-precise) periods or windows
Calendar periods compare a `days:` variable with their length (or with a `months:`
variable), so the whole fragment is difference logic. An exact period of L µs is too:
with D the days between the anchor's and `now`'s local dates and T the difference of their
times of day (−1 day < T < 1 day), `now − anchor ≤ L` holds exactly when D ≤ q − 1, or
D = q and T ≤ r, or D = q + 1 and T ≤ r − 1 day, where L = q days + r. A model's `months:`
values are realised by choosing the dates (`policydsl.check.counterexample`); where no
dates realise them the checker says it cannot decide. The one construct outside the
fragment is an exact period (or a month period) whose length is read from a fact:
encoding one raises `Undecidable`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import attrs

from policydsl import ir
from policydsl.ir import g3
from policydsl.check.logic import (ZERO, BoolAtom, Domains, EnumAtom, Formula, NullAtom, conj, diff, disj, neg)
from policydsl.compile.runtime import add_months, writable_range
from policydsl.source import Span


class Undecidable(Exception):
    """The policy uses a construct outside the decidable fragment."""

    def __init__(self, reason: str, span: Span | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.span = span


# Counterexamples place timestamps at these local hours (by their `require` order) where they fit.
FIRST_HOUR, HOUR_STEP = 9, 3
_US_PER_MINUTE = 60_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _local_day_bounds(ps: ir.PolicySet, day: dt.date) -> tuple[int, int, int]:
    """(local midnight, first writable instant, last writable instant) of a local date, in µs."""
    lo, hi = writable_range(ps.timezone_minutes)
    tz = dt.timezone(dt.timedelta(minutes=ps.timezone_minutes))
    midnight = (dt.datetime(day.year, day.month, day.day, tzinfo=tz) - _EPOCH) // dt.timedelta(microseconds=1)
    return midnight, max(lo, midnight), min(hi, midnight + 24 * 60 * _US_PER_MINUTE - 1)


def usable_days(ps: ir.PolicySet) -> tuple[dt.date, dt.date]:
    """The first and last local dates holding instants that facts may hold (years 0001–9999,
    docs/semantics.md §1). Every date between them has a whole day of them; these two may have only part
    of one (down to one minute at offsets near ±24:00), where `timestamp_on` fits the
    timestamps in."""
    lo, hi = writable_range(ps.timezone_minutes)
    tz = dt.timezone(dt.timedelta(minutes=ps.timezone_minutes))
    return ((_EPOCH + dt.timedelta(microseconds=lo)).astimezone(tz).date(),
            (_EPOCH + dt.timedelta(microseconds=hi)).astimezone(tz).date())


def timestamp_on(ps: ir.PolicySet, day: dt.date, rank: int, ranks: int) -> dt.datetime:
    """The instant a counterexample gives a timestamp of `rank` (0 … ranks-1, by `require` order)
    on local `day`: 09:00, 12:00, 15:00 … where all ranks fit in the day's writable instants,
    else spread evenly over them (in whole minutes, or finer where less than a minute per rank
    is left). Same-day timestamps keep their order."""
    midnight, first, last = _local_day_bounds(ps, day)
    hour = 60 * _US_PER_MINUTE
    preferred = [midnight + (FIRST_HOUR + HOUR_STEP * r) * hour for r in range(ranks)]
    if first <= preferred[0] and preferred[-1] <= last:
        at = preferred[rank]
    else:
        start = midnight + -(-(first - midnight) // _US_PER_MINUTE) * _US_PER_MINUTE  # the next whole minute
        step = (last - start) // max(1, ranks - 1)
        step = step - step % _US_PER_MINUTE if step >= _US_PER_MINUTE else max(1, step)
        at = start + rank * step
    tz = dt.timezone(dt.timedelta(minutes=ps.timezone_minutes))
    return (_EPOCH + dt.timedelta(microseconds=at)).astimezone(tz)


def at_time_of_day(ps: ir.PolicySet, day: dt.date, tod_us: int) -> dt.datetime:
    """The instant `tod_us` µs after local midnight of `day` (kept within the writable instants)."""
    midnight, first, last = _local_day_bounds(ps, day)
    tz = dt.timezone(dt.timedelta(minutes=ps.timezone_minutes))
    return (_EPOCH + dt.timedelta(microseconds=min(max(midnight + tod_us, first), last))).astimezone(tz)


def days_var(anchor: str) -> str:
    return f"days:{anchor}"


def tod_var(path: str) -> str:
    return f"tod:{path}"


US_PER_DAY = 86_400_000_000


def uses_exact_time(ps: ir.PolicySet) -> bool:
    """Whether the set (or its baseline) has an exact period or an hour-precise capability window,
    so that the times of day of its timestamps matter to the checker."""
    sets = (ps, ps.baseline) if ps.baseline is not None else (ps,)
    return any(isinstance(p, ir.ExactPeriod) for s in sets for p in s.periods) or \
        any(c.within_unit == "hours" for s in sets for c in s.capabilities)


def months_var(anchor: str, months: int) -> str:
    return f"months:{anchor}:{months}"


GREGORIAN_CYCLE_DAYS = 146097  # the calendar repeats every 400 years


@functools.cache
def month_span(months: int) -> tuple[int, int]:
    """The least and greatest number of days from a date to the date `months` months later
    (the month's last day where there is none), over every date of the Gregorian cycle."""
    lengths = {add_months(day, months) - day for day in range(GREGORIAN_CYCLE_DAYS)}
    return min(lengths), max(lengths)


def month_lengths(ps: ir.PolicySet) -> set[tuple[str, int]]:
    """Every (anchor, months) a calendar-month period or capability window of the set (or its
    baseline) can count; a month length read from a fact is outside the fragment."""
    out: set[tuple[str, int]] = set()
    for s in (ps, ps.baseline) if ps.baseline is not None else (ps,):
        for p in s.periods:
            if isinstance(p, ir.CalendarPeriod) and p.unit == "months" and p.anchor != s.now:
                for n in _term_values(s, p.length):
                    out.add((p.anchor, n))
        for c in s.capabilities:
            if c.within_unit == "months" and c.anchor != s.now:
                out.add((c.anchor, c.within))
    return out


def _term_values(ps: ir.PolicySet, t: ir.IntTerm) -> list[int]:
    if isinstance(t, ir.Const):
        return [t.value]
    if isinstance(t, ir.ParamInt):
        param = ps.param(t.name)
        return [param.value, *(v for _, v in param.by_value)]
    return []


@attrs.define
class Encoder:
    """Encodes the conditions, periods and decisions of one policy set."""

    ps: ir.PolicySet
    _periods: dict[tuple[str, str], Formula] = attrs.Factory(dict)
    _rules: dict[str, Formula] = attrs.Factory(dict)
    _givers: dict[str, list[tuple[ir.Rule, str]]] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        # Indexed once, in set order, so `givers` costs no scan of every rule.
        for r in self.ps.rules:
            for e in r.effects:
                self._givers.setdefault(e.action, []).append((r, e.modality))

    # ---- conditions ---------------------------------------------------------------------
    def cond(self, c: ir.Cond) -> Formula:
        kind = type(c)
        if kind is ir.TrueCond:
            return True
        if kind is ir.FalseCond:
            return False
        if kind is ir.And:
            return conj(self.cond(i) for i in c.items)
        if kind is ir.Or:
            return disj(self.cond(i) for i in c.items)
        if kind is ir.NotCond:
            return neg(self.cond(c.item))
        if kind is ir.BoolFact:
            return self.present(c.path, BoolAtom(c.path))
        if kind is ir.EnumIn:
            return self.present(c.path, EnumAtom(c.path, frozenset(c.values)))
        if kind is ir.IsNull:
            return NullAtom(c.path)
        if kind is ir.Compare:
            return self.compare(c.left, c.op, c.right)
        if kind is ir.Within:
            return self.period(c.period, "within")
        if kind is ir.Expired:
            return self.period(c.period, "expired")
        if kind is ir.Available:
            return self.available(c.capability)
        raise AssertionError(f"checker has no encoding for {kind.__name__}")

    def present(self, path: str, atom: Formula) -> Formula:
        """`atom`, guarded by 'not null' for nullable facts (null makes every test on it false)."""
        return conj([neg(NullAtom(path)), atom]) if self.ps.fact(path).nullable else atom

    def term_cases(self, t: ir.IntTerm) -> list[tuple[Formula, str | int]]:
        """(guard, variable name or constant) alternatives for an integer term."""
        if isinstance(t, ir.Const):
            return [(True, t.value)]
        if isinstance(t, ir.FactInt):
            return [(self.present(t.path, True), t.path)]
        if not isinstance(t, ir.ParamInt):
            raise AssertionError(f"the encoder has no case for the term {type(t).__name__}")
        param = self.ps.param(t.name)
        if param.per is None or not param.by_value:
            return [(True, param.value)]
        per = self.ps.fact(param.per)
        by_result: dict[int, list[str]] = {}
        for v in per.values:
            by_result.setdefault(param.value_for(v), []).append(v)
        cases = []
        for n, vs in by_result.items():
            guard = self.present(param.per, EnumAtom(param.per, frozenset(vs)))
            if per.nullable and n == param.value:  # a null key takes the general value
                guard = disj([guard, NullAtom(param.per)])
            cases.append((guard, n))
        if per.nullable and param.value not in by_result:
            cases.append((NullAtom(param.per), param.value))
        return cases

    def compare(self, left: ir.IntTerm, op: str, right: ir.IntTerm) -> Formula:
        alternatives = []
        for lg, lv in self.term_cases(left):
            for rg, rv in self.term_cases(right):
                alternatives.append(conj([lg, rg, relation(lv, op, rv)]))
        return disj(alternatives)

    # ---- periods ------------------------------------------------------------------------
    def period(self, name: str, what: str) -> Formula:
        key = (name, what)
        if key not in self._periods:
            self._periods[key] = self._period(self.ps.period(name), what)
        return self._periods[key]

    def applies(self, p: ir.Period) -> Formula:
        if isinstance(p, ir.BestPeriod):
            return disj(self.applies(self.ps.period(m)) for m in p.members)
        length_known = conj(g for g, _ in self.term_cases(p.length)) if isinstance(p.length, ir.FactInt) else True
        return conj([self.cond(p.guard), length_known])

    def _period(self, p: ir.Period, what: str) -> Formula:
        if isinstance(p, ir.BestPeriod):
            within = disj(self.period(m, "within") for m in p.members)
            return within if what == "within" else conj([self.applies(p), neg(within)])
        if isinstance(p, ir.ExactPeriod) and isinstance(p.length, ir.FactInt):
            raise Undecidable(f"period `{p.name}` is hour-precise with a length read from a fact; the checker "
                              f"decides exact periods of a fixed length", p.span)
        anchor_null = NullAtom(p.anchor) if self.ps.fact(p.anchor).nullable else False
        days = 0 if p.anchor == self.ps.now else days_var(p.anchor)  # counted from `now` itself: day 0
        if isinstance(p, ir.ExactPeriod):
            unit = US_PER_DAY if p.unit == "days" else US_PER_DAY // 24
            inside = disj(conj([guard, self.within_exact(p.anchor, length * unit)])
                          for guard, length in self.term_cases(p.length))
        elif p.unit == "months":
            if isinstance(p.length, ir.FactInt):
                raise Undecidable(f"period `{p.name}` reads its length in months from a fact; the checker "
                                  f"decides month periods of a fixed length", p.span)
            inside = disj(conj([guard, self.within_months(p.anchor, length)])
                          for guard, length in self.term_cases(p.length))
        else:
            inside = disj(conj([guard, relation(days, "<=", length)])
                          for guard, length in self.term_cases(p.length))
        applies = self.applies(p)
        if what == "within":
            return conj([applies, disj([anchor_null, conj([neg(anchor_null), inside])])])
        return conj([applies, neg(anchor_null), neg(inside)])

    def within_months(self, anchor: str, months: str | int) -> Formula:
        """`now` falls on or before the date `months` calendar months after the anchor's date."""
        if anchor == self.ps.now:
            return True  # day 0 is inside any period of a month or more
        assert isinstance(months, int)
        return relation(days_var(anchor), "<=", months_var(anchor, months))

    def within_exact(self, anchor: str, length_us: int) -> Formula:
        """`now` is at most `length_us` µs after the anchor (both timestamps, to the µs)."""
        if anchor == self.ps.now:
            return length_us >= 0
        q, r = divmod(length_us, US_PER_DAY)
        days, t_now, t_anchor = days_var(anchor), tod_var(self.ps.now), tod_var(anchor)
        return disj([relation(days, "<=", q - 1),
                     conj([relation(days, "==", q), diff(t_now, t_anchor, r)]),
                     conj([relation(days, "==", q + 1), diff(t_now, t_anchor, r - US_PER_DAY)])])

    def available(self, name: str) -> Formula:
        """The capability can be used: its condition holds, a use remains, and `now` is in its window."""
        cap = self.ps.capability(name)
        remaining = relation(cap.counted_by, "<", cap.max_times) if cap.counted_by else cap.max_times > 0
        window = (self.within_months(cap.anchor, cap.within) if cap.within_unit == "months"
                  else self.within_exact(cap.anchor, cap.within * (US_PER_DAY // 24)))
        return conj([self.cond(cap.when), remaining, window])

    # ---- decisions ------------------------------------------------------------------------
    def active(self, rule: ir.Rule) -> Formula:
        """The rule fired and no fired rule overrides it."""
        if rule.name not in self._rules:
            overriders = self.ps.overriders(rule.name)
            self._rules[rule.name] = conj([self.cond(rule.condition),
                                           neg(disj(self.cond(o.condition) for o in overriders))])
        return self._rules[rule.name]

    def givers(self, action: str) -> list[tuple[ir.Rule, str]]:
        """The rules giving `action`, each with its modality, in set order."""
        return self._givers.get(action, [])

    def rank_at_least(self, action: str, k: int, *, present_only: bool = False) -> Formula:
        """The decision's modality for `action` ranks ≥ k (present_only: and the action is given)."""
        polarity = self.ps.action(action).polarity
        givers = self.givers(action)
        strong = disj(self.active(r) for r, m in givers if ir.modality_rank(polarity, m) >= k)
        if present_only or ir.modality_rank(polarity, None) < k:
            return strong
        return disj([strong, neg(disj(self.active(r) for r, _ in givers))])

    def effective_at_least(self, action: str, k: int) -> Formula:
        """The effective rank (stronger remedies counted, as in the evaluator's G3 test) is ≥ k."""
        parts = [self.rank_at_least(action, k)]
        parts += [self.rank_at_least(c, k, present_only=True) for c in g3.counted_with(self.ps, action) if c != action]
        return disj(parts)


def relation(left: str | int, op: str, right: str | int) -> Formula:
    """left op right over integer variables (str) and constants (int), as difference atoms."""
    if isinstance(left, int) and isinstance(right, int):
        return {"<": left < right, "<=": left <= right, "==": left == right, "!=": left != right,
                ">=": left >= right, ">": left > right}[op]
    u, cu = (ZERO, left) if isinstance(left, int) else (left, 0)
    v, cv = (ZERO, right) if isinstance(right, int) else (right, 0)
    # u + cu  op  v + cv   ⇔   u - v  op  cv - cu
    c = cv - cu
    le = diff(u, v, c)
    ge = diff(v, u, -c)
    if op == "<=":
        return le
    if op == "<":
        return diff(u, v, c - 1)
    if op == ">=":
        return ge
    if op == ">":
        return diff(v, u, -c - 1)
    if op == "==":
        return conj([le, ge])
    return neg(conj([le, ge]))


def domains_for(ps: ir.PolicySet) -> Domains:
    """Enum domains, non-negative counts, and the `require` orderings as day constraints."""
    enums = {f.path: f.values for f in ps.facts if f.kind == "enum"}
    base: list[tuple[str, str, int]] = [(ZERO, f.path, 0) for f in ps.facts if f.kind == "count"]
    soft: list[tuple[str, str, int]] = []

    def days(path: str) -> str | None:
        return None if path == ps.now else days_var(path)

    for o in ps.orderings:
        # left <= right (instants)  ⇒  local_day(left) <= local_day(right)  ⇔  days(right) <= days(left)
        left, right = days(o.left), days(o.right)
        base.append((right or ZERO, left or ZERO, 0))
        soft.append((right or ZERO, left or ZERO, -2))  # prefer a couple of days between them
    anchors = [days_var(f.path) for f in ps.facts if f.kind == "timestamp" and f.path != ps.now]
    for var in anchors:
        soft.insert(0, (ZERO, var, 0))  # prefer anchors before the request
        soft.append((ZERO, var, 60))  # and, when one must come after it, not far after
    # Timestamps are instants of the years 0001–9999 (docs/semantics.md §1): no two of their local days are
    # further apart than the usable dates allow (else a model could need days no facts have).
    first, last = usable_days(ps)
    for u in (ZERO, *anchors):
        base += [(u, v, (last - first).days) for v in (ZERO, *anchors) if v != u]
    axioms: Formula = True
    if uses_exact_time(ps):
        stamps = [f.path for f in ps.facts if f.kind == "timestamp"]
        for path in stamps:  # a time of day is within its day; counterexamples prefer office hours
            base += [(ZERO, tod_var(path), 0), (tod_var(path), ZERO, US_PER_DAY - 1)]
            soft.insert(0, (ZERO, tod_var(path), -FIRST_HOUR * US_PER_DAY // 24))
        orders = []
        for o in ps.orderings:  # left before right to the µs: an earlier day, or the same day and time
            left, right = days(o.left) or ZERO, days(o.right) or ZERO
            same_day = conj([diff(left, right, 0), diff(right, left, 0)])
            in_time = diff(tod_var(o.left), tod_var(o.right), 0 if o.op == "<=" else -1)
            orders.append(disj([diff(right, left, -1), conj([same_day, in_time])]))
        axioms = conj(orders)
    # A calendar-month length lies between the shortest and the longest it can be.
    for anchor, months in sorted(month_lengths(ps)):
        least, most = month_span(months)
        var = months_var(anchor, months)
        base += [(var, ZERO, most), (ZERO, var, -least)]
    return Domains(enums=enums, base_constraints=tuple(base), soft_constraints=tuple(soft), axioms=axioms)


def fact_paths(atoms: Iterable[object]) -> set[str]:
    return {getattr(a, "path") for a in atoms if hasattr(a, "path")}
