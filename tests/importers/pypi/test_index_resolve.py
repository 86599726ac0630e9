"""Simple API client (JSON, HTML, PEP 658, find-links, auth) and per-target closures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement

from pkgimport.errors import PkgImportError, ResolveError
from pkgimport.importers.pypi import _index
from pkgimport.importers.pypi._cache import DownloadCache
from pkgimport.importers.pypi._errors import (
    InvalidWheel,
    NoCompatibleDistribution,
    PackageIndexError,
)
from pkgimport.importers.pypi._importer import PypiImporter
from pkgimport.importers.pypi._index import Index, parse_project_page
from pkgimport.importers.pypi._resolve import Closure, resolve_closure
from pkgimport.importers.pypi._target import TargetPlatform
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec, build_wheel

if TYPE_CHECKING:
    from pathlib import Path

LINUX = TargetPlatform.create(python="3.11", platform="linux", arch="x86_64")
WINDOWS = TargetPlatform.create(python="3.11", platform="windows", arch="AMD64")


def _resolve(
    server: IndexServer,
    tmp_path: Path,
    *reqs: str,
    target: TargetPlatform = LINUX,
    pre: bool = False,
    no_deps: bool = False,
) -> Closure:
    index = Index([server.url])
    importer = PypiImporter(index, DownloadCache(tmp_path / "cache"))
    return resolve_closure(
        [Requirement(r) for r in reqs], target, index, importer.metadata, pre=pre, no_deps=no_deps
    )


def _pins(closure: Closure) -> dict[str, str]:
    return {name: str(c.version) for name, c in sorted(closure.pins.items())}


@pytest.mark.parametrize("json_api", [True, False])
def test_project_page_json_and_html(tmp_path: Path, json_api: bool) -> None:
    server = IndexServer(tmp_path / "s", json_api=json_api)
    try:
        server.add_wheels(WheelSpec(name="six", version="1.16.0"))
        [dist] = Index([server.url]).project_files("Six")
        assert dist.filename == "six-1.16.0-py3-none-any.whl"
        assert dist.url == server.url.replace("/simple/", "/files/") + dist.filename
        assert dist.sha256 is not None
        assert dist.has_metadata
        assert (dist.upload_time is not None) == json_api
    finally:
        server.close()


def test_file_index_and_find_links_folder(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, WheelSpec(name="six", version="1.16.0"))
    build_wheel(wheels, WheelSpec(name="sixer", version="1.0"))
    simple = tmp_path / "simple" / "six"
    simple.mkdir(parents=True)
    (simple / "index.html").write_text(
        '<a href="../../wheels/six-1.16.0-py3-none-any.whl#sha256=ab">x</a>'
    )
    index = Index([(tmp_path / "simple").as_uri()], [str(wheels)])
    files = index.project_files("six")
    assert [f.filename for f in files] == ["six-1.16.0-py3-none-any.whl"] * 2
    assert files[0].url == (wheels / "six-1.16.0-py3-none-any.whl").as_uri()


def test_unknown_project_has_no_files(index_server: IndexServer) -> None:
    assert Index([index_server.url]).project_files("nothing-here") == []


def test_credentials_in_the_index_url_are_sent_to_file_urls(tmp_path: Path) -> None:
    server = IndexServer(tmp_path / "s", auth=("user", "s3cret"))
    try:
        server.add_wheels(WheelSpec(name="six", version="1.16.0"))
        url = server.url.replace("http://", "http://user:s3cret@")
        index = Index([url])
        [dist] = index.project_files("six")
        body, _ = index.get(dist.url)  # no credentials in the file URL itself (rez-pip#178)
        assert body.startswith(b"PK")
        with pytest.raises(PackageIndexError, match=r"HTTP 401 \(not authorised\)") as info:
            Index([server.url]).project_files("six")
        assert info.value.hint is not None
        assert "netrc" in info.value.hint
    finally:
        server.close()


def test_pep658_metadata_hash_is_checked(index_server: IndexServer) -> None:
    index_server.add_wheels(WheelSpec(name="six", version="1.16.0"))
    index = Index([index_server.url])
    [dist] = index.project_files("six")
    assert index.fetch_metadata(dist).startswith(b"Metadata-Version")
    bad = dist._replace(metadata_sha256="0" * 64)
    with pytest.raises(InvalidWheel, match=r"six-1.16.0-py3-none-any.whl.metadata: sha256"):
        index.fetch_metadata(bad)


def test_malformed_json_page_is_named() -> None:
    with pytest.raises(PackageIndexError, match="malformed index page 'https://i/simple/x/'"):
        parse_project_page(b"{", "application/vnd.pypi.simple.v1+json", "https://i/simple/x/")


# -- closures ---------------------------------------------------------------------------------


def test_markers_are_evaluated_for_the_target(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(
        WheelSpec(
            name="click", version="8.1.7", requires=['colorama; platform_system == "Windows"']
        ),
        WheelSpec(name="colorama", version="0.4.6"),
    )
    assert _pins(_resolve(index_server, tmp_path, "click")) == {"click": "8.1.7"}
    windows = _resolve(index_server, tmp_path, "click", target=WINDOWS)
    assert _pins(windows) == {"click": "8.1.7", "colorama": "0.4.6"}
    # Only metadata was read: PEP 658 files, never a whole wheel.
    assert index_server.downloads() == []


def test_wheel_is_picked_by_the_targets_tags(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(
        WheelSpec(name="fast", version="1.0", tag="cp311-cp311-win_amd64"),
        WheelSpec(name="fast", version="1.0", tag="cp311-cp311-manylinux_2_17_x86_64"),
        WheelSpec(name="fast", version="1.0"),
    )
    assert _resolve(index_server, tmp_path, "fast", target=WINDOWS).pins["fast"].dist.filename == (
        "fast-1.0-cp311-cp311-win_amd64.whl"
    )
    assert _resolve(index_server, tmp_path, "fast").pins["fast"].dist.filename == (
        "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    )


def test_extras_pull_their_requirements(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(
        WheelSpec(
            name="requests", version="2.31.0", requires=["idna"], extras={"socks": ["PySocks>=1.5"]}
        ),
        WheelSpec(name="idna", version="3.7"),
        WheelSpec(name="PySocks", version="1.7.1"),
    )
    assert _pins(_resolve(index_server, tmp_path, "requests")) == {
        "idna": "3.7",
        "requests": "2.31.0",
    }
    closure = _resolve(index_server, tmp_path, "requests[socks]")
    assert _pins(closure) == {"idna": "3.7", "pysocks": "1.7.1", "requests": "2.31.0"}
    assert closure.extras == {"requests": frozenset({"socks"})}


def test_backtracks_and_honours_requires_python(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(
        WheelSpec(name="app", version="1.0", requires=["lib<2"]),
        WheelSpec(name="lib", version="1.5", requires_python=">=3.8"),
        WheelSpec(name="lib", version="1.9", requires_python=">=3.12"),
        WheelSpec(name="lib", version="2.0"),
    )
    assert _pins(_resolve(index_server, tmp_path, "app")) == {"app": "1.0", "lib": "1.5"}
    # Without data-requires-python on the index, the metadata's Requires-Python decides.
    index_server.requires_python_in_index = False
    assert _pins(_resolve(index_server, tmp_path, "app")) == {"app": "1.0", "lib": "1.5"}


def test_pre_releases_only_when_asked(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(
        WheelSpec(name="lib", version="1.0"), WheelSpec(name="lib", version="2.0rc1")
    )
    assert _pins(_resolve(index_server, tmp_path, "lib")) == {"lib": "1.0"}
    assert _pins(_resolve(index_server, tmp_path, "lib", pre=True)) == {"lib": "2.0rc1"}
    assert _pins(_resolve(index_server, tmp_path, "lib==2.0rc1")) == {"lib": "2.0rc1"}


def test_no_deps(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(WheelSpec(name="app", version="1.0", requires=["lib"]))
    assert _pins(_resolve(index_server, tmp_path, "app", no_deps=True)) == {"app": "1.0"}


def test_unknown_project(index_server: IndexServer, tmp_path: Path) -> None:
    with pytest.raises(ResolveError, match="no project named 'nothing' on the index"):
        _resolve(index_server, tmp_path, "nothing")


def test_no_wheel_for_the_target(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(WheelSpec(name="winonly", version="1.0", tag="cp311-cp311-win_amd64"))
    with pytest.raises(NoCompatibleDistribution) as info:
        _resolve(index_server, tmp_path, "winonly")
    assert str(info.value) == (
        "no version of 'winonly' satisfies winonly (required by the command line) with a file "
        "for python 3.11 linux/x86_64"
    )


def test_conflict_names_both_sides(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add_wheels(
        WheelSpec(name="a", version="1.0", requires=["c<2"]),
        WheelSpec(name="b", version="1.0", requires=["c>=2"]),
        WheelSpec(name="c", version="1.0"),
        WheelSpec(name="c", version="2.0"),
    )
    with pytest.raises(PkgImportError) as info:
        _resolve(index_server, tmp_path, "a", "b")
    assert "c<2 (required by a 1.0)" in str(info.value)
    assert "c>=2 (required by b 1.0)" in str(info.value)


def test_doctests() -> None:
    import doctest  # noqa: PLC0415

    assert doctest.testmod(_index).failed == 0
