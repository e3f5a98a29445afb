"""`policydsl test --mutate`: policy mutants against a file's in-file tests; survivors as PD501 with
file:line:col, equivalent mutants (proved by the exact diff) not counted, the score and --min-score."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core_helpers import BASELINE_NAME, BASELINE_PATH, ROOT, assert_no_traceback, run_cli
from policydsl import ir
from policydsl.api import load_set
from policydsl.tools.mutate import mutants, mutate_file

MERCHANTS = sorted((ROOT / "policies" / "merchants").glob("*.policy"))
HEADER = f'merchant policy "t" version "1" extends "{BASELINE_NAME}"\n'

# Reopens a late, verified quality claim on apparel for a merchant; one test only checks the
# reopening, nothing pins the day or the other conditions.
UNDER_TESTED = HEADER + """clause M1 "Late apparel defects are reopened for 60 days"
period late_defects cites M1 = 60 days from the day after order.signed_at

rule late_apparel_defect cites M1, S3.1
  when order.category == apparel and request.reason == quality and request.quality_issue
    and within late_defects
  then must reopen_after_sales

test "a late apparel defect is reopened"
  given base { order.category: apparel, request.reason: quality, request.quality_issue: true }
  expect must reopen_after_sales
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mutate(*args: str):
    result = run_cli("test", "--mutate", *map(str, args))
    assert_no_traceback(result)
    return result


def test_an_under_tested_file_reports_survivors_with_their_position(tmp_path: Path):
    path = write(tmp_path, "shop.policy", UNDER_TESTED)
    result = mutate(path)
    assert result.exit_code == 1
    survivors = re.findall(r"^(.*?):(\d+):(\d+): warning\[PD501\]: mutant survives every test: (.*)$",
                           result.stdout, re.M)
    assert survivors, result.output
    assert all(file == str(path) for file, *_ in survivors)
    descriptions = {text: (int(line), int(col)) for _, line, col, text in survivors}
    # no test pins the period's last day: both shifts survive, reported at the period's declaration
    assert descriptions == {"period `late_defects` shifted by -1 day": (3, 1),
                            "period `late_defects` shifted by +1 day": (3, 1)}
    # each survivor shows facts on which it decides differently
    assert "= note: with it `reopen_after_sales` becomes" in result.stdout
    assert "mutation score 75.0% (6 killed of 8; 2 survived; 0 equivalent, not counted; 8 mutants)" in result.stdout
    assert "error[PD505]" in result.stdout


def test_min_score_decides_the_exit_code(tmp_path: Path):
    path = write(tmp_path, "shop.policy", UNDER_TESTED)
    f = mutate_file(path)
    assert 0 < f.score < 100 and f.survivors
    assert mutate(path, "--min-score", f"{f.score - 1:.1f}").exit_code == 0
    assert mutate(path, "--min-score", f"{f.score + 1:.1f}").exit_code == 1


def test_killing_tests_raise_the_score(tmp_path: Path):
    weak = mutate_file(write(tmp_path, "weak.policy", UNDER_TESTED))
    stronger = UNDER_TESTED + """
test "day 60 after signing is the last day of the promise"
  given base { order.category: apparel, request.reason: quality, request.quality_issue: true,
               request.at: "2026-12-02T23:00:00+08:00" }
  expect must reopen_after_sales

test "day 61 is past it"
  given base { order.category: apparel, request.reason: quality, request.quality_issue: true,
               request.at: "2026-12-03T09:00:00+08:00" }
  expect no reopen_after_sales
"""
    strong = mutate_file(write(tmp_path, "strong.policy", stronger))
    assert strong.killed > weak.killed and strong.score > weak.score
    assert not any("late_defects" in s.mutant.description and "shifted" in s.mutant.description
                   for s in strong.survivors)


def test_equivalent_mutants_are_not_counted(tmp_path: Path):
    """A merchant rule repeating the baseline's `must_not refuse_outright`: every mutant of it decides
    every request alike (G3 restores the baseline's entry), so none is counted and the score is 100."""
    path = write(tmp_path, "same.policy", HEADER + 'clause M1 "never refuse"\nrule no_refusal cites M1, G1\n'
                                                   "  when true\n  then must_not refuse_outright\n")
    f = mutate_file(path)
    assert f.total > 0 and f.equivalent == f.total and f.score == 100.0
    result = mutate(path)
    assert result.exit_code == 0 and f"{f.total} equivalent, not counted" in result.stdout


def test_failing_tests_stop_mutation(tmp_path: Path):
    path = write(tmp_path, "failing.policy", UNDER_TESTED.replace("expect must reopen_after_sales",
                                                                  "expect no reopen_after_sales"))
    result = mutate(path)
    assert result.exit_code == 2 and "error[PD506]" in result.output


def test_the_mutation_operators():
    ps = load_set([BASELINE_PATH]).policy_set
    assert ps is not None
    found = [m.description for m in mutants(ps, ir.PLATFORM)]
    assert "rule `normal_quality_flow` dropped" in found
    assert "rule `normal_quality_flow`: `must accept_request` weakened to `should accept_request`" in found
    assert "rule `never_refuse_outright`: `must_not refuse_outright` weakened to `no refuse_outright`" in found
    assert "rule `s1_small_compensation`: `should offer_small_compensation` strengthened to " \
           "`must offer_small_compensation`" in found
    assert {"`quality_days` shifted by -1 day", "`quality_days` shifted by +1 day"} <= set(found)
    assert "`sanbao_warranty` shifted by +1 month" in found
    assert "period `no_reason`: `unless order.category in {fresh_food, green_plants, flowers}` dropped" in found
    assert any(d.startswith("rule `normal_quality_flow`: `within quality` negated") for d in found)
    assert len(found) == len(set(found))  # atoms written more than once are numbered


def test_merchant_mutants_touch_only_the_merchant_file():
    ps = load_set([ROOT / "policies" / "merchants" / "apparel_fifteen_day_returns.policy"]).policy_set
    assert ps is not None
    found = [m.description for m in mutants(ps, ir.MERCHANT)]
    assert "`no_reason_days` for `apparel` shifted by +1 day" in found
    assert "`no_reason_days` shifted by -1 day" in found
    assert not any("normal_quality_flow" in d for d in found)
    assert all(str(m.span).startswith(str(ROOT / "policies" / "merchants")) for m in mutants(ps, ir.MERCHANT))


# ---- the shipped files reach 100% --------------------------------------------------------------------

@pytest.mark.parametrize("path", [BASELINE_PATH, *MERCHANTS], ids=lambda p: p.name)
def test_every_shipped_policy_kills_every_mutant(path: Path):
    f = mutate_file(path)
    assert not f.diagnostics
    assert [s.mutant.description for s in f.survivors] == [] and f.score == 100.0


def test_the_cli_reports_100_percent_on_a_shipped_file():
    result = mutate(ROOT / "policies" / "merchants" / "fruit_shop.policy")
    assert result.exit_code == 0
    assert "mutation score 100.0%" in result.stdout and "PD501" not in result.stdout


@pytest.mark.parametrize("path, origin, step", [(BASELINE_PATH, ir.PLATFORM, 23),
                                                (ROOT / "policies" / "merchants" / "bookshop.policy", ir.MERCHANT, 4)],
                         ids=["baseline", "bookshop"])
def test_a_rule_mutant_changes_only_the_actions_it_reaches(path: Path, origin: str, step: int):
    """The equivalence check compares only `Mutant.actions`; the full diff finds nothing elsewhere."""
    from policydsl.check.diff import semantic_diff

    ps = load_set([path]).policy_set
    assert ps is not None
    sampled = [m for m in mutants(ps, origin) if m.actions is not None][::step]
    assert len(sampled) >= 5
    for m in sampled:
        assert {d.action for d in semantic_diff(ps, m.ps).differences} <= m.actions, m.description


def test_min_score_without_mutate_is_a_usage_error():
    result = run_cli("test", str(BASELINE_PATH), "--min-score", "50")
    assert result.exit_code == 2 and "--min-score is the least mutation score: use it with --mutate" in result.output
