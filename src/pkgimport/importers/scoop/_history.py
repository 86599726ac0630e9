"""A bucket's git history as an index: (manifest, version) → the newest commit that has it.

``app@version`` wants the exact, reviewed manifest of a past version. Walking the history for
every request (``git log`` of the manifest, then ``git show`` of each commit until the version
matches) costs 8-28 s per app on Extras (90,955 commits). The index is built once per bucket
with two git processes, ``git log --raw`` (which blob each commit gave each manifest) and one
``git cat-file --batch`` (each blob's ``version``), kept in the user cache dir under a name
derived from the bucket's location (its URL, or its folder), and brought up to date from the
last indexed commit (``git log --raw OLD..HEAD``). A lookup then reads the index and one blob.

Trust: the index file is a cache, not an authority. A file that does not parse, names another
bucket, or whose last commit is not an ancestor of ``HEAD`` (history rewritten) is rebuilt; a
manifest read through it is checked to have the version asked for.

>>> index_file_name("https://github.com/ScoopInstaller/Extras")
'd0ddf79c666bb45bf74bcd519dbd9af74ce882e8.json'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from pkgimport.importers.scoop._errors import InvalidManifest
from pkgimport.importers.scoop._manifest import load_manifest_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["HistoryIndex", "index_file_name"]

_FORMAT = 1
"""Version of the index file's layout; another number is rebuilt."""

Versions = dict[str, str]
"""Version → commit (hex), for one manifest path."""


def index_file_name(key: str) -> str:
    """Return the index file name for a bucket *key* (its URL, or its resolved folder)."""
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest() + ".json"


class HistoryIndex:
    """The ``(manifest path, version) → commit`` index of one bucket git repository.

    :param root: the repository's work tree.
    :param key: what identifies the bucket (its URL, or its resolved folder); stored in the
        file so that two buckets never share an index.
    :param cache_file: where the index is kept (its folder is created when needed).
    :param git: the git program.
    """

    def __init__(self, root: Path, *, key: str, cache_file: Path, git: str) -> None:
        self._root = root
        self._key = key
        self._file = cache_file
        self._git = git
        self._apps: dict[str, Versions] | None = None

    # -- the public operations ----------------------------------------------------------------

    def find(self, rel: str, version: str) -> str | None:
        """Return the newest commit whose *rel* (``bucket/app.json``) has *version*, or ``None``.

        The first call in a process brings the index up to ``HEAD`` (building it the first
        time); later calls only look up.
        """
        if self._apps is None:
            self._apps = self._update()
        return self._apps.get(rel, {}).get(version)

    def read(self, commit: str, rel: str) -> bytes | None:
        """Return *rel* as committed in *commit* (``None`` if git cannot show it)."""
        show = subprocess.run(
            [self._git, "-C", str(self._root), "cat-file", "blob", f"{commit}:{rel}"],
            capture_output=True,
            check=False,
        )
        return show.stdout if show.returncode == 0 else None

    # -- building and updating ----------------------------------------------------------------

    def _update(self) -> dict[str, Versions]:
        head = self._rev_parse("HEAD")
        if head is None:
            return {}  # no commit yet: no history
        stored = self._load()
        if stored is not None and stored[0] == head:
            return stored[1]
        if stored is not None and self._is_ancestor(stored[0], head):
            # Newer commits win: the range's newest entry replaces the stored one.
            apps = stored[1]
            for rel, versions in self._scan(f"{stored[0]}..{head}").items():
                apps.setdefault(rel, {}).update(versions)
        else:
            apps = self._scan(head)
        self._save(head, apps)
        return apps

    def _rev_parse(self, rev: str) -> str | None:
        out = self._run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        return out.strip() or None

    def _is_ancestor(self, old: str, new: str) -> bool:
        result = subprocess.run(
            [self._git, "-C", str(self._root), "merge-base", "--is-ancestor", old, new],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [self._git, "-C", str(self._root), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout if result.returncode == 0 else ""

    def _scan(self, revisions: str) -> dict[str, Versions]:
        """Return ``{path: {version: newest commit}}`` for the manifests *revisions* changed."""
        # 1. Which blob each commit gave each .json file, newest commit first.
        log = self._run(
            "-c",
            "core.quotePath=false",
            "log",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "--format=commit %H",
            revisions,
            "--",
            "*.json",
        )
        changes = list(_iter_changes(log.splitlines()))
        # 2. Each blob's version, read in one git process.
        versions = self._blob_versions(dict.fromkeys(blob for _, _, blob in changes))
        # 3. The newest commit per (path, version): the first one met.
        apps: dict[str, Versions] = {}
        for commit, rel, blob in changes:
            version = versions.get(blob)
            if version is not None:
                apps.setdefault(rel, {}).setdefault(version, commit)
        return apps

    def _blob_versions(self, blobs: Iterable[str]) -> dict[str, str]:
        wanted = list(blobs)
        if not wanted:
            return {}
        proc = subprocess.Popen(
            [self._git, "-C", str(self._root), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        stdin = cast("IO[bytes]", proc.stdin)
        stdout = cast("IO[bytes]", proc.stdout)

        def feed() -> None:
            # A thread writes while this one reads: both pipes fill up on a large history.
            with contextlib.suppress(BrokenPipeError), stdin:
                stdin.writelines(f"{blob}\n".encode() for blob in wanted)

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out: dict[str, str] = {}
        try:
            for blob in wanted:
                header = stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":  # "<oid> blob <size>"
                    continue  # "<oid> missing" and the like
                data = stdout.read(int(header[2]) + 1)[:-1]
                version = _version_of(data)
                if version is not None:
                    out[blob] = version
        finally:
            writer.join()
            stdout.close()
            proc.wait()
        return out

    # -- the file -----------------------------------------------------------------------------

    def _load(self) -> tuple[str, dict[str, Versions]] | None:
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return None
        head, apps = data.get("head"), data.get("apps")
        if data.get("key") != self._key or not isinstance(head, str) or not isinstance(apps, dict):
            return None
        return head, cast("dict[str, Versions]", apps)

    def _save(self, head: str, apps: dict[str, Versions]) -> None:
        """Write the index atomically; a cache that cannot be written is only slower."""
        data = {"format": _FORMAT, "key": self._key, "head": head, "apps": apps}
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._file.parent, prefix=".index-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as stream:
                    json.dump(data, stream, separators=(",", ":"))
                Path(tmp).replace(self._file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return


def _iter_changes(lines: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """Yield ``(commit, path, new blob)`` from ``git log --raw --format='commit %H'``."""
    commit = ""
    for line in lines:
        if line.startswith("commit "):
            commit = line[len("commit ") :]
            continue
        if not line.startswith(":") or "\t" not in line:
            continue
        meta, _, rel = line.partition("\t")
        fields = meta.split()
        # ':100644 100644 <old> <new> M': a deleted file has no new blob to index.
        if len(fields) == 5 and fields[4] != "D" and commit and not rel.startswith('"'):
            yield commit, rel, fields[3]


def _version_of(data: bytes) -> str | None:
    try:
        version = load_manifest_json(data).get("version")
    except InvalidManifest:
        return None
    return version if isinstance(version, str) else None
