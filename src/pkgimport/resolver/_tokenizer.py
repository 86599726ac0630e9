"""Named-regex tokenizer for one part of a rez version range (the text between ``|``).

The range grammar (see :mod:`pkgimport.resolver._parser`) is built from a handful of
operators and version literals. Tokenizing first and parsing the token list afterwards keeps
each grammar rule a few lines long, and turns every stray character into one clear error.

>>> [t.kind for t in tokenize_range_part(">=1.0,<2")]
['GE', 'VERSION', 'COMMA', 'LT', 'VERSION']
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

__all__ = ["VERSION_PATTERN", "Token", "TokenKind", "tokenize_range_part"]

TokenKind = Literal["VERSION", "EQ", "DOTDOT", "PLUS", "GE", "GT", "LE", "LT", "COMMA"]

# Order matters where one operator is a prefix of another (">=" before ">", "<=" before "<").
# A VERSION is one or more alphanumeric tokens joined by single "." or "-" separators; it is
# matched greedily, which is safe because no operator starts with "." followed by a token
# character ("1..2" is VERSION "1", DOTDOT, VERSION "2").
VERSION_PATTERN = r"[0-9a-zA-Z_]+(?:[.-][0-9a-zA-Z_]+)*"
"""The regex of a VERSION token (also used by the parser's fast paths)."""
_TOKEN_RE = re.compile(
    rf"""
    (?P<VERSION>{VERSION_PATTERN})
    |(?P<EQ>==)
    |(?P<DOTDOT>\.\.)
    |(?P<PLUS>\+)
    |(?P<GE>>=)
    |(?P<GT>>)
    |(?P<LE><=)
    |(?P<LT><)
    |(?P<COMMA>,)
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    """One lexical token of a range part."""

    kind: TokenKind
    """What the token is: a version literal or one of the operators."""
    text: str
    """The exact source text."""


def tokenize_range_part(part: str) -> list[Token] | None:
    """Split *part* into tokens, or return None if it holds a character no token matches.

    :param part: one ``|``-separated part of a range string, without a trailing newline.
    """
    tokens: list[Token] = []
    pos = 0
    match_at = _TOKEN_RE.match
    while pos < len(part):
        match = match_at(part, pos)
        if match is None:
            return None
        kind = match.lastgroup
        tokens.append(Token(kind, match.group()))  # type: ignore[arg-type]  # group names = kinds
        pos = match.end()
    return tokens
