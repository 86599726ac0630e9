"""The listing index: every family's records, cached in one file per repository.

Reading 18,000 package files takes rez half a minute; reading one index file and checking
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

Each family's entries are stored as their own marshal bytes inside the file, so loading the
index decodes only a mapping of names to byte strings; a family is decoded (and its files
checked) only when asked for, and a resolve asks for a few hundred of 4,000 families.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from pathlib import Path
from typing import Any, NamedTuple

from pkgimport.repository.base import LoadProblem, PackageRecord, make_record

__all__ = ["FamilyListing", "ListingIndex", "VersionEntry"]

_FORMAT = 6  # 6: a file's own name/version no longer decide whether it is listed


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


class FamilyListing(NamedTuple):
    """A family folder as scanned: its mtime and its visible versions.

    A named tuple like :class:`VersionEntry`: a dataclass costs a fresh process 0.7 ms to define.
    """

    mtime_ns: int
    """mtime of the family folder when it was listed."""
    entries: tuple[VersionEntry, ...]
    """Visible versions (``.ignore``d and still-``.building`` ones left out)."""


def _entry_to_raw(entry: VersionEntry) -> tuple[Any, ...]:
    rec = entry.record
    problem = None if entry.problem is None else entry.problem.reason
    fields = None
    if rec is not None:
        # RecordTuple order: make_record(family, version, location, path, *fields).
        fields = (
            rec.timestamp,
            rec.requires,
            rec.build_requires,
            rec.variants,
            rec.hashed_variants,
            rec.needs_eval,
        )
    return (entry.version, entry.dir_mtime_ns, entry.filename, entry.file_mtime_ns, problem, fields)


_tuple_new = tuple.__new__


def _entries_from_raw(
    items: tuple[tuple[Any, ...], ...], family: str, location: str
) -> tuple[tuple[VersionEntry, ...], list[int]]:
    """Rebuild a family's entries and find those whose files changed since.

    The hot path of a warm listing, so one tight loop does both. Written by
    :func:`_entry_to_raw` in this user's cache; a wrong shape raises and the caller rescans
    the family. Types are trusted.

    Validity costs one ``stat`` per package file, the way rez's own caches key a package file
    on its mtime: an edit in place (``echo >> package.py``) changes no folder's mtime, so
    checking only the family folder (as rez does for its listings) would serve stale
    requirements. The version folder is checked too only where a file could appear or take
    precedence (``dir_mtime`` not 0). An edit within one tick of a coarse-mtime filesystem
    goes unseen, as it does for rez.
    """
    family_dir = f"{location}/{family}"
    out: list[VersionEntry] = []
    stale: list[int] = []
    append = out.append
    stat = os.stat
    for version, dir_mtime, filename, file_mtime, problem, fields in items:
        vdir = f"{family_dir}/{version}" if version else family_dir
        path = f"{vdir}/{filename}" if filename else ""
        try:
            if (path and stat(path).st_mtime_ns != file_mtime) or (
                dir_mtime and stat(vdir).st_mtime_ns != dir_mtime
            ):
                stale.append(len(out))
        except OSError:
            stale.append(len(out))
        record = None if fields is None else make_record(family, version, location, path, *fields)
        lproblem = None if problem is None else LoadProblem(path=path or vdir, reason=problem)
        # tuple.__new__ skips the named tuple's Python-level __new__ (same value).
        fields_ = (version, dir_mtime, filename, file_mtime, record, lproblem)
        append(_tuple_new(VersionEntry, fields_))
    return tuple(out), stale


class ListingIndex:
    """The cached listings of one repository, backed by one marshal file (or none at all).

    :param file: where the index lives; ``None`` keeps it in memory only.
    :param location: the repository root the records belong to (stored in each record).
    """

    def __init__(self, file: Path | None, location: str) -> None:
        self.file = file
        self.location = location
        # family -> (folder mtime, marshal bytes of its raw entries), decoded on demand.
        self._raw: dict[str, tuple[int, bytes]] = {}
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

    def get(self, family: str, mtime_ns: int) -> tuple[tuple[VersionEntry, ...], list[int]] | None:
        """Return the cached entries of *family* if its folder still has mtime *mtime_ns*.

        Also returns the positions of the entries whose own mtimes (:class:`VersionEntry`)
        no longer match: the caller reads those again.
        """
        if not self._loaded:
            self._load()
        raw = self._raw.get(family)
        try:
            if raw is None or raw[0] != mtime_ns:
                return None
            items = marshal.loads(raw[1])  # noqa: S302 - see module docstring
            return _entries_from_raw(items, family, self.location)
        except (TypeError, ValueError, IndexError, EOFError):
            return None

    def put(self, family: str, listing: FamilyListing) -> None:
        """Cache *listing* for *family* (saved by :meth:`save`)."""
        if not self._loaded:
            self._load()
        items = tuple(_entry_to_raw(e) for e in listing.entries)
        self._raw[family] = (listing.mtime_ns, marshal.dumps(items))
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
        import tempfile  # noqa: PLC0415 - a warm listing never writes (5 ms of imports)

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
