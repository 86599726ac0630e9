"""Downloads and their verification: nothing is extracted before its hash matches.

The :class:`Fetcher` seam is what tests fake; :class:`RequestsFetcher` is the default (the user's
proxies, netrc and certificates through requests; redirects followed; manifest cookies sent).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Protocol

from pkgimport.importers.scoop._errors import PayloadError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    import requests

__all__ = ["Fetcher", "HashMismatchError", "RequestsFetcher", "file_digest", "verify_file"]

_CHUNK = 1 << 20


class Fetcher(Protocol):
    """Fetches one URL into a file."""

    def fetch(self, url: str, dest: Path, *, cookies: Mapping[str, str] | None = None) -> None:
        """Write the body of *url* to *dest* (created or truncated).

        Follows redirects. Must raise :class:`PayloadError` naming the URL on any failure
        (HTTP status, connection); the caller deletes *dest* then.
        """


class RequestsFetcher:
    """The default :class:`Fetcher`, over a :class:`requests.Session`."""

    def __init__(self, session: requests.Session | None = None, *, timeout: float = 60) -> None:
        import requests  # noqa: PLC0415 - only the payload step needs it (fast --definition-only)

        self._session = session or requests.Session()
        self._timeout = timeout
        self._errors = requests.RequestException

    def fetch(self, url: str, dest: Path, *, cookies: Mapping[str, str] | None = None) -> None:
        """See :meth:`Fetcher.fetch`."""
        try:
            with self._session.get(
                url, stream=True, timeout=self._timeout, cookies=dict(cookies or {})
            ) as response:
                if response.status_code >= 400:
                    raise PayloadError(
                        f"download failed: HTTP {response.status_code} {response.reason} for "
                        f"{url!r}",
                        hint="the file may have been removed upstream; an updated manifest or "
                        "an older version (APP@VERSION) may still work",
                    )
                with dest.open("wb") as out:
                    for chunk in response.iter_content(_CHUNK):
                        out.write(chunk)
        except self._errors as exc:
            raise PayloadError(f"download failed for {url!r}: {exc}") from None


class HashMismatchError(PayloadError):
    """A downloaded file does not have the manifest's hash."""

    def __init__(self, *, url: str, algo: str, expected: str, actual: str) -> None:
        self.url = url
        self.algo = algo
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"hash mismatch for {url!r}\n  algorithm: {algo}\n  expected:  {expected}\n"
            f"  actual:    {actual}\nthe download was deleted; nothing was extracted",
            hint="upstream may have re-uploaded the file: wait for the bucket to update the "
            "manifest, or check the file and the manifest's hash by hand",
        )


def file_digest(path: Path, algo: str) -> str:
    """Return the lower-case hex *algo* digest of the file at *path*."""
    digest = hashlib.new(algo)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, *, url: str, algo: str, expected: str) -> str:
    """Check *path* against *expected*; delete it and raise on a mismatch.

    :returns: the file's sha256 (what the package records, whatever the manifest used).
    :raises HashMismatchError: naming the algorithm, the expected and the actual digest.
    """
    actual = file_digest(path, algo)
    if actual != expected.lower():
        path.unlink(missing_ok=True)
        raise HashMismatchError(url=url, algo=algo, expected=expected.lower(), actual=actual)
    return actual if algo == "sha256" else file_digest(path, "sha256")
