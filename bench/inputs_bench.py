"""Flakes with real inputs: ``ci-eval FIXTURE --list``, cold (inputs fetched) and warm,
and ``ci-eval FIXTURE -A ATTR`` (one job's description) warm.

Usage::

    python3 bench/inputs_bench.py [--runs N] [--fresh-venv | --ci-eval PATH]

The flake fixtures (flake-parts, flake-parts-deploy, flake-parts-release, flake-utils,
flake-effects, flake-compat) pin the
reference sources of ``../shared/data/inputs/``. An HTTP server on 127.0.0.1 serves them
as GitHub serves archives (``CI_EVAL_GITHUB_URL`` points ci-eval at it); nixpkgs is not
served (it is the modelled nixpkgs: its fetch fails fast, and it stays unknown). For each
fixture: the cold run (an empty cache: every input fetched, unpacked, hashed, cached),
then the median of N warm runs (the cache filled), whole process. Beside them, as in the
other whole-process benchmarks, ``nix-instantiate --parse`` of the same flake.nix — the
least Nix itself does with it — and the ratio. Figures go to bench/out/inputs.json.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
INPUTS = ROOT.parent / "shared" / "data" / "inputs"
sys.path.insert(0, str(BENCH_DIR))

from describe_bench import setup  # noqa: E402
from eval_bench import run_once  # noqa: E402

# Fixture -> the attribute `-A` selects (a job with effects).
FIXTURES = {
    "flake-parts": "herculesCI.onSchedule.flake-update",
    "flake-parts-deploy": "herculesCI.onPush.default",
    "flake-utils": "herculesCI.onSchedule.nightly",
    "flake-parts-release": "herculesCI.onPush.default",
    "flake-effects": "herculesCI.onPush.default.outputs.effects",
    "flake-compat": "herculesCI",
}
# GitHub repository -> reference source directory.
REPOSITORIES = {
    ("hercules-ci", "flake-parts"): "flake-parts",
    ("hercules-ci", "hercules-ci-effects"): "hercules-ci-effects",
    ("nix-community", "nixpkgs.lib"): "nixpkgs.lib",
    ("numtide", "flake-utils"): "flake-utils",
    ("nix-systems", "default"): "systems",
    ("edolstra", "flake-compat"): "flake-compat",
}
DEFAULT_JSON = BENCH_DIR / "out" / "inputs.json"


def archives() -> dict[str, bytes]:
    """URL path -> a .tar.gz of the reference tree, for every GitHub node of the fixtures."""
    served: dict[str, bytes] = {}
    for fixture in FIXTURES:
        lock = json.loads((ROOT / "fixtures" / fixture / "flake.lock").read_text())
        for node in lock["nodes"].values():
            locked = node.get("locked", {})
            key = (locked.get("owner"), locked.get("repo"))
            if locked.get("type") != "github" or key not in REPOSITORIES:
                continue
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
                tar.add(INPUTS / REPOSITORIES[key], arcname=f"{key[1]}-{locked['rev'][:7]}")
            served[f"/{key[0]}/{key[1]}/archive/{locked['rev']}.tar.gz"] = buffer.getvalue()
    return served


def serve(served: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    found = setup(__doc__.split("\n\n")[0], argv, DEFAULT_JSON)
    if found is None:
        return 1
    args, ci, nix = found
    if not INPUTS.is_dir():
        print(f"the reference sources are not here ({INPUTS})", file=sys.stderr)
        return 1
    server = serve(archives())
    url = f"http://127.0.0.1:{server.server_address[1]}"
    rows = []
    for fixture, attr in FIXTURES.items():
        cache = Path(tempfile.mkdtemp(prefix="ci-eval-bench-cache-"))
        env = dict(ci.env or os.environ, CI_EVAL_CACHE_DIR=str(cache), CI_EVAL_GITHUB_URL=url)
        env.pop("CI_EVAL_OFFLINE", None)
        argv_ = [*ci.argv, f"fixtures/{fixture}", "--list", "--as-branch", "main"]
        os.chdir(ROOT)
        cold_ms, cold_mb, _, status, err = run_once(argv_, env)
        row: dict[str, Any] = {"fixture": fixture}
        if status != 0:
            row["error"] = err.strip()[-300:]
            rows.append(row)
            continue
        warm = [run_once(argv_, env) for _ in range(args.runs)]
        select = [*ci.argv, f"fixtures/{fixture}", "-A", attr, "--as-branch", "main"]
        selected = [run_once(select, env) for _ in range(args.runs)]
        row.update(
            cold_ms=cold_ms,
            warm_ms=statistics.median(w[0] for w in warm),
            select_ms=statistics.median(w[0] for w in selected),
            select_ok=all(w[3] == 0 for w in selected),
            peak_mb=max([cold_mb, *(w[1] for w in warm)]),
            cached=sorted(p.name for p in (cache / "sources").iterdir()),
        )
        if nix is not None:
            flake = str(ROOT / "fixtures" / fixture / "flake.nix")
            parses = [run_once([*nix.argv, flake], nix.env)[0] for _ in range(args.runs)]
            row["nix_parse_ms"] = statistics.median(parses)
            row["ratio_warm"] = row["warm_ms"] / row["nix_parse_ms"]
        rows.append(row)
        shutil.rmtree(cache, ignore_errors=True)
    server.shutdown()
    document = {"ci_eval": ci.how, "nix": nix.how if nix else None, "cases": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n")
    print(f"ci-eval: {ci.how}\nnix:     {nix.how if nix else 'not found'}\n")
    print(
        f"{'fixture':<20}{'cold ms':>9}{'warm ms':>9}{'-A ms':>8}{'MB':>7}"
        f"{'nix --parse ms':>16}{'ratio':>8}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['fixture']:<20}  error: {r['error']}")
            continue
        nix_ms = f"{r['nix_parse_ms']:.1f}" if "nix_parse_ms" in r else "-"
        ratio = f"{r['ratio_warm']:.0f}x" if "ratio_warm" in r else "-"
        select = f"{r['select_ms']:.0f}" + ("" if r["select_ok"] else "!")
        print(
            f"{r['fixture']:<20}{r['cold_ms']:>9.0f}{r['warm_ms']:>9.0f}{select:>8}"
            f"{r['peak_mb']:>7.1f}{nix_ms:>16}{ratio:>8}"
        )
    print(
        "\ncold: an empty cache, every input fetched from 127.0.0.1; warm, -A: the median of "
        f"the warm runs (`!`: -A failed); ratio: warm --list / nix --parse; in {args.json}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
