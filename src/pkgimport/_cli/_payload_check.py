"""The payload check of ``pkgimport pypi`` (issue 12, item 8): the import works, not only resolves.

For each new package of a host target, before the commit: resolve it with ``python`` as the
verification does, build the environment the resolved packages set up (the bundled rez-env,
:mod:`pkgimport.resolver.environment`), then

1. import every top-level module of the package in an isolated interpreter
   (``python -I -S -B``: no user or site-packages, no bytecode written into shared payloads;
   only the environment's ``PYTHONPATH`` is prepended to the standard library), and show
   that each came from the variant's root:
   a bound interpreter's own site-packages must not make a broken payload look fine. A
   module that raises a plain ``ImportError`` of its own (Qt.py without a Qt binding, which
   the user chooses) or needs a module from outside the package that none of its
   requirements brings (a mypy plugin, an undeclared dependency) is a warning, as pip
   installs it too; its own files missing, broken code, or a module found elsewhere is a
   refusal;
2. run every console script the package adds with ``--help``: a traceback that shows the
   script's own code missing or broken (its entry point, its package's own modules) fails
   the check; one raised by that code on its own terms (a missing extra, a program another
   wheel ships) is a warning, as pip installs such a script too; a script without
   ``--help`` (any other exit) passes.

New payloads are read where the importer built them (the staged files are hard links to those,
or copies); packages already in the repository from where they are installed. The checks run
side by side, one child interpreter each, and a passed check is kept in the user cache under
the identity of what it read (content-addressed payloads, the interpreter), so importing the
same payloads again, into another repository, does not check them again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pkgimport.definition import ImportedPackage, PackageDefinition
    from pkgimport.importers.pypi import ImportPlan
    from pkgimport.importers.pypi._target import TargetPlatform
    from pkgimport.repository._transaction import TransactionView
    from pkgimport.resolver.context import ContextVariant
    from pkgimport.resolver.provider import PackageProvider
    from pkgimport.resolver.solver import ResolvedVariant

__all__ = ["check_payloads", "top_level_modules"]

_TIMEOUT = 120.0
"""Seconds one import run or one ``--help`` may take."""

# Run by the resolved interpreter with -I -S; argv[1]: {"path": [...], "modules": [[m, root]]}.
_IMPORT_SCRIPT = """\
import importlib, json, os, sys
spec = json.loads(sys.argv[1])
sys.path[:0] = spec["path"]
bad = {}
for module, root in spec["modules"]:
    try:
        mod = importlib.import_module(module)
    except BaseException as exc:
        missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        bad[module] = [type(exc).__name__, f"{type(exc).__name__}: {exc}", missing or ""]
        continue
    seen = [getattr(mod, "__file__", None), *list(getattr(mod, "__path__", None) or [])]
    seen = [os.path.realpath(f) for f in seen if f]
    top = os.path.realpath(root)
    if not any(f == top or f.startswith(top + os.sep) for f in seen):
        where = seen[0] if seen else "nowhere"
        bad[module] = ["outside", "imported from " + where + ", not from " + root, ""]
print(json.dumps(bad))
"""

_EXTENSION_SUFFIXES = (".so", ".pyd")

_BROKEN_PAYLOAD = frozenset({"AttributeError", "SyntaxError", "IndentationError", "TabError"})
"""What a console script raises when its entry point is missing from its code, or broken."""
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_MISSING_MODULE = re.compile(r"No module named '([^']+)'|cannot import name '[^']+' from '([^']+)'")


def _is_broken(last: str, own: set[str]) -> bool:
    """Tell whether a console script's last traceback line shows its own payload broken.

    A missing or broken entry point, or an import of the package's own modules that fails, is
    a broken payload; a plain ``ImportError`` of the script's own making (black's ``blackd``
    without its ``[d]`` extra) or a module from outside is how pip installs it too.
    """
    kind = last.split(":", 1)[0].rsplit(".", 1)[-1]
    if kind in _BROKEN_PAYLOAD:
        return True
    if kind in _IMPORT_ERRORS:
        match = _MISSING_MODULE.search(last)
        missing = next((g for g in match.groups() if g), "") if match else ""
        return missing.split(".")[0] in own
    return False


def top_level_modules(python_dir: Path) -> list[str]:
    """Return the importable top-level modules of a payload's ``python`` folder, sorted.

    Packages, modules and extension modules; a namespace folder (no ``__init__.py``) stands
    for the packages inside it (``zope`` → ``zope.interface``).
    """
    out: set[str] = set()
    if not python_dir.is_dir():
        return []
    for entry in python_dir.iterdir():
        name = entry.name
        if entry.is_dir():
            if not name.isidentifier():
                continue  # *.dist-info, *.data, __pycache__ is an identifier: skipped below
            if name == "__pycache__":
                continue
            if (entry / "__init__.py").is_file():
                out.add(name)
            else:
                out.update(f"{name}.{sub}" for sub in top_level_modules(entry))
        elif name.endswith(".py") and name[:-3].isidentifier():
            out.add(name[:-3])
        elif name.endswith(_EXTENSION_SUFFIXES) and name.split(".")[0].isidentifier():
            out.add(name.split(".")[0])
    return sorted(out)


def check_payloads(
    plan: ImportPlan,
    view: TransactionView,
    provider: PackageProvider,
    imported: Sequence[ImportedPackage],
    *,
    warn: Callable[[str], None] = lambda _text: None,
) -> list[str]:
    """Check every new package of the plan's host targets; return what was checked.

    :param provider: the staged repository as the solver sees it (what the verification uses).
    :param imported: every package added to the transaction, the bound ones included.
    :param warn: told of a console script whose own code fails (the payload is complete).
    :raises PkgImportError: a module does not import, or not from its package, or a console
        script fails (the transaction then rolls back).
    """
    from pkgimport.platform_ import host_system  # noqa: PLC0415 - only when checking
    from pkgimport.resolver.context import resolve_context  # noqa: PLC0415
    from pkgimport.resolver.environment import EnvironmentOptions  # noqa: PLC0415
    from pkgimport.resolver.solver import Solver  # noqa: PLC0415

    sources = {
        (p.definition.name, p.definition.version, _variant(p.definition, i)): path
        for p in imported
        for i, path in p.payloads.items()
    }

    def locate(resolved: ResolvedVariant) -> tuple[str, str]:
        definition = view.load(resolved.name, resolved.version)
        variant = definition.variants[resolved.index] if resolved.index is not None else ()
        record = view.get_record(resolved.name, resolved.version)
        if record is None:
            raise PkgImportError(f"package {resolved.name}-{resolved.version} vanished")
        installed = view.variant_root(record, resolved.index)
        root = sources.get((resolved.name, resolved.version, variant), installed)
        base = Path(record.location) / record.name
        return str(root), str(base / record.version if record.version else base)

    class _Loader:
        def load(self, variant: ContextVariant) -> PackageDefinition:
            return view.load(variant.name, variant.version)

    host = host_system()
    solver = Solver(provider)

    def job_for(names: Sequence[str], target: TargetPlatform) -> _Job | None:
        """Resolve *names* (new packages) together with the target's python; build the check."""
        packages = [p for p in plan.packages if p.definition.qualified_name in names]
        context = resolve_context(
            [
                *(f"{p.definition.name}=={p.definition.version}" for p in packages),
                f"python-{target.python_version}",
            ],
            solver=solver,
            locate=locate,
            implicit_packages=[f"~platform=={target.platform}", f"~arch=={target.arch}"],
            host=host,
        )
        if not context.is_solved:
            if len(packages) > 1:
                return None
            raise PkgImportError(
                f"check failed: {names[0]} with python-{target.python_version} does not "
                f"resolve: {context.failure_description}",
                hint="nothing was written; --no-check imports without this check",
            )
        env = context.environment(_Loader(), options=EnvironmentOptions(), system=host)
        variables = env.apply(os.environ)
        roots = {v.name: v.root for v in context.variants}
        members = tuple(
            _Member(
                name=p.definition.qualified_name,
                root=Path(roots[p.definition.name]),
                tools=tuple(view.load(p.definition.name, p.definition.version).tools),
            )
            for p in packages
        )
        closure = [(v.name, v.version, v.root) for v in context.variants]
        return _Job(
            labels=tuple(f"{m.name} for {target}" for m in members),
            members=members,
            variables=variables,
            key=_job_key(closure, members, variables),
        )

    jobs: list[_Job] = []
    for target in (t for t in plan.targets if t.is_host):
        new = [
            p.definition.qualified_name
            for p in plan.packages
            if p.status.get(target, "reused") != "reused"
        ]
        if not new:
            continue
        # All of one target's new packages in one environment, one interpreter: an import
        # installs them together. Packages that cannot be resolved together: one by one.
        joint = job_for(new, target)
        if joint is not None:
            jobs.append(joint)
            continue
        for name in new:
            job = job_for([name], target)
            if job is not None:
                jobs.append(job)
    _run_jobs(jobs, warn)
    return [label for job in jobs for label in job.labels]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Member:
    """One new package in a check: where its payload is, and its console scripts."""

    name: str
    root: Path
    tools: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Job:
    """One check: new packages' modules and console scripts in their resolved environment."""

    labels: tuple[str, ...]
    members: tuple[_Member, ...]
    variables: dict[str, str]
    key: str
    """What the result depends on (see :func:`_job_key`): a passed check is kept under it."""


_KEY_FORMAT = 1
_BOUND = frozenset({"platform", "arch", "os", "python"})


def _job_key(
    closure: Sequence[tuple[str, str, str]], members: Sequence[_Member], env: dict[str, str]
) -> str:
    """Return the identity of a check's inputs, the same across imports of the same payloads.

    New payloads are checked where the importer built them, the content-addressed payload
    cache, which is never modified: the roots of the closure, the interpreter (path, size and
    mtime) and the tools fix the result. The bound system packages are named by version only
    (each import binds them afresh); their interpreter stands for them.
    """
    python = shutil.which("python", path=env.get("PATH", "")) or ""
    try:
        real = os.path.realpath(python)
        st = Path(real).stat()
        interpreter = [real, st.st_size, st.st_mtime_ns]
    except OSError:
        interpreter = [python, 0, 0]
    parts = [
        _KEY_FORMAT,
        interpreter,
        sorted([n, v, "" if n in _BOUND else os.path.realpath(r)] for n, v, r in closure),
        [[m.name, os.path.realpath(m.root), list(m.tools)] for m in members],
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _checks_dir() -> Path:
    import platformdirs  # noqa: PLC0415 - only when checking

    return Path(platformdirs.user_cache_dir("pkgimport")) / "checks"


def _run_job(job: _Job) -> tuple[list[str], PkgImportError | None]:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only when checking

    warnings: list[str] = []
    try:
        _check_imports(job.members, job.variables, warnings.append)
        scripts = [(m, tool) for m in job.members for tool in m.tools]

        def check(script: tuple[_Member, str]) -> str:
            return _check_tool(script[0], script[1], job.variables)

        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            found = list(pool.map(check, scripts))
        warnings += [w for w in found if w]
    except PkgImportError as exc:
        return warnings, exc
    return warnings, None


def _kept(folder: Path, key: str) -> list[str] | None:
    """Return the warnings of a check that passed before under *key*, ``None`` if none did."""
    try:
        kept = json.loads((folder / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return [str(w) for w in kept] if isinstance(kept, list) else None


def _run_jobs(jobs: Sequence[_Job], warn: Callable[[str], None]) -> None:
    """Run the checks not passed before, side by side; report in order; keep what passed.

    :raises PkgImportError: the first check (in the plan's order) that failed.
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only when checking

    folder = _checks_dir()
    results: dict[str, tuple[list[str], PkgImportError | None]] = {}
    todo: list[_Job] = []
    for job in jobs:
        kept = _kept(folder, job.key)
        if kept is None:
            todo.append(job)
        else:
            results[job.key] = (kept, None)
    # Each check is a child interpreter: run them on every core.
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for job, result in zip(todo, pool.map(_run_job, todo), strict=True):
            results[job.key] = result
    for job in jobs:
        warnings, error = results[job.key]
        for text in warnings:
            warn(text)
        if error is not None:
            raise error
    for job in todo:
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / f"{job.key}.{os.getpid()}.tmp"
            temporary.write_text(json.dumps(results[job.key][0]), encoding="utf-8")
            temporary.replace(folder / f"{job.key}.json")


def _variant(definition: PackageDefinition, index: int) -> tuple[str, ...]:
    return definition.variants[index] if definition.variants else ()


def _check_imports(
    members: Sequence[_Member], variables: dict[str, str], warn: Callable[[str], None]
) -> None:
    """Import every top-level module of *members* in one isolated interpreter.

    :raises PkgImportError: for the first member whose payload is broken (see the module doc).
    """
    owner = {
        module: member for member in members for module in top_level_modules(member.root / "python")
    }
    if not owner:
        return
    python = shutil.which("python", path=variables.get("PATH", ""))
    if python is None:
        raise PkgImportError(
            f"check failed: {members[0].name}: no python on the PATH of its environment",
            hint="bind one (pkgimport bind python), or import with --no-check",
        )
    path = [p for p in variables.get("PYTHONPATH", "").split(os.pathsep) if p]
    spec = json.dumps({"path": path, "modules": [[m, str(o.root)] for m, o in owner.items()]})
    proc = subprocess.run(
        [python, "-I", "-S", "-B", "-c", _IMPORT_SCRIPT, spec],
        env=variables,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )
    try:
        found: dict[str, list[str]] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        stderr = proc.stderr.strip()[-500:] or f"exit status {proc.returncode}"
        raise PkgImportError(
            f"check failed: {', '.join(m.name for m in members)}: the interpreter failed: {stderr}",
            hint="nothing was written; --no-check imports without this check",
        ) from None
    bad: dict[str, dict[str, str]] = {}
    for module, (kind, why, missing) in sorted(found.items()):
        member = owner[module]
        own = {m.split(".")[0] for m, o in owner.items() if o is member}
        if kind in {"ImportError", "ModuleNotFoundError"} and missing.split(".")[0] not in own:
            # The package's code refuses on its own terms (Qt.py without a binding the user
            # picks), or needs a module none of its requirements brings (an optional plugin,
            # an undeclared dependency): pip installs it the same way.
            warn(f"{member.name}: 'import {module}' failed ({why}); imported anyway, as pip would")
        else:
            # Its own files are missing or broken, or it was found elsewhere.
            bad.setdefault(member.name, {})[module] = why
    for member in members:
        if member.name in bad:
            problems = "; ".join(f"{m}: {why}" for m, why in sorted(bad[member.name].items()))
            raise PkgImportError(
                f"check failed: {member.name} does not import in its environment "
                f"({python} -I -S): {problems}",
                hint="nothing was written; --no-check imports without this check",
            )


def _check_tool(member: _Member, tool: str, variables: dict[str, str]) -> str:
    """Run one console script with ``--help``; return a warning, or ``""``.

    :raises PkgImportError: the script is missing, or its own code is (see :func:`_is_broken`).
    """
    name = member.name
    exe = shutil.which(tool, path=variables.get("PATH", ""))
    if exe is None:
        raise PkgImportError(
            f"check failed: {name}: console script {tool!r} is not on its PATH",
            hint="nothing was written; --no-check imports without this check",
        )
    proc = subprocess.run(
        [exe, "--help"],
        # No bytecode written: the payload is shared (hard links, the payload cache).
        env={**variables, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if "Traceback (most recent call last)" not in proc.stderr:
        return ""
    last = proc.stderr.strip().splitlines()[-1]
    own = {m.split(".")[0] for m in top_level_modules(member.root / "python")}
    if _is_broken(last, own):
        raise PkgImportError(
            f"check failed: {name}: '{tool} --help' failed: {last}",
            hint="nothing was written; --no-check imports without this check",
        )
    # The script loaded its code, which then failed on its own terms (PySide6's
    # 'pyside6-balsam' runs a program only PySide6-Addons ships; black's 'blackd' needs
    # its '[d]' extra): pip installs it so.
    return f"{name}: '{tool} --help' failed ({last}); imported anyway, as pip would"
