"""Package indexes: the Simple API (JSON, PEP 691, or HTML, PEP 503), find-links, PEP 658.

Parsing is pure (:func:`parse_project_page` takes bytes); :class:`Index` does the I/O through
a ``requests.Session`` (proxies, netrc, certificates as the user configured them) and reads
``file://`` indexes and local folders directly. Credentials given in an index URL are sent to
every URL on the same host, so files hosted next to a private index download too
(rez-pip#178).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from pkgimport.importers.pypi._errors import InvalidWheel, PackageIndexError, with_hint
from pkgimport.importers.pypi._names import normalize_name
from pkgimport.importers.pypi._once import OnceMap
from pkgimport.importers.pypi._pages import StoredPage, cache_policy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import requests

    from pkgimport.importers.pypi._pages import PageCache

__all__ = ["DistFile", "Index", "parse_project_page", "url2pathname"]

_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


class DistFile(NamedTuple):
    """One file of a project as an index lists it.

    A named tuple rather than a dataclass: a warm resolve builds ~20,000 of them from the page
    cache, and a tuple is several times cheaper to make.
    """

    filename: str
    url: str
    """Absolute URL (``file://`` for local files), without the hash fragment."""
    sha256: str | None = None
    requires_python: str | None = None
    yanked: bool = False
    upload_time: int | None = None
    """Epoch seconds, when the index says (JSON API 1.1)."""
    has_metadata: bool = False
    """The index serves ``<url>.metadata`` (PEP 658/714)."""
    metadata_sha256: str | None = None

    @property
    def is_wheel(self) -> bool:
        """Wheel (``.whl``) rather than an sdist."""
        return self.filename.endswith(".whl")


def url2pathname(path: str) -> str:
    """Return the local path of the path part of a ``file:`` URL (``urllib.request``'s).

    ``urllib.request`` is imported only on Windows: elsewhere it is ``unquote``, and importing
    it costs a warm import ~40 ms.
    """
    if os.name == "nt":
        from nturl2path import url2pathname as nt_url2pathname  # noqa: PLC0415

        return nt_url2pathname(path)
    return unquote(path)


def _hashes_from_fragment(url: str) -> tuple[str, str | None]:
    base, _, fragment = url.partition("#")
    name, _, value = fragment.partition("=")
    return base, (value.lower() if name == "sha256" and value else None)


def _parse_time(text: object) -> int | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _metadata_flag(value: object) -> tuple[bool, str | None]:
    if isinstance(value, dict):
        digest = value.get("sha256")
        return True, digest if isinstance(digest, str) else None
    if isinstance(value, str):
        if value in {"", "false"}:
            return False, None
        algo, _, digest = value.partition("=")
        return True, (digest if algo == "sha256" and digest else None)
    return bool(value), None


def _parse_json(data: Mapping[str, object], base_url: str) -> list[DistFile]:
    files = data.get("files")
    if not isinstance(files, list):
        raise ValueError("no 'files' list")  # noqa: TRY004 - reported as a malformed page
    out = []
    for i, item in enumerate(files):
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
            raise ValueError(f"files[{i}] has no filename")  # noqa: TRY004 - same
        raw = str(item.get("url", ""))
        # PyPI's URLs are absolute; urljoin on ~10^4 files per page is measurable.
        absolute = raw.startswith(("https://", "http://"))
        url, _ = _hashes_from_fragment(raw if absolute else urljoin(base_url, raw))
        hashes = item.get("hashes") if isinstance(item.get("hashes"), dict) else {}
        sha = hashes.get("sha256") if isinstance(hashes, dict) else None
        meta = item.get("core-metadata", item.get("data-dist-info-metadata", False))
        has_meta, meta_sha = _metadata_flag(meta)
        requires_python = item.get("requires-python")
        out.append(
            DistFile(
                filename=item["filename"],
                url=url,
                sha256=sha if isinstance(sha, str) else None,
                requires_python=requires_python if isinstance(requires_python, str) else None,
                yanked=bool(item.get("yanked", False)),
                upload_time=_parse_time(item.get("upload-time")),
                has_metadata=has_meta,
                metadata_sha256=meta_sha,
            )
        )
    return out


class _LinkParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.links: list[DistFile] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base_url = urljoin(self.base_url, href)
        if tag != "a":
            return
        attr = dict(attrs)
        href = attr.get("href")
        if not href:
            return
        url, sha = _hashes_from_fragment(urljoin(self.base_url, href))
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        meta = attr.get("data-core-metadata", attr.get("data-dist-info-metadata"))
        has_meta, meta_sha = _metadata_flag(meta if meta is not None else False)
        self.links.append(
            DistFile(
                filename=filename,
                url=url,
                sha256=sha,
                requires_python=attr.get("data-requires-python") or None,
                yanked="data-yanked" in attr,
                has_metadata=has_meta or (meta is not None and meta == ""),
                metadata_sha256=meta_sha,
            )
        )


def parse_project_page(body: bytes, content_type: str, url: str) -> list[DistFile]:
    """Parse a project page of a simple index or a find-links page.

    :raises PackageIndexError: the page is malformed (names *url*).

    >>> page = b'<a href="f/x-1.0-py3-none-any.whl#sha256=AB">x</a>'
    >>> parse_project_page(page, "text/html", "https://i/simple/x/")[0].url
    'https://i/simple/x/f/x-1.0-py3-none-any.whl'
    """
    try:
        if "json" in content_type:
            return _parse_json(json.loads(body), url)
        parser = _LinkParser(url)
        parser.feed(body.decode("utf-8", errors="replace"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageIndexError(f"malformed index page {url!r}: {exc}") from None
    return parser.links


def _dist_name(filename: str) -> str | None:
    """Return the normalised project name of a distribution file (``None``: not one)."""
    if filename.endswith(".whl"):
        stem = filename[:-4].split("-", maxsplit=1)[0]
    else:
        for ext in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
            if filename.endswith(ext):
                stem = filename[: -len(ext)].rsplit("-", 1)[0]
                break
        else:
            return None
    try:
        return normalize_name(stem)
    except ValueError:
        return None


class Index:
    """The indexes and find-links of one pip configuration.

    Thread-safe: pages are fetched once per project and cached for the run. With *pages*,
    project pages of http(s) indexes are also kept across runs (see :mod:`._pages`).
    """

    def __init__(
        self,
        index_urls: Sequence[str],
        find_links: Sequence[str] = (),
        *,
        session: requests.Session | None = None,
        make_session: Callable[[], requests.Session] | None = None,
        timeout: float = 60.0,
        pages: PageCache | None = None,
    ) -> None:
        self.index_urls = [u if u.endswith("/") else u + "/" for u in index_urls]
        self.find_links = list(find_links)
        self._session = session
        self._make_session = make_session
        self.timeout = timeout
        self._pages: dict[str, list[DistFile]] = {}
        self._projects: OnceMap[list[DistFile]] = OnceMap()
        self._lock = threading.Lock()
        self._auth: dict[str, tuple[str, str]] = {}
        for url in [*self.index_urls, *self.find_links]:
            parts = urlsplit(url)
            if parts.username:
                self._auth[parts.hostname or ""] = (
                    unquote(parts.username),
                    unquote(parts.password or ""),
                )
        self.pages = pages
        self.request_count = 0
        self.page_counts = {"stored": 0, "revalidated": 0, "downloaded": 0}
        """Project pages of http(s) indexes: used from the cache, confirmed by a 304, fetched."""
        self._oldest = float("inf")
        self._local: list[DistFile] = []

    def add_local(self, path: Path) -> None:
        """Offer the distribution file at *path* next to the indexes (a command-line wheel)."""
        self._local.append(DistFile(filename=path.name, url=path.resolve().as_uri()))
        self._projects.clear()

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made on first use: a warm run may need none (and no requests)."""
        with self._lock:
            if self._session is None:
                if self._make_session is not None:
                    self._session = self._make_session()
                else:
                    import requests  # noqa: PLC0415 - see above

                    self._session = requests.Session()
            return self._session

    def describe(self) -> str:
        """Return the indexes as the user configured them, credentials hidden."""
        return ", ".join(_redact(u) for u in [*self.index_urls, *self.find_links]) or "no index"

    # -- fetching ------------------------------------------------------------------------------

    def get(self, url: str, *, accept: str | None = None) -> tuple[bytes, str]:
        """Return the body and content type at *url* (``file://`` or http(s)).

        Credentials configured for the URL's host are sent; connection errors are retried
        twice.

        :raises PackageIndexError: unreachable, not authorised, or any HTTP error (a 404 is
            the private subclass ``_NotFoundError``, which callers treat as "no such project").
        """
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(url2pathname(unquote(parts.path)))
            if path.is_dir():
                path /= "index.html"
            try:
                body = path.read_bytes()
            except FileNotFoundError:
                raise _NotFoundError(url) from None
            except OSError as exc:
                raise PackageIndexError(f"cannot read {url!r}: {exc}") from None
            kind = "application/vnd.pypi.simple.v1+json" if path.suffix == ".json" else "text/html"
            return body, kind
        response = self._request(url, {"Accept": accept} if accept else {})
        return response.content, response.headers.get("Content-Type", "text/html")

    def download(
        self,
        url: str,
        write: Callable[[bytes], object],
        *,
        on_size: Callable[[int | None], None] | None = None,
    ) -> None:
        """Stream the file at *url* to *write*, in chunks of 1 MiB (a wheel may be 1 GB).

        *on_size* is called once, with the ``Content-Length`` (``None``: not given), before
        the first chunk. ``file://`` URLs are read whole.

        :raises PackageIndexError: as :meth:`get`, or the connection broke mid-file.
        """
        if urlsplit(url).scheme == "file":
            body, _ = self.get(url)
            if on_size is not None:
                on_size(len(body))
            write(body)
            return
        import requests  # noqa: PLC0415 - imported by the session already

        response = self._request(url, {}, stream=True)
        with response:
            length = response.headers.get("Content-Length", "")
            if on_size is not None:
                on_size(int(length) if length.isdigit() else None)
            try:
                for chunk in response.iter_content(1 << 20):
                    write(chunk)
            except requests.RequestException as exc:
                raise with_hint(
                    PackageIndexError(f"download of {_redact(url)!r} broke off: {exc}"),
                    "check the network and try again (what was downloaded is not kept)",
                ) from None

    def _request(
        self, url: str, headers: Mapping[str, str], *, stream: bool = False
    ) -> requests.Response:
        """GET an http(s) *url*; errors as :meth:`get` raises them (a ``304`` is returned)."""
        import requests  # noqa: PLC0415 - imported by the session already

        auth = self._auth.get(urlsplit(url).hostname or "")
        clean = _strip_credentials(url)
        for attempt in range(3):
            try:
                response = self.session.get(
                    clean, headers=dict(headers), auth=auth, timeout=self.timeout, stream=stream
                )
                break
            except requests.RequestException as exc:
                if attempt == 2:
                    raise with_hint(
                        PackageIndexError(f"cannot reach {_redact(url)!r}: {exc}"),
                        "check the network, or the index URLs in your pip configuration",
                    ) from None
                time.sleep(0.2 * (attempt + 1))
        with self._lock:
            self.request_count += 1
        if response.status_code == 404:
            raise _NotFoundError(url)
        if response.status_code in {401, 403}:
            raise with_hint(
                PackageIndexError(
                    f"{_redact(url)!r}: HTTP {response.status_code} (not authorised)"
                ),
                "put credentials in ~/.netrc or in the index URL of your pip configuration",
            )
        if response.status_code >= 400:
            raise PackageIndexError(f"{_redact(url)!r}: HTTP {response.status_code}")
        return response

    def project_files(self, name: str) -> list[DistFile]:
        """Every file of project *name* on every index and find-link, in configuration order.

        Fetched once per run, however many threads ask (resolution prefetches in parallel).
        """
        key = normalize_name(name)
        return self._projects.get(key, lambda: self._fetch_project(key))

    def _fetch_project(self, key: str) -> list[DistFile]:
        files: list[DistFile] = []
        for index_url in self.index_urls:
            url = f"{index_url}{key}/"
            if self.pages is not None and url.startswith(("https://", "http://")):
                files.extend(self._cached_page(url, self.pages))
                continue
            try:
                body, kind = self.get(url, accept=_ACCEPT)
            except _NotFoundError:
                continue
            files.extend(parse_project_page(body, kind, url))
        files.extend(f for f in self._local if _dist_name(f.filename) == key)
        for link in self.find_links:
            files.extend(f for f in self._find_link_files(link) if _dist_name(f.filename) == key)
        return files

    def _cached_page(self, url: str, pages: PageCache) -> list[DistFile]:
        """Return the files of the project page at *url*, through the page cache (:mod:`._pages`).

        A page that is not found is stored as an empty one, so an unknown project costs no
        request either while the page is fresh.
        """
        key = f"{url}\0{_ACCEPT}"
        stored = pages.load(key)
        if stored is not None and pages.is_fresh(stored):
            self._count("stored")
            with self._lock:
                self._oldest = min(self._oldest, stored.fetched_at)
            return _from_rows(stored.rows)
        headers = {"Accept": _ACCEPT, **(stored.validators() if stored is not None else {})}
        try:
            response = self._request(url, headers)
        except _NotFoundError:
            pages.save(key, StoredPage([], pages.now()))
            self._count("downloaded")
            return []
        may_store, server_max_age = cache_policy(response.headers)
        if response.status_code == 304 and stored is not None:
            self._count("revalidated")
            pages.confirmed(key, stored, server_max_age)
            return _from_rows(stored.rows)
        self._count("downloaded")
        kind = response.headers.get("Content-Type", "text/html")
        files = parse_project_page(response.content, kind, url)
        if may_store:
            page = StoredPage(
                [tuple(f) for f in files],
                pages.now(),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                server_max_age=server_max_age,
            )
            pages.save(key, page)
        return files

    def oldest_stored_age(self) -> float:
        """Seconds since the index confirmed the oldest page used from the cache (0: none)."""
        if self.pages is None or self._oldest == float("inf"):
            return 0.0
        return max(0.0, self.pages.now() - self._oldest)

    def _count(self, what: str) -> None:
        with self._lock:
            self.page_counts[what] += 1

    def _find_link_files(self, link: str) -> list[DistFile]:
        with self._lock:
            cached = self._pages.get(f"\0{link}")
        if cached is not None:
            return cached
        path = Path(url2pathname(urlsplit(link).path)) if link.startswith("file:") else Path(link)
        if "://" not in link or link.startswith("file:"):
            if path.is_dir():
                files = [
                    DistFile(filename=p.name, url=p.resolve().as_uri())
                    for p in sorted(path.iterdir())
                    if _dist_name(p.name)
                ]
            elif path.is_file():
                files = parse_project_page(path.read_bytes(), "text/html", path.resolve().as_uri())
            else:
                files = []
        else:
            try:
                body, kind = self.get(link, accept="text/html")
                files = parse_project_page(body, kind, link)
            except _NotFoundError:
                files = []
        with self._lock:
            self._pages[f"\0{link}"] = files
        return files

    def fetch_metadata(self, dist: DistFile) -> bytes:
        """Return the PEP 658 core metadata of *dist*, checked against its hash.

        :raises InvalidWheel: the metadata file does not match the index's hash.
        """
        body, _ = self.get(dist.url + ".metadata")
        if dist.metadata_sha256 and hashlib.sha256(body).hexdigest() != dist.metadata_sha256:
            raise InvalidWheel(
                f"{dist.filename}.metadata: sha256 does not match the index ({_redact(dist.url)})"
            )
        return body


def _from_rows(rows: list[tuple[object, ...]]) -> list[DistFile]:
    make = DistFile._make
    return [make(row) for row in rows]


class _NotFoundError(PackageIndexError):
    def __init__(self, url: str) -> None:
        super().__init__(f"not found: {_redact(url)!r}")


def _strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    if not parts.username:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, f"{parts.username}:***@{host}", parts.path, parts.query, ""))
