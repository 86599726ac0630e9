"""rez configuration files: which are searched, how each is read, how they are merged.

rez searches its own ``rezconfig.py`` (the defaults), then each path of ``$REZ_CONFIG_FILE``
(``os.pathsep``-separated), then ``~/.rezconfig`` unless ``$REZ_DISABLE_HOME_CONFIG`` is
``1``/``t``/``true``. For each path it tries ``<path without extension>.py`` first (a Python
file, run), else the path itself as YAML; a path that is neither is skipped. Files are merged
in that order with rez's ``deep_update``: dicts merge key by key, a :class:`ModifyList`
prepends/appends to the list before it, anything else replaces.

Python files are the studio's own code and are run as rez runs them, with ``rez_version``,
``ModifyList`` and ``DelayLoad`` defined; every global they leave that is not a module,
``__builtins__`` or one of those names is a setting. YAML files are read with the safe loader
(rez's full loader also builds Python objects from tags, which no setting needs).
"""

# str paths and os.path on purpose: rez's exact string semantics (splitext, isfile).
# ruff: noqa: PTH111, PTH113, PTH119, PTH122

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pkgimport.rezconfig._expand import REZ_VERSION
from pkgimport.rezconfig._schema import InvalidRezConfig

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DelayLoad", "ModifyList", "deep_update", "load_file", "search_paths"]


class ModifyList:
    """Add to a list setting instead of replacing it (rez's ``ModifyList``).

    >>> ModifyList(prepend=["/studio"], append=["/ext"]).apply(["~/packages"])
    ['/studio', '~/packages', '/ext']
    """

    def __init__(self, append: list[Any] | None = None, prepend: list[Any] | None = None) -> None:
        for value in (prepend, append):
            if value is not None and not isinstance(value, list):
                raise ValueError(f"Expected list in ModifyList, not {value!r}")
        self.prepend = prepend
        self.append = append

    def apply(self, value: Any) -> list[Any]:
        """Return ``prepend + value + append`` (``None`` counts as ``[]``)."""
        if value is None:
            value = []
        elif not isinstance(value, list):
            raise ValueError(f"Attempted to apply ModifyList to non-list: {value!r}")
        items: list[Any] = value
        return (self.prepend or []) + items + (self.append or [])

    def __repr__(self) -> str:
        return f"ModifyList(append={self.append!r}, prepend={self.prepend!r})"


class DelayLoad:
    """A setting read from a ``.yaml`` or ``.json`` file when it is used (rez's ``DelayLoad``)."""

    def __init__(self, filepath: str) -> None:
        self.filepath = os.path.expanduser(filepath)

    def __str__(self) -> str:
        return f"DelayLoad({self.filepath})"

    __repr__ = __str__

    def get_value(self) -> Any:
        """Read the file.

        :raises InvalidRezConfig: unsupported extension, unreadable or unparsable file.
        """
        # rez compares the extension with ".yaml" and "yml" (sic): ".yml" files are refused.
        ext = os.path.splitext(self.filepath)[1]
        if ext not in {".yaml", ".json"}:
            raise InvalidRezConfig(f"Error in DelayLoad - unsupported file format {self.filepath}")
        try:
            text = Path(self.filepath).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidRezConfig(f"Error reading {self}: {exc}") from None
        try:
            return json.loads(text) if ext == ".json" else _yaml_load(text)
        except ValueError as exc:
            raise InvalidRezConfig(f"Error loading from {self}: {exc}") from None


def search_paths(environ: Mapping[str, str], home: str) -> list[str]:
    """Return the paths rez searches after its defaults, in order (``--search-list``)."""
    paths: list[str] = []
    config_file = environ.get("REZ_CONFIG_FILE")
    if config_file:
        paths.extend(config_file.split(os.pathsep))
    if environ.get("REZ_DISABLE_HOME_CONFIG", "").lower() not in {"1", "t", "true"}:
        paths.append(f"{home}/.rezconfig" if home else os.path.expanduser("~/.rezconfig"))
    return paths


def candidate_files(path: str) -> tuple[str, str]:
    """Return the two files rez tries for a searched *path*: its ``.py`` twin, then *path*."""
    return os.path.splitext(path)[0] + ".py", path


def load_file(path: str) -> tuple[str, dict[str, Any]] | None:
    """Read the configuration file rez would read for the searched *path*.

    :returns: the file read and its settings; ``None`` when neither candidate is a file.
    :raises InvalidRezConfig: the file does not run, does not parse or holds no mapping.
    """
    py_file, yaml_file = candidate_files(path)
    if os.path.isfile(py_file):
        return py_file, _load_py(py_file)
    if os.path.isfile(yaml_file):
        return yaml_file, _load_yaml(yaml_file)
    return None


_RESERVED = ("__name__", "__file__", "rez_version", "ModifyList", "DelayLoad")


def _load_py(path: str) -> dict[str, Any]:
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRezConfig(f"Error loading configuration from {path}: {exc}") from None
    namespace: dict[str, Any] = {
        "__name__": os.path.splitext(os.path.basename(path))[0],
        "__file__": path,
        "rez_version": REZ_VERSION,
        "ModifyList": ModifyList,
        "DelayLoad": DelayLoad,
    }
    try:
        # The studio's own configuration, trusted as rez trusts it: rez runs it the same way.
        exec(compile(source, path, "exec"), namespace)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 - any error in the file is the file's error
        raise InvalidRezConfig(f"Error loading configuration from {path}: {exc}") from None
    return {
        key: value
        for key, value in namespace.items()
        if key != "__builtins__" and key not in _RESERVED and not isinstance(value, ModuleType)
    }


def _yaml_load(text: str) -> Any:
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.startswith("{"):
        # JSON is YAML; reading it without PyYAML saves 30 ms of start-up.
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    import yaml  # noqa: PLC0415 - 30 ms; only for a YAML file that is not JSON

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def _load_yaml(path: str) -> dict[str, Any]:
    try:
        doc = _yaml_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, ValueError) as exc:
        raise InvalidRezConfig(f"Error loading configuration from {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidRezConfig(
            f"Error loading configuration from {path}: Expected dict, got {type(doc).__name__}"
        )
    return doc


def _flatten(value: Any) -> Any:
    if isinstance(value, ModifyList):
        return value.apply([])
    if isinstance(value, dict):
        return {k: _flatten(v) for k, v in value.items()}
    return value


def deep_update(base: dict[str, Any], update: Mapping[str, Any]) -> None:
    """Merge *update* into *base* as rez's ``deep_update`` does (*update* is not changed).

    >>> data = {"a": {"x": 1}, "l": [1]}
    >>> deep_update(data, {"a": {"y": 2}, "l": ModifyList(append=[2])})
    >>> data
    {'a': {'x': 1, 'y': 2}, 'l': [1, 2]}
    """
    for key, value in list(base.items()):
        if key not in update:
            base[key] = _flatten(value)
    for key, new in update.items():
        old = base.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            deep_update(old, new)
        elif isinstance(new, ModifyList):
            base[key] = new.apply(_flatten(old))
        else:
            base[key] = _flatten(new)
