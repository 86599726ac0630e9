"""Build a Scoop package's environment with rez 3.4 and with pkgimport, from the same parent.

Used by the tests of per-architecture environments and persisted data: both read the
``commands()`` pkgimport wrote (and pkgimport also runs the structured steps it came from), so
each test can assert that rez, pkgimport and the expected values agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from pkgimport.repository._package_py import render_package_py
from pkgimport.repository._reader import read_package_file
from pkgimport.resolver.environment import (
    ContextInfo,
    EnvironmentOptions,
    ResolvedPackage,
    build_environment,
)
from tests.importers.scoop.scoop_testlib import write_bind_packages

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pkgimport.definition import PackageDefinition

# rez in a child process, as the other Scoop tests run it (its caches and plugin warnings stay
# out of the test process); the parent environment is exactly the one given.
_REZ_ENV = r"""
import json, sys
from rez.resolved_context import ResolvedContext

repo, request, parent = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
context = ResolvedContext(request, package_paths=[repo], add_implicit_packages=False)
assert context.success, context.failure_description
print(json.dumps({
    "resolved": [v.qualified_package_name + "[" + str(v.index) + "]"
                 for v in context.resolved_packages],
    "env": context.get_environ(parent_environ=parent),
}))
"""


def write_package(repo: Path, definition: PackageDefinition) -> Path:
    """Write *definition*'s package.py (and rez-bind's platform/arch packages) into *repo*."""
    write_bind_packages(repo)
    folder = repo / definition.name / definition.version
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "package.py"
    path.write_text(render_package_py(definition), encoding="utf-8")
    return path


def rez_environ(repo: Path, request: list[str], parent: Mapping[str, str]) -> dict[str, object]:
    """Resolve *request* in *repo* with rez 3.4; ``{"resolved": [...], "env": {...}}``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REZ_")}
    config = repo.parent / f"{repo.name}-rezconfig.py"
    config.write_text("")
    env["REZ_CONFIG_FILE"] = str(config)
    args = [sys.executable, "-c", _REZ_ENV, str(repo), json.dumps(request), json.dumps(parent)]
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, object] = json.loads(result.stdout)
    return data


def pkgimport_environ(
    definition: PackageDefinition, index: int, root: str, parent: Mapping[str, str]
) -> dict[str, str]:
    """Run one variant's ``commands()`` with pkgimport's own environment builder."""
    package = ResolvedPackage(definition=definition, index=index, root=root, base=root)
    environment = build_environment(
        ContextInfo(requests=(definition.name,), timestamp=0),
        [package],
        parent_environ=dict(parent),
        options=EnvironmentOptions(system_paths=(), rez_used=""),
    )
    return dict(environment.variables)


def both_environs(
    path: Path, definition: PackageDefinition, index: int, root: str, parent: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """pkgimport's environment from the structured steps and from the package.py at *path*."""
    structured = pkgimport_environ(definition, index, root, parent)
    from_file = pkgimport_environ(read_package_file(path), index, root, parent)
    return structured, from_file
