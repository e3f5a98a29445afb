"""Per-decision time of the baseline policy: compiled policydsl vs the reference interpreter vs
a hand-written Python function (the floor), on random valid requests.

    python bench/bench_eval.py [--n 100000] [--seed 20261126] [--repeats 3] [--batch-size 1000]

Not a test: nothing is asserted about speed. What happens, in one process:
1. N requests are drawn with a fixed seed (nested JSON-like dicts, docs/semantics.md §1): timestamps
   around the period boundaries (days 6–9 and 14–17 after signing, and one year after
   payment), at 00:00:00, 23:59:59 or any second, in +08:00 or Z form; nulls included.
2. Every engine's output is checked against the interpreter's on every request (untimed),
   so the timed code is known to produce the same decisions.
3. `--repeats` rounds; each times, back to back, every engine on all N requests, one call
   per request ("single") and in lists of --batch-size ("batch": a comprehension over each
   list, keeping its results, so the garbage collector has more to look at). Reported: the
   best round's µs per decision (the machine may be shared: noise only ever adds time), and
   its ratio to the hand-written function's best round in the same mode.

Modes: "flat" starts from validated flat facts (timestamps as integers) and ends with the
decision dict; "json" starts from the nested JSON-like dict and validates it on the way;
"text" starts from a JSON Lines line and ends with the output line (`policydsl eval`'s work).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.chdir(ROOT)  # the hand-written validator's fallback loads the baseline by relative path

import handwritten_baseline as hand  # noqa: E402

from policydsl import __version__  # noqa: E402
from policydsl.api import load  # noqa: E402
from policydsl.tools.batch import LineDecider, decide_stream  # noqa: E402
from policydsl.evaluate.decision import dumps  # noqa: E402
from policydsl.api import InterpreterBackend  # noqa: E402
from policydsl.evaluate.interpreter import evaluate  # noqa: E402

BASELINE = ROOT / "policies" / "platform" / "after_sales.policy"
CHINA = dt.timezone(dt.timedelta(hours=8))


def make_facts(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` valid requests (see the module docstring)."""
    rnd = random.Random(seed)

    def moment_of_day() -> dt.time:
        pick = rnd.random()
        if pick < 0.25:
            return dt.time(0, 0, 0)
        if pick < 0.5:
            return dt.time(23, 59, 59)
        return dt.time(rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))

    def text(moment: dt.datetime) -> str:
        if rnd.random() < 0.5:
            return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return moment.astimezone(CHINA).isoformat()

    out = []
    for _ in range(n):
        paid = dt.datetime.combine(dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randrange(3 * 365)), moment_of_day(),
                                   CHINA)
        signed = None if rnd.random() < 0.15 else paid + dt.timedelta(seconds=rnd.randrange(6 * 86400))
        pick = rnd.random()
        if pick < 0.7:
            day = (signed or paid).date() + dt.timedelta(days=rnd.choice([6, 7, 8, 9, 14, 15, 16, 17]))
            at = dt.datetime.combine(day, moment_of_day(), CHINA)
        elif pick < 0.8:
            at = paid + dt.timedelta(days=365, seconds=rnd.choice([-1, 0, 1]))
        else:
            at = paid + dt.timedelta(seconds=rnd.randrange(400 * 86400))
        at = max(at, paid)
        out.append({
            "order": {
                "category": rnd.choice(["fresh_food", "green_plants", "flowers", "apparel", "electronics",
                                        "home_appliances", "beauty", "books", "general"]),
                "paid_at": text(paid),
                "signed_at": None if signed is None else text(signed),
                "settled": rnd.random() < 0.8,
                "extensions_used": rnd.randrange(5),
                "sanbao_covered": rnd.random() < 0.3,
                "agreed_service_days": None if rnd.random() < 0.6 else rnd.choice([7, 10, 15, 16, 20, 30, 45]),
            },
            "request": {
                "at": text(at),
                "type": rnd.choice(["refund_only", "return_refund"]),
                "reason": rnd.choice(["no_reason", "quality"]),
                "product_used": rnd.random() < 0.5,
                "quality_issue": rnd.random() < 0.5,
                "damage_cause": rnd.choice(["none", "improper_storage", "courier", "man_made", "not_man_made",
                                            "unknown"]),
                "evidence": rnd.choice(["none", "provided", "verified", "refuted"]),
            },
            "negotiation": {"stage": rnd.choice(["open", "compensation_offered", "compensation_rejected", "agreed"])},
        })
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=1000)
    args = ap.parse_args()

    t0 = time.perf_counter()
    compiled_set = load(BASELINE)
    setup_compiled = time.perf_counter() - t0
    module = compiled_set.backend.module
    ps = compiled_set.ir
    interpreter = load(BASELINE, engine="interpreter")

    nested = make_facts(args.n, args.seed)
    flat = [interpreter.validate(f) for f in nested]
    lines = [json.dumps(f) for f in nested]
    compiled_lines = LineDecider(compiled_set.backend, "<bench>")
    interpreter_lines = LineDecider(InterpreterBackend(ps), "<bench>")

    engines: list[tuple[str, str, Callable[[Any], Any], list[Any]]] = [
        ("hand-written", "flat", hand.decide, flat),
        ("compiled", "flat", module.decide_validated, flat),
        ("interpreter", "flat", lambda f: evaluate(ps, f).to_dict(), flat),
        ("hand-written", "json", hand.decide_json, nested),
        ("compiled", "json", module.decide, nested),
        ("compiled, PolicySet.decide → Decision", "json", compiled_set.decide, nested),
        ("interpreter", "json", lambda f: interpreter.decide(f).to_dict(), nested),
        ("hand-written", "text", lambda line: dumps(hand.decide_json(json.loads(line))), lines),
        ("compiled (eval's line decider)", "text", lambda line: compiled_lines(0, line)[1], lines),
        ("interpreter (eval's line decider)", "text", lambda line: interpreter_lines(0, line)[1], lines),
    ]

    # ---- verification (untimed) ----
    expected = [evaluate(ps, f).to_dict() for f in flat]
    expected_text = [dumps(d) for d in expected]
    for name, mode, fn, inputs in engines:
        if name.startswith("interpreter"):
            continue
        got = [fn(x) for x in inputs]
        if "Decision" in name:
            got = [d.to_dict() for d in got]
        bad = sum(g != e for g, e in zip(got, expected_text if mode == "text" else expected))
        if bad:
            print(f"MISMATCH: {name} ({mode}) differs from the interpreter on {bad} of {args.n} requests")
            return 1
    scenarios: dict[str, int] = {}
    for d in expected:
        key = d["scenario"][-1] if d["scenario"] else "within a period"
        scenarios[key] = scenarios.get(key, 0) + 1

    # ---- timing ----
    size = args.batch_size
    rounds: list[dict[tuple[str, str, str], float]] = []
    for _ in range(args.repeats):
        r: dict[tuple[str, str, str], float] = {}
        for name, mode, fn, inputs in engines:
            start = time.perf_counter()
            for x in inputs:
                fn(x)
            r[name, mode, "single"] = time.perf_counter() - start
            parts = [inputs[i:i + size] for i in range(0, len(inputs), size)]
            start = time.perf_counter()
            for part in parts:
                [fn(x) for x in part]
            r[name, mode, "batch"] = time.perf_counter() - start
        rounds.append(r)

    def us(key: tuple[str, str, str]) -> float:
        return min(r[key] for r in rounds) / args.n * 1e6

    def ratio(key: tuple[str, str, str]) -> float:
        return us(key) / us(("hand-written", key[1], key[2]))

    print(f"policydsl {__version__}, Python {platform.python_version()} ({platform.machine()}, {os.cpu_count()} CPUs); "
          f"baseline policy {ps.name} {ps.version}")
    print(f"{args.n} requests (seed {args.seed}), best of {args.repeats} timed rounds, batches of {size}; load average "
          f"{os.getloadavg()[0]:.1f} at the end. All engines agreed with the interpreter on every request.")
    print("Scenario mix: " + ", ".join(f"{k} {v}" for k, v in sorted(scenarios.items())))
    print(f"Compiled engine setup (load, check, generate, compile; disk cache as configured): "
          f"{setup_compiled * 1e3:.0f} ms")
    print()
    print("| engine | input → output | single µs/decision | vs hand-written | batch µs/decision | vs hand-written |")
    print("|---|---|---:|---:|---:|---:|")
    modes = {"flat": "flat facts → dict", "json": "JSON-like dict → dict (validating)",
             "text": "JSON Lines line → output line"}
    for name, mode, _, _ in engines:
        single, batch = (name, mode, "single"), (name, mode, "batch")
        print(f"| {name} | {modes[mode]} | {us(single):.2f} | {ratio(single):.2f}x | {us(batch):.2f} | "
              f"{ratio(batch):.2f}x |")

    # ---- the line path against the JSON round trip; batch throughput; cold start ----
    floor = min(_timed(lambda: [json.dumps(json.loads(line)) for line in lines]) for _ in range(args.repeats))
    floor_us = floor / args.n * 1e6
    line_us = us(("compiled (eval's line decider)", "text", "single"))
    print()
    print(f"JSON round trip `json.dumps(json.loads(line))`: {floor_us:.2f} µs a line; eval's line path "
          f"{line_us:.2f} µs ({line_us / floor_us:.2f}x the round trip)")
    rates = batch_rates(compiled_set.backend, ("\n".join(lines) + "\n").encode(), args.n, args.repeats)
    for workers, rate in rates.items():
        print(f"batch (eval's decide_stream, compiled) with --workers {workers}: {rate:,.0f} lines/s"
              + (f" ({rate / rates[1]:.2f}x one process)" if workers > 1 else " (one process)"))
    ceiling = parallel_ceiling(compiled_set.backend, ("\n".join(lines) + "\n").encode(), args.repeats)
    print(f"the ceiling on this machine: each half of the batch decided in a pre-started process of its own, "
          f"{ceiling:.2f}x one process")
    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "policydsl", "--help"], check=True, capture_output=True)
        starts.append(time.perf_counter() - t0)
    print(f"cold start `python -m policydsl --help`: {min(starts) * 1e3:.0f} ms (best of 5)")
    decide_us = us(("compiled, PolicySet.decide → Decision", "json", "single"))
    hand_us = us(("hand-written", "json", "single"))
    print()
    print(f"Goals (issue 11), load average {os.getloadavg()[0]:.1f} now:")
    print(f"- line path ≤ 2.5x the JSON round trip: {line_us / floor_us:.2f}x ({line_us:.2f} µs vs {floor_us:.2f} µs)")
    print(f"- 2 workers ≥ 1.8x one: {rates[2] / rates[1]:.2f}x ({os.cpu_count()} CPUs; the machine allows "
          f"{ceiling:.2f}x)")
    print(f"- PolicySet.decide ≤ 1.5x the hand-written validation + decision: {decide_us / hand_us:.2f}x "
          f"({decide_us:.2f} µs vs {hand_us:.2f} µs)")
    return 0


def batch_rates(backend: Any, data: bytes, n: int, repeats: int) -> dict[int, float]:
    """Lines a second through `eval`'s batch path (blocks of the bytes in, output text out), in this
    process (1) and with 2 and one-per-CPU worker processes; the best of `repeats` rounds, which
    interleave the worker counts so that load changes hit all alike."""
    counts = sorted({1, 2, os.cpu_count() or 1})
    best: dict[int, float] = {}
    for _ in range(repeats):
        for workers in counts:
            seconds = _timed(lambda: sum(r for r, _, _ in decide_stream(backend, io.BytesIO(data), "<bench>", workers)))
            best[workers] = min(best.get(workers, seconds), seconds)
    return {workers: n / best[workers] for workers in counts}


_HALVES: dict[str, Any] = {}  # what a forked pool process decides: set before the pool starts


def _decide_half(index: int) -> int:
    backend, halves = _HALVES["backend"], _HALVES["halves"]
    return sum(r for r, _, _ in decide_stream(backend, io.BytesIO(halves[index]), "<bench>", 1))


def parallel_ceiling(backend: Any, data: bytes, repeats: int) -> float:
    """How much faster two processes can decide the batch than one on this machine, with nothing
    shared: each half of `data` decided in a process of its own (pre-started, so not counting
    start-up) against all of it in this one. 2.0 on two idle cores; less on a shared machine,
    on two hyperthreads of one core, or where the two contend for caches and memory. The best
    of `repeats` rounds of each."""
    import multiprocessing

    cut = data.index(b"\n", len(data) // 2) + 1
    _HALVES.update(backend=backend, halves=(data[:cut], data[cut:]))
    one = min(_timed(lambda: _decide_half(0) + _decide_half(1)) for _ in range(repeats))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        both = min(_timed(lambda: sum(pool.map(_decide_half, [0, 1]))) for _ in range(repeats))
    return one / both


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
