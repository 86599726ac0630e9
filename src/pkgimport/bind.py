"""The rez-bind system packages: ``platform``, ``arch``, ``os`` and ``python``.

rez's implicit request (``~platform==linux ~arch==x86_64 ~os==Debian-12``) and most variants
refer to these packages; ``rez-bind`` creates them from the host. pkgimport builds the same
definitions (``rez/bind/platform.py``, ``arch.py``, ``os.py``, ``python.py``): the first three
are empty packages versioned by the host's names, ``os`` requiring the ``platform`` and
``arch`` it belongs to; ``python`` is one variant per system (``platform-X``, ``arch-Y``,
``os-Z``) whose ``bin/python`` links to a real interpreter.

The host is a default argument: tests and cross-binding pass a :class:`HostSystem`.

>>> from pkgimport.platform_ import HostSystem
>>> host = HostSystem(platform="linux", arch="x86_64", os="Debian-12")
>>> bind_os(host).requires
('platform-linux', 'arch-x86_64')
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Literal, get_args

from pkgimport.definition import Action, ImportedPackage, PackageDefinition
from pkgimport.errors import PkgImportError
from pkgimport.platform_ import HostSystem, host_system

__all__ = [
    "BIND_TARGETS",
    "BindError",
    "BindTarget",
    "bind_arch",
    "bind_os",
    "bind_platform",
    "bind_python",
    "interpreter_version",
    "site_packages",
    "site_packages_warning",
]


def __dir__() -> list[str]:
    return __all__


BindTarget = Literal["platform", "arch", "os", "python"]
"""What ``pkgimport bind`` can create."""

BIND_TARGETS: tuple[BindTarget, ...] = get_args(BindTarget)
"""Every :data:`BindTarget`, in the order rez's implicit packages name them."""

_VERSION_CODE = "import sys; print('.'.join(str(x) for x in sys.version_info))"


class BindError(PkgImportError):
    """An interpreter to bind cannot be found or run (a leaf kept here: only bind raises it)."""


def _metadata(target: str) -> dict[str, object]:
    return {"bind": {"target": target}}


def bind_platform(host: HostSystem | None = None) -> PackageDefinition:
    """``platform-<name>`` (rez-bind platform): no requirements, no payload.

    >>> bind_platform(HostSystem(platform="linux", arch="x86_64", os="Debian-12")).version
    'linux'
    """
    host = host or host_system()
    return PackageDefinition(name="platform", version=host.platform, metadata=_metadata("platform"))


def bind_arch(host: HostSystem | None = None) -> PackageDefinition:
    """``arch-<machine>`` (rez-bind arch): no requirements, no payload."""
    host = host or host_system()
    return PackageDefinition(name="arch", version=host.arch, metadata=_metadata("arch"))


def bind_os(host: HostSystem | None = None) -> PackageDefinition:
    """``os-<distribution-release>`` (rez-bind os), requiring its platform and arch."""
    host = host or host_system()
    return PackageDefinition(
        name="os",
        version=host.os,
        requires=(f"platform-{host.platform}", f"arch-{host.arch}"),
        metadata=_metadata("os"),
    )


_SITE_CODE = """\
import json, os, site
found = {}
for folder in site.getsitepackages():
    if os.path.isdir(folder):
        names = sorted(n.split("-")[0] for n in os.listdir(folder) if n.endswith(".dist-info"))
        names = [n for n in names if n.lower() not in ("pip", "setuptools", "wheel")]
        if names:
            found[folder] = names
print(json.dumps(found))
"""


def site_packages(exe: Path) -> dict[str, list[str]]:
    """Return the non-empty site-packages folders of *exe*, each with its distributions.

    Everything there is importable in every rez environment that uses the bound interpreter,
    whatever its packages request (pip, setuptools and wheel are left out: every venv has
    them). ``{}`` when *exe* cannot say.
    """
    try:
        proc = subprocess.run(
            [str(exe), "-c", _SITE_CODE], capture_output=True, text=True, check=False, timeout=60
        )
        found = json.loads(proc.stdout) if proc.returncode == 0 else {}
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    return {str(k): [str(n) for n in v] for k, v in dict(found).items()}


def site_packages_warning(exe: Path) -> str | None:
    """Return the warning for binding *exe* when its site-packages hold distributions."""
    found = site_packages(exe)
    if not found:
        return None
    count = sum(len(v) for v in found.values())
    names = sorted({n for v in found.values() for n in v})
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return (
        f"the interpreter {str(exe)!r} has a non-empty site-packages ({', '.join(found)}: "
        f"{count} distribution(s): {shown}); they are importable in every rez environment "
        "that uses this python, whatever its packages request; bind a clean interpreter "
        "(python -m venv --without-pip, or the system's python) to keep them out"
    )


def interpreter_version(exe: Path) -> str:
    """Return the version of the Python interpreter *exe*, capped at 3 parts as rez-bind does.

    :raises BindError: *exe* does not exist or does not run.

    >>> interpreter_version(Path(sys.executable)).count(".")
    2
    """
    if not exe.is_file():
        raise BindError(f"no interpreter at {str(exe)!r}", hint="pass an existing --exe path")
    try:
        proc = subprocess.run(
            [str(exe), "-c", _VERSION_CODE], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BindError(f"cannot run {str(exe)!r}: {exc}", hint="pass a working --exe") from None
    if proc.returncode != 0:
        raise BindError(
            f"{str(exe)!r} failed (exit code {proc.returncode}): {proc.stderr.strip()[-200:]}",
            hint="pass a working Python interpreter with --exe",
        )
    line = proc.stdout.strip().split("\n")[0].strip()
    tokens = line.replace(".", " ").replace("-", " ").split()
    return ".".join(tokens[:3])


def bind_python(
    exe: Path | None = None,
    *,
    workdir: Path,
    host: HostSystem | None = None,
    version: str | None = None,
) -> ImportedPackage:
    """``python-X.Y.Z`` (rez-bind python) for the interpreter *exe* (default: this one).

    One variant ``[platform-X, arch-Y, os-Z]`` whose root holds ``bin/python``, a symlink to
    *exe*; ``commands()`` appends ``{root}/bin`` to ``PATH`` (rez-bind's
    ``env.PATH.append('{this.root}/bin')``). rez-bind also copies the standard library for a
    ``post_commands`` PYTHONPATH; the interpreter finds its own library, so pkgimport does not.

    :param workdir: an empty folder for the payload (it is copied at commit).
    :param version: skip running *exe* and use this version.
    :raises BindError: *exe* cannot be run.
    """
    host = host or host_system()
    # Absolute but not resolved: a venv's python must stay the venv's python.
    exe = Path(exe if exe is not None else sys.executable).absolute()
    version = version or interpreter_version(exe)
    payload = workdir / "python"
    (payload / "bin").mkdir(parents=True, exist_ok=True)
    link = payload / "bin" / "python"
    if link.is_symlink() or link.exists():
        link.unlink()
    try:
        link.symlink_to(exe)
    except OSError as exc:
        raise BindError(
            f"cannot create a symlink to {str(exe)!r}: {exc.strerror}",
            hint="bind on a filesystem that supports symlinks",
        ) from None
    definition = PackageDefinition(
        name="python",
        version=version,
        tools=("python",),
        variants=(host.variant,),
        commands=(Action.append("PATH", "{root}/bin"),),
        metadata={"bind": {"target": "python", "exe": str(exe)}},
    )
    return ImportedPackage(definition=definition, payloads={0: payload})
