"""Semantics cases as fixture pairs: each `tests/fixtures/semantics/*.policy` says in its header
which diagnostics analysing it must give, and nothing else.

    # baseline: mini.policy          (optional: the platform file a merchant fixture extends)
    # expect: PD208 4:28 text        (one line per diagnostic, in order: code, line:column, and a
    #                                 piece of the message; `# expect: (none)` for a clean file)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policydsl.api import load_set

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "semantics"
EXPECT = re.compile(r"# expect: (?:\(none\)|(PD\d{3}) (\d+):(\d+) (.+))$")


def expected(path: Path) -> tuple[str | None, list[tuple[str, int, int, str]]]:
    baseline, out = None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# baseline: "):
            baseline = line.removeprefix("# baseline: ").strip()
        m = EXPECT.fullmatch(line.strip())
        if m and m.group(1):
            out.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
    return baseline, out


CASES = sorted(FIXTURES.glob("*.policy"))


def test_every_fixture_states_what_it_expects() -> None:
    assert CASES
    for path in CASES:
        assert "# expect: " in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path: Path) -> None:
    baseline, wanted = expected(path)
    result = load_set([path], FIXTURES / baseline if baseline else None)
    got = [(d.code, d.span.line if d.span else 0, d.span.column if d.span else 0, d.message)
           for d in result.diagnostics]
    assert [g[:3] for g in got] == [w[:3] for w in wanted], got
    for (_, _, _, message), (_, _, _, piece) in zip(got, wanted):
        assert piece in message, (piece, message)
    assert result.ok is (not any(code for code, *_ in wanted if not code.startswith("PD3")))
