"""Environments: the variables in scope, lexical first, then ``with`` sets inside-out.

An `Env` holds the variables one construct binds (a ``let``, a ``rec`` set, a function's
arguments) and points to the enclosing one; a ``with`` is an `Env` of its own whose
variables are the attributes of a set, looked up only when no lexical binding exists
anywhere further out (Nix's rule: a lexical binding always wins over ``with``).
Every env knows the file it belongs to (`FileContext`), for relative paths and errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeAlias

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


# One scope: ``(vars, up, ctx, with_)``. `vars` maps names to items, except in the scope
# of a function's one plain parameter, where it is that item itself (see
# `nixeval.eval.machine.Scope.single`); `up` is the scope around it (None at the top); `ctx`
# is the file's `FileContext`; `with_` is the set item of a ``with`` (whose `vars` is
# empty), None for every other scope. A tuple, not an object of a class of its own: a tuple
# display costs a fifth of a call to a class's ``__init__``, and an evaluation makes
# millions of scopes (one per function call, ``let`` and ``rec`` set). Its fields are read
# by index, named here.
Env: TypeAlias = "tuple[Any, Env | None, FileContext, Any]"
VARS: Final = 0
UP: Final = 1
CTX: Final = 2
WITH: Final = 3


MISSING: Any = object()
