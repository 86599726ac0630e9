"""WiX Burn bundles (``setup.exe`` of CPython and others): read the attached MSIs, no Windows.

A Burn bundle is a PE executable with a ``.wixburn`` section that says where its containers
start: container 0 (the UX container) holds the bundle manifest as the file ``0``; the
attached container holds the payloads under their source names (``a0``, ``a1``...), which the
manifest maps to real names (``core.msi``). Both containers are cabinet files, extracted with
7-Zip. This replaces Scoop's ``Expand-DarkArchive`` (WiX ``dark.exe -x``).
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from pkgimport.importers.scoop._errors import PayloadError
from pkgimport.importers.scoop._extract import check_member_name, check_tree, extract_with_7zip
from pkgimport.importers.scoop._limits import ExtractLimits, check_written

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["BURN_MAGIC", "extract_burn_payloads", "read_burn_containers"]

BURN_MAGIC = 0x00F14300
"""First field of the ``.wixburn`` section (WiX ``BURN_SECTION_MAGIC``)."""

_SECTION = struct.Struct("<8sIIIIIIHHI")  # one PE section header (40 bytes)
_BURN_HEADER = struct.Struct("<II16sIIIIII")  # magic, version, bundle id, stub size, ...


def read_burn_containers(data: bytes, label: str = "bundle") -> list[tuple[int, int]]:
    """Return ``(offset, size)`` of each container of a Burn bundle, UX container first.

    :raises PayloadError: not a PE file, or no ``.wixburn`` section.
    """
    if data[:2] != b"MZ" or len(data) < 0x40:
        raise PayloadError(f"{label}: not a Windows executable (no MZ header)")
    (pe_offset,) = struct.unpack_from("<I", data, 0x3C)
    if data[pe_offset : pe_offset + 4] != b"PE\0\0":
        raise PayloadError(f"{label}: not a Windows executable (no PE header)")
    sections, _, _, _, optional_size = struct.unpack_from("<HIIIH", data, pe_offset + 6)
    table = pe_offset + 24 + optional_size
    for i in range(sections):
        fields = _SECTION.unpack_from(data, table + i * _SECTION.size)
        if fields[0].rstrip(b"\0") == b".wixburn":
            return _containers(data, fields[4], label)  # PointerToRawData
    raise PayloadError(f"{label}: no .wixburn section: not a WiX Burn bundle")


def _containers(data: bytes, offset: int, label: str) -> list[tuple[int, int]]:
    magic, version, _, stub_size, _, _, _, fmt, count = _BURN_HEADER.unpack_from(data, offset)
    # Versions 2 (WiX 3) and 3 (WiX 4+) share this layout; 1 (WiX 3 betas) does not.
    if magic != BURN_MAGIC or fmt != 1 or version not in {2, 3}:
        raise PayloadError(
            f"{label}: unsupported Burn section (magic {magic:#x}, version {version}, format {fmt})"
        )
    sizes = struct.unpack_from(f"<{count}I", data, offset + _BURN_HEADER.size)
    out: list[tuple[int, int]] = []
    position = stub_size
    for size in sizes:
        if position + size > len(data):
            raise PayloadError(f"{label}: container at {position} runs past the end of the file")
        out.append((position, size))
        position += size
    return out


def _extract_cab(tool: str, cab: Path, dest: Path, label: str) -> None:
    """Extract one container (a cabinet) with 7-Zip, held to the extraction limits."""
    limits = ExtractLimits.for_archive(cab)
    extract_with_7zip(tool, cab, dest, label, limits)
    check_tree(dest, label)
    check_written(dest, limits, label)


def _payload_names(manifest: Path, label: str) -> dict[str, str]:
    """Map source names (``a0``) to file paths (``core.msi``) from the bundle manifest."""
    try:
        root = ET.parse(manifest).getroot()  # noqa: S314 - expat limits entity expansion
    except ET.ParseError as exc:
        raise PayloadError(f"{label}: unreadable bundle manifest: {exc}") from None
    names: dict[str, str] = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Payload":
            continue
        source, path = element.get("SourcePath"), element.get("FilePath")
        if source and path:
            names[source] = check_member_name(path, label).as_posix()
    return names


def extract_burn_payloads(
    bundle: Path, dest: Path, *, which: Callable[[str], str | None] = shutil.which
) -> dict[str, Path]:
    """Extract the attached payloads of *bundle* into *dest*; return ``{file path: file}``.

    :raises PayloadError: not a Burn bundle, no 7-Zip, an unsafe payload name.
    """
    label = bundle.name
    tool = which("7zz") or which("7z")
    if not tool:
        raise PayloadError(
            f"{label}: reading a Burn bundle's cabinets needs 7-Zip",
            hint="install Debian's '7zip' package",
        )
    data = bundle.read_bytes()
    containers = read_burn_containers(data, label)
    if len(containers) < 2:
        raise PayloadError(f"{label}: the bundle has no attached container")
    work = dest / ".burn"
    try:
        for i, (offset, size) in enumerate(containers[:2]):
            cab = work / f"container{i}.cab"
            cab.parent.mkdir(parents=True, exist_ok=True)
            cab.write_bytes(data[offset : offset + size])
            _extract_cab(tool, cab, work / str(i), label)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # what a refused container wrote goes at once
        raise
    names = _payload_names(work / "0" / "0", label)
    out: dict[str, Path] = {}
    for source, path in names.items():
        extracted = work / "1" / source
        if extracted.is_file():
            target = dest / PurePosixPath(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(extracted), str(target))
            out[path] = target
    shutil.rmtree(work)
    return out
