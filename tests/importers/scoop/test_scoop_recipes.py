"""Recipes and WiX Burn bundles: ``pkgimport scoop python`` end to end, payload included."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.importers.scoop import InvalidManifest, PayloadError, parse_manifest
from pkgimport.importers.scoop._burn import extract_burn_payloads, read_burn_containers
from pkgimport.importers.scoop._recipes import RecipeBook, parse_recipe
from tests.importers.scoop.scoop_testlib import (
    Server,
    load_manifest,
    make_burn_bundle,
    make_cab,
    make_msi,
    needs_7zz,
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

_BURN_NS = "http://schemas.microsoft.com/wix/2008/Burn"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


def _burn_manifest(names: list[str]) -> bytes:
    payloads = "".join(
        f'<Payload Id="p{i}" FilePath="{name}" SourcePath="a{i}" Packaging="embedded"/>'
        for i, name in enumerate(names)
    )
    return f'<BurnManifest xmlns="{_BURN_NS}">{payloads}</BurnManifest>'.encode()


def test_bundled_python_recipe_applies_only_to_the_reviewed_shape() -> None:
    book = RecipeBook.bundled()
    python = parse_manifest(load_manifest("python"))
    recipe = book.find("python", python)
    assert recipe is not None
    assert recipe.replaces == {"pre_install", "installer", "post_install"}
    changed = load_manifest("python")
    changed["installer"]["script"] = ["Start-Process setup.exe"]
    assert book.find("python", parse_manifest(changed)) is None
    assert book.find("ruby", python) is None


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"name": "x", "apps": ["a"], "run": "rm -rf /"}, "unknown recipe keys ['run']"),
        ({"name": "x", "apps": ["a"], "steps": [{"op": "shell", "cmd": "x"}]}, "unknown step"),
        ({"name": "x", "apps": ["a"], "replaces": ["uninstaller"]}, "unknown hooks"),
    ],
)
def test_recipes_are_a_closed_vocabulary(data: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidManifest, match=text.replace("[", r"\[").replace("]", r"\]")):
        parse_recipe(data)


def test_not_a_burn_bundle() -> None:
    with pytest.raises(PayloadError, match="no MZ header"):
        read_burn_containers(b"hello" * 20, "x.exe")
    stub = bytearray(make_burn_bundle(_burn_manifest([]), {}))
    stub[0x40 + 24 : 0x40 + 32] = b".text\0\0\0"
    with pytest.raises(PayloadError, match=r"no \.wixburn section"):
        read_burn_containers(bytes(stub), "x.exe")


@needs_7zz
def test_burn_payloads_are_extracted_under_their_names(tmp_path: Path) -> None:
    bundle = tmp_path / "setup.exe"
    bundle.write_bytes(
        make_burn_bundle(_burn_manifest(["core.msi", "sub/doc.msi"]), {"a0": b"core", "a1": b"doc"})
    )
    out = extract_burn_payloads(bundle, tmp_path / "out")
    assert sorted(out) == ["core.msi", "sub/doc.msi"]
    assert out["sub/doc.msi"].read_bytes() == b"doc"


@needs_7zz
def test_burn_payload_names_cannot_escape(tmp_path: Path) -> None:
    bundle = tmp_path / "setup.exe"
    bundle.write_bytes(make_burn_bundle(_burn_manifest(["../evil.msi"]), {"a0": b"x"}))
    with pytest.raises(PayloadError, match="outside the extraction folder"):
        extract_burn_payloads(bundle, tmp_path / "out")


def test_cab_builder_is_a_cabinet() -> None:
    assert make_cab({"a": b"x"})[:4] == b"MSCF"


@needs_wixl
@needs_7zz
def test_pkgimport_scoop_python_end_to_end(tmp_path: Path, server: Server) -> None:
    manifest = load_manifest("python")
    msis = {
        "core.msi": {"python314.dll": b"dll"},
        "exe.msi": {"python.exe": b"py", "pythonw.exe": b"pyw"},
        "lib.msi": {"Lib/idlelib/idle.bat": b"@echo idle", "Lib/os.py": b"# os"},
        "path.msi": {"path-marker.txt": b"must not be extracted"},
        "pip.msi": {"pip-marker.txt": b"must not be extracted"},
        "appendpath.msi": {"appendpath-marker.txt": b"must not be extracted"},
    }
    names = list(msis)
    built = {}
    for i, (name, files) in enumerate(msis.items()):
        folder = tmp_path / f"msi{i}"
        folder.mkdir()
        built[f"a{i}"] = make_msi(files, folder, top="", name=name.removesuffix(".msi"))
    bundle = make_burn_bundle(_burn_manifest(names), built)
    for arch, block in manifest["architecture"].items():
        block["url"] = server.add(f"/python/{arch}/python-3.14.7.exe", bundle) + "#/setup.exe"
        block["hash"] = sha256(bundle)
    bucket = write_bucket(tmp_path / "bucket", {"python": manifest})
    repo = tmp_path / "repo"
    # No --skip-scripts: the recipe stands for the installer script.
    assert (
        main(
            [
                "scoop",
                "python",
                "--arch",
                "64bit",
                "--bucket",
                f"main={bucket}",
                "--repo",
                str(repo),
            ]
        )
        == 0
    )
    root = repo / "python" / "3.14.7" / "platform-windows" / "arch-AMD64"
    app = sorted(
        p.relative_to(root / "app").as_posix() for p in (root / "app").rglob("*") if p.is_file()
    )
    assert app == [
        "Lib/idlelib/idle.bat",
        "Lib/os.py",
        "python.exe",
        "python314.dll",
        "pythonw.exe",
    ]
    assert sorted(p.name for p in (root / "bin").iterdir()) == [
        "idle",
        "idle.cmd",
        "idle.ps1",
        "idle3",
        "idle3.cmd",
        "idle3.ps1",
        "python3",
        "python3.cmd",
        "python3.ps1",
    ]
    assert 'call "%PKG_APP%\\Lib\\idlelib\\idle.bat" %*' in (root / "bin" / "idle.cmd").read_text()
    package_py = (repo / "python" / "3.14.7" / "package.py").read_text()
    assert "'recipe': 'python-burn-bundle'" in package_py
    assert "'replaced_by_recipe': ['pre_install', 'installer', 'post_install']" in package_py
    write_bind_packages(repo)
    result = rez_load(repo, ["python"], [["python", "platform-windows", "arch-AMD64"]])
    path = result["resolves"][0]["env"]["PATH"].split(":")
    assert path[:3] == [str(root / "app" / "Scripts"), str(root / "app"), str(root / "bin")]
