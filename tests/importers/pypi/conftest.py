"""Fixtures for the PyPI importer: a scrubbed pip configuration and a loopback index."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.importers.pypi.pypi_testing import IndexServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(autouse=True)
def _no_pip_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep this machine's pip configuration (indexes, find-links) out of every test."""
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


@pytest.fixture
def index_server(tmp_path: Path) -> Iterator[IndexServer]:
    """An empty Simple API on 127.0.0.1; add wheels with ``add_wheels``."""
    server = IndexServer(tmp_path / "served")
    yield server
    server.close()
