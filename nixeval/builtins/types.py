"""Type tests: typeOf and the isX predicates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.force import force
from ..values import Unknown, type_of
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine


@builtin("typeOf", 1)
def type_of_(m: Machine, v: Any) -> str:
    return _type_of(force(v))


def _type_of(value: Any) -> str:
    """typeOf, where an unknown's model may know its type (a package of the modelled
    nixpkgs is a set, a derivation; an interpolated string is a string); of any other
    unknown, the type is unknown too (the builtin's result is an unknown)."""
    if type(value) is Unknown:
        if value.model is not None and value.model.nix_type is not None:
            return value.model.nix_type
        raise E.NeedsValue(value, "knowing its type")
    return type_of(value)


def _predicate(name: str, nix_type: str) -> None:
    def test(m: Machine, v: Any) -> bool:
        return _type_of(force(v)) == nix_type

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
