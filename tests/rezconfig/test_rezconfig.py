"""``pkgimport.rezconfig``: rez's configuration read the way rez reads it.

GIVEN configuration files and ``$REZ_*`` variables WHEN a setting is read THEN it has rez's
value, from rez's source (variable > JSON variable > files in search order > default), with
rez's coercions and expansions. ``test_rezconfig_vs_rez.py`` checks the same against rez
itself on generated configurations.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from pkgimport.rezconfig import InvalidRezConfig, RezConfig, SystemNames, rez_config
from pkgimport.rezconfig._expand import expand_home

if TYPE_CHECKING:
    from pathlib import Path

NAMES = SystemNames(platform="linux", arch="x86_64", os="Debian-12")


def _config(tmp_path: Path, **environ: str) -> RezConfig:
    env = {"HOME": str(tmp_path / "home"), **environ}
    return RezConfig(env, system=NAMES)


def test_defaults_are_rez_defaults_expanded(tmp_path: Path) -> None:
    config = _config(tmp_path)
    home = tmp_path / "home"
    assert config.get("packages_path") == [
        f"{home}/packages",
        f"{home}/.rez/packages/int",
        f"{home}/.rez/packages/ext",
    ]
    assert config.get("implicit_packages") == [
        "~platform==linux",
        "~arch==x86_64",
        "~os==Debian-12",
    ]
    assert config.get("package_filter") == []
    assert config.get("package_orderers") == []
    assert config.get("memcached_uri") == []
    assert config.get("variant_select_mode") == "version_priority"
    assert config.source("packages_path") == "defaults"


def test_precedence_variable_then_json_then_files_then_default(tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text("local_packages_path: /first\nvariant_select_mode: intersection_priority\n")
    second = tmp_path / "second.py"
    second.write_text("local_packages_path = '/second'\n")
    files = f"{first}:{second}"
    config = _config(tmp_path, REZ_CONFIG_FILE=files)
    assert (config.get("local_packages_path"), config.source("local_packages_path")) == (
        "/second",
        str(second),
    )
    assert config.setting("local_packages_path").files == (str(first), str(second))
    assert config.source("variant_select_mode") == str(first)
    config = _config(tmp_path, REZ_CONFIG_FILE=files, REZ_LOCAL_PACKAGES_PATH_JSON='"/json"')
    assert (config.get("local_packages_path"), config.source("local_packages_path")) == (
        "/json",
        "$REZ_LOCAL_PACKAGES_PATH_JSON",
    )
    config = _config(
        tmp_path,
        REZ_CONFIG_FILE=files,
        REZ_LOCAL_PACKAGES_PATH="/var",
        REZ_LOCAL_PACKAGES_PATH_JSON='"/json"',
    )
    assert config.get("local_packages_path") == "/var"


def test_a_python_twin_wins_over_the_named_yaml_file(tmp_path: Path) -> None:
    # rez tries <path without extension>.py first, whatever the extension of the path.
    (tmp_path / "conf.yaml").write_text("local_packages_path: /yaml\n")
    (tmp_path / "conf.py").write_text("local_packages_path = '/py'\n")
    config = _config(tmp_path, REZ_CONFIG_FILE=str(tmp_path / "conf.yaml"))
    assert config.get("local_packages_path") == "/py"
    assert config.source_list() == [str(tmp_path / "conf.py")]


def test_home_config_last_unless_disabled(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".rezconfig").write_text("error_on_missing_variant_requires: false\n")
    studio = tmp_path / "studio.py"
    studio.write_text("error_on_missing_variant_requires = True\n")
    config = _config(tmp_path, REZ_CONFIG_FILE=str(studio))
    assert config.get("error_on_missing_variant_requires") is False
    assert config.search_list() == [str(studio), f"{home}/.rezconfig"]
    for word in ("1", "t", "TRUE"):
        disabled = _config(tmp_path, REZ_CONFIG_FILE=str(studio), REZ_DISABLE_HOME_CONFIG=word)
        assert disabled.get("error_on_missing_variant_requires") is True


def test_python_files_run_with_modifylist_and_keep_only_settings(tmp_path: Path) -> None:
    studio = tmp_path / "studio.py"
    studio.write_text(
        "import os\n"
        "packages_path = ModifyList(prepend=['/studio'], append=['/ext'])\n"
        "implicit_packages = ModifyList(append=['~studio-' + rez_version.split('.')[0]])\n"
        "_helper = __name__\n"
    )
    config = _config(tmp_path, REZ_CONFIG_FILE=str(studio))
    assert config.get("packages_path")[0] == "/studio"
    assert config.get("packages_path")[-1] == "/ext"
    assert config.get("implicit_packages")[-1] == "~studio-3"
    assert config.extra_keys() == ["_helper"]
    assert config.file_value("_helper") == "studio"


def test_dicts_merge_across_files_and_lists_replace(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("env_var_separators: {FOO: ','}\nparent_variables: [A]\n")
    two = tmp_path / "two.yaml"
    two.write_text("parent_variables: [B]\n")
    config = _config(tmp_path, REZ_CONFIG_FILE=f"{one}:{two}")
    assert config.get("env_var_separators") == {
        "CMAKE_MODULE_PATH": ";",
        "DOXYGEN_TAGFILES": " ",
        "FOO": ",",
    }
    assert config.get("parent_variables") == ["B"]


COERCIONS = [
    ("REZ_PACKAGES_PATH", "/a:/b::/c", "packages_path", ["/a", "/b", "/c"]),
    ("REZ_IMPLICIT_PACKAGES", "~a,~b ~c", "implicit_packages", ["~a", "~b", "~c"]),
    ("REZ_MEMCACHED_URI", "h1:11211,h2:11211", "memcached_uri", ["h1:11211", "h2:11211"]),
    ("REZ_RESOLVE_CACHING", "off", "resolve_caching", False),
    ("REZ_ERROR_ON_MISSING_VARIANT_REQUIRES", "0", "error_on_missing_variant_requires", False),
    ("REZ_ALLOW_UNVERSIONED_PACKAGES", "No", "allow_unversioned_packages", False),
    ("REZ_ALL_PARENT_VARIABLES", "yes", "all_parent_variables", True),
    ("REZ_ENV_VAR_SEPARATORS", "A:;,N:2,F:1.5", "env_var_separators",
     {"A": ";", "N": 2, "F": 1.5}),
    ("REZ_MEMCACHED_RESOLVE_MIN_COMPRESS_LEN", "12", "memcached_resolve_min_compress_len", 12),
    ("REZ_PLATFORM_MAP_JSON", '{"arch": {"x86_64": "64bit"}}', "platform_map",
     {"arch": {"x86_64": "64bit"}}),
    ("REZ_PACKAGE_FILTER_JSON", '{"excludes": ["*.beta"]}', "package_filter",
     [{"excludes": ["*.beta"]}]),
]  # fmt: skip


@pytest.mark.parametrize(("var", "text", "key", "expected"), COERCIONS, ids=str)
def test_variables_are_coerced_like_rez(
    tmp_path: Path, var: str, text: str, key: str, expected: object
) -> None:
    config = _config(tmp_path, **{var: text})
    assert config.get(key) == expected
    assert config.source(key) == f"${var}"


BROKEN = [
    ({"REZ_RESOLVE_CACHING": "maybe"}, "resolve_caching", "Expected $REZ_RESOLVE_CACHING"),
    ({"REZ_MEMCACHED_RESOLVE_MIN_COMPRESS_LEN": "x"}, "memcached_resolve_min_compress_len",
     "integer"),
    ({"REZ_VARIANT_SELECT_MODE": "best"}, "variant_select_mode",
     "Misconfigured setting 'variant_select_mode'"),
    ({"REZ_PACKAGE_FILTER": "*.beta"}, "package_filter", "cannot be given as plain text"),
    ({"REZ_PACKAGE_ORDERERS_JSON": "[1,"}, "package_orderers", "JSON-encoded"),
    ({"REZ_ENV_VAR_SEPARATORS": "nocolon"}, "env_var_separators", "Expected dict string"),
]  # fmt: skip


@pytest.mark.parametrize(("environ", "key", "message"), BROKEN, ids=str)
def test_broken_variables_are_errors(
    tmp_path: Path, environ: dict[str, str], key: str, message: str
) -> None:
    with pytest.raises(InvalidRezConfig, match=message.replace("$", r"\$").replace("(", r"\(")):
        _config(tmp_path, **environ).get(key)


def test_broken_files_name_the_file(tmp_path: Path) -> None:
    bad_py = tmp_path / "bad.py"
    bad_py.write_text("packages_path = [\n")
    with pytest.raises(InvalidRezConfig, match=f"Error loading configuration from {bad_py}"):
        _config(tmp_path, REZ_CONFIG_FILE=str(bad_py)).get("packages_path")
    bad_yaml = tmp_path / "list.yaml"
    bad_yaml.write_text("- just\n- a list\n")
    with pytest.raises(InvalidRezConfig, match="Expected dict, got list"):
        _config(tmp_path, REZ_CONFIG_FILE=str(bad_yaml)).get("packages_path")
    wrong_type = tmp_path / "wrong.yaml"
    wrong_type.write_text("allow_unversioned_packages: 'sometimes'\n")
    config = _config(tmp_path, REZ_CONFIG_FILE=str(wrong_type))
    with pytest.raises(InvalidRezConfig, match="Misconfigured setting 'allow_unversioned_pac"):
        config.get("allow_unversioned_packages")
    assert config.get("packages_path")  # other settings still read: rez checks lazily too


def test_delay_load_reads_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "orderers.json").write_text(json.dumps([{"type": "no_order", "packages": ["a"]}]))
    (tmp_path / "filter.yaml").write_text("excludes: ['*.beta']\n")
    studio = tmp_path / "studio.py"
    studio.write_text(
        f"package_orderers = DelayLoad({str(tmp_path / 'orderers.json')!r})\n"
        f"package_filter = DelayLoad({str(tmp_path / 'filter.yaml')!r})\n"
    )
    config = _config(tmp_path, REZ_CONFIG_FILE=str(studio))
    assert config.get("package_orderers") == [{"type": "no_order", "packages": ["a"]}]
    assert config.get("package_filter") == [{"excludes": ["*.beta"]}]


def test_values_expand_variables_home_and_system_names(tmp_path: Path) -> None:
    studio = tmp_path / "studio.yaml"
    studio.write_text(
        "packages_path: ['$STUDIO/{system.platform}', '${STUDIO}/x', '$NOPE/y', '~/z']\n"
        "implicit_packages: ['~os=={system.os}', '~{system.unknown}', '{{x}}']\n"
    )
    config = _config(tmp_path, REZ_CONFIG_FILE=str(studio), STUDIO="/studio")
    home = tmp_path / "home"
    assert config.get("packages_path") == ["/studio/linux", "/studio/x", "$NOPE/y", f"{home}/z"]
    assert config.get("implicit_packages") == ["~os==Debian-12", "~{system.unknown}", "{x}"]


def test_home_expansion_is_rez_expanduser() -> None:
    assert expand_home("~/a:~/b", "/h") == "/h/a:/h/b"
    assert expand_home("~user/a", "/h") == "~user/a"  # never another user's home
    assert expand_home("~python-2//x", "/h") == "~python-2/x"  # normalised when '~' appears


def test_platform_map_maps_the_host_names(tmp_path: Path) -> None:
    from pkgimport.platform_ import host_system  # noqa: PLC0415

    raw = host_system({})
    studio = tmp_path / "studio.py"
    studio.write_text(
        "platform_map = {'arch': {'^.*$': 'anyarch'}, 'os': {'^(.*)$': r'mapped_\\1'}}\n"
        "implicit_packages = ['~arch=={system.arch}', '~os=={system.os}']\n"
    )
    config = RezConfig({"HOME": str(tmp_path), "REZ_CONFIG_FILE": str(studio)})
    assert config.get("implicit_packages") == ["~arch==anyarch", f"~os==mapped_{raw.os}"]


def test_shared_config_is_rebuilt_when_a_file_changes(tmp_path: Path) -> None:
    studio = tmp_path / "studio.yaml"
    studio.write_text("local_packages_path: /one\n")
    env = {"HOME": str(tmp_path), "REZ_CONFIG_FILE": str(studio)}
    assert rez_config(env) is rez_config(dict(env))
    assert rez_config(env).get("local_packages_path") == "/one"
    studio.write_text("local_packages_path: /two/longer\n")
    assert rez_config(env).get("local_packages_path") == "/two/longer"


# -- where pkgimport reads and writes -----------------------------------------------------------


def test_settings_follow_the_rez_configuration(tmp_path: Path) -> None:
    from pkgimport.settings import package_paths, repo_path  # noqa: PLC0415

    studio = tmp_path / "studio.py"
    studio.write_text(
        "local_packages_path = '/local'\npackages_path = ['/a', '/b', '/a', '$STUDIO/c']\n"
    )
    env = {"HOME": str(tmp_path), "REZ_CONFIG_FILE": str(studio), "STUDIO": "/s"}
    repo = repo_path(None, env)
    assert str(repo) == "/local"
    assert [str(p) for p in package_paths(None, repo, env)] == ["/a", "/b", "/s/c"]
    # pkgimport's own variables and options still win
    env["PKGIMPORT_REPO"], env["PKGIMPORT_PATHS"] = "/mine", "/p"
    assert str(repo_path(None, env)) == "/mine"
    assert [str(p) for p in package_paths(None, repo, env)] == ["/p"]
    assert [str(p) for p in package_paths(["/x"], repo, env)] == ["/x"]


def test_default_packages_path_is_not_used_without_a_configuration(tmp_path: Path) -> None:
    from pkgimport.settings import package_paths  # noqa: PLC0415

    # rez's default (~/packages, ~/.rez/packages/int, ~/.rez/packages/ext) is not taken:
    # without a configured packages_path, resolves read the repository imports write to.
    env = {"HOME": str(tmp_path)}
    assert [str(p) for p in package_paths(None, tmp_path / "repo", env)] == [str(tmp_path / "repo")]


# -- pkgimport config ---------------------------------------------------------------------------


def test_config_command_lists_values_and_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    studio = tmp_path / "studio.yaml"
    studio.write_text("variant_select_mode: intersection_priority\nuse_variant_shortlinks: false\n")
    monkeypatch.setenv("REZ_CONFIG_FILE", str(studio))
    monkeypatch.setenv("REZ_PACKAGES_PATH", "/a:/b")
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    settings = {s["key"]: s for s in data["settings"]}
    assert settings["variant_select_mode"]["value"] == "intersection_priority"
    assert settings["variant_select_mode"]["source"] == str(studio)
    assert settings["packages_path"] == {
        "key": "packages_path",
        "value": ["/a", "/b"],
        "source": "$REZ_PACKAGES_PATH",
        "files": [],
    }
    assert data["pkgimport"]["paths"] == {
        "value": ["/a", "/b"],
        "source": "rez packages_path ($REZ_PACKAGES_PATH)",
    }
    assert data["source_list"] == [str(studio)]
    assert any("use_variant_shortlinks" in m for m in data["not_followed"])
    assert main(["config", "packages_path"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == '["/a", "/b"]'
    assert "$REZ_PACKAGES_PATH" in captured.err
    assert main(["config", "variant_select_mode", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["value"] == "intersection_priority"
    assert main(["config", "--source-list"]) == 0
    assert capsys.readouterr().out.strip() == str(studio)


def test_config_command_unknown_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "no_such_thing"]) == 1
    err = capsys.readouterr().err
    assert "no such setting: 'no_such_thing'" in err
    assert "hint:" in err


def test_resolve_warns_once_about_settings_it_does_not_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pkgimport._cli import _configured  # noqa: PLC0415

    monkeypatch.setattr(_configured, "_WARNED", set())
    repo = tmp_path / "repo"
    (repo / "foo" / "1.0").mkdir(parents=True)
    (repo / "foo" / "1.0" / "package.py").write_text("name = 'foo'\nversion = '1.0'\n")
    monkeypatch.setenv("REZ_USE_VARIANT_SHORTLINKS", "0")
    for _ in range(2):
        assert main(["resolve", "--paths", str(repo), "--no-implicit", "foo", "--json"]) == 0
    err = capsys.readouterr().err
    assert err.count("use_variant_shortlinks") == 1
