"""``pkgimport pypi``: import PyPI projects (and their closure) as rez packages."""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport import settings
from pkgimport.errors import PkgImportError

# Every command module is imported to build the parser: the importer, requests, the solver
# and the repository are imported when the command runs, not at every pkgimport start.
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import requests

    from pkgimport._cli._ui import UI
    from pkgimport.definition import ImportedPackage, PackageDefinition
    from pkgimport.importers.pypi import ImportPlan, Index, TargetPlatform
    from pkgimport.repository._transaction import TransactionView
    from pkgimport.repository.base import AddResult
    from pkgimport.repository.filesystem import FilesystemRepository
    from pkgimport.resolver.provider import PackageData

__all__ = ["register", "run"]

_EPILOG = """\
examples:
  pkgimport pypi sqlalchemy                          the host's Python, platform and arch
  pkgimport pypi 'black==24.4.2' 'requests[socks]>=2'
  pkgimport pypi click --platform windows --arch AMD64 --python 3.11
  pkgimport pypi -r requirements.txt --python 3.10 --python 3.11 --dry-run
  pkgimport pypi ./dist/mytool-1.0-py3-none-any.whl

indexes, find-links, certificates and credentials come from your pip configuration
(pip config list, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, ~/.netrc).

project pages of http(s) indexes are kept in the user cache: one younger than
PKGIMPORT_INDEX_MAX_AGE seconds (default 600, PyPI's own max-age; never longer than the
index's Cache-Control allows) is used without asking the index, an older one is revalidated
(ETag / Last-Modified) or fetched again. --refresh asks the index for every page.
"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``pypi`` subcommand to *sub*."""
    parser = sub.add_parser(
        "pypi",
        parents=[common],
        help="import PyPI projects and their dependencies as rez packages",
        description="Resolve the requirements for every target (python x platform x arch), "
        "then import what is missing into the repository, all or nothing.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "requirements",
        nargs="*",
        metavar="REQUIREMENT",
        help="PEP 508 requirement, wheel file, or folder of wheels",
    )
    parser.add_argument(
        "-r",
        "--requirement",
        dest="files",
        action="append",
        default=[],
        metavar="FILE",
        help="read requirements from FILE (one per line)",
    )
    parser.add_argument(
        "--python",
        action="append",
        metavar="X.Y",
        help="target Python version (repeatable; default: this interpreter)",
    )
    parser.add_argument(
        "--platform",
        action="append",
        choices=("linux", "windows", "osx"),
        help="target platform (repeatable; default: this machine)",
    )
    parser.add_argument(
        "--arch",
        action="append",
        metavar="ARCH",
        help="target architecture: x86_64, aarch64, AMD64, x86, ARM64, arm64",
    )
    parser.add_argument("--no-deps", action="store_true", help="import only what is named")
    parser.add_argument("--pre", action="store_true", help="allow pre-releases")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan; download no payload, write nothing"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="resolve from the indexes alone, newest versions first, instead of preferring "
        "versions already in the repository (existing variants are never overwritten)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="ask the indexes for every project page, even one cached less than "
        "PKGIMPORT_INDEX_MAX_AGE seconds ago (same as PKGIMPORT_INDEX_MAX_AGE=0)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--jobs", type=int, default=8, metavar="N", help="parallel downloads")
    parser.set_defaults(run=run)


def _read_requirement_files(files: list[str]) -> list[str]:
    out = []
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise PkgImportError(f"cannot read requirements file {name!r}: {exc}") from None
        for raw in text.splitlines():
            line = raw.split(" #")[0].strip()
            if line and not line.startswith(("#", "-")):
                out.append(line)
    return out


def _targets(args: argparse.Namespace) -> list[TargetPlatform]:
    from pkgimport.importers.pypi import TargetPlatform  # noqa: PLC0415 - see the imports

    pythons = args.python or [None]
    platforms = args.platform or [None]
    arches = args.arch or [None]
    out: list[TargetPlatform] = []
    for py, plat, arch in itertools.product(pythons, platforms, arches):
        target = TargetPlatform.create(python=py, platform=plat, arch=arch)
        if target not in out:
            out.append(target)
    return out


def _index(ui: UI, cache_root: Path, *, refresh: bool) -> Index:
    from pkgimport.importers.pypi import Index, read_pip_config  # noqa: PLC0415
    from pkgimport.importers.pypi._pages import PageCache, max_age_from_env  # noqa: PLC0415

    try:
        max_age = 0.0 if refresh else max_age_from_env()
    except ValueError as exc:
        raise PkgImportError(str(exc), hint="set it to a number of seconds, or unset it") from None
    options = read_pip_config()

    def make_session() -> requests.Session:
        # Made on first use: a warm import may ask the network nothing (no requests import).
        import requests  # noqa: PLC0415 - see the imports

        session = requests.Session()
        if options.cert:
            session.verify = options.cert
        if options.client_cert:
            session.cert = options.client_cert
        return session

    index = Index(
        options.index_urls,
        options.find_links,
        make_session=make_session,
        timeout=options.timeout,
        pages=PageCache(cache_root, max_age=max_age),
    )
    ui.debug(f"indexes: {index.describe()}; project pages cached for {max_age:g}s")
    return index


def _print_plan(plan: ImportPlan, ui: UI, *, title: str) -> None:
    from rich.table import Table  # noqa: PLC0415 - see the imports

    table = Table(title=title, title_justify="left")
    for column in ("package", "project", "target", "status", "file"):
        table.add_column(column, overflow="fold")
    for package in plan.packages:
        for target, status in package.status.items():
            table.add_row(
                package.definition.qualified_name,
                package.project,
                str(target),
                status,
                package.files[target].filename,
            )
    ui.table(table)
    for note in plan.notes:
        ui.info(f"note: {note}")
    for warning in plan.warnings:
        ui.warn(warning)


def _bind_host(
    plan: ImportPlan, repo: FilesystemRepository, workdir: Path, ui: UI
) -> list[ImportedPackage]:
    """Return the host's platform/arch/os/python packages the repository lacks.

    Only when a host target is imported: rez resolves nothing that requires ``python`` (or a
    ``platform-linux`` variant) without them.
    """
    from pkgimport.bind import bind_arch, bind_os, bind_platform, bind_python  # noqa: PLC0415
    from pkgimport.definition import ImportedPackage  # noqa: PLC0415
    from pkgimport.platform_ import host_system  # noqa: PLC0415

    host_targets = [t for t in plan.targets if t.is_host]
    if not host_targets:
        return []
    host = host_system()
    out = [
        ImportedPackage(definition=definition)
        for definition in (bind_platform(host), bind_arch(host), bind_os(host))
        if definition.version not in set(repo.iter_versions(definition.name))
    ]
    target = host_targets[0]
    pythons = list(repo.iter_versions("python"))
    if not any(
        v == target.python_version or v.startswith(target.python_version + ".") for v in pythons
    ):
        workdir.mkdir(parents=True, exist_ok=True)
        out.append(bind_python(workdir=workdir, host=host))
    for pkg in out:
        ui.info(
            f"binding {pkg.definition.qualified_name} (this machine), which the new packages need"
        )
    return out


class _TargetProvider:
    """The staged repository; for a foreign target, stand-ins replace the system families.

    The host's bound ``python`` (``platform-linux`` variant) cannot serve a Windows target,
    so ``platform``, ``arch``, ``os`` and ``python`` are answered from *system* only, when
    *system* is given.
    """

    def __init__(self, view: TransactionView, system: Iterable[PackageDefinition]) -> None:
        self.view = view
        self.system = {(d.name, d.version): d for d in system}
        self.system_families = {"platform", "arch", "os", "python"} if self.system else set()

    def iter_versions(self, family: str) -> Iterator[str]:
        if family in self.system_families:
            return iter([v for n, v in self.system if n == family])
        return iter(list(self.view.iter_versions(family)))

    def get_package(self, family: str, version: str) -> PackageData:
        from pkgimport.repository.provider import package_data  # noqa: PLC0415
        from pkgimport.resolver.provider import PackageData  # noqa: PLC0415

        if family in self.system_families:
            definition = self.system[(family, version)]
            return PackageData(name=family, version=version, requires=definition.requires)
        record = self.view.get_record(family, version)
        if record is None:
            raise PkgImportError(f"package {family}-{version} vanished during verification")
        return package_data(record)

    def has_family(self, family: str) -> bool:
        if family in self.system_families:
            return any(n == family for n, _ in self.system)
        return self.view.has_family(family)

    def describe_search_path(self) -> str:
        return self.view.location


def _verify(plan: ImportPlan, view: TransactionView, ui: UI) -> None:
    """Resolve every new package for each of its new targets, before anything is committed.

    :raises PkgImportError: a package does not resolve (the transaction then rolls back).
    """
    from pkgimport.definition import PackageDefinition  # noqa: PLC0415 - see the imports
    from pkgimport.resolver.solver import Solver  # noqa: PLC0415

    for target in plan.targets:
        system: list[PackageDefinition] = []
        if not target.is_host:
            system = [
                PackageDefinition(name="platform", version=target.platform),
                PackageDefinition(name="arch", version=target.arch),
                PackageDefinition(name="python", version=f"{target.python_version}.0"),
            ]
        solver = Solver(_TargetProvider(view, system))
        for package in plan.packages:
            if package.status.get(target, "reused") == "reused":
                continue
            definition = package.definition
            request = [
                f"{definition.name}=={definition.version}",
                f"~platform=={target.platform}",
                f"~arch=={target.arch}",
                f"~python-{target.python_version}",
            ]
            resolution = solver.solve(request)
            if not resolution.is_solved:
                raise PkgImportError(
                    f"verification failed: {definition.qualified_name} does not resolve for "
                    f"{target}: {resolution.failure_description}",
                    hint="nothing was written; report this with the command line you ran",
                )
            ui.debug(f"verified {definition.qualified_name} for {target}")


def run(args: argparse.Namespace, ui: UI) -> int:
    """Run ``pkgimport pypi``."""
    items = list(args.requirements) + _read_requirement_files(args.files)
    if not items:
        raise PkgImportError("nothing to import", hint="name a project, e.g. pkgimport pypi six")
    from pkgimport.importers.pypi import DownloadCache, PypiImporter  # noqa: PLC0415
    from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415

    targets = _targets(args)
    repo = FilesystemRepository(settings.repo_path(args.repo))
    if not args.dry_run:
        # Complete any import a dead writer decided, so the plan sees its packages.
        ui.recovery(repo.recover())
    clock = _Clock(ui)
    import tempfile  # noqa: PLC0415 - every command's parser imports this module

    with tempfile.TemporaryDirectory(prefix="pkgimport-pypi-") as tmp:
        cache = DownloadCache()
        importer = PypiImporter(
            _index(ui, cache.root, refresh=args.refresh),
            cache,
            workers=max(1, args.jobs),
            pre=args.pre,
            no_deps=args.no_deps,
            force=args.force,
        )
        # 1. Plan: per-target closures from metadata only.
        ui.info(f"resolving for {', '.join(map(str, targets))}")
        plan = importer.plan(items, targets, repo)
        counts = importer.index.page_counts
        if counts["stored"]:
            # Never silently: say that the index was not asked, and how to make it.
            age = importer.index.oldest_stored_age()
            ui.info(
                f"{counts['stored']} project page(s) from the cache (fetched up to {age:.0f}s "
                "ago, PKGIMPORT_INDEX_MAX_AGE); --refresh asks the index again"
            )
        clock.lap(
            f"resolved (project pages: {counts['stored']} cached, {counts['revalidated']} "
            f"revalidated, {counts['downloaded']} downloaded)"
        )
        if args.dry_run:
            if args.json:
                ui.json({"dry_run": True, **plan.to_json()})
            else:
                _print_plan(plan, ui, title="plan (dry run: nothing written)")
            return 0
        # 2. Download (parallel, verified, cached), then check and install each wheel.
        if importer.to_download(plan):
            with ui.progress() as progress:
                count = sum(1 for p in plan.packages if not p.is_reused)
                task = progress.add_task("downloading", total=count or 1)
                files = importer.fetch(plan, lambda _name: progress.advance(task))
        else:
            files = importer.fetch(plan)  # all in the download cache: no progress bar
        clock.lap("downloaded")
        imported = importer.build(plan, files)
        clock.lap("installed payloads")
        # 3. Stage, verify with the bundled resolver, commit: all or nothing.
        results: list[AddResult] = []
        if imported:
            with repo.transaction() as txn:
                for pkg in _bind_host(plan, repo, Path(tmp) / "bind", ui):
                    txn.add(pkg)
                results = [txn.add(pkg) for pkg in imported]
                _verify(plan, txn.view(), ui)
                results = list(txn.commit())[-len(imported) :]
            ui.recovery(txn.recovered)
            clock.lap("verified and committed")
        _report(plan, results, repo, ui, as_json=args.json)
    return 0


class _Clock:
    """Phase timings for --verbose."""

    def __init__(self, ui: UI) -> None:
        self.ui = ui
        self.last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.ui.debug(f"{what} in {now - self.last:.2f}s")
        self.last = now


def _report(
    plan: ImportPlan, results: list[AddResult], repo: FilesystemRepository, ui: UI, *, as_json: bool
) -> None:
    if as_json:
        data = plan.to_json()
        data["written"] = [
            {
                "name": r.name,
                "version": r.version,
                "status": r.status,
                "variants": list(r.variant_indices),
            }
            for r in results
        ]
        ui.json(data)
        return
    _print_plan(plan, ui, title=f"imported into {repo.root}")
    reused = sum(1 for p in plan.packages if p.is_reused)
    ui.info(f"{len(results)} package(s) written, {reused} reused, to {repo.root}")
