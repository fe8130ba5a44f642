"""The evaluation budget (`nixeval.budget`): ``ci-eval check`` runs an untrusted ci.nix under
a time and a memory limit. A function's value and exceptions pass through unchanged; over
budget, the evaluation is interrupted from outside (nothing in Nix, not even ``tryEval``,
can catch that) and the caller gets `BudgetExceeded`.

The memory hogs run in a child process: ``ru_maxrss`` is a high-water mark, and pytest's
own must not be spoiled for the tests that follow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from nixeval.budget import (
    GRACE_SECONDS,
    RECURSION_LIMIT,
    Budget,
    BudgetExceeded,
    over_budget,
    run_with_budget,
)
from nixeval.eval import errors as E
from nixeval.eval.machine import Machine
from nixeval.frontend import parse_checked
from nixeval.printing import force_deep, print_value
from nixeval.syntax import Source

ROOT = Path(__file__).resolve().parent.parent
PLENTY = 4096  # MiB: a memory budget the in-process tests never reach

# Exponential work at a depth of 40: never finishes, recurses shallowly, allocates little.
FIB = "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 40"


def nix(text: str) -> str:
    m = Machine(search_path=[], unknowns=True, pure=True, allowed_paths=[str(ROOT)])
    source = Source(str(ROOT / "budget.nix"), text)
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    value = m.eval(expr, m.file_env(source, str(ROOT)))
    force_deep(m, value)
    return print_value(value)


def test_returns_the_value() -> None:
    assert run_with_budget(lambda: 42, seconds=5, memory_mb=PLENTY) == 42
    assert run_with_budget(lambda: nix("1 + 1"), seconds=5, memory_mb=PLENTY) == "2"


def test_exceptions_pass_through_unchanged() -> None:
    error = ValueError("mine")

    def fail() -> None:
        raise error

    with pytest.raises(ValueError) as info:
        run_with_budget(fail, seconds=5, memory_mb=PLENTY)
    assert info.value is error
    with pytest.raises(E.Thrown, match="nope"):
        run_with_budget(lambda: nix('throw "nope"'), seconds=5, memory_mb=PLENTY)
    with pytest.raises(SystemExit):
        run_with_budget(lambda: sys.exit(3), seconds=5, memory_mb=PLENTY)


def test_deep_recursion_has_room() -> None:
    # The worker has the big stack the command line's evaluation thread has.
    deep = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 10000"
    assert run_with_budget(lambda: nix(deep), seconds=30, memory_mb=PLENTY) == "10000"
    limit = sys.getrecursionlimit()
    assert limit < RECURSION_LIMIT  # raised only while the worker ran


@pytest.mark.parametrize(
    "text",
    [
        FIB,
        # tryEval catches Nix errors only: the interrupt goes through it.
        f"builtins.tryEval ({FIB})",
        # Catastrophic backtracking: Python's re could not be stopped (it holds the GIL),
        # so untrusted code's regexes run on ci-eval's own matcher.
        'builtins.match "(a|aa)*c" "' + "a" * 60 + '"',
        'builtins.split "(a|aa)*c" "' + "a" * 60 + '"',
        # Over a long list too (a builtin's Python loop is interrupted as well).
        "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x * x) 100000000)",
    ],
)
def test_time_budget_stops_a_runaway_evaluation(text: str) -> None:
    start = time.monotonic()
    with pytest.raises(BudgetExceeded) as info:
        run_with_budget(lambda: nix(text), seconds=1.0, memory_mb=PLENTY)
    took = time.monotonic() - start
    exceeded = info.value
    assert (exceeded.kind, exceeded.limit) == ("time", 1.0)
    assert 1.0 <= exceeded.used < 3.0
    assert took < 4.0
    assert str(exceeded).startswith("time budget exceeded: used ")
    # The worker is gone (unwound), not left running in the background.
    assert not any(t.name == "ci-eval budget" and t.is_alive() for t in threading.enumerate())


def test_time_budget_when_the_worker_cannot_be_interrupted() -> None:
    # A thread blocked in C (here: sleeping) only sees the interrupt when it returns; the
    # caller stops waiting after a grace period all the same.
    start = time.monotonic()
    with pytest.raises(BudgetExceeded) as info:
        run_with_budget(lambda: time.sleep(3), seconds=0.2, memory_mb=PLENTY)
    assert info.value.kind == "time"
    assert time.monotonic() - start < 2.0


HOG = textwrap.dedent(
    """
    import json, sys, time
    from nixeval.budget import BudgetExceeded, run_with_budget
    from nixeval.eval.machine import Machine
    from nixeval.frontend import parse_checked
    from nixeval.printing import force_deep
    from nixeval.syntax import Source

    def evaluate():
        m = Machine(search_path=[], unknowns=True, pure=True, allowed_paths=["/nonexistent"])
        source = Source("/nonexistent/hog.nix", sys.argv[1])
        expr, problems = parse_checked(source)
        value = m.eval(expr, m.file_env(source, "/nonexistent"))
        force_deep(m, value)
        return "finished"

    start = time.monotonic()
    try:
        outcome = {"value": run_with_budget(evaluate, seconds=20, memory_mb=100)}
    except BudgetExceeded as exceeded:
        outcome = {"kind": exceeded.kind, "limit": exceeded.limit, "used": exceeded.used}
    outcome["took"] = time.monotonic() - start
    print(json.dumps(outcome))
    """
)


@pytest.mark.parametrize(
    "text",
    [
        # A string doubled until it is huge (each doubling is one C copy).
        'let f = s: n: if n == 0 then s else f (s + s) (n - 1); in builtins.stringLength (f "x" 40)',
        # A long list (built by a Python loop).
        "builtins.length (builtins.genList (x: x) 1000000000)",
        # One 10 MB string joined to itself 100,000 times: little to build, a terabyte to
        # copy; joined in steps (coerce.join_text), it is seen growing and stopped.
        'let s = builtins.concatStringsSep "" (builtins.genList (_: "x") 10000000); in '
        'builtins.stringLength (builtins.concatStringsSep "" (builtins.genList (_: s) 100000))',
    ],
)
def test_memory_budget_stops_a_hog(text: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HOG, text],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no thread traceback, no "Exception ignored"
    outcome = json.loads(done.stdout)
    assert (outcome.get("kind"), outcome.get("limit")) == ("memory", 100), outcome
    assert outcome["used"] > 100
    assert outcome["took"] < 15


def test_one_budget_is_shared_by_the_steps_of_a_job() -> None:
    """A `Budget` starts when made: each step gets what is left (reading and parsing
    count against the evaluation's time), and a step after it is spent does not run."""
    budget = Budget(seconds=0.6, memory_mb=PLENTY)

    def read() -> str:
        time.sleep(0.4)
        return "read"

    assert budget.run(read) == "read"
    start = time.monotonic()
    with pytest.raises(BudgetExceeded) as info:
        budget.run(lambda: time.sleep(0.4))  # 0.2 s left: not enough
    assert info.value.kind == "time" and info.value.limit == 0.6
    assert info.value.used >= 0.6
    assert time.monotonic() - start < 0.4 + GRACE_SECONDS
    ran: list[str] = []
    with pytest.raises(BudgetExceeded):
        budget.run(lambda: ran.append("late"))
    assert ran == []


def test_over_budget_names_the_limit_and_the_way_to_raise_it() -> None:
    time_over = over_budget(BudgetExceeded("time", 2.5, 2.6), "ci.nix")
    assert (time_over.code, time_over.source.name) == ("E113", "ci.nix")
    assert "time budget of 2.5 s" in time_over.message
    assert any("--timeout" in note for note in time_over.notes)
    memory_over = over_budget(BudgetExceeded("memory", 50, 51), "ci.nix")
    assert memory_over.code == "E114" and "memory budget of 50 MiB" in memory_over.message
    assert any("--max-memory" in note for note in memory_over.notes)
