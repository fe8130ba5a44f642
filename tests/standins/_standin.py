"""Machinery shared by the stand-in executables `cachix`, `nixops` and `nix` (see README.md).

Every stand-in works in the same order:

1. parse its command line without side effects (a `Rejected` exception for a command line the
   real program would refuse);
2. `begin()`: read standard input if the command reads it, append one JSON line to
   `$STANDIN_LOG`, then apply the behaviour switches `STANDIN_ECHO`, the rejection (exit 2),
   `STANDIN_PAUSE` and `STANDIN_FAIL` (exit 1);
3. do what the command does.

Standard library only, and no syntax newer than Python 3.8, so that any `python3` on PATH runs
the stand-ins.
"""

from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False  # typing is slow to import, and annotations are never evaluated
if TYPE_CHECKING:
    from typing import NoReturn

#: How long `STANDIN_PAUSE` sleeps unless `STANDIN_PAUSE_SECONDS` says otherwise.
PAUSE_SECONDS = 30.0


class Rejected(Exception):
    """A command line the real program would refuse: logged, `message` on stderr, exit 2."""

    def __init__(self, reason: str, message: str, words: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message if message.endswith("\n") else message + "\n"
        self.words = words or []


class Call:
    """One accepted invocation of a stand-in."""

    def __init__(self, program: str, argv: list[str], words: list[str]) -> None:
        self.program = program
        self.argv = argv
        #: The subcommand words used to match `STANDIN_FAIL` / `STANDIN_PAUSE` entries,
        #: e.g. ["deploy", "activate"] for `cachix deploy activate x.json`.
        self.words = words
        #: Standard input, when the command reads it (see `read_stdin`).
        self.stdin: str | None = None

    def selected_by(self, variable: str) -> bool:
        return selects(os.environ.get(variable, ""), self.program, self.words)

    def pause(self) -> None:
        """Create `$STANDIN_PAUSE_MARKER` (holding our pid), then sleep."""
        marker = os.environ.get("STANDIN_PAUSE_MARKER")
        if marker:
            partial = f"{marker}.{os.getpid()}.tmp"
            with open(partial, "w") as f:
                f.write(f"{os.getpid()}\n")
            os.replace(partial, marker)  # the marker appears complete or not at all
        time.sleep(float(os.environ.get("STANDIN_PAUSE_SECONDS") or PAUSE_SECONDS))


def selects(setting: str, program: str, words: list[str]) -> bool:
    """Whether a switch value like "nixops deploy; cachix" names this invocation.

    Each `;`-separated entry is the program name followed by leading subcommand words; an entry
    with the program name alone selects every invocation of that program.
    """
    for entry in setting.split(";"):
        parts = entry.split()
        if parts and parts[0] == program and words[: len(parts) - 1] == parts[1:]:
            return True
    return False


def read_stdin() -> str | None:
    """Standard input as text, or None when it is closed, a terminal or /dev/null."""
    try:
        if sys.stdin is None or os.isatty(0):
            return None
        here = os.fstat(0)
        null = os.stat(os.devnull)
    except (OSError, ValueError):
        return None
    if (here.st_dev, here.st_ino) == (null.st_dev, null.st_ino):
        return None
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


def write_log(record: dict[str, object]) -> None:
    """Append `record` as one JSON line to `$STANDIN_LOG` (nothing when it is unset)."""
    path = os.environ.get("STANDIN_LOG")
    if not path:
        return
    data = memoryview((json.dumps(record) + "\n").encode())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        while data:  # one write(2) in practice; the loop only guards against short writes
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def begin(
    program: str,
    argv: list[str],
    words: list[str],
    *,
    rejected: Rejected | None = None,
    reads_stdin: bool = False,
    pauses_itself: bool = False,
) -> Call:
    """Log the invocation and apply the behaviour switches; returns only if the run goes on.

    `pauses_itself`: the command calls `Call.pause()` itself, part-way through its output.
    """
    call = Call(program, argv, words)
    if reads_stdin and rejected is None:
        call.stdin = read_stdin()
    try:
        cwd: str | None = os.getcwd()
    except OSError:
        cwd = None
    record: dict[str, object] = {
        "program": program,
        "argv": argv,
        "env": dict(os.environ),
        "stdin": call.stdin,
        "cwd": cwd,
    }
    if rejected is not None:
        record["rejected"] = rejected.reason
    write_log(record)

    for name in os.environ.get("STANDIN_ECHO", "").split(","):
        name = name.strip()
        if name and name in os.environ:
            line = f"{name}={os.environ[name]}\n"
            sys.stdout.write(line)
            sys.stdout.flush()
            sys.stderr.write(line)
            sys.stderr.flush()

    if rejected is not None:
        sys.stderr.write(rejected.message)
        sys.exit(2)
    if not pauses_itself and call.selected_by("STANDIN_PAUSE"):
        call.pause()
    if call.selected_by("STANDIN_FAIL"):
        what = " ".join([program, *words])
        die(f"error: stand-in failure of ‘{what}’ requested by STANDIN_FAIL")
    return call


def die(message: str, status: int = 1) -> NoReturn:
    """Print `message` on stderr and exit with `status`."""
    sys.stdout.flush()
    sys.stderr.write(message + "\n")
    sys.exit(status)


def random_uuid() -> str:
    """A random (version 4) UUID; the uuid module is slow to import."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def first_word(argv: list[str]) -> list[str]:
    """The first argument that is not an option, as a one-word list (best effort)."""
    for arg in argv:
        if not arg.startswith("-"):
            return [arg]
    return []
