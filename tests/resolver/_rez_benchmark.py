"""rez's own benchmark (188 requests, 18,226 packages): results of both solvers, and a recording.

rez 3.4 needs about four minutes for the 188 requests on a 2-core machine; pkgimport about
five seconds. So rez's results are recorded in ``fixtures/rez/benchmark-188.json`` (per request:
status, solve counts, resolve size and a SHA-256 of the whole normalised result) and every run
compares pkgimport with the recording; ``--slow`` runs rez itself and checks both.

Re-record (after a deliberate change of rez or of its benchmark data)::

    python -m tests.resolver._rez_benchmark
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path
from typing import Any

import rez

from pkgimport.repository.filesystem import RepositoryPaths
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver.solver import Solver

BENCH_DIR = Path(rez.__file__).parent / "data" / "benchmarking"
"""rez's benchmark inputs, shipped with rez: ``packages.tar.gz`` and ``requests.json``."""

RECORDING = Path(__file__).resolve().parents[2] / "fixtures" / "rez" / "benchmark-188.json"
"""rez 3.4's results for the 188 requests, as :func:`summarise` writes them."""

Result = dict[str, Any]
"""``{"status", "num_solves", "num_fails"}`` + ``"resolved", "ephemerals"`` or ``"failure"``."""


def load_requests() -> list[list[str]]:
    data: list[list[str]] = json.loads((BENCH_DIR / "requests.json").read_text())
    return data


def extract_packages(target: Path) -> Path:
    """Extract rez's benchmark repository under *target*; return its ``packages`` folder."""
    with tarfile.open(BENCH_DIR / "packages.tar.gz") as tar:
        tar.extractall(target, filter="data")
    packages = target / "packages"
    assert packages.is_dir(), f"unexpected tarball layout in {BENCH_DIR}"
    return packages


def rez_results(repo: Path, requests: list[list[str]]) -> list[Result]:
    """Solve every request with rez 3.4's solver (no implicit packages, as rez-benchmark)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rez.solver import Solver as RezSolver  # noqa: PLC0415 - warns on import
        from rez.solver import SolverStatus  # noqa: PLC0415
        from rez.version import Requirement  # noqa: PLC0415

        results = []
        for request in requests:
            solver = RezSolver([Requirement(r) for r in request], package_paths=[str(repo)])
            solver.solve()
            result: Result = {
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


def pkgimport_results(repo: Path, requests: list[list[str]]) -> list[Result]:
    """Solve every request with pkgimport's solver over the same repository."""
    provider = RepositoryProvider(RepositoryPaths.from_paths([repo], index_file=None))
    solver = Solver(provider)
    results = []
    for request in requests:
        resolution = solver.solve(request)
        result: Result = {
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


def summarise(result: Result) -> dict[str, Any]:
    """One request's line of the recording: what to read at a glance, and a digest of the rest.

    Requests are not repeated: line *i* is ``requests.json``'s request *i*, and the recording
    names that file's digest.
    """
    canonical = json.dumps(result, sort_keys=True, separators=(",", ":"))
    return {
        "status": result["status"],
        "num_solves": result["num_solves"],
        "num_fails": result["num_fails"],
        "resolved": len(result.get("resolved", ())),
        "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
    }


def inputs_digest() -> dict[str, str]:
    """SHA-256 of rez's benchmark inputs: the recording holds for these files only."""
    return {
        name: hashlib.sha256((BENCH_DIR / name).read_bytes()).hexdigest()
        for name in ("packages.tar.gz", "requests.json")
    }


def read_recording() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORDING.read_text(encoding="utf-8"))
    return data


def record() -> None:
    """Run rez over its benchmark and write :data:`RECORDING` (about four minutes)."""
    requests = load_requests()
    with tempfile.TemporaryDirectory() as tmp:
        results = rez_results(extract_packages(Path(tmp)), requests)
    data = {
        "about": "rez's results for its own benchmark; written by tests/resolver/_rez_benchmark.py",
        "rez": rez.__version__,
        "inputs": inputs_digest(),
        "results": [summarise(r) for r in results],
    }
    RECORDING.parent.mkdir(parents=True, exist_ok=True)
    # One request per line: a re-recording's diff shows which requests changed.
    lines = ",\n".join(f"    {json.dumps(line)}" for line in data.pop("results"))
    head = json.dumps(data, indent=2)[:-2]
    RECORDING.write_text(f'{head},\n  "results": [\n{lines}\n  ]\n}}\n', encoding="utf-8")
    sys.stdout.write(f"wrote {RECORDING} ({len(requests)} requests, rez {rez.__version__})\n")


if __name__ == "__main__":  # pragma: no cover
    record()
