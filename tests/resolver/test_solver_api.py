"""The solver's API: Resolution values, reporter hooks, limits, orderers, filters, providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.errors import ResolveError
from pkgimport.repository.filesystem import RepositoryPaths
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver._phase import dependency_order, find_cycle
from pkgimport.resolver.filters import (
    InvalidPackageFilter,
    PackageFilterList,
    TimestampRule,
    parse_rule,
    with_timestamp,
)
from pkgimport.resolver.orderers import (
    SoftTimestampOrder,
    get_orderer,
    orderer_from_pod,
    orderers_from_pod,
)
from pkgimport.resolver.provider import InMemoryProvider, PackageData
from pkgimport.resolver.reporter import BaseReporter
from pkgimport.resolver.solver import (
    DependencyConflicts,
    Solver,
    TotalReduction,
)
from pkgimport.resolver.versions import Version
from tests.resolver._solver_oracle import pkgimport_solve, rez_solve, write_repo

if TYPE_CHECKING:
    from pathlib import Path

REPO: dict[str, Any] = {
    "python": {"2.6.8": {}, "2.7.0": {}, "3.7.4": {}},
    "maya": {"2016": {}, "2017": {}},
    "foo": {
        "1.0": {
            "variants": [["python-2.6", "maya-2017"], ["python-2.7", "maya-2016"]],
            "requires": [".eek-1"],
            "location": "/repo",
        }
    },
    "bar": {"1": {"requires": ["foo", "python-3"]}},
    "baz": {"1": {"variants": [["python-2.6"], ["maya"]]}},
}


def _solver(**options: Any) -> Solver:
    return Solver(InMemoryProvider.from_dict(REPO, search_path="/repo"), **options)


# -- Resolution ------------------------------------------------------------------------------


def test_solved_resolution_lists_variants_in_rez_order() -> None:
    result = _solver().solve(["foo"])
    assert result.status == "solved"
    assert result.is_solved
    assert [str(v) for v in result.variants] == ["maya-2016[]", "python-2.7.0[]", "foo-1.0[1]"]
    foo = result.variants[-1]
    assert (foo.name, foo.version, foo.index) == ("foo", "1.0", 1)
    assert foo.requires == (".eek-1", "python-2.7", "maya-2016")
    assert foo.package.location == "/repo"
    assert foo.qualified_name == "foo-1.0"
    assert result.ephemerals == (".eek-1",)
    assert result.request == ("foo",)
    assert result.failure is None
    assert result.num_solves == 2


def test_failed_resolution_carries_the_failed_phase() -> None:
    result = _solver().solve(["bar"])
    assert result.status == "failed"
    assert result.failure_description == (
        "The following package conflicts occurred: (python-2.6|2.7 <--!--> python==3.7.4)"
    )
    assert result.failure is not None
    assert isinstance(result.failure.reason, DependencyConflicts)
    assert ("bar", "bar==1", "bar-1[]") in result.failure.scopes
    assert ("bar", "python-3") in result.failure.extractions
    assert result.variants == ()


BACKTRACK_REPO: dict[str, Any] = {
    "a": {"1": {"requires": ["c-1"]}},
    "b": {"1": {"requires": ["c-2"]}},
    "x": {"1": {"requires": ["c-3"]}},
    "c": {"1": {}, "2": {}, "3": {}},
    "foo": {"1": {}, "2": {"requires": ["a", "x"]}, "3": {"requires": ["a", "b"]}},
}


def test_failures_list_every_failed_phase_in_order() -> None:
    """GIVEN foo-3 and foo-2 that fail before foo-1 solves WHEN solving foo and foo-2|3
    THEN every failed phase is listed, in order, the reported one first."""
    solver = Solver(InMemoryProvider.from_dict(BACKTRACK_REPO, search_path="/repo"))
    solved = solver.solve(["foo"])
    assert solved.status == "solved"
    assert [str(v) for v in solved.variants] == ["foo-1[]"]
    reasons = [str(f.reason) for f in solved.failures]
    assert reasons == ["(c-2 <--!--> c==1)", "(c-3 <--!--> c==1)"]
    assert len(solved.failures) == solved.num_fails
    failed = solver.solve(["foo-2|3"])
    assert failed.status == "failed"
    assert len(failed.failures) == failed.num_fails == 2
    assert failed.failures[0] == failed.failure
    assert [str(f.reason) for f in failed.failures[-1:]] == ["(c-3 <--!--> c==1)"]
    assert failed.failure_description == (
        "The following package conflicts occurred: (c-2 <--!--> c==1)"
    )
    assert _solver().solve(["foo"]).failures == ()


def test_request_conflict_fails_without_steps() -> None:
    result = _solver().solve(["python-2", "python-3"])
    assert result.status == "failed"
    assert result.num_solves == 0
    assert result.merged_request == ()


def test_total_reduction_reason() -> None:
    result = _solver().solve(["python-3", "!maya", "baz"])
    assert result.failure is not None
    assert isinstance(result.failure.reason, TotalReduction)
    assert result.failure_description == (
        "A package was completely reduced: (baz-1[0] (dep(python-2.6) <--!--> python==3.7.4))"
    )


def test_errors_are_raised_with_rez_messages() -> None:
    solver = _solver()
    with pytest.raises(ResolveError, match=r"^package family not found: nope \(searched: /repo\)$"):
        solver.solve(["nope"])
    with pytest.raises(ResolveError, match=r"^Package could not be found: python-9$"):
        solver.solve(["python-9"])


def test_time_limit_aborts() -> None:
    result = _solver(time_limit=0).solve(["foo"])
    assert result.status == "aborted"
    assert result.failure_description == "time limit exceeded"


def test_solver_is_reusable() -> None:
    solver = _solver()
    first = solver.solve(["foo", "maya"])
    second = solver.solve(["foo", "maya"])
    assert first.variants == second.variants
    assert [str(v) for v in _solver().solve(["foo"]).variants] == [
        str(v) for v in solver.solve(["foo"]).variants
    ]


class _Recorder(BaseReporter):
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def starting(self, request: str) -> None:
        self.events.append(("starting", request))

    def step(self, number: int, phase: str, status: str) -> None:
        self.events.append(("step", str(number), phase, status))

    def split(self, preferred: str, rest: str) -> None:
        self.events.append(("split", preferred, rest))

    def ending(self, status: str) -> None:
        self.events.append(("ending", status))


def test_reporter_sees_every_step() -> None:
    reporter = _Recorder()
    Solver(InMemoryProvider.from_dict(REPO), reporter).solve(["foo"])
    kinds = [e[0] for e in reporter.events]
    assert kinds == ["starting", "step", "split", "step", "ending"]
    assert reporter.events[1][3] == "exhausted"
    assert reporter.events[-1] == ("ending", "solved")


# -- orderers ------------------------------------------------------------------------------


def test_orderer_pods_round_trip() -> None:
    pods: list[dict[str, Any]] = [
        {"type": "no_order", "packages": ["a"]},
        {"type": "sorted", "descending": False, "packages": ["*"]},
        {"type": "version_split", "first_version": "3", "packages": ["b"]},
        {"type": "soft_timestamp", "timestamp": 10, "rank": 2, "packages": ["c"]},
    ]
    assert [o.to_pod() for o in orderers_from_pod(pods)] == pods
    family = orderer_from_pod(
        {"type": "per_family", "orderers": [{"packages": ["x", "y"], "type": "no_order"}]}
    )
    assert family.to_pod() == {
        "type": "per_family",
        "orderers": [{"type": "no_order", "packages": ["x", "y"]}],
    }
    with pytest.raises(ValueError, match="unknown package orderer type 'nope'"):
        orderer_from_pod({"type": "nope"})


def test_get_orderer_prefers_family_then_star_then_default() -> None:
    orderers = orderers_from_pod(
        [
            {"type": "sorted", "descending": False},
            {"type": "no_order", "packages": ["foo"]},
        ]
    )
    assert get_orderer("foo", orderers).name == "no_order"
    assert get_orderer("bar", orderers).name == "sorted"
    assert get_orderer("bar", ()).to_pod()["descending"] is True


def test_soft_timestamp_rank_matches_rez_doc_table() -> None:
    # rez docs: T between 2.0.0 and 2.0.5; rank 3 -> 2.0.6 2.0.5 2.0.0 1.9.0 2.1.1 2.1.0 ...
    times = {
        "2.2.1": 9,
        "2.2.0": 8,
        "2.1.1": 7,
        "2.1.0": 6,
        "2.0.6": 5,
        "2.0.5": 4,
        "2.0.0": 2,
        "1.9.0": 1,
    }
    orderer = SoftTimestampOrder(3, rank=3)
    orderer.bind(lambda family: [(Version(v), t) for v, t in times.items()])
    ordered = sorted(times, key=lambda v: orderer.key("foo", Version(v)), reverse=True)
    assert ordered == ["2.0.6", "2.0.5", "2.0.0", "1.9.0", "2.1.1", "2.1.0", "2.2.1", "2.2.0"]


def test_soft_timestamp_matches_rez(tmp_path: Path) -> None:
    pytest.importorskip("rez")
    repo = {
        "foo": {
            v: {"timestamp": t}
            for v, t in [("1.0", 1), ("1.1", 2), ("2.0", 5), ("2.1", 6), ("3.0", 9)]
        }
    }
    root = write_repo(tmp_path / "repo", repo)
    orderers = [{"type": "soft_timestamp", "timestamp": 3, "packages": ["foo"]}]
    from rez.config import config  # noqa: PLC0415 - rez reads "first after T" from here

    config.override("packages_path", [str(root)])
    try:
        expected = rez_solve(root, ["foo"], orderers=orderers)
    finally:
        config.remove_override("packages_path")
    assert pkgimport_solve(repo, root, ["foo"], orderers=orderers) == expected
    assert expected["resolved"] == ["foo-1.1[]"]


# -- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rendered", "family"),
    [
        ("glob(*.beta)", "glob(*.beta)", None),
        ("foo-*", "glob(foo-*)", "foo"),
        ("regex(foo-.*)", "regex(foo-.*)", "foo"),
        ("foo-5+", "range(foo-5+)", "foo"),
        ("range(!foo-2)", "range(!foo-2)", "foo"),
        ("before(100)", "before(100)", None),
        ("after(foo:100)", "after(foo:100)", "foo"),
    ],
)
def test_parse_rule(text: str, rendered: str, family: str | None) -> None:
    rule = parse_rule(text)
    assert str(rule) == rendered
    assert rule.family == family


def test_parse_rule_rejects_unknown_labels() -> None:
    with pytest.raises(InvalidPackageFilter, match="'nope' is not a valid package filter type"):
        parse_rule("nope(1)")
    with pytest.raises(InvalidPackageFilter, match="Error parsing package filter 'after"):
        parse_rule("after(x)")


def test_filter_rules_and_timestamp() -> None:
    filters = PackageFilterList.from_pod([{"excludes": ["foo-2+"], "includes": ["foo-3"]}])
    old = PackageData(name="foo", version="1", timestamp=100)
    new = PackageData(name="foo", version="2.5", timestamp=300)
    three = PackageData(name="foo", version="3", timestamp=None)
    assert filters.excludes(old, Version("1")) is None
    assert str(filters.excludes(new, Version("2.5"))) == "range(foo-2+)"
    assert filters.excludes(three, Version("3")) is None
    timed = with_timestamp(filters, 200)
    assert timed is not None
    assert timed.to_pod() == [
        {"excludes": ["range(foo-2+)", "after(200)"], "includes": ["range(foo-3)"]}
    ]
    assert filters.to_pod() == [{"excludes": ["range(foo-2+)"], "includes": ["range(foo-3)"]}]
    assert not TimestampRule(10, after=True).match(three, Version("3"))
    empty = PackageFilterList()
    empty.add_inclusion(parse_rule("foo"))  # no filter yet: no effect (rez #303)
    assert not empty
    assert with_timestamp(None, None) is None


# -- graph helpers ----------------------------------------------------------------------------


def test_dependency_order_puts_dependencies_first() -> None:
    graph = {"foo": ["python", "maya"], "python": [], "maya": [], "zed": []}
    assert dependency_order(graph, ["foo"]) == ["maya", "python", "foo", "zed"]


def test_find_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["b"]}) == ["b", "c"]
    assert find_cycle({"a": ["b"], "b": []}) == []


# -- providers -----------------------------------------------------------------------------


def test_in_memory_provider_round_trip() -> None:
    provider = InMemoryProvider.from_dict(REPO)
    assert InMemoryProvider.from_dict(provider.to_dict()) == provider
    assert provider.has_family("foo")
    assert not provider.has_family("nope")
    assert list(provider.iter_versions("nope")) == []


def test_repository_provider_reads_package_files(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {k: v for k, v in REPO.items() if k != "foo"})
    write_repo(
        tmp_path / "repo",
        {"foo": {"1.0": {"variants": REPO["foo"]["1.0"]["variants"], "requires": [".eek-1"]}}},
    )
    provider = RepositoryProvider(RepositoryPaths.from_paths([root], index_file=None))
    assert sorted(provider.iter_versions("python")) == ["2.6.8", "2.7.0", "3.7.4"]
    assert provider.describe_search_path() == str(root)
    result = Solver(provider).solve(["foo"])
    assert [str(v) for v in result.variants] == ["maya-2016[]", "python-2.7.0[]", "foo-1.0[1]"]
    assert result.variants[-1].package.location == str(root)
    with pytest.raises(ResolveError, match="package nope-1 is not in"):
        provider.get_package("nope", "1")
    provider.refresh()
    assert provider.has_family("python")
