"""The Hercules CI state API on 127.0.0.1, backed by a `StateStore`, for an effect run here.

hercules-ci-effects' setup hook keeps state files with curl (``getStateFile``,
``putStateFile``): ``GET`` and ``PUT`` of
``$HERCULES_CI_API_BASE_URL/api/v1/current-task/state/NAME/data``, authorized by
``Authorization: Bearer TOKEN``, the token being the ``hercules-ci`` entry of the effect's
secrets file. This server answers those requests as the Hercules CI API does, so that the
library's own functions run unchanged:

* ``GET``: 200 with the stored file, 404 when there is none;
* ``PUT``: the body is spooled to a private file and committed with `StateStore.commit`
  only once it arrived whole (atomic, the previous version kept as ``NAME.previous``);
* a wrong token is a 401, a name that is not a plain file name a 400 (the hook stops on
  both), any other path a 404.

The effect's script starts it (``python -m nixeval.execution.state_api``, `main`) and stops
it when it ends. It holds the state directory's lock for as long as it runs, in a session
of its own so that a Ctrl-C meant for the effect does not stop it before the effect's
putState has run, and it ends by itself when the script that started it is gone.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from .state import StateError, StateLocked, StateStore

__all__ = ["StateAPI", "main"]

_PREFIX = "/api/v1/current-task/state/"
_SUFFIX = "/data"
_CHUNK = 1 << 20
# How often the server looks whether the script that started it is still there.
_PARENT_POLL_SECONDS = 0.2


class StateAPI(HTTPServer):
    """The server: `store` holds the state files, `token` is the bearer token asked for."""

    def __init__(self, store: StateStore, token: str, spool: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.store = store
        self.token = token
        self.spool = spool

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: StateAPI
    # HTTP/1.1, so that curl's ``Expect: 100-continue`` for an upload is answered at once.
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the effect's output is the effect's."""

    def do_GET(self) -> None:
        name = self._state_name()
        if name is None:
            return
        try:
            path = self.server.store.path(name)
        except StateError as e:
            self._answer(400, str(e))
            return
        if not path.is_file():
            self._answer(404, "")
            return
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.send_header("Connection", "close")
            self.end_headers()
            shutil.copyfileobj(f, self.wfile, _CHUNK)
        self.close_connection = True

    def do_PUT(self) -> None:
        name = self._state_name()
        if name is None:
            return
        try:
            self.server.store.path(name)
        except StateError as e:
            self._answer(400, str(e))
            return
        # A directory of its own per upload: commit takes the staged file by its name.
        staged = Path(tempfile.mkdtemp(dir=self.server.spool))
        try:
            with (staged / name).open("wb") as out:
                whole = self._receive(out)
            if not whole:
                self._answer(400, "the upload was cut short: nothing was stored")
                return
            self.server.store.commit(staged, [name])
        except (StateError, OSError) as e:
            self._answer(500, f"the state file {name} was not stored: {e}")
            return
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self._answer(200, "")

    def do_POST(self) -> None:
        self._answer(405, "only GET and PUT")

    def _state_name(self) -> str | None:
        """The NAME of ``/api/v1/current-task/state/NAME/data``, once the token is checked
        (None when the request was answered already)."""
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.server.token}".encode()):
            self._answer(401, "not authorized")
            return None
        path = self.path.split("?", 1)[0]
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            self._answer(404, "no such resource")
            return None
        return unquote(path[len(_PREFIX) : -len(_SUFFIX)])

    def _receive(self, out: IO[bytes]) -> bool:
        """Copy the request body to `out`; whether it arrived whole."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._receive_chunked(out)
        try:
            left = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return False
        return self._copy(left, out)

    def _copy(self, size: int, out: IO[bytes]) -> bool:
        """Copy `size` bytes of the body to `out`; whether they all came."""
        while size > 0:
            data = self.rfile.read(min(size, _CHUNK))
            if not data:
                return False
            out.write(data)
            size -= len(data)
        return True

    def _receive_chunked(self, out: IO[bytes]) -> bool:
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return False
            if size == 0:
                # Trailers, then the empty line that ends the body.
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return True
            if not self._copy(size, out):
                return False
            self.rfile.readline(1024)  # the CRLF after the chunk

    def _answer(self, status: int, message: str) -> None:
        body = (message + "\n").encode() if message else b""
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


def token_of(secrets_file: str) -> str:
    """The ``hercules-ci`` entry's token in the effect's secrets file."""
    with open(secrets_file, encoding="utf-8") as f:
        data = json.load(f)
    token = data.get("hercules-ci", {}).get("data", {}).get("token")
    if not isinstance(token, str) or not token:
        raise ValueError("the secrets file has no hercules-ci token")
    return token


def _watch_parent(server: StateAPI, parent: int) -> None:
    """Stop serving once the process that started the server is gone."""
    stopped = threading.Event()
    while not stopped.wait(_PARENT_POLL_SECONDS):
        if os.getppid() != parent:
            server.shutdown()
            return


def main(argv: Sequence[str] | None = None, stderr: IO[str] = sys.stderr) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nixeval.execution.state_api",
        description="Serve the Hercules CI state API for one effect run, on 127.0.0.1.",
    )
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--secrets", required=True, help="the secrets file with the token")
    parser.add_argument("--port-file", required=True, help="where the port is written")
    options = parser.parse_args(argv)
    parent = os.getppid()
    # Not the effect's process group: a Ctrl-C for the effect must leave the server to
    # its putState. Nor its descriptors: the locks the script inherited are the script's.
    os.setsid()
    os.closerange(3, 1024)
    # The script stops the server with SIGTERM: leave through the `finally`s (the spool).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        token = token_of(options.secrets)
    except (OSError, ValueError) as e:
        print(f"ci-eval state API: {e}", file=stderr)
        return 1
    store = StateStore(options.state_dir)
    try:
        with store.lock():
            spool = Path(tempfile.mkdtemp(prefix="ci-eval-state-api-"))
            try:
                with StateAPI(store, token, spool) as server:
                    partial = f"{options.port_file}.tmp"
                    with open(partial, "w", encoding="utf-8") as f:
                        f.write(f"{server.port}\n")
                    os.replace(partial, options.port_file)
                    watcher = threading.Thread(
                        target=_watch_parent, args=(server, parent), daemon=True
                    )
                    watcher.start()
                    server.serve_forever(poll_interval=0.1)
            finally:
                shutil.rmtree(spool, ignore_errors=True)
    except (StateLocked, StateError) as e:
        print(f"ci-eval state API: {e}", file=stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
