"""Metadata + chosen wheels → package definition: requires, variants, metadata."""

from __future__ import annotations

import doctest

import pytest
from packaging.metadata import Metadata

from pkgimport.errors import InvalidRequirement
from pkgimport.importers.pypi import _convert
from pkgimport.importers.pypi._convert import ChosenFile, make_definition
from pkgimport.importers.pypi._target import TargetPlatform

LINUX = TargetPlatform.create(python="3.11", platform="linux", arch="x86_64")
LINUX_312 = TargetPlatform.create(python="3.12", platform="linux", arch="x86_64")
WINDOWS = TargetPlatform.create(python="3.11", platform="windows", arch="AMD64")
MAC = TargetPlatform.create(python="3.11", platform="osx", arch="arm64")


def _meta(
    name: str = "Demo.Pkg", version: str = "1.2", *lines: str, summary: str = "Demo"
) -> Metadata:
    head = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}"]
    return Metadata.from_email("\n".join([*head, *lines]) + "\n", validate=False)


def _chosen(target: TargetPlatform, filename: str = "demo_pkg-1.2-py3-none-any.whl") -> ChosenFile:
    return ChosenFile(
        target=target,
        filename=filename,
        url=f"https://i/{filename}",
        sha256="ab",
        upload_time=1700000000,
    )


def test_pure_wheel_same_everywhere_has_no_variants() -> None:
    meta = _meta(
        "Demo.Pkg", "1.2", "Requires-Dist: Typing-Extensions>=4.6", "Requires-Python: >=3.8"
    )
    definition, index = make_definition(meta, [_chosen(LINUX), _chosen(WINDOWS)])
    assert definition.name == "demo_pkg"
    assert definition.version == "1.2"
    assert definition.variants == ()
    assert definition.requires == ("typing_extensions-4.6+", "python-3.8+")
    assert index == {LINUX: 0, WINDOWS: 0}
    assert definition.timestamp == 1700000000


def test_platform_marker_makes_platform_variants_only() -> None:
    # click: colorama on Windows only. Each target gets its variant, sorted, whatever order.
    meta = _meta("click", "8.1.7", 'Requires-Dist: colorama; platform_system == "Windows"')
    a, index_a = make_definition(meta, [_chosen(WINDOWS), _chosen(LINUX), _chosen(MAC)])
    b, _ = make_definition(meta, [_chosen(LINUX), _chosen(MAC), _chosen(WINDOWS)])
    assert (
        a.variants
        == b.variants
        == (
            ("platform-linux",),
            ("platform-osx",),
            ("platform-windows", "colorama"),
        )
    )
    assert a.requires == ("python",)
    assert index_a[WINDOWS] == 2


def test_one_target_gives_the_same_variant_as_all_targets() -> None:
    # Importing Windows later must add a variant to the same layout (rez#1414, rez-pip#245).
    meta = _meta("click", "8.1.7", 'Requires-Dist: colorama; platform_system == "Windows"')
    alone, _ = make_definition(meta, [_chosen(LINUX)])
    assert alone.variants == (("platform-linux",),)
    assert alone.requires == ("python",)


def test_python_marker_makes_python_range_variants() -> None:
    # Issue 12, item 7: a pure wheel's variants tile its Requires-Python range, split where
    # the markers change, whichever targets are imported (docs/pypi-variants.md).
    meta = _meta(
        "demo", "1.0", 'Requires-Dist: tomli>=1; python_version < "3.11"', "Requires-Python: >=3.8"
    )
    whole = (("python-3.11+",), ("python-3.8+<3.11", "tomli-1+"))
    definition, index = make_definition(meta, [_chosen(LINUX), _chosen(LINUX_312)])
    assert definition.variants == whole
    assert index == {LINUX: 0, LINUX_312: 0}  # one variant serves both
    assert "python" not in " ".join(definition.requires)
    assert definition.hashed_variants  # '<' is no folder name on Windows
    older = TargetPlatform.create(python="3.10", platform="linux", arch="x86_64")
    definition, index = make_definition(meta, [_chosen(older)])
    assert definition.variants == whole
    assert index == {older: 1}


def test_python_ranges_follow_every_boundary_and_platform() -> None:
    meta = _meta(
        "jlab",
        "4.2",
        'Requires-Dist: typing_extensions>=4.4; python_version < "3.12"',
        'Requires-Dist: tomli; python_version < "3.11"',
        'Requires-Dist: colorama; platform_system == "Windows"',
        "Requires-Python: >=3.9",
    )
    definition, index = make_definition(meta, [_chosen(WINDOWS)])
    assert definition.variants == (
        ("platform-windows", "python-3.11+<3.12", "colorama", "typing_extensions-4.4+"),
        ("platform-windows", "python-3.12+", "colorama"),
        ("platform-windows", "python-3.9+<3.11", "colorama", "tomli", "typing_extensions-4.4+"),
    )
    assert index == {WINDOWS: 0}


def test_binary_wheel_keeps_one_python_per_variant() -> None:
    meta = _meta("demo", "1.0", 'Requires-Dist: tomli>=1; python_version < "3.11"')
    wheel = "demo-1.0-cp310-cp310-manylinux_2_17_x86_64.whl"
    older = TargetPlatform.create(python="3.10", platform="linux", arch="x86_64")
    definition, _ = make_definition(meta, [_chosen(older, wheel)])
    assert definition.variants == (("platform-linux", "arch-x86_64", "python-3.10", "tomli-1+"),)


def test_marker_that_never_differs_within_requires_python_is_shared() -> None:
    meta = _meta(
        "demo", "1.0", 'Requires-Dist: six; python_version >= "3"', "Requires-Python: >=3.8"
    )
    definition, _ = make_definition(meta, [_chosen(LINUX)])
    assert definition.variants == ()
    assert definition.requires == ("six", "python-3.8+")


def test_variant_requirement_unfit_for_a_folder_name_hashes_variants() -> None:
    meta = _meta("tool", "1.0", 'Requires-Dist: pywin32<400,>=300; sys_platform == "win32"')
    definition, _ = make_definition(meta, [_chosen(LINUX, "tool-1.0-py3-none-any.whl")])
    assert definition.hashed_variants
    assert definition.variants == (("platform-linux",),)
    plain, _ = make_definition(
        _meta("click", "8.1.7", 'Requires-Dist: colorama; platform_system == "Windows"'),
        [_chosen(WINDOWS)],
    )
    assert not plain.hashed_variants


def test_binary_wheel_variant() -> None:
    meta = _meta("PyYAML", "6.0.1")
    wheel = "PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    definition, _ = make_definition(
        meta, [_chosen(LINUX, wheel), _chosen(WINDOWS, "PyYAML-6.0.1-cp311-cp311-win_amd64.whl")]
    )
    assert definition.name == "pyyaml"
    assert definition.variants == (
        ("platform-linux", "arch-x86_64", "python-3.11"),
        ("platform-windows", "arch-AMD64", "python-3.11"),
    )
    assert definition.requires == ()


def test_abi3_wheel_variant() -> None:
    meta = _meta(
        "cryptography",
        "42.0.0",
        "Requires-Dist: cffi>=1.12; platform_python_implementation != 'PyPy'",
    )
    wheel = "cryptography-42.0.0-cp39-abi3-manylinux_2_28_x86_64.whl"
    definition, _ = make_definition(meta, [_chosen(LINUX, wheel)])
    assert definition.variants == (("platform-linux", "arch-x86_64", "python-3.9+"),)
    assert definition.requires == ("cffi-1.12+",)


def test_extras_are_not_base_requirements_but_can_be_added() -> None:
    meta = _meta(
        "requests",
        "2.31.0",
        "Requires-Dist: idna<4,>=2.5",
        'Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == "socks"',
    )
    definition, _ = make_definition(meta, [_chosen(LINUX)])
    assert definition.requires == ("idna-2.5+<4", "python")
    with_extra = ChosenFile(
        target=LINUX,
        filename="requests-2.31.0-py3-none-any.whl",
        url="u",
        extra_requires=("pysocks-1.5.6+<1.5.7|1.5.7.0.0.0+",),
    )
    definition, _ = make_definition(meta, [with_extra])
    assert "pysocks-1.5.6+<1.5.7|1.5.7.0.0.0+" in definition.requires


def test_metadata_fields() -> None:
    meta = _meta(
        "Demo",
        "1.0",
        "Author: Ann, Bob",
        "License: MIT",
        "Project-URL: Source, https://src.example",
        "Home-page: https://home.example",
        summary="One   line\tsummary",
    )
    definition, _ = make_definition(meta, [_chosen(LINUX, "demo-1.0-py3-none-any.whl")])
    assert definition.description == "One line summary"
    assert definition.authors == ("Ann", "Bob")
    assert definition.help == (
        ("Home Page", "https://home.example"),
        ("Source", "https://src.example"),
    )
    pypi = definition.metadata["pypi"]
    assert isinstance(pypi, dict)
    assert pypi["project"] == "Demo"
    assert pypi["license"] == "MIT"
    assert pypi["files"] == [
        {
            "target": str(LINUX),
            "file": "demo-1.0-py3-none-any.whl",
            "url": "https://i/demo-1.0-py3-none-any.whl",
            "sha256": "ab",
        }
    ]


def test_unexpressible_requirement_names_the_requirement() -> None:
    meta = _meta("demo", "1.0", "Requires-Dist: other<2,>3")
    with pytest.raises(InvalidRequirement, match="requirement 'other<2,>3': specifier"):
        make_definition(meta, [_chosen(LINUX, "demo-1.0-py3-none-any.whl")])


def test_url_requirement_is_refused() -> None:
    meta = _meta("demo", "1.0", "Requires-Dist: other @ https://x.example/other.whl")
    with pytest.raises(InvalidRequirement, match="points at a URL"):
        make_definition(meta, [_chosen(LINUX, "demo-1.0-py3-none-any.whl")])


def test_doctests() -> None:
    assert doctest.testmod(_convert).failed == 0


# usd-core (issue 12): cpXY-none is one CPython version, not abi3; the python range of a
# variant is what the tags admit, as packaging.tags spells them.
@pytest.mark.parametrize(
    ("wheel", "target", "python"),
    [
        ("usd_core-24.8-cp311-none-manylinux_2_17_x86_64.whl", LINUX, "python-3.11"),
        ("usd_core-24.8-cp312-none-manylinux_2_17_x86_64.whl", LINUX_312, "python-3.12"),
        ("usd_core-24.8-cp311-none-win_amd64.whl", WINDOWS, "python-3.11"),
        ("demo_pkg-1.2-cp311-none-any.whl", LINUX, "python-3.11"),
        ("demo_pkg-1.2-cp311-cp311-manylinux_2_17_x86_64.whl", LINUX, "python-3.11"),
        ("demo_pkg-1.2-cp37-abi3-manylinux_2_17_x86_64.whl", LINUX_312, "python-3.7+"),
        ("demo_pkg-1.2-py311-none-any.whl", LINUX_312, "python-3.11+"),
        ("demo_pkg-1.2-py3-none-manylinux_2_17_x86_64.whl", LINUX, None),
        ("demo_pkg-1.2-py2.py3-none-any.whl", LINUX, None),
    ],
)
def test_python_range_follows_the_wheel_tags(
    wheel: str, target: TargetPlatform, python: str | None
) -> None:
    definition, index = make_definition(_meta(), [_chosen(target, wheel)])
    variant = definition.variants[index[target]] if definition.variants else ()
    assert [v for v in variant if v.startswith("python")] == ([python] if python else [])
    if python is None:
        assert "python" in definition.requires


def test_cp311_none_wheel_is_not_reused_for_another_python() -> None:
    linux = "usd_core-24.8-cp311-none-manylinux_2_17_x86_64.whl"
    linux_312 = "usd_core-24.8-cp312-none-manylinux_2_17_x86_64.whl"
    definition, index = make_definition(
        _meta("usd-core", "24.8"), [_chosen(LINUX, linux), _chosen(LINUX_312, linux_312)]
    )
    assert definition.variants == (
        ("platform-linux", "arch-x86_64", "python-3.11"),
        ("platform-linux", "arch-x86_64", "python-3.12"),
    )
    assert index == {LINUX: 0, LINUX_312: 1}
