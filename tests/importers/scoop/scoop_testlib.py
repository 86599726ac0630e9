"""Scoop importer test helpers: fixture manifests, a loopback HTTP server, archive builders."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "scoop"
"""The repository's Scoop test data (``fixtures/scoop``, described in ``fixtures/README.md``)."""

BUCKET = FIXTURES / "main"
"""A small bucket of manifests modelled on ScoopInstaller/Main, one per kind the tests cover."""

HISTORY = FIXTURES / "history"
"""Older revisions of bucket manifests, committed first by :func:`make_git_bucket`."""


def load_manifest(app: str) -> dict[str, Any]:
    """Return a fixture bucket manifest as JSON data (a fresh copy each call)."""
    data: dict[str, Any] = json.loads((BUCKET / f"{app}.json").read_text(encoding="utf-8-sig"))
    return data


def load_revision(name: str) -> dict[str, Any]:
    """Return an older manifest revision (``fixtures/scoop/history/<name>.json``)."""
    data: dict[str, Any] = json.loads((HISTORY / f"{name}.json").read_text(encoding="utf-8"))
    return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- archives ------------------------------------------------------------------------------------


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar(
    files: dict[str, bytes], mode: str = "w:xz", links: dict[str, str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def make_7z(files: dict[str, bytes], tmp: Path) -> bytes:
    import py7zr  # noqa: PLC0415 - the optional dependency is only needed here

    path = tmp / "built.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(data, name)
    return path.read_bytes()


WIXL = shutil.which("wixl")
needs_wixl = pytest.mark.skipif(
    WIXL is None or shutil.which("msiextract") is None, reason="needs Debian's wixl and msitools"
)
needs_7zz = pytest.mark.skipif(
    shutil.which("7zz") is None and shutil.which("7z") is None, reason="needs Debian's 7zip"
)


def make_msi(tree: dict[str, bytes], tmp: Path, *, top: str, name: str = "Demo") -> bytes:
    """Build an MSI with wixl whose files sit under TARGETDIR/<top>/... (admin layout)."""
    src = tmp / f"msi-src-{name}"
    src.mkdir()
    dirs: dict[str, list[tuple[str, Path]]] = {}
    for i, (rel, data) in enumerate(tree.items()):
        path = src / f"f{i}"
        path.write_bytes(data)
        folder, _, leaf = rel.rpartition("/")
        dirs.setdefault(folder, []).append((leaf, path))
    counter = 0
    ids: list[str] = []

    def component(files: list[tuple[str, Path]]) -> str:
        nonlocal counter
        counter += 1
        guid = f"12345678-1234-1234-1234-{counter:012d}"
        entries = "".join(
            f'<File Id="F{counter}_{j}" Name="{leaf}" Source="{path.relative_to(tmp)}"/>'
            for j, (leaf, path) in enumerate(files)
        )
        return f'<Component Id="C{counter}" Guid="{guid}">{entries}</Component>'

    def directory(prefix: str, depth: int) -> str:
        inner = ""
        children = sorted(
            {
                k[len(prefix) :].lstrip("/").split("/")[0]
                for k in dirs
                if k.startswith(prefix) and k != prefix and k[len(prefix) :].strip("/")
            }
        )
        for child in children:
            sub = f"{prefix}/{child}" if prefix else child
            ids.append(sub)
            dir_id = f"D{len(ids)}"
            content = directory(sub, depth + 1)
            inner += f'<Directory Id="{dir_id}" Name="{child}">{content}</Directory>'
        if prefix in dirs:
            inner += component(dirs[prefix])
        return inner

    body = (
        f'<Directory Id="TOP" Name="{top}">{directory("", 0)}</Directory>'
        if top
        else directory("", 0)
    )
    refs = "".join(f'<ComponentRef Id="C{i}"/>' for i in range(1, counter + 1))
    wxs = f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="{name}" Language="1033" Version="1.0.0" Manufacturer="Tests"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="200" Compressed="yes"/>
    <Media Id="1" Cabinet="payload.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">{body}</Directory>
    <Feature Id="Main" Level="1">{refs}</Feature>
  </Product>
</Wix>"""
    wxs_path = tmp / f"{name}.wxs"
    wxs_path.write_text(wxs)
    out = tmp / f"{name}.msi"
    # wixl resolves Source paths against its working directory.
    subprocess.run(
        [str(WIXL), "-o", str(out), str(wxs_path)], check=True, capture_output=True, cwd=tmp
    )
    return out.read_bytes()


def make_cab(files: dict[str, bytes]) -> bytes:
    """Build an uncompressed Microsoft cabinet (one folder, one data block per 32 KiB)."""
    names = list(files)
    blob = b"".join(files[n] for n in names)
    blocks = [blob[i : i + 0x8000] for i in range(0, len(blob), 0x8000)] or [b""]
    file_entries = b""
    offset = 0
    for name in names:
        file_entries += struct.pack("<IIHHHH", len(files[name]), offset, 0, 0, 0, 0x20)
        file_entries += name.encode() + b"\0"
        offset += len(files[name])
    header_size, folder_size = 36, 8
    first_file = header_size + folder_size
    first_data = first_file + len(file_entries)
    data = b"".join(struct.pack("<IHH", 0, len(b), len(b)) + b for b in blocks)
    total = first_data + len(data)
    header = struct.pack(
        "<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, first_file, 0, 3, 1, 1, len(names), 0, 0, 0
    )
    folder = struct.pack("<IHH", first_data, len(blocks), 0)
    return header + folder + file_entries + data


def make_burn_bundle(manifest_xml: bytes, payloads: dict[str, bytes]) -> bytes:
    """Build a minimal WiX Burn bundle: a PE stub with a .wixburn section, then two cabinets."""
    ux = make_cab({"0": manifest_xml})
    attached = make_cab(payloads)
    pe_offset = 0x40
    section_table = pe_offset + 24  # no optional header
    burn_offset = section_table + 40
    stub = bytearray(0x200)
    stub[0:2] = b"MZ"
    struct.pack_into("<I", stub, 0x3C, pe_offset)
    stub[pe_offset : pe_offset + 4] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", stub, pe_offset + 4, 0x8664, 1, 0, 0, 0, 0, 0)
    struct.pack_into(
        "<8sIIIIIIHHI", stub, section_table, b".wixburn", 64, 0, 64, burn_offset, 0, 0, 0, 0, 0
    )
    struct.pack_into(
        "<II16sIIIIIIII",
        stub,
        burn_offset,
        0x00F14300,
        2,
        b"\1" * 16,
        len(stub),
        0,
        0,
        0,
        1,
        2,
        len(ux),
        len(attached),
    )
    return bytes(stub) + ux + attached


# -- loopback HTTP server ------------------------------------------------------------------------


class Server:
    """Serves ``routes`` (path → bytes) on 127.0.0.1; anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.cookies: list[str] = []
        routes, requests, cookies = self.routes, self.requests, self.cookies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                if self.headers.get("Cookie"):
                    cookies.append(self.headers["Cookie"])
                if self.path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", self.path[len("/redirect") :])
                    self.end_headers()
                    return
                body = routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def add(self, path: str, body: bytes) -> str:
        self.routes[path] = body
        return self.base + path

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


# rez runs in a child process (as in the repository tests): its plugin loading warns, which
# this suite turns into errors, and its caches must stay out of the test process.
_REZ_SCRIPT = r"""
import json, sys
from rez.packages import iter_packages
from rez.resolved_context import ResolvedContext

repo, names, resolves = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
out = {"packages": {}, "resolves": []}
for name in names:
    packages = list(iter_packages(name, paths=[repo]))
    for package in packages:
        package.validate_data()
        out["packages"][name] = {
            "version": str(package.version),
            "variants": [[str(r) for r in v.variant_requires] for v in package.iter_variants()],
            "tools": list(package.tools or []),
            "requires": [str(r) for r in package.requires or []],
        }
for request in resolves:
    context = ResolvedContext(request, package_paths=[repo], add_implicit_packages=False)
    entry = {"request": request, "success": context.success,
             "failure": context.failure_description}
    if context.success:
        entry["resolved"] = [v.qualified_package_name + "[" + str(v.index) + "]"
                             for v in context.resolved_packages]
        entry["env"] = context.get_environ(parent_environ={"PATH": "/usr/bin", "PSModulePath": ""})
    out["resolves"].append(entry)
print(json.dumps(out))
"""


def rez_load(
    repo: Path, names: list[str], resolves: list[list[str]] | None = None
) -> dict[str, Any]:
    """Load packages (and run resolves) with real rez 3.4 in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REZ_")}
    config = repo.parent / f"{repo.name}-rezconfig.py"
    config.write_text("")
    env["REZ_CONFIG_FILE"] = str(config)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _REZ_SCRIPT,
            str(repo),
            json.dumps(names),
            json.dumps(resolves or []),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def write_bind_packages(repo: Path) -> None:
    """Write rez-bind style platform-windows and arch-* packages (the implicit packages)."""
    for name, version in [
        ("platform", "windows"),
        ("arch", "AMD64"),
        ("arch", "x86"),
        ("arch", "ARM64"),
    ]:
        folder = repo / name / version
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.py").write_text(f"name = {name!r}\nversion = {version!r}\n")


@contextlib.contextmanager
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """Run a :class:`Server` with proxies switched off for loopback."""
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    srv = Server()
    try:
        yield srv
    finally:
        srv.close()


def write_bucket(folder: Path, manifests: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for app, data in manifests.items():
        (folder / f"{app}.json").write_text(json.dumps(data, indent=4))
    return folder


def make_git_bucket(
    folder: Path, revisions: list[dict[str, dict[str, Any]]], *, subfolder: str = "bucket"
) -> Path:
    """Build a bucket git repository with one commit per revision (``{app: manifest}``).

    Manifests go to ``folder/<subfolder>/`` (Scoop's own bucket layout; ``""`` for the top).
    git runs with a fixed identity and ``HOME`` inside *folder*'s parent, so the user's git
    configuration cannot change what is committed.
    """
    env = {
        "GIT_AUTHOR_NAME": "pkgimport tests",
        "GIT_AUTHOR_EMAIL": "tests@pkgimport.invalid",
        "GIT_COMMITTER_NAME": "pkgimport tests",
        "GIT_COMMITTER_EMAIL": "tests@pkgimport.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(folder.parent),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, env=env)

    folder.mkdir(parents=True, exist_ok=True)
    git("init", "-q")
    for number, manifests in enumerate(revisions, start=1):
        write_bucket(folder / subfolder if subfolder else folder, manifests)
        git("add", "-A")
        git("commit", "-q", "-m", f"revision {number}")
    return folder
