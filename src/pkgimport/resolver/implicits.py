"""Implicit packages: the weak requests rez adds to every resolve (spec §4.1).

rez appends its ``implicit_packages`` setting (default ``~platform=={system.platform}
~arch=={system.arch} ~os=={system.os}``, expanded with the host's names) after the user's
request; ``--no-implicit`` drops them. pkgimport reads that setting from the rez
configuration (:mod:`pkgimport.rezconfig`: files, ``$REZ_IMPLICIT_PACKAGES``); an explicit
list or ``$PKGIMPORT_IMPLICIT_PACKAGES`` (whitespace-separated requests, ``{system.X}``
placeholders allowed) overrides it.

>>> from pkgimport.platform_ import HostSystem
>>> host = HostSystem(platform="linux", arch="x86_64", os="Debian-12")
>>> implicit_packages(environ={"REZ_DISABLE_HOME_CONFIG": "1"}, host=host)
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

    Order: *explicit* (a CLI flag), ``$PKGIMPORT_IMPLICIT_PACKAGES``, rez's
    ``implicit_packages`` setting (its variable, its files, its default).

    :param host: the names to expand (another machine's for ``--target``); defaults to this
        machine's (as rez's ``system``, with ``platform_map`` applied).
    :raises InvalidRequirement: an implicit request is not valid rez syntax.
    :raises InvalidRezConfig: the rez setting is broken.
    """
    env = os.environ if environ is None else environ
    templates: Sequence[str]
    if explicit is not None:
        templates = [word for item in explicit for word in item.split()]
    elif ENV_VAR in env:
        templates = env[ENV_VAR].split()
    else:
        return _configured(env, host)
    if host is None and any(_PLACEHOLDER_RE.search(t) for t in templates):
        from pkgimport.platform_ import host_system  # noqa: PLC0415 - probe only when needed

        host = host_system()
    texts = [_PLACEHOLDER_RE.sub(lambda m: str(getattr(host, m.group(1))), t) for t in templates]
    return _canonical(texts, "--implicit" if explicit is not None else f"${ENV_VAR}")


def _configured(environ: Mapping[str, str], host: HostSystem | None) -> tuple[str, ...]:
    """Return rez's ``implicit_packages``, expanded for *host* (default: this machine)."""
    from pkgimport.rezconfig import SystemNames, rez_config  # noqa: PLC0415 - see the callers

    config = rez_config(environ)
    if host is None:
        values = config.get("implicit_packages")
        source = config.source("implicit_packages")
    else:
        raw, source = config.raw("implicit_packages")
        names = SystemNames(platform=host.platform, arch=host.arch, os=host.os)
        values = config.expand_for(raw, names)
    origin = "rez's implicit_packages" + ("" if source == "defaults" else f" in {source}")
    return _canonical(values, origin)


def _canonical(texts: Sequence[str], source: str) -> tuple[str, ...]:
    try:
        return tuple(str(parse_request(text)) for text in texts)
    except InvalidRequirement as exc:
        text = next(t for t in texts if not _parses(t))
        error = InvalidRequirement(f"invalid implicit package {text!r} (from {source}): {exc}")
        error.hint = f"fix {source}, or pass --no-implicit"
        raise error from None


def _parses(text: str) -> bool:
    try:
        parse_request(text)
    except InvalidRequirement:
        return False
    return True
