"""Extraction dispatch details and the ``pkgimport scoop`` command's modes."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.importers.scoop import PayloadError
from pkgimport.importers.scoop._extract import archive_kind, extract_archive, select_extract_dir
from tests.importers.scoop.scoop_testlib import (
    BUCKET,
    Server,
    make_7z,
    make_msi,
    make_tar,
    make_zip,
    needs_7zz,
    needs_wixl,
    serve,
    sha256,
    write_bucket,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


@pytest.mark.parametrize(
    ("name", "innosetup", "kind"),
    [
        ("a.zip", False, "zip"),
        ("A.MSI", False, "msi"),
        ("setup.exe", True, "inno"),
        ("tool.exe", False, "copy"),
        ("x.tar.gz", False, "sevenzip"),
        ("x.tgz", False, "sevenzip"),
        ("x.7z", False, "sevenzip"),
        ("x.nupkg", False, "sevenzip"),
        ("x.tar.zst", False, "sevenzip"),
        ("x.7z.001", False, "sevenzip"),
        ("x.iso", False, "sevenzip"),
        ("x.jar", False, "copy"),
        ("x.ps1", False, "copy"),
        ("x.gz.exe", False, "copy"),
        ("x.xz.1", False, "copy"),
    ],
)
def test_dispatch_on_local_name(name: str, innosetup: bool, kind: str) -> None:
    assert archive_kind(name, innosetup=innosetup) == kind


def test_py7zr_fallback_without_7zip(tmp_path: Path) -> None:
    src = tmp_path / "a.7z"
    src.write_bytes(make_7z({"d/x.txt": b"x"}, tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("sevenzip", src, out, local_name="a.7z", which=lambda _name: None)
    assert (out / "d" / "x.txt").read_bytes() == b"x"


def test_missing_7zip_names_the_debian_package(tmp_path: Path) -> None:
    src = tmp_path / "a.iso"
    src.write_bytes(b"not really")
    with pytest.raises(PayloadError, match="needs 7-Zip") as info:
        extract_archive("sevenzip", src, tmp_path, local_name="a.iso", which=lambda _name: None)
    assert info.value.hint is not None
    assert "apt-get install 7zip" in info.value.hint


@pytest.mark.parametrize(
    ("kind", "tool", "package"),
    [("msi", "msiextract", "msitools"), ("inno", "innoextract", "innoextract")],
)
def test_missing_tools_name_their_debian_package(
    tmp_path: Path, kind: Any, tool: str, package: str
) -> None:
    with pytest.raises(PayloadError, match=tool) as info:
        extract_archive(kind, tmp_path / "x", tmp_path, local_name="x", which=lambda _name: None)
    assert package in (info.value.hint or "")


def test_single_gzip_stream_and_tar_gz(tmp_path: Path) -> None:
    src = tmp_path / "tool.exe.gz"
    src.write_bytes(gzip.compress(b"exe"))
    out = tmp_path / "o1"
    out.mkdir()
    extract_archive("sevenzip", src, out, local_name="tool.exe.gz")
    assert (out / "tool.exe").read_bytes() == b"exe"
    tgz = tmp_path / "x.tgz"
    tgz.write_bytes(make_tar({"a/b": b"b"}, mode="w:gz"))
    out2 = tmp_path / "o2"
    out2.mkdir()
    extract_archive("sevenzip", tgz, out2, local_name="x.tgz")
    assert (out2 / "a" / "b").read_bytes() == b"b"


def test_extract_dir_is_case_insensitive_and_accepts_backslashes(tmp_path: Path) -> None:
    (tmp_path / "Files" / "7-Zip").mkdir(parents=True)
    assert select_extract_dir(tmp_path, "files\\7-ZIP", "a.msi") == tmp_path / "Files" / "7-Zip"


def test_zip_absolute_member_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "a.zip"
    src.write_bytes(make_zip({"/etc/passwd": b"x"}))
    with pytest.raises(PayloadError, match="outside the extraction folder"):
        extract_archive("zip", src, tmp_path / "o", local_name="a.zip")


# -- CLI modes -----------------------------------------------------------------------------------


def _main(tmp_path: Path, *args: str) -> int:
    return main(["scoop", *args, "--bucket", f"main={BUCKET}", "--repo", str(tmp_path / "repo")])


def test_definition_only_writes_definitions_and_no_payload(tmp_path: Path) -> None:
    assert _main(tmp_path, "ripgrep", "7zip", "--definition-only", "--skip-scripts") == 0
    package = tmp_path / "repo" / "ripgrep" / "15.2.0"
    assert (package / "package.py").is_file()
    assert not (package / "platform-windows").exists()


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(tmp_path, "git", "--definition-only", "--dry-run", "--skip-scripts", "--json") == 0
    assert not (tmp_path / "repo").exists()
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "would import"
    assert rows[0]["skipped_scripts"]


def test_scripts_refused_by_default_even_definition_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(tmp_path, "7zip", "--definition-only") == 1
    err = capsys.readouterr().err
    assert "at 'post_install'" in err
    assert "--skip-scripts" in err
    assert not (tmp_path / "repo").exists()


def test_unknown_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(tmp_path, "no-such-app", "--definition-only") == 1
    assert "no manifest for 'no-such-app'" in capsys.readouterr().err


def test_case_insensitive_app_names(tmp_path: Path) -> None:
    assert _main(tmp_path, "AWSSTS", "--definition-only", "--dry-run") == 0


def test_generated_version_records_computed_hashes(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make_zip({"app.exe": b"v1"})
    server.add("/app-1.0.zip", old)
    current = make_zip({"app.exe": b"v2"})
    manifest: dict[str, Any] = {
        "version": "2.0",
        "homepage": "h",
        "license": "MIT",
        "bin": "app.exe",
        "url": server.add("/app-2.0.zip", current),
        "hash": sha256(current),
        "autoupdate": {"url": server.base + "/app-$version.zip"},
    }
    bucket = write_bucket(tmp_path / "bucket", {"app": manifest})
    assert (
        main(["scoop", "app@1.0", "--bucket", f"main={bucket}", "--repo", str(tmp_path / "repo")])
        == 0
    )
    package_py = (tmp_path / "repo" / "app" / "1.0" / "package.py").read_text()
    assert sha256(old) in package_py
    assert "'sha256_status': 'computed, not reviewed'" in package_py
    assert "from autoupdate" in package_py


@needs_wixl
def test_msi_uses_source_names_of_target_source_directories(tmp_path: Path) -> None:
    """Debian's msiextract writes ``Target:SRC|Source``; msiexec /a writes ``Source``."""
    msi = tmp_path / "a.msi"
    msi.write_bytes(make_msi({"bin/tool.exe": b"t"}, tmp_path, top="Demo"))
    table = subprocess.run(
        ["msiinfo", "export", str(msi), "Directory"], capture_output=True, check=True
    ).stdout
    idt = tmp_path / "Directory.idt"
    idt.write_bytes(table.replace(b"\tDemo", b"\tTGT|TargetLong:SRC|SourceLong"))
    subprocess.run(["msibuild", str(msi), "-i", str(idt)], check=True, capture_output=True)
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("msi", msi, out, local_name="a.msi")
    assert (out / "SourceLong" / "bin" / "tool.exe").read_bytes() == b"t"
    assert sorted(p.name for p in out.iterdir()) == ["SourceLong"]


@needs_7zz
@pytest.mark.skipif(shutil.which("zstd") is None, reason="needs zstd to build the archive")
def test_tar_zst_outer_layer_then_inner_tar(tmp_path: Path) -> None:
    tar = tmp_path / "x.tar"
    tar.write_bytes(make_tar({"d/a.txt": b"a"}, mode="w"))
    subprocess.run(["zstd", "-q", str(tar), "-o", str(tmp_path / "x.tar.zst")], check=True)
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("sevenzip", tmp_path / "x.tar.zst", out, local_name="x.tar.zst")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["d", "d/a.txt"]


def test_manifest_cookies_are_sent(tmp_path: Path, server: Server) -> None:
    archive = make_zip({"a.exe": b"a"})
    manifest: dict[str, Any] = {
        "version": "1.0",
        "homepage": "h",
        "license": "MIT",
        "cookie": {"oraclelicense": "accept"},
        "url": server.add("/a.zip", archive),
        "hash": sha256(archive),
    }
    bucket = write_bucket(tmp_path / "bucket", {"app": manifest})
    assert main(["scoop", "app", "--bucket", f"main={bucket}", "--repo", str(tmp_path / "r")]) == 0
    assert server.cookies == ["oraclelicense=accept"]
