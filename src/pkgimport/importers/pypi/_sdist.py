"""Sdists: build a wheel for the host with ``pip wheel --no-deps``, read PKG-INFO otherwise.

pip is run as a subprocess with the user's own configuration, so build dependencies come from
the same indexes and credentials. Built wheels are cached next to downloads, keyed by the
sdist's sha256.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from pkgimport.importers.pypi._errors import InvalidWheel, NoCompatibleDistribution, with_hint

__all__ = ["build_wheel", "read_sdist_pkg_info"]


def build_wheel(sdist: Path, out_dir: Path, *, python: str = sys.executable) -> Path:
    """Build a wheel from *sdist* for this machine into *out_dir* and return it.

    :raises NoCompatibleDistribution: the build failed (with pip's last lines of output).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = sorted(out_dir.glob("*.whl"))
    if existing:
        return existing[0]
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".build-") as tmp:
        cmd = [python, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp, str(sdist)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        built = sorted(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not built:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            raise with_hint(
                NoCompatibleDistribution(f"{sdist.name}: building a wheel failed:\n{tail}"),
                "install the build requirements (compilers, headers), or pick a version with "
                "wheels",
            )
        target = out_dir / built[0].name
        built[0].replace(target)
    return target


def read_sdist_pkg_info(sdist: Path) -> bytes | None:
    """Return the sdist's ``PKG-INFO`` when it is reliable (metadata 2.2+, dependencies static).

    :raises InvalidWheel: the archive is unreadable (names the file).
    """
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as archive:
                names = [
                    n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")
                ]
                data = archive.read(names[0]) if names else None
        else:
            with tarfile.open(sdist) as archive:
                member = next(
                    (
                        m
                        for m in archive.getmembers()
                        if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
                    ),
                    None,
                )
                stream = archive.extractfile(member) if member else None
                data = stream.read() if stream else None
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise InvalidWheel(f"{sdist.name}: unreadable archive ({exc})") from None
    if data is None:
        return None
    head = data.split(b"\n\n", 1)[0].decode("utf-8", errors="replace")
    fields = [line.partition(":") for line in head.splitlines()]
    version = next((v.strip() for k, _, v in fields if k.lower() == "metadata-version"), "1.0")
    dynamic = {v.strip().lower() for k, _, v in fields if k.lower() == "dynamic"}
    major, _, minor = version.partition(".")
    reliable = (int(major), int(minor or 0)) >= (2, 2) and not dynamic & {
        "requires-dist",
        "requires-python",
    }
    return data if reliable else None
