"""``app@version``: autoupdate generation and the bucket's git history."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.importers.scoop import ManifestRefused
from pkgimport.importers.scoop._autoupdate import generate_manifest, substitute, version_variables
from pkgimport.importers.scoop._bucket import Bucket, BucketSet, parse_app_spec, parse_bucket_option
from tests.importers.scoop.scoop_testlib import (
    BUCKET,
    load_manifest,
    load_revision,
    make_git_bucket,
)

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


def _regenerate_own_versions(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Generate each manifest's own version from autoupdate: ``(same URLs, other URLs)``.

    Manifests whose autoupdate cannot be filled in without checkver (``$matchTag``...) or have
    none are left out of both lists.
    """
    same: list[str] = []
    differ: list[str] = []
    for path in paths:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
        try:
            generated = generate_manifest(raw, raw["version"])
        except ManifestRefused:
            continue
        assert "hash" not in generated, path.name
        archs = raw.get("architecture", {})
        generated_archs: dict[str, Any] = generated.get("architecture", {})  # type: ignore[assignment]
        if generated.get("url") == raw.get("url") and all(
            generated_archs[a].get("url") == b.get("url") for a, b in archs.items()
        ):
            same.append(path.stem)
        else:
            differ.append(path.stem)
    return same, differ


def test_generation_reproduces_the_fixture_manifests() -> None:
    """Generating each fixture's own version from autoupdate gives back its URLs."""
    same, differ = _regenerate_own_versions(sorted(BUCKET.glob("*.json")))
    assert differ == []
    # git's autoupdate needs $matchTag (from checkver), so it cannot be generated.
    assert same == [
        "7zip",
        "awsSts",
        "curl",
        "fio",
        "groovyserv",
        "oh-my-posh",
        "python",
        "ripgrep",
        "units",
    ]


def test_generation_reproduces_the_whole_bucket(scoop_corpus: Path) -> None:
    """The same over a whole bucket (``--scoop-corpus``): all but a handful give their URLs."""
    paths = sorted(scoop_corpus.glob("*.json"))
    same, differ = _regenerate_own_versions(paths)
    # ScoopInstaller/Main at 5ce3ffd (../shared/scoop/main): 1,440 of 1,633 the same, 6 not
    # (hand-edited URLs), the rest have no usable autoupdate.
    assert len(same) >= 0.87 * len(paths), (len(same), len(paths))
    assert len(differ) <= 0.005 * len(paths), differ


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
    old = load_revision("ripgrep-14.1.0")
    bucket = make_git_bucket(
        tmp_path / "bucket", [{"ripgrep": old}, {"ripgrep": load_manifest("ripgrep")}]
    )
    buckets = BucketSet([Bucket(name="main", location=str(bucket))], tmp_path / "cache")
    found = buckets.find(parse_app_spec("ripgrep@14.1.0"))
    assert not found.generated
    assert "@" in found.source
    assert json.loads(found.data)["architecture"]["64bit"]["hash"] == "1" * 64  # type: ignore[arg-type]
    assert json.loads(found.data) == old  # type: ignore[arg-type]
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
    origin = make_git_bucket(
        tmp_path / "origin", [{"tool": load_manifest("ripgrep")}], subfolder=""
    )
    cache = tmp_path / "cache"
    buckets = BucketSet([parse_bucket_option(f"mine=file://{origin}")], cache)
    found = buckets.find(parse_app_spec("mine/tool"))
    assert found.bucket == "mine"
    assert (cache / "mine" / ".git").is_dir()
    # A second lookup uses (and best-effort updates) the clone.
    assert buckets.find(parse_app_spec("tool")).source == str(cache / "mine" / "tool.json")
