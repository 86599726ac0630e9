"""A batch of apps: every app is reported, ``--keep-going`` writes the ones that convert.

GIVEN a bucket where some apps convert and others are refused (install scripts, a missing
manifest, a payload whose hash does not match), WHEN they are imported in one command, THEN
every app has a row (JSON or human), the exit code is 1, and the repository holds nothing
(default, all or nothing) or exactly the apps that converted (``--keep-going``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from tests.importers.scoop.scoop_testlib import make_zip, serve, sha256, write_bucket

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.importers.scoop.scoop_testlib import Server


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve(monkeypatch) as srv:
        yield srv


def _app(url: str, digest: str, **fields: Any) -> dict[str, Any]:
    return {
        "version": "1.0",
        "homepage": "https://example.org",
        "license": "MIT",
        "url": url,
        "hash": digest,
        "bin": "tool.exe",
        **fields,
    }


def _bucket(tmp_path: Path, server: Server) -> Path:
    archive = make_zip({"tool.exe": b"MZ tool"})
    url = server.add("/tool.zip", archive)
    return write_bucket(
        tmp_path / "bucket",
        {
            "good1": _app(url, sha256(archive)),
            "scripted": _app(url, sha256(archive), pre_install="Start-Process evil.exe"),
            "good2": _app(url, sha256(archive)),
            "badhash": _app(url, "0" * 64),
        },
    )


def _run(tmp_path: Path, bucket: Path, *args: str) -> int:
    return main(["scoop", *args, "--bucket", f"main={bucket}", "--repo", str(tmp_path / "repo")])


def _families(repo: Path) -> list[str]:
    if not repo.exists():
        return []
    return sorted(p.name for p in repo.iterdir() if not p.name.startswith("."))


APPS = ("good1", "scripted", "nosuch", "good2")


@pytest.mark.parametrize("definition_only", [False, True])
def test_one_refusal_reports_every_app_and_writes_nothing_by_default(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str], definition_only: bool
) -> None:
    bucket = _bucket(tmp_path, server)
    extra = ("--definition-only",) if definition_only else ()
    assert _run(tmp_path, bucket, *APPS, "--json", *extra) == 1
    captured = capsys.readouterr()
    rows = json.loads(captured.out)  # one document, every app
    assert [r["request"] for r in rows] == list(APPS)
    assert [r["status"] for r in rows] == ["not written", "refused", "refused", "not written"]
    scripted, nosuch = rows[1]["error"], rows[2]["error"]
    assert (scripted["stage"], scripted["reason"], scripted["key_path"]) == (
        "convert",
        "scripts",
        "pre_install",
    )
    assert "--skip-scripts" in scripted["hint"]
    assert (nosuch["stage"], nosuch["reason"]) == ("convert", "not found")
    assert rows[0]["name"] == "good1"
    assert rows[0]["version"] == "1.0"
    assert _families(tmp_path / "repo") == []
    assert server.requests == []  # all or nothing: nothing was downloaded either
    assert "at 'pre_install'" in captured.err


def test_keep_going_writes_what_converts(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = _bucket(tmp_path, server)
    assert _run(tmp_path, bucket, *APPS, "badhash", "--json", "--keep-going") == 1
    rows = json.loads(capsys.readouterr().out)
    statuses = {r["request"]: r["status"] for r in rows}
    assert statuses == {
        "good1": "created",
        "scripted": "refused",
        "nosuch": "refused",
        "good2": "created",
        "badhash": "refused",
    }
    badhash = rows[-1]["error"]
    assert badhash["stage"] == "payload"
    assert "hash mismatch" in badhash["message"]
    assert _families(tmp_path / "repo") == ["good1", "good2"]
    assert (tmp_path / "repo" / "good1" / "1.0" / "package.py").is_file()


def test_payload_refusal_without_keep_going_writes_nothing(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = _bucket(tmp_path, server)
    assert _run(tmp_path, bucket, "badhash", "good1", "--json") == 1
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["refused", "not written"]
    assert rows[0]["error"]["stage"] == "payload"
    assert _families(tmp_path / "repo") == []


def test_human_output_has_a_line_per_app_and_a_count(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = _bucket(tmp_path, server)
    assert _run(tmp_path, bucket, *APPS, "--keep-going", "--definition-only") == 1
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0].startswith("created good1-1.0 ")
    assert lines[1] == "refused scripted  (convert: scripts at 'pre_install')"
    assert lines[2] == "refused nosuch  (convert: not found)"
    assert lines[3].startswith("created good2-1.0 ")
    assert lines[4] == "4 app(s): 2 imported, 2 refused, 0 not written"
    assert err.count("error: ") == 2

    assert _run(tmp_path, bucket, "good1", "scripted", "--definition-only", "--dry-run") == 1
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == (
        "2 app(s): 0 imported, 1 refused, 1 not written "
        "(pass --keep-going to write the apps that convert)"
    )


def test_a_batch_that_converts_exits_zero(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = _bucket(tmp_path, server)
    assert _run(tmp_path, bucket, "good1", "good2", "--definition-only", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["status"]) for r in rows] == [("good1", "created"), ("good2", "created")]
    assert "error" not in rows[0]
