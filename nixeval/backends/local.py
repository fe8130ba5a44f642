"""The local backend: run the effects here, as the Hercules CI agent would.

For each effect that runs (one after the other; the first failure stops the run):

- **secrets**: from an agent-format secrets.json (``--secrets``, else
  ``$HERCULES_CI_SECRETS_JSON``, else Hercules CI's local file for the repository's forge
  and owner). A secret is granted only by the agent's rule (`secrets.grant`: it exists,
  its ``kind`` is ``Secret``, and its ``condition`` holds for the pretended ref); the effect
  sees only the secrets its ``secretsMap`` names, keyed by their local names, in a
  private temporary secrets.json (0600, removed afterwards).
- **state**: files in ``--state-dir`` (`StateStore`), locked for the run; copied into the
  build directory for ``getStateFile``, and what ``putStateFile`` wrote is written back
  afterwards, also when the effect failed or was interrupted: atomically, the previous
  version kept.
- **the run**: the effect's script (`nixeval.execution.shell`) in a new session, its
  output streamed live with every secret value redacted. Ctrl-C stops it (its putState
  still runs), the state is written back, and the exit status is 130; otherwise the exit
  status is the effect's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

from ..budget import on_interrupt
from ..diagnostics import Diagnostic, error
from ..effects.plans import NIXOPS_STATE_FILE
from ..effects.secrets import Pretend, Secret, SecretsError, grant, load_secrets
from ..execution.model import Refused, RunEffect, refusal, runnable, unplaced
from ..execution.redact import Redactor
from ..execution.shell import render_script
from ..execution.state import StateError, StateLocked, StateStore, state_names
from ..syntax import Source
from ..syntax.nodes import Span
from . import Backend, RunRequest

#: Build directories are ``<tmp>/ci-eval-run-<pid>-<random>``.
BUILD_PREFIX = "ci-eval-run-"

#: What the effect's commands get from this process's environment; the rest is the
#: effect's own (its derivation attributes, HOME, the secrets file), as in the sandbox.
PASSED_ENVIRONMENT = ("PATH", "TERM", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "NIX_REMOTE")


class LocalBackend(Backend):
    name = "local"
    summary = "run the effects here, with secrets and state"

    def run(self, request: RunRequest, stdout: IO[str], stderr: IO[str]) -> int:
        remove_stale_builds(stderr)
        effects = runnable(request.effects)
        granted = _grant_all(request, effects)
        store = StateStore(request.state_dir)
        try:
            with store.lock():
                for effect, secrets in zip(effects, granted, strict=True):
                    print(f"ci-eval run: running {effect.attr_path or '(root)'}", file=stderr)
                    stderr.flush()
                    status = _run_effect(request, effect, secrets, store, stdout, stderr)
                    if status != 0:
                        return status
                return 0
        except StateLocked as e:
            raise Refused([unplaced("E303", str(e), "ci-eval run")]) from None


BACKEND = LocalBackend


# --- secrets ------------------------------------------------------------------------------


def secrets_file(request: RunRequest) -> Path | None:
    """``--secrets``, else ``$HERCULES_CI_SECRETS_JSON``, else Hercules CI's local file for
    the repository's forge and owner (None when there is no way to know it)."""
    if request.secrets is not None:
        return Path(request.secrets)
    if os.environ.get("HERCULES_CI_SECRETS_JSON"):
        return Path(os.environ["HERCULES_CI_SECRETS_JSON"])
    from ..effects.secrets import repository_secrets_path

    return repository_secrets_path(str(request.base))


def _grant_all(request: RunRequest, effects: list[RunEffect]) -> list[dict[str, Secret]]:
    """For each effect, the secrets it is granted by local name; every refusal at once."""
    if not any(e.secrets for e in effects):
        return [{} for _ in effects]
    path = secrets_file(request)
    if path is None:
        raise Refused(
            [
                unplaced(
                    "E302",
                    "the effect reads secrets, and there is no secrets file: pass --secrets "
                    "FILE (an agent's secrets.json) or set HERCULES_CI_SECRETS_JSON",
                    "ci-eval run",
                )
            ]
        )
    try:
        secrets = load_secrets(path)
    except SecretsError as e:
        raise Refused([_secrets_file_error(path, e)]) from None
    problems: list[Diagnostic] = []
    granted: list[dict[str, Secret]] = []
    for effect in effects:
        mine: dict[str, Secret] = {}
        for use in effect.secrets:
            at = effect.secrets_map_at or effect.at
            if use.secret is None:
                problems.append(
                    refusal(
                        "E305",
                        f"secretsMap.{use.local} asks for a GitToken, which only the Hercules "
                        "CI backend issues",
                        at,
                    )
                )
                continue
            try:
                secret = grant(secrets, use.secret, request.pretend, use.local)
            except SecretsError as e:
                problems.append(
                    refusal("E302", e.message, at, notes=_denial_notes(request.pretend))
                )
                continue
            missing = [f for f in use.fields if f not in secret.data]
            if missing:
                problems.append(
                    refusal(
                        "E302",
                        f"secret {use.secret} has no data field {', '.join(missing)}, which "
                        f"the effect reads (as secretsMap.{use.local})",
                        at,
                    )
                )
                continue
            mine[use.local] = secret
        granted.append(mine)
    if problems:
        raise Refused(problems)
    return granted


def _denial_notes(pretend: Pretend) -> list[str]:
    job = pretend.ref or "an unknown ref"
    notes = [f"conditions were evaluated for {job}"]
    if pretend.owner is None or pretend.repo is None:
        notes.append("the repository's owner and name are not known (no forge remote)")
    if pretend.default_branch is None:
        notes.append("the default branch is not known: isDefaultBranch does not hold")
    return notes


def _secrets_file_error(path: Path, e: SecretsError) -> Diagnostic:
    from ..execution.load import locate

    try:
        text = path.read_text(encoding="utf-8")
        offset = e.offset if e.offset is not None else locate(text, e.pointer)
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        text, offset = "", 0
    source = Source(str(path), text)
    return error("E302", f"secrets file: {e.message}", source, Span(offset, offset + 1))


def secret_values(secrets: dict[str, Secret]) -> dict[str, str]:
    """Every string in the granted secrets' data, labelled ``SECRET.FIELD``: what the
    output must never show."""
    values: dict[str, str] = {}

    def walk(value: Any, label: str) -> None:
        if isinstance(value, str):
            values[label] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{label}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{label}[{i}]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[label] = json.dumps(value)

    for secret in secrets.values():
        walk(secret.data, secret.name)
    return values


# --- one effect ---------------------------------------------------------------------------


def _run_effect(
    request: RunRequest,
    effect: RunEffect,
    secrets: dict[str, Secret],
    store: StateStore,
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    # Mode 0700; the name carries our pid, for `remove_stale_builds` after a kill.
    build = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{os.getpid()}-"))
    try:
        staging = build / "state"
        staging.mkdir()
        store.stage(state_names(store.directory), staging)
        secrets_path = build / "secrets.json"
        sandbox = {local: {"kind": "Secret", "data": s.data} for local, s in secrets.items()}
        fd = os.open(secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(sandbox, f)
        script = build / "effect.sh"
        script.write_text(render_script([effect], request.document, request.base))
        (build / "work").mkdir()
        (build / "tmp").mkdir()
        env = {k: os.environ[k] for k in PASSED_ENVIRONMENT if k in os.environ}
        env.update(
            {
                "HERCULES_CI_SECRETS_JSON": str(secrets_path),
                "CI_EVAL_STATE_DIR": str(staging),
                "CI_EVAL_BUILD_DIR": str(build / "work"),
                "TMPDIR": str(build / "tmp"),
            }
        )
        redactions = secret_values(secrets)
        # The script is POSIX sh, and the user's texts in it are bash, as in the sandbox
        # (stdenv's builder is bash): run it with bash where there is one.
        shell = shutil.which("bash", path=env.get("PATH")) or "sh"
        status, interrupted = _run_child(
            [shell, str(script)], env, redactions, stdout, stderr, build / "group"
        )
        status = _write_back(store, effect, staging, status, stderr)
        return 130 if interrupted else status
    finally:
        shutil.rmtree(build, ignore_errors=True)


def remove_stale_builds(stderr: IO[str]) -> None:
    """Remove the build directories (with their private secrets.json) of earlier runs
    that were killed before they could clean up: those whose ci-eval process and whose
    effect's process group are both gone."""
    for build in Path(tempfile.gettempdir()).glob(f"{BUILD_PREFIX}*"):
        try:
            if not build.is_dir() or build.stat().st_uid != os.getuid():
                continue
            pid = int(build.name[len(BUILD_PREFIX) :].split("-")[0])
            group_file = build / "group"
            group = int(group_file.read_text()) if group_file.exists() else None
        except (OSError, ValueError):
            continue
        if _alive(os.kill, pid) or (group is not None and _alive(os.killpg, group)):
            continue
        shutil.rmtree(build, ignore_errors=True)
        print(f"ci-eval run: removed {build}, left by a run that was killed", file=stderr)


def _alive(send: Callable[[int, int], None], target: int) -> bool:
    """Whether the process (`os.kill`) or process group (`os.killpg`) exists."""
    try:
        send(target, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and is not ours
    return True


def _write_back(
    store: StateStore, effect: RunEffect, staging: Path, status: int, stderr: IO[str]
) -> int:
    """Write back what the effect's putStateFile left in `staging`; a NixOps state export
    is never written back empty."""
    exports = [s.name for s in effect.state_files if s.file == NIXOPS_STATE_FILE]
    problem: StateError | None = None
    try:
        written = store.commit(staging, list(state_names(staging)), refuse_empty=exports)
    except StateError as e:
        written, problem = e.written, e
    for name in written:
        print(f"ci-eval run: state file {name} written back to {store.directory}", file=stderr)
    if problem is not None:
        print(f"ci-eval run: error[E303]: {problem}", file=stderr)
        return status or 1
    return status


def _run_child(
    argv: list[str],
    env: dict[str, str],
    redactions: dict[str, str],
    stdout: IO[str],
    stderr: IO[str],
    group_file: Path,
) -> tuple[int, bool]:
    """Run the effect's script: its exit status, and whether it was interrupted. The
    script's process group is written to `group_file`."""
    stdout.flush()
    stderr.flush()
    child = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches us; we decide what the child gets
    )
    assert child.stdout is not None and child.stderr is not None
    group_file.write_text(str(child.pid))
    pumps = [
        threading.Thread(target=_pump, args=(child.stdout, _binary(stdout), redactions)),
        threading.Thread(target=_pump, args=(child.stderr, _binary(stderr), redactions)),
    ]
    for pump in pumps:
        pump.start()
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
    interrupted: list[signal.Signals] = []

    def interrupt() -> None:
        # First Ctrl-C: SIGINT (the script still runs putState); then TERM, then KILL.
        sig = signals[min(len(interrupted), len(signals) - 1)]
        interrupted.append(sig)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)

    with on_interrupt(interrupt):
        status = child.wait()
        for pump in pumps:
            pump.join()
    if status < 0:  # killed by a signal, as a shell reports it
        status = 128 - status
    return status, bool(interrupted)


def _binary(stream: IO[str]) -> Any:
    """Where the child's bytes go: the stream's binary buffer, or a sink decoding them."""
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else _TextSink(stream)


class _TextSink:
    """A binary face for a text stream without one (a test's StringIO)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        self.stream.write(data.decode("utf-8", errors="replace"))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()


def _pump(source: BinaryIO, sink: Any, redactions: dict[str, str]) -> None:
    """Copy the child's output as it comes, with the secrets redacted."""
    redactor = Redactor(redactions)
    while True:
        data = source.read1(65536) if hasattr(source, "read1") else source.read(65536)
        if not data:
            break
        shown = redactor.feed(data)
        if shown:
            sink.write(shown)
            sink.flush()
    rest = redactor.flush()
    if rest:
        sink.write(rest)
        sink.flush()
