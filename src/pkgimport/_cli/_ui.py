"""The one place that writes to the terminal: messages, tables, JSON and progress."""

from __future__ import annotations

import functools
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from pkgimport.repository._journal import RecoveryReport

__all__ = ["UI"]


class UI:
    """Output for one CLI run: stdout for results, stderr for messages and progress."""

    def __init__(self, *, verbose: bool = False, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet

    # rich is imported on the first message (20 ms): --help and argument errors need no
    # console, and a quiet run may never print.

    @functools.cached_property
    def out(self) -> Console:
        """The console for results (stdout)."""
        from rich.console import Console  # noqa: PLC0415 - see above

        return Console(highlight=False, soft_wrap=True)

    @functools.cached_property
    def err(self) -> Console:
        """The console for messages and progress (stderr)."""
        from rich.console import Console  # noqa: PLC0415 - see above

        return Console(stderr=True, highlight=False, soft_wrap=True)

    def print(self, text: str = "", *, markup: bool = False) -> None:
        """Write a line of results to stdout."""
        self.out.print(text, markup=markup)

    def table(self, table: Table) -> None:
        """Write a rich table to stdout."""
        self.out.print(table)

    def json(self, data: Any) -> None:
        """Write *data* as JSON to stdout (plain, so scripts can parse it)."""
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
        sys.stdout.flush()

    def info(self, text: str) -> None:
        """Write a progress or status message to stderr (silent with --quiet)."""
        if not self.quiet:
            self.err.print(text, markup=False)

    def debug(self, text: str) -> None:
        """Write a detail to stderr only with --verbose."""
        if self.verbose:
            self.err.print(text, markup=False, style="dim")

    def warn(self, text: str) -> None:
        """Write a warning to stderr."""
        self.err.print(f"warning: {text}", markup=False, style="yellow")

    def error(self, text: str, hint: str | None = None) -> None:
        """Write an error (and the next step to take) to stderr."""
        self.err.print(f"error: {text}", markup=False, style="bold red")
        if hint:
            self.err.print(f"hint: {hint}", markup=False)

    @property
    def shows_progress(self) -> bool:
        """Progress is drawn: stderr is a terminal and --quiet was not given."""
        return not self.quiet and self.err.is_terminal

    def progress(self) -> Progress:
        """Return a progress bar on stderr (hidden when stderr is not a terminal)."""
        from rich.progress import (  # noqa: PLC0415 - see above
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
            disable=self.quiet or not self.err.is_terminal,
        )

    def recovery(self, report: RecoveryReport) -> None:
        """Say what completing dead writers' commits did (silent when it did nothing)."""
        if report.completed:
            self.warn(
                "completed an import that was interrupted part-way: " + ", ".join(report.completed)
            )
        if report.discarded:
            self.info(f"removed {len(report.discarded)} abandoned staging folder(s)")
        for text in report.refused:
            self.warn(f"not applied: {text}")
