r"""Launchers: what Scoop's shims do, as a ``.cmd``, a ``.ps1`` and a POSIX ``sh`` script.

A ``bin`` entry's arguments are one command-line string in Scoop (the shim prepends it to the
user's arguments). :func:`parse_launcher` splits it with the Windows argument rules into
arguments made of literal text and ``$dir`` references, so each script quotes every piece for
its own shell: manifest text is always data inside quotes, never code.

Trust boundary (what a manifest can make pkgimport write):

* The **alias** becomes three file names under ``{root}/bin`` and an entry of ``tools``: it must
  be a tool name (:func:`pkgimport.safe_names.check_tool_name`), inner spaces allowed because
  Scoop creates shims with any Windows file name and ``my tool.cmd`` is still one safe file
  name. It never appears inside a launcher. An alias Scoop derives from a target's file name
  (``exiftool(-k).exe``) that is no tool name leaves that launcher out, with a warning; an
  alias the manifest gives is refused.
* The **target** is a path inside the app folder (:func:`pkgimport.safe_names.check_member_path`)
  that a Windows file can have (none of ``<>"|?*``), without ``$`` or ``%``, not starting
  with ``-`` (``exec -x`` is an option to some shells).
* Launcher **text** (targets and arguments) is printable ASCII: cmd.exe reads a batch file in
  the console's OEM code page, so no encoding of other characters names the same file in every
  console. Arguments hold no ``"`` of their own (``\"``), no PowerShell variable but ``$dir``
  and ``$persist_dir``, and do not end in ``\`` (Windows programs read ``\"`` as a quote).
* **Persisted data**: ``$persist_dir`` is the app's per-user persist home (:mod:`._persist`),
  which each launcher works out itself from ``PKGIMPORT_SCOOP_PERSIST`` when it runs, then
  copies the package's defaults into where the home lacks them. Entry paths written there are
  printable ASCII path text without ``$ % ! ^ "`` or a wildcard (:mod:`._persist` leaves any
  other entry out), and the app name is one plain folder name.
* Quoting: ``sh`` single quotes (``'`` as ``'\''``); ``.ps1`` single quotes (``'`` as
  ``''``); ``.cmd`` double quotes, inside which cmd.exe reads ``& | < > ( ) ^`` as text, with
  ``%`` doubled and delayed expansion (``!``) switched off. A batch target runs through
  ``call``, which expands ``%`` once more and doubles every ``^`` even inside quotes: for
  batch targets ``%`` and ``^`` are refused. The ``sh`` launcher of a batch target hands over
  to the ``.cmd`` one, so cmd.exe never parses manifest text the ``sh`` launcher quoted.

>>> launcher = parse_launcher("bin\\tool.exe", "tool", ('-c "$dir\\my conf"',))
>>> launcher.args
((('text', '-c'),), (('dir', ''), ('text', '\\my conf')))
>>> print(render_sh(launcher, target_exists=True).splitlines()[-1])
exec "$app"/'bin/tool.exe' '-c' "$app"'\my conf' "$@"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pkgimport.importers.scoop._errors import ManifestRefused
from pkgimport.importers.scoop._persist import PERSIST_VAR, POSIX_DEFAULT, WINDOWS_DEFAULT
from pkgimport.safe_names import UnsafeName, check_member_path, check_tool_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pkgimport.importers.scoop._manifest import BinItem
    from pkgimport.importers.scoop._persist import Persist, PersistCopy

__all__ = [
    "BinPaths",
    "Launcher",
    "build_launchers",
    "launcher_files",
    "parse_launcher",
    "render_cmd",
    "render_ps1",
    "render_sh",
    "split_args",
]

Piece = tuple[Literal["text", "dir", "persist"], str]
"""A literal text piece, ``("dir", "")`` for the app folder, ``("persist", "")`` for the app's
per-user persist home (:mod:`._persist`)."""

# `$dir` and `$original_dir` are the app folder; a following word character would make it
# another PowerShell variable (`$directory`), which Scoop would not substitute either.
_VAR_RE = re.compile(r"\$(original_dir|dir|persist_dir)(?![A-Za-z0-9_])")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_NOT_IN_TARGETS = '<>"|?*$%'
"""Characters no Windows file name has (``<>"|?*``), a variable (``$``), an expansion (``%``)."""
_NOT_FOR_CALL = "%^"
"""What cmd.exe's ``call`` (batch targets) expands or doubles even inside quotes."""
_LAUNCHER_SUFFIXES = ("", ".cmd", ".ps1")
_HINT = "fix the bin entry in the manifest: pkgimport writes no launcher it cannot make safe"
"""The files one launcher writes under ``{root}/bin``: ``NAME`` (sh), ``NAME.cmd``, ``NAME.ps1``."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Launcher:
    """One command the package provides, written as three scripts under ``{root}/bin``.

    Every launcher holds only names and text the module docstring's rules allow: building one
    with anything else raises :class:`ManifestRefused` (the renderers rely on it).
    """

    alias: str
    """Command name (file name of the scripts)."""
    target: str
    """Target relative to the app folder, with ``/`` separators."""
    args: tuple[tuple[Piece, ...], ...] = ()
    """Fixed arguments, each a sequence of pieces."""

    def __post_init__(self) -> None:
        _check_alias(self.alias, "")
        if _check_target(self.target, "") != self.target:
            raise ManifestRefused("launcher", f"target {self.target!r} is not normalised")
        for arg in self.args:
            _check_pieces(arg, self.kind, "")

    @property
    def kind(self) -> str:
        """How the target runs: ``exe``, ``bat``, ``ps1``, ``jar`` or ``py``."""
        return _kind(self.target)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, kept in the package metadata."""
        return {
            "alias": self.alias,
            "target": self.target,
            "args": [[list(p) for p in arg] for arg in self.args],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class BinPaths:
    """Where in the manifest one ``bin`` entry's parts are, for refusals and warnings."""

    entry: str
    """The entry (``'bin[2]'``, or ``'bin'`` when ``bin`` is one string)."""
    target: str
    """The target (``'bin[2][0]'`` for ``[target, alias, args...]``, else the entry)."""
    alias: str
    """The alias given, or the target it is derived from."""
    args: tuple[str, ...] = ()
    """Each argument string (``'bin[2][2]'``...)."""
    alias_given: bool = True
    """The manifest names the alias (else Scoop derives it from the target's file name)."""

    @classmethod
    def of(cls, entry: str, raw: object) -> BinPaths:
        """Return the key paths of the raw ``bin`` entry *raw* found at *entry*."""
        if not isinstance(raw, list):
            return cls(entry=entry, target=entry, alias=entry, alias_given=False)
        parts: list[object] = raw
        given = len(parts) > 1 and bool(parts[1])
        return cls(
            entry=entry,
            target=f"{entry}[0]",
            alias=f"{entry}[1]" if given else f"{entry}[0]",
            args=tuple(f"{entry}[{i}]" for i in range(2, len(parts))),
            alias_given=given,
        )


def launcher_files(alias: str) -> tuple[str, ...]:
    """Return the file names a launcher called *alias* writes under ``{root}/bin``.

    >>> launcher_files("rg")
    ('rg', 'rg.cmd', 'rg.ps1')
    """
    return tuple(alias + suffix for suffix in _LAUNCHER_SUFFIXES)


def _kind(target: str) -> str:
    ext = target.rsplit(".", 1)[-1].lower() if "." in target else ""
    return {"bat": "bat", "cmd": "bat", "ps1": "ps1", "jar": "jar", "py": "py"}.get(ext, "exe")


# --- the rules --------------------------------------------------------------------------------


def _check_alias(alias: str, where: str) -> str:
    try:
        return check_tool_name(alias, what="bin alias", spaces=True)
    except UnsafeName as exc:
        raise ManifestRefused(
            "alias",
            f"bin alias {alias!r} is not a safe command name ({exc.why})",
            key_path=where,
            hint=_HINT,
        ) from None


def _text_problem(text: str, forbidden: str) -> str | None:
    """Return why *text* cannot be launcher text, or ``None``."""
    if not _PRINTABLE_ASCII.fullmatch(text):
        return "it is not printable ASCII, the only text every launcher passes the same way"
    bad = sorted({c for c in text if c in forbidden})
    if bad:
        return f"it holds {''.join(bad)!r}"
    return None


def _check_target(target: str, where: str) -> str:
    """Return *target* as a ``/``-separated path inside the app folder, or refuse it."""
    text = target.replace("\\", "/")
    parts = [p for p in text.split("/") if p not in {"", "."}]
    if text.startswith("/") or ":" in text or ".." in parts:
        raise ManifestRefused(
            "launcher",
            f"bin target {target!r} is outside the app folder",
            key_path=where,
            hint=_HINT,
        )
    forbidden = _NOT_IN_TARGETS + (_NOT_FOR_CALL if _kind(text) == "bat" else "")
    problem = _text_problem(text, forbidden)
    if problem is None and text.startswith("-"):
        problem = "it starts with '-'"
    if problem is not None:
        raise ManifestRefused(
            "launcher",
            f"bin target {target!r} has characters no launcher can pass safely: {problem}",
            key_path=where,
            hint=_HINT,
        )
    try:
        return check_member_path("/".join(parts), what="bin target").as_posix()
    except UnsafeName as exc:
        raise ManifestRefused(
            "launcher",
            f"bin target {target!r} is not a safe path ({exc.why})",
            key_path=where,
            hint=_HINT,
        ) from None


def _check_pieces(arg: tuple[Piece, ...], kind: str, where: str) -> None:
    forbidden = '"$' + (_NOT_FOR_CALL if kind == "bat" else "")
    for piece_kind, text in arg:
        problem = _text_problem(text, forbidden) if piece_kind == "text" else None
        if problem is not None:
            raise ManifestRefused(
                "launcher",
                f"argument {text!r} has a variable or a character no launcher can pass "
                f"safely: {problem}",
                key_path=where,
                hint=_HINT,
            )
    if arg and arg[-1][0] == "text" and arg[-1][1].endswith("\\"):
        raise ManifestRefused(
            "launcher",
            f"argument {arg[-1][1]!r} ends in a backslash, which a Windows program reads as "
            "escaping the launcher's closing quote: no launcher can pass it safely",
            key_path=where,
            hint=_HINT,
        )


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


def _pieces(arg: str, persist: Persist | None, where: str, kind: str) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    pos = 0
    while match := _VAR_RE.search(arg, pos):
        if match.start() > pos:
            pieces.append(("text", arg[pos : match.start()]))
        pos = match.end()
        if match.group(1) == "persist_dir":
            if persist is None:
                raise ManifestRefused(
                    "persist_dir", f"argument {arg!r} uses $persist_dir", key_path=where
                )
            pieces.append(("persist", ""))
            continue
        persisted = persist.match_source(arg, pos) if persist is not None else None
        if persisted is None:
            pieces.append(("dir", ""))
            continue
        # Scoop's link: `$dir\src...` is the persisted `$persist_dir\target...`.
        target, pos = persisted
        pieces.extend([("persist", ""), ("text", "\\" + target.replace("/", "\\"))])
    if pos < len(arg) or not pieces:
        pieces.append(("text", arg[pos:]))  # an empty argument ("") is one empty piece
    _check_pieces(tuple(pieces), kind, where)
    return tuple(pieces)


def parse_launcher(
    target: str,
    alias: str,
    args: tuple[str, ...],
    *,
    persist: Persist | None = None,
    key_path: str = "bin",
    paths: BinPaths | None = None,
) -> Launcher:
    """Build a :class:`Launcher` from a ``bin`` entry.

    :param persist: the app's persisted entries: ``$persist_dir``, and ``$dir`` before a
        persisted entry, are its per-user persist home (without it, ``$persist_dir`` is
        refused).
    :param key_path: the entry's key path, used for every part when *paths* is not given.
    :param paths: the key path of each part of the entry, for the refusal.
    :raises ManifestRefused: the alias is no safe command name (reason ``alias``), the target
        escapes the app folder or an argument cannot be kept (``launcher``), or an argument
        uses ``$persist_dir`` without *persist* (``persist_dir``).
    """
    where = paths or BinPaths(entry=key_path, target=key_path, alias=key_path)
    # The target first: an unsafe target refuses the manifest even when the alias derived
    # from it would only leave the launcher out.
    norm = _check_target(target, where.target)
    _check_alias(alias, where.alias)
    kind = _kind(norm)
    # Each argument string alone first, so a refusal names the one at fault; then the line
    # Scoop builds (the strings joined by spaces), which is what the target receives.
    for i, text in enumerate(args):
        at = where.args[i] if i < len(where.args) else where.entry
        for arg in split_args(text):
            _pieces(arg, persist, at, kind)
    parsed = tuple(_pieces(a, persist, where.entry, kind) for a in split_args(" ".join(args)))
    return Launcher(alias=alias, target=norm, args=parsed)


def build_launchers(
    items: Sequence[BinItem],
    raw: object,
    key_path: str,
    *,
    persist: Persist | None = None,
    warnings: list[str],
) -> tuple[Launcher, ...]:
    """Return the launchers of one architecture's ``bin`` (*raw*: its JSON value at *key_path*).

    Aliases keep the manifest's spelling (``HashMyFiles``). A later entry with the same alias
    ignoring case (``hashmyfiles``) replaces an earlier one, spelling included, as Scoop
    overwrites the shim on a case-insensitive NTFS folder. A launcher is left out, with a
    warning, when its arguments use ``$persist_dir`` without *persist* or when Scoop would
    derive its alias from a file name that is no command name.

    :raises ManifestRefused: an unsafe alias, target or argument, or two launchers whose files
        would overwrite each other (``x`` and ``x.cmd``).
    """
    raw_items: list[object] = raw if isinstance(raw, list) else [raw]
    listed = isinstance(raw, list)
    found: dict[str, tuple[Launcher, BinPaths]] = {}
    for i, item in enumerate(items):
        entry = f"{key_path}[{i}]" if listed else key_path
        paths = BinPaths.of(entry, raw_items[i] if i < len(raw_items) else None)
        try:
            launcher = parse_launcher(
                item.target, item.alias, item.args, persist=persist, paths=paths
            )
        except ManifestRefused as exc:
            if exc.reason == "persist_dir" or (exc.reason == "alias" and not paths.alias_given):
                # One command whose arguments point into a persist folder nobody named, or whose
                # name only suits Explorer: leave that command out rather than the whole package.
                warnings.append(f"{entry}: launcher {item.alias!r} not written: {exc.detail}")
                continue
            raise
        found[item.alias.lower()] = (launcher, paths)
    owners: dict[str, Launcher] = {}
    for launcher, paths in found.values():
        for name in launcher_files(launcher.alias):
            # Windows and macOS folders ignore case: compare the names as they would.
            other = owners.setdefault(name.lower(), launcher)
            if other is not launcher:
                raise ManifestRefused(
                    "alias",
                    f"launcher {launcher.alias!r} would overwrite {name!r} of launcher "
                    f"{other.alias!r}",
                    key_path=paths.alias,
                    hint=_HINT,
                )
    return tuple(launcher for launcher, _ in found.values())


# --- cmd.exe ----------------------------------------------------------------------------------


def _cmd_arg(arg: tuple[Piece, ...]) -> str:
    # Inside double quotes cmd.exe treats & | < > ( ) ^ as text; only % still expands, so it is
    # doubled (batch-file rule), and ! would with delayed expansion, which the launcher turns
    # off. Quotes, control characters and (for `call`) % and ^ never get here: Launcher
    # refuses them.
    names = {"dir": "%PKG_APP%", "persist": "%PKG_PERSIST%"}
    body = "".join(names.get(k) or t.replace("%", "%%") for k, t in arg)
    return f'"{body}"'


def _cmd_persist(persist: Persist, copies: tuple[PersistCopy, ...]) -> list[str]:
    """Lines that set ``PKG_PERSIST`` to the app's persist home and copy missing defaults."""
    default = WINDOWS_DEFAULT.replace("$LOCALAPPDATA", "%LOCALAPPDATA%").replace("/", "\\")
    lines = [
        f'set "PKG_PERSIST={default}"',
        f'if defined {PERSIST_VAR} set "PKG_PERSIST=%{PERSIST_VAR}%"',
        f'set "PKG_PERSIST=%PKG_PERSIST%\\{persist.app}"',
        'if not exist "%PKG_PERSIST%\\" mkdir "%PKG_PERSIST%"',
    ]
    for copy in copies:
        # Entry paths hold no % ! ^ or quote (_persist): plain text inside double quotes.
        source = "%PKG_APP%\\" + copy.source.replace("/", "\\")
        target = "%PKG_PERSIST%\\" + copy.target.replace("/", "\\")
        if copy.is_dir:
            xcopy = f'xcopy "{source}" "{target}\\" /E /I /Q /H /Y >nul'
            lines.append(f'if not exist "{target}" {xcopy}')
            continue
        parent = copy.target.rpartition("/")[0]
        if parent:
            folder = "%PKG_PERSIST%\\" + parent.replace("/", "\\")
            lines.append(f'if not exist "{folder}\\" mkdir "{folder}"')
        lines.append(f'if not exist "{target}" copy /Y "{source}" "{target}" >nul')
    return lines


def render_cmd(
    launcher: Launcher,
    *,
    target_exists: bool,
    persist: Persist | None = None,
    copies: tuple[PersistCopy, ...] = (),
) -> str:
    """Return the ``.cmd`` launcher (CRLF line ends, as cmd.exe expects).

    :param persist: the app's persist home, set up first when the launcher uses it or
        *copies* are given.
    :param copies: defaults copied into the persist home where it lacks them.
    """
    setup = _persist_setup(launcher, persist, copies)
    target = launcher.target.replace("/", "\\").replace("%", "%%")
    path = f'"%PKG_APP%\\{target}"' if target_exists else f'"{target}"'
    args = "".join(" " + _cmd_arg(a) for a in launcher.args)
    run = {
        "exe": f"{path}{args} %*",
        "bat": f"call {path}{args} %*",
        "ps1": f"powershell.exe -NoProfile -ExecutionPolicy Bypass -File {path}{args} %*",
        "jar": f"java.exe -jar {path}{args} %*",
        "py": f"python.exe {path}{args} %*",
    }[launcher.kind]
    lines = [
        "@echo off",
        # Delayed expansion may be on by default (registry); ! in a path must stay text.
        "setlocal EnableExtensions DisableDelayedExpansion",
        'set "PKG_APP=%~dp0..\\app"',
        *(_cmd_persist(setup, copies) if setup else ()),
        run,
        "exit /b %ERRORLEVEL%",
    ]
    return "\r\n".join(lines) + "\r\n"


# --- PowerShell -------------------------------------------------------------------------------


def _ps_quote(text: str) -> str:
    # Single-quoted PowerShell strings expand nothing; a quote is escaped by doubling it
    # (PowerShell also treats the typographic quotes as quotes, so double those too).
    for quote in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(quote, quote * 2)
    return f"'{text}'"


def _ps_arg(arg: tuple[Piece, ...]) -> str:
    names = {"dir": "$app", "persist": "$persist"}
    parts = [names.get(k) or _ps_quote(t) for k, t in arg]
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def _ps_persist(persist: Persist, copies: tuple[PersistCopy, ...]) -> list[str]:
    """Lines that set ``$persist`` to the app's persist home and copy missing defaults."""
    windows = _ps_quote(WINDOWS_DEFAULT.removeprefix("$LOCALAPPDATA/").replace("/", "\\"))
    posix = _ps_quote(POSIX_DEFAULT.removeprefix("$HOME/"))
    lines = [
        (
            f"$persist = if ($env:{PERSIST_VAR}) {{ $env:{PERSIST_VAR} }}"
            f" elseif ($env:LOCALAPPDATA) {{ Join-Path $env:LOCALAPPDATA {windows} }}"
            f" else {{ Join-Path $HOME {posix} }}"
        ),
        f"$persist = Join-Path $persist {_ps_quote(persist.app)}",
        # CreateDirectory takes the path literally ([ ] are wildcards to New-Item -Path).
        "[void][System.IO.Directory]::CreateDirectory($persist)",
    ]
    for copy in copies:
        source = "(Join-Path $app " + _ps_quote(copy.source.replace("/", "\\")) + ")"
        target = "(Join-Path $persist " + _ps_quote(copy.target.replace("/", "\\")) + ")"
        parent = f"[void][System.IO.Directory]::CreateDirectory((Split-Path -Parent {target}))"
        step = f"Copy-Item -LiteralPath {source} -Destination {target} -Recurse"
        lines.append(f"if (-not (Test-Path -LiteralPath {target})) {{ {parent}; {step} }}")
    return lines


def render_ps1(
    launcher: Launcher,
    *,
    target_exists: bool,
    persist: Persist | None = None,
    copies: tuple[PersistCopy, ...] = (),
) -> str:
    """Return the ``.ps1`` launcher (see :func:`render_cmd` for *persist* and *copies*)."""
    setup = _persist_setup(launcher, persist, copies)
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
    lines = [
        "$app = Join-Path $PSScriptRoot '..\\app'",
        *(_ps_persist(setup, copies) if setup else ()),
        run,
        "exit $LASTEXITCODE",
    ]
    return "\n".join(lines) + "\n"


# --- POSIX sh (Git Bash, MSYS2, Cygwin on Windows) --------------------------------------------


def _sh_quote(text: str) -> str:
    # Single quotes keep every character but the single quote itself, which closes the
    # string, is escaped, and opens it again.
    return "'" + text.replace("'", "'\\''") + "'"


def _sh_arg(arg: tuple[Piece, ...]) -> str:
    names = {"dir": '"$app"', "persist": '"$persist"'}
    return "".join(names.get(k) or _sh_quote(t) for k, t in arg)


def _sh_persist(persist: Persist, copies: tuple[PersistCopy, ...]) -> list[str]:
    """Lines that set ``$persist`` to the app's persist home and copy missing defaults."""
    tail = WINDOWS_DEFAULT.removeprefix("$LOCALAPPDATA")  # the same below either base
    posix = POSIX_DEFAULT.removesuffix(tail)
    lines = [
        f'persist="${{{PERSIST_VAR}:-${{LOCALAPPDATA:-{posix}}}{tail}}}"/' + _sh_quote(persist.app),
        'mkdir -p -- "$persist"',
    ]
    for copy in copies:
        source = '"$app"/' + _sh_quote(copy.source)
        target = '"$persist"/' + _sh_quote(copy.target)
        if copy.is_dir:
            # Into the folder made first: a launcher racing this one merges the same files
            # rather than nesting a second copy.
            step = f"mkdir -p -- {target} && cp -R -- {source}/. {target}/"
        else:
            parent = copy.target.rpartition("/")[0]
            folder = '"$persist"/' + _sh_quote(parent) if parent else '"$persist"'
            step = f"mkdir -p -- {folder} && cp -- {source} {target}"
        lines.append(f"[ -e {target} ] || {{ {step}; }}")
    return lines


def _persist_setup(
    launcher: Launcher, persist: Persist | None, copies: tuple[PersistCopy, ...]
) -> Persist | None:
    """Return the persist home a launcher must set up (``None``: it needs none)."""
    uses = any(k == "persist" for arg in launcher.args for k, _ in arg)
    if uses and persist is None:
        msg = f"launcher {launcher.alias!r} uses the persist home, which was not given"
        raise ValueError(msg)
    return persist if (uses or copies) else None


def render_sh(
    launcher: Launcher,
    *,
    target_exists: bool,
    persist: Persist | None = None,
    copies: tuple[PersistCopy, ...] = (),
) -> str:
    """Return the extension-less POSIX sh launcher (see :func:`render_cmd`).

    The launcher of a batch target hands over to the ``.cmd`` one, which sets up the persist
    home itself.
    """
    if launcher.kind == "bat":
        # A batch file runs in cmd.exe, which parses its command line again (& | % ...):
        # hand over to the .cmd launcher, whose quoting is made for cmd.exe. MSYS turns //c
        # into /c.
        here = 'bin="$(cd "$(dirname -- "$0")" && pwd)"'
        run = f'exec cmd.exe //c "$bin"/{_sh_quote(launcher.alias + ".cmd")} "$@"'
        return f"#!/bin/sh\n{here}\n{run}\n"
    setup = _persist_setup(launcher, persist, copies)
    path = f'"$app"/{_sh_quote(launcher.target)}' if target_exists else _sh_quote(launcher.target)
    args = "".join(" " + _sh_arg(a) for a in launcher.args)
    run = {
        "exe": f"exec {path}{args}",
        "ps1": f"exec powershell.exe -NoProfile -ExecutionPolicy Bypass -File {path}{args}",
        "jar": f"exec java -jar {path}{args}",
        "py": f"exec python {path}{args}",
    }[launcher.kind]
    lines = [
        "#!/bin/sh",
        'app="$(cd "$(dirname -- "$0")/../app" && pwd)"',
        *(_sh_persist(setup, copies) if setup else ()),
        f'{run} "$@"',
    ]
    return "\n".join(lines) + "\n"
