"""The run backends: what ``ci-eval run`` hands a description to.

Each backend is one module of this package, named as the backend (``plan``, ``script``,
``local``), defining ``BACKEND``: a `Backend` subclass. `names` lists them without
importing them and `backend` imports the one asked for, so a new backend is one new
module here and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

from ..effects.secrets import Pretend
from ..execution.model import RunEffect


@dataclass
class RunRequest:
    """What a backend is given: the validated description, its effects as `RunEffect`s,
    and the options of the command line."""

    document: dict[str, Any]
    effects: list[RunEffect]
    base: Path  # the directory of the ci.nix: relative paths of the description start here
    pretend: Pretend
    output: str = "text"  # plan: text | json
    secrets: str | None = None
    state_dir: str = ".ci-eval/state"


class Backend(ABC):
    """Acts on a description. `run` returns the exit status; a backend that refuses
    raises `nixeval.execution.model.Refused` before it has done anything."""

    name: ClassVar[str]
    summary: ClassVar[str]

    @abstractmethod
    def run(self, request: RunRequest, stdout: IO[str], stderr: IO[str]) -> int: ...


def names() -> list[str]:
    """The backends there are."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def backend(name: str) -> Backend:
    module = importlib.import_module(f"{__name__}.{name}")
    cls: type[Backend] = module.BACKEND
    return cls()
