"""The shipped baseline policy (policies/platform/after_sales.policy, revision 2, version
"2026-12") written by hand in Python.

The speed floor of bench/bench_eval.py: `decide(flat)` returns, for valid flat facts, the
same dict as the reference interpreter's `evaluate(baseline, flat).to_dict()`
(policydsl.evaluate.interpreter; bench_eval checks this on every request before timing
anything), and `decide_json(facts)` does the same from JSON-like nested facts, validating
them on the way. It is what a careful programmer would write for this one policy: the
scenarios as nested tests, the cites as constants, each timestamp formatted once. Only the
standard library is used, except that unusual input is handed to policydsl's validator
(policydsl.evaluate.facts), which reports every problem.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

DAY = 86_400_000_000  # microseconds
OFFSET = 8 * 3_600_000_000  # China time, UTC+08:00
CHINA = dt.timezone(dt.timedelta(hours=8))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LOCAL_EPOCH = EPOCH.astimezone(CHINA)
ORDINAL_1970 = dt.date(1970, 1, 1).toordinal()
US = dt.timedelta(microseconds=1)
FIRST = (dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc) - EPOCH) // US  # 0001-01-01 00:00 UTC: 08:00 China time
LAST = (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=CHINA) - EPOCH) // US
timedelta, fromisoformat, fromordinal = dt.timedelta, dt.datetime.fromisoformat, dt.date.fromordinal

FRESH = frozenset(("fresh_food", "green_plants", "flowers"))
CATEGORIES = frozenset(("fresh_food", "green_plants", "flowers", "apparel", "electronics", "home_appliances", "beauty",
                        "books", "general"))
TYPES = frozenset(("refund_only", "return_refund"))
REASONS = frozenset(("no_reason", "quality"))
CAUSES = frozenset(("none", "improper_storage", "courier", "man_made", "not_man_made", "unknown"))
EVIDENCE = frozenset(("none", "provided", "verified", "refuted"))
STAGES = frozenset(("open", "compensation_offered", "compensation_rejected", "agreed"))
NOT_VALID_QUALITY = frozenset(("man_made", "improper_storage"))  # valid_quality_claim's excluded causes
NOT_OF_GOODS = frozenset(("courier", "man_made", "improper_storage"))  # defect_of_goods' excluded causes
COURIER_CHECKED = frozenset(("none", "unknown", "courier", "not_man_made"))  # s3_1_case1_courier_check's causes
GIVEN = frozenset(("provided", "verified"))  # evidence_given
COMPENSATED = frozenset(("compensation_offered", "agreed"))  # guide_cancellation_once_compensated

# The cites of each rule (in any decision of the baseline alone one rule gives each action its
# strongest modality, so an action's cites are that rule's: the 三包 `may accept_request` only
# counts when no normal flow's `must` does).
NORMAL_NO_REASON = ("S2",)
NORMAL_QUALITY = ("S3",)
GOVERNING = ("G2c",)  # governing_period_flow
AGREED_GOVERNS = ("G2c", "S3.2")  # agreed_period_governs
GENERAL = ("G1", "G4b")  # never_refuse_outright
VERIFY = ("G1", "G4a", "G4b")  # verify_and_propose
SANBAO = ("G2a",)
S1_COMPENSATION = ("S1",)
S2_COMPENSATION = ("S2",)
S3_COMPENSATION = ("S3",)
NOT_ACCEPTED_COMPENSATION = ("G4b", "G4c")
CANCELLATION = ("S1", "S2", "S3")
S1_NEGOTIATE = ("S1", "G4c")
S2_NEGOTIATE = ("S2", "G4c")
S3_NEGOTIATE = ("S3", "G4c")
NOT_ACCEPTED_NEGOTIATE = ("G4c",)
RESALE_JUDGED = ("N1",)
S1_1_EXPLAIN = ("S1", "S1.1")
S1_2_STORAGE = ("S1.2",)
S2_1_REOPEN = ("S2.1", "N2", "N3")
S2_2_RESALE = ("S2.2", "N1")
S3_1 = ("S3.1",)
S3_1_REOPEN = ("S3.1", "N2")
S3_1_NO_EXTENSION = ("S3.1", "N3")
S3_2 = ("S3.2",)
RULINGS = ("refund_only", "return_refund", "return_shipping_by_merchant", "other_measures")

NOT_SETTLED = "not available: the order does not meet the capability's condition (e.g. not settled yet) (N3)"
ALL_USED = "not available: all 3 extensions are used (N3)"
NEVER_REFUSE = "platform rule never_refuse_outright fired []: gives must_not refuse_outright, should soothe_buyer"


def fmt(us: int) -> str:
    """RFC 3339 in China time, clamped to the writable years 0001–9999."""
    if us > LAST:
        us = LAST
    elif us < FIRST:
        us = FIRST
    return (LOCAL_EPOCH + timedelta(0, 0, us)).isoformat()


def local_day(instant: int) -> int:
    """The China-time calendar day of an instant, as days since 1970-01-01."""
    return (instant + OFFSET) // DAY


_day_ends: dict[int, str] = {}


def day_end(day: int) -> str:
    """The last instant of a China-time day (23:59:59.999999, where every calendar period
    ends), as the decision writes it; memoised, as the same few days end most periods."""
    text = _day_ends.get(day)
    if text is None:
        if len(_day_ends) >= 65_536:
            _day_ends.clear()
        text = _day_ends[day] = fmt((day + 1) * DAY - OFFSET - 1)
    return text


def year_later(day: int) -> int:
    """The last day of a Civil Code year counted from the day after `day`: the same date a
    year later, or 28 February for 29 February."""
    date = fromordinal(day + ORDINAL_1970)  # a valid fact's day: its date is in 0001–9999
    year, month = date.year, date.month
    if month == 2 and date.day == 29:
        return day + 365
    if month > 2:
        year += 1  # the 29 February the year may span is the next year's
    return day + (366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365)


def action(name: str, modality: str, cites: tuple[str, ...]) -> dict[str, Any]:
    return {"action": name, "modality": modality, "cites": list(cites), "source": "platform"}


def period(name: str, days: int, deadline: str | None, expired: bool, unit: str = "days") -> dict[str, Any]:
    return {"name": name, unit: days, "deadline": deadline, "expired": expired, "source": "platform"}


def decide(f: dict[str, Any]) -> dict[str, Any]:
    """The baseline's decision for valid flat facts (as policydsl's facts validation returns
    them: dotted keys, timestamps as epoch microseconds, an omitted optional fact null)."""
    cat = f["order.category"]
    signed = f["order.signed_at"]
    agreed = f["order.agreed_service_days"]
    sanbao = f["order.sanbao_covered"]
    at = f["request.at"]
    reason = f["request.reason"]
    used = f["request.product_used"]
    cause = f["request.damage_cause"]
    evidence = f["request.evidence"]
    stage = f["negotiation.stage"]
    fresh = cat in FRESH

    # ---- periods, in declaration order (a null signing: every period applies, not started) ----
    # Calendar periods end at 24:00 China time, so "within" compares local days.
    periods = []
    now = local_day(at)
    within_no_reason = False  # fresh goods have no no-reason period
    if signed is None:
        within_quality = True
        within_agreed = agreed is not None
        if not fresh:
            within_no_reason = True
            periods.append(period("no_reason", 7, None, False))
        periods.append(period("quality", 15, None, False))
        if agreed is not None:
            periods.append(period("agreed", agreed, None, False))
            periods.append(period("service_period", agreed, None, False))
        if not fresh:
            periods.append(period("no_reason_claims", 7, None, False))
        elif agreed is not None:
            periods.append(period("no_reason_claims", agreed, None, False))
        periods.append(period("quality_claims", 15, None, False))
        within_sanbao = sanbao
        if sanbao:
            periods.append(period("sanbao_warranty_platform", 12, None, False, "months"))
            if f.get("order.sanbao_warranty_days") is not None:
                periods.append(period("sanbao_warranty_product", f["order.sanbao_warranty_days"], None, False))
            periods.append(period("sanbao_repair", 12, None, False, "months"))
    else:
        day = local_day(signed)
        s15 = day_end(day + 15)
        within_quality = now <= day + 15
        if not fresh:
            s7 = day_end(day + 7)
            within_no_reason = now <= day + 7
            periods.append(period("no_reason", 7, s7, not within_no_reason))
        periods.append(period("quality", 15, s15, not within_quality))
        if agreed is None:
            within_agreed = False
            if not fresh:
                periods.append(period("no_reason_claims", 7, s7, not within_no_reason))
            periods.append(period("quality_claims", 15, s15, not within_quality))
        else:
            sa = day_end(day + agreed)
            within_agreed = now <= day + agreed
            periods.append(period("agreed", agreed, sa, not within_agreed))
            periods.append(period("service_period", agreed, sa, not within_agreed))
            if fresh or agreed > 7:  # most favourable: the latest deadline, the first on a tie
                periods.append(period("no_reason_claims", agreed, sa, not within_agreed))
            else:
                periods.append(period("no_reason_claims", 7, s7, not within_no_reason))
            if agreed > 15:
                periods.append(period("quality_claims", agreed, sa, not within_agreed))
            else:
                periods.append(period("quality_claims", 15, s15, not within_quality))
        within_sanbao = False
        if sanbao:
            year_end = year_later(day)
            sy = day_end(year_end)
            within_sanbao = now <= year_end
            periods.append(period("sanbao_warranty_platform", 12, sy, not within_sanbao, "months"))
            product_days = f.get("order.sanbao_warranty_days")
            if product_days is None:
                periods.append(period("sanbao_repair", 12, sy, not within_sanbao, "months"))
            else:
                sp = day_end(day + product_days)
                periods.append(period("sanbao_warranty_product", product_days, sp, now > day + product_days))
                if day + product_days > year_end:
                    within_sanbao = now <= day + product_days
                    periods.append(period("sanbao_repair", product_days, sp, not within_sanbao))
                else:
                    periods.append(period("sanbao_repair", 12, sy, not within_sanbao, "months"))

    # ---- the extension (N3): 3 times, within 1 year after payment, once settled ----
    paid = f["order.paid_at"]
    remaining = 3 - f["order.extensions_used"]
    if remaining < 0:
        remaining = 0
    eligible = False
    if not f["order.settled"]:
        why = NOT_SETTLED
    elif remaining == 0:
        why = ALL_USED
    else:
        limit = year_later(local_day(paid))
        if now > limit:
            why = f"not available: the request is after {day_end(limit)}, the end of the extension window (N3)"
        else:
            eligible = True
            why = f"{remaining} of 3 extensions left, 7 days each, until {day_end(limit)} (N3)"
    extension = {"eligible": eligible, "remaining": remaining, "why": why}

    # ---- the facts as the trace shows them ----
    t_cat = "order.category=" + cat
    t_signed = "order.signed_at=" + ("null" if signed is None else fmt(signed))
    t_at = "request.at=" + fmt(at)
    t_reason = "request.reason=" + reason
    t_used = "request.product_used=true" if used else "request.product_used=false"
    t_agreed = "order.agreed_service_days=" + ("null" if agreed is None else str(agreed))
    t_cause = "request.damage_cause=" + cause
    t_evidence = "request.evidence=" + evidence
    t_stage = "negotiation.stage=" + stage
    quality_issue = f["request.quality_issue"]
    t_quality = "request.quality_issue=true" if quality_issue else "request.quality_issue=false"
    periods_read = f"{t_agreed}, {t_cat}, {t_signed}, {t_at}"  # what the claims periods read
    flow_read = f"{periods_read}, {t_cause}, {t_evidence}, {t_used}, {t_reason}"  # normal_flow and its kin

    # ---- scenarios and rules; each action has one slot, filled by the rule that gives it ----
    scenario: list[str] = []
    trace: list[str] = []
    accept = evidence_step = propose = explain = compensate = negotiate = storage = reopen = resale = None
    proof = courier_check = apply_agreed = assist = exchange = repair = cancel = None
    conflicts: list[dict[str, Any]] = []
    escalation = None
    rejected = stage == "compensation_rejected"

    def extension_read() -> str:  # the extension's facts as a trace shows them
        return (f"order.extensions_used={f['order.extensions_used']}, order.paid_at={fmt(paid)}, "
                f"order.settled={'true' if f['order.settled'] else 'false'}")

    def agreed_governs() -> None:  # agreed_period_governs: an agreed period runs
        nonlocal apply_agreed
        trace.append(f"platform rule agreed_period_governs fired [{t_agreed}, {t_signed}, {t_at}]: gives must "
                     f"apply_agreed_period")
        apply_agreed = action("apply_agreed_period", "must", AGREED_GOVERNS)

    def verify_and_propose() -> None:  # the normal flow does not accept the request
        nonlocal evidence_step, propose
        trace.append(f"platform rule verify_and_propose fired [{flow_read}]: gives should request_evidence, should "
                     f"propose_solution")
        evidence_step = action("request_evidence", "should", VERIFY)
        propose = action("propose_solution", "should", VERIFY)

    def sanbao_claim() -> None:  # a valid quality claim for a reported, non-courier defect of 三包 goods in warranty
        nonlocal repair, exchange, accept
        read = f"{sanbao_read(f)}, {t_signed}, {t_at}, {t_cause}, {t_evidence}, {t_quality}, {t_reason}"
        trace.append(f"platform rule sanbao_repair_in_warranty fired [{read}]: gives must offer_repair")
        repair = action("offer_repair", "must", SANBAO)
        failed = f.get("order.failed_repairs")
        if failed is not None and failed >= 2:
            trace.append(f"platform rule sanbao_exchange_after_failed_repairs fired [order.failed_repairs={failed}, "
                         f"{read}]: gives must offer_exchange, may accept_request")
            exchange = action("offer_exchange", "must", SANBAO)
            if accept is None:  # a must from the normal flow outranks this may
                accept = action("accept_request", "may", SANBAO)

    def in_period_not_accepted() -> None:  # compensation_when_not_accepted, negotiate_when_not_accepted
        nonlocal compensate, negotiate
        trace.append(f"platform rule compensation_when_not_accepted fired [{flow_read}]: gives should "
                     f"offer_small_compensation")
        compensate = action("offer_small_compensation", "should", NOT_ACCEPTED_COMPENSATION)
        if rejected:
            trace.append(f"platform rule negotiate_when_not_accepted fired [{t_stage}, {flow_read}]: gives should "
                         f"negotiate_other_remedy")
            negotiate = action("negotiate_other_remedy", "should", NOT_ACCEPTED_NEGOTIATE)

    def past_period(duty: bool = False) -> None:  # escalation, guide_cancellation_once_compensated
        nonlocal escalation, cancel
        escalation = {"platform_may_intervene": True, "rulings": list(RULINGS), "cites": ["N1"]}
        if stage in COMPENSATED and not duty:  # never next to a duty to reopen (S3.1 case 2) or to repair (三包)
            trace.append(f"platform rule guide_cancellation_once_compensated fired [{t_stage}, {t_agreed}, {t_cat}, "
                         f"{sanbao_read(f)}, {t_signed}, {t_at}, {t_cause}, {t_evidence}, {t_used}, {t_quality}, "
                         f"{t_reason}]: gives may guide_cancellation")
            cancel = action("guide_cancellation", "may", CANCELLATION)

    def resale_judged() -> None:  # resale_judged_from_evidence: past the period, used, evidence given (not S2.2)
        nonlocal resale
        if used and evidence in GIVEN:
            trace.append(f"platform rule resale_judged_from_evidence fired [{flow_read}]: gives may "
                         f"inform_resale_affected")
            resale = action("inform_resale_affected", "may", RESALE_JUDGED)

    if reason == "no_reason":
        within_claims = within_no_reason or within_agreed  # no_reason_claims
        if within_claims and not used:  # the normal flow
            if within_no_reason:
                trace.append(f"platform rule normal_no_reason_flow fired [{t_cat}, {t_signed}, {t_at}, {t_used}, "
                             f"{t_reason}]: gives must accept_request")
                accept = action("accept_request", "must", NORMAL_NO_REASON)
            else:
                trace.append(f"platform rule governing_period_flow fired [{flow_read}]: gives must accept_request")
                accept = action("accept_request", "must", GOVERNING)
            if within_agreed:
                agreed_governs()
            trace.append(NEVER_REFUSE)
        elif within_claims:  # used goods inside a governing period: not accepted, no past-period scenario
            if within_agreed:
                agreed_governs()
            trace.append(NEVER_REFUSE)
            verify_and_propose()
            in_period_not_accepted()
        elif fresh:  # S1: fresh goods have no no-reason period
            scenario += ("S1", "S1.2") if used else ("S1", "S1.1")
            trace += ["scenario S1 holds", "scenario S1.2 holds" if used else "scenario S1.1 holds", NEVER_REFUSE]
            verify_and_propose()
            trace.append(f"platform rule s1_small_compensation fired [{periods_read}, {t_cause}, {t_reason}]: gives "
                         f"should offer_small_compensation")
            compensate = action("offer_small_compensation", "should", S1_COMPENSATION)
            past_period()
            if rejected:
                trace.append(f"platform rule s1_negotiate_after_rejection fired [{t_stage}, {periods_read}, "
                             f"{t_cause}, {t_reason}]: gives should negotiate_other_remedy")
                negotiate = action("negotiate_other_remedy", "should", S1_NEGOTIATE)
            resale_judged()
            if not used:  # S1.1: the exclusion may be explained, but not against an unrefuted quality problem
                if not (quality_issue and evidence != "refuted"):
                    trace.append(f"platform rule s1_1_explain_and_compensate fired [{periods_read}, {t_cause}, "
                                 f"{t_evidence}, {t_used}, {t_quality}, {t_reason}]: gives may "
                                 f"explain_no_reason_exclusion")
                    explain = action("explain_no_reason_exclusion", "may", S1_1_EXPLAIN)
            elif cause == "improper_storage":  # S1.2
                trace.append(f"platform rule s1_2_storage fired [{periods_read}, {t_cause}, {t_used}, {t_reason}]: "
                             f"gives may advise_storage")
                storage = action("advise_storage", "may", S1_2_STORAGE)
        else:  # S2: other goods past the no-reason period
            scenario += ("S2", "S2.2") if used else ("S2", "S2.1")
            trace += ["scenario S2 holds", "scenario S2.2 holds" if used else "scenario S2.1 holds", NEVER_REFUSE]
            verify_and_propose()
            trace.append(f"platform rule s2_small_compensation fired [{periods_read}, {t_reason}]: gives should "
                         f"offer_small_compensation")
            compensate = action("offer_small_compensation", "should", S2_COMPENSATION)
            past_period()
            if rejected:
                trace.append(f"platform rule s2_negotiate_after_rejection fired [{t_stage}, {periods_read}, "
                             f"{t_reason}]: gives should negotiate_other_remedy")
                negotiate = action("negotiate_other_remedy", "should", S2_NEGOTIATE)
            if not used:  # S2.1: reopening by agreement, done with the extension (only while it is available)
                if stage == "agreed" and eligible:
                    trace.append(f"platform rule s2_1_reopen_by_agreement fired [{t_stage}, {t_agreed}, {t_cat}, "
                                 f"{extension_read()}, {t_signed}, {t_at}, {t_used}, {t_reason}]: gives may "
                                 f"reopen_after_sales")
                    reopen = action("reopen_after_sales", "may", S2_1_REOPEN)
            elif evidence in GIVEN:  # S2.2: resale is affected
                trace.append(f"platform rule s2_2_resale_affected fired [{periods_read}, {t_evidence}, {t_used}, "
                             f"{t_reason}]: gives should inform_resale_affected")
                resale = action("inform_resale_affected", "should", S2_2_RESALE)
    elif fresh and cause == "improper_storage":  # S1.2: fresh goods spoiled by storage, claimed as quality
        scenario += ("S1", "S1.2")
        trace += ["scenario S1 holds", "scenario S1.2 holds"]
        if within_agreed:
            agreed_governs()
        trace.append(NEVER_REFUSE)
        verify_and_propose()
        trace.append(f"platform rule s1_small_compensation fired [{periods_read}, {t_cause}, {t_reason}]: gives "
                     f"should offer_small_compensation")
        compensate = action("offer_small_compensation", "should", S1_COMPENSATION)
        past_period()
        if rejected:
            trace.append(f"platform rule s1_negotiate_after_rejection fired [{t_stage}, {periods_read}, {t_cause}, "
                         f"{t_reason}]: gives should negotiate_other_remedy")
            negotiate = action("negotiate_other_remedy", "should", S1_NEGOTIATE)
        resale_judged()
        trace.append(f"platform rule s1_2_storage fired [{periods_read}, {t_cause}, {t_used}, {t_reason}]: gives may "
                     f"advise_storage")
        storage = action("advise_storage", "may", S1_2_STORAGE)
    else:  # a quality claim
        valid = evidence != "refuted" and cause not in NOT_VALID_QUALITY
        case1 = not quality_issue or cause == "courier"  # S3.1 case 1: no defect (or the courier's)
        # sanbao_claim: a valid claim for a reported defect that is not the courier's, in the repair warranty
        sanbao_duty = within_sanbao and valid and not case1
        if within_quality or within_agreed:  # within quality_claims
            if valid:  # the normal flow
                if within_quality:
                    trace.append(f"platform rule normal_quality_flow fired [{t_signed}, {t_at}, {t_cause}, "
                                 f"{t_evidence}, {t_reason}]: gives must accept_request")
                    accept = action("accept_request", "must", NORMAL_QUALITY)
                else:
                    trace.append(f"platform rule governing_period_flow fired [{flow_read}]: gives must "
                                 f"accept_request")
                    accept = action("accept_request", "must", GOVERNING)
                if within_agreed:
                    agreed_governs()
                trace.append(NEVER_REFUSE)
                if sanbao_duty:
                    sanbao_claim()
            else:  # refuted, or man-made or storage damage: not accepted, no past-period scenario
                if within_agreed:
                    agreed_governs()
                trace.append(NEVER_REFUSE)
                verify_and_propose()
                in_period_not_accepted()
                if not used:
                    if case1 and cause in COURIER_CHECKED:  # not damage the buyer caused
                        trace.append(f"platform rule s3_1_case1_courier_check fired [{periods_read}, {t_cause}, "
                                     f"{t_evidence}, {t_used}, {t_quality}, {t_reason}]: gives should "
                                     f"check_courier_damage")
                        courier_check = action("check_courier_damage", "should", S3_1)
                elif cause == "not_man_made":
                    trace.append(f"platform rule s3_2_not_man_made fired [{flow_read}]: gives may assist_return")
                    assist = action("assist_return", "may", S3_2)
        else:  # S3: past every period that governs a quality claim
            scenario += ("S3", "S3.2") if used else ("S3", "S3.1")
            trace += ["scenario S3 holds", "scenario S3.2 holds" if used else "scenario S3.1 holds", NEVER_REFUSE]
            verify_and_propose()
            if sanbao_duty:
                sanbao_claim()
            trace.append(f"platform rule s3_small_compensation fired [{periods_read}, {t_cause}, {t_reason}]: gives "
                         f"should offer_small_compensation")
            compensate = action("offer_small_compensation", "should", S3_COMPENSATION)
            reopen_duty = (not used and quality_issue and evidence == "verified"
                           and cause not in NOT_OF_GOODS)  # S3.1 case 2: a verified defect of the goods
            past_period(reopen_duty or sanbao_duty)
            if rejected:
                trace.append(f"platform rule s3_negotiate_after_rejection fired [{t_stage}, {periods_read}, "
                             f"{t_cause}, {t_reason}]: gives should negotiate_other_remedy")
                negotiate = action("negotiate_other_remedy", "should", S3_NEGOTIATE)
            resale_judged()
            s31_read = f"{periods_read}, {t_cause}, {t_evidence}, {t_used}, {t_quality}, {t_reason}"
            if not used:  # S3.1
                if case1:
                    trace.append(f"platform rule s3_1_case1_no_defect fired [{periods_read}, {t_cause}, {t_used}, "
                                 f"{t_quality}, {t_reason}]: gives may provide_quality_proof")
                    proof = action("provide_quality_proof", "may", S3_1)
                    if cause in COURIER_CHECKED:  # not damage the buyer caused
                        trace.append(f"platform rule s3_1_case1_courier_check fired [{s31_read}]: gives should "
                                     f"check_courier_damage")
                        courier_check = action("check_courier_damage", "should", S3_1)
                elif reopen_duty:
                    trace.append(f"platform rule s3_1_case2_verified_defect fired [{s31_read}]: gives must "
                                 f"reopen_after_sales")
                    reopen = action("reopen_after_sales", "must", S3_1_REOPEN)
                    if not eligible:  # the duty stands; the extension cannot serve it
                        trace.append(
                            f"platform rule s3_1_case2_no_extension fired [{t_agreed}, {t_cat}, {extension_read()}, "
                            f"{t_signed}, {t_at}, {t_cause}, {t_evidence}, {t_used}, {t_quality}, {t_reason}]: "
                            f"gives must negotiate_other_remedy")
                        negotiate = action("negotiate_other_remedy", "must", S3_1_NO_EXTENSION)
                        conflicts.append({"action": "reopen_after_sales", "modality": "must",
                                          "capability": "extension", "why": why, "cites": ["N3"]})
            elif cause == "not_man_made":  # S3.2: not man-made damage may be assisted
                trace.append(f"platform rule s3_2_not_man_made fired [{flow_read}]: gives may assist_return")
                assist = action("assist_return", "may", S3_2)

    soothe = action("soothe_buyer", "should", GENERAL)
    refuse = action("refuse_outright", "must_not", GENERAL)
    actions = [a for a in (accept, evidence_step, soothe, propose, refuse, explain, compensate, negotiate, storage,
                           reopen, resale, proof, courier_check, apply_agreed, assist, exchange, repair, cancel) if a]
    return {"scenario": scenario, "actions": actions, "periods": periods, "extension": extension,
            "conflicts": conflicts, "escalation": escalation, "overridden": [], "trace": trace}


def _show(count: int | None) -> str:
    return "null" if count is None else str(count)


def sanbao_read(f: dict[str, Any]) -> str:
    """The 三包 facts as a trace shows them (only rules that test the repair warranty read them)."""
    return (f"order.sanbao_covered={'true' if f['order.sanbao_covered'] else 'false'}, "
            f"order.sanbao_warranty_days={_show(f.get('order.sanbao_warranty_days'))}")


def read_timestamp(value: Any) -> int | None:
    """Epoch microseconds of `YYYY-MM-DDTHH:MM:SS+HH:MM` or `…Z` in the writable range; else None."""
    if type(value) is not str or len(value) not in (20, 25) or value[10] != "T":
        return None
    if len(value) == 25 and (value[19] not in "+-" or value[23] > "5"):
        return None
    if len(value) == 20 and value[19] != "Z":
        return None
    try:
        us = (fromisoformat(value) - EPOCH) // US
    except ValueError:
        return None
    return us if FIRST <= us <= LAST else None


def optional_count(value: Any) -> bool:
    """A value a `count?` or `days?` fact accepts (an omitted one, where allowed, is null)."""
    return value is None or type(value) is int and value >= 0


def validate(facts: Any) -> dict[str, Any]:
    """Flat facts from the usual nested JSON; anything unusual goes to policydsl's validator,
    which reports every problem (or accepts a rarer valid shape)."""
    try:
        order, request, negotiation = facts["order"], facts["request"], facts["negotiation"]
        warranty = order.get("sanbao_warranty_days")
        failed = order.get("failed_repairs")
        if (len(facts) == 3 and len(order) == 7 + ("sanbao_warranty_days" in order) + ("failed_repairs" in order)
                and len(request) == 7 and len(negotiation) == 1):
            paid = read_timestamp(order["paid_at"])
            signed_text = order["signed_at"]
            signed = None if signed_text is None else read_timestamp(signed_text)
            at = read_timestamp(request["at"])
            used = order["extensions_used"]
            agreed = order["agreed_service_days"]
            if (order["category"] in CATEGORIES and paid is not None and (signed_text is None or signed is not None)
                    and type(order["settled"]) is bool and type(used) is int and used >= 0
                    and type(order["sanbao_covered"]) is bool and optional_count(agreed)
                    and optional_count(warranty) and optional_count(failed) and at is not None
                    and request["type"] in TYPES and request["reason"] in REASONS
                    and type(request["product_used"]) is bool and type(request["quality_issue"]) is bool
                    and request["damage_cause"] in CAUSES and request["evidence"] in EVIDENCE
                    and negotiation["stage"] in STAGES and (signed is None or paid <= signed) and paid <= at):
                return {"order.category": order["category"], "order.paid_at": paid, "order.signed_at": signed,
                        "order.settled": order["settled"], "order.extensions_used": used,
                        "order.sanbao_covered": order["sanbao_covered"], "order.agreed_service_days": agreed,
                        "order.sanbao_warranty_days": warranty, "order.failed_repairs": failed,
                        "request.at": at, "request.type": request["type"], "request.reason": request["reason"],
                        "request.product_used": request["product_used"],
                        "request.quality_issue": request["quality_issue"],
                        "request.damage_cause": request["damage_cause"], "request.evidence": request["evidence"],
                        "negotiation.stage": negotiation["stage"]}
    except (KeyError, TypeError, AttributeError):
        pass
    return reference().validate(facts)


@functools.cache
def reference() -> Any:
    """policydsl's interpreter for the baseline, loaded on first use: its validator reports
    every problem of unusual input."""
    from policydsl.api import load

    return load("policies/platform/after_sales.policy", engine="interpreter")


def decide_json(facts: Any) -> dict[str, Any]:
    """The decision for JSON-like nested facts, validated first."""
    return decide(validate(facts))
