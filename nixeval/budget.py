"""Running an evaluation in a thread of its own: with a stack deep Nix recursion fits in,
and, for code that reads a project (``ci-eval check``, the main job, ``run``), under a
time and memory budget that covers every step: reading the input, parsing, evaluating,
validating.

`evaluation_thread` is the one place the stack and recursion limit are sized. A `Budget`
is the allowance of one job; `Budget.run` (`run_with_budget` for a single step) runs a
function in such a thread and watches it from the calling thread every `POLL_SECONDS`:
wall time against the budget, and memory as the growth of the process's resident set
since the start (`Budget.grown`). Over budget, it raises `BudgetInterrupt` *inside* the
worker (CPython's ``PyThreadState_SetAsyncExc``), which unwinds the evaluation; being a
`BaseException`, nothing that catches ``Exception`` (``tryEval``, the effect walkers) can
swallow it. The caller then gets `BudgetExceeded`.

What it cannot stop: an asynchronous exception is only seen between bytecodes, so a
single long C operation runs to its end first: one huge ``str.join`` / string or list
concatenation / ``bytes`` copy, a big-integer operation, or Python's `re` backtracking
(used by ``builtins.match``/``split`` for simple patterns). After `GRACE_SECONDS` the
caller gives up waiting and raises `BudgetExceeded` anyway; the worker (a daemon thread)
is abandoned and goes on until that operation ends, so the process should exit soon.

Memory is the growth of the peak resident set (``getrusage``'s ``ru_maxrss``): one call
that does not let go of the interpreter lock, so a worker busy in long C operations does
not delay it, and it sees a spike between two polls. But it is a high-water mark that
Linux carries over ``exec`` from the parent: started by a big process (a test runner, an
editor), ci-eval's peak begins at the parent's and its own growth stays hidden below it.
When the start shows that (the peak far above what is resident), the current resident
set (``/proc/self/statm``) is watched too.
"""

from __future__ import annotations

import contextlib
import ctypes  # up front: imported while a worker holds the GIL, it would come too late
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

T = TypeVar("T")

# Evaluating deeply nested Nix recurses in Python: give it room, in a thread of its own
# (the main thread's C stack is fixed at start-up; a thread's is ours to size). The
# stack is address space reserved, not memory used: only what recursion touches counts.
STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 1_000_000

# The default budgets: check's is tight (it runs on every commit, on any branch's code);
# the main job's and run's generous (real flake-parts projects are slow in ci-eval).
CHECK_SECONDS, CHECK_MIB = 10.0, 1024
JOB_SECONDS, JOB_MIB = 120.0, 4096

POLL_SECONDS = 0.05
# How long an interrupted worker may take to unwind before the caller stops waiting, and
# how often meanwhile the interrupt is sent again (in case one was lost: raised where an
# error cannot propagate, such as a finaliser).
GRACE_SECONDS = 1.0
RESEND_SECONDS = 0.25

# ru_maxrss is in kibibytes on Linux, in bytes on macOS.
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024


class BudgetExceeded(Exception):
    """The evaluation went over its budget: `kind` ``"time"`` (seconds) or ``"memory"``
    (MiB), the `limit`, and what had been `used` when it was stopped."""

    def __init__(self, kind: Literal["time", "memory"], limit: float, used: float) -> None:
        unit = "s" if kind == "time" else "MiB"
        super().__init__(f"{kind} budget exceeded: used {used:.1f} {unit} of {limit:g} {unit}")
        self.kind: Literal["time", "memory"] = kind
        self.limit = limit
        self.used = used


class BudgetInterrupt(BaseException):
    """Raised inside the worker to stop it. A BaseException, so that no ``except
    Exception`` on the way up (``builtins.tryEval``, error notes) stops it; code that
    catches BaseException must re-raise it (`nixeval.eval.force.force` does)."""


def _on_one_frame_chunk(target: Callable[[], None]) -> None:
    """Runs `target` above a frame that reserves `FRAME_RESERVE_WORDS` (see below)."""
    target()


# CPython (3.11 and later) keeps Python frames in a "data stack" of chunks, and frees a
# chunk as soon as the frame at its base returns. An evaluation whose recursion depth goes
# back and forth across a chunk's end maps and unmaps memory at every crossing: nixpkgs
# lib's tests/misc.nix made 4 million mmap/munmap calls, 19 s of system time in a 54 s run.
# A first frame that asks for ~8.8 MB makes the interpreter give the thread one 16 MiB chunk
# (chunks double from 16 KiB until the frame fits), and the ~7 MiB it leaves hold tens of
# thousands of frames above it: the same run took 27 s, 0.4 s of it system time. The
# reserve is address space; only the pages frames use are ever touched.
FRAME_RESERVE_WORDS = 1_100_000
if sys.implementation.name == "cpython" and sys.version_info >= (3, 11):
    _on_one_frame_chunk.__code__ = _on_one_frame_chunk.__code__.replace(
        co_stacksize=FRAME_RESERVE_WORDS
    )


def evaluation_thread(target: Callable[[], None], name: str = "ci-eval") -> threading.Thread:
    """A started daemon thread running `target` with a `STACK_BYTES` stack, after raising
    the interpreter's recursion limit to `RECURSION_LIMIT` (it is interpreter-wide and
    never lowered here: the caller restores it once the thread is done, if it wants)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    old_size = threading.stack_size(STACK_BYTES)
    try:
        worker = threading.Thread(
            target=_on_one_frame_chunk, args=(target,), name=name, daemon=True
        )
        worker.start()
    finally:
        threading.stack_size(old_size)
    return worker


_interrupt_handlers: list[Callable[[], None]] = []


@contextlib.contextmanager
def on_interrupt(handler: Callable[[], None]) -> Iterator[None]:
    """While the block runs, Ctrl-C calls `handler` instead of ending the command.

    Ctrl-C (SIGINT) reaches the main thread only, and the command runs in an
    `evaluation_thread`; work there that must finish cleanly when interrupted (the local
    backend stopping its child and writing state back) registers a handler here, and the
    main thread calls it (`deliver_interrupt`) and keeps waiting for the worker."""
    _interrupt_handlers.append(handler)
    try:
        yield
    finally:
        _interrupt_handlers.remove(handler)


def deliver_interrupt() -> bool:
    """Call the registered interrupt handlers; False if there are none."""
    handlers = list(_interrupt_handlers)
    for handler in handlers:
        handler()
    return bool(handlers)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_UNIT / (1024 * 1024)


_PAGE_MIB = resource.getpagesize() / (1024 * 1024)


def _current_rss_mib() -> float:
    """The resident set now (Linux's ``/proc/self/statm``); 0 where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE_MIB
    except (OSError, IndexError, ValueError):
        return 0.0


# A peak this far above the resident set at the start is the parent's, not ours.
_INHERITED_PEAK_MIB = 32.0


def _interrupt(worker: threading.Thread) -> None:
    ident = worker.ident
    if ident is not None and worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(ident), ctypes.py_object(BudgetInterrupt)
        )


class Budget:
    """A time and memory allowance shared by the steps of one job: reading its input,
    parsing, evaluating and validating (``check`` gives one to each file; the main job and
    ``run`` one to the evaluation). It starts when made: `run` gives each step what is
    left of the time, and counts memory as the growth of the peak since the start."""

    def __init__(self, seconds: float, memory_mb: float) -> None:
        self.seconds = seconds
        self.memory_mb = memory_mb
        self._start = time.monotonic()
        self._start_peak = _peak_rss_mib()
        self._start_resident = _current_rss_mib()
        self._inherited = self._start_peak - self._start_resident > _INHERITED_PEAK_MIB

    def grown(self) -> float:
        """How many MiB the process has grown by since the budget started."""
        grown = _peak_rss_mib() - self._start_peak
        if self._inherited:  # the peak shows nothing below the parent's: look now
            grown = max(grown, _current_rss_mib() - self._start_resident)
        return grown

    def run(self, fn: Callable[[], T]) -> T:
        """`fn()`, run in an `evaluation_thread`: its value, or the exception it raised
        (unchanged), or `BudgetExceeded` once the budget is spent (also if it was spent
        before the call)."""
        outcome: list[T] = []
        failure: list[BaseException] = []
        stopped = threading.Event()

        def work() -> None:
            # Twice: an interrupt sent again just as the first one arrived must not escape
            # this function either (it would print a thread traceback).
            try:
                try:
                    outcome.append(fn())
                except BudgetInterrupt:
                    stopped.set()  # the caller knows why
                except BaseException as exc:  # handed to the caller, whatever it is
                    failure.append(exc)
            except BudgetInterrupt:
                stopped.set()

        def spent() -> BudgetExceeded | None:
            grown = self.grown()
            if grown > self.memory_mb:
                return BudgetExceeded("memory", self.memory_mb, grown)
            elapsed = time.monotonic() - self._start
            if elapsed > self.seconds:
                return BudgetExceeded("time", self.seconds, elapsed)
            return None

        exceeded = spent()
        if exceeded is not None:  # nothing left for this step
            raise exceeded
        old_limit = sys.getrecursionlimit()
        worker = evaluation_thread(work, name="ci-eval budget")
        try:
            while True:
                worker.join(POLL_SECONDS)
                if not worker.is_alive():
                    break
                exceeded = spent()
                if exceeded is not None:
                    _stop(worker, stopped)
                    break
        except BaseException:  # KeyboardInterrupt in the caller: stop the worker too
            _stop(worker, stopped)
            raise
        finally:
            if not worker.is_alive():
                sys.setrecursionlimit(old_limit)
        if exceeded is not None:
            raise exceeded
        if failure:
            raise failure[0]
        return outcome[0]


def run_with_budget(fn: Callable[[], T], *, seconds: float, memory_mb: float) -> T:
    """`fn()` under a `Budget` of its own: its value, or the exception it raised
    (unchanged), or `BudgetExceeded` if it ran longer than `seconds` or made the process's
    peak memory grow by more than `memory_mb` MiB."""
    return Budget(seconds, memory_mb).run(fn)


def over_budget(exceeded: BudgetExceeded, name: str) -> Diagnostic:
    """E113/E114 for the job on the file `name` (at its start: the job as a whole, not a
    place in it, went over)."""
    from .diagnostics import error
    from .syntax import Source
    from .syntax.nodes import Span

    source = Source(name, "")
    if exceeded.kind == "memory":
        return error(
            "E114",
            f"evaluation used more than its memory budget of {exceeded.limit:g} MiB",
            source,
            Span(0, 0),
            notes=["help: raise it with --max-memory MIB if the file really needs more"],
        )
    return error(
        "E113",
        f"evaluation took longer than its time budget of {exceeded.limit:g} s",
        source,
        Span(0, 0),
        notes=["help: raise it with --timeout SECONDS if the file really needs longer"],
    )


def _stop(worker: threading.Thread, stopped: threading.Event) -> None:
    """Interrupt the worker and wait (at most `GRACE_SECONDS`) for it to unwind, asking
    again now and then in case an interrupt was lost."""
    deadline = time.monotonic() + GRACE_SECONDS
    while worker.is_alive() and not stopped.is_set():
        _interrupt(worker)
        worker.join(min(RESEND_SECONDS, max(deadline - time.monotonic(), 0)))
        if time.monotonic() >= deadline:
            return
    worker.join(max(deadline - time.monotonic(), 0))
