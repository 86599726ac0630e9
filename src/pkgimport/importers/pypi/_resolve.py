"""Dependency closure of PyPI requirements for one target, with resolvelib.

Markers are evaluated with the target's environment and wheels picked by the target's tags.
Extras follow pip's design: ``foo[bar]`` is its own node that depends on ``foo`` at the same
version plus ``bar``'s requirements. Versions already in the repository are tried first, so an
import reuses what is there (rez-pip#127).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, Union

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion as InvalidPEP440Version
from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, ResolutionImpossible, Resolver
from resolvelib.resolvers import ResolutionTooDeep

from pkgimport.errors import InvalidVersion, PkgImportError, ResolveError
from pkgimport.importers.pypi._convert import requirements_for, requires_dist
from pkgimport.importers.pypi._errors import NoCompatibleDistribution, with_hint
from pkgimport.importers.pypi._index import DistFile
from pkgimport.importers.pypi._names import normalize_name
from pkgimport.importers.pypi._once import OnceMap
from pkgimport.importers.pypi._options import AllowedHashes, FormatControl
from pkgimport.importers.pypi._versions import convert_version

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from concurrent.futures import Executor

    from packaging.metadata import Metadata
    from packaging.requirements import Requirement
    from resolvelib.structs import RequirementInformation

    from pkgimport.importers.pypi._reporter import ImportReporter
    from pkgimport.importers.pypi._target import TargetPlatform

__all__ = ["Candidate", "Closure", "MetadataSource", "ProjectSource", "resolve_closure"]


class ProjectSource(Protocol):
    """Where files of a project are listed (:class:`~._index.Index` implements it)."""

    def project_files(self, name: str) -> list[DistFile]:
        """Every file of project *name*; ``[]`` for an unknown project. May be called often."""
        ...


class MetadataSource(Protocol):
    """Where the core metadata of a file comes from (PEP 658, the wheel, or an sdist build)."""

    def __call__(self, dist: DistFile, target: TargetPlatform) -> Metadata:
        """Return the metadata of *dist* as seen on *target*; cached by the implementation."""
        ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """One version of one project, with the file chosen for the target."""

    name: str
    """Normalised project name."""
    version: Version
    dist: DistFile
    extras: frozenset[str] = frozenset()

    @property
    def identifier(self) -> str:
        """``name`` or ``name[extra,...]``."""
        return _identifier(self.name, self.extras)


@dataclass(frozen=True, slots=True)
class _Requirement:
    name: str
    extras: frozenset[str]
    specifier: SpecifierSet
    source: str
    pinned_file: str | None = None
    """For the base node of an extras node: the exact file of that candidate."""


_Item = Union[_Requirement, Candidate]  # noqa: UP007 - resolvelib's generic needs a runtime type


_PYTHON = "<python>"
_NO_FILE = DistFile(filename="", url="")


def _identifier(name: str, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


@dataclass(frozen=True, kw_only=True, slots=True)
class Closure:
    """The result of one resolve: a pinned candidate per project, and the edges."""

    target: TargetPlatform
    pins: Mapping[str, Candidate]
    """Normalised name → candidate (base nodes only)."""
    extras: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Normalised name → the extras something asked for."""
    requested: tuple[Requirement, ...] = ()


def _dist_version(filename: str) -> Version | None:
    if filename.endswith(".whl"):
        # name-version[-build]-python-abi-platform.whl: the version is the second field.
        # Parsing every filename in full (tags included) cost ~0.2 s on a warm resolve of
        # ~17,000 files; the file picked is still parsed in full (_best_file).
        parts = filename.split("-")
        if len(parts) in {5, 6}:
            return _parse_version(parts[1])
        return None
    try:
        return parse_sdist_filename(filename)[1]
    except InvalidSdistFilename:
        return None


@lru_cache(maxsize=16384)
def _parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidPEP440Version:
        return None


class _Provider(AbstractProvider):  # type: ignore[type-arg]
    def __init__(
        self,
        target: TargetPlatform,
        files: ProjectSource,
        metadata: MetadataSource,
        *,
        prefer: Callable[[str], set[str]],
        pre: bool,
        no_deps: bool,
        prefetch: Executor | None = None,
        constraints: Mapping[str, Sequence[SpecifierSet]] | None = None,
        formats: FormatControl | None = None,
        hashes: AllowedHashes | None = None,
        prefer_binary: bool = False,
    ) -> None:
        self.target = target
        self.constraints = constraints or {}
        """Normalised name → the specifiers of constraints (``-c``) that apply on the target."""
        self.formats = formats or FormatControl()
        self.hashes = hashes or AllowedHashes()
        self.prefer_binary = prefer_binary
        self.files = files
        self.metadata = metadata
        self.prefer = prefer
        self.pre = pre
        self.no_deps = no_deps
        self.unknown: set[str] = set()
        self.prefetch = prefetch
        self._by_version: OnceMap[dict[Version, list[DistFile]]] = OnceMap()
        self._warmed: set[tuple[str, frozenset[str], str]] = set()
        self._warm_lock = threading.Lock()
        self._best: dict[tuple[str, Version, bool, frozenset[str | None]], DistFile | None] = {}

    def identify(self, requirement_or_candidate: _Item) -> str:
        if isinstance(requirement_or_candidate, Candidate):
            return requirement_or_candidate.identifier
        return _identifier(requirement_or_candidate.name, requirement_or_candidate.extras)

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[_Requirement, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[_Requirement, Candidate]],
    ) -> tuple[bool, bool, str]:
        del resolutions, candidates
        infos = list(information[identifier])
        pinned = any(
            any(s.operator in {"==", "==="} for s in info.requirement.specifier) for info in infos
        )
        causes = {c.requirement.name for c in backtrack_causes}
        return (identifier.split("[", maxsplit=1)[0] not in causes, not pinned, identifier)

    def _best_file(self, name: str, files: Sequence[DistFile]) -> DistFile | None:
        best: tuple[int, DistFile] | None = None
        sdist: DistFile | None = None
        formats = self.formats.allowed(name)
        for dist in files:
            if dist.requires_python and not _python_ok(dist.requires_python, self.target):
                continue
            if ("binary" if dist.is_wheel else "source") not in formats:
                continue  # --no-binary / --only-binary
            if not self.hashes.admits_index_sha256(name, dist.sha256):
                continue  # hash-checking mode: pip's finder passes such files over too
            if not dist.is_wheel:
                sdist = sdist or dist
                continue
            try:
                tags = parse_wheel_filename(dist.filename)[3]
            except InvalidWheelFilename:
                continue
            ranks = [r for r in (self.target.tag_priority(t) for t in tags) if r is not None]
            if ranks and (best is None or min(ranks) < best[0]):
                best = (min(ranks), dist)
        return best[1] if best else sdist

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]] | list[Candidate]:
        reqs = list(requirements[identifier])
        if identifier == _PYTHON:
            # The target's interpreter, the only "version" of the virtual python node.
            python = Candidate(
                _PYTHON,
                Version(self.target.python_full or f"{self.target.python_version}.0"),
                _NO_FILE,
            )
            return [python] if all(self._admits(r, python.version) for r in reqs) else []
        bad = {(c.version, c.dist.filename) for c in incompatibilities[identifier]}
        name = identifier.split("[", maxsplit=1)[0]
        extras = frozenset().union(*(r.extras for r in reqs)) if reqs else frozenset()
        by_version = self._versions(name)
        if not by_version:
            self.unknown.add(name)
            return []
        pins = {r.pinned_file for r in reqs if r.pinned_file}
        exact = any(any(s.operator == "==" for s in r.specifier) for r in reqs)
        preferred = self.prefer(name)
        versions = [
            v
            for v in by_version
            if all(self._admits(r, v) for r in reqs) and self._constraints_admit(name, v)
        ]
        if self.prefer_binary:
            # pip's --prefer-binary: a version with a fitting wheel before any without one.
            wheels = {v for v in versions if self._has_wheel(name, by_version[v])}
            versions.sort(
                key=lambda v: (_rez_version(v) in preferred, v in wheels, v), reverse=True
            )
        else:
            versions.sort(key=lambda v: (_rez_version(v) in preferred, v), reverse=True)

        def iter_candidates() -> Iterator[Candidate]:
            # Lazy (resolvelib calls this factory when it needs candidates): the best file of
            # a version is only looked for when the resolver gets there, usually the first.
            for version in versions:
                key = (name, version, exact, frozenset(pins))
                if key not in self._best:
                    usable = [d for d in by_version[version] if exact or not d.yanked]
                    if pins:
                        usable = [d for d in usable if d.filename in pins]
                    self._best[key] = self._best_file(name, usable)
                chosen = self._best[key]
                if chosen is None or (version, chosen.filename) in bad:
                    continue
                yield Candidate(name, version, chosen, extras)

        return iter_candidates

    def _versions(self, name: str) -> dict[Version, list[DistFile]]:
        """Return the files of *name* by version, parsed once (shared with the prefetchers)."""

        def parse() -> dict[Version, list[DistFile]]:
            out: dict[Version, list[DistFile]] = {}
            for dist in self.files.project_files(name):
                version = _dist_version(dist.filename)
                if version is not None:
                    out.setdefault(version, []).append(dist)
            return out

        return self._by_version.get(name, parse)

    def _has_wheel(self, name: str, files: Sequence[DistFile]) -> bool:
        best = self._best_file(name, [d for d in files if not d.yanked])
        return best is not None and best.is_wheel

    def _constraints_admit(self, name: str, version: Version) -> bool:
        # pip checks a constraint with pre-releases allowed: it restricts, never admits.
        return all(s.contains(version, prereleases=True) for s in self.constraints.get(name, ()))

    def _admits(self, requirement: _Requirement, version: Version) -> bool:
        allow_pre = self.pre or bool(requirement.specifier.prereleases)
        return requirement.specifier.contains(version, prereleases=allow_pre)

    def is_satisfied_by(self, requirement: _Requirement, candidate: Candidate) -> bool:
        if requirement.pinned_file and candidate.dist.filename != requirement.pinned_file:
            return False
        return self._admits(requirement, candidate.version) and self._constraints_admit(
            candidate.name, candidate.version
        )

    def get_dependencies(self, candidate: Candidate) -> list[_Requirement]:
        out: list[_Requirement] = []
        if candidate.name == _PYTHON:
            return out
        if candidate.extras:
            # The extras node depends on its base node at exactly the same file.
            out.append(
                _Requirement(
                    candidate.name,
                    frozenset(),
                    SpecifierSet(f"=={candidate.version}"),
                    f"{candidate.identifier}",
                    candidate.dist.filename,
                )
            )
        if self.no_deps:
            return out
        meta = self.metadata(candidate.dist, self.target)
        if meta.requires_python:
            # Indexes do not always state Requires-Python; the metadata always does (pip does
            # the same): a dependency on the virtual python node rejects the candidate.
            out.append(
                _Requirement(
                    _PYTHON,
                    frozenset(),
                    SpecifierSet(str(meta.requires_python)),
                    f"{candidate.name} {candidate.version}",
                )
            )
        reqs = requires_dist(meta)
        applicable = requirements_for(reqs, self.target, candidate.extras)
        if candidate.extras:
            base = set(map(str, requirements_for(reqs, self.target)))
            applicable = [r for r in applicable if str(r) not in base]
        source = f"{candidate.name} {candidate.version}"
        out.extend(_to_requirement(req, source) for req in applicable)
        for req in out:
            self._prefetch(req)
        return out

    def _warm(self, requirement: _Requirement) -> None:
        """Fetch, ahead of the resolver, what it will most likely ask for next.

        The project page and the metadata of the newest admissible version: network latency
        overlaps instead of adding up. Runs in a worker thread; it touches only the index and
        metadata caches (both thread-safe), and its errors surface only if the resolver asks.
        """
        try:
            by_version = self._versions(requirement.name)
            admitted = [
                v
                for v in by_version
                if self._admits(requirement, v) and self._constraints_admit(requirement.name, v)
            ]
            if not admitted:
                return
            newest = max(admitted)
            chosen = self._best_file(
                requirement.name, [d for d in by_version[newest] if not d.yanked]
            )
            if chosen is None:
                return
            meta = self.metadata(chosen, self.target)
            # Then the same for its dependencies: the whole likely closure is fetched in a
            # few parallel rounds instead of one round trip per resolver step.
            reqs = requires_dist(meta)
            for req in requirements_for(reqs, self.target, requirement.extras):
                self._prefetch(_to_requirement(req, ""))
        except Exception:  # noqa: BLE001, S110 - only a guess; the resolver asks again
            pass

    def _prefetch(self, requirement: _Requirement) -> None:
        """Warm *requirement* in a worker, once per (name, extras, specifier)."""
        if self.prefetch is None or requirement.name == _PYTHON:
            return
        key = (requirement.name, requirement.extras, str(requirement.specifier))
        with self._warm_lock:
            if key in self._warmed:
                return
            self._warmed.add(key)
        with contextlib.suppress(RuntimeError):  # the pool is shut down: resolution is over
            self.prefetch.submit(self._warm, requirement)


def _nothing(name: str) -> set[str]:
    del name
    return set()


def _rez_version(version: Version) -> str | None:
    try:
        return convert_version(version)
    except InvalidVersion:
        return None


def _python_ok(requires_python: str, target: TargetPlatform) -> bool:
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True  # pip ignores a malformed data-requires-python too
    full = target.python_full or f"{target.python_version}.0"
    return spec.contains(full, prereleases=True)


def _to_requirement(req: Requirement, source: str) -> _Requirement:
    return _Requirement(normalize_name(req.name), frozenset(req.extras), req.specifier, source)


def resolve_closure(
    requirements: Iterable[Requirement],
    target: TargetPlatform,
    files: ProjectSource,
    metadata: MetadataSource,
    *,
    prefer: Callable[[str], set[str]] | None = None,
    pre: bool = False,
    no_deps: bool = False,
    prefetch: Executor | None = None,
    constraints: Iterable[Requirement] = (),
    formats: FormatControl | None = None,
    hashes: AllowedHashes | None = None,
    prefer_binary: bool = False,
    reporter: ImportReporter | None = None,
) -> Closure:
    """Resolve the closure of *requirements* for *target*.

    :param prefer: rez versions already in the repository of a normalised name: tried first.
    :param prefetch: worker threads that fetch pages and metadata ahead of the resolver.
    :param constraints: pip's ``-c``: a project in the closure must satisfy those that name
        it (their markers evaluated for *target*); they add nothing to the closure.
    :param formats: ``--no-binary`` / ``--only-binary``.
    :param hashes: hash-checking mode: files of another hash are passed over.
    :param prefer_binary: ``--prefer-binary``.
    :param reporter: told of each pin (``item_advanced("resolve", str(target), 1)``).
    :raises ResolveError: no consistent set exists (names the conflicting requirements).
    :raises NoCompatibleDistribution: a project has no file for the target.
    """
    requested = tuple(requirements)
    env = target.marker_environment()
    roots = [
        _to_requirement(r, "the command line")
        for r in requested
        if r.marker is None or r.marker.evaluate({**env, "extra": ""})
    ]
    constrained: dict[str, list[SpecifierSet]] = {}
    for constraint in constraints:
        if constraint.marker is None or constraint.marker.evaluate({**env, "extra": ""}):
            constrained.setdefault(normalize_name(constraint.name), []).append(constraint.specifier)
    provider = _Provider(
        target,
        files,
        metadata,
        prefer=prefer or _nothing,
        pre=pre,
        no_deps=no_deps,
        prefetch=prefetch,
        constraints=constrained,
        formats=formats,
        hashes=hashes,
        prefer_binary=prefer_binary,
    )
    # resolvelib looks the roots up one after the other: start them all at once.
    for root in roots:
        provider._prefetch(root)
    resolver: Resolver[_Requirement, Candidate, str] = Resolver(
        provider, _PinReporter(reporter, str(target))
    )
    try:
        result = resolver.resolve(roots, max_rounds=2000)
    except ResolutionImpossible as exc:
        raise _explain(exc, target, provider) from None
    except ResolutionTooDeep:
        raise with_hint(
            ResolveError(f"resolving for {target} took too many steps"),
            "pin some of the requirements",
        ) from None
    pins = {c.name: c for c in result.mapping.values() if not c.extras and c.name != _PYTHON}
    extras: dict[str, frozenset[str]] = {}
    for c in result.mapping.values():
        if c.extras:
            extras[c.name] = extras.get(c.name, frozenset()) | c.extras
    return Closure(target=target, pins=pins, extras=extras, requested=requested)


class _PinReporter(BaseReporter):  # type: ignore[type-arg]
    """resolvelib's reporter, passing each pin on as progress of the target's resolve."""

    def __init__(self, reporter: ImportReporter | None, item: str) -> None:
        self.reporter = reporter
        self.item = item

    def pinning(self, candidate: Candidate) -> None:
        if self.reporter is not None and candidate.name != _PYTHON:
            self.reporter.item_advanced("resolve", self.item, 1)


def _explain(
    exc: ResolutionImpossible[_Requirement, Candidate], target: TargetPlatform, provider: _Provider
) -> PkgImportError:
    causes = list(exc.causes)
    lines = []
    for cause in causes:
        req = cause.requirement
        where = (
            req.source if cause.parent is None else f"{cause.parent.name} {cause.parent.version}"
        )
        spec = f"{_identifier(req.name, req.extras)}{req.specifier}"
        lines.append(f"{spec} (required by {where})")
    names = {c.requirement.name for c in causes}
    unknown = sorted(names & provider.unknown)
    if unknown:
        return with_hint(
            ResolveError(f"no project named {', '.join(map(repr, unknown))} on the index"),
            "check the spelling, or the index URLs in your pip configuration (pip config list)",
        )
    if len(causes) == 1 and not provider.files.project_files(causes[0].requirement.name):
        return ResolveError(f"no project named {causes[0].requirement.name!r} on the index")
    if len(names) == 1:
        name = next(iter(names))
        also = []
        if provider.constraints.get(name):
            also.append(f"constraints {','.join(map(str, provider.constraints[name]))} (-c)")
        if provider.hashes.required and provider.hashes.of(name):
            also.append("one of the hashes allowed (--hash)")
        if provider.formats.allowed(name) != {"binary", "source"}:
            also.append(f"the formats allowed ({', '.join(provider.formats.allowed(name))} only)")
        extra = f", and {', '.join(also)}," if also else ""
        return with_hint(
            NoCompatibleDistribution(
                f"no version of {name!r} satisfies {'; '.join(lines)}{extra} with a file for "
                f"{target}"
            ),
            "try another --python/--platform/--arch, or --pre for pre-releases",
        )
    return with_hint(
        ResolveError(f"conflicting requirements for {target}: " + "; ".join(lines)),
        "relax or pin one of these requirements",
    )
