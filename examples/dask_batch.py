"""Decide a large JSON Lines data set on dask: the compiled policy mapped over partitions.

    .venv/bin/pip install -q ".[scaleout]"     # from a checkout: policydsl plus dask[bag]
    .venv/bin/python examples/dask_batch.py policies/merchants/bookshop.policy examples/facts/batch.jsonl -o decisions/

The inputs are a path or a glob (quote it: 'orders/*.jsonl'). The policy set is loaded,
checked and compiled once, on the client, into the standalone module `policydsl compile
--target python` writes. Each dask task receives that module's source text, runs it (it
needs only the standard library, so the workers do not need policydsl installed) and
decides every line of its partition into a file of its own: `00000.jsonl`, `00001.jsonl`,
… in the output directory. Input files are taken in sorted order and each is cut into
partitions of whole lines. Read in name order, the output files hold one line per
non-blank input line, in input order, as `policydsl eval --facts FILE` prints it: the
decision, byte for byte, or for a line that is not valid facts the error record
`{"line": N, "errors": [{"code", "message", "line", "column", "hint"}, …]}`, N being the
line's number in its input file (blank lines counted). Codes, messages and hints are
eval's; `column` is null except for JSON syntax errors, since the compiled module names
the bad fact but not where it sits in the line. A first, cheap pass counts the lines of
every partition so that each one knows the number of its first line.

Exit status, as for `policydsl eval`: 0 when every line was decided, 2 when some lines
were not valid facts (the batch still goes on; stderr says how many, per input file) or
when nothing could be run (no input matched, the policy does not load).

Work is spread over local processes by default (`--scheduler processes`); with a
`distributed.Client` connected, pass `scheduler=client` to `decide_files` to run on a
cluster (the output directory must then be one every worker can write).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
from dask.bytes import read_bytes

from policydsl.api import load_set
from policydsl.compile.codegen import generate_python
from policydsl.diagnostics import render_text, sorted_diagnostics

PROG = "dask_batch.py"
_MODULES: dict[str, dict[str, Any]] = {}  # per process: compiled policy modules by source hash


class BatchInputError(Exception):
    """Nothing could be decided: the policy set does not load, or the input cannot be read."""


@dataclass(frozen=True)
class BatchResult:
    files: list[Path]  # the output files, in order
    lines: int  # output lines written (one per non-blank input line)
    failed: dict[str, int]  # input file → lines that were not valid facts (only files with some)


def compile_policy(paths: list[str], baseline: str | None = None) -> str:
    """The standalone decision module of a policy set, as source text."""
    result = load_set(paths, baseline)
    errors = [d for d in result.diagnostics if d.is_error]
    if errors or result.policy_set is None:
        raise BatchInputError(render_text(sorted_diagnostics(errors or list(result.diagnostics)))
                              or "the policy set does not load")
    return generate_python(result.policy_set)


def _module(source: str) -> dict[str, Any]:
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    module = _MODULES.get(key)
    if module is None:
        module = _MODULES[key] = {"__name__": "policydsl_compiled"}
        exec(compile(source, "<policydsl:dask>", "exec"), module)  # the code policydsl compile writes
    return module


def decide_partition(lines: Iterable[str], source: str, first_line: int = 1) -> Iterator[tuple[bool, str]]:
    """(valid facts, output line) for every non-blank line of a partition whose first line is
    line `first_line` of its file."""
    module = _module(source)
    decide, facts_error = module["decide"], module["FactsError"]
    for number, line in enumerate(lines, start=first_line):
        if line.strip(" \t\r\n"):  # blank by JSON's definition only, as `policydsl eval` reads
            yield _decide_line(number, line, decide, facts_error)


def _decide_line(number: int, line: str, decide: Any, facts_error: type[Exception]) -> tuple[bool, str]:
    # Worded as policydsl.evaluate.facts.load_json and policydsl.tools.batch.error_record word it.
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return False, _error_line(number, [("PD401", f"facts are not valid JSON: {exc.msg}", exc.colno,
                                            "facts are one JSON object, or JSON Lines (one object a line)")])
    except RecursionError:
        return False, _error_line(number, [("PD401", "facts are not valid JSON: nested too deeply", None, None)])
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        return False, _error_line(number, [("PD401", f"facts are not valid JSON: {exc}", None, None)])
    try:
        return True, _dumps(decide(data))
    except facts_error as exc:  # the module names the fact, not where it sits in the line: no column
        return False, _error_line(number, [(e["code"], e["message"], None, e["hint"]) for e in exc.errors])


def _error_line(number: int, errors: list[tuple[str, str, int | None, str | None]]) -> str:
    return _dumps({"line": number, "errors": [{"code": code, "message": message, "line": number, "column": column,
                                               "hint": hint} for code, message, column, hint in errors]})


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))  # policydsl.evaluate.decision.dumps


def count_lines(block: bytes) -> int:
    """Lines in a block of whole lines: records end at `\\n` only (a lone `\\r` is JSON whitespace)."""
    return block.count(b"\n")


def write_partition(block: bytes, first_line: int, source: str, path: str) -> tuple[int, int]:
    """Decide one partition (whole lines, UTF-8) into one file; (lines written, lines not valid facts)."""
    written = failed = 0
    lines = io.TextIOWrapper(io.BytesIO(block), encoding="utf-8", newline="\n")  # as `policydsl eval` reads
    with open(path, "w", encoding="utf-8") as out:
        for ok, line in decide_partition(lines, source, first_line):
            out.write(line + "\n")
            written += 1
            failed += not ok
    return written, failed


def decide_files(source: str, inputs: str | list[str], output: str | Path, *, blocksize: str | int | None = "64MiB",
                 scheduler: Any = "processes") -> BatchResult:
    """Decide every line of `inputs` (paths or globs) into `output`/NNNNN.jsonl, one file per
    partition. Raises BatchInputError when the inputs cannot be found or split."""
    try:
        _, blocks, paths = read_bytes(inputs, delimiter=b"\n", blocksize=blocksize, sample=False, include_path=True)
    except (OSError, ValueError) as exc:  # nothing matched, unreadable, compressed with a blocksize
        raise BatchInputError(str(exc)) from None
    parts = [(path, block) for path, file_blocks in zip(paths, blocks) for block in file_blocks]
    counts = dask.compute(*(dask.delayed(count_lines)(block) for _, block in parts), scheduler=scheduler)
    firsts: list[int] = []
    for path, group in itertools.groupby(zip(parts, counts), key=lambda pc: pc[0][0]):
        start = 1
        for _, n in group:
            firsts.append(start)
            start += n
    Path(output).mkdir(parents=True, exist_ok=True)
    files = [Path(output) / f"{i:05d}.jsonl" for i in range(len(parts))]
    results = dask.compute(*(dask.delayed(write_partition)(block, first, source, str(out))
                             for (_, block), first, out in zip(parts, firsts, files)), scheduler=scheduler)
    failed: dict[str, int] = {}
    for (path, _), (_, bad) in zip(parts, results):
        if bad:
            failed[path] = failed.get(path, 0) + bad
    return BatchResult(files, sum(n for n, _ in results), failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("policies", nargs="+", help="policy files (a merchant file finds its baseline by name)")
    parser.add_argument("inputs", help="JSON Lines facts: a path or a glob")
    parser.add_argument("-o", "--output", required=True, help="directory for the decision files")
    parser.add_argument("--baseline", help="platform policy for a merchant file")
    parser.add_argument("--blocksize", default="64MiB", help="bytes per partition (default 64MiB)")
    parser.add_argument("--scheduler", default="processes", help="dask scheduler: processes (default), threads or "
                                                                  "synchronous")
    args = parser.parse_args(argv)
    try:
        result = decide_files(compile_policy(args.policies, args.baseline), args.inputs, args.output,
                              blocksize=args.blocksize, scheduler=args.scheduler)
    except BatchInputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"{PROG}: error: the input is not UTF-8 text ({exc.reason} at byte {exc.start} of a partition)",
              file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the output directory cannot be written
        where = f" `{exc.filename}`" if exc.filename else ""
        print(f"{PROG}: error: cannot read or write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path, bad in result.failed.items():
        print(f"{bad} line(s) of {path} were not valid facts (see the error records)", file=sys.stderr)
    print(f"wrote {len(result.files)} file(s) to {args.output} ({result.lines} line(s))", file=sys.stderr)
    return 2 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
