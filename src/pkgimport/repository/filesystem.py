"""rez filesystem repositories: list, read and locate packages exactly where rez does.

Layout (rez-compat §3)::

    <repo>/<family>/<version>/package.py    (or package.yaml; .py wins)
    <repo>/<family>/package.py              unversioned package (its version folders are ignored)
    <repo>/<family>/.ignore<version>        hides that version (rez-pkg-ignore)
    <repo>/<family>/.building<version>      install in progress: hidden until it has a file
    <repo>/.pkgimport/                      pkgimport's lock and staging area (not a family)

A :class:`FilesystemRepository` lists families and versions, gives a cheap
:class:`~pkgimport.repository.base.PackageRecord` per package (from the listing index when the
files did not change), the full definition on demand, and variant roots. A broken package file
is recorded in :attr:`FilesystemRepository.problems` and skipped. :class:`RepositoryPaths`
stacks several repositories: the first one wins for each family and version.

>>> repo = FilesystemRepository("/nonexistent", index_file=None)
>>> list(repo.iter_families())
[]
"""

# str paths and os.* on purpose: listing 18,000 packages is the hot path.
# ruff: noqa: PTH100, PTH112, PTH113, PTH116

from __future__ import annotations

import os
import stat
import sys
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from pkgimport.errors import RepositoryError
from pkgimport.repository._index import FamilyListing, ListingIndex, VersionEntry
from pkgimport.repository._layout import (
    SHORTLINKS_DIRNAME,
    canonical_requirement,
    find_shortlink,
    needs_hashing,
    variant_subpath,
)
from pkgimport.repository._records import RecordReader, read_record, read_records
from pkgimport.repository.base import LoadProblem, PackageRecord

# The same check as pkgimport.definition's, from the module a resolve imports anyway: importing
# definition (and its dataclasses) costs a fresh process 3 ms for nothing else.
from pkgimport.resolver.requirements import is_valid_package_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from pkgimport.definition import PackageDefinition
    from pkgimport.repository._journal import RecoveryReport
    from pkgimport.repository._transaction import Transaction

__all__ = [
    "PACKAGE_FILENAMES",
    "FilesystemRepository",
    "RecordReader",
    "RepositoryPaths",
    "canonical_requirement",
    "default_index_file",
    "needs_hashing",
    "read_record",
    "variant_subpath",
]


def __dir__() -> list[str]:
    return __all__


PACKAGE_FILENAMES = ("package.py", "package.yaml")
"""Package file names in the order rez tries them (``package_filenames`` x py, yaml)."""

_PRIVATE_DIRNAME = ".pkgimport"
"""``_lock.PRIVATE_DIRNAME`` (importing ``_lock`` imports filelock: 15 ms of start-up)."""
_IGNORE_PREFIX = ".ignore"
_BUILDING_PREFIX = ".building"


def default_index_file(root: Path) -> Path:
    """Return where the listing index of the repository *root* is cached (user cache dir).

    The cache lives outside the repository so read-only and shared repositories work too.
    """
    # hashlib loads OpenSSL (3 ms of every CLI start); CPython's builtin _sha1 gives the same
    # digest for the price of a module already linked in.
    try:
        from _sha1 import sha1  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:  # pragma: no cover - a CPython built without it, or another Python
        from hashlib import sha1  # noqa: PLC0415

    key = sha1(str(root).encode("utf-8"), usedforsecurity=False).hexdigest()[:20]
    return _user_cache_dir() / "index" / f"{key}.marshal"


def _user_cache_dir() -> Path:
    """Return ``platformdirs.user_cache_dir("pkgimport")``, on Linux without platformdirs.

    Importing platformdirs costs 5 ms of every CLI start. On Linux its answer is the XDG rule:
    an absolute ``$XDG_CACHE_HOME``, else ``~/.cache`` (for an absolute ``$HOME``), plus the
    app name; anything else (other systems, odd variables) is left to platformdirs itself.
    """
    if sys.platform == "linux":
        xdg = Path(os.environ.get("XDG_CACHE_HOME", ""))
        if xdg.is_absolute():
            return xdg / "pkgimport"
        if Path(os.environ.get("HOME", "")).is_absolute():
            return Path("~/.cache/pkgimport").expanduser()
    import platformdirs  # noqa: PLC0415 - see above

    return Path(platformdirs.user_cache_dir("pkgimport"))


def _stat_mtime(path: str) -> int:
    """Mtime in ns, or -1 when *path* is missing."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _find_file(vdir: str) -> tuple[str, int]:
    """Return the package file name in *vdir* and its mtime (``("", 0)`` when none)."""
    for name in PACKAGE_FILENAMES:
        try:
            st = os.stat(f"{vdir}/{name}")
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            return name, st.st_mtime_ns
    return "", 0


def _dir_mtime(vdir: str, filename: str) -> int:
    """Return the version folder mtime the index must check, or 0 when none is needed.

    Only a folder whose package file could be shadowed or appear (no file, or a
    ``package.yaml`` that a new ``package.py`` would override) needs its own mtime checked;
    a ``package.py`` wins over everything, and its own mtime covers edits and deletion.
    Skipping the others halves the stats of a warm listing.
    """
    return 0 if filename == PACKAGE_FILENAMES[0] else _stat_mtime(vdir)


_Slot: TypeAlias = "tuple[str, int, str, int]"
"""A version to read: ``(version, dir_mtime, filename, file_mtime)``."""


def _reprobe(fdir: str, entry: VersionEntry) -> _Slot:
    vdir = f"{fdir}/{entry.version}" if entry.version else fdir
    filename, file_mtime = _find_file(vdir)
    return (entry.version, _dir_mtime(vdir, filename), filename, file_mtime)


class FilesystemRepository:
    """One rez filesystem repository (read side; writes go through :meth:`transaction`).

    :param root: the repository folder (it may not exist yet).
    :param index_file: the listing index; default :func:`default_index_file`, ``None`` for none.
    :param reader: reads one package file into a record (see :data:`RecordReader`).
    :param parallel: read many files in worker processes when there are more than 1 CPU.

    Listings are cached in memory for the life of the object, like rez's resource caches; call
    :meth:`refresh` to see changes made by others.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        index_file: Path | bool | None = True,
        reader: RecordReader = read_record,
        parallel: bool = True,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.location = str(self.root)
        if index_file is True:
            index_file = default_index_file(self.root)
        self._index = ListingIndex(index_file or None, self.location)
        # Saving after every family would rewrite the whole index per family; save once when
        # the repository object goes away (or the process exits), and after preload().
        weakref.finalize(self, self._index.save)
        self._reader = reader
        self._parallel = parallel
        self._listings: dict[str, FamilyListing] = {}
        self._families: list[str] | None = None
        self._extra_problems: list[LoadProblem] = []

    def __repr__(self) -> str:
        return f"FilesystemRepository({self.location!r})"

    # -- listing -------------------------------------------------------------------------------

    def iter_families(self) -> Iterator[str]:
        """Yield family names, sorted (rez lists in set order; pkgimport is deterministic)."""
        if self._families is None:
            self._families = self._list_families()
        return iter(self._families)

    def has_family(self, family: str) -> bool:
        """Tell whether *family* has a folder here (it may hold no visible version)."""
        return is_valid_package_name(family) and os.path.isdir(f"{self.location}/{family}")

    def iter_records(self, family: str) -> Iterator[PackageRecord]:
        """Yield the readable packages of *family* (broken files are in :attr:`problems`)."""
        for entry in self._listing(family).entries:
            if entry.record is not None:
                yield entry.record

    def iter_versions(self, family: str) -> Iterator[str]:
        """Yield the version strings of *family*'s readable packages."""
        return (r.version for r in self.iter_records(family))

    def get_record(self, family: str, version: str) -> PackageRecord | None:
        """Return the record of ``family-version``, or ``None`` when there is none."""
        for entry in self._listing(family).entries:
            if entry.version == version:
                return entry.record
        return None

    def iter_all_records(self) -> Iterator[PackageRecord]:
        """Yield every readable package of every family (reads changed files in parallel)."""
        self.preload()
        for family in self.iter_families():
            yield from self.iter_records(family)

    @property
    def problems(self) -> list[LoadProblem]:
        """Broken package files and folders seen so far (each skipped), with the reason."""
        found = list(self._extra_problems)
        for listing in self._listings.values():
            found.extend(e.problem for e in listing.entries if e.problem is not None)
        return found

    def refresh(self, families: Iterable[str] | None = None) -> None:
        """Forget in-memory listings (of *families*, or all) so changes on disk are seen."""
        self._families = None
        if families is None:
            self._listings.clear()
            self._extra_problems.clear()
        else:
            for family in families:
                self._listings.pop(family, None)

    # -- packages ------------------------------------------------------------------------------

    def package_dir(self, family: str, version: str) -> Path:
        """Return the package's base folder (``{base}`` in rez)."""
        return self.root / family / version if version else self.root / family

    def load(self, family: str, version: str) -> PackageDefinition:
        """Read the full definition of ``family-version``.

        The folders name it, as in rez: the file's own ``name`` and ``version`` (which rez
        never reads either) are replaced by *family* and the version folder's name.

        :raises RepositoryError: the package is not there.
        :raises InvalidPackageDefinition: its file is broken.
        """
        from pkgimport.repository._reader import read_package_file  # noqa: PLC0415

        record = self.get_record(family, version)
        if record is None:
            qualified = f"{family}-{version}" if version else family
            raise RepositoryError(
                f"package {qualified!r} not found in {self.location}",
                hint="run 'pkgimport list' to see what the repository holds",
            )
        return read_package_file(record.path, name=record.name, version=record.version)

    def variant_root(self, record: PackageRecord, index: int | None) -> Path:
        """Return the root of variant *index* of *record* (``{root}`` in rez).

        Existing ``_v`` shortlinks of hashed variants are honoured, as rez does.
        """
        base = Path(record.location) / record.name
        if record.version:
            base = base / record.version
        if index is None or record.variants is None:
            return base
        sub = variant_subpath(record.variants[index], hashed=record.hashed_variants)
        if record.hashed_variants:
            link = find_shortlink(base, sub)
            if link is not None:
                return base / SHORTLINKS_DIRNAME / link
        return base / sub

    def variant_paths(self, record: PackageRecord, index: int | None) -> tuple[str, str]:
        """Return ``(root, base)`` of variant *index* of *record* as strings.

        The same as ``str(variant_root(record, index))`` and ``str(package_dir(...))``, without
        pathlib: a context locates every resolved variant, hundreds of them.
        """
        # record.location is an absolute, normalised path; only the root ends with a separator.
        sep = os.sep
        base = f"{record.location.rstrip(sep)}{sep}{record.name}"
        if record.version:
            base = f"{base}{sep}{record.version}"
        if index is None or record.variants is None:
            return base, base
        sub = variant_subpath(record.variants[index], hashed=record.hashed_variants)
        if record.hashed_variants:
            link = find_shortlink(Path(base), sub)
            if link is not None:
                return f"{base}{sep}{SHORTLINKS_DIRNAME}{sep}{link}", base
        return f"{base}{sep}{sub.replace('/', sep)}", base

    def transaction(self, *, lock_timeout: float | None = None) -> Transaction:
        """Return a new write transaction; use it as a context manager.

        ``with repo.transaction() as txn: txn.add(pkg); txn.commit()``; leaving the block
        without :meth:`~pkgimport.repository._transaction.Transaction.commit` rolls back.
        """
        from pkgimport.repository._transaction import Transaction  # noqa: PLC0415

        if lock_timeout is None:
            return Transaction(self)
        return Transaction(self, lock_timeout=lock_timeout)

    def recover(self, *, lock_timeout: float | None = None) -> RecoveryReport:
        """Complete the commits of writers that died part-way; drop their undecided staging.

        Call it before reading the repository to plan an import, so the plan sees every
        package a dead writer had decided to install. Takes the repository lock only when
        there is something to do, so it costs one folder listing otherwise (and works on a
        read-only repository then). :meth:`Transaction.commit` recovers too.

        :raises RepositoryError: the lock timed out or cannot be taken.
        """
        from pkgimport.repository._journal import (  # noqa: PLC0415
            RecoveryReport,
            has_dead_writers,
            recover,
        )
        from pkgimport.repository._lock import (  # noqa: PLC0415
            DEFAULT_TIMEOUT,
            check_private_dir,
            hold_lock,
        )

        check_private_dir(self.root)
        staging_root = self.root / _PRIVATE_DIRNAME / "staging"
        if not has_dead_writers(staging_root):
            return RecoveryReport()
        timeout = DEFAULT_TIMEOUT if lock_timeout is None else lock_timeout
        lock = self.root / _PRIVATE_DIRNAME / "lock"
        with hold_lock(lock, timeout=timeout, what=f"repository {self.location}"):
            report = recover(self.root, staging_root)
        self.refresh()
        return report

    # -- internals -----------------------------------------------------------------------------

    def _list_families(self) -> list[str]:
        try:
            entries = list(os.scandir(self.location))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RepositoryError(
                f"cannot list repository {self.location}: {exc.strerror}",
                hint="check the path and its permissions",
            ) from None
        names: list[str] = []
        for entry in entries:
            name = entry.name
            if name in {"settings.yaml", _PRIVATE_DIRNAME}:
                continue
            if entry.is_dir():
                if is_valid_package_name(name):
                    names.append(name)
            elif name.endswith((".py", ".yaml")) and is_valid_package_name(name.rsplit(".", 1)[0]):
                self._extra_problems.append(
                    LoadProblem(
                        path=entry.path,
                        reason="combined family files are not supported; the family is skipped",
                    )
                )
        names.sort()
        return names

    def _listing(self, family: str) -> FamilyListing:
        listing = self._listings.get(family)
        if listing is None:
            self._scan([family])
            listing = self._listings[family]
        return listing

    def preload(self, families: Iterable[str] | None = None) -> None:
        """Scan *families* (default: all) at once, reading changed files in parallel."""
        todo = list(self.iter_families() if families is None else families)
        self._scan([f for f in todo if f not in self._listings])
        self._index.save()

    def _scan(self, families: Sequence[str]) -> None:
        """List *families*, reuse index entries whose mtimes match, read the rest."""
        pending: dict[str, tuple[int, list[VersionEntry | _Slot]]] = {}
        jobs: list[tuple[str, str, str, str]] = []
        location = self.location
        for family in families:
            mtime, cached, slots = self._plan_family(family)
            if cached is not None:  # the warm path: nothing changed
                self._listings[family] = FamilyListing(mtime, cached)
                continue
            pending[family] = (mtime, slots)
            for slot in slots:
                if not isinstance(slot, VersionEntry) and slot[2]:
                    version, _, filename, _ = slot
                    vdir = f"{location}/{family}/{version}" if version else f"{location}/{family}"
                    jobs.append((f"{vdir}/{filename}", family, version, location))
        results = iter(read_records(self._reader, jobs, parallel=self._parallel))
        for family, (mtime, slots) in pending.items():
            entries = [self._complete(family, slot, results) for slot in slots]
            listing = FamilyListing(mtime, tuple(entries))
            self._listings[family] = listing
            if mtime >= 0:
                self._index.put(family, listing)

    def _complete(
        self,
        family: str,
        slot: VersionEntry | _Slot,
        results: Iterator[PackageRecord | str],
    ) -> VersionEntry:
        if isinstance(slot, VersionEntry):
            return slot
        version, dir_mtime, filename, file_mtime = slot
        vdir = f"{self.location}/{family}/{version}" if version else f"{self.location}/{family}"
        if not filename:
            problem = LoadProblem(path=vdir, reason="missing package definition file")
            return VersionEntry(version, dir_mtime, "", 0, None, problem)
        result = next(results)
        path = f"{vdir}/{filename}"
        if isinstance(result, str):
            return VersionEntry(
                version,
                dir_mtime,
                filename,
                file_mtime,
                None,
                LoadProblem(path=path, reason=result),
            )
        return VersionEntry(version, dir_mtime, filename, file_mtime, result)

    def _plan_family(
        self, family: str
    ) -> tuple[int, tuple[VersionEntry, ...] | None, list[VersionEntry | _Slot]]:
        """Return the family folder mtime, its cached entries if all are valid, or a plan.

        The plan has, per visible version, a cached entry still valid, or ``(version,
        dir_mtime, filename, file_mtime)`` to read.
        """
        fdir = f"{self.location}/{family}"
        mtime = _stat_mtime(fdir)
        if mtime < 0:
            return mtime, None, []
        found = self._index.get(family, mtime)
        if found is None:
            return mtime, None, self._list_versions(fdir)
        cached, stale = found
        if not stale:
            return mtime, cached, []
        slots: list[VersionEntry | _Slot] = list(cached)
        for i in stale:
            slots[i] = _reprobe(fdir, cached[i])
        return mtime, None, slots

    @staticmethod
    def _list_versions(fdir: str) -> list[VersionEntry | _Slot]:
        # An unversioned package (rez: allow_unversioned_packages, on by default) hides
        # every version folder of its family.
        filename, file_mtime = _find_file(fdir)
        if filename:
            return [("", _dir_mtime(fdir, filename), filename, file_mtime)]
        dirs: list[str] = []
        hidden: set[str] = set()
        building: set[str] = set()
        for entry in os.scandir(fdir):
            name = entry.name
            if name.startswith(_IGNORE_PREFIX):
                hidden.add(name[len(_IGNORE_PREFIX) :])
            elif name.startswith(_BUILDING_PREFIX):
                building.add(name[len(_BUILDING_PREFIX) :])
            elif not name.startswith(".") and entry.is_dir():
                dirs.append(name)
        # rez checks .ignore<v> with isfile(); a folder of that name hides nothing.
        hidden = {v for v in hidden if os.path.isfile(f"{fdir}/{_IGNORE_PREFIX}{v}")}
        slots: list[VersionEntry | _Slot] = []
        for version in sorted(dirs):
            if version in hidden:
                continue
            vdir = f"{fdir}/{version}"
            filename, file_mtime = _find_file(vdir)
            if not filename and version in building:
                continue  # still being installed: hidden until its file exists
            slots.append((version, _dir_mtime(vdir, filename), filename, file_mtime))
        return slots


class RepositoryPaths:
    """Several repositories searched in order: the first wins per family and version.

    Families are merged across repositories, like rez's ``packages_path``.

    >>> paths = RepositoryPaths([FilesystemRepository("/a", index_file=None)])
    >>> [r.location for r in paths.repositories]
    ['/a']
    """

    def __init__(self, repositories: Iterable[FilesystemRepository]) -> None:
        self.repositories = tuple(repositories)

    @classmethod
    def from_paths(
        cls, paths: Iterable[str | os.PathLike[str]], **options: object
    ) -> RepositoryPaths:
        """Open a :class:`FilesystemRepository` for each path (same *options* for each)."""
        return cls(FilesystemRepository(p, **options) for p in paths)  # type: ignore[arg-type]

    def iter_families(self) -> Iterator[str]:
        """Yield every family name once, sorted."""
        names: set[str] = set()
        for repo in self.repositories:
            names.update(repo.iter_families())
        return iter(sorted(names))

    def has_family(self, family: str) -> bool:
        """Tell whether any repository has a folder for *family*."""
        return any(repo.has_family(family) for repo in self.repositories)

    def iter_records(self, family: str) -> Iterator[PackageRecord]:
        """Yield *family*'s packages; a version already seen in an earlier path is skipped.

        Versions are compared as rez compares them: ``1.0`` and ``1-0`` are the same version,
        also within one repository (rez's ``iter_packages`` skips the second one too).
        """
        seen: set[str] = set()
        for repo in self.repositories:
            for record in repo.iter_records(family):
                key = _version_key(record.version)
                if key in seen:
                    continue
                seen.add(key)
                yield record

    def get_record(self, family: str, version: str) -> PackageRecord | None:
        """Return the first repository's record of ``family-version``."""
        key = _version_key(version)
        for record in self.iter_records(family):
            if _version_key(record.version) == key:
                return record
        return None

    def preload(self) -> None:
        """Scan every family of every repository now (in parallel where it helps)."""
        for repo in self.repositories:
            repo.preload()

    def iter_all_records(self) -> Iterator[PackageRecord]:
        """Yield every visible package of every family."""
        self.preload()
        for family in self.iter_families():
            yield from self.iter_records(family)

    def repository_of(self, record: PackageRecord) -> FilesystemRepository:
        """Return the repository *record* came from."""
        for repo in self.repositories:
            if repo.location == record.location:
                return repo
        raise RepositoryError(f"{record.location} is not one of the searched repositories")

    def variant_root(self, record: PackageRecord, index: int | None) -> Path:
        """Return the root of variant *index* of *record*."""
        return self.repository_of(record).variant_root(record, index)

    def variant_paths(self, record: PackageRecord, index: int | None) -> tuple[str, str]:
        """Return ``(root, base)`` of variant *index* of *record* as strings."""
        return self.repository_of(record).variant_paths(record, index)

    def load(self, family: str, version: str) -> PackageDefinition:
        """Read the full definition of the first ``family-version`` found."""
        record = self.get_record(family, version)
        if record is None:
            raise RepositoryError(
                f"package {family}-{version} not found in "
                + os.pathsep.join(r.location for r in self.repositories),
                hint="run 'pkgimport list' to see what the repositories hold",
            )
        return self.repository_of(record).load(family, record.version)

    @property
    def problems(self) -> list[LoadProblem]:
        """Problems of every repository."""
        return [p for repo in self.repositories for p in repo.problems]


def _version_key(version: str) -> str:
    # rez's Version equality compares tokens, not the separators between them ("1.0" and
    # "1-0" are the same version; "01" and "1" are not), so this is the identity rez uses
    # without parsing 18,000 versions.
    return version.replace("-", ".")
