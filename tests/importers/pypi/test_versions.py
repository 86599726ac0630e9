"""PEP 440 → rez: versions as tables, specifiers against packaging *and* rez 3.4."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from rez.version import Version as RezVersion
from rez.version import VersionRange as RezRange

from pkgimport.errors import InvalidRequirement, InvalidVersion
from pkgimport.importers.pypi import _versions
from pkgimport.importers.pypi._versions import convert_specifier, convert_version

VERSIONS = [
    ("1", "1"),
    ("1.0", "1.0"),
    ("1.0.0", "1.0.0"),
    ("2024.5.1", "2024.5.1"),
    ("1.0a1", "1.0.a1"),
    ("1.0b2", "1.0.b2"),
    ("1.0rc1", "1.0.rc1"),
    ("1.0c1", "1.0.rc1"),  # normalised spelling
    ("1.0.post1", "1.0.post1"),
    ("1.0-1", "1.0.post1"),
    ("1.0.dev3", "1.0.dev3"),
    ("1.0a1.post2.dev3", "1.0.a1.post2.dev3"),
    ("2.13.0+cpu", "2.13.0-cpu"),
    ("1.0+ubuntu.1", "1.0-ubuntu.1"),
    ("v1.2", "1.2"),
]


@pytest.mark.parametrize(("pep440", "rez"), VERSIONS)
def test_convert_version(pep440: str, rez: str) -> None:
    assert convert_version(pep440) == rez
    assert str(RezVersion(rez)) == rez  # valid for rez as written


def test_final_and_post_releases_keep_their_order_in_rez() -> None:
    ordered = ["0.9", "1.0", "1.0.post1", "1.0.post2", "1.0.1", "1.1", "2", "10"]
    rez = [RezVersion(convert_version(v)) for v in ordered]
    assert rez == sorted(rez)


def test_pre_release_sorts_above_its_final_in_rez() -> None:
    # The known limitation the policy documents: pre-releases are imported only when asked.
    assert RezVersion(convert_version("1.0rc1")) > RezVersion(convert_version("1.0"))


@pytest.mark.parametrize("bad", ["1!2.0", "2!1"])
def test_epoch_is_refused(bad: str) -> None:
    with pytest.raises(InvalidVersion, match=r"has epoch \d: rez versions cannot sort"):
        convert_version(bad)


def test_invalid_version_is_quoted() -> None:
    with pytest.raises(InvalidVersion, match="invalid PEP 440 version 'not a version'"):
        convert_version("not a version")


SPECIFIERS = [
    ("", ""),
    (">=1.2", "1.2+"),
    (">=1.2.0", "1.2+"),
    (">=1.2,<2", "1.2+<2"),
    ("<2", "<2"),
    (">1.0", "1.0.0.0.0+"),
    ("<=1.0", "<=1|==1.0|==1.0.0|==1.0.0.0"),  # 1.post1 > 1.0: not admitted
    ("<=1.0.post1", "<1.post2|1.0+<1.0.post2|1.0.0+<1.0.0.post2|1.0.0.0+<1.0.0.0.post2"),
    ("==1.0", "==1|==1.0|==1.0.0|==1.0.0.0"),
    ("==1.4.*", "1.4+<1.5"),
    ("==1.0.*", "1+<1.1"),
    ("~=1.4.2", "1.4.2+<1.5"),
    ("~=2.0", "2+<3"),
    (">=2,!=2.1.*,<3", "2+<2.1|2.2+<3"),
    ("==1.0rc1", "==1.0.rc1"),
    ("==2.13.0+cpu", "==2.13.0-cpu"),
    ("===1.0", "==1.0"),
    (">=1.0rc1", "1+"),
    ("<1.0.dev0", "<1"),
    (">1.0.post1", "1.post2+<1.0|1.0.post2+<1.0.0|1.0.0.post2+<1.0.0.0|1.0.0.0.post2+"),
]


@pytest.mark.parametrize(("spec", "rez"), SPECIFIERS)
def test_convert_specifier(spec: str, rez: str) -> None:
    assert convert_specifier(spec) == rez
    RezRange(rez)  # valid for rez as written


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("<2,>3", "specifier '<2,>3' admits no version"),
        (
            "===foo",
            (
                "specifier '===foo' cannot be expressed as a rez version range: arbitrary "
                "equality with a string that is no version"
            ),
        ),
        (">=1!2.0", "specifier '>=1!2.0' cannot be expressed as a rez version range: epoch 1"),
        ("=>1", "invalid PEP 440 specifier '=>1'"),
    ],
)
def test_unexpressible_specifiers_are_refused_clearly(spec: str, message: str) -> None:
    with pytest.raises(InvalidRequirement) as info:
        convert_specifier(spec)
    assert str(info.value) == message


def test_known_bug_of_today_tools_is_not_repeated() -> None:
    # rez pip writes ">1.0.post1" as "1.0.0+", which admits 1.0.0 (equal to 1.0).
    rez = RezRange(convert_specifier(">1.0.post1"))
    assert not rez.contains_version(RezVersion("1.0.0"))
    assert not rez.contains_version(RezVersion("1.0.post1"))
    assert rez.contains_version(RezVersion("1.0.post2"))
    assert rez.contains_version(RezVersion("1.0.1"))


# -- property: exact for every final and post-release version -------------------------------

_release = st.lists(st.integers(0, 3), min_size=1, max_size=_versions.MAX_RELEASE_LENGTH)
_post = st.one_of(st.none(), st.integers(1, 3))


@st.composite
def _final_or_post(draw: st.DrawFn) -> str:
    text = ".".join(map(str, draw(_release)))
    post = draw(_post)
    return text if post is None else f"{text}.post{post}"


_operators = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~=", "==*", "!=*"])


@st.composite
def _specifier(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        op = draw(_operators)
        version = draw(_final_or_post())
        if op.endswith("*"):
            version = ".".join(map(str, draw(_release))) + ".*"
            op = op[:-1]
        elif op == "~=" and "." not in version.split(".post")[0]:
            version = "1." + version
        parts.append(f"{op}{version}")
    return ",".join(parts)


@pytest.mark.property
@settings(max_examples=500, deadline=None)
@given(spec=_specifier(), versions=st.lists(_final_or_post(), min_size=1, max_size=8))
def test_specifier_containment_matches_packaging(spec: str, versions: list[str]) -> None:
    try:
        rez = convert_specifier(spec)
    except InvalidRequirement:
        assert not any(SpecifierSet(spec).contains(v) for v in versions)
        return
    rez_range = RezRange(rez)
    for version in versions:
        expected = SpecifierSet(spec).contains(Version(version), prereleases=True)
        got = rez_range.contains_version(RezVersion(convert_version(version)))
        assert got == expected, (spec, rez, version)


def test_doctests() -> None:
    assert doctest.testmod(_versions).failed == 0
