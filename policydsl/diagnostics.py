"""Diagnostics: one value type for every user-facing error and warning, and its text and JSON forms
(the CI reports, GitHub annotations and SARIF, are in policydsl.report).

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
    #: The file a diagnostic without a span is about (PD001: a file that cannot be read).
    file: str | None = None

    @property
    def is_error(self) -> bool:
        """An error (exit code 1 or 2), not a warning."""
        return self.severity is Severity.ERROR

    @property
    def path(self) -> str | None:
        """The file the diagnostic is about: its span's, else `file`."""
        return self.span.file if self.span is not None else self.file

    def sort_key(self) -> tuple[str, int, int, str]:
        """File, line, column, code: the order diagnostics are reported in."""
        if self.span is None:
            return (self.file or "", 0, 0, self.code)
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

#: ANSI styles of the text form on a terminal: errors red, warnings yellow, the code bold.
_STYLE = {Severity.ERROR: "31", Severity.WARNING: "33"}


def _paint(text: str, sgr: str, color: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if color else text


def render_one(d: Diagnostic, *, color: bool = False) -> str:
    """`file:line:col: error[PD201]: message`, the source line, a caret, then the hint.
    With `color`, the severity is red (error) or yellow (warning) and the code bold (ANSI)."""
    where = f"{d.span}: " if d.span is not None else ""  # a whole-file message names its file itself
    head = (f"{_paint(d.severity.value, '1;' + _STYLE[d.severity], color)}"
            f"[{_paint(d.code, '1', color)}]" if color else f"{d.severity.value}[{d.code}]")
    lines = [f"{where}{head}: {d.message}"]
    if d.span is not None:
        text = d.span.source.line_text(d.span.line)
        if text or d.span.line >= 1:
            gutter = str(d.span.line)
            pad = " " * len(gutter)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text.expandtabs(1)}")
            caret = _paint("^" * d.span.caret_width(), _STYLE[d.severity], color)
            lines.append(f"{pad} | {' ' * (d.span.column - 1)}{caret}")
    for note in d.notes:
        lines.append(f"  = note: {note}")
    if d.hint:
        lines.append(f"  = hint: {d.hint}")
    return "\n".join(lines)


def render_text(diagnostics: Iterable[Diagnostic], *, color: bool = False) -> str:
    return "\n\n".join(render_one(d, color=color) for d in diagnostics)


def to_json_dict(d: Diagnostic) -> dict[str, object]:
    out: dict[str, object] = {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": d.path,
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


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean `x`?' hint for a misspelled name, or None."""
    import difflib

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None
