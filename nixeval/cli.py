"""The ``ci-eval`` command line: argument parsing and exit statuses, nothing else.

Exit status: 0 success; 1 the input has an error (diagnostics on stderr); 2 the command
line is wrong (usage on stderr); 130 interrupted. No Python traceback reaches the user
unless ``--debug`` asks for it: an internal error is a diagnostic naming the file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


_DESCRIPTION = """\
Evaluate Hercules CI ci.nix files offline, without a Nix store or network, and describe
what their effects will do. `ci-eval ci.nix -A neat-network` prints the description of
the effects under `neat-network` (JSON, or a summary with --format text); --list lists
them. --parse and --eval behave as `nix-instantiate --parse` / `--eval`.
`ci-eval check [FILE…]` reports every problem of the files (see `ci-eval check --help`).
`ci-eval run [--backend plan|script|local] …` acts on a description (see `ci-eval run
--help`). `ci-eval schema [NAME]` prints the JSON Schemas descriptions are checked against."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _arguments() -> argparse.ArgumentParser:
    p = _Parser(prog="ci-eval", description=_DESCRIPTION)
    p.add_argument("inputs", nargs="*", metavar="FILE", help="Nix files ('-' for stdin)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--parse", action="store_true", help="parse the input and print it back as Nix text"
    )
    mode.add_argument(
        "--eval", action="store_true", help="evaluate and print, as nix-instantiate --eval"
    )
    p.add_argument(
        "-E",
        "--expr",
        action="store_true",
        help="the arguments are Nix expressions, not files (as in nix-instantiate)",
    )
    p.add_argument("--strict", action="store_true", help="evaluate the result deeply")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "-A", "--attr", action="append", default=[], metavar="ATTRPATH", help="select an attribute"
    )
    p.add_argument(
        "--arg",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "EXPR"),
        help="pass a Nix expression to the top-level function",
    )
    p.add_argument(
        "--argstr",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="pass a string to the top-level function",
    )
    p.add_argument(
        "-I",
        dest="include",
        action="append",
        default=[],
        metavar="[NAME=]PATH",
        help="add to the search path for <name> lookups (before $NIX_PATH)",
    )
    p.add_argument("--show-trace", action="store_true", help="show the whole evaluation trace")
    # Accepted for nix-instantiate compatibility: ci-eval never writes to a store anyway.
    p.add_argument(
        "--readonly-mode", "--read-write-mode", action="store_true", help=argparse.SUPPRESS
    )
    branch = p.add_mutually_exclusive_group()
    branch.add_argument(
        "--as-branch",
        metavar="BRANCH",
        help="evaluate as if on this branch (src.ref = refs/heads/BRANCH)",
    )
    branch.add_argument("--as-ref", metavar="REF", help="evaluate as if on this git ref")
    branch.add_argument("--as-tag", metavar="TAG", help="evaluate as if on this tag")
    p.add_argument(
        "--list", action="store_true", help="list the effects (path, function, runs or not)"
    )
    p.add_argument(
        "--format",
        choices=["human", "gcc", "json", "text"],
        default=None,
        help="descriptions: json (default) or text; --parse/--eval diagnostics: human "
        "(default), gcc or json",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    p.add_argument("--version", action="version", version=f"ci-eval {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run ci-eval with these arguments and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    result: list[int] = []
    done = threading.Event()

    def run() -> None:
        try:
            result.append(_main(args))
        finally:
            done.set()

    # The limit is interpreter-wide: raise it only while the big-stack worker runs.
    from .budget import deliver_interrupt, evaluation_thread

    old_limit = sys.getrecursionlimit()
    evaluation_thread(run)
    old_term = _terminate_as_interrupt()
    try:
        # Wait on an Event, not on Thread.join: a join interrupted by Ctrl-C can leave the
        # thread marked as stopped while it still runs (CPython 3.11), and the running
        # effect must be waited for.
        while not done.is_set():
            try:
                done.wait(0.1)
            except KeyboardInterrupt:
                # A running effect finishes cleanly (state written back) and says 130.
                if not deliver_interrupt():
                    print("ci-eval: interrupted", file=sys.stderr)
                    return EXIT_INTERRUPTED
    finally:
        if done.is_set():
            sys.setrecursionlimit(old_limit)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    return result[0] if result else EXIT_INPUT


def _terminate_as_interrupt() -> Any:
    """While the command runs, SIGTERM (a CI job cancelled, ``kill``) is Ctrl-C: a running
    effect is stopped and its state written back rather than left running unseen. The
    previous handler, or None where handlers cannot be set (not the main thread)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:
        return None


def _schema(argv: list[str]) -> int:
    p = _Parser(prog="ci-eval schema", description="Print a JSON Schema ci-eval ships.")
    p.add_argument("name", nargs="?", help="the schema (without a name: list them)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    from .commands.schema import run_schema

    return run_schema(args.name, sys.stdout, sys.stderr)


def _check(argv: list[str]) -> int:
    p = _Parser(
        prog="ci-eval check",
        description="Check Nix files for every problem: syntax, names, lint warnings, and "
        "(for ci.nix and flake.nix) the effects, evaluated offline and restricted to the "
        "repository, as if on the default branch and on each branch the conditions name. "
        "Diagnostics go to stdout; exit 1 if there is an error.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="files to check ('-' for stdin)")
    p.add_argument(
        "--format",
        choices=["human", "gcc", "json", "sarif"],
        default="human",
        help="how diagnostics are printed (default: human)",
    )
    p.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="with '-': the file the buffer on stdin is (paths resolve from there)",
    )
    p.add_argument(
        "--secrets",
        metavar="FILE",
        help="an agent's secrets.json to check secretsMap against (default: Hercules CI's "
        "local file for the repository, if there is one)",
    )
    p.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="evaluation time budget per file (default: 10)",
    )
    p.add_argument(
        "--max-memory",
        type=int,
        default=1024,
        metavar="MIB",
        help="evaluation memory budget per file (default: 1024)",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    if args.stdin_filename is not None and "-" not in args.files:
        return _usage_error_for(p, "--stdin-filename needs '-' among the files")
    if args.files.count("-") > 1:
        return _usage_error_for(p, "stdin ('-') can be given once")
    if args.timeout <= 0 or args.max_memory <= 0:
        return _usage_error_for(p, "--timeout and --max-memory must be positive")
    from .commands.check import CheckOptions, run_check

    options = CheckOptions(
        files=args.files,
        format=args.format,
        stdin_filename=args.stdin_filename,
        secrets=args.secrets,
        warnings_as_errors=args.warnings_as_errors,
        timeout=args.timeout,
        max_memory=args.max_memory,
        debug=args.debug,
    )
    return run_check(options, sys.stdin, sys.stdout, sys.stderr)


def _run(argv: list[str]) -> int:
    from .backends import names

    p = _Parser(
        prog="ci-eval run",
        description="Hand effect descriptions to a backend: plan (what would happen, phase "
        "by phase), script (a POSIX shell script that does it), local (do it here, with "
        "secrets from an agent-format secrets.json and state in --state-dir). The input is "
        "a description (DESCRIPTION.json, or '-' for stdin) or a .nix file evaluated on the "
        "spot (FILE -A ATTRPATH); it is validated first.",
    )
    p.add_argument("input", nargs="?", metavar="DESCRIPTION.json | - | FILE")
    p.add_argument(
        "-A", "--attr", action="append", default=[], metavar="ATTRPATH", help="select an attribute"
    )
    p.add_argument("--backend", choices=names(), default="plan", help="(default: plan)")
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="the plan: text or json"
    )
    p.add_argument(
        "--secrets",
        metavar="FILE",
        help="local: the agent-format secrets.json (default: $HERCULES_CI_SECRETS_JSON, "
        "else Hercules CI's local file for the repository)",
    )
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        default=os.path.join(".ci-eval", "state"),
        help="where state files are kept (default: .ci-eval/state)",
    )
    branch = p.add_mutually_exclusive_group()
    branch.add_argument("--as-branch", metavar="BRANCH", help="run as if on this branch")
    branch.add_argument("--as-ref", metavar="REF", help="run as if on this git ref")
    branch.add_argument("--as-tag", metavar="TAG", help="run as if on this tag")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for an environment variable the description leaves unknown",
    )
    p.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a file for one the description leaves unknown (e.g. deploy.json=result.json)",
    )
    p.add_argument(
        "--arg",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "EXPR"),
        help=argparse.SUPPRESS,
    )
    p.add_argument(
        "--argstr",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help=argparse.SUPPRESS,
    )
    p.add_argument("-I", dest="include", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    for option, values in (("--env", args.env), ("--file", args.file)):
        for value in values:
            if "=" not in value or value.startswith("="):
                return _usage_error_for(p, f"{option} takes NAME=VALUE, not {value!r}")
    from .commands.run import RunOptions, is_description, run_run

    if args.format == "json" and args.backend != "plan":
        return _usage_error_for(p, "--format json is for the plan backend")
    if is_description(args.input, args.attr) and (args.arg or args.argstr or args.include):
        return _usage_error_for(p, "--arg, --argstr and -I are for a FILE to evaluate")
    options = RunOptions(
        target=args.input,
        attr_paths=args.attr,
        backend=args.backend,
        output=args.format,
        secrets=args.secrets,
        state_dir=args.state_dir,
        as_branch=args.as_branch,
        as_ref=args.as_ref,
        as_tag=args.as_tag,
        env=args.env,
        files=args.file,
        **_nix_arguments(args),
        debug=args.debug,
    )
    return run_run(options, sys.stdin, sys.stdout, sys.stderr)


def _nix_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """``--arg``, ``--argstr`` and ``-I``, as the commands that evaluate take them."""
    return {
        "args": [tuple(a) for a in args.arg],
        "argstrs": [tuple(a) for a in args.argstr],
        "include": args.include,
    }


def _usage_error_for(p: argparse.ArgumentParser, message: str) -> int:
    p.print_usage(sys.stderr)
    print(f"{p.prog}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def entry_point() -> NoReturn:
    """The console script."""
    sys.exit(main())


def _usage_error(message: str) -> int:
    return _usage_error_for(_arguments(), message)


def _describe(args: argparse.Namespace) -> int:
    """The main job: effect descriptions."""
    if args.expr or args.strict or args.json:
        return _usage_error("-E, --strict and --json need --eval or --parse")
    if len(args.inputs) > 1:
        return _usage_error("give one FILE (or a directory) to describe")
    if args.format in ("human", "gcc"):
        return _usage_error("descriptions are printed as json or text (--format json|text)")
    from .commands.describe import DescribeOptions, run_describe

    options = DescribeOptions(
        file=args.inputs[0] if args.inputs else None,
        attr_paths=args.attr,
        **_nix_arguments(args),
        as_branch=args.as_branch,
        as_ref=args.as_ref,
        as_tag=args.as_tag,
        output=args.format or "json",
        list_only=args.list,
        show_trace=args.show_trace,
        debug=args.debug,
    )
    return run_describe(options, sys.stdout, sys.stderr)


def _main(argv: list[str]) -> int:
    # Nix strings are bytes: one that is not valid UTF-8 (kept as surrogate escapes) must
    # print as the bytes it holds, not crash. Only the process's own streams are changed.
    for stream in (sys.stdout, sys.stderr):
        if stream is sys.__stdout__ or stream is sys.__stderr__:
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="surrogateescape")
    if argv[:1] == ["schema"]:
        return _schema(argv[1:])
    if argv[:1] == ["check"]:
        return _check(argv[1:])
    if argv[:1] == ["run"]:
        return _run(argv[1:])
    try:
        args = _arguments().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    if not args.parse and not args.eval:
        return _describe(args)
    if args.format == "text":
        return _usage_error("--format text is for effect descriptions, not --parse or --eval")
    args.format = args.format or "human"
    if not args.inputs:
        args.inputs = ["-"] if not args.expr else []
    if not args.inputs:
        _arguments().print_usage(sys.stderr)
        print("ci-eval: error: -E needs an expression", file=sys.stderr)
        return EXIT_USAGE
    if args.parse:
        from .commands.parse import run_parse

        return run_parse(
            args.inputs,
            expressions=args.expr,
            diagnostics_format=args.format,
            debug=args.debug,
            stdout=sys.stdout,
            stderr=sys.stderr,
        )
    from .commands.eval import EvalOptions, run_eval

    options = EvalOptions(
        inputs=args.inputs,
        expressions=args.expr,
        strict=args.strict,
        json=args.json,
        attr_paths=args.attr,
        **_nix_arguments(args),
        show_trace=args.show_trace,
        diagnostics_format=args.format,
        debug=args.debug,
    )
    return run_eval(options, sys.stdout, sys.stderr)
