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


_FIELDS = ("scenario", "actions", "periods", "extension", "overridden", "trace", "conflicts", "escalation")


class Decision:
    """What a policy set decides for one request: an immutable value.

    The interpreter builds one from its parts; the compiled engine's is lazy
    (`Decision.from_dict`): it holds the decision's JSON form and builds the fields on first
    access, so `PolicySet.decide(...).to_json()` never builds them at all. Either way the
    fields, equality and `to_dict()` are the same."""

    __slots__ = ("_parts", "_doc", "_entries")

    def __init__(self, scenario: tuple[str, ...], actions: tuple[ActionEntry, ...], periods: tuple[PeriodEntry, ...],
                 extension: Extension | None, overridden: tuple[Override, ...], trace: tuple[str, ...],
                 conflicts: tuple[Conflict, ...] = (), escalation: EscalationEntry | None = None) -> None:
        object.__setattr__(self, "_parts", (scenario, actions, periods, extension, overridden, trace, conflicts,
                                            escalation))
        object.__setattr__(self, "_doc", None)
        object.__setattr__(self, "_entries", None)

    @classmethod
    def from_dict(cls, doc: dict[str, Any],
                  entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry] | None = None) -> Decision:
        """The Decision whose `to_dict()` is `doc`, which it takes over (the caller must not change
        it). `entries` caches action entries, which repeat from one decision to the next."""
        decision = object.__new__(cls)
        object.__setattr__(decision, "_parts", None)
        object.__setattr__(decision, "_doc", doc)
        object.__setattr__(decision, "_entries", entries)
        return decision

    def __setattr__(self, name: str, value: Any) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def _fields(self) -> tuple[Any, ...]:
        parts = self._parts
        if parts is None:
            parts = _parts_of(self._doc, self._entries if self._entries is not None else {})
            object.__setattr__(self, "_parts", parts)
        return parts

    scenario = property(lambda self: self._fields()[0], doc="The clauses whose scenario holds, in order.")
    actions = property(lambda self: self._fields()[1], doc="What the merchant must/should/may/must not do.")
    periods = property(lambda self: self._fields()[2], doc="Every period that applies, with its deadline.")
    extension = property(lambda self: self._fields()[3], doc="The N3 extension's state (the first capability).")
    overridden = property(lambda self: self._fields()[4], doc="Merchant rules void for these facts (G3).")
    trace = property(lambda self: self._fields()[5], doc="Why: the scenarios that hold and the rules that fired.")
    conflicts = property(lambda self: self._fields()[6], doc="`must` duties a needed capability cannot serve.")
    escalation = property(lambda self: self._fields()[7], doc="N1: whether and how the platform may intervene.")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Decision(" + ", ".join(f"{name}={value!r}" for name, value in zip(_FIELDS, self._fields())) + ")"

    def replace(self, **changes: Any) -> Decision:
        """A copy with some fields changed (`decision.replace(conflicts=())`)."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise TypeError(f"Decision has no field {sorted(unknown)[0]!r}")
        return Decision(**{**dict(zip(_FIELDS, self._fields())), **changes})

    def modality(self, action: str) -> str | None:
        """The modality the decision gives `action` (`must`, `should`, `may`, `must_not`), or None."""
        for a in self.actions:
            if a.action == action:
                return a.modality
        return None

    def to_dict(self) -> dict[str, Any]:
        """The decision's JSON form (docs/semantics.md §4), a new dict each call."""
        if self._doc is not None:
            return _copy(self._doc)
        (scenario, actions, periods, extension, overridden, trace, conflicts, escalation) = self._parts
        return {
            "scenario": list(scenario),
            "actions": [a.to_dict() for a in actions],
            "periods": [p.to_dict() for p in periods],
            "extension": extension.to_dict() if extension else None,
            "conflicts": [c.to_dict() for c in conflicts],
            "escalation": escalation.to_dict() if escalation else None,
            "overridden": [o.to_dict() for o in overridden],
            "trace": list(trace),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The JSON text `policydsl eval` prints: the keys of `to_dict`, in its order."""
        return dumps(self._doc if self._doc is not None else self.to_dict(), indent=indent)


def _copy(value: Any) -> Any:
    """A copy of a JSON-like value (dicts and lists copied, scalars shared)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


def dumps(doc: Any, *, indent: int | None = None) -> str:
    """The one JSON encoding policydsl prints: fixed key order, UTF-8 text, no spaces on one line."""
    if indent is None:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(doc, ensure_ascii=False, indent=indent)


# ---- decisions from their JSON form ------------------------------------------------------------------

def decision_from_dict(doc: Mapping[str, Any],
                       entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry] | None = None) -> Decision:
    """The Decision whose `to_dict()` is `doc` (the compiled engine's output), built lazily."""
    return Decision.from_dict(dict(doc), entries)


def _parts_of(doc: Mapping[str, Any], entries: dict[tuple[str, str, tuple[str, ...], str], ActionEntry]
              ) -> tuple[Any, ...]:
    """A decision's fields from its JSON form, in `_FIELDS` order."""
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
    return (tuple(doc["scenario"]), tuple(actions), tuple(periods),
            Extension(ext["eligible"], ext["remaining"], ext["why"]) if ext is not None else None,
            tuple([Override(o["rule"], tuple(o["clause"]), o["action"], _modality(o["merchant"]),
                            _modality(o["baseline"])) for o in doc["overridden"]]),
            tuple(doc["trace"]),
            tuple(Conflict(c["action"], c["modality"], c["capability"], c["why"], tuple(c["cites"]))
                  for c in doc["conflicts"]),
            EscalationEntry(tuple(esc["rulings"]), tuple(esc["cites"])) if esc is not None else None)


def _modality(text: str) -> str | None:
    return None if text == "absent" else text
