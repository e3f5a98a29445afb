"""Facts for tests: the baseline's `base` request, dotted-path edits, and hypothesis strategies.

Shared by the core, evaluator, checker and compiler tests:

    from facts_strategies import valid_facts, base_facts, with_facts

`valid_facts()` draws complete, consistent after-sales requests (docs/semantics.md §1): every
fact present, enums from the shipped baseline, `paid_at <= signed_at` and
`paid_at <= request.at`, nullable facts sometimes null, timestamps written with
assorted UTC offsets (including `Z`) and sometimes fractional seconds.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from typing import Any

from hypothesis import strategies as st

CATEGORIES = ("fresh_food", "green_plants", "flowers", "apparel", "electronics", "home_appliances", "beauty",
              "books", "general")
FRESH_GROUP = ("fresh_food", "green_plants", "flowers")
REQUEST_TYPES = ("refund_only", "return_refund")
REASONS = ("no_reason", "quality")
DAMAGE_CAUSES = ("none", "improper_storage", "courier", "man_made", "not_man_made", "unknown")
EVIDENCE = ("none", "provided", "verified", "refuted")
STAGES = ("open", "compensation_offered", "compensation_rejected", "agreed")

#: Every required fact path, in the order the baseline declares them.
FACT_PATHS = ("order.category", "order.paid_at", "order.signed_at", "order.settled", "order.extensions_used",
              "order.sanbao_covered", "order.agreed_service_days", "request.at", "request.type", "request.reason",
              "request.product_used", "request.quality_issue", "request.damage_cause", "request.evidence",
              "negotiation.stage")
#: Revision 2's facts that may be omitted from the facts JSON (absent = null).
OPTIONAL_FACT_PATHS = ("order.sanbao_warranty_days", "order.failed_repairs")

CHINA = dt.timezone(dt.timedelta(hours=8))
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def base_facts() -> dict[str, Any]:
    """The `base` facts block of policies/platform/after_sales.policy, as a fresh nested dict.

    A general-category order paid 2026-10-01 12:00 and signed 2026-10-03 18:00 (China time);
    the request at 2026-10-20 10:00 is an unused no-reason return past the 7-day period (S2.1).
    """
    return {
        "order": {
            "category": "general",
            "paid_at": "2026-10-01T12:00:00+08:00",
            "signed_at": "2026-10-03T18:00:00+08:00",
            "settled": True,
            "extensions_used": 0,
            "sanbao_covered": False,
            "agreed_service_days": None,
        },
        "request": {
            "at": "2026-10-20T10:00:00+08:00",
            "type": "return_refund",
            "reason": "no_reason",
            "product_used": False,
            "quality_issue": False,
            "damage_cause": "none",
            "evidence": "provided",
        },
        "negotiation": {"stage": "open"},
    }


def with_facts(facts: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A deep copy of `facts` (default: `base_facts()`) with dotted paths changed.

    Keyword names use `__` for the dot: `with_facts(request__at="…", order__category="flowers")`.
    A value of `DELETE` removes the key.
    """
    out = copy.deepcopy(facts) if facts is not None else base_facts()
    for key, value in changes.items():
        set_path(out, key.replace("__", "."), value)
    return out


DELETE = object()


def set_path(facts: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = facts
    for p in parents:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    if value is DELETE:
        node.pop(leaf, None)
    else:
        node[leaf] = value


def get_path(facts: dict[str, Any], path: str) -> Any:
    node: Any = facts
    for p in path.split("."):
        node = node[p]
    return node


def rfc3339(instant: dt.datetime, offset_minutes: int = 480, *, fraction: bool = False) -> str:
    """An aware datetime written in RFC 3339 at the given UTC offset (0 is written `Z`)."""
    local = instant.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes)))
    text = local.isoformat(timespec="microseconds" if fraction else "seconds")
    return text[:-6] + "Z" if offset_minutes == 0 else text


def china(text: str) -> dt.datetime:
    """`"2026-10-03T23:30:00"` read as China time (UTC+08:00)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHINA)


# ---- hypothesis strategies -------------------------------------------------------------

#: UTC offsets timestamps are written with: China time most often, UTC as `Z`, and others.
offsets = st.sampled_from([480, 480, 0, 0, -300, 330, 540, -720, 840, 345])

#: Instants from 2025 to 2028, whole seconds (the calendar region the baseline is tested in).
_START = int((dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc) - _EPOCH).total_seconds())
_SPAN = 4 * 365 * 86400


@st.composite
def timestamps_after(draw, earliest: dt.datetime, max_days: int) -> dt.datetime:
    """An instant at or after `earliest`, at most `max_days` later; often on, or one second
    either side of, a China-time midnight (where calendar periods begin and end)."""
    if draw(st.booleans()):
        seconds = draw(st.integers(0, max_days * 86400))
        micro = draw(st.sampled_from([0, 0, 0, 1, 999_999]))
        return earliest + dt.timedelta(seconds=seconds, microseconds=micro)
    local = earliest.astimezone(CHINA)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight + dt.timedelta(days=draw(st.integers(1, max_days)),
                                     seconds=draw(st.sampled_from([-1, 0, 1])))
    return max(earliest, moment)


@st.composite
def valid_facts(draw, *, categories: tuple[str, ...] = CATEGORIES) -> dict[str, Any]:
    """A complete, consistent after-sales request (nested JSON-like dict, docs/semantics.md §1)."""
    paid = _EPOCH + dt.timedelta(seconds=draw(st.integers(_START, _START + _SPAN)))
    signed = draw(st.one_of(st.none(), timestamps_after(paid, 30)))
    at = draw(timestamps_after(paid, 420))

    def stamp(instant: dt.datetime) -> str:
        return rfc3339(instant, draw(offsets), fraction=instant.microsecond != 0)

    return {
        "order": {
            "category": draw(st.sampled_from(categories)),
            "paid_at": stamp(paid),
            "signed_at": None if signed is None else stamp(signed),
            "settled": draw(st.booleans()),
            "extensions_used": draw(st.integers(0, 5)),
            "sanbao_covered": draw(st.booleans()),
            "agreed_service_days": draw(st.one_of(st.none(), st.integers(0, 120))),
        },
        "request": {
            "at": stamp(at),
            "type": draw(st.sampled_from(REQUEST_TYPES)),
            "reason": draw(st.sampled_from(REASONS)),
            "product_used": draw(st.booleans()),
            "quality_issue": draw(st.booleans()),
            "damage_cause": draw(st.sampled_from(DAMAGE_CAUSES)),
            "evidence": draw(st.sampled_from(EVIDENCE)),
        },
        "negotiation": {"stage": draw(st.sampled_from(STAGES))},
    }


#: Any JSON value (what `json.loads` can return).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)

#: Timestamp-shaped strings anywhere in years 0001–9999, with offsets up to ±23:59, or no offset.
edge_timestamps = st.builds(
    lambda y, mo, d, h, mi, s, frac, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{off}",
    st.sampled_from([1, 2, 1969, 1970, 2026, 9998, 9999]), st.integers(1, 12), st.integers(1, 31),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.sampled_from(["", ".5", ".123456789"]),
    st.sampled_from(["Z", "+08:00", "-23:59", "+23:59", "", "+24:00", "z"]),
)


@st.composite
def mutated_facts(draw) -> Any:
    """Facts that are mostly valid with one or more leaves broken, removed, added or retyped."""
    facts = draw(valid_facts())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(FACT_PATHS))
        how = draw(st.sampled_from(["value", "delete", "add", "timestamp", "big", "parent"]))
        if how == "value":
            set_path(facts, path, draw(json_values))
        elif how == "delete":
            set_path(facts, path, DELETE)
        elif how == "add":
            set_path(facts, path.rsplit(".", 1)[0] + "." + draw(st.text(min_size=1, max_size=8)), draw(json_values))
        elif how == "timestamp":
            set_path(facts, path, draw(edge_timestamps))
        elif how == "big":
            set_path(facts, path, draw(st.sampled_from([10**30, -(10**30), 2**63, 1e300, -1, 3.0])))
        else:
            facts[path.split(".")[0]] = draw(json_values)
    return facts


#: Arbitrary JSON-ish input for `decide`: anything JSON can hold, or facts with a few breaks.
jsonish_facts = st.one_of(json_values, mutated_facts())


# ---- JSON Lines batches -------------------------------------------------------------------------

#: One complete request, the start of every line `requests_jsonl` writes.
BASE: dict[str, Any] = {
    "order": {"category": "general", "paid_at": "2026-10-01T12:00:00+08:00", "signed_at": "2026-10-03T18:00:00+08:00",
              "settled": True, "extensions_used": 0, "sanbao_covered": False, "agreed_service_days": None},
    "request": {"at": "2026-10-20T10:00:00+08:00", "type": "return_refund", "reason": "no_reason",
                "product_used": False, "quality_issue": False, "damage_cause": "none", "evidence": "provided"},
    "negotiation": {"stage": "open"},
}


BAD_LINES = [
    '{"order": ',                                                     # not JSON
    "[1, 2]",                                                         # not an object
    json.dumps({**BASE, "extra": 1}),                                 # unknown fact
    json.dumps({**BASE, "order": {**BASE["order"], "category": "fruit"}}),
    json.dumps({**BASE, "order": {**BASE["order"], "paid_at": "2026-11-01T00:00:00+08:00"}}),  # paid after signing
    json.dumps({**BASE, "request": {**BASE["request"], "at": "9999-12-31T23:00:00Z"}}),        # past year 9999 locally
    "1" + "0" * 5000,                                                 # too many digits for Python
]


def requests_jsonl(n: int, seed: int = 7) -> str:
    """`n` lines: mostly valid requests around the period boundaries, some bad, some blank."""
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        if i % 11 == 5:
            lines.append(rnd.choice(BAD_LINES))
            continue
        if i % 17 == 3:
            lines.append("   ")
            continue
        facts = copy.deepcopy(BASE)
        facts["order"]["category"] = rnd.choice(["general", "fresh_food", "apparel", "electronics", "books"])
        facts["order"]["signed_at"] = rnd.choice([None, "2026-10-03T18:00:00+08:00", "2026-10-03T10:00:00Z"])
        facts["order"]["agreed_service_days"] = rnd.choice([None, 10, 30])
        facts["order"]["extensions_used"] = rnd.randint(0, 4)
        facts["request"]["reason"] = rnd.choice(["no_reason", "quality"])
        facts["request"]["product_used"] = rnd.random() < 0.5
        facts["request"]["quality_issue"] = rnd.random() < 0.5
        facts["request"]["evidence"] = rnd.choice(["provided", "verified"])
        day, time = rnd.choice([9, 10, 11, 17, 18, 19, 25]), rnd.choice(["00:00:00", "23:59:59", "12:30:00"])
        facts["request"]["at"] = f"2026-10-{day:02d}T{time}+08:00"
        lines.append(json.dumps(facts, ensure_ascii=False))
    return "\n".join(lines) + "\n"
