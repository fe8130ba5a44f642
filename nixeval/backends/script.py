"""The script backend: a POSIX shell script that performs the effects
(`nixeval.execution.shell`), printed on stdout.

A description that still holds a value the run needs unknown cannot be scripted: the
refusal names each unknown (E301), with how to supply it.
"""

from __future__ import annotations

from typing import IO

from ..execution.model import runnable
from ..execution.shell import render_script
from ..terminal import escape
from . import Backend, RunRequest


class ScriptBackend(Backend):
    name = "script"
    summary = "a POSIX shell script that performs the effects"

    def run(self, request: RunRequest, stdout: IO[str], stderr: IO[str]) -> int:
        effects = runnable(request.effects, request.document.get("unknowns", []))
        for skipped in (e for e in request.effects if not e.runs):
            print(
                f"ci-eval run: note: {escape(skipped.attr_path)} does not run on this ref: "
                "not in the script",
                file=stderr,
            )
        stdout.write(render_script(effects, request.document, request.base))
        stdout.flush()
        return 0


BACKEND = ScriptBackend
