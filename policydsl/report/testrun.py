"""The results of `policydsl test` for tools: JSON, JUnit XML (a testsuite per file, a testcase per
test) and GitHub annotations at each failing test."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from collections.abc import Sequence

from policydsl.diagnostics import Diagnostic, render_text, sorted_diagnostics, to_json_dict
from policydsl.report.github import command, render_github
from policydsl.tools.testing import FileTests, TestResult, TestRun


def _result_dict(r: TestResult) -> dict[str, object]:
    return {"title": r.title, "passed": r.passed, "file": r.span.file, "line": r.span.line,
            "column": r.span.column, "end_line": r.span.end_line, "end_column": r.span.end_column,
            "failures": list(r.failures)}


def _file_dict(f: FileTests) -> dict[str, object]:
    cov = f.coverage
    return {
        "file": str(f.path),
        "loaded": f.loaded,
        "diagnostics": [to_json_dict(d) for d in sorted_diagnostics(f.diagnostics)],
        "tests": [_result_dict(r) for r in f.results],
        "passed": len(f.results) - f.failed,
        "failed": f.failed,
        "clauses_tested": list(cov.clauses_tested) if f.platform and cov is not None else None,
        "clauses_untested": list(cov.clauses_untested) if f.platform and cov is not None else None,
        "rules_never_fired": list(f.never_fired) if f.loaded else None,
    }


def render_test_json(run: TestRun, problems: Sequence[Diagnostic] = ()) -> str:
    """README ("CI"): totals, the exit code, usage problems (PD001: a directory without .policy files),
    and each file's tests."""
    doc = {"total": run.total, "passed": run.total - run.failed, "failed": run.failed,
           "not_loaded": run.not_loaded, "exit_code": 2 if problems else run.exit_code,
           "diagnostics": [to_json_dict(d) for d in problems],
           "files": [_file_dict(f) for f in run.files]}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def render_test_junit(run: TestRun, problems: Sequence[Diagnostic] = ()) -> str:
    """JUnit XML as CI systems read it: `<testsuites>`, a `<testsuite>` per file, a `<testcase>` per
    test with a `<failure>` for each failed one; a file that does not load is one `<testcase>` with an
    `<error>` holding its diagnostics. Usage problems are a testsuite `policydsl` with one erroring case."""
    errors = run.not_loaded + bool(problems)
    suites = ET.Element("testsuites", name="policydsl", tests=str(run.total + errors),
                        failures=str(run.failed), errors=str(errors))
    if problems:
        suite = ET.SubElement(suites, "testsuite", name="policydsl", tests="1", failures="0", errors="1",
                              skipped="0")
        case = ET.SubElement(suite, "testcase", name="files", classname="policydsl")
        error = ET.SubElement(case, "error", message=problems[0].message, type=problems[0].code)
        error.text = render_text(problems)
    for f in run.files:
        name = str(f.path)
        tests = len(f.results) if f.loaded else 1
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(tests), failures=str(f.failed),
                              errors=str(int(not f.loaded)), skipped="0")
        if not f.loaded:
            case = ET.SubElement(suite, "testcase", name="load", classname=name, file=name)
            error = ET.SubElement(case, "error", message=f"{name} failed to load; no test ran",
                                  type=sorted_diagnostics(f.diagnostics)[0].code)
            error.text = render_text(sorted_diagnostics(f.diagnostics))
            continue
        for r in f.results:
            case = ET.SubElement(suite, "testcase", name=r.title, classname=name, file=r.span.file,
                                 line=str(r.span.line))
            if not r.passed:
                failure = ET.SubElement(case, "failure", message=r.failures[0], type="policydsl.test")
                failure.text = "\n".join(r.failures)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def render_test_github(run: TestRun, problems: Sequence[Diagnostic] = ()) -> str:
    """An error annotation at each failing test (its failures as the message), and the diagnostics of
    each file that did not load and of usage problems."""
    out = [render_github(problems)] if problems else []
    for f in run.files:
        if not f.loaded:
            out.append(render_github(sorted_diagnostics(f.diagnostics)))
            continue
        for r in f.results:
            if not r.passed:
                out.append(command("error", f"test \"{r.title}\" failed\n" + "\n".join(r.failures),
                                   file=r.span.file, span=r.span, title="policydsl test"))
    return "\n".join(out)
