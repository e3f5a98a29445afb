"""Small helpers for the language-core tests: run a stage, find a diagnostic, read its caret.

    from core_helpers import diag_of, one, underlined, edit_baseline
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from policydsl.diagnostics import Diagnostic, render_one
from policydsl.semantics import analyze
from policydsl.syntax import parse

ROOT = Path(__file__).resolve().parent.parent
BASELINE_PATH = ROOT / "policies" / "platform" / "after_sales.policy"
BASELINE_TEXT = BASELINE_PATH.read_text(encoding="utf-8")
BASELINE_NAME = "wechat-channels-after-sales"
MERCHANT_HEADER = f'merchant policy "fruit-shop" version "1" extends "{BASELINE_NAME}"\n'
#: The library's decision engines: the reference interpreter and the compiled code (the default).
ENGINES = ("interpreter", "compiled")


def diag_of(text: str, name: str = "t.policy") -> list[Diagnostic]:
    """Parse and (if the syntax is fine) analyse a platform policy; every diagnostic found."""
    parsed = parse(text, name)
    if parsed.diagnostics:
        return list(parsed.diagnostics)
    return list(analyze(parsed.policy).diagnostics)


def merchant_diag_of(text: str, name: str = "m.policy") -> list[Diagnostic]:
    """Parse a merchant policy and analyse it on top of the shipped baseline."""
    parsed = parse(text, name)
    if parsed.diagnostics:
        return list(parsed.diagnostics)
    platform = parse(BASELINE_TEXT, str(BASELINE_PATH))
    assert not platform.diagnostics
    return list(analyze(platform.policy, parsed.policy).diagnostics)


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


def one(diags: list[Diagnostic], code: str) -> Diagnostic:
    """The single diagnostic with `code` (fails listing what was found otherwise)."""
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(d.code, d.message) for d in diags]}"
    return found[0]


def underlined(d: Diagnostic) -> str:
    """The source text under the diagnostic's caret."""
    assert d.span is not None, f"{d.code} has no span"
    line = d.span.source.line_text(d.span.line)
    start = d.span.column - 1
    return line[start:start + d.span.caret_width()]


def where(d: Diagnostic) -> tuple[int, int]:
    assert d.span is not None, f"{d.code} has no span"
    return d.span.line, d.span.column


def position_of(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th occurrence of `needle` in `text`."""
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def edit_baseline(old: str, new: str, text: str = BASELINE_TEXT) -> str:
    """The baseline with the single occurrence of `old` replaced by `new`."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the baseline"
    return text.replace(old, new)


def caret_block(d: Diagnostic) -> tuple[str, str, str]:
    """The rendered first line, source line and caret line of one diagnostic (gutters stripped)."""
    lines = render_one(d).splitlines()
    return lines[0], lines[2].split(" | ", 1)[1], lines[3].split(" | ", 1)[1]


# ---- CLI ------------------------------------------------------------------------------

def run_cli(*args: str, input: str | None = None) -> Result:
    from policydsl.cli import main

    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)


def assert_no_traceback(result: Result) -> None:
    """The command ended by its own exit code, not by an uncaught exception."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception}\n{result.output}") \
            from result.exception
    assert "Traceback (most recent call last)" not in result.output


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---- facts documents -----------------------------------------------------------------------

def without(facts: dict[str, Any], *paths: str) -> dict[str, Any]:
    """A deep copy of a nested facts document with the facts at `paths` ("group.key") left out."""
    out = copy.deepcopy(facts)
    for path in paths:
        group, key = path.split(".")
        del out[group][key]
    return out


def with_values(facts: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a nested facts document with the facts at the keys ("group.key") set."""
    out = copy.deepcopy(facts)
    for path, value in values.items():
        group, key = path.split(".")
        out[group][key] = value
    return out
