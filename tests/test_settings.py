from __future__ import annotations

from pathlib import Path

from pkgimport.settings import package_paths, repo_path


def test_repo_path_order() -> None:
    env = {"PKGIMPORT_REPO": "/a", "REZ_LOCAL_PACKAGES_PATH": "/b"}
    assert repo_path("/x", env) == Path("/x")
    assert repo_path(None, env) == Path("/a")
    assert repo_path(None, {"REZ_LOCAL_PACKAGES_PATH": "/b"}) == Path("/b")
    assert repo_path(None, {}) == Path("~/packages").expanduser()


def test_package_paths_order_and_splitting() -> None:
    repo = Path("/repo")
    env = {"PKGIMPORT_PATHS": "/p1:/p2", "REZ_PACKAGES_PATH": "/r1"}
    assert package_paths(["/x:/y", "/z"], repo, env) == [Path("/x"), Path("/y"), Path("/z")]
    assert package_paths(None, repo, env) == [Path("/p1"), Path("/p2")]
    assert package_paths(None, repo, {"REZ_PACKAGES_PATH": "/r1"}) == [Path("/r1")]
    assert package_paths(None, repo, {}) == [repo]
    assert package_paths("", repo, {}) == [repo]
