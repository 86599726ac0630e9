"""Shared test setup: hermetic environment, opt-in tests, rez as the oracle.

Opt-in, each with the reason it is skipped by default:

* ``--network``: tests marked ``network`` use the live package index.
* ``--slow``: tests marked ``slow`` run rez side by side for minutes (rez's 188-request
  benchmark, hundreds of random repositories); cheaper replays of them always run.
* ``--scoop-corpus=DIR`` (or ``$PKGIMPORT_SCOOP_CORPUS``): tests taking the ``scoop_corpus``
  fixture convert a whole Scoop bucket, which is not part of this repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REZ_BIN = Path(sys.executable).parent
"""Where the test extra installed rez's command-line tools (same environment as pytest)."""


SCOOP_CORPUS_ENV = "PKGIMPORT_SCOOP_CORPUS"
"""Environment variable naming a whole-bucket manifest folder (``--scoop-corpus``'s default)."""

_OPT_IN_MARKERS = {
    "network": "needs the live package index; pass --network",
    "slow": "a long side-by-side run with rez (a shorter one runs by default); pass --slow",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--network", action="store_true", help="run tests that need the live index")
    parser.addoption(
        "--slow", action="store_true", help="run the long side-by-side comparisons with rez"
    )
    # Read here, at start-up: the hermetic fixture below removes PKGIMPORT_* from every test.
    parser.addoption(
        "--scoop-corpus",
        metavar="DIR",
        default=os.environ.get(SCOOP_CORPUS_ENV) or None,
        help=f"a whole Scoop bucket's manifest folder for the corpus tests (default: "
        f"${SCOOP_CORPUS_ENV}), e.g. a checkout of ScoopInstaller/Main",
    )


def pytest_configure(config: pytest.Config) -> None:
    corpus = config.getoption("--scoop-corpus")
    # A corpus that was asked for but is missing is a mistake to report, not a reason to skip.
    if corpus and not Path(corpus).is_dir():
        msg = f"--scoop-corpus / ${SCOOP_CORPUS_ENV}: {corpus!r} is not a folder"
        raise pytest.UsageError(msg)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, reason in _OPT_IN_MARKERS.items():
        if config.getoption(f"--{marker}"):
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def scoop_corpus(pytestconfig: pytest.Config) -> Path:
    """The whole-bucket manifest folder given with ``--scoop-corpus``; skip the test without it.

    A bucket repository's root is accepted too: its ``bucket/`` sub-folder is used.
    """
    corpus = pytestconfig.getoption("--scoop-corpus")
    if not corpus:
        pytest.skip(
            f"whole-bucket corpus test: pass --scoop-corpus=DIR or set ${SCOOP_CORPUS_ENV} "
            "(CI uses ../shared/scoop/main); the fixture bucket is tested without it"
        )
    folder = Path(corpus).resolve()
    return folder / "bucket" if (folder / "bucket").is_dir() else folder


@pytest.fixture(scope="session")
def rez_benchmark_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rez's benchmark repository (18,226 literal package.py files shipped with rez 3.4).

    Extracted once per session; tests only read it. Returns its ``packages`` folder.
    """
    from tests.resolver._rez_benchmark import extract_packages  # noqa: PLC0415 - imports rez

    return extract_packages(tmp_path_factory.mktemp("rezbench"))


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
