"""What a solve looked at, so that its cached result is used only while all of it is unchanged.

rez validates a cached resolve against the families it *resolved* (rez#1276 is the class of
bug that follows: a result depends on more than what ended up in it). A family that was looked
at and rejected can change the answer too: a new ``plug-5`` makes ``app-2[plug-5]`` solvable,
where the cached answer backtracked to ``app-1`` and holds no ``plug`` at all. So
:class:`RecordingProvider` sits between the solver and the repositories and notes, for *every*
family the solver asks about (listed, loaded, or only asked whether it exists), the state of its
folder in every repository: its mtime, which rez and pkgimport change on every release (a
version folder added, a ``.ignore`` file, the touch after a variant merge), or ``-1`` when
the folder does not exist (a family that appears later, or in a repository searched earlier,
changes that too).

The state is taken *before* the repositories list the family, so a release that lands while
the solve runs makes the recorded state older than the folder, never newer than what the
solve saw: the entry can only be thrown away too often, never used once too often.

Also recorded: the newest ``timestamp`` of every package the solver loaded, which says whether
a ``--time T`` resolve would have seen exactly the same packages (nothing loaded was released
after T).
"""

# str paths and os.stat on purpose: a cache hit stats hundreds of folders.
# ruff: noqa: PTH116

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pkgimport.resolver.provider import PackageData, PackageProvider

__all__ = ["RecordingProvider", "folder_state", "folder_states"]


def folder_state(path: str) -> int:
    """Return the mtime of *path* in nanoseconds, ``-1`` when it does not exist."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def folder_states(roots: Sequence[str], family: str) -> tuple[int, ...]:
    """Return :func:`folder_state` of ``<root>/<family>`` for each repository root."""
    return tuple(folder_state(f"{root}/{family}") for root in roots)


class RecordingProvider:
    """A :class:`~pkgimport.resolver.provider.PackageProvider` that records what is asked.

    :param provider: the provider answering (a ``RepositoryProvider``).
    :param roots: the repository roots *provider* reads, in search order (absolute).

    What it records is cumulative over its lifetime, like the caches of the provider and the
    solver it serves (a solver reused for many requests asks once per family, then remembers):
    the record of a later solve may hold more than that solve used, never less.
    """

    def __init__(self, provider: PackageProvider, roots: Sequence[str]) -> None:
        self.provider = provider
        self.roots = tuple(roots)
        self.families: dict[str, tuple[int, ...]] = {}
        """``family -> folder state per root``, taken before *provider* first saw the family."""
        self.read_at: dict[str, int] = {}
        """``family -> time.time_ns()`` just before its state was taken."""
        self.max_timestamp: int | None = None
        """The newest ``timestamp`` of the packages loaded (``None``: none had one)."""

    def _touch(self, family: str) -> None:
        if family not in self.families:
            self.read_at[family] = time.time_ns()
            self.families[family] = folder_states(self.roots, family)

    def iter_versions(self, family: str) -> Iterable[str]:
        """See :meth:`PackageProvider.iter_versions`; records the family first."""
        self._touch(family)
        return self.provider.iter_versions(family)

    def get_package(self, family: str, version: str) -> PackageData:
        """See :meth:`PackageProvider.get_package`; records its timestamp."""
        self._touch(family)
        package = self.provider.get_package(family, version)
        stamp = package.timestamp
        if stamp is not None and (self.max_timestamp is None or stamp > self.max_timestamp):
            self.max_timestamp = stamp
        return package

    def has_family(self, family: str) -> bool:
        """See :meth:`PackageProvider.has_family`; records the family first."""
        self._touch(family)
        return self.provider.has_family(family)

    def describe_search_path(self) -> str:
        """See :meth:`PackageProvider.describe_search_path`."""
        return self.provider.describe_search_path()
