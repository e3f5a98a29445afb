"""The grammar: loading grammar/policy.lark (shipped inside the wheel) and the LALR parser."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path as FsPath

from lark import Lark


GRAMMAR_FILE = "policy.lark"
MAX_SYNTAX_ERRORS = 20
#: The deepest parse tree a declaration may have (about 100 levels of nested parentheses, 200 of
#: `not`). Every stage after parsing walks conditions recursively; beyond this, PD107.
MAX_TREE_DEPTH = 200
#: The name of the shipped platform baseline (policies/platform/after_sales.policy), used in hints
#: that show a merchant header; a test keeps it equal to the shipped file's name.
SHIPPED_BASELINE = "wechat-channels-after-sales"
#: The most digits a number in a policy may have. Larger numbers are out of range: beyond any
#: count an order has, any span of the years 0001–9999 (even in microseconds), and the 64-bit
#: integers of other runtimes of the IR; Python would not even convert one of 4,300 digits.
MAX_INT_DIGITS = 18


def grammar_text() -> str:
    """The grammar shipped in the wheel (policydsl/grammar), or the checkout's grammar/ folder."""
    packaged = resources.files("policydsl").joinpath("grammar").joinpath(GRAMMAR_FILE)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = FsPath(__file__).resolve().parents[2] / "grammar" / GRAMMAR_FILE
    return checkout.read_text(encoding="utf-8")


@functools.cache
def parser() -> Lark:
    """The LALR parser, built once per process."""
    # cache=True keeps the LALR tables in the temp directory, keyed by the grammar text and
    # these options: building them takes ~0.5 s, loading them ~20 ms (every CLI run pays this).
    return Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True, start=["start", "declarations_only"], cache=True)
