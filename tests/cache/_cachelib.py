"""Helpers of the shared resolve cache tests: releases through pkgimport's own Transaction API.

The standard repository (:func:`make_repo`) is built so that the answer to ``app`` depends on a
family that is *not* in it (rez#1276's class of bug):

* ``lib-1.0`` has one variant (``python-3``), so that a variant can be merged into it;
* ``app-2`` requires ``tool-2`` and ``python-3``, but ``tool-2.0`` requires ``python-2``: the
  solver looks at ``tool``, fails, and backtracks to ``app-1`` (``lib-1``, ``python``);
* releasing ``tool-2.1`` (requiring ``python-3``) makes the answer ``app-2 tool-2.1 python-3``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from pkgimport.cli import main
from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.repository.filesystem import FilesystemRepository

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import pytest

TICK = 0.12
"""Seconds after a release before the cache stores resolves that read it (its racy window)."""


def release(
    repo: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    variants: Sequence[Sequence[str]] = (),
    timestamp: int | None = None,
) -> None:
    """Install one package (definition only) with pkgimport's Transaction, as an import does."""
    repository = FilesystemRepository(repo, index_file=None)
    definition = PackageDefinition(
        name=name,
        version=version,
        requires=tuple(requires),
        variants=tuple(tuple(v) for v in variants),
        timestamp=timestamp,
    )
    with repository.transaction() as txn:
        txn.add(ImportedPackage(definition=definition))
        txn.commit()


def make_repo(repo: Path) -> Path:
    """Write the standard repository (see the module docstring) and let its mtimes settle."""
    release(repo, "python", "2.7", timestamp=100)
    release(repo, "python", "3.9", timestamp=200)
    release(repo, "lib", "1.0", requires=["python"], variants=[["python-3"]], timestamp=300)
    release(repo, "tool", "2.0", requires=["python-2"], timestamp=300)
    release(repo, "app", "1.0", requires=["lib-1"], timestamp=400)
    release(repo, "app", "2.0", requires=["tool-2", "python-3"], timestamp=500)
    time.sleep(TICK)
    return repo


def resolve(
    capsys: pytest.CaptureFixture[str],
    paths: Sequence[Path] | Path,
    *request: str,
    uri: str | None,
    extra: Sequence[str] = (),
) -> tuple[int, dict[str, Any], str]:
    """Run ``pkgimport resolve --json -v`` in this process; return code, JSON and stderr."""
    argv = ["resolve", *request, "--no-implicit", "--json", "-v"]
    for path in paths if isinstance(paths, (list, tuple)) else [paths]:
        argv += ["--paths", str(path)]
    if uri is not None:
        argv += ["--memcached", uri]
    code = main([*argv, *extra])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def hit(stderr: str) -> bool:
    """Whether the resolve was read from the shared cache (its --verbose line)."""
    return "resolve read from the shared cache" in stderr


def stored(stderr: str) -> bool:
    """Whether the resolve was stored in the shared cache."""
    return "stored in the shared cache" in stderr
