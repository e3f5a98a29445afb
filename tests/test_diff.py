"""`policydsl diff`: the exact semantic diff of two policy sets, replay of an order history, and
re-checking merchant files against a new baseline. Every counterexample the diff reports is
replayed here through both engines on both sides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core_helpers import (BASELINE_NAME, BASELINE_PATH, BASELINE_TEXT, ENGINES, ROOT, assert_no_traceback,
                          edit_baseline, run_cli)
import policydsl
from policydsl import ir
from policydsl.api import load_set
from policydsl.check.diff import LESS, MORE, semantic_diff
from policydsl.tools.mutate import mutants

QUALITY = "param quality_days = 15 days may only increase"
BATCH = ROOT / "examples" / "facts" / "batch.jsonl"
MERCHANTS = ROOT / "policies" / "merchants"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def diff(*args: str):
    result = run_cli("diff", *map(str, args))
    assert_no_traceback(result)
    return result


def ir_of(path: Path, baseline: Path | None = None) -> ir.PolicySet:
    ps = load_set([path], baseline).policy_set
    assert ps is not None
    return ps


def assert_replays(old: Path, new: Path, differences: list[dict], baseline: Path | None = None) -> None:
    """Each difference's counterexample gives `old` and `new` exactly as the diff says, in both engines."""
    assert differences
    for engine in ENGINES:
        before = policydsl.load(old, baseline=baseline, engine=engine)
        after = policydsl.load(new, baseline=baseline, engine=engine)
        for d in differences:
            facts = d["counterexample"]
            assert before.decide(facts).modality(d["action"]) == d["old"], (engine, d)
            assert after.decide(facts).modality(d["action"]) == d["new"], (engine, d)
            polarity = after.ir.action(d["action"]).polarity
            worse = ir.modality_rank(polarity, d["new"]) < ir.modality_rank(polarity, d["old"])
            assert d["direction"] == (LESS if worse else MORE)


@pytest.fixture
def shorter_quality(tmp_path: Path) -> Path:
    return write(tmp_path, "after_sales.policy", edit_baseline(QUALITY, QUALITY.replace("15", "10")))


# ---- the done-when cases, through the CLI ------------------------------------------------------------

def test_a_shorter_quality_period_is_less_favourable_and_its_counterexample_replays(shorter_quality: Path):
    result = diff(BASELINE_PATH, shorter_quality, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "differ" and report["format"] == "policydsl-diff"
    accept = [d for d in report["differences"] if d["action"] == "accept_request"]
    assert {(d["direction"], d["old"], d["new"]) for d in accept} == {(LESS, "must", None), (LESS, "must", "may")}
    assert_replays(BASELINE_PATH, shorter_quality, report["differences"])
    # the boundary: day 11 after signing is inside 15 days and outside 10
    facts = accept[0]["counterexample"]
    assert facts["request"]["reason"] == "quality"


def test_the_text_form_names_the_action_and_the_direction(shorter_quality: Path):
    result = diff(BASELINE_PATH, shorter_quality)
    assert result.exit_code == 1
    assert "  accept_request: less favourable to the buyer\n    must -> absent: {" in result.stdout


def test_replaying_the_example_history_counts_changed_decisions(shorter_quality: Path):
    result = diff(BASELINE_PATH, shorter_quality, "--facts", BATCH, "--format", "json")
    assert result.exit_code == 1
    replay = json.loads(result.stdout)["replay"]
    assert replay["lines"] == 7 and replay["changed_lines"] == 1
    assert {"action": "accept_request", "direction": LESS, "count": 1, "first_lines": [6]} in replay["changes"]
    # line 4 of the example is a deliberately incomplete request: skipped with a warning, not counted
    assert [(e["code"], e["severity"]) for e in replay["errors"]] == [("PD402", "warning")]
    text = diff(BASELINE_PATH, shorter_quality, "--facts", BATCH).stdout
    assert "replay of " in text and "7 line(s), 1 decided differently, 1 skipped" in text
    assert "  accept_request less favourable: 1 (line 6)" in text


def test_replay_agrees_with_eval_line_by_line(shorter_quality: Path):
    lines = [json.loads(line) for line in BATCH.read_text(encoding="utf-8").splitlines()]
    old, new = policydsl.load(BASELINE_PATH), policydsl.load(shorter_quality)
    changed = []
    for number, facts in enumerate(lines, start=1):
        try:
            a, b = old.decide(facts).to_dict()["actions"], new.decide(facts).to_dict()["actions"]
        except policydsl.FactsInputError:
            continue
        if {x["action"]: x["modality"] for x in a} != {x["action"]: x["modality"] for x in b}:
            changed.append(number)
    assert changed == [6]


def test_identical_files_exit_0(tmp_path: Path):
    copy = write(tmp_path, "copy.policy", BASELINE_TEXT)
    result = diff(BASELINE_PATH, copy)
    assert result.exit_code == 0, result.output
    assert "decide every request alike" in result.stdout
    report = json.loads(diff(BASELINE_PATH, copy, "--format", "json", "--facts", BATCH).stdout)
    assert report["status"] == "same" and report["differences"] == [] and report["replay"]["changed_lines"] == 0


@pytest.fixture
def merchants(tmp_path: Path) -> Path:
    """Two shipped merchant examples and one rejected one."""
    directory = tmp_path / "merchants"
    directory.mkdir()
    for name in ("electronics_sanbao.policy", "fruit_shop.policy", "rejected/lowered_quality_period.policy"):
        (directory / Path(name).name).write_text((MERCHANTS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return directory


def test_merchants_lists_a_merchant_the_new_baseline_invalidates(tmp_path: Path, merchants: Path):
    longer = write(tmp_path, "after_sales.policy", edit_baseline(QUALITY, QUALITY.replace("15", "40")))
    result = diff(BASELINE_PATH, longer, "--merchants", merchants, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(Path(m["file"]).name, m["valid_before"], m["valid_after"], m["becomes_invalid"])
            for m in report["merchants"]] == [("electronics_sanbao.policy", True, False, True),
                                              ("fruit_shop.policy", True, True, False),
                                              ("lowered_quality_period.policy", False, False, False)]
    text = report_text(report)
    assert "PD302" in text and "`quality_days` = 30 days lowers a parameter" in text


def report_text(report: dict) -> str:
    return json.dumps(report["merchants"], ensure_ascii=False)


def test_merchants_text_form(tmp_path: Path, merchants: Path):
    longer = write(tmp_path, "after_sales.policy", edit_baseline(QUALITY, QUALITY.replace("15", "40")))
    result = diff(BASELINE_PATH, longer, "--merchants", merchants)
    assert result.exit_code == 1
    assert "become invalid: 1 (invalid already: 1)" in result.stdout
    assert "electronics_sanbao.policy: was valid, invalid against" in result.stdout
    assert "error[PD302]: `quality_days` = 30 days lowers a parameter" in result.stdout


def test_merchants_with_a_baseline_that_invalidates_none(shorter_quality: Path, merchants: Path):
    result = diff(BASELINE_PATH, shorter_quality, "--merchants", merchants, "--format", "json")
    assert result.exit_code == 1  # the two baselines differ; no merchant becomes invalid
    assert not any(m["becomes_invalid"] for m in json.loads(result.stdout)["merchants"])


# ---- merchant sets: G3 on both sides -------------------------------------------------------------------

def test_merchant_versions_diff_after_g3(tmp_path: Path):
    """A merchant's `must` weakened to `should` is less favourable, except where the baseline's own
    `should` is what G3 restores anyway; the merchant's `must` where the baseline says nothing
    shows up as absent -> must."""
    shop = (MERCHANTS / "fruit_shop.policy").read_text(encoding="utf-8")
    weaker = write(tmp_path, "fruit_shop.policy", shop.replace("  then must negotiate_other_remedy",
                                                               "  then should negotiate_other_remedy"))
    old = MERCHANTS / "fruit_shop.policy"
    result = semantic_diff(ir_of(old), ir_of(weaker))
    assert result.status == "differ"
    assert {(d.action, d.direction, d.old, d.new) for d in result.differences} == \
        {("negotiate_other_remedy", LESS, "must", "should")}
    assert_replays(old, weaker, [attrs_dict(d) for d in result.differences])


def test_a_merchant_set_against_its_own_baseline_shows_only_favour(tmp_path: Path):
    """Diff of the baseline alone against a valid merchant set: every difference is more favourable."""
    shop = MERCHANTS / "fruit_shop.policy"
    result = semantic_diff(ir_of(BASELINE_PATH), ir_of(shop))
    assert result.status == "differ" and {d.direction for d in result.differences} == {MORE}
    assert_replays(BASELINE_PATH, shop, [attrs_dict(d) for d in result.differences])


def attrs_dict(d) -> dict:
    return {"action": d.action, "direction": d.direction, "old": d.old, "new": d.new,
            "counterexample": d.counterexample}


def test_every_counterexample_of_baseline_mutants_replays(tmp_path: Path):
    """Every difference the diff finds between the baseline and one of its mutants (every 17th)
    replays through both engines on both sides."""
    ps = ir_of(BASELINE_PATH)
    checked = 0
    for i, m in enumerate(mutants(ps, ir.PLATFORM)):
        if i % 17:
            continue
        result = semantic_diff(ps, m.ps)
        for d in result.differences:
            for engine in ENGINES:
                before = policydsl.api.PolicySet(ps, engine=engine)
                after = policydsl.api.PolicySet(m.ps, engine=engine)
                assert before.decide(d.counterexample).modality(d.action) == d.old, m.description
                assert after.decide(d.counterexample).modality(d.action) == d.new, m.description
            checked += 1
    assert checked > 10


# ---- errors ------------------------------------------------------------------------------------------------

def test_sets_reading_different_facts_cannot_be_compared(tmp_path: Path):
    """A fact both declare, with different types: no facts object is read alike by both."""
    as_bool, as_count = (write(tmp_path, f"{kind}/after_sales.policy", edit_baseline(
        "fact negotiation.stage: negotiation_stage",
        f"fact negotiation.stage: negotiation_stage\nfact order.gift: {kind}? may be omitted"))
        for kind in ("bool", "count"))
    result = diff(as_bool, as_count)
    assert result.exit_code == 2 and "error[PD502]" in result.output and "`order.gift`" in result.output
    assert "may be omitted" in result.output


GIFT_FACT = "fact negotiation.stage: negotiation_stage\nfact order.gift: bool? may be omitted"
GIFT_RULE = """rule gift_compensation cites S2
  when scenario S2 and order.gift
  then must offer_small_compensation
"""


@pytest.mark.parametrize("added", [True, False])
def test_an_optional_fact_one_version_alone_declares_is_compared(tmp_path: Path, added: bool):
    """A version that adds (or drops) an optional fact: the other side never reads it and decides
    without it. The diff names the fact, finds exactly the difference it makes, and its
    counterexample carries the fact and replays on both sides (the side without the fact given the
    facts without it)."""
    gift = write(tmp_path, "after_sales.policy",
                 edit_baseline("fact negotiation.stage: negotiation_stage", GIFT_FACT) + "\n" + GIFT_RULE)
    old, new = (BASELINE_PATH, gift) if added else (gift, BASELINE_PATH)
    result = diff(old, new, "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["only_one_side"] == ["order.gift"]
    (difference,) = report["differences"]
    assert (difference["action"], difference["old"], difference["new"]) == (
        ("offer_small_compensation", "should", "must") if added else ("offer_small_compensation", "must", "should"))
    assert difference["direction"] == (MORE if added else LESS)
    assert difference["counterexample"]["order"]["gift"] is True
    for engine in ENGINES:
        with_gift = policydsl.load(gift, engine=engine)
        without = policydsl.load(BASELINE_PATH, engine=engine)
        facts = difference["counterexample"]
        plain = {g: {k: v for k, v in values.items() if k != "gift"} for g, values in facts.items()}
        assert with_gift.decide(facts).modality("offer_small_compensation") == "must"
        assert without.decide(plain).modality("offer_small_compensation") == "should"
    text = diff(old, new).output
    assert "note: `order.gift` is an optional fact only one of the two declares" in text


def test_a_history_is_replayed_across_an_added_optional_fact(tmp_path: Path):
    """`--facts`: lines that give the new optional fact are decided by the old version without it,
    not skipped as invalid facts."""
    gift = write(tmp_path, "after_sales.policy",
                 edit_baseline("fact negotiation.stage: negotiation_stage", GIFT_FACT) + "\n" + GIFT_RULE)
    report = json.loads(diff(BASELINE_PATH, gift, "--format", "json").output)
    facts = report["differences"][0]["counterexample"]
    plain = {g: {k: v for k, v in values.items() if k != "gift"} for g, values in facts.items()}
    history = tmp_path / "history.jsonl"
    history.write_text("\n".join(json.dumps(f) for f in (facts, plain, facts)) + "\n", encoding="utf-8")
    replay = json.loads(diff(BASELINE_PATH, gift, "--facts", history, "--format", "json").output)["replay"]
    assert (replay["lines"], replay["changed_lines"], replay["errors"]) == (3, 2, [])
    assert replay["changes"] == [{"action": "offer_small_compensation", "direction": MORE, "count": 2,
                                  "first_lines": [1, 3]}]


def test_merchants_needs_a_platform_policy_as_new(tmp_path: Path):
    result = diff(BASELINE_PATH, MERCHANTS / "fruit_shop.policy", "--merchants", MERCHANTS)
    assert result.exit_code == 2 and "error[PD504]" in result.output


def test_a_set_outside_the_decidable_fragment_is_reported(tmp_path: Path):
    text = (f'merchant policy "quick" version "1" extends "{BASELINE_NAME}"\nclause M1 "quick"\n'
            "period quick cites M1 = order.failed_repairs hours after order.signed_at\n"
            "rule quick_reopen cites M1\n  when within quick\n  then must reopen_after_sales\n")
    path = write(tmp_path, "quick.policy", text)
    result = diff(path, path)
    assert result.exit_code == 2 and "error[PD503]" in result.output


def test_a_file_that_does_not_load_exits_2(tmp_path: Path):
    broken = write(tmp_path, "broken.policy", "platform policy")
    result = diff(BASELINE_PATH, broken)
    assert result.exit_code == 2 and "error[PD1" in result.output


def test_one_merchant_file_across_a_baseline_change(tmp_path: Path):
    """The same merchant file, loaded once with the old baseline and once with a new one: only what
    the new baseline changes (through G3 and the platform's rules) shows up."""
    longer = write(tmp_path, "after_sales.policy", edit_baseline(QUALITY, QUALITY.replace("15", "40")))
    shop = MERCHANTS / "fruit_shop.policy"
    result = diff(shop, shop, "--new-baseline", longer, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert any(d["action"] == "accept_request" and d["direction"] == MORE for d in report["differences"])
    for d in report["differences"]:
        assert policydsl.load(shop).decide(d["counterexample"]).modality(d["action"]) == d["old"]
        assert policydsl.load(shop, baseline=longer).decide(d["counterexample"]).modality(d["action"]) == d["new"]


def test_a_mistyped_facts_or_merchants_path_stops_before_the_diff(tmp_path: Path):
    """`--facts` that names no file, or `--merchants` that names a file or nothing: PD001 saying which,
    status `error`, exit 2, and no diff computed (none is printed)."""
    base = str(BASELINE_PATH)
    shop = str(ROOT / "policies" / "merchants" / "fruit_shop.policy")
    cases = [(["--facts", str(tmp_path / "nope.jsonl")], "no such file", "--facts takes a JSON Lines"),
             (["--merchants", shop], "cannot read `" + shop + "`: a file, not a directory", "--merchants takes a directory"),
             (["--merchants", str(tmp_path / "gone")], "no such directory", "--merchants takes a directory")]
    for extra, said, hint in cases:
        result = run_cli("diff", base, base, *extra, "--format", "json")
        assert_no_traceback(result)
        doc = json.loads(result.stdout)
        assert result.exit_code == 2 and doc["status"] == "error" and doc["differences"] == []
        (d,) = doc["diagnostics"]
        assert d["code"] == "PD001" and said in d["message"] and hint in d["hint"], d


@pytest.mark.parametrize("engine", ENGINES)
def test_policyset_diff_in_the_library(tmp_path: Path, engine: str):
    """`PolicySet.diff`: the same differences as `policydsl diff`, each counterexample deciding as
    it says in both sets; identical sets never differ."""
    shorter = tmp_path / "after_sales.policy"
    shorter.write_text(BASELINE_TEXT.replace("param quality_days = 15 days", "param quality_days = 10 days"),
                       encoding="utf-8")
    old, new = policydsl.load(BASELINE_PATH, engine=engine), policydsl.load(shorter, engine=engine)
    assert old.diff(old).status == "same"
    result = old.diff(new)
    assert result.status == "differ" and result.differences
    for d in result.differences:
        assert old.decide(d.counterexample).modality(d.action) == d.old
        assert new.decide(d.counterexample).modality(d.action) == d.new
    assert {d.direction for d in result.differences if d.action == "accept_request"} == {LESS}
