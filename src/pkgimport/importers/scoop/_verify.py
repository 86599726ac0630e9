"""Verify imported Scoop packages with the bundled resolver before they are committed.

Each variant must resolve, on its own platform and architecture, to itself: the request is the
package at its exact version plus rez's implicit packages for a Windows machine of that
architecture (``~platform==windows ~arch==AMD64 ~os==windows-10.0``), over the repository plus
that machine's synthetic ``platform``/``arch``/``os`` packages, as ``pkgimport resolve
--target windows/AMD64`` resolves (:mod:`pkgimport.target`). Families the package requires that
the repository does not have yet are stood in for by empty packages, so a missing dependency
does not hide a broken variant (the summary names them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pkgimport.errors import ResolveError
from pkgimport.importers.scoop._errors import ManifestRefused

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pkgimport.definition import PackageDefinition
    from pkgimport.repository.base import PackageRecord
    from pkgimport.resolver.provider import PackageData, PackageProvider

__all__ = ["RecordSource", "verify_imported"]

_ARCH_NAMES = {"arch-AMD64": "AMD64", "arch-x86": "x86", "arch-ARM64": "ARM64"}


class RecordSource(Protocol):
    """What verification reads: a repository or a transaction view."""

    def iter_records(self, family: str) -> Iterator[PackageRecord]:
        """Yield the family's packages."""
        ...

    def has_family(self, family: str) -> bool:
        """Tell whether the family exists."""
        ...


_SYSTEM_FAMILIES = frozenset({"platform", "arch", "os"})
"""Answered by each architecture's synthetic packages."""


def _provider(view: RecordSource, definitions: Sequence[PackageDefinition]) -> PackageProvider:
    from pkgimport.repository.provider import package_data  # noqa: PLC0415
    from pkgimport.resolver.provider import InMemoryProvider, PackageData  # noqa: PLC0415

    families: dict[str, dict[str, PackageData]] = {}
    wanted = {d.name for d in definitions}
    for d in definitions:
        wanted.update(r.lstrip("~!").split("-", 1)[0].split("=", 1)[0] for r in d.requires)
    for family in sorted(wanted - _SYSTEM_FAMILIES):
        if view.has_family(family):
            families[family] = {r.version: package_data(r) for r in view.iter_records(family)}
        else:
            # Not in the repository yet: an empty stand-in keeps the check about this package.
            families[family] = {"0": PackageData(name=family, version="0")}
    return InMemoryProvider(families, "<verification>")


def verify_imported(view: RecordSource, definitions: Sequence[PackageDefinition]) -> None:
    """Resolve every variant of *definitions* for its own Windows architecture.

    :raises ManifestRefused: a variant does not resolve to itself (reason ``verification``).
    """
    from pkgimport.resolver.solver import Solver  # noqa: PLC0415
    from pkgimport.resolver.synthetic import SyntheticProvider  # noqa: PLC0415
    from pkgimport.target import (  # noqa: PLC0415
        import_target,
        synthetic_package_data,
        target_implicits,
    )

    base = _provider(view, definitions)
    solvers: dict[str, tuple[Solver, tuple[str, ...]]] = {}
    for d in definitions:
        for index, variant in enumerate(d.variants):
            arch = next((_ARCH_NAMES[r] for r in variant if r in _ARCH_NAMES), "AMD64")
            if arch not in solvers:
                machine = import_target("windows", arch)
                provider = SyntheticProvider(base, synthetic_package_data(machine))
                solvers[arch] = (Solver(provider), target_implicits(machine))
            solver, implicits = solvers[arch]
            request = [f"{d.name}=={d.version}", *implicits]
            try:
                resolution = solver.solve(request)
            except ResolveError as exc:
                raise ManifestRefused(
                    "verification", f"{d.qualified_name}: variant {index} does not resolve: {exc}"
                ) from None
            chosen = [v for v in resolution.variants if v.name == d.name]
            # Compared by requirements, not index: merged into an installed package (another
            # architecture imported before), the variant keeps rez's index there, not this one.
            own = chosen[0].requires[len(chosen[0].requires) - len(variant) :] if chosen else ()
            if not resolution.is_solved or not chosen or tuple(own) != tuple(variant):
                got = f"variant {chosen[0].index}" if chosen else resolution.failure_description
                raise ManifestRefused(
                    "verification",
                    f"{d.qualified_name}: a resolve for windows/{arch} picks "
                    f"{got}, not variant {index}",
                )
