"""pip's requirement-file format (issue 12): every option, nesting, refusals with file:line."""

from __future__ import annotations

import doctest
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement

from pkgimport.importers.pypi import _options, _reqfile
from pkgimport.importers.pypi._options import AllowedHashes, FormatControl
from pkgimport.importers.pypi._reqfile import InvalidRequirementsFile, parse_requirement_files
from tests.importers.pypi.pypi_testing import WheelSpec, build_sdist, build_wheel

if TYPE_CHECKING:
    from pathlib import Path

SHA_A = "a" * 64
SHA_B = "b" * 64


def _parse(files: dict[str, str], *names: str, **options: object) -> _reqfile.RequirementFiles:
    constraints = options.pop("constraints", ())
    return parse_requirement_files(
        list(names) or ["reqs.txt"],
        constraints,  # type: ignore[arg-type]
        read=files.get,
        environ=options.pop("environ", {}),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def _refused(files: dict[str, str], *names: str, **options: object) -> list[str]:
    with pytest.raises(InvalidRequirementsFile) as info:
        _parse(files, *names, **options)
    return list(info.value.problems)


def test_every_option_nesting_and_markers() -> None:
    # GIVEN pip's whole syntax, spread over nested files in two folders
    files = {
        "reqs.txt": (
            "# the application\n"
            "--index-url https://${CORP_USER}:${CORP_TOKEN}@corp.invalid/simple\n"
            "--extra-index-url=https://extra.invalid/simple  # a mirror\n"
            "-f wheels\n"
            "-f https://links.invalid/\n"
            "--pre\n"
            "--no-binary :all:\n"
            "--only-binary numpy,scipy\n"
            "--prefer-binary\n"
            "--use-feature=truststore\n"
            "--trusted-host corp.invalid\n"
            "requests[socks] >= 2.31, \\\n"
            "    < 3  ; python_version >= '3.8'\n"
            "colorama; sys_platform == 'win32'   # Windows only\n"
            "#six==1.0\n"
            "-r sub/more.txt\n"
            "-c constraints.txt\n"
        ),
        "sub/more.txt": "attrs>=23\n-r deeper.txt\n",
        "sub/deeper.txt": "-c ../pins.txt\nidna\n",
        "constraints.txt": "urllib3<2\nidna==3.6 ; python_version >= '3'\n",
        "pins.txt": "certifi==2024.2.2\n",
    }
    # WHEN they are read
    parsed = _parse(files, environ={"CORP_USER": "u", "CORP_TOKEN": "t"}, index_urls=["cfg"])
    # THEN every requirement, constraint and option is there, as pip reads them
    assert [(str(r.requirement), r.origin) for r in parsed.requirements] == [
        ('requests[socks]<3,>=2.31; python_version >= "3.8"', "reqs.txt:12"),
        ('colorama; sys_platform == "win32"', "reqs.txt:14"),
        ("attrs>=23", "sub/more.txt:1"),
        ("idna", "sub/deeper.txt:2"),
    ]
    assert [(c.item, c.origin) for c in parsed.constraints] == [
        ("certifi==2024.2.2", "pins.txt:1"),
        ("urllib3<2", "constraints.txt:1"),
        ('idna==3.6; python_version >= "3"', "constraints.txt:2"),
    ]
    assert parsed.index_urls == (
        "https://u:t@corp.invalid/simple",
        "https://extra.invalid/simple",
    )
    assert parsed.find_links == ("wheels", "https://links.invalid/")
    assert parsed.pre
    assert parsed.prefer_binary
    assert parsed.formats == FormatControl(
        no_binary=frozenset({":all:"}), only_binary=frozenset({"numpy", "scipy"})
    )
    assert parsed.formats.allowed("NumPy") == {"binary"}
    assert parsed.formats.allowed("six") == {"source"}
    assert not parsed.hashes.required
    assert parsed.notes == (
        "reqs.txt:10: --use-feature=truststore changes nothing here",
        (
            "reqs.txt:11: --trusted-host corp.invalid is not applied: pkgimport verifies TLS for "
            "every https index (use the certificate in your pip configuration, 'cert')"
        ),
    )


def test_indexes_follow_pips_order() -> None:
    # pip: -i replaces the configured indexes, --extra-index-url adds, --no-index clears.
    assert _parse({"r": "six\n"}, "r", index_urls=["cfg"]).index_urls is None
    extra = _parse({"r": "--extra-index-url e\n"}, "r", index_urls=["cfg", "x"])
    assert extra.index_urls == ("cfg", "x", "e")
    none = _parse({"r": "--no-index\n-i ignored\n-f ./w\n"}, "r", index_urls=["cfg"])
    assert none.index_urls == ()
    assert none.find_links == ("./w",)


def test_find_links_relative_to_the_file_when_there(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("-f wheels\n-f elsewhere\nsix\n")
    parsed = parse_requirement_files([str(reqs)], environ={})
    assert parsed.find_links == (str(tmp_path / "wheels"), "elsewhere")


def test_comments_and_continuations_as_pip_joins_them() -> None:
    text = "six \\\n==1.16.0 # pin\nattrs \\\n# a comment ends the continuation\nidna\n"
    parsed = _parse({"reqs.txt": text})
    assert [(r.item, r.origin) for r in parsed.requirements] == [
        ("six==1.16.0", "reqs.txt:1"),
        ("attrs", "reqs.txt:3"),
        ("idna", "reqs.txt:5"),
    ]


def test_unset_variable_is_left_as_written() -> None:
    files = {"reqs.txt": "-i https://${NOPE}/simple\nsix\n"}
    assert _parse(files, environ={}).index_urls == ("https://${NOPE}/simple",)


def test_hashes_turn_on_hash_checking_mode() -> None:
    files = {
        "reqs.txt": (
            f"six==1.16.0 --hash=sha256:{SHA_A} \\\n    --hash=sha256:{SHA_B.upper()}\n"
            "attrs===23.1.0\n"
        ),
        "cons.txt": f"idna==3.6 --hash=sha512:{'c' * 128}\nsix --hash=sha256:{SHA_A}\n",
    }
    parsed = _parse(files, constraints=["cons.txt"])
    assert parsed.hashes == AllowedHashes(
        required=True,
        by_project={
            # A project named twice keeps the hashes both lines allow.
            "six": frozenset({f"sha256:{SHA_A}"}),
            "idna": frozenset({f"sha512:{'c' * 128}"}),
        },
    )
    assert parsed.hashes.admits_index_sha256("Six", SHA_A)
    assert not parsed.hashes.admits_index_sha256("six", SHA_B)
    assert parsed.hashes.admits_index_sha256("idna", SHA_B)  # sha512 only: checked later


def test_hash_checking_mode_needs_pins() -> None:
    files = {"reqs.txt": f"six==1.16.0 --hash=sha256:{SHA_A}\nattrs>=23\nidna==3.*\n"}
    assert _refused(files) == [
        (
            "reqs.txt:2: in hash-checking mode every requirement must be pinned with == (as in "
            "pip): 'attrs>=23'"
        ),
        (
            "reqs.txt:3: in hash-checking mode every requirement must be pinned with == (as in "
            "pip): 'idna==3.*'"
        ),
    ]
    assert _refused({"reqs.txt": "attrs\n"}, require_hashes=True) == [
        (
            "reqs.txt:1: in hash-checking mode every requirement must be pinned with == (as in "
            "pip): 'attrs'"
        )
    ]


def test_local_wheels_and_sdists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pip reads a local file relative to the working folder, not to the file naming it.
    monkeypatch.chdir(tmp_path)
    build_wheel(tmp_path / "dist", WheelSpec(name="Local.Tool", version="0.1"))
    build_sdist(tmp_path / "dist", "built-here", "2.0")
    files = {
        "sub/reqs.txt": (
            "./dist/local_tool-0.1-py3-none-any.whl\n"
            f"dist/built_here-2.0.tar.gz --hash=sha256:{SHA_A}\n"
            f"local.tool @ file://{tmp_path}/dist/local_tool-0.1-py3-none-any.whl\n"
        )
    }
    parsed = _parse(files, "sub/reqs.txt")
    assert [(r.item, str(r.requirement)) for r in parsed.requirements] == [
        ("dist/local_tool-0.1-py3-none-any.whl", "local-tool==0.1"),
        ("dist/built_here-2.0.tar.gz", "built-here==2.0"),
        (f"{tmp_path}/dist/local_tool-0.1-py3-none-any.whl", "local-tool==0.1"),
    ]
    assert parsed.hashes.of("built_here") == frozenset({f"sha256:{SHA_A}"})


def test_what_cannot_be_imported_is_refused_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    files = {
        "reqs.txt": (
            "-e ./src\n"
            "./src\n"
            "./notes.txt\n"
            "./missing-1.0-py3-none-any.whl\n"
            "https://example.invalid/x-1.0-py3-none-any.whl\n"
            "x @ https://example.invalid/x-1.0.tar.gz\n"
            "six --global-option=--fast\n"
            "six --config-settings=a=b\n"
            "six --hash=md5:abc\n"
            f"six --hash=sha256:{SHA_A[:10]}\n"
            "--frobnicate\n"
            "--hash=sha256:abc\n"
            "six -i https://x.invalid/\n"
            "six>>1\n"
            "-r missing.txt\n"
            "-r reqs.txt\n"
            "-c cons.txt\n"
            "./x.whl ; python_version < '3.9'\n"
        ),
        "cons.txt": "requests[socks]==2.31\n./notes.txt\n",
    }
    problems = _refused(files)
    assert problems[:12] == [
        (
            "reqs.txt:1: -e ./src: an editable install is a source tree, not a package; build a "
            "wheel (pip wheel --no-deps PATH) and name it instead"
        ),
        (
            "reqs.txt:2: './src' is a source folder, not a wheel or sdist; build one "
            "(pip wheel --no-deps PATH) and name it instead"
        ),
        "reqs.txt:3: './notes.txt' is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)",
        "reqs.txt:4: no file './missing-1.0-py3-none-any.whl'",
        (
            "reqs.txt:5: 'https://example.invalid/x-1.0-py3-none-any.whl' is a URL; download the "
            "file and name it, or name a version on an index"
        ),
        (
            "reqs.txt:6: 'x @ https://example.invalid/x-1.0.tar.gz' points at a URL; download the "
            "file and name it, or name a version on an index"
        ),
        (
            "reqs.txt:7: --global-option / --config-settings are build options for pip; pkgimport "
            "cannot pass them on ('six'): build the wheel yourself and name it"
        ),
        (
            "reqs.txt:8: --global-option / --config-settings are build options for pip; pkgimport "
            "cannot pass them on ('six'): build the wheel yourself and name it"
        ),
        "reqs.txt:9: --hash=md5:abc: use one of sha256, sha384, sha512 (as alg:hexdigest)",
        f"reqs.txt:10: --hash=sha256:{SHA_A[:10]}: not a sha256 hex digest",
        "reqs.txt:11: unrecognized arguments: --frobnicate",
        "reqs.txt:12: --hash belongs after a requirement on the same line",
    ]
    assert problems[12] == (
        "reqs.txt:13: --index-url must be on a line of its own, not after a requirement ('six')"
    )
    assert problems[13].startswith("reqs.txt:14: invalid requirement 'six>>1': ")
    assert problems[14:] == [
        "reqs.txt:15: no file 'missing.txt'",
        "reqs.txt:16: 'reqs.txt' includes itself (through -r/-c)",
        "cons.txt:1: a constraint cannot have extras, as in pip ('requests[socks]==2.31')",
        "cons.txt:2: a constraint must name a project ('./notes.txt')",
        (
            "reqs.txt:18: \"./x.whl ; python_version < '3.9'\": markers on a local file are not "
            "supported; list it only in the files for the targets it fits"
        ),
    ]


def test_missing_top_level_file_is_named() -> None:
    assert _refused({}, "nope.txt") == ["-r: no file 'nope.txt'"]
    assert str(InvalidRequirementsFile(["a", "b"])) == "requirement files: \n  a\n  b"


# pip before 24 (a fresh venv's) imports its vendored pkg_resources, which warns on import.
@pytest.mark.filterwarnings("ignore:pkg_resources is deprecated:DeprecationWarning")
def test_same_requirements_as_pip_reads_them(tmp_path: Path) -> None:
    # pip's own parser is the oracle for what a line means (pip is in the test venv).
    from pip._internal.network.session import PipSession  # noqa: PLC0415
    from pip._internal.req.req_file import parse_requirements  # noqa: PLC0415

    text = (
        "requests[socks] == 2.31.0 \\\n    ; python_version >= '3.8'  # c\n"
        "-r sub/more.txt\n"
        f"six==1.16.0 --hash=sha256:{SHA_A} --hash=sha256:{SHA_B}\n"
        "colorama==0.4.6; sys_platform == 'win32'\n"
        "-c cons.txt\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "reqs.txt").write_text(text)
    (tmp_path / "sub" / "more.txt").write_text("attrs==23.1 \\\n  # x\nidna===3.6\n")
    (tmp_path / "cons.txt").write_text("urllib3<2\n")
    pip_lines = list(parse_requirements(str(tmp_path / "reqs.txt"), session=PipSession()))
    ours = parse_requirement_files([str(tmp_path / "reqs.txt")], environ={})
    ours_all = [*ours.requirements, *ours.constraints]
    assert sorted(str(Requirement(p.requirement)) for p in pip_lines) == sorted(
        str(r.requirement) for r in ours_all
    )
    assert {p.requirement: p.constraint for p in pip_lines}["urllib3<2"]
    hashes = next(p.options for p in pip_lines if p.requirement.startswith("six"))
    assert frozenset(f"sha256:{h}" for h in (hashes or {})["hashes"]["sha256"]) == (
        ours.hashes.of("six")
    )


def test_doctests() -> None:
    assert doctest.testmod(_reqfile).failed == 0
    assert doctest.testmod(_options).failed == 0
