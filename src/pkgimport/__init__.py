"""pkgimport: PyPI projects and Scoop apps as rez packages, resolved exactly like rez."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pkgimport.errors import PkgImportError

if TYPE_CHECKING:
    from pkgimport.definition import Action, ImportedPackage, PackageDefinition

__all__ = ["Action", "ImportedPackage", "PackageDefinition", "PkgImportError", "__version__"]

__version__ = "0.1.0"

# The definition model is imported on first use: every ``pkgimport.*`` import (the CLI's
# start-up, a worker process) runs this file, and most of them never need it.
_LAZY = frozenset({"Action", "ImportedPackage", "PackageDefinition"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from pkgimport import definition  # noqa: PLC0415 - see above

        return getattr(definition, name)
    raise AttributeError(f"module 'pkgimport' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
