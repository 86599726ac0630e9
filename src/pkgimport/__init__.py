"""pkgimport: PyPI projects and Scoop apps as rez packages, resolved exactly like rez."""

from __future__ import annotations

from pkgimport.definition import Action, ImportedPackage, PackageDefinition
from pkgimport.errors import PkgImportError

__all__ = ["Action", "ImportedPackage", "PackageDefinition", "PkgImportError", "__version__"]

__version__ = "0.1.0"
