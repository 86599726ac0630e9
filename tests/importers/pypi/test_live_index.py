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
