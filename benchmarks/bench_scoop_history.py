"""Benchmark: ``app@version`` lookups in a bucket's git history, walked vs indexed.

Target (issue 13, item 6): at most 1 s per lookup once the bucket's index exists.

    python benchmarks/bench_scoop_history.py [--commits N] [--apps N] [--lookups N]

Builds a bucket git repository of N commits (default 5000; ``git fast-import``) where each
commit bumps one app's version, then times, for the same past versions:

* **walk**: what pkgimport did before the index (``git log`` of the manifest, then ``git show``
  of each commit until the version matches);
* **first**: the first lookup with an empty cache (builds the index, then looks up);
* **next**: each later lookup from a fresh ``BucketSet`` (as a new pkgimport run: reads the
  index file, checks ``HEAD``, reads one blob);
* **update**: the first lookup after 100 more commits (indexes only those).

Prints medians (these machines are shared and noisy); exits 1 when ``next`` misses the target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pkgimport.importers.scoop import Bucket, BucketSet, parse_app_spec

TARGET_SECONDS = 1.0
_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@pkgimport.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@pkgimport.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _manifest(app: str, version: str) -> bytes:
    data = {
        "version": version,
        "description": f"{app}, a benchmark app",
        "homepage": f"https://example.org/{app}",
        "license": "MIT",
        "architecture": {
            "64bit": {"url": f"https://example.org/{app}-{version}-x64.zip", "hash": "0" * 64},
            "32bit": {"url": f"https://example.org/{app}-{version}-x86.zip", "hash": "1" * 64},
        },
        "bin": f"{app}.exe",
        "checkver": "github",
        "autoupdate": {"url": f"https://example.org/{app}-$version.zip"},
    }
    return json.dumps(data, indent=4).encode()


def _append_commits(
    repo: Path, versions: dict[str, int], count: int, rng: random.Random, *, first: bool
) -> None:
    """Add *count* commits, each bumping one app (``git fast-import``: seconds, not minutes)."""
    apps = sorted(versions)
    lines: list[bytes] = []
    for n in range(count):
        app = apps[0] if n == 0 and first else rng.choice(apps)
        versions[app] += 1
        body = _manifest(app, f"1.{versions[app]}")
        message = f"{app}: Update to version 1.{versions[app]}".encode()
        lines.append(b"commit refs/heads/master\n")
        lines.append(f"committer bench <b@x> {1_600_000_000 + n} +0000\n".encode())
        lines.append(b"data %d\n%s\n" % (len(message), message))
        if n == 0 and not first:
            lines.append(b"from refs/heads/master^0\n")
        if n == 0 and first:
            # The first commit adds every app.
            for other in apps:
                data = _manifest(other, f"1.{versions[other]}")
                lines.append(f"M 100644 inline bucket/{other}.json\n".encode())
                lines.append(b"data %d\n%s\n" % (len(data), data))
            continue
        lines.append(f"M 100644 inline bucket/{app}.json\n".encode())
        lines.append(b"data %d\n%s\n" % (len(body), body))
    env = {**os.environ, **_ENV}
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"],
        input=b"".join(lines),
        check=True,
        env=env,
    )
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard", "master"], check=True)


def _walk(repo: Path, rel: str, version: str) -> str | None:
    """The lookup before the index (``_bucket.BucketSet._from_history`` until issue 13)."""
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%H", "--", rel],
        capture_output=True,
        text=True,
        check=False,
    )
    for commit in log.stdout.split():
        show = subprocess.run(
            ["git", "-C", str(repo), "show", f"{commit}:{rel}"], capture_output=True, check=False
        )
        if show.returncode == 0 and json.loads(show.stdout).get("version") == version:
            return commit
    return None


def _lookup(repo: Path, cache: Path, app: str, version: str) -> float:
    buckets = BucketSet([Bucket(name="bench", location=str(repo))], cache / "buckets")
    start = time.perf_counter()
    found = buckets.find(parse_app_spec(f"{app}@{version}"))
    elapsed = time.perf_counter() - start
    if found.generated:
        raise SystemExit(f"{app}@{version} was not found in the history")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--lookups", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory(prefix="bench-scoop-history-") as tmp:
        repo, cache = Path(tmp) / "bucket", Path(tmp) / "cache"
        subprocess.run(["git", "init", "-q", "-b", "master", str(repo)], check=True)
        versions = {f"app{i:04d}": 0 for i in range(args.apps)}
        start = time.perf_counter()
        _append_commits(repo, versions, args.commits, rng, first=True)
        built = time.perf_counter() - start
        print(f"history: {args.commits} commits, {args.apps} apps ({built:.1f} s to build)")
        # Past versions: a random early version of random apps (the worst case for a walk).
        picks = [
            (app, f"1.{rng.randint(1, max(1, versions[app] // 4))}")
            for app in rng.sample(sorted(versions), args.lookups)
        ]
        walk = []
        for app, version in picks:
            start = time.perf_counter()
            _walk(repo, f"bucket/{app}.json", version)
            walk.append(time.perf_counter() - start)
        first = _lookup(repo, cache, *picks[0])
        later = [_lookup(repo, cache, app, version) for app, version in picks]
        _append_commits(repo, versions, 100, rng, first=False)
        update = _lookup(repo, cache, *picks[1])
        after_update = [_lookup(repo, cache, app, version) for app, version in picks]
    print(f"walk   (before the index): median {statistics.median(walk):.3f} s per lookup")
    print(f"first  (builds the index): {first:.3f} s")
    print(f"next   (index on disk):    median {statistics.median(later):.3f} s per lookup")
    print(
        f"update (+100 commits):     {update:.3f} s, then median "
        f"{statistics.median(after_update):.3f} s per lookup"
    )
    return 0 if statistics.median(later) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
