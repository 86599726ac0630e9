r"""pip's requirement files (``-r FILE``) and constraint files (``-c FILE``), read as pip does.

Each file goes through pip's steps (``pip._internal.req.req_file``), in pip's order:

1. lines ending in ``\`` are joined with the next (numbered by their first line);
2. comments are dropped: ``#`` at the start of a line or after whitespace;
3. ``${NAME}`` is replaced by the environment variable (``NAME`` of upper-case letters,
   digits and ``_``; an unset one stays as written);
4. the line is split at the first word starting with ``-``: before it a requirement, after
   it options (split like a shell line);
5. an options line changes what follows (``-r``/``-c`` nest a file, relative to the one
   naming it; ``-i``, ``--extra-index-url``, ``--no-index``, ``-f``, ``--pre``,
   ``--no-binary``, ``--only-binary``, ``--prefer-binary``, ``--require-hashes``); a
   requirement line is a PEP 508 requirement (markers kept, evaluated per target later) or a
   local wheel or sdist (relative to the working folder, as pip has it), with ``--hash``.

What cannot become a rez package is refused with its file and line: ``-e`` (a source tree),
source folders, files that are neither wheels nor sdists, remote URLs, build options.
Every problem of every file is reported at once.

>>> files = parse_requirement_files(
...     ["reqs.txt"],
...     read={"reqs.txt": "six==1.16.0 \\\n  --hash=sha256:" + "a" * 64 + "  # pinned\n"}.get,
...     environ={},
... )
>>> [str(r.requirement) for r in files.requirements], files.hashes.required
(['six==1.16.0'], True)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

from packaging.requirements import InvalidRequirement as PEP508InvalidRequirement
from packaging.requirements import Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from pkgimport.errors import InvalidRequirement, PkgImportError
from pkgimport.importers.pypi._options import STRONG_HASHES, AllowedHashes, FormatControl

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

__all__ = [
    "FileRequirement",
    "InvalidRequirementsFile",
    "RequirementFiles",
    "parse_requirement_files",
    "read_local",
]

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_SDIST_SUFFIXES = (".tar.gz", ".zip")
"""What ``packaging.utils.parse_sdist_filename`` reads (the only formats PyPI accepts)."""


class InvalidRequirementsFile(InvalidRequirement):
    """One or more lines of requirement files cannot be imported; each names its file:line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)
        self.hint = (
            "fix the lines named; pkgimport imports wheels and sdists from indexes and local "
            "files (see pip's requirement file format)"
        )

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return "requirement files: " + "".join(f"\n  {p}" for p in self.problems)


@dataclass(frozen=True, kw_only=True, slots=True)
class FileRequirement:
    """One requirement (or constraint) line."""

    requirement: Requirement
    """For a local file, ``name==version`` from its file name."""
    origin: str
    """``file:line`` where it was written."""
    path: Path | None = None
    """A local wheel or sdist (relative to the working folder, as pip reads it)."""
    hashes: frozenset[str] = frozenset()
    """``"sha256:<hex>"`` values of ``--hash``."""

    @property
    def item(self) -> str:
        """What the command line would say: the file (``./x.whl``, a path), or the requirement."""
        if self.path is None:
            return str(self.requirement)
        return str(self.path) if self.path.parent != Path() else f"./{self.path}"


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementFiles:
    """Everything the files asked for."""

    requirements: tuple[FileRequirement, ...] = ()
    constraints: tuple[FileRequirement, ...] = ()
    """Versions (and hashes) a project must have *if* it is in the closure."""
    index_urls: tuple[str, ...] | None = None
    """The indexes after the files' ``-i`` / ``--extra-index-url`` / ``--no-index``
    (``None``: no file named any)."""
    find_links: tuple[str, ...] = ()
    pre: bool = False
    formats: FormatControl = field(default_factory=FormatControl)
    prefer_binary: bool = False
    hashes: AllowedHashes = field(default_factory=AllowedHashes)
    notes: tuple[str, ...] = ()
    """Options that change nothing here (``--use-feature``, ``--trusted-host``), said."""


class _OptionError(Exception):
    pass


class _OptionParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _OptionError(message)


def _option_parser() -> _OptionParser:
    """Return a parser of the options pip accepts in a requirement file (and on its lines)."""
    parser = _OptionParser(add_help=False, prog="requirements file")
    add = parser.add_argument
    add("-r", "--requirement", action="append", default=[])
    add("-c", "--constraint", action="append", default=[])
    add("-e", "--editable", action="append", default=[])
    add("-i", "--index-url")
    add("--extra-index-url", action="append", default=[])
    add("--no-index", action="store_true")
    add("-f", "--find-links", action="append", default=[])
    add("--no-binary", action="append", default=[])
    add("--only-binary", action="append", default=[])
    add("--prefer-binary", action="store_true")
    add("--require-hashes", action="store_true")
    add("--pre", action="store_true")
    add("--trusted-host", action="append", default=[])
    add("--use-feature", action="append", default=[])
    # Per-requirement options.
    add("--hash", action="append", default=[])
    add("--global-option", action="append", default=[])
    add("-C", "--config-settings", action="append", default=[])
    return parser


_PER_REQUIREMENT = ("hash", "global_option", "config_settings")


def iter_joined_lines(text: str) -> Iterator[tuple[int, str]]:
    r"""Yield ``(line number, line)`` with continuations joined (pip's ``join_lines``).

    >>> list(iter_joined_lines("a \\\nb\n# c \\\nd"))
    [(1, 'a b'), (3, ' # c \\'), (4, 'd')]
    """
    joined: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        comment = _COMMENT.match(line) is not None
        if not line.endswith("\\") or comment:
            # A comment ends a continuation; pip keeps it, behind a space so step 2 drops it.
            current = " " + line if comment else line
            if joined:
                joined.append(current)
                yield first, "".join(joined)
                joined = []
            else:
                yield number, current
        else:
            if not joined:
                first = number
            joined.append(line.strip("\\"))
    if joined:
        yield first, "".join(joined)


def expand_env(line: str, environ: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` as pip does (unset: left as written).

    >>> expand_env("-i https://${USER}:${TOKEN}@x/${lower}", {"USER": "u", "TOKEN": "t"})
    '-i https://u:t@x/${lower}'
    """
    return _ENV_VAR.sub(lambda m: environ.get(m.group("name"), m.group(0)), line)


def split_line(line: str) -> tuple[str, str]:
    """Split a line into its requirement and its options (pip's ``break_args_options``).

    >>> split_line('six>=1 ; python_version < "3.9" --hash=sha256:ab')
    ('six>=1 ; python_version < "3.9"', '--hash=sha256:ab')
    """
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return line, ""


def read_local(location: str) -> str:
    """Read a requirement file from a path or a ``file:`` URL (UTF-8, as pip decodes it).

    :raises OSError: it cannot be read.
    """
    return Path(_local_path(location) or location).read_text(encoding="utf-8-sig")


def _local_path(location: str) -> str | None:
    parts = urlsplit(location)
    if parts.scheme == "file":
        return unquote(parts.path)
    return None


def _is_url(text: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) is not None


class _Reader:
    """One parse of a set of files: the state pip keeps while it reads them."""

    def __init__(
        self,
        read: Callable[[str], str | None],
        environ: Mapping[str, str],
        index_urls: Sequence[str],
    ) -> None:
        self.read = read
        self.environ = environ
        self.parser = _option_parser()
        self.requirements: list[FileRequirement] = []
        self.constraints: list[FileRequirement] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.index_urls = list(index_urls)
        self.indexes_changed = False
        self.no_index = False
        self.find_links: list[str] = []
        self.pre = False
        self.prefer_binary = False
        self.require_hashes = False
        self.formats = FormatControl()
        self.open: list[str] = []

    # 1. files ---------------------------------------------------------------------------------

    def read_file(self, location: str, *, constraint: bool, named_at: str) -> None:
        """Read one file (and the files it nests) into the state."""
        if location in self.open:
            self.problems.append(f"{named_at}: {location!r} includes itself (through -r/-c)")
            return
        try:
            text = self.read(location)
        except (OSError, UnicodeDecodeError, PkgImportError) as exc:
            self.problems.append(f"{named_at}: cannot read {location!r}: {exc}")
            return
        if text is None:
            self.problems.append(f"{named_at}: no file {location!r}")
            return
        self.open.append(location)
        try:
            for number, raw in iter_joined_lines(text):
                line = expand_env(_COMMENT.sub("", raw), self.environ).strip()
                if line:
                    self.read_line(line, f"{location}:{number}", location, constraint=constraint)
        finally:
            self.open.pop()

    # 2. lines ---------------------------------------------------------------------------------

    def read_line(self, line: str, origin: str, location: str, *, constraint: bool) -> None:
        """Read one logical line: options, or a requirement with its options."""
        args, options_text = split_line(line)
        try:
            options = self.parser.parse_args(shlex.split(options_text))
        except (_OptionError, ValueError) as exc:
            self.problems.append(f"{origin}: {exc}")
            return
        per_requirement = [name for name in _PER_REQUIREMENT if getattr(options, name)]
        if args:
            others = [
                f"--{name.replace('_', '-')}"
                for name, value in vars(options).items()
                if value and name not in _PER_REQUIREMENT
            ]
            if others:
                self.problems.append(
                    f"{origin}: {', '.join(others)} must be on a line of its own, not after "
                    f"a requirement ({args!r})"
                )
                return
            self.read_requirement(args, options, origin, constraint=constraint)
            return
        if per_requirement:
            self.problems.append(
                f"{origin}: --{per_requirement[0].replace('_', '-')} belongs after a "
                "requirement on the same line"
            )
            return
        self.read_options(options, origin, location)

    def read_options(self, options: argparse.Namespace, origin: str, location: str) -> None:
        """Apply an options line, as pip's ``handle_option_line``."""
        for editable in options.editable:
            self.problems.append(
                f"{origin}: -e {editable}: an editable install is a source tree, not a "
                "package; build a wheel (pip wheel --no-deps PATH) and name it instead"
            )
        for nested in options.requirement:
            self.read_file(self._nested(location, nested), constraint=False, named_at=origin)
        for nested in options.constraint:
            self.read_file(self._nested(location, nested), constraint=True, named_at=origin)
        if options.no_index:
            self.no_index = True
            self.index_urls = []
            self.indexes_changed = True
        if options.index_url and not self.no_index:
            self.index_urls = [options.index_url]
            self.indexes_changed = True
        if options.extra_index_url and not self.no_index:
            self.index_urls.extend(options.extra_index_url)
            self.indexes_changed = True
        for link in options.find_links:
            # pip: a local find-links path is taken relative to the file when it exists there.
            relative = self._nested(location, link)
            exists = not _is_url(relative) and Path(relative).exists()
            self.find_links.append(relative if exists else link)
        for value in options.no_binary:
            self.formats = self.formats.with_no_binary(value)
        for value in options.only_binary:
            self.formats = self.formats.with_only_binary(value)
        self.pre = self.pre or options.pre
        self.prefer_binary = self.prefer_binary or options.prefer_binary
        self.require_hashes = self.require_hashes or options.require_hashes
        for host in options.trusted_host:
            self.notes.append(
                f"{origin}: --trusted-host {host} is not applied: pkgimport verifies TLS for "
                "every https index (use the certificate in your pip configuration, 'cert')"
            )
        for feature in options.use_feature:
            self.notes.append(f"{origin}: --use-feature={feature} changes nothing here")

    def _nested(self, location: str, name: str) -> str:
        """Return *name* as pip finds it from the file at *location*."""
        if _is_url(name) or Path(name).is_absolute():
            return name
        if _is_url(location) and _local_path(location) is None:
            return urljoin(location, name)
        parent = Path(_local_path(location) or location).parent
        # Normalised (``sub/../x`` is ``x``) only for messages: the file read is the same.
        return os.path.normpath(parent / name)

    # 3. requirements --------------------------------------------------------------------------

    def read_requirement(
        self, text: str, options: argparse.Namespace, origin: str, *, constraint: bool
    ) -> None:
        """Read a requirement line (its ``--hash`` values included)."""
        if constraint and _looks_like_path(text):
            self.problems.append(f"{origin}: a constraint must name a project ({text!r})")
            return
        problems_before = len(self.problems)
        if options.global_option or options.config_settings:
            self.problems.append(
                f"{origin}: --global-option / --config-settings are build options for pip; "
                f"pkgimport cannot pass them on ({text!r}): build the wheel yourself and name it"
            )
        hashes = self._hashes(options.hash, origin)
        entry = self._requirement(text, origin, hashes)
        if entry is None or len(self.problems) > problems_before:
            return
        if constraint:
            if entry.requirement.extras:
                self.problems.append(
                    f"{origin}: a constraint cannot have extras, as in pip ({text!r})"
                )
                return
            self.constraints.append(entry)
        else:
            self.requirements.append(entry)

    def _hashes(self, values: Iterable[str], origin: str) -> frozenset[str]:
        out = set()
        for value in values:
            algorithm, _, digest = value.partition(":")
            digest = digest.lower()
            if algorithm not in STRONG_HASHES:
                self.problems.append(
                    f"{origin}: --hash={value}: use one of {', '.join(STRONG_HASHES)} "
                    "(as alg:hexdigest)"
                )
            elif len(digest) != _HEX_LENGTH[algorithm] or not re.fullmatch("[0-9a-f]+", digest):
                self.problems.append(f"{origin}: --hash={value}: not a {algorithm} hex digest")
            else:
                out.add(f"{algorithm}:{digest}")
        return frozenset(out)

    def _requirement(
        self, text: str, origin: str, hashes: frozenset[str]
    ) -> FileRequirement | None:
        """Return a named requirement, or a local file; ``None`` (and a problem) otherwise."""
        if not _looks_like_path(text):
            try:
                requirement = Requirement(text)
            except PEP508InvalidRequirement as exc:
                self.problems.append(f"{origin}: invalid requirement {text!r}: {exc}")
                return None
            if requirement.url is None:
                return FileRequirement(requirement=requirement, origin=origin, hashes=hashes)
            local = _local_path(requirement.url)
            if local is None:
                self.problems.append(
                    f"{origin}: {text!r} points at a URL; download the file and name it, or "
                    "name a version on an index"
                )
                return None
            entry = self._local_file(local, origin, hashes)
            if entry is not None and canonicalize_name(entry.requirement.name) != (
                canonicalize_name(requirement.name)
            ):
                self.problems.append(f"{origin}: {text!r} names a file of another project")
                return None
            return entry
        if ";" in text:
            self.problems.append(
                f"{origin}: {text!r}: markers on a local file are not supported; list it "
                "only in the files for the targets it fits"
            )
            return None
        local = _local_path(text) if _is_url(text) else text
        if local is None:
            self.problems.append(
                f"{origin}: {text!r} is a URL; download the file and name it, or name a "
                "version on an index"
            )
            return None
        return self._local_file(local, origin, hashes)

    def _local_file(self, path: str, origin: str, hashes: frozenset[str]) -> FileRequirement | None:
        local = Path(path)
        name = local.name
        if local.is_dir():
            self.problems.append(
                f"{origin}: {path!r} is a source folder, not a wheel or sdist; build one "
                "(pip wheel --no-deps PATH) and name it instead"
            )
            return None
        try:
            if name.endswith(".whl"):
                project, version, _, _ = parse_wheel_filename(name)
            elif name.endswith(_SDIST_SUFFIXES):
                project, version = parse_sdist_filename(name)
            else:
                self.problems.append(
                    f"{origin}: {path!r} is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)"
                )
                return None
        except (InvalidWheelFilename, InvalidSdistFilename) as exc:
            self.problems.append(f"{origin}: {path!r}: {exc}")
            return None
        if not local.is_file():
            self.problems.append(f"{origin}: no file {path!r}")
            return None
        return FileRequirement(
            requirement=Requirement(f"{project}=={version}"),
            origin=origin,
            path=local,
            hashes=hashes,
        )

    # 4. the result ----------------------------------------------------------------------------

    def result(self) -> RequirementFiles:
        """Check hash-checking mode and return what was read."""
        hashes = AllowedHashes.from_lines(
            ((e.requirement.name, e.hashes) for e in (*self.requirements, *self.constraints)),
            required=self.require_hashes,
        )
        if hashes.required:
            for entry in self.requirements:
                if entry.path is None and not _is_pinned(entry.requirement):
                    self.problems.append(
                        f"{entry.origin}: in hash-checking mode every requirement must be "
                        f"pinned with == (as in pip): {str(entry.requirement)!r}"
                    )
        if self.problems:
            raise InvalidRequirementsFile(self.problems)
        return RequirementFiles(
            requirements=tuple(self.requirements),
            constraints=tuple(self.constraints),
            index_urls=tuple(self.index_urls) if self.indexes_changed else None,
            find_links=tuple(self.find_links),
            pre=self.pre,
            formats=self.formats,
            prefer_binary=self.prefer_binary,
            hashes=hashes,
            notes=tuple(self.notes),
        )


def _looks_like_path(text: str) -> bool:
    """Tell a local file or URL from a PEP 508 requirement (pip's ``_looks_like_path``)."""
    if "@" in text.split(";", 1)[0] and not _is_url(text):
        return False  # name @ url
    return (
        _is_url(text)
        or "/" in text
        or os.sep in text
        or text.startswith(".")
        or text.split(";", 1)[0].strip().endswith((".whl", *_SDIST_SUFFIXES))
    )


def _is_pinned(requirement: Requirement) -> bool:
    specifiers = list(requirement.specifier)
    return len(specifiers) == 1 and (
        specifiers[0].operator == "==="
        or (specifiers[0].operator == "==" and not specifiers[0].version.endswith(".*"))
    )


def parse_requirement_files(
    requirements: Sequence[str],
    constraints: Sequence[str] = (),
    *,
    read: Callable[[str], str | None] = read_local,
    environ: Mapping[str, str] | None = None,
    index_urls: Sequence[str] = (),
    require_hashes: bool = False,
) -> RequirementFiles:
    """Read requirement files and constraint files (``-r`` / ``-c`` on the command line).

    :param read: returns the text of a path or URL (``None``, or ``OSError``: not there).
    :param environ: for ``${VAR}``; default ``os.environ``.
    :param index_urls: the indexes before the files (pip's configuration): ``-i`` replaces
        them, ``--extra-index-url`` adds to them.
    :param require_hashes: ``--require-hashes`` on the command line.
    :raises InvalidRequirementsFile: every line that cannot be imported, with file:line.
    """
    reader = _Reader(read, os.environ if environ is None else environ, index_urls)
    reader.require_hashes = require_hashes
    for name in requirements:
        reader.read_file(name, constraint=False, named_at="-r")
    for name in constraints:
        reader.read_file(name, constraint=True, named_at="-c")
    return reader.result()
