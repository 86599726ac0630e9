"""Issue 9, Scoop side: extraction stops at a size and a file-count limit, for every extractor.

GIVEN an archive served on loopback whose contents are far larger than the archive (or hold
too many files), WHEN ``pkgimport scoop`` imports it, THEN it exits 1 with one ``error:`` line
naming the archive and the limit, a hint naming the setting that raises it, no traceback, and
the repository exactly as it was. Declared sizes are checked before anything is written, and
what is really written is counted too (headers can lie; external tools are watched).
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pkgimport import settings
from pkgimport.cli import main
from pkgimport.errors import PkgImportError
from pkgimport.importers.scoop import PayloadError
from pkgimport.importers.scoop._burn import extract_burn_payloads
from pkgimport.importers.scoop._extract import extract_archive
from tests.importers.scoop.scoop_testlib import (
    make_7z,
    make_burn_bundle,
    make_msi,
    make_tar,
    make_zip,
    needs_7zz,
    needs_wixl,
    serve,
    sha256,
    write_bucket,
)
from tests.importers.scoop.test_scoop_trust_manifests import BASE, assert_refused, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.importers.scoop.scoop_testlib import Server

MIB = 1 << 20


def deflated_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Harness:
    """A loopback server, a repository holding one package, and the CLI run against both."""

    tmp_path: Path
    server: Server
    repo: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def import_archive(self, name: str, data: bytes) -> int:
        """Serve *data* as ``/<name>`` and import an app whose manifest downloads it."""
        url = self.server.add(f"/{name}", data)
        manifest = {**BASE, "url": url, "hash": sha256(data)}
        bucket = write_bucket(self.tmp_path / "bucket", {"app": manifest})
        return main(["scoop", "app", "--bucket", f"main={bucket}", "--repo", str(self.repo)])

    def assert_refused(self, name: str, data: bytes, *needles: str) -> str:
        """Import *data*: refused, one error line holding *needles*, repository unchanged."""
        before = snapshot(self.repo)
        code = self.import_archive(name, data)
        err = self.capsys.readouterr().err
        assert_refused(code, err, self.repo, before, name, *needles)
        return err

    def assert_limit(self, name: str, data: bytes, setting: str) -> None:
        """Refused at a limit; the hint names *setting*, the way to raise it."""
        err = self.assert_refused(name, data, "limit")
        assert setting in err.split("hint:", 1)[-1], err


@pytest.fixture
def harness(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Harness]:
    with serve(monkeypatch) as server:
        archive = make_zip({"seed.exe": b"seed"})
        manifest = {**BASE, "url": server.add("/seed.zip", archive), "hash": sha256(archive)}
        bucket = write_bucket(tmp_path / "seed", {"seed": manifest})
        repo = tmp_path / "repo"
        assert main(["scoop", "seed", "--bucket", f"main={bucket}", "--repo", str(repo)]) == 0
        capsys.readouterr()
        yield Harness(
            tmp_path=tmp_path, server=server, repo=repo, monkeypatch=monkeypatch, capsys=capsys
        )


# -- the defaults -------------------------------------------------------------------------------


def test_default_limit_is_twenty_times_the_archive_at_most_10_gib() -> None:
    env: dict[str, str] = {}
    assert settings.extract_max_bytes(2 * MIB, env) == 40 * MIB
    assert settings.extract_max_bytes(1 << 40, env) == 10 << 30
    # Small archives still get room (a few KiB of text legitimately expands past 20x).
    assert settings.extract_max_bytes(1000, env) == settings.EXTRACT_MIN_BYTES
    assert settings.extract_max_bytes(2 * MIB, {"PKGIMPORT_EXTRACT_MAX_BYTES": "500M"}) == 500 * MIB
    assert settings.extract_max_files({"PKGIMPORT_EXTRACT_MAX_FILES": "12"}) == 12
    assert settings.extract_max_files({}) == settings.EXTRACT_MAX_FILES


@pytest.mark.parametrize(
    ("name", "value"),
    [("PKGIMPORT_EXTRACT_MAX_BYTES", "lots"), ("PKGIMPORT_EXTRACT_MAX_FILES", "-1")],
)
def test_a_bad_setting_is_refused_before_any_download(
    harness: Harness, name: str, value: str
) -> None:
    harness.monkeypatch.setenv(name, value)
    harness.server.requests.clear()
    before = snapshot(harness.repo)
    code = harness.import_archive("a.zip", make_zip({"a.exe": b"a"}))
    err = harness.capsys.readouterr().err
    assert_refused(code, err, harness.repo, before, name, repr(value))
    assert harness.server.requests == []


def test_settings_name_the_variable_they_cannot_read() -> None:
    with pytest.raises(PkgImportError, match="PKGIMPORT_EXTRACT_MAX_BYTES"):
        settings.extract_max_bytes(1, {"PKGIMPORT_EXTRACT_MAX_BYTES": "1X"})
    with pytest.raises(PkgImportError, match="PKGIMPORT_EXTRACT_MAX_FILES"):
        settings.extract_max_files({"PKGIMPORT_EXTRACT_MAX_FILES": "0"})
    assert settings.extract_max_bytes(1, {"PKGIMPORT_EXTRACT_MAX_BYTES": "2G"}) == 2 << 30
    assert settings.extract_max_bytes(1, {"PKGIMPORT_EXTRACT_MAX_BYTES": "1234"}) == 1234


def test_zip_bomb_is_refused_with_the_default_limit(harness: Harness) -> None:
    bomb = deflated_zip({"zeros.bin": bytes(64 * MIB)})
    assert len(bomb) < MIB // 4  # so 20x the archive is far below 64 MiB
    harness.assert_limit("bomb.zip", bomb, "PKGIMPORT_EXTRACT_MAX_BYTES")


def test_raising_the_limit_lets_a_trusted_archive_through(harness: Harness) -> None:
    archive = deflated_zip({"big.bin": bytes(2 * MIB)})
    harness.monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "1M")
    harness.assert_limit("big.zip", archive, "PKGIMPORT_EXTRACT_MAX_BYTES")
    harness.monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "3M")
    assert harness.import_archive("big.zip", archive) == 0


def test_too_many_zip_members(harness: Harness) -> None:
    harness.monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_FILES", "20")
    archive = make_zip({f"d/f{i}.txt": b"" for i in range(50)})
    harness.assert_limit("many.zip", archive, "PKGIMPORT_EXTRACT_MAX_FILES")


# -- every extractor ----------------------------------------------------------------------------


def _tar_with_hard_links(payload: bytes, links: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("d/data.bin")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
        for i in range(links):
            link = tarfile.TarInfo(f"d/link{i}.bin")
            link.type = tarfile.LNKTYPE
            link.linkname = "d/data.bin"
            archive.addfile(link)
    return buffer.getvalue()


def _archives() -> dict[str, bytes]:
    zeros = bytes(2 * MIB)
    return {
        "x.tar.xz": make_tar({"d/zeros.bin": zeros}),
        # Not zeros: a gzip stream starting with a zero block reads as an empty tar.
        "tool.exe.gz": gzip.compress(b"MZ" * MIB),
        # Declared sizes are small; the links multiply what is written (and later copied).
        "links.tar.gz": _tar_with_hard_links(bytes(400_000), 4),
        "x.nupkg": deflated_zip({"lib/zeros.bin": zeros}),
    }


@pytest.mark.parametrize("name", ["x.tar.xz", "tool.exe.gz", "links.tar.gz", "x.nupkg"])
def test_size_limit_for_each_python_extractor(harness: Harness, name: str) -> None:
    harness.monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "1M")
    harness.assert_limit(name, _archives()[name], "PKGIMPORT_EXTRACT_MAX_BYTES")


@needs_7zz
def test_size_limit_with_7zip(harness: Harness) -> None:
    harness.monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "1M")
    archive = make_7z({"d/zeros.bin": bytes(2 * MIB)}, harness.tmp_path)
    harness.assert_limit("x.7z", archive, "PKGIMPORT_EXTRACT_MAX_BYTES")


@needs_wixl
def test_size_limit_with_msiextract(harness: Harness) -> None:
    harness.monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "1M")
    msi = make_msi({"bin/zeros.bin": bytes(2 * MIB)}, harness.tmp_path, top="Demo")
    harness.assert_limit("x.msi", msi, "PKGIMPORT_EXTRACT_MAX_BYTES")


def test_py7zr_fallback_has_the_limit_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "1M")
    src = tmp_path / "x.7z"
    src.write_bytes(make_7z({"d/zeros.bin": bytes(2 * MIB)}, tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PayloadError, match=r"x\.7z: .*limit"):
        extract_archive("sevenzip", src, out, local_name="x.7z", which=lambda _name: None)
    assert list(out.iterdir()) == []


@needs_7zz
def test_burn_bundle_cabinets_have_the_limit_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKGIMPORT_EXTRACT_MAX_BYTES", "1M")
    xml = (
        b'<BurnManifest xmlns="http://schemas.microsoft.com/wix/2008/Burn">'
        b'<Payload Id="core" FilePath="core.msi" SourcePath="a0"/></BurnManifest>'
    )
    bundle = tmp_path / "setup.exe"
    bundle.write_bytes(make_burn_bundle(xml, {"a0": bytes(2 * MIB)}))
    with pytest.raises(PayloadError, match=r"setup\.exe: .*limit"):
        extract_burn_payloads(bundle, tmp_path / "out")
    assert not (tmp_path / "out" / ".burn").exists()


# -- external tools are watched, not trusted ----------------------------------------------------


def _fake_7zz(tmp_path: Path, body: str) -> str:
    """A '7zz' whose listing is empty (nothing declared) and whose extraction runs *body*."""
    tool = tmp_path / "fake-7zz"
    tool.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = l ]; then exit 0; fi\n'
        'for a in "$@"; do case "$a" in -o*) out="${a#-o}";; esac; done\n'
        f"{body}\n"
    )
    tool.chmod(0o755)
    return str(tool)


@pytest.mark.parametrize(
    ("body", "setting", "value"),
    [
        ('head -c 50000000 /dev/zero > "$out/big.bin"', "PKGIMPORT_EXTRACT_MAX_BYTES", "1M"),
        (
            'i=0; while [ $i -lt 3000 ]; do : > "$out/f$i"; i=$((i+1)); done',
            "PKGIMPORT_EXTRACT_MAX_FILES",
            "100",
        ),
    ],
)
def test_an_external_tool_that_writes_more_than_it_declared_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, setting: str, value: str
) -> None:
    monkeypatch.setenv(setting, value)
    tool = _fake_7zz(tmp_path, body)
    src = tmp_path / "x.iso"
    src.write_bytes(b"an image")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PayloadError, match=r"x\.iso: .*limit") as info:
        extract_archive(
            "sevenzip", src, out, local_name="x.iso", which=lambda n: tool if n == "7zz" else None
        )
    assert setting in (info.value.hint or "")
    assert list(out.iterdir()) == []  # what the tool wrote was removed


# -- member names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "member", ["bin/evil\x1b[31m.exe", "bin/notes.txt:stream", "../up.txt", "/etc/passwd"]
)
def test_unsafe_member_names_are_refused(harness: Harness, member: str) -> None:
    harness.assert_refused("names.zip", make_zip({member: b"x"}), repr(member))


def test_dot_components_and_backslashes_are_still_accepted(tmp_path: Path) -> None:
    src = tmp_path / "a.tar.gz"
    src.write_bytes(make_tar({"./d/a.txt": b"a"}, mode="w:gz"))
    out = tmp_path / "out"
    out.mkdir()
    extract_archive("sevenzip", src, out, local_name="a.tar.gz")
    assert (out / "d" / "a.txt").read_bytes() == b"a"
    zsrc = tmp_path / "b.zip"
    zsrc.write_bytes(make_zip({"d\\b.txt": b"b"}))
    zout = tmp_path / "zout"
    zout.mkdir()
    extract_archive("zip", zsrc, zout, local_name="b.zip")
    assert (zout / "d" / "b.txt").read_bytes() == b"b"
