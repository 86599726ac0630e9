"""The shared resolve cache: hits, and every change that must make it solve again.

GIVEN a repository and a real memcached, WHEN a resolve is cached and the repository then
changes, THEN the next resolve solves again and answers what a fresh solve answers.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from pkgimport.cache import memcached_servers
from pkgimport.cache._memcached import MemcachedStore
from pkgimport.cli import main
from tests.cache._cachelib import TICK, hit, make_repo, release, resolve, stored

if TYPE_CHECKING:
    from pathlib import Path

    from tests.cache.conftest import MemcachedServer

OLD = ["python-3.9[]", "lib-1.0[0]", "app-1.0[]"]
NEW = ["python-3.9[]", "tool-2.1[]", "app-2.0[]"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _store(memcached: MemcachedServer) -> MemcachedStore:
    return MemcachedStore(memcached_servers(memcached.uri))


def test_second_resolve_is_read_from_the_cache_and_is_the_same(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, first, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert code == 0
    assert not hit(err)
    assert stored(err)
    code, second, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert hit(err)
    assert (code, second) == (0, first)
    assert second["resolved"] == OLD


def test_table_output_and_context_file_from_the_cache(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["resolve", "app", "--no-implicit", "--paths", str(repo), "--memcached", memcached.uri]
    assert main(argv) == 0
    fresh = capsys.readouterr().out
    assert main([*argv, "-o", str(tmp_path / "ctx.json")]) == 0
    cached = capsys.readouterr().out
    # Only the first line (who resolved, when) may differ.
    assert cached.splitlines()[1:] == fresh.splitlines()[1:]
    saved = json.loads((tmp_path / "ctx.json").read_text())
    assert saved["from_cache"] is True
    assert [h["variables"]["name"] for h in saved["resolved_packages"]] == ["python", "lib", "app"]
    assert saved["pkgimport"]["variants"][1]["root"] == str(repo / "lib" / "1.0" / "python-3")


def test_release_of_a_family_looked_at_but_not_resolved_is_seen(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # rez#1276's class of bug: `tool` is not in the answer, yet its release changes it.
    resolve(capsys, repo, "app", uri=memcached.uri)
    assert hit(resolve(capsys, repo, "app", uri=memcached.uri)[2])
    release(repo, "tool", "2.1", requires=["python-3"])
    _, after, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert not hit(err)
    assert "'tool' changed since" in err
    assert after["resolved"] == NEW
    assert resolve(capsys, repo, "app", uri=None)[1]["resolved"] == NEW


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A newer version of a resolved family.
        (lambda r: release(r, "lib", "1.5", requires=["python-2"]), "lib-1.5[]"),
        # A variant merged into a resolved package (its package.py is replaced).
        (lambda r: release(r, "lib", "1.0", variants=[["python-2"]]), "lib-1.0[0]"),
        # rez-pkg-ignore of the resolved lib-1.0 (the family folder changes).
        (lambda r: (r / "lib" / ".ignore1.0").write_text(""), "error"),
        # The resolved package file edited in place (no folder changes).
        (
            lambda r: (r / "app" / "1.0" / "package.py").write_text(
                (r / "app" / "1.0" / "package.py").read_text().replace("lib-1", "lib-1+<9")
            ),
            "app-1.0[]",
        ),
    ],
    ids=["new-version", "variant-merge", "ignored", "edited-in-place"],
)
def test_changes_to_resolved_packages_are_seen(
    repo: Path,
    memcached: MemcachedServer,
    capsys: pytest.CaptureFixture[str],
    change: object,
    expected: str,
) -> None:
    resolve(capsys, repo, "app", uri=memcached.uri)
    change(repo)  # type: ignore[operator]
    code, after, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert not hit(err)
    fresh_code, fresh, _ = resolve(capsys, repo, "app", uri=None)
    assert (code, after) == (fresh_code, fresh)
    if expected == "error":
        assert after["error"]["message"].startswith("package family not found: lib,")
    else:
        assert expected in after["resolved"]


def test_a_family_appearing_in_an_earlier_repository_is_seen(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    local = tmp_path / "local"
    local.mkdir()
    paths = [local, repo]
    assert resolve(capsys, paths, "app", uri=memcached.uri)[1]["resolved"] == OLD
    time.sleep(TICK)
    release(local, "lib", "1.0", requires=["python-2"])  # shadows the shared lib-1.0
    _, after, err = resolve(capsys, paths, "app", uri=memcached.uri)
    assert not hit(err)
    assert after["resolved"] == ["python-2.7[]", "lib-1.0[]", "app-1.0[]"]


def test_a_family_that_did_not_exist_is_seen_when_it_appears(
    repo: Path,
    memcached: MemcachedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With rez's error_on_missing_variant_requires off, a variant that needs a missing family
    # is passed over; the family appearing later makes that variant the answer.
    monkeypatch.setenv("REZ_ERROR_ON_MISSING_VARIANT_REQUIRES", "0")
    release(repo, "viewer", "1.0", variants=[["gpu-1"], ["python"]])
    time.sleep(TICK)
    _, before, _ = resolve(capsys, repo, "viewer", uri=memcached.uri)
    assert before["resolved"] == ["python-3.9[]", "viewer-1.0[1]"]
    assert hit(resolve(capsys, repo, "viewer", uri=memcached.uri)[2])
    release(repo, "gpu", "1")
    _, after, err = resolve(capsys, repo, "viewer", uri=memcached.uri)
    assert not hit(err)
    assert "'gpu' changed since" in err
    assert after["resolved"] == ["gpu-1[]", "viewer-1.0[0]"]


def test_only_successful_resolves_are_stored(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        code, data, err = resolve(capsys, repo, "app-2", "python-2", uri=memcached.uri)
        assert code == 1
        assert data["status"] == "failed"
        assert not hit(err)
        assert "only successful resolves are cached" in err


def test_options_that_change_a_resolve_change_the_key(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    orderers = tmp_path / "orderers.json"
    orderers.write_text(json.dumps([{"type": "sorted", "descending": False}]))
    variants: dict[tuple[str, ...], list[str]] = {
        (): ["python-3.9[]"],
        ("--exclude", "python-3.9"): ["python-2.7[]"],
        ("--orderers", str(orderers)): ["python-2.7[]"],
        ("--max-fails", "3"): ["python-3.9[]"],
    }
    for extra, expected in variants.items():
        _, data, err = resolve(capsys, repo, "python", uri=memcached.uri, extra=extra)
        assert not hit(err), extra
        assert data == resolve(capsys, repo, "python", uri=None, extra=extra)[1], extra
        assert data["resolved"] == expected, extra
    for extra, expected in variants.items():
        _, data, err = resolve(capsys, repo, "python", uri=memcached.uri, extra=extra)
        assert hit(err), extra
        assert data["resolved"] == expected, extra


def test_time_reuses_an_entry_only_if_nothing_it_loaded_is_newer(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve(capsys, repo, "app", uri=memcached.uri)
    # Everything app's resolve loaded was released at 500 or before: the same answer at 600.
    _, data, err = resolve(capsys, repo, "app", uri=memcached.uri, extra=["--time", "600"])
    assert hit(err)
    assert data["resolved"] == OLD
    # At 250, python-3.9 (200) is visible but lib (300) and app (400+) are not.
    for _ in range(2):
        _, data, err = resolve(capsys, repo, "python", uri=memcached.uri, extra=["-t", "150"])
        assert data["resolved"] == ["python-2.7[]"]
    assert hit(err)  # the second one: the entry made at exactly T
    _, data, err = resolve(capsys, repo, "python", uri=memcached.uri)
    assert not hit(err)  # the plain resolve must not use the entry made at T=150
    assert data["resolved"] == ["python-3.9[]"]


def test_a_resolve_right_after_a_release_is_not_stored(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two releases within one filesystem tick may leave the same folder mtime: a folder
    # that changed moments before it was read is not trusted to a cache entry.
    release(repo, "lib", "1.1", requires=["python"])
    _, _, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert "changed moments before it was read" in err
    time.sleep(TICK)
    assert stored(resolve(capsys, repo, "app", uri=memcached.uri)[2])


def test_no_cache_neither_reads_nor_stores(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve(capsys, repo, "app", uri=memcached.uri)
    _, _, err = resolve(capsys, repo, "app", uri=memcached.uri, extra=["--no-cache"])
    assert not hit(err)
    assert not stored(err)


def test_requests_file_uses_the_cache_per_request(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps([["app"], ["lib"], ["app"], ["nothere"]]))
    argv = ["resolve", "--requests-file", str(requests), "--no-implicit", "--paths", str(repo)]
    argv += ["--memcached", memcached.uri, "-v"]
    assert main(argv) == 1  # nothere
    first = capsys.readouterr()
    assert main(argv) == 1
    second = capsys.readouterr()
    assert second.out == first.out
    assert second.err.count("resolve read from the shared cache") == 3  # app, lib, app


def test_entries_live_in_their_own_namespace(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(memcached)
    rez_key = "0123456789abcdef0123456789abcdef"  # rez's keys are md5 hex digests
    assert store.set(rez_key, b"rez's entry")
    resolve(capsys, repo, "app", uri=memcached.uri)
    assert main(["cache", "flush", "--memcached", memcached.uri]) == 0
    assert "rez's entries were not touched" in capsys.readouterr().out
    _, _, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert not hit(err)
    assert store.get_many([rez_key]) == {rez_key: b"rez's entry"}
