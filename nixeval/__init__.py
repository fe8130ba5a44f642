"""ci-eval: an offline Nix evaluator front end for Hercules CI ci.nix files.

The Python API for tools built on ci-eval is `open_project`: a repository opened as the
Hercules CI agent opens it (the file it picks, a flake with its pinned inputs, the agent's
arguments and defaults), ready to walk to its effects::

    import nixeval

    project = nixeval.open_project("path/to/repo", branch="main")
    for attr_path, value in project.walk():
        ...

Importing this package loads nothing else; `open_project` loads the evaluator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hercules.project import Project

__version__ = "0.1.0"
__all__ = ["__version__", "open_project"]


def open_project(
    path: str | None = None,
    *,
    branch: str | None = None,
    ref: str | None = None,
    tag: str | None = None,
    overrides: Mapping[str, str] | None = None,
    offline: bool = True,
    impure: bool = False,
) -> Project:
    """Open the project at `path` (a file, or a directory searched as the agent does; the
    current directory if None) as if on `branch` / `ref` / `tag` (else git's), evaluating
    purely unless `impure`. Pinned inputs come from `overrides` (``--override-input``'s
    input paths to directories), the Nix store and ci-eval's cache, and — unless
    `offline` (the default here) — the network."""
    import os

    from .checkout import checkout_for
    from .commands.purity import project_machine
    from .hercules.files import find_file
    from .hercules.project import load_project
    from .sources.session import Sources

    file = os.path.abspath(find_file(path))
    sources = Sources.for_command((overrides or {}).items(), offline)
    machine = project_machine(file, (), impure, False, sources)
    checkout = checkout_for(os.path.dirname(file), branch, ref, tag)
    return load_project(machine, file, checkout)
