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
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .records import Record
from .values import A_STRING, Attrs, NixPath, Unknown

if TYPE_CHECKING:
    from .eval.machine import Machine

# The git executable (tests point it at a missing file to see a machine without git).
GIT = "git"
# Seconds any one git command may take: a hung git (a lock, a network filesystem, a
# credential prompt) must not hang the evaluation.
GIT_TIMEOUT = 5.0

# Hercules CI's API, as the agent passes it to herculesCI (the hosted service's).
API_BASE_URL = "https://hercules-ci.com"

_REF_HOW = "pass --as-branch, --as-ref or --as-tag"
_REV_HOW = "evaluate in a git checkout with a commit"
_REMOTE_HOW = "set git's remote.origin.url to the repository's forge URL"


class Checkout:
    """The checkout's metadata. None means "not known", except for `branch` and `tag`
    when `ref` is known (then None is Nix's ``null``: the ref is not a branch / tag).

    Equal (and hashed alike) when the fields other than `tracked_from` are. Not a
    dataclass: ``dataclasses`` alone costs a cold run ~10 ms to import."""

    __slots__ = (
        "_tracked",
        "branch",
        "owner",
        "ref",
        "remote_http_url",
        "repo",
        "rev",
        "root",
        "short_rev",
        "tag",
        "tracked_from",
    )

    def __init__(
        self,
        ref: str | None,
        branch: str | None,
        tag: str | None,
        rev: str | None,
        short_rev: str | None,
        root: str,
        remote_http_url: str | None,
        owner: str | None,
        repo: str | None,
        # How the files git tracks are known (`tracked`): "git" (the main job asks git),
        # "index" (check reads the index), None (not in a git repository).
        tracked_from: str | None = None,
    ) -> None:
        self.ref = ref
        self.branch = branch
        self.tag = tag
        self.rev = rev
        self.short_rev = short_rev
        self.root = root
        self.remote_http_url = remote_http_url
        self.owner = owner
        self.repo = repo
        self.tracked_from = tracked_from
        # `tracked`, once read (in a tuple: None is one of its values).
        self._tracked: tuple[frozenset[str] | None] | None = None

    def _compared(self) -> tuple[str | None, ...]:
        """What equality compares: every field but `tracked_from`."""
        return (
            self.ref,
            self.branch,
            self.tag,
            self.rev,
            self.short_rev,
            self.root,
            self.remote_http_url,
            self.owner,
            self.repo,
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Checkout) and other.__class__ is self.__class__:
            return self._compared() == other._compared()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())

    @property
    def with_git(self) -> bool:
        """Whether git may be asked more (`commit_number`): the main job's checkout."""
        return self.tracked_from == "git"

    @property
    def tracked(self) -> frozenset[str] | None:
        """The files git tracks, relative to `root`; None when not known (no git
        repository, an index that cannot be read). Only a flake needs them (it is
        evaluated from these only), so they are read when first asked for (once)."""
        if self._tracked is None:
            self._tracked = (self._read_tracked(),)
        return self._tracked[0]

    def _read_tracked(self) -> frozenset[str] | None:
        if self.tracked_from == "git":
            listed = _git_output(self.root, "ls-files", "-z")
            return frozenset(name for name in listed.split("\0") if name) if listed else None
        if self.tracked_from == "index":
            repository = find_repository(self.root)
            return repository.tracked_files() if repository is not None else None
        return None

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

    def herculesci_args(self, machine: Machine, out_path: Any = None) -> Attrs:
        """The agent's ``HerculesCIArgs``, which a ``herculesCI`` function is called with:
        ``ref``, ``branch``, ``tag``, ``rev``, ``shortRev``, ``primaryRepo`` (those, the
        forge fields, and `out_path`, the flake's own ``outPath``, when given) and
        ``herculesCI = { apiBaseUrl; ciSystems; }``. ``ciSystems`` is null: offline there
        are no agents whose systems would restrict it (a flake's ``herculesCI.ciSystems``
        still does)."""
        items = self._revision_fields("")
        repo = self._repo("primaryRepo.")
        if out_path is not None:
            repo = Attrs({**repo.items, "outPath": out_path})
        items["primaryRepo"] = repo
        items["herculesCI"] = Attrs({"apiBaseUrl": API_BASE_URL, "ciSystems": None})
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
    # Unknown offline, but a string on Hercules CI, never null (a repository it builds is
    # on a forge, and has a ref and a commit): `x != null` is true of it.
    return value if value is not None else Unknown(f"{name} ({what}: {how})", model=A_STRING)


# --- building one -----------------------------------------------------------------------


def checkout_for(
    directory: str,
    as_branch: str | None,
    as_ref: str | None,
    as_tag: str | None,
    use_git: bool = True,
) -> Checkout:
    """The checkout `directory` is in: the ref from ``--as-*`` if one is given, else the
    branch git has checked out (none when HEAD is detached); the rest from git if it is
    there. With `use_git` false, the same read from the repository's files instead
    (`checkout_without_git`: no process is started)."""
    if not use_git:
        return checkout_without_git(directory, as_branch, as_ref, as_tag)
    ref = _flag_ref(as_branch, as_ref, as_tag)
    # Two git processes at once, not one after another: each takes a few milliseconds to
    # start, a good part of a main job's time. git prints the top level, HEAD's commit and
    # what HEAD names ("HEAD" itself when detached), or fails when any of them is missing.
    facts, urls = _git_lines(
        directory,
        ("rev-parse", "--show-toplevel", "HEAD", "--symbolic-full-name", "HEAD", "--"),
        ("config", "--get", "remote.origin.url"),
    )
    toplevel: str | None
    rev: str | None
    if facts is not None and len(facts) == 4 and facts[3] == "--":
        toplevel, rev, named = facts[:3]
        if ref is None and named.startswith("refs/"):
            ref = named
    else:  # outside a repository, or on a branch without commits yet: ask one by one
        toplevel = _git(directory, "rev-parse", "--show-toplevel")
        if ref is None and toplevel is not None:
            ref = _git(directory, "symbolic-ref", "-q", "HEAD")
        rev = _git(directory, "rev-parse", "--verify", "-q", "HEAD") if toplevel else None
    url = urls[0] if urls is not None and toplevel is not None else None
    root = toplevel if toplevel is not None else os.path.abspath(directory)
    return _checkout(ref, rev, url, root, "git" if toplevel is not None else None)


def commit_number(root: str, what: str) -> int | None:
    """A number git says of the checkout's commit, asked only when a flake uses it:
    ``lastModified`` (its committer time, as Nix's git fetcher) or ``revCount`` (its
    number of ancestors, which can take git a while in a large history)."""
    args = (
        ("log", "-1", "--format=%ct", "HEAD")
        if what == "lastModified"
        else ("rev-list", "--count", "HEAD")
    )
    text = _git(root, *args)
    return int(text) if text is not None and text.isdigit() else None


def checkout_without_git(
    directory: str,
    as_branch: str | None = None,
    as_ref: str | None = None,
    as_tag: str | None = None,
) -> Checkout:
    """`checkout_for` without git: HEAD, the refs, ``packed-refs`` and ``config`` read
    from the repository's git directory (found as `find_repository` does), so nothing
    is run (``ci-eval check`` starts no process). Unlike git's ``--show-toplevel``, the
    root keeps the symlinks of the path it was found from."""
    ref = _flag_ref(as_branch, as_ref, as_tag)
    repository = find_repository(directory)
    if repository is None:
        return _checkout(ref, None, None, os.path.abspath(directory))
    if ref is None:
        ref = repository.head_ref()
    return _checkout(
        ref,
        repository.resolve("HEAD"),
        repository.config("remote", "origin", "url"),
        repository.root,
        "index",
    )


def _flag_ref(as_branch: str | None, as_ref: str | None, as_tag: str | None) -> str | None:
    given = [x for x in (as_branch, as_ref, as_tag) if x is not None]
    if len(given) > 1:
        raise ValueError("give at most one of --as-branch, --as-ref and --as-tag")
    if as_branch is not None:
        return f"refs/heads/{as_branch}"
    if as_tag is not None:
        return f"refs/tags/{as_tag}"
    return as_ref


def _checkout(
    ref: str | None, rev: str | None, url: str | None, root: str, tracked_from: str | None = None
) -> Checkout:
    branch, tag = split_ref(ref)
    if rev is not None and not _REV.fullmatch(rev):
        rev = None
    http_url, owner, repo = parse_remote(url)
    return Checkout(
        ref=ref,
        branch=branch,
        tag=tag,
        rev=rev,
        short_rev=rev[:7] if rev is not None else None,
        root=root,
        remote_http_url=http_url,
        owner=owner,
        repo=repo,
        tracked_from=tracked_from,
    )


_REV = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


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
    output = _git_output(directory, *args)
    line = output.strip() if output is not None else None
    return line or None


def _git_lines(directory: str, *commands: tuple[str, ...]) -> list[list[str] | None]:
    """The non-empty lines each git command prints, the commands run at once; None for
    one that fails, takes too long or prints nothing."""
    outputs = _git_outputs(directory, commands)
    lines = [[x for x in o.splitlines() if x] if o is not None else [] for o in outputs]
    return [x or None for x in lines]


def _git_output(directory: str, *args: str) -> str | None:
    """git's whole output, or None when git is missing, fails or takes too long."""
    return _git_outputs(directory, (args,))[0]


def _git_outputs(directory: str, commands: Sequence[tuple[str, ...]]) -> list[str | None]:
    """Each git command's whole output, the commands started at once and given
    `GIT_TIMEOUT` seconds in all; None for one that fails or takes too long, and for all
    when git is missing."""
    import subprocess

    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    started: list[subprocess.Popen[str]] = []
    try:
        for args in commands:
            started.append(
                subprocess.Popen(
                    [GIT, "-C", directory, *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    env=env,
                )
            )
    except (OSError, subprocess.SubprocessError, ValueError):
        for process in started:
            process.kill()
            process.wait()
        return [None] * len(commands)
    deadline = time.monotonic() + GIT_TIMEOUT
    outputs: list[str | None] = []
    for process in started:
        try:
            stdout, _ = process.communicate(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            outputs.append(None)
            continue
        outputs.append(stdout if process.returncode == 0 else None)
    return outputs


# --- reading a repository without git ----------------------------------------------------

# git's SYMREF_MAXDEPTH: how many symbolic refs are followed.
_SYMREF_DEPTH = 5
# Refs that belong to one worktree (in its own git directory, not the common one).
_PER_WORKTREE = ("refs/worktree/", "refs/bisect/", "refs/rewritten/")


class Repository(Record):
    """A git repository as its files show it: the working tree's `root`, the `git_dir`
    (``.git``, or where a ``.git`` file's ``gitdir:`` points: a worktree's or submodule's)
    and the `common_dir` that holds the shared refs and config (a worktree's main
    ``.git``; else the git directory itself)."""

    root: str
    git_dir: str
    common_dir: str

    def head_ref(self) -> str | None:
        """The branch HEAD names (``git symbolic-ref -q HEAD``); None when detached."""
        target = self.symbolic_target("HEAD")
        return target if target is not None and target != "HEAD" else None

    def symbolic_target(self, name: str) -> str | None:
        """Where a chain of symbolic refs from `name` ends (the last ref named, whether it
        exists or not); None if `name` is not symbolic or a step is malformed."""
        followed = False
        for _ in range(_SYMREF_DEPTH):
            text = self._loose(name)
            if text is None or not text.startswith("ref:"):
                return name if followed else None
            target = text[4:].strip()
            if not _valid_ref_name(target):
                return None
            name, followed = target, True
        return None

    def resolve(self, name: str) -> str | None:
        """The object id `name` (``HEAD`` or a full ref) points to, symbolic refs
        followed; None when it points nowhere (an unborn branch, a missing ref)."""
        for _ in range(_SYMREF_DEPTH):
            text = self._loose(name)
            if text is None:
                return self._packed().get(name)
            if not text.startswith("ref:"):
                return text.split()[0] if text.split() else None
            name = text[4:].strip()
            if not _valid_ref_name(name):
                return None
        return None

    def has_ref(self, name: str) -> bool:
        return self.resolve(name) is not None

    def _loose(self, name: str) -> str | None:
        """The text of the loose ref file for `name`, if there is one."""
        if name != "HEAD" and not _valid_ref_name(name):
            return None
        own = name == "HEAD" or name.startswith(_PER_WORKTREE)
        text = _read_small(os.path.join(self.git_dir if own else self.common_dir, name))
        return text.strip() if text is not None else None

    def _packed(self) -> dict[str, str]:
        """packed-refs: ref name → object id (peeled ``^`` lines skipped)."""
        text = _read_small(os.path.join(self.common_dir, "packed-refs"))
        refs: dict[str, str] = {}
        for line in (text or "").splitlines():
            if not line or line[0] in "#^":
                continue
            oid, _, ref = line.partition(" ")
            if ref:
                refs[ref.strip()] = oid
        return refs

    def tracked_files(self) -> frozenset[str] | None:
        """The paths git tracks, read from the index (`nixeval.gitindex`); None when it
        cannot be read."""
        from .gitindex import GitIndexError, tracked_paths

        try:
            with open(os.path.join(self.git_dir, "index"), "rb") as f:
                data = f.read(_MAX_INDEX + 1)
        except OSError:
            return None
        if len(data) > _MAX_INDEX:
            return None
        sha256 = (self.config("extensions", None, "objectformat") or "").lower() == "sha256"
        try:
            return tracked_paths(data, 32 if sha256 else 20)
        except (GitIndexError, ValueError, IndexError):
            return None

    def config(self, section: str, subsection: str | None, key: str) -> str | None:
        """A value of the repository's ``config`` (the last one, as ``git config --get``;
        ``include`` directives and the user's and system's config are not read)."""
        text = _read_small(os.path.join(self.common_dir, "config"))
        return _config_value(text or "", section, subsection, key)


def find_repository(directory: str) -> Repository | None:
    """The repository `directory` (or a file's directory) is in: the nearest ancestor
    with a ``.git`` directory, or a ``.git`` file saying ``gitdir: …``; None outside."""
    for candidate in _ancestors(_directory_of(directory)):
        dot_git = os.path.join(candidate, ".git")
        if os.path.isdir(dot_git):
            git_dir = dot_git
        elif os.path.isfile(dot_git):
            text = _read_small(dot_git) or ""
            if not text.startswith("gitdir:"):
                continue
            pointed = text[len("gitdir:") :].strip()
            git_dir = os.path.normpath(os.path.join(candidate, pointed))
        else:
            continue
        if not os.path.isfile(os.path.join(git_dir, "HEAD")):
            continue  # not a git directory (as git, look further up)
        common = _read_small(os.path.join(git_dir, "commondir"))
        common_dir = os.path.normpath(os.path.join(git_dir, common.strip())) if common else git_dir
        return Repository(candidate, git_dir, common_dir)
    return None


def repo_root(path: str) -> str:
    """The repository root of `path` (a file or a directory): the nearest ancestor with a
    ``.git`` (directory or file), else the file's own directory (or the directory)."""
    start = _directory_of(path)
    for candidate in _ancestors(start):
        if os.path.lexists(os.path.join(candidate, ".git")):
            return candidate
    return start


def _directory_of(path: str) -> str:
    """`path` made absolute if it is a directory, else the directory it is in."""
    start = os.path.abspath(path)
    return start if os.path.isdir(start) else os.path.dirname(start)


def default_branch(directory: str) -> str | None:
    """The repository's default branch, read from its files: the remote's HEAD
    (``refs/remotes/origin/HEAD``, as ``git clone`` sets it), else a local ``main`` or
    ``master`` that exists; None if neither says."""
    repository = find_repository(directory)
    if repository is None:
        return None
    target = repository.symbolic_target("refs/remotes/origin/HEAD")
    prefix = "refs/remotes/origin/"
    if target is not None and target.startswith(prefix) and len(target) > len(prefix):
        return target[len(prefix) :]
    for name in ("main", "master"):
        if repository.has_ref(f"refs/heads/{name}"):
            return name
    return None


def _ancestors(directory: str) -> list[str]:
    found = [directory]
    while True:
        parent = os.path.dirname(found[-1])
        if parent == found[-1]:
            return found
        found.append(parent)


def _valid_ref_name(name: str) -> bool:
    """A full ref name git would accept, roughly (check-ref-format): ``refs/…``, no
    ``..``, no component starting with ``.``, no control characters or backslash. Keeps
    a malformed HEAD from sending the reader out of the git directory."""
    if not name.startswith("refs/") or name.endswith(("/", ".lock")) or ".." in name:
        return False
    if any(c < " " or c in "\\ ~^:?*[" for c in name):
        return False
    return all(part and not part.startswith(".") for part in name.split("/"))


# Git's own files are small; anything bigger is not one of them.
_MAX_GIT_FILE = 16 * 1024 * 1024
# An index is bigger (about 100 bytes a file); past this, the tracked files stay unknown.
_MAX_INDEX = 256 * 1024 * 1024


def _read_small(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_GIT_FILE)
    except OSError:
        return None
    return data.decode("utf-8", "surrogateescape")


def _config_value(text: str, section: str, subsection: str | None, key: str) -> str | None:
    """The last value of ``section.subsection.key`` in git-config text. Section and key
    names are case-insensitive, a quoted subsection is not; values lose their comments
    and quotes and have their escapes and continuation lines resolved."""
    found: str | None = None
    current: tuple[str, str | None] | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("["):
            header, closed, rest = line[1:].partition("]")
            if not closed:
                current = None
                continue
            current = _section_header(header)
            line = rest.strip()
        if not line or line[0] in "#;" or current is None:
            continue
        name, eq, raw = line.partition("=")
        name = name.strip().lower()
        if not eq:
            value: str | None = ""  # a bare key (boolean true): git --get prints nothing
        else:
            # A value ending in an unescaped backslash continues on the next line.
            while raw.endswith("\\") and not raw.endswith("\\\\") and i < len(lines):
                raw = raw[:-1] + lines[i]
                i += 1
            value = _config_string(raw)
        if current == (section.lower(), subsection) and name == key.lower():
            found = value
    return found


def _section_header(header: str) -> tuple[str, str | None]:
    name, space, rest = header.strip().partition(" ")
    if space and rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
        return name.lower(), rest[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if "." in name:  # the deprecated [section.subsection] form, subsection lower-cased
        head, _, sub = name.partition(".")
        return head.lower(), sub.lower()
    return name.lower(), None


def _config_string(raw: str) -> str:
    out: list[str] = []
    quoted = False
    kept = 0  # characters up to here (quoted or escaped) survive the final strip
    escapes = {"n": "\n", "t": "\t", "b": "\b", "\\": "\\", '"': '"'}
    i = 0
    raw = raw.strip()
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            out.append(escapes.get(raw[i + 1], raw[i + 1]))
            kept = len(out)
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c in "#;" and not quoted:
            break
        else:
            out.append(c)
            if quoted:
                kept = len(out)
        i += 1
    return "".join(out[:kept]) + "".join(out[kept:]).rstrip()


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
    forge = forge_type(http_url)
    if forge is not None:
        result["forgeType"] = forge
    return result


def forge_type(http_url: str | None) -> str | None:
    """The forge of a repository's https URL, in Hercules CI's words (``github``,
    ``gitlab``), when the host says it."""
    if http_url is None:
        return None
    host = urlsplit(http_url).hostname or ""
    if host == "github.com":
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    return None
