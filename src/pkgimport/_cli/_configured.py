"""What the user's rez configuration changes in ``pkgimport resolve`` and ``pkgimport env``.

The rez settings a resolve honours (see :mod:`pkgimport.rezconfig`), turned into the
resolve session's options: ``package_filter`` (what ``--exclude``/``--include`` add to, unless
``--no-filters``), ``package_orderers`` (unless ``--orderers FILE``), ``variant_select_mode``,
``error_on_missing_variant_requires``, ``allow_unversioned_packages``, and for environments
``parent_variables``/``all_parent_variables``, ``env_var_separators`` and
``standard_system_paths``. Settings that would change a resolve or an environment in a way
pkgimport does not follow are reported once per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    import argparse

    from pkgimport._cli._ui import UI
    from pkgimport.resolver.environment import EnvironmentOptions
    from pkgimport.rezconfig import RezConfig

__all__ = ["ConfiguredOptions", "unsupported_settings"]

_WARNED: set[str] = set()
"""Settings already reported in this process."""


class ConfiguredOptions:
    """The resolve options that come from the rez configuration (read once, not changed).

    A plain class, not a dataclass: it is built by every resolve, and a dataclass costs about
    a millisecond of start-up to define.

    :raises InvalidRezConfig: a setting a resolve needs is broken.
    """

    __slots__ = (
        "allow_unversioned_packages",
        "error_on_missing_variant_requires",
        "filter_pods",
        "orderer_pods",
        "orderer_source",
        "variant_select_mode",
    )

    def __init__(self, config: RezConfig, args: argparse.Namespace) -> None:
        no_filters = bool(getattr(args, "no_filters", False))
        self.filter_pods: tuple[dict[str, Any], ...] = (
            () if no_filters else tuple(config.get("package_filter"))
        )
        """``package_filter``: ``{"excludes", "includes"}`` dicts (none with ``--no-filters``)."""
        self.orderer_pods: tuple[dict[str, Any], ...] = (
            () if args.orderers else tuple(config.get("package_orderers"))
        )
        """``package_orderers`` pods (none when ``--orderers FILE`` is given)."""
        self.orderer_source: str = config.source("package_orderers")
        """Where ``package_orderers`` came from (for error messages)."""
        self.variant_select_mode: str = config.get("variant_select_mode")
        """rez's ``variant_select_mode``."""
        self.error_on_missing_variant_requires: bool = config.get(
            "error_on_missing_variant_requires"
        )
        """rez's ``error_on_missing_variant_requires``."""
        self.allow_unversioned_packages: bool = config.get("allow_unversioned_packages")
        """rez's ``allow_unversioned_packages``."""


def environment_options(config: RezConfig) -> EnvironmentOptions:
    """``EnvironmentOptions`` with the rez settings ``pkgimport env`` follows."""
    from pkgimport.resolver.environment import EnvironmentOptions  # noqa: PLC0415 - env only

    parent: list[str] | bool = (
        True if config.get("all_parent_variables") else list(config.get("parent_variables"))
    )
    system_paths = config.get("standard_system_paths")
    return EnvironmentOptions(
        parent_variables=parent,
        separators=dict(config.get("env_var_separators")),
        system_paths=tuple(system_paths) if system_paths else None,
    )


def unsupported_settings(config: RezConfig) -> list[str]:
    """One message per setting whose value makes rez do what pkgimport does not.

    A setting that cannot even be read is left to whoever needs it (rez reads settings
    lazily too).
    """
    from pkgimport.rezconfig import SETTINGS, InvalidRezConfig  # noqa: PLC0415

    out: list[str] = []
    for key, setting in SETTINGS.items():
        if setting.use != "unsupported" or not config.is_set(key):
            continue
        try:
            value = config.setting(key)
        except InvalidRezConfig:
            continue
        if value.source == "defaults" or value.value == config.expand_for(setting.default, None):
            continue
        if key == "rez_1_environment_variables" and _quiet_rez_1(config):
            continue
        out.append(f"rez setting {key} = {value.value!r} (from {value.source}) is not followed")
    filenames = config.plugin_setting("package_repository", "filesystem", "package_filenames")
    if filenames != ["package"]:
        out.append(
            "rez setting plugins.package_repository.filesystem.package_filenames = "
            f"{filenames!r} is not followed: pkgimport reads package.py / package.yaml"
        )
    return out


def _quiet_rez_1(config: RezConfig) -> bool:
    """Tell whether rez leaves out its rez-1 variables (``disable_rez_1_compatibility``)."""
    from pkgimport.rezconfig import InvalidRezConfig  # noqa: PLC0415

    try:
        return bool(config.get("disable_rez_1_compatibility"))
    except InvalidRezConfig:
        return False


def warn_unsupported(config: RezConfig, ui: UI) -> None:
    """Warn about :func:`unsupported_settings`, each once per process."""
    try:
        messages = unsupported_settings(config)
    except PkgImportError:  # a broken configuration is reported where it is used
        return
    for message in messages:
        if message not in _WARNED:
            _WARNED.add(message)
            ui.warn(message + "; pkgimport may resolve or build environments differently")
