"""One resolve phase: scopes narrowed to a fixpoint (rez ``_ResolvePhase``).

A phase extracts common dependencies, merges and intersects them into the scopes, adds
scopes for new families and reduces scopes against each other until nothing changes. It then
is *solved* (every scope down to one variant), *exhausted* (it must be split) or *failed*.
The order of every step is rez's, because the result depends on it (spec §4.3).
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, Literal

from pkgimport.resolver._failures import (
    Cycle,
    DependencyConflict,
    DependencyConflicts,
    FailureReason,
    TotalReduction,
)
from pkgimport.resolver._scope import Scope
from pkgimport.resolver._variants import FamilyNotFoundError, MergeCache, ReqList

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pkgimport.resolver._algebra import Requirement
    from pkgimport.resolver._slice import SliceSource
    from pkgimport.resolver._variants import Variant

__all__ = ["Phase", "PhaseStatus", "dependency_order", "find_cycle"]

PhaseStatus = Literal["pending", "solved", "exhausted", "failed", "cyclic"]


class PhaseContext:
    """What a phase needs from its solver (shared by every phase of one solve)."""

    __slots__ = (
        "error_on_missing",
        "merges",
        "on_missing_family",
        "request_list",
        "searched",
        "source",
    )

    def __init__(
        self,
        source: SliceSource,
        request_list: ReqList,
        *,
        error_on_missing: bool,
        on_missing_family: Callable[[str], None],
        searched: str,
        merges: MergeCache | None = None,
    ) -> None:
        self.source = source
        self.merges = merges
        self.request_list = request_list
        self.error_on_missing = error_on_missing
        self.on_missing_family = on_missing_family
        self.searched = searched


class Phase:
    """A full copy of the resolve state (rez ``_ResolvePhase``)."""

    __slots__ = (
        "changed_scopes_i",
        "ctx",
        "dirty_i",
        "extractions",
        "failure_reason",
        "first_unsolved",
        "index_of",
        "scopes",
        "status",
    )

    def __init__(self, ctx: PhaseContext, *, create_scopes: bool = True) -> None:
        self.ctx = ctx
        self.failure_reason: FailureReason | None = None
        self.extractions: dict[tuple[str, str], Requirement] = {}
        self.status: PhaseStatus = "pending"
        self.scopes: list[Scope] = []
        if create_scopes:
            self.scopes = [Scope(req, ctx.source) for req in ctx.request_list.requirements]
        # Every scope counts as changed so that the first solve reduces all against all.
        self.changed_scopes_i: set[int] = set(range(len(self.scopes)))
        # Scopes that may have something to extract (all of them, at first).
        self.dirty_i: frozenset[int] = frozenset(range(len(self.scopes)))
        # Scope positions by family (shared between phases until one adds a scope).
        self.index_of: dict[str, int] = {s.package_name: i for i, s in enumerate(self.scopes)}
        # Scopes before this one are solved; a solved scope stays solved unless replaced.
        self.first_unsolved = 0

    def _copy(self) -> Phase:
        phase = Phase.__new__(Phase)
        phase.ctx = self.ctx
        phase.failure_reason = self.failure_reason
        phase.extractions = self.extractions
        phase.status = self.status
        phase.scopes = self.scopes
        phase.changed_scopes_i = self.changed_scopes_i
        phase.dirty_i = self.dirty_i
        phase.index_of = self.index_of
        phase.first_unsolved = self.first_unsolved
        return phase

    def _result(
        self,
        scopes: list[Scope],
        failure: FailureReason | None,
        extractions: dict[tuple[str, str], Requirement],
        status: PhaseStatus | None = None,
        *,
        index_of: dict[str, int] | None = None,
        touched: int = 0,
    ) -> Phase:
        phase = self._copy()
        phase.scopes = scopes
        phase.failure_reason = failure
        phase.extractions = extractions
        phase.changed_scopes_i = set()
        phase.dirty_i = frozenset()
        if index_of is not None:
            phase.index_of = index_of
        if status is None:
            first = min(self.first_unsolved, touched)
            while first < len(scopes) and scopes[first].is_solved():
                first += 1
            phase.first_unsolved = first
            status = "solved" if first == len(scopes) else "exhausted"
        phase.status = status
        return phase

    def solve(self) -> Phase:
        """Run extract / merge / intersect / add / reduce to a fixpoint.

        This follows rez's loop step by step, but visits only what can change: rez re-checks
        every scope for extraction and every (scope, changed scope) pair for reduction in each
        round, and almost all of those checks are no-ops. Here only scopes replaced since their
        last check are extracted from (an exhausted phase has nothing left to extract), and a
        reduction pair is queued only if the reduced scope's family may require the other
        family (a pair that rez would test and find irrelevant). The effective operations, and
        their order, are rez's.
        """
        if self.status != "pending":
            return self
        ctx = self.ctx
        source = ctx.source
        requirers = source.requirers
        scopes = self.scopes[:]
        index_of = self.index_of
        own_index = False
        touched = len(scopes)
        extractions: dict[tuple[str, str], Requirement] = {}
        changed_scopes_i = self.changed_scopes_i.copy()
        dirty = set(self.dirty_i)

        # A reduction pair that certainly changes nothing is not queued: scope x (a slice
        # without several-variant packages) has no variant whose requirement conflicts with
        # scope y's set. For several-variant packages every pair runs: a no-op reduction
        # still has rez's side effects there (its memo, and sorting the preferred version's
        # variant list), which Slice.reduce_by performs in order. Skipping has no other
        # effect: a slice reduced within a phase descends from one already prepared (its
        # requirements read, its families registered).

        def candidates(y: int) -> list[int]:
            # Scopes whose family may require scope y's family (the only ones y can reduce).
            found = requirers.get(scopes[y].package_name)
            if not found:
                return []
            other = scopes[y].slice_
            conflict_bits = None if other is None else other.variants.conflict_bits
            result = []
            for family in found:
                x = index_of.get(family)
                if x is None or x == y:
                    continue
                slice_ = scopes[x].slice_
                if slice_ is None:  # conflict and ephemeral scopes are not reduced
                    continue
                if (
                    conflict_bits is not None
                    and slice_.reduced_by is None
                    and not slice_.mask & conflict_bits(slice_.table)
                ):
                    continue
                result.append(x)
            return result

        def reducers(x: int) -> list[int]:
            # Scopes that may reduce scope x: those of the families x requires.
            slice_ = scopes[x].slice_
            if slice_ is None:
                return []
            table, mask, skip = slice_.table, slice_.mask, slice_.reduced_by is None
            result = []
            for family in slice_.fam_requires:
                y = index_of.get(family)
                if y is None:
                    continue
                other = scopes[y].slice_
                if skip and other is not None and not mask & other.variants.conflict_bits(table):
                    continue
                result.append(y)
            return result

        while True:
            prev_num_scopes = len(scopes)
            widened_scopes_i: set[int] = set()

            while True:
                # 1. EXTRACT: every common dependency of every scope, in scope order.
                extracted: list[Requirement] = []
                sources = 0
                for i in sorted(dirty):
                    new_scope, requests = scopes[i].extract_all()
                    if requests:
                        sources += 1
                        name = new_scope.package_name
                        for request in requests:
                            extractions[(name, request.name)] = request
                        extracted.extend(requests)
                        scopes[i] = new_scope
                dirty.clear()
                if not extracted:
                    break

                # 2. MERGE the extractions; a conflict fails the phase. (One scope's
                #    extractions name each family once: nothing to merge.)
                merged_reqs = extracted
                if sources > 1:
                    merged = ReqList(extracted, with_names=False, merges=ctx.merges)
                    if merged.conflict is not None:
                        req1, req2 = merged.conflict
                        failure = DependencyConflicts(
                            conflicts=(
                                DependencyConflict(dependency=req1, conflicting_request=req2),
                            )
                        )
                        return self._result(scopes, failure, extractions, "failed")
                    merged_reqs = merged.requirements

                # 3. INTERSECT existing scopes with the merged extractions, in scope order.
                req_fams: set[str] = set()
                targets = []
                for req in merged_reqs:
                    i_scope = index_of.get(req.name)
                    if i_scope is not None:
                        targets.append((i_scope, req))
                        req_fams.add(req.name)
                targets.sort(key=_first)
                for i, extracted_req in targets:
                    scope = scopes[i]
                    assert extracted_req.range is not None  # noqa: S101 - extractions are real
                    narrowed = scope.intersect(extracted_req.range, source)
                    if narrowed is None:
                        failure = DependencyConflicts(
                            conflicts=(
                                DependencyConflict(
                                    dependency=extracted_req,
                                    conflicting_request=scope.package_request,
                                ),
                            )
                        )
                        return self._result(scopes, failure, extractions, "failed")
                    if narrowed is not scope:
                        scopes[i] = narrowed
                        changed_scopes_i.add(i)
                        dirty.add(i)
                        touched = min(touched, i)
                        # A conflict scope turned real *widens*: reduce it against all.
                        if scope.is_conflict and not narrowed.is_conflict:
                            widened_scopes_i.add(i)

                # 4. ADD scopes for families not present yet, in merged order.
                for req in merged_reqs:
                    if req.name in req_fams:
                        continue
                    try:
                        scope = Scope(req, source)
                    except FamilyNotFoundError:
                        requesters = [k[0] for k, r in extractions.items() if r.name == req.name]
                        if not requesters:
                            raise
                        message = (
                            f"package family not found: {req.name}, was required by: "
                            f"{', '.join(requesters)} (searched: {ctx.searched})"
                        )
                        if not ctx.error_on_missing:
                            ctx.on_missing_family(message)
                            return self._result(scopes, None, extractions, "failed")
                        raise FamilyNotFoundError(message) from None
                    if not own_index:
                        index_of = dict(index_of)
                        own_index = True
                    index_of[req.name] = len(scopes)
                    dirty.add(len(scopes))
                    scopes.append(scope)

            num_scopes = len(scopes)
            if num_scopes == prev_num_scopes and not changed_scopes_i and not widened_scopes_i:
                break

            # 5. REDUCE: pending (x, y) pairs, scope x reduced by scope y's request; popped
            #    from the end of the sorted list (rez's order). rez queues
            #    prev x changed + prev x added + added x all + widened x all. Pairs that
            #    certainly change nothing are not queued (see candidates()): if scope y
            #    changes before the pair's turn, its pairs are queued again anyway, and
            #    they come first.
            pairs: set[tuple[int, int]] = set()
            for y in chain(changed_scopes_i, range(prev_num_scopes, num_scopes)):
                pairs.update((x, y) for x in candidates(y) if x < prev_num_scopes)
            for x in chain(range(prev_num_scopes, num_scopes), widened_scopes_i):
                pairs.update((x, y) for y in reducers(x) if y != x)
            pending = sorted(pairs)
            while pending:
                x, y = pending.pop()
                scope = scopes[x]
                if scope.slice_ is None:  # conflict and ephemeral scopes are not reduced
                    continue
                reduced, reductions = scope.reduce_by(scopes[y].reduce_request)
                if reduced is None:
                    total = TotalReduction(reductions=tuple(reductions))
                    return self._result(scopes, total, extractions, "failed")
                if reduced is not scope:
                    scopes[x] = reduced
                    dirty.add(x)
                    touched = min(touched, x)
                    pending.extend((j, x) for j in sorted(candidates(x)))
            changed_scopes_i = set()

        return self._result(scopes, None, extractions, index_of=index_of, touched=touched)

    def split(self) -> tuple[Phase, Phase]:
        """Split the first splittable scope: (preferred phase, rest phase)."""
        scopes_ = self.scopes
        split_i = self.first_unsolved
        while not scopes_[split_i].is_splittable():
            split_i += 1
        parts = self.scopes[split_i].split()
        assert parts is not None  # noqa: S101 - an exhausted phase has a splittable scope
        scopes = self.scopes[:]
        next_scopes = self.scopes[:]
        scopes[split_i], next_scopes[split_i] = parts
        phase = self._copy()
        phase.scopes = scopes
        phase.status = "pending"
        phase.changed_scopes_i = {split_i}
        phase.dirty_i = frozenset((split_i,))
        next_phase = phase._copy()
        next_phase.scopes = next_scopes
        return phase, next_phase

    def minimal_graph(self) -> dict[str, list[str]]:
        """``family -> [required families]`` over the solved non-conflict scopes."""
        graph: dict[str, list[str]] = {}
        for scope in self.scopes:
            if scope.is_conflict:
                continue
            edges = graph.setdefault(scope.package_name, [])
            variant = scope.solved_variant()
            if variant is not None:
                # A requirement list names each family once: no duplicates to skip.
                edges.extend(r.name for r in variant.requires_list.requirements if not r.conflict)
        return graph

    def finalise(self) -> Phase:
        """Detect cycles and order the solved scopes dependencies-first (rez ``finalise``)."""
        graph = self.minimal_graph()
        scopes = {s.package_name: s for s in self.scopes if not s.is_conflict}
        cycle = find_cycle(graph)
        phase = self._copy()
        if cycle:
            packages = []
            for fam in cycle:
                variant = scopes[fam].solved_variant()
                assert variant is not None  # noqa: S101 - cycles only join solved variants
                packages.append((fam, variant.version))
            phase.scopes = list(scopes.values())
            phase.failure_reason = Cycle(packages=tuple(packages))
            phase.status = "cyclic"
            return phase
        fams = [r.name for r in self.ctx.request_list.requirements]
        phase.scopes = [scopes[f] for f in dependency_order(graph, fams)]
        return phase

    def solved_variants(self) -> list[Variant]:
        """Return the resolved variants, in scope order."""
        return [v for v in (s.solved_variant() for s in self.scopes) if v is not None]

    def solved_ephemerals(self) -> list[Requirement]:
        """Return the resolved (non-conflict) ephemerals, in scope order."""
        return [r for r in (s.solved_ephemeral() for s in self.scopes) if r is not None]

    def __str__(self) -> str:
        return " ".join(str(s) for s in self.scopes)


def _first(item: tuple[int, Requirement]) -> int:
    return item[0]


def dependency_order(graph: dict[str, list[str]], request_fams: Sequence[str]) -> list[str]:
    """Order nodes dependencies first, then like ``request_fams``, then alphabetically.

    This is rez's ``_get_dependency_order``: it repeatedly takes the head of the list
    ``request_fams + sorted(other nodes)`` and either moves the first listed dependency of
    the head to the front or emits the head. A moved node is emitted before the head comes
    back, so the nodes not yet emitted keep their list order: the same order results from
    visiting each node's (transitive) dependencies in list order, depth first.

    Nodes are numbered by list position, so a node's transitive dependencies are one
    ``int`` and "the first listed dependency not emitted yet" is its lowest set bit.
    """
    nodes = list(request_fams) + sorted(set(graph) - set(request_fams))
    position: dict[str, int] = {}
    for i, node in enumerate(nodes):
        position.setdefault(node, i)
    reach = _reachable(graph, position)
    ordered: list[str] = []
    emitted = 0
    for node in nodes:
        if node not in reach or emitted >> position[node] & 1:
            continue
        stack = [node]
        while stack:
            pending = reach[stack[-1]] & ~emitted
            if pending:
                stack.append(nodes[(pending & -pending).bit_length() - 1])
                continue
            done = stack.pop()
            bit = 1 << position[done]
            if not emitted & bit:
                emitted |= bit
                ordered.append(done)
    return ordered


def _reachable(graph: dict[str, list[str]], position: dict[str, int]) -> dict[str, int]:
    # Transitive dependencies of each node of an acyclic graph (finalise checks for cycles
    # first), as position bits, the node itself excluded.
    closure: dict[str, int] = {}
    for root in graph:
        if root in closure:
            continue
        stack = [(root, iter(graph.get(root, ())))]
        on_stack = {root}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_stack.discard(node)
                reach = 0
                for dep in graph.get(node, ()):
                    reach |= 1 << position[dep] | closure.get(dep, 0)
                closure[node] = reach & ~(1 << position[node])
            elif child not in closure and child not in on_stack:
                stack.append((child, iter(graph.get(child, ()))))
                on_stack.add(child)
    return closure


def find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """Return one cycle as a node list (empty if acyclic); depth-first like pygraph's."""
    visited: set[str] = set()
    parent: dict[str, str | None] = {}
    for root in graph:
        if root in visited:
            continue
        parent[root] = None
        visited.add(root)
        stack = [(root, iter(graph.get(root, ())))]
        on_path = {root}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                continue
            if child not in visited:
                visited.add(child)
                parent[child] = node
                stack.append((child, iter(graph.get(child, ()))))
                on_path.add(child)
                continue
            if child in on_path:
                path = [node]
                current: str | None = node
                while current != child:
                    current = parent[current] if current is not None else None
                    if current is None:
                        break
                    path.append(current)
                path.reverse()
                return path
    return []
