"""Console and GUI scripts: a wheel's ``entry_points.txt``, checked, and the launchers for it.

Nothing a wheel says becomes code, or a file name, unchecked:

* An entry point's *name* becomes a file in ``bin/`` and a rez tool, so it must be a safe
  tool name (:func:`pkgimport.safe_names.check_tool_name`), and must not end in ``.cmd``
  (the suffix of the Windows launchers).
* Its *value* must be an object reference ``module:function`` as the entry points
  specification defines it: Python identifiers separated by dots, optional ``[extras]``
  (ignored). The POSIX launcher holds those names as string literals, never as code.
* The Windows ``.cmd`` launcher is the same text for every tool: it runs the POSIX launcher
  next to it (``%~dpn0`` is its own path without ``.cmd``), so ``cmd.exe`` reads nothing that
  came from the wheel.

The file is parsed the way ``installer`` parses it (``configparser``, ``=`` only, names
case-sensitive, as the specification says), so both see the same entry points.
"""

from __future__ import annotations

import configparser
import keyword
import re
from dataclasses import dataclass
from typing import Literal

from pkgimport.importers.pypi._errors import InvalidWheel, UnsafeWheelName, with_hint
from pkgimport.safe_names import UnsafeName, check_tool_name

__all__ = [
    "CMD_LAUNCHER",
    "EntryPoint",
    "Section",
    "check_script_name",
    "parse_entry_points",
    "parse_object_reference",
    "render_launcher",
]

Section = Literal["console", "gui"]
_SECTIONS: dict[str, Section] = {"console_scripts": "console", "gui_scripts": "gui"}
_HINT = "the wheel is broken: pick another version, or report it to the project"
# PEP 508 extra names (what may stand between the brackets after a reference).
_EXTRA_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
_WITH_EXTRAS = re.compile(r"(?P<reference>[^\[\]]*?)\s*\[(?P<extras>[^\[\]]*)\]")

_LAUNCHER = """\
#!/usr/bin/env python
# Launcher written by pkgimport for the entry point {reference}: runs it with the python
# on PATH. The names below are string literals, never code.
import sys
from importlib import import_module

if __name__ == "__main__":
    target = import_module({module})
    names = {attrs}
    try:
        target = getattr(target, names[0])
    except AttributeError:  # like "from module import name", which also finds a submodule
        target = import_module({module} + "." + names[0])
    for name in names[1:]:
        target = getattr(target, name)
    sys.exit(target())
"""

CMD_LAUNCHER = '@python "%~dpn0" %*\r\n@exit /b %ERRORLEVEL%\r\n'
"""The Windows twin of every launcher: runs the POSIX launcher of the same name (without
``.cmd``) with the python on PATH; ``exit /b`` hands python's exit code to the caller."""


@dataclass(frozen=True, kw_only=True, slots=True)
class EntryPoint:
    """One checked console or GUI script."""

    name: str
    """The command (a safe tool name)."""
    module: str
    """Dotted module name to import."""
    attr: str
    """Dotted attribute path of the function in :attr:`module`."""
    section: Section

    @property
    def source(self) -> str:
        """Where it was declared, for messages: ``[console_scripts] 'name'``."""
        return f"[{self.section}_scripts] {self.name!r}"


def parse_entry_points(text: str, *, wheel: str, member: str) -> tuple[EntryPoint, ...]:
    r"""Return the console and GUI scripts of an ``entry_points.txt``, in file order.

    :param wheel: the wheel's file name, and *member* the file's path in it (for messages).
    :raises InvalidWheel: the file does not parse, or a value is not ``module:function``.
    :raises UnsafeWheelName: a script name is not a safe tool name.

    >>> parse_entry_points("[console_scripts]\nrg = ripgrep.cli:main\n", wheel="w", member="m")
    (EntryPoint(name='rg', module='ripgrep.cli', attr='main', section='console'),)
    """
    what = f"wheel {wheel} member {member!r}"
    # Interpolation off: installer's would fail on '%' with a traceback; a '%' is refused
    # below anyway, being no part of an object reference.
    config = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    config.optionxform = str  # type: ignore[assignment, method-assign]  # names keep their case
    try:
        config.read_string(text)
    except configparser.Error as exc:
        raise with_hint(InvalidWheel(f"{what}: {_config_problem(exc, text)}"), _HINT) from None
    out = []
    for section in config.sections():
        kind = _SECTIONS.get(section)
        if kind is None:
            continue  # plugins of other tools: never turned into files
        for name, value in config.items(section):
            check_script_name(name, what=f"{what} [{section}]")
            module, attr = parse_object_reference(value, what=f"{what} [{section}] {name!r}")
            out.append(EntryPoint(name=name, module=module, attr=attr, section=kind))
    return tuple(out)


def check_script_name(name: str, *, what: str) -> str:
    """Return *name* if it may name a launcher in ``bin/``.

    :raises UnsafeWheelName: not a safe tool name, or it ends in ``.cmd``.
    """
    try:
        check_tool_name(name, what=what)
    except UnsafeName as exc:
        raise UnsafeWheelName.from_unsafe(exc) from None
    if name.lower().endswith(".cmd"):
        raise UnsafeWheelName(name, what, "it ends in '.cmd', the suffix of the Windows launchers")
    return name


def parse_object_reference(value: str, *, what: str) -> tuple[str, str]:
    """Return ``(module, attr)`` of an entry point value ``module:attr [extras]``.

    Each dotted part must be a Python identifier that is not a keyword (a launcher could not
    import it otherwise); spaces around ``:`` and the brackets are allowed, as the entry
    points specification says readers must.

    :param what: the input holding the value, for the message.
    :raises InvalidWheel: *value* is anything else (quoted in the message).

    >>> parse_object_reference("black : patched_main [d]", what="x")
    ('black', 'patched_main')
    """

    def refuse(why: str) -> InvalidWheel:
        return with_hint(InvalidWheel(f"{what}: {value!r} is not 'module:function' ({why})"), _HINT)

    if "\n" in value:
        # configparser joins an indented next line to the value.
        raise refuse("it goes on over a continuation line; an entry point is one line")
    reference = value.strip()
    with_extras = _WITH_EXTRAS.fullmatch(reference)
    if with_extras is not None:
        reference = with_extras["reference"]
        for extra in (e.strip() for e in with_extras["extras"].split(",")):
            if extra and not _EXTRA_NAME.fullmatch(extra):
                raise refuse(f"{extra!r} is not an extra name")
    module, colon, attr = (part.strip() for part in reference.partition(":"))
    if not colon:
        raise refuse("the ':function' part is missing")
    for dotted in (module, attr):
        parts = dotted.split(".")
        if not all(part.isidentifier() for part in parts):
            raise refuse(f"{dotted!r} is not a dotted Python name")
        reserved = next((part for part in parts if keyword.iskeyword(part)), None)
        if reserved is not None:
            raise refuse(f"{reserved!r} is a Python keyword")
    return module, attr


def render_launcher(module: str, attr: str) -> str:
    """Return the POSIX launcher text for a checked ``module:attr``.

    ``ascii()`` writes each name as a plain-ASCII string literal: even a name that passed no
    check could not end the literal or the comment line.
    """
    return _LAUNCHER.format(
        reference=ascii(f"{module}:{attr}"),
        module=ascii(module),
        attrs=ascii(tuple(attr.split("."))),
    )


def _config_problem(exc: configparser.Error, text: str) -> str:
    """One line for a configparser error (its own messages span lines, name '<string>')."""
    lines = text.splitlines()

    def line_at(number: int) -> str:
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""

    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: [{exc.section}] {exc.option!r} is given twice"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: [{exc.section}] is given twice"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: {line_at(exc.lineno)!r} comes before any [section]"
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        number = exc.errors[0][0]
        return f"line {number}: {line_at(number)!r} is not 'name = value'"
    return " ".join(str(exc).split())
