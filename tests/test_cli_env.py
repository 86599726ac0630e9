"""``pkgimport env``: commands run in the resolved environment, checked against ``rez-env``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Mapping

REZ_BIN = Path(sys.executable).parent

REPO: Mapping[str, str] = {
    "python/3.11.7": """
        name = "python"
        version = "3.11.7"
        def commands():
            env.PATH.prepend("{root}/bin")
            env.PYTHONHOME = "{root}"
            alias("py", "echo py-alias")
    """,
    "foo/1.2.3": """
        name = "foo"
        version = "1.2.3"
        requires = ["python"]
        variants = [["python-3"]]
        def commands():
            env.PATH.append("{root}/bin")
            env.FOO_HOME = "{this.name}-{version.major}"
            env.FOO_PY = "{resolve.python.root}/lib:$HOME/x:${NOPE}/y"
            env.PYTHONPATH.append("{root}/python")
            env.LANG.unset()
            info("hello {this.name}")
            if "python" in request:
                env.REQUESTED_PY = "yes"
            if intersects(resolve.python, "3.11"):
                env.PY311 = "yes"
    """,
    "bar/2.0": """
        name = "bar"
        version = "2.0"
        def commands():
            env.PATH.prepend("{root}/bin")
            env.FOO_HOME.append("more")
    """,
}

# Set by rez's shell layer, by the shells themselves, or by pkgimport only.
_DIFFERENT = {
    "REZ_RXT_FILE",
    "REZ_CONTEXT_FILE",
    "REZ_SHELL_INIT_TIMESTAMP",
    "REZ_SHELL_INTERACTIVE",
    "REZ_ENV_PROMPT",
    "REZ_STORED_PROMPT_SH",
    "REZ_USED_TIMESTAMP",
    "REZ_USED",
    "PS1",
    "SHLVL",
    "_",
    "OLDPWD",
    "PKGIMPORT_CONTEXT_FILE",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for where, text in REPO.items():
        (root / where).mkdir(parents=True)
        (root / where / "package.py").write_text(textwrap.dedent(text).lstrip())
    return root


def _pkgimport(
    *argv: str, env: Mapping[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pkgimport", *argv],
        env=dict(env),
        input=None if stdin is None else stdin.encode(),
        capture_output=True,
        check=False,
    )


def _env0(data: bytes) -> dict[str, str]:
    result = {}
    for item in data.split(b"\0"):
        if item:
            key, _, value = item.decode().partition("=")
            result[key] = value
    return result


def _comparable(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        k: v for k, v in environ.items() if k not in _DIFFERENT and not k.startswith("BASH_FUNC_")
    }


def test_environment_matches_rez_env(repo: Path, rez_env: dict[str, str]) -> None:
    request = ["foo", "bar", "python"]
    theirs = subprocess.run(
        [str(REZ_BIN / "rez-env"), "--paths", str(repo), *request, "--", "env", "-0"],
        env=rez_env,
        capture_output=True,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr.decode()
    ours = _pkgimport("env", "--paths", str(repo), *request, "--", "env", "-0", env=rez_env)
    assert ours.returncode == 0, ours.stderr.decode()
    # info() output comes first in both.
    prefix = b"hello foo\n"
    assert theirs.stdout.startswith(prefix)
    assert ours.stdout.startswith(prefix)
    rez_environ = _env0(theirs.stdout[len(prefix) :])
    our_environ = _env0(ours.stdout[len(prefix) :])
    assert _comparable(our_environ) == _comparable(rez_environ)
    assert our_environ["REQUESTED_PY"] == "yes"
    assert our_environ["PY311"] == "yes"
    assert "LANG" not in our_environ


def test_exit_code_and_aliases(repo: Path, rez_env: dict[str, str]) -> None:
    proc = _pkgimport(
        "env", "--paths", str(repo), "python", "--", "bash", "-c", "py; exit 7", env=rez_env
    )
    assert proc.returncode == 7
    assert proc.stdout.decode() == "py-alias\n"


def test_command_not_found(repo: Path, rez_env: dict[str, str]) -> None:
    proc = _pkgimport("env", "--paths", str(repo), "bar", "--", "no-such-command-x", env=rez_env)
    assert proc.returncode == 1
    assert b"command not found in the resolved environment: 'no-such-command-x'" in proc.stderr


def test_failed_resolve_does_not_run(repo: Path, rez_env: dict[str, str]) -> None:
    proc = _pkgimport("env", "--paths", str(repo), "foo", "!python", "--", "true", env=rez_env)
    assert proc.returncode == 1
    assert b"The context failed to resolve:" in proc.stdout


def test_saved_context_recreates_the_environment(
    repo: Path, tmp_path: Path, rez_env: dict[str, str]
) -> None:
    ctx = tmp_path / "ctx.json"
    first = _pkgimport(
        "env", "--paths", str(repo), "foo", "-o", str(ctx), "--", "env", "-0", env=rez_env
    )
    assert first.returncode == 0, first.stderr.decode()
    # The farm machine: no --paths, the context says where everything is.
    second = _pkgimport("env", "--input", str(ctx), "--", "env", "-0", env=rez_env)
    assert second.returncode == 0, second.stderr.decode()
    a, b = _env0(first.stdout.split(b"\n", 1)[1]), _env0(second.stdout.split(b"\n", 1)[1])
    assert _comparable(a) == _comparable(b)
    # rez loads the same file and builds the same variables.
    theirs = subprocess.run(
        [str(REZ_BIN / "rez-env"), "--input", str(ctx), "--", "env", "-0"],
        env=rez_env,
        capture_output=True,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr.decode()
    c = _env0(theirs.stdout.split(b"\n", 1)[1])
    assert _comparable(c) == _comparable(b)


def test_rez_context_file_is_accepted(repo: Path, tmp_path: Path, rez_env: dict[str, str]) -> None:
    rxt = tmp_path / "ctx.rxt"
    made = subprocess.run(
        [str(REZ_BIN / "rez-env"), "--paths", str(repo), "foo", "--output", str(rxt)],
        env=rez_env,
        capture_output=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr.decode()
    proc = _pkgimport("env", "--input", str(rxt), "--", "printenv", "FOO_HOME", env=rez_env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().splitlines() == ["hello foo", "foo-1"]


def test_interactive_shell_runs_with_the_environment(repo: Path, rez_env: dict[str, str]) -> None:
    env = {**rez_env, "SHELL": "/bin/sh"}
    proc = _pkgimport(
        "env", "--paths", str(repo), "bar", env=env, stdin='echo "$REZ_BAR_VERSION"; exit 4\n'
    )
    assert proc.returncode == 4
    assert "2.0" in proc.stdout.decode().splitlines()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input", "/nonexistent/ctx.json", "--", "true"], "cannot read context file"),
        (["foo--1", "--", "true"], "invalid requirement 'foo--1'"),
        (["nothere", "--", "true"], "package family not found: nothere"),
    ],
)
def test_bad_input(repo: Path, rez_env: dict[str, str], argv: list[str], message: str) -> None:
    proc = _pkgimport("env", "--paths", str(repo), *argv, env=rez_env)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert f"error: {message}" in err
    assert "Traceback" not in err


def test_context_file_visible_inside(repo: Path, rez_env: dict[str, str]) -> None:
    script = (
        "import json, os; print(json.load(open(os.environ['PKGIMPORT_CONTEXT_FILE']))['status'])"
    )
    proc = _pkgimport(
        "env", "--paths", str(repo), "bar", "--", sys.executable, "-c", script, env=rez_env
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == "solved"
