"""Per-architecture environments (issue 13, item 3): one ``commands()`` that branches per variant.

Scoop's ``oracle-instant-client19`` (Versions bucket) sets different variables per architecture.
rez has one ``commands()`` for all variants, so the steps the architectures share are written
once and the rest under ``if '<arch requirement>' in map(str, this.variant_requires):``. rez 3.4
and pkgimport's own environment builder must give each variant its own environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.definition import Action, Condition, PackageDefinition
from pkgimport.errors import InvalidPackageDefinition
from pkgimport.importers.scoop import ConvertOptions, convert_manifest, parse_manifest
from pkgimport.repository._merge import merge_package
from pkgimport.repository._package_py import render_package_py
from pkgimport.repository._reader import read_package_file
from tests.importers.scoop.commands_testlib import both_environs, rez_environ, write_package
from tests.importers.scoop.scoop_testlib import write_bind_packages, write_bucket

if TYPE_CHECKING:
    from pathlib import Path


def oracle_like() -> dict[str, Any]:
    """Shaped like Versions' oracle-instant-client19: per-architecture env_set and PATH."""
    return {
        "version": "19.28.0.0.0",
        "homepage": "https://www.oracle.com/database/technologies/instant-client.html",
        "license": "Freeware",
        "architecture": {
            "64bit": {
                "url": "https://download.oracle.com/x64/ic-basic-windows.x64.zip",
                "hash": "1" * 64,
                "extract_dir": "instantclient_19_28",
                "env_set": {"OCI_LIB64": "$dir", "ORACLE_ARCH": "x64"},
                "env_add_path": "bin64",
            },
            "32bit": {
                "url": "https://download.oracle.com/x86/ic-basic-nt.zip",
                "hash": "2" * 64,
                "extract_dir": "instantclient_19_28",
                "env_set": {"OCI_LIB32": "$dir", "ORACLE_ARCH": "x86"},
            },
        },
        "bin": "sqlplus.exe",
        "env_set": {"TNS_ADMIN": "$dir\\network\\admin"},
    }


def _convert(data: dict[str, Any], **options: Any) -> PackageDefinition:
    return convert_manifest(parse_manifest(data), ConvertOptions(app="oic19", **options)).definition


def test_shared_steps_once_then_one_branch_per_architecture() -> None:
    # GIVEN per-architecture env_set (env_set replaces the top-level one: arch_specific)
    # WHEN converted THEN the common PATH step is shared and the rest is per variant
    amd64, x86 = Condition.variant("arch-AMD64"), Condition.variant("arch-x86")
    assert _convert(oracle_like()).commands == (
        Action.prepend("PATH", "{root}/bin"),
        Action.prepend("PATH", "{root}/app/bin64", when=(amd64,)),
        Action.set("OCI_LIB64", "{root}/app", when=(amd64,)),
        Action.set("ORACLE_ARCH", "x64", when=(amd64,)),
        Action.set("OCI_LIB32", "{root}/app", when=(x86,)),
        Action.set("ORACLE_ARCH", "x86", when=(x86,)),
    )


def test_branches_render_as_if_blocks_that_read_back() -> None:
    definition = _convert(oracle_like())
    text = render_package_py(definition)
    assert (
        "def commands():\n"
        "    env.PATH.prepend('{root}/bin')\n"
        "    if 'arch-AMD64' in map(str, this.variant_requires):\n"
        "        env.PATH.prepend('{root}/app/bin64')\n"
        "        env.OCI_LIB64 = '{root}/app'\n"
        "        env.ORACLE_ARCH = 'x64'\n"
        "    if 'arch-x86' in map(str, this.variant_requires):\n"
        "        env.OCI_LIB32 = '{root}/app'\n"
        "        env.ORACLE_ARCH = 'x86'\n"
    ) in text
    assert render_package_py(definition) == text  # deterministic


def test_installed_package_merges_unchanged(tmp_path: Path) -> None:
    # The package read back from disk (commands() as source) equals the importer's structured
    # one, so adding a variant later changes nothing else.
    definition = _convert(oracle_like())
    path = write_package(tmp_path / "repo", definition)
    installed = read_package_file(path)
    assert "commands" in installed.functions
    merged = merge_package(installed, definition, now=1)
    assert merged.status == "unchanged"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("variant", "arch-AMD64'); import os; ('"),
        ("defined", "X; import os"),
        ("bogus", "X"),
    ],
)
def test_the_writer_checks_conditions_again(kind: str, value: str) -> None:
    # GIVEN a condition changed after its checks (the writer trusts no caller)
    condition = Condition.defined("X")
    object.__setattr__(condition, "kind", kind)
    object.__setattr__(condition, "value", value)
    definition = PackageDefinition(
        name="p", version="1", commands=(Action.set("X", "1", when=(condition,)),)
    )
    # THEN it is refused, never written as code
    with pytest.raises(InvalidPackageDefinition):
        render_package_py(definition)


def test_condition_values_are_checked_on_construction() -> None:
    with pytest.raises(InvalidPackageDefinition, match="invalid environment variable name"):
        Condition.undefined("A B")


def test_actions_with_conditions_round_trip_through_dicts() -> None:
    action = Action.set("X", "1", when=(Condition.variant("arch-x86"), Condition.defined("Y")))
    assert Action.from_dict(action.to_dict()) == action
    assert "when" not in Action.set("X", "1").to_dict()  # unconditioned: as before


@pytest.mark.parametrize(
    ("arch", "index", "wanted", "absent"),
    [
        ("AMD64", 0, {"ORACLE_ARCH": "x64", "OCI_LIB64": "{root}/app"}, "OCI_LIB32"),
        ("x86", 1, {"ORACLE_ARCH": "x86", "OCI_LIB32": "{root}/app"}, "OCI_LIB64"),
    ],
)
def test_each_variant_gets_its_environment_in_rez_and_pkgimport(
    tmp_path: Path, arch: str, index: int, wanted: dict[str, str], absent: str
) -> None:
    definition = _convert(oracle_like())
    repo = tmp_path / "repo"
    path = write_package(repo, definition)
    parent = {"PATH": "/usr/bin"}
    rez = rez_environ(repo, ["oic19", "platform==windows", f"arch=={arch}"], parent)
    assert f"oic19-19.28.0.0.0[{index}]" in rez["resolved"]  # type: ignore[operator]
    root = str(path.parent / "platform-windows" / f"arch-{arch}")
    expected = {k: v.replace("{root}", root) for k, v in wanted.items()}
    rez_env: dict[str, str] = rez["env"]  # type: ignore[assignment]
    assert {k: rez_env.get(k) for k in expected} == expected
    assert absent not in rez_env
    assert ("/app/bin64" in rez_env["PATH"]) == (arch == "AMD64")
    for env in both_environs(path, definition, index, root, parent):
        assert {k: env.get(k) for k in expected} == expected
        assert absent not in env
        assert (
            env["PATH"].split(":")[: 2 if arch == "AMD64" else 1]
            == rez_env["PATH"].split(":")[: 2 if arch == "AMD64" else 1]
        )


def test_importing_one_architecture_after_another_keeps_both_environments(
    tmp_path: Path,
) -> None:
    # GIVEN the manifest imported for 64bit, then for 32bit (a merge) THEN the commands()
    # written first is kept, and each variant still resolves to its own environment
    bucket = write_bucket(tmp_path / "bucket", {"oic19": oracle_like()})
    repo = tmp_path / "repo"
    write_bind_packages(repo)
    common = ["--bucket", f"main={bucket}", "--repo", str(repo), "--definition-only"]
    assert main(["scoop", "oic19", "--arch", "64bit", *common]) == 0
    path = repo / "oic19" / "19.28.0.0.0" / "package.py"
    first = path.read_text()
    assert main(["scoop", "oic19", "--arch", "32bit", *common]) == 0
    second = path.read_text()
    assert first.split("def commands():")[1].split("\n\n")[0] in second
    for arch, value in (("AMD64", "x64"), ("x86", "x86")):
        rez = rez_environ(repo, ["oic19", "platform==windows", f"arch=={arch}"], {"PATH": ""})
        assert rez["env"]["ORACLE_ARCH"] == value  # type: ignore[index]


def test_before_this_item_such_manifests_were_refused() -> None:
    # What the issue reported: "the environment differs between architectures" is gone.
    assert _convert(oracle_like(), archs=("64bit",)).commands == _convert(oracle_like()).commands
