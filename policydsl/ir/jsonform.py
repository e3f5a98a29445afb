"""The normalised IR as JSON: a lossless interchange form other runtimes can evaluate.

    text = to_json(ps)            # deterministic: same IR, same bytes
    ps2 = from_json(text)         # ps2 == ps, and ps2.baseline == ps.baseline

Every IR node becomes an object whose "node" names its class (`and`, `calendar_period`,
`rule`, …) and whose other keys are the class's fields, in declaration order; tuples
become arrays. Source spans are not part of the IR's value and are left out. The
document is {"format": "policydsl-ir", "format_version": 2, "policy_set": {…}}, and a
merchant set's policy_set carries its platform baseline under "baseline" (null otherwise).
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from policydsl import ir

FORMAT = "policydsl-ir"
FORMAT_VERSION = 2

KINDS: dict[type, str] = {
    ir.Const: "const", ir.FactInt: "fact_int", ir.ParamInt: "param_int",
    ir.TrueCond: "true", ir.FalseCond: "false", ir.And: "and", ir.Or: "or", ir.NotCond: "not",
    ir.BoolFact: "bool_fact", ir.EnumIn: "enum_in", ir.IsNull: "is_null", ir.Compare: "compare",
    ir.Within: "within", ir.Expired: "expired", ir.Available: "available",
    ir.Fact: "fact", ir.Ordering: "ordering", ir.Param: "param",
    ir.CalendarPeriod: "calendar_period", ir.ExactPeriod: "exact_period", ir.BestPeriod: "best_period",
    ir.Capability: "capability", ir.CapabilityClaim: "capability_claim", ir.Action: "action",
    ir.Escalation: "escalation", ir.Scenario: "scenario", ir.Effect: "effect", ir.Rule: "rule", ir.PolicySet: "policy_set",
}
CLASSES: dict[str, type] = {kind: cls for cls, kind in KINDS.items()}


class IRFormatError(ValueError):
    """The text is not a policydsl IR document this version can read."""


def _fields(cls: type) -> tuple[attrs.Attribute, ...]:
    """The fields that make up a node's value (spans, the baseline and caches are not)."""
    return tuple(f for f in attrs.fields(cls) if f.eq and f.init)


def to_data(ps: ir.PolicySet) -> dict[str, Any]:
    """The IR document as JSON-ready data."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "policy_set": _encode(ps)}


def to_json(ps: ir.PolicySet, *, indent: int | None = None) -> str:
    """The IR document as JSON text: ASCII (any string a policy holds, even a lone surrogate
    from a `\\uXXXX` escape, survives), compact unless `indent` is given."""
    if indent is None:
        return json.dumps(to_data(ps), separators=(",", ":"))
    return json.dumps(to_data(ps), indent=indent)


def from_json(text: str) -> ir.PolicySet:
    """Read an IR document written by `to_json`; raise IRFormatError if it is not one."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IRFormatError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise IRFormatError(f"not a {FORMAT} document")
    if doc.get("format_version") != FORMAT_VERSION:
        raise IRFormatError(f"format_version {doc.get('format_version')!r} is not supported "
                            f"(this policydsl reads version {FORMAT_VERSION})")
    ps = _decode(doc.get("policy_set"), "policy_set")
    if not isinstance(ps, ir.PolicySet):
        raise IRFormatError("policy_set: expected a policy_set node")
    return ps


def _encode(value: Any) -> Any:
    cls = type(value)
    if cls in KINDS:
        out: dict[str, Any] = {"node": KINDS[cls]}
        for f in _fields(cls):
            out[f.name] = _encode(getattr(value, f.name))
        if cls is ir.PolicySet:
            out["baseline"] = _encode(value.baseline)
        return out
    if cls is tuple:
        return [_encode(v) for v in value]
    if value is None or cls in (bool, int, str):
        return value
    raise TypeError(f"cannot encode a `{cls.__name__}` in the IR")


def _decode(doc: Any, where: str) -> Any:
    if isinstance(doc, list):
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(doc))
    if not isinstance(doc, dict):
        return doc
    kind = doc.get("node")
    cls = CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise IRFormatError(f"{where}: unknown node {kind!r}")
    fields = _fields(cls)
    names = {f.name for f in fields} | {"node"} | ({"baseline"} if cls is ir.PolicySet else set())
    unknown = sorted(set(doc) - names)
    if unknown:
        raise IRFormatError(f"{where}: unknown key {unknown[0]!r} in a {kind} node")
    kwargs = {}
    for f in fields:
        if f.name not in doc:
            if f.default is attrs.NOTHING:
                raise IRFormatError(f"{where}: a {kind} node needs {f.name!r}")
            continue
        kwargs[f.alias] = _decode(doc[f.name], f"{where}.{f.name}")
    if cls is ir.PolicySet and doc.get("baseline") is not None:
        kwargs["baseline"] = _decode(doc["baseline"], f"{where}.baseline")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise IRFormatError(f"{where}: {exc}") from None


__all__ = ["CLASSES", "FORMAT", "FORMAT_VERSION", "IRFormatError", "KINDS", "from_json", "to_data", "to_json"]
