"""Wheel checks (bad input) and payload installation (layout, launchers)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pkgimport.importers.pypi._errors import InvalidWheel
from pkgimport.importers.pypi._wheel import check_wheel, install_wheel, read_wheel_metadata
from tests.importers.pypi.pypi_testing import WheelSpec, build_wheel

SPEC = WheelSpec(
    name="Demo-Tool",
    version="1.0",
    console_scripts={"demo-tool": "demo_tool:main"},
    data={"share/demo/readme.txt": "data"},
    headers={"demo.h": "int demo;"},
    scripts={"demo-script": "#!python\nprint('hi')\n"},
)


def test_install_layout_and_launchers(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", SPEC)
    check_wheel(wheel)
    payload = install_wheel(wheel, tmp_path / "root")
    root = payload.root
    assert (root / "python" / "demo_tool" / "__init__.py").is_file()
    assert (root / "share" / "demo" / "readme.txt").read_text() == "data"
    assert (root / "include" / "demo.h").is_file()
    assert payload.tools == ("demo-script", "demo-tool")
    launcher = (root / "bin" / "demo-tool").read_text()
    assert launcher.startswith("#!/usr/bin/env python\n")
    assert sys.executable not in launcher
    assert (root / "bin" / "demo-script").read_text().startswith("#!/usr/bin/env python\n")
    cmd = (root / "bin" / "demo-tool.cmd").read_text()
    assert "%ERRORLEVEL%" in cmd
    assert (root / "bin" / "demo-tool").stat().st_mode & stat.S_IXUSR
    # The launcher runs with whatever python is on PATH and keeps the exit code.
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "python"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        [str(root / "bin" / "demo-tool")], env=env, capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout) == (3, "Demo-Tool 1.0\n")


def test_metadata_is_read(tmp_path: Path) -> None:
    meta = read_wheel_metadata(build_wheel(tmp_path, SPEC))
    assert (meta.name, str(meta.version)) == ("Demo-Tool", "1.0")


def _rewrite(wheel: Path, change: dict[str, bytes | None], *, symlink: str | None = None) -> Path:
    out = wheel.with_name(wheel.name)
    with zipfile.ZipFile(wheel) as src:
        members = {i.filename: src.read(i) for i in src.infolist()}
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            dst.writestr(info, "/etc/passwd")
    return out


@pytest.mark.parametrize(
    ("change", "symlink", "message"),
    [
        ({"demo_tool/__init__.py": b"tampered = True\n"}, None, "RECORD check failed"),
        (
            {"../evil.py": b"x"},
            None,
            "member '../evil.py' is not a safe path (component '..': empty, '.' or '..')",
        ),
        (
            {"demo_tool-1.0.data/data/../../evil": b"x"},
            None,
            "member 'demo_tool-1.0.data/data/../../evil' is not a safe path (component '..'",
        ),
        ({"/abs.py": b"x"}, None, "member '/abs.py' is not a safe path (it is absolute)"),
        ({}, "demo_tool/link", "member 'demo_tool/link' is a symbolic link"),
    ],
)
def test_unsafe_or_tampered_wheels_are_refused(
    tmp_path: Path, change: dict[str, bytes | None], symlink: str | None, message: str
) -> None:
    wheel = _rewrite(build_wheel(tmp_path, SPEC), change, symlink=symlink)
    with pytest.raises(InvalidWheel) as info:
        check_wheel(wheel)
    assert str(info.value).startswith("demo_tool-1.0-py3-none-any.whl: ")
    assert message in str(info.value)


def test_install_checks_record_while_writing(tmp_path: Path) -> None:
    wheel = _rewrite(build_wheel(tmp_path, SPEC), {"demo_tool/__init__.py": b"tampered = 1\n"})
    check_wheel(wheel, contents=False)  # every file is listed: only the bytes differ
    with pytest.raises(InvalidWheel) as info:
        install_wheel(wheel, tmp_path / "root")
    assert str(info.value) == (
        "demo_tool-1.0-py3-none-any.whl: RECORD check failed: hash / size of "
        "demo_tool/__init__.py does not match RECORD"
    )


def test_truncated_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, SPEC)
    wheel.write_bytes(wheel.read_bytes()[:200])
    with pytest.raises(InvalidWheel, match=r"demo_tool-1.0-py3-none-any.whl: not a valid zip"):
        check_wheel(wheel)


def test_index_hash_mismatch(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, SPEC)
    with pytest.raises(InvalidWheel, match="does not match the index's 00000"):
        check_wheel(wheel, "0" * 64)


def test_missing_metadata(tmp_path: Path) -> None:
    wheel = _rewrite(build_wheel(tmp_path, SPEC), {"demo_tool-1.0.dist-info/METADATA": None})
    with pytest.raises(InvalidWheel, match=r"expected one \.dist-info/METADATA, found 0"):
        read_wheel_metadata(wheel)


def test_malformed_metadata(tmp_path: Path) -> None:
    spec = WheelSpec(
        name="demo", version="1.0", metadata_text="Metadata-Version: 2.1\nSummary: x\n"
    )
    with pytest.raises(InvalidWheel, match=r"METADATA': malformed metadata \(no Name or Version\)"):
        read_wheel_metadata(build_wheel(tmp_path, spec))


def test_lenient_on_bad_optional_fields(tmp_path: Path) -> None:
    text = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nProject-URL: broken\nRequires-Dist: six\n"
    )
    meta = read_wheel_metadata(
        build_wheel(tmp_path, WheelSpec(name="demo", version="1.0", metadata_text=text))
    )
    assert [str(r) for r in meta.requires_dist or ()] == ["six"]


# PySide6-Essentials ships compiled files (issue 12): installer skips every member of a
# __pycache__ folder without reading it, and PEP 376 lets compiled files go without a hash.
PYCACHE = "demo_tool/__pycache__/__init__.cpython-312.pyc"
PYCACHE_SPEC = WheelSpec(
    name="Demo-Tool",
    version="1.0",
    binary_members={
        PYCACHE: b"\x55\x0d\x0d\x0a" + bytes(range(256)) * 64,
        "demo_tool/__pycache__/util.cpython-312.pyc": b"\x55\x0d\x0d\x0a unhashed",
        "demo_tool/legacy.pyc": b"\x03\xf3\x0d\x0a unhashed, outside __pycache__",
    },
    unhashed=("demo_tool/__pycache__/util.cpython-312.pyc", "demo_tool/legacy.pyc"),
)


def test_pycache_members_listed_in_record_with_and_without_hashes(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", PYCACHE_SPEC)
    check_wheel(wheel)
    check_wheel(wheel, contents=False)
    payload = install_wheel(wheel, tmp_path / "root")
    python = payload.root / "python" / "demo_tool"
    assert (python / "__init__.py").is_file()
    # What installer does: a __pycache__ folder inside a wheel is never installed.
    assert not (python / "__pycache__").exists()
    assert (python / "legacy.pyc").is_file()


def test_tampered_pycache_member_is_still_refused(tmp_path: Path) -> None:
    wheel = _rewrite(build_wheel(tmp_path, PYCACHE_SPEC), {PYCACHE: b"\x55\x0d\x0d\x0a evil"})
    with pytest.raises(InvalidWheel, match=f"hash / size of {PYCACHE} didn't match RECORD"):
        check_wheel(wheel)
    check_wheel(wheel, contents=False)
    with pytest.raises(InvalidWheel) as info:
        install_wheel(wheel, tmp_path / "root")
    assert str(info.value) == (
        "demo_tool-1.0-py3-none-any.whl: RECORD check failed: hash / size of "
        f"{PYCACHE} does not match RECORD"
    )


def test_unhashed_member_that_is_not_compiled_is_refused(tmp_path: Path) -> None:
    spec = WheelSpec(name="Demo-Tool", version="1.0", unhashed=("demo_tool/__init__.py",))
    with pytest.raises(InvalidWheel, match=r"hash / size of demo_tool/__init__.py is not"):
        check_wheel(build_wheel(tmp_path, spec), contents=False)


def test_doctests() -> None:
    import doctest  # noqa: PLC0415

    from pkgimport.importers.pypi import _wheel  # noqa: PLC0415

    assert doctest.testmod(_wheel).failed == 0


def test_hashed_pycache_member_installer_skips_is_checked_not_refused(tmp_path: Path) -> None:
    # The PySide6-Essentials case exactly: hashed and intact, never read by installer.
    spec = WheelSpec(name="Demo-Tool", version="1.0", binary_members={PYCACHE: b"\x55\x0d"})
    wheel = build_wheel(tmp_path, spec)
    check_wheel(wheel, contents=False)
    assert install_wheel(wheel, tmp_path / "root").root.is_dir()
