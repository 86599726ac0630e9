"""What pip's options ask of a resolve, as values: which formats, which hashes.

Requirement files (:mod:`._reqfile`) produce them; the resolver (:mod:`._resolve`) and the
importer (:mod:`._importer`) obey them. Pure values, no I/O.

>>> formats = FormatControl().with_no_binary(":all:").with_only_binary("numpy")
>>> sorted(formats.allowed("numpy")), sorted(formats.allowed("six"))
(['binary'], ['source'])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

__all__ = ["STRONG_HASHES", "AllowedHashes", "Format", "FormatControl", "file_hashes"]

Format = Literal["binary", "source"]

STRONG_HASHES = ("sha256", "sha384", "sha512")
"""The algorithms pip accepts in ``--hash`` (its ``STRONG_HASHES``)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FormatControl:
    """pip's ``--no-binary`` / ``--only-binary``: which formats a project may be taken in.

    Each holds normalised project names or ``:all:``; a later option overrides an earlier
    one for the names it lists, exactly as pip's ``FormatControl.handle_mutual_excludes``.
    """

    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()

    def with_no_binary(self, value: str) -> FormatControl:
        """Apply ``--no-binary VALUE`` (comma-separated names, ``:all:`` or ``:none:``)."""
        no, only = _exclude(value, self.no_binary, self.only_binary)
        return FormatControl(no_binary=no, only_binary=only)

    def with_only_binary(self, value: str) -> FormatControl:
        """Apply ``--only-binary VALUE``."""
        only, no = _exclude(value, self.only_binary, self.no_binary)
        return FormatControl(no_binary=no, only_binary=only)

    def allowed(self, name: str) -> frozenset[Format]:
        """Return the formats project *name* may be taken in (pip's ``get_allowed_formats``)."""
        key = canonicalize_name(name)
        if key in self.only_binary:
            return frozenset({"binary"})
        if key in self.no_binary:
            return frozenset({"source"})
        if ":all:" in self.only_binary:
            return frozenset({"binary"})
        if ":all:" in self.no_binary:
            return frozenset({"source"})
        return frozenset({"binary", "source"})


def _exclude(
    value: str, target: frozenset[str], other: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    into, out = set(target), set(other)
    for name in value.split(","):
        name = name.strip()  # noqa: PLW2901 - the same token, trimmed
        if name == ":all:":
            into.clear()
            out.clear()
            into.add(":all:")
        elif name == ":none:":
            into.clear()
        elif name:
            key = canonicalize_name(name)
            out.discard(key)
            into.add(key)
    return frozenset(into), frozenset(out)


@dataclass(frozen=True, kw_only=True, slots=True)
class AllowedHashes:
    """pip's hash-checking mode: the hashes a project's files may have.

    Active once any requirement or constraint has a ``--hash`` (or ``--require-hashes`` is
    given): then every distribution imported must have hashes, and its file one of them.
    """

    required: bool = False
    by_project: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Normalised name → ``"sha256:<hex>"`` values (several lines: their intersection)."""

    @classmethod
    def from_lines(
        cls, lines: Iterable[tuple[str, frozenset[str]]], *, required: bool = False
    ) -> AllowedHashes:
        """Combine ``(project, hashes)`` pairs; a project named twice keeps the common ones."""
        out: dict[str, frozenset[str]] = {}
        for name, hashes in lines:
            if not hashes:
                continue
            key = canonicalize_name(name)
            out[key] = out[key] & hashes if key in out else hashes
        return cls(required=required or bool(out), by_project=out)

    def of(self, name: str) -> frozenset[str] | None:
        """Return the hashes allowed for project *name* (``None``: no line gave any)."""
        return self.by_project.get(canonicalize_name(name))

    def admits_index_sha256(self, name: str, sha256: str | None) -> bool:
        """Tell whether a file the index lists with *sha256* may be chosen for *name*.

        Like pip's finder, files with another hash are passed over; a file whose hash the
        index does not give is kept, and checked once downloaded.
        """
        allowed = self.of(name)
        if not self.required or not allowed or sha256 is None:
            return True
        if not any(h.startswith("sha256:") for h in allowed):
            return True  # only sha384/sha512 given: known once downloaded
        return f"sha256:{sha256.lower()}" in allowed


def file_hashes(path: Path, algorithms: Iterable[str]) -> frozenset[str]:
    """Return ``"alg:<hex>"`` of the file at *path* for every algorithm of *algorithms*."""
    digests = {name: hashlib.new(name) for name in set(algorithms)}
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            for digest in digests.values():
                digest.update(chunk)
    return frozenset(f"{name}:{digest.hexdigest()}" for name, digest in digests.items())
