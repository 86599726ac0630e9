"""The solver: resolves a request exactly like rez 3.4's solver (``SOLVER_VERSION`` 2).

``Solver(provider, reporter).solve(request)`` returns an immutable :class:`Resolution`. The
search is rez's own (spec §4): a depth-first stack of phases, each narrowed to a fixpoint by
extraction, intersection and reduction, split on the first multi-variant scope. It is *not*
a smarter solver on purpose: the same request over the same packages must give rez's result,
order, variant indexes and failure text.

Errors (raised, as rez raises them) versus failures (returned as ``status="failed"``):

* :class:`~pkgimport.errors.ResolveError` for an unknown family ("package family not found:
  ..."), a requested range with no package ("Package could not be found: ..."), a package
  whose own requirements conflict;
* a :class:`Resolution` with ``status="failed"`` for conflicts found while solving, and
  ``status="aborted"`` when the time limit is hit.

>>> from pkgimport.resolver.provider import InMemoryProvider
>>> provider = InMemoryProvider.from_dict({
...     "foo": {"1.0": {"requires": ["bar-1+"]}},
...     "bar": {"1.0": {}, "2.0": {}},
... })
>>> resolution = Solver(provider).solve(["foo"])
>>> [str(v) for v in resolution.variants]
['bar-2.0[]', 'foo-1.0[]']
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pkgimport.errors import ResolveError
from pkgimport.resolver._algebra import (
    Requirement,
    parse_requirement,
    parse_version,
)
from pkgimport.resolver._failures import (
    Cycle,
    DependencyConflict,
    DependencyConflicts,
    FailureReason,
    Reduction,
    TotalReduction,
)
from pkgimport.resolver._family import FamilyCandidates
from pkgimport.resolver._results import FailureInfo, Resolution, ResolvedVariant
from pkgimport.resolver._scope import PackageNotFoundError
from pkgimport.resolver._search import Search
from pkgimport.resolver._variants import (
    FamilyNotFoundError,
    MergeCache,
    PackageFamilyNotFoundError,
    ReqList,
    Variant,
)
from pkgimport.resolver.reporter import BaseReporter

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from pkgimport.resolver._algebra import Version, VersionRange
    from pkgimport.resolver.orderers import PackageOrderer
    from pkgimport.resolver.provider import PackageData, PackageProvider

__all__ = [
    "Cycle",
    "DependencyConflict",
    "DependencyConflicts",
    "FailureInfo",
    "FailureReason",
    "FamilyNotFoundError",
    "PackageFamilyNotFoundError",
    "PackageFilterLike",
    "PackageNotFoundError",
    "Reduction",
    "Resolution",
    "ResolvedVariant",
    "Solver",
    "TotalReduction",
    "VariantSelectMode",
]


def __dir__() -> list[str]:
    return __all__


VariantSelectMode = Literal["version_priority", "intersection_priority"]


class PackageFilterLike(Protocol):
    """What the solver asks a package filter (see :mod:`pkgimport.resolver.filters`)."""

    def excludes(self, package: PackageData, version: Version) -> object | None:
        """Return the excluding rule (truthy) or ``None`` to keep the package."""
        ...


class Solver:
    """Resolve requests over a :class:`~pkgimport.resolver.provider.PackageProvider`.

    :param provider: where packages come from.
    :param reporter: progress hooks (:class:`~pkgimport.resolver.reporter.BaseReporter`).
    :param package_filter: excludes packages (``--exclude``/``--include``, ``--time``).
    :param orderers: package orderers (earlier ones win per family), as rez's
        ``package_orderers``.
    :param building: add ``build_requires`` to every variant's requirements.
    :param variant_select_mode: rez's ``variant_select_mode``.
    :param error_on_missing_variant_requires: raise (True, rez's default) or fail the phase
        and backtrack (False) when a variant requires a family that does not exist.
    :param max_fails: stop with status ``failed`` after this many failed phases (-1: no limit).
    :param time_limit: stop with status ``aborted`` after this many seconds (-1: no limit).

    A solver may be reused, and should be: packages read from the provider, and everything
    computed about sets of their variants, are kept for its lifetime, so later solves over
    the same families mostly look things up. One solver serves one thread at a time.
    """

    def __init__(
        self,
        provider: PackageProvider,
        reporter: BaseReporter | None = None,
        *,
        package_filter: PackageFilterLike | None = None,
        orderers: Sequence[PackageOrderer] = (),
        building: bool = False,
        variant_select_mode: VariantSelectMode = "version_priority",
        error_on_missing_variant_requires: bool = True,
        max_fails: int = -1,
        time_limit: float = -1,
    ) -> None:
        self.provider = provider
        self.reporter = reporter or BaseReporter()
        self.package_filter = package_filter
        self.orderers = tuple(orderers)
        self.building = building
        self.variant_select_mode = variant_select_mode
        self.error_on_missing_variant_requires = error_on_missing_variant_requires
        self.max_fails = max_fails
        self.time_limit = time_limit
        self._packages: dict[tuple[str, str], PackageData] = {}
        self._versions: dict[str, list[str]] = {}
        # Parsed variant requirements, shared by every solve of this solver.
        self._reqs_cache: dict[tuple[str, ...], ReqList] = {}
        self._families: dict[str, FamilyCandidates] = {}
        self._merges = MergeCache()
        # Sort keys depend only on the orderers (fixed) and, for a variant, on where the
        # request names the families it requires: both are shared by every solve.
        self._range_keys: dict[tuple[str, VersionRange | None], Any] = {}
        self._variant_keys: dict[tuple[Variant, tuple[int | None, ...]], Any] = {}
        for orderer in self.orderers:
            orderer.bind(self._family_timestamps)

    def solve(self, request: Iterable[str | Requirement]) -> Resolution:
        """Resolve ``request`` (request strings like ``foo-1.2+<2``, ``~bar``, ``.eph-1``).

        :raises ResolveError: for rez's errors (unknown family, no package in range, a
            package whose requirements conflict internally).
        :raises InvalidRequirement: for a malformed request string.
        """
        requests = [r if not isinstance(r, str) else parse_requirement(r) for r in request]
        # A solve allocates many short-lived, acyclic objects over a large heap of loaded
        # packages; the cyclic collector would rescan that heap over and over (about 45% of
        # the solve time on rez's benchmark). Nothing a solve creates needs it before the end.
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._solve(requests)
        finally:
            if gc_enabled:
                gc.enable()

    def solve_many(
        self, requests: Iterable[Iterable[str | Requirement]]
    ) -> Iterator[Resolution | ResolveError]:
        """Resolve each request in turn; yield its :class:`Resolution`, or the error it raised.

        This is :meth:`solve` for batches (rez's benchmark, ``pkgimport resolve
        --requests-file``): the cyclic garbage collector stays off until the generator is
        exhausted or closed, instead of rescanning the solver's growing caches between two
        requests (each solve frees its own objects by reference counting). Close the
        generator (``contextlib.closing``) if you stop early.

        :raises InvalidRequirement: for a malformed request string (the batch stops there).
        """
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            for request in requests:
                parsed = [r if not isinstance(r, str) else parse_requirement(r) for r in request]
                try:
                    result: Resolution | ResolveError = self._solve(parsed)
                except ResolveError as exc:
                    result = exc
                yield result
        finally:
            if gc_enabled:
                gc.enable()

    def _solve(self, requests: list[Requirement]) -> Resolution:
        solve = Search(self, requests)
        try:
            return solve.run()
        finally:
            # The solve's objects form cycles (phases -> slices -> solve -> phase stack):
            # break them so that reference counting frees them now, instead of the cyclic
            # collector tracing millions of objects after the solve (about 20% of the time
            # of rez's benchmark run in one process).
            solve.release()
            del solve

    # -- provider access, cached across solves ----------------------------------------------

    def _list_versions(self, family: str) -> list[str]:
        versions = self._versions.get(family)
        if versions is None:
            versions = self._versions[family] = list(self.provider.iter_versions(family))
        return versions

    def _candidates(self, family: str, searched: str) -> FamilyCandidates:
        candidates = self._families.get(family)
        if candidates is None:
            versions = [(text, parse_version(text)) for text in self._list_versions(family)]
            if not versions:
                msg = f"package family not found: {family} (searched: {searched})"
                raise PackageFamilyNotFoundError(msg)
            package_filter = self.package_filter
            excludes = None
            if package_filter is not None:

                def excludes(package: PackageData, version: Version) -> bool:
                    return bool(package_filter.excludes(package, version))

            candidates = FamilyCandidates(
                family,
                versions,
                load=self._load,
                excludes=excludes,
                building=self.building,
                reqs_cache=self._reqs_cache,
            )
            self._families[family] = candidates
        return candidates

    def _load(self, family: str, version: str) -> PackageData:
        key = (family, version)
        package = self._packages.get(key)
        if package is None:
            package = self._packages[key] = self.provider.get_package(family, version)
        return package

    def _family_timestamps(self, family: str) -> list[tuple[Version, int | None]]:
        return [
            (parse_version(v), self._load(family, v).timestamp) for v in self._list_versions(family)
        ]
