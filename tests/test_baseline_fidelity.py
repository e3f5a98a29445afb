"""The shipped baseline's in-file tests pin every rule: removing any rule, or weakening any
of its effects one step, makes at least one in-file test fail (mutation testing of the
baseline against its own tests; revision 2 asks that each point's tests fail if its rule
is removed or weakened). The platform file also checks with no warnings (no vacuous rule)."""

from __future__ import annotations

import attrs
import pytest

from core_helpers import BASELINE_PATH
from policydsl import ir
from policydsl.api import load_set
from policydsl.check import check_platform
from policydsl.tools.testing import run_test

LOADED = load_set([BASELINE_PATH])
assert LOADED.ok, LOADED.diagnostics
BASELINE: ir.PolicySet = LOADED.policy_set
TESTS = LOADED.analysis.tests

#: One step weaker, for a duty or a permission: must → should → may → (gone).
WEAKER = {"must": "should", "should": "may", "may": None, "must_not": None}


def survivors(ps: ir.PolicySet) -> bool:
    """Whether every in-file test still passes on the mutated policy set."""
    return all(run_test(ps, case).passed for case in TESTS)


def test_the_unmutated_baseline_passes_its_tests():
    assert survivors(BASELINE)


@pytest.mark.parametrize("rule", [r.name for r in BASELINE.rules])
def test_removing_a_rule_fails_a_test(rule: str):
    mutant = attrs.evolve(BASELINE, rules=tuple(r for r in BASELINE.rules if r.name != rule))
    assert not survivors(mutant), f"no in-file test fails without rule `{rule}`"


@pytest.mark.parametrize("rule,index", [(r.name, i) for r in BASELINE.rules for i in range(len(r.effects))])
def test_weakening_an_effect_fails_a_test(rule: str, index: int):
    original = BASELINE.rule(rule)
    effect = original.effects[index]
    weaker = WEAKER[effect.modality]
    effects = list(original.effects)
    if weaker is None:
        del effects[index]
    else:
        effects[index] = attrs.evolve(effect, modality=weaker)
    mutated = attrs.evolve(original, effects=tuple(effects))
    mutant = attrs.evolve(BASELINE, rules=tuple(mutated if r.name == rule else r for r in BASELINE.rules))
    assert not survivors(mutant), f"no in-file test fails when `{rule}` gives {weaker or 'no'} {effect.action}"


def test_removing_the_escalation_fails_a_test():
    assert BASELINE.escalation is not None
    assert not survivors(attrs.evolve(BASELINE, escalation=None))


def test_the_baseline_has_no_vacuous_rule():
    """Revision 2, point 12: every baseline rule can fire and can change a decision."""
    result = check_platform(BASELINE)
    assert result.status == "valid" and result.diagnostics == ()
