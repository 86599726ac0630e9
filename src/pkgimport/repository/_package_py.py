"""Render a :class:`PackageDefinition` as the text of a rez ``package.py``.

The output is deterministic (same definition, same bytes) and laid out like rez's own
``dump_package_data``: keys in rez's preferred order, one blank line between attributes, lists
of more than one item one item per line.

Security: a package.py is Python that rez executes. Every value that came from outside (a
wheel's metadata, a Scoop manifest) is written as a Python literal built by ``repr`` of a value
checked to be a plain ``str``/``int``/``float``/``bool``/``None``/list/dict, and ``commands()``
is generated from structured :class:`Action` values, never by pasting text. The one exception is
``definition.functions``: source code read from a native package file of the repository itself,
written back verbatim after checking it is exactly one ``def`` of the right name.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from typing import TYPE_CHECKING

from pkgimport.errors import InvalidPackageDefinition, InvalidRequirement, InvalidVersion
from pkgimport.resolver.requirements import parse_request
from pkgimport.resolver.versions import Version

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pkgimport.definition import Action, Condition, PackageDefinition

__all__ = ["KEY_ORDER", "render_package_py"]

KEY_ORDER = (
    "name",
    "version",
    "description",
    "authors",
    "tools",
    "has_plugins",
    "plugin_for",
    "requires",
    "build_requires",
    "private_build_requires",
    "variants",
    "commands",
    "pre_commands",
    "post_commands",
    "help",
    "config",
    "uuid",
    "timestamp",
    "release_message",
    "changelog",
    "vcs",
    "revision",
    "previous_version",
    "previous_revision",
)
"""rez's preferred attribute order (``rez.package_serialise.package_key_order``)."""

_WIDTH = 100
_INDENT = "    "
_FIELDS = frozenset(
    {
        "name",
        "version",
        "description",
        "authors",
        "requires",
        "variants",
        "tools",
        "help",
        "commands",
        "timestamp",
        "hashed_variants",
    }
)
# Names a package.py cannot define as attributes: rez's loader globals, and what we write.
_RESERVED = frozenset(
    {"scope", "early", "late", "include", "ModifyList", "InvalidPackageError"}
    | {"pkgimport", "format_version"}
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Upper-case names are written env.NAME; other names could hit an attribute of rez's
# EnvironmentDict (env.keys, env.items...), so they go through setenv('name', ...) instead.
_ENV_ATTR = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _check_request(text: object, where: str) -> str:
    if not isinstance(text, str):
        raise InvalidPackageDefinition(f"{where}: expected a requirement string, got {text!r}")
    try:
        parse_request(text)  # what rez's schema does with each entry (PackageRequest)
    except InvalidRequirement as exc:
        raise InvalidPackageDefinition(f"{where}: invalid requirement {text!r}: {exc}") from None
    return text


def _check_version(text: str) -> None:
    try:
        Version(text)
    except InvalidVersion as exc:
        raise InvalidPackageDefinition(f"version: invalid version {text!r}: {exc}") from None


# -- literals ----------------------------------------------------------------------------------


def _scalar(value: object, where: str) -> str | None:
    """``repr`` of a plain scalar, or ``None`` for a container."""
    # type() rather than isinstance(): a str subclass could override __repr__.
    kind = type(value)
    if kind in {str, int, bool} or value is None:
        return repr(value)
    if kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise InvalidPackageDefinition(f"{where}: {value!r} has no Python literal")
        return repr(value)
    if kind in {list, tuple, dict}:
        return None
    raise InvalidPackageDefinition(f"{where}: {kind.__name__} values cannot be written")


def _literal(value: object, where: str, indent: str, *, split: bool = False) -> str:
    """Render *value* as a Python literal; containers break over lines when long.

    ``split`` forces one item per line for a list of more than one item (rez's layout of a
    top-level list attribute).
    """
    scalar = _scalar(value, where)
    if scalar is not None:
        return scalar
    if isinstance(value, dict):
        return _dict_literal(value, where, indent)
    items = list(value)  # type: ignore[call-overload]
    rendered = [_literal(v, f"{where}[{i}]", indent + _INDENT) for i, v in enumerate(items)]
    inline = "[" + ", ".join(rendered) + "]"
    fits = "\n" not in inline and len(indent) + len(inline) <= _WIDTH
    if not items or (fits and not (split and len(items) > 1)):
        return inline
    body = ",\n".join(indent + _INDENT + r for r in rendered)
    return f"[\n{body}\n{indent}]"


def _dict_literal(value: dict[object, object], where: str, indent: str) -> str:
    if not value:
        return "{}"
    lines = []
    for key in sorted(value, key=str):
        if type(key) is not str:
            raise InvalidPackageDefinition(f"{where}: dictionary key {key!r} is not a string")
        text = _literal(value[key], f"{where}.{key}", indent + _INDENT)
        lines.append(f"{indent}{_INDENT}{key!r}: {text}")
    body = ",\n".join(lines)
    return f"{{\n{body}\n{indent}}}"


def _text_literal(text: str) -> str:
    """Return a literal for *text*: triple-quoted when it has several plain lines, else repr."""
    quote = "'" * 3
    if (
        "\n" in text
        and text.replace("\n", "").isprintable()
        and "\\" not in text
        and quote not in text
        and not text.endswith("'")
    ):
        candidate = quote + text + quote
        # Belt and braces: the friendlier form only if Python reads back the very same string.
        if ast.literal_eval(candidate) == text:
            return candidate
    return str.__repr__(text)


# -- commands ----------------------------------------------------------------------------------


def _quote(text: object, where: str) -> str:
    """``repr`` of a string, immune to a ``str`` subclass overriding ``__repr__``."""
    if not isinstance(text, str):
        raise InvalidPackageDefinition(f"{where}: expected a string, got {text!r}")
    return str.__repr__(text)


def _action_line(action: Action) -> str:
    value = _quote(action.value, f"{action.kind} {action.key}")
    if action.literal:
        value = f"literal({value})"
    key, kind = action.key, action.kind
    quoted_key = _quote(key, kind)
    if kind == "alias":
        return f"alias({quoted_key}, {value})"
    if kind == "info":
        return f"info({value})"
    if _ENV_ATTR.match(key):
        if kind == "setenv":
            return f"env.{key} = {value}"
        if kind == "unsetenv":
            return f"env.{key}.unset()"
        return f"env.{key}.{kind.removesuffix('env')}({value})"
    if kind == "unsetenv":
        return f"unsetenv({quoted_key})"
    return f"{kind}({quoted_key}, {value})"


def _condition_text(condition: Condition) -> str:
    """Return the rex test for *condition*; its value is a checked literal, never code."""
    if condition.kind == "variant":
        requirement = _quote(_check_request(condition.value, "condition"), "condition")
        # The variant's own requirements (rez: Requirement objects, so compared as text).
        return f"{requirement} in map(str, this.variant_requires)"
    if condition.kind not in {"defined", "undefined"} or not _ENV_NAME.match(condition.value):
        raise InvalidPackageDefinition(f"condition: cannot write {condition!r}")
    return f"{condition.kind}({_quote(condition.value, 'condition')})"


def _render_commands(actions: tuple[Action, ...]) -> str:
    """``def commands():``; consecutive steps with the same conditions share one ``if``."""
    lines: list[str] = []
    current: tuple[Condition, ...] = ()
    for action in actions:
        if action.when != current:
            current = action.when
            if current:
                test = " and ".join(_condition_text(c) for c in current)
                lines.append(f"{_INDENT}if {test}:")
        indent = _INDENT * (2 if current else 1)
        lines.append(indent + _action_line(action))
    body = "\n".join(lines)
    return f"def commands():\n{body}"


def _checked_function(key: str, source: str) -> str:
    """Return native function *source* if it is exactly one ``def key(...)``."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise InvalidPackageDefinition(
            f"functions[{key!r}]: line {exc.lineno}: {exc.msg}"
        ) from None
    body = module.body
    if len(body) != 1 or not isinstance(body[0], ast.FunctionDef) or body[0].name != key:
        raise InvalidPackageDefinition(f"functions[{key!r}]: expected a single 'def {key}()'")
    return source.strip("\n")


# -- the file ----------------------------------------------------------------------------------


def _iter_fields(d: PackageDefinition) -> Iterator[tuple[str, str]]:
    """Yield ``(key, text)`` for each structured field that has a value."""
    if d.version:
        _check_version(d.version)
    yield "name", f"name = {_quote(d.name, 'name')}"
    if d.version:
        yield "version", f"version = {_quote(d.version, 'version')}"
    if d.description is not None:
        yield "description", f"description = {_text_literal(_str(d.description, 'description'))}"
    for key, values in (("authors", d.authors), ("tools", d.tools)):
        if values:
            yield key, f"{key} = {_literal(values, key, '', split=True)}"
    if d.requires:
        for i, req in enumerate(d.requires):
            _check_request(req, f"requires[{i}]")
        yield "requires", f"requires = {_literal(d.requires, 'requires', '', split=True)}"
    if d.variants:
        for i, variant in enumerate(d.variants):
            for j, req in enumerate(variant):
                _check_request(req, f"variants[{i}][{j}]")
        yield "variants", f"variants = {_literal(d.variants, 'variants', '', split=True)}"
    if d.commands:
        yield "commands", _render_commands(d.commands)
    if d.help is not None:
        help_ = d.help if isinstance(d.help, str) else [list(pair) for pair in d.help]
        yield "help", f"help = {_literal(help_, 'help', '', split=True)}"
    if d.timestamp is not None:
        if type(d.timestamp) is not int:
            raise InvalidPackageDefinition(f"timestamp: expected an int, got {d.timestamp!r}")
        yield "timestamp", f"timestamp = {d.timestamp!r}"
    if d.hashed_variants:
        yield "hashed_variants", "hashed_variants = True"


def _str(value: object, where: str) -> str:
    if type(value) is not str:
        raise InvalidPackageDefinition(f"{where}: expected a string, got {value!r}")
    return value


def _check_attribute_name(key: object, where: str) -> str:
    if (
        type(key) is not str
        or not _IDENTIFIER.match(key)
        or keyword.iskeyword(key)
        or key.startswith("__")
        or key in _RESERVED
    ):
        raise InvalidPackageDefinition(f"{where}: {key!r} cannot be a package attribute")
    return key


def _collect(d: PackageDefinition) -> dict[str, str]:
    """Every attribute's text by key; raises on clashes between fields, extra and functions."""
    items = dict(_iter_fields(d))
    for key, source in d.functions.items():
        _check_attribute_name(key, "functions")
        if key in items or key in d.extra:
            raise InvalidPackageDefinition(f"functions[{key!r}]: {key!r} is also given as a value")
        items[key] = _checked_function(key, source)
    for key, value in d.extra.items():
        _check_attribute_name(key, "extra")
        # Rex code in a string (a package.yaml's `commands: |`) stays a string: rez runs a
        # string as a function body but a function's body as module code.
        rex_text = key == "commands" and type(value) is str and not d.commands
        if key in items or (key in _FIELDS and not rex_text):
            raise InvalidPackageDefinition(f"extra[{key!r}]: {key!r} is a definition field")
        items[key] = f"{key} = {_literal(value, key, '', split=True)}"
    if d.metadata:
        items["pkgimport"] = f"pkgimport = {_literal(dict(d.metadata), 'pkgimport', '')}"
    return items


def render_package_py(definition: PackageDefinition) -> str:
    """Return the text of a ``package.py`` for *definition* that rez 3.4 loads as is.

    Attributes appear in rez's order (:data:`KEY_ORDER`), then the others sorted by name, then
    ``pkgimport`` (the ``metadata``) and ``format_version = 2``.

    :raises InvalidPackageDefinition: a requirement or version is not valid rez syntax, a value
        has no Python literal (a set, ``nan``, an object), an ``extra`` or ``functions`` key
        clashes with a field or is not an identifier, or a kept function is not one ``def``.

    >>> from pkgimport.definition import Action, PackageDefinition
    >>> print(render_package_py(PackageDefinition(name="foo", version="1.0",
    ...     requires=("python-3",), commands=(Action.prepend("PATH", "{root}/bin"),))))
    # -*- coding: utf-8 -*-
    <BLANKLINE>
    name = 'foo'
    <BLANKLINE>
    version = '1.0'
    <BLANKLINE>
    requires = ['python-3']
    <BLANKLINE>
    def commands():
        env.PATH.prepend('{root}/bin')
    <BLANKLINE>
    format_version = 2
    <BLANKLINE>
    """
    items = _collect(definition)
    ordered = [items.pop(key) for key in KEY_ORDER if key in items]
    metadata = items.pop("pkgimport", None)
    ordered.extend(items[key] for key in sorted(items))
    if metadata is not None:
        ordered.append(metadata)
    ordered.append("format_version = 2")
    return "# -*- coding: utf-8 -*-\n\n" + "\n\n".join(ordered) + "\n"
