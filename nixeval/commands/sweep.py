"""One evaluation pass of ``ci-eval check``: every effect of a ci file, as if on one ref.

A pass evaluates the file as the main job does (``src`` or the flake's ``herculesCI``
argument from a checkout pretending to be on `ref`), walks every effect, describes each,
and collects — instead of stopping at the first — every problem: evaluation errors of
each attribute, the effect functions' own checks (E201–E211), the schemas (E200), and the
checks of `nixeval.effects.checks` (files under ``src``, secrets).

The machine is pure (`nixeval.commands.purity`, as the main job's): it reads only inside
the repository, sees an empty environment, no clock and no search path, and makes unknowns
of what needs the network. What
cannot be decided offline (E111) is a warning here (W203): the file is not wrong, ci-eval
just cannot look further.
"""

from __future__ import annotations

import os
from typing import Any

from ..diagnostics import Diagnostic, Severity
from ..effects.checks import Context, Locate, SecretsFile, check_effect
from ..effects.pretend import Pretend
from ..eval import errors as E
from ..frontend import internal_error
from ..records import Record
from ..syntax import Source
from ..syntax.nodes import Span, Str
from ..values import Attrs, Unknown


class Pass(Record):
    """What one pass evaluates: the file (absolute), the ref it pretends to be on, the
    repository root, the default branch, the secrets file, and the buffer's text when it
    is not read from disk (an editor's unsaved buffer)."""

    file: str
    ref: str
    root: str
    default_branch: str
    secrets: SecretsFile | None = None
    text: str | None = None
    overrides: tuple[tuple[str, str], ...] = ()  # --override-input INPUT DIR


def run_pass(p: Pass) -> list[Diagnostic]:
    """Every problem of `p`'s file when evaluated as if on `p.ref`."""
    from ..checkout import checkout_without_git
    from ..sources.session import Sources
    from .purity import pure_machine

    machine = pure_machine(p.root, sources=Sources(overrides=dict(p.overrides)))
    if p.text is not None:
        machine.store_texts[p.file] = p.text  # read instead of the file on disk
    checkout = checkout_without_git(os.path.dirname(p.file), as_ref=p.ref)
    pretend = Pretend.from_options(
        as_ref=p.ref, repo=checkout.repo, owner=checkout.owner, default_branch=p.default_branch
    )
    ctx = Context(p.root, os.path.dirname(p.file), p.secrets, pretend)
    problems: list[Diagnostic] = []
    fallback = Source(p.file, p.text or "")
    try:
        _sweep(machine, p, checkout, ctx, problems)
    except E.ParseFailed as err:
        problems.extend(err.diagnostics)  # type: ignore[arg-type]
    except E.EvalError as err:
        problems.append(_diagnostic(err, fallback))
    except RecursionError:
        overflow = E.StackOverflow("stack overflow (possible infinite recursion)")
        problems.append(_diagnostic(overflow, fallback))
    except Exception as exc:  # a bug of ours: a diagnostic for this file, not a traceback
        problems.append(internal_error(fallback, exc))
    from ..effects.calls import calls_of

    problems.extend(calls_of(machine).warnings)
    problems.extend(machine.sources.warnings(p.file))
    return problems


def _sweep(machine: Any, p: Pass, checkout: Any, ctx: Context, problems: list[Diagnostic]) -> None:
    from ..effects.describe import describe_document, describe_effect, effect_call
    from .describe import DescribeOptions, project_for, schema_diagnostics

    def on_error(err: E.EvalError) -> None:
        problems.append(_diagnostic(err, Source(p.file, "")))

    project = project_for(machine, p.file, checkout, DescribeOptions(file=p.file))
    effects: list[dict[str, Any]] = []
    places: list[Locate] = []
    for found_path, value in project.walk(on_error=on_error):
        if type(value) is Unknown:
            # Unknown offline, it might hold effects: W203, not the file's fault.
            what = f"finding the effects in '{found_path}'" if found_path else "finding the effects"
            on_error(E.NeedsValue(value, what).at(value.source, value.span))
            continue
        try:
            description = describe_effect(machine, value, found_path, ctx.base)
            locate = _locator(effect_call(machine, value), Source(p.file, ""))
        except E.EvalError as err:
            on_error(err)
            continue
        problems.extend(check_effect(description, locate, ctx))
        effects.append(description)
        places.append(locate)
    document = describe_document(p.file, checkout.to_json(), effects)

    def place(pointer: str) -> tuple[Source, Span]:
        parts = pointer.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "effects" and parts[1].isdigit():
            index = int(parts[1])
            arguments = effects[index].get("arguments", {})
            named = parts[3] if len(parts) > 3 and parts[2] == "arguments" else None
            return places[index](named if named in arguments else None, None)
        return Source(p.file, ""), Span(0, 0)

    problems.extend(schema_diagnostics(document, place))


def _locator(found: tuple[Any, Any, Any, Any], fallback: Source) -> Locate:
    """Where an effect's arguments are: the argument's name (or a string literal in its
    definition), else the call, else the runIf, else the file."""
    run_if, _effect, _tag, call = found

    def locate(name: str | None, literal: str | None = None) -> tuple[Source, Span]:
        if call is not None:
            definition = (
                call.args.definition(name)
                if name is not None and type(call.args) is Attrs
                else None
            )
            if definition is not None:
                source, d = definition
                if literal is not None:
                    within = _literal_within(d.value, literal)
                    if within is not None:
                        return source, within
                return source, d.span
            return call.source, call.span
        if run_if is not None:
            return run_if.source, run_if.span
        return fallback, Span(0, 0)

    return locate


def _literal_within(value: Any, text: str) -> Span | None:
    """The span of the string literal ``"text"`` in the expression `value`, if it is
    written there once."""
    from ..effects.branches import nodes_of, string_literal

    spans = [
        node.span
        for node in nodes_of(value)
        if isinstance(node, Str) and string_literal(node) == text
    ]
    return spans[0] if len(spans) == 1 else None


def _diagnostic(err: E.EvalError, fallback: Source) -> Diagnostic:
    from .eval import eval_diagnostic

    d = eval_diagnostic(err, fallback, show_trace=False)
    if d.code != "E111":
        return d
    # Not the file's fault: what it needs is unknown offline.
    notes = (*d.notes, "ci-eval check does not look past a value it cannot know offline")
    return d._replace(severity=Severity.WARNING, code="W203", notes=notes)
