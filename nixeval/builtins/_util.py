"""Small helpers shared by the builtin modules."""

from __future__ import annotations

from typing import Any

from ..eval.force import force
from ..values import Attrs


def mk_attrs(**items: Any) -> Attrs:
    return Attrs(dict(items))


__all__ = ["force", "mk_attrs"]
