"""Benchmark pkgimport's resolver against rez 3.4 on rez's own benchmark.

Repository: rez's ``data/benchmarking/packages.tar.gz`` (18,226 packages), requests: its
``requests.json`` (188 requests), no implicit packages (as ``rez-benchmark``). Figures, all
measured in this run:

1. pkgimport, all 188 requests in one fresh process, package loading included (no listing
   index: every package file is read): time inside the process (imports, loading, solving;
   what the ratio uses, as rez's figure is also taken inside its process), the whole
   process's wall time, CPU time, peak RSS;
   and the same through ``pkgimport resolve --requests-file`` (whole process, first run);
2. the same with a warm listing index (what a user's second run sees; the index is first
   filled by one full run);
3. one request per fresh process (whole process: start, import, load, solve, exit), median
   and p90 over a sample of requests: through the library, and through the CLI
   (``pkgimport resolve REQUEST... --no-implicit --paths REPO --json``, its own warm index);
4. rez 3.4, all 188 requests with packages loaded lazily in one process (``--skip-rez`` to
   skip: it takes about 5 minutes), and the ratio.

Usage: ``python benchmarks/bench_resolve.py [--skip-rez] [--fresh N] [--repeat N] [--repo DIR]``.
pkgimport's 188-request figures are medians of ``--repeat`` runs (3); rez runs once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rez

if TYPE_CHECKING:
    from collections.abc import Callable

BENCH_DIR = Path(rez.__file__).parent / "data" / "benchmarking"

# Child process: resolve requests[start:stop] with pkgimport, print JSON figures.
_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from pathlib import Path
from typing import Any
from pkgimport.repository.filesystem import RepositoryPaths
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver.solver import Solver
repo, index, requests_file, start, stop = sys.argv[1:6]
requests = json.loads(Path(requests_file).read_text())[int(start):int(stop)]
paths = RepositoryPaths.from_paths([repo], index_file=Path(index) if index != "-" else None)
solver = Solver(RepositoryProvider(paths))
results = []
for r in solver.solve_many(requests):  # the batch path (what --requests-file uses)
    if isinstance(r, Exception):
        results.append(["error", [], str(r)])
    else:
        results.append([r.status, [str(v) for v in r.variants], r.failure_description])
print(json.dumps({
    "wall": time.perf_counter() - t0,
    "cpu": time.process_time() - c0,
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "results": results,
}))
"""


def _child(repo: Path, index: str, start: int, stop: int) -> tuple[float, dict[str, Any]]:
    begin = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(repo),
            index,
            str(BENCH_DIR / "requests.json"),
            str(start),
            str(stop),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return time.perf_counter() - begin, json.loads(out)


def _cli_command() -> list[str]:
    """Return how a user starts the CLI: the console script next to Python, else ``-m``."""
    script = Path(sys.executable).with_name("pkgimport")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pkgimport"]


def _cli_child(repo: Path, cache: str, request: list[str]) -> tuple[float, dict[str, Any]]:
    """Run ``pkgimport resolve`` on *request* in a fresh process; return wall time and JSON.

    The listing index goes to the CLI's default place under ``$XDG_CACHE_HOME``, here *cache*
    (not the user's own cache).
    """
    argv = [*_cli_command(), "resolve", *request, "--no-implicit", "--paths", str(repo), "--json"]
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    begin = time.perf_counter()
    # Exit code 1 is a failed resolve (reported in the JSON) or an error (no JSON at all).
    out = subprocess.run(argv, check=False, capture_output=True, text=True, env=env).stdout
    return time.perf_counter() - begin, json.loads(out) if out.strip() else {"status": "error"}


def _warm_cli_index(repo: Path, cache: str, requests: list[list[str]], tmp: Path) -> float:
    """Resolve *requests* in one CLI run (``--requests-file``); return its wall time.

    Its listing index then holds every family used.
    """
    requests_file = tmp / "cli-requests.json"
    requests_file.write_text(json.dumps(requests), encoding="utf-8")
    argv = [*_cli_command(), "resolve", "--requests-file", str(requests_file)]
    argv += ["--no-implicit", "--paths", str(repo)]
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    begin = time.perf_counter()
    subprocess.run(argv, check=False, capture_output=True, env=env)
    return time.perf_counter() - begin


def _rez_all(repo: Path, requests: list[list[str]]) -> tuple[float, list[list[object]]]:
    import warnings  # noqa: PLC0415

    warnings.simplefilter("ignore")
    from rez.solver import Solver as RezSolver  # noqa: PLC0415
    from rez.solver import SolverStatus  # noqa: PLC0415
    from rez.version import Requirement  # noqa: PLC0415

    begin = time.perf_counter()
    results: list[list[object]] = []
    for request in requests:
        solver = RezSolver([Requirement(r) for r in request], package_paths=[str(repo)])
        solver.solve()
        solved = solver.status == SolverStatus.solved
        results.append(
            [
                "solved" if solved else "failed",
                [str(v) for v in solver.resolved_packages or []],
                None if solved else solver.failure_description(),
            ]
        )
    return time.perf_counter() - begin, results


def _median_run(
    run: Callable[[], tuple[float, dict[str, Any]]], repeat: int
) -> tuple[float, dict[str, Any]]:
    """Run *run* *repeat* times; return the run with the median in-process time.

    Its whole-process time is the median of those too (the two move together).
    """
    runs = sorted((run() for _ in range(repeat)), key=lambda r: r[1]["wall"])
    middle = runs[len(runs) // 2]
    return statistics.median(total for total, _ in runs), middle[1]


def _p90(times: list[float]) -> float:
    return sorted(times)[int(0.9 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="extracted benchmark 'packages' folder")
    parser.add_argument("--skip-rez", action="store_true", help="do not run rez (~5 minutes)")
    parser.add_argument("--fresh", type=int, default=24, help="requests run one per process")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each 188-request measurement (median)"
    )
    args = parser.parse_args()
    requests: list[list[str]] = json.loads((BENCH_DIR / "requests.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.repo
        if repo is None:
            with tarfile.open(BENCH_DIR / "packages.tar.gz") as tar:
                tar.extractall(tmp, filter="data")
            repo = Path(tmp) / "packages"
        index = str(Path(tmp) / "listing-index")

        # 1. All 188 in one process, every package file read (median of --repeat runs).
        total, cold = _median_run(lambda: _child(repo, "-", 0, len(requests)), args.repeat)
        print(
            f"pkgimport 188 requests, one process, no index: {cold['wall']:.2f} s in-process "
            f"({total:.2f} s whole process, CPU {cold['cpu']:.2f} s), "
            f"peak RSS {cold['maxrss_mb']:.0f} MB (median of {args.repeat})"
        )
        # 1b. The same through the CLI (`pkgimport resolve --requests-file`), whole process,
        #     no index to start with (it is written at exit, as a user's first run does).
        batches = [
            _warm_cli_index(repo, str(Path(tmp) / f"batch-cache-{i}"), requests, Path(tmp))
            for i in range(args.repeat)
        ]
        cli_batch = statistics.median(batches)
        print(
            f"pkgimport resolve --requests-file (188 requests, CLI, no index): "
            f"{cli_batch:.2f} s whole process (median of {args.repeat})"
        )
        # 2. Fill the listing index with one full run, then the same with it.
        _child(repo, index, 0, len(requests))
        total_warm, warm = _median_run(lambda: _child(repo, index, 0, len(requests)), args.repeat)
        print(
            f"pkgimport 188 requests, one process, listing index: {warm['wall']:.2f} s "
            f"in-process ({total_warm:.2f} s whole process, CPU {warm['cpu']:.2f} s), "
            f"peak RSS {warm['maxrss_mb']:.0f} MB (median of {args.repeat})"
        )
        # 3. One request per fresh process.
        step = max(1, len(requests) // args.fresh)
        sample = list(range(0, len(requests), step))[: args.fresh]
        lib_runs = [_child(repo, index, i, i + 1) for i in sample]
        whole = [wall for wall, _ in lib_runs]
        cache = str(Path(tmp) / "cli-cache")
        _warm_cli_index(repo, cache, [requests[i] for i in sample], Path(tmp))
        cli_runs = [_cli_child(repo, cache, requests[i]) for i in sample]
        cli = [wall for wall, _ in cli_runs]
        agree = sum(
            [out.get("status"), out.get("resolved")] == lib["results"][0][:2]
            for (_, lib), (_, out) in zip(lib_runs, cli_runs, strict=True)
        )
        print(
            f"pkgimport one request per fresh process ({len(sample)} requests, with index): "
            f"library median {statistics.median(whole):.3f} s, "
            f"p90 {_p90(whole):.3f} s, max {max(whole):.3f} s; "
            f"CLI median {statistics.median(cli):.3f} s, p90 {_p90(cli):.3f} s "
            f"(same result as the library: {agree}/{len(sample)})"
        )
        # 4. rez, same requests, same repository.
        if not args.skip_rez:
            rez_total, rez_results = _rez_all(repo, requests)
            ours: list[list[object]] = cold["results"]
            same = sum(a == b for a, b in zip(ours, rez_results, strict=True))
            print(f"rez 3.4 188 requests, one process, lazy loading: {rez_total:.2f} s")
            print(
                f"identical results: {same}/188; speed-up in-process: "
                f"no index {rez_total / cold['wall']:.1f}x, "
                f"with index {rez_total / warm['wall']:.1f}x; "
                f"whole process: no index {rez_total / total:.1f}x, "
                f"with index {rez_total / total_warm:.1f}x, "
                f"CLI --requests-file (no index) {rez_total / cli_batch:.1f}x"
            )


if __name__ == "__main__":  # pragma: no cover
    main()
