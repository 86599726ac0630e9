"""Scoop manifests parsed once into immutable values, with key paths on every error.

:func:`parse_manifest` takes bytes, text or a mapping (no file access) and validates the
shape of every field pkgimport reads; :meth:`Manifest.for_arch` applies Scoop's
``arch_specific`` rule (the architecture block's value when truthy, else the top-level one).

>>> m = parse_manifest(b'{"version": "1.0", "homepage": "h", "license": "MIT", "url": "u/a.zip",'
...                    b' "hash": "ab"}')
>>> m.for_arch(None).urls
('u/a.zip',)
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar, cast

from pkgimport.importers.scoop._errors import InvalidManifest

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ARCHITECTURES",
    "MAX_DEPTH",
    "Arch",
    "ArchView",
    "BinItem",
    "Manifest",
    "load_manifest_json",
    "parse_manifest",
]

Arch = Literal["64bit", "32bit", "arm64"]
ARCHITECTURES: tuple[Arch, ...] = ("64bit", "32bit", "arm64")
"""Scoop's architecture keys, in the order variants are written."""

_T = TypeVar("_T")

# Scoop's schema (schema.json): every top-level property it defines. "##" and "_comment" are
# the schema's comment keys; "$schema" points editors at the schema.
_TOP_LEVEL = frozenset(
    {
        "##",
        "_comment",
        "$schema",
        "version",
        "description",
        "homepage",
        "license",
        "notes",
        "depends",
        "suggest",
        "url",
        "hash",
        "extract_dir",
        "extract_to",
        "architecture",
        "bin",
        "shortcuts",
        "persist",
        "env_add_path",
        "env_set",
        "installer",
        "uninstaller",
        "pre_install",
        "post_install",
        "pre_uninstall",
        "post_uninstall",
        "psmodule",
        "checkver",
        "autoupdate",
        "innosetup",
        "cookie",
    }
)
# What an architecture block may override (spec: never persist/depends/extract_to/...).
_ARCH_LEVEL = frozenset(
    {
        "##",
        "_comment",
        "bin",
        "checkver",
        "env_add_path",
        "env_set",
        "extract_dir",
        "hash",
        "installer",
        "post_install",
        "pre_install",
        "shortcuts",
        "uninstaller",
        "url",
        "pre_uninstall",
        "post_uninstall",
    }
)
# Hooks that run at install time; uninstall hooks never run for a rez package.
INSTALL_HOOKS = ("pre_install", "installer", "post_install")
UNINSTALL_HOOKS = ("pre_uninstall", "uninstaller", "post_uninstall")


def _type_name(tp: type | tuple[type, ...]) -> str:
    names = {str: "a string", list: "a list", dict: "an object", bool: "a boolean"}
    if isinstance(tp, tuple):
        return " or ".join(names.get(t, t.__name__) for t in tp)
    return names.get(tp, tp.__name__)


def _get(data: Mapping[str, object], tp: type[_T], key: str, path: str) -> _T | None:
    """Return ``data[key]`` checked to be a *tp*, ``None`` when absent; *path* names it."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, tp) or (tp is not bool and isinstance(value, bool)):
        raise InvalidManifest(
            "type", f"expected {_type_name(tp)}, got {value!r:.80}", key_path=path
        )
    return value


def _get_str_list(data: Mapping[str, object], key: str, path: str) -> tuple[str, ...] | None:
    """Read a Scoop "string or list of strings" field (``url``, ``hash``, ``extract_dir``)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        for i, item in enumerate(cast("list[object]", value)):
            if not isinstance(item, str):
                raise InvalidManifest(
                    "type", f"expected a string, got {item!r:.80}", key_path=f"{path}[{i}]"
                )
        return tuple(cast("list[str]", value))
    raise InvalidManifest(
        "type", f"expected a string or a list of strings, got {value!r:.80}", key_path=path
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class BinItem:
    """One ``bin`` entry: a target in the app folder, the command name, and its arguments."""

    target: str
    """Path relative to the app folder, as written (``\\`` or ``/``)."""
    alias: str
    """Command name: the alias given, else the target's stem, spelled as the manifest does.

    Scoop's ``shim`` lower-cases the shim file's name, which changes nothing on Windows (NTFS
    and PATH lookups ignore case) but loses the spelling (``HashMyFiles``) that ``tools`` and
    the POSIX ``sh`` launcher show; collisions are still compared ignoring case
    (:func:`~pkgimport.importers.scoop._launchers.build_launchers`).
    """
    args: tuple[str, ...] = ()
    """Argument strings as written (each may hold several words and ``$dir``)."""


def _parse_bin(value: object, path: str) -> tuple[BinItem, ...]:
    items: list[object] = [value] if isinstance(value, str) else cast("list[object]", value)
    if not isinstance(value, (str, list)):
        raise InvalidManifest(
            "type", f"expected a string or a list, got {value!r:.80}", key_path=path
        )
    out: list[BinItem] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if isinstance(item, str):
            out.append(BinItem(target=item, alias=_stem(item)))
            continue
        parts = cast("list[object]", item) if isinstance(item, list) else None
        if not parts or not all(isinstance(p, str) for p in parts):
            raise InvalidManifest(
                "type",
                f"expected a path or [target, alias, args...], got {item!r:.80}",
                key_path=where,
            )
        strs = cast("list[str]", parts)
        alias = strs[1] if len(strs) > 1 and strs[1] else _stem(strs[0])
        out.append(BinItem(target=strs[0], alias=alias, args=tuple(strs[2:])))
    return tuple(out)


def _stem(target: str) -> str:
    name = target.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


@dataclass(frozen=True, kw_only=True, slots=True)
class ArchView:
    """The manifest as Scoop sees it for one architecture (``arch_specific`` applied)."""

    arch: Arch | None
    """The architecture, or ``None`` for an architecture-neutral manifest."""
    prefix: str
    """Key-path prefix of the block values came from first (``'architecture.64bit.'``)."""
    urls: tuple[str, ...]
    hashes: tuple[str, ...]
    extract_dir: tuple[str, ...]
    bin: tuple[BinItem, ...]
    env_add_path: tuple[str, ...]
    env_set: tuple[tuple[str, str], ...]
    shortcuts: tuple[tuple[str, ...], ...]
    hooks: tuple[tuple[str, object], ...]
    """Install-time hooks present: ``(key path, value)``."""
    uninstall_hooks: tuple[tuple[str, object], ...]
    """Uninstall hooks present (never run for a rez package; recorded)."""
    paths: Mapping[str, str] = field(default_factory=dict)
    """Field name → key path the value came from (block or top level)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Manifest:
    """A validated Scoop manifest; raw sub-objects kept for arch lookup and autoupdate."""

    version: str
    description: str
    homepage: str
    license: tuple[str, str]
    """``(identifier, url)``; url may be empty."""
    notes: tuple[str, ...]
    depends: tuple[str, ...]
    suggest: Mapping[str, object]
    extract_to: tuple[str, ...]
    persist: tuple[tuple[str, ...], ...]
    psmodule: str | None
    innosetup: bool
    cookie: Mapping[str, str]
    """Cookies sent with every download (``cookie``)."""
    architectures: tuple[Arch, ...]
    """Architecture blocks present, in :data:`ARCHITECTURES` order."""
    raw: Mapping[str, object]
    """The whole manifest as parsed JSON (for autoupdate and metadata)."""

    def _block(self, arch: Arch | None) -> Mapping[str, object]:
        archs = cast("Mapping[str, Mapping[str, object]]", self.raw.get("architecture") or {})
        return archs.get(arch, {}) if arch else {}

    def _lookup(self, arch: Arch | None, key: str) -> tuple[object, str]:
        """Scoop's ``arch_specific``: the block's value if truthy, else the top-level one."""
        block = self._block(arch)
        value = block.get(key)
        if value:
            return value, f"architecture.{arch}.{key}"
        return self.raw.get(key), key

    def for_arch(self, arch: Arch | None) -> ArchView:
        """Return the values Scoop would use when installing for *arch*."""
        paths: dict[str, str] = {}

        def look(key: str) -> object:
            value, paths[key] = self._lookup(arch, key)
            return value

        wrap = {
            k: look(k)
            for k in ("url", "hash", "extract_dir", "bin", "env_add_path", "env_set", "shortcuts")
        }
        urls = _get_str_list(wrap, "url", paths["url"]) or ()
        hashes = _get_str_list(wrap, "hash", paths["hash"]) or ()
        extract_dir = _get_str_list(wrap, "extract_dir", paths["extract_dir"]) or ()
        env_add_path = _get_str_list(wrap, "env_add_path", paths["env_add_path"]) or ()
        env_set = _get(wrap, dict, "env_set", paths["env_set"]) or {}
        for name, val in cast("dict[str, object]", env_set).items():
            if not isinstance(val, str):
                raise InvalidManifest(
                    "type",
                    f"expected a string, got {val!r:.80}",
                    key_path=f"{paths['env_set']}.{name}",
                )
        bins = _parse_bin(wrap["bin"], paths["bin"]) if wrap["bin"] is not None else ()
        shortcuts = _get(wrap, list, "shortcuts", paths["shortcuts"]) or []
        hooks: list[tuple[str, object]] = []
        for key in INSTALL_HOOKS:
            value, where = self._lookup(arch, key)
            if value:
                hooks.append((where, value))
        uninstall: list[tuple[str, object]] = []
        for key in UNINSTALL_HOOKS:
            value, where = self._lookup(arch, key)
            if value:
                uninstall.append((where, value))
        return ArchView(
            arch=arch,
            prefix=f"architecture.{arch}." if arch else "",
            urls=urls,
            hashes=hashes,
            extract_dir=extract_dir,
            bin=bins,
            env_add_path=env_add_path,
            env_set=tuple(cast("dict[str, str]", env_set).items()),
            shortcuts=tuple(tuple(str(p) for p in s) for s in shortcuts if isinstance(s, list)),
            hooks=tuple(hooks),
            uninstall_hooks=tuple(uninstall),
            paths=paths,
        )


MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a manifest may have (Scoop's own go 5 deep)."""

_HINT_ENCODING = (
    "Scoop manifests are UTF-8 (a byte-order mark is fine, as is UTF-16 with one): "
    "save the file as UTF-8"
)
_HINT_JSON = "fix the manifest: it must be one JSON object, as Scoop's schema describes"
# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
_NEWLINE = b"\n"
_DEPTH_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _decode(data: bytes) -> str:
    """Decode manifest bytes as PowerShell reads a file: its byte-order mark, else UTF-8."""
    codec = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        if codec.startswith("utf-8"):
            what, line = "UTF-8", f" (line {data.count(_NEWLINE, 0, exc.start) + 1})"
        else:
            what, line = f"{codec.upper()} (its byte-order mark says so)", ""
        raise InvalidManifest(
            "encoding",
            f"not {what} text: byte {data[exc.start]:#04x} at offset {exc.start}{line} "
            "cannot be decoded",
            hint=_HINT_ENCODING,
        ) from None
    if "\x00" in text:
        # UTF-16 without a byte-order mark decodes as UTF-8 full of NULs.
        raise InvalidManifest(
            "encoding",
            "not UTF-8 text: it holds NUL characters (UTF-16 without a byte-order mark?)",
            hint=_HINT_ENCODING,
        )
    return text.removeprefix("\ufeff")


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before ``json`` recurses into it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # cannot nest deeper than it has brackets (nearly every manifest)
    depth = 0
    for match in _DEPTH_TOKEN.finditer(text):
        token = match.group()
        if token in {"[", "{"}:
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise InvalidManifest(
                    "malformed JSON",
                    f"arrays and objects nested more than {MAX_DEPTH} deep (line {line})",
                    hint=_HINT_JSON,
                )
        elif token in {"]", "}"}:
            depth -= 1


def load_manifest_json(data: bytes | str) -> dict[str, object]:
    """Read a manifest's bytes (or text) as one JSON object, refusing what could hurt.

    Encodings as Scoop reads them (UTF-8, or UTF-8/UTF-16/UTF-32 after a byte-order mark),
    nesting at most :data:`MAX_DEPTH` deep, numbers Python can hold.

    :raises InvalidManifest: reason ``"encoding"`` or ``"malformed JSON"``, with a hint; the
        caller names the file (:meth:`InvalidManifest.with_app`).
    """
    text = _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    _check_depth(text)
    try:
        loaded: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidManifest(
            "malformed JSON",
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            hint=_HINT_JSON,
        ) from None
    except (ValueError, RecursionError):
        # A number too long for int() (Python reads at most 4300 digits); recursion is ruled
        # out above, caught all the same so no input can end in a traceback.
        raise InvalidManifest(
            "malformed JSON", "not valid JSON: a number has too many digits", hint=_HINT_JSON
        ) from None
    if not isinstance(loaded, dict):
        raise InvalidManifest(
            "malformed JSON", f"expected a JSON object, got {loaded!r:.80}", hint=_HINT_JSON
        )
    return cast("dict[str, object]", loaded)


def _load(data: bytes | str | Mapping[str, object]) -> Mapping[str, object]:
    if isinstance(data, (bytes, str)):
        return load_manifest_json(data)
    if not isinstance(data, dict):
        raise InvalidManifest("malformed JSON", f"expected a JSON object, got {data!r:.80}")
    return cast("dict[str, object]", data)


def _check_keys(data: Mapping[str, object]) -> None:
    for key in data:
        if key not in _TOP_LEVEL:
            raise InvalidManifest("unknown field", f"unknown field {key!r}", key_path=key)
    archs = _get(data, dict, "architecture", "architecture") or {}
    for arch, block in cast("dict[str, object]", archs).items():
        if arch not in ARCHITECTURES:
            raise InvalidManifest(
                "unknown field",
                f"unknown architecture {arch!r} (Scoop knows {', '.join(ARCHITECTURES)})",
                key_path=f"architecture.{arch}",
            )
        if not isinstance(block, dict):
            raise InvalidManifest(
                "type", f"expected an object, got {block!r:.80}", key_path=f"architecture.{arch}"
            )
        for key in cast("dict[str, object]", block):
            if key not in _ARCH_LEVEL:
                raise InvalidManifest(
                    "unknown field",
                    f"field {key!r} cannot be set per architecture",
                    key_path=f"architecture.{arch}.{key}",
                )


def _parse_license(data: Mapping[str, object]) -> tuple[str, str]:
    value = data.get("license")
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dict):
        lic = cast("dict[str, object]", value)
        ident = _get(lic, str, "identifier", "license.identifier") or ""
        return ident, _get(lic, str, "url", "license.url") or ""
    raise InvalidManifest(
        "missing field", "a license is required (a string or {identifier, url})", key_path="license"
    )


def _parse_persist(data: Mapping[str, object]) -> tuple[tuple[str, ...], ...]:
    value = data.get("persist")
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidManifest(
            "type", f"expected a string or a list, got {value!r:.80}", key_path="persist"
        )
    out: list[tuple[str, ...]] = []
    for item in cast("list[object]", items):
        if isinstance(item, str):
            out.append((item,))
        elif isinstance(item, list):
            out.append(tuple(str(p) for p in cast("list[object]", item)))
    return tuple(out)


def _notes(data: Mapping[str, object]) -> tuple[str, ...]:
    value = data.get("notes")
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return _get_str_list(data, "notes", "notes") or ()


def parse_manifest(data: bytes | str | Mapping[str, object]) -> Manifest:
    """Parse and validate a Scoop manifest.

    :param data: the manifest's JSON bytes or text (see :func:`load_manifest_json`), or parsed
        JSON.
    :raises InvalidManifest: bad encoding or JSON, nesting too deep, an unknown field, a
        missing required field, a wrong type.
    """
    raw = _load(data)
    _check_keys(raw)
    version = _get(raw, str, "version", "version")
    if not version:
        raise InvalidManifest("missing field", "a version is required", key_path="version")
    depends = _get_str_list(raw, "depends", "depends") or ()
    psmodule = _get(raw, dict, "psmodule", "psmodule")
    ps_name = None
    if psmodule is not None:
        ps_name = _get(cast("dict[str, object]", psmodule), str, "name", "psmodule.name")
        if not ps_name:
            raise InvalidManifest(
                "missing field", "psmodule needs a name", key_path="psmodule.name"
            )
    archs = cast("dict[str, object]", raw.get("architecture") or {})
    manifest = Manifest(
        version=version,
        description=_get(raw, str, "description", "description") or "",
        homepage=_get(raw, str, "homepage", "homepage") or "",
        license=_parse_license(raw),
        notes=_notes(raw),
        depends=depends,
        suggest=cast("dict[str, object]", _get(raw, dict, "suggest", "suggest") or {}),
        extract_to=_get_str_list(raw, "extract_to", "extract_to") or (),
        persist=_parse_persist(raw),
        psmodule=ps_name,
        innosetup=bool(_get(raw, bool, "innosetup", "innosetup")),
        cookie={
            str(k): str(v)
            for k, v in cast("dict[str, object]", _get(raw, dict, "cookie", "cookie") or {}).items()
        },
        architectures=tuple(a for a in ARCHITECTURES if a in archs),
        raw=raw,
    )
    # Required: `url` unless every architecture block has one (checked per view too).
    for arch in manifest.architectures or (None,):
        view = manifest.for_arch(arch)
        if not view.urls:
            raise InvalidManifest(
                "missing field", "no url for this architecture", key_path=f"{view.prefix}url"
            )
    return manifest
