"""Faults of memcached: down, slow, full, restarted, garbage under pkgimport's keys.

GIVEN a memcached that fails in one way, WHEN resolves run, THEN each one answers what a
fresh solve answers, within a short timeout, and the fault is warned about once, not once per
resolve.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from pkgimport.cache import memcached_servers
from pkgimport.cache._memcached import CONNECT_TIMEOUT, TIMEOUT, MemcachedStore
from pkgimport.cache.resolves import _MAGIC, GENERATION_KEY, decode_entry, encode_entry
from tests.cache._cachelib import hit, make_repo, resolve, stored
from tests.cache.conftest import free_port

if TYPE_CHECKING:
    from pathlib import Path

    from tests.cache.conftest import MemcachedServer, SilentServer

EXPECTED = ["python-3.9[]", "lib-1.0[0]", "app-1.0[]"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def _resolve_many(
    capsys: pytest.CaptureFixture[str], repo: Path, uri: str, times: int
) -> tuple[list[float], str]:
    """Resolve ``app`` *times* times; check every answer; return durations and all stderr."""
    durations, errs = [], []
    for _ in range(times):
        begin = time.monotonic()
        code, data, err = resolve(capsys, repo, "app", uri=uri)
        durations.append(time.monotonic() - begin)
        assert (code, data["resolved"]) == (0, EXPECTED)
        errs.append(err)
    return durations, "".join(errs)


def test_nothing_listening(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"127.0.0.1:{free_port()}"
    durations, err = _resolve_many(capsys, repo, uri, 4)
    assert _warnings(err) == [
        (
            f"warning: memcached {uri} is not answering (Connection refused); resolving "
            "without the shared cache (this warning is shown once every 10 minutes; -v shows all)"
        )
    ]
    # The next processes skip the server for a while instead of trying it again.
    assert err.count("did not answer less than 30 s ago; not asking it") == 3
    assert max(durations) < 3


def test_accepts_but_never_answers(
    repo: Path, silent_server: SilentServer, capsys: pytest.CaptureFixture[str]
) -> None:
    durations, err = _resolve_many(capsys, repo, silent_server.uri, 3)
    assert len(_warnings(err)) == 1
    assert "is not answering (timed out)" in err
    # Only the first resolve waits for the server, and not much longer than the timeout.
    assert durations[0] < TIMEOUT + CONNECT_TIMEOUT + 2
    assert max(durations[1:]) < TIMEOUT


def test_a_fresh_process_never_waits_past_the_timeout(
    repo: Path, silent_server: SilentServer
) -> None:
    argv = [sys.executable, "-m", "pkgimport", "resolve", "app", "--no-implicit", "--json"]
    argv += ["--paths", str(repo), "--memcached", silent_server.uri]
    begin = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    elapsed = time.monotonic() - begin
    assert done.returncode == 0, done.stderr
    assert '"app-1.0[]"' in done.stdout
    assert "timed out" in done.stderr
    assert elapsed < TIMEOUT + CONNECT_TIMEOUT + 5  # the process's own start-up included


def test_one_dead_server_of_two_leaves_the_other_in_use(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = f"127.0.0.1:{free_port()}"
    uri = f"{dead},{memcached.uri}"
    _, err = _resolve_many(capsys, repo, uri, 3)
    # Keys are hashed over both servers: the dead one is warned about if a key went to it.
    warning = (
        f"warning: memcached {dead} is not answering (Connection refused); resolving with "
        "the other servers (this warning is shown once every 10 minutes; -v shows all)"
    )
    assert _warnings(err) in ([], [warning])
    assert err.count("resolve read from the shared cache") >= 1


def test_full_memcached(
    repo: Path, small_memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    store = MemcachedStore(memcached_servers(small_memcached.uri))
    # Fill the 1 MB with large values: every page goes to their slab class.
    for i in range(8):
        store.set(f"junk{i}", os.urandom(300_000))
    _, err = _resolve_many(capsys, repo, small_memcached.uri, 4)
    assert len(_warnings(err)) <= 1
    # Whatever memcached kept or evicted, nothing else went wrong.
    assert "Traceback" not in err


def test_value_larger_than_the_server_takes(
    repo: Path,
    small_memcached: MemcachedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pkgimport.cache import resolves  # noqa: PLC0415

    real = resolves.encode_entry
    monkeypatch.setattr(resolves, "encode_entry", lambda e: real(e) + os.urandom(600_000))
    _, err = _resolve_many(capsys, repo, small_memcached.uri, 3)
    assert _warnings(err) == [
        (
            "warning: memcached refused a request: object too large for cache (this warning "
            "is shown once every 10 minutes; -v shows all)"
        )
    ]
    assert "memcached did not take it" in err


def test_restarted_between_resolves(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stored(resolve(capsys, repo, "app", uri=memcached.uri)[2])
    memcached.restart()  # empty, and under a new generation
    code, data, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert (code, data["resolved"]) == (0, EXPECTED)
    assert not hit(err)
    assert stored(err)
    assert hit(resolve(capsys, repo, "app", uri=memcached.uri)[2])
    assert not _warnings(err)


def test_a_long_lived_client_connects_again_after_a_restart(memcached: MemcachedServer) -> None:
    store = MemcachedStore(memcached_servers(memcached.uri))
    assert store.set("pkgimport:test", b"1")
    memcached.restart()
    assert store.get_many(["pkgimport:test"]) == {}  # gone with the old server, no error
    assert store.is_available()
    assert store.set("pkgimport:test", b"2")
    assert store.get_many(["pkgimport:test"]) == {"pkgimport:test": b"2"}


@pytest.mark.parametrize(
    "junk",
    [
        b"\x00\xffnot ours at all",
        _MAGIC + b"z" + b"not zlib",
        _MAGIC + b"j" + b"{not json",
        _MAGIC + b"j" + b'{"format": 1, "key": "another key"}',
        _MAGIC + b"j" + b'{"format": 1, "key": "%s", "families": [], "files": 3}',
        _MAGIC + b"j" + b"[" * 100_000,
    ],
    ids=["bytes", "zlib", "json", "other-key", "shape", "nesting"],
)
def test_garbage_under_our_keys(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], junk: bytes
) -> None:
    err = resolve(capsys, repo, "app", uri=memcached.uri)[2]
    name = re.search(r"stored in the shared cache \((\S+)\)", err)
    assert name is not None
    store = MemcachedStore(memcached_servers(memcached.uri))
    key = name.group(1)
    assert store.set(key, junk.replace(b"%s", key.encode()))
    _, err = _resolve_many(capsys, repo, memcached.uri, 3)
    assert len(_warnings(err)) == 1
    assert f"ignored an unreadable entry under {key}" in err
    assert hit(err)  # the resolve after the garbage stored a good entry again


def test_garbage_generation(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve(capsys, repo, "app", uri=memcached.uri)
    store = MemcachedStore(memcached_servers(memcached.uri))
    assert store.set(GENERATION_KEY, b"not a number")
    _, err = _resolve_many(capsys, repo, memcached.uri, 3)
    assert len(_warnings(err)) == 1
    assert "reset a garbled pkgimport:generation" in err
    assert (store.get_many([GENERATION_KEY]).get(GENERATION_KEY) or b"").isdigit()


def test_keys_of_a_dead_server_go_to_the_live_one(memcached: MemcachedServer) -> None:
    dead = f"127.0.0.1:{free_port()}"
    warnings: list[str] = []
    store = MemcachedStore(memcached_servers(f"{dead},{memcached.uri}"), warn=warnings.append)
    keys = [f"pkgimport:test:{i}" for i in range(20)]  # some hash to each server
    assert all(store.set(key, key.encode()) for key in keys)
    assert store.get_many(keys) == {key: key.encode() for key in keys}
    assert store.alive == [memcached_servers(memcached.uri)[0]]
    assert len(warnings) == 1


def test_an_entry_naming_folders_outside_the_repositories_is_not_used(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Whoever can write to memcached must not get `env` to load packages from elsewhere.
    err = resolve(capsys, repo, "app", uri=memcached.uri)[2]
    name = re.search(r"stored in the shared cache \((\S+)\)", err)
    assert name is not None
    store = MemcachedStore(memcached_servers(memcached.uri))
    raw = store.get_many([name.group(1)])[name.group(1)]
    entry = decode_entry(raw, name.group(1))
    assert entry is not None
    elsewhere = json.loads(json.dumps(entry).replace(str(repo), str(tmp_path / "evil")))
    elsewhere["key"] = name.group(1)
    assert store.set(name.group(1), encode_entry(elsewhere))
    code, data, err = resolve(capsys, repo, "app", uri=memcached.uri)
    assert (code, data["resolved"]) == (0, EXPECTED)
    assert "not a searched repository" in err
    assert not hit(err)


def test_the_synthetic_location_is_the_providers() -> None:
    from pkgimport.cache import resolves  # noqa: PLC0415
    from pkgimport.resolver.provider import SYNTHETIC_LOCATION  # noqa: PLC0415

    assert resolves._SYNTHETIC_LOCATION == SYNTHETIC_LOCATION
