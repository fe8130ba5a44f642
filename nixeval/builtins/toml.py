"""builtins.fromTOML (Nix 2.8's prim_fromTOML, which parses with toml11).

Python's `tomllib` does the parsing; the result is mapped as prim_fromTOML maps toml11's
values: tables to sets, arrays to lists, integers (toml11 reads them with ``>>`` into an
int64, which saturates out of range), floats, booleans and strings. Dates and times are
refused. Parse errors keep Nix's prefix but carry tomllib's wording, not toml11's.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..values import Attrs
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine

_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1


@builtin("fromTOML", 1)
def from_toml(m: Machine, s: Any) -> Any:
    # Imported here: tomllib (and the datetime it loads) is a cost every process would
    # pay at start-up, for a builtin few files call.
    import tomllib

    text = m.force_string_no_ctx(s)
    try:
        data = tomllib.loads(text, parse_float=_float)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as err:
        raise E.EvalError(f"while parsing a TOML string: [error] {err}") from None
    return _value(data)


def _float(text: str) -> float:
    """A TOML float as Nix 2.8's toml11 reads it: one beyond a double's range is the
    largest double (``1e400`` is ``1.79769e+308``); ``inf`` and ``nan`` are themselves."""
    number = float(text.replace("_", ""))
    if math.isinf(number) and text.lstrip("+-") != "inf":
        return math.copysign(sys.float_info.max, number)
    return number


def _value(v: Any) -> Any:
    if isinstance(v, dict):
        return Attrs({k: _value(x) for k, x in v.items()})
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, bool | float | str):
        return v
    if isinstance(v, int):
        return min(max(v, _INT_MIN), _INT_MAX)
    import datetime  # loaded already: tomllib makes its dates and times with it

    if isinstance(v, datetime.datetime | datetime.date | datetime.time):
        raise E.EvalError("while parsing a TOML string: Dates and times are not supported")
    raise E.EvalError(f"while parsing a TOML string: unsupported value {v!r}")
