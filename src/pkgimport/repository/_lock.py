"""Cross-process locks for a repository: one writer commits at a time.

pkgimport keeps its own files in ``<repo>/.pkgimport/`` (a dot folder, so rez never takes it
for a package family): the commit lock, the staging area and refused plans (``refused/``).
The locks are ``filelock`` locks (``flock`` on POSIX), so a crashed writer never leaves a stale
lock behind: the kernel releases it with the process.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import filelock

from pkgimport.errors import RepositoryError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "DEFAULT_TIMEOUT",
    "PRIVATE_DIRNAME",
    "check_private_dir",
    "hold_lock",
    "is_lock_free",
]

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
    except OSError as exc:  # a read-only or full filesystem, a folder without write access
        raise RepositoryError(
            f"cannot lock {what or 'the repository'}: {exc.strerror or exc} ({path}); nothing "
            "was changed",
            hint="check that the repository is writable (not a read-only mount), or pass "
            "another --repo",
        ) from None
    try:
        yield
    finally:
        lock.release()


def check_private_dir(root: Path) -> None:
    """Refuse to work in a repository whose ``.pkgimport`` folders are links or files.

    pkgimport writes there (staging, locks): a link planted in their place would direct those
    writes, and the removal of dead writers' staging, outside the repository.

    :raises RepositoryError: ``.pkgimport`` or one of its folders is not a real folder.
    """
    private = root / PRIVATE_DIRNAME
    for folder in (private, private / "staging", private / "refused"):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise RepositoryError(
                f"{folder} is not a folder pkgimport made (a link or a file); refusing to write "
                "into the repository",
                hint="remove it (pkgimport recreates it), then run the import again",
            )


def is_lock_free(path: Path) -> bool:
    """Tell whether nobody holds the lock file *path* (it may not exist).

    A link in a lock's place is nobody's lock (pkgimport never makes one): it counts as free.
    """
    if path.is_symlink() or not path.exists():
        return True
    lock = filelock.FileLock(str(path), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        return False
    lock.release()
    return True
