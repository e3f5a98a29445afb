"""The exact favourability checker at the extremes (huge constants, far dates, far offsets, many
timestamps): cases where the checker's encoding, solver or
counterexample construction disagreed with the reference evaluator (policydsl.evaluate.interpreter).

Each test writes a small merchant policy, runs `check_merchant`, and compares with the
evaluator on concrete facts: a "valid" verdict must hold for the facts shown, and every
reported violation must come with a counterexample that reproduces it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core_helpers import BASELINE_NAME, BASELINE_TEXT
from facts_strategies import with_facts
from policydsl import ir
from policydsl.api import load_set
from policydsl.check import check_merchant
from policydsl.evaluate.interpreter import effective_rank, outcome
from policydsl.evaluate.facts import validate

HEADER = f'merchant policy "x" version "1" extends "{BASELINE_NAME}"\n\nclause M1 "A test promise"\n\n'

# A merchant rule that lifts G1's `must_not refuse_outright` whenever CONDITION holds: a
# violation on `refuse_outright` exactly where CONDITION can hold.
LIFT_REFUSAL = ("rule r1 cites M1 overrides never_refuse_outright\n"
                "  when {condition}\n"
                "  then must soothe_buyer\n")


def load(tmp_path: Path, body: str) -> ir.PolicySet:
    path = tmp_path / "shop.policy"
    path.write_text(HEADER + body, encoding="utf-8")
    loaded = load_set([path])
    assert loaded.policy_set is not None, [d.message for d in loaded.diagnostics]
    return loaded.policy_set


def ranks(ps: ir.PolicySet, facts: dict[str, Any], action: str) -> tuple[int, int]:
    """(merchant set's, baseline's) effective rank on `action` at `facts`, before G3."""
    flat = validate(facts, ps)
    mine, base = outcome(ps, flat), outcome(ps.baseline, flat)
    return effective_rank(ps, mine.chosen, action), effective_rank(ps.baseline, base.chosen, action)


def assert_reproduces(ps: ir.PolicySet, result) -> None:
    for v in result.violations:
        m, b = ranks(ps, v.counterexample, v.action)
        assert m < b, v


# ---- 1. a period counted from `now` itself -------------------------------------------------------
# encode.py gave `N days from the day after request.at` a free variable `days:request.at`, but
# the evaluator (and the counterexample) counts it as day 0: the period is always open. The
# solver found `expired promise` satisfiable and the replay raised AssertionError.

def test_period_anchored_at_now_is_never_expired(tmp_path: Path):
    ps = load(tmp_path, "period promise cites M1 = 5 days from the day after request.at\n"
                        + LIFT_REFUSAL.format(condition="expired promise"))
    result = check_merchant(ps)  # crashed: "checker model ... does not reproduce in the evaluator"
    assert result.status == "valid"
    assert [d.code for d in result.diagnostics] == ["PD304"]  # r1 never fires


def test_period_anchored_at_now_with_a_fact_length(tmp_path: Path):
    """Within a `now`-anchored period of `agreed_service_days` days: exactly when that fact is set."""
    ps = load(tmp_path, "period promise cites M1 = order.agreed_service_days days from the day after request.at\n"
                        + LIFT_REFUSAL.format(condition="within promise"))
    result = check_merchant(ps)
    assert result.status == "violations"
    assert_reproduces(ps, result)
    assert all(v.counterexample["order"]["agreed_service_days"] is not None for v in result.violations)


# ---- 2. integer constants beyond the solver's bound ------------------------------------------------
# logic.py bounded every integer variable by BIG = 10**6, "far beyond any policy constant";
# but counts are unbounded and a policy may compare with larger numbers. A condition needing
# a count above 10**6 was UNSAT, so the checker said "valid" (with a PD304 "never fires").

def test_count_compared_with_a_constant_above_a_million(tmp_path: Path):
    ps = load(tmp_path, LIFT_REFUSAL.format(condition="order.extensions_used > 1000000"))
    facts = with_facts(order__extensions_used=1000001)
    m, b = ranks(ps, facts, "refuse_outright")
    assert m < b  # the evaluator: lifting the prohibition is stricter than the baseline
    result = check_merchant(ps)
    assert result.status == "violations"  # was "valid"
    assert [(v.culprit, v.action) for v in result.violations] == [("r1", "refuse_outright")]
    assert_reproduces(ps, result)


def test_agreed_days_compared_with_a_huge_constant(tmp_path: Path):
    ps = load(tmp_path, LIFT_REFUSAL.format(condition="order.agreed_service_days >= 5000000 days"))
    result = check_merchant(ps)
    assert result.status == "violations"
    assert_reproduces(ps, result)


# ---- 3. day counts beyond the dates facts can hold ---------------------------------------------------
# Timestamps are instants of the years 0001–9999 (docs/semantics.md §1), some 3.65 million days. With a
# (legal, raised) period longer than 10**6 days the violation after it was missed (false
# "valid"); with one of ~740 000–10**6 days the solver found it but the counterexample, always
# placed on 2026-11-20, fell before the year 1 and crashed (OverflowError); and with a period
# longer than every possible span, nothing constrained the day variables to real dates.

def test_raised_period_of_two_million_days_still_ends(tmp_path: Path):
    ps = load(tmp_path, "set quality_days = 2000000 days\n" + LIFT_REFUSAL.format(condition="expired quality"))
    facts = with_facts(order__paid_at="0001-01-01T12:00:00+08:00", order__signed_at="0001-01-02T12:00:00+08:00",
                       request__at="9999-12-30T12:00:00+08:00")
    m, b = ranks(ps, facts, "refuse_outright")
    assert m < b
    result = check_merchant(ps)
    assert result.status == "violations"  # was "valid"
    assert_reproduces(ps, result)


def test_counterexample_far_from_2026_is_written(tmp_path: Path):
    ps = load(tmp_path, "set quality_days = 800000 days\n" + LIFT_REFUSAL.format(condition="expired quality"))
    result = check_merchant(ps)  # crashed: OverflowError, date value out of range
    assert result.status == "violations"
    assert_reproduces(ps, result)


def test_period_longer_than_any_facts_never_expires(tmp_path: Path):
    # 0001-01-01 … 9999-12-31 is 3 652 058 days: no request is past a period that long.
    ps = load(tmp_path, "set quality_days = 3652058 days\n" + LIFT_REFUSAL.format(condition="expired quality"))
    assert check_merchant(ps).status == "valid"
    ps = load(tmp_path, "set quality_days = 3652057 days\n" + LIFT_REFUSAL.format(condition="expired quality"))
    result = check_merchant(ps)
    assert result.status == "violations"
    assert_reproduces(ps, result)


# ---- 4. time zones far from UTC, and many timestamps (second review) -------------------------------
# Counterexamples put timestamps at 09:00, 12:00, 15:00 … local time, and `usable_days` kept only
# the dates where all those hours were writable. At -12:00 the last date (9999-12-31) is writable
# only until 11:59, so it was dropped: a violation on that day was missed (false "valid", false
# PD304). With six timestamp facts the hours ran to 24:00 and every check crashed (ValueError).

def _with_platform(tmp_path: Path, platform_text: str, body: str) -> ir.PolicySet:
    (tmp_path / "platform.policy").write_text(platform_text, encoding="utf-8")
    (tmp_path / "shop.policy").write_text(HEADER + body, encoding="utf-8")
    loaded = load_set([tmp_path / "shop.policy"], baseline=tmp_path / "platform.policy")
    assert loaded.policy_set is not None, [d.message for d in loaded.diagnostics]
    return loaded.policy_set


EVERY_DAY_PROMISE = ("period promise cites M1 = 3652057 days from the day after order.paid_at\n"
                     "rule never_refuse_in_promise cites M1, G1, G4b replaces never_refuse_outright\n"
                     "  when within promise\n  then must_not refuse_outright, must soothe_buyer\n")


@pytest.mark.parametrize("offset", ["-12:00", "+14:00"])
def test_the_last_day_of_a_far_offset_counts(tmp_path: Path, offset: str):
    platform = BASELINE_TEXT.replace('timezone "+08:00"', f'timezone "{offset}"')
    ps = _with_platform(tmp_path, platform, EVERY_DAY_PROMISE)
    if offset == "-12:00":  # the promise ends before the last writable day: the rule lifts G1 there
        facts = with_facts(order__paid_at="0001-01-01T00:00:00-12:00", order__signed_at=None,
                           request__at="9999-12-31T11:00:00-12:00")
        facts = _retimed(facts, offset)
        m, b = ranks(ps, facts, "refuse_outright")
        assert m < b
    result = check_merchant(ps)
    if offset == "-12:00":
        assert result.status == "violations"  # was "valid"
    assert_reproduces(ps, result)
    for v in result.violations:
        validate(v.counterexample, ps)  # every counterexample is writable facts


def _retimed(facts: dict[str, Any], offset: str) -> dict[str, Any]:
    """`facts` with every other timestamp written at `offset` too (same local wall time)."""
    out = {group: dict(values) for group, values in facts.items()}
    for group, values in out.items():
        for key, value in values.items():
            if isinstance(value, str) and value[:4].isdigit() and value.endswith("+08:00"):
                values[key] = value[:-6] + offset
    return out


def test_six_timestamp_facts_are_placed_in_order(tmp_path: Path):
    platform = BASELINE_TEXT.replace("fact request.at: timestamp\n",
                                     "fact request.at: timestamp\nfact order.shipped_at: timestamp?\n"
                                     "fact order.reviewed_at: timestamp?\nfact order.closed_at: timestamp?\n"
                                     "require order.signed_at <= order.shipped_at\n"
                                     "require order.shipped_at <= order.reviewed_at\n"
                                     "require order.reviewed_at <= order.closed_at\n"
                                     "require order.closed_at <= request.at\n").replace(
        "facts base {\n", "facts base {\n  order.shipped_at: null,\n  order.reviewed_at: null,\n"
                           "  order.closed_at: null,\n")  # the baseline's in-file tests must give the new facts
    ps = _with_platform(tmp_path, platform, "set quality_days = 10 days\n")
    result = check_merchant(ps)  # crashed: ValueError, hour must be in 0..23
    assert result.status == "violations"
    assert_reproduces(ps, result)
    for v in result.violations:
        validate(v.counterexample, ps)


# ---- 5. a violation caused by a merchant period alone ---------------------------------------------
# A promised period that joins `quality_claims` moves where it expires; a baseline whose only rule
# for late claims fires when that period has expired, and gives nothing while it runs, is then
# less favourable under the promise. No rule or setting accounted for it, so the report named
# "rule `merchant policy`" with no location. Now the period is the culprit, in both engines.

MINI_PLATFORM = """platform policy "mini" version "1"
timezone "+08:00"
now request.at
clause S3 "late quality"
enum request_reason { no_reason, quality }
fact order.paid_at: timestamp
fact order.signed_at: timestamp?
fact request.at: timestamp
fact request.reason: request_reason
require order.paid_at <= order.signed_at
require order.paid_at <= request.at
param quality_days = 15 days may only increase cites S3
period quality cites S3 = quality_days from the day after order.signed_at
period quality_claims cites S3 = most favourable of quality
action reopen_after_sales: pro_buyer
rule late_reopen cites S3
  when request.reason == quality and expired quality_claims
  then must reopen_after_sales
"""


def test_a_joining_period_is_blamed_with_its_location(tmp_path: Path):
    from policydsl.compile import loader
    from policydsl.evaluate.decision import dumps
    from policydsl.evaluate.interpreter import evaluate

    (tmp_path / "mini.policy").write_text(MINI_PLATFORM, encoding="utf-8")
    (tmp_path / "joiner.policy").write_text(
        'merchant policy "joiner" version "1" extends "mini"\nclause M1 "A 30-day promise"\n'
        "period promise cites M1 = 30 days from the day after order.signed_at\n  joins quality_claims\n",
        encoding="utf-8")
    ps = load_set([tmp_path / "joiner.policy"], baseline=tmp_path / "mini.policy").policy_set
    assert ps is not None
    result = check_merchant(ps)
    assert [(v.culprit, v.action) for v in result.violations] == [("period promise", "reopen_after_sales")]
    [v] = result.violations
    assert (v.span.line, v.span.column) == (3, 1)
    decision = evaluate(ps, validate(v.counterexample, ps))
    assert [(o.rule, o.action) for o in decision.overridden] == [("period promise", "reopen_after_sales")]
    assert dumps(loader.load_module(ps).decide(v.counterexample)) == decision.to_json()
