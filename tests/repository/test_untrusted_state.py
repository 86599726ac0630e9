"""What lies in ``<repo>/.pkgimport/`` is untrusted input; full and read-only repositories.

A planted plan, a link in place of pkgimport's folders or locks: nothing outside the repository
changes, the plan is refused and reported, never applied. A full disk or a read-only repository:
one clear error naming the repository, no traceback, and the repository as it was.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.errors import RepositoryError
from pkgimport.repository.filesystem import FilesystemRepository
from tests.importers.scoop.scoop_testlib import Server, make_zip, serve, sha256, write_bucket

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

D = PackageDefinition


def tree(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every path below *folder* with its type, mtime and contents (a change shows)."""
    out: dict[str, tuple[int, int, bytes]] = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        out[str(path.relative_to(folder))] = (st.st_mode, st.st_mtime_ns, data)
    return out


def visible(repo: Path) -> dict[str, tuple[int, int, bytes]]:
    return {k: v for k, v in tree(repo).items() if not k.startswith(".pkgimport")}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files beside the repository that a hostile plan aims at."""
    folder = tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    (folder / "victim.txt").write_text("keep me")
    (folder / "sub" / "package.py").write_text("name = 'victim'\n")
    return folder


def _repo_with_foo(tmp_path: Path) -> Path:
    repo_dir = tmp_path / "repo"
    repo = FilesystemRepository(repo_dir, index_file=None)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="foo", version="1")))
        txn.commit()
    return repo_dir


def _plant(repo_dir: Path, name: str, steps: list[list[str]]) -> Path:
    staging = repo_dir / ".pkgimport" / "staging" / name
    staging.mkdir(parents=True)
    (staging / "plan.json").write_text(json.dumps({"format": 1, "steps": steps}))
    return staging


_HOSTILE_PLANS = {
    "dotdot target": [["move", "../outside/evil", "base-0", "", "evil-1"]],
    "absolute target": [["mkdir", "/tmp/pkgimport-evil-dir", "", "", "x"]],
    "dotdot source": [["move", "evil/1", "../../../../outside/victim.txt", "", "x"]],
    "retire outside": [["retire", "../outside/victim.txt", "retired", "", "x"]],
    "replace outside": [["replace", "../outside/sub/package.py", "f.py", "", "x"]],
    "touch outside": [["touch", "../outside", "", "", "x"]],
    "private target": [["move", ".pkgimport/lock", "base-0", "", "x"]],
    "through a link": [["move", "linked/1", "base-0", "", "x"]],
    "backslash": [["move", "..\\outside\\evil", "base-0", "", "x"]],
    "not a step": [["rename", "a", "b"]],
}


@pytest.mark.parametrize("case", sorted(_HOSTILE_PLANS))
def test_a_planted_plan_is_refused_and_nothing_outside_changes(
    case: str, tmp_path: Path, outside: Path
) -> None:
    repo_dir = _repo_with_foo(tmp_path)
    (repo_dir / "linked").symlink_to(outside)  # a family folder that leads out
    staging = _plant(repo_dir, "4242-planted", _HOSTILE_PLANS[case])
    (staging / "base-0").mkdir()
    (staging / "f.py").write_text("name = 'evil'\n")
    before_outside, before_repo = tree(outside), visible(repo_dir)

    report = FilesystemRepository(repo_dir, index_file=None).recover()

    assert len(report.refused) == 1
    assert report.completed == []
    assert "moved to .pkgimport/refused/4242-planted" in report.refused[0]
    assert tree(outside) == before_outside
    assert visible(repo_dir) == before_repo
    assert not os.path.lexists("/tmp/pkgimport-evil-dir")
    assert (repo_dir / ".pkgimport/refused/4242-planted/plan.json").is_file()
    # Refused once, not again at every write.
    assert not FilesystemRepository(repo_dir, index_file=None).recover()


def test_a_planted_plan_is_refused_by_an_import_too(tmp_path: Path, outside: Path) -> None:
    repo_dir = _repo_with_foo(tmp_path)
    _plant(repo_dir, "4242-planted", _HOSTILE_PLANS["dotdot source"])
    before = tree(outside)
    with FilesystemRepository(repo_dir, index_file=None).transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="bar", version="1")))
        txn.commit()
    assert len(txn.recovered.refused) == 1
    assert "leads outside" in txn.recovered.refused[0] or "'..'" in txn.recovered.refused[0]
    assert (repo_dir / "bar/1/package.py").is_file()
    assert tree(outside) == before


def test_a_staging_entry_that_is_a_link_is_removed_not_followed(
    tmp_path: Path, outside: Path
) -> None:
    repo_dir = _repo_with_foo(tmp_path)
    (repo_dir / ".pkgimport/staging/99-link").symlink_to(outside)
    (repo_dir / ".pkgimport/staging/98-x.lock").symlink_to(outside / "victim.txt")
    (repo_dir / ".pkgimport/staging/98-x").mkdir()
    before = tree(outside)
    report = FilesystemRepository(repo_dir, index_file=None).recover()
    assert report.discarded == ["98-x"]
    assert any("99-link" in r for r in report.refused)
    assert tree(outside) == before
    assert sorted(p.name for p in (repo_dir / ".pkgimport/staging").iterdir()) == []


@pytest.mark.parametrize("folder", [".pkgimport", ".pkgimport/staging"])
def test_pkgimport_folders_that_are_links_stop_every_write(
    folder: str, tmp_path: Path, outside: Path
) -> None:
    repo_dir = _repo_with_foo(tmp_path)
    shutil.rmtree(repo_dir / folder)
    (outside / "dead-writer").mkdir()  # would be "cleaned up" through the link
    (repo_dir / folder).symlink_to(outside)
    before = tree(outside)
    repo = FilesystemRepository(repo_dir, index_file=None)
    with pytest.raises(RepositoryError, match="is not a folder pkgimport made"):
        repo.recover()
    with pytest.raises(RepositoryError, match="is not a folder pkgimport made"):  # noqa: SIM117
        with repo.transaction() as txn:
            txn.add(ImportedPackage(definition=D(name="bar", version="1")))
    assert tree(outside) == before


def test_a_journal_of_the_earlier_format_is_dropped_not_replayed(
    tmp_path: Path, outside: Path
) -> None:
    # pkgimport before roll-forward commits replayed any dead writer's "journal" backwards:
    # a planted one renamed a file of the attacker's over one outside the repository.
    repo_dir = _repo_with_foo(tmp_path)
    staging = repo_dir / ".pkgimport/staging/77-old"
    staging.mkdir()
    (staging / "payload").write_text("evil")
    steps = [
        ["rename", str(outside / "victim.txt"), str(staging / "payload")],
        ["mkdir", str(outside / "sub"), ""],
    ]
    (staging / "journal").write_text("".join(json.dumps(step) + "\n" for step in steps))
    before = tree(outside)
    with FilesystemRepository(repo_dir, index_file=None).transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="bar", version="1")))
        txn.commit()
    assert tree(outside) == before
    assert (outside / "victim.txt").read_text() == "keep me"
    assert (repo_dir / "foo/1/package.py").is_file()
    assert not staging.exists()


# -- full and read-only repositories, through the CLI ---------------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


def _scoop_app(tmp_path: Path, server: Server, size: int) -> Path:
    archive = make_zip({"app.exe": os.urandom(size), "readme.txt": b"hi"})
    manifest = {
        "version": "1.0",
        "homepage": "https://example.invalid",
        "license": "MIT",
        "url": server.add("/app.zip", archive),
        "hash": sha256(archive),
        "bin": "app.exe",
    }
    return write_bucket(tmp_path / "bucket", {"app": manifest})


def _mount(args: list[str]) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@pytest.fixture
def full_repo(tmp_path: Path) -> Iterator[Path]:
    """A repository on a real 1 MiB filesystem (a tmpfs; needs root, as CI runs)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if not _mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)]):
        pytest.skip("mounting a tmpfs needs root; test_disk_full_when_staging covers the logic")
    try:
        yield mount_point / "repo"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _assert_one_clear_line(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], err
    assert len(err) < 2000  # not a 1.3 MB list of every file copytree failed on


def test_a_full_disk_names_the_repository_and_changes_nothing(
    tmp_path: Path, server: Server, full_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = _scoop_app(tmp_path, server, 2 << 20)
    full_repo.mkdir()
    (full_repo / "keep").mkdir()
    (full_repo / "keep" / "package.py").write_text("name = 'keep'\n")
    before = visible(full_repo)
    code = main(["scoop", "app", "--bucket", f"main={bucket}", "--repo", str(full_repo)])
    assert code == 1
    err = capsys.readouterr().err
    _assert_one_clear_line(err, str(full_repo), "No space left on device", "nothing in the")
    assert "free space" in err
    assert visible(full_repo) == before
    assert list((full_repo / ".pkgimport" / "staging").iterdir()) == []


def test_disk_full_when_staging(
    tmp_path: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The same, everywhere: the filesystem refuses every staged file with ENOSPC.
    bucket = _scoop_app(tmp_path, server, 1000)
    repo_dir = tmp_path / "repo"
    real_link = os.link

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", no_space)
    monkeypatch.setattr(shutil, "copy2", no_space)
    code = main(["scoop", "app", "--bucket", f"main={bucket}", "--repo", str(repo_dir)])
    monkeypatch.setattr(os, "link", real_link)
    assert code == 1
    err = capsys.readouterr().err
    _assert_one_clear_line(err, str(repo_dir), "No space left on device")
    assert visible(repo_dir) == {}


@pytest.fixture
def read_only_repo(tmp_path: Path) -> Iterator[Path]:
    """A repository with one package, bind-mounted read-only (needs root, as CI runs)."""
    source = _repo_with_foo(tmp_path)
    shutil.rmtree(source / ".pkgimport")  # as a repository rez-release alone wrote
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    if not _mount(["--bind", str(source), str(mount_point)]):
        pytest.skip("bind mounts need root; test_read_only_staging covers the logic")
    try:
        if not _mount(["-o", "remount,bind,ro", str(mount_point)]):
            pytest.skip("cannot remount read-only here")
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_read_only_repository_names_it_and_changes_nothing(
    tmp_path: Path, server: Server, read_only_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = _scoop_app(tmp_path, server, 1000)
    before = visible(read_only_repo)
    code = main(["scoop", "app", "--bucket", f"main={bucket}", "--repo", str(read_only_repo)])
    assert code == 1
    err = capsys.readouterr().err
    _assert_one_clear_line(err, str(read_only_repo), "Read-only file system")
    assert "writable" in err
    assert visible(read_only_repo) == before
    # Reading it still works: resolving and listing need no write access.
    assert main(["list", "--repo", str(read_only_repo)]) == 0


def test_read_only_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Simulated EROFS where pkgimport first writes: its staging folder.
    repo_dir = _repo_with_foo(tmp_path)
    shutil.rmtree(repo_dir / ".pkgimport")
    real_mkdir = os.mkdir

    def read_only(path: object, *args: object, **kwargs: object) -> None:
        if str(path).startswith(str(repo_dir)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", read_only)
    code = main(["bind", "platform", "--repo", str(repo_dir)])
    assert code == 1
    err = capsys.readouterr().err
    _assert_one_clear_line(err, str(repo_dir), "Read-only file system")
    assert not (repo_dir / "platform").exists()
