"""Where rez puts variant payloads: requirement folders, sha1 folders and ``_v`` shortlinks.

rez-compat §3.2: a variant's root is its package folder plus either its own requirements
(canonically spelled) as nested folders, or, with ``hashed_variants``, the sha1 of
``str([str(r) for r in variant])``, possibly reached through a ``_v/<name>`` shortlink.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pkgimport.errors import RepositoryError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = [
    "SHORTLINKS_DIRNAME",
    "canonical_requirement",
    "find_shortlink",
    "needs_hashing",
    "variant_subpath",
]

SHORTLINKS_DIRNAME = "_v"
"""rez's ``variant_shortlinks_dirname``."""


def canonical_requirement(text: str) -> str:
    """Return *text* as rez prints the requirement (``foo>=1`` -> ``foo-1+``).

    >>> canonical_requirement("foo>=1")
    'foo-1+'
    """
    from pkgimport.resolver.requirements import Requirement  # noqa: PLC0415 - value type

    return str(Requirement(text))


_UNSAFE_FOLDER_CHARS = frozenset('<>:"|?*\\/')


def needs_hashing(variant: Sequence[str]) -> bool:
    """Tell whether a variant's requirements are not all portable folder names.

    Windows refuses ``<>:"|?*`` in file names, and rez ranges use ``<`` and ``|``.

    >>> needs_hashing(["python-3.11"]), needs_hashing(["python-3.8+<3.12"])
    (False, True)
    """
    return any(
        not _UNSAFE_FOLDER_CHARS.isdisjoint(part) or any(ord(c) < 32 for c in part)
        for part in map(canonical_requirement, variant)
    )


def variant_subpath(variant: Sequence[str], *, hashed: bool) -> str:
    """Return a variant root relative to its package folder, the way rez computes it.

    Plain: the variant's own requirements, canonically spelled, as nested folders. Hashed:
    ``sha1(str([str(r) for r in variant]))``.

    >>> variant_subpath(["python-3.7"], hashed=True)
    '88a70aca30cb79a278872594adf043dc6c40af99'
    >>> variant_subpath(["python-3.11", "platform-linux"], hashed=False)
    'python-3.11/platform-linux'
    """
    reqs = [canonical_requirement(r) for r in variant]
    if hashed:
        import hashlib  # noqa: PLC0415 - loads OpenSSL (3 ms); a resolve never hashes

        return hashlib.sha1(str(reqs).encode("utf-8"), usedforsecurity=False).hexdigest()
    for part in reqs:
        if part in {"", ".", ".."} or any(c in part for c in "/\\\0"):
            raise RepositoryError(
                f"variant requirement {part!r} cannot be a folder name",
                hint="set hashed_variants on the package",
            )
    return "/".join(reqs)


def find_shortlink(base: Path, hashdir: str) -> str | None:
    links = base / SHORTLINKS_DIRNAME
    if not links.is_dir():
        return None
    target = os.path.realpath(base / hashdir)
    for entry in sorted(os.scandir(links), key=lambda e: e.name):
        if entry.is_symlink() and os.path.realpath(entry.path) == target:
            return entry.name
    return None
