"""The resolve cache: a solve stored in memcached, used only while nothing it used has changed.

Keys are rez's (``resolver.py``, ``_memcache_key``): the request, the repositories (path and
inode of each root, in order), the filters (before ``--time`` is added), the orderers, the
implicit packages and the solver's options (``variant_select_mode``, ``building``...), plus
pkgimport's version and this format's. They live in pkgimport's own namespace,
``pkgimport:r<FORMAT>:<sha1>``; rez's keys are bare md5 digests, so neither ever reads the
other's entries. memcached cannot flush by prefix, so every entry records the namespace
generation (``pkgimport:generation``, read with the entries in one request) it was made in,
and ``pkgimport cache flush`` moves the generation on: every older entry is void from then on,
until a new resolve overwrites it or memcached evicts it.

An entry holds the context (its ``.rxt`` form) and what must still hold for it to be the
answer (see :mod:`pkgimport.cache._recording`):

* the folder state of every family the solve asked about, in every repository;
* the mtime, size and inode of every resolved package's file (an edit in place, which rez
  catches with the same check);
* the newest timestamp of the packages the solve loaded.

:meth:`ResolveCache.lookup` stats those (a few hundred ``stat`` calls, no file read) and
uses the entry only if all match. A release finished before the lookup changed a folder, so
it is always seen. Only successful resolves are stored (rez's rule), and not when a folder
changed so recently that a second change could share its mtime (filesystems keep time in
ticks: 1-10 ms on Linux, 1-2 s on some network and FAT filesystems).

``--time T`` follows rez: an entry made without T (or with a T after every package it
loaded) answers a request at T only if no package it loaded is newer than T, so the time
filter would have hidden nothing; otherwise the entry made at exactly T is used.
"""

# str paths and os.stat on purpose: the hit path of every cached resolve.
# ruff: noqa: PTH100, PTH116

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from pkgimport import __version__
from pkgimport.cache._recording import RecordingProvider, folder_states

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pkgimport.cache._memcached import MemcachedStore
    from pkgimport.platform_ import HostSystem
    from pkgimport.resolver.context import ResolvedContext
    from pkgimport.resolver.provider import PackageProvider

__all__ = [
    "COMPRESS_MIN_BYTES",
    "FORMAT",
    "GENERATION_KEY",
    "CachedResolve",
    "CachedVariant",
    "ResolveCache",
    "ResolveKey",
    "decode_entry",
    "encode_entry",
    "repository_roots",
]


def __dir__() -> list[str]:
    return __all__


FORMAT = 1
"""Entry and key format; change it whenever what an entry holds or means changes."""
GENERATION_KEY = "pkgimport:generation"
"""The namespace generation (a number): part of every key, moved on by a flush."""
COMPRESS_MIN_BYTES = 4096
"""Entries larger than this are zlib-compressed (a 300-package context: ~120 KB -> ~15 KB)."""

_MAGIC = b"pkgimport-resolve/%d\n" % FORMAT
# pkgimport.resolver.provider.SYNTHETIC_LOCATION (importing it costs a cache hit 10 ms;
# tests/cache/test_cli_cache.py checks they agree).
_SYNTHETIC_LOCATION = "<synthetic>"
_PLAIN, _ZLIB = b"j", b"z"


class ResolveKey(NamedTuple):
    """Everything that shapes a resolve's answer besides the packages themselves."""

    request: tuple[str, ...]
    """The user's request strings, as given."""
    implicits: tuple[str, ...]
    """Implicit packages, expanded."""
    roots: tuple[str, ...]
    """Repository roots, absolute, in search order."""
    identities: tuple[int, ...]
    """Inode of each root (``-1``: missing): a repository replaced at the same path differs."""
    filters: str
    """The filters' rez pods as canonical JSON (without the ``--time`` rule)."""
    orderers: str
    """The orderers' rez pods as canonical JSON."""
    options: str
    """The solver's options as canonical JSON (``max_fails``, ``variant_select_mode``...)."""
    timestamp: int | None
    """``--time``, if given."""

    @classmethod
    def build(
        cls,
        request: Sequence[str],
        *,
        implicits: Sequence[str] = (),
        paths: Sequence[str],
        package_filter: Sequence[Mapping[str, Any]] = (),
        package_orderers: Sequence[Mapping[str, Any]] | None = None,
        options: Mapping[str, object] | None = None,
        timestamp: int | None = None,
    ) -> ResolveKey:
        """Build the key of a resolve; stats each repository root once.

        >>> key = ResolveKey.build(["foo-1"], paths=["/nonexistent"])
        >>> key.roots, key.identities
        (('/nonexistent',), (-1,))
        """
        roots = repository_roots(paths)
        return cls(
            request=tuple(request),
            implicits=tuple(implicits),
            roots=roots,
            identities=tuple(_inode(r) for r in roots),
            filters=_canonical(list(package_filter)),
            orderers=_canonical(None if package_orderers is None else list(package_orderers)),
            options=_canonical(dict(options or {})),
            timestamp=timestamp,
        )

    def digest(self, *, timestamped: bool) -> str:
        """Return the sha1 of the key (with ``--time`` only for a *timestamped* entry)."""
        parts = [FORMAT, __version__, *self[:-1], self.timestamp if timestamped else None]
        return _sha1(_canonical(parts))


def repository_roots(paths: Sequence[str]) -> tuple[str, ...]:
    """Return the roots of the repositories at *paths* as the repositories name them."""
    return tuple(os.path.abspath(p) for p in paths)


class CachedVariant:
    """A resolved variant as a cached resolve lists it."""

    __slots__ = ("index", "location", "name", "version")

    def __init__(self, name: str, version: str, index: int | None, location: str) -> None:
        self.name = name
        self.version = version
        self.index = index
        self.location = location

    def __str__(self) -> str:
        qualified = f"{self.name}-{self.version}" if self.version else self.name
        return f"{qualified}[{'' if self.index is None else self.index}]"


class CachedResolve:
    """A successful resolve read from the cache.

    Has the attributes the CLI's ``--json`` output reads (like a
    :class:`~pkgimport.resolver.context.ResolvedContext`), without importing the resolver;
    :meth:`to_context` gives the full context.
    """

    status = "solved"
    is_solved = True
    failure_description: str | None = None
    failure_explanation: tuple[str, ...] = ()

    def __init__(self, context: Mapping[str, Any]) -> None:
        self._context = context

    @property
    def request(self) -> tuple[str, ...]:
        """User requests, canonical."""
        return tuple(self._context["package_requests"])

    @property
    def ephemerals(self) -> tuple[str, ...]:
        """Resolved ephemerals."""
        return tuple(self._context["resolved_ephemerals"])

    @property
    def variants(self) -> tuple[CachedVariant, ...]:
        """Resolved variants in rez's order."""
        return tuple(
            CachedVariant(f["name"], f["version"], f["index"], f["location"])
            for f in (handle["variables"] for handle in self._context["resolved_packages"])
        )

    def resolved_strings(self) -> list[str]:
        """``name-version[index]`` per variant, as rez prints them."""
        return [str(v) for v in self.variants]

    def to_context(
        self,
        *,
        package_paths: Sequence[str],
        requested_timestamp: int | None,
        host: HostSystem | None = None,
        now: float | None = None,
    ) -> ResolvedContext:
        """Return the context as this run would have made it (``from_cache`` set).

        What belongs to this run replaces what the storing run recorded: when and by whom it
        was created, the resolve time, the paths as written, the host's names.

        :raises InvalidContextFile: the entry does not hold a valid context.
        """
        from pkgimport.resolver.context import (  # noqa: PLC0415 - a hit imports no resolver
            ResolvedContext,
            _hostname,
            _user,
        )

        created = int(time.time() if now is None else now)
        data = dict(self._context)
        data.update(
            created=created,
            timestamp=created if requested_timestamp is None else requested_timestamp,
            requested_timestamp=requested_timestamp,
            package_paths=list(package_paths),
            user=_user(),
            host=_hostname(),
            platform=host.platform if host else "",
            arch=host.arch if host else "",
            os=host.os if host else "",
            from_cache=True,
        )
        return ResolvedContext.from_dict(data)


class ResolveCache:
    """Resolves stored in memcached (see the module docstring).

    :param store: the memcached servers.
    :param debug: says why an entry was used or not (the CLI's ``--verbose``).
    """

    def __init__(
        self, store: MemcachedStore, *, debug: Callable[[str], None] | None = None
    ) -> None:
        self.store = store
        self._debug = debug
        self._generation: int | None = None

    # -- reading ---------------------------------------------------------------------------

    def lookup(self, key: ResolveKey) -> CachedResolve | None:
        """Return the cached resolve for *key* if one is still valid, else ``None``.

        One request to the servers: the generation and the entries together.
        """
        if not self.store.is_available():
            return None
        plain = self._full_key(key.digest(timestamped=False))
        names = [GENERATION_KEY, plain]
        if key.timestamp is not None:
            names.append(self._full_key(key.digest(timestamped=True)))
        found = self.store.get_many(names)
        generation = self._generation_from(found.pop(GENERATION_KEY, None))
        if generation is None:
            return None
        checked: dict[str, tuple[int, ...]] = {}
        for name in names[1:]:
            raw = found.get(name)
            if raw is None:
                continue
            entry = decode_entry(raw, name)
            if entry is None:
                self.store.report("garbage", f"ignored an unreadable entry under {name}")
                continue
            why = "the cache was flushed since" if entry["generation"] != generation else None
            why = why or _why_stale(entry, key, checked, plain=name == plain)
            if why is None:
                self._say(f"resolve read from the shared cache ({name})")
                return CachedResolve(entry["context"])
            self._say(f"cached resolve not used: {why}")
        if not found:
            self._say("resolve not in the shared cache")
        return None

    def generation(self) -> int | None:
        """Return the namespace generation (creating it when missing); ``None``: no server."""
        if not self.store.is_available():
            return None
        return self._generation_from(self.store.get_many([GENERATION_KEY]).get(GENERATION_KEY))

    def _generation_from(self, raw: bytes | None) -> int | None:
        """Return the generation *raw* holds; when missing or garbled, start a new one."""
        for _ in range(2):
            if raw is not None and raw.isdigit():
                self._generation = int(raw)
                return self._generation
            if not self.store.is_available():
                return None
            # Missing (a new or restarted server, or evicted): start from a random number, so
            # that the entries of a generation flushed earlier never come back.
            start = b"%d" % int.from_bytes(os.urandom(5), "big")
            if raw is not None:
                self.store.report("garbage", "reset a garbled pkgimport:generation")
                self.store.set(GENERATION_KEY, start)
            elif not self.store.add(GENERATION_KEY, start):
                # Another process created it first: read theirs.
                raw = self.store.get_many([GENERATION_KEY]).get(GENERATION_KEY)
                continue
            self._generation = int(start)
            return self._generation
        return None

    def flush(self) -> tuple[int | None, int | None]:
        """Move the generation on: every pkgimport entry is forgotten (rez's are untouched).

        Returns ``(old, new)`` generations; ``new`` is ``None`` when no server answered.
        """
        old = self.generation()
        new = self.store.incr(GENERATION_KEY)
        if new is None and self.store.is_available():
            start = int.from_bytes(os.urandom(5), "big")
            new = start if self.store.set(GENERATION_KEY, b"%d" % start) else None
        self._generation = new
        return old, new

    # -- writing ---------------------------------------------------------------------------

    def recorder(self, provider: PackageProvider, key: ResolveKey) -> RecordingProvider:
        """Wrap *provider* (reading *key*'s repositories) to record what solves look at."""
        return RecordingProvider(provider, key.roots)

    def store_resolve(
        self,
        key: ResolveKey,
        context: ResolvedContext,
        recorder: RecordingProvider,
        *,
        package_files: Sequence[str],
    ) -> str:
        """Store a resolve made through *recorder*; return what was done, for ``--verbose``.

        :param package_files: the package file of each resolved variant.
        """
        done = self._store_resolve(key, context, recorder, package_files)
        self._say(done)
        return done

    def _store_resolve(
        self,
        key: ResolveKey,
        context: ResolvedContext,
        recorder: RecordingProvider,
        package_files: Sequence[str],
    ) -> str:
        if not context.is_solved:
            return "not stored: only successful resolves are cached"
        # 1. Nothing may have changed so recently that a later change could share its mtime.
        for family, states in recorder.families.items():
            read_at = recorder.read_at[family]
            if any(_is_racy(state, read_at) for state in states):
                return f"not stored: {family} changed moments before it was read"
        files = []
        now = time.time_ns()
        for path in package_files:
            try:
                st = os.stat(path)
            except OSError:
                return f"not stored: {path} is gone"
            if _is_racy(st.st_mtime_ns, now):
                return f"not stored: {path} changed moments ago"
            files.append([path, st.st_mtime_ns, st.st_size, st.st_ino])
        # 2. At --time T, an entry that saw nothing newer than T is also the answer without T.
        newest = recorder.max_timestamp
        timestamped = key.timestamp is not None and newest is not None and newest > key.timestamp
        # The generation seen by the lookup: after a flush since, the entry is already void.
        generation = self._generation if self._generation is not None else self.generation()
        if generation is None:
            return "not stored: no memcached server answered"
        name = self._full_key(key.digest(timestamped=timestamped))
        entry = {
            "format": FORMAT,
            "key": name,
            "generation": generation,
            "context": context.to_dict(),
            "families": {f: list(s) for f, s in recorder.families.items()},
            "files": files,
            "max_timestamp": newest,
            "stored": int(time.time()),
        }
        if not self.store.set(name, encode_entry(entry)):
            return "not stored: memcached did not take it"
        return f"stored in the shared cache ({name})"

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _full_key(digest: str) -> str:
        return f"pkgimport:r{FORMAT}:{digest}"

    def _say(self, message: str) -> None:
        if self._debug is not None:
            self._debug(message)


# -- entries -----------------------------------------------------------------------------------


def encode_entry(entry: Mapping[str, Any]) -> bytes:
    """Serialise an entry: a header, then JSON, zlib-compressed past a size threshold.

    JSON, not pickle or marshal: a value read from a shared server is untrusted input.
    """
    body = json.dumps(entry, separators=(",", ":")).encode("utf-8")
    if len(body) <= COMPRESS_MIN_BYTES:
        return _MAGIC + _PLAIN + body
    import zlib  # noqa: PLC0415 - stores only

    return _MAGIC + _ZLIB + zlib.compress(body, 6)


def decode_entry(raw: bytes, name: str) -> dict[str, Any] | None:
    """Return the entry stored as *raw* under *name*, or ``None`` if it is not a valid one."""
    if not raw.startswith(_MAGIC):
        return None
    kind, body = raw[len(_MAGIC) : len(_MAGIC) + 1], raw[len(_MAGIC) + 1 :]
    try:
        if kind == _ZLIB:
            import zlib  # noqa: PLC0415 - small, and only for large entries

            body = zlib.decompress(body)
        elif kind != _PLAIN:
            return None
        entry = json.loads(body)
    except Exception:  # noqa: BLE001 - zlib.error, bad JSON or UTF-8, nesting: all garbage
        return None
    return entry if _is_valid_entry(entry, name) else None


def _is_valid_entry(entry: object, name: str) -> bool:
    """Check the shape of everything the hit path reads (garbage is a miss, never a crash)."""
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != name:
        return False
    if type(entry.get("generation")) is not int:
        return False
    families, files, newest = entry.get("families"), entry.get("files"), entry.get("max_timestamp")
    context = entry.get("context")
    if not (
        isinstance(families, dict)
        and isinstance(files, list)
        and (newest is None or type(newest) is int)
        and isinstance(context, dict)
        and context.get("status") == "solved"
    ):
        return False
    if not all(_is_int_list(s) for s in families.values()):
        return False
    if not all(
        isinstance(f, list) and len(f) == 4 and isinstance(f[0], str) and _is_int_list(f[1:])
        for f in files
    ):
        return False
    return _is_valid_context(context)


def _is_valid_context(context: Mapping[str, Any]) -> bool:
    requests, ephemerals = context.get("package_requests"), context.get("resolved_ephemerals")
    handles = context.get("resolved_packages")
    if not (_is_str_list(requests) and _is_str_list(ephemerals) and isinstance(handles, list)):
        return False
    for handle in handles:
        fields = handle.get("variables") if isinstance(handle, dict) else None
        if not (
            isinstance(fields, dict)
            and isinstance(fields.get("name"), str)
            and isinstance(fields.get("version"), str)
            and isinstance(fields.get("location"), str)
            and (fields.get("index") is None or type(fields.get("index")) is int)
        ):
            return False
    return True


def _why_stale(
    entry: Mapping[str, Any],
    key: ResolveKey,
    checked: dict[str, tuple[int, ...]],
    *,
    plain: bool,
) -> str | None:
    """Return why *entry* is not the answer for *key* now, or ``None`` when it is.

    *plain*: the entry is the one without ``--time``; for a request at T it is the answer
    only if nothing it loaded is newer. *checked* remembers folder states across entries.
    """
    where = _outside_repositories(entry["context"], key.roots)
    if where is not None:
        return where
    newest = entry["max_timestamp"]
    if plain and key.timestamp is not None and newest is not None and newest > key.timestamp:
        return f"it holds a package released after --time {key.timestamp}"
    for family, states in entry["families"].items():
        now = checked.get(family)
        if now is None:
            now = checked[family] = folder_states(key.roots, family)
        if list(now) != states:
            return f"{family!r} changed since (a release, or a removal)"
    for path, mtime_ns, size, inode in entry["files"]:
        try:
            st = os.stat(path)
        except OSError:
            return f"{path} is gone"
        if (st.st_mtime_ns, st.st_size, st.st_ino) != (mtime_ns, size, inode):
            return f"{path} was edited since"
    return None


def _outside_repositories(context: Mapping[str, Any], roots: Sequence[str]) -> str | None:
    """Say which variant is not where the searched repositories would have it, if any.

    A value read from a shared server is not trusted to name folders: ``env`` loads (and
    runs) the package definitions at those locations and puts the roots on ``PATH``. So every
    variant must come from one of *roots* (or be a ``--target`` stand-in), with its base and
    root inside its package's folder, as the repository lays them out.
    """
    sep = os.sep
    extras = (context.get("pkgimport") or {}).get("variants") or []
    for i, handle in enumerate(context["resolved_packages"]):
        fields = handle["variables"]
        location, name, version = fields["location"], fields["name"], fields["version"]
        if location == _SYNTHETIC_LOCATION:
            continue
        qualified = f"{name}-{version}" if version else name
        if location not in roots:
            return f"{qualified} is in {location!r}, not a searched repository"
        base = f"{location.rstrip(sep)}{sep}{name}" + (f"{sep}{version}" if version else "")
        extra = extras[i] if i < len(extras) and isinstance(extras[i], dict) else {}
        root = extra.get("root", base)
        if (
            extra.get("base", base) != base
            or not isinstance(root, str)
            or not (
                root == base or (root.startswith(base + sep) and os.path.normpath(root) == root)
            )
        ):
            return f"{qualified} has a root outside its package folder"
    return None


def _is_racy(mtime_ns: int, read_at_ns: int) -> bool:
    """Whether a folder or file with *mtime_ns*, read at *read_at_ns*, may change unseen.

    Two changes within one filesystem tick leave the same mtime. A change before the read
    and one after it can share a tick only if the first was within a tick of the read. Whole
    seconds mean a coarse filesystem (ticks of 1-2 s); else ticks are at most 10 ms (Linux's
    coarse clock), with room to spare.
    """
    if mtime_ns < 0:
        return False
    tick = 2_000_000_000 if mtime_ns % 1_000_000_000 == 0 else 100_000_000
    return mtime_ns >= read_at_ns - tick


def _inode(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _sha1(text: str) -> str:
    try:
        from _sha1 import sha1  # type: ignore[import-not-found]  # noqa: PLC0415 - no OpenSSL
    except ImportError:  # pragma: no cover - a Python without the builtin module
        from hashlib import sha1  # noqa: PLC0415

    return str(sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest())


def _is_int_list(value: object) -> bool:
    return isinstance(value, list) and all(type(v) is int for v in value)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
