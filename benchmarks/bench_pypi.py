"""Benchmark: import a fixed closure with pkgimport and with rez-pip 0.4, cold and warm.

The closure (21 distributions for CPython 3.11 on Linux x86_64) comes from these pins:

    black==24.4.2      -> black click mypy-extensions packaging pathspec platformdirs
    requests==2.32.3   -> requests certifi charset-normalizer idna urllib3
    rich==13.7.1       -> rich markdown-it-py mdurl pygments
    SQLAlchemy==2.0.30 -> sqlalchemy greenlet typing-extensions
    Jinja2==3.1.4      -> jinja2 markupsafe
    PyYAML==6.0.1      -> pyyaml

Both tools read the same pip configuration (indexes, find-links) and write into empty
repositories. "Cold" means an empty download cache (pkgimport: ``$XDG_CACHE_HOME``; rez-pip:
``$PIP_CACHE_DIR``); "warm" repeats the import into a new empty repository with the caches
the cold run filled. pkgimport keeps project pages for ``PKGIMPORT_INDEX_MAX_AGE`` seconds
(600 by default, PyPI's own max-age), so the warm run asks the index nothing: the benchmark's
default is the user's default. pkgimport is byte-compiled first, as a wheel install is (rez-pip's
virtual environment is): a source checkout under ``PYTHONDONTWRITEBYTECODE`` would otherwise
compile ~80 modules in every run. Needs the network and rez-pip::

    python -m venv /tmp/rezpip && /tmp/rezpip/bin/pip install 'rez-pip==0.4.*'
    python benchmarks/bench_pypi.py --rez-pip /tmp/rezpip/bin/rez-pip2 [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLOSURE = [
    "black==24.4.2",
    "requests==2.32.3",
    "rich==13.7.1",
    "SQLAlchemy==2.0.30",
    "Jinja2==3.1.4",
    "PyYAML==6.0.1",
]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return elapsed


def _families(repo: Path) -> int:
    ignored = {"platform", "arch", "os", "python"}
    return sum(
        1
        for p in repo.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in ignored
    )


def compile_pkgimport() -> None:
    """Byte-compile the pkgimport package being measured (an installed wheel is)."""
    import pkgimport  # noqa: PLC0415 - the package this interpreter runs

    folder = str(Path(pkgimport.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)


def bench_pkgimport(work: Path, env: dict[str, str]) -> tuple[float, float, int]:
    cache = work / "pkgimport-cache"
    env = {**env, "XDG_CACHE_HOME": str(cache)}
    exe = str(Path(sys.executable).parent / "pkgimport")
    cold_repo, warm_repo = work / "pkgimport-cold", work / "pkgimport-warm"
    cold = _run([exe, "pypi", *CLOSURE, "--repo", str(cold_repo), "-q"], env)
    warm = _run([exe, "pypi", *CLOSURE, "--repo", str(warm_repo), "-q"], env)
    return cold, warm, _families(cold_repo)


def bench_rez_pip(rez_pip: str, work: Path, env: dict[str, str]) -> tuple[float, float, int]:
    base = work / "rezpip-base"
    bind = Path(rez_pip).parent / "rez-bind"
    _run([str(bind), "-i", str(base), "python"], env)
    env = {**env, "PIP_CACHE_DIR": str(work / "pip-cache")}
    times = []
    for name in ("rezpip-cold", "rezpip-warm"):
        repo = work / name
        repo.mkdir()
        run_env = {**env, "REZ_PACKAGES_PATH": f"{base}{os.pathsep}{repo}"}
        cmd = [rez_pip, "--prefix", str(repo), "--python-version", PYTHON, *CLOSURE]
        times.append(_run(cmd, run_env))
    return times[0], times[1], _families(work / "rezpip-cold")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rez-pip", required=True, help="path to rez-pip2 (rez-pip 0.4)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REZ_", "PKGIMPORT_"))}
    config = Path(tempfile.mkdtemp()) / "rezconfig.py"
    config.write_text("")
    env["REZ_CONFIG_FILE"] = str(config)
    compile_pkgimport()
    results: dict[str, list[float]] = {k: [] for k in ("pi_cold", "pi_warm", "rp_cold", "rp_warm")}
    for _ in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="bench-pypi-"))
        try:
            pi_cold, pi_warm, pi_n = bench_pkgimport(work, env)
            rp_cold, rp_warm, rp_n = bench_rez_pip(args.rez_pip, work, env)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for key, value in zip(results, (pi_cold, pi_warm, rp_cold, rp_warm), strict=True):
            results[key].append(value)
        print(f"families: pkgimport {pi_n}, rez-pip {rp_n}")
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"{'':10}{'pkgimport':>12}{'rez-pip':>12}{'speed-up':>10}")
    for label in ("cold", "warm"):
        pi, rp = med[f"pi_{label}"], med[f"rp_{label}"]
        print(f"{label:10}{pi:11.2f}s{rp:11.2f}s{rp / pi:9.1f}x")
    for key, values in results.items():
        print(f"runs {key}: {', '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
