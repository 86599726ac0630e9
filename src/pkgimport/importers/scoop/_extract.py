"""Scoop's extraction dispatch, on a Linux host, with every member checked before it lands.

The local file name picks the extractor exactly as Scoop's ``install.ps1`` does (see
:func:`archive_kind`). Each extractor writes into an empty folder; :func:`check_tree` then
refuses any link that escapes it. Archive member names are checked *before* extraction.

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
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from pkgimport.importers.scoop._errors import PayloadError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "ArchiveKind",
    "archive_kind",
    "check_member_name",
    "check_tree",
    "extract_archive",
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
    """Return a member name as a safe relative path; refuse absolute or ``..`` names."""
    text = name.replace("\\", "/")
    path = PurePosixPath(text)
    if text.startswith("/") or re.match(r"[A-Za-z]:", text) or ".." in path.parts:
        raise PayloadError(
            f"{archive}: member {name!r} would be written outside the extraction folder; "
            "nothing was extracted"
        )
    return path


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


def _extract_zip(src: Path, dest: Path, label: str) -> None:
    try:
        with zipfile.ZipFile(src) as archive:
            infos = archive.infolist()
            for info in infos:
                check_member_name(info.filename, label)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    target = archive.read(info).decode("utf-8", "replace")
                    _check_link(info.filename, target, label)
            archive.extractall(dest)  # noqa: S202 - every member name was checked above
    except zipfile.BadZipFile as exc:
        raise PayloadError(f"{label}: not a valid zip archive ({exc})") from None


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


def _extract_tar(src: Path, dest: Path, label: str) -> bool:
    """Extract a tar (any compression Python reads); ``False`` when *src* is no tar."""
    try:
        archive = tarfile.open(src, "r:*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError):
        return False
    with archive:
        members = archive.getmembers()
        for member in members:
            check_member_name(member.name, label)
            if member.issym() or member.islnk():
                _check_link(member.name if member.issym() else "", member.linkname, label)
            if member.isdev() or member.isfifo():
                raise PayloadError(f"{label}: member {member.name!r} is a device or a pipe")
        try:
            # Names and links were checked above; the "data" filter checks them again.
            archive.extractall(dest, filter="data")
        except tarfile.FilterError as exc:
            raise PayloadError(f"{label}: unsafe member: {exc}") from None
    return True


_SINGLE = {".gz": gzip.open, ".xz": lzma.open, ".lzma": lzma.open, ".bz2": bz2.open}


def _extract_single(src: Path, dest: Path, local_name: str) -> bool:
    """Decompress a single-file ``.gz``/``.xz``/``.bz2`` into ``dest/<name minus ext>``."""
    lower = local_name.lower()
    for ext, opener in _SINGLE.items():
        if lower.endswith(ext):
            out = dest / local_name[: -len(ext)]
            with opener(src, "rb") as stream, out.open("wb") as handle:  # type: ignore[operator]
                shutil.copyfileobj(stream, handle)
            return True
    return False


def _extract_7z_tool(tool: str, src: Path, dest: Path, label: str) -> None:
    listing = subprocess.run(
        [tool, "l", "-slt", "-ba", "--", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        raise PayloadError(f"{label}: {tool} cannot read it: {listing.stderr.strip()[:300]}")
    for line in listing.stdout.splitlines():
        if line.startswith("Path = "):
            check_member_name(line[7:], label)
    result = subprocess.run(
        [tool, "x", "-y", "-snl-", f"-o{dest}", "--", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PayloadError(f"{label}: {tool} failed: {result.stderr.strip()[:300]}")


def _extract_py7zr(src: Path, dest: Path, label: str) -> None:
    import py7zr  # noqa: PLC0415 - optional fallback, imported only when used

    try:
        with py7zr.SevenZipFile(src, "r") as archive:
            for name in archive.getnames():
                check_member_name(name, label)
            archive.extractall(path=dest)  # noqa: S202 - every member name was checked above
    except py7zr.Bad7zFile as exc:
        raise PayloadError(f"{label}: not a valid 7z archive ({exc})") from None


def _extract_sevenzip(
    src: Path, dest: Path, local_name: str, label: str, which: Callable[[str], str | None]
) -> None:
    # tar.* and single compressed streams are read by Python itself; for `.tar.*` that is
    # Scoop's "outer layer, then the inner .tar" in one step.
    if _extract_tar(src, dest, label) or _extract_single(src, dest, local_name):
        return
    if local_name.lower().endswith(".nupkg"):
        _extract_zip(src, dest, label)
        return
    tool = which("7zz") or which("7z")
    if tool:
        _extract_7z_tool(tool, src, dest, label)
        # Scoop: a compressed tar (`.tar.lz`, `.tar.zst`...) gives a .tar, extracted in turn.
        inner = list(dest.iterdir())
        if len(inner) == 1 and inner[0].suffix.lower() == ".tar" and inner[0].is_file():
            tar = inner[0].rename(dest.parent / f".{dest.name}-inner.tar")
            try:
                if not _extract_tar(tar, dest, label):
                    raise PayloadError(f"{label}: the inner {inner[0].name!r} is no tar")
            finally:
                tar.unlink(missing_ok=True)
        return
    if local_name.lower().endswith(".7z"):
        _extract_py7zr(src, dest, label)
        return
    raise PayloadError(
        f"{label}: extracting this needs 7-Zip, which is not installed",
        hint=f"install Debian's {_DEBIAN_7ZIP!r} package (apt-get install {_DEBIAN_7ZIP})",
    )


def _extract_msi(src: Path, dest: Path, label: str, which: Callable[[str], str | None]) -> None:
    tool = which("msiextract")
    if not tool:
        raise PayloadError(
            f"{label}: extracting an MSI needs msiextract, which is not installed",
            hint=f"install Debian's {_DEBIAN_MSITOOLS!r} package",
        )
    listing = subprocess.run([tool, "-l", str(src)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise PayloadError(f"{label}: msiextract cannot read it: {listing.stderr.strip()[:300]}")
    for line in listing.stdout.splitlines():
        if line.strip():
            check_member_name(line.strip(), label)
    # msiextract writes into a staging folder; the administrative layout is rebuilt from it.
    staging = dest / ".msiextract"
    result = subprocess.run(
        [tool, "-C", str(staging), str(src)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise PayloadError(f"{label}: msiextract failed: {result.stderr.strip()[:300]}")
    check_tree(staging, label)
    mapping = _msi_directory_mapping(src, which)
    for path in sorted(p for p in staging.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(staging).as_posix()
        target = dest / check_member_name(_admin_path(rel, mapping), label)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    shutil.rmtree(staging)


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


def _extract_inno(src: Path, dest: Path, label: str, which: Callable[[str], str | None]) -> Path:
    tool = which("innoextract")
    if not tool:
        raise PayloadError(
            f"{label}: extracting an Inno Setup installer needs innoextract, not installed",
            hint=f"install Debian's {_DEBIAN_INNO!r} package",
        )
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    tool_version = (version.stdout.splitlines() or ["innoextract"])[0]
    result = subprocess.run(
        [
            tool,
            "--extract",
            "--silent",
            "--no-extract-unknown",
            "--output-dir",
            str(dest),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
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
) -> Path:
    """Extract *src* into the empty folder *dest*; return the folder holding the payload.

    :param which: finds a tool on PATH (tests pass their own to hide or provide tools).
    :raises PayloadError: an unsafe member, a broken archive, a missing tool.
    """
    label = local_name
    root = dest
    if kind == "zip":
        _extract_zip(src, dest, label)
    elif kind == "sevenzip":
        _extract_sevenzip(src, dest, local_name, label, which)
    elif kind == "msi":
        _extract_msi(src, dest, label, which)
    elif kind == "inno":
        root = _extract_inno(src, dest, label, which)
    else:  # pragma: no cover - "copy" never reaches an extractor
        raise AssertionError(kind)
    check_tree(dest, label)
    return root


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
