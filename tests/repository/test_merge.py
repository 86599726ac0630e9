"""Installing and merging variants: pure merge rules, then real repositories checked with rez."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pkgimport.definition import Action, ImportedPackage, PackageDefinition
from pkgimport.errors import RepositoryError
from pkgimport.repository._merge import merge_package
from pkgimport.repository.filesystem import (
    FilesystemRepository,
    RepositoryPaths,
    canonical_requirement,
    variant_subpath,
)

D = PackageDefinition

# Every variant of every package rez sees in the given paths: index, root, requires.
_REZ_VARIANTS = r"""
import json, sys
from rez.packages import iter_package_families, iter_packages
paths = sys.argv[1].split("|")
out = {}
for family in sorted({f.name for f in iter_package_families(paths=paths)}):
    for package in iter_packages(family, paths=paths):
        key = "%s-%s" % (package.name, package.version)
        out[key] = {
            "location": package.resource.location,
            "variants": [
                [v.index, v.root, [str(r) for r in v.variant_requires]]
                for v in package.iter_variants()
            ],
        }
json.dump(out, sys.stdout)
"""


def rez_variants(paths: list[Path], env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_VARIANTS, "|".join(map(str, paths))],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def our_variants(paths: list[Path]) -> dict[str, Any]:
    repos = RepositoryPaths.from_paths(paths, index_file=None)
    out: dict[str, Any] = {}
    for record in repos.iter_all_records():
        indices: list[int | None] = (
            [None] if record.variants is None else list(range(len(record.variants)))
        )
        out[record.qualified_name] = {
            "location": record.location,
            "variants": [
                [
                    i,
                    str(repos.variant_root(record, i)),
                    []
                    if i is None or record.variants is None
                    else [canonical_requirement(r) for r in record.variants[i]],
                ]
                for i in indices
            ],
        }
    return out


def payload(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "payloads" / name
    (folder / "bin").mkdir(parents=True)
    tool = folder / "bin" / f"{name}-tool"
    tool.write_text(f"#!/bin/sh\necho {name}\n")
    tool.chmod(0o755)
    return folder


def install(repo: FilesystemRepository, *packages: ImportedPackage) -> None:
    with repo.transaction() as txn:
        for package in packages:
            txn.add(package)
        txn.commit()


# -- pure merge rules -------------------------------------------------------------------------


def test_new_package_gets_a_timestamp_and_indices_in_order() -> None:
    result = merge_package(None, D(name="foo", version="1", variants=(("a",), ("b",))), now=42)
    assert result.status == "created"
    assert result.indices == (0, 1)
    assert result.definition.timestamp == 42


def test_same_variant_keeps_its_index_and_nothing_changes() -> None:
    installed = D(name="foo", version="1", variants=(("python-3.10",),), timestamp=5)
    result = merge_package(
        installed, D(name="foo", version="1", variants=(("python-3.10",),)), now=9
    )
    assert result.status == "unchanged"
    assert result.indices == (0,)
    assert result.definition == installed


def test_equal_variants_compare_as_rez_requirements() -> None:
    # rez compares Requirement objects: "foo>=1" and "foo-1+" are the same requirement.
    installed = D(name="foo", version="1", variants=(("bar-1+",),), timestamp=5)
    result = merge_package(installed, D(name="foo", version="1", variants=(("bar>=1",),)), now=9)
    assert result.indices == (0,)
    assert result.definition.variants == (("bar-1+",),)


def test_new_variant_is_appended_and_timestamp_kept() -> None:
    installed = D(name="foo", version="1", variants=(("python-3.10",),), timestamp=5)
    new = D(name="foo", version="1", variants=(("python-3.11",), ("python-3.10",)), timestamp=7)
    result = merge_package(installed, new, now=9)
    assert result.status == "merged"
    assert result.indices == (1, 0)
    assert result.new_indices == frozenset({0})
    assert result.definition.variants == (("python-3.10",), ("python-3.11",))
    assert result.definition.timestamp == 5


def test_changed_package_data_is_grafted_but_release_data_kept() -> None:
    installed = D(
        name="foo",
        version="1",
        description="old",
        variants=(("a",),),
        timestamp=5,
        extra={"revision": "abc", "custom": 1},
    )
    new = D(name="foo", version="1", description="new", variants=(("b",),), extra={"custom": 2})
    merged = merge_package(installed, new, now=9).definition
    assert merged.description == "new"
    assert merged.variants == (("a",), ("b",))
    assert merged.timestamp == 5
    assert dict(merged.extra) == {"custom": 2, "revision": "abc"}


@pytest.mark.parametrize(
    ("installed_variants", "new_variants", "message"),
    [
        ((), (("a",),), "cannot add variants to foo-1: the installed package has no variants"),
        ((("a",),), (), "cannot add foo-1 without variants: the installed package has variants"),
    ],
)
def test_variants_and_no_variants_never_mix(
    installed_variants: tuple[tuple[str, ...], ...],
    new_variants: tuple[tuple[str, ...], ...],
    message: str,
) -> None:
    installed = D(name="foo", version="1", variants=installed_variants)
    with pytest.raises(RepositoryError) as info:
        merge_package(installed, D(name="foo", version="1", variants=new_variants), now=1)
    assert str(info.value) == message
    assert info.value.hint


def test_uuid_and_hashed_variants_mismatch_are_refused() -> None:
    installed = D(name="foo", version="1", variants=(("a",),), extra={"uuid": "x"})
    with pytest.raises(RepositoryError, match="uuid mismatch"):
        merge_package(installed, installed.evolve(extra={"uuid": "y"}), now=1)
    with pytest.raises(RepositoryError, match="hashed_variants differs"):
        merge_package(installed, installed.evolve(hashed_variants=True, extra={}), now=1)


def test_unportable_variant_folders_make_a_new_package_hashed() -> None:
    new = D(name="foo", version="1", variants=(("python-3.8+<3.12",),))
    assert merge_package(None, new, now=1).definition.hashed_variants
    # An installed package keeps its setting (rez would create that folder too).
    installed = D(name="foo", version="1", variants=(("a",),))
    assert not merge_package(installed, new, now=1).definition.hashed_variants


def test_variant_subpath_is_rez_safe_str_or_sha1() -> None:
    assert (
        variant_subpath(["python-3.7"], hashed=True) == "88a70aca30cb79a278872594adf043dc6c40af99"
    )
    assert variant_subpath(["foo>=1", "~bar"], hashed=False) == "foo-1+/~bar"


# -- real repositories, checked with rez --------------------------------------------------------


def test_merged_and_hashed_variants_load_in_rez_with_same_indices_and_roots(
    tmp_path: Path, rez_env: dict[str, str]
) -> None:
    repo_dir = tmp_path / "repo"
    repo = FilesystemRepository(repo_dir, index_file=None)
    cmd = (Action.prepend("PATH", "{root}/bin"),)
    install(
        repo,
        ImportedPackage(
            definition=D(name="foo", version="1.0", variants=(("python-3.10",),), commands=cmd),
            payloads={0: payload(tmp_path, "a")},
        ),
        ImportedPackage(definition=D(name="bar", version="2", requires=("foo",))),
    )
    # A second import: one variant already there, two new ones (appended in order).
    install(
        repo,
        ImportedPackage(
            definition=D(
                name="foo",
                version="1.0",
                variants=(("python-3.11", "platform-linux"), ("python-3.10",), ("python>=3.12",)),
                commands=cmd,
            ),
            payloads={
                0: payload(tmp_path, "b"),
                1: payload(tmp_path, "c"),
                2: payload(tmp_path, "d"),
            },
        ),
        ImportedPackage(
            definition=D(
                name="hashy",
                version="0.1",
                hashed_variants=True,
                variants=(("python-3.7",), ("python-3.8|3.9",)),
            ),
            payloads={1: payload(tmp_path, "e")},
        ),
        ImportedPackage(
            definition=D(name="ranged", version="1", variants=(("python-3.8+<3.12",),)),
            payloads={0: payload(tmp_path, "f")},
        ),
    )
    ours = our_variants([repo_dir])
    assert ours == rez_variants([repo_dir], rez_env)
    foo = ours["foo-1.0"]["variants"]
    assert [v[2] for v in foo] == [
        ["python-3.10"],
        ["python-3.11", "platform-linux"],
        ["python-3.12+"],
    ]
    # The already-installed variant kept its payload; new ones got theirs.
    assert (Path(foo[0][1]) / "bin" / "a-tool").is_file()
    assert (Path(foo[1][1]) / "bin" / "b-tool").is_file()
    assert (Path(foo[2][1]) / "bin" / "d-tool").is_file()
    hashed_root = Path(ours["hashy-0.1"]["variants"][1][1])
    assert (hashed_root / "bin" / "e-tool").is_file()
    assert len(hashed_root.name) == 40
    # "<" is no folder name on Windows: a new package with it gets hashed variants.
    ranged_root = Path(ours["ranged-1"]["variants"][0][1])
    assert ranged_root.parent == repo_dir / "ranged" / "1"
    assert len(ranged_root.name) == 40
    assert (ranged_root / "bin" / "f-tool").is_file()


def test_rez_env_runs_a_merged_variant_payload(tmp_path: Path, rez_env: dict[str, str]) -> None:
    repo_dir = tmp_path / "repo"
    repo = FilesystemRepository(repo_dir, index_file=None)
    cmd = (Action.prepend("PATH", "{root}/bin"),)
    for index, name in enumerate(("linux", "other")):
        install(
            repo,
            ImportedPackage(
                definition=D(name=f"plat{index}", version="1"),
            ),
            ImportedPackage(
                definition=D(
                    name="tool", version="1.0", variants=((f"plat{index}",),), commands=cmd
                ),
                payloads={0: payload(tmp_path, name)},
            ),
        )
    env = {**rez_env, "REZ_PACKAGES_PATH": str(repo_dir)}
    proc = subprocess.run(
        ["rez-env", "tool", "plat1", "--", "other-tool"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "other"


def test_multi_path_precedence_matches_rez(tmp_path: Path, rez_env: dict[str, str]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    install(
        FilesystemRepository(first, index_file=None),
        ImportedPackage(definition=D(name="foo", version="1.0", requires=("a",))),
        ImportedPackage(definition=D(name="foo", version="3")),
    )
    install(
        FilesystemRepository(second, index_file=None),
        ImportedPackage(definition=D(name="foo", version="1.0", requires=("b",))),
        ImportedPackage(definition=D(name="foo", version="2")),
        ImportedPackage(definition=D(name="other", version="1")),
    )
    # rez treats "1-0" and "1.0" as the same version: the first one met wins.
    (second / "foo" / "1-0").mkdir()
    (second / "foo" / "1-0" / "package.py").write_text("name = 'foo'\nversion = '1-0'\n")
    ours = our_variants([first, second])
    theirs = rez_variants([first, second], rez_env)
    assert {k: v["location"] for k, v in ours.items()} == {
        k: v["location"] for k, v in theirs.items()
    }
    assert ours["foo-1.0"]["location"] == str(first)
    assert "foo-1-0" not in ours
    paths = RepositoryPaths.from_paths([first, second], index_file=None)
    record = paths.get_record("foo", "1.0")
    assert record is not None
    assert record.requires == ("a",)
    assert paths.load("foo", "2").version == "2"


def test_existing_package_yaml_is_replaced_by_package_py(
    tmp_path: Path, rez_env: dict[str, str]
) -> None:
    repo_dir = tmp_path / "repo"
    (repo_dir / "foo" / "1").mkdir(parents=True)
    (repo_dir / "foo" / "1" / "package.yaml").write_text(
        "name: foo\nversion: '1'\nvariants:\n- [python-3.10]\ntimestamp: 100\n"
    )
    install(
        FilesystemRepository(repo_dir, index_file=None),
        ImportedPackage(definition=D(name="foo", version="1", variants=(("python-3.11",),))),
    )
    assert sorted(p.name for p in (repo_dir / "foo" / "1").iterdir()) == ["package.py"]
    theirs = rez_variants([repo_dir], rez_env)["foo-1"]["variants"]
    assert [v[2] for v in theirs] == [["python-3.10"], ["python-3.11"]]
    record = FilesystemRepository(repo_dir, index_file=None).get_record("foo", "1")
    assert record is not None
    assert record.timestamp == 100
