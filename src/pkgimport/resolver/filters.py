r"""Package filters: hide packages from the solver, as rez's ``package_filter``.

A :class:`PackageFilter` holds exclusion and inclusion rules: a package is excluded iff it
matches an exclusion rule and no inclusion rule. A :class:`PackageFilterList` excludes a
package iff any of its filters does. Rule strings (rez syntax):

* ``glob(*.beta)``, or any string with ``*``: fnmatch on ``name-version``;
* ``regex(.*-\\.beta)``: ``re.match`` on ``name-version``;
* ``range(foo-5+)``, or a bare requirement ``foo-5+``: versions *inside* the requirement;
* ``before(T)`` / ``after(T)`` / ``before(foo:T)``: release time ``<= T`` / ``> T``;
  packages without a timestamp never match.

The solver calls :meth:`PackageFilterList.excludes` lazily, the first time a version falls
inside a requested range. :func:`with_timestamp` adds rez's ``--time`` rule.

>>> f = PackageFilterList.from_pod([{"excludes": ["glob(*.beta)"], "includes": ["foo-*"]}])
>>> from pkgimport.resolver.provider import PackageData
>>> from pkgimport.resolver.versions import Version
>>> str(f.excludes(PackageData(name="bar", version="1.beta"), Version("1.beta")))
'glob(*.beta)'
>>> f.excludes(PackageData(name="foo", version="1.beta"), Version("1.beta")) is None
True
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any, ClassVar

from pkgimport.errors import PkgImportError
from pkgimport.resolver._algebra import parse_requirement

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pkgimport.resolver._algebra import Requirement, Version
    from pkgimport.resolver.provider import PackageData

__all__ = [
    "GlobRule",
    "InvalidPackageFilter",
    "PackageFilter",
    "PackageFilterList",
    "RangeRule",
    "RegexRule",
    "Rule",
    "TimestampRule",
    "parse_rule",
    "with_timestamp",
]


def __dir__() -> list[str]:
    return __all__


class InvalidPackageFilter(PkgImportError, ValueError):  # noqa: N818 - like InvalidVersion
    """A package filter rule string is not valid rez syntax."""


_LABEL_RE = re.compile(r"^([^(]+)\(([^\(\)]+)\)$")
# rez: a family prefix is text without glob characters followed by a version separator.
_FAMILY_RE = re.compile(r"[^*?]+[-@#]")


def _qualified_name(package: PackageData) -> str:
    return f"{package.name}-{package.version}" if package.version else package.name


def _family_of(pattern: str) -> str | None:
    match = _FAMILY_RE.match(pattern)
    return match.group()[:-1] if match else None


class Rule:
    """A filter rule; :meth:`match` tells whether it applies to a package."""

    name: ClassVar[str] = ""
    family: str | None = None
    """The family this rule is limited to (``None``: every family)."""
    cost: ClassVar[int] = 10
    """Relative cost; cheaper rules are tried first (timestamps need a package load)."""

    def match(self, package: PackageData, version: Version) -> bool:
        """Whether the rule matches ``package``."""
        raise NotImplementedError


class RegexRule(Rule):
    """Matches when ``re.match(pattern, "name-version")`` does."""

    name = "regex"

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.family = _family_of(pattern)
        self.regex = re.compile(pattern)

    def match(self, package: PackageData, version: Version) -> bool:  # noqa: ARG002 - API
        """See :meth:`Rule.match`."""
        return bool(self.regex.match(_qualified_name(package)))

    def __str__(self) -> str:
        return f"{self.name}({self.text})"


class GlobRule(RegexRule):
    """Matches when ``fnmatch(pattern)`` matches ``name-version``."""

    name = "glob"

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.family = _family_of(pattern)
        self.regex = re.compile(fnmatch.translate(pattern))


class RangeRule(Rule):
    """Matches versions that do not conflict with a requirement (``foo-5+`` matches foo-6)."""

    name = "range"

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement
        self.family = requirement.name

    def match(self, package: PackageData, version: Version) -> bool:
        """See :meth:`Rule.match`."""
        req = self.requirement
        if req.name != package.name or req.range is None:
            return True
        inside = version in req.range
        return not inside if req.conflict else inside

    def __str__(self) -> str:
        return f"{self.name}({self.requirement})"


class TimestampRule(Rule):
    """Matches packages released at or before (``before``) / after (``after``) a time."""

    name = "timestamp"
    cost = 1000

    def __init__(self, timestamp: int, family: str | None = None, *, after: bool = False) -> None:
        self.timestamp = timestamp
        self.family = family
        self.after = after

    def match(self, package: PackageData, version: Version) -> bool:  # noqa: ARG002 - API
        """See :meth:`Rule.match`; untimestamped packages never match."""
        if not package.timestamp:
            return False
        if self.after:
            return package.timestamp > self.timestamp
        return package.timestamp <= self.timestamp

    def __str__(self) -> str:
        label = "after" if self.after else "before"
        parts = [self.family, str(self.timestamp)] if self.family else [str(self.timestamp)]
        return f"{label}({':'.join(parts)})"


def parse_rule(text: str) -> Rule:
    """Parse a rule string (see the module docstring).

    :raises InvalidPackageFilter: unknown label or bad rule text.

    >>> str(parse_rule("foo-5+")), str(parse_rule("*.beta")), str(parse_rule("after(foo:10)"))
    ('range(foo-5+)', 'glob(*.beta)', 'after(foo:10)')
    """
    match = _LABEL_RE.match(text)
    label, body = match.groups() if match else (None, text)
    if label is None:
        label = "glob" if "*" in body else "range"
    try:
        if label == "glob":
            return GlobRule(body)
        if label == "regex":
            return RegexRule(body)
        if label == "range":
            return RangeRule(parse_requirement(body))
        if label in ("before", "after"):
            family, _, stamp = body.rpartition(":") if ":" in body else (None, "", body)
            return TimestampRule(int(stamp), family or None, after=label == "after")
    except (ValueError, re.error) as exc:
        msg = f"Error parsing package filter '{label}({body})': {type(exc).__name__}: {exc}"
        raise InvalidPackageFilter(msg) from None
    msg = f"'{label}' is not a valid package filter type"
    raise InvalidPackageFilter(msg)


class PackageFilter:
    """Exclusion and inclusion rules, indexed by family (rez ``PackageFilter``)."""

    def __init__(self) -> None:
        self._excludes: dict[str | None, list[Rule]] = {}
        self._includes: dict[str | None, list[Rule]] = {}

    @staticmethod
    def _add(rules: dict[str | None, list[Rule]], rule: Rule) -> None:
        rules[rule.family] = sorted([*rules.get(rule.family, []), rule], key=_rule_cost)

    def add_exclusion(self, rule: Rule) -> None:
        """Add an exclusion rule."""
        self._add(self._excludes, rule)

    def add_inclusion(self, rule: Rule) -> None:
        """Add an inclusion rule."""
        self._add(self._includes, rule)

    @property
    def cost(self) -> float:
        """Total exclusion cost; family-specific rules count a tenth."""
        total = 0.0
        for family, rules in self._excludes.items():
            cost = float(sum(r.cost for r in rules))
            total += cost / 10 if family else cost
        return total

    def excludes(self, package: PackageData, version: Version) -> Rule | None:
        """Return the exclusion rule matching ``package`` unless an inclusion rule matches."""
        if not self._excludes:
            return None
        rule = _first_match(self._excludes.get(package.name), package, version) or _first_match(
            self._excludes.get(None), package, version
        )
        if rule is None:
            return None
        if _first_match(self._includes.get(package.name), package, version) or _first_match(
            self._includes.get(None), package, version
        ):
            return None
        return rule

    def copy(self) -> PackageFilter:
        """Return a copy; adding rules to it leaves this filter unchanged."""
        other = PackageFilter()
        other._excludes = dict(self._excludes)
        other._includes = dict(self._includes)
        return other

    @classmethod
    def from_pod(cls, data: Mapping[str, Any]) -> PackageFilter:
        """Build from ``{"excludes": [...], "includes": [...]}`` (a string counts as one)."""
        result = cls()
        for key, add in (("excludes", result.add_exclusion), ("includes", result.add_inclusion)):
            texts = data.get(key, [])
            for text in [texts] if isinstance(texts, str) else texts:
                add(parse_rule(text))
        return result

    def to_pod(self) -> dict[str, list[str]]:
        """Return the dict :meth:`from_pod` accepts (as rez stores it in a context)."""
        data: dict[str, list[str]] = {}
        for key, rules in (("excludes", self._excludes), ("includes", self._includes)):
            if rules:
                data[key] = [str(r) for group in rules.values() for r in group]
        return data

    def __bool__(self) -> bool:
        return bool(self._excludes)


class PackageFilterList:
    """Several filters; a package is excluded iff any filter excludes it."""

    def __init__(self, filters: Iterable[PackageFilter] = ()) -> None:
        self.filters: list[PackageFilter] = []
        for package_filter in filters:
            self.add_filter(package_filter)

    def add_filter(self, package_filter: PackageFilter) -> None:
        """Add a filter (filters are kept cheapest first)."""
        self.filters = sorted([*self.filters, package_filter], key=_filter_cost)

    def add_exclusion(self, rule: Rule) -> None:
        """Add an exclusion to the last filter (a new one if there is none), as rez does."""
        if self.filters:
            self.filters[-1].add_exclusion(rule)
        else:
            package_filter = PackageFilter()
            package_filter.add_exclusion(rule)
            self.add_filter(package_filter)

    def add_inclusion(self, rule: Rule) -> None:
        """Add an inclusion to every filter (none: no effect, rez issue #303)."""
        for package_filter in self.filters:
            package_filter.add_inclusion(rule)

    def excludes(self, package: PackageData, version: Version) -> Rule | None:
        """Return the first rule that excludes ``package``, if any."""
        for package_filter in self.filters:
            rule = package_filter.excludes(package, version)
            if rule is not None:
                return rule
        return None

    def copy(self) -> PackageFilterList:
        """Return a deep-enough copy (rules are immutable)."""
        return PackageFilterList(f.copy() for f in self.filters)

    @classmethod
    def from_pod(cls, data: Sequence[Mapping[str, Any]]) -> PackageFilterList:
        """Build from a list of :meth:`PackageFilter.from_pod` dicts (rez ``package_filter``)."""
        return cls(PackageFilter.from_pod(d) for d in data)

    def to_pod(self) -> list[dict[str, list[str]]]:
        """Return the list :meth:`from_pod` accepts."""
        return [f.to_pod() for f in self.filters]

    def __bool__(self) -> bool:
        return any(self.filters)


def with_timestamp(
    filters: PackageFilterList | None, timestamp: int | None
) -> PackageFilterList | None:
    """Add rez's resolve-time rule ``after(timestamp)`` to a copy of ``filters``.

    As rez's ``Resolver``: packages released after ``timestamp`` are hidden, untimestamped
    ones kept.

    >>> with_timestamp(None, 100).to_pod()
    [{'excludes': ['after(100)']}]
    """
    if not timestamp:
        return filters
    result = filters.copy() if filters else PackageFilterList()
    result.add_exclusion(TimestampRule(timestamp, after=True))
    return result


def _first_match(rules: list[Rule] | None, package: PackageData, version: Version) -> Rule | None:
    for rule in rules or ():
        if rule.match(package, version):
            return rule
    return None


def _rule_cost(rule: Rule) -> int:
    return rule.cost


def _filter_cost(package_filter: PackageFilter) -> float:
    return package_filter.cost
