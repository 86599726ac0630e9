"""Table tests for rez requirements, requests and requirement lists (rez-compat.md 1.3)."""

from __future__ import annotations

import pickle

import pytest

from pkgimport.errors import InvalidRequirement
from pkgimport.resolver import requirements
from pkgimport.resolver.requirements import (
    Requirement,
    RequirementList,
    VersionedObject,
    is_valid_package_name,
    parse_request,
)
from pkgimport.resolver.versions import Version, VersionRange


@pytest.mark.parametrize(
    ("text", "name", "range_", "conflict", "weak", "rendered"),
    [
        ("foo", "foo", "", False, False, "foo"),
        ("foo-1.2", "foo", "1.2", False, False, "foo-1.2"),
        ("foo@1", "foo", "1", False, False, "foo@1"),
        ("foo#1", "foo", "1", False, False, "foo#1"),
        ("foo-", "foo", "", False, False, "foo"),
        ("foo-<2", "foo", "<2", False, False, "foo<2"),
        ("foo<2", "foo", "<2", False, False, "foo<2"),
        ("foo==1", "foo", "==1", False, False, "foo==1"),
        ("foo-==1", "foo", "==1", False, False, "foo==1"),
        ("foo>=1,<2", "foo", "1+<2", False, False, "foo-1+<2"),
        ("foo-1+<2|3", "foo", "1+<2|3", False, False, "foo-1+<2|3"),
        ("my-package-1", "my", "package-1", False, False, "my-package-1"),
        ("!foo", "foo", "", True, False, "!foo"),
        ("!foo-5+", "foo", "5+", True, False, "!foo-5+"),
        ("~foo", "foo", None, True, True, "~foo"),
        ("~foo-1", "foo", "<1|1_+", True, True, "~foo-1"),
        ("~python<3", "python", "3+", True, True, "~python<3"),
        ("~python-2.7", "python", "<2.7|2.7_+", True, True, "~python-2.7"),
        ("~foo-", "foo", None, True, True, "~foo"),
        (".foo-1", ".foo", "1", False, False, ".foo-1"),
    ],
)
def test_requirement_parsing(  # noqa: PLR0917 - one parameter per table column
    text: str, name: str, range_: str | None, conflict: bool, weak: bool, rendered: str
) -> None:
    # GIVEN a requirement string WHEN parsed
    req = Requirement(text)
    # THEN it splits and re-renders exactly like rez
    assert req.name == name
    assert (None if req.range is None else str(req.range)) == range_
    assert (req.conflict, req.weak) == (conflict, weak)
    assert str(req) == rendered
    assert repr(req) == f"Requirement({rendered!r})"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "foo--1",
            "invalid requirement 'foo--1': invalid version range '-1': syntax error in '-1'",
        ),
        (
            "foo-**",
            "invalid requirement 'foo-**': invalid version range '**': syntax error in '**'",
        ),
        (
            "foo-2+<1",
            "invalid requirement 'foo-2+<1': invalid version range '2+<1': invalid bound '2+<1'",
        ),
    ],
)
def test_invalid_requirements(text: str, message: str) -> None:
    with pytest.raises(InvalidRequirement) as info:
        Requirement(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo..bar", "invalid package request 'foo..bar': bad package name 'foo..bar'"),
        ("__pycache__", "invalid package request '__pycache__': bad package name '__pycache__'"),
        ("!.foo", "invalid package request '!.foo': bad package name '.foo'"),
        ("", "invalid package request '': bad package name ''"),
        ("-1", "invalid package request '-1': bad package name ''"),
    ],
)
def test_invalid_requests(text: str, message: str) -> None:
    # GIVEN a request whose name rez's PackageRequest refuses
    with pytest.raises(InvalidRequirement) as info:
        parse_request(text)
    # THEN the error quotes it and tells how names look
    assert str(info.value) == message
    assert info.value.hint is not None


def test_requests_and_ephemerals() -> None:
    assert parse_request("foo.bar-1").name == "foo.bar"
    assert not parse_request("foo-1").ephemeral
    eph = parse_request(".foo-1")
    assert eph.ephemeral
    assert eph.name == ".foo"
    assert is_valid_package_name("zope.interface")
    assert not is_valid_package_name("a" * 40 + "-")  # linear time, no backtracking blow-up


@pytest.mark.parametrize(
    ("a", "b", "merged"),
    [
        ("foo-1", "foo-1.5", "foo-1.5"),
        ("foo-3+", "!foo-5+", "foo-3+<5"),
        ("!foo-5+", "foo-3+", "foo-3+<5"),
        ("!foo-2", "!foo-5", "!foo-2|5"),
        ("~foo-1", "~foo-2", "!foo"),
        ("~foo-1", "~foo-1.2", "~foo-1.2"),
        ("~foo", "foo-1", "foo-1"),
        ("foo-1", "~foo", "foo-1"),
        ("foo-1", "!foo", None),
        ("foo-4", "foo-6", None),
        ("foo-1", "bar-1", None),
        ("foo@1", "foo-1.5", "foo@1.5"),
    ],
)
def test_merge(a: str, b: str, merged: str | None) -> None:
    result = Requirement(a).merged(Requirement(b))
    assert (None if result is None else str(result)) == merged


@pytest.mark.parametrize(
    ("a", "b", "conflicts"),
    [
        ("foo-1", "foo-2", True),
        ("foo-1", "foo-1.5", False),
        ("!foo-1", "foo-1.5", True),
        ("!foo-1", "foo-1+", False),
        ("foo-1.5", "!foo-1", True),
        ("!foo-1", "!foo-1", False),
        ("~foo", "foo-1", False),
        ("foo-1", "bar-2", False),
    ],
)
def test_conflicts_with(a: str, b: str, conflicts: bool) -> None:
    assert Requirement(a).conflicts_with(Requirement(b)) is conflicts


def test_conflicts_with_versioned_object() -> None:
    assert Requirement("foo-1").conflicts_with(VersionedObject("foo-2"))
    assert not Requirement("foo-1").conflicts_with(VersionedObject("foo-1.3"))
    assert Requirement("!foo-1").conflicts_with(VersionedObject("foo-1.3"))
    assert not Requirement("foo-1").conflicts_with(VersionedObject("bar-2"))
    assert not Requirement("~foo").conflicts_with_version(Version("1"))


def test_versioned_object() -> None:
    obj = VersionedObject("maya@2016.1")
    assert (obj.name, str(obj.version), str(obj)) == ("maya", "2016.1", "maya@2016.1")
    assert obj.as_exact_requirement() == "maya==2016.1"
    assert str(VersionedObject("foo")) == "foo"
    assert VersionedObject("foo").as_exact_requirement() == "foo"
    assert VersionedObject.construct("foo", Version("1")) == VersionedObject("foo-1")
    assert hash(VersionedObject("foo-1.0")) == hash(VersionedObject("foo#1-0"))
    assert repr(VersionedObject("foo-1")) == "VersionedObject('foo-1')"
    with pytest.raises(InvalidRequirement, match=r"'foo-1\.\.2'"):
        VersionedObject("foo-1..2")


def test_construct() -> None:
    assert str(Requirement.construct("foo")) == "foo"
    assert str(Requirement.construct("foo", VersionRange("1+<2"))) == "foo-1+<2"


def test_equality_ignores_weak_like_rez() -> None:
    # GIVEN a weak requirement and the conflict it is stored as
    weak, conflict = Requirement("~foo-1"), Requirement("!foo<1|1_+")
    # THEN they are equal (rez compares name, range and conflict only) and hash alike
    assert weak == conflict
    assert hash(weak) == hash(conflict)
    assert str(weak) != str(conflict)
    assert Requirement("foo") != "foo"


def test_requirements_are_cached_and_picklable() -> None:
    req = Requirement("foo-1+<2")
    assert Requirement.parse("foo-1+<2") is req
    assert pickle.loads(pickle.dumps(req)) == req
    assert str(pickle.loads(pickle.dumps(Requirement("~foo-1")))) == "~foo-1"
    assert req.safe_str() == "foo-1+<2"
    obj = pickle.loads(pickle.dumps(VersionedObject("foo@1")))
    assert str(obj) == "foo@1"
    reqs = RequirementList([Requirement("foo-1"), Requirement("!bar")])
    assert str(pickle.loads(pickle.dumps(reqs))) == "foo-1 !bar"
    with pytest.raises(AttributeError, match="immutable"):
        req.name = "bar"


@pytest.mark.parametrize(
    ("reqs", "rendered", "conflict"),
    [
        (["foo-1", "bar", "foo-1.5"], "foo-1.5 bar", None),
        (["foo-4", "bar", "foo-6"], "foo-4 <--!--> foo-6", ("foo-4", "foo-6")),
        (["foo-3+", "!foo-5+", "~bar-1"], "foo-3+<5 ~bar-1", None),
        (["!foo-2", "!foo-5"], "!foo-2|5", None),
        (["foo-1", "!foo", "foo-2"], "foo-1 <--!--> !foo", ("foo-1", "!foo")),
        ([], "", None),
    ],
)
def test_requirement_list(reqs: list[str], rendered: str, conflict: tuple[str, str] | None) -> None:
    # GIVEN requirements WHEN merged left to right
    merged = RequirementList(Requirement(r) for r in reqs)
    # THEN the text and the conflict are rez's
    assert str(merged) == rendered
    assert (None if merged.conflict is None else tuple(map(str, merged.conflict))) == conflict
    if conflict is not None:
        assert merged.requirements == []


def test_requirement_list_accessors() -> None:
    merged = RequirementList([Requirement("foo-1"), Requirement("!bar"), Requirement("foo-1.2")])
    assert [str(r) for r in merged] == ["foo-1.2", "!bar"]
    assert merged.names == {"foo"}
    assert merged.conflict_names == {"bar"}
    assert str(merged.get("foo")) == "foo-1.2"
    assert merged.get("baz") is None
    assert merged == RequirementList([Requirement("foo-1.2"), Requirement("!bar")])
    assert merged != "foo-1.2 !bar"
    assert repr(merged) == "RequirementList('foo-1.2 !bar')"
    assert bool(RequirementList([Requirement("a-1"), Requirement("a-2")]))  # truthy, like rez


def test_module_surface() -> None:
    assert set(dir(requirements)) == set(requirements.__all__)
