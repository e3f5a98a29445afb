"""Parse and parse+check throughput of the language front end.

Replicates the rule section of the shipped baseline (policies/platform/after_sales.policy),
renaming each copy's rules, until the file has about --lines source lines; the result still
analyses without a diagnostic. Times `policydsl.syntax.parse` alone and parse + semantic
analysis (`policydsl.semantics.analyze`, names, types and lowering to IR), and prints source
lines per second, the median of --runs runs (the parser is built once before timing).

    python bench/bench_parse.py [--lines 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from policydsl.semantics import analyze  # noqa: E402
from policydsl.syntax import parse, parser  # noqa: E402

BASELINE = ROOT / "policies" / "platform" / "after_sales.policy"
RULES_START = "# ---- within the period"
RULES_END = "# ---- in-file tests"


def replicated(target_lines: int) -> tuple[str, int]:
    """The baseline with its rule section repeated (rules renamed `NAME_cK`) to ~target_lines lines."""
    text = BASELINE.read_text(encoding="utf-8")
    start, end = text.index(RULES_START), text.index(RULES_END)
    head, rules, tail = text[:start], text[start:end], text[end:]
    fixed = head.count("\n") + tail.count("\n")
    per_copy = rules.count("\n")
    copies = max(1, round((target_lines - fixed) / per_copy))
    body = "".join(re.sub(r"^rule (\w+)", rf"rule \1_c{k}", rules, flags=re.MULTILINE) for k in range(copies))
    return head + body + tail, copies


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=10_000, help="approximate size of the replicated file")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per stage (the median is reported)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    parser()
    build = time.perf_counter() - t0

    original = BASELINE.read_text(encoding="utf-8")
    big, copies = replicated(args.lines)
    n_rules = len(re.findall(r"^rule ", big, flags=re.MULTILINE))

    result = parse(big, "replicated.policy")
    assert not result.diagnostics, result.diagnostics[:3]
    analysis = analyze(result.policy)
    assert not analysis.diagnostics, analysis.diagnostics[:3]
    assert len(analysis.policy_set.rules) == n_rules

    def parse_only(text: str):
        return lambda: parse(text, "bench.policy")

    def parse_check(text: str):
        return lambda: analyze(parse(text, "bench.policy").policy)

    rows = []
    for label, text in (("baseline", original), (f"replicated ×{copies}", big)):
        lines = text.count("\n")
        for stage, fn in (("parse", parse_only(text)), ("parse+check", parse_check(text))):
            seconds = median_seconds(fn, args.runs)
            rows.append((label, stage, lines, seconds, lines / seconds))

    print(f"policydsl front-end throughput (Python {sys.version.split()[0]}, median of {args.runs} runs; "
          f"parser built once in {build * 1000:.0f} ms)")
    print(f"replicated file: {big.count(chr(10)):,} lines, {n_rules:,} rules, analyses cleanly")
    print()
    print(f"{'input':<18} {'stage':<12} {'lines':>8} {'median':>10} {'lines/s':>10}")
    print(f"{'-' * 18} {'-' * 12} {'-' * 8} {'-' * 10} {'-' * 10}")
    for label, stage, lines, seconds, rate in rows:
        print(f"{label:<18} {stage:<12} {lines:>8,} {seconds * 1000:>8.1f}ms {rate:>10,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
