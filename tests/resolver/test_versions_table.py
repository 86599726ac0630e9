"""Table tests for rez versions and ranges, from the examples of rez-compat.md section 1."""

from __future__ import annotations

import copy
import doctest
import pickle
from itertools import combinations
from typing import TYPE_CHECKING

import pytest

from pkgimport.errors import InvalidVersion, PkgImportError
from pkgimport.resolver import _parser, _tokenizer, _version, requirements, versions
from pkgimport.resolver.versions import Version, VersionRange

if TYPE_CHECKING:
    from types import ModuleType

# Ascending; every pair (a, b) with a before b must compare a < b.
ORDERED_VERSIONS = [
    "",
    "beta",
    "latest",
    "0.9",
    "01",
    "1",
    "1.0",
    "1.0.alpha",
    "1.0.beta",
    "1.0-rc1",
    "1.0.0",
    "1.0.0.0",
    "1.0.1",
    "1.0_",
    "1.0a",
    "1.1",
    "1.9",
    "1.10",
    "1a",
    "2",
    "2.0",
    "2.0.rc1",
    "2.0rc1",
    "10",
]


@pytest.mark.parametrize(("lower", "higher"), list(combinations(ORDERED_VERSIONS, 2)))
def test_version_order(lower: str, higher: str) -> None:
    # GIVEN two versions listed in ascending order
    a, b = Version(lower), Version(higher)
    # THEN every comparison agrees, and so does the sort key
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert a != b
    assert not a == b  # noqa: SIM201 - testing __eq__ itself
    assert a.sort_key() < b.sort_key()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("alpha", "alpha3"),
        ("gamma33", "33gamma"),
        ("A", "_"),
        ("_", "a"),
        ("B", "a"),
        ("1_", "1a"),
        ("0", "00"),
        ("9", "10"),
        ("rc9b", "rc10b"),
        ("07b", "7b"),
    ],
)
def test_token_order(a: str, b: str) -> None:
    # GIVEN tokens of rez's alphanumeric kind
    # THEN alphas sort by ASCII, before numbers; numbers by value then padding; prefix first
    assert Version(a) < Version(b)


def test_separators_are_cosmetic() -> None:
    # GIVEN the same tokens written with different separators
    dotted, dashed = Version("1.0"), Version("1-0")
    # THEN they are equal and hash alike, but print as written
    assert dotted == dashed
    assert hash(dotted) == hash(dashed)
    assert {dotted: 1}[dashed] == 1
    assert (str(dotted), str(dashed)) == ("1.0", "1-0")


def test_comparing_with_other_types() -> None:
    assert Version("1") != "1"
    with pytest.raises(TypeError):
        Version("1") < "2"  # type: ignore[operator]  # noqa: B015 - the comparison is the test


def test_padding_is_significant() -> None:
    assert Version("01") != Version("1")
    assert Version("01") < Version("1")


@pytest.mark.parametrize("text", ["1 2", "1/2", "1+2"])
def test_any_single_character_separates(text: str) -> None:
    # GIVEN a version with an unusual single-character separator
    # THEN it parses (only the range parser restricts separators to "." and "-")
    assert str(Version(text)) == text
    assert Version(text) == Version("1.2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1..2", "invalid version '1..2': bad separator"),
        ("1.", "invalid version '1.': bad separator"),
        ("-1", "invalid version '-1': bad separator"),
        ("1--2", "invalid version '1--2': bad separator"),
        (".", "invalid version '.': no version token"),
    ],
)
def test_invalid_versions(text: str, message: str) -> None:
    # WHEN parsing a malformed version
    with pytest.raises(InvalidVersion) as info:
        Version(text)
    # THEN the error quotes the input and is a pkgimport error
    assert str(info.value) == message
    assert isinstance(info.value, PkgImportError)
    assert isinstance(info.value, ValueError)


def test_empty_version() -> None:
    empty = Version()
    assert not empty
    assert len(empty) == 0
    assert empty == Version("")
    assert empty < Version("0")
    assert empty.next() is Version.inf
    assert Version("999") < Version.inf


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.2", "1.2_"), ("1.2b", "1.2b_"), ("1", "1_"), ("rc10b", "rc10b_"), ("1-a", "1-a_")],
)
def test_next(text: str, expected: str) -> None:
    # GIVEN a version WHEN taking its next THEN "_" is appended to the last token
    nxt = Version(text).next()
    assert str(nxt) == expected
    # AND nothing the version is a prefix of reaches it
    assert Version(text + ".99.z") < nxt


def test_version_accessors() -> None:
    v = Version("1.2-3b")
    assert v.tokens == ("1", "2", "3b")
    assert v.seps == (".", "-")
    assert (v.major, v.minor, v.patch) == ("1", "2", "3b")
    assert v[-1] == "3b"
    assert str(v.trim(2)) == "1.2"
    assert str(v.trim(0)) == ""
    assert repr(v) == "Version('1.2-3b')"
    with pytest.raises(IndexError, match="out of range"):
        v[3]


def test_versions_are_immutable_cached_and_picklable() -> None:
    v = Version("1.2")
    assert Version("1.2") is v
    assert Version.parse("1.2") is v
    with pytest.raises(AttributeError):
        v.tokens = ()
    assert pickle.loads(pickle.dumps(v)) is v
    assert copy.deepcopy(v) == v
    assert str(Version("1.2")) == "1.2"


def test_sort_key_sorts_like_versions() -> None:
    texts = list(reversed(ORDERED_VERSIONS))
    assert [str(v) for v in sorted(map(Version, texts), key=Version.sort_key)] == ORDERED_VERSIONS
    assert [str(v) for v in sorted(map(Version, texts))] == ORDERED_VERSIONS


# --- Ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("1|", ""),
        ("|1", ""),
        ("1", "1"),
        ("==1", "==1"),
        ("==", "=="),
        ("<=", "=="),
        ("..", "=="),
        ("..2", "<=2"),
        ("1..2", "1..2"),
        ("1+", "1+"),
        (">=1", "1+"),
        (">1", ">1"),
        (">", ">"),
        ("+", ""),
        (">=", ""),
        ("<1", "<1"),
        ("<=1", "<=1"),
        ("1+<2", "1+<2"),
        (">=1<2", "1+<2"),
        (">1<=5", ">1<=5"),
        ("1+,<2", "1+<2"),
        (">=1.0.0,<2", "1.0.0+<2"),
        ("1+<=5", "1..5"),
        ("<=4,>2", ">2<=4"),
        ("<4,>=2", "2+<4"),
        ("1+<1_", "1"),
        ("3+<6|4+<8", "3+<8"),
        ("1|1.5", "1"),
        ("4|6+", "4|6+"),
        ("2+<4|6+<8", "2+<4|6+<8"),
        ("1|2|3", "1|2|3"),
        ("1+<2|2+<3", "1+<3"),
        ("1.0|1-0", "1.0"),
    ],
)
def test_range_canonical_str(text: str, canonical: str) -> None:
    # GIVEN a range in any accepted form WHEN printed THEN rez's canonical form comes out
    assert str(VersionRange(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*", "invalid version range '*': syntax error in '*'"),
        ("**", "invalid version range '**': syntax error in '**'"),
        ("1.*", "invalid version range '1.*': syntax error in '1.*'"),
        ("~=1", "invalid version range '~=1': syntax error in '~=1'"),
        ("!=1", "invalid version range '!=1': syntax error in '!=1'"),
        ("1,2", "invalid version range '1,2': syntax error in '1,2'"),
        ("<", "invalid version range '<': syntax error in '<'"),
        ("<4>3", "invalid version range '<4>3': syntax error in '<4>3'"),
        ("1 2", "invalid version range '1 2': syntax error in '1 2'"),
        ("2+<1", "invalid version range '2+<1': invalid bound '2+<1'"),
        ("1..", "invalid version range '1..': invalid bound '1+<='"),
        ("1.2.3..1.2", "invalid version range '1.2.3..1.2': invalid bound '1.2.3+<=1.2'"),
        ("<>2", "invalid version range '<>2': invalid upper bound '<'"),
    ],
)
def test_invalid_ranges(text: str, message: str) -> None:
    with pytest.raises(InvalidVersion) as info:
        VersionRange(text)
    assert str(info.value) == message


def test_any_part_skips_bound_checks_after_it() -> None:
    # GIVEN an empty part before an impossible bound THEN rez only checks the syntax
    assert VersionRange("|2+<1").is_any()
    # BUT an impossible bound before the empty part is still an error
    with pytest.raises(InvalidVersion):
        VersionRange("2+<1|")


@pytest.mark.parametrize(
    ("range_", "inside", "outside"),
    [
        ("1", ["1", "1.0", "1.5.3", "1_"[:1]], ["10", "1a", "2", "0.9", "", "1_"]),
        ("==1", ["1"], ["1.0", "01"]),
        ("==", [""], ["0"]),
        ("1+<2", ["1", "1.99", "1.0.0"], ["2", "2.0", "0"]),
        ("<2", ["", "1", "1.99"], ["2.beta", "2", "2.0"]),
        ("1.0+<1.1", ["1.0.5"], ["1.1.beta", "1.1"]),
        ("<=20.5", ["20.5", "20.4.9"], ["20.5.1"]),
        ("1..2", ["1", "2", "1.5"], ["2.0", "2.5"]),
        (">", ["0", "a"], [""]),
        ("", ["", "1", "zzz"], []),
        ("4|6+", ["4.1", "6", "100"], ["5", "5.9"]),
        ("==1|==2|==3|==4|==5|==6|==7", ["1", "4", "7"], ["0", "1.0", "4.5", "8"]),
    ],
)
def test_containment(range_: str, inside: list[str], outside: list[str]) -> None:
    r = VersionRange(range_)
    for text in inside:
        assert Version(text) in r, text
        assert r.contains_key(Version(text).sort_key())
    for text in outside:
        assert Version(text) not in r, text
        assert not r.contains_key(Version(text).sort_key())


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_", "minus"),
    [
        ("1+<3", "2+<4", "2+<3", "1+<4", "1+<2"),
        ("1", "2", None, "1|2", "1"),
        ("", "1", "1", "", "<1|1_+"),
        ("1+", "<1", None, "", "1+"),
        ("1|3", "1+", "1|3", "1+", None),
        ("==1", "1", "==1", "1", None),
    ],
)
def test_range_operations(a: str, b: str, and_: str | None, or_: str, minus: str | None) -> None:
    ra, rb = VersionRange(a), VersionRange(b)
    assert (None if (r := ra & rb) is None else str(r)) == and_
    assert str(ra | rb) == or_
    assert str(ra + rb) == or_
    assert (None if (r := ra - rb) is None else str(r)) == minus


@pytest.mark.parametrize(
    ("text", "inverse"),
    [
        ("", None),
        ("1", "<1|1_+"),
        ("1+<2", "<1|2+"),
        ("<3", "3+"),
        (">", "=="),
        ("==", ">"),
        ("3+<8", "<3|8+"),
        ("<2.7", "2.7+"),
    ],
)
def test_inverse(text: str, inverse: str | None) -> None:
    result = ~VersionRange(text)
    assert (None if result is None else str(result)) == inverse
    if result is not None:
        assert str(~result) == str(VersionRange(text))


def test_superset_intersects_span() -> None:
    assert VersionRange("1").issuperset(VersionRange("1.5"))
    assert VersionRange("1.5") in VersionRange("1")
    assert VersionRange("1.5").issubset(VersionRange("1"))
    assert not VersionRange("1+<3").issuperset(VersionRange("2+"))
    assert VersionRange("1+<3").intersects(VersionRange("2+"))
    assert not VersionRange("1").intersects(VersionRange("2"))
    assert str(VersionRange("2+<4|6+<8").span()) == "2+<8"
    assert [str(r) for r in VersionRange("3|5+").split()] == ["3", "5+"]


def test_from_versions_and_to_versions() -> None:
    r = VersionRange.from_versions([Version("2.6.8"), Version("2.6.0"), Version("2.6.8")])
    assert str(r) == "==2.6.0|==2.6.8"
    assert [str(v) for v in r.to_versions() or []] == ["2.6.0", "2.6.8"]
    assert VersionRange("1+").to_versions() is None


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (None, "1.2"),
        ("==", "==1.2"),
        (">", ">1.2"),
        ("gte", "1.2+"),
        ("<", "<1.2"),
        ("lte", "<=1.2"),
    ],
)
def test_from_version(op: str | None, expected: str) -> None:
    assert str(VersionRange.from_version(Version("1.2"), op)) == expected


def test_from_version_rejects_unknown_op() -> None:
    with pytest.raises(InvalidVersion, match="unknown bound operation '~='"):
        VersionRange.from_version(Version("1"), "~=")


def test_as_span_and_bounds() -> None:
    r = VersionRange.as_span(Version("1"), Version("2"), upper_inclusive=False)
    assert str(r) == "1+<2"
    (bound,) = r.bounds
    assert (str(bound.lower.version), bound.lower.inclusive) == ("1", True)
    assert (str(bound.upper.version), bound.upper.inclusive) == ("2", False)
    assert bound.contains_version(Version("1.5"))
    assert VersionRange("1+").bounds[0].upper.version is Version.inf
    assert VersionRange("1+").upper_bounded() is False
    assert VersionRange("<1").lower_bounded() is False
    assert VersionRange("1+<2").bounded()


def test_ranges_are_values() -> None:
    a, b = VersionRange(">=1,<2"), VersionRange("1+<2")
    assert a == b
    assert hash(a) == hash(b)
    assert VersionRange("1") < VersionRange("2")
    assert VersionRange("1") <= VersionRange("1")
    assert VersionRange("2") > VersionRange("1")
    assert VersionRange("2") >= VersionRange("1")
    assert repr(a) == "VersionRange('1+<2')"
    assert len(VersionRange("1|3")) == 2
    assert pickle.loads(pickle.dumps(a)) == a
    assert VersionRange.parse("1+<2") is VersionRange("1+<2")
    assert a != "1+<2"


def test_pickle_keeps_unmerged_pieces() -> None:
    # GIVEN a range rez leaves in two touching pieces (its union looks at the previous piece)
    quirky = VersionRange("1..5|2+<3|>5<=6")
    assert str(quirky) == "1..5|>5<=6"
    # THEN pickling keeps the pieces (parsing the text again would merge them)
    restored = pickle.loads(pickle.dumps(quirky))
    assert restored == quirky
    assert str(restored) == "1..5|>5<=6"
    assert pickle.loads(pickle.dumps(Version.inf)) is Version.inf
    # AND rez's inverse of it fails the same way
    with pytest.raises(InvalidVersion, match="invalid bound '>5<=5'"):
        ~quirky  # noqa: B018 - the operation is the test


# Texts around the fast paths of Version and of range parts (dotted numbers, with or without
# the "_" of next(); "1.2" and "1.2+<2"), and near misses that must take the general path.
FAST_PATH_VERSIONS = [
    *("1", "1.2.3", "01.002", "0", "1_", "1.2_", "10.0_", "1.2.3_", "9" * 25, "9" * 25 + "_"),
    *(
        "1__",
        "_",
        "1._",
        "1.2._",
        ".1",
        "1.",
        "1..2",
        "1-2_",
        "1.2a_",
        "1_2",
        "1²",
        "\u0661",
        "1.²_",
    ),
]
FAST_PATH_PARTS = [
    *("1", "1.2", "1.2-3", "a_b.c", "1.2+<2", "1+<1.5_", "a+<b", "1-2+<3-4"),
    *("1..2", "1.+<2", "1+<", "+<2", "1+<2+<3", "1+<=2", "1+,<2", "1.2.", "1 ", "²", "1+<2\n"),
]


def _general_version(text: str) -> tuple[object, ...] | None:
    """The general path of ``Version._from_text`` (tokens, seps, key), or None when invalid."""
    tokens = _version._TOKEN_RE.findall(text)
    seps = _version._TOKEN_RE.split(text)
    if not tokens or seps[0] or seps[-1] or any(len(sep) > 1 for sep in seps):
        return None
    return tuple(tokens), tuple(seps[1:-1]), _version._make_key(tokens)


@pytest.mark.parametrize("text", FAST_PATH_VERSIONS)
def test_version_fast_path_matches_the_general_parse(text: str) -> None:
    # GIVEN what the general tokenizing makes of a version text
    expected = _general_version(text)
    # WHEN it is parsed THEN the result is the same version, or an error for the same texts
    if expected is None:
        with pytest.raises(InvalidVersion, match="invalid version"):
            _version.Version._from_text(text)
        return
    parsed = _version.Version._from_text(text)
    assert (parsed.tokens, parsed.seps, parsed.sort_key()) == expected
    assert str(parsed) == text


@pytest.mark.parametrize("part", FAST_PATH_PARTS)
def test_range_part_fast_paths_match_the_grammar(part: str) -> None:
    # GIVEN the grammar's own reading of a range part (rules tried in rez's order)
    try:
        expected: object = _parser._parse_rules(part.removesuffix("\n"))
    except _parser.RangeSyntaxError as exc:
        expected = str(exc)
    # WHEN the part is parsed THEN the fast paths give the same bound or the same error
    try:
        got: object = _parser.parse_range_part(part)
    except _parser.RangeSyntaxError as exc:
        got = str(exc)
    assert got == expected


def test_module_surface() -> None:
    assert set(dir(versions)) == set(versions.__all__)


@pytest.mark.parametrize("module", [versions, requirements, _parser, _tokenizer])
def test_doctests(module: ModuleType) -> None:
    # The examples in the docstrings are part of the documented API: keep them true.
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
