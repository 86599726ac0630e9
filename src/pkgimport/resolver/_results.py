"""What a solve returns: :class:`Resolution` and its parts (re-exported by ``solver``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pkgimport.resolver._failures import FailureReason
    from pkgimport.resolver._phase import Phase
    from pkgimport.resolver._variants import Variant
    from pkgimport.resolver.provider import PackageData

__all__ = [
    "FailureInfo",
    "FailureList",
    "Resolution",
    "ResolutionStatus",
    "ResolvedVariant",
    "failure_info",
    "resolved_variant",
]

ResolutionStatus = Literal["solved", "failed", "aborted"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ResolvedVariant:
    """One resolved variant, with what it requires and where it came from."""

    name: str
    """Family name."""
    version: str
    """Version string as the repository lists it."""
    index: int | None
    """Variant index; ``None`` when the package has no variants."""
    requires: tuple[str, ...]
    """The variant's merged requirements (package requires + variant [+ build_requires])."""
    package: PackageData = field(repr=False)
    """The package as the provider returned it (location, timestamp, raw requires...)."""

    @property
    def qualified_name(self) -> str:
        """``name-version`` (``name`` alone for an unversioned package)."""
        return f"{self.name}-{self.version}" if self.version else self.name

    def __str__(self) -> str:
        index = "" if self.index is None else str(self.index)
        return f"{self.qualified_name}[{index}]"


@dataclass(frozen=True, kw_only=True, slots=True)
class FailureInfo:
    """The failed phase rez reports, with the data to draw its failure graph."""

    reason: FailureReason | None
    """Why it failed (``None``: a missing family with ``error_on_missing_variant_requires``
    off, which rez reports as "Solver failed with unknown reason.")."""
    scopes: tuple[tuple[str, str, str | None], ...]
    """Per scope, in phase order: ``(family, request, solved variant or None)``; ``request``
    is the scope's request string (``python==2.6.0|==2.6.8``, ``!foo-2``)."""
    extractions: tuple[tuple[str, str], ...]
    """``(from family, extracted requirement)`` in extraction order."""
    phase: str
    """The phase as rez's verbose output prints it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolution:
    """The immutable result of :meth:`Solver.solve`."""

    status: ResolutionStatus
    """``"solved"``, ``"failed"`` (no solution, cycle, fail limit) or ``"aborted"`` (time
    limit)."""
    request: tuple[str, ...]
    """The request as given, one string per item."""
    merged_request: tuple[str, ...]
    """The request after merging same-family items (rez ``RequirementList``)."""
    variants: tuple[ResolvedVariant, ...] = ()
    """Resolved variants in rez's order: dependencies first, then request order, then
    alphabetical (empty unless solved)."""
    ephemerals: tuple[str, ...] = ()
    """Resolved ephemerals (``.foo-1``), in scope order (empty unless solved)."""
    failure_description: str | None = None
    """rez's failure text, e.g. ``The following package conflicts occurred: (a <--!--> b)``;
    the abort reason when aborted."""
    failure: FailureInfo | None = None
    """The reported failed phase (the first one; the last for cycles and fail limits)."""
    failures: Sequence[FailureInfo] = field(default=(), compare=False, repr=False)
    """Every failed phase, in the order the solve met them (the reported one included, also
    the phases a solved resolve backtracked from). Each is described on first access: a
    solve may fail thousands of phases."""
    num_solves: int = 0
    """Solve steps (phases) run."""
    num_fails: int = 0
    """Failed phases."""
    solve_time: float = 0.0
    """Seconds spent solving (package loading included)."""

    @property
    def is_solved(self) -> bool:
        """Whether the request resolved."""
        return self.status == "solved"


class FailureList(Sequence[FailureInfo]):
    """The failed phases of a solve, each described on first access."""

    __slots__ = ("_infos", "_phases")

    def __init__(self, phases: list[Phase]) -> None:
        self._phases = phases
        self._infos: list[FailureInfo | None] = [None] * len(phases)

    def __len__(self) -> int:
        return len(self._phases)

    @overload
    def __getitem__(self, index: int) -> FailureInfo: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[FailureInfo, ...]: ...

    def __getitem__(self, index: int | slice) -> FailureInfo | tuple[FailureInfo, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        info = self._infos[index]
        if info is None:
            info = self._infos[index] = failure_info(self._phases[index])
        return info

    def __iter__(self) -> Iterator[FailureInfo]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<{len(self)} failed phases>"


def resolved_variant(variant: Variant) -> ResolvedVariant:
    package = variant.package
    return ResolvedVariant(
        name=variant.name,
        version=package.version,
        index=variant.index,
        requires=tuple(str(r) for r in variant.requires_list.requirements),
        package=package,
    )


def failure_info(phase: Phase) -> FailureInfo:
    scopes = []
    for scope in phase.scopes:
        variant = scope.solved_variant()
        scopes.append(
            (
                scope.package_name,
                str(scope.package_request),
                None if variant is None else str(variant),
            )
        )
    return FailureInfo(
        reason=phase.failure_reason,
        scopes=tuple(scopes),
        extractions=tuple((k[0], str(r)) for k, r in phase.extractions.items()),
        phase=str(phase),
    )
