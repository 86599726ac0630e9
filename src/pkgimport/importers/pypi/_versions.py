"""PEP 440 versions → rez versions, and PEP 440 specifiers → rez version ranges.

rez compares versions token by token (shorter prefix first, alphabetic tokens below numeric
ones, separators ignored), PEP 440 compares padded release tuples. Two facts follow:

* ``1.0`` and ``1.0.0`` are one PEP 440 version but two rez versions, and the rez versions
  ``1``, ``1.post1``, ``1.0``, ``1.0.post1``, ``1.0.0`` ... interleave with the PEP 440
  post-releases of the same release;
* a pre-release ``1.0.rc1`` sorts *above* ``1.0`` in rez.

So a specifier is converted to a *set* of rez intervals that contains exactly the converted
final and post-release versions it admits, for every such version whose release has at most
:data:`MAX_RELEASE_LENGTH` parts (more than the spelling of any real project; longer
spellings of a specifier's own version are covered too). Ranges are built with a small
interval algebra over the only token kinds the boundaries need (numbers and ``postN``), and
rendered in rez's syntax. What rez cannot express is refused with :class:`InvalidRequirement`.

>>> convert_version("1.0rc1+ubuntu.1")
'1.0.rc1-ubuntu.1'
>>> convert_specifier(">=1.2,<2")
'1.2+<2'
>>> convert_specifier("==1.4.*")
'1.4+<1.5'
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion as PEP440InvalidVersion
from packaging.version import Version

from pkgimport.errors import InvalidRequirement, InvalidVersion
from pkgimport.importers.pypi._errors import with_hint

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_RELEASE_LENGTH",
    "convert_specifier",
    "convert_version",
    "parse_pep440",
]

MAX_RELEASE_LENGTH = 4
"""Release parts up to which specifier conversion is exact for zero-padded spellings."""

# rez's order, as a sort key: tokens split on "." and "-" (separators do not count), each
# token split into alphabetic and numeric sub-tokens, alphabetic ones below numeric ones
# (rez.version._version.AlphanumericVersionToken), a shorter prefix below its extensions.
_SubKey = tuple[int, str, int, str]
_Key = tuple[tuple[_SubKey, ...], ...]
_TOKEN_SPLIT_RE = re.compile(r"[.-]")
_SUBTOKEN_RE = re.compile(r"[0-9]+|[^0-9]+")


def _rez_key(text: str) -> _Key:
    return tuple(
        tuple(
            (1, "", int(sub), sub) if sub.isdigit() else (0, sub, 0, "")
            for sub in _SUBTOKEN_RE.findall(token)
        )
        for token in _TOKEN_SPLIT_RE.split(text)
    )


def parse_pep440(text: str) -> Version:
    """Parse a PEP 440 version, raising pkgimport's :class:`InvalidVersion`.

    >>> parse_pep440("1.0-1")
    <Version('1.0.post1')>
    """
    try:
        return Version(text)
    except PEP440InvalidVersion:
        raise InvalidVersion(f"invalid PEP 440 version {text!r}") from None


def convert_version(version: str | Version) -> str:
    """Return the rez version for a PEP 440 *version*.

    Release, then ``.a1``/``.b1``/``.rc1``, ``.postN``, ``.devN``, and the local part after
    ``-``. rez orders more tokens higher, so pre-releases sort above their final release
    (callers import them only when asked for).

    :raises InvalidVersion: the version is invalid or has an epoch (rez cannot keep its order).

    >>> convert_version("2!1.0")
    Traceback (most recent call last):
    ...
    pkgimport.errors.InvalidVersion: version '2!1.0' has epoch 2: rez versions cannot sort it \
after versions without an epoch
    """
    parsed = parse_pep440(version) if isinstance(version, str) else version
    if parsed.epoch:
        raise with_hint(
            InvalidVersion(
                f"version {str(version)!r} has epoch {parsed.epoch}: rez versions cannot sort "
                "it after versions without an epoch"
            ),
            "pin another version of this project",
        )
    parts = [str(n) for n in parsed.release]
    if parsed.pre is not None:
        parts.append(f"{parsed.pre[0]}{parsed.pre[1]}")
    if parsed.post is not None:
        parts.append(f"post{parsed.post}")
    if parsed.dev is not None:
        parts.append(f"dev{parsed.dev}")
    text = ".".join(parts)
    if parsed.local is not None:
        text += f"-{parsed.local}"
    return text


# --- interval algebra -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bound:
    text: str
    inclusive: bool
    key: _Key = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _rez_key(self.text))


@dataclass(frozen=True, slots=True)
class _Interval:
    low: _Bound | None  # None: unbounded below
    high: _Bound | None  # None: unbounded above

    def is_empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        if self.low.key != self.high.key:
            return self.low.key > self.high.key
        return not (self.low.inclusive and self.high.inclusive)


def _low_order(bound: _Bound | None) -> tuple[int, _Key, int]:
    # An inclusive lower bound starts before an exclusive one at the same version.
    return (0, (), 0) if bound is None else (1, bound.key, 0 if bound.inclusive else 1)


def _high_order(bound: _Bound | None) -> tuple[int, _Key, int]:
    # An exclusive upper bound ends before an inclusive one at the same version.
    return (1, (), 0) if bound is None else (0, bound.key, 1 if bound.inclusive else 0)


_Ranges = tuple[_Interval, ...]
_ANY: _Ranges = (_Interval(None, None),)


def _normalize(intervals: Sequence[_Interval]) -> _Ranges:
    """Sort, drop empty intervals and merge overlapping or touching ones."""
    items = sorted((i for i in intervals if not i.is_empty()), key=lambda i: _low_order(i.low))
    merged: list[_Interval] = []
    for item in items:
        if merged and _touches(merged[-1], item):
            last = merged[-1]
            high = max(last.high, item.high, key=_high_order)
            merged[-1] = _Interval(last.low, high)
        else:
            merged.append(item)
    return tuple(merged)


def _touches(first: _Interval, second: _Interval) -> bool:
    if first.high is None or second.low is None:
        return True
    if first.high.key != second.low.key:
        return first.high.key > second.low.key
    return first.high.inclusive or second.low.inclusive


def _intersect(left: _Ranges, right: _Ranges) -> _Ranges:
    out = [
        _Interval(max(a.low, b.low, key=_low_order), min(a.high, b.high, key=_high_order))
        for a in left
        for b in right
    ]
    return _normalize(out)


def _complement(ranges: _Ranges) -> _Ranges:
    out: list[_Interval] = []
    low: _Bound | None = None
    started = False
    for item in ranges:
        if item.low is not None:
            out.append(
                _Interval(low if started else None, _Bound(item.low.text, not item.low.inclusive))
            )
        started = True
        if item.high is None:
            return _normalize(out)
        low = _Bound(item.high.text, not item.high.inclusive)
    out.append(_Interval(low if started else None, None))
    return _normalize(out)


def _union(*parts: _Ranges) -> _Ranges:
    return _normalize([i for part in parts for i in part])


def _at_least(version: str) -> _Ranges:
    return (_Interval(_Bound(version, inclusive=True), None),)


def _span(low: str, high: str) -> _Ranges:
    """``[low, high)``."""
    return (_Interval(_Bound(low, inclusive=True), _Bound(high, inclusive=False)),)


def _points(versions: Sequence[str]) -> _Ranges:
    return _normalize(
        [_Interval(_Bound(v, inclusive=True), _Bound(v, inclusive=True)) for v in versions]
    )


def _render(ranges: _Ranges) -> str:
    """Render *ranges* in rez's range syntax (``""`` is rez's "any version")."""
    return "|".join(_render_interval(i) for i in ranges)


def _render_interval(item: _Interval) -> str:
    low, high = item.low, item.high
    if low is None and high is None:
        return ""
    if low is None:
        assert high is not None  # noqa: S101 - narrowed by the test above
        return f"{'<=' if high.inclusive else '<'}{high.text}"
    if high is None:
        return f"{low.text}+" if low.inclusive else f">{low.text}"
    if low.key == high.key:
        return f"=={low.text}"
    if low.inclusive:
        return f"{low.text}..{high.text}" if high.inclusive else f"{low.text}+<{high.text}"
    return f">{low.text}{'<=' if high.inclusive else '<'}{high.text}"


# --- specifiers -----------------------------------------------------------------------------


def _numbers(release: Sequence[int]) -> str:
    return ".".join(str(n) for n in release)


def _stripped(release: Sequence[int]) -> tuple[int, ...]:
    """Return *release* without trailing zeros (one part at least): its lowest rez spelling."""
    parts = list(release)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _spellings(release: Sequence[int]) -> list[str]:
    """Every zero-padded rez spelling of *release*, shortest (lowest in rez) first."""
    base = _stripped(release)
    longest = max(MAX_RELEASE_LENGTH, len(release))
    return [_numbers(base + (0,) * pad) for pad in range(longest - len(base) + 1)]


def _post(version: str, number: int) -> str:
    return f"{version}.post{number}"


def _from_post(release: Sequence[int], post: int) -> _Ranges:
    """Versions >= ``release.post<post>``: later releases, or the same one with post >= *post*."""
    spellings = _spellings(release)
    # Each spelling z is followed in rez by its posts, then by z.0 (the next spelling), which is
    # a *final* release equal to z; so only [z.postN, z.0) is admitted, and everything from the
    # longest spelling's posts upwards.
    parts = [_span(_post(z, post), nxt) for z, nxt in itertools.pairwise(spellings)]
    parts.append(_at_least(_post(spellings[-1], post)))
    return _union(*parts)


def _above_release(release: Sequence[int]) -> _Ranges:
    """Versions whose padded release is greater than *release* (none of its post-releases)."""
    return _at_least(f"{_spellings(release)[-1]}.0")


def _prefix(release: Sequence[int]) -> _Ranges:
    """``==release.*``: padded releases starting with *release*, any post-release."""
    upper = (*release[:-1], release[-1] + 1)
    return _span(_numbers(_stripped(release)), _numbers(upper))


def _convert_one(spec: Specifier) -> _Ranges:
    op, text = spec.operator, spec.version
    if op == "===":
        return _points_for_arbitrary(text, spec)
    if text.endswith(".*"):
        prefix = parse_pep440(text[:-2])
        if prefix.pre is not None or prefix.post is not None or prefix.dev is not None:
            raise _unexpressible(spec, "a wildcard after a pre-, post- or dev-release")
        _check_epoch(prefix, spec)
        ranges = _prefix(prefix.release)
        return ranges if op == "==" else _complement(ranges)
    version = parse_pep440(text)
    _check_epoch(version, spec)
    if op in {"==", "!="}:
        ranges = _equal(version)
        return ranges if op == "==" else _complement(ranges)
    if op == "~=":
        return _intersect(_greater_equal(version), _prefix(version.release[:-1]))
    if op == ">=":
        return _greater_equal(version)
    if op == "<":
        return _complement(_greater_equal(version))
    if op == ">":
        return _greater(version)
    if op == "<=":
        if version.post is None and not version.is_prerelease and version.local is None:
            # Not the complement of ">V": that one also leaves out V's post-releases (PEP 440),
            # which "<=V" leaves out too, since they are greater than V.
            return _union(_complement(_greater_equal(version)), _equal(version))
        return _complement(_greater(version))
    raise _unexpressible(spec, f"the operator {op!r}")  # pragma: no cover - packaging has no other


def _equal(version: Version) -> _Ranges:
    if version.local is not None or version.is_prerelease:
        # Only this exact spelling can match (pins of pre-releases and local builds).
        return _points([convert_version(version)])
    if version.post is not None:
        return _points([_post(z, version.post) for z in _spellings(version.release)])
    return _points(_spellings(version.release))


def _floor(version: Version) -> tuple[tuple[int, ...], int | None]:
    """Return the lowest final or post-release version >= *version*: (release, post)."""
    if version.is_prerelease and version.post is None:
        return version.release, None  # 1.0rc1 -> 1.0; 1.0.dev1 -> 1.0
    return version.release, version.post  # 1.0.post1.dev1 -> 1.0.post1


def _greater_equal(version: Version) -> _Ranges:
    release, post = _floor(version)
    if post is None:
        # Every spelling of release, and everything above, starts at the shortest spelling.
        return _at_least(_numbers(_stripped(release)))
    return _from_post(release, post)


def _greater(version: Version) -> _Ranges:
    if version.is_devrelease or version.is_prerelease:
        return _greater_equal(version)  # no final or post-release lies between
    if version.post is None:
        # PEP 440: ">V" admits no post-release of V.
        return _above_release(version.release)
    return _from_post(version.release, version.post + 1)


def _points_for_arbitrary(text: str, spec: Specifier) -> _Ranges:
    try:
        version = Version(text)
    except PEP440InvalidVersion:
        raise _unexpressible(spec, "arbitrary equality with a string that is no version") from None
    if str(version) != text:
        raise _unexpressible(spec, "arbitrary equality with a non-canonical spelling")
    _check_epoch(version, spec)
    return _points([convert_version(version)])


def _check_epoch(version: Version, spec: Specifier) -> None:
    if version.epoch:
        raise _unexpressible(spec, f"epoch {version.epoch}")


def _unexpressible(spec: Specifier | str, why: str) -> InvalidRequirement:
    exc: InvalidRequirement = InvalidRequirement(
        f"specifier {str(spec)!r} cannot be expressed as a rez version range: {why}",
        hint="pin a version of this project explicitly",
    )
    return exc


def convert_specifier(specifier: str | SpecifierSet) -> str:
    """Return the rez range admitting exactly what PEP 440 *specifier* admits.

    Exact for every final and post-release version (see the module docstring); a pinned
    pre-release or local version is admitted as written. ``""`` means any version.

    :raises InvalidRequirement: the specifier is invalid, admits no version (``<2,>3``), or
        uses something rez cannot express (``===foo``, epochs).

    >>> convert_specifier(">1.0.post1")
    '1.post2+<1.0|1.0.post2+<1.0.0|1.0.0.post2+<1.0.0.0|1.0.0.0.post2+'
    >>> convert_specifier("<2,>3")
    Traceback (most recent call last):
    ...
    pkgimport.errors.InvalidRequirement: specifier '<2,>3' admits no version
    """
    if isinstance(specifier, str):
        try:
            specifier = SpecifierSet(specifier)
        except InvalidSpecifier:
            raise InvalidRequirement(f"invalid PEP 440 specifier {specifier!r}") from None
    ranges = _ANY
    for spec in sorted(specifier, key=str):
        ranges = _intersect(ranges, _convert_one(spec))
    if not ranges:
        raise with_hint(
            InvalidRequirement(f"specifier {str(specifier)!r} admits no version"),
            "check the requirement for contradictory bounds",
        )
    return _render(ranges)
