"""Nix's autoCallFunction and ``-A`` (findAlongAttrPath): the one implementation of each,
used by ``--eval``, by the opening of a project (`nixeval.hercules.project`) and by the
walk to its effects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..values import Attrs, Closure, Unknown, show_type
from . import errors as E
from .env import CTX
from .force import force

if TYPE_CHECKING:
    from ..syntax.nodes import Span
    from ..syntax.source import Source
    from .machine import Machine

    Where = tuple[Source | None, Span | None]


def auto_call(
    machine: Machine,
    item: Any,
    given: dict[str, Any],
    *,
    strict: bool = True,
    hint: str | None = None,
) -> Any:
    """Nix's autoCallFunction: a functor's function is taken first; a function with
    formals is called with the `given` arguments it names — all of them when it has
    ``...`` —; anything else is returned as it is. A formal without a default that is
    not given is Nix's error if `strict` (with `hint` as its help), else the function is
    returned uncalled (a walk passes over it)."""
    value = force(item)
    if type(value) is Attrs and "__functor" in value.items:
        inner = machine.call(force(value.items["__functor"]), value)
        return auto_call(machine, inner, given, strict=strict, hint=hint)
    if type(value) is not Closure or value.lam.formals is None:
        return value
    formals = value.lam.formals
    if formals.ellipsis:
        if not strict and any(f.default is None and f.name not in given for f in formals.entries):
            return value
        return force(machine.call(value, Attrs(dict(given))))
    args: dict[str, Any] = {}
    for f in formals.entries:
        if f.name in given:
            args[f.name] = given[f.name]
        elif f.default is None:
            if not strict:
                return value
            raise E.BadArgument(
                f"cannot evaluate a function that has an argument without a value ('{f.name}')",
                value.env[CTX].source,
                f.span,
                hint=hint,
            )
    return force(machine.call(value, Attrs(args)))


def parse_attr_path(path: str) -> list[str]:
    """Nix's parseAttrPath: ``.``-separated, with ``"…"`` quoting."""
    if not path:
        return []
    names: list[str] = []
    current: list[str] = []
    quoted = False
    for c in path:
        if c == "." and not quoted:
            names.append("".join(current))
            current = []
        elif c == '"':
            quoted = not quoted
        else:
            current.append(c)
    if quoted:
        raise E.EvalError(f"missing closing quote in selection path '{path}'")
    names.append("".join(current))
    return names


def show_attr_path(names: Sequence[str]) -> str:
    """An attribute path as ``-A`` parses it: ``.``-joined, names containing a ``.`` (or
    empty) in double quotes."""
    return ".".join(f'"{name}"' if "." in name or not name else name for name in names)


def select(
    machine: Machine,
    root: Any,
    names: Sequence[str],
    given: dict[str, Any],
    *,
    shown: str | None = None,
    hint: str | None = None,
    on_unknown: Callable[[Unknown], E.EvalError] | None = None,
) -> tuple[Any, Where]:
    """Nix's findAlongAttrPath: each step auto-calls the value with `given`, then takes
    the attribute (or the list element, for a number). Returns the value (not
    auto-called) and where its attribute is defined. `on_unknown`, if given, makes the
    error for an unknown met on the way (else it is a type error)."""
    shown = show_attr_path(names) if shown is None else shown
    value = root
    where: Where = (None, None)
    for name in names:
        value = force(auto_call(machine, value, given, hint=hint))
        if type(value) is Unknown and on_unknown is not None:
            raise on_unknown(value)
        if name.isdigit():
            if type(value) is not list:
                raise E.TypeMismatch(
                    f"the expression selected by the selection path '{shown}' should be a "
                    f"list but is {show_type(value)}"
                )
            index = int(name)
            if index >= len(value):
                raise E.MissingAttribute(
                    f"list index {index} in selection path '{shown}' is out of range"
                )
            value = value[index]
            continue
        if type(value) is not Attrs:
            raise E.TypeMismatch(
                f"the expression selected by the selection path '{shown}' should be a set "
                f"but is {show_type(value)}"
            )
        if not name:
            raise E.EvalError(f"empty attribute name in selection path '{shown}'")
        if name not in value.items:
            from ..spelling import closest

            suggestion = closest(name, value.items)
            source, span = value.written_at() or (None, None)
            raise E.MissingAttribute(
                f"attribute '{name}' in selection path '{shown}' not found",
                source,
                span,
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
        where = value.position(name) or (None, None)
        value = value.items[name]
    return value, where
