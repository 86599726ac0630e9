"""The project-page cache: freshness, revalidation with validators, Cache-Control."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.importers.pypi._index import Index
from pkgimport.importers.pypi._pages import PageCache, max_age_from_env

if TYPE_CHECKING:
    from pathlib import Path

URL = "https://index.example/simple/"


def _page(*versions: str) -> bytes:
    files = [
        {"filename": f"demo-{v}-py3-none-any.whl", "url": f"/f/demo-{v}-py3-none-any.whl"}
        for v in versions
    ]
    return json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()


@dataclass
class _Response:
    status_code: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _FakeIndex:
    """A session whose one project page changes on demand; it records the request headers."""

    body: bytes = field(default_factory=lambda: _page("1.0"))
    etag: str | None = None
    cache_control: str | None = None
    seen: list[dict[str, str]] = field(default_factory=list)

    def get(self, url: str, **kwargs: Any) -> _Response:
        headers = kwargs.get("headers") or {}
        self.seen.append(dict(headers))
        assert url == f"{URL}demo/"
        extra = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        if self.etag:
            extra["ETag"] = self.etag
            if headers.get("If-None-Match") == self.etag:
                return _Response(304, b"", extra)
        if self.cache_control:
            extra["Cache-Control"] = self.cache_control
        return _Response(200, self.body, extra)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _versions(index: Index) -> list[str]:
    return [f.filename.split("-")[1] for f in index.project_files("demo")]


def _run(server: _FakeIndex, cache: PageCache) -> Index:
    index = Index([URL], session=server, pages=cache)  # type: ignore[arg-type]
    _versions(index)
    return index


def test_fresh_page_is_used_without_a_request(tmp_path: Path) -> None:
    server, clock = _FakeIndex(), _Clock()
    cache = PageCache(tmp_path, max_age=600, clock=clock)
    assert _run(server, cache).page_counts["downloaded"] == 1
    server.body = _page("1.0", "2.0")
    clock.now += 599
    index = Index([URL], session=server, pages=cache)  # type: ignore[arg-type]
    assert _versions(index) == ["1.0"]
    assert index.page_counts["stored"] == 1
    assert index.oldest_stored_age() == pytest.approx(599)
    assert len(server.seen) == 1
    # Older than max_age, no validators: fetched again.
    clock.now += 2
    index = Index([URL], session=server, pages=cache)  # type: ignore[arg-type]
    assert _versions(index) == ["1.0", "2.0"]
    assert len(server.seen) == 2


def test_stale_page_is_revalidated_with_its_etag(tmp_path: Path) -> None:
    server, clock = _FakeIndex(etag='"v1"'), _Clock()
    cache = PageCache(tmp_path, max_age=0, clock=clock)
    _run(server, cache)
    index = _run(server, cache)
    assert server.seen[-1]["If-None-Match"] == '"v1"'
    assert index.page_counts == {"stored": 0, "revalidated": 1, "downloaded": 0}
    assert _versions(index) == ["1.0"]
    # The page changed: the index answers 200 with the new page, which replaces the old one.
    server.etag, server.body = '"v2"', _page("1.0", "2.0")
    index = Index([URL], session=server, pages=cache)  # type: ignore[arg-type]
    assert _versions(index) == ["1.0", "2.0"]
    assert index.page_counts["downloaded"] == 1


def test_index_cache_control_wins_when_shorter(tmp_path: Path) -> None:
    server, clock = _FakeIndex(cache_control="max-age=10"), _Clock()
    cache = PageCache(tmp_path, max_age=600, clock=clock)
    _run(server, cache)
    clock.now += 11
    _run(server, cache)
    assert len(server.seen) == 2
    server.cache_control = "no-store"
    clock.now += 11
    _run(server, cache)
    clock.now += 1
    _run(server, cache)
    assert len(server.seen) == 4  # nothing stored: both asked the index


def test_unreadable_cache_entry_is_fetched_again(tmp_path: Path) -> None:
    server = _FakeIndex()
    cache = PageCache(tmp_path, max_age=600)
    _run(server, cache)
    for entry in (tmp_path / "pages").rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"\x00garbage")
    index = _run(server, cache)
    assert index.page_counts["downloaded"] == 1
    assert len(server.seen) == 2


def test_max_age_from_env() -> None:
    assert max_age_from_env({"PKGIMPORT_INDEX_MAX_AGE": "30"}) == 30.0
    for bad in ("-1", "soon", "nan"):
        with pytest.raises(ValueError, match="PKGIMPORT_INDEX_MAX_AGE"):
            max_age_from_env({"PKGIMPORT_INDEX_MAX_AGE": bad})
