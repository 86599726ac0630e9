"""Manifest → package definition: parsing, arch_specific, names, environment, refusals."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pkgimport.definition import Action, Condition
from pkgimport.importers.scoop import (
    ConvertOptions,
    InvalidManifest,
    ManifestRefused,
    convert_manifest,
    parse_manifest,
)
from pkgimport.importers.scoop._convert import local_file_name, parse_hash
from pkgimport.importers.scoop._persist import default_actions
from tests.importers.scoop.scoop_testlib import load_manifest

HASH = "a" * 64


def base(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1.0",
        "homepage": "https://example.org",
        "license": "MIT",
        "url": "https://example.org/app.zip",
        "hash": HASH,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def convert(data: dict[str, Any], app: str = "app", **options: Any) -> Any:
    return convert_manifest(parse_manifest(data), ConvertOptions(app=app, **options))


# -- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason", "key_path", "text"),
    [
        (b"{", "malformed JSON", "", "not valid JSON: Expecting property name"),
        (b"[1]", "malformed JSON", "", "expected a JSON object"),
        (json.dumps(base(colour="red")).encode(), "unknown field", "colour", "unknown field"),
        (
            json.dumps(base(architecture={"64bit": {"persist": "x"}})).encode(),
            "unknown field",
            "architecture.64bit.persist",
            "cannot be set per architecture",
        ),
        (
            json.dumps(base(architecture={"amd64": {}})).encode(),
            "unknown field",
            "architecture.amd64",
            "unknown architecture",
        ),
        (json.dumps(base(version=None)).encode(), "missing field", "version", "required"),
        (json.dumps(base(url=None)).encode(), "missing field", "url", "no url"),
        (json.dumps(base(bin=3)).encode(), "type", "bin", "expected a string or a list"),
        (json.dumps(base(url=["a", 2])).encode(), "type", "url[1]", "expected a string"),
        (json.dumps(base(env_set={"A": 1})).encode(), "type", "env_set.A", "expected a string"),
    ],
)
def test_invalid_manifests_name_reason_and_key_path(
    data: bytes, reason: str, key_path: str, text: str
) -> None:
    with pytest.raises(InvalidManifest) as info:
        parse_manifest(data)
    assert info.value.reason == reason
    assert info.value.key_path == key_path
    assert text in str(info.value)


def test_bom_and_comment_keys_are_accepted() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(base(**{"##": "comment"})).encode()
    assert parse_manifest(raw).version == "1.0"


def test_arch_specific_uses_block_value_else_top_level() -> None:
    m = parse_manifest(
        base(
            url=None,
            hash=None,
            bin="top.exe",
            architecture={
                "64bit": {"url": "https://x/64.zip", "hash": HASH, "bin": "b64.exe"},
                "32bit": {"url": "https://x/32.zip", "hash": HASH, "bin": []},
            },
        )
    )
    assert [b.target for b in m.for_arch("64bit").bin] == ["b64.exe"]
    # An empty value is falsy: Scoop falls back to the top level.
    assert [b.target for b in m.for_arch("32bit").bin] == ["top.exe"]
    assert m.for_arch("32bit").paths["bin"] == "bin"


# -- names, versions, variants -------------------------------------------------------------------


def test_names_and_versions_follow_the_spec() -> None:
    conv = convert(base(version="4.1+239-8be7dbf"), app="python310-x")
    d = conv.definition
    assert (d.name, d.version) == ("python310_x", "4.1-239-8be7dbf")
    assert d.metadata["scoop"]["version"] == "4.1+239-8be7dbf"


def test_variants_one_per_architecture_in_scoop_order() -> None:
    arch = {a: {"url": f"https://x/{a}.zip", "hash": HASH} for a in ("arm64", "32bit", "64bit")}
    d = convert(base(url=None, hash=None, architecture=arch)).definition
    assert d.variants == (
        ("platform-windows", "arch-AMD64"),
        ("platform-windows", "arch-x86"),
        ("platform-windows", "arch-ARM64"),
    )
    only = convert(base(url=None, hash=None, architecture=arch), archs=("arm64",)).definition
    assert only.variants == (("platform-windows", "arch-ARM64"),)


def test_architecture_neutral_manifest_has_one_windows_variant() -> None:
    assert convert(base()).definition.variants == (("platform-windows",),)


def test_asking_for_a_missing_architecture_is_refused() -> None:
    data = base(
        url=None, hash=None, architecture={"64bit": {"url": "https://x/a.zip", "hash": HASH}}
    )
    with pytest.raises(ManifestRefused, match="no variant for arm64") as info:
        convert(data, archs=("arm64",))
    assert info.value.key_path == "architecture"


def test_depends_map_to_requires_without_helpers() -> None:
    d = convert(
        base(depends=["versions/python27", "extras/vlc", "7zip", "lessmsi", "git-lfs"])
    ).definition
    assert d.requires == ("python27", "vlc", "git_lfs")


# -- environment ---------------------------------------------------------------------------------


def test_env_add_path_keeps_scoops_order_and_drops_escapes() -> None:
    conv = convert(base(bin="a.exe", env_add_path=["Scripts", ".", "..\\outside", "lib\\bin"]))
    assert conv.definition.commands == (
        Action.prepend("PATH", "{root}/bin"),
        Action.prepend("PATH", "{root}/app/lib/bin"),
        Action.prepend("PATH", "{root}/app"),
        Action.prepend("PATH", "{root}/app/Scripts"),
    )
    assert any("outside the app folder" in w for w in conv.warnings)


def test_env_set_maps_dir_and_version_and_warns_on_the_rest() -> None:
    conv = convert(
        base(
            version="2.0",
            env_set={
                "HOME_DIR": "$dir\\conf",
                "VER": "v$version",
                "BRACES": "{x}",
                "P": "$persist_dir\\data",
                "E": "$env:USERPROFILE\\x",
                "S": "$(appdir msys2)\\bin",
            },
        ),
        app="tool",
    )
    assert conv.definition.commands == (
        *default_actions(),  # P is in the app's persist home
        Action.set("HOME_DIR", "{root}/app\\conf"),
        Action.set("VER", "v2.0"),
        Action.set("BRACES", "{{x}}"),
        Action.set("P", "$PKGIMPORT_SCOOP_PERSIST/tool\\data"),
    )
    assert sum("not set" in w for w in conv.warnings) == 2


def test_persist_dir_and_persisted_dir_entries_are_the_persist_home() -> None:
    # GIVEN data persisted WHEN values name $persist_dir\data or $dir\Data (Scoop's link)
    # THEN both are in the per-user persist home; $dir\lib stays in the package
    conv = convert(
        base(
            persist="data",
            env_set={"P": "$persist_dir\\data\\x", "D": "$dir\\Data\\y", "L": "$dir\\lib"},
        )
    )
    assert conv.definition.commands == (
        *default_actions(),
        Action.set("P", "$PKGIMPORT_SCOOP_PERSIST/app\\data\\x"),
        Action.set("D", "$PKGIMPORT_SCOOP_PERSIST/app/data\\y"),
        Action.set("L", "{root}/app\\lib"),
    )


def test_psmodule_prepends_psmodulepath() -> None:
    conv = convert(base(psmodule={"name": "Pester"}))
    assert conv.definition.commands == (Action.prepend("PSModulePath", "{root}/psmodules"),)
    assert conv.variants[0].psmodule == "Pester"


def test_arch_specific_environments_are_written_per_variant() -> None:
    data = base(
        url=None,
        hash=None,
        architecture={
            "64bit": {"url": "https://x/a.zip", "hash": HASH, "env_add_path": "bin64"},
            "32bit": {"url": "https://x/b.zip", "hash": HASH, "env_add_path": "bin32"},
        },
    )
    both = (
        Action.prepend("PATH", "{root}/app/bin64", when=(Condition.variant("arch-AMD64"),)),
        Action.prepend("PATH", "{root}/app/bin32", when=(Condition.variant("arch-x86"),)),
    )
    assert convert(data).definition.commands == both
    # One architecture imported: the same commands(), so a later import of the other agrees.
    assert convert(data, archs=("32bit",)).definition.commands == both


# -- bin / launchers -----------------------------------------------------------------------------


def test_bin_entries_become_tools_and_launcher_data() -> None:
    conv = convert(
        base(bin=["bin\\Tool.exe", ["x.cmd", "xx", "--flag"], ["t.ps1", "t", '-c "$dir\\a b"']])
    )
    assert conv.definition.tools == ("Tool", "xx", "t")
    launchers = conv.variants[0].launchers
    assert [lch.target for lch in launchers] == ["bin/Tool.exe", "x.cmd", "t.ps1"]
    assert launchers[2].args == ((("text", "-c"),), (("dir", ""), ("text", "\\a b")))
    assert conv.definition.commands[0] == Action.prepend("PATH", "{root}/bin")


@pytest.mark.parametrize(
    ("bin_", "tools"),
    [
        # GIVEN Scoop's spelling (Extras: HashMyFiles, dnSpy.Console, 3RVX) THEN it is kept
        (["HashMyFiles.exe"], ("HashMyFiles",)),
        (["bin\\dnSpy.Console.exe"], ("dnSpy.Console",)),
        ([["3RVX.exe", "3RVX"]], ("3RVX",)),
        # Same name ignoring case: one shim on NTFS; the later entry wins, as Scoop's overwrite
        (["Tool.exe", ["other\\tool.exe", "TOOL"]], ("TOOL",)),
        (["a\\Tool.exe", "b\\tool.exe"], ("tool",)),
    ],
)
def test_shim_names_keep_the_manifests_spelling(bin_: list[object], tools: tuple[str]) -> None:
    conv = convert(base(bin=bin_))
    assert conv.definition.tools == tools
    assert [lch.alias for lch in conv.variants[0].launchers] == list(tools)


def test_case_insensitive_launcher_file_collisions_are_refused() -> None:
    # `x.cmd` (a tool called "x.cmd") would overwrite the .cmd launcher of "X" on Windows.
    with pytest.raises(ManifestRefused, match=re.escape("would overwrite 'x.cmd'")) as info:
        convert(base(bin=[["a.exe", "X"], ["b.exe", "x.cmd"]]))
    assert info.value.key_path == "bin[1][1]"


def test_tools_are_deduplicated_ignoring_case_across_variants() -> None:
    arch = {
        "64bit": {"url": "https://x/a64.zip", "hash": "0" * 64, "bin": "Tool.exe"},
        "32bit": {"url": "https://x/a32.zip", "hash": "1" * 64, "bin": "tool.exe"},
    }
    conv = convert(base(architecture=arch))
    assert conv.definition.tools == ("Tool",)
    assert [v.launchers[0].alias for v in conv.variants] == ["Tool", "tool"]


def test_launcher_arguments_in_persist_dir_point_at_the_persist_home() -> None:
    conv = convert(base(bin=["a.exe", ["b.exe", "b", '--db "$persist_dir\\db"']]))
    assert conv.definition.tools == ("a", "b")
    assert conv.variants[0].launchers[1].args[1] == (("persist", ""), ("text", "\\db"))


@pytest.mark.parametrize("target", ["..\\evil.exe", "C:\\x.exe", "$env:x\\a.exe", "/etc/x"])
def test_bin_targets_outside_the_app_folder_are_refused(target: str) -> None:
    with pytest.raises(ManifestRefused, match="outside the app folder") as info:
        convert(base(bin=[target]))
    assert info.value.key_path == "bin[0]"


# -- scripts, hashes, urls -----------------------------------------------------------------------


def test_scripts_are_refused_with_the_hook_key_path() -> None:
    data = load_manifest("7zip")
    with pytest.raises(ManifestRefused) as info:
        convert(data, app="7zip", archs=("arm64",))
    assert info.value.reason == "scripts"
    assert info.value.key_path == "architecture.arm64.pre_install"
    assert "post_install" in str(info.value)
    assert info.value.hint is not None
    assert "--skip-scripts" in info.value.hint


def test_installer_script_key_path_names_script() -> None:
    with pytest.raises(ManifestRefused) as info:
        convert(base(architecture={"64bit": {"installer": {"script": "x"}}}))
    assert info.value.key_path == "architecture.64bit.installer.script"


def test_installer_program_is_its_own_reason() -> None:
    with pytest.raises(ManifestRefused) as info:
        convert(base(installer={"file": "setup.exe", "args": ["/S"]}))
    assert (info.value.reason, info.value.key_path) == ("installer program", "installer.file")


def test_skip_scripts_records_what_was_skipped() -> None:
    conv = convert(load_manifest("7zip"), app="7zip", skip_scripts=True)
    scoop = conv.definition.metadata["scoop"]
    assert conv.skipped_hooks == ("post_install", "architecture.arm64.pre_install")
    assert scoop["skipped_scripts"] == ["post_install", "architecture.arm64.pre_install"]
    assert conv.variants[2].skipped_hooks == ("architecture.arm64.pre_install", "post_install")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (base(hash=None), r"1 URL\(s\) but 0 hash\(es\)"),
        (base(version="nightly"), "nightly"),
    ],
)
def test_unverified_payloads_need_explicit_permission(data: dict[str, Any], text: str) -> None:
    with pytest.raises(ManifestRefused, match=text) as info:
        convert(data)
    assert info.value.reason == "unverified"
    conv = convert(data, allow_unverified=True, nightly_date="20260821")
    assert conv.variants[0].downloads[0].algo is None
    if data["version"] == "nightly":
        assert conv.definition.version == "nightly-20260821"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AB" * 32, ("sha256", "ab" * 32)),
        ("sha1:" + "C" * 40, ("sha1", "c" * 40)),
        ("sha512:" + "0" * 128, ("sha512", "0" * 128)),
        ("md5:" + "f" * 32, ("md5", "f" * 32)),
    ],
)
def test_hash_prefixes(text: str, expected: tuple[str, str]) -> None:
    assert parse_hash(text, key_path="hash") == expected


@pytest.mark.parametrize("text", ["crc32:abcd", "sha256:xyz", "md5:" + "f" * 31])
def test_bad_hashes_are_invalid(text: str) -> None:
    with pytest.raises(InvalidManifest, match="hash"):
        parse_hash(text, key_path="hash[1]")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://h/a/b.zip", "b.zip"),
        ("https://h/setup.exe#/dl.7z", "dl.7z"),
        ("https://h/get?id=1&f=x#/dl.zip", "dl.zip"),
        ("https://h/file.tar.xz?raw=true", "file.tar.xz"),
        ("https://h/a.zip/#dl.zip", "#dl.zip"),
    ],
)
def test_local_file_names_follow_scoop(url: str, name: str) -> None:
    assert local_file_name(url, key_path="url") == name


def test_download_plan_keeps_url_fragment_and_fetch_url() -> None:
    conv = convert(base(url="https://h/setup.exe#/dl.7z", hash="sha1:" + "b" * 40))
    dl = conv.variants[0].downloads[0]
    assert (dl.fetch_url, dl.local_name, dl.algo) == ("https://h/setup.exe", "dl.7z", "sha1")


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(ManifestRefused, match="unsupported URL"):
        convert(base(url="file:///etc/passwd"))


def test_metadata_keeps_persist_shortcuts_suggest_notes_license() -> None:
    data = load_manifest("7zip")
    scoop = convert(data, app="7zip", skip_scripts=True).definition.metadata["scoop"]
    assert isinstance(scoop, dict)
    assert scoop["persist"] == [["Codecs"], ["Formats"]]
    assert scoop["shortcuts"] == data["shortcuts"]
    assert scoop["notes"] == data["notes"]
    assert scoop["license"] == {
        "identifier": data["license"]["identifier"],
        "url": data["license"]["url"],
    }
    assert convert(load_manifest("ripgrep"), app="ripgrep").definition.metadata["scoop"][
        "suggest"
    ] == {"vcredist": "extras/vcredist2022"}


def test_python_bin_and_path_order() -> None:
    conv = convert(load_manifest("python"), app="python", skip_scripts=True)
    d = conv.definition
    assert d.tools == ("python3", "idle", "idle3")
    assert [a.value for a in d.commands] == ["{root}/bin", "{root}/app", "{root}/app/Scripts"]
