"""The neutral package definition: what importers produce and the repository writes.

A :class:`PackageDefinition` is an immutable value with rez's package attributes. Importers
(PyPI, Scoop, bind) build one from data they read; the package.py writer renders it; the
package.py reader builds one from a native file. Nothing here touches the filesystem.

Commands are *structured* (:class:`Action`): the writer generates ``commands()`` from them, so no
text read from a wheel or a manifest ever becomes code. Only definitions read back from a native
package.py carry function source (``functions``), and those came from the repository itself.

>>> d = PackageDefinition(name="foo", version="1.0", requires=("python-3.11",),
...     commands=(Action.prepend("PATH", "{root}/bin"),))
>>> d.qualified_name
'foo-1.0'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias

from pkgimport.errors import InvalidPackageDefinition

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = [
    "Action",
    "ActionKind",
    "Condition",
    "ConditionKind",
    "HelpLinks",
    "ImportedPackage",
    "JSONValue",
    "PackageDefinition",
    "escape_rex",
    "is_valid_package_name",
]

JSONValue: TypeAlias = (
    "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | tuple[JSONValue, ...]"
    " | None"
)
HelpLinks: TypeAlias = "tuple[tuple[str, str], ...]"

ActionKind = Literal["setenv", "appendenv", "prependenv", "unsetenv", "alias", "info"]
ConditionKind = Literal["variant", "defined", "undefined"]

# rez's PackageRequest name rule (dotted words, no '-'), written without rez's nested
# quantifier, which backtracks exponentially on long invalid names.
_NAME_RE = re.compile(r"[a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)*\Z")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ALIAS_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\-]*\Z")


def is_valid_package_name(name: str) -> bool:
    """Tell whether *name* is a valid rez package family name.

    >>> is_valid_package_name("zope.interface"), is_valid_package_name("my-package")
    (True, False)
    """
    return bool(_NAME_RE.match(name)) and name != "__pycache__"


def escape_rex(text: str) -> str:
    """Escape *text* so rez's ``{...}`` expansion leaves it as it is.

    Use it on every piece of outside data placed in an :class:`Action` value next to the
    ``{root}``-style placeholders pkgimport itself writes.

    >>> escape_rex("C:{x}")
    'C:{{x}}'
    """
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """When a step of ``commands()`` runs: a test rez evaluates as the environment is built.

    * ``variant``: the variant being set up requires ``value`` exactly (``"arch-AMD64"``),
      rendered ``'arch-AMD64' in map(str, this.variant_requires)``: tested on the variant's
      own requirements, so it stays right when rez merges variants into an installed package;
    * ``defined`` / ``undefined``: the environment variable ``value`` is (not) set, by the
      parent environment or by an earlier step (rex's ``defined()`` / ``undefined()``).

    >>> Condition.variant("arch-x86"), Condition.undefined("APP_HOME").value
    (Condition(kind='variant', value='arch-x86'), 'APP_HOME')
    """

    kind: ConditionKind
    """What is tested."""
    value: str
    """The requirement (``variant``) or environment variable name tested."""

    def __post_init__(self) -> None:
        if self.kind in {"defined", "undefined"} and not _ENV_NAME_RE.match(self.value):
            raise InvalidPackageDefinition(
                f"invalid environment variable name {self.value!r} in a {self.kind} condition"
            )
        if self.kind == "variant" and not self.value:
            raise InvalidPackageDefinition("a variant condition needs a requirement")

    @classmethod
    def variant(cls, requirement: str) -> Condition:
        """Return the test: the variant requires *requirement* (compared as rez writes it)."""
        return cls(kind="variant", value=requirement)

    @classmethod
    def defined(cls, name: str) -> Condition:
        """Return the test: the environment variable *name* is set."""
        return cls(kind="defined", value=name)

    @classmethod
    def undefined(cls, name: str) -> Condition:
        """Return the test: the environment variable *name* is not set."""
        return cls(kind="undefined", value=name)

    def holds(self, *, variant_requires: Sequence[str], is_defined: Callable[[str], bool]) -> bool:
        """Evaluate the condition (what pkgimport's own environment builder does).

        :param variant_requires: the variant's own requirements, as written.
        :param is_defined: tells whether an environment variable is set now.
        """
        if self.kind == "variant":
            return self.value in variant_requires
        return is_defined(self.value) == (self.kind == "defined")


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """One step of a package's ``commands()``, in rez's rex vocabulary.

    ``value`` may use rez's expansions (``{root}``, ``{base}``, ``{version}``, ``{this.name}``);
    outside data inside it must be escaped with :func:`escape_rex`. With ``literal=True`` the
    value is passed through rez's ``literal()``: no ``{}`` nor ``$VAR`` expansion at all.
    """

    kind: ActionKind
    """What rex function the step calls."""
    key: str = ""
    """Environment variable name (env kinds) or alias name; empty for ``info``."""
    value: str = ""
    """Value, alias command, or info message."""
    literal: bool = False
    """Wrap ``value`` in ``literal()`` so rez expands nothing in it."""
    when: tuple[Condition, ...] = ()
    """Conditions that must all hold for the step to run (none: it always runs)."""

    def __post_init__(self) -> None:
        if self.kind in {"setenv", "appendenv", "prependenv", "unsetenv"}:
            if not _ENV_NAME_RE.match(self.key):
                raise InvalidPackageDefinition(
                    f"invalid environment variable name {self.key!r} in a {self.kind} action"
                )
        elif self.kind == "alias" and not _ALIAS_RE.match(self.key):
            raise InvalidPackageDefinition(f"invalid alias name {self.key!r}")

    @classmethod
    def set(
        cls, name: str, value: str, *, literal: bool = False, when: tuple[Condition, ...] = ()
    ) -> Action:
        """``env.NAME = value``."""
        return cls(kind="setenv", key=name, value=value, literal=literal, when=when)

    @classmethod
    def append(
        cls, name: str, value: str, *, literal: bool = False, when: tuple[Condition, ...] = ()
    ) -> Action:
        """``env.NAME.append(value)``."""
        return cls(kind="appendenv", key=name, value=value, literal=literal, when=when)

    @classmethod
    def prepend(
        cls, name: str, value: str, *, literal: bool = False, when: tuple[Condition, ...] = ()
    ) -> Action:
        """``env.NAME.prepend(value)``."""
        return cls(kind="prependenv", key=name, value=value, literal=literal, when=when)

    @classmethod
    def unset(cls, name: str) -> Action:
        """``env.NAME.unset()``."""
        return cls(kind="unsetenv", key=name)

    @classmethod
    def alias(cls, name: str, command: str, *, literal: bool = False) -> Action:
        """``alias(name, command)``."""
        return cls(kind="alias", key=name, value=command, literal=literal)

    @classmethod
    def info(cls, message: str) -> Action:
        """``info(message)``: printed when the environment is entered."""
        return cls(kind="info", value=message, literal=True)

    def with_conditions(self, *conditions: Condition) -> Action:
        """Return this step with *conditions* added before its own."""
        return replace(self, when=(*conditions, *self.when))

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready form (see :meth:`from_dict`); ``when`` only when set."""
        data: dict[str, object] = {
            "kind": self.kind,
            "key": self.key,
            "value": self.value,
            "literal": self.literal,
        }
        if self.when:
            data["when"] = [{"kind": c.kind, "value": c.value} for c in self.when]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Action:
        """Build an action from :meth:`to_dict` output."""
        kind = data.get("kind")
        if kind not in {"setenv", "appendenv", "prependenv", "unsetenv", "alias", "info"}:
            raise InvalidPackageDefinition(f"unknown action kind {kind!r}")
        when: list[Condition] = []
        raw_when = data.get("when") or []
        for item in raw_when if isinstance(raw_when, list) else [raw_when]:
            cond = item if isinstance(item, dict) else {}
            cond_kind = cond.get("kind")
            if cond_kind not in {"variant", "defined", "undefined"}:
                raise InvalidPackageDefinition(f"unknown condition kind {cond_kind!r}")
            when.append(Condition(kind=cond_kind, value=str(cond.get("value", ""))))
        return cls(
            kind=kind,
            key=str(data.get("key", "")),
            value=str(data.get("value", "")),
            literal=bool(data.get("literal", False)),
            when=tuple(when),
        )


def _frozen_mapping(data: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageDefinition:
    """One rez package (one family at one version), with all its variants.

    Requirement strings are kept as rez writes them (``"python-3.11"``, ``"~platform==linux"``);
    the repository and resolver parse them. ``variants == ()`` means a package without variants.
    """

    name: str
    """Family name; must be a valid rez package name (no ``-``)."""
    version: str = ""
    """rez version string; empty for an unversioned package."""
    description: str | None = None
    """One paragraph of text."""
    authors: tuple[str, ...] = ()
    """People or organisations."""
    requires: tuple[str, ...] = ()
    """Requirements shared by every variant."""
    variants: tuple[tuple[str, ...], ...] = ()
    """Each variant's own extra requirements; variant ``i`` needs ``requires + variants[i]``."""
    tools: tuple[str, ...] = ()
    """Executables the package puts on PATH."""
    help: str | HelpLinks | None = None
    """A URL, or ``((label, url), ...)`` pairs."""
    commands: tuple[Action, ...] = ()
    """Structured ``commands()`` steps, in order."""
    timestamp: int | None = None
    """Release time (epoch seconds): used by ``--time`` and timestamp orderers."""
    hashed_variants: bool = False
    """Store variant payloads under sha1 folders (needed when a requirement is no safe path)."""
    metadata: Mapping[str, object] = field(default_factory=dict)
    """Provenance, namespaced by importer (``{"pypi": {...}}``, ``{"scoop": {...}}``); JSON."""
    functions: Mapping[str, str] = field(default_factory=dict)
    """Source of functions (``commands``, ``@late`` attributes) kept from a *native* package.py.

    Importers never set this: it exists so a native package read from the repository can be
    written back (when a variant is merged into it) without losing code it already had.
    """
    extra: Mapping[str, object] = field(default_factory=dict)
    """Other attributes of a native package file, kept verbatim (literal values only)."""

    def __post_init__(self) -> None:
        if not is_valid_package_name(self.name):
            raise InvalidPackageDefinition(
                f"invalid package name {self.name!r}: rez names are letters, digits, '_' and "
                "single dots; '-' separates the name from the version"
            )
        if self.commands and "commands" in self.functions:
            raise InvalidPackageDefinition(
                f"package {self.name!r} has both structured commands and commands() source"
            )
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))
        object.__setattr__(self, "functions", _frozen_mapping(self.functions))
        object.__setattr__(self, "extra", _frozen_mapping(self.extra))

    @property
    def qualified_name(self) -> str:
        """``name-version``, or just ``name`` when unversioned."""
        return f"{self.name}-{self.version}" if self.version else self.name

    def variant_requires(self, index: int | None) -> tuple[str, ...]:
        """Return ``requires + variants[index]`` (``requires`` alone for ``None``)."""
        if index is None:
            return self.requires
        return self.requires + self.variants[index]

    def evolve(self, **changes: object) -> PackageDefinition:
        """Return a copy with *changes* applied (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportedPackage:
    """A definition plus the payload folders of the variants being installed.

    ``payloads`` maps an index into ``definition.variants`` (``0`` for a package without
    variants) to a folder whose contents become that variant's root. Variants without an
    entry are written as definitions only.
    """

    definition: PackageDefinition
    payloads: Mapping[int, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "payloads", MappingProxyType(dict(self.payloads)))
