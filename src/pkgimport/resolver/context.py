"""A resolved context: the result of a resolve, and the file a farm machine re-creates it from.

:func:`resolve_context` runs the solver on *user request + implicit packages* (spec §4.1) and
returns an immutable :class:`ResolvedContext`: the variants in rez's order, ephemerals, failure
text, and everything that shaped the resolve (paths, filters, orderers, time).

The JSON form (:meth:`ResolvedContext.to_dict`) uses the keys of rez's ``.rxt`` files
(``serialize_version`` 4.9, spec §4.11), so ``rez-env --input ctx.json`` can load it too; each
variant is stored as rez's handle (repository, family, version, index), which is enough to find
it again without solving. pkgimport's own additions (variant roots, requirements, failure
explanation) sit under the ``"pkgimport"`` key.

>>> ctx = ResolvedContext(request=("foo",), status="solved", variants=(ContextVariant(
...     name="foo", version="1.0", index=None, location="/r", root="/r/foo/1.0",
...     base="/r/foo/1.0"),), timestamp=1)
>>> ResolvedContext.from_dict(ctx.to_dict()) == ctx
True
>>> ctx.resolved_strings()
['foo-1.0[]']
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pkgimport.errors import PkgImportError
from pkgimport.resolver.requirements import parse_request

# The environment module (and the rex executor behind it) is imported where it is used:
# a plain resolve never builds an environment, and a fresh process should not pay for it.
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path

    from pkgimport.definition import PackageDefinition
    from pkgimport.platform_ import HostSystem
    from pkgimport.resolver.environment import ContextInfo, Environment, EnvironmentOptions
    from pkgimport.resolver.solver import Resolution, ResolvedVariant, Solver

__all__ = [
    "SERIALIZE_VERSION",
    "ContextStatus",
    "ContextVariant",
    "DefinitionLoader",
    "InvalidContextFile",
    "ResolvedContext",
    "load_context",
    "resolve_context",
    "save_context",
]


def __dir__() -> list[str]:
    return __all__


SERIALIZE_VERSION = "4.9"
"""rez 3.4's context serialisation version."""

ContextStatus = Literal["solved", "failed", "aborted"]


class InvalidContextFile(PkgImportError, ValueError):  # noqa: N818 - packaging's naming
    """A context file cannot be read (not JSON, wrong keys, unknown version)."""

    hint = "write it again with 'pkgimport resolve ... --output FILE'"


@dataclass(frozen=True, kw_only=True, slots=True)
class ContextVariant:
    """One resolved variant, with what is needed to find it again without solving."""

    name: str
    """Family name."""
    version: str
    """Version string as the repository spells it."""
    index: int | None
    """Variant index; ``None`` for a package without variants."""
    location: str
    """Repository root it came from."""
    root: str
    """Variant root (``{root}``) when resolved."""
    base: str
    """Package folder (``{base}``)."""
    requires: tuple[str, ...] = ()
    """The variant's merged requirements."""

    @property
    def qualified_name(self) -> str:
        """``name-version`` (``name`` for an unversioned package)."""
        return f"{self.name}-{self.version}" if self.version else self.name

    def __str__(self) -> str:
        return f"{self.qualified_name}[{'' if self.index is None else self.index}]"

    def handle(self) -> dict[str, Any]:
        """Return rez's variant handle (``filesystem.variant``)."""
        return {
            "key": "filesystem.variant",
            "variables": {
                "index": self.index,
                "location": self.location,
                "name": self.name,
                "repository_type": "filesystem",
                "version": self.version,
            },
        }


class DefinitionLoader(Protocol):
    """Where a context finds the full definition of a resolved variant."""

    def load(self, variant: ContextVariant) -> PackageDefinition:
        """Return the definition of *variant*'s package; may be called once per variant.

        :raises PkgImportError: the package is gone or its file is broken.
        """
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ResolvedContext:
    """The immutable result of a resolve (rez's ``ResolvedContext`` data)."""

    request: tuple[str, ...]
    """User requests, canonical, without implicit packages."""
    status: ContextStatus
    """``solved``, ``failed`` or ``aborted``."""
    implicit_packages: tuple[str, ...] = ()
    """Implicit requests appended to the user request."""
    variants: tuple[ContextVariant, ...] = ()
    """Resolved variants in rez's order (the order commands run in)."""
    ephemerals: tuple[str, ...] = ()
    """Resolved ephemerals (``.foo-1``)."""
    failure_description: str | None = None
    """rez's failure text."""
    failure_explanation: tuple[str, ...] = ()
    """pkgimport's explanation lines (resolve paths, root causes)."""
    package_paths: tuple[str, ...] = ()
    """Repositories searched, in order."""
    package_filter: tuple[Mapping[str, Any], ...] = ()
    """Filters as rez pods: ``({"excludes": [...], "includes": [...]}, ...)``."""
    package_orderers: tuple[Mapping[str, Any], ...] | None = None
    """Orderers as rez pods, or ``None``."""
    timestamp: int = 0
    """Resolve time: the requested time, else when the resolve ran."""
    requested_timestamp: int | None = None
    """``--time``, when given."""
    building: bool = False
    """Resolved for a build (``build_requires`` included)."""
    platform: str = ""
    """Host platform name the resolve ran on."""
    arch: str = ""
    """Host architecture."""
    os: str = ""
    """Host operating system."""
    user: str = ""
    """Who resolved."""
    host: str = ""
    """Machine that resolved."""
    created: int = 0
    """When the context was created (epoch seconds)."""
    solve_time: float = 0.0
    """Seconds spent solving."""
    num_solves: int = 0
    """Solver steps."""
    num_fails: int = 0
    """Failed solver phases."""
    from_cache: bool = False
    """Read from the shared resolve cache instead of solved (rez's ``from_cache``)."""
    rez_path: str = ""
    """The user's rez package folder (rez's ``rez_path``, which becomes ``REZ_USED``); ``""``
    until a context file is written (:func:`save_context` finds it) or none exists."""

    @property
    def is_solved(self) -> bool:
        """Whether the resolve succeeded."""
        return self.status == "solved"

    def resolved_strings(self) -> list[str]:
        """``name-version[index]`` per variant, as rez prints them."""
        return [str(v) for v in self.variants]

    def context_info(
        self, *, local_path: str | None = None, system: HostSystem | None = None
    ) -> ContextInfo:
        """Return what :func:`~pkgimport.resolver.environment.build_environment` needs."""
        from pkgimport.resolver.environment import ContextInfo  # noqa: PLC0415 - lazy, see top

        return ContextInfo(
            requests=self.request,
            implicits=self.implicit_packages,
            ephemerals=self.ephemerals,
            package_paths=self.package_paths,
            timestamp=self.timestamp,
            requested_timestamp=self.requested_timestamp,
            building=self.building,
            local_path=local_path,
            system=system,
        )

    def environment(
        self,
        loader: DefinitionLoader,
        *,
        parent_environ: Mapping[str, str] | None = None,
        options: EnvironmentOptions | None = None,
        local_path: str | None = None,
        system: HostSystem | None = None,
    ) -> Environment:
        """Run the resolved packages' commands and return the environment they build.

        *system* is what rex's ``system`` reports (default: this machine; another machine's
        for a context resolved with ``--target``).

        :raises ResolveError: the context did not resolve.
        :raises PackageCommandError: a package's commands failed (a ``RexError``).
        :raises PackageMetadataError: a package's commands are old-style (rez-1) or no code.
        """
        if not self.is_solved:
            from pkgimport.errors import ResolveError  # noqa: PLC0415

            raise ResolveError(
                "the context did not resolve: " + (self.failure_description or self.status)
            )
        from pkgimport.resolver.environment import (  # noqa: PLC0415 - lazy, see top
            EnvironmentOptions,
            ResolvedPackage,
            build_environment,
        )

        if self.rez_path and (options is None or options.rez_used is None):
            # rez sets REZ_USED to the rez_path the context holds (a loaded one: the saver's)
            options = dataclasses.replace(options or EnvironmentOptions(), rez_used=self.rez_path)

        packages = [
            ResolvedPackage(
                definition=loader.load(v),
                index=v.index,
                root=v.root,
                base=v.base,
                location=v.location,
            )
            for v in self.variants
        ]
        return build_environment(
            self.context_info(local_path=local_path, system=system),
            packages,
            parent_environ=parent_environ,
            options=options,
        )

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form: rez ``.rxt`` keys plus a ``"pkgimport"`` section."""
        from pkgimport.resolver.environment import REZ_VERSION  # noqa: PLC0415 - lazy, see top

        data: dict[str, Any] = {}
        data.update(
            serialize_version=SERIALIZE_VERSION,
            resolved_packages=[v.handle() for v in self.variants],
            resolved_ephemerals=list(self.ephemerals),
            package_requests=list(self.request),
            implicit_packages=list(self.implicit_packages),
            package_paths=list(self.package_paths),
            package_filter=[dict(f) for f in self.package_filter],
            package_orderers=None
            if self.package_orderers is None
            else [dict(o) for o in self.package_orderers],
            timestamp=self.timestamp,
            requested_timestamp=self.requested_timestamp,
            building=self.building,
            testing=False,
            caching=False,
            status=self.status,
            failure_description=self.failure_description,
            graph=None,
            solve_time=self.solve_time,
            load_time=0.0,
            num_loaded_packages=0,
            from_cache=self.from_cache,
            rez_version=REZ_VERSION,
            rez_path=self.rez_path,
            user=self.user,
            host=self.host,
            platform=self.platform,
            arch=self.arch,
            os=self.os,
            created=self.created,
            parent_suite_path=None,
            suite_context_name=None,
            patch_locks={},
            default_patch_lock="no_lock",
            append_sys_path=True,
            package_caching=False,
            package_cache_async=True,
        )
        data["pkgimport"] = {
            "variants": [
                {"root": v.root, "base": v.base, "requires": list(v.requires)}
                for v in self.variants
            ],
            "failure_explanation": list(self.failure_explanation),
            "num_solves": self.num_solves,
            "num_fails": self.num_fails,
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolvedContext:
        """Build a context from :meth:`to_dict` output (or a rez ``.rxt`` with paths).

        :raises InvalidContextFile: a key is missing or has the wrong type.
        """
        try:
            return _from_dict(cls, data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, InvalidContextFile):
                raise
            raise InvalidContextFile(f"invalid context data: {type(exc).__name__}: {exc}") from None


def _from_dict(cls: type[ResolvedContext], data: Mapping[str, Any]) -> ResolvedContext:
    version = str(data["serialize_version"])
    if int(version.split(".", 1)[0]) > int(SERIALIZE_VERSION.split(".", 1)[0]):
        raise InvalidContextFile(f"context serialize_version {version!r} is newer than 4.x")
    ours = data.get("pkgimport") or {}
    extras = list(ours.get("variants") or [])
    variants = []
    for i, handle in enumerate(data["resolved_packages"]):
        fields = handle["variables"]
        extra = extras[i] if i < len(extras) else {}
        name, version_ = str(fields["name"]), str(fields.get("version") or "")
        location = str(fields["location"])
        base = extra.get("base") or "/".join(p for p in (location, name, version_) if p)
        variants.append(
            ContextVariant(
                name=name,
                version=version_,
                index=None if fields.get("index") is None else int(fields["index"]),
                location=location,
                root=str(extra.get("root") or base),
                base=str(base),
                requires=tuple(str(r) for r in extra.get("requires") or ()),
            )
        )
    status = str(data["status"])
    if status not in {"solved", "failed", "aborted"}:
        raise InvalidContextFile(f"unknown context status {status!r}")
    orderers = data.get("package_orderers")
    return cls(
        request=tuple(str(r) for r in data["package_requests"]),
        status=status,  # type: ignore[arg-type]
        implicit_packages=tuple(str(r) for r in data.get("implicit_packages") or ()),
        variants=tuple(variants),
        ephemerals=tuple(str(e) for e in data.get("resolved_ephemerals") or ()),
        failure_description=data.get("failure_description"),
        failure_explanation=tuple(str(x) for x in ours.get("failure_explanation") or ()),
        package_paths=tuple(str(p) for p in data.get("package_paths") or ()),
        package_filter=tuple(dict(f) for f in data.get("package_filter") or ()),
        package_orderers=None if orderers is None else tuple(dict(o) for o in orderers),
        timestamp=int(data.get("timestamp") or 0),
        requested_timestamp=None
        if data.get("requested_timestamp") is None
        else int(data["requested_timestamp"]),
        building=bool(data.get("building", False)),
        platform=str(data.get("platform") or ""),
        arch=str(data.get("arch") or ""),
        os=str(data.get("os") or ""),
        user=str(data.get("user") or ""),
        host=str(data.get("host") or ""),
        created=int(data.get("created") or 0),
        solve_time=float(data.get("solve_time") or 0.0),
        num_solves=int(ours.get("num_solves") or 0),
        num_fails=int(ours.get("num_fails") or 0),
        from_cache=bool(data.get("from_cache", False)),
        rez_path=str(data.get("rez_path") or ""),
    )


# -- files (the thin outer layer) -------------------------------------------------------------


def save_context(context: ResolvedContext, path: Path, *, rez_path: str | None = None) -> None:
    """Write *context* to *path* as JSON (rez's layout: indent 4, sorted keys).

    :param rez_path: the ``rez_path`` to record when the context has none (``rez env
        --input`` sets ``REZ_USED`` to it); ``None`` finds the rez whose ``rez`` command is
        on this process's ``PATH`` (``""`` when there is none).
    """
    if not context.rez_path:
        if rez_path is None:
            from pkgimport.resolver._rez_install import find_rez_module  # noqa: PLC0415

            rez_path = find_rez_module() or ""
        context = dataclasses.replace(context, rez_path=rez_path)
    text = json.dumps(context.to_dict(), indent=4, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def load_context(path: Path) -> ResolvedContext:
    """Read a context file written by :func:`save_context` (or by ``rez-env --output``).

    :raises InvalidContextFile: the file is missing, not JSON, or not a context.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read context file {str(path)!r}: {exc.strerror}"
        raise InvalidContextFile(msg) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidContextFile(f"{str(path)!r} is not a JSON context file: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidContextFile(f"{str(path)!r} is not a context file: expected a JSON object")
    try:
        return ResolvedContext.from_dict(data)
    except InvalidContextFile as exc:
        raise InvalidContextFile(f"{str(path)!r}: {exc}") from None


# -- resolving ---------------------------------------------------------------------------------


def resolve_context(
    request: Iterable[str],
    *,
    solver: Solver,
    locate: Callable[[ResolvedVariant], tuple[str, str]],
    implicit_packages: Sequence[str] = (),
    package_paths: Sequence[str] = (),
    package_filter: Sequence[Mapping[str, Any]] = (),
    package_orderers: Sequence[Mapping[str, Any]] | None = None,
    requested_timestamp: int | None = None,
    host: HostSystem | None = None,
    explain: Callable[[Resolution], Sequence[str]] | None = None,
    now: float | None = None,
) -> ResolvedContext:
    """Resolve *request* (user requests) plus *implicit_packages* like ``rez-env``.

    :param solver: a configured :class:`~pkgimport.resolver.solver.Solver` (filters, orderers).
    :param locate: returns ``(root, base)`` of a resolved variant.
    :param explain: turns a failed resolution into explanation lines.
    :param now: the current time (a parameter for tests).
    :raises InvalidRequirement: a request is malformed (the message quotes it).
    :raises ResolveError: rez's resolve errors (unknown family, no version in range).
    """
    requests = [str(parse_request(r)) for r in request]
    implicits = [str(parse_request(r)) for r in implicit_packages]
    created = int(time.time() if now is None else now)
    resolution = solver.solve([*requests, *implicits])
    variants = []
    for resolved in resolution.variants:
        root, base = locate(resolved)
        variants.append(
            ContextVariant(
                name=resolved.name,
                version=resolved.version,
                index=resolved.index,
                location=resolved.package.location,
                root=root,
                base=base,
                requires=resolved.requires,
            )
        )
    explanation: tuple[str, ...] = ()
    if not resolution.is_solved and explain is not None:
        explanation = tuple(explain(resolution))
    return ResolvedContext(
        request=tuple(requests),
        status=resolution.status,
        implicit_packages=tuple(implicits),
        variants=tuple(variants),
        ephemerals=resolution.ephemerals,
        failure_description=resolution.failure_description,
        failure_explanation=explanation,
        package_paths=tuple(package_paths),
        package_filter=tuple(package_filter),
        package_orderers=None if package_orderers is None else tuple(package_orderers),
        timestamp=created if requested_timestamp is None else requested_timestamp,
        requested_timestamp=requested_timestamp,
        building=solver.building,
        platform=host.platform if host else "",
        arch=host.arch if host else "",
        os=host.os if host else "",
        user=_user(),
        host=_hostname(),
        created=created,
        solve_time=resolution.solve_time,
        num_solves=resolution.num_solves,
        num_fails=resolution.num_fails,
    )


def _user() -> str:
    import getpass  # noqa: PLC0415 - a plain resolve never needs it

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _hostname() -> str:
    # What socket.gethostname() returns (on POSIX, gethostname(2) is the uname node name),
    # without importing socket: 4 ms of a fresh process's start-up.
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket  # noqa: PLC0415 - Windows

    return socket.gethostname()
