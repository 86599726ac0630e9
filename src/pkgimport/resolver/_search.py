"""One solve: rez's phase stack and its bookkeeping (rez ``Solver``), for :mod:`.solver`.

A :class:`Search` belongs to its :class:`~pkgimport.resolver.solver.Solver` and shares the
solver's caches (families, sort keys, merges), which is why it reads the solver's private
attributes.
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from pkgimport.resolver._algebra import iter_bounds
from pkgimport.resolver._failures import DependencyConflict, DependencyConflicts
from pkgimport.resolver._phase import Phase, PhaseContext
from pkgimport.resolver._results import (
    FailureList,
    Resolution,
    failure_info,
    resolved_variant,
)
from pkgimport.resolver._slice import Slice, VariantList
from pkgimport.resolver._variants import ReqList
from pkgimport.resolver.orderers import get_orderer, range_sort_key, version_sort_key
from pkgimport.resolver.reporter import BaseReporter

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pkgimport.resolver._algebra import Requirement, Version, VersionRange
    from pkgimport.resolver._results import FailureInfo
    from pkgimport.resolver._variants import Variant
    from pkgimport.resolver.solver import Solver

__all__ = ["Search"]


def _plain_version_key(version: Version | None) -> tuple[Any, ...]:
    return (1,) if version is None else (0, version)


_SERIALS = itertools.count(1)


class Search:
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
        failures: Sequence[FailureInfo] = FailureList(failed) if failed else ()
        if status == "solved":
            final = self.phase_stack[-1]
            return Resolution(
                status="solved",
                variants=tuple(resolved_variant(v) for v in final.solved_variants()),
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
            failure=failure_info(phase),
            failures=failures,
            **common,
        )
