"""Differential tests: seeded random repositories solved by rez 3.4 and by pkgimport.

GIVEN a random repository (families, versions, variants, requirements with ranges, weak
``~``, conflict ``!`` and ephemeral ``.`` forms, some missing families) and random requests,
WHEN rez's solver and pkgimport's solve them, THEN the results are identical: status,
resolved variants in order with indexes, ephemerals, number of steps, failure text (up to
rez's random listing order, see ``_solver_oracle.normalise_failure``) and error messages.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from tests.resolver._solver_oracle import Repo, pkgimport_solve, rez_solve, write_repo

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("rez")

VERSIONS = ["1", "1.0", "1.1", "1.2.3", "2", "2.0", "2.5", "2.5.1", "3", "3.1", "10", "1.0.beta"]
BOUNDS = ["1", "1.0", "1.1", "2", "2.5", "3", "10"]


def _range(rng: random.Random) -> str:
    low, high = sorted(rng.sample(BOUNDS, 2), key=BOUNDS.index)
    forms = ["", f"-{low}", f"-{low}+", f"<{high}", f"-{low}+<{high}", f"=={low}", f"-{low}|{high}"]
    return rng.choices(forms, weights=[4, 3, 3, 3, 2, 1, 2])[0]


def _requirement(rng: random.Random, families: list[str]) -> str:
    roll = rng.random()
    if roll < 0.02:
        return "missing" + _range(rng)
    if roll < 0.06:
        return ".eph" + (f"-{rng.choice(BOUNDS)}" if rng.random() < 0.7 else "")
    prefix = rng.choices(["", "~", "!"], weights=[8, 1, 1])[0]
    name = rng.choice(families)
    range_ = _range(rng)
    if prefix and not range_:
        range_ = f"-{rng.choice(BOUNDS)}"
    return prefix + name + range_


def _requirements(rng: random.Random, families: list[str], count: int) -> list[str]:
    # Distinct families (mostly): fewer packages whose own requirements conflict.
    chosen = rng.sample(families, min(count, len(families)))
    return [_requirement(rng, [family]) for family in chosen]


def make_repo(rng: random.Random) -> Repo:
    families = [f"f{i}" for i in range(rng.randint(3, 8))]
    repo: Repo = {}
    for family in families:
        others = [f for f in families if f != family]
        versions: dict[str, dict[str, Any]] = {}
        for version in rng.sample(VERSIONS, rng.randint(2, 8)):
            data: dict[str, Any] = {}
            shuffled = rng.sample(others, len(others))
            split = rng.randint(0, len(shuffled))
            if rng.random() < 0.6:
                data["requires"] = _requirements(rng, shuffled[:split] or others, rng.randint(1, 2))
            if rng.random() < 0.35:
                data["variants"] = [
                    _requirements(rng, shuffled[split:] or others, rng.randint(1, 2))
                    for _ in range(rng.randint(2, 3))
                ]
            versions[version] = data
        repo[family] = versions
    return repo


def make_request(rng: random.Random, repo: Repo) -> list[str]:
    families = list(repo)
    request = [rng.choice(families)]  # at least one plain request: something to solve
    request += [_requirement(rng, families) for _ in range(rng.randint(0, 3))]
    rng.shuffle(request)
    return request


def _compare(tmp_path: Path, seed: int, requests_per_repo: int) -> int:
    rng = random.Random(seed)
    repo = make_repo(rng)
    root = write_repo(tmp_path / f"repo{seed}", repo)
    compared = 0
    for _ in range(requests_per_repo):
        request = make_request(rng, repo)
        options: dict[str, Any] = {
            "variant_select_mode": rng.choice(["version_priority", "intersection_priority"]),
            "error_on_missing_variant_requires": rng.random() < 0.7,
        }
        expected = rez_solve(root, request, **options)
        actual = pkgimport_solve(repo, root, request, **options)
        assert actual == expected, (seed, request, options, repo)
        compared += 1
    return compared


@pytest.mark.parametrize("seed", range(60))
def test_random_repositories_match_rez(tmp_path: Path, seed: int) -> None:
    assert _compare(tmp_path, seed, requests_per_repo=5) == 5


# The same comparison over 400 more repositories takes about 25 s of rez: opt-in (--slow).
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1400))
def test_many_random_repositories_match_rez(tmp_path: Path, seed: int) -> None:
    assert _compare(tmp_path, seed, requests_per_repo=8) == 8


def _random_orderers(rng: random.Random, repo: Repo) -> list[dict[str, Any]]:
    families = list(repo)
    pods: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 2)):
        packages = rng.sample(families, rng.randint(1, 2)) if rng.random() < 0.7 else None
        pod: dict[str, Any] = rng.choice(
            [
                {"type": "sorted", "descending": False},
                {"type": "sorted", "descending": True},
                {"type": "version_split", "first_version": rng.choice(BOUNDS)},
            ]
        )
        if packages is not None:
            pod["packages"] = packages
        pods.append(pod)
    return pods


def _random_filter(rng: random.Random, repo: Repo) -> list[dict[str, Any]]:
    family = rng.choice(list(repo))
    excludes = rng.choice([[f"{family}-{rng.choice(BOUNDS)}+"], ["glob(*.beta)"], ["after(150)"]])
    data: dict[str, Any] = {"excludes": excludes}
    if rng.random() < 0.3:
        data["includes"] = [f"{family}-{rng.choice(BOUNDS)}"]
    return [data]


@pytest.mark.parametrize("seed", range(2000, 2080))
def test_orderers_filters_and_building_match_rez(tmp_path: Path, seed: int) -> None:
    # GIVEN a random repository with timestamps and build requirements
    rng = random.Random(seed)
    repo = make_repo(rng)
    for versions in repo.values():
        for data in versions.values():
            if rng.random() < 0.8:
                data["timestamp"] = rng.choice([100, 200])
            if rng.random() < 0.2:
                data["build_requires"] = _requirements(rng, list(repo), 1)
    root = write_repo(tmp_path / "repo", repo)
    for _ in range(5):
        # WHEN both solve with random orderers, filters and build mode
        request = make_request(rng, repo)
        options: dict[str, Any] = {
            "orderers": _random_orderers(rng, repo) if rng.random() < 0.7 else None,
            "package_filter": _random_filter(rng, repo) if rng.random() < 0.5 else None,
            "building": rng.random() < 0.3,
        }
        # THEN they agree
        expected = rez_solve(root, request, **options)
        assert pkgimport_solve(repo, root, request, **options) == expected, (seed, request, options)
