"""The shipped baseline policy (policies/platform/after_sales.policy) written by hand in Python.

The speed floor of bench/bench_eval.py: `decide(flat)` returns, for valid flat facts, the
same dict as `policydsl.evaluator.evaluate(baseline, flat).to_dict()` (bench_eval checks
this on every request before timing anything), and `decide_json(facts)` does the same
from JSON-like nested facts, validating them on the way. It is what a careful programmer
would write for this one policy: the scenarios as nested tests, the cites as constants,
each timestamp formatted once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

DAY = 86_400_000_000  # microseconds
OFFSET = 8 * 3_600_000_000  # China time, UTC+08:00
YEAR = 365 * DAY
CHINA = dt.timezone(dt.timedelta(hours=8))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LOCAL_EPOCH = EPOCH.astimezone(CHINA)
US = dt.timedelta(microseconds=1)
FIRST = (dt.datetime(1, 1, 1, 8, tzinfo=dt.timezone.utc) - EPOCH) // US
LAST = (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=CHINA) - EPOCH) // US
timedelta, fromisoformat = dt.timedelta, dt.datetime.fromisoformat

FRESH = frozenset(("fresh_food", "green_plants", "flowers"))
CATEGORIES = frozenset(("fresh_food", "green_plants", "flowers", "apparel", "electronics", "home_appliances", "beauty",
                        "books", "general"))
TYPES = frozenset(("refund_only", "return_refund"))
REASONS = frozenset(("no_reason", "quality"))
CAUSES = frozenset(("none", "improper_storage", "courier", "man_made", "not_man_made", "unknown"))
EVIDENCE = frozenset(("none", "provided", "verified", "refuted"))
STAGES = frozenset(("open", "compensation_offered", "compensation_rejected", "agreed"))

NEGOTIATE_CITES = ["S1.1", "S1.2", "S2.1", "S2.2", "S3.1", "S3.2", "G4c"]
NOT_SETTLED = "not available: the order does not meet the capability's condition (e.g. not settled yet) (N3)"
ALL_USED = "not available: all 3 extensions are used (N3)"


def fmt(us: int) -> str:
    """RFC 3339 in China time, clamped to the writable years 0001–9999."""
    if us > LAST:
        us = LAST
    elif us < FIRST:
        us = FIRST
    return (LOCAL_EPOCH + timedelta(0, 0, us)).isoformat()


def end_of_day(anchor: int, days: int) -> int:
    """The last microsecond of the China-time day `days` after the anchor's day."""
    return ((anchor + OFFSET) // DAY + days + 1) * DAY - OFFSET - 1


def action(name: str, modality: str, cites: list[str]) -> dict[str, Any]:
    return {"action": name, "modality": modality, "cites": cites, "source": "platform"}


def decide(f: dict[str, Any]) -> dict[str, Any]:
    """The baseline's decision for valid flat facts (`policydsl.facts.validate` output)."""
    cat = f["order.category"]
    signed = f["order.signed_at"]
    agreed = f["order.agreed_service_days"]
    sanbao = f["order.sanbao_covered"]
    at = f["request.at"]
    reason = f["request.reason"]
    used = f["request.product_used"]
    fresh = cat in FRESH

    # periods
    periods = []
    d15 = dq = None if signed is None else end_of_day(signed, 15)
    nq = 15
    if not fresh:
        d7 = None if signed is None else end_of_day(signed, 7)
        nr_expired = d7 is not None and at > d7
        periods.append({"name": "no_reason", "days": 7, "deadline": None if d7 is None else fmt(d7),
                        "expired": nr_expired, "source": "platform"})
    s15 = None if d15 is None else fmt(d15)
    q_expired = d15 is not None and at > d15
    periods.append({"name": "quality", "days": 15, "deadline": s15, "expired": q_expired, "source": "platform"})
    if sanbao:
        periods.append({"name": "sanbao", "days": 15, "deadline": s15, "expired": q_expired, "source": "platform"})
    if agreed is not None:
        da = None if signed is None else end_of_day(signed, agreed)
        sa = None if da is None else fmt(da)
        periods.append({"name": "agreed", "days": agreed, "deadline": sa, "expired": da is not None and at > da,
                        "source": "platform"})
        if da is not None and da > d15:
            dq, nq, s15 = da, agreed, sa
    claims_expired = dq is not None and at > dq
    periods.append({"name": "quality_claims", "days": nq, "deadline": s15, "expired": claims_expired,
                    "source": "platform"})

    # the extension (N3)
    paid = f["order.paid_at"]
    remaining = 3 - f["order.extensions_used"]
    if remaining < 0:
        remaining = 0
    if not f["order.settled"]:
        extension = {"eligible": False, "remaining": remaining, "why": NOT_SETTLED}
    elif remaining == 0:
        extension = {"eligible": False, "remaining": 0, "why": ALL_USED}
    elif at > paid + YEAR:
        extension = {"eligible": False, "remaining": remaining,
                     "why": f"not available: the request is after {fmt(paid + YEAR)}, the end of the extension "
                            f"window (N3)"}
    else:
        extension = {"eligible": True, "remaining": remaining,
                     "why": f"{remaining} of 3 extensions left, 7 days each, until {fmt(paid + YEAR)} (N3)"}

    # scenarios, rules, trace
    t_cat = "order.category=" + cat
    t_signed = "order.signed_at=" + ("null" if signed is None else fmt(signed))
    t_at = "request.at=" + fmt(at)
    t_reason = "request.reason=" + reason
    t_used = "request.product_used=true" if used else "request.product_used=false"
    t_agreed = "order.agreed_service_days=" + ("null" if agreed is None else str(agreed))
    t_sanbao = "order.sanbao_covered=true" if sanbao else "order.sanbao_covered=false"
    scenario: list[str] = []
    trace: list[str] = []
    actions: list[dict[str, Any]] = []
    rejected = f["negotiation.stage"] == "compensation_rejected"
    never_refuse = "platform rule never_refuse_outright fired []: gives must_not refuse_outright, must soothe_buyer"
    reads = f"{t_agreed}, {t_cat}, {t_sanbao}, {t_signed}, {t_at}"  # past_period_engagement and its kin
    if reason == "no_reason":
        if not (fresh or nr_expired):  # within the no-reason period
            trace.append(f"platform rule normal_no_reason_flow fired [{t_cat}, {t_signed}, {t_at}, {t_reason}]: "
                         f"gives must accept_request")
            trace.append(never_refuse)
            actions.append(action("accept_request", "must", ["G2b"]))
            actions.append(action("soothe_buyer", "must", ["G1", "G4b"]))
            actions.append(action("refuse_outright", "must_not", ["G1", "G4b"]))
        else:  # S1 (fresh goods, any time) or S2 (other goods past the period)
            which = ("S1.2" if used else "S1.1") if fresh else ("S2.2" if used else "S2.1")
            scenario += ["S1" if fresh else "S2", which]
            trace += [f"scenario {s} holds" for s in scenario]
            trace.append(never_refuse)
            trace.append(f"platform rule past_period_engagement fired [{reads}, {t_reason}]: gives must "
                         f"request_evidence, must propose_solution")
            if rejected:
                trace.append(f"platform rule negotiate_after_rejection fired [negotiation.stage=compensation_rejected, "
                             f"{reads}, {t_reason}]: gives should negotiate_other_remedy")
            if which != "S2.2":
                trace.append(f"platform rule resale_judged_from_evidence fired [{reads}, {t_used}, {t_reason}]: gives "
                             f"may inform_resale_affected")
            storage = which == "S1.2" and f["request.damage_cause"] == "improper_storage"
            if which == "S1.1":
                trace.append(f"platform rule s1_1_explain_and_compensate fired [{t_cat}, {t_used}, {t_reason}]: gives "
                             f"may explain_no_reason_exclusion, should offer_small_compensation")
            elif which == "S1.2":
                if storage:
                    trace.append(f"platform rule s1_2_storage fired [{t_cat}, request.damage_cause=improper_storage, "
                                 f"{t_used}, {t_reason}]: gives may advise_storage, should offer_small_compensation")
                trace.append(f"platform rule s1_2_compensate fired [{t_cat}, {t_used}, {t_reason}]: gives should "
                             f"offer_small_compensation")
            elif which == "S2.1":
                trace.append(f"platform rule s2_1_reopen_by_agreement fired [{t_cat}, {t_signed}, {t_at}, {t_used}, "
                             f"{t_reason}]: gives may reopen_after_sales, should offer_small_compensation")
            else:
                trace.append(f"platform rule s2_2_resale_affected fired [{t_cat}, {t_signed}, {t_at}, {t_used}, "
                             f"{t_reason}]: gives should inform_resale_affected, should offer_small_compensation")
            actions.append(action("request_evidence", "must", ["G1", "G4a", "G4b"]))
            actions.append(action("soothe_buyer", "must", ["G1", "G4b"]))
            actions.append(action("propose_solution", "must", ["G1", "G4a", "G4b"]))
            actions.append(action("refuse_outright", "must_not", ["G1", "G4b"]))
            if which == "S1.1":
                actions.append(action("explain_no_reason_exclusion", "may", ["S1.1"]))
            actions.append(action("offer_small_compensation", "should", {"S1.1": ["S1.1"], "S1.2": ["S1.2"],
                                                                        "S2.1": ["S2.1", "N2"],
                                                                        "S2.2": ["S2.2", "N1"]}[which]))
            if rejected:
                actions.append(action("negotiate_other_remedy", "should", NEGOTIATE_CITES[:]))
            if storage:
                actions.append(action("advise_storage", "may", ["S1.2"]))
            if which == "S2.1":
                actions.append(action("reopen_after_sales", "may", ["S2.1", "N2"]))
            if which == "S2.2":
                actions.append(action("inform_resale_affected", "should", ["S2.2", "N1"]))
            else:
                actions.append(action("inform_resale_affected", "may", ["N1"]))
    elif not claims_expired:  # a quality claim within every period that applies
        trace.append(f"platform rule normal_quality_flow fired [{t_agreed}, {t_sanbao}, {t_signed}, {t_at}, {t_reason}]: "
                     f"gives must accept_request")
        trace.append(never_refuse)
        actions.append(action("accept_request", "must", ["G2a", "G2b", "G2c"]))
        actions.append(action("soothe_buyer", "must", ["G1", "G4b"]))
        actions.append(action("refuse_outright", "must_not", ["G1", "G4b"]))
    else:  # S3: past every period that applies to a quality claim
        scenario += ["S3", "S3.2" if used else "S3.1"]
        trace += [f"scenario {s} holds" for s in scenario]
        trace.append(never_refuse)
        trace.append(f"platform rule past_period_engagement fired [{reads}, {t_reason}]: gives must request_evidence, "
                     f"must propose_solution")
        if rejected:
            trace.append(f"platform rule negotiate_after_rejection fired [negotiation.stage=compensation_rejected, "
                         f"{reads}, {t_reason}]: gives should negotiate_other_remedy")
        trace.append(f"platform rule resale_judged_from_evidence fired [{reads}, {t_used}, {t_reason}]: gives may "
                     f"inform_resale_affected")
        actions.append(action("request_evidence", "must", ["G1", "G4a", "G4b"]))
        actions.append(action("soothe_buyer", "must", ["G1", "G4b"]))
        actions.append(action("propose_solution", "must", ["G1", "G4a", "G4b"]))
        actions.append(action("refuse_outright", "must_not", ["G1", "G4b"]))
        base = f"{t_agreed}, {t_sanbao}, {t_signed}, {t_at}"
        if not used:  # S3.1
            if not f["request.quality_issue"]:
                trace.append(f"platform rule s3_1_case1_no_defect fired [{base}, {t_used}, request.quality_issue=false, "
                             f"{t_reason}]: gives may provide_quality_proof, should check_courier_damage, should "
                             f"offer_small_compensation")
                actions.append(action("offer_small_compensation", "should", ["S3.1"]))
                if rejected:
                    actions.append(action("negotiate_other_remedy", "should", NEGOTIATE_CITES[:]))
                actions.append(action("inform_resale_affected", "may", ["N1"]))
                actions.append(action("provide_quality_proof", "may", ["S3.1"]))
                actions.append(action("check_courier_damage", "should", ["S3.1"]))
            else:
                evidence = f["request.evidence"]
                if evidence == "verified":
                    trace.append(f"platform rule s3_1_case2_verified_defect fired [{base}, request.evidence=verified, "
                                 f"{t_used}, request.quality_issue=true, {t_reason}]: gives must reopen_after_sales")
                    if rejected:
                        actions.append(action("negotiate_other_remedy", "should", NEGOTIATE_CITES[:]))
                    actions.append(action("reopen_after_sales", "must", ["S3.1", "N2"]))
                else:
                    trace.append(f"platform rule s3_1_case2_unverified fired [{base}, request.evidence={evidence}, "
                                 f"{t_used}, request.quality_issue=true, {t_reason}]: gives should "
                                 f"offer_small_compensation")
                    actions.append(action("offer_small_compensation", "should", ["S3.1", "G4a"]))
                    if rejected:
                        actions.append(action("negotiate_other_remedy", "should", NEGOTIATE_CITES[:]))
                actions.append(action("inform_resale_affected", "may", ["N1"]))
        else:  # S3.2
            cause = f["request.damage_cause"]
            if agreed is not None:
                trace.append(f"platform rule s3_2_agreed_period fired [{base}, {t_used}, {t_reason}]: gives must "
                             f"apply_agreed_period")
            if cause == "not_man_made":
                trace.append(f"platform rule s3_2_not_man_made fired [{base}, request.damage_cause=not_man_made, "
                             f"{t_used}, {t_reason}]: gives may assist_return")
            trace.append(f"platform rule s3_2_compensate fired [{base}, {t_used}, {t_reason}]: gives should "
                         f"offer_small_compensation")
            actions.append(action("offer_small_compensation", "should", ["S3.2"]))
            if rejected:
                actions.append(action("negotiate_other_remedy", "should", NEGOTIATE_CITES[:]))
            actions.append(action("inform_resale_affected", "may", ["N1"]))
            if agreed is not None:
                actions.append(action("apply_agreed_period", "must", ["S3.2", "G2c"]))
            if cause == "not_man_made":
                actions.append(action("assist_return", "may", ["S3.2"]))
    return {"scenario": scenario, "actions": actions, "periods": periods, "extension": extension, "overridden": [],
            "trace": trace}


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


def validate(facts: Any) -> dict[str, Any]:
    """Flat facts from the usual nested JSON; anything unusual goes to policydsl's validator,
    which reports every problem (or accepts a rarer valid shape)."""
    try:
        order, request, negotiation = facts["order"], facts["request"], facts["negotiation"]
        if len(facts) == 3 and len(order) == 7 and len(request) == 7 and len(negotiation) == 1:
            paid = read_timestamp(order["paid_at"])
            signed_text = order["signed_at"]
            signed = None if signed_text is None else read_timestamp(signed_text)
            at = read_timestamp(request["at"])
            used = order["extensions_used"]
            agreed = order["agreed_service_days"]
            if (order["category"] in CATEGORIES and paid is not None and (signed_text is None or signed is not None)
                    and type(order["settled"]) is bool and type(used) is int and used >= 0
                    and type(order["sanbao_covered"]) is bool
                    and (agreed is None or type(agreed) is int and agreed >= 0) and at is not None
                    and request["type"] in TYPES and request["reason"] in REASONS
                    and type(request["product_used"]) is bool and type(request["quality_issue"]) is bool
                    and request["damage_cause"] in CAUSES and request["evidence"] in EVIDENCE
                    and negotiation["stage"] in STAGES and (signed is None or paid <= signed) and paid <= at):
                return {"order.category": order["category"], "order.paid_at": paid, "order.signed_at": signed,
                        "order.settled": order["settled"], "order.extensions_used": used,
                        "order.sanbao_covered": order["sanbao_covered"], "order.agreed_service_days": agreed,
                        "request.at": at, "request.type": request["type"], "request.reason": request["reason"],
                        "request.product_used": request["product_used"],
                        "request.quality_issue": request["quality_issue"],
                        "request.damage_cause": request["damage_cause"], "request.evidence": request["evidence"],
                        "negotiation.stage": negotiation["stage"]}
    except (KeyError, TypeError):
        pass
    from policydsl.api import load

    return load("policies/platform/after_sales.policy", engine="interpreter").validate(facts)


def decide_json(facts: Any) -> dict[str, Any]:
    """The decision for JSON-like nested facts, validated first."""
    return decide(validate(facts))
