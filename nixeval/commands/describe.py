"""``ci-eval [FILE] [-A PATH]…``: the effect descriptions of a ci.nix or flake (the main job).

Steps: find the file as Hercules CI does; evaluate it offline (unknowns for what needs the
network or nixpkgs), calling a legacy ci.nix's top-level function with ``src`` = the
checkout (``--as-branch``/``--as-ref``/``--as-tag``, else git) and a flake's
``herculesCI`` with the same; walk to the effects under each ``-A`` path as Hercules does;
describe each (`nixeval.effects.describe`); validate the document against the schemas
(unless it was found valid before: `nixeval.effects.known_valid`); print it (JSON, or
``--format text``), or with ``--list`` one line per effect.
Diagnostics (errors stop the output; warnings do not) go to stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from ..budget import JOB_MIB, JOB_SECONDS, Budget, BudgetExceeded, over_budget
from ..diagnostics import RENDERERS, Diagnostic, error, render_human, use_colour
from ..eval import errors as E
from ..frontend import InputError, input_error, internal_error, read_source
from ..records import Record
from ..syntax import Source
from ..syntax.nodes import Span


class DescribeOptions(Record):
    """What the main job (``ci-eval FILE``, ``--list``) was asked to do."""

    file: str | None
    attr_paths: Sequence[str] = ()
    args: Sequence[tuple[str, str]] = ()
    argstrs: Sequence[tuple[str, str]] = ()
    include: Sequence[str] = ()
    as_branch: str | None = None
    as_ref: str | None = None
    as_tag: str | None = None
    output: str = "json"  # json | text
    list_only: bool = False
    show_trace: bool = False
    diagnostics_format: str = "human"
    debug: bool = False
    # The budget of reading, parsing, evaluating and validating (`nixeval.budget`).
    timeout: float = JOB_SECONDS
    max_memory: float = JOB_MIB
    # Pure evaluation (design §7) unless --impure; `offer_impure`: the command has
    # --impure (the main job; run has not), so a refused read may point at it.
    impure: bool = False
    offer_impure: bool = False
    # Where the project's pinned inputs come from: ``--override-input`` pairs, and whether
    # the network may be used (`nixeval.sources.session`).
    overrides: Sequence[tuple[str, str]] = ()
    offline: bool = False


def run_describe(options: DescribeOptions, stdout: IO[str], stderr: IO[str]) -> int:
    document = describe_file(options, stderr)
    if document is None:
        return 1
    if options.list_only:
        stdout.write(_listing(document, options.output))
    elif options.output == "text":
        from ..effects.text import render_text

        stdout.write(render_text(document))
    else:
        stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


def describe_file(options: DescribeOptions, stderr: IO[str]) -> dict[str, Any] | None:
    """The validated description document of the file `options` name, or None after its
    errors were reported (warnings are reported either way)."""
    from ..hercules.files import NoCiFile, find_file

    try:
        file = find_file(options.file)
    except NoCiFile as err:  # no ci file (or two): nothing to evaluate
        _report([input_error(str(err), options.file or ".")], options, stderr)
        return None
    _, document, diagnostics = evaluate_file(file, options, stderr)
    _report(diagnostics, options, stderr)
    if document is None or any(d.severity.value == "error" for d in diagnostics):
        return None
    return document


def evaluate_file(
    file: str, options: DescribeOptions, stderr: IO[str], sources: Any = None
) -> tuple[Any, dict[str, Any] | None, list[Diagnostic]]:
    """Evaluate the ci file `file` as the main job does, under the budget: its machine
    (whose `sources` tell which pinned inputs the evaluation asked for), the description
    document (None after an error) and the diagnostics, not yet reported. `sources`: the
    `Sources` to evaluate with, instead of the one `options` describe (``ci-eval fetch``'s)."""
    machine = _machine(options, file, stderr, sources)
    source = Source(os.path.abspath(file), "")
    diagnostics: list[Diagnostic] = []
    document: dict[str, Any] | None = None
    try:
        budget = Budget(options.timeout, options.max_memory)
        document, problems = budget.run(lambda: _describe(machine, file, options))
        diagnostics.extend(problems)
    except BudgetExceeded as exceeded:
        diagnostics.append(over_budget(exceeded, source.name))
    except E.ParseFailed as err:
        diagnostics.extend(err.diagnostics)  # type: ignore[arg-type]
    except E.EvalError as err:
        from .eval import eval_diagnostic

        diagnostics.append(eval_diagnostic(err, source, options.show_trace))
    except RecursionError:
        from .eval import eval_diagnostic

        overflow = E.StackOverflow("stack overflow (possible infinite recursion)")
        diagnostics.append(eval_diagnostic(overflow, source, options.show_trace))
    except InputError as err:
        diagnostics.append(input_error(str(err), options.file or "."))
    except Exception as exc:
        if options.debug:
            raise
        diagnostics.append(internal_error(source, exc))
    from ..effects.calls import calls_of

    diagnostics.extend(calls_of(machine).warnings)
    diagnostics.extend(machine.sources.warnings(file))
    return machine, document, diagnostics


def _machine(options: DescribeOptions, file: str, stderr: IO[str], sources: Any = None) -> Any:
    """The machine of the evaluation: pure (`nixeval.commands.purity`), with the
    repository of `file` as its root, or --impure's; with `sources` if given."""
    from ..sources.session import Sources
    from .purity import project_machine

    if sources is None:
        progress = stderr if stderr.isatty() else None
        sources = Sources.for_command(options.overrides, options.offline, progress)
    return project_machine(file, options.include, options.impure, options.offer_impure, sources)


def _describe(
    machine: Any, file: str, options: DescribeOptions
) -> tuple[dict[str, Any], list[Diagnostic]]:
    from ..checkout import checkout_for
    from ..effects.describe import describe_document, describe_effect, describe_unknown
    from ..values import Unknown

    path = os.path.abspath(file)
    # Read here, not by the evaluator: a FIFO or a device is refused before a byte is
    # read, and an unreadable file is E007. The evaluator takes the text as check's does
    # an editor's buffer.
    machine.store_texts[path] = read_source(file).text
    base = os.path.dirname(path)
    checkout = checkout_for(base, options.as_branch, options.as_ref, options.as_tag)
    project = project_for(machine, path, checkout, options)
    effects = []
    unknowns = []
    for attr_path in options.attr_paths or [""]:
        for found_path, value in project.walk(attr_path):
            if type(value) is Unknown:
                unknowns.append(describe_unknown(value, found_path))
            else:
                effects.append(describe_effect(machine, value, found_path, base))
    document = describe_document(
        file,
        checkout.to_json(),
        effects,
        sources=machine.sources,
        unknowns=unknowns,
        schedules=project.schedules,
    )
    return document, _validate(document, machine)


def project_for(machine: Any, path: str, checkout: Any, options: DescribeOptions) -> Any:
    """The project as the main job, ``run`` and ``check`` open it: the ``--arg``s given
    to a legacy file (`nixeval.hercules.project`)."""
    from ..hercules.project import load_project
    from .eval import EvalOptions, _auto_args

    automatic = _auto_args(
        machine, EvalOptions(inputs=[], args=options.args, argstrs=options.argstrs)
    )
    return load_project(machine, path, checkout, automatic)


def _validate(document: dict[str, Any], machine: Any) -> list[Diagnostic]:
    """Schema problems, as E200 diagnostics at the argument they come from."""
    return schema_diagnostics(document, lambda pointer: _source_of(document, pointer))


def schema_diagnostics(
    document: dict[str, Any], place: Callable[[str], tuple[Source, Span]]
) -> list[Diagnostic]:
    """The document's schema problems as E200 diagnostics, each where `place` puts its
    JSON pointer."""
    from ..effects.known_valid import validate_remembered
    from ..sources.resolve import cache_dir

    problems = validate_remembered(document, cache_dir())
    result = []
    for problem in problems:
        where = place(problem.pointer)
        result.append(
            error(
                "E200",
                f"the description does not match {problem.schema}: {problem.message}",
                where[0],
                where[1],
                notes=[f"at {problem.pointer} in the description"],
            )
        )
    return result


def _source_of(document: dict[str, Any], pointer: str) -> tuple[Source, Span]:
    """The source position a JSON pointer into the description comes from: the argument
    it names, else the effect's call."""
    parts = pointer.strip("/").split("/")
    at = "?"
    if len(parts) >= 2 and parts[0] == "effects" and parts[1].isdigit():
        effect = document["effects"][int(parts[1])]
        at = effect.get("at", "?")
        arguments = effect.get("arguments", {})
        for part in parts[2:]:
            if part in arguments:
                at = arguments[part].get("at", at)
                break
    return position_of(at)


def position_of(at: str) -> tuple[Source, Span]:
    """The source text and one-character span of a ``file:line:column`` place."""
    file, _, rest = at.rpartition(":")
    file, _, line_text = file.rpartition(":")
    if not file or not line_text.isdigit() or not rest.isdigit():
        return Source(at, ""), Span(0, 0)
    try:
        with open(file, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError:
        return Source(file, ""), Span(0, 0)
    source = Source(file, text)
    lines = text.split("\n")
    line, column = int(line_text), int(rest)
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + column - 1
    return source, Span(offset, offset + 1)


def _listing(document: dict[str, Any], output: str) -> str:
    rows = [
        {
            "attrPath": e["attrPath"],
            "function": e["function"],
            "mode": e["mode"],
            "at": e["at"],
            **({"condition": e["runIf"]["expression"]} if "runIf" in e else {}),
            **_schedule_of(document, e["attrPath"]),
        }
        for e in document["effects"]
    ]
    unknown_rows = [
        {"attrPath": u["attrPath"], "unknown": u["unknown"]} for u in document.get("unknowns", [])
    ]
    if output == "json":
        return json.dumps(rows + unknown_rows, indent=2, ensure_ascii=False) + "\n"
    from ..terminal import display_line

    unknown_lines = [
        f"{display_line(u['attrPath'] or '(the file)')}  unknown: {display_line(u['unknown'])}"
        for u in unknown_rows
    ]
    if not rows:
        return "\n".join(["no effects", *unknown_lines]) + "\n"

    # Names and conditions come from the project: escaped, and aligned as shown.
    rows = [{key: display_line(value) for key, value in r.items()} for r in rows]
    width = max(len(r["attrPath"]) for r in rows)
    fwidth = max(len(r["function"]) for r in rows)
    lines = []
    for r in rows:
        mode = "runs" if r["mode"] == "run" else "dependencies only"
        condition = f"  (runIf {r['condition']})" if "condition" in r else ""
        schedule = f"  (onSchedule: {r['schedule']})" if "schedule" in r else ""
        lines.append(
            f"{r['attrPath']:<{width}}  {r['function']:<{fwidth}}  {mode}{condition}{schedule}"
        )
    return "\n".join(lines + unknown_lines) + "\n"


def _schedule_of(document: dict[str, Any], attr_path: str) -> dict[str, str]:
    """``{"schedule": "Sat at 03:00"}`` for an effect of a scheduled job, else nothing."""
    for job, schedule in document.get("schedules", {}).items():
        if attr_path.startswith(job + "."):
            return {"schedule": schedule["shown"]}
    return {}


def for_the_user(d: Diagnostic) -> Diagnostic:
    """File names relative to the working directory; no notes from inside ci-eval's own
    models of nixpkgs and the effects library (the user's call is the position)."""
    return all_for_the_user([d])[0]


def all_for_the_user(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """`for_the_user` of each of `diagnostics` (``check`` shows tens of thousands of one
    file): each file renamed once, its diagnostics sharing the renamed Source (a copy
    would find its line starts again when a position is asked of it)."""
    from ..effects.encode import display_path
    from ..eval.access import MODEL_DIR

    renamed: dict[Source, Source] = {}  # by identity, as Sources compare
    shown = []
    for d in diagnostics:
        source = renamed.get(d.source)
        if source is None:
            name = display_path(d.source.name)
            source = d.source if name == d.source.name else d.source.renamed(name)
            renamed[d.source] = source
        notes = _without_model_notes(d.notes, MODEL_DIR)
        if source is not d.source or notes is not d.notes:
            d = d._replace(source=source, notes=notes)
        shown.append(d)
    return shown


def _without_model_notes(notes: tuple[str, ...], model_dir: str) -> tuple[str, ...]:
    """`notes` without those that name a file of ci-eval's models (`notes` itself if none
    does)."""
    for note in notes:
        if model_dir in note:
            return tuple(note for note in notes if model_dir not in note)
    return notes


def _report(diagnostics: list[Diagnostic], options: DescribeOptions, stderr: IO[str]) -> None:
    if not diagnostics:
        return
    diagnostics = [for_the_user(d) for d in diagnostics]
    if options.diagnostics_format == "human":
        stderr.write(render_human(diagnostics, colour=use_colour(stderr)))
    else:
        stderr.write(RENDERERS[options.diagnostics_format](diagnostics))
