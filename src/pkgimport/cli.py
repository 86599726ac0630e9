"""Command-line interface: argument parsing, error handling and exit codes.

The only module (with its ``_cli`` subcommands) that prints or exits. Each subcommand lives in
``pkgimport._cli.<name>`` and provides ``register(subparsers)`` and ``run(args, ui) -> int``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import sys
from typing import TYPE_CHECKING, NoReturn

from pkgimport import __version__
from pkgimport._cli._ui import UI
from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["main", "run"]

# Subcommands in --help order; a module that is not there yet is simply not offered.
_COMMANDS = ("pypi", "scoop", "resolve", "env", "list", "bind", "config", "cache")

_EPILOG = """\
examples:
  pkgimport pypi sqlalchemy                 import a PyPI project and its closure
  pkgimport scoop ripgrep --definition-only import a Scoop app's definition
  pkgimport resolve sqlalchemy python-3.11  resolve like rez env, without running anything
  pkgimport env sqlalchemy -- python -c "import sqlalchemy"

where packages go (rez's own settings count: 'pkgimport config' shows them and their source):
  --repo DIR    (imports) default $PKGIMPORT_REPO, then rez's local_packages_path (~/packages)
  --paths A:B   (resolves) default $PKGIMPORT_PATHS, then rez's packages_path if set, the repo
"""


class _UsageError(Exception):
    """argparse found bad arguments (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Add --repo, --paths, --verbose and --quiet (without defaults: ``SUPPRESS``)."""
    unset: object = None if defaults else argparse.SUPPRESS
    off: object = False if defaults else argparse.SUPPRESS
    parser.add_argument(
        "--repo",
        metavar="DIR",
        default=unset,
        help="repository imports write to (default: $PKGIMPORT_REPO, rez's "
        "local_packages_path: $REZ_LOCAL_PACKAGES_PATH, rezconfig, ~/packages)",
    )
    parser.add_argument(
        "--paths",
        metavar="PATHS",
        action="append",
        default=unset,
        help="repositories resolves read, in order, separated by ':' (default: "
        "$PKGIMPORT_PATHS, rez's packages_path when set: $REZ_PACKAGES_PATH, rezconfig; "
        "the repo)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=off,
        help="show details and tracebacks",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=off, help="print results only"
    )


def _build_parser(prog: str | None, only: str | None = None) -> argparse.ArgumentParser:
    """Build the parser; with *only* (a command's name), that command's subparser alone.

    ``pkgimport resolve ...`` needs no other subcommand: importing and building the others
    costs a fresh process 20 ms, a third of a resolve the shared cache answers.
    """
    parser = _Parser(
        prog=prog or "pkgimport",
        description="Import PyPI projects and Scoop apps as rez packages, and resolve them "
        "exactly like rez 3.4 does.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pkgimport {__version__}")
    # The global options are accepted before the command and after it (`pkgimport --repo R
    # list` and `pkgimport list --repo R`): the command's copies leave what the main parser
    # read alone unless they are given again (then they win; --paths lists add up).
    _add_global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, defaults=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"pkgimport._cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pkgimport._cli.{name}":
                raise
            continue
        module.register(sub, common)
    return parser


def _error_json(exc: BaseException, *, hint: str | None, kind: str) -> dict[str, object]:
    """Return the one JSON document a failed ``--json`` command prints on stdout."""
    error: dict[str, object] = {
        "kind": kind,
        "type": type(exc).__name__.lstrip("_"),
        "message": str(exc),
    }
    if hint:
        error["hint"] = hint
    # The input named by the error, where the exception carries it (see pkgimport.errors).
    for key in ("app", "key_path", "reason", "what", "name", "path"):
        value = getattr(exc, key, None)
        if isinstance(value, str) and value:
            error[key] = value
    return {"ok": False, "error": error}


@contextlib.contextmanager
def _handle_errors(ui: UI, exit_code: list[int], *, as_json: bool) -> Iterator[None]:
    """Map exceptions to one message and an exit code; tracebacks only with --verbose.

    With ``--json``, stdout also carries one JSON document describing the error, so a script
    always has something to parse.
    """
    try:
        yield
    except PkgImportError as exc:
        if ui.verbose:
            import traceback  # noqa: PLC0415 - only with --verbose (5 ms at start-up)

            ui.err.print(traceback.format_exc(), markup=False, style="dim")
        ui.error(str(exc), exc.hint)
        if as_json:
            ui.json(_error_json(exc, hint=exc.hint, kind="error"))
        exit_code[0] = 1
    except KeyboardInterrupt as exc:
        message = "interrupted; nothing was changed that was not already complete"
        ui.error(message)
        if as_json:
            ui.json(_error_json(exc, hint=None, kind="interrupted") | {"message": message})
        exit_code[0] = 130
    except BrokenPipeError:
        exit_code[0] = 1


def main(argv: Sequence[str], prog: str | None = None) -> int:
    """Run the CLI with *argv* (without the program name) and return the exit code."""
    parser = _build_parser(prog, argv[0] if argv and argv[0] in _COMMANDS else None)
    try:
        args = parser.parse_args(list(argv))
    except _UsageError as exc:
        hint = "run with --help to see the usage"
        UI().error(str(exc), hint)
        if "--json" in argv:
            UI().json(_error_json(exc, hint=hint, kind="usage"))
        return 2
    if args.command is None:
        parser.print_help()
        return 2
    ui = UI(verbose=args.verbose, quiet=args.quiet)
    exit_code = [1]
    with _handle_errors(ui, exit_code, as_json=bool(getattr(args, "json", False))):
        exit_code[0] = int(args.run(args, ui))
    return exit_code[0]


def run(prog: str | None = None) -> NoReturn:  # pragma: no cover - process entry point
    """Console-script (and ``python -m pkgimport``) entry point: run, then end the process."""
    import pkgimport._cli  # noqa: PLC0415 - already imported by the parser; set its flag

    pkgimport._cli.process_exits_after_command = True
    code = main(sys.argv[1:], prog)
    # The process ends here. Interpreter shutdown runs full garbage collections over every
    # object still alive (parse caches, listings, the solver's state): 30 ms after a resolve.
    # Frozen objects are skipped; nothing is left to collect that matters to a process that
    # exits (atexit handlers, such as the listing index save, still run).
    gc.freeze()
    sys.exit(code)
