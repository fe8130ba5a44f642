"""``ci-eval run``: hand effect descriptions to a backend (`nixeval.backends`).

The input is a description: a JSON file, ``-`` (stdin), or a ``.nix`` file evaluated on the
spot (``FILE -A ATTRPATH``, as the main job does). Either way it is validated before a
backend sees it, and the backend gets the description only, never an expression.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..budget import JOB_MIB, JOB_SECONDS
from ..diagnostics import Diagnostic, render_human, unplaced, use_colour
from ..execution.model import RunEffect, Supplies


@dataclass
class RunOptions:
    target: str | None  # DESCRIPTION.json | - | FILE (None: the ci.nix of the directory)
    attr_paths: list[str] = field(default_factory=list)
    backend: str = "plan"
    output: str = "text"
    secrets: str | None = None
    state_dir: str = os.path.join(".ci-eval", "state")
    as_branch: str | None = None
    as_ref: str | None = None
    as_tag: str | None = None
    env: list[str] = field(default_factory=list)  # NAME=VALUE
    files: list[str] = field(default_factory=list)  # NAME=PATH
    args: list[tuple[str, str]] = field(default_factory=list)
    argstrs: list[tuple[str, str]] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    # Where the project's pinned inputs come from (`nixeval.sources.session`).
    overrides: list[tuple[str, str]] = field(default_factory=list)
    offline: bool = False
    debug: bool = False
    # The budget of reading, parsing, evaluating and validating the input (not of running
    # the effect: that is the backend's, and as long as the effect takes).
    timeout: float = JOB_SECONDS
    max_memory: float = JOB_MIB


def is_description(target: str | None, attr_paths: list[str]) -> bool:
    """Whether the input is a description (JSON or stdin) rather than a file to evaluate."""
    return not attr_paths and target is not None and (target == "-" or target.endswith(".json"))


def run_run(options: RunOptions, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    from ..backends import RunRequest, backend
    from ..execution.model import Refused

    try:
        document = _document(options, stdin, stderr)
        if document is None:
            return 1
        base = Path(os.path.abspath(document["file"])).parent
        supplies = Supplies(dict(_pairs(options.env)), dict(_pairs(options.files)))
        effects = [RunEffect.of(e, base, supplies) for e in document["effects"]]
        _check_supplies(effects, supplies, document)
        request = RunRequest(
            document=document,
            effects=effects,
            base=base,
            pretend=_pretend(options, document, base),
            output=options.output,
            secrets=options.secrets,
            state_dir=options.state_dir,
        )
        return backend(options.backend).run(request, stdout, stderr)
    except Refused as refused:
        _report(refused.diagnostics, stderr)
        return 1
    except Exception as exc:
        if options.debug:
            raise
        from ..frontend import internal_error
        from ..syntax import Source

        _report([internal_error(Source(options.target or ".", ""), exc)], stderr)
        return 1


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    """``NAME=VALUE`` options (checked by the command line)."""
    return [(name, value) for name, _, value in (item.partition("=") for item in items)]


def _document(options: RunOptions, stdin: IO[str], stderr: IO[str]) -> dict[str, Any] | None:
    from ..budget import Budget, BudgetExceeded, over_budget
    from ..execution.load import DescriptionError, read_description
    from ..execution.model import Refused

    if not is_description(options.target, options.attr_paths):
        from .describe import DescribeOptions, describe_file

        return describe_file(
            DescribeOptions(
                file=options.target,
                attr_paths=options.attr_paths,
                args=options.args,
                argstrs=options.argstrs,
                include=options.include,
                overrides=options.overrides,
                offline=options.offline,
                as_branch=options.as_branch,
                as_ref=options.as_ref,
                as_tag=options.as_tag,
                debug=options.debug,
                timeout=options.timeout,
                max_memory=options.max_memory,
            ),
            stderr,
        )
    target = str(options.target)
    budget = Budget(options.timeout, options.max_memory)
    try:
        return budget.run(lambda: read_description(target, stdin))
    except DescriptionError as e:
        raise Refused(e.diagnostics) from None
    except BudgetExceeded as exceeded:
        name = "<stdin>" if target == "-" else target
        raise Refused([over_budget(exceeded, name)]) from None


def _pretend(options: RunOptions, document: dict[str, Any], base: Path) -> Any:
    """The job secrets' conditions are evaluated for: the description's ref (it was made
    for that ref: its runIf conditions were decided there), the repository's owner, name
    and default branch."""
    from ..checkout import checkout_without_git, default_branch
    from ..effects.secrets import Pretend
    from ..execution.model import Refused

    ref = document["checkout"].get("ref")
    asked = Pretend.from_options(options.as_branch, options.as_ref, options.as_tag).ref
    if asked is not None and ref is not None and asked != ref:
        raise Refused(
            [
                unplaced(
                    "E305",
                    f"the description was made for {ref}, not {asked}: its conditions were "
                    "decided there",
                    str(options.target),
                    ["help: evaluate it for that ref: ci-eval run FILE -A ATTRPATH --as-branch …"],
                )
            ]
        )
    checkout = checkout_without_git(str(base))
    return Pretend.from_options(
        as_ref=ref or asked,
        repo=checkout.repo,
        owner=checkout.owner,
        default_branch=default_branch(checkout.root),
    )


def _check_supplies(effects: list[RunEffect], supplies: Supplies, document: dict[str, Any]) -> None:
    """Every ``--env``/``--file`` must fill an unknown of an effect."""
    from ..execution.model import Refused, file_key

    filled = {key for e in effects for key in e.supplied}
    keys = [("env", name, f"env {name}") for name in supplies.env]
    keys += [("file", name, f"file {file_key(name)}") for name in supplies.files]
    problems = [
        unplaced(
            "E306",
            f"--{kind} {name}=…: no effect has an unknown {key}",
            document["file"],
            ["a supplied value only fills a value the evaluation left unknown"],
        )
        for kind, name, key in keys
        if key not in filled
    ]
    if problems:
        raise Refused(problems)


def _report(diagnostics: list[Diagnostic], stderr: IO[str]) -> None:
    stderr.write(render_human(diagnostics, colour=use_colour(stderr)))
    stderr.flush()
