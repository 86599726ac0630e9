"""memcached as a store that can only ever miss: pymemcache behind the few calls caches make.

This is the only module that imports pymemcache, and it does so on the first call that needs
the network (importing it costs a fresh process about 20 ms; a process whose servers are all
known to be down never pays it). Every fault becomes a miss or a store not made:

* a server that refuses connections, or does not answer within :data:`TIMEOUT` (an accepted
  connection that never replies), is dropped for the rest of the process, and the keys go to the
  other servers (``HashClient`` hashes keys over the ones left). It is also noted in the user's
  cache folder, so that the next processes skip it for :data:`DOWN_SECONDS` instead of each
  paying the timeout again;
* a connection that breaks under a live client (the server restarted) is opened again once;
* a server that refuses a value (memory full, value too large) just does not store it.

Each kind of fault is warned about once per process, and once per :data:`WARN_SECONDS` across
processes (a farm node runs one resolve per process; the log should not fill with the same
line); ``--verbose`` shows every one.
"""

# str paths and os.* on purpose: this runs in the start-up of every cached resolve.
# ruff: noqa: PTH103, PTH116, PTH117, PTH118, PTH120

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pkgimport.cache import Server

__all__ = [
    "CONNECT_TIMEOUT",
    "DOWN_SECONDS",
    "MAX_VALUE_BYTES",
    "TIMEOUT",
    "WARN_SECONDS",
    "MemcachedStore",
    "default_state_dir",
]

CONNECT_TIMEOUT = 0.25
"""Seconds to wait for a TCP connection to a server."""
TIMEOUT = 0.5
"""Seconds to wait for a server's reply; a resolve never waits longer for the cache."""
DOWN_SECONDS = 30.0
"""How long other processes skip a server that was found not answering."""
WARN_SECONDS = 600.0
"""How often, across processes, the same kind of fault is warned about."""
MAX_VALUE_BYTES = 1000 * 1000
"""Values larger than this are not sent (memcached's default item limit is 1 MiB)."""

_T = TypeVar("_T")


def default_state_dir(environ: Mapping[str, str] | None = None) -> str:
    """Return where down servers and recent warnings are noted (``<user cache>/memcached``).

    The rule of ``pkgimport.repository.filesystem._user_cache_dir`` (XDG on Linux), repeated
    here because importing the repository costs a cache hit more than the whole lookup.
    """
    env = os.environ if environ is None else environ
    if sys.platform == "linux":
        xdg = env.get("XDG_CACHE_HOME", "")
        if os.path.isabs(xdg):
            return os.path.join(xdg, "pkgimport", "memcached")
        home = env.get("HOME", "")
        if os.path.isabs(home):
            return os.path.join(home, ".cache", "pkgimport", "memcached")
    import platformdirs  # noqa: PLC0415 - other systems only

    return os.path.join(platformdirs.user_cache_dir("pkgimport"), "memcached")


def _digest(text: str) -> str:
    try:
        from _sha1 import sha1  # type: ignore[import-not-found]  # noqa: PLC0415 - no OpenSSL
    except ImportError:  # pragma: no cover - a Python without the builtin module
        from hashlib import sha1  # noqa: PLC0415

    return str(sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16])


def _server_name(server: Server) -> str:
    host, port = server
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_client_class: Any = None


def _hash_client_class() -> Any:
    """Return pymemcache's ``HashClient``, extended to tell which servers it dropped."""
    global _client_class  # noqa: PLW0603 - built once, on first use (lazy import)
    if _client_class is None:
        from pymemcache.client.hash import HashClient  # noqa: PLC0415 - see the docstring

        class _HashClient(HashClient):  # type: ignore[misc]  # pymemcache is untyped
            """``HashClient`` that remembers the servers it took out of its ring."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self.lost: list[Server] = []
                super().__init__(*args, **kwargs)

            def remove_server(self, server: Any, port: Any = None) -> None:
                self.lost.append(server if port is None else (server, port))
                super().remove_server(server, port)

        _client_class = _HashClient
    return _client_class


class MemcachedStore:
    """Several memcached servers as one key-value store of bytes, for one process.

    :param servers: the servers, in order (keys are hashed over them, rendezvous hashing).
    :param warn: shows a warning (the CLI's ``ui.warn``); ``None`` keeps quiet.
    :param debug: shows a detail (``ui.debug``).
    :param state_dir: where down servers and warnings are noted; ``None`` notes nothing.

    No method raises for a fault of the servers: reads miss, writes return ``False``.
    """

    def __init__(
        self,
        servers: Sequence[Server],
        *,
        warn: Callable[[str], None] | None = None,
        debug: Callable[[str], None] | None = None,
        state_dir: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        timeout: float = TIMEOUT,
    ) -> None:
        self.servers = tuple(servers)
        self._warn = warn
        self._debug = debug
        self._state_dir = state_dir
        self._timeouts = (connect_timeout, timeout)
        self._client: Any = None
        self._reported: set[str] = set()
        self.alive = [s for s in self.servers if not self._recently_down(s)]
        """Servers still used by this process."""
        skipped = [_server_name(s) for s in self.servers if s not in self.alive]
        if skipped:
            self._say_debug(
                f"memcached {', '.join(skipped)} did not answer less than "
                f"{DOWN_SECONDS:.0f} s ago; not asking it"
            )

    def __repr__(self) -> str:
        return f"MemcachedStore({', '.join(_server_name(s) for s in self.servers)})"

    def is_available(self) -> bool:
        """Tell whether any server is still used (a method: it changes as servers fail)."""
        return bool(self.alive)

    # -- the calls -------------------------------------------------------------------------

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the values of those *keys* that the servers hold (a fault: none)."""
        found: dict[str, Any] = self._call(lambda c: c.get_many(list(keys)), default={})
        return {k: v for k, v in found.items() if isinstance(v, bytes)}

    def set(self, key: str, value: bytes) -> bool:
        """Store *value* under *key*; return whether the server took it."""
        if len(value) > MAX_VALUE_BYTES:
            self._say_debug(f"not stored in memcached: {len(value)} bytes is more than it holds")
            return False
        return bool(self._call(lambda c: c.set(key, value, noreply=False), default=False))

    def add(self, key: str, value: bytes) -> bool:
        """Store *value* only if *key* holds nothing; return whether it was stored."""
        return bool(self._call(lambda c: c.add(key, value, noreply=False), default=False))

    def incr(self, key: str) -> int | None:
        """Add 1 to the number under *key*; ``None`` if there is none (or no server)."""
        value = self._call(lambda c: c.incr(key, 1, noreply=False), default=None)
        return value if isinstance(value, int) else None

    def server_stats(self) -> list[tuple[str, dict[str, object] | str]]:
        """Return each server's ``stats`` (or why there are none), for ``pkgimport cache stats``.

        Asks every server, also those noted as down.
        """
        from pymemcache.client.base import Client  # noqa: PLC0415 - see the module docstring

        out: list[tuple[str, dict[str, object] | str]] = []
        for server in self.servers:
            client = Client(
                server,
                connect_timeout=self._timeouts[0],
                timeout=self._timeouts[1],
                no_delay=True,
            )
            try:
                raw = client.stats()
            except Exception as exc:  # noqa: BLE001 - any fault is reported, never raised
                out.append((_server_name(server), _describe(exc)))
                continue
            finally:
                client.close()
            stats = {
                (k.decode() if isinstance(k, bytes) else str(k)): (
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                )
                for k, v in raw.items()
            }
            out.append((_server_name(server), stats))
        return out

    def close(self) -> None:
        """Close the connections (the store connects again when used)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- faults ----------------------------------------------------------------------------

    def _connected(self) -> Any:
        if self._client is None and self.alive:
            self._client = _hash_client_class()(
                self.alive,
                connect_timeout=self._timeouts[0],
                timeout=self._timeouts[1],
                no_delay=True,
                # A failing server leaves the ring at once; the keys go to the others.
                retry_attempts=0,
                dead_timeout=10 * 365 * 86400,
                default_noreply=False,
            )
        return self._client

    def _call(self, op: Callable[[Any], _T], *, default: _T) -> _T:
        from pymemcache.exceptions import (  # noqa: PLC0415 - see the module docstring
            MemcacheError,
            MemcacheUnexpectedCloseError,
        )

        for attempt in (1, 2):
            client = self._connected()
            if client is None:
                return default
            try:
                return op(client)
            except (MemcacheUnexpectedCloseError, ConnectionResetError, BrokenPipeError) as exc:
                # A connection that worked was closed: the server restarted, or dropped an
                # idle client. Connect again once; a second break is a server down.
                self.close()
                if attempt == 2:
                    self._lose(client.lost or list(self.alive), exc)
            except OSError as exc:  # refused, timed out, unreachable: that server is down
                self._lose(client.lost, exc)
            except MemcacheError as exc:
                if not client.lost and "down" not in str(exc):
                    # The server answered with an error: memory full, value too large...
                    self.report("refused", f"memcached refused a request: {_describe(exc)}")
                    return default
                self._lose(client.lost or list(self.alive), exc)
        return default

    def _lose(self, servers: Sequence[Server], exc: BaseException) -> None:
        """Stop using *servers* (all of them when unknown) for this process, and note it."""
        lost = [s for s in (servers or self.alive) if s in self.alive]
        for server in lost:
            self.alive.remove(server)
            self._note_down(server)
        self.close()
        names = ", ".join(_server_name(s) for s in lost) or "memcached"
        rest = "with the other servers" if self.alive else "without the shared cache"
        self.report(
            "down", f"memcached {names} is not answering ({_describe(exc)}); resolving {rest}"
        )

    def report(self, kind: str, message: str) -> None:
        """Warn about a fault of *kind* once per process and per :data:`WARN_SECONDS`.

        Repeats, and the warnings already given by other processes, go to *debug* only.
        """
        if kind in self._reported or self._warn is None:
            self._say_debug(message)
            return
        self._reported.add(kind)
        marker = self._marker(f"warned-{kind}-{_digest(repr(self.servers))}")
        if marker is not None and _age(marker) < WARN_SECONDS:
            self._say_debug(message)
            return
        _touch(marker)
        every = f"{WARN_SECONDS / 60:.0f} minutes"
        self._warn(f"{message} (this warning is shown once every {every}; -v shows all)")

    def _say_debug(self, message: str) -> None:
        if self._debug is not None:
            self._debug(message)

    def _marker(self, name: str) -> str | None:
        return None if self._state_dir is None else os.path.join(self._state_dir, name)

    def _recently_down(self, server: Server) -> bool:
        marker = self._marker(f"down-{_digest(_server_name(server))}")
        return marker is not None and _age(marker) < DOWN_SECONDS

    def _note_down(self, server: Server) -> None:
        _touch(self._marker(f"down-{_digest(_server_name(server))}"))


def _age(path: str) -> float:
    """Seconds since *path* was touched (infinite when it does not exist)."""
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return float("inf")


def _touch(path: str | None) -> None:
    """Create or touch *path*; a cache folder that cannot be written is no error."""
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a"):  # noqa: PTH123 - os-level on purpose, see the top
            pass
        os.utime(path)
    except OSError:
        pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    elif text.startswith("b'"):
        text = text[2:-1]
    return text or type(exc).__name__
