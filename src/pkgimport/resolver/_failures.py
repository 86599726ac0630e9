"""Why a phase failed, rendered exactly like rez (``Reduction``, ``DependencyConflict``, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pkgimport.resolver._algebra import Requirement, Version
    from pkgimport.resolver._slice import ScopeRequest

__all__ = [
    "Cycle",
    "DependencyConflict",
    "DependencyConflicts",
    "FailureReason",
    "Reduction",
    "TotalReduction",
]


def _qualified(name: str, version: Version) -> str:
    text = str(version)
    return f"{name}-{text}" if text else name


@dataclass(frozen=True, kw_only=True, slots=True)
class Reduction:
    """A variant removed because its requirement conflicts with another scope."""

    name: str
    """Family of the removed variant."""
    version: Version
    """Its version."""
    variant_index: int | None
    """Its variant index (``None``: the package has no variants)."""
    dependency: Requirement
    """The removed variant's requirement on the other family."""
    conflicting_request: Requirement | ScopeRequest
    """The other scope's request it conflicts with."""

    def reducee_str(self) -> str:
        """``foo-1.0[0]`` (``foo-1.0[]`` without variants)."""
        index = "[]" if self.variant_index is None else f"[{self.variant_index}]"
        return _qualified(self.name, self.version) + index

    def __str__(self) -> str:
        return f"{self.reducee_str()} (dep({self.dependency}) <--!--> {self.conflicting_request})"


@dataclass(frozen=True, kw_only=True, slots=True)
class DependencyConflict:
    """Two requirements on one family that cannot both hold."""

    dependency: Requirement
    """The requirement (merged extraction, or the first request)."""
    conflicting_request: Requirement
    """What it conflicts with (a scope's request, or the later request)."""

    def __str__(self) -> str:
        return f"{self.dependency} <--!--> {self.conflicting_request}"


@dataclass(frozen=True, kw_only=True, slots=True)
class TotalReduction:
    """Every variant of a scope was reduced away."""

    reductions: tuple[Reduction, ...]
    """The reductions, in the order the variants were tested."""
    kind: Literal["total_reduction"] = "total_reduction"

    def description(self) -> str:
        """Return ``A package was completely reduced: (...) (...)``."""
        return f"A package was completely reduced: {self}"

    def __str__(self) -> str:
        return " ".join(f"({r})" for r in self.reductions)


@dataclass(frozen=True, kw_only=True, slots=True)
class DependencyConflicts:
    """Requirements on one family conflicted (merging extractions, or with a scope)."""

    conflicts: tuple[DependencyConflict, ...]
    """The conflicts (rez always reports one)."""
    kind: Literal["dependency_conflicts"] = "dependency_conflicts"

    def description(self) -> str:
        """Return ``The following package conflicts occurred: (a <--!--> b)``."""
        return f"The following package conflicts occurred: {self}"

    def __str__(self) -> str:
        return " ".join(f"({c})" for c in self.conflicts)


@dataclass(frozen=True, kw_only=True, slots=True)
class Cycle:
    """The resolved packages depend on each other in a cycle."""

    packages: tuple[tuple[str, Version], ...]
    """``(family, version)`` around the cycle, without repeating the first."""
    kind: Literal["cycle"] = "cycle"

    def description(self) -> str:
        """Return ``A cyclic dependency was detected: a-1 --> b-1 --> a-1``."""
        return f"A cyclic dependency was detected: {self}"

    def __str__(self) -> str:
        names = [_qualified(n, v) for n, v in (*self.packages, *self.packages[:1])]
        return " --> ".join(names)


FailureReason = TotalReduction | DependencyConflicts | Cycle
