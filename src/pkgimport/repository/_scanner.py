r"""A fast, exact reader for the package.py layout that rez and pkgimport write.

Listing a repository reads every package file, so the common layout must not pay for ``ast``
(~30 µs a file) nor ``compile``. :func:`scan_package` reads, without running anything:

* ``name = <literal>`` statements at column 0, where the literal is a string (any quoting,
  escapes decoded by ``ast.literal_eval`` of that one token), an integer, a float, ``True``,
  ``False``, ``None``, or lists and dicts of those; rez's ``name = \`` continuation;
* ``def commands():`` (and ``pre_commands``/``post_commands``) blocks made only of the lines
  :mod:`._package_py` generates (``env.X.append('...')``, ``alias('a', literal('...'))`` ...),
  kept as source;
* blank lines and comments.

It answers ``None`` as soon as anything else appears; the caller then parses the file with
``ast``. The grammar accepted is a strict subset of Python whose meaning is plain, so a file
it accepts gives exactly the values Python would give.
"""

from __future__ import annotations

import ast
import keyword
import re
from typing import Any

__all__ = ["scan_package"]

# -- the common case: one regex per statement --------------------------------------------------

# A string literal without escapes, newlines or NUL (which Python refuses in source).
_PLAIN_STR = r"""(?:'[^'\\\r\n\x00]*'|"[^"\\\r\n\x00]*")"""
_GAP = r"[ \t\r\n]*"
_LIST = rf"\[{_GAP}(?:{_PLAIN_STR}{_GAP}(?:,{_GAP}{_PLAIN_STR}{_GAP})*(?:,{_GAP})?)?\]"
_LISTS = rf"\[{_GAP}(?:{_LIST}{_GAP}(?:,{_GAP}{_LIST}{_GAP})*(?:,{_GAP})?)?\]"
_BLANK_LINES = r"(?:[ \t]*(?:\#[^\r\n]*)?\r?\n)*"
_EOL = r"[ \t]*(?:\#[^\r\n]*)?(?:\r?\n|\Z)"
_SIMPLE = re.compile(
    rf"""
    {_BLANK_LINES}
    ([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*     # name =
    (?:\\\r?\n[ \t]*)?                        # a backslash continuation, as rez writes
    (?:
        ({_PLAIN_STR})                        # a string
      | (0|[1-9][0-9]*)                       # an integer
      | (True|False|None)
      | ({_LIST})                             # a list of strings
      | ({_LISTS})                            # a list of lists of strings
    )
    {_EOL}
    """,
    re.VERBOSE,
)
_INNER_LIST = re.compile(_LIST)
_STRINGS = re.compile(r"""'([^'\\\r\n\x00]*)'|"([^"\\\r\n\x00]*)\"""")
_TAIL = re.compile(rf"{_BLANK_LINES}[ \t]*(?:\#[^\r\n]*)?\Z")
_CONSTANTS: dict[str, object] = {"True": True, "False": False, "None": None}
_KEYWORDS = frozenset(keyword.kwlist)

# -- other literal values: a token regex and a small recursive-descent parser ------------------

# Single-line strings with escapes (a backslash-newline continuation is left to ast).
_STR = r"""'(?:[^'\\\r\n\x00]|\\[^\r\n\x00])*'|"(?:[^"\\\r\n\x00]|\\[^\r\n\x00])*\""""
# Triple-quoted: ends at the first unescaped triple quote, exactly as Python's tokenizer.
# No '\r' (Python would turn '\r\n' into '\n' inside the string).
_TRIPLE = (
    r"""'''(?:[^'\\\r\x00]|\\[^\r\x00]|'(?!''))*'''"""
    r'''|"""(?:[^"\\\r\x00]|\\[^\r\x00]|"(?!""))*"""'''
)
_FLOAT = r"(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+"
_TOKEN = re.compile(
    rf"""
    (?P<triple>{_TRIPLE})
  | (?P<str>{_STR})
  | (?P<float>-?(?:{_FLOAT}))(?![\w.])
  | (?P<int>-?(?:0|[1-9][0-9]*))(?![\w.])
  | (?P<const>True|False|None)(?!\w)
  | (?P<open>[\[{{])
    """,
    re.VERBOSE,
)
# Inside brackets: blanks, line breaks and comments.
_INNER_GAP = re.compile(r"(?:[ \t\r\n]+|\#[^\r\n]*)*")
_PUNCT = re.compile(r"[,:\]}]")
_ASSIGN = re.compile(
    rf"{_BLANK_LINES}([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?:\\\r?\n[ \t]*)?(?=\S)"
)
_END = re.compile(_EOL)
_MAX_DEPTH = 40

# -- def commands(): blocks as _package_py writes them -----------------------------------------

_ARG = rf"(?:{_STR}|literal\((?:{_STR})\))"
# (Spaces as '[ ]': this is part of a VERBOSE pattern.)
_ACTION = (
    rf"env\.[A-Z][A-Z0-9_]*(?:[ ]=[ ]{_ARG}|\.unset\(\)|\.(?:append|prepend)\({_ARG}\))"
    rf"|(?:alias|setenv|appendenv|prependenv)\((?:{_STR}),[ ]{_ARG}\)"
    rf"|info\({_ARG}\)|unsetenv\((?:{_STR})\)"
)
_DEF = re.compile(
    rf"""
    {_BLANK_LINES}
    (?P<source>def[ ](?P<name>commands|pre_commands|post_commands)\(\):\r?\n
        (?:[ ]{{4}}(?:{_ACTION})\r?\n)*
        [ ]{{4}}(?:{_ACTION})(?:\r?\n|\Z)
    )
    """,
    re.VERBOSE,
)


class _Unsure(Exception):  # noqa: N818 - internal signal, never escapes this module
    """The text is outside the scanner's grammar: let ast decide."""


def _decode_string(token: str, quote_len: int) -> str:
    if "\\" in token or "\r" in token:
        return ast.literal_eval(token)  # type: ignore[no-any-return]
    return token[quote_len:-quote_len]


def _parse_value(text: str, pos: int, depth: int) -> tuple[object, int]:
    """Parse one literal at *pos*; return it and the position after it."""
    token = _TOKEN.match(text, pos)
    if token is None or depth > _MAX_DEPTH:
        raise _Unsure
    kind, raw, end = token.lastgroup, token.group(), token.end()
    if kind == "str":
        return _decode_string(raw, 1), end
    if kind == "triple":
        return _decode_string(raw, 3), end
    if kind == "int":
        return int(raw), end
    if kind == "float":
        return float(raw), end
    if kind == "const":
        return _CONSTANTS[raw], end
    if raw == "[":
        return _parse_list(text, end, depth + 1)
    return _parse_dict(text, end, depth + 1)


def _punct(text: str, pos: int) -> tuple[str, int]:
    """Skip blanks and comments, then read one of ``, : ] }`` ('' if something else)."""
    pos = _INNER_GAP.match(text, pos).end()  # type: ignore[union-attr]
    found = _PUNCT.match(text, pos)
    return (found.group(), found.end()) if found else ("", pos)


def _parse_list(text: str, pos: int, depth: int) -> tuple[list[object], int]:
    items: list[object] = []
    while True:
        mark, after = _punct(text, pos)
        if mark == "]":
            return items, after
        if mark:
            raise _Unsure
        item, pos = _parse_value(text, after, depth)
        items.append(item)
        mark, pos = _punct(text, pos)
        if mark == "]":
            return items, pos
        if mark != ",":
            raise _Unsure


def _parse_dict(text: str, pos: int, depth: int) -> tuple[dict[str, object], int]:
    items: dict[str, object] = {}
    while True:
        mark, after = _punct(text, pos)
        if mark == "}":
            return items, after
        if mark:
            raise _Unsure
        key, pos = _parse_value(text, after, depth)
        if type(key) is not str:
            raise _Unsure  # keep to string keys, what JSON-like metadata uses
        mark, pos = _punct(text, pos)
        if mark != ":":
            raise _Unsure
        pos = _INNER_GAP.match(text, pos).end()  # type: ignore[union-attr]
        items[key], pos = _parse_value(text, pos, depth)
        mark, pos = _punct(text, pos)
        if mark == "}":
            return items, pos
        if mark != ",":
            raise _Unsure


def _scan_other(
    text: str, pos: int, attrs: dict[str, object], functions: dict[str, str]
) -> int | None:
    """Read one statement outside the simple regex; return the next position or ``None``."""
    block = _DEF.match(text, pos)
    if block is not None:
        name = block["name"]
        attrs.pop(name, None)
        functions[name] = block["source"].rstrip("\r\n")
        return block.end()
    head = _ASSIGN.match(text, pos)
    if head is None or head.group(1) in _KEYWORDS:
        return None
    try:
        value, end = _parse_value(text, head.end(), 0)
    except (_Unsure, ValueError, SyntaxError, RecursionError):
        return None
    tail = _END.match(text, end)
    if tail is None:
        return None
    functions.pop(head.group(1), None)
    attrs[head.group(1)] = value
    return tail.end()


def _list_items(text: str) -> list[str]:
    """Return the strings of a list ``_LIST`` matched and that has no ``"`` in it.

    Every string is then ``'...'`` without escapes or quotes inside, so splitting on ``'``
    gives separators and items by turns (several times faster than a regex).
    """
    return text.split("'")[1::2]


def scan_package(text: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    r"""Return ``(attributes, function sources)`` of *text*, or ``None`` when unsure.

    *text* is the decoded file (the caller checks the coding cookie).

    >>> scan_package("name = 'foo'\nrequires = ['bar-1']\n")
    ({'name': 'foo', 'requires': ['bar-1']}, {})
    >>> scan_package("import os\n") is None
    True
    """
    attrs: dict[str, Any] = {}
    functions: dict[str, str] = {}
    pos = 0
    end = len(text)
    match = _SIMPLE.match
    strings = _STRINGS.findall
    # Performance: this loop runs for every package of a repository listing; keep it tight.
    while pos < end:
        found = match(text, pos)
        if found is None:
            if _TAIL.match(text, pos) is not None:
                break
            after = _scan_other(text, pos, attrs, functions)
            if after is None:
                return None
            pos = after
            continue
        name, str_, int_, const, list_, lists = found.groups()
        if name in _KEYWORDS:
            return None
        if str_ is not None:
            attrs[name] = str_[1:-1]
        elif int_ is not None:
            attrs[name] = int(int_)
        elif const is not None:
            attrs[name] = _CONSTANTS[const]
        elif list_ is not None:
            attrs[name] = (
                _list_items(list_) if '"' not in list_ else [a or b for a, b in strings(list_)]
            )
        else:
            attrs[name] = [
                _list_items(i) if '"' not in i else [a or b for a, b in strings(i)]
                for i in _INNER_LIST.findall(lists, 1)
            ]
        if functions:
            functions.pop(name, None)
        pos = found.end()
    return attrs, functions
