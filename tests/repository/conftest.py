"""Fixtures shared by the repository tests: rez as an oracle.

rez's benchmark repository (``rez_benchmark_repo``) is in ``tests/conftest.py``: the resolver
tests share the one extraction.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

# rez runs in a child process: its plugin loading warns (turned into errors here) and its
# caches must stay out of the test process.
_LOAD_SCRIPT = r"""
import json, sys
from rez.packages import get_package
from rez.resolved_context import ResolvedContext
from rez import rex

repo, wanted, with_actions = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
REX_TYPES = (rex.Setenv, rex.Appendenv, rex.Prependenv, rex.Unsetenv, rex.Alias, rex.Info)


def actions(name, version):
    context = ResolvedContext([name + "==" + version], package_paths=[repo],
                              add_implicit_packages=False)
    if not context.success:
        return context.failure_description
    out, inside = [], False
    for action in context.get_actions():
        if isinstance(action, rex.Comment):
            text = str(action.args[0]) if action.args else ""
            if text.startswith("commands from package"):
                inside = True
            elif "post system setup" in text:
                inside = False
        elif inside and isinstance(action, REX_TYPES):
            out.append([type(action).__name__] + [str(a) for a in action.args])
    return out


result = []
for name, version in wanted:
    package = get_package(name, version, paths=[repo])
    data = {}
    for key, value in package.data.items():
        data[key] = value.source if hasattr(value, "source") else value
    entry = {
        "name": package.name,
        "version": str(package.version),
        "timestamp": package.timestamp,
        "description": package.description,
        "requires": None if package.requires is None else [str(r) for r in package.requires],
        "variants": [[str(r) for r in v] for v in package.data.get("variants", [])],
        "tools": package.tools,
        "help": package.help,
        "data": data,
    }
    if with_actions:
        entry["actions"] = actions(name, version)
    result.append(entry)
json.dump(result, sys.stdout, default=repr)
"""


@pytest.fixture
def rez_load(rez_env: dict[str, str]) -> Callable[..., list[dict[str, Any]]]:
    """Load packages with rez 3.4 (in a child process) and return what rez sees, as JSON.

    ``rez_load(repo, [(name, version), ...], actions=False)`` returns one dict per package:
    ``name``, ``version``, ``timestamp``, ``description``, ``requires``, ``variants``,
    ``tools``, ``help``, ``data`` (raw attributes; functions as their source) and, with
    ``actions=True``, the rex actions of its ``commands()`` as ``[type, *args]`` lists.
    """

    def load(
        repo: Path, packages: Sequence[tuple[str, str]], *, actions: bool = False
    ) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _LOAD_SCRIPT,
                str(repo),
                json.dumps([list(p) for p in packages]),
                "1" if actions else "0",
            ],
            env=rez_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        loaded: list[dict[str, Any]] = json.loads(proc.stdout)
        return loaded

    return load
