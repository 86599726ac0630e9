"""One variant's payload: download, verify, extract, then write launchers.

Layout of the folder :func:`build_payload` fills (it becomes the variant's ``{root}``)::

    app/          what Scoop would put in the app folder ($dir)
    bin/          launchers: NAME.cmd, NAME.ps1, NAME (POSIX sh)
    psmodules/    NAME/ -> a copy of app/ for psmodule manifests (PSModulePath)
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkgimport.importers.scoop._download import verify_file
from pkgimport.importers.scoop._errors import PayloadError
from pkgimport.importers.scoop._extract import archive_kind, extract_archive, select_extract_dir
from pkgimport.importers.scoop._hooks import apply_steps
from pkgimport.importers.scoop._launchers import (
    launcher_files,
    render_cmd,
    render_ps1,
    render_sh,
)
from pkgimport.safe_names import check_member_path, check_tool_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from pkgimport.importers.scoop._convert import VariantPlan
    from pkgimport.importers.scoop._download import Fetcher
    from pkgimport.importers.scoop._launchers import Launcher
    from pkgimport.importers.scoop._persist import Persist

__all__ = ["PayloadResult", "build_payload", "merge_into", "write_launchers"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PayloadResult:
    """What was built for one variant."""

    root: Path
    """The folder that becomes the variant root."""
    sha256: tuple[str, ...]
    """The verified sha256 of each download, in URL order."""


def merge_into(src: Path, dest: Path) -> None:
    """Move the contents of *src* into *dest* (merging folders, later files win, like Scoop)."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        target = dest / item.name
        if item.is_dir() and not item.is_symlink() and target.is_dir():
            merge_into(item, target)
            continue
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        shutil.move(str(item), str(target))


def _subdir(app: Path, rel: str, what: str) -> Path:
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in {"", "."}]
    if any(p == ".." or ":" in p for p in parts):
        raise PayloadError(f"{what} {rel!r} leaves the app folder")
    return app.joinpath(*parts)


def build_payload(
    plan: VariantPlan,
    work: Path,
    fetcher: Fetcher,
    *,
    cookies: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    after_extract: Callable[[Path], None] | None = None,
) -> PayloadResult:
    """Build the payload of *plan* under ``work`` (an empty folder it owns).

    Every download is verified before anything is extracted (Scoop's order: download all,
    verify all, then extract in URL order with the extract_dir / extract_to counter).

    :param after_extract: called with the payload root once everything is extracted, before
        the launchers are written (a recipe's steps run there).
    :raises PayloadError: download failure, hash mismatch, unsafe or broken archive.
    """
    downloads = work / "downloads"
    downloads.mkdir(parents=True)
    root = work / "root"
    app = root / "app"
    app.mkdir(parents=True)
    # 1. Download and verify every file.
    files: list[Path] = []
    digests: list[str] = []
    for i, dl in enumerate(plan.downloads):
        path = downloads / f"{i}" / dl.local_name
        path.parent.mkdir()
        try:
            fetcher.fetch(dl.fetch_url, path, cookies=cookies)
        except PayloadError:
            path.unlink(missing_ok=True)
            raise
        if dl.algo is None:
            from pkgimport.importers.scoop._download import file_digest  # noqa: PLC0415

            digests.append(file_digest(path, "sha256"))
        else:
            digests.append(verify_file(path, url=dl.url, algo=dl.algo, expected=dl.digest))
        files.append(path)
    # 2. Extract in URL order; extract_dir / extract_to count extracted archives only.
    counter = 0
    for dl, path in zip(plan.downloads, files, strict=True):
        kind = archive_kind(dl.local_name, innosetup=plan.innosetup)
        if kind == "copy":
            shutil.copy2(path, app / dl.local_name)
            continue
        extracted = work / f"extract{counter}"
        extracted.mkdir()
        holder = extract_archive(kind, path, extracted, local_name=dl.local_name, which=which)
        if counter < len(plan.extract_dir) and plan.extract_dir[counter]:
            holder = select_extract_dir(holder, plan.extract_dir[counter], dl.local_name)
        dest = app
        if counter < len(plan.extract_to) and plan.extract_to[counter]:
            dest = _subdir(app, plan.extract_to[counter], "extract_to")
        if holder.is_dir():
            merge_into(holder, dest)
        counter += 1
    # 3. The install hooks read as data, then a recipe's steps.
    apply_steps(plan.hook_steps, app)
    if after_extract is not None:
        after_extract(root)
    if not any(app.iterdir()):
        # An empty package is never acceptable (rez-scoopz#15).
        raise PayloadError("the payload is empty after extraction")
    # 4. Launchers and the PowerShell module folder.
    write_launchers(root, plan.launchers, persist=plan.persist)
    if plan.psmodule:
        name = check_tool_name(plan.psmodule, what="psmodule name")  # one folder name
        shutil.copytree(app, root / "psmodules" / name, symlinks=True)
    return PayloadResult(root=root, sha256=tuple(digests))


def write_launchers(
    root: Path, launchers: tuple[Launcher, ...], *, persist: Persist | None = None
) -> None:
    """Write each launcher's three scripts under ``root/bin`` (targets looked up in app/).

    With *persist*, every launcher copies the defaults the app folder holds for its persisted
    entries into the app's per-user persist home when the home lacks them (Scoop moves them
    there at install; a shared package cannot).

    :raises PayloadError: a launcher file exists already (two launchers would share it).
    """
    if not launchers:
        return
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    if bin_dir.is_symlink():
        raise PayloadError(f"{bin_dir} is a link: launchers are only written into a real folder")
    app = root / "app"
    copies = persist.copies(app) if persist is not None else ()
    for launcher in launchers:
        # A Launcher holds a checked alias (one file name) and target (a path inside the app
        # folder); the check is repeated here, where files are created.
        alias = check_tool_name(launcher.alias, what="bin alias", spaces=True)
        check_member_path(launcher.target, what="bin target")
        # A target missing from the app folder may be a command on PATH (Scoop allows it).
        exists = _exists_ci(app, launcher.target)
        scripts = tuple(
            render(launcher, target_exists=exists, persist=persist, copies=copies)
            for render in (render_sh, render_cmd, render_ps1)
        )
        for name, text in zip(launcher_files(alias), scripts, strict=True):
            path = bin_dir / name
            try:
                # "x": never replace a file, whichever launcher or payload step wrote it.
                with path.open("xb") as stream:
                    stream.write(text.encode("utf-8"))
            except FileExistsError:
                raise PayloadError(
                    f"launcher {alias!r}: {name!r} exists already in the launcher folder"
                ) from None
        (bin_dir / alias).chmod(0o755)


def _exists_ci(root: Path, rel: str) -> bool:
    """Tell whether *rel* exists under *root*, ignoring case as Windows does."""
    current = root
    for part in rel.split("/"):
        if not current.is_dir():
            return False
        matches = [c for c in current.iterdir() if c.name.lower() == part.lower()]
        if not matches:
            return False
        current = matches[0]
    return True
