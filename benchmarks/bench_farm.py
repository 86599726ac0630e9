"""Benchmark a render farm: fresh-process resolves sharing one memcached, pkgimport vs rez 3.4.

Repository and requests: rez's own benchmark (``rez/data/benchmarking``: 18,226 packages, 188
requests, no implicit packages, as ``rez-benchmark``). One memcached on a loopback port serves
both tools, each in its own key space (rez through ``$REZ_MEMCACHED_URI``, which also caches
its package files and folder listings there). Every resolve is a fresh process: ``pkgimport
resolve REQUEST... --json``, and for rez ``python -c`` making a ``ResolvedContext`` (what
``rez-env`` does before it starts a shell). Phases, for each tool:

1. cold: every request once, spread over ``--processes`` concurrent processes (memcached
   empty; pkgimport's listing index empty too, shared by its processes as on one node);
2. warm, one at a time: the latency of a resolve the cache answers (median, p99);
3. warm farm: ``--processes`` concurrent "nodes", each resolving every request (in a rotated
   order): throughput (resolves per second of wall time), median and p99 per resolve.

rez runs a sample of the requests (``--rez-requests``, evenly spaced: its cold resolves take
seconds each); pkgimport's figures are also given on that sample, for the ratios. Every
pkgimport answer is compared with a fresh solve (``--requests-file --no-cache``, one process):
"stale" counts those that differ (the target is 0). Targets: warm latency median <= 0.06 s,
warm farm throughput >= 20x rez's.

    python benchmarks/bench_farm.py [--processes 16] [--requests 188] [--rez-requests 16]
                                    [--repo DIR] [--skip-rez]

The default run takes a few minutes on 2 cores; ``--processes 4 --requests 40
--rez-requests 6`` about one. Child processes keep their bytecode in a temporary
``PYTHONPYCACHEPREFIX`` (a shell that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise make
every fresh process compile its imports).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import rez

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

BENCH_DIR = Path(rez.__file__).parent / "data" / "benchmarking"

_REZ_CHILD = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from rez.resolved_context import ResolvedContext
context = ResolvedContext(json.loads(sys.argv[2]), package_paths=[sys.argv[1]],
                          add_implicit_packages=False)
print(json.dumps({
    "status": context.status.name,
    "resolved": [f"{v.qualified_package_name}[{'' if v.index is None else v.index}]"
                 for v in context.resolved_packages or []],
    "from_cache": context.from_cache,
}))
"""


@dataclass
class Run:
    """One fresh-process resolve."""

    request: int
    seconds: float
    cpu: float
    """CPU seconds of the process (user + system)."""
    answer: tuple[str, tuple[str, ...]]


@dataclass
class Phase:
    """The runs of one phase and its wall time."""

    runs: list[Run] = field(default_factory=list)
    wall: float = 0.0

    def times(self, sample: set[int] | None = None) -> list[float]:
        return [r.seconds for r in self.runs if sample is None or r.request in sample]

    def throughput(self) -> float:
        return len(self.runs) / self.wall if self.wall else 0.0

    def cpu_per_resolve(self, sample: set[int] | None = None) -> float:
        cpus = [r.cpu for r in self.runs if sample is None or r.request in sample]
        return statistics.mean(cpus) if cpus else 0.0

    def summary(self, sample: set[int] | None = None) -> str:
        times = self.times(sample)
        return (
            f"{len(times)} resolves, median {statistics.median(times):.3f} s, "
            f"p99 {_p99(times):.3f} s"
        )


def _p99(times: Sequence[float]) -> float:
    ordered = sorted(times)
    return ordered[int(0.99 * (len(ordered) - 1))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_memcached(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("memcached") or "/usr/bin/memcached"
    argv = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "1024"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    process = subprocess.Popen(argv)
    deadline = time.monotonic() + 5
    while not _listening(port) and time.monotonic() < deadline:
        time.sleep(0.01)
    if _listening(port):
        return process
    process.kill()
    sys.exit("memcached did not start (apt-get install memcached)")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("pkgimport")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pkgimport"]


def _answer(stdout: str) -> tuple[str, tuple[str, ...]]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return ("error", ())
    return (str(data.get("status", "error")), tuple(data.get("resolved") or ()))


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run *argv*; return its wall time, its CPU time (from ``wait4``) and its stdout."""
    begin = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    return time.perf_counter() - begin, usage.ru_utime + usage.ru_stime, out


def _phase(jobs: Sequence[Sequence[int]], run_one: Callable[[int], Run]) -> Phase:
    """Run each worker's job list in its own thread (one child process at a time each)."""
    phase = Phase()
    lock = threading.Lock()

    def work(indices: Sequence[int]) -> None:
        for index in indices:
            run = run_one(index)
            with lock:
                phase.runs.append(run)

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs if job]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.wall = time.perf_counter() - begin
    return phase


def _spread(indices: Sequence[int], workers: int) -> list[list[int]]:
    """Each index once, dealt round-robin over *workers*."""
    return [list(indices[i::workers]) for i in range(workers)]


def _every(indices: Sequence[int], workers: int) -> list[list[int]]:
    """Every index on every worker, each starting elsewhere in the list."""
    step = max(1, len(indices) // max(1, workers))
    return [
        list(indices[i * step % len(indices) :]) + list(indices[: i * step % len(indices)])
        for i in range(workers)
    ]


@dataclass
class Farm:
    repo: Path
    requests: list[list[str]]
    env: dict[str, str]

    def pkgimport(self, index: int) -> Run:
        argv = [*_cli(), "resolve", *self.requests[index], "--no-implicit", "--json"]
        argv += ["--paths", str(self.repo)]
        seconds, cpu, out = _timed(argv, self.env)
        return Run(index, seconds, cpu, _answer(out))

    def rez(self, index: int) -> Run:
        argv = [sys.executable, "-c", _REZ_CHILD, str(self.repo), json.dumps(self.requests[index])]
        seconds, cpu, out = _timed(argv, self.env)
        return Run(index, seconds, cpu, _answer(out))


def _reference(
    repo: Path, requests: list[list[str]], env: dict[str, str], tmp: Path
) -> list[tuple[str, tuple[str, ...]]]:
    """Every request solved fresh, in one process without the cache."""
    path = tmp / "requests.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    argv = [*_cli(), "resolve", "--requests-file", str(path), "--no-implicit", "--no-cache"]
    argv += ["--paths", str(repo)]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        env={**env, "XDG_CACHE_HOME": str(tmp / "ref")},
    )
    return [_answer(line) for line in done.stdout.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=16, help="concurrent processes")
    parser.add_argument("--requests", type=int, default=188, help="requests (evenly spaced)")
    parser.add_argument("--rez-requests", type=int, default=16, help="rez's sample of them")
    parser.add_argument("--repo", type=Path, help="extracted benchmark 'packages' folder")
    parser.add_argument("--skip-rez", action="store_true", help="run pkgimport only")
    args = parser.parse_args()

    all_requests: list[list[str]] = json.loads((BENCH_DIR / "requests.json").read_text())
    count = min(args.requests, len(all_requests))
    sample = sorted({round(i * len(all_requests) / count) for i in range(count)})
    rez_count = min(args.rez_requests, len(sample))
    rez_sample = sorted({sample[round(i * len(sample) / rez_count)] for i in range(rez_count)})

    with tempfile.TemporaryDirectory(prefix="bench-farm-") as tmp_name:
        tmp = Path(tmp_name)
        repo = args.repo
        if repo is None:
            with tarfile.open(BENCH_DIR / "packages.tar.gz") as tar:
                tar.extractall(tmp, filter="data")
            repo = tmp / "packages"
        (tmp / "home").mkdir()
        (tmp / "rezconfig.py").write_text("")
        port = _free_port()
        uri = f"127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REZ_", "PKGIMPORT_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            HOME=str(tmp / "home"),
            XDG_CACHE_HOME=str(tmp / "cache"),
            PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
            REZ_CONFIG_FILE=str(tmp / "rezconfig.py"),
            PKGIMPORT_MEMCACHED_URI=uri,
            REZ_MEMCACHED_URI=uri,
        )
        reference = _reference(repo, all_requests, env, tmp)
        memcached = _start_memcached(port)
        try:
            farm = Farm(repo, all_requests, env)
            farm.pkgimport(sample[0])  # compiles pkgimport's bytecode (then flushed below)
            if not args.skip_rez:
                farm.rez(rez_sample[0])
            subprocess.run([*_cli(), "cache", "flush"], env=env, check=True, capture_output=True)
            print(
                f"{len(sample)} requests (rez: {len(rez_sample)}), {args.processes} processes, "
                f"memcached {uri}, {os.cpu_count()} cores"
            )
            ours = _measure("pkgimport", farm.pkgimport, sample, args.processes)
            stale = sum(r.answer != reference[r.request] for phase in ours for r in phase.runs)
            subset = set(rez_sample)
            print(
                f"pkgimport on rez's sample: warm {ours[1].summary(subset)}, CPU "
                f"{1000 * ours[2].cpu_per_resolve(subset):.0f} ms each in the farm; "
                f"stale answers (vs a fresh solve): {stale} of {sum(len(p.runs) for p in ours)}"
            )
            if args.skip_rez:
                return
            theirs = _measure("rez 3.4", farm.rez, rez_sample, args.processes)
            disagree = sum(r.answer != reference[r.request] for phase in theirs for r in phase.runs)
            ratio_latency = statistics.median(theirs[1].times()) / statistics.median(
                ours[1].times(subset)
            )
            print(
                f"ratios (pkgimport vs rez, same requests): warm latency median "
                f"{ratio_latency:.1f}x faster; warm farm throughput "
                f"{ours[2].throughput() / theirs[2].throughput():.1f}x (CPU per resolve "
                f"{theirs[2].cpu_per_resolve() / ours[2].cpu_per_resolve(subset):.1f}x less); cold "
                f"throughput {ours[0].throughput() / theirs[0].throughput():.1f}x "
                f"(rez answers differing from pkgimport's fresh solve: {disagree})"
            )
        finally:
            memcached.terminate()
            memcached.wait()


def _measure(
    name: str, run_one: Callable[[int], Run], indices: Sequence[int], processes: int
) -> list[Phase]:
    cold = _phase(_spread(indices, processes), run_one)
    print(
        f"{name} cold (empty cache), {processes} processes: {cold.summary()}, "
        f"throughput {cold.throughput():.1f}/s, CPU {1000 * cold.cpu_per_resolve():.0f} ms each"
    )
    latency = _phase([list(indices)], run_one)
    print(
        f"{name} warm, one at a time: {latency.summary()}, "
        f"CPU {1000 * latency.cpu_per_resolve():.0f} ms each"
    )
    farm = _phase(_every(indices, processes), run_one)
    cores = os.cpu_count() or 1
    print(
        f"{name} warm farm, {processes} processes x {len(indices)} requests: "
        f"{farm.summary()}, throughput {farm.throughput():.1f}/s (CPU "
        f"{1000 * farm.cpu_per_resolve():.0f} ms each: {cores / farm.cpu_per_resolve():.0f}/s "
        f"on {cores} idle cores)"
    )
    return [cold, latency, farm]


if __name__ == "__main__":  # pragma: no cover
    main()
