"""One family's candidates, with sets of its variants held as integer bit masks.

A family's versions are kept highest first. A version is loaded (and passed through the
package filter) the first time a requested range covers it, as rez loads lazily; its
variants then take the next free bit numbers. A set of variants (what a slice of the solver
holds) is one ``int``, and the solver's hot operations become integer operations:

* narrowing to a range is ``mask & range_bits(range)``;
* reducing by another scope is ``mask & ~conflict_bits``, where the conflicting variants are
  found once per *distinct* requirement (a group of variants), not once per variant;
* what a set of variants has in common (the families every variant requires, the union of
  their requirements on one family) is computed once per mask.

Everything here depends only on *which* variants a set holds, never on their order, so it is
shared by every solve of one solver. Order (rez sorts shared lists in place, and a failure
message lists variants in list order) is the slice's business (:mod:`._scope`).

>>> sorted(iter_bits(0b101001))
[0, 3, 5]
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from typing import TYPE_CHECKING

from pkgimport.resolver._algebra import make_requirement, range_from_versions, union_ranges
from pkgimport.resolver._variants import Variant, check_variants

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pkgimport.resolver._algebra import Requirement, Version, VersionRange
    from pkgimport.resolver._variants import ReqList
    from pkgimport.resolver.provider import PackageData

__all__ = ["FamilyCandidates", "MaskInfo", "VariantSet", "iter_bits"]

_KEYS = itertools.count()  # VariantSet.key numbers: unique across families


def iter_bits(mask: int) -> Iterator[int]:
    """Yield the numbers of the set bits of ``mask`` (non-negative), lowest first."""
    text = bin(mask)[:1:-1]  # lowest bit first, without the "0b"
    find = text.find
    pos = find("1")
    while pos != -1:
        yield pos
        pos = find("1", pos + 1)


class MaskInfo:
    """What a set of variants requires, computed once per mask."""

    __slots__ = ("common", "extractions", "fam_requires")

    def __init__(self, common: frozenset[str], fam_requires: frozenset[str]) -> None:
        self.common = common
        """Families every variant requires (non-conflict requirements)."""
        self.fam_requires = fam_requires
        """Every family some variant requires (conflict requirements included)."""
        self.extractions: dict[str, Requirement] = {}
        """Per common family, the union of the variants' requirements on it."""


class VariantSet:
    """One set of a family's variants: a mask, interned (:meth:`FamilyCandidates.set_of`).

    It is also what rez calls a real scope's request, ``name==v1|==v2|...`` over the
    versions it holds: other scopes are reduced by it. Everything known of the set is kept
    on it, so that a solve asking again (and every later solve) only looks it up.
    """

    __slots__ = (
        "_conflicts",
        "_extractions",
        "_info",
        "_key",
        "_requirement",
        "_versions",
        "count",
        "intersections",
        "mask",
        "name",
        "registered",
        "table",
    )

    conflict = False

    def __init__(self, table: FamilyCandidates, mask: int) -> None:
        self.table = table
        self.name = table.family
        self.mask = mask
        self.count = mask.bit_count()
        self._info: MaskInfo | None = None
        self._versions: list[int] | None = None
        self._requirement: Requirement | None = None
        self._key: int | None = None
        self._conflicts: dict[FamilyCandidates, tuple[int, int]] = {}
        self.intersections: dict[VersionRange, VariantSet | None] = {}
        """Memo of :meth:`intersect` (read directly by the hot loop)."""
        self.registered = 0
        """The last solve (serial number) that registered what this set requires."""
        self._extractions: dict[frozenset[str], tuple[list[str], list[Requirement]]] = {}

    @property
    def info(self) -> MaskInfo:
        """What the variants require (none may be in error: see ``has_errors``)."""
        info = self._info
        if info is None:
            info = self._info = self.table.info(self.mask)
        return info

    @property
    def versions(self) -> list[int]:
        """Indexes of the versions held, highest version first."""
        found = self._versions
        if found is None:
            version_of = self.table.version_of
            found = self._versions = sorted({version_of[b] for b in iter_bits(self.mask)})
        return found

    def intersect(self, range_: VersionRange) -> VariantSet | None:
        """Return the variants within ``range_`` (``None``: none)."""
        try:
            return self.intersections[range_]
        except KeyError:
            mask = self.mask & self.table.range_bits(range_)
            found = self if mask == self.mask else self.table.set_of(mask) if mask else None
            self.intersections[range_] = found
            return found

    def extract(self, done: frozenset[str]) -> tuple[list[str], list[Requirement]]:
        """Return the common families not in ``done`` (sorted) and their extractions."""
        found = self._extractions.get(done)
        if found is None:
            info = self.info
            fams = sorted(info.common - done)
            table, mask = self.table, self.mask
            found = self._extractions[done] = (
                fams,
                [table.extraction(mask, info, fam) for fam in fams],
            )
        return found

    def conflict_bits(self, table: FamilyCandidates) -> int:
        """Return the variants of ``table`` whose requirement conflicts with this request."""
        found = self._conflicts.get(table)
        loaded = len(table.variants)
        if found is None or found[0] != loaded:  # more variants loaded: ask again
            found = self._conflicts[table] = (loaded, table.scope_conflict_bits(self))
        return found[1]

    @property
    def requirement(self) -> Requirement:
        """The request as a :class:`Requirement` (``python==2.6.0|==2.6.8``)."""
        if self._requirement is None:
            versions = self.table.versions
            self._requirement = make_requirement(
                self.name, range_from_versions(versions[i][1] for i in self.versions)
            )
        return self._requirement

    @property
    def key(self) -> int:
        """A number for family and versions: what rez's requirement compares equal by.

        Sets holding the same versions (with different variants) share it.
        """
        if self._key is None:
            self._key = self.table.versions_key(self.versions)
        return self._key

    def __str__(self) -> str:
        return str(self.requirement)


class FamilyCandidates:
    """Every version of one family, and what is known of its loaded variants.

    ``version_bits[i]`` is ``None`` for a version not loaded yet, ``0`` for one the package
    filter excludes, else the bits of its variants (consecutive, in variant-index order).
    """

    __slots__ = (
        "_any_bits",
        "_asc_keys",
        "_extractions",
        "_groups",
        "_infos",
        "_pos_bits",
        "_range_bits",
        "_request_conflicts",
        "_sets",
        "_slices",
        "_synced",
        "_version_keys",
        "building",
        "error_bits",
        "errors",
        "excludes",
        "family",
        "load",
        "multi_bits",
        "reqs_cache",
        "variants",
        "version_bits",
        "version_of",
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
        reqs_cache: dict[tuple[str, ...], ReqList] | None = None,
    ) -> None:
        self.family = family
        ordered = sorted(versions, key=lambda tv: tv[1].sort_key(), reverse=True)
        self.versions: list[tuple[str, Version]] = ordered
        self._asc_keys = [v.sort_key() for _, v in reversed(ordered)]
        self.load = load
        self.excludes = excludes
        self.building = building
        self.reqs_cache = reqs_cache
        self.version_bits: list[int | None] = [None] * len(ordered)
        self.variants: list[Variant] = []
        """Loaded variants, by bit number."""
        self.version_of: list[int] = []
        """Version index, by bit number."""
        self.multi_bits = 0
        """Variants of packages that have several (only their order can matter)."""
        self.error_bits = 0
        """Variants whose requirements do not parse or conflict internally."""
        self.errors: dict[int, Exception] = {}
        # Per family required: distinct requirement -> the variants requiring it that way.
        self._groups: dict[str, dict[Requirement, int]] = {}
        self._any_bits: dict[str, int] = {}
        self._pos_bits: dict[str, int] = {}
        self._synced = 0
        self._slices: dict[VersionRange, VariantSet | None] = {}
        self._infos: dict[int, MaskInfo] = {}
        self._sets: dict[int, VariantSet] = {}
        self._version_keys: dict[tuple[int, ...], int] = {}
        self._extractions: dict[tuple[str, VersionRange], Requirement] = {}
        # These depend on which versions are loaded: cleared when more are.
        self._range_bits: dict[VersionRange, int] = {}
        self._request_conflicts: dict[Requirement, int] = {}

    # -- versions ---------------------------------------------------------------------------

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

    def _load(self, i: int) -> int:
        bits = self.version_bits[i]
        if bits is None:
            text, version = self.versions[i]
            package = self.load(self.family, text)
            bits = 0
            if self.excludes is None or not self.excludes(package, version):
                if package.variants:
                    # rez validates all variants when it first lists them (here), before
                    # reading any variant's requirements (which is when requires is).
                    check_variants(package)
                first = len(self.variants)
                indexes = [None] if not package.variants else range(len(package.variants))
                for idx in indexes:
                    variant = Variant(package, version, idx, self.building, self.reqs_cache)
                    self.variants.append(variant)
                    self.version_of.append(i)
                count = len(self.variants) - first
                bits = ((1 << count) - 1) << first
                if count > 1:
                    self.multi_bits |= bits
                self._range_bits.clear()
                self._request_conflicts.clear()
            self.version_bits[i] = bits
        return bits

    def slice_of(self, range_: VersionRange) -> VariantSet | None:
        """Return the variants within ``range_``, loading and filtering versions first seen."""
        try:
            return self._slices[range_]
        except KeyError:
            bits = 0
            for i in self.matching(range_):
                bits |= self._load(i)
            found = self._slices[range_] = self.set_of(bits) if bits else None
            return found

    def range_bits(self, range_: VersionRange) -> int:
        """Return the *loaded* variants within ``range_`` (nothing is loaded)."""
        bits = self._range_bits.get(range_)
        if bits is None:
            bits = 0
            version_bits = self.version_bits
            for i in self.matching(range_):
                found = version_bits[i]
                if found:
                    bits |= found
            self._range_bits[range_] = bits
        return bits

    def versions_key(self, versions: list[int]) -> int:
        """Return the number standing for this family's ``versions`` (see VariantSet.key)."""
        found = self._version_keys.get(tuple(versions))
        if found is None:
            found = self._version_keys[tuple(versions)] = next(_KEYS)
        return found

    def set_of(self, mask: int) -> VariantSet:
        """Return the (interned) set of the variants in ``mask``."""
        found = self._sets.get(mask)
        if found is None:
            found = self._sets[mask] = VariantSet(self, mask)
        return found

    # -- requirements -----------------------------------------------------------------------

    def _sync(self) -> None:
        # Group the variants loaded since the last call by their requirement on each family.
        # Variants sharing a requirement list (most versions of a family) are added at once.
        variants = self.variants
        shared: dict[int, tuple[ReqList, int]] = {}
        for bit in range(self._synced, len(variants)):
            flag = 1 << bit
            try:
                reqs = variants[bit].requires_list
            except Exception as exc:  # noqa: BLE001 - raised when rez would parse it
                self.error_bits |= flag
                self.errors[bit] = exc
                continue
            found = shared.get(id(reqs))
            shared[id(reqs)] = (reqs, flag if found is None else found[1] | flag)
        self._synced = len(variants)
        groups, any_bits, pos_bits = self._groups, self._any_bits, self._pos_bits
        for reqs, bits in shared.values():
            for name, req in reqs.by_name.items():
                group = groups.get(name)
                if group is None:
                    group = groups[name] = {}
                group[req] = group.get(req, 0) | bits
                any_bits[name] = any_bits.get(name, 0) | bits
                if not req.conflict:
                    pos_bits[name] = pos_bits.get(name, 0) | bits

    def has_errors(self, mask: int) -> bool:
        """Whether a variant of ``mask`` fails to parse (see :attr:`errors`)."""
        if self._synced < len(self.variants):
            self._sync()
        return bool(mask & self.error_bits)

    def info(self, mask: int) -> MaskInfo:
        """Return what the variants of ``mask`` (none of them in error) require."""
        info = self._infos.get(mask)
        if info is None:
            if self._synced < len(self.variants):
                self._sync()
            variants = self.variants
            if mask.bit_count() <= 2:
                reqlists = [variants[b].requires_list for b in iter_bits(mask)]
                common = reqlists[0].names.intersection(*[r.names for r in reqlists[1:]])
                fam_requires = frozenset().union(*[r.all_names for r in reqlists])
            else:
                first = variants[(mask & -mask).bit_length() - 1].requires_list
                pos_bits = self._pos_bits
                common = frozenset(n for n in first.names if mask & pos_bits[n] == mask)
                fam_requires = frozenset(n for n, b in self._any_bits.items() if mask & b)
            info = self._infos[mask] = MaskInfo(common, fam_requires)
        return info

    def extraction(self, mask: int, info: MaskInfo, family: str) -> Requirement:
        """Return the union of the requirements on common ``family`` of ``mask``'s variants."""
        request = info.extractions.get(family)
        if request is None:
            ranges = list(
                {r.range for r, bits in self._groups[family].items() if bits & mask and r.range}
            )
            union = union_ranges(ranges)
            # One object per distinct extraction: merges are memoised by identity.
            key = (family, union)
            request = self._extractions.get(key)
            if request is None:
                request = self._extractions[key] = make_requirement(family, union)
            info.extractions[family] = request
        return request

    def scope_conflict_bits(self, other: VariantSet) -> int:
        """Return the variants whose requirement conflicts with a scope's set ``other``.

        rez tests ``req.conflicts_with(scope request)``, the scope request being ``==v1|==v2``
        over the scope's versions: a conflict requirement conflicts when it forbids every
        version, a plain one when it allows none. (Cached by ``other``.)
        """
        if self._synced < len(self.variants):
            self._sync()
        table, mask = other.table, other.mask
        bits = 0
        for req, group in self._groups.get(other.name, {}).items():
            range_ = req.range
            if range_ is None:
                continue
            inside = mask & table.range_bits(range_)
            if (inside == mask) if req.conflict else not inside:
                bits |= group
        return bits

    def request_conflict_bits(self, request: Requirement) -> int:
        """Return the variants whose requirement on ``request``'s family conflicts with it."""
        bits = self._request_conflicts.get(request)
        if bits is None:
            if self._synced < len(self.variants):
                self._sync()
            bits = 0
            for req, group in self._groups.get(request.name, {}).items():
                if req.conflicts_with(request):
                    bits |= group
            self._request_conflicts[request] = bits
        return bits
