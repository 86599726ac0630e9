r"""A manifest's environment (``env_add_path``, ``env_set``, ``psmodule``) as checked rez actions.

Scoop applies these to the user's Windows environment. pkgimport writes them as :class:`Action`
values that rez later turns into a cmd.exe, PowerShell or sh script, after formatting ``{...}``
(``{root}``, ``{this.name}``, any attribute path) and expanding ``$VAR`` and a leading ``~`` in
them. Those shells' quoting in rez is partial: sh quotes ``"`` and ``\``, PowerShell ``"`` and
``'``, cmd.exe ``&<>|^``, and every one of them leaves ``$``, backquotes, ``%``, ``!``,
PowerShell's typographic quotes or line breaks to the shell. So manifest text is held to three
rules:

* it is escaped for rez's formatting (:func:`escape_rex`), so ``{this.__init__}`` stays text;
* it may hold only path-like characters (letters, digits, space and ``._-+,;:=@#~()[]{}'\/``);
  anything else is refused, with the key path, rather than written where a shell reads it;
* variables that make the dynamic loader, the shells rez starts, the Python rez runs on, or rez
  itself run something (``PATH``, ``LD_*``, ``DYLD_*``, ``PYTHONPATH``, ``BASH_ENV``,
  ``REZ_*``...) are never *set* from a manifest; ``env_add_path`` prepends to ``PATH``.

What Scoop itself would drop (an ``env_add_path`` entry outside the app folder) or what names
something rez has no equivalent for (``$env:X``, ``$(...)``) is left out with a warning naming its
key path; the CLI prints warnings and ``--json`` lists them. ``$persist_dir`` is the app's
per-user persist home (:mod:`._persist`), never a folder inside the package.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pkgimport.definition import Action, Condition, escape_rex
from pkgimport.importers.scoop._errors import ManifestRefused
from pkgimport.importers.scoop._persist import PERSIST_VAR, default_actions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pkgimport.importers.scoop._manifest import Arch, ArchView, Manifest
    from pkgimport.importers.scoop._persist import Persist

__all__ = [
    "LOADER_VARIABLES",
    "environment_actions",
    "is_loader_variable",
    "package_commands",
    "uses_persist_home",
]

_SETTABLE_VARS = re.compile(r"\$(original_dir|dir|version|persist_dir)(?![A-Za-z0-9_])")
_DIR_PREFIX = re.compile(r"\$(original_)?dir(?![A-Za-z0-9_])")
_UNSAFE_CHAR = re.compile(r"[^\w .,;:=+@#~()\[\]{}'\\/-]")

LOADER_VARIABLES = frozenset(
    {
        # Command lookup, in every shell rez starts and on Windows.
        "PATH",
        "PATHEXT",
        "COMSPEC",
        "PSMODULEPATH",
        # Shell start-up and prompt hooks run code.
        "BASH_ENV",
        "ENV",
        "ZDOTDIR",
        "PROMPT_COMMAND",
        # The Python rez and pkgimport run on.
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
    }
)
"""Upper-cased names a manifest may not set (Windows names are case-insensitive), besides
every ``LD_*``, ``DYLD_*`` (the dynamic loaders) and ``REZ_*`` (rez's own configuration, such
as ``REZ_CONFIG_FILE``, which rez executes)."""
_LOADER_PREFIXES = ("LD_", "DYLD_", "REZ_")


def is_loader_variable(name: str) -> bool:
    """Tell whether setting *name* wholesale could make something load or run other code.

    >>> is_loader_variable("Path"), is_loader_variable("LD_PRELOAD"), is_loader_variable("GOROOT")
    (True, True, False)
    """
    upper = name.upper()
    return upper in LOADER_VARIABLES or upper.startswith(_LOADER_PREFIXES)


def _check_text(text: str, where: str, value: str) -> None:
    """Refuse manifest *text* (part of *value*) that a shell rez writes could act on."""
    bad = _UNSAFE_CHAR.search(text)
    if bad is None:
        return
    char = bad.group()
    raise ManifestRefused(
        "unsafe environment value",
        f"{value!r} holds {char!r} ({_describe(char)}), which a shell rez writes may act on",
        key_path=where,
        hint="pkgimport writes only path-like text into the environment: letters, digits, "
        "spaces and ._-+,;:=@#~()[]{}'\\/",
    )


def _describe(char: str) -> str:
    if char < " " or char == "\x7f":
        return "a control character"
    return f"U+{ord(char):04X}"


def _outside(where: str, entry: str) -> str:
    return f"{where!r}: {entry!r} is outside the app folder: dropped, as Scoop does"


def _add_path_entry(entry: str, where: str, warnings: list[str]) -> str | None:
    """Return an ``env_add_path`` entry as a sub-path of the app folder ('' for the folder).

    ``None`` (with a warning) for an entry Scoop drops: absolute, or climbing out of the folder.
    """
    text = entry.replace("\\", "/")
    if re.match(r"[A-Za-z]:", text) or text.startswith("//"):
        warnings.append(_outside(where, entry))
        return None
    rooted = text.startswith("/")
    text = _DIR_PREFIX.sub("", text, count=1)
    parts: list[str] = []
    for part in text.split("/"):
        if part in {"", "."}:
            continue
        if part == ".." and parts:
            parts.pop()
            continue
        if part == ".." or ":" in part:
            warnings.append(_outside(where, entry))
            return None
        parts.append(part)
    sub = "/".join(parts)
    _check_text(sub, where, entry)
    if ";" in sub:
        # PATH's separator on Windows: 'bin;lib' would add a second folder, cwd-relative.
        raise ManifestRefused(
            "unsafe environment value",
            f"{entry!r} holds ';', which separates PATH entries on Windows",
            key_path=where,
            hint="each env_add_path entry names one folder inside the app folder",
        )
    if rooted:
        # PowerShell's Join-Path (Scoop) reads "\bin" below the app folder, not at a root.
        warnings.append(
            f"{where!r}: {entry!r} starts with a separator: read inside the app folder "
            f"({'{root}/app/' + sub!r}), as Scoop's Join-Path does"
        )
    return sub


def _env_value(value: str, version: str, persist: Persist, where: str) -> str | None:
    """Map an ``env_set`` value to a rex value, or ``None`` when rez has no equivalent for it.

    ``$dir`` is the package's app folder, except where a persisted entry follows it (Scoop's
    link makes that the persisted data): that, and ``$persist_dir``, is the app's persist home
    (:mod:`._persist`), a per-user folder outside the repository.

    :raises ManifestRefused: the value holds text no shell could be handed safely.
    """
    out: list[str] = []
    pieces: list[str] = []
    pos = 0
    while True:
        match = _SETTABLE_VARS.search(value, pos)
        text = value[pos : match.start() if match else len(value)]
        # Anything else PowerShell would expand ($env:X, $(...), other variables, `-escapes)
        # is not guessed.
        if "$" in text or "`" in text:
            return None
        pieces.append(text)
        out.append(escape_rex(text))
        if match is None:
            break
        pos = match.end()
        if match.group(1) == "version":
            pieces.append(version)
            out.append(escape_rex(version))
            continue
        if match.group(1) == "persist_dir":
            out.append(persist.home_value())
            continue
        persisted = persist.match_source(value, pos)
        if persisted is None:
            out.append("{root}/app")
            continue
        target, pos = persisted
        pieces.append(target)  # manifest text too: held to the same rule
        out.append(persist.home_value() + "/" + escape_rex(target))
    for piece in pieces:
        _check_text(piece, where, value)
    if value.startswith("~"):
        raise ManifestRefused(
            "unsafe environment value",
            f"{value!r} starts with '~', which rez would expand to a home folder",
            key_path=where,
        )
    return "".join(out)


def environment_actions(
    view: ArchView, manifest: Manifest, persist: Persist, warnings: list[str]
) -> tuple[Action, ...]:
    r"""Return ``env_add_path``, ``env_set`` and ``psmodule`` as actions (bin's PATH first).

    Values in the app's persist home read :data:`~._persist.PERSIST_VAR`: the caller adds
    :func:`~._persist.default_actions` before them (:func:`uses_persist_home`).

    :param persist: the app's persisted entries and home.
    :param warnings: gets one line, starting with the key path, per value left out.
    :raises ManifestRefused: a loader variable set wholesale, or a value no shell can hold.
    """
    actions: list[Action] = []
    if view.bin:
        actions.append(Action.prepend("PATH", "{root}/bin"))
    paths: list[str] = []
    add_path = view.paths["env_add_path"]
    for i, entry in enumerate(view.env_add_path):
        where = f"{add_path}[{i}]" if len(view.env_add_path) > 1 else add_path
        sub = _add_path_entry(entry, where, warnings)
        if sub is not None:
            paths.append("{root}/app" + ("/" + escape_rex(sub) if sub else ""))
    # Scoop prepends the list as one block in list order: prepend in reverse list order.
    actions.extend(Action.prepend("PATH", p) for p in reversed(paths))
    for name, value in view.env_set:
        where = f"{view.paths['env_set']}.{name}"
        if is_loader_variable(name):
            raise ManifestRefused(
                "loader variable",
                f"env_set may not replace {name!r}: it decides what programs and libraries "
                "load (only env_add_path may add to PATH)",
                key_path=where,
            )
        mapped = _env_value(value, manifest.version, persist, where)
        if mapped is None:
            warnings.append(f"{where!r}: {value!r} uses a value rez has no equivalent for: not set")
            continue
        try:
            actions.append(Action.set(name, mapped))
        except ValueError:
            raise ManifestRefused(
                "env_set", f"invalid environment variable name {name!r}", key_path=where
            ) from None
    if manifest.psmodule:
        actions.append(Action.prepend("PSModulePath", "{root}/psmodules"))
    return tuple(actions)


def uses_persist_home(actions: tuple[Action, ...]) -> bool:
    """Tell whether a step's value reads the persist home (so needs its default set first)."""
    return any(f"${PERSIST_VAR}/" in a.value for a in actions)


def package_commands(
    manifest: Manifest,
    persist: Persist,
    variant_requirements: Mapping[Arch | None, tuple[str, ...]],
    warnings: list[str],
) -> tuple[Action, ...]:
    """Return the package's ``commands()``: each architecture's environment, shared if equal.

    rez's ``commands()`` is one function for every variant, so where architectures differ the
    steps they share from the start are written once and the rest are conditional on the
    variant's own architecture requirement (:meth:`Condition.variant`). Every architecture the
    manifest has is written, not only the ones imported: importing one architecture after
    another then writes the same ``commands()``, which rez grafts onto the installed variants.
    Values in the app's persist home get :func:`~._persist.default_actions` first.

    :param variant_requirements: each architecture's variant requirements (the last one names
        the architecture: ``arch-AMD64``).
    :param warnings: gets each value left out once, however many architectures leave it out.
    """
    found: list[str] = []
    envs = {
        arch: environment_actions(manifest.for_arch(arch), manifest, persist, found)
        for arch in manifest.architectures or (None,)
    }
    warnings.extend(w for w in dict.fromkeys(found) if w not in warnings)
    lists = list(envs.values())
    shared = lists[0]
    for other in lists[1:]:
        common = 0
        while common < min(len(shared), len(other)) and shared[common] == other[common]:
            common += 1
        shared = shared[:common]
    actions = list(shared)
    if any(len(env) != len(shared) for env in lists):
        for arch, env in envs.items():
            when = Condition.variant(variant_requirements[arch][-1])
            actions.extend(action.with_conditions(when) for action in env[len(shared) :])
    if uses_persist_home(tuple(actions)):
        actions[:0] = default_actions()
    return tuple(actions)
