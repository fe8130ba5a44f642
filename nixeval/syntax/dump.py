"""A compact s-expression dump of the AST, for golden tests: ``(Apply (Var f) (Int 1))``.

Positions are left out (the fields that take no part in equality: spans, `AttrDef.pos`);
fields print in declaration order; tuples print as ``[…]``, strings in
JSON quotes, enums by their Nix spelling, None as ``_``.
"""

from __future__ import annotations

import enum
import json

from .nodes import Expr, Span, fields, is_node


def dump(node: object) -> str:
    """The s-expression of any node (or tuple of nodes, or field value)."""
    out: list[str] = []
    _dump(node, out)
    return "".join(out)


def _dump(x: object, out: list[str]) -> None:
    if x is None:
        out.append("_")
    elif isinstance(x, bool):
        out.append("true" if x else "false")
    elif isinstance(x, (int, float)):
        out.append(repr(x))
    elif isinstance(x, str):
        out.append(json.dumps(x, ensure_ascii=False))
    elif isinstance(x, enum.Enum):
        out.append(str(x.value))
    elif isinstance(x, tuple):
        out.append("[")
        for i, item in enumerate(x):
            if i:
                out.append(" ")
            _dump(item, out)
        out.append("]")
    elif is_node(x) and not isinstance(x, Span):
        out.append(f"({type(x).__name__}")
        for f in fields(x):
            if not f.compare:  # a position
                continue
            out.append(" ")
            _dump(getattr(x, f.name), out)
        out.append(")")
    else:  # pragma: no cover - nothing else is in an AST
        raise TypeError(f"cannot dump {type(x).__name__}")


__all__ = ["Expr", "dump"]
