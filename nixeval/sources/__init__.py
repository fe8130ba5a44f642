"""Sources: the pinned inputs of a project as real, verified source trees.

The first stage of the pipeline (design §4a). A pinned input — a ``flake.lock`` node, a
fetcher call with a hash — names its content by its NAR hash. `locked` reads such a pin,
`lockfile` the graph of them in a ``flake.lock``; `resolve` finds a tree with that content
where a user's machine has one: an explicit override, the Nix store, ci-eval's cache.
What none of them has stays unknown to the evaluator (fetching over the network is a
later step).
"""

from __future__ import annotations

from .locked import LockedInput, LockError
from .lockfile import LockFile
from .resolve import CacheError, Resolved, add_to_cache, cache_dir, resolve, store_dir

__all__ = [
    "CacheError",
    "LockError",
    "LockFile",
    "LockedInput",
    "Resolved",
    "add_to_cache",
    "cache_dir",
    "resolve",
    "store_dir",
]
