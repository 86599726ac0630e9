r"""Scoop's persisted data (``persist``, ``$persist_dir``) in a per-user home, never in a package.

Scoop keeps what a manifest's ``persist`` names in ``<scoop>\persist\<app>`` (``$persist_dir``)
and links each entry into the app folder, so the user's data outlives updates. A rez package
is shared by every user of the repository and must not change, so pkgimport gives persisted
data a home of its own, per user, outside the repository::

    $PKGIMPORT_SCOOP_PERSIST/<app>      the app's $persist_dir

``PKGIMPORT_SCOOP_PERSIST`` is read when the environment is built (``commands()``) and when a
launcher runs; unset, it is ``%LOCALAPPDATA%\pkgimport\persist`` on Windows and
``$HOME/.local/share/pkgimport/persist`` where ``LOCALAPPDATA`` is not set. Pointing it at
Scoop's own ``persist`` folder (``%USERPROFILE%\scoop\persist``) reuses the data Scoop kept:
the layout is the same.

What maps there, as Scoop's links would make it:

* ``$persist_dir`` and ``$persist_dir\x`` in ``env_set`` values and ``bin`` arguments;
* ``$dir\src...`` where ``src`` is a ``persist`` entry's folder or file in the app folder
  (Scoop's link makes it ``$persist_dir\target...``).

What cannot be done for a read-only package: the app folder itself is not linked, so a program
that finds its data next to its executable (not through a variable or an argument) reads the
package's defaults and cannot write there; ``env_add_path`` keeps pointing into the package.
Scoop moves the app folder's defaults into an empty ``$persist_dir`` at install; pkgimport's
launchers copy them on first run instead (:class:`PersistCopy`): an entry missing from the
home is copied from the package, and one already there is never touched. Scoop creates an
empty folder for an entry the package does not have; pkgimport creates only the app's home.

>>> persist = Persist(app="app", entries=(PersistEntry(source="data", target="data"),))
>>> persist.home_value(), persist.match_source("\\Data\\x.db", 0)
('$PKGIMPORT_SCOOP_PERSIST/app', ('data', 5))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkgimport.definition import Action, Condition

if TYPE_CHECKING:
    from pathlib import Path

    from pkgimport.importers.scoop._manifest import Manifest

__all__ = [
    "PERSIST_VAR",
    "Persist",
    "PersistCopy",
    "PersistEntry",
    "default_actions",
    "parse_persist",
]

PERSIST_VAR = "PKGIMPORT_SCOOP_PERSIST"
"""The folder holding every app's persisted data (Scoop's ``<scoop>\\persist``)."""
WINDOWS_DEFAULT = "$LOCALAPPDATA/pkgimport/persist"
"""Where persisted data lives on Windows when :data:`PERSIST_VAR` is not set."""
POSIX_DEFAULT = "$HOME/.local/share/pkgimport/persist"
"""Where it lives where ``LOCALAPPDATA`` is not set either."""

# What an entry may hold to be written into every launcher: printable ASCII path text that no
# shell expands and no Windows file name lacks (no $ % ! ^ " < > | ? * `).
_ENTRY_TEXT = re.compile(r"[A-Za-z0-9 ._+,;=@#~()\[\]{}'&-]+\Z")
_COMPONENT = re.compile(r"[\\/]+([^\\/;$]+)")
_APP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


@dataclass(frozen=True, kw_only=True, slots=True)
class PersistEntry:
    """One ``persist`` entry: ``$dir/source`` is Scoop's link to ``$persist_dir/target``."""

    source: str
    """Path in the app folder, ``/``-separated, as the manifest spells it."""
    target: str
    """Path in the app's persist home, ``/``-separated."""

    @property
    def source_key(self) -> tuple[str, ...]:
        """The source's components, lower-cased (Windows paths ignore case)."""
        return tuple(self.source.lower().split("/"))


@dataclass(frozen=True, kw_only=True, slots=True)
class PersistCopy:
    """A default the launchers copy into the persist home when the home lacks it."""

    source: str
    """Path in the app folder, ``/``-separated, spelt as on disk."""
    target: str
    """Path in the persist home, ``/``-separated."""
    is_dir: bool
    """A folder (copied with everything in it) rather than a file."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Persist:
    """An app's persisted data: where its home is and what ``persist`` names."""

    app: str
    """The app's folder in :data:`PERSIST_VAR` (the Scoop app name, as Scoop names it)."""
    entries: tuple[PersistEntry, ...] = ()

    def __post_init__(self) -> None:
        # The name goes into environment values and launchers: one plain folder name.
        if not _APP_NAME.match(self.app):
            msg = f"app name {self.app!r} cannot name a persist folder"
            raise ValueError(msg)

    def home_value(self) -> str:
        """Return the app's persist home as a rex value (expanded as the environment is built)."""
        return f"${PERSIST_VAR}/{self.app}"

    def match_source(self, text: str, pos: int) -> tuple[str, int] | None:
        r"""Match a persisted source at ``text[pos:]`` (what follows ``$dir``).

        :returns: ``(target, end)``: the entry's target and where the matched source ends in
            *text*, for the longest matching source; ``None`` when nothing persisted follows.
        """
        parts: list[tuple[str, int]] = []
        while match := _COMPONENT.match(text, pos):
            parts.append((match.group(1).lower(), match.end()))
            pos = match.end()
        best: tuple[str, int] | None = None
        best_len = 0
        for entry in self.entries:
            key = entry.source_key
            if best_len < len(key) <= len(parts) and all(
                parts[i][0] == key[i] for i in range(len(key))
            ):
                best, best_len = (entry.target, parts[len(key) - 1][1]), len(key)
        return best

    def copies(self, app_folder: Path) -> tuple[PersistCopy, ...]:
        """Return the defaults the package holds for its entries (looked up ignoring case)."""
        out: list[PersistCopy] = []
        for entry in self.entries:
            found = _find_ci(app_folder, entry.source)
            if found is not None:
                path, spelt = found
                out.append(PersistCopy(source=spelt, target=entry.target, is_dir=path.is_dir()))
        return tuple(out)


def _find_ci(root: Path, rel: str) -> tuple[Path, str] | None:
    """Return ``(path, path as spelt on disk)`` for *rel* under *root*, ignoring case."""
    current = root
    spelt: list[str] = []
    for part in rel.split("/"):
        if not current.is_dir() or current.is_symlink():
            return None
        matches = sorted(c for c in current.iterdir() if c.name.lower() == part.lower())
        # The name goes into launchers: held to the entry rule too ("\u212a".lower() is "k").
        if not matches or not _ENTRY_TEXT.match(matches[0].name):
            return None
        current = matches[0]
        spelt.append(current.name)
    if current.is_symlink():
        return None  # a link is never followed out of the package, nor copied as one
    return current, "/".join(spelt)


def _entry_path(text: str) -> str | None:
    """Return *text* as a ``/``-separated relative path launchers can hold, or ``None``."""
    parts = [p for p in text.replace("\\", "/").split("/") if p not in {"", "."}]
    if not parts or any(p == ".." or not _ENTRY_TEXT.match(p) for p in parts):
        return None
    if text.replace("\\", "/").startswith("/") or parts[0].startswith("-"):
        return None
    return "/".join(parts)


def parse_persist(app: str, manifest: Manifest, warnings: list[str]) -> Persist:
    """Return the app's :class:`Persist` from its manifest's ``persist`` entries.

    An entry that is no plain relative path (``..``, a drive, characters a launcher cannot
    hold) is left out with a warning: Scoop would link outside its folders.

    :param app: the Scoop app name, checked to give a rez family name; one that is no plain
        folder name (``-x``, from a manifest path) gives its family name's spelling (``_x``).
    """
    if not _APP_NAME.match(app):
        app = app.replace("-", "_")
    entries: list[PersistEntry] = []
    for i, item in enumerate(manifest.persist):
        where = f"persist[{i}]" if len(manifest.persist) > 1 else "persist"
        source = _entry_path(item[0]) if item else None
        target = _entry_path(item[1] if len(item) > 1 and item[1] else item[0]) if item else None
        if source is None or target is None:
            warnings.append(
                f"{where!r}: {list(item)!r} is no plain path inside the app folder: not persisted"
            )
            continue
        entries.append(PersistEntry(source=source, target=target))
    return Persist(app=app, entries=tuple(entries))


def default_actions() -> tuple[Action, ...]:
    """Return the steps that give :data:`PERSIST_VAR` its default when the user has not set it."""
    unset = Condition.undefined(PERSIST_VAR)
    return (
        Action.set(PERSIST_VAR, WINDOWS_DEFAULT, when=(unset, Condition.defined("LOCALAPPDATA"))),
        Action.set(PERSIST_VAR, POSIX_DEFAULT, when=(unset,)),
    )
