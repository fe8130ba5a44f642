"""Type tests: typeOf and the isX predicates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval.force import force
from ..values import type_of
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine


@builtin("typeOf", 1)
def type_of_(m: Machine, v: Any) -> str:
    return type_of(force(v))


def _predicate(name: str, nix_type: str) -> None:
    def test(m: Machine, v: Any) -> bool:
        return type_of(force(v)) == nix_type

    test.__name__ = name
    builtin(name, 1)(test)


for _name, _type in [
    ("isAttrs", "set"),
    ("isBool", "bool"),
    ("isFloat", "float"),
    ("isFunction", "lambda"),
    ("isInt", "int"),
    ("isList", "list"),
    ("isNull", "null"),
    ("isPath", "path"),
    ("isString", "string"),
]:
    _predicate(_name, _type)
