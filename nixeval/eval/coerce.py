"""Coercion to strings, and string/path concatenation, as Nix 2.8 does them.

`coerce_to_string` is Nix's coerceToString: strings keep their context; paths become the
store path they would be copied to (when `copy_to_store`) or their own text; sets go
through ``__toString`` or ``outPath``; with `coerce_more` (``toString``, derivation
attributes) also booleans, integers, floats, null and lists. `concat_strings` is
``ExprConcatStrings``: ``"a${b}"``, ``a + b`` on strings and paths, ``./a/${b}``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..syntax import nodes as n
from ..syntax.printer import to_nix
from ..syntax.source import Source
from ..values import (
    A_STRING,
    Attrs,
    CStr,
    NixPath,
    StringTemplate,
    Thunk,
    Unknown,
    context_of,
    show_type,
    string_with_context,
)
from . import errors as E
from .env import CTX, Env
from .force import force

if TYPE_CHECKING:
    from .machine import Machine


def canon_path(path: str) -> str:
    """Nix's canonPath: absolute, no ``.``/``..`` components, no repeated or final slash."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def resolve_path_literal(text: str, env: Env) -> NixPath:
    """The path a literal denotes: relative to the file's directory, ``~`` to $HOME."""
    if text.startswith("~"):
        machine = env[CTX].machine
        if machine.access.restricted:
            # Nix 2.8 reads $HOME even in restricted mode (and Nix 2.9+ refuses ``~`` in
            # pure mode with this wording): the user's home is none of untrusted code's
            # business, not even its name. (The caller gives the literal's position.)
            raise E.RestrictedPath(f"the path '{text}' can not be resolved in restricted mode")
        home = machine.environ.get("HOME", os.path.expanduser("~"))
        path = home + text[1:]
    elif text.startswith("/"):
        path = text
    else:
        path = env[CTX].base_dir + "/" + text
    result = canon_path(path)
    if text.endswith("/") and len(text) > 1:
        result += "/"  # only the first piece of an interpolated path keeps its slash
    return NixPath(result)


def copy_to_store(machine: Machine, path: str) -> str:
    """The store path `path` would be copied to (nothing is copied), with its context."""
    from pathlib import Path

    from ..store import StoreError, source_path

    # In restricted mode the resolved path is hashed: a symlink gets its target's store
    # path, as in Nix's restricted mode (checkSourcePath's result is what is added).
    checked = machine.check_path(path)
    if not os.path.lexists(checked):
        raise E.EvalError(f"getting status of '{path}': No such file or directory")
    try:
        store_path = source_path(Path(checked), os.path.basename(path.rstrip("/")) or "source")
    except StoreError as err:
        raise E.EvalError(err.message) from None
    # Reading below the store path reads the source (`import "${./dir}/x.nix"`).
    machine.store_files.setdefault(store_path, path)
    return CStr(store_path, frozenset([store_path]))


def force_string_into(machine: Machine, value: Any, ctx: set[str]) -> str:
    """The text of a value that must be a string (Nix's forceString with a context: no
    coercion, ``{ outPath = "x"; }`` is an error), adding its context to `ctx`."""
    v = machine.force_string(value)
    if type(v) is CStr:
        ctx.update(v.ctx)
    return str(v)


def coerce_to_string(
    machine: Machine,
    value: Any,
    ctx: set[str],
    coerce_more: bool = False,
    copy_to_store_: bool = True,
) -> str:
    """The text of a value, adding its context to `ctx`; EvalError if it has none."""
    v = force(value)
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if t is CStr:
        ctx.update(v.ctx)
        return str(v)
    if t is NixPath:
        if copy_to_store_:
            stored = copy_to_store(machine, v.path)
            ctx.update(context_of(stored))
            return str(stored)
        return v.path  # type: ignore[no-any-return]
    if t is Attrs:
        to_string = v.items.get("__toString")
        if to_string is not None:
            result = machine.call(force(to_string), v)
            return coerce_to_string(machine, result, ctx, coerce_more, copy_to_store_)
        out_path = v.items.get("outPath")
        if out_path is not None:
            return coerce_to_string(machine, out_path, ctx, coerce_more, copy_to_store_)
        raise E.TypeMismatch("cannot coerce a set to a string")
    if t is Unknown:
        path = v.output_path()
        if path is None:
            raise E.NeedsValue(v, "turning it into a string")
        ctx.update(context_of(path))
        return str(path)
    if coerce_more:
        if t is bool:
            return "1" if v else ""
        if t is int:
            return str(v)
        if t is float:
            return f"{v:f}"  # std::to_string(double)
        if v is None:
            return ""
        if t is list:
            pieces: list[str] = []
            last = len(v) - 1
            for i, element in enumerate(v):
                pieces.append(coerce_to_string(machine, element, ctx, coerce_more, copy_to_store_))
                # Nix's own "not quite correct" rule: no space after an empty list.
                if i < last:
                    forced = force(element)
                    if type(forced) is not list or forced:
                        pieces.append(" ")
            return join_text("", pieces)
    raise E.TypeMismatch(f"cannot coerce {show_type(v)} to a string")


def concat_strings(
    machine: Machine,
    parts: list[tuple[Any, Any]],
    force_string: bool,
    env: Env,
    span: n.Span,
) -> Any:
    """Nix's ExprConcatStrings over already evaluated parts ``(value, node)``.

    The first part decides the result: a number sums, a path gives a path (the rest is
    appended as text, and may not refer to the store), anything else gives a string.
    """
    ctx: set[str] = set()
    first_type = "string"
    total_int = 0
    total_float = 0.0
    texts: list[str] = []
    source = env[CTX].source
    forced = [(force(value), node) for value, node in parts]
    if any(type(v) is Unknown and v.output_path() is None for v, _ in forced):
        try:
            return _unknown_concat(forced, force_string, env, span, machine)
        except E.EvalError as err:
            raise err.at(source, span) from None
    for index, (v, node) in enumerate(forced):
        where = node.span if node is not None and not isinstance(node, str) else span
        if index == 0 and not force_string:
            t = type(v)
            if t is int:
                first_type = "int"
            elif t is float:
                first_type = "float"
            elif t is NixPath:
                first_type = "path"
        if first_type == "int":
            if type(v) is int:
                total_int = wrap(total_int + v)
                continue
            if type(v) is float:
                first_type = "float"
                total_float = float(total_int) + v
                continue
            raise E.TypeMismatch(f"cannot add {show_type(v)} to an integer").at(source, where)
        if first_type == "float":
            if type(v) is int or type(v) is float:
                total_float += v
                continue
            raise E.TypeMismatch(f"cannot add {show_type(v)} to a float").at(source, where)
        try:
            texts.append(
                coerce_to_string(machine, v, ctx, False, copy_to_store_=first_type == "string")
            )
        except E.NeedsValue:
            if not machine.unknowns:
                raise
            # A set whose outPath (or __toString result) is unknown: so is the string.
            return _unknown_concat(forced, force_string, env, span, machine)
        except E.EvalError as err:
            raise err.at(source, where) from None
    if first_type == "int":
        return total_int
    if first_type == "float":
        return total_float
    if first_type == "path":
        if ctx:
            raise E.EvalError(
                "a string that refers to a store path cannot be appended to a path"
            ).at(source, span)
        text = "".join(texts)
        return NixPath(canon_path(text))
    return string_with_context("".join(texts), ctx)


def _unknown_concat(
    parts: list[tuple[Any, Any]],
    force_string: bool,
    env: Env,
    span: n.Span,
    machine: Machine,
) -> Any:
    """``"${u}/overlay.nix"`` and friends: a string is a template, known but for its
    unknown parts (`string_template`); anything else (``u + 1``, a path) an unknown whose
    provenance shows the sum."""
    from ..printing import print_value

    # An interpolation, or a sum whose first operand is a string, is a string.
    first = parts[0][0] if parts else None
    if force_string or is_string(first):
        ctx: set[str] = set()
        pieces: list[str | Unknown] = []
        for v, _node in parts:
            pieces.append(_template_part(machine, v, ctx))
        return string_template(pieces, ctx, env[CTX].source, span)
    shown: list[str] = []
    for v, _node in parts:
        if type(v) is Unknown:
            shown.append("${" + v.provenance + "}")
        elif isinstance(v, str):
            shown.append(str(v))
        elif type(v) is NixPath:
            shown.append(v.path)
        else:
            shown.append("${" + print_value(v) + "}")
    return Unknown("".join(shown), env[CTX].source, span)


def is_string(value: Any) -> bool:
    """Whether a forced value is known to be a string: a string, or an unknown string."""
    t = type(value)
    if t is str or t is CStr:
        return True
    return t is Unknown and value.model is not None and value.model.nix_type == "string"


def _template_part(machine: Machine, value: Any, ctx: set[str]) -> str | Unknown:
    """One part of a string template: its text (context into `ctx`), or the unknown."""
    if type(value) is Unknown:
        return value
    try:
        return coerce_to_string(machine, value, ctx, False, True)
    except E.NeedsValue as err:
        # A set whose outPath (or __toString result) is unknown.
        return err.unknown if type(err.unknown) is Unknown else Unknown(str(err.message))


def string_template(
    parts: list[str | Unknown], ctx: set[str], source: Source | None, span: n.Span | None
) -> Any:
    """The string of `parts` (texts and unknowns): a string when none is unknown, else an
    unknown string whose `StringTemplate` model keeps the known texts (a template part is
    spliced in, so templates do not nest)."""
    flat: list[str | Unknown] = []
    for part in parts:
        if type(part) is Unknown and isinstance(part.model, StringTemplate):
            ctx.update(part.model.context)
            flat.extend(part.model.parts)
        elif type(part) is Unknown and (path := part.output_path()) is not None:
            ctx.update(context_of(path))
            flat.append(path)
        else:
            flat.append(part)
    merged: list[str | Unknown] = []
    texts: list[str] = []
    for part in flat:
        if type(part) is Unknown:
            if texts:
                merged.append("".join(texts))
                texts = []
            merged.append(part)
        else:
            texts.append(str(part))
    if not merged:
        return string_with_context("".join(texts), ctx)
    if texts:
        merged.append("".join(texts))
    model = StringTemplate(tuple(p for p in merged if p != ""), frozenset(ctx))
    # A part shown as its Nix text (``${command}``) says what it needed at bottom.
    needs: list[str] = []
    for part in model.holes():
        root = part.root()
        if root is not part and root.provenance not in needs:
            needs.append(root.provenance)
    which = f" (which needs {', '.join(needs)})" if needs else ""
    return Unknown(f'"{model.text()}"{which}', source, span, model=model)


def template_part(machine: Machine, item: Any, ctx: set[str]) -> str | Unknown:
    """An item (maybe a thunk) coerced to a string as a part of a template: its text, or,
    when it needs an unknown, the unknown part (see `hole`)."""
    try:
        value = force(item)
    except E.NeedsValue as err:
        code = item.code if type(item) is Thunk else None
        if not isinstance(code, n.Expr) or type(err.unknown) is not Unknown:
            raise
        return hole(code, item.env[CTX].source, err)
    return _template_part(machine, value, ctx)


def hole(expr: n.Expr, source: Source, err: E.NeedsValue) -> Unknown:
    """The unknown part of a string where `expr` needed an unknown (``"…${if u then a
    else b}…"``): shown as its Nix text, needing (`cause`) what it needed at bottom."""
    part = Unknown(to_nix(expr), source, expr.span, model=A_STRING)
    if type(err.unknown) is Unknown:
        part.cause = err.unknown.root()
    return part


# Above this many characters, join_text joins in steps.
JOIN_STEP = 1 << 24


def join_text(separator: str, pieces: list[str]) -> str:
    """``separator.join(pieces)``, in steps when the result is big.

    Pieces may all be the same string (``concatStringsSep "" (genList (_: s) n)``), so
    one C-level join could build gigabytes from little: the budget (`nixeval.budget`)
    could neither see that memory grow nor interrupt the copy. Joined `JOIN_STEP`
    characters at a time, the growth is seen and interruptible; only the last copy is
    whole, and by then the memory it doubles has been in view of the budget.
    """
    total = sum(map(len, pieces)) + len(separator) * max(len(pieces) - 1, 0)
    if total <= JOIN_STEP:
        return separator.join(pieces)
    chunks: list[str] = []
    group: list[str] = []
    size = 0
    for piece in pieces:
        group.append(piece)
        size += len(piece) + len(separator)
        if size >= JOIN_STEP:
            chunks.append(separator.join(group))
            group, size = [], 0
    if group:
        chunks.append(separator.join(group))
    return separator.join(chunks)


_INT_MASK = (1 << 64) - 1
# Nix's integers are those in [-INT_LIMIT, INT_LIMIT). (The evaluator's hottest
# operators test this themselves and call `wrap` only past it: a Python call less.)
INT_LIMIT = 1 << 63
_INT_SIGN = INT_LIMIT


def wrap(value: int) -> int:
    """Nix integers are 64-bit; arithmetic that overflows wraps around (as it does in C++)."""
    if -_INT_SIGN <= value < _INT_SIGN:
        return value
    value &= _INT_MASK
    return value - (1 << 64) if value & _INT_SIGN else value
