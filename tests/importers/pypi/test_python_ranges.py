"""Issue 12, item 7: one import of a pure wheel with python markers serves every Python.

GIVEN a pure wheel requiring ``typing_extensions`` below Python 3.12 only, WHEN it is imported
for this machine, THEN its variants cover its whole ``Requires-Python`` range
(``[python-3.12+]``, ``[python-3.9+<3.12, typing_extensions-4.4+]``) with one payload
hard-linked into both, and rez 3.4 resolves each range; a range whose requirements nothing
here has is withheld (and said so), then added once they are imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11) or not sys.platform.startswith("linux"),
    reason="the expected ranges are written for a Python 3.11 Linux host",
)

JLAB = WheelSpec(
    name="jlab",
    version="4.2",
    requires=['typing-extensions>=4.4; python_version < "3.12"'],
    requires_python=">=3.9",
)


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    index_server.add_wheels(JLAB, WheelSpec(name="typing_extensions", version="4.12.2"))
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def _rez_resolve(rez_env: dict[str, str], repo: Path, *request: str) -> set[str]:
    env = {**rez_env, "REZ_PACKAGES_PATH": str(repo)}
    proc = subprocess.run(
        ["rez-env", *request, "--", "printenv", "REZ_USED_RESOLVE"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {p.rsplit("-", 1)[0] if p[0].isalpha() else p for p in proc.stdout.split()}


def test_pure_wheel_variants_cover_every_python(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], rez_env: dict[str, str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "jlab", "--repo", str(repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jlab = next(p for p in data["packages"] if p["name"] == "jlab")
    assert jlab["extra_variants"] == [["python-3.12+"]]
    text = (repo / "jlab" / "4.2" / "package.py").read_text()
    assert "['python-3.12+']" in text
    assert "['python-3.9+<3.12', 'typing_extensions-4.4+']" in text
    # One payload, hard-linked into each variant folder (hashed: '<' is no folder name).
    inits = sorted((repo / "jlab" / "4.2").glob("*/python/jlab/__init__.py"))
    assert len(inits) == 2
    assert inits[0].stat().st_ino == inits[1].stat().st_ino
    # rez picks the variant of each range; Python 3.12 needs no typing_extensions.
    (repo / "python" / "3.12.1").mkdir(parents=True)
    (repo / "python" / "3.12.1" / "package.py").write_text(
        "name = 'python'\nversion = '3.12.1'\n", encoding="utf-8"
    )
    on_312 = _rez_resolve(rez_env, repo, "jlab", "python-3.12")
    on_311 = _rez_resolve(rez_env, repo, "jlab", "python-3.11")
    assert "typing_extensions" not in " ".join(on_312)
    assert "typing_extensions" in " ".join(on_311)


def test_range_whose_requirements_are_missing_is_withheld_then_added(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index_server.add_wheels(
        WheelSpec(
            name="newer",
            version="1.0",
            requires=['futurelib>=2; python_version >= "3.12"'],
            requires_python=">=3.9",
        ),
        WheelSpec(name="futurelib", version="2.1"),
    )
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    repo = tmp_path / "repo"
    assert main(["pypi", "newer", "--repo", str(repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    newer = next(p for p in data["packages"] if p["name"] == "newer")
    assert newer["withheld_variants"] == [
        {"variant": ["python-3.12+", "futurelib-2+"], "missing": ["futurelib-2+"]}
    ]
    assert any("no variant ['python-3.12+', 'futurelib-2+'] yet" in n for n in data["notes"])
    text = (repo / "newer" / "1.0" / "package.py").read_text()
    assert "futurelib" not in text
    assert not (repo / "futurelib").exists()
    # Once futurelib is in the repository, importing again adds the withheld range.
    assert main(["pypi", "futurelib", "--repo", str(repo), "--json"]) == 0
    assert main(["pypi", "newer", "--repo", str(repo), "--json"]) == 0
    capsys.readouterr()
    text = (repo / "newer" / "1.0" / "package.py").read_text()
    assert "['python-3.12+', 'futurelib-2+']" in text
    assert "['python-3.9+<3.12']" in text
