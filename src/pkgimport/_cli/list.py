"""``pkgimport list``: the families, versions and variants the repositories hold."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pkgimport import settings

if TYPE_CHECKING:
    from pkgimport._cli._ui import UI
    from pkgimport.repository.base import PackageRecord
    from pkgimport.repository.filesystem import RepositoryPaths

# Heavy imports (rich, the repository, versions) happen in run(): building the parser for
# any command imports this module.

__all__ = ["register", "run"]

_EPILOG = """\
examples:
  pkgimport list                  every family, with its versions
  pkgimport list python           python's versions and their variants
  pkgimport list --json python    the same, for scripts
"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``list`` subcommand to *sub*."""
    parser = sub.add_parser(
        "list",
        parents=[common],
        help="list families, versions and variants in the repositories",
        description="List what the --paths repositories hold (first repository wins per "
        "family and version, as in rez).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("family", nargs="?", help="show this family's versions and variants")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def _sorted(records: list[PackageRecord]) -> list[PackageRecord]:
    from pkgimport.resolver.versions import Version  # noqa: PLC0415 - see the imports

    def _version_sort_key(record: PackageRecord) -> tuple[int, object]:
        try:
            return (1, Version.parse(record.version).sort_key())
        except ValueError:
            return (0, record.version)  # an invalid version folder sorts first

    try:
        return sorted(records, key=_version_sort_key)
    except TypeError:
        return sorted(records, key=lambda r: r.version)


def _time(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    import datetime as dt  # noqa: PLC0415 - every command's parser imports this module

    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _record_json(record: PackageRecord) -> dict[str, object]:
    return {
        "version": record.version,
        "timestamp": record.timestamp,
        "requires": list(record.requires),
        "variants": None if record.variants is None else [list(v) for v in record.variants],
        "hashed_variants": record.hashed_variants,
        "location": record.location,
        "path": record.path,
    }


def _list_families(paths: RepositoryPaths, ui: UI, *, as_json: bool) -> None:
    paths.preload()
    families = [(name, _sorted(list(paths.iter_records(name)))) for name in paths.iter_families()]
    if as_json:
        ui.json(
            {"families": [{"name": n, "versions": [r.version for r in rs]} for n, rs in families]}
        )
        return
    from rich.table import Table  # noqa: PLC0415 - see the imports

    table = Table(title=None, show_edge=False)
    table.add_column("family", style="bold")
    table.add_column("versions", justify="right")
    table.add_column("latest")
    for name, records in families:
        table.add_row(name, str(len(records)), records[-1].version if records else "")
    ui.table(table)


def _list_family(paths: RepositoryPaths, family: str, ui: UI, *, as_json: bool) -> int:
    records = _sorted(list(paths.iter_records(family)))
    if not records and not paths.has_family(family):
        ui.error(
            f"no family {family!r} in {'; '.join(r.location for r in paths.repositories)}",
            "run 'pkgimport list' to see the families",
        )
        return 1
    if as_json:
        ui.json({"name": family, "packages": [_record_json(r) for r in records]})
        return 0
    from rich.table import Table  # noqa: PLC0415 - see the imports

    table = Table(show_edge=False)
    table.add_column("version", style="bold")
    table.add_column("variant", justify="right")
    table.add_column("requires")
    table.add_column("released")
    table.add_column("location")
    for record in records:
        released = _time(record.timestamp)
        if record.variants is None:
            table.add_row(record.version, "-", " ".join(record.requires), released, record.location)
            continue
        for index in range(len(record.variants)):
            table.add_row(
                record.version if index == 0 else "",
                str(index),
                " ".join(record.variant_requires(index)),
                released if index == 0 else "",
                record.location if index == 0 else "",
            )
    ui.table(table)
    return 0


def run(args: argparse.Namespace, ui: UI) -> int:
    """List the repositories; return the exit code."""
    from pkgimport.repository.filesystem import RepositoryPaths  # noqa: PLC0415

    repo = settings.repo_path(args.repo)
    paths = RepositoryPaths.from_paths(settings.package_paths(args.paths, repo))
    if args.family:
        code = _list_family(paths, args.family, ui, as_json=args.json)
    else:
        _list_families(paths, ui, as_json=args.json)
        code = 0
    for problem in paths.problems:
        ui.warn(f"skipped {problem}")
    return code
