"""Helpers for ``--target`` tests: rez given the same implicit packages and stub packages.

A ``--target`` resolve adds the target's synthetic ``platform``/``arch``/``os``/``python``
packages; rez is given the same packages as real files (written with pkgimport's own
``package.py`` writer, from :func:`pkgimport.target.synthetic_definitions`) in a repository of
their own, and the target's implicit packages as a rez user gives them
(``$REZ_IMPLICIT_PACKAGES``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from pkgimport.repository._package_py import render_package_py
from pkgimport.target import synthetic_definitions

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pkgimport.target import Target

_REZ_SCRIPT = r"""
import json, sys
from rez.resolved_context import ResolvedContext
out = []
for request in json.loads(sys.argv[1]):
    try:
        context = ResolvedContext(request, package_paths=json.loads(sys.argv[2]))
    except Exception as exc:
        out.append({"status": "error", "error": "%s: %s" % (type(exc).__name__, exc)})
        continue
    out.append({
        "status": context.status.name,
        "resolved": ["%s[%s]" % (v.qualified_package_name, "" if v.index is None else v.index)
                     for v in context.resolved_packages or []],
        "implicits": [str(r) for r in context.implicit_packages],
        "failure": context.failure_description,
    })
print(json.dumps(out))
"""


def write_stub_repo(target: Target, root: Path) -> Path:
    """Write the target's synthetic packages as real ``package.py`` files under *root*."""
    for definition in synthetic_definitions(target):
        folder = root / definition.name / definition.version
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.py").write_text(render_package_py(definition), encoding="utf-8")
    return root


def rez_resolve(
    requests: Sequence[Sequence[str]],
    paths: Sequence[Path],
    implicits: Sequence[str],
    rez_env: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Resolve each request with rez 3.4's ``ResolvedContext`` in a child process."""
    env = {**rez_env, "REZ_IMPLICIT_PACKAGES": " ".join(implicits), "HOME": os.environ["HOME"]}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _REZ_SCRIPT,
            json.dumps([list(r) for r in requests]),
            json.dumps([str(p) for p in paths]),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results
