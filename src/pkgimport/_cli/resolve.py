"""``pkgimport resolve``: resolve requests exactly like ``rez-env``, without running anything.

Also the shared plumbing of ``pkgimport env``: the resolve options, the repositories, the
solver and the adapters that let a :class:`~pkgimport.resolver.context.ResolvedContext` find
variant roots and definitions.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkgimport import settings
from pkgimport._cli import cyclic_gc_paused
from pkgimport._cli.cache import add_cache_arguments, open_resolve_cache
from pkgimport.errors import InvalidRequirement, PkgImportError, ResolveError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pkgimport._cli._ui import UI
    from pkgimport.cache._recording import RecordingProvider
    from pkgimport.cache.resolves import CachedResolve, ResolveKey
    from pkgimport.definition import PackageDefinition
    from pkgimport.platform_ import HostSystem
    from pkgimport.repository.filesystem import FilesystemRepository, RepositoryPaths
    from pkgimport.repository.provider import RepositoryProvider
    from pkgimport.resolver.context import ContextVariant, ResolvedContext
    from pkgimport.resolver.environment import EnvironmentOptions
    from pkgimport.resolver.filters import PackageFilterList
    from pkgimport.resolver.provider import PackageProvider
    from pkgimport.resolver.solver import FailureInfo, Resolution, ResolvedVariant, Solver
    from pkgimport.target import Target

# The repository and the resolver are imported where they are used: building the parser for
# any command (even --help) imports this module, and they cost most of a start-up.

__all__ = ["ResolveSession", "add_resolve_arguments", "register", "run"]

_EPILOG = """\
examples:
  pkgimport resolve maya-2024 python-3.11     print the resolve as rez env would
  pkgimport resolve foo --json                the result as JSON, for scripts
  pkgimport resolve foo --time=-2d           ignore packages released in the last two days
  pkgimport resolve foo --output ctx.json     save the context; 'pkgimport env --input ctx.json'
  pkgimport resolve foo --target windows/AMD64/3.11   as a Windows machine with Python 3.11 would
  pkgimport resolve --requests-file r.json    many resolves, one JSON result per line
"""

_REQUEST_HINT = (
    "requests look like foo, foo-1.2, 'foo-1.2+<2', 'foo>=1,<2', ~foo-1 (weak), !foo (conflict)"
)


def add_resolve_arguments(parser: argparse.ArgumentParser, *, cache: bool = True) -> None:
    """Add the options ``resolve`` and ``env`` share (with *cache*: the shared cache's)."""
    if cache:
        add_cache_arguments(parser)
    parser.add_argument("request", nargs="*", metavar="REQUEST", help="package requests")
    parser.add_argument(
        "-t",
        "--time",
        metavar="T",
        help="ignore packages released after T: epoch seconds, or a time before now written "
        "--time=-2d (also -30s, -5m, -2h)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="RULE",
        help="hide packages matching RULE (glob 'foo-*.beta', regex(...), range foo-2+, "
        "before(T), after(T)); may repeat",
    )
    parser.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="RULE",
        help="keep packages matching RULE although an --exclude matches them; may repeat",
    )
    parser.add_argument(
        "--no-filters",
        action="store_true",
        help="ignore rez's package_filter setting (--exclude/--include still apply)",
    )
    parser.add_argument(
        "--orderers",
        metavar="FILE",
        help="package orderers as a JSON or YAML list of rez orderer dicts (default: rez's "
        "package_orderers setting)",
    )
    parser.add_argument(
        "--target",
        metavar="TARGET",
        help="resolve as a machine of another kind would: PLATFORM[/ARCH[/PYTHON[/OS]]], e.g. "
        "windows/AMD64/3.11; its implicit packages, and synthetic platform/arch/os (and "
        "python) packages where the repositories have none",
    )
    parser.add_argument(
        "--no-implicit",
        "--ni",
        action="store_true",
        help="do not add the implicit packages (rez's implicit_packages: ~platform, ~arch, ~os)",
    )
    parser.add_argument(
        "--implicit",
        action="append",
        metavar="REQUEST",
        help="implicit packages to add instead of $PKGIMPORT_IMPLICIT_PACKAGES or rez's "
        "implicit_packages (~platform==<host> ~arch==<host> ~os==<host>); may repeat",
    )
    parser.add_argument(
        "--max-fails",
        type=int,
        default=-1,
        metavar="N",
        help="give up after N failed solver phases",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=-1,
        metavar="SECS",
        help="abort when the resolve takes longer than SECS",
    )


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``resolve`` subcommand to *sub*."""
    parser = sub.add_parser(
        "resolve",
        parents=[common],
        help="resolve requests like rez env, without running anything",
        description="Resolve package requests exactly like rez 3.4's rez-env does, and print "
        "the resolved packages (or why the resolve failed).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_resolve_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-o", "--output", metavar="FILE", help="save the context as JSON")
    parser.add_argument("--graph", metavar="FILE.dot", help="write the resolve graph (dot)")
    parser.add_argument(
        "--requests-file",
        metavar="FILE",
        help="resolve each request of a JSON list of lists of strings; one JSON line each",
    )
    parser.set_defaults(run=run)


class _Definitions:
    """Loads definitions of context variants from their own repository."""

    def __init__(self, paths: RepositoryPaths, synthetic: Sequence[PackageDefinition] = ()) -> None:
        self._repos: dict[str, FilesystemRepository] = {r.location: r for r in paths.repositories}
        self._synthetic = {(d.name, d.version): d for d in synthetic}

    def load(self, variant: ContextVariant) -> PackageDefinition:
        from pkgimport.definition import PackageDefinition  # noqa: PLC0415 - see the imports
        from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415 - see the imports
        from pkgimport.resolver.provider import SYNTHETIC_LOCATION  # noqa: PLC0415 - see the imports

        if variant.location == SYNTHETIC_LOCATION:
            found = self._synthetic.get((variant.name, variant.version))
            return found or PackageDefinition(name=variant.name, version=variant.version)
        repo = self._repos.get(variant.location)
        if repo is None:
            repo = self._repos[variant.location] = FilesystemRepository(
                variant.location, index_file=None
            )
        return repo.load(variant.name, variant.version)


class ResolveSession:
    """Repositories, solver options and implicit packages for one CLI run.

    Options not given on the command line come from the user's rez configuration
    (:mod:`pkgimport._cli._configured`); *ui* reports the settings pkgimport does not follow.
    """

    def __init__(self, args: argparse.Namespace, ui: UI | None = None) -> None:
        from pkgimport._cli._configured import (  # noqa: PLC0415 - see the imports
            ConfiguredOptions,
            warn_unsupported,
        )
        from pkgimport.resolver.timespec import parse_time  # noqa: PLC0415 - see the imports
        from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - see the imports

        self.config = config = rez_config()
        if ui is not None:
            warn_unsupported(config, ui)
        configured = ConfiguredOptions(config, args)
        repo = settings.repo_path(args.repo)
        self.package_paths = [str(p) for p in settings.package_paths(args.paths, repo)]
        self.local_path = str(repo)
        self.allow_unversioned = configured.allow_unversioned_packages
        self.target = _parse_target(args.target)
        self.requested_timestamp = None if args.time is None else parse_time(args.time)
        self.orderer_pods: list[dict[str, Any]] | None
        if args.orderers:
            self.orderer_pods = _read_orderers(args.orderers)
        else:
            self.orderer_pods = list(configured.orderer_pods) or None
        orderers = _make_orderers(
            self.orderer_pods,
            args.orderers or f"rez's package_orderers ({configured.orderer_source})",
        )
        self.filter_pods, package_filter = _make_filter(
            args.exclude, args.include, self.requested_timestamp, configured.filter_pods
        )
        self.filtered = (
            bool(args.exclude or configured.filter_pods) or self.requested_timestamp is not None
        )
        system = None if self.target is None else self.target.system
        self.implicits: tuple[str, ...] = ()
        if not args.no_implicit:
            from pkgimport.resolver.implicits import implicit_packages  # noqa: PLC0415

            self.implicits = implicit_packages(args.implicit, host=system)
        # The host's names (platform, arch, os) are recorded in a context only for a context
        # file: nothing printed shows them, and probing them on Linux may run lsb_release
        # (25 ms). Implicit packages and rex's `system` probe the host themselves, when needed.
        self.record_host = bool(getattr(args, "output", None))
        self.last_failure: FailureInfo | None = None
        """The failed phase of the latest resolve (for ``--graph``)."""
        # What the solver is built with. The shared cache keys on all of it (with the
        # repositories, the target and allow_unversioned): tests/cache/test_cli_cache.py
        # fails when the Solver or RepositoryProvider gains an option the key does not know.
        self.solver_options: dict[str, Any] = {
            "variant_select_mode": configured.variant_select_mode,
            "error_on_missing_variant_requires": configured.error_on_missing_variant_requires,
            "max_fails": args.max_fails,
        }
        self._package_filter = package_filter
        self._orderers = orderers
        self._time_limit = args.time_limit
        self.cache = open_resolve_cache(args, ui)
        """The shared resolve cache (``None``: not set, or ``--no-cache``)."""
        self.cache_status: str | None = None
        """What the latest resolve did with the shared cache (for ``pkgimport cache warm``)."""
        self._recorder: RecordingProvider | None = None

    # The repositories and the solver are built on first use: a resolve that the shared cache
    # answers never imports them (they are half of a fresh process's start-up).

    @functools.cached_property
    def paths(self) -> RepositoryPaths:
        """The repositories, in search order."""
        from pkgimport.repository.filesystem import RepositoryPaths  # noqa: PLC0415 - see the imports

        return RepositoryPaths.from_paths(self.package_paths)

    @functools.cached_property
    def provider(self) -> RepositoryProvider:
        """The repositories as the solver's provider (synthetic packages not included)."""
        from pkgimport.repository.provider import RepositoryProvider  # noqa: PLC0415 - see the imports

        return RepositoryProvider(self.paths, allow_unversioned=self.allow_unversioned)

    @functools.cached_property
    def definitions(self) -> _Definitions:
        """Where ``env`` loads the resolved packages' definitions."""
        return _Definitions(self.paths, _synthetic_definitions(self.target))

    @functools.cached_property
    def solver(self) -> Solver:
        """The solver (with the shared cache: over a provider that records what it reads)."""
        from pkgimport.resolver.solver import Solver  # noqa: PLC0415 - see the imports

        provider = _target_provider(self.target, self.provider)
        if self.cache is not None:
            from pkgimport.cache._recording import RecordingProvider  # noqa: PLC0415
            from pkgimport.cache.resolves import repository_roots  # noqa: PLC0415

            provider = self._recorder = RecordingProvider(
                provider, repository_roots(self.package_paths)
            )
        return Solver(
            provider,
            package_filter=self._package_filter,
            orderers=self._orderers,
            time_limit=self._time_limit,
            **self.solver_options,
        )

    def cache_key(self, requests: Sequence[str]) -> ResolveKey:
        """Return the shared cache's key for resolving *requests* in this session."""
        from pkgimport.cache.resolves import ResolveKey  # noqa: PLC0415 - see the imports

        options = {
            **self.solver_options,
            "allow_unversioned": self.allow_unversioned,
            "building": False,
            "target": None if self.target is None else repr(self.target),
        }
        return ResolveKey.build(
            requests,
            implicits=self.implicits,
            paths=self.package_paths,
            package_filter=self.filter_pods,
            package_orderers=self.orderer_pods,
            options=options,
            timestamp=self.requested_timestamp,
        )

    def lookup(self, requests: Sequence[str]) -> CachedResolve | None:
        """Return the shared cache's resolve of *requests* if it holds a valid one.

        Imports neither the repositories nor the solver.
        """
        return None if self.cache is None else self.cache.lookup(self.cache_key(requests))

    def _store(self, requests: Sequence[str], context: ResolvedContext) -> None:
        if self.cache is None or self._recorder is None:
            return
        files = []
        for variant in context.variants:
            if _is_synthetic(variant.location):
                continue
            record = self.provider.get_record(variant.name, variant.version)
            if record is None:  # pragma: no cover - the solver only returns listed packages
                self.cache_status = f"not stored: {variant} is no longer listed"
                return
            files.append(record.path)
        self.cache_status = self.cache.store_resolve(
            self.cache_key(requests), context, self._recorder, package_files=files
        )

    def environment_options(self) -> EnvironmentOptions:
        """How ``pkgimport env`` applies commands (rez's environment settings)."""
        from pkgimport._cli._configured import environment_options  # noqa: PLC0415

        return environment_options(self.config)

    def locate(self, variant: ResolvedVariant) -> tuple[str, str]:
        """Return ``(root, base)`` of a resolved variant (a placeholder for a synthetic one)."""
        if self.target is not None and _is_synthetic(variant.package.location):
            # What a saved context gives it back (``<location>/<name>/<version>``): no folder.
            base = f"{variant.package.location}/{variant.name}/{variant.version}"
            return base, base
        record = self.provider.get_record(variant.name, variant.version)
        if record is None:  # pragma: no cover - the solver only returns listed packages
            raise ResolveError(f"{variant.qualified_name} disappeared during the resolve")
        return self.paths.variant_paths(record, variant.index)

    def explain(self, resolution: Resolution) -> list[str]:
        """Explanation lines for a failed resolution."""
        from pkgimport.resolver.explain import explain_failure  # noqa: PLC0415 - see the imports

        self.last_failure = resolution.failure
        excludes = None
        if self.solver.package_filter is not None:
            package_filter = self.solver.package_filter
            excludes = lambda p, v: bool(package_filter.excludes(p, v))  # noqa: E731
        try:
            return explain_failure(
                resolution, provider=self.provider, excludes=excludes, implicit=self.implicits
            ).lines()
        except PkgImportError:  # the explanation is a bonus; never fail because of it
            return explain_failure(resolution, implicit=self.implicits).lines()

    def resolve(self, requests: Sequence[str], *, reuse: bool = True) -> ResolvedContext:
        """Resolve *requests* (user requests; implicits are added).

        With the shared cache, a valid cached resolve is the answer (*reuse* false: do not
        look, e.g. after :meth:`lookup` did), and a successful solve is stored.

        :raises PkgImportError: bad requests, unknown families, empty ranges.
        """
        from pkgimport.resolver.context import resolve_context  # noqa: PLC0415 - see the imports

        hit = self.lookup(requests) if reuse else None
        if hit is not None:
            try:
                return hit.to_context(
                    package_paths=self.package_paths,
                    requested_timestamp=self.requested_timestamp,
                    host=self._host() if self.record_host else None,
                )
            except PkgImportError:
                pass  # not a context after all (the entry checks said it was): solve
        _check_requests(requests)
        self.last_failure = None
        try:
            context = resolve_context(
                requests,
                solver=self.solver,
                locate=self.locate,
                implicit_packages=self.implicits,
                package_paths=self.package_paths,
                package_filter=self.filter_pods,
                package_orderers=self.orderer_pods,
                requested_timestamp=self.requested_timestamp,
                host=self._host() if self.record_host else None,
                explain=self.explain,
            )
        except ResolveError as exc:
            if exc.hint is None:
                exc.hint = self._hint(str(exc))
            raise
        self._store(requests, context)
        return context

    def _host(self) -> HostSystem:
        return _host() if self.target is None else self.target.system

    def _hint(self, message: str) -> str:
        if message.startswith("package family not found"):
            return "check the spelling, or import it first: pkgimport pypi NAME / scoop NAME"
        if self.filtered and "could not be found" in message:
            return "--time/--exclude may hide every version in the range; try without them"
        return "run 'pkgimport list FAMILY' to see the versions the repositories hold"


def _host() -> HostSystem:
    from pkgimport.platform_ import host_system  # noqa: PLC0415 - probes the host once

    return host_system()


def _is_synthetic(location: str) -> bool:
    if location.startswith(("/", "\\")) or location[1:3] == ":\\":
        return False  # a repository root (absolute): no need to import the provider seam
    from pkgimport.resolver.provider import SYNTHETIC_LOCATION  # noqa: PLC0415 - see the imports

    return location == SYNTHETIC_LOCATION


def _parse_target(text: str | None) -> Target | None:
    """Return the ``--target`` machine, or ``None`` for this one."""
    if not text:
        return None
    from pkgimport.target import parse_target  # noqa: PLC0415 - see the imports

    return parse_target(text)


def _target_provider(target: Target | None, provider: RepositoryProvider) -> PackageProvider:
    """Return the provider the solver reads: *provider*, plus the target's stand-ins."""
    if target is None:
        return provider
    from pkgimport.resolver.synthetic import SyntheticProvider  # noqa: PLC0415 - see the imports
    from pkgimport.target import synthetic_package_data  # noqa: PLC0415 - see the imports

    return SyntheticProvider(provider, synthetic_package_data(target))


def _synthetic_definitions(target: Target | None) -> tuple[PackageDefinition, ...]:
    """Return the definitions of the target's stand-in packages (for ``env``)."""
    if target is None:
        return ()
    from pkgimport.target import synthetic_definitions  # noqa: PLC0415 - see the imports

    return tuple(synthetic_definitions(target))


def _check_request(text: str) -> None:
    from pkgimport.resolver.requirements import parse_request  # noqa: PLC0415 - see the imports

    try:
        parse_request(text)
    except InvalidRequirement as exc:
        # The message already quotes the request; add how requests are written.
        exc.hint = _REQUEST_HINT
        raise


def _check_requests(requests: Sequence[str]) -> None:
    for text in requests:
        _check_request(text)


def _read_orderers(path: str) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PkgImportError(
            f"cannot read orderers file {path!r}: {exc.strerror}",
            hint="pass a JSON or YAML file holding a list of rez orderer dicts",
        ) from None
    try:
        import yaml  # noqa: PLC0415 - only needed for this option

        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PkgImportError(
            f"orderers file {path!r} is neither JSON nor YAML: {exc}",
            hint='e.g. [{"type": "version_split", "first_version": "3", "packages": ["foo"]}]',
        ) from None
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list):
        # rez's older [type, {...}] pairs (its from_pod reads them too), as dicts
        data = [
            {**d[1], "type": d[0]}
            if isinstance(d, list) and len(d) == 2 and isinstance(d[1], dict)
            else d
            for d in data
        ]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise PkgImportError(
            f"orderers file {path!r} must hold a list of orderer dicts",
            hint='e.g. [{"type": "sorted", "descending": false, "packages": ["foo"]}]',
        )
    return data


def _make_orderers(pods: list[dict[str, Any]] | None, path: str | None) -> tuple[Any, ...]:
    if not pods:
        return ()
    from pkgimport.resolver.orderers import orderers_from_pod  # noqa: PLC0415

    try:
        return tuple(orderers_from_pod(pods))
    except (KeyError, TypeError, ValueError, PkgImportError) as exc:
        raise PkgImportError(
            f"invalid orderer in {path!r}: {exc}",
            hint="types: sorted, version_split, soft_timestamp, per_family, no_order",
        ) from None


def _make_filter(
    excludes: Sequence[str],
    includes: Sequence[str],
    timestamp: int | None,
    configured: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[dict[str, Any]], PackageFilterList | None]:
    """Build the context's filter pods and the solver's filter, as ``rez-env`` does.

    rez's ``package_filter`` setting (*configured*) first, then the exclusions (added to its
    last filter), then inclusions (which only reach existing filters: rez#303); the context
    stores these rules only, and ``--time`` adds ``after(T)`` for the solver.
    """
    if not excludes and not includes and not timestamp and not configured:
        return [], None  # what the code below gives, without importing the filters
    from pkgimport.resolver.filters import (  # noqa: PLC0415 - see the imports
        InvalidPackageFilter,
        PackageFilterList,
        parse_rule,
        with_timestamp,
    )

    try:
        package_filter = PackageFilterList.from_pod(configured)
    except (InvalidPackageFilter, AttributeError, TypeError) as exc:
        raise PkgImportError(
            f"invalid rez package_filter setting {list(configured)!r}: {exc}",
            hint="fix package_filter in the rez configuration (see 'pkgimport config "
            "package_filter'), or pass --no-filters",
        ) from None
    try:
        for text in excludes:
            package_filter.add_exclusion(parse_rule(text))
        for text in includes:
            package_filter.add_inclusion(parse_rule(text))
    except InvalidPackageFilter as exc:
        exc.hint = (
            "rules: glob 'foo-*.beta', regex(foo-.*), range 'foo-2+' (or 'range(foo-2+)'), "
            "before(T), after(T), after(foo:T)"
        )
        raise
    pods = [dict(pod) for pod in package_filter.to_pod()] if package_filter else []
    return pods, with_timestamp(package_filter or None, timestamp)


# -- output ------------------------------------------------------------------------------------


def context_json(context: ResolvedContext | CachedResolve) -> dict[str, Any]:
    """Return the ``--json`` form of a context."""
    data: dict[str, Any] = {
        "status": context.status,
        "request": list(context.request),
        "resolved": context.resolved_strings(),
        "ephemerals": list(context.ephemerals),
        "failure": context.failure_description,
    }
    synthetic = [str(v) for v in context.variants if _is_synthetic(v.location)]
    if synthetic:
        data["synthetic"] = synthetic
    if not context.is_solved and context.failure_explanation:
        data["explanation"] = list(context.failure_explanation)
    return data


def print_context(context: ResolvedContext, ui: UI) -> None:
    """Print a context the way ``rez-env``/``rez-context`` do."""
    import datetime as dt  # noqa: PLC0415 - see the imports

    created = dt.datetime.fromtimestamp(context.created or 0, tz=dt.timezone.utc).astimezone()
    when = created.strftime("%a %b %d %H:%M:%S %Y")
    verb = "resolved" if context.is_solved else "resolve failed"
    ui.print(f"{verb} by {context.user}@{context.host}, on {when}, using pkgimport (rez 3.4 rules)")
    ui.print()
    ui.print("requested packages:")
    rows = [(r, "") for r in context.request]
    rows += [(r, "(implicit)") for r in context.implicit_packages]
    _print_rows(ui, rows)
    ui.print()
    if context.is_solved:
        ui.print("resolved packages:")
        rows = [
            (v.qualified_name, "(synthetic)" if _is_synthetic(v.location) else v.root)
            for v in context.variants
        ]
        rows += [(e, "(ephemeral)") for e in context.ephemerals]
        _print_rows(ui, rows)
        return
    ui.print("The context failed to resolve:")
    ui.print(context.failure_description or context.status)
    if context.failure_explanation:
        ui.print()
        for line in context.failure_explanation:
            ui.print(line)


def _print_rows(ui: UI, rows: Sequence[tuple[str, str]]) -> None:
    width = max((len(a) for a, _ in rows), default=0)
    for first, second in rows:
        ui.print(f"{first.ljust(width)}  {second}".rstrip())


def _write_outputs(
    context: ResolvedContext, session: ResolveSession, args: argparse.Namespace, ui: UI
) -> None:
    if args.output:
        from pkgimport.resolver.context import save_context  # noqa: PLC0415 - see the imports

        save_context(context, Path(args.output))
        ui.info(f"context saved to {args.output}")
    if args.graph:
        from pkgimport.resolver.explain import resolve_graph_dot  # noqa: PLC0415 - see the imports

        dot = resolve_graph_dot(context, None if context.is_solved else session.last_failure)
        Path(args.graph).write_text(dot, encoding="utf-8")
        ui.info(f"graph written to {args.graph}")


def _resolve_one(session: ResolveSession, request: list[str]) -> dict[str, Any]:
    try:
        return context_json(session.resolve(request))
    except PkgImportError as exc:
        return {
            "status": "error",
            "request": request,
            "resolved": [],
            "ephemerals": [],
            "failure": str(exc),
        }


def _run_many(session: ResolveSession, path: str) -> int:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PkgImportError(
            f"cannot read requests file {path!r}: {exc}",
            hint='it must be a JSON list of requests, e.g. [["foo", "bar-2"], ["baz"]]',
        ) from None
    if not isinstance(data, list) or not all(
        isinstance(r, list) and all(isinstance(s, str) for s in r) for r in data
    ):
        raise PkgImportError(
            f"requests file {path!r} must hold a JSON list of lists of strings",
            hint='e.g. [["foo", "bar-2"], ["baz"]]',
        )
    worst = 0
    for request in data:
        result = _resolve_one(session, request)
        if result["status"] != "solved":
            worst = 1
        print(json.dumps(result), flush=True)
    return worst


def run(args: argparse.Namespace, ui: UI) -> int:
    """Run ``pkgimport resolve``."""
    with cyclic_gc_paused():
        return _run(args, ui)


def _run(args: argparse.Namespace, ui: UI) -> int:
    session = ResolveSession(args, ui)
    if args.requests_file:
        if args.request:
            raise PkgImportError(
                "pass requests either as arguments or with --requests-file, not both"
            )
        return _run_many(session, args.requests_file)
    # No request resolves the implicit packages alone, as rez-env does.
    reuse = True
    if args.json and not args.output and not args.graph:
        cached = session.lookup(args.request)  # the cheapest answer: no resolver imported
        if cached is not None:
            ui.json(context_json(cached))
            return 0
        reuse = False  # just looked
    context = session.resolve(args.request, reuse=reuse)
    _write_outputs(context, session, args, ui)
    if args.json:
        ui.json(context_json(context))
    else:
        print_context(context, ui)
    return 0 if context.is_solved else 1
