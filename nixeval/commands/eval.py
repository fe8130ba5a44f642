"""``ci-eval --eval``: what ``nix-instantiate --eval`` prints, for the same command line.

The steps are nix-instantiate's: evaluate the file or expression; for each ``-A`` path walk
it with findAlongAttrPath (auto-calling functions on the way); call the result with the
``--arg``/``--argstr`` values if any were given; force deeply with ``--strict``; print the
value (printValue) or its JSON (``--json``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from functools import partial
from typing import IO, Any

from ..diagnostics import RENDERERS, Diagnostic, error, render_human, use_colour
from ..eval import errors as E
from ..eval.autocall import auto_call, parse_attr_path, select
from ..eval.force import force
from ..eval.machine import Machine
from ..frontend import InputError, input_error, internal_error, parse_checked, read_source
from ..printing import force_deep, print_value, write_json
from ..records import Record
from ..syntax import Source
from ..syntax.nodes import Span

SHORT_TRACE = 3


class EvalOptions(Record):
    """What ``ci-eval --eval`` was asked to do."""

    inputs: Sequence[str]
    expressions: bool = False
    strict: bool = False
    json: bool = False
    xml: bool = False  # printValueAsXML (--xml), with positions unless `location` is off
    location: bool = True
    attr_paths: Sequence[str] = ()
    args: Sequence[tuple[str, str]] = ()  # --arg NAME EXPR
    argstrs: Sequence[tuple[str, str]] = ()  # --argstr NAME VALUE
    include: Sequence[str] = ()  # -I
    show_trace: bool = False
    diagnostics_format: str = "human"
    debug: bool = False
    # Nix's experimental features turned on (--extra-experimental-features): `flakes`
    # gives `builtins.getFlake`, as in Nix 2.8.
    features: Sequence[str] = ()


def search_path(include: Sequence[str], nix_path: str | None) -> list[tuple[str, str]]:
    """-I entries, then $NIX_PATH's, as (prefix, path) pairs."""
    entries = list(include) + (_split_nix_path(nix_path) if nix_path else [])
    result = []
    for entry in entries:
        prefix, eq, path = entry.partition("=")
        if not eq:
            prefix, path = "", entry
        if not _is_pseudo_url(path):
            path = os.path.abspath(path)  # as Nix's resolveSearchPathElem does
        result.append((prefix, path))
    return result


def _split_nix_path(text: str) -> list[str]:
    """Nix's parseNixPath: ':' separates entries, except after a URL scheme."""
    entries: list[str] = []
    p, n = 0, len(text)
    while p < n:
        start = value_start = p
        while p < n and text[p] != ":":
            if text[p] == "=":
                value_start = p + 1
            p += 1
        if p == n:
            if p != start:
                entries.append(text[start:p])
            break
        value = text[value_start:]
        if _is_pseudo_url(value) or value.startswith("flake:"):
            p += 1
            while p < n and text[p] != ":":
                p += 1
        entries.append(text[start:p])
        p += 1
    return entries


def _is_pseudo_url(text: str) -> bool:
    if text.startswith("channel:"):
        return True
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme in ("http", "https", "file", "channel", "git", "s3", "ssh")


def run_eval(options: EvalOptions, stdout: IO[str], stderr: IO[str]) -> int:
    machine = Machine(
        search_path=search_path(options.include, os.environ.get("NIX_PATH")),
        flakes="flakes" in options.features,
    )
    failed = False
    for item in options.inputs:
        source: Source | None = None
        try:
            source, value = _evaluate_input(machine, item, options.expressions)
            for attr_path in options.attr_paths or [""]:
                selected = find_along_attr_path(machine, attr_path, value, options)
                if options.json and not options.xml:
                    _write_json(machine, selected, options, stdout)
                    continue
                # nix-instantiate ends printed values with a newline (an XML document
                # ends with its own).
                end = "" if options.xml else "\n"
                stdout.write(_output(machine, selected, options) + end)
        except E.ParseFailed as err:
            failed = True
            _report(err.diagnostics, options, stderr)  # type: ignore[arg-type]
        except E.EvalError as err:
            failed = True
            diagnostic = eval_diagnostic(err, source, options.show_trace, as_nix=True)
            _report([diagnostic], options, stderr)
        except RecursionError:
            failed = True
            overflow = E.StackOverflow("stack overflow (possible infinite recursion)")
            diagnostic = eval_diagnostic(overflow, source, options.show_trace, as_nix=True)
            _report([diagnostic], options, stderr)
        except InputError as err:
            failed = True
            _report([input_error(str(err), item)], options, stderr)
        except Exception as exc:
            if options.debug:
                raise
            failed = True
            _report([internal_error(source or Source(item, ""), exc)], options, stderr)
    stdout.flush()
    return 1 if failed else 0


def _evaluate_input(machine: Machine, item: str, expressions: bool) -> tuple[Source, Any]:
    from ..builtins.paths import import_file

    if expressions or item == "-":
        text = sys.stdin.read() if item == "-" and not expressions else item
        source = Source("«string»" if expressions else "«stdin»", text, origin=text)
        expr, problems = parse_checked(source)
        if expr is None:
            raise E.ParseFailed(problems)
        return source, machine.eval(expr, machine.file_env(source, os.getcwd()))
    # Read here, not by the evaluator: a FIFO or a device such as /dev/zero is refused
    # before a byte is read (nix-instantiate would wait or read forever); a directory
    # means its default.nix, as in Nix.
    read = read_source(item)
    path = os.path.abspath(read.name)
    machine.store_texts[path] = read.text
    return Source(item, ""), import_file(machine, path)


def _auto_args(machine: Machine, options: EvalOptions) -> dict[str, Any]:
    from ..values import thunk

    args: dict[str, Any] = {}
    for name, text in options.args:
        source = Source(f"«--arg {name}»", text)
        expr, problems = parse_checked(source)
        if expr is None:
            raise E.ParseFailed(problems)
        args[name] = thunk(expr, machine.file_env(source, os.getcwd()), partial(machine.eval, expr))
    for name, value in options.argstrs:
        args[name] = value
    return args


def find_along_attr_path(machine: Machine, path: str, root: Any, options: EvalOptions) -> Any:
    """``-A path`` as nix-instantiate takes it: selected with the automatic arguments,
    then called with them when there are any."""
    args = _auto_args(machine, options)
    value, _ = select(machine, root, parse_attr_path(path), args, shown=path, hint=_ARG_HINT)
    value = force(value)
    return auto_call(machine, value, args, hint=_ARG_HINT) if args else value


_ARG_HINT = "pass it with --arg or --argstr"


def _write_json(machine: Machine, value: Any, options: EvalOptions, stdout: IO[str]) -> None:
    """The value as JSON, without a final newline, as nix-instantiate prints it; when a
    value inside fails, what Nix has printed by then (``{"a":1,"b":}``), then the error."""
    out: list[str] = []
    try:
        write_json(machine, value, set(), True, options.strict, out)
    finally:
        stdout.write("".join(out))


def _output(machine: Machine, value: Any, options: EvalOptions) -> str:
    if options.xml:
        from ..builtins.xml import xml_text

        return xml_text(machine, value, options.strict, options.location)[0]
    if options.strict:
        force_deep(machine, value)
    return print_value(value)


def eval_diagnostic(
    err: E.EvalError, fallback: Source | None, show_trace: bool, as_nix: bool = False
) -> Diagnostic:
    """An evaluation error as a diagnostic: its position, hint, and trace notes (repeated
    frames folded; the innermost few unless --show-trace). An error inside the derivation
    wrapper (`DERIVATION_FILE`, a file no user has) is shown at the user's call, unless
    `as_nix` (nix-instantiate's modes), where it is where Nix places it."""
    from ..builtins.derivations import DERIVATION_FILE

    source, span = err.source, err.span
    frames = list(err.trace)
    if not as_nix and source is not None and source.name == DERIVATION_FILE:
        for i, frame in enumerate(frames):
            if frame.source is not None and frame.source.name != DERIVATION_FILE:
                source, span = frame.source, frame.span
                frames = frames[i + 1 :]
                break
    source = source or fallback or Source("«unknown»", "")
    span = span or Span(0, 0)
    notes = [f"help: {err.hint}"] if err.hint else []
    lines: list[tuple[str, int]] = []
    for frame in frames:
        where = ""
        if frame.source is not None and frame.span is not None:
            pos = frame.source.position(frame.span.start)
            where = f" (at {frame.source.name}:{pos.line}:{pos.column})"
        text = f"{frame.message}{where}"
        if lines and lines[-1][0] == text:
            lines[-1] = (text, lines[-1][1] + 1)
        else:
            lines.append((text, 1))
    shown = lines if show_trace else lines[:SHORT_TRACE]
    notes.extend(text if count == 1 else f"{text}, {count} times" for text, count in shown)
    if len(shown) < len(lines):
        notes.append(f"… {len(lines) - len(shown)} more; use '--show-trace' to see them all")
    return error(err.code, err.message, source, span, notes=notes)


def _report(diagnostics: list[Diagnostic], options: EvalOptions, stderr: IO[str]) -> None:
    if options.diagnostics_format == "human":
        colour = use_colour(stderr)
        stderr.write(render_human(diagnostics, colour=colour, nix_headline=True))
    else:
        stderr.write(RENDERERS[options.diagnostics_format](diagnostics))
