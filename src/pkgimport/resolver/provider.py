"""The solver's only view of packages: the :class:`PackageProvider` protocol.

The solver never imports :mod:`pkgimport.repository`; it asks a provider four questions:

* which versions a family has (:meth:`PackageProvider.iter_versions`),
* what one package looks like (:meth:`PackageProvider.get_package`: timestamp, ``requires``,
  ``build_requires`` and ``variants`` as raw request strings, plus where it came from),
* whether a family exists at all (:meth:`PackageProvider.has_family`),
* what to print as "searched" in rez's family-not-found message
  (:meth:`PackageProvider.describe_search_path`).

:class:`InMemoryProvider` implements the protocol over plain dicts, for tests and for callers
that already hold their packages in memory.

>>> provider = InMemoryProvider.from_dict({"foo": {"1.0": {"requires": ["bar-2"]}}})
>>> list(provider.iter_versions("foo"))
['1.0']
>>> provider.get_package("foo", "1.0").requires
('bar-2',)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = ["SYNTHETIC_LOCATION", "InMemoryProvider", "PackageData", "PackageProvider"]


def __dir__() -> list[str]:
    return __all__


SYNTHETIC_LOCATION = "<synthetic>"
"""The :attr:`PackageData.location` of a package no repository holds: a stand-in for a
package another machine would have (see :mod:`pkgimport.resolver.synthetic`)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageData:
    """What the solver needs to know about one package (one family at one version)."""

    name: str
    """Family name, e.g. ``"python"``."""
    version: str
    """Version string as the repository spells it, e.g. ``"2.7.16"``."""
    timestamp: int | None = None
    """Release time (epoch seconds), or ``None`` when the package has none."""
    requires: tuple[str, ...] = ()
    """The package's ``requires`` request strings, in definition order."""
    build_requires: tuple[str, ...] = ()
    """``build_requires``; appended to every variant's requirements when solving for a build."""
    variants: tuple[tuple[str, ...], ...] | None = None
    """Per-variant request strings; ``None`` when the package has no variants (one variant,
    index ``None``)."""
    location: str = ""
    """Where the package came from (repository root); carried into the solver's result."""

    @classmethod
    def from_dict(cls, name: str, version: str, data: Mapping[str, Any]) -> PackageData:
        """Build from a mapping of rez package attributes.

        Optional keys: ``timestamp``, ``requires``, ``build_requires``, ``variants``,
        ``location``.

        >>> PackageData.from_dict("foo", "1", {"variants": [["python-2"], ["python-3"]]}).variants
        (('python-2',), ('python-3',))
        """
        variants = data.get("variants")
        return cls(
            name=name,
            version=version,
            timestamp=data.get("timestamp"),
            requires=tuple(data.get("requires") or ()),
            build_requires=tuple(data.get("build_requires") or ()),
            variants=None if variants is None else tuple(tuple(v or ()) for v in variants),
            location=str(data.get("location", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping :meth:`from_dict` accepts (empty fields left out)."""
        data: dict[str, Any] = {}
        if self.timestamp is not None:
            data["timestamp"] = self.timestamp
        if self.requires:
            data["requires"] = list(self.requires)
        if self.build_requires:
            data["build_requires"] = list(self.build_requires)
        if self.variants is not None:
            data["variants"] = [list(v) for v in self.variants]
        if self.location:
            data["location"] = self.location
        return data


class PackageProvider(Protocol):
    """What the solver may ask about packages.

    Implemented by :class:`pkgimport.repository.provider.RepositoryProvider` and
    :class:`InMemoryProvider`.

    Every method may be called any number of times, for any family, in any order; the solver
    caches answers within one solve, so results must not change during a solve. Nothing here
    raises for a missing family or package: the solver turns absence into rez's errors.
    """

    def iter_versions(self, family: str) -> Iterable[str]:
        """Return the version strings of ``family`` (empty when it does not exist).

        Several repositories: the first one holding a version wins, later duplicates are not
        listed. The order is the repository's listing order; rez itself lists in no defined
        order, and the solver sorts versions itself before it prefers one.
        """
        ...

    def get_package(self, family: str, version: str) -> PackageData:
        """Return one package listed by :meth:`iter_versions`.

        Called lazily, only for versions inside a requested range, at most once per package
        per solve. May raise :class:`pkgimport.errors.PkgImportError` for an unreadable
        package definition.
        """
        ...

    def has_family(self, family: str) -> bool:
        """Return whether ``family`` exists in any repository (it may still list no version)."""
        ...

    def describe_search_path(self) -> str:
        """Return the searched locations as rez prints them: paths joined with ``"; "``."""
        ...


@dataclass(frozen=True, slots=True)
class InMemoryProvider:
    """A :class:`PackageProvider` over packages held in memory (tests, recorded cases).

    Versions are listed in insertion order.
    """

    packages: Mapping[str, Mapping[str, PackageData]]
    """``{family: {version: PackageData}}``."""
    search_path: str = "<memory>"
    """What :meth:`describe_search_path` returns."""
    _empty: Mapping[str, PackageData] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Mapping[str, Mapping[str, Any]]], search_path: str = "<memory>"
    ) -> InMemoryProvider:
        """Build from ``{family: {version: {requires, variants, timestamp, ...}}}``.

        >>> InMemoryProvider.from_dict({"a": {"1": {}, "2": {}}}).has_family("a")
        True
        """
        packages = {
            family: {
                version: PackageData.from_dict(family, version, pkg)
                for version, pkg in versions.items()
            }
            for family, versions in data.items()
        }
        return cls(packages, search_path)

    def to_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Return the mapping :meth:`from_dict` accepts."""
        return {
            family: {version: pkg.to_dict() for version, pkg in versions.items()}
            for family, versions in self.packages.items()
        }

    def iter_versions(self, family: str) -> Iterator[str]:
        """See :meth:`PackageProvider.iter_versions`."""
        return iter(self.packages.get(family, self._empty))

    def get_package(self, family: str, version: str) -> PackageData:
        """See :meth:`PackageProvider.get_package`."""
        return self.packages[family][version]

    def has_family(self, family: str) -> bool:
        """See :meth:`PackageProvider.has_family`."""
        return family in self.packages

    def describe_search_path(self) -> str:
        """See :meth:`PackageProvider.describe_search_path`."""
        return self.search_path
