"""Resolver cases as data (``cases/*.json``), one per rule of spec §4.

Each case holds a repository, a request, solver options and the result rez 3.4 gave
(recorded with ``_solver_oracle.rez_solve``). GIVEN the repository WHEN pkgimport solves the
request THEN it gives exactly the recorded result; the recorded result is re-checked against
rez itself when rez is installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.resolver._solver_oracle import pkgimport_solve, rez_solve, write_repo

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(CASES_DIR.glob("*.json"))
REPO_MARK = "<repo>"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _unroot(result: dict[str, Any], root: Path) -> dict[str, Any]:
    if "error" in result:
        result = {**result, "error": result["error"].replace(str(root), REPO_MARK)}
    return result


def test_cases_exist() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_matches_recorded_rez_result(path: Path, tmp_path: Path) -> None:
    case = _load(path)
    root = tmp_path / "repo"
    actual = pkgimport_solve(case["repo"], root, case["request"], **case["options"])
    assert _unroot(actual, root) == case["expected"], case["doc"]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_recorded_result_is_still_rez(path: Path, tmp_path: Path) -> None:
    pytest.importorskip("rez")
    case = _load(path)
    root = write_repo(tmp_path / "repo", case["repo"])
    assert _unroot(rez_solve(root, case["request"], **case["options"]), root) == case["expected"]
