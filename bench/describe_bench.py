"""Main-job benchmark: ``ci-eval FIXTURE -A ATTR`` (an effect description), whole process.

Usage::

    python3 bench/describe_bench.py [--runs N] [--fresh-venv | --ci-eval PATH] [--profile]

Real Nix cannot evaluate these files offline (they fetch nixpkgs and hercules-ci-effects),
so the Nix figure in the same run is ``nix-instantiate --parse`` of the same file: the
least Nix itself does with it. For each case it reports the median whole-process wall
time of N runs (after one warm-up), peak memory (max RSS), the first (cold) run, and the
ratio to nix-instantiate --parse. ``--profile`` prints where ci-eval's time goes on
neat-network (cProfile, top functions by cumulative time). Figures go to
bench/out/describe.json. The aim (issue 4): "in about a second"; see bench/README.md.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from common import setup  # noqa: E402  (check, run and inputs import it from here)
from eval_bench import profile_run, run_once  # noqa: E402
from parse_bench import Command  # noqa: E402

# (name, file, arguments after the file)
CASES = [
    ("neat-network", "fixtures/neat-network/ci.nix", ["-A", "neat-network", "--as-branch", "main"]),
    ("typical", "fixtures/typical/ci.nix", ["--as-branch", "production"]),
    ("flake", "fixtures/flake-herculesci/flake.nix", ["--as-branch", "main"]),
]
DEFAULT_JSON = BENCH_DIR / "out" / "describe.json"
AIM_MS = 1000.0


def timed(argv: list[str], env: dict[str, str] | None, runs: int) -> dict[str, Any]:
    first_ms, first_mb, _, status, err = run_once(argv, env)
    if status != 0:
        return {"error": f"exit {status}: {err.strip()[-300:]}"}
    wall, peak = [], [first_mb]
    for _ in range(runs):
        ms, mb, _, _, _ = run_once(argv, env)
        wall.append(ms)
        peak.append(mb)
    return {"first_ms": first_ms, "median_ms": statistics.median(wall), "peak_mb": max(peak)}


def compare(
    name: str,
    command: str,
    argv: list[str],
    ci: Command,
    nix: Command | None,
    path: str,
    runs: int,
) -> dict[str, Any]:
    """One row: ci-eval's `argv` timed, and nix-instantiate --parse of `path` beside it."""
    row: dict[str, Any] = {"case": name, "command": command}
    row["ci_eval"] = timed(argv, ci.env, runs)
    if nix is not None:
        row["nix_parse"] = timed([*nix.argv, path], nix.env, runs)
        ours, theirs = row["ci_eval"].get("median_ms"), row["nix_parse"].get("median_ms")
        row["ratio"] = ours / theirs if ours and theirs else None
    return row


def report(
    rows: list[dict[str, Any]], ci: Command, nix: Command | None, aim_ms: float, out: Path
) -> None:
    """Write the figures as JSON to `out` and print them as a table."""
    document = {"ci_eval": ci.how, "nix": nix.how if nix else None, "aim_ms": aim_ms, "cases": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"ci-eval: {ci.how}\nnix:     {nix.how if nix else 'not found'}\n")
    print(
        f"{'case':<14}{'ci-eval ms':>12}{'first ms':>10}{'MB':>7}{'nix --parse ms':>16}{'ratio':>8}"
    )
    for r in rows:
        c, n = r["ci_eval"], r.get("nix_parse", {})
        if "error" in c:
            print(f"{r['case']:<14}  error: {c['error']}")
            continue
        ratio = f"{r['ratio']:.1f}x" if r.get("ratio") else "-"
        nix_ms = f"{n['median_ms']:.1f}" if n.get("median_ms") else "-"
        print(
            f"{r['case']:<14}{c['median_ms']:>12.1f}{c['first_ms']:>10.1f}{c['peak_mb']:>7.1f}"
            f"{nix_ms:>16}{ratio:>8}"
        )
    print(f"\naim: under {aim_ms:.0f} ms whole process; figures in {out}")


def profile() -> str:
    from nixeval.commands.describe import DescribeOptions, run_describe

    options = DescribeOptions(
        file=str(ROOT / "fixtures/neat-network/ci.nix"),
        attr_paths=["neat-network"],
        as_branch="main",
    )
    return profile_run(run_describe, options, sort="cumulative", lines=25)


def main(argv: list[str] | None = None) -> int:
    found = setup(__doc__.split("\n\n")[0], argv, DEFAULT_JSON)
    if found is None:
        return 1
    args, ci, nix = found
    rows = []
    for name, file, extra in CASES:
        path = str(ROOT / file)
        rows.append(
            compare(
                name,
                f"ci-eval {file} {' '.join(extra)}",
                [*ci.argv, path, *extra],
                ci,
                nix,
                path,
                args.runs,
            )
        )
    report(rows, ci, nix, AIM_MS, args.json)
    if args.profile:
        print(profile())
    return 0


if __name__ == "__main__":
    sys.exit(main())
