"""Reading package files into records, in this process or in worker processes.

A listing of a big repository reads thousands of files; :func:`read_records` spreads them
over worker processes when cores are free, and every failure becomes a message instead of an
exception, so one broken file spoils nothing.
"""

from __future__ import annotations

import marshal
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, TypeAlias

from pkgimport.repository.base import PackageRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["ReadJob", "RecordReader", "read_record", "read_records"]

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
    from pkgimport.repository._reader import read_package_record  # noqa: PLC0415 - lazy

    fields = read_package_record(path)
    # The folders name the package, as in rez (the resource handle comes from the listing).
    return PackageRecord(
        name=family,
        version=version,
        timestamp=fields.timestamp,
        requires=fields.requires,
        variants=fields.variants,
        hashed_variants=fields.hashed_variants,
        location=location,
        path=path,
        needs_eval=fields.needs_eval,
    )


def _read_many(
    reader: RecordReader,
    jobs: Sequence[tuple[str, str, str, str]],
) -> list[PackageRecord | str]:
    """Read every job; a failure becomes its message (so one bad file spoils nothing)."""
    out: list[PackageRecord | str] = []
    for job in jobs:
        try:
            out.append(reader(*job))
        except Exception as exc:  # noqa: BLE001, PERF203 - any failure is a reported problem
            out.append(f"{type(exc).__name__}: {exc}".strip())
    return out


def _read_many_packed(reader: RecordReader, jobs: Sequence[tuple[str, str, str, str]]) -> bytes:
    """:func:`_read_many` in a worker process, packed with marshal.

    Pickling 10,000 slotted dataclasses back to the parent costs more than reading the files;
    plain tuples through marshal cost almost nothing.
    """
    packed = [
        item
        if isinstance(item, str)
        else (
            item.timestamp,
            item.requires,
            item.build_requires,
            item.variants,
            item.hashed_variants,
            item.needs_eval,
        )
        for item in _read_many(reader, jobs)
    ]
    return marshal.dumps(packed)


def _unpack(data: bytes, jobs: Sequence[tuple[str, str, str, str]]) -> list[PackageRecord | str]:
    out: list[PackageRecord | str] = []
    for item, (path, family, version, location) in zip(marshal.loads(data), jobs, strict=True):  # noqa: S302 - our own worker's bytes
        if isinstance(item, str):
            out.append(item)
            continue
        timestamp, requires, build_requires, variants, hashed, needs_eval = item
        out.append(
            PackageRecord(
                name=family,
                version=version,
                timestamp=timestamp,
                requires=requires,
                build_requires=build_requires,
                variants=variants,
                hashed_variants=hashed,
                location=location,
                path=path,
                needs_eval=needs_eval,
            )
        )
    return out


def _free_cores() -> int:
    """CPUs worth a worker process: all of them minus those already busy (load average).

    Workers only pay off on an idle core; on a busy machine they cost more wall time than
    they save (measured: 2 CPUs at load 5, 18,226 files, 0.8 s serial vs 1.3 s parallel).
    """
    cpus = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0])
    except (AttributeError, OSError):  # Windows has no load average
        busy = 0
    return max(1, min(cpus - busy, 8))


def read_records(
    reader: RecordReader, jobs: list[ReadJob], *, parallel: bool = True
) -> list[PackageRecord | str]:
    """Read every job, in order; a failed one gives its error message instead of a record."""
    workers = _free_cores()
    if not parallel or len(jobs) < _PARALLEL_THRESHOLD or workers < 2:
        return _read_many(reader, jobs)
    size = -(-len(jobs) // workers)
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_read_many_packed, [reader] * len(chunks), chunks))
    except (OSError, RuntimeError):  # no processes allowed here: read in this one
        return _read_many(reader, jobs)
    records: list[PackageRecord | str] = []
    for part, chunk in zip(parts, chunks, strict=True):
        records.extend(_unpack(part, chunk))
    return records
