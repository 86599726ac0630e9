"""Run rez's solver and pkgimport's side by side on the same package repository.

Repositories are written as literal ``package.py`` files (what rez reads); pkgimport reads the
same packages through an :class:`InMemoryProvider` built from the same data, so a difference
is the solver's, not a reader's. Results are normalised to plain dicts:
``{"status", "resolved", "ephemerals", "failure"}`` or ``{"status": "error", "error"}``.

rez lists a family's versions in set order (random per process), which only shows in the
order of the reductions inside "A package was completely reduced: ..." and in which cycle is
reported; :func:`normalise_failure` removes exactly those two freedoms.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

from pkgimport.errors import ResolveError
from pkgimport.resolver.orderers import orderers_from_pod
from pkgimport.resolver.provider import InMemoryProvider
from pkgimport.resolver.solver import Solver

if TYPE_CHECKING:
    from pathlib import Path

Repo = dict[str, dict[str, dict[str, Any]]]
"""``{family: {version: {"requires": [...], "variants": [[...]], "timestamp": int}}}``."""


def write_repo(root: Path, repo: Repo) -> Path:
    """Write ``repo`` as rez ``package.py`` files under ``root``."""
    for family, versions in repo.items():
        for version, data in versions.items():
            pkg_dir = root / family / version
            pkg_dir.mkdir(parents=True, exist_ok=True)
            lines = [f"name = {family!r}", f"version = {version!r}"]
            keys = ("requires", "build_requires", "variants", "timestamp")
            lines += [f"{key} = {data[key]!r}" for key in keys if key in data]
            (pkg_dir / "package.py").write_text("\n".join(lines) + "\n")
    return root


def _rez_config(overrides: dict[str, Any]) -> Any:
    from rez.config import config  # noqa: PLC0415 - rez is imported only by oracle tests

    for key, value in overrides.items():
        config.override(key, value)
    return config


def rez_solve(repo_path: Path, request: list[str], **options: Any) -> dict[str, Any]:
    """Solve with rez 3.4 in-process (rez's import-time and plugin-loading warnings, which
    the test configuration turns into errors, are silenced here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _rez_solve(repo_path, request, **options)


def _rez_solve(
    repo_path: Path,
    request: list[str],
    *,
    variant_select_mode: str = "version_priority",
    error_on_missing_variant_requires: bool = True,
    orderers: list[dict[str, Any]] | None = None,
    package_filter: list[dict[str, Any]] | None = None,
    building: bool = False,
    max_fails: int = -1,
) -> dict[str, Any]:
    from rez.exceptions import RezError  # noqa: PLC0415
    from rez.package_filter import PackageFilterList  # noqa: PLC0415
    from rez.package_order import PackageOrderList  # noqa: PLC0415
    from rez.resolved_context import ResolvedContext  # noqa: PLC0415
    from rez.solver import Solver as RezSolver  # noqa: PLC0415
    from rez.solver import SolverStatus  # noqa: PLC0415
    from rez.version import Requirement  # noqa: PLC0415

    config = _rez_config(
        {
            "variant_select_mode": variant_select_mode,
            "error_on_missing_variant_requires": error_on_missing_variant_requires,
        }
    )
    try:
        callback = None
        if max_fails != -1:
            callback = ResolvedContext.Callback(max_fails, -1, None)
        solver = RezSolver(
            [Requirement(r) for r in request],
            package_paths=[str(repo_path)],
            package_orderers=PackageOrderList.from_pod(orderers) if orderers else None,
            package_filter=PackageFilterList.from_pod(package_filter) if package_filter else None,
            building=building,
            callback=callback,
        )
        solver.solve()
    except RezError as exc:
        return {"status": "error", "error": normalise_error(str(exc))}
    finally:
        config.remove_override("variant_select_mode")
        config.remove_override("error_on_missing_variant_requires")
    status = solver.status
    if status == SolverStatus.solved:
        return {
            "status": "solved",
            "resolved": [str(v) for v in solver.resolved_packages or []],
            "ephemerals": [str(e) for e in solver.resolved_ephemerals or []],
            "num_solves": solver.num_solves,
        }
    return {
        "status": "failed",
        "failure": normalise_failure(solver.failure_description()),
        "num_solves": solver.num_solves,
    }


def pkgimport_solve(
    repo: Repo,
    repo_path: Path,
    request: list[str],
    *,
    variant_select_mode: str = "version_priority",
    error_on_missing_variant_requires: bool = True,
    orderers: list[dict[str, Any]] | None = None,
    package_filter: list[dict[str, Any]] | None = None,
    building: bool = False,
    max_fails: int = -1,
) -> dict[str, Any]:
    """Solve with pkgimport over the same packages."""
    from pkgimport.resolver.filters import PackageFilterList  # noqa: PLC0415

    provider = InMemoryProvider.from_dict(repo, search_path=str(repo_path))
    solver = Solver(
        provider,
        variant_select_mode=variant_select_mode,  # type: ignore[arg-type]
        error_on_missing_variant_requires=error_on_missing_variant_requires,
        orderers=orderers_from_pod(orderers or []),
        package_filter=PackageFilterList.from_pod(package_filter) if package_filter else None,
        building=building,
        max_fails=max_fails,
    )
    try:
        result = solver.solve(request)
    except ResolveError as exc:
        return {"status": "error", "error": normalise_error(str(exc))}
    if result.status == "solved":
        return {
            "status": "solved",
            "resolved": [str(v) for v in result.variants],
            "ephemerals": list(result.ephemerals),
            "num_solves": result.num_solves,
        }
    return {
        "status": result.status,
        "failure": normalise_failure(result.failure_description or ""),
        "num_solves": result.num_solves,
    }


def _top_level_groups(text: str) -> list[str]:
    groups: list[str] = []
    depth = 0
    start = 0
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                groups.append(text[start : i + 1])
    return groups


_REDUCED = "A package was completely reduced: "
_CYCLE = "A cyclic dependency was detected: "


_INTERNAL = re.compile(r"The package \S+ has an internal requirements conflict: .*")


def normalise_error(text: str) -> str:
    """Which package's internal conflict is met first depends on rez's listing order."""
    return _INTERNAL.sub("The package ... has an internal requirements conflict: ...", text)


def normalise_failure(text: str) -> str:
    """Sort the reductions of a total reduction; reduce a cycle report to its prefix."""
    prefix, _, rest = text.rpartition(_REDUCED)
    if _REDUCED in text:
        return prefix + _REDUCED + " ".join(sorted(_top_level_groups(rest)))
    if _CYCLE in text:
        return re.sub(re.escape(_CYCLE) + ".*", _CYCLE + "...", text, flags=re.DOTALL)
    return text
