"""Library-heavy benchmark (issue 15): real library code, ``nix-instantiate`` and ``ci-eval``
side by side in the same run.

Usage::

    python3 bench/library_bench.py [--runs N] [--only NAME] [--inputs DIR]
                                   [--fresh-venv | --ci-eval PATH]

Each workload is run as a whole process by Nix 2.8 (``NIX_REMOTE=dummy://``) and by
ci-eval, alternating run by run (nix, ci-eval, nix, ci-eval, ...) after a discarded warm-up
pair; it reports the median wall time of N runs of each, the ratio, the peak RSS of each
process (max RSS from wait4(2): the process's own, including children it reaped) and
whether both printed the same output. The workloads evaluate the unmodified reference
sources in ``--inputs`` (default ../shared/data/inputs beside the checkout) through the
Nix files in bench/workloads/. Figures go to bench/out/library.json; see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
WORKLOADS = BENCH_DIR / "workloads"
OUT = BENCH_DIR / "out"
DEFAULT_INPUTS = ROOT.parent / "shared" / "data" / "inputs"
DEFAULT_JSON = OUT / "library.json"
LARGE_SIZE = 5_000_000
TIME = "/usr/bin/time"
sys.path.insert(0, str(BENCH_DIR))

import check_bench  # noqa: E402
import describe_bench  # noqa: E402
from common import setup  # noqa: E402
from eval_bench import run_once  # noqa: E402
from gen_large import generate  # noqa: E402
from parse_bench import Command  # noqa: E402

# The library-heavy rows the issue sets a ratio target for (<= 10x, and how far from 5x).
TARGET_RATIO = 10.0
LIBRARY_HEAVY = ("flake-parts", "lib-misc", "flake-parts-tests", "evalModules")
NIX_PARSES = "n/a (nix: --parse)"
PRINTER_DIFFERS = "n/a (own printer)"
NAMES = (*LIBRARY_HEAVY, "parse-5mb", "main-job", "check", "modules.sh")


@dataclass
class Workload:
    """One row: the two command lines (argv after the program), what is compared."""

    name: str
    nix_args: list[str]
    ci_args: list[str]
    # Why the outputs are not compared, when they are not: the two commands do different
    # things (ci-eval's main job against `nix-instantiate --parse` of the file), or print
    # in different forms (ci-eval --parse has its own printer).
    not_compared: str | None = None
    # What is compared of the output (e.g. the pass/fail lines of modules.sh).
    digest: Callable[[str], str] = str.rstrip
    # Exit statuses that are not failures (modules.sh exits 1 when a test fails).
    ok_status: tuple[int, ...] = (0,)
    # A replacement for the programs' argv (modules.sh runs bash, not the programs).
    nix_program: list[str] | None = None
    ci_program: list[str] | None = None
    ci_env: dict[str, str] = field(default_factory=dict)
    runs: int | None = None  # overrides --runs (a long workload)
    warmup: bool = True


@dataclass
class Side:
    wall_ms: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    output: str | None = None
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        ok = bool(self.wall_ms) and self.error is None
        return {
            "median_s": statistics.median(self.wall_ms) / 1000.0 if ok else None,
            "peak_mb": max(self.peak_mb) if ok else None,
            "samples_ms": [round(ms, 1) for ms in self.wall_ms],
            "error": self.error,
        }


def nix_workload(name: str, file: str, inputs: Path, *flags: str) -> Workload:
    """A bench/workloads/ file evaluated by both with the same flags."""
    # `<inputs>`, not a function argument: ci-eval runs lib-misc twice as slowly when the
    # workload is a function (most of the extra time in the kernel: page faults).
    args = [*flags, str(WORKLOADS / file), "-I", f"inputs={inputs}"]
    return Workload(name, ["--eval", *args], ["--eval", *args])


def modules_sh_summary(output: str) -> str:
    """modules.sh's verdict: the lines of the failing tests and the pass/fail counts."""
    failed = re.findall(r"TEST FAILED\S* at \S*?([^/\s]+:\d+)", output)
    counts = re.findall(r"^(\d+) (Pass|Fail)$", output, re.MULTILINE)
    return " ".join(f"{n} {what}" for n, what in counts) + "; failed at: " + " ".join(failed)


def modules_sh(inputs: Path, ci: Command, scratch: Path, runs: int) -> Workload:
    """lib/tests/modules.sh on a copy of nixpkgs lib; for ci-eval, PATH starts with a
    directory whose `nix-instantiate` runs ci-eval with the same arguments (no flag is
    rewritten: ci-eval takes nix-instantiate's)."""
    lib = scratch / "lib"
    shutil.copytree(inputs / "nixpkgs.lib" / "lib", lib)
    shim_dir = scratch / "shim"
    shim_dir.mkdir()
    shim = shim_dir / "nix-instantiate"
    shim.write_text(f'#!/bin/bash\nexec {shlex.join(ci.argv)} "$@"\n')
    shim.chmod(0o755)
    script = [shutil.which("bash") or "/bin/bash", str(lib / "tests" / "modules.sh")]
    path = f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return Workload(
        "modules.sh",
        [],
        [],
        digest=modules_sh_summary,
        ok_status=(0, 1),
        nix_program=script,
        ci_program=script,
        ci_env={"PATH": path},
        runs=runs,
        warmup=False,
    )


def workloads(
    inputs: Path, ci: Command, scratch: Path, modules_sh_runs: int, only: str | None
) -> list[Workload]:
    large = OUT / f"large-{LARGE_SIZE}.nix"
    if only in (None, "parse-5mb") and not large.exists():
        large.parent.mkdir(parents=True, exist_ok=True)
        large.write_text(generate(size=LARGE_SIZE), encoding="utf-8")
        print(f"generated {large}")
    # The NixOps guide's ci.nix (neat-network), as describe_bench and check_bench run it.
    _, file, extra = next(c for c in describe_bench.CASES if c[0] == "neat-network")
    guide = str(ROOT / file)
    checked = str(ROOT / dict(check_bench.CASES)["neat-network"])
    rows = [
        nix_workload("flake-parts", "flake-parts.nix", inputs, "--strict", "--json"),
        nix_workload("lib-misc", "lib-misc.nix", inputs, "--strict"),
        nix_workload("flake-parts-tests", "flake-parts-tests.nix", inputs, "--strict", "--json"),
        nix_workload("evalModules", "evalModules.nix", inputs, "--strict", "--json"),
        Workload("parse-5mb", ["--parse", str(large)], ["--parse", str(large)], PRINTER_DIFFERS),
        Workload("main-job", ["--parse", guide], [guide, *extra], NIX_PARSES),
        Workload("check", ["--parse", checked], ["check", "--format", "gcc", checked], NIX_PARSES),
    ]
    if only in (None, "modules.sh"):
        rows.append(modules_sh(inputs, ci, scratch, modules_sh_runs))
    return [w for w in rows if only is None or w.name == only]


def peak_source() -> str:
    return (
        "GNU time's %M (/usr/bin/time): the command's own max RSS"
        if os.access(TIME, os.X_OK)
        else "max RSS from wait4(2) (no /usr/bin/time: includes the benchmark's own peak)"
    )


def run_measured(argv: list[str], env: dict[str, str] | None) -> tuple[float, float, str, int, str]:
    """run_once, with the peak RSS taken by /usr/bin/time where there is one: a child's
    wait4 max RSS includes this (Python, large-output-holding) process's own peak, because
    the child is forked from it; /usr/bin/time's child is forked from a tiny process."""
    if not os.access(TIME, os.X_OK):
        return run_once(argv, env)
    with tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as report:
        wall, _, out, status, err = run_once([TIME, "-f", "%M", "-o", report.name, *argv], env)
        # The last line is %M; GNU time writes "Command exited with …" before it.
        kib = report.read().split()[-1:]
    return wall, int(kib[0]) / 1024.0 if kib and kib[0].isdigit() else 0.0, out, status, err


def run_side(
    side: Side, argv: list[str], env: dict[str, str] | None, w: Workload, keep: bool
) -> None:
    if side.error is not None:
        return
    wall, peak, out, status, err = run_measured(argv, env)
    if status not in w.ok_status:
        tail = err.strip().splitlines()[-6:] or ["(no stderr)"]
        side.error = f"exit {status}: " + "\n".join(tail)
        return
    side.output = w.digest(out)
    if keep:
        side.wall_ms.append(wall)
        side.peak_mb.append(peak)


def measure(w: Workload, nix: Command, ci: Command, runs: int) -> dict[str, Any]:
    """Alternate nix and ci-eval run by run; the first pair (warm-up) is not counted."""
    nix_argv = w.nix_program or [*nix.argv, *w.nix_args]
    ci_argv = w.ci_program or [*ci.argv, *w.ci_args]
    ci_env = dict(ci.env or os.environ, **w.ci_env)
    nix_side, ci_side = Side(), Side()
    n = w.runs or runs
    for i in range(n + (1 if w.warmup else 0)):
        keep = i > 0 or not w.warmup
        run_side(nix_side, nix_argv, nix.env, w, keep)
        run_side(ci_side, ci_argv, ci_env, w, keep)
    nix_sum, ci_sum = nix_side.summary(), ci_side.summary()
    same: bool | None = None
    if w.not_compared is None and nix_side.output is not None and ci_side.output is not None:
        same = nix_side.output == ci_side.output
    ratio = (
        ci_sum["median_s"] / nix_sum["median_s"]
        if ci_sum["median_s"] and nix_sum["median_s"]
        else None
    )
    row: dict[str, Any] = {
        "workload": w.name,
        "nix": {"argv": nix_argv, **nix_sum},
        "ci_eval": {"argv": ci_argv, **ci_sum},
        "runs": n,
        "ratio": ratio,
        "same_output": same,
        "not_compared": w.not_compared,
        "failed": ci_side.error is not None or same is False,
    }
    if same is False:
        row["nix"]["output_head"] = (nix_side.output or "")[:500]
        row["ci_eval"]["output_head"] = (ci_side.output or "")[:500]
    return row


def fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'workload':<19}{'nix s':>8}{'ci-eval s':>11}{'ratio':>8}"
        f"{'nix MB':>8}{'ci-eval MB':>12}  same output"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        n, c = r["nix"], r["ci_eval"]
        if c["error"]:
            same = "FAILED (ci-eval error)"
        elif r["same_output"] is None:
            same = r["not_compared"] or "-"
        else:
            same = "yes" if r["same_output"] else "NO: FAILED"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.1f}x"
        print(
            f"{r['workload']:<19}{fmt(n['median_s'], '.3f'):>8}{fmt(c['median_s'], '.3f'):>11}"
            f"{ratio:>8}{fmt(n['peak_mb'], '.1f'):>8}{fmt(c['peak_mb'], '.1f'):>12}  {same}"
        )
    print()
    for r in rows:
        for who in ("nix", "ci_eval"):
            if r[who]["error"]:
                print(f"! {who} failed on {r['workload']}: {r[who]['error']}")
        if r["same_output"] is False:
            print(f"! {r['workload']}: the outputs differ")
            print(f"  nix:     {r['nix']['output_head'][:300]!r}")
            print(f"  ci-eval: {r['ci_eval']['output_head'][:300]!r}")
    heavy = [r["ratio"] for r in rows if r["workload"] in LIBRARY_HEAVY and r["ratio"]]
    if heavy:
        worst = max(heavy)
        print(
            f"library-heavy rows: worst ratio {worst:.1f}x; target <= {TARGET_RATIO:.0f}x "
            f"({'met' if worst <= TARGET_RATIO else 'missed'}); 5x needs {worst / 5:.1f}x faster"
        )


def add_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--only", choices=NAMES, help="run one workload (see bench/README.md)")
    ap.add_argument(
        "--inputs",
        type=Path,
        default=DEFAULT_INPUTS,
        help="the reference sources (default ../shared/data/inputs beside the checkout)",
    )
    ap.add_argument(
        "--modules-sh-runs",
        type=int,
        default=1,
        help="timed runs of modules.sh (default 1: ~3 minutes for ci-eval), no warm-up",
    )


def main(argv: list[str] | None = None) -> int:
    found = setup(__doc__.split("\n\n")[0], argv, DEFAULT_JSON, 5, add_options)
    if found is None:
        return 1
    args, ci, nix = found
    if args.profile:
        print("--profile: not available here; profile a workload with the other benchmarks")
    inputs: Path = args.inputs.resolve()
    if not (inputs / "nixpkgs.lib" / "lib").is_dir() or not (inputs / "flake-parts").is_dir():
        print(
            f"the reference sources are not in {inputs} (expected nixpkgs.lib/, flake-parts/, "
            "hercules-ci-effects/); pass --inputs DIR",
            file=sys.stderr,
        )
        return 2
    if nix is None:
        print("nix-instantiate is not on PATH: this benchmark is a comparison", file=sys.stderr)
        return 2
    nix = Command([a for a in nix.argv if a != "--parse"], nix.how, nix.env)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="ci-eval-library-bench-") as scratch:
        chosen = workloads(inputs, ci, Path(scratch), args.modules_sh_runs, args.only)
        print(f"nix:     {nix.how}\nci-eval: {ci.how}\npeak:    {peak_source()}")
        print(f"runs: {args.runs} per program, alternating, after a warm-up pair; medians\n")
        rows = []
        for w in chosen:
            print(f"  {w.name} ...", file=sys.stderr, flush=True)
            rows.append(measure(w, nix, ci, args.runs))
    print_table(rows)
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": {"python": sys.version.split()[0], "platform": platform.platform()},
        "nix": nix.how,
        "ci_eval": ci.how,
        "inputs": str(inputs),
        "runs": args.runs,
        "time": "median whole-process wall time, seconds",
        "peak": f"MB, the largest over the runs of {peak_source()}",
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    return 1 if any(r["failed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
