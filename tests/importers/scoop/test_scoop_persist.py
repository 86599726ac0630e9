"""Persisted data (issue 13, item 2): ``$persist_dir`` is a per-user home, never the package.

Scoop keeps ``persist`` entries in ``<scoop>\\persist\\<app>`` and links them into the app folder.
A rez package is shared and read-only, so pkgimport's ``$persist_dir`` is
``$PKGIMPORT_SCOOP_PERSIST/<app>`` (default ``%LOCALAPPDATA%\\pkgimport\\persist\\<app>``, or
``$HOME/.local/share/pkgimport/persist/<app>``), resolved when rez builds the environment and
when a launcher runs; launchers copy the package's defaults there on first run.
"""

from __future__ import annotations

import os
import stat
import subprocess
import zipfile
from io import BytesIO
from typing import TYPE_CHECKING, Any, cast

import pytest

from pkgimport.cli import main
from pkgimport.definition import Action
from pkgimport.importers.scoop import (
    ConvertOptions,
    ManifestRefused,
    convert_manifest,
    parse_manifest,
)
from pkgimport.importers.scoop._launchers import parse_launcher, render_cmd, render_ps1, render_sh
from pkgimport.importers.scoop._persist import (
    PERSIST_VAR,
    Persist,
    PersistCopy,
    PersistEntry,
    default_actions,
)
from tests.importers.scoop.commands_testlib import both_environs, rez_environ, write_package
from tests.importers.scoop.scoop_testlib import Server, serve, sha256, write_bucket

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pkgimport.importers.scoop import Conversion

HASH = "a" * 64


def manifest(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1.0",
        "homepage": "https://example.org",
        "license": "MIT",
        "url": "https://example.org/tool.zip",
        "hash": HASH,
    }
    data.update(fields)
    return data


def convert(data: dict[str, Any], app: str = "tool") -> Conversion:
    return convert_manifest(parse_manifest(data), ConvertOptions(app=app))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


# -- the environment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "env_set", "variable", "value"),
    [
        # The three the issue names: bare $persist_dir used to be dropped.
        ("gramps", {"GRAMPSHOME": "$persist_dir"}, "GRAMPSHOME", "$PKGIMPORT_SCOOP_PERSIST/gramps"),
        ("bun", {"BUN_INSTALL": "$persist_dir"}, "BUN_INSTALL", "$PKGIMPORT_SCOOP_PERSIST/bun"),
        (
            "bun",
            {"BUN_INSTALL_BIN": "$persist_dir\\bin"},
            "BUN_INSTALL_BIN",
            "$PKGIMPORT_SCOOP_PERSIST/bun\\bin",
        ),
    ],
)
def test_persist_dir_values_name_the_persist_home(
    app: str, env_set: dict[str, str], variable: str, value: str
) -> None:
    conv = convert(manifest(env_set=env_set), app=app)
    assert conv.definition.commands == (*default_actions(), Action.set(variable, value))
    assert not conv.warnings
    scoop = cast("dict[str, Any]", conv.definition.metadata["scoop"])
    assert scoop["persist_home"] == f"$PKGIMPORT_SCOOP_PERSIST/{app}"


def test_the_default_is_set_only_where_the_user_has_not() -> None:
    text = convert(manifest(env_set={"GRAMPSHOME": "$persist_dir"}), app="gramps")
    assert [(a.key, a.value, [(c.kind, c.value) for c in a.when]) for a in default_actions()] == [
        (
            PERSIST_VAR,
            "$LOCALAPPDATA/pkgimport/persist",
            [("undefined", PERSIST_VAR), ("defined", "LOCALAPPDATA")],
        ),
        (PERSIST_VAR, "$HOME/.local/share/pkgimport/persist", [("undefined", PERSIST_VAR)]),
    ]
    assert text.definition.commands[:2] == default_actions()


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        # Windows: LOCALAPPDATA is always set.
        (
            {"LOCALAPPDATA": "C:\\Users\\u\\AppData\\Local"},
            "C:\\Users\\u\\AppData\\Local/pkgimport/persist/gramps",
        ),
        # The user's choice wins (Scoop's own persist folder, a shared drive...).
        (
            {"LOCALAPPDATA": "C:\\Users\\u\\AppData\\Local", PERSIST_VAR: "D:\\persist"},
            "D:\\persist/gramps",
        ),
        ({"HOME": "/home/u"}, "/home/u/.local/share/pkgimport/persist/gramps"),
    ],
)
def test_rez_and_pkgimport_put_the_home_outside_the_repository(
    tmp_path: Path, parent: dict[str, str], expected: str
) -> None:
    conv = convert(manifest(env_set={"GRAMPSHOME": "$persist_dir"}), app="gramps")
    repo = tmp_path / "repo"
    path = write_package(repo, conv.definition)
    parent = {"PATH": "/usr/bin", **parent}
    rez = rez_environ(repo, ["gramps", "platform==windows"], parent)
    rez_env: dict[str, str] = rez["env"]  # type: ignore[assignment]
    assert rez_env["GRAMPSHOME"] == expected
    assert str(repo) not in rez_env["GRAMPSHOME"]
    root = str(path.parent / "platform-windows")
    for env in both_environs(path, conv.definition, 0, root, parent):
        assert env["GRAMPSHOME"] == expected
        # Set by commands() only where the user had not set it, by rez and pkgimport alike.
        assert env.get(PERSIST_VAR) == rez_env.get(PERSIST_VAR)


def test_dir_before_a_persisted_entry_is_the_persist_home_as_scoop_links_it() -> None:
    # GIVEN persist ["cli\\php.ini"] from "php.ini-production" ([source, target])
    conv = convert(
        manifest(
            persist=[["php.ini-production", "cli\\php.ini"], "data"],
            env_set={
                "PHPRC": "$dir\\php.ini-production",
                "PGDATA": "$dir\\data",
                "NOT_PERSISTED": "$dir\\datafile",
            },
        )
    )
    values = {a.key: a.value for a in conv.definition.commands}
    assert values["PHPRC"] == "$PKGIMPORT_SCOOP_PERSIST/tool/cli/php.ini"
    assert values["PGDATA"] == "$PKGIMPORT_SCOOP_PERSIST/tool/data"
    assert values["NOT_PERSISTED"] == "{root}/app\\datafile"


@pytest.mark.parametrize(
    "entry", ["..\\outside", "C:\\Windows", "a%PATH%b", "$env:x", ["a", "../b"]]
)
def test_entries_outside_the_folders_are_not_persisted(entry: object) -> None:
    conv = convert(manifest(persist=[entry, "ok"]))
    assert any("not persisted" in w for w in conv.warnings)
    persisted = convert(manifest(persist="ok", env_set={"X": "$dir\\ok"}))
    assert persisted.definition.commands[-1].value == "$PKGIMPORT_SCOOP_PERSIST/tool/ok"


def test_manifest_text_after_persist_dir_is_still_data() -> None:
    # GIVEN text PowerShell would run, after $persist_dir THEN it is not set (a warning)
    conv = convert(manifest(env_set={"A": "$persist_dir\\$(whoami)"}))
    assert conv.definition.commands == ()
    assert any("'env_set.A'" in w and "not set" in w for w in conv.warnings)
    # GIVEN text a shell would act on THEN the manifest is refused, as for any value
    with pytest.raises(ManifestRefused, match="holds '&'"):
        convert(manifest(env_set={"B": "$persist_dir\\a&b"}))


# -- launchers -------------------------------------------------------------------------------------


def test_launchers_resolve_the_home_themselves_and_copy_defaults() -> None:
    persist = Persist(app="tool", entries=(PersistEntry(source="conf", target="conf"),))
    launcher = parse_launcher(
        "tool.exe", "tool", ('--config "$persist_dir\\app.ini"',), persist=persist
    )
    copies = (
        PersistCopy(source="conf", target="conf", is_dir=True),
        PersistCopy(source="php.ini-production", target="cli/php.ini", is_dir=False),
    )
    cmd = render_cmd(launcher, target_exists=True, persist=persist, copies=copies).split("\r\n")
    assert cmd[3:11] == [
        'set "PKG_PERSIST=%LOCALAPPDATA%\\pkgimport\\persist"',
        'if defined PKGIMPORT_SCOOP_PERSIST set "PKG_PERSIST=%PKGIMPORT_SCOOP_PERSIST%"',
        'set "PKG_PERSIST=%PKG_PERSIST%\\tool"',
        'if not exist "%PKG_PERSIST%\\" mkdir "%PKG_PERSIST%"',
        (
            'if not exist "%PKG_PERSIST%\\conf" xcopy "%PKG_APP%\\conf" "%PKG_PERSIST%\\conf\\" '
            "/E /I /Q /H /Y >nul"
        ),
        'if not exist "%PKG_PERSIST%\\cli\\" mkdir "%PKG_PERSIST%\\cli"',
        (
            'if not exist "%PKG_PERSIST%\\cli\\php.ini" copy /Y "%PKG_APP%\\php.ini-production" '
            '"%PKG_PERSIST%\\cli\\php.ini" >nul'
        ),
        '"%PKG_APP%\\tool.exe" "--config" "%PKG_PERSIST%\\app.ini" %*',
    ]
    ps1 = render_ps1(launcher, target_exists=True, persist=persist, copies=copies).splitlines()
    assert ps1[1].startswith("$persist = if ($env:PKGIMPORT_SCOOP_PERSIST)")
    assert "Join-Path $env:LOCALAPPDATA 'pkgimport\\persist'" in ps1[1]
    assert ps1[2] == "$persist = Join-Path $persist 'tool'"
    assert ps1[-2] == "& (Join-Path $app 'tool.exe') '--config' ($persist + '\\app.ini') @args"
    sh = render_sh(launcher, target_exists=True, persist=persist, copies=copies).splitlines()
    assert sh[2] == (
        'persist="${PKGIMPORT_SCOOP_PERSIST:-${LOCALAPPDATA:-$HOME/.local/share}'
        "/pkgimport/persist}\"/'tool'"
    )


def test_a_launcher_without_persist_needs_no_setup() -> None:
    launcher = parse_launcher("tool.exe", "tool", ())
    assert "persist" not in render_sh(launcher, target_exists=True)
    assert "PKG_PERSIST" not in render_cmd(launcher, target_exists=True)


def _zip(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


_PRINT_ARGS = b"#!/bin/sh\nprintf '%s\\n' \"$@\"\n"


def test_first_run_copies_defaults_and_never_overwrites_user_data(
    tmp_path: Path, server: Server
) -> None:
    # GIVEN a payload whose conf/ holds defaults, with conf and data persisted
    archive = _zip({"tool.exe": (_PRINT_ARGS, 0o755), "conf/app.ini": (b"default=1\n", 0o644)})
    data = manifest(
        url=server.add("/tool.zip", archive),
        hash=sha256(archive),
        persist=["conf", "data"],
        bin=[
            ["tool.exe", "tool", '--config "$persist_dir\\conf\\app.ini" --db "$dir\\data\\x.db"']
        ],
    )
    bucket = write_bucket(tmp_path / "bucket", {"tool": data})
    repo = tmp_path / "repo"
    assert main(["scoop", "tool", "--bucket", f"main={bucket}", "--repo", str(repo)]) == 0
    root = repo / "tool" / "1.0" / "platform-windows"
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    home = tmp_path / "persist"
    env = {"PATH": os.environ["PATH"], PERSIST_VAR: str(home), "HOME": str(tmp_path)}

    # WHEN the launcher runs the first time THEN the defaults are copied and the arguments
    # name the persist home (Windows text after it, as on Scoop's command line)
    out = subprocess.run(
        [str(root / "bin" / "tool")], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == [
        "--config",
        f"{home}/tool\\conf\\app.ini",
        "--db",
        f"{home}/tool\\data\\x.db",
    ]
    assert (home / "tool" / "conf" / "app.ini").read_text() == "default=1\n"
    assert not (home / "tool" / "data").exists()  # nothing to copy: the app creates it

    # WHEN the user changes it and runs again THEN it is kept
    (home / "tool" / "conf" / "app.ini").write_text("mine=1\n")
    subprocess.run([str(root / "bin" / "tool")], env=env, capture_output=True, check=True)
    assert (home / "tool" / "conf" / "app.ini").read_text() == "mine=1\n"

    # AND the package itself never changed
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before
    assert (root / "app" / "conf" / "app.ini").read_text() == "default=1\n"

    # AND without the variable the home is the user's own
    del env[PERSIST_VAR]
    subprocess.run([str(root / "bin" / "tool")], env=env, capture_output=True, check=True)
    default_home = tmp_path / ".local" / "share" / "pkgimport" / "persist" / "tool"
    assert (default_home / "conf" / "app.ini").read_text() == "default=1\n"
