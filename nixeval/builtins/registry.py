"""The one registry of builtins: every module of this package registers its functions here.

    @builtin("attrNames", 1)
    def attr_names(m: Machine, s: Any) -> list[str]: ...

A builtin receives the `Machine` and its arguments as *items* (unforced): it forces what
it needs, as Nix's primops do. `constant` registers a value computed once per evaluation.
The name is the one under ``builtins.``; whether it is also global, and under which name
(``map``, or ``__attrNames``), is Nix's base environment (`names.BASE_ENV`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..records import Record

if TYPE_CHECKING:
    from ..eval.machine import Machine


class Builtin(Record):
    name: str
    arity: int  # 0 for a constant
    fn: Callable[..., Any]


BUILTINS: dict[str, Builtin] = {}


def builtin(name: str, arity: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        assert name not in BUILTINS, f"builtin {name} registered twice"
        BUILTINS[name] = Builtin(name, arity, fn)
        return fn

    return register


def constant(name: str) -> Callable[[Callable[[Machine], Any]], Callable[[Machine], Any]]:
    return builtin(name, 0)
