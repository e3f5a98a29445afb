"""In-file policy tests: run `test` blocks, compare expectations, measure clause coverage
(`policydsl test` renders what `run_files_tests` returns)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from policydsl import ir
from policydsl.api import load_set
from policydsl.diagnostics import Diagnostic
from policydsl.syntax import ast
from policydsl.evaluate.decision import Decision
from policydsl.evaluate.interpreter import evaluate, outcome
from policydsl.evaluate.facts import FactsInputError, validate
from policydsl.semantics import TestCase
from policydsl.source import Span


@attrs.frozen
class TestResult:
    title: str
    span: Span
    failures: tuple[str, ...]
    decision: Decision | None = None
    fired: tuple[str, ...] = ()

    __test__ = False

    @property
    def passed(self) -> bool:
        return not self.failures


@attrs.frozen
class Coverage:
    clauses_tested: tuple[str, ...]
    clauses_untested: tuple[str, ...]
    rules_never_fired: tuple[str, ...]


def run_test(ps: ir.PolicySet, case: TestCase) -> TestResult:
    try:
        facts = validate(case.facts, ps)
    except FactsInputError as exc:
        return TestResult(case.title, case.span,
                          tuple(f"invalid test facts: [{d.code}] {d.message}" for d in exc.diagnostics))
    decision = evaluate(ps, facts)
    fired = tuple(r.name for r in outcome(ps, facts).fired)
    failures = expectation_failures(case, decision)
    return TestResult(case.title, case.span, tuple(failures), decision, fired)


def expectation_failures(case: TestCase, decision: Decision) -> list[str]:
    """What of the test's expectations `decision` does not meet (empty: the test passes)."""
    return [f for e in case.expectations if (f := _check(e, decision)) is not None]


def _check(e: ast.Expectation, d: Decision) -> str | None:
    if isinstance(e, ast.ExpectAction):
        got = d.modality(e.action.text)
        if got != e.modality:
            return f"expected {e.modality} {e.action.text}, got {got or 'no'} {e.action.text}"
    elif isinstance(e, ast.ExpectAbsent):
        got = d.modality(e.action.text)
        if got is not None:
            return f"expected no {e.action.text}, got {got} {e.action.text}"
    elif isinstance(e, ast.ExpectScenario):
        if e.clause.text not in d.scenario:
            return f"expected scenario {e.clause.text}, got scenario [{', '.join(d.scenario)}]"
    elif isinstance(e, ast.ExpectExtension):
        got = d.extension.eligible if d.extension else False
        if got != e.eligible:
            why = d.extension.why if d.extension else "no capability"
            return f"expected extension {'eligible' if e.eligible else 'ineligible'}, got " \
                   f"{'eligible' if got else 'ineligible'} ({why})"
    elif isinstance(e, ast.ExpectConflict):
        if not any(c.action == e.action.text for c in d.conflicts):
            listed = ", ".join(f"{c.modality} {c.action}" for c in d.conflicts) or "none"
            return f"expected a conflict on {e.action.text}, got conflicts [{listed}]"
    elif isinstance(e, ast.ExpectEscalation):
        if (d.escalation is not None) != e.present:
            return "expected escalation, got none" if e.present else "expected no escalation, got escalation"
    else:
        raise AssertionError(f"the test runner has no check for {type(e).__name__}")
    return None


def coverage(ps: ir.PolicySet, results: Sequence[TestResult]) -> Coverage:
    """A clause is tested when a passing test's decision cites it or reports it as the scenario;
    capability clauses count when a test checks the extension."""
    cited: set[str] = set()
    fired: set[str] = set()
    for r in results:
        if r.decision is None or not r.passed:
            continue
        fired.update(r.fired)
        cited.update(r.decision.scenario)
        for a in r.decision.actions:
            cited.update(a.cites)
        for rule_name in r.fired:
            cited.update(ps.rule(rule_name).cites)
        for p in ps.periods:
            if any(pe.name == p.name for pe in r.decision.periods):
                cited.update(p.cites)
                length = getattr(p, "length", None)
                if isinstance(length, ir.ParamInt):
                    cited.update(ps.param(length.name).cites)
        if r.decision.extension is not None:
            for cap in ps.capabilities:
                cited.update(cap.cites)
        for c in r.decision.conflicts:
            cited.update(c.cites)
        if r.decision.escalation is not None:
            cited.update(r.decision.escalation.cites)
    clauses = [c for c, _ in ps.clauses]
    return Coverage(clauses_tested=tuple(c for c in clauses if c in cited),
                    clauses_untested=tuple(c for c in clauses if c not in cited),
                    rules_never_fired=tuple(r.name for r in ps.rules if r.name not in fired))


# ---- files -------------------------------------------------------------------------------------------

@attrs.frozen
class FileTests:
    """The in-file tests of one file, run on its own policy set (a merchant file with its baseline)."""

    path: Path
    diagnostics: tuple[Diagnostic, ...]  # errors that kept the file from loading (then nothing ran)
    results: tuple[TestResult, ...] = ()
    coverage: Coverage | None = None
    platform: bool = False  # a platform file: clause coverage is reported
    never_fired: tuple[str, ...] = ()  # the file's own rules that no test fires

    __test__ = False

    @property
    def loaded(self) -> bool:
        return not self.diagnostics

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


@attrs.frozen
class TestRun:
    """Every file's tests; `exit_code` is 0 all pass, 1 a test failed, 2 a file did not load."""

    files: tuple[FileTests, ...]

    __test__ = False

    @property
    def total(self) -> int:
        return sum(len(f.results) for f in self.files)

    @property
    def failed(self) -> int:
        return sum(f.failed for f in self.files)

    @property
    def not_loaded(self) -> int:
        return sum(not f.loaded for f in self.files)

    @property
    def exit_code(self) -> int:
        return 2 if self.not_loaded else 1 if self.failed else 0


@attrs.frozen
class OwnTests:
    """A file loaded as its own policy set with its own test blocks (a merchant file's, not its
    baseline's), or the diagnostics that stopped it from loading."""

    diagnostics: tuple[Diagnostic, ...]
    ps: ir.PolicySet | None = None
    origin: str = ir.PLATFORM
    cases: tuple[TestCase, ...] = ()


def load_own_tests(path: Path, baseline: str | Path | None = None) -> OwnTests:
    """Load `path` as its own policy set, with the test blocks it declares itself."""
    result = load_set([path], baseline)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors or result.analysis is None or result.policy_set is None:
        return OwnTests(tuple(errors or result.diagnostics))
    ps = result.policy_set
    origin = ir.MERCHANT if ps.merchant else ir.PLATFORM
    return OwnTests((), ps, origin, tuple(c for c in result.analysis.tests if c.origin == origin))


def run_file_tests(path: Path, baseline: str | Path | None = None) -> FileTests:
    """Load `path` as its own policy set and run its own tests (a merchant file's, not its baseline's)."""
    own = load_own_tests(path, baseline)
    if own.ps is None:
        return FileTests(path, own.diagnostics)
    ps, origin = own.ps, own.origin
    results = tuple(run_test(ps, c) for c in own.cases)
    cov = coverage(ps, results)
    mine = {r.name for r in ps.rules if r.source == origin}
    return FileTests(path, (), results, cov, origin == ir.PLATFORM,
                     tuple(n for n in cov.rules_never_fired if n in mine))


def run_files_tests(paths: Sequence[Path], baseline: str | Path | None = None) -> TestRun:
    """Each file's own tests, each file as its own policy set (`policydsl test`)."""
    return TestRun(tuple(run_file_tests(p, baseline) for p in paths))
