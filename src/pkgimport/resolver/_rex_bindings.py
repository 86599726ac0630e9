"""Objects rex code sees besides the rex functions: ``this``, ``version``, ``resolve``, ``request``.

They mirror ``rez.rex_bindings``: small read-only views that hide pkgimport's own types from
package code (``this.name``, ``version.major``, ``"python" in resolve``,
``resolve.python.root``, ``request.get_range("maya")``, ``intersects(resolve.maya, "2019+")``).

>>> VersionBinding("1.2.3alpha").patch
'3alpha'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pkgimport.resolver.requirements import Requirement
from pkgimport.resolver.versions import VersionRange

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = [
    "EphemeralsBinding",
    "RequirementsBinding",
    "VariantBinding",
    "VariantsBinding",
    "VersionBinding",
    "intersects",
]

_TOKEN_RE = re.compile(r"[a-zA-Z0-9_]+")


def _convert_token(token: str) -> str | int:
    # rez shows "3" as 3 but keeps "03" (and "3a") as text.
    return int(token) if token.isdigit() and (token[0] != "0" or token == "0") else token  # noqa: S105


class VersionBinding:
    """``version`` and ``this.version``: tokens as ints where they are plain numbers.

    >>> v = VersionBinding("1.2.3alpha")
    >>> v.major, v.patch, v[5], len(v), str(v)
    (1, '3alpha', None, 3, '1.2.3alpha')
    """

    def __init__(self, version: str) -> None:
        self._version = version
        self._tokens = tuple(_TOKEN_RE.findall(version))

    @property
    def major(self) -> str | int | None:
        """First token (an int when it is a plain number), or None."""
        value: str | int | None = self[0]
        return value

    @property
    def minor(self) -> str | int | None:
        """Second token, or None."""
        value: str | int | None = self[1]
        return value

    @property
    def patch(self) -> str | int | None:
        """Third token, or None."""
        value: str | int | None = self[2]
        return value

    def as_tuple(self) -> tuple[str | int, ...]:
        return tuple(_convert_token(t) for t in self._tokens)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return tuple(_convert_token(t) for t in self._tokens[index])
        try:
            return _convert_token(self._tokens[index])
        except IndexError:
            return None

    def __len__(self) -> int:
        return len(self._tokens)

    def __iter__(self) -> Iterator[str]:
        return iter(self._tokens)

    def __str__(self) -> str:
        return self._version

    def __getattr__(self, attr: str) -> Any:
        raise AttributeError(f"version {self._version} has no attribute {attr!r}")


class VariantBinding:
    """``this`` and ``resolve.<name>``: a resolved variant's attributes.

    :param attributes: package attributes (``requires``, ``tools``, ...) reachable as
        ``this.<attr>``.
    """

    def __init__(
        self,
        *,
        name: str,
        version: str,
        root: str,
        base: str,
        index: int | None,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        self._data: dict[str, Any] = dict(attributes or {})
        self._data.update(
            name=name,
            version=VersionBinding(version),
            root=root,
            base=base,
            index=index,
            is_package=False,
            is_variant=True,
            qualified_package_name=f"{name}-{version}" if version else name,
            qualified_name=(f"{name}-{version}" if version else name)
            + ("" if index is None else f"[{index}]"),
        )

    def __getattr__(self, attr: str) -> Any:
        data = self.__dict__.get("_data", {})
        if attr in data:
            return data[attr]
        raise AttributeError(f"package {self} has no attribute {attr!r}")

    def __str__(self) -> str:
        return str(self.__dict__["_data"]["qualified_package_name"])


class _MappingBinding:
    _what = "item"

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def get(self, name: str, default: Any = None) -> Any:
        return self._data.get(name, default)

    def __getattr__(self, attr: str) -> Any:
        data = self.__dict__.get("_data", {})
        if attr in data:
            return data[attr]
        raise AttributeError(f"{self._what} does not exist: {attr!r}")

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __str__(self) -> str:
        return str(self._data.values())


class VariantsBinding(_MappingBinding):
    """``resolve``: ``"python" in resolve``, ``resolve.python.version``."""

    _what = "package"


class RequirementsBinding(_MappingBinding):
    """``request`` and ``implicits``: requirement strings by family name."""

    _what = "request"

    def __init__(self, requirements: Sequence[str]) -> None:
        super().__init__({Requirement(r).name: r for r in requirements})

    def get_range(self, name: str, default: str | None = None) -> Any:
        """Return the requested range of *name*, else ``VersionRange(default)``, else None."""
        text = self._data.get(name)
        if text:
            return Requirement(text).range
        return None if default is None else VersionRange(default)


class EphemeralsBinding(RequirementsBinding):
    """``ephemerals``: resolved ephemerals by name, without their leading ``.``."""

    _what = "ephemeral"

    def __init__(self, ephemerals: Sequence[str]) -> None:
        _MappingBinding.__init__(self, {Requirement(e).name[1:]: e for e in ephemerals})


def intersects(obj: object, range_: str) -> bool:
    """Tell whether *obj* (request string, range, variant or version) intersects *range_*.

    This is rez's ``intersects()`` rex function.
    """
    wanted = VersionRange(range_)
    other: object
    if isinstance(obj, str):
        req = Requirement(obj)
        if req.conflict:
            return False
        other = req.range
    elif isinstance(obj, VariantBinding):
        other = VersionRange(str(obj.version))
    elif isinstance(obj, VersionBinding):
        other = VersionRange(str(obj))
    else:
        other = obj
    if not isinstance(other, VersionRange):
        raise TypeError(f"invalid type {type(obj).__name__} passed as first arg to 'intersects'")
    return wanted.intersects(other)
