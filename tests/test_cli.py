from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pkgimport.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def test_help_lists_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "pkgimport pypi sqlalchemy" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error_without_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    assert "Traceback" not in err


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pkgimport", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("pkgimport ")


def test_building_the_parser_imports_nothing_heavy() -> None:
    # Start-up time: every command (even --help) builds every subcommand's parser.
    code = (
        "import sys; from pkgimport.cli import _build_parser; _build_parser(None); "
        "print(' '.join(sorted(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    heavy = {
        "rich",
        "yaml",
        "filelock",
        "requests",
        "packaging",
        "subprocess",
        "pkgimport.definition",
        "pkgimport.repository",
        "pkgimport.resolver",
        "pkgimport.importers",
    }
    assert loaded.isdisjoint(heavy), sorted(loaded & heavy)


def test_bind_help_names_every_target() -> None:
    from pkgimport._cli.bind import TARGETS_HELP  # noqa: PLC0415
    from pkgimport.bind import BIND_TARGETS  # noqa: PLC0415

    assert ", ".join(BIND_TARGETS) == TARGETS_HELP


@pytest.mark.parametrize(
    "argv",
    [
        ["--repo", "{repo}", "list", "--json"],
        ["list", "--repo", "{repo}", "--json"],
        ["--paths", "{repo}", "list", "--json"],
        ["-q", "--paths", "/nowhere", "list", "--paths", "{repo}", "--json"],
    ],
)
def test_global_options_work_before_and_after_the_command(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a repository with one package
    repo = tmp_path / "repo"
    assert main(["bind", "platform", "--repo", str(repo)]) == 0
    capsys.readouterr()
    # WHEN the global option stands before, after, or on both sides of the command
    code = main([a.replace("{repo}", str(repo)) for a in argv])
    # THEN it is read the same way (and --paths given twice adds up, in order)
    out = capsys.readouterr().out
    assert code == 0
    assert "platform" in out, out


def test_the_command_s_copy_of_a_global_option_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["--repo", str(first), "bind", "platform", "--repo", str(second)]) == 0
    assert (second / "platform").is_dir()
    assert not (first / "platform").exists()


def test_a_failing_json_command_still_prints_one_json_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["resolve", "nosuch", "--paths", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    data = json.loads(captured.out)  # exactly one document
    assert data["ok"] is False
    assert data["error"]["kind"] == "error"
    assert data["error"]["type"] == "PackageFamilyNotFoundError"  # rez's class name
    assert "nosuch" in data["error"]["message"]
    assert data["error"]["hint"]
    assert "error: package family not found: nosuch" in captured.err
    assert "Traceback" not in captured.err


def test_a_usage_error_with_json_prints_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--bogus", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["error"]["kind"] == "usage"
    assert "--bogus" in data["error"]["message"]
