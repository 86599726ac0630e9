"""Benchmark: convert all of Scoop's Main bucket with ``--definition-only --dry-run``.

Target (issue 5): at most 10 s on the project's machines, CLI start-up included.

    python benchmarks/bench_scoop.py [BUCKET_DIR] [--repeat N]

Runs ``pkgimport scoop <every app> --definition-only --dry-run --skip-scripts`` as a child
process (what a user runs) and prints the wall time of each run and the best one; exits 1 when
the best run is over the target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 10.0
DEFAULT_BUCKET = Path(__file__).resolve().parents[2] / "shared" / "scoop" / "main"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bucket", nargs="?", type=Path, default=DEFAULT_BUCKET)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    apps = sorted(p.stem for p in args.bucket.glob("*.json"))
    command = [
        sys.executable,
        "-m",
        "pkgimport",
        "scoop",
        *apps,
        "--definition-only",
        "--dry-run",
        "--skip-scripts",
        "--json",
        "--bucket",
        f"main={args.bucket}",
        "--repo",
        "/nonexistent",
    ]
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            print(result.stderr[-2000:], file=sys.stderr)
            return 2
    best = min(times)
    print(
        f"converted {len(apps)} manifests (--definition-only --dry-run): "
        f"runs {', '.join(f'{t:.2f}s' for t in times)}; best {best:.2f}s "
        f"(target <= {TARGET_SECONDS:.0f}s)"
    )
    return 0 if best <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
