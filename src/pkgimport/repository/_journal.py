"""The write-ahead journal of a commit, and the cleanup of dead writers' staging folders.

Every step a commit takes in the repository (``mkdir``, ``rename``, ``replace``) is logged
before it is done. On failure the commit undoes its steps in reverse order; if the process
died instead, the next writer finds the journal without its commit mark in the dead
transaction's staging folder and undoes the steps then (:func:`clean_stale`), under the
repository lock.
"""

# rename/replace semantics are the point of this module; os.* spells them out.
# ruff: noqa: PTH102, PTH104, PTH105, PTH106, PTH108, PTH112, PTH120

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pkgimport.repository._lock import is_lock_free

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Journal", "StepKind", "clean_stale"]

StepKind = Literal["rename", "mkdir", "replace"]
"""A step of a commit: create a folder, rename a path, replace a file."""

_STALE_STAGING_SECONDS = 60.0


@dataclass(slots=True)
class Journal:
    """Steps done during a commit, undone in reverse order on failure.

    With a *file*, each step is written there (and flushed) *before* it is done, so if the
    process dies mid-commit the next writer undoes what was done (:func:`_clean_stale`).
    Undoing a step that was logged but never done fails harmlessly: its target is missing.
    """

    file: Path | None = None
    steps: list[tuple[StepKind, str, str]] = field(default_factory=list)

    def _log(self, kind: StepKind, first: str, second: str) -> None:
        self.steps.append((kind, first, second))
        if self.file is not None:
            with self.file.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps([kind, first, second]) + "\n")

    def committed(self) -> None:
        """Mark the commit complete: a crash from now on must not undo it."""
        if self.file is not None:
            with self.file.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(["commit", "", ""]) + "\n")

    def rename(self, src: str, dst: str) -> None:
        self._log("rename", src, dst)
        os.rename(src, dst)

    def mkdir(self, path: str) -> None:
        self._log("mkdir", path, "")
        os.mkdir(path)

    def makedirs(self, path: str) -> None:
        missing: list[str] = []
        current = path
        while not os.path.isdir(current):
            missing.append(current)
            current = os.path.dirname(current)
        for item in reversed(missing):
            self.mkdir(item)

    def replace(self, src: str, dst: str, backup: str) -> None:
        """Move *src* over *dst*; *backup* holds the old *dst* (``""``: there was none)."""
        self._log("replace", dst, backup)
        os.replace(src, dst)

    def undo(self) -> list[str]:
        """Undo every step; return the ones that could not be undone."""
        failed: list[str] = []
        for kind, first, second in reversed(self.steps):
            try:
                if kind == "rename":
                    os.rename(second, first)
                elif kind == "mkdir":
                    os.rmdir(first)
                elif second:
                    os.replace(second, first)
                else:
                    os.unlink(first)
            except FileNotFoundError:  # noqa: PERF203 - logged but never done (see class doc)
                continue
            except OSError as exc:  # undo what can be undone, report the rest
                failed.append(f"{kind} {first}: {exc.strerror}")
        self.steps.clear()
        return failed

    @classmethod
    def load(cls, file: Path) -> Journal | None:
        """Read the journal of a dead commit; ``None`` when it had completed (or is unreadable)."""
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
            steps = [tuple(json.loads(line)) for line in lines if line.strip()]
        except (OSError, ValueError):
            return None
        if not steps or steps[-1][0] == "commit":
            return None
        journal = cls()
        journal.steps = [(k, a, b) for k, a, b in steps if k in {"rename", "mkdir", "replace"}]
        return journal


def clean_stale(staging_root: Path, *, keep: str) -> None:
    """Remove staging folders of transactions whose process is gone (their lock is free).

    A writer that died in the middle of a commit left a journal without its commit mark:
    what it had moved into the repository is moved back first, so its import is undone as
    a whole. Called under the repository lock.
    """
    for entry in staging_root.iterdir():
        if entry.name == keep or not entry.is_dir():
            continue
        lock = staging_root / f"{entry.name}.lock"
        if is_lock_free(lock):
            journal = Journal.load(entry / "journal")
            if journal is not None:
                journal.undo()
            age = time.time() - entry.stat().st_mtime
            if journal is not None or age > _STALE_STAGING_SECONDS or lock.exists():
                shutil.rmtree(entry, ignore_errors=True)
                with contextlib.suppress(OSError):
                    lock.unlink()
