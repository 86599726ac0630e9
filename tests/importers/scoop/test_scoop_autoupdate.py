"""``app@version``: autoupdate generation and the bucket's git history."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.importers.scoop import ManifestRefused
from pkgimport.importers.scoop._autoupdate import generate_manifest, substitute, version_variables
from pkgimport.importers.scoop._bucket import Bucket, BucketSet, parse_app_spec, parse_bucket_option
from tests.importers.scoop.scoop_testlib import CORPUS, load_manifest

if TYPE_CHECKING:
    from pathlib import Path


def test_version_variables() -> None:
    v = version_variables("1.2.3-rc.1_b")
    assert v["$dotVersion"] == "1.2.3.rc.1.b"
    assert v["$underscoreVersion"] == "1_2_3_rc_1_b"
    assert v["$dashVersion"] == "1-2-3-rc-1-b"
    assert v["$cleanVersion"] == "123rc1b"
    assert (v["$majorVersion"], v["$minorVersion"], v["$patchVersion"], v["$buildVersion"]) == (
        "1",
        "2",
        "3",
        "rc",
    )
    assert v["$preReleaseVersion"] == "rc.1_b"
    assert (v["$matchHead"], v["$matchTail"]) == ("1.2.3", "-rc.1_b")


def test_longest_names_are_replaced_first() -> None:
    variables = version_variables("2.0")
    assert (
        substitute(
            "v$version/$cleanVersion/$versionx", {**variables, "$versionx": "X"}, key_path="url"
        )
        == "v2.0/20/X"
    )


def test_unfilled_variable_is_refused() -> None:
    with pytest.raises(ManifestRefused, match=r"leaves \$matchBuild unfilled") as info:
        substitute(
            "https://x/$version/$matchBuild.zip",
            version_variables("1.0"),
            key_path="autoupdate.url",
        )
    assert info.value.key_path == "autoupdate.url"


def test_generation_reproduces_the_current_manifests() -> None:
    """Generating each manifest's own version from autoupdate gives back its URLs."""
    same = differ = 0
    for path in sorted(CORPUS.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
        try:
            generated = generate_manifest(raw, raw["version"])
        except ManifestRefused:
            continue
        archs = raw.get("architecture", {})
        generated_archs: dict[str, Any] = generated.get("architecture", {})  # type: ignore[assignment]
        if generated.get("url") == raw.get("url") and all(
            generated_archs[a].get("url") == b.get("url") for a, b in archs.items()
        ):
            same += 1
        else:
            differ += 1
        assert "hash" not in generated
    assert same >= 1400
    assert differ <= 10


def test_generation_for_an_older_version() -> None:
    generated = generate_manifest(load_manifest("ripgrep"), "14.1.0")
    archs: dict[str, Any] = generated["architecture"]  # type: ignore[assignment]
    block = archs["64bit"]
    assert block["url"] == (
        "https://github.com/BurntSushi/ripgrep/releases/download/14.1.0/"
        "ripgrep-14.1.0-x86_64-pc-windows-msvc.zip"
    )
    assert block["extract_dir"] == "ripgrep-14.1.0-x86_64-pc-windows-msvc"
    assert "hash" not in block


def test_url_without_version_is_refused() -> None:
    raw: dict[str, Any] = {
        "version": "1",
        "url": "https://x/latest.zip",
        "hash": "0" * 64,
        "autoupdate": {"url": "https://x/latest.zip"},
    }
    with pytest.raises(ManifestRefused, match="no version variable"):
        generate_manifest(raw, "0.9")


def test_app_specs() -> None:
    assert parse_app_spec("git").app == "git"
    spec = parse_app_spec("extras/vlc@3.0")
    assert (spec.bucket, spec.app, spec.version) == ("extras", "vlc", "3.0")
    assert parse_app_spec("./dir/my-app.json").path is not None
    assert parse_app_spec("https://h/b/app.json").url == "https://h/b/app.json"
    with pytest.raises(ManifestRefused, match="no app name"):
        parse_app_spec("a b")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_history_is_preferred_over_generation(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    (bucket / "bucket").mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", str(bucket), *args],
            check=True,
            capture_output=True,
            env={
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@t",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@t",
                "HOME": str(tmp_path),
                "PATH": "/usr/bin:/bin",
            },
        )

    git("init", "-q")
    manifest = load_manifest("ripgrep")
    old = json.loads(json.dumps(manifest))
    old["version"] = "14.1.0"
    old["architecture"]["64bit"]["hash"] = "1" * 64
    path = bucket / "bucket" / "ripgrep.json"
    path.write_text(json.dumps(old))
    git("add", ".")
    git("commit", "-q", "-m", "old")
    path.write_text(json.dumps(manifest))
    git("commit", "-q", "-am", "new")
    buckets = BucketSet([Bucket(name="main", location=str(bucket))], tmp_path / "cache")
    found = buckets.find(parse_app_spec("ripgrep@14.1.0"))
    assert not found.generated
    assert "@" in found.source
    assert json.loads(found.data)["architecture"]["64bit"]["hash"] == "1" * 64  # type: ignore[arg-type]
    generated = buckets.find(parse_app_spec("ripgrep@13.0.0"))
    assert generated.generated
    assert "13.0.0" in json.dumps(generated.data)


def test_known_bucket_names_map_to_scoops_repositories() -> None:
    assert parse_bucket_option("extras") == Bucket(
        name="extras", location="https://github.com/ScoopInstaller/Extras"
    )
    with pytest.raises(ManifestRefused, match="unknown bucket 'nope'"):
        parse_bucket_option("nope")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_bucket_is_cloned_into_the_cache(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "tool.json").write_text(json.dumps(load_manifest("ripgrep")))
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", "-C", str(origin), *args], check=True, capture_output=True, env=env)
    cache = tmp_path / "cache"
    buckets = BucketSet([parse_bucket_option(f"mine=file://{origin}")], cache)
    found = buckets.find(parse_app_spec("mine/tool"))
    assert found.bucket == "mine"
    assert (cache / "mine" / ".git").is_dir()
    # A second lookup uses (and best-effort updates) the clone.
    assert buckets.find(parse_app_spec("tool")).source == str(cache / "mine" / "tool.json")
