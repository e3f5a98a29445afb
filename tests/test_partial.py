"""Partial decisions (`eval --partial`, `PolicySet.partial`): certain, possible, and the ask list.

Every answer is checked against the evaluator: witnesses replay to their decision, and random
completions of the unknowns (hypothesis) agree with what is certain, give one of the possible
decisions, and satisfy that decision's condition.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import policydsl
from policydsl.check import partial as partial_module
from core_helpers import BASELINE_PATH, ROOT, run_cli, with_values, without
from policy_sets import QUICK_EXCHANGE

LATE_QUALITY = json.loads((ROOT / "examples" / "facts" / "late-quality-claim.json").read_text(encoding="utf-8"))
REJECTED = ROOT / "policies" / "merchants" / "rejected" / "weakened_must_to_should.policy"
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def modalities(decision) -> dict[str, str]:
    return {a.action: a.modality for a in decision.actions}


@pytest.fixture(scope="module")
def baseline():
    return policydsl.load(BASELINE_PATH, engine="interpreter")


@pytest.fixture(scope="module")
def rejected():
    return policydsl.load(REJECTED, engine="interpreter")


# ---- the acceptance case: evidence and use unknown --------------------------------------------------

def test_unknown_evidence_and_use_are_both_in_the_ask_list(baseline):
    result = baseline.partial(without(LATE_QUALITY, "request.evidence", "request.product_used"))
    asked = [q.fact for q in result.ask]
    assert "request.evidence" in asked and "request.product_used" in asked
    assert {"request.evidence", "request.product_used"} <= set(result.unknown)
    evidence = next(q for q in result.ask if q.fact == "request.evidence")
    assert "reopen_after_sales" in evidence.decides
    by_value = {v: dict(then) for vs, then in evidence.values for v in vs}
    assert "must" in by_value["verified"]["reopen_after_sales"]
    assert by_value["none"]["reopen_after_sales"] == (None,)  # no verified evidence: never reopened
    # Certain: what every completion gives (the request is late either way).
    assert ("soothe_buyer", "should") in result.certain
    assert ("accept_request", None) in result.certain


def test_every_possible_decision_replays_and_keeps_the_known_facts(baseline):
    facts = without(LATE_QUALITY, "request.evidence", "request.product_used")
    result = baseline.partial(facts)
    assert len(result.possible) >= 2
    seen = set()
    for p in result.possible:
        decision = modalities(baseline.decide(p.witness))
        assert {a: decision.get(a) for a, _ in p.actions} == dict(p.actions)
        assert all(decision.get(a) == m for a, m in result.certain)
        for group, values in facts.items():
            for key, value in values.items():
                assert p.witness[group][key] == value
        seen.add(p.actions)
    assert len(seen) == len(result.possible)


def test_cli_partial_json_and_text():
    text = json.dumps(without(LATE_QUALITY, "request.evidence", "request.product_used"))
    out = run_cli("eval", str(BASELINE_PATH), "--facts", "-", "--partial", input=text)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {q["fact"] for q in data["ask"]} >= {"request.evidence", "request.product_used"}
    assert set(data) == {"unknown", "certain", "certain_absent", "undecided", "possible", "ask", "diagnostics"}
    explained = run_cli("eval", str(BASELINE_PATH), "--facts", "-", "--partial", "--explain", input=text)
    assert explained.exit_code == 0
    assert "ask:" in explained.stdout and "request.evidence (decides" in explained.stdout
    assert "verified →" in explained.stdout


def test_cli_partial_is_deterministic():
    text = json.dumps(without(LATE_QUALITY, "request.evidence", "request.at"))
    first = run_cli("eval", str(BASELINE_PATH), "--facts", "-", "--partial", input=text)
    second = run_cli("eval", str(BASELINE_PATH), "--facts", "-", "--partial", input=text)
    assert first.exit_code == 0 and first.stdout == second.stdout


def test_unknown_request_time_gives_the_instant_where_the_decision_changes(baseline):
    result = baseline.partial(without(LATE_QUALITY, "request.at"))
    at = next(q for q in result.ask if q.fact == "request.at")
    # Signed 2026-10-03 (+08:00), 15 quality days: the 18th is the last day inside.
    assert "2026-10-19T00:00:00+08:00" in at.changes_at
    assert "accept_request" in at.decides
    for change in at.changes_at:  # one µs before and at the instant: the decision differs
        instant = dt.datetime.fromisoformat(change)
        before = with_values(LATE_QUALITY, {"request.at": (instant - dt.timedelta(microseconds=1)).isoformat()})
        after = with_values(LATE_QUALITY, {"request.at": change})
        assert modalities(baseline.decide(before)) != modalities(baseline.decide(after))


def test_nothing_unknown_is_the_decision(baseline):
    result = baseline.partial(LATE_QUALITY)
    assert result.unknown == ("order.sanbao_warranty_days", "order.failed_repairs")
    assert dict((a, m) for a, m in result.certain if m) == modalities(baseline.decide(LATE_QUALITY))
    assert result.undecided == () and result.ask == () and len(result.possible) == 1


def test_g3_in_a_merchant_set_is_part_of_the_partial_decision(rejected):
    result = rejected.partial(without(LATE_QUALITY, "request.evidence"))
    evidence = next(q for q in result.ask if q.fact == "request.evidence")
    by_value = {v: dict(then) for vs, then in evidence.values for v in vs}
    assert by_value["verified"]["reopen_after_sales"] == ("must",)  # the merchant's `should` is void (G3)
    for p in result.possible:
        assert {a: modalities(rejected.decide(p.witness)).get(a) for a, _ in p.actions} == dict(p.actions)


# ---- bad input and the bounded search --------------------------------------------------------------

def test_bad_known_facts_are_still_errors(baseline):
    bad = with_values(without(LATE_QUALITY, "request.evidence"), {"order.category": "furniture"})
    with pytest.raises(policydsl.FactsInputError) as exc:
        baseline.partial(bad)
    assert [d.code for d in exc.value.diagnostics] == ["PD405"]
    out = run_cli("eval", str(BASELINE_PATH), "--facts", "-", "--partial", input=json.dumps(bad))
    assert out.exit_code == 2 and "PD405" in out.output


@pytest.mark.parametrize("facts, code", [({"order": 5}, "PD404"), ({"order.category": "books"}, "PD403"),
                                         ({"order": {"colour": "red"}}, "PD403"), ([], "PD404")])
def test_malformed_facts_are_errors_not_unknowns(baseline, facts, code):
    with pytest.raises(policydsl.FactsInputError) as exc:
        baseline.partial(facts)
    assert code in [d.code for d in exc.value.diagnostics]


def test_null_for_a_fact_that_is_not_nullable_is_unknown(baseline):
    result = baseline.partial(with_values(LATE_QUALITY, {"request.evidence": None}))
    assert "request.evidence" in result.unknown
    contradictory = with_values(LATE_QUALITY, {"order.signed_at": "2026-09-01T12:00:00+08:00"})
    with pytest.raises(policydsl.FactsInputError) as exc:  # orderings between known facts are checked
        baseline.partial(without(contradictory, "request.evidence"))
    assert [d.code for d in exc.value.diagnostics] == ["PD408"]


def test_partial_rejects_a_batch(tmp_path):
    lines = tmp_path / "b.jsonl"
    lines.write_text(json.dumps(LATE_QUALITY) + "\n", encoding="utf-8")
    out = run_cli("eval", str(BASELINE_PATH), "--facts", str(lines), "--partial")
    assert out.exit_code == 2 and "--partial" in out.output


def test_unknown_payment_time_warns_that_year_lengths_are_bounded(baseline):
    result = baseline.partial(without(LATE_QUALITY, "order.paid_at", "request.at"))
    assert [d.code for d in result.diagnostics] == ["PD520"]
    for p in result.possible:
        assert {a: modalities(baseline.decide(p.witness)).get(a) for a, _ in p.actions} == dict(p.actions)


def test_too_many_decisions_cut_the_search_short(baseline, monkeypatch):
    monkeypatch.setattr(partial_module, "MAX_DECISIONS", 1)
    result = baseline.partial(without(LATE_QUALITY, "request.evidence", "request.product_used"))
    assert len(result.possible) == 1 and "PD521" in [d.code for d in result.diagnostics]


# ---- random completions agree ------------------------------------------------------------------------

def satisfies(facts: dict[str, Any], cube: dict[str, dict[str, Any]]) -> bool:
    """Whether complete facts meet one alternative of a condition (relations between unknowns count as met)."""
    for path, c in cube.items():
        if path == "*":
            continue
        group, key = path.split(".")
        value = facts[group].get(key)
        if "in" in c and value not in c["in"]:
            return False
        if "is" in c and value != c["is"]:
            return False
        if "not" in c and value is None:
            return False
        if "min" in c and (value is None or value < c["min"]):
            return False
        if "max" in c and (value is None or value > c["max"]):
            return False
        if value is not None and isinstance(value, str) and any(k in c for k in ("from", "until", "time_from",
                                                                                 "time_until")):
            instant = dt.datetime.fromisoformat(value)
            if "from" in c and instant < dt.datetime.fromisoformat(c["from"]):
                return False
            if "until" in c and instant > dt.datetime.fromisoformat(c["until"]):
                return False
            clock = instant.astimezone(dt.timezone(dt.timedelta(hours=8))).time()
            if "time_from" in c and clock < dt.time.fromisoformat(c["time_from"]):
                return False
            if "time_until" in c and clock > dt.time.fromisoformat(c["time_until"]):
                return False
    return True


UNKNOWN = ("request.evidence", "request.product_used", "request.at", "request.damage_cause")
PAID = dt.datetime.fromisoformat(LATE_QUALITY["order"]["paid_at"])
SIGNED = dt.datetime.fromisoformat(LATE_QUALITY["order"]["signed_at"])


@pytest.fixture(scope="module")
def answers(baseline, rejected):
    facts = without(LATE_QUALITY, *UNKNOWN)
    return {"baseline": (baseline, baseline.partial(facts)), "rejected": (rejected, rejected.partial(facts))}


@PROPERTY
@given(which=st.sampled_from(["baseline", "rejected"]),
       evidence=st.sampled_from(["none", "provided", "verified", "refuted"]),
       used=st.booleans(),
       cause=st.sampled_from(["none", "improper_storage", "courier", "man_made", "not_man_made", "unknown"]),
       after_signing=st.integers(min_value=-1, max_value=420), minutes=st.integers(0, 24 * 60 - 1))
def test_random_completions_agree_with_the_partial_decision(answers, which, evidence, used, cause, after_signing,
                                                            minutes):
    policy, result = answers[which]
    at = max(PAID, SIGNED + dt.timedelta(days=after_signing, minutes=minutes - 18 * 60))
    facts = with_values(LATE_QUALITY, {"request.evidence": evidence, "request.product_used": used,
                                       "request.damage_cause": cause, "request.at": at.isoformat()})
    decision = modalities(policy.decide(facts))
    for action, modality in result.certain:
        assert decision.get(action) == modality, action
    mine = tuple((a, decision.get(a)) for a in result.undecided)
    matching = [p for p in result.possible if p.actions == mine]
    assert len(matching) == 1, mine
    assert any(satisfies(facts, dict(cube)) for cube in matching[0].condition)
    for q in result.ask:  # the ask list's row for this value allows the modality seen
        value = {"request.evidence": evidence, "request.product_used": "true" if used else "false",
                 "request.damage_cause": cause}.get(q.fact)
        if value is None:
            continue
        row = next(dict(then) for vs, then in q.values if value in vs)
        for action, allowed in row.items():
            assert decision.get(action) in allowed, (q.fact, value, action)
    # Exactness the other way: an enum or bool fact changed alone never changes an action it is not
    # listed as deciding.
    for path, values in (("request.evidence", ["none", "provided", "verified", "refuted"]),
                         ("request.product_used", [True, False]),
                         ("request.damage_cause", ["none", "improper_storage", "courier", "man_made", "not_man_made",
                                                   "unknown"])):
        decides = next((q.decides for q in result.ask if q.fact == path), ())
        for other in values:
            changed = modalities(policy.decide(with_values(facts, {path: other})))
            for action in result.undecided:
                if action not in decides:
                    assert changed.get(action) == decision.get(action), (path, other, action)


def test_docs_describe_the_json_form():
    text = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    for key in ("certain_absent", "undecided", "changes_at", '"when"', '"witness"'):
        assert key in text, key


def test_help_mentions_partial():
    out = run_cli("eval", "--help")
    assert "--partial" in out.stdout


# ---- random requests with random facts left out: the request itself is one completion ---------------

from facts_strategies import valid_facts  # noqa: E402

DROPPABLE = ("order.category", "order.signed_at", "order.settled", "order.extensions_used", "order.agreed_service_days",
             "request.at", "request.reason", "request.product_used", "request.quality_issue",
             "request.damage_cause", "request.evidence", "negotiation.stage")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=valid_facts(), dropped=st.lists(st.sampled_from(DROPPABLE), min_size=1, max_size=3, unique=True))
def test_a_request_with_facts_left_out_is_one_of_its_completions(baseline, facts, dropped):
    result = baseline.partial(without(facts, *dropped))
    decision = modalities(baseline.decide(facts))
    for action, modality in result.certain:
        assert decision.get(action) == modality, action
    mine = tuple((a, decision.get(a)) for a in result.undecided)
    matching = [p for p in result.possible if p.actions == mine]
    assert len(matching) == 1 or any(d.code == "PD521" for d in result.diagnostics), mine
    if matching:
        assert any(satisfies(facts, dict(cube)) for cube in matching[0].condition)
    for p in result.possible:
        assert {a: modalities(baseline.decide(p.witness)).get(a) for a, _ in p.actions} == dict(p.actions)


def test_an_hour_precise_period_conditions_give_the_time_of_day(tmp_path):
    path = tmp_path / "quick.policy"
    path.write_text(QUICK_EXCHANGE, encoding="utf-8")
    policy = policydsl.load(path, engine="interpreter")
    result = policy.partial(without(LATE_QUALITY, "request.at"))
    exchange = [p for p in result.possible if dict(p.actions).get("offer_exchange") == "must"]
    assert len(exchange) == 1
    cubes = [dict(c) for c in exchange[0].condition]
    assert {"until": "2026-10-05T23:59:59.999999+08:00", "time_until": "06:00:00"} in \
        [c["request.at"] for c in cubes]
    for instant, expected in (("2026-10-05T06:00:00+08:00", "must"), ("2026-10-05T06:00:00.000001+08:00", None)):
        facts = with_values(LATE_QUALITY, {"request.at": instant})
        assert modalities(policy.decide(facts)).get("offer_exchange") == expected
        assert any(satisfies(facts, c) for p in result.possible if dict(p.actions).get("offer_exchange") == expected
                   for c in map(dict, p.condition))


def test_an_unknown_timestamp_under_a_year_window_is_asked_for():
    """`order.paid_at` unknown: N3's extension window is 12 calendar months after it, whose length
    is only bounded (PD520), yet the fact is on the ask list, split where the decision changes, and
    a day in each outer range replays to what the list says."""
    policy = policydsl.load(BASELINE_PATH, engine="interpreter")
    result = policy.partial(without(LATE_QUALITY, "order.paid_at"))
    assert "PD520" in [d.code for d in result.diagnostics]
    (ask,) = [q for q in result.ask if q.fact == "order.paid_at"]
    assert ask.decides == ("negotiate_other_remedy",)
    assert ask.changes_at == ("2025-10-31T00:00:00+08:00", "2025-11-01T00:00:00+08:00")
    for paid, expected in (("2025-10-30T12:00:00+08:00", "must"), ("2025-11-01T12:00:00+08:00", None)):
        facts = copy.deepcopy(LATE_QUALITY)
        facts["order"]["paid_at"] = paid
        assert policy.decide(facts).modality("negotiate_other_remedy") == expected


def test_partial_refuses_a_batch_with_a_hint():
    result = run_cli("eval", str(BASELINE_PATH), "--facts", str(ROOT / "examples" / "facts" / "batch.jsonl"), "--partial")
    assert result.exit_code == 2 and "error[PD401]" in result.stderr
    assert "`eval --partial` decides one request: give a file holding one JSON object" in result.stderr
