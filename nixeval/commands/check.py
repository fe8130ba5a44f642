"""``ci-eval check [FILE… | -]``: every problem of every file, for pre-commit and editors.

For each file: parse (a syntax error ends that file's checks: Nix itself stops there);
resolve names (E006) and lint (W001–W007, `nixeval.lint`); then, for the file Hercules CI
evaluates (the one the agent picks at the repository root, `_is_entry_point`: a ``ci.nix``
deeper down, such as a flake-parts module, is not called as one), evaluate every effect
as if on the default branch and as if on each branch or tag its conditions compare
against (`nixeval.effects.branches`), each pass restricted to the repository and under a
time and memory budget (`nixeval.commands.sweep`). A problem found in several passes is
reported once; one found only off the default branch says which branch.
``# ci-eval: ignore[CODE]`` comments drop the warnings they name, last, so they
never change what is checked; errors cannot be ignored (`nixeval.lint.apply_suppressions`).

All diagnostics go to stdout in the chosen format (editors and pre-commit read them
there). Exit status: 1 if any error (or any warning with ``--warnings-as-errors``), else
0. One file's failure never stops the others; a bug of ours is an E999 for that file.
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from ..diagnostics import RENDERERS, Diagnostic, Severity, render_human, use_colour
from ..frontend import (
    InputError,
    input_error,
    internal_error,
    parse_only,
    undefined_variable_errors,
)
from ..records import Record
from ..syntax import Source
from ..syntax.nodes import Expr

if TYPE_CHECKING:
    from ..budget import Budget
    from ..effects.checks import SecretsFile

STDIN = "-"


class CheckOptions(Record):
    """What ``ci-eval check`` was asked to do."""

    files: Sequence[str] = ()
    format: str = "human"  # human | gcc | json | sarif
    stdin_filename: str | None = None
    secrets: str | None = None
    warnings_as_errors: bool = False
    hook: bool = False  # also the agent's entry point; only .nix files (`hook.hook_files`)
    timeout: float = 10.0  # seconds of evaluation per file
    max_memory: int = 1024  # MiB the evaluation of one file may grow by
    debug: bool = False
    # `--override-input INPUT DIR` pairs: where a flake input is (check never fetches).
    overrides: Sequence[tuple[str, str]] = ()


def run_check(options: CheckOptions, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    diagnostics: list[Diagnostic] = []
    files: Sequence[str]
    if options.hook:
        from .hook import hook_files

        files, diagnostics = hook_files(options.files)
    else:
        files = options.files or [_default_file()]
    for name in files:
        try:
            diagnostics.extend(check_file(name, options, stdin))
        except Exception as exc:
            if options.debug:
                raise
            diagnostics.append(internal_error(Source(name, ""), exc))
    _render(diagnostics, options.format, stdout)
    failing = {Severity.ERROR} | ({Severity.WARNING} if options.warnings_as_errors else set())
    return 1 if any(d.severity in failing for d in diagnostics) else 0


def _default_file() -> str:
    from ..hercules.files import NoCiFile, find_file

    try:
        return find_file(None)
    except NoCiFile:
        return "."  # the current directory, reported as holding no ci file


def _render(diagnostics: list[Diagnostic], format: str, stdout: IO[str]) -> None:
    if format == "human":
        stdout.write(render_human(diagnostics, colour=use_colour(stdout)))
    else:
        stdout.write(RENDERERS[format](diagnostics))
    stdout.flush()


# --- one file -----------------------------------------------------------------------------


def check_file(name: str, options: CheckOptions, stdin: IO[str]) -> list[Diagnostic]:
    """Every problem of one file (see the module docstring), in source order, with the
    file named as the user named it."""
    from ..budget import Budget, BudgetExceeded, over_budget
    from ..lint import apply_suppressions

    # One budget for all of the file: reading and parsing it too (a file of megabytes, or
    # /dev/zero on stdin, must end as surely as an evaluation that loops).
    budget = Budget(options.timeout, options.max_memory)
    shown = (options.stdin_filename or "<stdin>") if name == STDIN else name
    try:
        source = budget.run(lambda: _read(name, shown, stdin))
        expr, problems = budget.run(lambda: _static(source))
    except InputError as err:
        return [input_error(str(err), shown)]
    except BudgetExceeded as exceeded:
        return [over_budget(exceeded, shown)]
    on_disk = name != STDIN
    shown = source.name if on_disk else shown  # a directory's file, as the user named it
    path = os.path.abspath(shown)
    if expr is None:
        return problems
    if not any(d.is_error for d in problems):
        from ..checkout import repo_root

        root = repo_root(path)
        if _is_entry_point(path, root):
            text = None if on_disk else source.text
            found = _evaluate(path, root, expr, text, options, budget)
            problems += [_before_the_flake(d, path, root) for d in found]
    problems = _for_the_user(problems, path, source)
    # Last, on what is shown only: an ignore comment drops warnings, never an error, so it
    # cannot change whether the file is evaluated above.
    problems = apply_suppressions(source, problems)
    return _in_order(problems, shown)


# Sort keys made in C: no Python call per diagnostic.
_start = operator.attrgetter("span.start")
_name_and_start = operator.attrgetter("source.name", "span.start")


def _in_order(problems: list[Diagnostic], shown: str) -> list[Diagnostic]:
    """The diagnostics of the checked file (named `shown`) by position, then those of other
    files (found by evaluating it) by file name and position; a stable sort, so those at
    one position keep their order (the undefined variables before the lint warnings)."""
    here = [d for d in problems if d.source.name == shown]
    elsewhere = [d for d in problems if d.source.name != shown]
    here.sort(key=_start)
    elsewhere.sort(key=_name_and_start)
    return here + elsewhere


def _read(name: str, shown: str, stdin: IO[str]) -> Source:
    """The file `name` (stdin as `shown`); a directory means the file Hercules CI picks
    in it."""
    from ..frontend import read_source, read_stream

    if name == STDIN:
        return Source(shown, read_stream(stdin, shown))
    if os.path.isdir(name):
        from ..hercules.files import NoCiFile, find_file

        try:
            name = find_file(name)
        except NoCiFile as err:
            raise InputError(str(err)) from None
    return read_source(name)


def _is_entry_point(path: str, root: str) -> bool:
    """Whether Hercules CI evaluates this file, so `check` evaluates it as the agent does:
    only the file the agent picks at the repository root (`hercules.files.entry_point`).
    A ``ci.nix`` or ``flake.nix`` deeper in the tree — a flake-parts module that happens to
    be named ``ci.nix``, a template's flake — is never called with the agent's arguments,
    so it is parsed and linted only. A repository with none of the agent's files at its
    root (a directory of examples) has each directory judged as a checkout of its own.
    When the agent would stop at both ``nix/ci.nix`` and ``ci.nix``, each is checked as
    the one meant (``--hook`` reports the ambiguity, E008)."""
    from ..hercules.files import AGENT_GROUPS, CANDIDATES, NoCiFile, entry_point

    if not any(os.path.isfile(os.path.join(root, name)) for name in CANDIDATES):
        root = os.path.dirname(path)
    try:
        return os.path.abspath(entry_point(root)) == path
    except NoCiFile:
        return path in (os.path.join(root, name) for name in AGENT_GROUPS[0])


def _before_the_flake(d: Diagnostic, path: str, root: str) -> Diagnostic:
    """`d`, and if it is an E108 in a ``ci.nix`` at the root beside a ``flake.nix``, why the
    agent called it: it looks for ``nix/ci.nix`` and ``ci.nix`` before ``flake.nix``, so a
    flake-parts module named so there takes the flake's place and gets ``{ src }``."""
    from ..hercules.files import AGENT_GROUPS

    first = [os.path.join(root, name) for name in AGENT_GROUPS[0]]
    beside = os.path.isfile(os.path.join(root, "flake.nix"))
    if d.code != "E108" or d.source.name != path or path not in first or not beside:
        return d
    name = os.path.relpath(path, root)
    notes = (
        f"note: Hercules CI evaluates {name}, not flake.nix: it looks for nix/ci.nix and "
        "ci.nix first, and calls the function there with { src }",
        f"help: if {name} is a module of the flake, rename it (e.g. to ci-module.nix) so "
        "that Hercules CI evaluates flake.nix",
    )
    return d._replace(notes=(*d.notes, *notes))


# --- evaluation passes --------------------------------------------------------------------


def _static(source: Source) -> tuple[Expr | None, list[Diagnostic]]:
    """The syntax tree, or None and the syntax error; then the undefined variables and
    the lint warnings."""
    from ..lint import lint

    expr, problems = parse_only(source)
    if expr is None:
        return None, problems
    return expr, undefined_variable_errors(expr, source) + lint(expr, source)


def _evaluate(
    path: str, root: str, expr: Expr, text: str | None, options: CheckOptions, budget: Budget
) -> list[Diagnostic]:
    from ..budget import BudgetExceeded, over_budget
    from ..checkout import default_branch
    from ..effects.branches import compared_refs
    from .sweep import Pass, run_pass

    default = default_branch(root) or "main"
    refs = [f"refs/heads/{default}"]
    refs += [r for r in compared_refs(expr) if r not in refs]
    secrets = _secrets_file(options, root)
    seen: dict[tuple[str, str, int, int, str], Diagnostic] = {}
    for index, ref in enumerate(refs):
        p = Pass(path, ref, root, default, secrets, text, tuple(options.overrides))
        try:
            found = budget.run(functools.partial(run_pass, p))
        except BudgetExceeded as exceeded:
            found = [over_budget(exceeded, path)]
        for d in found:
            key = (d.code, d.source.name, d.span.start, d.span.end, d.message)
            if key not in seen:
                seen[key] = d if index == 0 else _on_ref(d, ref)
        if any(d.code in ("E113", "E114") for d in found):
            break
    return list(seen.values())


def _on_ref(d: Diagnostic, ref: str) -> Diagnostic:
    for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
        if ref.startswith(prefix):
            note = f"found when evaluated as if on {kind} '{ref[len(prefix) :]}'"
            break
    else:
        note = f"found when evaluated as if on ref '{ref}'"
    return d._replace(notes=(*d.notes, note))


def _secrets_file(options: CheckOptions, root: str) -> SecretsFile | None:
    """The secrets.json to check secretsMap against: ``--secrets``, else Hercules CI's
    local file for the repository's forge and owner, if it exists; else None."""
    from ..effects.checks import SecretsFile

    if options.secrets is not None:
        return SecretsFile.read(options.secrets)
    from ..effects.secrets_path import repository_secrets_path

    path = repository_secrets_path(root)
    return SecretsFile.read(str(path)) if path is not None and path.is_file() else None


def _for_the_user(problems: list[Diagnostic], path: str, source: Source) -> list[Diagnostic]:
    """As the main job shows them (`describe.for_the_user`: other files relative to the
    working directory, no notes from inside ci-eval's own models), with the checked file
    named as the user named it (with the buffer's text) in their positions and notes."""
    from .describe import all_for_the_user

    here = os.getcwd() + os.sep
    checked = [d.source.name in (path, source.name) for d in problems]
    shown = []
    for d, is_checked in zip(all_for_the_user(problems), checked, strict=True):
        notes = _notes_for_the_user(d.notes, path, source.name, here)
        named = source if is_checked else d.source
        if named is not d.source or notes != d.notes:
            d = d._replace(source=named, notes=notes)
        shown.append(d)
    return shown


def _notes_for_the_user(notes: tuple[str, ...], path: str, name: str, here: str) -> tuple[str, ...]:
    """`notes` with the checked file's absolute `path` as the user named it (`name`) and
    the files in the working directory `here` relative to it; `notes` itself when no note
    names either (most do not: asking is cheaper than replacing)."""
    for note in notes:
        if path in note or here in note:
            return tuple(note.replace(path, name).replace(here, "") for note in notes)
    return notes
