"""Flake references as ``builtins.getFlake`` takes them, parsed into the lock node they
name: the ``locked`` object a ``flake.lock`` holds for such an input, with Nix's
attributes (``type``, ``owner``, ``repo``, ``rev``, ``ref``, ``host``, ``url``, ``path``,
``narHash``, ``dir``, ``lastModified``, ``revCount``; ``id`` for an indirect reference).

    github:numtide/flake-utils/<rev>?narHash=sha256-…    (gitlab:, sourcehut: alike)
    git+https://example.org/r.git?rev=<rev>&narHash=…    (git+ssh:, git+file:, …)
    https://example.org/r.tar.gz?narHash=…               (tarball+https:… too)
    path:/abs/dir?narHash=…    /abs/dir    nixpkgs/nixos-23.11 (indirect: the registry)

Whether a reference is locked is Nix 2.8's rule (`is_locked`): a forge or git reference
by its ``rev``, a path or tarball by its ``narHash``; an indirect one never is. Unlike
Nix 2.8 (which keeps it in the URL it downloads), ``narHash`` is not part of a tarball's
``url``, as later Nix versions and the lock files they write have it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

# Reference types a git revision locks; the others (path, tarball) are locked by NAR hash.
_LOCKED_BY_REV = ("github", "gitlab", "sourcehut", "git", "hg")
_FORGES = ("github", "gitlab", "sourcehut")
_REV = re.compile(r"[0-9a-f]{40}")
# Nix's flakeIdRegex, and its indirect references: `id`, `id/ref`, `id/rev`, `id/ref/rev`.
_INDIRECT = re.compile(
    r"(?:flake:)?(?P<id>[a-zA-Z][a-zA-Z0-9_-]*)"
    r"(?:/(?:(?P<rev>[0-9a-f]{40})|(?P<ref>[a-zA-Z0-9@][a-zA-Z0-9_.+/-]*?)(?:/(?P<rev2>[0-9a-f]{40}))?))?"
)
# The suffixes by which a plain http(s) or file URL is a tarball (Nix 2.8's list).
_ARCHIVES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst")
# Query parameters that are attributes of the reference, not part of a fetched URL.
_GIT_PARAMS = ("rev", "ref", "narHash", "dir", "submodules", "shallow", "lastModified", "revCount")
_INT_PARAMS = ("lastModified", "revCount")


class FlakeRefError(ValueError):
    """A string that is not a flake reference: the message says why, as Nix does."""


def parse_flake_ref(text: str) -> dict[str, Any]:
    """The lock node `text` names; `FlakeRefError` when it is not a flake reference."""
    base, _, fragment = text.partition("#")
    if fragment:
        raise FlakeRefError(f"unexpected fragment '{fragment}' in flake reference '{text}'")
    if base.startswith(("/", ".")):
        path, _, query = base.partition("?")
        return _with_params(text, {"type": "path", "path": path}, query, ("narHash",))
    indirect = _INDIRECT.fullmatch(base)
    if indirect is not None:
        node = {"type": "indirect", "id": indirect["id"]}
        if indirect["ref"]:
            node["ref"] = indirect["ref"]
        if indirect["rev"] or indirect["rev2"]:
            node["rev"] = indirect["rev"] or indirect["rev2"]
        return node
    scheme, colon, rest = base.partition(":")
    if not colon:
        raise FlakeRefError(f"'{text}' is not a valid flake reference")
    location, _, query = rest.partition("?")
    if scheme in _FORGES:
        return _forge(text, scheme, location, query)
    if scheme == "path":
        return _with_params(text, {"type": "path", "path": location}, query, ("narHash", "rev"))
    transport = scheme.partition("+")
    if transport[0] == "git" and transport[1]:
        return _git(text, transport[2], location, query)
    if transport[0] == "hg" and transport[1]:
        return _with_params(
            text, {"type": "hg", "url": f"{transport[2]}:{location}"}, query, ("rev", "ref")
        )
    if transport[0] == "tarball" and transport[1]:
        return _tarball(text, transport[2], location, query)
    if scheme in ("http", "https", "file") and location.endswith(_ARCHIVES):
        return _tarball(text, scheme, location, query)
    raise FlakeRefError(f"input '{text}' is unsupported")


def is_locked(node: dict[str, Any]) -> bool:
    """Whether the reference pins one content (Nix 2.8's ``isLocked``): pure evaluation
    refuses any other."""
    kind = node.get("type")
    if kind in _LOCKED_BY_REV:
        return "rev" in node
    if kind in ("path", "tarball"):
        return "narHash" in node
    return False


def local_directory(node: dict[str, Any]) -> str | None:
    """The directory of a reference to the local file system (``path:``, a plain path,
    ``git+file:``), with its ``dir``; None for any other."""
    kind = node.get("type")
    if kind == "path":
        directory = str(node["path"])
    elif kind == "git" and str(node.get("url", "")).startswith("file://"):
        directory = str(node["url"])[len("file://") :]
    else:
        return None
    subdir = node.get("dir")
    return f"{directory.rstrip('/')}/{subdir}" if subdir else directory


def _forge(text: str, kind: str, location: str, query: str) -> dict[str, Any]:
    parts = location.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise FlakeRefError(f"URL '{text}' is invalid")
    node: dict[str, Any] = {"type": kind, "owner": parts[0], "repo": parts[1]}
    if len(parts) > 2:
        # A rev, or a ref (which may have slashes of its own: `release/1.0`).
        rest = "/".join(parts[2:])
        node["rev" if _REV.fullmatch(rest) else "ref"] = rest
    params = dict(parse_qsl(query, keep_blank_values=True))
    if "rev" in params and "rev" in node:
        raise FlakeRefError(f"URL '{text}' contains multiple commit hashes")
    if "ref" in params and "ref" in node:
        raise FlakeRefError(f"URL '{text}' contains multiple branch/tag names")
    node = _with_params(text, node, query, ("rev", "ref", "host", "narHash"))
    if "rev" in node and "ref" in node:
        raise FlakeRefError(
            f"URL '{text}' contains both a commit hash and a branch/tag name "
            f"{node['ref']} {node['rev']}"
        )
    return node


def _git(text: str, transport: str, location: str, query: str) -> dict[str, Any]:
    if not transport:
        raise FlakeRefError(f"input '{text}' is unsupported")
    params = parse_qsl(query, keep_blank_values=True)
    # What is not an attribute of the reference stays in the URL git fetches.
    kept = [(k, v) for k, v in params if k not in _GIT_PARAMS]
    url = f"{transport}:{location}" + (f"?{urlencode(kept)}" if kept else "")
    node = _with_params(text, {"type": "git", "url": url}, query, _GIT_PARAMS)
    for flag in ("submodules", "shallow"):
        if flag in node:
            node[flag] = node[flag] in ("1", "true")
    return node


def _tarball(text: str, transport: str, location: str, query: str) -> dict[str, Any]:
    params = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in params if k not in ("narHash", "dir")]
    url = f"{transport}:{location}" + (f"?{urlencode(kept)}" if kept else "")
    return _with_params(text, {"type": "tarball", "url": url}, query, ("narHash",))


def _with_params(
    text: str, node: dict[str, Any], query: str, allowed: tuple[str, ...]
) -> dict[str, Any]:
    """`node` with the attributes of the query string that `allowed` names (``dir`` and
    the integer ``lastModified`` / ``revCount`` are allowed everywhere); the others
    stay out of the node."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "dir":
            if value:
                node["dir"] = value
        elif key in _INT_PARAMS:
            if not value.isdigit():
                raise FlakeRefError(f"'{key}' of flake reference '{text}' is not an integer")
            node[key] = int(value)
        elif key in allowed:
            node[key] = value
    return node
