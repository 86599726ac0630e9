"""Issue 9, PyPI side: nothing a wheel names becomes an unsafe file, or code, or a traceback.

Every case builds its wheel here, serves it on loopback and imports it through the CLI as a
user would: the import fails with exit code 1, one ``error:`` line naming the wheel and the
member (or the metadata field) and a ``hint:`` line, no traceback, and the repository exactly
as it was.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from pkgimport.cli import main
from pkgimport.importers.pypi._cache import DownloadCache
from pkgimport.importers.pypi._errors import InvalidWheel, UnsafeWheelName
from pkgimport.importers.pypi._index import DistFile
from pkgimport.importers.pypi._scripts import parse_object_reference, render_launcher
from pkgimport.importers.pypi._wheel import check_wheel, install_wheel
from tests.importers.pypi.pypi_testing import WheelSpec, build_wheel

if TYPE_CHECKING:
    from tests.importers.pypi.pypi_testing import IndexServer

WHEEL = "wheel ep-1.0-py3-none-any.whl"
ENTRY_POINTS = f"{WHEEL} member 'ep-1.0.dist-info/entry_points.txt'"
TOOL_RULE = (
    "a tool name is one path component of letters, digits, '._+-', starting with a letter, "
    "digit or '_'"
)


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def _snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Every path under *root* with its kind and content hash (folders: their mode)."""
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_dir():
            out[key] = ("dir", oct(path.stat().st_mode))
        else:
            out[key] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def _seeded_repository(tmp_path: Path) -> Path:
    """A repository holding one package, so "unchanged" is more than "still empty"."""
    repo = tmp_path / "repo"
    package = repo / "existing" / "1.0"
    package.mkdir(parents=True)
    (package / "package.py").write_text("name = 'existing'\nversion = '1.0'\n")
    return repo


def _import_refused(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: WheelSpec
) -> str:
    """Import *spec* through the CLI; check the refusal; return its one ``error:`` line."""
    index.add_wheels(spec)
    repo = _seeded_repository(tmp_path)
    before = _snapshot(repo)
    code = main(["pypi", spec.name, "--repo", str(repo), "--no-deps"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert len(errors) == 1, captured.err
    assert lines[errors[0] + 1].startswith("hint: "), captured.err
    assert lines[errors[0] + 2 :] == [], captured.err  # the message is one line
    assert _snapshot(repo) == before
    return lines[errors[0]].removeprefix("error: ")


# -- 1. entry point names: one safe path component --------------------------------------------

ENTRY_POINT_NAMES = [
    ("a/b", f"{ENTRY_POINTS} [console_scripts]: 'a/b' is not a safe file name ({TOOL_RULE})"),
    (".", f"{ENTRY_POINTS} [console_scripts]: '.' is not a safe file name ({TOOL_RULE})"),
    ("..", f"{ENTRY_POINTS} [console_scripts]: '..' is not a safe file name ({TOOL_RULE})"),
    ("-rf", f"{ENTRY_POINTS} [console_scripts]: '-rf' is not a safe file name ({TOOL_RULE})"),
    (
        ".hidden",
        f"{ENTRY_POINTS} [console_scripts]: '.hidden' is not a safe file name ({TOOL_RULE})",
    ),
    ("a b", f"{ENTRY_POINTS} [console_scripts]: 'a b' is not a safe file name ({TOOL_RULE})"),
    ("con", f"{ENTRY_POINTS} [console_scripts]: 'con' is not a safe file name ({TOOL_RULE})"),
    ("$(id)", f"{ENTRY_POINTS} [console_scripts]: '$(id)' is not a safe file name ({TOOL_RULE})"),
    (
        "x&calc",
        f"{ENTRY_POINTS} [console_scripts]: 'x&calc' is not a safe file name ({TOOL_RULE})",
    ),
]


@pytest.mark.parametrize(("name", "message"), ENTRY_POINT_NAMES)
def test_entry_point_name_must_be_a_safe_tool_name(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    message: str,
) -> None:
    spec = WheelSpec(name="ep", version="1.0", console_scripts={name: "ep:main"})
    assert _import_refused(index, tmp_path, capsys, spec) == message


def test_gui_script_name_is_checked_too(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = WheelSpec(name="ep", version="1.0", entry_points_text="[gui_scripts]\nx/y = ep:main\n")
    assert _import_refused(index, tmp_path, capsys, spec) == (
        f"{ENTRY_POINTS} [gui_scripts]: 'x/y' is not a safe file name ({TOOL_RULE})"
    )


# -- 2. entry point values: 'module:function', nothing else -----------------------------------

REFERENCE = f"{ENTRY_POINTS} [console_scripts] 'x'"
ENTRY_POINT_VALUES = [
    ("ep", f"{REFERENCE}: 'ep' is not 'module:function' (the ':function' part is missing)"),
    (
        "bad target:main",
        (
            f"{REFERENCE}: 'bad target:main' is not 'module:function' ('bad target' is not a "
            "dotted Python name)"
        ),
    ),
    (
        "1abc:main",
        f"{REFERENCE}: '1abc:main' is not 'module:function' ('1abc' is not a dotted Python name)",
    ),
    (
        "import:main",
        f"{REFERENCE}: 'import:main' is not 'module:function' ('import' is a Python keyword)",
    ),
    (
        "ep:main()",
        f"{REFERENCE}: 'ep:main()' is not 'module:function' ('main()' is not a dotted Python name)",
    ),
    (
        "ep:main;import os",
        (
            f"{REFERENCE}: 'ep:main;import os' is not 'module:function' ('main;import os' is not "
            "a dotted Python name)"
        ),
    ),
    (
        "ep..x:main",
        f"{REFERENCE}: 'ep..x:main' is not 'module:function' ('ep..x' is not a dotted Python name)",
    ),
    (
        "ep:main [a b]",
        f"{REFERENCE}: 'ep:main [a b]' is not 'module:function' ('a b' is not an extra name)",
    ),
    (
        "ep:main # comment",
        (
            f"{REFERENCE}: 'ep:main # comment' is not 'module:function' ('main # comment' is not "
            "a dotted Python name)"
        ),
    ),
    (
        "ep:100%",
        f"{REFERENCE}: 'ep:100%' is not 'module:function' ('100%' is not a dotted Python name)",
    ),
    (
        "ep:main\n    more",
        (
            f"{REFERENCE}: 'ep:main\\nmore' is not 'module:function' (it goes on over a "
            "continuation line; an entry point is one line)"
        ),
    ),
]


@pytest.mark.parametrize(("value", "message"), ENTRY_POINT_VALUES)
def test_entry_point_value_must_be_module_colon_function(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    value: str,
    message: str,
) -> None:
    spec = WheelSpec(name="ep", version="1.0", console_scripts={"x": value})
    assert _import_refused(index, tmp_path, capsys, spec) == message


ENTRY_POINT_FILES = [
    (
        "[console_scripts]\nx = ep:main\nx = ep:other\n",
        f"{ENTRY_POINTS}: line 3: [console_scripts] 'x' is given twice",
    ),
    (
        "[console_scripts]\nnot an entry point\n",
        f"{ENTRY_POINTS}: line 2: 'not an entry point' is not 'name = value'",
    ),
    ("x = ep:main\n", f"{ENTRY_POINTS}: line 1: 'x = ep:main' comes before any [section]"),
    (
        "[console_scripts]\nx = ep:main\n[gui_scripts]\nx = ep:main\n",
        f"{WHEEL}: [console_scripts] 'x' and [gui_scripts] 'x' would both write 'bin/x'",
    ),
    (
        "[console_scripts]\nTool = ep:main\ntool = ep:main\n",
        (
            f"{WHEEL}: [console_scripts] 'Tool' and [console_scripts] 'tool' would both write "
            "'bin/tool' (names that differ only in case are one file on Windows and macOS)"
        ),
    ),
    (
        "[console_scripts]\nx = ep:main\nx.cmd = ep:main\n",
        (
            f"{ENTRY_POINTS} [console_scripts]: 'x.cmd' is not a safe file name (it ends in "
            "'.cmd', the suffix of the Windows launchers)"
        ),
    ),
]


@pytest.mark.parametrize(("text", "message"), ENTRY_POINT_FILES)
def test_entry_points_file_problems_are_one_clear_line(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    spec = WheelSpec(name="ep", version="1.0", entry_points_text=text)
    assert _import_refused(index, tmp_path, capsys, spec) == message


# -- 3. .data members and every other member --------------------------------------------------

DATA = "ep-1.0.data"
MEMBERS = [
    (
        {"scripts": {"sub/tool": "#!python\n"}},
        (
            f"{WHEEL} member '{DATA}/scripts/sub/tool': 'sub/tool' is not a safe file name "
            f"({TOOL_RULE})"
        ),
    ),
    (
        {"scripts": {"my tool": "#!python\n"}},
        f"{WHEEL} member '{DATA}/scripts/my tool': 'my tool' is not a safe file name ({TOOL_RULE})",
    ),
    (
        {"data": {"bin/sub/tool": "x"}},
        (
            f"{WHEEL} member '{DATA}/data/bin/sub/tool': 'sub/tool' is not a safe file name "
            f"({TOOL_RULE})"
        ),
    ),
    (
        {"data": {"package.py": "name = 'evil'\n"}},
        (
            f"{WHEEL} member '{DATA}/data/package.py': 'package.py' is not a safe file name "
            "(rez reads it as the package definition)"
        ),
    ),
    (
        {"data": {"Package.yaml": "name: evil\n"}},
        (
            f"{WHEEL} member '{DATA}/data/Package.yaml': 'Package.yaml' is not a safe file name "
            "(rez reads it as the package definition)"
        ),
    ),
    (
        {"scripts": {"ep": "#!python\n"}, "console_scripts": {"ep": "ep:main"}},
        f"{WHEEL}: [console_scripts] 'ep' and member '{DATA}/scripts/ep' would both write 'bin/ep'",
    ),
    (
        {"modules": {"ep/__init__.py": "", f"{DATA}/purelib/ep/__init__.py": ""}},
        (
            f"{WHEEL}: member 'ep/__init__.py' and member '{DATA}/purelib/ep/__init__.py' would "
            "both write 'python/ep/__init__.py'"
        ),
    ),
    (
        {"modules": {"ep": "", "ep/__init__.py": ""}},
        f"{WHEEL}: member 'ep' is a file, but member 'ep/__init__.py' needs a folder 'python/ep'",
    ),
    (
        {"modules": {f"{DATA}/scripts": "x"}},
        (
            f"{WHEEL} member '{DATA}/scripts': a .data member must be in a folder named after "
            "its scheme (purelib, platlib, headers, scripts, data)"
        ),
    ),
    (
        {"modules": {f"{DATA}/elsewhere/x": "x"}},
        (
            f"{WHEEL} member '{DATA}/elsewhere/x': a .data member must be in a folder named "
            "after its scheme (purelib, platlib, headers, scripts, data)"
        ),
    ),
    (
        {"modules": {"ep\\evil.py": "x"}},
        (
            "ep-1.0-py3-none-any.whl: refused: member 'ep\\\\evil.py' is not a safe path "
            "(component 'ep\\\\evil.py': it holds a backslash or a colon)"
        ),
    ),
    (
        {"modules": {"ep/a:b.py": "x"}},
        (
            "ep-1.0-py3-none-any.whl: refused: member 'ep/a:b.py' is not a safe path "
            "(component 'a:b.py': it holds a backslash or a colon)"
        ),
    ),
    (
        {"modules": {"ep/\x1b[2J.py": "x"}},
        (
            "ep-1.0-py3-none-any.whl: refused: member 'ep/\\x1b[2J.py' is not a safe path "
            "(component '\\x1b[2J.py': it holds a control character)"
        ),
    ),
    (
        {"modules": {"ep/./x.py": "x"}},
        (
            "ep-1.0-py3-none-any.whl: refused: member 'ep/./x.py' is not a safe path "
            "(component '.': empty, '.' or '..')"
        ),
    ),
    (
        {"modules": {"ep//x.py": "x", "ep/a\\b": "y"}},
        (
            "ep-1.0-py3-none-any.whl: refused: member 'ep//x.py' is not a safe path "
            "(component '': empty, '.' or '..'); member 'ep/a\\\\b' is not a safe path "
            "(component 'a\\\\b': it holds a backslash or a colon)"
        ),
    ),
]


@pytest.mark.parametrize(("fields", "message"), MEMBERS)
def test_unsafe_members_are_refused(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fields: dict[str, dict[str, str]],
    message: str,
) -> None:
    spec = WheelSpec(name="ep", version="1.0", **fields)  # type: ignore[arg-type]
    assert _import_refused(index, tmp_path, capsys, spec) == message


# -- 4. metadata: Requires-Dist / Requires-Python, and the file name's name and version -------

METADATA_HEAD = "Metadata-Version: 2.1\nName: ep\nVersion: 1.0\n"


def _reason(parse: type[Requirement | SpecifierSet], text: str) -> str:
    """The first line of packaging's own message for *text* (its wording changes between
    releases; the message quotes it and drops the caret lines below)."""
    with pytest.raises(ValueError, match=r".") as info:
        parse(text)
    return str(info.value).splitlines()[0]


def _bad_requirement(text: str) -> str:
    return f"Requires-Dist {text!r} is not a PEP 508 requirement ({_reason(Requirement, text)})"


def _bad_specifier(text: str) -> str:
    return f"Requires-Python {text!r} is not a PEP 440 specifier ({_reason(SpecifierSet, text)})"


@pytest.mark.parametrize("pep658", [True, False], ids=["index-metadata", "wheel-metadata"])
@pytest.mark.parametrize(
    ("extra", "problems"),
    [
        ("Requires-Dist: foo >= = 1\n", [_bad_requirement("foo >= = 1")]),
        ("Requires-Python: >=3.x\n", [_bad_specifier(">=3.x")]),
        (
            "Requires-Dist: six\nRequires-Dist: six[\nRequires-Python: >=3.x\n",
            [_bad_requirement("six["), _bad_specifier(">=3.x")],
        ),
    ],
)
def test_metadata_values_packaging_rejects(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: str,
    problems: list[str],
    *,
    pep658: bool,
) -> None:
    index.pep658 = pep658
    spec = WheelSpec(name="ep", version="1.0", metadata_text=METADATA_HEAD + extra)
    source = (
        f"{WHEEL} METADATA (the index's PEP 658 copy)"
        if pep658
        else f"{WHEEL} member 'ep-1.0.dist-info/METADATA'"
    )
    error = _import_refused(index, tmp_path, capsys, spec)
    assert error == f"{source}: " + "; ".join(problems)


@pytest.mark.parametrize("pep658", [True, False], ids=["index-metadata", "wheel-metadata"])
@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (
            "Name: ep\nVersion: 2.0\n",
            "Version '2.0' disagrees with the file name's '1.0'",
        ),
        (
            "Name: other\nVersion: 1.0\n",
            "Name 'other' disagrees with the file name's 'ep'",
        ),
        (
            "Name: other\nVersion: 1.0.post1\n",
            (
                "Name 'other' disagrees with the file name's 'ep'; Version '1.0.post1' "
                "disagrees with the file name's '1.0'"
            ),
        ),
    ],
)
def test_wheel_whose_metadata_disagrees_with_its_file_name(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    head: str,
    problem: str,
    *,
    pep658: bool,
) -> None:
    index.pep658 = pep658
    spec = WheelSpec(name="ep", version="1.0", metadata_text=f"Metadata-Version: 2.1\n{head}")
    source = (
        f"{WHEEL} METADATA (the index's PEP 658 copy)"
        if pep658
        else f"{WHEEL} member 'ep-1.0.dist-info/METADATA'"
    )
    assert _import_refused(index, tmp_path, capsys, spec) == f"{source}: {problem}"


def test_equal_versions_spelled_differently_are_the_same(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``1.0`` in the file name and ``1.0.0`` in METADATA are one PEP 440 version (pip agrees)."""
    index.add_wheels(
        WheelSpec(
            name="Ep",
            version="1.0",
            metadata_text="Metadata-Version: 2.1\nName: EP\nVersion: 1.0.0\n",
        )
    )
    repo = tmp_path / "repo"
    assert main(["pypi", "ep", "--repo", str(repo), "--no-deps", "--dry-run"]) == 0, (
        capsys.readouterr().err
    )


# -- 5. --json: one JSON document on stdout, also when the import fails ------------------------


def test_json_failure_is_one_document_on_stdout(index: IndexServer, tmp_path: Path) -> None:
    index.add_wheels(WheelSpec(name="ep", version="1.0", console_scripts={"a/b": "ep:main"}))
    repo = _seeded_repository(tmp_path)
    before = _snapshot(repo)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pkgimport",
            "pypi",
            "ep",
            "--repo",
            str(repo),
            "--no-deps",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    message = f"{ENTRY_POINTS} [console_scripts]: 'a/b' is not a safe file name ({TOOL_RULE})"
    assert json.loads(proc.stdout) == {
        "ok": False,
        "error": {
            "kind": "error",
            "type": "UnsafeWheelName",
            "message": message,
            "hint": "the wheel is broken or hostile: pick another version, or report it to the "
            "project; pkgimport never writes such a name to disk",
            "what": f"{ENTRY_POINTS} [console_scripts]",
            "name": "a/b",
        },
    }
    assert f"error: {message}" in proc.stderr.splitlines()
    assert _snapshot(repo) == before


# -- 6. launchers: hostile but valid names run the right function, and are never code ---------

HOSTILE_MODULE = """\
def sys():
    return 11
def import_module():
    return 12
def getattr():
    return 13
def target():
    return 14
def names():
    return 15
class obj:
    @staticmethod
    def method():
        return 16
"""
HOSTILE_SCRIPTS = {
    # The launcher's own names, as functions of the wheel: they must not shadow anything.
    "sys": ("ep:sys", 11),
    "import_module": ("ep:import_module", 12),
    "getattr": ("ep:getattr", 13),
    "target": ("ep:target", 14),
    "names": ("ep:names", 15),
    "dotted.name": ("ep:obj.method", 16),
    # A submodule the package does not import ("from ep import sub" finds it).
    "sub-module": ("ep:sub.main", 17),
    "x-": ("ep.sub:main", 17),
    # Non-ASCII and soft-keyword identifiers, spaces and extras as the specification allows.
    "unicode": ("épée:main", 18),
    "soft+keywords": ("match:case", 19),
    "a_b.c-d+e": ("ep : sys [extra1, extra.two]", 11),
}


def _code_shape(source: str) -> str:
    """The launcher's syntax tree with the wheel's part blanked: its strings (and the tuple
    of attribute names, whose length is the wheel's too)."""

    class Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            return ast.Constant("") if isinstance(node.value, str) else node

        def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
            if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                return ast.Constant("")
            return self.generic_visit(node)

    return ast.dump(Blank().visit(ast.parse(source)))


def _check_cmd_text(text: str) -> None:
    """Parse a .cmd as cmd.exe would: only pkgimport's own expansions and no operators."""
    assert text.isascii()
    lines = text.split("\r\n")
    assert lines[-1] == ""  # CRLF line ends, the last one included
    for line in lines[:-1]:
        # Phase 1, percent expansion: only the .cmd's own path, its arguments, the exit code.
        rest = re.sub(r"%~dpn0|%\*|%ERRORLEVEL%", "", line)
        assert "%" not in rest, line
        assert "!" not in line, line  # delayed expansion, if the user turned it on
        # Phase 2, operators and escapes count outside double quotes only.
        outside = "".join(rest.split('"')[::2])
        assert rest.count('"') % 2 == 0, line
        assert not set(outside) & set("&|<>^()"), line
    assert lines[:-1] == ['@python "%~dpn0" %*', "@exit /b %ERRORLEVEL%"]


def test_launchers_run_hostile_but_valid_names(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add_wheels(
        WheelSpec(
            name="ep",
            version="1.0",
            modules={
                "ep/__init__.py": HOSTILE_MODULE,
                "ep/sub.py": "def main():\n    return 17\n",
                "épée/__init__.py": "def main():\n    return 18\n",
                "match/__init__.py": "def case():\n    return 19\n",
            },
            console_scripts={name: value for name, (value, _) in HOSTILE_SCRIPTS.items()},
        )
    )
    repo = tmp_path / "repo"
    assert main(["pypi", "ep", "--repo", str(repo), "--no-deps"]) == 0, capsys.readouterr().err
    root = repo / "ep" / "1.0"
    bin_dir = root / "bin"
    assert sorted(p.name for p in bin_dir.iterdir()) == sorted(
        [*HOSTILE_SCRIPTS, *(f"{name}.cmd" for name in HOSTILE_SCRIPTS)]
    )
    assert "tools = [" in (root / "package.py").read_text()
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "python"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    shapes = set()
    for name, (_, code) in HOSTILE_SCRIPTS.items():
        launcher = bin_dir / name
        proc = subprocess.run(
            [str(launcher), "--flag"], env=env, capture_output=True, text=True, check=False
        )
        assert (name, proc.returncode, proc.stderr) == (name, code, "")
        text = launcher.read_text(encoding="ascii")  # pure ASCII: names are ascii() literals
        assert text.startswith("#!/usr/bin/env python\n")
        shapes.add(_code_shape(text))
        cmd = (bin_dir / f"{name}.cmd").read_bytes().decode("ascii")
        _check_cmd_text(cmd)
        assert name not in cmd  # nothing from the wheel: the same text for every tool
    assert len(shapes) == 1  # every launcher is the same code; only string literals differ


def test_launcher_text_keeps_names_as_literals() -> None:
    """Even names no check let through could not end the literal or the comment."""
    hostile = "x')\nimport os; os.system('id')  # \u2028\\"
    text = render_launcher(hostile, "main")
    assert text.isascii()
    assert _code_shape(text) == _code_shape(render_launcher("ep", "main"))
    assert ast.literal_eval(re.findall(r"import_module\((.*?)\)$", text, re.MULTILINE)[0]) == (
        hostile
    )


# -- 7. the checks on their own -----------------------------------------------------------------


def _replace_member(wheel: Path, member: str, data: bytes) -> Path:
    """Rewrite one member (RECORD keeps its old hash: only ``contents=False`` checks pass)."""
    with zipfile.ZipFile(wheel) as src:
        members = {i.filename: src.read(i) for i in src.infolist()}
    members[member] = data
    with zipfile.ZipFile(wheel, "w") as dst:
        for name, body in members.items():
            dst.writestr(name, body)
    return wheel


def test_member_named_like_the_data_folder_is_refused_before_installer_hangs(
    tmp_path: Path,
) -> None:
    # installer's scheme lookup never ends on a *file* named '<name>-<version>.data'.
    wheel = build_wheel(tmp_path, WheelSpec(name="ep", version="1.0", modules={DATA: "x"}))
    with pytest.raises(InvalidWheel) as info:
        check_wheel(wheel)
    assert str(info.value) == (
        f"{WHEEL} member '{DATA}': a .data member must be in a folder named after its scheme "
        "(purelib, platlib, headers, scripts, data)"
    )


def test_entry_points_that_are_not_utf8(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, WheelSpec(name="ep", version="1.0", console_scripts={"x": "a:b"}))
    _replace_member(wheel, "ep-1.0.dist-info/entry_points.txt", b"[console_scripts]\nx = \xff\n")
    with pytest.raises(InvalidWheel) as info:
        check_wheel(wheel, contents=False)
    assert str(info.value) == f"{ENTRY_POINTS}: not UTF-8 (invalid start byte at byte 22)"


@pytest.mark.parametrize(
    ("scripts", "error", "message"),
    [
        ({"a/b": "ep:main"}, UnsafeWheelName, "'a/b' is not a safe file name"),
        ({"x": "import:main"}, InvalidWheel, "'import' is a Python keyword"),
        ({"x": "ep"}, InvalidWheel, "cannot install: AssertionError"),
    ],
)
def test_install_without_check_still_refuses_what_would_become_code_or_files(
    tmp_path: Path, scripts: dict[str, str], error: type[Exception], message: str
) -> None:
    """install_wheel is the backstop: the launcher writer checks names and values again."""
    wheel = build_wheel(tmp_path, WheelSpec(name="ep", version="1.0", console_scripts=scripts))
    with pytest.raises(error) as info:
        install_wheel(wheel, tmp_path / "root")
    assert message in str(info.value)
    assert not (tmp_path / "root" / "bin" / "a").exists()


def test_wheel_with_its_own_installer_file(tmp_path: Path) -> None:
    spec = WheelSpec(
        name="ep",
        version="1.0",
        modules={"ep/__init__.py": "", "ep-1.0.dist-info/INSTALLER": "pip\n"},
    )
    wheel = build_wheel(tmp_path, spec)
    check_wheel(wheel)
    payload = install_wheel(wheel, tmp_path / "root")
    assert (payload.root / "python" / "ep-1.0.dist-info" / "INSTALLER").read_text() == "pip\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("black:main", ("black", "main")),
        ("black.cli : patched.main", ("black.cli", "patched.main")),
        ("tool:main [color, extra.two]", ("tool", "main")),
        ("tool:main[]", ("tool", "main")),
        ("épée:main", ("épée", "main")),
        ("match:case", ("match", "case")),
    ],
)
def test_object_references_the_specification_allows(value: str, expected: tuple[str, str]) -> None:
    assert parse_object_reference(value, what="x") == expected


# -- 8. the index's names for files: nothing reaches outside the cache ------------------------


def test_index_file_name_that_climbs_out_of_the_cache(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A build tag may hold anything: packaging parses this name, tags and all, as a wheel.
    listed = "ep-1.0-1/../../../../../../x-py3-none-any.whl"
    [wheel] = index.add_wheels(WheelSpec(name="ep", version="1.0"))
    index.listed_names[wheel.name] = listed
    repo = _seeded_repository(tmp_path)
    before = _snapshot(repo)
    assert main(["pypi", "ep", "--repo", str(repo), "--no-deps"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"error: index file name: {listed!r} is not a safe file name (component '..'" in err
    home = Path(os.environ["HOME"])
    assert list(home.parent.rglob("x-py3-none-any.whl")) == []
    assert _snapshot(repo) == before


def test_index_digests_are_never_paths(tmp_path: Path) -> None:
    cache = DownloadCache(tmp_path / "cache")
    secret = tmp_path / "secret"
    secret.write_bytes(b"Name: x\nVersion: 1\n")
    climbing = os.path.relpath(secret, tmp_path / "cache" / "metadata" / "xx")
    assert (tmp_path / "cache" / "metadata" / "xx" / climbing).resolve() == secret
    assert cache.get_blob("metadata", climbing) is None
    cache.put_blob("metadata", climbing, b"overwritten")
    assert secret.read_bytes() == b"Name: x\nVersion: 1\n"
    assert cache.get_payload(climbing) is None
    dist = DistFile(filename="x-1.0-py3-none-any.whl", url="https://i/x.whl", sha256=climbing)
    assert cache.cached(dist) is None


def test_local_wheel_whose_file_name_is_not_a_wheel_name(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = build_wheel(tmp_path / "local", WheelSpec(name="ep", version="1.0"))
    odd = wheel.rename(wheel.with_name("not-a-wheel-name.whl"))
    repo = _seeded_repository(tmp_path)
    before = _snapshot(repo)
    assert main(["pypi", str(odd), "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"error: wheel file {str(odd)!r}: Invalid wheel filename" in err
    assert _snapshot(repo) == before
