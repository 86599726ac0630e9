"""Variant sets as bit masks (``resolver._family``) against plain per-variant computation.

GIVEN seeded random families (versions, variants, requirements with ranges, weak ``~`` and
conflict ``!`` forms), WHEN sets of their variants are narrowed, reduced and extracted from
through :class:`FamilyCandidates` / :class:`VariantSet`, THEN every answer equals the same
question asked of each variant in turn (the way rez's solver asks it).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.errors import ResolveError
from pkgimport.resolver._algebra import Requirement, Version, VersionRange
from pkgimport.resolver._family import FamilyCandidates, VariantSet, iter_bits
from pkgimport.resolver.provider import PackageData

if TYPE_CHECKING:
    from pkgimport.resolver._variants import Variant

VERSIONS = ["1", "1.0", "1.1", "2", "2.5", "3", "10", "1.0.beta"]
RANGES = ["", "-1", "-1+", "<2", "-1+<3", "==2", "-1|3", "-2.5+"]
BARE_RANGES = ["", "1", "1+", "<2", "1+<3", "==2", "1|3", "2.5+", "1.0.beta"]


def _requirement(rng: random.Random, family: str) -> str:
    prefix = rng.choices(["", "~", "!"], weights=[6, 1, 1])[0]
    range_ = rng.choice(RANGES)
    if prefix and not range_:
        range_ = "-2"
    return prefix + family + range_


def _family(rng: random.Random, name: str, others: list[str]) -> dict[str, PackageData]:
    packages = {}
    for version in rng.sample(VERSIONS, rng.randint(2, len(VERSIONS))):
        count = rng.randint(0, min(2, len(others)))
        requires = tuple(_requirement(rng, f) for f in rng.sample(others, count))
        variants = None
        if rng.random() < 0.4:
            variants = tuple(
                tuple(
                    _requirement(rng, f)
                    for f in rng.sample(others, rng.randint(1, min(2, len(others))))
                )
                for _ in range(rng.randint(2, 3))
            )
        packages[version] = PackageData(
            name=name, version=version, requires=requires, variants=variants
        )
    return packages


def _candidates(packages: dict[str, PackageData], loaded: list[str]) -> FamilyCandidates:
    def load(family: str, version: str) -> PackageData:
        loaded.append(version)
        return packages[version]

    name = next(iter(packages.values())).name
    versions = [(v, Version(v)) for v in packages]
    return FamilyCandidates(name, versions, load=load, excludes=None, building=False)


def _variants(table: FamilyCandidates, mask: int) -> list[Variant]:
    return [table.variants[b] for b in iter_bits(mask)]


def _safe(variant: Variant) -> bool:
    try:
        variant.requires_list  # noqa: B018 - parsing is the test
    except ResolveError:
        return False
    return True


@pytest.mark.parametrize("seed", range(40))
def test_variant_sets_answer_like_each_variant(seed: int) -> None:
    rng = random.Random(seed)
    others = ["a", "b", "c"]
    table_a = _candidates(_family(rng, "x", others), [])
    table_b = _candidates(_family(rng, "a", ["y"]), [])
    everything = VersionRange("")
    full_a = table_a.slice_of(everything)
    full_b = table_b.slice_of(everything)
    assert full_a is not None
    assert full_b is not None
    for _ in range(30):
        # A random subset of x's variants that parse (rez raises on the others when read).
        bits = [b for b in iter_bits(full_a.mask) if _safe(table_a.variants[b])]
        if not bits:
            return
        subset = rng.sample(bits, rng.randint(1, len(bits)))
        mask = sum(1 << b for b in subset)
        chosen = table_a.set_of(mask)
        assert table_a.set_of(mask) is chosen  # interned
        variants = _variants(table_a, mask)
        assert not table_a.has_errors(mask)

        # What the set requires.
        info = chosen.info
        names = [v.requires_list.names for v in variants]
        assert info.common == frozenset.intersection(*names)
        assert info.fam_requires == frozenset().union(
            *(v.requires_list.all_names for v in variants)
        )

        # Extraction: the union of every variant's requirement on each common family.
        fams, requests = chosen.extract(frozenset())
        assert fams == sorted(info.common)
        for fam, request in zip(fams, requests, strict=True):
            ranges = [v.requires_list.by_name[fam].range for v in variants]
            union = ranges[0]
            for other in ranges[1:]:
                union = union | other  # type: ignore[operator]
            assert request == Requirement.construct(fam, union)

        # Narrowing by a range keeps exactly the variants whose version is inside.
        range_ = VersionRange(rng.choice(BARE_RANGES))
        narrowed = chosen.intersect(range_)
        kept = [v for v in variants if range_.contains_version(v.version)]
        assert (_variants(table_a, narrowed.mask) if narrowed else []) == kept

        # Reducing by a scope of family "a": exactly the variants whose requirement on "a"
        # conflicts with the scope's request (==v1|==v2... over its versions).
        b_bits = list(iter_bits(full_b.mask))
        b_mask = sum(1 << b for b in rng.sample(b_bits, rng.randint(1, len(b_bits))))
        scope = table_b.set_of(b_mask)
        request = Requirement.construct("a", scope.requirement.range)
        conflicting = chosen.mask & scope.conflict_bits(table_a)
        expected = [
            v for v in variants if (r := v.get("a")) is not None and r.conflicts_with(request)
        ]
        assert _variants(table_a, conflicting) == expected


def test_versions_load_lazily_in_range_order_and_once() -> None:
    loaded: list[str] = []
    packages = {v: PackageData(name="x", version=v) for v in ["1", "2", "3", "4"]}
    table = _candidates(packages, loaded)
    first = table.slice_of(VersionRange("2+"))
    assert loaded == ["4", "3", "2"]  # highest first, only the range
    assert first is not None
    assert [str(v.version) for v in _variants(table, first.mask)] == ["4", "3", "2"]
    table.slice_of(VersionRange("1+<3"))
    assert loaded == ["4", "3", "2", "1"]  # "2" is not loaded again
    # A range over loaded versions loads nothing (range_bits never loads).
    assert table.range_bits(VersionRange("<10")) != 0
    assert loaded == ["4", "3", "2", "1"]


def test_an_internal_conflict_is_kept_until_a_set_holding_it_is_read() -> None:
    packages = {
        "1": PackageData(name="x", version="1", requires=("a-1", "a-2")),
        "2": PackageData(name="x", version="2", requires=("a-2",)),
    }
    table = _candidates(packages, [])
    full = table.slice_of(VersionRange(""))
    assert full is not None
    good = table.set_of(table.range_bits(VersionRange("2")))
    assert not table.has_errors(good.mask)
    assert good.info.common == {"a"}
    assert table.has_errors(full.mask)
    bad_bit = next(iter(table.errors))
    with pytest.raises(ResolveError, match="internal requirements conflict"):
        raise table.errors[bad_bit]


def test_iter_bits_lists_set_bits_lowest_first() -> None:
    assert list(iter_bits(0)) == []
    assert list(iter_bits(1)) == [0]
    big = (1 << 2000) | (1 << 64) | 0b1010
    assert list(iter_bits(big)) == [1, 3, 64, 2000]


def test_variant_set_keys_follow_versions_not_variants() -> None:
    packages: dict[str, Any] = {
        "1": PackageData(name="x", version="1", variants=(("a",), ("b",))),
        "2": PackageData(name="x", version="2"),
    }
    table = _candidates(packages, [])
    full = table.slice_of(VersionRange(""))
    assert full is not None
    bits = list(iter_bits(full.mask))  # "2", then "1"[0], "1"[1]
    one_variant = table.set_of(full.mask & ~(1 << bits[2]))
    assert one_variant.key == full.key  # same versions: rez's requirements compare equal
    only_two = table.set_of(1 << bits[0])
    assert only_two.key != full.key
    assert isinstance(full, VariantSet)
    assert str(full) == "x==1|==2"
