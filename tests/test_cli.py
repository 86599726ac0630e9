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
