"""The few version-algebra operations the solver needs, in one place.

The solver is written against rez's names (``Version``, ``VersionRange``, ``Requirement``),
which :mod:`pkgimport.resolver.versions` and :mod:`pkgimport.resolver.requirements` mirror.
Everything the solver needs beyond the plain operators goes through this module, so that
the seam with the value types stays small and visible.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pkgimport.resolver.requirements import Requirement, parse_request
from pkgimport.resolver.versions import Version, VersionRange

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Bound",
    "Requirement",
    "Version",
    "VersionRange",
    "iter_bounds",
    "make_requirement",
    "parse_package_request",
    "parse_requirement",
    "parse_version",
    "range_from_versions",
    "union_ranges",
]

Bound = tuple[Version, bool, "Version | None", bool]
"""``(lower, lower_inclusive, upper, upper_inclusive)``; ``upper`` is ``None`` for infinity."""


@cache
def parse_requirement(text: str) -> Requirement:
    """Parse a request string once per process (requirements are immutable values)."""
    return Requirement(text)


@cache
def parse_package_request(text: str) -> Requirement:
    """Parse a requirement of a package's data once per process, as rez validates it.

    rez reads ``requires`` and ``variants`` through its ``PackageRequest`` schema, which also
    checks the name: ``!.eph`` and ``~.eph`` are refused there, although ``Requirement``
    (what a solver request may be) accepts them.

    :raises InvalidRequirement: *text* is not a package request (errors are not cached).
    """
    return parse_request(text)


@cache
def parse_version(text: str) -> Version:
    """Parse a version string once per process."""
    return Version(text)


def make_requirement(name: str, range_: VersionRange | None) -> Requirement:
    """Build ``name`` + ``range_`` as a requirement (rez ``Requirement.construct``)."""
    return Requirement.construct(name, range_)


def range_from_versions(versions: Iterable[Version]) -> VersionRange:
    """Return the range holding exactly ``versions`` (``==1|==2``), like rez."""
    return VersionRange.from_versions(versions)


def union_ranges(ranges: list[VersionRange]) -> VersionRange:
    """Return the normalised union of one or more ranges."""
    result = ranges[0]
    for other in ranges[1:]:
        result = result | other
    return result


def iter_bounds(range_: VersionRange) -> list[Bound]:
    """Return the bounds of a normalised range, lowest first."""
    bounds: list[Bound] = []
    for bound in range_.bounds:
        upper = bound.upper
        upper_version = None if upper.version == _INF else upper.version
        bounds.append((bound.lower.version, bound.lower.inclusive, upper_version, upper.inclusive))
    return bounds


_INF = getattr(Version, "inf", None)
