"""Decide a large JSON Lines data set on dask: the compiled policy mapped over partitions.

    pip install ".[scaleout]"                  # from a checkout: policydsl plus dask[bag]
    python examples/dask_batch.py policies/merchants/bookshop.policy 'orders/*.jsonl' -o decisions/

The policy set is loaded, checked and compiled once, on the client, into the standalone
module `policydsl compile --target python` writes. Each dask task receives that module's
source text, runs it (it needs only the standard library, so the workers do not need
policydsl installed) and decides every line of its partition into a file of its own:
`00000.jsonl`, `00001.jsonl`, … in the output directory. Read in name order, the files
hold one line per non-blank input line, in input order: the decision exactly as
`policydsl eval` prints it or, for a line that is not valid facts,
`{"errors": [{"code", "message", "fact", "hint"}, …]}` (the PD4xx checks of `eval`,
without the line and column a partition does not know).

Work is spread over local processes by default (`--scheduler processes`); with a
`distributed.Client` connected, pass `scheduler=client` to `decide_files` to run on a
cluster (the output directory must then be one every worker can write).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import dask
import dask.bag as db

from policydsl.api import load_set
from policydsl.codegen import generate_python

_MODULES: dict[str, dict[str, Any]] = {}  # per process: compiled policy modules by source hash


def compile_policy(paths: list[str], baseline: str | None = None) -> str:
    """The standalone decision module of a policy set, as source text."""
    result = load_set(paths, baseline)
    errors = [d.message for d in result.diagnostics if d.is_error]
    if errors or result.policy_set is None:
        raise SystemExit("the policy set does not load: " + "; ".join(errors))
    return generate_python(result.policy_set)


def _module(source: str) -> dict[str, Any]:
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    module = _MODULES.get(key)
    if module is None:
        module = _MODULES[key] = {"__name__": "policydsl_compiled"}
        exec(compile(source, "<policydsl:dask>", "exec"), module)  # the code policydsl compile writes
    return module


def decide_partition(lines: Iterable[str], source: str) -> Iterator[str]:
    """One output line per non-blank input line of a partition."""
    module = _module(source)
    decide, facts_error = module["decide"], module["FactsError"]
    for line in lines:
        if line.strip():
            yield _decide_line(line, decide, facts_error)


def _decide_line(line: str, decide: Any, facts_error: type[Exception]) -> str:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:  # worded as policydsl.facts.load_json words it
        why = (exc.msg if isinstance(exc, json.JSONDecodeError) else
               "nested too deeply" if isinstance(exc, RecursionError) else str(exc))
        return _dumps({"errors": [{"code": "PD401", "message": f"facts are not valid JSON: {why}", "fact": None,
                                   "hint": None}]})
    try:
        return _dumps(decide(data))
    except facts_error as exc:
        return _dumps({"errors": exc.errors})


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))  # policydsl.decision.dumps


def write_partition(lines: Iterable[str], source: str, path: str) -> int:
    """Decide one partition into one file; the number of lines written."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for line in decide_partition(lines, source):
            out.write(line + "\n")
            count += 1
    return count


def decide_files(source: str, inputs: str | list[str], output: str | Path, *, blocksize: str | int | None = "64MiB",
                 scheduler: Any = "processes") -> list[Path]:
    """Decide every line of `inputs` (paths or globs) into `output`/NNNNN.jsonl, one file per
    partition; the files, in order."""
    parts = db.read_text(inputs, blocksize=blocksize, encoding="utf-8").to_delayed()
    Path(output).mkdir(parents=True, exist_ok=True)
    paths = [Path(output) / f"{i:05d}.jsonl" for i in range(len(parts))]
    dask.compute(*(dask.delayed(write_partition)(part, source, str(path)) for part, path in zip(parts, paths)),
                 scheduler=scheduler)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policies", nargs="+", help="policy files (a merchant file finds its baseline by name)")
    parser.add_argument("inputs", help="JSON Lines facts: a path or a glob")
    parser.add_argument("-o", "--output", required=True, help="directory for the decision files")
    parser.add_argument("--baseline", help="platform policy for a merchant file")
    parser.add_argument("--blocksize", default="64MiB", help="bytes per partition (default 64MiB)")
    parser.add_argument("--scheduler", default="processes", help="dask scheduler: processes (default), threads or "
                                                                  "synchronous")
    args = parser.parse_args(argv)
    written = decide_files(compile_policy(args.policies, args.baseline), args.inputs, args.output,
                           blocksize=args.blocksize, scheduler=args.scheduler)
    print(f"wrote {len(written)} file(s) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
