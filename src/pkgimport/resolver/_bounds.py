"""Bounds of rez version ranges and rez's algorithms over them (union, intersection, inverse).

Private module: import from :mod:`pkgimport.resolver.versions`. Each algorithm follows rez's
``_union`` / ``_intersection`` / ``_inverse`` step for step, so that the resulting pieces and
their texts (which of two equal versions, ``1.0`` or ``1-0``, is shown) are rez's.
"""

from __future__ import annotations

from typing import final

from pkgimport.errors import InvalidVersion
from pkgimport.resolver._version import EMPTY, INF_KEY, JUST_ABOVE, Immutable, Version, VersionKey

__all__ = [
    "ANY_BOUND",
    "MAX",
    "MIN",
    "Bound",
    "LowerBound",
    "UpperBound",
    "intersect_bounds",
    "inverse_bounds",
    "union_bounds",
]


@final
class LowerBound(Immutable):
    """The lower end of a :class:`Bound`: ``version`` and whether it is ``inclusive``.

    ``key`` orders lower bounds like rez (by version, inclusive before exclusive) and tests
    containment in one comparison: ``v.sort_key() >= key``.
    """

    __slots__ = ("inclusive", "key", "version")

    version: Version
    """The lower version (the empty version when unbounded below)."""
    inclusive: bool
    """Whether ``version`` itself is in the bound."""
    key: VersionKey
    """Containment key: ``v`` is above this end iff ``v.sort_key() >= key``."""

    def __init__(self, version: Version, inclusive: bool) -> None:
        set_ = object.__setattr__
        set_(self, "version", version)
        set_(self, "inclusive", inclusive)
        set_(self, "key", version._key if inclusive else (*version._key, JUST_ABOVE))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LowerBound) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        if self.version:
            return f"{self.version}+" if self.inclusive else f">{self.version}"
        return "" if self.inclusive else ">"

    def __repr__(self) -> str:
        return f"LowerBound({self.version!r}, {self.inclusive})"

    def __reduce__(self) -> tuple[object, ...]:
        return (LowerBound, (self.version, self.inclusive))


@final
class UpperBound(Immutable):
    """The upper end of a :class:`Bound`; ``version`` is :attr:`Version.inf` when unbounded.

    ``key`` orders upper bounds like rez (by version, exclusive before inclusive) and tests
    containment in one comparison: ``v.sort_key() < key``.
    """

    __slots__ = ("inclusive", "key", "version")

    version: Version
    """The upper version (:attr:`Version.inf` when unbounded above)."""
    inclusive: bool
    """Whether ``version`` itself is in the bound."""
    key: VersionKey
    """Containment key: ``v`` is below this end iff ``v.sort_key() < key``."""

    def __init__(self, version: Version, inclusive: bool) -> None:
        if not version and not inclusive:
            raise InvalidVersion(f"invalid upper bound {'<' + str(version)!r}")
        key = version._key
        set_ = object.__setattr__
        set_(self, "version", version)
        set_(self, "inclusive", inclusive)
        set_(self, "key", key if not inclusive or key == INF_KEY else (*key, JUST_ABOVE))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UpperBound) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return f"<={self.version}" if self.inclusive else f"<{self.version}"

    def __repr__(self) -> str:
        return f"UpperBound({self.version!r}, {self.inclusive})"

    def __reduce__(self) -> tuple[object, ...]:
        return (UpperBound, (self.version, self.inclusive))


MIN = LowerBound(EMPTY, inclusive=True)
"""The lowest lower end: the empty version, inclusive."""
MAX = UpperBound(Version.inf, inclusive=True)
"""The highest upper end: infinity."""


@final
class Bound(Immutable):
    """One contiguous piece ``[lower, upper]`` of a :class:`VersionRange`.

    A version ``v`` is inside iff ``lower.key <= v.sort_key() < upper.key``.
    """

    __slots__ = ("high", "low", "lower", "upper")

    lower: LowerBound
    """The lower end."""
    upper: UpperBound
    """The upper end."""
    low: VersionKey
    """``lower.key``."""
    high: VersionKey
    """``upper.key``."""

    def __init__(self, lower: LowerBound = MIN, upper: UpperBound = MAX) -> None:
        # Non-empty iff low < high (see JUST_ABOVE); rez calls an empty bound "invalid".
        if not lower.key < upper.key:
            raise InvalidVersion(f"invalid bound {str(lower) + str(upper)!r}")
        set_ = object.__setattr__
        set_(self, "lower", lower)
        set_(self, "upper", upper)
        set_(self, "low", lower.key)
        set_(self, "high", upper.key)

    def contains_version(self, version: Version) -> bool:
        """Tell whether *version* is inside this bound."""
        return self.low <= version._key < self.high

    def lower_bounded(self) -> bool:
        """Tell whether the lower end is above the empty version (inclusive)."""
        return self.low != ()

    def upper_bounded(self) -> bool:
        """Tell whether the upper end is finite."""
        return self.high != INF_KEY

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bound) and self.low == other.low and self.high == other.high

    def __hash__(self) -> int:
        return hash((self.low, self.high))

    def __str__(self) -> str:
        lower, upper = self.lower, self.upper
        if upper.key == INF_KEY:
            return str(lower)
        if lower.version._key == upper.version._key:
            return f"=={lower.version}"
        if lower.inclusive and upper.inclusive:
            return f"{lower.version}..{upper.version}" if lower.version else f"<={upper.version}"
        if lower.inclusive and not upper.inclusive and lower.version.next() == upper.version:
            return str(lower.version)
        return f"{lower}{upper}"

    def __repr__(self) -> str:
        return f"Bound({self})"

    def __reduce__(self) -> tuple[object, ...]:
        return (Bound, (self.lower, self.upper))


ANY_BOUND = Bound()
"""The bound of the any range."""


def intersect_bounds(a: Bound, b: Bound) -> Bound | None:
    """Return the common part of two bounds, or None, like rez's ``_Bound.intersection``."""
    # max()/min() keep the first of equal items; mirror that so str() shows the same version
    # text as rez when equal versions are written differently (1.0 vs 1-0).
    lower = b.lower if b.low > a.low else a.lower
    upper = b.upper if b.high < a.high else a.upper
    if lower.key < upper.key:
        return Bound(lower, upper)
    return None


def union_bounds(bounds: list[Bound]) -> list[Bound]:
    """Sort and merge overlapping/adjacent bounds, step for step like rez's ``_union``."""
    if len(bounds) < 2:
        return bounds
    ordered = sorted(bounds, key=lambda b: (b.low, b.high))
    merged: list[Bound] = []
    start = ordered[0]
    prev = ordered[0]
    upper = ordered[0].upper
    for bound in ordered[1:]:
        lower_key = bound.lower.version._key
        upper_key = upper.version._key
        # rez looks at the *previous* bound's upper inclusivity here, not the running maximum;
        # kept as is so that the same (rare) unmerged pieces come out.
        if lower_key > upper_key or (
            lower_key == upper_key and not bound.lower.inclusive and not prev.upper.inclusive
        ):
            merged.append(Bound(start.lower, upper))
            start = bound
        prev = bound
        if bound.high > upper.key:
            upper = bound.upper
    merged.append(Bound(start.lower, upper))
    return merged


def inverse_bounds(bounds: tuple[Bound, ...]) -> list[Bound]:
    """Return the gaps between sorted, disjoint *bounds*, like rez's ``_inverse``."""
    lowers: list[LowerBound | None] = [None]
    uppers: list[UpperBound | None] = []
    for bound in bounds:
        if bound.low == ():
            uppers.append(None)
        else:
            uppers.append(UpperBound(bound.lower.version, inclusive=not bound.lower.inclusive))
        if bound.high == INF_KEY:
            lowers.append(None)
        else:
            lowers.append(LowerBound(bound.upper.version, inclusive=not bound.upper.inclusive))
    uppers.append(None)
    return [
        Bound(lower or MIN, upper or MAX)
        for lower, upper in zip(lowers, uppers, strict=True)
        if lower is not None or upper is not None
    ]


for _cls in (LowerBound, UpperBound, Bound):
    _cls.__module__ = "pkgimport.resolver.versions"  # their public home (pickles, docs)
