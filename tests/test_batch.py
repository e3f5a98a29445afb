"""Batch evaluation (`policydsl eval --facts X.jsonl [--workers N]`) and `policydsl compile`."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from typing import Any
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from policydsl import cli
from policydsl.cli import deciding
from policydsl.tools import batch
from policydsl.api import PolicyEvaluationError, load
from policydsl.evaluate.decision import dumps
from facts_strategies import BASE, requests_jsonl
from policy_sets import BASELINE, STINGY


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYDSL_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def stingy(tmp_path: Path) -> Path:
    path = tmp_path / "stingy.policy"
    path.write_text(STINGY, encoding="utf-8")
    return path


def run_eval(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("policy", ["baseline", "stingy"])
def test_workers_write_the_same_bytes(tmp_path: Path, stingy: Path, monkeypatch: pytest.MonkeyPatch,
                                      policy: str) -> None:
    monkeypatch.setattr(batch, "BLOCK_BYTES", 2000)  # many blocks, so order across workers matters
    facts = tmp_path / "orders.jsonl"
    text = requests_jsonl(300)
    facts.write_text(text, encoding="utf-8")
    path = str(BASELINE if policy == "baseline" else stingy)
    runs = [run_eval(path, "--facts", str(facts), "--workers", str(n)) for n in (1, 2, 3)]
    runs.append(run_eval(path, "--facts", str(facts), "--engine", "interpreter"))
    code, out, err = runs[0]
    assert all(r == runs[0] for r in runs), [r[0] for r in runs]
    assert code == 2 and "line(s) of" in err
    numbers = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    outputs = out.splitlines()
    assert len(outputs) == len(numbers)
    errors = [(n, json.loads(o)) for n, o in zip(numbers, outputs) if o.startswith('{"line"')]
    assert errors and all(record["line"] == n for n, record in errors)
    assert f"{len(errors)} line(s) of" in err
    good = next(o for o in outputs if not o.startswith('{"line"'))
    assert json.loads(good).keys() == {"scenario", "actions", "periods", "extension", "conflicts", "escalation",
                                            "overridden", "trace"}


def test_decisions_match_the_library(tmp_path: Path) -> None:
    text = requests_jsonl(60, seed=3)
    facts = tmp_path / "orders.jsonl"
    facts.write_text(text, encoding="utf-8")
    _, out, _ = run_eval(str(BASELINE), "--facts", str(facts))
    ps = load(BASELINE, engine="interpreter")
    for line, output in zip((t for t in text.splitlines() if t.strip()), out.splitlines()):
        try:
            expected = ps.decide_json(line).to_json()
        except Exception:  # noqa: BLE001 - an error record
            assert output.startswith('{"line"')
        else:
            assert output == expected


def test_json_lines_from_stdin_and_a_single_request(tmp_path: Path) -> None:
    lines = requests_jsonl(20)
    result = CliRunner().invoke(cli.main, ["eval", str(BASELINE), "--facts", "-", "--workers", "2"], input=lines)
    assert len(result.stdout.splitlines()) == sum(1 for t in lines.splitlines() if t.strip())
    single = tmp_path / "one.json"
    single.write_text(json.dumps(BASE), encoding="utf-8")
    outs = {run_eval(str(BASELINE), "--facts", str(single), "--engine", e)[1] for e in ("compiled", "interpreter")}
    assert len(outs) == 1 and json.loads(outs.pop())["scenario"] == ["S2", "S2.1"]


class Endless(io.RawIOBase):
    """A byte stream of the same request, line after line, for ever; `consumed` counts the bytes read."""

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        data = (self.line * (size // len(self.line) + 2))[self.consumed % len(self.line):][:size]
        buffer[:size] = data
        self.consumed += size
        return size


def test_streaming_reads_only_ahead_of_what_it_writes() -> None:
    """Constant memory: an endless input is decided lazily, with any number of workers; what is read
    ahead of the output is bounded by the blocks the workers hold."""
    from policydsl.tools import workers as pool

    backend = load(BASELINE).backend
    line = json.dumps(BASE).encode() + b"\n"
    for workers in (1, 2):
        stream = Endless(line)
        blocks = batch.decide_stream(backend, stream, "<endless>", workers)
        decided = written = 0
        while decided < 600:
            records, failed, text = next(blocks)
            assert failed == 0 and text.count("\n") == records
            decided += records
            written += records * len(line)
        blocks.close()
        ahead = (workers * pool.AHEAD + 1 if workers > 1 else 1) * batch.BLOCK_BYTES
        assert stream.consumed <= written + ahead


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal a progress bar (bytes read against the file's size, percent, rate; click adds the
    ETA once a second has passed) goes to stderr; a pipe, or -q, gets nothing; the decisions on stdout
    are the same either way."""
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    policy = load(BASELINE)
    data = (json.dumps(BASE) + "\n").encode() * 2500
    size = len(data)
    outputs = []
    for stream, total, quiet in ((Terminal(), size, False), (Terminal(), None, False), (io.StringIO(), size, False),
                                 (Terminal(), size, True)):
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setattr(sys, "stdout", io.StringIO())
        assert deciding.eval_lines(policy, io.BytesIO(data), "<test>", total=total, quiet=quiet) == cli.ExitCode.OK
        outputs.append(sys.stdout.getvalue())
        shown = stream.getvalue()
        if isinstance(stream, Terminal) and not quiet:
            assert shown.endswith("\x1b[?25h\n")  # the cursor, hidden while drawing, is shown again
            frames = [f.strip() for f in shown.replace("\x1b[?25l", "").replace("\x1b[?25h", "").split("\r")
                      if f.strip()]
            assert len(frames) >= 2500 // deciding.PROGRESS_EVERY  # redrawn as the batch goes on
            last = frames[-1].rstrip("\n")
            assert re.fullmatch(r"deciding  \[[#-]{24}\]  " + (r"100%  " if total else "") +
                                r"2500 requests, [\d,]+/s", last), last
            assert "[" + "#" * 24 + "]" in last or total is None
            assert frames[0].startswith("deciding  [" + "-" * 24 + "]")  # drawn before the first decision
        else:
            assert shown == ""
    assert len(outputs[0].splitlines()) == 2500 and len(set(outputs)) == 1


def test_quiet_flag_of_eval(tmp_path: Path) -> None:
    """`eval -q` decides the same batch; off a terminal there is no progress either way."""
    facts = tmp_path / "batch.jsonl"
    facts.write_text("".join(json.dumps(BASE) + "\n" for _ in range(3)), encoding="utf-8")
    loud = CliRunner().invoke(cli.main, ["eval", str(BASELINE), "--facts", str(facts)])
    quiet = CliRunner().invoke(cli.main, ["eval", str(BASELINE), "--facts", str(facts), "-q"])
    assert loud.exit_code == quiet.exit_code == 0
    assert loud.stdout == quiet.stdout and len(quiet.stdout.splitlines()) == 3
    assert loud.stderr == quiet.stderr == ""


def test_compile_python_target(tmp_path: Path) -> None:
    out = tmp_path / "after_sales_policy.py"
    result = CliRunner().invoke(cli.main, ["compile", str(BASELINE), "--target", "python", "-o", str(out)])
    assert result.exit_code == 0, result.output
    spec = importlib.util.spec_from_file_location("after_sales_policy", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert dumps(module.decide(BASE)) == load(BASELINE, engine="interpreter").decide(BASE).to_json()
    printed = CliRunner().invoke(cli.main, ["compile", str(BASELINE)])
    assert printed.stdout == out.read_text(encoding="utf-8")


def test_compile_reports_unwritable_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["compile", str(BASELINE), "-o", str(tmp_path / "missing" / "x.py")])
    assert result.exit_code == 2 and "PD001" in result.stderr


def test_compile_reports_policy_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text('platform policy "x" version "1"\nrule r when nope then must x\n', encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["compile", str(bad)])
    assert result.exit_code == 2 and "error[PD" in result.stderr


@pytest.mark.parametrize("flag", ["--explain", "--pretty"])
def test_single_request_flags_on_a_json_lines_file_are_a_usage_error(tmp_path: Path, flag: str) -> None:
    """--explain and --pretty shape one decision; a batch prints one JSON line each, so they are
    rejected (exit 2, saying why), not silently ignored."""
    facts = tmp_path / "orders.jsonl"
    facts.write_text(requests_jsonl(5), encoding="utf-8")
    code, out, err = run_eval(str(BASELINE), "--facts", str(facts), flag)
    assert code == 2 and out == ""
    assert f"Error: {flag} " in err and f"`{facts}` is JSON Lines" in err and f"drop {flag}" in err


@pytest.mark.parametrize("flag", ["--explain", "--pretty"])
def test_single_request_flags_on_json_lines_from_stdin_are_a_usage_error(flag: str) -> None:
    result = CliRunner().invoke(cli.main, ["eval", str(BASELINE), "--facts", "-", flag], input=requests_jsonl(5))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"Error: {flag} " in result.stderr and "`<stdin>` is JSON Lines" in result.stderr


def test_explain_and_pretty_still_work_on_one_request(tmp_path: Path) -> None:
    single = tmp_path / "one.json"
    single.write_text(json.dumps(BASE), encoding="utf-8")
    code, out, _ = run_eval(str(BASELINE), "--facts", str(single), "--explain")
    assert code == 0 and out.startswith("Scenario: ")
    code, out, _ = run_eval(str(BASELINE), "--facts", str(single), "--pretty")
    assert code == 0 and out.startswith("{\n  ")


def test_an_error_record_gives_the_column_of_the_bad_value(tmp_path: Path) -> None:
    facts = tmp_path / "orders.jsonl"
    line = json.dumps({**BASE, "order": {**BASE["order"], "category": "fruit"}})
    facts.write_text(json.dumps(BASE) + "\n" + line + "\n", encoding="utf-8")
    code, out, _ = run_eval(str(BASELINE), "--facts", str(facts))
    assert code == 2
    record = json.loads(out.splitlines()[1])
    error, = record["errors"]
    assert (record["line"], error["code"], error["line"]) == (2, "PD405", 2)
    assert error["column"] == line.index('"fruit"') + 1


# ---- bytes that are not UTF-8, and lone surrogates (from a review of the engines) -------------------

def test_a_line_that_is_not_utf8_is_one_error_record(tmp_path: Path) -> None:
    """One bad line used to end the batch (and lose the lines decoded ahead of it)."""
    good = [line for line in requests_jsonl(40, seed=11).splitlines() if line.strip()]
    lines = [line.encode("utf-8") for line in good]
    lines.insert(20, b'{"order": {"category": "\xff"}}')
    facts = tmp_path / "orders.jsonl"
    facts.write_bytes(b"\n".join(lines) + b"\n")
    runs = [run_eval(str(BASELINE), "--facts", str(facts), "--workers", str(n)) for n in (1, 3)]
    stdin = CliRunner().invoke(cli.main, ["eval", str(BASELINE), "--facts", "-"], input=facts.read_bytes())
    assert runs[0] == runs[1] and stdin.stdout == runs[0][1]
    code, out, _ = runs[0]
    outputs = out.splitlines()
    assert code == 2 and len(outputs) == len(lines)
    assert json.loads(outputs[20]) == {"line": 21, "errors": [{
        "code": "PD401", "message": "line 21 is not UTF-8 text", "line": 21, "column": None,
        "hint": "save the facts as UTF-8"}]}


def test_a_lone_surrogate_escape_is_echoed_as_an_escape(tmp_path: Path) -> None:
    """`"\\ud800"` is valid JSON syntax; echoing it raw made the output line unencodable and
    ended the batch with an internal error."""
    line = json.dumps(BASE).replace('"general"', '"gen\\ud800"', 1)
    facts = tmp_path / "orders.jsonl"
    facts.write_text(json.dumps(BASE) + "\n" + line + "\n" + json.dumps(BASE) + "\n", encoding="utf-8")
    code, out, _ = run_eval(str(BASELINE), "--facts", str(facts))
    outputs = out.splitlines()
    assert code == 2 and len(outputs) == 3
    assert "\\ud800" in outputs[1] and json.loads(outputs[1])["errors"][0]["code"] == "PD405"
    out.encode("utf-8")  # the whole output is valid UTF-8


# ---- records are lines split on `\n` only; blank means JSON whitespace only -------------------------

ODD_BLANKS = ["", " ", "\t", "\r", " \r\t "]  # blank by JSON's definition: skipped, no output line
ODD_CONTENT = ["\u3000", "\x0c", "\x1f", "\u2028", "\x85", "\u00a0", "\v"]  # not JSON: one error record each


def _good_line(draw: st.DrawFn) -> str:
    """A valid request, sometimes with a lone `\r` (JSON whitespace) between its tokens."""
    text = json.dumps(BASE, ensure_ascii=False)
    if draw(st.booleans()):
        at = draw(st.sampled_from([i for i, c in enumerate(text) if c == ","]))
        text = text[:at + 1] + "\r" + text[at + 1:]
    return text


@st.composite
def interleavings(draw: st.DrawFn) -> list[tuple[str, str]]:
    """(kind, line) with kind "good", "bad" or "blank", in a random order."""
    out = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["good", "bad", "blank"]))
        if kind == "good":
            out.append((kind, _good_line(draw)))
        elif kind == "bad":
            out.append((kind, draw(st.sampled_from(ODD_CONTENT + ['{"order": ', "[1]", "nul"]))))
        else:
            out.append((kind, draw(st.sampled_from(ODD_BLANKS))))
    return out


def decided_lines(backend: Any, data: bytes, workers: int) -> tuple[list[str], int]:
    """The output lines of `eval`'s batch path on `data`, and how many were error records."""
    blocks = list(batch.decide_stream(backend, io.BytesIO(data), "<x>", workers))
    text = "".join(t for _, _, t in blocks)
    assert text.count("\n") == sum(r for r, _, _ in blocks)
    return text.splitlines(), sum(f for _, f, _ in blocks)


@pytest.mark.parametrize("workers", [1, 2])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=interleavings(), crlf=st.booleans(), block=st.sampled_from([1, 40, 1 << 15]))
def test_one_output_line_per_record_whatever_the_whitespace(workers: int, lines: list[tuple[str, str]], crlf: bool,
                                                            block: int) -> None:
    """Every line that is not blank by JSON's definition gets exactly one output line, with its
    own line number: a lone `\r` inside a record does not split it, and U+3000, U+2028, a form
    feed or \x1f alone are error records, not silently dropped lines. Blocks of 1 byte (a line
    each) and of 40 bytes put the lines in several blocks, dealt to the workers."""
    end = "\r\n" if crlf else "\n"
    data = end.join(text for _, text in lines).encode("utf-8") + end.encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "BLOCK_BYTES", block)
        got, failed = decided_lines(load(BASELINE).backend, data, workers)
    wanted = [(number, kind) for number, (kind, _) in enumerate(lines, start=1) if kind != "blank"]
    assert len(got) == len(wanted)
    assert failed == sum(kind == "bad" for _, kind in wanted)
    for out, (number, kind) in zip(got, wanted):
        record = json.loads(out)
        assert ("errors" not in record) is (kind == "good"), (number, out)
        if kind != "good":
            assert record["line"] == number


def test_read_blocks_cuts_whole_lines_and_numbers_them() -> None:
    """Blocks join to the input, end at a line's end (but the last), and know their first line's number."""
    @settings(max_examples=300, deadline=None)
    @given(data=st.lists(st.sampled_from([b"a", b"\xe4\xb8\xad", b"\n", b"\r", b" "]), max_size=60).map(b"".join),
           size=st.integers(1, 12))
    def check(data: bytes, size: int) -> None:
        blocks = list(batch.read_blocks(io.BytesIO(data), size))
        assert b"".join(b for _, b in blocks) == data
        at = 0
        for i, (first, block) in enumerate(blocks):
            assert block and (block.endswith(b"\n") or i == len(blocks) - 1)
            assert first == data[:at].count(b"\n") + 1
            at += len(block)
    check()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_under_every_start_method_write_what_one_worker_writes(method: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked worker inherits the decider; a spawned one rebuilds it from the JSON IR. Both
    give one process's lines, in order, error records included."""
    import multiprocessing

    real_get_context = multiprocessing.get_context
    monkeypatch.setattr(batch, "BLOCK_BYTES", 100)
    monkeypatch.setattr(multiprocessing, "get_context", lambda *_: real_get_context(method))
    backend = load(BASELINE).backend
    data = "".join((json.dumps(BASE) if n % 4 else "{not json") + "\n" for n in range(1, 24)).encode()
    one = decided_lines(backend, data, 1)
    terminated: list[object] = []
    process_type = type(real_get_context(method).Process())
    monkeypatch.setattr(process_type, "terminate", lambda self: terminated.append(self))
    assert decided_lines(backend, data, 2) == one
    assert one[1] == 5
    # Every worker ended by itself when its pipe closed; none had to be terminated (a forked
    # worker that kept the parent's end of its pipe open never saw the end of its input).
    assert terminated == []


def test_a_line_longer_than_a_pipe_holds_is_dealt_without_deadlock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line longer than a worker's pipe holds is sent only once the worker has replied to what it
    held: otherwise this process waits on a full pipe of lines while the worker waits on a full
    pipe of results. Tried with pipes left at the system's size (64 KiB on Linux), believed to hold
    4 KiB, blocks of ~50 requests (their results outgrow a pipe) and a line of 2 MiB of trailing
    whitespace (valid JSON) in the middle."""
    from policydsl.tools import workers as pool

    monkeypatch.setattr(batch, "BLOCK_BYTES", 1 << 14)
    monkeypatch.setattr(pool, "_enlarge", lambda end: pool.PIPE_BYTES_UNKNOWN)
    backend = load(BASELINE).backend
    line = json.dumps(BASE)
    lines = [line] * 600
    lines[170] = line + " " * (2 << 20)
    lines[300] = "{not json" + " " * (1 << 20)
    data = "\n".join(lines).encode() + b"\n"
    assert decided_lines(backend, data, 2) == decided_lines(backend, data, 1)


def test_an_engine_failure_in_a_worker_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in an engine is not swallowed by a worker process: the caller gets the exception (the
    engine here fails in the worker processes only, not in this one, which decides blocks too)."""
    import os

    backend = load(BASELINE).backend
    here = os.getpid()
    real = backend.decision_text

    def broken(flat: object) -> str:
        if os.getpid() != here:
            raise PolicyEvaluationError("compiled code for rule x failed: boom")
        return real(flat)

    monkeypatch.setattr(batch, "BLOCK_BYTES", 100)
    monkeypatch.setattr(backend, "decision_text", broken)
    monkeypatch.setattr(backend, "decide_text_fast", lambda data, text=None: None)  # always the long way
    with pytest.raises(PolicyEvaluationError, match="boom"):
        decided_lines(backend, (json.dumps(BASE) + "\n").encode() * 12, 2)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_lines_before_an_engine_failure_are_written(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """An engine that fails on line 38 (in whatever process decides it): the 37 decisions before it
    come out, in order, then the exception, as deciding line by line would give them."""
    backend = load(BASELINE).backend
    real_fast = backend.decide_text_fast

    def fast(data: object, text: str | None = None) -> str | None:
        return None if text is not None and text.endswith("\t\t\t\n") else real_fast(data, text)

    def broken(flat: object) -> str:
        raise PolicyEvaluationError("compiled code for rule x failed: boom")

    monkeypatch.setattr(batch, "BLOCK_BYTES", 1000)
    monkeypatch.setattr(backend, "decide_text_fast", fast)  # the marked line takes the long way …
    monkeypatch.setattr(backend, "decision_text", broken)  # … where the engine fails
    lines = [json.dumps(BASE)] * 60
    lines[37] += "\t\t\t"
    data = "\n".join(lines).encode() + b"\n"
    written: list[str] = []
    with pytest.raises(PolicyEvaluationError, match="boom"):
        for _, _, text in batch.decide_stream(backend, io.BytesIO(data), "<x>", workers):
            written += text.splitlines()
    assert written == [real_fast(json.loads(lines[0]), lines[0] + "\n")] * 37


def _with_key_twice(facts: dict, path: tuple[str, ...], first: object) -> str:
    """The JSON text of `facts` with the key at `path` given twice: `first`, then the real value."""
    text = json.dumps(facts, ensure_ascii=False)
    *groups, leaf = path
    value = facts
    for g in groups:
        value = value[g]
    old = f"{json.dumps(leaf)}: {json.dumps(value[leaf], ensure_ascii=False)}"
    assert text.count(old) == 1
    return text.replace(old, f"{json.dumps(leaf)}: {json.dumps(first)}, {old}")


@pytest.mark.parametrize("first", ["same", None, {"a": "1:2"}, "x\\u0041:"])
def test_a_key_given_twice_is_an_error_record_on_every_path(first: object) -> None:
    """The line path reads JSON with a decoder that keeps the last copy of a key, and counts
    colons to notice a copy: every key given twice, anywhere, is still PD409, and a line
    with escapes (where counting is not exact) decides exactly as without them."""
    decide = batch.LineDecider(load(BASELINE).backend, "<x>")
    paths = [(group, key) for group, facts in BASE.items() for key in facts] + [(group,) for group in BASE]
    for path in paths:
        value = BASE
        for p in path:
            value = value[p]
        text = _with_key_twice(BASE, path, value if first == "same" else first)
        ok, line = decide(7, text)
        assert not ok and json.loads(line)["errors"][0]["code"] == "PD409", (path, line)
    plain = json.dumps(BASE)
    escaped = plain.replace('"request"', '"\\u0072equest"')
    assert escaped != plain and decide(1, escaped) == decide(1, plain) == (True, dumps(load(BASELINE).decide(BASE)
                                                                                       .to_dict()))


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_is_decided_as_its_lines_come(tmp_path: Path) -> None:
    """A client that writes one request into a named pipe and waits, keeping the pipe open, gets its
    decision then, not when 32 KiB have come or the pipe is closed (reads take what has arrived, the
    output is flushed a block at a time, and the default is one process for a pipe)."""
    import os
    import select
    import subprocess

    fifo = tmp_path / "requests.jsonl"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "policydsl", "eval", str(BASELINE), "--facts", str(fifo)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with open(fifo, "w", encoding="utf-8") as client:
            client.write(json.dumps(BASE) + "\n")
            client.flush()
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, "no decision while the pipe stayed open"
            first = process.stdout.readline()
            assert json.loads(first)["scenario"] == ["S2", "S2.1"]
            client.write("{not json\n")
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 2 and json.loads(out)["line"] == 2, err


def test_a_lone_surrogate_read_from_a_text_only_stdin_is_an_error_record() -> None:
    """Text from a stdin that has no bytes underneath (an embedding program's StringIO) may hold a
    lone surrogate no byte stands for: its line becomes a PD401 record, the other lines are decided."""
    text = json.dumps(BASE) + "\n" + '{"order": "\ud800"}\n'
    lines, failed = decided_lines(load(BASELINE).backend, batch.as_bytes(text), 1)
    assert failed == 1 and json.loads(lines[0])["scenario"] == ["S2", "S2.1"]
    assert json.loads(lines[1])["errors"][0]["code"] == "PD401"
