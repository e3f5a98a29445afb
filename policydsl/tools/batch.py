"""Facts input for `eval`: one JSON object, or JSON Lines streamed one request a line.

Each record becomes one output line, in input order: a decision, or an error record
`{"line": N, "errors": [...]}`; a bad line never stops the batch. With several workers,
chunks of lines are decided in worker processes, each rebuilding the engine from the
policy set's JSON IR; only a few chunks per worker are in flight at once, so memory stays
constant however long the input, and results are written in input order, byte for byte
what one worker writes.
"""

from __future__ import annotations

import array
import contextlib
import io
import itertools
import json
import multiprocessing
import re
import sys
from contextlib import AbstractContextManager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from collections import deque
from collections.abc import Iterable, Iterator
from typing import IO, Any

from policydsl.evaluate.decision import dumps
from policydsl.diagnostics import Diagnostic, PolicyDslError
from policydsl.api import Backend, make_backend
from policydsl.evaluate.facts import load_json, scan_strict
from policydsl.ir.jsonform import from_json, to_json
from policydsl.source import Source

CHUNK_LINES = 256  # lines sent to a worker at a time
CHUNKS_AHEAD = 1  # chunks in flight per worker (see _decide_in_workers)

Numbered = tuple[int, str]  # (line number, text)
Result = tuple[bool, str]  # (valid facts, output line)


def named_json_lines(path: str) -> bool:
    """The file's name says JSON Lines (`.jsonl`, `.ndjson`): it is streamed line by line."""
    return path.endswith((".jsonl", ".ndjson"))


def open_facts(path: str) -> AbstractContextManager[IO[str]]:
    """The facts file, or stdin for `-`, as text. Bytes that are not UTF-8 are kept as raw
    surrogates (see `not_utf8`), so that one bad line of a batch becomes that line's error
    record; a stdin that cannot be reconfigured so raises UnicodeDecodeError on such bytes.
    Records are split on `\n` only: a lone `\r` inside a record is JSON whitespace."""
    if path == "-":
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(encoding="utf-8", errors="surrogateescape", newline="\n")
        return contextlib.nullcontext(sys.stdin)
    return open(path, encoding="utf-8", errors="surrogateescape", newline="\n")


def is_json_lines(path: str, head: str) -> bool:
    """JSON Lines when the file says so by name, or when its text holds more than one JSON value."""
    if named_json_lines(path):
        return True
    try:
        json.loads(head)
        return False
    except json.JSONDecodeError as exc:
        return exc.msg == "Extra data"


# Raw surrogates in text decoded with "surrogateescape" stand for bytes that are not UTF-8;
# in a parsed value they come from a lone `\ud800` escape, which no UTF-8 stream can carry.
_SURROGATE = re.compile("[\ud800-\udfff]")


def not_utf8(text: str) -> bool:
    """The text, read with errors="surrogateescape" (as `eval` reads facts, so that one bad
    line of a batch becomes that line's error record instead of ending the batch), held
    bytes that are not UTF-8."""
    return not text.isascii() and _SURROGATE.search(text) is not None


#: The whitespace JSON allows between tokens; a line of nothing else is blank (RFC 8259).
JSON_WHITESPACE = " \t\r\n"


def iter_lines(stream: IO[str]) -> Iterator[Numbered]:
    """(line number, text) for every line that is not blank by JSON's definition, read lazily.
    `stream` must split lines on `\n` only (`open_facts`, or `io.StringIO`); any other content,
    even U+3000 or a form feed alone, is a record (and, not being JSON, an error record)."""
    for number, line in enumerate(stream, start=1):
        if line.strip(JSON_WHITESPACE):
            yield number, line


class Metered:
    """The records of `lines`, counting the UTF-8 bytes handed on (`consumed`): a batch's progress
    against the size of its file."""

    def __init__(self, lines: Iterable[Numbered]) -> None:
        self._lines = lines
        self.consumed = 0

    def __iter__(self) -> Iterator[Numbered]:
        for number, text in self._lines:
            try:
                self.consumed += len(text.encode("utf-8", "surrogateescape"))
            except UnicodeEncodeError:  # a surrogate that came from no byte: count characters
                self.consumed += len(text)
            yield number, text


class LineDecider:
    """Turns one JSON Lines record into its output line with one backend."""

    def __init__(self, backend: Backend, name: str) -> None:
        self.backend = backend
        self.name = name
        self._validate_fast = backend.validate_fast
        self._decision_text = backend.decision_text

    def __call__(self, number: int, text: str) -> Result:
        # The usual line: valid facts of the usual shape, read by the strict decoder (a key given
        # twice makes an object that is no plain dict, which `validate_fast` declines).
        if text.isascii() or _SURROGATE.search(text) is None:
            try:
                data, end = scan_strict(text, 0)  # one JSON value at the start of the line: what follows is checked
                flat = self._validate_fast(data) if end == len(text) or not text[end:].strip(JSON_WHITESPACE) else None
            except (StopIteration, ValueError, RecursionError):  # not JSON, or not the usual shape: diagnosed below
                flat = None
            if flat is not None:
                return True, self._decision_text(flat)
        return self.diagnose(number, text)

    def diagnose(self, number: int, text: str) -> Result:
        """The output line, the long way: every problem of a bad line becomes its error record."""
        if not_utf8(text):
            return False, dumps({"line": number, "errors": [{
                "code": "PD401", "message": f"line {number} is not UTF-8 text", "line": number, "column": None,
                "hint": "save the facts as UTF-8"}]})
        source = Source(self.name, text)
        try:
            flat = self.backend.validate(load_json(text, source), source)
        except PolicyDslError as exc:
            record = dumps({"line": number, "errors": [error_record(d, number) for d in exc.diagnostics]})
            return False, escape_surrogates(record)
        return True, self.backend.decision_text(flat)


def escape_surrogates(line: str) -> str:
    """An output line with any lone surrogate (echoed from a `\ud800` escape in the input)
    written as its JSON escape, so the line stays valid UTF-8 and valid JSON."""
    if line.isascii():
        return line
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def error_record(d: Diagnostic, line: int) -> dict[str, Any]:
    return {"code": d.code, "message": d.message, "line": line, "column": d.span.column if d.span else None,
            "hint": d.hint}


def decide_lines(backend: Backend, lines: Iterable[Numbered], name: str, workers: int = 1) -> Iterator[Result]:
    """The output line of every numbered input line, in input order, using `workers` processes."""
    if workers <= 1:
        decide = LineDecider(backend, name)
        for number, text in lines:
            yield decide(number, text)
        return
    yield from _decide_in_workers(backend, lines, name, workers)


def _decide_in_workers(backend: Backend, lines: Iterable[Numbered], name: str, workers: int) -> Iterator[Result]:
    """Chunks dealt round robin to worker processes over pipes, the results read back in the
    same order. Each message is one small tuple (the chunk's line numbers as an array and its
    lines; back: the lines' validity flags as bytes and their output lines as one string, which
    never holds a newline), so the parent does little per line beyond reading and writing it,
    and has no helper threads. A worker holds one chunk at a time: it has sent its result before it is
    given the next, so neither side can block on a full pipe while the other does."""
    context = multiprocessing.get_context()
    # A forked worker inherits the decider as it is; another start method rebuilds it from the JSON IR.
    inherited = LineDecider(backend, name) if context.get_start_method() == "fork" else None
    ir_json = None if inherited else to_json(backend.ir)
    channels: list[Connection] = []
    processes: list[BaseProcess] = []
    try:
        for _ in range(workers):
            ours, theirs = context.Pipe()
            # A forked worker inherits the parent's ends of its own and earlier pipes: it closes
            # them, or it would never see the end of its input when the parent closes its end.
            parent_ends = [*channels, ours] if inherited else []
            process = context.Process(target=_serve, args=(theirs, parent_ends, inherited, ir_json, backend.name, name),
                                      daemon=True)
            process.start()
            theirs.close()
            channels.append(ours)
            processes.append(process)
        chunks = _chunks(lines, CHUNK_LINES)
        busy: deque[Connection] = deque()
        for channel in channels:
            if not _send_chunk(channel, chunks):
                break
            busy.append(channel)
        while busy:
            channel = busy.popleft()
            flags, text = _receive(channel)
            if _send_chunk(channel, chunks):  # the worker's next chunk before this one is written out
                busy.append(channel)
            yield from zip(map(bool, flags), text.split("\n"))
    finally:  # a closed pipe ends a worker, whether it waits for a chunk or is sending a result
        for channel in channels:
            channel.close()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def _chunks(lines: Iterable[Numbered], size: int) -> Iterator[list[Numbered]]:
    it = iter(lines)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _send_chunk(channel: Connection, chunks: Iterator[list[Numbered]]) -> bool:
    """Send the next chunk (its line numbers, and its lines as one string); False at the end."""
    chunk = next(chunks, None)
    if chunk is None:
        return False
    numbers, texts = zip(*chunk)
    channel.send((array.array("q", numbers), texts))
    return True


def _receive(channel: Connection) -> tuple[bytes, str]:
    try:
        reply = channel.recv()
    except EOFError:
        raise RuntimeError("a batch worker process ended unexpectedly") from None
    if isinstance(reply, BaseException):
        raise reply
    return reply


def _serve(channel: Connection, parent_ends: list[Connection], decider: LineDecider | None, ir_json: str | None,
           engine: str, name: str) -> None:
    """A worker: decide chunks until the parent closes its end of the pipe."""
    for end in parent_ends:
        end.close()
    with contextlib.suppress(KeyboardInterrupt, EOFError, BrokenPipeError):
        if decider is None:
            assert ir_json is not None
            decider = LineDecider(make_backend(from_json(ir_json), engine), name)
        while True:
            numbers, texts = channel.recv()
            try:
                results = [decider(number, text) for number, text in zip(numbers, texts)]
            except Exception as exc:  # a bug in an engine: reported in the parent, as one worker would
                channel.send(exc)
                continue
            channel.send((bytes(ok for ok, _ in results), "\n".join(out for _, out in results)))
