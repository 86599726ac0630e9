"""Import targets: one Python ``X.Y`` x one platform x one architecture.

A :class:`TargetPlatform` gives the PEP 508 marker environment and the wheel tags of that
target, never the host's (pip's ``--platform`` keeps the host's markers, pypa/pip#11664), so
one machine can import for every target. Host probing is only a default (:meth:`host`).

>>> t = TargetPlatform(python=(3, 11), platform="windows", arch="AMD64")
>>> t.marker_environment()["sys_platform"], t.rez_variant
('win32', ('platform-windows', 'arch-AMD64', 'python-3.11'))
"""

from __future__ import annotations

import platform as _platform
import sys
from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

from packaging import tags

from pkgimport.errors import PkgImportError

__all__ = ["ARCHES", "Platform", "TargetPlatform"]

Platform = Literal["linux", "windows", "osx"]

ARCHES: dict[str, tuple[str, ...]] = {
    "linux": ("x86_64", "aarch64"),
    "windows": ("AMD64", "x86", "ARM64"),
    "osx": ("x86_64", "arm64"),
}
"""The architectures of each platform, spelled as rez's ``arch`` (``platform.machine()``)."""

_ARCH_ALIASES = {
    "amd64": {"linux": "x86_64", "windows": "AMD64", "osx": "x86_64"},
    "x86_64": {"linux": "x86_64", "windows": "AMD64", "osx": "x86_64"},
    "x64": {"linux": "x86_64", "windows": "AMD64", "osx": "x86_64"},
    "aarch64": {"linux": "aarch64", "windows": "ARM64", "osx": "arm64"},
    "arm64": {"linux": "aarch64", "windows": "ARM64", "osx": "arm64"},
    "x86": {"windows": "x86"},
    "i686": {"windows": "x86"},
    "win32": {"windows": "x86"},
}

_SYS_PLATFORM = {"linux": "linux", "windows": "win32", "osx": "darwin"}
_PLATFORM_SYSTEM = {"linux": "Linux", "windows": "Windows", "osx": "Darwin"}
_WINDOWS_TAG = {"AMD64": "win_amd64", "x86": "win32", "ARM64": "win_arm64"}
_DEFAULT_GLIBC = (2, 28)
_DEFAULT_MACOS = (12, 0)


def _host_platform() -> Platform:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "osx"
    return "linux"


def _host_glibc() -> tuple[int, int] | None:
    name, version = _platform.libc_ver()
    if name != "glibc" or not version:
        return None
    major, _, minor = version.partition(".")
    return (int(major), int(minor or 0))


@dataclass(frozen=True, kw_only=True, slots=True)
class TargetPlatform:
    """One import target; see the module docstring."""

    python: tuple[int, int]
    """Python ``(major, minor)``."""
    platform: Platform
    """rez platform name."""
    arch: str
    """rez architecture name (see :data:`ARCHES`)."""
    glibc: tuple[int, int] | None = None
    """Newest glibc a Linux wheel may need (manylinux); ``None``: the default."""
    macos: tuple[int, int] | None = None
    """Oldest macOS the target runs (macosx tags); ``None``: the default."""
    python_full: str | None = None
    """Full Python version for ``python_full_version`` markers; ``None``: ``X.Y.0``."""
    is_host: bool = False
    """The target is this machine (local ``linux_*`` wheels and sdist builds fit it)."""

    def __post_init__(self) -> None:
        if self.platform not in get_args(Platform):
            raise PkgImportError(
                f"unknown platform {self.platform!r}", hint="use linux, windows or osx"
            )
        if self.arch not in ARCHES[self.platform]:
            raise PkgImportError(
                f"unknown architecture {self.arch!r} for {self.platform}",
                hint=f"use one of {', '.join(ARCHES[self.platform])}",
            )

    @classmethod
    def host(cls) -> TargetPlatform:
        """Return the target of the running interpreter on this machine."""
        plat = _host_platform()
        arch = normalize_arch(_platform.machine() or "x86_64", plat)
        return cls(
            python=(sys.version_info.major, sys.version_info.minor),
            platform=plat,
            arch=arch,
            glibc=_host_glibc() if plat == "linux" else None,
            python_full=_platform.python_version(),
            is_host=True,
        )

    @classmethod
    def create(
        cls, *, python: str | None, platform: str | None, arch: str | None
    ) -> TargetPlatform:
        """Build a target from command-line spellings; what is not given is the host's.

        >>> TargetPlatform.create(python="3.12", platform="osx", arch="aarch64").arch
        'arm64'
        """
        host = cls.host()
        plat = platform or host.platform
        if plat not in get_args(Platform):
            raise PkgImportError(f"unknown platform {plat!r}", hint="use linux, windows or osx")
        if arch is None:
            arch_name = host.arch if plat == host.platform else ARCHES[plat][0]
        else:
            arch_name = normalize_arch(arch, plat)  # type: ignore[arg-type]
        version = host.python if python is None else _parse_python(python)
        same = (version, plat, arch_name) == (host.python, host.platform, host.arch)
        return cls(
            python=version,
            platform=plat,  # type: ignore[arg-type]
            arch=arch_name,
            glibc=host.glibc if plat == "linux" and host.platform == "linux" else None,
            python_full=host.python_full if version == host.python else None,
            is_host=same,
        )

    @property
    def python_version(self) -> str:
        """``X.Y``."""
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def rez_variant(self) -> tuple[str, str, str]:
        """The variant of a binary wheel built for this target."""
        return (f"platform-{self.platform}", f"arch-{self.arch}", f"python-{self.python_version}")

    def __str__(self) -> str:
        return f"python {self.python_version} {self.platform}/{self.arch}"

    def marker_environment(self) -> dict[str, str]:
        """Return the full PEP 508 environment of this target (``extra`` added per evaluation)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full or f"{self.python_version}.0",
            "os_name": "nt" if self.platform == "windows" else "posix",
            "platform_machine": self.arch,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": _PLATFORM_SYSTEM[self.platform],
            "platform_version": "",
            "python_full_version": self.python_full or f"{self.python_version}.0",
            "python_version": self.python_version,
            "sys_platform": _SYS_PLATFORM[self.platform],
        }

    def tag_priority(self, tag: tags.Tag) -> int | None:
        """Rank of *tag* for this target (0 is best), ``None`` when it does not fit."""
        return _tag_ranks(self).get(tag)

    def tags(self) -> list[tags.Tag]:
        """Wheel tags this target accepts, best first (``packaging.tags``)."""
        platforms = list(self._platform_tags())
        interpreter = f"cp{self.python[0]}{self.python[1]}"
        out = list(tags.cpython_tags(self.python, None, platforms))
        out.extend(tags.compatible_tags(self.python, interpreter, platforms))
        return out

    def _platform_tags(self) -> list[str]:
        if self.platform == "windows":
            return [_WINDOWS_TAG[self.arch]]
        if self.platform == "osx":
            version = self.macos or _DEFAULT_MACOS
            arch = "arm64" if self.arch == "arm64" else "x86_64"
            return list(tags.mac_platforms(version, arch))
        return self._linux_tags()

    def _linux_tags(self) -> list[str]:
        glibc = self.glibc or _DEFAULT_GLIBC
        out: list[str] = []
        # manylinux_2_N for N from the target's glibc down to 2.5, with the legacy aliases
        # (manylinux2014 = 2.17, manylinux2010 = 2.12, manylinux1 = 2.5) right after theirs.
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        for minor in range(glibc[1], 4, -1):
            out.append(f"manylinux_{glibc[0]}_{minor}_{self.arch}")
            if minor in legacy and (self.arch == "x86_64" or minor == 17):
                out.append(f"{legacy[minor]}_{self.arch}")
        if self.is_host:
            # Wheels built here (from sdists) carry the plain, non-portable tag.
            out.append(f"linux_{self.arch}")
        return out


def normalize_arch(arch: str, platform: Platform) -> str:
    """Return rez's spelling of *arch* on *platform* (``amd64`` → ``AMD64`` on Windows).

    >>> normalize_arch("AMD64", "linux"), normalize_arch("x86_64", "windows")
    ('x86_64', 'AMD64')
    """
    mapped = _ARCH_ALIASES.get(arch.lower(), {}).get(platform)
    if mapped is None:
        raise PkgImportError(
            f"unknown architecture {arch!r} for {platform}",
            hint=f"use one of {', '.join(ARCHES[platform])}",
        )
    return mapped


def _parse_python(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise PkgImportError(f"invalid Python version {text!r}", hint="use X.Y, e.g. 3.11")
    return (int(major), int(minor))


@cache
def _tag_ranks(target: TargetPlatform) -> dict[tags.Tag, int]:
    # Computing the tag list takes ~1 ms; wheels are ranked thousands of times per import.
    return {tag: i for i, tag in enumerate(target.tags())}
