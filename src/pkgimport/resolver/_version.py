"""rez's ``Version`` and its comparison key (re-exported by :mod:`pkgimport.resolver.versions`).

Private module: import from :mod:`pkgimport.resolver.versions`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Final, final

from pkgimport.errors import InvalidVersion

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["EMPTY", "INF_KEY", "JUST_ABOVE", "Immutable", "Version", "VersionKey"]

VersionKey = tuple[int | str, ...]
"""A flat tuple of ints and strs that orders, compares and hashes like its :class:`Version`."""

# --- The comparison key ------------------------------------------------------------------------
#
# rez compares versions token by token (a proper prefix is smaller, so more tokens = newer),
# each token subtoken by subtoken (again prefix-smaller). We flatten that into one tuple so that
# Python compares it in C. Every subtoken starts with a tag int and every token ends with _END:
#
# * _END < _ALPHA < _NUMERIC: a token that ends here is smaller than one that goes on
#   (``1 < 1a``, ``alpha < alpha3``), whatever subtoken would follow.
# * alpha subtoken (_ALPHA, s): alphas sort before numbers ("beta" < "1"), and among
#   themselves by plain str comparison = ASCII ("A" < "_" < "a"), as rez does.
# * numeric subtoken (_NUMERIC, int(s), s): numbers compare by value, then by text, so zero
#   padding is significant and smaller: ``01 < 1``, ``0 < 00``.
# * a version that ends is smaller than one with more tokens: the shorter key is a prefix.
#
# Two keys can only be compared element by element while their structures agree, so a str is
# never compared with an int. MAX sorts after every version key (those start with a tag <= 2).
_END: Final = 0
_ALPHA: Final = 1
_NUMERIC: Final = 2
INF_KEY: Final[VersionKey] = (3,)
"""The key of :attr:`Version.inf`."""
# Appending JUST_ABOVE to a key gives a key that sits between the version and every version
# greater than it (what follows a token end is a tag >= 1). So "x >= key + (JUST_ABOVE,)" is
# "x > key": exclusive lower and inclusive upper bounds become single tuple comparisons.
JUST_ABOVE: Final = -1
"""Appended to a key: just above that version (see above)."""

_TOKEN_RE = re.compile(r"[a-zA-Z0-9_]+")
_SUBTOKEN_RE = re.compile(r"[0-9]+|[^0-9]+")
CACHE_LIMIT: Final = 200_000
"""Parse caches are emptied when they reach this size (bounded memory on odd inputs)."""


class Immutable:
    """Base of the value types: attributes are set once, in the constructor.

    Instances are shared through parse caches, so a mutation would leak into every user.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")


def _make_key(tokens: Iterable[str]) -> VersionKey:
    key: list[int | str] = []
    for token in tokens:
        for sub in _SUBTOKEN_RE.findall(token):
            if "0" <= sub[0] <= "9":
                key += (_NUMERIC, int(sub), sub)
            else:
                key += (_ALPHA, sub)
        key.append(_END)
    return tuple(key)


@final
class Version(Immutable):
    """A rez version: tokens of ``[a-zA-Z0-9_]`` separated by single characters.

    Separators are cosmetic (``1.0 == 1-0``) but kept by ``str()``. The empty version ``""``
    is the smallest version and is falsy.

    :raises InvalidVersion: the text has a leading, trailing or doubled separator.

    >>> sorted(Version(s) for s in ["1.0.0", "1", "1.0", "01", "beta"])
    [Version('beta'), Version('01'), Version('1'), Version('1.0'), Version('1.0.0')]
    """

    __slots__ = ("_hash", "_key", "_next", "_str", "seps", "tokens")

    tokens: tuple[str, ...]
    """The tokens as written (``("1", "2b")`` for ``1.2b``)."""
    seps: tuple[str, ...]
    """The separators between tokens (``(".",)`` for ``1.2b``)."""
    _key: VersionKey
    _hash: int
    _str: str
    _next: Version | None

    inf: ClassVar[Version]
    """rez's infinite version (``Version("").next()``); greater than every version."""
    _cache: ClassVar[dict[str, Version]] = {}

    def __new__(cls, s: str = "") -> Version:
        """Parse *s*, or return the cached instance for it."""
        cached = cls._cache.get(s)
        if cached is not None:
            return cached
        self = cls._from_text(s)
        if len(cls._cache) >= CACHE_LIMIT:
            cls._cache.clear()
        cls._cache[s] = self
        return self

    @classmethod
    def parse(cls, s: str) -> Version:
        """Return the (cached) version for *s*; the same as ``Version(s)``."""
        return cls(s)

    @classmethod
    def _from_text(cls, s: str) -> Version:
        if not s:
            return cls._build((), (), "")
        # Fast path for the common dotted numbers ("1.2.3"), also with the "_" that next()
        # appends ("1.2_", the upper end of the range "1.2"): one split instead of three regex
        # scans. ASCII digits only (str.isdigit also accepts "²"), no empty token (that would
        # be a bad separator); the key is what _make_key builds for these tokens.
        underscore = s[-1] == "_"
        stem = s[:-1] if underscore else s
        parts = stem.split(".")
        if stem.isascii() and stem.replace(".", "").isdigit() and "" not in parts:
            key: list[int | str] = []
            for part in parts:
                key += (_NUMERIC, int(part), part, _END)
            if underscore:  # "2_" is the subtokens 2 and "_"
                key[-1:] = (_ALPHA, "_", _END)
                parts[-1] += "_"
            return cls._build(tuple(parts), (".",) * (len(parts) - 1), s, tuple(key))
        tokens = _TOKEN_RE.findall(s)
        if not tokens:
            raise InvalidVersion(f"invalid version {s!r}: no version token")
        seps = _TOKEN_RE.split(s)
        # rez: no leading or trailing separator, and each separator is exactly one character.
        if seps[0] or seps[-1] or any(len(sep) > 1 for sep in seps):
            raise InvalidVersion(f"invalid version {s!r}: bad separator")
        return cls._build(tuple(tokens), tuple(seps[1:-1]), s)

    @classmethod
    def _build(
        cls,
        tokens: tuple[str, ...],
        seps: tuple[str, ...],
        text: str | None = None,
        key: VersionKey | None = None,
    ) -> Version:
        self = _new(cls)
        if text is None:
            text = "".join(t + s for t, s in zip(tokens, (*seps, ""), strict=False))
        if key is None:
            key = _make_key(tokens)
        _set_tokens(self, tokens)
        _set_seps(self, seps)
        _set_str(self, text)
        _set_key(self, key)
        _set_hash(self, hash(key))
        _set_next(self, None)
        return self

    def __reduce__(self) -> tuple[object, ...]:
        # Instances are shared through the cache: never let pickle rebuild one in place.
        if self is Version.inf:
            return (getattr, (Version, "inf"))
        return (Version, (self._str,))

    def sort_key(self) -> VersionKey:
        """Return a tuple of ints and strs ordered, compared and hashed exactly like the version.

        Use it to sort many versions fast (``sorted(vs, key=Version.sort_key)``) or as a dict
        key when separators do not matter.

        >>> Version("1.0").sort_key() == Version("1-0").sort_key()
        True
        """
        return self._key

    def next(self) -> Version:
        """Return the smallest version greater than every version this one is a prefix of.

        ``next(1.2) == 1.2_``; used as the exclusive upper bound of the range ``1.2``.
        The next of the empty version is :attr:`Version.inf`.
        """
        nxt = self._next
        if nxt is None:
            # Appending "_" to the last token gives exactly rez's next token: a "_" subtoken
            # after a number, or "_" glued to a trailing alpha subtoken.
            nxt = Version(self._str + "_") if self.tokens else Version.inf
            object.__setattr__(self, "_next", nxt)
        return nxt

    def trim(self, length: int) -> Version:
        """Return a copy with at most *length* tokens (``trim(1.2.3, 2) == 1.2``)."""
        tokens = self.tokens[:length]
        seps = (*self.seps[: max(len(tokens) - 1, 0)], "")
        return Version("".join(t + s for t, s in zip(tokens, seps, strict=False)))

    def as_tuple(self) -> tuple[str, ...]:
        """Return the tokens as strings (``("1", "2", "12")``)."""
        return self.tokens

    @property
    def major(self) -> str:
        """The first token (raises IndexError if there is none)."""
        return self[0]

    @property
    def minor(self) -> str:
        """The second token."""
        return self[1]

    @property
    def patch(self) -> str:
        """The third token."""
        return self[2]

    def __getitem__(self, index: int) -> str:
        try:
            return self.tokens[index]
        except IndexError:
            raise IndexError("version token index out of range") from None

    def __len__(self) -> int:
        return len(self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return f"Version({self._str!r})"

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Version):
            return self._key == other._key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Version):
            return self._key != other._key
        return NotImplemented

    def __lt__(self, other: Version) -> bool:
        try:
            return self._key < other._key
        except AttributeError:  # not a Version: let Python raise its TypeError
            return NotImplemented

    def __le__(self, other: Version) -> bool:
        try:
            return self._key <= other._key
        except AttributeError:  # not a Version: let Python raise its TypeError
            return NotImplemented

    def __gt__(self, other: Version) -> bool:
        try:
            return self._key > other._key
        except AttributeError:  # not a Version: let Python raise its TypeError
            return NotImplemented

    def __ge__(self, other: Version) -> bool:
        try:
            return self._key >= other._key
        except AttributeError:  # not a Version: let Python raise its TypeError
            return NotImplemented


# A cold resolve builds a few thousand versions: setting the slots through their descriptors
# skips the attribute lookup of object.__setattr__ (Immutable forbids plain assignment).
_new = object.__new__
_set_tokens, _set_seps, _set_str, _set_key, _set_hash, _set_next = (
    Version.__dict__[slot].__set__ for slot in ("tokens", "seps", "_str", "_key", "_hash", "_next")
)
Version.__module__ = "pkgimport.resolver.versions"  # its public home (pickles, docs)
Version.inf = Version._build((), (), "[INF]", INF_KEY)
EMPTY = Version("")
"""The empty version, the smallest of all."""
