"""The base environment every file sees: the global names of `names.BASE_ENV` and the
``builtins`` set, from every builtin module's registrations."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..values import Attrs, PrimOp, thunk_of

# Each module registers its builtins when imported.
from . import attrs as attrs
from . import context as context
from . import control as control
from . import derivations as derivations
from . import fetchers as fetchers
from . import lists as lists
from . import math as math
from . import paths as paths
from . import regex as regex
from . import strings as strings
from . import toml as toml
from . import types as types
from . import xml as xml
from .names import BASE_ENV
from .registry import BUILTINS

if TYPE_CHECKING:
    from ..eval.machine import Machine

LAZY_CONSTANTS = frozenset(["derivation"])


def make_base_env(machine: Machine) -> tuple[dict[str, Any], Attrs]:
    """The global variables and the ``builtins`` set of one evaluation."""
    members: dict[str, Any] = {}
    for name, b in BUILTINS.items():
        if b.arity == 0:
            # Constants are values, as Nix's addConstant makes them (so `{ a = null; }`
            # prints `null` even unforced), except those that cost work to compute.
            if name in LAZY_CONSTANTS:
                members[name] = thunk_of(functools.partial(b.fn, machine))
            else:
                members[name] = b.fn(machine)
        else:
            members[name] = PrimOp(name, b.arity, functools.partial(b.fn, machine))
    builtins_set = Attrs(members)
    members["builtins"] = builtins_set
    env: dict[str, Any] = {}
    for name in BASE_ENV:
        plain = name[2:] if name.startswith("__") else name
        if plain in members:
            env[name] = members[plain]
    env["builtins"] = builtins_set
    return env, builtins_set


def missing_builtins() -> list[str]:
    """Names of Nix 2.8's base environment that no module implements yet."""
    missing = []
    for name in sorted(BASE_ENV):
        plain = name[2:] if name.startswith("__") else name
        if plain not in BUILTINS and plain != "builtins":
            missing.append(name)
    return missing


__all__ = ["BUILTINS", "make_base_env", "missing_builtins"]
