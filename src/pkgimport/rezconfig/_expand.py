"""rez's expansion of setting values: ``$VAR``, ``~`` and ``{system.X}`` (``expand_system_vars``).

Every string inside a setting's value (lists and dict values included, dict keys not) is
expanded in three steps, as rez does after validating a setting:

1. ``$VAR`` / ``${VAR}`` from the environment; unknown variables stay as they are;
2. ``~`` at the start of the text, or after a path separator or a blank, and followed by a
   separator, a blank or the end, becomes the home folder; only then is the whole text
   normalised (``os.path.normpath``), as rez's ``expanduser`` does;
3. ``str.format`` fields over one object, ``system``: ``{system.platform}``; unknown fields
   stay as written, ``{{`` becomes ``{``.

>>> names = SystemNames(platform="linux", arch="x86_64", os="Debian-12")
>>> expand("~platform=={system.platform}", environ={}, home="/home/me", system=names)
'~platform==linux'
>>> expand(["~/packages", "$NOPE/x"], environ={}, home="/home/me", system=names)
['/home/me/packages', '$NOPE/x']
"""

# str paths and os.path on purpose: rez's exact string semantics (normpath, expanduser).
# ruff: noqa: PTH111

from __future__ import annotations

import os
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from pkgimport._envvars import expand_vars

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["SystemNames", "expand", "expand_home", "expand_vars"]

# Patterns are compiled on first use (``re`` caches them): most values need neither.
_SEPS = re.escape("".join({os.sep, os.altsep or os.sep}))
_PATHSEPS = re.escape("".join({os.pathsep, ";"}))
_HOME = rf"(\A|\s|[{_PATHSEPS}])~([{_SEPS}]|[{_PATHSEPS}]|\s|\Z)"
# The common case, "{system.platform}" and nothing else in braces, without string.Formatter.
_SIMPLE_FIELDS = r"\{system\.([A-Za-z_]\w*)\}"

REZ_VERSION = "3.4.0"
"""``{system.rez_version}``: the rez whose behaviour pkgimport follows."""


class SystemNames:
    """What ``{system.X}`` expands to: rez's ``system`` object, for this machine or a target.

    Names are computed on first use only (a user name or host name costs a system call).
    ``platform``, ``arch`` and ``os`` come from the keywords, else from *names* (called with
    the attribute's name, so the host is probed only when a setting refers to it); the rest
    are this machine's.
    """

    def __init__(
        self,
        names: Callable[[str], str] | None = None,
        *,
        platform: str | None = None,
        arch: str | None = None,
        os: str | None = None,
    ) -> None:
        self._names = names
        self._given = {"platform": platform, "arch": arch, "os": os}
        self._cache: dict[str, Any] = {}

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        cache = self._cache
        if attr not in cache:
            cache[attr] = self._compute(attr)
        return cache[attr]

    def _compute(self, attr: str) -> Any:
        if attr in {"platform", "arch", "os"}:
            given = self._given[attr]
            if given is not None:
                return given
            if self._names is None:
                raise AttributeError(attr)
            return self._names(attr)
        if attr == "variant":
            return [f"platform-{self.platform}", f"arch-{self.arch}", f"os-{self.os}"]
        return _host_attribute(attr)


def _host_attribute(attr: str) -> Any:
    """Return a ``system`` attribute that does not depend on the target (user, host names)."""
    if attr == "rez_version":
        return REZ_VERSION
    if attr == "user":
        import getpass  # noqa: PLC0415 - only when a setting names {system.user}

        return getpass.getuser()
    if attr == "home":
        return os.path.expanduser("~")
    if attr in {"fqdn", "hostname", "domain"}:
        import socket  # noqa: PLC0415 - only when a setting names the host

        if attr == "hostname":
            return socket.gethostname()
        fqdn = socket.getfqdn()
        return fqdn if attr == "fqdn" else [*fqdn.split(".", 1), ""][1]
    # Attributes rez has and pkgimport does not model (shell, rez_bin_path...) stay
    # unexpanded, as rez leaves any field it cannot resolve.
    raise AttributeError(attr)


def expand_home(text: str, home: str) -> str:
    """Expand ``~`` as rez's ``expanduser`` does: never ``~user``; normalises the text."""
    if "~" not in text:
        return text
    replaced = re.sub(_HOME, lambda m: m.group(1) + home + m.group(2), text)
    return os.path.normpath(replaced)


@cache
def _formatter_class() -> type:
    """Build the formatter class once (``string`` costs 1 ms of start-up; few values need it)."""
    import string  # noqa: PLC0415 - see above

    class _Formatter(string.Formatter):
        def __init__(self, system: object) -> None:
            self.system = system

        def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
            if key == "system":
                return self.system
            return super().get_value(key, args, kwargs)

        def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
            try:
                return super().get_field(field_name, args, kwargs)
            except (AttributeError, KeyError, TypeError):
                match = re.match(r"[^\.\[]+", field_name)
                return ("{%s}" % field_name, match.group() if match else field_name)  # noqa: UP031

        def convert_field(self, value: Any, conversion: str | None) -> Any:
            # rez formats "pretty": None as nothing, lists as their items joined by blanks.
            if value is None:
                return ""
            if isinstance(value, list):
                return " ".join(map(str, value))
            return super().convert_field(value, conversion)

    return _Formatter


def _scoped_format(text: str, system: object) -> str:
    """Format *text* as rez's ``scoped_format(text, system=system)``: unknown fields stay."""
    rest = re.sub(_SIMPLE_FIELDS, "", text)
    if "{" not in rest and "}" not in rest:
        # Only plain {system.X} fields: what the formatter below gives, without importing it.
        return re.sub(_SIMPLE_FIELDS, lambda m: _field_text(system, m), text)
    formatter = _formatter_class()(system)
    return str(formatter.vformat(text, (), {}))


def _field_text(system: object, match: re.Match[str]) -> str:
    try:
        value = getattr(system, match.group(1))
    except AttributeError:
        return match.group(0)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(map(str, value))
    return format(value)


def expand(value: Any, *, environ: Mapping[str, str], home: str, system: object) -> Any:
    """Expand every string in *value*, recursively; tuples and sets become lists like rez's."""
    if isinstance(value, str):
        text = expand_home(expand_vars(value, environ), home)
        if "{" not in text and "}" not in text:
            return text
        return _scoped_format(text, system)
    if isinstance(value, (list, tuple, set)):
        return [expand(item, environ=environ, home=home, system=system) for item in value]
    if isinstance(value, dict):
        return {k: expand(v, environ=environ, home=home, system=system) for k, v in value.items()}
    return value
