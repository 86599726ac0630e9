"""``pkgimport pypi`` end to end: loopback index → repository → rez 3.4 runs the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec, build_sdist, build_wheel

if TYPE_CHECKING:
    from pathlib import Path

PY = f"cp{sys.version_info.major}{sys.version_info.minor}"
PYVER = f"{sys.version_info.major}.{sys.version_info.minor}"
HOST_TAG = f"{PY}-{PY}-manylinux_2_17_x86_64.manylinux2014_x86_64"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="the fixtures build linux x86_64 wheels for the host",
)


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    index_server.add_wheels(
        WheelSpec(
            name="Demo-App",
            version="2.0",
            requires=["fastlib>=1", 'colorama; platform_system == "Windows"'],
            console_scripts={"demo-app": "demo_app:main"},
        ),
        WheelSpec(
            name="fastlib",
            version="1.0",
            tag=HOST_TAG,
            data={"share/fastlib/data.txt": "d"},
            headers={"fastlib.h": "int f;"},
        ),
        WheelSpec(name="fastlib", version="1.0", tag=f"{PY}-{PY}-win_amd64"),
        WheelSpec(name="colorama", version="0.4.6"),
        WheelSpec(
            name="zope.interface", version="6.0", modules={"zope/interface/__init__.py": "X = 1\n"}
        ),
        WheelSpec(name="ns.alpha", version="1.0", modules={"ns/alpha/__init__.py": "A = 1\n"}),
        WheelSpec(name="ns.beta", version="1.0", modules={"ns/beta/__init__.py": "B = 2\n"}),
    )
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def _tree(root: Path) -> dict[str, float]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.stat().st_mtime
        for p in root.rglob("*")
        if ".pkgimport" not in p.parts
    }


def _rez(rez_env: dict[str, str], repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**rez_env, "REZ_PACKAGES_PATH": str(repo)}
    return subprocess.run(["rez-env", *args], env=env, capture_output=True, text=True, check=False)


def test_import_then_rez_env_imports_and_runs_scripts(
    index: IndexServer, tmp_path: Path, rez_env: dict[str, str]
) -> None:
    repo = tmp_path / "repo"
    code = main(["pypi", "demo-app", "zope.interface", "ns.alpha", "ns.beta", "--repo", str(repo)])
    assert code == 0
    package_py = (repo / "demo_app" / "2.0" / "package.py").read_text()
    assert "variants = [['platform-linux']]" in package_py
    assert "'fastlib-1+'" in package_py
    fast = repo / "fastlib" / "1.0" / "platform-linux" / "arch-x86_64" / f"python-{PYVER}"
    assert (fast / "share" / "fastlib" / "data.txt").is_file()
    assert (fast / "include" / "fastlib.h").is_file()
    code_ = "import demo_app, fastlib, zope.interface, ns.alpha, ns.beta; print(ns.beta.B)"
    proc = _rez(
        rez_env,
        repo,
        "demo_app",
        "zope_interface",
        "ns_alpha",
        "ns_beta",
        "--",
        "python",
        "-c",
        code_,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
    proc = _rez(rez_env, repo, "demo_app", "--", "demo-app")
    assert (proc.returncode, proc.stdout.strip()) == (3, "Demo-App 2.0")


def test_windows_variant_added_later_keeps_linux_intact(
    index: IndexServer, tmp_path: Path, rez_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "demo-app", "--repo", str(repo)]) == 0
    linux_before = _tree(repo / "demo_app" / "2.0" / "platform-linux")
    downloads = len(index.downloads())
    capsys.readouterr()
    assert (
        main(
            [
                "pypi",
                "demo-app",
                "--repo",
                str(repo),
                "--platform",
                "windows",
                "--arch",
                "AMD64",
                "--python",
                PYVER,
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    status = {p["name"]: p["status"] for p in data["packages"]}
    assert status == {"colorama": "new", "demo_app": "new variant", "fastlib": "new variant"}
    package_py = (repo / "demo_app" / "2.0" / "package.py").read_text()
    assert (
        "variants = [\n    ['platform-linux'],\n    ['platform-windows', 'colorama']\n]"
        in package_py
    )
    assert _tree(repo / "demo_app" / "2.0" / "platform-linux") == linux_before
    assert (
        repo / "fastlib" / "1.0" / "platform-windows" / "arch-AMD64" / f"python-{PYVER}"
    ).is_dir()
    # The pure demo-app wheel was downloaded once and taken from the cache the second time.
    assert len(index.downloads()) == downloads + 2  # colorama, fastlib for windows
    proc = _rez(rez_env, repo, "demo_app", "--", "demo-app")
    assert proc.returncode == 3, proc.stderr


def test_second_import_reuses_everything(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "demo-app", "--repo", str(repo)]) == 0
    before, downloads = _tree(repo), len(index.downloads())
    capsys.readouterr()
    assert main(["pypi", "demo-app", "--repo", str(repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["status"] for p in data["packages"]} == {"reused"}
    assert data["written"] == []
    assert len(index.downloads()) == downloads
    assert _tree(repo) == before


def test_dry_run_downloads_and_writes_nothing(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert (
        main(
            [
                "pypi",
                "demo-app",
                "--repo",
                str(repo),
                "--dry-run",
                "--json",
                "--platform",
                "linux",
                "--platform",
                "windows",
                "--python",
                PYVER,
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] is True
    assert data["targets"] == [f"python {PYVER} linux/x86_64", f"python {PYVER} windows/AMD64"]
    app = next(p for p in data["packages"] if p["name"] == "demo_app")
    assert app["targets"][f"python {PYVER} windows/AMD64"]["variant"] == [
        "platform-windows",
        "colorama",
    ]
    assert index.downloads() == []
    assert _tree(repo) == {}


def test_hash_mismatch_leaves_repository_unchanged(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "zope.interface", "--repo", str(repo)]) == 0
    before = _tree(repo)
    index.bad_hash.add(f"fastlib-1.0-{HOST_TAG}.whl")
    capsys.readouterr()
    assert main(["pypi", "demo-app", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert f"fastlib-1.0-{HOST_TAG}.whl: sha256 does not match the index" in err
    assert _tree(repo) == before


def test_unknown_project_and_bad_requirement(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "no-such-project", "--repo", str(repo)]) == 1
    assert "no project named 'no-such-project' on the index" in capsys.readouterr().err
    assert main(["pypi", "demo-app>>1", "--repo", str(repo)]) == 1
    assert "invalid requirement 'demo-app>>1'" in capsys.readouterr().err
    assert _tree(repo) == {}


def test_local_wheel_file(index: IndexServer, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "local", WheelSpec(name="local-tool", version="0.1"))
    repo = tmp_path / "repo"
    assert main(["pypi", str(wheel), "--repo", str(repo)]) == 0
    assert (repo / "local_tool" / "0.1" / "package.py").is_file()


def test_sdist_only_project_is_built_for_the_host(
    index: IndexServer,
    tmp_path: Path,
    rez_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    index.add(build_sdist(tmp_path / "sdists", "Sdist-Only", "3.1", ["colorama"]))
    repo = tmp_path / "repo"
    assert main(["pypi", "sdist-only", "--repo", str(repo)]) == 0, capsys.readouterr().err
    package_py = (repo / "sdist_only" / "3.1" / "package.py").read_text()
    assert "'colorama'" in package_py
    proc = _rez(rez_env, repo, "sdist_only", "--", "python", "-c", "import sdist_only")
    assert proc.returncode == 0, proc.stderr
    # A foreign target cannot build it, and says why.
    capsys.readouterr()
    assert main(["pypi", "sdist-only", "--repo", str(repo), "--platform", "windows"]) == 1
    assert "no wheel for python" in capsys.readouterr().err


def test_requirements_file_extras_of_dependencies_and_pre_releases(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add_wheels(
        WheelSpec(name="web", version="1.0", requires=["httpish[socks]>=2"]),
        WheelSpec(
            name="httpish",
            version="2.1",
            extras={"socks": ["PySocks>=1.5"]},
            wheel_extra_lines=["Root-Is-Purelib: true"],
        ),  # rez-pip#185
        WheelSpec(name="PySocks", version="1.7.1"),
        WheelSpec(name="edge", version="3.0rc1"),
    )
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# tools\nweb  # the app\nedge==3.0rc1\nhttpish[socks]\n")
    repo = tmp_path / "repo"
    assert main(["pypi", "-r", str(reqs), "--repo", str(repo)]) == 0
    err = capsys.readouterr().err
    # web needs httpish *with* socks: its rez package requires what the extra pulls in.
    web = (repo / "web" / "1.0" / "package.py").read_text()
    assert "'httpish-2+'" in web
    assert "'pysocks-1.5+'" in web
    assert "'pysocks" not in (repo / "httpish" / "2.1" / "package.py").read_text()
    assert "note: extras [socks] of httpish: request httpish pysocks to get them" in err
    assert "warning: edge-3.0.rc1 is a pre-release: rez sorts it above edge-3.0" in err


def test_unexpressible_dependency_names_the_wheel(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add_wheels(WheelSpec(name="odd", version="1.0", requires=["six<1,>2"]))
    repo = tmp_path / "repo"
    assert main(["pypi", "odd", "--repo", str(repo), "--no-deps"]) == 1
    err = capsys.readouterr().err
    assert "odd-1.0-py3-none-any.whl: requirement 'six<1,>2': specifier '<1,>2' admits no" in err
    assert _tree(repo) == {}


def test_warm_cache_imports_into_a_new_repository_without_downloading(
    index: IndexServer, tmp_path: Path
) -> None:
    assert main(["pypi", "demo-app", "--repo", str(tmp_path / "one")]) == 0
    downloads = len(index.downloads())
    assert main(["pypi", "demo-app", "--repo", str(tmp_path / "two")]) == 0
    assert len(index.downloads()) == downloads
    one = {
        k for k in _tree(tmp_path / "one") if not k.startswith(("python", "platform", "arch", "os"))
    }
    two = {
        k for k in _tree(tmp_path / "two") if not k.startswith(("python", "platform", "arch", "os"))
    }
    assert one == two
    launcher = tmp_path / "two" / "demo_app" / "2.0" / "platform-linux" / "bin" / "demo-app"
    assert launcher.read_text().startswith("#!/usr/bin/env python\n")


def test_no_wheel_for_a_target_fails_the_whole_import(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add_wheels(WheelSpec(name="winonly", version="1.0", tag=f"{PY}-{PY}-win_amd64"))
    repo = tmp_path / "repo"
    code = main(
        [
            "pypi",
            "demo-app",
            "winonly",
            "--repo",
            str(repo),
            "--platform",
            "linux",
            "--platform",
            "windows",
            "--python",
            PYVER,
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert (
        f"no version of 'winonly' satisfies winonly (required by the command line) with a "
        f"file for python {PYVER} linux/x86_64" in err
    )
    assert _tree(repo) == {}


def test_package_made_by_another_tool_is_reused_as_it_is(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    native = repo / "fastlib" / "1.0"
    native.mkdir(parents=True)
    (native / "package.py").write_text("name = 'fastlib'\nversion = '1.0'\nrequires = ['python']\n")
    before = (native / "package.py").read_text()
    assert main(["pypi", "demo-app", "--repo", str(repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["name"]: p["status"] for p in data["packages"]}["fastlib"] == "reused"
    assert (native / "package.py").read_text() == before
    assert not any("fastlib" in d for d in index.downloads())


def test_repository_versions_are_preferred_unless_forced(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "colorama", "--repo", str(repo)]) == 0
    index.add_wheels(WheelSpec(name="colorama", version="0.5.0"))
    capsys.readouterr()
    assert main(["pypi", "colorama", "--repo", str(repo), "--json", "--dry-run"]) == 0
    [package] = json.loads(capsys.readouterr().out)["packages"]
    assert (package["version"], package["status"]) == ("0.4.6", "reused")
    # The project page was stored by the first run: --refresh asks the index again.
    args = ["pypi", "colorama", "--repo", str(repo), "--json", "--dry-run", "--force"]
    assert main(args) == 0
    [package] = json.loads(capsys.readouterr().out)["packages"]
    assert (package["version"], package["status"]) == ("0.4.6", "reused")
    assert main([*args, "--refresh"]) == 0
    [package] = json.loads(capsys.readouterr().out)["packages"]
    assert (package["version"], package["status"]) == ("0.5.0", "new")


def test_project_pages_are_reused_within_max_age_and_said_so(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = tmp_path / "repo"
    assert main(["pypi", "colorama", "--repo", str(repo), "--dry-run"]) == 0
    pages = [r for r in index.requests if r.startswith("/simple/")]
    assert pages == ["/simple/colorama/"]
    capsys.readouterr()
    index.add_wheels(WheelSpec(name="colorama", version="0.5.0"))
    assert main(["pypi", "colorama", "--repo", str(repo), "--dry-run", "--json"]) == 0
    out = capsys.readouterr()
    assert [r for r in index.requests if r.startswith("/simple/")] == pages
    assert json.loads(out.out)["packages"][0]["version"] == "0.4.6"
    assert "1 project page(s) from the cache" in out.err
    assert "--refresh" in out.err
    # PKGIMPORT_INDEX_MAX_AGE=0 revalidates every page (this index sends no validators).
    monkeypatch.setenv("PKGIMPORT_INDEX_MAX_AGE", "0")
    assert main(["pypi", "colorama", "--repo", str(repo), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["packages"][0]["version"] == "0.5.0"
    monkeypatch.setenv("PKGIMPORT_INDEX_MAX_AGE", "soon")
    assert main(["pypi", "colorama", "--repo", str(repo), "--dry-run"]) != 0
    assert "PKGIMPORT_INDEX_MAX_AGE='soon'" in capsys.readouterr().err
