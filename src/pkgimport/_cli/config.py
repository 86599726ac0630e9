"""``pkgimport config``: the rez settings pkgimport follows, their values and where each came from.

Like ``rez config`` (``--search-list``, ``--source-list``, ``KEY``), plus the source of every
value (a ``$REZ_*`` variable, a configuration file, or rez's default) and what pkgimport
itself will use (``--repo``, ``--paths`` and implicit packages after pkgimport's own options
and ``$PKGIMPORT_*`` variables).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

from pkgimport import settings
from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from pkgimport._cli._ui import UI
    from pkgimport.rezconfig import RezConfig

__all__ = ["register", "run"]

_EPILOG = """\
examples:
  pkgimport config                          every setting, its value and its source
  pkgimport config packages_path            one value (lists and dicts as JSON)
  pkgimport config package_filter --json    {"key", "value", "source", "files"}
  pkgimport config --source-list            the rez configuration files that were read
"""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the ``config`` subcommand to *sub*."""
    parser = sub.add_parser(
        "config",
        parents=[common],
        help="show the rez settings pkgimport follows and where each came from",
        description="Show the rez configuration as rez 3.4 reads it ($REZ_CONFIG_FILE, "
        "~/.rezconfig, $REZ_<KEY> and $REZ_<KEY>_JSON), each value with its source, and "
        "what pkgimport uses after its own options.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("key", nargs="?", metavar="KEY", help="show this setting only")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--search-list", action="store_true", help="list the configuration files searched"
    )
    parser.add_argument(
        "--source-list", action="store_true", help="list the configuration files read"
    )
    parser.set_defaults(run=run)


def _text(value: Any) -> str:
    """Scalars as rez config prints them; lists and dicts as JSON (which is also YAML)."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _one(config: RezConfig, key: str) -> dict[str, Any]:
    from pkgimport.rezconfig import SETTINGS  # noqa: PLC0415 - see run()

    if key in SETTINGS:
        return config.setting(key).to_dict()
    if key.startswith("plugins."):
        value = config.plugin_setting(*key.split(".")[1:])
        if value is not None:
            return {"key": key, "value": value, "source": "files or defaults", "files": []}
    if key in config.extra_keys():
        # Set by a file, but not a setting pkgimport reads: shown as the files merged it.
        value = config.file_value(key)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = repr(value)
        return {"key": key, "value": value, "source": "files (not read by pkgimport)", "files": []}
    raise PkgImportError(
        f"no such setting: {key!r}",
        hint="run 'pkgimport config' to list the settings pkgimport reads",
    )


def _pkgimport_values(args: argparse.Namespace, config: RezConfig) -> dict[str, Any]:
    """Return what pkgimport itself uses, after its options and ``$PKGIMPORT_*`` variables."""
    from pkgimport.resolver.implicits import ENV_VAR, implicit_packages  # noqa: PLC0415

    repo = settings.repo_path(args.repo)
    if args.repo:
        repo_source = "--repo"
    elif os.environ.get("PKGIMPORT_REPO"):
        repo_source = "$PKGIMPORT_REPO"
    else:
        repo_source = f"rez local_packages_path ({config.source('local_packages_path')})"
    paths = settings.package_paths(args.paths, repo)
    if args.paths:
        paths_source = "--paths"
    elif os.environ.get("PKGIMPORT_PATHS"):
        paths_source = "$PKGIMPORT_PATHS"
    elif not config.is_default("packages_path") and config.get("packages_path"):
        paths_source = f"rez packages_path ({config.source('packages_path')})"
    else:
        paths_source = "the repository"
    if ENV_VAR in os.environ:
        implicit_source = f"${ENV_VAR}"
    else:
        implicit_source = f"rez implicit_packages ({config.source('implicit_packages')})"
    return {
        "repo": {"value": str(repo), "source": repo_source},
        "paths": {"value": [str(p) for p in paths], "source": paths_source},
        "implicit_packages": {"value": list(implicit_packages()), "source": implicit_source},
    }


def run(args: argparse.Namespace, ui: UI) -> int:
    """Run ``pkgimport config``."""
    from pkgimport._cli._configured import unsupported_settings  # noqa: PLC0415
    from pkgimport.rezconfig import rez_config  # noqa: PLC0415 - see the imports

    config = rez_config()
    if args.search_list or args.source_list:
        files = config.search_list() if args.search_list else config.source_list()
        if args.json:
            ui.json(files)
        for path in [] if args.json else files:
            ui.print(path)
        return 0
    if args.key:
        found = _one(config, args.key)
        if args.json:
            ui.json(found)
        else:
            ui.print(_text(found["value"]))
            ui.info(f"(from {found['source']})")
        return 0
    values = [s.to_dict() for s in config]
    ours = _pkgimport_values(args, config)
    warnings = unsupported_settings(config)
    if args.json:
        ui.json(
            {
                "settings": values,
                "pkgimport": ours,
                "not_followed": warnings,
                "search_list": config.search_list(),
                "source_list": config.source_list(),
                "other_keys": config.extra_keys(),
            }
        )
        return 0
    width = max(len(v["key"]) for v in values)
    for v in values:
        ui.print(f"{v['key'].ljust(width)}  {_text(v['value'])}  ({v['source']})")
    ui.print()
    ui.print("pkgimport uses:")
    for key, v in ours.items():
        ui.print(f"  {key.ljust(17)}  {_text(v['value'])}  ({v['source']})")
    for message in warnings:
        ui.warn(message)
    return 0
