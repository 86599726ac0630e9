"""The listing index: every family's records, cached in one JSON file per repository.

Reading 18,000 package files takes rez half a minute; reading one JSON file and checking
modification times takes a fraction of a second. Each family is cached with the mtime of its
folder (which changes when a version folder, ``.ignore`` or ``.building`` file comes or goes,
and which rez and pkgimport touch after every install) and each version with the mtimes of its
folder and package file (which change when the file is edited or replaced). Anything that does
not match is read again; nothing is trusted beyond that.

The index lives in the user's own cache folder (not in a possibly shared repository) and is
written with :mod:`marshal`: plain tuples and strings, never code to run (unlike pickle), and
about ten times faster to load than JSON for 18,000 packages. Anything that does not have the
expected shape is thrown away and rebuilt. Writes go to a temporary file that then replaces the
index, so a reader sees the old or the new index, never a torn one; two writers racing simply
lose one update.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pkgimport.repository.base import LoadProblem, PackageRecord

__all__ = ["FamilyListing", "ListingIndex", "VersionEntry"]

_FORMAT = 3


class VersionEntry(NamedTuple):
    """One version folder of a family, with what was read from it and the mtimes checked.

    A named tuple rather than a dataclass: a warm listing builds 18,000 of them, and tuple
    construction is several times cheaper.
    """

    version: str
    """Version folder name (empty for an unversioned package)."""
    dir_mtime_ns: int
    """mtime of the version folder (family folder if unversioned); 0: not checked (package.py)."""
    filename: str
    """``package.py``/``package.yaml``; empty when the folder has no package file."""
    file_mtime_ns: int
    """mtime of the package file (0 without one)."""
    record: PackageRecord | None
    """What was read, or ``None`` when the file is missing or broken."""
    problem: LoadProblem | None = None
    """Why there is no record, when the file is broken."""


@dataclass(frozen=True, slots=True)
class FamilyListing:
    """A family folder as scanned: its mtime and its visible versions."""

    mtime_ns: int
    """mtime of the family folder when it was listed."""
    entries: tuple[VersionEntry, ...]
    """Visible versions (``.ignore``d and still-``.building`` ones left out)."""


def _entry_to_raw(entry: VersionEntry) -> tuple[object, ...]:
    rec = entry.record
    problem = None if entry.problem is None else entry.problem.reason
    head = (entry.version, entry.dir_mtime_ns, entry.filename, entry.file_mtime_ns, problem)
    if rec is None:
        return head
    return (
        *head,
        rec.timestamp,
        rec.requires,
        rec.variants,
        rec.hashed_variants,
        rec.needs_eval,
        rec.build_requires,
    )


def _entry_from_raw(
    data: tuple[Any, ...], family: str, location: str, family_dir: str
) -> VersionEntry:
    # Written by _entry_to_raw in this user's cache; a wrong shape raises and the caller
    # rescans the family. Types are trusted: this is the hot path of a warm listing.
    version, dir_mtime, filename, file_mtime, problem = data[:5]
    vdir = f"{family_dir}/{version}" if version else family_dir
    path = f"{vdir}/{filename}" if filename else ""
    lproblem = None if problem is None else LoadProblem(path=path or vdir, reason=problem)
    if len(data) == 5:
        return VersionEntry(version, dir_mtime, filename, file_mtime, None, lproblem)
    timestamp, requires, variants, hashed, needs_eval, build_requires = data[5:]
    record = PackageRecord(
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
    return VersionEntry(version, dir_mtime, filename, file_mtime, record, lproblem)


class ListingIndex:
    """The cached listings of one repository, backed by one JSON file (or none at all).

    :param file: where the index lives; ``None`` keeps it in memory only.
    :param location: the repository root the records belong to (stored in each record).
    """

    def __init__(self, file: Path | None, location: str) -> None:
        self.file = file
        self.location = location
        self._raw: dict[str, tuple[int, tuple[tuple[Any, ...], ...]]] = {}
        self._dirty = False
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        if self.file is None:
            return
        try:
            data = marshal.loads(self.file.read_bytes())  # noqa: S302 - see module docstring
        except (OSError, ValueError, EOFError, TypeError):
            return  # missing or torn: start afresh, it is only a cache
        if (
            isinstance(data, dict)
            and data.get("format") == _FORMAT
            and data.get("location") == self.location
            and isinstance(data.get("families"), dict)
        ):
            self._raw = data["families"]

    def get(self, family: str, mtime_ns: int) -> tuple[VersionEntry, ...] | None:
        """Return the cached entries of *family* if its folder still has mtime *mtime_ns*.

        The caller still checks each entry's own mtimes (:class:`VersionEntry`).
        """
        if not self._loaded:
            self._load()
        raw = self._raw.get(family)
        try:
            if raw is None or raw[0] != mtime_ns:
                return None
            family_dir = f"{self.location}/{family}"
            return tuple(
                _entry_from_raw(item, family, self.location, family_dir) for item in raw[1]
            )
        except (TypeError, ValueError, IndexError):
            return None

    def put(self, family: str, listing: FamilyListing) -> None:
        """Cache *listing* for *family* (saved by :meth:`save`)."""
        if not self._loaded:
            self._load()
        self._raw[family] = (listing.mtime_ns, tuple(_entry_to_raw(e) for e in listing.entries))
        self._dirty = True

    def discard(self, family: str) -> None:
        """Forget *family* (it is scanned again next time)."""
        if not self._loaded:
            self._load()
        if self._raw.pop(family, None) is not None:
            self._dirty = True

    def save(self) -> None:
        """Write the index if anything changed; failures are ignored (it is only a cache)."""
        if not self._dirty or self.file is None:
            return
        data = {"format": _FORMAT, "location": self.location, "families": self._raw}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=self.file.parent)
            tmp = Path(tmp_name)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps(data))
            tmp.replace(self.file)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return
        self._dirty = False
