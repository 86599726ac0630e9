"""Slices: the remaining variants of one family within a phase (rez ``_PackageVariantSlice``).

A slice holds a :class:`~._family.VariantSet` (one bit per variant in an ``int``) and the
little that depends on the solve: which families were extracted, and order. Slices are
treated as immutable: every narrowing returns a new object, and unchanged operations return
``self`` (the phase loop relies on identity to detect change).

Order is kept exactly as rez keeps it: a slice lists its versions highest first until it is
first split (then in the orderer's order), and each version's variants sit in a list that
rez shares between slices and sorts in place when it wants the preferred one. That list's
state (index order or sorted) shows in the order a failure lists its reductions, so a slice
remembers it per version (:class:`VariantList`) for the versions that have several variants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pkgimport.errors import ResolveError
from pkgimport.resolver._failures import Reduction
from pkgimport.resolver._family import VariantSet, iter_bits

if TYPE_CHECKING:
    from collections.abc import Callable

    from pkgimport.resolver._algebra import Requirement, Version, VersionRange
    from pkgimport.resolver._family import MaskInfo
    from pkgimport.resolver._variants import Variant

__all__ = ["ScopeRequest", "Slice", "SliceSource", "VariantList"]


class SliceSource(Protocol):
    """What slices need from the solve: candidates, list states, sort keys, requirers."""

    def get_slice(self, family: str, range_: VersionRange) -> Slice | None:
        """Return the family's variants within ``range_`` (``None`` if there are none)."""
        ...

    def shared_list(self, family: str, index: int) -> VariantList:
        """Return the solve's shared variant list of ``family``'s version ``index``."""
        ...

    def variant_key(self, variant: Variant) -> Any:
        """Return rez's sort key of a variant within its package (largest preferred)."""
        ...

    def version_key(self, family: str) -> Callable[[Version], Any] | None:
        """Return the orderer's version key for ``family`` (``None``: highest first)."""
        ...

    @property
    def requirers(self) -> dict[str, set[str]]:
        """``family -> families whose variants (seen so far) require it``."""
        ...

    @property
    def serial(self) -> int:
        """A number telling this solve from the solver's other solves."""
        ...

    def register_requirer(self, family: str, required: frozenset[str]) -> None:
        """Record that variants of ``family`` require the ``required`` families."""
        ...


class VariantList:
    """The state of one of rez's per-version variant lists: index order, or sorted.

    rez gives every slice of a solve the same list object per package, sorts it in place
    when it wants the preferred variant, and copies it (keeping its order) when a reduction
    drops some of its variants. Only lists of two or more variants are tracked.
    """

    __slots__ = ("sorted",)

    def __init__(self, sorted_: bool = False) -> None:
        self.sorted = sorted_


ScopeRequest = VariantSet
"""A real scope's request, ``name==v1|==v2|...``: the set of variants its slice holds."""


_UNKNOWN: Any = object()


def _memo_key(request: Requirement | VariantSet) -> object:
    return request.key if isinstance(request, VariantSet) else request


class Slice:
    """A family's remaining variants (rez ``_PackageVariantSlice``)."""

    __slots__ = (
        "_info",
        "_len",
        "extracted_fams",
        "family",
        "lists",
        "mask",
        "reduced_by",
        "solve",
        "sorted",
        "table",
        "variants",
    )

    def __init__(
        self,
        variants: VariantSet,
        solve: SliceSource,
        *,
        sorted_: bool = False,
        lists: dict[int, VariantList] | None = None,
        reduced_by: set[object] | None = None,
    ) -> None:
        self.variants = variants
        self.family = variants.name
        self.table = table = variants.table
        self.mask = mask = variants.mask
        self.solve = solve
        self.extracted_fams: frozenset[str] = frozenset()
        self.sorted = sorted_
        """Whether the versions are in the orderer's order (set by the first split)."""
        self.lists = lists
        """Per version index, the variant list when it is not the solve's shared one."""
        # rez's "been reduced by" memo; it only skips reductions that change nothing, but
        # skipping them also skips when the slice first sorts its preferred version's list.
        # That only matters for packages with several variants: kept only for those.
        self.reduced_by = reduced_by
        if reduced_by is None and mask & table.multi_bits:
            self.reduced_by = set()
        self._info: MaskInfo | None = None
        self._len = variants.count

    def _derive(self, variants: VariantSet, lists: dict[int, VariantList] | None) -> Slice:
        # A narrowed copy: rez's _copy (extractions start again, memos are copied).
        reduced_by = self.reduced_by
        return Slice(
            variants,
            self.solve,
            sorted_=self.sorted,
            lists=lists,
            reduced_by=None if reduced_by is None else reduced_by.copy(),
        )

    def _clone(self) -> Slice:
        # A shallow copy sharing caches and memos, like rez's copy.copy of a slice.
        result = Slice.__new__(Slice)
        result.variants = self.variants
        result.family = self.family
        result.table = self.table
        result.mask = self.mask
        result.solve = self.solve
        result.extracted_fams = self.extracted_fams
        result.sorted = self.sorted
        result.lists = self.lists
        result.reduced_by = self.reduced_by
        result._info = self._info
        result._len = self._len
        return result

    # -- derived data ---------------------------------------------------------------------

    @property
    def info(self) -> MaskInfo:
        """What the variants require (computed as rez does: preferred version sorted first)."""
        info = self._info
        if info is None:
            variants = self.variants
            info = variants._info
            if info is None:
                if self.table.has_errors(self.mask):
                    raise self._first_error()
                info = variants.info
            if self.mask & self.table.multi_bits:
                self._sort_first()
            self._info = info
            solve = self.solve
            if variants.registered != solve.serial:
                variants.registered = solve.serial
                solve.register_requirer(self.family, info.fam_requires)
        return info

    @property
    def range_(self) -> VersionRange:
        """``==v1|==v2|...`` over the versions in the slice."""
        return self.request.requirement.range  # type: ignore[return-value]

    @property
    def request(self) -> ScopeRequest:
        """The scope request over the versions in the slice."""
        return self.variants

    @property
    def fam_requires(self) -> frozenset[str]:
        """Every family any variant requires (conflict requirements included)."""
        return self.info.fam_requires

    @property
    def extractable(self) -> bool:
        """Whether a common family is still to be extracted."""
        return not self.extracted_fams.issuperset(self.info.common)

    def order(self) -> list[int]:
        """Return the slice's version indexes in its current order (rez's entry order)."""
        versions = self.variants.versions
        if self.sorted:
            key = self.solve.version_key(self.family)
            if key is not None:
                table_versions = self.table.versions
                versions = sorted(versions, key=lambda i: key(table_versions[i][1]), reverse=True)
        return versions

    def _entry(self, index: int, *, sort: bool = False) -> list[int]:
        # The bits of version index's variants, in its list's order (sorting it if asked).
        mask = self.table.version_bits[index] & self.mask  # type: ignore[operator]
        if not mask & (mask - 1):  # one variant (the usual case)
            return [mask.bit_length() - 1]
        bits = list(iter_bits(mask))
        state = self.lists.get(index) if self.lists is not None else None
        if state is None:
            state = self.solve.shared_list(self.family, index)
        if sort:
            state.sorted = True
        if state.sorted:
            variants = self.table.variants
            key = self.solve.variant_key
            bits.sort(key=lambda b: key(variants[b]), reverse=True)
        return bits

    def _sort_first(self) -> None:
        # rez sorts the first version's list in place (marking it is enough: no one looks yet).
        index = self.order()[0]
        bits = self.table.version_bits[index] & self.mask  # type: ignore[operator]
        if bits & (bits - 1):
            state = self.lists.get(index) if self.lists is not None else None
            if state is None:
                state = self.solve.shared_list(self.family, index)
            state.sorted = True

    @property
    def first_variant(self) -> Variant:
        """The preferred variant of the first version (sorting its list, as rez does)."""
        if self._len == 1:
            return self.table.variants[self.mask.bit_length() - 1]
        return self.table.variants[self._entry(self.order()[0], sort=True)[0]]

    def __len__(self) -> int:
        return self._len

    def _first_error(self) -> Exception:
        # rez parses the first version's variants (sorting them), then all in order.
        table = self.table
        order = self.order()
        for index in order[:1] + order:
            for bit in self._entry(index):
                if bit in table.errors:
                    return table.errors[bit]
        msg = f"no variant of {self.family} failed to parse"  # pragma: no cover - caller checks
        raise AssertionError(msg)  # pragma: no cover

    # -- operations -----------------------------------------------------------------------

    def intersect(self, range_: VersionRange) -> Slice | None:
        """Drop versions outside ``range_``; ``self`` if unchanged, ``None`` if empty."""
        variants = self.variants.intersections.get(range_, _UNKNOWN)
        if variants is _UNKNOWN:
            variants = self.variants.intersect(range_)
        if variants is self.variants:
            return self
        if variants is None:
            return None
        return self._derive(variants, self.lists)

    def reduce_by(
        self, request: Requirement | ScopeRequest
    ) -> tuple[Slice | None, list[Reduction]]:
        """Drop variants whose requirement on ``request``'s family conflicts with it.

        The reductions are listed only when nothing is left (the phase then fails with them).
        """
        memo = self.reduced_by
        if memo is not None and _memo_key(request) in memo:
            return self, []
        if isinstance(request, VariantSet):
            if request.name not in (self._info or self.info).fam_requires:
                return self, []
            conflicts = request.conflict_bits(self.table)
        else:
            if request.range is None or request.name not in self.info.fam_requires:
                return self, []
            conflicts = self.table.request_conflict_bits(request)
        mask = self.mask
        removed = mask & conflicts
        if not removed:
            if memo is not None:
                memo.add(_memo_key(request))
            return self, []
        kept = mask ^ removed
        if not kept:
            return None, self._reductions(request)
        lists = self.lists
        touched = removed & self.table.multi_bits
        if touched:
            lists = self._copied_lists(touched, kept)
        result = self._derive(self.table.set_of(kept), lists)
        if result.reduced_by is not None:
            result.reduced_by.add(_memo_key(request))
        return result, []

    def _copied_lists(self, removed: int, kept: int) -> dict[int, VariantList] | None:
        # rez copies a version's list (in its current order) when a reduction drops some of
        # its variants; only lists still holding two or more are worth tracking.
        table = self.table
        lists = dict(self.lists) if self.lists is not None else {}
        for index in {table.version_of[b] for b in iter_bits(removed)}:
            left = table.version_bits[index] & kept  # type: ignore[operator]
            if left & (left - 1):
                state = lists.get(index) or self.solve.shared_list(self.family, index)
                lists[index] = VariantList(state.sorted)
        return lists or None

    def _reductions(self, request: Requirement | ScopeRequest) -> list[Reduction]:
        variants = self.table.variants
        reductions: list[Reduction] = []
        for index in self.order():
            for bit in self._entry(index):
                variant = variants[bit]
                dependency = variant.get(request.name)
                assert dependency is not None  # noqa: S101 - it conflicted with request
                reductions.append(
                    Reduction(
                        name=variant.name,
                        version=variant.version,
                        variant_index=variant.index,
                        dependency=dependency,
                        conflicting_request=request,
                    )
                )
        return reductions

    def extract_all(self) -> tuple[Slice, list[Requirement]]:
        """Extract every common family not yet extracted, alphabetically.

        rez extracts one family at a time until none is left; the requirements, their order
        and the final slice are the same, without the intermediate copies.
        """
        info = self._info or self.info
        if self.extracted_fams.issuperset(info.common):
            return self, []
        fams, requests = self.variants.extract(self.extracted_fams)
        result = self._clone()
        result.extracted_fams = self.extracted_fams.union(fams)
        return result, requests

    def split(self) -> tuple[Slice, Slice]:
        """Split into (preferred, rest); see spec §4.4."""
        self.sorted = True
        order = self.order()
        fams: frozenset[str] | None = None
        if self._len > 2:
            fams = self.first_variant.request_fams - self.extracted_fams
        if not fams:
            return self._split_at(order, 0, self._entry(order[0], sort=True), 1)
        variants = self.table.variants
        prev: tuple[int, list[int], int] | None = None
        for pos, index in enumerate(order):
            bits = self._entry(index, sort=True)
            for j, bit in enumerate(bits):
                fams = fams & variants[bit].request_fams
                if not fams:
                    assert prev is not None  # noqa: S101 - the first variant shares its fams
                    return self._split_at(order, *prev)
                prev = (pos, bits, j + 1)
        msg = f"Unexpected solver error: common family(s) still in slice being split: {self}"
        raise ResolveError(msg)

    def _split_at(
        self, order: list[int], pos: int, bits: list[int], count: int
    ) -> tuple[Slice, Slice]:
        # The first versions up to order[pos], and the first `count` (sorted) variants of it.
        version_bits = self.table.version_bits
        mask = self.mask
        head = 0
        for index in order[:pos]:
            head |= version_bits[index]  # type: ignore[operator]
        head &= mask
        first_lists = rest_lists = self.lists
        if count < len(bits):
            for bit in bits[:count]:
                head |= 1 << bit
            # rez splits the (sorted) list in two new lists.
            index = order[pos]
            if count > 1:
                first_lists = {**(first_lists or {}), index: VariantList(sorted_=True)}
            if len(bits) - count > 1:
                rest_lists = {**(rest_lists or {}), index: VariantList(sorted_=True)}
        else:
            head |= version_bits[order[pos]] & mask  # type: ignore[operator]
        table = self.table
        return (
            self._derive(table.set_of(head), first_lists),
            self._derive(table.set_of(mask ^ head), rest_lists),
        )

    def __str__(self) -> str:
        nvariants = self._len
        versions = self.variants.versions
        nversions = len(versions)
        if nvariants == 1:
            variant = self.first_variant
            idx = "" if variant.index is None else f"[{variant.index}]"
            text = f"[{self.family}=={variant.version}{idx}]"
        elif nversions == 1:
            variants = self.table.variants
            entry = [variants[b] for b in self._entry(versions[0])]
            indexes = ",".join(str(v.index) for v in sorted(entry, key=_index))
            text = f"[{self.family}=={entry[0].version}[{indexes}]]"
        else:
            count = str(nvariants) if nversions == nvariants else f"{nversions}:{nvariants}"
            text = f"{self.family}[{self.range_.span()}({count})]"
        return text + ("*" if self.extractable else "")


def _index(variant: Variant) -> int:
    return -1 if variant.index is None else variant.index
