"""PyPI project names → rez family names.

One function names families *and* requirements, so the two can never disagree
(rez#1430, rez#1545, rez-pip#55, rez#1159). A :class:`FamilyNames` (the "spelling map") makes
that function follow the repositories: a project that already has a family, whatever its
spelling (``PyYAML``, made by rez-pip), keeps it, so one project never gets two families.

>>> family_name("zope.interface"), family_name("PyYAML"), family_name("typing-extensions")
('zope_interface', 'pyyaml', 'typing_extensions')
>>> names = FamilyNames.from_families([("PyYAML", "/studio/packages")])
>>> family_name("pyyaml", names), family_name("PyYAML", names), family_name("six", names)
('PyYAML', 'PyYAML', 'six')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name

from pkgimport.errors import InvalidRequirement

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["NAMINGS", "FamilyNames", "Naming", "family_name", "normalize_name"]

Naming = Literal["pkgimport", "rez-pip"]
"""How a project without a family yet is spelled: ``pkgimport`` (PEP 503-normalised,
lower-case, ``_``) or ``rez-pip`` (its METADATA ``Name`` with ``-`` as ``_``, as rez-pip 0.4
and ``rez pip`` spell it: ``rez_pip.utils.pythontDistributionNameToRez``)."""

NAMINGS: tuple[Naming, ...] = ("pkgimport", "rez-pip")

# PEP 508 project names: letters, digits, and '.', '_', '-' inside.
_PROJECT_NAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\Z")


def normalize_name(name: str) -> str:
    """Return the PEP 503 normalised form of a project *name*.

    :raises InvalidRequirement: *name* is not a valid PEP 508 project name.

    >>> normalize_name("Zope.Interface")
    'zope-interface'
    """
    if not _PROJECT_NAME_RE.match(name):
        raise InvalidRequirement(f"invalid project name {name!r}")
    return str(canonicalize_name(name))


@dataclass(frozen=True, eq=False, slots=True)
class FamilyNames:
    """The spelling map: the family to use for each project, decided once per import.

    Compared and hashed by identity (it keys caches of converted requirements for one run).
    """

    existing: Mapping[str, str] = field(default_factory=dict)
    """Normalised project name → the family a repository already has for it."""
    origins: Mapping[str, str] = field(default_factory=dict)
    """Normalised project name → where that family was found (for the plan's notes)."""
    conflicts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Normalised project name → every spelling the repositories have, when more than one."""
    naming: Naming = "pkgimport"
    projects: Mapping[str, str] = field(default_factory=dict)
    """Normalised project name → its METADATA ``Name`` (``rez-pip`` naming only)."""

    @classmethod
    def from_families(
        cls, families: Iterable[tuple[str, str]], *, naming: Naming = "pkgimport"
    ) -> FamilyNames:
        """Build the map from ``(family, location)`` pairs, first found first.

        Pass the repository being written first, then ``--paths`` in order: the spelling an
        import adds to is the one it keeps. Families whose name is no project name
        (``~``, spaces) are skipped.

        >>> names = FamilyNames.from_families([("pyyaml", "a"), ("PyYAML", "b")])
        >>> names.existing["pyyaml"], names.conflicts["pyyaml"]
        ('pyyaml', ('pyyaml', 'PyYAML'))
        """
        existing: dict[str, str] = {}
        origins: dict[str, str] = {}
        spellings: dict[str, list[str]] = {}
        for family, location in families:
            try:
                key = normalize_name(family)
            except InvalidRequirement:
                continue
            seen = spellings.setdefault(key, [])
            if family not in seen:
                seen.append(family)
            if key not in existing:
                existing[key] = family
                origins[key] = location
        conflicts = {k: tuple(v) for k, v in spellings.items() if len(v) > 1}
        return cls(existing=existing, origins=origins, conflicts=conflicts, naming=naming)

    def with_projects(self, names: Iterable[str]) -> FamilyNames:
        """Return a copy that knows the METADATA ``Name`` of the closure's projects."""
        projects = dict(self.projects)
        for name in names:
            projects.setdefault(normalize_name(name), name)
        return FamilyNames(
            existing=self.existing,
            origins=self.origins,
            conflicts=self.conflicts,
            naming=self.naming,
            projects=projects,
        )

    def family(self, name: str) -> str:
        """Return the family for the project *name* (any spelling of it).

        :raises InvalidRequirement: *name* is not a valid project name.
        """
        key = normalize_name(name)
        found = self.existing.get(key)
        if found is not None:
            return found
        if self.naming == "rez-pip":
            # Requirements name the project as its own METADATA does, never as the
            # requiring project happens to spell it (rez-pip#55).
            return self.projects.get(key, name).replace("-", "_")
        return key.replace("-", "_")

    def respelled(self, name: str) -> str | None:
        """Return the family of *name* when it differs from pkgimport's own spelling."""
        family = self.family(name)
        return None if family == normalize_name(name).replace("-", "_") else family


_DEFAULT = FamilyNames()


def family_name(name: str, names: FamilyNames | None = None) -> str:
    """Return the rez family name for the PyPI project *name*.

    PEP 503-normalised, then ``-`` as ``_`` (normalisation has already turned ``.`` and ``_``
    into ``-``): rez uses ``-`` to separate a name from its version, and a dotted family name
    would differ from the import name users type only in punctuation, which is how today's
    tools end up with two spellings of one project. With *names*, a family the repositories
    already have for the project wins, and ``rez-pip`` naming keeps the project's case.

    >>> family_name("Flask_SQLAlchemy")
    'flask_sqlalchemy'
    >>> family_name("Flask-SQLAlchemy", FamilyNames(naming="rez-pip"))
    'Flask_SQLAlchemy'
    """
    return (names or _DEFAULT).family(name)
