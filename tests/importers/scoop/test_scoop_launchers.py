"""Launchers: Windows argument splitting and per-shell quoting (manifest text stays data)."""

from __future__ import annotations

import subprocess

import pytest

from pkgimport.importers.scoop import ManifestRefused
from pkgimport.importers.scoop._launchers import (
    parse_launcher,
    render_cmd,
    render_ps1,
    render_sh,
    split_args,
)

SPLITS = [
    ("a b  c", ["a", "b", "c"]),
    ('"a b" c', ["a b", "c"]),
    ('-cfg="x y"', ["-cfg=x y"]),
    (r'a\\"b c"', ["a\\b c"]),
    (r"a\b", ["a\\b"]),
    (r"a\"b", ['a"b']),
    ('""', [""]),
    ("", []),
]


@pytest.mark.parametrize(("text", "args"), SPLITS)
def test_split_args_follows_windows_rules(text: str, args: list[str]) -> None:
    assert split_args(text) == args


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("a.exe", "exe"),
        ("b.BAT", "bat"),
        ("c.cmd", "bat"),
        ("d.ps1", "ps1"),
        ("e.jar", "jar"),
        ("f.py", "py"),
        ("tool", "exe"),
    ],
)
def test_kind_from_extension(target: str, kind: str) -> None:
    assert parse_launcher(target, "x", ()).kind == kind


def test_runners_per_kind() -> None:
    jar = parse_launcher("lib\\t.jar", "t", ("--x",))
    assert 'java.exe -jar "%PKG_APP%\\lib\\t.jar" "--x" %*' in render_cmd(jar, target_exists=True)
    ps1 = parse_launcher("t.ps1", "t", ())
    assert "powershell.exe -NoProfile -ExecutionPolicy Bypass -File" in render_cmd(
        ps1, target_exists=True
    )
    py = parse_launcher("t.py", "t", ())
    assert render_sh(py, target_exists=True).splitlines()[-1] == 'exec python "$app"/\'t.py\' "$@"'


def test_missing_target_is_a_command_on_path() -> None:
    launcher = parse_launcher("pwsh.exe", "x", ("-NoLogo",))
    assert (
        render_sh(launcher, target_exists=False).splitlines()[-1]
        == "exec 'pwsh.exe' '-NoLogo' \"$@\""
    )
    assert '"pwsh.exe" "-NoLogo" %*' in render_cmd(launcher, target_exists=False)


HOSTILE = ["$(rm -rf ~)", "`id`", "a'b", "x;y&z|w", "%PATH%", "100%", "{root}", "a\u2019b"]


@pytest.mark.parametrize("arg", HOSTILE)
def test_sh_launcher_passes_hostile_text_as_one_argument(tmp_path: object, arg: str) -> None:
    if "$" in arg or not arg.isascii():
        # `$` outside $dir is refused at conversion (it would be a PowerShell variable), and
        # so is non-ASCII text (cmd.exe reads batch files in the console's code page).
        with pytest.raises(ManifestRefused):
            parse_launcher("t.exe", "t", (f'"{arg}"',))
        return
    launcher = parse_launcher("t.exe", "t", (f'"{arg}"',))
    script = render_sh(launcher, target_exists=False).replace("exec 't.exe'", "printf '%s\\n'")
    out = subprocess.run(["sh", "-c", script, "t"], capture_output=True, text=True, check=True)
    assert out.stdout == f"{arg}\n"


def test_cmd_doubles_percent_and_ps1_doubles_quotes() -> None:
    launcher = parse_launcher("t.exe", "t", ('"100%" "it\'s"',))
    assert '"100%%" "it\'s"' in render_cmd(launcher, target_exists=True)
    assert "'100%' 'it''s'" in render_ps1(launcher, target_exists=True)


def test_quotes_inside_arguments_are_refused() -> None:
    with pytest.raises(ManifestRefused, match="no launcher can pass safely"):
        parse_launcher("t.exe", "t", (r"a\"b",))
