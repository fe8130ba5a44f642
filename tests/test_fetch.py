"""Fetching pinned sources over real HTTP, and ``ci-eval fetch`` as a real process.

A server on 127.0.0.1 (a thread of the test process) serves ``.tar.gz`` archives made at
test time from the reference trees of ``../shared/data/inputs/``, laid out as GitHub or
GitLab serves them; ``CI_EVAL_GITHUB_URL``/``CI_EVAL_GITLAB_URL`` point ci-eval at it. It
can also answer 404, send part of an archive, stall, hold two downloads until both have
started, or serve a tampered or unsafe archive.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nixeval.sources import (
    FetchError,
    LockedInput,
    NotAvailable,
    add_to_cache,
    fetch,
    obtain,
)
from nixeval.sources.fetch import archive_url, redact
from nixeval.store import nar_sha256
from tests.git_repos import clean_env, git, new_repo
from tests.references import PINS, tree


def node(name: str, kind: str = "github", nar_of: str | None = None) -> dict[str, Any]:
    """The flake.lock `locked` node of reference tree `name` (with the NAR hash of
    `nar_of`, to pin the wrong content)."""
    owner, repo, rev, _, _ = PINS[name]
    return {
        "type": kind,
        "owner": owner,
        "repo": repo,
        "rev": rev,
        "narHash": PINS[nar_of or name][3],
    }


def github_path(name: str) -> str:
    owner, repo, rev, _, _ = PINS[name]
    return f"/{owner}/{repo}/archive/{rev}.tar.gz"


def archive(source: Path, top: str = "repo-0123abc", mode: str = "w:gz") -> bytes:
    """A tar archive of `source` under one top-level directory, as a forge makes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        tar.add(source, arcname=top)
    return buffer.getvalue()


def entries(cache: Path) -> list[str]:
    """Everything in the cache's sources directory: entries and staging directories."""
    sources = cache / "sources"
    return sorted(p.name for p in sources.iterdir()) if sources.is_dir() else []


# --- the server -----------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    send: int | None = None  # bytes actually sent (fewer: a truncated download)
    length: bool = True  # whether Content-Length is sent
    stall: bool = False  # after `send` bytes, send nothing more until the server stops
    together: threading.Barrier | None = None  # hold each download until all have started
    location: str | None = None  # a redirect


@dataclass
class Server:
    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def serve(self, path: str, body: bytes) -> None:
        self.routes[path] = Route(body)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            if route.together is not None:
                route.together.wait(timeout=30)
            self.send_response(route.status)
            if route.location is not None:
                self.send_header("Location", route.location)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            data = route.body[: route.send]
            for start in range(0, len(data), 8192):
                self.wfile.write(data[start : start + 8192])
                if route.together is not None:
                    time.sleep(0.01)
            self.wfile.flush()
            if route.stall:
                state.stopping.wait(timeout=60)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        state.stopping.set()
        httpd.shutdown()
        httpd.server_close()


def github(server: Server) -> dict[str, str]:
    return {"CI_EVAL_GITHUB_URL": server.url}


# --- fetching an archive --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["systems", "nixpkgs.lib"])
def test_a_github_archive_is_fetched_verified_into_the_cache(
    tmp_path: Path, server: Server, name: str
) -> None:
    server.serve(github_path(name), archive(tree(name)))
    cache = tmp_path / "cache"
    pin = LockedInput.from_lock_node(node(name))

    entry = fetch(pin, cache=cache, environ=github(server))

    assert entry == cache / "sources" / f"{PINS[name][4]}-source"
    assert nar_sha256(entry) == pin.nar_hash.digest
    assert sorted(p.name for p in entry.iterdir()) == sorted(p.name for p in tree(name).iterdir())
    assert entries(cache) == [entry.name]  # no staging directory left
    assert server.paths() == [github_path(name)]
    # In the cache now: found there, not fetched again.
    found = obtain(pin, cache=cache, store=str(tmp_path / "store"), environ=github(server))
    assert (found.origin, found.path) == ("cache", entry)
    assert server.paths() == [github_path(name)]


def test_a_redirect_is_followed(tmp_path: Path, server: Server) -> None:
    server.routes[github_path("systems")] = Route(status=302, location="/codeload/systems.tgz")
    server.serve("/codeload/systems.tgz", archive(tree("systems")))
    pin = LockedInput.from_lock_node(node("systems"))
    found = obtain(pin, cache=tmp_path / "cache", store=str(tmp_path / "s"), environ=github(server))
    assert found.origin == "fetched" and nar_sha256(found.path) == pin.nar_hash.digest


def test_a_wrong_hash_is_refused(tmp_path: Path, server: Server) -> None:
    server.serve(github_path("systems"), archive(tree("systems")))
    cache = tmp_path / "cache"
    pin = LockedInput.from_lock_node(node("systems", nar_of="flake-utils"))
    with pytest.raises(FetchError) as caught:
        fetch(pin, cache=cache, environ=github(server))
    message = str(caught.value)
    assert message == (
        f"the archive at {server.url}{github_path('systems')} is not the pinned source: its "
        f"NAR hash is sha256:{PINS['systems'][4]}, the lock says {PINS['flake-utils'][3]}"
    )
    assert entries(cache) == []


def test_a_tampered_archive_is_refused(tmp_path: Path, server: Server) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(tree("systems"), tampered)
    target = tampered / "default.nix"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte changed in one file
    target.write_bytes(bytes(data))
    server.serve(github_path("systems"), archive(tampered))
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match="is not the pinned source"):
        fetch(LockedInput.from_lock_node(node("systems")), cache=cache, environ=github(server))
    assert entries(cache) == []


@pytest.mark.parametrize("length", [True, False])
def test_a_truncated_download_is_refused(tmp_path: Path, server: Server, length: bool) -> None:
    body = archive(tree("flake-utils"))
    server.routes[github_path("flake-utils")] = Route(body, send=len(body) // 2, length=length)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as caught:
        fetch(LockedInput.from_lock_node(node("flake-utils")), cache=cache, environ=github(server))
    url = f"{server.url}{github_path('flake-utils')}"
    if length:  # the server said how much it would send
        assert str(caught.value) == (
            f"cannot fetch {url}: the download is truncated ({len(body) // 2} of {len(body)} bytes)"
        )
    else:  # only the archive can tell
        assert str(caught.value).startswith(
            f"the archive at {url} is refused: it is truncated or not a valid archive"
        )
    assert entries(cache) == []


def test_an_http_error_names_the_url(tmp_path: Path, server: Server) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as caught:
        fetch(LockedInput.from_lock_node(node("systems")), cache=cache, environ=github(server))
    assert str(caught.value) == (
        f"cannot fetch {server.url}{github_path('systems')}: HTTP 404 Not Found"
    )
    assert entries(cache) == []


def test_a_stalled_server_times_out(tmp_path: Path, server: Server) -> None:
    body = archive(tree("systems"))
    server.routes[github_path("systems")] = Route(body, send=100, stall=True)
    cache = tmp_path / "cache"
    start = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(
            LockedInput.from_lock_node(node("systems")),
            cache=cache,
            environ=github(server) | {"CI_EVAL_FETCH_TIMEOUT": "0.5"},
        )
    assert time.monotonic() - start < 10
    assert str(caught.value) == (
        f"cannot fetch {server.url}{github_path('systems')}: the server sent nothing for "
        "0.5 seconds (CI_EVAL_FETCH_TIMEOUT)"
    )
    assert entries(cache) == []


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan"])
def test_a_bad_timeout_setting_is_an_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(FetchError, match="CI_EVAL_FETCH_TIMEOUT must be a number of seconds"):
        fetch(
            LockedInput.from_lock_node(node("systems")),
            cache=tmp_path,
            environ={"CI_EVAL_FETCH_TIMEOUT": value},
        )


def test_credentials_in_a_url_are_used_and_never_shown(tmp_path: Path, server: Server) -> None:
    port = server.url.rsplit(":", 1)[1]
    url = f"http://ci:s3cr3t-value@127.0.0.1:{port}/private.tar.gz?access_token=tok3n-value"
    pin = LockedInput.from_lock_node({"type": "tarball", "url": url, "narHash": PINS["systems"][3]})
    with pytest.raises(FetchError) as caught:
        fetch(pin, cache=tmp_path / "cache", environ={})
    message = str(caught.value)
    assert "s3cr3t" not in message and "tok3n" not in message, message
    assert f"127.0.0.1:{port}/private.tar.gz?access_token=<redacted>" in message
    [(_, headers)] = server.requests
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"ci:s3cr3t-value").decode()
    assert redact("https://u:p@host/x?key=1&sha=2") == "https://host/x?key=<redacted>&sha=2"


# --- other kinds of lock node ---------------------------------------------------------------


@pytest.mark.parametrize("where", ["http", "file"])
def test_a_tarball_node(tmp_path: Path, server: Server, where: str) -> None:
    data = archive(tree("flake-utils"), mode="w:xz")
    server.serve("/releases/flake-utils.tar.xz", data)
    (tmp_path / "flake-utils.tar.xz").write_bytes(data)
    url = {
        "http": f"{server.url}/releases/flake-utils.tar.xz",
        "file": f"file://{tmp_path}/flake-utils.tar.xz",
    }[where]
    pin = LockedInput.from_lock_node(
        {"type": "tarball", "url": url, "narHash": PINS["flake-utils"][3]}
    )
    found = obtain(pin, cache=tmp_path / "cache", store=str(tmp_path / "store"), environ={})
    assert found.origin == "fetched" and nar_sha256(found.path) == pin.nar_hash.digest


def test_a_file_url_must_name_a_regular_file(tmp_path: Path) -> None:
    pin = LockedInput.from_lock_node(
        {"type": "tarball", "url": "file:///dev/zero", "narHash": PINS["systems"][3]}
    )
    with pytest.raises(FetchError) as caught:
        fetch(pin, cache=tmp_path / "cache", environ={})
    assert (
        str(caught.value) == "cannot fetch file:///dev/zero: it is a character device, not a file"
    )
    assert entries(tmp_path / "cache") == []


def test_gitlab_archives_are_fetched_as_nix_does(tmp_path: Path, server: Server) -> None:
    owner, repo, rev, _, _ = PINS["systems"]
    # Nix's gitlab fetcher: the project is one path segment, "owner%2Frepo".
    path = f"/api/v4/projects/{owner}%2F{repo}/repository/archive.tar.gz?sha={rev}"
    server.serve(path, archive(tree("systems")))
    pin = LockedInput.from_lock_node(node("systems", kind="gitlab"))
    entry = fetch(pin, cache=tmp_path / "cache", environ={"CI_EVAL_GITLAB_URL": server.url})
    assert nar_sha256(entry) == pin.nar_hash.digest
    assert server.paths() == [path]


def test_forge_archive_urls() -> None:
    rev = "a" * 40
    sourcehut = {"type": "sourcehut", "owner": "~sir", "repo": "proj", "rev": rev}
    assert archive_url(sourcehut, {}) == f"https://git.sr.ht/~sir/proj/archive/{rev}.tar.gz"
    subgroup = {"type": "gitlab", "owner": "group/sub", "repo": "proj", "rev": rev}
    assert archive_url(subgroup, {}) == (
        f"https://gitlab.com/api/v4/projects/group%2Fsub%2Fproj/repository/archive.tar.gz?sha={rev}"
    )
    enterprise = {"type": "github", "owner": "o", "repo": "r", "rev": rev, "host": "git.corp"}
    assert archive_url(enterprise, {}) == f"https://git.corp/o/r/archive/{rev}.tar.gz"
    assert archive_url({**enterprise, "host": None}, {}) == (
        f"https://github.com/o/r/archive/{rev}.tar.gz"
    )
    with pytest.raises(FetchError, match=r"host 'evil\.example/x' is not a host name"):
        archive_url({**enterprise, "host": "evil.example/x"}, {})
    with pytest.raises(FetchError, match="is not a 40-digit commit hash"):
        archive_url({**sourcehut, "rev": "main"}, {})
    with pytest.raises(FetchError, match="only http, https and file URLs"):
        archive_url({"type": "tarball", "url": "ftp://example.org/x.tgz"}, {})


def _git_repository(tmp_path: Path, name: str) -> tuple[Path, str, dict[str, str]]:
    env = clean_env(tmp_path)
    repo = tmp_path / "repo"
    new_repo(repo, env)
    shutil.copytree(tree(name), repo, dirs_exist_ok=True)
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "the reference tree")
    rev = git(repo, env, "rev-parse", "HEAD").strip()
    (repo / "later.txt").write_text("a later commit\n")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "later")
    return repo, rev, env


def test_a_git_node(tmp_path: Path) -> None:
    repo, rev, env = _git_repository(tmp_path, "flake-utils")
    pin = LockedInput.from_lock_node(
        {
            "type": "git",
            "url": f"file://{repo}",
            "rev": rev,
            "ref": "refs/heads/main",
            "narHash": PINS["flake-utils"][3],
        }
    )
    cache = tmp_path / "cache"
    entry = fetch(pin, cache=cache, environ=env)
    assert nar_sha256(entry) == pin.nar_hash.digest
    assert not (entry / ".git").exists() and not (entry / "later.txt").exists()
    assert entries(cache) == [entry.name]


def test_a_git_node_without_the_commit(tmp_path: Path) -> None:
    repo, _, env = _git_repository(tmp_path, "systems")
    missing = "0123456789" * 4
    pin = LockedInput.from_lock_node(
        {"type": "git", "url": f"file://{repo}", "rev": missing, "narHash": PINS["systems"][3]}
    )
    with pytest.raises(FetchError, match=f"git\\+file://{repo} has no commit {missing}"):
        fetch(pin, cache=tmp_path / "cache", environ=env)
    assert entries(tmp_path / "cache") == []


@pytest.mark.parametrize(
    ("lock_node", "message"),
    [
        (
            {"type": "mercurial", "url": "https://hg.example/r"},
            "mercurial inputs are not supported",
        ),
        ({"type": "path", "path": "/nowhere"}, "path:/nowhere is a path input"),
    ],
)
def test_what_is_not_fetched(tmp_path: Path, lock_node: dict[str, str], message: str) -> None:
    pin = LockedInput.from_lock_node({**lock_node, "narHash": PINS["systems"][3]})
    with pytest.raises(FetchError, match=message):
        obtain(pin, cache=tmp_path / "cache", store=str(tmp_path / "store"), environ={})


def test_offline_fetches_nothing(tmp_path: Path, server: Server) -> None:
    server.serve(github_path("systems"), archive(tree("systems")))
    pin = LockedInput.from_lock_node(node("systems"))
    with pytest.raises(NotAvailable) as caught:
        obtain(pin, cache=tmp_path / "c", store=str(tmp_path / "s"), offline=True, label="systems")
    assert "--offline forbids fetching it" in str(caught.value)
    assert "--override-input systems PATH" in str(caught.value)
    assert server.requests == []


# --- unsafe archives ------------------------------------------------------------------------


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "", data: bytes = b"x") -> Any:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


UNSAFE = {
    "absolute name": ([_member("/tmp/ci-eval-evil")], "has an absolute name"),
    "dot-dot": ([_member("top/../../ci-eval-evil")], "has a '..' in its name"),
    "device": ([_member("top/dev", tarfile.CHRTYPE)], "is a device"),
    "fifo": ([_member("top/fifo", tarfile.FIFOTYPE)], "is a FIFO"),
    "absolute link": (
        [_member("top/link", tarfile.SYMTYPE, "/etc/passwd")],
        "the symbolic link 'top/link' is absolute",
    ),
    "link outside": (
        [_member("top/link", tarfile.SYMTYPE, "../../outside")],
        "the symbolic link 'link' leads outside the tree",
    ),
    "link outside through a link": (
        [
            _member("top/here", tarfile.SYMTYPE, "."),
            _member("top/up", tarfile.SYMTYPE, "here/../x"),
        ],
        "the symbolic link 'up' leads outside the tree",
    ),
    "written through a link": (
        [_member("top/up", tarfile.SYMTYPE, "../.."), _member("top/up/ci-eval-evil")],
        "is under the symbolic link 'up'",
    ),
    "hard link outside": (
        [_member("top/h", tarfile.LNKTYPE, "../etc/passwd")],
        "has a '..' in its name",
    ),
    "two top-level entries": (
        [_member("a/file"), _member("b/file")],
        "it holds 2 top-level entries",
    ),
}


@pytest.mark.parametrize("case", UNSAFE)
def test_unsafe_archive_members_are_refused(tmp_path: Path, server: Server, case: str) -> None:
    members, message = UNSAFE[case]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, data)
    server.serve("/unsafe.tar.gz", buffer.getvalue())
    pin = LockedInput.from_lock_node(
        {"type": "tarball", "url": f"{server.url}/unsafe.tar.gz", "narHash": PINS["systems"][3]}
    )
    work = tmp_path / "work"
    cache = work / "deep" / "cache"
    with pytest.raises(FetchError) as caught:
        fetch(pin, cache=cache, environ={})
    assert str(caught.value).startswith(f"the archive at {server.url}/unsafe.tar.gz is refused: ")
    assert message in str(caught.value)
    assert entries(cache) == []
    assert not Path("/tmp/ci-eval-evil").exists()
    written = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    assert written == ["deep", "deep/cache", "deep/cache/sources"], written


# --- ci-eval fetch, a real process ----------------------------------------------------------


def _environment(tmp_path: Path, server: Server, **more: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NIX", "CI_EVAL")) and not k.lower().endswith("_proxy")
    }
    return env | {
        "HOME": str(tmp_path),
        "NO_COLOR": "1",
        "NIX_STORE_DIR": str(tmp_path / "store"),
        "CI_EVAL_CACHE_DIR": str(tmp_path / "cache"),
        "CI_EVAL_GITHUB_URL": server.url,
        **more,
    }


def _ci_eval(
    cwd: Path, env: dict[str, str], *argv: str, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def _locked(name: str) -> dict[str, Any]:
    return {"locked": node(name), "original": {"type": "github", "owner": PINS[name][0]}}


# A flake-parts project with hercules-ci-effects, as `nix flake lock` writes it: the
# effects' flake-parts follows the root's, whose nixpkgs-lib follows the root's nixpkgs.
PROJECT = {
    "nodes": {
        "root": {
            "inputs": {
                "flake-parts": "flake-parts",
                "hercules-ci-effects": "hercules-ci-effects",
                "local": "local",
                "nixpkgs": "nixpkgs",
                "systems": "systems",
            }
        },
        "flake-parts": {**_locked("flake-parts"), "inputs": {"nixpkgs-lib": ["nixpkgs"]}},
        "hercules-ci-effects": {
            **_locked("hercules-ci-effects"),
            "inputs": {"flake-parts": ["flake-parts"], "nixpkgs": ["nixpkgs"], "utils": "utils"},
        },
        "utils": {**_locked("flake-utils"), "inputs": {"systems": ["systems"]}},
        "local": {
            "locked": {"type": "path", "path": "./sub", "narHash": PINS["systems"][3]},
            "original": {"type": "path", "path": "./sub"},
        },
        "nixpkgs": _locked("nixpkgs.lib"),
        "systems": {**_locked("systems"), "flake": False},
    },
    "root": "root",
    "version": 7,
}


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "flake.lock").write_text(json.dumps(PROJECT, indent=2) + "\n")
    return project


def test_ci_eval_fetch_makes_every_input_available(tmp_path: Path, server: Server) -> None:
    project = _project(tmp_path)
    env = _environment(tmp_path, server)
    # As on a user's machine: systems in the Nix store, nixpkgs in ci-eval's cache,
    # flake-parts on the forge, and hercules-ci-effects not there (404) the first time.
    systems = LockedInput.from_lock_node(node("systems"))
    shutil.copytree(tree("systems"), systems.store_path(str(tmp_path / "store")))
    nixpkgs = add_to_cache(
        tree("nixpkgs.lib"), LockedInput.from_lock_node(node("nixpkgs.lib")), tmp_path / "cache"
    )
    server.serve(github_path("flake-parts"), archive(tree("flake-parts")))
    server.serve(github_path("flake-utils"), archive(tree("flake-utils")))
    effects_path = github_path("hercules-ci-effects")
    cache = tmp_path / "cache" / "sources"

    first = _ci_eval(project, env, "fetch")

    assert first.returncode == 1, first.stderr
    assert first.stdout.splitlines() == [
        f"flake-parts: fetched {cache}/{PINS['flake-parts'][4]}-source",
        f"hercules-ci-effects: failed: cannot fetch {server.url}{effects_path}: HTTP 404 Not Found",
        f"nixpkgs: cache {nixpkgs}",
        f"systems: store {systems.store_path(str(tmp_path / 'store'))}",
        f"hercules-ci-effects/utils: fetched {cache}/{PINS['flake-utils'][4]}-source",
    ]
    # The diagnostic points at the input's narHash in flake.lock.
    text = (project / "flake.lock").read_text()
    line = text.count("\n", 0, text.index(f'"{PINS["hercules-ci-effects"][3]}"')) + 1
    assert "error[E401]: the input 'hercules-ci-effects' is not available: cannot fetch" in (
        first.stderr
    )
    assert re.search(rf"--> flake\.lock:{line}:\d+\n", first.stderr), first.stderr

    server.serve(effects_path, archive(tree("hercules-ci-effects")))
    second = _ci_eval(project, env, "fetch")

    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout.splitlines()[:2] == [
        f"flake-parts: cache {cache}/{PINS['flake-parts'][4]}-source",
        f"hercules-ci-effects: fetched {cache}/{PINS['hercules-ci-effects'][4]}-source",
    ]
    # Each tree was downloaded once; no staging directory is left.
    assert sorted(server.paths()) == sorted(
        [github_path("flake-parts"), effects_path, github_path("flake-utils"), effects_path]
    )
    assert all(not name.startswith(".") for name in entries(tmp_path / "cache"))

    offline = _ci_eval(
        project, env | {"CI_EVAL_CACHE_DIR": str(tmp_path / "empty")}, "fetch", "--offline"
    )
    assert offline.returncode == 1
    assert (
        "nixpkgs: failed: " in offline.stdout and "--offline forbids fetching it" in offline.stdout
    )
    assert f"systems: store {systems.store_path(str(tmp_path / 'store'))}" in offline.stdout
    # CI_EVAL_OFFLINE is --offline, as for the main job.
    env_offline = _ci_eval(
        project,
        env | {"CI_EVAL_CACHE_DIR": str(tmp_path / "empty"), "CI_EVAL_OFFLINE": "1"},
        "fetch",
    )
    assert (env_offline.returncode, env_offline.stdout) == (1, offline.stdout)
    assert len(server.requests) == 4  # --offline asked the server nothing


def test_ci_eval_fetch_errors(tmp_path: Path, server: Server) -> None:
    env = _environment(tmp_path, server)
    empty = tmp_path / "empty"
    empty.mkdir()
    none = _ci_eval(tmp_path, env, "fetch", "empty")
    assert none.returncode == 1 and none.stdout == ""
    assert "error[E007]: there is no flake.lock in empty" in none.stderr

    (empty / "flake.lock").write_text('{\n  "nodes": {\n    "root": {,\n')
    bad = _ci_eval(tmp_path, env, "fetch", "empty")
    assert bad.returncode == 1
    assert "error[E400]: flake.lock is not JSON: Expecting property name" in bad.stderr
    assert "--> empty/flake.lock:3:14" in bad.stderr

    (empty / "flake.lock").write_text('{"version": 4, "root": "root", "nodes": {"root": {}}}')
    old = _ci_eval(tmp_path, env, "fetch", "empty")
    assert old.returncode == 1
    assert "error[E400]: flake.lock cannot be used: lock file version 4 is not supported" in (
        old.stderr
    )

    unpinned = {"locked": {"type": "github", "owner": "o", "repo": "r"}}
    (empty / "flake.lock").write_text(
        json.dumps(
            {"version": 7, "root": "r", "nodes": {"r": {"inputs": {"x": "x"}}, "x": unpinned}}
        )
    )
    no_hash = _ci_eval(tmp_path, env, "fetch", "empty")
    assert no_hash.returncode == 1
    assert no_hash.stdout == "x: failed: lock node of type 'github' has no narHash\n"
    assert (
        "error[E401]: the input 'x' is not available: lock node of type 'github' has no narHash"
        in (no_hash.stderr)
    )

    for argv in (["fetch", "a", "b"], ["fetch", "--online"]):
        usage = _ci_eval(tmp_path, env, *argv)
        assert usage.returncode == 2 and "usage: ci-eval fetch" in usage.stderr
    helped = _ci_eval(tmp_path, env, "help", "fetch")
    assert helped.returncode == 0 and "--offline" in helped.stdout


def _one_input_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    lock = {
        "nodes": {"root": {"inputs": {"lib": "lib"}}, "lib": _locked("nixpkgs.lib")},
        "root": "root",
        "version": 7,
    }
    (project / "flake.lock").write_text(json.dumps(lock))
    return project


def test_two_processes_fetch_the_same_input_at_once(tmp_path: Path, server: Server) -> None:
    project = _one_input_project(tmp_path)
    together = threading.Barrier(2)
    server.routes[github_path("nixpkgs.lib")] = Route(
        archive(tree("nixpkgs.lib")), together=together
    )
    env = _environment(tmp_path, server)
    command = [sys.executable, "-m", "nixeval", "fetch"]
    both = [
        subprocess.Popen(
            command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(*p.communicate(timeout=120), p.returncode) for p in both]
    entry = tmp_path / "cache" / "sources" / f"{PINS['nixpkgs.lib'][4]}-source"
    for out, err, status in results:
        assert (status, err) == (0, "")
        assert out == f"lib: fetched {entry}\n"
    assert not together.broken and len(server.requests) == 2  # both downloaded, at once
    assert entries(tmp_path / "cache") == [entry.name]
    assert nar_sha256(entry) == LockedInput.from_lock_node(node("nixpkgs.lib")).nar_hash.digest


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_fetch_leaves_nothing(
    tmp_path: Path, server: Server, signum: signal.Signals
) -> None:
    project = _one_input_project(tmp_path)
    body = archive(tree("nixpkgs.lib"))
    server.routes[github_path("nixpkgs.lib")] = Route(body, send=len(body) // 2, stall=True)
    _interrupt_mid_download(tmp_path, server, project, signum)


def _interrupt_mid_download(
    tmp_path: Path, server: Server, project: Path, signum: signal.Signals
) -> None:
    """`ci-eval fetch` in `project`, sent `signum` once a download (which stalls half-way)
    is under way: it exits 130 at once, and leaves nothing in the cache."""
    env = _environment(tmp_path, server, CI_EVAL_FETCH_TIMEOUT="60")
    process = subprocess.Popen(
        [sys.executable, "-m", "nixeval", "fetch"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    # Wait until the download is under way: a staging directory holds half an archive.
    while not any(p.name == "archive" for p in (tmp_path / "cache").rglob("archive")):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(0.2)
    start = time.monotonic()
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - start < 10  # not the 60 s of the fetch timeout
    assert (process.returncode, out, err) == (130, "", "ci-eval: interrupted\n")
    assert entries(tmp_path / "cache") == []


def test_a_progress_bar_on_a_terminal_only(tmp_path: Path, server: Server) -> None:
    project = _one_input_project(tmp_path)
    server.serve(github_path("nixpkgs.lib"), archive(tree("nixpkgs.lib")))
    env = _environment(tmp_path, server, COLUMNS="100")
    main, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "nixeval", "fetch"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
        )
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(main)
    assert process.returncode == 0
    size = len(server.routes[github_path("nixpkgs.lib")].body) / (1024 * 1024)
    screen = drawn.decode()
    assert re.match(rf"\rlib \[\.+\]  0\.0/{size:.1f} MiB +0%\x1b\[K", screen), screen
    assert screen.endswith("\r\x1b[K")  # erased when done
    assert out.decode().startswith("lib: fetched ")

    # Not a terminal: nothing but the line on stdout.
    shutil.rmtree(tmp_path / "cache")
    piped = _ci_eval(project, env, "fetch")
    assert (piped.returncode, piped.stderr) == (0, "")
    assert piped.stdout.startswith("lib: fetched ")


# --- ci-eval fetch of a legacy ci.nix: what its evaluation pins -----------------------------

REPOSITORY = Path(__file__).resolve().parent.parent
# flake-compat's reference tree (INPUTS/README.md): its NAR hash in nix32.
FLAKE_COMPAT_NIX32 = "09m84vsz1py50giyfpx0fpc7a4i0r1xsb54dh0dpdg308lp4p188"


def _legacy_project(tmp_path: Path, server: Server) -> tuple[Path, str]:
    """A project whose ci.nix imports a source it pins with fetchTarball: `systems`, served
    as a tarball by the server; and the URL it is fetched from."""
    server.serve("/releases/systems.tar.gz", archive(tree("systems")))
    url = f"{server.url}/releases/systems.tar.gz"
    project = tmp_path / "project"
    project.mkdir()
    (project / "ci.nix").write_text(
        "{ src ? null }:\n"
        "let\n"
        "  systems = import (builtins.fetchTarball {\n"
        f'    url = "{url}";\n'
        f'    sha256 = "{PINS["systems"][4]}";\n'
        "  });\n"
        "in\n"
        "{\n"
        "  supported = builtins.length systems;\n"
        "}\n"
    )
    return project, url


def test_fetch_of_a_legacy_ci_nix_fetches_what_its_evaluation_pins(
    tmp_path: Path, server: Server
) -> None:
    project, url = _legacy_project(tmp_path, server)
    env = _environment(tmp_path, server)
    entry = tmp_path / "cache" / "sources" / f"{PINS['systems'][4]}-source"

    first = _ci_eval(project, env, "fetch")

    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == f"fetchTarball {url}: fetched {entry}\n"
    assert nar_sha256(entry) == LockedInput.from_lock_node(node("systems")).nar_hash.digest
    assert entries(tmp_path / "cache") == [entry.name]

    # Fetched once: the second run finds it in the cache, and so does the main job.
    second = _ci_eval(tmp_path, env, "fetch", "project")
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout == f"fetchTarball {url}: cache {entry}\n"
    assert server.paths() == ["/releases/systems.tar.gz"]
    listed = _ci_eval(project, env, "--list", "--offline")
    assert (listed.returncode, listed.stderr) == (0, ""), listed.stderr


def test_fetch_of_a_legacy_ci_nix_offline(tmp_path: Path, server: Server) -> None:
    project, url = _legacy_project(tmp_path, server)
    env = _environment(tmp_path, server)
    store_path = LockedInput.from_lock_node(node("systems")).store_path(str(tmp_path / "store"))

    offline = _ci_eval(project, env, "fetch", "--offline")

    assert offline.returncode == 1
    problem = (
        f"--offline forbids fetching it, and neither the Nix store ({store_path}) nor "
        f"ci-eval's cache ({tmp_path / 'cache'}) has it"
    )
    assert offline.stdout == f"fetchTarball {url}: failed: {problem}\n"
    # The error is at the hash in ci.nix (line 5), and says nothing of --override-input,
    # which names flake inputs only.
    assert f"error[E401]: the pinned source 'fetchTarball {url}' is not available: " in (
        offline.stderr
    )
    assert "--> ci.nix:5:15\n" in offline.stderr, offline.stderr
    assert "override-input" not in offline.stderr + offline.stdout
    assert server.requests == []
    # CI_EVAL_OFFLINE is --offline here too.
    env_offline = _ci_eval(project, env | {"CI_EVAL_OFFLINE": "1"}, "fetch")
    assert (env_offline.returncode, env_offline.stdout) == (1, offline.stdout)
    assert server.requests == []


def test_fetch_of_niv_style_sources(tmp_path: Path, server: Server) -> None:
    # As niv writes them: nix/sources.json holds the pins, nix/sources.nix fetches each
    # with its name; ci.nix imports nix/sources.nix. flake-compat's pin is wrong.
    server.serve("/systems.tar.gz", archive(tree("systems")))
    server.serve("/flake-compat.tar.gz", archive(tree("flake-compat")))
    project = tmp_path / "project"
    (project / "nix").mkdir(parents=True)
    pins = {
        "systems": {"url": f"{server.url}/systems.tar.gz", "sha256": PINS["systems"][4]},
        "flake-compat": {
            "url": f"{server.url}/flake-compat.tar.gz",
            "sha256": PINS["flake-utils"][4],
        },
    }
    (project / "nix" / "sources.json").write_text(json.dumps(pins, indent=4) + "\n")
    (project / "nix" / "sources.nix").write_text(
        "let\n"
        "  pins = builtins.fromJSON (builtins.readFile ./sources.json);\n"
        "  fetch = name: spec: builtins.fetchTarball {\n"
        '    name = "${name}-src";\n'
        "    inherit (spec) url sha256;\n"
        "  };\n"
        "in\n"
        "builtins.mapAttrs fetch pins\n"
    )
    (project / "ci.nix").write_text(
        "{ src ? null }:\n"
        "let sources = import ./nix/sources.nix; in\n"
        "{\n"
        "  systems = builtins.length (import sources.systems);\n"
        "  compat = builtins.typeOf sources.flake-compat;\n"
        "}\n"
    )
    env = _environment(tmp_path, server)

    result = _ci_eval(project, env, "fetch")

    cache = tmp_path / "cache" / "sources"
    compat_url = f"{server.url}/flake-compat.tar.gz"
    wrong = (
        f"the archive at {compat_url} is not the pinned source: its NAR hash is "
        f"sha256:{FLAKE_COMPAT_NIX32}, the lock says {PINS['flake-utils'][3]}"
    )
    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == sorted(
        [
            f"fetchTarball {compat_url}: failed: {wrong}",
            f"fetchTarball {server.url}/systems.tar.gz: fetched "
            f"{cache}/{PINS['systems'][4]}-systems-src",
        ]
    )
    # The error is at flake-compat's hash in nix/sources.json.
    text = (project / "nix" / "sources.json").read_text()
    at = text.index(PINS["flake-utils"][4])
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    assert f"error[E401]: the pinned source 'fetchTarball {compat_url}' is not available" in (
        result.stderr
    )
    assert f"--> nix/sources.json:{line}:{column}\n" in result.stderr, result.stderr
    assert entries(tmp_path / "cache") == [f"{PINS['systems'][4]}-systems-src"]


def test_fetch_of_the_local_nix_pin_fixture(tmp_path: Path, server: Server) -> None:
    # Its pins are placeholders on github.com: fetching them fails, with the reason. The
    # server is the HTTPS proxy, and refuses to tunnel: nothing reaches the network.
    env = _environment(tmp_path, server, https_proxy=server.url)

    result = _ci_eval(REPOSITORY, env, "fetch", "fixtures/local-nix-pin")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    url = "https://github.com/NixOS/nixpkgs/archive/17362f25244caf9c4dabb4817253edc618187993.tar.gz"
    assert result.stdout.startswith(f"fetchTarball {url}: failed: cannot fetch {url}: "), (
        result.stdout
    )
    assert "Tunnel connection failed: 501" in result.stdout
    assert "error[E401]: the pinned source 'fetchTarball https://github.com/NixOS/nixpkgs/" in (
        result.stderr
    )
    assert "--> fixtures/local-nix-pin/nix/default.nix:15:15\n" in result.stderr, result.stderr
    assert entries(tmp_path / "cache") == []


def test_fetch_reports_an_evaluation_error_and_what_was_reached_before(
    tmp_path: Path, server: Server
) -> None:
    project, url = _legacy_project(tmp_path, server)
    text = (project / "ci.nix").read_text()
    (project / "ci.nix").write_text(text.replace("}\n", '  zz = throw "not yet";\n}\n'))
    env = _environment(tmp_path, server)

    result = _ci_eval(project, env, "fetch")

    entry = tmp_path / "cache" / "sources" / f"{PINS['systems'][4]}-source"
    assert result.returncode == 1
    assert result.stdout == f"fetchTarball {url}: fetched {entry}\n"
    assert "not yet" in result.stderr and "--> ci.nix:10:" in result.stderr, result.stderr
    assert "ci-eval fetch lists the pinned sources the evaluation reached before this error" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_the_entry_file_decides_what_is_read(tmp_path: Path, server: Server) -> None:
    # A flake (with a flake-compat default.nix): flake.lock is read, every node of it,
    # though the flake uses none.
    project = _one_input_project(tmp_path)
    (project / "flake.nix").write_text("{ inputs = { }; outputs = { self, ... }: { }; }\n")
    (project / "default.nix").write_text('throw "flake-compat\'s place"\n')
    server.serve(github_path("nixpkgs.lib"), archive(tree("nixpkgs.lib")))
    env = _environment(tmp_path, server)
    entry = tmp_path / "cache" / "sources" / f"{PINS['nixpkgs.lib'][4]}-source"
    as_flake = _ci_eval(project, env, "fetch")
    assert (as_flake.returncode, as_flake.stdout, as_flake.stderr) == (
        0,
        f"lib: fetched {entry}\n",
        "",
    )

    # A ci.nix next to them is what Hercules CI evaluates: its pins, not flake.lock's.
    (project / "ci.nix").write_text("{ src ? null }: { nothing = 1; }\n")
    legacy = _ci_eval(project, env, "fetch")
    assert (legacy.returncode, legacy.stdout) == (0, "")
    assert legacy.stderr == "ci-eval fetch: the evaluation of ci.nix asked for no pinned source\n"

    # Both ci.nix and nix/ci.nix: the error the main job gives.
    (project / "nix").mkdir()
    (project / "nix" / "ci.nix").write_text("{ }\n")
    both = _ci_eval(project, env, "fetch")
    assert (both.returncode, both.stdout) == (1, "")
    assert "error[E007]: Hercules CI evaluates neither nix/ci.nix nor ci.nix" in both.stderr


def test_an_interrupted_fetch_of_a_legacy_pin_leaves_nothing(
    tmp_path: Path, server: Server
) -> None:
    project, _ = _legacy_project(tmp_path, server)
    body = archive(tree("systems"))
    server.routes["/releases/systems.tar.gz"] = Route(body, send=len(body) // 2, stall=True)
    # The download is under way from inside the evaluation of the ci.nix.
    _interrupt_mid_download(tmp_path, server, project, signal.SIGINT)
