"""Host platform, architecture and operating system names, spelled exactly as rez spells them.

rez's implicit packages (``~platform==linux ~arch==x86_64 ~os==Debian-12``) and its bound
``platform``/``arch``/``os`` packages use these names, so pkgimport must compute the same ones
(``rez.system.system.platform``, ``.arch``, ``.os``). Probing is a default argument: the pure
functions take the raw facts, :func:`host_system` gathers them from this machine.

>>> make_safe_version_string("Ubuntu 22.04 LTS")
'Ubuntu_22.04_LTS'
"""

from __future__ import annotations

import platform as _platform
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "HostSystem",
    "host_platform",
    "host_system",
    "make_safe_version_string",
    "map_name",
    "parse_key_values",
]


def __dir__() -> list[str]:
    return __all__


_SEP_RE = re.compile(r"[.\-]")
_BAD_CHAR_RE = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True, kw_only=True, slots=True)
class HostSystem:
    """The three names rez derives from the host."""

    platform: str
    """``linux``, ``osx`` or ``windows``."""
    arch: str
    """``x86_64``, ``arm64``, ``AMD64``... (``platform.machine()`` made version-safe)."""
    os: str
    """``Debian-12``, ``Ubuntu-22.04``, ``osx-14.1``, ``windows-10.0.19045``..."""

    @property
    def variant(self) -> tuple[str, str, str]:
        """``("platform-X", "arch-Y", "os-Z")``: rez's ``system.variant``."""
        return (f"platform-{self.platform}", f"arch-{self.arch}", f"os-{self.os}")


def make_safe_version_string(text: str) -> str:
    """Turn *text* into a valid rez version the way ``rez.system.System`` does.

    Separators (``.``, ``-``) are kept, but runs of them collapse to the first; every other
    character outside ``[a-zA-Z0-9_]`` becomes ``_``; leading/trailing separators go.

    >>> make_safe_version_string("-CentOS Linux-7..9-")
    'CentOS_Linux-7.9'
    """
    text = text.strip(".").strip("-")
    tokens = _SEP_RE.split(text)
    seps = _SEP_RE.findall(text)
    out: list[str] = []
    # Walk tokens and separators alternately; an empty token (two separators in a row)
    # drops the separator that follows it, which is what rez's loop does.
    expect_token = True
    while tokens or seps:
        if expect_token:
            token = tokens.pop(0)
            if token:
                out.append(_BAD_CHAR_RE.sub("_", token))
            else:
                seps = seps[1:]
                expect_token = not expect_token
        else:
            out.append(seps.pop(0))
        expect_token = not expect_token
    return "".join(out)


def parse_key_values(
    text: str, distributor_key: str, release_key: str
) -> tuple[str | None, str | None]:
    r"""Find the distributor and release in ``KEY=value`` (or ``Key: value``) lines, like rez.

    Quotes around a value are removed; the last matching line wins.

    >>> parse_key_values('ID=debian\nVERSION_ID="12"\n', "ID=", "VERSION_ID=")
    ('debian', '12')
    """
    distributor = release = None
    for line in text.strip().split("\n"):
        if line.startswith(distributor_key):
            distributor = _unquote(line[len(distributor_key) :].strip())
        elif line.startswith(release_key):
            release = _unquote(line[len(release_key) :].strip())
    return distributor, release


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _lsb_release_output() -> str | None:
    try:
        proc = subprocess.run(
            ["/usr/bin/env", "lsb_release", "-a"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return proc.stdout if proc.returncode == 0 else None


def _linux_os(root: Path = Path("/")) -> str:
    """Rez's ``LinuxPlatform._os``: lsb-release file, then ``lsb_release -a``, then os-release."""
    distributor: str | None = None
    release: str | None = None
    lsb_file = root / "etc/lsb-release"
    if lsb_file.is_file():
        distributor, release = parse_key_values(
            lsb_file.read_text(encoding="utf-8", errors="replace"),
            "DISTRIB_ID=",
            "DISTRIB_RELEASE=",
        )
        if distributor and release:
            return f"{distributor}-{release}"
    sources: list[tuple[str | None, str, str]] = [
        (_lsb_release_output(), "Distributor ID:", "Release:"),
    ]
    os_release = root / "etc/os-release"
    if os_release.is_file():
        sources.append(
            (os_release.read_text(encoding="utf-8", errors="replace"), "ID=", "VERSION_ID=")
        )
    for text, dist_key, rel_key in sources:
        if text is None:
            continue
        # Earlier sources win for each half, exactly as rez fills in only what is missing.
        dist_, rel_ = parse_key_values(text, dist_key, rel_key)
        distributor = distributor or dist_
        release = release or rel_
        if distributor and release:
            return f"{distributor}-{release}"
    # rez falls back to its vendored `distro` here; freedesktop os-release covers every
    # distribution we support, so the last resort is the kernel's own name.
    return f"{_platform.system()}-{_platform.release()}"


def _raw_os(platform_name: str) -> str:
    if platform_name == "linux":
        return _linux_os()
    if platform_name == "osx":
        return f"osx-{_platform.mac_ver()[0]}"
    if platform_name == "windows":
        _, version, csd, _ = _platform.win32_ver()
        return "windows-" + ".".join(item for item in (version, csd) if item)
    return platform_name


def host_platform() -> str:
    """Return this machine's platform name (``linux``, ``osx``, ``windows``) without probing.

    >>> host_platform() == host_system({}).platform
    True
    """
    system = _platform.system().lower()
    return {"darwin": "osx"}.get(system, system)


@cache
def _probe() -> tuple[str, str, str]:
    """Probe this machine's raw names: platform, ``platform.machine()`` and the OS."""
    name = host_platform()
    return name, _platform.machine(), _raw_os(name)


def map_name(value: str, entry: Mapping[str, str] | None) -> str:
    r"""Apply one ``platform_map`` entry (``{regex: replacement}``) as rez does.

    The first pattern that matches anywhere is substituted (all its matches); the others are
    not tried.

    >>> map_name("CentOS Linux-7.9.2009", {r"CentOS Linux-(\d+).*": r"CentOS-\1"})
    'CentOS-7'
    """
    for pattern, replacement in (entry or {}).items():
        value, changes = re.subn(pattern, replacement, value)
        if changes:
            break
    return value


def host_system(platform_map: Mapping[str, Mapping[str, str]] | None = None) -> HostSystem:
    """Return this machine's names, as ``rez.system.system`` reports them.

    :param platform_map: rez's ``platform_map`` setting (``{"arch": {regex: name}, "os":
        {...}}``), applied to the raw names before they are made version-safe, as rez does;
        default: the one of the rez configuration (:mod:`pkgimport.rezconfig`).

    >>> host_system({}).platform in {"linux", "osx", "windows"}
    True
    """
    if platform_map is None:
        from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - reads no file unless set

        platform_map = rez_config().get("platform_map")
    name, arch, os_ = _probe()
    # rez maps arch and os only (its platform name is not looked up in the map).
    return HostSystem(
        platform=name,
        arch=make_safe_version_string(map_name(arch, platform_map.get("arch"))),
        os=make_safe_version_string(map_name(os_, platform_map.get("os"))),
    )
