"""``pkgimport resolve/env --target``: resolving as a machine of another kind would.

GIVEN a repository holding Windows variants (Scoop imports here; PyPI imports in
``tests/importers/pypi/test_target_resolve.py``) and no ``platform``/``arch``/``os`` packages
for Windows WHEN ``pkgimport resolve --target windows/ARCH`` runs on this (Linux) host THEN
each picks the variant of that architecture, the synthetic packages are marked as such, and
real rez gives the same resolve when given the same implicit packages and the synthetic
packages as stub files.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from pkgimport.errors import PkgImportError
from pkgimport.platform_ import HostSystem, host_system
from pkgimport.target import Target, import_target, parse_target, target_implicits
from tests.importers.scoop.scoop_testlib import load_manifest, write_bucket
from tests.target_testing import rez_resolve, write_stub_repo

if TYPE_CHECKING:
    from pathlib import Path

LINUX = HostSystem(platform="linux", arch="x86_64", os="Debian-12")

TARGETS = [
    ("windows", "windows/AMD64", "windows-10.0", None),
    ("win/amd64", "windows/AMD64", "windows-10.0", None),
    ("windows/x86_64/3.11", "windows/AMD64/3.11", "windows-10.0", "3.11"),
    ("windows/arm64", "windows/ARM64", "windows-10.0", None),
    ("macos/aarch64", "osx/arm64", "osx-14.0", None),
    ("osx//3.12", "osx/arm64/3.12", "osx-14.0", "3.12"),
    ("linux", "linux/x86_64", "Debian-12", None),  # the host's platform: the host's names
    ("linux/aarch64/3.12/Ubuntu-22.04", "linux/aarch64/3.12", "Ubuntu-22.04", "3.12"),
    ("windows/AMD64/3.11/windows-10.0.19045", "windows/AMD64/3.11", "windows-10.0.19045", "3.11"),
]


@pytest.mark.parametrize(("text", "name", "os_", "python"), TARGETS, ids=[t[0] for t in TARGETS])
def test_parse_target(text: str, name: str, os_: str, python: str | None) -> None:
    target = parse_target(text, host=LINUX, platform_map={})
    assert (str(target), target.os, target.python) == (name, os_, python)


def test_target_names_are_mapped_like_the_machine_would() -> None:
    mapping = {"arch": {"AMD64": "64bit"}, "os": {r"windows-(\d+).*": r"win\1"}}
    target = parse_target("windows", host=LINUX, platform_map=mapping)
    assert (target.arch, target.os) == ("64bit", "win10")


@pytest.mark.parametrize("text", ["beos", "windows/AMD64/3.11/x/y", "windows/-", "linux//3..1"])
def test_bad_targets(text: str) -> None:
    with pytest.raises(PkgImportError, match="invalid target"):
        parse_target(text, host=LINUX, platform_map={})


def test_import_targets_use_plain_names() -> None:
    target = import_target("windows", "ARM64", "3.12", host=LINUX)
    assert target == Target(platform="windows", arch="ARM64", os="windows-10.0", python="3.12")
    assert target_implicits(target) == ("~platform==windows", "~arch==ARM64", "~os==windows-10.0")
    assert import_target("linux", "aarch64", host=LINUX).os == "Debian-12"


def _write(repo: Path, files: dict[str, str]) -> Path:
    for where, text in files.items():
        (repo / where).mkdir(parents=True, exist_ok=True)
        (repo / where / "package.py").write_text(text)
    return repo


TOOL = {
    "tool/1.0": "name = 'tool'\nversion = '1.0'\nrequires = ['python-3']\n"
    "variants = [['platform-linux', 'arch-x86_64'], ['platform-windows', 'arch-AMD64'], "
    "['platform-osx', 'arch-arm64']]\n"
    "def commands():\n    env.TOOL_SYSTEM = system.platform + '/' + system.arch\n",
    "platform/linux": "name = 'platform'\nversion = 'linux'\n",
    "arch/x86_64": "name = 'arch'\nversion = 'x86_64'\n",
    "python/3.11.7": "name = 'python'\nversion = '3.11.7'\n"
    "variants = [['platform-linux', 'arch-x86_64', 'os-Debian-12']]\n",
}


def test_synthetic_packages_are_marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _write(tmp_path / "repo", TOOL)
    argv = ["resolve", "--paths", str(repo), "tool", "--target", "windows/AMD64/3.12"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["resolved"] == [
        "platform-windows[]",
        "arch-AMD64[]",
        "os-windows-10.0[]",
        "python-3.12[0]",
        "tool-1.0[1]",
    ]
    assert data["synthetic"] == data["resolved"][:4]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "~platform==windows  (implicit)" in out
    assert "platform-windows  (synthetic)" in out
    assert f"tool-1.0          {repo}/tool/1.0/platform-windows/arch-AMD64" in out


@pytest.mark.skipif(host_system().platform != "linux", reason="a Linux host's own platform")
def test_real_packages_win_over_synthetic_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host_os = host_system().os
    python = f"name = 'python'\nversion = '3.11.7'\nvariants = [['os-{host_os}']]\n"
    repo = _write(tmp_path / "repo", {**TOOL, "python/3.11.7": python})
    argv = ["resolve", "--paths", str(repo), "tool", "--target", "linux/x86_64", "--json"]
    # The bound platform-linux and arch-x86_64 are used; os (the host's) is synthetic.
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["synthetic"] == [f"os-{host_os}[]"]
    assert data["resolved"] == [
        "platform-linux[]",
        "arch-x86_64[]",
        f"os-{host_os}[]",
        "python-3.11.7[0]",
        "tool-1.0[0]",
    ]
    # ... and once the repository has it, nothing is synthetic.
    _write(repo, {f"os/{host_os}": f"name = 'os'\nversion = '{host_os}'\n"})
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert "synthetic" not in data
    assert f"os-{host_os}[]" in data["resolved"]


def test_target_expands_configured_implicit_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _write(tmp_path / "repo", TOOL)
    monkeypatch.setenv("REZ_IMPLICIT_PACKAGES", "~platform=={system.platform} ~os=={system.os}")
    assert main(["resolve", "--paths", str(repo), "tool", "--target", "osx/arm64/3.12"]) == 0
    out = capsys.readouterr().out
    assert "~platform==osx  (implicit)" in out
    assert "~os==osx-14.0   (implicit)" in out
    assert "~arch" not in out


def test_env_sees_the_target_system(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    repo = _write(tmp_path / "repo", TOOL)
    script = 'echo "$TOOL_SYSTEM $REZ_PLATFORM_VERSION $REZ_PYTHON_VERSION"'
    argv = ["env", "--paths", str(repo), "tool", "--target", "windows/AMD64/3.12"]
    assert main([*argv, "--", "/bin/sh", "-c", script]) == 0
    assert capfd.readouterr().out.strip() == "windows/AMD64 windows 3.12"


# -- Scoop imports, checked from Linux ---------------------------------------------------------


@pytest.fixture
def scoop_repo(tmp_path: Path) -> Path:
    """ripgrep (AMD64, x86, ARM64) and git (AMD64, ARM64), definitions only; no stubs."""
    bucket = write_bucket(
        tmp_path / "bucket", {app: load_manifest(app) for app in ("ripgrep", "git")}
    )
    repo = tmp_path / "repo"
    argv = ["scoop", "ripgrep", "git", "--definition-only", "--skip-scripts"]
    assert main([*argv, "--bucket", f"main={bucket}", "--repo", str(repo)]) == 0
    assert not (repo / "platform").exists()  # the import verified without writing stubs
    return repo


SCOOP_CASES = [
    ("AMD64", ["ripgrep"], ["platform-windows[]", "arch-AMD64[]", "ripgrep-15.2.0[0]"]),
    ("x86", ["ripgrep"], ["platform-windows[]", "arch-x86[]", "ripgrep-15.2.0[1]"]),
    ("ARM64", ["ripgrep", "git"], None),
    ("x86", ["ripgrep", "git"], None),  # git has no 32-bit build: fails, as rez does
]


def test_scoop_variants_resolve_from_linux_like_rez(
    scoop_repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rez_env: dict[str, str],
) -> None:
    for arch, request, expected in SCOOP_CASES:
        target = parse_target(f"windows/{arch}")
        stubs = write_stub_repo(target, tmp_path / f"stubs-{arch}")
        argv = ["resolve", "--paths", str(scoop_repo), "--target", f"windows/{arch}", "--json"]
        main([*argv, *request])
        ours = json.loads(capsys.readouterr().out)
        (theirs,) = rez_resolve([request], [scoop_repo, stubs], target_implicits(target), rez_env)
        assert theirs["implicits"] == list(target_implicits(target))
        assert ours["status"] == theirs["status"], (arch, request, theirs)
        assert ours["resolved"] == theirs["resolved"], (arch, request)
        if expected is not None:
            assert ours["resolved"] == expected
        if ours["status"] == "failed":
            assert ours["failure"] == theirs["failure"]
        else:
            assert set(ours["synthetic"]) == {"platform-windows[]", f"arch-{arch}[]"}


def test_rez_env_os_default_is_what_the_host_uses_on_its_own_platform() -> None:
    # The synthetic os of a target on the host's platform is the host's own name.
    host = HostSystem(platform="linux", arch="x86_64", os="Ubuntu-22.04")
    assert parse_target("linux/aarch64", host=host, platform_map={}).os == "Ubuntu-22.04"
    assert os.sep == "/"  # these tests run on a POSIX host
