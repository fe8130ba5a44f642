"""``ci-eval fetch [DIR] [--offline]``: make every source a project pins available.

A flake (``DIR``'s entry file, as Hercules CI picks it, is ``flake.nix``; or there is no
ci file, only a ``flake.lock``): reads ``DIR/flake.lock`` and, for each locked node that is
a source tree, finds it in the Nix store or ci-eval's cache or fetches it into the cache
(`nixeval.sources.obtain`), verified against its NAR hash. Every node is listed, not only
those an evaluation would need. One line per input on stdout, named by its input path
from the root (``hercules-ci-effects/flake-parts``; a node that several paths reach,
through ``follows``, once, by its shortest path), and where it is::

    flake-parts: store /nix/store/…-source
    systems: fetched /home/me/.cache/ci-eval/sources/…-source
    nixpkgs: failed: cannot fetch https://github.com/…: HTTP 404 Not Found

``path`` inputs are read where they lie and ``file`` inputs are not trees: neither is
listed.

A legacy file (``nix/ci.nix``, ``ci.nix``, ``default.nix``) has no lock: its pins are
fetcher calls with a hash (``fetchTarball { url; sha256; }``, ``fetchTree { …; narHash;
}``), in it or in a file it imports. The project is evaluated as the main job evaluates it
(`describe.evaluate_file`, pure, every effect), and each pinned source the evaluation asks
for is made available the same way, as it is asked for, named by its fetcher and URL
(``fetchTarball https://…: fetched /…``). A pin the evaluation does not reach (one used
only on some branch, under a condition that is false here) is not found this way. An
error of the project is reported as the main job reports it, and what was reached before
it is still listed.

Exit 0 when every input is available, 1 otherwise (an E401 on stderr for each, at its
hash in flake.lock or in the file that pins it when it is written there), or when the
evaluation failed, flake.lock is missing (E007) or not a lock file (E400), 130 when
interrupted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..diagnostics import Diagnostic, Severity, error, render_human, unplaced, use_colour
from ..sources import FetchError, LockedInput, LockError, LockFile, obtain, resolve
from ..sources.session import Sources, offline_requested
from ..syntax.nodes import Span
from ..syntax.source import Source
from ..terminal import escape

# Lock node types that are not source trees ci-eval fetches: a path is read where it
# lies, a file input is one file.
_NOT_FETCHED = ("path", "file")

# The time budget of the evaluation of a legacy file: it includes the downloads of what
# the project pins (a nixpkgs archive on a slow line), which need not fit the main job's.
FETCH_SECONDS = 3600.0

_REACHED_BEFORE = (
    "note: ci-eval fetch lists the pinned sources the evaluation reached before this "
    "error; fix it and run ci-eval fetch again to find the others"
)


@dataclass(frozen=True)
class Pin:
    """A pinned input to make available: its input path, and its lock node (`locked`)
    or why it cannot be used (`problem`)."""

    path: str
    locked: LockedInput | None
    problem: str | None = None


def run_fetch(directory: str, offline: bool, debug: bool, stdout: IO[str], stderr: IO[str]) -> int:
    """Make the sources the project in `directory` pins available (a flake's flake.lock
    nodes, or what a legacy file's evaluation asks for); the exit status."""
    lock_name = os.path.join(directory, "flake.lock") if directory != "." else "flake.lock"
    offline = offline_requested(offline)  # as for the main job
    try:
        legacy = _legacy_file(directory)
        if isinstance(legacy, Diagnostic):
            return _report([legacy], stderr)
        if legacy is not None:
            return _fetch_evaluated(legacy, offline, debug, stdout, stderr)
        source = _read_lock(lock_name, directory)
        if isinstance(source, Diagnostic):
            return _report([source], stderr)
        try:
            pins = list(flake_lock_pins(LockFile.parse(source.text)))
        except LockError as e:
            return _report([_malformed(source, e)], stderr)
        failed: list[Diagnostic] = []
        for pin in pins:
            where, problem = _make_available(pin, offline, stderr)
            stdout.write(f"{escape(pin.path)}: {escape(where)}\n")
            stdout.flush()
            if problem is not None:
                failed.append(_not_available(source, pin, problem))
        return _report(failed, stderr) if failed else 0
    except KeyboardInterrupt:
        stderr.write("ci-eval: interrupted\n")
        return 130
    except Exception as exc:
        if debug:
            raise
        from ..frontend import internal_error

        return _report([internal_error(Source(lock_name, ""), exc)], stderr)


def flake_lock_pins(lock: LockFile) -> Iterator[Pin]:
    """The source-tree nodes of `lock`, each once, by its shortest input path from the
    root (breadth first, inputs in name order: `LockFile.input_paths`)."""
    for target, path in lock.input_paths().items():
        shown = "/".join(path)
        node = lock.nodes[target].get("locked")
        kind = node.get("type") if isinstance(node, dict) else None
        if kind in _NOT_FETCHED:
            continue
        try:
            yield Pin(shown, lock.locked(target))
        except LockError as e:
            yield Pin(shown, None, str(e))


def _make_available(pin: Pin, offline: bool, stderr: IO[str] | None) -> tuple[str, str | None]:
    """Where the input is now (``store …``, ``cache …``, ``fetched …``), or ``failed: …``
    and the reason."""
    if pin.locked is None:
        problem = pin.problem or "it is not pinned"
        return f"failed: {problem}", problem
    try:
        found = obtain(pin.locked, offline=offline, progress=stderr, label=pin.path)
    except FetchError as e:
        return f"failed: {e}", str(e)
    return f"{found.origin} {found.path}", None


def _legacy_file(directory: str) -> str | Diagnostic | None:
    """The legacy ci file Hercules CI evaluates in `directory`; None when that is a flake,
    or when there is no ci file (a flake.lock alone is read as a flake's); an E007 when
    there are two, or `directory` cannot be read."""
    from ..frontend import input_error
    from ..hercules.files import NoCiFile, find_file, is_flake

    try:
        # As the main job names it: relative to the working directory when it is ".".
        file = find_file(None if directory == "." else directory)
    except NoCiFile as err:
        if os.path.isdir(err.place):  # no ci file in the directory
            return None
        return input_error(str(err), err.place)
    return None if is_flake(file) else file


class _Reaching(Sources):
    """The `Sources` of the evaluation of a legacy file: each pinned source it asks for is
    made available as a flake input is (`_make_available`), once, and `on_reached` told
    where it is; the evaluation then finds it in the store or the cache as usual."""

    __slots__ = ("on_reached", "reached")

    def __init__(
        self,
        on_reached: Callable[[Pin, str, str | None], None],
        *,
        network: bool,
        offline: bool,
        progress: IO[str] | None,
    ) -> None:
        super().__init__(network=network, offline=offline, progress=progress)
        self.on_reached = on_reached
        self.reached: dict[tuple[str, str], Pin] = {}

    def tree(
        self, locked: LockedInput, what: str, pinned: str, override: str | None
    ) -> Path | None:
        if (what, pinned) not in self.reached:
            pin = self.reached[what, pinned] = Pin(what, locked)
            if self.offline and resolve(locked, store=self.store, cache=self.cache) is None:
                # Said here: `obtain`'s message points at --override-input, for flake
                # inputs only.
                problem: str | None = (
                    f"--offline forbids fetching it, and neither the Nix store "
                    f"({locked.store_path(self.store)}) nor ci-eval's cache ({self.cache}) has it"
                )
                where = f"failed: {problem}"
            else:
                where, problem = _make_available(pin, self.offline, self.progress)
            self.on_reached(pin, where, problem)
        return super().tree(locked, what, pinned, override)


def _fetch_evaluated(
    file: str, offline: bool, debug: bool, stdout: IO[str], stderr: IO[str]
) -> int:
    """Make available what the evaluation of the legacy file `file` pins; the exit status."""
    from .describe import DescribeOptions, evaluate_file, for_the_user

    problems: list[tuple[Pin, str]] = []

    def reached(pin: Pin, where: str, problem: str | None) -> None:
        stdout.write(f"{escape(pin.path)}: {escape(where)}\n")
        stdout.flush()
        if problem is not None:
            problems.append((pin, problem))

    # `network` off: what `_make_available` could not have, the evaluation must not
    # try to fetch a second time.
    sources = _Reaching(network=False, offline=offline, progress=stderr, on_reached=reached)
    options = DescribeOptions(file=file, debug=debug, timeout=FETCH_SECONDS, offline=offline)
    machine, _, diagnostics = evaluate_file(file, options, stderr, sources)
    # The project's own errors, as the main job reports them; its warnings (W110 above
    # all: the lines on stdout say it) are not about fetching.
    errors = [for_the_user(d) for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        errors[0] = errors[0]._replace(notes=(*errors[0].notes, _REACHED_BEFORE))
    elif not sources.reached:
        stderr.write(
            f"ci-eval fetch: the evaluation of {escape(file)} asked for no pinned source\n"
        )
    failed = [for_the_user(_pin_not_available(machine, file, *p)) for p in problems]
    return _report(errors + failed, stderr) if errors or failed else 0


def _pin_not_available(machine: Any, file: str, pin: Pin, problem: str) -> Diagnostic:
    """E401 for a pinned source of a legacy file, at its hash where the file that pins it
    (one the evaluation imported, or the project's flake.lock or niv's nix/sources.json)
    writes it; else on `file`."""
    from ..eval.errors import EvalError
    from ..frontend import InputError, read_bytes

    message = f"the pinned source '{pin.path}' is not available: {problem}"
    if pin.locked is not None:
        digest = pin.locked.nar_hash
        written = (digest.base32(), digest.sri(), digest.base16())
        project = os.path.dirname(os.path.abspath(file))
        candidates = [name for name in machine.import_cache if isinstance(name, str)]
        candidates += [
            os.path.join(project, "flake.lock"),
            os.path.join(project, "nix/sources.json"),
        ]
        for name in dict.fromkeys(candidates):
            try:
                # As the evaluation may read it (pure: in the repository), and only a
                # regular file: a FIFO named nix/sources.json must not block.
                text = read_bytes(machine.check_path(name)).decode("utf-8")
            except (InputError, EvalError, UnicodeDecodeError):
                continue
            for form in written:
                at = text.find(form)
                if at >= 0:
                    return error("E401", message, Source(name, text), Span(at, at + len(form)))
    return unplaced("E401", message, file)


def _read_lock(lock_name: str, directory: str) -> Source | Diagnostic:
    from ..frontend import InputError, read_bytes

    if not os.path.lexists(lock_name):
        message = f"there is no flake.lock in {directory}"
        if os.path.isfile(os.path.join(directory, "flake.nix")):
            message += ": ci-eval fetch fetches what a flake's lock file pins"
        else:  # and no ci file either
            message += ", and no ci file: ci-eval fetch fetches what a flake.lock or a ci.nix pins"
        return unplaced(
            "E007",
            message,
            lock_name,
            ["help: `nix flake lock` writes one"],
        )
    try:
        data = read_bytes(lock_name)
    except InputError as e:
        return unplaced("E007", str(e), lock_name)
    try:
        return Source(lock_name, data.decode("utf-8"))
    except UnicodeDecodeError:
        return unplaced("E400", "flake.lock is not UTF-8 text", lock_name)


def _malformed(source: Source, problem: LockError) -> Diagnostic:
    """E400 for a lock file that is not one, at the JSON error when there is one."""
    try:
        json.loads(source.text)
    except json.JSONDecodeError as e:
        return error("E400", f"flake.lock is not JSON: {e.msg}", source, Span(e.pos, e.pos + 1))
    return unplaced("E400", f"flake.lock cannot be used: {problem}", source.name)


def _not_available(source: Source, pin: Pin, problem: str) -> Diagnostic:
    """E401 for an input that could not be made available, at its narHash in flake.lock
    when it can be found there."""
    message = f"the input '{pin.path}' is not available: {problem}"
    nar_hash = dict(pin.locked.node).get("narHash") if pin.locked is not None else None
    if isinstance(nar_hash, str):
        written = json.dumps(nar_hash)
        at = source.text.find(written)
        if at >= 0:
            return error("E401", message, source, Span(at, at + len(written)))
    return unplaced("E401", message, source.name)


def _report(diagnostics: list[Diagnostic], stderr: IO[str]) -> int:
    stderr.write(render_human(diagnostics, colour=use_colour(stderr)))
    stderr.flush()
    return 1
