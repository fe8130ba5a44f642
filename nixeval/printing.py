"""Values as ``nix-instantiate --eval`` prints them, byte for byte (Nix 2.8's printValue),
and as JSON (``--json``, ``builtins.toJSON``).

printValue never shows a set or list twice in one output: the second time the same set or
list (the same object; empty ones excepted) is met it prints ``«repeated»``. A list of one
or two elements is the same only where it is held by the same item: Nix keeps such a list
inside the value cell that holds it, and prints a copy of the top value (so ``let x =
[ x ]; in x`` prints ``[ [ «repeated» ] ]``). Unforced
values print as ``<CODE>``; functions as ``<LAMBDA>``, ``<PRIMOP>``, ``<PRIMOP-APP>``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .eval import errors as E
from .eval.coerce import coerce_to_string
from .eval.force import force
from .syntax.text import escape_string, format_float
from .values import (
    Attrs,
    Closure,
    CStr,
    NixPath,
    PrimOp,
    PrimOpApp,
    Thunk,
    Unknown,
    show_type,
)

if TYPE_CHECKING:
    from .eval.machine import Machine


_ID_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_ID_REST = _ID_START | frozenset("0123456789'-")


def show_attr_name(name: str) -> str:
    """An attribute name as printValue writes it (Nix 2.8's showId): bare when it is an
    identifier, else quoted with '"', '\\' and every '$' escaped. Of the keywords only
    "if" is quoted (Nix's own FIXME)."""
    if not name:
        return '""'
    if name == "if":
        return '"if"'
    if name[0] in _ID_START and all(c in _ID_REST for c in name):
        return name
    return escape_string(name, dollars="$")


def print_value(value: Any) -> str:
    """printValue: the value as far as it is evaluated, unforced parts as ``<CODE>``."""
    out: list[str] = []
    seen: set[int] = set()
    stack: list[Any] = [value]
    # Iterative, so a deep value prints without deep recursion: the stack holds values to
    # print and literal text (as ("text",) tuples) in order.
    top = True
    while stack:
        v = stack.pop()
        if type(v) is tuple:
            out.append(v[0])
            continue
        # What Nix would find a small list by: the cell holding it (the top is a copy).
        cell = None if top else id(v)
        top = False
        if type(v) is Thunk:
            if v.run is not None:
                out.append("<CODE>")
                continue
            v = v.value
        t = type(v)
        if t is bool:
            out.append("true" if v else "false")
        elif t is int:
            out.append(str(v))
        elif t is float:
            out.append(format_float(v))
        elif t is str or t is CStr:
            out.append(escape_string(v))
        elif t is NixPath:
            out.append(v.path)
        elif v is None:
            out.append("null")
        elif t is Attrs:
            if v.items and id(v) in seen:
                out.append("«repeated»")
                continue
            if v.items:
                seen.add(id(v))
            out.append("{ ")
            pending: list[Any] = []
            for name in v.names():
                pending.append((show_attr_name(name) + " = ",))
                pending.append(v.items[name])
                pending.append(("; ",))
            pending.append(("}",))
            stack.extend(reversed(pending))
        elif t is list:
            key = id(v) if len(v) > 2 else cell
            if v and key in seen:
                out.append("«repeated»")
                continue
            if v and key is not None:
                seen.add(key)
            out.append("[ ")
            pending = []
            for element in v:
                pending.append(element)
                pending.append((" ",))
            pending.append(("]",))
            stack.extend(reversed(pending))
        elif t is Closure:
            out.append("<LAMBDA>")
        elif t is PrimOp:
            out.append("<PRIMOP>")
        elif t is PrimOpApp:
            out.append("<PRIMOP-APP>")
        else:
            out.append(v.nix_print() if hasattr(v, "nix_print") else repr(v))
    return "".join(out)


def force_deep(machine: Machine, value: Any) -> None:
    """Evaluate everything inside a value (``--strict``, ``deepSeq``), iteratively."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        v = force(stack.pop())
        t = type(v)
        if t is Attrs:
            if id(v) in seen:
                continue
            seen.add(id(v))
            stack.extend(v.items[name] for name in reversed(v.names()))
        elif t is list:
            if id(v) in seen:
                continue
            seen.add(id(v))
            stack.extend(reversed(v))


def to_json_text(
    machine: Machine,
    value: Any,
    ctx: set[str],
    copy_to_store: bool = True,
    strict: bool = True,
) -> str:
    """printValueAsJSON: the value as JSON text, forcing as it goes (unless not `strict`,
    where an unforced value is an error, as with ``nix-instantiate --eval --json``)."""
    out: list[str] = []
    write_json(machine, value, ctx, copy_to_store, strict, out)
    return "".join(out)


def write_json(
    machine: Machine, value: Any, ctx: set[str], copy_to_store: bool, strict: bool, out: list[str]
) -> None:
    """`to_json_text`, appended to `out` as it goes. When evaluating a value fails, `out`
    holds what Nix has written by then: Nix's JSON writer closes each open list and object
    as the error unwinds it (``{"a":1,"b":}``)."""
    if not strict and type(value) is Thunk and value.run is not None:
        raise E.TypeMismatch("cannot convert a thunk to JSON")
    data = _to_json(machine, value, ctx, copy_to_store)
    if type(data) is list:
        out.append("[")
        try:
            for i, x in enumerate(data):
                if i:
                    out.append(",")
                write_json(machine, x, ctx, copy_to_store, strict, out)
        finally:
            out.append("]")
    elif type(data) is dict:
        out.append("{")
        try:
            for i, (k, x) in enumerate(data.items()):
                if i:
                    out.append(",")
                out.append(json.dumps(k, ensure_ascii=False))
                out.append(":")
                write_json(machine, x, ctx, copy_to_store, strict, out)
        finally:
            out.append("}")
    elif type(data) is float:
        out.append(format_float(data))  # Nix writes JSON numbers with ostream's %g
    else:
        out.append(json.dumps(data, ensure_ascii=False))


def _to_json(machine: Machine, value: Any, ctx: set[str], copy_to_store: bool) -> Any:
    """One level: a scalar, or a list / dict of the (unforced) items below it."""
    v = force(value)
    t = type(v)
    if v is None or t is bool or t is int:
        return v
    if t is float:
        return v
    if t is str or t is CStr or t is NixPath:
        return coerce_to_string(machine, v, ctx, copy_to_store_=copy_to_store)
    if t is Unknown:
        # Never mistaken for a value by a schema: an object with just these two keys.
        return {"unknown": v.provenance, "at": v.location()}
    if t is list:
        return list(v)
    if t is Attrs:
        to_string = v.items.get("__toString")
        if to_string is not None:
            return coerce_to_string(machine, v, ctx, False, copy_to_store)
        out_path = v.items.get("outPath")
        if out_path is not None:
            return _to_json(machine, out_path, ctx, copy_to_store)
        return {name: v.items[name] for name in v.names()}
    raise E.TypeMismatch(f"cannot convert {show_type(v)} to JSON")
