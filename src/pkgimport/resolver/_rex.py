"""A rex-like executor: runs package ``commands()`` and records the environment they build.

This mirrors rez 3.4's ``rez.rex`` (``RexExecutor`` + ``ActionManager`` + the ``Python``
interpreter) closely enough that a resolved environment matches ``rez-env`` variable for
variable (spec §2.3):

* values are ``str.format``-expanded against the namespace (``{root}``, ``{this.name}``,
  ``{env.X}``, ``{resolve.python.root}``); ``$X`` is rewritten to ``${X}`` first so it is left for
  the environment expansion; a failed lookup (``KeyError``/``ValueError``) leaves the whole value
  as it was, exactly like rez;
* ``$X``/``${X}`` are then expanded from the variables the context set, then from the parent
  environment, then ``~`` is expanded; :func:`literal` parts are never touched;
* the first ``append``/``prepend`` of a variable in a context overwrites the parent value unless the
  variable is a *parent variable*.

Code comes from a native package.py in the repository (``functions["commands"]``), the same code
rez itself would execute; text read from wheels or manifests never reaches this module (importers
produce structured :class:`~pkgimport.definition.Action` values instead).
"""

from __future__ import annotations

import ast
import os
import re
import string
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pkgimport._envvars import expand_vars
from pkgimport.errors import PkgImportError
from pkgimport.resolver._rex_bindings import intersects

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

__all__ = [
    "DEFAULT_SEPARATORS",
    "PackageCommandError",
    "RexAction",
    "RexError",
    "RexExecutor",
    "RexString",
    "RexUndefinedVariableError",
    "expand_vars",
    "expandable",
    "function_body",
    "literal",
]

DEFAULT_SEPARATORS: Mapping[str, str] = {"CMAKE_MODULE_PATH": ";", "DOXYGEN_TAGFILES": " "}
"""rez's default ``env_var_separators``: variables not joined with ``os.pathsep``."""

# rez's ActionInterpreter.ENV_VAR_REGEX, used to protect "$X"/"${X}" from str.format. The lazy
# `*?` with nothing after it means "$FOO1" protects only "FOO" (-> "${FOO}1"); kept on purpose.
_PROTECT_RE = re.compile(r"\$\{([^\{\}]+?)\}|\$([a-zA-Z_]+[a-zA-Z0-9_]*?)")
# rez.utils.formatting.ENV_VAR_REGEX, used to expand variables.
_EXPAND_RE = re.compile(r"\$(\w+|\{[^}]*\})")


class RexError(PkgImportError):
    """Package ``commands()`` code failed (bad code, undefined variable, ``stop()``)."""


class PackageCommandError(RexError):
    """A package's rex code failed in a context (rez's class of the same name).

    The message is rez's: ``Error in commands in package '<file>[<index>]':`` and the error.
    """


class RexUndefinedVariableError(RexError):
    """``getenv`` or ``{env.X}`` referenced a variable that is not defined."""


class RexString:
    """A string made of literal and expandable parts (rez's ``EscapedString``).

    Expandable parts get ``{}`` and ``$VAR`` expansion; literal parts are kept as they are.

    >>> s = literal("{root}").e("/$HOME")
    >>> str(s), s.parts
    ('{root}/$HOME', [(True, '{root}'), (False, '/$HOME')])
    """

    __slots__ = ("parts",)

    def __init__(self, value: str = "", is_literal: bool = False) -> None:
        self.parts: list[tuple[bool, str]] = [(is_literal, value)]
        """``(is_literal, text)`` pieces, adjacent pieces of one kind merged."""

    def _add(self, value: str, *, is_literal: bool) -> None:
        last_literal, last_text = self.parts[-1]
        if last_literal == is_literal:
            self.parts[-1] = (is_literal, last_text + value)
        else:
            self.parts.append((is_literal, value))

    def literal(self, value: str) -> RexString:
        """Append a literal part and return self."""
        self._add(value, is_literal=True)
        return self

    def expandable(self, value: str) -> RexString:
        """Append an expandable part and return self."""
        self._add(value, is_literal=False)
        return self

    def l(self, value: str) -> RexString:  # noqa: E743 - rez's shorthand name
        """Shorthand for :meth:`literal`."""
        return self.literal(value)

    def e(self, value: str) -> RexString:
        """Shorthand for :meth:`expandable`."""
        return self.expandable(value)

    def copy(self) -> RexString:
        """Return a copy."""
        other = RexString()
        other.parts = list(self.parts)
        return other

    def formatted(self, func: Callable[[str], str]) -> RexString:
        """Return a copy with *func* applied to every expandable part."""
        other = RexString()
        other.parts = [(lit, text if lit else func(text)) for lit, text in self.parts]
        return other

    @classmethod
    def promote(cls, value: str | RexString) -> RexString:
        """Return *value* as a :class:`RexString` (a plain str is expandable)."""
        return value if isinstance(value, RexString) else cls(value)

    def __add__(self, other: str | RexString) -> RexString:
        result = self.copy()
        for lit, text in RexString.promote(other).parts:
            result._add(text, is_literal=lit)
        return result

    def __str__(self) -> str:
        return "".join(text for _, text in self.parts)

    def __repr__(self) -> str:
        return f"RexString({self.parts!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return isinstance(other, RexString) and other.parts == self.parts

    __hash__ = None  # type: ignore[assignment]  # mutable, like rez's EscapedString


def literal(value: str) -> RexString:
    """Return *value* as a literal string: no expansion at all.

    >>> str(literal("{x}"))
    '{x}'
    """
    return RexString(value, is_literal=True)


def expandable(value: str) -> RexString:
    """Return *value* as an expandable string (the default for plain strings)."""
    return RexString(value, is_literal=False)


def _drop_unknown_vars(text: str) -> str:
    # What a POSIX shell does with references the context could not resolve.
    return _EXPAND_RE.sub("", text) if "$" in text else text


class _NamespaceFormatter(string.Formatter):
    """``str.format`` over the rex namespace that leaves ``$X`` references alone."""

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        super().__init__()
        self.namespace = namespace

    def format_text(self, text: str) -> str:
        protected = _PROTECT_RE.sub(lambda m: "${{" + (m.group(1) or m.group(2)) + "}}", text)
        return self.vformat(protected, (), {})

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str):
            if not key:
                raise ValueError("zero length field name in format")
            return self.namespace[key]
        return super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        if isinstance(value, RexString):
            value = str(value)
        if isinstance(value, str):
            # rez formats substituted strings again (a root may itself hold "{...}").
            value = self.format_text(value)
        return format(value, format_spec)


@dataclass(frozen=True, slots=True)
class RexAction:
    """One recorded rex call, with its arguments as given (after ``{}`` expansion)."""

    kind: str
    """``setenv``, ``unsetenv``, ``resetenv``, ``prependenv``, ``appendenv``, ``alias``,
    ``info``, ``error``, ``command``, ``comment`` or ``source``."""
    args: tuple[str | tuple[str, ...], ...]
    """Arguments: ``(key, value)``, ``(message,)``, ``(command,)``..."""


class _EnvVar:
    """``env.X``: one variable, with rez's ``EnvironmentVariable`` methods."""

    __slots__ = ("_executor", "_name")

    def __init__(self, name: str, executor: RexExecutor) -> None:
        self._name = name
        self._executor = executor

    @property
    def name(self) -> str:
        return self._name

    def set(self, value: object) -> None:
        self._executor.setenv(self._name, value)

    def append(self, value: object) -> None:
        self._executor.appendenv(self._name, value)

    def prepend(self, value: object) -> None:
        self._executor.prependenv(self._name, value)

    def reset(self, value: object, friends: object = None) -> None:
        self._executor.resetenv(self._name, value, friends)

    def unset(self) -> None:
        self._executor.unsetenv(self._name)

    def get(self) -> str:
        return self._executor.getenv(self._name)

    def value(self) -> str:
        return self.get()

    def setdefault(self, value: object) -> None:
        if not self:
            self.set(value)

    def __str__(self) -> str:
        return self.value()

    def __repr__(self) -> str:
        return f"EnvironmentVariable({self._name!r})"

    def __bool__(self) -> bool:
        try:
            return bool(self.value())
        except RexUndefinedVariableError:
            return False

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _EnvVar):
            other = other.value()
        return self.value() == other

    __hash__ = None  # type: ignore[assignment]


class _EnvNamespace:
    """The ``env`` object: ``env.X = v``, ``env.X.append(v)``, ``env["X"]``, ``"X" in env``."""

    def __init__(self, executor: RexExecutor) -> None:
        object.__setattr__(self, "_executor", executor)
        object.__setattr__(self, "_vars", {k: _EnvVar(k, executor) for k in executor.parent})

    def __getattr__(self, name: str) -> _EnvVar:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self[name]

    def __setattr__(self, name: str, value: object) -> None:
        self[name].set(value)

    def __getitem__(self, name: str) -> _EnvVar:
        variables: dict[str, _EnvVar] = object.__getattribute__(self, "_vars")
        if name not in variables:
            variables[name] = _EnvVar(name, object.__getattribute__(self, "_executor"))
        return variables[name]

    def __setitem__(self, name: str, value: object) -> None:
        self[name].set(value)

    def __contains__(self, name: object) -> bool:
        return name in object.__getattribute__(self, "_vars")

    def __iter__(self) -> Iterator[str]:
        return iter(list(object.__getattribute__(self, "_vars")))

    def keys(self) -> list[str]:
        return list(object.__getattribute__(self, "_vars"))


class RexExecutor:
    r"""Run rex code and structured actions, and record the environment they build.

    :param parent_environ: the environment the context is applied to (rez's ``parent_environ``).
    :param parent_variables: variables that ``append``/``prepend`` extend instead of overwriting on
        first use (rez's ``parent_variables``); ``True`` for all of them.
    :param separators: per-variable separators; others use *pathsep*.
    :param shell_semantics: expand references to unknown variables to ``""`` as a POSIX shell does
        (``rez-env``); ``False`` keeps them verbatim (rez's ``ResolvedContext.get_environ``).

    >>> ex = RexExecutor(parent_environ={"PATH": "/usr/bin"}, pathsep=":")
    >>> ex.bind("root", "/pkg")
    >>> ex.execute("env.PATH.append('{root}/bin'); env.PATH.append('/x')")
    >>> ex.environ
    {'PATH': '/pkg/bin:/x'}
    """

    def __init__(
        self,
        *,
        parent_environ: Mapping[str, str],
        parent_variables: Collection[str] | bool = (),
        separators: Mapping[str, str] = DEFAULT_SEPARATORS,
        pathsep: str = os.pathsep,
        shell_semantics: bool = False,
    ) -> None:
        self.parent = parent_environ
        self.parent_variables = parent_variables
        self.separators = separators
        self.pathsep = pathsep
        self.shell_semantics = shell_semantics
        self.environ: dict[str, str] = {}
        """Variables the context set, fully expanded (rez's ``get_environ()`` result)."""
        self.unset: set[str] = set()
        """Variables the context unset (and did not set again afterwards)."""
        self.actions: list[RexAction] = []
        """Every call, in order."""
        self.globals: dict[str, Any] = {}
        self._formatter = _NamespaceFormatter(self.globals)
        self.env = _EnvNamespace(self)
        for name, obj in self._public_functions().items():
            self.bind(name, obj)

    def _public_functions(self) -> dict[str, Any]:
        return {
            "format": self.expand,
            "literal": literal,
            "expandable": expandable,
            "optionvars": _optionvars,
            "intersects": intersects,
            "env": self.env,
            "setenv": self.setenv,
            "unsetenv": self.unsetenv,
            "resetenv": self.resetenv,
            "prependenv": self.prependenv,
            "appendenv": self.appendenv,
            "alias": self.alias,
            "info": self.info,
            "error": self.error,
            "stop": self.stop,
            "command": self.command,
            "comment": self.comment,
            "source": self.source,
            "shebang": lambda: None,
            "getenv": self.getenv,
            "expandvars": self.expandvars,
            "defined": self.defined,
            "undefined": self.undefined,
        }

    # -- namespace

    def bind(self, name: str, obj: object) -> None:
        """Make *obj* visible to rex code (and ``{name}`` expansion) as *name*."""
        self.globals[name] = obj

    def unbind(self, name: str) -> None:
        """Remove a binding; no effect if absent."""
        self.globals.pop(name, None)

    def expand(self, value: object) -> str:
        """``format()`` in rex: expand ``{...}`` against the namespace."""
        return self._formatter.format_text(str(value))

    # -- expansion helpers (rez's ActionManager._format / _expand)

    def _format(self, value: object) -> str | RexString:
        if not isinstance(value, (str, RexString)):
            return str(value)
        try:
            return RexString.promote(value).formatted(self.expand)
        except (KeyError, ValueError):
            return value

    def _expand(self, value: str | RexString) -> RexString:
        def expand_part(text: str) -> str:
            text = expand_vars(text, self.environ)
            text = expand_vars(text, self.parent)
            if self.shell_semantics:
                text = _drop_unknown_vars(text)
            return os.path.expanduser(text)  # noqa: PTH111 - str in, str out, like rez

        return RexString.promote(value).formatted(expand_part)

    def _key(self, key: object) -> tuple[str, str]:
        raw = str(self._format(key))
        return raw, str(self._expand(raw))

    def _value(self, value: object) -> tuple[str | RexString, str]:
        if isinstance(value, (list, tuple)):
            value = self.pathsep.join(str(v) for v in value)
        raw = self._format(value)
        return raw, str(self._expand(raw))

    def _separator(self, key: str) -> str:
        return self.separators.get(key, self.pathsep)

    # -- environment commands

    def setenv(self, key: object, value: object) -> None:
        """``env.KEY = value``."""
        raw_key, name = self._key(key)
        raw, expanded = self._value(value)
        self.actions.append(RexAction("setenv", (raw_key, str(raw))))
        self.environ[name] = expanded
        self.unset.discard(name)

    def resetenv(self, key: object, value: object, friends: object = None) -> None:  # noqa: ARG002
        """``resetenv(key, value)``: like :meth:`setenv` for the environment."""
        raw_key, name = self._key(key)
        raw, expanded = self._value(value)
        self.actions.append(RexAction("resetenv", (raw_key, str(raw))))
        self.environ[name] = expanded
        self.unset.discard(name)

    def unsetenv(self, key: object) -> None:
        """``env.KEY.unset()``."""
        raw_key, name = self._key(key)
        self.actions.append(RexAction("unsetenv", (raw_key,)))
        self.environ.pop(name, None)
        self.unset.add(name)

    def _pend(self, key: object, value: object, kind: str, *, prepend: bool) -> None:
        raw_key, name = self._key(key)
        raw, expanded = self._value(value)
        inherited = self.parent_variables is True or (
            not isinstance(self.parent_variables, bool) and name in self.parent_variables
        )
        if name not in self.environ and inherited:
            self.environ[name] = self.parent.get(name, "")
        if name in self.environ:
            # Later references extend what this context already set.
            sep = self._separator(name)
            parts = self.environ[name].split(sep)
            parts = [expanded, *parts] if prepend else [*parts, expanded]
            self.environ[name] = sep.join(parts)
            self.actions.append(RexAction(kind, (raw_key, str(raw))))
        else:
            # First reference in this context: overwrites the parent value (spec §2.3).
            self.environ[name] = expanded
            self.actions.append(RexAction("setenv", (raw_key, str(raw))))
        self.unset.discard(name)

    def appendenv(self, key: object, value: object) -> None:
        """``env.KEY.append(value)``."""
        self._pend(key, value, "appendenv", prepend=False)

    def prependenv(self, key: object, value: object) -> None:
        """``env.KEY.prepend(value)``."""
        self._pend(key, value, "prependenv", prepend=True)

    def getenv(self, key: object) -> str:
        """Return *key*'s value in the context, else in the parent environment."""
        _, name = self._key(key)
        if name in self.environ:
            return self.environ[name]
        if name in self.parent and name not in self.unset:
            return self.parent[name]
        raise RexUndefinedVariableError(f"Referenced undefined environment variable: {name}")

    def undefined(self, key: object) -> bool:
        """Tell whether *key* is set neither by the context nor in the parent environment."""
        _, name = self._key(key)
        return name not in self.environ and name not in self.parent

    def defined(self, key: object) -> bool:
        """Opposite of :meth:`undefined`."""
        return not self.undefined(key)

    def expandvars(self, value: object, format: bool = True) -> str:  # noqa: A002 - rez's name
        """Expand ``{}`` (with *format*) and ``$VAR`` references now."""
        text: str | RexString = str(self._format(value)) if format else str(value)
        return str(self._expand(text))

    # -- other commands

    def alias(self, key: object, value: object) -> None:
        """``alias(name, command)``."""
        self.actions.append(RexAction("alias", (str(self._format(key)), str(self._format(value)))))

    def info(self, value: object = "") -> None:
        """``info(message)``: printed when entering the environment."""
        self.actions.append(RexAction("info", (str(self._format(value)),)))

    def error(self, value: object) -> None:
        """``error(message)``: printed to stderr when entering the environment."""
        self.actions.append(RexAction("error", (str(self._format(value)),)))

    def stop(self, message: str, *args: object) -> None:
        """``stop(message)``: abort with an error."""
        raise RexError(message % args if args else message)

    def command(self, value: object) -> None:
        """``command(cmd)``: a shell command run when entering the environment (not formatted)."""
        if isinstance(value, (list, tuple)):
            self.actions.append(RexAction("command", (tuple(str(v) for v in value),)))
        else:
            self.actions.append(RexAction("command", (str(value),)))

    def comment(self, value: object) -> None:
        """``comment(text)``: a comment in generated shell code."""
        self.actions.append(RexAction("comment", (str(self._format(value)),)))

    def source(self, value: object) -> None:
        """``source(path)``: a script sourced when entering the environment."""
        self.actions.append(RexAction("source", (str(self._format(value)),)))

    # -- running code

    def execute(
        self, source: str, *, filepath: str | None = None, funcname: str | None = None
    ) -> None:
        """Run rex code the way rez runs a package's (``SourceCode`` + ``reset_globals``).

        With *funcname*, *source* is that function's definition from a package.py
        (``def commands(): ...``): rez runs its body as module code, not as a function, so
        ``return`` is a syntax error there and a name it assigns expands (``rr = 'x'`` then
        ``'{rr}'``). Without, *source* is rex code from a string (``commands: |`` in a
        package.yaml), which rez runs as the body of a function. Either way the code runs in
        this executor's namespace, and names it assigns are dropped afterwards.

        :param filepath: the package file, which rez names in a syntax error of a function.
        :param funcname: the function (``commands``), for a function's source.
        :raises RexError: the code does not compile or fails; the message is what rez shows
            (the error's own text, e.g. ``'return' outside function (package.py:commands>,
            line 4)``).
        """
        if funcname is None:
            code = f"def _unnamed():\n{_indent(source.rstrip())}\n_result = _unnamed()"
            filename = "<string>"
        else:
            code = "if True:\n" + _indent(function_body(source))
            filename = f"<{filepath or 'string'}:{funcname}>"
        try:
            compiled = compile(code, filename, "exec")
        except Exception as exc:  # rez reports any compile error the same way
            raise RexError(str(exc)) from exc
        saved = dict(self.globals)
        try:
            exec(compiled, self.globals)  # noqa: S102 - rez executes a package's own commands() too
        except Exception as exc:  # any failure in package code becomes a RexError
            raise RexError(str(exc)) from exc
        finally:
            self.globals.clear()
            self.globals.update(saved)


def _indent(text: str) -> str:
    """Indent every line by 4 spaces, empty ones too (``rez.utils.formatting.indent``)."""
    return "\n".join("    " + line for line in text.split("\n"))


def function_body(source: str) -> str:
    r"""Return the body of a function definition as rez takes it (``SourceCode._init_from_func``).

    rez takes the function's source lines after its decorators and ``def`` line (one line
    each: ``def`` signatures spanning lines are not supported by rez either), dedents them,
    indents a comment line like the line after it, and dedents again. Line numbers in
    errors depend on it, so this is rez's procedure line for line.

    >>> function_body("def commands():\n\n    # note\n    env.A = 1\n")
    '\n# note\nenv.A = 1'
    """
    lines = source.split("\n")
    start = 1
    try:
        func = ast.parse(textwrap.dedent(source)).body[0]
    except (SyntaxError, IndexError):
        func = None
    if isinstance(func, ast.FunctionDef):
        first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
        start = first + len(func.decorator_list)
    code = textwrap.dedent("\n".join(lines[start:]) + "\n")
    codelines = code.split("\n")
    count = len(codelines)
    for i, line in enumerate(codelines):
        if line.startswith("#"):
            # rez's loop, quirks kept: it looks at the next line twice, and the code always
            # ends with an empty line, which ends the search.
            index = i + 1 if i < count else i - 1
            following = codelines[index]
            while following.startswith("#"):
                following = codelines[index]
                index = index + 1 if index < count else index - 1
            codelines[i] = following[: len(following) - len(following.lstrip())] + line
    return textwrap.dedent("\n".join(codelines).rstrip())


def _optionvars(name: str, default: object = None) -> object:  # noqa: ARG001
    """Return *default*: pkgimport reads no rez config, so ``optionvars`` are never set."""
    return default
