"""Witnesses: solve a query over partially known facts, turn the model into complete facts, and
replay them through the reference evaluator.

A month length whose anchor is unknown is only bounded in the model (shortest and longest month);
where the calendar gives another length at the dates the model chose, the query is solved again
with that length fixed, a few times at most (`MONTH_RETRIES`). A witness that still does not
replay is left out, with a PD520 warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from policydsl import ir
from policydsl.check.known import Pinned
from policydsl.check.logic import Formula, solve
from policydsl.evaluate.facts import validate
from policydsl.evaluate.interpreter import evaluate

MONTH_RETRIES = 4


def decide(ps: ir.PolicySet, facts: dict[str, Any]) -> dict[str, str]:
    """The reference evaluator's decision on complete facts: action → modality (present actions)."""
    decision = evaluate(ps, validate(facts, ps))
    return {a.action: a.modality for a in decision.actions}


def witness(pin: Pinned, query: Formula, accept: Callable[[dict[str, Any], dict[str, str]], bool],
            extra: Iterable[tuple[str, str, int]] = ()) -> tuple[dict[str, Any], dict[str, str]] | None | str:
    """Complete facts satisfying `query` whose evaluated decision `accept`s, with that decision;
    None when `query` has no model; "months" when models exist but none found replays (the
    month lengths of an unknown anchor could not be realised)."""
    extra = list(extra)
    pins: list[tuple[str, str, int]] = []
    for _ in range(MONTH_RETRIES + 1):
        model = solve(query, pin.with_constraints([*extra, *pins]))
        if model is None:
            return "months" if pins else None
        facts = pin.complete(model)
        decision = decide(pin.ps, facts)
        if accept(facts, decision):
            return facts, decision
        if not pin.has_free_months():
            raise AssertionError(f"a solver model does not replay in the evaluator: {facts}")
        pins = pin.month_pins(facts)
    return "months"
