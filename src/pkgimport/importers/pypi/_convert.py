"""Core metadata + the wheels chosen per target → a rez :class:`PackageDefinition`.

Pure: takes parsed metadata and facts about the chosen files, touches nothing.

Variants are decided from the *metadata*, not from which targets happen to be imported now, so
importing the same version later for another target adds a variant to the same layout instead
of reshaping the package (rez#1414, rez#1479, rez-pip#245):

* requirements are evaluated over a fixed grid of targets (Python 3.7-3.14 allowed by
  ``Requires-Python`` x every platform and architecture); those that hold everywhere are shared
  ``requires``, the rest go into variants keyed on the axes that explain the difference;
* a binary wheel adds ``platform``/``arch``, and ``python`` as the chosen file's tags admit:
  ``python-X.Y`` for ``cpXY-cpXY`` or ``cpXY-none``, ``python-3.N+`` for ``cp3N-abi3`` or
  ``py3N-none``, nothing for ``py3-none`` (``Requires-Python`` applies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement as PEP508InvalidRequirement
from packaging.requirements import Requirement
from packaging.utils import parse_wheel_filename

from pkgimport.definition import Action, PackageDefinition, escape_rex
from pkgimport.errors import InvalidRequirement
from pkgimport.importers.pypi._errors import with_hint
from pkgimport.importers.pypi._names import FamilyNames, family_name
from pkgimport.importers.pypi._target import ARCHES, TargetPlatform
from pkgimport.importers.pypi._versions import convert_specifier, convert_version

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from packaging.metadata import Metadata

__all__ = [
    "GRID_PYTHONS",
    "ChosenFile",
    "convert_requirement",
    "make_definition",
    "requirements_for",
    "rez_requirement",
]

GRID_PYTHONS = tuple((3, minor) for minor in range(7, 15))
"""Python versions over which markers are compared to find the variant axes."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChosenFile:
    """The distribution file picked for one target, with its provenance."""

    target: TargetPlatform
    filename: str
    """Wheel file name (a wheel built here from an sdist keeps the sdist's URL)."""
    url: str
    sha256: str | None = None
    upload_time: int | None = None
    """Upload time on the index, epoch seconds."""
    built_from: str | None = None
    """The sdist the wheel was built from on this machine (``filename`` is the built wheel)."""
    extra_requires: tuple[str, ...] = field(default=())
    """rez requirements added by extras of dependencies (``foo[bar]`` → bar's requirements)."""
    requires_dist: tuple[str, ...] | None = None
    """This file's own ``Requires-Dist``, when it differs from the metadata given to
    :func:`make_definition` (wheels of one version for different platforms may disagree)."""


def rez_requirement(family: str, range_: str) -> str:
    """Join a family and a rez range the way rez prints requirements.

    >>> rez_requirement("six", "1.16+"), rez_requirement("six", "<2"), rez_requirement("six", "")
    ('six-1.16+', 'six<2', 'six')
    """
    if not range_:
        return family
    return f"{family}{range_}" if range_[0] in "<>=" else f"{family}-{range_}"


def convert_requirement(requirement: Requirement, names: FamilyNames | None = None) -> str:
    """Return the rez requirement for a PEP 508 requirement (its marker is ignored here).

    *names* spells the family (:class:`FamilyNames`: the repositories' spellings first).

    >>> convert_requirement(Requirement("Typing-Extensions>=4.6"))
    'typing_extensions-4.6+'
    """
    if requirement.url:
        raise with_hint(
            InvalidRequirement(
                f"requirement {str(requirement)!r} points at a URL; rez requirements name "
                "versions only"
            ),
            "import that distribution first, then depend on its version",
        )
    try:
        range_ = convert_specifier(requirement.specifier)
    except InvalidRequirement as exc:
        raise with_hint(
            InvalidRequirement(f"requirement {str(requirement)!r}: {exc}"), exc.hint or ""
        ) from None
    return rez_requirement(family_name(requirement.name, names), range_)


def parse_requirements(lines: Iterable[str], context: str) -> list[Requirement]:
    """Parse ``Requires-Dist`` lines; *context* names the file in errors."""
    out = []
    for line in lines:
        try:
            out.append(Requirement(line))
        except PEP508InvalidRequirement:  # noqa: PERF203 - the error names the line
            raise InvalidRequirement(
                f"{context}: invalid requirement {line!r} in Requires-Dist"
            ) from None
    return out


def requires_dist(metadata: Metadata) -> list[Requirement]:
    """Return the ``Requires-Dist`` of *metadata* as requirement objects.

    Lenient parsing (:func:`._wheel.parse_metadata`) may leave them as strings.
    """
    raw: list[object] = list(metadata.requires_dist or ())
    return [r if isinstance(r, Requirement) else Requirement(str(r)) for r in raw]


def requirements_for(
    requirements: Sequence[Requirement], target: TargetPlatform, extras: Iterable[str] = ()
) -> list[Requirement]:
    """Return the requirements that apply on *target* with *extras*, markers evaluated there."""
    wanted = ["", *sorted(extras)]
    out = []
    for req in requirements:
        if req.marker is None:
            out.append(req)
            continue
        text = _marker_text(req.marker)
        if any(_marker_holds(text, target, extra) for extra in wanted):
            out.append(req)
    return out


_MARKER_TEXT: dict[int, tuple[Marker, str]] = {}
"""``str()`` of markers seen, by ``id``; the marker is kept so its id is never reused."""


def _marker_text(marker: Marker) -> str:
    # str(marker) re-formats the marker tree on every call (and Marker has __slots__).
    entry = _MARKER_TEXT.get(id(marker))
    if entry is None:
        entry = _MARKER_TEXT[id(marker)] = (marker, str(marker))
    return entry[1]


_MARKER_VARIABLES = (
    "python_version",
    "python_full_version",
    "implementation_version",
    "implementation_name",
    "platform_python_implementation",
    "platform_system",
    "platform_machine",
    "platform_release",
    "platform_version",
    "sys_platform",
    "os_name",
)
_MARKER_RESULTS: dict[tuple[str, tuple[str, ...], str], bool] = {}


def _marker_holds(marker: str, target: TargetPlatform, extra: str) -> bool:
    # The same few markers are evaluated for ~50 grid targets per version, per package, and
    # packaging's evaluation (version parsing, normalisation) dominated make_definition. A
    # marker's value depends only on the variables it names: results are kept by those.
    names = _marker_names(marker)
    env = target.marker_environment()
    key = (marker, tuple(env[n] for n in names), extra if "extra" in marker else "")
    held = _MARKER_RESULTS.get(key)
    if held is None:
        held = _MARKER_RESULTS[key] = _parse_marker(marker).evaluate({**env, "extra": extra})
    return held


@lru_cache(maxsize=4096)
def _marker_names(marker: str) -> tuple[str, ...]:
    # A name inside a quoted value only makes the key finer, never wrong.
    return tuple(n for n in _MARKER_VARIABLES if n in marker)


@lru_cache(maxsize=4096)
def _parse_marker(text: str) -> Marker:
    return Marker(text)


def _grid(requires_python: str | None) -> list[TargetPlatform]:
    from packaging.specifiers import SpecifierSet  # noqa: PLC0415 - only needed here

    spec = SpecifierSet(requires_python or "")
    pythons = [p for p in GRID_PYTHONS if spec.contains(f"{p[0]}.{p[1]}.0")] or list(GRID_PYTHONS)
    return [
        TargetPlatform(python=py, platform=plat, arch=arch)
        for py in pythons
        for plat in ("linux", "osx", "windows")
        for arch in ARCHES[plat]
    ]


@dataclass(frozen=True, slots=True)
class _Axes:
    platform: bool
    arch: bool
    python: bool

    def union(self, other: _Axes) -> _Axes:
        """Return the axes on which either of the two explains a difference."""
        return _Axes(
            platform=self.platform or other.platform,
            arch=self.arch or other.arch,
            python=self.python or other.python,
        )


def _file_axes(effective: Mapping[TargetPlatform, frozenset[str]]) -> _Axes:
    """Axes explaining differences between the targets' own files' requirements."""
    platform = arch = python = False
    targets = list(effective)
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            if effective[a] == effective[b]:
                continue
            if a.platform != b.platform:
                platform = True
            elif a.arch != b.arch:
                arch = True
            else:
                python = True
    return _Axes(platform=platform, arch=arch, python=python)


def _axes(grid: Sequence[TargetPlatform], sets: Mapping[TargetPlatform, frozenset[str]]) -> _Axes:
    def differs(key: str) -> bool:
        groups: dict[tuple[object, ...], set[frozenset[str]]] = {}
        for t in grid:
            rest = {
                "python": (t.platform, t.arch),
                "platform": (t.python,),
                "arch": (t.python, t.platform),
            }
            groups.setdefault(rest[key], set()).add(sets[t])
        return any(len(v) > 1 for v in groups.values())

    return _Axes(platform=differs("platform"), arch=differs("arch"), python=differs("python"))


def _requirement_sets(
    reqs: Sequence[Requirement], grid: Sequence[TargetPlatform], names: FamilyNames | None
) -> dict[TargetPlatform, frozenset[str]]:
    """Return the converted requirements that apply on each target of *grid*.

    Targets that agree on every variable the markers name get the same set, computed once:
    most packages have no environment marker at all, and the grid has ~50 targets.
    """
    variables = sorted(
        {n for r in reqs if r.marker is not None for n in _marker_names(_marker_text(r.marker))}
    )
    by_key: dict[tuple[str, ...], frozenset[str]] = {}
    out = {}
    for target in grid:
        env = target.marker_environment()
        key = tuple(env[n] for n in variables)
        found = by_key.get(key)
        if found is None:
            found = by_key[key] = _requirement_set(reqs, target, names)
        out[target] = found
    return out


def _requirement_set(
    reqs: Sequence[Requirement], target: TargetPlatform, names: FamilyNames | None
) -> frozenset[str]:
    return frozenset(_convert_cached(str(r), names) for r in requirements_for(reqs, target))


@lru_cache(maxsize=4096)
def _convert_cached(text: str, names: FamilyNames | None) -> str:
    # Markers are evaluated over ~50 grid targets per version; convert each line once.
    return convert_requirement(Requirement(text), names)


def make_definition(
    metadata: Metadata, chosen: Sequence[ChosenFile], names: FamilyNames | None = None
) -> tuple[PackageDefinition, dict[TargetPlatform, int]]:
    """Return the definition for one version and, per target, the index of its variant.

    ``chosen`` holds one file per target being imported (several targets may share a file).
    A package without variants maps every target to ``0``. *names* spells the family and
    the requirements (:class:`FamilyNames`; default: pkgimport's own rule).

    :raises InvalidRequirement: a requirement cannot be expressed in rez.
    """
    context = chosen[0].filename if chosen else str(metadata.name)
    raw: list[object] = list(metadata.requires_dist or ())
    reqs = [
        r if isinstance(r, Requirement) else parse_requirements([str(r)], context)[0] for r in raw
    ]
    # Each target evaluates the Requires-Dist of its own file (wheels may disagree).
    reqs_of: dict[TargetPlatform, list[Requirement]] = {
        c.target: reqs
        if c.requires_dist is None
        else parse_requirements(c.requires_dist, c.filename)
        for c in chosen
    }
    requires_python = str(metadata.requires_python) if metadata.requires_python else None
    # 1. Which axes explain differences between requirement sets, over the fixed grid.
    grid = _grid(requires_python)
    sets = _requirement_sets(reqs, grid, names)
    other_sets = [
        _requirement_sets(r, grid, names)
        for r in {tuple(map(str, r)): r for r in reqs_of.values() if r is not reqs}.values()
    ]
    # Shared is what every file requires everywhere; the rest goes into the variants.
    every = [s for g in (sets, *other_sets) for s in g.values()]
    shared = frozenset.intersection(*every) if every else frozenset()
    axes = _axes(grid, sets)
    for more in other_sets:
        axes = axes.union(_axes(grid, more))
    effective = {t: _requirement_set(r, t, names) for t, r in reqs_of.items()}
    axes = axes.union(_file_axes(effective))
    binary = any(_is_binary(c.filename) for c in chosen)
    # 2. Shared requirements: what holds everywhere, plus python when it is no variant axis.
    python_axis = axes.python or any(_python_tag(c) for c in chosen)
    shared_requires = sorted(shared)
    if not python_axis:
        range_ = convert_specifier(requires_python) if requires_python else ""
        shared_requires.append(rez_requirement("python", range_))
    # 3. One variant per distinct (axes, extra requirements), sorted. A pure wheel whose
    # requirements differ by python gets a variant per python range (docs/pypi-variants.md).
    variant_of: dict[TargetPlatform, tuple[str, ...]] = {}
    ranged: set[tuple[str, ...]] = set()
    pure_ranges = (
        axes.python
        and not binary
        and not other_sets
        and not any(_python_tag(c) or c.extra_requires for c in chosen)
    )
    found = (
        _ranged_variants(chosen, grid, sets, shared, effective, axes, requires_python)
        if pure_ranges
        else None
    )
    if found is not None:
        variant_of, ranged = found
    elif binary or axes.platform or axes.arch or python_axis:
        for c in chosen:
            t = c.target
            head: list[str] = []
            if binary or axes.platform or axes.arch:
                head.append(f"platform-{t.platform}")
            if binary or axes.arch:
                head.append(f"arch-{t.arch}")
            if python_axis:
                head.append(_python_tag(c) or f"python-{t.python_version}")
            own = effective[t] - shared
            variant_of[t] = (*head, *sorted(own | set(c.extra_requires)))
    else:
        # No axis: every target has the same requirements (what its files add to shared too).
        extra = {r for c in chosen for r in c.extra_requires}
        extra.update(r for c in chosen for r in effective[c.target] - shared)
        shared_requires.extend(sorted(extra - set(shared_requires)))
    variants = tuple(sorted(set(variant_of.values()) | ranged))
    index = (
        {t: variants.index(v) for t, v in variant_of.items()}
        if variants
        else {c.target: 0 for c in chosen}
    )
    definition = PackageDefinition(
        name=family_name(str(metadata.name), names),
        version=convert_version(metadata.version),
        description=_one_line(metadata.summary),
        authors=_authors(metadata),
        requires=tuple(shared_requires),
        variants=variants,
        help=_help(metadata),
        timestamp=max((c.upload_time for c in chosen if c.upload_time), default=None),
        hashed_variants=any(_needs_hashed_variants(g, shared) for g in (sets, *other_sets))
        or any(_UNSAFE_FOLDER_CHARS.intersection(r) for v in variants for r in v),
        metadata={"pypi": _provenance(metadata, chosen, variants, variant_of)},
    )
    return definition, index


def _ranged_variants(  # noqa: PLR0917 - the facts make_definition computed, passed on
    chosen: Sequence[ChosenFile],
    grid: Sequence[TargetPlatform],
    sets: Mapping[TargetPlatform, frozenset[str]],
    shared: frozenset[str],
    effective: Mapping[TargetPlatform, frozenset[str]],
    axes: _Axes,
    requires_python: str | None,
) -> tuple[dict[TargetPlatform, tuple[str, ...]], set[tuple[str, ...]]] | None:
    """Return each target's variant and every variant of its platform, one per python range.

    A pure wheel serves every Python its ``Requires-Python`` admits, so its variants cover
    that whole range, split where the markers' requirements change (``[python-3.12+]``,
    ``[python-3.9+<3.12, typing_extensions-4.4+]``). ``None``: a target's own requirements
    are not those of its range (a Python outside the grid that a marker singles out), and the
    caller keeps one variant per target Python.
    """
    variant_of: dict[TargetPlatform, tuple[str, ...]] = {}
    every: set[tuple[str, ...]] = set()
    for c in chosen:
        t = c.target
        head = [f"platform-{t.platform}"] if axes.platform or axes.arch else []
        if axes.arch:
            head.append(f"arch-{t.arch}")
        row = [g for g in grid if g.platform == t.platform and (g.arch == t.arch or not axes.arch)]
        runs = _python_runs(row, sets, shared, requires_python)
        if not runs:
            return None
        for i, (python, own, minors) in enumerate(runs):
            variant = (*head, python, *sorted(own))
            every.add(variant)
            minor = t.python[1]
            if (
                minor in minors
                or (i == 0 and minor < min(minors))
                or (i == len(runs) - 1 and minor > max(minors))
            ):
                if own != effective[t] - shared:
                    return None
                variant_of[t] = variant
        if t not in variant_of:
            return None
    return variant_of, every


def _python_runs(
    row: Sequence[TargetPlatform],
    sets: Mapping[TargetPlatform, frozenset[str]],
    shared: frozenset[str],
    requires_python: str | None,
) -> list[tuple[str, frozenset[str], frozenset[int]]]:
    """Split the grid Pythons of one platform into runs of equal requirements.

    Each run becomes ``(python requirement, its own requirements, its minors)``: the first run
    is open below and the last open above (then cut to ``Requires-Python``), so the ranges
    tile every Python the package admits, newer ones included.
    """
    from pkgimport.resolver.versions import VersionRange  # noqa: PLC0415 - only needed here

    own_of: dict[int, frozenset[str]] = {}
    for t in row:
        own_of.setdefault(t.python[1], sets[t] - shared)
    runs: list[list[int]] = []
    for minor in sorted(own_of):
        if runs and own_of[runs[-1][-1]] == own_of[minor]:
            runs[-1].append(minor)
        else:
            runs.append([minor])
    allowed = VersionRange(convert_specifier(requires_python) if requires_python else "")
    out = []
    for i, run in enumerate(runs):
        lower = f"3.{run[0]}+" if i else ""
        upper = f"<3.{run[-1] + 1}" if i < len(runs) - 1 else ""
        range_ = VersionRange(lower + upper) & allowed
        if range_ is None:
            continue
        out.append((rez_requirement("python", str(range_)), own_of[run[0]], frozenset(run)))
    return out


# Characters Windows refuses in folder names; rez names a variant's folders after its
# requirements, so a repository shared with Windows needs hashed folders for these.
_UNSAFE_FOLDER_CHARS = frozenset('<>:"|?*')


def _needs_hashed_variants(
    sets: Mapping[TargetPlatform, frozenset[str]], shared: frozenset[str]
) -> bool:
    """Tell whether any target's variant could hold a requirement unfit for a folder name.

    Decided over the whole grid, not the targets imported now, so every later import of the
    same version agrees (rez refuses to mix hashed and plain variants in one package).
    """
    return any(
        char in requirement
        for requirements in sets.values()
        for requirement in requirements - shared
        for char in requirement
        if char in _UNSAFE_FOLDER_CHARS
    )


def with_scripts(
    definition: PackageDefinition, tools: Sequence[str], dll_dirs: Sequence[str] = ()
) -> PackageDefinition:
    """Add ``commands()`` and ``tools``.

    PYTHONPATH gets ``{root}/python``; PATH gets ``{root}/bin`` when there are *tools*, and
    every folder of *dll_dirs* (relative to the variant root), so Windows finds the DLLs a
    wheel ships next to its modules (rez#1221; a folder that is absent is harmless on PATH).
    """
    commands = [Action.append("PYTHONPATH", "{root}/python")]
    on_path = ["bin"] if tools else []
    on_path.extend(d for d in sorted(set(dll_dirs)) if d not in on_path)
    commands.extend(
        Action.append("PATH", "{root}" if d == "." else f"{{root}}/{escape_rex(d)}")
        for d in on_path
    )
    return definition.evolve(tools=tuple(sorted(set(tools))), commands=tuple(commands))


def _is_binary(filename: str) -> bool:
    if not filename.endswith(".whl"):
        return True  # built here from an sdist: assume compiled code
    _, _, _, tag_set = parse_wheel_filename(filename)
    return any(t.platform != "any" or t.abi != "none" for t in tag_set)


def _python_tag(chosen: ChosenFile) -> str | None:
    """Return the ``python`` entry of the variant of *chosen*, from its best fitting tag.

    ``python-X.Y`` when that tag fits one CPython version (``cp311-cp311``, ``cp311-none``:
    not abi3, issue 12), ``python-X.Y+`` when it fits every version from ``X.Y`` up
    (``cp37-abi3``, ``py311-none``), ``None`` when it fits any Python 3 (``py3-none``: the
    ``Requires-Python`` range applies, as for any pure wheel).
    """
    if not chosen.filename.endswith(".whl"):
        return f"python-{chosen.target.python_version}"
    _, _, _, tag_set = parse_wheel_filename(chosen.filename)
    target = chosen.target
    best = min(tag_set, key=lambda t: target.tag_priority(t) or 1 << 30)
    minors = _python_minors(best.interpreter, best.abi)
    if minors == frozenset(_MINORS):
        return None
    lowest = min(minors, default=target.python[1])
    if minors == frozenset(range(lowest, _MINORS.stop)):
        return f"python-3.{lowest}+"
    return f"python-{target.python_version}"


_MINORS = range(100)
"""Python 3 minor versions tried against a tag: far enough to tell open-ended ranges."""


@lru_cache(maxsize=1024)
def _python_minors(interpreter: str, abi: str) -> frozenset[int]:
    """Return the Python 3 minor versions that accept *interpreter* and *abi* as tags.

    The tags are ``packaging.tags``', generated the way :meth:`TargetPlatform.tags` does.

    The platform is fixed (``any``): it decides whether a wheel fits a target, never which
    Pythons it fits. Cached: a handful of distinct (interpreter, abi) pairs per import.
    """
    from packaging import tags  # noqa: PLC0415 - only needed here

    wanted = tags.Tag(interpreter, abi, "any")
    return frozenset(
        minor
        for minor in _MINORS
        if wanted in tags.cpython_tags((3, minor), None, ["any"])
        or wanted in tags.compatible_tags((3, minor), f"cp3{minor}", ["any"])
    )


def _one_line(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.split())


def _authors(metadata: Metadata) -> tuple[str, ...]:
    out: list[str] = []
    for field_ in (metadata.author, metadata.maintainer):
        if field_:
            out.extend(a.strip() for a in field_.split(",") if a.strip())
    for field_ in (metadata.author_email, metadata.maintainer_email):
        if field_ and not out:
            out.extend(a.split("<")[0].strip().strip('"') or a.strip() for a in field_.split(","))
    return tuple(dict.fromkeys(a for a in out if a))


def _help(metadata: Metadata) -> tuple[tuple[str, str], ...] | str | None:
    links = [(label, url) for label, url in (metadata.project_urls or {}).items() if url]
    if metadata.home_page and all(url != metadata.home_page for _, url in links):
        links.insert(0, ("Home Page", metadata.home_page))
    if not links:
        return None
    return tuple(links)


def _provenance(
    metadata: Metadata,
    chosen: Sequence[ChosenFile],
    variants: Sequence[tuple[str, ...]],
    variant_of: Mapping[TargetPlatform, tuple[str, ...]],
) -> dict[str, object]:
    files: list[dict[str, object]] = []
    for c in chosen:
        entry: dict[str, object] = {
            "target": str(c.target),
            "file": c.filename,
            "url": c.url,
            "sha256": c.sha256,
        }
        if c.built_from:
            entry["built_from"] = c.built_from
        if variants:
            entry["variant"] = list(variant_of[c.target])
        files.append(entry)
    license_ = metadata.license_expression or metadata.license
    out: dict[str, object] = {
        "project": str(metadata.name),
        "version": str(metadata.version),
        "files": sorted(files, key=lambda f: (str(f["file"]), str(f["target"]))),
    }
    if license_:
        out["license"] = _one_line(str(license_))
    if metadata.requires_python:
        out["requires_python"] = str(metadata.requires_python)
    return out
