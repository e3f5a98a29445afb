"""GitHub Actions workflow commands (`::error file=…,line=…::message`): annotations on a pull request."""

from __future__ import annotations

from collections.abc import Iterable

from policydsl.diagnostics import Diagnostic
from policydsl.report.common import full_message
from policydsl.source import Span


def escape_data(text: str) -> str:
    """The message of a workflow command: `%`, CR and LF are percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as `escape_data`, and `:` and `,` too (they separate properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, *, file: str | None = None, span: Span | None = None,
            title: str | None = None) -> str:
    """One workflow command. A span gives line, col, endLine and endColumn (columns 1-based, the end
    column just past the last character, as in SARIF)."""
    props: list[str] = []
    if file is not None:
        props.append(f"file={escape_property(file)}")
    if span is not None:
        props += [f"line={span.line}", f"col={span.column}", f"endLine={span.end_line}",
                  f"endColumn={_end_column(span)}"]
    if title is not None:
        props.append(f"title={escape_property(title)}")
    return f"::{kind} {','.join(props)}::{escape_data(message)}" if props else f"::{kind}::{escape_data(message)}"


def _end_column(span: Span) -> int:
    """Just past the last character; at least one character on a one-line span."""
    return max(span.end_column, span.column + 1) if span.end_line == span.line else span.end_column


def render_github(diagnostics: Iterable[Diagnostic], *, baseline: str | None = None) -> str:
    """One annotation per diagnostic, with the hint, the notes (a counterexample) and the command that
    reproduces it in the message."""
    return "\n".join(command("error" if d.is_error else "warning", full_message(d, baseline), file=d.path,
                             span=d.span, title=d.code)
                     for d in diagnostics)
