"""rez-bind packages: host names as rez computes them, definitions, and rez-env on the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pkgimport.bind import (
    BindError,
    bind_arch,
    bind_os,
    bind_platform,
    bind_python,
    interpreter_version,
)
from pkgimport.cli import main
from pkgimport.platform_ import HostSystem, host_system, make_safe_version_string, parse_key_values
from pkgimport.repository.filesystem import FilesystemRepository

SAFE_CASES = [
    "x86_64",
    "AMD64",
    "Debian-12",
    "Ubuntu-22.04",
    "-CentOS Linux-7..9-",
    "osx-14.1.2",
    "windows-10.0.19045",
    "a--b",
    "..x..",
    "Scientific Linux 7.9 (Nitrogen)",
    "a.-b",
    "",
]

_REZ_SYSTEM = r"""
import json, sys
from rez.system import system
cases = json.loads(sys.argv[1])
json.dump({
    "platform": system.platform, "arch": system.arch, "os": system.os,
    "variant": system.variant,
    "safe": [system._make_safe_version_string(c) for c in cases],
}, sys.stdout)
"""


@pytest.fixture(scope="module")
def rez_system() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_SYSTEM, json.dumps(SAFE_CASES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_host_names_match_rez_system(rez_system: dict[str, object]) -> None:
    host = host_system()
    assert (host.platform, host.arch, host.os) == (
        rez_system["platform"],
        rez_system["arch"],
        rez_system["os"],
    )
    assert list(host.variant) == rez_system["variant"]


def test_safe_version_strings_match_rez(rez_system: dict[str, object]) -> None:
    assert [make_safe_version_string(c) for c in SAFE_CASES] == rez_system["safe"]


def test_key_value_parsing_strips_quotes_and_ignores_lookalike_keys() -> None:
    text = "ID_LIKE=debian\nID=\"ubuntu\"\nVERSION_ID='22.04'\n"
    assert parse_key_values(text, "ID=", "VERSION_ID=") == ("ubuntu", "22.04")


HOST = HostSystem(platform="linux", arch="x86_64", os="Debian-12")


def test_system_package_definitions() -> None:
    assert (bind_platform(HOST).name, bind_platform(HOST).version) == ("platform", "linux")
    assert (bind_arch(HOST).name, bind_arch(HOST).version, bind_arch(HOST).requires) == (
        "arch",
        "x86_64",
        (),
    )
    assert bind_os(HOST).qualified_name == "os-Debian-12"
    assert bind_os(HOST).requires == ("platform-linux", "arch-x86_64")


def test_python_package_links_the_interpreter(tmp_path: Path) -> None:
    imported = bind_python(Path(sys.executable), workdir=tmp_path, host=HOST)
    definition = imported.definition
    assert definition.version == ".".join(map(str, sys.version_info[:3]))
    assert definition.variants == (("platform-linux", "arch-x86_64", "os-Debian-12"),)
    assert definition.tools == ("python",)
    link = imported.payloads[0] / "bin" / "python"
    assert link.is_symlink()
    assert Path(link.readlink()) == Path(sys.executable).absolute()


def test_bad_interpreter_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BindError, match="no interpreter at") as info:
        interpreter_version(tmp_path / "nope")
    assert info.value.hint
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(BindError, match="exit code 3"):
        interpreter_version(script)


def test_bind_cli_then_rez_env_resolves_it(
    tmp_path: Path, rez_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["bind", "--all", "--repo", str(repo), "--dry-run", "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert [p["status"] for p in preview] == ["created"] * 4
    assert not (repo / "python").exists()
    assert main(["bind", "platform", "arch", "os", "python", "--repo", str(repo)]) == 0
    assert "created python-" in capsys.readouterr().out
    assert main(["bind", "python", "--repo", str(repo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "unchanged"
    records = {
        r.qualified_name for r in FilesystemRepository(repo, index_file=None).iter_all_records()
    }
    host = host_system()
    assert {f"platform-{host.platform}", f"arch-{host.arch}", f"os-{host.os}"} <= records
    env = {**rez_env, "REZ_PACKAGES_PATH": str(repo)}
    proc = subprocess.run(
        [
            "rez-env",
            "python",
            "platform",
            "arch",
            "os",
            "--",
            "python",
            "-c",
            "import os, sys; print(sys.version_info[:3], os.environ['REZ_PYTHON_ROOT'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    version = ".".join(map(str, sys.version_info[:3]))
    assert proc.stdout.strip() == (
        f"{tuple(sys.version_info[:3])} "
        f"{repo}/python/{version}/platform-{host.platform}/arch-{host.arch}/os-{host.os}"
    )


def test_bind_cli_rejects_unknown_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bind", "perl", "--repo", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot bind 'perl'" in err
    assert "--all" in err
    assert main(["bind", "--repo", str(tmp_path)]) == 2
