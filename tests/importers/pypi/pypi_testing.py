"""Test helpers: build real wheels in a folder, and serve them from a loopback Simple API.

:func:`build_wheel` writes a valid wheel (METADATA, WHEEL, entry points, data and header files,
RECORD with sha256) so tests exercise the importer on genuine artifacts. :class:`IndexServer`
serves projects on 127.0.0.1 in the PEP 691 JSON form or the PEP 503 HTML form (by the
``Accept`` header), with PEP 658 ``.metadata`` files, upload times, optional basic auth, and a
log of the paths requested.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = ["IndexServer", "WheelSpec", "build_sdist", "build_wheel"]


@dataclass(kw_only=True)
class WheelSpec:
    """What goes into a test wheel."""

    name: str
    version: str
    tag: str = "py3-none-any"
    requires: Sequence[str] = ()
    requires_python: str | None = None
    extras: Mapping[str, Sequence[str]] = field(default_factory=dict)
    summary: str = "A test project"
    modules: Mapping[str, str] | None = None
    """Relative path → source; default: ``<import name>/__init__.py`` with a ``VERSION``."""
    console_scripts: Mapping[str, str] = field(default_factory=dict)
    entry_points_text: str | None = None
    """Replace ``entry_points.txt`` wholesale (listed in RECORD like any member)."""
    data: Mapping[str, str] = field(default_factory=dict)
    """``{name}.data/data/<path>`` files."""
    headers: Mapping[str, str] = field(default_factory=dict)
    scripts: Mapping[str, str] = field(default_factory=dict)
    """``{name}.data/scripts/<name>`` files."""
    extra_members: Mapping[str, bytes] = field(default_factory=dict)
    """Raw members added without a RECORD line (for bad-input tests)."""
    binary_members: Mapping[str, bytes] = field(default_factory=dict)
    """More members (``pkg/__pycache__/x.cpython-312.pyc``, say), listed in RECORD."""
    unhashed: Sequence[str] = ()
    """Members whose RECORD line has an empty hash and size (``x.pyc,,``), as PEP 376 allows
    for compiled files."""
    metadata_text: str | None = None
    """Replace METADATA wholesale."""
    root_is_purelib: bool = True
    wheel_extra_lines: Sequence[str] = ()
    """More lines for the WHEEL file (a duplicate ``Root-Is-Purelib``, say)."""

    @property
    def dist(self) -> str:
        return canonicalize_name(self.name).replace("-", "_")

    @property
    def filename(self) -> str:
        return f"{self.dist}-{self.version}-{self.tag}.whl"

    def metadata(self) -> str:
        if self.metadata_text is not None:
            return self.metadata_text
        lines = [
            "Metadata-Version: 2.1",
            f"Name: {self.name}",
            f"Version: {self.version}",
            f"Summary: {self.summary}",
            "Author: Test Author",
            "License: MIT",
            f"Project-URL: Homepage, https://example.invalid/{self.dist}",
        ]
        if self.requires_python:
            lines.append(f"Requires-Python: {self.requires_python}")
        lines.extend(f"Requires-Dist: {r}" for r in self.requires)
        for extra, reqs in self.extras.items():
            lines.append(f"Provides-Extra: {extra}")
            for req in reqs:
                marker = f'extra == "{extra}"'
                if ";" in req:
                    base, _, own = req.partition(";")
                    lines.append(f"Requires-Dist: {base.strip()}; ({own.strip()}) and {marker}")
                else:
                    lines.append(f"Requires-Dist: {req}; {marker}")
        return "\n".join(lines) + "\n\nLong description that must not become the description.\n"


def _record_line(path: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [path, f"sha256={digest}", str(len(data))]


def build_wheel(folder: Path, spec: WheelSpec) -> Path:
    """Write the wheel described by *spec* into *folder* and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{spec.dist}-{spec.version}.dist-info"
    data_dir = f"{spec.dist}-{spec.version}.data"
    import_name = spec.dist
    modules = (
        spec.modules
        if spec.modules is not None
        else {
            f"{import_name}/__init__.py": f'VERSION = "{spec.version}"\n'
            "def main():\n"
            f'    print("{spec.name} {spec.version}")\n'
            "    return 3\n",
        }
    )
    members: dict[str, bytes] = {path: text.encode() for path, text in modules.items()}
    members.update(spec.binary_members)
    for path, text in spec.data.items():
        members[f"{data_dir}/data/{path}"] = text.encode()
    for path, text in spec.headers.items():
        members[f"{data_dir}/headers/{path}"] = text.encode()
    for path, text in spec.scripts.items():
        members[f"{data_dir}/scripts/{path}"] = text.encode()
    members[f"{dist_info}/METADATA"] = spec.metadata().encode()
    wheel_lines = [
        "Wheel-Version: 1.0",
        "Generator: pkgimport-tests",
        f"Root-Is-Purelib: {'true' if spec.root_is_purelib else 'false'}",
    ]
    wheel_lines += [f"Tag: {t}" for t in _expand_tags(spec.tag)]
    wheel_lines += list(spec.wheel_extra_lines)
    members[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n").encode()
    if spec.console_scripts or spec.entry_points_text is not None:
        entry_points = spec.entry_points_text
        if entry_points is None:
            entry_points = "[console_scripts]\n" + "".join(
                f"{name} = {target}\n" for name, target in spec.console_scripts.items()
            )
        members[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for member, data in members.items():
        line = [member, "", ""] if member in spec.unhashed else _record_line(member, data)
        writer.writerow(line)
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    members[f"{dist_info}/RECORD"] = record.getvalue().encode()
    members.update(spec.extra_members)
    wheel = folder / spec.filename
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return wheel


def _expand_tags(tag: str) -> list[str]:
    interp, abi, plat = tag.split("-")
    return [
        f"{i}-{a}-{p}" for i in interp.split(".") for a in abi.split(".") for p in plat.split(".")
    ]


_BACKEND = """\
# A PEP 517 backend with no build requirements, so building needs no index at all.
import base64, hashlib, os, zipfile

NAME, DIST, VERSION, REQUIRES = {name!r}, {dist!r}, {version!r}, {requires!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{{DIST}}-{{VERSION}}.dist-info"
    meta = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n"
    meta += "".join(f"Requires-Dist: {{r}}\\n" for r in REQUIRES)
    files = {{f"{{DIST}}/__init__.py": open(os.path.join(DIST, "__init__.py"), "rb").read(),
             f"{{info}}/METADATA": meta.encode(),
             f"{{info}}/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\n"
                                 b"Tag: py3-none-any\\n"}}
    lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{{path}},sha256={{digest}},{{len(data)}}")
    files[f"{{info}}/RECORD"] = ("\\n".join(lines) + f"\\n{{info}}/RECORD,,\\n").encode()
    name = f"{{DIST}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return name
"""


def build_sdist(folder: Path, name: str, version: str, requires: Sequence[str] = ()) -> Path:
    """Write an sdist (with an in-tree build backend, static dependencies) into *folder*."""
    import tarfile  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    dist = canonicalize_name(name).replace("-", "_")
    base = f"{dist}-{version}"
    files = {
        f"{base}/pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "_backend"\nbackend-path = ["."]\n'
        ),
        f"{base}/_backend.py": _BACKEND.format(
            name=name, dist=dist, version=version, requires=list(requires)
        ),
        f"{base}/{dist}/__init__.py": f'VERSION = "{version}"\n',
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    path = folder / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@dataclass
class _Project:
    files: list[Path] = field(default_factory=list)


class IndexServer:
    """A Simple API on 127.0.0.1 over files added with :meth:`add`."""

    def __init__(
        self,
        folder: Path,
        *,
        pep658: bool = True,
        auth: tuple[str, str] | None = None,
        json_api: bool = True,
    ) -> None:
        self.folder = folder
        self.pep658 = pep658
        self.auth = auth
        self.json_api = json_api
        self.projects: dict[str, _Project] = {}
        self.requests: list[str] = []
        self.bad_hash: set[str] = set()
        self.yanked: set[str] = set()
        self.listed_names: dict[str, str] = {}
        """File name -> the name the project page gives it (a hostile index's, say)."""
        self.requires_python_in_index = True
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll interval: shutdown() waits for one, and every test closes a server.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/simple/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, *paths: Path) -> None:
        for path in paths:
            stem = path.name.split("-")[0] if path.suffix == ".whl" else path.name.rsplit("-", 1)[0]
            key = canonicalize_name(stem)
            self.projects.setdefault(key, _Project()).files.append(path)

    def add_wheels(self, *specs: WheelSpec) -> list[Path]:
        paths = [build_wheel(self.folder, s) for s in specs]
        self.add(*paths)
        return paths

    def downloads(self) -> list[str]:
        return [p for p in self.requests if p.startswith("/files/") and not p.endswith(".metadata")]

    # -- HTTP ----------------------------------------------------------------------------------

    def _file_entry(self, path: Path) -> dict[str, Any]:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if path.name in self.bad_hash:
            digest = "0" * 64
        entry: dict[str, Any] = {
            "filename": self.listed_names.get(path.name, path.name),
            "url": f"../../files/{path.name}",
            "hashes": {"sha256": digest},
            "upload-time": "2024-05-01T12:00:00.000000Z",
            "yanked": path.name in self.yanked,
        }
        if path.suffix == ".whl":
            meta = _wheel_metadata(path)
            if self.pep658:
                entry["core-metadata"] = {"sha256": hashlib.sha256(meta).hexdigest()}
            for line in meta.decode().splitlines():
                if line.startswith("Requires-Python:") and self.requires_python_in_index:
                    entry["requires-python"] = line.partition(":")[2].strip()
        return entry

    def _page(self, key: str, accept: str) -> tuple[bytes, str] | None:
        project = self.projects.get(key)
        if project is None:
            return None
        entries = [self._file_entry(p) for p in project.files]
        if self.json_api and "application/vnd.pypi.simple.v1+json" in accept:
            body = {"meta": {"api-version": "1.1"}, "name": key, "files": entries}
            return json.dumps(body).encode(), "application/vnd.pypi.simple.v1+json"
        links = []
        for e in entries:
            attrs = ""
            if "core-metadata" in e:
                attrs += f' data-core-metadata="sha256={e["core-metadata"]["sha256"]}"'
            if e["yanked"]:
                attrs += ' data-yanked=""'
            if "requires-python" in e:
                attrs += f' data-requires-python="{html.escape(e["requires-python"])}"'
            links.append(
                f'<a href="{e["url"]}#sha256={e["hashes"]["sha256"]}"{attrs}>{e["filename"]}</a>'
            )
        return ("<html><body>" + "\n".join(links) + "</body></html>").encode(), "text/html"

    def _find_file(self, name: str) -> Path | None:
        for project in self.projects.values():
            for path in project.files:
                if path.name == name:
                    return path
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.requests.append(self.path)
                if server.auth is not None:
                    expected = "Basic " + base64.b64encode(":".join(server.auth).encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self._send(401, b"unauthorised")
                        return
                parts = self.path.strip("/").split("/")
                if len(parts) == 2 and parts[0] == "simple":
                    page = server._page(parts[1], self.headers.get("Accept", ""))
                    if page is None:
                        self._send(404, b"not found")
                    else:
                        self._send(200, *page)
                    return
                if len(parts) == 2 and parts[0] == "files":
                    name = parts[1]
                    meta = name.endswith(".metadata")
                    path = server._find_file(name[: -len(".metadata")] if meta else name)
                    if path is None:
                        self._send(404, b"not found")
                    elif meta:
                        self._send(200, _wheel_metadata(path))
                    else:
                        self._send(200, path.read_bytes(), "application/octet-stream")
                    return
                self._send(404, b"not found")

        return Handler


def _wheel_metadata(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name)
