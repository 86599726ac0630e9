"""Packages rez 3.4 refuses, or accepts, where pkgimport must do the same: side by side.

rez validates a package's data lazily, key by key, against its schema: ``variants`` when a
package is first loaded by the solver, ``requires`` when a variant's requirements are first
read, rex code when the context runs it. Each case here is one package file and one request,
resolved (and, with ``environ``, applied) by rez 3.4 in a child process and by pkgimport's
CLI; the results (solved packages, or the error's class and message) must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.errors import PkgImportError
from pkgimport.repository.filesystem import RepositoryPaths
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver.context import resolve_context
from pkgimport.resolver.solver import Solver
from tests.resolver import _solver_oracle as oracle

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pkgimport.definition import PackageDefinition
    from pkgimport.resolver.context import ContextVariant
    from pkgimport.resolver.solver import ResolvedVariant

REZ_BIN = Path(sys.executable).parent
"""Where the test extra installed rez's command-line tools (same environment as pytest)."""

REPO: Mapping[str, str] = {
    "foo/1": "name = 'foo'\nversion = '1'\n",
    "foo/2": "name = 'foo'\nversion = '2'\n",
    # rez's PackageRequest refuses a conflict or weak ephemeral in a package
    "ephconflict/1": "name = 'ephconflict'\nversion = '1'\nrequires = ['!.eph']\n",
    "ephweak/1": "name = 'ephweak'\nversion = '1'\nvariants = [['~.eph-1']]\n",
    "ephok/1": "name = 'ephok'\nversion = '1'\nrequires = ['.eph-1']\n",
    # variants are validated as a whole when the package is loaded
    "badrange/1": "name = 'badrange'\nversion = '1'\nvariants = [['foo-1'], ['foo-1+<']]\n",
    "badreq/1": "name = 'badreq'\nversion = '1'\nrequires = ['foo', 'foo bar']\n",
    # rez names packages by their folders, whatever the file says
    "spaced/1": "name = 'foo bar'\nversion = '1'\n",
    "noname/1": "version = '1'\n",
    "othername/1": "name = 'other'\nversion = '2'\n",
    "intname/1": "name = 1\nversion = 1.5\n",
    "usesspaced/1": "name = 'usesspaced'\nversion = '1'\nrequires = ['spaced']\n",
}

# (request, rez's result in short) - the second item documents what rez does.
CASES: list[tuple[list[str], str]] = [
    (["ephconflict"], "PackageMetadataError on 'requires'"),
    (["ephweak"], "PackageMetadataError on 'variants'"),
    (["ephok"], "solved, with the ephemeral"),
    (["badrange"], "PackageMetadataError on 'variants'"),
    (["badrange-1", "nothere"], "the load error comes before the missing family"),
    (["foo-1", "badrange"], "a variant reduced away is still validated"),
    (["badreq"], "PackageMetadataError on 'requires'"),
    (["spaced"], "solved"),
    (["usesspaced"], "solved"),
    (["noname"], "solved"),
    (["othername"], "solved as othername-1"),
    (["intname"], "solved"),
    (["nothere"], "PackageFamilyNotFoundError, the class name too"),
]

# rez runs in a child process: its plugins and caches stay out of the test process.
_REZ_SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from rez.resolved_context import ResolvedContext
repo, cases = sys.argv[1], json.loads(sys.argv[2])
out = []
for request, keys in cases:
    try:
        context = ResolvedContext(request, package_paths=[repo], add_implicit_packages=False)
        result = {
            "status": context.status.name,
            "resolved": [
                "%s[%s]" % (v.qualified_package_name, "" if v.index is None else v.index)
                for v in context.resolved_packages or []
            ],
            "ephemerals": [str(e) for e in context.resolved_ephemerals or []],
        }
        if context.success and keys:
            environ = context.get_environ()
            result["environ"] = {k: environ.get(k) for k in keys}
    except Exception as exc:
        result = {"status": "error", "type": type(exc).__name__, "message": str(exc)}
    out.append(result)
json.dump(out, sys.stdout)
"""


def write_repo(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{"family/version": text}`` as package files (``.yaml`` keys as package.yaml)."""
    for where, text in files.items():
        folder, _, filename = where.partition(":")
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / (filename or "package.py")).write_text(textwrap.dedent(text))
    return root


def rez_results(
    repo: Path, cases: Sequence[tuple[Sequence[str], Sequence[str]]], env: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Resolve each ``(request, environment keys)`` with rez 3.4, without implicit packages."""
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_SCRIPT, str(repo), json.dumps(cases)],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results


def pkgimport_result(
    repo: Path, request: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """``pkgimport resolve --json`` of *request*, in rez's result form."""
    code = main(["resolve", "--json", "--no-implicit", "--paths", str(repo), *request])
    data = json.loads(capsys.readouterr().out)
    if "error" in data:
        assert code == 1
        return {
            "status": "error",
            "type": data["error"]["type"],
            "message": data["error"]["message"],
        }
    return {
        "status": data["status"],
        "resolved": data["resolved"],
        "ephemerals": data["ephemerals"],
    }


_RENAMED = {"SchemaError": "PackageMetadataError"}


def assert_same_error(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> None:
    """Same class; a schema error names the same key and the same offending request.

    rez's schema errors go on with the reprs of its schema classes, which pkgimport does not
    copy; the first words and the offending value are what a reader acts on.
    """
    assert ours["status"] == theirs["status"] == "error", (ours, theirs)
    # rez's old-style commands error is its schema library's SchemaError (not a RezError:
    # rez-env shows a traceback); pkgimport raises the error of every other schema problem.
    assert ours["type"] == _RENAMED.get(theirs["type"], theirs["type"]), (ours, theirs)
    message = theirs["message"]
    if message.startswith("Validation of key"):
        head = message.split(":", 1)[0] + ":"
        assert ours["message"].startswith(head), (ours, theirs)
        if "PackageRequest(" in message:
            offending = message.rsplit("PackageRequest(", 1)[1].split(")", 1)[0]
            assert offending in ours["message"], (ours, theirs)
    else:
        assert ours["message"] == message, (ours, theirs)


def rez_child_env(config_dir: Path) -> dict[str, str]:
    """The environment ``rez_env`` gives, for module-scoped fixtures (rez on its defaults)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REZ_")}
    env["PATH"] = f"{REZ_BIN}{os.pathsep}{env.get('PATH', '')}"
    config = config_dir / "rezconfig.py"
    config.write_text("")
    env["REZ_CONFIG_FILE"] = str(config)
    return env


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("checks") / "repo", REPO)


@pytest.fixture(scope="module")
def rez_outcomes(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """rez's result for every case of :data:`CASES` (one child process for all)."""
    env = rez_child_env(tmp_path_factory.mktemp("rezconfig"))
    return rez_results(repo, [(request, []) for request, _ in CASES], env)


@pytest.mark.parametrize(("index", "what"), [(i, w) for i, (_, w) in enumerate(CASES)])
def test_resolves_and_refusals_match_rez(
    repo: Path,
    rez_outcomes: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    index: int,
    what: str,
) -> None:
    # GIVEN a package rez refuses when it reads it, or one it accepts
    request, expected = CASES[index][0], rez_outcomes[index]
    # WHEN pkgimport resolves the same request
    ours = pkgimport_result(repo, request, capsys)
    # THEN it solves exactly as rez, or refuses with rez's error
    if expected["status"] == "error":
        assert_same_error(ours, expected)
    else:
        assert ours == expected, (request, what)


def test_the_folder_names_the_package_in_the_environment(
    repo: Path, rez_env: dict[str, str]
) -> None:
    # GIVEN packages whose files state another name or version than their folders
    keys = ["REZ_SPACED_VERSION", "REZ_OTHERNAME_VERSION", "REZ_OTHER_VERSION", "REZ_USED_RESOLVE"]
    (theirs,) = rez_results(repo, [(["spaced", "othername"], keys)], rez_env)
    # WHEN pkgimport builds the environment THEN the folders name them, as in rez
    env = {**rez_env, "PKGIMPORT_IMPLICIT_PACKAGES": ""}
    argv = ["env", "--no-implicit", "--paths", str(repo), "spaced", "othername", "--", "env", "-0"]
    proc = subprocess.run(
        [sys.executable, "-m", "pkgimport", *argv], env=env, capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    ours = dict(item.partition("=")[::2] for item in proc.stdout.decode().split("\0") if item)
    assert {k: ours.get(k) for k in keys} == theirs["environ"]


# -- rex code: rez runs a package.py function as module code, a string as a function body ------

REX_REPO: Mapping[str, str] = {
    "ret/1": "name = 'ret'\nversion = '1'\ndef commands():\n    env.A = '1'\n"
    "    if True:\n        return\n    env.B = '2'\n",
    # blank lines and comments count in rez's line numbers (and a comment at column 0)
    "lines/1": "name = 'lines'\nversion = '1'\ndef commands():\n\n# c0\n    # c\n"
    "    env.A = '1'\n    return\n",
    "post/1": "name = 'post'\nversion = '1'\ndef post_commands():\n    yield 1\n",
    "undef/1": "name = 'undef'\nversion = '1'\ndef commands():\n    env.A = undefined_name\n",
    "stop/1": "name = 'stop'\nversion = '1'\ndef commands():\n    stop('bad %s', 'thing')\n",
    "getenv/1": "name = 'getenv'\nversion = '1'\ndef commands():\n    getenv('NOPE_X')\n",
    "glob/1": "name = 'glob'\nversion = '1'\ndef commands():\n    rr = 'test'\n"
    "    env.RR = '{rr}'\n    env.RR2 = rr\n",
    "nested/1": "name = 'nested'\nversion = '1'\ndef commands():\n    def f():\n"
    "        return '1'\n    env.A = f()\n",
    "strpy/1": "name = 'strpy'\nversion = '1'\ncommands = \"env.A = '1'\\nreturn\\nenv.B = '2'\"\n",
    "yret/1:package.yaml": "name: yret\nversion: '1'\ncommands: |\n  env.A = '1'\n  return\n"
    "  env.B = '2'\n",
    "syn/1:package.yaml": "name: syn\nversion: '1'\ncommands: |\n  env.A = '1'\n  (\n",
    "old/1:package.yaml": "name: old\nversion: '1'\ncommands:\n- export A=1\n",
    "oldpy/1": "name = 'oldpy'\nversion = '1'\npre_commands = ['export A=1']\n",
    "intc/1": "name = 'intc'\nversion = '1'\ncommands = 1\n",
}
REX_KEYS = ["A", "B", "RR", "RR2"]


class _Loader:
    def __init__(self, paths: RepositoryPaths) -> None:
        self.paths = paths

    def load(self, variant: ContextVariant) -> PackageDefinition:
        return self.paths.load(variant.name, variant.version)


def pkgimport_environ(repo: Path, request: Sequence[str], keys: Sequence[str]) -> dict[str, Any]:
    """Resolve and apply *request* with pkgimport; the *keys* it sets, or its error."""
    paths = RepositoryPaths.from_paths([repo], index_file=None)
    provider = RepositoryProvider(paths)

    def locate(variant: ResolvedVariant) -> tuple[str, str]:
        record = provider.get_record(variant.name, variant.version)
        assert record is not None
        return paths.variant_paths(record, variant.index)

    context = resolve_context(request, solver=Solver(provider), locate=locate)
    try:
        env = context.environment(_Loader(paths), parent_environ={"PATH": "/usr/bin"})
    except PkgImportError as exc:
        return {"status": "error", "type": type(exc).__name__, "message": str(exc)}
    return {"status": "solved", "environ": {k: env.variables.get(k) for k in keys}}


@pytest.fixture(scope="module")
def rex_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("rex") / "repo", REX_REPO)


@pytest.fixture(scope="module")
def rex_outcomes(rex_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    env = rez_child_env(tmp_path_factory.mktemp("rezconfig"))
    cases = [([where.split("/")[0]], REX_KEYS) for where in REX_REPO]
    return rez_results(rex_repo, cases, env)


@pytest.mark.parametrize("index", range(len(REX_REPO)), ids=[w.split("/")[0] for w in REX_REPO])
def test_rex_code_runs_and_fails_as_in_rez(
    rex_repo: Path, rex_outcomes: list[dict[str, Any]], index: int
) -> None:
    # GIVEN a package whose rex code rez runs, or refuses, in its own way
    family = list(REX_REPO)[index].split("/")[0]
    expected = rex_outcomes[index]
    # WHEN pkgimport applies the same context
    ours = pkgimport_environ(rex_repo, [family], REX_KEYS)
    # THEN the variables, or the error (class and message), are rez's
    if expected["status"] == "error":
        assert_same_error(ours, expected)
    else:
        assert ours["environ"] == expected["environ"]


# -- ephemeral conflicts as requests: the solver takes them, rez-env and pkgimport do not -----


@pytest.mark.parametrize("request_", [["!.bah"], ["!.bah-2.5+"], [".foo-2.5", "!.foo-2"]], ids=str)
def test_ephemeral_conflict_requests_are_solver_requests_only(
    tmp_path: Path, request_: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN requests rez's solver tests use (rez.solver.Solver takes plain Requirements)
    repo: oracle.Repo = {"foo": {"1": {}}}
    root = oracle.write_repo(tmp_path / "repo", repo)
    # WHEN both solvers get them THEN both solve (or fail) them alike
    assert oracle.pkgimport_solve(repo, root, request_) == oracle.rez_solve(root, request_)
    # AND as rez-env requests (rez's PackageRequest) both refuse them: not a package name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rez.utils.formatting import PackageRequest  # noqa: PLC0415 - rez only here

        with pytest.raises(Exception, match="Not a valid package name"):
            [PackageRequest(r) for r in request_]
    assert main(["resolve", "--no-implicit", "--paths", str(root), *request_]) == 1
    assert "bad package name" in capsys.readouterr().err
