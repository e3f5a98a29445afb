"""Decisions: the immutable result of evaluating a policy set on one request (docs/semantics.md §4)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class ActionEntry:
    action: str
    modality: str
    cites: tuple[str, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "modality": self.modality, "cites": list(self.cites), "source": self.source}


@attrs.frozen
class PeriodEntry:
    name: str
    length: int
    unit: str  # "days" | "hours" | "months"
    deadline: str | None  # last instant inside the period; None while it has not started
    expired: bool
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, self.unit: self.length, "deadline": self.deadline, "expired": self.expired,
                "source": self.source}


@attrs.frozen
class Extension:
    eligible: bool
    remaining: int
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "remaining": self.remaining, "why": self.why}


@attrs.frozen
class Conflict:
    """A duty the platform cannot carry out: `must ACTION` while the capability it needs is unavailable."""

    action: str
    modality: str
    capability: str
    why: str
    cites: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "modality": self.modality, "capability": self.capability, "why": self.why,
                "cites": list(self.cites)}


@attrs.frozen
class EscalationEntry:
    """N1: the buyer may escalate; the platform may intervene and make one of `rulings`."""

    rulings: tuple[str, ...]
    cites: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"platform_may_intervene": True, "rulings": list(self.rulings), "cites": list(self.cites)}


@attrs.frozen
class Override:
    """A merchant rule (or setting) that was void for these facts (G3); the baseline applied."""

    rule: str
    clause: tuple[str, ...]
    action: str
    merchant: str | None
    baseline: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "clause": list(self.clause), "action": self.action,
                "merchant": self.merchant or "absent", "baseline": self.baseline or "absent"}


@attrs.frozen
class Decision:
    scenario: tuple[str, ...]
    actions: tuple[ActionEntry, ...]
    periods: tuple[PeriodEntry, ...]
    extension: Extension | None
    overridden: tuple[Override, ...]
    trace: tuple[str, ...]
    conflicts: tuple[Conflict, ...] = ()
    escalation: EscalationEntry | None = None

    def modality(self, action: str) -> str | None:
        for a in self.actions:
            if a.action == action:
                return a.modality
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": list(self.scenario),
            "actions": [a.to_dict() for a in self.actions],
            "periods": [p.to_dict() for p in self.periods],
            "extension": self.extension.to_dict() if self.extension else None,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "escalation": self.escalation.to_dict() if self.escalation else None,
            "overridden": [o.to_dict() for o in self.overridden],
            "trace": list(self.trace),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return dumps(self.to_dict(), indent=indent)


def dumps(doc: Any, *, indent: int | None = None) -> str:
    """The one JSON encoding policydsl prints: fixed key order, UTF-8 text, no spaces on one line."""
    if indent is None:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(doc, ensure_ascii=False, indent=indent)


# ---- decisions from their JSON form ------------------------------------------------------------------

def decision_from_dict(doc: Mapping[str, Any],
                       entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry] | None = None) -> Decision:
    """The Decision whose `to_dict()` is `doc` (the compiled engine's output). `entries`
    caches the action entries, which repeat from one decision to the next."""
    entries = {} if entries is None else entries
    actions = []
    for a in doc["actions"]:
        key = (a["action"], a["modality"], tuple(a["cites"]), a["source"])
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = ActionEntry(*key)
        actions.append(entry)
    periods = []
    for p in doc["periods"]:
        unit = "days" if "days" in p else "months" if "months" in p else "hours"
        periods.append(PeriodEntry(p["name"], p[unit], unit, p["deadline"], p["expired"], p["source"]))
    ext = doc["extension"]
    esc = doc["escalation"]
    return Decision(
        scenario=tuple(doc["scenario"]),
        actions=tuple(actions),
        periods=tuple(periods),
        extension=Extension(ext["eligible"], ext["remaining"], ext["why"]) if ext is not None else None,
        overridden=tuple([Override(o["rule"], tuple(o["clause"]), o["action"], _modality(o["merchant"]),
                                   _modality(o["baseline"])) for o in doc["overridden"]]),
        trace=tuple(doc["trace"]),
        conflicts=tuple(Conflict(c["action"], c["modality"], c["capability"], c["why"], tuple(c["cites"]))
                        for c in doc["conflicts"]),
        escalation=EscalationEntry(tuple(esc["rulings"]), tuple(esc["cites"])) if esc is not None else None,
    )


def _modality(text: str) -> str | None:
    return None if text == "absent" else text
