"""Where the user configured an effect that a flake module of hercules-ci-effects made.

``hercules-ci.flake-update.enable = true;`` makes an effect, but the call of the effect
function is the module's own, in the library's file; the user wrote no call. The place
that stands for the effect is then the user's definition of the module's options: the
options the module's file declares (``options.hercules-ci.flake-update = …``), found as
an attribute path (``hercules-ci.flake-update = {``, ``hercules-ci = { flake-update =``,
or under ``config.``) in the project's own files. Nix's module system says only which
file defined an option; the syntax trees say where in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..frontend import parse_checked
from ..syntax import nodes as n
from ..syntax.source import Source

if TYPE_CHECKING:
    from ..eval.machine import Machine


@dataclass(frozen=True)
class Definition:
    """The user's definition of a library module's option (`option`, dotted)."""

    option: str
    source: Source
    span: n.Span


def module_definition(machine: Machine, module: Source, inputs: list[str]) -> Definition | None:
    """The first definition, in the project's files, of an option that the library
    module `module` declares; None when there is none to be found (the options were set
    from another input's module, or through a computed name). `inputs` are the
    directories of pinned sources, which are not the project's files."""
    declared = _declared(module)
    if not declared:
        return None
    # The first file read is the entry point (flake.nix): the files in that order.
    for source, expr in _project_files(machine, inputs):
        for option in declared:
            span = _defined(expr, option)
            if span is not None:
                return Definition(".".join(option), source, span)
    return None


def _declared(module: Source) -> list[tuple[str, ...]]:
    """The groups of options the module's top-level ``options`` declares: the attribute
    path down to a set of several options (``options.a.b = { x = mkOption …; … }`` and
    ``options = { a.b = { … }; }`` both give ``a.b``). A single option is left out: a
    module that makes effects declares its own group (``hercules-ci.flake-update``),
    while its single options extend flake-parts' own (``perSystem``)."""
    expr, _ = parse_checked(module)
    body = _module_body(expr) if expr is not None else None
    if type(body) is not n.AttrSet:
        return []
    declared: list[tuple[str, ...]] = []
    for binding in body.attrs:
        if binding.name == "options" and type(binding.value) is n.AttrSet:
            for option in binding.value.attrs:
                group = _group(option)
                if group is not None:
                    declared.append(group)
    return declared


def _group(binding: n.AttrDef) -> tuple[str, ...] | None:
    """A binding's attribute path down to the set that holds more than one name, or
    None when it leads to one option."""
    path = [binding.name]
    value = binding.value
    while type(value) is n.AttrSet and len(value.attrs) == 1 and not value.dynamic:
        path.append(value.attrs[0].name)
        value = value.attrs[0].value
    return tuple(path) if type(value) is n.AttrSet else None


def _module_body(expr: n.Expr) -> n.Expr:
    """A module file's set: under its function's arguments, ``let`` and ``with``."""
    while True:
        t = type(expr)
        if t is n.Lambda or t is n.LetIn or t is n.With:
            expr = expr.body  # type: ignore[union-attr]
        else:
            return expr


def _project_files(machine: Machine, inputs: list[str]) -> Iterator[tuple[Source, n.Expr]]:
    """The Nix files of the project this evaluation read, in the order read."""
    outside = tuple(os.path.realpath(d) + os.sep for d in inputs)
    for path, source in machine.files_read.items():
        if os.path.realpath(path).startswith(outside):
            continue
        expr, _ = parse_checked(source)
        if expr is not None:
            yield source, expr


def _defined(expr: n.Expr, option: tuple[str, ...]) -> n.Span | None:
    """Where `expr` first binds the attribute path `option` (or ``config.`` + it)."""
    best: n.Span | None = None
    for node in _attrsets(expr):
        for path in (option, ("config", *option)):
            span = _bound(node, path)
            if span is not None and (best is None or span.start < best.start):
                best = span
    return best


def _bound(attrs: n.AttrSet, path: tuple[str, ...]) -> n.Span | None:
    """The span of the name binding `path` in `attrs` (through nested sets)."""
    for binding in attrs.attrs:
        if binding.name != path[0] or binding.kind is not n.AttrKind.PLAIN:
            continue
        if len(path) == 1:
            return binding.span
        if type(binding.value) is n.AttrSet:
            return _bound(binding.value, path[1:])
    return None


def _attrsets(expr: n.Expr) -> Iterator[n.AttrSet]:
    """Every attribute set in a syntax tree."""
    stack: list[object] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
        elif n.is_node(node) and not isinstance(node, n.Span):
            if type(node) is n.AttrSet:
                yield node
            stack.extend(getattr(node, f.name) for f in n.fields(node))
