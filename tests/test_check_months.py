"""The checker on calendar months and years (docs/semantics.md §2.2, §5.4): exact on the
difference-logic encoding, counterexamples on dates whose month lengths are the model's,
and every counterexample replayed through the evaluator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policydsl.api import load_set
from policydsl.check import check_merchant, check_platform
from policydsl.check.encode import month_span
from policydsl.evaluate.interpreter import evaluate
from policydsl.evaluate.facts import validate

PLATFORM = """platform policy "warranty" version "1"
timezone "+08:00"
now request.at
clause W "the repair warranty"
clause N3 "the extension"
fact order.paid_at: timestamp
fact order.settled: bool
fact order.extensions_used: count
fact request.at: timestamp
require order.paid_at <= request.at
param warranty = 1 year may only increase cites W
period repair cites W = warranty from the day after order.paid_at
capability extension cites N3: at most 3 times counted by order.extensions_used, 7 days each,
  within 1 year after order.paid_at, only when order.settled
action offer_repair: pro_buyer
action reopen: pro_buyer needs extension
rule repair_in_warranty cites W when within repair then must offer_repair
rule reopen_when_possible cites N3 when available extension then may reopen
"""
CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture()
def platform(tmp_path: Path) -> Path:
    path = tmp_path / "warranty.policy"
    path.write_text(PLATFORM, encoding="utf-8")
    return path


def check(tmp_path: Path, platform: Path, body: str):
    path = tmp_path / "shop.policy"
    path.write_text('merchant policy "shop" version "1" extends "warranty"\n' + body, encoding="utf-8")
    loaded = load_set([path], platform)
    assert loaded.policy_set is not None, [d.message for d in loaded.diagnostics]
    return loaded.policy_set, check_merchant(loaded.policy_set)


def local_date(text: str) -> dt.date:
    return dt.datetime.fromisoformat(text).astimezone(CHINA).date()


def test_month_spans_cover_the_calendar() -> None:
    assert month_span(1) == (28, 31)
    assert month_span(12) == (365, 366)
    assert month_span(24) == (730, 731)
    assert month_span(48) == (1460, 1461)


def test_365_days_is_stricter_than_a_year_in_a_leap_year(tmp_path: Path, platform: Path) -> None:
    ps, result = check(tmp_path, platform, "period mine = 365 days from the day after order.paid_at\n"
                                           "rule mine_repair replaces repair_in_warranty when within mine "
                                           "then must offer_repair\n")
    assert result.status == "violations"
    v, = result.violations
    assert (v.culprit, v.action, v.merchant, v.baseline) == ("mine_repair", "offer_repair", None, "must")
    facts = v.counterexample
    paid, at = local_date(facts["order"]["paid_at"]), local_date(facts["request"]["at"])
    assert (at - paid).days == 366  # day 366 of a year that spans a 29 February
    assert at == dt.date(paid.year + 1, paid.month, paid.day)
    decision = evaluate(ps, validate(facts, ps))
    assert [o.rule for o in decision.overridden] == ["mine_repair"]


def test_366_days_is_never_stricter_than_a_year(tmp_path: Path, platform: Path) -> None:
    _, result = check(tmp_path, platform, "period mine = 366 days from the day after order.paid_at\n"
                                          "rule mine_repair replaces repair_in_warranty when within mine "
                                          "then must offer_repair\n")
    assert result.status == "valid", [d.message for d in result.diagnostics]


def test_a_longer_warranty_is_valid_and_a_shorter_one_is_not(tmp_path: Path, platform: Path) -> None:
    assert check(tmp_path, platform, "set warranty = 2 years\n")[1].status == "valid"
    _, result = check(tmp_path, platform, "set warranty = 11 months\n")
    assert result.status == "violations"
    pd302, = [d for d in result.diagnostics if d.code == "PD302"]
    assert "11 months" in pd302.message and "1 year" in pd302.message


def test_removing_a_rule_that_tests_availability_is_caught(tmp_path: Path, platform: Path) -> None:
    ps, result = check(tmp_path, platform, "rule never replaces reopen_when_possible when false then may reopen\n")
    v, = result.violations
    facts = v.counterexample
    assert facts["order"]["settled"] is True and facts["order"]["extensions_used"] < 3
    decision = evaluate(ps, validate(facts, ps))
    assert decision.extension.eligible  # the request falls inside the calendar year after payment
    assert [o.rule for o in decision.overridden] == ["never"]

def test_platform_rules_that_never_fire_or_never_change_a_decision_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text(PLATFORM + "rule twice cites W when within repair then should offer_repair\n"
                               "rule never cites W when within repair and expired repair then must offer_repair\n",
                    encoding="utf-8")
    loaded = load_set([path])
    assert loaded.policy_set is not None
    found = {(d.code, d.message.split("`")[1]) for d in check_platform(loaded.policy_set).diagnostics}
    assert found == {("PD305", "twice"), ("PD304", "never")}
