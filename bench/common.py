"""The command line shared by the whole-process benchmarks (describe, check, run, inputs,
library): which ci-eval and which nix-instantiate to time, and the common options."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from parse_bench import Command, find_ci_eval, find_nix, fresh_venv_ci_eval  # noqa: E402


def setup(
    description: str,
    argv: list[str] | None,
    default_json: Path,
    default_runs: int = 10,
    extend: Callable[[argparse.ArgumentParser], None] | None = None,
) -> tuple[argparse.Namespace, Command, Command | None] | None:
    """The command line shared by the whole-process benchmarks, and the ci-eval and Nix
    commands to time (None, after saying so, when there is no ci-eval). `extend` adds a
    benchmark's own options to the parser."""
    ap = argparse.ArgumentParser(description=description)
    runs_help = f"timed runs per figure (default {default_runs})"
    ap.add_argument("--runs", type=int, default=default_runs, help=runs_help)
    ap.add_argument("--ci-eval", type=Path, metavar="PATH", help="the ci-eval executable to time")
    ap.add_argument("--fresh-venv", action="store_true", help="time a fresh `pip install .`")
    ap.add_argument("--profile", action="store_true", help="also profile ci-eval in-process")
    ap.add_argument("--json", type=Path, default=default_json, help="where to write the JSON")
    if extend is not None:
        extend(ap)
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
        return None
    # Time ci-eval as installed: with its bytecode (pip compiles it; an environment that
    # sets PYTHONDONTWRITEBYTECODE would recompile every module on every run, ~100 ms).
    env = dict(ci.env if ci.env is not None else os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return args, Command(ci.argv, ci.how, env), nix
