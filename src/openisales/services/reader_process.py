"""Reading a fetched file in a child process whose memory is capped.

What a reader needs is not bounded by the file's size: a 1.5 KB xlsx can ask calamine for
512 GiB, a few MB of sheet XML can unpack to millions of cells. Every file is therefore read in
a fresh interpreter (not fork: the worker may share its process with the API's threads) whose
memory is limited (``RLIMIT_DATA``: what it allocates beyond its loaded code may not exceed
``OPENISALES_READER_MEMORY_LIMIT_BYTES``). When a reader
runs out of it, calamine aborts the child or Python raises MemoryError there: the child ends,
the worker and the API go on, and the task fails at once with a message saying why.

The child runs a generator function named by reference (pickled) and streams what it yields
back, pickled; an exception it raises is raised again in the parent.
"""

from __future__ import annotations

import gc
import logging
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openisales.readers import Cell, Sheet, explain_too_large, open_sheet

log = logging.getLogger("openisales.import")

ROWS_PER_MESSAGE = 5_000
_STDERR_TAIL_BYTES = 4096  # of the child's stderr, read at each end after it died
# What calamine (Rust) prints before it aborts on a failed allocation.
_ALLOCATION_FAILED = b"memory allocation of"


class ReaderCrashed(Exception):
    """The reader's child process ended before it finished."""

    def __init__(self, reason: str, *, out_of_memory: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.out_of_memory = out_of_memory


def run_in_child(
    function: Callable[..., Iterable[Any]], args: tuple[Any, ...], *, memory_limit: int
) -> Generator[Any, None, None]:
    """What ``function(*args)`` yields, computed in a child process limited to ``memory_limit``
    bytes of memory beyond its loaded code (0: no limit). close() stops the child.

    An exception raised in the child is raised here; ``ReaderCrashed`` when the child dies.
    """
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "openisales.services.reader_process", str(memory_limit)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            pickle.dump((function, args), child.stdin)
            child.stdin.close()
            yield from _messages(child.stdout)
            child.wait()
        except ReaderCrashed as crash:
            raise _crashed(child, errors, crash) from None
        finally:
            child.stdout.close()
            if child.poll() is None:
                child.kill()
            child.wait()


def _messages(stream: IO[bytes]) -> Iterator[Any]:
    while True:
        try:
            kind, payload = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError):
            raise ReaderCrashed("", out_of_memory=False) from None
        if kind == "done":
            return
        if kind == "memory":
            raise ReaderCrashed("MemoryError", out_of_memory=True)
        if kind == "raise":
            raise payload
        yield payload


def _crashed(child: subprocess.Popen[bytes], errors: IO[bytes], crash: ReaderCrashed) -> Exception:
    code = child.wait()
    errors.seek(0)
    head = errors.read(_STDERR_TAIL_BYTES)  # a Rust abort says why first, then its backtrace
    errors.seek(max(0, errors.seek(0, 2) - _STDERR_TAIL_BYTES))
    tail = errors.read()
    out_of_memory = crash.out_of_memory or _ALLOCATION_FAILED in head
    if code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
    else:
        reason = crash.reason or f"exit status {code}"
    log.warning(
        "reader process %d ended early (%s); its output began: %s; ended: %s",
        child.pid,
        reason,
        head.decode("utf-8", "replace").strip()[:300] or "(none)",
        tail.decode("utf-8", "replace").strip()[-300:] or "(none)",
    )
    return ReaderCrashed(reason, out_of_memory=out_of_memory)


def crash_message(
    path: Path, crash: ReaderCrashed, *, memory_limit: int, max_uncompressed_bytes: int
) -> str:
    """The task's errMsg for a reader that died: the sheet's oversized range when that is why.

    The range is worked out again, from the cells' coordinates only, in a child of its own.
    """
    try:
        answers = list(
            run_in_child(_explanation, (path, max_uncompressed_bytes), memory_limit=memory_limit)
        )
    except ReaderCrashed:
        answers = []
    explained = answers[0] if answers and isinstance(answers[0], str) else None
    if explained:
        return explained
    if crash.out_of_memory:
        return (
            f"the file could not be read: the reader ran out of its memory limit "
            f"({memory_limit:,} bytes, OPENISALES_READER_MEMORY_LIMIT_BYTES) reading "
            f'"{path.name}". The file needs far more memory than its size; split the data into '
            "smaller files."
        )
    return (
        f"the file could not be read: the reader process ended unexpectedly ({crash.reason}) "
        f'reading "{path.name}"'
    )


def _explanation(path: Path, max_uncompressed_bytes: int) -> Iterator[str | None]:
    yield explain_too_large(path, max_uncompressed_bytes=max_uncompressed_bytes)


@dataclass(frozen=True)
class _SheetHead:
    header: list[Cell]
    header_row: int
    rows_below_header: int
    format: str
    encoding: str | None


def _sheet_messages(path: Path, limits: dict[str, int]) -> Iterator[_SheetHead | list[Any]]:
    """A sheet's header, then its rows in batches: what ``open_sheet`` gives, made picklable."""
    sheet = open_sheet(path, **limits)
    yield _SheetHead(
        sheet.header, sheet.header_row, sheet.rows_below_header, sheet.format, sheet.encoding
    )
    batch: list[tuple[int, list[Cell]]] = []
    for row in sheet.rows:
        batch.append(row)
        if len(batch) >= ROWS_PER_MESSAGE:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def sheet_in_child(path: Path, *, memory_limit: int, **limits: int) -> Iterator[Sheet]:
    """``open_sheet(path, **limits)`` read in a capped child process; stops it on leaving.

    Raises what ``open_sheet`` raises (also while iterating the rows), and ``ReaderCrashed``.
    """
    messages = run_in_child(_sheet_messages, (path, limits), memory_limit=memory_limit)
    try:
        head = next(messages)
        assert isinstance(head, _SheetHead)
        rows = (row for batch in messages for row in batch)
        yield Sheet(
            head.header, rows, head.header_row, head.rows_below_header, head.format, head.encoding
        )
    finally:
        messages.close()


def _child_main(memory_limit: int) -> None:
    """Cap this process, read the job from stdin, write pickled messages to stdout."""
    gc.disable()  # millions of acyclic objects: see import_run.gc_paused
    # The job names its function by reference: unpickling imports its module (polars among
    # them). The cap bounds what reading the file adds, so it counts from what the loaded code
    # already holds. It caps the data segment (RLIMIT_DATA: private writable mappings, the heap
    # and every allocation), not the address space: polars' threads reserve arenas and stacks
    # of address space they never touch, and a cap on that failed small files at random.
    function, args = pickle.load(sys.stdin.buffer)
    if memory_limit > 0:
        cap = _status_bytes("VmData") + memory_limit
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    out = sys.stdout.buffer
    try:
        for message in function(*args):
            pickle.dump(("data", message), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(("done", None), out)
    except MemoryError:
        pickle.dump(("memory", None), out)
    except Exception as exc:
        traceback.print_exc()
        try:
            pickle.dump(("raise", exc), out, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle: say what it was
            pickle.dump(("raise", RuntimeError(repr(exc))), out)
    out.flush()


def _status_bytes(key: str) -> int:
    """A size this process's ``/proc/self/status`` gives in kB (``VmData``...), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    # Run from the module imported under its real name, so that what it pickles names
    # openisales.services.reader_process and not __main__.
    from openisales.services import reader_process

    reader_process._child_main(int(sys.argv[1]))
