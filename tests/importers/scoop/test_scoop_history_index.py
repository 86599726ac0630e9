"""``app@version`` through the bucket's history index (built once, updated incrementally).

GIVEN a bucket git repository built here, WHEN past versions are asked for, THEN the newest
commit holding each version is found, the index is written once into the cache, later lookups
(another process, another BucketSet) walk no history again, new commits are indexed from the
last indexed one, and a rewritten history or a broken index file is rebuilt.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.importers.scoop import Bucket, BucketSet, parse_app_spec
from pkgimport.importers.scoop._history import HistoryIndex, index_file_name
from tests.importers.scoop.scoop_testlib import make_git_bucket

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _manifest(version: str, note: str = "") -> dict[str, Any]:
    return {
        "version": version,
        "homepage": "https://example.org",
        "license": "MIT",
        "url": f"https://example.org/tool-{version}.zip",
        "hash": "0" * 64,
        "description": note or f"tool {version}",
        "autoupdate": {"url": "https://example.org/tool-$version.zip"},
    }


def _git_log(folder: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(folder), "log", "--format=%H"], capture_output=True, text=True, check=True
    )
    return out.stdout.split()  # newest first


@pytest.fixture
def git_calls(tmp_path: Path) -> tuple[str, Path]:
    """A git program that records each call (one line of arguments) before running git."""
    log = tmp_path / "git-calls.log"
    wrapper = tmp_path / "git-wrapper"
    real = shutil.which("git")
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), log


def _calls(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def _walks(calls: list[str]) -> list[str]:
    """The calls that read history (``log``), not one blob or ``HEAD``."""
    return [c for c in calls if " log " in f" {c} "]


def _buckets(bucket: Path, tmp_path: Path, git: str) -> BucketSet:
    return BucketSet(
        [Bucket(name="main", location=str(bucket))],
        tmp_path / "cache" / "buckets",
        git=git,
    )


def _history(tmp_path: Path) -> Path:
    # tool: 1.0, 1.1, 1.1 again (a fix to the same version), 2.0; other: 0.1, 0.2.
    revisions: list[dict[str, dict[str, Any]]] = [
        {"tool": _manifest("1.0"), "other": _manifest("0.1")},
        {"tool": _manifest("1.1")},
        {"other": _manifest("0.2")},
        {"tool": _manifest("1.1", "tool 1.1, fixed")},
        {"tool": _manifest("2.0")},
    ]
    return make_git_bucket(tmp_path / "bucket", revisions)


def test_lookup_finds_the_newest_commit_of_each_version(
    tmp_path: Path, git_calls: tuple[str, Path]
) -> None:
    bucket = _history(tmp_path)
    commits = _git_log(bucket)  # [rev5, rev4, rev3, rev2, rev1]
    buckets = _buckets(bucket, tmp_path, git_calls[0])
    found = buckets.find(parse_app_spec("tool@1.1"))
    assert not found.generated
    assert found.source.endswith(f"@{commits[1]}")  # the fix, not the first 1.1
    assert json.loads(found.data)["description"] == "tool 1.1, fixed"  # type: ignore[arg-type]
    assert buckets.find(parse_app_spec("tool@1.0")).source.endswith(f"@{commits[4]}")
    assert buckets.find(parse_app_spec("other@0.1")).source.endswith(f"@{commits[4]}")
    assert buckets.find(parse_app_spec("tool@3.0")).generated  # not in history: autoupdate
    # One walk of the history for all four lookups.
    assert len(_walks(_calls(git_calls[1]))) == 1


def test_index_is_kept_in_the_cache_and_reused(tmp_path: Path, git_calls: tuple[str, Path]) -> None:
    bucket = _history(tmp_path)
    git, log = git_calls
    _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@1.0"))
    index = tmp_path / "cache" / "history" / index_file_name(str(bucket.resolve()))
    assert index.is_file()
    _calls(log)
    # WHEN another BucketSet (another run of pkgimport) asks again
    found = _buckets(bucket, tmp_path, git).find(parse_app_spec("other@0.2"))
    # THEN the index answers: HEAD is checked, one blob is read, no history is walked
    assert not found.generated
    calls = _calls(log)
    assert _walks(calls) == []
    assert len(calls) <= 3, calls


def test_new_commits_are_indexed_from_the_last_indexed_one(
    tmp_path: Path, git_calls: tuple[str, Path]
) -> None:
    bucket = _history(tmp_path)
    git, log = git_calls
    _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@1.0"))
    old_head = _git_log(bucket)[0]
    make_git_bucket(bucket, [{"tool": _manifest("2.1")}, {"tool": _manifest("2.2")}])
    _calls(log)
    found = _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@2.1"))
    assert not found.generated
    assert found.source.endswith(f"@{_git_log(bucket)[1]}")
    [walk] = _walks(_calls(log))
    assert f"{old_head}..{_git_log(bucket)[0]}" in walk
    # Older versions are still known.
    assert not _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@1.0")).generated


def test_rewritten_history_and_broken_index_are_rebuilt(
    tmp_path: Path, git_calls: tuple[str, Path]
) -> None:
    bucket = _history(tmp_path)
    git, log = git_calls
    _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@1.0"))
    index = tmp_path / "cache" / "history" / index_file_name(str(bucket.resolve()))
    # GIVEN the bucket is replaced by another history at the same place
    shutil.rmtree(bucket)
    make_git_bucket(bucket, [{"tool": _manifest("5.0")}, {"tool": _manifest("6.0")}])
    found = _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@5.0"))
    assert not found.generated
    assert _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@1.0")).generated
    # GIVEN a broken index file
    index.write_text("{not json")
    _calls(log)
    assert not _buckets(bucket, tmp_path, git).find(parse_app_spec("tool@5.0")).generated
    assert len(_walks(_calls(log))) == 1
    assert json.loads(index.read_text())["format"] == 1


def test_an_index_pointing_at_a_wrong_manifest_is_not_trusted(tmp_path: Path) -> None:
    bucket = _history(tmp_path)
    index_file = tmp_path / "index.json"
    index = HistoryIndex(bucket, key=str(bucket.resolve()), cache_file=index_file, git="git")
    assert index.find("bucket/tool.json", "1.0") == _git_log(bucket)[-1]
    # GIVEN an index file that claims 1.1 is in the first commit (which holds 1.0)
    data = json.loads(index_file.read_text())
    data["apps"]["bucket/tool.json"]["1.1"] = _git_log(bucket)[-1]
    (tmp_path / index_file_name(str(bucket.resolve()))).write_text(json.dumps(data))
    buckets = BucketSet(
        [Bucket(name="main", location=str(bucket))], tmp_path / "c", history_dir=tmp_path
    )
    # THEN what it points at is checked, refused, and the manifest generated instead
    assert buckets.find(parse_app_spec("tool@1.1")).generated
