"""Differential tests: pkgimport's version algebra against rez 3.4's ``rez.version``.

Inputs are generated from a seeded random source (same cases on every run), biased towards
the nasty corners: zero padding, ``_``, upper/lower case, alpha/numeric mixes, empty versions,
every range form, and plain garbage for the error paths.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.errors import InvalidRequirement, InvalidVersion
from pkgimport.resolver.requirements import (
    Requirement,
    RequirementList,
    VersionedObject,
    parse_request,
)
from pkgimport.resolver.versions import Version, VersionRange

if TYPE_CHECKING:
    from collections.abc import Callable

rez_version = pytest.importorskip("rez.version")
rez_formatting = pytest.importorskip("rez.utils.formatting")
rez_exceptions = pytest.importorskip("rez.exceptions")

RezVersion = rez_version.Version
RezRange = rez_version.VersionRange
RezRequirement = rez_version.Requirement
RezRequirementList = rez_version.RequirementList
RezPackageRequest = rez_formatting.PackageRequest
RezVersionedObject = rez_version.VersionedObject
REZ_ERRORS = (rez_version.VersionError, rez_exceptions.PackageRequestError)

N = 3000

SUBTOKENS = ["0", "00", "01", "1", "2", "9", "10", "a", "A", "Z", "z", "_", "b", "rc", "beta"]
SUBTOKENS += ["alpha", "1a", "a1", "rc10b", "1_", "_1", "07b"]
OPS = ["", "", "", "==", "+", ">", ">=", "<", "<=", "..", ","]


def gen_token(rng: random.Random) -> str:
    return "".join(rng.choice(SUBTOKENS) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def gen_version(rng: random.Random) -> str:
    """A valid version text (sometimes empty), with "." and "-" separators."""
    if rng.random() < 0.05:
        return ""
    # Few distinct first tokens so that versions often share prefixes.
    tokens = [rng.choice(["1", "2", "01", "a", "1a", "10"])]
    tokens += [gen_token(rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    text = tokens[0]
    for token in tokens[1:]:
        text += rng.choice(".....-") + token
    return text


def gen_version_text(rng: random.Random) -> str:
    """Anything that may or may not be a version: valid ones plus garbage."""
    if rng.random() < 0.7:
        return gen_version(rng)
    return "".join(rng.choice("01a_.-+ /A\n") for _ in range(rng.randint(0, 6)))


def gen_range_part(rng: random.Random) -> str:
    forms: list[Callable[[], str]] = [
        lambda: gen_version(rng),
        lambda: "==" + gen_version(rng),
        lambda: gen_version(rng) + ".." + gen_version(rng),
        lambda: gen_version(rng) + "+",
        lambda: rng.choice([">", ">="]) + gen_version(rng),
        lambda: rng.choice(["<", "<="]) + gen_version(rng),
        lambda: (
            gen_version(rng)
            + rng.choice(["+", ""])
            + rng.choice(["", ","])
            + rng.choice(["<", "<="])
            + gen_version(rng)
        ),
        lambda: (
            rng.choice([">", ">="])
            + gen_version(rng)
            + rng.choice(["", ","])
            + rng.choice(["<", "<="])
            + gen_version(rng)
        ),
        lambda: (
            rng.choice(["<", "<=", ""])
            + gen_version(rng)
            + rng.choice(["", ",", "+,"])
            + rng.choice([">", ">=", "<"])
            + gen_version(rng)
        ),
        lambda: "".join(rng.choice(OPS) + rng.choice(["", gen_token(rng)]) for _ in range(3)),
    ]
    part = rng.choice(forms)()
    if rng.random() < 0.02:
        part += "\n"
    return part


def gen_range(rng: random.Random) -> str:
    if rng.random() < 0.03:
        return "".join(rng.choice("1a.<>=+,|*~!- \n") for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.1:
        # Many pieces (like a solver's scope range "==1|==1.2|..."): the binary-search paths.
        return "|".join(rng.choice(["==", "==", "==", ""]) + gen_version(rng) for _ in range(12))
    return "|".join(gen_range_part(rng) for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])))


def gen_requirement(rng: random.Random) -> str:
    prefix = rng.choice(["", "", "", "!", "~", "."])
    name = rng.choice(["foo", "foo", "foo", "bar", "my-pkg", "a.b", "a..b", "", "__pycache__"])
    sep = rng.choice(["-", "-", "-", "@", "#", ""])
    if not sep:
        # Without a separator the range text joins the name, and rez's package-name regex
        # backtracks exponentially on long bad names: keep these short.
        return prefix + name + rng.choice(["", "1", "1.0.1", "<2", "==1", ">=1.0", "a", "1-2"])
    return prefix + name + sep + (gen_range(rng) if rng.random() < 0.9 else "")


def outcome(fn: Callable[[], Any], errors: tuple[type[BaseException], ...]) -> Any:
    """The result of *fn*, or the string "error" if it raises one of *errors*."""
    try:
        return fn()
    except errors:
        return "error"


def ours_range(text: str) -> Any:
    return outcome(lambda: VersionRange(text), (InvalidVersion,))


def rez_range(text: str) -> Any:
    return outcome(lambda: RezRange(text), (rez_version.VersionError,))


def valid_ranges(rng: random.Random, count: int) -> list[tuple[VersionRange, Any]]:
    pairs: list[tuple[VersionRange, Any]] = []
    while len(pairs) < count:
        text = gen_range(rng)
        ours, theirs = ours_range(text), rez_range(text)
        if ours != "error" and theirs != "error":
            pairs.append((ours, theirs))
    return pairs


def same(ours: Any, theirs: Any) -> Any:
    """Map a result pair to comparable strings (None and "error" stay as they are)."""
    return (
        ours if ours is None or isinstance(ours, str | bool) else str(ours),
        theirs if theirs is None or isinstance(theirs, str | bool) else str(theirs),
    )


# --- Versions ------------------------------------------------------------------------------------


def test_version_parsing_and_str_match_rez() -> None:
    rng = random.Random(1)
    for _ in range(N):
        text = gen_version_text(rng)
        ours = outcome(lambda: Version(text), (InvalidVersion,))  # noqa: B023 - called at once
        theirs = outcome(lambda: RezVersion(text), (rez_version.VersionError,))  # noqa: B023 - called at once
        assert same(ours, theirs)[0] == same(ours, theirs)[1], text
        if ours != "error":
            assert bool(ours) == bool(theirs), text
            assert len(ours) == len(theirs), text
            assert ours.as_tuple() == theirs.as_tuple(), text
            if ours:
                assert str(ours.next()) == str(theirs.next()), text
            for length in range(len(theirs) + 2):
                assert str(ours.trim(length)) == str(theirs.trim(length)), (text, length)


def test_version_order_matches_rez() -> None:
    rng = random.Random(2)
    texts = [gen_version(rng) for _ in range(600)]
    ours = [Version(t) for t in texts]
    theirs = [RezVersion(t) for t in texts]
    for _ in range(N * 3):
        i, j = rng.randrange(len(texts)), rng.randrange(len(texts))
        a, b, ra, rb = ours[i], ours[j], theirs[i], theirs[j]
        expected = (ra < rb, ra == rb, ra > rb, ra <= rb, ra >= rb, ra != rb)
        assert (a < b, a == b, a > b, a <= b, a >= b, a != b) == expected, (texts[i], texts[j])
        assert (a.sort_key() < b.sort_key()) == (ra < rb)
        assert (a.next() < b) == (ra.next() < rb), (texts[i], texts[j])
    assert [str(v) for v in sorted(ours)] == [str(v) for v in sorted(theirs)]
    ordered = sorted(ours, key=Version.sort_key)
    assert [str(v) for v in ordered] == [str(v) for v in sorted(theirs)]


# --- Ranges --------------------------------------------------------------------------------------


def test_range_parsing_and_canonical_str_match_rez() -> None:
    rng = random.Random(3)
    for _ in range(N * 2):
        text = gen_range(rng)
        ours, theirs = same(ours_range(text), rez_range(text))
        assert ours == theirs, repr(text)


def test_range_containment_matches_rez() -> None:
    rng = random.Random(4)
    versions = [gen_version(rng) for _ in range(200)]
    pairs = valid_ranges(rng, 600)
    for ours, theirs in pairs:
        # Versions near the bounds are where containment goes wrong: probe them too.
        probes = ["", *rng.sample(versions, 15)]
        for bound in theirs.bounds:
            for version in (bound.lower.version, bound.upper.version):
                if version != RezVersion.inf and version:
                    text = str(version)
                    probes += [text, text + "_", text + ".0", text + "a"]
        for text in probes:
            assert ours.contains_version(Version(text)) == theirs.contains_version(
                RezVersion(text)
            ), (str(theirs), text)
            assert (Version(text) in ours) == (RezVersion(text) in theirs)
            assert ours.contains_key(Version(text).sort_key()) == (RezVersion(text) in theirs)
        assert ours.is_any() == theirs.is_any()
        assert (ours.lower_bounded(), ours.upper_bounded(), ours.bounded()) == (
            theirs.lower_bounded(),
            theirs.upper_bounded(),
            theirs.bounded(),
        )
        assert str(ours.span()) == str(theirs.span())
        assert [str(r) for r in ours.split()] == [str(r) for r in theirs.split()]
        to_versions = theirs.to_versions()
        assert [str(v) for v in ours.to_versions() or []] == [str(v) for v in to_versions or []]


def test_range_operations_match_rez() -> None:
    rng = random.Random(5)
    pairs = valid_ranges(rng, 900)
    rez_errors = (rez_version.VersionError,)
    for _ in range(N):
        (a, ra), (b, rb) = rng.choice(pairs), rng.choice(pairs)
        context = (str(ra), str(rb))
        assert same(a & b, ra & rb)[0] == same(a & b, ra & rb)[1], context
        assert str(a | b) == str(ra | rb), context
        inverse = outcome(lambda: ~a, (InvalidVersion,))  # noqa: B023 - called at once
        rez_inverse = outcome(lambda: ~ra, rez_errors)  # noqa: B023 - called at once
        assert same(inverse, rez_inverse)[0] == same(inverse, rez_inverse)[1], context
        minus = outcome(lambda: a - b, (InvalidVersion,))  # noqa: B023 - called at once
        rez_minus = outcome(lambda: ra - rb, rez_errors)  # noqa: B023 - called at once
        assert same(minus, rez_minus)[0] == same(minus, rez_minus)[1], context
        assert a.issuperset(b) == ra.issuperset(rb), context
        assert (b in a) == (rb in ra), context
        assert a.intersects(b) == ra.intersects(rb), context
        assert (a == b) == (ra == rb), context
        assert (a < b) == (ra < rb), context


def test_from_versions_matches_rez() -> None:
    rng = random.Random(6)
    for _ in range(500):
        texts = [gen_version(rng) for _ in range(rng.randint(1, 12))]
        ours = VersionRange.from_versions(Version(t) for t in texts)
        theirs = RezRange.from_versions([RezVersion(t) for t in texts])
        assert str(ours) == str(theirs), texts
        probe = rng.choice(texts)
        assert Version(probe) in ours


def test_from_version_ops_match_rez() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = gen_version(rng)
        for op in [None, "==", "eq", ">", "gt", ">=", "gte", "<", "lt", "<=", "lte"]:
            ours = outcome(lambda: VersionRange.from_version(Version(text), op), (InvalidVersion,))  # noqa: B023
            theirs = outcome(
                lambda: RezRange.from_version(RezVersion(text), op),  # noqa: B023
                (rez_version.VersionError,),
            )
            assert same(ours, theirs)[0] == same(ours, theirs)[1], (text, op)


# --- Requirements --------------------------------------------------------------------------------


def describe(req: Any) -> tuple[object, ...]:
    rng_ = req.range
    return (req.name, None if rng_ is None else str(rng_), req.conflict, req.weak, str(req))


def test_requirement_parsing_matches_rez() -> None:
    rng = random.Random(8)
    for _ in range(N * 2):
        text = gen_requirement(rng)
        ours = outcome(lambda: describe(Requirement(text)), (InvalidRequirement,))  # noqa: B023
        theirs = outcome(lambda: describe(RezRequirement(text)), REZ_ERRORS)  # noqa: B023
        assert ours == theirs, repr(text)
        ours = outcome(lambda: describe(parse_request(text)), (InvalidRequirement,))  # noqa: B023
        theirs = outcome(lambda: describe(RezPackageRequest(text)), REZ_ERRORS)  # noqa: B023
        assert ours == theirs, repr(text)
        if ours != "error":
            assert parse_request(text).ephemeral == RezPackageRequest(text).ephemeral


def valid_requirements(rng: random.Random, count: int) -> list[tuple[Requirement, Any]]:
    pairs: list[tuple[Requirement, Any]] = []
    while len(pairs) < count:
        text = gen_requirement(rng).replace("my-pkg", "foo").replace("a..b", "foo")
        text = text.lstrip(".")
        try:
            pairs.append((Requirement(text), RezRequirement(text)))
        except (InvalidRequirement, *REZ_ERRORS):
            continue
    return pairs


def test_requirement_merge_and_conflicts_match_rez() -> None:
    rng = random.Random(9)
    pairs = valid_requirements(rng, 800)
    versions = [gen_version(rng) for _ in range(100)]
    for _ in range(N):
        (a, ra), (b, rb) = rng.choice(pairs), rng.choice(pairs)
        merged = outcome(lambda: a.merged(b), (InvalidVersion,))  # noqa: B023
        rez_merged = outcome(lambda: ra.merged(rb), (rez_version.VersionError,))  # noqa: B023
        if merged in {None, "error"}:
            assert merged == rez_merged, (str(ra), str(rb))
        else:
            assert describe(merged) == describe(rez_merged), (str(ra), str(rb))
        assert a.conflicts_with(b) == ra.conflicts_with(rb), (str(ra), str(rb))
        text = f"{b.name}-{rng.choice(versions)}".rstrip("-")
        assert a.conflicts_with(VersionedObject(text)) == ra.conflicts_with(
            RezVersionedObject(text)
        ), (str(ra), text)
        assert (a == b) == (ra == rb)


def test_requirement_list_matches_rez() -> None:
    rng = random.Random(10)
    pairs = valid_requirements(rng, 800)
    for _ in range(N // 2):
        chosen = [rng.choice(pairs) for _ in range(rng.randint(1, 6))]
        ours = outcome(lambda: RequirementList([a for a, _ in chosen]), (InvalidVersion,))  # noqa: B023
        theirs = outcome(
            lambda: RezRequirementList([r for _, r in chosen]),  # noqa: B023
            (rez_version.VersionError,),
        )
        if ours == "error":
            assert theirs == "error"
            continue
        assert str(ours) == str(theirs)
        assert [describe(r) for r in ours.requirements] == [
            describe(r) for r in theirs.requirements
        ]
        assert ours.names == theirs.names
        assert ours.conflict_names == theirs.conflict_names
        if theirs.conflict:
            assert ours.conflict is not None
            assert [str(r) for r in ours.conflict] == [str(r) for r in theirs.conflict]
        else:
            assert ours.conflict is None


# --- Hand-picked corners -------------------------------------------------------------------------

EDGE_RANGES = [
    *["", "|", "1|", "|1", "1||2", "\n", "1\n", "1|\n", "\n|1", "1\n\n", " 1", "1 ", "1 2"],
    *["==", "..", "<=", ">", ">=", "+", "<", "<>2", "<=>2", "+>2", "+,>2", ">,<2", "<,>2"],
    *["1..", "..2", "1..2", "2..1", "1.2.3..1.2", "==1", "==1.0", "1+", ">=1", ">1", "<1"],
    *["1+<2", ">=1<2", ">1<=5", "1+,<2", ">=1.0.0,<2", "1<2", "1,<2", "1+<=1", "1<=1"],
    *["<=4,>2", "<4,>=2", "<4>3", "4,>2", "4+,>2", "<=4,<3", "4,<3", "<4+,>2", ">2<=4"],
    *["*", "**", "1.*", "~=1", "!=1", "1,2", "2+<1", "3+<6|4+<8", "1|1.5", "1.0|1-0"],
    *["1-0|1.0", "1.0+|1-0+", "<1.0|<1-0", "1..5|2+<3|>5<=6", "2+<1|", "|2+<1", "1.-2"],
    *["1..2..3", "===1", ">==1", "<==1", "1++", "++", ">+", "1+<", "1+<=", ",", "1,", ",1"],
]


@pytest.mark.parametrize("text", EDGE_RANGES)
def test_edge_ranges_match_rez(text: str) -> None:
    ours, theirs = same(ours_range(text), rez_range(text))
    assert ours == theirs
    if ours != "error":
        inverse = outcome(lambda: ~VersionRange(text), (InvalidVersion,))
        rez_inverse = outcome(lambda: ~RezRange(text), (rez_version.VersionError,))
        assert same(inverse, rez_inverse)[0] == same(inverse, rez_inverse)[1]


EDGE_VERSIONS = ["", "1", "01", "1_", "_", "A", "a", "1a", "rc10b", "1..2", "1.", "-1", "1--2"]
EDGE_VERSIONS += [
    "1 2",
    "1/2",
    "1+2",
    " ",
    ".",
    "1.2\n",
    "\n",
    "é",
    "1.é",
    "\u0661",
]  # last: Arabic-Indic 1


@pytest.mark.parametrize("text", EDGE_VERSIONS)
def test_edge_versions_match_rez(text: str) -> None:
    ours = outcome(lambda: str(Version(text)), (InvalidVersion,))
    theirs = outcome(lambda: str(RezVersion(text)), (rez_version.VersionError,))
    assert ours == theirs


EDGE_REQUESTS = ["foo", "foo-", "foo--1", "foo-<2", "foo@1", "foo#1", "foo==1", "foo-==1"]
EDGE_REQUESTS += ["my-package-1", "~foo", "!foo", "~foo-1", "~python<3", "foo-**", ".foo-1"]
EDGE_REQUESTS += ["foo..bar", "__pycache__", "", "!", "~", ".", "!.foo", "~.foo", ".!foo"]
EDGE_REQUESTS += ["foo>=1,<2", "foo-1+<2|3", "~python-2.7", "foo-1\n", "foo\n", "foo bar-1"]
EDGE_REQUESTS += ["~foo-", "~foo>", "~foo==", "!foo-", "foo>", "foo-..", "-1", "=1", "foo<>"]
EDGE_REQUESTS += ["~foo-1..5|2+<3|>5<=6", "foo-1..5|2+<3|>5<=6"]


@pytest.mark.parametrize("text", EDGE_REQUESTS)
def test_edge_requests_match_rez(text: str) -> None:
    ours = outcome(lambda: describe(Requirement(text)), (InvalidRequirement,))
    theirs = outcome(lambda: describe(RezRequirement(text)), REZ_ERRORS)
    assert ours == theirs
    ours = outcome(lambda: describe(parse_request(text)), (InvalidRequirement,))
    theirs = outcome(lambda: describe(RezPackageRequest(text)), REZ_ERRORS)
    assert ours == theirs


def test_versioned_objects_match_rez() -> None:
    rng = random.Random(11)
    for _ in range(N):
        text = rng.choice(["foo", "foo-", "foo@", "foo#", "", "a-b-"]) + gen_version_text(rng)
        ours = outcome(lambda: VersionedObject(text), (InvalidRequirement,))  # noqa: B023
        theirs = outcome(lambda: RezVersionedObject(text), (rez_version.VersionError,))  # noqa: B023
        assert same(ours, theirs)[0] == same(ours, theirs)[1], repr(text)
        if ours != "error":
            assert (ours.name, str(ours.version)) == (theirs.name, str(theirs.version))
            assert ours.as_exact_requirement() == theirs.as_exact_requirement()
