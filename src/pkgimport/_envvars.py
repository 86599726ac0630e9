"""rez's ``expandvars``: ``$X`` and ``${X}`` expanded where set, other references kept.

One function, shared by the rez configuration reader and the rex executor (both follow rez's
``rez.utils.formatting.expandvars``); a module of its own so neither pulls in the other.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["expand_vars"]

_REFERENCE = re.compile(r"\$(\w+|\{[^}]*\})")


def expand_vars(text: str, environ: Mapping[str, str]) -> str:
    """Expand ``$X`` and ``${X}`` found in *environ*; leave unknown references as they are.

    An expanded value is not expanded again (rez resumes the search after it).

    >>> expand_vars("$A/${B}/$C", {"A": "1", "B": "2"})
    '1/2/$C'
    """
    if "$" not in text:
        return text
    pos = 0
    while True:
        match = _REFERENCE.search(text, pos)
        if match is None:
            return text
        start, end = match.span(0)
        name = match.group(1)
        if name.startswith("{") and name.endswith("}"):
            name = name[1:-1]
        if name in environ:
            tail = text[end:]
            text = text[:start] + environ[name]
            pos = len(text)
            text += tail
        else:
            pos = end
