"""Plan, then act: resolve per target, decide what is new, download, build the packages.

:class:`PypiImporter` is the facade the CLI uses. Collaborators are passed in (the index, the
download cache, a read view of the repository), so tests drive it against a loopback index
and a temporary repository.

1. :meth:`PypiImporter.plan` resolves the closure for every target (metadata only: PEP 658
   files, or the wheel when the index has none), then groups the pins by package and marks
   each (package, target) new, a new variant, or reused from the repository.
2. :meth:`PypiImporter.fetch` downloads the wheels of what is new, in parallel, verified.
3. :meth:`PypiImporter.build` checks and installs each wheel into a staging folder and
   returns :class:`ImportedPackage` values for the repository transaction.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from packaging.requirements import InvalidRequirement as PEP508InvalidRequirement
from packaging.requirements import Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.errors import InvalidRequirement, InvalidVersion
from pkgimport.importers.pypi._cache import sha256_of
from pkgimport.importers.pypi._convert import (
    ChosenFile,
    convert_requirement,
    make_definition,
    requirements_for,
    requires_dist,
    with_scripts,
)
from pkgimport.importers.pypi._errors import InvalidWheel, NoCompatibleDistribution, with_hint
from pkgimport.importers.pypi._names import FamilyNames, family_name, normalize_name
from pkgimport.importers.pypi._once import OnceMap
from pkgimport.importers.pypi._options import AllowedHashes, FormatControl, file_hashes
from pkgimport.importers.pypi._reporter import ImportReporter
from pkgimport.importers.pypi._resolve import Candidate, Closure, resolve_closure
from pkgimport.importers.pypi._sdist import build_wheel, read_sdist_pkg_info
from pkgimport.importers.pypi._versions import convert_version
from pkgimport.importers.pypi._wheel import (
    InstalledPayload,
    check_identity,
    check_wheel,
    install_wheel,
    parse_metadata,
    read_wheel_metadata,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from packaging.metadata import Metadata

    from pkgimport.importers.pypi._cache import DownloadCache
    from pkgimport.importers.pypi._index import DistFile, Index
    from pkgimport.importers.pypi._target import TargetPlatform

__all__ = ["ImportPlan", "PlannedPackage", "PypiImporter", "RepositoryView", "parse_requests"]

Status = Literal["new", "new variant", "reused"]


class RepositoryView(Protocol):
    """What the importer reads of the repository (FilesystemRepository and views have it)."""

    def iter_versions(self, family: str) -> Iterator[str]:
        """Versions of *family* in the repository."""
        ...

    def load(self, family: str, version: str) -> PackageDefinition:
        """Return the full definition of one package."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedPackage:
    """One package version of the plan, with what happens per target."""

    definition: PackageDefinition
    """The definition with the variants this import adds (all targets' variants for new)."""
    project: str
    version: str
    """PEP 440 version."""
    files: dict[TargetPlatform, ChosenFile]
    dists: dict[TargetPlatform, DistFile]
    status: dict[TargetPlatform, Status]
    variant_index: dict[TargetPlatform, int]
    extra_variants: tuple[int, ...] = ()
    """Variants of a pure wheel for the Pythons of no target (its other python ranges),
    written with the same payload; only those whose requirements this import or the repository
    has (docs/pypi-variants.md)."""
    withheld: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Other variants not written now, with the requirements nothing here satisfies."""

    @property
    def is_reused(self) -> bool:
        """Every target already has its variant in the repository, and nothing is added."""
        return all(s == "reused" for s in self.status.values()) and not self.extra_variants


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportPlan:
    """What an import will do; the input of :meth:`PypiImporter.fetch` and ``build``."""

    targets: tuple[TargetPlatform, ...]
    packages: tuple[PlannedPackage, ...]
    requested: tuple[str, ...]
    notes: tuple[str, ...] = ()
    """Things the user should know (extras to request, pre-releases)."""
    warnings: tuple[str, ...] = ()
    """Things the user should check (pre-releases sort above finals in rez)."""
    hashes: AllowedHashes = field(default_factory=AllowedHashes)
    """Hash-checking mode: what every file fetched must match."""

    def to_json(self) -> dict[str, object]:
        """Return a JSON-ready summary (``--json``)."""
        return {
            "targets": [str(t) for t in self.targets],
            "requested": list(self.requested),
            "packages": [
                {
                    "name": p.definition.name,
                    "version": p.definition.version,
                    "project": p.project,
                    "status": "reused"
                    if p.is_reused
                    else ("new" if all(s == "new" for s in p.status.values()) else "new variant"),
                    "targets": {
                        str(t): {
                            "status": p.status[t],
                            "file": p.files[t].filename,
                            "variant": list(p.definition.variants[p.variant_index[t]])
                            if p.definition.variants
                            else None,
                        }
                        for t in p.files
                    },
                    "extra_variants": [list(p.definition.variants[i]) for i in p.extra_variants],
                    "withheld_variants": [
                        {"variant": list(p.definition.variants[i]), "missing": list(missing)}
                        for i, missing in sorted(p.withheld.items())
                    ],
                }
                for p in self.packages
            ],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def parse_requests(items: Iterable[str]) -> tuple[list[Requirement], list[Path]]:
    """Split command-line items into PEP 508 requirements and local wheel files.

    A folder stands for every wheel in it. A wheel or sdist file (``.tar.gz``, ``.zip``)
    becomes ``name==version`` and is offered to the resolver next to the index.

    :raises InvalidRequirement: an item is neither (quoted in the message).
    """
    reqs: list[Requirement] = []
    local: list[Path] = []
    for item in items:
        path = Path(item)
        # Like pip: a bare word is a project name even if a folder of that name exists here.
        looks_like_path = "/" in item or os.sep in item or item.startswith(".")
        if item.endswith(_SDIST_SUFFIXES) and looks_like_path:
            try:
                name, version = parse_sdist_filename(path.name)
            except InvalidSdistFilename as exc:
                raise with_hint(
                    InvalidRequirement(f"sdist file {item!r}: {exc}"),
                    "an sdist's file name is name-version.tar.gz (or .zip)",
                ) from None
            if not path.is_file():
                raise InvalidRequirement(f"no sdist file at {item!r}")
            reqs.append(Requirement(f"{name}=={version}"))
            local.append(path.resolve())
            continue
        if item.endswith(".whl") or (looks_like_path and path.is_dir()):
            wheels = sorted(path.glob("*.whl")) if path.is_dir() else [path]
            if not all(w.is_file() for w in wheels) or not wheels:
                raise InvalidRequirement(f"no wheel file at {item!r}")
            for wheel in wheels:
                try:
                    name, version, _, _ = parse_wheel_filename(wheel.name)
                except InvalidWheelFilename as exc:
                    raise with_hint(
                        InvalidRequirement(f"wheel file {str(wheel)!r}: {exc}"),
                        "a wheel's file name is name-version(-build)-python-abi-platform.whl",
                    ) from None
                reqs.append(Requirement(f"{name}=={version}"))
                local.append(wheel.resolve())
            continue
        try:
            reqs.append(Requirement(item))
        except PEP508InvalidRequirement as exc:
            raise with_hint(
                InvalidRequirement(f"invalid requirement {item!r}: {exc}"),
                "use PEP 508 syntax, e.g. 'requests[socks]>=2', or a path to a wheel",
            ) from None
    return reqs, local


_SDIST_SUFFIXES = (".tar.gz", ".zip")


@dataclass
class _MetadataCache:
    """Core metadata per file URL, fetched once per run however many threads ask."""

    importer: PypiImporter
    entries: OnceMap[Metadata] = field(default_factory=OnceMap)

    def __call__(self, dist: DistFile, target: TargetPlatform) -> Metadata:
        key = dist.url if dist.is_wheel else f"{dist.url}#{target.is_host}"
        return self.entries.get(key, lambda: self.importer.read_metadata(dist, target))


class PypiImporter:
    """Import PyPI distributions for one or more targets.

    :param index: the indexes and find-links (user's pip configuration).
    :param cache: downloads, metadata, built wheels and installed trees, by content hash.
    :param workers: parallel downloads, installs and metadata prefetches.
    :param pre: allow pre-releases without a pin.
    :param no_deps: import only what is named.
    :param force: resolve from the indexes alone: versions already in the repository are
        not preferred (variants already there are still kept as they are).
    :param formats: pip's ``--no-binary`` / ``--only-binary``.
    :param prefer_binary: pip's ``--prefer-binary``.
    :param reporter: told of the progress of every phase (:mod:`._reporter`); no-op default.
    """

    def __init__(
        self,
        index: Index,
        cache: DownloadCache,
        *,
        workers: int = 8,
        pre: bool = False,
        no_deps: bool = False,
        force: bool = False,
        formats: FormatControl | None = None,
        prefer_binary: bool = False,
        reporter: ImportReporter | None = None,
    ) -> None:
        self.index = index
        self.cache = cache
        self.workers = workers
        self.pre = pre
        self.no_deps = no_deps
        self.force = force
        self.formats = formats or FormatControl()
        self.prefer_binary = prefer_binary
        self.reporter = reporter or ImportReporter()
        self.metadata = _MetadataCache(self)
        self._built: dict[str, Path] = {}

    # -- metadata ------------------------------------------------------------------------------

    def read_metadata(self, dist: DistFile, target: TargetPlatform) -> Metadata:
        """Core metadata of *dist*: PEP 658 file, else the wheel, else the sdist.

        :raises NoCompatibleDistribution: an sdist for a foreign target whose PKG-INFO does
            not state its dependencies statically.
        :raises InvalidWheel: the metadata is invalid, or names another project or version
            than the wheel's file name.
        """
        if dist.is_wheel and dist.has_metadata:
            data = self.cache.get_blob("metadata", dist.metadata_sha256)
            if data is None:
                data = self.index.fetch_metadata(dist)
                self.cache.put_blob("metadata", dist.metadata_sha256, data)
            context = f"wheel {dist.filename} METADATA (the index's PEP 658 copy)"
            metadata = parse_metadata(data, context)
            check_identity(str(metadata.name), str(metadata.version), dist.filename, context)
            return metadata
        path = self.cache.fetch(dist, self.index)
        if dist.is_wheel:
            return read_wheel_metadata(path)
        if target.is_host:
            return read_wheel_metadata(self.built_wheel(dist, path))
        data = read_sdist_pkg_info(path)
        if data is None:
            raise with_hint(
                NoCompatibleDistribution(
                    f"{dist.filename}: no wheel for {target}, and its dependencies are only "
                    "known by building it, which is only possible for this machine"
                ),
                "import it for this machine's target, or pick a version with wheels",
            )
        return parse_metadata(data, f"{dist.filename}: PKG-INFO")

    def built_wheel(self, dist: DistFile, sdist: Path) -> Path:
        """Return the host wheel built from *sdist* (cached by the sdist's content)."""
        digest = dist.sha256 or sha256_of(sdist)
        out_dir = self.cache.root / "built" / digest
        if any(out_dir.glob("*.whl")):
            wheel = build_wheel(sdist, out_dir)  # built before: returned at once
        else:
            self.reporter.phase_started("build", 1)
            self.reporter.item_started("build", dist.filename)
            try:
                wheel = build_wheel(sdist, out_dir)
            finally:
                self.reporter.item_finished("build", dist.filename)
                self.reporter.phase_finished("build")
        self._built[dist.url] = wheel
        return wheel

    # -- plan ----------------------------------------------------------------------------------

    def plan(
        self,
        requests: Sequence[str],
        targets: Sequence[TargetPlatform],
        repository: RepositoryView,
        *,
        constraints: Sequence[Requirement] = (),
        hashes: AllowedHashes | None = None,
        names: FamilyNames | None = None,
    ) -> ImportPlan:
        """Resolve *requests* for every target and decide what is new.

        :param constraints: pip's ``-c``: versions a project must have if it is imported.
        :param hashes: hash-checking mode (pip's ``--hash``): every project of every closure
            must have hashes, its files are chosen and checked by them.
        :param names: the spelling map (families the repositories already have, ``--naming``);
            it names the families and the requirements on them, and the plan says so.
        :raises ResolveError, NoCompatibleDistribution, InvalidRequirement: see the modules.
        :raises HashesRequired: hash-checking mode, and projects without hashes (all named).
        """
        hashes = hashes or AllowedHashes()
        names = names or FamilyNames()
        reqs, local = parse_requests(requests)
        for wheel in local:
            self.index.add_local(wheel)

        def prefer(name: str) -> set[str]:
            if self.force:
                return set()
            try:
                return set(repository.iter_versions(family_name(name, names)))
            except Exception:  # noqa: BLE001 - an unreadable family is simply not reused
                return set()

        # Targets resolve side by side; prefetching workers fetch pages and metadata ahead.
        def resolve(target: TargetPlatform) -> Closure:
            self.reporter.item_started("resolve", str(target))
            try:
                return resolve_closure(
                    reqs,
                    target,
                    self.index,
                    self.metadata,
                    prefer=prefer,
                    pre=self.pre,
                    no_deps=self.no_deps,
                    prefetch=prefetch,
                    constraints=constraints,
                    formats=self.formats,
                    hashes=hashes,
                    prefer_binary=self.prefer_binary,
                    reporter=self.reporter,
                )
            finally:
                self.reporter.item_finished("resolve", str(target))

        prefetch = ThreadPoolExecutor(max_workers=self.workers)
        self.reporter.phase_started("resolve", len(targets))
        try:
            with ThreadPoolExecutor(max_workers=max(1, len(targets))) as per_target:
                closures = list(per_target.map(resolve, targets))
        finally:
            # Guesses nobody needs any more are dropped, not waited for.
            prefetch.shutdown(wait=True, cancel_futures=True)
            self.reporter.phase_finished("resolve")
        if hashes.required:
            _check_hashes_given(closures, hashes)
        if names.naming == "rez-pip":
            # rez-pip spells a family as its project's METADATA does: know them all first.
            names = names.with_projects(
                str(self.metadata(c.dist, closure.target).name)
                for closure in closures
                for c in closure.pins.values()
            )
        packages = self._group(closures, repository, names)
        notes = [
            *_spelling_notes(packages, names),
            *self._notes(reqs, closures, names),
            *_range_notes(packages),
        ]
        return ImportPlan(
            targets=tuple(targets),
            packages=tuple(packages),
            requested=tuple(requests),
            notes=tuple(notes),
            hashes=hashes,
            warnings=tuple(
                f"{p.definition.qualified_name} is a pre-release: rez sorts it above "
                f"{p.definition.name}-{Version(p.version).base_version}, so an unpinned request "
                "may pick it"
                for p in packages
                if Version(p.version).is_prerelease
            ),
        )

    def _group(
        self, closures: Sequence[Closure], repository: RepositoryView, names: FamilyNames
    ) -> list[PlannedPackage]:
        grouped: dict[tuple[str, str], list[tuple[TargetPlatform, Candidate]]] = {}
        for closure in closures:
            for name, cand in closure.pins.items():
                grouped.setdefault((name, str(cand.version)), []).append((closure.target, cand))
        by_target = {c.target: c for c in closures}
        pinned: dict[str, set[str]] = {}
        for closure in closures:
            for cand in closure.pins.values():
                try:
                    rez_version = convert_version(str(cand.version))
                except InvalidVersion:  # refused with its name below, when it is converted
                    continue
                pinned.setdefault(family_name(cand.name, names), set()).add(rez_version)
        out = []
        for (_, version), entries in sorted(grouped.items()):
            # Each target reads the metadata of its own file: a version's wheels for different
            # platforms may list different requirements.
            metas = [self.metadata(c.dist, t) for t, c in entries]
            meta = metas[0]
            base = [str(r) for r in _requires(meta)]
            chosen = []
            for (t, c), own_meta in zip(entries, metas, strict=True):
                file = self._chosen(t, c, own_meta, by_target[t], names)
                own = [str(r) for r in _requires(own_meta)]
                chosen.append(file if own == base else replace(file, requires_dist=tuple(own)))
            try:
                definition, index = make_definition(meta, chosen, names)
            except (InvalidRequirement, InvalidVersion) as exc:
                # Name the distribution: the message names the requirement or version.
                raise type(exc)(f"{chosen[0].filename}: {exc}", hint=exc.hint) from None
            status = self._status(definition, index, repository)
            extra, withheld = _other_ranges(definition, index, repository, pinned)
            out.append(
                PlannedPackage(
                    definition=definition,
                    project=str(meta.name),
                    version=version,
                    files={c.target: c for c in chosen},
                    dists={t: c.dist for t, c in entries},
                    status=status,
                    variant_index=index,
                    extra_variants=extra,
                    withheld=withheld,
                )
            )
        return out

    def _chosen(
        self,
        target: TargetPlatform,
        cand: Candidate,
        meta: Metadata,
        closure: Closure,
        names: FamilyNames,
    ) -> ChosenFile:
        # Requirements on extras of other projects (foo[bar]) become requirements on what those
        # extras pull in, so the rez package needs the same things pip would install.
        extra_requires: list[str] = []
        for req in requirements_for(_requires(meta), target):
            dep = closure.pins.get(normalize_name(req.name))
            if req.extras and dep is not None:
                dep_meta = self.metadata(dep.dist, target)
                base = {str(r) for r in requirements_for(_requires(dep_meta), target)}
                extra_requires.extend(
                    convert_requirement(extra_req, names)
                    for extra_req in requirements_for(_requires(dep_meta), target, req.extras)
                    if str(extra_req) not in base
                )
        built = self._built.get(cand.dist.url) if not cand.dist.is_wheel else None
        return ChosenFile(
            target=target,
            # A wheel built here from an sdist decides the variant by its own tags.
            filename=built.name if built is not None else cand.dist.filename,
            built_from=cand.dist.filename if built is not None else None,
            url=cand.dist.url,
            sha256=cand.dist.sha256,
            upload_time=cand.dist.upload_time,
            extra_requires=tuple(sorted(set(extra_requires))),
        )

    def _status(
        self,
        definition: PackageDefinition,
        index: dict[TargetPlatform, int],
        repository: RepositoryView,
    ) -> dict[TargetPlatform, Status]:
        try:
            exists = definition.version in set(repository.iter_versions(definition.name))
        except Exception:  # noqa: BLE001 - unreadable: treated as absent, the commit decides
            exists = False
        if not exists:
            return dict.fromkeys(index, "new")
        installed = repository.load(definition.name, definition.version)
        if "pypi" not in installed.metadata:
            # Made by another tool (rez-pip, rez-bind, by hand): use it as it is, never merge
            # variants of another layout into it (rez-pip#127).
            return dict.fromkeys(index, "reused")
        out: dict[TargetPlatform, Status] = {}
        for target, i in index.items():
            if not definition.variants:
                present = not installed.variants
            else:
                present = definition.variants[i] in set(installed.variants)
            out[target] = "reused" if present else "new variant"
        return out

    def _notes(
        self, reqs: Sequence[Requirement], closures: Sequence[Closure], names: FamilyNames
    ) -> list[str]:
        notes = []
        for req in reqs:
            if req.extras:
                family = family_name(req.name, names)
                extra_pins: set[str] = set()
                for closure in closures:
                    pin = closure.pins.get(normalize_name(req.name))
                    if pin is None:
                        continue
                    meta = self.metadata(pin.dist, closure.target)
                    base = {str(r) for r in requirements_for(_requires(meta), closure.target)}
                    extra_pins.update(
                        family_name(r.name, names)
                        for r in requirements_for(_requires(meta), closure.target, req.extras)
                        if str(r) not in base
                    )
                if extra_pins:
                    notes.append(
                        f"extras [{','.join(sorted(req.extras))}] of {family}: request "
                        f"{' '.join([family, *sorted(extra_pins)])} to get them"
                    )
        return notes

    # -- act -----------------------------------------------------------------------------------

    def _wanted(self, plan: ImportPlan) -> dict[str, tuple[DistFile, TargetPlatform]]:
        wanted: dict[str, tuple[DistFile, TargetPlatform]] = {}
        for package in plan.packages:
            for target, status in package.status.items():
                if status != "reused" or (package.extra_variants and target == _first(package)):
                    dist = package.dists[target]
                    wanted.setdefault(dist.url, (dist, target))
        return wanted

    def to_download(self, plan: ImportPlan) -> int:
        """Count the files of the plan that are neither local nor in the download cache."""
        return sum(
            1
            for dist, _ in self._wanted(plan).values()
            if not dist.url.startswith("file:") and self.cache.cached(dist) is None
        )

    def fetch(self, plan: ImportPlan) -> dict[str, Path]:
        """Download (or build) every file the plan installs, in parallel; URL → local wheel.

        In hash-checking mode every file must have one of its project's allowed hashes.

        :raises InvalidWheel: a file does not match the index's sha256, or its hashes.
        """
        wanted = self._wanted(plan)
        reporter = self.reporter
        projects = {d.url: p.project for p in plan.packages for d in p.dists.values()}

        def get(item: tuple[DistFile, TargetPlatform]) -> tuple[str, Path]:
            dist, _target = item
            started = False

            def on_start(size: int | None) -> None:
                nonlocal started
                started = True
                reporter.item_started("download", dist.filename, size)

            try:
                path = self.cache.fetch(
                    dist,
                    self.index,
                    lambda n: reporter.item_advanced("download", dist.filename, n),
                    on_start=on_start,
                )
            finally:
                if started:
                    reporter.item_finished("download", dist.filename)
            if plan.hashes.required:
                _check_file_hashes(dist, path, projects[dist.url], plan.hashes)
            if not dist.is_wheel:
                path = self.built_wheel(dist, path)
            return dist.url, path

        reporter.phase_started("download", self.to_download(plan))
        try:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                return dict(pool.map(get, wanted.values()))
        finally:
            reporter.phase_finished("download")

    def build(self, plan: ImportPlan, files: dict[str, Path]) -> list[ImportedPackage]:
        """Check and install every new variant's wheel; return packages for the transaction.

        :raises InvalidWheel: a wheel is corrupt or unsafe (names it).
        """
        jobs = [
            (package, [t for t, s in package.status.items() if s != "reused"])
            for package in plan.packages
        ]
        jobs = [(package, new) for package, new in jobs if new or package.extra_variants]

        def build_one(job: tuple[PlannedPackage, list[TargetPlatform]]) -> ImportedPackage:
            name = job[0].definition.qualified_name
            self.reporter.item_started("install", name)
            try:
                return self._build_one(job[0], job[1], files)
            finally:
                self.reporter.item_finished("install", name)

        # Unzipping and writing release the GIL: install the packages side by side.
        self.reporter.phase_started("install", len(jobs))
        try:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                return list(pool.map(build_one, jobs))
        finally:
            self.reporter.phase_finished("install")

    def _payload(self, wheel: Path, digest: str) -> InstalledPayload:
        """Return the installed tree of *wheel*, from the payload cache or installed now.

        Installed trees are kept by the wheel's sha256 (the transaction hard-links them into
        the repository, or copies them across filesystems), so a warm import unpacks nothing.
        """
        cached = self.cache.get_payload(digest)
        if cached is not None:
            return cached
        # The download was checked against the index's sha256 when it was fetched;
        # install_wheel checks every member against RECORD as it writes it.
        check_wheel(wheel, contents=False)
        scratch = self.cache.payload_scratch()
        try:
            return self.cache.put_payload(digest, install_wheel(wheel, scratch / "root"))
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise

    def _build_one(
        self, package: PlannedPackage, targets: Sequence[TargetPlatform], files: dict[str, Path]
    ) -> ImportedPackage:
        definition = package.definition
        keep = sorted({package.variant_index[t] for t in targets} | set(package.extra_variants))
        installed: dict[str, Path] = {}
        payloads: dict[int, Path] = {}
        tools: set[str] = set()
        dll_dirs: set[str] = set()
        for new_index, old_index in enumerate(keep):
            # A pure wheel's other python ranges share the payload of its first target.
            target = next(
                (t for t in targets if package.variant_index[t] == old_index), _first(package)
            )
            dist = package.dists[target]
            wheel = files[dist.url]
            if dist.url not in installed:
                digest = dist.sha256 if wheel.name == dist.filename and dist.sha256 else None
                payload = self._payload(wheel, digest or sha256_of(wheel))
                tools.update(payload.tools)
                dll_dirs.update(payload.dll_dirs)
                installed[dist.url] = payload.root
            payloads[new_index] = installed[dist.url]
        variants = tuple(definition.variants[i] for i in keep) if definition.variants else ()
        definition = with_scripts(
            definition.evolve(variants=variants), sorted(tools), sorted(dll_dirs)
        )
        return ImportedPackage(definition=definition, payloads=payloads)


def _requires(meta: Metadata) -> list[Requirement]:
    return requires_dist(meta)


def _first(package: PlannedPackage) -> TargetPlatform:
    return next(iter(package.dists))


def _other_ranges(
    definition: PackageDefinition,
    index: dict[TargetPlatform, int],
    repository: RepositoryView,
    pinned: dict[str, set[str]],
) -> tuple[tuple[int, ...], dict[int, tuple[str, ...]]]:
    """Split the variants of no target into those to write now and those withheld.

    Such a variant (a pure wheel's other python range) is written only when everything it
    adds is in this import's closures or in the repository, at a version in range: rez stops a
    resolve at a variant requiring a family it cannot find (``error_on_missing_variant_
    requires``), and one whose requirements are missing serves nobody.
    """
    from pkgimport.resolver.requirements import Requirement as RezRequirement  # noqa: PLC0415
    from pkgimport.resolver.versions import Version as RezVersion  # noqa: PLC0415

    others = [i for i in range(len(definition.variants)) if i not in set(index.values())]
    if not others:
        return (), {}
    try:
        exists = definition.version in set(repository.iter_versions(definition.name))
        installed = repository.load(definition.name, definition.version) if exists else None
    except Exception:  # noqa: BLE001 - unreadable: treated as absent, the commit decides
        installed = None
    if installed is not None and "pypi" not in installed.metadata:
        return (), {}  # another tool's package: used as it is (see _status)
    present = set(installed.variants) if installed is not None else set()

    def available(text: str) -> bool:
        req = RezRequirement(text)
        versions = set(pinned.get(req.name, ()))
        # An unreadable family is simply not there.
        with contextlib.suppress(Exception):
            versions.update(repository.iter_versions(req.name))
        return any(req.range is None or RezVersion(v) in req.range for v in versions)

    extra: list[int] = []
    withheld: dict[int, tuple[str, ...]] = {}
    for i in others:
        variant = definition.variants[i]
        if variant in present:
            continue
        missing = tuple(
            r
            for r in variant
            if not r.startswith(("platform-", "arch-", "python")) and not available(r)
        )
        if missing:
            withheld[i] = missing
        else:
            extra.append(i)
    return tuple(extra), withheld


def _range_notes(packages: Sequence[PlannedPackage]) -> list[str]:
    """Say which other python ranges are written, sharing the payload, and which are not."""
    out = []
    for p in packages:
        variants = p.definition.variants
        if p.extra_variants:
            listed = ", ".join(str(list(variants[i])) for i in p.extra_variants)
            out.append(
                f"{p.definition.qualified_name}: also writes {listed} (the same pure wheel, "
                "for the other Pythons it supports)"
            )
        for i, missing in sorted(p.withheld.items()):
            out.append(
                f"{p.definition.qualified_name}: no variant {list(variants[i])} yet: "
                f"{', '.join(missing)} is neither in this import nor in the repository; "
                "import it, then this package again, to add it"
            )
    return out


def _spelling_notes(packages: Sequence[PlannedPackage], names: FamilyNames) -> list[str]:
    """Say which families keep a repository's spelling, and where one project has several."""
    out = []
    for key in sorted({normalize_name(p.project) for p in packages}):
        family = names.existing.get(key)
        if family is None or family == key.replace("-", "_"):
            continue
        out.append(
            f"{key}: family {family!r} as in {names.origins[key]} (requirements on it too), "
            f"instead of {key.replace('-', '_')!r}"
        )
    for key in sorted({normalize_name(p.project) for p in packages} & set(names.conflicts)):
        spellings = ", ".join(repr(f) for f in names.conflicts[key])
        out.append(
            f"{key}: the repositories already have several families for it ({spellings}); "
            f"this import uses {names.existing[key]!r}"
        )
    return out


class HashesRequired(NoCompatibleDistribution):
    """Hash-checking mode, and projects of the closure have no ``--hash`` (pip refuses too)."""


def _check_hashes_given(closures: Sequence[Closure], hashes: AllowedHashes) -> None:
    """Refuse hash-checking mode with projects that no line gives hashes for, naming them all.

    Like pip, with the lines to add: the hash the index gives for each file chosen.
    """
    missing: dict[str, set[str]] = {}
    for closure in closures:
        for name, cand in closure.pins.items():
            if hashes.of(name) is None:
                line = f"{cand.name}=={cand.version}"
                digest = cand.dist.sha256
                missing.setdefault(line, set()).add(
                    f"--hash=sha256:{digest}" if digest else "(the index gives no sha256)"
                )
    if missing:
        lines = [f"{line} {' '.join(sorted(h))}" for line, h in sorted(missing.items())]
        raise with_hint(
            HashesRequired(
                "hash-checking mode (a requirement has --hash, or --require-hashes), but no "
                "hashes for: " + "; ".join(lines)
            ),
            "add these lines (after checking the hashes) to the requirement or constraint "
            "files, as pip requires",
        )


def _check_file_hashes(dist: DistFile, path: Path, project: str, hashes: AllowedHashes) -> None:
    """Refuse a file whose hashes are none of *project*'s ``--hash`` values."""
    allowed = hashes.of(project) or frozenset()
    actual = file_hashes(path, {h.partition(":")[0] for h in allowed} or {"sha256"})
    if not actual & allowed:
        got = sorted(h for h in actual if h.startswith("sha256:")) or sorted(actual)
        raise with_hint(
            InvalidWheel(
                f"{dist.filename}: hash {got[0]} is not one the requirements allow "
                f"({', '.join(sorted(allowed)) or 'none'})"
            ),
            "the file is not the one the requirement files were written for: check the "
            "index, or update the --hash values",
        )
