"""Reading package files into records, in this process or in worker processes.

A listing of a big repository reads thousands of files; :func:`read_records` spreads them
over worker processes when cores are free, and every failure becomes a message instead of an
exception, so one broken file spoils nothing.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from pkgimport.repository.base import make_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pkgimport.repository._reader import RecordTuple
    from pkgimport.repository.base import PackageRecord

__all__ = [
    "ForkedCall",
    "ReadJob",
    "RecordReader",
    "free_cores",
    "read_record",
    "read_records",
    "use_fork",
]

ReadJob: TypeAlias = "tuple[str, str, str, str]"
"""``(path, family, version, location)``: one file to read."""

# Reading in worker processes pays off only when there are many files (start-up ~50 ms).
_PARALLEL_THRESHOLD = 2000


RecordReader: TypeAlias = "Callable[[str, str, str, str], PackageRecord]"
"""``reader(path, family, version, location) -> PackageRecord``; raises on a broken file."""


def read_record(path: str, family: str, version: str, location: str) -> PackageRecord:
    """Read the record of the package file *path* (the default :data:`RecordReader`).

    :raises Exception: whatever the reader raises for a broken file.
    """
    from pkgimport.repository._reader import read_record_tuple  # noqa: PLC0415 - lazy

    # The folders name the package, as in rez (the resource handle comes from the listing).
    return make_record(family, version, location, path, *read_record_tuple(path))


def _read_tuples(
    reader: RecordReader, jobs: Sequence[ReadJob]
) -> list[RecordTuple | PackageRecord | str]:
    """Read every job; a failure becomes its message (so one bad file spoils nothing).

    The default reader gives plain tuples (no record built twice, cheap to marshal); another
    reader's records are kept as they are.
    """
    out: list[RecordTuple | PackageRecord | str] = []
    append = out.append
    if reader is read_record:
        from pkgimport.repository._reader import read_record_tuple  # noqa: PLC0415 - lazy

        for job in jobs:
            try:
                append(read_record_tuple(job[0]))
            except Exception as exc:  # noqa: BLE001, PERF203 - any failure is a reported problem
                append(_message(exc))
        return out
    for job in jobs:
        try:
            append(reader(*job))
        except Exception as exc:  # noqa: BLE001, PERF203 - any failure is a reported problem
            append(_message(exc))
    return out


def _message(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _record_tuple(record: PackageRecord) -> RecordTuple:
    return (
        record.timestamp,
        record.requires,
        record.build_requires,
        record.variants,
        record.hashed_variants,
        record.needs_eval,
    )


def _read_packed(reader: RecordReader, jobs: Sequence[ReadJob]) -> bytes:
    """:func:`_read_tuples` in a worker process, packed with marshal.

    Pickling 10,000 slotted dataclasses back to the parent costs more than reading the files;
    plain tuples through marshal cost almost nothing.
    """
    items = _read_tuples(reader, jobs)
    return marshal.dumps(
        [item if isinstance(item, (str, tuple)) else _record_tuple(item) for item in items]
    )


def _to_records(
    items: Iterable[RecordTuple | PackageRecord | str], jobs: Sequence[ReadJob]
) -> list[PackageRecord | str]:
    out: list[PackageRecord | str] = []
    append = out.append
    for item, (path, family, version, location) in zip(items, jobs, strict=True):
        if type(item) is tuple:
            append(make_record(family, version, location, path, *item))
        else:
            append(item)  # type: ignore[arg-type]  # a message
    return out


def free_cores() -> int:
    """CPUs worth a worker process: all of them minus those already busy.

    Workers only pay off on an idle core; on a busy machine they cost more wall time than
    they save (measured: 2 CPUs at load 5, 18,226 files, 0.8 s serial vs 1.3 s parallel).
    Busy means runnable right now (Linux: ``/proc/loadavg``'s running count, less this
    process): the one-minute load average lags, and after a few runs of this very listing it
    says a core is busy when none is.
    """
    cpus = os.cpu_count() or 1
    try:
        with open("/proc/loadavg", "rb") as stream:  # noqa: PTH123 - hot path
            busy = int(stream.read().split()[3].split(b"/")[0]) - 1
    except (OSError, ValueError, IndexError):
        try:
            busy = int(os.getloadavg()[0])
        except (AttributeError, OSError):  # Windows has no load average
            busy = 0
    return max(1, min(cpus - busy, 8))


def read_records(
    reader: RecordReader, jobs: list[ReadJob], *, parallel: bool = True
) -> list[PackageRecord | str]:
    """Read every job, in order; a failed one gives its error message instead of a record.

    With *parallel*, many jobs and free cores, ``n - 1`` worker processes read all but the
    first share while this process reads that one (it would otherwise wait idle). Anything
    wrong with the workers (no processes allowed, one killed) and this process reads it all.
    """
    if not jobs:  # a warm listing: do not even import the reader
        return []
    workers = free_cores()
    if not parallel or len(jobs) < _PARALLEL_THRESHOLD or workers < 2:
        return _to_records(_read_tuples(reader, jobs), jobs)
    # Workers inherit the reader instead of importing it again (regexes compiled).
    from pkgimport.repository import _reader  # noqa: F401, PLC0415

    size = -(-len(jobs) // workers)
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    try:
        results, cleanup = _start_workers(reader, chunks[1:])
    except (OSError, RuntimeError):  # no processes allowed here: read in this one
        return _to_records(_read_tuples(reader, jobs), jobs)
    try:
        records = _to_records(_read_tuples(reader, chunks[0]), chunks[0])
        for result, chunk in zip(results, chunks[1:], strict=True):
            records.extend(_to_records(marshal.loads(result()), chunk))  # noqa: S302 - our own worker's bytes
    except Exception:  # noqa: BLE001 - any worker failure (died, unpicklable reader): read here
        records = _to_records(_read_tuples(reader, jobs), jobs)
    finally:
        cleanup()
    return records


def use_fork() -> bool:
    """Fork directly on Linux when this process has no other thread.

    A plain fork costs a millisecond; ``concurrent.futures`` costs 25-40 ms more (importing
    multiprocessing, pickling the jobs, a manager thread). Forking a threaded process can
    deadlock the child, and macOS frameworks refuse fork, so elsewhere the executor runs.
    """
    import threading  # noqa: PLC0415 - imported by most programs anyway

    return sys.platform == "linux" and threading.active_count() == 1


def _start_workers(
    reader: RecordReader, chunks: Sequence[Sequence[ReadJob]]
) -> tuple[list[Callable[[], bytes]], Callable[[], None]]:
    """Start one worker per chunk; return a result getter per chunk, and a cleanup to call."""
    if use_fork():
        return _fork_workers(reader, chunks)
    # Imported here: it costs 10 ms (multiprocessing) that most callers never need.
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    pool = ProcessPoolExecutor(max_workers=len(chunks))
    futures = [pool.submit(_read_packed, reader, chunk) for chunk in chunks]
    # Workers are idle once their results are in; do not wait for them to exit.
    return [f.result for f in futures], lambda: pool.shutdown(wait=False, cancel_futures=True)


def _fork_workers(
    reader: RecordReader, chunks: Sequence[Sequence[ReadJob]]
) -> tuple[list[Callable[[], bytes]], Callable[[], None]]:
    calls: list[ForkedCall] = []

    def cleanup() -> None:
        for call in calls:
            call.close()

    try:
        for chunk in chunks:
            calls.append(ForkedCall(functools.partial(_read_packed, reader, chunk)))  # noqa: PERF401 - cleanup() needs those started
    except OSError:
        cleanup()
        raise
    return [call.result for call in calls], cleanup


class ForkedCall:
    """``fn()`` running in a forked child process (Linux; see :func:`use_fork`).

    :meth:`result` waits for the bytes *fn* returned; :meth:`close` gives up on them. Call
    one of them (both may be called, in any order, more than once): they reap the child.

    :raises OSError: from the constructor, when no process can be started.
    """

    def __init__(self, fn: Callable[[], bytes]) -> None:
        rfd, wfd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(rfd)
            os.close(wfd)
            raise
        if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
            _child(rfd, wfd, fn)
        os.close(wfd)
        self._pid = pid
        self._fd = rfd
        self._status = -1

    def result(self) -> bytes:
        """Return what *fn* returned.

        :raises RuntimeError: the child failed (or :meth:`close` came first).
        """
        data = b""
        if self._fd >= 0:
            with open(self._fd, "rb", closefd=False) as stream:
                data = stream.read()
        self.close()
        if self._status != 0:
            raise RuntimeError("a worker process failed")
        return data

    def close(self) -> None:
        """Close the pipe and reap the child (a child still writing gets EPIPE and exits)."""
        if self._fd < 0:
            return
        os.close(self._fd)
        self._fd = -1
        with contextlib.suppress(ChildProcessError):
            self._status = os.waitpid(self._pid, 0)[1]


def _child(rfd: int, wfd: int, fn: Callable[[], bytes]) -> NoReturn:  # pragma: no cover
    """Run *fn* in a forked child, write its bytes to *wfd* and exit.

    ``os._exit`` never returns into the caller's code (or a test runner) and flushes nothing
    the parent will flush too.
    """
    status = 1
    try:
        os.close(rfd)
        view = memoryview(fn())
        while view:
            view = view[os.write(wfd, view) :]
        status = 0
    finally:
        os._exit(status)
