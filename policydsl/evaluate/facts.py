"""Facts: validate one after-sales request (JSON) against the policy set's declared facts.

Every problem is a PD4xx diagnostic that names the fact path and what was
expected; nothing is defaulted. Valid facts become a flat mapping from fact
path to a Python value (timestamps as epoch microseconds).
"""

from __future__ import annotations

import json
import re
from typing import Any

from policydsl import ir
from policydsl.diagnostics import Diagnostic, PolicyDslError
from policydsl.compile.runtime import FactsError, validate_slow
from policydsl.source import Source, Span, point

FlatFacts = dict[str, Any]


class FactsInputError(PolicyDslError):
    """Facts that cannot be decided on; carries every PD4xx diagnostic found."""


class _Object(dict):
    """A JSON object whose text gave some key more than once (`duplicates`); json keeps the last."""

    duplicates: list[str]


def _build_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The `object_pairs_hook`: a dict, or an `_Object` noting the keys given more than once."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    dup = _Object(out)
    dup.duplicates = list(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return dup


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON value; write a number")


#: One strict decoder for every request (building one per call costs more than a small request's parse).
_DECODER = json.JSONDecoder(object_pairs_hook=_build_object, parse_constant=_no_constant)
#: `scan_lenient(text, 0)`: the value at the start of `text` and where it ends, read as strictly
#: as `load_json` reads (NaN and Infinity are no numbers) but all in C, so faster: without the
#: skipping of whitespace and a byte order mark before the value, nor the duplicate-key check
#: (of a key given twice, the last copy is kept, silently; only for callers that detect that
#: another way). Raises StopIteration, ValueError or RecursionError.
scan_lenient = json.JSONDecoder(parse_constant=_no_constant).scan_once


def _has_duplicates(value: Any) -> bool:
    """Whether any object in a parsed value had a key more than once (without recursion)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is _Object:
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif type(v) is list:
            stack.extend(v)
    return False


def _duplicates(value: Any, prefix: str = "") -> list[str]:
    """The paths given twice in a parsed JSON value, in text order."""
    out: list[str] = []
    if isinstance(value, dict):
        out += [prefix + k for k in getattr(value, "duplicates", ())]
        for k, v in value.items():
            out += _duplicates(v, f"{prefix}{k}.")
    return out


def load_json(text: str, source: Source) -> Any:
    """Parse JSON text (a leading byte order mark is skipped); a syntax error becomes PD401
    at its line and column. Strict JSON: NaN and Infinity are not numbers, and a key given
    twice in one object is an error (PD409), not silently the last value."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise FactsInputError([Diagnostic(code="PD401", message=f"facts are not valid JSON: {exc.msg}",
                                          span=point(source, exc.lineno, exc.colno),
                                          hint="facts are one JSON object, or JSON Lines (one object a line)")])
    except RecursionError:
        raise FactsInputError([Diagnostic(code="PD401", message="facts are not valid JSON: nested too deeply",
                                          span=point(source, 1, 1))])
    except ValueError as exc:  # NaN/Infinity, or an integer with more digits than Python converts
        raise FactsInputError([Diagnostic(code="PD401", message=f"facts are not valid JSON: {exc}",
                                          span=point(source, 1, 1))])
    twice = _duplicates(data) if _has_duplicates(data) else []
    if twice:
        loc = _Locator(source)
        raise FactsInputError([Diagnostic(code="PD409", message=f"`{path}` is given more than once",
                                          span=loc.span(path, copy=2),
                                          hint="give each fact once; JSON readers disagree on which copy counts")
                               for path in twice])
    return data


# A JSON value's first token: a string, a number, a literal, or the bracket opening an object or array.
_JSON_VALUE = re.compile(r'\s*("[^"\\\n]*(?:\\.[^"\\\n]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[\[{])')
#: Problems with a fact's key (a missing or unknown fact) are shown at the key; every other
#: problem is with the value given (wrong type, unknown enum value, bad timestamp, negative
#: count, contradiction), shown under that value.
KEY_CODES = frozenset({"PD402", "PD403"})


class _Locator:
    """Finds where a fact path's key, or its value, sits in the JSON text, for diagnostics."""

    def __init__(self, source: Source | None, first_line: int = 1) -> None:
        self.source = source
        self.first_line = first_line

    def span(self, path: str, value: bool = False, copy: int = 1) -> Span | None:
        """The key of `path` (or of the deepest object holding it), or with `value` the value
        given for it; the start of the text when neither is found. `copy`: which occurrence of
        the last key (2 for the duplicate of a key given twice)."""
        if self.source is None:
            return None
        text = self.source.text
        pos = 0
        found = -1
        key = ""
        complete = True
        whole = re.compile(r'"%s"\s*:' % re.escape(path)).search(text)  # a dotted key (PD403)
        segments = [path] if whole is not None else path.split(".")
        for index, segment in enumerate(segments):
            key_re = re.compile(r'"%s"\s*:' % re.escape(segment))
            m = key_re.search(text, pos)
            for _ in range(copy - 1 if index == len(segments) - 1 else 0):
                m = key_re.search(text, m.end()) if m is not None else None
            if m is None:
                complete = False
                break
            found, pos, key = m.start(), m.end(), segment
        if found < 0:
            return point(self.source, self.first_line, 1)
        width = len(key) + 2  # the key found, with its quotes
        if value and complete:
            m = _JSON_VALUE.match(text, pos)
            if m is not None:
                found, width = m.start(1), len(m.group(1))
        line = text.count("\n", 0, found) + 1
        column = found - (text.rfind("\n", 0, found) + 1) + 1
        return point(self.source, line, column, width)


def validate(data: Any, policy_set: ir.PolicySet, source: Source | None = None) -> FlatFacts:
    """Check `data` against the declared facts; raise FactsInputError listing every problem.

    The rules and messages live in `policydsl.compile.runtime.validate_slow`, which every compiled
    module carries too, so the interpreter and compiled code reject exactly the same input;
    here each problem gets its place in the JSON text: the key of a missing or unknown fact,
    the value of any other."""
    try:
        return validate_slow(data, ir.fact_spec(policy_set), ir.ordering_spec(policy_set),
                             policy_set.timezone_minutes)
    except FactsError as exc:
        loc = _Locator(source)
        raise FactsInputError([
            Diagnostic(code=e["code"], message=e["message"], hint=e["hint"],
                       span=loc.span(e["fact"], value=e["code"] not in KEY_CODES) if e["fact"]
                       else (point(source, 1, 1) if source else None))
            for e in exc.errors]) from None
