"""The checkout a ci file is evaluated for: what Hercules CI passes as ``src`` to a legacy
``ci.nix``, and as the argument of a flake's ``herculesCI`` function
(hercules-effects.md §9).

Hercules CI knows these from the forge's push event; offline they come from
``--as-branch``/``--as-ref``/``--as-tag`` and from git. What neither says is an `Unknown`
whose provenance tells how to supply it, so ``src.ref == "refs/heads/production"`` stops
with a diagnostic naming ``src.ref`` instead of guessing.

Which fields are known follows one rule: ``ref`` known (from a flag, or a branch checked
out) makes ``branch`` and ``tag`` known too (``null`` when the ref is not of that kind);
``rev`` known makes ``shortRev`` known; the remote's URL, owner and name are known when
``remote.origin.url`` is a forge URL.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .values import Attrs, NixPath, Unknown

if TYPE_CHECKING:
    from .eval.machine import Machine

# The git executable (tests point it at a missing file to see a machine without git).
GIT = "git"
# Seconds any one git command may take: a hung git (a lock, a network filesystem, a
# credential prompt) must not hang the evaluation.
GIT_TIMEOUT = 5.0

_REF_HOW = "pass --as-branch, --as-ref or --as-tag"
_REV_HOW = "evaluate in a git checkout with a commit"
_REMOTE_HOW = "set git's remote.origin.url to the repository's forge URL"


@dataclass(frozen=True)
class Checkout:
    """The checkout's metadata. None means "not known", except for `branch` and `tag`
    when `ref` is known (then None is Nix's ``null``: the ref is not a branch / tag)."""

    ref: str | None
    branch: str | None
    tag: str | None
    rev: str | None
    short_rev: str | None
    root: str
    remote_http_url: str | None
    owner: str | None
    repo: str | None

    def to_json(self) -> dict[str, str | None]:
        """The description's ``checkout``: ``ref``, ``branch``, ``tag``, ``rev``."""
        return {"ref": self.ref, "branch": self.branch, "tag": self.tag, "rev": self.rev}

    def src_value(self, machine: Machine) -> Attrs:
        """What Hercules CI passes as ``src`` to a legacy ci.nix: the input's metadata
        ``// { outPath = <checkout>; }``."""
        items = self._revision_fields("src.")
        items["outPath"] = NixPath(os.path.abspath(self.root))
        items["remoteHttpUrl"] = _known(
            self.remote_http_url, "src.remoteHttpUrl", "the repository's https URL", _REMOTE_HOW
        )
        return Attrs(items)

    def herculesci_args(self, machine: Machine) -> Attrs:
        """The argument of a flake's ``herculesCI`` function: ``ref``, ``branch``, ``tag``,
        ``rev``, ``shortRev``, ``primaryRepo`` (those and the forge fields), and
        ``herculesCI.config.repo`` (the same, as flake-parts' module exposes it)."""
        items = self._revision_fields("")
        items["primaryRepo"] = self._repo("primaryRepo.")
        config = Attrs({"repo": self._repo("herculesCI.config.repo.")})
        items["herculesCI"] = Attrs({"config": config})
        return Attrs(items)

    # --- the pieces ----------------------------------------------------------------------

    def _revision_fields(self, prefix: str) -> dict[str, Any]:
        """``ref``, ``branch``, ``tag``, ``rev``, ``shortRev``, named with `prefix` when
        unknown."""
        known_ref = self.ref is not None
        return {
            "ref": _known(self.ref, f"{prefix}ref", "the checkout's git ref", _REF_HOW),
            "branch": self.branch
            if known_ref
            else Unknown(f"{prefix}branch (the checkout's branch: {_REF_HOW})"),
            "tag": self.tag
            if known_ref
            else Unknown(f"{prefix}tag (the checkout's tag: {_REF_HOW})"),
            "rev": _known(self.rev, f"{prefix}rev", "the checkout's commit", _REV_HOW),
            "shortRev": _known(
                self.short_rev, f"{prefix}shortRev", "the checkout's short commit", _REV_HOW
            ),
        }

    def _repo(self, prefix: str) -> Attrs:
        items = self._revision_fields(prefix)
        forge = _forge_urls(self.remote_http_url)
        what = {
            "remoteHttpUrl": "the repository's https URL",
            "remoteSshUrl": "the repository's ssh URL",
            "webUrl": "the repository's web page",
            "forgeType": "the forge, e.g. github",
        }
        for name, description in what.items():
            items[name] = _known(forge.get(name), f"{prefix}{name}", description, _REMOTE_HOW)
        items["owner"] = _known(self.owner, f"{prefix}owner", "the repository's owner", _REMOTE_HOW)
        items["name"] = _known(self.repo, f"{prefix}name", "the repository's name", _REMOTE_HOW)
        return Attrs(items)


def _known(value: str | None, name: str, what: str, how: str) -> str | Unknown:
    return value if value is not None else Unknown(f"{name} ({what}: {how})")


# --- building one -----------------------------------------------------------------------


def checkout_for(
    directory: str, as_branch: str | None, as_ref: str | None, as_tag: str | None
) -> Checkout:
    """The checkout `directory` is in: the ref from ``--as-*`` if one is given, else the
    branch git has checked out (none when HEAD is detached); the rest from git if it is
    there."""
    given = [x for x in (as_branch, as_ref, as_tag) if x is not None]
    if len(given) > 1:
        raise ValueError("give at most one of --as-branch, --as-ref and --as-tag")
    toplevel = _git(directory, "rev-parse", "--show-toplevel")
    if as_branch is not None:
        ref: str | None = f"refs/heads/{as_branch}"
    elif as_tag is not None:
        ref = f"refs/tags/{as_tag}"
    elif as_ref is not None:
        ref = as_ref
    else:
        ref = _git(directory, "symbolic-ref", "-q", "HEAD") if toplevel is not None else None
    branch, tag = split_ref(ref)
    rev = _git(directory, "rev-parse", "--verify", "-q", "HEAD") if toplevel else None
    if rev is not None and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", rev):
        rev = None
    url = _git(directory, "config", "--get", "remote.origin.url") if toplevel else None
    http_url, owner, repo = parse_remote(url)
    return Checkout(
        ref=ref,
        branch=branch,
        tag=tag,
        rev=rev,
        short_rev=rev[:7] if rev is not None else None,
        root=toplevel if toplevel is not None else os.path.abspath(directory),
        remote_http_url=http_url,
        owner=owner,
        repo=repo,
    )


def split_ref(ref: str | None) -> tuple[str | None, str | None]:
    """(branch, tag) of a full ref: ``refs/heads/B`` → (B, None), ``refs/tags/T`` →
    (None, T), anything else → (None, None)."""
    if ref is None:
        return None, None
    if ref.startswith("refs/heads/") and len(ref) > len("refs/heads/"):
        return ref[len("refs/heads/") :], None
    if ref.startswith("refs/tags/") and len(ref) > len("refs/tags/"):
        return None, ref[len("refs/tags/") :]
    return None, None


def _git(directory: str, *args: str) -> str | None:
    """One line of git's output, or None when git is missing, fails or takes too long."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        done = subprocess.run(
            [GIT, "-C", directory, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    line = done.stdout.strip()
    return line or None


# --- remotes ------------------------------------------------------------------------------

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


def parse_remote(url: str | None) -> tuple[str | None, str | None, str | None]:
    """(https URL, owner, repository name) of a git remote URL, as far as it says them.

    ``https://github.com/o/r.git``, ``git@github.com:o/r.git`` and
    ``ssh://git@github.com/o/r`` all give ``https://github.com/o/r…`` (``.git`` kept as
    written), ``o`` and ``r``. Credentials in the URL are dropped. A local path gives
    nothing; owner and name only come from a two-part ``owner/repo`` path.
    """
    if not url:
        return None, None, None
    host: str | None
    if "://" in url:
        try:
            parts = urlsplit(url)
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return None, None, None
        if parts.scheme not in ("http", "https", "ssh", "git", "git+ssh", "ssh+git"):
            return None, None, None
        host, path = parts.hostname, parts.path.lstrip("/")
        if parts.scheme in ("http", "https") and host is not None:
            http: str | None = f"{parts.scheme}://{host}{port}/{path}"
        else:
            http = f"https://{host}/{path}" if host else None
    else:
        match = _SCP_LIKE.match(url)
        if match is None:
            return None, None, None
        host, path = match["host"], match["path"]
        http = f"https://{host}/{path}"
    if not host or not path:
        return None, None, None
    pieces = path.rstrip("/").removesuffix(".git").split("/")
    if len(pieces) == 2 and all(pieces):
        return http, pieces[0], pieces[1]
    return http, None, None


def _forge_urls(http_url: str | None) -> dict[str, str]:
    """remoteHttpUrl, remoteSshUrl, webUrl and forgeType from the https URL, where they
    follow from it."""
    if http_url is None:
        return {}
    parts = urlsplit(http_url)
    host, path = parts.hostname or "", parts.path.strip("/").removesuffix(".git")
    result = {
        "remoteHttpUrl": http_url,
        "webUrl": f"https://{parts.netloc}/{path}",
        "remoteSshUrl": f"git@{host}:{path}.git",
    }
    if host == "github.com":
        result["forgeType"] = "github"
    elif host == "gitlab.com" or host.startswith("gitlab."):
        result["forgeType"] = "gitlab"
    return result
