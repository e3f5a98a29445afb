"""Source text and spans: where every AST node, diagnostic and fact came from."""

from __future__ import annotations

import attrs


@attrs.frozen
class Source:
    """One input text (a policy file or a facts document) and its display name."""

    name: str
    text: str = attrs.field(repr=False)

    def line_text(self, line: int) -> str:
        """The 1-based `line` of the text, without its newline ('' past the end)."""
        lines = self.text.split("\n")  # as the parser counts lines: only \n ends one
        return lines[line - 1].rstrip("\r") if 1 <= line <= len(lines) else ""


@attrs.frozen
class Span:
    """A region of a source: 1-based line and column of its start and end."""

    source: Source = attrs.field(repr=False, eq=False)
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def file(self) -> str:
        return self.source.name

    def caret_width(self) -> int:
        """How many columns the caret underline covers on the first line."""
        if self.end_line == self.line and self.end_column > self.column:
            return self.end_column - self.column
        return max(1, len(self.source.line_text(self.line)) - self.column + 1)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def point(source: Source, line: int, column: int, width: int = 1) -> Span:
    """A span that starts at (line, column) and covers `width` columns."""
    return Span(source, line, column, line, column + width)
