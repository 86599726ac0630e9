"""The orderer API next to rez 3.4's ``rez.package_order``: pods, tuple pods, ``reorder``.

rez accepts an orderer pod as a dict (``{"type": "sorted", ...}``) or, from older
configurations, as a ``(type, data)`` pair; ``reorder`` of a ``per_family`` orderer without
``default_order`` leaves a family it does not list alone (``None``: keep the order).
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main
from pkgimport.resolver.orderers import orderer_from_pod, orderers_from_pod
from pkgimport.resolver.versions import Version
from tests.resolver._solver_oracle import Repo, pkgimport_solve, rez_solve, write_repo

if TYPE_CHECKING:
    from pathlib import Path

rez_package_order = pytest.importorskip("rez.package_order")
rez_version = pytest.importorskip("rez.version")

VERSIONS = ["1", "1.5", "2", "2.1", "3", "10"]

PODS: list[Any] = [
    {"type": "sorted", "descending": False, "packages": ["foo"]},
    ("sorted", {"descending": False, "packages": ["foo"]}),
    ["version_split", {"first_version": "2", "packages": ["foo", "bar"]}],
    ("no_order", {"packages": ["foo"]}),
    ("soft_timestamp", {"timestamp": 10, "rank": 2, "packages": ["foo"]}),
    {
        "type": "per_family",
        "orderers": [{"packages": ["foo"], "type": "sorted", "descending": False}],
    },
    {
        "type": "per_family",
        "orderers": [{"packages": ["foo"], "type": "version_split", "first_version": "2"}],
        "default_order": ("sorted", {"descending": False}),
    },
    ("per_family", {"orderers": [{"packages": ["bar"], "type": "no_order"}]}),
]


class _Package:
    """What rez's ``reorder`` reads of a package: its name and version."""

    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = rez_version.Version(version)


def _rez_orderer(pod: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rez_package_order.from_pod(pod)


@pytest.mark.parametrize("pod", PODS, ids=str)
def test_pods_read_as_rez_reads_them(pod: Any) -> None:
    # GIVEN an orderer pod, as a dict or as rez's older (type, data) pair
    theirs = _rez_orderer(pod)
    # WHEN pkgimport reads it THEN it is the same orderer (the same dict pod back)
    assert orderer_from_pod(pod).to_pod() == rez_package_order.to_pod(theirs)


# rez's soft_timestamp reorder lists its configured packages_path: left to the solver tests.
@pytest.mark.parametrize("pod", [p for p in PODS if "soft_timestamp" not in str(p)], ids=str)
@pytest.mark.parametrize("family", ["foo", "bar", "baz"])
def test_reorder_matches_rez(pod: Any, family: str) -> None:
    # GIVEN one family's versions, shuffled
    versions = ["2", "10", "1", "3", "1.5", "2.1"]
    theirs = _rez_orderer(pod).reorder([_Package(family, v) for v in versions])
    # WHEN pkgimport's orderer reorders them
    ours = orderer_from_pod(pod).reorder(family, [Version(v) for v in versions])
    # THEN the order is rez's, and None (keep the order) where rez says None
    if theirs is None:
        assert ours is None
    else:
        assert ours is not None
        assert [str(v) for v in ours] == [str(p.version) for p in theirs]


def test_tuple_pods_order_a_resolve_as_in_rez(tmp_path: Path) -> None:
    # GIVEN a repository and orderers given in rez's (type, data) form
    repo: Repo = {
        "foo": {v: {} for v in VERSIONS},
        "bar": {v: {} for v in VERSIONS},
        "app": {"1": {"variants": [["foo-1+"], ["bar-2"]]}},
    }
    root = write_repo(tmp_path / "repo", repo)
    pods: list[Any] = [
        ("version_split", {"first_version": "2", "packages": ["foo"]}),
        ["sorted", {"descending": False, "packages": ["bar"]}],
    ]
    assert len(orderers_from_pod(pods)) == 2
    for request in (["foo", "bar"], ["app"], ["app", "bar"]):
        # WHEN both resolve THEN the results are the same
        theirs = rez_solve(root, request, orderers=pods)
        assert pkgimport_solve(repo, root, request, orderers=pods) == theirs


def test_the_cli_reads_tuple_pods(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an --orderers file in rez's older form (YAML: a list of [type, {...}] pairs)
    repo: Repo = {"foo": {v: {} for v in VERSIONS}}
    root = write_repo(tmp_path / "repo", repo)
    orderers = tmp_path / "orderers.yaml"
    orderers.write_text("- [version_split, {first_version: '2', packages: [foo]}]\n")
    argv = ["resolve", "--json", "--no-implicit", "--paths", str(root), "--orderers"]
    # WHEN pkgimport resolves with it THEN the orderer applies, and the context stores dicts
    ctx = tmp_path / "ctx.rxt"
    assert main([*argv, str(orderers), "foo", "-o", str(ctx)]) == 0
    assert json.loads(capsys.readouterr().out)["resolved"] == ["foo-2[]"]
    stored = json.loads(ctx.read_text())["package_orderers"]
    assert stored == [{"type": "version_split", "first_version": "2", "packages": ["foo"]}]
