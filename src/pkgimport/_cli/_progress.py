"""Progress of ``pkgimport pypi`` on a terminal: the importer's reporter events, drawn by rich.

One line per phase (per target while resolving): pins found, files and bytes downloaded with
the rate, sdists built, packages installed, then the verification. Nothing is drawn unless
stderr is a terminal and ``--quiet`` is not given (:meth:`UI.shows_progress`); the CLI
then passes the importer's no-op reporter instead.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rich import filesize
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from pkgimport.importers.pypi._reporter import ImportReporter, Phase

if TYPE_CHECKING:
    from types import TracebackType

    from rich.progress import Task
    from typing_extensions import Self

    from pkgimport._cli._ui import UI

__all__ = ["TerminalReporter"]

_TITLES: dict[Phase, str] = {
    "resolve": "resolving",
    "download": "downloading",
    "build": "building sdists",
    "install": "installing",
    "verify": "verifying",
}


class _CountColumn(ProgressColumn):
    """``3/10 files, 12.5/80.1 MB at 9.8 MB/s`` for downloads, ``3/10`` or ``42 pinned``."""

    def render(self, task: Task) -> Text:
        fields = task.fields
        if fields.get("kind") == "bytes":
            speed = task.speed
            rate = f" at {filesize.decimal(int(speed))}/s" if speed else ""
            total = filesize.decimal(int(task.total)) if task.total else "?"
            return Text(
                f"{fields['done']}/{fields['files']} files, "
                f"{filesize.decimal(int(task.completed))}/{total}{rate}"
            )
        if fields.get("kind") == "pins":
            return Text(f"{int(task.completed)} pinned")
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed)}/{int(task.total)}")


class TerminalReporter(ImportReporter):
    """An :class:`ImportReporter` drawing rich progress bars on the UI's stderr console.

    Use as a context manager around the import; events come from worker threads.
    """

    def __init__(self, ui: UI) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            _CountColumn(),
            TimeElapsedColumn(),
            console=ui.err,
            transient=True,
        )
        self._lock = threading.Lock()
        self._phases: dict[Phase, TaskID] = {}
        self._targets: dict[str, TaskID] = {}
        self._downloads: dict[str, int] = {}

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def _task(self, task_id: TaskID) -> Task:
        return next(t for t in self.progress.tasks if t.id == task_id)

    # -- ImportReporter -------------------------------------------------------------------------

    def phase_started(self, phase: Phase, total: int | None) -> None:
        with self._lock:
            if phase == "resolve":
                return  # one line per target instead
            task = self._phases.get(phase)
            if task is None:
                kind = "bytes" if phase == "download" else "count"
                self._phases[phase] = self.progress.add_task(
                    _TITLES[phase],
                    total=None if phase in {"download", "verify"} else total,
                    kind=kind,
                    files=total or 0,
                    done=0,
                )
            elif total is not None and phase != "download":
                current = self._task(task).total or 0
                self.progress.update(task, total=current + total)

    def item_started(self, phase: Phase, item: str, size: int | None = None) -> None:
        with self._lock:
            if phase == "resolve":
                self._targets[item] = self.progress.add_task(
                    f"resolving for {item}", total=None, kind="pins"
                )
            elif phase == "download":
                task = self._phases[phase]
                total = (self._task(task).total or 0) + (size or 0)
                self._downloads[item] = size or 0
                self.progress.update(task, total=total or None)
            elif phase in self._phases:
                self.progress.update(self._phases[phase], description=f"{_TITLES[phase]} {item}")

    def item_advanced(self, phase: Phase, item: str, amount: int) -> None:
        with self._lock:
            task = self._targets.get(item) if phase == "resolve" else self._phases.get(phase)
            if task is not None:
                self.progress.advance(task, amount)

    def item_finished(self, phase: Phase, item: str) -> None:
        with self._lock:
            if phase == "resolve":
                task = self._targets.get(item)
                if task is not None:
                    pins = int(self._task(task).completed)
                    self.progress.update(
                        task, description=f"resolved for {item}", total=pins or 1, completed=pins
                    )
                return
            task = self._phases.get(phase)
            if task is None:
                return
            if phase == "download":
                done = self._task(task).fields["done"] + 1
                self.progress.update(task, done=done)
            else:
                self.progress.advance(task, 1)

    def phase_finished(self, phase: Phase) -> None:
        with self._lock:
            task = self._phases.get(phase)
            if task is not None and phase == "verify":
                self.progress.update(task, total=1, completed=1)
