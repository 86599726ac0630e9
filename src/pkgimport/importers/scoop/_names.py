"""Scoop names and versions as rez names and versions (spec: "Mapping to rez").

>>> family_name("ffmpeg-shared"), family_name("python310")
('ffmpeg_shared', 'python310')
>>> rez_version("4.1+239-8be7dbf")
'4.1-239-8be7dbf'
"""

from __future__ import annotations

import re

from pkgimport.definition import is_valid_package_name
from pkgimport.importers.scoop._errors import ManifestRefused

__all__ = ["HELPER_APPS", "family_name", "requirement_name", "rez_version"]

# Scoop's own extraction helpers: Scoop installs them to unpack payloads, pkgimport unpacks on
# the host instead, so they are never runtime requirements.
HELPER_APPS = frozenset({"7zip", "lessmsi", "innounp", "dark", "wixtoolset"})

# rez's version grammar: alphanumeric tokens separated by '.' or '-'.
_REZ_VERSION_RE = re.compile(r"[A-Za-z0-9_]+(?:[.\-][A-Za-z0-9_]+)*\Z")


def family_name(app: str, *, key_path: str = "") -> str:
    """Return the rez family for a Scoop app name: ``-`` becomes ``_``, digits stay.

    :raises ManifestRefused: the result is no valid rez name.
    """
    name = app.replace("-", "_")
    if not is_valid_package_name(name):
        raise ManifestRefused(
            "name",
            f"app name {app!r} has no valid rez family name (tried {name!r})",
            key_path=key_path,
        )
    return name


def requirement_name(depend: str, *, key_path: str) -> str | None:
    """Map a ``depends`` entry (``app`` or ``bucket/app``) to a family, ``None`` for helpers."""
    app = depend.rsplit("/", 1)[-1].lower()
    if app in HELPER_APPS:
        return None
    return family_name(app, key_path=key_path)


def rez_version(version: str) -> str:
    """Return the rez version for a Scoop version.

    Scoop accepts any run of word characters, ``.``, ``-`` and ``+``; rez wants tokens of
    letters, digits and ``_`` with one ``.`` or ``-`` between two. So ``+`` becomes ``-`` and
    separators that join no two tokens are dropped: a leading or trailing one, and all but the
    first of a run (``.june.2020.2`` is ``june.2020.2``, ``1..2`` is ``1.2``). The mapping is
    a function of the text alone; the package keeps the Scoop version in its metadata.

    >>> rez_version(".june.2020.2"), rez_version("1.0-+rc"), rez_version("2.0.")
    ('june.2020.2', '1.0-rc', '2.0')

    :raises ManifestRefused: the result is no valid rez version (no token, non-ASCII text).
    """
    tokens = re.split(r"([.\-]+)", version.replace("+", "-"))
    # re.split keeps the separators at odd positions: drop the outer ones, keep each run's first
    words = tokens[::2]
    seps = [run[0] for run in tokens[1::2]]
    kept = [(i, w) for i, w in enumerate(words) if w]
    mapped = "".join((seps[i - 1] if n else "") + w for n, (i, w) in enumerate(kept))
    if not _REZ_VERSION_RE.match(mapped) or not mapped.isascii():
        raise ManifestRefused(
            "version",
            f"version {version!r} has no valid rez form (tried {mapped!r})",
            key_path="version",
        )
    return mapped
