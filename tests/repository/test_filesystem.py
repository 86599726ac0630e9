"""Listing and reading filesystem repositories: layout rules, problems, the listing index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.repository import _records
from pkgimport.repository.base import PackageRecord
from pkgimport.repository.filesystem import FilesystemRepository, RepositoryPaths, read_record


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def package(repo: Path, name: str, version: str, body: str = "") -> Path:
    folder = repo / name / version if version else repo / name
    version_line = f"version = {version!r}\n" if version else ""
    return write(folder / "package.py", f"name = {name!r}\n{version_line}{body}")


def bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


class CountingReader:
    """The default reader, counting the files it reads."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: str, family: str, version: str, location: str) -> PackageRecord:
        self.paths.append(path)
        return read_record(path, family, version, location)


def test_layout_rules(tmp_path: Path) -> None:
    package(
        tmp_path, "foo", "1.0", "requires = ['bar-1']\nvariants = [['python-3']]\ntimestamp = 7\n"
    )
    package(tmp_path, "foo", "2.0")
    write(tmp_path / "foo" / ".ignore2.0", "")  # rez-pkg-ignore
    (tmp_path / "foo" / "3.0").mkdir()  # being installed: hidden until it has a file
    write(tmp_path / "foo" / ".building3.0", "")
    package(tmp_path, "foo", "4.0")
    write(tmp_path / "foo" / ".building4.0", "")  # finished: visible again
    write(tmp_path / "yml" / "1" / "package.yaml", "name: yml\nversion: '1'\nrequires: [foo]\n")
    package(tmp_path, "uv", "")
    package(tmp_path, "uv", "9.0")  # hidden by the unversioned package
    (tmp_path / "not-a-family").mkdir()
    (tmp_path / ".pkgimport").mkdir()
    repo = FilesystemRepository(tmp_path, index_file=None)
    assert list(repo.iter_families()) == ["foo", "uv", "yml"]
    assert list(repo.iter_versions("foo")) == ["1.0", "4.0"]
    assert list(repo.iter_versions("uv")) == [""]
    record = repo.get_record("foo", "1.0")
    assert record == PackageRecord(
        name="foo",
        version="1.0",
        timestamp=7,
        requires=("bar-1",),
        variants=(("python-3",),),
        location=str(tmp_path),
        path=str(tmp_path / "foo" / "1.0" / "package.py"),
    )
    assert repo.variant_root(record, 0) == tmp_path / "foo" / "1.0" / "python-3"
    yml = repo.get_record("yml", "1")
    assert yml is not None
    assert yml.requires == ("foo",)
    assert repo.load("foo", "1.0").variants == (("python-3",),)
    assert repo.problems == []


def test_package_py_wins_over_package_yaml(tmp_path: Path) -> None:
    package(tmp_path, "foo", "1", "requires = ['py']\n")
    write(tmp_path / "foo" / "1" / "package.yaml", "name: foo\nversion: '1'\nrequires: [yaml]\n")
    record = FilesystemRepository(tmp_path, index_file=None).get_record("foo", "1")
    assert record is not None
    assert record.requires == ("py",)


def test_broken_files_are_reported_and_skipped(tmp_path: Path) -> None:
    package(tmp_path, "foo", "1.0")
    package(tmp_path, "foo", "2.0", "requires = [\n")  # syntax error
    (tmp_path / "foo" / "3.0").mkdir()  # no file, not building
    repo = FilesystemRepository(tmp_path, index_file=None)
    assert list(repo.iter_versions("foo")) == ["1.0"]
    problems = {Path(p.path).relative_to(tmp_path).as_posix(): p.reason for p in repo.problems}
    assert set(problems) == {"foo/2.0/package.py", "foo/3.0"}
    assert problems["foo/3.0"] == "missing package definition file"
    assert problems["foo/2.0/package.py"]


def test_index_reuses_unchanged_files_and_rereads_changed_ones(tmp_path: Path) -> None:
    repo_dir, index = tmp_path / "repo", tmp_path / "cache" / "index.marshal"
    for version in ("1", "2", "3"):
        package(repo_dir, "foo", version)
    package(repo_dir, "bar", "1")
    reader = CountingReader()
    repo = FilesystemRepository(repo_dir, index_file=index, reader=reader)
    assert len(list(repo.iter_all_records())) == 4
    assert len(reader.paths) == 4
    assert index.is_file()

    # Warm: nothing read.
    reader = CountingReader()
    repo = FilesystemRepository(repo_dir, index_file=index, reader=reader)
    assert len(list(repo.iter_all_records())) == 4
    assert reader.paths == []

    # An edited file is read again, alone.
    edited = package(repo_dir, "foo", "2", "requires = ['x']\n")
    bump_mtime(edited)
    # A new version and an ignored one change the family folder: its listing is redone.
    package(repo_dir, "bar", "2")
    reader = CountingReader()
    repo = FilesystemRepository(repo_dir, index_file=index, reader=reader)
    records = {r.qualified_name: r for r in repo.iter_all_records()}
    assert records["foo-2"].requires == ("x",)
    assert sorted(Path(p).relative_to(repo_dir).as_posix() for p in reader.paths) == [
        "bar/1/package.py",
        "bar/2/package.py",
        "foo/2/package.py",
    ]
    write(repo_dir / "foo" / ".ignore3", "")
    repo = FilesystemRepository(repo_dir, index_file=index, reader=CountingReader())
    assert list(repo.iter_versions("foo")) == ["1", "2"]


def test_broken_file_stays_a_problem_from_the_index(tmp_path: Path) -> None:
    repo_dir, index = tmp_path / "repo", tmp_path / "index.marshal"
    package(repo_dir, "foo", "1", "requires = [\n")
    assert len(FilesystemRepository(repo_dir, index_file=index).problems) == 0  # nothing listed yet
    repo = FilesystemRepository(repo_dir, index_file=index)
    assert list(repo.iter_all_records()) == []
    assert len(repo.problems) == 1
    repo = FilesystemRepository(repo_dir, index_file=index, reader=CountingReader())
    assert list(repo.iter_all_records()) == []
    assert [p.path for p in repo.problems] == [str(repo_dir / "foo" / "1" / "package.py")]


def test_a_torn_index_is_ignored(tmp_path: Path) -> None:
    package(tmp_path / "repo", "foo", "1")
    index = write(tmp_path / "index.marshal", "garbage")
    repo = FilesystemRepository(tmp_path / "repo", index_file=index)
    assert [r.version for r in repo.iter_all_records()] == ["1"]


def test_a_torn_family_in_the_index_is_read_again_alone(tmp_path: Path) -> None:
    import marshal  # noqa: PLC0415

    repo_dir, index = tmp_path / "repo", tmp_path / "index.marshal"
    package(repo_dir, "bar", "1")
    package(repo_dir, "foo", "2")
    FilesystemRepository(repo_dir, index_file=index).preload()
    data = marshal.loads(index.read_bytes())
    mtime, _ = data["families"]["foo"]
    data["families"]["foo"] = (mtime, b"garbage")
    index.write_bytes(marshal.dumps(data))
    reader = CountingReader()
    repo = FilesystemRepository(repo_dir, index_file=index, reader=reader)
    assert [r.qualified_name for r in repo.iter_all_records()] == ["bar-1", "foo-2"]
    assert reader.paths == [str(repo_dir / "foo" / "2" / "package.py")]


def test_our_writes_update_the_index(tmp_path: Path) -> None:
    repo_dir, index = tmp_path / "repo", tmp_path / "index.marshal"
    repo = FilesystemRepository(repo_dir, index_file=index)
    with repo.transaction() as txn:
        txn.add(ImportedPackage(definition=PackageDefinition(name="foo", version="1")))
        txn.commit()
    reader = CountingReader()
    again = FilesystemRepository(repo_dir, index_file=index, reader=reader)
    assert [r.qualified_name for r in again.iter_all_records()] == ["foo-1"]
    assert reader.paths == []


def test_hashed_variant_shortlinks_are_honoured(tmp_path: Path) -> None:
    package(tmp_path, "foo", "1", "hashed_variants = True\nvariants = [['python-3.7']]\n")
    digest = "88a70aca30cb79a278872594adf043dc6c40af99"
    (tmp_path / "foo" / "1" / digest).mkdir()
    repo = FilesystemRepository(tmp_path, index_file=None)
    record = repo.get_record("foo", "1")
    assert record is not None
    assert repo.variant_root(record, 0) == tmp_path / "foo" / "1" / digest
    (tmp_path / "foo" / "1" / "_v").mkdir()
    (tmp_path / "foo" / "1" / "_v" / "a").symlink_to(f"../{digest}")
    assert repo.variant_root(record, 0) == tmp_path / "foo" / "1" / "_v" / "a"
    assert repo.variant_paths(record, 0) == (str(tmp_path / "foo/1/_v/a"), str(tmp_path / "foo/1"))


@pytest.mark.parametrize(
    "body",
    [
        "",
        "variants = [['python-3.7'], ['python-2', 'platform-linux']]\n",
        "variants = [['python-3.7+<4']]\nhashed_variants = True\n",
    ],
)
@pytest.mark.parametrize("version", ["1.0", ""])
def test_variant_paths_are_the_variant_root_and_base_as_strings(
    tmp_path: Path, body: str, version: str
) -> None:
    # GIVEN a package with no, plain or hashed variants (versioned or not)
    package(tmp_path, "foo", version, body)
    repo = FilesystemRepository(tmp_path, index_file=None)
    paths = RepositoryPaths([repo])
    record = repo.get_record("foo", version)
    assert record is not None
    # WHEN its variants are located as strings THEN they are the pathlib answers, spelled alike
    for index in [None, *range(record.variant_count)]:
        expected = (str(repo.variant_root(record, index)), str(repo.package_dir("foo", version)))
        assert repo.variant_paths(record, index) == expected
        assert paths.variant_paths(record, index) == expected


def test_variant_paths_in_a_repository_at_the_filesystem_root() -> None:
    record = PackageRecord(name="foo", version="1", variants=(("bar",),), location="/")
    repo = FilesystemRepository("/", index_file=None)
    assert repo.variant_paths(record, 0) == ("/foo/1/bar", "/foo/1")
    assert repo.variant_paths(record, 0)[0] == str(repo.variant_root(record, 0))


_REZ_LISTING = r"""
import json, sys
from rez.packages import iter_package_families, iter_packages
path = sys.argv[1]
out = {}
for family in iter_package_families(paths=[path]):
    out[family.name] = sorted(str(p.version) for p in iter_packages(family.name, paths=[path]))
json.dump(out, sys.stdout)
"""


def test_every_benchmark_package_loads_like_rez_lists_it(
    rez_benchmark_repo: Path, rez_env: dict[str, str], tmp_path: Path
) -> None:
    started = time.perf_counter()
    repo = FilesystemRepository(rez_benchmark_repo, index_file=tmp_path / "index.marshal")
    records = list(repo.iter_all_records())
    cold = time.perf_counter() - started
    assert len(records) == 18226
    assert repo.problems == []
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_LISTING, str(rez_benchmark_repo)],
        env=rez_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)
    ours: dict[str, list[str]] = {}
    for record in records:
        ours.setdefault(record.name, []).append(record.version)
    assert {k: sorted(v) for k, v in ours.items()} == theirs
    assert sum(r.variant_count for r in records) + sum(r.variants is None for r in records) == 25200
    started = time.perf_counter()
    warm = FilesystemRepository(rez_benchmark_repo, index_file=tmp_path / "index.marshal")
    assert list(warm.iter_all_records()) == records
    assert time.perf_counter() - started < max(cold, 1.0)


def test_repository_paths_merge_families(tmp_path: Path) -> None:
    package(tmp_path / "a", "foo", "1", "requires = ['from_a']\n")
    package(tmp_path / "b", "foo", "1", "requires = ['from_b']\n")
    package(tmp_path / "b", "foo", "2")
    package(tmp_path / "b", "bar", "1")
    paths = RepositoryPaths.from_paths([tmp_path / "a", tmp_path / "b"], index_file=None)
    assert list(paths.iter_families()) == ["bar", "foo"]
    assert [(r.version, r.requires) for r in paths.iter_records("foo")] == [
        ("1", ("from_a",)),
        ("2", ()),
    ]
    assert paths.has_family("bar")
    assert not paths.has_family("baz")


@pytest.mark.parametrize(("custom_reader", "fork"), [(False, True), (True, True), (False, False)])
def test_reading_in_worker_processes_gives_the_same_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, custom_reader: bool, fork: bool
) -> None:
    # GIVEN a repository with good and broken files
    for i in range(12):
        package(tmp_path / "repo", f"fam{i % 4}", f"1.{i}", f"requires = ['dep-{i}']\n")
    write(tmp_path / "repo" / "fam0" / "9" / "package.py", "name = 'fam0'\nrequires = [1]\n")
    serial = FilesystemRepository(tmp_path / "repo", index_file=None, parallel=False)
    expected = list(serial.iter_all_records())
    # WHEN the files are read by this process and two workers
    monkeypatch.setattr(_records, "_PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(_records, "free_cores", lambda: 3)
    monkeypatch.setattr(_records, "use_fork", lambda: fork)
    reader = CountingReader() if custom_reader else read_record
    repo = FilesystemRepository(tmp_path / "repo", index_file=None, reader=reader)
    # THEN the records and problems are the same, in the same order
    assert list(repo.iter_all_records()) == expected
    assert repo.problems == serial.problems
    assert [p.path for p in repo.problems] == [str(tmp_path / "repo" / "fam0/9/package.py")]


def test_free_cores_is_at_least_one() -> None:
    assert 1 <= _records.free_cores() <= max(os.cpu_count() or 1, 1)


def test_private_dirname_is_the_lock_modules() -> None:
    from pkgimport.repository import _lock, filesystem  # noqa: PLC0415

    assert filesystem._PRIVATE_DIRNAME == _lock.PRIVATE_DIRNAME


def test_an_edit_in_place_is_seen_through_the_index(tmp_path: Path) -> None:
    # GIVEN a warm index
    repo_dir, index = tmp_path / "repo", tmp_path / "index.marshal"
    path = package(repo_dir, "foo", "1", "requires = ['a']\n")
    list(FilesystemRepository(repo_dir, index_file=index).iter_all_records())
    # WHEN the file is rewritten in place (no folder mtime changes)
    folder_mtimes = [(repo_dir / "foo").stat().st_mtime_ns, path.parent.stat().st_mtime_ns]
    with path.open("a", encoding="utf-8") as stream:
        stream.write("requires = ['b']\n")
    bump_mtime(path)
    assert [(repo_dir / "foo").stat().st_mtime_ns, path.parent.stat().st_mtime_ns] == (
        folder_mtimes
    )
    # THEN the next listing reads it again
    repo = FilesystemRepository(repo_dir, index_file=index)
    assert [r.requires for r in repo.iter_all_records()] == [("b",)]


@pytest.mark.parametrize("fork", [True, False], ids=["fork", "executor"])
def test_a_failed_worker_means_reading_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    # GIVEN workers that die without a result (forked, or through the executor, which is used
    # when the process has other threads and cannot even pickle this reader)
    monkeypatch.setattr(_records, "use_fork", lambda: fork)
    for i in range(6):
        package(tmp_path / "repo", f"fam{i}", "1", f"requires = ['dep-{i}']\n")
    monkeypatch.setattr(_records, "_PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(_records, "free_cores", lambda: 2)
    monkeypatch.setattr(_records, "_read_packed", lambda *_: os._exit(3))
    # WHEN the repository is listed THEN everything is read in this process
    repo = FilesystemRepository(tmp_path / "repo", index_file=None)
    assert [r.requires for r in repo.iter_all_records()] == [(f"dep-{i}",) for i in range(6)]
