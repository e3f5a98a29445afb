"""What would change it (`policydsl why`, `PolicySet.why`): fewest facts changed, nearest instants,
every alternative replayed through the evaluator."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

import policydsl
from policydsl.check import whatif
from policy_sets import QUICK_EXCHANGE
from core_helpers import BASELINE_PATH, ROOT, run_cli, with_values

LATE_QUALITY = json.loads((ROOT / "examples" / "facts" / "late-quality-claim.json").read_text(encoding="utf-8"))
#: A no-reason return of unused apparel, 12 days after signing: past the 7-day period.
LATE_APPAREL = {
    "order": {"category": "apparel", "paid_at": "2026-10-01T12:00:00+08:00",
              "signed_at": "2026-10-03T18:00:00+08:00", "settled": False, "extensions_used": 0,
              "sanbao_covered": False, "agreed_service_days": None},
    "request": {"at": "2026-10-15T10:00:00+08:00", "type": "return_refund", "reason": "no_reason",
                "product_used": False, "quality_issue": False, "damage_cause": "none", "evidence": "none"},
    "negotiation": {"stage": "open"},
}
REJECTED = ROOT / "policies" / "merchants" / "rejected" / "weakened_must_to_should.policy"


def flat(facts: dict[str, Any]) -> dict[str, Any]:
    return {f"{g}.{k}": v for g, values in facts.items() for k, v in values.items()}


@pytest.fixture(scope="module")
def baseline():
    return policydsl.load(BASELINE_PATH, engine="interpreter")


def replay(policy, original: dict[str, Any], alternative) -> str | None:
    """Apply the alternative's diff to the original facts and decide: the diff is the whole change."""
    changed = with_values(original, {c.fact: c.after for c in alternative.changes})
    assert changed == alternative.facts
    decision = policy.decide(changed)
    assert tuple((a.action, a.modality) for a in decision.actions) == alternative.decision
    return decision.modality


@pytest.fixture(scope="module")
def late_apparel(baseline):
    return baseline.why(LATE_APPAREL, "accept_request", "must")


def test_a_late_apparel_return_is_accepted_had_it_come_earlier(baseline, late_apparel):
    assert baseline.decide(LATE_APPAREL).modality("accept_request") is None
    assert late_apparel.status == "changed" and late_apparel.current is None
    changed = {c.fact: c for a in late_apparel.alternatives for c in a.changes}
    assert {"request.at", "order.agreed_service_days"} <= set(changed)
    at = changed["request.at"]
    # Signed 2026-10-03 (+08:00): the 7-day no-reason period ends at the end of the 10th.
    assert at.after == "2026-10-10T23:59:59.999999+08:00" and at.nearest == "latest"
    assert changed["order.agreed_service_days"].after == 12  # the nearest agreed period that covers day 12


def test_every_alternative_replays_and_changes_the_fewest_facts(baseline, late_apparel):
    assert 1 <= len(late_apparel.alternatives) <= whatif.MAX_ALTERNATIVES
    for alt in late_apparel.alternatives:
        assert len(alt.changes) == 1  # one fact suffices, so no alternative changes two
        decision = baseline.decide(alt.facts)
        assert decision.modality("accept_request") == "must"
        replay(baseline, LATE_APPAREL, alt)


def test_the_instants_found_are_the_nearest(baseline, late_apparel):
    for alt in late_apparel.alternatives:
        for c in alt.changes:
            if c.nearest is None:
                continue
            step = dt.timedelta(microseconds=1 if c.nearest == "latest" else -1)
            beyond = with_values(alt.facts, {c.fact: (dt.datetime.fromisoformat(c.after) + step).isoformat()})
            assert baseline.decide(beyond).modality("accept_request") != "must", c


def test_counts_move_to_the_nearest_value(baseline, late_apparel):
    agreed = next(a for a in late_apparel.alternatives if a.changes[0].fact == "order.agreed_service_days")
    smaller = with_values(agreed.facts, {"order.agreed_service_days": agreed.changes[0].after - 1})
    assert baseline.decide(smaller).modality("accept_request") != "must"


def test_a_year_window_moves_its_anchor_to_the_nearest_calendar_day(baseline):
    """N3's year after payment: the nearest payment that puts the request outside it, by the calendar."""
    result = baseline.why(LATE_QUALITY, "negotiate_other_remedy", "must")
    assert result.status == "changed"
    paid = next(c for a in result.alternatives for c in a.changes if c.fact == "order.paid_at")
    assert paid.after == "2025-10-31T23:59:59.999999+08:00" and paid.nearest == "latest"
    at = next(c for a in result.alternatives for c in a.changes if c.fact == "request.at")
    assert at.after == "2027-10-02T00:00:00+08:00" and at.nearest == "earliest"
    for alt in result.alternatives:
        assert replay(baseline, LATE_QUALITY, alt) is not None
        for c in alt.changes:
            if c.nearest is not None:
                step = dt.timedelta(microseconds=1 if c.nearest == "latest" else -1)
                beyond = with_values(alt.facts, {c.fact: (dt.datetime.fromisoformat(c.after) + step).isoformat()})
                assert baseline.decide(beyond).modality("negotiate_other_remedy") != "must", c


def test_losing_a_modality_with_not(baseline):
    assert baseline.decide(LATE_QUALITY).modality("reopen_after_sales") == "must"
    result = baseline.why(LATE_QUALITY, "reopen_after_sales", negate=True)
    assert result.status == "changed" and result.modality == "must" and result.negate
    for alt in result.alternatives:
        assert replay(baseline, LATE_QUALITY, alt) is not None
        assert baseline.decide(alt.facts).modality("reopen_after_sales") != "must"


def test_already_so(baseline):
    result = baseline.why(LATE_QUALITY, "reopen_after_sales", "must")
    assert result.status == "already" and result.found and result.alternatives == ()


def test_no_change_of_facts_can_do_it(baseline):
    result = baseline.why(LATE_QUALITY, "refuse_outright", "must")  # the baseline forbids it everywhere (S3.3)
    assert result.status == "impossible" and not result.found


def test_in_a_merchant_set_g3_decides(baseline):
    rejected = policydsl.load(REJECTED, engine="interpreter")
    facts = with_values(LATE_QUALITY, {"request.evidence": "provided"})
    result = rejected.why(facts, "reopen_after_sales", "must")
    assert result.status == "changed"
    assert any(c.fact == "request.evidence" and c.after == "verified" for a in result.alternatives for c in a.changes)
    for alt in result.alternatives:
        assert rejected.decide(alt.facts).modality("reopen_after_sales") == "must"


def test_search_cut_short(baseline, monkeypatch):
    monkeypatch.setattr(whatif, "MAX_SUBSETS", 0)
    result = baseline.why(LATE_APPAREL, "accept_request", "must")
    assert result.status == "not_found" and [d.code for d in result.diagnostics] == ["PD521"]


# ---- the command line ----------------------------------------------------------------------------------

def why_cli(facts: dict[str, Any], *args: str):
    return run_cli("why", str(BASELINE_PATH), "--facts", "-", *args, input=json.dumps(facts))


def test_cli_text_and_exit_codes():
    found = why_cli(LATE_APPAREL, "--action", "accept_request", "--modality", "must")
    assert found.exit_code == 0, found.output
    assert "request.at: 2026-10-15T10:00:00+08:00 → 2026-10-10T23:59:59.999999+08:00" in found.stdout
    assert "order.agreed_service_days: null → 12" in found.stdout
    impossible = why_cli(LATE_QUALITY, "--action", "refuse_outright", "--modality", "must")
    assert impossible.exit_code == 1 and "no change of facts gives it" in impossible.stdout
    already = why_cli(LATE_QUALITY, "--action", "reopen_after_sales", "--modality", "must")
    assert already.exit_code == 0 and "already so" in already.stdout


def test_cli_json():
    out = why_cli(LATE_APPAREL, "--action", "accept_request", "--modality", "must", "--format", "json")
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["status"] == "changed" and data["wanted"] == {"modality": "must", "not": False}
    policy = policydsl.load(BASELINE_PATH)
    for alt in data["alternatives"]:
        changed = with_values(LATE_APPAREL, {c["fact"]: c["to"] for c in alt["changes"]})
        assert changed == alt["facts"]
        assert [{"action": a.action, "modality": a.modality} for a in policy.decide(changed).actions] == \
            alt["decision"]


def test_cli_errors():
    unknown = why_cli(LATE_APPAREL, "--action", "accept", "--modality", "must")
    assert unknown.exit_code == 2 and "error[PD522]" in unknown.output and "accept_request" in unknown.output
    neither = why_cli(LATE_APPAREL, "--action", "accept_request")
    assert neither.exit_code == 2 and "--modality" in neither.output
    incomplete = copy.deepcopy(LATE_APPAREL)
    del incomplete["request"]["at"]
    missing = why_cli(incomplete, "--action", "accept_request", "--modality", "must")
    assert missing.exit_code == 2 and "PD402" in missing.output
    syntax = run_cli("why", str(BASELINE_PATH), "--facts", "-", "--action", "accept_request", "--modality", "must",
                     input="{")
    assert syntax.exit_code == 2 and "PD401" in syntax.output


# ---- random requests: every alternative replays, changes only what it says, and as few facts as any ----

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from facts_strategies import valid_facts  # noqa: E402

ACTIONS = ("accept_request", "reopen_after_sales", "offer_small_compensation", "negotiate_other_remedy",
           "refuse_outright", "explain_no_reason_exclusion", "apply_agreed_period")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=valid_facts(), action=st.sampled_from(ACTIONS),
       modality=st.sampled_from(["must", "should", "may", "must_not"]), negate=st.booleans())
def test_random_why_answers_replay(baseline, facts, action, modality, negate):
    result = baseline.why(facts, action, modality, negate=negate)
    current = baseline.decide(facts).modality(action)
    assert result.current == current
    assert (result.status == "already") == ((current == modality) != negate)
    sizes = {len(a.changes) for a in result.alternatives}
    assert len(sizes) <= 1  # every alternative changes the same (smallest) number of facts
    before = flat(facts)
    for alt in result.alternatives:
        got = baseline.decide(alt.facts).modality(action)
        assert (got == modality) != negate
        after = flat(alt.facts)
        assert {p for p in set(before) | set(after) if before.get(p) != after.get(p)} == {c.fact for c in alt.changes}


# ---- hour-precise periods: the nearest instant to the microsecond --------------------------------------


def test_an_hour_precise_period_gives_the_nearest_microsecond(tmp_path):
    path = tmp_path / "quick.policy"
    path.write_text(QUICK_EXCHANGE, encoding="utf-8")
    policy = policydsl.load(path, engine="interpreter")
    result = policy.why(LATE_QUALITY, "offer_exchange", "must")
    changed = {c.fact: c for a in result.alternatives for c in a.changes if c.nearest}
    # Signed 2026-10-03 18:00 (+08:00): 36 hours later is 2026-10-05 06:00, the last instant inside.
    assert changed["request.at"].after == "2026-10-05T06:00:00+08:00"
    # The request at 2026-11-01 10:00 is inside for a signing from 2026-10-30 22:00 on.
    assert changed["order.signed_at"].after == "2026-10-30T22:00:00+08:00"
    for alt in result.alternatives:
        assert policy.decide(alt.facts).modality("offer_exchange") == "must"
        for c in alt.changes:
            if c.nearest is not None:
                step = dt.timedelta(microseconds=1 if c.nearest == "latest" else -1)
                beyond = with_values(alt.facts, {c.fact: (dt.datetime.fromisoformat(c.after) + step).isoformat()})
                assert policy.decide(beyond).modality("offer_exchange") != "must", c


def test_not_on_an_absent_action_asks_for_it_at_all(baseline):
    assert baseline.decide(LATE_APPAREL).modality("offer_repair") is None
    result = baseline.why(LATE_APPAREL, "offer_repair", negate=True)
    assert result.status == "changed" and result.modality is None
    assert "wanted: offer_repair given at all" in result.to_text()
    for alt in result.alternatives:
        assert baseline.decide(alt.facts).modality("offer_repair") is not None
        replay(baseline, LATE_APPAREL, alt)


def test_why_errors_in_the_json_form_and_one_request_only(tmp_path):
    """With --format json, a mistake is a JSON document too (status `error`, the diagnostics); a JSON
    Lines batch is refused with a hint, and a modality that does not exist is PD522 in the library."""
    result = run_cli("why", str(BASELINE_PATH), "--facts", str(ROOT / "examples" / "facts" / "late-apparel-return.json"),
                     "--action", "accept_requst", "--modality", "must", "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 2 and doc["status"] == "error"
    assert [(d["code"], d["hint"]) for d in doc["diagnostics"]] == [("PD522", "did you mean `accept_request`?")]
    batch = run_cli("why", str(BASELINE_PATH), "--facts", str(ROOT / "examples" / "facts" / "batch.jsonl"),
                    "--action", "accept_request", "--modality", "must")
    assert batch.exit_code == 2 and "error[PD401]" in batch.stderr and "decides one request" in batch.stderr
    with pytest.raises(policydsl.PolicyDslError) as info:
        policydsl.load(BASELINE_PATH).why(LATE_QUALITY, "accept_request", "always")
    assert [d.code for d in info.value.diagnostics] == ["PD522"]
