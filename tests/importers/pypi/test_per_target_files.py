"""Targets that use different wheels of one version: each wheel's own metadata and payload."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkgimport.definition import Action
from pkgimport.importers.pypi._cache import DownloadCache
from pkgimport.importers.pypi._importer import PypiImporter
from pkgimport.importers.pypi._index import Index
from pkgimport.importers.pypi._target import TargetPlatform
from pkgimport.importers.pypi._wheel import install_wheel
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec, build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pkgimport.definition import ImportedPackage, PackageDefinition

LINUX = TargetPlatform.create(python="3.11", platform="linux", arch="x86_64")
WINDOWS = TargetPlatform.create(python="3.11", platform="windows", arch="AMD64")
LINUX_TAG = "cp311-cp311-manylinux_2_17_x86_64"


class _EmptyRepository:
    def iter_versions(self, family: str) -> Iterator[str]:
        del family
        return iter(())

    def load(self, family: str, version: str) -> PackageDefinition:
        raise AssertionError(f"nothing to load: {family}-{version}")


def _import(server: IndexServer, tmp_path: Path, request: str) -> dict[str, ImportedPackage]:
    importer = PypiImporter(Index([server.url]), DownloadCache(tmp_path / "cache"))
    plan = importer.plan([request], [LINUX, WINDOWS], _EmptyRepository())
    built = importer.build(plan, importer.fetch(plan))
    return {p.definition.name: p for p in built}


def test_each_target_uses_the_requirements_of_its_own_wheel(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add_wheels(
        WheelSpec(name="fast", version="1.0", tag=LINUX_TAG, requires=["numlib>=1"]),
        # The Windows wheel lists one more dependency, without a marker.
        WheelSpec(
            name="fast", version="1.0", tag="cp311-cp311-win_amd64", requires=["numlib>=1", "pywin"]
        ),
        WheelSpec(name="numlib", version="1.2"),
        WheelSpec(name="pywin", version="3.0"),
    )
    packages = _import(index_server, tmp_path, "fast")
    assert sorted(packages) == ["fast", "numlib", "pywin"]
    fast = packages["fast"].definition
    assert fast.requires == ("numlib-1+",)
    assert fast.variants == (
        ("platform-linux", "arch-x86_64", "python-3.11"),
        ("platform-windows", "arch-AMD64", "python-3.11", "pywin"),
    )
    # Provenance names each target's own file and variant.
    pypi = fast.metadata["pypi"]
    assert isinstance(pypi, dict)
    files = {f["target"]: f for f in pypi["files"]}
    assert files[str(WINDOWS)]["file"] == "fast-1.0-cp311-cp311-win_amd64.whl"
    assert files[str(WINDOWS)]["variant"][-1] == "pywin"


def test_requirement_missing_from_one_wheel_leaves_the_shared_requires(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add_wheels(
        WheelSpec(name="fast", version="1.0", tag=LINUX_TAG, requires=["numlib", "posixlib"]),
        WheelSpec(name="fast", version="1.0", tag="cp311-cp311-win_amd64", requires=["numlib"]),
        WheelSpec(name="numlib", version="1.2"),
        WheelSpec(name="posixlib", version="2.0"),
    )
    fast = _import(index_server, tmp_path, "fast")["fast"].definition
    assert fast.requires == ("numlib",)
    assert fast.variants == (
        ("platform-linux", "arch-x86_64", "python-3.11", "posixlib"),
        ("platform-windows", "arch-AMD64", "python-3.11"),
    )


def test_folders_with_dlls_go_on_path(index_server: IndexServer, tmp_path: Path) -> None:
    modules = {
        "qtlib/__init__.py": "X = 1\n",
        "qtlib/QtCore.pyd": "not really a pyd",
        "qtlib/Qt6Core.dll": "MZ not really a dll",
        "qtlib/plugins/platforms/qwindows.DLL": "MZ",
    }
    spec = WheelSpec(name="qtlib", version="6.5", tag="cp311-cp311-win_amd64", modules=modules)
    payload = install_wheel(build_wheel(tmp_path / "w", spec), tmp_path / "root")
    assert payload.dll_dirs == ("python/qtlib", "python/qtlib/plugins/platforms")

    index_server.add_wheels(
        spec,
        WheelSpec(name="qtlib", version="6.5", tag=LINUX_TAG, console_scripts={"qt": "qtlib:X"}),
    )
    qtlib = _import(index_server, tmp_path, "qtlib")["qtlib"].definition
    assert qtlib.commands == (
        Action.append("PYTHONPATH", "{root}/python"),
        Action.append("PATH", "{root}/bin"),
        Action.append("PATH", "{root}/python/qtlib"),
        Action.append("PATH", "{root}/python/qtlib/plugins/platforms"),
    )


def test_pure_wheel_without_dlls_keeps_its_commands(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add_wheels(WheelSpec(name="plain", version="1.0"))
    plain = _import(index_server, tmp_path, "plain")["plain"].definition
    assert plain.commands == (Action.append("PYTHONPATH", "{root}/python"),)
    assert plain.variants == ()


def test_cp311_none_wheel_serves_only_python_311(index_server: IndexServer, tmp_path: Path) -> None:
    # usd-core (issue 12): cpXY-none is not abi3; Python 3.12 takes its own wheel and variant.
    index_server.add_wheels(
        WheelSpec(name="usd-core", version="24.8", tag="cp311-none-manylinux_2_17_x86_64"),
        WheelSpec(name="usd-core", version="24.8", tag="cp312-none-manylinux_2_17_x86_64"),
    )
    linux_312 = TargetPlatform.create(python="3.12", platform="linux", arch="x86_64")
    importer = PypiImporter(Index([index_server.url]), DownloadCache(tmp_path / "cache"))
    [package] = importer.plan(["usd-core"], [LINUX, linux_312], _EmptyRepository()).packages
    assert package.definition.variants == (
        ("platform-linux", "arch-x86_64", "python-3.11"),
        ("platform-linux", "arch-x86_64", "python-3.12"),
    )
    assert {str(t): f.filename for t, f in package.files.items()} == {
        str(LINUX): "usd_core-24.8-cp311-none-manylinux_2_17_x86_64.whl",
        str(linux_312): "usd_core-24.8-cp312-none-manylinux_2_17_x86_64.whl",
    }
