"""Control and environment: throw, abort, tryEval, seq, deepSeq, trace, the constants."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.coerce import coerce_to_string
from ..eval.force import force
from ..printing import force_deep, print_value
from ..terminal import escape_lines, nix_log_line
from ..values import Attrs
from .registry import builtin, constant

if TYPE_CHECKING:
    from ..eval.machine import Machine


def _message(m: Machine, item: Any) -> str:
    return coerce_to_string(m, item, set())


@builtin("throw", 1)
def throw(m: Machine, message: Any) -> Any:
    raise E.Thrown(_message(m, message))


@builtin("abort", 1)
def abort(m: Machine, message: Any) -> Any:
    raise E.Aborted(
        f"evaluation aborted with the following error message: '{_message(m, message)}'"
    )


@builtin("tryEval", 1)
def try_eval(m: Machine, e: Any) -> Attrs:
    try:
        force(e)
    except E.Catchable:
        return Attrs({"success": False, "value": False})
    return Attrs({"success": True, "value": e})


@builtin("seq", 2)
def seq(m: Machine, a: Any, b: Any) -> Any:
    force(a)
    return force(b)


@builtin("deepSeq", 2)
def deep_seq(m: Machine, a: Any, b: Any) -> Any:
    force_deep(m, a)
    return force(b)


@builtin("trace", 2)
def trace(m: Machine, message: Any, value: Any) -> Any:
    v = force(message)
    text = v if isinstance(v, str) else print_value(v)
    # As Nix writes it to a stderr that is not a terminal (escape sequences removed, tabs
    # expanded); what could still act on a terminal is shown escaped, line breaks kept.
    print(escape_lines(nix_log_line(f"trace: {text}")), file=sys.stderr)
    return force(value)


@builtin("addErrorContext", 2)
def add_error_context(m: Machine, message: Any, value: Any) -> Any:
    try:
        return force(value)
    except E.EvalError as err:
        err.note(m.force_string(message), None, None)
        raise


@builtin("getEnv", 1)
def get_env(m: Machine, name: Any) -> str:
    key = m.force_string_no_ctx(name)
    return "" if m.pure else m.environ.get(key, "")


@constant("true")
def true(m: Machine) -> bool:
    return True


@constant("false")
def false(m: Machine) -> bool:
    return False


@constant("null")
def null(m: Machine) -> None:
    return None


@constant("currentSystem")
def current_system(m: Machine) -> str:
    return "x86_64-linux"


# Constants Nix's pure evaluation leaves out (`Machine` drops them when pure): the clock
# would make a pure evaluation's result depend on when it ran.
IMPURE_CONSTANTS = ("currentTime",)


@constant("currentTime")
def current_time(m: Machine) -> int:
    return int(time.time())


@constant("langVersion")
def lang_version(m: Machine) -> int:
    return 6


@constant("nixVersion")
def nix_version(m: Machine) -> str:
    return "2.8.0"


@constant("storeDir")
def store_dir(m: Machine) -> str:
    return "/nix/store"
