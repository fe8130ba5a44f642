"""Lint-hook benchmark: a cold ``ci-eval check --format gcc FILE``, whole process.

Usage::

    python3 bench/check_bench.py [--runs N] [--fresh-venv | --ci-eval PATH] [--profile]

What an editor or pre-commit pays per save: one process that parses, lints and (for a
ci.nix) evaluates every effect on the default branch and on each branch its conditions
name, restricted to the repository. In the same run, ``nix-instantiate --parse`` of the
same file (the least Nix does with it; real Nix cannot evaluate these files offline).
Median of N runs after one warm-up, the first (cold) run, peak memory, and the ratio.
``--profile`` shows where the time goes (cProfile, in-process, typical). Figures go to
bench/out/check.json. The aim (issue 5): under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from describe_bench import compare, report  # noqa: E402
from eval_bench import profile_run  # noqa: E402
from parse_bench import Command, find_ci_eval, find_nix, fresh_venv_ci_eval  # noqa: E402

CASES = [
    ("typical", "fixtures/typical/ci.nix"),
    ("neat-network", "fixtures/neat-network/ci.nix"),
    ("flake", "fixtures/flake-herculesci/flake.nix"),
    ("syntax only", "fixtures/neat-network/network.nix"),
]
DEFAULT_JSON = BENCH_DIR / "out" / "check.json"
AIM_MS = 150.0


def profile() -> str:
    import io

    from nixeval.commands.check import CheckOptions, run_check

    options = CheckOptions(files=[str(ROOT / "fixtures/typical/ci.nix")], format="gcc")

    def run(opts: CheckOptions) -> int:
        return run_check(opts, io.StringIO(), io.StringIO(), io.StringIO())

    return profile_run(run, options, sort="cumulative", lines=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="timed runs per figure (default 10)")
    ap.add_argument("--ci-eval", type=Path, metavar="PATH", help="the ci-eval executable to time")
    ap.add_argument("--fresh-venv", action="store_true", help="time a fresh `pip install .`")
    ap.add_argument("--profile", action="store_true", help="also profile ci-eval in-process")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON")
    args = ap.parse_args(argv)

    nix, ci = find_nix(), find_ci_eval()
    if args.fresh_venv:
        args.ci_eval = fresh_venv_ci_eval()
    if args.ci_eval is not None:
        ci = Command([str(args.ci_eval)], f"console script {args.ci_eval}")
    elif ci is not None:
        ci = Command([a for a in ci.argv if a != "--parse"], ci.how, ci.env)
    if ci is None:
        print("no ci-eval to time", file=sys.stderr)
        return 1
    # Time ci-eval as installed: with its bytecode (pip compiles it; an environment that
    # sets PYTHONDONTWRITEBYTECODE would recompile every module on every run, ~100 ms).
    env = dict(ci.env if ci.env is not None else os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ci = Command(ci.argv, ci.how, env)
    rows = []
    for name, file in CASES:
        path = str(ROOT / file)
        argv = [*ci.argv, "check", "--format", "gcc", path]
        rows.append(
            compare(name, f"ci-eval check --format gcc {file}", argv, ci, nix, path, args.runs)
        )
    report(rows, ci, nix, AIM_MS, args.json)
    if args.profile:
        print(profile())
    return 0


if __name__ == "__main__":
    sys.exit(main())
