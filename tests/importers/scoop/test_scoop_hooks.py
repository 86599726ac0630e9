r"""Install hooks as data: exact statement shapes only, paths confined to the app folder.

GIVEN hook text from Scoop manifests, WHEN it is read, THEN the whitelisted shapes become
steps and anything else (a variable, another parameter, a path outside ``$dir``) leaves the
hook refused as before; WHEN steps run on a payload, THEN they do what PowerShell would,
ignoring case, and never follow a link.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.importers.scoop import (
    ConvertOptions,
    ManifestRefused,
    PayloadError,
    convert_manifest,
    parse_manifest,
)
from pkgimport.importers.scoop._hooks import HookStep, apply_steps, parse_hook
from tests.importers.scoop.scoop_testlib import make_zip, serve, sha256, write_bucket

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.importers.scoop.scoop_testlib import Server

# Real hooks of ScoopInstaller/Main (app in the comment) and the steps they are.
ACCEPTED: list[tuple[object, list[dict[str, object]]]] = [
    (  # qemu
        'Remove-Item "$dir\\`$PLUGINSDIR" -Force -Recurse',
        [{"op": "remove", "paths": ["$PLUGINSDIR"], "flags": ["recurse"]}],
    ),
    (  # graphviz
        'Remove-Item "$dir\\`$PLUGINSDIR", "$dir\\Uninstall.exe" -Recurse -Force',
        [{"op": "remove", "paths": ["$PLUGINSDIR", "Uninstall.exe"], "flags": ["recurse"]}],
    ),
    (  # elvish
        "Rename-Item \"$dir\\elvish-v$version.exe\" 'elvish.exe'",
        [{"op": "rename", "paths": ["elvish-v1.2.exe"], "target": "elvish.exe"}],
    ),
    (  # acr-cli
        "Rename-Item -Path $dir\\acr-cli.exe -NewName acr.exe",
        [{"op": "rename", "paths": ["acr-cli.exe"], "target": "acr.exe"}],
    ),
    (  # argo
        "Rename-Item $dir\\argo-windows-amd64.exe $dir\\argo.exe",
        [{"op": "rename", "paths": ["argo-windows-amd64.exe"], "target": "argo.exe"}],
    ),
    (  # hayabusa
        (
            'Get-ChildItem "$dir\\hayabusa-*.exe" | Select-Object -First 1 | '
            "Rename-Item -NewName 'hayabusa.exe'"
        ),
        [
            {
                "op": "rename",
                "paths": ["hayabusa-*.exe"],
                "target": "hayabusa.exe",
                "flags": ["first"],
            }
        ],
    ),
    (  # mingw
        'Copy-Item "$dir\\bin\\mingw32-make.exe" "$dir\\bin\\make.exe"',
        [{"op": "copy", "paths": ["bin/mingw32-make.exe"], "target": "bin/make.exe"}],
    ),
    (  # restic
        'Move-Item -Path "$dir\\restic*.exe" -Destination "$dir\\restic.exe"',
        [{"op": "move", "paths": ["restic*.exe"], "target": "restic.exe"}],
    ),
    (  # tokei
        'if (!(Test-Path "$persist_dir\\tokei.toml")) { New-Item "$dir\\tokei.toml" | Out-Null }',
        [{"op": "new_file", "paths": ["tokei.toml"]}],
    ),
    (  # xray, on three lines
        [
            'if (!(Test-Path "$persist_dir\\config.json")) {',
            "    Set-Content \"$dir\\config.json\" '{}' -Encoding 'Ascii'",
            "}",
        ],
        [{"op": "write", "paths": ["config.json"], "text": "{}\r\n"}],
    ),
    (  # jabba
        ['ensure "$dir\\bin" | Out-Null', 'Move-Item "$dir\\jabba.exe" "$dir\\bin\\jabba.exe"'],
        [
            {"op": "new_dir", "paths": ["bin"], "flags": ["force"]},
            {"op": "move", "paths": ["jabba.exe"], "target": "bin/jabba.exe"},
        ],
    ),
    (  # gow (installer.script holds only a script)
        {"script": ["# comment", '(New-Item -Type directory "$dir\\etc") | Out-Null']},
        [{"op": "new_dir", "paths": ["etc"]}],
    ),
]

REFUSED: list[object] = [
    'Start-Process "$dir\\setup.exe" -Wait',  # runs a program
    'Remove-Item "$dir\\*" -Exclude ab.exe -Recurse -Force',  # a parameter not whitelisted
    'Remove-Item "$dir\\..\\other" -Recurse',  # outside the app folder
    'Remove-Item "$env:USERPROFILE\\x"',  # another variable
    'Remove-Item "$dir"  -Recurse',  # the app folder itself
    'Remove-Item "C:\\Windows\\x"',
    "Remove-Item '$dir\\x'",  # single quotes: a literal '$dir', not the app folder
    "Rename-Item \"$dir\\$($fname -replace '\\.zip$')\" 'gdu.exe'",  # a sub-expression
    'Rename-Item "$dir\\a-*.exe" "b.exe"',  # Rename-Item takes no wildcard
    'Rename-Item "$dir\\a.exe" "..\\b.exe"',  # a rename that moves
    'Set-Content "$dir\\apktool.cmd" -Value "@java -jar ""$dir\\apktool.jar"" %*"',
    'New-Item "$dir\\x" -ItemType SymbolicLink -Value "C:\\"',
    'Copy-Item "$dir\\cacert.pem" "$(appdir curl $global)\\current\\bin\\x.crt"',
    'if (Test-Path "$persist_dir\\x") { New-Item "$dir\\x" }',  # not the first-install guard
    'Remove-Item "$dir\\x"; Start-Process evil.exe',
    {"file": "setup.exe", "args": ["/S"]},  # an installer program
    {"script": 'Remove-Item "$dir\\x"', "keep": True},
    "",
]


@pytest.mark.parametrize(("hook", "steps"), ACCEPTED)
def test_whitelisted_shapes_become_steps(hook: object, steps: list[dict[str, object]]) -> None:
    parsed = parse_hook(hook, version="1.2")
    assert parsed is not None
    assert [s.to_dict() for s in parsed] == steps


@pytest.mark.parametrize("hook", REFUSED, ids=repr)
def test_anything_else_is_not_read(hook: object) -> None:
    assert parse_hook(hook, version="1.2") is None


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes().decode() if p.is_file() else "/"
        for p in sorted(root.rglob("*"))
    }


def test_steps_do_what_powershell_would_ignoring_case(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "$PLUGINSDIR" / "sub").mkdir(parents=True)
    (app / "$PLUGINSDIR" / "sub" / "x.dll").write_text("x")
    (app / "Tool-1.2.EXE").write_text("tool")
    (app / "Bin").mkdir()
    (app / "Bin" / "mingw32-make.exe").write_text("make")
    (app / "cli-b.exe").write_text("b")
    (app / "cli-a.exe").write_text("a")
    hooks = [
        'Remove-Item "$dir\\`$pluginsdir" -Recurse -Force',
        "Rename-Item \"$dir\\tool-$version.exe\" 'tool.exe'",
        'Copy-Item "$dir\\bin\\mingw32-make.exe" "$dir\\bin\\make.exe"',
        'Get-ChildItem "$dir\\cli-*.exe" | Select-Object -First 1 | Rename-Item -NewName cli.exe',
        'if (-not (Test-Path "$persist_dir\\tool.ini")) { Set-Content "$dir\\tool.ini" \'a=1\' }',
        'New-Item "$dir\\empty.txt" -ItemType File | Out-Null',
        'Remove-Item "$dir\\nothing-*.txt"',  # no match for a wildcard: nothing to do
    ]
    steps = parse_hook(hooks, version="1.2")
    assert steps is not None
    apply_steps(steps, app)
    assert _tree(app) == {
        "Bin": "/",
        "Bin/make.exe": "make",
        "Bin/mingw32-make.exe": "make",
        "cli-b.exe": "b",
        "cli.exe": "a",
        "empty.txt": "",
        "tool.exe": "tool",
        "tool.ini": "a=1\r\n",
    }


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        ('Remove-Item "$dir\\missing.txt"', "nothing in the app folder matches"),
        ('Remove-Item "$dir\\folder"', "not empty (no -Recurse)"),
        ('Remove-Item "$dir\\link\\x.txt" -Recurse', "is a link"),
        ('Move-Item "$dir\\*.txt" "$dir\\one.txt"', "2 entries match"),
        ('New-Item "$dir\\link\\new.txt"', "is a link"),
    ],
)
def test_a_step_that_cannot_be_done_fails_the_payload(
    tmp_path: Path, hook: str, message: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text("keep me")
    app = tmp_path / "app"
    (app / "folder").mkdir(parents=True)
    (app / "folder" / "f").write_text("f")
    (app / "a.txt").write_text("a")
    (app / "b.txt").write_text("b")
    (app / "link").symlink_to(outside, target_is_directory=True)
    steps = parse_hook(hook, version="1")
    assert steps is not None
    with pytest.raises(PayloadError, match=re.escape(message)):
        apply_steps(steps, app)
    assert (outside / "x.txt").read_text() == "keep me"
    assert not (outside / "new.txt").exists()


def test_unsafe_step_paths_are_checked_again_when_run(tmp_path: Path) -> None:
    with pytest.raises(PayloadError, match="not a path inside the app folder"):
        apply_steps([HookStep(op="remove", paths=("../x",))], tmp_path)


# -- conversion and the whole import -------------------------------------------------------------


def _manifest(url: str, digest: str, **hooks: Any) -> dict[str, Any]:
    return {
        "version": "2.0",
        "homepage": "https://example.org",
        "license": "MIT",
        "url": url,
        "hash": digest,
        "bin": "tool.exe",
        "persist": "tool.ini",
        **hooks,
    }


HOOKS = {
    "pre_install": [
        "Rename-Item \"$dir\\tool-$version.exe\" 'tool.exe'",
        'Remove-Item "$dir\\`$PLUGINSDIR" -Recurse -Force',
    ],
    "post_install": 'if (!(Test-Path "$persist_dir\\tool.ini")) { New-Item "$dir\\tool.ini" }',
}


def test_a_manifest_whose_hooks_read_as_data_converts_fully() -> None:
    manifest = parse_manifest(_manifest("https://x/t.zip", "0" * 64, **HOOKS))
    conv = convert_manifest(manifest, ConvertOptions(app="tool"))
    assert conv.skipped_hooks == ()
    assert conv.data_hooks == ("pre_install", "post_install")
    assert [s.op for s in conv.variants[0].hook_steps] == ["rename", "remove", "new_file"]
    recorded = conv.definition.metadata["scoop"]["scripts_as_data"]  # type: ignore[index]
    assert recorded["pre_install"][0] == {
        "op": "rename",
        "paths": ["tool-2.0.exe"],
        "target": "tool.exe",
    }


def test_one_unknown_statement_refuses_the_hook_as_before() -> None:
    hooks = {"pre_install": [*HOOKS["pre_install"], "Start-Process evil.exe"]}
    manifest = parse_manifest(_manifest("https://x/t.zip", "0" * 64, **hooks))
    with pytest.raises(ManifestRefused) as info:
        convert_manifest(manifest, ConvertOptions(app="tool"))
    assert (info.value.reason, info.value.key_path) == ("scripts", "pre_install")
    conv = convert_manifest(manifest, ConvertOptions(app="tool", skip_scripts=True))
    assert conv.skipped_hooks == ("pre_install",)
    assert conv.variants[0].hook_steps == ()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


def test_import_runs_the_steps_on_the_payload(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = make_zip({"tool-2.0.exe": b"MZ tool", "$PLUGINSDIR/x.dll": b"nsis"})
    url = server.add("/tool.zip", archive)
    bucket = write_bucket(tmp_path / "bucket", {"tool": _manifest(url, sha256(archive), **HOOKS)})
    repo = tmp_path / "repo"
    code = main(["scoop", "tool", "--bucket", f"main={bucket}", "--repo", str(repo), "--json"])
    assert code == 0, capsys.readouterr().err
    [row] = json.loads(capsys.readouterr().out)
    assert row["skipped_scripts"] == []
    [root] = [p.parent for p in (repo / "tool" / "2.0").rglob("app")]
    assert sorted(p.name for p in (root / "app").iterdir()) == ["tool.exe", "tool.ini"]
    # The launcher found its target (renamed by pre_install) in the app folder.
    assert "%PKG_APP%\\tool.exe" in (root / "bin" / "tool.cmd").read_text()
