"""Pieces of `decide_validated_json`, the generated function that writes a decision's JSON
text directly (byte for byte `json.dumps(decide_validated(f), ensure_ascii=False,
separators=(",", ":"))`) instead of building dicts for `json.dumps` to walk.

Constant parts are encoded here, at generation time, and reach the module through `lit`;
the parts known only at run time go through the runtime's `json_string`, `json_strings`
and `json_value`, or are text that needs no escaping (integers, `fmt` timestamps)."""

from __future__ import annotations

import json
from typing import Any

from policydsl.compile.emit import Code, concat

#: The decision's keys, in the order `decide_validated` builds them, and the local holding each
#: one's JSON text (lists: JSON texts of their items).
_PARTS = (("scenario", "sc", True), ("actions", "acts", True), ("periods", "per", True), ("extension", "ext", False),
          ("conflicts", "cf", True), ("escalation", "esc", False), ("overridden", "ov", True), ("trace", "tr", True))


def text(value: Any) -> str:
    """The JSON text of a constant, as policydsl prints it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def inner(value: str) -> str:
    """The JSON text of a constant string without its quotes (a piece of a longer string)."""
    return text(value)[1:-1]


def needs_no_escape(value: str) -> bool:
    return inner(value) == value


def string(expr: str) -> Code:
    """The JSON text of the string held by expression `expr`."""
    return Code(f"json_string({expr})")


def action_entry(action: str, modality: str | Code, cites: Code, source: str | Code) -> str:
    """An expression for one `actions` entry; `modality` and `source` are constants (str) or
    expressions of strings (Code), `cites` an expression of a tuple of strings."""
    pieces: list[str] = ['{"action":' + text(action) + ',"modality":']
    pieces.append(modality if isinstance(modality, Code) else text(modality))
    pieces += [',"cites":', Code(f"json_strings({cites})"), ',"source":']
    pieces.append(source if isinstance(source, Code) else text(source))
    pieces.append("}")
    return concat(pieces)


def decision() -> str:
    """The expression joining the parts into the decision's text."""
    pieces: list[str] = []
    for i, (key, local, is_list) in enumerate(_PARTS):
        pieces.append(("{" if i == 0 else ",") + text(key) + ":" + ("[" if is_list else ""))
        pieces.append(Code(f"','.join({local})" if is_list else local))
        if is_list:
            pieces.append("]")
    pieces.append("}")
    return concat(pieces)
