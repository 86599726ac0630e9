"""Issue 9, Scoop side: a manifest is outside input (loading, environment actions).

GIVEN a bucket holding one manifest (written inline here), WHEN ``pkgimport scoop`` imports it
as a user would, THEN a manifest pkgimport cannot load or express safely is refused with exit
code 1, one ``error:`` line naming the manifest file and the key path, no traceback, and the
repository exactly as it was; a value Scoop itself would drop or cannot be mapped is kept out
with a warning that the summary prints and ``--json`` lists.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from tests.importers.scoop.scoop_testlib import rez_load, write_bind_packages

if TYPE_CHECKING:
    from pathlib import Path

BASE: dict[str, Any] = {
    "version": "1.0",
    "homepage": "https://example.invalid/app",
    "license": "MIT",
    "url": "https://example.invalid/app-1.0.zip",
    "hash": "0" * 64,
}
"""A minimal valid manifest (definition-only imports never download it)."""

ARCH64: dict[str, Any] = {"url": "https://example.invalid/app-64.zip", "hash": "1" * 64}


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every path under *root* with its content (files), its target (links) or ``"dir"``."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = f"-> {path.readlink()}"
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = path.read_bytes()
    return out


@pytest.fixture
def seeded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repository that already holds one package, so "unchanged" means something."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "seed.json").write_text(json.dumps({**BASE, "env_set": {"SEED_HOME": "$dir"}}))
    root = tmp_path / "repo"
    code = main(
        ["scoop", "seed", "--bucket", f"main={seed}", "--repo", str(root), "--definition-only"]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return root


def import_manifest(
    tmp_path: Path, repo: Path, data: bytes | dict[str, Any], *extra: str, app: str = "app"
) -> int:
    """Write *data* as ``<bucket>/<app>.json`` and import it definition-only into *repo*."""
    bucket = tmp_path / "bucket"
    bucket.mkdir(exist_ok=True)
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    (bucket / f"{app}.json").write_bytes(raw)
    args = ["scoop", app, "--bucket", f"main={bucket}", "--repo", str(repo), "--definition-only"]
    return main([*args, *extra])


def assert_refused(
    code: int, err: str, repo: Path, before: dict[str, bytes | str], *needles: str
) -> str:
    """Exit code 1, one ``error:`` line holding every needle, no traceback, repo unchanged."""
    assert code == 1, err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], err
    assert snapshot(repo) == before
    return errors[0]


# -- loading ------------------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    head = json.dumps(BASE)[:-1]
    return f'{head}, "##": {"[" * depth}{"]" * depth}}}'.encode()


def test_deeply_nested_manifest_is_refused_before_json_recursion(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(seeded)
    code = import_manifest(tmp_path, seeded, _nested(200_000))
    line = assert_refused(code, capsys.readouterr().err, seeded, before, "app.json", "nested")
    assert "64" in line  # the limit is named


def test_deeply_nested_manifest_as_a_user_runs_it(tmp_path: Path, seeded: Path) -> None:
    """The console entry point (a fresh interpreter, default recursion limit): no traceback."""
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    (bucket / "app.json").write_bytes(_nested(200_000))
    before = snapshot(seeded)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pkgimport", "scoop", "app"),
            *("--bucket", f"main={bucket}", "--repo", str(seeded), "--definition-only"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert_refused(result.returncode, result.stderr, seeded, before, "app.json", "nested")


def test_nesting_within_the_limit_is_accepted(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_manifest(tmp_path, seeded, _nested(20)) == 0, capsys.readouterr().err


def test_invalid_utf8_names_the_file_and_the_offset(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.dumps({**BASE, "description": "caf@"}).encode().replace(b"@", b"\xe9")
    before = snapshot(seeded)
    code = import_manifest(tmp_path, seeded, data)
    err = capsys.readouterr().err
    line = assert_refused(code, err, seeded, before, "app.json", "UTF-8")
    assert "0xe9" in line
    offset = data.index(b"\xe9")
    assert f"offset {offset}" in line
    assert "hint:" in err


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_manifests_with_a_byte_order_mark_load_as_scoop_reads_them(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str], bom: bytes, codec: str
) -> None:
    """PowerShell (Scoop) reads UTF-8 and UTF-16 files that start with a byte-order mark."""
    text = json.dumps({**BASE, "description": "café ☕"}, ensure_ascii=False)
    assert import_manifest(tmp_path, seeded, bom + text.encode(codec)) == 0, capsys.readouterr().err
    assert "'café ☕'" in (seeded / "app" / "1.0" / "package.py").read_text(encoding="utf-8")


def test_utf16_without_a_byte_order_mark_is_refused_with_a_hint(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(seeded)
    code = import_manifest(tmp_path, seeded, json.dumps(BASE).encode("utf-16-le"))
    assert_refused(code, capsys.readouterr().err, seeded, before, "app.json", "UTF-16")


def test_number_json_cannot_hold_is_refused(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.dumps(BASE)[:-1] + ', "notes": ' + "9" * 5000 + "}"
    before = snapshot(seeded)
    code = import_manifest(tmp_path, seeded, data.encode())
    assert_refused(code, capsys.readouterr().err, seeded, before, "app.json", "JSON")


# -- environment actions: refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key_path"),
    [
        ({"env_set": {"PATH": "$dir\\bin"}}, "env_set.PATH"),
        ({"env_set": {"Path": "$dir"}}, "env_set.Path"),
        ({"env_set": {"LD_PRELOAD": "$dir\\evil.so"}}, "env_set.LD_PRELOAD"),
        ({"env_set": {"LD_LIBRARY_PATH": "$dir"}}, "env_set.LD_LIBRARY_PATH"),
        ({"env_set": {"PYTHONPATH": "$dir"}}, "env_set.PYTHONPATH"),
        ({"env_set": {"DYLD_INSERT_LIBRARIES": "/tmp/x.dylib"}}, "env_set.DYLD_INSERT_LIBRARIES"),
        ({"env_set": {"PSModulePath": "$dir"}}, "env_set.PSModulePath"),
        ({"env_set": {"REZ_CONFIG_FILE": "$dir\\rezconfig.py"}}, "env_set.REZ_CONFIG_FILE"),
        (
            {"architecture": {"64bit": {**ARCH64, "env_set": {"LD_PRELOAD": "x.so"}}}},
            "architecture.64bit.env_set.LD_PRELOAD",
        ),
    ],
)
def test_loader_variables_cannot_be_set_wholesale(
    tmp_path: Path,
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, Any],
    key_path: str,
) -> None:
    before = snapshot(seeded)
    code = import_manifest(tmp_path, seeded, {**BASE, **changes})
    assert_refused(code, capsys.readouterr().err, seeded, before, "app", repr(key_path))


@pytest.mark.parametrize(
    ("changes", "key_path"),
    [
        # Characters a shell rez writes would act on (cmd.exe, PowerShell, sh), next to {root}.
        ({"env_set": {"FOO": "$dir\\100%USERNAME%"}}, "env_set.FOO"),
        ({"env_set": {"FOO": "$dir\\a & calc.exe"}}, "env_set.FOO"),
        ({"env_set": {"FOO": 'say "hi"'}}, "env_set.FOO"),
        ({"env_set": {"FOO": "x\r\ncalc.exe"}}, "env_set.FOO"),
        ({"env_set": {"FOO": "\u201d; calc; \u201c"}}, "env_set.FOO"),  # PowerShell quotes
        ({"env_set": {"FOO": "~\\secrets"}}, "env_set.FOO"),  # rez expands a leading ~
        ({"env_add_path": ["bin", "a$HOME"]}, "env_add_path[1]"),
        ({"env_add_path": "a`whoami`"}, "env_add_path"),
        ({"env_add_path": "$(calc)"}, "env_add_path"),
        ({"env_add_path": ["bin", "bin;lib"]}, "env_add_path[1]"),  # two PATH entries on Windows
        (
            {"architecture": {"64bit": {**ARCH64, "env_add_path": ["bin", 'x"y']}}},
            "architecture.64bit.env_add_path[1]",
        ),
    ],
)
def test_values_no_shell_can_hold_safely_are_refused(
    tmp_path: Path,
    seeded: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, Any],
    key_path: str,
) -> None:
    before = snapshot(seeded)
    code = import_manifest(tmp_path, seeded, {**BASE, **changes})
    assert_refused(code, capsys.readouterr().err, seeded, before, "app", repr(key_path))


# -- environment actions: kept out with a warning -----------------------------------------------


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_env_set_scoop_cannot_map_is_a_printed_warning(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = {**BASE, "env_set": {"FOO": "$env:USERPROFILE\\x", "BAR": "$dir\\etc"}}
    assert import_manifest(tmp_path, seeded, manifest) == 0
    warnings = _warnings(capsys.readouterr().err)
    assert len(warnings) == 1, warnings
    assert "'env_set.FOO'" in warnings[0]
    assert "'$env:USERPROFILE\\\\x'" in warnings[0]
    package_py = (seeded / "app" / "1.0" / "package.py").read_text()
    assert "env.BAR = '{root}/app\\\\etc'" in package_py
    assert "env.FOO" not in package_py

    assert import_manifest(tmp_path, seeded, manifest, "--json", "--dry-run") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [w for w in rows[0]["warnings"] if "'env_set.FOO'" in w]


def test_env_add_path_outside_the_app_is_dropped_with_its_key_path(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = ["bin", "..\\..\\Windows", "C:\\Windows", "/etc", "\\\\server\\share"]
    block = {**ARCH64, "env_add_path": paths}
    manifest = {**BASE, "architecture": {"64bit": block}}
    assert import_manifest(tmp_path, seeded, manifest) == 0
    warnings = _warnings(capsys.readouterr().err)
    for i in (1, 2, 3, 4):
        key = f"'architecture.64bit.env_add_path[{i}]'"
        assert [w for w in warnings if key in w], (key, warnings)
    package_py = (seeded / "app" / "1.0" / "package.py").read_text()
    assert "env.PATH.prepend('{root}/app/bin')" in package_py
    # Scoop's Join-Path reads '/etc' inside the app folder: kept there, and said so.
    assert "env.PATH.prepend('{root}/app/etc')" in package_py
    assert "Windows" not in package_py.split("pkgimport = ")[0]
    assert "server" not in package_py.split("pkgimport = ")[0]

    assert import_manifest(tmp_path, seeded, manifest, "--json", "--dry-run") == 0
    rows = json.loads(capsys.readouterr().out)
    listed = "\n".join(rows[0]["warnings"])
    for i in (1, 2, 3, 4):
        assert f"'architecture.64bit.env_add_path[{i}]'" in listed


# -- rez's own expansion ------------------------------------------------------------------------


def test_rez_expands_nothing_a_manifest_wrote(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real rez 3.4 formats ``{...}`` in setenv/prepend values: manifest text stays literal."""
    manifest = {
        **BASE,
        "env_set": {
            "HOSTILE": "{this.__init__.__globals__}",
            "PLATFORM_TEXT": "$dir\\{system.platform}",
            "ROOT_TEXT": "{root}",
        },
        "env_add_path": ["{root}", "{this.name}"],
    }
    assert import_manifest(tmp_path, seeded, manifest) == 0, capsys.readouterr().err
    write_bind_packages(seeded)
    data = rez_load(seeded, ["app"], [["app"]])
    (resolve,) = data["resolves"]
    assert resolve["success"], resolve["failure"]
    env = resolve["env"]
    root = str(seeded / "app" / "1.0" / "platform-windows")
    assert env["HOSTILE"] == "{this.__init__.__globals__}"
    assert env["PLATFORM_TEXT"] == root + "/app\\{system.platform}"
    assert env["ROOT_TEXT"] == "{root}"
    assert env["PATH"].split(os.pathsep)[:2] == [root + "/app/{root}", root + "/app/{this.name}"]


_BASH_ENV = r"""
import json, subprocess, sys
from rez.resolved_context import ResolvedContext

context = ResolvedContext([sys.argv[2]], package_paths=[sys.argv[1]], add_implicit_packages=False)
code = context.get_shell_code(shell="bash", parent_environ={"PATH": "/usr/bin:/bin"})
script = code + '\nprintf "%s\\0" "$SAFE" "$PATH"'
done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
print(json.dumps({"values": done.stdout.split("\0")[:2], "stderr": done.stderr}))
"""


def test_every_character_allowed_is_inert_in_the_shell_rez_writes(
    tmp_path: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rez 3.4's bash code for the accepted characters sets exactly the manifest's text."""
    text = "a b.c_d-e+f,g;h:i=j@k#l~m(n)o[p]q{r}s't\\u/v é"
    folder = text.replace(";", "").replace(":", "")  # PATH separators, refused in a folder
    manifest = {**BASE, "env_set": {"SAFE": "$dir\\" + text}, "env_add_path": folder}
    assert import_manifest(tmp_path, seeded, manifest) == 0, capsys.readouterr().err
    write_bind_packages(seeded)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REZ_")}
    env["REZ_CONFIG_FILE"] = str(tmp_path / "rezconfig.py")
    (tmp_path / "rezconfig.py").write_text("")
    done = subprocess.run(
        [sys.executable, "-c", _BASH_ENV, str(seeded), "app"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["stderr"] == ""
    safe, path = result["values"]
    root = str(seeded / "app" / "1.0" / "platform-windows")
    assert safe == f"{root}/app\\{text}"
    assert path.startswith(f"{root}/app/{folder.replace(chr(92), '/')}:"), path
