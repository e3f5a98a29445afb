"""Timestamps as integer microseconds since the Unix epoch, and local calendar days.

Integers keep evaluation exact and deterministic; the policy's fixed UTC offset
turns an instant into a local calendar day without any time-zone database.
"""

from __future__ import annotations

import datetime as _dt
import re

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?")


class TimestampError(ValueError):
    """A timestamp string that is not RFC 3339 with an explicit offset."""


def parse_timestamp(text: str) -> int:
    """RFC 3339 (`2026-10-01T12:00:00+08:00`, `…Z`) → microseconds since the epoch."""
    m = RFC3339.fullmatch(text)
    if m is None:
        raise TimestampError("not an RFC 3339 timestamp such as 2026-10-01T12:00:00+08:00")
    year, month, day, hour, minute, second, frac, offset = m.groups()
    if offset is None:
        raise TimestampError("the timestamp has no UTC offset; add one such as +08:00 or Z")
    try:
        if offset in ("Z", "z"):
            tz = _dt.timezone.utc
        else:
            sign = -1 if offset[0] == "-" else 1
            oh, om = int(offset[1:3]), int(offset[4:6])
            if oh > 23 or om > 59:
                raise ValueError("offset out of range")
            tz = _dt.timezone(sign * _dt.timedelta(hours=oh, minutes=om))
        micro = int((frac or "0")[:6].ljust(6, "0"))
        moment = _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError as exc:
        raise TimestampError(f"not a valid date or time ({exc})") from None
    return (moment - _EPOCH) // _dt.timedelta(microseconds=1)


def local_day(instant_us: int, offset_minutes: int) -> int:
    """The local calendar day number (days since 1970-01-01 local) of an instant."""
    return (instant_us + offset_minutes * 60 * US_PER_SECOND) // US_PER_DAY


def end_of_local_day(day: int, offset_minutes: int) -> int:
    """The last microsecond of local day `day`."""
    return (day + 1) * US_PER_DAY - offset_minutes * 60 * US_PER_SECOND - 1


def format_timestamp(instant_us: int, offset_minutes: int) -> str:
    """RFC 3339 in the policy's offset; fractional seconds only when present."""
    tz = _dt.timezone(_dt.timedelta(minutes=offset_minutes))
    moment = (_EPOCH + _dt.timedelta(microseconds=instant_us)).astimezone(tz)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z") if offset_minutes == 0 else text
