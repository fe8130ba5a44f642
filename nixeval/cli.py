"""The ``ci-eval`` command line: argument parsing and exit statuses, nothing else.

Exit status: 0 success; 1 the input has an error (diagnostics on stderr); 2 the command
line is wrong (usage on stderr); 130 interrupted. No Python traceback reaches the user
unless ``--debug`` asks for it: an internal error is a diagnostic naming the file.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import __version__
from .budget import CHECK_MIB, CHECK_SECONDS, JOB_MIB, JOB_SECONDS

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


_DESCRIPTION = """\
Evaluate Hercules CI ci.nix files offline, without a Nix store or network, and describe
what their effects will do. `ci-eval ci.nix -A neat-network` prints the description of
the effects under `neat-network` (JSON, or a summary with --format text); --list lists
them. --parse and --eval behave as `nix-instantiate --parse` / `--eval`."""

_USAGE = """\
%(prog)s [FILE | DIR] [-A ATTRPATH]... [options]
       %(prog)s (--parse | --eval) [options] (FILE... | - | -E EXPR...)
       %(prog)s check [options] [FILE... | -]
       %(prog)s fetch [DIR] [--offline]
       %(prog)s run [options] (DESCRIPTION.json | - | FILE -A ATTRPATH)
       %(prog)s schema [NAME]
       %(prog)s help [COMMAND]"""

_COMMANDS = """\
commands:
  check     report every problem of Nix files, for pre-commit and editors
  fetch     fetch what a project pins (flake.lock; a ci.nix's hashed fetches), verified
  run       hand an effect description to a backend: plan, script or local
  schema    print the JSON Schemas descriptions are checked against
  help      this help, or a command's (ci-eval help COMMAND, as COMMAND --help)
  Without a command: the effect descriptions of FILE, or --parse / --eval.
"""


class _Parser(argparse.ArgumentParser):
    """A parser whose usage errors exit 2, and whose help ends with `trailer` as written
    (argparse would re-wrap an epilog, and the tables of commands and exit statuses must
    keep their lines)."""

    def __init__(self, *args: Any, trailer: Callable[[], str] | None = None, **kwargs: Any) -> None:
        self._adding = False
        super().__init__(*args, **kwargs)
        # Made when help is shown: wrapping it loads textwrap, which a run does not need.
        self.trailer = trailer

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        self._adding = True
        try:
            return super().add_argument(*args, **kwargs)
        finally:
            self._adding = False

    def _get_formatter(self) -> argparse.HelpFormatter:
        if self._adding:
            # argparse makes one to check the argument's metavar, which does not depend on
            # the width: asking the terminal's would load shutil (~1.5 ms) for nothing.
            make: Any = self.formatter_class  # typeshed's type of it takes prog only
            formatter: argparse.HelpFormatter = make(prog=self.prog, width=80)
            return formatter
        return super()._get_formatter()

    def format_help(self) -> str:
        return super().format_help() + (f"\n{self.trailer()}" if self.trailer else "")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _NixOption(argparse.Action):
    """``--option NAME VALUE``, appended to `dest`. nix-instantiate checks the names of
    the settings given before its first file or expression (``-`` is not one) and warns of
    those it does not know; the names given then are also appended to ``early_options``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, [*getattr(namespace, self.dest), list(values)])
        # argparse sets the positional arguments (`inputs`) when it meets them.
        if all(item == "-" for item in getattr(namespace, "inputs", None) or []):
            namespace.early_options = [*getattr(namespace, "early_options", []), values[0]]


def _exit_statuses(*meanings: tuple[int, str]) -> str:
    """The "exit status:" section of a command's help, one line per status."""
    import textwrap

    lines = ["exit status:"]
    for code, meaning in meanings:
        lines += textwrap.wrap(
            meaning, width=79, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7
        )
    return "\n".join(lines) + "\n"


# 2 and 130 mean the same for every command.
_USAGE_STATUS = (EXIT_USAGE, "the command line is wrong (usage on stderr)")
_INTERRUPTED_STATUS = (EXIT_INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)")


def _arguments() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ci-eval",
        usage=_USAGE,
        description=_DESCRIPTION,
        trailer=lambda: (
            _COMMANDS
            + "\n"
            + _exit_statuses(
                (EXIT_OK, "success"),
                (EXIT_INPUT, "the input has an error (diagnostics on stderr)"),
                _USAGE_STATUS,
                _INTERRUPTED_STATUS,
            )
        ),
    )
    p.add_argument("inputs", nargs="*", metavar="FILE", help="Nix files ('-' for stdin)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--parse", action="store_true", help="parse the input and print it back as Nix text"
    )
    mode.add_argument(
        "--eval",
        "--eval-only",
        action="store_true",
        help="evaluate and print, as nix-instantiate --eval",
    )
    p.add_argument(
        "-E",
        "--expr",
        action="store_true",
        help="the arguments are Nix expressions, not files (as in nix-instantiate)",
    )
    p.add_argument("--strict", action="store_true", help="evaluate the result deeply")
    # As in nix-instantiate, the last of --json and --xml decides.
    p.add_argument(
        "--json", dest="output", action="store_const", const="json", help="print the result as JSON"
    )
    p.add_argument(
        "--xml",
        dest="output",
        action="store_const",
        const="xml",
        help="--eval: print the result as XML",
    )
    p.add_argument(
        "--no-location",
        dest="location",
        action="store_false",
        help="--eval --xml: without the positions of attributes and functions",
    )
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
    p.add_argument(
        "--show-trace",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="show the whole evaluation trace",
    )
    p.add_argument(
        "--option",
        nargs=2,
        action=_NixOption,
        default=[],
        metavar=("NAME", "VALUE"),
        help="--parse/--eval: a Nix setting; experimental-features and "
        "extra-experimental-features count, the others mean nothing here (--verbose says so); "
        "as in nix-instantiate, one Nix 2.8 does not know, given before the first file or "
        "expression, is warned of",
    )
    p.set_defaults(early_options=[])
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="--parse/--eval: also say which of nix-instantiate's options mean nothing here",
    )
    p.add_argument(
        "--extra-experimental-features",
        action="append",
        default=[],
        metavar="FEATURES",
        help="--eval: Nix's experimental features to turn on; `flakes` gives builtins.getFlake "
        "(projects always have it)",
    )
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
    _source_options(p)
    p.add_argument(
        "--impure",
        action="store_true",
        help="descriptions: evaluate impurely, seeing the environment, $NIX_PATH and any "
        "path (by default only the repository and -I paths are read, getEnv is empty and "
        "currentTime missing); --parse/--eval are always impure, as nix-instantiate",
    )
    p.add_argument(
        "--format",
        choices=["human", "gcc", "json", "text"],
        default=None,
        help="descriptions: json (default) or text; --parse/--eval diagnostics: human "
        "(default), gcc or json",
    )
    # Defaults None: --parse/--eval (nix-instantiate's) refuse them; descriptions use
    # JOB_SECONDS/JOB_MIB.
    _budget_options(
        p,
        None,
        None,
        f"descriptions: of reading, evaluating and validating (default: {JOB_SECONDS:g} s, "
        f"{JOB_MIB} MiB; not for --parse/--eval)",
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


def _fetch(argv: list[str]) -> int:
    p = _Parser(
        prog="ci-eval fetch",
        description="Make every source tree the project in DIR pins available — each node of "
        "a flake's flake.lock, or each fetcher with a hash that evaluating a legacy ci.nix "
        "reaches: found in the Nix "
        "store or ci-eval's cache, else fetched into the cache (GitHub, GitLab and sourcehut "
        "archives, tarballs, git) and verified against its NAR hash. One line per input on "
        "stdout: its input path and where it is (store, cache, fetched) or why it failed. "
        "Settings: CI_EVAL_CACHE_DIR, CI_EVAL_GITHUB_URL, CI_EVAL_GITLAB_URL, "
        "CI_EVAL_FETCH_TIMEOUT (seconds without a byte, default 30).",
        trailer=lambda: _exit_statuses(
            (EXIT_OK, "every input is available"),
            (
                EXIT_INPUT,
                "an input is not available, flake.lock is malformed, there is no project, "
                "or evaluating a legacy file failed (diagnostics on stderr)",
            ),
            _USAGE_STATUS,
            _INTERRUPTED_STATUS,
        ),
    )
    p.add_argument("directory", nargs="?", default=".", metavar="DIR", help="(default: .)")
    p.add_argument(
        "--offline",
        action="store_true",
        help="fetch nothing: only report what the store and the cache have (as does "
        "CI_EVAL_OFFLINE set to anything)",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    from .commands.fetch import run_fetch

    return run_fetch(args.directory, args.offline, args.debug, sys.stdout, sys.stderr)


def _schema(argv: list[str]) -> int:
    p = _Parser(
        prog="ci-eval schema",
        description="Print a JSON Schema ci-eval ships.",
        trailer=lambda: _exit_statuses(
            (EXIT_OK, "the schema (or the list of them) is printed"),
            (EXIT_USAGE, "the command line is wrong, or there is no schema of that name"),
            _INTERRUPTED_STATUS,
        ),
    )
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
        trailer=lambda: _exit_statuses(
            (EXIT_OK, "no error (and no warning, with --warnings-as-errors)"),
            (
                EXIT_INPUT,
                "an error (or a warning, with --warnings-as-errors); diagnostics on stdout",
            ),
            _USAGE_STATUS,
            _INTERRUPTED_STATUS,
        ),
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
        "--hook",
        action="store_true",
        help="as a pre-commit hook: also check the file Hercules CI evaluates at the "
        "repository root (nix/ci.nix or ci.nix, else flake.nix, else default.nix), even "
        "when no FILE is given; of the FILEs, only those ending in .nix are checked",
    )
    _budget_options(p, CHECK_SECONDS, CHECK_MIB, "per file: reading, parsing and evaluating it")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    _source_options(p, fetches=False)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    problem = _override_problem(args)
    if problem is not None:
        return _usage_error_for(p, problem)
    if args.stdin_filename is not None and "-" not in args.files:
        return _usage_error_for(p, "--stdin-filename needs '-' among the files")
    if args.files.count("-") > 1:
        return _usage_error_for(p, "stdin ('-') can be given once")
    if args.hook and "-" in args.files:
        return _usage_error_for(p, "--hook checks files, not stdin ('-')")
    from .commands.check import CheckOptions, run_check

    options = CheckOptions(
        files=args.files,
        format=args.format,
        stdin_filename=args.stdin_filename,
        secrets=args.secrets,
        warnings_as_errors=args.warnings_as_errors,
        hook=args.hook,
        timeout=args.timeout,
        max_memory=args.max_memory,
        debug=args.debug,
        overrides=[(name, os.path.abspath(path)) for name, path in args.override_input],
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
        "spot (FILE -A ATTRPATH); it is validated first. A FILE is evaluated purely, with "
        "no way out: only the repository and -I paths are read, getEnv is empty, "
        "currentTime missing and $NIX_PATH unused.",
        trailer=lambda: (
            _exit_statuses(
                (EXIT_OK, "done: the plan or script printed, or (local) every effect succeeded"),
                (
                    EXIT_INPUT,
                    "the input has an error, a value the run needs is unknown, a secret is "
                    "not granted, or state was not written back (diagnostics on stderr)",
                ),
                _USAGE_STATUS,
                (
                    EXIT_INTERRUPTED,
                    "interrupted (Ctrl-C or SIGTERM); a local effect is stopped first and "
                    "its state written back",
                ),
            )
            + "  With --backend local, an effect that fails ends the run with its own exit\n"
            "  status.\n"
        ),
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
        help="where state files are kept (default: .ci-eval/state; a .ci-eval that ci-eval "
        "creates has a .gitignore of '*')",
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
    _source_options(p)
    _budget_options(
        p,
        JOB_SECONDS,
        JOB_MIB,
        "of reading, evaluating and validating the input (not of running the effect)",
    )
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    for option, form, values in (
        ("--env", "NAME=VALUE", args.env),
        ("--file", "NAME=PATH", args.file),
    ):
        for value in values:
            if "=" not in value or value.startswith("="):
                return _usage_error_for(p, f"{option} takes {form}, not {value!r}")
    from .commands.run import RunOptions, is_description, run_run

    if args.format == "json" and args.backend != "plan":
        return _usage_error_for(p, "--format json is for the plan backend")
    problem = _override_problem(args)
    if problem is not None:
        return _usage_error_for(p, problem)
    if is_description(args.input, args.attr) and (
        args.arg or args.argstr or args.include or args.override_input or args.offline
    ):
        return _usage_error_for(
            p, "--arg, --argstr, -I, --override-input and --offline are for a FILE to evaluate"
        )
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
        **_sources(args),
        debug=args.debug,
        timeout=args.timeout,
        max_memory=args.max_memory,
    )
    return run_run(options, sys.stdin, sys.stdout, sys.stderr)


#: The commands, by their first word (anything else is the main job or --parse/--eval).
_COMMAND_PARSERS = {"check": _check, "fetch": _fetch, "run": _run, "schema": _schema}


def _help(argv: list[str]) -> int:
    """``ci-eval help``: the top-level help; ``ci-eval help COMMAND``: that command's."""
    if not argv:
        _arguments().print_help()
        return EXIT_OK
    if argv == ["help"]:
        return _help([])
    command = _COMMAND_PARSERS.get(argv[0]) if len(argv) == 1 else None
    if command is None:
        known = ", ".join([*_COMMAND_PARSERS, "help"])
        what = f"no command named {argv[0]!r}" if len(argv) == 1 else "give one COMMAND"
        return _usage_error(f"help: {what}; the commands are {known}")
    return command(["--help"])


def _budget_options(
    p: argparse.ArgumentParser, seconds: float | None, mib: int | None, what: str
) -> None:
    """``--timeout`` and ``--max-memory``: the `nixeval.budget` of a command."""
    shown = "" if seconds is None else f" (default: {seconds:g})"
    p.add_argument(
        "--timeout",
        type=_positive(float, "a number of seconds"),
        default=seconds,
        metavar="SECONDS",
        help=f"time budget {what}{shown}",
    )
    shown = "" if mib is None else f" (default: {mib})"
    p.add_argument(
        "--max-memory",
        type=_positive(int, "a whole number of MiB"),
        default=mib,
        metavar="MIB",
        help=f"memory budget {what}{shown}",
    )


def _positive(kind: Callable[[str], float], what: str) -> Callable[[str], float]:
    """An argparse type: a finite number above zero (not nan, inf, 0 or negative); a
    usage error names the option."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be {what} above zero, not {text!r}")
        return value

    return parse


def _source_options(p: argparse.ArgumentParser, fetches: bool = True) -> None:
    """``--override-input`` and ``--offline``: where the pinned inputs of the project come
    from (the main job and ``run``; ``check`` never fetches: no ``--offline``)."""
    p.add_argument(
        "--override-input",
        nargs=2,
        action="append",
        default=[],
        metavar=("INPUT", "DIR"),
        help="use DIR as the flake input INPUT (as nix --override-input; a/b is input b of "
        "input a)",
    )
    if fetches:
        p.add_argument(
            "--offline",
            action="store_true",
            help="never fetch a pinned input: what the Nix store and ci-eval's cache lack is "
            "unknown",
        )


def _sources(args: argparse.Namespace) -> dict[str, Any]:
    return {"overrides": [tuple(a) for a in args.override_input], "offline": args.offline}


def _override_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with an ``--override-input`` (its DIR must be a directory)."""
    for name, directory in args.override_input:
        if not os.path.isdir(directory):
            return f"--override-input {name}: '{directory}' is not a directory"
    return None


def _budget(args: argparse.Namespace) -> dict[str, Any]:
    """The main job's budget: as given, else the generous default of descriptions."""
    return {
        "timeout": JOB_SECONDS if args.timeout is None else args.timeout,
        "max_memory": JOB_MIB if args.max_memory is None else args.max_memory,
    }


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
    # An evaluation makes millions of short-lived objects (thunks, environments, sets),
    # few of them in reference cycles. With CPython's default thresholds (700, 10, 10)
    # the cyclic collector runs every 700 allocations and rescans the long-lived ones
    # (parsed files, the base environment) over and over: about 15 % of a flake-parts
    # project's time (bench/library_bench.py). Collecting young objects once a million more
    # are alive than were (about 0.3 s a collection, for the cycles of a third of them)
    # and the oldest rarely keeps cycles bounded for a fraction of the cost: a project's
    # evaluation seldom gets there. flake-parts' 42 tests in one process make none (one,
    # of 0.14 s, with half the threshold), at 115 MB against 97 MB. What start-up made is
    # never scanned again (freeze). Only here, not in `main`: the tests call `main` in one
    # long process.
    gc.set_threshold(1_000_000, 20, 1000)
    gc.freeze()
    status = main()
    # At exit the interpreter runs the cyclic collector over everything still alive:
    # after a large file, millions of syntax-tree nodes, scanned to find no garbage
    # (a third of `--parse` of 5 MB). Frozen objects are not scanned.
    gc.freeze()
    sys.exit(status)


def _usage_error(message: str) -> int:
    return _usage_error_for(_arguments(), message)


def _describe(args: argparse.Namespace) -> int:
    """The main job: effect descriptions."""
    if args.expr or args.strict or args.output is not None:
        return _usage_error("-E, --strict, --json and --xml need --eval or --parse")
    if args.option:
        return _usage_error("--option is for --parse and --eval")
    if len(args.inputs) > 1:
        return _usage_error("give one FILE (or a directory) to describe")
    if args.format in ("human", "gcc"):
        return _usage_error("descriptions are printed as json or text (--format json|text)")
    problem = _override_problem(args)
    if problem is not None:
        return _usage_error(problem)
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
        impure=args.impure,
        offer_impure=True,
        **_sources(args),
        **_budget(args),
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
    command = _COMMAND_PARSERS.get(argv[0]) if argv else None
    if command is not None:
        return command(argv[1:])
    if argv[:1] == ["help"]:
        return _help(argv[1:])
    try:
        args = _arguments().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    if not args.parse and not args.eval:
        return _describe(args)
    if args.format == "text":
        return _usage_error("--format text is for effect descriptions, not --parse or --eval")
    if args.max_memory is not None:
        return _usage_error("--max-memory is for effect descriptions, not --parse or --eval")
    if args.early_options:
        from .nix_settings import unknown_setting_warnings

        for warning in unknown_setting_warnings(args.early_options):
            print(warning, file=sys.stderr)
    features = [f for value in args.extra_experimental_features for f in value.split()]
    for name, value in args.option:
        if name in ("experimental-features", "extra-experimental-features"):
            features += value.split()
        elif args.verbose:
            print(
                f"ci-eval: --option {name}: a Nix setting that means nothing here", file=sys.stderr
            )
    if args.verbose:
        # nix-instantiate's options for building and for the store: nothing is built or
        # written here, so they are accepted and do nothing.
        if args.timeout is not None:
            print("ci-eval: --timeout: Nix's build timeout; nothing is built here", file=sys.stderr)
        if args.readonly_mode:
            print(
                "ci-eval: --read-write-mode/--readonly-mode: nothing is written to a store here",
                file=sys.stderr,
            )
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
        json=args.output == "json",
        xml=args.output == "xml",
        location=args.location,
        attr_paths=args.attr,
        **_nix_arguments(args),
        show_trace=args.show_trace,
        diagnostics_format=args.format,
        debug=args.debug,
        features=features,
    )
    return run_eval(options, sys.stdout, sys.stderr)
