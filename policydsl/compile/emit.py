"""What the code generator writes with: literals that cannot inject code, indented lines
with a map back to the policy element each line is code for, and string concatenation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from policydsl.ir.normalize import IRError

#: Raised when the IR cannot be compiled (it references something it does not declare).
CodegenError = IRError

_SAFE_TYPES = (bool, int, str, type(None))


def lit(value: Any) -> str:
    """The Python literal for a checked value: bool, int, str, None, or tuples of them."""
    if type(value) is tuple:
        inner = ", ".join(lit(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if type(value) not in _SAFE_TYPES:
        raise CodegenError(f"cannot embed a `{type(value).__name__}` literal")
    return repr(value)


class Code(str):
    """A piece of Python code among raw text pieces (see `concat`)."""


Origin = tuple[str, str]  # the policy element a generated line is code for: (kind, name), e.g. ("rule", "r1")
NO_ORIGIN: Origin = ("", "")


class Writer:
    """Lines of code at an indentation depth."""

    def __init__(self, depth: int = 1) -> None:
        self.lines: list[str] = []
        self.depth = depth
        self.origin: Origin = NO_ORIGIN
        self.marks: list[tuple[int, Origin]] = []  # (index of the first line, origin) where the origin changes

    def emit(self, text: str) -> None:
        if not self.marks or self.marks[-1][1] != self.origin:
            self.marks.append((len(self.lines), self.origin))
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def at(self, kind: str, name: str) -> Iterator[None]:
        """Lines emitted inside are code for the policy element (kind, name): the line map."""
        previous, self.origin = self.origin, (kind, name)
        try:
            yield
        finally:
            self.origin = previous

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.emit(header)
        self.depth += 1
        yield
        self.depth -= 1

    def when(self, test: str) -> AbstractContextManager[None]:
        """`if test:` around the code, or no block at all when the test is the literal True."""
        return nullcontext() if test == "True" else self.block(f"if {test}:")


def simple(text: str) -> bool:
    """A name or a bool literal: no need to store it in a local."""
    return text.isidentifier() or text in ("True", "False")


def concat(pieces: list[str]) -> str:
    """A string expression joining raw text pieces and `Code` pieces (adjacent text merged)."""
    merged: list[str] = []
    for p in pieces:
        if merged and not isinstance(p, Code) and not isinstance(merged[-1], Code):
            merged[-1] += p
        elif p:
            merged.append(p)
    parts = [p if isinstance(p, Code) else lit(p) for p in merged]
    if len(parts) <= 4:
        return " + ".join(parts) or "''"
    return f"''.join(({', '.join(parts)}))"
