"""Exceptions raised by pkgimport.

Every error pkgimport raises on purpose derives from :class:`PkgImportError`. The CLI turns
those into one clear message and a non-zero exit code; anything else is a bug and shows a
traceback with ``--verbose``.
"""

from __future__ import annotations

__all__ = [
    "ImportRefusedError",
    "InvalidPackageDefinition",
    "InvalidRequirement",
    "InvalidVersion",
    "PackageMetadataError",
    "PkgImportError",
    "RepositoryError",
    "ResolveError",
]


class PkgImportError(Exception):
    """Base class of every error pkgimport raises on purpose.

    Parse-error leaves also derive from ``ValueError``, listed *after* this class so that this
    ``__init__`` (which takes ``hint=``) is the one used.

    ``hint`` is the next step the user can take; the CLI prints it after the message.
    """

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class InvalidVersion(PkgImportError, ValueError):  # noqa: N818 - packaging's name for it
    """A version string is not a valid rez version (``1..2``, ``-1``)."""


class InvalidRequirement(PkgImportError, ValueError):  # noqa: N818 - packaging's name for it
    """A request or requirement string is not valid rez syntax (``foo--1``, ``foo-**``)."""


class InvalidPackageDefinition(PkgImportError, ValueError):  # noqa: N818 - mirrors rez
    """A package definition (in memory or in a package.py) breaks rez's schema."""


class RepositoryError(PkgImportError):
    """A repository cannot be read or written (lock timeout, merge refused, bad layout)."""


class ResolveError(PkgImportError):
    """A resolve could not run (unknown family, no version in range, bad request)."""


class PackageMetadataError(InvalidPackageDefinition, ResolveError):
    """A package's data breaks rez's schema where rez reads it (rez ``PackageMetadataError``).

    rez validates a package key by key, when it first reads the key: ``variants`` when the
    solver loads the package, ``requires`` when it reads a variant's requirements. A resolve
    that reads such a key stops with this error, as rez's does, so it is a
    :class:`ResolveError` too.
    """

    hint = (
        "fix the package definition, or hide that version from resolves (rez-pkg-ignore, "
        "or an empty '.ignore<version>' file in its family folder)"
    )


class ImportRefusedError(PkgImportError):
    """An importer refuses its input (a manifest with scripts, a wheel with bad members)."""
