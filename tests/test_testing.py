"""The in-file test runner checks every kind of expectation the grammar accepts."""

from __future__ import annotations

import typing

import pytest

from policydsl.syntax import ast
from policydsl.evaluate.decision import Conflict, Decision, EscalationEntry
from policydsl.tools.testing import _check

NAME = ast.Name(text="reopen")
SAMPLES = {
    ast.ExpectAction: ast.ExpectAction(modality="must", action=NAME),
    ast.ExpectAbsent: ast.ExpectAbsent(action=NAME),
    ast.ExpectScenario: ast.ExpectScenario(clause=ast.Name(text="S1")),
    ast.ExpectExtension: ast.ExpectExtension(eligible=True),
    ast.ExpectConflict: ast.ExpectConflict(action=NAME),
    ast.ExpectEscalation: ast.ExpectEscalation(present=True),
}
EMPTY = Decision(scenario=(), actions=(), periods=(), extension=None, overridden=(), trace=())


def test_every_expectation_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(typing.get_args(ast.Expectation))


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_every_expectation_kind_is_checked(kind: type) -> None:
    """Each kind can fail: on an empty decision every sample but `no reopen` fails."""
    failure = _check(SAMPLES[kind], EMPTY)
    assert (failure is None) is (kind is ast.ExpectAbsent)


def test_conflicts_and_escalation_are_compared() -> None:
    decided = EMPTY.replace(conflicts=(Conflict("reopen", "must", "extension", "all used", ("N3",)),),
                           escalation=EscalationEntry(("refund_only",), ("N1",)))
    assert _check(ast.ExpectConflict(action=NAME), decided) is None
    assert _check(ast.ExpectEscalation(present=True), decided) is None
    assert _check(ast.ExpectEscalation(present=False), decided) == "expected no escalation, got escalation"
    assert _check(ast.ExpectConflict(action=ast.Name(text="other")), decided) is not None
