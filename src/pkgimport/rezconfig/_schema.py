"""The rez settings pkgimport reads: each key's type, rez 3.4's default, and rez's coercions.

rez gives every setting a type (``rez.config.Setting`` subclasses): the type decides how a
``$REZ_<KEY>`` variable is parsed and what a value from a file must look like. This table
holds the keys that matter to resolving, to environments and to where packages live, with the
defaults of rez 3.4's ``rezconfig.py``.

>>> SETTINGS["packages_path"].parse_env("/a:/b::/c", "REZ_PACKAGES_PATH")
['/a', '/b', '/c']
>>> SETTINGS["implicit_packages"].parse_env("~a, ~b ~c", "REZ_IMPLICIT_PACKAGES")
['~a', '~b', '~c']
>>> SETTINGS["package_filter"].validate({"excludes": ["*.beta"]})
[{'excludes': ['*.beta']}]
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pkgimport.errors import PkgImportError

__all__ = ["PLUGIN_DEFAULTS", "SETTINGS", "InvalidRezConfig", "Kind", "Setting", "Use"]


class InvalidRezConfig(PkgImportError, ValueError):  # noqa: N818 - packaging's naming
    """A rez configuration file or ``$REZ_*`` variable is broken (rez's ConfigurationError)."""

    hint = "fix the rez configuration (see 'pkgimport config' for where each value comes from)"


Kind = Literal[
    "str",
    "optional_str",
    "str_list",
    "optional_str_list",
    "path_list",
    "bool",
    "int",
    "dict",
    "optional_dict",
    "dict_or_dict_list",
    "choice",
]
"""rez's setting types: ``Str``, ``OptionalStr``, ``StrList``, ``OptionalStrList``,
``PathList``, ``Bool``, ``Int``, ``Dict``, ``OptionalDict``, ``OptionalDictOrDictList`` and
the enumerations (``VariantSelectMode_``...)."""

Use = Literal["resolve", "env", "paths", "cache", "unsupported"]
"""What pkgimport does with a setting: shapes its resolves, its environments, where it
reads and writes, is read for the resolve cache, or is only checked (a warning when it
differs from rez's default, because pkgimport would then not do what rez does)."""

_TRUE_WORDS = frozenset(["1", "true", "t", "yes", "y", "on"])
_FALSE_WORDS = frozenset(["0", "false", "f", "no", "n", "off"])


class Setting:
    """One rez setting (immutable by convention).

    A plain class rather than a frozen dataclass: every resolve imports this table, and
    building a dataclass costs about a millisecond of start-up.
    """

    __slots__ = ("choices", "default", "key", "kind", "use")

    def __init__(
        self, *, key: str, kind: Kind, default: Any, use: Use, choices: tuple[str, ...] = ()
    ) -> None:
        self.key = key
        """The setting's name (``packages_path``)."""
        self.kind: Kind = kind
        """Its rez type."""
        self.default = default
        """rez 3.4's default, before expansion (``~/packages``, ``{system.platform}``)."""
        self.use: Use = use
        """What pkgimport does with it."""
        self.choices = choices
        """The allowed values of a ``choice``."""

    def __repr__(self) -> str:
        return f"Setting(key={self.key!r}, kind={self.kind!r}, default={self.default!r})"

    @property
    def env_var(self) -> str:
        """``REZ_<KEY>``: the variable that overrides every file."""
        return f"REZ_{self.key.upper()}"

    def parse_env(self, text: str, var: str) -> Any:
        """Parse ``$REZ_<KEY>`` as rez's ``Setting._parse_env_var`` does for this type.

        :raises InvalidRezConfig: the text is not a value of this type.
        """
        kind = self.kind
        if kind in {"str", "optional_str", "choice"}:
            return text
        if kind in {"str_list", "optional_str_list"}:
            # rez: commas count as blanks ("a, b c" -> three items).
            return text.replace(",", " ").split()
        if kind == "path_list":
            return [part for part in text.split(os.pathsep) if part]
        if kind == "bool":
            word = text.lower()
            if word in _TRUE_WORDS | _FALSE_WORDS:
                return word in _TRUE_WORDS
            words = ", ".join(sorted(_TRUE_WORDS | _FALSE_WORDS))
            raise InvalidRezConfig(f"Expected ${var} to be one of: {words} (got {text!r})")
        if kind == "int":
            try:
                return int(text)
            except ValueError:
                raise InvalidRezConfig(f"Expected {var} to be an integer (got {text!r})") from None
        if kind in {"dict", "optional_dict"}:
            return _parse_env_dict(text)
        # rez's OptionalDictOrDictList has no string form (rez raises NotImplementedError).
        raise InvalidRezConfig(
            f"${var} cannot be given as plain text",
            hint=f"set ${var}_JSON to a JSON value instead",
        )

    def validate(self, value: Any) -> Any:
        """Check *value* against the type, with rez's conversions (``None`` -> ``[]``...).

        :raises InvalidRezConfig: rez would raise "Misconfigured setting".
        """
        result = _validate(self, value)
        if result is _INVALID:
            raise InvalidRezConfig(
                f"Misconfigured setting {self.key!r}: {value!r} is not {_WHAT[self.kind]}"
                + (f" ({', '.join(self.choices)})" if self.choices else "")
            )
        return result


_INVALID = object()

_WHAT: dict[Kind, str] = {
    "str": "a string",
    "optional_str": "a string or None",
    "str_list": "a list of strings",
    "optional_str_list": "a list of strings or None",
    "path_list": "a list of strings",
    "bool": "a boolean",
    "int": "an integer",
    "dict": "a dict",
    "optional_dict": "a dict or None",
    "dict_or_dict_list": "a dict, a list of dicts or None",
    "choice": "one of the allowed values",
}


def _is_str_list(value: Any) -> bool:
    # rez's schema for [str] wants a list (not a tuple) of str.
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _validate(setting: Setting, value: Any) -> Any:
    kind = setting.kind
    if kind == "str":
        return value if isinstance(value, str) else _INVALID
    if kind == "optional_str":
        return value if value is None or isinstance(value, str) else _INVALID
    if kind in {"str_list", "path_list"}:
        return value if _is_str_list(value) else _INVALID
    if kind == "optional_str_list":
        return [] if value is None else (value if _is_str_list(value) else _INVALID)
    if kind == "bool":
        return value if isinstance(value, bool) else _INVALID
    if kind == "int":
        return value if isinstance(value, int) else _INVALID
    if kind == "dict":
        return value if isinstance(value, dict) else _INVALID
    if kind == "optional_dict":
        return {} if value is None else (value if isinstance(value, dict) else _INVALID)
    if kind == "dict_or_dict_list":
        if value is None:
            return []
        if isinstance(value, dict):
            return [value]
        ok = isinstance(value, list) and all(isinstance(item, dict) for item in value)
        return value if ok else _INVALID
    return value if value in setting.choices else _INVALID


def _parse_env_dict(text: str) -> dict[str, Any]:
    """Parse ``k1:v1,k2:v2`` as rez's ``Dict`` does: values made int or float when they can."""
    result: dict[str, Any] = {}
    for item in text.split(","):
        if ":" not in item:
            raise InvalidRezConfig(f"Expected dict string in form 'k1:v1,k2:v2,...kN:vN': {text}")
        key, raw = item.split(":", 1)
        value: Any = raw
        for convert in (int, float):
            try:
                value = convert(raw)
                break
            except ValueError:
                continue
        result[key] = value
    return result


def _setting(
    key: str, kind: Kind, use: Use, *, default: Any, choices: tuple[str, ...] = ()
) -> Setting:
    return Setting(key=key, kind=kind, default=default, use=use, choices=choices)


_HOME_PACKAGES = ["~/packages", "~/.rez/packages/int", "~/.rez/packages/ext"]
_IMPLICITS = ["~platform=={system.platform}", "~arch=={system.arch}", "~os=={system.os}"]
_SEPARATORS = {"CMAKE_MODULE_PATH": ";", "DOXYGEN_TAGFILES": " "}
_SELECT_MODES = ("version_priority", "intersection_priority")

SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        # -- where packages live
        _setting("packages_path", "path_list", "paths", default=_HOME_PACKAGES),
        _setting("local_packages_path", "str", "paths", default="~/packages"),
        _setting("release_packages_path", "str", "paths", default="~/.rez/packages/int"),
        # -- resolving
        _setting("implicit_packages", "str_list", "resolve", default=_IMPLICITS),
        _setting("platform_map", "optional_dict", "resolve", default={}),
        _setting(
            "variant_select_mode",
            "choice",
            "resolve",
            default="version_priority",
            choices=_SELECT_MODES,
        ),
        _setting("package_filter", "dict_or_dict_list", "resolve", default=None),
        _setting("package_orderers", "dict_or_dict_list", "resolve", default=None),
        _setting("allow_unversioned_packages", "bool", "resolve", default=True),
        _setting("error_on_missing_variant_requires", "bool", "resolve", default=True),
        _setting("prune_failed_graph", "bool", "resolve", default=True),
        # -- caching (read by the resolve cache)
        _setting("resolve_caching", "bool", "cache", default=True),
        _setting("memcached_uri", "optional_str_list", "cache", default=[]),
        _setting("memcached_resolve_min_compress_len", "int", "cache", default=1),
        # -- environments
        _setting("parent_variables", "str_list", "env", default=[]),
        _setting("all_parent_variables", "bool", "env", default=False),
        _setting("env_var_separators", "dict", "env", default=_SEPARATORS),
        _setting("standard_system_paths", "path_list", "env", default=[]),
        _setting("disable_rez_1_compatibility", "bool", "env", default=True),
        # -- checked only: pkgimport does not do what rez does when these differ
        _setting("rez_1_environment_variables", "bool", "unsupported", default=False),
        _setting("use_variant_shortlinks", "bool", "unsupported", default=True),
        _setting("variant_shortlinks_dirname", "optional_str", "unsupported", default="_v"),
        _setting("package_definition_python_path", "optional_str", "unsupported", default=None),
        _setting("package_definition_build_python_paths", "path_list", "unsupported", default=[]),
        _setting("pathed_env_vars", "str_list", "unsupported", default=["*PATH"]),
        _setting(
            "rez_tools_visibility",
            "choice",
            "unsupported",
            default="append",
            choices=("never", "append", "prepend"),
        ),
    )
}
"""The settings pkgimport models, by key, in the order ``pkgimport config`` lists them."""

PLUGIN_DEFAULTS: dict[str, Any] = {
    "package_repository": {
        "filesystem": {
            "file_lock_type": "default",
            "file_lock_timeout": 10,
            "file_lock_dir": None,
            "check_package_definition_files": False,
            "package_filenames": ["package"],
        }
    }
}
"""The plugin settings pkgimport checks (``plugins.package_repository.filesystem``)."""
