"""Scoop's extraction dispatch, on a Linux host, with every member checked before it lands.

The local file name picks the extractor exactly as Scoop's ``install.ps1`` does (see
:func:`archive_kind`). Each extractor writes into an empty folder; :func:`check_tree` then
refuses any link that escapes it. Archive member names are checked *before* extraction, with
the rule of :func:`pkgimport.safe_names.check_member_path`. What an archive may write is
limited (:mod:`._limits`): declared sizes are checked first, written bytes are counted, and
external tools are watched; past a limit the output is removed.

>>> archive_kind("dl.tar.xz", innosetup=False), archive_kind("tool.exe", innosetup=False)
('sevenzip', 'copy')
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import shutil
import stat
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from pkgimport.importers.scoop._errors import PayloadError
from pkgimport.importers.scoop._limits import (
    Budget,
    ExtractLimitError,
    ExtractLimits,
    check_written,
    copy_limited,
    run_tool,
)
from pkgimport.safe_names import UnsafeName, check_member_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "ArchiveKind",
    "ExtractLimitError",
    "ExtractLimits",
    "add_exec_bits",
    "archive_kind",
    "check_member_name",
    "check_tree",
    "empty_folder",
    "extract_archive",
    "extract_with_7zip",
    "select_extract_dir",
]

ArchiveKind = Literal["zip", "msi", "inno", "sevenzip", "copy"]

# install.ps1's dispatch, same order and same patterns (case-insensitive, on the local name).
_SEVENZIP_RE = re.compile(
    r"\.(001|7z|bz(ip)?2?|gz|img|iso|lzma|lzh|nupkg|rar|tar|t[abgpx]z2?|t?zst|xz)(\.[^\d.]+)?$",
    re.IGNORECASE,
)
_DEBIAN_7ZIP = "7zip"
_DEBIAN_MSITOOLS = "msitools"
_DEBIAN_INNO = "innoextract"

Which = "Callable[[str], str | None]"


def archive_kind(local_name: str, *, innosetup: bool) -> ArchiveKind:
    """Return how Scoop handles a downloaded file, from its local name."""
    lower = local_name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(".msi"):
        return "msi"
    if lower.endswith(".exe"):
        # A portable .exe is copied; only `innosetup: true` makes it an Inno Setup archive.
        return "inno" if innosetup else "copy"
    if _SEVENZIP_RE.search(local_name):
        return "sevenzip"
    return "copy"


def check_member_name(name: str, archive: str) -> PurePosixPath:
    r"""Return a member name as a safe relative path (``.`` for the archive's root folder).

    ``\`` separates folders (Windows archives use it), ``.`` and empty components are dropped
    (``./bin/x`` in tars); then :func:`~pkgimport.safe_names.check_member_path` applies.

    :raises PayloadError: the name is absolute, climbs with ``..`` or has an unsafe component.
    """
    text = name.replace("\\", "/")
    parts = [p for p in text.split("/") if p not in {"", "."}]
    if not parts and not text.startswith("/"):
        return PurePosixPath(".")
    lead = "/" if text.startswith("/") else ""
    try:
        return check_member_path(lead + "/".join(parts), what=f"{archive}: member {name!r}")
    except UnsafeName as exc:
        if exc.why == "it is absolute" or ".." in parts:
            detail = "would be written outside the extraction folder"
        else:
            detail = f"is no safe file name ({exc.why})"
        raise PayloadError(
            f"{archive}: member {name!r} {detail}; nothing was extracted",
            hint="the archive is broken or hostile; pkgimport never writes such a name",
        ) from None


def check_tree(root: Path, archive: str) -> None:
    """Refuse links under *root* that point outside it (after any extractor ran)."""
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.is_symlink():
                target = path.resolve()
                if target != real_root and real_root not in target.parents:
                    raise PayloadError(
                        f"{archive}: link {path.relative_to(root).as_posix()!r} points outside "
                        f"the extraction folder ({str(path.readlink())!r})"
                    )


def _extract_zip(src: Path, dest: Path, label: str, limits: ExtractLimits) -> None:
    try:
        with zipfile.ZipFile(src) as archive:
            infos = archive.infolist()
            limits.check_declared(label, files=len(infos), size=sum(i.file_size for i in infos))
            paths = [check_member_name(info.filename, label) for info in infos]
            for info in infos:
                if stat.S_ISLNK(info.external_attr >> 16):
                    target = archive.read(info).decode("utf-8", "replace")
                    _check_link(info.filename, target, label)
            budget = Budget(limits, label)
            for info, rel in zip(infos, paths, strict=True):
                _write_zip_member(archive, info, dest / rel, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: encrypted; NotImplementedError: a method zipfile lacks (deflate64).
        raise PayloadError(f"{label}: not a valid zip archive ({exc})") from None
    except OSError as exc:
        raise PayloadError(f"{label}: cannot extract it: {exc.strerror or exc}") from None


def _write_zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: Budget
) -> None:
    """Write one member (a link's text as a file, like zipfile), counting its bytes."""
    budget.add_entry()
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # The declared size was checked; the bytes are counted too, as the data may say otherwise.
    with archive.open(info) as stream, target.open("wb") as out:
        copy_limited(stream, out, budget)
    mode = info.external_attr >> 16
    if info.create_system == _ZIP_UNIX and stat.S_IFMT(mode) in {0, stat.S_IFREG}:
        add_exec_bits(target, mode)


_ZIP_UNIX = 3
"""``create_system`` of a zip member made on Unix: its ``external_attr`` holds a file mode."""


def add_exec_bits(path: Path, mode: int) -> None:
    """Give the file at *path* the execute bits of the archive's *mode*, and nothing else.

    Only execute bits are added, and only where the file is readable already (so the umask
    still decides who may run it): never setuid, setgid or sticky, never a write bit. What a
    POSIX launcher runs (a shell script in the payload) needs them.
    """
    current = path.stat().st_mode
    execute = mode & 0o111 & ((current & 0o444) >> 2)
    if execute & ~current:
        path.chmod((current & 0o777) | execute)


def _check_link(name: str, target: str, label: str) -> None:
    base = PurePosixPath(name.replace("\\", "/")).parent
    parts: list[str] = []
    text = target.replace("\\", "/")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text):
        raise PayloadError(f"{label}: link {name!r} points outside the folder ({target!r})")
    for part in (*base.parts, *PurePosixPath(text).parts):
        if part == "..":
            if not parts:
                raise PayloadError(f"{label}: link {name!r} points outside the folder ({target!r})")
            parts.pop()
        elif part != ".":
            parts.append(part)


_STREAM_ERRORS = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError)


def _extract_tar(src: Path, dest: Path, label: str, limits: ExtractLimits) -> bool:
    """Extract a tar (any compression Python reads); ``False`` when *src* is no tar."""
    try:
        archive = tarfile.open(src, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError):
        return False
    with archive:
        try:
            members = _tar_members(archive, label, limits)
            # Names and links were checked above; the "data" filter checks them again.
            archive.extractall(dest, members=members, filter="data")
        except tarfile.FilterError as exc:
            raise PayloadError(f"{label}: unsafe member: {exc}") from None
        except _STREAM_ERRORS as exc:
            raise PayloadError(f"{label}: cannot extract it: {exc}") from None
    return True


def _tar_members(
    archive: tarfile.TarFile, label: str, limits: ExtractLimits
) -> list[tarfile.TarInfo]:
    """Read every header, checking names, links and the declared sizes as they come."""
    members: list[tarfile.TarInfo] = []
    declared = 0
    for member in archive:  # one header at a time: a bomb of headers stops at the limit
        members.append(member)
        declared += member.size if member.isreg() else 0
        limits.check_declared(label, files=len(members), size=declared)
        check_member_name(member.name, label)
        if member.issym() or member.islnk():
            _check_link(member.name if member.issym() else "", member.linkname, label)
        if member.isdev() or member.isfifo():
            raise PayloadError(f"{label}: member {member.name!r} is a device or a pipe")
    return members


_SINGLE = {".gz": gzip.open, ".xz": lzma.open, ".lzma": lzma.open, ".bz2": bz2.open}


def _extract_single(src: Path, dest: Path, local_name: str, limits: ExtractLimits) -> bool:
    """Decompress a single-file ``.gz``/``.xz``/``.bz2`` into ``dest/<name minus ext>``."""
    lower = local_name.lower()
    for ext, opener in _SINGLE.items():
        if lower.endswith(ext):
            out = dest / local_name[: -len(ext)]
            budget = Budget(limits, local_name)
            budget.add_entry()
            try:
                with opener(src, "rb") as stream, out.open("wb") as handle:  # type: ignore[operator]
                    copy_limited(stream, handle, budget)
            except (EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
                raise PayloadError(f"{local_name}: cannot decompress it: {exc}") from None
            return True
    return False


def extract_with_7zip(tool: str, src: Path, dest: Path, label: str, limits: ExtractLimits) -> None:
    """Extract *src* with 7-Zip: names and sizes from its listing first, then a watched run.

    :raises PayloadError: 7-Zip cannot read it, an unsafe name, a limit passed, 7-Zip failed.
    """
    listing = subprocess.run(
        [tool, "l", "-slt", "-ba", "--", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        raise PayloadError(f"{label}: {tool} cannot read it: {listing.stderr.strip()[:300]}")
    entries = size = 0
    for line in listing.stdout.splitlines():
        if line.startswith("Path = "):
            check_member_name(line[7:], label)
            entries += 1
        elif line.startswith("Size = ") and line[7:].strip().isdigit():
            size += int(line[7:])
    limits.check_declared(label, files=entries, size=size)
    result = run_tool([tool, "x", "-y", "-snl-", f"-o{dest}", "--", str(src)], dest, limits, label)
    if result.returncode != 0:
        raise PayloadError(f"{label}: {tool} failed: {result.stderr.strip()[:300]}")


def _extract_py7zr(src: Path, dest: Path, label: str, limits: ExtractLimits) -> None:
    import py7zr  # noqa: PLC0415 - optional fallback, imported only when used

    try:
        with py7zr.SevenZipFile(src, "r") as archive:
            for name in archive.getnames():
                check_member_name(name, label)
            infos = archive.list()
            size = sum(i.uncompressed for i in infos if not i.is_directory)
            limits.check_declared(label, files=len(infos), size=size)
            archive.extractall(path=dest)  # noqa: S202 - every member name was checked above
    except py7zr.Bad7zFile as exc:
        raise PayloadError(f"{label}: not a valid 7z archive ({exc})") from None


def _extract_sevenzip(
    src: Path,
    dest: Path,
    local_name: str,
    label: str,
    *,
    which: Callable[[str], str | None],
    limits: ExtractLimits,
) -> None:
    # tar.* and single compressed streams are read by Python itself; for `.tar.*` that is
    # Scoop's "outer layer, then the inner .tar" in one step.
    if _extract_tar(src, dest, label, limits) or _extract_single(src, dest, local_name, limits):
        return
    if local_name.lower().endswith(".nupkg"):
        _extract_zip(src, dest, label, limits)
        return
    tool = which("7zz") or which("7z")
    if tool:
        extract_with_7zip(tool, src, dest, label, limits)
        # Scoop: a compressed tar (`.tar.lz`, `.tar.zst`...) gives a .tar, extracted in turn.
        inner = list(dest.iterdir())
        if len(inner) == 1 and inner[0].suffix.lower() == ".tar" and inner[0].is_file():
            tar = inner[0].rename(dest.parent / f".{dest.name}-inner.tar")
            try:
                if not _extract_tar(tar, dest, label, limits):
                    raise PayloadError(f"{label}: the inner {inner[0].name!r} is no tar")
            finally:
                tar.unlink(missing_ok=True)
        return
    if local_name.lower().endswith(".7z"):
        _extract_py7zr(src, dest, label, limits)
        return
    raise PayloadError(
        f"{label}: extracting this needs 7-Zip, which is not installed",
        hint=f"install Debian's {_DEBIAN_7ZIP!r} package (apt-get install {_DEBIAN_7ZIP})",
    )


def _extract_msi(
    src: Path, dest: Path, label: str, which: Callable[[str], str | None], limits: ExtractLimits
) -> None:
    tool = which("msiextract")
    if not tool:
        raise PayloadError(
            f"{label}: extracting an MSI needs msiextract, which is not installed",
            hint=f"install Debian's {_DEBIAN_MSITOOLS!r} package",
        )
    listing = subprocess.run([tool, "-l", str(src)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise PayloadError(f"{label}: msiextract cannot read it: {listing.stderr.strip()[:300]}")
    # Names are checked where they land: msiextract's `Target:SRC|Source` folders are renamed.
    mapping = _msi_directory_mapping(src, which)
    listed = [line.strip() for line in listing.stdout.splitlines() if line.strip()]
    for line in listed:
        check_member_name(_admin_path(line, mapping), label)
    limits.check_declared(label, files=len(listed), size=_msi_file_sizes(src, which))
    # msiextract writes into a staging folder; the administrative layout is rebuilt from it.
    staging = dest / ".msiextract"
    result = run_tool([tool, "-C", str(staging), str(src)], dest, limits, label)
    if result.returncode != 0:
        raise PayloadError(f"{label}: msiextract failed: {result.stderr.strip()[:300]}")
    check_tree(staging, label)
    for path in sorted(p for p in staging.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(staging).as_posix()
        target = dest / check_member_name(_admin_path(rel, mapping), label)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    shutil.rmtree(staging)


def _msi_file_sizes(src: Path, which: Callable[[str], str | None]) -> int:
    """Add up the File table's sizes (0 without msiinfo: the run is still watched)."""
    tool = which("msiinfo")
    if not tool:
        return 0
    table = subprocess.run(
        [tool, "export", str(src), "File"], capture_output=True, text=True, check=False
    )
    total = 0
    for line in table.stdout.splitlines()[3:]:  # names, types, table name: then the rows
        fields = line.rstrip("\r").split("\t")
        if len(fields) > 3 and fields[3].isdigit():
            total += int(fields[3])
    return total


def _directory_names(default_dir: str) -> tuple[str, str]:
    """Return ``(msiextract's name, msiexec /a's name)`` for a Directory.DefaultDir value.

    DefaultDir is ``target[:source]``, each ``short|long`` (long wins), ``.`` for the parent.
    An administrative install lays files out by the *source* names; Debian's msiextract keeps
    everything after the first ``|`` (``TGT|Target:SRC|Source`` gives ``Target:SRC|Source``).
    """
    extract = default_dir.split("|", 1)[1] if "|" in default_dir else default_dir
    source = default_dir.split(":", 1)[1] if ":" in default_dir else default_dir
    source = source.split("|", 1)[1] if "|" in source else source
    return ("" if extract == "." else extract), ("" if source == "." else source)


_MSIEXTRACT_NAMES = {"ProgramFilesFolder": "Program Files"}
"""Directories Debian's msiextract (msitools 0.101) names itself rather than by DefaultDir.

Every other standard folder (``ProgramFiles64Folder``, ``SystemFolder``, ``AppDataFolder``...)
it names by its DefaultDir, as lessmsi and ``msiexec /a`` do, so Scoop's ``PFiles64``,
``System``, ``AppData`` come out as they are: those are the names WiX gives the standard
folders (``CFiles``, ``System64``, ``LocalApp``...), and a DefaultDir of ``.`` (WiX 3 without
a Name) puts the folder's files in its parent for all of them.
"""


def _msi_directory_mapping(src: Path, which: Callable[[str], str | None]) -> dict[str, str]:
    """Map each directory path msiextract writes to its administrative-layout path."""
    tool = which("msiinfo")
    if not tool:
        return {}
    table = subprocess.run(
        [tool, "export", str(src), "Directory"], capture_output=True, text=True, check=False
    )
    rows: dict[str, tuple[str, str]] = {}
    for line in table.stdout.splitlines()[3:]:
        fields = line.rstrip("\r").split("\t")
        if len(fields) == 3:
            rows[fields[0]] = (fields[1], fields[2])
    paths: dict[str, tuple[str, str]] = {}

    def resolve(directory: str, depth: int = 0) -> tuple[str, str]:
        if directory in paths:
            return paths[directory]
        parent, default_dir = rows[directory]
        if not parent or parent == directory or parent not in rows or depth > 64:
            paths[directory] = ("", "")  # the root (TARGETDIR / SourceDir)
            return paths[directory]
        base_extract, base_admin = resolve(parent, depth + 1)
        name_extract, name_admin = _directory_names(default_dir)
        # msiextract names the standard Program Files folder itself, whatever the table says;
        # the administrative layout (lessmsi, msiexec /a) keeps DefaultDir: WiX writes PFiles.
        name_extract = _MSIEXTRACT_NAMES.get(directory, name_extract)
        paths[directory] = (
            "/".join(p for p in (base_extract, name_extract) if p),
            "/".join(p for p in (base_admin, name_admin) if p),
        )
        return paths[directory]

    for directory in rows:
        resolve(directory)
    return {extract: admin for extract, admin in paths.values() if extract != admin}


def _admin_path(rel: str, mapping: dict[str, str]) -> str:
    """Move *rel* from msiextract's folder to the administrative one (longest prefix wins)."""
    folder = rel.rpartition("/")[0]
    while True:
        if folder in mapping:
            return "/".join(p for p in (mapping[folder], rel[len(folder) :].lstrip("/")) if p)
        if not folder:
            return rel
        folder = folder.rpartition("/")[0]


def _extract_inno(
    src: Path, dest: Path, label: str, which: Callable[[str], str | None], limits: ExtractLimits
) -> Path:
    tool = which("innoextract")
    if not tool:
        raise PayloadError(
            f"{label}: extracting an Inno Setup installer needs innoextract, not installed",
            hint=f"install Debian's {_DEBIAN_INNO!r} package",
        )
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    tool_version = (version.stdout.splitlines() or ["innoextract"])[0]
    # innoextract 1.9 lists sizes only rounded for people: the run itself is watched.
    command = [
        *(tool, "--extract", "--silent", "--no-extract-unknown"),
        *("--output-dir", str(dest), str(src)),
    ]
    result = run_tool(command, dest, limits, label)
    if result.returncode != 0:
        raise PayloadError(
            f"{label}: {tool_version} could not extract it: {result.stderr.strip()[:300]}",
            hint="Debian's innoextract 1.9 reads Inno Setup up to 6.0.5 only",
        )
    # Scoop keeps what Inno Setup installs under {app}; innoextract writes it to app/.
    return dest / "app"


def extract_archive(
    kind: ArchiveKind,
    src: Path,
    dest: Path,
    *,
    local_name: str,
    which: Callable[[str], str | None] = shutil.which,
    limits: ExtractLimits | None = None,
) -> Path:
    """Extract *src* into the empty folder *dest*; return the folder holding the payload.

    :param which: finds a tool on PATH (tests pass their own to hide or provide tools).
    :param limits: what the archive may write (default: from the settings and its size).
    :raises PayloadError: an unsafe member, a broken archive, a missing tool, a limit passed
        (:class:`ExtractLimitError`); *dest* is left empty then.
    """
    label = local_name
    limits = limits or ExtractLimits.for_archive(src)
    try:
        root = _dispatch(kind, src, dest, local_name, which=which, limits=limits)
        check_tree(dest, label)
        # Every byte is on disk now: hard links and sparse files count at their full size.
        check_written(dest, limits, label)
    except BaseException:
        empty_folder(dest)
        raise
    return root


def _dispatch(
    kind: ArchiveKind,
    src: Path,
    dest: Path,
    local_name: str,
    *,
    which: Callable[[str], str | None],
    limits: ExtractLimits,
) -> Path:
    label = local_name
    if kind == "zip":
        _extract_zip(src, dest, label, limits)
    elif kind == "sevenzip":
        _extract_sevenzip(src, dest, local_name, label, which=which, limits=limits)
    elif kind == "msi":
        _extract_msi(src, dest, label, which, limits)
    elif kind == "inno":
        return _extract_inno(src, dest, label, which, limits)
    else:  # pragma: no cover - "copy" never reaches an extractor
        raise AssertionError(kind)
    return dest


def empty_folder(folder: Path) -> None:
    """Remove everything inside *folder* (links removed, never followed)."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _list_top(root: Path) -> list[str]:
    return sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())


def select_extract_dir(root: Path, extract_dir: str, archive: str) -> Path:
    """Return the folder *extract_dir* under *root*, matched case-insensitively.

    :raises PayloadError: it is missing (the message lists what the archive holds).
    """
    current = root
    parts = [p for p in extract_dir.replace("\\", "/").split("/") if p not in {"", "."}]
    if any(p == ".." for p in parts):
        raise PayloadError(f"extract_dir {extract_dir!r} leaves the archive")
    for part in parts:
        matches = [c for c in current.iterdir() if c.name.lower() == part.lower() and c.is_dir()]
        if not matches:
            holds = ", ".join(_iter_limited(_list_top(current), 20)) or "nothing"
            where = current.relative_to(root).as_posix()
            raise PayloadError(
                f"{archive}: could not find {extract_dir!r} (extract_dir); "
                f"{'the archive' if where == '.' else repr(where)} holds: {holds}",
                hint="upstream may have renamed the folder; the manifest needs an update",
            )
        current = matches[0]
    return current


def _iter_limited(items: Iterable[str], limit: int) -> list[str]:
    out = list(items)
    return [*out[:limit], f"... ({len(out) - limit} more)"] if len(out) > limit else out
