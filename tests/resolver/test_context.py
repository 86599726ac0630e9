"""Resolved contexts (JSON round trip, rez .rxt compatibility), implicits, --time, explanations."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from pkgimport.errors import InvalidRequirement, ResolveError
from pkgimport.platform_ import HostSystem
from pkgimport.resolver.context import (
    ContextVariant,
    InvalidContextFile,
    ResolvedContext,
    load_context,
    resolve_context,
    save_context,
)
from pkgimport.resolver.explain import (
    explain_failure,
    find_blocked_requests,
    resolve_graph_dot,
    resolve_paths,
)
from pkgimport.resolver.implicits import implicit_packages
from pkgimport.resolver.provider import InMemoryProvider
from pkgimport.resolver.solver import FailureInfo, Solver
from pkgimport.resolver.timespec import InvalidTime, parse_time

if TYPE_CHECKING:
    from pathlib import Path

    from pkgimport.resolver.solver import ResolvedVariant

HOST = HostSystem(platform="linux", arch="x86_64", os="Debian-12")


def _locate(variant: ResolvedVariant) -> tuple[str, str]:
    base = f"/repo/{variant.name}/{variant.version}"
    return (base if variant.index is None else f"{base}/v{variant.index}"), base


def _provider(data: dict[str, dict[str, dict[str, Any]]]) -> InMemoryProvider:
    return InMemoryProvider.from_dict(data, search_path="/repo")


CONFLICT_REPO: dict[str, dict[str, dict[str, Any]]] = {
    "python": {"2.7.16": {}, "3.11.7": {}},
    "foo": {"1.2.3": {"requires": ["python-3"]}},
    "baz": {"1.0": {"requires": ["python-2"]}},
    "bar": {"2.0": {}},
    "platform": {"linux": {}, "osx": {}},
    "plug": {
        "1.0": {"variants": [["platform-linux"]]},
        "2.0": {"variants": [["platform-linux"], ["platform-windows"]]},
    },
}


# -- --time -------------------------------------------------------------------------------------

TIMES = [
    ("1418350671", 1418350671),
    ("-12s", 99_988),
    ("-5.5m", 99_670),
    ("-2h", 92_800),
    ("-1d", 13_600),
    ("-3d", 0),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_parse_time(text: str, expected: int) -> None:
    assert parse_time(text, now=100_000) == expected


@pytest.mark.parametrize("text", ["yesterday", "-2w", "+2d", "", "--1d", "-1.2.3d"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(InvalidTime, match="is not a time"):
        parse_time(text)


# -- implicit packages --------------------------------------------------------------------------


def test_implicit_defaults_use_host_names() -> None:
    assert implicit_packages(environ={}, host=HOST) == (
        "~platform==linux",
        "~arch==x86_64",
        "~os==Debian-12",
    )


def test_implicit_from_env_and_flag() -> None:
    env = {"PKGIMPORT_IMPLICIT_PACKAGES": "~os=={system.os}  ~gcc>=12"}
    assert implicit_packages(environ=env, host=HOST) == ("~os==Debian-12", "~gcc-12+")
    assert implicit_packages(["~foo-1 ~bar"], environ=env, host=HOST) == ("~foo-1", "~bar")
    assert implicit_packages([], environ=env, host=HOST) == ()


def test_implicit_invalid_names_the_source() -> None:
    with pytest.raises(InvalidRequirement, match=r"'~x--1' \(from \$PKGIMPORT_IMPLICIT"):
        implicit_packages(environ={"PKGIMPORT_IMPLICIT_PACKAGES": "~x--1"}, host=HOST)


def test_implicit_default_matches_rez(rez_env: dict[str, str]) -> None:
    script = (
        "from rez.config import config; from rez.system import system;"
        "print(' '.join(x.format(system=system) for x in config.implicit_packages))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], env=rez_env, capture_output=True, text=True, check=True
    )
    assert " ".join(implicit_packages(environ={})) == proc.stdout.strip()


# -- resolving into a context -------------------------------------------------------------------


def test_resolve_context_appends_implicits_and_keeps_user_request() -> None:
    provider = _provider({**CONFLICT_REPO, "platform": {"linux": {}}})
    ctx = resolve_context(
        ["foo>=1", "bar"],
        solver=Solver(provider),
        locate=_locate,
        implicit_packages=["~platform==linux"],
        package_paths=["/repo"],
        requested_timestamp=5,
        host=HOST,
        now=100,
    )
    assert ctx.is_solved
    assert ctx.request == ("foo-1+", "bar")
    assert ctx.implicit_packages == ("~platform==linux",)
    assert ctx.resolved_strings() == ["python-3.11.7[]", "foo-1.2.3[]", "bar-2.0[]"]
    assert ctx.variants[1].root == "/repo/foo/1.2.3"
    assert ctx.variants[1].requires == ("python-3",)
    assert (ctx.timestamp, ctx.requested_timestamp, ctx.created) == (5, 5, 100)
    assert (ctx.platform, ctx.os) == ("linux", "Debian-12")


def test_resolve_context_failure_with_explanation() -> None:
    ctx = resolve_context(
        ["foo", "baz"],
        solver=Solver(_provider(CONFLICT_REPO)),
        locate=_locate,
        explain=lambda r: explain_failure(r).lines(),
    )
    assert ctx.status == "failed"
    assert ctx.failure_description == (
        "The following package conflicts occurred: (python-3 <--!--> python-2)"
    )
    assert ctx.failure_explanation == (
        "Resolve paths starting from initial requests to conflict:",
        "  foo --> foo-1.2.3 --> python-3",
        "  baz --> baz-1.0 --> python-2",
    )


def test_resolve_context_errors_are_raised() -> None:
    solver = Solver(_provider(CONFLICT_REPO))
    with pytest.raises(ResolveError, match="package family not found: nothere"):
        resolve_context(["nothere"], solver=solver, locate=_locate)
    with pytest.raises(InvalidRequirement, match="foo--1"):
        resolve_context(["foo--1"], solver=solver, locate=_locate)


# -- explanations -------------------------------------------------------------------------------


def test_blocked_request_names_every_candidate() -> None:
    """rez#1350: rez blames a platform conflict; the cause is that no plug variant fits."""
    provider = _provider(CONFLICT_REPO)
    resolution = Solver(provider).solve(["plug", "platform-osx"])
    assert resolution.status == "failed"
    lines = find_blocked_requests(resolution.merged_request, provider)
    assert lines == [
        (
            "no candidate for request 'plug' is compatible with the other requests: "
            "plug-2.0[0] needs platform-linux, but the request has platform-osx; "
            "plug-2.0[1] needs platform-windows, but the request has platform-osx; "
            "plug-1.0[0] needs platform-linux, but the request has platform-osx"
        )
    ]
    explanation = explain_failure(resolution, provider=provider)
    assert explanation.description == resolution.failure_description
    assert "Likely cause:" in explanation.lines()


def test_resolve_paths_for_total_reduction() -> None:
    provider = _provider(
        {
            "python": {"2.7": {}, "3.7": {}},
            "foo": {"1.0": {"requires": ["~python-2"]}},
        }
    )
    resolution = Solver(provider).solve(["python-3", "foo"])
    assert resolution.failure is not None
    assert resolution.failure_description is not None
    assert resolution.failure_description.startswith("A package was completely reduced")
    # What rez-env prints for the same repository and request.
    assert resolve_paths(resolution.merged_request, resolution.failure) == [
        "python-3 --> python-3.7",
        "foo --> foo-1.0 --> ~python-2",
    ]


def test_graph_dot_for_solved_and_failed() -> None:
    ctx = resolve_context(["foo"], solver=Solver(_provider(CONFLICT_REPO)), locate=_locate)
    dot = resolve_graph_dot(ctx)
    assert dot.startswith("digraph resolve {")
    assert '"foo-1.2.3" -> "python-3.11.7";' in dot
    resolution = Solver(_provider(CONFLICT_REPO)).solve(["foo", "baz"])
    solver = Solver(_provider(CONFLICT_REPO))
    failed = resolve_context(["foo", "baz"], solver=solver, locate=_locate)
    assert "CONFLICT" in resolve_graph_dot(failed, resolution.failure)


def test_all_failed_alternatives_are_summarised() -> None:
    """When the solver reports every failed phase, the distinct conflicts are counted."""
    resolution = Solver(_provider(CONFLICT_REPO)).solve(["foo-1.2", "baz"])
    assert resolution.failure is not None
    other = FailureInfo(reason=None, scopes=(), extractions=(), phase="")
    explanation = explain_failure(resolution)
    assert not any("alternatives were tried" in c for c in explanation.causes)
    fake = SimpleNamespace(
        request=resolution.request,
        merged_request=resolution.merged_request,
        status="failed",
        failure_description=resolution.failure_description,
        failure=resolution.failure,
        failures=(resolution.failure, resolution.failure, other),
    )
    causes = explain_failure(fake).causes  # type: ignore[arg-type]
    assert causes == (
        "3 alternatives were tried; they failed on:",
        "  2x (python-3 <--!--> python-2)",
        "  1x unknown reason",
    )


# -- serialisation ------------------------------------------------------------------------------


def _context() -> ResolvedContext:
    variant = ContextVariant(
        name="foo",
        version="1.0",
        index=0,
        location="/r",
        root="/r/foo/1.0/py-3",
        base="/r/foo/1.0",
        requires=("py-3",),
    )
    return ResolvedContext(
        request=("foo",),
        status="solved",
        implicit_packages=("~os==Debian-12",),
        variants=(variant,),
        ephemerals=(".eph-1",),
        package_paths=("/r",),
        package_filter=({"excludes": ["after(5)"], "includes": []},),
        package_orderers=({"type": "sorted", "descending": True},),
        timestamp=5,
        requested_timestamp=5,
        platform="linux",
        arch="x86_64",
        os="Debian-12",
        user="me",
        host="box",
        created=7,
        num_solves=3,
        rez_path="/opt/rez/lib/python3.11/site-packages/rez",
    )


def test_context_round_trip(tmp_path: Path) -> None:
    ctx = _context()
    path = tmp_path / "ctx.json"
    save_context(ctx, path)
    assert load_context(path) == ctx
    data = json.loads(path.read_text())
    assert data["serialize_version"] == "4.9"
    assert data["resolved_packages"] == [
        {
            "key": "filesystem.variant",
            "variables": {
                "index": 0,
                "location": "/r",
                "name": "foo",
                "repository_type": "filesystem",
                "version": "1.0",
            },
        }
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not a JSON context file"),
        ("[1]", "expected a JSON object"),
        ('{"serialize_version": "4.9"}', "KeyError"),
        ('{"serialize_version": "9.0"}', "newer than 4.x"),
    ],
)
def test_load_context_rejects(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ctx.json"
    path.write_text(text)
    with pytest.raises(InvalidContextFile, match=message):
        load_context(path)


def test_load_context_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidContextFile, match="cannot read context file"):
        load_context(tmp_path / "nope.json")


def test_rez_reads_our_context_and_we_read_rez_rxt(tmp_path: Path, rez_env: dict[str, str]) -> None:
    repo = tmp_path / "repo"
    for name, text in {
        "python/3.11.7": 'name = "python"\nversion = "3.11.7"\n',
        "foo/1.0": 'name = "foo"\nversion = "1.0"\nrequires = ["python"]\n'
        'variants = [["python-3"]]\n',
    }.items():
        (repo / name).mkdir(parents=True)
        (repo / name / "package.py").write_text(text)
    rxt = tmp_path / "rez.rxt"
    script = textwrap.dedent(
        """
        import json, sys
        from rez.resolved_context import ResolvedContext
        ours = ResolvedContext.load(sys.argv[1])
        print(json.dumps([v.qualified_name for v in ours.resolved_packages]))
        theirs = ResolvedContext(["foo"], package_paths=[sys.argv[2]])
        theirs.save(sys.argv[3])
        """
    )
    ours = ResolvedContext(
        request=("foo",),
        status="solved",
        variants=(
            ContextVariant(
                name="python",
                version="3.11.7",
                index=None,
                location=str(repo),
                root=f"{repo}/python/3.11.7",
                base=f"{repo}/python/3.11.7",
            ),
            ContextVariant(
                name="foo",
                version="1.0",
                index=0,
                location=str(repo),
                root=f"{repo}/foo/1.0/python-3",
                base=f"{repo}/foo/1.0",
            ),
        ),
        package_paths=(str(repo),),
        timestamp=1,
    )
    save_context(ours, tmp_path / "ours.json")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "ours.json"), str(repo), str(rxt)],
        env=rez_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["python-3.11.7[]", "foo-1.0[0]"]
    loaded = load_context(rxt)
    assert loaded.resolved_strings() == ["python-3.11.7[]", "foo-1.0[0]"]
    assert loaded.request == ("foo",)
    assert loaded.variants[1].base == f"{repo}/foo/1.0"
