"""``pkgimport cache``: the shared resolve cache on memcached (``rez-memcache``'s verbs).

``stats`` shows each server's figures, ``flush`` forgets pkgimport's entries (rez's stay),
``warm`` solves requests now and stores them, so a farm's first nodes find them ready.

Also the options ``resolve`` and ``env`` share (``--memcached``, ``--no-cache``) and
:func:`open_resolve_cache`, which turns them (and ``$PKGIMPORT_MEMCACHED_URI``,
``$REZ_MEMCACHED_URI``) into a :class:`~pkgimport.cache.resolves.ResolveCache`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from pkgimport._cli._ui import UI
    from pkgimport.cache.resolves import ResolveCache

# The cache modules (and pymemcache) are imported where they are used: building the parser
# for any command imports this module.

__all__ = ["add_cache_arguments", "open_resolve_cache", "register", "run"]

_EPILOG = """\
examples:
  pkgimport cache stats --memcached cache1:11211    each server's items, memory, hits, misses
  pkgimport cache stats --json                      the same, for scripts
  pkgimport cache flush                             forget pkgimport's resolves (rez's stay)
  pkgimport cache warm maya-2024 python-3.11       solve now; every node then reads it

The servers: --memcached, else $PKGIMPORT_MEMCACHED_URI, else rez's $REZ_MEMCACHED_URI
(HOST:PORT, several separated by commas).
"""

_NO_SERVERS_HINT = (
    "name the servers with --memcached HOST:PORT or $PKGIMPORT_MEMCACHED_URI (rez's "
    "$REZ_MEMCACHED_URI works too)"
)

# What `cache stats` shows of memcached's `stats` (the rest is in --json).
_SHOWN = (
    ("version", "version"),
    ("uptime", "uptime (s)"),
    ("curr_items", "items"),
    ("bytes", "bytes used"),
    ("limit_maxbytes", "bytes limit"),
    ("get_hits", "hits"),
    ("get_misses", "misses"),
    ("evictions", "evictions"),
    ("curr_connections", "connections"),
)


def add_cache_arguments(parser: argparse.ArgumentParser, *, no_cache: bool = True) -> None:
    """Add ``--memcached`` (and ``--no-cache``) to a command that resolves."""
    parser.add_argument(
        "--memcached",
        action="append",
        metavar="HOST:PORT",
        help="memcached servers of the shared resolve cache, comma-separated or repeated "
        "(default: $PKGIMPORT_MEMCACHED_URI, then rez's $REZ_MEMCACHED_URI)",
    )
    if no_cache:
        parser.add_argument(
            "--no-cache",
            action="store_true",
            help="neither read nor store the shared resolve cache (rez-env --no-cache)",
        )


def open_resolve_cache(args: argparse.Namespace, ui: UI | None) -> ResolveCache | None:
    """Return the resolve cache the options name, or ``None`` (not set, or ``--no-cache``).

    Cheap: nothing connects (nor imports pymemcache) before the first lookup.

    :raises InvalidMemcachedURI: a server is not written ``HOST:PORT``.
    """
    if getattr(args, "no_cache", False):
        return None
    from pkgimport.cache import memcached_servers  # noqa: PLC0415 - see the imports
    from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - see the imports

    # rez's own settings (its files and REZ_* variables), as rez reads them.
    config = rez_config()
    servers = memcached_servers(
        getattr(args, "memcached", None),
        configured=config.get("memcached_uri"),
        caching=config.get("resolve_caching"),
    )
    if not servers:
        return None
    return _cache(servers, ui)


def _cache(servers: Any, ui: UI | None) -> ResolveCache:
    from pkgimport.cache._memcached import MemcachedStore, default_state_dir  # noqa: PLC0415
    from pkgimport.cache.resolves import ResolveCache  # noqa: PLC0415 - see the imports

    store = MemcachedStore(
        servers,
        warn=None if ui is None else ui.warn,
        debug=None if ui is None else ui.debug,
        state_dir=default_state_dir(),
    )
    return ResolveCache(store, debug=None if ui is None else ui.debug)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``cache`` subcommand (and its verbs) to *sub*."""
    from pkgimport._cli.resolve import add_resolve_arguments  # noqa: PLC0415 - no import cycle

    parser = sub.add_parser(
        "cache",
        parents=[common],
        help="the shared resolve cache on memcached: stats, flush, warm",
        description="Look after the resolve cache that resolve and env share through "
        "memcached (rez-memcache's verbs). pkgimport keeps its own entries, under its own "
        "keys: rez's are never read, written or flushed.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    stats = verbs.add_parser(
        "stats", parents=[common], help="each server's figures (items, memory, hits...)"
    )
    add_cache_arguments(stats, no_cache=False)
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    flush = verbs.add_parser(
        "flush", parents=[common], help="forget every pkgimport resolve (rez's entries stay)"
    )
    add_cache_arguments(flush, no_cache=False)
    warm = verbs.add_parser(
        "warm",
        parents=[common],
        help="solve requests now and store them",
        description="Solve REQUEST (or each request of --requests-file) with the same "
        "options resolve takes, and store it in the shared cache, whatever it holds.",
    )
    add_resolve_arguments(warm, cache=False)
    add_cache_arguments(warm, no_cache=False)
    warm.add_argument(
        "--requests-file",
        metavar="FILE",
        help="warm each request of a JSON list of lists of strings",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, ui: UI) -> int:
    """Run ``pkgimport cache VERB``."""
    verb: str = args.verb
    if verb == "warm":
        return _warm(args, ui)
    cache = open_resolve_cache(args, ui)
    if cache is None:
        raise PkgImportError("no memcached server is set", hint=_NO_SERVERS_HINT)
    if verb == "flush":
        return _flush(cache, ui)
    return _stats(cache, ui, as_json=bool(args.json))


def _stats(cache: ResolveCache, ui: UI, *, as_json: bool) -> int:
    servers = cache.store.server_stats()
    answering = [stats for _, stats in servers if isinstance(stats, dict)]
    generation = cache.generation() if answering else None
    if as_json:
        ui.json(
            {
                "servers": [
                    {"server": name, "ok": True, "stats": stats}
                    if isinstance(stats, dict)
                    else {"server": name, "ok": False, "error": stats}
                    for name, stats in servers
                ],
                "generation": generation,
            }
        )
        return 0 if answering else 1
    for name, stats in servers:
        if not isinstance(stats, dict):
            ui.print(f"{name}: not answering ({stats})")
            continue
        ui.print(f"{name}:")
        for key, label in _SHOWN:
            ui.print(f"  {label:<12} {stats.get(key, '?')}")
        lookups = _int(stats.get("get_hits")) + _int(stats.get("get_misses"))
        if lookups:
            ui.print(f"  {'hit ratio':<12} {_int(stats.get('get_hits')) / lookups:.1%}")
    if generation is not None:
        ui.print(f"pkgimport generation: {generation} (entries of older ones are void)")
    return 0 if answering else 1


def _flush(cache: ResolveCache, ui: UI) -> int:
    old, new = cache.flush()
    if new is None:
        raise PkgImportError(
            "cannot flush: no memcached server answered",
            hint="check the servers with 'pkgimport cache stats'",
        )
    ui.print(
        f"flushed pkgimport's resolve cache (generation {old} -> {new}); "
        "rez's entries were not touched"
    )
    return 0


def _warm(args: argparse.Namespace, ui: UI) -> int:
    import json  # noqa: PLC0415 - see the imports
    from pathlib import Path  # noqa: PLC0415 - see the imports

    from pkgimport._cli import cyclic_gc_paused  # noqa: PLC0415 - see the imports
    from pkgimport._cli.resolve import ResolveSession  # noqa: PLC0415 - see the imports

    if args.requests_file:
        try:
            requests = json.loads(Path(args.requests_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PkgImportError(
                f"cannot read requests file {args.requests_file!r}: {exc}",
                hint='it must be a JSON list of requests, e.g. [["foo", "bar-2"], ["baz"]]',
            ) from None
    else:
        requests = [args.request]
    if not all(isinstance(r, list) and r and all(isinstance(s, str) for s in r) for r in requests):
        raise PkgImportError(
            "nothing to warm", hint="pass a request (foo-1.2 bar), or --requests-file FILE"
        )
    with cyclic_gc_paused():
        session = ResolveSession(args, ui)
        if session.cache is None:
            raise PkgImportError("no memcached server is set", hint=_NO_SERVERS_HINT)
        worst = 0
        for request in requests:
            context = session.resolve(request, reuse=False)
            status = session.cache_status or "not stored"
            ui.print(f"{' '.join(request)}: {context.status}; {status}")
            if not context.is_solved or not status.startswith("stored"):
                worst = 1
    return worst


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0
