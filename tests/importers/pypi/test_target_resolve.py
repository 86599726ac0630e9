"""PyPI imports for Windows, checked from Linux with ``pkgimport resolve --target``.

GIVEN a repository holding only the Windows variants of an import (``pkgimport pypi
--platform windows``: no ``platform``, ``arch``, ``os`` or ``python`` for Windows, since the
import binds only the host's) WHEN ``pkgimport resolve --target windows/AMD64/X.Y`` runs on
this Linux host THEN the Windows variants resolve, with synthetic ``platform``/``arch``/
``os``/``python`` packages, and rez 3.4 gives the same resolve when given the same implicit
packages and the synthetic packages as stub files.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from pkgimport.target import parse_target, target_implicits
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec
from tests.target_testing import rez_resolve, write_stub_repo

if TYPE_CHECKING:
    from pathlib import Path

PY = f"cp{sys.version_info.major}{sys.version_info.minor}"
PYVER = f"{sys.version_info.major}.{sys.version_info.minor}"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="the fixtures build linux x86_64 wheels for the host",
)


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    index_server.add_wheels(
        WheelSpec(
            name="Demo-App",
            version="2.0",
            requires=["fastlib>=1", 'colorama; platform_system == "Windows"'],
        ),
        WheelSpec(name="fastlib", version="1.0", tag=f"{PY}-{PY}-win_amd64"),
        WheelSpec(name="fastlib", version="1.0", tag=f"{PY}-{PY}-win32"),
        WheelSpec(name="colorama", version="0.4.6"),
    )
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def test_windows_variants_resolve_from_linux_like_rez(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rez_env: dict[str, str],
) -> None:
    repo = tmp_path / "repo"
    argv = ["pypi", "demo-app", "--repo", str(repo), "--platform", "windows", "--python", PYVER]
    assert main([*argv, "--arch", "AMD64", "--arch", "x86"]) == 0  # verified with --target's way
    assert not (repo / "platform").exists()
    assert not (repo / "python").exists()
    capsys.readouterr()
    for arch in ("AMD64", "x86"):
        target = parse_target(f"windows/{arch}/{PYVER}")
        stubs = write_stub_repo(target, tmp_path / f"stubs-{arch}")
        resolve = ["resolve", "--paths", str(repo), "--target", str(target), "--json"]
        assert main([*resolve, "demo_app"]) == 0
        ours = json.loads(capsys.readouterr().out)
        (theirs,) = rez_resolve([["demo_app"]], [repo, stubs], target_implicits(target), rez_env)
        assert theirs["status"] == "solved", theirs
        assert ours["resolved"] == theirs["resolved"]
        fastlib = next(v for v in ours["resolved"] if v.startswith("fastlib-"))
        assert fastlib == ("fastlib-1.0[0]" if arch == "AMD64" else "fastlib-1.0[1]")
        assert "colorama-0.4.6[]" in ours["resolved"]
        assert set(ours["synthetic"]) == {
            "platform-windows[]",
            f"arch-{arch}[]",
            f"os-{target.os}[]",
            f"python-{PYVER}[0]",
        }
