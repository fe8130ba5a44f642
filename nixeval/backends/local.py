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
- **a kill**: when ci-eval itself is killed, the effect runs to its end, the state
  directory locked meanwhile, and the next run writes back what it put before anything
  else (`nixeval.execution.builds`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from ..budget import on_interrupt
from ..diagnostics import Diagnostic, error, unplaced
from ..effects.plans import NIXOPS_STATE_FILE
from ..effects.secrets import Pretend, Secret, SecretsError, grant, load_secrets
from ..execution.builds import (
    Build,
    new_build,
    recover_stale_builds,
    running_orphan,
    write_back,
)
from ..execution.model import Refused, RunEffect, refusal, runnable
from ..execution.redact import Redactor
from ..execution.shell import render_script
from ..execution.state import StateError, StateLocked, StateStore, state_names
from ..syntax import Source
from ..syntax.nodes import Span
from ..terminal import escape
from . import Backend, RunRequest

#: What the effect's commands get from this process's environment; the rest is the
#: effect's own (its derivation attributes, HOME, the secrets file), as in the sandbox.
PASSED_ENVIRONMENT = ("PATH", "TERM", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "NIX_REMOTE")


class LocalBackend(Backend):
    name = "local"
    summary = "run the effects here, with secrets and state"

    def run(self, request: RunRequest, stdout: IO[str], stderr: IO[str]) -> int:
        effects = runnable(request.effects, request.document.get("unknowns", []))
        granted = _grant_all(request, effects)
        store = StateStore(request.state_dir)
        try:
            with store.lock() as lock:
                # Before anything else: what a killed run's effect put is written back.
                recover_stale_builds(store, stderr)
                for effect, secrets in zip(effects, granted, strict=True):
                    shown = escape(effect.attr_path or "(root)")
                    print(f"ci-eval run: running {shown}", file=stderr)
                    stderr.flush()
                    status = _run_effect(request, effect, secrets, store, lock, stdout, stderr)
                    if status != 0:
                        return status
                return 0
        except StateLocked as e:
            note = running_orphan(store)
            raise Refused(
                [unplaced("E303", str(e), "ci-eval run", [note] if note else [])]
            ) from None
        except StateError as e:  # the state directory cannot be used at all
            raise Refused([unplaced("E303", str(e), str(store.directory))]) from None


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
    """E302 at the problem's place in the secrets file, which is never quoted (its
    `Source` is sensitive; without one, the file's start)."""
    source = e.file or Source(str(path), "", sensitive=True)
    offset = e.offset or 0
    what = e.what()
    notes = [f"in {what}"] if what else []
    return error(
        "E302", f"secrets file: {e.message}", source, Span(offset, offset + 1), notes=notes
    )


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
    lock: int,
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    """Run one effect in a build directory of its own; `lock` is the state directory's
    lock, which the effect inherits."""
    with new_build() as build:
        staging = build.staging
        staging.mkdir()
        store.stage(state_names(store.directory), staging)
        sandbox = {local: {"kind": "Secret", "data": s.data} for local, s in secrets.items()}
        fd = os.open(build.secrets, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(sandbox, f)
        script = build.path / "effect.sh"
        script.write_text(render_script([effect], request.document, request.base))
        (build.path / "work").mkdir()
        (build.path / "tmp").mkdir()
        env = {k: os.environ[k] for k in PASSED_ENVIRONMENT if k in os.environ}
        env.update(
            {
                "HERCULES_CI_SECRETS_JSON": str(build.secrets),
                "CI_EVAL_STATE_DIR": str(staging),
                "CI_EVAL_BUILD_DIR": str(build.path / "work"),
                "TMPDIR": str(build.path / "tmp"),
            }
        )
        if effect.library is not None:
            # The Python with ci-eval: the script serves the Hercules CI state API with it.
            env["CI_EVAL_PYTHON"] = sys.executable
        redactions = secret_values(secrets)
        # The script is POSIX sh (bash for an effect of the real library), and the user's
        # texts in it are bash, as in the sandbox (stdenv's builder is bash): run it with
        # bash where there is one.
        shell = shutil.which("bash", path=env.get("PATH")) or "sh"
        exports = [s.name for s in effect.state_files if s.file == NIXOPS_STATE_FILE]
        build.record(store, exports)
        status, interrupted = _run_child(
            [shell, str(script)], env, redactions, stdout, stderr, build, lock
        )
        if write_back(store, staging, exports, stderr) is not None:
            status = status or 1
        return 130 if interrupted else status


def _run_child(
    argv: list[str],
    env: dict[str, str],
    redactions: dict[str, str],
    stdout: IO[str],
    stderr: IO[str],
    build: Build,
    lock: int,
) -> tuple[int, bool]:
    """Run the effect's script: its exit status, and whether it was interrupted.

    The script writes its output to files in the build directory, which are followed
    here: were ci-eval killed, a pipe would break and cut the effect at its next line of
    output. It inherits the state lock and the build's lock, which it holds as long as
    it runs (`nixeval.execution.builds`)."""
    stdout.flush()
    stderr.flush()
    outputs = [build.path / "stdout", build.path / "stderr"]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
    fds = [os.open(path, flags, 0o600) for path in outputs]
    try:
        child = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=fds[0],
            stderr=fds[1],
            start_new_session=True,  # Ctrl-C reaches us; we decide what the child gets
            pass_fds=(lock, build.lock_fd),
        )
    finally:
        for fd in fds:
            os.close(fd)
    build.note_group(child.pid)
    ended = threading.Event()
    pumps = [
        threading.Thread(target=_follow, args=(path, _binary(sink), redactions, ended))
        for path, sink in zip(outputs, (stdout, stderr), strict=True)
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
        try:
            status = child.wait()
        finally:
            ended.set()
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


#: How often the effect's output files are looked at for more.
_POLL_SECONDS = 0.02


def _follow(path: Path, sink: Any, redactions: dict[str, str], ended: threading.Event) -> None:
    """Copy what the effect writes to `path` as it comes, with the secrets redacted, until
    the effect has ended and all it wrote is shown."""
    redactor = Redactor(redactions)
    with path.open("rb", buffering=0) as source:
        while True:
            # Read before looking at the end: once ended, all it wrote is in the file.
            finished = ended.is_set()
            data = source.read(65536)
            if data:
                _show(sink, redactor.feed(data))
            elif finished:
                break
            else:
                ended.wait(_POLL_SECONDS)
    _show(sink, redactor.flush())


def _show(sink: Any, data: bytes) -> None:
    if data:
        sink.write(data)
        sink.flush()
