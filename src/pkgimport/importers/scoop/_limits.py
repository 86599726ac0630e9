"""How much one archive may write when extracted, and the means to hold extractors to it.

An archive's headers say how much it holds; a zip bomb says the truth (a few MiB that expand to
terabytes) or lies (sizes that do not match the data). So each extractor does both:

1. :meth:`ExtractLimits.check_declared` before writing anything, from the headers or the
   tool's listing (zip, tar, 7-Zip, MSI);
2. counts what is really written: :class:`Budget` for what Python writes, :func:`run_tool` for
   an external tool (it watches the output folder, kills the tool past a limit, and caps the
   size of any one file it writes with ``RLIMIT_FSIZE``); :func:`check_written` measures the
   finished folder (hard links and sparse files count at their full size: they are copied
   later).

The limits come from :mod:`pkgimport.settings` (``$PKGIMPORT_EXTRACT_MAX_BYTES``,
``$PKGIMPORT_EXTRACT_MAX_FILES``); the error names the archive, the limit and the setting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from pkgimport import settings
from pkgimport.importers.scoop._errors import PayloadError

if sys.platform != "win32":  # POSIX only; on Windows the output folder is still watched
    import resource

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = [
    "Budget",
    "ExtractLimitError",
    "ExtractLimits",
    "check_written",
    "copy_limited",
    "measure_tree",
    "run_tool",
]

_CHUNK = 1 << 20
_BYTES_VAR = "PKGIMPORT_EXTRACT_MAX_BYTES"
_FILES_VAR = "PKGIMPORT_EXTRACT_MAX_FILES"


def _human(size: int) -> str:
    """``1.5 MiB``-style size (binary units, as the settings read them)."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def _suggest(size: int) -> str:
    """Return a value for ``$PKGIMPORT_EXTRACT_MAX_BYTES`` comfortably above *size*."""
    mib = -(-size * 2 // (1 << 20))
    return f"{-(-mib // 1024)}G" if mib > 4096 else f"{mib}M"


class ExtractLimitError(PayloadError):
    """Extracting an archive would write more bytes or files than the limits allow."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ExtractLimits:
    """The limits for extracting one archive."""

    max_bytes: int
    """Bytes the archive's files may add up to."""
    max_files: int
    """Files, folders and links it may create."""
    origin: str = ""
    """How ``max_bytes`` was chosen, for the message (``"20 x the 64.0 KiB archive"``)."""

    @classmethod
    def for_archive(cls, archive: Path, environ: Mapping[str, str] | None = None) -> ExtractLimits:
        """Return the limits for *archive* from the settings (its size sets the default).

        :raises PkgImportError: a limit variable is set to something that is no number.
        """
        try:
            size = archive.stat().st_size
        except OSError:
            size = 0  # a missing archive fails in its extractor, with its own message
        env = os.environ if environ is None else environ
        max_bytes = settings.extract_max_bytes(size, env)
        if env.get(_BYTES_VAR):
            origin = f"${_BYTES_VAR}"
        else:
            origin = (
                f"{settings.EXTRACT_RATIO} x the {_human(size)} archive, at least "
                f"{_human(settings.EXTRACT_MIN_BYTES)}, at most "
                f"{_human(settings.EXTRACT_UPPER_BYTES)}"
            )
        return cls(max_bytes=max_bytes, max_files=settings.extract_max_files(env), origin=origin)

    def too_big(self, label: str, size: int | None = None) -> ExtractLimitError:
        """Return the error for *label*: it declares *size* bytes, or (``None``) wrote more."""
        what = (
            f"its files add up to {_human(size)}, more than"
            if size is not None
            else "extraction stopped: it wrote more than"
        )
        origin = f" ({self.origin})" if self.origin else ""
        return ExtractLimitError(
            f"{label}: {what} the extraction limit of {_human(self.max_bytes)}{origin}; "
            "nothing was kept",
            hint="if you trust this archive, raise the limit: "
            f"{_BYTES_VAR}={_suggest(size or self.max_bytes)}",
        )

    def too_many(self, label: str, count: int | None = None) -> ExtractLimitError:
        """Return the error for *label*: it declares *count* entries, or (``None``) made more."""
        what = (
            f"it holds {count} files and folders, more than"
            if count is not None
            else "extraction stopped: it created more files and folders than"
        )
        return ExtractLimitError(
            f"{label}: {what} the extraction limit of {self.max_files}; nothing was kept",
            hint="if you trust this archive, raise the limit: "
            f"{_FILES_VAR}={2 * max(count or 0, self.max_files)}",
        )

    def check_declared(self, label: str, *, files: int, size: int) -> None:
        """Refuse an archive whose headers or listing already declare too much.

        :raises ExtractLimitError: past either limit.
        """
        if files > self.max_files:
            raise self.too_many(label, files)
        if size > self.max_bytes:
            raise self.too_big(label, size)


class Budget:
    """Counts what an extractor writes itself; raises the moment a limit is passed."""

    def __init__(self, limits: ExtractLimits, label: str) -> None:
        self._limits = limits
        self._label = label
        self.written = 0
        """Bytes written so far."""
        self.entries = 0
        """Files, folders and links created so far."""

    def add_entry(self) -> None:
        """Count one file, folder or link about to be created."""
        self.entries += 1
        if self.entries > self._limits.max_files:
            raise self._limits.too_many(self._label)

    def add_bytes(self, count: int) -> None:
        """Count *count* bytes about to be written."""
        self.written += count
        if self.written > self._limits.max_bytes:
            raise self._limits.too_big(self._label)


def copy_limited(source: IO[bytes], target: IO[bytes], budget: Budget) -> None:
    """Copy *source* to *target*, counting every chunk before it is written."""
    while chunk := source.read(_CHUNK):
        budget.add_bytes(len(chunk))
        target.write(chunk)


def measure_tree(root: Path) -> tuple[int, int]:
    """Return ``(entries, bytes)`` under *root*, links not followed, while it may change."""
    entries = size = 0
    stack = [os.fspath(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            size += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue  # removed or renamed by the tool meanwhile
        except OSError:
            continue
    return entries, size


def check_written(root: Path, limits: ExtractLimits, label: str) -> None:
    """Refuse what an extractor left under *root* if it is past a limit.

    :raises ExtractLimitError: too many entries or too many bytes.
    """
    entries, size = measure_tree(root)
    if entries > limits.max_files:
        raise limits.too_many(label)
    if size > limits.max_bytes:
        raise limits.too_big(label)


def _child_limits(max_bytes: int) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that caps any one file the tool writes just past *max_bytes*."""
    if sys.platform == "win32":  # pragma: no cover - Windows hosts
        return None

    def apply() -> None:
        # Past the cap the kernel stops the tool with SIGXFSZ (no core file for it). One byte
        # over the limit, so a file cut at the cap is itself past the limit when measured,
        # whatever the tool (or a shell around it) makes of the signal.
        cap = max_bytes + 1
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the tool and everything it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows hosts
            process.kill()
    process.wait()


def run_tool(
    args: Sequence[str], output: Path, limits: ExtractLimits, label: str
) -> subprocess.CompletedProcess[str]:
    """Run an extraction tool that writes under *output*, holding it to *limits*.

    The folder is measured while the tool runs (often at first, then less often, so a large
    honest extraction pays little); past a limit the tool is killed and the error raised. The
    caller removes what was written.

    :returns: the finished process, ``stderr`` as text (``stdout`` is not kept).
    :raises ExtractLimitError: past a limit, during or after the run.
    """
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
            # Thread-safe enough: the function takes no lock, it only calls setrlimit().
            preexec_fn=_child_limits(limits.max_bytes),  # noqa: PLW1509
        )
        try:
            delay = 0.02
            while True:
                try:
                    process.wait(timeout=delay)
                    break
                except subprocess.TimeoutExpired:
                    pass
                started = time.monotonic()
                check_written(output, limits, label)
                # Measuring takes at most about a tenth of the time: a tree of 100,000 files
                # is measured every second or so, not 50 times a second.
                delay = min(max(delay * 2, 10 * (time.monotonic() - started)), 1.0)
        except BaseException:
            _stop(process)
            raise
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    xfsz = getattr(signal, "SIGXFSZ", None)
    if xfsz is not None and process.returncode == -xfsz:
        raise limits.too_big(label)  # one file reached the cap _child_limits set
    check_written(output, limits, label)
    return subprocess.CompletedProcess(list(args), process.returncode, "", stderr)
