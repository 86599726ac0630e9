"""rez versions and version ranges, with rez 3.4's exact semantics and fast comparisons.

Public API (stable):

* :class:`Version` - ``Version("1.2.3")``; immutable, hashable, totally ordered exactly like
  ``rez.version.Version``. ``tokens``, ``seps``, ``next()``, ``trim(n)``, ``sort_key()``,
  ``major/minor/patch``, ``len()``, ``v[i]``, ``bool()`` (False for the empty version).
  ``Version.inf`` is rez's internal "infinity" (the ``next()`` of the empty version).
* :class:`VersionRange` - ``VersionRange("1+<2|3")``; immutable, hashable. ``is_any()``,
  ``contains_version(v)`` / ``v in r``, ``r1 in r2`` (superset), ``&`` / ``intersection``
  (None when empty), ``|`` / ``union``, ``~`` / ``inverse()`` (None for Any), ``-``,
  ``issuperset``, ``issubset``, ``intersects``, ``span()``, ``split()``, ``to_versions()``,
  ``bounded()`` / ``lower_bounded()`` / ``upper_bounded()``, ``bounds`` (tuple of
  :class:`Bound`), classmethods ``from_versions``, ``from_version(v, op)``, ``as_span``.
  ``str()`` is rez's canonical form.
* :class:`Bound`, :class:`LowerBound`, :class:`UpperBound` - read-only views of a range's
  contiguous pieces (``bound.lower.version``, ``bound.upper.inclusive``, ...).

The implementation lives in the private modules ``_version`` (the comparison key) and
``_bounds`` (bounds and rez's algorithms over them); import everything from here.

Both classes cache parsed instances, so ``Version("1.0")`` twice returns the same object.
Errors are :class:`pkgimport.errors.InvalidVersion`, raised for exactly the inputs rez rejects.

>>> Version("1.0") < Version("1.0.0") < Version("1.0.1")
True
>>> str(VersionRange(">=1,<2|1.5"))
'1+<2'
>>> Version("1.9") in VersionRange("1+<2")
True
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import groupby
from typing import TYPE_CHECKING, ClassVar, final

from pkgimport.errors import InvalidVersion
from pkgimport.resolver._bounds import (
    ANY_BOUND,
    MAX,
    MIN,
    Bound,
    LowerBound,
    UpperBound,
    intersect_bounds,
    inverse_bounds,
    union_bounds,
)
from pkgimport.resolver._parser import RangeSyntaxError, parse_range_part
from pkgimport.resolver._version import CACHE_LIMIT, Immutable, Version, VersionKey

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Bound", "LowerBound", "UpperBound", "Version", "VersionKey", "VersionRange"]


def __dir__() -> list[str]:
    return list(__all__)


_LINEAR_SCAN_MAX = 8
_ANY_SPANS = ((ANY_BOUND.low, ANY_BOUND.high),)


@final
class VersionRange(Immutable):
    """A set of versions: one or more contiguous :class:`Bound` pieces, sorted and merged.

    :param s: rez range syntax (``""`` = any, ``1``, ``==1``, ``1+``, ``>1``, ``<2``, ``1..2``,
        ``1+<2``, ``<=4,>2``, ``a|b``).
    :raises InvalidVersion: bad syntax or an empty bound (``2+<1``), exactly where rez raises.

    >>> r = VersionRange("3+<6|4+<8")
    >>> str(r), Version("7.1") in r, str(~r)
    ('3+<8', True, '<3|8+')
    """

    __slots__ = ("_hash", "_inverse", "_lows", "_many", "_spans", "_str", "bounds")

    bounds: tuple[Bound, ...]
    """The contiguous pieces, ascending."""
    _spans: tuple[tuple[VersionKey, VersionKey], ...]
    _many: bool
    _lows: tuple[VersionKey, ...]  # only filled when _many
    # Lazy: unset until first use.
    _hash: int
    _str: str
    _inverse: VersionRange
    _cache: ClassVar[dict[str, VersionRange]] = {}

    def __new__(cls, s: str = "") -> VersionRange:
        """Parse *s*, or return the cached instance for it."""
        cached = cls._cache.get(s)
        if cached is not None:
            return cached
        self = cls._from_bounds(cls._parse_bounds(s))
        if len(cls._cache) >= CACHE_LIMIT:
            cls._cache.clear()
        cls._cache[s] = self
        return self

    @classmethod
    def parse(cls, s: str) -> VersionRange:
        """Return the (cached) range for *s*; the same as ``VersionRange(s)``."""
        return cls(s)

    @staticmethod
    def _parse_bounds(s: str) -> list[Bound]:
        bounds: list[Bound] = []
        is_any = False
        for part in s.split("|"):
            if not part:
                # "" is the any range, and so is anything OR'ed with it; the other parts are
                # still checked for syntax (but no longer for valid bounds), like rez.
                is_any = True
                bounds = []
                continue
            try:
                spec = parse_range_part(part)
            except RangeSyntaxError as exc:
                raise InvalidVersion(f"invalid version range {s!r}: {exc}") from None
            if is_any or spec is None:
                continue
            try:
                lower = LowerBound(Version(spec.lower), spec.lower_inclusive)
                upper = (
                    MAX
                    if spec.upper is None
                    else UpperBound(Version(spec.upper), spec.upper_inclusive)
                )
                bounds.append(Bound(lower, upper))
            except InvalidVersion as exc:
                raise InvalidVersion(f"invalid version range {s!r}: {exc}") from None
        return union_bounds(bounds) if bounds else [ANY_BOUND]

    @classmethod
    def _from_bounds(cls, bounds: Iterable[Bound]) -> VersionRange:
        # Ranges are built on every &, |, - and ~ the solver does: set only what containment
        # needs; _str, _hash and _inverse are filled in on first use.
        self = object.__new__(cls)
        bounds = tuple(bounds)
        spans = tuple([(b.low, b.high) for b in bounds])
        set_ = object.__setattr__
        set_(self, "bounds", bounds)
        set_(self, "_spans", spans)
        # Past a few bounds (scope ranges "==1|==2|..."), binary search beats a linear scan.
        many = len(spans) > _LINEAR_SCAN_MAX
        set_(self, "_many", many)
        set_(self, "_lows", tuple([low for low, _ in spans]) if many else ())
        return self

    def __reduce__(self) -> tuple[object, ...]:
        # By bounds, not by text: a few ranges rez leaves unmerged ("1..5|>5<=6") would merge
        # when their text is parsed again.
        return (_range_from_bounds, (self.bounds,))

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def from_versions(cls, versions: Iterable[Version]) -> VersionRange:
        """Return the range holding exactly *versions*: ``==1|==2|==5.1``.

        >>> str(VersionRange.from_versions([Version("2"), Version("1"), Version("2")]))
        '==1|==2'
        """
        ordered = sorted(versions, key=Version.sort_key)
        unique = [next(group) for _, group in groupby(ordered, key=Version.sort_key)]
        return cls._from_bounds(
            Bound(LowerBound(v, inclusive=True), UpperBound(v, inclusive=True)) for v in unique
        )

    @classmethod
    def from_version(cls, version: Version, op: str | None = None) -> VersionRange:
        """Return the range ``op version`` (``op`` in ``== eq > gt >= gte < lt <= lte``).

        Without *op*, the "superset" range of *version* (``1.2`` holds ``1.2.5``).

        :raises InvalidVersion: unknown *op*.
        """
        lower, upper = MIN, MAX
        if op is None:
            lower, upper = (
                LowerBound(version, inclusive=True),
                UpperBound(version.next(), inclusive=False),
            )
        elif op in {"eq", "=="}:
            lower, upper = LowerBound(version, inclusive=True), UpperBound(version, inclusive=True)
        elif op in {"gt", ">"}:
            lower = LowerBound(version, inclusive=False)
        elif op in {"gte", ">="}:
            lower = LowerBound(version, inclusive=True)
        elif op in {"lt", "<"}:
            upper = UpperBound(version, inclusive=False)
        elif op in {"lte", "<="}:
            upper = UpperBound(version, inclusive=True)
        else:
            raise InvalidVersion(f"unknown bound operation {op!r}")
        return cls._from_bounds([Bound(lower, upper)])

    @classmethod
    def as_span(
        cls,
        lower_version: Version | None = None,
        upper_version: Version | None = None,
        lower_inclusive: bool = True,
        upper_inclusive: bool = True,
    ) -> VersionRange:
        """Return the single bound ``lower_version..upper_version`` (None = unbounded)."""
        lower = MIN if lower_version is None else LowerBound(lower_version, lower_inclusive)
        upper = MAX if upper_version is None else UpperBound(upper_version, upper_inclusive)
        return cls._from_bounds([Bound(lower, upper)])

    # -- queries ---------------------------------------------------------------------------------

    def is_any(self) -> bool:
        """Tell whether this is the any range ``""`` (every version, including the empty one)."""
        return self._spans == _ANY_SPANS

    def lower_bounded(self) -> bool:
        """Tell whether the range has a lower bound other than the empty version."""
        return self.bounds[0].lower_bounded()

    def upper_bounded(self) -> bool:
        """Tell whether the range has a finite upper bound."""
        return self.bounds[-1].upper_bounded()

    def bounded(self) -> bool:
        """Tell whether the range is bounded on both sides."""
        return self.lower_bounded() and self.upper_bounded()

    def contains_version(self, version: Version) -> bool:
        """Tell whether *version* is in the range (also ``version in range``).

        >>> VersionRange("1+<2").contains_version(Version("2.0"))
        False
        """
        return self.contains_key(version._key)

    def contains_key(self, key: VersionKey) -> bool:
        """Like :meth:`contains_version`, for a :meth:`Version.sort_key` (saves a lookup)."""
        if self._many:
            i = bisect_right(self._lows, key) - 1
            return i >= 0 and key < self._spans[i][1]
        # Bounds are sorted and disjoint: below one bound means below all the next ones.
        for low, high in self._spans:
            if key < low:
                return False
            if key < high:
                return True
        return False

    def issuperset(self, other: VersionRange) -> bool:
        """Tell whether every bound of *other* lies inside one bound of this range (like rez)."""
        keys = self._spans
        lo = 0
        for bound in other.bounds:
            probe = (bound.low, bound.high)
            i = bisect_left(keys, probe, lo=lo)
            if i and keys[i - 1][0] <= bound.low and keys[i - 1][1] >= bound.high:
                lo = i - 1
                continue
            if i < len(keys) and keys[i][0] <= bound.low and keys[i][1] >= bound.high:
                lo = i
                continue
            return False
        return True

    def issubset(self, other: VersionRange) -> bool:
        """Tell whether *other* is a superset of this range."""
        return other.issuperset(self)

    def intersects(self, other: VersionRange) -> bool:
        """Tell whether the two ranges share at least one version."""
        # Both bound lists are sorted and disjoint: walk them together, always moving past the
        # bound that ends first.
        spans1, spans2 = self._spans, other._spans
        if len(spans1) == 1 == len(spans2):
            (low1, high1), (low2, high2) = spans1[0], spans2[0]
            return max(low1, low2) < min(high1, high2)
        i = j = 0
        while i < len(spans1) and j < len(spans2):
            (low1, high1), (low2, high2) = spans1[i], spans2[j]
            if max(low1, low2) < min(high1, high2):
                return True
            if high1 < high2:
                i += 1
            else:
                j += 1
        return False

    def to_versions(self) -> list[Version] | None:
        """Return the versions of the ``==V`` bounds, or None if there are none."""
        versions = [
            b.lower.version
            for b in self.bounds
            if b.lower.inclusive and b.upper.inclusive and b.lower.version == b.upper.version
        ]
        return versions or None

    # -- operations ------------------------------------------------------------------------------

    def union(self, other: VersionRange | Iterable[VersionRange]) -> VersionRange:
        """Return the normalised union with one or more ranges (also ``|``)."""
        others = [other] if isinstance(other, VersionRange) else list(other)
        bounds = list(self.bounds)
        for range_ in others:
            bounds += range_.bounds
        return VersionRange._from_bounds(union_bounds(bounds))

    def intersection(self, other: VersionRange | Iterable[VersionRange]) -> VersionRange | None:
        """Return the intersection with one or more ranges (also ``&``), None if empty."""
        if isinstance(other, VersionRange):
            # Shortcuts that give the very result of the general case: intersecting with the
            # any range or with an equal range changes nothing (equal bounds keep our text).
            if other is self or other.is_any() or other == self:
                return self
            if self.is_any():
                return other
            others = [other]
        else:
            others = list(other)
        bounds = list(self.bounds)
        for range_ in others:
            bounds = [b for b1 in bounds for b2 in range_.bounds if (b := intersect_bounds(b1, b2))]
            if not bounds:
                return None
        return VersionRange._from_bounds(bounds)

    def inverse(self) -> VersionRange | None:
        """Return every version not in this range (also ``~``), None for the any range.

        :raises InvalidVersion: where rez does (a range holding two touching pieces).
        """
        if self.is_any():
            return None
        try:
            return self._inverse
        except AttributeError:
            inverse = VersionRange._from_bounds(inverse_bounds(self.bounds))
            object.__setattr__(self, "_inverse", inverse)
            return inverse

    def span(self) -> VersionRange:
        """Return the smallest contiguous range holding this one (``2+<4|6+<8`` -> ``2+<8``)."""
        return VersionRange._from_bounds([Bound(self.bounds[0].lower, self.bounds[-1].upper)])

    def split(self) -> list[VersionRange]:
        """Return one range per contiguous bound (``3|5+`` -> ``[3, 5+]``)."""
        return [VersionRange._from_bounds([b]) for b in self.bounds]

    def __and__(self, other: VersionRange) -> VersionRange | None:
        return self.intersection(other)

    def __or__(self, other: VersionRange) -> VersionRange:
        return self.union(other)

    def __add__(self, other: VersionRange) -> VersionRange:
        return self.union(other)

    def __invert__(self) -> VersionRange | None:
        return self.inverse()

    def __sub__(self, other: VersionRange) -> VersionRange | None:
        inverse = other.inverse()
        return None if inverse is None else self.intersection(inverse)

    def __contains__(self, item: Version | VersionRange) -> bool:
        if isinstance(item, VersionRange):
            return self.issuperset(item)
        return self.contains_version(item)

    def __len__(self) -> int:
        return len(self.bounds)

    def __str__(self) -> str:
        try:
            return self._str
        except AttributeError:
            text = "|".join(map(str, self.bounds))
            object.__setattr__(self, "_str", text)
            return text

    def __repr__(self) -> str:
        return f"VersionRange({str(self)!r})"

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            value = hash(self._spans)
            object.__setattr__(self, "_hash", value)
            return value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VersionRange):
            return self._spans == other._spans
        return NotImplemented

    def __lt__(self, other: VersionRange) -> bool:
        return self._spans < other._spans

    def __le__(self, other: VersionRange) -> bool:
        return self._spans <= other._spans

    def __gt__(self, other: VersionRange) -> bool:
        return self._spans > other._spans

    def __ge__(self, other: VersionRange) -> bool:
        return self._spans >= other._spans


def _range_from_bounds(bounds: tuple[Bound, ...]) -> VersionRange:
    """Rebuild a pickled range."""
    return VersionRange._from_bounds(bounds)
