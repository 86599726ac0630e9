"""Find the user's rez install: what ``rez env`` would set ``REZ_USED`` to.

rez sets ``REZ_USED`` (and a context's ``rez_path``) to its own package folder,
``rez.__path__[0]``, e.g. ``/opt/rez/lib/python3.11/site-packages/rez``. pkgimport does not
import rez; it finds the install the user would run, from the ``rez`` command on ``PATH``:

* a production install (rez's ``install.py``) keeps its tools in ``<install>/bin/rez/``,
  marked by a ``.rez_production_install`` file, and its package in
  ``<install>/lib/pythonX.Y/site-packages/rez`` (``rez.system.rez_bin_path`` in reverse);
* a pip install's ``rez`` entry point lives in the ``bin`` folder of its environment (a
  virtualenv, pipx's, ``~/.local``): the package is in that prefix's ``site-packages``, or,
  failing that, wherever the script's own interpreter imports it from.

:func:`find_rez_module` answers ``None`` when there is no ``rez`` on ``PATH``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["find_rez_module"]

_MARKER = ".rez_production_install"
_SITE_PATTERNS = ("lib/python*/site-packages", "lib64/python*/site-packages", "Lib/site-packages")
# Asks an interpreter where it imports rez from without importing it (find_spec of a top-level
# package runs no code of the package).
_ASK = (
    "import importlib.util as u; s = u.find_spec('rez'); "
    "print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')"
)


def find_rez_module(path: str | None = None) -> str | None:
    """Return the package folder of the rez whose ``rez`` command is on *path*.

    :param path: a ``PATH`` value; ``None`` for this process's.
    :returns: what that rez sets ``REZ_USED`` to, or ``None`` if there is no rez (or no
        package folder can be found for the command).

    >>> find_rez_module("/nonexistent") is None
    True
    """
    search = os.environ.get("PATH", os.defpath) if path is None else path
    command = shutil.which("rez", path=search)
    return None if command is None else _module_of(command)


@functools.cache
def _module_of(command: str) -> str | None:
    """Return the rez package folder of the ``rez`` command at *command*.

    Paths are kept as found (rez's own path is its interpreter's ``sys.path`` entry, which
    is not resolved either); the command's real path is tried after them (pipx links).
    """
    found_at = Path(command)
    bindirs = list(dict.fromkeys([found_at.parent, found_at.resolve().parent]))
    for bindir in bindirs:
        if (bindir / _MARKER).is_file():
            # <install>/bin/rez/rez: the package is under <install>
            found = _site_rez(bindir.parent.parent)
            if found is not None:
                return found
    interpreter = _shebang(found_at)
    prefixes = [bindirs[0].parent]
    if interpreter is not None:
        prefixes.append(interpreter.parent.parent)
    prefixes += [b.parent for b in bindirs[1:]]
    for prefix in dict.fromkeys(prefixes):
        found = _site_rez(prefix, interpreter)
        if found is not None:
            return found
    return None if interpreter is None else _ask(interpreter)


def _site_rez(prefix: Path, interpreter: Path | None = None) -> str | None:
    """Return ``<prefix>/<site-packages>/rez``, preferring the interpreter's Python version."""
    found = [
        site / "rez"
        for pattern in _SITE_PATTERNS
        for site in sorted(prefix.glob(pattern))
        if (site / "rez" / "__init__.py").is_file()
    ]
    if len(found) > 1 and interpreter is not None:
        # several Pythons in one prefix: the one the script runs (python3.11 -> python3.11/)
        found = [m for m in found if interpreter.name in m.parts] or found
    return str(found[0]) if found else None


def _shebang(command: Path) -> Path | None:
    """Return the interpreter a script's ``#!`` line names (``None``: a binary, or no line)."""
    try:
        with command.open("rb") as stream:
            first = stream.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        return None
    if Path(words[0]).name == "env" and len(words) > 1:
        found = shutil.which(words[1])
        return None if found is None else Path(found)
    return Path(words[0])


def _ask(interpreter: Path) -> str | None:
    """Return where *interpreter* imports rez from (editable installs, unusual layouts)."""
    try:
        proc = subprocess.run(
            [interpreter, "-c", _ASK], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = proc.stdout.strip()
    return found if proc.returncode == 0 and found else None
