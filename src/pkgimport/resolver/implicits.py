"""Implicit packages: the weak requests rez adds to every resolve (spec §4.1).

rez appends ``~platform==<platform> ~arch==<arch> ~os==<os>`` (its ``implicit_packages``
setting, expanded with the host's names) after the user's request; ``--no-implicit`` drops them.
pkgimport reads ``$PKGIMPORT_IMPLICIT_PACKAGES`` (whitespace-separated requests, ``{system.X}``
placeholders allowed) instead of rez's config.

>>> from pkgimport.platform_ import HostSystem
>>> host = HostSystem(platform="linux", arch="x86_64", os="Debian-12")
>>> implicit_packages(environ={}, host=host)
('~platform==linux', '~arch==x86_64', '~os==Debian-12')
>>> implicit_packages(environ={ENV_VAR: "~os=={system.os} ~gcc-12"}, host=host)
('~os==Debian-12', '~gcc-12')
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from pkgimport.errors import InvalidRequirement
from pkgimport.resolver.requirements import parse_request

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pkgimport.platform_ import HostSystem

__all__ = ["DEFAULT_IMPLICIT_PACKAGES", "ENV_VAR", "implicit_packages"]

ENV_VAR = "PKGIMPORT_IMPLICIT_PACKAGES"
"""Environment variable that replaces the default implicit packages."""

DEFAULT_IMPLICIT_PACKAGES = (
    "~platform=={system.platform}",
    "~arch=={system.arch}",
    "~os=={system.os}",
)
"""rez's default ``implicit_packages`` setting."""

_PLACEHOLDER_RE = re.compile(r"\{system\.(platform|arch|os)\}")


def implicit_packages(
    explicit: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    host: HostSystem | None = None,
) -> tuple[str, ...]:
    """Return the implicit requests, canonical, with ``{system.X}`` expanded.

    Order: *explicit* (a CLI flag), ``$PKGIMPORT_IMPLICIT_PACKAGES``, rez's default.

    :param host: the names to expand; defaults to this machine's (as rez's ``system``).
    :raises InvalidRequirement: an implicit request is not valid rez syntax.
    """
    env = os.environ if environ is None else environ
    templates: Sequence[str]
    if explicit is not None:
        templates = [word for item in explicit for word in item.split()]
    elif ENV_VAR in env:
        templates = env[ENV_VAR].split()
    else:
        templates = DEFAULT_IMPLICIT_PACKAGES
    if host is None and any(_PLACEHOLDER_RE.search(t) for t in templates):
        from pkgimport.platform_ import host_system  # noqa: PLC0415 - probe only when needed

        host = host_system()
    result = []
    for template in templates:
        text = _PLACEHOLDER_RE.sub(lambda m: str(getattr(host, m.group(1))), template)
        try:
            result.append(str(parse_request(text)))
        except InvalidRequirement as exc:
            source = "--implicit" if explicit is not None else f"${ENV_VAR}"
            error = InvalidRequirement(f"invalid implicit package {text!r} (from {source}): {exc}")
            error.hint = f"fix {source}, or pass --no-implicit"
            raise error from None
    return tuple(result)
