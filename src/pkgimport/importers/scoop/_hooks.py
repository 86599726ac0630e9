r"""Install hooks as data: the few PowerShell statement shapes Scoop manifests use most.

About 16% of Main runs a ``pre_install``/``post_install``/``installer.script`` hook; many of
them only tidy the app folder: remove the NSIS ``$PLUGINSDIR``, rename ``tool-$version.exe``
to ``tool.exe``, copy ``mingw32-make.exe`` to ``make.exe``, create an empty config file that
``persist`` keeps. :func:`parse_hook` reads a hook and returns its statements as
:class:`HookStep` values when, and only when, *every* statement has one of the exact shapes
below; :func:`apply_steps` then does them on the payload. Nothing is evaluated: a statement
that does not match a shape exactly (another parameter, a variable, a sub-expression, a path
outside ``$dir``) leaves the hook to be refused as before.

Shapes (command and parameter names ignore case, as PowerShell does; ``| Out-Null`` may end
any of them; ``P`` is a path in the app folder: ``"$dir\a\b"``, ``$dir\a``, ``"$dir/a"``,
with ``$version`` expanded and `` `$ `` for a ``$``; ``*``/``?`` only where marked):

* ``Remove-Item P*[, P*...] [-Recurse] [-Force] [-ErrorAction SilentlyContinue|Ignore]``
* ``Rename-Item [-Path] P [-NewName] NAME|P [-Force] [-ErrorAction ...]`` (same folder)
* ``Get-ChildItem|Get-Item [-Path] P* [| Select-Object -First 1] | Rename-Item -NewName NAME``
* ``Get-ChildItem|Get-Item [-Path] P* | Remove-Item [-Recurse] [-Force]``
* ``Move-Item [-Path] P* [-Destination] P [-Force]``
* ``Copy-Item [-Path] P [-Destination] P [-Recurse] [-Force]``
* ``New-Item [-Path] P [-ItemType File|Directory] [-Value 'TEXT'] [-Force]``, ``ensure P``
* ``Set-Content [-Path] P [-Value] 'TEXT' [-Encoding Ascii|UTF8|Default]`` (ASCII text)
* ``if (!(Test-Path "$persist_dir\X")) { STATEMENT }`` (also ``-not (...)``, on one line or
  three): a rez package has no persist folder, so this is the first install Scoop sees, and
  the body runs.

Every path is checked with :func:`pkgimport.safe_names.check_member_path` when the hook is
read, and again when a step runs, where no link is followed and each name is looked up
ignoring case, as on Windows.

>>> steps = parse_hook("Rename-Item \"$dir\\tool-$version.exe\" 'tool.exe'", version="1.2")
>>> steps
(HookStep(op='rename', paths=('tool-1.2.exe',), target='tool.exe', text='', flags=frozenset()),)
"""

from __future__ import annotations

import fnmatch
import re
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pkgimport.importers.scoop._errors import PayloadError
from pkgimport.safe_names import UnsafeName, check_member_path

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

__all__ = ["HookStep", "apply_steps", "parse_hook"]

Op = Literal["remove", "rename", "move", "copy", "new_file", "new_dir", "write"]
Flag = Literal["recurse", "ignore_missing", "first", "force"]


@dataclass(frozen=True, kw_only=True, slots=True)
class HookStep:
    """One statement of a hook, as data: an operation on paths inside the app folder."""

    op: Op
    paths: tuple[str, ...]
    """Sources, ``/``-separated, relative to the app folder (``*``/``?`` in the last part of
    ``remove``, ``move`` and pipeline ``rename`` sources)."""
    target: str = ""
    """``rename``: the new name; ``move``/``copy``: the destination path ('' = the folder)."""
    text: str = ""
    """``write``/``new_file``: the file's text."""
    flags: frozenset[Flag] = field(default_factory=frozenset)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, kept in the package metadata."""
        data: dict[str, object] = {"op": self.op, "paths": list(self.paths)}
        if self.target:
            data["target"] = self.target
        if self.text:
            data["text"] = self.text
        if self.flags:
            data["flags"] = sorted(self.flags)
        return data


class _NoMatch(Exception):  # noqa: N818 - control flow inside this module only
    """A statement has no whitelisted shape."""


# -- reading a hook --------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<sq>'(?:[^']|'')*')
      | (?P<dq>"(?:[^"`]|""|`.)*")
      | (?P<op>\|\||[|,(){};!])
      | (?P<word>[^\s|,(){};'"]+)
    )""",
    re.VERBOSE,
)
_DQ_ESCAPES = {"`$": "$", "``": "`", '`"': '"', "`n": "\n", "`r": "\r", "`t": "\t", '""': '"'}
_PLAIN_TEXT = re.compile(r"[\x20-\x7e\t\r\n]*")
_NAME_CHARS = re.compile(r"[^<>:\"/\\|?*\x00-\x1f]+")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: Literal["sq", "dq", "op", "word"]
    text: str


def _tokens(line: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(line):
        if not line[pos:].strip():
            break
        match = _TOKEN.match(line, pos)
        if match is None or match.lastgroup is None:
            raise _NoMatch(line)
        kind = match.lastgroup
        out.append(_Tok(kind, match.group(kind)))  # type: ignore[arg-type]
        pos = match.end()
    return out


def _value(tok: _Tok, version: str) -> tuple[str, bool]:
    """Return a token's string value and whether it may be a ``$dir`` path (was expanded)."""
    if tok.kind == "sq":
        return tok.text[1:-1].replace("''", "'"), False
    if tok.kind not in {"dq", "word"}:
        raise _NoMatch(tok.text)
    body = tok.text[1:-1] if tok.kind == "dq" else tok.text
    out: list[str] = []
    i = 0
    while i < len(body):
        pair = body[i : i + 2]
        if pair in _DQ_ESCAPES and (tok.kind == "dq" or pair == "`$"):
            out.append("\0" if pair == "`$" else _DQ_ESCAPES[pair])  # \0: a literal $
            i += 2
            continue
        if body[i] == "`":
            raise _NoMatch(body)
        if body.startswith("$version", i) and not re.match(r"\w", body[i + 8 : i + 9]):
            out.append(version)
            i += 8
            continue
        out.append(body[i])
        i += 1
    return "".join(out), True


def _path(tok: _Tok, version: str, *, wildcards: bool = False) -> str:
    """Return an app-folder path argument as ``/``-separated relative text ('' = ``$dir``)."""
    text, expanded = _value(tok, version)
    match = re.fullmatch(r"\$(?:original_)?dir(?:[\\/]+(.*))?", text)
    if not expanded or match is None:
        raise _NoMatch(text)
    rel = (match.group(1) or "").replace("\\", "/").strip("/").replace("\0", "$")
    if "$" in (match.group(1) or "").replace("\0", ""):
        raise _NoMatch(text)  # another variable
    if not rel:
        return ""
    parts = rel.split("/")
    special = any(c in "*?[]" for c in rel)
    if special and (not wildcards or any(c in "[]" for c in rel)):
        raise _NoMatch(text)
    if any(c in "*?" for c in "".join(parts[:-1])):
        raise _NoMatch(text)  # wildcards only in the last component
    try:
        return check_member_path("/".join(parts), what="hook path").as_posix()
    except UnsafeName:
        raise _NoMatch(text) from None


def _literal(tok: _Tok) -> str:
    """Return fixed text: single-quoted, or double-quoted with no variable."""
    if tok.kind == "sq":
        text = tok.text[1:-1].replace("''", "'")
    elif tok.kind == "dq":
        if re.search(r"(?<!`)\$", tok.text):
            raise _NoMatch(tok.text)  # a variable: the text is not fixed
        text = _value(tok, "")[0].replace("\0", "$")
    else:
        raise _NoMatch(tok.text)
    if not _PLAIN_TEXT.fullmatch(text):
        raise _NoMatch(tok.text)
    return text


class _Args:
    """A command's arguments: named parameters (``-Name value``), switches, positionals."""

    def __init__(self, toks: Sequence[_Tok], switches: set[str], named: set[str]) -> None:
        self.switches: set[str] = set()
        self.named: dict[str, list[_Tok]] = {}
        self.positional: list[list[_Tok]] = []
        i = 0
        while i < len(toks):
            tok = toks[i]
            name = tok.text.lower()
            if tok.kind == "word" and name.startswith("-") and len(name) > 1:
                name = name[1:].removesuffix(":$true")
                if name in switches:
                    self.switches.add(name)
                    i += 1
                    continue
                if name not in named or i + 1 >= len(toks) or name in self.named:
                    raise _NoMatch(tok.text)
                i, self.named[name] = self._list(toks, i + 1)
                continue
            i, items = self._list(toks, i)
            self.positional.append(items)

    @staticmethod
    def _list(toks: Sequence[_Tok], i: int) -> tuple[int, list[_Tok]]:
        """Read ``a, b, c`` from *i*: return the next index and the items."""
        items = [toks[i]]
        i += 1
        while i + 1 < len(toks) and toks[i].text == ",":
            items.append(toks[i + 1])
            i += 2
        for item in items:
            if item.kind == "op":
                raise _NoMatch(item.text)
        return i, items

    def take(self, name: str, *, single: bool = True) -> list[_Tok] | None:
        """Return the parameter *name*, given by name or as the next positional argument."""
        if name in self.named:
            value = self.named.pop(name)
        elif self.positional:
            value = self.positional.pop(0)
        else:
            return None
        if single and len(value) != 1:
            raise _NoMatch(name)
        return value

    def done(self) -> None:
        if self.positional or self.named:
            raise _NoMatch("unexpected arguments")


_ERROR_ACTIONS = {"silentlycontinue", "ignore"}


def _error_action(args: _Args, flags: set[Flag]) -> None:
    toks = args.named.pop("erroraction", None)
    if toks is None:
        return
    if len(toks) != 1 or _literal_or_word(toks[0]).lower() not in _ERROR_ACTIONS:
        raise _NoMatch("erroraction")
    flags.add("ignore_missing")


def _literal_or_word(tok: _Tok) -> str:
    if tok.kind == "word":
        return tok.text
    return _literal(tok)


def _remove(toks: Sequence[_Tok], version: str, sources: tuple[str, ...] = ()) -> HookStep:
    args = _Args(toks, {"recurse", "force"}, {"path", "literalpath", "erroraction"})
    flags: set[Flag] = set()
    _error_action(args, flags)
    if not sources:
        given = args.named.pop("literalpath", None) or args.take("path", single=False)
        if not given:
            raise _NoMatch("Remove-Item without a path")
        sources = tuple(_path(t, version, wildcards=True) for t in given)
    args.done()
    if "" in sources:
        raise _NoMatch("Remove-Item $dir")
    if "recurse" in args.switches:
        flags.add("recurse")
    return HookStep(op="remove", paths=sources, flags=frozenset(flags))


def _new_name(tok: _Tok, source: str, version: str) -> str:
    text, _ = _value(tok, version) if tok.kind != "sq" else (_literal(tok), False)
    if text.startswith("$"):
        rel = _path(tok, version)
        parent, _, name = rel.rpartition("/")
        if parent != source.rpartition("/")[0]:
            raise _NoMatch(text)  # a move, not a rename
        text = name
    if "$" in text or "\0" in text or not _NAME_CHARS.fullmatch(text) or text in {".", ".."}:
        raise _NoMatch(text)
    return text


def _rename(
    toks: Sequence[_Tok], version: str, source: str = "", flags0: frozenset[Flag] = frozenset()
) -> HookStep:
    args = _Args(toks, {"force"}, {"path", "literalpath", "newname", "erroraction"})
    flags: set[Flag] = set(flags0)
    _error_action(args, flags)
    if not source:
        given = args.named.pop("literalpath", None) or args.take("path")
        if not given:
            raise _NoMatch("Rename-Item without a path")
        source = _path(given[0], version)
    new = args.take("newname")
    args.done()
    if not source or new is None:
        raise _NoMatch("Rename-Item")
    return HookStep(
        op="rename",
        paths=(source,),
        target=_new_name(new[0], source, version),
        flags=frozenset(flags),
    )


def _move_or_copy(op: Literal["move", "copy"], toks: Sequence[_Tok], version: str) -> HookStep:
    switches = {"force"} | ({"recurse"} if op == "copy" else set())
    args = _Args(toks, switches, {"path", "literalpath", "destination", "erroraction"})
    flags: set[Flag] = set()
    _error_action(args, flags)
    given = args.named.pop("literalpath", None) or args.take("path")
    dest = args.take("destination")
    args.done()
    if not given or dest is None:
        raise _NoMatch(op)
    source = _path(given[0], version, wildcards=op == "move")
    if not source:
        raise _NoMatch(f"{op} $dir")
    if "recurse" in args.switches:
        flags.add("recurse")
    if "force" in args.switches:
        flags.add("force")
    return HookStep(op=op, paths=(source,), target=_path(dest[0], version), flags=frozenset(flags))


def _new_item(toks: Sequence[_Tok], version: str) -> HookStep:
    args = _Args(toks, {"force"}, {"path", "itemtype", "type", "value"})
    given = args.take("path")
    kind_toks = args.named.pop("itemtype", None) or args.named.pop("type", None)
    value = args.named.pop("value", None)
    args.done()
    if not given:
        raise _NoMatch("New-Item")
    kind = _literal_or_word(kind_toks[0]).lower() if kind_toks else "file"
    if kind not in {"file", "directory"}:
        raise _NoMatch(kind)
    path = _path(given[0], version)
    if not path or (value and kind != "file"):
        raise _NoMatch("New-Item")
    text = _literal(value[0]) if value else ""
    flags: frozenset[Flag] = frozenset({"force"}) if "force" in args.switches else frozenset()
    op: Op = "new_file" if kind == "file" else "new_dir"
    return HookStep(op=op, paths=(path,), text=text, flags=flags)


def _set_content(toks: Sequence[_Tok], version: str) -> HookStep:
    args = _Args(toks, set(), {"path", "value", "encoding"})
    given = args.take("path")
    value = args.take("value")
    encoding = args.named.pop("encoding", None)
    args.done()
    if not given or value is None:
        raise _NoMatch("Set-Content")
    if encoding and _literal_or_word(encoding[0]).lower() not in {"ascii", "utf8", "default"}:
        raise _NoMatch("encoding")
    path = _path(given[0], version)
    text = _literal(value[0])
    if not path or "\r" in text or "\n" in text:
        raise _NoMatch("Set-Content")
    # Set-Content ends the text with a Windows line end; ASCII reads the same in every encoding.
    return HookStep(op="write", paths=(path,), text=text + "\r\n")


def _pipeline(stages: list[list[_Tok]], version: str) -> HookStep:
    """``Get-ChildItem P | [Select-Object -First 1 |] Rename-Item|Remove-Item ...``."""
    first = stages[0]
    if first[0].text.lower() not in {"get-childitem", "get-item", "gci"}:
        raise _NoMatch(first[0].text)
    args = _Args(first[1:], set(), {"path"})
    given = args.take("path")
    args.done()
    if not given:
        raise _NoMatch("Get-ChildItem")
    source = _path(given[0], version, wildcards=True)
    flags: set[Flag] = set()
    rest = stages[1:]
    if len(rest) == 2 and [t.text.lower() for t in rest[0]] == ["select-object", "-first", "1"]:
        flags.add("first")
        rest = rest[1:]
    if len(rest) != 1 or not source:
        raise _NoMatch("pipeline")
    command = rest[0][0].text.lower()
    if command == "rename-item":
        step = _rename(rest[0][1:], version, source=source, flags0=frozenset(flags))
        if not any(c in "*?" for c in step.target) and "/" not in step.target:
            return step
    elif command == "remove-item" and not flags:
        return _remove(rest[0][1:], version, sources=(source,))
    raise _NoMatch("pipeline")


_COMMANDS: dict[str, Callable[[Sequence[_Tok], str], HookStep]] = {
    "remove-item": _remove,
    "rename-item": _rename,
    "new-item": _new_item,
    "set-content": _set_content,
}


def _statement(toks: list[_Tok], version: str) -> HookStep:
    # `(New-Item ...) | Out-Null` and `... | Out-Null`: the output is dropped either way.
    if len(toks) >= 2 and toks[-2].text == "|" and toks[-1].text.lower() == "out-null":
        toks = toks[:-2]
    if toks and toks[0].text == "(" and toks[-1].text == ")":
        toks = toks[1:-1]
    stages: list[list[_Tok]] = [[]]
    for tok in toks:
        if tok.text == "|":
            stages.append([])
        else:
            stages[-1].append(tok)
    if any(not s or s[0].kind != "word" for s in stages):
        raise _NoMatch("empty stage")
    if len(stages) > 1:
        return _pipeline(stages, version)
    name = toks[0].text.lower()
    if name in _COMMANDS:
        return _COMMANDS[name](toks[1:], version)
    if name in {"move-item", "copy-item"}:
        return _move_or_copy("move" if name == "move-item" else "copy", toks[1:], version)
    if name == "ensure" and len(toks) == 2:  # `ensure P`
        return HookStep(op="new_dir", paths=(_path(toks[1], version),), flags=frozenset({"force"}))
    raise _NoMatch(name)


_GUARD = re.compile(
    r"""if\s*\(\s*(?:!|-not\s*)\(\s*Test-Path\s+(?:-Path\s+|-LiteralPath\s+)?
        (?P<q>["']?)\$persist_dir[\\/][^"'$()`]+(?P=q)\s*\)\s*\)\s*\{""",
    re.IGNORECASE | re.VERBOSE,
)


def _lines(value: object) -> list[str] | None:
    """Return the hook's statements; ``None`` for an installer program or other data."""
    if isinstance(value, dict):
        if set(value) != {"script"}:
            return None  # `file` (an installer program), `args`, `keep`: not a script alone
        value = value["script"]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        return None
    lines: list[str] = []
    for item in items:
        lines.extend(item.splitlines())
    return [s for line in lines if (s := line.strip()) and not s.startswith("#")]


def _unguard(lines: list[str]) -> list[str]:
    """Replace each ``if (!(Test-Path "$persist_dir/X")) { ... }`` by its body."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _GUARD.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        rest = lines[i][match.end() :].strip()
        if rest.endswith("}") and rest != "}":
            out.append(rest[:-1].strip())  # one line: `if (...) { STATEMENT }`
            i += 1
        elif not rest and i + 2 < len(lines) and lines[i + 2] == "}":
            out.append(lines[i + 1])
            i += 3
        else:
            raise _NoMatch(lines[i])
    return out


def parse_hook(value: object, *, version: str) -> tuple[HookStep, ...] | None:
    """Return a hook's statements as steps, or ``None`` if any statement has no known shape.

    :param value: the hook as the manifest holds it (a string, a list of lines, or an
        ``installer`` object with only ``script``).
    :param version: the manifest's version (for ``$version`` in paths).
    """
    lines = _lines(value)
    if not lines:
        return None
    try:
        return tuple(_statement(_tokens(line), version) for line in _unguard(lines))
    except _NoMatch:
        return None


# -- applying steps ------------------------------------------------------------------------------


def _fail(step: HookStep, message: str) -> PayloadError:
    return PayloadError(f"install hook step {step.op} {list(step.paths)}: {message}")


def _child(folder: Path, name: str) -> Path | None:
    """Return the entry of *folder* called *name* ignoring case (Windows), or ``None``."""
    exact = folder / name
    if exact.exists() or exact.is_symlink():
        return exact
    lower = name.lower()
    return next((c for c in sorted(folder.iterdir()) if c.name.lower() == lower), None)


def _folder(app: Path, parts: Sequence[str], step: HookStep) -> Path | None:
    """Return the folder *parts* names under *app* (no link on the way), or ``None``."""
    current = app
    for part in parts:
        found = _child(current, part) if current.is_dir() else None
        if found is None:
            return None
        if found.is_symlink():
            raise _fail(step, f"{found.name!r} is a link: hook steps never follow one")
        current = found
    return current if current.is_dir() else None


def _matches(app: Path, rel: str, step: HookStep) -> list[Path]:
    parent_parts = rel.split("/")[:-1]
    leaf = rel.rsplit("/", 1)[-1]
    folder = _folder(app, parent_parts, step)
    if folder is None:
        return []
    if any(c in "*?" for c in leaf):
        # NTFS lists names in upper-case ordinal order; fnmatch on lower case ignores case.
        found = [c for c in folder.iterdir() if fnmatch.fnmatchcase(c.name.lower(), leaf.lower())]
        return sorted(found, key=lambda p: p.name.upper())
    child = _child(folder, leaf)
    return [child] if child is not None else []


def _remove_path(path: Path, step: HookStep) -> None:
    if path.is_dir() and not path.is_symlink():
        if "recurse" not in step.flags and any(path.iterdir()):
            raise _fail(step, f"{path.name!r} is a folder that is not empty (no -Recurse)")
        shutil.rmtree(path)
    else:
        path.unlink()


def _target(app: Path, rel: str, step: HookStep) -> Path:
    """Where a new entry *rel* goes: its folder must exist (no link on the way)."""
    parts = rel.split("/")
    folder = _folder(app, parts[:-1], step)
    if folder is None:
        raise _fail(step, f"the folder of {rel!r} does not exist")
    existing = _child(folder, parts[-1])
    return existing if existing is not None else folder / parts[-1]


def _apply(step: HookStep, app: Path) -> None:
    if step.op in {"new_dir", "new_file", "write"}:
        rel = step.paths[0]
        if step.op == "new_dir":
            current = app
            for part in rel.split("/"):
                current = _target(current, part, step)
                if current.is_symlink() or (current.exists() and not current.is_dir()):
                    raise _fail(step, f"{current.name!r} is in the way")
                current.mkdir(exist_ok=True)
            return
        target = _target(app, rel, step)
        if target.is_symlink() or target.is_dir():
            raise _fail(step, f"{rel!r} is a folder or a link")
        if step.op == "new_file" and target.exists() and "force" not in step.flags:
            return  # New-Item leaves an existing file alone (and reports an error)
        target.write_bytes(step.text.encode("ascii"))
        return
    sources = [m for rel in step.paths for m in _matches(app, rel, step)]
    if "first" in step.flags:
        sources = sources[:1]
    if not sources:
        if (
            "ignore_missing" in step.flags
            # No match for a wildcard is no error in PowerShell.
            or (step.op == "remove" and any("*" in p or "?" in p for p in step.paths))
        ):
            return
        raise _fail(step, "nothing in the app folder matches")
    if step.op == "remove":
        for path in sources:
            _remove_path(path, step)
        return
    if step.op == "rename":
        if len(sources) != 1:
            raise _fail(step, f"{len(sources)} entries match; Rename-Item renames one")
        new = sources[0].parent / step.target
        if (new.exists() or new.is_symlink()) and new.name.lower() != sources[0].name.lower():
            raise _fail(step, f"{step.target!r} exists already")
        sources[0].rename(new)
        return
    dest = _target(app, step.target, step) if step.target else app
    if dest.is_symlink():
        raise _fail(step, f"{step.target!r} is a link")
    into = dest.is_dir()
    if not into and len(sources) != 1:
        raise _fail(step, f"{len(sources)} entries match and {step.target!r} is no folder")
    for source in sources:
        if source.is_symlink():
            raise _fail(step, f"{source.name!r} is a link: hook steps never copy or move one")
        final = dest / source.name if into else dest
        if final.is_dir() and not final.is_symlink():
            raise _fail(step, f"{final.name!r} is a folder in the way")
        if step.op == "move":
            if final.exists():
                final.unlink()
            source.rename(final)
        elif source.is_dir():
            if "recurse" not in step.flags:
                raise _fail(step, f"{source.name!r} is a folder (no -Recurse)")
            shutil.copytree(source, final, symlinks=True)
        else:
            shutil.copyfile(source, final)


def apply_steps(steps: Sequence[HookStep], app: Path) -> None:
    """Do *steps* in order on the app folder *app*.

    :raises PayloadError: a step cannot be done as PowerShell would (nothing matches, a
        folder is in the way, a link is on the way); the payload is then not kept.
    """
    for step in steps:
        for rel in (*step.paths, step.target) if step.op in {"move", "copy"} else step.paths:
            try:
                if rel:
                    check_member_path(rel.replace("*", "x").replace("?", "x"), what="hook path")
            except UnsafeName as exc:  # noqa: PERF203 - the first bad path stops the hook
                raise _fail(
                    step, f"{rel!r} is not a path inside the app folder ({exc.why})"
                ) from None
        _apply(step, app)
