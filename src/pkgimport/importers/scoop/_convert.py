"""A Scoop manifest as a rez :class:`PackageDefinition` plus the plan for each variant's payload.

Pure: no file, network or clock access (the nightly date is passed in). Every value taken from
the manifest goes into the definition as data: environment values are escaped and checked
(``_environment``), launchers are recorded as data the payload step writes.

>>> from pkgimport.importers.scoop._manifest import parse_manifest
>>> m = parse_manifest({"version": "1.2", "homepage": "https://x", "license": "MIT",
...     "url": "https://x/a.zip", "hash": "0" * 64, "bin": "a.exe"})
>>> conv = convert_manifest(m, ConvertOptions(app="my-app"))
>>> conv.definition.name, conv.definition.variants, conv.definition.tools
('my_app', (('platform-windows',),), ('a',))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pkgimport.definition import PackageDefinition
from pkgimport.importers.scoop._environment import package_commands, uses_persist_home
from pkgimport.importers.scoop._errors import InvalidManifest, ManifestRefused
from pkgimport.importers.scoop._hooks import HookStep, parse_hook
from pkgimport.importers.scoop._launchers import Launcher, build_launchers
from pkgimport.importers.scoop._names import family_name, requirement_name, rez_version
from pkgimport.importers.scoop._persist import Persist, parse_persist
from pkgimport.safe_names import UnsafeName, check_tool_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pkgimport.definition import Action
    from pkgimport.importers.scoop._manifest import Arch, ArchView, Manifest

__all__ = [
    "ARCH_REQUIRES",
    "GENERATED_COMPUTED",
    "GENERATED_NO_HASH",
    "Conversion",
    "ConvertOptions",
    "Download",
    "HashAlgo",
    "VariantPlan",
    "convert_manifest",
    "local_file_name",
    "parse_hash",
]

HashAlgo = Literal["sha256", "sha1", "sha512", "md5"]
GENERATED_NO_HASH = "from autoupdate: no reviewed hash, none computed (nothing downloaded)"
"""``generated`` in the metadata of a definition generated from ``autoupdate``."""
GENERATED_COMPUTED = "from autoupdate: no reviewed hash; sha256 computed at download"
"""``generated`` once the payload was downloaded and its sha256 recorded."""
_HEX_LENGTHS: dict[HashAlgo, int] = {"sha256": 64, "sha1": 40, "sha512": 128, "md5": 32}

ARCH_REQUIRES: dict[Arch | None, tuple[str, ...]] = {
    None: ("platform-windows",),
    "64bit": ("platform-windows", "arch-AMD64"),
    "32bit": ("platform-windows", "arch-x86"),
    "arm64": ("platform-windows", "arch-ARM64"),
}
"""Variant requirements per Scoop architecture (rez's names for Windows machines)."""

_HEX_RE = re.compile(r"[0-9a-fA-F]+\Z")


def parse_hash(text: str, *, key_path: str) -> tuple[HashAlgo, str]:
    """Split a Scoop hash into ``(algorithm, lower-case hex)``; bare hex is sha256.

    >>> parse_hash("SHA1:AB" + "0" * 38, key_path="hash")
    ('sha1', 'ab00000000000000000000000000000000000000')
    """
    algo, sep, digest = text.partition(":")
    if not sep:
        algo, digest = "sha256", text
    algo = algo.lower()
    if algo not in _HEX_LENGTHS:
        raise InvalidManifest(
            "hash", f"unknown hash algorithm {algo!r} in {text!r}", key_path=key_path
        )
    expected = _HEX_LENGTHS[algo]
    if len(digest) != expected or not _HEX_RE.match(digest):
        raise InvalidManifest(
            "hash", f"{algo} hash {text!r} is not {expected} hex digits", key_path=key_path
        )
    return algo, digest.lower()


@dataclass(frozen=True, kw_only=True, slots=True)
class Download:
    """One URL of a variant: where to fetch it, what to call it, what it must hash to."""

    url: str
    """The URL as the manifest writes it (with any ``#/name``)."""
    fetch_url: str
    """What is requested: the URL without its fragment."""
    local_name: str
    """The local file name, which picks the extractor."""
    algo: HashAlgo | None
    """Hash algorithm; ``None`` for an unverified download (explicitly allowed)."""
    digest: str
    """Expected lower-case hex digest ('' when unverified)."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for metadata."""
        return {"url": self.url, "hash": f"{self.algo}:{self.digest}" if self.algo else None}


def local_file_name(url: str, *, key_path: str) -> str:
    """Return the local file name Scoop gives *url*: its ``#/name``, else the path's leaf.

    >>> local_file_name("https://h/dl?id=3#/setup.7z", key_path="url")
    'setup.7z'
    """
    # Scoop: the leaf of the whole URL (fragment included) up to any '?'. So `x.zip#/dl.7z`
    # is `dl.7z`, and a query string needs a `#/name` to give a useful name.
    name = url.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not name or name in {".", ".."} or any(c in name for c in "/\\:\x00"):
        raise ManifestRefused(
            "url", f"URL {url!r} gives no safe local file name {name!r}", key_path=key_path
        )
    return name


@dataclass(frozen=True, kw_only=True, slots=True)
class VariantPlan:
    """What the payload step does for one variant."""

    arch: Arch | None
    index: int
    """Index into ``definition.variants``."""
    downloads: tuple[Download, ...]
    extract_dir: tuple[str, ...]
    extract_to: tuple[str, ...]
    innosetup: bool
    launchers: tuple[Launcher, ...]
    skipped_hooks: tuple[str, ...]
    """Key paths of install hooks not run (``--skip-scripts``) or replaced by a recipe."""
    psmodule: str | None
    hook_steps: tuple[HookStep, ...] = ()
    """The install hooks read as data (``_hooks``), done on the app folder after extraction."""
    cookies: Mapping[str, str] = field(default_factory=dict)
    """Cookies the manifest asks to send with its downloads."""
    persist: Persist | None = None
    """The app's persisted entries and per-user home: the launchers copy its defaults there."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ConvertOptions:
    """How to convert: which app name, which architectures, what to allow."""

    app: str
    """Scoop app name (the manifest file stem); gives the family name."""
    bucket: str = ""
    archs: tuple[Arch, ...] | None = None
    """Architectures to convert; ``None`` for every one the manifest has."""
    skip_scripts: bool = False
    """Convert manifests with install scripts anyway, recording what was skipped."""
    allow_unverified: bool = False
    """Accept nightly and hash-less manifests."""
    recipe: str = ""
    """Name of the recipe standing for the manifest's scripts, if any."""
    recipe_hooks: frozenset[str] = frozenset()
    """Hook names a recipe replaces (``installer``, ``pre_install``...), not refused."""
    nightly_date: str = ""
    """``YYYYMMDD`` for a ``nightly`` version (Scoop: ``nightly-YYYYMMDD``)."""
    source: str = ""
    """Where the manifest came from (path, URL, bucket commit), kept in metadata."""
    generated: bool = False
    """The manifest was generated from ``autoupdate``: it has no hash anybody reviewed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Conversion:
    """The result: the definition, each variant's payload plan, and what was left out."""

    definition: PackageDefinition
    variants: tuple[VariantPlan, ...]
    skipped_hooks: tuple[str, ...]
    """Install hooks not run (``--skip-scripts``)."""
    replaced_hooks: tuple[str, ...]
    """Install hooks a recipe stands for."""
    warnings: tuple[str, ...]
    data_hooks: tuple[str, ...] = ()
    """Install hooks read as data (every statement a known shape), done by pkgimport."""


def _data_hooks(
    views: list[ArchView], options: ConvertOptions, version: str
) -> dict[str, tuple[HookStep, ...]]:
    """Return the install hooks a recipe does not replace that read as data, by key path."""
    out: dict[str, tuple[HookStep, ...]] = {}
    for view in views:
        for where, value in view.hooks:
            if where in out or where.rsplit(".", 1)[-1] in options.recipe_hooks:
                continue
            steps = parse_hook(value, version=version)
            if steps is not None:
                out[where] = steps
    return out


def _refuse_scripts(
    views: list[ArchView], options: ConvertOptions, as_data: Mapping[str, object]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return ``(skipped, replaced by a recipe)`` install hooks; refuse unless allowed.

    Hooks in *as_data* (read as data) are neither: pkgimport does them.
    """
    hooks: list[str] = []
    for view in views:
        for where, _value in view.hooks:
            if where not in hooks and where not in as_data:
                hooks.append(where)
    replaced = tuple(h for h in hooks if h.rsplit(".", 1)[-1] in options.recipe_hooks)
    unhandled = tuple(h for h in hooks if h not in replaced)
    if unhandled and not options.skip_scripts:
        kinds = sorted({h.rsplit(".", 1)[-1] for h in unhandled})
        reason = "installer program" if _is_program_only(views) else "scripts"
        raise ManifestRefused(
            reason,
            f"runs PowerShell hooks or an installer program: {', '.join(unhandled)}",
            key_path=_detail_path(views, unhandled[0]),
            hint="pass --skip-scripts to import without running them (what was skipped is "
            f"recorded in the package); hooks: {', '.join(kinds)}",
        )
    return unhandled, replaced


def _is_program_only(views: list[ArchView]) -> bool:
    values = [v for view in views for _, v in view.hooks]
    return bool(values) and all(isinstance(v, dict) and "script" not in v for v in values)


def _detail_path(views: list[ArchView], where: str) -> str:
    for view in views:
        for path, value in view.hooks:
            if path == where and isinstance(value, dict):
                return f"{where}.script" if "script" in value else f"{where}.file"
    return where


def _downloads(view: ArchView, options: ConvertOptions, *, nightly: bool) -> tuple[Download, ...]:
    url_path, hash_path = view.paths["url"], view.paths["hash"]
    if (len(view.hashes) != len(view.urls) or nightly) and not options.allow_unverified:
        if nightly:
            what = "a nightly build"
        elif options.generated:
            what = "generated from autoupdate, it has no hash (none is computed without a download)"
        else:
            what = f"{len(view.urls)} URL(s) but {len(view.hashes)} hash(es)"
        raise ManifestRefused(
            "unverified",
            f"{what}: the payload cannot be verified",
            key_path=hash_path,
            hint="pass --allow-unverified to accept a payload no hash protects",
        )
    out: list[Download] = []
    for i, url in enumerate(view.urls):
        where = f"{url_path}[{i}]" if len(view.urls) > 1 else url_path
        algo: HashAlgo | None = None
        digest = ""
        if i < len(view.hashes) and not nightly:
            hwhere = f"{hash_path}[{i}]" if len(view.hashes) > 1 else hash_path
            algo, digest = parse_hash(view.hashes[i], key_path=hwhere)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in {"http", "https", "ftp"}:
            raise ManifestRefused("url", f"unsupported URL {url!r}", key_path=where)
        out.append(
            Download(
                url=url,
                fetch_url=url.partition("#")[0],
                local_name=local_file_name(url, key_path=where),
                algo=algo,
                digest=digest,
            )
        )
    return tuple(out)


def _launchers(
    manifest: Manifest, view: ArchView, persist: Persist, warnings: list[str]
) -> tuple[Launcher, ...]:
    path = view.paths["bin"]
    raw: object = manifest.raw
    for key in path.split("."):  # 'bin' or 'architecture.64bit.bin': where the value came from
        raw = raw.get(key) if isinstance(raw, dict) else None
    return build_launchers(view.bin, raw, path, persist=persist, warnings=warnings)


def _persist_home(persist: Persist, commands: tuple[Action, ...], plans: list[VariantPlan]) -> str:
    """Return the app's persist home if the package keeps anything there, else ``""``."""
    launched = (piece for p in plans for lch in p.launchers for arg in lch.args for piece in arg)
    used = any(kind == "persist" for kind, _ in launched) or uses_persist_home(commands)
    return persist.home_value() if persist.entries or used else ""


def _psmodule(manifest: Manifest) -> str | None:
    """Return the ``psmodule`` name: it names a folder the payload step creates."""
    if manifest.psmodule is None:
        return None
    try:
        return check_tool_name(manifest.psmodule, what="psmodule name")
    except UnsafeName as exc:
        raise ManifestRefused(
            "psmodule",
            f"psmodule name {manifest.psmodule!r} is not a safe folder name ({exc.why})",
            key_path="psmodule.name",
            hint="fix the psmodule name in the manifest: it must be one plain folder name",
        ) from None


def convert_manifest(manifest: Manifest, options: ConvertOptions) -> Conversion:
    """Convert *manifest* into a definition and one payload plan per variant.

    :raises ManifestRefused: with the reason and key path of the first thing that blocks it.
    """
    try:
        return _convert(manifest, options)
    except ManifestRefused as exc:
        raise exc.with_app(options.app) from None


def _convert(manifest: Manifest, options: ConvertOptions) -> Conversion:
    # 1. Names and version.
    name = family_name(options.app)
    nightly = manifest.version == "nightly"
    version_text = f"nightly-{options.nightly_date}" if nightly else manifest.version
    if nightly and not options.allow_unverified:
        raise ManifestRefused(
            "unverified",
            "a nightly build has no fixed hash",
            key_path="version",
            hint="pass --allow-unverified to accept it",
        )
    version = rez_version(version_text)
    note = f"version {version_text!r} is written as the rez version {version!r}"
    # Beyond the spec's `+` to `-`: say so (the metadata keeps the Scoop version).
    version_note = [note] if version != version_text.replace("+", "-") else []
    requires: list[str] = []
    for i, dep in enumerate(manifest.depends):
        req = requirement_name(
            dep, key_path=f"depends[{i}]" if len(manifest.depends) > 1 else "depends"
        )
        if req and req not in requires and req != name:
            requires.append(req)

    # 2. Architectures: one variant per block, or one neutral variant.
    archs: list[Arch | None] = list(manifest.architectures) or [None]
    if options.archs is not None and manifest.architectures:
        archs = [a for a in archs if a in options.archs]
        if not archs:
            raise ManifestRefused(
                "architecture",
                f"no variant for {', '.join(options.archs)} (the manifest has "
                f"{', '.join(manifest.architectures)})",
                key_path="architecture",
            )
    views = [manifest.for_arch(a) for a in archs]

    # 3. Scripts and installer programs (those of known statement shapes become data).
    as_data = _data_hooks(views, options, manifest.version)
    skipped, replaced = _refuse_scripts(views, options, as_data)

    # 4. The environment (per architecture where they differ) and per-variant payload plans.
    psmodule = _psmodule(manifest)
    warnings: list[str] = version_note
    persist = parse_persist(options.app, manifest, warnings)
    commands = package_commands(manifest, persist, ARCH_REQUIRES, warnings)
    plans: list[VariantPlan] = []
    tools: list[str] = []
    for index, view in enumerate(views):
        launchers = _launchers(manifest, view, persist, warnings)
        # One command per name ignoring case (Windows finds `Foo` and `foo` alike): the
        # first variant's spelling is the one `tools` lists.
        known = {t.lower() for t in tools}
        tools.extend(lch.alias for lch in launchers if lch.alias.lower() not in known)
        plans.append(
            VariantPlan(
                arch=view.arch,
                index=index,
                downloads=_downloads(view, options, nightly=nightly),
                extract_dir=view.extract_dir,
                extract_to=manifest.extract_to,
                innosetup=manifest.innosetup,
                launchers=launchers,
                skipped_hooks=tuple(w for w, _ in view.hooks if w in skipped),
                psmodule=psmodule,
                hook_steps=tuple(s for w, _ in view.hooks for s in as_data.get(w, ())),
                cookies=manifest.cookie,
                persist=persist,
            )
        )
    warnings.extend(
        f"{where} is an uninstall hook: never run for a rez package"
        for where in dict.fromkeys(w for view in views for w, _ in view.uninstall_hooks)
    )

    # 5. The definition.
    home = _persist_home(persist, commands, plans)
    metadata = _metadata(manifest, options, plans, (skipped, replaced), warnings, persist_home=home)
    if as_data:
        metadata["scripts_as_data"] = {w: [s.to_dict() for s in st] for w, st in as_data.items()}
    help_links: list[tuple[str, str]] = []
    if manifest.homepage:
        help_links.append(("Home Page", manifest.homepage))
    if manifest.license[1]:
        help_links.append(("License", manifest.license[1]))
    definition = PackageDefinition(
        name=name,
        version=version,
        description=manifest.description or None,
        requires=tuple(requires),
        variants=tuple(ARCH_REQUIRES[p.arch] for p in plans),
        tools=tuple(tools),
        help=tuple(help_links) or None,
        commands=commands,
        metadata={"scoop": metadata},
    )
    return Conversion(
        definition=definition,
        variants=tuple(plans),
        skipped_hooks=skipped,
        replaced_hooks=replaced,
        warnings=tuple(warnings),
        data_hooks=tuple(as_data),
    )


def _metadata(
    manifest: Manifest,
    options: ConvertOptions,
    plans: list[VariantPlan],
    hooks: tuple[tuple[str, ...], tuple[str, ...]],
    warnings: list[str],
    *,
    persist_home: str,
) -> dict[str, object]:
    raw = manifest.raw
    data: dict[str, object] = {
        "app": options.app,
        "bucket": options.bucket,
        "version": manifest.version,
        "homepage": manifest.homepage,
        "license": {"identifier": manifest.license[0], "url": manifest.license[1]},
    }
    if options.source:
        data["source"] = options.source
    if options.generated:
        # What is true now: nothing was downloaded yet; the payload step says what it computed.
        data["generated"] = GENERATED_NO_HASH
    optional: dict[str, object] = {
        "notes": list(manifest.notes),
        "depends": list(manifest.depends),
        "suggest": dict(manifest.suggest),
        "persist": [list(p) for p in manifest.persist],
        "persist_home": persist_home,
        "shortcuts": raw.get("shortcuts"),
        "psmodule": manifest.psmodule,
        "recipe": options.recipe,
        "skipped_scripts": list(hooks[0]),
        "replaced_by_recipe": list(hooks[1]),
        "warnings": list(warnings),
    }
    data.update({k: v for k, v in optional.items() if v})
    data["variants"] = [
        {
            "arch": p.arch or "neutral",
            "downloads": [d.to_dict() for d in p.downloads],
            "extract_dir": list(p.extract_dir),
            "extract_to": list(p.extract_to),
            "launchers": [lch.to_dict() for lch in p.launchers],
        }
        for p in plans
    ]
    return data
