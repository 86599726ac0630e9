"""``pkgimport bind``: create rez's system packages (platform, arch, os, python) from the host."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport import settings

if TYPE_CHECKING:
    from pkgimport._cli._ui import UI
    from pkgimport.definition import ImportedPackage
    from pkgimport.repository.base import AddResult

# pkgimport.bind and the repository are imported in run(): building the parser for any
# command imports this module.

TARGETS_HELP = "platform, arch, os, python"
"""``pkgimport.bind.BIND_TARGETS`` for --help (a test checks they agree)."""

__all__ = ["register", "run", "warn_site_packages"]

_EPILOG = """\
examples:
  pkgimport bind platform arch os     the packages rez's implicit request names
  pkgimport bind python --exe /usr/bin/python3
  pkgimport bind --all --dry-run      show what would be created
"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``bind`` subcommand to *sub*."""
    parser = sub.add_parser(
        "bind",
        parents=[common],
        help="create platform/arch/os/python packages from this machine (like rez-bind)",
        description="Create rez's system packages from this machine, named exactly as rez-bind "
        "names them, in the --repo repository.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET", help=f"what to bind: {TARGETS_HELP}"
    )
    parser.add_argument("--all", action="store_true", help="bind all of them")
    parser.add_argument(
        "--exe", metavar="PATH", help="python interpreter to bind (default: this one)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be done, write nothing"
    )
    parser.set_defaults(run=run)


def _packages(targets: list[str], exe: str | None, workdir: Path) -> list[ImportedPackage]:
    from pkgimport.bind import bind_arch, bind_os, bind_platform, bind_python  # noqa: PLC0415 - see the imports
    from pkgimport.definition import ImportedPackage  # noqa: PLC0415 - see the imports

    makers = {"platform": bind_platform, "arch": bind_arch, "os": bind_os}
    packages: list[ImportedPackage] = []
    for target in targets:
        if target == "python":
            packages.append(bind_python(Path(exe) if exe else None, workdir=workdir))
        else:
            packages.append(ImportedPackage(definition=makers[target]()))
    return packages


def warn_site_packages(packages: list[ImportedPackage], ui: UI) -> None:
    """Say when a bound interpreter brings its own site-packages (issue 12, item 8)."""
    from pkgimport.bind import site_packages_warning  # noqa: PLC0415 - see the imports

    for package in packages:
        bound = package.definition.metadata.get("bind")
        if package.definition.name == "python" and isinstance(bound, dict):
            warning = site_packages_warning(Path(str(bound["exe"])))
            if warning:
                ui.warn(f"{package.definition.qualified_name}: {warning}")


def _show(ui: UI, results: list[AddResult], *, as_json: bool, dry_run: bool) -> None:
    if as_json:
        ui.json(
            [
                {
                    "name": r.name,
                    "version": r.version,
                    "status": r.status,
                    "variant_indices": list(r.variant_indices),
                    "path": r.path,
                    "dry_run": dry_run,
                }
                for r in results
            ]
        )
        return
    verb = {"created": "would create", "merged": "would update", "unchanged": "already have"}
    for r in results:
        status = verb[r.status] if dry_run else r.status
        ui.print(f"{status} {r.qualified_name}  {r.path}")


def run(args: argparse.Namespace, ui: UI) -> int:
    """Bind the requested targets into the repository; return the exit code."""
    from pkgimport.bind import BIND_TARGETS  # noqa: PLC0415 - see the imports
    from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415 - see the imports

    targets = list(BIND_TARGETS) if args.all else list(dict.fromkeys(args.targets))
    unknown = [t for t in targets if t not in BIND_TARGETS]
    if unknown or not targets:
        what = f"cannot bind {', '.join(map(repr, unknown))}" if unknown else "nothing to bind"
        ui.error(what, f"name one or more of {', '.join(BIND_TARGETS)}, or pass --all")
        return 2
    repo = FilesystemRepository(settings.repo_path(args.repo))
    if not args.dry_run:
        ui.recovery(repo.recover())
    import tempfile  # noqa: PLC0415 - every command's parser imports this module

    with tempfile.TemporaryDirectory(prefix="pkgimport-bind-") as tmp:
        packages = _packages(targets, args.exe, Path(tmp))
        warn_site_packages(packages, ui)
        with repo.transaction() as txn:
            results = [txn.add(package) for package in packages]
            if not args.dry_run:
                results = list(txn.commit())
    _show(ui, results, as_json=args.json, dry_run=args.dry_run)
    return 0
