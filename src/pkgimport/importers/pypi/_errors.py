"""Errors of the PyPI importer, all leaves of :mod:`pkgimport.errors`."""

from __future__ import annotations

from typing import TypeVar

from pkgimport.errors import ImportRefusedError, PkgImportError
from pkgimport.safe_names import UnsafeName

__all__ = [
    "InvalidWheel",
    "NoCompatibleDistribution",
    "PackageIndexError",
    "UnsafeWheelName",
    "with_hint",
]

_E = TypeVar("_E", bound=PkgImportError)


def with_hint(exc: _E, hint: str) -> _E:
    """Attach the next step to *exc* and return it.

    The ``ValueError`` leaves of :mod:`pkgimport.errors` take no ``hint=`` keyword (their MRO
    puts ``ValueError.__init__`` first), so the hint is set afterwards.
    """
    exc.hint = hint
    return exc


class InvalidWheel(ImportRefusedError, ValueError):  # noqa: N818 - packaging's naming
    """A wheel or its metadata is corrupt, unsafe or does not match the index."""


class UnsafeWheelName(InvalidWheel, UnsafeName):
    """A wheel names a file unsafely (an entry point, a ``.data`` member, a launcher).

    Both an :class:`InvalidWheel` (callers that refuse bad wheels catch it) and an
    :class:`~pkgimport.safe_names.UnsafeName` (with its ``name``, ``what`` and ``why``).
    """

    def __init__(self, name: str, what: str, why: str) -> None:
        UnsafeName.__init__(self, name, what, why)
        self.hint = (
            "the wheel is broken or hostile: pick another version, or report it to the "
            "project; pkgimport never writes such a name to disk"
        )

    @classmethod
    def from_unsafe(cls, exc: UnsafeName) -> UnsafeWheelName:
        """Return *exc* (raised by :mod:`pkgimport.safe_names`) as a wheel error."""
        return cls(exc.name, exc.what, exc.why)


class PackageIndexError(PkgImportError):
    """A package index could not be read (HTTP error, malformed page, unknown project)."""


class NoCompatibleDistribution(ImportRefusedError):  # noqa: N818 - says what is missing
    """No file of a project fits a target (no wheel for its tags, and no usable sdist)."""
