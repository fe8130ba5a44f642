"""Nothing of a secrets file is ever shown: for every malformed shape of a ``secrets.json``,
``ci-eval check --secrets`` (in each format) and ``ci-eval run --backend local --secrets``
name the file, the place (``file:line:column``) and the secret, and print no part of the
secret token. And a secrets file that is not a regular file, or is too large, ends at once
in a clear error. Real runs of ``python -m nixeval``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nixeval.diagnostics import RENDERERS, Label, error, render_human
from nixeval.effects.secrets import MAX_SECRETS_BYTES
from nixeval.syntax.nodes import Span
from nixeval.syntax.source import Source
from tests.effect_files import ci_nix

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "Zq9XvP7wK4mTn2Rb"
#: Parts of the token none of which may be shown (a tab or a bad byte may split it).
PIECES = (TOKEN, TOKEN[:6], TOKEN[-6:])
NAME = "cond-secret"
FORMATS = ("human", "gcc", "json", "sarif")

CI_NIX = ci_nix(
    """\
  deploy = effects.runCachixDeploy {
    deployJsonFile = ./deploy.json;
    secretsMap.activate = "cond-secret";
  };
"""
)


def entry(**fields: str) -> str:
    """A secret's JSON object text: kind, data (with the token) and condition, each
    replaceable by raw JSON text (or left out with "")."""
    parts = {
        "kind": '"Secret"',
        "data": f'{{"cachixActivateToken": "{TOKEN}"}}',
        "condition": "true",
        **fields,
    }
    return "{" + ", ".join(f'"{k}": {v}' for k, v in parts.items() if v) + "}"


def file(secret: str, one_line: bool = False) -> str:
    text = f'{{\n  "{NAME}": {secret}\n}}\n'
    return text.replace("\n", " ") if one_line else text


TAB = TOKEN[:8] + "\t" + TOKEN[8:]
#: The token as a JSON string written after the data's (a field after ``data``).
LAST = (f'"{TOKEN}"'.encode(), 1)
# case → (the file's bytes, the bytes where the error points — or the nth (0-based) of
# them, or None: the file's start —, whether the problem is inside the secret, so that its
# name is given)
CASES: dict[str, tuple[bytes, bytes | tuple[bytes, int] | None, bool]] = {
    "tab-in-token": (file(entry(data=f'{{"t": "{TAB}"}}')).encode(), b"\t", False),
    "tab-one-line": (file(entry(data=f'{{"t": "{TAB}"}}'), True).encode(), b"\t", False),
    "kind": (file(entry(kind='"Secrets"')).encode(), b'"Secrets"', True),
    "kind-is-the-token": (file(entry(kind=f'"{TOKEN}"')).encode(), f'"{TOKEN}"'.encode(), True),
    "kind-missing": (file(entry(kind="")).encode(), b'{"data"', True),
    "api-version": (
        file(entry(apiVersion=f'"{TOKEN}"')).encode(),
        LAST,
        True,
    ),
    "data-a-string": (file(entry(data=f'"{TOKEN}"')).encode(), f'"{TOKEN}"'.encode(), True),
    "secret-a-string": (file(f'"{TOKEN}"').encode(), f'"{TOKEN}"'.encode(), True),
    "condition-a-number": (file(entry(condition='{"or": [false, 42]}')).encode(), b"42", True),
    "condition-unknown-key": (
        file(entry(condition=f'{{"isBrnach": "{TOKEN}"}}')).encode(),
        b'{"isBrnach"',
        True,
    ),
    "condition-unknown-string": (
        file(entry(condition=f'"{TOKEN}"')).encode(),
        LAST,
        True,
    ),
    "condition-a-list": (file(entry(condition=f'["{TOKEN}"]')).encode(), b'["', True),
    "condition-and-of-a-string": (
        file(entry(condition=f'{{"and": "{TOKEN}"}}')).encode(),
        LAST,
        True,
    ),
    "condition-two-fields": (
        file(entry(condition=f'{{"isBranch": "main", "isOwner": "{TOKEN}"}}')).encode(),
        b'{"isBranch"',
        True,
    ),
    "condition-branch-a-number": (
        file(entry(condition='{"isBranch": 5}')).encode(),
        b"5}",
        True,
    ),
    "invalid-json": (file(entry()).replace("}\n}", "},\n}").encode(), b"}\n", False),
    "not-utf-8": (
        file(entry()).encode().replace(TOKEN[8:].encode(), b"\xff" + TOKEN[8:].encode()),
        b"\xff",
        False,
    ),
    "a-json-list": (f'[{{"{NAME}": {entry()}}}]\n'.encode(), None, False),
    "a-json-string": (f'"{TOKEN}"\n'.encode(), None, False),
    "a-number-too-long": (file(entry(data=f'{{"n": {"9" * 5000}, "t": "{TOKEN}"}}')).encode(), None, False),
    "nested-too-deeply": (f'{{"t": "{TOKEN}", "x": {"[" * 100000}'.encode(), None, False),
}  # fmt: skip


def place(path: Path, data: bytes, at: bytes | tuple[bytes, int] | None) -> str:
    """``path:line:column`` of `at` in `data` (columns count characters)."""
    if at is None:
        return f"{path}:1:1"
    marker, nth = (at, 0) if isinstance(at, bytes) else at
    offset = -1
    for _ in range(nth + 1):
        offset = data.index(marker, offset + 1)
    before = data[:offset].decode("utf-8", "replace")
    line = before.count("\n") + 1
    return f"{path}:{line}:{len(before) - before.rfind(chr(10))}"


def assert_private(done: subprocess.CompletedProcess[str]) -> None:
    shown = done.stdout + done.stderr
    for piece in PIECES:
        assert piece not in shown, f"{piece!r} of the token is shown:\n{show(done)}"
    assert "Traceback" not in shown, show(done)


def show(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("privacy") / "repo"
    directory.mkdir()
    (directory / "ci.nix").write_text(CI_NIX)
    deploy = ROOT / "fixtures" / "cachix-deploy-json-file" / "deploy.json"
    (directory / "deploy.json").write_bytes(deploy.read_bytes())
    (directory / ".git").mkdir()  # the repository's root: no forge remote, no local secrets
    return directory


def ci_eval(
    project: Path, *args: str | Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(project.parent),
        "TMPDIR": str(project.parent),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *map(str, args)],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
    )


def check(project: Path, secrets: Path, format: str) -> subprocess.CompletedProcess[str]:
    return ci_eval(project, "check", "--format", format, "--secrets", secrets, "ci.nix")


def run_local(
    project: Path, secrets: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    state = project.parent / "state"
    return ci_eval(
        project,
        "run", "ci.nix", "-A", "deploy", "--backend", "local", "--as-branch", "main",
        "--state-dir", state, "--secrets", secrets,
        timeout=timeout,
    )  # fmt: skip


def write(project: Path, case: str) -> tuple[Path, str, bool]:
    data, at, named = CASES[case]
    path = project.parent / f"{case}.json"
    path.write_bytes(data)
    return path, place(path, data, at), named


def test_the_project_uses_the_secret(project: Path) -> None:
    """The good file passes (so the cases below fail for their malformation alone)."""
    path = project.parent / "good.json"
    path.write_text(file(entry()))
    done = check(project, path, "gcc")
    assert done.returncode == 0, show(done)


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_check_shows_nothing_of_a_malformed_secrets_file(
    project: Path, case: str, format: str
) -> None:
    path, where, named = write(project, case)
    done = check(project, path, format)
    assert done.returncode == 1, show(done)
    assert_private(done)
    code = "E215" if named else "E218"
    assert code in done.stdout, show(done)
    assert where in done.stdout, f"{where} not shown\n{show(done)}"
    if format in ("json", "sarif"):
        json.loads(done.stdout)
    if named:
        assert NAME in done.stdout, show(done)


@pytest.mark.parametrize("case", CASES)
def test_run_shows_nothing_of_a_malformed_secrets_file(project: Path, case: str) -> None:
    path, where, named = write(project, case)
    done = run_local(project, path)
    assert done.returncode == 1, show(done)
    assert_private(done)
    assert "error[E302]: secrets file: " in done.stderr, show(done)
    assert where in done.stderr, f"{where} not shown\n{show(done)}"
    if named:
        assert f"in secret '{NAME}'" in done.stderr, show(done)


def test_no_renderer_prints_a_sensitive_source() -> None:
    """The mechanism under the E302 of a secrets file: its Source is sensitive, so no
    format quotes it, whatever the spans and labels; positions are still given."""
    text = f'{{"s": {{"kind": "Secrets", "data": {{"t": "{TOKEN}"}}}}}}'
    source = Source("secrets.json", text, sensitive=True)
    at = text.index(TOKEN)
    d = error(
        "E302",
        "secrets file: a problem",
        source,
        Span(at, at + len(TOKEN)),
        labels=[Label(Span(at, at + 3), "here")],
    )
    for name, render in RENDERERS.items():
        out = render([d])
        assert TOKEN not in out and TOKEN[:6] not in out, name
        assert "secrets.json" in out, name
    assert f"secrets.json:1:{at + 1}" in render_human([d])
    assert TOKEN not in repr(source)
    plain = render_human([error("E302", "m", Source("x.json", text), Span(at, at + 1))])
    assert TOKEN in plain, "an ordinary source is quoted (the test would prove nothing)"


# --- files that are not regular, or too large ------------------------------------------------

QUICK = 30  # seconds: a hang or a read of /dev/zero to the end would pass this


def unreadable(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A secrets path of `kind`, and what the error says about it."""
    if kind == "fifo":
        path = tmp_path / "secrets.fifo"
        os.mkfifo(path)  # nothing ever writes to it
        return path, "it is not a regular file"
    if kind == "dev-zero":
        return Path("/dev/zero"), "it is not a regular file"
    if kind == "directory":
        return tmp_path, "it is a directory"
    if kind == "missing":
        return tmp_path / "nope.json", "no such file"
    path = tmp_path / "huge.json"
    with path.open("wb") as f:  # sparse: no disk used
        f.truncate(MAX_SECRETS_BYTES + 1)
    return path, "it is larger than 16 MiB"


KINDS = ("fifo", "dev-zero", "directory", "missing", "too-large")


@pytest.mark.parametrize("kind", KINDS)
def test_check_refuses_a_secrets_file_that_is_not_a_regular_file(
    project: Path, tmp_path: Path, kind: str
) -> None:
    path, message = unreadable(tmp_path, kind)
    done = ci_eval(project, "check", "--format", "gcc", "--secrets", path, "ci.nix", timeout=QUICK)
    assert done.returncode == 1, show(done)
    assert f"error[E218]: cannot use secrets file '{path}': {message}" in done.stdout, show(done)


@pytest.mark.parametrize("kind", KINDS)
def test_run_refuses_a_secrets_file_that_is_not_a_regular_file(
    project: Path, tmp_path: Path, kind: str
) -> None:
    path, message = unreadable(tmp_path, kind)
    done = run_local(project, path, timeout=QUICK)
    assert done.returncode == 1, show(done)
    assert f"error[E302]: secrets file: {message}" in done.stderr, show(done)
    assert f"{path}:1:1" in done.stderr, show(done)
