from __future__ import annotations

import subprocess
import sys

import pytest

from pkgimport.cli import main


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
