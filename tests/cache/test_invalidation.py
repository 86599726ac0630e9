"""No stale answer, ever: fresh-process resolves in parallel while releases land.

GIVEN the standard repository and a real memcached, WHEN one writer commits a dozen releases
with pkgimport's Transaction API (in resolved families, in families the solve only looked at,
variant merges, families nobody asks about) while three workers run ``pkgimport resolve`` in
fresh processes in a loop, THEN every answer is what a fresh solve gives for a repository
state between the last release finished before the resolve started and the last one started
before it ended: a release committed is seen by every resolve that starts after the commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkgimport.repository.filesystem import RepositoryPaths
from pkgimport.repository.provider import RepositoryProvider
from pkgimport.resolver.solver import Solver
from tests.cache._cachelib import TICK, make_repo, release

if TYPE_CHECKING:
    from pathlib import Path

    from tests.cache.conftest import MemcachedServer

# (family, version, requires, variants), in the order they are released.
RELEASES: list[tuple[str, str, list[str], list[list[str]]]] = [
    ("tool", "2.1", ["python-3"], []),  # a family looked at, not resolved: app-2 now works
    ("python", "3.10", [], []),  # a resolved family
    ("extra", "1", [], []),  # nobody asks: the cached answer stays valid
    ("tool", "2.2", ["python-3"], []),
    ("app", "2.1", ["tool-2", "python-3", "lib-1"], []),
    ("lib", "1.0", [], [["python-2"]]),  # a variant merged into a resolved package
    ("tool", "3.0", ["python-2"], []),  # out of range: same answer, entry invalidated
    ("python", "3.11", [], []),
    ("lib", "1.1", ["python-3.11"], []),
    ("app", "2.2", ["tool-2.1", "python-3"], []),
    ("extra", "2", [], []),
    ("tool", "2.1.1", ["python-3"], []),
]
WORKERS = 3
PAUSE = 0.35  # seconds between releases


def fresh_answer(repo: Path) -> list[str]:
    """What a fresh solve (new repositories, no index, no cache) answers for ``app``."""
    provider = RepositoryProvider(RepositoryPaths.from_paths([repo], index_file=None))
    return [str(v) for v in Solver(provider).solve(["app"]).variants]


@dataclass
class Writer:
    started: int = 0
    done: int = 0
    finished: bool = False

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.expected: list[list[str]] = []

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return self.started, self.done

    def run(self, repo: Path) -> None:
        time.sleep(3 * PAUSE)  # a quiet start: the workers cache the first state
        for name, version, requires, variants in RELEASES:
            time.sleep(PAUSE)
            with self.lock:
                self.started += 1
            release(repo, name, version, requires=requires, variants=variants)
            # The state stays as it is until the next release starts: its fresh answer.
            self.expected.append(fresh_answer(repo))
            with self.lock:
                self.done += 1
        time.sleep(4 * PAUSE)  # a quiet end: the workers' last resolves hit the cache
        self.finished = True


@dataclass
class Answer:
    done_before: int
    started_after: int
    resolved: list[str]
    from_cache: bool


def worker(repo: Path, uri: str, writer: Writer, answers: list[Answer]) -> None:
    argv = [sys.executable, "-m", "pkgimport", "resolve", "app", "--no-implicit", "--json"]
    argv += ["--paths", str(repo), "--memcached", uri, "-v"]
    deadline = time.monotonic() + 120  # bounded, whatever happens
    while not writer.finished and time.monotonic() < deadline:
        _, done_before = writer.counts()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
        started_after, _ = writer.counts()
        data = json.loads(proc.stdout)
        answers.append(
            Answer(
                done_before,
                started_after,
                data.get("resolved", [data.get("error")]),
                "resolve read from the shared cache" in proc.stderr,
            )
        )


def test_no_stale_answer_while_releases_land(tmp_path: Path, memcached: MemcachedServer) -> None:
    repo = make_repo(tmp_path / "repo")
    writer = Writer()
    writer.expected.append(fresh_answer(repo))
    answers: list[Answer] = []
    threads = [
        threading.Thread(target=worker, args=(repo, memcached.uri, writer, answers))
        for _ in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    writer.run(repo)
    for thread in threads:
        thread.join(timeout=120)

    assert writer.done == len(RELEASES)
    stale = [
        a for a in answers if a.resolved not in writer.expected[a.done_before : a.started_after + 1]
    ]
    assert stale == [], stale
    # The cache was used, and every release that changed the answer was seen.
    hits = [a for a in answers if a.from_cache]
    assert len(hits) >= 5, (len(hits), len(answers))
    distinct = {tuple(e) for e in writer.expected}
    assert len(distinct) >= 8
    assert {tuple(a.resolved) for a in hits} <= distinct
    assert answers[-1].resolved == writer.expected[-1]
    time.sleep(TICK)
