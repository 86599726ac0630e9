"""Scoop importer: Scoop manifests as rez packages, following Scoop's own rules on any host.

>>> from pkgimport.importers.scoop import ConvertOptions, convert_manifest, parse_manifest
>>> manifest = parse_manifest({"version": "1.0", "homepage": "https://x", "license": "MIT",
...                            "url": "https://x/t.zip", "hash": "0" * 64, "bin": "t.exe"})
>>> convert_manifest(manifest, ConvertOptions(app="t")).definition.tools
('t',)

The command line composes the pieces: :class:`BucketSet` finds manifests,
:class:`ScoopImporter` converts them and builds payloads, the repository's transaction writes.
"""

from __future__ import annotations

from pkgimport.importers.scoop._bucket import (
    KNOWN_BUCKETS,
    AppSpec,
    Bucket,
    BucketSet,
    FoundManifest,
    parse_app_spec,
    parse_bucket_option,
)
from pkgimport.importers.scoop._convert import Conversion, ConvertOptions, convert_manifest
from pkgimport.importers.scoop._errors import InvalidManifest, ManifestRefused, PayloadError
from pkgimport.importers.scoop._importer import ImportOptions, ScoopImport, ScoopImporter
from pkgimport.importers.scoop._manifest import Manifest, parse_manifest
from pkgimport.importers.scoop._recipes import Recipe, RecipeBook

__all__ = [
    "KNOWN_BUCKETS",
    "AppSpec",
    "Bucket",
    "BucketSet",
    "Conversion",
    "ConvertOptions",
    "FoundManifest",
    "ImportOptions",
    "InvalidManifest",
    "Manifest",
    "ManifestRefused",
    "PayloadError",
    "Recipe",
    "RecipeBook",
    "ScoopImport",
    "ScoopImporter",
    "convert_manifest",
    "parse_app_spec",
    "parse_bucket_option",
    "parse_manifest",
]


def __dir__() -> list[str]:
    return __all__
