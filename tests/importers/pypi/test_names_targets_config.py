"""Names, targets (markers and tags) and the pip configuration."""

from __future__ import annotations

import doctest
from typing import TYPE_CHECKING

import pytest
from packaging.tags import Tag

from pkgimport.errors import InvalidRequirement, PkgImportError
from pkgimport.importers.pypi import _names, _pipconfig, _target
from pkgimport.importers.pypi._names import family_name
from pkgimport.importers.pypi._pipconfig import DEFAULT_INDEX, parse_pip_config, read_pip_config
from pkgimport.importers.pypi._target import TargetPlatform

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("project", "family"),
    [
        ("PyYAML", "pyyaml"),
        ("zope.interface", "zope_interface"),
        ("typing-extensions", "typing_extensions"),
        ("typing_extensions", "typing_extensions"),
        ("Typing.Extensions", "typing_extensions"),
        ("Flask-SQLAlchemy", "flask_sqlalchemy"),
        ("ruamel.yaml.clib", "ruamel_yaml_clib"),
        ("a--b__c..d", "a_b_c_d"),
        ("SQLAlchemy", "sqlalchemy"),
    ],
)
def test_family_name(project: str, family: str) -> None:
    assert family_name(project) == family


@pytest.mark.parametrize("bad", ["", "-x", "x y", "x/y"])
def test_invalid_project_name(bad: str) -> None:
    with pytest.raises(InvalidRequirement, match=f"invalid project name {bad!r}"):
        family_name(bad)


@pytest.mark.parametrize(
    ("platform", "arch", "env"),
    [
        (
            "linux",
            "x86_64",
            {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
        ),
        (
            "windows",
            "AMD64",
            {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
        ),
        (
            "osx",
            "arm64",
            {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
        ),
    ],
)
def test_marker_environment_is_the_targets(platform: str, arch: str, env: dict[str, str]) -> None:
    target = TargetPlatform.create(python="3.10", platform=platform, arch=arch)
    marker_env = target.marker_environment()
    assert {k: marker_env[k] for k in env} == env
    assert marker_env["python_version"] == "3.10"
    assert marker_env["platform_machine"] == arch


@pytest.mark.parametrize(
    ("platform", "arch", "fits", "does_not_fit"),
    [
        ("windows", "AMD64", "cp311-cp311-win_amd64", "cp311-cp311-win32"),
        ("windows", "x86", "cp311-cp311-win32", "cp311-cp311-win_amd64"),
        ("windows", "ARM64", "cp311-cp311-win_arm64", "cp311-cp311-win_amd64"),
        (
            "linux",
            "x86_64",
            "cp311-cp311-manylinux_2_17_x86_64",
            "cp311-cp311-manylinux_2_17_aarch64",
        ),
        ("linux", "x86_64", "cp38-abi3-manylinux2014_x86_64", "cp312-abi3-manylinux2014_x86_64"),
        (
            "linux",
            "aarch64",
            "cp311-cp311-manylinux_2_28_aarch64",
            "cp310-cp310-manylinux_2_28_aarch64",
        ),
        ("osx", "arm64", "cp311-cp311-macosx_11_0_arm64", "cp311-cp311-macosx_11_0_x86_64"),
        ("osx", "x86_64", "cp311-cp311-macosx_10_9_universal2", "cp311-cp311-macosx_11_0_arm64"),
        ("linux", "x86_64", "py3-none-any", "py2-none-any"),
    ],
)
def test_tags_are_the_targets(platform: str, arch: str, fits: str, does_not_fit: str) -> None:
    target = TargetPlatform.create(python="3.11", platform=platform, arch=arch)
    assert target.tag_priority(Tag(*fits.split("-"))) is not None
    assert target.tag_priority(Tag(*does_not_fit.split("-"))) is None


def test_binary_wheel_beats_pure_one() -> None:
    target = TargetPlatform.create(python="3.11", platform="windows", arch="AMD64")
    binary = target.tag_priority(Tag("cp311", "cp311", "win_amd64"))
    pure = target.tag_priority(Tag("py3", "none", "any"))
    assert binary is not None
    assert pure is not None
    assert binary < pure


@pytest.mark.parametrize(
    ("arch", "platform", "rez"),
    [
        ("amd64", "windows", "AMD64"),
        ("x86_64", "windows", "AMD64"),
        ("AMD64", "linux", "x86_64"),
        ("arm64", "linux", "aarch64"),
        ("aarch64", "osx", "arm64"),
        ("win32", "windows", "x86"),
    ],
)
def test_arch_spellings(arch: str, platform: str, rez: str) -> None:
    assert TargetPlatform.create(python="3.11", platform=platform, arch=arch).arch == rez


def test_bad_target_names() -> None:
    with pytest.raises(PkgImportError, match="unknown architecture 'sparc' for linux"):
        TargetPlatform.create(python="3.11", platform="linux", arch="sparc")
    with pytest.raises(PkgImportError, match="invalid Python version '3'"):
        TargetPlatform.create(python="3", platform="linux", arch="x86_64")
    with pytest.raises(PkgImportError, match="unknown platform 'beos'"):
        TargetPlatform.create(python="3.11", platform="beos", arch="x86_64")


def test_rez_variant_of_a_target() -> None:
    target = TargetPlatform.create(python="3.12", platform="osx", arch="arm64")
    assert target.rez_variant == ("platform-osx", "arch-arm64", "python-3.12")


# -- pip configuration ------------------------------------------------------------------------


def test_pip_config_layers_files_then_environment() -> None:
    texts = [
        ("global", "[global]\nindex-url = https://a/simple\nfind-links = /w1\ntimeout = 5\n"),
        ("user", "[global]\nextra-index-url =\n    https://b/simple\n    https://c/simple\n"),
        ("site", "[install]\nfind-links = /w2 /w3\n"),
    ]
    opts = parse_pip_config(texts, {"PIP_INDEX_URL": "https://env/simple", "PIP_CERT": "/ca.pem"})
    assert opts.index_urls == ("https://env/simple", "https://b/simple", "https://c/simple")
    assert opts.find_links == ("/w2", "/w3")
    assert opts.cert == "/ca.pem"
    assert opts.timeout == 5.0


def test_pip_config_default_index_and_no_index() -> None:
    assert parse_pip_config([], {}).index_urls == (DEFAULT_INDEX,)
    assert parse_pip_config([], {"PIP_NO_INDEX": "1"}).index_urls == ()


def test_pip_config_invalid_file_is_named() -> None:
    with pytest.raises(PkgImportError, match=r"invalid pip configuration '/etc/pip\.conf'"):
        parse_pip_config([("/etc/pip.conf", "no section here\n")], {})


def test_read_pip_config_honours_pip_config_file(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://private.example/simple\n")
    opts = read_pip_config({"PIP_CONFIG_FILE": str(conf), "HOME": str(tmp_path)})
    assert opts.index_url == "https://private.example/simple"


def test_doctests() -> None:
    for module in (_names, _pipconfig, _target):
        assert doctest.testmod(module).failed == 0
