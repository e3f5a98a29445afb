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
from policydsl.evaluate.facts import load_json, scan_lenient
from policydsl.ir.jsonform import from_json, to_json
from policydsl.source import Source

CHUNK_LINES = 256  # lines sent to a worker at a time
CHUNKS_AHEAD = 2  # chunks read ahead per deciding process (see _decide_in_workers)

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
        self._fast = backend.decide_text_fast

    def __call__(self, number: int, text: str) -> Result:
        # The usual line: valid facts of the usual shape, read by the lenient decoder (the fast path
        # declines a text that gave some key twice, which the long way then reports).
        if text.isascii() or _SURROGATE.search(text) is None:
            try:
                data, end = scan_lenient(text, 0)  # one JSON value at the start of the line: what follows is checked
            except (StopIteration, ValueError, RecursionError):  # not JSON: diagnosed below
                return self.diagnose(number, text)
            if end == len(text) or not text[end:].strip(JSON_WHITESPACE):
                try:
                    line = self._fast(data, text)
                except Exception:  # a bug in the engine: the long way reports it
                    line = None
                if line is not None:
                    return True, line
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
    """The output line of every numbered input line, in input order, using `workers` processes
    (this one and `workers - 1` worker processes)."""
    if workers <= 1:
        decide = LineDecider(backend, name)
        for number, text in lines:
            yield decide(number, text)
        return
    yield from _decide_in_workers(backend, lines, name, workers)


class _Chunk:
    """Consecutive lines, decided by a worker process (`channel`) or by this process (None);
    `results` is None until all are decided."""

    __slots__ = ("channel", "lines", "results", "done")

    def __init__(self, channel: _Channel | None, lines: list[Numbered]) -> None:
        self.channel = channel
        self.lines = lines
        self.results: list[Result] | None = None
        self.done: list[Result] = []  # decided so far, of a chunk decided here


def _decide_in_workers(backend: Backend, lines: Iterable[Numbered], name: str, workers: int) -> Iterator[Result]:
    """Chunks of lines dealt to `workers - 1` worker processes over pipes, and decided here too
    while the workers are busy; results are yielded in input order. Each message is one small
    tuple (the chunk's line numbers as an array and its lines; back: the lines' validity flags as
    bytes and their output lines), so this process does little per line of a worker's chunk beyond
    reading and writing it, and has no helper threads. A worker holds one chunk at a time: it has
    sent its result before it is given the next, so neither side can block on a full pipe while the
    other does. At most `workers * CHUNKS_AHEAD` chunks are read ahead of the lines yielded."""
    context = multiprocessing.get_context()
    decide = LineDecider(backend, name)
    # A forked worker inherits the decider as it is; another start method rebuilds it from the JSON IR.
    inherited = decide if context.get_start_method() == "fork" else None
    ir_json = None if inherited else to_json(backend.ir)
    channels: list[_Channel] = []
    processes: list[BaseProcess] = []
    try:
        for _ in range(workers - 1):
            ours, theirs = _channel_pair(context)
            # A forked worker inherits the parent's ends of its own and earlier pipes: it closes
            # them, or it would never see the end of its input when the parent closes its end.
            parent_ends = [*channels, ours] if inherited else []
            process = context.Process(target=_serve, args=(theirs, parent_ends, inherited, ir_json, backend.name, name),
                                      daemon=True)
            process.start()
            theirs.close()
            channels.append(ours)
            processes.append(process)
        yield from _Dealer(decide, _chunks(lines, CHUNK_LINES), channels, workers * CHUNKS_AHEAD).results()
    finally:  # a closed pipe ends a worker, whether it waits for a chunk or is sending a result
        for channel in channels:
            channel.close()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


#: The pipes' capacity asked for where the system allows it (Linux: up to /proc/sys/fs/pipe-max-size,
#: 1 MiB by default), so that sending a chunk or its results rarely waits for the other side to read.
PIPE_BYTES = 1 << 20


class _Channel:
    """One side of a two-way link to a worker: two one-way pipes."""

    def __init__(self, inbox: Connection, outbox: Connection) -> None:
        self.inbox = inbox
        self.outbox = outbox

    def send(self, message: Any) -> None:
        self.outbox.send(message)

    def recv(self) -> Any:
        return self.inbox.recv()

    def poll(self) -> bool:
        return self.inbox.poll()

    def close(self) -> None:
        self.inbox.close()
        self.outbox.close()


def _channel_pair(context: Any) -> tuple[_Channel, _Channel]:
    """(this process's side, the worker's side) of a new link."""
    down_in, down_out = context.Pipe(duplex=False)
    up_in, up_out = context.Pipe(duplex=False)
    for end in (down_out, up_out):
        with contextlib.suppress(AttributeError, OSError, ImportError):
            import fcntl

            fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return _Channel(up_in, down_out), _Channel(down_in, up_out)


class _Dealer:
    """Deals chunks to idle workers, decides chunks itself while they are busy, and hands on
    every chunk's results in input order."""

    def __init__(self, decide: LineDecider, chunks: Iterator[list[Numbered]], channels: list[_Channel],
                 ahead: int) -> None:
        self.decide = decide
        self.chunks = chunks
        self.idle = list(reversed(channels))
        self.busy: dict[_Channel, _Chunk] = {}
        self.pending: deque[_Chunk] = deque()  # in input order, at most `ahead`
        self.ahead = ahead
        self.more = True  # the input may hold more lines
        self.own: _Chunk | None = None  # the chunk being decided here

    def results(self) -> Iterator[Result]:
        pending = self.pending
        while True:
            self.deal()
            if not pending:
                return
            head = pending[0]
            if head.results is not None:
                pending.popleft()
                yield from head.results
                continue
            if self.own is None and len(pending) < self.ahead:
                self.own = self.take(None)
            if self.own is None:  # nothing to do here: wait for the oldest worker
                self.receive(head)
                continue
            self.step(self.own)
            for channel in [c for c in self.busy if c.poll()]:
                self.receive(self.busy[channel])

    def take(self, channel: _Channel | None) -> _Chunk | None:
        """The next chunk, sent to `channel` (None: kept to decide here); None at the end of the input."""
        chunk = next(self.chunks, None) if self.more else None
        if chunk is None:
            self.more = False
            return None
        entry = _Chunk(channel, chunk)
        if channel is not None:
            numbers, texts = zip(*chunk)
            channel.send((array.array("q", numbers), texts))
            self.busy[channel] = entry
        self.pending.append(entry)
        return entry

    def deal(self) -> None:
        while self.idle and self.more and len(self.pending) < self.ahead:
            if self.take(self.idle[-1]) is not None:
                self.idle.pop()

    def step(self, entry: _Chunk, lines: int = 16) -> None:
        """Decide a few more lines of the chunk kept here (then the workers are looked at again)."""
        done, decide = entry.done, self.decide
        for number, text in entry.lines[len(done):len(done) + lines]:
            done.append(decide(number, text))
        if len(done) == len(entry.lines):
            entry.results = done
            self.own = None

    def receive(self, entry: _Chunk) -> None:
        channel = entry.channel
        assert channel is not None
        try:
            reply = channel.recv()
        except EOFError:
            raise RuntimeError("a batch worker process ended unexpectedly") from None
        if isinstance(reply, BaseException):
            raise reply
        flags, texts = reply
        entry.results = list(zip(map(bool, flags), texts))
        del self.busy[channel]
        self.idle.append(channel)


def _chunks(lines: Iterable[Numbered], size: int) -> Iterator[list[Numbered]]:
    it = iter(lines)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _serve(channel: _Channel, parent_ends: list[_Channel], decider: LineDecider | None, ir_json: str | None,
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
            channel.send((bytes(ok for ok, _ in results), [out for _, out in results]))
