"""``pkgimport env``: run a command (or a shell) in a resolved environment, like ``rez-env``.

The environment is what the resolved packages' ``commands()`` build (see
:mod:`pkgimport.resolver.environment`). With ``command()``, ``source()`` or ``alias()`` calls,
the command runs through a small POSIX shell script (as rez does), so aliases work and
``command()`` lines run first; ``info()`` messages are printed before the command starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkgimport._cli import cyclic_gc_paused
from pkgimport._cli.resolve import ResolveSession, add_resolve_arguments, print_context
from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pkgimport._cli._ui import UI
    from pkgimport.resolver.context import ResolvedContext
    from pkgimport.resolver.environment import Environment

# The resolver (and subprocess, shutil...) are imported where they are used: building the
# parser for any command imports this module.

__all__ = ["register", "run"]

_EPILOG = """\
examples:
  pkgimport env sqlalchemy -- python -c "import sqlalchemy"
  pkgimport env maya-2024                      an interactive $SHELL in the environment
  pkgimport env --input ctx.json -- make       re-create a saved context without solving
  pkgimport env app --target windows -- printenv   the environment a Windows machine would get
"""


def _split_command(parse: Any) -> Any:
    """Wrap ``parse_known_args`` so that everything after ``--`` is the command."""

    def parse_known_args(
        args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        argv = list(sys.argv[1:] if args is None else args)
        command: list[str] = []
        if "--" in argv:
            at = argv.index("--")
            argv, command = argv[:at], argv[at + 1 :]
        ns, extra = parse(argv, namespace)
        ns.command = command
        return ns, extra

    return parse_known_args


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``env`` subcommand to *sub*."""
    parser = sub.add_parser(
        "env",
        parents=[common],
        help="run a command (or a shell) in a resolved environment",
        description="Resolve the requests like rez-env and run COMMAND (after '--') in the "
        "environment the packages' commands() build; without a command, start $SHELL. "
        "Returns the command's exit code.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] REQUEST... [-- COMMAND [ARGS...]]",
    )
    add_resolve_arguments(parser)
    parser.add_argument(
        "-i", "--input", metavar="FILE", help="use a context saved with --output (no resolve)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="also save the context as JSON")
    # argparse cannot tell requests from a command after '--': split it off first.
    parser.parse_known_args = _split_command(parser.parse_known_args)  # type: ignore[method-assign]
    parser.set_defaults(run=run, command=[])


def _context(args: argparse.Namespace, session: ResolveSession) -> ResolvedContext:
    if args.input:
        from pkgimport.resolver.context import load_context  # noqa: PLC0415 - see the imports

        if args.request:
            raise PkgImportError("pass requests or --input, not both")
        return load_context(Path(args.input))
    # No request resolves the implicit packages alone, as rez-env does.
    return session.resolve(args.request)


def _shell_script(env: Environment, command: Sequence[str] | None, *, bash: bool) -> str:
    """Return shell code that applies aliases, sources and commands, then runs *command*."""
    import shlex  # noqa: PLC0415 - see the imports

    # Aliases become functions, as rez's shells write them; bash exports them to child shells.
    export = ";export -f {name}" if bash else ""
    lines = [
        f'{name}() {{ {value} "$@"; }}' + export.format(name=name)
        for name, value in env.aliases.items()
    ]
    lines += [f"printf '%s\\n' {shlex.quote(m)}" for m in env.infos]
    lines += [f"printf '%s\\n' {shlex.quote(m)} >&2" for m in env.errors]
    lines += [f". {shlex.quote(path)}" for path in env.sources]
    lines += [c if isinstance(c, str) else shlex.join(c) for c in env.commands]
    if command is not None:
        lines.append('"$@"')
    return "\n".join(lines) + "\n"


def _context_script(env: Environment, files: dict[str, str]) -> str:
    """Return POSIX shell code that applies the context (what rez's REZ_CONTEXT_FILE holds)."""
    import shlex  # noqa: PLC0415 - see the imports

    lines = [f"unset {name}" for name in sorted(env.unset)]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in {**files, **env.variables}.items()]
    return "\n".join(lines) + "\n" + _shell_script(env, None, bash=False)


def _needs_shell(env: Environment) -> bool:
    return bool(env.aliases or env.commands or env.sources or env.errors)


def _run_command(env: Environment, environ: dict[str, str], command: list[str], ui: UI) -> int:
    import shutil  # noqa: PLC0415 - see the imports
    import subprocess  # noqa: PLC0415 - see the imports

    if _needs_shell(env):
        sh = shutil.which("bash", path=environ.get("PATH")) or shutil.which("sh") or "/bin/sh"
        script = _shell_script(env, command, bash=Path(sh).name == "bash")
        # "$@" in the script is the command ($0 is only the script's name).
        argv = [sh, "-c", script, "pkgimport-env", *command]
    else:
        for message in env.infos:
            ui.print(message)
        sys.stdout.flush()
        argv = command
    try:
        return subprocess.run(argv, env=environ, check=False).returncode
    except FileNotFoundError:
        raise PkgImportError(
            f"command not found in the resolved environment: {command[0]!r}",
            hint="check the packages put it on PATH: pkgimport env ... -- printenv PATH",
        ) from None
    except PermissionError:
        raise PkgImportError(f"cannot run {command[0]!r}: permission denied") from None


def _run_shell(env: Environment, environ: dict[str, str]) -> int:
    import shutil  # noqa: PLC0415 - see the imports
    import subprocess  # noqa: PLC0415 - see the imports
    import tempfile  # noqa: PLC0415 - see the imports

    shell = environ.get("SHELL") or shutil.which("bash") or "/bin/sh"
    with tempfile.TemporaryDirectory(prefix="pkgimport-env-") as tmp:
        if Path(shell).name == "bash":
            rcfile = Path(tmp) / "rc.sh"
            rcfile.write_text(
                '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n'
                + _shell_script(env, None, bash=True),
                encoding="utf-8",
            )
            argv = [shell, "--rcfile", str(rcfile), "-i"]
        else:
            for message in env.infos:
                sys.stdout.write(message + "\n")
            argv = [shell, "-i"]
        return subprocess.run(argv, env=environ, check=False).returncode


def run(args: argparse.Namespace, ui: UI) -> int:
    """Run ``pkgimport env``."""
    with cyclic_gc_paused():
        return _run(args, ui)


def _run(args: argparse.Namespace, ui: UI) -> int:
    import tempfile  # noqa: PLC0415 - see the imports

    from pkgimport.resolver.context import save_context  # noqa: PLC0415 - see the imports

    session = ResolveSession(args, ui)
    context = _context(args, session)
    if args.output:
        save_context(context, Path(args.output))
    if not context.is_solved:
        print_context(context, ui)
        return 1
    parent = dict(os.environ)
    env = context.environment(
        session.definitions,
        parent_environ=parent,
        options=session.environment_options(),
        local_path=session.local_path,
        system=None if session.target is None else session.target.system,
    )
    environ = env.apply(parent)
    with tempfile.TemporaryDirectory(prefix="pkgimport-ctx-") as tmp:
        # Like rez's shells: the context (REZ_RXT_FILE: the file --input loaded, else a copy,
        # a valid rez context for rez-context and rez-env -p) and the shell code applying it
        # (REZ_CONTEXT_FILE) are readable from inside the environment.
        ctx_file, sh_file = Path(tmp) / "context.rxt", Path(tmp) / "context.sh"
        save_context(context, ctx_file, rez_path=env.variables.get("REZ_USED", ""))
        files = {"REZ_RXT_FILE": args.input or str(ctx_file), "REZ_CONTEXT_FILE": str(sh_file)}
        sh_file.write_text(_context_script(env, files), encoding="utf-8")
        environ.update(files, PKGIMPORT_CONTEXT_FILE=str(ctx_file))
        if args.command:
            return _run_command(env, environ, list(args.command), ui)
        return _run_shell(env, environ)
