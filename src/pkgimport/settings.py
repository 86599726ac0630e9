"""Where pkgimport writes and what it reads: the ``--repo`` and ``--paths`` defaults.

Pure functions over an environment mapping, so tests pass their own.

>>> repo_path(None, {"PKGIMPORT_REPO": "/r"}).as_posix()
'/r'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["package_paths", "repo_path"]


def repo_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Return the repository imports write to.

    Order: *explicit* (``--repo``), ``$PKGIMPORT_REPO``, ``$REZ_LOCAL_PACKAGES_PATH`` (rez's own
    local path setting), then ``~/packages`` (rez's default local path).
    """
    env = os.environ if environ is None else environ
    for candidate in (explicit, env.get("PKGIMPORT_REPO"), env.get("REZ_LOCAL_PACKAGES_PATH")):
        if candidate:
            return Path(candidate).expanduser()
    return Path("~/packages").expanduser()


def package_paths(
    explicit: Sequence[str] | str | None,
    repo: Path,
    environ: Mapping[str, str] | None = None,
) -> list[Path]:
    """Return the repositories a resolve reads, in order (first wins per family and version).

    Order: *explicit* (``--paths``, ``os.pathsep``-separated or repeated), ``$PKGIMPORT_PATHS``,
    ``$REZ_PACKAGES_PATH``, then the write repository alone.
    """
    env = os.environ if environ is None else environ
    if isinstance(explicit, str):
        explicit = [explicit]
    for candidate in (explicit, env.get("PKGIMPORT_PATHS"), env.get("REZ_PACKAGES_PATH")):
        if not candidate:
            continue
        parts = [candidate] if isinstance(candidate, str) else list(candidate)
        paths = [Path(p).expanduser() for part in parts for p in part.split(os.pathsep) if p]
        if paths:
            return paths
    return [repo]
