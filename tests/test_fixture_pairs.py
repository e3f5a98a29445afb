"""Syntax and semantics cases as fixture pairs: each `tests/fixtures/{syntax,semantics}/*.policy`
says, in `#` comments anywhere in the file, which diagnostics loading it must give, and
nothing else:

    # baseline: mini.policy          (optional: the platform file a merchant fixture extends)
    # expect: PD208 4:28 text        (one line per diagnostic, in order: code, line:column, and a
    #                                 piece of the message; `# expect: (none)` for a clean file)
    # hint: text                     (optional, after an `expect`: that diagnostic's whole hint)

A new case is a new file; the expectation sits next to the input it is about.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from policydsl.api import load_set

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECT = re.compile(r"# expect: (?:\(none\)|(PD\d{3}) (\d+):(\d+) (.+))$")


@attrs.define
class Expected:
    code: str
    line: int
    column: int
    message_piece: str
    hint: str | None = None


def expected(path: Path) -> tuple[str | None, list[Expected]]:
    baseline, out = None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# baseline: "):
            baseline = line.removeprefix("# baseline: ").strip()
        elif line.startswith("# hint: "):
            assert out, f"{path.name}: a `# hint:` line must follow an `# expect:` line"
            out[-1].hint = line.removeprefix("# hint: ")
        elif m := EXPECT.fullmatch(line):
            if m.group(1):
                out.append(Expected(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
    return baseline, out


CASES = sorted((FIXTURES / "syntax").glob("*.policy")) + sorted((FIXTURES / "semantics").glob("*.policy"))


def test_every_fixture_states_what_it_expects() -> None:
    assert {p.parent.name for p in CASES} == {"syntax", "semantics"}
    for path in CASES:
        text = path.read_text(encoding="utf-8")
        assert "# expect: " in text, path.name


@pytest.mark.parametrize("path", CASES,
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture(path: Path) -> None:
    baseline, wanted = expected(path)
    result = load_set([path], path.parent / baseline if baseline else None)
    got = [(d.code, d.span.line if d.span else 0, d.span.column if d.span else 0) for d in result.diagnostics]
    assert got == [(w.code, w.line, w.column) for w in wanted], [(d.code, d.message) for d in result.diagnostics]
    for d, w in zip(result.diagnostics, wanted):
        assert w.message_piece in d.message, (w.message_piece, d.message)
        if w.hint is not None:
            assert d.hint == w.hint
    assert result.ok is (not any(w for w in wanted if not w.code.startswith("PD3")))
