"""Versions rez cannot spell and hashes nobody computed (issue 13, items 9 and 7).

9. Scoop accepts any ``[\\w.+-]+`` version (``.june.2020.2``, conemu-color-themes); rez wants
   tokens joined by single separators. The mapping is deterministic, said in a warning, and the
   package's metadata keeps the Scoop version.
7. ``app@version`` generated from ``autoupdate`` has no hash. With a payload, the sha256 is
   computed at download and recorded as such; with ``--definition-only`` none is computed, so it
   needs ``--allow-unverified``, and the package says no hash was computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

from pkgimport.cli import main
from pkgimport.importers.scoop import (
    ConvertOptions,
    ManifestRefused,
    convert_manifest,
    parse_manifest,
)
from pkgimport.importers.scoop._names import rez_version
from pkgimport.repository._package_py import render_package_py
from pkgimport.repository._reader import read_package_file
from pkgimport.resolver.versions import Version
from tests.importers.scoop.scoop_testlib import (
    Server,
    make_zip,
    rez_load,
    serve,
    sha256,
    write_bucket,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _metadata(path: Path) -> dict[str, Any]:
    """The ``scoop`` metadata of the package file at *path*, as pkgimport reads it back."""
    return cast("dict[str, Any]", read_package_file(path).metadata["scoop"])


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


# -- 9. versions -----------------------------------------------------------------------------------

VERSIONS = [
    # (Scoop version, rez version)
    (".june.2020.2", "june.2020.2"),  # conemu-color-themes
    ("2.0.", "2.0"),
    ("1..2", "1.2"),
    ("1.-2", "1.2"),
    ("-beta", "beta"),
    ("4.1+239-8be7dbf", "4.1-239-8be7dbf"),  # the spec's + to -
    ("1.0-+rc1", "1.0-rc1"),
    ("2024.01.02_3", "2024.01.02_3"),
]


@pytest.mark.parametrize(("scoop", "rez"), VERSIONS)
def test_versions_map_to_valid_rez_versions(scoop: str, rez: str) -> None:
    assert rez_version(scoop) == rez
    assert str(Version(rez)) == rez


@pytest.mark.parametrize("scoop", ["...", "-", "\u00e91.0"])
def test_versions_without_a_rez_form_are_still_refused(scoop: str) -> None:
    with pytest.raises(ManifestRefused, match="has no valid rez form"):
        rez_version(scoop)


def test_odd_version_is_written_and_the_original_kept(tmp_path: Path) -> None:
    data: dict[str, Any] = {
        "version": ".june.2020.2",
        "homepage": "https://github.com/joonro/ConEmu-Color-Themes",
        "license": "MIT",
        "url": "https://github.com/joonro/ConEmu-Color-Themes/archive/master.zip",
        "hash": "a" * 64,
    }
    conv = convert_manifest(parse_manifest(data), ConvertOptions(app="conemu-color-themes"))
    definition = conv.definition
    assert definition.version == "june.2020.2"
    assert cast("dict[str, Any]", definition.metadata["scoop"])["version"] == ".june.2020.2"
    assert any(
        "'.june.2020.2' is written as the rez version 'june.2020.2'" in w for w in conv.warnings
    )
    # rez 3.4 reads it back as written
    folder = tmp_path / "repo" / definition.name / definition.version
    folder.mkdir(parents=True)
    (folder / "package.py").write_text(render_package_py(definition))
    loaded = rez_load(tmp_path / "repo", [definition.name])["packages"][definition.name]
    assert loaded["version"] == "june.2020.2"
    assert _metadata(folder / "package.py")["version"] == ".june.2020.2"


def test_plain_versions_get_no_warning() -> None:
    data: dict[str, Any] = {
        "version": "4.1+239",
        "homepage": "h",
        "license": "MIT",
        "url": "https://x/a.zip",
        "hash": "a" * 64,
    }
    assert not convert_manifest(parse_manifest(data), ConvertOptions(app="a")).warnings


# -- 7. hashes of generated manifests ------------------------------------------------------------


def _bucket(tmp_path: Path, server: Server) -> tuple[Path, bytes]:
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
    return write_bucket(tmp_path / "bucket", {"app": manifest}), old


def _scoop(tmp_path: Path, bucket: Path, *args: str) -> int:
    return main(["scoop", *args, "--bucket", f"main={bucket}", "--repo", str(tmp_path / "repo")])


def test_definition_only_generated_version_needs_allow_unverified(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket, _ = _bucket(tmp_path, server)
    # WHEN a generated version is imported without a download THEN no hash is computed: refused
    assert _scoop(tmp_path, bucket, "app@1.0", "--definition-only") == 1
    err = capsys.readouterr().err
    assert "generated from autoupdate, it has no hash" in err
    assert "--allow-unverified" in err
    assert not (tmp_path / "repo" / "app").exists()
    # WHEN allowed THEN the package says what is true: no hash at all
    assert _scoop(tmp_path, bucket, "app@1.0", "--definition-only", "--allow-unverified") == 0
    scoop = _metadata(tmp_path / "repo" / "app" / "1.0" / "package.py")
    assert (
        scoop["generated"]
        == "from autoupdate: no reviewed hash, none computed (nothing downloaded)"
    )
    variant = scoop["variants"][0]
    assert variant["downloads"][0]["hash"] is None
    assert "sha256" not in variant
    assert "computed" not in str(variant)
    assert not server.requests  # nothing was downloaded


def test_generated_version_with_payload_records_the_computed_hash(
    tmp_path: Path, server: Server
) -> None:
    bucket, old = _bucket(tmp_path, server)
    assert _scoop(tmp_path, bucket, "app@1.0") == 0
    scoop = _metadata(tmp_path / "repo" / "app" / "1.0" / "package.py")
    assert scoop["generated"] == "from autoupdate: no reviewed hash; sha256 computed at download"
    variant = scoop["variants"][0]
    assert variant["sha256"] == [sha256(old)]
    assert variant["sha256_status"] == "computed, not reviewed"


def test_hashless_manifest_allowed_records_an_unverified_hash(
    tmp_path: Path, server: Server
) -> None:
    archive = make_zip({"a.exe": b"a"})
    manifest: dict[str, Any] = {
        "version": "1.0",
        "homepage": "h",
        "license": "MIT",
        "url": server.add("/a.zip", archive),
    }
    bucket = write_bucket(tmp_path / "bucket", {"a": manifest})
    assert _scoop(tmp_path, bucket, "a", "--allow-unverified") == 0
    scoop = _metadata(tmp_path / "repo" / "a" / "1.0" / "package.py")
    assert scoop["variants"][0]["sha256"] == [sha256(archive)]
    assert scoop["variants"][0]["sha256_status"] == "computed, unverified"
    assert "generated" not in scoop
