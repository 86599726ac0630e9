"""Scopes: what one family may still resolve to within a phase (rez ``_PackageScope``).

A real scope holds a *slice* (the remaining variants of the family, grouped per version); a
conflict scope (``!foo``, ``~foo-1``) and an ephemeral scope (``.foo-1``) hold only a range.
Scopes and slices are treated as immutable: every narrowing returns a new object, and
unchanged operations return ``self`` (the phase loop relies on identity to detect change).
"""

from __future__ import annotations

from operator import methodcaller
from typing import TYPE_CHECKING, Any, Protocol

from pkgimport.errors import ResolveError
from pkgimport.resolver._algebra import make_requirement, range_from_versions
from pkgimport.resolver._failures import Reduction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pkgimport.resolver._algebra import Requirement, Version, VersionRange
    from pkgimport.resolver._variants import PackageEntry, Variant

__all__ = ["PackageNotFoundError", "Scope", "ScopeRequest", "Slice", "SliceSource"]


class PackageNotFoundError(ResolveError):
    """No package of a family is in the requested range (rez ``PackageNotFoundError``)."""


class SliceSource(Protocol):
    """What slices need from the solve: candidate lookup and the version sort key."""

    def get_slice(self, family: str, range_: VersionRange) -> Slice | None:
        """Return the family's variants within ``range_`` (``None`` if there are none)."""
        ...

    def version_key(self, family: str) -> Any:
        """Return the function keying a :class:`PackageEntry` for the version sort."""
        ...

    @property
    def requirers(self) -> dict[str, set[str]]:
        """``family -> families whose variants (seen so far) require it``."""
        ...

    def register_requirer(self, family: str, required: frozenset[str]) -> None:
        """Record that variants of ``family`` require the ``required`` families."""
        ...

    @property
    def extraction_cache(self) -> dict[tuple[str, frozenset[VersionRange]], Requirement]:
        """``(family, ranges) -> extracted requirement`` memo."""
        ...


class ScopeRequest:
    """A real scope's request, ``name==v1|==v2|...``, kept as its set of versions.

    rez builds this as a ``Requirement`` over ``VersionRange.from_versions`` for every new
    scope; most are only ever used to test conflicts against, which a set of versions answers
    directly. The equivalent :class:`Requirement` is built on demand (failure messages).
    """

    __slots__ = ("_hash", "_keys", "_requirement", "_tests", "name", "versions")

    conflict = False

    def __init__(self, name: str, versions: list[Version]) -> None:
        self.name = name
        self.versions = versions
        self._keys = frozenset(v.sort_key() for v in versions)
        self._hash = hash((name, self._keys))
        self._requirement: Requirement | None = None
        self._tests: dict[Requirement, bool] = {}

    @property
    def requirement(self) -> Requirement:
        """The same request as a :class:`Requirement` (``python==2.6.0|==2.6.8``)."""
        if self._requirement is None:
            self._requirement = make_requirement(self.name, range_from_versions(self.versions))
        return self._requirement

    def is_conflicted_by(self, req: Requirement) -> bool:
        """Return rez's ``req.conflicts_with(self)`` for a requirement on this family."""
        found = self._tests.get(req)
        if found is None:
            found = self._tests[req] = self._is_conflicted_by(req)
        return found

    def _is_conflicted_by(self, req: Requirement) -> bool:
        range_ = req.range
        if range_ is None:
            return False
        contains = range_.contains_version
        if req.conflict:
            # rez: req.range.issuperset(scope range), i.e. every version is forbidden.
            return all(contains(v) for v in self.versions)
        # rez: not req.range.intersects(scope range), i.e. no version is allowed.
        return not any(contains(v) for v in self.versions)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScopeRequest):
            return NotImplemented
        return self.name == other.name and self._keys == other._keys

    def __str__(self) -> str:
        return str(self.requirement)


class Slice:
    """A family's remaining variants (rez ``_PackageVariantSlice``)."""

    __slots__ = (
        "_by_names",
        "_common_fams",
        "_distinct",
        "_fam_requires",
        "_inherited",
        "_len",
        "_range",
        "_request",
        "been_intersected_with",
        "been_reduced_by",
        "entries",
        "extracted_fams",
        "family",
        "solve",
        "sorted",
    )

    def __init__(self, family: str, entries: list[PackageEntry], solve: SliceSource) -> None:
        self.family = family
        self.entries = entries
        self.solve = solve
        self.extracted_fams: frozenset[str] = frozenset()
        # rez's "optimised" memos; they only ever skip operations that would change nothing.
        self.been_reduced_by: set[Requirement | ScopeRequest] = set()
        self.been_intersected_with: set[VersionRange] = set()
        self.sorted = False
        self._len: int | None = None
        self._range: VersionRange | None = None
        self._request: ScopeRequest | None = None
        self._fam_requires: frozenset[str] | None = None
        self._common_fams: frozenset[str] | None = None
        self._distinct: dict[str, dict[Requirement, None]] | None = None
        # The parent slice's distinct requirements: supersets of this slice's.
        self._inherited: dict[str, dict[Requirement, None]] | None = None
        self._by_names: list[dict[str, Requirement]] | None = None

    # -- derived data ---------------------------------------------------------------------

    @property
    def range_(self) -> VersionRange:
        """``==v1|==v2|...`` over the versions in the slice."""
        if self._range is None:
            self._range = range_from_versions(e.version for e in self.entries)
        return self._range

    @property
    def request(self) -> ScopeRequest:
        """The scope request over the versions in the slice."""
        if self._request is None:
            self._request = ScopeRequest(self.family, [e.version for e in self.entries])
        return self._request

    @property
    def fam_requires(self) -> frozenset[str]:
        """Every family any variant requires (conflict requirements included)."""
        if self._fam_requires is None:
            self._update_fam_info()
        assert self._fam_requires is not None  # noqa: S101 - set by _update_fam_info
        return self._fam_requires

    @property
    def common_fams(self) -> frozenset[str]:
        """Families every variant requires (non-conflict)."""
        if self._common_fams is None:
            self._update_fam_info()
        assert self._common_fams is not None  # noqa: S101 - set by _update_fam_info
        return self._common_fams

    @property
    def extractable(self) -> bool:
        """Whether a common family is still to be extracted."""
        return not self.extracted_fams.issuperset(self.common_fams)

    @property
    def first_variant(self) -> Variant:
        """The preferred variant of the first entry (sorting that entry, as rez does)."""
        entry = self.entries[0]
        entry.sort()
        return entry.variants[0]

    def iter_variants(self) -> Iterator[Variant]:
        """Yield every variant, entry by entry."""
        for entry in self.entries:
            yield from entry.variants

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(len(e.variants) for e in self.entries)
        return self._len

    def _update_fam_info(self) -> None:
        first = self.first_variant  # sorts entry 0, as rez does
        if len(self.entries) == 1 and len(self.entries[0].variants) == 1:
            reqs = first.requires_list  # one variant: the usual slice after a split
            self._common_fams = reqs.names
            self._fam_requires = reqs.all_names
        else:
            reqlists = [v.requires_list for e in self.entries for v in e.variants]
            self._by_names = [r.by_name for r in reqlists]
            self._common_fams = first.request_fams.intersection(*[r.names for r in reqlists])
            self._fam_requires = frozenset().union(*[r.all_names for r in reqlists])
        self._distinct = {}
        self.solve.register_requirer(self.family, self._fam_requires)

    def distinct_requirements(self, name: str) -> dict[Requirement, None]:
        """Return the variants' distinct requirements on ``name``, in first-seen order.

        Extraction and reduction test each distinct requirement once instead of every variant.
        """
        if self._distinct is None:
            self._update_fam_info()
        assert self._distinct is not None  # noqa: S101 - set by _update_fam_info
        found = self._distinct.get(name)
        if found is None and self._inherited is not None:
            # A parent's single requirement on name is also this slice's: every variant
            # here is one of the parent's, and this slice requires name at all when asked.
            inherited = self._inherited.get(name)
            if inherited is not None and len(inherited) == 1:
                found = self._distinct[name] = inherited
        if found is None:
            if self._by_names is None:
                self._by_names = [v.requires_list.by_name for e in self.entries for v in e.variants]
            # map + methodcaller run in C: this is the solver's hottest loop.
            found = dict.fromkeys(map(methodcaller("get", name), self._by_names))
            found.pop(None, None)  # type: ignore[call-overload]
            self._distinct[name] = found
        return found

    # -- operations -----------------------------------------------------------------------

    def intersect(self, range_: VersionRange) -> Slice | None:
        """Drop versions outside ``range_``; ``self`` if unchanged, ``None`` if empty."""
        if range_.is_any() or range_ in self.been_intersected_with:
            return self
        entries = [e for e in self.entries if e.version in range_]
        if not entries:
            return None
        if len(entries) < len(self.entries):
            result = self._copy(entries)
            result.been_intersected_with.add(range_)
            return result
        self.been_intersected_with.add(range_)
        return self

    def reduce_by(
        self, request: Requirement | ScopeRequest
    ) -> tuple[Slice | None, list[Reduction]]:
        """Drop variants whose requirement on ``request``'s family conflicts with it."""
        if request in self.been_reduced_by:
            return self, []
        conflicts_with: Callable[[Requirement], bool]
        if isinstance(request, ScopeRequest):
            conflicts_with = request.is_conflicted_by
        elif request.range is None:
            return self, []
        else:
            other = request

            def conflicts_with(req: Requirement) -> bool:
                return bool(req.conflicts_with(other))

        if request.name not in self.fam_requires:
            return self, []
        name = request.name
        inherited = self._inherited.get(name) if self._inherited is not None else None
        if inherited is not None and not any(conflicts_with(r) for r in inherited):
            # None of the parent's requirements on name conflicts: none of ours can.
            self.been_reduced_by.add(request)
            return self, []
        tests = {req: conflicts_with(req) for req in self.distinct_requirements(name)}
        if not any(tests.values()):
            self.been_reduced_by.add(request)
            return self, []
        entries: list[PackageEntry] = []
        reductions: list[Reduction] = []
        for entry in self.entries:
            kept: list[Variant] = []
            for variant in entry.variants:
                req = variant.get(name)
                if req is not None and tests[req]:
                    reductions.append(
                        Reduction(
                            name=variant.name,
                            version=variant.version,
                            variant_index=variant.index,
                            dependency=req,
                            conflicting_request=request,
                        )
                    )
                    continue
                kept.append(variant)
            if len(kept) < len(entry.variants):
                if not kept:
                    continue
                entry = type(entry)(entry.package, entry.version, kept, entry.sort_key)  # noqa: PLW2901
            entries.append(entry)
        if not entries:
            return None, reductions
        result = self._copy(entries)
        result.been_reduced_by.add(request)
        return result, reductions

    def extract_all(self) -> tuple[Slice, list[Requirement]]:
        """Extract every common family not yet extracted, alphabetically.

        rez extracts one family at a time until none is left; the requirements, their order
        and the final slice are the same, without the intermediate copies.
        """
        if not self.extractable:
            return self, []
        fams = sorted(self.common_fams - self.extracted_fams)
        requests = [self._extraction(fam) for fam in fams]
        result = self._clone()
        result.extracted_fams = self.extracted_fams.union(fams)
        return result, requests

    def _extraction(self, fam: str) -> Requirement:
        # Common families come from non-conflict requirements: their ranges are never None.
        ranges = frozenset(r.range for r in self.distinct_requirements(fam) if r.range is not None)
        # rez re-extracts every common family from every narrowed slice: the same few
        # (family, ranges) come back phase after phase, so the built requirement is memoised.
        cache = self.solve.extraction_cache
        key = (fam, ranges)
        request = cache.get(key)
        if request is None:
            ordered = list(ranges)
            union = ordered[0]
            for other in ordered[1:]:
                union = union | other
            request = cache[key] = make_requirement(fam, union)
        return request

    def _clone(self) -> Slice:
        # A shallow copy sharing caches, like rez's copy.copy of a slice.
        result = Slice.__new__(Slice)
        result.family = self.family
        result.entries = self.entries
        result.solve = self.solve
        result.extracted_fams = self.extracted_fams
        result.been_reduced_by = self.been_reduced_by
        result.been_intersected_with = self.been_intersected_with
        result.sorted = self.sorted
        result._len = self._len
        result._range = self._range
        result._request = self._request
        result._fam_requires = self._fam_requires
        result._common_fams = self._common_fams
        result._distinct = self._distinct
        result._inherited = self._inherited
        result._by_names = self._by_names
        return result

    def split(self) -> tuple[Slice, Slice]:
        """Split into (preferred, rest); see spec §4.4."""
        self.sort_versions()
        fams: frozenset[str] | None = None
        if len(self) > 2:
            fams = self.first_variant.request_fams - self.extracted_fams
        if not fams:
            self.entries[0].sort()
            return self._split_at(0, 1)
        prev: tuple[int, int] | None = None
        for i, entry in enumerate(self.entries):
            entry.sort()
            for j, variant in enumerate(entry.variants):
                fams = fams & variant.request_fams
                if not fams:
                    assert prev is not None  # noqa: S101 - the first variant shares its fams
                    return self._split_at(*prev)
                prev = (i, j + 1)
        msg = f"Unexpected solver error: common family(s) still in slice being split: {self}"
        raise ResolveError(msg)

    def _split_at(self, i_entry: int, n_variants: int) -> tuple[Slice, Slice]:
        parts = self.entries[i_entry].split(n_variants)
        if parts:
            entries = [*self.entries[:i_entry], parts[0]]
            rest = [parts[1], *self.entries[i_entry + 1 :]]
        else:
            entries = self.entries[: i_entry + 1]
            rest = self.entries[i_entry + 1 :]
        return self._copy(entries), self._copy(rest)

    def sort_versions(self) -> None:
        """Sort entries by the family's orderer, preferred first (stable)."""
        if self.sorted:
            return
        self.entries = sorted(self.entries, key=self.solve.version_key(self.family), reverse=True)
        self.sorted = True

    def _copy(self, entries: list[PackageEntry]) -> Slice:
        result = Slice(self.family, entries, self.solve)
        result._inherited = self._distinct or self._inherited
        result.sorted = self.sorted
        result.been_reduced_by = self.been_reduced_by.copy()
        result.been_intersected_with = self.been_intersected_with.copy()
        return result

    def __str__(self) -> str:
        nvariants = len(self)
        nversions = len(self.entries)
        if nvariants == 1:
            variant = self.first_variant
            idx = "" if variant.index is None else f"[{variant.index}]"
            text = f"[{self.family}=={variant.version}{idx}]"
        elif nversions == 1:
            entry = self.entries[0]
            indexes = ",".join(str(v.index) for v in sorted(entry.variants, key=_index))
            text = f"[{self.family}=={entry.version}[{indexes}]]"
        else:
            count = str(nvariants) if nversions == nvariants else f"{nversions}:{nvariants}"
            text = f"{self.family}[{self.range_.span()}({count})]"
        return text + ("*" if self.extractable else "")


def _index(variant: Variant) -> int:
    return -1 if variant.index is None else variant.index


class Scope:
    """What one family may resolve to (rez ``_PackageScope``)."""

    __slots__ = ("_solved", "is_conflict", "is_ephemeral", "package_name", "request", "slice_")

    def __init__(self, request: Requirement, solve: SliceSource) -> None:
        self.package_name = request.name
        self.is_ephemeral = request.name.startswith(".")
        self.slice_: Slice | None = None
        self.request = request
        self.is_conflict = bool(request.conflict)
        self._solved: bool | None = None
        if request.conflict or self.is_ephemeral or request.range is None:
            # Only a weak request (a conflict) can lack a range.
            return
        slice_ = solve.get_slice(request.name, request.range)
        if slice_ is None:
            req = make_requirement(request.name, request.range)
            msg = f"Package could not be found: {req}"
            raise PackageNotFoundError(msg)
        self.slice_ = slice_

    @property
    def package_request(self) -> Requirement:
        """The scope's request: ``name==v1|==v2`` for a real scope, else its range request."""
        if self.slice_ is not None:
            return self.slice_.request.requirement
        return self.request

    @property
    def reduce_request(self) -> Requirement | ScopeRequest:
        """What other scopes are reduced by (a :class:`ScopeRequest` for a real scope)."""
        if self.slice_ is not None:
            return self.slice_.request
        return self.request

    def _clone(self) -> Scope:
        scope = Scope.__new__(Scope)
        scope.package_name = self.package_name
        scope.is_ephemeral = self.is_ephemeral
        scope.request = self.request
        scope.is_conflict = self.is_conflict
        scope.slice_ = self.slice_
        scope._solved = None
        return scope

    def _with(self, slice_: Slice) -> Scope:
        scope = self._clone()
        scope.slice_ = slice_
        scope.is_conflict = False
        return scope

    def intersect(self, range_: VersionRange, solve: SliceSource) -> Scope | None:
        """Narrow to ``range_``; ``self`` if unchanged, ``None`` if nothing is left."""
        request = self.request
        if self.is_ephemeral:
            if request.range is None:  # ~.foo: forbids nothing
                new_range: VersionRange | None = range_
            elif self.is_conflict:
                new_range = range_ - request.range
            else:
                new_range = range_ & request.range
            if new_range is None:
                return None
            if new_range == request.range:
                return self
            scope = self._clone()
            scope.request = make_requirement(self.package_name, new_range)
            scope.is_conflict = False
            return scope
        new_slice: Slice | None = None
        if self.is_conflict:
            if request.range is None:
                new_slice = solve.get_slice(self.package_name, range_)
            else:
                remaining = range_ - request.range
                if remaining is not None:
                    new_slice = solve.get_slice(self.package_name, remaining)
        else:
            assert self.slice_ is not None  # noqa: S101 - real scopes hold a slice
            new_slice = self.slice_.intersect(range_)
        if new_slice is None:
            return None
        if new_slice is not self.slice_:
            return self._with(new_slice)
        return self

    def reduce_by(
        self, request: Requirement | ScopeRequest
    ) -> tuple[Scope | None, list[Reduction]]:
        """Drop variants conflicting with ``request``; ``self`` if unchanged."""
        if self.is_conflict or self.is_ephemeral:
            return self, []
        assert self.slice_ is not None  # noqa: S101 - real scopes hold a slice
        new_slice, reductions = self.slice_.reduce_by(request)
        if new_slice is None:
            return None, reductions
        if new_slice is not self.slice_:
            return self._with(new_slice), reductions
        return self, []

    def extract_all(self) -> tuple[Scope, list[Requirement]]:
        """Extract every common dependency (rez: ``extract()`` until none is left)."""
        if self.is_conflict or self.is_ephemeral:
            return self, []
        assert self.slice_ is not None  # noqa: S101 - real scopes hold a slice
        new_slice, requests = self.slice_.extract_all()
        if not requests:
            return self, []
        scope = self._clone()
        scope.slice_ = new_slice
        return scope, requests

    def split(self) -> tuple[Scope, Scope] | None:
        """Split a multi-variant scope into (preferred, rest)."""
        if self.is_conflict or self.is_ephemeral:
            return None
        assert self.slice_ is not None  # noqa: S101 - real scopes hold a slice
        if len(self.slice_) == 1:
            return None
        first, rest = self.slice_.split()
        return self._with(first), self._with(rest)

    def is_solved(self) -> bool:
        """Conflict/ephemeral scopes, or one variant with nothing left to extract."""
        solved = self._solved
        if solved is None:
            slice_ = self.slice_
            solved = self._solved = (
                self.is_conflict
                or self.is_ephemeral
                or slice_ is None
                or (len(slice_) == 1 and not slice_.extractable)
            )
        return solved

    def is_splittable(self) -> bool:
        """Whether :meth:`split` would split (a real scope with several variants)."""
        slice_ = self.slice_
        return slice_ is not None and not self.is_conflict and len(slice_) > 1

    def solved_variant(self) -> Variant | None:
        """Return the resolved variant, if this scope is solved to one."""
        slice_ = self.slice_
        if slice_ is not None and len(slice_) == 1 and not slice_.extractable:
            return slice_.first_variant
        return None

    def solved_ephemeral(self) -> Requirement | None:
        """Return the resolved ephemeral range, for a non-conflict ephemeral scope."""
        if self.is_ephemeral and not self.is_conflict:
            return self.request
        return None

    def __str__(self) -> str:
        return str(self.request) if self.slice_ is None else str(self.slice_)
