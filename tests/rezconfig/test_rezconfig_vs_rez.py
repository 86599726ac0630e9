"""Differential tests: generated rez configurations read by rez 3.4 and by pkgimport.

GIVEN seeded random configurations (Python and YAML files on ``$REZ_CONFIG_FILE`` and in the
home folder, ``.py`` twins of ``.yaml`` paths, missing files, ``ModifyList``, ``DelayLoad``,
dicts merged across files, ``$REZ_<KEY>`` and ``$REZ_<KEY>_JSON`` variables, values that
expand ``$VARS``, ``~`` and ``{system.X}``, ``platform_map``, and broken values of every kind)
WHEN rez's ``rez.config`` (in a child process, the environment exactly the case's) and
``pkgimport.rezconfig`` read every setting pkgimport models THEN both give the same value, or
both fail, and both read the same files.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from pkgimport.rezconfig import SETTINGS, InvalidRezConfig, RezConfig

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("rez")

CASES = 80

_REZ_SCRIPT = r"""
import json, os, sys
cases = json.load(open(sys.argv[1]))
import rez.config as rc
from rez.system import system
from rez.utils.platform_ import platform_
out = []
for case in cases:
    os.environ.clear()
    os.environ.update(case["env"])
    # system names are cached per process; platform_map changes them
    for obj in (system, platform_):
        for attr in ("arch", "os"):
            obj.__dict__.pop(attr, None)
    config = rc.Config._create_main_config()
    rc.config = config  # rez's platform_map lookup reads the module's config
    values = {}
    for key in case["keys"]:
        try:
            values[key] = {"value": getattr(config, key)}
        except Exception as exc:
            values[key] = {"error": type(exc).__name__}
    try:
        sourced = config.sourced_filepaths[1:]
    except Exception as exc:
        sourced = "error"
    out.append({"values": values, "sourced": sourced})
print(json.dumps(out))
"""

# -- generating configurations -----------------------------------------------------------------

_PATHS = ["~/pk", "$STUDIO/pk", "${STUDIO}/{system.platform}", "/abs/x", "~", "$NOPE/y"]
_IMPLICITS = ["~platform=={system.platform}", "~arch=={system.arch}", "~os=={system.os}", "~gcc-12"]


def _value(rng: random.Random, key: str) -> Any:
    """A value for *key* as a file would hold it: mostly valid, sometimes of the wrong type."""
    setting = SETTINGS[key]
    if rng.random() < 0.08:
        return rng.choice([5, "text", ["a", 1], {"a": 1}, None, True])
    kind = setting.kind
    if kind in {"path_list", "str_list", "optional_str_list"}:
        pool = _IMPLICITS if key == "implicit_packages" else _PATHS
        return rng.sample(pool, rng.randint(0, 3))
    if kind in {"str", "optional_str"}:
        return rng.choice(_PATHS + ([None] if kind == "optional_str" else []))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(0, 100)
    if kind == "choice":
        return rng.choice([*setting.choices, "bogus"])
    if key == "platform_map":
        return rng.choice(
            [
                {"arch": {"x86_64": "64bit"}},
                {"os": {r"^(\w+)-(\d+).*$": r"\1_\2"}},
                {"arch": {"^x": "X{system.platform}"}},
                {},
            ]
        )
    if kind in {"dict", "optional_dict"}:
        return {rng.choice(["FOO", "BAR"]): rng.choice([",", ";", " ", "$STUDIO"])}
    if kind == "dict_or_dict_list":
        rule = rng.choice(["*.beta", "foo-2+", "after(1429830188)"])
        one: dict[str, Any] = {"excludes": [rule]}
        if key == "package_orderers":
            one = {"type": "sorted", "descending": rng.random() < 0.5, "packages": ["foo"]}
        return rng.choice([one, [one], [one, one], None])
    raise AssertionError(key)


def _py_text(rng: random.Random, key: str, value: Any, folder: Path, index: int) -> str:
    if isinstance(value, list) and rng.random() < 0.3:
        where = rng.choice(["append", "prepend"])
        return f"{key} = ModifyList({where}={value!r})\n"
    if rng.random() < 0.1 and key in {"package_orderers", "package_filter", "platform_map"}:
        delayed = folder / f"delayed{index}_{key}.json"
        delayed.write_text(json.dumps(value))
        return f"{key} = DelayLoad({str(delayed)!r})\n"
    return f"{key} = {value!r}\n"


def _write_file(rng: random.Random, path: Path, keys: list[str], index: int) -> None:
    values = {key: _value(rng, key) for key in keys}
    if path.suffix == ".py":
        text = "import os\n" + "".join(
            _py_text(rng, key, value, path.parent, index) for key, value in values.items()
        )
        path.write_text(text)
    else:
        path.write_text(yaml.safe_dump(values))


def _env_text(rng: random.Random, key: str) -> tuple[str, str]:
    """A ``$REZ_<KEY>`` (or ``_JSON``) variable, as a user would set it."""
    var = f"REZ_{key.upper()}"
    kind = SETTINGS[key].kind
    if kind == "dict_or_dict_list" or rng.random() < 0.3:
        return var + "_JSON", rng.choice([json.dumps(_value(rng, key)), "[not json"])
    if kind == "bool":
        return var, rng.choice(["1", "0", "yes", "off", "True", "maybe"])
    if kind == "int":
        return var, rng.choice(["12", "x"])
    if kind in {"dict", "optional_dict"}:
        return var, rng.choice(["FOO:;,N:2", "FOO:1.5", "nocolon"])
    if kind == "path_list":
        return var, os.pathsep.join(rng.sample(["/a", "", "$STUDIO/b", "~/c"], 3))
    if kind in {"str_list", "optional_str_list"}:
        return var, rng.choice(["~a,~b ~c", "", "~os=={system.os}"])
    if kind == "choice":
        return var, rng.choice([*SETTINGS[key].choices, "bogus"])
    return var, rng.choice(["/x", "~/y", "$STUDIO/z"])


def make_case(rng: random.Random, folder: Path) -> dict[str, Any]:
    """Write one configuration under *folder*; return its environment."""
    home = folder / "home"
    home.mkdir(parents=True)
    keys = list(SETTINGS)
    env = {"HOME": str(home), "STUDIO": "/studio", "PATH": os.environ.get("PATH", "")}
    config_files = []
    for i in range(rng.randint(0, 3)):
        suffix = rng.choice([".py", ".yaml", ".yaml", ""])
        path = folder / f"conf{i}{suffix}"
        roll = rng.random()
        if roll < 0.15:
            config_files.append(str(path))  # searched, missing
            continue
        if suffix == ".yaml" and roll < 0.3:
            # A .py twin is what rez reads for a .yaml path.
            _write_file(rng, path.with_suffix(".py"), rng.sample(keys, 3), i)
        _write_file(rng, path if suffix else path.with_suffix(".py"), rng.sample(keys, 4), i)
        config_files.append(str(path))
    if config_files:
        env["REZ_CONFIG_FILE"] = os.pathsep.join(config_files)
    home_kind = rng.choice(["none", "yaml", "py"])
    if home_kind == "yaml":
        _write_file(rng, home / ".rezconfig", rng.sample(keys, 3), 9)
    elif home_kind == "py":
        _write_file(rng, home / ".rezconfig.py", rng.sample(keys, 3), 9)
    if rng.random() < 0.2:
        env["REZ_DISABLE_HOME_CONFIG"] = rng.choice(["1", "true", "0", "no"])
    for key in rng.sample(keys, rng.randint(0, 3)):
        var, text = _env_text(rng, key)
        env[var] = text
    return env


# -- reading ------------------------------------------------------------------------------------


def _ours(env: dict[str, str]) -> dict[str, Any]:
    config = RezConfig(env)
    values = {key: _read(config, key) for key in SETTINGS}
    try:
        sourced: Any = config.source_list()
    except InvalidRezConfig:
        sourced = "error"
    return {"values": values, "sourced": sourced}


def _read(config: RezConfig, key: str) -> dict[str, Any]:
    try:
        return {"value": config.get(key)}
    except InvalidRezConfig:
        return {"error": "ConfigurationError"}


def _rez(cases: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(cases))
    proc = subprocess.run(
        [sys.executable, "-c", _REZ_SCRIPT, str(cases_file)],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("REZ_")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    """Errors compare by occurrence only (rez raises several types; pkgimport one)."""
    values = {
        key: "error" if "error" in entry else entry["value"]
        for key, entry in result["values"].items()
    }
    return {"values": values, "sourced": result["sourced"]}


def test_generated_configurations_read_like_rez(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    cases: list[dict[str, Any]] = []
    for i in range(CASES):
        env = make_case(rng, tmp_path / f"case{i}")
        cases.append({"env": env, "keys": list(SETTINGS)})
    theirs = _rez(cases, tmp_path)
    mismatches = []
    for i, (case, rez_result) in enumerate(zip(cases, theirs, strict=True)):
        ours = _comparable(_ours(case["env"]))
        rez = _comparable(rez_result)
        if ours != rez:
            diff = {
                k: (ours["values"][k], rez["values"][k])
                for k in SETTINGS
                if ours["values"][k] != rez["values"][k]
            }
            if ours["sourced"] != rez["sourced"]:
                diff["<sourced>"] = (ours["sourced"], rez["sourced"])
            mismatches.append((i, diff))
    assert not mismatches, mismatches[:5]


def test_the_generator_covers_what_it_should(tmp_path: Path) -> None:
    """The cases above exercise each source of a value and errors, not just defaults."""
    rng = random.Random(20240611)
    seen: set[str] = set()
    for i in range(CASES):
        env = make_case(rng, tmp_path / f"case{i}")
        config = RezConfig(env)
        for key in SETTINGS:
            try:
                source = config.source(key)
            except InvalidRezConfig:
                seen.add("error")
                continue
            seen.add(
                "json" if source.endswith("_JSON") else "var" if source.startswith("$")
                else "defaults" if source == "defaults" else "py" if source.endswith(".py")
                else "yaml"
            )  # fmt: skip
    assert seen == {"error", "json", "var", "defaults", "py", "yaml"}
