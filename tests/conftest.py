"""Shared test setup: hermetic environment, opt-in network tests, rez as the oracle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REZ_BIN = Path(sys.executable).parent
"""Where the test extra installed rez's command-line tools (same environment as pytest)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--network", action="store_true", help="run tests that need the live index")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--network"):
        return
    skip = pytest.mark.skip(reason="needs the live package index; pass --network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _hermetic_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the user's rez and pkgimport settings out of every test."""
    for name in list(os.environ):
        if name.startswith(("REZ_", "PKGIMPORT_")):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # rez reads its config from here; an empty file keeps rez on its defaults.
    rezconfig = home / "rezconfig.py"
    rezconfig.write_text("")
    monkeypatch.setenv("REZ_CONFIG_FILE", str(rezconfig))


@pytest.fixture
def rez_env(tmp_path: Path) -> dict[str, str]:
    """An environment for running rez's command-line tools as a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REZ_")}
    env["PATH"] = f"{REZ_BIN}{os.pathsep}{env.get('PATH', '')}"
    config = tmp_path / "rezconfig.py"
    config.write_text("")
    env["REZ_CONFIG_FILE"] = str(config)
    return env
