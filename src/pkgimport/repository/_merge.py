"""rez's rules for installing a package into a repository that may already have it.

:func:`merge_package` is ``FileSystemPackageRepository._create_variant`` as a pure function:
an equal variant keeps its index, a new one is appended, a package without variants never
mixes with one that has them, the installed timestamp and release fields are kept, and
changed package data is grafted onto the installed variants.

A new package whose variant requirements cannot all be folder names on every OS (``<``,
``|``... are not allowed on Windows) gets ``hashed_variants = True``, so its variant roots are
sha1 folders wherever the repository is shared; installed packages keep their setting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pkgimport.errors import RepositoryError
from pkgimport.repository.filesystem import canonical_requirement, needs_hashing

if TYPE_CHECKING:
    from pkgimport.definition import PackageDefinition
    from pkgimport.repository.base import AddStatus

__all__ = ["RELEASE_KEYS", "MergeResult", "merge_package"]

RELEASE_KEYS = frozenset(
    {
        "timestamp",
        "revision",
        "changelog",
        "release_message",
        "previous_version",
        "previous_revision",
        "vcs",
    }
)
"""rez's ``package_release_keys``: kept from the installed package when a variant is added."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The package as it must be written, and where the added variants ended up."""

    definition: PackageDefinition
    """The whole package after the merge."""
    status: AddStatus
    """``created``, ``merged`` or ``unchanged``."""
    indices: tuple[int, ...]
    """Index in :attr:`definition` of each variant of the added package."""
    new_indices: frozenset[int] = frozenset()
    """Indices (into the *added* package's variants) that are new, so need their payload."""


def _comparable(definition: PackageDefinition) -> str:
    """Return the package data rez compares when a variant is added (no variants, releases).

    Compared as rendered package.py text: a definition read back from disk holds
    ``commands()`` as source while an importer's holds structured actions, and the same
    package must compare equal either way.
    """
    from pkgimport.repository._package_py import render_package_py  # noqa: PLC0415

    extra = {k: v for k, v in definition.extra.items() if k not in RELEASE_KEYS}
    return render_package_py(replace(definition, variants=(), timestamp=None, extra=extra))


def _variant_key(variant: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(canonical_requirement(r) for r in variant)


def merge_package(
    existing: PackageDefinition | None, new: PackageDefinition, *, now: int
) -> MergeResult:
    """Merge the package *new* into the installed *existing* one, the way rez installs variants.

    :param now: timestamp for a package that has none (rez: ``int(time.time())``).
    :raises RepositoryError: variants and no variants mixed, uuid or hashed_variants mismatch.

    >>> from pkgimport.definition import PackageDefinition as D
    >>> a = D(name="foo", version="1", variants=(("python-3.10",),), timestamp=5)
    >>> b = D(name="foo", version="1", variants=(("python-3.11",), ("python-3.10",)))
    >>> r = merge_package(a, b, now=9)
    >>> r.status, r.indices, r.definition.variants, r.definition.timestamp
    ('merged', (1, 0), (('python-3.10',), ('python-3.11',)), 5)
    """
    if existing is None:
        definition = new if new.timestamp else new.evolve(timestamp=now)
        if not new.hashed_variants and any(map(needs_hashing, new.variants)):
            definition = definition.evolve(hashed_variants=True)
        created = tuple(range(len(new.variants)))
        return MergeResult(definition, "created", created, frozenset(created) or frozenset({0}))
    _check_compatible(existing, new)
    changed = _comparable(existing) != _comparable(new)
    variants = list(existing.variants)
    keys = [_variant_key(v) for v in variants]
    indices: list[int] = []
    fresh: set[int] = set()
    for i, variant in enumerate(new.variants):
        key = _variant_key(variant)
        if key in keys:
            indices.append(keys.index(key))
            continue
        variants.append(variant)
        keys.append(key)
        indices.append(len(variants) - 1)
        fresh.add(i)
    if changed:
        # rez grafts the new package data onto the installed variants, keeping release data.
        release = {k: v for k, v in existing.extra.items() if k in RELEASE_KEYS}
        definition = new.evolve(
            variants=tuple(variants),
            timestamp=existing.timestamp or new.timestamp or now,
            extra={**new.extra, **release},
        )
    else:
        definition = existing.evolve(variants=tuple(variants), timestamp=existing.timestamp or now)
    status: AddStatus = "merged" if (changed or fresh) else "unchanged"
    return MergeResult(definition, status, tuple(indices), frozenset(fresh))


def _check_compatible(existing: PackageDefinition, new: PackageDefinition) -> None:
    qualified = new.qualified_name
    uuids = {existing.extra.get("uuid"), new.extra.get("uuid")} - {None}
    if len(uuids) > 1:
        raise RepositoryError(
            f"cannot add {qualified}: the installed package is a different package (uuid mismatch)",
            hint="use another version, or remove the installed package first",
        )
    if not new.variants and existing.variants:
        raise RepositoryError(
            f"cannot add {qualified} without variants: the installed package has variants",
            hint="import it with variants, or remove the installed package first",
        )
    if new.variants and not existing.variants:
        raise RepositoryError(
            f"cannot add variants to {qualified}: the installed package has no variants",
            hint="import it without variants, or remove the installed package first",
        )
    if existing.variants and existing.hashed_variants != new.hashed_variants:
        # rez would regraft and silently move every installed variant's root; refuse instead.
        raise RepositoryError(
            f"cannot add {qualified}: hashed_variants differs from the installed package",
            hint="import with the same hashed_variants setting as the installed package",
        )
