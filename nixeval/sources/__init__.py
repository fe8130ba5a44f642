"""Sources: the pinned inputs of a project as real, verified source trees.

The first stage of the pipeline (design §4a). A pinned input — a ``flake.lock`` node, a
fetcher call with a hash — names its content by its NAR hash. `locked` reads such a pin,
`lockfile` the graph of them in a ``flake.lock``, `flakeref` the lock node a flake
reference (``builtins.getFlake``'s argument) names; `resolve` finds a tree with that content
where a user's machine has one: an explicit override, the Nix store, ci-eval's cache.
`fetch` gets it over the network into the cache, verified, and `obtain` tries them all
in that order. What none of them has stays unknown to the evaluator.
"""

from __future__ import annotations

from .fetch import FetchError, NotAvailable, fetch, obtain
from .flakeref import FlakeRefError, parse_flake_ref
from .locked import LockedInput, LockError
from .lockfile import LockFile
from .resolve import CacheError, Resolved, add_to_cache, cache_dir, resolve, store_dir

__all__ = [
    "CacheError",
    "FetchError",
    "FlakeRefError",
    "LockError",
    "LockFile",
    "LockedInput",
    "NotAvailable",
    "Resolved",
    "add_to_cache",
    "cache_dir",
    "fetch",
    "obtain",
    "parse_flake_ref",
    "resolve",
    "store_dir",
]
