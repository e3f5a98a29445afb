"""Models → concrete facts: a complete facts JSON (docs/semantics.md §1) that reproduces a violation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from policydsl import ir
from policydsl.check.encode import (GREGORIAN_CYCLE_DAYS, Undecidable, at_time_of_day, days_var, timestamp_on, tod_var,
                                    usable_days, uses_exact_time)
from policydsl.compile.runtime import add_months, nest
from policydsl.check.logic import BoolAtom, EnumAtom, Model, NullAtom


# The request is placed on this local date; anchors are counted back from it in whole days.
REQUEST_DATE = dt.date(2026, 11, 20)


def facts_from_model(ps: ir.PolicySet, model: Model) -> dict[str, Any]:
    """Complete, valid facts for `model`: unconstrained facts take the simplest value."""
    flat: dict[str, Any] = {}
    order = _time_order(ps)
    back = [model.integers.get(days_var(f.path), 0) for f in ps.facts if f.kind == "timestamp" and f.path != ps.now]
    # REQUEST_DATE, unless the anchors would then fall outside the years 0001–9999
    # (`domains_for` keeps them within the usable dates' span of each other, so a date fits).
    first, last = usable_days(ps)
    request_date = min(max(REQUEST_DATE, first + dt.timedelta(days=max([0, *back]))),
                       last + dt.timedelta(days=min([0, *back])))
    request_date = _realise_months(ps, model, request_date, first + dt.timedelta(days=max([0, *back])),
                                   last + dt.timedelta(days=min([0, *back])))
    ranks = max(order.values(), default=0) + 1
    exact = uses_exact_time(ps)
    for f in ps.facts:
        null = model.value(NullAtom(f.path))
        if f.nullable and (null or (null is None and f.kind in ("count", "enum", "bool"))):
            flat[f.path] = None
            continue
        if f.kind == "bool":
            flat[f.path] = bool(model.value(BoolAtom(f.path)))
        elif f.kind == "enum":
            flat[f.path] = _enum_value(f, model)
        elif f.kind == "count":
            flat[f.path] = max(0, model.integers.get(f.path, 0))
        else:
            days_before = 0 if f.path == ps.now else model.integers.get(days_var(f.path), 0)
            day = request_date - dt.timedelta(days=days_before)
            if exact:  # the model fixes the time of day to the µs
                flat[f.path] = at_time_of_day(ps, day, model.integers.get(tod_var(f.path), 0)).isoformat()
            else:
                flat[f.path] = timestamp_on(ps, day, order.get(f.path, 0), ranks).isoformat()
    return nest(flat)


_EPOCH_DATE = dt.date(1970, 1, 1)


def _realise_months(ps: ir.PolicySet, model: Model, preferred: dt.date, lowest: dt.date,
                    highest: dt.date) -> dt.date:
    """The request date nearest `preferred` (within [lowest, highest]) at which the calendar's
    month and year lengths satisfy the model: each `months:<anchor>:<n>` variable becomes the
    calendar's length (the anchor's date, the request date less `days:<anchor>`, plus n months)
    and every difference constraint of the model must still hold. The model's own lengths are
    only the least that fit, so a date where the calendar gives another length that fits is as
    good. The calendar repeats every 400 years, so one cycle either side is searched; where no
    date realises the lengths (two anchors whose month lengths cannot hold together), the
    checker says so."""
    wanted = []
    for var in model.integers:
        if var.startswith("months:"):
            anchor, months = var[len("months:"):].rsplit(":", 1)
            wanted.append((var, model.integers.get(days_var(anchor), 0), int(months)))
    if not wanted:
        return preferred
    start = (preferred - _EPOCH_DATE).days
    lo, hi = (lowest - _EPOCH_DATE).days, (highest - _EPOCH_DATE).days
    for step in range(2 * GREGORIAN_CYCLE_DAYS + 1):
        day = start + (step + 1) // 2 * (1 if step % 2 else -1)
        if not lo <= day <= hi:
            continue
        lengths = {var: add_months(day - back, n) - (day - back) for var, back, n in wanted}
        if model.holds_with({**model.integers, **lengths}):
            return _EPOCH_DATE + dt.timedelta(days=day)
    raise Undecidable("no calendar dates give the month and year lengths this counterexample needs "
                      "(periods in months on two anchors that cannot hold together)", None)


def _enum_value(f: ir.Fact, model: Model) -> str:
    allowed = list(f.values)
    for atom, value in model.atoms.items():
        if isinstance(atom, EnumAtom) and atom.path == f.path:
            allowed = [v for v in allowed if (v in atom.values) == value]
    return allowed[0]


def _time_order(ps: ir.PolicySet) -> dict[str, int]:
    """Rank timestamps by the `require` orderings, so same-day instants come out in order."""
    rank = {f.path: 0 for f in ps.facts if f.kind == "timestamp"}
    for _ in range(len(rank)):
        for o in ps.orderings:
            rank[o.right] = max(rank[o.right], rank[o.left] + 1)
    return rank
