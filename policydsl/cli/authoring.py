"""Authoring and CI: `check`, `test` (and `test --mutate`), `fmt`, `diff`, `explain`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policydsl._version import __version__
from policydsl.cli.app import main
from policydsl.cli.common import ExitCode, echo_diagnostics, echo_text, policy_files, write_atomically
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policydsl.diagnostics import Diagnostic


# ---- check ------------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--baseline", type=click.Path(), help="Platform policy to check merchant files against "
                                                    "(default: the installed baseline named by `extends`).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output for people, tools, code scanning, or GitHub annotations.")
@click.option("--deny-warnings", is_flag=True, help="Exit 1 when there are warnings and no errors (for CI).")
@click.option("--sarif-file", "sarif_path", type=click.Path(dir_okay=False),
              help="Also write the SARIF log to this file (for code scanning), whatever --format prints.")
def check(files: tuple[str, ...], baseline: str | None, fmt: str, deny_warnings: bool,
          sarif_path: str | None) -> None:
    """Check policy files: syntax, names, types, and (for merchant files) that no rule is
    stricter than the platform baseline. Directories are searched for *.policy files.

    \b
    Example:
      policydsl check policies/merchants/fruit_shop.policy --format github
      policydsl check policies/ --format github --sarif-file policydsl.sarif     # in CI
    """
    from policydsl.diagnostics import render_json, sorted_diagnostics
    from policydsl.tools.check_files import CheckReport, check_files

    paths, problems = policy_files(files)
    report = check_files(paths, baseline)
    if problems:
        report = CheckReport(report.files, (*problems, *report.diagnostics))
    diags = sorted_diagnostics(report.diagnostics)
    if sarif_path is not None:
        write_sarif(sarif_path, diags, baseline)
    if fmt == "json":
        click.echo(render_json(diags, files=[str(f) for f in report.files], valid=report.valid))
    elif fmt == "sarif":
        from policydsl.report import render_sarif

        click.echo(render_sarif(diags, tool_version=__version__, baseline=baseline))
    elif fmt == "github":
        from policydsl.report import render_github

        if diags:
            click.echo(render_github(diags, baseline=baseline))
    else:
        if diags:
            echo_text(diags)
        n_err = sum(1 for d in diags if d.is_error)
        n_warn = len(diags) - n_err
        status = "failed" if n_err else "failed (--deny-warnings)" if n_warn and deny_warnings else "ok"
        click.echo(f"{'' if not diags else chr(10)}checked {len(report.files)} file(s): {status}, "
                   f"{n_err} error(s), {n_warn} warning(s)")
    sys.exit(report.exit_code_with(deny_warnings=deny_warnings))


def write_sarif(path: str, diags: list[Diagnostic], baseline: str | None) -> None:
    from policydsl.diagnostics import Diagnostic
    from policydsl.report import render_sarif

    try:
        write_atomically(Path(path), render_sarif(diags, tool_version=__version__, baseline=baseline) + "\n")
    except OSError as exc:
        echo_diagnostics([Diagnostic(code="PD001", message=f"cannot write `{path}`: {exc.strerror or exc}")])
        sys.exit(ExitCode.ERROR)


# ---- test -------------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--baseline", type=click.Path(), help="Platform policy for merchant files (default: by name).")
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]), default="text",
              show_default=True, help="Output for people, tools, CI test reports (JUnit XML), or GitHub annotations.")
@click.option("--mutate", is_flag=True, help="Mutation testing: run mutants of each file against its tests.")
@click.option("--min-score", type=click.FloatRange(0, 100), default=100.0, show_default=True,
              help="With --mutate: exit 1 when a file's mutation score (percent) is below this.")
def test(files: tuple[str, ...], baseline: str | None, verbose: bool, fmt: str, mutate: bool, min_score: float) -> None:
    """Run the `test` blocks of policy files and report clause coverage.

    Each file is tested as its own policy set (a merchant file with its baseline). With
    --mutate, mutants of each file (a rule dropped, an effect one modality step weaker or
    stronger, a period or parameter one day shorter or longer, an atom of a condition
    negated, an `unless` dropped) run against its tests; each surviving mutant is a PD501
    warning, and mutants the exact diff proves equivalent are not counted.

    \b
    Example:
      policydsl test policies/
      policydsl test policies/ --format junit > policydsl-tests.xml
      policydsl test --mutate policies/merchants/fruit_shop.policy
    """
    from policydsl.tools.testing import run_files_tests

    if mutate and fmt != "text":
        raise click.UsageError("--mutate reports in text only (each surviving mutant is a PD501 diagnostic)")
    given = click.get_current_context().get_parameter_source("min_score")
    if not mutate and given is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--min-score is the least mutation score: use it with --mutate")
    paths, problems = policy_files(files)
    echo_diagnostics(problems)  # stderr, in every format
    if mutate:
        sys.exit(ExitCode.ERROR if problems else mutation_run(paths, baseline, min_score))
    run = run_files_tests(paths, baseline)
    if fmt != "text":
        from policydsl.report.testrun import render_test_github, render_test_json, render_test_junit

        render = {"json": render_test_json, "junit": render_test_junit, "github": render_test_github}[fmt]
        text = render(run, problems)
        if text:
            click.echo(text)
        sys.exit(ExitCode.ERROR if problems else ExitCode(run.exit_code))
    for f in run.files:
        if not f.loaded:
            echo_diagnostics(list(f.diagnostics))
            click.echo(f"{f.path}: not tested, the file failed to load")
            continue
        click.echo(f"{f.path}: {len(f.results) - f.failed}/{len(f.results)} tests passed")
        for r in f.results:
            if not r.passed:
                click.echo(f"  FAIL {r.span}: {r.title}")
                for failure in r.failures:
                    click.echo(f"       {failure}")
            elif verbose:
                click.echo(f"  ok   {r.title}")
        if f.platform and f.coverage is not None:
            cov = f.coverage
            click.echo(f"  clauses with a test ({len(cov.clauses_tested)}): {' '.join(cov.clauses_tested)}")
            click.echo(f"  clauses without a test ({len(cov.clauses_untested)}): "
                       f"{' '.join(cov.clauses_untested) or '-'}")
        click.echo(f"  rules no test fires ({len(f.never_fired)}): {' '.join(f.never_fired) or '-'}")
    passed = f"{run.total - run.failed}/{run.total} tests passed"
    if run.not_loaded:  # never "0/0 tests passed" for files that were not tested at all
        tested = f"{passed}; " if len(paths) > run.not_loaded else ""
        click.echo(f"{tested}not tested: {run.not_loaded} file(s) failed to load")
    elif paths:
        click.echo(passed)
    sys.exit(ExitCode.ERROR if problems else ExitCode(run.exit_code))


def mutation_run(paths: list[Path], baseline: str | None, min_score: float) -> int:
    """`test --mutate`: each file's score and surviving mutants; the exit code."""
    from policydsl.tools.mutate import mutate_files, score_diagnostic

    code = ExitCode.OK
    for f in mutate_files(paths, baseline):
        if f.diagnostics:
            echo_diagnostics(list(f.diagnostics))
            click.echo(f"{f.path}: not mutated, the file failed to load or its tests fail")
            code = ExitCode.ERROR
            continue
        echo_diagnostics(f.survivor_diagnostics(), err=False)
        click.echo(f"{f.path}: mutation score {f.score:.1f}% ({f.killed} killed of {f.counted}; "
                   f"{len(f.survivors)} survived; {f.equivalent} equivalent, not counted; {f.total} mutants)")
        low = score_diagnostic(f, min_score)
        if low is not None:
            echo_diagnostics([low], err=False)
            code = max(code, ExitCode.VIOLATIONS)
    return code


# ---- fmt --------------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list files that are not formatted and exit 1 if there are any.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print what would change as a unified diff and exit 1 if anything would.")
def fmt(files: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite policy files in the one canonical layout (idempotent; comments are kept).
    `-` formats stdin to stdout (for editors).

    \b
    Example:
      policydsl fmt policies/
      policydsl fmt --check policies/          # in CI
      policydsl fmt --diff my-shop.policy
      cat my-shop.policy | policydsl fmt -
    """
    from policydsl.diagnostics import Diagnostic
    from policydsl.api import read_source
    from policydsl.syntax.formatter import format_source

    if files == ("-",):
        try:
            text = sys.stdin.read()
        except UnicodeDecodeError:
            echo_diagnostics([Diagnostic(code="PD105", message="`<stdin>` is not UTF-8 text",
                                         hint="save the policy as UTF-8")])
            sys.exit(ExitCode.ERROR)
        result = format_source(text, "<stdin>")
        if result.output is None:
            echo_diagnostics(list(result.diagnostics))
            sys.exit(ExitCode.ERROR)
        if show_diff:
            click.echo(_unified_diff(text, result.output, "<stdin>"), nl=False)
        elif not check_only:
            click.echo(result.output, nl=False)
        sys.exit(ExitCode.VIOLATIONS if (check_only or show_diff) and result.changed else ExitCode.OK)
    unformatted: list[Path] = []
    paths, usage = policy_files(files)
    echo_diagnostics(usage)
    failed = bool(usage)
    for path in paths:
        source, problems = read_source(path)
        if source is None:
            echo_diagnostics(problems)
            failed = True
            continue
        result = format_source(source.text, source.name)
        if result.output is None:
            echo_diagnostics(list(result.diagnostics))
            failed = True
        elif result.changed:
            unformatted.append(path)
            if show_diff:
                click.echo(_unified_diff(source.text, result.output, str(path)), nl=False)
            elif not check_only:
                try:
                    write_atomically(path, result.output)
                except OSError as exc:
                    echo_diagnostics([Diagnostic(code="PD001", message=f"cannot write `{path}`: {exc.strerror or exc}")])
                    failed = True
    if not show_diff:
        verb = "would reformat" if check_only else "reformatted"
        for path in unformatted:
            click.echo(f"{verb} {path}")
    if failed:
        sys.exit(ExitCode.ERROR)
    sys.exit(ExitCode.VIOLATIONS if (check_only or show_diff) and unformatted else ExitCode.OK)


def _unified_diff(before: str, after: str, name: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=name, tofile=f"{name} (formatted)"))


# ---- diff --------------------------------------------------------------------------------

@main.command("diff")
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@click.option("--baseline", type=click.Path(), help="Platform policy for merchant files (default: by name).")
@click.option("--old-baseline", type=click.Path(), help="Platform policy for a merchant OLD (default: --baseline).")
@click.option("--new-baseline", type=click.Path(), help="Platform policy for a merchant NEW (default: --baseline).")
@click.option("--facts", "facts_path", type=click.Path(allow_dash=True),
              help="A JSON Lines order history to decide with both sets; changed decisions are counted.")
@click.option("--merchants", "merchants_dir", type=click.Path(),
              help="Re-check every merchant file in this directory against NEW as baseline.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output for people or tools (docs/semantics.md, the semantic diff).")
def diff(old: str, new: str, baseline: str | None, old_baseline: str | None, new_baseline: str | None,
         facts_path: str | None, merchants_dir: str | None, fmt: str) -> None:
    """Where two versions of a policy decide differently, exactly: per action, less or more
    favourable to the buyer, each with a counterexample facts object.

    Exit 0 when the two never decide differently, 1 when they do, 2 on errors.

    \b
    Example:
      policydsl diff old/after_sales.policy after_sales.policy --facts history.jsonl
      policydsl diff old/after_sales.policy after_sales.policy --merchants policies/merchants
      policydsl diff shop.policy shop.policy --old-baseline old/after_sales.policy
    """
    from policydsl.tools.diffing import diff_files

    report = diff_files(old, new, baseline=baseline, facts=facts_path, merchants=merchants_dir,
                        old_baseline=old_baseline, new_baseline=new_baseline)
    text = report.render_json() if fmt == "json" else report.render_text()
    if text:
        click.echo(text)
    sys.exit(report.exit_code)


# ---- explain ----------------------------------------------------------------------------

@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a diagnostic code: what it means, an input that triggers it, and the fix
    (docs/error-codes.md has them all in one table).

    \b
    Example:
      policydsl explain PD301
    """
    from policydsl.codes import CODES

    doc = CODES.get(code.upper())
    if doc is None:
        click.echo(f"unknown code `{code}`; codes run from {min(CODES)} to {max(CODES)} "
                   f"(docs/error-codes.md lists them; e.g. policydsl explain PD201)", err=True)
        sys.exit(ExitCode.ERROR)
    click.echo(f"{code.upper()}: {doc.meaning}\n\n  example: {doc.example}\n  fix:     {doc.fix}")
