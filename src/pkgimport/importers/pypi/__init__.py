"""The PyPI importer: PyPI wheels (and sdists) → rez packages, per target.

Policy: ``docs`` / ``specs/pypi.md``. The pieces, each usable on its own:

* :func:`family_name`, :func:`convert_version`, :func:`convert_specifier`: names, versions
  and specifiers as rez spells them;
* :class:`TargetPlatform`: the marker environment and wheel tags of one target;
* :func:`read_pip_config` and :class:`Index`: the user's indexes, Simple API and PEP 658;
* :class:`PypiImporter`: plan (per-target closures), fetch (parallel, verified, cached),
  build (checked wheels installed with ``installer``) → :class:`~pkgimport.ImportedPackage`.
"""

from __future__ import annotations

from pkgimport.importers.pypi._cache import DownloadCache
from pkgimport.importers.pypi._convert import ChosenFile, convert_requirement, make_definition
from pkgimport.importers.pypi._errors import (
    InvalidWheel,
    NoCompatibleDistribution,
    PackageIndexError,
    UnsafeWheelName,
)
from pkgimport.importers.pypi._importer import ImportPlan, PlannedPackage, PypiImporter
from pkgimport.importers.pypi._index import DistFile, Index
from pkgimport.importers.pypi._names import FamilyNames, family_name, normalize_name
from pkgimport.importers.pypi._pipconfig import PipOptions, read_pip_config
from pkgimport.importers.pypi._resolve import resolve_closure
from pkgimport.importers.pypi._target import TargetPlatform
from pkgimport.importers.pypi._versions import convert_specifier, convert_version

__all__ = [
    "ChosenFile",
    "DistFile",
    "DownloadCache",
    "FamilyNames",
    "ImportPlan",
    "Index",
    "InvalidWheel",
    "NoCompatibleDistribution",
    "PackageIndexError",
    "PipOptions",
    "PlannedPackage",
    "PypiImporter",
    "TargetPlatform",
    "UnsafeWheelName",
    "convert_requirement",
    "convert_specifier",
    "convert_version",
    "family_name",
    "make_definition",
    "normalize_name",
    "read_pip_config",
    "resolve_closure",
]


def __dir__() -> list[str]:
    return __all__
