"""Arithmetic and bit operations: add sub mul div lessThan bitAnd bitOr bitXor ceil floor."""

from __future__ import annotations

import math as _math
from typing import TYPE_CHECKING, Any

from ..eval import ops
from ..eval.coerce import wrap
from ..eval.force import force
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine


@builtin("add", 2)
def add(m: Machine, a: Any, b: Any) -> Any:
    x, y = force(a), force(b)
    if type(x) is float or type(y) is float:
        return ops.to_float(x) + ops.to_float(y)
    return wrap(ops.to_int(x) + ops.to_int(y))


@builtin("sub", 2)
def sub(m: Machine, a: Any, b: Any) -> Any:
    return ops.sub(m, a, b)


@builtin("mul", 2)
def mul(m: Machine, a: Any, b: Any) -> Any:
    return ops.mul(m, a, b)


@builtin("div", 2)
def div(m: Machine, a: Any, b: Any) -> Any:
    return ops.div(m, a, b)


@builtin("lessThan", 2)
def less_than(m: Machine, a: Any, b: Any) -> bool:
    return ops.less_than(m, force(a), force(b))


@builtin("bitAnd", 2)
def bit_and(m: Machine, a: Any, b: Any) -> int:
    return ops.to_int(force(a)) & ops.to_int(force(b))


@builtin("bitOr", 2)
def bit_or(m: Machine, a: Any, b: Any) -> int:
    return ops.to_int(force(a)) | ops.to_int(force(b))


@builtin("bitXor", 2)
def bit_xor(m: Machine, a: Any, b: Any) -> int:
    return ops.to_int(force(a)) ^ ops.to_int(force(b))


@builtin("ceil", 1)
def ceil(m: Machine, a: Any) -> int:
    return wrap(_math.ceil(ops.to_float(force(a))))


@builtin("floor", 1)
def floor(m: Machine, a: Any) -> int:
    return wrap(_math.floor(ops.to_float(force(a))))
