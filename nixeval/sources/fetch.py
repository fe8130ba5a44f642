"""Fetching a pinned source tree over the network, as Nix would, into ci-eval's cache.

The last place `obtain` looks, after an override, the Nix store and the cache (`resolve`):

- ``github``, ``gitlab``, ``sourcehut``: the forge's archive of the revision, at
  ``$CI_EVAL_GITHUB_URL/{owner}/{repo}/archive/{rev}.tar.gz`` (default
  ``https://github.com``, or the node's ``host``),
  ``$CI_EVAL_GITLAB_URL/api/v4/projects/{owner}%2F{repo}/repository/archive.tar.gz?sha={rev}``
  (default ``https://gitlab.com``, as Nix's gitlab fetcher) and
  ``https://git.sr.ht/{owner}/{repo}/archive/{rev}.tar.gz``; ``tarball``: its ``url``. The
  archive's one top-level directory is the tree (`unpack`).
- ``git``: the ``git`` program fetches ``rev`` (else ``ref``, else every branch and tag)
  from ``url`` into a private repository and ``git archive`` writes the revision's files,
  as Nix 2.8 does (so ``export-ignore`` applies, and there is no ``.git``).
- ``path`` is found where it lies (`resolve`, ``--override-input``), never fetched;
  ``mercurial`` is not supported.

Everything happens in a staging directory beside the cache entry, and the tree is renamed
into place only once its NAR hash is the pinned one (`resolve.place_in_cache`): a wrong,
tampered, truncated or interrupted download never becomes an entry, and two ci-eval
processes fetching one input both succeed with one entry. A server that sends nothing for
``$CI_EVAL_FETCH_TIMEOUT`` seconds (default 30) fails the fetch. Messages name the URL
without its credentials.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from .. import __version__
from .locked import LockedInput
from .progress import Progress
from .resolve import (
    CacheError,
    Resolved,
    cache_dir,
    cache_entry,
    place_in_cache,
    resolve,
    staging_for,
    store_dir,
)

if TYPE_CHECKING:  # the network and archive modules load only when something is fetched
    import socket
    import subprocess
    import urllib.request

DEFAULT_TIMEOUT = 30.0
GITHUB_URL = "https://github.com"
GITLAB_URL = "https://gitlab.com"
SOURCEHUT_URL = "https://git.sr.ht"
_CHUNK = 1 << 16
_REV = re.compile(r"[0-9a-f]{40}")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")
# Where a tarball may come from; and a git repository (no ``ext::``, no ``fd::``).
_TARBALL_SCHEMES = ("http", "https", "file")
_GIT_SCHEMES = ("http", "https", "ssh", "git", "file")


class FetchError(Exception):
    """A pinned source could not be had: the message says what failed and where (the URL
    without credentials)."""


class NotAvailable(FetchError):
    """A pinned source is not at hand and is not to be fetched (``--offline``, a ``path``
    input): the message says how to make it available."""


def fetch(
    locked: LockedInput,
    *,
    cache: Path | None = None,
    progress: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
    label: str | None = None,
) -> Path:
    """Fetch the tree of `locked` (its ``node`` is the lock's ``locked`` object) into the
    cache (default `cache_dir()`) and return its entry; an entry already there is returned
    as it is. `progress`: the stream a progress bar is drawn on when it is a terminal,
    named `label` (default: the source, e.g. ``github:owner/repo``). `FetchError` saying
    what failed."""
    env = os.environ if environ is None else environ
    node = dict(locked.node)
    entry = cache_entry(locked, cache or cache_dir(dict(env)))
    if entry.is_dir():
        return entry
    kind = node.get("type")
    if kind == "path":
        raise NotAvailable(
            f"{describe(locked)} is a path input: it is read where it lies, never fetched, "
            f"and is not there; pass --override-input {label or 'NAME'} PATH"
        )
    if kind == "mercurial":
        raise FetchError(f"{describe(locked)}: mercurial inputs are not supported by ci-eval")
    timeout = fetch_timeout(env)
    bar = Progress(progress, label or describe(locked))
    abort = _Abort()
    from ..budget import on_interrupt

    try:
        with on_interrupt(abort.trigger):
            url = None if kind == "git" else archive_url(node, env)
            if url is not None:
                # Before the staging directory: a host without an address fails the fetch
                # having made nothing, and tempfile and shutil (~2 ms to load) stay unloaded.
                _check_host(url, redact(url), abort)
            with staging_for(entry) as staging:
                if url is None:
                    root = _git_tree(node, staging, timeout, abort, env)
                    what = f"the git revision {node.get('rev')} of {redact(str(node.get('url')))}"
                else:
                    what = f"the archive at {redact(url)}"
                    archive = staging / "archive"
                    _download(url, archive, timeout, bar, abort)
                    root = _unpacked(archive, staging / "unpacked", True, what, abort)
                    archive.unlink()
                return place_in_cache(root, locked, entry, what)
    except CacheError as e:  # the cache cannot be written, or the hash is not the pinned one
        raise FetchError(str(e)) from None


def obtain(
    locked: LockedInput,
    *,
    override: str | os.PathLike[str] | None = None,
    store: str | None = None,
    cache: Path | None = None,
    offline: bool = False,
    progress: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
    label: str | None = None,
) -> Resolved:
    """The tree of `locked`: `resolve`d (override, store, cache), else fetched (origin
    ``fetched``) unless `offline`. `NotAvailable` (offline, a path input) says how to make
    it available; `FetchError` what failed."""
    env = os.environ if environ is None else environ
    store = store or store_dir(dict(env))
    cache = cache or cache_dir(dict(env))
    found = resolve(locked, override=override, store=store, cache=cache)
    if found is not None:
        return found
    if offline:
        raise NotAvailable(
            f"{describe(locked)} is neither in the Nix store ({locked.store_path(store)}) nor "
            f"in ci-eval's cache ({cache}), and --offline forbids fetching it; run "
            f"`ci-eval fetch` without --offline, or pass --override-input {label or 'NAME'} PATH"
        )
    return Resolved(
        fetch(locked, cache=cache, progress=progress, environ=env, label=label), "fetched"
    )


def fetch_timeout(environ: Mapping[str, str]) -> float:
    """Seconds a server may send nothing: ``$CI_EVAL_FETCH_TIMEOUT``, default 30."""
    text = environ.get("CI_EVAL_FETCH_TIMEOUT", "")
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise FetchError(
            f"CI_EVAL_FETCH_TIMEOUT must be a number of seconds above zero, not {text!r}"
        )
    return value


def archive_url(node: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """Where the archive of a ``github``, ``gitlab``, ``sourcehut`` or ``tarball`` lock node
    is downloaded from."""
    kind = node.get("type")
    if kind == "tarball":
        url = _string(node, "url")
        if urlsplit(url).scheme not in _TARBALL_SCHEMES:
            raise FetchError(f"tarball {redact(url)}: only http, https and file URLs are fetched")
        return url
    if kind not in ("github", "gitlab", "sourcehut"):
        raise FetchError(f"a lock node of type {kind!r} is not fetched by ci-eval")
    owner, repo, rev = _string(node, "owner"), _string(node, "repo"), _string(node, "rev")
    if not _REV.fullmatch(rev):
        raise FetchError(f"{kind}:{owner}/{repo}: rev {rev!r} is not a 40-digit commit hash")
    host = node.get("host")
    if kind == "github":
        base = _base(environ.get("CI_EVAL_GITHUB_URL"), host, GITHUB_URL)
        return f"{base}/{quote(owner, safe='')}/{quote(repo, safe='')}/archive/{rev}.tar.gz"
    if kind == "gitlab":
        # A subgroup's owner is "group/sub" (or already "group%2Fsub"): one path segment.
        base = _base(environ.get("CI_EVAL_GITLAB_URL"), host, GITLAB_URL)
        project = f"{quote(owner, safe='%')}%2F{quote(repo, safe='')}"
        return f"{base}/api/v4/projects/{project}/repository/archive.tar.gz?sha={rev}"
    base = _base(None, host, SOURCEHUT_URL)
    return f"{base}/{quote(owner, safe='~')}/{quote(repo, safe='')}/archive/{rev}.tar.gz"


def describe(locked: LockedInput) -> str:
    """A lock node as people name it: ``github:owner/repo/rev``, a URL (without
    credentials), ``path:/some/dir``."""
    node = dict(locked.node)
    kind = node.get("type")
    if kind in ("github", "gitlab", "sourcehut"):
        rev = f"/{node['rev']}" if isinstance(node.get("rev"), str) else ""
        return f"{kind}:{node.get('owner')}/{node.get('repo')}{rev}"
    if kind == "path":
        return f"path:{node.get('path')}"
    url = node.get("url")
    if isinstance(url, str):
        return f"{kind}+{redact(url)}" if kind in ("git", "mercurial") else redact(url)
    return f"a {kind} input"


def redact(url: str) -> str:
    """`url` without what could be a credential: the user and password, and the values of
    query parameters named like a token, key, secret, password or signature."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<an invalid URL>"
    netloc = parts.netloc.rpartition("@")[2]
    query = re.sub(
        r"(?i)(^|&)([^=&]*(?:token|key|secret|passw|sig|auth|credential)[^=&]*)=[^&]*",
        r"\1\2=<redacted>",
        parts.query,
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _base(configured: str | None, host: Any, default: str) -> str:
    if configured:
        return configured.rstrip("/")
    if host is None:
        return default
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise FetchError(f"the lock node's host {host!r} is not a host name")
    return f"https://{host}"


def _string(node: Mapping[str, Any], key: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value:
        raise FetchError(f"the {node.get('type')} lock node has no {key}")
    return value


# --- interrupting a fetch -----------------------------------------------------------------


class _Abort:
    """Stops a fetch running in ci-eval's worker thread when Ctrl-C or SIGTERM reaches the
    main thread: the sockets it reads are shut down (a read blocked on a silent server
    returns), a git it runs is terminated, and the worker's next `check` raises
    KeyboardInterrupt, so its staging directory is removed on the way out."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    def trigger(self) -> None:
        import socket

        self._event.set()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            for process in self._processes:
                if process.poll() is None:
                    process.terminate()

    def check(self) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt

    def watch_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
        if self._event.is_set():
            self.trigger()

    def watch_process(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.append(process)
        if self._event.is_set():
            self.trigger()


def _opener(abort: _Abort) -> urllib.request.OpenerDirector:
    """urllib's opener (proxies from the environment, redirects), whose connections
    tell `abort` their sockets."""
    import http.client
    import urllib.request

    from .tls import deferred_context

    class Http(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            abort.watch_socket(self.sock)

    class Https(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            abort.watch_socket(self.sock)

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Http, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Https, req, context=deferred_context())

    # Given a context, the handler does not make a default one of its own (Python 3.12).
    return urllib.request.build_opener(HttpHandler, HttpsHandler(context=deferred_context()))


# --- archives -------------------------------------------------------------------------------


def _download(url: str, dest: Path, timeout: float, bar: Progress, abort: _Abort) -> None:
    """`url` into the new file `dest`, whole or `FetchError` (its host is `_check_host`ed
    first, by `fetch`)."""
    shown = redact(url)
    if urlsplit(url).scheme == "file":
        _copy_local(url, dest, bar, abort)
        return
    import http.client
    import urllib.error
    import urllib.request

    request = _request(url)
    total: int | None = None
    received = 0
    try:
        with _opener(abort).open(request, timeout=timeout) as response, open(dest, "xb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            bar.start(total)
            while chunk := response.read(_CHUNK):
                abort.check()
                out.write(chunk)
                received += len(chunk)
                bar.advance(len(chunk))
            abort.check()
    except urllib.error.HTTPError as e:
        raise FetchError(f"cannot fetch {shown}: HTTP {e.code} {e.reason}") from None
    except (http.client.IncompleteRead, ConnectionResetError):
        abort.check()
        raise FetchError(f"cannot fetch {shown}: the download is truncated") from None
    except TimeoutError:
        raise FetchError(_stalled(shown, timeout)) from None
    except urllib.error.URLError as e:
        abort.check()
        if isinstance(e.reason, TimeoutError):
            raise FetchError(_stalled(shown, timeout)) from None
        reason = e.reason.strerror if isinstance(e.reason, OSError) else e.reason
        raise FetchError(f"cannot fetch {shown}: {reason or e}") from None
    except (OSError, http.client.HTTPException) as e:
        abort.check()
        raise FetchError(f"cannot fetch {shown}: {getattr(e, 'strerror', None) or e}") from None
    finally:
        bar.close()
    if total is not None and received != total:
        raise FetchError(
            f"cannot fetch {shown}: the download is truncated ({received} of {total} bytes)"
        )


def _check_host(url: str, shown: str, abort: _Abort) -> None:
    """`FetchError` when the host of the http(s) `url` has no address, said as urllib
    would say it, before urllib, http.client and ssl are loaded: ~25 ms that a main job
    whose pinned sources cannot be fetched (offline, no DNS) would pay for nothing.
    Not when a proxy may be used (any ``*_proxy`` variable, or the proxy settings of
    macOS and Windows): the proxy looks the host up then. A host that has an address
    is looked up again by urllib, which connects to it."""
    parts = urlsplit(url)
    if sys.platform in ("darwin", "win32") or any(
        name.lower().endswith("_proxy") and value for name, value in os.environ.items()
    ):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # urllib reports a bad port
        return
    if not host or parts.scheme not in ("http", "https") or not _idna_as_is(host):
        return
    # The C module: socket.getaddrinfo is this call with its results made enums, and the
    # socket module (~2 ms to load, its enums made from _socket's names) is left to urllib.
    import _socket

    try:
        # As http.client connects: socket.create_connection's look-up (of the bytes that
        # the "idna" codec, ~3 ms to load, makes of an ASCII name: the same).
        _socket.getaddrinfo(
            host.encode(), _PORTS[parts.scheme] if port is None else port, 0, _socket.SOCK_STREAM
        )
    except _socket.gaierror as e:
        abort.check()
        if e.strerror:  # what `_download` reports of urllib's URLError for it
            raise FetchError(f"cannot fetch {shown}: {e.strerror}") from None
    except (OSError, UnicodeError):  # anything else: urllib tries and reports it
        pass


_PORTS = {"http": 80, "https": 443}


def _idna_as_is(host: str) -> bool:
    """Whether the "idna" codec encodes `host` as its ASCII bytes, unchanged: an ASCII
    name whose labels (but a last, empty one) have 1 to 63 characters."""
    if not host.isascii():
        return False
    *labels, last = host.split(".")
    return all(0 < len(label) < 64 for label in labels) and len(last) < 64


def _copy_local(url: str, dest: Path, bar: Progress, abort: _Abort) -> None:
    """A ``file:`` tarball URL into `dest`: a regular file only (``file:///dev/zero``
    would never end, a FIFO never start)."""
    from urllib.parse import unquote
    from urllib.request import url2pathname

    from ..frontend import NotAFile, read_regular_file

    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"cannot fetch {redact(url)}: a file URL names no other host")
    try:
        data = read_regular_file(url2pathname(unquote(parts.path)))
    except NotAFile as e:
        raise FetchError(f"cannot fetch {redact(url)}: it is {e.kind}, not a file") from None
    except OSError as e:
        raise FetchError(f"cannot fetch {redact(url)}: {e.strerror or e}") from None
    abort.check()
    bar.start(len(data))
    dest.write_bytes(data)
    bar.advance(len(data))
    bar.close()


def _request(url: str) -> urllib.request.Request:
    """The request for `url`. A user and password in it are sent as HTTP basic
    authentication (as Nix's curl does), on this request only, not to where it redirects,
    and are kept out of the URL: nothing that reports the URL can show them."""
    import base64
    import urllib.request
    from urllib.parse import unquote

    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return urllib.request.Request(url, headers={"User-Agent": f"ci-eval/{__version__}"})
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    request = urllib.request.Request(bare, headers={"User-Agent": f"ci-eval/{__version__}"})
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    request.add_unredirected_header("Authorization", f"Basic {token}")
    return request


def _stalled(shown: str, timeout: float) -> str:
    return (
        f"cannot fetch {shown}: the server sent nothing for {timeout:g} seconds "
        "(CI_EVAL_FETCH_TIMEOUT)"
    )


def _unpacked(archive: Path, into: Path, strip: bool, what: str, abort: _Abort) -> Path:
    """The tree `archive` holds, unpacked into `into`: its one top-level directory when
    `strip` (a forge's or tarball's archive), else all of it (``git archive``)."""
    from .unpack import UnpackError, check_links, source_root, unpack_tar

    try:
        unpack_tar(archive, into, abort.check)
        root = source_root(into) if strip else into
        check_links(root)
    except UnpackError as e:
        raise FetchError(f"{what} is refused: {e}") from None
    return root


# --- git ------------------------------------------------------------------------------------


def _git_tree(
    node: Mapping[str, Any], staging: Path, timeout: float, abort: _Abort, env: Mapping[str, str]
) -> Path:
    url, rev = _string(node, "url"), _string(node, "rev")
    shown = redact(url)
    if urlsplit(url).scheme not in _GIT_SCHEMES:
        raise FetchError(f"git+{shown}: only http, https, ssh, git and file URLs are fetched")
    if not _REV.fullmatch(rev):
        raise FetchError(f"git+{shown}: rev {rev!r} is not a 40-digit commit hash")
    if node.get("submodules"):
        raise FetchError(f"git+{shown}: inputs with submodules are not supported by ci-eval yet")
    repo = staging / "repo"
    git = _Git(repo, url, timeout, abort, env)
    git.run("init", "--quiet", "--bare", str(repo), cwd=staging)
    if git.run("fetch", "--quiet", "--no-tags", url, rev, check=False) != 0:
        ref = node.get("ref")
        # A server that does not serve a commit by its hash serves the refs holding it.
        refspecs = (
            [f"+{ref}:refs/ci-eval/ref"]
            if isinstance(ref, str) and ref
            else ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        )
        git.run("fetch", "--quiet", "--no-tags", url, *refspecs)
    if git.run("cat-file", "-e", f"{rev}^{{commit}}", check=False) != 0:
        raise FetchError(f"git+{shown} has no commit {rev}")
    archive = staging / "archive.tar"
    git.run("archive", "--format=tar", f"--output={archive}", rev)
    return _unpacked(archive, staging / "tree", False, f"the git revision {rev} of {shown}", abort)


# What points git at a repository (set in a git hook, say): not the one of the fetch. The
# user's configuration (credential helpers, insteadOf) is kept, as Nix's git keeps it.
_GIT_REPOSITORY_VARIABLES = frozenset(
    (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    )
)


class _Git:
    """The ``git`` program on the private repository of one fetch: no prompt for
    credentials, nothing of the caller's repository, and a transfer slower than a byte a
    second for the fetch timeout fails."""

    def __init__(
        self, repo: Path, url: str, timeout: float, abort: _Abort, env: Mapping[str, str]
    ) -> None:
        self._repo, self._url, self._abort = repo, url, abort
        self._env = {k: v for k, v in env.items() if k not in _GIT_REPOSITORY_VARIABLES} | {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_HTTP_LOW_SPEED_LIMIT": "1",
            "GIT_HTTP_LOW_SPEED_TIME": str(math.ceil(timeout)),
        }

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> int:
        """Git's exit status; with `check`, `FetchError` with git's last words unless 0."""
        import subprocess

        self._abort.check()
        command = ["git", *args] if cwd is not None else ["git", "-C", str(self._repo), *args]
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except FileNotFoundError:
            raise FetchError("cannot fetch a git input: the git program is not installed") from None
        self._abort.watch_process(process)
        _, err = process.communicate()
        self._abort.check()
        if check and process.returncode != 0:
            said = err.decode("utf-8", "replace").replace(self._url, redact(self._url))
            last = [line for line in said.splitlines() if line.strip()][-1:] or ["(no message)"]
            raise FetchError(f"git {args[0]} of {redact(self._url)} failed: {last[0].strip()}")
        return process.returncode
