"""All-or-nothing writes to a filesystem repository, merging variants exactly like rez.

A :class:`Transaction` stages everything in ``<repo>/.pkgimport/staging/<id>/`` (same
filesystem, so every final step is a ``rename``), then, under the repository lock, merges each
package with what is on disk *at that moment* and moves the results into place. What a reader
(rez 3.4 or pkgimport) can see holds at every instant, by construction:

* a new version folder is built complete in staging (payload and package.py) and renamed into
  its family in one step;
* a new variant of an existing package gets its payload folders renamed in first (rez does not
  see a variant folder its package file does not list), then the package file is replaced in
  one ``os.replace``;
* packages are made visible dependencies first, so no package of a transaction is visible
  before the packages of the same transaction it requires.

rez's layout has no switch that shows several families at once, so a commit is not one atomic
step; instead it is decided once and then only rolled *forward* (:mod:`._journal`): until its
plan is written nothing in the repository has changed and a failure just drops the staging
folder; after it, the writer, or after a crash the next writer (under the lock, before it
reads anything), completes the plan. Nothing a commit made visible is ever withdrawn.

Payload folders are staged as hard links to the importer's files when both are on the same
filesystem (a warm import of ~1,300 files then costs one ``link`` each instead of a copy), and
copied otherwise. Either way the staged tree is the transaction's own: dropping it unlinks it
without touching the source. Linked files share their contents with the source (pkgimport's
content-addressed payload cache), which is written once and never modified in place.

Merging follows rez (:mod:`._merge`), and the family folder mtime is touched afterwards (rez's
"last release time" that caches use).
"""

# rename/replace semantics are the point of this module; os.* spells them out.
# ruff: noqa: PTH104, PTH208

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkgimport.errors import RepositoryError
from pkgimport.repository._journal import (
    CommitPlan,
    RecoveryReport,
    Step,
    apply_plan,
    file_digest,
    finish_plan,
    recover,
    write_plan,
)
from pkgimport.repository._lock import (
    DEFAULT_TIMEOUT,
    PRIVATE_DIRNAME,
    check_private_dir,
    hold_lock,
)
from pkgimport.repository._merge import MergeResult, merge_package
from pkgimport.repository.base import AddResult, LoadProblem, PackageRecord
from pkgimport.repository.filesystem import (
    PACKAGE_FILENAMES,
    FilesystemRepository,
    needs_hashing,
    variant_subpath,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from types import TracebackType

    from typing_extensions import Self

    from pkgimport.definition import ImportedPackage, PackageDefinition

__all__ = ["Transaction", "TransactionView", "merge_package"]

_PACKAGE_FILE_MODE = (
    stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
)  # rez writes package files read-only


_NO_LINK = frozenset(
    code
    for code in (
        errno.EXDEV,
        errno.EPERM,
        errno.EACCES,
        errno.EMLINK,
        errno.ENOTSUP,
        errno.EOPNOTSUPP,
        getattr(errno, "ENOSYS", None),
    )
    if code is not None
)
"""Why ``link`` fails where a copy may still work (other filesystem, no link support)."""


def _within(root: str, path: str) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


@dataclass(slots=True)
class _Pending:
    definition: PackageDefinition
    payloads: dict[int, Path]


class Transaction:
    """Stage packages, then install them all at once (or none of them).

    Use it as a context manager; leaving the block without :meth:`commit` rolls back::

        with repo.transaction() as txn:
            txn.add(imported)
            txn.commit()

    :param repository: where to write.
    :param lock_timeout: seconds to wait for another writer at commit time.
    :param clock: current time in seconds (the timestamp of packages that have none).
    """

    def __init__(
        self,
        repository: FilesystemRepository,
        *,
        lock_timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repository = repository
        self.lock_timeout = lock_timeout
        self._clock = clock
        self._pending: list[_Pending] = []
        # The merged packages as add() previewed them (commit merges again under the lock).
        self._preview: dict[tuple[str, str], PackageDefinition | None] = {}
        self._staging: Path | None = None
        self._owner_lock: contextlib.ExitStack | None = None
        self._owner_lock_file: Path | None = None
        self._done = False
        self._decided = False  # the plan is written: from now on, only forward
        self._can_link = hasattr(os, "link")
        self.results: tuple[AddResult, ...] = ()
        """What :meth:`commit` did, one result per :meth:`add`."""
        self.recovered = RecoveryReport()
        """What :meth:`commit` found of dead writers' commits, and completed or discarded."""

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> Self:
        private = self.repository.root / PRIVATE_DIRNAME
        staging_root = private / "staging"
        name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        stack = contextlib.ExitStack()
        check_private_dir(self.repository.root)
        try:
            staging_root.mkdir(parents=True, exist_ok=True)
            check_private_dir(self.repository.root)  # made by somebody else meanwhile?
            # The owner lock tells other writers this staging folder is alive (see recover).
            self._owner_lock_file = staging_root / f"{name}.lock"
            stack.enter_context(hold_lock(self._owner_lock_file, timeout=0))
            self._staging = staging_root / name
            self._staging.mkdir()
        except OSError as exc:
            stack.close()
            raise RepositoryError(
                f"cannot write to repository {self.repository.location}: "
                f"{exc.strerror or exc} ({exc.filename or staging_root}); nothing was changed",
                hint="check that the path is writable (not a read-only mount), or pass another "
                "--repo",
            ) from None
        self._owner_lock = stack
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def rollback(self) -> None:
        """Drop everything staged (a no-op after :meth:`commit`); may be called twice.

        A commit that was decided but stopped part-way keeps its staging folder: the next
        writer completes it once this transaction's owner lock is released here.
        """
        self._pending.clear()
        self._preview.clear()
        if self._staging is not None:
            if not self._decided:
                shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._owner_lock is not None:
            self._owner_lock.close()
            self._owner_lock = None
            if self._owner_lock_file is not None:
                with contextlib.suppress(OSError):
                    self._owner_lock_file.unlink()

    # -- staging -------------------------------------------------------------------------------

    def _staging_dir(self) -> Path:
        if self._staging is None or self._done:
            raise RepositoryError(
                "the transaction is not open",
                hint="use 'with repository.transaction() as txn:' and add before commit()",
            )
        return self._staging

    def add(self, imported: ImportedPackage) -> AddResult:
        """Stage *imported* (its payload folders are linked or copied now); return what it will do.

        The result is a preview against the repository as it is now; :meth:`commit` merges
        again under the lock, against what is on disk then.

        :raises RepositoryError: a payload folder is missing, or the merge is refused.
        """
        staging = self._staging_dir()
        definition = imported.definition
        count = max(len(definition.variants), 1)
        payloads: dict[int, Path] = {}
        for index, source in imported.payloads.items():
            if not 0 <= index < count:
                raise RepositoryError(
                    f"{definition.qualified_name}: payload for variant {index}, which does not "
                    "exist",
                    hint="this is a bug in the importer; please report it",
                )
            if not source.is_dir():
                raise RepositoryError(
                    f"{definition.qualified_name}: payload folder {source} does not exist",
                    hint="the importer must build the payload before adding the package",
                )
            # Flat names: the folders are renamed away at commit, none is left to remove.
            target = staging / f"payload-{len(self._pending)}-{index}"
            try:
                shutil.copytree(source, target, symlinks=True, copy_function=self._link_or_copy)
            except (OSError, shutil.Error) as exc:
                raise _staging_failed(
                    self.repository.location, definition.qualified_name, exc
                ) from None
            payloads[index] = target
        # Check the variant folders now, so a bad requirement fails before anything is written.
        for variant in definition.variants:
            hashed = definition.hashed_variants or needs_hashing(variant)
            self._check_root(definition, variant_subpath(variant, hashed=hashed))
        preview = self._merge_all([_Pending(definition, payloads)], self._preview)[-1]
        self._pending.append(_Pending(definition, payloads))
        return self._result(definition, preview)

    def _link_or_copy(self, source: str, target: str) -> None:
        """Stage one payload file: a hard link when the filesystem allows it, else a copy."""
        if self._can_link:
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError as exc:
                if exc.errno not in _NO_LINK:
                    raise
                # Another filesystem, or one without hard links: copy from now on.
                self._can_link = False
            else:
                return
        shutil.copy2(source, target, follow_symlinks=False)

    def _check_root(self, definition: PackageDefinition, subpath: str) -> None:
        base = self.repository.package_dir(definition.name, definition.version)
        if not _within(self.repository.location, str(base / subpath)):
            raise RepositoryError(
                f"{definition.qualified_name}: variant folder {str(base / subpath)!r} is outside "
                f"the repository {self.repository.location}",
                hint="a folder on the way is a link out of the repository; remove it",
            )

    def _result(self, definition: PackageDefinition, merge: MergeResult) -> AddResult:
        path = self._package_file(definition.name, definition.version)
        return AddResult(
            name=definition.name,
            version=definition.version,
            status=merge.status,
            variant_indices=merge.indices,
            path=str(path),
        )

    def _package_file(self, name: str, version: str) -> Path:
        vdir = self.repository.package_dir(name, version)
        existing = _existing_file(vdir)
        return existing if existing is not None else vdir / PACKAGE_FILENAMES[0]

    def _merge_all(
        self,
        pending: list[_Pending],
        state: dict[tuple[str, str], PackageDefinition | None] | None = None,
    ) -> list[MergeResult]:
        """Merge *pending* packages, in order, with the disk and with earlier ones.

        *state* holds packages merged so far (updated in place); missing ones are read from
        disk.
        """
        state = {} if state is None else state
        results: list[MergeResult] = []
        now = int(self._clock())
        for item in pending:
            d = item.definition
            key = (d.name, d.version)
            if key not in state:
                state[key] = self._read_installed(d)
            merge = merge_package(state[key], d, now=now)
            state[key] = merge.definition
            results.append(merge)
        return results

    def _read_installed(self, definition: PackageDefinition) -> PackageDefinition | None:
        from pkgimport.repository._reader import read_package_file  # noqa: PLC0415

        family_dir = self.repository.root / definition.name
        unversioned = _existing_file(family_dir)
        if definition.version and unversioned is not None:
            raise RepositoryError(
                f"cannot add {definition.qualified_name}: {definition.name} is installed "
                f"unversioned ({unversioned}), which hides every version",
                hint="remove the unversioned package first",
            )
        if (
            not definition.version
            and family_dir.is_dir()
            and unversioned is None
            and any(not e.name.startswith(".") and e.is_dir() for e in os.scandir(family_dir))
        ):
            raise RepositoryError(
                f"cannot add {definition.name} unversioned: it would hide the installed versions",
                hint="give the package a version",
            )
        path = _existing_file(self.repository.package_dir(definition.name, definition.version))
        return None if path is None else read_package_file(path)

    def view(self) -> TransactionView:
        """Return a read-only view of the repository with the staged packages merged in.

        Staged packages appear as :meth:`add` merged them (with the repository as it was
        then); everything else is read from the repository.
        """
        overlay = {key: d for key, d in self._preview.items() if d is not None}
        return TransactionView(self.repository, overlay)

    # -- commit --------------------------------------------------------------------------------

    def commit(self) -> tuple[AddResult, ...]:
        """Install everything staged: all of it, dependencies before what requires them.

        Under the repository lock: dead writers' commits are completed first
        (:func:`~._journal.recover`), then everything is merged with the disk as it is now,
        written into staging and checked; only then is the plan written (the decision) and
        applied. Until the decision a failure leaves the repository as it was; after it, the
        commit only rolls forward (see :mod:`._journal`).

        :raises RepositoryError: the lock timed out, a merge is refused, something is in the
            way, or a step failed (after the decision: what became visible stays, and the
            next write to the repository completes the rest).
        """
        staging = self._staging_dir()
        root = self.repository.location
        lock = self.repository.root / PRIVATE_DIRNAME / "lock"
        with hold_lock(lock, timeout=self.lock_timeout, what=f"repository {root}"):
            self.recovered = recover(self.repository.root, staging.parent, keep=staging.name)
            merges = self._merge_all(self._pending)
            groups: dict[tuple[str, str], list[tuple[_Pending, MergeResult]]] = {}
            for item, merge in zip(self._pending, merges, strict=True):
                groups.setdefault((item.definition.name, item.definition.version), []).append(
                    (item, merge)
                )
            changed = [g for g in groups.values() if any(m.status != "unchanged" for _, m in g)]
            try:
                steps = [
                    step
                    for number, group in enumerate(_dependency_order(changed))
                    for step in self._stage(number, group)
                ]
                plan = CommitPlan(tuple(steps))
                write_plan(staging, plan)
            except OSError as exc:
                raise _staging_failed(root, "", exc) from None
            self._decided = True
            self._apply(plan)
        families = {m.definition.name for m in merges}
        self.results = tuple(
            self._result(p.definition, m) for p, m in zip(self._pending, merges, strict=True)
        )
        self._done = True
        self.repository.refresh(families)
        self.repository.preload(families)  # re-lists the touched families and saves the index
        self.rollback()  # removes staging
        return self.results

    def _apply(self, plan: CommitPlan) -> None:
        """Apply the decided *plan*; on failure leave it for the next writer to complete."""
        staging = self._staging_dir()
        started: list[Step] = []
        try:
            apply_plan(self.repository.root, staging, plan, before_step=started.append)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                # Interrupted (Ctrl-C): the remaining steps are renames; finish them first.
                with contextlib.suppress(Exception):
                    apply_plan(self.repository.root, staging, plan)
                    finish_plan(staging)
                    self._staging = None
                raise
            stopped = started[-1].package if started else ""
            packages = list(dict.fromkeys(s.package for s in plan.steps))
            done = packages[: packages.index(stopped)] if stopped in packages else []
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise RepositoryError(
                f"installing into {self.repository.location} stopped at {stopped} ({detail}): "
                f"{', '.join(done) or 'nothing'} installed; "
                f"{', '.join(packages[len(done) :])} kept in {staging}, and the next pkgimport "
                "write to this repository finishes them (nothing visible is withdrawn)",
                hint="fix the cause, then run any pkgimport import into this repository",
            ) from exc
        finish_plan(staging)
        self._staging = None

    def _stage(self, number: int, group: list[tuple[_Pending, MergeResult]]) -> list[Step]:
        """Write one package's file (and arrange payloads) in staging; return its steps.

        *group* holds every add of that package in this transaction, in order; the last
        merge is the package to write. Nothing in the repository changes here, and
        everything that could make a step fail later is checked now.
        """
        from pkgimport.repository._package_py import render_package_py  # noqa: PLC0415

        staging = self._staging_dir()
        final = group[-1][1].definition
        label = final.qualified_name
        base = self.repository.package_dir(final.name, final.version)
        existing_file = _existing_file(base)
        moves: list[tuple[Path, Path]] = []  # staged payload root -> final root
        for pending, merge in group:
            new = pending.definition
            for index, payload in pending.payloads.items():
                if new.variants and index not in merge.new_indices:
                    continue  # that variant is installed already: its payload stays as it is
                if not new.variants and (existing_file is not None or merge.status != "created"):
                    continue
                sub = (
                    variant_subpath(new.variants[index], hashed=final.hashed_variants)
                    if new.variants
                    else ""
                )
                moves.append((payload, base / sub if sub else base))
        for _, target in moves:
            _guard(self.repository.location, target)
        staged_file = staging / f"package-{number}.py"
        staged_file.write_text(render_package_py(final), encoding="utf-8")
        if os.name != "nt":
            staged_file.chmod(_PACKAGE_FILE_MODE)
        steps = [Step("mkdir", self._rel(p), package=label) for p in _missing_dirs(base.parent)]
        if not base.exists():
            steps.append(self._stage_new(number, base, moves, staged_file, label))
        else:
            steps += self._stage_existing(
                number,
                base=base,
                moves=moves,
                staged_file=staged_file,
                existing_file=existing_file,
                label=label,
            )
        steps.append(Step("touch", self._rel(base.parent), package=label))
        return steps

    def _stage_new(
        self, number: int, base: Path, moves: list[tuple[Path, Path]], staged_file: Path, label: str
    ) -> Step:
        """Build a new package's whole folder in staging: one rename will show it complete."""
        staging = self._staging_dir()
        staged_base = staging / f"base-{number}"
        whole = [payload for payload, target in moves if target == base]
        if whole:
            # A package without variants: its payload folder becomes the package folder.
            os.rename(whole[0], staged_base)
        else:
            staged_base.mkdir()
        for payload, target in moves:
            if whole and payload == whole[0]:
                continue
            if target == base:
                _move_contents(payload, staged_base)
            else:
                dest = staged_base / target.relative_to(base)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.rename(payload, dest)
        os.rename(staged_file, staged_base / PACKAGE_FILENAMES[0])
        return Step("move", self._rel(base), self._staged(staged_base), package=label)

    def _stage_existing(
        self,
        number: int,
        *,
        base: Path,
        moves: list[tuple[Path, Path]],
        staged_file: Path,
        existing_file: Path | None,
        label: str,
    ) -> list[Step]:
        """Return the steps that add variants to an existing package: payloads, then its file."""
        steps: list[Step] = []
        planned: set[Path] = set()
        for payload, target in moves:
            if target == base:
                for entry in sorted(os.listdir(payload)):
                    if (base / entry).exists():
                        raise RepositoryError(
                            f"{label}: {base / entry} is in the way",
                            hint="remove it, or remove the half-installed package folder",
                        )
                    steps.append(
                        Step(
                            "move",
                            self._rel(base / entry),
                            self._staged(payload / entry),
                            package=label,
                        )
                    )
                continue
            if target.exists():
                raise RepositoryError(
                    f"{label}: variant folder {target} exists but the package does not list "
                    "that variant",
                    hint="remove that folder (left by a failed install) and retry",
                )
            for folder in _missing_dirs(target.parent):
                if folder not in planned:
                    planned.add(folder)
                    steps.append(Step("mkdir", self._rel(folder), package=label))
            steps.append(Step("move", self._rel(target), self._staged(payload), package=label))
        target_file = base / PACKAGE_FILENAMES[0]
        expect = file_digest(target_file)
        steps.append(
            Step(
                "replace", self._rel(target_file), self._staged(staged_file), expect, package=label
            )
        )
        if existing_file is not None and existing_file.name != PACKAGE_FILENAMES[0]:
            # A package.yaml is superseded by the package.py now written next to it.
            retired = self._staging_dir() / f"retired-{number}-{existing_file.name}"
            steps.append(
                Step("retire", self._rel(existing_file), self._staged(retired), package=label)
            )
        return steps

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.repository.root).as_posix()

    def _staged(self, path: Path) -> str:
        return path.relative_to(self._staging_dir()).as_posix()


def _dependency_order(
    groups: list[list[tuple[_Pending, MergeResult]]],
) -> list[list[tuple[_Pending, MergeResult]]]:
    """Order packages so that each comes after the transaction's packages it requires.

    A reader then never sees a package of this transaction before its dependencies from the
    same transaction. Ties (and cycles, which no order can satisfy) keep the order of adds.
    """
    from pkgimport.resolver.requirements import Requirement  # noqa: PLC0415

    names = {group[-1][1].definition.name for group in groups}
    needs: list[set[str]] = []
    for group in groups:
        final = group[-1][1].definition
        texts = [*final.requires, *(r for variant in final.variants for r in variant)]
        wanted: set[str] = set()
        for text in texts:
            with contextlib.suppress(ValueError):
                req = Requirement(text)
                if not req.conflict and not req.weak and req.name in names:
                    wanted.add(req.name)
        wanted.discard(final.name)
        needs.append(wanted)
    ordered: list[list[tuple[_Pending, MergeResult]]] = []
    placed: set[str] = set()
    remaining = list(range(len(groups)))
    while remaining:
        ready = [i for i in remaining if needs[i] <= placed] or remaining[:1]  # a cycle
        first = ready[0]
        remaining.remove(first)
        ordered.append(groups[first])
        placed.add(groups[first][-1][1].definition.name)
    return ordered


def _missing_dirs(folder: Path) -> list[Path]:
    """Return the folders from the first missing ancestor of *folder* down to *folder*."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def _staging_failed(root: str, what: str, exc: OSError | shutil.Error) -> RepositoryError:
    """Return the error for a failure while staging: nothing in the repository changed."""
    if isinstance(exc, shutil.Error):
        # copytree gathers one (source, target, reason) per file: name the first.
        first = exc.args[0][0] if exc.args and exc.args[0] else ("", "", str(exc))
        reason = f"{first[2]} ({len(exc.args[0])} file(s) not copied)"
    else:
        reason = exc.strerror or str(exc)
        if exc.filename:
            reason += f": {exc.filename}"
    full = exc.errno in {errno.ENOSPC, errno.EDQUOT}
    return RepositoryError(
        f"cannot stage {what or 'the import'} in {root}: {reason}; nothing in the repository "
        "was changed",
        hint=(
            "free space on that filesystem, then run the import again"
            if full or "No space" in reason
            else "check that the repository is writable, or pass another --repo"
        ),
    )


def _guard(root: str, path: Path) -> None:
    if not _within(root, str(path)):
        raise RepositoryError(f"refusing to write {path}: it is outside the repository {root}")


def _move_contents(source: Path, dest: Path) -> None:
    for entry in os.listdir(source):
        os.rename(source / entry, dest / entry)


def _existing_file(vdir: Path) -> Path | None:
    for name in PACKAGE_FILENAMES:
        path = vdir / name
        if path.is_file():
            return path
    return None


class TransactionView:
    """A read-only view of a repository with a transaction's staged packages merged in.

    It answers like a :class:`FilesystemRepository` (families, records, definitions, roots);
    staged packages get the paths they will have once committed.
    """

    def __init__(
        self, repository: FilesystemRepository, overlay: dict[tuple[str, str], PackageDefinition]
    ) -> None:
        self.repository = repository
        self._overlay = overlay
        self.location = repository.location

    def _staged_record(self, definition: PackageDefinition) -> PackageRecord:
        base = self.repository.package_dir(definition.name, definition.version)
        path = _existing_file(base) or base / PACKAGE_FILENAMES[0]
        return PackageRecord.from_definition(definition, location=self.location, path=str(path))

    def iter_families(self) -> Iterator[str]:
        """Yield family names, staged ones included, sorted."""
        names = set(self.repository.iter_families()) | {name for name, _ in self._overlay}
        return iter(sorted(names))

    def has_family(self, family: str) -> bool:
        """Tell whether *family* exists on disk or is staged."""
        return self.repository.has_family(family) or any(n == family for n, _ in self._overlay)

    def iter_records(self, family: str) -> Iterator[PackageRecord]:
        """Yield *family*'s packages, staged ones replacing installed ones."""
        staged = {v: d for (n, v), d in self._overlay.items() if n == family}
        for record in self.repository.iter_records(family):
            if record.version not in staged:
                yield record
        for definition in staged.values():
            yield self._staged_record(definition)

    def iter_versions(self, family: str) -> Iterator[str]:
        """Yield *family*'s version strings."""
        return (r.version for r in self.iter_records(family))

    def get_record(self, family: str, version: str) -> PackageRecord | None:
        """Return the staged or installed record of ``family-version``."""
        staged = self._overlay.get((family, version))
        if staged is not None:
            return self._staged_record(staged)
        return self.repository.get_record(family, version)

    def load(self, family: str, version: str) -> PackageDefinition:
        """Return the staged or installed definition of ``family-version``."""
        staged = self._overlay.get((family, version))
        return staged if staged is not None else self.repository.load(family, version)

    def variant_root(self, record: PackageRecord, index: int | None) -> Path:
        """Return where variant *index* of *record* lives (or will live after commit)."""
        return self.repository.variant_root(record, index)

    @property
    def problems(self) -> list[LoadProblem]:
        """Problems of the underlying repository."""
        return self.repository.problems
