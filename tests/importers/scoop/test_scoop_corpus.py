"""Every manifest of a bucket converts (rez 3.4 loads the result) or is refused.

Always over the fixture bucket (``fixtures/scoop/main``), with each manifest's expected outcome;
over a whole bucket (ScoopInstaller/Main) when one is given with ``--scoop-corpus=DIR``.
Definition-only conversion must never touch the network: sockets are disabled here.
The tables printed for a whole bucket are the ones the issue asks for.
"""

from __future__ import annotations

import collections
import socket
from typing import TYPE_CHECKING

import pytest

from pkgimport.importers.scoop import (
    ConvertOptions,
    ManifestRefused,
    convert_manifest,
    parse_manifest,
)
from pkgimport.importers.scoop._manifest import INSTALL_HOOKS
from pkgimport.importers.scoop._recipes import RecipeBook
from pkgimport.repository._package_py import render_package_py
from tests.importers.scoop.scoop_testlib import BUCKET, rez_load

if TYPE_CHECKING:
    from pathlib import Path

    from pkgimport.definition import PackageDefinition

FULLY = "converted fully"
SKIPPED = "converted with skipped scripts"
RECIPE = "converted fully (scripts replaced by a recipe)"
DATA = "converted fully (scripts read as data)"
SCRIPTS = "refused: scripts"
PROGRAM = "refused: installer program"

FIXTURE_OUTCOMES: dict[str, tuple[str, str]] = {
    # app: (default options, --skip-scripts)
    "7zip": (SCRIPTS, SKIPPED),
    "awsSts": (FULLY, FULLY),
    "curl": (FULLY, FULLY),
    "fio": (FULLY, FULLY),
    "git": (SCRIPTS, SKIPPED),
    "groovyserv": (PROGRAM, SKIPPED),
    "gtypist": (FULLY, FULLY),
    "oh-my-posh": (FULLY, FULLY),
    "python": (RECIPE, RECIPE),
    "ripgrep": (FULLY, FULLY),
    "units": (FULLY, FULLY),
}
"""What each fixture manifest must give; between them they hold every outcome."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("definition-only conversion tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _convert_folder(
    manifests: list[Path], *, skip_scripts: bool
) -> tuple[dict[str, PackageDefinition], dict[str, str], dict[str, list[str]]]:
    """Convert every manifest: ``(definitions by name, outcome by app, refusals by reason)``."""
    recipes = RecipeBook.bundled()
    converted: dict[str, PackageDefinition] = {}
    outcomes: dict[str, str] = {}
    refused: dict[str, list[str]] = collections.defaultdict(list)
    for path in manifests:
        try:
            manifest = parse_manifest(path.read_bytes())
            recipe = recipes.find(path.stem, manifest)
            conv = convert_manifest(
                manifest,
                ConvertOptions(
                    app=path.stem,
                    bucket="main",
                    skip_scripts=skip_scripts,
                    recipe=recipe.name if recipe else "",
                    recipe_hooks=recipe.replaces if recipe else frozenset(),
                ),
            )
        except ManifestRefused as exc:
            outcomes[path.stem] = f"refused: {exc.reason}"
            refused[exc.reason].append(str(exc))
            continue
        if conv.skipped_hooks:
            outcomes[path.stem] = SKIPPED
        elif conv.replaced_hooks:
            outcomes[path.stem] = RECIPE
        elif conv.data_hooks:
            outcomes[path.stem] = DATA
        else:
            outcomes[path.stem] = FULLY
        converted[conv.definition.name] = conv.definition
    return converted, outcomes, refused


def _assert_rez_loads(converted: dict[str, PackageDefinition], repo: Path) -> None:
    """Write every definition's package.py into *repo*; rez 3.4 must read each back the same."""
    for definition in converted.values():
        for hook in definition.metadata["scoop"].get("skipped_scripts", []):  # type: ignore[attr-defined]
            # Every skipped hook is an install hook pkgimport names.
            assert hook.rsplit(".", 1)[-1] in INSTALL_HOOKS, (definition.name, hook)
        folder = repo / definition.name / definition.version
        folder.mkdir(parents=True)
        (folder / "package.py").write_text(render_package_py(definition), encoding="utf-8")
    loaded = rez_load(repo, sorted(converted))["packages"]
    mismatches = []
    for name, definition in converted.items():
        want = {
            "version": definition.version,
            "variants": [list(v) for v in definition.variants],
            "tools": list(definition.tools),
            "requires": list(definition.requires),
        }
        if loaded.get(name) != want:
            mismatches.append((name, loaded.get(name), want))
    assert not mismatches, mismatches[:5]


def _print_table(title: str, outcomes: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    table = collections.Counter(outcomes.values())
    with capsys.disabled():
        print(f"\n{title} ({len(outcomes)} manifests)")
        for key, count in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {key:<52} {count:>5}  {100 * count / len(outcomes):5.1f}%")


# -- the fixture bucket (always) -----------------------------------------------------------------


def test_fixture_bucket_holds_the_listed_manifests() -> None:
    assert sorted(p.stem for p in BUCKET.glob("*.json")) == sorted(FIXTURE_OUTCOMES)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(("skip_scripts", "column"), [(False, 0), (True, 1)])
def test_every_fixture_manifest_has_its_outcome_and_loads_in_rez(
    tmp_path: Path, skip_scripts: bool, column: int
) -> None:
    converted, outcomes, _ = _convert_folder(
        sorted(BUCKET.glob("*.json")), skip_scripts=skip_scripts
    )
    assert outcomes == {app: both[column] for app, both in FIXTURE_OUTCOMES.items()}
    _assert_rez_loads(converted, tmp_path)


# -- a whole bucket (--scoop-corpus=DIR) ---------------------------------------------------------


def test_corpus_is_a_whole_bucket(scoop_corpus: Path) -> None:
    # ScoopInstaller/Main has held well over 1,000 manifests for years (1,633 at 5ce3ffd, the
    # commit in ../shared/scoop/main); fewer means the option names the wrong folder.
    assert len(list(scoop_corpus.glob("*.json"))) >= 1000, scoop_corpus


@pytest.mark.usefixtures("no_network")
def test_every_manifest_converts_or_is_refused_for_scripts(
    scoop_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Default options: the only refusals are install scripts and installer programs."""
    manifests = sorted(scoop_corpus.glob("*.json"))
    converted, outcomes, refused = _convert_folder(manifests, skip_scripts=False)
    _print_table(f"{scoop_corpus}, default options (payload import)", outcomes, capsys)
    assert set(refused) <= {"scripts", "installer program"}, dict(refused)
    # At least 80% import with their payload, without running any script.
    assert len(converted) >= 0.8 * len(manifests)


@pytest.mark.usefixtures("no_network")
def test_every_converted_definition_loads_in_rez(
    scoop_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--skip-scripts --definition-only: all handled, and rez 3.4 loads every package.py."""
    converted, outcomes, refused = _convert_folder(
        sorted(scoop_corpus.glob("*.json")), skip_scripts=True
    )
    _print_table(f"{scoop_corpus}, --skip-scripts --definition-only", outcomes, capsys)
    assert sum(len(v) for v in refused.values()) == 0, dict(refused)
    _assert_rez_loads(converted, tmp_path)
