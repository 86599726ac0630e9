"""The package.py/package.yaml reader, checked against real rez 3.4 loading the same files."""

from __future__ import annotations

import ast
import os
import re
import textwrap
from typing import TYPE_CHECKING, Any, TypeAlias

import pytest

from pkgimport.definition import PackageDefinition
from pkgimport.errors import InvalidPackageDefinition
from pkgimport.repository._package_py import render_package_py
from pkgimport.repository._reader import (
    RecordFields,
    _read_parsed,
    _scan,
    late_attributes,
    read_package_file,
    read_package_record,
    read_record_tuple,
)
from pkgimport.repository.filesystem import FilesystemRepository

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def _write(repo: Path, name: str, version: str, text: str, filename: str = "package.py") -> Path:
    path = repo / name / version / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


RezLoad: TypeAlias = "Callable[..., list[dict[str, Any]]]"


def _scan_attrs(source: bytes) -> dict[str, object] | None:
    scanned = _scan(source)
    return None if scanned is None else scanned[0]


def _exec_globals(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(source, namespace)
    return {k: v for k, v in namespace.items() if k != "__builtins__"}


# -- the scanner agrees with Python ------------------------------------------------------------

SCANNED = [
    "name = 'foo'\n",
    'name = "foo"\nversion = "1.0"\n',
    "name = 'foo'\r\nversion = '1.0'\r\n",
    "# c\n\nname = 'foo'  # trailing\n\n# end",
    "name='foo'\ntimestamp=0\nx = True\ny = None\nz = False\n",
    "requires = []\nvariants = [[]]\n",
    "requires = ['a', \"b\",]\n",
    "variants = [\n    ['a-1', 'b'],\n    ['c'],\n]\n",
    "variants = \\\n    [['diam-linux',\n      'wave-2.7']]\n",
    "name = 'foo'\nname = 'bar'\n",
    "description = 'é ☃ 𝄞 {root} \"q\"'\n",
    "x = ''\ny = \"\"\n",
    "a = [ ]\n",
    # beyond the one-regex case: any literal the writer produces
    "name = 'a\\nb'\n",
    "name = 'it\\'s \\x00 \\u2028 \\N{SNOWMAN}'\n",
    "name = " + "'" * 3 + "foo" + "'" * 3 + "\n",
    'name = """foo"""\n',
    "d = " + "'" * 3 + "one\n  two ''x'' \"\"\" \\'" + "'" * 3 + "\n",
    "requires = ['a',  # a comment with a quote '\n 'b']\n",
    "x = -1\ny = 1.5\nz = -2.5e-3\nw = 1e16\nv = .5\nu = 0.0\nt = 1.e5\n",
    "x = {'a': 1}\n",
    "x = {}\ny = {'a': {'b': [1, None, True, {'c': 'd'}]}, 'e': [],}\n",
    "x = {\n    'a': 1,  # c\n    'b': [\n        2\n    ]\n}\n",
    "x = ['a', ['b']]\n",
    "x = [['a'], 'b']\n",
    "x = \\\n    {'a': 1}\n",
]

FALLBACK = [
    "name = u'foo'\n",  # a prefix
    "name = b'foo'\n",
    "name = r'a'\n",
    "name = f'{1}'\n",
    "name = 'a' 'b'\n",  # implicit concatenation
    "x = ['a' 'b']\n",
    "name = 'foo'; version = '1'\n",
    "x = 0x10\n",
    "x = -0x1\n",
    "x = 01\n",
    "x = 1_000\n",
    "x = 1.5j\n",
    "x = 1.5.real\n",
    "x = ('a',)\n",
    "x = (1)\n",
    "x = {1: 2}\n",
    "x = {'a': 1}}\n",
    "x = {'a' 1}\n",
    "x = [1,]]\n",
    "x = [,]\n",
    "x = [" + "[" * 50 + "]" * 50 + "]\n",
    "x = 'a\\\nb'\n",  # a backslash-newline inside a string
    "x = " + "'" * 3 + "a\r\nb" + "'" * 3 + "\n",  # Python would read '\n' here
    "x = " + "'" * 3 + "a" + "'" * 4 + "\n",
    "x = [1] + [2]\n",
    "x = {'a': 1} if True else 2\n",
    "import os\n",
    "def commands():\n    pass\n",
    "def commands():\n    env.PATH.append(root)\n",
    "def commands():\n    env.PATH.append('x')\n  # c\n    env.A = 'b'\n",
    "def tools():\n    env.PATH.append('x')\n",
    "def commands():\n    import os\n",
    "x = 'a' + 'b'\n",
    "x: str = 'a'\n",
    "x = y = 'a'\n",
    "\ufeffname = 'foo'\n",
    "name = 'foo' \\\n",
]

SCANNED_FUNCTIONS = [
    "name = 'f'\ndef commands():\n    env.PATH.prepend('{root}/bin')\n",
    (
        "def commands():\n    env.A = literal('x')\n    env.B.unset()\n    alias('a-b', 'c')\n"
        "    info(literal('i'))\n    setenv('lower', \"it's\")\n    unsetenv('lower')\n"
        "    appendenv('x', literal('\\n'))\n    prependenv('x', 'y')\n    env.C.append('d')"
    ),
    "def pre_commands():\n    env.A = 'x'\n\n\ndef commands():\n    env.A = 'y'\ncommands = 1\n",
    "commands = 1\ndef commands():\n    env.A = 'y'\n",
]


@pytest.mark.parametrize("source", SCANNED)
def test_scanner_reads_plain_literals_as_python_does(source: str) -> None:
    assert _scan_attrs(source.encode()) == _exec_globals(source)


@pytest.mark.parametrize("source", SCANNED_FUNCTIONS)
def test_scanner_keeps_generated_commands_like_ast(source: str) -> None:
    scanned = _scan(source.encode())
    assert scanned is not None
    parsed = _read_parsed(ast.parse(source), source, "x")
    assert parsed is not None
    assert scanned == (parsed.attributes, parsed.functions)


@pytest.mark.parametrize("source", FALLBACK)
def test_scanner_leaves_anything_else_to_ast(source: str) -> None:
    assert _scan_attrs(source.encode()) is None


@pytest.mark.parametrize(
    "source",
    [
        b"  name = 'foo'\n",  # indented: an error for Python
        b"if = 'foo'\n",  # a keyword
        b"name = 'fo\x00o'\n",  # NUL is not allowed in source
        b"name = 'foo'\nversion = \n",
        b"name = '\xff'\n",  # not utf-8
    ],
)
def test_scanner_never_accepts_invalid_python(source: bytes) -> None:
    assert _scan_attrs(source) is None


def test_scanner_respects_a_coding_cookie(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nname = 'foo'\ndescription = 'caf\xe9'\n".encode("latin-1")
    path = tmp_path / "package.py"
    path.write_bytes(source)
    assert _scan_attrs(source) is None
    assert read_package_file(path).description == "caf\xe9"


# -- rez's benchmark repository ----------------------------------------------------------------


def _benchmark_files(repo: Path) -> list[Path]:
    return sorted(repo.glob("*/*/package.py"))


def test_every_benchmark_file_reads_with_the_folder_names(rez_benchmark_repo: Path) -> None:
    files = _benchmark_files(rez_benchmark_repo)
    assert len(files) == 18226
    for path in files:
        record = read_package_record(path)
        assert (record.name, record.version) == (path.parent.parent.name, path.parent.name)
        assert not record.needs_eval


def test_scanner_matches_ast_on_every_benchmark_file(rez_benchmark_repo: Path) -> None:
    for path in _benchmark_files(rez_benchmark_repo):
        source = path.read_bytes()
        scanned = _scan_attrs(source)
        assert scanned is not None, path
        parsed = _read_parsed(ast.parse(source), source.decode(), str(path))
        assert parsed is not None
        assert scanned == parsed.attributes, path


def test_benchmark_sample_matches_rez(rez_benchmark_repo: Path, rez_load: RezLoad) -> None:
    files = _benchmark_files(rez_benchmark_repo)[::60]  # a deterministic sample of 304
    assert len(files) > 300
    packages = rez_load(rez_benchmark_repo, [(p.parent.parent.name, p.parent.name) for p in files])
    for path, package in zip(files, packages, strict=True):
        definition = read_package_file(path)
        record = read_package_record(path)
        assert definition.name == package["name"] == record.name
        assert definition.version == package["version"] == record.version
        assert definition.timestamp == package["timestamp"] == record.timestamp
        requires = package["requires"] or []
        assert list(definition.requires) == requires == list(record.requires)
        assert [list(v) for v in definition.variants] == package["variants"]
        assert [list(v) for v in record.variants or ()] == package["variants"]
        assert definition.extra == {}
        assert set(package["data"]) <= {
            "name",
            "version",
            "timestamp",
            "requires",
            "variants",
            "format_version",
        }


# -- functions, @late and @early, compared with rez --------------------------------------------

NATIVE = """\
    name = 'native'
    version = '2.0'
    requires = ['python-3']

    def helper():
        return 'dropped, as rez drops plain functions'

    @late()
    def tools():
        return ['a' + 'b']

    def commands():
        # a comment
        env.PATH.prepend('{root}/bin')
        if building:
            env.X = 1
    custom = {'k': [1, 'two']}
    """


def test_native_functions_are_kept_as_source_without_running(
    tmp_path: Path, rez_load: RezLoad
) -> None:
    path = _write(tmp_path, "native", "2.0", NATIVE)
    definition = read_package_file(path)
    assert definition.requires == ("python-3",)
    assert definition.tools == ()
    assert set(definition.functions) == {"tools", "commands"}
    assert definition.functions["tools"] == "@late()\ndef tools():\n    return ['a' + 'b']"
    assert definition.functions["commands"].startswith("def commands():\n    # a comment\n")
    assert definition.extra == {"custom": {"k": [1, "two"]}}
    assert late_attributes(definition) == {"tools"}
    (package,) = rez_load(tmp_path, [("native", "2.0")])
    assert package["tools"] == ["ab"]
    assert package["data"]["custom"] == {"k": [1, "two"]}
    assert sorted(package["data"]) == sorted(
        ["name", "version", "requires", "tools", "commands", "custom"]
    )
    # rez keeps the body of a rex function: the same code as the source we keep
    assert package["data"]["commands"] == textwrap.dedent(
        definition.functions["commands"].split("\n", 1)[1]
    )


EARLY = """\
    import os
    name = 'early'
    version = '1.0'

    @early()
    def requires():
        return ['python-' + str(len(this.name))] + [f'dep{i}' for i in range(2)]

    @early()
    def description():
        return 'building=%s' % building

    with scope('config') as config:
        config.release_packages_path = '/tmp/released'
        plugins = ModifyList(append=['x'])

    @late()
    def requires_later():
        return []

    for _i in range(2):
        pass
    __private = 1
    timestamp = 10 * 10
    """


def test_files_needing_code_are_evaluated_like_rez(tmp_path: Path, rez_load: RezLoad) -> None:
    path = _write(tmp_path, "early", "1.0", EARLY)
    definition = read_package_file(path)
    (package,) = rez_load(tmp_path, [("early", "1.0")])
    assert list(definition.requires) == package["requires"]
    assert definition.requires == ("python-5", "dep0", "dep1")
    assert definition.description == package["description"] == "building=False"
    assert definition.timestamp == package["timestamp"] == 100
    config = definition.extra["config"]
    assert isinstance(config, dict)
    rez_config = package["data"]["config"]
    assert config["release_packages_path"] == rez_config["release_packages_path"]
    assert type(config["plugins"]).__name__ == "ModifyList"
    assert rez_config["plugins"].startswith("<rez.utils.data_utils.ModifyList")
    assert set(definition.extra) == {"config", "_i"}
    assert set(package["data"]) - {"name", "version", "requires", "description", "timestamp"} == {
        "config",
        "_i",
        "requires_later",
    }
    assert package["data"]["requires_later"] == "return []"
    assert late_attributes(definition) == {"requires_later"}
    record = read_package_record(path)
    assert record.needs_eval
    assert record.requires == definition.requires


def test_late_requires_makes_a_record_need_evaluation(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "lr",
        "1",
        """\
        name = 'lr'
        version = '1'
        @late()
        def requires():
            return ['python']
        """,
    )
    assert read_package_record(path) == RecordFields(
        name="lr",
        version="1",
        timestamp=None,
        requires=(),
        variants=None,
        hashed_variants=False,
        needs_eval=True,
    )


# -- package.yaml ------------------------------------------------------------------------------

YAML = """\
    name: yamlpkg
    version: 1.2.3
    description: A yaml package
    requires:
      - python-3.7+
      - ~maya-2020
    variants:
      - [platform-linux]
    tools: [yt]
    timestamp: 1600000000
    commands: |
      env.PATH.append('{root}/bin')
      env.YAMLPKG = 'on'
    extra_key: {a: 1}
    """


def test_yaml_packages_read_like_rez(tmp_path: Path, rez_load: RezLoad) -> None:
    path = _write(tmp_path, "yamlpkg", "1.2.3", YAML, "package.yaml")
    definition = read_package_file(path)
    (package,) = rez_load(tmp_path, [("yamlpkg", "1.2.3")])
    assert definition.version == package["version"]
    assert list(definition.requires) == package["requires"]
    assert [list(v) for v in definition.variants] == package["variants"]
    assert list(definition.tools) == package["tools"]
    assert definition.timestamp == package["timestamp"]
    assert definition.description == package["description"]
    # rex code in a string stays a string, as in rez (it runs as a function body there)
    assert definition.extra == {
        "extra_key": package["data"]["extra_key"],
        "commands": package["data"]["commands"],
    }
    assert package["data"]["commands"] == "env.PATH.append('{root}/bin')\nenv.YAMLPKG = 'on'\n"
    assert definition.functions == {}
    record = read_package_record(path)
    assert (record.name, record.version, record.variants) == (
        "yamlpkg",
        "1.2.3",
        (("platform-linux",),),
    )


# -- broken files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # only read_package_file checks attributes a listing does not need
        ("name = 'x'\nhelp = [['a']]\n", "'help' must be a string or [[label, url], ...]"),
        ("name = 'x'\nauthors = 'me'\n", "'authors' must be a list of strings, got 'me'"),
    ],
)
def test_full_reads_check_every_field(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "package.py"
    path.write_text(text)
    with pytest.raises(InvalidPackageDefinition) as info:
        read_package_file(path)
    assert str(info.value) == f"{path}: {reason}"
    assert read_package_record(path).name == "x"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name = 'x'\nversion = '1'\nrequires = [\n", "line 3: '[' was never closed"),
        ("name = 'x'\n  version = '1'\n", "line 2: unexpected indent"),
        ("name = 'x'\nrequires = 'python'\n", "'requires' must be a list of strings, got 'python'"),
        (
            "name = 'x'\nvariants = ['python']\n",
            "'variants' must be a list of strings, got 'python'",
        ),
        ("name = 'x'\ntimestamp = '1'\n", "'timestamp' has the wrong type: '1'"),
        ("name = 'x'\nx = 1 / 0\n", "line 2: ZeroDivisionError: division by zero"),
        ("name = 'x'\nraise InvalidPackageError('nope')\n", "line 2: InvalidPackageError: nope"),
        ("name = 'x'\n@late()\ndef commands():\n    pass\n", "line 3: Cannot use @late decorator"),
        ("name = 'x'\nname2 = 'fo\x00o'\n", "source code"),
    ],
)
def test_broken_files_name_the_path_and_the_reason(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "package.py"
    path.write_text(text)
    for read in (read_package_file, read_package_record):
        with pytest.raises(InvalidPackageDefinition) as info:
            read(path)
        message = str(info.value)
        assert message.startswith(f"{path}: "), message
        assert reason in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("version = '1'\n", "no package name (a 'name' string is required)"),
        ("name = 'x'\nversion = 1.10\n", "'version' must be a string, got 1.1"),
        ("name = 'my-pkg'\n", "invalid package name 'my-pkg'"),
        ("name = 'foo bar'\nversion = '1'\n", "invalid package name 'foo bar'"),
    ],
)
def test_the_folders_name_a_package_in_a_repository(tmp_path: Path, text: str, reason: str) -> None:
    # GIVEN a package file whose own name or version is missing or no valid one
    path = _write(tmp_path, "fam", "1", text)
    # WHEN it is read on its own THEN it has no usable name
    with pytest.raises(InvalidPackageDefinition, match=re.escape(reason)):
        read_package_file(path)
    # BUT in a repository rez names it by its folders and never reads those keys: the listing
    # and the full definition are the folders' (tests/test_package_checks_vs_rez.py)
    assert read_record_tuple(str(path)) == (None, (), (), None, False, False)
    definition = read_package_file(path, name="fam", version="1")
    assert (definition.name, definition.version) == ("fam", "1")
    repo = FilesystemRepository(tmp_path, index_file=None)
    assert [r.qualified_name for r in repo.iter_records("fam")] == ["fam-1"]
    assert repo.load("fam", "1").qualified_name == "fam-1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("name: [unclosed\n", "while parsing"), ("- a\n- b\n", "expected a mapping, got list")],
)
def test_broken_yaml_names_the_path(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "package.yaml"
    path.write_text(text)
    with pytest.raises(InvalidPackageDefinition, match=reason) as info:
        read_package_file(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_missing_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "package.py"
    with pytest.raises(InvalidPackageDefinition, match="cannot read: No such file"):
        read_package_record(path)
    with pytest.raises(InvalidPackageDefinition, match="cannot read: No such file"):
        read_package_file(os.fspath(path))


def test_format_version_is_dropped_and_pkgimport_becomes_metadata(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "m",
        "1",
        """\
        name = 'm'
        format_version = 2
        pkgimport = {'pypi': {'project': 'M'}}
        hashed_variants = True
        """,
    )
    assert read_package_file(path) == PackageDefinition(
        name="m", metadata={"pypi": {"project": "M"}}, hashed_variants=True
    )


def test_rez_loader_names_and_dunder_names_are_not_attributes(tmp_path: Path) -> None:
    path = _write(tmp_path, "d", "1", "name = 'd'\n__x = 1\nscope = 2\n_private = 3\n")
    assert read_package_file(path).extra == {"_private": 3}


def test_an_integer_version_is_read_as_its_text(tmp_path: Path) -> None:
    # rez names versions by folder; "version: 2" in a package.yaml is harmless there
    path = _write(tmp_path, "i", "2", "name: i\nversion: 2\n", "package.yaml")
    assert read_package_file(path).version == "2"


SCOPES = """\
    name = 'sc'
    version = '1'
    a = 1
    with scope('config') as c:
        a = 2
        c.plugins.release_hook.emailer.recipients = ['x']
        with scope('inner'):
            deep = True
        b = [1]
    with scope('config'):
        more = 'm'
    with scope('other') as o:
        o.k = 'v'
    """


def test_nested_scopes_build_the_same_dictionaries_as_rez(
    tmp_path: Path, rez_load: RezLoad
) -> None:
    path = _write(tmp_path, "sc", "1", SCOPES)
    definition = read_package_file(path)
    (package,) = rez_load(tmp_path, [("sc", "1")])
    assert dict(definition.extra) == {
        k: v for k, v in package["data"].items() if k not in {"name", "version"}
    }
    assert definition.extra["config"] == {
        "plugins": {"release_hook": {"emailer": {"recipients": ["x"]}}},
        "inner": {"deep": True},
        "a": 2,
        "b": [1],
        "more": "m",
    }


# -- the listing's fast path agrees with the full reader ---------------------------------------

RECORD_FILES = [
    ("package.py", "name = 'a'\nversion = '1'\nrequires = ['b-1', \"c\"]\ntimestamp = 5\n"),
    ("package.py", "name = 'a'\nvariants = [['x'], [], ['y', 'z']]\nhashed_variants = True\n"),
    ("package.py", "name = 'a'\nbuild_requires = ['cmake-3']\nrequires = ['b']\n"),
    ("package.py", "name = 'a'\nrequires = ['b' if True else 'c']\n"),  # ast, then exec
    ("package.py", "name = 'a'\n@early()\ndef requires():\n    return ['b']\n"),
    ("package.yaml", "name: a\nrequires: [b]\nvariants: [[c]]\nbuild_requires: [d]\n"),
]


@pytest.mark.parametrize(("filename", "text"), RECORD_FILES)
def test_record_tuple_matches_the_record_fields(tmp_path: Path, filename: str, text: str) -> None:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    fields = read_package_record(path)
    assert read_record_tuple(str(path)) == (
        fields.timestamp,
        fields.requires,
        fields.build_requires,
        fields.variants,
        fields.hashed_variants,
        fields.needs_eval,
    )


def test_build_requires_are_read(tmp_path: Path) -> None:
    path = tmp_path / "package.py"
    path.write_text("name = 'a'\nbuild_requires = ['cmake-3']\n", encoding="utf-8")
    assert read_package_record(path).build_requires == ("cmake-3",)


@pytest.mark.parametrize(
    "body",
    [
        "requires = ['a', 1]\n",
        "requires = [1, 'a']\n",
        "variants = [['a'], 'b']\n",
        "variants = [['a'], [2]]\n",
    ],
)
def test_fast_path_checks_every_item(tmp_path: Path, body: str) -> None:
    # GIVEN a literal file whose lists are not all strings further in
    path = tmp_path / "package.py"
    path.write_text(f"name = 'a'\n{body}", encoding="utf-8")
    # WHEN/THEN both readers refuse it, naming the file
    with pytest.raises(InvalidPackageDefinition, match=r"package\.py"):
        read_record_tuple(str(path))
    with pytest.raises(InvalidPackageDefinition, match=r"package\.py"):
        read_package_record(path)


def test_a_big_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "package.py"
    padding = "# " + "x" * 98 + "\n"
    path.write_text("name = 'a'\n" + padding * 2000 + "requires = ['b']\n", encoding="utf-8")
    assert path.stat().st_size > 1 << 17
    assert read_record_tuple(str(path))[1] == ("b",)


def test_a_folder_is_not_a_readable_file(tmp_path: Path) -> None:
    (tmp_path / "package.py").mkdir()
    with pytest.raises(InvalidPackageDefinition, match="cannot read"):
        read_record_tuple(str(tmp_path / "package.py"))


def test_string_commands_stay_strings_when_rewritten(tmp_path: Path, rez_load: RezLoad) -> None:
    # GIVEN a package.yaml whose rex code is a string (rez runs it as a function body, so a
    # `return` in it is fine; as a package.py function's body it would not compile)
    source = "name: s\nversion: '1'\ncommands: |\n  env.A = '1'\n  return\n"
    definition = read_package_file(_write(tmp_path / "yaml", "s", "1", source, "package.yaml"))
    # WHEN it is written as a package.py (an import merging a variant into it does)
    path = _write(tmp_path / "py", "s", "1", render_package_py(definition))
    # THEN the code is still a string, for pkgimport and for rez
    assert read_package_file(path).extra["commands"] == "env.A = '1'\nreturn\n"
    (package,) = rez_load(tmp_path / "py", [("s", "1")], actions=True)
    assert package["actions"] == [["Setenv", "A", "1"]]
