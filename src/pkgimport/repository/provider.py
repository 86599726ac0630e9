"""The solver's view of repositories: :class:`RepositoryProvider`.

It implements :class:`pkgimport.resolver.provider.PackageProvider` over a
:class:`~pkgimport.repository.filesystem.RepositoryPaths` (first repository wins per family
and version), reading each family's listing once and handing the solver the records the
listing index already holds, so a resolve never opens a package file it does not need.

>>> from pkgimport.repository.filesystem import RepositoryPaths
>>> provider = RepositoryProvider(RepositoryPaths([]))
>>> list(provider.iter_versions("nothing")), provider.describe_search_path()
([], '')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkgimport.errors import ResolveError
from pkgimport.resolver.provider import PackageData

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pkgimport.repository.base import PackageRecord
    from pkgimport.repository.filesystem import RepositoryPaths

__all__ = ["RepositoryProvider", "package_data"]


def __dir__() -> list[str]:
    return __all__


def package_data(record: PackageRecord) -> PackageData:
    """Convert a listing record into what the solver needs."""
    return PackageData(
        name=record.name,
        version=record.version,
        timestamp=record.timestamp,
        requires=record.requires,
        build_requires=record.build_requires,
        variants=record.variants or None,
        location=record.location,
    )


class RepositoryProvider:
    """A :class:`~pkgimport.resolver.provider.PackageProvider` over repositories.

    Listings are cached for the provider's lifetime (one resolve, or one process): make a new
    provider, or call :meth:`refresh`, to see packages added meanwhile.
    """

    def __init__(self, paths: RepositoryPaths, *, allow_unversioned: bool = True) -> None:
        self.paths = paths
        # rez's allow_unversioned_packages: when off, a family's unversioned package.py is
        # not listed (rez would list that family's version folders instead, which the
        # listing does not keep: a family holding both is rare and refused by imports).
        self.allow_unversioned = allow_unversioned
        self._families: dict[str, dict[str, PackageRecord]] = {}
        # Converted on first request: the solver asks for about 3 in 4 listed packages.
        self._packages: dict[tuple[str, str], PackageData] = {}

    def _family(self, family: str) -> dict[str, PackageRecord]:
        records = self._families.get(family)
        if records is None:
            records = {
                r.version: r
                for r in self.paths.iter_records(family)
                if r.version or self.allow_unversioned
            }
            self._families[family] = records
        return records

    def iter_versions(self, family: str) -> Iterator[str]:
        """Versions of ``family`` across the repositories, first repository wins."""
        return iter(self._family(family))

    def get_package(self, family: str, version: str) -> PackageData:
        """Return the package as the listing index holds it.

        :raises ResolveError: if ``family-version`` was not listed.
        """
        data = self._packages.get((family, version))
        if data is None:
            try:
                record = self._family(family)[version]
            except KeyError:
                msg = f"package {family}-{version} is not in {self.describe_search_path()}"
                raise ResolveError(msg) from None
            data = self._packages[family, version] = package_data(record)
        return data

    def get_record(self, family: str, version: str) -> PackageRecord | None:
        """Return the listing record of ``family-version`` as listed (``None`` if not listed).

        A dictionary lookup: locating every resolved variant of a context asks this hundreds
        of times.
        """
        return self._family(family).get(version)

    def has_family(self, family: str) -> bool:
        """Whether any repository has the family."""
        return self.paths.has_family(family)

    def describe_search_path(self) -> str:
        """Repository roots joined with ``"; "``, as rez prints them."""
        return "; ".join(r.location for r in self.paths.repositories)

    def refresh(self) -> None:
        """Forget cached listings."""
        self._families.clear()
        self._packages.clear()
