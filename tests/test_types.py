"""Comparisons are typed: counts, durations (days, hours, months), timestamps, enums and bools
never compare across kinds. Every ill-typed comparison is PD208 with a hint; every well-typed
one is accepted. The property test builds comparisons from operands of every kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_helpers import codes, diag_of

POLICY = """platform policy "types" version "1"
timezone "+08:00"
now request.at
clause G1 "the only clause"
enum reason {{ no_reason, quality }}
fact request.at: timestamp
fact request.reason: reason
fact order.used: bool
fact order.n: count
fact order.d: days?
param p_days = 7 days cites G1
param p_months = 1 year cites G1
param p_hours = 48 hours cites G1
action help: pro_buyer
rule r cites G1 when {condition} then must help
"""

#: (operand text, kind); `number` is a bare integer.
OPERANDS = [
    ("order.n", "count"), ("3", "number"), ("order.d", "days"), ("30 days", "days"), ("p_days", "days"),
    ("12 hours", "hours"), ("p_hours", "hours"), ("2 months", "months"), ("1 year", "months"),
    ("p_months", "months"), ("request.at", "timestamp"), ("request.reason", "enum"), ("order.used", "bool"),
]
NUMERIC = {"count", "days", "hours", "months", "number"}


def well_typed(a: str, b: str) -> bool:
    """The rule, stated independently of the analyzer: one kind on both sides, or a count and a number."""
    return (a == b and a in NUMERIC) or {a, b} == {"count", "number"}


@settings(max_examples=300, deadline=None)
@given(left=st.sampled_from(OPERANDS), right=st.sampled_from(OPERANDS),
       op=st.sampled_from(["<", "<=", "==", "!=", ">=", ">"]))
def test_a_comparison_is_accepted_exactly_when_it_is_well_typed(left, right, op):
    ds = diag_of(POLICY.format(condition=f"{left[0]} {op} {right[0]}"))
    if well_typed(left[1], right[1]):
        assert ds == [], [d.message for d in ds]
    else:
        assert codes(ds) == ["PD208"], [d.message for d in ds]
        assert ds[0].message.startswith("cannot compare") or "compare" in ds[0].message


@pytest.mark.parametrize("condition, hint", [
    ("order.n > 10 days", "a count is not a duration; declare a fact that counts days with type `days`"),
    ("order.n > 10 hours", "a count is not a duration; compare it with a number such as `3`"),
    ("order.d >= 30", "write the unit: `N days`"),
    ("p_days > 48 hours", "durations compare only in the same unit (days, hours, or months and years)"),
    ("request.at > 3", "periods are tested with `within p` / `expired p`"),
])
def test_each_mistake_gets_a_hint(condition: str, hint: str):
    d, = diag_of(POLICY.format(condition=condition))
    assert d.code == "PD208" and d.hint == hint


def test_the_shipped_mistake_is_caught():
    """`order.extensions_used > 10 days` passed `check` before comparisons were typed."""
    text = POLICY.replace("fact order.n: count", "fact order.extensions_used: count").format(
        condition="order.extensions_used > 10 days")
    d, = diag_of(text)
    assert d.code == "PD208" and d.message == "cannot compare `order.extensions_used` (a count) with a duration in days"
