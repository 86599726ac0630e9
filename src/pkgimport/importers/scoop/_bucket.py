"""Finding manifests: app specs, buckets (folders or git repositories) and their history.

``APP`` on the command line is a name looked up in the buckets in order, ``bucket/app``, a path
to a manifest, or a manifest URL; any of them may end in ``@version``. A bucket is a local
folder (works offline) or a git repository cloned into the user cache; ``main``, ``extras`` and
``versions`` name Scoop's own. ``app@version`` reads the exact manifest from the bucket's git
history when it is there (through the history index of ``_history``, kept in the user cache
dir), else generates it from ``autoupdate``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pkgimport.importers.scoop._autoupdate import generate_manifest
from pkgimport.importers.scoop._errors import InvalidManifest, ManifestRefused
from pkgimport.importers.scoop._history import HistoryIndex, index_file_name
from pkgimport.importers.scoop._manifest import load_manifest_json

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "KNOWN_BUCKETS",
    "AppSpec",
    "Bucket",
    "BucketSet",
    "FoundManifest",
    "parse_app_spec",
    "parse_bucket_option",
]

KNOWN_BUCKETS = {
    "main": "https://github.com/ScoopInstaller/Main",
    "extras": "https://github.com/ScoopInstaller/Extras",
    "versions": "https://github.com/ScoopInstaller/Versions",
}
"""Scoop's well-known buckets and their git repositories."""

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*\Z")


@dataclass(frozen=True, kw_only=True, slots=True)
class AppSpec:
    """What the user asked for."""

    app: str
    """App name (for a path or URL: the file stem)."""
    bucket: str | None = None
    version: str | None = None
    path: Path | None = None
    url: str | None = None


def parse_app_spec(text: str) -> AppSpec:
    """Parse ``APP[@VERSION]``, ``bucket/app``, a manifest path or a manifest URL.

    >>> parse_app_spec("extras/vlc@3.0.20")
    AppSpec(app='vlc', bucket='extras', version='3.0.20', path=None, url=None)
    """
    if re.match(r"https?://", text):
        stem = text.partition("#")[0].split("?")[0].rsplit("/", 1)[-1]
        return AppSpec(app=stem.removesuffix(".json"), url=text)
    base, _, version = text.rpartition("@") if "@" in text else (text, "", "")
    version_or_none = version or None
    if base.endswith(".json") or "\\" in base or base.startswith((".", "/")):
        path = Path(base)
        return AppSpec(app=path.stem, path=path, version=version_or_none)
    bucket, _, app = base.rpartition("/")
    if not _NAME_RE.match(app) or (bucket and not _NAME_RE.match(bucket)):
        raise ManifestRefused(
            "app spec", f"{text!r} is no app name, bucket/app, manifest path or URL"
        )
    return AppSpec(app=app, bucket=bucket or None, version=version_or_none)


@dataclass(frozen=True, kw_only=True, slots=True)
class Bucket:
    """A named bucket: a local folder or a git URL."""

    name: str
    location: str


def parse_bucket_option(text: str) -> Bucket:
    """Parse ``NAME=DIR_OR_GIT_URL`` (or a known name alone: ``main``)."""
    name, sep, location = text.partition("=")
    if not sep:
        if name not in KNOWN_BUCKETS:
            raise ManifestRefused(
                "bucket",
                f"unknown bucket {name!r}: use NAME=DIR_OR_GIT_URL "
                f"(known: {', '.join(KNOWN_BUCKETS)})",
            )
        location = KNOWN_BUCKETS[name]
    if not _NAME_RE.match(name) or not location:
        raise ManifestRefused("bucket", f"bad --bucket {text!r}: expected NAME=DIR_OR_GIT_URL")
    return Bucket(name=name, location=location)


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundManifest:
    """A manifest found for an :class:`AppSpec`."""

    app: str
    bucket: str
    data: bytes | dict[str, object]
    """The manifest (bytes as stored, or a generated mapping)."""
    source: str
    """Where it came from: path, URL, ``bucket:path@commit``."""
    generated: bool = False
    """Generated from autoupdate (hashes computed at download, not reviewed)."""


def _is_url(location: str) -> bool:
    return bool(re.match(r"(https?|git|ssh|file)://|git@", location))


class BucketSet:
    """The configured buckets, in lookup order."""

    def __init__(
        self,
        buckets: Sequence[Bucket],
        cache_dir: Path,
        *,
        git: str | None = None,
        fetch_url: Callable[[str], bytes] | None = None,
        history_dir: Path | None = None,
    ) -> None:
        """Set up the buckets; nothing is read or cloned until needed.

        :param cache_dir: where git buckets are cloned (``<cache_dir>/<name>``).
        :param git: the git program (default: found on PATH when needed).
        :param fetch_url: reads a manifest URL (default: requests).
        :param history_dir: where history indexes are kept (default: ``history`` next to
            *cache_dir*), one file per bucket location.
        """
        self._buckets = list(buckets)
        self._cache = cache_dir
        self._git = git
        self._fetch_url = fetch_url
        self._history_dir = history_dir or cache_dir.parent / "history"
        self._dirs: dict[str, Path] = {}
        self._keys: dict[Path, str] = {}
        """Bucket folder → what names its history index (the URL, or the resolved folder)."""
        self._indexes: dict[Path, HistoryIndex] = {}

    # -- locations ---------------------------------------------------------------------------

    def _git_program(self) -> str:
        git = self._git or shutil.which("git")
        if not git:
            raise ManifestRefused(
                "bucket",
                "git is needed to read bucket history or clone a bucket",
                hint="install Debian's 'git' package",
            )
        return git

    def bucket_dir(self, bucket: Bucket) -> Path:
        """Return the local folder of *bucket*, cloning or updating a git bucket."""
        if bucket.name in self._dirs:
            return self._dirs[bucket.name]
        if not _is_url(bucket.location):
            path = Path(bucket.location).expanduser()
            if not path.is_dir():
                raise ManifestRefused(
                    "bucket", f"bucket {bucket.name!r}: {str(path)!r} is not a folder"
                )
        else:
            path = self._cache / bucket.name
            git = self._git_program()
            if (path / ".git").is_dir():
                # Best effort: offline, the cached clone is used as it is.
                subprocess.run(
                    [git, "-C", str(path), "pull", "--ff-only", "-q"],
                    capture_output=True,
                    check=False,
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                result = subprocess.run(
                    [git, "clone", "-q", bucket.location, str(path)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    raise ManifestRefused(
                        "bucket",
                        f"cannot clone bucket {bucket.name!r} from "
                        f"{bucket.location!r}: {result.stderr.strip()[:300]}",
                        hint="use --bucket NAME=DIR with a local copy when offline",
                    )
        self._dirs[bucket.name] = path
        self._keys[path] = bucket.location if _is_url(bucket.location) else str(path.resolve())
        return path

    @staticmethod
    def manifest_path(bucket_dir: Path, app: str) -> Path | None:
        """Return the app's manifest in a bucket folder (``bucket/`` sub-folder first)."""
        for folder in (bucket_dir / "bucket", bucket_dir):
            candidate = folder / f"{app}.json"
            if candidate.is_file():
                return candidate
        # App names are case-insensitive in Scoop (Windows file names): `awssts` is awsSts.json.
        wanted = f"{app}.json".lower()
        for folder in (bucket_dir / "bucket", bucket_dir):
            if folder.is_dir():
                for candidate in folder.iterdir():
                    if candidate.name.lower() == wanted and candidate.is_file():
                        return candidate
        return None

    def iter_manifest_paths(self) -> list[tuple[str, Path]]:
        """Every ``(bucket name, manifest path)`` of every bucket, in lookup order."""
        out: list[tuple[str, Path]] = []
        for bucket in self._buckets:
            root = self.bucket_dir(bucket)
            folder = root / "bucket" if (root / "bucket").is_dir() else root
            out.extend((bucket.name, p) for p in sorted(folder.glob("*.json")))
        return out

    # -- lookup ------------------------------------------------------------------------------

    def find(self, spec: AppSpec) -> FoundManifest:
        """Return the manifest for *spec* (historical or generated for ``@version``)."""
        if spec.url:
            return self._from_url(spec)
        if spec.path:
            try:
                data = spec.path.read_bytes()
            except OSError as exc:
                raise ManifestRefused(
                    "not found", f"cannot read {str(spec.path)!r}: {exc.strerror}"
                ) from None
            return self._versioned(
                FoundManifest(app=spec.app, bucket="", data=data, source=str(spec.path)), spec, None
            )
        buckets = [b for b in self._buckets if spec.bucket in {None, b.name}]
        if spec.bucket and not buckets:
            if spec.bucket not in KNOWN_BUCKETS:
                raise ManifestRefused(
                    "not found",
                    f"no bucket named {spec.bucket!r}",
                    hint="add it with --bucket NAME=DIR_OR_GIT_URL",
                )
            buckets = [Bucket(name=spec.bucket, location=KNOWN_BUCKETS[spec.bucket])]
        for bucket in buckets:
            root = self.bucket_dir(bucket)
            path = self.manifest_path(root, spec.app)
            if path is not None:
                found = FoundManifest(
                    app=path.stem, bucket=bucket.name, data=path.read_bytes(), source=str(path)
                )
                return self._versioned(found, spec, (root, path))
        names = ", ".join(b.name for b in buckets) or "none configured"
        raise ManifestRefused(
            "not found",
            f"no manifest for {spec.app!r} in the buckets ({names})",
            hint="check the name, or add a bucket with --bucket NAME=DIR_OR_GIT_URL",
        )

    def _from_url(self, spec: AppSpec) -> FoundManifest:
        assert spec.url is not None  # noqa: S101 - narrowed by the caller
        fetch = self._fetch_url or _requests_get
        found = FoundManifest(app=spec.app, bucket="", data=fetch(spec.url), source=spec.url)
        return self._versioned(found, spec, None)

    def _versioned(
        self, found: FoundManifest, spec: AppSpec, location: tuple[Path, Path] | None
    ) -> FoundManifest:
        if spec.version is None:
            return found
        try:
            raw = _json(found.data)
        except InvalidManifest as exc:
            raise exc.with_app(found.source) from None
        if raw.get("version") == spec.version:
            return found
        if location is not None:
            historical = self._from_history(*location, spec.version)
            if historical is not None:
                data, commit = historical
                return FoundManifest(
                    app=found.app, bucket=found.bucket, data=data, source=f"{found.source}@{commit}"
                )
        generated = generate_manifest(raw, spec.version)
        return FoundManifest(
            app=found.app,
            bucket=found.bucket,
            data=generated,
            source=f"{found.source} (autoupdate)",
            generated=True,
        )

    def _from_history(self, root: Path, path: Path, version: str) -> tuple[bytes, str] | None:
        """Return the newest committed manifest whose version is *version*, with its commit."""
        if not (root / ".git").exists():
            return None
        index = self._indexes.get(root)
        if index is None:
            key = self._keys.get(root) or str(root.resolve())
            index = HistoryIndex(
                root,
                key=key,
                cache_file=self._history_dir / index_file_name(key),
                git=self._git_program(),
            )
            self._indexes[root] = index
        rel = path.relative_to(root).as_posix()
        commit = index.find(rel, version)
        data = index.read(commit, rel) if commit else None
        if commit is None or data is None:
            return None
        try:
            # The index is a cache: what it points at must still say so.
            if _json(data).get("version") != version:
                return None
        except InvalidManifest:
            return None
        return data, commit


def _json(data: bytes | dict[str, object]) -> dict[str, object]:
    return data if isinstance(data, dict) else load_manifest_json(data)


def _requests_get(url: str) -> bytes:
    import requests  # noqa: PLC0415 - only needed for manifest URLs

    try:
        response = requests.get(url, timeout=60)
    except requests.RequestException as exc:
        raise ManifestRefused("not found", f"cannot fetch {url!r}: {exc}") from None
    if response.status_code >= 400:
        raise ManifestRefused("not found", f"HTTP {response.status_code} for {url!r}")
    return response.content
