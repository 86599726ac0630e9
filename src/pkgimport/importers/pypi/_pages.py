"""Project pages of http(s) indexes, kept in the user cache with their HTTP validators.

A stored page is used without asking the index while it is younger than the cache's
``max_age`` (``$PKGIMPORT_INDEX_MAX_AGE``, 600 seconds by default, the ``max-age`` PyPI itself
sends for project pages) and than the index's own ``Cache-Control: max-age``. After that it is
revalidated: with ``If-None-Match`` / ``If-Modified-Since`` when the index sent an ``ETag`` /
``Last-Modified`` (a ``304`` costs a round trip, no download and no parsing), else fetched
again. ``max_age=0`` (``pkgimport pypi --refresh``) asks the index every time; a page marked
``Cache-Control: no-store`` is never stored, one marked ``no-cache`` always revalidated.

Pages are stored parsed (rows of :class:`~._index.DistFile` fields, ``marshal``), so a warm
run parses no JSON: ``<cache>/pages/v1-<python>/<ab>/<sha256 of URL>``, written through a
temporary file and a rename. A page that cannot be read is fetched again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["DEFAULT_MAX_AGE", "PageCache", "StoredPage", "max_age_from_env"]

DEFAULT_MAX_AGE = 600.0
"""Seconds a stored project page is used without asking the index (PyPI's own max-age)."""

_FORMAT = f"v1-{sys.version_info[0]}{sys.version_info[1]}"
"""``marshal`` data is specific to the Python version."""

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def max_age_from_env(environ: Mapping[str, str] | None = None) -> float:
    """Return ``$PKGIMPORT_INDEX_MAX_AGE`` in seconds (:data:`DEFAULT_MAX_AGE` when unset).

    :raises ValueError: the variable is not a non-negative number (the message names it).

    >>> max_age_from_env({"PKGIMPORT_INDEX_MAX_AGE": "0"}), max_age_from_env({})
    (0.0, 600.0)
    """
    env = os.environ if environ is None else environ
    text = env.get("PKGIMPORT_INDEX_MAX_AGE", "").strip()
    if not text:
        return DEFAULT_MAX_AGE
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also rejects nan
        raise ValueError(f"PKGIMPORT_INDEX_MAX_AGE={text!r}: expected seconds (0 or more)")
    return value


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A parsed project page and what is needed to revalidate it."""

    rows: list[tuple[object, ...]]
    """The page's files, as :class:`~._index.DistFile` field tuples (``[]``: not found)."""
    fetched_at: float
    """When the index last confirmed the page (epoch seconds)."""
    etag: str | None = None
    last_modified: str | None = None
    server_max_age: float | None = None
    """The index's ``Cache-Control`` freshness (``0`` for ``no-cache``), if it sent one."""

    def validators(self) -> dict[str, str]:
        """Headers of a conditional request for this page (empty: the index sent none)."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def cache_policy(headers: Mapping[str, str]) -> tuple[bool, float | None]:
    """Return (may store, the index's max-age) from a response's ``Cache-Control``.

    >>> cache_policy({"Cache-Control": "max-age=600, public"})
    (True, 600.0)
    >>> cache_policy({"Cache-Control": "no-cache"}), cache_policy({"Cache-Control": "no-store"})
    ((True, 0.0), (False, None))
    >>> cache_policy({})
    (True, None)
    """
    value = headers.get("Cache-Control", "") or ""
    directives = {d.strip().split("=", 1)[0].lower() for d in value.split(",")}
    if "no-store" in directives:
        return False, None
    if "no-cache" in directives:
        return True, 0.0
    match = _MAX_AGE.search(value)
    return True, float(match.group(1)) if match else None


class PageCache:
    """Parsed project pages by URL. Safe across threads and processes (atomic renames).

    :param root: the user cache folder (pages go to ``root/pages``).
    :param max_age: seconds a stored page is used without asking the index.
    :param clock: current time in seconds.
    """

    def __init__(
        self,
        root: Path,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root / "pages" / _FORMAT
        self.max_age = max_age
        self.clock = clock

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / digest

    def load(self, key: str) -> StoredPage | None:
        """Return the stored page of *key* (URL and Accept header), fresh or not."""
        try:
            data = marshal.loads(self._path(key).read_bytes())  # noqa: S302 - our own cache
            rows, fetched_at, etag, last_modified, server_max_age = data
            return StoredPage(rows, float(fetched_at), etag, last_modified, server_max_age)
        except (OSError, ValueError, EOFError, TypeError):
            return None

    def is_fresh(self, page: StoredPage) -> bool:
        """Tell whether *page* may be used without asking the index."""
        limit = self.max_age
        if page.server_max_age is not None:
            limit = min(limit, page.server_max_age)
        return 0 <= self.clock() - page.fetched_at < limit

    def confirmed(self, key: str, page: StoredPage, server_max_age: float | None) -> StoredPage:
        """Record that the index confirmed *page* (``304``) now; return the updated page."""
        updated = replace(page, fetched_at=self.clock(), server_max_age=server_max_age)
        self.save(key, updated)
        return updated

    def save(self, key: str, page: StoredPage) -> None:
        """Store *page*; a cache that cannot be written only makes the next run slower."""
        target = self._path(key)
        data = (page.rows, page.fetched_at, page.etag, page.last_modified, page.server_max_age)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as stream:
                marshal.dump(data, stream)
            Path(tmp).replace(target)
        except (OSError, ValueError):
            pass

    def now(self) -> float:
        """Return the cache's current time (epoch seconds)."""
        return self.clock()
