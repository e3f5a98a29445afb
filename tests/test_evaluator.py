"""Stage 4, evaluation: the shipped baseline decides after-sales requests (docs/source-mapping.md;
docs/semantics.md §4).

One test per scenario and case of the source document, through the library
(`policydsl.api.load(path).decide(facts)`) and, for several, through
`policydsl eval FILE --facts F`; period boundaries in China time; the N3
extension; JSON Lines batches; and hypothesis properties over valid facts.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_helpers import BASELINE_NAME, BASELINE_PATH, ENGINES, assert_no_traceback, json_lines, run_cli
from facts_strategies import (FRESH_GROUP, base_facts, china, get_path, jsonish_facts, rfc3339, valid_facts,
                              with_facts)
from policydsl.api import load
from policydsl.evaluate.decision import Decision
from policydsl.evaluate.facts import FactsInputError

LATE = "2026-11-01T10:00:00+08:00"  # past every period of the base order (signed 2026-10-03)

#: Revision 2, point 10: every past-period scenario should negotiate a small compensation (one rule, S1-S3).
#: Revision 2, point 10: every past-period scenario offers a small compensation; each
#: scenario's rule cites that scenario (never a sibling sub-scenario).
COMPENSATION = {"S1": ("should", ("S1",)), "S2": ("should", ("S2",)), "S3": ("should", ("S3",))}
#: Revision 2, point 7: past the period the buyer may escalate; the platform may intervene (N1).
ESCALATION = {"platform_may_intervene": True,
              "rulings": ["refund_only", "return_refund", "return_shipping_by_merchant", "other_measures"],
              "cites": ["N1"]}


def actions(decision: Decision) -> dict[str, tuple[str, tuple[str, ...]]]:
    """action → (modality, cites)."""
    return {a.action: (a.modality, a.cites) for a in decision.actions}


def assert_past_period_basics(decision: Decision) -> None:
    """What every past-period scenario requires (G1, G4a, G4b): verify, calm, propose, never refuse.

    Revision 2, point 14: verifying, soothing and proposing are `should`; refusing outright stays `must_not`.
    Point 7: the decision says the buyer may escalate (N1).
    """
    got = actions(decision)
    assert got["refuse_outright"] == ("must_not", ("G1", "G4b"))
    assert got["soothe_buyer"] == ("should", ("G1", "G4b"))
    assert got["request_evidence"] == ("should", ("G1", "G4a", "G4b"))
    assert got["propose_solution"] == ("should", ("G1", "G4a", "G4b"))
    assert "accept_request" not in got  # past the period: not the normal flow
    assert all(a.source == "platform" for a in decision.actions)
    assert decision.escalation is not None and decision.escalation.to_dict() == ESCALATION


def eval_cli(tmp_path: Path, facts: Any, *extra: str, name: str = "request.json"):
    path = tmp_path / name
    path.write_text(facts if isinstance(facts, str) else json.dumps(facts), encoding="utf-8")
    result = run_cli("eval", str(BASELINE_PATH), "--facts", str(path), *extra)
    assert_no_traceback(result)
    return result


# ---- S1: fresh food and green plants ---------------------------------------------------------

S1_1 = dict(order__category="fresh_food", request__at="2026-10-04T09:00:00+08:00")
S1_2 = dict(order__category="green_plants", request__product_used=True, request__damage_cause="improper_storage")


def test_s1_1_fresh_goods_unused(baseline):
    d = baseline.decide(with_facts(**S1_1))
    assert d.scenario == ("S1", "S1.1")
    assert_past_period_basics(d)
    got = actions(d)
    assert got["explain_no_reason_exclusion"] == ("may", ("S1", "S1.1"))  # revision 2, point 13
    assert got["offer_small_compensation"] == COMPENSATION["S1"]  # revision 2, point 10
    assert "negotiate_other_remedy" not in got  # compensation not rejected yet
    assert "reopen_after_sales" not in got
    assert "guide_cancellation" not in got  # no compensation offered yet (point 10)
    assert "inform_resale_affected" not in got  # unused goods (point 7)


def test_s1_1_applies_the_day_after_signing_too(baseline):
    """Fresh goods have no no-reason period at all: S1 whenever the request comes."""
    d = baseline.decide(with_facts(order__category="flowers", request__at="2026-10-03T19:00:00+08:00"))
    assert d.scenario == ("S1", "S1.1")
    assert [p.name for p in d.periods if p.name == "no_reason"] == []  # the period does not apply


def test_s1_1_compensation_rejected_negotiate(baseline):
    d = baseline.decide(with_facts(**S1_1, negotiation__stage="compensation_rejected"))
    modality, cites = actions(d)["negotiate_other_remedy"]
    assert (modality, cites) == ("should", ("S1", "G4c"))


def test_s1_2_fresh_goods_used_improper_storage(baseline):
    d = baseline.decide(with_facts(**S1_2))
    assert d.scenario == ("S1", "S1.2")
    assert_past_period_basics(d)
    got = actions(d)
    assert got["advise_storage"] == ("may", ("S1.2",))
    assert got["offer_small_compensation"] == COMPENSATION["S1"]  # revision 2, point 10
    assert got["inform_resale_affected"] == ("may", ("N1",))  # used, evidence provided (point 7)
    assert "explain_no_reason_exclusion" not in got


def test_s1_2_used_without_storage_damage_still_compensates(baseline):
    d = baseline.decide(with_facts(**{**S1_2, "request__damage_cause": "courier"}))
    got = actions(d)
    assert d.scenario == ("S1", "S1.2")
    assert got["offer_small_compensation"] == COMPENSATION["S1"]  # revision 2, point 10
    assert "advise_storage" not in got


# ---- S2: other categories past the 7-day no-reason period ---------------------------------------

def test_s2_1_other_goods_unused(baseline):
    d = baseline.decide(with_facts(order__category="apparel"))
    assert d.scenario == ("S2", "S2.1")
    assert_past_period_basics(d)
    got = actions(d)
    assert "reopen_after_sales" not in got  # revision 2, point 8: only with the buyer's agreement
    assert got["offer_small_compensation"] == COMPENSATION["S2"]  # revision 2, point 10
    assert "inform_resale_affected" not in got  # revision 2, point 7: unused goods
    # point 8: once the buyer has agreed, the merchant may reopen the entry (and may guide cancellation, point 10)
    agreed = baseline.decide(with_facts(order__category="apparel", negotiation__stage="agreed"))
    assert agreed.scenario == ("S2", "S2.1")
    assert_past_period_basics(agreed)
    got = actions(agreed)
    assert got["reopen_after_sales"] == ("may", ("S2.1", "N2", "N3"))
    assert got["guide_cancellation"] == ("may", ("S1", "S2", "S3"))
    assert got["offer_small_compensation"] == COMPENSATION["S2"]
    assert "inform_resale_affected" not in got
    assert agreed.conflicts == ()  # a `may` is no duty the extension must serve (point 11)


def test_s2_2_other_goods_used(baseline):
    d = baseline.decide(with_facts(request__product_used=True))
    assert d.scenario == ("S2", "S2.2")
    assert_past_period_basics(d)
    got = actions(d)
    assert got["inform_resale_affected"] == ("should", ("S2.2", "N1"))
    assert got["offer_small_compensation"] == COMPENSATION["S2"]  # revision 2, point 10
    assert "reopen_after_sales" not in got


def test_s2_2_compensation_rejected_negotiate(baseline):
    d = baseline.decide(with_facts(request__product_used=True, negotiation__stage="compensation_rejected"))
    modality, cites = actions(d)["negotiate_other_remedy"]
    assert (modality, cites) == ("should", ("S2", "G4c"))


# ---- S3: past the quality-reason period ---------------------------------------------------------------

def test_s3_1_case_1_no_quality_problem(baseline):
    d = baseline.decide(with_facts(request__reason="quality", request__at=LATE))
    assert d.scenario == ("S3", "S3.1")
    assert_past_period_basics(d)
    got = actions(d)
    assert got["provide_quality_proof"] == ("may", ("S3.1",))
    assert got["check_courier_damage"] == ("should", ("S3.1",))
    assert got["offer_small_compensation"] == COMPENSATION["S3"]  # revision 2, point 10
    assert "reopen_after_sales" not in got


def test_s3_1_case_2_verified_defect_must_reopen(baseline):
    d = baseline.decide(with_facts(request__reason="quality", request__quality_issue=True,
                                   request__evidence="verified", request__at=LATE))
    assert d.scenario == ("S3", "S3.1")
    assert_past_period_basics(d)
    got = actions(d)
    assert got["reopen_after_sales"] == ("must", ("S3.1", "N2"))
    assert "provide_quality_proof" not in got
    assert "guide_cancellation" not in got and "inform_resale_affected" not in got  # points 7, 10
    assert d.conflicts == () and "negotiate_other_remedy" not in got  # the extension serves it (point 11)


@pytest.mark.parametrize("evidence", ["none", "provided", "refuted"])
def test_s3_1_case_2_unverified_defect_compensates_first(baseline, evidence):
    d = baseline.decide(with_facts(request__reason="quality", request__quality_issue=True,
                                   request__evidence=evidence, request__at=LATE))
    got = actions(d)
    assert d.scenario == ("S3", "S3.1")
    assert "reopen_after_sales" not in got
    assert got["offer_small_compensation"] == COMPENSATION["S3"]  # revision 2, point 10


def test_s3_2_used_agreed_period_governs(baseline):
    # Revision 2, point 1: while the agreed period runs it governs the request (S3.2(2), G2c): day 20 of 30,
    # past the platform's 15-day quality period, the used goods' quality claim is the normal flow.
    inside = baseline.decide(with_facts(request__reason="quality", request__product_used=True,
                                        order__agreed_service_days=30, request__at="2026-10-23T10:00:00+08:00"))
    assert inside.scenario == () and inside.escalation is None
    got = actions(inside)
    assert got["accept_request"] == ("must", ("G2c",))
    assert got["apply_agreed_period"] == ("must", ("G2c", "S3.2"))
    assert "offer_small_compensation" not in got and "assist_return" not in got
    agreed = next(p for p in inside.periods if p.name == "agreed")
    assert (agreed.length, agreed.deadline, agreed.expired) == (30, "2026-11-02T23:59:59.999999+08:00", False)
    # Past the agreed period: S3.2; point 12, no vacuous `must apply_agreed_period` after it has expired.
    d = baseline.decide(with_facts(request__reason="quality", request__product_used=True,
                                   order__agreed_service_days=10, request__at=LATE))
    assert d.scenario == ("S3", "S3.2")
    assert_past_period_basics(d)
    got = actions(d)
    assert "apply_agreed_period" not in got
    assert got["offer_small_compensation"] == COMPENSATION["S3"]  # revision 2, point 10
    assert "assist_return" not in got
    expired = next(p for p in d.periods if p.name == "agreed")
    assert (expired.length, expired.deadline, expired.expired) == (10, "2026-10-13T23:59:59.999999+08:00", True)


def test_s3_2_damage_not_man_made_may_be_assisted(baseline):
    d = baseline.decide(with_facts(request__reason="quality", request__product_used=True,
                                   request__damage_cause="not_man_made", request__at=LATE,
                                   negotiation__stage="compensation_rejected"))
    got = actions(d)
    assert d.scenario == ("S3", "S3.2")
    assert got["assist_return"] == ("may", ("S3.2",))
    assert "apply_agreed_period" not in got  # no period was agreed
    assert got["negotiate_other_remedy"] == ("should", ("S3", "G4c"))


def test_quality_claim_inside_the_period_is_the_normal_flow(baseline):
    d = baseline.decide(with_facts(request__reason="quality", request__quality_issue=True,
                                   request__at="2026-10-18T23:59:59+08:00"))  # day 15 after signing
    assert d.scenario == () and d.escalation is None
    assert actions(d)["accept_request"] == ("must", ("S3",))  # revision 2, points 5 and 13
    assert "request_evidence" not in actions(d)


def test_longer_agreed_period_keeps_a_quality_claim_inside(baseline):
    d = baseline.decide(with_facts(request__reason="quality", order__agreed_service_days=60, request__at=LATE))
    assert d.scenario == () and actions(d)["accept_request"][0] == "must"
    agreed = next(p for p in d.periods if p.name == "agreed")
    assert (agreed.length, agreed.deadline, agreed.expired) == (60, "2026-12-02T23:59:59.999999+08:00", False)


# ---- the decision through `policydsl eval` -------------------------------------------------------------------

@pytest.mark.parametrize("changes, scenario, action, modality, cites", [
    (S1_1, ["S1", "S1.1"], "explain_no_reason_exclusion", "may", ["S1", "S1.1"]),
    (dict(request__product_used=True), ["S2", "S2.2"], "inform_resale_affected", "should", ["S2.2", "N1"]),
    (dict(request__reason="quality", request__quality_issue=True, request__evidence="verified", request__at=LATE),
     ["S3", "S3.1"], "reopen_after_sales", "must", ["S3.1", "N2"]),
    (dict(request__reason="quality", request__product_used=True, order__agreed_service_days=30,
          request__at="2026-10-23T10:00:00+08:00"),
     [], "apply_agreed_period", "must", ["G2c", "S3.2"]),
])
def test_eval_cli_prints_the_decision(tmp_path, baseline, changes, scenario, action, modality, cites):
    facts = with_facts(**changes)
    result = eval_cli(tmp_path, facts)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["scenario"] == scenario
    entry = next(a for a in doc["actions"] if a["action"] == action)
    assert entry == {"action": action, "modality": modality, "cites": cites, "source": "platform"}
    refuse = next(a for a in doc["actions"] if a["action"] == "refuse_outright")
    assert refuse["modality"] == "must_not"
    assert set(doc) >= {"scenario", "actions", "periods", "extension", "conflicts", "escalation", "overridden",
                        "trace"}
    assert doc["conflicts"] == []
    assert (doc["escalation"] is not None) is bool(scenario)  # past the period only (N1, revision 2 point 7)
    assert result.stdout == baseline.decide(facts).to_json() + "\n"  # the library and the CLI agree


def test_eval_cli_pretty_and_explain(tmp_path):
    facts = with_facts(request__reason="quality", request__quality_issue=True, request__evidence="verified",
                       request__at=LATE)
    pretty = eval_cli(tmp_path, facts, "--pretty")
    assert pretty.exit_code == 0 and pretty.stdout.startswith('{\n  "scenario": [\n')
    explained = eval_cli(tmp_path, facts, "--explain")
    assert explained.exit_code == 0
    text = explained.stdout
    assert text.startswith("Scenario: S3 (Past the quality-reason after-sales period); S3.1 (")
    assert "  MUST     reopen_after_sales  [platform]" in text
    assert "because S3.1 (" in text and "N2 (" in text
    assert "Extension: eligible, 3 left" in text


def test_eval_cli_reads_stdin(baseline):
    facts = with_facts(**S1_2)
    result = run_cli("eval", str(BASELINE_PATH), "--facts", "-", input=json.dumps(facts))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["scenario"] == ["S1", "S1.2"]


# ---- period boundaries: calendar days in China time, from the day after signing ------------------------------

SIGNED_2330 = "2026-10-03T23:30:00+08:00"  # day 1 is 2026-10-04, day 7 is 2026-10-10


@pytest.mark.parametrize("at, inside", [
    ("2026-10-10T23:59:59.999999+08:00", True),   # last instant of day 7
    ("2026-10-10T23:59:59+08:00", True),
    ("2026-10-11T00:00:00+08:00", False),         # first instant of day 8
    ("2026-10-10T15:59:59.999999Z", True),        # the same instants written in UTC
    ("2026-10-10T16:00:00Z", False),
    ("2026-10-10T10:59:59.999999-05:00", True),
    ("2026-10-10T11:00:00-05:00", False),
])
def test_no_reason_period_boundary_for_a_parcel_signed_at_2330(baseline, at, inside):
    d = baseline.decide(with_facts(order__signed_at=SIGNED_2330, request__at=at))
    no_reason = next(p for p in d.periods if p.name == "no_reason")
    assert no_reason.deadline == "2026-10-10T23:59:59.999999+08:00"
    assert no_reason.expired is (not inside)
    if inside:
        assert d.scenario == () and actions(d)["accept_request"] == ("must", ("S2",))  # revision 2, point 13
    else:
        assert d.scenario == ("S2", "S2.1") and "accept_request" not in actions(d)


def test_signing_is_counted_on_the_china_calendar_not_utc(baseline):
    # 2026-10-03T16:30Z is 00:30 on 2026-10-04 in China: day 7 is 2026-10-11
    d = baseline.decide(with_facts(order__signed_at="2026-10-03T16:30:00Z", request__at="2026-10-11T23:00:00+08:00"))
    assert next(p for p in d.periods if p.name == "no_reason").deadline == "2026-10-11T23:59:59.999999+08:00"
    assert d.scenario == ()


def test_the_same_instant_in_any_offset_gives_the_same_decision(baseline):
    china_time = with_facts(order__signed_at=SIGNED_2330, request__at="2026-10-11T00:00:00+08:00")
    utc = with_facts(order__paid_at="2026-10-01T04:00:00Z", order__signed_at="2026-10-03T15:30:00Z",
                     request__at="2026-10-10T16:00:00Z")
    assert baseline.decide(china_time).to_json() == baseline.decide(utc).to_json()


def test_quality_period_boundary(baseline):
    last = baseline.decide(with_facts(request__reason="quality", request__at="2026-10-18T23:59:59.999999+08:00"))
    first = baseline.decide(with_facts(request__reason="quality", request__at="2026-10-19T00:00:00+08:00"))
    assert last.scenario == () and actions(last)["accept_request"][0] == "must"
    assert first.scenario == ("S3", "S3.1")


def test_unsigned_parcel_is_inside_every_signing_period(baseline):
    d = baseline.decide(with_facts(order__signed_at=None, request__at="2026-12-20T10:00:00+08:00"))
    assert d.scenario == ()
    assert actions(d)["accept_request"] == ("must", ("S2",))  # revision 2, point 13
    for p in d.periods:
        assert p.deadline is None and p.expired is False
    quality = baseline.decide(with_facts(order__signed_at=None, request__reason="quality",
                                         request__at="2027-06-01T10:00:00+08:00"))
    assert quality.scenario == () and actions(quality)["accept_request"][0] == "must"


def test_unsigned_fresh_goods_are_still_s1(baseline):
    d = baseline.decide(with_facts(order__signed_at=None, order__category="fresh_food"))
    assert d.scenario == ("S1", "S1.1")


def sanbao_periods(decision: Decision) -> list[tuple[str, int, str, str | None, bool]]:
    return [(p.name, p.length, p.unit, p.deadline, p.expired) for p in decision.periods if p.name.startswith("sanbao")]


def test_sanbao_period_applies_only_to_covered_goods(baseline):
    """Revision 2, point 4: the 三包 repair warranty (a Civil Code year from signing, or the product's longer
    warranty) applies only to goods in the 三包 catalogue, and gives `must offer_repair` for a valid claim."""
    at = "2026-10-18T10:00:00+08:00"
    year = "2027-10-03T23:59:59.999999+08:00"
    covered = baseline.decide(with_facts(request__reason="quality", request__quality_issue=True,
                                         order__sanbao_covered=True, request__at=at))
    assert [p.name for p in covered.periods if p.name == "sanbao"] == []  # revision 1's period is gone
    assert sanbao_periods(covered) == [("sanbao_warranty_platform", 12, "months", year, False),
                                       ("sanbao_repair", 12, "months", year, False)]
    assert actions(covered)["offer_repair"] == ("must", ("G2a",))
    assert actions(covered)["accept_request"] == ("must", ("S3",))
    longer = baseline.decide(with_facts(request__reason="quality", request__quality_issue=True,
                                        order__sanbao_covered=True,
                                        order__sanbao_warranty_days=730, request__at=at))
    two_years = "2028-10-02T23:59:59.999999+08:00"
    assert sanbao_periods(longer) == [("sanbao_warranty_platform", 12, "months", year, False),
                                      ("sanbao_warranty_product", 730, "days", two_years, False),
                                      ("sanbao_repair", 730, "days", two_years, False)]
    plain = baseline.decide(with_facts(request__reason="quality", request__at=at))
    assert sanbao_periods(plain) == []
    assert "offer_repair" not in actions(plain)
    plain_with_value = baseline.decide(with_facts(request__reason="quality", order__sanbao_warranty_days=730,
                                                  request__at=at))
    assert sanbao_periods(plain_with_value) == [] and "offer_repair" not in actions(plain_with_value)


# ---- the N3 extension capability ------------------------------------------------------------------------------------

def test_extension_remaining_count(baseline):
    for used, remaining in [(0, 3), (1, 2), (2, 1)]:
        ext = baseline.decide(with_facts(order__extensions_used=used)).extension
        assert (ext.eligible, ext.remaining) == (True, remaining)
        # a Civil Code year: paid 2026-10-01, the window ends at 24:00 China time on 2027-10-01
        assert ext.why == (f"{remaining} of 3 extensions left, 7 days each, until 2027-10-01T23:59:59.999999+08:00 "
                           f"(N3)")


@pytest.mark.parametrize("used", [3, 4])
def test_extension_all_used(baseline, used):
    ext = baseline.decide(with_facts(order__extensions_used=used)).extension
    assert (ext.eligible, ext.remaining) == (False, 0)
    assert ext.why == "not available: all 3 extensions are used (N3)"


def test_extension_more_than_a_year_after_payment(baseline):
    ext = baseline.decide(with_facts(request__at="2027-10-02T00:00:00+08:00")).extension  # the day after the year
    assert (ext.eligible, ext.remaining) == (False, 3)
    assert ext.why == ("not available: the request is after 2027-10-01T23:59:59.999999+08:00, the end of the "
                       "extension window (N3)")


def test_extension_window_boundary(baseline):
    """N3's year ends at 24:00 China time on the corresponding date (Civil Code art. 201–203)."""
    assert baseline.decide(with_facts(request__at="2027-10-01T23:59:59.999999+08:00")).extension.eligible
    assert not baseline.decide(with_facts(request__at="2027-10-02T00:00:00+08:00")).extension.eligible
    assert not baseline.decide(with_facts(request__at="2027-10-01T16:00:00Z")).extension.eligible  # the same instant


@pytest.mark.parametrize("paid, last_inside", [
    ("2027-03-01T12:00:00+08:00", "2028-03-01T23:59:59+08:00"),  # the year spans 2028-02-29: 366 days
    ("2028-02-29T12:00:00+08:00", "2029-02-28T23:59:59+08:00"),  # no 2029-02-29: the month's last day
    ("2027-01-31T00:00:00+08:00", "2028-01-31T23:59:59+08:00"),
])
def test_extension_year_is_a_calendar_year(baseline, paid, last_inside):
    def ext(at):
        return baseline.decide(with_facts(order__paid_at=paid, order__signed_at=paid, request__at=at)).extension
    assert ext(last_inside).eligible
    after = (dt.datetime.fromisoformat(last_inside) + dt.timedelta(seconds=1)).isoformat()
    assert not ext(after).eligible


def test_extension_needs_settlement(baseline):
    ext = baseline.decide(with_facts(order__settled=False)).extension
    assert ext.eligible is False and ext.remaining == 3
    assert ext.why.startswith("not available: the order does not meet the capability's condition")


# ---- a merchant policy on top of the baseline (G3) -----------------------------------------------------------------

MERCHANT = """merchant policy "shop" version "1" extends "wechat-channels-after-sales"
set no_reason_days = 10 days
rule lenient_quality cites S3.1 overrides s3_1_case2_verified_defect
  when scenario S3.1 and request.quality_issue
  then should reopen_after_sales
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_longer_merchant_period_moves_the_boundary(tmp_path, engine):
    path = tmp_path / "shop.policy"
    path.write_text(MERCHANT)
    shop = load(path, engine=engine)
    inside = shop.decide(with_facts(request__at="2026-10-13T23:59:59+08:00"))
    assert inside.scenario == () and actions(inside)["accept_request"][0] == "must"
    assert shop.decide(with_facts(request__at="2026-10-14T00:00:00+08:00")).scenario == ("S2", "S2.1")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_void_merchant_rule_is_reported_and_the_baseline_applies(tmp_path, engine):
    path = tmp_path / "shop.policy"
    path.write_text(MERCHANT)
    d = load(path, engine=engine).decide(with_facts(request__reason="quality", request__quality_issue=True,
                                     request__evidence="verified", request__at=LATE))
    assert actions(d)["reopen_after_sales"] == ("must", ("S3.1", "N2"))
    assert [o.to_dict() for o in d.overridden] == [{"rule": "lenient_quality", "clause": ["S3.1", "N2"],
                                                    "action": "reopen_after_sales", "merchant": "should",
                                                    "baseline": "must"}]


# ---- JSON Lines batches ------------------------------------------------------------------------------------------

def test_batch_one_output_line_per_input_line_in_order(tmp_path, baseline):
    good = [with_facts(**S1_1), with_facts(request__product_used=True), with_facts(order__signed_at=None)]
    lines = [json.dumps(good[0]), "{not json", json.dumps(good[1]),
             json.dumps(with_facts(request__reason="whim")), "", json.dumps(good[2])]
    result = eval_cli(tmp_path, "\n".join(lines) + "\n", name="batch.jsonl")
    assert result.exit_code == 2  # some lines failed
    out = result.stdout.splitlines()
    assert len(out) == 5  # the blank line is skipped, every other line answered
    assert out[0] == baseline.decide(good[0]).to_json()
    assert out[2] == baseline.decide(good[1]).to_json()
    assert out[4] == baseline.decide(good[2]).to_json()
    bad_json, bad_enum = json.loads(out[1]), json.loads(out[3])
    assert bad_json["line"] == 2 and [e["code"] for e in bad_json["errors"]] == ["PD401"]
    assert bad_json["errors"][0]["line"] == 2
    assert bad_enum["line"] == 4 and [e["code"] for e in bad_enum["errors"]] == ["PD405"]
    assert "`request.reason`" in bad_enum["errors"][0]["message"]
    assert "2 line(s)" in result.stderr


def test_batch_of_good_lines_exits_0(tmp_path, baseline):
    facts = [with_facts(**S1_2), with_facts(order__extensions_used=3)]
    result = eval_cli(tmp_path, "".join(json.dumps(f) + "\n" for f in facts), name="ok.ndjson")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [baseline.decide(f).to_json() for f in facts]


def test_several_json_values_in_a_json_file_are_a_batch(tmp_path):
    text = json.dumps(with_facts(**S1_1)) + "\n" + json.dumps(with_facts(order__category="bogus")) + "\n"
    result = eval_cli(tmp_path, text, name="two.json")
    assert result.exit_code == 2
    first, second = json_lines(result.stdout)
    assert first["scenario"] == ["S1", "S1.1"]
    assert second["line"] == 2 and second["errors"][0]["code"] == "PD405"


def test_batch_from_stdin(baseline):
    text = json.dumps(base_facts()) + "\n" + json.dumps(with_facts(**S1_1)) + "\n"
    result = run_cli("eval", str(BASELINE_PATH), "--facts", "-", input=text)
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert [d["scenario"] for d in json_lines(result.stdout)] == [["S2", "S2.1"], ["S1", "S1.1"]]


# ---- properties -----------------------------------------------------------------------------------------------------

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(valid_facts())
def test_past_period_never_refuses_outright(baseline, facts):
    d = baseline.decide(facts)
    if d.scenario:
        assert actions(d)["refuse_outright"][0] == "must_not"
        assert "refuse_outright" in {a.action for a in d.actions if a.modality == "must_not"}


@pytest.fixture(scope="module")
def second_load(baseline):
    """The baseline loaded a second time (same engine), independently of the `baseline` fixture."""
    return load(BASELINE_PATH, engine=baseline.engine)


@PROPS
@given(valid_facts())
def test_same_facts_same_bytes(baseline, second_load, facts):
    first = baseline.decide(facts).to_json()
    assert baseline.decide(json.loads(json.dumps(facts))).to_json() == first
    assert second_load.decide(facts).to_json() == first


def shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: shuffled(v, rnd) for k, v in items}
    return value


@PROPS
@given(valid_facts(), st.randoms(use_true_random=False))
def test_key_order_does_not_matter(baseline, facts, rnd):
    assert baseline.decide(shuffled(facts, rnd)).to_json() == baseline.decide(facts).to_json()


@PROPS
@given(jsonish_facts)
def test_decide_raises_only_facts_input_errors(baseline, data):
    try:
        decision = baseline.decide(data)
    except FactsInputError as exc:
        assert exc.diagnostics and all(d.code.startswith("PD4") for d in exc.diagnostics)
    else:
        json.loads(decision.to_json())


@PROPS
@given(st.text(max_size=200))
def test_decide_json_raises_only_facts_input_errors(baseline, text):
    try:
        baseline.decide_json(text)
    except FactsInputError as exc:
        assert all(d.code.startswith("PD4") for d in exc.diagnostics)


def rewritten(facts: dict, offset_minutes: int) -> dict:
    """The same instants written at another UTC offset."""
    out = json.loads(json.dumps(facts))
    for path in ("order.paid_at", "order.signed_at", "request.at"):
        stamp = get_path(out, path)
        if stamp is not None:
            instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            section, key = path.split(".")
            out[section][key] = rfc3339(instant, offset_minutes, fraction=instant.microsecond != 0)
    return out


@PROPS
@given(valid_facts(), st.sampled_from([0, 480, -600, 345, 840]))
def test_the_offset_a_timestamp_is_written_in_does_not_matter(baseline, facts, offset):
    assert baseline.decide(rewritten(facts, offset)).to_json() == baseline.decide(facts).to_json()


def within(decision: Decision, name: str) -> bool:
    """docs/semantics.md §2.4: the period applies and has not expired (or has not started)."""
    return any(p.name == name and not p.expired for p in decision.periods)


@PROPS
@given(valid_facts())
def test_scenarios_follow_the_source_document(baseline, facts):
    d = baseline.decide(facts)
    category, reason = facts["order"]["category"], facts["request"]["reason"]
    request = facts["request"]
    used = request["product_used"]
    fresh = category in FRESH_GROUP
    families = {s.split(".")[0] for s in d.scenario}
    assert len(families) <= 1
    # revision 2, point 2: fresh goods spoiled by the buyer's storage are S1.2 whatever the claim and the time
    storage_spoiled = fresh and reason == "quality" and request["damage_cause"] == "improper_storage"
    # revision 2, point 1: an agreed period governs every request, so fresh goods are S1 whenever the
    # request comes unless an agreed period still covers it
    past_no_reason = reason == "no_reason" and not within(d, "no_reason_claims")
    past_quality = reason == "quality" and not within(d, "quality_claims")
    if reason == "no_reason" and fresh and facts["order"]["agreed_service_days"] is None:
        assert d.scenario == ("S1", "S1.2" if used else "S1.1")  # no period at all: S1 whenever it comes
    if fresh and (past_no_reason or storage_spoiled):
        assert d.scenario == ("S1", "S1.2" if used or storage_spoiled else "S1.1")
    elif past_no_reason:
        assert d.scenario == ("S2", f"S2.{2 if used else 1}")
    elif past_quality:
        assert d.scenario == ("S3", f"S3.{2 if used else 1}")
    else:
        assert d.scenario == ()
    # revision 2, point 5: inside a governing period only a valid claim is accepted; past it, a scenario
    # applies and the request is never `must accept_request` — never both
    valid = (reason == "no_reason" and not used) or (
        reason == "quality" and request["evidence"] != "refuted"
        and request["damage_cause"] not in ("man_made", "improper_storage"))
    assert (actions(d).get("accept_request", ("",))[0] == "must") is (d.scenario == () and valid)
    assert (d.escalation is not None) is (d.scenario != ())  # point 7
    assert actions(d)["soothe_buyer"] == ("should", ("G1", "G4b"))  # point 14
    assert actions(d)["refuse_outright"] == ("must_not", ("G1", "G4b"))


@PROPS
@given(valid_facts())
def test_extension_follows_n3(baseline, facts):
    ext = baseline.decide(facts).extension
    used = facts["order"]["extensions_used"]
    assert ext.remaining == max(0, 3 - used)
    paid = dt.datetime.fromisoformat(facts["order"]["paid_at"].replace("Z", "+00:00"))
    at = dt.datetime.fromisoformat(facts["request"]["at"].replace("Z", "+00:00"))
    china = dt.timezone(dt.timedelta(hours=8))
    start = paid.astimezone(china).date()
    try:
        last_day = start.replace(year=start.year + 1)
    except ValueError:  # 29 February: the year ends on the month's last day
        last_day = start.replace(year=start.year + 1, day=28)
    expected = facts["order"]["settled"] and used < 3 and at.astimezone(china).date() <= last_day
    assert ext.eligible is expected


def test_far_future_deadlines_do_not_crash(baseline):
    """An order in December 9999: its deadlines lie past the last writable year and saturate."""
    d = baseline.decide(with_facts(order__paid_at="9999-12-20T00:00:00Z", order__signed_at="9999-12-21T00:00:00Z",
                                   request__at="9999-12-31T00:00:00Z"))
    quality = next(p for p in d.periods if p.name == "quality")
    assert quality.deadline == "9999-12-31T23:59:59.999999+08:00" and quality.expired is False
    assert d.extension.why.endswith("until 9999-12-31T23:59:59.999999+08:00 (N3)")


def test_china_helper_matches_the_policy_time_zone():
    assert rfc3339(china("2026-10-03T23:30:00")) == SIGNED_2330


# ---- a capability without `counted by`, with an exact window; a period not yet started ---------------

HOURLY = """platform policy "hourly" version "1"
timezone "+08:00"
now request.at
clause N3 "an extension within 48 hours of payment, twice at most"
clause G1 "talk first"
fact order.paid_at: timestamp
fact order.signed_at: timestamp?
fact request.at: timestamp
capability extension cites N3, G1:
  at most 2 times,
  7 days each,
  within 48 hours after order.paid_at
period reply cites N3 = 3 days from the day after order.signed_at
action reopen: pro_buyer needs extension
rule late cites N3 when expired reply then must reopen
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_capability_without_a_counter_and_an_exact_window(tmp_path: Path, engine: str) -> None:
    """Without `counted by`, every use remains; the window ends exactly 48 hours after payment
    (not at the end of a day); a null anchor starts no period (within, no deadline)."""
    path = tmp_path / "hourly.policy"
    path.write_text(HOURLY, encoding="utf-8")
    policy = load(path, engine=engine)
    paid = "2026-10-01T12:00:00+08:00"
    inside = policy.decide({"order": {"paid_at": paid, "signed_at": None},
                            "request": {"at": "2026-10-03T12:00:00+08:00"}})
    assert inside.extension.to_dict() == {
        "eligible": True, "remaining": 2,
        "why": "2 of 2 extensions left, 7 days each, until 2026-10-03T12:00:00+08:00 (N3, G1)"}
    reply, = inside.periods
    assert (reply.deadline, reply.expired) == (None, False) and inside.actions == ()
    late = policy.decide({"order": {"paid_at": paid, "signed_at": "2026-10-01T13:00:00+08:00"},
                          "request": {"at": "2026-10-03T12:00:00.000001+08:00"}})
    assert late.extension.to_dict() == {
        "eligible": False, "remaining": 2,
        "why": "not available: the request is after 2026-10-03T12:00:00+08:00, the end of the extension "
               "window (N3, G1)"}
    assert [p.expired for p in late.periods] == [False]
    expired = policy.decide({"order": {"paid_at": paid, "signed_at": "2026-10-01T13:00:00+08:00"},
                             "request": {"at": "2026-10-05T00:00:00+08:00"}})
    assert [a.action for a in expired.actions] == ["reopen"]
    assert [(c.action, c.capability) for c in expired.conflicts] == [("reopen", "extension")]


def test_a_lazy_decision_equals_the_interpreters_and_cannot_be_changed() -> None:
    """The compiled engine's Decision holds its JSON form and builds fields on first access;
    it equals the interpreter's field by field, hashes alike, and gives a fresh dict each time."""
    from policydsl.evaluate.decision import Decision

    facts = with_facts(request__reason="quality", request__quality_issue=True, request__evidence="verified",
                       request__at="2026-11-01T10:00:00+08:00")
    eager = load(BASELINE_PATH, engine="interpreter").decide(facts)
    lazy = load(BASELINE_PATH, engine="compiled").decide(facts)
    assert lazy.to_json() == eager.to_json()  # from the held JSON form, no fields built
    assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
    assert lazy.modality("reopen_after_sales") == "must" and lazy.scenario == ("S3", "S3.1")
    doc = lazy.to_dict()
    doc["actions"].clear()
    assert lazy.to_dict() == eager.to_dict() and lazy.actions == eager.actions
    with pytest.raises(AttributeError):
        lazy.scenario = ()  # type: ignore[misc]
    assert Decision.from_dict(eager.to_dict()) == eager
    assert eager.replace(trace=()).trace == () and eager.replace(trace=()).actions == eager.actions


NESTED = """platform policy "nested" version "1"
timezone "+08:00"
now request.at
clause G2c "the most favourable period governs"
fact order.paid_at: timestamp
fact order.signed_at: timestamp?
fact request.at: timestamp
period from_signing cites G2c = 3 days from the day after order.signed_at
period from_payment cites G2c = 3 days from the day after order.paid_at
period inner cites G2c = most favourable of from_signing
period outer cites G2c = most favourable of inner, from_payment
action help: pro_buyer
rule helps cites G2c when within outer then must help
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_period_not_started_stays_not_started_through_nested_best_periods(tmp_path: Path, engine: str) -> None:
    """Unsigned: `from_signing` has not started, so neither has `inner`, and `outer` takes it
    (a period not started is the most favourable) even though `from_payment` has expired."""
    path = tmp_path / "nested.policy"
    path.write_text(NESTED, encoding="utf-8")
    decision = load(path, engine=engine).decide(
        {"order": {"paid_at": "2026-10-01T12:00:00+08:00", "signed_at": None},
         "request": {"at": "2026-10-20T10:00:00+08:00"}})
    states = {p.name: (p.deadline, p.expired) for p in decision.periods}
    assert states == {"from_signing": (None, False), "from_payment": ("2026-10-04T23:59:59.999999+08:00", True),
                      "inner": (None, False), "outer": (None, False)}
    assert [a.action for a in decision.actions] == ["help"]



# ---- exact periods, a guarded period that does not apply, `is null` (from mutation testing) -----------

EXACT = """platform policy "exact" version "1"
timezone "+08:00"
now request.at
clause G2 "periods counted from payment"
fact order.paid_at: timestamp
fact order.signed_at: timestamp?
fact request.at: timestamp
period reply cites G2 = 36 hours after order.paid_at
period settle cites G2 = 2 days after order.paid_at unless order.signed_at is null
action help: pro_buyer
action remind: pro_buyer
action chase: pro_buyer
rule helps cites G2 when within reply then must help
rule reminds cites G2 when expired settle then must remind
rule chases cites G2 when order.signed_at is null then should chase
"""

PAID = "2026-10-01T12:00:00+08:00"


@pytest.mark.parametrize("engine", ENGINES)
def test_an_exact_period_ends_on_the_instant_and_a_period_that_does_not_apply_never_expires(
        tmp_path: Path, engine: str) -> None:
    """`36 hours after` ends exactly 36 hours after its anchor (not at the end of a day); `2 days
    after` exactly 48 hours after; a period whose guard fails neither runs nor expires, however
    late the request; `is null` holds only for a null fact."""
    path = tmp_path / "exact.policy"
    path.write_text(EXACT, encoding="utf-8")
    policy = load(path, engine=engine)

    def decide(at: str, signed: str | None) -> Decision:
        return policy.decide({"order": {"paid_at": PAID, "signed_at": signed}, "request": {"at": at}})

    last = decide("2026-10-03T00:00:00+08:00", "2026-10-02T09:00:00+08:00")
    assert {p.name: (p.length, p.unit, p.deadline, p.expired) for p in last.periods} == {
        "reply": (36, "hours", "2026-10-03T00:00:00+08:00", False),
        "settle": (2, "days", "2026-10-03T12:00:00+08:00", False)}
    assert [(a.action, a.modality) for a in last.actions] == [("help", "must")]
    after = decide("2026-10-03T00:00:00.000001+08:00", "2026-10-02T09:00:00+08:00")
    assert [p.expired for p in after.periods if p.name == "reply"] == [True] and after.actions == ()
    settled = decide("2026-10-03T12:00:00.000001+08:00", "2026-10-02T09:00:00+08:00")
    assert [(a.action, a.modality) for a in settled.actions] == [("remind", "must")]
    unsigned = decide("2027-10-03T12:00:00+08:00", None)  # a year late: `settle` does not apply
    assert [(a.action, a.modality) for a in unsigned.actions] == [("chase", "should")]
    assert [p.name for p in unsigned.periods if p.expired] == ["reply"]


@pytest.mark.parametrize("engine", ENGINES)
def test_constant_conditions_in_the_ir(tmp_path: Path, engine: str) -> None:
    """The IR's constant conditions (as a JSON IR or a tool may hold them): `false` never fires a
    rule and `true` always does, in both engines."""
    import attrs

    from policydsl import ir
    from policydsl.api import PolicySet

    path = tmp_path / "exact.policy"
    path.write_text(EXACT, encoding="utf-8")
    ps = load(path, engine="interpreter").ir
    constant = {"helps": ir.FalseCond(), "chases": ir.TrueCond()}
    rules = tuple(attrs.evolve(r, condition=constant.get(r.name, r.condition)) for r in ps.rules)
    policy = PolicySet(attrs.evolve(ps, rules=rules), engine=engine)
    decision = policy.decide({"order": {"paid_at": PAID, "signed_at": "2026-10-02T09:00:00+08:00"},
                              "request": {"at": "2026-10-02T00:00:00+08:00"}})  # inside `reply`
    assert [(a.action, a.modality) for a in decision.actions] == [("chase", "should")]


# ---- every comparison, and several rules giving one action (from mutation testing) -------------------

COMPARISONS = """platform policy "ops" version "1"
timezone "+08:00"
now request.at
clause G1 "the first clause"
clause G2 "the second clause"
fact order.extensions_used: count
fact request.at: timestamp
action lt: pro_buyer
action le: pro_buyer
action eq: pro_buyer
action ne: pro_buyer
action ge: pro_buyer
action gt: pro_buyer
action help: pro_buyer
action refuse: pro_merchant
rule r_lt cites G1 when order.extensions_used < 2 then must lt
rule r_le cites G1 when order.extensions_used <= 2 then must le
rule r_eq cites G1 when order.extensions_used == 2 then must eq
rule r_ne cites G1 when order.extensions_used != 2 then must ne
rule r_ge cites G1 when order.extensions_used >= 2 then must ge
rule r_gt cites G1 when order.extensions_used > 2 then must gt
rule help_a cites G1 when order.extensions_used >= 1 then should help, may refuse
rule help_b cites G2 when order.extensions_used >= 2 then must help, must_not refuse
rule help_c cites G1 when order.extensions_used >= 3 then must help, must refuse
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_every_comparison_at_both_sides_of_its_bound_and_the_strongest_effect_wins(tmp_path: Path,
                                                                                  engine: str) -> None:
    """Each operator below, at and above its bound. When several rules give one action, the
    modality most favourable to the buyer wins (for a pro-merchant action, `must_not`), and it
    cites the rules that gave that modality, in order; the weaker rules' clauses are not cited."""
    path = tmp_path / "ops.policy"
    path.write_text(COMPARISONS, encoding="utf-8")
    policy = load(path, engine=engine)

    def decide(used: int) -> dict[str, tuple[str, tuple[str, ...]]]:
        return actions(policy.decide({"order": {"extensions_used": used}, "request": {"at": PAID}}))

    held = {used: sorted(a for a, (m, _) in decide(used).items() if m == "must" and len(a) == 2)
            for used in (1, 2, 3)}
    assert held == {1: ["le", "lt", "ne"], 2: ["eq", "ge", "le"], 3: ["ge", "gt", "ne"]}
    assert {a: decide(1)[a] for a in ("help", "refuse")} == {"help": ("should", ("G1",)), "refuse": ("may", ("G1",))}
    assert {a: decide(2)[a] for a in ("help", "refuse")} == {"help": ("must", ("G2",)),
                                                            "refuse": ("must_not", ("G2",))}
    # help_b and help_c both give `must help`: both cite it; help_c's `must refuse` loses to `must_not`
    assert {a: decide(3)[a] for a in ("help", "refuse")} == {"help": ("must", ("G2", "G1")),
                                                            "refuse": ("must_not", ("G2",))}


@pytest.mark.parametrize("engine", ENGINES)
def test_g3_names_the_culprit_the_checker_names(engine: str) -> None:
    """For every stricter-than-baseline rule or setting of the rejected examples, its counterexample
    decided by the evaluator lists that very rule or setting under `overridden` for that action
    (G3's order of blame: a rule that overrode or replaced a fired baseline rule, a rule that gave
    the harsher modality itself, else the settings)."""
    from policydsl.api import PolicySet, load_set
    from policydsl.check import check_merchant

    seen = 0
    for path in sorted((BASELINE_PATH.parent.parent / "merchants" / "rejected").glob("*.policy")):
        loaded = load_set([path])
        assert loaded.policy_set is not None, path
        policy = PolicySet(loaded.policy_set, engine=engine)
        for v in check_merchant(loaded.policy_set).violations:
            decision = policy.decide(v.counterexample)
            assert (v.culprit, v.action) in [(o.rule, o.action) for o in decision.overridden], (path.name, v)
            seen += 1
    assert seen >= 10


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stronger_remedy_covers_a_weaker_one(tmp_path: Path, engine: str) -> None:
    """G3 counts stronger remedies (accept_request > reopen_after_sales > … >
    offer_small_compensation): a merchant rule replacing the baseline's `should
    offer_small_compensation` in S2 with `must accept_request` is not less favourable, so nothing
    is overridden and the compensation is not restored (found by mutation testing of policydsl.ir.g3)."""
    from policydsl.api import load

    path = tmp_path / "accepting.policy"
    path.write_text(f'merchant policy "accepting-shop" version "1" extends "{BASELINE_NAME}"\n\n'
                    'clause M1 "Past the no-reason period we still accept the return"\n\n'
                    "rule s2_accept cites M1, S2 replaces s2_small_compensation\n"
                    "  when scenario S2\n  then must accept_request\n", encoding="utf-8")
    decision = load(path, engine=engine).decide(with_facts(order__category="apparel"))
    assert decision.scenario == ("S2", "S2.1")
    got = actions(decision)
    assert got["accept_request"] == ("must", ("M1", "S2")) and "offer_small_compensation" not in got
    assert decision.overridden == ()


LATE_HELP_PLATFORM = '''platform policy "late-help" version "1"

timezone "+08:00"
now request.at

clause C1 "Inside the claims window the normal flow applies"
clause C2 "Past the claims window the buyer is still helped"

fact order.signed_at: timestamp
fact request.at: timestamp

action accept_request: pro_buyer
action late_help: pro_buyer

param window_days = 7 days may only increase cites C1
period window cites C1 = window_days from the day after order.signed_at
period claims cites C1 = most favourable of window

rule normal_flow cites C1
  when within claims
  then should accept_request
rule help_when_late cites C2
  when not within claims
  then must late_help
'''


@pytest.mark.parametrize("engine", ENGINES)
def test_g3_blames_a_merchant_period_by_name(tmp_path: Path, engine: str) -> None:
    """Where no merchant rule accounts for a less favourable decision, `overridden` names the merchant's
    settings and periods: here a promised period joining `claims` moves day 10 inside the window, where
    the platform's past-window `must late_help` no longer applies, and G3 restores it, blaming
    `period promise` — the name the checker gives (found by mutation testing of policydsl.ir.g3)."""
    from policydsl.api import load_set, PolicySet
    from policydsl.check import check_merchant

    (tmp_path / "late_help.policy").write_text(LATE_HELP_PLATFORM, encoding="utf-8")
    shop = tmp_path / "shop.policy"
    shop.write_text('merchant policy "shop" version "1" extends "late-help"\n\n'
                    'clause M1 "A 14-day promise"\n\n'
                    "period promise cites M1 = 14 days from the day after order.signed_at\n  joins claims\n",
                    encoding="utf-8")
    loaded = load_set([shop], tmp_path / "late_help.policy")
    assert loaded.policy_set is not None, [d.message for d in loaded.diagnostics]
    violation, = check_merchant(loaded.policy_set).violations
    assert (violation.culprit, violation.action) == ("period promise", "late_help")
    decision = PolicySet(loaded.policy_set, engine=engine).decide(
        {"order": {"signed_at": "2026-10-01T12:00:00+08:00"}, "request": {"at": "2026-10-11T12:00:00+08:00"}})
    assert decision.modality("late_help") == "must" and decision.modality("accept_request") == "should"
    assert [(o.rule, o.action) for o in decision.overridden] == [("period promise", "late_help")]
