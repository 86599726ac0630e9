"""``pkgimport scoop``: import Scoop apps as rez packages, on any host."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport import settings
from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from pkgimport._cli._ui import UI
    from pkgimport.definition import ImportedPackage
    from pkgimport.importers.scoop._bucket import Bucket, BucketSet
    from pkgimport.importers.scoop._importer import ImportOptions, ScoopImport, ScoopImporter
    from pkgimport.importers.scoop._manifest import Arch
    from pkgimport.repository.filesystem import FilesystemRepository

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
  pkgimport scoop ripgrep fd nosuch --keep-going  import what converts, report the rest

APP is a name looked up in the buckets in order, bucket/app, a manifest path, or a manifest
URL, optionally with @VERSION. Known buckets: main, extras, versions (cloned into the user
cache); --bucket NAME=DIR works offline.

extraction limits (per archive; an archive past them is refused and nothing is kept):
  PKGIMPORT_EXTRACT_MAX_BYTES   bytes it may write (500M, 20G); default 20x the archive,
                                at least 16 MiB, at most 10 GiB
  PKGIMPORT_EXTRACT_MAX_FILES   files and folders it may create; default 200000

persisted data ($persist_dir) lives outside the repository, per user, read at run time:
  PKGIMPORT_SCOOP_PERSIST       holds <app>/ for each app; default
                                %LOCALAPPDATA%\\pkgimport\\persist on Windows, elsewhere
                                $HOME/.local/share/pkgimport/persist
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
        "--allow-unverified",
        action="store_true",
        help="accept nightly and hash-less manifests (and, with --definition-only, a version "
        "generated from autoupdate, which then has no hash at all)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="write the apps that convert even when others are refused (default: all or "
        "nothing); the exit code is still 1 when any app was refused",
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


class _App:
    """One requested app as the batch goes on: converted, built, written or refused."""

    def __init__(self, request: str) -> None:
        self.request = request
        """The APP argument as given."""
        self.item: ScoopImport | None = None
        self.package: ImportedPackage | None = None
        self.status = ""
        """``created``, ``would create``..., ``refused`` or ``not written``."""
        self.error: PkgImportError | None = None
        self.stage = ""
        """Where it was refused: ``convert``, ``payload``, ``repository``, ``verification``."""

    def refuse(self, stage: str, error: PkgImportError) -> None:
        self.status, self.stage, self.error = "refused", stage, error

    def row(self) -> dict[str, object]:
        """Return the app's JSON row (every row has ``request`` and ``status``)."""
        row: dict[str, object] = {"request": self.request}
        if self.item is not None:
            row.update(_summary(self.item, self.status))
        row["status"] = self.status
        if self.error is not None:
            error: dict[str, object] = {
                "stage": self.stage,
                "type": type(self.error).__name__,
                "message": str(self.error),
            }
            for key in ("reason", "key_path"):
                value = getattr(self.error, key, "")
                if isinstance(value, str) and value:
                    error[key] = value
            if self.error.hint:
                error["hint"] = self.error.hint
            row["error"] = error
        return row


_NOT_WRITTEN = "not written"
_ALL_OR_NOTHING = "another app was refused and imports are all or nothing"
_KEEP_GOING_HINT = "pass --keep-going to write the apps that convert"


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


def _stop(batch: list[_App]) -> None:
    """All or nothing: every app not refused is left unwritten."""
    for app in batch:
        if app.error is None:
            app.status = _NOT_WRITTEN


def run(args: argparse.Namespace, ui: UI) -> int:
    """Import the requested apps into the repository; return the exit code.

    Every app gets a row (converted, refused with its reason and key path, or not written);
    the exit code is 1 when any app was refused. Without ``--keep-going`` one refusal leaves
    every app unwritten, as before.
    """
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
    batch = [_App(request) for request in dict.fromkeys(args.apps)]
    # 1. Convert every app: one refusal must not hide the others.
    for app in batch:
        try:
            app.item = importer.convert(app.request, options)
        except PkgImportError as exc:  # noqa: PERF203 - every app is reported
            app.refuse("convert", exc)
    # 2. Build and write what converted (all of it, or with --keep-going what can be).
    if any(a.error for a in batch) and not args.keep_going:
        _stop(batch)
    elif args.dry_run and args.definition_only:
        # Fast path (benchmark: a whole bucket in seconds): check each definition renders,
        # touch no repository and no network.
        _check_renders(batch, keep_going=args.keep_going)
    else:
        repo_root = settings.repo_path(args.repo)
        _import(importer, batch, repo_root, options, args=args, ui=ui)
    # 3. Report every app.
    _show(ui, batch, as_json=args.json, keep_going=args.keep_going)
    return 1 if any(a.error for a in batch) else 0


def _check_renders(batch: list[_App], *, keep_going: bool) -> None:
    from pkgimport.repository._package_py import render_package_py  # noqa: PLC0415

    for app in batch:
        if app.item is None:
            continue
        try:
            render_package_py(app.item.conversion.definition)
        except PkgImportError as exc:
            app.refuse("repository", exc)
            if not keep_going:
                _stop(batch)
                return
        else:
            app.status = "would import"


def _import(
    importer: ScoopImporter,
    batch: list[_App],
    repo_root: Path,
    options: ImportOptions,
    *,
    args: argparse.Namespace,
    ui: UI,
) -> None:
    from pkgimport.definition import ImportedPackage  # noqa: PLC0415
    from pkgimport.repository.filesystem import FilesystemRepository  # noqa: PLC0415

    repo = FilesystemRepository(repo_root)
    if not args.dry_run:
        ui.recovery(repo.recover())
    import tempfile  # noqa: PLC0415 - every command's parser imports this module

    with tempfile.TemporaryDirectory(prefix="pkgimport-scoop-") as tmp:
        for i, app in enumerate(batch):
            if app.item is None:
                continue
            if options.definition_only:
                app.package = ImportedPackage(definition=app.item.conversion.definition)
                continue
            ui.info(
                f"fetching {app.item.found.app} ({len(app.item.conversion.variants)} variant(s))"
            )
            work = Path(tmp) / str(i)
            work.mkdir()
            try:
                app.package = importer.build(app.item, work)
            except PkgImportError as exc:
                app.refuse("payload", exc)
                if not args.keep_going:
                    # Nothing more is downloaded: nothing of this batch will be written.
                    _stop(batch)
                    return
        _commit(repo, batch, dry_run=args.dry_run, keep_going=args.keep_going)


def _commit(
    repo: FilesystemRepository, batch: list[_App], *, dry_run: bool, keep_going: bool
) -> None:
    """Stage, verify and commit every built app; with *keep_going*, without the refused ones.

    A package that cannot be staged or verified is refused; the transaction is then rolled
    back and (with *keep_going*) staged again without it, so what is committed was verified
    as one whole.
    """
    from pkgimport.importers.scoop._verify import verify_imported  # noqa: PLC0415

    verb = {"created": "would create", "merged": "would update", "unchanged": "already have"}
    while True:
        todo = [a for a in batch if a.package is not None and a.error is None]
        if not todo:
            return
        with repo.transaction() as txn:
            previews = []
            for app in todo:
                assert app.package is not None  # noqa: S101 - selected above
                try:
                    previews.append(txn.add(app.package))
                except PkgImportError as exc:
                    app.refuse("repository", exc)
            view = txn.view()
            for app in todo:
                if app.error is None:
                    assert app.package is not None  # noqa: S101 - selected above
                    try:
                        verify_imported(view, [app.package.definition])
                    except PkgImportError as exc:
                        app.refuse("verification", exc)
            if any(a.error for a in todo):
                if not keep_going:
                    _stop(batch)
                    return
                continue  # leaving the block rolls back; stage the others again
            results = previews if dry_run else list(txn.commit())
        for app, result in zip(todo, results, strict=True):
            app.status = verb[result.status] if dry_run else result.status
        return


def _show(ui: UI, batch: list[_App], *, as_json: bool, keep_going: bool) -> None:
    for app in batch:
        if app.error is not None:
            ui.error(str(app.error), app.error.hint)
    if as_json:
        rows = [a.row() for a in batch]
        ui.json(rows)
        # What was left out of a package is never silent: stderr as well as the JSON rows.
        for row in rows:
            if "warnings" in row:
                _warn(ui, row)
        return
    for app in batch:
        row = app.row()
        if app.error is not None:
            reason = getattr(app.error, "reason", "") or app.stage
            where = getattr(app.error, "key_path", "")
            at = f" at {where!r}" if where else ""
            ui.print(f"refused {app.request}  ({app.stage}: {reason}{at})")
            continue
        if app.status == _NOT_WRITTEN:
            named = f"{row['name']}-{row['version']}" if app.item else app.request
            ui.print(f"{_NOT_WRITTEN} {named}  ({_ALL_OR_NOTHING})")
            continue
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
    if len(batch) > 1 or any(a.error for a in batch):
        ui.print(_count_line(batch, keep_going=keep_going))


def _count_line(batch: list[_App], *, keep_going: bool) -> str:
    refused = sum(1 for a in batch if a.error is not None)
    unwritten = sum(1 for a in batch if a.status == _NOT_WRITTEN)
    done = len(batch) - refused - unwritten
    line = f"{len(batch)} app(s): {done} imported, {refused} refused, {unwritten} not written"
    if unwritten and not keep_going:
        line += f" ({_KEEP_GOING_HINT})"
    return line


def _warn(ui: UI, row: dict[str, object]) -> None:
    """Print each thing the conversion left out or changed, with its key path."""
    warnings = row["warnings"]
    assert isinstance(warnings, list)  # noqa: S101 - built above
    for warning in warnings:
        ui.warn(f"{row['name']}: {warning}")
