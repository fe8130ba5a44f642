"""Environments: the variables in scope, lexical first, then ``with`` sets inside-out.

An `Env` holds the variables one construct binds (a ``let``, a ``rec`` set, a function's
arguments) and points to the enclosing one; a ``with`` is an `Env` of its own whose
variables are the attributes of a set, looked up only when no lexical binding exists
anywhere further out (Nix's rule: a lexical binding always wins over ``with``).
Every env knows the file it belongs to (`FileContext`), for relative paths and errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..syntax.source import Source
    from .machine import Machine


class FileContext:
    """The file an expression comes from: its source, its directory, its evaluator, and
    `names`, the items its top expression sees bound around it (the base environment:
    ``builtins``, ``true``, ``map``, …; under a ``scopedImport``, its scope first)."""

    __slots__ = ("base_dir", "machine", "names", "source")

    def __init__(
        self, machine: Machine, source: Source, base_dir: str, names: dict[str, Any]
    ) -> None:
        self.machine = machine
        self.source = source
        self.base_dir = base_dir
        self.names = names


class Env:
    """One scope: `vars` maps names to items; `with_` is the set item of a ``with``
    (`WithEnv`), None for every other scope."""

    __slots__ = ("ctx", "up", "vars")

    # A class attribute, not a slot: the scopes of calls, ``let``s and sets, made millions
    # of times, are one store the lighter; `WithEnv`'s slot overrides it.
    with_: Any = None

    def __init__(self, vars: dict[str, Any], up: Env | None, ctx: FileContext) -> None:
        self.vars = vars
        self.up = up
        self.ctx = ctx


class WithEnv(Env):
    """The scope of ``with e; …``: no variable of its own, the set item `with_`."""

    __slots__ = ("with_",)

    def __init__(self, up: Env, with_: Any) -> None:
        self.vars = {}
        self.up = up
        self.ctx = up.ctx
        self.with_ = with_


MISSING: Any = object()
