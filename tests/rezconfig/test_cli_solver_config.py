"""rez's own solver tests whose answer depends on configuration, run through ``pkgimport resolve``.

rez's ``test_solver.py`` sets ``variant_select_mode`` and ``error_on_missing_variant_requires``
with ``config.override``; a rez user sets them in a configuration file or a ``$REZ_*``
variable. GIVEN rez's solver test repository (``rez/data/tests/solver/packages``) on the
configured ``packages_path`` and the setting given the way users give it (``$REZ_<KEY>``, a
``rezconfig.py`` on ``$REZ_CONFIG_FILE``, a YAML ``~/.rezconfig``) WHEN ``pkgimport resolve
--json`` runs THEN it gives rez's test's expected resolve, and ``ResolvedContext`` in a rez
child process with the same environment gives the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable

rez = pytest.importorskip("rez")

SOLVER_PACKAGES = Path(rez.__file__).parent / "data" / "tests" / "solver" / "packages"

_REZ_SCRIPT = r"""
import json, sys
from rez.resolved_context import ResolvedContext
out = []
for request in json.loads(sys.argv[1]):
    try:
        context = ResolvedContext(request)
    except Exception as exc:
        out.append({"status": "error", "error": type(exc).__name__})
        continue
    out.append({"status": context.status.name,
                "resolved": ["%s[%s]" % (v.qualified_package_name, "" if v.index is None
                                         else v.index)
                             for v in context.resolved_packages or []]})
print(json.dumps(out))
"""

# (request, expected with version_priority / intersection_priority): rez's test_09 and test_10.
SELECT_MODE_CASES: list[tuple[list[str], list[str], list[str]]] = [
    (
        ["pyvariants", "python"],
        ["python-2.7.0[]", "pyvariants-2[0]"],
        ["python-2.7.0[]", "pyvariants-2[0]"],
    ),
    (
        ["pyvariants", "python", "nada"],
        ["python-2.7.0[]", "pyvariants-2[0]", "nada[]"],
        ["python-2.6.8[]", "nada[]", "pyvariants-2[1]"],
    ),
]
MISSING = ["missing_variant_requires"]
MISSING_OFF = ["nada[]", "missing_variant_requires-1[1]"]  # rez's test_12, setting off


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(
            SOLVER_PACKAGES, tmp_path / "packages", ignore=shutil.ignore_patterns("__pycache__")
        )
    )


def _by_variables(home: Path, packages: Path, mode: str, missing_errors: bool) -> dict[str, str]:
    return {
        "REZ_PACKAGES_PATH": str(packages),
        "REZ_VARIANT_SELECT_MODE": mode,
        "REZ_ERROR_ON_MISSING_VARIANT_REQUIRES": "1" if missing_errors else "0",
    }


def _by_files(home: Path, packages: Path, mode: str, missing_errors: bool) -> dict[str, str]:
    studio = home.parent / "studio" / "rezconfig.py"
    studio.parent.mkdir(exist_ok=True)
    studio.write_text(f"packages_path = [{str(packages)!r}]\nvariant_select_mode = {mode!r}\n")
    (home / ".rezconfig").write_text(
        f"error_on_missing_variant_requires: {'true' if missing_errors else 'false'}\n"
    )
    return {"REZ_CONFIG_FILE": str(studio)}


WAYS: dict[str, Callable[[Path, Path, str, bool], dict[str, str]]] = {
    "variables": _by_variables,
    "files": _by_files,
}


def _pkgimport(
    request: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    code = main(["resolve", "--json", *request])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    if "error" in data:
        assert code == 1
        return {"status": "error", "error": data["error"]["message"]}
    return {"status": data["status"], "resolved": data["resolved"]}


def _rez(requests: list[list[str]], rez_env: dict[str, str], extra: dict[str, str]) -> list[Any]:
    env = {**rez_env, **extra, "HOME": os.environ["HOME"]}
    if "REZ_CONFIG_FILE" not in extra:
        env["REZ_CONFIG_FILE"] = os.environ["REZ_CONFIG_FILE"]  # the empty one
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_SCRIPT, json.dumps(requests)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results: list[Any] = json.loads(proc.stdout)
    return results


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("mode", ["version_priority", "intersection_priority"])
def test_variant_select_mode_as_users_set_it(
    *,
    way: str,
    mode: str,
    packages: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rez_env: dict[str, str],
) -> None:
    home = Path(os.environ["HOME"])
    environ = WAYS[way](home, packages, mode, True)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    requests = [request for request, _, _ in SELECT_MODE_CASES]
    theirs = _rez(requests, rez_env, environ)
    for (request, by_version, by_intersection), rez_result in zip(
        SELECT_MODE_CASES, theirs, strict=True
    ):
        expected = by_version if mode == "version_priority" else by_intersection
        ours = _pkgimport(request, monkeypatch, capsys)
        assert ours == {"status": "solved", "resolved": expected}, request
        assert rez_result == ours, request


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("missing_errors", [True, False])
def test_error_on_missing_variant_requires_as_users_set_it(
    *,
    way: str,
    missing_errors: bool,
    packages: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rez_env: dict[str, str],
) -> None:
    home = Path(os.environ["HOME"])
    environ = WAYS[way](home, packages, "version_priority", missing_errors)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    (rez_result,) = _rez([MISSING], rez_env, environ)
    ours = _pkgimport(MISSING, monkeypatch, capsys)
    if missing_errors:
        assert rez_result == {"status": "error", "error": "PackageFamilyNotFoundError"}
        assert ours["status"] == "error"
        assert ours["error"].startswith("package family not found: noexist")
    else:
        assert ours == {"status": "solved", "resolved": MISSING_OFF}
        assert rez_result == ours


@pytest.mark.parametrize("allowed", ["1", "0"])
def test_allow_unversioned_packages_as_users_set_it(
    *,
    allowed: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rez_env: dict[str, str],
) -> None:
    repo = tmp_path / "repo"
    (repo / "foo").mkdir(parents=True)
    (repo / "foo" / "package.py").write_text("name = 'foo'\n")  # unversioned
    (repo / "bar" / "1.0").mkdir(parents=True)
    (repo / "bar" / "1.0" / "package.py").write_text(
        "name = 'bar'\nversion = '1.0'\nrequires = ['foo']\n"
    )
    environ = {"REZ_PACKAGES_PATH": str(repo), "REZ_ALLOW_UNVERSIONED_PACKAGES": allowed}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    (rez_result,) = _rez([["bar"]], rez_env, environ)
    ours = _pkgimport(["bar"], monkeypatch, capsys)
    if allowed == "1":
        assert ours == rez_result == {"status": "solved", "resolved": ["foo[]", "bar-1.0[]"]}
    else:
        assert rez_result == {"status": "error", "error": "PackageFamilyNotFoundError"}
        assert ours["error"].startswith("package family not found: foo, was required by: bar")


FILTER_ORDER_CASES = [
    ({"package_filter": {"excludes": ["python-2.7+"]}}, ["python"]),
    ({"package_filter": [{"excludes": ["glob(python-2.6*)"]}, {"excludes": ["python-2.7"]}]},
     ["python"]),
    ({"package_orderers": [{"type": "sorted", "descending": False, "packages": ["python"]}]},
     ["python"]),
    ({"package_orderers": [{"type": "version_split", "first_version": "2.6.0",
                            "packages": ["python"]}]}, ["python", "pysplit"]),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "request_"), FILTER_ORDER_CASES, ids=str)
def test_configured_filters_and_orderers(
    *,
    settings: dict[str, Any],
    request_: list[str],
    packages: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rez_env: dict[str, str],
) -> None:
    studio = Path(os.environ["HOME"]).parent / "studio.py"
    studio.write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()))
    environ = {"REZ_PACKAGES_PATH": str(packages), "REZ_CONFIG_FILE": str(studio)}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    (rez_result,) = _rez([request_], rez_env, environ)
    ours = _pkgimport(request_, monkeypatch, capsys)
    assert ours == rez_result
    plain = _pkgimport([*request_, "--no-filters", "--orderers", str(_empty_orderers(studio))],
                       monkeypatch, capsys)  # fmt: skip
    monkeypatch.delenv("REZ_CONFIG_FILE")
    assert plain == _pkgimport(request_, monkeypatch, capsys)
    assert plain != ours


def _empty_orderers(studio: Path) -> Path:
    path = studio.with_name("orderers.json")
    path.write_text('[{"type": "sorted", "descending": true}]')
    return path
