"""One path-safety rule for every name from outside that becomes a file in a repository.

Names come from manifests, wheels and archives: Scoop ``bin`` aliases and targets, wheel
entry-point names, ``.data`` members, archive members, recipe outputs. Two rules cover them:

* A **tool name** (a file pkgimport creates and lists in ``tools``: a launcher, a console
  script) is a single path component of letters, digits and ``._+-`` that starts with a
  letter, digit or ``_``, with inner spaces where the caller allows them. Such a name is safe
  in every shell, in ``.cmd`` and ``.ps1`` files and in a folder on Windows, macOS and Linux.
* A **member path** (a file that arrives inside a payload and is only copied: an archive
  member, a ``.data`` file, a launcher's target) is relative, made of non-empty components
  that are not ``.`` or ``..``, and holds no control characters, no drive or stream colon and no
  backslash. Any other character (unicode, brackets, ``$``) is kept: such a file is never
  interpreted, and launchers quote what they point at.

Either rule refuses with :class:`UnsafeName`, which names the input (*what*: a manifest key
path, a wheel member) so the user knows where to look.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pkgimport.errors import ImportRefusedError

__all__ = ["UnsafeName", "check_member_path", "check_tool_name", "is_tool_name"]

# A tool name starts with a letter, digit or '_': a leading '-' reads as an option to every
# program that is handed the file name (a glob of bin/* before `rm`), a leading '.' hides it.
_TOOL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]*(?: [A-Za-z0-9._+-]+)*")
_TOOL_NAME_NO_SPACE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]*")
# Device names Windows reserves in every folder, with or without an extension.
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{stem}{n}" for stem in ("COM", "LPT") for n in "123456789"]
)
_MAX_COMPONENT = 200
"""Bytes of one component: below every filesystem's 255, leaving room for ``.cmd``/``.ps1``."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeName(ImportRefusedError, ValueError):  # noqa: N818 - packaging-style name
    """A name from outside cannot become a file safely (it would escape or be interpreted)."""

    def __init__(self, name: str, what: str, why: str) -> None:
        self.name = name
        """The refused name, as given."""
        self.what = what
        """Where it came from: a manifest key path, a wheel member."""
        self.why = why
        """Which part of the rule it breaks."""
        ImportRefusedError.__init__(
            self,
            f"{what}: {name!r} is not a safe file name ({why})",
            hint="fix the name at its source; pkgimport never writes such a name to disk",
        )


def _component_problem(part: str) -> str | None:
    """Return why *part* is not a safe path component, or ``None``."""
    if part in {"", ".", ".."}:
        return "empty, '.' or '..'"
    if _CONTROL.search(part):
        return "it holds a control character"
    if "\\" in part or ":" in part:
        return "it holds a backslash or a colon"
    if len(part.encode("utf-8", "surrogatepass")) > _MAX_COMPONENT:
        return f"longer than {_MAX_COMPONENT} bytes"
    return None


def is_tool_name(name: str, *, spaces: bool = False) -> bool:
    """Tell whether *name* is a safe tool name (see the module docstring).

    >>> is_tool_name("rg"), is_tool_name("../evil"), is_tool_name("a b", spaces=True)
    (True, False, True)
    """
    pattern = _TOOL_NAME if spaces else _TOOL_NAME_NO_SPACE
    if not pattern.fullmatch(name) or _component_problem(name) is not None:
        return False
    if name.strip(".") == "" or name.endswith("."):
        return False  # '...' and a trailing dot: Windows drops trailing dots from file names
    return name.split(".", 1)[0].upper() not in _WINDOWS_DEVICES


def check_tool_name(name: str, *, what: str, spaces: bool = False) -> str:
    """Return *name* if it is a safe tool name, else raise :class:`UnsafeName`.

    :param what: the input that named it, for the message (``"manifest 'bin[0][1]'"``).
    :param spaces: allow single inner spaces (Scoop aliases may hold them; Windows allows them).
    :raises UnsafeName: the name is not one path component of the safe character set.
    """
    if is_tool_name(name, spaces=spaces):
        return name
    allowed = "letters, digits, '._+-'" + (" and inner spaces" if spaces else "")
    allowed += ", starting with a letter, digit or '_'"
    raise UnsafeName(name, what, f"a tool name is one path component of {allowed}")


def check_member_path(path: str, *, what: str) -> PurePosixPath:
    """Return *path* (``/``-separated) as a relative path that stays inside its folder.

    :param what: the input that named it (``"wheel member 'x.data/scripts/y'"``).
    :raises UnsafeName: the path is absolute, climbs with ``..``, or a component is unsafe.

    >>> str(check_member_path("bin/rg.exe", what="x"))
    'bin/rg.exe'
    """
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        raise UnsafeName(path, what, "it is absolute")
    parts = path.split("/")
    if parts and parts[-1] == "":
        parts.pop()  # a folder member: 'a/b/'
    if not parts:
        raise UnsafeName(path, what, "it is empty")
    for part in parts:
        problem = _component_problem(part)
        if problem is not None:
            raise UnsafeName(path, what, f"component {part!r}: {problem}")
    return PurePosixPath(*parts)
