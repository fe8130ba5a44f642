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

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from describe_bench import compare, report, setup  # noqa: E402
from eval_bench import profile_run  # noqa: E402

CASES = [
    ("typical", "fixtures/typical/ci.nix"),
    ("neat-network", "fixtures/neat-network/ci.nix"),
    ("flake", "fixtures/flake-herculesci/flake.nix"),
    ("syntax only", "fixtures/neat-network/network.nix"),
    # A large file (issue 15: `check` within 10x of nix-instantiate --parse), made by
    # bench/gen_large.py when it is not there.
    ("large 5 MB", "bench/out/large-5000000.nix"),
]
LARGE = ROOT / "bench/out/large-5000000.nix"
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
    found = setup(__doc__.split("\n\n")[0], argv, DEFAULT_JSON)
    if found is None:
        return 1
    args, ci, nix = found
    if not LARGE.exists():
        from gen_large import generate

        LARGE.parent.mkdir(parents=True, exist_ok=True)
        LARGE.write_text(generate(size=5_000_000), encoding="utf-8")
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
