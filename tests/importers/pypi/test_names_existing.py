"""Issue 12, item 6: a project that already has a family (rez-pip's ``PyYAML``) keeps it.

GIVEN a studio repository with rez-pip's ``PyYAML`` family and a native package requiring it,
WHEN a project requiring ``pyyaml`` is imported, THEN no second family ``pyyaml`` appears, the
requirement is spelled ``PyYAML``, and the plan says so. ``--naming rez-pip`` spells new
families as rez-pip does (METADATA ``Name``, ``-`` as ``_``).
"""

from __future__ import annotations

import doctest
import json
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from pkgimport.importers.pypi import _names
from pkgimport.importers.pypi._names import FamilyNames, family_name
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec

if TYPE_CHECKING:
    from pathlib import Path


def _write(repo: Path, family: str, version: str, body: str) -> None:
    folder = repo / family / version
    folder.mkdir(parents=True)
    (folder / "package.py").write_text(
        f"name = {family!r}\nversion = {version!r}\n{body}", encoding="utf-8"
    )


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    index_server.add_wheels(
        WheelSpec(name="PyYAML", version="6.0.1", modules={"yaml/__init__.py": "X = 1\n"}),
        WheelSpec(name="yamlconf", version="1.0", requires=["pyyaml>=6"]),
        WheelSpec(name="Flask-Things", version="2.0", requires=["PYYAML>=6", "zope.interface"]),
        WheelSpec(
            name="zope.interface", version="6.0", modules={"zope/interface/__init__.py": "X=1\n"}
        ),
    )
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def _studio(root: Path) -> Path:
    # rez-pip made PyYAML (no pkgimport provenance); a native package requires it.
    _write(root, "PyYAML", "6.0.1", "requires = ['python']\n")
    _write(root, "native_tool", "3.0", "requires = ['PyYAML-6']\n")
    return root


def _families(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}


def test_existing_family_spelling_is_reused_for_family_and_requirements(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _studio(tmp_path / "repo")
    assert main(["pypi", "yamlconf", "--repo", str(repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "pyyaml" not in _families(repo)
    assert {p["name"]: p["status"] for p in data["packages"]} == {
        "PyYAML": "reused",
        "yamlconf": "new",
    }
    assert "'PyYAML-6+'" in (repo / "yamlconf" / "1.0" / "package.py").read_text()
    assert any("family 'PyYAML' as in" in note for note in data["notes"])


def test_spelling_found_on_paths_is_written_to_the_repo(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    studio = _studio(tmp_path / "studio")
    repo = tmp_path / "repo"
    paths = f"{repo}:{studio}"
    assert main(["pypi", "yamlconf", "--repo", str(repo), "--paths", paths, "--json"]) == 0
    capsys.readouterr()
    # The PyYAML this import needs joins the studio's family, never a family of its own.
    assert _families(repo) >= {"PyYAML", "yamlconf"}
    assert "pyyaml" not in _families(repo)
    assert "'PyYAML-6+'" in (repo / "yamlconf" / "1.0" / "package.py").read_text()


def test_rez_pip_naming_keeps_metadata_names_for_families_and_requirements(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    code = main(["pypi", "flask-things", "--repo", str(repo), "--naming", "rez-pip", "--json"])
    assert code == 0
    capsys.readouterr()
    assert _families(repo) >= {"Flask_Things", "PyYAML", "zope.interface"}
    package_py = (repo / "Flask_Things" / "2.0" / "package.py").read_text()
    # Requirements name the project as its own METADATA does ('PYYAML>=6' → 'PyYAML-6+').
    assert "'PyYAML-6+'" in package_py
    assert "'zope.interface'" in package_py


def test_several_spellings_already_there_are_reported_and_the_first_wins() -> None:
    names = FamilyNames.from_families([("pyyaml", "/repo"), ("PyYAML", "/studio")])
    assert family_name("PyYAML", names) == "pyyaml"
    assert names.conflicts == {"pyyaml": ("pyyaml", "PyYAML")}
    assert family_name("Zope.Interface", FamilyNames(naming="rez-pip")) == "Zope.Interface"


def test_doctests() -> None:
    assert doctest.testmod(_names).failed == 0
