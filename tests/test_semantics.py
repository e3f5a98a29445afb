"""Stage 2, semantics: names, types and lowering to IR, and the PD2xx diagnostics.

Most error inputs are the shipped baseline with one line changed, so that everything
else analyses cleanly and exactly the planted mistake is reported.
"""

from __future__ import annotations

import pytest

from core_helpers import (BASELINE_NAME, BASELINE_TEXT, MERCHANT_HEADER, codes, diag_of, edit_baseline,
                          merchant_diag_of, one, position_of, underlined, where)
from policydsl import ir
from policydsl.semantics import analyze
from policydsl.syntax import parse

MINI = """platform policy "mini" version "1"
timezone "+08:00"
now request.at
clause G1 "the only clause"
enum reason { no_reason, quality }
fact request.at: timestamp
fact request.reason: reason
fact order.used: bool
action accept_request: pro_buyer
rule accept cites G1 when request.reason == quality then must accept_request
"""


def analysis_of(text: str):
    parsed = parse(text, "t.policy")
    assert parsed.diagnostics == ()
    return analyze(parsed.policy)


def single(text: str, code: str, *, merchant: bool = False):
    """Analyse and return the one diagnostic; it must be the only one and carry `code`."""
    ds = merchant_diag_of(text) if merchant else diag_of(text)
    assert codes(ds) == [code], [(d.code, d.message, d.span and (d.span.line, d.span.column)) for d in ds]
    return ds[0]


def at_baseline(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    return position_of(text, needle, occurrence)


# ---- the shipped baseline lowers to the IR the evaluator and checker read ------------------------

@pytest.fixture(scope="module")
def baseline_ir() -> ir.PolicySet:
    result = analysis_of(BASELINE_TEXT)
    assert result.diagnostics == ()
    return result.policy_set


def test_baseline_analyses_cleanly(baseline_ir):
    ps = baseline_ir
    assert ps.name == BASELINE_NAME and ps.version == "2026-12"
    assert ps.timezone_minutes == 8 * 60
    assert ps.now == "request.at"
    assert ps.merchant is None and ps.baseline is None
    assert [c for c, _ in ps.clauses] == ["G1", "G2a", "G2b", "G2c", "G3", "G4a", "G4b", "G4c", "N1", "N2", "N3",
                                          "S1", "S1.1", "S1.2", "S2", "S2.1", "S2.2", "S3", "S3.1", "S3.2"]


def test_baseline_facts_match_the_input_contract(baseline_ir):
    facts = {f.path: f for f in baseline_ir.facts}
    assert set(facts) == {"order.category", "order.paid_at", "order.signed_at", "order.settled",
                          "order.extensions_used", "order.sanbao_covered", "order.agreed_service_days",
                          "order.sanbao_warranty_days", "order.failed_repairs", "request.at", "request.type", "request.reason", "request.product_used",
                          "request.quality_issue", "request.damage_cause", "request.evidence", "negotiation.stage"}
    assert facts["order.signed_at"].kind == "timestamp" and facts["order.signed_at"].nullable
    assert facts["order.agreed_service_days"].kind == "count" and facts["order.agreed_service_days"].nullable
    assert facts["order.extensions_used"].kind == "count" and not facts["order.extensions_used"].nullable
    # revision 2's new facts may be omitted from the facts JSON, so older facts files keep working
    assert [path for path, f in facts.items() if f.optional] == ["order.sanbao_warranty_days", "order.failed_repairs"]
    assert facts["order.failed_repairs"].kind == "count" and facts["order.failed_repairs"].nullable
    assert facts["request.evidence"].values == ("none", "provided", "verified", "refuted")
    assert {"fresh_food", "green_plants", "flowers", "general"} <= set(facts["order.category"].values)
    assert [(o.left, o.op, o.right) for o in baseline_ir.orderings] == [
        ("order.paid_at", "<=", "order.signed_at"), ("order.paid_at", "<=", "request.at")]


def test_baseline_actions_polarities_and_remedies(baseline_ir):
    polarity = {a.name: a.polarity for a in baseline_ir.actions}
    assert polarity["reopen_after_sales"] == "pro_buyer"
    assert polarity["refuse_outright"] == "pro_merchant"
    assert polarity["inform_resale_affected"] == "pro_merchant"
    assert polarity["request_evidence"] == "pro_buyer"  # revision 2, point 14: merchants may raise it
    assert polarity["guide_cancellation"] == "pro_merchant"
    assert polarity["offer_exchange"] == polarity["offer_repair"] == "pro_buyer"
    assert len(polarity) == 18
    assert baseline_ir.covered_by("offer_small_compensation") == (
        "offer_small_compensation", "accept_request", "negotiate_other_remedy", "reopen_after_sales")
    assert baseline_ir.covered_by("reopen_after_sales") == ("reopen_after_sales", "accept_request")
    assert baseline_ir.covered_by("refuse_outright") == ("refuse_outright",)
    assert baseline_ir.covered_by("offer_repair") == ("offer_repair", "accept_request", "offer_exchange")
    assert {a.name: a.needs for a in baseline_ir.actions if a.needs} == {"reopen_after_sales": "extension"}


def test_baseline_parameters_periods_and_capability(baseline_ir):
    nr = baseline_ir.param("no_reason_days")
    assert (nr.kind, nr.direction, nr.value, nr.per) == ("days", "increase", 7, "order.category")
    assert baseline_ir.param("quality_days").value == 15
    warranty = baseline_ir.param("sanbao_warranty")
    assert (warranty.kind, warranty.direction, warranty.value) == ("months", "increase", 12)  # a Civil Code year
    no_reason = baseline_ir.period("no_reason")
    assert isinstance(no_reason, ir.CalendarPeriod) and no_reason.anchor == "order.signed_at"
    assert no_reason.length == ir.ParamInt("no_reason_days")
    # `unless order.category in fresh_and_plants`
    assert no_reason.guard == ir.NotCond(ir.EnumIn("order.category", ("fresh_food", "green_plants", "flowers")))
    best = baseline_ir.period("quality_claims")
    assert isinstance(best, ir.BestPeriod) and best.members == ("quality", "service_period")
    repair = baseline_ir.period("sanbao_repair")
    assert isinstance(repair, ir.BestPeriod)
    assert repair.members == ("sanbao_warranty_platform", "sanbao_warranty_product")
    cap, = baseline_ir.capabilities
    assert (cap.max_times, cap.each_days, cap.within, cap.within_unit) == (3, 7, 12, "months")  # Civil Code year
    assert (cap.counted_by, cap.anchor, cap.when) == ("order.extensions_used", "order.paid_at",
                                                      ir.BoolFact("order.settled"))


def test_lets_and_scenarios_are_inlined(baseline_ir):
    rule = baseline_ir.rule("s3_1_case2_verified_defect")
    assert rule.cites == ("S3.1", "N2")
    assert rule.effects == (ir.Effect("reopen_after_sales", "must"),)
    nodes = list(ir.walk_cond(rule.condition))
    assert ir.NotCond(ir.Within("quality_claims")) in nodes
    assert ir.EnumIn("request.evidence", ("verified",)) in nodes
    assert "request.at" in rule.reads and "order.signed_at" in rule.reads


def test_in_file_tests_are_resolved_against_the_base_facts():
    result = analysis_of(BASELINE_TEXT)
    assert len(result.tests) == BASELINE_TEXT.count('\ntest "') > 100
    first = result.tests[0]
    assert first.title == "P5 no-reason, unused, inside 7 days: normal flow"
    assert first.facts["request"]["at"] == "2026-10-08T10:00:00+08:00"
    assert first.facts["order"]["category"] == "general"  # from `base`


# ---- PD201 unknown fact or name ------------------------------------------------------------------

def test_pd201_misspelled_fact_in_a_rule():
    text = edit_baseline("rule never_refuse_outright cites G1, G4b\n  when true",
                         "rule never_refuse_outright cites G1, G4b\n  when request.typ == refund_only")
    d = single(text, "PD201")
    assert where(d) == at_baseline(text, "request.typ ")
    assert underlined(d) == "request.typ"
    assert d.message == "unknown fact `request.typ`"
    assert d.hint == "did you mean `request.type`?"


def test_pd201_misspelled_let_name():
    text = edit_baseline("  when past_period and request.product_used and evidence_given",
                         "  when past_perod and request.product_used and evidence_given")
    d = single(text, "PD201")
    assert underlined(d) == "past_perod"
    assert where(d) == at_baseline(text, "past_perod")
    assert d.hint == "did you mean `past_period`?"


def test_pd201_bare_name_compared_with_a_bool_fact():
    d = single(MINI.replace("request.reason == quality", "order.used == yes"), "PD201")
    assert where(d) == (10, 41)
    assert underlined(d) == "yes"
    assert d.message == "unknown fact, parameter or value `yes`"


def test_pd201_unknown_name_in_comparison():
    d = single(MINI.replace("request.reason == quality", "days_left >= 3"), "PD201")
    assert where(d) == (10, 27)
    assert underlined(d) == "days_left"
    assert d.message == "unknown fact, parameter or value `days_left`"


def test_pd201_fact_needs_a_dotted_path():
    d = single(MINI.replace("fact order.used: bool", "fact used: bool").replace(
        "rule accept", "rule accept2 cites G1 when true then must accept_request\nrule accept"), "PD201")
    assert where(d) == (8, 6)
    assert underlined(d) == "used"
    assert d.hint == "facts live under a JSON object: order.…, request.…"


# ---- PD202 unknown action ----------------------------------------------------------------------------

def test_pd202_misspelled_action_in_a_rule():
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n")
    d = single(text, "PD202")
    assert where(d) == at_baseline(text, "reopen_after_sale\n")
    assert underlined(d) == "reopen_after_sale"
    assert d.message == "unknown action `reopen_after_sale`"
    assert d.hint == "did you mean `reopen_after_sales`?"


def test_pd202_misspelled_action_in_a_remedy():
    text = edit_baseline("remedy accept_request > assist_return", "remedy accept_request > assist_retrun")
    d = single(text, "PD202")
    assert underlined(d) == "assist_retrun" and d.hint == "did you mean `assist_return`?"


def test_pd202_misspelled_action_in_a_test_expectation():
    text = edit_baseline("expect extension ineligible\n\ntest \"P6 N3 extension available: settled, one used\"",
                         "expect extension ineligible, no reopen_after_sale\n\n"
                         "test \"P6 N3 extension available: settled, one used\"")
    d = single(text, "PD202")
    assert underlined(d) == "reopen_after_sale"
    assert where(d) == at_baseline(text, "reopen_after_sale\n")


# ---- PD203 unknown clause / no scenario -----------------------------------------------------------------

def test_pd203_unknown_clause_in_cites():
    text = edit_baseline("rule s3_1_case2_verified_defect cites S3.1, N2", "rule s3_1_case2_verified_defect cites S3.9, N2")
    d = single(text, "PD203")
    assert where(d) == at_baseline(text, "S3.9")
    assert underlined(d) == "S3.9"
    assert d.message == "unknown clause `S3.9`"
    assert d.hint and d.hint.startswith("did you mean `S3.")


def test_pd203_scenario_without_declaration():
    text = edit_baseline("  when scenario S1.2 and request.damage_cause == improper_storage",
                         "  when scenario S3.7 and request.damage_cause == improper_storage")
    d = single(text, "PD203")
    assert underlined(d) == "S3.7"
    assert d.message == "no scenario is declared for clause `S3.7`"


def test_pd203_test_expects_an_undeclared_scenario():
    text = edit_baseline("expect scenario S2.1, may reopen_after_sales\n",
                         "expect scenario S2.9, may reopen_after_sales\n")
    d = single(text, "PD203")
    assert underlined(d) == "S2.9"
    assert where(d) == at_baseline(text, "S2.9")


# ---- PD204 unknown parameter or capability -----------------------------------------------------------------

def test_pd204_unknown_parameter_as_period_length():
    text = edit_baseline("period quality cites S3 = quality_days", "period quality cites S3 = qualty_days")
    d = single(text, "PD204")
    assert where(d) == at_baseline(text, "qualty_days")
    assert underlined(d) == "qualty_days"
    assert d.hint == "did you mean `quality_days`?"


def test_pd204_merchant_sets_unknown_parameter():
    d = single(MERCHANT_HEADER + "set no_reson_days = 10 days\n", "PD204", merchant=True)
    assert where(d) == (2, 5)
    assert underlined(d) == "no_reson_days"
    assert d.hint == "did you mean `no_reason_days`?"


def test_pd204_merchant_claims_unknown_capability():
    d = single(MERCHANT_HEADER + "capability extnsion: at most 3 times\n", "PD204", merchant=True)
    assert where(d) == (2, 12)
    assert underlined(d) == "extnsion"
    assert d.hint == "did you mean `extension`?"


# ---- PD205 unknown period -------------------------------------------------------------------------------

def test_pd205_unknown_period():
    text = edit_baseline("let past_quality = quality_claim and not within quality_claims",
                         "let past_quality = quality_claim and not within quality_claim")
    d = single(text, "PD205")
    line, column = at_baseline(text, "within quality_claim\n")
    assert where(d) == (line, column + len("within "))
    assert underlined(d) == "quality_claim"
    assert d.hint == "did you mean `quality_claims`?"


def test_pd205_unknown_member_of_best_period():
    text = edit_baseline("most favourable of quality, service_period", "most favourable of quality, servce_period")
    d = single(text, "PD205")
    assert underlined(d) == "servce_period" and d.hint == "did you mean `service_period`?"


# ---- PD206 unknown type, enum value, category or group ---------------------------------------------------------

def test_pd206_misspelled_enum_value():
    text = edit_baseline("request.evidence == verified\n", "request.evidence == verifed\n")
    d = single(text, "PD206")
    assert where(d) == at_baseline(text, "verifed")
    assert underlined(d) == "verifed"
    assert d.message == "`verifed` is not a value of `request.evidence` (enum `evidence_state`)"
    assert d.hint == "did you mean `verified`?"


def test_pd206_unknown_group():
    text = edit_baseline("let fresh_goods = order.category in fresh_and_plants",
                         "let fresh_goods = order.category in fresh_and_plant")
    d = single(text, "PD206")
    assert underlined(d) == "fresh_and_plant" and d.hint == "did you mean `fresh_and_plants`?"


def test_pd206_group_member_not_in_enum():
    text = edit_baseline("category { fresh_food, green_plants, flowers }", "category { fresh_food, green_plant, flowers }")
    d = single(text, "PD206")
    assert underlined(d) == "green_plant"
    assert where(d) == at_baseline(text, "green_plant,")
    assert d.hint == "did you mean `green_plants`?"


def test_pd206_unknown_type():
    d = single(MINI.replace("fact order.used: bool", "fact order.used: boolean"), "PD206")
    assert where(d) == (8, 18)
    assert underlined(d) == "boolean"
    assert d.message == "unknown type `boolean`" and d.hint == "did you mean `bool`?"


def test_pd206_unknown_fact_type_is_the_only_error_for_that_fact():
    """The baseline's `request.reason` is read by many rules and tests; misspelling its type must
    give the one PD206 at the declaration, not a PD201 "unknown fact" at every use."""
    text = edit_baseline("fact request.reason: request_reason", "fact request.reason: request_reasons")
    assert text.count("request.reason") > 5
    d = single(text, "PD206")
    assert underlined(d) == "request_reasons" and d.hint == "did you mean `request_reason`?"


def test_pd206_merchant_sets_parameter_for_unknown_category():
    d = single(MERCHANT_HEADER + "set no_reason_days for fresh_fod = 10 days\n", "PD206", merchant=True)
    assert where(d) == (2, 24)
    assert underlined(d) == "fresh_fod" and d.hint == "did you mean `fresh_food`?"


# ---- PD207 declared twice ------------------------------------------------------------------------------------

def test_pd207_action_declared_twice():
    text = edit_baseline("action assist_return: pro_buyer", "action assist_return: pro_buyer\n"
                                                            "action assist_return: pro_buyer")
    d = single(text, "PD207")
    assert where(d) == at_baseline(text, "assist_return: pro_buyer", 2)
    assert underlined(d) == "assist_return"
    assert d.message == "action `assist_return` is declared twice"


def test_pd207_fact_given_twice_in_a_test():
    """The last copy used to win silently; facts JSON gets PD409 for the same mistake."""
    text = edit_baseline('  given base { request.at: "2026-10-08T10:00:00+08:00" }',
                         '  given base { request.at: "2026-10-08T10:00:00+08:00", request.at: "2026-12-08T10:00:00+08:00" }')
    d = single(text, "PD207")
    assert underlined(d) == "request.at"
    assert d.message == "`request.at` is given twice in this block"


def test_pd207_merchant_rule_reuses_a_platform_rule_name():
    d = single(MERCHANT_HEADER + "rule never_refuse_outright cites G1 when true then must accept_request\n",
               "PD207", merchant=True)
    assert where(d) == (2, 6)
    assert underlined(d) == "never_refuse_outright"
    assert "never_refuse_outright" in d.hint


def test_pd207_rule_gives_an_action_two_modalities():
    d = single(MINI.replace("then must accept_request", "then must accept_request, may accept_request"), "PD207")
    assert underlined(d) == "may accept_request"


# ---- PD208 type mismatch ---------------------------------------------------------------------------------------

def test_pd208_count_used_as_a_condition():
    text = edit_baseline("rule never_refuse_outright cites G1, G4b\n  when true",
                         "rule never_refuse_outright cites G1, G4b\n  when order.extensions_used")
    d = single(text, "PD208")
    assert where(d) == at_baseline(text, "order.extensions_used\n")
    assert underlined(d) == "order.extensions_used"
    assert d.message == "`order.extensions_used` is a count, not a condition"


def test_pd208_enum_compared_with_less_than():
    d = single(MINI.replace("request.reason == quality", "request.reason < quality"), "PD208")
    assert where(d) == (10, 27)
    assert underlined(d) == "request.reason < quality"


def test_pd208_null_test_on_a_non_nullable_fact():
    d = single(MINI.replace("request.reason == quality", "order.used is null"), "PD208")
    assert underlined(d) == "order.used"
    assert "never null" in d.message


def test_pd208_timestamp_compared_with_a_number():
    d = single(MINI.replace("request.reason == quality", "request.at > 3"), "PD208")
    assert underlined(d) == "request.at > 3"
    assert d.hint == "periods are tested with `within p` / `expired p`"


def test_pd208_merchant_sets_a_duration_to_a_count():
    d = single(MERCHANT_HEADER + "set no_reason_days = 10\n", "PD208", merchant=True)
    assert where(d) == (2, 22)
    assert underlined(d) == "10"


def test_pd208_test_value_of_the_wrong_type():
    text = edit_baseline("  order.extensions_used: 0,\n", "  order.extensions_used: zero,\n")
    d = single(text, "PD208")
    assert underlined(d) == "zero"
    assert d.message == "`order.extensions_used` is a count; this value is not"


# ---- PD209 not allowed in a merchant policy -------------------------------------------------------------------

def test_pd209_merchant_declares_a_parameter():
    d = single(MERCHANT_HEADER + "param refund_days = 30 days\n", "PD209", merchant=True)
    assert where(d) == (2, 1)
    assert underlined(d) == "param refund_days = 30 days"
    assert d.message == "a merchant policy cannot declare parameters; only the platform can"


def test_pd209_merchant_sets_a_fixed_parameter():
    # every parameter of the shipped baseline may be raised, so the platform here has a fixed one
    platform = parse(MINI + "param review_days = 3 days cites G1\n", "p.policy")
    merchant = parse('merchant policy "m" version "1" extends "mini"\nset review_days = 20 days\n', "m.policy")
    assert platform.diagnostics == () and merchant.diagnostics == ()
    ds = list(analyze(platform.policy, merchant.policy).diagnostics)
    assert codes(ds) == ["PD209"]
    assert underlined(ds[0]) == "review_days"
    assert "may only increase" in ds[0].hint


def test_pd209_merchant_sets_per_value_where_the_parameter_is_not_per_value():
    d = single(MERCHANT_HEADER + "set quality_days for apparel = 20 days\n", "PD209", merchant=True)
    assert where(d) == (2, 22)
    assert underlined(d) == "apparel"


# ---- PD210 unknown fact in test data -----------------------------------------------------------------------------

def test_pd210_unknown_fact_in_a_facts_block():
    text = edit_baseline("  request.damage_cause: none,\n", "  request.damage: none,\n")
    d = single(text, "PD210")
    assert where(d) == at_baseline(text, "request.damage:")
    assert underlined(d) == "request.damage"
    assert d.hint == "did you mean `request.damage_cause`?"


def test_pd210_unknown_fact_in_a_test():
    text = edit_baseline("given base { order.extensions_used: 1 }", "given base { order.extension_used: 1 }")
    d = single(text, "PD210")
    assert underlined(d) == "order.extension_used"
    assert d.hint == "did you mean `order.extensions_used`?"


# ---- PD211 overrides an unknown rule ---------------------------------------------------------------------------

def test_pd211_overrides_unknown_rule():
    d = single(MERCHANT_HEADER + "rule generous cites S2.1 overrides s2_1_reopen when scenario S2.1 "
                                 "then must reopen_after_sales\n", "PD211", merchant=True)
    assert where(d) == (2, 36)
    assert underlined(d) == "s2_1_reopen"
    assert d.hint == "did you mean `s2_1_reopen_by_agreement`?"


def test_pd211_platform_cannot_override_a_merchant_rule():
    d = single(MINI.replace("rule accept cites G1", "rule accept cites G1 overrides acept"), "PD211")
    assert underlined(d) == "acept"
    assert d.hint == "did you mean `accept`?"


# ---- PD212 baseline problems --------------------------------------------------------------------------------------

def test_pd212_merchant_extends_another_baseline():
    d = single('merchant policy "shop" version "1" extends "other-platform"\n', "PD212", merchant=True)
    assert where(d) == (1, 1)
    assert underlined(d) == 'merchant policy "shop" version "1" extends "other-platform"'
    assert "`other-platform`" in d.message and "--baseline" in d.hint


def test_pd212_a_merchant_policy_given_as_the_baseline():
    merchant = parse(MERCHANT_HEADER, "m.policy").policy
    result = analyze(merchant)
    d = one(list(result.diagnostics), "PD212")
    assert where(d) == (1, 1)
    assert "baseline must be a platform policy" in d.message


# ---- PD213 required declaration missing or malformed --------------------------------------------------------------

def test_pd213_missing_now():
    d = single(MINI.replace("now request.at\n", ""), "PD213")
    assert where(d) == (1, 1)
    assert underlined(d) == 'platform policy "mini" version "1"'
    assert d.hint == "add `now request.at`"


def test_pd213_invalid_time_zone():
    d = single(MINI.replace('timezone "+08:00"', 'timezone "+25:00"'), "PD213")
    assert where(d) == (2, 1)
    assert underlined(d) == 'timezone "+25:00"'
    assert d.message == "invalid time zone `+25:00`"


def test_pd213_capability_without_a_window():
    text = edit_baseline("  within 1 year after order.paid_at,\n", "")
    d = single(text, "PD213")
    assert where(d) == at_baseline(text, "capability extension cites N3:")
    assert underlined(d) == "capability extension cites N3:"  # the first line of the declaration


def test_pd213_extension_expected_without_a_capability():
    text = MINI + ('test "t" given { request.at: "2026-10-01T00:00:00+08:00", request.reason: quality, '
                   'order.used: false } expect extension eligible\n')
    d = single(text, "PD213")
    assert where(d) == position_of(text, "extension eligible")
    assert underlined(d) == "extension eligible"


# ---- PD214 circular definitions ---------------------------------------------------------------------------------

def test_pd214_let_defined_through_itself():
    d = single(MINI + "let a = b or order.used\nlet b = a\nrule r cites G1 when a then must accept_request\n",
               "PD214")
    assert d.message == "`a` is defined in terms of itself"
    assert where(d) == (12, 9)
    assert underlined(d) == "a"


def test_pd214_scenario_through_itself():
    text = edit_baseline("scenario S3   = past_quality and not storage_spoiled",
                         "scenario S3   = past_quality and not storage_spoiled and scenario S3.1")
    d = single(text, "PD214")
    # `let reopen_duty` (declared first) reaches the cycle through S3.1, so it closes at S3.1's `scenario S3`
    assert d.message == "scenario `S3` is defined in terms of itself"
    assert underlined(d) == "scenario S3"
    assert where(d) == at_baseline(text, "scenario S3 and not request.product_used")


def test_pd214_rule_overrides_itself():
    d = single(MINI.replace("rule accept cites G1", "rule accept cites G1 overrides accept"), "PD214")
    assert where(d) == (10, 32)
    assert underlined(d) == "accept"


def test_pd214_circular_remedy_points_at_the_closing_chain():
    text = edit_baseline("remedy accept_request > assist_return", "remedy accept_request > assist_return > accept_request")
    d = single(text, "PD214")
    assert where(d) == at_baseline(text, "remedy accept_request > assist_return")
    assert underlined(d) == "remedy accept_request > assist_return > accept_request"
    assert "`accept_request`" in d.message and "`assist_return`" in d.message


def test_pd214_best_period_includes_itself():
    text = edit_baseline("most favourable of quality, service_period", "most favourable of quality, quality_claims")
    d = single(text, "PD214")
    assert underlined(d) == "quality_claims"
    assert where(d) == at_baseline(text, "quality_claims\n")


# ---- PD215 unknown facts block ------------------------------------------------------------------------------------

def test_pd215_test_uses_an_unknown_facts_block():
    text = edit_baseline("given base { order.extensions_used: 1 }", "given bsae { order.extensions_used: 1 }")
    d = single(text, "PD215")
    assert where(d) == at_baseline(text, "bsae")
    assert underlined(d) == "bsae"
    assert d.message == "unknown facts block `bsae`" and d.hint == "did you mean `base`?"


# ---- every error of a run is reported -----------------------------------------------------------------------------

def test_three_distinct_mistakes_give_three_diagnostics():
    text = BASELINE_TEXT
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n", text)
    text = edit_baseline("request.product_used and request.damage_cause == not_man_made",
                         "request.product_used and request.damage_cause == not_manmade", text)
    text = edit_baseline("rule s2_2_resale_affected cites S2.2, N1", "rule s2_2_resale_affected cites S2.2, N11", text)
    ds = diag_of(text)
    assert sorted((d.code, underlined(d)) for d in ds) == [
        ("PD202", "reopen_after_sale"), ("PD203", "N11"), ("PD206", "not_manmade")]
    assert all(d.hint and d.hint.startswith("did you mean") for d in ds)


def test_errors_in_platform_and_merchant_are_reported_together():
    ds = merchant_diag_of(MERCHANT_HEADER + "set qualty_days = 20 days\nparam x = 1\n"
                                            "rule r cites S9 when scenario S2.1 then must reopen_after_sale\n")
    assert sorted((d.code, d.span.line) for d in ds) == [("PD202", 4), ("PD203", 4), ("PD204", 2), ("PD209", 3)]


def test_analysis_with_errors_yields_no_policy_set():
    parsed = parse(edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n"), "t.policy")
    result = analyze(parsed.policy)
    assert result.policy_set is None and not result.ok and result.tests == ()


# ---- a merchant policy on top of the baseline ------------------------------------------------------------------------

def test_valid_merchant_policy_lowers_with_its_baseline():
    text = MERCHANT_HEADER + ("set no_reason_days = 10 days\nset no_reason_days for apparel = 15 days\n"
                              "rule fruit_refund cites S1.1 when scenario S1.1 then must reopen_after_sales\n")
    parsed = parse(text, "m.policy")
    platform = parse(BASELINE_TEXT, "p.policy")
    result = analyze(platform.policy, parsed.policy)
    assert result.diagnostics == ()
    ps = result.policy_set
    assert ps.merchant == "fruit-shop" and ps.baseline is not None and ps.baseline.merchant is None
    param = ps.param("no_reason_days")
    assert (param.value, param.by_value, param.source) == (10, (("apparel", 15),), "merchant")
    assert param.value_for("apparel") == 15 and param.value_for("books") == 10
    assert ps.baseline.param("no_reason_days").value == 7
    rule = ps.rule("fruit_refund")
    assert rule.source == "merchant" and rule.cites == ("S1.1",)


def test_pd208_capability_counted_by_a_nullable_count():
    """A null count would leave the extension undecidable at run time, so it is rejected up front."""
    text = edit_baseline("at most 3 times counted by order.extensions_used",
                         "at most 3 times counted by order.agreed_service_days")
    d = single(text, "PD208")
    assert underlined(d) == "order.agreed_service_days"
    assert "non-null count fact" in d.message


# ---- PD214 periods defined in terms of each other (through guards and joins) -----------------------

def test_pd214_period_guard_tests_the_period_it_joins():
    text = (MERCHANT_HEADER + 'clause M1 "x"\n'
            "period grace cites M1 = 60 days from the day after order.signed_at\n"
            "  when expired quality_claims\n  joins quality_claims\n")
    d = single(text, "PD214", merchant=True)
    assert where(d) == (3, 1)
    assert d.message == "periods are defined in terms of each other: `quality_claims` → `grace` → `quality_claims`"


def test_pd214_best_period_joining_one_of_its_members():
    text = MERCHANT_HEADER + 'clause M1 "x"\nperiod mine cites M1 = most favourable of quality_claims joins quality_claims\n'
    d = single(text, "PD214", merchant=True)
    assert "`mine`" in d.message and "`quality_claims`" in d.message


def test_pd214_two_platform_periods_guarding_each_other():
    text = MINI + ("period a cites G1 = 7 days from the day after request.at when within b\n"
                   "period b cites G1 = 7 days from the day after request.at unless expired a\n")
    d = single(text, "PD214")
    assert d.message == "periods are defined in terms of each other: `a` → `b` → `a`"
    assert underlined(d).startswith("period a")


def test_a_guard_on_an_unrelated_period_is_fine():
    text = (MERCHANT_HEADER + 'clause M1 "x"\n'
            "period grace cites M1 = 60 days from the day after order.signed_at\n  when expired quality\n")
    assert merchant_diag_of(text) == []


def test_pd206_value_not_close_to_any_lists_the_values():
    d = single(MERCHANT_HEADER + 'clause M1 "x"\nrule r cites M1\n  when order.category == fruit\n'
               "  then must soothe_buyer\n", "PD206", merchant=True)
    assert underlined(d) == "fruit"
    assert d.hint.startswith("expected one of fresh_food, green_plants, flowers, apparel")


def test_pd208_duration_parameter_set_without_unit_suggests_the_unit():
    d = single(MERCHANT_HEADER + "set quality_days = 30\n", "PD208", merchant=True)
    assert underlined(d) == "30"
    assert d.hint == "write the unit: `30 days`"


def test_test_facts_a_test_cannot_run_on_are_reported_by_check():
    """A test whose facts `policydsl eval` would reject used to pass `check` and then fail in
    `policydsl test` as if its expectation were wrong."""
    text = edit_baseline('  given base { request.at: "2026-10-08T10:00:00+08:00" }',
                         '  given base { request.at: "2026-10-08T10:00:00" }')
    d = single(text, "PD216")
    assert underlined(d) == '"2026-10-08T10:00:00"'
    assert d.message.startswith('test "P5 no-reason, unused, inside 7 days: normal flow" cannot run on its '
                                'facts (PD406): `request.at`')


def test_pd217_a_chain_of_lets_nested_too_deeply():
    """Each `let` is shallow, but expanded into one another they nest 400 levels: PD217, not a
    RecursionError in the analyzer or any later stage."""
    lets = "let l0 = request.reason == quality\n" + "".join(
        f"let l{i} = order.used and not l{i - 1}\n" for i in range(1, 200))
    d = single(MINI.replace("rule accept cites G1 when request.reason == quality",
                            lets + "rule accept cites G1 when l199"), "PD217")
    assert "nested too deeply" in d.message and d.hint.startswith("flatten the chain")
