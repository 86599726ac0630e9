"""Issue 9 (trust boundary): hostile Scoop ``bin`` names import safely or are refused.

Every case is a manifest written here (inline, no fixture files) whose zip is served on loopback,
imported through the CLI: ``pkgimport scoop ./hostile.json --repo R``. Then:

* a refusal names the manifest key path on one ``error:`` line (no traceback) and leaves the
  repository byte for byte as it was;
* an import writes nothing outside the repository (its parent folder, which also holds the
  importer's temporary folder, is compared before and after), and every launcher is checked:

  - the ``sh`` launcher is **run**, with stub targets (and stub ``cmd.exe``, ``java``...) that
    record their argv: the arguments must arrive byte-exact and no marker file may appear;
  - the ``.cmd`` and ``.ps1`` launchers are read back by small models of cmd.exe's and
    PowerShell's parsers: manifest text may only sit inside correctly escaped quoted literals,
    and the command each one runs must be exactly the intended argv.

The relative aliases climb exactly as far as the repository's parent (the importer's work
folder is ``<parent>/tmp/pkgimport-scoop-*/0/variant0/root/bin``), so code that lets them
through writes where this test looks, and nowhere else on the machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.importers.scoop._errors import InvalidManifest, PayloadError
from pkgimport.importers.scoop._recipes import Recipe, apply_recipe, parse_recipe
from tests.importers.scoop.scoop_testlib import (
    Server,
    make_zip,
    serve,
    sha256,
    write_bind_packages,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

STUB = b'#!/bin/sh\nprintf \'%s\\0\' "$0" "$@" > "$ARGV_OUT"\n'
"""A target that records its argv (NUL-separated) and does nothing else."""
CLIMB = "../../../../../../"
"""From the importer's launcher folder up to the repository's parent."""
USER_ARGS = ["u 1", "$(touch pwned)", "`touch pwned`", "'", '"', "", "a\nb", "--", "%PATH%", "!x!"]
"""What a user passes to every sh launcher: it must arrive untouched after the fixed args."""
MARKER = "pwned"
"""The file every hostile command would create."""


# -- the cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One launcher the import must write, and what it must run."""

    alias: str
    target: str
    """Target inside the app folder, ``/``-separated (as the payload holds it)."""
    args: tuple[str, ...] = ()
    """Fixed arguments as the target must see them; ``{app}`` is the app folder."""
    present: bool = True
    """The target is in the payload (else it is a command on PATH)."""

    @property
    def kind(self) -> str:
        ext = self.target.rsplit(".", 1)[-1].lower()
        return {"bat": "bat", "cmd": "bat", "ps1": "ps1", "jar": "jar", "py": "py"}.get(ext, "exe")


@dataclass(frozen=True)
class Case:
    id: str
    bin: object
    """The manifest's ``bin`` value."""
    refused_at: str | None = None
    """Key path a refusal must name; ``None``: the import must succeed."""
    runs: tuple[Run, ...] = ()
    warns: str | None = None
    """Text a conversion warning must hold (a launcher left out)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """More manifest keys."""
    files: tuple[str, ...] = ()
    """More payload members (stubs)."""


def _alias(alias: str, *, ok: bool = False) -> Case:
    if ok:
        return Case(f"alias {alias!r}", [["tool.exe", alias]], runs=(Run(alias, "tool.exe"),))
    return Case(f"alias {alias!r}", [["tool.exe", alias]], refused_at="bin[0][1]")


def _target(target: str, norm: str | None = None, *, present: bool = True) -> Case:
    if norm is None:
        return Case(f"target {target!r}", [[target, "t"]], refused_at="bin[0][0]")
    return Case(f"target {target!r}", [[target, "t"]], runs=(Run("t", norm, present=present),))


def _args(
    args: list[str], expected: list[str] | None = None, *, at: int = 2, target: str = "tool.exe"
) -> Case:
    entry = [target, "t", *args]
    if expected is None:
        return Case(f"args {args!r} {target}", [entry], refused_at=f"bin[0][{at}]")
    return Case(f"args {args!r} {target}", [entry], runs=(Run("t", target, tuple(expected)),))


HOSTILE_ALIASES = [
    CLIMB + "evil",
    "{abs}/abs-evil",
    "../app/tool.exe",
    "a/b",
    "a\\b",
    'a"b',
    "a\nb",
    "a\rb",
    "a\tb",
    "a\x00b",
    "a;b",
    "a&b",
    "a|b",
    "a<b",
    "a>b",
    "$(touch pwned)",
    "$x",
    "`touch pwned`",
    "%PATH%",
    "!PATH!",
    "a'b",
    "a^b",
    "a(b)",
    "a:b",
    "a*b",
    "a?b",
    "a,b",
    "a=b",
    "a#b",
    "~a",
    "caf\u00e9",
    "\u5de5\u5177",
    "a\u2019b",
    "a\u200bb",
    "CON",
    "nul.txt",
    "x.",
    "..",
    ".",
    " lead",
    "trail ",
    "a  b",
    "x" * 300,
]
SAFE_ALIASES = ["a b", "tool-1.2_x+y", "UPPER", "my tool 2"]

ALIAS_CASES = [_alias(a) for a in HOSTILE_ALIASES] + [_alias(a, ok=True) for a in SAFE_ALIASES]

TARGET_CASES = [
    # Escapes and paths no Windows file can have: refused.
    _target("../../evil.exe"),
    _target("bin/../../evil.exe"),
    _target("/etc/passwd"),
    _target("C:\\Windows\\x.exe"),
    _target("\\\\server\\share\\x.exe"),
    _target("bin/$(touch pwned).exe"),
    _target("$dir\\tool.exe"),
    _target("bin/%PATH%.exe"),
    _target("bin/a|b.exe"),
    _target("bin/a<b>.exe"),
    _target('bin/a"b.exe'),
    _target("bin/a*.exe"),
    _target("bin/a?.exe"),
    _target("bin/x.exe:stream"),
    _target("bin/a\nb.exe"),
    _target("bin/a\rb.exe"),
    _target("bin/a\x00b.exe"),
    _target("bin/caf\u00e9.exe"),
    _target("bin/a\u2019b.exe"),
    _target(""),
    _target("bin/a^b.bat"),  # CALL doubles carets even inside quotes
    # Characters a shell would interpret: kept as data.
    _target("bin/`touch pwned`.exe", "bin/`touch pwned`.exe"),
    _target("bin/a;touch pwned;b.exe", "bin/a;touch pwned;b.exe"),
    _target("bin/a&touch pwned.exe", "bin/a&touch pwned.exe"),
    _target("bin/a'b.exe", "bin/a'b.exe"),
    _target("bin/it's 'x'.exe", "bin/it's 'x'.exe"),
    _target("bin/a b.exe", "bin/a b.exe"),
    _target("bin/a!b!.exe", "bin/a!b!.exe"),
    _target("bin/a(b).exe", "bin/a(b).exe"),
    _target("bin/a^b.exe", "bin/a^b.exe"),
    _target("bin/a,b=c#d~e.exe", "bin/a,b=c#d~e.exe"),
    _target("bin/a[1]{2}.exe", "bin/a[1]{2}.exe"),
    _target("bin/-x.exe", "bin/-x.exe"),
    _target("bin\\win\\sep.exe", "bin/win/sep.exe"),
    _target(".\\dot.exe", "dot.exe"),
    _target("bin/./dot.exe", "bin/dot.exe"),
    _target("bin/x&y(1).bat", "bin/x&y(1).bat"),
    _target("bin/a'&b;`c`.ps1", "bin/a'&b;`c`.ps1"),
    _target("lib/a;b'c&.jar", "lib/a;b'c&.jar"),
    _target("py/a`b`!.py", "py/a`b`!.py"),
    _target("`touch pwned`.exe", "`touch pwned`.exe", present=False),
    _target("pwsh.exe", "pwsh.exe", present=False),
]

ARG_CASES = [
    _args(['"a;touch pwned"'], ["a;touch pwned"]),
    _args(["x & touch pwned"], ["x", "&", "touch", "pwned"]),
    _args(['"x | touch pwned > out"'], ["x | touch pwned > out"]),
    _args(["`touch pwned`"], ["`touch", "pwned`"]),
    _args(["\"'; touch pwned; '\""], ["'; touch pwned; '"]),
    _args(["it's", "''"], ["it's", "''"]),
    _args(["100%"], ["100%"]),
    _args(["%PATH%", "%%", "%~dp0", "%1"], ["%PATH%", "%%", "%~dp0", "%1"]),
    _args(["!PATH!"], ["!PATH!"]),
    _args(["^&^|", "^"], ["^&^|", "^"]),
    _args(["(x)", "<y>", "a|b"], ["(x)", "<y>", "a|b"]),
    _args(['"a b" c', "d"], ["a b", "c", "d"]),
    _args(["$dir\\conf"], ["{app}\\conf"]),
    _args(['"$dir\\my conf"', "--x=$original_dir"], ["{app}\\my conf", "--x={app}"]),
    _args(['""'], [""]),
    _args(["a\\\\b", "c\\d"], ["a\\\\b", "c\\d"]),
    _args(["#", "~", "*", "?", "a,b;c=d"], ["#", "~", "*", "?", "a,b;c=d"]),
    _args(['"unterminated'], ["unterminated"]),
    _args(["-c", "--%", "@args"], ["-c", "--%", "@args"]),
    _args(["a&b", "!x!", "(y)"], ["a&b", "!x!", "(y)"], target="run.bat"),
    _args(["a&b"], ["a&b"], target="script.ps1"),
    _args(["a;b'c"], ["a;b'c"], target="lib/x.jar"),
    _args(["`id`"], ["`id`"], target="x.py"),
    # Refused: a PowerShell variable, control characters, an escaped quote, non-ASCII, a
    # trailing backslash (Windows programs read \" as a quote), % and ^ for batch files.
    _args(["$(touch pwned)"]),
    _args(["$env:PATH"]),
    _args(["${x}"]),
    _args(["$dirx"]),
    _args(["a\nb"]),
    _args(["ok", "a\rb"], at=3),
    _args(["a\x00b"]),
    _args(['a\\"b']),
    _args(["caf\u00e9"]),
    _args(["\u2018q\u2019"]),
    _args(["trailing\\"]),
    _args(['"$dir\\"']),
    _args(["100%"], target="run.bat"),
    _args(["^x"], target="run.bat"),
]

OTHER_CASES = [
    Case(
        "architecture key path",
        [["tool.exe", "ok"]],
        refused_at="architecture.64bit.bin[1][1]",
        extra={"architecture": {"64bit": {"bin": [["tool.exe", "ok"], ["tool.exe", "a/b"]]}}},
    ),
    Case("string bin: key path", "../../evil.exe", refused_at="bin"),
    Case("derived alias of an escaping target", ["tool.exe", "../a;b.exe"], refused_at="bin[1]"),
    Case("missing target starting with '-'", [["-x.exe", "t"]], refused_at="bin[0][0]"),
    Case("list bin: key path", ["tool.exe", "../../evil.exe"], refused_at="bin[1]"),
    Case(
        "psmodule name",
        [["tool.exe", "t"]],
        refused_at="psmodule.name",
        extra={"psmodule": {"name": CLIMB + "evil"}},
    ),
    Case(
        "psmodule name with a slash",
        None,
        refused_at="psmodule.name",
        extra={"psmodule": {"name": "a/b"}},
    ),
    Case(
        "launcher files collide",
        [["tool.exe", "x"], ["tool.exe", "x.cmd"]],
        refused_at="bin[1][1]",
    ),
    Case(
        "implicit alias that is no command name is left out",
        ["tool.exe", "tool(-k).exe", "bin/a;b.exe"],
        runs=(Run("tool", "tool.exe"),),
        warns="tool(-k)",
        files=("tool(-k).exe", "bin/a;b.exe"),
    ),
    Case(
        "same alias twice: the later one wins",
        [["tool.exe", "X"], ["other.exe", "x", "--later"]],
        runs=(Run("x", "other.exe", ("--later",)),),
        files=("other.exe",),
    ),
]

CASES = ALIAS_CASES + TARGET_CASES + ARG_CASES + OTHER_CASES


# -- the sandbox ---------------------------------------------------------------------------------


@dataclass
class Sandbox:
    root: Path
    """The repository's parent: nothing but the repository may change under it."""
    repo: Path
    work: Path
    """Outside the parent: manifests, stubs, the launchers' working folder."""
    server: Server

    @property
    def stubs(self) -> Path:
        return self.work / "stubs"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    real = Path(os.path.realpath(tmp_path))  # the sh launcher resolves its folder with pwd
    root = real / "parent"
    repo = root / "repo"
    write_bind_packages(repo)
    (root / "tmp").mkdir()
    # The importer's temporary folders go under the snapshot too.
    monkeypatch.setattr(tempfile, "tempdir", str(root / "tmp"))
    work = real / "work"
    stubs = work / "stubs"
    stubs.mkdir(parents=True)
    for name in ("cmd.exe", "powershell.exe", "java", "python", "pwsh.exe", "`touch pwned`.exe"):
        (stubs / name).write_bytes(STUB)
        (stubs / name).chmod(0o755)
    with serve(monkeypatch) as server:
        yield Sandbox(root=root, repo=repo, work=work, server=server)


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under *folder* with its bytes (``None`` for folders and links)."""
    return {
        p.relative_to(folder).as_posix(): (
            p.read_bytes() if p.is_file() and not p.is_symlink() else None
        )
        for p in folder.rglob("*")
    }


def _outside_repo(snapshot: dict[str, bytes | None]) -> dict[str, bytes | None]:
    return {k: v for k, v in snapshot.items() if k != "repo" and not k.startswith("repo/")}


def _manifest(box: Sandbox, case: Case) -> dict[str, Any]:
    members = {"tool.exe": STUB, "readme.txt": b"payload"}
    for run in case.runs:
        if run.present:
            members[run.target] = STUB
    for name in case.files:
        members[name] = STUB
    data = make_zip(members)
    url = box.server.add(f"/{sha256(data)}.zip", data)
    manifest: dict[str, Any] = {
        "version": "1.0",
        "homepage": "https://example.invalid",
        "license": "MIT",
        "url": url,
        "hash": sha256(data),
    }
    if case.bin is not None:
        manifest["bin"] = case.bin
    extra = json.loads(json.dumps(case.extra).replace("{abs}", str(box.root)))
    for arch, block in extra.get("architecture", {}).items():
        block.setdefault("url", url)
        block.setdefault("hash", sha256(data))
        extra["architecture"][arch] = block
    manifest.update(extra)
    if isinstance(manifest.get("bin"), list):
        manifest["bin"] = json.loads(json.dumps(manifest["bin"]).replace("{abs}", str(box.root)))
    return manifest


def _cli(
    box: Sandbox, manifest: dict[str, Any], capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, str, str]:
    path = box.work / "hostile.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    code = main(["scoop", str(path), "--repo", str(box.repo), *options])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_refused(code: int, err: str, key_path: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines, err
    assert lines[0].startswith("error: "), err
    assert f"at {key_path!r}" in lines[0], err
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), err
    assert len(lines) <= 2, err


def _variant_root(repo: Path) -> Path:
    roots = [p.parent for p in (repo / "hostile" / "1.0").rglob("app")]
    assert len(roots) == 1, roots
    return roots[0]


# -- the end-to-end test -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_bin_entry_imports_safely_or_is_refused(
    case: Case, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a repository (with packages in it) and a manifest with a hostile bin entry
    before = _snapshot(sandbox.root)
    # WHEN it is imported through the CLI
    code, out, err = _cli(sandbox, _manifest(sandbox, case), capsys, "--json")
    after = _snapshot(sandbox.root)
    # THEN nothing outside the repository changed, whatever happened
    assert _outside_repo(after) == _outside_repo(before)
    if case.refused_at is not None:
        # and a refusal names the key path and leaves the repository exactly as it was
        _assert_refused(code, err, case.refused_at)
        assert after == before
        return
    assert code == 0, err
    root = _variant_root(sandbox.repo)
    expected_files = {f"{r.alias}{ext}" for r in case.runs for ext in ("", ".cmd", ".ps1")}
    assert {p.name for p in (root / "bin").iterdir()} == expected_files
    [row] = json.loads(out)
    assert row["tools"] == [r.alias for r in case.runs]
    if case.warns:
        assert any(case.warns in w for w in row["warnings"]), row["warnings"]
    for path in (root / "app").rglob("*"):
        if path.is_file():
            path.chmod(0o755)  # zip members carry no mode; the stubs must be runnable
    for run in case.runs:
        _check_sh(sandbox, root, run)
        _check_cmd(root, run)
        _check_ps1(root, run)


# -- --definition-only --------------------------------------------------------------------------


@pytest.mark.parametrize("alias", HOSTILE_ALIASES, ids=repr)
def test_definition_only_refuses_unsafe_aliases(
    alias: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(sandbox.root)
    case = _alias(alias)
    code, _, err = _cli(sandbox, _manifest(sandbox, case), capsys, "--definition-only")
    _assert_refused(code, err, "bin[0][1]")
    assert _snapshot(sandbox.root) == before


@pytest.mark.parametrize("alias", SAFE_ALIASES)
def test_definition_only_keeps_safe_aliases(
    alias: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(sandbox.root)
    code, out, err = _cli(
        sandbox, _manifest(sandbox, _alias(alias, ok=True)), capsys, "--definition-only", "--json"
    )
    assert code == 0, err
    assert json.loads(out)[0]["tools"] == [alias]
    assert _outside_repo(_snapshot(sandbox.root)) == _outside_repo(before)


def test_definition_only_leaves_out_implicit_aliases_that_are_no_command_names(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _manifest(sandbox, Case("x", ["tool.exe", "exiftool(-k).exe", "a b;c.exe"]))
    code, out, err = _cli(sandbox, manifest, capsys, "--definition-only", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["tools"] == ["tool"]
    assert any("exiftool(-k)" in w for w in json.loads(out)[0]["warnings"])


# -- recipes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "C:\\x", "a/../../x", "a\\..\\..\\x", ""])
@pytest.mark.parametrize("key", ["path", "bundle"])
def test_recipe_paths_are_checked_when_the_recipe_is_read(path: str, key: str) -> None:
    step: dict[str, object] = (
        {"op": "delete", "path": path}
        if key == "path"
        else {"op": "burn-extract-msis", "bundle": path}
    )
    data = {"name": "r", "apps": ["x"], "replaces": ["installer"], "steps": [step]}
    with pytest.raises(InvalidManifest) as info:
        parse_recipe(data, "scoop-r.json")
    assert info.value.key_path == f"scoop-r.json.steps[0].{key}"


def test_recipe_steps_never_touch_files_outside_the_app_folder(tmp_path: Path) -> None:
    (tmp_path / "root" / "app").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("keep")
    recipe = Recipe(
        name="r",
        summary="",
        apps=("x",),
        when_hook="installer",
        when_contains="",
        replaces=frozenset(),
        steps=({"op": "delete", "path": "../../victim"},),
    )
    with pytest.raises(PayloadError):
        apply_recipe(recipe, tmp_path / "root")
    assert victim.read_text() == "keep"


# -- sh: run it ---------------------------------------------------------------------------------


def _check_sh(box: Sandbox, root: Path, run: Run) -> None:
    """Run the sh launcher with stub targets; the argv must be exactly the intended one."""
    cwd = box.work / "cwd"
    cwd.mkdir(exist_ok=True)
    argv_file = box.work / "argv"
    argv_file.unlink(missing_ok=True)
    env = {"PATH": f"{box.stubs}:/usr/bin:/bin", "ARGV_OUT": str(argv_file)}
    result = subprocess.run(
        [str(root / "bin" / run.alias), *USER_ARGS],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert list(cwd.iterdir()) == [], "the launcher ran something in its working folder"
    assert not list(box.root.parent.rglob(MARKER)), "a hostile command ran"
    argv = [os.fsdecode(a) for a in argv_file.read_bytes().split(b"\0")[:-1]]
    app = str(root / "app")
    target = f"{app}/{run.target}" if run.present else run.target
    fixed = [a.replace("{app}", app) for a in run.args]
    program, expected = {
        "exe": (target, [*fixed, *USER_ARGS]),
        # A batch file runs in cmd.exe: the sh launcher hands over to the .cmd one, so only
        # the .cmd launcher (checked below) carries manifest text for cmd.exe.
        "bat": (f"{box.stubs}/cmd.exe", ["//c", f"{root}/bin/{run.alias}.cmd", *USER_ARGS]),
        "ps1": (
            f"{box.stubs}/powershell.exe",
            ["-NoProfile", "-ExecutionPolicy", "Bypass", "-File", target, *fixed, *USER_ARGS],
        ),
        "jar": (f"{box.stubs}/java", ["-jar", target, *fixed, *USER_ARGS]),
        "py": (f"{box.stubs}/python", [target, *fixed, *USER_ARGS]),
    }[run.kind]
    if run.kind == "exe" and not run.present:
        program = f"{box.stubs}/{run.target}"
    assert os.path.realpath(argv[0]) == os.path.realpath(program)
    assert [os.fsencode(a) for a in argv[1:]] == [os.fsencode(a) for a in expected]


# -- cmd.exe: a model of its parser --------------------------------------------------------------

CMD_DP0 = "C:\\R\\bin\\"
CMD_APP = CMD_DP0 + "..\\app"
CMD_HEADER = [
    "@echo off",
    "setlocal EnableExtensions DisableDelayedExpansion",
    'set "PKG_APP=%~dp0..\\app"',
]
USER = "\x01user-arguments\x01"
"""What ``%*`` and ``@args`` stand for (no manifest text can hold a control character)."""


def _cmd_percent(text: str) -> str:
    """Phase 1 in a batch file: ``%%`` is ``%``; only ``%*``, ``%~dp0`` and known names expand."""
    known = {"PKG_APP": CMD_APP, "ERRORLEVEL": "0"}
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "%":
            out.append(text[i])
            i += 1
        elif text.startswith("%%", i):
            out.append("%")
            i += 2
        elif text.startswith("%*", i):
            out.append(USER)
            i += 2
        elif text.startswith("%~dp0", i):
            out.append(CMD_DP0)
            i += 5
        else:
            end = text.find("%", i + 1)
            name = text[i + 1 : end].upper() if end > i else ""
            assert name in known, f"cmd.exe would expand {text[i:]!r}"
            out.append(known[name])
            i = end + 1
    return "".join(out)


def _cmd_operators(text: str) -> None:
    """Phase 2: outside quotes ``^ & | < > ( )`` are operators; the launcher must use none."""
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "^&|<>()":
            raise AssertionError(f"cmd.exe reads {char!r} as an operator: {text[i:]!r}")
    assert not quoted, f"unbalanced quotes: {text!r}"


def _msvc_argv(text: str) -> list[str]:
    r"""Split a command line as the Microsoft C runtime does (``\"``, ``\\"``, ``""``)."""
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            end = i
            while end < len(text) and text[end] == "\\":
                end += 1
            run = end - i
            if end < len(text) and text[end] == '"':
                current.append("\\" * (run // 2))
                if run % 2:
                    current.append('"')
                    end += 1
            else:
                current.append("\\" * run)
            started = True
            i = end
        elif char == '"':
            if quoted and text[i + 1 : i + 2] == '"':
                current.append('"')
                i += 2
            else:
                quoted = not quoted
                i += 1
            started = True
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
            i += 1
        else:
            current.append(char)
            started = True
            i += 1
    if started:
        args.append("".join(current))
    return args


def _batch_argv(text: str) -> list[str]:
    """Split a batch file's arguments (``%~1``...): delimiters outside quotes, quotes dropped."""
    tokens: list[str] = []
    current = ""
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
            current += char
        elif not quoted and char in " \t,;=":
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    return [t[1:-1] if len(t) > 1 and t[0] == t[-1] == '"' else t for t in tokens]


def cmd_command(text: str) -> list[str]:
    """Return the argv a ``.cmd`` launcher runs, as cmd.exe would parse it."""
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert len(lines) == len(CMD_HEADER) + 2, lines
    assert lines[: len(CMD_HEADER)] == CMD_HEADER
    assert lines[-1] == "exit /b %ERRORLEVEL%"
    line = lines[len(CMD_HEADER)]
    assert not re.search(r"[\x00-\x1f\x7f]", line), line
    expanded = _cmd_percent(line)
    _cmd_operators(expanded)
    if expanded.startswith("call "):
        rest = expanded[len("call ") :]
        # CALL expands percents a second time and doubles every caret, even inside quotes.
        assert "^" not in rest, f"CALL doubles the caret in {line!r}"
        rest = _cmd_percent(rest)
        _cmd_operators(rest)
        return ["call", *_batch_argv(rest)]
    return _msvc_argv(expanded)


def _check_cmd(root: Path, run: Run) -> None:
    data = (root / "bin" / f"{run.alias}.cmd").read_bytes()
    assert data.isascii(), "cmd.exe reads batch files in the OEM code page"
    target = run.target.replace("/", "\\")
    target = f"{CMD_APP}\\{target}" if run.present else target
    fixed = [a.replace("{app}", CMD_APP) for a in run.args]
    runner = {
        "exe": [],
        "bat": ["call"],
        "ps1": ["powershell.exe", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File"],
        "jar": ["java.exe", "-jar"],
        "py": ["python.exe"],
    }[run.kind]
    assert cmd_command(data.decode("ascii")) == [*runner, target, *fixed, USER]


# -- PowerShell: a model of its tokenizer --------------------------------------------------------

PS_APP = "P:\\app"
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"
_PS_TOKEN = re.compile(
    rf"""(?P<space>\ +)
    |(?P<string>[{_PS_QUOTES}](?:[^{_PS_QUOTES}]|[{_PS_QUOTES}]{{2}})*[{_PS_QUOTES}])
    |(?P<op>[&()+])
    |(?P<var>\$app|@args)(?![\w:])
    |(?P<word>Join-Path|java\.exe|python\.exe|-jar)(?=[ )]|$)
    """,
    re.VERBOSE,
)


def _ps_tokens(line: str) -> list[tuple[str, str]]:
    """Tokenize; anything but the launcher's fixed words, ``$app`` and quoted literals fails."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(line):
        match = _PS_TOKEN.match(line, pos)
        assert match is not None, f"PowerShell would read code at {line[pos:]!r}"
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


def _ps_string(token: str) -> str:
    body = token[1:-1]
    return re.sub(rf"[{_PS_QUOTES}]([{_PS_QUOTES}])", r"\1", body)


def _ps_value(tokens: list[tuple[str, str]], i: int) -> tuple[str, int]:
    kind, text = tokens[i]
    if kind == "string":
        return _ps_string(text), i + 1
    if kind in {"word", "var"}:
        return {"$app": PS_APP, "@args": USER}.get(text, text), i + 1
    assert text == "(", tokens[i:]
    if tokens[i + 1] == ("word", "Join-Path"):
        assert tokens[i + 2] == ("var", "$app")
        assert tokens[i + 3][0] == "string"
        assert tokens[i + 4] == ("op", ")")
        return PS_APP + "\\" + _ps_string(tokens[i + 3][1]), i + 5
    parts: list[str] = []
    i += 1
    while True:
        kind, text = tokens[i]
        assert kind == "string" or text == "$app", tokens[i:]
        parts.append(_ps_string(text) if kind == "string" else PS_APP)
        i += 1
        if tokens[i] == ("op", ")"):
            return "".join(parts), i + 1
        assert tokens[i] == ("op", "+"), tokens[i:]
        i += 1


def ps1_command(text: str) -> list[str]:
    """Return the argv a ``.ps1`` launcher runs, reading it as PowerShell's tokenizer would."""
    lines = text.split("\n")
    assert lines[-1] == ""
    assert lines[0] == "$app = Join-Path $PSScriptRoot '..\\app'"
    assert lines[2] == "exit $LASTEXITCODE"
    assert len(lines) == 4
    tokens = _ps_tokens(lines[1])
    assert tokens[0] == ("op", "&")
    argv: list[str] = []
    i = 1
    while i < len(tokens):
        value, i = _ps_value(tokens, i)
        argv.append(value)
    return argv


def _check_ps1(root: Path, run: Run) -> None:
    data = (root / "bin" / f"{run.alias}.ps1").read_bytes()
    # Windows PowerShell reads a file without a BOM in the ANSI code page.
    assert data.isascii() or data.startswith(b"\xef\xbb\xbf")
    target = run.target.replace("/", "\\")
    target = f"{PS_APP}\\{target}" if run.present else target
    fixed = [a.replace("{app}", PS_APP) for a in run.args]
    runner = {"jar": ["java.exe", "-jar"], "py": ["python.exe"]}.get(run.kind, [])
    assert ps1_command(data.decode("utf-8-sig")) == [*runner, target, *fixed, USER]


def test_the_models_catch_unquoted_manifest_text() -> None:
    """The checks above would fail the launchers of today's mistakes."""
    header = "\r\n".join(CMD_HEADER)
    with pytest.raises(AssertionError, match="operator"):
        cmd_command(f'{header}\r\n"%PKG_APP%\\a.exe" a&calc %*\r\nexit /b %ERRORLEVEL%\r\n')
    with pytest.raises(AssertionError, match="expand"):
        cmd_command(f'{header}\r\n"%PKG_APP%\\a.exe" "%PATH%" %*\r\nexit /b %ERRORLEVEL%\r\n')
    with pytest.raises(AssertionError, match="caret"):
        cmd_command(f'{header}\r\ncall "%PKG_APP%\\a^.bat" %*\r\nexit /b %ERRORLEVEL%\r\n')
    ps_head = "$app = Join-Path $PSScriptRoot '..\\app'\n"
    with pytest.raises(AssertionError, match="code"):
        ps1_command(f"{ps_head}& (Join-Path $app 'a.exe') $(calc) @args\nexit $LASTEXITCODE\n")
    with pytest.raises(AssertionError, match="code"):
        ps1_command(f"{ps_head}& 'it\u2019s' @args\nexit $LASTEXITCODE\n")
