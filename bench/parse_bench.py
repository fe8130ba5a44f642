"""Parse benchmark: ``ci-eval --parse`` side by side with ``nix-instantiate --parse``.

Usage::

    python3 bench/parse_bench.py [--runs N] [--warmups W] [--large FILE] [--json FILE]
                                 [--fresh-venv | --ci-eval PATH]

Measures, in one run (so every ratio compares figures taken on the same machine state):

* whole-process wall time (median of N runs after W warm-ups) of
  ``nix-instantiate --parse FILE`` (``NIX_REMOTE=dummy://``) and of ``ci-eval --parse FILE``,
  for ``fixtures/typical/ci.nix`` and a generated ~1 MB file (``bench/gen_large.py``);
  the two commands alternate run by run so drift affects both alike;
* the first ``ci-eval --parse`` process on the typical file (before any warm-up);
* in-process parse time of ``nixeval.syntax.parse(text, filename)``: the first call
  (includes building or loading the parser) and the median of N later calls.

Prints a table and writes the same figures as JSON (default ``bench/out/parse.json``).
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
TYPICAL = ROOT / "fixtures" / "typical" / "ci.nix"
DEFAULT_LARGE = BENCH_DIR / "out" / "large.nix"
DEFAULT_JSON = BENCH_DIR / "out" / "parse.json"
TARGET_MS = 100.0  # whole-process `ci-eval --parse` on a typical ci.nix (design.md §9)


@dataclass
class Command:
    """A command line to time, and how it was found (reported with the results)."""

    argv: list[str]
    how: str
    env: dict[str, str] | None = None

    def run(self, file: Path, capture: bool = False) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*self.argv, str(file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=ROOT,  # so `python -m nixeval` finds an uninstalled checkout too
            check=False,
        )


@dataclass
class Series:
    """Wall-clock samples in milliseconds; ``error`` is set if the command failed."""

    samples_ms: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.samples_ms) if self.samples_ms and not self.error else None

    def summary(self) -> dict[str, Any]:
        ok = bool(self.samples_ms) and not self.error
        return {
            "median_ms": self.median_ms,
            "min_ms": min(self.samples_ms) if ok else None,
            "max_ms": max(self.samples_ms) if ok else None,
            "samples_ms": [round(s, 3) for s in self.samples_ms],
            "error": self.error,
        }


@dataclass
class FileResult:
    label: str
    path: str
    size_bytes: int
    nix: Series | None
    ci_eval: Series | None
    same_output: bool | None = None
    in_process_first_ms: float | None = None
    in_process_median_ms: float | None = None
    in_process_error: str | None = None

    @property
    def ratio(self) -> float | None:
        n = self.nix.median_ms if self.nix else None
        c = self.ci_eval.median_ms if self.ci_eval else None
        return c / n if n and c is not None else None


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def describe_failure(proc: subprocess.CompletedProcess[bytes]) -> str:
    err = proc.stderr.decode(errors="replace").strip().splitlines()
    tail = " | ".join(err[-3:]) if err else "(no stderr)"
    return f"exit {proc.returncode}: {tail}"


def time_once(cmd: Command, file: Path) -> tuple[float, str | None]:
    start = time.perf_counter()
    proc = cmd.run(file)
    elapsed = ms_since(start)
    return elapsed, None if proc.returncode == 0 else describe_failure(proc)


# ----------------------------------------------------------------------- locating programs


def find_nix() -> Command | None:
    exe = shutil.which("nix-instantiate")
    if exe is None:
        return None
    env = dict(os.environ, NIX_REMOTE="dummy://")
    return Command([exe, "--parse"], f"{exe} (NIX_REMOTE=dummy://)", env)


def is_shim(path: str) -> bool:
    """True for pyenv/asdf-style shims, which add tens of ms of shell start-up."""
    parts = Path(path).parts
    return "shims" in parts


def find_ci_eval() -> Command | None:
    """The `ci-eval` console script, resolved to the real file, else ``python -m nixeval``.

    The console script next to the running interpreter is preferred: a ``ci-eval`` found
    on PATH may be a pyenv shim, which would time pyenv rather than ci-eval.
    """
    beside = Path(sys.executable).parent / "ci-eval"
    candidates = [str(beside)] if beside.is_file() else []
    on_path = shutil.which("ci-eval")
    if on_path is not None:
        candidates.append(on_path)
    for cand in candidates:
        real = os.path.realpath(cand)
        if is_shim(real) or not os.access(real, os.X_OK):
            continue
        return Command([real, "--parse"], f"console script {real}")
    in_checkout = (ROOT / "nixeval" / "__main__.py").is_file()
    if not in_checkout and importlib.util.find_spec("nixeval") is None:
        return None
    shim_note = f" (skipped shim {on_path})" if on_path else " (no ci-eval on PATH)"
    return Command(
        [sys.executable, "-m", "nixeval", "--parse"], f"{sys.executable} -m nixeval{shim_note}"
    )


def fresh_venv_ci_eval() -> Path:
    """A new virtual environment in bench/out/venv with this checkout installed (not
    editable), and the path of its ci-eval."""
    import venv

    env = BENCH_DIR / "out" / "venv"
    if env.exists():
        shutil.rmtree(env)
    venv.create(env, with_pip=True)
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", str(ROOT)], check=True
    )
    print(f"installed the checkout into {env}")
    return env / "bin" / "ci-eval"


def interpreter_of(ci: Command) -> str:
    """The Python that runs `ci`: the console script's shebang, else the argv[0]."""
    if ci.argv[1:2] == ["-m"]:
        return ci.argv[0]
    try:
        with open(ci.argv[0], "rb") as fh:
            first = fh.readline().decode(errors="replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!") and " " not in first[2:].strip():
        return first[2:].strip()
    return sys.executable


def python_startup(python: str, runs: int, warmups: int) -> Series:
    """Whole-process time of `python -c pass`: the floor under any `ci-eval` process."""
    s = Series()
    for i in range(warmups + runs):
        start = time.perf_counter()
        proc = subprocess.run([python, "-c", "pass"], stdin=subprocess.DEVNULL, check=False)
        elapsed = ms_since(start)
        if proc.returncode:
            s.error = f"exit {proc.returncode}"
            break
        if i >= warmups:
            s.samples_ms.append(elapsed)
    return s


def version_of(argv: Sequence[str]) -> str | None:
    try:
        proc = subprocess.run([*argv, "--version"], capture_output=True, check=False, timeout=30)
    except OSError:
        return None
    out = (proc.stdout or proc.stderr).decode(errors="replace").strip()
    return out.splitlines()[0] if out else None


# ----------------------------------------------------------------------- measuring


def whole_process(
    nix: Command | None, ci: Command | None, file: Path, runs: int, warmups: int
) -> tuple[Series | None, Series | None]:
    """Alternate nix and ci-eval run by run; the first `warmups` pairs are discarded."""
    nix_s = Series() if nix else None
    ci_s = Series() if ci else None
    pairs = [(c, s) for c, s in ((nix, nix_s), (ci, ci_s)) if c is not None and s is not None]
    for i in range(warmups + runs):
        for cmd, s in pairs:
            if s.error:
                continue
            elapsed, error = time_once(cmd, file)
            if error:
                s.error = error
            elif i >= warmups:
                s.samples_ms.append(elapsed)
    return nix_s, ci_s


def same_output(nix: Command | None, ci: Command | None, file: Path) -> bool | None:
    """Whether both print the same `--parse` text (informational; None if not comparable)."""
    if nix is None or ci is None:
        return None
    a, b = nix.run(file, capture=True), ci.run(file, capture=True)
    if a.returncode or b.returncode:
        return None
    return a.stdout == b.stdout


def load_parse() -> tuple[Callable[[str, str], object] | None, str | None]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # an uninstalled checkout works too
    try:
        module = importlib.import_module("nixeval.syntax")
        return module.parse, None
    except Exception as exc:  # the package may not exist yet, or be half-written
        return None, f"cannot import nixeval.syntax.parse: {type(exc).__name__}: {exc}"


def in_process(
    parse: Callable[[str, str], object], file: Path, runs: int
) -> tuple[float | None, float | None, str | None]:
    """(first call ms, median of `runs` later calls ms, error)."""
    text = file.read_text(encoding="utf-8")
    samples: list[float] = []
    try:
        start = time.perf_counter()
        parse(text, str(file))
        first = ms_since(start)
        for _ in range(runs):
            gc.collect()  # don't bill this call for the previous call's garbage
            start = time.perf_counter()
            parse(text, str(file))
            samples.append(ms_since(start))
    except Exception as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    return first, statistics.median(samples), None


# ----------------------------------------------------------------------- reporting


def fmt_ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def fmt_size(n: int) -> str:
    return f"{n / 1_000_000:.2f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def print_report(report: dict[str, Any], results: list[FileResult]) -> None:
    print(f"nix:     {report['nix']['command'] or 'nix-instantiate not found'}")
    print(f"ci-eval: {report['ci_eval']['command'] or 'not found'}")
    print(f"runs: {report['runs']} (median, after {report['warmups']} warm-ups)\n")
    header = (
        f"{'file':<22} {'size':>9} {'nix ms':>8} {'ci-eval ms':>11} {'ratio':>7} "
        f"{'parse() first':>14} {'parse() ms':>11} {'same output':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        same = {None: "-", True: "yes", False: "NO"}[r.same_output]
        print(
            f"{r.label:<22} {fmt_size(r.size_bytes):>9} "
            f"{fmt_ms(r.nix.median_ms if r.nix else None):>8} "
            f"{fmt_ms(r.ci_eval.median_ms if r.ci_eval else None):>11} {ratio:>7} "
            f"{fmt_ms(r.in_process_first_ms):>14} {fmt_ms(r.in_process_median_ms):>11} "
            f"{same:>12}"
        )
    print()
    for r in results:
        for who, s in (("nix", r.nix), ("ci-eval", r.ci_eval)):
            if s is not None and s.error:
                print(f"! {who} failed on {r.label}: {s.error}")
        if r.in_process_error:
            print(f"! in-process parse of {r.label}: {r.in_process_error}")
    py = report["python_startup"]
    if py["median_ms"] is not None:
        print(f"python start-up alone (`{py['python']} -c pass`): {py['median_ms']:.1f} ms median")
    t = report["target"]
    if t["median_ms"] is not None:
        verdict = "meets" if t["median_ms"] <= t["target_ms"] else "MISSES"
        print(
            f"ci-eval --parse on a typical ci.nix: {t['median_ms']:.1f} ms median, "
            f"first run {fmt_ms(t['first_run_ms'])} ms; target {t['target_ms']:.0f} ms: {verdict}"
        )
    else:
        print("ci-eval --parse on a typical ci.nix: not measured (see errors above)")


# ----------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="timed runs per figure (default 15)")
    ap.add_argument("--warmups", type=int, default=2, help="discarded runs first (default 2)")
    ap.add_argument("--large", type=Path, default=DEFAULT_LARGE, help="large file to parse")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON")
    ap.add_argument("--ci-eval", type=Path, metavar="PATH", help="the ci-eval executable to time")
    ap.add_argument(
        "--fresh-venv",
        action="store_true",
        help="`pip install .` into bench/out/venv and time its ci-eval: what a user who"
        " installs ci-eval runs (an editable install's start-up hooks cost extra)",
    )
    args = ap.parse_args(argv)
    if args.runs < 1 or args.warmups < 0:
        ap.error("--runs must be >= 1 and --warmups >= 0")

    if not args.large.exists():
        sys.path.insert(0, str(BENCH_DIR))
        from gen_large import generate

        args.large.parent.mkdir(parents=True, exist_ok=True)
        args.large.write_text(generate(), encoding="utf-8")
        print(f"generated {args.large}")

    nix, ci = find_nix(), find_ci_eval()
    if args.fresh_venv:
        args.ci_eval = fresh_venv_ci_eval()
    if args.ci_eval is not None:
        ci = Command([str(args.ci_eval), "--parse"], f"console script {args.ci_eval}")
    if nix is None:
        print("nix-instantiate is not on PATH: printing only ci-eval's figures (no ratios).")
    if ci is None:
        print("ci-eval not found (no console script, no importable nixeval).")

    # The first ci-eval process, before any warm-up: what a pre-commit hook pays on a cold
    # run (the OS file cache is not dropped).
    first_run: float | None = None
    first_run_error: str | None = None
    if ci is not None:
        first_run, first_run_error = time_once(ci, TYPICAL)
        if first_run_error:
            first_run = None

    parse, import_error = load_parse()
    results: list[FileResult] = []
    for label, file in (("typical ci.nix", TYPICAL), ("generated large.nix", args.large)):
        nix_s, ci_s = whole_process(nix, ci, file, args.runs, args.warmups)
        res = FileResult(label, str(file), file.stat().st_size, nix_s, ci_s)
        res.same_output = same_output(nix, ci, file)
        if parse is not None:
            first, median, err = in_process(parse, file, args.runs)
            res.in_process_first_ms, res.in_process_median_ms = first, median
            res.in_process_error = err
        else:
            res.in_process_error = import_error
        results.append(res)

    typical_ci = results[0].ci_eval
    python = interpreter_of(ci) if ci else None
    startup = python_startup(python, args.runs, args.warmups) if python else None
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": {"python": sys.version.split()[0], "platform": platform.platform()},
        "runs": args.runs,
        "warmups": args.warmups,
        "nix": {
            "command": nix.how if nix else None,
            "version": version_of(nix.argv[:1]) if nix else None,
        },
        "ci_eval": {"command": ci.how if ci else None, "argv": ci.argv if ci else None},
        "python_startup": {
            "what": "whole-process `python -c pass` with ci-eval's interpreter (a floor)",
            "python": python,
            **(startup.summary() if startup else {"median_ms": None}),
        },
        "files": [
            {
                "label": r.label,
                "path": os.path.relpath(r.path, ROOT),
                "size_bytes": r.size_bytes,
                "nix": r.nix.summary() if r.nix else None,
                "ci_eval": r.ci_eval.summary() if r.ci_eval else None,
                "ratio_ci_eval_over_nix": r.ratio,
                "same_output": r.same_output,
                "in_process_parse": {
                    "first_ms": r.in_process_first_ms,
                    "median_ms": r.in_process_median_ms,
                    "error": r.in_process_error,
                },
            }
            for r in results
        ],
        "target": {
            "what": "whole-process `ci-eval --parse` on fixtures/typical/ci.nix",
            "target_ms": TARGET_MS,
            "median_ms": typical_ci.median_ms if typical_ci else None,
            "first_run_ms": first_run,
            "first_run_error": first_run_error,
            "met": (typical_ci.median_ms <= TARGET_MS)
            if typical_ci and typical_ci.median_ms is not None
            else None,
        },
    }
    print_report(report, results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")
    failed = any(r.ci_eval is not None and r.ci_eval.error for r in results)
    return 1 if failed or ci is None else 0


if __name__ == "__main__":
    raise SystemExit(main())
