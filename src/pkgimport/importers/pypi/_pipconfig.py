r"""The user's pip configuration: indexes, find-links, certificates, timeout.

Read the way pip reads it (``pip config list``): the global, user and site files, then
``$PIP_CONFIG_FILE``, then ``PIP_*`` environment variables, each overriding the one before;
in each file ``[global]`` then ``[install]``. Nothing is hard-coded but pip's own default
index, used only when the configuration names none.

>>> opts = parse_pip_config([("f", "[global]\nextra-index-url = a b\n")], {})
>>> opts.index_urls
('https://pypi.org/simple', 'a', 'b')
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import site_config_dir, user_config_dir

from pkgimport.importers.pypi._errors import PackageIndexError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["PipOptions", "config_files", "parse_pip_config", "read_pip_config"]

DEFAULT_INDEX = "https://pypi.org/simple"
"""pip's default index (used only when the configuration names none)."""

_SECTIONS = ("global", "install")


@dataclass(frozen=True, kw_only=True, slots=True)
class PipOptions:
    """What pkgimport takes from a pip configuration."""

    index_url: str = DEFAULT_INDEX
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    cert: str | None = None
    client_cert: str | None = None
    timeout: float = 60.0
    trusted_hosts: tuple[str, ...] = ()

    @property
    def index_urls(self) -> tuple[str, ...]:
        """The indexes to read, in order (none with ``no-index``)."""
        if self.no_index:
            return ()
        return (self.index_url, *self.extra_index_urls)


def config_files(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Pip's configuration files on this machine, lowest priority first."""
    env = os.environ if environ is None else environ
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return []  # pip: PIP_CONFIG_FILE=os.devnull disables every file
    files = [Path(d) / "pip.conf" for d in site_config_dir("pip", multipath=True).split(os.pathsep)]
    if sys.platform != "win32":
        files.append(Path("/etc/pip.conf"))
    home = Path(env.get("HOME", "~")).expanduser()
    files.append(home / ".pip" / "pip.conf")
    files.append(Path(user_config_dir("pip", appauthor=False, roaming=True)) / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if explicit:
        files.append(Path(explicit))
    # /etc/xdg/pip comes before /etc/pip.conf in pip's global list; keep pip's exact order.
    return list(dict.fromkeys(files))


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split())


def _apply(values: dict[str, str], key: str, value: str) -> None:
    values[key.replace("_", "-").lower()] = value


def parse_pip_config(texts: Sequence[tuple[str, str]], environ: Mapping[str, str]) -> PipOptions:
    """Combine pip configuration *texts* and ``PIP_*`` variables from *environ*.

    *texts* are ``(source, text)`` pairs, lowest priority first.

    :raises PackageIndexError: a file is not valid INI (names the source).
    """
    values: dict[str, str] = {}
    for source, text in texts:
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(text, source=source)
        except configparser.Error as exc:
            raise PackageIndexError(f"invalid pip configuration {source!r}: {exc}") from None
        for section in _SECTIONS:
            if parser.has_section(section):
                for key, value in parser.items(section):
                    _apply(values, key, value)
    for key, value in environ.items():
        if key.startswith("PIP_") and key != "PIP_CONFIG_FILE":
            _apply(values, key[4:], value)
    timeout = values.get("timeout", values.get("default-timeout", "60"))
    return PipOptions(
        index_url=values.get("index-url", DEFAULT_INDEX).strip() or DEFAULT_INDEX,
        extra_index_urls=_split(values.get("extra-index-url", "")),
        find_links=_split(values.get("find-links", "")),
        no_index=values.get("no-index", "").lower() in {"1", "true", "yes", "on"},
        cert=values.get("cert") or None,
        client_cert=values.get("client-cert") or None,
        timeout=float(timeout) if timeout.replace(".", "", 1).isdigit() else 60.0,
        trusted_hosts=_split(values.get("trusted-host", "")),
    )


def read_pip_config(environ: Mapping[str, str] | None = None) -> PipOptions:
    """Read this machine's pip configuration (files and ``PIP_*`` variables)."""
    env = os.environ if environ is None else environ
    texts = []
    for path in config_files(env):
        try:
            texts.append((str(path), path.read_text(encoding="utf-8")))
        except (FileNotFoundError, NotADirectoryError, PermissionError):  # noqa: PERF203
            continue
    return parse_pip_config(texts, env)
