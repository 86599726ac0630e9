"""The package.py writer: layout, validation, and rez 3.4 loading exactly what was meant."""

from __future__ import annotations

import ast
import keyword
import random
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pkgimport.definition import Action, PackageDefinition, escape_rex
from pkgimport.errors import InvalidPackageDefinition
from pkgimport.repository._package_py import render_package_py
from pkgimport.repository._reader import _read_parsed, _scan, read_package_file

if TYPE_CHECKING:
    from collections.abc import Callable

RezLoad: TypeAlias = "Callable[..., list[dict[str, Any]]]"


def _install(repo: Path, definition: PackageDefinition) -> Path:
    path = repo / definition.name / definition.version / "package.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_package_py(definition), encoding="utf-8")
    return path


# -- layout ------------------------------------------------------------------------------------

FULL = PackageDefinition(
    name="foo",
    version="1.2.0",
    description="Foo does things.",
    authors=("Ann", "Bob"),
    requires=("python-3.11+<3.12", "~platform==linux"),
    variants=(("arch-x86_64",), ("arch-arm64", "os-Debian-12")),
    tools=("foo",),
    help=(("Home", "https://example.org"),),
    commands=(
        Action.prepend("PATH", "{root}/bin"),
        Action.set("FOO_HOME", "{root}"),
        Action.append("lowercase", "x", literal=True),
        Action.unset("OLD"),
        Action.unset("old"),
        Action.alias("foo-cli", "{root}/bin/foo"),
        Action.info("hi"),
    ),
    timestamp=1700000000,
    hashed_variants=True,
    metadata={"pypi": {"project": "Foo", "sha256": ["ab"], "yanked": False}},
    extra={"uuid": "u-1", "zeta": 1, "alpha": {"b": None, "a": 1.5}},
)

FULL_TEXT = """\
# -*- coding: utf-8 -*-

name = 'foo'

version = '1.2.0'

description = 'Foo does things.'

authors = [
    'Ann',
    'Bob'
]

tools = ['foo']

requires = [
    'python-3.11+<3.12',
    '~platform==linux'
]

variants = [
    ['arch-x86_64'],
    ['arch-arm64', 'os-Debian-12']
]

def commands():
    env.PATH.prepend('{root}/bin')
    env.FOO_HOME = '{root}'
    appendenv('lowercase', literal('x'))
    env.OLD.unset()
    unsetenv('old')
    alias('foo-cli', '{root}/bin/foo')
    info(literal('hi'))

help = [['Home', 'https://example.org']]

uuid = 'u-1'

timestamp = 1700000000

alpha = {
    'a': 1.5,
    'b': None
}

hashed_variants = True

zeta = 1

pkgimport = {
    'pypi': {
        'project': 'Foo',
        'sha256': ['ab'],
        'yanked': False
    }
}

format_version = 2
"""


def test_layout_follows_rez_key_order() -> None:
    assert render_package_py(FULL) == FULL_TEXT


def test_rendering_is_deterministic() -> None:
    reordered = FULL.evolve(
        metadata={"pypi": {"yanked": False, "sha256": ["ab"], "project": "Foo"}},
        extra={"alpha": {"a": 1.5, "b": None}, "zeta": 1, "uuid": "u-1"},
    )
    assert render_package_py(FULL) == render_package_py(FULL) == render_package_py(reordered)


def test_a_minimal_package() -> None:
    assert render_package_py(PackageDefinition(name="bare")) == (
        "# -*- coding: utf-8 -*-\n\nname = 'bare'\n\nformat_version = 2\n"
    )


def test_long_lists_break_one_item_per_line_and_long_variants_too() -> None:
    reqs = tuple(f"requirement_number_{i}-1.0" for i in range(6))
    text = render_package_py(PackageDefinition(name="x", requires=reqs[:1], variants=(reqs,)))
    assert "requires = ['requirement_number_0-1.0']\n" in text
    assert "variants = [\n    [\n        'requirement_number_0-1.0',\n" in text


def test_what_we_write_stays_on_the_scanner_fast_path() -> None:
    scanned = _scan(FULL_TEXT.encode())
    assert scanned is not None
    parsed = _read_parsed(ast.parse(FULL_TEXT), FULL_TEXT, "package.py")
    assert parsed is not None
    assert scanned == (parsed.attributes, parsed.functions)


def test_multiline_text_is_triple_quoted_when_exactly_equivalent() -> None:
    text = render_package_py(PackageDefinition(name="x", description="One.\n  Two {x}.\n"))
    assert "description = '''One.\n  Two {x}.\n'''\n" in text
    tricky = render_package_py(PackageDefinition(name="x", description="a\\nb\nc'"))
    assert 'description = "a\\\\nb\\nc\'"\n' in tricky


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"requires": ("foo bar",)}, "requires[0]: invalid requirement 'foo bar'"),
        ({"variants": (("ok",), ("",))}, "variants[1][0]: invalid requirement ''"),
        ({"version": "1..2"}, "version: invalid version '1..2'"),
        ({"timestamp": "now"}, "timestamp: expected an int, got 'now'"),
        ({"extra": {"requires": ["x"]}}, "extra['requires']: 'requires' is a definition field"),
        ({"extra": {"import": 1}}, "extra: 'import' cannot be a package attribute"),
        ({"extra": {"__x": 1}}, "extra: '__x' cannot be a package attribute"),
        ({"extra": {"a-b": 1}}, "extra: 'a-b' cannot be a package attribute"),
        ({"extra": {"scope": 1}}, "extra: 'scope' cannot be a package attribute"),
        ({"extra": {"pkgimport": 1}}, "extra: 'pkgimport' cannot be a package attribute"),
        ({"extra": {"s": {1, 2}}}, "s: set values cannot be written"),
        ({"extra": {"f": float("nan")}}, "f: nan has no Python literal"),
        ({"metadata": {"pypi": {"x": [object()]}}}, "pkgimport.pypi.x[0]: object values"),
        ({"metadata": {"pypi": {1: "x"}}}, "pkgimport.pypi: dictionary key 1 is not a string"),
        ({"functions": {"commands": "import os"}}, "functions['commands']: expected a single"),
        (
            {"functions": {"tools": "def other():\n    pass"}},
            "functions['tools']: expected a single 'def tools()'",
        ),
        ({"functions": {"tools": "def tools(:"}}, "functions['tools']: line 1: "),
        (
            {"functions": {"tools": "def tools():\n    return []\nimport os"}},
            "functions['tools']: expected a single 'def tools()'",
        ),
        (
            {"functions": {"requires": "def requires():\n    return []"}, "requires": ("a",)},
            "functions['requires']: 'requires' is also given as a value",
        ),
    ],
)
def test_invalid_definitions_are_refused(changes: dict[str, Any], message: str) -> None:
    definition = PackageDefinition(name="x", version="1").evolve(**changes)
    with pytest.raises(InvalidPackageDefinition) as info:
        render_package_py(definition)
    assert str(info.value).startswith(message)


def test_str_subclasses_are_refused() -> None:
    class Sneaky(str):
        __slots__ = ()

        def __repr__(self) -> str:
            return "__import__('os').system('echo pwned')"

    with pytest.raises(InvalidPackageDefinition, match="Sneaky values cannot be written"):
        render_package_py(PackageDefinition(name="x", tools=(Sneaky("t"),)))
    # where a subclass is accepted, its own __repr__ is never called
    text = render_package_py(
        PackageDefinition(
            name=Sneaky("x"),
            version=Sneaky("1"),
            commands=(Action.set("X", Sneaky("v")), Action.alias(Sneaky("a"), Sneaky("b"))),
        )
    )
    assert "__import__" not in text
    assert "name = 'x'\n\nversion = '1'\n\ndef commands():\n    env.X = 'v'\n" in text


# -- rez loads what we write -------------------------------------------------------------------

NASTY = [
    "'",
    '"',
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[31m",
    "'''",
    '"""',
    "{root}",
    "{{",
    "}",
    "$HOME",
    "${PATH}",
    "`id`",
    "$(id)",
    "%(x)s",
    "é",
    "☃",
    "𝄞",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\x85",
    "\x7f",
    "\ud800",
    "#",
    "');__import__('os').system('id');('",
    "\n__import__('os')\n",
    " ",
    "a",
    "Z9",
]


def _fuzz_strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    strings = list(NASTY)
    while len(strings) < count:
        strings.append("".join(rng.choice(NASTY) for _ in range(rng.randint(0, 8))))
    return strings


def _fuzz_definition(i: int, strings: list[str]) -> PackageDefinition:
    s = strings
    return PackageDefinition(
        name=f"fuzz{i}",
        version=f"1.{i}",
        description=s[0],
        authors=(s[1], s[2]),
        tools=(s[3],),
        help=s[4] if i % 2 else ((s[4], s[5]),),
        requires=("python-3+<4", f"~dep{i}"),
        variants=(("platform-linux",), ("platform-windows", "arch-AMD64")),
        commands=(
            Action.set("FUZZ_LITERAL", s[6], literal=True),
            # without literal() '$' stays for the shell: escape_rex() is about {} only
            Action.set("FUZZ_ESCAPED", "{root}/" + escape_rex(s[7].replace("$", ""))),
            Action.prepend("FUZZ_PATH", "{root}/" + escape_rex(s[8].replace("$", ""))),
            Action.append("fuzz_lower", s[9], literal=True),
            Action.alias("fuzz_alias", s[10], literal=True),
            Action.info(s[11]),
        ),
        timestamp=1_600_000_000 + i,
        hashed_variants=bool(i % 2),
        metadata={"pypi": {s[12]: s[13], "list": [s[14], i, 0.5, None, True]}},
        extra={"uuid": s[15], "notes": [s[16], {s[17]: s[18]}]},
    )


def test_rez_loads_every_fuzzed_string_back_exactly(tmp_path: Path, rez_load: RezLoad) -> None:
    strings = _fuzz_strings(seed=20240521, count=19 * 24)
    definitions = [_fuzz_definition(i, strings[i * 19 : (i + 1) * 19]) for i in range(24)]
    for definition in definitions:
        _install(tmp_path, definition)
    # what the requirements need to resolve (the first variant, and python)
    _install(tmp_path, PackageDefinition(name="python", version="3.11"))
    _install(tmp_path, PackageDefinition(name="platform", version="linux"))
    loaded = rez_load(tmp_path, [(d.name, d.version) for d in definitions], actions=True)
    for index, (definition, package) in enumerate(zip(definitions, loaded, strict=True)):
        data = package["data"]
        assert data["description"] == definition.description
        assert data["authors"] == list(definition.authors)
        assert package["tools"] == list(definition.tools)
        expected_help: object = definition.help
        if isinstance(definition.help, tuple):
            expected_help = [list(pair) for pair in definition.help]
        assert package["help"] == expected_help
        assert package["requires"] == list(definition.requires)
        assert package["variants"] == [list(v) for v in definition.variants]
        assert package["timestamp"] == definition.timestamp
        assert data.get("hashed_variants", False) == definition.hashed_variants
        assert data["pkgimport"] == definition.metadata
        assert data["uuid"] == definition.extra["uuid"]
        assert data["notes"] == definition.extra["notes"]
        assert "format_version" not in data  # rez pops it on load
        root = str(tmp_path / definition.name / definition.version)
        # rez picks the first variant, the one that resolves: platform-linux
        variant = _sha1_of(["platform-linux"]) if definition.hashed_variants else "platform-linux"
        root = f"{root}/{variant}"
        s = strings[index * 19 : (index + 1) * 19]
        assert package["actions"] == [
            ["Setenv", "FUZZ_LITERAL", s[6]],
            ["Setenv", "FUZZ_ESCAPED", f"{root}/{s[7].replace('$', '')}"],
            ["Setenv", "FUZZ_PATH", f"{root}/{s[8].replace('$', '')}"],
            ["Setenv", "fuzz_lower", s[9]],
            ["Alias", "fuzz_alias", s[10]],
            ["Info", s[11]],
        ], definition.name
    # and the reader gives back what was written, byte for byte once rendered again
    for definition in definitions:
        path = tmp_path / definition.name / definition.version / "package.py"
        again = read_package_file(path)
        assert render_package_py(again) == path.read_text(encoding="utf-8")
        assert again.evolve(functions={}) == definition.evolve(commands=())


def _sha1_of(variant_requires: list[str]) -> str:
    import hashlib  # noqa: PLC0415

    return hashlib.sha1(str(variant_requires).encode()).hexdigest()


NATIVE_FUNCTIONS = {
    "tools": "@late()\ndef tools():\n    return ['t' + str(this.version.major)]",
    "commands": "def commands():\n    # kept as written\n    env.NATIVE = '{root}'\n"
    "    if 'python' in resolve:\n        env.HAS_PY = '1'",
}


def test_native_functions_are_written_back_verbatim(tmp_path: Path, rez_load: RezLoad) -> None:
    definition = PackageDefinition(name="native", version="3.1", functions=NATIVE_FUNCTIONS)
    path = _install(tmp_path, definition)
    text = path.read_text()
    assert NATIVE_FUNCTIONS["tools"] + "\n\n" in text
    assert NATIVE_FUNCTIONS["commands"] + "\n\n" in text
    (package,) = rez_load(tmp_path, [("native", "3.1")], actions=True)
    assert package["tools"] == ["t3"]
    assert package["actions"] == [["Setenv", "NATIVE", str(path.parent)]]
    assert read_package_file(path) == definition


def test_rez_env_applies_the_commands(tmp_path: Path, rez_env: dict[str, str]) -> None:
    definition = PackageDefinition(
        name="envtest",
        version="1.0",
        tools=("hello",),
        commands=(
            Action.set("ENVTEST", "it's $HOME {root}", literal=True),
            Action.prepend("PATH", "{root}/bin"),
            Action.alias("envtest_alias", "echo aliased"),
            Action.info("entering {envtest}"),
        ),
    )
    path = _install(tmp_path, definition)
    script = 'printenv ENVTEST; printenv PATH; envtest_alias "x y"'
    proc = subprocess.run(
        ["rez-env", "--ni", "--paths", str(tmp_path), "envtest", "--", "bash", "-c", script],
        env=rez_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "entering {envtest}"
    assert lines[1] == "it's $HOME {root}"
    assert lines[2].startswith(f"{path.parent}/bin:")
    assert lines[3] == "aliased x y"


def test_structured_commands_read_back_as_native_source(tmp_path: Path) -> None:
    path = _install(tmp_path, FULL)
    again = read_package_file(path)
    assert again.commands == ()
    source = again.functions["commands"]
    assert source.startswith("def commands():\n    env.PATH.prepend('{root}/bin')\n")
    assert source.endswith("\n    info(literal('hi'))")
    assert render_package_py(again) == FULL_TEXT


# -- property: any text survives the trip ------------------------------------------------------

_TEXT = st.text(max_size=40)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda k: (
        not keyword.iskeyword(k)
        and not k.startswith("__")
        and k not in {"name", "version", "description", "authors", "requires", "variants", "tools"}
        and k not in {"help", "commands", "timestamp", "hashed_variants", "scope", "early", "late"}
        and k not in {"include", "pkgimport", "format_version"}
    )
)


@pytest.mark.property
@settings(max_examples=300, deadline=None)
@given(
    description=_TEXT,
    authors=st.lists(_TEXT, max_size=3),
    help_=st.one_of(_TEXT, st.lists(st.tuples(_TEXT, _TEXT), max_size=2).map(tuple)),
    extra=st.dictionaries(_KEYS, _JSON, max_size=3),
    metadata=st.dictionaries(_TEXT, _JSON, max_size=3),
    value=_TEXT,
)
def test_any_text_is_read_back_exactly(
    *,
    description: str,
    authors: list[str],
    help_: str | tuple[tuple[str, str], ...],
    extra: dict[str, Any],
    metadata: dict[str, Any],
    value: str,
) -> None:
    definition = PackageDefinition(
        name="prop",
        version="1",
        description=description,
        authors=tuple(authors),
        help=help_,
        extra=extra,
        metadata=metadata,
        commands=(Action.set("PROP", value, literal=True), Action.alias("p", value, literal=True)),
    )
    text = render_package_py(definition)
    # what we write stays on the scanner's fast path, and the scanner agrees with ast
    scanned = _scan(text.encode())
    assert scanned is not None
    parsed = _read_parsed(ast.parse(text), text, "package.py")
    assert parsed is not None
    assert scanned == (parsed.attributes, parsed.functions)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "package.py")
        path.write_text(text, encoding="utf-8")
        again = read_package_file(path)
    assert again.evolve(functions={}) == definition.evolve(commands=())
    # the generated commands() passes the very same string to literal()
    calls = [
        node
        for node in ast.walk(ast.parse(again.functions["commands"]))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "literal"
    ]
    assert [ast.literal_eval(call.args[0]) for call in calls] == [value, value]
