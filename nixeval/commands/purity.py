"""How the commands that read a project evaluate it: purely (design §7), the one place
that says so for ``check``, the main job and ``run FILE -A``.

Pure evaluation is Nix's restricted mode plus its pure mode: Nix code reads only below
the readable roots (`readable_roots`), ``builtins.getEnv`` is ``""``,
``builtins.currentTime`` does not exist, and ``<name>`` looks only at ``-I`` entries
(never ``$NIX_PATH``). The main job's ``--impure`` is the way out (`impure_machine`):
the environment, ``$NIX_PATH`` and any path, as ``nix-instantiate`` has them.
``--eval``/``--parse`` are nix-instantiate's and do not come here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..eval.machine import Machine
from ..sources.session import Sources
from .eval import search_path

# E112's help where the command has a way out (the main job); check and run have none.
IMPURE_HINT = (
    "ci-eval reads only the repository and the -I paths; --impure lifts that (and lets "
    "the evaluation see the environment and NIX_PATH)"
)


def readable_roots(repository: str, search: Sequence[tuple[str, str]]) -> list[str]:
    """The directories pure evaluation may read below: the repository, then each ``-I``
    entry (Nix's restricted mode allows its search path too). The input sources resolved
    for the project are added as they are resolved (`PathAccess.allow`)."""
    return [repository, *(path for _, path in search)]


def pure_machine(
    repository: str,
    include: Sequence[str] = (),
    offer_impure: bool = False,
    sources: Sources | None = None,
) -> Machine:
    """A machine that evaluates the project in `repository` purely, with the ``-I``
    entries `include` as its search path (and readable). With `offer_impure`, a refused
    read says how ``--impure`` lifts the restriction. `sources` says where pinned inputs
    come from (by default the store and the cache, never the network); each one resolved
    becomes readable too."""
    # A URL entry would need the network, which ci-eval never uses: as unresolvable
    # offline, its <name> stays unknown, as it does impurely.
    search = [(prefix, path) for prefix, path in search_path(include, None) if path[:1] == "/"]
    return Machine(
        search_path=search,
        environ={},
        pure=True,
        unknowns=True,
        allowed_paths=readable_roots(repository, search),
        restricted_hint=IMPURE_HINT if offer_impure else None,
        sources=sources,
    )


def impure_machine(include: Sequence[str] = (), sources: Sources | None = None) -> Machine:
    """The main job's ``--impure``: the ``-I`` entries then ``$NIX_PATH``, the real
    environment, any path."""
    return Machine(
        search_path=search_path(include, os.environ.get("NIX_PATH")),
        unknowns=True,
        sources=sources,
    )


def project_machine(
    file: str,
    include: Sequence[str],
    impure: bool,
    offer_impure: bool,
    sources: Sources | None,
) -> Machine:
    """The machine that evaluates the project of `file`: pure, with the repository of
    `file` as its root (`pure_machine`), or ``--impure``'s."""
    if impure:
        return impure_machine(include, sources)
    from ..checkout import repo_root

    return pure_machine(repo_root(file), include, offer_impure, sources)
