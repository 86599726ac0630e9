"""Scopes: what one family may still resolve to within a phase (rez ``_PackageScope``).

A real scope holds a :class:`~._slice.Slice` of the family's remaining variants. A conflict
scope (``!foo``, ``~foo-1``) and an ephemeral scope (``.foo-1``) hold only a range. Scopes
are treated as immutable: every narrowing returns a new object, and unchanged operations
return ``self`` (the phase loop relies on identity to detect change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkgimport.errors import ResolveError
from pkgimport.resolver._algebra import make_requirement

if TYPE_CHECKING:
    from pkgimport.resolver._algebra import Requirement, VersionRange
    from pkgimport.resolver._failures import Reduction
    from pkgimport.resolver._slice import ScopeRequest, Slice, SliceSource
    from pkgimport.resolver._variants import Variant

__all__ = ["PackageNotFoundError", "Scope"]


class PackageNotFoundError(ResolveError):
    """No package of a family is in the requested range (rez ``PackageNotFoundError``)."""


class Scope:
    """What one family may resolve to (rez ``_PackageScope``)."""

    __slots__ = (
        "_solved",
        "is_conflict",
        "is_ephemeral",
        "package_name",
        "reduce_request",
        "request",
        "slice_",
    )

    def __init__(self, request: Requirement, solve: SliceSource) -> None:
        self.package_name = request.name
        self.is_ephemeral = request.name.startswith(".")
        self.slice_: Slice | None = None
        self.request = request
        self.reduce_request: Requirement | ScopeRequest = request
        """What other scopes are reduced by (the slice's set of variants for a real scope)."""
        self.is_conflict = bool(request.conflict)
        self._solved: bool | None = None
        if request.conflict or self.is_ephemeral or request.range is None:
            # Only a weak request (a conflict) can lack a range.
            return
        slice_ = solve.get_slice(request.name, request.range)
        if slice_ is None:
            req = make_requirement(request.name, request.range)
            msg = f"Package could not be found: {req}"
            raise PackageNotFoundError(msg)
        self.slice_ = slice_
        self.reduce_request = slice_.variants

    @property
    def package_request(self) -> Requirement:
        """The scope's request: ``name==v1|==v2`` for a real scope, else its range request."""
        if self.slice_ is not None:
            return self.slice_.request.requirement
        return self.request

    def _clone(self) -> Scope:
        scope = Scope.__new__(Scope)
        scope.package_name = self.package_name
        scope.is_ephemeral = self.is_ephemeral
        scope.request = self.request
        scope.reduce_request = self.reduce_request
        scope.is_conflict = self.is_conflict
        scope.slice_ = self.slice_
        scope._solved = None
        return scope

    def _with(self, slice_: Slice) -> Scope:
        scope = self._clone()
        scope.slice_ = slice_
        scope.reduce_request = slice_.variants
        scope.is_conflict = False
        return scope

    def intersect(self, range_: VersionRange, solve: SliceSource) -> Scope | None:
        """Narrow to ``range_``; ``self`` if unchanged, ``None`` if nothing is left."""
        slice_ = self.slice_
        if slice_ is not None:  # a real scope (the usual case)
            narrowed = slice_.intersect(range_)
            if narrowed is slice_:
                return self
            return None if narrowed is None else self._with(narrowed)
        request = self.request
        if self.is_ephemeral:
            if request.range is None:  # ~.foo: forbids nothing
                new_range: VersionRange | None = range_
            elif self.is_conflict:
                new_range = range_ - request.range
            else:
                new_range = range_ & request.range
            if new_range is None:
                return None
            if new_range == request.range:
                return self
            scope = self._clone()
            scope.request = scope.reduce_request = make_requirement(self.package_name, new_range)
            scope.is_conflict = False
            return scope
        new_slice: Slice | None = None
        if self.is_conflict:
            if request.range is None:
                new_slice = solve.get_slice(self.package_name, range_)
            else:
                remaining = range_ - request.range
                if remaining is not None:
                    new_slice = solve.get_slice(self.package_name, remaining)
        return None if new_slice is None else self._with(new_slice)

    def reduce_by(
        self, request: Requirement | ScopeRequest
    ) -> tuple[Scope | None, list[Reduction]]:
        """Drop variants conflicting with ``request``; ``self`` if unchanged."""
        slice_ = self.slice_
        if slice_ is None:  # conflict and ephemeral scopes are not reduced
            return self, []
        new_slice, reductions = slice_.reduce_by(request)
        if new_slice is slice_:
            return self, []
        return (None if new_slice is None else self._with(new_slice)), reductions

    def extract_all(self) -> tuple[Scope, list[Requirement]]:
        """Extract every common dependency (rez: ``extract()`` until none is left)."""
        slice_ = self.slice_
        if slice_ is None:  # conflict and ephemeral scopes extract nothing
            return self, []
        new_slice, requests = slice_.extract_all()
        if not requests:
            return self, []
        scope = self._clone()
        scope.slice_ = new_slice
        return scope, requests

    def split(self) -> tuple[Scope, Scope] | None:
        """Split a multi-variant scope into (preferred, rest)."""
        if self.is_conflict or self.is_ephemeral:
            return None
        assert self.slice_ is not None  # noqa: S101 - real scopes hold a slice
        if len(self.slice_) == 1:
            return None
        first, rest = self.slice_.split()
        return self._with(first), self._with(rest)

    def is_solved(self) -> bool:
        """Conflict/ephemeral scopes, or one variant with nothing left to extract."""
        solved = self._solved
        if solved is None:
            slice_ = self.slice_
            solved = self._solved = (
                self.is_conflict
                or self.is_ephemeral
                or slice_ is None
                or (len(slice_) == 1 and not slice_.extractable)
            )
        return solved

    def is_splittable(self) -> bool:
        """Whether :meth:`split` would split (a real scope with several variants)."""
        slice_ = self.slice_
        return slice_ is not None and not self.is_conflict and len(slice_) > 1

    def solved_variant(self) -> Variant | None:
        """Return the resolved variant, if this scope is solved to one."""
        slice_ = self.slice_
        if slice_ is not None and len(slice_) == 1 and not slice_.extractable:
            return slice_.first_variant
        return None

    def solved_ephemeral(self) -> Requirement | None:
        """Return the resolved ephemeral range, for a non-conflict ephemeral scope."""
        if self.is_ephemeral and not self.is_conflict:
            return self.request
        return None

    def __str__(self) -> str:
        return str(self.request) if self.slice_ is None else str(self.slice_)
