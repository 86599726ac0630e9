"""Errors of the PyPI importer, all leaves of :mod:`pkgimport.errors`."""

from __future__ import annotations

from typing import TypeVar

from pkgimport.errors import ImportRefusedError, PkgImportError

__all__ = ["InvalidWheel", "NoCompatibleDistribution", "PackageIndexError", "with_hint"]

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


class PackageIndexError(PkgImportError):
    """A package index could not be read (HTTP error, malformed page, unknown project)."""


class NoCompatibleDistribution(ImportRefusedError):  # noqa: N818 - says what is missing
    """No file of a project fits a target (no wheel for its tags, and no usable sdist)."""
