"""``pkgimport cache stats|flush|warm``, server settings, and what a cache hit imports."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pkgimport.cache import InvalidMemcachedURI, memcached_servers, parse_memcached_uri
from pkgimport.cli import main
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver.solver import Solver
from tests.cache._cachelib import hit, make_repo, resolve

if TYPE_CHECKING:
    from pathlib import Path

    from tests.cache.conftest import MemcachedServer


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


# -- where the servers are -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        (None, {}, ()),
        (None, {"REZ_MEMCACHED_URI": "a:1 b:2"}, (("a", 1), ("b", 2))),
        (None, {"PKGIMPORT_MEMCACHED_URI": "p", "REZ_MEMCACHED_URI": "r"}, (("p", 11211),)),
        (["x:3,y:4", "x:3"], {"PKGIMPORT_MEMCACHED_URI": "p"}, (("x", 3), ("y", 4))),
        ("[::1]:5", {}, (("::1", 5),)),
        (None, {"REZ_MEMCACHED_URI": "a:1", "REZ_RESOLVE_CACHING": "False"}, ()),
        (["a:1"], {"REZ_RESOLVE_CACHING": "0"}, (("a", 1),)),
    ],
)
def test_memcached_servers(
    explicit: list[str] | str | None, environ: dict[str, str], expected: tuple[object, ...]
) -> None:
    assert memcached_servers(explicit, environ) == expected


def test_memcached_servers_from_the_rez_configuration() -> None:
    environ = {"REZ_MEMCACHED_URI": "env:1"}
    assert memcached_servers(None, environ, configured=["file:2"]) == (("file", 2),)
    assert memcached_servers(None, {"PKGIMPORT_MEMCACHED_URI": "p:3"}, configured=["f:2"]) == (
        ("p", 3),
    )
    assert memcached_servers(None, environ, configured=["f:2"], caching=False) == ()


@pytest.mark.parametrize("text", ["", "a:b", "a:0", "a:70000", "::1", "[::1", "a b:1", "/x"])
def test_bad_uris(text: str) -> None:
    with pytest.raises(InvalidMemcachedURI, match="memcached URI"):
        parse_memcached_uri(text)


def test_bad_uri_on_the_command_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["resolve", "app", "--paths", str(repo), "--no-implicit", "--memcached", "a:b"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "error: invalid port in memcached URI 'a:b'" in err
    assert "hint: write servers as HOST:PORT" in err


def test_environment_variables_name_the_servers(
    repo: Path,
    memcached: MemcachedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PKGIMPORT_MEMCACHED_URI", "REZ_MEMCACHED_URI"):
        monkeypatch.setenv(name, memcached.uri)
        resolve(capsys, repo, "app", uri=None)
        assert hit(resolve(capsys, repo, "app", uri=None)[2]), name
        monkeypatch.delenv(name)
        assert main(["cache", "flush", "--memcached", memcached.uri]) == 0
        capsys.readouterr()


def test_a_rez_config_file_names_the_servers(
    repo: Path,
    memcached: MemcachedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The studio's rezconfig, not a variable: memcached_uri and resolve_caching from a file.
    config = tmp_path / "studio_rezconfig.py"
    config.write_text(f"memcached_uri = [{memcached.uri!r}]\n")
    monkeypatch.setenv("REZ_CONFIG_FILE", str(config))
    resolve(capsys, repo, "app", uri=None)
    assert hit(resolve(capsys, repo, "app", uri=None)[2])
    config.write_text(f"memcached_uri = [{memcached.uri!r}]\nresolve_caching = False\n")
    assert not hit(resolve(capsys, repo, "app", uri=None)[2])


# -- the verbs -----------------------------------------------------------------------------


def test_stats(memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "stats", "--memcached", memcached.uri]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{memcached.uri}:\n  version      1.")
    assert "  items        " in out
    assert "pkgimport generation: " in out
    assert main(["cache", "stats", "--json", "--memcached", memcached.uri]) == 0
    data = json.loads(capsys.readouterr().out)
    (server,) = data["servers"]
    assert server["server"] == memcached.uri
    assert server["ok"] is True
    assert isinstance(server["stats"]["curr_items"], int)
    assert isinstance(data["generation"], int)


def test_stats_of_a_server_that_is_down(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.cache.conftest import free_port  # noqa: PLC0415

    uri = f"127.0.0.1:{free_port()}"
    assert main(["cache", "stats", "--json", "--memcached", uri]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "servers": [{"server": uri, "ok": False, "error": "Connection refused"}],
        "generation": None,
    }


def test_verbs_without_servers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "flush"]) == 1
    assert "error: no memcached server is set" in capsys.readouterr().err


def test_flush_moves_the_generation_on(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve(capsys, repo, "app", uri=memcached.uri)
    assert main(["cache", "flush", "--memcached", memcached.uri]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flushed pkgimport's resolve cache (generation ")
    assert not hit(resolve(capsys, repo, "app", uri=memcached.uri)[2])
    assert hit(resolve(capsys, repo, "app", uri=memcached.uri)[2])


def test_warm_then_every_resolve_hits(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["cache", "warm", "app", "--paths", str(repo), "--no-implicit"]
    assert main([*argv, "--memcached", memcached.uri]) == 0
    out = capsys.readouterr().out
    assert out.startswith("app: solved; stored in the shared cache (pkgimport:r1:")
    assert hit(resolve(capsys, repo, "app", uri=memcached.uri)[2])
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps([["lib"], ["app-2", "python-2"]]))
    argv = ["cache", "warm", "--requests-file", str(requests), "--paths", str(repo)]
    assert main([*argv, "--no-implicit", "--memcached", memcached.uri]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("lib: solved; stored in the shared cache")
    assert lines[1] == ("app-2 python-2: failed; not stored: only successful resolves are cached")


def test_env_uses_the_cache(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["env", "app", "--paths", str(repo), "--no-implicit", "--memcached", memcached.uri]
    argv += ["-v", "--", sys.executable, "-c", "import os; print(os.environ['REZ_USED_RESOLVE'])"]
    for expect_hit in (False, True):
        capfd_out = subprocess.run(
            [sys.executable, "-m", "pkgimport", *argv],
            capture_output=True,
            text=True,
            check=False,
        )
        assert capfd_out.returncode == 0, capfd_out.stderr
        assert capfd_out.stdout.strip() == "python-3.9 lib-1.0 app-1.0"
        assert hit(capfd_out.stderr) is expect_hit


# -- what a hit costs ----------------------------------------------------------------------

_IMPORTS = """
import sys
from pkgimport.cli import main
code = main(sys.argv[1:])
print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(argv: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS, *argv], capture_output=True, text=True, check=True
    )
    return set(done.stderr.splitlines()[-1].split())


def test_a_hit_imports_neither_the_solver_nor_the_repository(
    repo: Path, memcached: MemcachedServer
) -> None:
    argv = ["resolve", "app", "--paths", str(repo), "--no-implicit", "--json"]
    argv += ["--memcached", memcached.uri]
    _modules_after(argv)  # stores it
    loaded = _modules_after(argv)
    assert "pymemcache" in loaded
    heavy = {
        "pkgimport.resolver.solver",
        "pkgimport.resolver.versions",
        "pkgimport.repository.filesystem",
        "pkgimport.resolver.context",
        "rich",
    }
    assert loaded.isdisjoint(heavy), sorted(loaded & heavy)


def test_without_servers_pymemcache_is_never_imported(repo: Path) -> None:
    loaded = _modules_after(["resolve", "app", "--paths", str(repo), "--no-implicit", "--json"])
    assert "pymemcache" not in loaded
    assert "pkgimport.cache.resolves" not in loaded


def test_every_solver_option_is_in_the_cache_key() -> None:
    # A resolve's answer depends on the Solver's and the RepositoryProvider's options: the
    # cache key must hold each one (ResolveSession.cache_key). Adding an option fails here
    # until the key (and this list) says how it is covered.
    covered_by_key = {
        "provider",  # the repositories (paths, inodes), the target's synthetic packages
        "package_filter",  # filter pods, and --time
        "orderers",  # orderer pods
        "building",
        "variant_select_mode",
        "error_on_missing_variant_requires",
        "max_fails",
    }
    not_needed = {
        "self",
        "reporter",  # progress only
        "time_limit",  # an answer within the limit is the answer (rez's key has none either)
    }
    assert set(inspect.signature(Solver.__init__).parameters) == covered_by_key | not_needed
    assert set(inspect.signature(RepositoryProvider.__init__).parameters) == {
        "self",
        "paths",
        "allow_unversioned",  # in the key
    }


def test_target_resolves_are_cached_apart(
    repo: Path, memcached: MemcachedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for target in ("windows", "osx"):
        extra = ["--target", target]
        _, first, err = resolve(capsys, repo, "app", "platform", uri=memcached.uri, extra=extra)
        assert not hit(err), target
        assert first["synthetic"] == [f"platform-{target}[]"]
        _, second, err = resolve(capsys, repo, "app", "platform", uri=memcached.uri, extra=extra)
        assert hit(err), target
        assert second == first
