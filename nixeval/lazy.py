"""Names of a package loaded on first use (PEP 562): a package's ``__getattr__`` that imports
the module a name lives in only when the name is first asked for, and keeps it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def loaded_on_first_use(package: str, modules: dict[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of `package` for `modules` (each name to the submodule, relative
    to `package`, it is imported from)."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
