"""The roll-forward journal of a commit, and the recovery of dead writers' transactions.

A commit decides once: it writes its whole plan (every step, in order) into its staging
folder, atomically, and only then changes the repository. From that moment the transaction is
only ever rolled *forward*: every step is idempotent (it checks whether it is already done), so
the writer itself, or after a crash the next writer, can apply the plan again from the start
and complete it. Nothing a plan made visible is ever undone. A dead writer without a plan never
made anything visible: its staging folder is simply removed.

A plan is input from disk, and anybody who can write to the repository can plant one, so it is
trusted no further than this: every target must be a path inside the repository (outside
``.pkgimport``), every source a path inside the transaction's own staging folder, with no link
on the way out of either; one step that breaks this refuses the whole plan, which is moved
aside to ``.pkgimport/refused/`` and reported, never applied.

The steps (paths are ``/``-separated; targets relative to the repository root, sources to the
staging folder):

* ``mkdir target``: create one folder (its parent exists by then);
* ``move source target``: rename a staged folder into place (done: the source is gone and the
  target exists);
* ``replace source target expect``: swap a package file in with one ``os.replace``, only while
  the file it replaces still has the sha256 *expect* (``""``: there was none);
* ``retire target source``: move a file the new package file supersedes (a ``package.yaml``)
  into staging;
* ``touch target``: set a family folder's mtime, rez's "last release time" that caches use.
"""

# rename/replace semantics are the point of this module; os.* spells them out.
# ruff: noqa: PTH102, PTH104, PTH105, PTH108, PTH112, PTH114, PTH118, PTH120, PTH123

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from pkgimport.errors import RepositoryError
from pkgimport.repository._lock import check_private_dir, is_lock_free
from pkgimport.safe_names import UnsafeName, check_member_path

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "PLAN_FILENAME",
    "CommitPlan",
    "RecoveryReport",
    "Step",
    "StepKind",
    "UntrustedPlanError",
    "apply_plan",
    "file_digest",
    "finish_plan",
    "has_dead_writers",
    "recover",
    "write_plan",
]

StepKind = Literal["mkdir", "move", "replace", "retire", "touch"]
"""What one step of a commit does (see the module docstring)."""

PLAN_FILENAME = "plan.json"
"""The plan's file in a transaction's staging folder; its presence means "roll forward"."""

_FORMAT = 1
_REFUSED_DIRNAME = "refused"


class UntrustedPlanError(RepositoryError):
    """A plan on disk that pkgimport refuses to apply (a path outside the repository, bad data)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One idempotent step of a commit."""

    kind: StepKind
    target: str
    """Relative to the repository root, ``/``-separated."""
    source: str = ""
    """Relative to the transaction's staging folder (``move``, ``replace``, ``retire``)."""
    expect: str = ""
    """``replace``: sha256 of the package file being replaced (``""``: none was there)."""
    package: str = ""
    """The package the step belongs to (``foo-1.2``), for messages."""


@dataclass(frozen=True, slots=True)
class CommitPlan:
    """Every step of one commit, dependencies first."""

    steps: tuple[Step, ...]

    def to_json(self) -> str:
        """Return the plan as the JSON text written to :data:`PLAN_FILENAME`."""
        steps = [[s.kind, s.target, s.source, s.expect, s.package] for s in self.steps]
        return json.dumps({"format": _FORMAT, "steps": steps}, indent=0)

    @classmethod
    def from_json(cls, text: str, *, where: str) -> CommitPlan:
        """Parse a plan's text; *where* names the file in errors.

        :raises UntrustedPlanError: the text is not a plan this version wrote.
        """
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            raise UntrustedPlanError(f"{where}: not a commit plan ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise UntrustedPlanError(f"{where}: not a commit plan of format {_FORMAT}")
        raw = data.get("steps")
        if not isinstance(raw, list):
            raise UntrustedPlanError(f"{where}: 'steps' is not a list")
        steps: list[Step] = []
        for i, item in enumerate(raw):
            if (
                not isinstance(item, list)
                or len(item) != 5
                or not all(isinstance(x, str) for x in item)
                or item[0] not in get_args(StepKind)
            ):
                raise UntrustedPlanError(f"{where}: steps[{i}] is not a step: {item!r}")
            steps.append(Step(item[0], item[1], item[2], item[3], item[4]))
        return cls(tuple(steps))


@dataclass(slots=True)
class RecoveryReport:
    """What recovering dead writers' transactions did."""

    completed: list[str] = field(default_factory=list)
    """Packages of dead writers' commits that were completed (rolled forward)."""
    discarded: list[str] = field(default_factory=list)
    """Staging folders of dead writers that had made nothing visible, removed."""
    refused: list[str] = field(default_factory=list)
    """Plans that were not applied (untrusted or conflicting), each with the reason."""

    def __bool__(self) -> bool:
        return bool(self.completed or self.discarded or self.refused)


def file_digest(path: Path | str) -> str:
    """Return the sha256 of the file *path*, ``""`` when there is none."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                digest.update(block)
    except FileNotFoundError:
        return ""
    return digest.hexdigest()


def write_plan(staging: Path, plan: CommitPlan) -> None:
    """Write *plan* into *staging* atomically: afterwards the commit only rolls forward.

    The text goes to a temporary file that is flushed to disk and then renamed, so a reader
    finds either no plan or the whole plan.
    """
    temporary = staging / f"{PLAN_FILENAME}.tmp"
    with open(temporary, "w", encoding="utf-8") as fh:
        fh.write(plan.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(temporary, staging / PLAN_FILENAME)


def finish_plan(staging: Path) -> None:
    """Mark the plan in *staging* done (remove it), then remove the staging folder."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(staging / PLAN_FILENAME)
    shutil.rmtree(staging, ignore_errors=True)


# -- applying a plan ------------------------------------------------------------------------------


def _real_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def _resolve(base: str, relative: str, *, what: str, where: str) -> str:
    """Return the absolute path of *relative* below the real folder *base*, checked.

    The folder holding the result is resolved (links followed) and must lie inside *base*;
    the last component itself is returned unresolved, so a link there is renamed or replaced
    as a link, never followed.
    """
    try:
        parts = check_member_path(relative, what=f"{where}: {what}").parts
    except UnsafeName as exc:
        raise UntrustedPlanError(str(exc)) from None
    path = os.path.join(base, *parts)
    parent = os.path.realpath(os.path.dirname(path))
    if not _real_within(parent, base):
        raise UntrustedPlanError(f"{where}: {what} {relative!r} leads outside {base}")
    return os.path.join(parent, parts[-1])


@dataclass(frozen=True, slots=True)
class _Checked:
    step: Step
    target: str
    source: str


def _check_plan(plan: CommitPlan, root: str, staging: str, *, where: str) -> list[_Checked]:
    """Resolve every path of *plan*; refuse the whole plan if one leaves its folder."""
    private = os.path.join(root, ".pkgimport")
    checked: list[_Checked] = []
    for i, step in enumerate(plan.steps):
        label = f"steps[{i}] ({step.kind})"
        target = _resolve(root, step.target, what=f"{label} target", where=where)
        if _real_within(target, private) or step.target.startswith("."):
            raise UntrustedPlanError(
                f"{where}: {label} target {step.target!r} is not a package path"
            )
        needs_source = step.kind in {"move", "replace", "retire"}
        if needs_source != bool(step.source):
            raise UntrustedPlanError(f"{where}: {label} has a wrong source {step.source!r}")
        source = (
            _resolve(staging, step.source, what=f"{label} source", where=where)
            if (needs_source)
            else ""
        )
        checked.append(_Checked(step, target, source))
    return checked


def _apply_step(item: _Checked) -> None:
    """Do one step unless it is done already (every step is idempotent)."""
    step, target, source = item.step, item.target, item.source
    if step.kind == "mkdir":
        if not os.path.isdir(target) or os.path.islink(target):
            os.mkdir(target)
    elif step.kind == "move":
        if os.path.lexists(source):
            if os.path.lexists(target):
                raise RepositoryError(
                    f"{step.package}: {target} appeared while it was being installed",
                    hint="another tool wrote into the repository; remove that folder and rerun",
                )
            os.rename(source, target)
        elif not os.path.lexists(target):
            raise RepositoryError(f"{step.package}: the staged {source} is missing")
    elif step.kind == "replace":
        if os.path.lexists(source):
            if file_digest(target) != step.expect:
                raise RepositoryError(
                    f"{step.package}: {target} changed while it was being updated",
                    hint="another tool rewrote that package; import again to merge with it",
                )
            os.replace(source, target)
    elif step.kind == "retire":
        if os.path.lexists(target):
            os.rename(target, source)
    elif os.path.isdir(target):  # touch
        os.utime(target, follow_symlinks=False)


def apply_plan(
    root: Path,
    staging: Path,
    plan: CommitPlan,
    *,
    before_step: Callable[[Step], None] | None = None,
) -> None:
    """Apply *plan* from its first step; steps already done are passed over.

    :param root: the repository's folder.
    :param staging: the transaction's staging folder (sources are relative to it).
    :param before_step: called before each step (progress, tests).
    :raises UntrustedPlanError: a path of the plan leads outside its folder (nothing was done).
    :raises RepositoryError: a step met something it must not overwrite (earlier steps stay).
    :raises OSError: a step failed (earlier steps stay; applying again continues).
    """
    real_root = os.path.realpath(root)
    real_staging = os.path.realpath(staging)
    where = str(staging / PLAN_FILENAME)
    if not _real_within(real_staging, os.path.join(real_root, ".pkgimport", "staging")):
        raise UntrustedPlanError(f"{where}: the staging folder is not inside {real_root}")
    for item in _check_plan(plan, real_root, real_staging, where=where):
        if before_step is not None:
            before_step(item.step)
        _apply_step(item)


# -- recovery ------------------------------------------------------------------------------------


def _set_aside(staging_root: Path, entry: Path) -> None:
    """Move a refused transaction folder to ``.pkgimport/refused/`` (never applied, kept)."""
    refused = staging_root.parent / _REFUSED_DIRNAME
    refused.mkdir(exist_ok=True)
    target = refused / entry.name
    if os.path.lexists(target):
        shutil.rmtree(target, ignore_errors=True)
    os.rename(entry, target)


def _recover_one(root: Path, staging_root: Path, entry: Path, report: RecoveryReport) -> None:
    plan_file = entry / PLAN_FILENAME
    if not plan_file.is_file():
        # Died before deciding: nothing of it is visible.
        shutil.rmtree(entry, ignore_errors=True)
        report.discarded.append(entry.name)
        return
    try:
        plan = CommitPlan.from_json(plan_file.read_text(encoding="utf-8"), where=str(plan_file))
        apply_plan(root, entry, plan)
    except UntrustedPlanError as exc:
        _set_aside(staging_root, entry)
        report.refused.append(f"{exc} (moved to .pkgimport/{_REFUSED_DIRNAME}/{entry.name})")
        return
    except (RepositoryError, OSError) as exc:
        # Left as it is: the next writer tries again; what is visible stays visible.
        report.refused.append(f"{plan_file}: could not be completed: {exc}")
        return
    report.completed.extend(dict.fromkeys(s.package for s in plan.steps if s.package))
    finish_plan(entry)


def recover(root: Path, staging_root: Path, *, keep: str = "") -> RecoveryReport:
    """Complete or discard the transactions of dead writers (their owner lock is free).

    Called under the repository lock, before anything else reads the repository to write it.

    :param root: the repository's folder.
    :param staging_root: ``<root>/.pkgimport/staging``.
    :param keep: the caller's own staging folder name, left alone.
    """
    report = RecoveryReport()
    check_private_dir(root)
    try:
        entries = sorted(staging_root.iterdir())
    except FileNotFoundError:
        return report
    for entry in entries:
        if entry.name == keep or entry.suffix in {".lock", ".tmp"}:
            continue
        lock = staging_root / f"{entry.name}.lock"
        if not is_lock_free(lock):
            continue  # a live writer's
        if entry.is_symlink() or not entry.is_dir():
            # pkgimport only makes folders here: a link or file is somebody else's.
            entry.unlink()
            report.refused.append(f"{entry}: not a staging folder; removed")
        else:
            _recover_one(root, staging_root, entry, report)
        with contextlib.suppress(OSError):
            lock.unlink()
    return report


def has_dead_writers(staging_root: Path, *, keep: str = "") -> bool:
    """Tell whether :func:`recover` has anything to do (without taking any lock)."""
    if staging_root.is_symlink():
        return True  # recover() refuses it, with a clear message
    try:
        entries = list(staging_root.iterdir())
    except OSError:
        return False
    return any(
        e.name != keep
        and e.suffix not in {".lock", ".tmp"}
        and is_lock_free(staging_root / f"{e.name}.lock")
        for e in entries
    )
