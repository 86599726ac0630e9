"""Opt-in (--network): import real projects from the user's configured index, run them."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def _users_pip_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # The package conftest hides the machine's pip configuration; this test wants it back.
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)


@pytest.mark.network
@pytest.mark.usefixtures("_users_pip_config")
def test_sqlalchemy_and_friends_from_the_live_index(
    tmp_path: Path, rez_env: dict[str, str]
) -> None:
    repo = tmp_path / "repo"
    projects = ["sqlalchemy", "click", "pyyaml", "cryptography", "zope.interface", "docopt"]
    assert main(["pypi", *projects, "--repo", str(repo)]) == 0
    env = {**rez_env, "REZ_PACKAGES_PATH": str(repo)}
    code = "import sqlalchemy, click, yaml, cryptography.fernet, zope.interface, docopt"
    families = ["sqlalchemy", "click", "pyyaml", "cryptography", "zope_interface", "docopt"]
    proc = subprocess.run(
        ["rez-env", *families, "--", "python", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # Windows variants from the same Linux host, without touching the Linux ones.
    assert (
        main(
            [
                "pypi",
                "sqlalchemy",
                "click",
                "--repo",
                str(repo),
                "--platform",
                "windows",
                "--arch",
                "AMD64",
                "--python",
                "3.11",
            ]
        )
        == 0
    )
    proc = subprocess.run(
        ["rez-env", "sqlalchemy", "--", "python", "-c", "import sqlalchemy"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.network
@pytest.mark.usefixtures("_users_pip_config")
def test_pyside6_essentials_and_qt_py_from_the_live_index(
    tmp_path: Path, rez_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 12: PySide6-Essentials' wheels list __pycache__ files in RECORD; Qt.py sits on top.
    repo = tmp_path / "repo"
    assert main(["pypi", "PySide6-Essentials", "Qt.py", "--repo", str(repo)]) == 0, (
        capsys.readouterr().err
    )
    code = "from PySide6 import QtCore; import Qt; print(QtCore.qVersion(), Qt.__binding__)"
    families = sorted(
        p.name for p in repo.iterdir() if p.name.lower().startswith(("pyside6", "qt"))
    )
    offscreen = {"QT_QPA_PLATFORM": "offscreen"}
    ours = subprocess.run(
        ["pkgimport", "env", *families, "--paths", str(repo), "--", "python", "-c", code],
        env={**rez_env, **offscreen},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ours.returncode == 0, ours.stderr
    assert "PySide6" in ours.stdout
    theirs = subprocess.run(
        ["rez-env", *families, "--", "python", "-c", code],
        env={**rez_env, **offscreen, "REZ_PACKAGES_PATH": str(repo)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == ours.stdout
