"""Progress of an import, reported by the importer and rendered (or not) by the CLI.

Only the CLI prints; the importer tells an :class:`ImportReporter` what it is doing. Every
hook is a no-op here (resolvelib's ``BaseReporter``), so a caller overrides what it shows.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ImportReporter", "Phase"]

Phase = Literal["resolve", "download", "build", "install", "verify"]
"""``resolve``: one item per target; ``download``: one per file, advanced by bytes;
``build``: one per sdist built into a wheel here; ``install``: one per package whose
payload is installed; ``verify``: the resolve of every new package before the commit."""


class ImportReporter:
    """Hooks called while an import runs; all do nothing.

    Hooks may be called from several worker threads at once (targets resolve side by side,
    files download in parallel): an implementation that keeps state must lock. A phase may
    start more than once (an sdist is built while resolving, another while downloading):
    each start adds its *total* to the phase's.
    """

    def phase_started(self, phase: Phase, total: int | None) -> None:
        """*phase* begins, with *total* items (``None``: not known)."""

    def item_started(self, phase: Phase, item: str, size: int | None = None) -> None:
        """Work on *item* (a target, a file name, a package) begins; *size* in bytes, if known."""

    def item_advanced(self, phase: Phase, item: str, amount: int) -> None:
        """*item* progressed by *amount*: bytes received, or projects pinned while resolving."""

    def item_finished(self, phase: Phase, item: str) -> None:
        """Work on *item* is done (called once per ``item_started``, also on failure)."""

    def phase_finished(self, phase: Phase) -> None:
        """*phase* is over (called once per ``phase_started``, also on failure)."""
