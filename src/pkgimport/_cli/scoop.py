"""``pkgimport scoop``: import Scoop apps as rez packages, on any host."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport import settings
from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from pkgimport._cli._ui import UI
    from pkgimport.importers.scoop._bucket import Bucket, BucketSet
    from pkgimport.importers.scoop._importer import ImportOptions, ScoopImport, ScoopImporter
    from pkgimport.importers.scoop._manifest import Arch

# The importer is imported where it is used: building the parser for any command imports
# this module.

__all__ = ["register", "run"]

_EPILOG = """\
examples:
  pkgimport scoop ripgrep --definition-only       definition only, no download
  pkgimport scoop 7zip --skip-scripts             7zip has a post_install hook
  pkgimport scoop git cmake --arch 64bit          payloads for 64-bit Windows
  pkgimport scoop ffmpeg@7.1 --bucket main=~/scoop-main
  pkgimport scoop ./my-app.json --allow-unverified

APP is a name looked up in the buckets in order, bucket/app, a manifest path, or a manifest
URL, optionally with @VERSION. Known buckets: main, extras, versions (cloned into the user
cache); --bucket NAME=DIR works offline.

extraction limits (per archive; an archive past them is refused and nothing is kept):
  PKGIMPORT_EXTRACT_MAX_BYTES   bytes it may write (500M, 20G); default 20x the archive,
                                at least 16 MiB, at most 10 GiB
  PKGIMPORT_EXTRACT_MAX_FILES   files and folders it may create; default 200000
"""

_ARCHS: tuple[Arch, ...] = ("64bit", "32bit", "arm64")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``scoop`` subcommand to *sub*."""
    parser = sub.add_parser(
        "scoop",
        parents=[common],
        help="import Scoop apps as rez packages",
        description="Import Scoop apps as rez packages: read the manifest and do what Scoop "
        "would do (download, verify, extract, launchers, environment) on any host.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "apps", nargs="+", metavar="APP", help="APP[@VERSION], bucket/app, a manifest path or URL"
    )
    parser.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="NAME=DIR_OR_GIT_URL",
        help="a bucket to look apps up in (repeatable, searched in order; default: main)",
    )
    parser.add_argument(
        "--arch",
        action="append",
        choices=_ARCHS,
        metavar="ARCH",
        help="only these architectures: 64bit, 32bit, arm64 (repeatable; "
        "default: all the manifest has)",
    )
    parser.add_argument(
        "--definition-only",
        action="store_true",
        help="write the package definition without downloading a payload",
    )
    parser.add_argument(
        "--skip-scripts",
        action="store_true",
        help="import manifests with PowerShell hooks or installer programs "
        "without running them (recorded in the package)",
    )
    parser.add_argument(
        "--allow-unverified", action="store_true", help="accept nightly and hash-less manifests"
    )
    parser.add_argument("--dry-run", action="store_true", help="convert and check, write nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(run=run)


def _buckets(options: list[str]) -> BucketSet:
    import platformdirs  # noqa: PLC0415 - see the imports

    from pkgimport.importers.scoop._bucket import BucketSet, parse_bucket_option  # noqa: PLC0415 - see the imports

    buckets = [parse_bucket_option(o) for o in options] or [parse_bucket_option("main")]
    seen: dict[str, Bucket] = {}
    for bucket in buckets:
        seen.setdefault(bucket.name, bucket)
    cache = Path(platformdirs.user_cache_dir("pkgimport")) / "scoop" / "buckets"
    return BucketSet(list(seen.values()), cache)


def _summary(item: ScoopImport, status: str) -> dict[str, object]:
    conv = item.conversion
    d = conv.definition
    return {
        "app": item.found.app,
        "bucket": item.found.bucket,
        "source": item.found.source,
        "name": d.name,
        "version": d.version,
        "variants": [list(v) for v in d.variants],
        "tools": list(d.tools),
        "requires": list(d.requires),
        "status": status,
        "skipped_scripts": list(conv.skipped_hooks),
        "recipe": item.recipe,
        "warnings": list(conv.warnings),
    }


def _convert_all(
    importer: ScoopImporter, apps: list[str], options: ImportOptions, ui: UI
) -> list[ScoopImport]:
    """Convert every app; report every refusal, then fail if there was one."""
    converted: list[ScoopImport] = []
    errors: list[PkgImportError] = []
    for app in apps:
        try:
            converted.append(importer.convert(app, options))
        except PkgImportError as exc:  # noqa: PERF203 - one refusal must not hide the others
            errors.append(exc)
    if errors:
        for error in errors[:-1]:
            ui.error(str(error), error.hint)
        last = errors[-1]
        if len(errors) > 1:
            raise PkgImportError(
                f"{last} ({len(errors)} apps refused; nothing was written)", hint=last.hint
            )
        raise last
    return converted


def _check_renders(converted: list[ScoopImport]) -> None:
    from pkgimport.repository._package_py import render_package_py  # noqa: PLC0415

    for item in converted:
        render_package_py(item.conversion.definition)


def run(args: argparse.Namespace, ui: UI) -> int:
    """Import the requested apps into the repository; return the exit code."""
    from pkgimport.importers.scoop._importer import ImportOptions, ScoopImporter  # noqa: PLC0415 - see the imports

    options = ImportOptions(
        archs=tuple(dict.fromkeys(args.arch)) if args.arch else None,
        skip_scripts=args.skip_scripts,
        allow_unverified=args.allow_unverified,
        definition_only=args.definition_only,
    )
    if not args.definition_only:
        # A bad extraction limit fails now, not after the downloads.
        settings.extract_max_bytes(0)
        settings.extract_max_files()
    importer = ScoopImporter(_buckets(args.bucket))
    converted = _convert_all(importer, list(dict.fromkeys(args.apps)), options, ui)
    repo_root = settings.repo_path(args.repo)
    if args.dry_run and args.definition_only:
        # Fast path (benchmark: a whole bucket in seconds): check each definition renders,
        # touch no repository and no network.
        _check_renders(converted)
        rows = [_summary(c, "would import") for c in converted]
    else:
        rows = _import(importer, converted, repo_root, options, dry_run=args.dry_run, ui=ui)
    _show(ui, rows, as_json=args.json)
    return 0


def _import(
    importer: ScoopImporter,
    converted: list[ScoopImport],
    repo_root: Path,
    options: ImportOptions,
    *,
    dry_run: bool,
    ui: UI,
) -> list[dict[str, object]]:
    from pkgimport.definition import ImportedPackage  # noqa: PLC0415
    from pkgimport.importers.scoop._verify import verify_imported  # noqa: PLC0415
    from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415

    repo = FilesystemRepository(repo_root)
    if not dry_run:
        ui.recovery(repo.recover())
    import tempfile  # noqa: PLC0415 - every command's parser imports this module

    with tempfile.TemporaryDirectory(prefix="pkgimport-scoop-") as tmp:
        packages: list[ImportedPackage] = []
        for i, item in enumerate(converted):
            if options.definition_only:
                packages.append(ImportedPackage(definition=item.conversion.definition))
                continue
            ui.info(f"fetching {item.found.app} ({len(item.conversion.variants)} variant(s))")
            work = Path(tmp) / str(i)
            work.mkdir()
            packages.append(importer.build(item, work))
        with repo.transaction() as txn:
            results = [txn.add(p) for p in packages]
            verify_imported(txn.view(), [p.definition for p in packages])
            if not dry_run:
                results = list(txn.commit())
    verb = {"created": "would create", "merged": "would update", "unchanged": "already have"}
    return [
        _summary(item, verb[r.status] if dry_run else r.status)
        for item, r in zip(converted, results, strict=True)
    ]


def _show(ui: UI, rows: list[dict[str, object]], *, as_json: bool) -> None:
    if as_json:
        ui.json(rows)
        # What was left out of a package is never silent: stderr as well as the JSON rows.
        for row in rows:
            _warn(ui, row)
        return
    for row in rows:
        variants = row["variants"]
        assert isinstance(variants, list)  # noqa: S101 - built above
        ui.print(
            f"{row['status']} {row['name']}-{row['version']}  ({len(variants)} variant(s), "
            f"from {row['source']})"
        )
        skipped = row["skipped_scripts"]
        if skipped:
            assert isinstance(skipped, list)  # noqa: S101 - built above
            ui.warn(f"{row['name']}: not run: {', '.join(map(str, skipped))}")
        if row["recipe"]:
            ui.info(f"{row['name']}: scripts replaced by the recipe {row['recipe']!r}")
        _warn(ui, row)


def _warn(ui: UI, row: dict[str, object]) -> None:
    """Print each thing the conversion left out or changed, with its key path."""
    warnings = row["warnings"]
    assert isinstance(warnings, list)  # noqa: S101 - built above
    for warning in warnings:
        ui.warn(f"{row['name']}: {warning}")
