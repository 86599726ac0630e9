"""The environment built from commands(): unit cases, then differential cases against rez 3.4.

The differential cases write small native repositories, let rez resolve them in-process, and run
our :func:`build_environment` over the same variants (so the solver is not under test here).
Both sides must produce exactly the same variables (``ResolvedContext.get_environ()``), and one
case compares a whole child environment with ``rez-env ... -- env -0``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.definition import Action, PackageDefinition
from pkgimport.repository._reader import read_package_file
from pkgimport.resolver._rex import PackageCommandError, RexError, RexExecutor, literal
from pkgimport.resolver.environment import (
    ContextInfo,
    Environment,
    EnvironmentOptions,
    ResolvedPackage,
    build_environment,
    detect_system_paths,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

REZ_BIN = Path(sys.executable).parent
SYS = ("/usr/bin", "/bin")
OPTS = EnvironmentOptions(system_paths=SYS, pathsep=":", rez_used="/rez", shell_semantics=False)


def _pkg(
    name: str,
    version: str,
    *,
    commands: Sequence[Action] = (),
    source: str | None = None,
    index: int | None = None,
    root: str | None = None,
) -> ResolvedPackage:
    functions = {} if source is None else {"commands": textwrap.dedent(source)}
    definition = PackageDefinition(
        name=name, version=version, commands=tuple(commands), functions=functions
    )
    base = f"/repo/{name}/{version}"
    return ResolvedPackage(definition=definition, index=index, root=root or base, base=base)


def _build(
    packages: Sequence[ResolvedPackage],
    parent: Mapping[str, str] | None = None,
    **info: Any,
) -> Environment:
    return build_environment(
        ContextInfo(**info),
        packages,
        parent_environ=parent or {"PATH": "/home/bin", "HOME": "/home/me"},
        options=OPTS,
    )


# -- unit cases ---------------------------------------------------------------------------------


def test_rez_variables_per_package() -> None:
    env = _build([_pkg("zope.interface", "01.2b"), _pkg("tiny", "")], requests=("zope.interface",))
    assert env.variables["REZ_ZOPE_INTERFACE_VERSION"] == "01.2b"
    assert env.variables["REZ_ZOPE_INTERFACE_MAJOR_VERSION"] == "01"
    assert env.variables["REZ_ZOPE_INTERFACE_MINOR_VERSION"] == "2b"
    assert env.variables["REZ_ZOPE_INTERFACE_PATCH_VERSION"] == ""
    assert env.variables["REZ_TINY_MAJOR_VERSION"] == ""
    assert env.variables["REZ_USED_RESOLVE"] == "zope.interface-01.2b tiny"
    assert env.variables["REZ_USED_REQUEST"] == "zope.interface"
    assert env.variables["REZ_USED_REQUESTED_TIMESTAMP"] == "0"


def test_first_append_overwrites_parent_and_system_path_comes_last() -> None:
    a = _pkg("a", "1", commands=[Action.append("PATH", "{root}/bin")])
    b = _pkg("b", "1", commands=[Action.prepend("PATH", "{root}/bin")])
    env = _build([a, b])
    assert env.variables["PATH"] == "/repo/b/1/bin:/repo/a/1/bin:/usr/bin:/bin"


def test_parent_variables_are_extended() -> None:
    a = _pkg("a", "1", commands=[Action.append("PYTHONPATH", "{root}/py")])
    opts = EnvironmentOptions(system_paths=(), pathsep=":", parent_variables={"PYTHONPATH"})
    env = build_environment(
        ContextInfo(), [a], parent_environ={"PYTHONPATH": "/site"}, options=opts
    )
    assert env.variables["PYTHONPATH"] == "/site:/repo/a/1/py"


def test_literal_and_escaped_values() -> None:
    a = _pkg(
        "a",
        "1",
        commands=[
            Action.set("LIT", "{root} $HOME", literal=True),
            Action.set("ESC", "C:{{x}}/{root}"),
            Action.set("EXP", "$HOME/{version}"),
        ],
    )
    env = _build([a])
    assert env.variables["LIT"] == "{root} $HOME"
    assert env.variables["ESC"] == "C:{x}//repo/a/1"
    assert env.variables["EXP"] == "/home/me/1"


def test_unknown_format_key_leaves_value_untouched() -> None:
    a = _pkg("a", "1", commands=[Action.set("X", "{nothere}/{root}")])
    assert _build([a]).variables["X"] == "{nothere}/{root}"


def test_shell_semantics_drop_unknown_variables() -> None:
    a = _pkg("a", "1", commands=[Action.set("X", "${NOPE}/x:$HOME")])
    parent = {"HOME": "/h"}
    kept = build_environment(ContextInfo(), [a], parent_environ=parent, options=OPTS)
    shell = build_environment(
        ContextInfo(),
        [a],
        parent_environ=parent,
        options=EnvironmentOptions(system_paths=(), pathsep=":", shell_semantics=True),
    )
    assert kept.variables["X"] == "${NOPE}/x:/h"
    assert shell.variables["X"] == "/x:/h"


def test_native_commands_bindings() -> None:
    py = _pkg("python", "3.11.7", root="/repo/python/3.11.7")
    foo = _pkg(
        "foo",
        "1.2.3",
        index=0,
        root="/repo/foo/1.2.3/python-3",
        source="""
        def commands():
            env.FOO = "{this.name}-{version.major}.{version.minor}"
            if "python" in resolve:
                env.PY = resolve.python.root + ":" + str(resolve.python.version.patch)
            env.REQ = request.foo if "foo" in request else "-"
            env.EPH = ephemerals.get("eph", "none")
            env.B = "{base}|{root}|{resolve.python.root}|{env.FOO}"
            alias("foo", "{root}/bin/foo")
            info("hi {this.name}")
            command("echo hi")
            if building:
                env.BUILDING = "1"
            env.IDX = str(this.index)
        """,
    )
    env = _build([py, foo], requests=("foo-1",), ephemerals=(".eph-2",))
    v = env.variables
    assert v["FOO"] == "foo-1.2"
    assert v["PY"] == "/repo/python/3.11.7:7"
    assert v["REQ"] == "foo-1"
    assert v["EPH"] == ".eph-2"
    assert v["B"] == "/repo/foo/1.2.3|/repo/foo/1.2.3/python-3|/repo/python/3.11.7|foo-1.2"
    assert v["REZ_EPH_EPH_REQUEST"] == "2"
    assert v["REZ_USED_EPH_RESOLVE"] == ".eph-2"
    assert v["IDX"] == "0"
    assert "BUILDING" not in v
    assert env.aliases == {"foo": "/repo/foo/1.2.3/python-3/bin/foo"}
    assert env.infos == ["hi foo"]
    assert env.commands == ["echo hi"]


def test_commands_order_pre_then_commands_then_post() -> None:
    def native(name: str, body: Mapping[str, str]) -> ResolvedPackage:
        functions = {k: f"def {k}():\n    {v}\n" for k, v in body.items()}
        d = PackageDefinition(name=name, version="1", functions=functions)
        return ResolvedPackage(definition=d, index=None, root=f"/r/{name}", base=f"/r/{name}")

    a = native("a", {"commands": "env.O.append('a')", "post_commands": "env.O.append('pa')"})
    b = native("b", {"pre_commands": "env.O.append('preb')", "commands": "env.O.append('b')"})
    assert _build([a, b]).variables["O"] == "preb:a:b:pa"


def test_unset_removes_parent_variable() -> None:
    a = _pkg("a", "1", commands=[Action.unset("LANG"), Action.set("X", "1")])
    env = _build([a], parent={"LANG": "C", "KEEP": "k"})
    assert env.apply({"LANG": "C", "KEEP": "k"}) == {"KEEP": "k", **env.variables}
    assert "LANG" in env.unset


def test_bad_commands_raise_rez_package_command_error() -> None:
    # rez's message: "Error in <attr> in package '<file>[<index>]':" and the error's own text
    a = _pkg("a", "1", source="def commands():\n    env.X = undefined_name\n")
    with pytest.raises(PackageCommandError) as info:
        _build([a])
    assert str(info.value) == (
        "Error in commands in package '/repo/a/1/package.py[]':\n"
        "name 'undefined_name' is not defined"
    )
    b = _pkg("b", "1", source="def commands():\n    getenv('NOPE_NOT_SET')\n")
    with pytest.raises(RexError, match="Referenced undefined environment variable: NOPE"):
        _build([b])
    c = _pkg("c", "1", source="def commands(:\n")
    with pytest.raises(PackageCommandError, match=r"package.py:commands>, line \d"):
        _build([c])


def test_executor_string_body_and_separators() -> None:
    ex = RexExecutor(parent_environ={}, pathsep=":")
    ex.execute(
        "env.CMAKE_MODULE_PATH.append('a')\nenv.CMAKE_MODULE_PATH.append('b')\n"
        "env.L = literal('x').e('{y}')\n"
    )
    assert ex.environ == {"CMAKE_MODULE_PATH": "a;b", "L": "x{y}"}
    assert literal("a") + "b" == "ab"


def test_environment_is_immutable() -> None:
    env = _build([])
    with pytest.raises(TypeError):
        env.variables["X"] = "1"  # type: ignore[index]


def test_detect_system_paths_includes_defpath() -> None:
    paths = detect_system_paths()
    for part in os.defpath.split(os.pathsep):
        if part:
            assert part in paths


# -- differential cases against rez -------------------------------------------------------------

NATIVE_REPO = {
    "python/3.11.7": """
        name = "python"
        version = "3.11.7"
        def commands():
            env.PATH.prepend("{root}/bin")
            env.PYTHONHOME = "{root}"
            alias("py", "{root}/bin/python")
    """,
    "foo/1.2.3": """
        name = "foo"
        version = "1.2.3"
        requires = ["python"]
        variants = [["python-3"]]
        def commands():
            env.PATH.append("{root}/bin")
            env.FOO_HOME = "{this.name}-{version}-{version.major}"
            env.FOO_PY = "{resolve.python.root}/lib:$HOME/x:${NOPE}/y:$FOO_HOME"
            env.PYTHONPATH.append("{root}/python")
            env.PYTHONPATH.append("{base}/extra")
            if "python" in resolve:
                env.HAS_PY = str(resolve.python.version.minor)
            env.LIT = literal("{root} $HOME")
            env.MIX = literal("a{b}").e("/$HOME")
            env.REQ = request.foo if "foo" in request else "none"
            env.SEEN = "{env.FOO_HOME}!"
            setenv("BAD", "{nothere}/x")
            info("hello {this.name}")
            if defined("HOME"):
                env.HOMEDEF = "yes"
            if undefined("ZZZ_UNDEF"):
                env.UNDEF = "1"
            env.GOT = getenv("FOO_HOME")
            env.LANG.unset()
            env.CMAKE_MODULE_PATH.append("{root}/cmake")
            env.CMAKE_MODULE_PATH.append("{root}/cmake2")
            env["ITEM"] = expandvars("{root}:$HOME")
            env.FMT = format("{this.name}/{version.patch}")
            appendenv("APP", "1")
            prependenv("APP", "0")
            env.DEFAULTED.setdefault("d")
            env.EPH = ephemerals.get("eph", "-")
            env.BRACES = "{{not}}-{root}"
            env.RANGE = str(request.get_range("foo", "1+<2"))
            env.NORANGE = str(request.get_range("zzz"))
            if intersects(ephemerals.get_range("eph", "0"), "1"):
                env.EPH_ONE = "1"
            if intersects(resolve.python.version, "3"):
                env.PY3 = "1"
            if intersects(request.get("foo", "foo"), "1.2"):
                env.REQ12 = "1"
            env.SYS = system.platform + "/" + str(building)
            env.VT = str(version.as_tuple()) + str(len(version)) + str(version[5])
            env.THIS = str(this) + ":" + this.qualified_name + ":" + this.base
    """,
    "bar/2.0": """
        name = "bar"
        version = "2.0"
        def pre_commands():
            env.PRE = "pre-{this.name}"
        def commands():
            env.PATH.prepend("{root}/bin")
            env.FOO_HOME.append("more")
        def post_commands():
            env.POST = "{env.PRE}-post"
    """,
    # rez's bash shell cannot run resetenv(): only requested in get_environ cases.
    "reset/1": """
        name = "reset"
        version = "1"
        def commands():
            resetenv("RESET", "r")
            env.X = "{version}"
    """,
    "zope.interface/05.1": """
        name = "zope.interface"
        version = "05.1"
        commands = "env.ZOPE = '{root}'"
    """,
}
STRUCTURED = (
    Action.prepend("PATH", "{root}/bin"),
    Action.append("PYTHONPATH", "{root}/lib/python3.11/site-packages"),
    Action.set("TOOL_HOME", "{root}"),
    Action.set("TOOL_LIT", "{root} $HOME", literal=True),
    Action.set("TOOL_ESC", "C:{{x}}/{this.name}-{version}"),
    Action.alias("tool", "{root}/bin/tool"),
    Action.unset("LC_ALL"),
    Action.info("hello"),
)


def _rex_call(action: Action) -> str:
    value = f"literal({action.value!r})" if action.literal else repr(action.value)
    return {
        "setenv": f"env.{action.key} = {value}",
        "appendenv": f"env.{action.key}.append({value})",
        "prependenv": f"env.{action.key}.prepend({value})",
        "unsetenv": f"env.{action.key}.unset()",
        "alias": f"alias({action.key!r}, {value})",
        "info": f"info({value})",
    }[action.kind]


def _write_repo(root: Path, files: Mapping[str, str]) -> Path:
    for where, text in files.items():
        folder = root / where
        folder.mkdir(parents=True)
        (folder / "package.py").write_text(textwrap.dedent(text).lstrip())
    return root


# rez runs in a child process: its plugins and caches stay out of the test process.
_REZ_SCRIPT = """
import json, sys
import rez
from rez.resolved_context import ResolvedContext
context = ResolvedContext(json.loads(sys.argv[1]), package_paths=[sys.argv[2]])
if not context.success:
    sys.exit(context.failure_description)
json.dump({
    "variants": [
        {"name": v.name, "index": v.index, "root": v.root, "base": v.base}
        for v in context.resolved_packages
    ],
    "requests": [str(r) for r in context.requested_packages()],
    "implicits": [str(r) for r in context.implicit_packages],
    "ephemerals": [str(r) for r in context.resolved_ephemerals],
    "package_paths": list(context.package_paths),
    "timestamp": context.timestamp,
    "requested_timestamp": context.requested_timestamp,
    "rez_used": context.rez_path,
    "environ": context.get_environ(),
}, sys.stdout)
"""


def _rez_context(requests: Sequence[str], repo: Path, env: Mapping[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_SCRIPT, json.dumps(list(requests)), str(repo)],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _ours_for(
    context: Mapping[str, Any],
    repo: Path,
    *,
    parent: Mapping[str, str],
    structured: Mapping[str, Sequence[Action]] | None = None,
    shell_semantics: bool = False,
) -> Environment:
    packages = []
    for variant in context["variants"]:
        definition = read_package_file(Path(variant["base"]) / "package.py")
        if structured and variant["name"] in structured:
            definition = definition.evolve(
                functions={}, commands=tuple(structured[variant["name"]])
            )
        packages.append(
            ResolvedPackage(
                definition=definition,
                index=variant["index"],
                root=variant["root"],
                base=variant["base"],
                location=str(repo),
            )
        )
    info = ContextInfo(
        requests=tuple(context["requests"]),
        implicits=tuple(context["implicits"]),
        ephemerals=tuple(context["ephemerals"]),
        package_paths=tuple(context["package_paths"]),
        timestamp=context["timestamp"],
        requested_timestamp=context["requested_timestamp"],
    )
    options = EnvironmentOptions(rez_used=context["rez_used"], shell_semantics=shell_semantics)
    return build_environment(info, packages, parent_environ=parent, options=options)


@pytest.mark.parametrize(
    "requests",
    [
        ["foo", "bar", ".eph-1"],
        ["bar", "foo"],
        ["zope.interface", "python"],
        ["foo", "~bar"],
        ["reset"],
    ],
    ids=str,
)
def test_matches_rez_get_environ(
    tmp_path: Path, rez_env: dict[str, str], requests: list[str]
) -> None:
    repo = _write_repo(tmp_path / "repo", NATIVE_REPO)
    context = _rez_context(requests, repo, rez_env)
    ours = _ours_for(context, repo, parent=rez_env)
    assert dict(ours.variables) == context["environ"]


def test_structured_actions_match_rez(tmp_path: Path, rez_env: dict[str, str]) -> None:
    body = "\n".join("    " + _rex_call(a) for a in STRUCTURED)
    files = {
        "tool/1.0.1": f'name = "tool"\nversion = "1.0.1"\ndef commands():\n{body}\n',
        "python/3.11.7": NATIVE_REPO["python/3.11.7"],
    }
    repo = _write_repo(tmp_path / "repo", files)
    context = _rez_context(["tool", "python"], repo, rez_env)
    ours = _ours_for(context, repo, parent=rez_env, structured={"tool": STRUCTURED})
    assert dict(ours.variables) == context["environ"]
    assert ours.aliases["tool"] == f"{repo}/tool/1.0.1/bin/tool"
    assert ours.infos == ["hello"]


# Set by rez's shell layer, by bash itself, or different on every run.
_SHELL_ONLY = {
    "REZ_RXT_FILE",
    "REZ_CONTEXT_FILE",
    "REZ_SHELL_INIT_TIMESTAMP",
    "REZ_SHELL_INTERACTIVE",
    "REZ_ENV_PROMPT",
    "REZ_STORED_PROMPT_SH",
    "REZ_USED_TIMESTAMP",
    "PS1",
    "SHLVL",
    "_",
    "OLDPWD",
}


def _parse_env0(data: bytes) -> dict[str, str]:
    result = {}
    for item in data.split(b"\0"):
        if item:
            key, _, value = item.decode().partition("=")
            result[key] = value
    return result


def test_matches_rez_env_child_environment(tmp_path: Path, rez_env: dict[str, str]) -> None:
    repo = _write_repo(tmp_path / "repo", NATIVE_REPO)
    proc = subprocess.run(
        [str(REZ_BIN / "rez-env"), "--paths", str(repo), "foo", "bar", "--", "env", "-0"],
        env=rez_env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    # info() messages come first on stdout, then `env -0`.
    assert proc.stdout.startswith(b"hello foo\n")
    theirs = _parse_env0(proc.stdout[len(b"hello foo\n") :])
    context = _rez_context(["foo", "bar"], repo, rez_env)
    ours = _ours_for(context, repo, parent=rez_env, shell_semantics=True).apply(rez_env)
    drop = {k for k in {*theirs, *ours} if k in _SHELL_ONLY or k.startswith("BASH_FUNC_")}
    assert {k: v for k, v in ours.items() if k not in drop} == {
        k: v for k, v in theirs.items() if k not in drop
    }
    assert theirs["FOO_PY"].endswith(":/y:foo-1.2.3-1")
