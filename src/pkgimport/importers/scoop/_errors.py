"""Errors of the Scoop importer: a refusal always carries a reason and a key path.

``reason`` is a short, stable category (the corpus table groups by it); ``key_path`` points
into the manifest (``'architecture.64bit.installer.script'``); ``app`` names the manifest.
"""

from __future__ import annotations

from pkgimport.errors import ImportRefusedError

__all__ = ["InvalidManifest", "ManifestRefused", "PayloadError"]


class ManifestRefused(ImportRefusedError):  # noqa: N818 - a refusal, not a crash
    """The manifest is valid but pkgimport will not convert it (scripts, unverified, ...)."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        key_path: str = "",
        app: str = "",
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        """Short category, e.g. ``"scripts"`` or ``"unverified"``."""
        self.detail = detail
        """What exactly is wrong, quoting the input."""
        self.key_path = key_path
        """Where in the manifest (dotted, with ``[i]`` for list items)."""
        self.app = app
        """Manifest name or path, set by whoever knows it."""
        super().__init__(self._render(), hint=hint)

    def _render(self) -> str:
        where = f" at {self.key_path!r}" if self.key_path else ""
        who = f"{self.app}: " if self.app else ""
        return f"{who}{self.detail}{where}"

    def with_app(self, app: str) -> ManifestRefused:
        """Return the same refusal naming *app* (the first caller that knows it sets it)."""
        if not self.app:
            self.app = app
            self.args = (self._render(),)
        return self

    def __str__(self) -> str:
        return self._render()


class InvalidManifest(ManifestRefused, ValueError):  # noqa: N818 - packaging-style name
    """The manifest is not a valid Scoop manifest (bad JSON, wrong type, unknown field)."""


class PayloadError(ImportRefusedError):
    """A payload cannot be fetched, verified or extracted (404, hash mismatch, bad archive)."""
