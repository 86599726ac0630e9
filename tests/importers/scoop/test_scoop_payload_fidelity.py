"""Payloads as Scoop lays them out (issue 13, items 1, 8 and 11).

1. MSI standard folders: Debian's msiextract calls ``ProgramFilesFolder`` ``Program Files``
   whatever the MSI says; Scoop (lessmsi, ``msiexec /a``) uses the Directory table's DefaultDir,
   which WiX writes ``PFiles`` (``PFiles64``, ``System``, ``AppData``... for the others), and
   which every ``extract_dir`` of Scoop's buckets names. MSIs are built here with wixl.
2. Executable bits: a zip made on Unix keeps its members' execute bits (tar did already), so a
   POSIX launcher can run a script payload; never setuid, setgid, sticky or a write bit.
3. Inno Setup: a real installer, built by Inno Setup 6.0.2's own compiler (``fixtures/scoop/
   inno``, see ``fixtures/README.md``), extracted by Debian's innoextract as Scoop's innounp
   would: what Inno Setup installs under ``{app}`` is the app folder.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tarfile
import zipfile
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.importers.scoop._extract import extract_archive
from tests.importers.scoop.scoop_testlib import (
    FIXTURES,
    WIXL,
    Server,
    load_manifest,
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


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# -- 1. MSI standard folders -----------------------------------------------------------------------


def make_standard_msi(tmp: Path, folders: list[tuple[str, str | None, str]]) -> bytes:
    """Build an MSI with wixl: each ``(standard folder Id, Name or None, file path below it)``."""
    source = tmp / "payload.txt"
    source.write_text("x")
    body = ""
    for number, (folder, name, path) in enumerate(folders, start=1):
        *subdirs, leaf = path.split("/")
        guid = f"12345678-1234-1234-1234-{number:012d}"
        inner = (
            f'<Component Id="C{number}" Guid="{guid}">'
            f'<File Id="F{number}" Name="{leaf}" Source="payload.txt"/></Component>'
        )
        for depth, sub in reversed(list(enumerate(subdirs))):
            inner = f'<Directory Id="D{number}_{depth}" Name="{sub}">{inner}</Directory>'
        named = f' Name="{name}"' if name is not None else ""
        body += f'<Directory Id="{folder}"{named}>{inner}</Directory>'
    refs = "".join(f'<ComponentRef Id="C{n}"/>' for n in range(1, len(folders) + 1))
    wxs = tmp / "standard.wxs"
    wxs.write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">'
        '<Product Id="*" Name="Std" Language="1033" Version="1.0.0" Manufacturer="Tests"'
        ' UpgradeCode="12345678-1234-1234-1234-123456789012">'
        '<Package InstallerVersion="200" Compressed="yes"/>'
        '<Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>'
        f'<Directory Id="TARGETDIR" Name="SourceDir">{body}</Directory>'
        f'<Feature Id="Main" Level="1">{refs}</Feature></Product></Wix>'
    )
    out = tmp / "standard.msi"
    subprocess.run([str(WIXL), "-o", str(out), str(wxs)], check=True, capture_output=True, cwd=tmp)
    return out.read_bytes()


@needs_wixl
def test_standard_folders_keep_the_names_scoop_uses(tmp_path: Path) -> None:
    # GIVEN the names WiX gives the standard folders, and one folder WiX 3 leaves unnamed
    msi = tmp_path / "a.msi"
    msi.write_bytes(
        make_standard_msi(
            tmp_path,
            [
                ("ProgramFilesFolder", "PFiles", "BITS Manager/BITSManager.exe"),
                ("ProgramFiles64Folder", "PFiles64", "Julia/bin/julia.exe"),
                ("SystemFolder", "System", "a.dll"),
                ("System64Folder", "System64", "b.dll"),
                ("AppDataFolder", "AppData", "Vendor/c.ini"),
                ("CommonFilesFolder", "CFiles", "Shared/d.dll"),
                ("LocalAppDataFolder", ".", "Local/e.txt"),  # "." : in its parent
            ],
        )
    )
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("msi", msi, out, local_name="a.msi")
    # THEN the administrative layout Scoop's manifests expect, not msiextract's "Program Files"
    assert _files(out) == [
        "AppData/Vendor/c.ini",
        "CFiles/Shared/d.dll",
        "Local/e.txt",
        "PFiles/BITS Manager/BITSManager.exe",
        "PFiles64/Julia/bin/julia.exe",
        "System/a.dll",
        "System64/b.dll",
    ]


@needs_wixl
def test_program_files_without_a_name_goes_to_the_top_as_in_lessmsi(tmp_path: Path) -> None:
    # WiX 3's <Directory Id="ProgramFilesFolder"> without Name writes DefaultDir ".".
    msi = tmp_path / "a.msi"
    msi.write_bytes(make_standard_msi(tmp_path, [("ProgramFilesFolder", None, "App/app.exe")]))
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("msi", msi, out, local_name="a.msi")
    assert _files(out) == ["App/app.exe"]


@needs_wixl
def test_extract_dir_in_pfiles_imports(tmp_path: Path, server: Server) -> None:
    # The issue's example: "could not find 'PFiles\\BITS Manager' (extract_dir); the archive
    # holds: Program Files/".
    msi = make_standard_msi(
        tmp_path, [("ProgramFilesFolder", "PFiles", "BITS Manager/BITSManager.exe")]
    )
    manifest: dict[str, Any] = {
        "version": "1.8.0",
        "homepage": "https://example.org",
        "license": "MIT",
        "url": server.add("/BITSManager.msi", msi),
        "hash": sha256(msi),
        "extract_dir": "PFiles\\BITS Manager",
        "bin": "BITSManager.exe",
    }
    bucket = write_bucket(tmp_path / "bucket", {"bitsmanager": manifest})
    repo = tmp_path / "repo"
    assert main(["scoop", "bitsmanager", "--bucket", f"main={bucket}", "--repo", str(repo)]) == 0
    app = repo / "bitsmanager" / "1.8.0" / "platform-windows" / "app"
    assert _files(app) == ["BITSManager.exe"]


# -- 2. executable bits ----------------------------------------------------------------------------


def _unix_zip(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix: external_attr holds the file's mode
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_zip_execute_bits_are_kept_and_nothing_dangerous(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        archive = tmp_path / "a.zip"
        archive.write_bytes(
            _unix_zip(
                {
                    "run.sh": (b"#!/bin/sh\n", stat.S_IFREG | 0o755),
                    "bare": (b"x", 0o700),  # permission bits only, no file type
                    "suid": (b"x", stat.S_IFREG | 0o6777 | stat.S_ISVTX),
                    "plain.txt": (b"x", stat.S_IFREG | 0o644),
                    "d/": (b"", stat.S_IFDIR | 0o777),
                }
            )
        )
        out = tmp_path / "out"
        out.mkdir()
        extract_archive("zip", archive, out, local_name="a.zip")
    finally:
        os.umask(umask)
    assert _mode(out / "run.sh") == 0o755
    assert _mode(out / "bare") == 0o744  # x only where the file is readable (umask 022)
    assert _mode(out / "suid") == 0o755  # no setuid/setgid/sticky, no group/world write
    assert _mode(out / "plain.txt") == 0o644
    assert not _mode(out / "d") & 0o022


def test_zip_from_windows_keeps_default_modes(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("tool.exe")
        info.create_system = 0  # MS-DOS: external_attr holds DOS attributes, not a mode
        info.external_attr = 0o755 << 16 | 0x20
        archive.writestr(info, b"MZ")
    (tmp_path / "a.zip").write_bytes(buffer.getvalue())
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("zip", tmp_path / "a.zip", out, local_name="a.zip")
    assert not _mode(out / "tool.exe") & 0o111


def test_tar_execute_bits_are_kept_and_nothing_dangerous(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, mode in (("run.sh", 0o755), ("suid", 0o6777)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = 1, mode
            archive.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "a.tar.gz").write_bytes(buffer.getvalue())
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("sevenzip", tmp_path / "a.tar.gz", out, local_name="a.tar.gz")
    assert _mode(out / "run.sh") == 0o755
    assert _mode(out / "suid") == 0o755


def test_posix_launcher_runs_a_script_payload(tmp_path: Path, server: Server) -> None:
    # GIVEN a zip whose tool is a shell script (what a POSIX launcher can run on Linux)
    archive = _unix_zip({"bin/hello": (b'#!/bin/sh\necho hello "$@"\n', stat.S_IFREG | 0o755)})
    manifest: dict[str, Any] = {
        "version": "1.0",
        "homepage": "https://example.org",
        "license": "MIT",
        "url": server.add("/hello.zip", archive),
        "hash": sha256(archive),
        "bin": [["bin\\hello", "hello", "--from-launcher"]],
    }
    bucket = write_bucket(tmp_path / "bucket", {"hello": manifest})
    repo = tmp_path / "repo"
    assert main(["scoop", "hello", "--bucket", f"main={bucket}", "--repo", str(repo)]) == 0
    launcher = repo / "hello" / "1.0" / "platform-windows" / "bin" / "hello"
    # WHEN it runs THEN the script runs (exit 126 "permission denied" before the fix)
    done = subprocess.run([str(launcher), "x"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "hello --from-launcher x\n")


# -- 3. a real Inno Setup installer ----------------------------------------------------------------

INNO = FIXTURES / "inno" / "inno-demo-setup.exe"
INNO_SHA256 = "2aa6adae98b0a36af985b63570a3398add20fd769bb6bb1c09dcd19b11466f27"
needs_innoextract = pytest.mark.skipif(
    shutil.which("innoextract") is None, reason="needs Debian's innoextract"
)


def test_inno_fixture_is_the_recorded_installer() -> None:
    data = INNO.read_bytes()
    assert sha256(data) == INNO_SHA256
    assert data[:2] == b"MZ"
    assert b"Inno Setup Setup Data (6.0.0) (u)" in data  # what innoextract 1.9 reads


@needs_innoextract
def test_inno_installer_extracts_its_app_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = extract_archive("inno", INNO, out, local_name="units-2.27-setup.exe")
    assert holder == out / "app"
    assert _files(holder) == ["share/definitions.units", "units.exe"]
    assert (holder / "share" / "definitions.units").read_text() == "units definitions\n"


@needs_innoextract
def test_inno_manifest_imports_end_to_end(tmp_path: Path, server: Server) -> None:
    # GIVEN the fixture bucket's Inno Setup manifest, served the real installer
    manifest = load_manifest("units")
    block = manifest["architecture"]["64bit"]
    data = INNO.read_bytes()
    block["url"] = server.add("/units-2.27-setup.exe", data)
    block["hash"] = sha256(data)
    bucket = write_bucket(tmp_path / "bucket", {"units": manifest})
    repo = tmp_path / "repo"
    assert main(["scoop", "units", "--bucket", f"main={bucket}", "--repo", str(repo)]) == 0
    root = repo / "units" / "2.27" / "platform-windows" / "arch-AMD64"
    assert _files(root / "app") == ["share/definitions.units", "units.exe"]
    assert (root / "bin" / "units.cmd").is_file()
