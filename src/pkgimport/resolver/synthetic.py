"""Synthetic packages: stand-ins a resolve adds for a machine the repositories were not bound on.

A resolve "as a Windows machine would" (``pkgimport resolve --target windows``) needs the
``platform-windows``, ``arch-AMD64`` and ``os-windows-10.0`` packages that ``rez-bind`` would
have created on that machine. :class:`SyntheticProvider` is a
:class:`~pkgimport.resolver.provider.PackageProvider` over another one that adds such packages
where the repositories hold no package of that family at that version (rez-equal versions:
``10.0`` is ``10-0``). Real packages always win; a synthetic one carries
:data:`SYNTHETIC_LOCATION` as its location, so results can say which ones they are.

>>> from pkgimport.resolver.provider import InMemoryProvider, PackageData
>>> base = InMemoryProvider.from_dict({"platform": {"linux": {}}})
>>> provider = SyntheticProvider(base, [PackageData(name="platform", version="windows")])
>>> list(provider.iter_versions("platform"))
['linux', 'windows']
>>> is_synthetic(provider.get_package("platform", "windows"))
True
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pkgimport.resolver.provider import SYNTHETIC_LOCATION
from pkgimport.resolver.versions import Version

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pkgimport.resolver.provider import PackageData, PackageProvider

__all__ = ["SYNTHETIC_LOCATION", "SyntheticProvider", "is_synthetic"]


def __dir__() -> list[str]:
    return __all__


def is_synthetic(package: PackageData) -> bool:
    """Whether *package* was added by a :class:`SyntheticProvider`."""
    return package.location == SYNTHETIC_LOCATION


class SyntheticProvider:
    """*base* plus *packages* wherever *base* has no package of that family and version.

    :param base: the repositories (any provider).
    :param packages: the stand-ins; their ``location`` is replaced by
        :data:`SYNTHETIC_LOCATION`.

    Answers are worked out once per family, so they do not change during a solve (the
    :class:`~pkgimport.resolver.provider.PackageProvider` contract) as long as *base*'s do not.
    """

    def __init__(self, base: PackageProvider, packages: Iterable[PackageData]) -> None:
        self.base = base
        self._stand_ins: dict[str, dict[str, PackageData]] = {}
        for package in packages:
            family = self._stand_ins.setdefault(package.name, {})
            family[package.version] = replace(package, location=SYNTHETIC_LOCATION)
        self._added: dict[str, dict[str, PackageData]] = {}

    def _added_to(self, family: str) -> dict[str, PackageData]:
        added = self._added.get(family)
        if added is None:
            stand_ins = self._stand_ins.get(family, {})
            present = set()
            if stand_ins:
                present = {Version.parse(v) for v in self.base.iter_versions(family)}
            added = {v: p for v, p in stand_ins.items() if Version.parse(v) not in present}
            self._added[family] = added
        return added

    def iter_versions(self, family: str) -> Iterable[str]:
        """Return the base's versions, then the stand-ins it lacks."""
        added = self._added_to(family)
        if not added:
            return self.base.iter_versions(family)
        return [*self.base.iter_versions(family), *added]

    def get_package(self, family: str, version: str) -> PackageData:
        """Return a stand-in, or the base's package."""
        added = self._added_to(family).get(version)
        return added if added is not None else self.base.get_package(family, version)

    def has_family(self, family: str) -> bool:
        """Tell whether the base or a stand-in has *family*."""
        return family in self._stand_ins or self.base.has_family(family)

    def describe_search_path(self) -> str:
        """Return the base's search path (synthetic packages are searched nowhere)."""
        return self.base.describe_search_path()

    def synthetic_packages(self) -> list[PackageData]:
        """Return every stand-in, whether the base lacked it or not."""
        return [p for family in self._stand_ins.values() for p in family.values()]
