"""Fixtures of the shared resolve cache tests: real memcached servers on loopback ports.

The tests that take ``memcached`` need Debian's memcached (``apt-get install memcached``);
they are skipped, saying so, only when it cannot be started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

INSTALL_HINT = "needs memcached on PATH: apt-get install memcached"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MemcachedServer:
    """One memcached process on 127.0.0.1 (UDP off), started and stopped by the tests."""

    def __init__(self, *options: str) -> None:
        self.binary = shutil.which("memcached") or "/usr/bin/memcached"
        self.port = free_port()
        self.options = options
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [self.binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", *self.options]
        if os.geteuid() == 0:
            argv += ["-u", "root"]  # memcached refuses to run as root without it (CI is root)
        try:
            self._process = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            pytest.skip(f"memcached could not be started ({exc.strerror}): {INSTALL_HINT}")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                pytest.skip(f"memcached exited at once ({err.strip()}): {INSTALL_HINT}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.01)
        self.stop()
        pytest.skip(f"memcached did not start listening within 5 s: {INSTALL_HINT}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None

    def restart(self) -> None:
        """Kill the server and start a new, empty one on the same port."""
        self.stop()
        self.start()


@pytest.fixture
def memcached() -> Iterator[MemcachedServer]:
    """A fresh memcached (64 MB) on a free loopback port."""
    server = MemcachedServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def small_memcached() -> Iterator[MemcachedServer]:
    """A full memcached: 1 MB of memory, items up to 512 KB (``-m 1 -I 512k``)."""
    server = MemcachedServer("-m", "1", "-I", "512k")
    server.start()
    yield server
    server.stop()


class SilentServer:
    """A loopback TCP server that accepts connections and never answers (a hung memcached)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        deadline = time.monotonic() + 120  # bounded: it stops by itself
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._held.append(conn)  # kept open, never read nor written

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()
