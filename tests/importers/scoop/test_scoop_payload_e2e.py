"""End to end, hermetic: real manifests rewritten to a loopback server, archives built here.

Each test runs the CLI (``pkgimport scoop``) into a fresh repository, then checks the layout,
the launchers, the environment, and that rez 3.4 resolves the result for Windows.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from tests.importers.scoop.scoop_testlib import (
    Server,
    load_manifest,
    make_7z,
    make_msi,
    make_tar,
    make_zip,
    needs_wixl,
    rez_load,
    serve,
    sha256,
    write_bind_packages,
    write_bucket,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


def _serve(server: Server, block: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
    """Point *block*'s url/hash at *files* served by *server* (keeping any ``#/`` rename)."""
    urls, hashes = [], []
    old = block["url"] if isinstance(block["url"], list) else [block["url"]]
    for (path, data), url in zip(files, old, strict=True):
        fragment = "#" + url.partition("#")[2] if "#" in url else ""
        urls.append(server.add(path, data) + fragment)
        hashes.append(sha256(data))
    block["url"] = urls if len(urls) > 1 else urls[0]
    block["hash"] = hashes if len(hashes) > 1 else hashes[0]


def _run(tmp_path: Path, manifests: dict[str, dict[str, Any]], *args: str) -> int:
    bucket = write_bucket(tmp_path / "bucket", manifests)
    return main(["scoop", *args, "--bucket", f"main={bucket}", "--repo", str(tmp_path / "repo")])


def _families(repo: Path) -> list[str]:
    return (
        sorted(p.name for p in repo.iterdir() if not p.name.startswith("."))
        if repo.exists()
        else []
    )


def test_zip_per_architecture_with_extract_dir(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("ripgrep")
    for arch, block in manifest["architecture"].items():
        top = block["extract_dir"]
        _serve(
            server,
            block,
            [
                (
                    f"/rg/{arch}.zip",
                    make_zip({f"{top}/rg.exe": arch.encode(), f"{top}/doc/x.md": b"x"}),
                )
            ],
        )
    assert _run(tmp_path, {"ripgrep": manifest}, "ripgrep") == 0
    repo = tmp_path / "repo"
    base = repo / "ripgrep" / "15.2.0" / "platform-windows"
    for arch, folder in [("64bit", "arch-AMD64"), ("32bit", "arch-x86"), ("arm64", "arch-ARM64")]:
        assert (base / folder / "app" / "rg.exe").read_bytes() == arch.encode()
        assert (base / folder / "app" / "doc" / "x.md").is_file()
        assert sorted(p.name for p in (base / folder / "bin").iterdir()) == [
            "rg",
            "rg.cmd",
            "rg.ps1",
        ]
    cmd = (base / "arch-AMD64" / "bin" / "rg.cmd").read_bytes()
    assert cmd.endswith(b"\r\n")
    assert b'"%PKG_APP%\\rg.exe" %*' in cmd
    write_bind_packages(repo)
    result = rez_load(
        repo,
        ["ripgrep"],
        [
            ["ripgrep", "platform-windows", "arch-AMD64"],
            ["ripgrep", "platform-windows", "arch-x86"],
            ["ripgrep", "platform-windows", "arch-ARM64"],
        ],
    )
    resolved = [r["resolved"] for r in result["resolves"]]
    assert [[x for x in r if x.startswith("ripgrep")] for r in resolved] == [
        ["ripgrep-15.2.0[0]"],
        ["ripgrep-15.2.0[1]"],
        ["ripgrep-15.2.0[2]"],
    ]
    path = result["resolves"][1]["env"]["PATH"]
    assert path.startswith(str(base / "arch-x86" / "bin"))
    metadata = (repo / "ripgrep" / "15.2.0" / "package.py").read_text()
    assert "'sha256': [" in metadata


def test_tar_xz_and_scoop_path_order(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("curl")
    manifest["env_add_path"] = ["bin", "."]
    for arch, block in manifest["architecture"].items():
        top = block["extract_dir"]
        _serve(
            server,
            block,
            [
                (
                    f"/curl/{arch}.tar.xz",
                    make_tar({f"{top}/bin/curl.exe": b"curl", f"{top}/COPYING": b"c"}),
                )
            ],
        )
    assert _run(tmp_path, {"curl": manifest}, "curl", "--arch", "64bit") == 0
    repo = tmp_path / "repo"
    root = repo / "curl" / "8.21.0_7" / "platform-windows" / "arch-AMD64"
    assert (root / "app" / "bin" / "curl.exe").read_bytes() == b"curl"
    assert not (repo / "curl" / "8.21.0_7" / "platform-windows" / "arch-ARM64").exists()
    write_bind_packages(repo)
    result = rez_load(repo, ["curl"], [["curl", "platform-windows", "arch-AMD64"]])
    path = result["resolves"][0]["env"]["PATH"].split(":")
    # Scoop's order: env_add_path as a block in list order, then the launchers.
    assert path[:3] == [str(root / "app" / "bin"), str(root / "app"), str(root / "bin")]


def test_7z_with_dir_argument_in_launcher(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("gtypist")
    top = manifest["extract_dir"]
    archive = make_7z({f"{top}/gtypist.exe": b"gt", f"{top}/lessons/gtypist.typ": b"l"}, tmp_path)
    _serve(server, manifest, [("/gtypist.7z", archive)])
    assert _run(tmp_path, {"gtypist": manifest}, "gtypist") == 0
    root = tmp_path / "repo" / "gtypist" / "2.9.5" / "platform-windows"
    assert (root / "app" / "lessons" / "gtypist.typ").read_bytes() == b"l"
    assert (root / "bin" / "gtypist").read_text().splitlines()[-1] == (
        'exec "$app"/\'gtypist.exe\' "$app"\'\\lessons\\gtypist.typ\' "$@"'
    )
    assert '"%PKG_APP%\\lessons\\gtypist.typ"' in (root / "bin" / "gtypist.cmd").read_text()
    assert (
        "& (Join-Path $app 'gtypist.exe') ($app + '\\lessons\\gtypist.typ') @args"
        in (root / "bin" / "gtypist.ps1").read_text()
    )


def test_two_urls_rename_extract_to_and_env_set(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("oh-my-posh")
    for arch, block in manifest["architecture"].items():
        _serve(
            server,
            block,
            [
                (f"/{arch}/themes.zip", make_zip({"agnoster.omp.json": b"{}"})),
                (f"/{arch}/posh.exe", b"posh-" + arch.encode()),
            ],
        )
    assert _run(tmp_path, {"oh-my-posh": manifest}, "oh-my-posh") == 0
    repo = tmp_path / "repo"
    root = repo / "oh_my_posh" / "30.6.5" / "platform-windows" / "arch-AMD64"
    assert (root / "app" / "themes" / "agnoster.omp.json").is_file()
    assert (root / "app" / "oh-my-posh.exe").read_bytes() == b"posh-64bit"
    write_bind_packages(repo)
    env = rez_load(repo, ["oh_my_posh"], [["oh_my_posh", "platform-windows", "arch-AMD64"]])[
        "resolves"
    ][0]["env"]
    assert env["POSH_THEMES_PATH"] == f"{root}/app\\themes"


@needs_wixl
def test_msi_administrative_layout(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("fio")
    for arch, block in manifest["architecture"].items():
        msi = (
            make_msi({"fio.exe": arch.encode(), "examples/a.fio": b"x"}, tmp_path / arch, top="fio")
            if (tmp_path / arch).mkdir() is None
            else b""
        )
        _serve(server, block, [(f"/fio/{arch}.msi", msi)])
    assert _run(tmp_path, {"fio": manifest}, "fio") == 0
    root = tmp_path / "repo" / "fio" / "3.42" / "platform-windows"
    assert (root / "arch-x86" / "app" / "fio.exe").read_bytes() == b"32bit"
    assert (root / "arch-AMD64" / "app" / "examples" / "a.fio").read_bytes() == b"x"


def test_redirects_are_followed(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("gtypist")
    top = manifest["extract_dir"]
    archive = make_zip({f"{top}/gtypist.exe": b"gt"})
    server.add("/real.zip", archive)
    manifest["url"] = server.base + "/redirect/real.zip#/dl.zip"
    manifest["hash"] = sha256(archive)
    assert _run(tmp_path, {"gtypist": manifest}, "gtypist") == 0
    assert "/redirect/real.zip" in server.requests


# -- bad input: a clear error and the repository unchanged ----------------------------------------


def _bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: dict[str, Any], *args: str
) -> str:
    assert _run(tmp_path, {"app": manifest}, "app", *args) == 1
    assert _families(tmp_path / "repo") == []
    return capsys.readouterr().err


def _simple(
    server: Server, files: dict[str, bytes], extract_dir: str | None = None
) -> dict[str, Any]:
    archive = make_zip(files)
    data: dict[str, Any] = {
        "version": "1.0",
        "homepage": "https://x",
        "license": "MIT",
        "url": server.add("/app.zip", archive),
        "hash": sha256(archive),
    }
    if extract_dir:
        data["extract_dir"] = extract_dir
    return data


def test_hash_mismatch_names_algorithm_expected_actual(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _simple(server, {"a.exe": b"a"})
    real = manifest["hash"]
    manifest["hash"] = "sha1:" + "0" * 40
    err = _bad(tmp_path, capsys, manifest)
    assert "hash mismatch" in err
    assert "algorithm: sha1" in err
    assert "expected:  " + "0" * 40 in err
    assert "actual:" in err
    assert real not in err  # the sha1 is printed, not the sha256


def test_dotdot_member_is_refused_before_extraction(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _bad(tmp_path, capsys, _simple(server, {"ok.txt": b"1", "../evil.txt": b"2"}))
    assert "'../evil.txt' would be written outside the extraction folder" in err
    assert not (tmp_path / "evil.txt").exists()


def test_escaping_link_is_refused(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = make_tar({"a.txt": b"a"}, links={"link": "../../etc/passwd"})
    manifest = {
        "version": "1.0",
        "homepage": "h",
        "license": "MIT",
        "url": server.add("/a.tar.xz", archive),
        "hash": sha256(archive),
    }
    assert "link 'link' points outside the folder" in _bad(tmp_path, capsys, manifest)


def test_missing_extract_dir_lists_the_archive(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _simple(server, {"tool-2.0/a.exe": b"a", "README": b"r"}, extract_dir="tool-1.0")
    err = _bad(tmp_path, capsys, manifest)
    assert "could not find 'tool-1.0' (extract_dir); the archive holds: README, tool-2.0/" in err


def test_404_fails_loudly(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _simple(server, {"a.exe": b"a"})
    manifest["url"] = server.base + "/gone.zip"
    assert "HTTP 404" in _bad(tmp_path, capsys, manifest)


def test_malformed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    (bucket / "app.json").write_text('{"version": "1.0",')
    assert (
        main(["scoop", "app", "--bucket", f"main={bucket}", "--repo", str(tmp_path / "repo")]) == 1
    )
    assert "not valid JSON" in capsys.readouterr().err


def test_unknown_field(tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _simple(server, {"a.exe": b"a"})
    manifest["instaler"] = {"script": "x"}
    assert "unknown field 'instaler'" in _bad(tmp_path, capsys, manifest)


def test_hashless_needs_allow_unverified(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _simple(server, {"a.exe": b"a"})
    del manifest["hash"]
    err = _bad(tmp_path, capsys, manifest)
    assert "cannot be verified" in err
    assert "--allow-unverified" in err
    assert _run(tmp_path, {"app": manifest}, "app", "--allow-unverified") == 0
    assert _families(tmp_path / "repo") == ["app"]


def test_one_bad_app_writes_nothing(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _simple(server, {"a.exe": b"a"})
    bad = dict(good, hash="0" * 64)
    assert _run(tmp_path, {"good": good, "bad": bad}, "good", "bad") == 1
    assert _families(tmp_path / "repo") == []
    assert "hash mismatch" in capsys.readouterr().err


def test_json_summary(tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _simple(server, {"a.exe": b"a"})
    manifest["bin"] = "a.exe"
    assert _run(tmp_path, {"app": manifest}, "app", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "app"
    assert rows[0]["status"] == "created"
    assert rows[0]["tools"] == ["a"]
