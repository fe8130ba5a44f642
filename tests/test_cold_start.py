"""What a cold ``ci-eval`` process does not pay for: TLS set-up for a download that never
connects, validating a description already found valid, and modules it does not use."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nixeval.effects import known_valid, validate
from nixeval.effects.known_valid import validate_remembered
from nixeval.sources import FetchError, LockedInput, fetch, tls
from nixeval.store import nar_sha256
from tests.cli_process import on_main_job_and_check
from tests.references import PINS, tree

# --- TLS: one context per process, made only for a connection that is open ------------------


def _archive(name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tree(name), arcname=f"{name}-src")
    return buffer.getvalue()


TLS = Path(__file__).resolve().parent / "data" / "tls"  # see its README.md


@pytest.fixture
def https_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, dict[str, bytes]]]:
    """An HTTPS server on 127.0.0.1 serving the bytes of its `routes`: its URL, its
    certificate and the routes. The client trusts the authorities of ``SSL_CERT_FILE``
    only, and reaches the server without a proxy."""
    for name in ("SSL_CERT_DIR", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    cert, key = TLS / "server-cert.pem", TLS / "server-key.pem"
    routes: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            if body is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", cert, routes
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def contexts_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real ``ssl.create_default_context()`` calls, in a process whose TLS
    context is not made yet."""
    made: list[int] = []
    real: Callable[..., ssl.SSLContext] = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    monkeypatch.setattr(tls, "_default", None)
    monkeypatch.setattr(tls, "_deferred", None)
    return made


def _tarball(url: str, name: str) -> LockedInput:
    return LockedInput.from_lock_node({"type": "tarball", "url": url, "narHash": PINS[name][3]})


def test_a_download_that_never_connects_loads_no_certificates(
    tmp_path: Path, contexts_made: list[int]
) -> None:
    with socket.socket() as closed:  # a port nothing listens on: the connection is refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    for name in ("systems", "flake-utils"):
        with pytest.raises(FetchError, match=r"cannot fetch https://127\.0\.0\.1:"):
            fetch(_tarball(f"https://127.0.0.1:{port}/{name}.tar.gz", name), cache=tmp_path)
    assert contexts_made == []


def test_https_downloads_share_one_context_and_verify_the_server(
    tmp_path: Path,
    https_server: tuple[str, Path, dict[str, bytes]],
    contexts_made: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, cert, routes = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the one authority the client trusts
    for name in ("systems", "flake-utils"):
        routes[f"/{name}.tar.gz"] = _archive(name)
        pin = _tarball(f"{url}/{name}.tar.gz", name)
        entry = fetch(pin, cache=tmp_path / "cache")
        assert nar_sha256(entry) == pin.nar_hash.digest
    assert contexts_made == [1]


def test_a_server_whose_certificate_is_not_trusted_is_refused(
    tmp_path: Path,
    https_server: tuple[str, Path, dict[str, bytes]],
    contexts_made: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _, routes = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "other-cert.pem"))
    routes["/systems.tar.gz"] = _archive("systems")
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(_tarball(f"{url}/systems.tar.gz", "systems"), cache=tmp_path / "cache")
    assert contexts_made == [1]


# --- validation: a document found valid is remembered, jsonschema not imported again ------

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "descriptions" / "runNixOps-neat-network.json"


def _golden() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return document


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The documents jsonschema really validates, in a process that has not computed
    the validator's stamp yet."""
    seen: list[object] = []
    real = validate.validate_document

    def counting(document: Any) -> list[validate.SchemaProblem]:
        seen.append(document)
        return real(document)

    monkeypatch.setattr(validate, "validate_document", counting)
    known_valid._validator_stamp.cache_clear()
    yield seen
    known_valid._validator_stamp.cache_clear()


def test_a_valid_document_is_validated_once(tmp_path: Path, validations: list[object]) -> None:
    document = _golden()
    assert validate_remembered(document, tmp_path) == []
    assert validate_remembered(_golden(), tmp_path) == []
    assert validations == [document]
    (entry,) = (tmp_path / "valid").iterdir()
    assert entry.read_text() == entry.name  # the entry holds its own name


def test_a_changed_document_is_validated_again(tmp_path: Path, validations: list[object]) -> None:
    document = _golden()
    validate_remembered(document, tmp_path)
    changed = _golden()
    changed["file"] = "nix/ci.nix"
    assert validate_remembered(changed, tmp_path) == []
    assert validations == [document, changed]


def _forget_schemas() -> None:
    """As in a new process: the schemas read again, by the quick test and by jsonschema."""
    for cached in (validate._schemas, validate._quick, validate._validator):
        cached.cache_clear()


def test_a_changed_schema_is_validated_again(
    tmp_path: Path, validations: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(validate.schemas_directory(), schemas)
    monkeypatch.setattr(validate, "schemas_directory", lambda: schemas)
    _forget_schemas()
    try:
        assert validate_remembered(_golden(), tmp_path) == []
        # A new version of ci-eval whose schema asks for a key the document lacks.
        path = schemas / validate.DOCUMENT_SCHEMA
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema["required"] = [*schema.get("required", []), "newKey"]
        path.write_text(json.dumps(schema), encoding="utf-8")
        _forget_schemas()
        known_valid._validator_stamp.cache_clear()  # as in a new process

        (problem,) = validate_remembered(_golden(), tmp_path)
    finally:
        _forget_schemas()
    assert "'newKey' is a required property" in problem.message
    assert len(validations) == 2


def test_an_invalid_document_reports_its_problems_every_time(
    tmp_path: Path, validations: list[object]
) -> None:
    document = _golden()
    document["effects"][0]["functon"] = document["effects"][0].pop("function")
    first = validate_remembered(document, tmp_path)
    assert first != []
    assert validate_remembered(document, tmp_path) == first
    assert len(validations) == 2
    assert not (tmp_path / "valid").exists()


@pytest.mark.parametrize("content", [b"", b"garbage", b"valid"])
def test_a_corrupt_entry_is_ignored_and_replaced(
    tmp_path: Path, validations: list[object], content: bytes
) -> None:
    validate_remembered(_golden(), tmp_path)
    (entry,) = (tmp_path / "valid").iterdir()
    entry.write_bytes(content)
    assert validate_remembered(_golden(), tmp_path) == []
    assert len(validations) == 2
    assert entry.read_text() == entry.name


def test_a_document_that_is_not_plain_json_is_not_remembered(
    tmp_path: Path, validations: list[object]
) -> None:
    assert validate_remembered(_golden(), tmp_path) == []  # remembered
    document = _golden()
    # Its JSON is the golden's, but jsonschema does not take a tuple for an array.
    document["effects"] = tuple(document["effects"])
    first = validate_remembered(document, tmp_path)
    assert first != []
    assert validate_remembered(document, tmp_path) == first
    assert len(validations) == 3


def test_an_unwritable_cache_still_validates(tmp_path: Path, validations: list[object]) -> None:
    (tmp_path / "valid").write_text("a file where the directory should be")
    assert validate_remembered(_golden(), tmp_path) == []
    assert validate_remembered(_golden(), tmp_path) == []
    assert len(validations) == 2


def _imported_modules(stderr: str) -> set[str]:
    """The modules ``python -X importtime`` says the process imported (it does not list
    those ``importlib.import_module`` loads itself, only what they import)."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def _imported_packages(stderr: str) -> set[str]:
    """The top-level packages of `_imported_modules`."""
    return {module.split(".")[0] for module in _imported_modules(stderr)}


@on_main_job_and_check
def test_run_again_on_an_unchanged_project_jsonschema_is_not_imported(
    tmp_path: Path, command: list[str]
) -> None:
    env = dict(os.environ, CI_EVAL_CACHE_DIR=str(tmp_path / "cache"), CI_EVAL_OFFLINE="1")
    runs = [
        subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "nixeval", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        for _ in range(2)
    ]
    first, again = runs
    assert first.returncode == again.returncode == 0, first.stderr[-2000:]
    # The first run validates the description (the quick test vouches for it, so without
    # jsonschema) and remembers it; the next one does not validate at all.
    assert "nixeval.effects.schema_validity" in _imported_modules(first.stderr)
    assert "nixeval.effects.schema_validity" not in _imported_modules(again.stderr)
    assert "jsonschema" not in _imported_packages(first.stderr)
    assert "jsonschema" not in _imported_packages(again.stderr)
    assert again.stdout == first.stdout

    def diagnostics(stderr: str) -> list[str]:
        return [line for line in stderr.splitlines() if not line.startswith("import time:")]

    assert diagnostics(again.stderr) == diagnostics(first.stderr)


# --- modules a command does not use are not imported ------------------------------------------

# Loaded only by what needs them: fromTOML, derivationStrict's .drv code, a diagnostic's
# source snippet, a secrets file's parser.
NOT_AT_START = (
    "tomllib",
    "nixeval.store.aterm",
    "nixeval.store.derivations",
    "nixeval.snippet",
    "nixeval.effects.secrets",
)


@on_main_job_and_check
def test_a_command_does_not_import_what_it_does_not_use(tmp_path: Path, command: list[str]) -> None:
    code = (
        "import sys\n"
        "from nixeval.cli import main\n"
        f"status = main({command!r})\n"
        f"print(status, sorted(m for m in {NOT_AT_START!r} if m in sys.modules))\n"
    )
    env = dict(os.environ, CI_EVAL_CACHE_DIR=str(tmp_path / "cache"), CI_EVAL_OFFLINE="1")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.splitlines()[-1] == "0 []", out.stdout[-2000:] + out.stderr[-2000:]


def test_fromtoml_and_the_store_names_are_there_when_used() -> None:
    code = (
        "import sys\n"
        "from nixeval.cli import main\n"
        "assert main(['--eval', '-E', 'builtins.fromTOML \"a = 1\"']) == 0\n"
        "import nixeval.store as store\n"
        "assert 'nixeval.store.aterm' not in sys.modules\n"
        "from nixeval.store import Derivation, DerivationStore, source_path, unparse\n"
        "assert store.Derivation is Derivation and callable(source_path) and callable(unparse)\n"
        "try:\n"
        "    store.nothing\n"
        "except AttributeError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == [
        "{ a = 1; }",
        "module 'nixeval.store' has no attribute 'nothing'",
    ]
