"""Deciding a JSON Lines batch in several processes.

With N processes, this one starts N − 1 workers over pipes and deals the blocks of whole lines
(`batch.read_blocks`) round robin to them and to itself, deciding every N-th block here, and
hands on the results in input order. A block's result comes back as one string of output
lines, so handing a worker's block on costs this process almost nothing per line; deciding a
share here, rather than waiting on N workers, keeps N processes on N cores (bench/bench_eval.py
measures the speed-up beside what the machine allows).

Each worker holds at most `AHEAD` = 2 blocks (the one it decides and the next, waiting in
its pipe), so it stays busy while this process decides its own block, and memory stays
constant however long the input. No deadlock: a worker only ever blocks sending a result;
this process sends a block to a worker that still holds one only when the block fits the
worker's pipe whole (so the send returns once the worker has read the block before it, which
it does unasked), and otherwise first receives that worker's results. A forked worker
inherits the decider; under another start method it rebuilds it from the policy set's JSON IR.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from policydsl.api import Backend, make_backend
from policydsl.ir.jsonform import from_json, to_json
from policydsl.tools.batch import Block, BlockFailed, LineDecider, decide_block, handed_on

AHEAD = 2  # blocks dealt to a worker and not yet received back
#: The pipe buffer asked for (Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB by default).
PIPE_BYTES = 1 << 20
#: What a pipe is assumed to hold where the system does not say (POSIX guarantees 512 bytes).
PIPE_BYTES_UNKNOWN = 4096


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity where the system says, else all)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Worker:
    """A worker process and this process's ends of its two pipes."""

    def __init__(self, process: BaseProcess, inbox: Connection, outbox: Connection, capacity: int) -> None:
        self.process = process
        self.inbox = inbox  # results, from the worker
        self.outbox = outbox  # blocks, to the worker
        self.capacity = capacity  # bytes the outbox's pipe holds
        self.received: deque[Any] = deque()  # results received ahead of their turn
        self.outstanding = 0  # blocks sent whose result is not yet received

    def send(self, job: tuple[int, bytes]) -> None:
        if len(job[1]) + 256 > self.capacity:  # might not fit the pipe whole: let the worker reply first
            while self.outstanding:
                self.receive()
        try:
            self.outbox.send(job)
        except BrokenPipeError:
            raise RuntimeError("a batch worker process ended unexpectedly") from None
        self.outstanding += 1

    def receive(self) -> None:
        try:
            self.received.append(self.inbox.recv())
        except EOFError:
            raise RuntimeError("a batch worker process ended unexpectedly") from None
        self.outstanding -= 1

    def result(self) -> Block | BlockFailed:
        """The result of the oldest block dealt to this worker and not yet handed on."""
        if not self.received:
            self.receive()
        reply = self.received.popleft()
        if isinstance(reply, BaseException) and not isinstance(reply, BlockFailed):
            raise reply  # not the engine's failure: the worker's own
        return reply

    def close(self) -> None:
        self.outbox.close()
        self.inbox.close()


def decide_in_workers(backend: Backend, blocks: Iterator[tuple[int, bytes]], name: str,
                      workers: int) -> Iterator[Block]:
    """The decided `blocks`, in input order, from `workers` processes (this one and `workers` − 1
    workers). An input of no more blocks than the processes would hold is decided here alone:
    starting processes would cost more than it saves."""
    decide = LineDecider(backend, name)
    head = []
    for block in blocks:
        head.append(block)
        if len(head) > workers * AHEAD:
            break
    else:
        for first, data in head:
            yield from handed_on(_decided(decide, first, data))
        return
    started = _start(backend, name, workers - 1)
    slots: list[_Worker | None] = [*started, None]  # None: this process's turn
    try:
        order: deque[_Worker | Block | BlockFailed] = deque()  # per block in flight, in order: its worker or result
        turn = 0
        for block in _chain(head, blocks):
            if len(order) >= workers * AHEAD:
                item = order.popleft()
                yield from handed_on(item.result() if isinstance(item, _Worker) else item)
            worker = slots[turn]
            turn = (turn + 1) % len(slots)
            if worker is None:  # the workers hold two blocks each, so they stay busy meanwhile
                order.append(_decided(decide, *block))
            else:
                worker.send(block)
                order.append(worker)
        while order:
            item = order.popleft()
            yield from handed_on(item.result() if isinstance(item, _Worker) else item)
    finally:  # a closed pipe ends a worker, whether it waits for a block or is sending a result
        _stop(started)


def _decided(decide: LineDecider, first: int, data: bytes) -> Block | BlockFailed:
    """A block decided here; an engine's failure kept in its place, to be raised in its turn."""
    try:
        return decide_block(decide, first, data)
    except BlockFailed as failure:
        return failure


def _chain(head: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    yield from head
    head.clear()
    yield from rest


def _start(backend: Backend, name: str, workers: int) -> list[_Worker]:
    context = multiprocessing.get_context()
    # A forked worker inherits the decider as it is; another start method rebuilds it from the JSON IR.
    inherited = LineDecider(backend, name) if context.get_start_method() == "fork" else None
    ir_json = None if inherited else to_json(backend.ir)
    started: list[_Worker] = []
    try:
        for _ in range(workers):
            jobs_in, jobs_out = context.Pipe(duplex=False)
            results_in, results_out = context.Pipe(duplex=False)
            capacity = _enlarge(jobs_out)
            _enlarge(results_out)
            # A forked worker inherits this process's ends of its own and earlier pipes: it closes
            # them, or it would never see the end of its input when this process closes its end.
            ours = [end for w in started for end in (w.inbox, w.outbox)] + [jobs_out, results_in] if inherited else []
            process = context.Process(target=_serve, args=(jobs_in, results_out, ours, inherited, ir_json,
                                                           backend.name, name), daemon=True)
            process.start()
            jobs_in.close()
            results_out.close()
            started.append(_Worker(process, results_in, jobs_out, capacity))
    except BaseException:
        _stop(started)
        raise
    return started


def _enlarge(end: Connection) -> int:
    """Ask for a larger pipe buffer (Linux); the bytes the pipe holds, as far as the system says."""
    try:
        import fcntl
    except ImportError:
        return PIPE_BYTES_UNKNOWN
    for request, argument in ((getattr(fcntl, "F_SETPIPE_SZ", None), PIPE_BYTES),
                              (getattr(fcntl, "F_GETPIPE_SZ", None), 0)):
        if request is not None:
            with contextlib.suppress(OSError):
                return int(fcntl.fcntl(end.fileno(), request, argument))
    return PIPE_BYTES_UNKNOWN


def _stop(started: list[_Worker]) -> None:
    for worker in started:
        worker.close()
    for worker in started:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join()


def _serve(jobs: Connection, results: Connection, inherited_ends: list[Connection], decider: LineDecider | None,
           ir_json: str | None, engine: str, name: str) -> None:
    """A worker: decide blocks until the parent closes its end of the pipe."""
    for end in inherited_ends:
        end.close()
    with contextlib.suppress(KeyboardInterrupt, EOFError, OSError):  # the parent ended, or broke off mid-message
        if decider is None:
            assert ir_json is not None
            decider = LineDecider(make_backend(from_json(ir_json), engine), name)
        while True:
            first, data = jobs.recv()
            reply: Any = _decided(decider, first, data)  # an engine's failure is raised in the parent
            results.send(reply)
