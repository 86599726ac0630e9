"""The Scoop importer facade: find a manifest, convert it, build the payloads.

Collaborators come in (buckets, fetcher, tool lookup, recipes); nothing here writes to a
repository: the caller adds the returned :class:`ImportedPackage` to a transaction.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from pkgimport.definition import ImportedPackage, PackageDefinition
from pkgimport.importers.scoop._bucket import AppSpec, parse_app_spec
from pkgimport.importers.scoop._convert import (
    GENERATED_COMPUTED,
    ConvertOptions,
    convert_manifest,
)
from pkgimport.importers.scoop._errors import ManifestRefused
from pkgimport.importers.scoop._manifest import parse_manifest
from pkgimport.importers.scoop._payload import build_payload
from pkgimport.importers.scoop._recipes import RecipeBook, apply_recipe

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pkgimport.importers.scoop._bucket import BucketSet, FoundManifest
    from pkgimport.importers.scoop._convert import Conversion
    from pkgimport.importers.scoop._download import Fetcher
    from pkgimport.importers.scoop._manifest import Arch

__all__ = ["ImportOptions", "ScoopImport", "ScoopImporter"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportOptions:
    """What the user allowed and asked for."""

    archs: tuple[Arch, ...] | None = None
    skip_scripts: bool = False
    allow_unverified: bool = False
    definition_only: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ScoopImport:
    """One converted app: where its manifest came from and what it became."""

    found: FoundManifest
    conversion: Conversion
    recipe: str | None = None
    """Name of the recipe that replaces the manifest's scripts, if any."""


class ScoopImporter:
    """Turns Scoop app specs into :class:`ImportedPackage` values.

    :param buckets: where app names are looked up.
    :param fetcher: downloads payloads (only used without ``definition_only``).
    :param which: finds extraction tools on PATH.
    :param recipes: declarative replacements for well-known manifests' scripts.
    :param today: ``YYYYMMDD`` for nightly versions (default: today, UTC).
    """

    def __init__(
        self,
        buckets: BucketSet,
        *,
        fetcher: Fetcher | None = None,
        which: Callable[[str], str | None] = shutil.which,
        recipes: RecipeBook | None = None,
        today: str | None = None,
    ) -> None:
        self._buckets = buckets
        self._fetcher = fetcher
        self._which = which
        self._recipes = recipes if recipes is not None else RecipeBook.bundled()
        self._today = today or dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")

    def convert(self, spec: str | AppSpec, options: ImportOptions) -> ScoopImport:
        """Find and convert one app (no network for bucket folders and manifest paths).

        :raises ManifestRefused: not found, invalid, or refused (with reason and key path).
        """
        app_spec = parse_app_spec(spec) if isinstance(spec, str) else spec
        found = self._buckets.find(app_spec)
        try:
            manifest = parse_manifest(found.data)
        except ManifestRefused as exc:
            raise exc.with_app(found.source) from None
        recipe = self._recipes.find(found.app, manifest)
        conv_options = ConvertOptions(
            app=found.app,
            bucket=found.bucket,
            archs=options.archs,
            skip_scripts=options.skip_scripts,
            # A generated manifest has no hash: its payload's sha256 is computed at download
            # (recorded as such); without a download nothing would be, so that needs the flag.
            allow_unverified=options.allow_unverified
            or (found.generated and not options.definition_only),
            recipe=recipe.name if recipe else "",
            recipe_hooks=recipe.replaces if recipe else frozenset(),
            nightly_date=self._today,
            source=found.source,
            generated=found.generated,
        )
        conversion = convert_manifest(manifest, conv_options)
        return ScoopImport(
            found=found, conversion=conversion, recipe=recipe.name if recipe else None
        )

    def build(self, converted: ScoopImport, work: Path) -> ImportedPackage:
        """Download, verify and extract every variant into *work* (an empty folder).

        :raises PayloadError: a download, hash or extraction failure (nothing is kept).
        """
        if self._fetcher is None:
            from pkgimport.importers.scoop._download import RequestsFetcher  # noqa: PLC0415

            self._fetcher = RequestsFetcher()
        conversion = converted.conversion
        payloads: dict[int, Path] = {}
        digests: list[list[str]] = []
        recipe = self._recipes.get(converted.recipe) if converted.recipe else None
        which = self._which

        def run_recipe(root: Path) -> None:
            if recipe is not None:
                apply_recipe(recipe, root, which=which)

        for plan in conversion.variants:
            folder = work / f"variant{plan.index}"
            result = build_payload(
                plan,
                folder,
                self._fetcher,
                cookies=plan.cookies,
                which=which,
                after_extract=run_recipe,
            )
            payloads[plan.index] = result.root
            digests.append(list(result.sha256))
        definition = _record_digests(conversion, digests, generated=converted.found.generated)
        return ImportedPackage(definition=definition, payloads=payloads)


def _record_digests(
    conversion: Conversion, digests: list[list[str]], *, generated: bool
) -> PackageDefinition:
    definition = conversion.definition
    scoop = dict(cast("dict[str, object]", definition.metadata["scoop"]))
    variants = [dict(v) for v in cast("list[dict[str, object]]", scoop["variants"])]
    for variant, plan, sha in zip(variants, conversion.variants, digests, strict=True):
        variant["sha256"] = sha
        if generated:
            variant["sha256_status"] = "computed, not reviewed"
        elif any(d.algo is None for d in plan.downloads):
            # --allow-unverified: what was downloaded, not what anybody said it should be.
            variant["sha256_status"] = "computed, unverified"
    if generated:
        scoop["generated"] = GENERATED_COMPUTED
    scoop["variants"] = variants
    return replace(definition, metadata={**definition.metadata, "scoop": scoop})
