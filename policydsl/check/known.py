"""Facts some of which are unknown: the solver's view of them, and back to concrete facts.

A `Known` holds the validated values of the known facts and the paths of the unknown ones.
`Pinned` turns it into the solver's terms: an assignment of the atoms that read only known
facts, difference constraints that fix the integer variables the known facts determine, and
the theory domains (times of day always modelled, so that the orderings between a known and an
unknown timestamp on one day hold to the microsecond). `complete` turns a model back into
complete facts JSON: the known facts as given, the unknown ones from the model.

Days: an unknown timestamp T is described by its local day, `day(T)`, which the model's
`days:` variables fix relative to a reference: `day(T) = R + ref − t` (`day_form`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from policydsl import ir
from policydsl.check.counterexample import REQUEST_DATE
from policydsl.check.encode import (US_PER_DAY, at_time_of_day, days_var, domains_for, month_lengths, months_var,
                                    tod_var, uses_exact_time)
from policydsl.check.logic import ZERO, Atom, BoolAtom, Domains, EnumAtom, Formula, Model, NullAtom, conj, diff, disj
from policydsl.compile.runtime import add_months, local_day, nest, stamp
from policydsl.evaluate.facts import FactsInputError, validate
from policydsl.source import Source

_EPOCH_DATE = dt.date(1970, 1, 1)
_PLACEHOLDER = {"bool": False, "count": 0, "enum": None, "timestamp": None}


@attrs.frozen
class Known:
    """Validated known facts (flat, timestamps in µs), the raw JSON value of each, and the unknowns."""

    values: Mapping[str, Any]
    raw: Mapping[str, Any]
    unknown: tuple[str, ...]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def read_partial(data: Any, ps: ir.PolicySet, source: Source | None = None) -> Known:
    """Validate facts of which some may be left out (or null where the fact is not nullable):
    those are unknown. Every other problem raises FactsInputError, as `validate` does."""
    try:  # every problem but a missing fact, or null for a fact that is not nullable
        validate(data, attrs.evolve(ps, orderings=()), source)
    except FactsInputError as exc:
        errors = [d for d in exc.diagnostics
                  if not (d.code == "PD402" or d.code == "PD404" and d.message.endswith(", got null"))]
        if errors:
            raise FactsInputError(errors) from None
    raw = flatten(data)  # well-formed now: groups are objects, keys are declared facts
    unknown = [f.path for f in ps.facts if f.path not in raw or raw[f.path] is None and not f.nullable]
    filled = dict(raw)
    for f in ps.facts:  # unknowns get a stand-in so that the known facts are validated as usual
        if f.path in unknown:
            filled[f.path] = _stand_in(f)
    # The orderings between known facts are checked; those reading an unknown one constrain the search.
    orderings = tuple(o for o in ps.orderings if o.left not in unknown and o.right not in unknown)
    values = validate(nest(filled), attrs.evolve(ps, orderings=orderings), source)
    known = {p: v for p, v in values.items() if p not in unknown}
    return Known(known, {p: raw[p] for p in known if p in raw} | {p: None for p in known if p not in raw},
                 tuple(unknown))


def _stand_in(f: ir.Fact) -> Any:
    if f.kind == "enum":
        return f.values[0]
    if f.kind == "timestamp":  # any instant: orderings reading it are not checked
        return "2026-11-20T12:00:00+08:00"
    return _PLACEHOLDER[f.kind]


@attrs.define
class Pinned:
    """The solver's view of partially known facts."""

    ps: ir.PolicySet
    known: Known
    domains: Domains = attrs.field(init=False)
    assignment: dict[Atom, bool] = attrs.field(init=False, factory=dict)
    #: (R, ref var) with day(T) = R + ref − t for every timestamp T (t = days:T, or ZERO for now); None if
    #: no timestamp is known (then only differences of days matter).
    reference: tuple[int, str] | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        ps, values = self.ps, self.known.values
        tz = ps.timezone_minutes
        base = domains_for(ps)
        enums = dict(base.enums)
        cons = list(base.base_constraints)
        axioms = [base.axioms]
        if not uses_exact_time(ps):
            axioms.append(_time_of_day_axioms(ps, cons))
        for f in ps.facts:
            if f.path not in values:
                continue
            v = values[f.path]
            if f.nullable:
                self.assignment[NullAtom(f.path)] = v is None
            if v is None:
                continue
            if f.kind == "bool":
                self.assignment[BoolAtom(f.path)] = v
            elif f.kind == "enum":
                enums[f.path] = (v,)
            elif f.kind == "count":
                cons += [(f.path, ZERO, v), (ZERO, f.path, -v)]
            else:
                tod = (v + tz * 60_000_000) % US_PER_DAY
                cons += [(tod_var(f.path), ZERO, tod), (ZERO, tod_var(f.path), -tod)]
        days = {p: local_day(v, tz) for p, v in values.items()
                if v is not None and ps.fact(p).kind == "timestamp"}
        if ps.now in days:
            self.reference = (days[ps.now], ZERO)
        elif days:
            first = sorted(days)[0]
            self.reference = (days[first], days_var(first))
        if self.reference is not None:
            r, ref = self.reference
            for p, d in days.items():  # day(p) = R + ref − t
                t = ZERO if p == ps.now else days_var(p)
                if t != ref:
                    cons += [(ref, t, d - r), (t, ref, r - d)]
        for anchor, months in sorted(month_lengths(ps)):
            if anchor in days:
                n = add_months(days[anchor], months) - days[anchor]
                cons += [(months_var(anchor, months), ZERO, n), (ZERO, months_var(anchor, months), -n)]
        self.domains = Domains(enums=enums, base_constraints=tuple(cons), soft_constraints=base.soft_constraints,
                               axioms=conj(axioms))

    def with_constraints(self, extra: Iterable[tuple[str, str, int]]) -> Domains:
        return attrs.evolve(self.domains, base_constraints=(*self.domains.base_constraints, *extra))

    # ---- days of unknown timestamps ------------------------------------------------------------
    def day_bounds(self, path: str, first: int | None, last: int | None) -> list[tuple[str, str, int]]:
        """Difference constraints saying `first <= day(path) <= last` (None: unbounded)."""
        assert self.reference is not None
        r, ref = self.reference
        t = ZERO if path == self.ps.now else days_var(path)
        out = []
        if last is not None:  # ref − t <= last − R
            out.append((ref, t, last - r))
        if first is not None:  # t − ref <= R − first
            out.append((t, ref, r - first))
        return out

    def linear(self, var: str) -> dict[str, int] | None:
        """The variable as a linear form {symbol: coefficient, "": constant} over the unknowns'
        symbols (`day:T` for an unknown timestamp, the path of an unknown count), or None for a
        variable it does not cover (a time of day, an unknown month length)."""
        ps, values, tz = self.ps, self.known.values, self.ps.timezone_minutes

        def day(path: str) -> dict[str, int]:
            v = values.get(path)
            return {"": local_day(v, tz)} if v is not None else {f"day:{path}": 1}

        if var == ZERO:
            return {"": 0}
        if var.startswith("days:"):
            return _sub(day(ps.now), day(var[5:]))
        if var.startswith("months:"):
            anchor, n = var[7:].rsplit(":", 1)
            v = values.get(anchor)
            if v is None:
                return None
            d = local_day(v, tz)
            return {"": add_months(d, int(n)) - d}
        if var.startswith("tod:"):
            v = values.get(var[4:])
            return {"": (v + tz * 60_000_000) % US_PER_DAY} if v is not None else {var: 1}
        return {"": values[var]} if values.get(var) is not None else {var: 1}

    def bound(self, u: str, v: str, c: int) -> tuple[str, str, int] | None:
        """`u − v <= c` as a bound on one unknown symbol: (symbol, "<=" or ">=", value); ("", "", 0)
        when it reads known facts only; None when it relates unknowns (or reads one it cannot)."""
        lu, lv = self.linear(u), self.linear(v)
        if lu is None or lv is None:
            return None
        form = {k: x for k, x in _sub(lu, lv).items() if x or k == ""}
        syms = [k for k in form if k]
        if not syms:
            return ("", "", 0)
        if len(syms) != 1 or abs(form[syms[0]]) != 1:
            return None
        rest = c - form.get("", 0)
        return (syms[0], "<=", rest) if form[syms[0]] == 1 else (syms[0], ">=", -rest)

    # ---- back to facts -----------------------------------------------------------------------------
    def complete(self, model: Model) -> dict[str, Any]:
        """Complete facts JSON: known facts as given, unknown ones from the model."""
        ps = self.ps
        flat: dict[str, Any] = {}
        ints = model.integers
        if self.reference is not None:
            r, ref = self.reference
            ref_value = 0 if ref == ZERO else ints.get(ref, 0)
        else:
            r, ref_value = (REQUEST_DATE - _EPOCH_DATE).days, 0
        for f in ps.facts:
            if f.path not in self.known.unknown:
                if f.path in self.known.raw:
                    flat[f.path] = self.known.raw[f.path]
                continue
            null = model.value(NullAtom(f.path))
            if f.nullable and (null or null is None and f.kind != "timestamp"):
                flat[f.path] = None
            elif f.kind == "bool":
                flat[f.path] = bool(model.value(BoolAtom(f.path)))
            elif f.kind == "enum":
                allowed = [v for v in self.domains.enums[f.path]]
                for atom, value in model.atoms.items():
                    if isinstance(atom, EnumAtom) and atom.path == f.path:
                        allowed = [v for v in allowed if (v in atom.values) == value]
                flat[f.path] = allowed[0]
            elif f.kind == "count":
                flat[f.path] = max(0, ints.get(f.path, 0))
            else:
                t = 0 if f.path == ps.now else ints.get(days_var(f.path), 0)
                day = _EPOCH_DATE + dt.timedelta(days=r + ref_value - t)
                flat[f.path] = at_time_of_day(ps, day, ints.get(tod_var(f.path), 0)).isoformat()
        return nest(flat)

    def month_pins(self, facts: Mapping[str, Any]) -> list[tuple[str, str, int]]:
        """Constraints fixing each month length of an unknown anchor to the calendar's length at
        the anchor's date in `facts` (complete facts), for solving again where the model's own
        length (only bounded by the shortest and longest month) is not the calendar's."""
        flat = validate(facts, self.ps)
        out = []
        for anchor, months in sorted(month_lengths(self.ps)):
            if anchor in self.known.unknown and flat.get(anchor) is not None:
                d = local_day(flat[anchor], self.ps.timezone_minutes)
                n = add_months(d, months) - d
                out += [(months_var(anchor, months), ZERO, n), (ZERO, months_var(anchor, months), -n)]
        return out

    def has_free_months(self) -> bool:
        return any(anchor in self.known.unknown for anchor, _ in month_lengths(self.ps))


def _sub(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, x in b.items():
        out[k] = out.get(k, 0) - x
    return out


def _time_of_day_axioms(ps: ir.PolicySet, cons: list[tuple[str, str, int]]) -> Formula:
    """Times of day for every timestamp (appended to `cons`), and the `require` orderings to the µs
    (returned), as `domains_for` builds them for sets with exact periods."""
    for f in ps.facts:
        if f.kind == "timestamp":
            cons += [(ZERO, tod_var(f.path), 0), (tod_var(f.path), ZERO, US_PER_DAY - 1)]
    orders = []
    for o in ps.orderings:
        left = ZERO if o.left == ps.now else days_var(o.left)
        right = ZERO if o.right == ps.now else days_var(o.right)
        same_day = conj([diff(left, right, 0), diff(right, left, 0)])
        in_time = diff(tod_var(o.left), tod_var(o.right), 0 if o.op == "<=" else -1)
        orders.append(disj([diff(right, left, -1), conj([same_day, in_time])]))
    return conj(orders)


def day_start(day: int, tz: int) -> str:
    return stamp(day * US_PER_DAY - tz * 60_000_000, tz)


def day_end(day: int, tz: int) -> str:
    return stamp((day + 1) * US_PER_DAY - tz * 60_000_000 - 1, tz)


__all__ = ["Known", "Pinned", "day_end", "day_start", "flatten", "read_partial"]
