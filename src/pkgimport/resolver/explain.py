"""Why a resolve failed: rez's message, the paths to the conflict, and the likely root cause.

rez reports the *first* failed phase, which is often a side branch and not the cause (rez#1350,
rez#972). :func:`explain_failure` keeps rez's text and adds:

1. **resolve paths**, like ``rez-env`` prints them: from each request to the requirements that
   conflict (``foo --> foo-1.2.3 --> python-3``), from the reported phase's scopes and
   extractions;
2. **root causes** found by looking past the first failed phase:

   * requested families none of whose candidates (versions in the requested range and their
     variants) is compatible with the other requests: each candidate is listed with the
     requirement that rules it out (``foo-1.0[0] needs platform-linux, request has
     ~platform==osx``): this is what rez#1350 asked for;
   * when the solver reports every failed phase, the distinct conflicts over all alternatives
     it tried, most frequent first.

:func:`resolve_graph_dot` draws the resolve (or the failed phase) in Graphviz dot.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkgimport.errors import PkgImportError
from pkgimport.resolver._failures import Cycle, DependencyConflicts, TotalReduction
from pkgimport.resolver.requirements import Requirement, RequirementList
from pkgimport.resolver.versions import Version

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pkgimport.resolver.context import ResolvedContext
    from pkgimport.resolver.provider import PackageData, PackageProvider
    from pkgimport.resolver.solver import FailureInfo, Resolution

__all__ = [
    "Explanation",
    "explain_failure",
    "find_blocked_requests",
    "resolve_graph_dot",
    "resolve_paths",
]

_MAX_CANDIDATES = 8
"""Candidates listed per blocked request (the rest are counted)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Explanation:
    """A failed resolve, explained."""

    description: str
    """rez's failure text, unchanged."""
    paths: tuple[str, ...] = ()
    """Resolve paths from the requests to the conflict (``a --> a-1 --> b-2``)."""
    causes: tuple[str, ...] = ()
    """Root causes found beyond the first failed phase."""
    cycle: bool = False
    """The failure is a dependency cycle (the paths lead to it, not to a conflict)."""

    def lines(self) -> list[str]:
        """Return the explanation as printable lines (without rez's description)."""
        out: list[str] = []
        if self.paths:
            target = "cycle" if self.cycle else "conflict"
            out.append(f"Resolve paths starting from initial requests to {target}:")
            out.extend(f"  {p}" for p in self.paths)
        if self.causes:
            if out:
                out.append("")
            out.append("Likely cause:")
            out.extend(f"  {c}" for c in self.causes)
        return out


def explain_failure(
    resolution: Resolution,
    *,
    provider: PackageProvider | None = None,
    excludes: Callable[[PackageData, Version], bool] | None = None,
    implicit: Sequence[str] = (),
) -> Explanation:
    """Explain a failed :class:`~pkgimport.resolver.solver.Resolution`.

    :param provider: where to look at candidates for root causes; ``None`` skips that step.
    :param excludes: the package filter the resolve used (hidden packages are not candidates).
    :param implicit: the implicit packages of the request (named as such in causes).
    """
    description = resolution.failure_description or f"resolve {resolution.status}"
    failure = resolution.failure
    paths = resolve_paths(resolution.merged_request, failure) if failure is not None else []
    causes: list[str] = _request_conflict(resolution.request, implicit)
    if provider is not None:
        causes.extend(find_blocked_requests(resolution.merged_request, provider, excludes=excludes))
    failures: Sequence[FailureInfo] = getattr(resolution, "failures", ()) or ()
    causes.extend(_summarise_failures(failures))
    cycle = failure is not None and isinstance(failure.reason, Cycle)
    return Explanation(
        description=description, paths=tuple(paths), causes=tuple(causes), cycle=cycle
    )


# -- 1. resolve paths ---------------------------------------------------------------------------


def _strip_index(variant: str) -> str:
    return variant.split("[", 1)[0]


_Node = tuple[str, str]
"""``("req", requirement)`` or ``("scope", family)``."""


class _FailGraph:
    """rez's failure graph in outline (``_ResolvePhase.get_graph``), for resolve paths.

    Nodes are requirements (initial requests included) and scopes; edges keep their insertion
    order, as rez's walk takes the first neighbour. Solved variants' own requirement edges are
    not drawn (the failure data does not carry them); extractions stand in for them.
    """

    def __init__(self, request: Sequence[str], failure: FailureInfo) -> None:
        self.labels = {
            f: _strip_index(variant) if variant else req for f, req, variant in failure.scopes
        }
        self.scope_requests = {f: req for f, req, variant in failure.scopes}
        self.edges: dict[_Node, list[_Node]] = {}
        self.conflict_edges: list[tuple[_Node, _Node]] = []
        self.failure_nodes: set[_Node] = set()
        self.initial: list[_Node] = [("req", r) for r in request]
        # A conflict scope made from an initial conflict request *is* that request's node.
        self.alias: dict[_Node, _Node] = {}
        for family, req, variant in failure.scopes:
            if variant is None and req.startswith(("!", "~")) and req in request:
                self.alias[("scope", family)] = ("req", req)
        for node in self.initial:
            family = _family(node[1])
            if family in self.labels and self.node(("scope", family)) != node:
                self.add(node, ("scope", family))
        for family, extracted in failure.extractions:
            if family in self.labels:
                self.add(("scope", family), ("req", extracted))
        self._add_failure(failure)
        self._link_leaves()

    def node(self, node: _Node) -> _Node:
        return self.alias.get(node, node)

    def add(self, a: _Node, b: _Node) -> None:
        a, b = self.node(a), self.node(b)
        targets = self.edges.setdefault(a, [])
        if b in targets:  # rez deletes and re-adds an existing edge: it moves to the end
            targets.remove(b)
        targets.append(b)
        self.edges.setdefault(b, [])

    def conflict(self, a: _Node, b: _Node) -> None:
        self.add(a, b)
        self.conflict_edges.append((self.node(a), self.node(b)))
        self.failure_nodes.update({self.node(a), self.node(b)})

    def _add_failure(self, failure: FailureInfo) -> None:
        reason = failure.reason
        if isinstance(reason, DependencyConflicts):
            for item in reason.conflicts:
                other = item.conflicting_request
                scope = ("scope", other.name) if other.name in self.labels else None
                scope_req = self.scope_requests.get(other.name) if scope else None
                if scope is not None and self.node(scope) != scope:
                    scope_req = None  # rez keeps no request for a switched node
                if scope is not None and scope_req is not None and _conflicts(scope_req, other):
                    self.conflict(("req", str(other)), scope)
                elif scope is not None and scope_req is None:
                    self.conflict(scope, ("req", str(item.dependency)))
                else:
                    self.conflict(("req", str(item.dependency)), scope or ("req", str(other)))
        elif isinstance(reason, TotalReduction):
            for reduction in reason.reductions:
                dep = ("req", str(reduction.dependency))
                if reduction.name in self.labels:
                    self.add(("scope", reduction.name), dep)
                    self.failure_nodes.add(self.node(("scope", reduction.name)))
                target = reduction.conflicting_request.name
                if target in self.labels:
                    self.conflict(dep, ("scope", target))
        elif isinstance(reason, Cycle):
            names = [name for name, _ in reason.packages]
            for i, name in enumerate(names):
                nxt = names[(i + 1) % len(names)]
                if name in self.labels and nxt in self.labels:
                    self.conflict(("scope", name), ("scope", nxt))

    def _link_leaves(self) -> None:
        """Point requests that lead nowhere to their family's scope unless they conflict."""
        for node in list(self.edges):
            if node[0] != "req" or self.edges[node]:
                continue
            family = _family(node[1])
            scope = self.node(("scope", family))
            req = self.scope_requests.get(family)
            if family in self.labels and req is not None and not _conflicts(node[1], req):
                self.add(node, scope)

    def _reaching_failure(self) -> set[_Node]:
        """Nodes that can reach a failure node (rez prunes every other node)."""
        keep = set(self.failure_nodes)
        changed = True
        while changed:
            changed = False
            for node, targets in self.edges.items():
                if node not in keep and any(t in keep for t in targets):
                    keep.add(node)
                    changed = True
        return keep

    def label(self, node: _Node) -> str:
        return self.labels[node[1]] if node[0] == "scope" else node[1]

    def paths(self) -> list[str]:
        """Walk like rez: from each initial request, take the first unvisited neighbour."""
        keep = self._reaching_failure()
        in_conflict = {n for edge in self.conflict_edges for n in edge}
        lines = []
        for start in dict.fromkeys(self.initial):
            if start not in keep:
                continue
            visited = [start]
            node = start
            while True:
                down = next(
                    (n for n in self.edges.get(node, ()) if n in keep and n not in visited), None
                )
                if down is None:
                    break
                visited.append(down)
                node = down
            line = self.label(start)
            for node in visited[1:]:
                if node[0] == "scope" and node not in self.initial:
                    line += f" --> {self.label(node)}"
                elif node in in_conflict:
                    line += f" --> {self.label(node)}"
                    break
            lines.append(line)
        return lines


def resolve_paths(request: Sequence[str], failure: FailureInfo) -> list[str]:
    """Return ``rez-env``'s "Resolve paths" lines for a failed phase.

    Each line starts at an initial request and follows rez's failure graph: the scopes it goes
    through (a solved variant, else the scope's request), ending on the requirement in
    conflict (``foo --> foo-1.2.3 --> python-3``).
    """
    return _FailGraph(request, failure).paths()


def _conflicts(a: str, b: str | Requirement) -> bool:
    try:
        first = Requirement(a)
        second = b if isinstance(b, Requirement) else Requirement(b)
    except PkgImportError:
        return False
    return first.conflicts_with(second)


def _family(text: str) -> str:
    try:
        return Requirement(text).name
    except PkgImportError:
        return text


# -- 2. root causes -----------------------------------------------------------------------------


def find_blocked_requests(
    request: Sequence[str],
    provider: PackageProvider,
    *,
    excludes: Callable[[PackageData, Version], bool] | None = None,
) -> list[str]:
    """Return one line per requested family whose every candidate clashes with the request.

    A candidate (a version in the requested range, each of its variants) clashes when one of
    its own requirements cannot merge with the (merged) request: ``foo-1[0]`` requiring
    ``platform-linux`` while ``~platform==osx`` was requested.
    """
    requests = RequirementList(_parse_all(request))
    if requests.conflict is not None:
        return []
    by_name = {r.name: r for r in requests.requirements}
    lines = []
    for req in requests.requirements:
        if req.conflict or req.ephemeral:
            continue
        reasons = list(_candidate_clashes(req, by_name, provider, excludes))
        if reasons and all(reason is not None for _, reason in reasons):
            shown = [f"{name} needs {reason}" for name, reason in reasons[:_MAX_CANDIDATES]]
            more = len(reasons) - len(shown)
            tail = f"; and {more} more" if more > 0 else ""
            lines.append(
                f"no candidate for request {str(req)!r} is compatible with the other "
                f"requests: {'; '.join(shown)}{tail}"
            )
    return lines


def _request_conflict(request: Sequence[str], implicit: Sequence[str]) -> list[str]:
    """Say which two requests clash when the request itself cannot be merged."""
    try:
        conflict = RequirementList(_parse_all(request)).conflict
    except PkgImportError:
        return []
    if conflict is None:
        return []
    implicit_set = {str(Requirement(r)) for r in implicit}

    def origin(req: Requirement) -> str:
        return "an implicit package" if str(req) in implicit_set else "requested"

    first, second = conflict
    tail = ""
    if implicit_set & {str(first), str(second)}:
        tail = "; pass --no-implicit to drop implicit packages"
    line = (
        f"the request contradicts itself: {str(first)!r} ({origin(first)}) and "
        f"{str(second)!r} ({origin(second)}) cannot both hold{tail}"
    )
    return [line]


def _parse_all(request: Iterable[str]) -> list[Requirement]:
    return [Requirement(r) for r in request]


def _candidate_clashes(
    req: Requirement,
    by_name: dict[str, Requirement],
    provider: PackageProvider,
    excludes: Callable[[PackageData, Version], bool] | None,
) -> Iterable[tuple[str, str | None]]:
    """Yield ``(candidate, clash or None)`` for every candidate of *req*, newest first."""
    versions = []
    for text in provider.iter_versions(req.name):
        version = Version(text)
        if req.range is None or req.range.contains_version(version):
            versions.append((version, text))
    versions.sort(reverse=True)
    for version, text in versions:
        package = provider.get_package(req.name, text)
        if excludes is not None and excludes(package, version):
            continue
        qualified = f"{req.name}-{text}" if text else req.name
        variants = package.variants if package.variants is not None else (None,)
        for index, extra in enumerate(variants):
            own = package.requires + (extra or ())
            label = f"{qualified}[{'' if extra is None else index}]"
            yield label, _first_clash(own, by_name)


def _first_clash(requires: Sequence[str], by_name: dict[str, Requirement]) -> str | None:
    for text in requires:
        try:
            own = Requirement(text)
        except PkgImportError:
            continue
        other = by_name.get(own.name)
        if other is not None and own.merged(other) is None:
            return f"{own}, but the request has {other}"
    return None


def _summarise_failures(failures: Sequence[FailureInfo]) -> list[str]:
    """Group every failed alternative by its conflict (only when the solver reports them all)."""
    if len(failures) < 2:
        return []
    counts = Counter(str(f.reason) if f.reason is not None else "unknown reason" for f in failures)
    lines = [f"{len(failures)} alternatives were tried; they failed on:"]
    lines.extend(f"  {n}x {text}" for text, n in counts.most_common(5))
    if len(counts) > 5:
        lines.append(f"  ... and {len(counts) - 5} other conflicts")
    return lines


# -- graph ------------------------------------------------------------------------------------


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def resolve_graph_dot(context: ResolvedContext, failure: FailureInfo | None = None) -> str:
    """Return the resolve as Graphviz dot: requests (yellow), variants (green), conflicts (red).

    For a failed resolve pass the solver's reported *failure* to draw that phase instead.
    """
    lines = ["digraph resolve {", "  node [style=filled, fontsize=10];"]
    requests = [*context.request, *context.implicit_packages]
    lines.extend(f'  {_dot_id(r)} [fillcolor="#FFFFAA", style="filled,dashed"];' for r in requests)
    if failure is None:
        names = {v.name: v.qualified_name for v in context.variants}
        lines.extend(
            f'  {_dot_id(v.qualified_name)} [fillcolor="#AAFFAA"];' for v in context.variants
        )
        lines.extend(
            f"  {_dot_id(req)} -> {_dot_id(names[_family(req)])};"
            for req in requests
            if _family(req) in names
        )
        lines.extend(
            f"  {_dot_id(v.qualified_name)} -> {_dot_id(names[_family(dep)])};"
            for v in context.variants
            for dep in v.requires
            if _family(dep) in names and not dep.startswith(("!", "~"))
        )
    else:
        scopes = {f: _strip_index(v) if v else r for f, r, v in failure.scopes}
        lines.extend(f'  {_dot_id(node)} [fillcolor="#AAFFAA"];' for node in scopes.values())
        lines.extend(
            f"  {_dot_id(req)} -> {_dot_id(scopes[_family(req)])};"
            for req in requests
            if _family(req) in scopes
        )
        lines.extend(
            f"  {_dot_id(scopes[family])} -> {_dot_id(extracted)};"
            for family, extracted in failure.extractions
            if family in scopes
        )
        if isinstance(failure.reason, DependencyConflicts):
            for conflict in failure.reason.conflicts:
                a, b = str(conflict.dependency), str(conflict.conflicting_request)
                lines.append(
                    f"  {_dot_id(a)} -> {_dot_id(b)} [color=red, label=CONFLICT, fontcolor=red];"
                )
        elif isinstance(failure.reason, TotalReduction):
            for r in failure.reason.reductions:
                a = scopes.get(r.name, r.name)
                b = scopes.get(r.conflicting_request.name, str(r.conflicting_request))
                lines.append(
                    f"  {_dot_id(a)} -> {_dot_id(b)} [color=red, label=CONFLICT, fontcolor=red];"
                )
    lines.append("}")
    return "\n".join(dict.fromkeys(lines)) + "\n"
