"""``ci-eval --parse``: check inputs as ``nix-instantiate --parse`` does, print them back."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from ..diagnostics import RENDERERS, Diagnostic, render_human, use_colour
from ..frontend import InputError, input_error, internal_error, parse_checked, read_source
from ..syntax import Source
from ..syntax.printer import to_nix


def run_parse(
    inputs: Sequence[str],
    *,
    expressions: bool,
    diagnostics_format: str,
    debug: bool,
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    """Print each input's expression, or its diagnostics; 1 if any input had an error."""
    failed = False
    for item in inputs:
        diagnostics: list[Diagnostic] = []
        if expressions:
            source = Source("«string»", item)
        elif item == "-":
            source = Source("«stdin»", sys.stdin.read())
        else:
            try:
                source = read_source(item)
            except InputError as e:
                source = Source(item, "")
                diagnostics.append(input_error(str(e), item))
        if not diagnostics:
            try:
                expr, diagnostics = parse_checked(source)
                if expr is not None:
                    stdout.write(to_nix(expr) + "\n")
            except Exception as exc:  # an internal error: report it against this input
                if debug:
                    raise
                diagnostics = [internal_error(source, exc)]
        if diagnostics:
            failed = failed or any(d.is_error for d in diagnostics)
            if diagnostics_format == "human":
                colour = use_colour(stderr)
                stderr.write(render_human(diagnostics, colour=colour, nix_headline=True))
            else:
                stderr.write(RENDERERS[diagnostics_format](diagnostics))
    stdout.flush()
    return 1 if failed else 0
