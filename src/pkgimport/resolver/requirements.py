"""rez requirements (``foo-1+<2``, ``!foo``, ``~foo-1``), request validation and merging.

Public API (stable):

* :class:`Requirement` - ``Requirement("foo-1.2+")``; immutable, hashable, cached. ``name``,
  ``range`` (a :class:`VersionRange`, or None for the no-op ``~foo``), ``conflict``, ``weak``,
  ``ephemeral``, ``sep``, ``merged(other)``, ``conflicts_with(other)``,
  ``conflicts_with_version(version)``, ``Requirement.construct(name, range)``; ``str()``
  re-renders exactly like rez.
* :func:`parse_request` - rez's ``PackageRequest``: a requirement whose name must be a valid
  package name (``.foo`` = ephemeral).
* :class:`VersionedObject` - ``foo-1.0`` (name + exact version), as rez.
* :class:`RequirementList` - merges same-name requirements left to right like rez;
  ``requirements``, ``conflict``, ``names``, ``conflict_names``, ``get(name)``, ``str()``.

Errors are :class:`pkgimport.errors.InvalidRequirement`, for exactly the inputs rez rejects.

>>> r = Requirement("~foo-1")
>>> r.conflict, r.weak, str(r.range), str(r)
(True, True, '<1|1_+', '~foo-1')
>>> str(Requirement("foo-3+").merged(Requirement("!foo-5+")))
'foo-3+<5'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, final

from pkgimport.errors import InvalidRequirement, InvalidVersion
from pkgimport.resolver._parser import split_requirement
from pkgimport.resolver._version import CACHE_LIMIT, Immutable
from pkgimport.resolver.versions import Version, VersionRange

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "Requirement",
    "RequirementList",
    "VersionedObject",
    "is_valid_package_name",
    "parse_request",
]


def __dir__() -> list[str]:
    return list(__all__)


_ANY = VersionRange("")

# rez's PACKAGE_NAME_REGEX (rez.utils.formatting) is "[a-zA-Z_0-9](\.?[a-zA-Z0-9_]+)*\Z":
# dotted words, "__pycache__" reserved. Its nested quantifiers backtrack exponentially on a
# long name that fails at the end ("foo1.2.3.4.5.6.7.8.9.10.11-"), so we use the equivalent
# unambiguous form, which runs in linear time.
_NAME_RE = re.compile(r"[a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)*\Z")
_VERSIONED_SEP_RE = re.compile(r"[-@#]")


def is_valid_package_name(name: str) -> bool:
    """Tell whether *name* is a valid rez package name (``foo.bar``, not ``my-pkg``).

    >>> is_valid_package_name("zope.interface"), is_valid_package_name("foo..bar")
    (True, False)
    """
    return bool(_NAME_RE.match(name)) and name != "__pycache__"


@final
class Requirement(Immutable):
    """A requirement on a family: a name, a version range and the ``!``/``~`` flags.

    ``!foo-1`` (conflict) forbids the range; ``~foo-1`` (weak) is stored as the conflict on the
    *inverse* range (``range`` is ``<1|1_+``) and ``~foo`` has ``range`` None (no effect).

    :raises InvalidRequirement: the range part is not valid rez syntax (``foo--1``, ``foo-**``).

    >>> r = Requirement("foo>=1,<2")
    >>> r.name, str(r.range), str(r)
    ('foo', '1+<2', 'foo-1+<2')
    """

    __slots__ = ("_hash", "_str", "conflict", "name", "range", "sep", "weak")

    name: str
    """The family name as written (``.foo`` for an ephemeral)."""
    range: VersionRange | None
    """Required range; for a conflict, the forbidden range; None only for ``~foo``."""
    conflict: bool
    """True for ``!`` and ``~`` requirements."""
    weak: bool
    """True for ``~`` requirements (which are conflicts too)."""
    sep: str
    """Separator written between name and range (``-``, ``@`` or ``#``); kept by ``str()``."""
    # Lazy: unset until first use.
    _str: str
    _hash: int
    _cache: ClassVar[dict[str, Requirement]] = {}

    def __new__(cls, s: str) -> Requirement:
        """Parse *s*, or return the cached instance for it."""
        cached = cls._cache.get(s)
        if cached is not None:
            return cached
        self = cls._parse(s)
        if len(cls._cache) >= CACHE_LIMIT:
            cls._cache.clear()
        cls._cache[s] = self
        return self

    @classmethod
    def parse(cls, s: str) -> Requirement:
        """Return the (cached) requirement for *s*; the same as ``Requirement(s)``."""
        return cls(s)

    @classmethod
    def _parse(cls, s: str) -> Requirement:
        parts = split_requirement(s)
        range_: VersionRange | None
        if parts.range_text is None:
            # "~foo" means "foo may be any version if present": no constraint at all.
            range_ = None if parts.weak else _ANY
        else:
            try:
                range_ = VersionRange(parts.range_text)
                if parts.weak:
                    range_ = range_.inverse()
            except InvalidVersion as exc:
                raise InvalidRequirement(f"invalid requirement {s!r}: {exc}") from None
        return cls._make(
            parts.name, range_, conflict=parts.conflict, weak=parts.weak, sep=parts.sep
        )

    @classmethod
    def _make(
        cls, name: str, range_: VersionRange | None, *, conflict: bool, weak: bool, sep: str
    ) -> Requirement:
        self = object.__new__(cls)
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "range", range_)
        set_(self, "conflict", conflict)
        set_(self, "weak", weak)
        set_(self, "sep", sep)
        # _str and _hash are filled in on first use: merges build many requirements that are
        # never printed or hashed.
        return self

    @classmethod
    def construct(cls, name: str, range_: VersionRange | None = None) -> Requirement:
        """Build the (non-conflict) requirement ``name`` + *range_* (None = any), like rez."""
        range_ = _ANY if range_ is None else range_
        return cls._make(name, range_, conflict=False, weak=False, sep="-")

    def __reduce__(self) -> tuple[object, ...]:
        # Instances are shared through the cache: never let pickle rebuild one in place.
        return (_unpickle_requirement, (self.name, self.range, self.conflict, self.weak, self.sep))

    @property
    def ephemeral(self) -> bool:
        """True for an ephemeral request (``.foo-1``): the name starts with a dot."""
        return self.name.startswith(".")

    def safe_str(self) -> str:
        """Return ``str(self)`` (rez's filesystem-safe form is the plain form)."""
        return str(self)

    def merged(self, other: Requirement) -> Requirement | None:
        """Merge two requirements on the same family, or return None if they conflict.

        ``foo-1`` + ``foo-1.5`` = ``foo-1.5``; ``foo-3+`` + ``!foo-5+`` = ``foo-3+<5``;
        ``!foo-2`` + ``!foo-5`` = ``!foo-2|5``; ``foo-4`` + ``foo-6`` = None. Different names
        give None too.

        :raises InvalidVersion: where rez raises (subtracting a range that rez's union left in
            two touching pieces, such as ``1..5|>5<=6``).
        """
        if self.name != other.name:
            return None
        if self.range is None:
            return other
        if other.range is None:
            return self
        if self.conflict and other.conflict:
            # Both forbid: forbid either range. Weak survives only if both are and something
            # is still constrained.
            union = self.range | other.range
            weak = self.weak and other.weak and not union.is_any()
            return Requirement._make(
                self.name, union, conflict=self.conflict, weak=weak, sep=self.sep
            )
        if self.conflict:
            template, range_ = other, other.range - self.range
        elif other.conflict:
            template, range_ = self, self.range - other.range
        else:
            template, range_ = self, self.range & other.range
        if range_ is None:
            return None
        return Requirement._make(
            template.name,
            range_,
            conflict=template.conflict,
            weak=template.weak,
            sep=template.sep,
        )

    def conflicts_with(self, other: Requirement | VersionedObject) -> bool:
        """Tell whether this requirement and *other* cannot both hold (same family only).

        Two real requirements conflict when their ranges do not intersect; a conflict
        requirement conflicts with a real one when it forbids the *whole* real range; two
        conflict requirements never conflict. For a :class:`VersionedObject`: whether its
        version is forbidden (conflict) or outside the range (real).
        """
        if isinstance(other, VersionedObject):
            return self.name == other.name and self.conflicts_with_version(other.version)
        if self.name != other.name or self.range is None or other.range is None:
            return False
        if self.conflict:
            return False if other.conflict else self.range.issuperset(other.range)
        if other.conflict:
            return other.range.issuperset(self.range)
        return not self.range.intersects(other.range)

    def conflicts_with_version(self, version: Version) -> bool:
        """Tell whether *version* of this family is ruled out (name not checked)."""
        if self.range is None:
            return False
        contained = self.range.contains_version(version)
        return contained if self.conflict else not contained

    def __str__(self) -> str:
        try:
            return self._str
        except AttributeError:
            pass
        prefix = "~" if self.weak else ("!" if self.conflict else "")
        range_ = self.range
        if self.weak or range_ is None:
            # A weak requirement shows the range it was written with (the inverse back).
            range_ = (range_.inverse() if range_ is not None else None) or _ANY
        text = ""
        if not range_.is_any():
            text = str(range_)
            if text[0] not in "=<>":
                text = self.sep + text
        text = prefix + self.name + text
        object.__setattr__(self, "_str", text)
        return text

    def __repr__(self) -> str:
        return f"Requirement({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        # Like rez: "~foo-1" equals "!foo<1|1_+" (the weak flag is not compared).
        if isinstance(other, Requirement):
            return (
                self.name == other.name
                and self.range == other.range
                and self.conflict == other.conflict
            )
        return NotImplemented

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            value = hash((self.name, self.range, self.conflict))
            object.__setattr__(self, "_hash", value)
            return value


def _unpickle_requirement(
    name: str, range_: VersionRange | None, conflict: bool, weak: bool, sep: str
) -> Requirement:
    return Requirement._make(name, range_, conflict=conflict, weak=weak, sep=sep)


def parse_request(s: str) -> Requirement:
    """Parse a package request (rez ``PackageRequest``): a requirement with a valid name.

    A leading ``.`` makes it ephemeral (``.foo-1``); the rest of the name must be a valid
    package name.

    :raises InvalidRequirement: bad range syntax or an invalid package name.

    >>> parse_request(".foo-1").ephemeral
    True
    """
    req = Requirement(s)
    name = req.name[1:] if s.startswith(".") else req.name
    if not is_valid_package_name(name):
        error = InvalidRequirement(f"invalid package request {s!r}: bad package name {name!r}")
        # Set after construction: ValueError's __init__ (first in the MRO) takes no hint=.
        error.hint = "package names are dot-separated words of letters, digits and '_' (no '-')"
        raise error
    return req


@final
class VersionedObject(Immutable):
    """A name with an exact version, written ``foo-1.0`` (``@``/``#`` also separate).

    :raises InvalidRequirement: the version part is not a valid version.

    >>> VersionedObject("foo-1.0").as_exact_requirement()
    'foo==1.0'
    """

    __slots__ = ("name", "sep", "version")

    name: str
    """The name, everything before the first ``-@#``."""
    sep: str
    """The separator as written."""
    version: Version
    """The version (empty when none is given)."""

    def __init__(self, s: str) -> None:
        match = _VERSIONED_SEP_RE.search(s)
        name, sep, version = s, "-", Version("")
        if match is not None:
            i = match.start()
            name, sep = s[:i], s[i]
            try:
                version = Version(s[i + 1 :])
            except InvalidVersion as exc:
                raise InvalidRequirement(f"invalid versioned object {s!r}: {exc}") from None
        self._set(name, sep, version)

    def __reduce__(self) -> tuple[object, ...]:
        return (_unpickle_versioned_object, (self.name, self.sep, self.version))

    def _set(self, name: str, sep: str, version: Version) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "sep", sep)
        set_(self, "version", version)

    @classmethod
    def construct(cls, name: str, version: Version | None = None) -> VersionedObject:
        """Build ``name`` + *version* directly (None = the empty version)."""
        other = object.__new__(cls)
        other._set(name, "-", Version("") if version is None else version)
        return other

    def as_exact_requirement(self) -> str:
        """Return the exact requirement string (``maya==2016.1``; ``foo`` if unversioned)."""
        return f"{self.name}=={self.version}" if self.version else self.name

    def __str__(self) -> str:
        return f"{self.name}{self.sep}{self.version}" if self.version else self.name

    def __repr__(self) -> str:
        return f"VersionedObject({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VersionedObject):
            return self.name == other.name and self.version == other.version
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.name, self.version))


def _unpickle_versioned_object(name: str, sep: str, version: Version) -> VersionedObject:
    other = object.__new__(VersionedObject)
    other._set(name, sep, version)
    return other


class RequirementList:
    """Requirements with same-name entries merged left to right, as rez's ``RequirementList``.

    The order is that of each family's first occurrence. The first merge that fails stops
    everything: ``conflict`` is then ``(existing, new)`` and ``requirements`` is empty.

    >>> str(RequirementList([Requirement("foo-4"), Requirement("bar"), Requirement("foo-6")]))
    'foo-4 <--!--> foo-6'
    """

    __slots__ = ("_by_name", "conflict", "conflict_names", "names", "requirements")

    requirements: list[Requirement]
    """The merged requirements (empty if there is a conflict)."""
    conflict: tuple[Requirement, Requirement] | None
    """``(existing, new)`` for the first merge that failed, else None."""
    names: set[str]
    """Names of the non-conflict requirements."""
    conflict_names: set[str]
    """Names of the conflict (``!``/``~``) requirements."""

    def __init__(self, requirements: Iterable[Requirement]) -> None:
        reqs = list(requirements)
        self.requirements = []
        self.conflict = None
        self.names = set()
        self.conflict_names = set()
        self._by_name: dict[str, Requirement] = {}
        # 1. Merge per family, left to right; stop at the first conflict.
        for req in reqs:
            existing = self._by_name.get(req.name)
            if existing is None:
                self._by_name[req.name] = req
                continue
            merged = existing.merged(req)
            if merged is None:
                self.conflict = (existing, req)
                return
            self._by_name[req.name] = merged
        # 2. Lay the merged requirements out in first-occurrence order.
        for name, req in self._by_name.items():  # dicts keep insertion order
            self.requirements.append(req)
            (self.conflict_names if req.conflict else self.names).add(name)

    def get(self, name: str) -> Requirement | None:
        """Return the merged requirement for *name*, or None."""
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequirementList):
            return self.requirements == other.requirements and self.conflict == other.conflict
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container, like a list

    def __str__(self) -> str:
        if self.conflict is not None:
            return f"{self.conflict[0]} <--!--> {self.conflict[1]}"
        return " ".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return f"RequirementList({str(self)!r})"
