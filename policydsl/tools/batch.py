"""Facts input for `eval`: one JSON object, or JSON Lines streamed one request a line.

Each record becomes one output line, in input order: a decision, or an error record
`{"line": N, "errors": [...]}`; a bad line never stops the batch. `eval` streams a batch in
blocks of whole lines (`read_blocks`, `decide_block`); with several workers, the blocks are
decided in worker processes (`policydsl.tools.workers`) and written in input order, byte for
byte what one process writes.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from contextlib import AbstractContextManager
from collections.abc import Iterable, Iterator
from typing import IO, Any

from policydsl.evaluate.decision import dumps
from policydsl.diagnostics import Diagnostic, PolicyDslError
from policydsl.api import Backend
from policydsl.evaluate.facts import load_json, scan_lenient
from policydsl.source import Source

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


def open_binary(path: str) -> IO[bytes]:
    """A JSON Lines file, as bytes: how `eval` streams a named batch (`read_blocks`)."""
    return open(path, "rb")


def as_bytes(text: str) -> bytes:
    """Text read from facts input, as the bytes it was read from: "surrogateescape" restores bytes
    that were not UTF-8; a lone surrogate from a text-only stdin is kept as its (invalid) UTF-8
    form, so that its line becomes an error record (`not_utf8`) rather than ending the batch."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


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


class Counted:
    """A byte stream, counting the bytes read from it (`consumed`): a batch's progress against the
    size of its file."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.consumed += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = getattr(self._stream, "read1", self._stream.read)(size)
        self.consumed += len(data)
        return data


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



def decide_lines(backend: Backend, lines: Iterable[Numbered], name: str) -> Iterator[Result]:
    """The output line of every numbered input line, in input order, decided in this process."""
    decide = LineDecider(backend, name)
    for number, text in lines:
        yield decide(number, text)


# ---- blocks: what `eval` streams ------------------------------------------------------------------

#: Bytes read at a time: a block is the whole lines among them (~100 typical requests).
BLOCK_BYTES = 1 << 15

Block = tuple[int, int, str]  # (records decided, records that were not valid facts, their output lines)


def read_blocks(stream: IO[bytes], size: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, bytes) of consecutive whole lines of `stream`, about `size`
    (default `BLOCK_BYTES`) bytes at a time; a longer line is a block of its own. Records are
    split on `\n` only, which never occurs inside a UTF-8 sequence, so every block decodes on
    its own exactly as the whole input would."""
    size = size or BLOCK_BYTES
    read = getattr(stream, "read1", stream.read)  # what has arrived, up to `size`: a pipe's lines as they come
    number = 1
    pending: list[bytes] = []  # the start of a line not yet ended, in the pieces it was read in
    while data := read(size):
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending.append(data)
            continue
        block = data if cut == len(data) else data[:cut]
        if pending:  # joined once, so that a long line costs time linear in its length
            block = b"".join([*pending, block])
            pending.clear()
        if cut < len(data):
            pending.append(data[cut:])
        yield number, block
        number += block.count(b"\n")
    if pending:
        yield number, b"".join(pending)


class BlockFailed(Exception):
    """An engine failed inside a block: `partial` is the output of the block's lines before the
    failing one (written before `error` is raised, as deciding line by line would)."""

    def __init__(self, partial: Block, error: BaseException) -> None:
        super().__init__(partial, error)
        self.partial = partial
        self.error = error


def decide_block(decide: LineDecider, first: int, data: bytes) -> Block:
    """The output of one block: a line for every record (not blank by JSON's definition), with
    its count and how many of them were not valid facts. Undecodable bytes are kept as raw
    surrogates, so that such a line becomes its own error record (see `not_utf8`). Raises
    `BlockFailed` if the engine fails."""
    pieces = data.decode("utf-8", "surrogateescape").split("\n")
    last = pieces.pop()  # after the block's last `\n`: "" unless the input ends without one
    out: list[str] = []
    failed = 0
    try:
        for number, piece in enumerate(pieces, start=first):
            if piece.strip(JSON_WHITESPACE):
                ok, line = decide(number, piece + "\n")
                failed += not ok
                out.append(line)
        if last.strip(JSON_WHITESPACE):
            ok, line = decide(first + len(pieces), last)
            failed += not ok
            out.append(line)
    except Exception as exc:  # a bug in an engine
        raise BlockFailed(_block(out, failed), exc) from exc
    return _block(out, failed)


def _block(out: list[str], failed: int) -> Block:
    return len(out), failed, "\n".join(out) + "\n" if out else ""


def handed_on(block: Block | BlockFailed) -> Iterator[Block]:
    """A decided block, or a failed block's partial output followed by the engine's exception."""
    if isinstance(block, BlockFailed):
        yield block.partial
        raise block.error
    yield block


def decide_stream(backend: Backend, stream: IO[bytes], name: str, workers: int = 1) -> Iterator[Block]:
    """The decided blocks of a JSON Lines byte stream, in input order, in constant memory. With
    `workers` > 1 and more than a few blocks of input, blocks are decided by that many worker
    processes while this one reads and hands on (see `policydsl.tools.workers`); the output is
    the same, byte for byte."""
    blocks = read_blocks(stream)
    if workers > 1:
        from policydsl.tools.workers import decide_in_workers

        yield from decide_in_workers(backend, blocks, name, workers)
        return
    decide = LineDecider(backend, name)
    for first, data in blocks:
        try:
            yield decide_block(decide, first, data)
        except BlockFailed as failure:
            yield from handed_on(failure)
