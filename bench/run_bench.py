"""``ci-eval run`` benchmark: a cold ``ci-eval run`` of a fixture's effect, whole process.

Usage::

    python3 bench/run_bench.py [--runs N] [--fresh-venv | --ci-eval PATH]

The plan and the script of an effect, evaluated on the spot (``FILE -A ATTR``), and the
plan of a saved JSON description (no evaluation: read, validate, plan). In the same run,
``nix-instantiate --parse`` of the ci.nix (the least Nix does with it; real Nix cannot
evaluate these files offline). Median of N runs after one warm-up, the first (cold) run,
peak memory, and the ratio. Figures go to bench/out/run.json. The local backend is not
timed: its time is the effect's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from describe_bench import compare, report, setup  # noqa: E402

NIXOPS = "fixtures/nixops-secrets/ci.nix"
DEFAULT_JSON = BENCH_DIR / "out" / "run.json"
AIM_MS = 300.0  # not an aim of the issue: the main job's time, plus little


def main(argv: list[str] | None = None) -> int:
    found = setup(__doc__.split("\n\n")[0], argv, DEFAULT_JSON)
    if found is None:
        return 1
    args, ci, nix = found
    path = str(ROOT / NIXOPS)
    effect = [path, "-A", "neat-network"]
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "description.json"
        saved.write_text(
            subprocess.run(
                [*ci.argv, *effect], env=ci.env, capture_output=True, text=True, check=True
            ).stdout
        )
        cases = [
            ("plan", "ci-eval run FILE -A neat-network", [*ci.argv, "run", *effect]),
            (
                "script",
                "ci-eval run FILE -A neat-network --backend script --env NIX_PATH=…",
                [*ci.argv, "run", *effect, "--backend", "script", "--env", "NIX_PATH=n=/x"],
            ),
            ("plan of JSON", "ci-eval run description.json", [*ci.argv, "run", str(saved)]),
        ]
        rows = [compare(name, what, cmd, ci, nix, path, args.runs) for name, what, cmd in cases]
    report(rows, ci, nix, AIM_MS, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
