"""Transactions: staging, all-or-nothing commits, rollback, concurrent writers."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest

from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.errors import RepositoryError
from pkgimport.repository._lock import hold_lock
from pkgimport.repository._reader import read_package_file
from pkgimport.repository.filesystem import FilesystemRepository

if TYPE_CHECKING:
    from pathlib import Path

D = PackageDefinition


def visible(repo_dir: Path) -> list[str]:
    """Every file and folder below *repo_dir* except pkgimport's private folder."""
    return sorted(
        str(p.relative_to(repo_dir)) for p in repo_dir.rglob("*") if ".pkgimport" not in p.parts
    )


def make_payload(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "payload" / name
    folder.mkdir(parents=True)
    (folder / "data.txt").write_text(name)
    return folder


def test_uncommitted_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn:
        result = txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1"), payloads={0: make_payload(tmp_path, "p")}
            )
        )
        assert result.status == "created"
        view = txn.view()
        assert list(view.iter_families()) == ["foo"]
        record = view.get_record("foo", "1")
        assert record is not None
        assert record.path == str(tmp_path / "repo" / "foo" / "1" / "package.py")
        assert view.load("foo", "1").name == "foo"
    assert visible(tmp_path / "repo") == []
    assert list((tmp_path / "repo" / ".pkgimport" / "staging").iterdir()) == []
    assert list(repo.iter_families()) == []


def test_commit_installs_everything_and_cleans_staging(tmp_path: Path) -> None:
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn:
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1"), payloads={0: make_payload(tmp_path, "p")}
            )
        )
        txn.add(ImportedPackage(definition=D(name="bar", version="2", variants=(("foo",),))))
        txn.commit()
        with pytest.raises(RepositoryError, match="not open"):
            txn.add(ImportedPackage(definition=D(name="baz", version="1")))
    assert visible(tmp_path / "repo") == [
        "bar",
        "bar/2",
        "bar/2/package.py",
        "foo",
        "foo/1",
        "foo/1/data.txt",
        "foo/1/package.py",
    ]
    assert list((tmp_path / "repo" / ".pkgimport" / "staging").iterdir()) == []
    assert [r.qualified_name for r in map(repo.get_record, ["foo", "bar"], ["1", "2"]) if r] == [
        "foo-1",
        "bar-2",
    ]


def test_two_adds_of_one_package_in_one_transaction_merge(tmp_path: Path) -> None:
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn:
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1", variants=(("a",),)),
                payloads={0: make_payload(tmp_path, "a")},
            )
        )
        second = txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1", variants=(("b",),)),
                payloads={0: make_payload(tmp_path, "b")},
            )
        )
        assert second.variant_indices == (1,)
        txn.commit()
    assert (tmp_path / "repo/foo/1/a/data.txt").read_text() == "a"
    assert (tmp_path / "repo/foo/1/b/data.txt").read_text() == "b"
    assert read_package_file(tmp_path / "repo/foo/1/package.py").variants == (("a",), ("b",))


def test_failure_after_the_decision_rolls_forward_never_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_dir = tmp_path / "repo"
    repo = FilesystemRepository(repo_dir, index_file=None)
    with repo.transaction() as txn:
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1", variants=(("a",),)),
                payloads={0: make_payload(tmp_path, "a")},
            )
        )
        txn.commit()
    before = visible(repo_dir)

    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        # The third package's file replace fails, after two packages were moved into place.
        if str(dst).endswith("zzz/1/package.py"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    (repo_dir / "zzz" / "1").mkdir(parents=True)  # an existing version folder without a file
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="bar", version="1")))
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1", variants=(("b",),)),
                payloads={0: make_payload(tmp_path, "b")},
            )
        )
        txn.add(ImportedPackage(definition=D(name="zzz", version="1")))
        with pytest.raises(RepositoryError) as info:
            txn.commit()
    message = str(info.value)
    assert "stopped at zzz-1 (No space left on device): bar-1, foo-1 installed" in message
    assert "the next pkgimport write to this repository finishes them" in message
    # What became visible stays, each package complete; the rest waits in staging.
    assert (repo_dir / "bar/1/package.py").is_file()
    assert read_package_file(repo_dir / "foo/1/package.py").variants == (("a",), ("b",))
    assert (repo_dir / "foo/1/b/data.txt").read_text() == "b"
    assert not (repo_dir / "zzz/1/package.py").exists()
    assert len([p for p in (repo_dir / ".pkgimport/staging").iterdir() if p.is_dir()]) == 1

    # The next writer, importing something else, completes it and withdraws nothing.
    monkeypatch.setattr(os, "replace", real_replace)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="qux", version="1")))
        txn.commit()
    assert txn.recovered.completed == ["bar-1", "foo-1", "zzz-1"]
    assert (repo_dir / "zzz/1/package.py").is_file()
    assert set(before) <= set(visible(repo_dir))
    assert read_package_file(repo_dir / "foo/1/package.py").variants == (("a",), ("b",))
    assert list((repo_dir / ".pkgimport" / "staging").iterdir()) == []


def test_payload_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn, pytest.raises(RepositoryError, match="does not exist"):
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1"), payloads={0: tmp_path / "missing"}
            )
        )
    (tmp_path / "repo" / "foo").mkdir(parents=True)
    (tmp_path / "repo" / "foo" / "1").symlink_to(tmp_path)
    with repo.transaction() as txn, pytest.raises(RepositoryError, match="outside the repository"):
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1", variants=(("x",),)),
                payloads={0: make_payload(tmp_path, "x")},
            )
        )


def test_commit_waits_for_the_lock_and_times_out(tmp_path: Path) -> None:
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction(lock_timeout=0.2) as txn:
        txn.add(ImportedPackage(definition=D(name="foo", version="1")))
        lock = tmp_path / "repo" / ".pkgimport" / "lock"
        # Another process holds the lock: simulate with a child holding it.
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(f"""
                import filelock, sys, time
                with filelock.FileLock({str(lock)!r}):
                    print("locked", flush=True)
                    time.sleep(5)
            """),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "locked"
            with pytest.raises(RepositoryError, match="locked by another writer") as info:
                txn.commit()
            assert info.value.hint
        finally:
            child.kill()
            child.wait()
    with hold_lock(tmp_path / "repo" / ".pkgimport" / "lock", timeout=1):
        pass


def test_stale_staging_of_a_dead_writer_is_removed(tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    stale = repo_dir / ".pkgimport" / "staging" / "123-dead"
    (stale / "payloads").mkdir(parents=True)
    (repo_dir / ".pkgimport" / "staging" / "123-dead.lock").write_text("")
    repo = FilesystemRepository(repo_dir, index_file=None)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="foo", version="1")))
        txn.commit()
    assert not stale.exists()


_WRITER = r"""
import sys
from pathlib import Path
from pkgimport.definition import ImportedPackage, PackageDefinition as D
from pkgimport.repository.filesystem import FilesystemRepository
repo_dir, tag, count, payload_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
payload_dir.mkdir(parents=True, exist_ok=True)
(payload_dir / "marker").write_text(tag)
repo = FilesystemRepository(repo_dir, index_file=None)
for i in range(count):
    with repo.transaction() as txn:
        # A variant of one shared package, which needs a new package of this commit.
        txn.add(ImportedPackage(definition=D(name="foo", version="1",
                                             variants=((f"{tag}-{i}", f"dep{tag}-{i}"),)),
                                payloads={0: payload_dir}))
        txn.add(ImportedPackage(definition=D(name=f"pkg{tag}", version=str(i),
                                             requires=(f"dep{tag}-{i}",))))
        txn.add(ImportedPackage(definition=D(name=f"dep{tag}", version=str(i))))
        txn.commit()
"""

_TAGS = "abcdefgh"  # 8 writers


def _check_consistent(repo_dir: Path) -> int:
    """Assert what a reader sees now: complete packages, dependencies first; count checks."""
    checks = 0
    package_file = repo_dir / "foo" / "1" / "package.py"
    if package_file.exists():
        definition = read_package_file(package_file)  # never torn
        for variant in definition.variants:
            # A listed variant has its payload in place, and its new dependency is visible.
            assert (repo_dir / "foo" / "1" / variant[0] / variant[1] / "marker").is_file()
            name, _, version = variant[1].rpartition("-")
            assert (repo_dir / name / version / "package.py").is_file()
            checks += 1
    for tag in _TAGS:
        family_dir = repo_dir / f"pkg{tag}"
        if family_dir.is_dir():
            for version_dir in family_dir.iterdir():
                assert (version_dir / "package.py").is_file()
                assert (repo_dir / f"dep{tag}" / version_dir.name / "package.py").is_file()
                checks += 1
    return checks


def test_eight_concurrent_writers_lose_nothing_and_never_dangle(tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    count = 6
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(repo_dir), tag, str(count), str(tmp_path / tag)]
        )
        for tag in _TAGS
    ]
    checks = 0
    while any(w.poll() is None for w in writers):
        checks += _check_consistent(repo_dir)
    assert [w.wait() for w in writers] == [0] * len(_TAGS)
    final = read_package_file(repo_dir / "foo" / "1" / "package.py")
    assert sorted(v[0] for v in final.variants) == sorted(
        f"{tag}-{i}" for tag in _TAGS for i in range(count)
    )
    repo = FilesystemRepository(repo_dir, index_file=None)
    for tag in _TAGS:
        assert len(list(repo.iter_records(f"pkg{tag}"))) == count
        assert len(list(repo.iter_records(f"dep{tag}"))) == count
    assert repo.problems == []
    assert checks > 0


def test_writers_killed_at_random_lose_nothing_visible(tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    rng = random.Random(20261206)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(repo_dir), tag, "30", str(tmp_path / tag)]
        )
        for tag in _TAGS
    ]
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    next_kill = 0.0
    killed = 0
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        _check_consistent(repo_dir)
        if (repo_dir / "foo/1/package.py").exists():
            variants = read_package_file(repo_dir / "foo/1/package.py").variants
            seen |= {"/".join(v) for v in variants}
            if not next_kill:
                next_kill = time.monotonic()
        alive = [w for w in writers if w.poll() is None]
        if next_kill and time.monotonic() >= next_kill and len(alive) > 2:
            rng.choice(alive).kill()  # SIGKILL, anywhere: staging, commit or between
            killed += 1
            next_kill = time.monotonic() + rng.uniform(0.01, 0.2)
    assert [w.wait() for w in writers].count(-9) == killed  # the others finished
    _check_consistent(repo_dir)
    FilesystemRepository(repo_dir, index_file=None).recover()
    _check_consistent(repo_dir)
    final = {"/".join(v) for v in read_package_file(repo_dir / "foo/1/package.py").variants}
    assert seen <= final  # nothing a reader saw was withdrawn
    assert killed > 0
    assert [p for p in (repo_dir / ".pkgimport/staging").iterdir() if p.is_dir()] == []


_CRASHING_WRITER = r"""
import os, sys
from pathlib import Path
from pkgimport.definition import ImportedPackage, PackageDefinition as D
from pkgimport.repository.filesystem import FilesystemRepository
repo_dir, payload = sys.argv[1], Path(sys.argv[2])
real_replace = os.replace
def dying_replace(src, dst):
    if str(dst).endswith("zzz/1/package.py"):
        os._exit(9)  # killed mid-commit: no cleanup, no undo
    real_replace(src, dst)
os.replace = dying_replace
repo = FilesystemRepository(repo_dir, index_file=None)
with repo.transaction() as txn:
    txn.add(ImportedPackage(definition=D(name="bar", version="1")))
    txn.add(ImportedPackage(definition=D(name="foo", version="1", variants=(("b",),)),
                            payloads={0: payload}))
    txn.add(ImportedPackage(definition=D(name="zzz", version="1")))
    txn.commit()
"""


def test_a_writer_killed_mid_commit_is_completed_by_the_next_writer(tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    repo = FilesystemRepository(repo_dir, index_file=None)
    with repo.transaction() as txn:
        txn.add(
            ImportedPackage(
                definition=D(name="foo", version="1", variants=(("a",),)),
                payloads={0: make_payload(tmp_path, "a")},
            )
        )
        txn.commit()
    (repo_dir / "zzz" / "1").mkdir(parents=True)
    child = subprocess.run(
        [sys.executable, "-c", _CRASHING_WRITER, str(repo_dir), str(make_payload(tmp_path, "b"))],
        check=False,
    )
    assert child.returncode == 9
    # The dead writer's first packages are visible (each complete)...
    assert (repo_dir / "bar" / "1" / "package.py").is_file()
    assert read_package_file(repo_dir / "foo/1/package.py").variants == (("a",), ("b",))
    seen = visible(repo_dir)
    # ...and stay so: the next writer completes the dead one's commit before its own.
    report = repo.recover()
    assert report.completed == ["bar-1", "foo-1", "zzz-1"]
    assert report.discarded == report.refused == []
    assert set(seen) <= set(visible(repo_dir))
    assert (repo_dir / "zzz/1/package.py").is_file()
    assert read_package_file(repo_dir / "foo/1/package.py").variants == (("a",), ("b",))
    assert list((repo_dir / ".pkgimport" / "staging").iterdir()) == []
    assert not repo.recover()  # nothing left to do (and no lock taken)


def test_payload_files_are_staged_as_links_on_the_same_filesystem(tmp_path: Path) -> None:
    payload = make_payload(tmp_path, "p")
    (payload / "sub").mkdir()
    (payload / "sub" / "mod.py").write_text("x = 1\n")
    (payload / "link").symlink_to("data.txt")
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="foo", version="1"), payloads={0: payload}))
        txn.commit()
    installed = tmp_path / "repo" / "foo" / "1"
    assert (installed / "sub" / "mod.py").samefile(payload / "sub" / "mod.py")
    assert (installed / "link").is_symlink()
    assert str((installed / "link").readlink()) == "data.txt"
    # The source tree is untouched, whatever happened to the staged one.
    assert sorted(p.name for p in payload.rglob("*")) == ["data.txt", "link", "mod.py", "sub"]


def test_rollback_of_linked_payload_keeps_the_source(tmp_path: Path) -> None:
    payload = make_payload(tmp_path, "p")
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="foo", version="1"), payloads={0: payload}))
    assert (payload / "data.txt").read_text() == "p"
    assert (payload / "data.txt").stat().st_nlink == 1
    assert visible(tmp_path / "repo") == []


def test_payload_is_copied_when_links_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno  # noqa: PLC0415

    calls = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    payload = make_payload(tmp_path, "p")
    (payload / "more.txt").write_text("more")
    monkeypatch.setattr(os, "link", refuse)
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=D(name="foo", version="1"), payloads={0: payload}))
        txn.commit()
    installed = tmp_path / "repo" / "foo" / "1"
    assert (installed / "data.txt").read_text() == "p"
    assert (installed / "more.txt").read_text() == "more"
    assert not (installed / "data.txt").samefile(payload / "data.txt")
    assert len(calls) == 1  # the first refusal switches the transaction to copies
