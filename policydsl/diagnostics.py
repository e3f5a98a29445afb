"""Diagnostics: one value type for every user-facing error and warning, and its renderers.

Codes are stable and documented in docs/error-codes.md:
PD0xx usage and input files, PD1xx syntax, PD2xx names and types,
PD3xx favourability (merchant vs baseline), PD4xx facts (request input).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence

import attrs

from policydsl.source import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class Diagnostic:
    """A message about a place in the user's input, with a stable code and an optional hint."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[str, ...] = ()
    data: dict[str, object] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)


class PolicyDslError(Exception):
    """Raised by the public API when input cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        if not diagnostics:
            raise ValueError("PolicyDslError needs at least one diagnostic")
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(render_text(self.diagnostics))

    def __reduce__(self):  # keep picklable across worker processes
        return (type(self), (self.diagnostics,))


def errors_in(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.is_error]


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in file, line, column order; stable for equal keys."""
    return sorted(diagnostics, key=Diagnostic.sort_key)


# ---- renderers ------------------------------------------------------------

def render_one(d: Diagnostic) -> str:
    """`file:line:col: error[PD201]: message`, the source line, a caret, then the hint."""
    where = f"{d.span}: " if d.span is not None else ""
    lines = [f"{where}{d.severity.value}[{d.code}]: {d.message}"]
    if d.span is not None:
        text = d.span.source.line_text(d.span.line)
        if text or d.span.line >= 1:
            gutter = str(d.span.line)
            pad = " " * len(gutter)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text.expandtabs(1)}")
            lines.append(f"{pad} | {' ' * (d.span.column - 1)}{'^' * d.span.caret_width()}")
    for note in d.notes:
        lines.append(f"  = note: {note}")
    if d.hint:
        lines.append(f"  = hint: {d.hint}")
    return "\n".join(lines)


def render_text(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n\n".join(render_one(d) for d in diagnostics)


def to_json_dict(d: Diagnostic) -> dict[str, object]:
    out: dict[str, object] = {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": d.span.file if d.span else None,
        "line": d.span.line if d.span else None,
        "column": d.span.column if d.span else None,
        "end_line": d.span.end_line if d.span else None,
        "end_column": d.span.end_column if d.span else None,
        "hint": d.hint,
        "notes": list(d.notes),
    }
    out.update(d.data)
    return out


def render_json(diagnostics: Iterable[Diagnostic], **extra: object) -> str:
    ds = list(diagnostics)
    doc: dict[str, object] = dict(extra)
    doc["violations"] = [to_json_dict(d) for d in ds if d.code.startswith("PD3") and d.is_error]
    doc["diagnostics"] = [to_json_dict(d) for d in ds]
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False)


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one `::error file=…,line=…,col=…::` line each."""
    out = []
    for d in diagnostics:
        kind = "error" if d.is_error else "warning"
        props = [f"title={_github_escape(d.code, prop=True)}"]
        if d.span is not None:
            props = [
                f"file={_github_escape(d.span.file, prop=True)}",
                f"line={d.span.line}",
                f"col={d.span.column}",
                f"endLine={d.span.end_line}",
            ] + props
        body = d.message + (f" (hint: {d.hint})" if d.hint else "")
        out.append(f"::{kind} {','.join(props)}::{_github_escape(body)}")
    return "\n".join(out)


def render_sarif(diagnostics: Iterable[Diagnostic], *, tool_version: str) -> str:
    """SARIF 2.1.0 for code-scanning upload."""
    ds = list(diagnostics)
    rule_ids = sorted({d.code for d in ds})
    results = []
    for d in ds:
        result: dict[str, object] = {
            "ruleId": d.code,
            "level": "error" if d.is_error else "warning",
            "message": {"text": d.message + (f"\nhint: {d.hint}" if d.hint else "")},
        }
        if d.span is not None:
            result["locations"] = [{
                "physicalLocation": {
                    "artifactLocation": {"uri": d.span.file},
                    "region": {
                        "startLine": d.span.line,
                        "startColumn": d.span.column,
                        "endLine": d.span.end_line,
                        "endColumn": max(d.span.end_column, d.span.column + 1),
                    },
                }
            }]
        if d.data:
            result["properties"] = d.data
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "policydsl",
                "version": tool_version,
                "informationUri": "https://example.invalid/policydsl",
                "rules": [{"id": r, "helpUri": "docs/error-codes.md"} for r in rule_ids],
            }},
            "results": results,
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean `x`?' hint for a misspelled name, or None."""
    import difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None
