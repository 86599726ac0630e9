"""What a resolve leaves behind (``REZ_USED``, the context files), checked against rez 3.4.

``rez env`` sets ``REZ_USED`` to its own package folder, ``REZ_RXT_FILE`` to the context it
wrote (or the one it loaded with ``--input``) and ``REZ_CONTEXT_FILE`` to the shell code it
sourced; a context file pkgimport writes must load in ``rez env --input`` and give the
environment ``rez env`` gives for the same request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import rez

import pkgimport
from pkgimport.cli import main

if TYPE_CHECKING:
    from collections.abc import Mapping

REZ_BIN = Path(sys.executable).parent
REZ_MODULE = str(Path(rez.__file__).parent)
"""What rez sets REZ_USED to: its package folder (``rez.module_root_path``)."""
PKGIMPORT_DIR = str(Path(pkgimport.__file__).parent)

REPO: Mapping[str, str] = {
    "python/3.11.7": """
        name = "python"
        version = "3.11.7"
        def commands():
            env.PATH.prepend("{root}/bin")
            env.PYTHONHOME = "{root}"
    """,
    "foo/1.2.3": """
        name = "foo"
        version = "1.2.3"
        requires = ["python"]
        variants = [["python-3"]]
        def commands():
            env.PATH.append("{root}/bin")
            env.FOO_HOME = "{this.name}-{version.major}"
            env.FOO_PY = "{resolve.python.root}/lib"
            alias("foo", "echo foo")
    """,
    "platform/linux": 'name = "platform"\nversion = "linux"\n',
}

# Different in every run, or set by the shells themselves.
_VOLATILE = {
    "REZ_RXT_FILE",
    "REZ_CONTEXT_FILE",
    "REZ_SHELL_INIT_TIMESTAMP",
    "REZ_USED_TIMESTAMP",
    "PKGIMPORT_CONTEXT_FILE",
    "PS1",
    "SHLVL",
    "_",
    "OLDPWD",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for where, text in REPO.items():
        (root / where).mkdir(parents=True)
        (root / where / "package.py").write_text(textwrap.dedent(text).lstrip())
    return root


def _run(argv: list[str], env: Mapping[str, str]) -> str:
    proc = subprocess.run(argv, env=dict(env), capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def _pkgimport(*argv: str, env: Mapping[str, str]) -> str:
    return _run([sys.executable, "-m", "pkgimport", *argv], env)


def _env0(text: str) -> dict[str, str]:
    # rez-env prints nothing before the command's output here (no info() calls)
    return dict(item.partition("=")[::2] for item in text.split("\0") if item)


def _comparable(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in _VOLATILE and "BASH_FUNC" not in k}


def test_rez_used_is_the_rez_on_path(repo: Path, rez_env: dict[str, str]) -> None:
    # GIVEN rez 3.4 installed, its `rez` on PATH (pip's entry point, in the install's bin)
    theirs = _run(
        [str(REZ_BIN / "rez-env"), "--paths", str(repo), "foo", "--", "env", "-0"], rez_env
    )
    assert _env0(theirs)["REZ_USED"] == REZ_MODULE
    # WHEN pkgimport env runs THEN REZ_USED is that install's rez package folder, as rez's
    ours = _pkgimport("env", "--paths", str(repo), "foo", "--", "env", "-0", env=rez_env)
    assert _env0(ours)["REZ_USED"] == REZ_MODULE


def test_without_rez_there_is_no_rez_used(repo: Path, rez_env: dict[str, str]) -> None:
    # GIVEN no rez on PATH
    env = {**rez_env, "PATH": "/usr/bin:/bin"}
    assert not any(Path(p, "rez").exists() for p in env["PATH"].split(os.pathsep))
    # WHEN pkgimport env runs THEN it names no rez, and never its own source folder
    ours = _env0(_pkgimport("env", "--paths", str(repo), "foo", "--", "env", "-0", env=env))
    assert "REZ_USED" not in ours
    assert not any(PKGIMPORT_DIR in v for k, v in ours.items() if k.startswith("REZ_"))


def test_the_context_files_are_set_as_rez_sets_them(repo: Path, rez_env: dict[str, str]) -> None:
    # GIVEN what rez-env sets: the context it wrote (.rxt) and the shell code it sourced
    probe = 'printf "%s\\n%s\\n" "$REZ_RXT_FILE" "$REZ_CONTEXT_FILE"'
    theirs = _run(
        [str(REZ_BIN / "rez-env"), "--paths", str(repo), "foo", "--", "sh", "-c", probe], rez_env
    ).split()
    assert [Path(p).name for p in theirs] == ["context.rxt", "context.sh"]
    # WHEN pkgimport env runs a command that re-applies REZ_CONTEXT_FILE in a bare shell
    script = (
        'test -f "$REZ_RXT_FILE" && env -i PATH=/usr/bin:/bin sh -c \'. "$1"; env\' - '
        '"$REZ_CONTEXT_FILE"'
    )
    out = _pkgimport("env", "--paths", str(repo), "foo", "--", "sh", "-c", script, env=rez_env)
    applied = dict(line.partition("=")[::2] for line in out.splitlines() if "=" in line)
    # THEN both files exist, named as rez names them, and the shell code sets the context
    assert Path(applied["REZ_RXT_FILE"]).name == "context.rxt"
    assert Path(applied["REZ_CONTEXT_FILE"]).name == "context.sh"
    assert applied["FOO_HOME"] == "foo-1"
    assert applied["REZ_USED_RESOLVE"] == "python-3.11.7 foo-1.2.3"


def test_a_saved_context_reproduces_the_environment_in_rez(
    repo: Path, tmp_path: Path, rez_env: dict[str, str]
) -> None:
    # GIVEN a context saved by pkgimport (with the implicit packages, as rez resolves)
    ctx = tmp_path / "ctx.rxt"
    _pkgimport("resolve", "-q", "--paths", str(repo), "foo", "-o", str(ctx), env=rez_env)
    assert json.loads(ctx.read_text())["rez_path"] == REZ_MODULE
    # WHEN rez env loads it, and when rez env resolves the same request
    loaded = _run([str(REZ_BIN / "rez-env"), "--input", str(ctx), "--", "env", "-0"], rez_env)
    direct = _run(
        [str(REZ_BIN / "rez-env"), "--paths", str(repo), "foo", "--", "env", "-0"], rez_env
    )
    # THEN rez builds the same environment from both (REZ_USED included)
    assert _comparable(_env0(loaded)) == _comparable(_env0(direct))
    # AND rez points REZ_RXT_FILE at the file it loaded; so does pkgimport env --input
    assert _env0(loaded)["REZ_RXT_FILE"] == str(ctx)
    ours = _pkgimport("env", "--input", str(ctx), "--", "env", "-0", env=rez_env)
    assert _env0(ours)["REZ_RXT_FILE"] == str(ctx)
    # (rez's shell also sets its prompt variables and REZ_SHELL_INTERACTIVE; pkgimport's not)
    prompt = {"REZ_ENV_PROMPT", "REZ_STORED_PROMPT_SH", "REZ_SHELL_INTERACTIVE"}
    theirs = {k: v for k, v in _comparable(_env0(loaded)).items() if k not in prompt}
    assert _comparable(_env0(ours)) == theirs


def test_an_empty_request_resolves_the_implicit_packages(
    repo: Path, tmp_path: Path, rez_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN implicit packages that add a package, and no request at all
    config = tmp_path / "implicit.py"
    config.write_text('implicit_packages = ["platform"]\n')
    env = {**rez_env, "REZ_CONFIG_FILE": str(config)}
    keys = ["REZ_USED_REQUEST", "REZ_USED_IMPLICIT_PACKAGES", "REZ_USED_RESOLVE"]
    theirs = _run([str(REZ_BIN / "rez-env"), "--paths", str(repo), "--", "env", "-0"], env)
    # WHEN pkgimport resolves (and applies) nothing but them
    ours = _pkgimport(
        "env", "--paths", str(repo), "--implicit", "platform", "--", "env", "-0", env=env
    )
    # THEN it resolves them, as rez env does
    assert {k: _env0(ours).get(k) for k in keys} == {k: _env0(theirs).get(k) for k in keys}
    assert _env0(ours)["REZ_USED_RESOLVE"] == "platform-linux"
    argv = ["resolve", "--json", "--paths", str(repo), "--implicit", "platform"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["resolved"] == ["platform-linux[]"]
