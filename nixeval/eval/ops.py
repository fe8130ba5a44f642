"""Nix's operators on values: equality, ordering, arithmetic, ``//``, ``++``, ``+``.

Equality is Nix's eqValues: int and float compare by value, sets that are both
derivations compare by ``outPath``, functions are never equal — except that two list
elements or attributes that are the very same item are equal once forced, without being
compared (Nix forces both values, then compares their pointers: ``[ f ] == [ f ]`` is true
while ``f == f`` is not, and ``let x = [ (throw "z") ]; in x == x`` throws).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..syntax.nodes import BinaryOp
from ..values import Attrs, CStr, NixPath, Unknown, show_type
from . import errors as E
from .coerce import wrap
from .force import force

if TYPE_CHECKING:
    from .machine import Machine


_force = force


def is_derivation(machine: Machine, v: Any) -> bool:
    t = v.items.get("type") if type(v) is Attrs else None
    if t is None:
        return False
    t = _force(t)
    return isinstance(t, str) and t == "derivation"


def equal(machine: Machine, a: Any, b: Any) -> bool:
    """Nix's eqValues on two forced values."""
    ta, tb = type(a), type(b)
    if ta is Unknown or tb is Unknown:
        raise E.NeedsValue(a if ta is Unknown else b, "comparing it")
    if (ta is int and tb is float) or (ta is float and tb is int):
        return float(a) == float(b)  # Nix converts the integer to a double
    if ta is CStr:
        ta = str
    if tb is CStr:
        tb = str
    if ta is not tb:
        if ta is bool or tb is bool:  # bool is an int subclass in Python, not in Nix
            return False
        return False
    if ta is bool or ta is int or ta is float or ta is str:
        return bool(a == b)
    if ta is NixPath:
        return bool(a.path == b.path)
    if a is None:
        return True
    if ta is list:
        if len(a) != len(b):
            return False
        return all(_same_or_equal(machine, x, y) for x, y in zip(a, b, strict=True))
    if ta is Attrs:
        if is_derivation(machine, a) and is_derivation(machine, b):
            pa, pb = a.items.get("outPath"), b.items.get("outPath")
            if pa is not None and pb is not None:
                return _same_or_equal(machine, pa, pb)
        if len(a.items) != len(b.items):
            return False
        for name in a.names():
            y = b.items.get(name)
            if y is None and name not in b.items:
                return False
            if not _same_or_equal(machine, a.items[name], y):
                return False
        return True
    return False  # functions are incomparable, and never equal


def _same_or_equal(machine: Machine, x: Any, y: Any) -> bool:
    """Whether two items are equal: forced both, the very same item without comparing."""
    value = _force(x)
    return x is y or equal(machine, value, _force(y))


def less_than(machine: Machine, a: Any, b: Any) -> bool:
    """Nix's CompareValues: numbers, strings, paths, and lists lexicographically."""
    ta, tb = type(a), type(b)
    if ta is Unknown or tb is Unknown:
        raise E.NeedsValue(a if ta is Unknown else b, "comparing it")
    if ta is CStr:
        ta = str
    if tb is CStr:
        tb = str
    if (ta is float and tb is int) or (ta is int and tb is float):
        return float(a) < float(b)
    if ta is not tb:
        raise E.TypeMismatch(f"cannot compare {show_type(a)} with {show_type(b)}")
    if ta is int or ta is float or ta is str:
        return bool(a < b)
    if ta is NixPath:
        return bool(a.path < b.path)
    if ta is list:
        for i in range(max(len(a), len(b)) + 1):
            if i == len(b):
                return False
            if i == len(a):
                return True
            x, y = _force(a[i]), _force(b[i])
            if a[i] is not b[i] and not equal(machine, x, y):
                return less_than(machine, x, y)
    raise E.TypeMismatch(f"cannot compare {show_type(a)} with {show_type(b)}")


def to_float(v: Any) -> float:
    if type(v) is int or type(v) is float:
        return float(v)
    raise E.TypeMismatch(f"value is {show_type(v)} while a float was expected")


def to_int(v: Any) -> int:
    if type(v) is int:
        return v
    raise E.TypeMismatch(f"value is {show_type(v)} while an integer was expected")


def add(machine: Machine, a: Any, b: Any) -> Any:
    """``a + b``: numbers, or string/path concatenation (via ExprConcatStrings rules)."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return wrap(a + b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) + float(b)
    return None  # the caller concatenates


def sub(machine: Machine, a: Any, b: Any) -> Any:
    a, b = _force(a), _force(b)
    if type(a) is float or type(b) is float:
        return to_float(a) - to_float(b)
    return wrap(to_int(a) - to_int(b))


def mul(machine: Machine, a: Any, b: Any) -> Any:
    a, b = _force(a), _force(b)
    if type(a) is float or type(b) is float:
        return to_float(a) * to_float(b)
    return wrap(to_int(a) * to_int(b))


def div(machine: Machine, a: Any, b: Any) -> Any:
    a, b = _force(a), _force(b)
    if to_float(b) == 0:
        raise E.DivisionByZero("division by zero")
    if type(a) is float or type(b) is float:
        return to_float(a) / to_float(b)
    x, y = to_int(a), to_int(b)
    if x == -(1 << 63) and y == -1:
        raise E.EvalError("overflow in integer division")
    q = abs(x) // abs(y)  # C++ truncates towards zero
    return q if (x < 0) == (y < 0) else -q


def update(machine: Machine, a: Any, b: Any) -> Attrs:
    if type(a) is not Attrs:
        raise E.TypeMismatch(f"value is {show_type(a)} while a set was expected")
    if type(b) is not Attrs:
        raise E.TypeMismatch(f"value is {show_type(b)} while a set was expected")
    if not b.items:
        return a
    if not a.items:
        return b
    merged = dict(a.items)
    merged.update(b.items)
    if a.origin is None and b.origin is None:
        return Attrs(merged)
    # Each attribute keeps its position, found lazily (`nixeval.values.Origin`).
    return Attrs(merged, (b.items, b.origin, a.origin))


def concat_lists(machine: Machine, a: Any, b: Any) -> list[Any]:
    if type(a) is not list:
        raise E.TypeMismatch(f"value is {show_type(a)} while a list was expected")
    if type(b) is not list:
        raise E.TypeMismatch(f"value is {show_type(b)} while a list was expected")
    if not b:
        return a
    if not a:
        return b
    return a + b


BINARY: dict[BinaryOp, Callable[[Any, Any, Any], Any]] = {
    BinaryOp.EQ: lambda m, a, b: equal(m, a, b),
    BinaryOp.NEQ: lambda m, a, b: not equal(m, a, b),
    BinaryOp.LT: lambda m, a, b: less_than(m, a, b),
    BinaryOp.GT: lambda m, a, b: less_than(m, b, a),
    BinaryOp.LEQ: lambda m, a, b: not less_than(m, b, a),
    BinaryOp.GEQ: lambda m, a, b: not less_than(m, a, b),
    BinaryOp.UPDATE: update,
    BinaryOp.SUB: sub,
    BinaryOp.MUL: mul,
    BinaryOp.DIV: div,
    BinaryOp.CONCAT: concat_lists,
}

# Keyed by identity: hashing an Enum member runs Python code, an id() does not.
BINARY_BY_ID: dict[int, Callable[[Any, Any, Any], Any]] = {id(op): fn for op, fn in BINARY.items()}
