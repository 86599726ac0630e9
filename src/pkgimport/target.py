"""Resolve targets: the kind of machine a resolve pretends to run on (``--target``).

A Linux host can check the Windows and macOS variants it imported by resolving as such a
machine would: with that machine's implicit packages (``~platform==windows ~arch==AMD64
~os==windows-10.0``) and, where the repositories have none, synthetic ``platform``, ``arch``,
``os`` (and, when a Python version is given, ``python``) packages shaped like the ones
``rez-bind`` creates there (:mod:`pkgimport.bind`).

``PLATFORM[/ARCH[/PYTHON[/OS]]]``: ``windows``, ``windows/AMD64/3.11``, ``osx/arm64``,
``linux//3.12`` (an empty part keeps its default). Architectures are spelled as rez spells
them on that platform (``AMD64`` on Windows, ``x86_64`` on Linux); common aliases are
accepted. rez's ``platform_map`` applies to the target's architecture and OS names as it
would on that machine.

>>> from pkgimport.platform_ import HostSystem
>>> host = HostSystem(platform="linux", arch="x86_64", os="Debian-12")
>>> target = parse_target("windows/amd64/3.11", host=host, platform_map={})
>>> str(target), target.os
('windows/AMD64/3.11', 'windows-10.0')
>>> [p.qualified_name for p in synthetic_definitions(target)]
['platform-windows', 'arch-AMD64', 'os-windows-10.0', 'python-3.11']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pkgimport.bind import bind_arch, bind_os, bind_platform
from pkgimport.definition import PackageDefinition
from pkgimport.errors import InvalidVersion, PkgImportError
from pkgimport.platform_ import HostSystem, make_safe_version_string, map_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pkgimport.resolver.provider import PackageData

__all__ = [
    "DEFAULT_ARCH",
    "DEFAULT_OS",
    "TARGET_HELP",
    "Target",
    "import_target",
    "parse_target",
    "synthetic_definitions",
    "synthetic_package_data",
    "target_implicits",
]


def __dir__() -> list[str]:
    return __all__


TARGET_HELP = "PLATFORM[/ARCH[/PYTHON[/OS]]], e.g. windows, windows/AMD64/3.11, osx/arm64"

DEFAULT_ARCH = {"windows": "AMD64", "linux": "x86_64", "osx": "arm64"}
"""The architecture of a target that names none (a platform other than the host's)."""

DEFAULT_OS = {"windows": "windows-10.0", "linux": "Linux", "osx": "osx-14.0"}
"""The OS name of a target that names none: what ``rez-bind os`` calls a typical machine
(``windows-`` + ``platform.win32_ver()`` version, ``osx-`` + ``platform.mac_ver()``)."""

_PLATFORM_ALIASES = {
    "windows": "windows",
    "win": "windows",
    "win32": "windows",
    "linux": "linux",
    "osx": "osx",
    "macos": "osx",
    "darwin": "osx",
    "mac": "osx",
}

_ARCH_ALIASES: dict[str, dict[str, str]] = {
    "windows": {"amd64": "AMD64", "x86_64": "AMD64", "x64": "AMD64", "arm64": "ARM64",
                "aarch64": "ARM64", "x86": "x86", "i686": "x86", "i386": "x86"},
    "linux": {"amd64": "x86_64", "x86_64": "x86_64", "x64": "x86_64", "arm64": "aarch64",
              "aarch64": "aarch64", "i686": "i686", "i386": "i686", "x86": "i686"},
    "osx": {"amd64": "x86_64", "x86_64": "x86_64", "x64": "x86_64", "arm64": "arm64",
            "aarch64": "arm64"},
}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """One kind of machine, named as rez names it there."""

    platform: str
    """``windows``, ``linux`` or ``osx``."""
    arch: str
    """rez's ``system.arch`` there (``AMD64``, ``x86_64``, ``arm64``...)."""
    os: str
    """rez's ``system.os`` there (``windows-10.0``...)."""
    python: str | None = None
    """A Python version to stand in for (``3.11``); ``None``: no synthetic ``python``."""

    @property
    def system(self) -> HostSystem:
        """The names as a :class:`~pkgimport.platform_.HostSystem` (for implicit packages)."""
        return HostSystem(platform=self.platform, arch=self.arch, os=self.os)

    def __str__(self) -> str:
        return "/".join([self.platform, self.arch, *([self.python] if self.python else [])])


def _bad(text: str, why: str) -> PkgImportError:
    return PkgImportError(f"invalid target {text!r}: {why}", hint=f"use {TARGET_HELP}")


def _checked_version(text: str, part: str, what: str) -> str:
    from pkgimport.resolver.versions import Version  # noqa: PLC0415 - light, but not at start-up

    try:
        Version(part)
    except InvalidVersion:
        raise _bad(text, f"{what} {part!r} is not a rez version") from None
    return part


def parse_target(
    text: str,
    *,
    host: HostSystem | None = None,
    platform_map: Mapping[str, Mapping[str, str]] | None = None,
) -> Target:
    """Parse ``PLATFORM[/ARCH[/PYTHON[/OS]]]``.

    Parts not given are the host's when the platform is the host's, else
    :data:`DEFAULT_ARCH` / :data:`DEFAULT_OS`. Architecture and OS names other than the
    host's are mapped with *platform_map* and made version-safe, as rez does with the names
    a machine reports.

    :param host: this machine (default: probed, with the rez configuration's ``platform_map``).
    :param platform_map: rez's setting (default: the rez configuration's).
    :raises PkgImportError: unknown platform, a part that is no rez version, too many parts.
    """
    parts = text.strip().split("/")
    if len(parts) > 4:
        raise _bad(text, "too many parts")
    parts += [""] * (4 - len(parts))
    platform = _PLATFORM_ALIASES.get(parts[0].strip().lower())
    if platform is None:
        raise _bad(text, "the platform must be windows, linux or osx")
    arch_text, python, os_text = (p.strip() for p in parts[1:])
    if platform_map is None:
        from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - only for --target

        platform_map = rez_config().get("platform_map")
    if host is None and not (arch_text and os_text):
        from pkgimport.platform_ import host_platform, host_system  # noqa: PLC0415

        # Probing the OS costs a subprocess: only for a target on the host's platform.
        if platform == host_platform():
            host = host_system(platform_map)
    is_host = host is not None and host.platform == platform
    if arch_text:
        arch_raw = _ARCH_ALIASES[platform].get(arch_text.lower(), arch_text)
        arch = make_safe_version_string(map_name(arch_raw, platform_map.get("arch")))
    elif is_host and host is not None:
        arch = host.arch
    else:
        arch = make_safe_version_string(map_name(DEFAULT_ARCH[platform], platform_map.get("arch")))
    if os_text:
        os_ = make_safe_version_string(map_name(os_text, platform_map.get("os")))
    elif is_host and host is not None:
        os_ = host.os
    else:
        os_ = make_safe_version_string(map_name(DEFAULT_OS[platform], platform_map.get("os")))
    if not arch or not os_:
        raise _bad(text, "empty architecture or OS name")
    return Target(
        platform=platform,
        arch=_checked_version(text, arch, "architecture"),
        os=_checked_version(text, os_, "OS"),
        python=_checked_version(text, python, "Python version") if python else None,
    )


def import_target(
    platform: str, arch: str, python: str | None = None, *, host: HostSystem | None = None
) -> Target:
    """Return the machine an importer's target stands for, named as the importers name it.

    Importers write variants with rez's plain names (``arch-AMD64``), so no ``platform_map``
    applies here; the OS is the host's on the host's platform (its bound ``os`` package),
    else :data:`DEFAULT_OS`.

    :param host: this machine (default: probed).
    """
    if host is None:
        from pkgimport.platform_ import host_platform, host_system  # noqa: PLC0415

        # Probing the OS costs a subprocess: only for a target on the host's platform.
        if platform != host_platform():
            return Target(platform=platform, arch=arch, os=DEFAULT_OS[platform], python=python)
        host = host_system()
    os_ = host.os if platform == host.platform else DEFAULT_OS[platform]
    return Target(platform=platform, arch=arch, os=os_, python=python)


def target_implicits(target: Target) -> tuple[str, ...]:
    """Return rez's default implicit packages on *target*: ``~platform==X ~arch==Y ~os==Z``.

    What verification adds (the user's own ``implicit_packages`` may name packages only
    other repositories hold; ``--target`` resolves use them).

    >>> target_implicits(Target(platform="windows", arch="AMD64", os="windows-10.0"))
    ('~platform==windows', '~arch==AMD64', '~os==windows-10.0')
    """
    return (f"~platform=={target.platform}", f"~arch=={target.arch}", f"~os=={target.os}")


def synthetic_definitions(target: Target) -> tuple[PackageDefinition, ...]:
    """Return the packages ``rez-bind`` would create on a *target* machine, without payloads.

    ``platform``, ``arch`` and ``os`` (requiring its platform and arch) as rez-bind makes them;
    ``python`` (only when the target names a version) with rez-bind's one variant
    ``[platform-X, arch-Y, os-Z]`` and no interpreter.
    """
    system = target.system
    metadata = {"synthetic": {"target": str(target)}}
    out = [
        d.evolve(metadata=metadata)
        for d in (bind_platform(system), bind_arch(system), bind_os(system))
    ]
    if target.python:
        out.append(
            PackageDefinition(
                name="python", version=target.python, variants=(system.variant,), metadata=metadata
            )
        )
    return tuple(out)


def synthetic_package_data(target: Target) -> tuple[PackageData, ...]:
    """:func:`synthetic_definitions` as the solver sees them."""
    from pkgimport.resolver.provider import PackageData  # noqa: PLC0415 - see the imports

    return tuple(
        PackageData(
            name=d.name,
            version=d.version,
            requires=d.requires,
            variants=d.variants or None,
        )
        for d in synthetic_definitions(target)
    )
