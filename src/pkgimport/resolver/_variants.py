"""Variants as the solver sees them, and their merged requirement lists.

These mirror rez's ``PackageVariant`` and ``RequirementList`` (``rez/solver.py``,
``rez/version``): a variant's requirements are parsed lazily, so a variant nobody looks at
never pays for it (and never raises an internal-conflict error, exactly like rez).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkgimport.errors import InvalidRequirement, PackageMetadataError, ResolveError
from pkgimport.resolver._algebra import parse_package_request

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pkgimport.resolver._algebra import Requirement, Version
    from pkgimport.resolver.provider import PackageData

__all__ = [
    "FamilyNotFoundError",
    "MergeCache",
    "PackageFamilyNotFoundError",
    "ReqList",
    "Variant",
    "check_variants",
    "qualified_name",
]


class PackageFamilyNotFoundError(ResolveError):
    """No version of a requested family exists (rez's class of the same name)."""


FamilyNotFoundError = PackageFamilyNotFoundError
"""The name this error had before it took rez's."""


def _metadata_error(
    package: PackageData, key: str, exc: InvalidRequirement
) -> PackageMetadataError:
    where = f"{package.name}-{package.version}" if package.version else package.name
    if package.location:
        where += f" in {package.location}"
    return PackageMetadataError(f"Validation of key {key!r} failed: {exc} (package {where})")


def _parse_package_requests(
    package: PackageData, texts: tuple[str, ...], keys: tuple[tuple[int, str], ...]
) -> list[Requirement]:
    """Parse *texts* as rez's schema reads a package's requirements.

    *keys* maps positions to the key they come from: ``((end, key), ...)`` in order.

    :raises PackageMetadataError: a text is no package request (rez's schema error).
    """
    reqs: list[Requirement] = []
    try:
        for text in texts:
            reqs.append(parse_package_request(text))  # noqa: PERF401 - the count tells the key
    except InvalidRequirement as exc:
        key = next(k for end, k in keys if len(reqs) < end)
        raise _metadata_error(package, key, exc) from None
    return reqs


def check_variants(package: PackageData) -> None:
    """Validate every variant of *package*, as rez does when the solver loads it.

    rez's filesystem package reads its whole ``variants`` key (schema ``[[PackageRequest]]``)
    the first time it lists the variants, before any variant's requirements are read.

    :raises PackageMetadataError: a variant holds something that is no package request.
    """
    try:
        for variant in package.variants or ():
            for text in variant:
                parse_package_request(text)
    except InvalidRequirement as exc:
        raise _metadata_error(package, "variants", exc) from None


class ReqList:
    """Requirements merged per family, left to right (rez ``RequirementList``).

    ``conflict`` is the first pair that failed to merge; ``requirements`` is then empty.
    """

    __slots__ = ("all_names", "by_name", "conflict", "conflict_names", "names", "requirements")

    def __init__(
        self,
        requirements: Iterable[Requirement],
        *,
        with_names: bool = True,
        merges: MergeCache | None = None,
    ) -> None:
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
            merged = existing.merged(req) if merges is None else merges.merge(existing, req)
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


class MergeCache:
    """Memoised :meth:`Requirement.merged` (a solve merges the same few pairs over and over).

    Keyed by the requirements' identities (equal requirements may still differ in their
    ``weak`` flag and separator, which the merged requirement keeps); each entry holds the
    two requirements, so that their identities stay theirs.
    """

    __slots__ = ("_canonical", "_merged")

    def __init__(self) -> None:
        self._merged: dict[
            tuple[int, int], tuple[Requirement, Requirement, Requirement | None]
        ] = {}
        self._canonical: dict[tuple[object, ...], Requirement] = {}

    def merge(self, first: Requirement, second: Requirement) -> Requirement | None:
        """Return ``first.merged(second)`` (one object per distinct result)."""
        key = (id(first), id(second))
        found = self._merged.get(key)
        if found is None:
            merged = first.merged(second)
            if merged is not None:
                value = (merged.name, merged.range, merged.conflict, merged.weak, merged.sep)
                merged = self._canonical.setdefault(value, merged)
            found = self._merged[key] = (first, second, merged)
        return found[2]


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
        cache: dict[tuple[str, ...], ReqList] | None = None,
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
        texts = package.requires
        if self.index is not None and package.variants is not None:
            texts += package.variants[self.index]
        if self.building:
            texts += package.build_requires
        # Most versions of a family repeat the same requirements: parse each list once.
        cache = self.cache
        reqs = None if cache is None else cache.get(texts)
        if reqs is None:
            # rez validates the package's requires (then build_requires) as it reads them;
            # the variant's own part was validated when the package was loaded.
            variant_end = len(texts) - (len(package.build_requires) if self.building else 0)
            keys = ((len(package.requires), "requires"), (variant_end, "variants"))
            reqs = ReqList(
                _parse_package_requests(package, texts, (*keys, (len(texts), "build_requires")))
            )
            if cache is not None:
                cache[texts] = reqs
        if reqs.conflict is not None:
            msg = f"The package {self} has an internal requirements conflict: {reqs}"
            raise ResolveError(msg)
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
