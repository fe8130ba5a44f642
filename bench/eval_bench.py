"""Evaluation benchmark: ``ci-eval --eval --strict`` side by side with ``nix-instantiate``.

Usage::

    python3 bench/eval_bench.py [--runs N] [--fresh-venv | --ci-eval PATH] [--profile CASE]

For each program in bench/eval/ (a recursive fib, 10,000-key attrset folding and merging,
string work over 10,000 items, a sort of 20,000 ints) it measures in one run, alternating
the two programs: whole-process wall time (median of N runs) and peak memory (max RSS,
from wait4), and reports ci-eval/nix ratios. ``--profile CASE`` also prints where
ci-eval's time goes for one case (cProfile, top functions by own time). Figures are written
to bench/out/eval.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from parse_bench import Command, find_ci_eval, find_nix, fresh_venv_ci_eval  # noqa: E402

CASES = ["fib", "attrsets", "strings", "sort"]
DEFAULT_JSON = BENCH_DIR / "out" / "eval.json"
AIM_RATIO = 20.0
AIM_MEMORY_MB = 200.0


@dataclass
class Samples:
    wall_ms: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    output: str | None = None
    error: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.wall_ms) if self.wall_ms and not self.error else None

    @property
    def peak(self) -> float | None:
        return max(self.peak_mb) if self.peak_mb and not self.error else None


def run_once(argv: list[str], env: dict[str, str] | None) -> tuple[float, float, str, int, str]:
    """Wall ms, peak RSS MB of the child (from wait4), stdout, exit status, stderr."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, env=env
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.stdout.close()
        # Reap the child ourselves: wait4 gives its own resource usage (max RSS).
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = (time.perf_counter() - start) * 1000.0
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    return elapsed, usage.ru_maxrss / 1024.0, out.decode(), proc.returncode, err


def measure(cmd: Command, file: Path, runs: int, extra: list[str]) -> Samples:
    s = Samples()
    argv = [*cmd.argv, *extra, str(file)]
    for i in range(runs + 1):
        wall, peak, out, status, err = run_once(argv, cmd.env)
        if status != 0:
            s.error = f"exit {status}: {err.strip().splitlines()[-1] if err.strip() else ''}"
            return s
        s.output = out
        if i:  # the first run warms the file cache
            s.wall_ms.append(wall)
            s.peak_mb.append(peak)
    return s


def profile_case(case: str) -> str:
    """Where ci-eval's time goes for one case: cProfile's top functions by own time."""
    from nixeval.commands.eval import EvalOptions, run_eval

    options = EvalOptions(inputs=[str(BENCH_DIR / "eval" / f"{case}.nix")], strict=True)
    return profile_run(run_eval, options, sort="tottime", lines=15)


def profile_run(run: Any, options: Any, sort: str, lines: int) -> str:
    """cProfile of ``run(options, stdout, stderr)`` in-process: the top `lines` functions."""
    sys.setrecursionlimit(100_000)
    profiler = cProfile.Profile()
    profiler.runcall(run, options, io.StringIO(), io.StringIO())
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats(sort).print_stats(lines)
    return text.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    ap.add_argument("--ci-eval", type=Path, metavar="PATH", help="the ci-eval executable to time")
    ap.add_argument("--fresh-venv", action="store_true", help="time a fresh `pip install .`")
    ap.add_argument("--profile", choices=CASES, help="also profile ci-eval on this case")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON")
    args = ap.parse_args(argv)

    nix, ci = find_nix(), find_ci_eval()
    if args.fresh_venv:
        args.ci_eval = fresh_venv_ci_eval()
    if args.ci_eval is not None:
        ci = Command([str(args.ci_eval), "--parse"], f"console script {args.ci_eval}")
    if ci is None:
        print("ci-eval not found")
        return 1
    # find_ci_eval() builds a --parse command; evaluate instead.
    ci = Command([a for a in ci.argv if a != "--parse"], ci.how, ci.env)
    print(f"nix:     {'(not on PATH: no ratios)' if nix is None else 'nix-instantiate'}")
    print(f"ci-eval: {ci.how}")
    print(f"runs: {args.runs} (median wall time, max peak RSS; one warm-up run first)\n")
    header = (
        f"{'case':10} {'nix ms':>9} {'ci-eval ms':>11} {'ratio':>7} {'nix MB':>7} "
        f"{'ci-eval MB':>10}  same"
    )
    print(header)
    print("-" * len(header))
    results: list[dict[str, Any]] = []
    for case in CASES:
        file = BENCH_DIR / "eval" / f"{case}.nix"
        theirs = None
        if nix is not None:
            nix_eval = Command([a for a in nix.argv if a != "--parse"], nix.how, nix.env)
            theirs = measure(nix_eval, file, args.runs, ["--eval", "--strict"])
        ours = measure(ci, file, args.runs, ["--eval", "--strict"])
        ratio = (
            ours.median_ms / theirs.median_ms
            if theirs and theirs.median_ms and ours.median_ms
            else None
        )
        same = theirs is not None and ours.output == theirs.output
        print(
            f"{case:10} {_f(theirs.median_ms if theirs else None):>9} {_f(ours.median_ms):>11} "
            f"{(f'{ratio:.1f}x' if ratio else '-'):>7} {_f(theirs.peak if theirs else None):>7} "
            f"{_f(ours.peak):>10}  {'yes' if same else 'NO'}"
            + (f"   ci-eval: {ours.error}" if ours.error else "")
        )
        results.append(
            {
                "case": case,
                "nix": None if theirs is None else vars(theirs),
                "ci_eval": vars(ours),
                "ratio": ratio,
                "same_output": same,
                "within_aim": ratio is not None
                and ratio <= AIM_RATIO
                and (ours.peak or 0) <= AIM_MEMORY_MB,
            }
        )
    print(f"\naim: within {AIM_RATIO:.0f}x of nix-instantiate, under {AIM_MEMORY_MB:.0f} MB peak")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"runs": args.runs, "results": results}, indent=2))
    print(f"wrote {args.json}")
    if args.profile:
        print(f"\nprofile of ci-eval on {args.profile}:\n")
        print(profile_case(args.profile))
    return 0


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
