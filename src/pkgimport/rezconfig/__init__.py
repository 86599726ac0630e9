"""rez's own configuration, read the way rez 3.4 reads it (without importing rez).

Each setting's value is, highest precedence first (rez's ``rez/rezconfig.py`` header):

1. ``$REZ_<KEY>``, parsed for the setting's type (path lists split on ``os.pathsep``, other
   lists on commas and blanks, booleans from ``1/0``, ``true/false``, ``yes/no``...);
2. ``$REZ_<KEY>_JSON``, a JSON value;
3. the merged configuration files (see :mod:`pkgimport.rezconfig._files`): each file of
   ``$REZ_CONFIG_FILE``, then ``~/.rezconfig`` / ``~/.rezconfig.py``;
4. rez 3.4's default.

The value is then checked against the setting's type and expanded (``$VAR``, ``~``,
``{system.platform}``; :mod:`pkgimport.rezconfig._expand`). Files are read when the first
setting is asked for, and each setting is worked out once, so a resolve that asks for five
settings pays for five. pkgimport's own options and ``$PKGIMPORT_*`` variables override these
values where pkgimport has them (``--paths``, ``--repo``, ``--implicit``...); that is the
callers' business, not this module's.

>>> config = RezConfig(environ={"REZ_PACKAGES_PATH": "/a:/b", "HOME": "/home/me"})
>>> config.get("packages_path"), config.source("packages_path")
(['/a', '/b'], '$REZ_PACKAGES_PATH')
>>> config.get("local_packages_path"), config.source("local_packages_path")
('/home/me/packages', 'defaults')
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from pkgimport.rezconfig._expand import SystemNames, expand
from pkgimport.rezconfig._files import (
    DelayLoad,
    ModifyList,
    candidate_files,
    deep_update,
    load_file,
    search_paths,
)
from pkgimport.rezconfig._schema import PLUGIN_DEFAULTS, SETTINGS, InvalidRezConfig, Setting

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "DEFAULTS",
    "SETTINGS",
    "DelayLoad",
    "InvalidRezConfig",
    "ModifyList",
    "RezConfig",
    "Setting",
    "SettingValue",
    "SystemNames",
    "rez_config",
]


def __dir__() -> list[str]:
    return __all__


DEFAULTS = "defaults"
"""The source of a value nothing overrides: rez 3.4's built-in default."""


class SettingValue:
    """A setting's effective value and where it came from (immutable by convention).

    A plain class, like :class:`Setting`, for start-up's sake.
    """

    __slots__ = ("files", "key", "source", "value")

    def __init__(self, *, key: str, value: Any, source: str, files: tuple[str, ...] = ()) -> None:
        self.key = key
        """The setting (``packages_path``)."""
        self.value = value
        """Checked and expanded, as rez's ``config.<key>`` returns it."""
        self.source = source
        """``$REZ_<KEY>``, ``$REZ_<KEY>_JSON``, the last file that set it, or ``defaults``."""
        self.files = files
        """Every file that set or modified it, in the order they were merged."""

    def __repr__(self) -> str:
        return f"SettingValue(key={self.key!r}, value={self.value!r}, source={self.source!r})"

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "value", "source", "files"}`` (the ``pkgimport config --json`` form)."""
        files = list(self.files)
        return {"key": self.key, "value": self.value, "source": self.source, "files": files}


class RezConfig:
    """The rez configuration seen from one environment.

    :param environ: the environment (default ``os.environ``): ``$REZ_CONFIG_FILE``,
        ``$REZ_*`` overrides, ``$HOME`` and the variables settings expand.
    :param system: what ``{system.X}`` expands to (default: this machine, with
        ``platform_map`` applied, as rez's ``system`` object).
    :raises InvalidRezConfig: (from the methods) a file or variable is broken.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, system: object | None = None
    ) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.home = self.environ.get("HOME") or os.path.expanduser("~")  # noqa: PTH111
        self._system = system
        self._data: dict[str, Any] | None = None
        self._files: dict[str, list[str]] = {}
        self._sourced: list[str] = []
        self._values: dict[str, SettingValue] = {}
        self._mapping_names = False

    # -- files -------------------------------------------------------------------------------

    def search_list(self) -> list[str]:
        """Return the paths searched after the defaults (``rez config --search-list``)."""
        return search_paths(self.environ, self.home)

    def source_list(self) -> list[str]:
        """Return the files actually read (``rez config --source-list``, rez's own left out)."""
        self._load()
        return list(self._sourced)

    def _load(self) -> dict[str, Any]:
        if self._data is not None:
            return self._data
        data: dict[str, Any] = {key: _copy(s.default) for key, s in SETTINGS.items()}
        data["plugins"] = _copy(PLUGIN_DEFAULTS)
        for path in self.search_list():
            found = load_file(path)
            if found is None:
                continue
            filename, settings = found
            try:
                deep_update(data, settings)
            except ValueError as exc:  # a ModifyList applied to something that is no list
                msg = f"Error loading configuration from {filename}: {exc}"
                raise InvalidRezConfig(msg) from None
            for key in settings:
                self._files.setdefault(key, []).append(filename)
            self._sourced.append(filename)
        self._data = data
        return data

    # -- settings ----------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        """Return the effective value of setting *key* (checked and expanded).

        :raises KeyError: pkgimport does not model *key* (see :data:`SETTINGS`).
        :raises InvalidRezConfig: the value is broken.
        """
        return self.setting(key).value

    def source(self, key: str) -> str:
        """Return where the value of *key* came from (see :attr:`SettingValue.source`)."""
        return self.setting(key).source

    def is_set(self, key: str) -> bool:
        """Tell whether a variable or a file sets *key* (without checking its value)."""
        var = f"REZ_{key.upper()}"
        if var in self.environ or f"{var}_JSON" in self.environ:
            return True
        self._load()
        return key in self._files

    def is_default(self, key: str) -> bool:
        """Whether nothing (file or variable) sets *key*."""
        return self.setting(key).source == DEFAULTS

    def setting(self, key: str) -> SettingValue:
        """Return the value of *key* with its source; worked out once."""
        found = self._values.get(key)
        if found is None:
            mapping = key == "platform_map"
            self._mapping_names |= mapping
            try:
                found = self._evaluate(SETTINGS[key], self._system_names())
            finally:
                self._mapping_names &= not mapping
            self._values[key] = found
        return found

    def raw(self, key: str) -> tuple[Any, str]:
        """Return *key*'s checked value before expansion, and its source.

        For values to expand for another machine (``implicit_packages`` for ``--target``).
        """
        setting = SETTINGS[key]
        value, source = self._pick(setting)
        return setting.validate(value), source

    def expand_for(self, value: Any, system: object) -> Any:
        """Expand *value* as rez would on a machine whose ``system`` is *system*."""
        return expand(value, environ=self.environ, home=self.home, system=system)

    def __iter__(self) -> Iterator[SettingValue]:
        """Every modelled setting, in :data:`SETTINGS` order."""
        return (self.setting(key) for key in SETTINGS)

    def extra_keys(self) -> list[str]:
        """Keys the files set that pkgimport does not model (shown, never used)."""
        self._load()
        return sorted(k for k in self._files if k not in SETTINGS and k != "plugins")

    def file_value(self, key: str) -> Any:
        """Return the merged file value of any key (unmodelled ones included), unchecked."""
        return self._load().get(key)

    def plugin_setting(self, *path: str) -> Any:
        """Return a plugin setting (``plugin_setting("package_repository", "filesystem", ...)``)."""
        value: Any = self._load().get("plugins")
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _pick(self, setting: Setting) -> tuple[Any, str]:
        """Return the value before checking: variable, JSON variable, files, default."""
        # rez merges the files before it looks at any variable: a broken file breaks every
        # setting, even one a variable overrides.
        data = self._load()
        var = setting.env_var
        text = self.environ.get(var)
        if text is not None:
            return setting.parse_env(text, var), f"${var}"
        text = self.environ.get(var + "_JSON")
        if text is not None:
            try:
                return json.loads(text), f"${var}_JSON"
            except ValueError:
                raise InvalidRezConfig(f"Expected ${var}_JSON to be JSON-encoded string.") from None
        value = data[setting.key]
        if isinstance(value, DelayLoad):
            value = value.get_value()
        files = self._files.get(setting.key)
        return value, files[-1] if files else DEFAULTS

    def _evaluate(self, setting: Setting, system: object) -> SettingValue:
        value, source = self._pick(setting)
        value = self.expand_for(setting.validate(value), system)
        files = tuple(self._files.get(setting.key, ()))
        return SettingValue(key=setting.key, value=value, source=source, files=files)

    def _system_names(self) -> object:
        if self._system is None:
            self._system = SystemNames(self._host_name)
        return self._system

    def _host_name(self, attr: str) -> str:
        from pkgimport.platform_ import host_platform, host_system  # noqa: PLC0415

        if attr == "platform":  # never mapped, and known without probing the host
            return host_platform()
        # rez maps the host's arch and os with platform_map; expanding platform_map itself
        # uses the unmapped names (rez would recurse forever there).
        mapping = {} if self._mapping_names else self.get("platform_map")
        host = host_system(mapping)
        return host.arch if attr == "arch" else host.os


def _copy(value: Any) -> Any:
    """Copy a default (lists, dicts and scalars; ``copy.deepcopy`` costs an import)."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


_CACHE: dict[tuple[Any, ...], RezConfig] = {}


def _cache_key(environ: Mapping[str, str]) -> tuple[Any, ...]:
    """Return what the configuration depends on: the environment and the files' stats.

    The whole environment counts (settings expand any ``$VAR``); a few ``stat`` calls and one
    hash take microseconds.
    """
    home = environ.get("HOME") or os.path.expanduser("~")  # noqa: PTH111
    stats: list[tuple[int, int] | None] = []
    for path in search_paths(environ, home):
        stats.extend(_stat(candidate) for candidate in candidate_files(path))
    return (frozenset(environ.items()), home, tuple(stats))


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)  # noqa: PTH116 - str paths, cheaper than Path.stat
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def rez_config(environ: Mapping[str, str] | None = None) -> RezConfig:
    """Return the configuration for *environ* (default ``os.environ``), shared while unchanged.

    The same environment and unchanged files give the same object, so a process reads its
    configuration files once; a test that changes a variable or a file gets a new one.
    """
    env = os.environ if environ is None else environ
    key = _cache_key(env)
    config = _CACHE.get(key)
    if config is None:
        if len(_CACHE) > 32:
            _CACHE.clear()
        config = _CACHE[key] = RezConfig(dict(env))
    return config
