"""The `policydsl` command line. Thin: parse options, call the library, render, map to exit codes.

Exit codes (README: exit codes): 0 ok, 1 policy violations or failed tests, 2 usage, syntax or input errors.
"""

from __future__ import annotations

import enum
import glob
import io
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from typing import TYPE_CHECKING

import click

from policydsl._version import __version__
from policydsl.diagnostics import (Diagnostic, PolicyDslError, render_github, render_json, render_sarif,
                                   render_text, sorted_diagnostics)

if TYPE_CHECKING:  # the library is imported by the commands that use it: `--help` stays fast
    from policydsl import ir
    from policydsl.api import PolicySet
    from policydsl.tools.batch import Numbered

#: The engines `eval --engine` offers (policydsl.api.ENGINES; a test keeps the two equal).
ENGINES = ("compiled", "interpreter")


class ExitCode(enum.IntEnum):
    OK = 0
    VIOLATIONS = 1  # policy violations or failed tests
    ERROR = 2  # usage, syntax or input errors


_GLOB_CHARS = frozenset("*?[")


def policy_files(paths: tuple[str, ...]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand directories into their *.policy files (sorted, recursive) and patterns the shell left
    unexpanded (`'policies/*.policy'`) into the files they match. A directory or pattern that yields
    no .policy file is a PD001 usage error, so a mistyped path never passes as "nothing to check"."""
    out: list[Path] = []
    problems: list[Diagnostic] = []
    hint = "give .policy files, or directories that hold them (searched recursively)"
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(path.rglob("*.policy"))
            if not found:
                problems.append(Diagnostic(code="PD001", message=f"no .policy files in `{p}`", hint=hint))
            out.extend(found)
        elif not path.exists() and _GLOB_CHARS & set(p):
            matches = [Path(m) for m in sorted(glob.glob(p, recursive=True))]
            found = [f for m in matches
                     for f in (sorted(m.rglob("*.policy")) if m.is_dir() else [m] if m.suffix == ".policy" else [])]
            if not found:
                problems.append(Diagnostic(code="PD001", message=f"no .policy files match `{p}`", hint=hint))
            out.extend(found)
        else:
            out.append(path)
    return out, problems


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one step: the text is encoded first and written
    to a file beside it, so a failure never leaves the file truncated or half written."""
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def echo_diagnostics(diags: list[Diagnostic], err: bool = True) -> None:
    if diags:
        click.echo(render_text(sorted_diagnostics(diags)), err=err)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="policydsl")
def main() -> None:
    """policydsl: after-sales policy as code.

    Write the platform baseline and merchant policies in .policy files, check
    them (names, types, and that no merchant rule is stricter than the
    baseline), test them, and evaluate after-sales requests against them.

    \b
    Example:
      policydsl check policies/
      policydsl eval policies/platform/after_sales.policy --facts request.json --explain
    """


# ---- check ------------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--baseline", type=click.Path(), help="Platform policy to check merchant files against "
                                                    "(default: the installed baseline named by `extends`).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output for people, tools, code scanning, or GitHub annotations.")
@click.option("--deny-warnings", is_flag=True, help="Exit 1 when there are warnings and no errors (for CI).")
def check(files: tuple[str, ...], baseline: str | None, fmt: str, deny_warnings: bool) -> None:
    """Check policy files: syntax, names, types, and (for merchant files) that no rule is
    stricter than the platform baseline. Directories are searched for *.policy files.

    \b
    Example:
      policydsl check policies/merchants/fruit_shop.policy --format github
    """
    from policydsl.tools.check_files import CheckReport, check_files

    paths, problems = policy_files(files)
    report = check_files(paths, baseline)
    if problems:
        report = CheckReport(report.files, (*problems, *report.diagnostics))
    diags = sorted_diagnostics(report.diagnostics)
    if fmt == "json":
        click.echo(render_json(diags, files=[str(f) for f in report.files], valid=report.valid))
    elif fmt == "sarif":
        click.echo(render_sarif(diags, tool_version=__version__))
    elif fmt == "github":
        if diags:
            click.echo(render_github(diags))
    else:
        if diags:
            click.echo(render_text(diags))
        n_err = sum(1 for d in diags if d.is_error)
        n_warn = len(diags) - n_err
        status = "ok" if n_err == 0 else "failed"
        click.echo(f"{'' if not diags else chr(10)}checked {len(report.files)} file(s): {status}, "
                   f"{n_err} error(s), {n_warn} warning(s)")
    sys.exit(report.exit_code_with(deny_warnings=deny_warnings))


# ---- eval -------------------------------------------------------------------------------

def load_ir(files: tuple[str, ...], baseline: str | None, command: str) -> ir.PolicySet:
    from policydsl.api import load_set

    """The policy set's IR; print the diagnostics and exit 2 if it is not well-formed.
    `command` (`eval`, `compile`) words the usage errors."""
    paths, problems = policy_files(files)
    if problems:
        echo_diagnostics(problems)
        sys.exit(ExitCode.ERROR)
    result = load_set(paths, baseline)
    errors = [usage_hint(d, command) for d in result.diagnostics if d.is_error]
    if errors or result.policy_set is None:
        echo_diagnostics(errors or list(result.diagnostics))
        sys.exit(ExitCode.ERROR)
    return result.policy_set


def usage_hint(d: Diagnostic, command: str) -> Diagnostic:
    """A PD002 about several merchant files, with the hint worded for the command that was run."""
    if d.data.get("problem") == "several merchant policies":
        import attrs

        return attrs.evolve(d, hint=f"run `policydsl {command}` once per merchant file")
    return d


def load_policy(files: tuple[str, ...], baseline: str | None, engine: str = "compiled") -> PolicySet:
    from policydsl.api import PolicySet

    return PolicySet(load_ir(files, baseline, "eval"), engine=engine)


@main.command("eval")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--facts", "facts_path", required=True, type=click.Path(allow_dash=True),
              help="A facts JSON file (one request), or JSON Lines (one request a line); - reads stdin.")
@click.option("--baseline", type=click.Path(), help="Platform policy for a merchant file (default: by name).")
@click.option("--explain", is_flag=True,
              help="Print a readable explanation instead of JSON (one request, not a JSON Lines batch).")
@click.option("--pretty", is_flag=True, help="Indent the JSON of a single decision (not a JSON Lines batch).")
@click.option("--engine", type=click.Choice(ENGINES), default="compiled", show_default=True,
              help="Decide with the compiled policy, or with the reference interpreter.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes deciding a JSON Lines batch (the output is the same for any number).")
def eval_(files: tuple[str, ...], facts_path: str, baseline: str | None, explain: bool, pretty: bool, engine: str,
          workers: int) -> None:
    """Evaluate after-sales requests against a policy set and print each decision as JSON.

    A JSON Lines batch is streamed in constant memory: one output line per input line, in
    order. A bad line becomes an error record carrying its line number; the batch goes on,
    and the exit code is 2 if any line failed. On a terminal, progress goes to stderr.

    \b
    Example:
      policydsl eval policies/platform/after_sales.policy --facts request.json
      policydsl eval my-shop.policy --facts requests.jsonl --workers 4 > decisions.jsonl
    """
    from policydsl.tools.batch import is_json_lines, iter_lines, named_json_lines, not_utf8, open_facts

    name = "<stdin>" if facts_path == "-" else facts_path
    if named_json_lines(facts_path):
        reject_single_request_flags(name, explain, pretty)
    policy = load_policy(files, baseline, engine)
    try:
        with open_facts(facts_path) as stream:
            if named_json_lines(facts_path):  # streamed: constant memory
                sys.exit(eval_lines(policy, iter_lines(stream), name, workers))
            text = stream.read()
    except OSError as exc:
        echo_diagnostics([Diagnostic(code="PD001", message=f"cannot read `{facts_path}`: {exc.strerror}")])
        sys.exit(ExitCode.ERROR)
    except UnicodeDecodeError:  # a stdin that cannot be reconfigured to keep bad bytes
        echo_diagnostics([Diagnostic(code="PD401", message=f"`{name}` is not UTF-8 text")])
        sys.exit(ExitCode.ERROR)
    try:
        batch = is_json_lines(name, text)
    except (ValueError, RecursionError):  # not JSON at all (too deep, too many digits): PD401 below
        batch = False
    if batch:
        reject_single_request_flags(name, explain, pretty)
        sys.exit(eval_lines(policy, iter_lines(io.StringIO(text)), name, workers))
    if not_utf8(text):
        echo_diagnostics([Diagnostic(code="PD401", message=f"`{name}` is not UTF-8 text",
                                     hint="save the facts as UTF-8")])
        sys.exit(ExitCode.ERROR)
    sys.exit(eval_single(policy, text, name, explain, pretty))


def reject_single_request_flags(name: str, explain: bool, pretty: bool) -> None:
    """--explain and --pretty shape the output of one request; on a JSON Lines batch they are a
    usage error (exit 2) rather than silently ignored: a batch prints one JSON decision a line."""
    if explain:
        raise click.UsageError(f"--explain explains one request, but `{name}` is JSON Lines (a batch, decided into "
                               f"one JSON decision a line); drop --explain, or explain a request on its own from a "
                               f"file holding one JSON object")
    if pretty:
        raise click.UsageError(f"--pretty indents one decision, but `{name}` is JSON Lines (a batch), whose output "
                               f"keeps one JSON decision a line; drop --pretty, or pipe the output through `jq .`")


def eval_single(policy: PolicySet, text: str, name: str, explain: bool, pretty: bool) -> int:
    from policydsl.evaluate.text import explain_decision

    try:
        decision = policy.decide_json(text, name)
    except PolicyDslError as exc:
        echo_diagnostics(list(exc.diagnostics))
        return ExitCode.ERROR
    if explain:
        click.echo(explain_decision(decision, policy.ir))
    else:
        click.echo(decision.to_json(indent=2 if pretty else None))
    return ExitCode.OK


def eval_lines(policy: PolicySet, lines: Iterable[Numbered], name: str, workers: int = 1) -> int:
    from policydsl.tools.batch import decide_lines

    failed = done = 0
    out = sys.stdout  # written line by line: click.echo would flush every decision of a large batch
    progress = sys.stderr.isatty()
    for ok, line in decide_lines(policy.backend, lines, name, workers):
        failed += not ok
        out.write(line + "\n")
        done += 1
        if progress and done % 1000 == 0:
            click.echo(f"\r{done} requests decided", err=True, nl=False)
    if progress and done >= 1000:
        click.echo(f"\r{done} requests decided", err=True)
    if failed:
        click.echo(f"{failed} line(s) of {name} were not valid facts (see the error records)", err=True)
    return ExitCode.ERROR if failed else ExitCode.OK


# ---- compile ----------------------------------------------------------------------------

@main.command("compile")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--target", type=click.Choice(["python", "json"]), default="python", show_default=True,
              help="A standalone Python module, or the normalised IR as JSON.")
@click.option("-o", "--output", "out_path", type=click.Path(allow_dash=True), default="-", show_default=True,
              help="The file to write; - writes stdout.")
@click.option("--baseline", type=click.Path(), help="Platform policy for a merchant file (default: by name).")
def compile_(files: tuple[str, ...], target: str, out_path: str, baseline: str | None) -> None:
    """Compile a policy set into a standalone Python module or its IR as JSON.

    The Python module needs only the standard library: `decide(facts)` validates one
    request (docs/semantics.md §1; bad facts raise `FactsError`, a ValueError whose `.errors` lists
    PD4xx dicts) and returns its decision as the JSON-ready dict `policydsl eval` prints;
    `decide_validated(flat)` skips validation. The JSON is the IR other runtimes evaluate
    (README, "The IR as JSON").

    \b
    Example:
      policydsl compile my-shop.policy --target python -o my_shop_policy.py
      policydsl compile policies/platform/after_sales.policy --target json -o baseline.ir.json
    """
    from policydsl.compile.codegen import generate_python
    from policydsl.ir.jsonform import to_json

    ps = load_ir(files, baseline, "compile")
    text = generate_python(ps) if target == "python" else to_json(ps, indent=2) + "\n"
    if out_path == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomically(Path(out_path), text)
    except OSError as exc:
        echo_diagnostics([Diagnostic(code="PD001", message=f"cannot write `{out_path}`: {exc.strerror or exc}")])
        sys.exit(ExitCode.ERROR)


# ---- test -------------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--baseline", type=click.Path(), help="Platform policy for merchant files (default: by name).")
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
@click.option("--mutate", is_flag=True, help="Mutation testing: run mutants of each file against its tests.")
@click.option("--min-score", type=click.FloatRange(0, 100), default=100.0, show_default=True,
              help="With --mutate: exit 1 when a file's mutation score (percent) is below this.")
def test(files: tuple[str, ...], baseline: str | None, verbose: bool, mutate: bool, min_score: float) -> None:
    """Run the `test` blocks of policy files and report clause coverage.

    Each file is tested as its own policy set (a merchant file with its baseline). With
    --mutate, mutants of each file (a rule dropped, an effect one modality step weaker or
    stronger, a period or parameter one day shorter or longer, an atom of a condition
    negated, an `unless` dropped) run against its tests; each surviving mutant is a PD501
    warning, and mutants the exact diff proves equivalent are not counted.

    \b
    Example:
      policydsl test policies/
      policydsl test --mutate policies/merchants/fruit_shop.policy
    """
    from policydsl.tools.testing import run_files_tests

    paths, problems = policy_files(files)
    echo_diagnostics(problems)
    if mutate:
        sys.exit(ExitCode.ERROR if problems else mutation_run(paths, baseline, min_score))
    run = run_files_tests(paths, baseline)
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
              help="Output for people or tools (docs/semantics.md §6).")
def diff(old: str, new: str, baseline: str | None, old_baseline: str | None, new_baseline: str | None,
         facts_path: str | None, merchants_dir: str | None, fmt: str) -> None:
    """Where two versions of a policy decide differently, exactly: per action, less or more
    favourable to the buyer, each with a counterexample facts object.

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


def run() -> None:
    """The installed `policydsl` command: `main`, with a last guard so that even a bug in
    policydsl reaches the user as one line, not a traceback (POLICYDSL_DEBUG=1 shows it).
    Tests call `main` directly, so a crash there still fails loudly."""
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - the outermost boundary
        if os.environ.get("POLICYDSL_DEBUG"):
            raise
        click.echo(f"policydsl: internal error ({type(exc).__name__}: {exc}); this is a bug in policydsl, "
                   f"please report it with the input (set POLICYDSL_DEBUG=1 for the traceback)", err=True)
        sys.exit(ExitCode.ERROR)


if __name__ == "__main__":  # pragma: no cover
    run()
