"""Evaluate a package.py that needs code to run, the way rez 3.4 does.

rez loads a package.py by executing it in a namespace of its own whose globals are ``early``,
``late``, ``include``, ``scope``, ``ModifyList`` and ``InvalidPackageError``
(``rez.serialise._load_py``), then post-processes the globals: ``@early`` functions are called
at once with ``this`` bound to the raw data, ``@late`` and rex functions are kept as source,
plain functions, modules and ``__dunder`` names are dropped (``process_python_objects``).

pkgimport does not import rez at run time, so this module provides its own small equivalents of
those globals. Only native package files from a repository come here: executing one runs its
code, exactly as rez does when it loads the same file.
"""

from __future__ import annotations

import builtins
import inspect
import sys
import types
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from typing_extensions import Self

__all__ = [
    "REX_KEYS",
    "EvaluatedPackage",
    "InvalidPackageError",
    "ModifyList",
    "ScopeContext",
    "early",
    "evaluate_package_source",
    "include",
    "late",
]

REX_KEYS = frozenset(
    {"pre_commands", "commands", "post_commands", "pre_build_commands", "pre_test_commands"}
)
"""Functions rez keeps as rex source code (``rez.package_resources.package_rex_keys``)."""

_F = TypeVar("_F", bound="Callable[..., Any]")

# What rez binds for @early functions when not building (``rez.serialise.default_objects``).
_EARLY_DEFAULTS: dict[str, object] = {
    "building": False,
    "testing": False,
    "build_variant_index": 0,
    "build_variant_requires": [],
}


def early() -> Callable[[_F], _F]:
    """Mark a function whose return value replaces it when the file is loaded."""

    def decorate(fn: _F) -> _F:
        fn._early = True  # type: ignore[attr-defined]
        return fn

    return decorate


def late() -> Callable[[_F], _F]:
    """Mark a function rez evaluates lazily, on first access of the attribute."""

    def decorate(fn: _F) -> _F:
        # rez refuses this in the decorator itself, with the same message.
        if fn.__name__ in REX_KEYS:
            raise ValueError(f"Cannot use @late decorator on function {fn.__name__!r}")
        fn._late = True  # type: ignore[attr-defined]
        return fn

    return decorate


def include(module_name: str, *module_names: str) -> Callable[[_F], _F]:
    """Record the modules a function includes (rez's ``package_definition_python_path``)."""

    def decorate(fn: _F) -> _F:
        fn._includes = (module_name, *module_names)  # type: ignore[attr-defined]
        return fn

    return decorate


class InvalidPackageError(Exception):
    """What a package.py raises to declare itself invalid."""


class ModifyList:
    """rez's list modifier for ``config`` overrides: prepend and/or append to a setting."""

    def __init__(self, append: list[Any] | None = None, prepend: list[Any] | None = None) -> None:
        for value in (prepend, append):
            if value is not None and not isinstance(value, list):
                raise ValueError(f"Expected list in ModifyList, not {value!r}")
        self.prepend = prepend
        self.append = append


class _Attributes:
    """Nested attributes set as ``c.a.b = 1`` inside a ``with scope(...) as c`` block."""

    def __init__(self) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_pending", None)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        data: dict[str, Any] = object.__getattribute__(self, "_data")
        if attr in data:
            return data[attr]
        # A child only becomes part of the tree once something is assigned to it.
        child = _Attributes()
        object.__setattr__(child, "_pending", (attr, self))
        return child

    def __setattr__(self, attr: str, value: object) -> None:
        self._data[attr] = value
        self._attach()

    def _attach(self) -> None:
        pending = object.__getattribute__(self, "_pending")
        if pending is not None:
            attr, parent = pending
            parent._attach()
            parent._data[attr] = self
            object.__setattr__(self, "_pending", None)

    def to_dict(self) -> dict[str, Any]:
        return {k: v.to_dict() if isinstance(v, _Attributes) else v for k, v in self._data.items()}


class _Scope(_Attributes):
    """One ``with scope(name)`` block: captures the module variables assigned inside it."""

    def __init__(self, name: str, context: ScopeContext) -> None:
        super().__init__()
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_before", {})

    def __enter__(self) -> Self:
        # Like rez, diff the caller's variables before and after the block (module level, so
        # f_locals is the module namespace itself and can be restored).
        object.__setattr__(self, "_before", dict(sys._getframe(1).f_locals))
        return self

    def __exit__(self, *exc: object) -> None:
        namespace = sys._getframe(1).f_locals
        before: dict[str, Any] = object.__getattribute__(self, "_before")
        for key, value in namespace.items():
            if (key.startswith("__") and key.endswith("__")) or isinstance(value, _Scope):
                continue
            if key not in before or value is not before[key]:
                self._data[key] = value.to_dict() if isinstance(value, _Attributes) else value
        namespace.clear()
        namespace.update(before)
        object.__getattribute__(self, "_context")._exit(self)


class ScopeContext:
    """rez's ``scope``: ``with scope("config") as c:`` builds nested dictionaries."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, ...], _Scope] = {}
        self._stack: list[_Attributes] = [_Attributes()]

    def __call__(self, name: str) -> _Scope:
        path = (*(object.__getattribute__(s, "_name") for s in self._stack[1:]), name)
        scope = self._scopes.setdefault(path, _Scope(name, self))
        self._stack.append(scope)
        return scope

    def _exit(self, scope: _Scope) -> None:
        self._stack.pop()
        self._stack[-1]._data[object.__getattribute__(scope, "_name")] = scope.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Return the scopes assigned so far as nested dictionaries."""
        return self._stack[0].to_dict()


class _EarlyThis:
    """``this`` inside an ``@early`` function: the raw package data as attributes."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, attr: str) -> Any:
        try:
            value = self._data[attr]
        except KeyError:
            raise AttributeError(f"No such package attribute {attr!r}") from None
        if inspect.isfunction(value) and (hasattr(value, "_early") or hasattr(value, "_late")):
            raise ValueError(
                "An early binding function cannot refer to another early or late binding "
                f"function: {attr!r}"
            )
        return value


class EvaluatedPackage:
    """The attributes of an executed package.py, split the way rez keeps them."""

    def __init__(self) -> None:
        self.attributes: dict[str, Any] = {}
        """Plain values (``@early`` results included), in definition order."""
        self.late: set[str] = set()
        """Names of ``@late`` functions (their source is needed to evaluate them)."""
        self.rex: set[str] = set()
        """Names of rex functions (``commands`` ...)."""


_GLOBAL_NAMES = frozenset(
    {"scope", "early", "late", "include", "ModifyList", "InvalidPackageError", "__builtins__"}
)


def evaluate_package_source(code: types.CodeType) -> EvaluatedPackage:
    """Execute compiled package.py *code* and sort its globals like rez's loader.

    Exceptions raised by the package code propagate unchanged; the caller names the file.
    """
    scopes = ScopeContext()
    namespace: dict[str, Any] = {
        "scope": scopes,
        "early": early,
        "late": late,
        "include": include,
        "ModifyList": ModifyList,
        "InvalidPackageError": InvalidPackageError,
    }
    exec(code, namespace)  # noqa: S102 - rez executes native package files the same way
    data: dict[str, Any] = {}
    builtin_names = vars(builtins)
    for key, value in namespace.items():
        if key in _GLOBAL_NAMES or builtin_names.get(key, data) is value:
            continue
        data[key] = value
    data.update(scopes.to_dict())
    result = EvaluatedPackage()
    _process(data, result, top=True)
    result.attributes = _trim(data)
    return result


def _process(data: dict[str, Any], result: EvaluatedPackage, *, top: bool) -> None:
    """Replace functions in *data* in place: call ``@early``, note late and rex functions."""
    for key, value in list(data.items()):
        if isinstance(value, dict):
            _process(value, result, top=False)
        elif inspect.isfunction(value):
            data[key] = _process_function(value, data, result, key=key, top=top)


def _process_function(
    func: types.FunctionType, data: dict[str, Any], result: EvaluatedPackage, *, key: str, top: bool
) -> object:
    if hasattr(func, "_early"):
        # A copy of the function with globals of its own, so 'this' does not leak (as rez).
        globals_ = dict(func.__globals__, this=_EarlyThis(data), **_EARLY_DEFAULTS)
        copy = types.FunctionType(
            func.__code__, globals_, func.__name__, func.__defaults__, func.__closure__
        )
        nparams = func.__code__.co_argcount
        if nparams > 1:
            raise ValueError("@early decorated function must take zero or one args only")
        value = copy(data) if nparams else copy()
        if isinstance(value, dict):
            _process(value, result, top=False)
        elif inspect.isfunction(value):
            return _process_function(value, data, result, key=key, top=top)
        return value
    if top and hasattr(func, "_late"):
        result.late.add(key)
    elif top and func.__name__ in REX_KEYS:
        result.rex.add(key)
    return func


def _trim(data: dict[str, Any]) -> dict[str, Any]:
    """Drop functions, modules and ``__`` names (rez keeps late/rex ones as source)."""
    trimmed: dict[str, Any] = {}
    for key, value in data.items():
        if inspect.ismodule(value) or key.startswith("__"):
            continue
        if inspect.isfunction(value):
            if hasattr(value, "_late") or value.__name__ in REX_KEYS:
                trimmed[key] = value
            continue
        trimmed[key] = _trim(value) if isinstance(value, dict) else value
    return trimmed
