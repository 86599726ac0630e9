"""Where each wheel member lands in a variant root, and whether it may land there.

Member *paths* are checked one by one (:func:`pkgimport.safe_names.check_member_path`, in
:func:`._wheel.check_wheel`); this module checks what only the whole layout shows, before
anything is written, with ``installer``'s own scheme mapping (``installer._core``):

* ``<name>-<version>.data/<scheme>/<path>`` goes to that scheme's folder; any other folder
  under ``.data`` is refused (installer refuses it too, less clearly), and so is a file
  where the scheme folder should be (installer fails on it with a traceback);
* scripts, whether from ``.data/scripts`` or from ``.data/data/bin``, become tools on PATH:
  each is one safe tool name, no sub-folder;
* the data scheme writes to the variant root, which for a package without variants is the
  package folder itself: ``package.py`` and ``package.yaml`` there are rez's, never a
  wheel's;
* no two files land on one path (a launcher and a script, ``purelib`` and the root), none
  where another needs a folder, and no two tools differ only in case (one file on Windows
  and macOS, where the same repository may be used).

Folders in a variant root (``installer`` paths, pkgimport layout; see :mod:`._wheel`):
``python`` (purelib, platlib, the root), ``include`` (headers), ``bin`` (scripts), and the
root itself (data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkgimport.importers.pypi._errors import InvalidWheel, UnsafeWheelName, with_hint
from pkgimport.safe_names import UnsafeName, check_tool_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from pkgimport.importers.pypi._scripts import EntryPoint

__all__ = ["check_layout"]

_SCHEME_FOLDERS = {
    "purelib": "python",
    "platlib": "python",
    "headers": "include",
    "scripts": "bin",
    "data": "",
}
_REZ_FILES = frozenset({"package.py", "package.yaml"})
"""Package definition files rez reads in a package folder (``repository.filesystem``)."""
_HINT = "the wheel is broken or hostile: pick another version, or report it to the project"


def check_layout(
    *,
    wheel: str,
    members: Sequence[str],
    dist_info: str,
    data_dir: str,
    entry_points: Sequence[EntryPoint] = (),
) -> None:
    """Refuse a wheel whose members (and launchers) would not land safely and distinctly.

    :param members: the archive's member names (already checked one by one).
    :param dist_info: ``<name>-<version>.dist-info`` and *data_dir* ``<name>-<version>.data``
        as installer found them.
    :raises UnsafeWheelName: a script's name is not a safe tool name, or a data member is one
        of rez's package files.
    :raises InvalidWheel: a ``.data`` member is outside its scheme folders, or two files
        would land on one path.
    """
    written: dict[str, str] = {}
    """Path relative to the variant root -> what writes it, in installer's order."""
    folded: dict[str, str] = {}
    """``bin/`` paths by their case-folded form -> the path first written."""
    for path, source in _destinations(wheel, members, dist_info, data_dir, entry_points):
        earlier = written.get(path)
        if earlier is not None:
            raise _collision(wheel, earlier, source, path)
        if path.startswith("bin/"):
            first = folded.setdefault(path.casefold(), path)
            if first != path:
                raise _collision(
                    wheel,
                    written[first],
                    source,
                    path,
                    "names that differ only in case are one file on Windows and macOS",
                )
        written[path] = source
    _check_folders(wheel, written)


def _destinations(
    wheel: str,
    members: Iterable[str],
    dist_info: str,
    data_dir: str,
    entry_points: Iterable[EntryPoint],
) -> Iterator[tuple[str, str]]:
    """Yield ``(path in the variant root, what writes it)`` for every file installed."""
    # 1. installer writes the entry points' launchers first (each with its .cmd twin).
    for entry in entry_points:
        yield f"bin/{entry.name}", entry.source
        yield f"bin/{entry.name}.cmd", entry.source
    # 2. Then every member, in archive order: folders, __pycache__ and RECORD are skipped.
    names = set(members)
    for member in members:
        folders = member.split("/")[:-1]
        if member.endswith("/") or "__pycache__" in folders or member == f"{dist_info}/RECORD":
            continue
        yield _destination(wheel, member, data_dir), f"member {member!r}"
    # 3. Last, what install_wheel adds: INSTALLER (unless the wheel has one), and RECORD.
    if f"{dist_info}/INSTALLER" not in names:
        yield f"python/{dist_info}/INSTALLER", "the INSTALLER file pkgimport writes"
    yield f"python/{dist_info}/RECORD", "the RECORD file pkgimport writes"


def _destination(wheel: str, member: str, data_dir: str) -> str:
    """Return where *member* lands, relative to the variant root (as installer maps it)."""
    what = f"wheel {wheel} member {member!r}"
    # A file named like the .data folder itself would hang installer's scheme lookup.
    if member != data_dir and not member.startswith(f"{data_dir}/"):
        return f"python/{member}"  # the root is purelib or platlib: both are python/
    scheme, _, path = member[len(data_dir) + 1 :].partition("/")
    if scheme not in _SCHEME_FOLDERS or not path:
        raise with_hint(
            InvalidWheel(
                f"{what}: a .data member must be in a folder named after its scheme "
                f"({', '.join(_SCHEME_FOLDERS)})"
            ),
            _HINT,
        )
    if scheme == "scripts":
        return f"bin/{_tool(path, what)}"
    if scheme != "data":
        return f"{_SCHEME_FOLDERS[scheme]}/{path}"
    top, _, rest = path.partition("/")
    if top.casefold() in _REZ_FILES:
        raise UnsafeWheelName(top, what, "rez reads it as the package definition")
    if top.casefold() == "bin" and rest:
        return f"bin/{_tool(rest, what)}"  # {root}/bin is on PATH: these are tools too
    return path


def _tool(name: str, what: str) -> str:
    try:
        return check_tool_name(name, what=what)
    except UnsafeName as exc:
        raise UnsafeWheelName.from_unsafe(exc) from None


def _check_folders(wheel: str, written: dict[str, str]) -> None:
    """Refuse a file written where another file needs a folder (``ep`` and ``ep/x.py``)."""
    needs: dict[str, str] = {}
    for path in written:
        parts = path.split("/")
        for end in range(1, len(parts)):
            needs.setdefault("/".join(parts[:end]), path)
    for path, source in written.items():
        child = needs.get(path)
        if child is not None:
            raise with_hint(
                InvalidWheel(
                    f"wheel {wheel}: {source} is a file, but {written[child]} needs a folder "
                    f"{path!r}"
                ),
                _HINT,
            )


def _collision(wheel: str, first: str, second: str, path: str, why: str = "") -> InvalidWheel:
    message = f"wheel {wheel}: {first} and {second} would both write {path!r}"
    return with_hint(InvalidWheel(f"{message} ({why})" if why else message), _HINT)
