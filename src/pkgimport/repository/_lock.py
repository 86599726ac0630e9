"""Cross-process locks for a repository: one writer commits at a time.

pkgimport keeps its own files in ``<repo>/.pkgimport/`` (a dot folder, so rez never takes it
for a package family): the commit lock, the staging area and nothing else. The locks are
``filelock`` locks (``flock`` on POSIX), so a crashed writer never leaves a stale lock behind:
the kernel releases it with the process.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import filelock

from pkgimport.errors import RepositoryError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["DEFAULT_TIMEOUT", "PRIVATE_DIRNAME", "hold_lock", "is_lock_free"]

PRIVATE_DIRNAME = ".pkgimport"
"""pkgimport's folder inside a repository (not a valid family name, so rez skips it)."""

DEFAULT_TIMEOUT = 60.0
"""Seconds to wait for another writer before giving up."""


@contextlib.contextmanager
def hold_lock(path: Path, *, timeout: float = DEFAULT_TIMEOUT, what: str = "") -> Iterator[None]:
    """Hold the lock file *path* for the duration of the ``with`` block.

    :param path: lock file; its folder must exist.
    :param timeout: seconds to wait; ``0`` tries once.
    :param what: what is locked, for the error message.
    :raises RepositoryError: another process kept the lock for *timeout* seconds.
    """
    lock = filelock.FileLock(str(path), timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise RepositoryError(
            f"{what or 'the repository'} is locked by another writer ({path})",
            hint="wait for the other pkgimport process to finish, then retry",
        ) from None
    try:
        yield
    finally:
        lock.release()


def is_lock_free(path: Path) -> bool:
    """Tell whether nobody holds the lock file *path* (it may not exist)."""
    if not path.exists():
        return True
    lock = filelock.FileLock(str(path), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        return False
    lock.release()
    return True
