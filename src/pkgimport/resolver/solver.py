"""The solver: resolves a request exactly like rez 3.4's solver (``SOLVER_VERSION`` 2).

``Solver(provider, reporter).solve(request)`` returns an immutable :class:`Resolution`. The
search is rez's own (spec §4): a depth-first stack of phases, each narrowed to a fixpoint by
extraction, intersection and reduction, split on the first multi-variant scope. It is *not*
a smarter solver on purpose: the same request over the same packages must give rez's result,
order, variant indexes and failure text.

Errors (raised, as rez raises them) versus failures (returned as ``status="failed"``):

* :class:`~pkgimport.errors.ResolveError` for an unknown family ("package family not found:
  ..."), a requested range with no package ("Package could not be found: ..."), a package
  whose own requirements conflict;
* a :class:`Resolution` with ``status="failed"`` for conflicts found while solving, and
  ``status="aborted"`` when the time limit is hit.

>>> from pkgimport.resolver.provider import InMemoryProvider
>>> provider = InMemoryProvider.from_dict({
...     "foo": {"1.0": {"requires": ["bar-1+"]}},
...     "bar": {"1.0": {}, "2.0": {}},
... })
>>> resolution = Solver(provider).solve(["foo"])
>>> [str(v) for v in resolution.variants]
['bar-2.0[]', 'foo-1.0[]']
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from pkgimport.errors import ResolveError
from pkgimport.resolver._algebra import (
    Requirement,
    iter_bounds,
    parse_requirement,
    parse_version,
)
from pkgimport.resolver._failures import (
    Cycle,
    DependencyConflict,
    DependencyConflicts,
    FailureReason,
    Reduction,
    TotalReduction,
)
from pkgimport.resolver._family import FamilyCandidates
from pkgimport.resolver._phase import Phase, PhaseContext
from pkgimport.resolver._scope import PackageNotFoundError
from pkgimport.resolver._slice import Slice, VariantList
from pkgimport.resolver._variants import FamilyNotFoundError, MergeCache, ReqList, Variant
from pkgimport.resolver.orderers import get_orderer, range_sort_key, version_sort_key
from pkgimport.resolver.reporter import BaseReporter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from pkgimport.resolver._algebra import Version, VersionRange
    from pkgimport.resolver.orderers import PackageOrderer
    from pkgimport.resolver.provider import PackageData, PackageProvider

__all__ = [
    "Cycle",
    "DependencyConflict",
    "DependencyConflicts",
    "FailureInfo",
    "FailureReason",
    "FamilyNotFoundError",
    "PackageFilterLike",
    "PackageNotFoundError",
    "Reduction",
    "Resolution",
    "ResolvedVariant",
    "Solver",
    "TotalReduction",
    "VariantSelectMode",
]


def __dir__() -> list[str]:
    return __all__


VariantSelectMode = Literal["version_priority", "intersection_priority"]
ResolutionStatus = Literal["solved", "failed", "aborted"]


class PackageFilterLike(Protocol):
    """What the solver asks a package filter (see :mod:`pkgimport.resolver.filters`)."""

    def excludes(self, package: PackageData, version: Version) -> object | None:
        """Return the excluding rule (truthy) or ``None`` to keep the package."""
        ...


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


class Solver:
    """Resolve requests over a :class:`~pkgimport.resolver.provider.PackageProvider`.

    :param provider: where packages come from.
    :param reporter: progress hooks (:class:`~pkgimport.resolver.reporter.BaseReporter`).
    :param package_filter: excludes packages (``--exclude``/``--include``, ``--time``).
    :param orderers: package orderers (earlier ones win per family), as rez's
        ``package_orderers``.
    :param building: add ``build_requires`` to every variant's requirements.
    :param variant_select_mode: rez's ``variant_select_mode``.
    :param error_on_missing_variant_requires: raise (True, rez's default) or fail the phase
        and backtrack (False) when a variant requires a family that does not exist.
    :param max_fails: stop with status ``failed`` after this many failed phases (-1: no limit).
    :param time_limit: stop with status ``aborted`` after this many seconds (-1: no limit).

    A solver may be reused, and should be: packages read from the provider, and everything
    computed about sets of their variants, are kept for its lifetime, so later solves over
    the same families mostly look things up. One solver serves one thread at a time.
    """

    def __init__(
        self,
        provider: PackageProvider,
        reporter: BaseReporter | None = None,
        *,
        package_filter: PackageFilterLike | None = None,
        orderers: Sequence[PackageOrderer] = (),
        building: bool = False,
        variant_select_mode: VariantSelectMode = "version_priority",
        error_on_missing_variant_requires: bool = True,
        max_fails: int = -1,
        time_limit: float = -1,
    ) -> None:
        self.provider = provider
        self.reporter = reporter or BaseReporter()
        self.package_filter = package_filter
        self.orderers = tuple(orderers)
        self.building = building
        self.variant_select_mode = variant_select_mode
        self.error_on_missing_variant_requires = error_on_missing_variant_requires
        self.max_fails = max_fails
        self.time_limit = time_limit
        self._packages: dict[tuple[str, str], PackageData] = {}
        self._versions: dict[str, list[str]] = {}
        # Parsed variant requirements, shared by every solve of this solver.
        self._reqs_cache: dict[tuple[str, ...], ReqList] = {}
        self._families: dict[str, FamilyCandidates] = {}
        self._merges = MergeCache()
        # Sort keys depend only on the orderers (fixed) and, for a variant, on where the
        # request names the families it requires: both are shared by every solve.
        self._range_keys: dict[tuple[str, VersionRange | None], Any] = {}
        self._variant_keys: dict[tuple[Variant, tuple[int | None, ...]], Any] = {}
        for orderer in self.orderers:
            orderer.bind(self._family_timestamps)

    def solve(self, request: Iterable[str | Requirement]) -> Resolution:
        """Resolve ``request`` (request strings like ``foo-1.2+<2``, ``~bar``, ``.eph-1``).

        :raises ResolveError: for rez's errors (unknown family, no package in range, a
            package whose requirements conflict internally).
        :raises InvalidRequirement: for a malformed request string.
        """
        requests = [r if not isinstance(r, str) else parse_requirement(r) for r in request]
        # A solve allocates many short-lived, acyclic objects over a large heap of loaded
        # packages; the cyclic collector would rescan that heap over and over (about 45% of
        # the solve time on rez's benchmark). Nothing a solve creates needs it before the end.
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._solve(requests)
        finally:
            if gc_enabled:
                gc.enable()

    def solve_many(
        self, requests: Iterable[Iterable[str | Requirement]]
    ) -> Iterator[Resolution | ResolveError]:
        """Resolve each request in turn; yield its :class:`Resolution`, or the error it raised.

        This is :meth:`solve` for batches (rez's benchmark, ``pkgimport resolve
        --requests-file``): the cyclic garbage collector stays off until the generator is
        exhausted or closed, instead of rescanning the solver's growing caches between two
        requests (each solve frees its own objects by reference counting). Close the
        generator (``contextlib.closing``) if you stop early.

        :raises InvalidRequirement: for a malformed request string (the batch stops there).
        """
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            for request in requests:
                parsed = [r if not isinstance(r, str) else parse_requirement(r) for r in request]
                try:
                    result: Resolution | ResolveError = self._solve(parsed)
                except ResolveError as exc:
                    result = exc
                yield result
        finally:
            if gc_enabled:
                gc.enable()

    def _solve(self, requests: list[Requirement]) -> Resolution:
        solve = _Solve(self, requests)
        try:
            return solve.run()
        finally:
            # The solve's objects form cycles (phases -> slices -> solve -> phase stack):
            # break them so that reference counting frees them now, instead of the cyclic
            # collector tracing millions of objects after the solve (about 20% of the time
            # of rez's benchmark run in one process).
            solve.release()
            del solve

    # -- provider access, cached across solves ----------------------------------------------

    def _list_versions(self, family: str) -> list[str]:
        versions = self._versions.get(family)
        if versions is None:
            versions = self._versions[family] = list(self.provider.iter_versions(family))
        return versions

    def _candidates(self, family: str, searched: str) -> FamilyCandidates:
        candidates = self._families.get(family)
        if candidates is None:
            versions = [(text, parse_version(text)) for text in self._list_versions(family)]
            if not versions:
                msg = f"package family not found: {family} (searched: {searched})"
                raise FamilyNotFoundError(msg)
            package_filter = self.package_filter
            excludes = None
            if package_filter is not None:

                def excludes(package: PackageData, version: Version) -> bool:
                    return bool(package_filter.excludes(package, version))

            candidates = FamilyCandidates(
                family,
                versions,
                load=self._load,
                excludes=excludes,
                building=self.building,
                reqs_cache=self._reqs_cache,
            )
            self._families[family] = candidates
        return candidates

    def _load(self, family: str, version: str) -> PackageData:
        key = (family, version)
        package = self._packages.get(key)
        if package is None:
            package = self._packages[key] = self.provider.get_package(family, version)
        return package

    def _family_timestamps(self, family: str) -> list[tuple[Version, int | None]]:
        return [
            (parse_version(v), self._load(family, v).timestamp) for v in self._list_versions(family)
        ]


def _plain_version_key(version: Version | None) -> tuple[Any, ...]:
    return (1,) if version is None else (0, version)


_SERIALS = itertools.count(1)


class _Solve:
    """One solve: the phase stack and its bookkeeping (rez ``Solver``)."""

    def __init__(self, solver: Solver, requests: list[Requirement]) -> None:
        self.solver = solver
        self.reporter = solver.reporter
        self.requests = requests
        self.request_list = ReqList(requests)
        self.shared_lists: dict[tuple[str, int], VariantList] = {}
        self.range_keys = solver._range_keys
        self.requirers: dict[str, set[str]] = {}
        # Families already registered per requiring family (a narrowed slice requires a
        # subset of what its parent did: nothing new to register).
        self.registered: dict[str, frozenset[str]] = {}
        self.variant_keys: dict[Variant, Any] = {}
        self.request_positions = {
            r.name: i for i, r in enumerate(self.request_list.requirements) if not r.conflict
        }
        self.phase_stack: list[Phase] = []
        self.failed_phases: list[Phase] = []
        self.serial = next(_SERIALS)
        """Tells this solve from the others (variant sets remember who registered them)."""
        self.num_solves = 0
        self.abort_reason: str | None = None
        self.callback_failed = False
        self.start = time.monotonic()
        # Rendering phases is costly: only do it for a reporter that listens.
        self.verbose = type(self.reporter).step is not BaseReporter.step or (
            type(self.reporter).split is not BaseReporter.split
        )
        self.ctx = PhaseContext(
            self,
            self.request_list,
            error_on_missing=solver.error_on_missing_variant_requires,
            on_missing_family=self.reporter.missing_family,
            searched=solver.provider.describe_search_path(),
            merges=solver._merges,
        )

    def release(self) -> None:
        """Drop every reference the solve holds (see :meth:`Solver.solve`)."""
        self.phase_stack.clear()
        self.failed_phases.clear()
        self.shared_lists.clear()
        self.variant_keys.clear()
        self.requirers.clear()
        self.registered.clear()
        # The phase context points back at the solve; failed phases a resolution keeps
        # still hold the context, so the solve lets go of it.
        del self.ctx

    # -- SliceSource ------------------------------------------------------------------------

    def get_slice(self, family: str, range_: VersionRange) -> Slice | None:
        """Return ``family``'s variants within ``range_`` (rez ``_get_variant_slice``)."""
        variants = self.solver._candidates(family, self.ctx.searched).slice_of(range_)
        return None if variants is None else Slice(variants, self)

    def shared_list(self, family: str, index: int) -> VariantList:
        """Return the list of a version's variants every slice of this solve starts from."""
        key = (family, index)
        found = self.shared_lists.get(key)
        if found is None:
            found = self.shared_lists[key] = VariantList()
        return found

    def register_requirer(self, family: str, required: frozenset[str]) -> None:
        """Index which families may require which (drives the reduction queue)."""
        known = self.registered.get(family)
        if known is not None:
            if required <= known:
                return
            self.registered[family] = known | required
        else:
            self.registered[family] = required
        requirers = self.requirers
        for name in required:
            found = requirers.get(name)
            if found is None:
                requirers[name] = {family}
            else:
                found.add(family)

    def version_key(self, family: str) -> Callable[[Version], Any] | None:
        """Key for sorting a family's versions (reverse=True: largest preferred).

        ``None`` without orderers: versions are then preferred highest first, the order
        slices already list them in.
        """
        if not self.solver.orderers:
            return None
        orderer = get_orderer(family, self.solver.orderers)
        return lambda version: version_sort_key(orderer, family, version)

    def _range_key(self, name: str, range_: VersionRange | None) -> Any:
        key = (name, range_)
        result = self.range_keys.get(key)
        if result is None:
            if range_ is None:
                result = 0
            elif self.solver.orderers:
                result = range_sort_key(get_orderer(name, self.solver.orderers), name, range_)
            else:
                result = tuple(
                    (
                        ((0, lower), -2 if lower_incl else -1),
                        (_plain_version_key(upper), 2 if upper_incl else 1),
                    )
                    for lower, lower_incl, upper, upper_incl in iter_bounds(range_)
                )
            self.range_keys[key] = result
        return result

    def variant_key(self, variant: Variant) -> Any:
        """Return rez's ``_PackageEntry.sort`` key (see spec §4.4), once per variant."""
        key = self.variant_keys.get(variant)
        if key is None:
            positions = self.request_positions
            shared_key = (variant, tuple(map(positions.get, variant.requires_list.by_name)))
            shared = self.solver._variant_keys
            key = shared.get(shared_key)
            if key is None:
                key = shared[shared_key] = self._compute_variant_key(variant)
            self.variant_keys[variant] = key
        return key

    def _compute_variant_key(self, variant: Variant) -> Any:
        # rez walks the request and looks each family up in the variant; walking the
        # variant's (few) requirements and sorting by request position is the same.
        positions = self.request_positions
        found = sorted(
            (positions[r.name], r)
            for r in variant.requires_list.requirements
            if r.name in positions
        )
        requested = [(-i, self._range_key(r.name, r.range)) for i, r in found]
        names = {r.name for _, r in found}
        additional = [
            (self._range_key(r.name, r.range), r.name)
            for r in variant.requires_list.requirements
            if not r.conflict and r.name not in names
        ]
        index = variant.index
        if self.solver.variant_select_mode == "version_priority":
            return (requested, -len(additional), additional, index)
        return (len(requested), requested, -len(additional), additional, index)

    # -- the phase stack --------------------------------------------------------------------

    def status(self) -> str:
        """Rez ``Solver.status``: solved / failed / unsolved."""
        if self.request_list.conflict is not None or self.callback_failed:
            return "failed"
        top = self.phase_stack[-1].status
        if top == "cyclic":
            return "failed"
        if len(self.phase_stack) > 1:
            return "solved" if top == "solved" else "unsolved"
        if top in ("pending", "exhausted"):
            return "unsolved"
        return top

    def num_fails(self) -> int:
        """Failed phases so far (including one on top of the stack)."""
        extra = 1 if self.phase_stack[-1].status in ("failed", "cyclic") else 0
        return len(self.failed_phases) + extra

    def step(self) -> None:
        """One solve step (rez ``solve_step``)."""
        phase = self.phase_stack.pop()
        if phase.status == "failed":
            self.failed_phases.append(phase)
            phase = self.phase_stack.pop()
        if phase.status == "exhausted":
            phase, next_phase = phase.split()
            self.phase_stack.append(next_phase)
            if self.verbose:
                self.reporter.split(str(phase), str(next_phase))
        new_phase = phase.solve()
        self.num_solves += 1
        if new_phase.status == "solved":
            new_phase = new_phase.finalise()
        self.phase_stack.append(new_phase)
        if self.verbose:
            self.reporter.step(self.num_solves, str(new_phase), new_phase.status)

    def keep_going(self) -> bool:
        """Apply the fail-limit / time-limit callback rez's ``ResolvedContext`` installs."""
        solver = self.solver
        fails = self.num_fails()
        if solver.max_fails != -1 and fails >= solver.max_fails:
            if fails:
                self.abort_reason = f"fail limit reached: aborted after {fails} failures"
                self.callback_failed = True
                return False
            return True
        if solver.time_limit != -1 and time.monotonic() - self.start > solver.time_limit:
            self.abort_reason = "time limit exceeded"
            return False
        return True

    def run(self) -> Resolution:
        """Solve and build the :class:`Resolution`."""
        self.reporter.starting(" ".join(str(r) for r in self.request_list.requirements))
        if self.request_list.conflict is not None:
            req1, req2 = self.request_list.conflict
            phase = Phase(self.ctx, create_scopes=False)
            phase.failure_reason = DependencyConflicts(
                conflicts=(DependencyConflict(dependency=req1, conflicting_request=req2),)
            )
            phase.status = "failed"
            self.phase_stack.append(phase)
        else:
            self.phase_stack.append(Phase(self.ctx))
            while self.status() == "unsolved":
                self.step()
                if self.status() == "unsolved" and not self.keep_going():
                    break
        resolution = self._resolution()
        self.reporter.ending(resolution.status)
        return resolution

    # -- results ----------------------------------------------------------------------------

    def _all_failed(self) -> list[Phase]:
        fails = list(self.failed_phases)
        if self.phase_stack[-1].status in ("failed", "cyclic"):
            fails.append(self.phase_stack[-1])
        return fails

    def _failed_phase(self) -> tuple[Phase, str]:
        fails = self._all_failed()
        top = self.phase_stack[-1].status
        prepend = False
        index = 0
        if top == "cyclic":
            index = -1
        elif self.callback_failed:
            prepend = True
            index = -1
        phase = fails[index]
        reason = phase.failure_reason
        text = "Solver failed with unknown reason." if reason is None else reason.description()
        if prepend and self.abort_reason:
            text = f"{self.abort_reason}:\n{text}"
        return phase, text

    def _resolution(self) -> Resolution:
        status = self.status()
        common: dict[str, Any] = {
            "request": tuple(str(r) for r in self.requests),
            "merged_request": tuple(str(r) for r in self.request_list.requirements),
            "num_solves": self.num_solves,
            "num_fails": self.num_fails(),
            "solve_time": time.monotonic() - self.start,
        }
        failed = self._all_failed()
        failures: Sequence[FailureInfo] = _FailureList(failed) if failed else ()
        if status == "solved":
            final = self.phase_stack[-1]
            return Resolution(
                status="solved",
                variants=tuple(_resolved(v) for v in final.solved_variants()),
                ephemerals=tuple(str(r) for r in final.solved_ephemerals()),
                failures=failures,
                **common,
            )
        if status == "unsolved":
            return Resolution(
                status="aborted",
                failure_description=self.abort_reason,
                failures=failures,
                **common,
            )
        phase, text = self._failed_phase()
        return Resolution(
            status="failed",
            failure_description=text,
            failure=_failure_info(phase),
            failures=failures,
            **common,
        )


class _FailureList(Sequence[FailureInfo]):
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
            info = self._infos[index] = _failure_info(self._phases[index])
        return info

    def __iter__(self) -> Iterator[FailureInfo]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<{len(self)} failed phases>"


def _resolved(variant: Variant) -> ResolvedVariant:
    package = variant.package
    return ResolvedVariant(
        name=variant.name,
        version=package.version,
        index=variant.index,
        requires=tuple(str(r) for r in variant.requires_list.requirements),
        package=package,
    )


def _failure_info(phase: Phase) -> FailureInfo:
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
