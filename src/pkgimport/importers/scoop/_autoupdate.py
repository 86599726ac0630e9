"""``app@version`` without history: a manifest generated from ``autoupdate``, as Scoop does.

Scoop substitutes its variables by plain text replacement; pkgimport replaces the longest
names first (so ``$versionSuffix``-like names are never cut by ``$version``) and refuses when a
variable stays unfilled (Scoop's own ``app@version`` leaves custom ``$matchXxx`` literal and
breaks, Scoop#3686) or when the URL has no version in it at all (Scoop#6333: the latest build
would be installed under an old label). Hashes are not generated: the payload step computes
them, and the package records them as computed, not reviewed.

>>> v = version_variables("1.2.3-rc1")
>>> v["$cleanVersion"], v["$preReleaseVersion"], v["$url"]
('123rc1', 'rc1', None)
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, cast

from pkgimport.importers.scoop._errors import ManifestRefused

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["generate_manifest", "substitute", "version_variables"]

_VAR_RE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
_REWRITTEN = ("url", "extract_dir", "bin", "env_add_path", "env_set", "shortcuts")
_URL_VARS = ("$url", "$baseurl", "$basename", "$urlNoExt", "$basenameNoExt")


def version_variables(version: str) -> dict[str, str | None]:
    """Return Scoop's version variables for *version* (URL variables as ``None``)."""
    parts = re.split(r"[._-]", version)
    head = re.match(r"(\d+\.\d+(?:\.\d+)?)(.*)", version)
    values: dict[str, str | None] = {
        "$version": version,
        "$dotVersion": re.sub(r"[._-]", ".", version),
        "$underscoreVersion": re.sub(r"[.-]", "_", version),
        "$dashVersion": re.sub(r"[._]", "-", version),
        "$cleanVersion": re.sub(r"[._-]", "", version),
        "$majorVersion": parts[0],
        "$minorVersion": parts[1] if len(parts) > 1 else "",
        "$patchVersion": parts[2] if len(parts) > 2 else "",
        "$buildVersion": parts[3] if len(parts) > 3 else "",
        "$preReleaseVersion": version.rsplit("-", 1)[-1],
        "$matchHead": head.group(1) if head else version,
        "$matchTail": head.group(2) if head else "",
    }
    values.update(dict.fromkeys(_URL_VARS))
    return dict(sorted(values.items()))


def _url_variables(url: str) -> dict[str, str]:
    bare = url.partition("#")[0]
    base, _, name = bare.rpartition("/")
    return {
        "$url": bare,
        "$baseurl": base,
        "$basename": name,
        "$urlNoExt": bare.rsplit(".", 1)[0] if "." in name else bare,
        "$basenameNoExt": name.rsplit(".", 1)[0] if "." in name else name,
    }


def substitute(text: str, variables: Mapping[str, str | None], *, key_path: str) -> str:
    """Replace *variables* in *text*, longest names first; refuse any left unfilled."""
    for name in sorted(variables, key=len, reverse=True):
        value = variables[name]
        if value is not None:
            text = text.replace(name, value)
    left = [m for m in _VAR_RE.findall(text) if m not in {"$dir", "$original_dir", "$persist_dir"}]
    if left:
        raise ManifestRefused(
            "autoupdate variable unfilled",
            f"autoupdate leaves {', '.join(sorted(set(left)))} unfilled in {text!r}",
            key_path=key_path,
            hint="no historical manifest has this version; it cannot be generated safely",
        )
    return text


def _rewrite(value: object, variables: Mapping[str, str | None], path: str) -> object:
    if isinstance(value, str):
        return substitute(value, variables, key_path=path)
    if isinstance(value, list):
        return [
            _rewrite(v, variables, f"{path}[{i}]")
            for i, v in enumerate(cast("list[object]", value))
        ]
    if isinstance(value, dict):
        return {
            k: _rewrite(v, variables, f"{path}.{k}")
            for k, v in cast("dict[str, object]", value).items()
        }
    return value


def _update_block(
    block: dict[str, object],
    templates: Mapping[str, object],
    fallback: Mapping[str, object],
    variables: dict[str, str | None],
    path: str,
) -> None:
    """Rewrite the properties *block* already has from the templates (arch, then top level)."""
    for prop in _REWRITTEN:
        if prop not in block:
            continue
        template = templates.get(prop, fallback.get(prop))
        if template is None:
            continue
        where = f"autoupdate.{path}{prop}"
        if prop == "url":
            urls = [template] if isinstance(template, str) else cast("list[object]", template)
            out: list[str] = []
            for i, url in enumerate(urls):
                text = substitute(str(url), variables, key_path=f"{where}[{i}]")
                if not any(v in str(url) for v in variables if v not in _URL_VARS):
                    raise ManifestRefused(
                        "autoupdate without version",
                        f"autoupdate URL {url!r} has no version "
                        "variable: it would fetch the latest build under an old label",
                        key_path=where,
                    )
                out.append(text)
            variables.update(_url_variables(out[0]))
            block["url"] = out[0] if isinstance(template, str) else out
            block.pop("hash", None)
        else:
            block[prop] = _rewrite(template, variables, where)


def generate_manifest(raw: Mapping[str, object], version: str) -> dict[str, object]:
    """Return *raw* rewritten for *version* from its ``autoupdate`` templates, without hashes.

    :raises ManifestRefused: no autoupdate, a variable unfilled, a URL without a version.
    """
    auto = raw.get("autoupdate")
    if not isinstance(auto, dict):
        raise ManifestRefused(
            "no autoupdate",
            f"version {version!r} is not in the bucket's history and the "
            "manifest has no autoupdate to generate it from",
            key_path="autoupdate",
        )
    auto_map = cast("dict[str, object]", auto)
    out = copy.deepcopy(dict(raw))
    out["version"] = version
    variables = version_variables(version)
    _update_block(out, auto_map, {}, dict(variables), "")
    out.pop("hash", None)
    archs = cast("dict[str, dict[str, object]]", out.get("architecture") or {})
    auto_archs = cast("dict[str, dict[str, object]]", auto_map.get("architecture") or {})
    for arch, block in archs.items():
        _update_block(
            block, auto_archs.get(arch, {}), auto_map, dict(variables), f"architecture.{arch}."
        )
        block.pop("hash", None)
    return out
