r"""Launchers: what Scoop's shims do, as a ``.cmd``, a ``.ps1`` and a POSIX ``sh`` script.

A ``bin`` entry's arguments are one command-line string in Scoop (the shim prepends it to the
user's arguments). :func:`parse_launcher` splits it with the Windows argument rules into
arguments made of literal text and ``$dir`` references, so each script quotes every piece for
its own shell: manifest text is always data inside quotes, never code.

>>> launcher = parse_launcher("bin\\tool.exe", "tool", ('-c "$dir\\my conf"',))
>>> launcher.args
((('text', '-c'),), (('dir', ''), ('text', '\\my conf')))
>>> print(render_sh(launcher, target_exists=True).splitlines()[-1])
exec "$app/bin/tool.exe" '-c' "$app"'\my conf' "$@"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pkgimport.importers.scoop._errors import ManifestRefused

__all__ = ["Launcher", "parse_launcher", "render_cmd", "render_ps1", "render_sh", "split_args"]

Piece = tuple[Literal["text", "dir"], str]
"""A literal text piece, or ``("dir", "")`` for the app folder."""

# `$dir` and `$original_dir` are the app folder; a following word character would make it
# another PowerShell variable (`$directory`), which Scoop would not substitute either.
_VAR_RE = re.compile(r"\$(original_dir|dir|persist_dir)(?![A-Za-z0-9_])")
_UNSAFE_RE = re.compile(r'["\r\n\x00]')


@dataclass(frozen=True, kw_only=True, slots=True)
class Launcher:
    """One command the package provides, written as three scripts under ``{root}/bin``."""

    alias: str
    """Command name (file name of the scripts)."""
    target: str
    """Target relative to the app folder, with ``/`` separators."""
    args: tuple[tuple[Piece, ...], ...] = ()
    """Fixed arguments, each a sequence of pieces."""

    @property
    def kind(self) -> str:
        """How the target runs: ``exe``, ``bat``, ``ps1``, ``jar`` or ``py``."""
        ext = self.target.rsplit(".", 1)[-1].lower() if "." in self.target else ""
        return {"bat": "bat", "cmd": "bat", "ps1": "ps1", "jar": "jar", "py": "py"}.get(ext, "exe")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, kept in the package metadata."""
        return {
            "alias": self.alias,
            "target": self.target,
            "args": [[list(p) for p in arg] for arg in self.args],
        }


def split_args(text: str) -> list[str]:
    r"""Split a Windows command line like ``CommandLineToArgvW`` (quotes group, ``\"``)."""
    args: list[str] = []
    current: list[str] = []
    in_quotes = have = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            run = len(text[i:]) - len(text[i:].lstrip("\\"))
            if i + run < len(text) and text[i + run] == '"':
                current.append("\\" * (run // 2))
                if run % 2:
                    current.append('"')
                    i += run + 1
                else:
                    i += run
                have = True
                continue
            current.append("\\" * run)
            i += run
            have = True
            continue
        if char == '"':
            in_quotes = not in_quotes
            have = True
        elif char in " \t" and not in_quotes:
            if have:
                args.append("".join(current))
            current, have = [], False
        else:
            current.append(char)
            have = True
        i += 1
    if have:
        args.append("".join(current))
    return args


def _pieces(arg: str, persisted: frozenset[str], where: str) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    pos = 0
    for match in _VAR_RE.finditer(arg):
        if match.start() > pos:
            pieces.append(("text", arg[pos : match.start()]))
        rest = arg[match.end() :].replace("/", "\\").lstrip("\\").split("\\", 1)[0].lower()
        if match.group(1) == "persist_dir" and rest not in persisted:
            # Scoop links each persisted entry into the app folder, so `$persist_dir\x` is
            # `$dir\x` exactly when x is persisted; anything else has no rez equivalent.
            raise ManifestRefused(
                "persist_dir",
                f"argument {arg!r} uses $persist_dir for {rest!r}, which is not a persisted entry",
                key_path=where,
            )
        pieces.append(("dir", ""))
        pos = match.end()
    if pos < len(arg):
        pieces.append(("text", arg[pos:]))
    for kind, text in pieces:
        if kind == "text" and ("$" in text or _UNSAFE_RE.search(text)):
            raise ManifestRefused(
                "launcher",
                f"argument {arg!r} has a variable or a character no launcher can pass safely",
                key_path=where,
            )
    return tuple(pieces)


def parse_launcher(
    target: str,
    alias: str,
    args: tuple[str, ...],
    *,
    persisted: frozenset[str] = frozenset(),
    key_path: str = "bin",
) -> Launcher:
    """Build a :class:`Launcher` from a ``bin`` entry.

    :param persisted: lower-cased first path components of ``persist`` entries.
    :raises ManifestRefused: the target escapes the app folder, or an argument cannot be kept.
    """
    norm = target.replace("\\", "/")
    while norm.startswith("./"):
        norm = norm[2:]
    if norm.startswith("/") or ".." in norm.split("/") or ":" in norm or "$" in norm:
        raise ManifestRefused(
            "launcher", f"bin target {target!r} is outside the app folder", key_path=key_path
        )
    if _UNSAFE_RE.search(norm) or "%" in norm:
        raise ManifestRefused(
            "launcher",
            f"bin target {target!r} has characters no launcher can pass safely",
            key_path=key_path,
        )
    parsed = tuple(_pieces(a, persisted, key_path) for a in split_args(" ".join(args)))
    return Launcher(alias=alias, target=norm, args=parsed)


# --- cmd.exe ----------------------------------------------------------------------------------


def _cmd_arg(arg: tuple[Piece, ...]) -> str:
    # Inside double quotes cmd.exe treats & | < > ^ as text; only % still expands, so it is
    # doubled (batch-file rule). Quotes cannot occur: _pieces refuses them.
    body = "".join("%PKG_APP%" if k == "dir" else t.replace("%", "%%") for k, t in arg)
    return f'"{body}"'


def render_cmd(launcher: Launcher, *, target_exists: bool) -> str:
    """Return the ``.cmd`` launcher (CRLF line ends, as cmd.exe expects)."""
    target = launcher.target.replace("/", "\\")
    path = f'"%PKG_APP%\\{target}"' if target_exists else f'"{target}"'
    args = "".join(" " + _cmd_arg(a) for a in launcher.args)
    run = {
        "exe": f"{path}{args} %*",
        "bat": f"call {path}{args} %*",
        "ps1": f"powershell.exe -NoProfile -ExecutionPolicy Bypass -File {path}{args} %*",
        "jar": f"java.exe -jar {path}{args} %*",
        "py": f"python.exe {path}{args} %*",
    }[launcher.kind]
    lines = ["@echo off", "setlocal", 'set "PKG_APP=%~dp0..\\app"', run, "exit /b %ERRORLEVEL%"]
    return "\r\n".join(lines) + "\r\n"


# --- PowerShell -------------------------------------------------------------------------------


def _ps_quote(text: str) -> str:
    # Single-quoted PowerShell strings expand nothing; a quote is escaped by doubling it
    # (PowerShell also treats the typographic quotes as quotes, so double those too).
    for quote in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(quote, quote * 2)
    return f"'{text}'"


def _ps_arg(arg: tuple[Piece, ...]) -> str:
    parts = ["$app" if k == "dir" else _ps_quote(t) for k, t in arg]
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def render_ps1(launcher: Launcher, *, target_exists: bool) -> str:
    """Return the ``.ps1`` launcher."""
    target = launcher.target.replace("/", "\\")
    path = f"(Join-Path $app {_ps_quote(target)})" if target_exists else _ps_quote(target)
    args = "".join(" " + _ps_arg(a) for a in launcher.args)
    run = {
        "exe": f"& {path}{args} @args",
        "bat": f"& {path}{args} @args",
        "ps1": f"& {path}{args} @args",
        "jar": f"& java.exe -jar {path}{args} @args",
        "py": f"& python.exe {path}{args} @args",
    }[launcher.kind]
    lines = ["$app = Join-Path $PSScriptRoot '..\\app'", run, "exit $LASTEXITCODE"]
    return "\n".join(lines) + "\n"


# --- POSIX sh (Git Bash, MSYS2, Cygwin on Windows) --------------------------------------------


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _sh_arg(arg: tuple[Piece, ...]) -> str:
    return "".join('"$app"' if k == "dir" else _sh_quote(t) for k, t in arg)


def render_sh(launcher: Launcher, *, target_exists: bool) -> str:
    """Return the extension-less POSIX sh launcher."""
    path = f'"$app/{launcher.target}"' if target_exists else _sh_quote(launcher.target)
    args = "".join(" " + _sh_arg(a) for a in launcher.args)
    run = {
        "exe": f"exec {path}{args}",
        # cmd.exe needs the batch file as one Windows path; MSYS turns //c into /c.
        "bat": f"exec cmd.exe //c {path}{args}",
        "ps1": f"exec powershell.exe -NoProfile -ExecutionPolicy Bypass -File {path}{args}",
        "jar": f"exec java -jar {path}{args}",
        "py": f"exec python {path}{args}",
    }[launcher.kind]
    lines = ["#!/bin/sh", 'app="$(cd "$(dirname "$0")/../app" && pwd)"', f'{run} "$@"']
    return "\n".join(lines) + "\n"
