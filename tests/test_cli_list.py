"""``pkgimport list``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def write_package(repo: Path, name: str, version: str, body: str = "") -> None:
    folder = repo / name / version
    folder.mkdir(parents=True)
    (folder / "package.py").write_text(f"name = {name!r}\nversion = {version!r}\n{body}")


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "a", tmp_path / "b"
    write_package(
        first,
        "foo",
        "1.10",
        "timestamp = 1700000000\nvariants = [['python-3.10'], ['python-3.11']]\n",
    )
    write_package(first, "foo", "1.9", "requires = ['bar']\n")
    write_package(second, "foo", "1.9", "requires = ['shadowed']\n")
    write_package(second, "bar", "2")
    write_package(second, "broken", "1", "requires = [\n")
    return first, second


def test_list_families_as_json(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = f"{repos[0]}:{repos[1]}"
    assert main(["list", "--paths", paths, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "families": [
            {"name": "bar", "versions": ["2"]},
            {"name": "broken", "versions": []},
            {"name": "foo", "versions": ["1.9", "1.10"]},
        ]
    }
    assert "broken/1/package.py" in captured.err


def test_list_one_family_as_json(
    repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "foo", "--paths", str(repos[0]), "--paths", str(repos[1]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "foo"
    assert [(p["version"], p["requires"], p["variants"]) for p in data["packages"]] == [
        ("1.9", ["bar"], None),
        ("1.10", [], [["python-3.10"], ["python-3.11"]]),
    ]
    assert data["packages"][0]["location"] == str(repos[0])


def test_list_table(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "foo", "--paths", str(repos[0])]) == 0
    out = capsys.readouterr().out
    assert "python-3.11" in out
    assert "2023-11-14" in out
    assert main(["list", "--paths", str(repos[0])]) == 0
    assert "foo" in capsys.readouterr().out


def test_list_unknown_family(repos: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "nope", "--paths", str(repos[0])]) == 1
    err = capsys.readouterr().err
    assert "no family 'nope'" in err
    assert "hint:" in err
