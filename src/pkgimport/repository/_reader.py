"""Read native package.py and package.yaml files into :class:`PackageDefinition` values.

Three ways of reading a ``package.py``, cheapest first, each falling back to the next:

1. **Scan**: a specialised regex scanner (:mod:`._scanner`) for the layout rez and pkgimport
   write (``name = <literal>`` lines, generated ``def commands()`` blocks). Installed packages
   are nearly always like this, and listing a repository reads thousands of them, so this path
   avoids ``ast`` and ``compile`` entirely.
2. **Parse**: ``ast`` without executing anything: literal assignments, rex functions
   (``def commands()``) and ``@late()`` functions, kept as source.
3. **Execute**: anything else (``@early``, imports, loops, ``with scope("config")``) runs the
   way rez runs it (:mod:`._package_exec`), since that is what rez would see.

The scanner only accepts text whose meaning is plain (no implicit concatenation, no prefixes,
no expressions); everything it does not understand goes to ``ast``.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from pkgimport.definition import PackageDefinition
from pkgimport.errors import InvalidPackageDefinition
from pkgimport.repository._scanner import scan_package

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

# Performance: yaml, traceback and the executor (inspect) are imported where they are used.
# A listing of a repository of package.py files imports this module and needs none of them.

__all__ = [
    "RecordFields",
    "RecordTuple",
    "late_attributes",
    "read_package_file",
    "read_package_record",
    "read_record_tuple",
]


def _rex_keys() -> AbstractSet[str]:
    from pkgimport.repository._package_exec import REX_KEYS  # noqa: PLC0415 - see above

    return REX_KEYS


# -- 1. the scanner ----------------------------------------------------------------------------

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"utf_8"})
_REZ_COOKIE = b"# -*- coding: utf-8 -*-\n"
"""The first line rez writes (checked as a prefix first: cheaper than the regex)."""


def _scan(source: bytes) -> tuple[dict[str, Any], dict[str, str]] | None:
    """Scan a file in the layout rez and pkgimport write, or return ``None`` (see _scanner)."""
    head = source[:200]
    if b"coding" in head and not source.startswith(_REZ_COOKIE):
        # Python honours a coding cookie on the first two lines only.
        cookie = _CODING.search(b"\n".join(head.split(b"\n")[:2]))
        if cookie and cookie.group(1).lower() not in _UTF8_NAMES:
            return None
    try:
        return scan_package(source.decode())
    except UnicodeDecodeError:
        return None


# -- 2. the ast reader -------------------------------------------------------------------------


@dataclass(slots=True)
class _Raw:
    """A file's attributes before they become a definition."""

    attributes: dict[str, Any]
    functions: dict[str, str]
    evaluated: bool = False


def _is_late_decorator(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "late"
        and not node.args
        and not node.keywords
    )


def _function_sources(module: ast.Module, text: str) -> dict[str, str]:
    """Map each function defined at module level (also in ``if``/``with``) to its source."""
    # decode_source() made every line break '\n'; str.splitlines() would also split on
    # '\x0c' or '\u2028' inside strings and shift the line numbers ast reports.
    lines = text.split("\n")
    sources: dict[str, str] = {}
    pending: list[ast.stmt] = list(module.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.FunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            sources[node.name] = textwrap.dedent("\n".join(lines[first - 1 : last])).rstrip()
        elif isinstance(node, (ast.If, ast.With, ast.Try, ast.For, ast.While)):
            pending.extend(node.body)
            pending.extend(getattr(node, "orelse", ()))
    return sources


def _parse_module(source: bytes, path: str) -> tuple[ast.Module, str]:
    from importlib.util import decode_source  # noqa: PLC0415 - see the imports

    try:
        text = decode_source(source)
        return ast.parse(text, filename=str(path)), text
    except SyntaxError as exc:
        raise InvalidPackageDefinition(f"{path}: line {exc.lineno}: {exc.msg}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPackageDefinition(f"{path}: {exc}") from None


def _read_parsed(module: ast.Module, text: str, path: str) -> _Raw | None:
    """Read a module made of literal assignments and functions; ``None`` if code must run."""
    attributes: dict[str, Any] = {}
    functions: dict[str, str] = {}
    sources: dict[str, str] | None = None
    for node in module.body:
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                return None
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            name = node.targets[0].id
            functions.pop(name, None)
            attributes[name] = value
        elif isinstance(node, ast.FunctionDef):
            late = [d for d in node.decorator_list if _is_late_decorator(d)]
            if len(late) != len(node.decorator_list) or len(late) > 1:
                return None
            if late and node.name in _rex_keys():
                raise InvalidPackageDefinition(
                    f"{path}: line {node.lineno}: Cannot use @late decorator on function "
                    f"{node.name!r}"
                )
            attributes.pop(node.name, None)
            functions.pop(node.name, None)
            # rez drops plain functions; rex and @late ones are kept as source code.
            if late or node.name in _rex_keys():
                if sources is None:
                    sources = _function_sources(module, text)
                functions[node.name] = sources[node.name]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare literal: no effect
        elif not isinstance(node, ast.Pass):
            return None
    return _Raw(attributes=attributes, functions=functions)


# -- 3. executing like rez ---------------------------------------------------------------------


def _read_executed(module: ast.Module, text: str, path: str) -> _Raw:
    import traceback  # noqa: PLC0415 - see the imports

    from pkgimport.repository._package_exec import evaluate_package_source  # noqa: PLC0415

    filename = str(path)
    try:
        code = compile(module, filename, "exec")
        evaluated = evaluate_package_source(code)
    except Exception as exc:  # noqa: BLE001 - any error in package code makes the file invalid
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        where = f"line {frames[-1].lineno}: " if frames else ""
        raise InvalidPackageDefinition(f"{path}: {where}{type(exc).__name__}: {exc}") from None
    sources = _function_sources(module, text)
    functions: dict[str, str] = {}
    attributes: dict[str, Any] = {}
    for key, value in evaluated.attributes.items():
        if key in evaluated.late or key in evaluated.rex:
            source = sources.get(value.__name__)
            if source is None:
                raise InvalidPackageDefinition(f"{path}: cannot find the source of {key!r}")
            functions[key] = source
        else:
            attributes[key] = value
    return _Raw(attributes=attributes, functions=functions, evaluated=True)


def _read_python(source: bytes, path: str) -> _Raw:
    scanned = _scan(source)
    if scanned is not None:
        return _Raw(attributes=scanned[0], functions=scanned[1])
    module, text = _parse_module(source, path)
    return _read_parsed(module, text, path) or _read_executed(module, text, path)


def _read_yaml(source: bytes, path: str) -> _Raw:
    import yaml  # noqa: PLC0415 - see the imports

    try:
        data = yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InvalidPackageDefinition(f"{path}: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPackageDefinition(f"{path}: expected a mapping, got {type(data).__name__}")
    # Rex code in a string (`commands: |`) stays a string, as rez keeps it: rez runs a string
    # as a function body and a package.py function as module code (``return`` is allowed in
    # one and not the other), so the two must not be confused.
    return _Raw(attributes=data, functions={})


# -- turning attributes into a definition ------------------------------------------------------

# rez pops format_version; its loader globals never become attributes, even if reassigned.
_DROPPED = frozenset(
    {"format_version", "scope", "early", "late", "include", "ModifyList", "InvalidPackageError"}
)


def _strings(value: object, key: str, path: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidPackageDefinition(f"{path}: {key!r} must be a list of strings, got {value!r}")
    return tuple(value)


def _optional(value: object, types_: type | tuple[type, ...], key: str, path: str) -> Any:
    if value is not None and (
        not isinstance(value, types_) or isinstance(value, bool) is not (types_ is bool)
    ):
        raise InvalidPackageDefinition(f"{path}: {key!r} has the wrong type: {value!r}")
    return value


def _help(value: object, path: str) -> str | tuple[tuple[str, str], ...] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(s, str) for s in v)
        for v in value
    ):
        return tuple((label, url) for label, url in value)
    raise InvalidPackageDefinition(f"{path}: 'help' must be a string or [[label, url], ...]")


def _build_definition(
    raw: _Raw, path: str, *, name: str | None = None, version: str | None = None
) -> PackageDefinition:
    """Turn attributes into a definition; *name* and *version*, if given, replace the file's.

    A repository names a package by its folders, as rez does (its resource handle holds the
    folder names, and the file's ``name`` and ``version`` are never read in a resolve or an
    environment): there the file's values are dropped unchecked.
    """
    attrs = dict(raw.attributes)
    get = attrs.pop
    file_name = get("name", None)
    file_version = get("version", "")
    if name is None:
        if not isinstance(file_name, str):
            msg = f"{path}: no package name (a 'name' string is required)"
            raise InvalidPackageDefinition(msg)
        name = file_name
    if version is None:
        if type(file_version) is int:
            file_version = str(file_version)  # package.yaml "version: 2"
        if not isinstance(file_version, str):
            msg = f"{path}: 'version' must be a string, got {file_version!r}"
            raise InvalidPackageDefinition(msg)
        version = file_version
    variants = get("variants", None) or ()
    if not isinstance(variants, (list, tuple)):
        raise InvalidPackageDefinition(f"{path}: 'variants' must be a list of lists")
    metadata = get("pkgimport", None) or {}
    if not isinstance(metadata, dict):
        raise InvalidPackageDefinition(f"{path}: 'pkgimport' must be a dict")
    for key in [k for k in attrs if k in _DROPPED or k.startswith("__")]:
        del attrs[key]  # rez drops '__' names too
    try:
        return PackageDefinition(
            name=name,
            version=version,
            description=_optional(get("description", None), str, "description", path),
            authors=_strings(get("authors", None) or (), "authors", path),
            requires=_strings(get("requires", None) or (), "requires", path),
            variants=tuple(_strings(v, "variants", path) for v in variants),
            tools=_strings(get("tools", None) or (), "tools", path),
            help=_help(get("help", None), path),
            timestamp=_optional(get("timestamp", None), int, "timestamp", path),
            hashed_variants=bool(_optional(get("hashed_variants", False), bool, "hashed", path)),
            metadata=metadata,
            functions=raw.functions,
            extra=attrs,
        )
    except InvalidPackageDefinition as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InvalidPackageDefinition(f"{path}: {exc}") from None


def _read_raw(path: str) -> _Raw:
    source = _read_bytes(path)
    if _is_yaml(path):
        return _read_yaml(source, path)
    return _read_python(source, path)


def _is_yaml(path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


_O_RDONLY = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 16


def _read_bytes(path: str) -> bytes:
    # Performance: os.open/os.read skip the file objects open() builds; listing a repository
    # reads thousands of small files, and this halves the cost (4.4 vs 8.2 µs a file, measured).
    try:
        fd = os.open(path, _O_RDONLY)
        try:
            data = os.read(fd, _CHUNK)
            if data:  # a read can be short before the end (NFS, FUSE): read until b""
                parts = [data]
                while chunk := os.read(fd, _CHUNK):
                    parts.append(chunk)
                data = b"".join(parts) if len(parts) > 1 else data
        finally:
            os.close(fd)
    except OSError as exc:
        raise InvalidPackageDefinition(f"{path}: cannot read: {exc.strerror}") from None
    return data


def read_package_file(
    path: str | os.PathLike[str], *, name: str | None = None, version: str | None = None
) -> PackageDefinition:
    r"""Read a native ``package.py`` or ``package.yaml`` into a definition.

    Literal attributes are read without running code; rex functions (``commands``) and
    ``@late()`` functions are kept as source in ``functions``; a file that needs code to run
    (``@early``, imports, ``with scope("config")``) is executed like rez executes it.
    ``format_version`` is dropped (the writer always writes 2); the ``pkgimport`` attribute
    becomes ``metadata``; other attributes go to ``extra``.

    :param name: the family folder's name, for a file in a repository: rez names a package
        by its folders, so this replaces the file's ``name`` (which is then not checked).
    :param version: likewise, the version folder's name.
    :raises InvalidPackageDefinition: the file cannot be read or is not a valid package
        (the message names the path, and the line for syntax errors and exceptions).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "package.py"
    >>> _ = p.write_text("name = 'foo'\nversion = '1.0'\nrequires = ['bar-2']\n")
    >>> read_package_file(p).requires
    ('bar-2',)
    """
    location = os.fspath(path)
    return _build_definition(_read_raw(location), location, name=name, version=version)


def late_attributes(definition: PackageDefinition) -> frozenset[str]:
    r"""Names of the ``@late()`` attributes of a native definition (evaluated by rez on use).

    >>> late_attributes(PackageDefinition(name="foo", functions={
    ...     "tools": "@late()\ndef tools():\n    return []"}))
    frozenset({'tools'})
    """
    return frozenset(
        key
        for key, source in definition.functions.items()
        if key not in _rex_keys() and source.lstrip().startswith("@")
    )


@dataclass(frozen=True, slots=True)
class RecordFields:
    """What a repository listing needs from one package file (see ``read_package_record``)."""

    name: str
    """Family name, as the file states it ('' when it states none; rez uses the folder's)."""
    version: str
    """Version string as the file states it ('' for none; rez uses the folder's)."""
    timestamp: int | None
    """Release time in epoch seconds, if the file has one."""
    requires: tuple[str, ...]
    """Requirements shared by every variant (empty when ``needs_eval`` and late-bound)."""
    variants: tuple[tuple[str, ...], ...] | None
    """Each variant's own requirements; ``None`` for a package without variants."""
    hashed_variants: bool
    """Whether variant payloads live in sha1 folders."""
    needs_eval: bool
    """The file ran code when read, or its ``requires`` is ``@late()`` (evaluated on use)."""
    build_requires: tuple[str, ...] = ()
    """``build_requires`` (used by build-mode resolves), as written in the file."""


RecordTuple: TypeAlias = (
    "tuple[int | None, tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...] | None,"
    " bool, bool]"
)
"""``(timestamp, requires, build_requires, variants, hashed_variants, needs_eval)``.

A plain tuple, in the order the listing index stores it: it goes through :mod:`marshal` to and
from worker processes and the index file, and becomes a record with
:func:`~pkgimport.repository.base.make_record`.
"""


def read_package_record(path: str | os.PathLike[str]) -> RecordFields:
    r"""Read just the fields a repository listing needs, as fast as possible.

    Literal-only files (what rez and pkgimport write) are scanned without ``ast``; any other
    file is read with :func:`read_package_file` and gives the same answer, more slowly.

    :raises InvalidPackageDefinition: as :func:`read_package_file`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "package.py"
    >>> _ = p.write_text("name = 'foo'\nversion = '1.0'\nvariants = [['python-3']]\n")
    >>> read_package_record(p).variants
    (('python-3',),)
    """
    location = os.fspath(path)
    source = _read_bytes(location)
    scanned = None if _is_yaml(location) else _scan(source)
    if scanned is not None:
        quick = _quick_tuple(scanned[0])
        if quick is not None:
            timestamp, requires, build_requires, variants, hashed, needs_eval = quick
            return RecordFields(
                name=_stated(scanned[0], "name"),
                version=_stated(scanned[0], "version"),
                timestamp=timestamp,
                requires=requires,
                variants=variants,
                hashed_variants=hashed,
                needs_eval=needs_eval,
                build_requires=build_requires,
            )
    return _slow_fields(source, location, scanned)


def read_record_tuple(path: str) -> RecordTuple:
    r"""Read the listing fields of the package file *path* as a :data:`RecordTuple`.

    The same answer as :func:`read_package_record`, without building objects: this is what a
    listing runs for each of thousands of files (in worker processes, too).

    :raises InvalidPackageDefinition: as :func:`read_package_file`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "package.py"
    >>> _ = p.write_text("name = 'foo'\nversion = '1.0'\nrequires = ['bar']\n")
    >>> read_record_tuple(str(p))
    (None, ('bar',), (), None, False, False)
    """
    source = _read_bytes(path)
    scanned = None if _is_yaml(path) else _scan(source)
    if scanned is not None:
        quick = _quick_tuple(scanned[0])
        if quick is not None:
            return quick
    fields = _slow_fields(source, path, scanned)
    return (
        fields.timestamp,
        fields.requires,
        fields.build_requires,
        fields.variants,
        fields.hashed_variants,
        fields.needs_eval,
    )


def _slow_fields(
    source: bytes, location: str, scanned: tuple[dict[str, Any], dict[str, str]] | None
) -> RecordFields:
    """Read the fields of a file the quick path refused, through a full definition."""
    if _is_yaml(location):
        raw = _read_yaml(source, location)
    else:
        raw = _read_python(source, location) if scanned is None else _Raw(*scanned)
    # The listing names packages by their folders: the file's name and version are not used.
    definition = _build_definition(raw, location, name=_UNUSED_NAME, version="")
    build_requires = definition.extra.get("build_requires")
    return RecordFields(
        name=_stated(raw.attributes, "name"),
        version=_stated(raw.attributes, "version"),
        timestamp=definition.timestamp,
        requires=definition.requires,
        variants=definition.variants or None,
        hashed_variants=definition.hashed_variants,
        needs_eval=raw.evaluated or "requires" in definition.functions,
        # As PackageRecord.from_definition reads it.
        build_requires=tuple(str(r) for r in build_requires)
        if isinstance(build_requires, (list, tuple))
        else (),
    )


_UNUSED_NAME = "_"
"""A valid name for definitions built only to read a listing's fields."""


def _stated(attrs: dict[str, Any], key: str) -> str:
    """Return the ``name`` or ``version`` a file states, as text ('' if none, or odd)."""
    value = attrs.get(key)
    return str(value) if type(value) in {str, int} else ""


_intern = sys.intern


_join = "".join  # raises TypeError unless every item is a str: a check at C speed


def _quick_tuple(attrs: dict[str, Any]) -> RecordTuple | None:
    """Build a :data:`RecordTuple` from scanned attributes when their types are right.

    ``None`` sends the file down the full path, which reports the problem (or converts).
    Requirement strings repeat across a family's versions: interned, they are one object
    each, which marshal then writes once (the index shrinks by half and loads faster).
    The file's ``name`` and ``version`` are not looked at: rez names a package by its folders
    and never reads them in a resolve (``name = 'foo bar'`` resolves as its folder).
    """
    get = attrs.get
    timestamp = get("timestamp")
    hashed = get("hashed_variants", False)
    if not (timestamp is None or type(timestamp) is int) or type(hashed) is not bool:
        return None
    try:
        requires = _strings_tuple(get("requires"))
        build_requires = _strings_tuple(get("build_requires"))
        variants = get("variants") or None
        if variants is not None:
            if type(variants) is not list:
                return None
            variants = tuple([_strings_tuple(v, empty=False) for v in variants])
    except TypeError:
        return None
    return (timestamp, requires, build_requires, variants, hashed, False)


def _strings_tuple(value: object, *, empty: bool = True) -> tuple[str, ...]:
    """Return a scanned list of strings as a tuple of interned strings.

    :param empty: a false value (``None``, ``[]``, ``0``) counts as an empty list, as
        rez's ``requires or []``; otherwise only a list is accepted.
    :raises TypeError: *value* is not a list of strings.
    """
    if empty and not value:
        return ()
    if type(value) is not list:
        raise TypeError
    _join(value)
    return tuple(map(_intern, value))
