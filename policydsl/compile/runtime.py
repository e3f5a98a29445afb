"""The helpers every generated decision module carries.

`policydsl.compile.codegen` copies the code of this file (everything but this docstring,
the `__future__` import and `__all__`) into each module it generates, so a
compiled policy runs on the standard library alone, without policydsl
installed. Nothing here reads policy text; the generated code passes its
tables in as constants. The reference interpreter uses the same helpers (time, the
decision's messages), so the two engines share one implementation of each.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

__all__ = ["US_PER_DAY", "US_PER_HOUR", "US_PER_SECOND", "FactsError", "TimestampError", "add_months",
           "end_of_local_day", "format_timestamp", "json_inner", "json_string", "json_strings", "json_value", "local_day", "make_formatter", "merge_cites", "month_deadline",
           "nest", "parse_timestamp", "read_timestamp", "stamp", "trace_fired", "trace_gives", "trace_scenario",
           "trace_suppressed", "validate_slow", "why_after_window",
           "why_all_used", "why_available", "why_condition_not_met", "writable_range"]

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?", re.ASCII)
# The two common shapes `read_timestamp` hands to `datetime.fromisoformat` directly; anything
# else (fractions, lower-case, a space) goes through `parse_timestamp`, so both accept the same.
_COMMON_SHAPE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)", re.ASCII)
_MIN_US = (datetime(1, 1, 1, tzinfo=timezone.utc) - _EPOCH) // _US
_MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc) - _EPOCH) // _US


class FactsError(ValueError):
    """Facts that cannot be decided on. `errors` lists every problem found, in the order
    `policydsl eval` reports them, as dicts: code (PD4xx), message, fact (the path or None), hint."""

    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors

    def __str__(self) -> str:
        return "; ".join(f"{e['code']}: {e['message']}" for e in self.errors)


class TimestampError(ValueError):
    """A timestamp string that is not RFC 3339 with an explicit offset."""


def parse_timestamp(text: str) -> int:
    """RFC 3339 (`2026-10-01T12:00:00+08:00`, `…Z`) → microseconds since the epoch."""
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise TimestampError("not an RFC 3339 timestamp such as 2026-10-01T12:00:00+08:00")
    year, month, day, hour, minute, second, frac, offset = m.groups()
    if offset is None:
        raise TimestampError("the timestamp has no UTC offset; add one such as +08:00 or Z")
    if second == "60":
        raise TimestampError("leap seconds (:60) are not supported; write :59 (or the next minute)")
    try:
        if offset in ("Z", "z"):
            tz = timezone.utc
        else:
            sign = -1 if offset[0] == "-" else 1
            oh, om = int(offset[1:3]), int(offset[4:6])
            if oh > 23 or om > 59:
                raise ValueError("offset out of range")
            tz = timezone(sign * timedelta(hours=oh, minutes=om))
        micro = int((frac or "0")[:6].ljust(6, "0"))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError as exc:
        raise TimestampError(f"not a valid date or time ({exc})") from None
    return (moment - _EPOCH) // _US


def read_timestamp(value: object) -> int | None:
    """`parse_timestamp(value)` for a string it accepts, else None. The common shapes
    `2026-10-01T12:00:00+08:00` and `…Z` take a fast path through small caches of their date,
    time-of-day and offset parts (requests share dates and offsets far more than instants);
    the caches hold only parts of strings of the common shape, so a string whose three parts
    are all cached has that shape."""
    if type(value) is not str:
        return None
    day = _DAYS.get(value[:10])
    if day:  # a valid date other than 1970-01-01 (day 0 and False take the long way)
        second = _SECONDS.get(value[11:19])
        shift = _OFFSETS.get(value[19:])
        if second is not None and second is not False and shift is not None and value[10] == "T":
            return (day * 86400 + second - shift) * 1_000_000
    if _COMMON_SHAPE.fullmatch(value):
        day = _DAYS.get(value[:10])
        if day is None:
            day = _day_of(value[:10])
        second = _SECONDS.get(value[11:19])
        if second is None:
            second = _second_of(value[11:19])
        if day is False or second is False:
            return None
        offset = value[19:]
        shift = _OFFSETS.get(offset)
        if shift is None:
            shift = 0 if offset == "Z" else (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 3600
                                                                            + int(offset[4:6]) * 60)
            if len(_OFFSETS) < 4096:
                _OFFSETS[offset] = shift
        return (day * 86400 + second - shift) * 1_000_000
    try:
        return parse_timestamp(value)
    except TimestampError:
        return None


_DAYS: dict[str, int | bool] = {}  # "YYYY-MM-DD" → days since 1970-01-01, or False: no such date
_SECONDS: dict[str, int | bool] = {}  # "HH:MM:SS" → seconds after midnight, or False: no such time
_OFFSETS: dict[str, int] = {}  # "Z" or "+HH:MM" → seconds east of UTC
_EPOCH_ORDINAL = _EPOCH.toordinal()


def _day_of(text: str) -> int | bool:
    if len(_DAYS) > 100_000:
        _DAYS.clear()
    try:
        day = datetime.fromisoformat(text).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        day = False
    _DAYS[text] = day
    return day


def _second_of(text: str) -> int | bool:
    hour, minute, second = int(text[:2]), int(text[3:5]), int(text[6:8])
    value: int | bool = hour * 3600 + minute * 60 + second if hour < 24 and minute < 60 and second < 60 else False
    if len(_SECONDS) > 100_000:
        _SECONDS.clear()
    _SECONDS[text] = value
    return value


def writable_range(offset_minutes: int) -> tuple[int, int]:
    """The first and last instants whose UTC and local dates (at the offset) both fall in
    the years 0001–9999, the instants RFC 3339 can write."""
    tz = timezone(timedelta(minutes=offset_minutes))
    lo = (datetime(1, 1, 1, tzinfo=tz) - _EPOCH) // _US
    hi = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=tz) - _EPOCH) // _US
    return max(_MIN_US, lo), min(_MAX_US, hi)


def make_formatter(offset_minutes: int, quote: str = ""):
    """`stamp(instant_us, offset_minutes)` as a one-argument function (its text in `quote`s: pass
    '"' for the JSON string of the text, which needs no escaping): RFC 3339 at the offset,
    saturating at the first and last writable instants; each instant's text is formatted once
    (a small cache: the same deadlines recur from one decision to the next), from cached texts
    of its local date and time of day (requests share dates far more than instants)."""
    tz = timezone(timedelta(minutes=offset_minutes))
    lo, hi = writable_range(offset_minutes)
    shift = offset_minutes * 60 * US_PER_SECOND
    suffix = "Z" if offset_minutes == 0 else datetime(2000, 1, 1, tzinfo=tz).isoformat()[19:]
    first_day = _EPOCH_ORDINAL
    end = suffix + quote

    texts: dict[int, str] = {}  # deadlines are ends of local days: few, and shared by many requests
    dates: dict[int, str] = {}  # local day number → "YYYY-MM-DD"
    clocks: dict[int, str] = {}  # second of the local day → "THH:MM:SS"

    def fmt(instant_us: int) -> str:
        text = texts.get(instant_us)
        if text is not None:
            return text
        local = (instant_us if lo <= instant_us <= hi else lo if instant_us < lo else hi) + shift
        day = local // US_PER_DAY
        second = local // US_PER_SECOND % 86400
        micro = local % US_PER_SECOND
        date = dates.get(day)
        if date is None:
            if len(dates) >= 4096:
                dates.clear()
            date = dates[day] = datetime.fromordinal(day + first_day).date().isoformat()
        clock = clocks.get(second)
        if clock is None:
            clock = clocks[second] = f"T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        text = quote + date + clock + (f".{micro:06d}" + end if micro else end)
        if len(texts) >= 4096:
            texts.clear()
        texts[instant_us] = text
        return text

    return fmt


# ---- the decision as JSON text (`decide_validated_json`) --------------------------------------------
# `json_string(s)` is `json.dumps(s, ensure_ascii=False)`; escaping works character by character,
# so the text of a string built from pieces is the texts of its pieces, joined.

json_string = json.encoder.encode_basestring  # the C function json.dumps uses for a str
#: `json.dumps(value, ensure_ascii=False, separators=(",", ":"))`, the encoding policydsl prints.
json_value = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_inner(text: str) -> str:
    """The JSON text of a string without its quotes (a piece of a longer string)."""
    return json_string(text)[1:-1]


_STRING_LISTS: dict = {}  # tuple of str → its JSON array: few distinct cites lists recur


def json_strings(items: tuple) -> str:
    """The JSON array of a tuple of strings (only strings: the cache is keyed by the tuple)."""
    text = _STRING_LISTS.get(items)
    if text is None:
        if len(_STRING_LISTS) >= 4096:
            _STRING_LISTS.clear()
        text = _STRING_LISTS[items] = json_value(list(items))
    return text


# ---- calendar months, as the PRC Civil Code counts them (arts. 201–202) -------------------------
# Day numbers are days since 1970-01-01 (local); the conversions are H. Hinnant's
# days_from_civil / civil_from_days, exact for any year (no datetime range limit).

def _civil(day: int) -> tuple[int, int, int]:
    z = day + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def _day_number(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: int, months: int) -> int:
    """The local day `months` calendar months after local day `day`: the same day of the month,
    or that month's last day where there is none (Jan 31 + 1 month = Feb 28 or 29)."""
    y, m, d = _civil(day)
    total = y * 12 + m - 1 + months
    y, m0 = total // 12, total % 12
    last = _MONTH_DAYS[m0] + (m0 == 1 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
    return _day_number(y, m0 + 1, min(d, last))


_DAY_US = 86_400_000_000
_month_ends: dict[tuple[int, int, int], int] = {}


def month_deadline(anchor_us: int, months: int, offset_minutes: int) -> int:
    """The last microsecond inside a period of `months` months counted from the local day
    after `anchor_us` (the anchor's day is not counted): 24:00 local time on the date
    `months` months after the anchor's local date, or on that month's last day."""
    offset = offset_minutes * 60_000_000
    day = (anchor_us + offset) // _DAY_US
    key = (day, months, offset)
    end = _month_ends.get(key)
    if end is None:
        if len(_month_ends) > 65536:
            _month_ends.clear()
        end = _month_ends[key] = (add_months(day, months) + 1) * _DAY_US - offset - 1
    return end


# ---- instants and local days -------------------------------------------------------------------
# Timestamps are integer microseconds since the Unix epoch; the policy's fixed UTC offset turns
# an instant into a local calendar day (days since 1970-01-01 local) without a time-zone database.

def local_day(instant_us: int, offset_minutes: int) -> int:
    """The local calendar day number of an instant."""
    return (instant_us + offset_minutes * 60 * US_PER_SECOND) // US_PER_DAY


def end_of_local_day(day: int, offset_minutes: int) -> int:
    """The last microsecond of local day `day`."""
    return (day + 1) * US_PER_DAY - offset_minutes * 60 * US_PER_SECOND - 1


def format_timestamp(instant_us: int, offset_minutes: int) -> str:
    """RFC 3339 at the offset (`Z` for offset 0); fractional seconds only when present.
    Raises OverflowError outside the years datetime can hold."""
    tz = timezone(timedelta(minutes=offset_minutes))
    moment = (_EPOCH + timedelta(microseconds=instant_us)).astimezone(tz)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z") if offset_minutes == 0 else text


_formatters: dict[int, object] = {}


def stamp(instant_us: int, offset_minutes: int) -> str:
    """An instant in RFC 3339 at the policy's offset, saturating at the years 0001–9999 that
    RFC 3339 can write: a deadline past 9999 (an order in 9999, or a huge merchant setting)
    prints as the last writable instant, 9999-12-31T23:59:59.999999 local time."""
    fmt = _formatters.get(offset_minutes)
    if fmt is None:
        fmt = _formatters[offset_minutes] = make_formatter(offset_minutes)
    return fmt(instant_us)


def nest(flat: Mapping) -> dict:
    """{"order.paid_at": x} → {"order": {"paid_at": x}}, keys in first-seen order."""
    out: dict = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


# ---- the decision's messages (both engines) --------------------------------------------------------

def why_condition_not_met(cite: str) -> str:
    """A capability whose condition does not hold; `cite` is "" or " (N3)"."""
    return f"not available: the order does not meet the capability's condition (e.g. not settled yet){cite}"


def why_all_used(max_times: int, cite: str) -> str:
    return f"not available: all {max_times} extensions are used{cite}"


def why_after_window(until: str, cite: str) -> str:
    return f"not available: the request is after {until}, the end of the extension window{cite}"


def why_available(remaining: int, max_times: int, each_days: int, until: str, cite: str) -> str:
    return f"{remaining} of {max_times} extensions left, {each_days} days each, until {until}{cite}"


def trace_scenario(clause: str) -> str:
    """The trace line of a scenario that holds."""
    return f"scenario {clause} holds"


def trace_fired(source: str, rule: str) -> str:
    """The start of a fired rule's trace line; the facts it read (`path=value, …`) follow."""
    return f"{source} rule {rule} fired ["


def trace_gives(effects: tuple) -> str:
    """The end of the trace line of a fired rule that took effect: its (modality, action) pairs."""
    return "]: gives " + ", ".join(f"{modality} {action}" for modality, action in effects)


def trace_suppressed(by: str) -> str:
    """The end of the trace line of a fired rule that `by` (rule names joined by ", ") overrode."""
    return "]: suppressed by " + by


def merge_cites(cites: tuple, more: tuple) -> tuple:
    """`cites` followed by the clause IDs of `more` it does not hold yet."""
    return cites + tuple(c for c in more if c not in cites)


# ---- facts validation: the exact rules and messages of policydsl.evaluate.facts.validate --------------

def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _expected_phrase(kind: str, nullable: bool, values: tuple) -> str:
    base = {"bool": "true or false", "count": "a whole number ≥ 0", "timestamp": "an RFC 3339 timestamp with offset",
            "enum": "one of " + ", ".join(values)}[kind]
    return base + (", or null" if nullable else "")


def _did_you_mean(name: str, candidates) -> str | None:
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def validate_slow(data: object, facts: tuple, orderings: tuple, offset_minutes: int) -> dict:
    """Validate JSON-like facts; return the flat facts or raise FactsError listing every problem.

    `facts` holds (path, kind, nullable, enum values, optional) per declared fact and
    `orderings` (left, op, right) per `require`, both in declaration order. An optional fact
    left out is null."""
    errors: list[dict] = []

    def err(code: str, path: str | None, message: str, hint: str | None = None) -> None:
        errors.append({"code": code, "message": message, "fact": path, "hint": hint})

    if not isinstance(data, Mapping):
        err("PD404", None, f"facts must be a JSON object, got {_kind_of(data)}")
        raise FactsError(errors)
    flat: dict = {}
    declared = {f[0]: f for f in facts}
    optional = {f[0] for f in facts if len(f) > 4 and f[4]}
    prefixes = {".".join(p.split(".")[:i]) for p in declared for i in range(1, p.count(".") + 1)}
    broken: list[str] = []  # groups given as something other than an object: their facts are not "missing"
    misplaced: set[str] = set()  # facts given under a dotted key

    def walk(node: Mapping, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if "." in key:  # `{"order.category": …}`: facts nest by group, a dotted key is no fact
                nest = f"nest it: {{\"{key.split('.')[0]}\": {{\"{key.split('.', 1)[1]}\": …}}}}"
                if path in declared:
                    err("PD403", path, f"`{path}` is given under a dotted key; facts nest by group", nest)
                    misplaced.add(path)  # reported here, so not also as missing
                else:
                    err("PD403", path, f"unknown fact `{path}`", _did_you_mean(path, [*declared, *prefixes]) or nest)
            elif path in declared:
                flat[path] = value
            elif path in prefixes:
                if isinstance(value, Mapping):
                    walk(value, path + ".")
                else:
                    inside = sorted({p[len(path) + 1:].split(".")[0] for p in declared if p.startswith(path + ".")})
                    err("PD404", path, f"`{path}` must be a JSON object holding facts ({', '.join(inside)}), "
                                       f"got {_kind_of(value)}")
                    broken.append(path + ".")
            else:
                err("PD403", path, f"unknown fact `{path}`",
                    _did_you_mean(path, [*declared, *prefixes]) or "remove it; only declared facts are accepted")

    walk(data, "")
    lo, hi = writable_range(offset_minutes)
    out: dict = {}
    for path, kind, nullable, values, *_ in facts:
        if path not in flat:
            if broken and path.startswith(tuple(broken)) or path in misplaced:
                continue
            if path in optional:
                out[path] = None
                continue
            err("PD402", path, f"missing fact `{path}` ({_expected_phrase(kind, nullable, values)})")
            continue
        value = flat[path]
        if value is None:
            if nullable:
                out[path] = None
            else:
                err("PD404", path, f"`{path}` must be {_expected_phrase(kind, nullable, values)}, got null")
            continue
        if kind == "bool":
            if type(value) is bool:
                out[path] = value
            else:
                err("PD404", path, f"`{path}` must be true or false, got {_kind_of(value)}")
        elif kind == "count":
            if type(value) is not int:
                err("PD404", path, f"`{path}` must be a whole number, got {_kind_of(value)}")
            elif value < 0:
                err("PD407", path, f"`{path}` must be 0 or more, got {value}")
            else:
                out[path] = value
        elif kind == "enum":
            if not isinstance(value, str):
                err("PD404", path, f"`{path}` must be a string, one of {', '.join(values)}; got {_kind_of(value)}")
            elif value not in values:
                err("PD405", path, f"`{path}` has no value `{value}`; expected one of {', '.join(values)}",
                    _did_you_mean(value, values))
            else:
                out[path] = value
        elif kind == "timestamp":
            if not isinstance(value, str):
                err("PD404", path, f"`{path}` must be an RFC 3339 timestamp string, got {_kind_of(value)}")
                continue
            try:
                instant = parse_timestamp(value)
            except TimestampError as exc:
                err("PD406", path, f"`{path}`: {exc}", "write e.g. 2026-10-01T12:00:00+08:00")
                continue
            if lo <= instant <= hi:
                out[path] = instant
            else:
                err("PD406", path, f"`{path}`: {value} falls outside the years 0001–9999 in the policy's time zone",
                    "write e.g. 2026-10-01T12:00:00+08:00")
    if not errors:
        fmt = make_formatter(offset_minutes)
        for left_path, op, right_path in orderings:
            left, right = out.get(left_path), out.get(right_path)
            if left is None or right is None:
                continue
            if left > right or (op == "<" and left == right):
                err("PD408", right_path, f"contradictory facts: `{right_path}` ({fmt(right)}) is before "
                                         f"`{left_path}` ({fmt(left)})",
                    f"the policy requires {left_path} {op} {right_path}")
    if errors:
        raise FactsError(errors)
    return out
