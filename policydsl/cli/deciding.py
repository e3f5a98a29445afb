"""Deciding requests: `eval` (one request, a JSON Lines batch, or a partial decision) and `why`."""

from __future__ import annotations

import io
import itertools
import os
import sys
import time
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from policydsl.cli.app import main
from policydsl.cli.common import ENGINES, ExitCode, echo_diagnostics, load_policy

if TYPE_CHECKING:
    from policydsl.api import PolicySet
    from policydsl.source import Source


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
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Processes deciding a JSON Lines batch; 0: one per CPU, none for a small batch (the output is "
                   "the same for any number).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar for a batch (it shows only on a terminal).")
@click.option("--partial", is_flag=True,
              help="Facts left out (or null where not nullable) are unknown: print what is certain, what is "
                   "possible, and which facts to ask for (one request).")
def eval_(files: tuple[str, ...], facts_path: str, baseline: str | None, explain: bool, pretty: bool, engine: str,
          workers: int, quiet: bool, partial: bool) -> None:
    """Evaluate after-sales requests against a policy set and print each decision as JSON.

    A JSON Lines batch is streamed in constant memory: one output line per input line, in
    order. A bad line becomes an error record carrying its line number; the batch goes on,
    and the exit code is 2 if any line failed. On a terminal, a progress bar (rate, ETA) goes
    to stderr; -q turns it off.

    \b
    Example:
      policydsl eval policies/platform/after_sales.policy --facts request.json
      policydsl eval my-shop.policy --facts requests.jsonl --workers 4 > decisions.jsonl
      policydsl eval policies/platform/after_sales.policy --facts incomplete.json --partial --explain
    """
    from policydsl.diagnostics import Diagnostic
    from policydsl.tools.batch import as_bytes, is_json_lines, named_json_lines, not_utf8, open_binary, open_facts

    name = "<stdin>" if facts_path == "-" else facts_path
    if named_json_lines(facts_path) and not partial:  # --partial: read_request says a batch is not one request
        reject_single_request_flags(name, explain, pretty)
    policy = load_policy(files, baseline, engine)
    if partial:
        sys.exit(eval_partial(policy, facts_path, name, explain, pretty))
    size = None if facts_path == "-" else file_size(facts_path)
    if workers == 0:  # one per CPU for a file; a pipe is decided as its lines come, in this process
        from policydsl.tools.workers import cpu_count

        workers = cpu_count() if size is not None else 1
    if named_json_lines(facts_path):  # streamed: constant memory
        try:
            binary = open_binary(facts_path)
        except OSError as exc:
            echo_diagnostics([Diagnostic(code="PD001", message=f"cannot read `{facts_path}`: {exc.strerror}")])
            sys.exit(ExitCode.ERROR)
        with binary:
            sys.exit(eval_lines(policy, binary, name, workers, total=size, quiet=quiet, flush=size is None))
    try:
        with open_facts(facts_path) as stream:
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
        sys.exit(eval_lines(policy, io.BytesIO(as_bytes(text)), name, workers, total=size, quiet=quiet))
    if not_utf8(text):
        echo_diagnostics([Diagnostic(code="PD401", message=f"`{name}` is not UTF-8 text",
                                     hint="save the facts as UTF-8")])
        sys.exit(ExitCode.ERROR)
    sys.exit(eval_single(policy, text, name, explain, pretty))


def file_size(path: str) -> int | None:
    """The size of a regular file in bytes (a batch's progress total); None for a pipe or FIFO."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    import stat

    return st.st_size if stat.S_ISREG(st.st_mode) else None


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
    from policydsl.diagnostics import PolicyDslError
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


def read_request(facts_path: str, name: str, command: str) -> tuple[Any, Source]:
    """The parsed facts JSON of one request (a file or stdin) and its Source. Raises PolicyDslError
    (PD001 unreadable, PD401 not UTF-8, not JSON, or a JSON Lines batch where one request is needed)."""
    from policydsl.diagnostics import Diagnostic, PolicyDslError
    from policydsl.evaluate.facts import load_json
    from policydsl.source import Source
    from policydsl.tools.batch import is_json_lines, named_json_lines, not_utf8, open_facts

    one_request = f"`{command}` decides one request: give a file holding one JSON object"
    if named_json_lines(facts_path):
        raise PolicyDslError([Diagnostic(code="PD401", message=f"`{name}` is JSON Lines (a batch)", hint=one_request)])
    try:
        with open_facts(facts_path) as stream:
            text = stream.read()
    except OSError as exc:
        raise PolicyDslError([Diagnostic(code="PD001", message=f"cannot read `{facts_path}`: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        text = "\udcff"
    if not_utf8(text):
        raise PolicyDslError([Diagnostic(code="PD401", message=f"`{name}` is not UTF-8 text",
                                         hint="save the facts as UTF-8")])
    try:
        batch = is_json_lines(name, text)
    except (ValueError, RecursionError):  # not JSON at all: load_json below says where
        batch = False
    if batch:
        raise PolicyDslError([Diagnostic(code="PD401", message=f"`{name}` holds JSON Lines (a batch)",
                                         hint=one_request)])
    source = Source(name, text)
    return load_json(text, source), source


def eval_partial(policy: PolicySet, facts_path: str, name: str, explain: bool, pretty: bool) -> int:
    from policydsl.diagnostics import PolicyDslError
    import json

    try:
        data, source = read_request(facts_path, name, "eval --partial")
        result = policy.partial(data, source)
    except PolicyDslError as exc:
        echo_diagnostics(list(exc.diagnostics))
        return ExitCode.ERROR
    errors = [d for d in result.diagnostics if d.is_error]
    if errors:  # outside the decidable fragment (PD523): nothing was decided
        echo_diagnostics(errors)
        return ExitCode.ERROR
    if explain:
        click.echo(result.to_text())
    else:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2 if pretty else None))
    return ExitCode.OK


# ---- why --------------------------------------------------------------------------------

@main.command("why")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--facts", "facts_path", required=True, type=click.Path(allow_dash=True),
              help="A facts JSON file (one complete request); - reads stdin.")
@click.option("--action", required=True, help="The action whose modality should change.")
@click.option("--modality", type=click.Choice(["must", "should", "may", "must_not"]),
              help="The modality the action should get (with --not: should lose).")
@click.option("--not", "negate", is_flag=True, help="The action should lose the modality (default: the one it has).")
@click.option("--baseline", type=click.Path(), help="Platform policy for a merchant file (default: by name).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--pretty", is_flag=True, help="Indent the JSON.")
def why_(files: tuple[str, ...], facts_path: str, action: str, modality: str | None, negate: bool,
         baseline: str | None, fmt: str, pretty: bool) -> None:
    """What would change it: the smallest changes to the facts (fewest facts changed; a timestamp
    moved to the nearest instant) under which ACTION gets MODALITY, or loses it with --not.
    Each alternative is a facts diff and the decision it gives, replayed through the evaluator.

    Exit 0 when a change is found (or none is needed), 1 when no change of facts gives it (or the
    search was cut short, PD521), 2 on errors.

    \b
    Example:
      policydsl why policies/platform/after_sales.policy --facts late.json --action accept_request --modality must
    """
    from policydsl.diagnostics import Diagnostic, PolicyDslError
    import json

    if modality is None and not negate:
        raise click.UsageError("say what to reach: --modality M, or --not (lose the modality it has now)")
    policy = load_policy(files, baseline)
    name = "<stdin>" if facts_path == "-" else facts_path

    def fail(diags: list[Diagnostic]) -> NoReturn:
        if fmt == "json":  # the errors in the JSON form too, so that a tool reads one format
            from policydsl.diagnostics import to_json_dict

            click.echo(json.dumps({"action": action, "status": "error",
                                   "diagnostics": [to_json_dict(d) for d in diags]},
                                  ensure_ascii=False, indent=2 if pretty else None))
        else:
            echo_diagnostics(diags)
        sys.exit(ExitCode.ERROR)

    try:
        data, source = read_request(facts_path, name, "why")
        result = policy.why(data, action, modality, negate=negate, source=source)
    except PolicyDslError as exc:
        fail(list(exc.diagnostics))
    errors = [d for d in result.diagnostics if d.is_error]
    if errors:  # outside the decidable fragment (PD523): nothing was decided
        fail(errors)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2 if pretty else None))
    else:
        click.echo(result.to_text())
    sys.exit(ExitCode.OK if result.found else ExitCode.VIOLATIONS)


def eval_lines(policy: PolicySet, stream: IO[bytes], name: str, workers: int = 1, *,
               total: int | None = None, quiet: bool = False, flush: bool = False) -> int:
    """Decide a JSON Lines batch to stdout. On a terminal (stderr a TTY, no `quiet`) a progress bar on
    stderr shows the bytes read against `total` (the file's size; None: unknown), the rate and the ETA.
    With `flush` (input from a pipe), each block's decisions are flushed as soon as they are written."""
    from policydsl.tools.batch import Counted, decide_stream

    failed = done = 0
    out = sys.stdout  # a block of lines at a time: click.echo would flush every decision of a large batch
    counted = Counted(stream)
    blocks = decide_stream(policy.backend, counted, name, workers)
    if quiet or not sys.stderr.isatty():
        for _, bad, text in blocks:
            failed += bad
            out.write(text)
            if flush:
                out.flush()
    else:
        started = time.monotonic()

        def rate(_: object) -> str:
            elapsed = time.monotonic() - started
            return f"{done} requests, {done / elapsed:,.0f}/s" if elapsed > 0 else f"{done} requests"

        with click.progressbar(length=total, iterable=None if total is not None else itertools.repeat(None),
                               label="deciding", file=sys.stderr, item_show_func=rate, show_eta=True,
                               show_percent=total is not None, width=24) as bar:
            seen = shown = 0
            for records, bad, text in blocks:
                failed += bad
                out.write(text)
                done += records
                if done - shown >= PROGRESS_EVERY:
                    bar.update(counted.consumed - seen)
                    seen, shown = counted.consumed, done
            bar.update(max(counted.consumed - seen, 0) if total is None else max(total - seen, 0))
    if failed:
        click.echo(f"{failed} line(s) of {name} were not valid facts (see the error records)", err=True)
    return ExitCode.ERROR if failed else ExitCode.OK


#: Decisions between two updates of the progress bar.
PROGRESS_EVERY = 500
