"""The shared resolve cache: one solve serves a whole render farm, never a stale answer.

rez's answer to a farm whose hundreds of nodes resolve the same context is memcached
(``memcached_uri``, ``resolve_caching``, ``--no-cache``, ``rez-memcache``); pkgimport uses the
same engine, with its own key namespace (rez's entries are never read, written or flushed):

* :mod:`pkgimport.cache.resolves`: the resolve cache (keys like rez's, entries checked against
  the repositories before use);
* :mod:`pkgimport.cache._recording`: the provider wrapper that records what a solve looked at;
* :mod:`pkgimport.cache._memcached`: the memcached client (pymemcache, the only module that
  imports it), with short timeouts and one warning per fault.

This module only says where memcached is: :func:`memcached_servers`. It imports nothing heavy,
because every ``pkgimport resolve`` asks it.

>>> memcached_servers(None, {"REZ_MEMCACHED_URI": "127.0.0.1:11211, cache2"})
(('127.0.0.1', 11211), ('cache2', 11211))
>>> memcached_servers(["[::1]:2000"], {"PKGIMPORT_MEMCACHED_URI": "ignored:1"})
(('::1', 2000),)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypeAlias

from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "DEFAULT_PORT",
    "ENV_VAR",
    "REZ_CACHING_ENV_VAR",
    "REZ_ENV_VAR",
    "InvalidMemcachedURI",
    "Server",
    "memcached_servers",
    "parse_memcached_uri",
]


def __dir__() -> list[str]:
    return __all__


Server: TypeAlias = "tuple[str, int]"
"""A memcached server: ``(host, port)``."""

ENV_VAR = "PKGIMPORT_MEMCACHED_URI"
"""pkgimport's own setting: ``HOST:PORT[,HOST:PORT...]``."""
REZ_ENV_VAR = "REZ_MEMCACHED_URI"
"""rez's ``memcached_uri`` setting as rez reads it from the environment."""
REZ_CACHING_ENV_VAR = "REZ_RESOLVE_CACHING"
"""rez's ``resolve_caching`` setting: when false, rez (and pkgimport) never cache resolves."""
DEFAULT_PORT = 11211
"""memcached's port when a URI names none."""

# rez's Bool setting reads these words from the environment (rez.config.Bool).
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})


class InvalidMemcachedURI(PkgImportError, ValueError):  # noqa: N818 - packaging's naming
    """A memcached URI is not ``HOST``, ``HOST:PORT`` or ``[IPV6]:PORT``."""

    hint = "write servers as HOST:PORT, several separated by commas: cache1:11211,cache2:11211"


def parse_memcached_uri(text: str) -> Server:
    """Parse one server, ``HOST[:PORT]`` or ``[IPV6][:PORT]`` (rez's ``memcached_uri`` items).

    :raises InvalidMemcachedURI: no host, or a port that is no number from 1 to 65535.

    >>> parse_memcached_uri("localhost:11212"), parse_memcached_uri("[::1]")
    (('localhost', 11212), ('::1', 11211))
    """
    uri = text.strip()
    host, port_text = uri, ""
    if uri.startswith("["):
        end = uri.find("]")
        if end < 0 or (end + 1 < len(uri) and uri[end + 1] != ":"):
            raise InvalidMemcachedURI(f"invalid memcached URI {text!r}")
        host, port_text = uri[1:end], uri[end + 2 :]
    elif uri.count(":") == 1:
        host, port_text = uri.split(":")
    elif ":" in uri:
        raise InvalidMemcachedURI(f"invalid memcached URI {text!r}: write an IPv6 host as [::1]")
    if not host or any(c.isspace() or c in "/[]" for c in host):
        raise InvalidMemcachedURI(f"invalid memcached URI {text!r}")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidMemcachedURI(f"invalid port in memcached URI {text!r}")
    return host, int(port_text)


def memcached_servers(
    explicit: Sequence[str] | str | None,
    environ: Mapping[str, str] | None = None,
    *,
    configured: Sequence[str] | None = None,
    caching: bool | None = None,
) -> tuple[Server, ...]:
    """Return the memcached servers resolves use, in order; ``()`` for none (no caching).

    The first that is set wins: *explicit* (``--memcached``, repeated or comma-separated),
    ``$PKGIMPORT_MEMCACHED_URI``, then rez's ``$REZ_MEMCACHED_URI``. Items are separated by
    commas or blanks, as rez splits its list settings. ``$REZ_RESOLVE_CACHING`` set to a false
    word (``0``, ``false``, ``no``, ``off``...) turns the cache off, as it does for rez, unless
    servers are given explicitly.

    :param configured: rez's ``memcached_uri`` as the rez configuration reads it (files and
        ``$REZ_MEMCACHED_URI``): used instead of the variable.
    :param caching: rez's ``resolve_caching`` as the configuration reads it: used instead of
        ``$REZ_RESOLVE_CACHING``.
    :raises InvalidMemcachedURI: an item is not a server URI.
    """
    env = os.environ if environ is None else environ
    if isinstance(explicit, str):
        explicit = [explicit]
    if caching is None:
        caching = env.get(REZ_CACHING_ENV_VAR, "").strip().lower() not in _FALSE_WORDS
    if not explicit and not caching:
        return ()
    rez_setting = env.get(REZ_ENV_VAR) if configured is None else list(configured)
    for candidate in (explicit, env.get(ENV_VAR), rez_setting):
        if not candidate:
            continue
        parts = [candidate] if isinstance(candidate, str) else list(candidate)
        items = [item for part in parts for item in part.replace(",", " ").split()]
        if items:
            return tuple(dict.fromkeys(parse_memcached_uri(item) for item in items))
    return ()
