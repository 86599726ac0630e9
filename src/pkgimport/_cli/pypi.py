"""``pkgimport pypi``: import PyPI projects (and their closure) as rez packages."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport import settings
from pkgimport.errors import PkgImportError

# Every command module is imported to build the parser: the importer, requests, the solver
# and the repository are imported when the command runs, not at every pkgimport start.
if TYPE_CHECKING:
    from collections.abc import Iterator

    import requests

    from pkgimport._cli._ui import UI
    from pkgimport.definition import ImportedPackage
    from pkgimport.importers.pypi import (
        FamilyNames,
        ImportPlan,
        Index,
        PipOptions,
        TargetPlatform,
    )
    from pkgimport.importers.pypi._reporter import ImportReporter
    from pkgimport.importers.pypi._reqfile import RequirementFiles
    from pkgimport.repository._transaction import TransactionView
    from pkgimport.repository.base import AddResult
    from pkgimport.repository.filesystem import FilesystemRepository
    from pkgimport.resolver.provider import PackageData, PackageProvider

__all__ = ["register", "run"]

_EPILOG = """\
examples:
  pkgimport pypi sqlalchemy                          the host's Python, platform and arch
  pkgimport pypi 'black==24.4.2' 'requests[socks]>=2'
  pkgimport pypi click --platform windows --arch AMD64 --python 3.11
  pkgimport pypi -r requirements.txt --python 3.10 --python 3.11 --dry-run
  pkgimport pypi -r requirements.txt -c constraints.txt   pip's file format, hashes too
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
        help="read requirements from FILE, in pip's format: -r/-c nesting, -i, "
        "--extra-index-url, -f, --pre, --no-binary/--only-binary, --hash, markers, ${VAR}",
    )
    parser.add_argument(
        "-c",
        "--constraint",
        dest="constraint_files",
        action="append",
        default=[],
        metavar="FILE",
        help="constrain the versions of what is imported with FILE (pip's -c)",
    )
    parser.add_argument(
        "--require-hashes",
        action="store_true",
        help="pip's hash-checking mode: every package needs a --hash in the files "
        "(on as soon as one requirement has one)",
    )
    parser.add_argument(
        "--no-binary",
        action="append",
        default=[],
        metavar="NAMES",
        help="take these projects (comma-separated, :all:, :none:) from sdists only",
    )
    parser.add_argument(
        "--only-binary",
        action="append",
        default=[],
        metavar="NAMES",
        help="take these projects (comma-separated, :all:, :none:) from wheels only",
    )
    parser.add_argument(
        "--prefer-binary",
        action="store_true",
        help="prefer an older version with a wheel to a newer one with only an sdist",
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
    parser.add_argument(
        "--naming",
        choices=("pkgimport", "rez-pip"),
        default="pkgimport",
        help="spell new families pkgimport's way (pyyaml, zope_interface; default) or rez-pip's "
        "(PyYAML, zope.interface: METADATA Name, '-' as '_'); a family the repository or "
        "--paths already has for a project is always reused, whatever its spelling",
    )
    parser.add_argument("--pre", action="store_true", help="allow pre-releases")
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="skip the payload check: after the resolve, each new package's top-level modules "
        "are imported (python -I, from the package's root) and its console scripts run with "
        "--help, for this machine's targets",
    )
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


def _read_location(location: str) -> str:
    """Read a requirement file from a path, a ``file:`` URL or an http(s) URL (as pip does)."""
    from pkgimport.importers.pypi._reqfile import read_local  # noqa: PLC0415 - see the imports

    if not location.startswith(("https://", "http://")):
        return read_local(location)
    import requests  # noqa: PLC0415 - see the imports

    try:
        response = requests.get(location, timeout=60)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise PkgImportError(f"cannot read requirements file {location!r}: {exc}") from None
    return response.text


def _read_files(args: argparse.Namespace, options: PipOptions) -> RequirementFiles:
    """Read ``-r`` and ``-c`` files, and add the command line's pip options to them."""
    from pkgimport.importers.pypi._reqfile import parse_requirement_files  # noqa: PLC0415

    files = parse_requirement_files(
        args.files,
        args.constraint_files,
        read=_read_location,
        index_urls=options.index_urls,
        require_hashes=args.require_hashes,
    )
    formats = files.formats
    for value in args.no_binary:
        formats = formats.with_no_binary(value)
    for value in args.only_binary:
        formats = formats.with_only_binary(value)
    return dataclasses.replace(
        files, formats=formats, prefer_binary=files.prefer_binary or args.prefer_binary
    )


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


def _index(
    ui: UI, cache_root: Path, *, refresh: bool, options: PipOptions, files: RequirementFiles
) -> Index:
    from pkgimport.importers.pypi import Index  # noqa: PLC0415
    from pkgimport.importers.pypi._pages import PageCache, max_age_from_env  # noqa: PLC0415

    try:
        max_age = 0.0 if refresh else max_age_from_env()
    except ValueError as exc:
        raise PkgImportError(str(exc), hint="set it to a number of seconds, or unset it") from None

    def make_session() -> requests.Session:
        # Made on first use: a warm import may ask the network nothing (no requests import).
        import requests  # noqa: PLC0415 - see the imports

        session = requests.Session()
        if options.cert:
            session.verify = options.cert
        if options.client_cert:
            session.cert = options.client_cert
        return session

    # The files' -i / --extra-index-url / --no-index replace or extend the configuration's
    # indexes, and their -f add to its find-links, as pip has it.
    index = Index(
        options.index_urls if files.index_urls is None else files.index_urls,
        [*options.find_links, *files.find_links],
        make_session=make_session,
        timeout=options.timeout,
        pages=PageCache(cache_root, max_age=max_age),
    )
    ui.debug(f"indexes: {index.describe()}; project pages cached for {max_age:g}s")
    return index


def _family_names(args: argparse.Namespace, repo: FilesystemRepository) -> FamilyNames:
    """Return the spelling map: families the repository, then ``--paths``, already have."""
    from pkgimport.importers.pypi import FamilyNames  # noqa: PLC0415 - see the imports
    from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415

    roots = [repo.root, *settings.package_paths(getattr(args, "paths", None), repo.root)]
    families: list[tuple[str, str]] = []
    for root in dict.fromkeys(Path(r).resolve() for r in roots):
        source = repo if root == Path(repo.root).resolve() else FilesystemRepository(root)
        families.extend((family, str(root)) for family in source.iter_families())
    return FamilyNames.from_families(families, naming=args.naming)


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
        from pkgimport._cli.bind import warn_site_packages  # noqa: PLC0415 - see the imports

        warn_site_packages(out[-1:], ui)
    for pkg in out:
        ui.info(
            f"binding {pkg.definition.qualified_name} (this machine), which the new packages need"
        )
    return out


class _TargetProvider:
    """The staged repository, as the solver sees it."""

    def __init__(self, view: TransactionView) -> None:
        self.view = view

    def iter_versions(self, family: str) -> Iterator[str]:
        return iter(list(self.view.iter_versions(family)))

    def get_package(self, family: str, version: str) -> PackageData:
        from pkgimport.repository.provider import package_data  # noqa: PLC0415

        record = self.view.get_record(family, version)
        if record is None:
            raise PkgImportError(f"package {family}-{version} vanished during verification")
        return package_data(record)

    def has_family(self, family: str) -> bool:
        return self.view.has_family(family)

    def describe_search_path(self) -> str:
        return self.view.location


def _verify(plan: ImportPlan, view: TransactionView, ui: UI) -> None:
    """Resolve every new package for each of its new targets, before anything is committed.

    A target other than this machine is resolved as ``pkgimport resolve --target`` does: with
    that machine's implicit packages, and synthetic ``platform``/``arch``/``os``/``python``
    packages where the repository has none (:mod:`pkgimport.target`).

    :raises PkgImportError: a package does not resolve (the transaction then rolls back).
    """
    from pkgimport.resolver.solver import Solver  # noqa: PLC0415
    from pkgimport.resolver.synthetic import SyntheticProvider  # noqa: PLC0415
    from pkgimport.target import (  # noqa: PLC0415
        import_target,
        synthetic_package_data,
        target_implicits,
    )

    for target in plan.targets:
        provider: PackageProvider = _TargetProvider(view)
        implicits = [f"~platform=={target.platform}", f"~arch=={target.arch}"]
        if not target.is_host:
            machine = import_target(target.platform, target.arch, target.python_version)
            provider = SyntheticProvider(provider, synthetic_package_data(machine))
            implicits = list(target_implicits(machine))
        solver = Solver(provider)
        for package in plan.packages:
            if package.status.get(target, "reused") == "reused":
                continue
            definition = package.definition
            request = [
                f"{definition.name}=={definition.version}",
                *implicits,
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


def _check(plan: ImportPlan, view: TransactionView, added: list[ImportedPackage], ui: UI) -> None:
    """Prove the host targets' new payloads work (``_payload_check``); ``--no-check`` skips."""
    from pkgimport._cli._payload_check import check_payloads  # noqa: PLC0415 - see the imports

    for line in check_payloads(plan, view, _TargetProvider(view), added, warn=ui.warn):
        ui.debug(f"checked {line}: modules import from its root, console scripts run")


def run(args: argparse.Namespace, ui: UI) -> int:
    """Run ``pkgimport pypi``."""
    from pkgimport.importers.pypi import read_pip_config  # noqa: PLC0415 - see the imports

    options = read_pip_config()
    files = _read_files(args, options)
    items = list(args.requirements) + [r.item for r in files.requirements]
    if not items:
        raise PkgImportError("nothing to import", hint="name a project, e.g. pkgimport pypi six")
    for note in files.notes:
        ui.warn(note)
    from pkgimport.importers.pypi import DownloadCache, PypiImporter  # noqa: PLC0415
    from pkgimport.importers.pypi._reporter import ImportReporter  # noqa: PLC0415
    from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415

    targets = _targets(args)
    repo = FilesystemRepository(settings.repo_path(args.repo))
    if not args.dry_run:
        # Complete any import a dead writer decided, so the plan sees its packages.
        ui.recovery(repo.recover())
    clock = _Clock(ui)
    import contextlib  # noqa: PLC0415 - every command's parser imports this module
    import tempfile  # noqa: PLC0415

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pkgimport-pypi-"))
        reporter: ImportReporter = ImportReporter()
        if ui.shows_progress:
            from pkgimport._cli._progress import TerminalReporter  # noqa: PLC0415

            reporter = stack.enter_context(TerminalReporter(ui))
        cache = DownloadCache()
        importer = PypiImporter(
            _index(ui, cache.root, refresh=args.refresh, options=options, files=files),
            cache,
            workers=max(1, args.jobs),
            pre=args.pre or files.pre,
            no_deps=args.no_deps,
            force=args.force,
            formats=files.formats,
            prefer_binary=files.prefer_binary,
            reporter=reporter,
        )
        # 1. Plan: per-target closures from metadata only.
        ui.info(f"resolving for {', '.join(map(str, targets))}")
        plan = importer.plan(
            items,
            targets,
            repo,
            constraints=[c.requirement for c in files.constraints],
            hashes=files.hashes,
            names=_family_names(args, repo),
        )
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
            stack.close()  # the progress display ends before the plan is printed
            if args.json:
                ui.json({"dry_run": True, **plan.to_json()})
            else:
                _print_plan(plan, ui, title="plan (dry run: nothing written)")
            return 0
        # 2. Download (parallel, verified, cached), then check and install each wheel.
        files_by_url = importer.fetch(plan)
        clock.lap("downloaded")
        imported = importer.build(plan, files_by_url)
        clock.lap("installed payloads")
        # 3. Stage, verify with the bundled resolver, commit: all or nothing.
        results: list[AddResult] = []
        if imported:
            with repo.transaction() as txn:
                bound = _bind_host(plan, repo, Path(tmp) / "bind", ui)
                for pkg in bound:
                    txn.add(pkg)
                results = [txn.add(pkg) for pkg in imported]
                reporter.phase_started("verify", None)
                try:
                    _verify(plan, txn.view(), ui)
                    if not args.no_check:
                        _check(plan, txn.view(), [*bound, *imported], ui)
                finally:
                    reporter.phase_finished("verify")
                results = list(txn.commit())[-len(imported) :]
            ui.recovery(txn.recovered)
            clock.lap("verified and committed")
        stack.close()  # the progress display ends before the results are printed
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
