"""Forcing: the one place a thunk runs (Tvix's states: suspended, blackhole, evaluated)."""

from __future__ import annotations

from typing import Any

from ..values import BLACKHOLE, EVALUATED, SUSPENDED, Thunk
from . import errors as E
from .env import CTX


def force(item: Any) -> Any:
    """The value of an item: run a thunk (once), or return the value itself."""
    if type(item) is not Thunk:
        return item
    state = item.state
    if state == EVALUATED:
        return item.value
    if state == BLACKHOLE:
        code, env = item.code, item.env
        error = E.InfiniteRecursion("infinite recursion encountered")
        if env is not None and code is not None:
            error.at(env[CTX].source, code.span)
        raise error
    item.state = BLACKHOLE
    try:
        env = item.env
        if env is None:
            value = force(item.code())
        else:
            run = item.run
            value = run(env) if run is not None else env[CTX].machine.eval(item.code, env)
    except BaseException:
        item.state = SUSPENDED
        raise
    item.value = value
    item.state = EVALUATED
    item.code = item.env = item.run = None
    return value
