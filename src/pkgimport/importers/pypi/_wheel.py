"""Wheel files: safety checks, metadata, and payload installation with ``installer``.

Layout of a variant root: ``python/`` (purelib and platlib), ``bin/`` (scripts and
launchers), ``include/`` (headers), and the data scheme at the root itself, so
``x.data/data/share/...`` lands in ``{root}/share`` as pip would put it under a prefix.
Launchers never name an interpreter: a POSIX script starting ``#!/usr/bin/env python`` and a
Windows ``.cmd`` that runs it with ``python``, both always written, so a pure package with
console scripts needs no platform variant (rez#907, rez#1286, pipz#4, pipz#18).

A wheel is input from outside: :func:`check_wheel` refuses it before anything is written when
a member path is unsafe (:mod:`pkgimport.safe_names`), its METADATA names another project or
version than its file name (pip refuses those too), an entry point is not a safe tool name
and ``module:function`` (:mod:`._scripts`), or its files would not land safely
(:mod:`._members`).
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import io
import stat
import warnings
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.records import InvalidRecordEntry, RecordEntry, parse_record_file
from installer.sources import WheelFile
from installer.utils import Scheme
from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from pkgimport.errors import PkgImportError
from pkgimport.importers.pypi._errors import InvalidWheel, with_hint
from pkgimport.importers.pypi._members import check_layout
from pkgimport.importers.pypi._scripts import (
    CMD_LAUNCHER,
    check_script_name,
    parse_entry_points,
    parse_object_reference,
    render_launcher,
)
from pkgimport.safe_names import UnsafeName, check_member_path

if TYPE_CHECKING:
    from collections.abc import Iterator

    from installer.scripts import ScriptSection

    from pkgimport.importers.pypi._scripts import EntryPoint

__all__ = [
    "InstalledPayload",
    "check_identity",
    "check_wheel",
    "dll_dirs",
    "install_wheel",
    "is_compiled",
    "parse_metadata",
    "read_wheel_metadata",
    "validate_record",
]

_BROKEN = "the wheel is broken: pick another version, or report it to the project"
_HOSTILE = "the wheel is broken or hostile: pick another version, or report it to the project"


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

    Name, version, ``Requires-Dist`` and ``Requires-Python`` must be valid (they decide what
    is imported); other fields that fail validation are dropped rather than refusing a
    package over, say, a malformed ``Project-URL``.

    :param context: names the input in messages (``wheel x.whl member 'x.dist-info/METADATA'``).
    :raises InvalidWheel: no name or version, or a requirement or specifier that packaging
        rejects (every one, quoted, on one line).
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
    raw: dict[str, object] = {"metadata_version": "2.1", "name": str(name), "version": str(version)}
    problems: list[str] = []
    requires = [str(v) for v in message.get_all("Requires-Dist") or ()]
    for value in requires:
        try:
            Requirement(value)
        except InvalidRequirement as exc:  # noqa: PERF203 - each bad line is reported
            problems.append(f"Requires-Dist {value!r} is not a PEP 508 requirement ({_line(exc)})")
    pythons = [str(v) for v in message.get_all("Requires-Python") or ()]
    for value in pythons:
        try:
            SpecifierSet(value)
        except InvalidSpecifier as exc:  # noqa: PERF203 - each bad line is reported
            problems.append(f"Requires-Python {value!r} is not a PEP 440 specifier ({_line(exc)})")
    if problems:
        raise with_hint(InvalidWheel(f"{context}: " + "; ".join(problems)), _BROKEN)
    if requires:
        raw["requires_dist"] = requires
    if pythons:
        raw["requires_python"] = pythons[0]
    try:
        return Metadata.from_raw(raw)  # type: ignore[arg-type]
    except (ExceptionGroup, InvalidMetadata) as exc:
        raise with_hint(
            InvalidWheel(f"{context}: malformed metadata: {_line(exc)}"), _BROKEN
        ) from None


def _line(exc: Exception) -> str:
    """Return the first line of *exc*'s message (packaging adds the input and a caret)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_identity(name: str | None, version: str | None, filename: str, context: str) -> None:
    """Refuse metadata that names another project or version than the wheel's file name.

    The resolver picks a wheel by its file name; pip refuses a wheel whose METADATA disagrees
    (``MetadataInconsistent``), and so does pkgimport, rather than import it under the
    METADATA's version. Versions compare as PEP 440 versions (``1.0`` is ``1.0.0``).

    :param context: names the metadata in the message.
    :raises InvalidWheel: naming both values.
    """
    raw_name, _, rest = filename.partition("-")
    raw_version = rest.split("-", 1)[0]
    try:
        _, file_version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise with_hint(InvalidWheel(f"{context}: {exc}"), _BROKEN) from None
    problems = []
    if canonicalize_name(name or "") != canonicalize_name(raw_name):
        problems.append(f"Name {name!r} disagrees with the file name's {raw_name!r}")
    try:
        same_version = version is not None and Version(version) == file_version
    except InvalidVersion:
        same_version = False
    if not same_version:
        problems.append(f"Version {version!r} disagrees with the file name's {raw_version!r}")
    if problems:
        raise with_hint(
            InvalidWheel(f"{context}: " + "; ".join(problems)),
            "pip refuses such a wheel too (renamed, or built wrong): pick another version, "
            "or report it to the project",
        )


def check_wheel(path: Path, expected_sha256: str | None = None, *, contents: bool = True) -> None:
    """Refuse a wheel that is corrupt, unsafe, or not the file the index described.

    Checks, before anything is written:

    1. the index's sha256 and the file name;
    2. every member: a safe relative path (:func:`~pkgimport.safe_names.check_member_path`),
       a regular file or folder (no symlinks, no devices), its CRC with ``contents=True``;
    3. RECORD: every file listed with a matching hash and size (with ``contents=False`` only
       that every file is listed; :func:`install_wheel` checks the hashes while it writes,
       reading each member once); compiled files may go without (:func:`validate_record`);
    4. METADATA: the project and version of the file name (:func:`check_identity`);
    5. ``entry_points.txt``: safe tool names, ``module:function`` values;
    6. the layout: where every member and launcher lands (:func:`._members.check_layout`).

    :raises InvalidWheel: naming the file (and the member), and every problem of step 2.
    :raises UnsafeWheelName: a script or data file name is unsafe (an ``InvalidWheel`` too).
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
        raise with_hint(InvalidWheel(f"{name}: {exc}"), _BROKEN) from None
    try:
        with zipfile.ZipFile(path) as archive:
            problems = [p for info in archive.infolist() for p in _member_problems(info)]
            # Reading every member checks its CRC; install_wheel reads them anyway, so only
            # a standalone check pays for it here.
            bad = archive.testzip() if contents else None
            if bad is not None:
                problems.append(f"member {bad!r} is corrupt")
            if problems:
                raise with_hint(InvalidWheel(f"{name}: refused: " + "; ".join(problems)), _HOSTILE)
            source = WheelFile(archive)
            problems = validate_record(source, archive, contents=contents)
            if problems:
                raise with_hint(
                    InvalidWheel(f"{name}: RECORD check failed: " + "; ".join(problems)), _HOSTILE
                )
            _check_contents(source, archive, name)
    except zipfile.BadZipFile as exc:
        raise with_hint(
            InvalidWheel(f"{name}: not a valid zip archive ({exc})"),
            "the file is truncated or corrupt; delete it and download again",
        ) from None
    except InstallerError as exc:
        raise with_hint(InvalidWheel(f"{name}: {_installer_message(exc)}"), _BROKEN) from None


def is_compiled(member: str) -> bool:
    """Tell whether *member* is compiled bytecode, which RECORD may list without a hash.

    PEP 376 lets RECORD leave the hash and size of ``.pyc`` / ``.pyo`` files empty, and
    installer (like pip's compileall afterwards) never installs a ``__pycache__`` folder a
    wheel ships: its members are not imported code of the package.

    >>> is_compiled("PySide6/support/__pycache__/__init__.cpython-312.pyc"), is_compiled("a.py")
    (True, False)
    """
    return member.endswith((".pyc", ".pyo")) or "__pycache__" in member.split("/")[:-1]


def validate_record(source: WheelFile, archive: zipfile.ZipFile, *, contents: bool) -> list[str]:
    """Return every disagreement between the members of *archive* and its RECORD.

    installer's ``validate_record``, but following what installers accept: a compiled file
    (:func:`is_compiled`) may be listed without hash and size (PEP 376); one listed *with* a
    hash must match it like any other member, so a tampered one is still refused.

    :param contents: also compare every member's bytes with its hash and size.
    :raises InvalidWheel: RECORD is missing or not CSV (through installer's error).
    """
    record_path = f"{source.dist_info_dir}/RECORD"
    try:
        lines = archive.read(record_path).decode("utf-8").splitlines()
        records = {row[0]: row for row in parse_record_file(lines)}
    except (KeyError, UnicodeDecodeError, ValueError, InstallerError) as exc:
        raise with_hint(
            InvalidWheel(f"{Path(str(archive.filename)).name}: unreadable RECORD ({_line(exc)})"),
            _BROKEN,
        ) from None
    signatures = {f"{source.dist_info_dir}/RECORD.p7s", f"{source.dist_info_dir}/RECORD.jws"}
    problems: list[str] = []
    for info in archive.infolist():
        member = info.filename
        if member.endswith("/"):
            continue
        row = records.pop(member, None)
        if member in signatures:
            if row is not None:
                problems.append(f"signature file {member} is listed in RECORD")
            continue
        if row is None:
            problems.append(f"{member} is not mentioned in RECORD")
            continue
        try:
            entry = RecordEntry.from_elements(*row)
        except InvalidRecordEntry as exc:
            problems.extend(f"RECORD entry of {member} is invalid: {i}" for i in exc.issues)
            continue
        if member == record_path:
            if entry.hash_ is not None or entry.size is not None:
                problems.append("RECORD lists a hash / size for itself")
            continue
        if entry.hash_ is None or entry.size is None:
            if not is_compiled(member):
                problems.append(f"hash / size of {member} is not included in RECORD")
            continue
        if contents:
            with archive.open(info) as stream:
                if not entry.validate_stream(cast("BinaryIO", stream)):
                    problems.append(f"hash / size of {member} didn't match RECORD")
    return problems


def _check_contents(source: WheelFile, archive: zipfile.ZipFile, name: str) -> None:
    """Run steps 4-6 of :func:`check_wheel`, with installer's view of the wheel (*source*)."""
    dist_info = source.dist_info_dir
    members = archive.namelist()
    metadata = f"{dist_info}/METADATA"
    if metadata not in members:
        raise with_hint(InvalidWheel(f"wheel {name}: no member {metadata!r}"), _BROKEN)
    headers = BytesParser().parsebytes(archive.read(metadata), headersonly=True)
    project, version = headers.get("Name"), headers.get("Version")
    check_identity(
        None if project is None else str(project),
        None if version is None else str(version),
        name,
        f"wheel {name} member {metadata!r}",
    )
    entry_points_member = f"{dist_info}/entry_points.txt"
    entry_points: tuple[EntryPoint, ...] = ()
    if entry_points_member in members:
        data = archive.read(entry_points_member)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise with_hint(
                InvalidWheel(
                    f"wheel {name} member {entry_points_member!r}: not UTF-8 ({exc.reason} at "
                    f"byte {exc.start})"
                ),
                _BROKEN,
            ) from None
        entry_points = parse_entry_points(text, wheel=name, member=entry_points_member)
    check_layout(
        wheel=name,
        members=members,
        dist_info=dist_info,
        data_dir=source.data_dir,
        entry_points=entry_points,
    )


def _installer_message(exc: Exception) -> str:
    issues = getattr(exc, "issues", None)
    if issues:
        return "RECORD check failed: " + "; ".join(str(i) for i in issues)
    return " ".join(str(exc).split())


def _member_problems(info: zipfile.ZipInfo) -> list[str]:
    member = info.filename
    problems = []
    try:
        check_member_path(member, what=f"member {member!r}")
    except UnsafeName as exc:
        problems.append(f"member {member!r} is not a safe path ({exc.why})")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        problems.append(f"member {member!r} is a symbolic link")
    elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        problems.append(f"member {member!r} is not a regular file")
    return problems


def read_wheel_metadata(path: Path) -> Metadata:
    """Return the core metadata of the wheel at *path*.

    :raises InvalidWheel: the wheel has no (single) ``.dist-info/METADATA``, it is invalid,
        or it names another project or version than the file name.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise with_hint(
                    InvalidWheel(
                        f"{path.name}: expected one .dist-info/METADATA, found {len(names)}"
                    ),
                    _BROKEN,
                )
            data = archive.read(names[0])
    except zipfile.BadZipFile as exc:
        raise with_hint(
            InvalidWheel(f"{path.name}: not a valid zip archive ({exc})"),
            "the file is truncated or corrupt; delete it and download again",
        ) from None
    context = f"wheel {path.name} member {names[0]!r}"
    metadata = parse_metadata(data, context)
    check_identity(str(metadata.name), str(metadata.version), path.name, context)
    return metadata


class _Destination(SchemeDictionaryDestination):
    """installer's destination, writing pkgimport's interpreter-free launchers."""

    tools: list[str]
    entry_points: str
    """``wheel x.whl member 'x.dist-info/entry_points.txt'``, for messages."""

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        # check_wheel checked these already; checked again where they become a file and
        # code, in case installer's reading of entry_points.txt ever differs from ours.
        what = f"{self.entry_points} [{section}_scripts]"
        check_script_name(name, what=what)
        module, attr = parse_object_reference(f"{module}:{attr}", what=f"{what} {name!r}")
        # GUI and console scripts get the same launcher.
        for script_name, data in (
            (name, render_launcher(module, attr).encode()),
            (f"{name}.cmd", CMD_LAUNCHER.encode()),
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

    def drain(self) -> None:
        """Hash the rest of the member: installer skips some (``__pycache__``) unread."""
        while data := self._stream.read(1 << 20):
            self._digest.update(data)
            self._seen += len(data)

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
            if not reader.checked:
                # The consumer stopped before the end, or never read the member (installer
                # skips __pycache__ members): the bytes it did not read are checked all the
                # same, so a tampered member refuses the wheel whether it is written or not.
                reader.drain()
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
            destination.entry_points = (
                f"wheel {path.name} member '{source.dist_info_dir}/entry_points.txt'"
            )
            # A wheel may ship its own INSTALLER (pip overwrites it); writing ours would
            # fail on the existing file.
            has_installer = "INSTALLER" in source.dist_info_filenames
            install(source, destination, {} if has_installer else {"INSTALLER": b"pkgimport\n"})
    except PkgImportError:
        raise
    except _RecordMismatchError as exc:
        raise with_hint(
            InvalidWheel(f"{path.name}: RECORD check failed: {exc}"), _HOSTILE
        ) from None
    except zipfile.BadZipFile as exc:
        raise with_hint(InvalidWheel(f"{path.name}: corrupt archive ({exc})"), _BROKEN) from None
    except (InstallerError, ValueError, KeyError, AssertionError, configparser.Error) as exc:
        # installer asserts on some malformed input (entry points); check_wheel refuses all
        # of it first, so this is the backstop for an unchecked wheel.
        raise with_hint(
            InvalidWheel(f"{path.name}: cannot install: {_line(exc)}"),
            _BROKEN,
        ) from None
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
