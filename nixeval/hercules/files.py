"""Which file Hercules CI evaluates in a directory (kept apart from the traversal so
``check`` can ask without loading the evaluator).

The agent looks in three groups, and the first group with a file wins
(``../shared/spec/hercules-agent.md`` §1): ``nix/ci.nix`` or ``ci.nix`` — both is an error
—, then ``flake.nix``, then ``default.nix``. So a repository with a ``flake.nix`` and a
flake-compat ``default.nix`` is evaluated as a flake, and a deeper ``ci.nix`` (a
flake-parts module that happens to be named so) is never an entry point.
"""

from __future__ import annotations

import os

__all__ = ["AGENT_GROUPS", "CANDIDATES", "NoCiFile", "entry_point", "find_file", "is_flake"]

AGENT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("nix/ci.nix", "ci.nix"),
    ("flake.nix",),
    ("default.nix",),
)
# The names the agent looks for, in its order.
CANDIDATES = tuple(name for group in AGENT_GROUPS for name in group)


class NoCiFile(FileNotFoundError):
    """No file to evaluate, or two: the message says where and what was looked for;
    `place` is the file (or directory) it is about."""

    def __init__(self, message: str, place: str) -> None:
        super().__init__(message)
        self.place = place


def entry_point(directory: str | None) -> str:
    """The file the Hercules CI agent evaluates in `directory` (the current directory if
    None), joined to `directory` as given (so it stays relative when that is); NoCiFile
    when there is none, or when both files of the first group are there."""
    where = "the current directory" if directory is None else f"'{directory}'"
    for group in AGENT_GROUPS:
        here = [name if directory is None else os.path.join(directory, name) for name in group]
        found = [path for path in here if os.path.isfile(path)]
        if len(found) > 1:
            raise NoCiFile(
                f"Hercules CI evaluates neither {' nor '.join(group)} in {where}: it expects "
                "only one of them",
                found[-1],
            )
        if found:
            return found[0]
    looked = ", ".join(CANDIDATES[:-1]) + f" or {CANDIDATES[-1]}"
    raise NoCiFile(f"no ci file in {where}: looked for {looked}", directory or ".")


def find_file(path: str | None) -> str:
    """The file to evaluate: `path` itself if it is not a directory, else the agent's
    `entry_point` of the directory `path` (the current directory if None)."""
    if path is not None and not os.path.isdir(path):
        if os.path.lexists(path):  # a broken or looping link: reading it says which
            return path
        raise NoCiFile(f"cannot read '{path}': no such file or directory", path)
    return entry_point(path)


def is_flake(file: str) -> bool:
    """Whether `file` is evaluated as a flake (it is a ``flake.nix``)."""
    return os.path.basename(file) == "flake.nix"
