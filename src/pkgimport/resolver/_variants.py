"""Candidates as the solver sees them: variants, per-version entries and per-family lists.

These mirror rez's ``PackageVariant``, ``_PackageEntry`` and ``_PackageVariantList``
(``rez/solver.py``) closely, because the solver's result depends on their exact behaviour:
variants are parsed lazily, a package's variant list is shared between entries and sorted in
place, and package filters are applied only when a version first falls inside a range.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from pkgimport.errors import ResolveError
from pkgimport.resolver._algebra import parse_requirement

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pkgimport.resolver._algebra import Requirement, Version, VersionRange
    from pkgimport.resolver.provider import PackageData

__all__ = [
    "FamilyCandidates",
    "FamilyNotFoundError",
    "PackageEntry",
    "ReqList",
    "Variant",
    "VariantList",
]


class FamilyNotFoundError(ResolveError):
    """No version of a requested family exists (rez ``PackageFamilyNotFoundError``)."""


class ReqList:
    """Requirements merged per family, left to right (rez ``RequirementList``).

    ``conflict`` is the first pair that failed to merge; ``requirements`` is then empty.
    """

    __slots__ = ("all_names", "by_name", "conflict", "conflict_names", "names", "requirements")

    def __init__(self, requirements: Iterable[Requirement], *, with_names: bool = True) -> None:
        reqs = list(requirements)
        self.by_name: dict[str, Requirement] = {}
        self.conflict: tuple[Requirement, Requirement] | None = None
        self.requirements: list[Requirement] = []
        self.names: frozenset[str] = frozenset()
        self.conflict_names: frozenset[str] = frozenset()
        self.all_names: frozenset[str] = frozenset()
        by_name = self.by_name
        for req in reqs:
            existing = by_name.get(req.name)
            if existing is None:
                by_name[req.name] = req
                continue
            merged = existing.merged(req)
            if merged is None:
                self.conflict = (existing, req)
                return
            by_name[req.name] = merged
        # Keep first-occurrence order (dicts keep insertion order).
        self.requirements = list(by_name.values())
        if not with_names:  # merged extractions need no name sets
            return
        self.names = frozenset(r.name for r in self.requirements if not r.conflict)
        self.conflict_names = frozenset(r.name for r in self.requirements if r.conflict)
        self.all_names = frozenset(by_name)

    def __str__(self) -> str:
        if self.conflict is not None:
            return f"{self.conflict[0]} <--!--> {self.conflict[1]}"
        return " ".join(str(r) for r in self.requirements)


def qualified_name(name: str, version: Version) -> str:
    """Return ``name-version`` (just ``name`` for the empty version), like rez."""
    text = str(version)
    return f"{name}-{text}" if text else name


class Variant:
    """One variant of one package: the unit the solver resolves (rez ``PackageVariant``).

    The requirement list is parsed on first use, so variants reduced away before anyone
    asks never pay for it (and never raise an internal-conflict error, exactly like rez).
    """

    __slots__ = ("_reqs", "building", "cache", "index", "name", "package", "version")

    def __init__(
        self,
        package: PackageData,
        version: Version,
        index: int | None,
        building: bool,
        cache: dict[tuple[str, str, int | None], ReqList] | None = None,
    ) -> None:
        self.package = package
        self.cache = cache
        self.name = package.name
        self.version = version
        self.index = index
        self.building = building
        self._reqs: ReqList | None = None

    @property
    def requires_list(self) -> ReqList:
        """The merged requirements (package requires + this variant's [+ build_requires])."""
        reqs = self._reqs
        if reqs is None:
            reqs = self._reqs = self._load_requires()
        return reqs

    def _load_requires(self) -> ReqList:
        package = self.package
        key = (package.name, package.version, self.index)
        cache = self.cache
        if cache is not None:
            found = cache.get(key)
            if found is not None:
                return found
        texts: list[str] = list(package.requires)
        if self.index is not None and package.variants is not None:
            texts.extend(package.variants[self.index])
        if self.building:
            texts.extend(package.build_requires)
        reqs = ReqList(parse_requirement(t) for t in texts)
        if reqs.conflict is not None:
            msg = f"The package {self} has an internal requirements conflict: {reqs}"
            raise ResolveError(msg)
        if cache is not None:
            cache[key] = reqs
        return reqs

    @property
    def request_fams(self) -> frozenset[str]:
        """Names of the non-conflict requirements."""
        return self.requires_list.names

    def get(self, name: str) -> Requirement | None:
        """Return the (merged) requirement on ``name``, if any."""
        return self.requires_list.by_name.get(name)

    def __str__(self) -> str:
        index = "" if self.index is None else str(self.index)
        return f"{qualified_name(self.name, self.version)}[{index}]"

    def __repr__(self) -> str:
        return f"Variant({self})"


class PackageEntry:
    """The (remaining) variants of one package version (rez ``_PackageEntry``)."""

    __slots__ = ("package", "sort_key", "sorted", "variants", "version")

    def __init__(
        self,
        package: PackageData,
        version: Version,
        variants: list[Variant],
        sort_key: Callable[[Variant], Any],
    ) -> None:
        self.package = package
        self.version = version
        self.variants = variants
        self.sort_key = sort_key
        self.sorted = False

    def __len__(self) -> int:
        return len(self.variants)

    def split(self, nvariants: int) -> tuple[PackageEntry, PackageEntry] | None:
        """Split into the first ``nvariants`` (sorted) and the rest; ``None`` if not smaller."""
        if nvariants >= len(self.variants):
            return None
        self.sort()
        entry = PackageEntry(self.package, self.version, self.variants[:nvariants], self.sort_key)
        rest = PackageEntry(self.package, self.version, self.variants[nvariants:], self.sort_key)
        entry.sorted = rest.sorted = True
        return entry, rest

    def sort(self) -> None:
        """Sort variants most preferred first, in place (the list may be shared, as in rez)."""
        if self.sorted:
            return
        self.variants.sort(key=self.sort_key, reverse=True)
        self.sorted = True


class FamilyCandidates:
    """Every version of one family, for the lifetime of a solver.

    Versions are kept highest first (rez lists a family in no defined order; sorting makes
    results reproducible). ``states[i]`` is ``None`` (not loaded yet), ``False`` (excluded by
    the package filter) or ``(package, variants)``; variants are shared by every solve, which
    only ever sorts copies of the list.
    """

    __slots__ = (
        "_asc_keys",
        "building",
        "excludes",
        "family",
        "load",
        "reqs_cache",
        "states",
        "versions",
    )

    def __init__(
        self,
        family: str,
        versions: list[tuple[str, Version]],
        *,
        load: Callable[[str, str], PackageData],
        excludes: Callable[[PackageData, Version], bool] | None,
        building: bool,
        reqs_cache: dict[tuple[str, str, int | None], ReqList] | None = None,
    ) -> None:
        self.family = family
        ordered = sorted(versions, key=lambda tv: tv[1].sort_key(), reverse=True)
        self.versions: list[tuple[str, Version]] = ordered
        self._asc_keys = [v.sort_key() for _, v in reversed(ordered)]
        self.load = load
        self.excludes = excludes
        self.building = building
        self.reqs_cache = reqs_cache
        self.states: list[Any] = [None] * len(ordered)

    def matching(self, range_: VersionRange) -> list[int]:
        """Indexes (highest version first) of the versions inside ``range_``."""
        spans = getattr(range_, "_spans", None)
        if spans is None:  # pragma: no cover - another VersionRange implementation
            return [i for i, (_, v) in enumerate(self.versions) if v in range_]
        keys = self._asc_keys
        last = len(keys) - 1
        found: list[int] = []
        for low, high in reversed(spans):
            start = bisect_left(keys, low)
            stop = bisect_left(keys, high, start)
            found.extend(last - j for j in range(stop - 1, start - 1, -1))
        return found

    def state(self, i: int) -> Any:
        """Load (and filter) version ``i`` on first use."""
        state = self.states[i]
        if state is None:
            text, version = self.versions[i]
            package = self.load(self.family, text)
            if self.excludes is not None and self.excludes(package, version):
                state = False
            else:
                indexes: Iterable[int | None] = (
                    [None] if not package.variants else range(len(package.variants))
                )
                state = (
                    package,
                    tuple(
                        Variant(package, version, idx, self.building, self.reqs_cache)
                        for idx in indexes
                    ),
                )
            self.states[i] = state
        return state


class VariantList:
    """One family's candidates within one solve (rez ``_PackageVariantList``).

    Each package's variant list is shared by every entry built from it in this solve, and
    sorted in place, exactly as rez shares and sorts its lists.
    """

    __slots__ = ("candidates", "lists", "sort_key")

    def __init__(self, candidates: FamilyCandidates, sort_key: Callable[[Variant], Any]) -> None:
        self.candidates = candidates
        self.sort_key = sort_key
        self.lists: dict[int, list[Variant]] = {}

    def get_intersection(self, range_: VersionRange) -> list[PackageEntry] | None:
        """Return entries whose version is in ``range_`` (``None`` if none).

        Packages are loaded and filtered on first sight.
        """
        result: list[PackageEntry] = []
        candidates = self.candidates
        lists = self.lists
        sort_key = self.sort_key
        for i in candidates.matching(range_):
            state = candidates.state(i)
            if state is False:
                continue
            variants = lists.get(i)
            if variants is None:
                variants = lists[i] = list(state[1])
            result.append(PackageEntry(state[0], candidates.versions[i][1], variants, sort_key))
        return result or None
