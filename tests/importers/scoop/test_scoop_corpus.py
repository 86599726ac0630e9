"""Every manifest of ScoopInstaller/Main converts (rez 3.4 loads the result) or is refused.

Definition-only conversion must never touch the network: sockets are disabled here.
The table printed at the end is the one the issue asks for.
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
from tests.importers.scoop.scoop_testlib import CORPUS, rez_load

if TYPE_CHECKING:
    from pathlib import Path

    from pkgimport.definition import PackageDefinition

MANIFESTS = sorted(CORPUS.glob("*.json"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("definition-only conversion tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _convert_corpus(
    *, skip_scripts: bool
) -> tuple[dict[str, PackageDefinition], collections.Counter[str], dict[str, list[str]]]:
    recipes = RecipeBook.bundled()
    converted: dict[str, PackageDefinition] = {}
    table: collections.Counter[str] = collections.Counter()
    refused: dict[str, list[str]] = collections.defaultdict(list)
    for path in MANIFESTS:
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
            table[f"refused: {exc.reason}"] += 1
            refused[exc.reason].append(str(exc))
            continue
        if conv.skipped_hooks:
            table["converted with skipped scripts"] += 1
        elif conv.replaced_hooks:
            table["converted fully (scripts replaced by a recipe)"] += 1
        else:
            table["converted fully"] += 1
        converted[conv.definition.name] = conv.definition
    return converted, table, refused


def _print_table(
    title: str, table: collections.Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print(f"\n{title} ({len(MANIFESTS)} manifests)")
        for key, count in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {key:<52} {count:>5}  {100 * count / len(MANIFESTS):5.1f}%")


def test_corpus_is_complete() -> None:
    assert len(MANIFESTS) == 1633


@pytest.mark.usefixtures("no_network")
def test_every_manifest_converts_or_is_refused_for_scripts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Default options: the only refusals are install scripts and installer programs."""
    converted, table, refused = _convert_corpus(skip_scripts=False)
    _print_table("Scoop Main, default options (payload import)", table, capsys)
    assert set(refused) <= {"scripts", "installer program"}, dict(refused)
    # At least 80% import with their payload, without running any script.
    assert len(converted) >= 0.8 * len(MANIFESTS)


@pytest.mark.usefixtures("no_network")
def test_every_converted_definition_loads_in_rez(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--skip-scripts --definition-only: all handled, and rez 3.4 loads every package.py."""
    converted, table, refused = _convert_corpus(skip_scripts=True)
    _print_table("Scoop Main, --skip-scripts --definition-only", table, capsys)
    assert sum(len(v) for v in refused.values()) == 0, dict(refused)
    # Every skipped hook is an install hook pkgimport names.
    for definition in converted.values():
        for hook in definition.metadata["scoop"].get("skipped_scripts", []):  # type: ignore[attr-defined]
            assert hook.rsplit(".", 1)[-1] in INSTALL_HOOKS
    for definition in converted.values():
        folder = tmp_path / definition.name / definition.version
        folder.mkdir(parents=True)
        (folder / "package.py").write_text(render_package_py(definition), encoding="utf-8")

    loaded = rez_load(tmp_path, sorted(converted))["packages"]
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
