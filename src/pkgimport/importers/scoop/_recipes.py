"""Recipes: reviewed, declarative replacements for the scripts of well-known manifests.

A recipe is a JSON file in ``pkgimport/recipes/`` (``scoop-*.json``). It names the apps it is
for, a text the manifest's hook must contain for it to apply (so a manifest that changed shape
is refused again rather than half-handled), the hooks it replaces, and steps from a small fixed
vocabulary run on the payload folder after extraction. No step runs manifest text.

Steps:

``burn-extract-msis``: ``{"bundle": "setup.exe", "exclude": ["path", ...]}``: open the WiX Burn
bundle in the app folder and extract every attached ``*.msi`` whose stem is not excluded into
the app folder (MSI administrative layout).
``delete``: ``{"path": "setup.exe"}``: remove a file or folder of the app folder.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, cast

from pkgimport.importers.scoop._errors import InvalidManifest, PayloadError
from pkgimport.safe_names import UnsafeName, check_member_path

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pkgimport.importers.scoop._manifest import Manifest

__all__ = ["Recipe", "RecipeBook", "apply_recipe", "parse_recipe"]

_STEP_KEYS = {"burn-extract-msis": {"op", "bundle", "exclude"}, "delete": {"op", "path"}}
_RECIPE_KEYS = {"name", "summary", "apps", "when", "replaces", "steps"}
_HOOKS = {"pre_install", "installer", "post_install"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Recipe:
    """One recipe file, validated."""

    name: str
    summary: str
    apps: tuple[str, ...]
    """App name patterns (``fnmatch``): ``python``, ``python3*``."""
    when_hook: str
    """The hook whose text must contain :attr:`when_contains`."""
    when_contains: str
    replaces: frozenset[str]
    """Hooks the recipe stands for (not refused, recorded as replaced)."""
    steps: tuple[Mapping[str, object], ...]

    def applies_to(self, app: str, manifest: Manifest) -> bool:
        """Tell whether this recipe is for *app* and its manifest still looks as reviewed."""
        if not any(fnmatch.fnmatchcase(app, p) for p in self.apps):
            return False
        texts: list[str] = []
        for arch in manifest.architectures or (None,):
            view = manifest.for_arch(arch)
            texts.extend(
                json.dumps(v) for w, v in view.hooks if w.rsplit(".", 1)[-1] == self.when_hook
            )
        return bool(texts) and all(self.when_contains in t for t in texts)


def _fail(path: str, message: str) -> InvalidManifest:
    return InvalidManifest("recipe", message, key_path=path)


def parse_recipe(data: Mapping[str, object], source: str = "recipe") -> Recipe:
    """Validate a recipe mapping (unknown keys and steps are errors)."""
    unknown = set(data) - _RECIPE_KEYS
    if unknown:
        raise _fail(source, f"unknown recipe keys {sorted(unknown)}")
    when = cast("dict[str, object]", data.get("when") or {})
    steps = cast("list[dict[str, object]]", data.get("steps") or [])
    for i, step in enumerate(steps):
        op = step.get("op")
        if op not in _STEP_KEYS or set(step) - _STEP_KEYS[str(op)]:
            raise _fail(f"{source}.steps[{i}]", f"unknown step {step!r}")
        for key in ("path", "bundle"):
            if key in step:
                where = f"{source}.steps[{i}].{key}"
                try:
                    _relative(step[key], where)
                except UnsafeName as exc:
                    raise _fail(
                        where, f"{exc.name!r} is not a path inside the app folder ({exc.why})"
                    ) from None
    replaces = frozenset(cast("list[str]", data.get("replaces") or []))
    if not replaces <= _HOOKS:
        raise _fail(f"{source}.replaces", f"unknown hooks {sorted(replaces - _HOOKS)}")
    return Recipe(
        name=str(data["name"]),
        summary=str(data.get("summary", "")),
        apps=tuple(cast("list[str]", data["apps"])),
        when_hook=str(when.get("hook", "installer")),
        when_contains=str(when.get("contains", "")),
        replaces=replaces,
        steps=tuple(steps),
    )


class RecipeBook:
    """The recipes pkgimport knows, by name."""

    def __init__(self, recipes: list[Recipe]) -> None:
        self._recipes = {r.name: r for r in recipes}

    @classmethod
    def bundled(cls) -> RecipeBook:
        """Return the recipes shipped in ``pkgimport/recipes/``."""
        folder = resources.files("pkgimport") / "recipes"
        recipes = []
        if folder.is_dir():
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if entry.name.startswith("scoop-") and entry.name.endswith(".json"):
                    data = json.loads(entry.read_text(encoding="utf-8"))
                    recipes.append(parse_recipe(data, entry.name))
        return cls(recipes)

    def find(self, app: str, manifest: Manifest) -> Recipe | None:
        """Return the recipe for *app*, if one applies to this manifest."""
        return next((r for r in self._recipes.values() if r.applies_to(app, manifest)), None)

    def get(self, name: str) -> Recipe:
        """Return the recipe called *name*."""
        return self._recipes[name]


def _relative(rel: object, what: str) -> PurePosixPath:
    """Return a recipe path (backslashes or slashes) as a path inside the app folder."""
    return check_member_path(str(rel).replace("\\", "/"), what=what)


def _app_path(app: Path, rel: object) -> Path:
    try:
        return app.joinpath(*_relative(rel, "recipe path").parts)
    except UnsafeName:
        raise PayloadError(f"recipe path {rel!r} leaves the app folder") from None


def apply_recipe(
    recipe: Recipe, root: Path, *, which: Callable[[str], str | None] = shutil.which
) -> None:
    """Run *recipe*'s steps on the payload folder *root* (``root/app`` is the app folder)."""
    from pkgimport.importers.scoop._burn import extract_burn_payloads  # noqa: PLC0415
    from pkgimport.importers.scoop._extract import extract_archive  # noqa: PLC0415
    from pkgimport.importers.scoop._payload import merge_into  # noqa: PLC0415

    app = root / "app"
    for step in recipe.steps:
        if step["op"] == "delete":
            target = _app_path(app, step["path"])
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
            continue
        bundle = _app_path(app, step["bundle"])
        exclude = {str(e).lower() for e in cast("list[object]", step.get("exclude") or [])}
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            payloads = extract_burn_payloads(bundle, Path(tmp) / "payloads", which=which)
            for name, path in sorted(payloads.items()):
                stem = PurePosixPath(name).stem.lower()
                if not name.lower().endswith(".msi") or stem in exclude:
                    continue
                out = Path(tmp) / f"msi-{stem}"
                out.mkdir()
                extract_archive("msi", path, out, local_name=PurePosixPath(name).name, which=which)
                merge_into(out, app)
