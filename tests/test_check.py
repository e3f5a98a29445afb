"""The favourability checker, end to end: the shipped merchant examples, counterexamples
replayed through the evaluator and `policydsl eval`, output formats, exit codes, warnings.

Valid examples live in policies/merchants/, rejected ones in policies/merchants/rejected/
(each rejected file says in its header comment what is wrong with it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from core_helpers import BASELINE_NAME, ROOT
from facts_strategies import FACT_PATHS, OPTIONAL_FACT_PATHS, with_facts
from policydsl import ir
from policydsl.api import load_set
from policydsl.check import check_merchant
from policydsl.cli import main
from policydsl.evaluate.interpreter import effective_rank, evaluate
from policydsl.evaluate.facts import validate

MERCHANTS = ROOT / "policies" / "merchants"
VALID = sorted(MERCHANTS.glob("*.policy"))
REJECTED = sorted((MERCHANTS / "rejected").glob("*.policy"))
HEADER = f'merchant policy "test-shop" version "1" extends "{BASELINE_NAME}"\n\nclause M1 "A test promise"\n\n'
CHINA = dt.timezone(dt.timedelta(hours=8))


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def check_json(path: Path) -> dict[str, Any]:
    result = run("check", path, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def merchant_set(path: Path) -> ir.PolicySet:
    loaded = load_set([path])
    assert loaded.policy_set is not None, [d.message for d in loaded.diagnostics]
    return loaded.policy_set


def ranks(ps: ir.PolicySet, facts: dict[str, Any], action: str) -> tuple[int, int]:
    """(merchant set's, baseline's) effective rank on `action` at `facts`, before G3 repairs it."""
    flat = validate(facts, ps)
    mine = evaluate(ps, flat, enforce_baseline=False)
    base = evaluate(ps.baseline, flat)
    chosen_m = {a.action: (a.modality, ()) for a in mine.actions}
    chosen_b = {a.action: (a.modality, ()) for a in base.actions}
    return effective_rank(ps, chosen_m, action), effective_rank(ps.baseline, chosen_b, action)


def write(tmp_path: Path, body: str, name: str = "shop.policy") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def local_days_between(earlier: str, later: str) -> int:
    """Calendar days between the China-time (UTC+08:00) dates of two RFC 3339 instants."""
    def day(text: str) -> dt.date:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(CHINA).date()
    return (day(later) - day(earlier)).days


def rejected_violations() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in REJECTED:
        for v in check_json(path)["violations"]:
            out.append((path, v))
    return out


def test_there_are_enough_examples():
    assert len(VALID) >= 5
    assert len(REJECTED) >= 6


# ---- (a) valid examples check clean; rejected ones are rejected --------------------------------

@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_checks_clean(path: Path):
    result = run("check", path)
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output, result.output
    checked = check_merchant(merchant_set(path))
    assert checked.status == "valid"
    assert checked.violations == ()
    assert checked.diagnostics == ()


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_in_file_tests_pass(path: Path):
    result = run("test", path)
    assert result.exit_code == 0, result.output
    assert re.search(r"^(\d+)/\1 tests passed$", result.output, re.M), result.output
    assert "tests passed" in result.output and " 0/" not in result.output


def test_valid_examples_use_replaces_and_overrides_generously():
    """At least one valid example replaces a platform rule and one overrides one."""
    texts = [p.read_text(encoding="utf-8") for p in VALID]
    assert any(re.search(r"\breplaces\s+\w+", t) for t in texts)
    assert any(re.search(r"\boverrides\s+\w+", t) for t in texts)


@pytest.mark.parametrize("path", REJECTED, ids=lambda p: p.name)
def test_rejected_example_is_rejected(path: Path):
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# REJECTED (PD3"), "each rejected example says what is wrong in its header comment"
    expected = set(re.findall(r"PD3\d\d", header))
    result = run("check", path)
    assert result.exit_code == 1, result.output
    checked = check_merchant(merchant_set(path))
    assert checked.status == "violations"
    assert expected <= {d.code for d in checked.diagnostics if d.is_error}


def test_rejected_examples_cover_each_kind_of_strictness():
    codes = {path.name: {v["code"] for v in check_json(path)["violations"]} for path in REJECTED}
    every = set().union(*codes.values())
    assert {"PD301", "PD302", "PD303"} <= every
    assert codes["shortened_no_reason_window.policy"] == {"PD302"}
    assert codes["lowered_quality_period.policy"] == {"PD302"}
    assert codes["exceeded_extension_capability.policy"] == {"PD303"}
    for name in ("weakened_must_to_should", "narrowed_must_condition", "lifted_refusal_prohibition"):
        assert codes[f"{name}.policy"] == {"PD301"}


def test_whole_directory_check_fails_only_because_of_rejected():
    assert run("check", MERCHANTS / "rejected").exit_code == 1
    assert run("check", *VALID).exit_code == 0


# ---- (b) every counterexample reproduces, in the library and through `policydsl eval` ----------

@pytest.mark.parametrize("path,violation", rejected_violations(),
                         ids=lambda x: x.name if isinstance(x, Path) else f"{x['code']}-{x['rule']}-{x['action']}")
def test_counterexample_reproduces(path: Path, violation: dict[str, Any], tmp_path: Path):
    cx = violation["counterexample"]
    if violation["code"] == "PD303":
        assert cx is None  # a capability claim is a static check: no facts make it worse
        return
    assert cx is not None, f"{violation['code']} without a counterexample"
    ps = merchant_set(path)
    action = violation["action"]
    merchant_rank, baseline_rank = ranks(ps, cx, action)
    assert merchant_rank < baseline_rank, (action, merchant_rank, baseline_rank)

    facts = tmp_path / "cx.json"
    facts.write_text(json.dumps(cx, ensure_ascii=False), encoding="utf-8")
    result = run("eval", path, "--facts", facts)
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    culprit = violation["rule"]
    named = [o for o in decision["overridden"] if o["action"] == action
             and culprit in o["rule"].split(", ")]
    assert named, f"`{culprit}` not listed in overridden for {action}: {decision['overridden']}"
    # G3: with the merchant rule void, the decision is the baseline's on that action
    assert named[0]["baseline"] == violation["baseline"]


def test_pd302_culprit_is_the_setting(tmp_path: Path):
    path = MERCHANTS / "rejected" / "lowered_quality_period.policy"
    (v,) = check_json(path)["violations"]
    assert v["rule"] == "set quality_days"
    facts = tmp_path / "cx.json"
    facts.write_text(json.dumps(v["counterexample"]), encoding="utf-8")
    decision = json.loads(run("eval", path, "--facts", facts).output)
    assert any(o["rule"] == "set quality_days" and o["action"] == "accept_request" for o in decision["overridden"])


# ---- (c) counterexamples are complete facts, on the boundary ----------------------------------

def _leaves(facts: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for k, v in facts.items():
        if isinstance(v, dict):
            out |= _leaves(v, f"{prefix}{k}.")
        else:
            out.add(prefix + k)
    return out


@pytest.mark.parametrize("path,violation", [pv for pv in rejected_violations() if pv[1]["counterexample"]],
                         ids=lambda x: x.name if isinstance(x, Path) else f"{x['rule']}-{x['action']}")
def test_counterexample_is_complete(path: Path, violation: dict[str, Any]):
    cx = violation["counterexample"]
    assert _leaves(cx) == set(FACT_PATHS) | set(OPTIONAL_FACT_PATHS)  # every fact, optional ones too
    flat = validate(cx, merchant_set(path))  # well typed and consistent: paid <= signed, paid <= request
    assert flat["order.paid_at"] <= flat["request.at"]
    if flat["order.signed_at"] is not None:
        assert flat["order.paid_at"] <= flat["order.signed_at"]
    for path_ in ("order.paid_at", "order.signed_at", "request.at"):
        value = flat[path_]
        text = cx[path_.split(".")[0]][path_.split(".")[1]]
        assert value is None or re.search(r"([+-]\d\d:\d\d|Z)$", text), text  # timestamps carry an offset


@pytest.mark.parametrize("name,reason,category,window", [
    ("shortened_no_reason_window.policy", "no_reason", None, 5),
    ("shortened_apparel_window.policy", "no_reason", "apparel", 3),
    ("lowered_quality_period.policy", "quality", None, 10),
])
def test_window_counterexample_is_the_first_day_outside(name: str, reason: str, category: str | None, window: int):
    (v,) = check_json(MERCHANTS / "rejected" / name)["violations"]
    cx = v["counterexample"]
    assert cx["request"]["reason"] == reason
    if category:
        assert cx["order"]["category"] == category
    if reason == "no_reason":  # fresh goods have no no-reason period at all
        assert cx["order"]["category"] not in ("fresh_food", "green_plants", "flowers")
    assert cx["order"]["signed_at"] is not None
    # the merchant's window ends with day `window` after signing; day window+1 is the first outside it
    assert local_days_between(cx["order"]["signed_at"], cx["request"]["at"]) == window + 1
    assert v["action"] == "accept_request" and v["merchant"] == "absent" and v["baseline"] == "must"


# ---- (d) output formats ----------------------------------------------------------------------

def test_text_output_has_location_source_line_and_caret():
    path = MERCHANTS / "rejected" / "weakened_must_to_should.policy"
    out = run("check", path).output
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "error[PD301]" in line)
    m = re.match(r"^(.+?):(\d+):(\d+): error\[PD301\]: rule `s3_1_reopen_if_possible`", lines[first])
    assert m and m.group(1) == str(path), lines[first]
    line_no, col = int(m.group(2)), int(m.group(3))
    source_line = path.read_text(encoding="utf-8").splitlines()[line_no - 1]
    assert lines[first + 2] == f"{line_no} | {source_line}"
    caret = lines[first + 3].split("| ", 1)[1]
    assert caret.index("^") == col - 1 and set(caret.strip()) == {"^"}
    assert "counterexample: {" in out and "reproduce:" in out
    assert "hint:" in out


def test_json_output_fields():
    for path in REJECTED:
        doc = check_json(path)
        assert doc["valid"] is False and doc["files"] == [str(path)]
        assert doc["violations"], path
        for v in doc["violations"]:
            for key in ("file", "line", "column", "clause", "action", "merchant", "baseline", "counterexample"):
                assert key in v, (path.name, key)
            assert v["file"] == str(path) and isinstance(v["line"], int) and isinstance(v["column"], int)
            if v["code"] != "PD303":
                assert v["action"] in {a.name for a in merchant_set(path).actions}
                assert v["merchant"] in ir.MODALITIES + ("absent",)
                assert v["baseline"] in ir.MODALITIES + ("absent",)
                assert v["clause"]


def test_sarif_output_shape(monkeypatch):
    monkeypatch.chdir(MERCHANTS.parent.parent)  # the checkout: %SRCROOT%
    path = MERCHANTS / "rejected" / "narrowed_must_condition.policy"
    result = run("check", path, "--format", "sarif")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["version"] == "2.1.0"
    assert "sarif" in doc["$schema"]
    run0 = doc["runs"][0]
    assert run0["tool"]["driver"]["name"] == "policydsl"
    assert {r["id"] for r in run0["tool"]["driver"]["rules"]} >= {"PD301"}
    assert run0["results"]
    for r in run0["results"]:
        assert r["ruleId"].startswith("PD") and r["level"] in ("error", "warning", "note")
        loc = r["locations"][0]["physicalLocation"]
        # relative to the checkout (the working directory) under %SRCROOT%, as code scanning expects
        assert loc["artifactLocation"] == {"uri": path.resolve().relative_to(Path.cwd().resolve()).as_posix(),
                                           "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert r["message"]["text"]


def test_github_output_lines():
    path = MERCHANTS / "rejected" / "lifted_refusal_prohibition.policy"
    result = run("check", path, "--format", "github")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert line.startswith("::error file="), line
        assert re.match(r"^::error file=[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=PD30\d::", line), line


def test_valid_file_github_and_json_output():
    assert run("check", VALID[0], "--format", "github").output.strip() == ""
    doc = check_json(VALID[0])
    assert doc["valid"] is True and doc["violations"] == [] and doc["diagnostics"] == []


# ---- (e) exit codes --------------------------------------------------------------------------

def test_exit_codes(tmp_path: Path):
    assert run("check", VALID[0]).exit_code == 0
    assert run("check", MERCHANTS / "rejected" / "weakened_must_to_should.policy").exit_code == 1
    broken = write(tmp_path, "rule broken cites M1\n  when request.product_used\n  must reopen_after_sales\n")
    result = run("check", broken)
    assert result.exit_code == 2, result.output
    assert "error[PD1" in result.output


def test_syntax_error_wins_over_violations(tmp_path: Path):
    bad = write(tmp_path, "rule oops cites M1 when request.product_used then must\n", "bad.policy")
    result = run("check", bad, MERCHANTS / "rejected" / "weakened_must_to_should.policy")
    assert result.exit_code == 2


# ---- (f) warnings ------------------------------------------------------------------------------

CAPABILITY = ("capability extension cites M1:\n  at most {times} times counted by order.extensions_used,\n"
              "  {each} each,\n  within 1 year after {anchor},\n  only when {when}\n")
PLATFORM_CAPABILITY = dict(times=3, each="7 days", anchor="order.paid_at", when="order.settled")


@pytest.mark.parametrize(("change", "words"), [
    ({}, None),
    ({"each": "168 hours"}, None),  # the same length, written in hours
    ({"times": 5}, "5 extensions per order exceeds the platform's ceiling (3)"),
    ({"each": "191 hours"}, "191 hours per extension exceeds the platform's ceiling (168)"),
    ({"each": "6 days"}, "144 hours per extension is below what the platform provides (168)"),
    ({"anchor": "order.signed_at"}, "its window runs from `order.signed_at`, the platform's capability from "
                                    "`order.paid_at`"),
    ({"when": "true"}, "its `only when` condition holds on other facts than the platform's"),
    ({"when": "order.settled and order.settled"}, None),  # the same facts, written otherwise
    ({"when": "not (not order.settled)"}, None),
])
def test_restated_capability_must_be_the_platforms(tmp_path: Path, change: dict[str, Any], words: str | None):
    """PD303: a merchant may restate N3's extension capability only exactly as the platform has it."""
    path = write(tmp_path, CAPABILITY.format(**{**PLATFORM_CAPABILITY, **change}))
    found = [d for d in check_merchant(merchant_set(path)).diagnostics if d.code == "PD303"]
    if words is None:
        assert found == []
    else:
        assert [words in d.message for d in found] == [True]
        assert where_of(found[0]) == (5, 1)  # the `capability` line, after the header and clause


def test_a_violation_where_the_baseline_is_silent_names_the_clauses_that_govern_the_action():
    path = MERCHANTS / "rejected" / "harsher_resale_notice.policy"
    result = run("check", path)
    assert "baseline requires: absent; the baseline gives it only under N1, S2.2)" in result.output
    [violation] = check_json(path)["violations"]
    assert (violation["action"], violation["baseline"], violation["clause"]) == (
        "inform_resale_affected", "absent", "N1, S2.2")


def test_pd302_text_names_the_clause_and_how_to_reproduce():
    result = run("check", MERCHANTS / "rejected" / "lowered_quality_period.policy")
    assert "where the baseline requires must (S3)" in result.output
    assert "the decision lists this setting under `overridden`" in result.output


def test_restated_capability_facts_are_resolved_and_parts_given_once(tmp_path: Path):
    loaded = load_set([write(tmp_path, CAPABILITY.format(**{**PLATFORM_CAPABILITY, "anchor": "order.payed_at"}))])
    assert [(d.code, d.hint) for d in loaded.diagnostics] == [("PD201", "did you mean `order.paid_at`?")]
    twice = CAPABILITY.format(**PLATFORM_CAPABILITY).replace("  7 days each,\n", "  7 days each,\n  8 days each,\n")
    loaded = load_set([write(tmp_path, twice, "twice.policy")])
    assert [d.code for d in loaded.diagnostics] == ["PD213"]
    assert "states `N days each` more than once" in loaded.diagnostics[0].message


def where_of(d) -> tuple[int, int]:
    return d.span.line, d.span.column


def test_unsatisfiable_rule_gets_pd304(tmp_path: Path):
    path = write(tmp_path, "rule never_fires cites M1\n"
                           "  when request.reason == quality and request.reason == no_reason\n"
                           "  then must reopen_after_sales\n")
    result = run("check", path)
    assert result.exit_code == 0, result.output
    assert "warning[PD304]" in result.output and "never_fires" in result.output
    codes = [d.code for d in check_merchant(merchant_set(path)).diagnostics]
    assert codes == ["PD304"]


def test_shadowed_rule_gets_pd305(tmp_path: Path):
    # the baseline already gives `should offer_small_compensation` wherever S2.1 applies
    path = write(tmp_path, "rule shadowed cites M1, S2.1\n  when scenario S2.1\n  then may offer_small_compensation\n")
    result = run("check", path)
    assert result.exit_code == 0, result.output
    assert "warning[PD305]" in result.output
    assert [d.code for d in check_merchant(merchant_set(path)).diagnostics] == ["PD305"]


def test_useful_rule_gets_no_warning(tmp_path: Path):
    path = write(tmp_path, "rule useful cites M1, S2.1\n  when scenario S2.1\n  then should reopen_after_sales\n")
    assert check_merchant(merchant_set(path)).diagnostics == ()


# ---- (g) exact (hour-precise) periods are decided too; one construct is outside -------------------

def test_an_hour_precise_promise_is_decided_valid(tmp_path: Path):
    """A purely generous promise over an exact period can never be stricter: decided, not PD306."""
    path = write(tmp_path, "period quick cites M1 = 48 hours after order.signed_at\n"
                           "rule quick_reopen cites M1\n  when within quick\n  then must reopen_after_sales\n")
    result = run("check", path)
    assert result.exit_code == 0 and "PD306" not in result.output, result.output
    assert check_merchant(merchant_set(path)).status == "valid"


def test_an_hour_precise_period_joining_quality_claims_is_decided_valid(tmp_path: Path):
    path = write(tmp_path, "period quick cites M1 = 48 hours after order.signed_at joins quality_claims\n")
    assert check_merchant(merchant_set(path)).status == "valid"
    assert run("check", path).exit_code == 0


def test_an_hour_precise_restriction_is_caught_to_the_hour(tmp_path: Path):
    """The merchant refuses to reopen until 400 hours (16 days 16 hours) after signing; the
    baseline's duty starts on day 16. The counterexample falls inside the 400 hours, on day 16
    or later, and replays through the evaluator (check_merchant replays every model)."""
    path = write(tmp_path, "period quick cites M1 = 400 hours after order.signed_at\n"
                           "rule quick_no cites M1, S3.1 replaces s3_1_case2_verified_defect\n"
                           "  when reopen_duty and not within quick\n  then must reopen_after_sales\n")
    checked = check_merchant(merchant_set(path))
    assert checked.status == "violations"
    v, = checked.violations
    assert (v.culprit, v.action, v.baseline, v.merchant) == ("quick_no", "reopen_after_sales", "must", None)
    signed = dt.datetime.fromisoformat(v.counterexample["order"]["signed_at"])
    at = dt.datetime.fromisoformat(v.counterexample["request"]["at"])
    assert at - signed <= dt.timedelta(hours=400)
    assert local_days_between(v.counterexample["order"]["signed_at"], v.counterexample["request"]["at"]) >= 16


def test_an_exact_period_whose_length_is_a_fact_is_the_one_undecided_construct(tmp_path: Path):
    path = write(tmp_path, "period quick cites M1 = order.failed_repairs hours after order.signed_at\n"
                           "rule quick_reopen cites M1\n  when within quick\n  then must reopen_after_sales\n")
    result = run("check", path)
    assert result.exit_code == 2 and "error[PD306]" in result.output and "length read from a fact" in result.output
    assert check_merchant(merchant_set(path)).status == "undecided"


# ---- regressions: culprits masked by other merchant rules ------------------------------------------
# Found by tests/test_check_differential.py. The checker used to find each further culprit
# after taking the earlier ones out of the policy; the model found there need not be a
# violation of the whole policy (the removed rule may grant the action), and the evaluator
# may blame another rule. Every violation must reproduce on the policy as written, and
# `policydsl eval` must name its culprit.

MASKED = {
    # m1 replaces the in-period flow with its own `must accept_request`; m2's `must_not`
    # never wins against it, so m2 is not a culprit: only m1 is (where the stage is not open).
    "masked_by_generous_rule": (
        "rule m1 cites M1 replaces normal_no_reason_flow\n  when negotiation.stage == open\n"
        "  then must accept_request\n"
        "rule m2 cites M1\n  when negotiation.stage == open\n  then must_not accept_request\n",
        {("m1", "accept_request")}),
    # m1 and m2 both suppress the prohibition where m2 fires: both are void (G3) and both are
    # reported in one run, each with a counterexample whose `overridden` names it.
    "second_suppressor": (
        "rule m1 cites M1 overrides never_refuse_outright\n  when request.product_used\n"
        "  then may refuse_outright, must soothe_buyer\n"
        "rule m2 cites M1 overrides never_refuse_outright\n  when request.product_used and request.reason == quality\n"
        "  then may refuse_outright, must soothe_buyer\n",
        {("m1", "refuse_outright"), ("m2", "refuse_outright")}),
    # m0 lowers S1's compensation, but m2 grants `should accept_request` on every fresh order,
    # which covers it; m2's replacement drops S3's negotiation on all other orders: the only
    # culprit is m2, on negotiate_other_remedy.
    "covered_by_stronger_remedy": (
        "rule m0 cites M1 overrides s1_small_compensation\n  when within quality\n"
        "  then may offer_small_compensation\n"
        "rule m2 cites M1 replaces s3_negotiate_after_rejection\n  when order.category in fresh_and_plants\n"
        "  then should accept_request\n",
        {("m2", "negotiate_other_remedy")}),
}


@pytest.mark.parametrize("name", sorted(MASKED))
def test_masked_culprits(name: str, tmp_path: Path):
    body, expected = MASKED[name]
    path = write(tmp_path, body)
    doc = check_json(path)
    assert doc["valid"] is False
    found = {(v["rule"], v["action"]) for v in doc["violations"]}
    assert found == expected
    ps = merchant_set(path)
    for v in doc["violations"]:
        m, b = ranks(ps, v["counterexample"], v["action"])
        assert m < b
        decision = evaluate(ps, validate(v["counterexample"], ps))
        assert any(v["rule"] in o.rule.split(", ") and o.action == v["action"] for o in decision.overridden)


def test_raising_a_parameter_can_expose_an_override(tmp_path: Path):
    """Why the differential test raises parameters only on policies without overrides/replaces:
    a rule that suppresses S3.1's `must reopen` and re-grants it only past the no-reason
    period is valid at 7 days, and stricter once the no-reason period outlasts the quality one."""
    body = ("rule quality_claims_soothed cites M1 overrides s3_1_case2_verified_defect\n"
            "  when request.reason == quality\n  then must soothe_buyer\n"
            "rule reopen_late_defects cites M1, S3.1\n"
            "  when scenario S3.1 and request.quality_issue and request.evidence == verified\n"
            "   and (expired no_reason or order.category in fresh_and_plants)\n"
            "  then must reopen_after_sales\n")
    assert check_json(write(tmp_path, body, "a.policy"))["valid"] is True
    doc = check_json(write(tmp_path, "set no_reason_days = 30 days\n" + body, "b.policy"))
    assert [(v["rule"], v["action"]) for v in doc["violations"]] == [("quality_claims_soothed", "reopen_after_sales")]
    cx = doc["violations"][0]["counterexample"]
    assert 15 < local_days_between(cx["order"]["signed_at"], cx["request"]["at"]) <= 30


# ---- the solver: the faster `satisfiable` and `simplify` agree with the plain search ---------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from policydsl.check import logic  # noqa: E402

_VARS = ("x", "y", "z")
_atoms = st.one_of(
    st.builds(logic.BoolAtom, st.sampled_from(["p", "q"])),
    st.builds(logic.NullAtom, st.sampled_from(["n"])),
    st.builds(logic.EnumAtom, st.just("e"), st.frozensets(st.sampled_from("abcd"), min_size=1, max_size=3)),
    st.builds(logic.diff, st.sampled_from(_VARS + (logic.ZERO,)), st.sampled_from(_VARS + (logic.ZERO,)),
              st.integers(-4, 4)),
)
_formulas = st.recursive(_atoms, lambda kids: st.one_of(
    kids.map(logic.neg), st.lists(kids, min_size=2, max_size=4).map(logic.conj),
    st.lists(kids, min_size=2, max_size=4).map(logic.disj)), max_leaves=14)
_DOMAINS = logic.Domains(enums={"e": tuple("abcd")}, base_constraints=((logic.ZERO, "x", 0), ("y", "x", 3)))


def _plain_simplify(f, assignment):
    """The solver's simplification before it memoised shared subformulas."""
    if f is True or f is False:
        return f
    if isinstance(f, logic.And):
        return logic.conj(_plain_simplify(i, assignment) for i in f.items)
    if isinstance(f, logic.Or):
        return logic.disj(_plain_simplify(i, assignment) for i in f.items)
    if isinstance(f, logic.Not):
        return logic.neg(_plain_simplify(f.item, assignment))
    value = assignment.get(f)
    return f if value is None else value


@settings(max_examples=300, deadline=None)
@given(f=_formulas)
def test_satisfiable_agrees_with_solve(f):
    model = logic.solve(f, _DOMAINS)
    assert logic.satisfiable(f, _DOMAINS) == (model is not None)
    if model is not None:  # the model really satisfies f and the theories
        assert logic.simplify(f, model.atoms) is True


@settings(max_examples=300, deadline=None)
@given(f=_formulas, data=st.data())
def test_simplify_is_unchanged_by_memoisation(f, data):
    atoms = logic.atoms_of(f)
    chosen = data.draw(st.lists(st.sampled_from(atoms), unique=True)) if atoms else []
    assignment = {a: data.draw(st.booleans()) for a in chosen}
    shared = logic.conj([f, logic.disj([f, logic.BoolAtom("p")])])  # the same node twice
    for g in (f, shared):
        assert logic.simplify(g, assignment) == _plain_simplify(g, assignment)


def test_implied_atoms_are_implied():
    x_le_2 = logic.diff("x", logic.ZERO, 2)
    x_le_5 = logic.diff("x", logic.ZERO, 5)
    x_ge_4 = logic.diff(logic.ZERO, "x", -4)
    e_ab = logic.EnumAtom("e", frozenset("ab"))
    e_a = logic.EnumAtom("e", frozenset("a"))
    f = logic.conj([x_le_5, x_ge_4, e_ab])
    implied = logic.implied_atoms(f, {x_le_2: True, e_a: True}, _DOMAINS)
    assert implied == {x_le_5: True, x_ge_4: False, e_ab: True}


@settings(max_examples=300, deadline=None)
@given(f=_formulas, g=_formulas)
def test_completion_decides_only_what_is_true(f, g):
    """A completion of a model of f that makes g True (False) proves f ∧ g (f ∧ ¬g) satisfiable,
    and it keeps every atom the model assigned."""
    model = logic.solve(f, _DOMAINS)
    if model is None:
        return
    here = logic.Completion(model, _DOMAINS)
    assert here.holds(f) is not False
    for atom, value in model.atoms.items():
        assert here.atom(atom) is value
    verdict = here.holds(g)
    if verdict is True:
        assert logic.satisfiable(logic.conj([f, g]), _DOMAINS)
    elif verdict is False:
        assert logic.satisfiable(logic.conj([f, logic.neg(g)]), _DOMAINS)


@settings(max_examples=300, deadline=None)
@given(f=_formulas)
def test_necessary_literals_are_necessary(f):
    for atom, value in logic.necessary_literals(f):
        assert not logic.satisfiable(logic.conj([f, atom if not value else logic.neg(atom)]), _DOMAINS)


def test_shadow_check_is_linear_in_independent_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """PD305 over rules on disjoint regions: the competitors of each rule are ruled out by index
    lookup, so no query the warning search solves grows with the number of rules."""
    from policydsl.check import favourability

    n = 60
    rules = "\n".join(f"rule promise_{i} cites G1\n  when order.agreed_service_days == {i} days\n"
                      f"  then must reopen_after_sales" for i in range(n))
    path = tmp_path / "many.policy"
    path.write_text(f'merchant policy "m" version "1" extends "{BASELINE_NAME}"\n\n{rules}\n', encoding="utf-8")
    sizes: list[int] = []
    real_solve = favourability.solve

    def measured(f, domains):
        sizes.append(len(logic.atoms_of(f)))
        return real_solve(f, domains)

    monkeypatch.setattr(favourability, "solve", measured)
    warnings = favourability.rule_warnings(merchant_set(path))
    assert warnings == []  # each promise decides `reopen_after_sales` somewhere of its own
    assert n <= len(sizes) <= 2 * n
    assert max(sizes) < n  # an eager query would hold the other 59 promises' atoms


def test_an_idle_effect_gets_pd309_and_deny_warnings_fails_ci(tmp_path: Path):
    """One effect of a useful rule that never changes a decision: the baseline's `should
    offer_small_compensation` already covers every S2.1 request, so `may` adds nothing."""
    path = write(tmp_path, "rule mixed cites M1, S2.1\n  when scenario S2.1\n"
                           "  then must reopen_after_sales, may offer_small_compensation\n")
    diags = check_merchant(merchant_set(path)).diagnostics
    assert [d.code for d in diags] == ["PD309"]
    assert diags[0].message.startswith("`may offer_small_compensation` in rule `mixed` never changes a decision")
    line = HEADER.count("\n") + 3
    assert (diags[0].span.line, diags[0].span.column) == (line, 33)  # the effect itself
    assert run("check", path).exit_code == 0
    denied = run("check", "--deny-warnings", path)
    assert denied.exit_code == 1 and "warning[PD309]" in denied.output
    assert "checked 1 file(s): failed (--deny-warnings), 0 error(s), 1 warning(s)" in denied.output
    assert "checked 1 file(s): ok, 0 error(s), 1 warning(s)" in run("check", path).output


@pytest.mark.parametrize("engine", ["interpreter", "compiled"])
def test_g3_names_only_the_settings_that_change_something(tmp_path: Path, engine: str):
    """G3's last resort names the merchant's settings; one that restates the platform's value
    changes nothing and is never named (found by mutation testing of policydsl.ir.g3)."""
    path = write(tmp_path, "set no_reason_days = 5 days cites M1\nset quality_days = 15 days cites M1\n")
    from policydsl.api import PolicySet

    policy = PolicySet(merchant_set(path), engine=engine)
    day_7 = with_facts(request__at="2026-10-10T10:00:00+08:00")  # signed 10-03: day 7, past the shop's 5 days
    decision = policy.decide(day_7)
    assert [(o.rule, o.action) for o in decision.overridden] == [("set no_reason_days", "accept_request")]
