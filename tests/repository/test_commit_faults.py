"""A commit killed (SIGKILL) after every filesystem step, checked by rez 3.4 at each point.

A child process runs one import through :class:`Transaction` with an audit hook that counts the
filesystem changes ``commit()`` makes (``open`` for writing, ``mkdir``, ``rename``/``replace``,
``unlink``, ``utime``, ...) and kills itself just before change number *k*, for every *k*. After
each kill:

1. rez 3.4 looks at the repository as the dead writer left it: every package it lists resolves
   with each of its variants (no package without its dependencies), and each variant's payload
   is in place;
2. an unrelated import runs: afterwards nothing that rez listed before is gone (nothing
   visible is withdrawn), and the dead commit is complete (rolled forward);
3. the same import runs again: it finds everything installed and changes nothing.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.repository.filesystem import FilesystemRepository

if TYPE_CHECKING:
    from pathlib import Path

D = PackageDefinition

# -- the two imports ------------------------------------------------------------------------------

_SCENARIOS = r'''
import json
from pathlib import Path
from pkgimport.definition import ImportedPackage, PackageDefinition as D

def payload(work, name):
    folder = Path(work) / "payloads" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "marker").write_text(name)
    return folder

def closure(work):
    """A fresh 5-package closure, added top first (the commit must order it)."""
    pys = [("python-3.11",), ("python-3.12",)]
    return [
        ImportedPackage(definition=D(name="top", version="1", requires=("a", "b")),
                        payloads={0: payload(work, "top")}),
        ImportedPackage(definition=D(name="a", version="1", requires=("c-1",), variants=tuple(pys)),
                        payloads={0: payload(work, "a0"), 1: payload(work, "a1")}),
        ImportedPackage(definition=D(name="b", version="2", requires=("c", "d")),
                        payloads={0: payload(work, "b")}),
        ImportedPackage(definition=D(name="d", version="1"), payloads={0: payload(work, "d")}),
        ImportedPackage(definition=D(name="c", version="1"), payloads={0: payload(work, "c")}),
    ]

def merge(work):
    """Four new variants of an installed package, each needing a new package y."""
    variants = tuple((f"python-3.{n}", "y-1") for n in (8, 9, 10, 11))
    return [
        ImportedPackage(definition=D(name="x", version="1", variants=variants),
                        payloads={i: payload(work, f"x{i}") for i in range(4)}),
        ImportedPackage(definition=D(name="y", version="1"), payloads={0: payload(work, "y")}),
    ]

SCENARIOS = {"closure": closure, "merge": merge}
'''

_KILLER = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[5])
from scenarios import SCENARIOS
from pkgimport.repository import _transaction
from pkgimport.repository.filesystem import FilesystemRepository

scenario, repo_dir, work, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
CHANGES = {"os.rename", "os.mkdir", "os.remove", "os.rmdir", "os.utime", "os.link",
           "os.symlink", "os.chmod", "os.truncate", "shutil.rmtree", "shutil.copyfile"}
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
state = {"active": False, "count": 0}

def hook(event, args):
    if not state["active"]:
        return
    if event == "open":
        mode, flags = args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE)
        if not writes:
            return
    elif event not in CHANGES:
        return
    if state["count"] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    state["count"] += 1

sys.addaudithook(hook)
real_commit = _transaction.Transaction.commit
def commit(self):
    state["active"] = True
    try:
        return real_commit(self)
    finally:
        state["active"] = False
_transaction.Transaction.commit = commit

repo = FilesystemRepository(repo_dir, index_file=None)
with repo.transaction() as txn:
    for package in SCENARIOS[scenario](work):
        txn.add(package)
    txn.commit()
print(state["count"])
"""

# rez 3.4 as the oracle, in one child process for every repository state of a scenario.
_REZ_CHECK = r"""
import json, os, sys
from rez.packages import iter_package_families
from rez.package_repository import package_repository_manager
from rez.resolved_context import ResolvedContext

report = {}
for repo in json.loads(sys.argv[1]):
    package_repository_manager.clear_caches()
    visible, dangling, missing = [], [], []
    try:
        for family in iter_package_families(paths=[repo]):
            for package in family.iter_packages():
                for variant in package.iter_variants():
                    requires = [str(r) for r in variant.variant_requires]
                    key = "%s[%s]" % (package.qualified_name, ",".join(requires))
                    visible.append(key)
                    root = variant.root
                    if not os.path.isfile(os.path.join(root, "marker")):
                        missing.append(key)
                    request = ["%s==%s" % (package.name, package.version)] + requires
                    context = ResolvedContext(request, package_paths=[repo],
                                              add_implicit_packages=False)
                    if not context.success:
                        dangling.append(key + ": " + context.failure_description.splitlines()[0])
    except Exception as exc:  # rez cannot even list it: a broken state
        dangling.append("rez failed: %s" % exc)
    report[repo] = {"visible": sorted(visible), "dangling": dangling, "missing": missing}
print(json.dumps(report))
"""


def _base_repo(tmp_path: Path, scenario: str) -> Path:
    """The repository before the import: python packages (and x-1 for the merge)."""
    base = tmp_path / f"base-{scenario}"
    marker = tmp_path / "python-payload"
    marker.mkdir(exist_ok=True)
    (marker / "marker").write_text("python")
    repo = FilesystemRepository(base, index_file=None)
    with repo.transaction() as txn:
        for minor in range(7, 13):
            txn.add(
                ImportedPackage(
                    definition=D(name="python", version=f"3.{minor}"), payloads={0: marker}
                )
            )
        if scenario == "merge":
            x0 = tmp_path / "x-installed"
            x0.mkdir()
            (x0 / "marker").write_text("x")
            txn.add(
                ImportedPackage(
                    definition=D(name="x", version="1", variants=(("python-3.7",),)),
                    payloads={0: x0},
                )
            )
        txn.commit()
    return base


def _run_killer(scenario: str, repo: Path, work: Path, kill_at: int, lib: Path) -> int:
    child = subprocess.run(
        [sys.executable, "-c", _KILLER, scenario, str(repo), str(work), str(kill_at), str(lib)],
        capture_output=True,
        text=True,
        check=False,
    )
    if kill_at < 0:
        assert child.returncode == 0, child.stderr
        return int(child.stdout)
    return child.returncode


def _import(repo: Path, packages: list[ImportedPackage]) -> tuple[str, ...]:
    with FilesystemRepository(repo, index_file=None).transaction() as txn:
        for package in packages:
            txn.add(package)
        return tuple(r.status for r in txn.commit())


def _rez_check(repos: list[Path], rez_env: dict[str, str]) -> dict[str, dict[str, Any]]:
    child = subprocess.run(
        [sys.executable, "-c", _REZ_CHECK, json.dumps([str(r) for r in repos])],
        capture_output=True,
        text=True,
        env=rez_env,
        check=True,
    )
    report: dict[str, dict[str, Any]] = json.loads(child.stdout)
    return report


@pytest.mark.parametrize("scenario", ["closure", "merge"])
def test_a_commit_killed_after_any_step_never_dangles_and_only_rolls_forward(
    scenario: str, tmp_path: Path, rez_env: dict[str, str]
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "scenarios.py").write_text(textwrap.dedent(_SCENARIOS))
    sys.path.insert(0, str(lib))
    try:
        from scenarios import SCENARIOS  # type: ignore[import-not-found]  # noqa: PLC0415
    finally:
        sys.path.remove(str(lib))
    base = _base_repo(tmp_path, scenario)

    # The import without a fault: how many filesystem changes its commit makes.
    complete = tmp_path / "complete"
    shutil.copytree(base, complete, symlinks=True)
    steps = _run_killer(scenario, complete, tmp_path / "work-complete", -1, lib)
    assert steps > 5

    after_kill: list[Path] = []
    after_other: list[Path] = []
    for k in range(steps):
        repo = tmp_path / f"repo-{k}"
        shutil.copytree(base, repo, symlinks=True)
        work = tmp_path / f"work-{k}"
        assert _run_killer(scenario, repo, work, k, lib) == -signal.SIGKILL
        after_kill.append(tmp_path / f"killed-{k}")
        shutil.copytree(repo, after_kill[-1], symlinks=True)
        # An unrelated import: it completes the dead commit and withdraws nothing.
        _import(repo, [ImportedPackage(definition=D(name="other", version="1"))])
        after_other.append(tmp_path / f"other-{k}")
        shutil.copytree(repo, after_other[-1], symlinks=True)
        # The same import again: whatever was dropped is added now, then nothing changes.
        _import(repo, SCENARIOS[scenario](tmp_path / f"again-{k}"))
        assert set(_import(repo, SCENARIOS[scenario](tmp_path / f"third-{k}"))) == {"unchanged"}
        assert FilesystemRepository(repo, index_file=None).problems == []

    report = _rez_check([base, complete, *after_kill, *after_other], rez_env)
    old = set(report[str(base)]["visible"])
    new = set(report[str(complete)]["visible"])
    assert report[str(complete)]["dangling"] == report[str(complete)]["missing"] == []
    assert new > old
    dangling = [(k, d) for k, r in enumerate(after_kill) for d in report[str(r)]["dangling"]]
    missing = [(k, m) for k, r in enumerate(after_kill) for m in report[str(r)]["missing"]]
    withdrawn: list[tuple[int, str]] = []
    strange: list[int] = []  # states neither old, nor new, nor between them
    undone: list[int] = []  # part of the import was visible, and then it was not completed
    partial = 0
    for k, (killed, other) in enumerate(zip(after_kill, after_other, strict=True)):
        seen = set(report[str(killed)]["visible"])
        then = set(report[str(other)]["visible"]) - {"other-1[]"}
        if not old <= seen <= new:
            strange.append(k)
        withdrawn += [(k, v) for v in seen - then]
        if seen != old:
            partial += seen != new
            # Something was visible: the commit was decided, so it is completed, never undone.
            if then != new:
                undone.append(k)
        elif then not in (old, new):
            strange.append(k)
    print(
        f"\n{scenario}: {steps} kill points, {partial} left part of the import visible, "
        f"{len({k for k, _ in dangling})} dangling, {len({k for k, _ in missing})} with a "
        f"variant before its payload, {len(strange)} odd, {len(undone)} not completed, "
        f"{len(withdrawn)} withdrawn"
    )
    assert dangling == []
    assert missing == []
    assert strange == []
    assert undone == []
    assert withdrawn == []
