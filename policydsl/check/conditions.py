"""A cube of solver literals over the unknown facts, as readable constraints per fact.

JSON form of one constraint (docs/semantics.md §6): `{"is": true}` (bool), `{"in": [values]}`
(enum), `{"is": null}` / `{"not": null}`, `{"min": n, "max": n}` (count; either may be left
out), `{"from": instant, "until": instant}` (timestamp: its first and last instant; either may
be left out), with `"time_from"`/`"time_until"` (its local time of day, for sets with
hour-precise periods). A literal relating two unknowns is kept as `{"relation": text}` under the key
`"*"`.
"""

from __future__ import annotations

from typing import Any

from policydsl.check.encode import US_PER_DAY
from policydsl.check.known import Pinned, day_end, day_start
from policydsl.check.logic import Atom, BoolAtom, DiffAtom, EnumAtom, NullAtom, ZERO

Literal = tuple[Atom, bool]


def cube_constraints(pin: Pinned, lits: list[Literal]) -> list[tuple[str, dict[str, Any]]]:
    """Per unknown fact (in declaration order), what the cube says of it."""
    ps, tz = pin.ps, pin.ps.timezone_minutes
    out: dict[str, dict[str, Any]] = {}
    allowed: dict[str, list[str]] = {}
    lo: dict[str, int] = {}
    hi: dict[str, int] = {}
    relations: list[str] = []
    for atom, value in lits:
        if isinstance(atom, BoolAtom):
            out[atom.path] = {"is": value}
        elif isinstance(atom, NullAtom):
            if value:
                out[atom.path] = {"is": None}
            else:
                out.setdefault(atom.path, {"not": None})
        elif isinstance(atom, EnumAtom):
            current = allowed.setdefault(atom.path, list(pin.domains.enums[atom.path]))
            allowed[atom.path] = [v for v in current if (v in atom.values) == value]
        elif isinstance(atom, DiffAtom):
            u, v, c = (atom.u, atom.v, atom.c) if value else (atom.v, atom.u, -atom.c - 1)
            months = _months_phrase(u, v, c, pin.ps.now)
            if months is not None:
                relations.append(months)
                continue
            b = pin.bound(u, v, c)
            if b is None:
                relations.append(f"{_name(u)} - {_name(v)} <= {c}")
                continue
            symbol, op, n = b
            if not symbol:
                continue  # reads known facts only
            if op == "<=":
                hi[symbol] = min(hi.get(symbol, n), n)
            else:
                lo[symbol] = max(lo.get(symbol, n), n)
    for path, values in allowed.items():
        out[path] = {"in": values}
    bounds: dict[str, dict[str, Any]] = {}
    for symbol in sorted({*lo, *hi}):
        if symbol.startswith("tod:"):
            entry = bounds.setdefault(symbol[4:], {})
            if symbol in lo and lo[symbol] > 0:
                entry["time_from"] = _clock(lo[symbol])
            if symbol in hi and hi[symbol] < US_PER_DAY - 1:
                entry["time_until"] = _clock(hi[symbol])
        elif symbol.startswith("day:"):
            entry = bounds.setdefault(symbol[4:], {})
            if symbol in lo:
                entry["from"] = day_start(lo[symbol], tz)
            if symbol in hi:
                entry["until"] = day_end(hi[symbol], tz)
        else:
            entry = bounds.setdefault(symbol, {})
            if symbol in lo and lo[symbol] > 0:
                entry["min"] = lo[symbol]
            if symbol in hi:
                entry["max"] = hi[symbol]
    for path, entry in bounds.items():
        if entry:  # a bound implies a value: it replaces a bare "not null"; keys in one fixed order
            out[path] = {k: entry[k] for k in ("from", "until", "time_from", "time_until", "min", "max") if k in entry}
    order = [f.path for f in ps.facts]
    parts = [(p, out[p]) for p in order if p in out]
    if relations:
        parts.append(("*", {"relation": " and ".join(sorted(set(relations)))}))
    return parts


def _clock(us: int) -> str:
    """A local time of day: `06:00:00`, with microseconds only when there are any."""
    seconds, micro = divmod(us, 1_000_000)
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{text}.{micro:06d}" if micro else text


def _months_phrase(u: str, v: str, c: int, now: str) -> str | None:
    """`days:A − months:A:n <= 0` (the request within n months after A) and its negation, in words."""
    if u.startswith("days:") and v.startswith("months:") and c == 0:
        anchor, n = v[7:].rsplit(":", 1)
        return f"{now} within {n} months after {anchor} (its calendar day)" if anchor == u[5:] else None
    if u.startswith("months:") and v.startswith("days:") and c == -1:
        anchor, n = u[7:].rsplit(":", 1)
        return f"{now} more than {n} months after {anchor} (its calendar day)" if anchor == v[5:] else None
    return None


def _name(var: str) -> str:
    if var == ZERO:
        return "0"
    if var.startswith("days:"):
        return f"(local days from {var[5:]} to the request)"
    if var.startswith("tod:"):
        return f"(time of day of {var[4:]}, µs)"
    if var.startswith("months:"):
        anchor, n = var[7:].rsplit(":", 1)
        return f"(days in the {n} months after {anchor})"
    return var


def render_cube(parts: tuple[tuple[str, dict[str, Any]], ...]) -> str:
    """`request.evidence in {verified} and request.product_used = false`."""
    words = []
    for path, c in parts:
        if path == "*":
            words.append(c["relation"])
        elif "in" in c:
            words.append(f"{path} = {c['in'][0]}" if len(c["in"]) == 1 else f"{path} in {{{', '.join(c['in'])}}}")
        elif "is" in c:
            words.append(f"{path} = {_json(c['is'])}")
        elif "not" in c:
            words.append(f"{path} is not null")
        elif any(k in c for k in ("from", "until", "time_from", "time_until")):
            span = [f"at or after {c['from']}"] if "from" in c else []
            span += [f"at or before {c['until']}"] if "until" in c else []
            span += [f"at {c['time_from']} or later in its day"] if "time_from" in c else []
            span += [f"at {c['time_until']} or earlier in its day"] if "time_until" in c else []
            words.append(f"{path} {' and '.join(span)}")
        else:
            span = [f">= {c['min']}"] if "min" in c else []
            span += [f"<= {c['max']}"] if "max" in c else []
            words.append(f"{path} {' and '.join(span)}")
    return " and ".join(words) or "always"


def _json(value: Any) -> str:
    return "null" if value is None else "true" if value is True else "false" if value is False else str(value)
