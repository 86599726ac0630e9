"""Downloads, verified against the index's sha256, and installed trees, kept by content hash.

Layout: ``<cache>/sha256/<ab>/<digest>/<filename>`` (distribution files),
``<cache>/metadata/<ab>/<digest>`` (PEP 658 files), ``<cache>/payloads/v3/<ab>/<digest>/``
(a wheel installed in pkgimport's layout, which the repository transaction hard-links
or copies: never modified once complete), and
``<cache>/built/<sdist digest>/`` (wheels built from sdists); project pages are in
``<cache>/pages/`` (:mod:`._pages`). A file enters the cache only after its
digest was computed (and matched the index's, when the index gave one), through a temporary
file and a rename, so a cached file is always complete. Local files (``file://``) are read in
place, never copied.

File names and digests come from the index: a digest is used in a path only when it is 64
hex digits, and a file name only when it is one safe path component
(:func:`pkgimport.safe_names.check_member_path`), so no index entry reaches outside the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import platformdirs

from pkgimport.importers.pypi._errors import InvalidWheel, PackageIndexError, with_hint
from pkgimport.importers.pypi._index import url2pathname
from pkgimport.importers.pypi._wheel import InstalledPayload
from pkgimport.safe_names import UnsafeName, check_member_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from pkgimport.importers.pypi._index import DistFile, Index

__all__ = ["DownloadCache", "default_cache_dir", "sha256_of"]

_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_PAYLOAD_LAYOUT = "v3"
"""Bumped when the payload layout (folders, launchers) changes, so old trees are not reused.

v3: launchers hold entry point names as string literals and ``.cmd`` files no name at all,
and trees are installed only from wheels that passed the member and entry point checks."""


def default_cache_dir() -> Path:
    """``<user cache dir>/pkgimport`` (``$XDG_CACHE_HOME/pkgimport`` on Linux)."""
    return Path(platformdirs.user_cache_dir("pkgimport", appauthor=False))


def sha256_of(path: Path) -> str:
    """Hex sha256 of the file at *path*."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class DownloadCache:
    """A content-addressed store of distribution files. Safe across threads and processes."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()
        self.hits = 0
        self.downloads = 0

    def _slot(self, digest: str, filename: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest / _file_name(filename)

    def cached(self, dist: DistFile) -> Path | None:
        """Return the cached file for *dist*, when the index gave its hash and it is here.

        :raises PackageIndexError: the index names the file unsafely (``a/../b.whl``).
        """
        if dist.sha256 and _is_sha256(dist.sha256):
            path = self._slot(dist.sha256, dist.filename)
            if path.is_file():
                return path
        return None

    def get_blob(self, kind: str, digest: str | None) -> bytes | None:
        """Return a small cached file (``metadata``) by its sha256, if present."""
        if not digest or not _is_sha256(digest):
            return None
        try:
            return (self.root / kind / digest[:2] / digest).read_bytes()
        except OSError:
            return None

    def put_blob(self, kind: str, digest: str | None, data: bytes) -> None:
        """Store *data* (already checked against *digest* by the caller) under its sha256."""
        if not digest or not _is_sha256(digest):
            return
        target = self.root / kind / digest[:2] / digest
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
            Path(tmp).replace(target)
        except OSError:
            pass  # a cache that cannot be written is only slower

    # -- installed payloads --------------------------------------------------------------------

    def _payload_dir(self, digest: str) -> Path:
        return self.root / "payloads" / _PAYLOAD_LAYOUT / digest[:2] / digest

    def get_payload(self, digest: str) -> InstalledPayload | None:
        """Return the installed tree of the wheel with sha256 *digest*, if it is cached."""
        if not _is_sha256(digest):
            return None
        slot = self._payload_dir(digest)
        try:
            tools = json.loads((slot / "tools.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        try:
            dlls = json.loads((slot / "dll_dirs.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(tools, list) or not isinstance(dlls, list):
            return None
        if not (slot / "root").is_dir():
            return None
        self.hits += 1
        return InstalledPayload(
            root=slot / "root",
            tools=tuple(str(t) for t in tools),
            dll_dirs=tuple(str(d) for d in dlls),
        )

    def payload_scratch(self) -> Path:
        """Return a new empty folder to install into, on the cache's filesystem."""
        base = self.root / "payloads" / _PAYLOAD_LAYOUT
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base, prefix=".part-"))

    def put_payload(self, digest: str, payload: InstalledPayload) -> InstalledPayload:
        """Move a tree installed in :meth:`payload_scratch` into the cache and return it there.

        ``tools.json`` is written last: a slot without it is incomplete and never used.
        """
        if not _is_sha256(digest):
            return payload  # not a digest: used from the scratch folder, never cached
        scratch = payload.root.parent
        (scratch / "dll_dirs.json").write_text(json.dumps(list(payload.dll_dirs)), encoding="utf-8")
        (scratch / "tools.json").write_text(json.dumps(list(payload.tools)), encoding="utf-8")
        slot = self._payload_dir(digest)
        slot.parent.mkdir(parents=True, exist_ok=True)
        try:
            scratch.rename(slot)
        except OSError:
            # Another process cached it meanwhile (or a stale slot is in the way): use ours.
            return payload
        return InstalledPayload(root=slot / "root", tools=payload.tools, dll_dirs=payload.dll_dirs)

    def fetch(
        self,
        dist: DistFile,
        index: Index,
        on_bytes: Callable[[int], None] | None = None,
        *,
        on_start: Callable[[int | None], None] | None = None,
    ) -> Path:
        """Return a local, verified copy of *dist*.

        Only a download reports: *on_start* once with the size (``None``: unknown), then
        *on_bytes* with each chunk's length; a cached or local file reports nothing.

        :raises InvalidWheel: the bytes do not match the index's sha256 (names the file).
        :raises PackageIndexError: the index names the file unsafely (nothing is written).
        """
        parts = urlsplit(dist.url)
        if parts.scheme == "file":
            path = Path(url2pathname(unquote(parts.path)))
            if dist.sha256 and sha256_of(path) != dist.sha256:
                raise _mismatch(dist)
            return path
        hit = self.cached(dist)
        if hit is not None:
            self.hits += 1
            return hit
        _file_name(dist.filename)  # refuse an unsafe name before downloading anything
        # Streamed to a temporary file next to the slots (one filesystem: the rename is
        # atomic) and hashed on the way: a 1 GB wheel is never held in memory.
        parts_dir = self.root / "sha256"
        parts_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=parts_dir, prefix=".part-")
        hasher = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as stream:

                def write(chunk: bytes) -> None:
                    hasher.update(chunk)
                    stream.write(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))

                index.download(dist.url, write, on_size=on_start)
            digest = hasher.hexdigest()
            if dist.sha256 and digest != dist.sha256:
                raise _mismatch(dist)  # noqa: TRY301 - the temporary file goes either way
            target = self._slot(digest, dist.filename)
            target.parent.mkdir(parents=True, exist_ok=True)
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.downloads += 1
        return target


def _is_sha256(digest: str) -> bool:
    return _SHA256.fullmatch(digest) is not None


def _file_name(filename: str) -> str:
    """Return *filename* (from the index) if it is one safe path component."""
    try:
        parts = check_member_path(filename, what="index file name").parts
    except UnsafeName as exc:
        raise _unsafe_name(str(exc)) from None
    if len(parts) != 1:
        message = f"index file name: {filename!r} is not a safe file name (it has folders)"
        raise _unsafe_name(message)
    return parts[0]


def _unsafe_name(message: str) -> PackageIndexError:
    return with_hint(
        PackageIndexError(message),
        "the index is broken or hostile: check its URL in your pip configuration",
    )


def _mismatch(dist: DistFile) -> InvalidWheel:
    return with_hint(
        InvalidWheel(f"{dist.filename}: sha256 does not match the index ({dist.url})"),
        "the file changed or the download is corrupt; try again later",
    )
