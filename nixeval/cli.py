"""The ``ci-eval`` command line: argument parsing and exit statuses, nothing else.

Exit status: 0 success; 1 the input has an error (diagnostics on stderr); 2 the command
line is wrong (usage on stderr); 130 interrupted. No Python traceback reaches the user
unless ``--debug`` asks for it: an internal error is a diagnostic naming the file.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from . import __version__

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# Evaluating deeply nested Nix recurses in Python: give it room, in a thread of its own
# (the main thread's C stack is fixed at start-up; a thread's is ours to size).
_STACK_BYTES = 512 * 1024 * 1024
_RECURSION_LIMIT = 1_000_000

_DESCRIPTION = """\
Evaluate Hercules CI ci.nix files offline, without a Nix store or network.
So far: --parse, which checks a Nix expression as `nix-instantiate --parse` does and prints
it back as Nix text."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _arguments() -> argparse.ArgumentParser:
    p = _Parser(prog="ci-eval", description=_DESCRIPTION)
    p.add_argument("inputs", nargs="*", metavar="FILE", help="Nix files ('-' for stdin)")
    p.add_argument(
        "--parse", action="store_true", help="parse the input and print it back as Nix text"
    )
    p.add_argument(
        "-E",
        "--expr",
        action="store_true",
        help="the arguments are Nix expressions, not files (as in nix-instantiate)",
    )
    p.add_argument(
        "--format",
        choices=["human", "gcc", "json"],
        default="human",
        help="how to print diagnostics (default: human)",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    p.add_argument("--version", action="version", version=f"ci-eval {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run ci-eval with these arguments and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    result: list[int] = []

    def run() -> None:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), _RECURSION_LIMIT))
        result.append(_main(args))

    old_size = threading.stack_size(_STACK_BYTES)
    try:
        worker = threading.Thread(target=run, name="ci-eval", daemon=True)
        worker.start()
    finally:
        threading.stack_size(old_size)
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        print("ci-eval: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return result[0] if result else EXIT_INPUT


def entry_point() -> NoReturn:
    """The console script."""
    sys.exit(main())


def _main(argv: list[str]) -> int:
    try:
        args = _arguments().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    if not args.parse:
        _arguments().print_usage(sys.stderr)
        print(
            "ci-eval: error: only --parse is implemented so far "
            "(evaluation and effect descriptions are not yet)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not args.inputs:
        args.inputs = ["-"] if not args.expr else []
    if not args.inputs:
        _arguments().print_usage(sys.stderr)
        print("ci-eval: error: -E needs an expression", file=sys.stderr)
        return EXIT_USAGE
    from .commands.parse import run_parse

    return run_parse(
        args.inputs,
        expressions=args.expr,
        diagnostics_format=args.format,
        debug=args.debug,
        stdout=sys.stdout,
        stderr=sys.stderr,
    )
