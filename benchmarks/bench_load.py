"""Benchmark: load every package of rez's benchmark repository, rez 3.4 vs pkgimport.

Targets (issue "Foundation"): pkgimport loads all 18,226 packages in at most 1 s cold (no
listing index yet) and 0.2 s warm (with the index).

    python benchmarks/bench_load.py [--out DIR] [--runs N] [--rez-runs N]

Extracts ``rez/data/benchmarking/packages.tar.gz`` (1,266 families, 18,226 package.py files),
then, side by side in the same run and each in a fresh child process (so no in-process cache
helps): rez iterating every family and package with its API and touching ``requires`` and
``variants`` (so each file is really loaded and validated), pkgimport cold (index deleted
first, files read in worker processes when a core is free), pkgimport cold on one core, and
pkgimport warm (index present).
Prints each run (wall time), the median wall and CPU time (CPU includes worker processes; it
is the steadier figure on a busy machine), and the child's peak RSS; exits 1 when a target is
missed.
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
from pathlib import Path

import rez

TARBALL = Path(rez.__file__).parent / "data" / "benchmarking" / "packages.tar.gz"
COLD_TARGET = 1.0
WARM_TARGET = 0.2

_REZ_CHILD = r"""
import json, resource, sys, time
from rez.packages import iter_package_families, iter_packages
repo = sys.argv[1]
def cpu():
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF,
               resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
cpu0 = cpu()
start = time.perf_counter()
count = variants = 0
for family in iter_package_families(paths=[repo]):
    for package in iter_packages(family.name, paths=[repo]):
        package.requires
        variants += len(package.variants or [None])
        count += 1
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "packages": count, "variants": variants,
                  "cpu": cpu() - cpu0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_PKGIMPORT_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from pkgimport.repository.filesystem import FilesystemRepository
repo, index, parallel = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1"
def cpu():
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF,
               resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
cpu0 = cpu()
start = time.perf_counter()
repository = FilesystemRepository(repo, index_file=index, parallel=parallel)
count = variants = 0
for record in repository.iter_all_records():
    record.requires
    variants += len(record.variants or (None,))
    count += 1
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "packages": count, "variants": variants,
                  "problems": len(repository.problems), "cpu": cpu() - cpu0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(script: str, *args: str, env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"child failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _report(label: str, runs: list[dict[str, float]], target: float | None = None) -> float:
    seconds = [r["seconds"] for r in runs]
    median = statistics.median(seconds)
    rss = max(r["rss_mb"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    goal = f"  (target <= {target:g} s: {'ok' if median <= target else 'MISSED'})" if target else ""
    print(
        f"{label:<26} median {median:7.3f} s (CPU {cpu:6.3f} s)"
        f"  runs {', '.join(f'{s:.3f}' for s in seconds)}"
        f"  peak RSS {rss:4.0f} MB  {int(runs[0]['packages'])} packages,"
        f" {int(runs[0]['variants'])} variants{goal}"
    )
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="extract here (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each pkgimport case")
    parser.add_argument("--rez-runs", type=int, default=3, help="runs of rez (~26 s each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        out = args.out or Path(tmp)
        repo = out / "packages"
        if not repo.is_dir():
            with tarfile.open(TARBALL) as tar:
                tar.extractall(out, filter="data")
        config = Path(tmp) / "rezconfig.py"
        config.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REZ_", "PKGIMPORT_"))}
        env["REZ_CONFIG_FILE"] = str(config)
        index = Path(tmp) / "index.marshal"

        def pkgimport_run(*, warm: bool, parallel: bool = True) -> dict[str, float]:
            if not warm:
                index.unlink(missing_ok=True)
            return _child(
                _PKGIMPORT_CHILD, str(repo), str(index), "1" if parallel else "0", env=env
            )

        print(f"repository: {repo} (from {TARBALL.name}); {os.cpu_count()} CPUs")
        cold = [pkgimport_run(warm=False) for _ in range(args.runs)]
        serial = [pkgimport_run(warm=False, parallel=False) for _ in range(args.runs)]
        pkgimport_run(warm=False)
        warm = [pkgimport_run(warm=True) for _ in range(args.runs)]
        rez_runs = [_child(_REZ_CHILD, str(repo), env=env) for _ in range(args.rez_runs)]
        rez_median = _report("rez 3.4 (load all)", rez_runs)
        cold_median = _report("pkgimport cold (parallel)", cold, COLD_TARGET)
        _report("pkgimport cold (1 core)", serial)
        warm_median = _report("pkgimport warm (index)", warm, WARM_TARGET)
        print(
            f"speed-up vs rez: cold x{rez_median / cold_median:.0f}, "
            f"warm x{rez_median / warm_median:.0f}"
        )
        if any(r["problems"] for r in cold + warm):
            print("problems reported while loading", file=sys.stderr)
            return 1
        return 0 if cold_median <= COLD_TARGET and warm_median <= WARM_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
