"""Forcing: the one place a thunk runs (Tvix's states: suspended, blackhole, evaluated)."""

from __future__ import annotations

from typing import Any

from ..values import BLACKHOLE, Thunk
from . import errors as E
from .env import CTX


def force(item: Any) -> Any:
    """The value of an item: run a thunk (once), or return the value itself."""
    if type(item) is not Thunk:
        return item
    run = item.run
    if run is None:
        return item.value
    if run is BLACKHOLE:
        code, env = item.code, item.env
        error = E.InfiniteRecursion("infinite recursion encountered")
        if env is not None and code is not None:
            error.at(env[CTX].source, code.span)
        raise error
    item.run = BLACKHOLE
    try:
        env = item.env
        value = force(run()) if env is None else run(env)
    except BaseException:
        item.run = run
        raise
    item.value = value
    item.run = item.code = item.env = None
    return value
