"""``ci-eval check --hook``: which files a pre-commit hook checks.

A commit can break the Hercules CI evaluation without touching the entry point: deleting a
file named in ``networkFiles``, editing a ``.nix`` file it imports, or a README-only commit
on a branch whose ``ci.nix`` is already broken. So the hook always checks the file the
Hercules CI agent evaluates at the repository root, as the agent picks it, together with
the ``.nix`` files the commit changed (pre-commit passes them; other names are dropped, so
a hook may pass every changed file).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..diagnostics import Diagnostic, unplaced


def hook_files(given: Sequence[str]) -> tuple[list[str], list[Diagnostic]]:
    """The files `check --hook` checks: the agent's entry point of the repository of the
    current directory (first, once, even if also given) and the given ``.nix`` files;
    and an E008 if the agent would find no entry point."""
    from ..checkout import repo_root
    from ..hercules.files import NoCiFile, entry_point

    nix_files = [name for name in given if name.endswith(".nix")]
    try:
        entry = entry_point(repo_root(os.getcwd()))
    except NoCiFile as err:
        return nix_files, [unplaced("E008", str(err), os.path.relpath(err.place))]
    entry = os.path.relpath(entry)
    rest = [name for name in nix_files if os.path.abspath(name) != os.path.abspath(entry)]
    return [entry, *dict.fromkeys(rest)], []
