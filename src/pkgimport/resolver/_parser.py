"""Recursive-descent parser for rez version ranges and requirement strings.

rez 3.4 matches each ``|``-separated part of a range against one big regular expression made
of seven anchored alternatives, tried in order; the first alternative that matches decides
what the part means, even when another one would also match (``4,<3`` is an ascending range
``[4, 3)`` and therefore an invalid bound, although ``<=4,<3`` reads as descending). This
module mirrors that: one ``_parse_<rule>`` function per alternative, each with its rule as
docstring, tried in rez's order by :func:`parse_range_part`.

The parser only decides *syntax*. It returns :class:`BoundSpec` values (version texts plus
inclusivity); :mod:`pkgimport.resolver.versions` turns them into bounds and checks them
(``2+<1`` is syntactically fine but an invalid bound).

Grammar (``VERSION`` is one token, see :mod:`pkgimport.resolver._tokenizer`)::

    range      = part ("|" part)*     ; an empty part makes the whole range "any"
    part       = version | exact | inclusive | lower | upper | ascending | descending
    version    = VERSION                                      ; 1      = [1, 1_)
    exact      = "==" [VERSION]                               ; ==1    = [1, 1]
    inclusive  = [VERSION] ".." [VERSION]                     ; 1..2   = [1, 2]
    lower      = (">" | ">=") [VERSION] | [VERSION] "+"       ; >1, 1+
    upper      = "<" VERSION | "<=" [VERSION]                 ; <1, <=1
    ascending  = [lower_asc] [","] upper                      ; 1+<2, >=1,<2
    descending = [upper_desc] [","] lower_desc                ; <=4,>2

A missing VERSION is the empty version ("" sorts first), so ``<=`` is ``==`` and ``>`` is
"any non-empty version".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from pkgimport.resolver._tokenizer import VERSION_PATTERN, Token, TokenKind, tokenize_range_part

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "BoundSpec",
    "RangeSyntaxError",
    "RequirementParts",
    "parse_range_part",
    "split_requirement",
]


class RangeSyntaxError(ValueError):
    """A range part matches no rule of the grammar (internal; versions.py rewraps it)."""


class BoundSpec(NamedTuple):
    """One contiguous bound as written: version texts and inclusivity, not yet validated."""

    lower: str
    """Lower version text; ``""`` is the empty version (the minimum)."""
    lower_inclusive: bool
    """Whether the lower version itself is in the bound."""
    upper: str | None
    """Upper version text; ``None`` is infinity."""
    upper_inclusive: bool
    """Whether the upper version itself is in the bound (always True for infinity)."""


class _Cursor:
    """A position in a token list, with one-token lookahead."""

    __slots__ = ("pos", "tokens")

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, kind: TokenKind) -> bool:
        return self.pos < len(self.tokens) and self.tokens[self.pos].kind == kind

    def take(self, kind: TokenKind) -> str | None:
        """Consume the next token if it is *kind*; return its text."""
        if self.peek(kind):
            self.pos += 1
            return self.tokens[self.pos - 1].text
        return None

    def take_operator(self, *kinds: TokenKind) -> TokenKind | None:
        """Consume the next token if it is one of *kinds*; return its kind."""
        for kind in kinds:
            if self.take(kind) is not None:
                return kind
        return None

    def at_end(self) -> bool:
        return self.pos == len(self.tokens)


def _done(cur: _Cursor, spec: BoundSpec) -> BoundSpec | None:
    """Return *spec* if every token was consumed (rules are anchored at both ends)."""
    return spec if cur.at_end() else None


def _parse_version(cur: _Cursor) -> BoundSpec | None:
    """Parse ``version = VERSION``.

    The "superset" form: ``1`` holds ``1``, ``1.0``, ``1.5.3`` but not ``10``: ``[V, next(V))``,
    and ``next(V)`` is ``V`` with ``_`` appended.
    """
    text = cur.take("VERSION")
    if text is None or not cur.at_end():
        return None
    return BoundSpec(text, lower_inclusive=True, upper=text + "_", upper_inclusive=False)


def _parse_exact(cur: _Cursor) -> BoundSpec | None:
    """Parse ``exact = "==" [VERSION]``."""
    if cur.take("EQ") is None:
        return None
    text = cur.take("VERSION") or ""
    return _done(cur, BoundSpec(text, lower_inclusive=True, upper=text, upper_inclusive=True))


def _parse_inclusive(cur: _Cursor) -> BoundSpec | None:
    """Parse ``inclusive = [VERSION] ".." [VERSION]``."""
    lower = cur.take("VERSION") or ""
    if cur.take("DOTDOT") is None:
        return None
    upper = cur.take("VERSION") or ""
    return _done(cur, BoundSpec(lower, lower_inclusive=True, upper=upper, upper_inclusive=True))


def _parse_lower(cur: _Cursor) -> BoundSpec | None:
    """Parse ``lower = (">" | ">=") [VERSION] | [VERSION] "+"``."""
    operator = cur.take_operator("GT", "GE")
    text = cur.take("VERSION") or ""
    # "+" is required without an operator, and not allowed after one.
    if operator is None and cur.take("PLUS") is None:
        return None
    exclusive = operator == "GT"
    return _done(
        cur, BoundSpec(text, lower_inclusive=not exclusive, upper=None, upper_inclusive=True)
    )


def _parse_upper(cur: _Cursor) -> BoundSpec | None:
    """Parse ``upper = "<" VERSION | "<=" [VERSION]``."""
    if cur.take("LT") is not None:
        text = cur.take("VERSION")
        if text is None:
            return None
        return _done(cur, BoundSpec("", lower_inclusive=True, upper=text, upper_inclusive=False))
    if cur.take("LE") is not None:
        text = cur.take("VERSION") or ""
        return _done(cur, BoundSpec("", lower_inclusive=True, upper=text, upper_inclusive=True))
    return None


def _parse_ascending(cur: _Cursor) -> BoundSpec | None:
    """Parse ``ascending = [lower_asc] ["," (only after a lower VERSION)] upper_asc``.

    lower_asc = (">" | ">=") [VERSION] | [VERSION] ["+"]
    upper_asc = "<" VERSION | "<=" [VERSION]

    ``1+<2``, ``>=1<2``, ``>1<=5``, ``1+,<2``, ``1<2`` (lower ``1`` inclusive).
    """
    # 1. The optional lower bound; an absent one is the minimum.
    operator = cur.take_operator("GT", "GE")
    version = cur.take("VERSION")
    if operator is None:
        cur.take("PLUS")
    lower, lower_inclusive = version or "", operator != "GT"
    # 2. An optional comma, only after a lower *version* ("1+,<2" but not ">,<2").
    if version is not None:
        cur.take("COMMA")
    # 3. The upper bound is required.
    upper = _parse_upper(cur)
    if upper is None:
        return None
    return BoundSpec(lower, lower_inclusive, upper.upper, upper.upper_inclusive)


def _parse_descending(cur: _Cursor) -> BoundSpec | None:
    """Parse ``descending = [upper_desc] ["," (after an upper VERSION)] lower_desc``.

    upper_desc = ("<" | "<=") [VERSION] | [VERSION] ["+"]
    lower_desc = "<" VERSION | (">" | ">=") [VERSION]

    ``<=4,>2``, ``<4,>=2``. Quirks kept from rez: an upper written ``4`` or ``4+`` is
    *inclusive* (``4,>2`` is ``>2<=4``), and ``<`` before the lower version means an
    *inclusive* lower bound (``<=4,<3`` is ``3..4``).
    """
    # 1. The optional upper bound; an absent one is infinity.
    operator = cur.take_operator("LT", "LE")
    version = cur.take("VERSION")
    plus = cur.take("PLUS") if operator is None else None
    written = operator is not None or version is not None or plus is not None
    upper, upper_inclusive = (version or "") if written else None, operator != "LT"
    # 2. The comma is required after an upper version ("<4>3" is not a range) and not allowed
    #    anywhere else.
    if version is not None and cur.take("COMMA") is None:
        return None
    # 3. The lower bound is required; "<" must be followed by a version.
    operator = cur.take_operator("LT", "GT", "GE")
    lower = cur.take("VERSION")
    if operator is None or (operator == "LT" and lower is None):
        return None
    return _done(cur, BoundSpec(lower or "", operator != "GT", upper, upper_inclusive))


_VERSION_RE = re.compile(VERSION_PATTERN)
_ASCENDING_RE = re.compile(rf"({VERSION_PATTERN})\+<({VERSION_PATTERN})")

# rez's order of alternatives; the first that matches decides the meaning of the part.
_RULES: tuple[Callable[[_Cursor], BoundSpec | None], ...] = (
    _parse_version,
    _parse_exact,
    _parse_inclusive,
    _parse_lower,
    _parse_upper,
    _parse_ascending,
    _parse_descending,
)


def parse_range_part(part: str) -> BoundSpec | None:
    r"""Parse one non-empty ``|``-separated *part* of a range.

    Returns None for a part that adds no bound: rez anchors its regex with ``$``, which also
    matches before one trailing newline, so ``"1\n"`` reads as ``"1"`` and a lone ``"\n"``
    matches the empty alternative and adds nothing.

    :raises RangeSyntaxError: no rule matches.
    """
    if part.endswith("\n"):
        part = part[:-1]
        if not part:
            return None
    # Fast paths for the two forms most requirements use ("1.2" and "1.2+<2"); each regex
    # accepts exactly the token lists the rules below read that way (a VERSION token is as
    # long as it can be, and "+" or "<" always ends one).
    if _VERSION_RE.fullmatch(part):
        return BoundSpec(part, lower_inclusive=True, upper=part + "_", upper_inclusive=False)
    match = _ASCENDING_RE.fullmatch(part)
    if match:
        return BoundSpec(match[1], lower_inclusive=True, upper=match[2], upper_inclusive=False)
    return _parse_rules(part)


def _parse_rules(part: str) -> BoundSpec:
    """Tokenize *part* (no trailing newline) and try the grammar's rules in rez's order.

    :raises RangeSyntaxError: no rule matches.
    """
    tokens = tokenize_range_part(part)
    if tokens is not None:
        for rule in _RULES:
            spec = rule(_Cursor(tokens))
            if spec is not None:
                return spec
    raise RangeSyntaxError(f"syntax error in {part!r}")


_SEPARATOR_RE = re.compile(r"[-@#=<>]")


class RequirementParts(NamedTuple):
    """A requirement string split into its pieces, before the range is parsed."""

    name: str
    """Everything before the first ``-@#=<>`` (may be empty or odd; requests check it)."""
    sep: str
    """The name/range separator as written (``-``, ``@``, ``#``); ``-`` when there is none."""
    range_text: str | None
    """The range text; None when the string has no separator at all (``foo``)."""
    conflict: bool
    """``!`` or ``~`` prefix."""
    weak: bool
    """``~`` prefix."""


def split_requirement(text: str) -> RequirementParts:
    """Split ``requirement = ["!" | "~"] name [("-" | "@" | "#") range | range]``.

    The name ends at the first character in ``-@#=<>``: ``-@#`` are consumed as the separator,
    ``=<>`` start the range. So ``my-pkg-1`` is name ``my`` with range ``pkg-1``.

    >>> split_requirement("~foo>=1")
    RequirementParts(name='foo', sep='-', range_text='>=1', conflict=True, weak=True)
    """
    conflict = weak = False
    if text.startswith("!"):
        conflict, text = True, text[1:]
    elif text.startswith("~"):
        conflict = weak = True
        text = text[1:]
    match = _SEPARATOR_RE.search(text)
    if match is None:
        return RequirementParts(text, "-", None, conflict, weak)
    i = match.start()
    sep = text[i]
    if sep in "-@#":
        return RequirementParts(text[:i], sep, text[i + 1 :], conflict, weak)
    return RequirementParts(text[:i], "-", text[i:], conflict, weak)
