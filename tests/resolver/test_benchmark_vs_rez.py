"""rez's own benchmark: 188 requests over 18,226 packages, pkgimport against rez 3.4.

GIVEN rez's benchmark repository (``rez/data/benchmarking/packages.tar.gz``, extracted here)
and its ``requests.json`` WHEN rez 3.4 and pkgimport resolve every request (no implicit
packages, as ``rez-benchmark`` does) THEN every result is identical: status, resolved
variants in order with their indexes, ephemerals, solve steps, failed phases and failure text.
The one expected failure is request #2 (a genuine ``nail`` conflict).

rez needs about 5 minutes for the 188 requests, hence ``slow``.
"""

from __future__ import annotations

import json
import tarfile
import warnings
from pathlib import Path
from typing import Any

import pytest

from pkgimport.repository.filesystem import RepositoryPaths
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver.solver import Solver

rez = pytest.importorskip("rez")

pytestmark = pytest.mark.slow

BENCH_DIR = Path(rez.__file__).parent / "data" / "benchmarking"
NAIL_CONFLICT = "The following package conflicts occurred: (nail-2.1+<3 <--!--> nail-1.2+<2)"


@pytest.fixture(scope="module")
def bench_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("rezbench")
    with tarfile.open(BENCH_DIR / "packages.tar.gz") as tar:
        tar.extractall(target, filter="data")
    return target / "packages"


@pytest.fixture(scope="module")
def bench_requests() -> list[list[str]]:
    data: list[list[str]] = json.loads((BENCH_DIR / "requests.json").read_text())
    return data


def _rez_results(repo: Path, requests: list[list[str]]) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rez.solver import Solver as RezSolver  # noqa: PLC0415
        from rez.solver import SolverStatus  # noqa: PLC0415
        from rez.version import Requirement  # noqa: PLC0415

        results = []
        for request in requests:
            solver = RezSolver([Requirement(r) for r in request], package_paths=[str(repo)])
            solver.solve()
            result: dict[str, Any] = {
                "status": solver.status.name,
                "num_solves": solver.num_solves,
                "num_fails": solver.num_fails,
            }
            if solver.status == SolverStatus.solved:
                result["resolved"] = [str(v) for v in solver.resolved_packages or []]
                result["ephemerals"] = [str(e) for e in solver.resolved_ephemerals or []]
            else:
                result["failure"] = solver.failure_description()
            results.append(result)
        return results


def _pkgimport_results(repo: Path, requests: list[list[str]]) -> list[dict[str, Any]]:
    provider = RepositoryProvider(RepositoryPaths.from_paths([repo], index_file=None))
    solver = Solver(provider)
    results = []
    for request in requests:
        resolution = solver.solve(request)
        result: dict[str, Any] = {
            "status": resolution.status,
            "num_solves": resolution.num_solves,
            "num_fails": resolution.num_fails,
        }
        if resolution.is_solved:
            result["resolved"] = [str(v) for v in resolution.variants]
            result["ephemerals"] = list(resolution.ephemerals)
        else:
            result["failure"] = resolution.failure_description
        results.append(result)
    return results


def test_all_188_requests_identical_to_rez(
    bench_repo: Path, bench_requests: list[list[str]]
) -> None:
    assert len(bench_requests) == 188
    ours = _pkgimport_results(bench_repo, bench_requests)
    assert [r["status"] for r in ours].count("solved") == 187
    assert ours[2] == {**ours[2], "status": "failed", "failure": NAIL_CONFLICT}
    theirs = _rez_results(bench_repo, bench_requests)
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    assert differing == [], [(i, ours[i], theirs[i]) for i in differing[:3]]
