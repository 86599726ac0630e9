"""Finding the user's rez install (``REZ_USED``) from the ``rez`` command on ``PATH``.

Layouts built in ``tmp_path``: rez's production install, a virtualenv (pip), pipx's link
from ``~/.local/bin``; and this test environment's own rez, checked against ``rez`` itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import rez

from pkgimport.resolver._rez_install import find_rez_module


def _package(prefix: Path, python: str = "python3.11") -> Path:
    module = prefix / "lib" / python / "site-packages" / "rez"
    module.mkdir(parents=True)
    (module / "__init__.py").write_text("")
    return module


def _script(path: Path, interpreter: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{interpreter}\nfrom rez.cli._entry_points import run_rez\n")
    path.chmod(0o755)
    return path


def test_this_environments_rez_is_found_where_rez_says_it_is() -> None:
    # GIVEN the rez the test extra installed (its `rez` next to this interpreter)
    # WHEN it is looked for on a PATH holding that bin folder THEN it is rez's own folder
    assert find_rez_module(str(Path(sys.executable).parent)) == str(Path(rez.__file__).parent)


def test_a_production_install(tmp_path: Path) -> None:
    # GIVEN rez's install.py layout: tools in <install>/bin/rez, marked as production
    install = tmp_path / "opt" / "rez"
    module = _package(install)
    tools = install / "bin" / "rez"
    _script(tools / "rez", install / "bin" / "python")
    (tools / ".rez_production_install").write_text("")
    # WHEN found THEN the package under <install>
    assert find_rez_module(str(tools)) == str(module)


def test_a_virtualenv_with_two_pythons_prefers_the_scripts(tmp_path: Path) -> None:
    # GIVEN a prefix with site-packages for two Pythons, the script run by python3.12
    venv = tmp_path / "venv"
    _package(venv, "python3.11")
    module = _package(venv, "python3.12")
    _script(venv / "bin" / "rez", venv / "bin" / "python3.12")
    # WHEN found THEN the script's Python's package
    assert find_rez_module(str(venv / "bin")) == str(module)


def test_a_pipx_link(tmp_path: Path) -> None:
    # GIVEN ~/.local/bin/rez linking to pipx's virtualenv of rez
    venv = tmp_path / "pipx" / "venvs" / "rez"
    module = _package(venv)
    target = _script(venv / "bin" / "rez", venv / "bin" / "python")
    link = tmp_path / "local" / "bin" / "rez"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    # WHEN found through the link THEN the virtualenv's package
    assert find_rez_module(str(link.parent)) == str(module)


def test_no_rez_and_an_unknown_layout(tmp_path: Path) -> None:
    # GIVEN no rez at all, then a `rez` whose interpreter does not exist
    assert find_rez_module(str(tmp_path)) is None
    _script(tmp_path / "bin" / "rez", tmp_path / "nowhere" / "python")
    # WHEN looked for THEN nothing is claimed
    assert find_rez_module(str(tmp_path / "bin")) is None
