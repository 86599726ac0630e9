"""Where pkgimport writes and what it reads (``--repo``, ``--paths``), and extraction limits.

Pure functions over an environment mapping, so tests pass their own.

>>> repo_path(None, {"PKGIMPORT_REPO": "/r"}).as_posix()
'/r'
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "EXTRACT_MAX_FILES",
    "EXTRACT_MIN_BYTES",
    "EXTRACT_RATIO",
    "EXTRACT_UPPER_BYTES",
    "extract_max_bytes",
    "extract_max_files",
    "package_paths",
    "repo_path",
]

EXTRACT_RATIO = 20
"""Default extraction limit: this many times the archive's size (zip bombs reach thousands)."""
EXTRACT_MIN_BYTES = 16 << 20
"""...but never less than 16 MiB: a small archive of text can legitimately expand past 20x."""
EXTRACT_UPPER_BYTES = 10 << 30
"""...and never more than 10 GiB unless ``$PKGIMPORT_EXTRACT_MAX_BYTES`` says so."""
EXTRACT_MAX_FILES = 200_000
"""Default limit on the files, folders and links one archive may create."""

_SIZE_RE = re.compile(r"\s*(\d+)\s*([KMGT]?)i?B?\s*\Z", re.IGNORECASE)
_UNITS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}


def repo_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Return the repository imports write to.

    Order: *explicit* (``--repo``), ``$PKGIMPORT_REPO``, then rez's ``local_packages_path``
    (``$REZ_LOCAL_PACKAGES_PATH``, the rez configuration files, rez's default ``~/packages``).
    """
    env = os.environ if environ is None else environ
    for candidate in (explicit, env.get("PKGIMPORT_REPO")):
        if candidate:
            return Path(candidate).expanduser()
    from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - reads files only when needed

    local = rez_config(env).get("local_packages_path")
    return Path(local or "~/packages").expanduser()


def package_paths(
    explicit: Sequence[str] | str | None,
    repo: Path,
    environ: Mapping[str, str] | None = None,
) -> list[Path]:
    """Return the repositories a resolve reads, in order (first wins per family and version).

    Order: *explicit* (``--paths``, ``os.pathsep``-separated or repeated), ``$PKGIMPORT_PATHS``,
    rez's ``packages_path`` when the rez configuration sets it (``$REZ_PACKAGES_PATH`` or a
    configuration file; duplicates dropped, as rez does), then the write repository alone.
    """
    env = os.environ if environ is None else environ
    if isinstance(explicit, str):
        explicit = [explicit]
    for candidate in (explicit, env.get("PKGIMPORT_PATHS")):
        if not candidate:
            continue
        parts = [candidate] if isinstance(candidate, str) else list(candidate)
        paths = [Path(p).expanduser() for part in parts for p in part.split(os.pathsep) if p]
        if paths:
            return paths
    from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - reads files only when needed

    config = rez_config(env)
    if not config.is_default("packages_path"):
        configured = list(dict.fromkeys(config.get("packages_path")))
        if configured:
            return [Path(p).expanduser() for p in configured]
    return [repo]


def _positive(name: str, text: str, *, sizes: bool) -> int:
    """Parse ``$name``: a positive integer, with a binary K/M/G/T suffix when *sizes*."""
    match = _SIZE_RE.match(text) if sizes else re.fullmatch(r"\s*(\d+)\s*()", text)
    value = int(match.group(1)) << _UNITS[match.group(2).upper()] if match else 0
    if value <= 0:
        what = "a size (bytes, or with K, M, G or T: 500M, 20G)" if sizes else "a number"
        raise PkgImportError(
            f"{name}={text!r} is not {what}",
            hint=f"set {name} to a positive {'size' if sizes else 'number'}, or unset it",
        )
    return value


def extract_max_bytes(archive_size: int, environ: Mapping[str, str] | None = None) -> int:
    """Return how many bytes extracting an archive of *archive_size* bytes may write.

    ``$PKGIMPORT_EXTRACT_MAX_BYTES`` when set (bytes, or ``500M``, ``20G``); else
    :data:`EXTRACT_RATIO` times the archive, at least :data:`EXTRACT_MIN_BYTES` and at most
    :data:`EXTRACT_UPPER_BYTES`.

    :raises PkgImportError: the variable is set to something that is no positive size.

    >>> extract_max_bytes(100 << 20, {}) >> 20  # MiB
    2000
    >>> extract_max_bytes(100 << 20, {"PKGIMPORT_EXTRACT_MAX_BYTES": "1K"})
    1024
    """
    env = os.environ if environ is None else environ
    text = env.get("PKGIMPORT_EXTRACT_MAX_BYTES")
    if text:
        return _positive("PKGIMPORT_EXTRACT_MAX_BYTES", text, sizes=True)
    return min(max(EXTRACT_RATIO * archive_size, EXTRACT_MIN_BYTES), EXTRACT_UPPER_BYTES)


def extract_max_files(environ: Mapping[str, str] | None = None) -> int:
    """Return how many files, folders and links extracting one archive may create.

    ``$PKGIMPORT_EXTRACT_MAX_FILES`` when set, else :data:`EXTRACT_MAX_FILES`.

    :raises PkgImportError: the variable is set to something that is no positive number.
    """
    env = os.environ if environ is None else environ
    text = env.get("PKGIMPORT_EXTRACT_MAX_FILES")
    if text:
        return _positive("PKGIMPORT_EXTRACT_MAX_FILES", text, sizes=False)
    return EXTRACT_MAX_FILES
