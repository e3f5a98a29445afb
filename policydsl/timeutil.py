"""Timestamps as integer microseconds since the Unix epoch, and local calendar days.

Integers keep evaluation exact and deterministic; the policy's fixed UTC offset
turns an instant into a local calendar day without any time-zone database.
"""

from __future__ import annotations

import datetime as _dt

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

# One RFC 3339 reader for the interpreter and for compiled modules (which carry runtime.py).
from policydsl.runtime import TimestampError, parse_timestamp  # noqa: E402

__all__ = ["TimestampError", "end_of_local_day", "format_timestamp", "local_day", "parse_timestamp"]


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
