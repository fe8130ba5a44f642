"""Which file Hercules CI evaluates in a directory (kept apart from the traversal so
``check`` can ask without loading the evaluator)."""

from __future__ import annotations

import os

__all__ = ["CANDIDATES", "NoCiFile", "find_file", "is_flake"]

# Hercules CI's search order in a directory; legacy files first (design §5).
CANDIDATES = ("nix/ci.nix", "ci.nix", "default.nix", "flake.nix")


class NoCiFile(FileNotFoundError):
    """No file to evaluate: the message says where, and what was looked for."""


def find_file(path: str | None) -> str:
    """The file to evaluate: `path` itself if it is a file, else the first of
    `CANDIDATES` in the directory `path` (the current directory if None), joined to
    `path` as given (so it stays relative when `path` is)."""
    if path is not None and not os.path.isdir(path):
        if os.path.exists(path):
            return path
        raise NoCiFile(f"cannot read '{path}': no such file or directory")
    for candidate in CANDIDATES:
        found = candidate if path is None else os.path.join(path, candidate)
        if os.path.isfile(found):
            return found
    where = "the current directory" if path is None else f"'{path}'"
    looked = ", ".join(CANDIDATES[:-1]) + f" or {CANDIDATES[-1]}"
    raise NoCiFile(f"no ci file in {where}: looked for {looked}")


def is_flake(file: str) -> bool:
    """Whether `file` is evaluated as a flake (it is a ``flake.nix``)."""
    return os.path.basename(file) == "flake.nix"
