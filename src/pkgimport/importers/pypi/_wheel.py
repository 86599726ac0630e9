"""Wheel files: safety checks, metadata, and payload installation with ``installer``.

Layout of a variant root: ``python/`` (purelib and platlib), ``bin/`` (scripts and
launchers), ``include/`` (headers), and the data scheme at the root itself, so
``x.data/data/share/...`` lands in ``{root}/share`` as pip would put it under a prefix.
Launchers never name an interpreter: a POSIX script starting ``#!/usr/bin/env python`` and a
Windows ``.cmd`` that runs it with ``python``, both always written, so a pure package with
console scripts needs no platform variant (rez#907, rez#1286, pipz#4, pipz#18).
"""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import warnings
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, cast

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.sources import WheelFile
from installer.utils import Scheme
from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from pkgimport.importers.pypi._errors import InvalidWheel, with_hint

if TYPE_CHECKING:
    from collections.abc import Iterator

    from installer.records import RecordEntry
    from installer.scripts import ScriptSection

__all__ = [
    "InstalledPayload",
    "check_wheel",
    "dll_dirs",
    "install_wheel",
    "parse_metadata",
    "read_wheel_metadata",
]

_LAUNCHER = """\
#!/usr/bin/env python
# Launcher written by pkgimport: runs {module}:{attr} with the python on PATH.
import sys

from {module} import {import_name}

if __name__ == "__main__":
    sys.exit({call}())
"""

# %~dp0 is the folder of the .cmd; "exit /b" hands python's exit code back to the caller.
_CMD_LAUNCHER = '@python "%~dp0{name}" %*\r\n@exit /b %ERRORLEVEL%\r\n'


@dataclass(frozen=True, kw_only=True, slots=True)
class InstalledPayload:
    """What :func:`install_wheel` wrote."""

    root: Path
    tools: tuple[str, ...]
    """Commands put in ``bin/`` (launchers and scripts), without the ``.cmd`` twins."""
    dll_dirs: tuple[str, ...] = ()
    """Folders holding ``.dll`` files, relative to :attr:`root` in POSIX form (``python/PySide2``):
    Windows finds a DLL next to nothing but PATH, so they go on PATH (rez#1221)."""


def parse_metadata(data: bytes, context: str) -> Metadata:
    """Parse core metadata (``METADATA`` / ``PKG-INFO`` / ``.metadata``) leniently.

    Only name and version are required; fields that fail validation are dropped rather than
    refusing a package over, say, a malformed ``Project-URL``.

    :raises InvalidWheel: no name or version (names *context*).
    """
    try:
        return Metadata.from_email(data, validate=True)
    except (ExceptionGroup, InvalidMetadata, ValueError):
        pass
    message = BytesParser().parsebytes(data)
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise with_hint(
            InvalidWheel(f"{context}: malformed metadata (no Name or Version)"),
            "the distribution is broken; pick another version",
        )
    raw = {"metadata_version": "2.1", "name": str(name), "version": str(version)}
    try:
        meta = Metadata.from_raw(raw)  # type: ignore[arg-type]
    except (ExceptionGroup, InvalidMetadata) as exc:
        raise InvalidWheel(f"{context}: malformed metadata: {exc}") from None
    for key, attr in (("Requires-Dist", "requires_dist"), ("Requires-Python", "requires_python")):
        values = message.get_all(key)
        if values:
            try:
                setattr(meta, attr, list(values) if attr == "requires_dist" else values[0])
                getattr(meta, attr)
            except (InvalidMetadata, ValueError) as exc:
                raise InvalidWheel(f"{context}: malformed {key}: {exc}") from None
    return meta


def check_wheel(path: Path, expected_sha256: str | None = None, *, contents: bool = True) -> None:
    """Refuse a wheel that is corrupt, unsafe, or not the file the index described.

    Checks: the index's sha256, the zip's integrity, member paths (no absolute paths, no
    ``..``, no symlinks, no device files), and RECORD (every file listed with a matching
    hash and size; with ``contents=False`` only that every file is listed, and
    :func:`install_wheel` checks the hashes while it writes, reading each member once).

    :raises InvalidWheel: naming the file and every problem found.
    """
    name = path.name
    if expected_sha256:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected_sha256.lower():
            raise with_hint(
                InvalidWheel(
                    f"{name}: sha256 {digest} does not match the index's {expected_sha256}"
                ),
                "the download is corrupt or the index changed; retry, or clear the cache",
            )
    try:
        parse_wheel_filename(name)
    except InvalidWheelFilename as exc:
        raise InvalidWheel(f"{name}: {exc}") from None
    try:
        with zipfile.ZipFile(path) as archive:
            problems = [p for info in archive.infolist() for p in _member_problems(info)]
            # Reading every member checks its CRC; install_wheel reads them anyway, so only
            # a standalone check pays for it here.
            bad = archive.testzip() if contents else None
            if bad is not None:
                problems.append(f"member {bad!r} is corrupt")
            if problems:
                raise InvalidWheel(f"{name}: refused: " + "; ".join(problems))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                WheelFile(archive).validate_record(validate_contents=contents)
    except zipfile.BadZipFile as exc:
        raise with_hint(
            InvalidWheel(f"{name}: not a valid zip archive ({exc})"),
            "the file is truncated or corrupt; delete it and download again",
        ) from None
    except InstallerError as exc:
        raise InvalidWheel(f"{name}: {_installer_message(exc)}") from None


def _installer_message(exc: Exception) -> str:
    issues = getattr(exc, "issues", None)
    if issues:
        return "RECORD check failed: " + "; ".join(str(i) for i in issues)
    return str(exc)


def _member_problems(info: zipfile.ZipInfo) -> list[str]:
    member = info.filename
    parts = PurePosixPath(member.replace("\\", "/")).parts
    problems = []
    if member.startswith(("/", "\\")) or (len(member) > 1 and member[1] == ":"):
        problems.append(f"member {member!r} has an absolute path")
    if ".." in parts:
        problems.append(f"member {member!r} leaves the package folder ('..')")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        problems.append(f"member {member!r} is a symbolic link")
    elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        problems.append(f"member {member!r} is not a regular file")
    return problems


def read_wheel_metadata(path: Path) -> Metadata:
    """Return the core metadata of the wheel at *path*.

    :raises InvalidWheel: the wheel has no (single) ``.dist-info/METADATA``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise InvalidWheel(
                    f"{path.name}: expected one .dist-info/METADATA, found {len(names)}"
                )
            data = archive.read(names[0])
    except zipfile.BadZipFile as exc:
        raise InvalidWheel(f"{path.name}: not a valid zip archive ({exc})") from None
    return parse_metadata(data, f"{path.name}: {names[0]}")


class _Destination(SchemeDictionaryDestination):
    """installer's destination, writing pkgimport's interpreter-free launchers."""

    tools: list[str]

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        del section  # GUI and console scripts get the same launcher
        import_name = attr.split(".", maxsplit=1)[0]
        text = _LAUNCHER.format(module=module, attr=attr, import_name=import_name, call=attr)
        for script_name, data in (
            (name, text.encode()),
            (f"{name}.cmd", _CMD_LAUNCHER.format(name=name).encode()),
        ):
            with io.BytesIO(data) as stream:
                entry = self.write_to_fs(Scheme("scripts"), script_name, stream, is_executable=True)
            target = Path(self.scheme_dict["scripts"]) / script_name
            target.chmod(target.stat().st_mode | 0o111)
        self.tools.append(name)
        return entry  # the RECORD keeps the .cmd's entry; both files exist on disk


class _RecordMismatchError(Exception):
    """A member's bytes differ from its RECORD line (raised mid-install)."""


class _HashingReader(io.RawIOBase):
    """Read-through stream that checks the RECORD hash and size when it reaches the end."""

    def __init__(self, stream: BinaryIO, name: str, hash_: str, size: str) -> None:
        self._stream = stream
        self._name = name
        algorithm, _, self._expected = hash_.partition("=")
        self._digest = hashlib.new(algorithm or "sha256")
        self._size = int(size) if size.isdigit() else None
        self._seen = 0
        self.checked = not hash_

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # fix_shebang rewinds script streams: start hashing again from the top.
        position = self._stream.seek(offset, whence)
        if position == 0:
            self._digest = hashlib.new(self._digest.name)
            self._seen = 0
        return position

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        if data:
            self._digest.update(data)
            self._seen += len(data)
            buffer[: len(data)] = data
        elif not self.checked:
            self.check()
        return len(data)

    def check(self) -> None:
        """Compare what was read with RECORD (once the end is reached)."""
        self.checked = True
        actual = base64.urlsafe_b64encode(self._digest.digest()).rstrip(b"=").decode()
        if actual != self._expected or (self._size is not None and self._size != self._seen):
            raise _RecordMismatchError(f"hash / size of {self._name} does not match RECORD")


class _VerifyingWheelFile(WheelFile):
    """installer's WheelFile, checking each member against RECORD as it is read."""

    def get_contents(self) -> Iterator[tuple[tuple[str, str, str], BinaryIO, bool]]:
        for record, stream, is_executable in super().get_contents():
            name, hash_, size = record
            if name.endswith("/RECORD") or not hash_:
                yield record, stream, is_executable
                continue
            reader = _HashingReader(stream, name, hash_, size)
            yield record, cast("BinaryIO", io.BufferedReader(reader)), is_executable
            if not reader.checked:  # the consumer stopped before the end
                reader.check()


def install_wheel(path: Path, root: Path) -> InstalledPayload:
    """Install the (already checked) wheel at *path* into the variant folder *root*.

    :raises InvalidWheel: installer refuses the wheel (names the file).
    """
    schemes = {
        "purelib": root / "python",
        "platlib": root / "python",
        "scripts": root / "bin",
        "headers": root / "include",
        "data": root,
    }
    destination = _Destination(
        scheme_dict={k: str(v) for k, v in schemes.items()},
        interpreter="/usr/bin/env python",  # data/scripts "#!python" shebangs: no fixed path
        script_kind="posix",
    )
    destination.tools = []
    try:
        with warnings.catch_warnings(), _VerifyingWheelFile.open(path) as source:
            # installer warns (and skips) __pycache__ members; that is what we want too.
            warnings.simplefilter("ignore", RuntimeWarning)
            install(source, destination, {"INSTALLER": b"pkgimport\n"})
    except _RecordMismatchError as exc:
        raise InvalidWheel(f"{path.name}: RECORD check failed: {exc}") from None
    except zipfile.BadZipFile as exc:
        raise InvalidWheel(f"{path.name}: corrupt archive ({exc})") from None
    except (InstallerError, ValueError, KeyError) as exc:
        raise InvalidWheel(f"{path.name}: cannot install: {exc}") from None
    tools = set(destination.tools)
    bin_dir = root / "bin"
    if bin_dir.is_dir():
        tools.update(p.name for p in bin_dir.iterdir() if not p.name.endswith(".cmd"))
    return InstalledPayload(root=root, tools=tuple(sorted(tools)), dll_dirs=dll_dirs(root))


def dll_dirs(root: Path) -> tuple[str, ...]:
    """Return the folders under *root* that hold ``.dll`` files, relative, POSIX form, sorted."""
    found = {
        path.parent.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.suffix.lower() == ".dll" and path.is_file()
    }
    return tuple(sorted(found))
