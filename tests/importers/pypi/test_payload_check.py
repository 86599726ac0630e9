"""Issue 12, item 8: the import of a host target is checked to work, not only to resolve.

GIVEN wheels whose payload is broken in ways a resolve cannot see (a module importing what
only the bound interpreter's site-packages has, a console script pointing nowhere), WHEN they
are imported, THEN nothing is written and the error names the module or script; ``--no-check``
imports them anyway. A module found outside its package's root is refused; ``bind python``
says when the interpreter brings its own site-packages.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from pkgimport._cli._payload_check import _check_imports, _Member, top_level_modules
from pkgimport.cli import main
from pkgimport.errors import PkgImportError
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    index_server.add_wheels(
        # 'rich' is one of pkgimport's own dependencies: in the bound venv, not in the repo.
        WheelSpec(
            name="leaky", version="1.0", modules={"leaky/__init__.py": "import rich\nX = 1\n"}
        ),
        WheelSpec(
            name="holey", version="1.0", modules={"holey/__init__.py": "from . import gone\n"}
        ),
        WheelSpec(name="badtool", version="1.0", console_scripts={"badtool": "badtool:nowhere"}),
        WheelSpec(name="goodtool", version="1.0", console_scripts={"goodtool": "goodtool:main"}),
        # Refuses to import without a binding the user picks (Qt.py without PySide6).
        WheelSpec(
            name="pickone",
            version="1.0",
            modules={"pickone/__init__.py": "raise ImportError('No Qt binding were found.')\n"},
        ),
        # Loads, then fails on its own terms (PySide6's pyside6-balsam needs PySide6-Addons).
        WheelSpec(
            name="oddtool",
            version="1.0",
            modules={
                "oddtool/__init__.py": "def main():\n    open('/nonexistent/balsam')\n",
            },
            console_scripts={"oddtool": "oddtool:main"},
        ),
        # A script needing an extra that was not asked for (black's blackd without '[d]').
        WheelSpec(
            name="extratool",
            version="1.0",
            modules={
                "extratool/__init__.py": "def main():\n    import aiohttp_nowhere\n",
            },
            console_scripts={"extratool": "extratool:main"},
        ),
    )
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def _families(root: Path) -> set[str]:
    if not root.exists():
        return set()
    return {p.name for p in root.iterdir() if not p.name.startswith(".")}


def test_module_importable_only_from_site_packages_is_a_warning(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 'rich' is in the bound interpreter's site-packages, which the check leaves out (-S):
    # an undeclared dependency is named, and the package imported as pip would import it.
    repo = tmp_path / "repo"
    assert main(["pypi", "leaky", "--repo", str(repo)]) == 0
    err = capsys.readouterr().err
    assert "leaky-1.0: 'import leaky' failed (ModuleNotFoundError: No module named 'rich')" in err
    assert "leaky" in _families(repo)


def test_a_package_missing_its_own_module_is_refused(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "holey", "--repo", str(repo), "--json"]) != 0
    error = json.loads(capsys.readouterr().out)["error"]
    assert "holey-1.0 does not import" in error["message"]
    assert (
        "ImportError: cannot import name 'gone' from partially initialized module 'holey'"
        in (error["message"])
    )
    assert "--no-check" in error["hint"]
    assert "holey" not in _families(repo)
    assert main(["pypi", "holey", "--repo", str(repo), "--no-check"]) == 0
    assert "holey" in _families(repo)


def test_console_script_with_a_traceback_is_refused(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "badtool", "--repo", str(repo), "--json"]) != 0
    message = json.loads(capsys.readouterr().out)["error"]["message"]
    assert "'badtool --help' failed" in message
    assert "nowhere" in message
    assert "badtool" not in _families(repo)
    # A script that runs (its exit status is its own) passes, and no bytecode is left behind.
    assert main(["pypi", "goodtool", "--repo", str(repo)]) == 0
    assert not list((repo / "goodtool").rglob("__pycache__"))


def test_module_found_outside_its_root_is_refused(tmp_path: Path) -> None:
    # Another folder earlier on the path provides the same module: it imports, from elsewhere.
    root, other = tmp_path / "pkg", tmp_path / "other"
    for folder in (root, other):
        (folder / "python" / "shadow").mkdir(parents=True)
        (folder / "python" / "shadow" / "__init__.py").write_text("X = 1\n")
    (root / "python" / "zope" / "iface").mkdir(parents=True)
    (root / "python" / "zope" / "iface" / "__init__.py").write_text("")
    assert top_level_modules(root / "python") == ["shadow", "zope.iface"]
    env = {"PATH": str(tmp_path / "bin"), "PYTHONPATH": f"{other / 'python'}:{root / 'python'}"}
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    member = _Member(name="pkg-1.0", root=root, tools=())
    with pytest.raises(PkgImportError, match=r"shadow: imported from .*other.*, not from"):
        _check_imports([member], env, print)
    env["PYTHONPATH"] = str(root / "python")
    _check_imports([member], env, print)


def test_bind_python_says_when_site_packages_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The test interpreter is the venv pkgimport is installed in: its site-packages is full.
    assert main(["bind", "python", "--repo", str(tmp_path / "repo"), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "has a non-empty site-packages" in err
    assert "packaging" in err or "distribution(s)" in err


def test_console_script_failing_in_its_own_code_is_a_warning(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "oddtool", "--repo", str(repo)]) == 0
    err = capsys.readouterr().err
    assert "warning: oddtool-1.0: 'oddtool --help' failed (FileNotFoundError" in err
    assert "imported anyway, as pip would" in err
    assert "oddtool" in _families(repo)


def test_a_module_refusing_to_import_on_its_own_terms_is_a_warning(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "pickone", "--repo", str(repo)]) == 0
    err = capsys.readouterr().err
    assert "'import pickone' failed (ImportError: No Qt binding were found.)" in err
    assert "pickone" in _families(repo)


def test_console_script_needing_an_extra_is_a_warning(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "extratool", "--repo", str(repo)]) == 0
    err = capsys.readouterr().err
    assert (
        "'extratool --help' failed (ModuleNotFoundError: No module named 'aiohttp_nowhere')" in err
    )
    assert "extratool" in _families(repo)


def test_a_passed_check_is_kept_and_its_warnings_replayed(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pkgimport._cli._payload_check as payload_check  # noqa: PLC0415

    assert main(["pypi", "oddtool", "--repo", str(tmp_path / "one")]) == 0
    first = capsys.readouterr().err
    ran: list[str] = []
    real = payload_check._run_job

    def counting(job: payload_check._Job) -> tuple[list[str], PkgImportError | None]:
        ran.extend(m.name for m in job.members)
        return real(job)

    monkeypatch.setattr(payload_check, "_run_job", counting)
    # The same payloads into another repository: nothing is checked again, warnings are kept.
    assert main(["pypi", "oddtool", "--repo", str(tmp_path / "two")]) == 0
    second = capsys.readouterr().err
    assert ran == []
    assert "'oddtool --help' failed (FileNotFoundError" in first
    assert "'oddtool --help' failed (FileNotFoundError" in second
    # A package that failed its check is checked again next time (nothing kept for it).
    assert main(["pypi", "holey", "--repo", str(tmp_path / "three")]) != 0
    assert main(["pypi", "holey", "--repo", str(tmp_path / "three")]) != 0
    assert ran == ["holey-1.0", "holey-1.0"]
