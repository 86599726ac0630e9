"""Package orderers: which version of a family the solver prefers, as rez's ``package_orderers``.

An orderer turns a version into a sort key; the solver sorts with ``reverse=True``, so the
*largest* key is preferred. Types (rez ``to_pod``/``from_pod`` dicts, ``type`` key):

* ``no_order``: key 0 for everything (listing order kept);
* ``sorted {descending}``: the version (descending) or its reverse;
* ``version_split {first_version}``: versions ``<= first_version`` first, each part descending;
* ``soft_timestamp {timestamp, rank}``: versions released up to ``timestamp`` first (descending),
  then later ones ascending (within ``rank`` descending);
* ``per_family {orderers: [...], default_order}``: one orderer per listed family.

:func:`get_orderer` picks the orderer for a family like rez: registered for that family, else
one registered for ``"*"``, else ``sorted`` descending.

>>> orderers = orderers_from_pod([{"type": "version_split", "first_version": "3",
...                                "packages": ["foo"]}])
>>> get_orderer("foo", orderers).to_pod()
{'type': 'version_split', 'first_version': '3', 'packages': ['foo']}
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pkgimport.resolver._algebra import Version, iter_bounds, parse_version

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pkgimport.resolver._algebra import VersionRange

__all__ = [
    "INF",
    "NoOrder",
    "PackageOrderer",
    "PerFamilyOrder",
    "SoftTimestampOrder",
    "SortedOrder",
    "VersionSplitOrder",
    "get_orderer",
    "orderer_from_pod",
    "orderers_from_pod",
    "range_sort_key",
    "version_sort_key",
]

ALL_PACKAGES = "*"


@functools.total_ordering
class _Infinity:
    """The version above every version (upper end of an unbounded range)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Infinity)

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return not isinstance(other, _Infinity)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "INF"


INF = _Infinity()
"""Stand-in for rez's ``Version.inf`` when an orderer keys an unbounded range's upper end."""

AnyVersion = "Version | _Infinity"


@functools.total_ordering
class _Reversed:
    """Reverse the order of a comparable value (rez ``_ReversedComparable``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Reversed):
            return NotImplemented
        return bool(self.value == other.value)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Reversed):
            return NotImplemented
        return bool(self.value > other.value)

    def __hash__(self) -> int:
        return hash(self.value)


class _Fallback:
    """Compare by ``main``; if that raises, by ``fallback`` (rez ``FallbackComparable``).

    Keys of different orderers are compared with each other when variants are sorted (a
    range on one family against a range on another), and rez falls back to plain version
    order when the orderers' keys are not comparable.
    """

    __slots__ = ("fallback", "main")

    def __init__(self, main: Any, fallback: Any) -> None:
        self.main = main
        self.fallback = fallback

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Fallback):
            return NotImplemented
        try:
            return bool(self.main == other.main)
        except Exception:  # noqa: BLE001 - rez falls back on any comparison error
            return bool(self.fallback == other.fallback)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Fallback):
            return NotImplemented
        try:
            return bool(self.main < other.main)
        except Exception:  # noqa: BLE001 - rez falls back on any comparison error
            return bool(self.fallback < other.fallback)

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, _Fallback):
            return NotImplemented
        return other.__lt__(self)

    __hash__ = None  # type: ignore[assignment]


class PackageOrderer:
    """Base class: an orderer keys versions; ``packages`` lists the families it applies to."""

    name: ClassVar[str] = ""
    packages: tuple[str, ...]

    def __init__(self, packages: Iterable[str] | str | None = None) -> None:
        if packages is None:
            self.packages = (ALL_PACKAGES,)
        elif isinstance(packages, str):
            self.packages = (packages,)
        else:
            self.packages = tuple(sorted(packages))

    def key(self, family: str, version: Version | _Infinity) -> Any:
        """Return the raw sort key of ``version`` (larger = preferred)."""
        raise NotImplementedError

    def to_pod(self) -> dict[str, Any]:
        """Return the rez pod dict (with ``type``)."""
        return {"type": self.name, "packages": list(self.packages)}

    def bind(self, versions: Callable[[str], Iterable[tuple[Version, int | None]]]) -> None:
        """Give the orderer access to a family's ``(version, timestamp)`` pairs (no-op)."""

    def reorder(self, family: str, versions: Iterable[Version]) -> list[Version] | None:
        """Return *family*'s *versions* preferred first (rez's ``reorder``).

        ``None`` means "no opinion, keep the order" (a ``per_family`` orderer asked about a
        family it does not list and has no ``default_order`` for).

        >>> [str(v) for v in SortedOrder(descending=False).reorder("foo", map(Version, "213"))]
        ['1', '2', '3']
        """
        return sorted(versions, key=lambda v: version_sort_key(self, family, v), reverse=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_pod()!r})"


class NoOrder(PackageOrderer):
    """Keep the listing order (rez ``NullPackageOrder``, ``no_order``)."""

    name = "no_order"

    def key(self, family: str, version: Version | _Infinity) -> Any:  # noqa: ARG002 - API
        """Return 0 for every version: a stable sort keeps the listing order."""
        return 0


class SortedOrder(PackageOrderer):
    """Version order, descending (the default) or ascending (``sorted``)."""

    name = "sorted"

    def __init__(self, descending: bool = True, packages: Iterable[str] | None = None) -> None:
        super().__init__(packages)
        self.descending = descending

    def key(self, family: str, version: Version | _Infinity) -> Any:  # noqa: ARG002 - API
        """Return the version itself, or reversed for an ascending order."""
        return version if self.descending else _Reversed(version)

    def to_pod(self) -> dict[str, Any]:
        """Return ``{"type": "sorted", "descending": ..., "packages": [...]}``."""
        return {"type": self.name, "descending": self.descending, "packages": list(self.packages)}


class VersionSplitOrder(PackageOrderer):
    """Versions ``<= first_version`` first (``version_split``): ``[3, 2, 1, 5, 4]`` for 3."""

    name = "version_split"

    def __init__(self, first_version: Version, packages: Iterable[str] | None = None) -> None:
        super().__init__(packages)
        self.first_version = first_version

    def key(self, family: str, version: Version | _Infinity) -> Any:  # noqa: ARG002 - API
        """Return ``(version <= first_version, version)``."""
        below = 0 if isinstance(version, _Infinity) else int(version <= self.first_version)
        return (below, version)

    def to_pod(self) -> dict[str, Any]:
        """Return ``{"type": "version_split", "first_version": ..., "packages": [...]}``."""
        return {
            "type": self.name,
            "first_version": str(self.first_version),
            "packages": list(self.packages),
        }


class SoftTimestampOrder(PackageOrderer):
    """Versions released up to ``timestamp`` first (rez ``TimestampPackageOrder``).

    rez computes "first version after T" from its configured ``packages_path``; this one asks
    the solver's provider (the same thing when the resolve uses the configured paths).
    """

    name = "soft_timestamp"

    def __init__(
        self, timestamp: int, rank: int = 0, packages: Iterable[str] | None = None
    ) -> None:
        super().__init__(packages)
        self.timestamp = timestamp
        self.rank = rank
        self._versions: Callable[[str], Iterable[tuple[Version, int | None]]] | None = None
        self._first_after: dict[str, Version | None] = {}

    def bind(self, versions: Callable[[str], Iterable[tuple[Version, int | None]]]) -> None:
        """Use ``versions(family)`` to find each family's first version after the timestamp."""
        self._versions = versions
        self._first_after.clear()

    def _get_first_after(self, family: str) -> Version | None:
        if family not in self._first_after:
            self._first_after[family] = self._calc_first_after(family)
        return self._first_after[family]

    def _calc_first_after(self, family: str) -> Version | None:
        # 1. Walk down from the newest version while versions are newer than T.
        packages = sorted(
            self._versions(family) if self._versions else (), key=lambda p: p[0], reverse=True
        )
        if not packages:
            return None
        first_after: Version | None = None
        stop = len(packages) - 1  # rez keeps its loop index when the loop does not break
        for i, (version, timestamp) in enumerate(packages):
            stop = i
            if not timestamp:
                continue
            if timestamp > self.timestamp:
                first_after = version
            else:
                break
        if not self.rank:
            return first_after
        # 2. With a rank, walk back up to the first version whose trimmed prefix differs
        #    from the package the walk stopped at.
        trimmed = _trim(packages[stop][0], self.rank - 1)
        for version, _ in reversed(packages[:stop]):
            if _trim(version, self.rank - 1) != trimmed:
                return version
        return None

    def key(self, family: str, version: Version | _Infinity) -> Any:
        """``(1, version)`` before T; after T ascending (``_Reversed``), rank-aware."""
        first_after = self._get_first_after(family)
        is_before = 1 if first_after is None else int(version < first_after)
        if is_before:
            return (is_before, version)
        if self.rank and isinstance(version, Version):
            return (
                is_before,
                _Reversed(_trim(version, self.rank - 1)),
                tuple(version.tokens[self.rank - 1 :]),
            )
        return (is_before, _Reversed(version))

    def to_pod(self) -> dict[str, Any]:
        """Return ``{"type": "soft_timestamp", "timestamp": ..., "rank": ..., ...}``."""
        return {
            "type": self.name,
            "timestamp": self.timestamp,
            "rank": self.rank,
            "packages": list(self.packages),
        }


class PerFamilyOrder(PackageOrderer):
    """One orderer per family (``per_family``).

    Like rez, only the listed families are registered: ``default_order`` is kept for
    round-tripping but the solver never consults it.
    """

    name = "per_family"

    def __init__(
        self, order_dict: Mapping[str, PackageOrderer], default_order: PackageOrderer | None = None
    ) -> None:
        super().__init__(list(order_dict))
        self.order_dict = dict(order_dict)
        self.default_order = default_order

    def key(self, family: str, version: Version | _Infinity) -> Any:
        """Delegate to the family's orderer (or ``default_order``)."""
        orderer = self.order_dict.get(family, self.default_order)
        if orderer is None:
            msg = f"orderer {self!r} does not apply to family {family!r}"
            raise ValueError(msg)
        return orderer.key(family, version)

    def reorder(self, family: str, versions: Iterable[Version]) -> list[Version] | None:
        """Reorder with the family's orderer, else ``default_order``; ``None`` without either.

        Like rez, a family neither listed nor covered by ``default_order`` keeps its order.
        """
        items = list(versions)
        orderer = self.order_dict.get(family, self.default_order)
        if orderer is None or not items:
            return None
        return orderer.reorder(family, items)

    def bind(self, versions: Callable[[str], Iterable[tuple[Version, int | None]]]) -> None:
        """Bind every delegate."""
        for orderer in {id(o): o for o in self.order_dict.values()}.values():
            orderer.bind(versions)
        if self.default_order is not None:
            self.default_order.bind(versions)

    def to_pod(self) -> dict[str, Any]:
        """Return ``{"type": "per_family", "orderers": [...], "default_order": ...}``."""
        groups: dict[int, tuple[PackageOrderer, set[str]]] = {}
        for family, orderer in self.order_dict.items():
            groups.setdefault(id(orderer), (orderer, set()))[1].add(family)
        orderers = []
        for orderer, families in groups.values():
            pod = orderer.to_pod()
            pod["packages"] = sorted(families)
            orderers.append(pod)
        result: dict[str, Any] = {"type": self.name, "orderers": orderers}
        if self.default_order is not None:
            result["default_order"] = self.default_order.to_pod()
        return result


def _trim(version: Version, length: int) -> tuple[Any, ...]:
    return tuple(version.tokens[:length])


def orderer_from_pod(data: Mapping[str, Any] | Sequence[Any]) -> PackageOrderer:
    """Build one orderer from a rez pod: a dict, or a ``(type, dict)`` pair.

    The pair is the form older rez configurations use (rez's ``from_pod`` still reads it).

    :raises ValueError: for an unknown ``type`` or a pod of neither form.

    >>> orderer_from_pod({"type": "sorted", "descending": False}).to_pod()
    {'type': 'sorted', 'descending': False, 'packages': ['*']}
    >>> orderer_from_pod(("sorted", {"descending": False})).to_pod()["descending"]
    False
    """
    if not isinstance(data, Mapping):
        if isinstance(data, str) or len(data) != 2 or not isinstance(data[1], Mapping):
            msg = f"an orderer is a dict or a (type, dict) pair, not {data!r}"
            raise ValueError(msg)
        data = {**data[1], "type": data[0]}
    kind = data.get("type")
    packages = data.get("packages")
    if kind == "no_order":
        return NoOrder(packages)
    if kind == "sorted":
        return SortedOrder(bool(data["descending"]), packages)
    if kind == "version_split":
        return VersionSplitOrder(parse_version(str(data["first_version"])), packages)
    if kind == "soft_timestamp":
        return SoftTimestampOrder(int(data["timestamp"]), int(data.get("rank", 0)), packages)
    if kind == "per_family":
        order_dict: dict[str, PackageOrderer] = {}
        for pod in data["orderers"]:
            orderer = orderer_from_pod({k: v for k, v in pod.items() if k != "packages"})
            for family in pod["packages"]:
                order_dict[family] = orderer
        default = data.get("default_order")
        return PerFamilyOrder(order_dict, orderer_from_pod(default) if default else None)
    msg = f"unknown package orderer type {kind!r}"
    raise ValueError(msg)


def orderers_from_pod(
    data: Sequence[Mapping[str, Any] | Sequence[Any]],
) -> tuple[PackageOrderer, ...]:
    """Build a list of orderers (rez ``PackageOrderList.from_pod``), each pod in either form."""
    return tuple(orderer_from_pod(d) for d in data)


_DEFAULT = SortedOrder(descending=True)


def get_orderer(family: str, orderers: Sequence[PackageOrderer]) -> PackageOrderer:
    """Return the orderer for ``family`` (rez ``get_orderer``).

    The first registered for it, else the first for ``"*"``, else ``sorted`` descending.
    """
    any_orderer: PackageOrderer | None = None
    for orderer in orderers:
        if family in orderer.packages:
            return orderer
        if any_orderer is None and ALL_PACKAGES in orderer.packages:
            any_orderer = orderer
    return any_orderer or _DEFAULT


def _order_version(version: Version | _Infinity) -> tuple[Any, ...]:
    # Infinity sorts above every version; plain versions compare among themselves.
    return (1,) if isinstance(version, _Infinity) else (0, version)


def version_sort_key(orderer: PackageOrderer, family: str, version: Version | _Infinity) -> Any:
    """Return rez's ``orderer.sort_key(family, version)`` (main key, version fallback)."""
    return _Fallback(orderer.key(family, version), _order_version(version))


def range_sort_key(orderer: PackageOrderer, family: str, range_: VersionRange | None) -> Any:
    """Return rez's ``orderer.sort_key(family, range)``.

    Per bound ``((lower_key, -2 inclusive | -1), (upper_key, 2 inclusive | 1))``; 0 for no
    range.
    """
    if range_ is None:
        return 0
    return tuple(
        (
            (version_sort_key(orderer, family, lower), -2 if lower_incl else -1),
            (
                version_sort_key(orderer, family, INF if upper is None else upper),
                2 if upper_incl else 1,
            ),
        )
        for lower, lower_incl, upper, upper_incl in iter_bounds(range_)
    )
