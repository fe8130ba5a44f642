"""How Nix 2.8 writes numbers and strings as text: a double as C++'s ``ostream`` does,
a string in double quotes as ``printValue`` and ``Expr::show`` escape it. Shared by the
value printer (`nixeval.printing`) and the expression shower (`nixeval.syntax.show`)."""

from __future__ import annotations

import math


def format_float(x: float) -> str:
    """A double as C++'s ``ostream << double`` writes it (``%g``, 6 significant digits)."""
    if math.isnan(x):
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:g}"


def escape_string(s: str, dollars: str = "${") -> str:
    """A string as Nix prints it, in double quotes. `dollars`: which '$' get a backslash,
    "${" (those before '{', as printValue does for strings) or "$" (all of them, as for
    attribute names)."""
    out = ['"']
    for i, c in enumerate(s):
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "$" and (dollars == "$" or s.startswith("{", i + 1)):
            out.append("\\$")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)
