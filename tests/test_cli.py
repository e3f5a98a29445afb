"""The `policydsl` command line: check, test, eval usage errors, explain; the error-code documentation."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_helpers import (BASELINE_NAME, BASELINE_PATH, BASELINE_TEXT, MERCHANT_HEADER, ROOT, assert_no_traceback,
                          edit_baseline, position_of, run_cli)
from facts_strategies import base_facts
from policydsl import __version__
from policydsl.codes import CODES, ERROR_CODES

DOCS = ROOT / "docs" / "error-codes.md"
CORE_CODES = [c for c in ERROR_CODES if not c.startswith("PD3")]

#: The in-file tests of the shipped baseline.
N_TESTS = BASELINE_PATH.read_text(encoding="utf-8").count('\ntest "')


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def check(*args: str):
    result = run_cli("check", *args)
    assert_no_traceback(result)
    return result


# ---- check -----------------------------------------------------------------------------------

def test_check_the_shipped_baseline():
    result = check(str(BASELINE_PATH))
    assert result.exit_code == 0
    assert result.stdout == "checked 1 file(s): ok, 0 error(s), 0 warning(s)\n"


def test_check_misspelled_action_exits_2_with_a_did_you_mean(tmp_path):
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n")
    path = write(tmp_path, "shop.policy", text)
    line, column = position_of(text, "reopen_after_sale\n")
    result = check(str(path))
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}:{line}:{column}: error[PD202]: unknown action `reopen_after_sale`"
    gutter = str(line)
    assert lines[1] == " " * len(gutter) + " |"
    assert lines[2] == f"{gutter} |   then must reopen_after_sale"
    caret = lines[3].split(" | ", 1)[1]
    assert caret == " " * (column - 1) + "^" * len("reopen_after_sale")
    # the caret sits under the misspelled action
    assert lines[2].split(" | ", 1)[1][caret.index("^"):caret.rindex("^") + 1] == "reopen_after_sale"
    assert lines[4] == "  = hint: did you mean `reopen_after_sales`?"
    assert lines[-1] == "checked 1 file(s): failed, 1 error(s), 0 warning(s)"


def test_check_json_format(tmp_path):
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n")
    path = write(tmp_path, "shop.policy", text)
    result = check(str(path), "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["valid"] is False and doc["files"] == [str(path)] and doc["violations"] == []
    d, = doc["diagnostics"]
    line, column = position_of(text, "reopen_after_sale\n")
    assert (d["code"], d["file"], d["line"], d["column"], d["end_column"]) == (
        "PD202", str(path), line, column, column + len("reopen_after_sale"))
    assert d["hint"] == "did you mean `reopen_after_sales`?"


def test_check_github_and_sarif_formats(tmp_path):
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n")
    path = write(tmp_path, "shop.policy", text)
    line, column = position_of(text, "reopen_after_sale\n")
    github = check(str(path), "--format", "github")
    assert github.exit_code == 2
    assert github.stdout.startswith(f"::error file={path},line={line},col={column},endLine={line},"
                                    f"endColumn={column + len('reopen_after_sale')},title=PD202::"
                                    "unknown action `reopen_after_sale`%0Ahint: did you mean `reopen_after_sales`?")
    sarif = json.loads(check(str(path), "--format", "sarif").stdout)
    result, = sarif["runs"][0]["results"]
    assert result["ruleId"] == "PD202"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line


def test_check_reports_every_error_sorted_by_position(tmp_path):
    text = BASELINE_TEXT
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n", text)
    text = edit_baseline("request.product_used and request.damage_cause == not_man_made",
                         "request.product_used and request.damage_cause == not_manmade", text)
    text = edit_baseline("rule s2_2_resale_affected cites S2.2, N1", "rule s2_2_resale_affected cites S2.2, N11", text)
    path = write(tmp_path, "three.policy", text)
    result = check(str(path))
    assert result.exit_code == 2
    heads = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert [h.split("error[")[1][:5] for h in heads] == ["PD203", "PD202", "PD206"]
    numbers = [int(h.split(":")[1]) for h in heads]
    assert numbers == sorted(numbers)
    assert numbers == [position_of(text, "N11")[0], position_of(text, "reopen_after_sale\n")[0],
                       position_of(text, "not_manmade")[0]]
    assert result.stdout.splitlines()[-1] == "checked 1 file(s): failed, 3 error(s), 0 warning(s)"


def test_check_syntax_error_exits_2(tmp_path):
    path = write(tmp_path, "broken.policy", 'platform policy "p" version "1"\nrule r when a = b then must x\n')
    result = check(str(path))
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{path}:2:13: error[PD104]: ")


def test_check_a_directory_finds_policy_files(tmp_path):
    write(tmp_path, "a.policy", BASELINE_TEXT)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.policy", edit_baseline("then must reopen_after_sales\n", "then must reopen\n"))
    write(tmp_path, "notes.txt", "not a policy")
    result = check(str(tmp_path))
    assert result.exit_code == 2
    assert "checked 2 file(s): failed, 1 error(s)" in result.stdout
    assert f"{tmp_path / 'sub' / 'b.policy'}:" in result.stdout


@pytest.mark.parametrize("command", ["check", "test", "fmt"])
def test_a_directory_without_policy_files_is_a_usage_error(tmp_path, command):
    empty = tmp_path / "emptydir"
    empty.mkdir()
    write(empty, "notes.txt", "not a policy")
    result = run_cli(command, str(empty))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"error[PD001]: no .policy files in `{empty}`" in result.output
    assert "0/0 tests passed" not in result.output and ": ok" not in result.output


@pytest.mark.parametrize("command", ["check", "test", "fmt"])
def test_an_empty_directory_next_to_good_files_still_fails(tmp_path, command):
    empty = tmp_path / "emptydir"
    empty.mkdir()
    result = run_cli(command, str(BASELINE_PATH), str(empty))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"error[PD001]: no .policy files in `{empty}`" in result.output


def test_check_json_reports_a_directory_without_policy_files(tmp_path):
    result = check(str(tmp_path), "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["valid"] is False and doc["files"] == []
    assert [(d["code"], d["message"]) for d in doc["diagnostics"]] == [("PD001", f"no .policy files in `{tmp_path}`")]


def test_a_pattern_the_shell_did_not_expand(tmp_path):
    write(tmp_path, "a.policy", BASELINE_TEXT)
    result = check(str(tmp_path / "*.policy"))
    assert result.exit_code == 0 and result.stdout == "checked 1 file(s): ok, 0 error(s), 0 warning(s)\n"
    result = check(str(tmp_path / "*.polcy"))
    assert result.exit_code == 2
    assert f"error[PD001]: no .policy files match `{tmp_path / '*.polcy'}`" in result.stdout


def test_eval_and_compile_on_a_directory_without_policy_files(tmp_path):
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    for args in (["eval", str(tmp_path), "--facts", str(facts)], ["compile", str(tmp_path)]):
        result = run_cli(*args)
        assert_no_traceback(result)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error[PD001]: no .policy files in `{tmp_path}`"), result.stderr


def test_pd001_missing_file(tmp_path):
    result = check(str(tmp_path / "missing.policy"))
    assert result.exit_code == 2
    assert f"error[PD001]: cannot read `{tmp_path / 'missing.policy'}`" in result.stdout


def test_pd105_non_utf8_policy(tmp_path):
    path = tmp_path / "gbk.policy"
    path.write_bytes(b'platform policy "p" version "1"\nclause G1 "' + "三包".encode("gbk") + b'"\n')
    result = check(str(path))
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{path}:2:12: error[PD105]: the file is not UTF-8 text")
    assert "= hint: save the file as UTF-8" in result.stdout


def test_pd002_two_platform_policies(tmp_path):
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    result = run_cli("eval", str(BASELINE_PATH), str(BASELINE_PATH), "--facts", str(facts))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert f"error[PD002]: a policy set holds one platform policy; given: `{BASELINE_PATH}`, `{BASELINE_PATH}`" \
        in result.stderr


def test_pd002_a_baseline_for_a_platform_policy(tmp_path):
    """`--baseline` names the platform policy a merchant file is checked against: given with a
    platform file, it is one PD002 at the file's header saying so (once, for `diff` too)."""
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    result = run_cli("eval", str(BASELINE_PATH), "--baseline", str(BASELINE_PATH), "--facts", str(facts))
    assert result.exit_code == 2
    assert f"{BASELINE_PATH}:6:1: error[PD002]: a baseline was given for `{BASELINE_PATH}`, a platform policy" \
        in result.stderr
    twice = run_cli("diff", str(BASELINE_PATH), str(BASELINE_PATH), "--baseline", str(BASELINE_PATH))
    assert twice.exit_code == 2 and twice.output.count("error[PD002]") == 1


def test_pd002_two_merchant_policies(tmp_path):
    a = write(tmp_path, "a.policy", MERCHANT_HEADER)
    b = write(tmp_path, "b.policy", MERCHANT_HEADER.replace("fruit-shop", "other-shop"))
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    result = run_cli("eval", str(a), str(b), "--facts", str(facts))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{b}:1:1: error[PD002]: a policy set holds one merchant policy")


def test_pd002_two_merchant_policies_is_worded_for_the_command(tmp_path):
    a = write(tmp_path, "a.policy", MERCHANT_HEADER)
    b = write(tmp_path, "b.policy", MERCHANT_HEADER.replace("fruit-shop", "other-shop"))
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    for command, args in (("eval", ["--facts", str(facts)]), ("compile", [])):
        result = run_cli(command, str(a), str(b), *args)
        assert_no_traceback(result)
        assert result.exit_code == 2
        assert result.stderr.splitlines()[0] == (f"{b}:1:1: error[PD002]: a policy set holds one merchant policy, "
                                                 f"and `{a}` is one already")
        assert f"= hint: run `policydsl {command}` once per merchant file" in result.stderr
        assert "check merchant files" not in result.stderr


def test_pd002_two_merchant_policies_through_the_library(tmp_path):
    from policydsl import PolicyDslError, load

    a = write(tmp_path, "a.policy", MERCHANT_HEADER)
    b = write(tmp_path, "b.policy", MERCHANT_HEADER.replace("fruit-shop", "other-shop"))
    with pytest.raises(PolicyDslError) as info:
        load(a, b)
    d, = info.value.diagnostics
    assert d.code == "PD002" and "policydsl.load()" in d.hint and "check" not in d.message


def test_pd212_merchant_extends_a_baseline_that_is_not_installed(tmp_path):
    path = write(tmp_path, "shop.policy", 'merchant policy "shop" version "1" extends "nowhere"\n')
    result = check(str(path))
    assert result.exit_code == 2
    assert result.stdout.startswith(f"{path}:1:1: error[PD212]: no baseline named `nowhere` is installed")
    assert f"installed baselines: `{BASELINE_NAME}`" in result.stdout


def test_eval_merchant_policy_finds_its_baseline_by_name(tmp_path):
    path = write(tmp_path, "shop.policy", MERCHANT_HEADER + "set no_reason_days = 30 days\n")
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    result = run_cli("eval", str(path), "--facts", str(facts))
    assert_no_traceback(result)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # revision 2, point 13: the in-period no-reason rule cites S2 (the 7-day period S2 presupposes)
    assert doc["scenario"] == [] and {"action": "accept_request", "modality": "must", "cites": ["S2"],
                                      "source": "platform"} in doc["actions"]
    assert doc["escalation"] is None and doc["conflicts"] == []


def test_eval_with_an_invalid_policy_exits_2(tmp_path):
    path = write(tmp_path, "bad.policy", edit_baseline("then must reopen_after_sales\n", "then must reopen\n"))
    facts = write(tmp_path, "f.json", json.dumps(base_facts()))
    result = run_cli("eval", str(path), "--facts", str(facts))
    assert_no_traceback(result)
    assert result.exit_code == 2 and result.stdout == ""
    assert "error[PD202]: unknown action `reopen`" in result.stderr


# ---- test ------------------------------------------------------------------------------------

def test_test_command_runs_the_baseline_tests():
    result = run_cli("test", str(BASELINE_PATH))
    assert_no_traceback(result)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"{BASELINE_PATH}: {N_TESTS}/{N_TESTS} tests passed"
    assert lines[1] == "  clauses with a test (20): G1 G2a G2b G2c G3 G4a G4b G4c N1 N2 N3 S1 S1.1 S1.2 S2 S2.1 S2.2 " \
                       "S3 S3.1 S3.2"
    assert lines[2] == "  clauses without a test (0): -"
    assert lines[-1] == f"{N_TESTS}/{N_TESTS} tests passed"


def test_test_command_verbose_lists_every_test():
    result = run_cli("test", "-v", str(BASELINE_PATH))
    assert result.exit_code == 0
    assert "  ok   P3 S3.1 case 2: verified defect reported late must reopen" in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.startswith("  ok   ")]) == N_TESTS


def test_failing_policy_test_exits_1(tmp_path):
    text = edit_baseline('  expect scenario S3.1, must reopen_after_sales, must_not refuse_outright',
                         '  expect scenario S3.1, should reopen_after_sales, must_not refuse_outright')
    path = write(tmp_path, "p.policy", text)
    result = run_cli("test", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 1
    line, _ = position_of(text, 'test "P3 S3.1 case 2: verified defect reported late must reopen"')
    assert f"  FAIL {path}:{line}:1: P3 S3.1 case 2: verified defect reported late must reopen" in result.stdout
    assert "       expected should reopen_after_sales, got must reopen_after_sales" in result.stdout
    assert result.stdout.splitlines()[-1] == f"{N_TESTS - 1}/{N_TESTS} tests passed"


def test_test_command_on_a_broken_policy_exits_2(tmp_path):
    path = write(tmp_path, "p.policy", edit_baseline("given base { order.extensions_used: 1 }",
                                                     "given bsae { order.extensions_used: 1 }"))
    result = run_cli("test", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "error[PD215]: unknown facts block `bsae`" in result.stderr


@pytest.mark.parametrize("text", ["", "# only a comment\n", 'platform policy "p" version "1"\nrule r when\n'])
def test_test_command_on_a_file_that_does_not_load_claims_no_tests(tmp_path, text):
    path = write(tmp_path, "p.policy", text)
    result = run_cli("test", str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "error[PD10" in result.stderr
    assert "tests passed" not in result.stdout
    assert result.stdout.splitlines() == [f"{path}: not tested, the file failed to load",
                                          "not tested: 1 file(s) failed to load"]


def test_test_command_with_a_good_and_a_broken_file(tmp_path):
    path = write(tmp_path, "p.policy", "")
    result = run_cli("test", str(BASELINE_PATH), str(path))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert result.stdout.splitlines()[-1] == f"{N_TESTS}/{N_TESTS} tests passed; not tested: 1 file(s) failed to load"


# ---- explain and the error-code documentation ---------------------------------------------------------

# ---- diff and test --mutate (tests/test_diff.py and tests/test_mutate.py hold the rest) -------------

QUALITY_PARAM = "param quality_days = 15 days may only increase"


def test_diff_exit_codes_and_errors(tmp_path):
    same = write(tmp_path, "same.policy", BASELINE_TEXT)
    assert run_cli("diff", str(BASELINE_PATH), str(same)).exit_code == 0
    shorter = write(tmp_path, "shorter.policy", edit_baseline(QUALITY_PARAM, QUALITY_PARAM.replace("15", "10")))
    assert run_cli("diff", str(BASELINE_PATH), str(shorter)).exit_code == 1
    other_facts = write(tmp_path, "facts.policy", edit_baseline(
        "fact negotiation.stage: negotiation_stage",
        "fact negotiation.stage: negotiation_stage\nfact order.gift: bool? may be omitted"))
    counted = write(tmp_path, "counted.policy", edit_baseline(
        "fact negotiation.stage: negotiation_stage",
        "fact negotiation.stage: negotiation_stage\nfact order.gift: count? may be omitted"))
    result = run_cli("diff", str(counted), str(other_facts))
    assert result.exit_code == 2 and "error[PD502]" in result.output
    merchant = write(tmp_path, "m.policy", MERCHANT_HEADER)
    result = run_cli("diff", str(BASELINE_PATH), str(merchant), "--merchants", str(tmp_path))
    assert result.exit_code == 2 and "error[PD504]" in result.output
    quick = write(tmp_path, "quick.policy", MERCHANT_HEADER + 'clause M1 "quick"\n'
                  "period quick cites M1 = order.failed_repairs hours after order.signed_at\n"
                  "rule quick_reopen cites M1\n  when within quick\n  then must reopen_after_sales\n")
    result = run_cli("diff", str(quick), str(quick))
    assert result.exit_code == 2 and "error[PD503]" in result.output


def test_mutation_testing_codes(tmp_path):
    shop = MERCHANT_HEADER + (
        'clause M1 "late apparel defects are reopened for 60 days"\n'
        "period late_defects cites M1 = 60 days from the day after order.signed_at\n"
        "rule late_defect cites M1\n  when order.category == apparel and within late_defects\n"
        "  then must reopen_after_sales\n"
        'test "reopened"\n  given base { order.category: apparel }\n  expect {expect} reopen_after_sales\n')
    result = run_cli("test", "--mutate", str(write(tmp_path, "weak.policy", shop.replace("{expect}", "must"))))
    assert result.exit_code == 1 and "warning[PD501]" in result.output and "error[PD505]" in result.output
    result = run_cli("test", "--mutate", str(write(tmp_path, "failing.policy", shop.replace("{expect}", "no"))))
    assert result.exit_code == 2 and "error[PD506]" in result.output


def test_explain_pd201():
    result = run_cli("explain", "PD201")
    assert result.exit_code == 0
    assert result.stdout.startswith("PD201: unknown fact or name\n\n  example: `when request.typ == refund_only`")
    assert "\n  fix:     Use a declared fact path or `let` name" in result.stdout


def test_explain_is_case_insensitive():
    assert run_cli("explain", "pd408").stdout == run_cli("explain", "PD408").stdout
    assert run_cli("explain", "pd408").stdout.startswith(f"PD408: {ERROR_CODES['PD408']}\n")


def test_explain_unknown_code_exits_2():
    result = run_cli("explain", "PD999")
    assert result.exit_code == 2
    assert "unknown code `PD999`" in result.stderr


def test_version():
    result = run_cli("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def docs_table() -> dict[str, list[str]]:
    """code → the cells of its row in the one table of docs/error-codes.md."""
    rows: dict[str, list[str]] = {}
    tables = 0
    in_table = False
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            if not in_table:
                tables += 1
                in_table = True
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if re.fullmatch(r"PD\d{3}", cells[0]):
                assert cells[0] not in rows, f"{cells[0]} has two rows"
                rows[cells[0]] = cells
        else:
            in_table = False
    assert tables == 1, "docs/error-codes.md holds exactly one table"
    return rows


def test_every_error_code_is_documented():
    rows = docs_table()
    assert sorted(rows) == sorted(ERROR_CODES), "the table lists exactly the codes of policydsl/codes.py"
    for code, cells in rows.items():
        assert len(cells) == 4, f"{code}: code, meaning, example, fix"
        assert all(cells), f"{code} has an empty cell"
        assert cells[1].rstrip(".").lower() == ERROR_CODES[code].rstrip(".").lower(), code
        assert (cells[2], cells[3]) == (CODES[code].example, CODES[code].fix), code


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_code_can_be_explained(code):
    result = run_cli("explain", code)
    doc = CODES[code]
    assert result.exit_code == 0
    assert result.stdout == f"{code}: {doc.meaning}\n\n  example: {doc.example}\n  fix:     {doc.fix}\n"


def test_every_core_code_has_a_test():
    """Every PD0xx/PD1xx/PD2xx/PD4xx code is asserted by some test of the core suite."""
    here = Path(__file__).parent
    sources = "".join((here / f).read_text(encoding="utf-8") for f in
                      ("test_syntax.py", "test_semantics.py", "test_facts.py", "test_cli.py", "test_evaluator.py"))
    missing = [c for c in CORE_CODES if f'"{c}"' not in sources and f"[{c}]" not in sources]
    assert missing == []


# ---- robustness: `policydsl check` never shows a traceback -----------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.policy"
        path.write_bytes(data)
        result = check(str(path))
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 2:
            assert re.search(r"error\[PD[012]\d\d\]", result.stdout)


@FUZZ
@given(st.binary(max_size=400))
def test_check_random_bytes(data):
    check_text(data)


@FUZZ
@given(st.text(max_size=400))
def test_check_random_text(text):
    check_text(text.encode("utf-8"))


@st.composite
def mutations(draw) -> str:
    text = BASELINE_TEXT
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text) - 2))
        how = draw(st.sampled_from(["delete", "duplicate", "swap"]))
        if how == "delete":
            text = text[:i] + text[i + 1:]
        elif how == "duplicate":
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


@FUZZ
@given(mutations())
def test_check_mutated_baseline(text):
    check_text(text.encode("utf-8"))


def test_the_installed_command_turns_an_internal_error_into_one_line(monkeypatch, capsys):
    """`policydsl` (cli.run) never shows a traceback, even for a bug; POLICYDSL_DEBUG re-raises."""
    from policydsl.cli import app as cli

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "main", broken)
    monkeypatch.delenv("POLICYDSL_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: boom)" in err and "Traceback" not in err
    monkeypatch.setenv("POLICYDSL_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.run()


def test_an_unexpanded_pattern_takes_only_policy_files(tmp_path):
    (tmp_path / "notes.txt").write_text("not a policy\n", encoding="utf-8")
    (tmp_path / "ok.policy").write_text(BASELINE_TEXT, encoding="utf-8")
    result = run_cli("check", str(tmp_path / "*"))
    assert result.exit_code == 0, result.output
    assert "notes.txt" not in result.output and "checked 1 file(s)" in result.output


# ---- partial decisions and `why` (PD520–PD523; tests/test_partial.py and tests/test_why.py hold the rest) ----

def _late_quality_without(*paths: str) -> str:
    facts = json.loads((ROOT / "examples" / "facts" / "late-quality-claim.json").read_text(encoding="utf-8"))
    for path in paths:
        group, key = path.split(".")
        del facts[group][key]
    return json.dumps(facts)


def test_pd520_partial_with_an_unknown_year_window_anchor():
    result = run_cli("eval", str(BASELINE_PATH), "--facts", "-", "--partial", "--explain",
                     input=_late_quality_without("order.paid_at", "request.at"))
    assert result.exit_code == 0 and "warning[PD520]" in result.stdout


def test_pd521_why_search_cut_short(monkeypatch):
    from policydsl.check import whatif

    monkeypatch.setattr(whatif, "MAX_SUBSETS", 0)
    result = run_cli("why", str(BASELINE_PATH), "--facts", "-", "--action", "negotiate_other_remedy", "--modality",
                     "must", input=_late_quality_without())
    assert result.exit_code == 1 and "warning[PD521]" in result.stdout


def test_pd522_why_unknown_action():
    result = run_cli("why", str(BASELINE_PATH), "--facts", "-", "--action", "reopen", "--modality", "must",
                     input=_late_quality_without())
    assert result.exit_code == 2 and "error[PD522]" in result.output


def test_pd523_partial_outside_the_decidable_fragment(tmp_path):
    merchant = write(tmp_path, "express.policy", MERCHANT_HEADER + '''clause M1 "Express repairs"
period express cites M1 = order.failed_repairs hours after order.signed_at
rule express_repair cites M1 when within express then must offer_repair
''')
    result = run_cli("eval", str(merchant), "--facts", "-", "--partial", input=_late_quality_without("request.evidence"))
    assert result.exit_code == 2 and "error[PD523]" in result.output
    why = run_cli("why", str(merchant), "--facts", "-", "--action", "offer_repair", "--modality", "must",
                  input=_late_quality_without())
    assert why.exit_code == 2 and "error[PD523]" in why.output
