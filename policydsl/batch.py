"""Facts input for `eval`: one JSON object, or JSON Lines streamed one request a line.

Each record becomes one output line, in input order: a decision, or an error
record `{"line": N, "errors": [...]}`; a bad line never stops the batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from policydsl.api import PolicySet
from policydsl.decision import dumps
from policydsl.diagnostics import Diagnostic, PolicyDslError
from policydsl.source import Source


def is_json_lines(path: str, head: str) -> bool:
    """JSON Lines when the file says so by name, or when its text holds more than one JSON value."""
    if path.endswith((".jsonl", ".ndjson")):
        return True
    try:
        json.loads(head)
        return False
    except json.JSONDecodeError as exc:
        return exc.msg == "Extra data"


def iter_lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    """(line number, text) for every non-blank line, read lazily."""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def decide_line(policy: PolicySet, number: int, text: str, name: str) -> tuple[bool, str]:
    """One JSON Lines record → (ok, output line)."""
    source = Source(name, text)
    try:
        decision = policy.decide_json(text, name)
    except PolicyDslError as exc:
        return False, dumps({"line": number, "errors": [error_record(d, number) for d in exc.diagnostics]})
    return True, decision.to_json()


def error_record(d: Diagnostic, line: int) -> dict[str, Any]:
    return {"code": d.code, "message": d.message, "line": line, "column": d.span.column if d.span else None,
            "hint": d.hint}
