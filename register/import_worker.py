"""Validate a register file in a worker process while the importer writes to the store.

A million-row import is two halves of similar weight: reading and validating rows (pure Python)
and writing them (SQLite's B-trees, the driver's parameter binding). On two cores they overlap:
a forked child runs `validated_batches` and sends each batch through a pipe as one `marshal`
blob (3x cheaper than pickle for tuples of str/int/float/None); the parent writes. The pipe's
small buffer holds the child at most one batch ahead, so memory stays bounded.

Only the parent touches the database: the import stays one transaction in one connection.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import multiprocessing
import os
import signal
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from ecomstat.register.errors import InvalidRegister, RegisterError
from ecomstat.register.header import HeaderLayout
from ecomstat.register.import_rows import Batch, RowSource, Tally, validated_batches
from ecomstat.register.mapping import ColumnMapping

# Files smaller than this are validated in-process: starting a worker costs more than it saves.
PARALLEL_MIN_BYTES = 4 << 20

_BATCH, _END, _INVALID, _CRASH = 0, 1, 2, 3


def can_fork() -> bool:
    """A worker is forked (POSIX): the child inherits the parsed header, the mapping and the
    imported modules for free."""
    return hasattr(os, "fork")


def worker_pays_off(size: int) -> bool:
    """Whether validating a file of `size` bytes in a worker should beat doing it in-process:
    a large file, a second CPU, and CPUs not oversubscribed (a 1-minute load average below
    twice the CPUs). On the two-CPU development machine a million-row import took 13.9 s with
    the worker and 17.3 s without at load ~3, but 15-30% longer with it at load 4.5-6, where
    the two processes only split the same CPU share and add the hand-over's cost."""
    if size < PARALLEL_MIN_BYTES or not can_fork():
        return False
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform
        load = 0.0
    return (cpus or 1) > 1 and load < 2 * (cpus or 1)


def _work(
    out: Connection, rows: RowSource, layout: HeaderLayout, mapping: ColumnMapping,
    batch_size: int,
) -> None:
    """The child: validate, send batches, then the tally (or the error)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    gc.disable()  # millions of short-lived tuples, no cycles (see importer._gc_paused)
    tally = Tally()
    try:
        for batch in validated_batches(rows, layout, mapping, batch_size, tally):
            out.send_bytes(marshal.dumps(
                (_BATCH, batch.records, batch.websites, batch.position, batch.last)
            ))
        out.send_bytes(marshal.dumps((_END, tally.rows, tally.bad_rows, tally.problems,
                                      tally.shown)))
    except InvalidRegister as exc:
        out.send_bytes(marshal.dumps((_INVALID, str(exc))))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent gave up (an error on its side); nothing to report to
    except BaseException:  # a bug: hand the traceback to the parent, which raises it
        out.send_bytes(marshal.dumps((_CRASH, traceback.format_exc())))
    finally:
        out.close()


class ValidationWorker:
    """Context manager: a child process validating `rows`; iterate for its batches, after
    which `tally` holds the child's. Leaving the context (normally or on error) ends the
    child.

    A bare `os.fork` rather than multiprocessing.Process: the child runs `_work` and leaves
    through `os._exit`, so it never flushes the inherited stdio buffers nor runs atexit
    handlers, whose locks another thread of the parent (a progress bar's) may have held at the
    moment of the fork."""

    def __init__(
        self, rows: RowSource, layout: HeaderLayout, mapping: ColumnMapping, batch_size: int,
        tally: Tally,
    ) -> None:
        self._inbox, outbox = multiprocessing.Pipe(duplex=False)
        self._pid = os.fork()
        if self._pid == 0:  # the child
            code = 1
            try:
                self._inbox.close()
                _work(outbox, rows, layout, mapping, batch_size)
                code = 0
            finally:
                os._exit(code)
        outbox.close()  # the child holds the only writing end: its exit means EOF here
        self.tally = tally
        self.exit_code: int | None = None

    def _wait(self) -> int:
        if self.exit_code is None:
            _, status = os.waitpid(self._pid, 0)
            self.exit_code = os.waitstatus_to_exitcode(status)  # -N: killed by signal N
        return self.exit_code

    def __enter__(self) -> ValidationWorker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._inbox.close()  # a child blocked on a full pipe now gets BrokenPipeError
        if kind is not None and self.exit_code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGTERM)
        self._wait()

    def __iter__(self) -> Iterator[Batch]:
        while True:
            try:
                message: tuple[Any, ...] = marshal.loads(self._inbox.recv_bytes())
            except EOFError:  # its pipe closed as it exited
                raise RegisterError(
                    f"the register validation process ended unexpectedly "
                    f"(exit code {self._wait()})"
                ) from None
            kind = message[0]
            if kind == _BATCH:
                yield Batch(*message[1:])
            elif kind == _END:
                tally = self.tally
                tally.rows, tally.bad_rows, tally.problems, tally.shown = message[1:]
                return
            elif kind == _INVALID:
                raise InvalidRegister(message[1])
            else:
                raise RegisterError(f"the register validation process failed:\n{message[1]}")
