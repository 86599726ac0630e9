"""Issue 12 end to end: requirement files in full, constraints, hash mode, progress events."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main
from pkgimport.importers.pypi._cache import DownloadCache
from pkgimport.importers.pypi._importer import PypiImporter
from pkgimport.importers.pypi._index import Index
from pkgimport.importers.pypi._reporter import ImportReporter, Phase
from pkgimport.importers.pypi._target import TargetPlatform
from tests.importers.pypi.pypi_testing import IndexServer, WheelSpec, build_sdist, build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pkgimport.definition import PackageDefinition


@pytest.fixture
def index(index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> IndexServer:
    index_server.add_wheels(
        WheelSpec(name="six", version="1.16.0"),
        WheelSpec(name="six", version="1.17.0"),
        WheelSpec(name="app", version="1.0", requires=["six"]),
    )
    monkeypatch.setenv("PIP_INDEX_URL", index_server.url)
    return index_server


def _sha256(server: IndexServer, filename: str) -> str:
    return hashlib.sha256((server.folder / filename).read_bytes()).hexdigest()


def _plan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    """Run a --dry-run --json import; return project → version."""
    capsys.readouterr()
    assert main(["pypi", *args, "--dry-run", "--json"]) == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    return {p["project"]: p["version"] for p in data["packages"]}


def test_constraints_from_the_command_line_and_from_files(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del index
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("app\n")
    cons = tmp_path / "constraints.txt"
    # The case: six==1.16.0 was ignored and 1.17.0 chosen. A constraint on a
    # project outside the closure adds nothing.
    cons.write_text("six==1.16.0\nnot-in-closure==1.0\n")
    repo = str(tmp_path / "repo")
    assert _plan(capsys, "-r", str(reqs), "--repo", repo) == {"app": "1.0", "six": "1.17.0"}
    constrained = {"app": "1.0", "six": "1.16.0"}
    assert _plan(capsys, "-r", str(reqs), "-c", str(cons), "--repo", repo) == constrained
    nested = tmp_path / "nested.txt"
    nested.write_text("-c constraints.txt\napp\n")
    assert _plan(capsys, "-r", str(nested), "--repo", repo) == constrained
    assert _plan(capsys, "app", "-c", str(cons), "--repo", repo) == constrained


def test_a_constraint_that_excludes_everything_says_so(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del index
    cons = tmp_path / "c.txt"
    cons.write_text("six<1\n")
    assert main(["pypi", "app", "-c", str(cons), "--repo", str(tmp_path / "r"), "--dry-run"]) == 1
    assert "satisfies six (required by app 1.0), and constraints <1 (-c), with a file" in (
        capsys.readouterr().err
    )


def test_index_options_in_the_file_replace_and_extend_the_configuration(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corp = IndexServer(tmp_path / "corp")
    try:
        corp.add_wheels(WheelSpec(name="corp-only", version="2.0"))
        reqs = tmp_path / "reqs.txt"
        # ${VAR} expansion as pip does it, in an options line.
        reqs.write_text("--index-url ${CORP_INDEX}\ncorp-only\n")
        repo = str(tmp_path / "repo")
        with pytest.MonkeyPatch.context() as env:
            env.setenv("CORP_INDEX", corp.url)
            assert _plan(capsys, "-r", str(reqs), "--repo", repo) == {"corp-only": "2.0"}
            # -i replaced the configured index: six is not there any more...
            reqs.write_text("-i ${CORP_INDEX}\ncorp-only\nsix\n")
            assert main(["pypi", "-r", str(reqs), "--repo", repo, "--dry-run"]) == 1
            assert "no project named 'six' on the index" in capsys.readouterr().err
            # ... and --extra-index-url adds it back.
            reqs.write_text(f"-i ${{CORP_INDEX}}\n--extra-index-url {index.url}\ncorp-only\nsix\n")
            assert _plan(capsys, "-r", str(reqs), "--repo", repo) == {
                "corp-only": "2.0",
                "six": "1.17.0",
            }
        # -f (relative to the file) and --pre.
        links = tmp_path / "links"
        build_wheel(links, WheelSpec(name="linked", version="3.0rc1"))
        reqs.write_text("-f links\n--pre\nlinked\n")
        assert _plan(capsys, "-r", str(reqs), "--repo", repo) == {"linked": "3.0.rc1"}
    finally:
        corp.close()


def test_binary_options(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # six 1.18.0 has only an sdist: --only-binary and --prefer-binary pass it over.
    index.add(build_sdist(tmp_path / "sdists", "six", "1.18.0"))
    repo = str(tmp_path / "repo")
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("--only-binary :all:\nsix\n")
    assert _plan(capsys, "-r", str(reqs), "--repo", repo) == {"six": "1.17.0"}
    assert _plan(capsys, "six", "--prefer-binary", "--repo", repo) == {"six": "1.17.0"}
    reqs.write_text("--no-binary six\nsix<1.18\n")
    assert main(["pypi", "-r", str(reqs), "--repo", repo, "--dry-run"]) == 1
    assert "and the formats allowed (source only), with a file for" in capsys.readouterr().err


def test_hash_checking_mode(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    six = _sha256(index, "six-1.16.0-py3-none-any.whl")
    app = _sha256(index, "app-1.0-py3-none-any.whl")
    repo = tmp_path / "repo"
    reqs = tmp_path / "reqs.txt"
    # 1. A dependency without a hash is refused, with the line to add (as pip does).
    reqs.write_text(f"app==1.0 --hash=sha256:{app}\n")
    assert main(["pypi", "-r", str(reqs), "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    six_17 = _sha256(index, "six-1.17.0-py3-none-any.whl")
    assert f"but no hashes for: six==1.17.0 --hash=sha256:{six_17}" in err
    assert not repo.exists() or not (repo / "app").exists()
    # 2. With a hash for the dependency (in a constraints file), the file of that hash is
    #    chosen: six 1.16.0, not the newer 1.17.0.
    cons = tmp_path / "cons.txt"
    cons.write_text(f"six --hash=sha256:{six}\n")
    assert main(["pypi", "-r", str(reqs), "-c", str(cons), "--repo", str(repo)]) == 0
    assert (repo / "six" / "1.16.0" / "package.py").is_file()
    # 3. A hash no file of the index has.
    reqs.write_text(f"six==1.17.0 --hash=sha256:{six}\n")
    assert main(["pypi", "-r", str(reqs), "--repo", str(repo)]) == 1
    assert "and one of the hashes allowed (--hash), with a file for" in capsys.readouterr().err
    # 4. Downloads are checked too: a local wheel (no index hash) with another hash.
    local = build_wheel(tmp_path / "dist", WheelSpec(name="local-tool", version="0.1"))
    reqs.write_text(f"{local} --hash=sha256:{six}\n")
    assert main(["pypi", "-r", str(reqs), "--repo", str(repo)]) == 1
    real = hashlib.sha256(local.read_bytes()).hexdigest()
    assert (
        f"local_tool-0.1-py3-none-any.whl: hash sha256:{real} is not one the requirements "
        f"allow (sha256:{six})"
    ) in capsys.readouterr().err
    assert not (repo / "local_tool").exists()
    reqs.write_text(f"{local} --hash=sha256:{real}\n")
    assert main(["pypi", "-r", str(reqs), "--repo", str(repo)]) == 0
    assert (repo / "local_tool" / "0.1" / "package.py").is_file()


def test_editable_lines_are_refused_with_file_and_line(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del index
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("six\n-e ./src\n")
    code = main(["pypi", "-r", str(reqs), "--repo", str(tmp_path / "r"), "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["error"]["message"] == (
        f"{reqs}:2: -e ./src: an editable install is a source tree, not a package; build a "
        "wheel (pip wheel --no-deps PATH) and name it instead"
    )


# -- progress ----------------------------------------------------------------------------------

LINUX = TargetPlatform.create(python="3.11", platform="linux", arch="x86_64")
WINDOWS = TargetPlatform.create(python="3.11", platform="windows", arch="AMD64")


class _Recorder(ImportReporter):
    def __init__(self) -> None:
        self.events: list[tuple[str, Phase, str | None, int | None]] = []
        self._lock = threading.Lock()

    def _add(self, *event: object) -> None:
        with self._lock:
            self.events.append(event)  # type: ignore[arg-type]

    def phase_started(self, phase: Phase, total: int | None) -> None:
        self._add("start", phase, None, total)

    def item_started(self, phase: Phase, item: str, size: int | None = None) -> None:
        self._add("item", phase, item, size)

    def item_advanced(self, phase: Phase, item: str, amount: int) -> None:
        self._add("advance", phase, item, amount)

    def item_finished(self, phase: Phase, item: str) -> None:
        self._add("done", phase, item, None)

    def phase_finished(self, phase: Phase) -> None:
        self._add("end", phase, None, None)


class _EmptyRepository:
    def iter_versions(self, family: str) -> Iterator[str]:
        del family
        return iter(())

    def load(self, family: str, version: str) -> PackageDefinition:
        raise AssertionError(f"nothing to load: {family}-{version}")


def test_reporter_events_for_every_phase(index: IndexServer, tmp_path: Path) -> None:
    recorder = _Recorder()
    importer = PypiImporter(Index([index.url]), DownloadCache(tmp_path / "c"), reporter=recorder)
    plan = importer.plan(["app"], [LINUX, WINDOWS], _EmptyRepository())
    resolve = [e for e in recorder.events if e[1] == "resolve"]
    assert resolve[0] == ("start", "resolve", None, 2)
    assert resolve[-1] == ("end", "resolve", None, None)
    for target in (LINUX, WINDOWS):
        mine = [e for e in resolve if e[2] == str(target)]
        # app and six pinned, between the target's start and end.
        assert mine == [
            ("item", "resolve", str(target), None),
            ("advance", "resolve", str(target), 1),
            ("advance", "resolve", str(target), 1),
            ("done", "resolve", str(target), None),
        ]
    recorder.events.clear()
    importer.build(plan, importer.fetch(plan))
    sizes = {
        name: (index.folder / name).stat().st_size
        for name in ("app-1.0-py3-none-any.whl", "six-1.17.0-py3-none-any.whl")
    }
    downloads = [e for e in recorder.events if e[1] == "download"]
    assert downloads[0] == ("start", "download", None, 2)
    assert downloads[-1] == ("end", "download", None, None)
    for name, size in sizes.items():
        mine = [e for e in downloads if e[2] == name]
        assert mine[0] == ("item", "download", name, size)
        assert sum(e[3] or 0 for e in mine if e[0] == "advance") == size
        assert mine[-1] == ("done", "download", name, None)
    installs = [e for e in recorder.events if e[1] == "install"]
    assert installs[0] == ("start", "install", None, 2)
    assert sorted(str(e[2]) for e in installs if e[0] == "done") == ["app-1.0", "six-1.17.0"]
    assert installs[-1] == ("end", "install", None, None)
    # A second fetch finds everything in the cache: no download events at all.
    recorder.events.clear()
    importer.fetch(plan)
    assert recorder.events == [("start", "download", None, 0), ("end", "download", None, None)]


def test_sdist_builds_are_reported(index: IndexServer, tmp_path: Path) -> None:
    index.add(build_sdist(tmp_path / "sdists", "built-here", "2.0"))
    recorder = _Recorder()
    importer = PypiImporter(Index([index.url]), DownloadCache(tmp_path / "c"), reporter=recorder)
    importer.plan(["built-here"], [TargetPlatform.host()], _EmptyRepository())
    builds = [e for e in recorder.events if e[1] == "build"]
    assert builds == [
        ("start", "build", None, 1),
        ("item", "build", "built_here-2.0.tar.gz", None),
        ("done", "build", "built_here-2.0.tar.gz", None),
        ("end", "build", None, None),
    ]


def test_no_progress_when_not_a_terminal(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del index
    repo = tmp_path / "repo"
    assert main(["pypi", "app", "--repo", str(repo), "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # one clean JSON document
    for noise in ("\x1b[", "\r", "downloading", "installing", "verifying", "pinned"):
        assert noise not in captured.err
    assert main(["pypi", "six==1.16.0", "--repo", str(repo), "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_terminal_reporter_draws_every_event(index: IndexServer, tmp_path: Path) -> None:
    # Rendering is rich's; this only shows that every event sequence the importer sends is
    # accepted and drawn on a terminal.
    import io  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from pkgimport._cli._progress import TerminalReporter  # noqa: PLC0415
    from pkgimport._cli._ui import UI  # noqa: PLC0415

    ui = UI()
    stream = io.StringIO()
    ui.err = Console(file=stream, force_terminal=True, width=120)
    assert ui.shows_progress
    assert not UI(quiet=True).shows_progress
    with TerminalReporter(ui) as reporter:
        importer = PypiImporter(
            Index([index.url]), DownloadCache(tmp_path / "c"), reporter=reporter
        )
        plan = importer.plan(["app"], [LINUX, WINDOWS], _EmptyRepository())
        importer.build(plan, importer.fetch(plan))
        reporter.phase_started("verify", None)
        reporter.phase_finished("verify")
        text = reporter.progress.get_renderable()
        ui.err.print(text)
    assert "resolved for python 3.11 linux/x86_64" in stream.getvalue()
    assert "2/2 files" in stream.getvalue()
